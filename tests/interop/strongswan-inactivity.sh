#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# swanctl's children.inactivity on dpike's side against strongSwan (strongswan-lab.sh), IKEv2 and
# IKEv1, dpike as responder and as initiator: traffic every second keeps the child past the
# timeout; once quiet, dpike closes it (a Delete strongSwan acts on) within the timeout and a
# quarter; as the child's creator dpike closes the IKE SA with it, as strongSwan does.
# Usage: strongswan-inactivity.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-inactivity
strongswan_lab_up

TIMEOUT=6
ike_sas_here() { ctl --json list-sas | python3 -c 'import json,sys; print(sum(s["state"]=="ESTABLISHED" for s in json.load(sys.stdin)["ike_sas"]))'; }
children_here() { ctl --json list-sas | python3 -c 'import json,sys; print(sum(len(s["children"]) for s in json.load(sys.stdin)["ike_sas"]))'; }
none_here() { [ "$(children_here)" -eq 0 ]; }
sw_child_gone() { ! sw_established "$LAB_DIR" net; }
sw_ike_up() { sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -q "^dpike: #.*ESTABLISHED"; }
sw_ike_gone() { ! sw_ike_up; }

round() {
	local v=$1 role=$2 p=$3 e=$4 conn t0 waited
	IKE_VERSION=$v
	conn=$(dpike_conn site-a "\"$p\"" "\"$e\"")
	conn=${conn/esp_proposals = \[\"$e\"\];/esp_proposals = [\"$e\"]; inactivity = \"${TIMEOUT}s\";}
	dpike_conf "" "$conn"
	sw_conf "$p" "$e"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "dut-v$v-$role"
	sw_start "$sw" "$LAB_DIR"
	if [ "$role" = responder ]; then
		sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
	else
		ctl initiate site-a/net >/dev/null || true
	fi
	lab_check "IKEv$v, dpike $role: up" lab_wait_for 20 sw_established "$LAB_DIR" net
	lab_check "IKEv$v, dpike $role: a ping a second for twice the timeout ($((2 * TIMEOUT)) s) gets through" \
		ip netns exec "$hb" ping -c $((2 * TIMEOUT)) -i 1 -W 2 10.1.0.1
	lab_check "IKEv$v, dpike $role: the child kept while traffic ran" test "$(children_here)" -eq 1
	t0=$SECONDS
	lab_check "IKEv$v, dpike $role: quiet, the child closed on dpike" lab_wait_for $((TIMEOUT * 2)) none_here
	waited=$((SECONDS - t0))
	lab_check "IKEv$v, dpike $role: ... not before the timeout (${waited} s)" test "$waited" -ge $((TIMEOUT - 1))
	lab_check "IKEv$v, dpike $role: ... and on strongSwan (dpike's Delete)" lab_wait_for 5 sw_child_gone
	lab_check "IKEv$v, dpike $role: dpike logged why" grep -q "carried nothing for ${TIMEOUT} s (inactivity)" \
		"$LAB_DIR/dut-v$v-$role.log"
	if [ "$role" = responder ]; then
		lab_check "IKEv$v, dpike responder: the IKE SA stays on both sides" \
			bash -c "[ \"\$('$DPIKECTL' -s '$LAB_DIR/dpike.sock' --json list-sas | grep -c '\"ESTABLISHED\"')\" -ge 1 ]"
		lab_check "IKEv$v, dpike responder: ... strongSwan's too" sw_ike_up
	else
		lab_check "IKEv$v, dpike initiator: its only child gone, the IKE SA went with it" \
			lab_wait_for 5 bash -c "[ \"\$('$DPIKECTL' -s '$LAB_DIR/dpike.sock' --json list-sas | grep -c '\"ESTABLISHED\"')\" -eq 0 ]"
		lab_check "IKEv$v, dpike initiator: ... on strongSwan too" lab_wait_for 5 sw_ike_gone
	fi
	lab_round_end
}

round 2 responder aes128gcm16-prfsha256-x25519 aes128gcm16
round 2 initiator aes256-sha256-modp2048 aes256-sha256
round 1 responder aes128-sha256-modp3072 aes128-sha256
round 1 initiator aes256-sha384-ecp384 aes256gcm16
lab_summary strongswan-inactivity
