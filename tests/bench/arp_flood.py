#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""An ARP flood against a running dpike, from inside the peer namespace (tests/bench/arp_flood.sh).

  arp_flood.py DIR SENDERS TARGET SUBNET [RATE]

Sends one ARP request for TARGET (dpike's address) from each of SENDERS made-up senders of
SUBNET (the port's own, so that dpike may learn them), RATE (20,000) a second, and reports how many
dpike received and answered, how long until its last answer, what it learned and refused, and
what its workers dropped meanwhile (a punt ring that overflows drops IKE as well as ARP), and
how much of its control core went to giving the workers snapshots of its neighbours.
"""
import ipaddress
import json
import os
import subprocess
import sys
import time


def stats(d):
    out = subprocess.run([os.environ["DPIKECTL"], "-s", d + "/dpike.sock", "--json", "stats"], capture_output=True,
                         text=True, timeout=10)
    if out.returncode != 0:
        raise RuntimeError("dpikectl stats failed: %s" % out.stderr)
    return json.loads(out.stdout)


def frames(n, target, subnet):
    from scapy.all import ARP, Ether
    hosts = (h for h in ipaddress.ip_network(subnet).hosts() if str(h) != target)
    for i, spa in zip(range(n), hosts):
        mac = "02:00:%02x:%02x:%02x:%02x" % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)
        yield bytes(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac, psrc=str(spa), pdst=target))


def main():
    if len(sys.argv) not in (5, 6):
        print(__doc__)
        return 2
    d, n, target, subnet = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    rate = int(sys.argv[5]) if len(sys.argv) == 6 else 20000
    from scapy.all import conf
    pkts = list(frames(n, target, subnet))
    sock = conf.L2socket(iface="peer-wan")
    before = stats(d)
    c0 = before["control"]
    t0 = time.time()
    for i, f in enumerate(pkts):
        sock.send(f)
        if i % 100 == 99:  # paced, as a host's flood through a switch would come
            time.sleep(max(0.0, t0 + (i + 1) / rate - time.time()))
    sent_s = time.time() - t0
    last_change, replies, settled = t0, -1, False
    deadline = t0 + 120
    while time.time() < deadline:
        c = stats(d)["control"]
        if c["arp_replies_out"] != replies:
            replies, last_change = c["arp_replies_out"], time.time()
        # every request that arrived answered, and nothing new for a second: done
        settled = c["arp_replies_out"] - c0["arp_replies_out"] >= len(pkts) or \
            (time.time() - last_change > 1 and c["arp_replies_out"] - c0["arp_replies_out"] ==
             c["arp_requests_in"] - c0["arp_requests_in"])
        if settled:
            break
        time.sleep(0.05)
    after = stats(d)
    c1, tab = after["control"], after["tables"]
    drops = {r: v - before["total"]["drops"].get(r, 0) for r, v in after["total"]["drops"].items()
             if v - before["total"]["drops"].get(r, 0)}
    print("%d requests from as many senders of %s, sent in %.2f s" % (len(pkts), subnet, sent_s))
    print("dpike received %d, answered %d; last answer %.2f s after the first request%s" % (
        c1["arp_requests_in"] - c0["arp_requests_in"], c1["arp_replies_out"] - c0["arp_replies_out"],
        last_change - t0, "" if settled else " (still answering at the deadline)"))
    print("neighbours learned %d (workers.neighbour_size %d), refused as the table was full %d; worker drops %s" % (
        tab.get("neighbours_learned", tab["neighbours"]), tab.get("neighbour_size", 0),
        c1.get("arp_table_full", 0) - c0.get("arp_table_full", 0),
        drops or "none"))
    if "fib_commits" in c1:
        spent = (c1["fib_commit_us"] - c0["fib_commit_us"]) / 1e6
        print("FIB snapshots for the workers: %d, %.2f s of control core (%.0f%% of the time until the last answer)" % (
            c1["fib_commits"] - c0["fib_commits"], spent, 100 * spent / max(last_change - t0, 1e-3)))
    return 0 if settled else 1


if __name__ == "__main__":
    sys.exit(main())
