#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IKEv1 against strongSwan 5.9 (strongswan-lab.sh with version = 1), beyond the basics:
#  - a proposal matrix: every phase 1 cipher, hash and group (the weak ones listed explicitly),
#    ESP with and without PFS, AES-CTR, AES-CCM, 3DES, HMAC-MD5 and AES-XCBC, each
#    case with dpike as responder (strongSwan proposes one) and as initiator (dpike proposes one);
#  - Aggressive Mode in both roles for a connection with aggressive = yes, and refused for one
#    without; two Quick Mode SAs under one ISAKMP SA;
#  - DPD (RFC 3706): answered while the peer lives, and the peer declared dead once killed.
# Usage: strongswan-ikev1-modes.sh BUILD_DIR
set -eu
IKE_VERSION=1
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-ikev1-modes
strongswan_lab_up

# phase 1 proposal | ESP proposal (a group in it means PFS)
MATRIX=(
	"aes128-sha1-modp2048|aes128-sha1"
	"aes256-sha256-modp3072|aes256-sha256-modp3072"
	"aes128-sha384-modp4096|aes128gcm16"
	"aes256-sha512-ecp256|aes256gcm16-ecp256"
	"aes128-sha256-ecp384|aes128-sha256-ecp384"
	"aes256-sha1-ecp521|aes256-sha1"
	"aes192-sha256-modp2048|aes128gcm16-modp2048"
	"aes128-sha256-x25519|aes128gcm16-x25519"
	"aes256-sha384-ecp384bp|aes256-sha384-ecp224"
	"aes128-sha512-modp2048|aes192-sha512-modp2048"
	"aes256-sha256-modp6144|aes128gcm12"
	"aes128-sha1-ecp256|null-sha512"
	"aes256-sha256-modp2048|aes256ccm16"
	"aes128-sha1-modp2048|aes192ctr-sha256-modp2048"
	"aes192-sha384-ecp256|aes128-aesxcbc"
	"3des-sha1-modp1024|aes128-sha1-modp1536"
	"aes128-sha256-modp768|aes256-sha256"
	"3des-md5-modp1024|3des-md5"
	"aes256-md5-modp2048|aes128ctr-md5"
)
# the last four are weak (3DES, MD5, groups 1, 2, 5): dpike takes them only because they are listed
conns=$(matrix_conns)
dpike_conf "" "$conns"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
lab_check "weak proposals load with a warning naming them" grep -q "3des-sha1-modp1024' uses 3DES, MD5 or DH group" "$LAB_DIR/dut.log"
lab_check "... MD5 among them" grep -q "3des-md5' uses 3DES, MD5 or DH group" "$LAB_DIR/dut.log"
sw_conf "${MATRIX[0]%%|*}" "${MATRIX[0]##*|}"
# strongSwan, like dpike, answers Aggressive Mode with a PSK only when told to
sw_start "$sw" "$LAB_DIR" "i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
sw_pid=${LAB_PIDS[-1]}

sw_down() { sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true; lab_wait_for 10 dpike_down || true; }
v1_field() { # v1_field CONN FIELD
	ctl --json list-sas | python3 -c 'import json,sys
s=[x for x in json.load(sys.stdin)["ike_sas"] if x["version"]==1 and x["name"]==sys.argv[1] and x["state"]=="ESTABLISHED"]
print(s[0][sys.argv[2]] if s else "-")' "$1" "$2"
}

# 1. matrix, dpike as responder
matrix_as_responder
lab_check "strongSwan saw PFS in Quick Mode (a KE payload)" grep -q "QUICK_MODE request .*\[ HASH SA No KE ID ID \]" "$LAB_DIR/charon.log"

# 2. matrix, dpike as initiator
matrix_as_initiator
lab_check "strongSwan never retransmitted in the matrix: each answer arrived (a lossless path)" \
	bash -c "! grep -q 'retransmit' '$LAB_DIR/charon.log'"
# the X25519 case's Main Mode key exchange went through the batch (env.batch_key_exchanges), both ways
v1_batched() { ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["ikev1"]["ke_batched"])'; }
lab_check "X25519 Main Modes done through the batched key exchange, as responder and initiator (2 or more)" \
	test "$(v1_batched)" -ge 2
dpike_stop

# 3. Aggressive Mode; two children; DPD
conns=$(cat <<EOC
  { name = "am"; version = 1; aggressive = true; local_addrs = ["$DPIKE_IP"]; remote_addrs = ["$SW_IP"];
    proposals = ["aes256-sha256-modp2048"]; dpd_delay = "3s"; dpd_timeout = "6s";
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "gw-a.example"; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.0.0/24"]; esp_proposals = ["aes256-sha256"]; },
                 { name = "net2"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.1.0/24"];
                   esp_proposals = ["aes128gcm16-modp2048"]; } ); }
EOC
)
dpike_conf "" "$conns"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut2
lab_check "loading an Aggressive Mode PSK connection warns about offline guessing" \
	grep -q "Aggressive Mode with a PSK exposes the PSK hash" "$LAB_DIR/dut2.log"
ip -n "$sw" addr add 10.1.1.1/32 dev lo
sw_reload aes256-sha256-modp2048 aes256-sha256 "aggressive = yes
    dpd_delay = 1s"
sed -i 's/^      net {$/      net2 {\n        local_ts = 10.1.1.0\/24\n        remote_ts = 10.2.0.0\/24\n        esp_proposals = aes128gcm16-modp2048\n      }\n      net {/' "$LAB_DIR/swanctl.conf"
sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null

sw_ctl "$LAB_DIR" --initiate --child net --timeout 15 >"$LAB_DIR/init.log" 2>&1 || true
lab_check "Aggressive Mode, strongSwan initiates: established" sw_established "$LAB_DIR" net
lab_check "... strongSwan used Aggressive Mode" grep -q "AGGRESSIVE request 0 \[ SA KE No ID" "$LAB_DIR/charon.log"
lab_check "... dpike lists it as Aggressive Mode" test "$(v1_field am mode)" = Aggressive
lab_check "... traffic" one_ping
tcp_transfer_check
sw_ctl "$LAB_DIR" --initiate --child net2 --timeout 15 >/dev/null 2>&1 || true
lab_check "a second Quick Mode under the same ISAKMP SA (with PFS): established" sw_established "$LAB_DIR" net2
lab_check "... dpike has both IPsec SAs under one ISAKMP SA" \
	test "$(ctl --json list-sas | python3 -c 'import json,sys; print(sum(len(s["children"]) for s in json.load(sys.stdin)["ike_sas"]))')" = 2
lab_check "... traffic on the second" ip netns exec "$hb" ping -c 1 -W 2 -w 6 10.1.1.1
dpd_answered() { grep -q "parsed INFORMATIONAL_V1 request .*N(DPD_ACK)" "$LAB_DIR/charon.log"; }
lab_check "DPD: strongSwan's R-U-THERE answered with an ACK while idle" lab_wait_for 15 dpd_answered
lab_check "... still established" dpike_up am
sw_down

ctl initiate am/net >/dev/null
lab_check "Aggressive Mode, dpike initiates: established on dpike" lab_wait_for 15 dpike_up am
lab_check "... on strongSwan" lab_wait_for 10 sw_established "$LAB_DIR" net
lab_check "... dpike is the initiator, in Aggressive Mode" test "$(v1_field am initiator) $(v1_field am mode)" = "True Aggressive"
lab_check "... traffic" one_ping
tcp_transfer_check

# DPD: the peer dies without a word
kill -9 "$sw_pid"
dead_seen() { [ "$(dpike_stat dpd_timeouts ikev1)" -ge 1 ]; }
start=$SECONDS
lab_check "DPD: dpike declares the killed peer dead" lab_wait_for 30 dead_seen
# dpd_delay 3 s of silence, then dpd_timeout 6 s of unanswered R-U-THERE, plus the poll
lab_check "... within dpd_delay + dpd_timeout ($((SECONDS - start)) s <= 13 s)" test $((SECONDS - start)) -le 13
lab_check "... and removed its IPsec SAs" \
	test "$(ctl --json list-sas | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sas"]))')" = 0
dpike_stop

# 4. Aggressive Mode refused for a Main-Mode-only connection
dpike_conf "" "$(dpike_conn mm '"aes256-sha256-modp2048"' '"aes256-sha256"')"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut3
rm -f "$LAB_DIR/charon.vici"
sw_conf aes256-sha256-modp2048 aes256-sha256 "aggressive = yes"
sw_start "$sw" "$LAB_DIR" "i_dont_care_about_security_and_use_aggressive_mode_psk = yes"
sw_ctl "$LAB_DIR" --initiate --child net --timeout 10 >"$LAB_DIR/init.log" 2>&1 || true
lab_check "Aggressive Mode to a Main-Mode-only connection: not established" bash -c "! grep -q 'established with SPIs' '$LAB_DIR/init.log'"
lab_check "... refused and counted by dpike" test "$(dpike_stat aggressive_refused ikev1)" -ge 1
lab_check "... with a log line saying why" grep -q "Aggressive Mode refused" "$LAB_DIR/dut3.log"
lab_check "... and no ISAKMP SA left behind" dpike_down
dpike_stop_all
lab_summary strongswan-ikev1-modes
