#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# MOBIKE (RFC 4555) against strongSwan (strongswan-lab.sh): strongSwan, the initiator, loses its
# address for a new one (a phone leaving Wi-Fi for mobile data) and tells dpike with
# UPDATE_SA_ADDRESSES from there; the IKE SA and its child follow without a new handshake and
# traffic flows to the new address; the child's updown script runs on neither end for the move, as
# strongSwan runs none. Then with `mobike = no` on dpike's side: not announced, so the IKE SA is
# not moved by MOBIKE.
# Usage: strongswan-mobike.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-mobike
strongswan_lab_up

# established_field KEY: KEY of dpike's one established IKE SA ("-" without one)
established_field() {
	ctl --json list-sas | python3 -c 'import json,sys
s=[x for x in json.load(sys.stdin)["ike_sas"] if x["state"]=="ESTABLISHED"]
print(str(s[0][sys.argv[1]]).lower() if len(s)==1 else "-")' "$1"
}
remote_is() { [ "$(established_field remote)" = "$1" ]; } # ADDR[PORT]
sw_ike_count() { sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -c "^dpike: #" || true; }

# updown_script WHO: a script that adds a line to WHO-updown.txt a run
updown_script() {
	printf '#!/bin/sh\necho "$PLUTO_VERB" >>%s/%s-updown.txt\n' "$LAB_DIR" "$1" >"$LAB_DIR/updown-$1.sh"
	chmod +x "$LAB_DIR/updown-$1.sh"
}
updown_script dpike
updown_script sw
updown_runs() { [ "$(tr '\n' ' ' <"$LAB_DIR/$1-updown.txt" 2>/dev/null)" = "$2" ]; }

# strongSwan on any of its addresses, so that it may move; both ends with an updown script;
# everything else as the other labs
conf_round() {
	IKE_VERSION=2
	dpike_conf "" "$(dpike_conn site-a '"aes256gcm16-prfsha384-x25519"' '"aes256gcm16"' "$1")"
	sed -i "s|esp_proposals = \[\"aes256gcm16\"\];|& updown = \"$LAB_DIR/updown-dpike.sh\";|" "$LAB_DIR/dpike.conf"
	rm -f "$LAB_DIR/dpike-updown.txt" "$LAB_DIR/sw-updown.txt"
	sw_conf aes256gcm16-prfsha384-x25519 aes256gcm16 "" "updown = $LAB_DIR/updown-sw.sh"
	sed -i 's|local_addrs = 192.0.2.1|local_addrs = %any|' "$LAB_DIR/swanctl.conf"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "dut-$2"
	sw_start "$sw" "$LAB_DIR"
	sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
	lab_check "$2: established from 192.0.2.1" sw_established "$LAB_DIR" net
	lab_check "$2: dpike sees the peer at 192.0.2.1:4500" remote_is "192.0.2.1[4500]"
}

# strongSwan's address 192.0.2.1 goes, then 192.0.2.3 comes (added first, it would go with the
# primary address it is secondary to): charon learns it from the kernel and roams
move_strongswan() {
	ip -n "$sw" addr del 192.0.2.1/24 dev sw-wan
	ip -n "$sw" addr add 192.0.2.3/24 dev sw-wan
}

round_end() { # ROUND
	mv "$LAB_DIR/charon.log" "$LAB_DIR/charon-$1.log" 2>/dev/null || true
	dpike_stop_all
	LAB_PIDS=()
	ip -n "$sw" addr del 192.0.2.3/24 dev sw-wan 2>/dev/null || true
	ip -n "$sw" addr add 192.0.2.1/24 dev sw-wan 2>/dev/null || true
	rm -f "$LAB_DIR/charon.vici" "$LAB_DIR/dpike.sock"
}

conf_round "" mobike
lab_check "mobike: both ends announced MOBIKE (list-sas)" [ "$(established_field mobike)" = true ]
lab_check "mobike: traffic flows" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
serial=$(established_field serial)
move_strongswan
lab_check "mobike: dpike moved the IKE SA to 192.0.2.3:4500 (UPDATE_SA_ADDRESSES)" \
	lab_wait_for 20 remote_is "192.0.2.3[4500]"
lab_check "mobike: ... and logged why" grep -q "site-a: peer now at 192.0.2.3:4500 (UPDATE_SA_ADDRESSES" \
	"$LAB_DIR/dut-mobike.log"
lab_check "mobike: the same IKE SA, no new handshake (#$serial)" [ "$(established_field serial)" = "$serial" ]
lab_check "mobike: strongSwan kept its one IKE SA" [ "$(sw_ike_count)" = 1 ]
lab_check "mobike: traffic flows to the new address" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
lab_check "mobike: dpike's child SA sends to 192.0.2.3" bash -c \
	"'$DPIKECTL' -s '$LAB_DIR/dpike.sock' list-sas | grep -q '192.0.2.3'"
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_check "mobike: updown ran up, then down when strongSwan closed the SA, none for the move" \
	lab_wait_for 10 updown_runs dpike "up-client down-client "
lab_check "mobike: ... as strongSwan's own script" lab_wait_for 10 updown_runs sw "up-client down-client "
round_end mobike

conf_round "mobike = false;" no-mobike
lab_check "mobike = false: not announced (list-sas)" [ "$(established_field mobike)" = false ]
lab_check "mobike = false: traffic flows" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
round_end no-mobike
lab_summary strongswan-mobike
