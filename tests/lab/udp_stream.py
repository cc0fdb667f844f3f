#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A numbered UDP stream, to show that nothing is lost or duplicated while SAs change.

  udp_stream.py recv PORT FILE     counts datagrams until SIGTERM; keeps FILE updated with
                                   "received distinct duplicates highest"
  udp_stream.py send HOST PORT RATE FILE   sends numbered datagrams at RATE per second until
                                   SIGTERM, then writes the number sent to FILE
"""
import signal
import socket
import struct
import sys
import time

stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)


def recv(port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    s.settimeout(0.2)
    seen, received, dups, last_write = set(), 0, 0, 0.0
    while not stop:
        try:
            data, _ = s.recvfrom(2048)
            n = struct.unpack("!I", data[:4])[0]
            received += 1
            if n in seen:
                dups += 1
            seen.add(n)
        except socket.timeout:
            pass
        if time.monotonic() - last_write > 0.2 or stop:
            with open(path + ".tmp", "w") as f:
                f.write("%d %d %d %d\n" % (received, len(seen), dups, max(seen) if seen else -1))
            import os
            os.replace(path + ".tmp", path)
            last_write = time.monotonic()


def send(host, port, rate, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n, start = 0, time.monotonic()
    pad = b"x" * 100
    while not stop:
        s.sendto(struct.pack("!I", n) + pad, (host, port))
        n += 1
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    with open(path, "w") as f:
        f.write("%d\n" % n)


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(int(sys.argv[2]), sys.argv[3])
    else:
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
