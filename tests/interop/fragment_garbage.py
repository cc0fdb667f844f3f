#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sends IP fragments to a gateway that reassembles datagrams addressed to it: two ESP datagrams
(unknown SPI) whose pieces arrive last first, one of them larger than a port buffer holds; then
fragments that can never make a datagram: overlapping pieces, more pieces than a datagram may
have, a zero-length piece, first pieces alone, a piece at the largest offset. Prints
"whole N" (datagrams that should come out whole) and "dropped N" (pieces that should be freed
and counted, at once or when they time out).

  fragment_garbage.py SRC DST
"""
import os
import sys

from scapy.all import IP, Raw, conf, send

conf.verb = 0


def piece(src, dst, ident, offset8, data, more, proto=50):
    return IP(src=src, dst=dst, id=ident, proto=proto, flags="MF" if more else 0, frag=offset8) / Raw(data)


def cut(src, dst, ident, payload, size):
    """The pieces of one datagram, size payload bytes each (a multiple of 8), in order."""
    out = []
    for at in range(0, len(payload), size):
        chunk = payload[at:at + size]
        out.append(piece(src, dst, ident, at // 8, chunk, at + size < len(payload)))
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    esp = bytes.fromhex("dead0001") + (1).to_bytes(4, "big")  # an SPI no SA has, sequence 1
    whole = 0
    for ident, length in ((0x5101, 1000), (0x5102, 3000)):
        pkts = cut(src, dst, ident, esp + os.urandom(length - 8), 544)
        send(list(reversed(pkts)))
        whole += 1
    bad = []
    # Overlap: the second piece starts inside the first, so the three never line up.
    bad += [piece(src, dst, 0x5201, 0, os.urandom(64), True), piece(src, dst, 0x5201, 4, os.urandom(64), True),
            piece(src, dst, 0x5201, 16, os.urandom(64), False)]
    # Ten pieces of 8 bytes: more than a datagram may be cut into here.
    bad += [piece(src, dst, 0x5202, i, os.urandom(8), i < 9) for i in range(10)]
    bad.append(piece(src, dst, 0x5203, 0, b"", True))  # zero length
    bad += [piece(src, dst, 0x5300 + i, 0, os.urandom(256), True) for i in range(40)]  # first pieces alone
    bad += [piece(src, dst, 0x5204, 8189, os.urandom(16), False), piece(src, dst, 0x5204, 0, os.urandom(8), True)]
    bad.append(piece(src, dst, 0x5205, 0, os.urandom(64), True, proto=17))  # UDP (IKE?) never finished
    send(bad)
    print("whole", whole)
    print("dropped", len(bad))


if __name__ == "__main__":
    main()
