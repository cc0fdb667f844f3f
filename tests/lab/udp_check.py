#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""One UDP datagram with a content check, bounded in time.

  udp_check.py recv PORT SECONDS        prints the SHA-256 and size of the first datagram, or nothing
  udp_check.py send HOST PORT BYTES     sends one datagram with DF clear (the sender's kernel
                                        fragments it), prints its SHA-256 and size
"""
import hashlib
import os
import socket
import sys

IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0

if sys.argv[1] == "recv":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(sys.argv[2])))
    s.settimeout(float(sys.argv[3]))
    try:
        data, _ = s.recvfrom(65535)
        print("%s %d" % (hashlib.sha256(data).hexdigest(), len(data)), flush=True)
    except socket.timeout:
        pass
else:
    data = os.urandom(int(sys.argv[4]))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    s.sendto(data, (sys.argv[2], int(sys.argv[3])))
    print("%s %d" % (hashlib.sha256(data).hexdigest(), len(data)), flush=True)
