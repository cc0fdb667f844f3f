#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# An ARP flood against dpike: how many requests it answers, how fast, and what it learns.
#   tests/bench/arp_flood.sh BUILD_DIR [--senders N] [--neighbour-size S] [--rate R]
# A dpike with one worker on a veth whose port has a /16 (room for the senders), and a peer
# namespace that sends N requests from N made-up senders (tests/bench/arp_flood.py).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lab.sh"
lab_binaries "$1"
shift
senders=40000 size="" rate=20000
while [ $# -gt 0 ]; do
	case $1 in
	--senders) senders=$2; shift 2 ;;
	--neighbour-size) size="neighbour_size = $2;"; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
lab_init arp-flood
lab_ns dut dut
lab_ns peer peer
lab_link "$dut" dut-wan 02:00:00:00:00:11 "$peer" peer-wan 02:00:00:00:00:01
cat >"$LAB_DIR/dpike.conf" <<CONF
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 20; $size };
interfaces = ( { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "198.51.100.1/16"; } );
CONF
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
timeout 200 ip netns exec "$peer" /usr/bin/python3 "$here/arp_flood.py" "$LAB_DIR" "$senders" 198.51.100.1 198.51.0.0/16 "$rate"
dpike_stop_all
