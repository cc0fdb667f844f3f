#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# swanctl's close_action against strongSwan (strongswan-lab.sh), IKEv2 and IKEv1: with "start",
# a child strongSwan closes comes back at once, and so does the IKE SA strongSwan deletes; with
# "trap", the IKE SA strongSwan deletes comes back when traffic hits the trap; with "none" (the
# default) nothing comes back.
# Usage: strongswan-close-action.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-close
strongswan_lab_up

# dpike's inbound SPI of its child "net", or nothing.
child_spi() {
	ctl --json list-sas | python3 -c 'import json,sys
c=[c for s in json.load(sys.stdin)["ike_sas"] for c in s["children"]]
print(c[0]["spi_in"] if c else "")'
}

# round V ACTION PROPOSAL ESP
round() {
	local v=$1 action=$2 spi
	IKE_VERSION=$v
	dpike_conf "" "$(dpike_conn site-a "\"$3\"" "\"$4\"")"
	sed -i "s/children = ( { name = \"net\";/children = ( { name = \"net\"; close_action = \"$action\";/" "$LAB_DIR/dpike.conf"
	sw_conf "$3" "$4"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "dut-v$v-$action"
	sw_start "$sw" "$LAB_DIR"
	sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
	lab_check "IKEv$v, close_action = $action: established" sw_established "$LAB_DIR" net
	spi=$(child_spi)
	sw_ctl "$LAB_DIR" --terminate --child net --timeout 10 >/dev/null 2>&1 || true
	child_back() { sw_established "$LAB_DIR" net && [ -n "$(child_spi)" ] && [ "$(child_spi)" != "$spi" ]; }
	child_gone() { ! sw_established "$LAB_DIR" net && dpike_up_no_child; }
	case $action in
	start)
		lab_check "IKEv$v: strongSwan closed the child; dpike brought it back" lab_wait_for 15 child_back
		lab_check "IKEv$v: traffic through it" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
		sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
		lab_check "IKEv$v: strongSwan deleted the IKE SA; dpike brought it back with the child" \
			lab_wait_for 20 sw_established "$LAB_DIR" net
		lab_check "IKEv$v: traffic through the new one" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
		;;
	trap)
		sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
		lab_check "IKEv$v: strongSwan deleted the IKE SA; dpike waits" lab_wait_for 10 dpike_down
		ip netns exec "$hb" ping -c 1 -W 1 10.1.0.1 >/dev/null 2>&1 || true # hits the trap
		lab_check "IKEv$v: traffic hit the trap: up again" lab_wait_for 20 sw_established "$LAB_DIR" net
		lab_check "IKEv$v: traffic through it" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
		;;
	none)
		lab_check "IKEv$v: strongSwan closed the child; dpike lets it go" lab_wait_for 10 child_gone
		lab_check "... and does not bring it back (dpike's log says nothing of close_action)" \
			bash -c "! grep -q 'close_action' '$LAB_DIR/dut-v$v-$action.log'"
		;;
	esac
	dpike_stop_all
	LAB_PIDS=()
	rm -f "$LAB_DIR/charon.vici" "$LAB_DIR/dpike.sock"
}

# dpike has its IKE SA but no child.
dpike_up_no_child() {
	ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin)
sys.exit(not any(s["state"]=="ESTABLISHED" and not s["children"] for s in j["ike_sas"]))'
}

for v in 2 1; do
	props=aes128gcm16-prfsha256-x25519 esp=aes128gcm16
	[ "$v" = 1 ] && props=aes128-sha256-modp3072 esp=aes128-sha256
	for action in start trap none; do
		round "$v" "$action" "$props" "$esp"
	done
done
lab_summary strongswan-close-action
