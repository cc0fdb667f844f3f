#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sends malformed IKEv1 (ISAKMP) datagrams to a responder: every truncation of a real Main
Mode message 1, lying payload and attribute lengths, broken payload chains, random bodies
behind the encryption flag, unknown cookies, on UDP 500 and (with the non-ESP marker) 4500.
With --unacceptable, COUNT well-formed (2,000 a second) Main Mode first messages instead, each from a new cookie,
proposing group 2 (MODP-1024, which no connection lists). Prints how many it sent.

  isakmp_garbage.py HOST COUNT [--unacceptable]
"""
import os
import random
import socket
import struct
import sys

from paced import send_paced

SA, P, T, VID = 1, 2, 3, 13


def attr(kind, value):
    return struct.pack("!HH", 0x8000 | kind, value)


def main_mode_1(cky_i, group=14):
    # one transform: AES-256, SHA2-256, PSK, the group (14), 8 hours
    attrs = attr(1, 7) + attr(14, 256) + attr(2, 4) + attr(3, 1) + attr(4, group) + attr(11, 1) + attr(12, 28800)
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attrs), 1, 1, 0) + attrs
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1) + transform
    sa = struct.pack("!BBHII", VID, 0, 12 + len(proposal), 1, 1) + proposal
    vid = struct.pack("!BBH", 0, 0, 20) + bytes.fromhex("4a131c81070358455c5728f20e95452f")
    body = sa + vid
    return struct.pack("!QQBBBBII", cky_i, 0, SA, 0x10, 2, 0, 0, 28 + len(body)) + body


def mutate(good):
    m = bytearray(good)
    kind = random.randrange(9)
    if kind == 0:
        return bytes(os.urandom(random.randrange(1, 400)))
    if kind == 1:  # a payload length that lies
        at = random.choice([28, 40, 48, 56, len(good) - 20])
        m[at + 2:at + 4] = struct.pack("!H", random.choice([0, 1, 3, 0xffff, random.randrange(1 << 16)]))
    elif kind == 2:  # an attribute that claims a long value
        at = random.randrange(60, len(good) - 24, 4)
        m[at:at + 4] = struct.pack("!HH", random.randrange(1, 20), random.choice([0xffff, 9, 200]))
    elif kind == 3:  # the chain goes on into nothing
        m[16] = random.choice([2, 3, 5, 8, 11, 12, 99, 255])
    elif kind == 4:  # header length lies
        m[24:28] = struct.pack("!I", random.randrange(0, 1 << 32))
    elif kind == 5:  # encrypted, unknown cookies, random body
        m[8:16] = os.urandom(8)
        m[19] = 1
        m[18] = random.choice([2, 4, 5, 32])
        m[20:24] = os.urandom(4)
        body = os.urandom(16 * random.randrange(1, 20))
        m = m[:28] + body
        m[24:28] = struct.pack("!I", len(m))
    elif kind == 6:  # counts of proposals, transforms and SPI sizes that do not fit
        m[52 + random.randrange(4)] = random.randrange(256)
    elif kind == 7:  # flip bytes anywhere
        for _ in range(random.randrange(1, 8)):
            m[random.randrange(len(m))] = random.randrange(256)
    else:  # an unknown exchange
        m[18] = random.choice([0, 1, 3, 6, 33, 34, 200])
    return bytes(m)


def unacceptable(host, count):
    return send_paced(host, (main_mode_1(random.getrandbits(64), group=2) for _ in range(count)))


def main():
    host, count = sys.argv[1], int(sys.argv[2])
    random.seed(2)
    if sys.argv[3:] == ["--unacceptable"]:
        random.seed(102)  # not the garbage run's cookies: a repeated first message is a retransmission
        print(unacceptable(host, count))
        return
    s500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s4500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s500.bind(("0.0.0.0", 0))
    s4500.bind(("0.0.0.0", 0))
    good = main_mode_1(random.getrandbits(64))
    sent = 0
    for cut in range(len(good)):
        s500.sendto(good[:cut], (host, 500))
        sent += 1
    for _ in range(count):
        m = mutate(main_mode_1(random.getrandbits(64)))
        if random.randrange(4) == 0:
            s4500.sendto(b"\0\0\0\0" + m, (host, 4500))
        else:
            s500.sendto(m, (host, 500))
        sent += 1
    print(sent)


if __name__ == "__main__":
    main()
