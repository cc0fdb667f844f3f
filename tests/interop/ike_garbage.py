#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sends malformed IKE datagrams to a responder: random bytes, every truncation of a real
IKE_SA_INIT, wrong versions, lengths and SPIs, on UDP 500 and (with the non-ESP marker) 4500.
With --unacceptable, COUNT well-formed (2,000 a second) IKE_SA_INITs instead, each from a new SPI, proposing
3DES (which no connection accepts). Prints how many datagrams it sent.

  ike_garbage.py HOST COUNT [--unacceptable]
"""
import os
import random
import socket
import struct
import sys

from paced import send_paced


def sa_init(spi_i, encr=20):
    # a plausible IKE_SA_INIT: header, SA (one IKE proposal), KE (x25519), Nonce
    t = b""
    key_len = struct.pack("!HH", 0x800E, 128) if encr == 20 else b""
    for last, ttype, tid, attr in ((0, 1, encr, key_len), (0, 2, 5, b""), (0, 4, 31, b"")):
        t += struct.pack("!BBHBBH", 3, 0, 8 + len(attr), ttype, 0, tid) + attr
    t = t[:-len(struct.pack("!BBHBBH", 0, 0, 0, 0, 0, 0))] + struct.pack("!BBHBBH", 0, 0, 8, 4, 0, 31)
    prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(t), 1, 1, 0, 3) + t
    sa = struct.pack("!BBH", 34, 0, 4 + len(prop)) + prop
    ke = struct.pack("!BBHHH", 40, 0, 8 + 32, 31, 0) + os.urandom(32)
    nonce = struct.pack("!BBH", 0, 0, 4 + 32) + os.urandom(32)
    body = sa + ke + nonce
    hdr = struct.pack("!QQBBBBII", spi_i, 0, 33, 0x20, 34, 0x08, 0, 28 + len(body))
    return hdr + body


def unacceptable(host, count):
    return send_paced(host, (sa_init(random.getrandbits(64), encr=3) for _ in range(count)))


def main():
    host, count = sys.argv[1], int(sys.argv[2])
    random.seed(1)
    if sys.argv[3:] == ["--unacceptable"]:
        random.seed(101)  # not the garbage run's cookies: a repeated first message is a retransmission
        print(unacceptable(host, count))
        return
    s500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s500.bind(("0.0.0.0", 0))
    s4500.bind(("0.0.0.0", 0))
    good = sa_init(random.getrandbits(64))
    sent = 0
    for cut in range(len(good)):
        s500.sendto(good[:cut], (host, 500))
        sent += 1
    for _ in range(count):
        m = bytearray(good)
        kind = random.randrange(5)
        if kind == 0:
            m = bytearray(os.urandom(random.randrange(1, 400)))
        elif kind == 1:
            m[17] = random.choice([0x10, 0x30, 0xf0])  # IKE versions that do not exist
        elif kind == 2:
            m[24:28] = struct.pack("!I", random.randrange(0, 1 << 32))  # header length lies
        elif kind == 3:
            m[28 + 2:28 + 4] = struct.pack("!H", random.randrange(0, 1 << 16))  # payload length lies
        else:
            m[8:16] = os.urandom(8)  # a responder SPI nobody knows
            m[19] = 0x08
        if random.random() < 0.5:
            s500.sendto(bytes(m), (host, 500))
        else:
            s4500.sendto(b"\0\0\0\0" + bytes(m), (host, 4500))
        sent += 1
    print(sent)


if __name__ == "__main__":
    main()
