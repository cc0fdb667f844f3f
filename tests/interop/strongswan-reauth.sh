#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IKEv2 reauthentication (swanctl's reauth_time, RFC 7296 2.8.3, RFC 4478 AUTH_LIFETIME) against
# strongSwan (strongswan-lab.sh):
# 1. dpike reauthenticates by its reauth_time, make-before-break: a new IKE SA with both started
#    children, then the old one deleted; UDP streams both ways lose and double nothing; an IKE
#    rekey in between keeps the time of the authentication; both ends keep one IKE SA.
# 2. dpike as a client of strongSwan's pool asks for the address it had and gets it back; again
#    when dpikectl reauth asks for a reauthentication at once.
# 3. dpike as responder with reauth_time tells strongSwan its authentication lifetime
#    (AUTH_LIFETIME), and strongSwan, with none of its own, reauthenticates by it.
# 4. strongSwan, responder with reauth_time (it sends no AUTH_LIFETIME), reauthenticates dpike by
#    itself: dpike keeps the new IKE SA alone and starts nothing of its own.
# (dpike taking an AUTH_LIFETIME is in the unit tests' two-daemon harness: strongSwan sends none.)
# 5. strongSwan reauthenticates dpike (make_before_break = yes): no datagram lost either way. dpike,
#    the responder of the new IKE SA, keeps sending on the old child until strongSwan is known to
#    have read the answer that installs the new one (its first datagram on it, or its Delete of
#    the old IKE SA).
# Usage: strongswan-reauth.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-reauth
strongswan_lab_up
ip -n "$sw" addr add 10.1.1.1/32 dev lo # behind strongSwan's second child

# dpike_two NAME EXTRA: dpike's connection to strongSwan with children net and net2, both started.
dpike_two() {
	cat <<EOC
  { name = "$1"; version = 2; local_addrs = ["$DPIKE_IP"]; remote_addrs = ["$SW_IP"]; $2
    proposals = ["aes128gcm16-prfsha256-x25519"];
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "gw-a.example"; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.0.0/24"]; esp_proposals = ["aes128gcm16"];
                   start_action = "start"; },
                 { name = "net2"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.1.0/24"]; esp_proposals = ["aes256gcm16"];
                   start_action = "start"; } ); }
EOC
}

# sw_two EXTRA: strongSwan's side of dpike_two.
sw_two() {
	sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16 "$1"
	python3 - "$LAB_DIR/swanctl.conf" <<'EOP'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("      }\n    }\n  }\n}\nsecrets", "      }\n      net2 {\n        local_ts = 10.1.1.0/24\n"
              "        remote_ts = 10.2.0.0/24\n        esp_proposals = aes256gcm16\n      }\n    }\n  }\n}\nsecrets", 1)
open(p, "w").write(s)
EOP
}

sas_json() { ctl --json list-sas; }
# dpike_sas: "IKE_SAs CHILDREN" of dpike's established IKE SAs.
dpike_sas() {
	sas_json | python3 -c '
import json, sys
sas = [s for s in json.load(sys.stdin)["ike_sas"] if s["state"] == "ESTABLISHED"]
print(len(sas), sum(len(s["children"]) for s in sas))'
}
dpike_field() { # dpike_field KEY: the key of dpike's first established IKE SA
	sas_json | python3 -c '
import json, sys
sas = [s for s in json.load(sys.stdin)["ike_sas"] if s["state"] == "ESTABLISHED"]
print(sas[0][sys.argv[1]] if sas else "")' "$1"
}
# sw_sas: "IKE_SAs CHILDREN" of strongSwan's.
sw_sas() {
	local out
	out=$(sw_ctl "$LAB_DIR" --list-sas 2>/dev/null)
	echo "$(grep -c '^dpike: #.*ESTABLISHED' <<<"$out") $(grep -c ': #.*INSTALLED' <<<"$out")"
}
reauths() { grep -c "reauthenticated as IKE_SA" "$LAB_DIR/$1.log" || true; }
both_settled() { [ "$(dpike_sas)" = "1 $1" ] && [ "$(sw_sas)" = "1 $1" ]; }
spi_of_first() { dpike_field spi_i; }
# new_sa: dpike holds one IKE SA with one child, not the one of SPI $first_spi.
new_sa() { [ "$(dpike_sas)" = "1 1" ] && [ "$(spi_of_first)" != "$first_spi" ]; }
ping_net2() { ip netns exec "$hb" ping -c 1 -W 2 -w 6 10.1.1.1 >/dev/null; }

# ---- 1: dpike reauthenticates, with an IKE rekey between ----
dpike_conf "" "$(dpike_two site-a 'reauth_time = 10; over_time = 10; rand_time = 0; rekey_time = 3;')"
sw_two "rekey_time = 0"
sw_start "$sw" "$LAB_DIR"
dpike_start "$dut" "$LAB_DIR/dpike.conf" r1
lab_check "1: dpike brings both children up" lab_wait_for 20 both_settled 2
lab_wait_for 10 one_ping || true
first_spi=$(spi_of_first)
streams_start
lab_check "1: dpike rekeys the IKE SA by rekey_time" lab_wait_for 10 grep -q "rekeyed into" "$LAB_DIR/r1.log"
reauth_after_rekey=$(dpike_field reauth_in_s)
lab_check "1: the rekeyed IKE SA keeps the time of the authentication (reauth in ${reauth_after_rekey}s, not 10s)" \
	test "${reauth_after_rekey:-99}" -le 8
lab_check "1: dpike reauthenticates by reauth_time" lab_wait_for 20 bash -c "[ \$(grep -c 'reauthenticated as IKE_SA' '$LAB_DIR/r1.log') -ge 1 ]"
lab_check "1: a new IKE SA (SPIs $first_spi -> $(spi_of_first))" test "$(spi_of_first)" != "$first_spi"
lab_check "1: both ends settle on one IKE SA with both children" lab_wait_for 10 both_settled 2
lab_check "1: INITIAL_CONTACT in the first IKE_AUTH only, not in the reauthentication's" \
	test "$(grep -c 'parsed IKE_AUTH request.*N(INIT_CONTACT)' "$LAB_DIR/charon.log")" -eq 1
lab_check "1: the second child carries traffic on the new IKE SA" ping_net2
streams_advance 400
streams_finish "dpike's reauthentication"
# strongSwan sends on the new child as soon as it answers: what came before dpike had read the
# answer was held for the SA (esp_held) and passed on, not dropped
ctl stats | grep -E "esp_held|esp_unknown_spi" || true
lab_check "1: each new child took its predecessor's policies over (logged as replacing an older SA)" \
	test "$(grep -c 'replacing an older SA' "$LAB_DIR/r1.log")" -ge 2
lab_round_end

# ---- 2: a client keeps its virtual IP ----
dpike_conf "" "$(cat <<EOC
  { name = "client"; version = 2; local_addrs = ["$DPIKE_IP"]; remote_addrs = ["$SW_IP"]; vips = "0.0.0.0";
    reauth_time = 6; over_time = 10; rand_time = 0; rekey_time = 0;
    proposals = ["aes128gcm16-prfsha256-x25519"];
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "gw-a.example"; };
    children = ( { name = "net"; local_ts = ["dynamic"]; remote_ts = ["10.1.0.0/24"]; esp_proposals = ["aes128gcm16"];
                   start_action = "start"; } ); }
EOC
)"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16 "pools = vpool
    rekey_time = 0" "remote_ts = dynamic"
printf 'pools {\n  vpool {\n    addrs = 10.3.9.0/29\n  }\n}\n' >>"$LAB_DIR/swanctl.conf"
sed -i 's#remote_ts = 10.2.0.0/24##' "$LAB_DIR/swanctl.conf"
sw_start "$sw" "$LAB_DIR"
dpike_start "$dut" "$LAB_DIR/dpike.conf" r2
lab_check "2: dpike gets a virtual IP" lab_wait_for 20 both_settled 1
vip=$(dpike_field local_vip)
lab_check "2: dpike reauthenticates" lab_wait_for 20 bash -c "[ \$(grep -c 'reauthenticated as IKE_SA' '$LAB_DIR/r2.log') -ge 1 ]"
lab_check "2: both ends settle on one IKE SA" lab_wait_for 10 both_settled 1
lab_check "2: the new IKE SA has the same virtual IP ($vip -> $(dpike_field local_vip))" \
	test -n "$vip" -a "$(dpike_field local_vip)" = "$vip"
lab_check "2: dpike asked for it by name" grep -q "peer requested virtual IP $vip" "$LAB_DIR/charon.log"
first_spi=$(spi_of_first)
lab_check "2: dpikectl reauth starts one now" ctl reauth client
new_vip_sa() { [ "$(dpike_sas)" = "1 1" ] && [ "$(spi_of_first)" != "$first_spi" ] && [ "$(sw_sas)" = "1 1" ]; }
lab_check "2: ... a new IKE SA on both ends, the old one gone" lab_wait_for 10 new_vip_sa
lab_check "2: ... with the same virtual IP" test "$(dpike_field local_vip)" = "$vip"
refused() { ! ctl reauth "$1" >"$LAB_DIR/refused.txt" 2>&1 && [ -s "$LAB_DIR/refused.txt" ]; }
lab_check "2: dpikectl reauth of a child is refused with a message" refused client/net
lab_check "2: dpikectl reauth of no such connection is refused with a message" refused nosuch
lab_round_end

# ---- 3: dpike, responder, tells strongSwan when to reauthenticate ----
dpike_conf "" "$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16"' 'reauth_time = 8; over_time = 10; rand_time = 0;')"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16 "rekey_time = 0
    over_time = 5s"
sw_start "$sw" "$LAB_DIR"
dpike_start "$dut" "$LAB_DIR/dpike.conf" r3
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "3: strongSwan brings the tunnel up" lab_wait_for 20 both_settled 1
first_spi=$(spi_of_first)
lab_check "3: strongSwan takes dpike's AUTH_LIFETIME" \
	lab_wait_for 10 grep -q "received AUTH_LIFETIME of [78]s, scheduling reauthentication" "$LAB_DIR/charon.log"
lab_check "3: ... and reauthenticates by it" lab_wait_for 20 grep -q "reauthenticating IKE_SA" "$LAB_DIR/charon.log"
lab_check "3: dpike holds the new IKE SA alone" lab_wait_for 15 new_sa
lab_check "3: traffic on it" one_ping
lab_round_end

# ---- 4: strongSwan, responder, reauthenticates by itself ----
conn=$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16"' 'rekey_time = 0;')
dpike_conf "" "${conn/esp_proposals = \[\"aes128gcm16\"\];/esp_proposals = [\"aes128gcm16\"]; start_action = \"start\";}"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16 "reauth_time = 10s
    over_time = 10s
    rand_time = 0
    rekey_time = 0"
sw_start "$sw" "$LAB_DIR"
dpike_start "$dut" "$LAB_DIR/dpike.conf" r4
lab_check "4: dpike brings the tunnel up" lab_wait_for 20 both_settled 1
first_spi=$(spi_of_first)
lab_check "4: strongSwan reauthenticates as the original responder" \
	lab_wait_for 20 grep -q "reauthenticating IKE_SA" "$LAB_DIR/charon.log"
lab_check "4: dpike holds the new IKE SA alone" lab_wait_for 15 new_sa
lab_check "4: traffic on it" one_ping
lab_check "4: dpike started no IKE SA of its own after the first" test "$(grep -c 'initiating IKE_SA' "$LAB_DIR/r4.log")" -eq 1
lab_round_end

# ---- 5: strongSwan reauthenticates, make before break ----
dpike_conf "" "$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16"')"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16 "reauth_time = 6s
    over_time = 10s
    rekey_time = 0"
sw_start "$sw" "$LAB_DIR" "make_before_break = yes"
dpike_start "$dut" "$LAB_DIR/dpike.conf" r5
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "5: strongSwan brings the tunnel up" lab_wait_for 20 both_settled 1
lab_wait_for 10 one_ping || true
streams_start
sw_reauths() { [ "$(grep -c 'reauthenticating IKE_SA' "$LAB_DIR/charon.log")" -ge 2 ]; }
lab_check "5: strongSwan reauthenticates twice" lab_wait_for 30 sw_reauths
lab_check "5: both ends settle on one IKE SA" lab_wait_for 10 both_settled 1
streams_advance 400
streams_finish "strongSwan's reauthentications"
lab_check "5: dpike moved its traffic to each new child once strongSwan had it" \
	test "$(grep -c -E 'takes the traffic of .* over: (the peer sends on it|the old SA goes)' "$LAB_DIR/r5.log")" -ge 2
lab_round_end
lab_summary strongswan-reauth
