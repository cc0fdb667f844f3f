#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# dpike's IKEv2 against strongSwan 5.9: responder and initiator, traffic, delete (strongswan-lab.sh).
# Usage: strongswan-ikev2.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-ikev2
strongswan_lab_up
dpike_conf "" "$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048"' '"aes128gcm16", "aes256-sha256"')"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"
# auto: compact exactly where the code that runs compact keys is dpike's own, but where full keys
# run IPsec-MB's AVX-512 code (with dpike's for short texts) full ones for the first SAs (dataplane/esp.h)
gcm_keys_shown() {
	local stats want="${DPIKE_GCM_KEYS:-auto}"
	stats=$(ctl --json stats)
	if [ "$want" = auto ]; then
		want=full
		echo "$stats" | grep -q '"gcm_code":"dpike' && want=compact
		echo "$stats" | grep -q '"gcm_code":"IPsec-MB AVX-512, dpike VAES up to 96 bytes"' && want=auto
	fi
	echo "$stats" | grep -q "\"gcm_keys\":\"$want\""
}
lab_check "dpikectl stats: the GCM key layout configured (${DPIKE_GCM_KEYS:-auto})" gcm_keys_shown

# 1. strongSwan initiates, dpike responds
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >"$LAB_DIR/initiate.log" 2>&1 || true
lab_check "strongSwan -> dpike: IKE_SA and child SA established on strongSwan" sw_established "$LAB_DIR" net
lab_check "strongSwan -> dpike: dpike shows the IKE SA with its child" lab_wait_for 5 dpike_up
lab_check "ping host-b -> strongSwan's site through the tunnel" ip netns exec "$hb" ping -c 4 -i 0.2 -W 2 -w 15 10.1.0.1
tcp_transfer_check
ctl list-sas

# dpikectl stages: strongSwan's traffic counted in both ESP stages while on, nothing while off
# stage STAGE packets|cycles: the workers' total
stage() {
	ctl --json stages | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["stages"][sys.argv[1]][sys.argv[2]])' "$@"
}
lab_check "dpikectl stages: off unless workers.stage_cycles" \
	bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' stages | grep -q 'stage cycles: off'"
lab_check "dpikectl stages on" ctl stages on
ip netns exec "$hb" ping -c 5 -i 0.2 -W 2 -w 15 10.1.0.1 >/dev/null
stages_saw() {
	[ "$(stage esp_out packets)" -ge 5 ] && [ "$(stage esp_in packets)" -ge 5 ] &&
		[ "$(stage esp_in cycles)" -gt 0 ] && [ "$(stage rx packets)" -ge 10 ]
}
lab_check "dpikectl stages: 5 pings counted through esp_out and esp_in, with their cycles" stages_saw
ctl stages
lab_check "dpikectl stages off" ctl stages off
counted=$(stage classify packets)
ip netns exec "$hb" ping -c 3 -i 0.2 -W 2 -w 15 10.1.0.1 >/dev/null
lab_check "dpikectl stages: nothing counted while off" test "$(stage classify packets)" -eq "$counted"
lab_check "dpikectl stages with a bad argument: a message and a non-zero exit" \
	bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' stages maybe 2>&1 | grep -q 'usage: stages'; ! '$DPIKECTL' -s '$LAB_DIR/dpike.sock' stages maybe >/dev/null 2>&1"

# 2. dpike deletes; strongSwan must see it go
lab_check "dpikectl terminate site-a" ctl terminate site-a
lab_check "strongSwan saw the IKE SA deleted" lab_wait_for 10 bash -c "! swanctl --list-sas --uri unix://$LAB_DIR/charon.vici | grep -q 'dpike:'"
lab_check "dpike removed the child SAs from the dataplane" \
	bash -c "[ \$('$DPIKECTL' -s '$LAB_DIR/dpike.sock' --json list-sas | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"sas\"]))') -eq 0 ]"

# 3. dpike initiates
lab_check "dpikectl initiate site-a/net" ctl initiate site-a/net
lab_check "dpike -> strongSwan: established on dpike" lab_wait_for 20 dpike_up
lab_check "dpike -> strongSwan: established on strongSwan" lab_wait_for 10 sw_established "$LAB_DIR" net
# the decrypted pings' policy verdict: the first looked up, the rest from their SA's memo of it
memo_hits() {
	ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["flow_cache_sa_memo_hits"])'
}
memo_before=$(memo_hits)
lab_check "ping strongSwan's site -> host-b through the tunnel" \
	ip netns exec "$sw" ping -c 4 -i 0.2 -W 2 -w 15 -I 10.1.0.1 10.2.0.1
lab_check "dpikectl stats: the decrypted pings' verdicts from their SA's memo" \
	test "$(memo_hits)" -ge $((memo_before + 3))
# Datagrams bigger than the links: the senders' kernels fragment them, net_af_packet's socket has
# dpike's kernel reassemble them (frames of up to 16 KB), and dpike cuts them again for the tunnel.
for size in 3000 8000; do
	lab_check "$size-byte pings host-b -> site, fragmented on the way" \
		ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 -s "$size" 10.1.0.1
	lab_check "$size-byte pings site -> host-b" ip netns exec "$sw" ping -c 2 -i 0.2 -W 2 -w 10 -s "$size" -I 10.1.0.1 10.2.0.1
done

# 4. strongSwan deletes the child, then the IKE SA
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_check "strongSwan's delete removes the IKE SA on dpike" lab_wait_for 10 dpike_down
lab_check "dpikectl: unknown connection gets a message and a non-zero exit" \
	bash -c "! '$DPIKECTL' -s '$LAB_DIR/dpike.sock' initiate nosuch 2>&1 | grep -q 'no connection'; ! '$DPIKECTL' -s '$LAB_DIR/dpike.sock' initiate nosuch 2>/dev/null"

# 5. bad input while a tunnel is up: answered per RFC or dropped, counted, never a crash
ctl initiate site-a/net >/dev/null
lab_wait_for 20 dpike_up
invalid0=$(dpike_stat rx_invalid)
sent=$(ip netns exec "$sw" timeout 60 python3 "$here/ike_garbage.py" "$DPIKE_IP" 3000)
more_invalid() { [ "$(dpike_stat rx_invalid)" -gt "$invalid0" ]; }
lab_check "$sent malformed IKE datagrams counted as invalid" lab_wait_for 10 more_invalid
lab_check "dpike still answers and keeps its IKE SA" dpike_up
lab_check "the tunnel still carries traffic" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
# a flood of IKE_SA_INITs no connection accepts: each refused and counted, the log kept short
flood_check "IKE_SA_INITs" ike_garbage.py "no connection accepts its proposals" ike no_proposal
# ike-scan's IKEv2 probe: its default proposal (3DES/MD5/modp1024) is refused, but answered
ip netns exec "$sw" timeout 20 ike-scan --ikev2 --sport=0 --retry=2 "$DPIKE_IP" >"$LAB_DIR/ike-scan.txt" 2>&1 || true
lab_check "ike-scan --ikev2: dpike answers with NO_PROPOSAL_CHOSEN" grep -q "NO_PROPOSAL_CHOSEN\|Notify message 14" "$LAB_DIR/ike-scan.txt"
cat "$LAB_DIR/ike-scan.txt"

# 6. The same PSK in swanctl's base64 form (0s...) in dpike's config: strongSwan, with it as text, still authenticates
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
dpike_stop
sed -i "s|secret = \"$PSK\"|secret = \"0s$(printf '%s' "$PSK" | base64 -w0)\"|" "$LAB_DIR/dpike.conf"
lab_check "dpike.conf now holds the PSK as base64" grep -q 'secret = "0s' "$LAB_DIR/dpike.conf"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut-b64
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "PSK as 0s base64: strongSwan -> dpike established" sw_established "$LAB_DIR" net

ctl stats | tail -14
dpike_stop_all
lab_summary strongswan-ikev2
