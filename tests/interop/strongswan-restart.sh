#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A peer that restarts without a word (kill -9) and connects again, against strongSwan
# (strongswan-lab.sh), IKEv2 and IKEv1. INITIAL_CONTACT (RFC 7296 2.4; INITIAL-CONTACT, RFC 2407
# 4.6.3.3) in the new SA's authentication tells the other end to drop what it kept from before:
#  - strongSwan restarts: dpike keeps only the new IKE SA and child, and traffic flows (before,
#    the stale child kept the policy and traffic went nowhere until DPD);
#  - dpike restarts: its first IKE_AUTH / Main Mode 5 carries the notify, and strongSwan keeps
#    only the new SA;
#  - strongSwan restarts with `unique = never`, so without the notify: dpike keeps the stale SA
#    (until DPD), but the new child, the newest with those selectors, carries the traffic out, as
#    a kernel's policy points at the newest SA (before, the stale child kept it).
# Usage: strongswan-restart.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-restart
strongswan_lab_up

established_here() {
	ctl --json list-sas | python3 -c 'import json,sys; print(sum(s["state"]=="ESTABLISHED" for s in json.load(sys.stdin)["ike_sas"]))'
}
established_there() { sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -c "dpike: #.*ESTABLISHED" || true; }
one_here() { [ "$(established_here)" -eq 1 ]; }

round() {
	local v=$1 pid
	lab_round_start "$v" "$2" "$3" "" "dut-v$v"
	lab_check "IKEv$v: established" sw_established "$LAB_DIR" net
	sw_kill_and_start
	lab_check "IKEv$v: strongSwan restarted and connected again" sw_established "$LAB_DIR" net
	lab_check "IKEv$v: dpike dropped the SA left from before (INITIAL_CONTACT): one IKE SA" lab_wait_for 5 one_here
	lab_check "IKEv$v: ... and logged why" grep -q "left over from before the peer restarted" "$LAB_DIR/dut-v$v.log"
	lab_check "IKEv$v: traffic flows through the new SA" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	# dpike dies and comes back, and connects itself (DPIKE_PID is timeout(1), dpike its child)
	pid=$(pgrep -P "$DPIKE_PID" | head -1)
	lab_check "IKEv$v: dpike killed (-9)" kill -9 "$pid"
	lab_wait_gone "$pid" 10 || true
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "dut-v$v-again"
	lab_check "IKEv$v: dpike restarted and connects again" ctl initiate site-a/net
	lab_check "IKEv$v: up on dpike" lab_wait_for 20 dpike_up
	one_there() { [ "$(established_there)" -eq 1 ]; }
	lab_check "IKEv$v: strongSwan dropped the SA left from before (dpike's INITIAL_CONTACT)" lab_wait_for 10 one_there
	lab_check "IKEv$v: traffic flows" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	lab_round_end
}

# strongSwan restarts and sends no INITIAL_CONTACT: the new child must win the outbound policy.
round_silent() {
	local v=$1
	lab_round_start "$v" "$2" "$3" "unique = never" "dut-v$v-silent"
	lab_check "IKEv$v, unique = never: established" sw_established "$LAB_DIR" net
	lab_check "IKEv$v, unique = never: traffic flows" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	sw_kill_and_start
	lab_check "IKEv$v, unique = never: strongSwan restarted and connected again" sw_established "$LAB_DIR" net
	two_here() { [ "$(established_here)" -eq 2 ]; }
	lab_check "IKEv$v, unique = never: no INITIAL_CONTACT, so dpike still holds the stale SA beside the new" \
		lab_wait_for 5 two_here
	lab_check "IKEv$v, unique = never: traffic flows out through the newest child" \
		ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	lab_round_end
}

# strongSwan restarts behind another address (a branch router's new DHCP lease) and sends
# INITIAL_CONTACT from there: the SAs of its old address go too (IKEv1 found them by address before).
round_moved() {
	local v=$1
	DPIKE_REMOTE_ADDRS='"192.0.2.1", "192.0.2.3"' lab_round_start "$v" "$2" "$3" "" "dut-v$v-moved"
	lab_check "IKEv$v, new address: established from 192.0.2.1" sw_established "$LAB_DIR" net
	ip -n "$sw" addr del 192.0.2.1/24 dev sw-wan
	ip -n "$sw" addr add 192.0.2.3/24 dev sw-wan
	sed -i 's|local_addrs = 192.0.2.1|local_addrs = 192.0.2.3|' "$LAB_DIR/swanctl.conf"
	sw_kill_and_start
	lab_check "IKEv$v, new address: strongSwan restarted and connected from 192.0.2.3" sw_established "$LAB_DIR" net
	lab_check "IKEv$v, new address: dpike dropped the SA of the old address (INITIAL_CONTACT): one IKE SA" \
		lab_wait_for 5 one_here
	lab_check "IKEv$v, new address: traffic flows" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	ip -n "$sw" addr del 192.0.2.3/24 dev sw-wan
	ip -n "$sw" addr add 192.0.2.1/24 dev sw-wan
	lab_round_end
}

round 2 aes128gcm16-prfsha256-x25519 aes128gcm16
round 1 aes128-sha256-modp3072 aes128-sha256
round_silent 2 aes256gcm16-prfsha384-ecp256 aes256gcm16
round_silent 1 aes256-sha256-modp2048 aes256-sha1
round_moved 2 aes128gcm16-prfsha256-x25519 aes128gcm16
round_moved 1 aes128-sha256-modp3072 aes128-sha256
lab_summary strongswan-restart
