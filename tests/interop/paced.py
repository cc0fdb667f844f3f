# SPDX-License-Identifier: BSD-3-Clause
"""Datagrams to a responder's UDP 500 at a steady rate, for the floods the interop labs send
(ike_garbage.py and isakmp_garbage.py with --unacceptable)."""
import socket
import time


def send_paced(host, datagrams, rate=2000):
    """Sends each datagram, rate a second (far above a log limit, within what a lab port takes)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    sent = 0
    for d in datagrams:
        s.sendto(d, (host, 500))
        sent += 1
        time.sleep(1.0 / rate)
    return sent
