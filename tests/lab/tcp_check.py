#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TCP transfer with a content check, bounded in time.

  tcp_check.py serve PORT SECONDS       accepts one connection, prints the SHA-256 of what it received
  tcp_check.py send HOST PORT BYTES     sends BYTES of random data, prints their SHA-256
  tcp_check.py rate HOST PORT BYTES     sends BYTES and prints the goodput in Mbit/s
"""
import hashlib
import os
import socket
import sys
import time


def serve(port, seconds):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1)
    s.settimeout(seconds)
    c, _ = s.accept()
    c.settimeout(seconds)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    print("%s %d" % (h.hexdigest(), n), flush=True)


def send(host, port, size):
    """Sends size random bytes; returns them and the seconds until the receiver closed."""
    data = os.urandom(size)
    s = socket.create_connection((host, port), timeout=30)
    start = time.monotonic()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    return data, time.monotonic() - start


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), float(sys.argv[3]))
    elif sys.argv[1] == "send":
        data, _ = send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        print("%s %d" % (hashlib.sha256(data).hexdigest(), len(data)), flush=True)
    else:
        data, secs = send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        print("%.0f Mbit/s (%d MB in %.2f s)" % (len(data) * 8 / secs / 1e6, len(data) >> 20, secs), flush=True)
