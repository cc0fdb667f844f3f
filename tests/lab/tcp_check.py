#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TCP transfer with a content check, bounded in time.

  tcp_check.py serve PORT SECONDS       accepts one connection, prints the SHA-256 of what it received
  tcp_check.py send HOST PORT BYTES     sends BYTES of random data, prints their SHA-256
"""
import hashlib
import os
import socket
import sys


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
    data = os.urandom(size)
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    print("%s %d" % (hashlib.sha256(data).hexdigest(), size), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), float(sys.argv[3]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
