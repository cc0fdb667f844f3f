#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Compares the PLUTO_* environment dpike gave a child's updown script with strongSwan's for the
same child at the same moment, seen from the other end: our side is the peer's, the peer's ours.

  updown_compare.py DPIKE_ENV STRONGSWAN_ENV [NAME=VALUE ...]

Each file holds `env | grep ^PLUTO_` as the scripts wrote it. NAME=VALUE pairs are further values
dpike's file must hold. Exits 1 and says what differs.
"""
import sys

MIRRORED = [("ME", "PEER"), ("MY_ID", "PEER_ID"), ("MY_CLIENT", "PEER_CLIENT"), ("MY_PORT", "PEER_PORT"),
            ("MY_PROTOCOL", "PEER_PROTOCOL"), ("MY_SOURCEIP", "PEER_SOURCEIP"),
            ("MY_SOURCEIP4_1", "PEER_SOURCEIP4_1")]
SAME = ["VERSION", "VERB", "CONNECTION", "PROTO", "UDP_ENC", "HOST_ACCESS"]
NUMBERS = ["REQID", "UNIQUEID"]


def read(path):
    env = {}
    with open(path) as f:
        for line in f:
            name, _, value = line.rstrip("\n").partition("=")
            if name.startswith("PLUTO_"):
                env[name[len("PLUTO_"):]] = value
    return env


def main():
    ours, theirs = read(sys.argv[1]), read(sys.argv[2])
    bad = []
    for a, b in MIRRORED:
        for mine, peers in ((a, b), (b, a)):
            if ours.get(mine) != theirs.get(peers):
                bad.append("dpike's %s=%r, strongSwan's %s=%r" % (mine, ours.get(mine), peers, theirs.get(peers)))
    for name in SAME:
        if ours.get(name) != theirs.get(name):
            bad.append("%s: dpike %r, strongSwan %r" % (name, ours.get(name), theirs.get(name)))
    for name in NUMBERS:
        if not ours.get(name, "").isdigit() or int(ours[name]) == 0:
            bad.append("%s: %r is not a number above 0" % (name, ours.get(name)))
    for pair in sys.argv[3:]:
        name, _, value = pair.partition("=")
        if ours.get(name) != value:
            bad.append("%s: dpike %r, expected %r" % (name, ours.get(name), value))
    for b in bad:
        print(b)
    if not bad:
        print("%d variables as strongSwan's mirrored (%s)" % (len(ours), ", ".join(sorted(ours))))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
