#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# swanctl's "dynamic" traffic selectors against strongSwan (strongswan-lab.sh): strongSwan, with
# its default (dynamic) local_ts, protects traffic from its own address to dpike's LAN; dpike's
# child names that peer address as remote_ts = ["dynamic"]. IKEv2 and IKEv1, both roles: the child's
# selectors on both ends are the LAN and strongSwan's IKE address alone, and pings between
# host-b and that address cross the tunnel, counted by dpike's SAs. Then a range of addresses
# as dpike's local_ts (IKEv2), and in IKEv1's ID payloads both ways.
# Usage: strongswan-dynamic-ts.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-dynamic
strongswan_lab_up

# configs VERSION IKE_PROPOSAL ESP_PROPOSAL: both ends' files for IKEv(VERSION)
configs() {
	IKE_VERSION=$1
	local conn
	conn=$(dpike_conn dyn "\"$2\"" "\"$3\"")
	conn=${conn/remote_ts = \[\"10.1.0.0\/24\"\]/remote_ts = [\"dynamic\"]}
	dpike_conf "" "$conn"
	grep -q 'remote_ts = \["dynamic"\]' "$LAB_DIR/dpike.conf"
	sw_conf "$2" "$3"
	sed -i '/local_ts = 10.1.0.0\/24/d' "$LAB_DIR/swanctl.conf" # strongSwan's default: dynamic
}
configs 2 aes128gcm16-prfsha256-x25519 aes128gcm16
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"

# dpike_child_ts: the selectors of dpike's outbound SA, "local === remote"
dpike_child_ts() {
	ctl --json list-sas | python3 -c 'import json,sys
out=[s for s in json.load(sys.stdin)["sas"] if s["direction"]=="out" and s["source"]!="static"]
print(" ".join(out[0]["local_ts"]) + " === " + " ".join(out[0]["remote_ts"]) if out else "-")'
}
# dpike_sa_packets DIR: packets through dpike's SA of that direction
dpike_sa_packets() {
	ctl --json list-sas | python3 -c 'import json,sys
print(sum(s["packets"] for s in json.load(sys.stdin)["sas"] if s["direction"]==sys.argv[1] and s["source"]!="static"))' "$1"
}

sw_child_mirrored() { # swanctl --list-sas: "local  192.0.2.1/32", "remote 10.2.0.0/24", a line each
	local sas
	sas=$(sw_ctl "$LAB_DIR" --list-sas 2>/dev/null)
	grep -Eq '^ +local +192\.0\.2\.1/32$' <<<"$sas" && grep -Eq '^ +remote +10\.2\.0\.0/24$' <<<"$sas"
}

# lan_and_sw_address WHAT: dpike's child joins its LAN and strongSwan's address alone, and pings
# both ways between host-b and that address cross the tunnel, counted by dpike's SAs.
lan_and_sw_address() {
	local before_in before_out
	lab_check "$1: dpike's child covers its LAN and strongSwan's address alone ($(dpike_child_ts))" \
		test "$(dpike_child_ts)" = "10.2.0.0/24 === 192.0.2.1/32"
	before_in=$(dpike_sa_packets in)
	before_out=$(dpike_sa_packets out)
	lab_check "$1: ping host-b -> strongSwan's own address through the tunnel" \
		ip netns exec "$hb" ping -c 4 -i 0.2 -W 2 -w 15 192.0.2.1
	lab_check "$1: ping strongSwan -> host-b through the tunnel" \
		ip netns exec "$sw" ping -c 4 -i 0.2 -W 2 -w 15 10.2.0.1
	lab_check "$1: ... carried by dpike's SAs (8 packets each way or more)" \
		test $(($(dpike_sa_packets in) - before_in)) -ge 8 -a $(($(dpike_sa_packets out) - before_out)) -ge 8
}

round() { # round ROLE
	if [ "$1" = responder ]; then
		sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
	else
		ctl initiate dyn/net >/dev/null
	fi
	lab_check "IKEv$IKE_VERSION $1: established" lab_wait_for 20 dpike_up dyn
	lan_and_sw_address "$1"
	lab_check "$1: strongSwan's child the same, mirrored" sw_child_mirrored
	sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
	lab_check "$1: closed" lab_wait_for 10 dpike_down
}

round responder
round initiator
# IKEv1: the selectors as Quick Mode's ID payloads
dpike_stop
configs 1 aes128-sha256-ecp256 aes128-sha256
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut-v1
sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null
round responder
round initiator
# reopen LOG INITIATOR: dpike started with the configuration written (log LOG), strongSwan's
# reloaded, and the child brought up by INITIATOR (dpike or sw).
reopen() {
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "$1"
	sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null
	if [ "$2" = dpike ]; then
		ctl initiate dyn/net >/dev/null || true
	else
		sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
	fi
}
# range_round WHAT VERSION IKE ESP WHERE INITIATOR: the range 10.2.0.1-10.2.0.6 written in dpike's
# local_ts (WHERE = dpike) or strongSwan's remote_ts (WHERE = sw); INITIATOR (dpike or sw) brings
# the child up; both children must cover the range, as the four prefixes that make it up at dpike.
range_round() {
	local what=$1
	dpike_stop
	configs "$2" "$3" "$4"
	if [ "$5" = dpike ]; then
		sed -i 's|local_ts = \["10.2.0.0/24"\]|local_ts = ["10.2.0.1-10.2.0.6"]|' "$LAB_DIR/dpike.conf"
	else
		sed -i 's|remote_ts = 10.2.0.0/24|remote_ts = 10.2.0.1-10.2.0.6|' "$LAB_DIR/swanctl.conf"
	fi
	reopen "dut-range-v$2-$5" "$6"
	lab_check "$what: established" lab_wait_for 20 dpike_up dyn
	lab_check "$what: dpike's child covers 10.2.0.1-10.2.0.6 as four prefixes ($(dpike_child_ts))" \
		test "$(dpike_child_ts)" = "10.2.0.1/32 10.2.0.2/31 10.2.0.4/31 10.2.0.6/32 === 192.0.2.1/32"
	[ "$2" = 2 ] || lab_check "$what: strongSwan's child has the range as one" sw_range
	lab_check "$what: ping host-b (10.2.0.1, inside the range) -> strongSwan's address" \
		ip netns exec "$hb" ping -c 3 -i 0.2 -W 2 -w 10 192.0.2.1
	sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
}
sw_range() { sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -Eq '^ +remote +10\.2\.0\.1\.\.10\.2\.0\.6$'; }
# IKEv2: dpike offers the prefixes that make the range up, strongSwan narrows to them
range_round "range" 2 aes128gcm16-prfsha256-x25519 aes128gcm16 dpike sw
# IKEv1 cannot narrow: strongSwan proposes the range itself (an ID_IPV4_ADDR_RANGE payload), which
# dpike takes as the prefixes that make it up, within its own local_ts, and answers as it came;
# and dpike proposes its own range (its configuration's, split into prefixes at start-up) as one
range_round "IKEv1 range from strongSwan" 1 aes128-sha256-ecp256 aes128-sha256 sw sw
range_round "IKEv1 range from dpike" 1 aes128-sha256-ecp256 aes128-sha256 dpike dpike

# omitted_round WHAT VERSION IKE ESP INITIATOR: dpike's child without remote_ts: swanctl's default,
# dynamic, as in the rounds above: the LAN and strongSwan's address. (With local_ts omitted too,
# the child would join the two gateways alone, which strongSwan's kernel-libipsec cannot route:
# "conflicts with IKE traffic"; the unit tests check that pair.)
omitted_round() {
	local what=$1
	dpike_stop
	configs "$2" "$3" "$4"
	sed -i 's|remote_ts = \["dynamic"\];||' "$LAB_DIR/dpike.conf"
	! grep -q "remote_ts" "$LAB_DIR/dpike.conf"
	reopen "dut-omitted-v$2-$5" "$5"
	lab_check "$what: established" lab_wait_for 20 dpike_up dyn
	lan_and_sw_address "$what"
	sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
}
omitted_round "IKEv2, dpike's remote_ts omitted, strongSwan initiating" 2 aes128gcm16-prfsha256-x25519 aes128gcm16 sw
omitted_round "IKEv2, dpike's remote_ts omitted, dpike initiating" 2 aes256gcm16-prfsha384-ecp384 aes256gcm16 dpike
omitted_round "IKEv1, dpike's remote_ts omitted, strongSwan initiating" 1 aes128-sha256-ecp256 aes128-sha256 sw
omitted_round "IKEv1, dpike's remote_ts omitted, dpike initiating" 1 aes128-sha256-ecp256 aes128-sha256 dpike
dpike_stop_all
lab_summary strongswan-dynamic-ts
