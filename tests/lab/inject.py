#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Captures one ESP packet with SPI on the WAN bridge, then sends it again as captured
(replay) or with one ciphertext byte flipped (tamper). Runs inside the WAN namespace.

  inject.py SNIFF_IF SEND_IF SPI replay|tamper
"""
import sys

from scapy.all import Ether, UDP, Raw, sendp, sniff


def is_esp_with_spi(p, spi):
    if not p.haslayer(UDP) or p[UDP].dport != 4500:
        return False
    payload = bytes(p[UDP].payload)
    return len(payload) > 8 and int.from_bytes(payload[:4], "big") == spi


def main():
    sniff_if, send_if, spi, how = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), sys.argv[4]
    got = sniff(iface=sniff_if, count=1, timeout=15, lfilter=lambda p: is_esp_with_spi(p, spi))
    if not got:
        print("no ESP packet with SPI 0x%x seen" % spi)
        return 1
    frame = bytearray(bytes(got[0]))
    if how == "tamper":
        # A forger's packet: a sequence number the receiver has not seen (so the replay
        # check lets it through) and a flipped ciphertext byte. Only the ICV can catch it.
        esp = 14 + (frame[14] & 0xf) * 4 + 8
        seq = int.from_bytes(frame[esp + 4:esp + 8], "big") + 50000
        frame[esp + 4:esp + 8] = seq.to_bytes(4, "big")
        frame[-20] ^= 0x01
    sendp(Ether(bytes(frame)), iface=send_if, verbose=False)
    print("sent a %s ESP packet (spi 0x%x, %d bytes)" % (how, spi, len(frame)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
