#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Control-socket clients that misbehave, against a running dpike.

  ctl_clients.py SOCKET DPIKECTL

Five clients ask for list-sas and hang up without reading; then, while one client sends
nothing, one sends half a request and one never reads its answer, `dpikectl status` must be
answered at once (within 0.5 s), and dpike must close the silent client within 3 s. Prints one
line per finding; exits 1 on the first that fails.
"""
import socket
import subprocess
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def status_seconds(path, dpikectl):
    t0 = time.time()
    r = subprocess.run([dpikectl, "-s", path, "status"], capture_output=True, text=True, timeout=15)
    return time.time() - t0 if r.returncode == 0 else None


def closed_within(s, seconds):
    s.settimeout(seconds)
    try:
        return s.recv(16) == b""
    except socket.timeout:
        return False


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    path, dpikectl = sys.argv[1], sys.argv[2]
    for _ in range(5):
        c = connect(path)
        c.sendall(b"list-sas\n\n")
        c.close()
    took = status_seconds(path, dpikectl)
    print("after 5 clients hung up unanswered, status answered in %s s" % ("%.3f" % took if took else "-"))
    if took is None:
        return 1
    silent, half, greedy = connect(path), connect(path), connect(path)
    half.sendall(b"sta")
    greedy.sendall(b"stats\n\n")
    took = status_seconds(path, dpikectl)
    print("beside a silent, a half-sent and a never-reading client, status answered in %s s"
          % ("%.3f" % took if took else "-"))
    if took is None or took > 0.5:
        return 1
    closed = closed_within(silent, 3)
    print("the silent client closed by dpike: %s" % closed)
    return 0 if closed else 1


if __name__ == "__main__":
    sys.exit(main())
