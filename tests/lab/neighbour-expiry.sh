#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Learned neighbours are asked again once workers.neighbour_timeout passes unconfirmed: by
# unicast to the MAC dpike has, then by broadcast; one that answers stays, one that does not is
# forgotten; a configured one never ages. The peer is a Linux host (its kernel answers ARP);
# tshark on the peer's side checks what dpike put on the wire.
#   tests/lab/neighbour-expiry.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lab.sh"
lab_binaries "$1"
lab_init neigh-expiry
lab_ns dut dut
lab_ns peer peer
DUT_MAC=02:00:00:00:00:11 PEER_MAC=02:00:00:00:00:01
lab_link "$dut" dut-wan $DUT_MAC "$peer" peer-wan $PEER_MAC
ip -n "$peer" addr add 198.51.100.2/24 dev peer-wan
cat >"$LAB_DIR/dpike.conf" <<CONF
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 20; neighbour_timeout = 2; };
interfaces = ( { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "198.51.100.1/24"; } );
neighbours = ( { interface = "wan"; ip = "198.51.100.9"; mac = "02:00:00:00:00:99"; } );
CONF
ip netns exec "$peer" timeout 60 tshark -q -i peer-wan -f arp -w "$LAB_DIR/arp.pcap" 2>/dev/null &
LAB_PIDS+=($!)
lab_wait_for 10 test -s "$LAB_DIR/arp.pcap"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut

ctl() { "$DPIKECTL" -s "$LAB_DIR/dpike.sock" --json "$@"; }
# neighbour IP: prints "mac configured" of the neighbour, nothing when dpike does not hold it
neighbour() {
	ctl list-neighbours | python3 -c 'import json,sys; print(*[n["mac"] + " " + str(n["configured"])
		for n in json.load(sys.stdin)["neighbours"] if n["ip"] == sys.argv[1]])' "$1"
}
control() { ctl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["control"][sys.argv[1]])' "$1"; }
learned_peer() { [ "$(neighbour 198.51.100.2)" = "$PEER_MAC False" ]; }
requests_out_at_least() { [ "$(control arp_requests_out)" -ge "$1" ]; }
peer_gone() { [ -z "$(neighbour 198.51.100.2)" ] && [ "$(control neighbours_expired)" -eq 1 ]; }
# requests from dpike for IP to DST in the capture
requests_to() {
	tshark -r "$LAB_DIR/arp.pcap" -Y "arp.opcode == 1 && eth.src == $DUT_MAC && arp.dst.proto_ipv4 == $1 && eth.dst == $2" \
		2>/dev/null | wc -l
}

# the peer's kernel asks for dpike's address: dpike learns it (a request to us, on the port's subnet)
lab_check "the peer answers ping and is learned" \
	ip netns exec "$peer" ping -c 1 -W 2 198.51.100.1 >/dev/null
lab_check "dpike lists the peer as a learned neighbour with its MAC" lab_wait_for 5 learned_peer
# it goes unconfirmed for 2 s, is asked, answers, and so on: three rounds
lab_check "dpike asks the peer again each time 2 s pass unconfirmed (3 requests within 15 s)" \
	lab_wait_for 15 requests_out_at_least 3
lab_check "the peer answered: none forgotten" test "$(control neighbours_expired)" = 0
lab_check "still listed with its MAC after the rounds" learned_peer

# the peer stops answering ARP: after the unicast tries and a broadcast, dpike forgets it
ip -n "$peer" link set dev peer-wan arp off
lab_check "unanswered, the peer is forgotten (neighbours_expired 1) within 15 s" lab_wait_for 15 peer_gone
lab_check "the configured neighbour never ages" test "$(neighbour 198.51.100.9)" = "02:00:00:00:00:99 True"
lab_check "dpike's log says which neighbour it forgot" grep -q "neighbour 198.51.100.2 did not answer" "$LAB_DIR/dut.log"
# every change above made a new FIB snapshot; the old ones go back once the worker has passed them
one_snapshot() { [ "$(ctl stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["tables"]["fib_snapshots"])')" = 1 ]; }
lab_check "one FIB snapshot held (one NUMA socket), the retired ones freed (dpikectl stats)" lab_wait_for 5 one_snapshot
dpike_stop_all # the capture too: what it wrote is complete once it has exited
lab_check "the requests while the peer answered went by unicast to its MAC (3 or more)" \
	test "$(requests_to 198.51.100.2 $PEER_MAC)" -ge 3
lab_check "the last request before forgetting went by broadcast" \
	test "$(requests_to 198.51.100.2 ff:ff:ff:ff:ff:ff)" -ge 1
lab_summary neighbour-expiry
