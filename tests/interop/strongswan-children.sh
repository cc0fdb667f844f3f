#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A connection of several children against strongSwan 5.9 (strongswan-lab.sh), IKEv2 and IKEv1:
#  - start_action = start on two of three children: dpike brings both up by itself (IKEv2: the
#    first in IKE_AUTH, the second by CREATE_CHILD_SA; IKEv1: a Quick Mode each), not the third;
#  - traffic through each, to its own host behind strongSwan;
#  - strongSwan dies without a word: with dpd_action = restart on both, dpike brings both back
#    once the peer returns.
# Usage: strongswan-children.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-children
strongswan_lab_up
for h in 2 3; do ip -n "$sw" addr add "10.1.0.$h/32" dev lo; done

# dpike_children: dpike's connection, children one (10.1.0.1) and two (10.1.0.2) started, three (10.1.0.3) not
dpike_children() {
	local child=' { name = "NAME"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.0.HOST/32"];
                   esp_proposals = ["aes128gcm16"]; dpd_action = "restart"; START } '
	local children="" n=1
	for name in one two three; do
		local c=${child/NAME/$name}
		c=${c/HOST/$n}
		[ "$name" = three ] && c=${c/START/} || c=${c/START/start_action = \"start\";}
		children+="${children:+,}$c"
		n=$((n + 1))
	done
	cat <<EOC
  { name = "multi"; version = $IKE_VERSION; local_addrs = ["$DPIKE_IP"]; remote_addrs = ["$SW_IP"];
    proposals = ["$1"]; dpd_delay = "2s"; dpd_timeout = "6s"; keyingtries = 0;
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "gw-a.example"; };
    children = ( $children ); }
EOC
}

# sw_children: strongSwan's side, the three children as responder
sw_children() {
	local children="" n=1
	for name in one two three; do
		children+="$name { local_ts = 10.1.0.$n/32
		           remote_ts = 10.2.0.0/24
		           esp_proposals = aes128gcm16 }
		"
		n=$((n + 1))
	done
	cat >"$LAB_DIR/swanctl.conf" <<EOC
connections {
  multi {
    version = $IKE_VERSION
    local_addrs = $SW_IP
    remote_addrs = $DPIKE_IP
    proposals = $1
    encap = yes
    local { auth = psk
            id = gw-a.example }
    remote { auth = psk
             id = gw-b.example }
    children { $children }
  }
}
secrets { ike-lab { id-a = gw-a.example
                    id-b = gw-b.example
                    secret = "$PSK" } }
EOC
}

sw_child_up() { sw_established "$LAB_DIR" "$1"; }
sw_child_not_up() { ! sw_established "$LAB_DIR" "$1"; }
both_up() { sw_child_up one && sw_child_up two; }
pings() { ip netns exec "$hb" ping -c 1 -W 2 -w 6 "10.1.0.$1" >/dev/null; }
pings_both() { pings 1 && pings 2; }

for v in 2 1; do
	IKE_VERSION=$v
	proposal=aes128gcm16-prfsha256-x25519
	[ "$v" = 1 ] && proposal=aes256-sha256-modp3072
	# strongSwan first, so that dpike's start finds it listening
	sw_children "$proposal"
	sw_start "$sw" "$LAB_DIR"
	dpike_conf "retransmit_timeout = 1.0; retransmit_base = 1.5; retransmit_tries = 2;" "$(dpike_children "$proposal")"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
	lab_check "IKEv$v: both started children up at strongSwan" lab_wait_for 20 both_up
	lab_check "IKEv$v: ... on one IKE SA" test "$(sw_ctl "$LAB_DIR" --list-sas | grep -c "^multi: #")" -eq 1
	lab_check "IKEv$v: ... the third (start_action none) not" sw_child_not_up three
	lab_check "IKEv$v: traffic through one (10.1.0.1)" pings 1
	lab_check "IKEv$v: traffic through two (10.1.0.2)" pings 2
	kill -9 "$SW_PID"
	lab_wait_gone "$SW_PID" 10 || true
	dpd_seen() { [ "$(dpike_stat dpd_timeouts "$([ "$v" = 1 ] && echo ikev1 || echo ike)")" -ge 1 ]; }
	lab_check "IKEv$v: strongSwan killed: dpike declares it dead (DPD)" lab_wait_for 30 dpd_seen
	rm -f "$LAB_DIR/charon.vici"
	sw_start "$sw" "$LAB_DIR"
	lab_check "IKEv$v: dpd_action = restart brings both children back" lab_wait_for 40 both_up
	lab_check "IKEv$v: ... traffic through both" pings_both
	dpike_stop_all
	LAB_PIDS=()
	rm -f "$LAB_DIR/charon.vici" "$LAB_DIR/dpike.sock" "$LAB_DIR/charon.log"
done
lab_summary strongswan-children
