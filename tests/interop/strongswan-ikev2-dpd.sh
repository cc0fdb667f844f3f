#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# DPD and cookies against strongSwan (strongswan-lab.sh):
#  - cookie_threshold = 0: every IKE_SA_INIT gets a COOKIE, and strongSwan still connects;
#  - the peer is killed: dpike notices within dpd_delay plus its retransmissions, and with
#    dpd_action = restart brings the tunnel back once the peer returns.
# Usage: strongswan-ikev2-dpd.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-dpd
strongswan_lab_up
conn=$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16"' 'dpd_delay = "2s"; keyingtries = 0;')
conn=${conn/esp_proposals = \[\"aes128gcm16\"\];/esp_proposals = [\"aes128gcm16\"]; dpd_action = \"restart\";}
dpike_conf "cookie_threshold = 0; retransmit_timeout = 1.0; retransmit_base = 1.5; retransmit_tries = 2;" "$conn"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"
sw_pid=${LAB_PIDS[-1]}

sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "cookies on every IKE_SA_INIT: strongSwan still establishes" sw_established "$LAB_DIR" net
lab_check "dpike sent a COOKIE" test "$(dpike_stat cookies_sent)" -gt 0
lab_check "ping through the tunnel" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1

# DPD: kill the peer without a word
kill -9 "$sw_pid"
start=$SECONDS
dpd_seen() { [ "$(dpike_stat dpd_timeouts)" -ge 1 ]; }
lab_check "dpike declares the peer dead (DPD)" lab_wait_for 30 dpd_seen
elapsed=$((SECONDS - start))
# dpd_delay 2 s, then retransmissions after 1, 1.5 and 2.25 s: about 7 s, plus the poll
lab_check "... within the configured time ($elapsed s <= 12 s)" test "$elapsed" -le 12
lab_check "dpike removed the dead peer's child SAs" \
	bash -c "[ \$('$DPIKECTL' -s '$LAB_DIR/dpike.sock' --json list-sas | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"sas\"]))') -eq 0 ]"

# dpd_action = restart: once the peer is back, dpike brings the tunnel up again by itself
rm -f "$LAB_DIR/charon.vici"
sw_start "$sw" "$LAB_DIR"
lab_check "dpd_action = restart: tunnel back after the peer returns" lab_wait_for 40 dpike_up
lab_check "strongSwan has the child again" lab_wait_for 10 sw_established "$LAB_DIR" net
lab_check "ping through the restored tunnel" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
dpike_stop_all
lab_summary strongswan-ikev2-dpd
