#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# dpike's IKEv1 against strongSwan 5.9 (strongswan-lab.sh with version = 1): Main Mode and Quick
# Mode in both roles, traffic, IPsec SA rekeying by each side and ISAKMP SA reauthentication by
# each side under numbered UDP streams, deletes, ike-scan probes, and malformed ISAKMP input.
# Usage: strongswan-ikev1.sh BUILD_DIR   (run it with the sanitizer build too)
set -eu
IKE_VERSION=1
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-ikev1
strongswan_lab_up
dpike_conf "" "$(dpike_conn site-a '"aes128-sha256-modp3072", "aes256-sha256-modp2048"' '"aes128gcm16", "aes256-sha256"')"
sw_conf aes256-sha256-modp2048 aes256-sha256
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"

v1_sa() { # v1_sa FIELD: a field of dpike's first IKEv1 SA
	ctl --json list-sas | python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin)["ike_sas"] if x["version"]==1]
print(s[0][sys.argv[1]] if s else "-")' "$1"
}
esp_sas() { ctl --json list-sas | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sas"]))'; }

# 1. strongSwan initiates Main Mode and Quick Mode; dpike responds
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >"$LAB_DIR/initiate.log" 2>&1 || true
lab_check "strongSwan -> dpike: ISAKMP SA and IPsec SA established on strongSwan" sw_established "$LAB_DIR" net
lab_check "strongSwan -> dpike: dpike shows the ISAKMP SA with its IPsec SA" lab_wait_for 5 dpike_up
lab_check "dpike lists it as IKEv1 Main Mode, responder" \
	test "$(v1_sa mode) $(v1_sa initiator)" = "Main False"
lab_check "strongSwan used Main Mode" grep -q "ID_PROT request 0 \[ SA V" "$LAB_DIR/charon.log"
# strongSwan's encap = yes fakes a NAT in its NAT-D: both sides float to 4500 (RFC 3947)
lab_check "NAT-T: dpike saw the NAT and floated to UDP 4500" \
	test "$(v1_sa nat) $(v1_sa local) $(v1_sa remote)" = "True 192.0.2.2[4500] 192.0.2.1[4500]"
lab_check "... and its IPsec SAs, made by IKEv1, are UDP-encapsulated" \
	test "$(ctl --json list-sas | python3 -c 'import json,sys; print(all(s["encap"] and s["source"] == "ikev1" for s in json.load(sys.stdin)["sas"]))')" = True
lab_check "ping host-b -> strongSwan's site through the tunnel" ip netns exec "$hb" ping -c 4 -i 0.2 -W 2 -w 15 10.1.0.1
tcp_transfer_check

# 2. dpike deletes (ESP SAs, then the ISAKMP SA); strongSwan must see it go
lab_check "dpikectl terminate site-a" ctl terminate site-a
lab_check "strongSwan saw the ISAKMP SA deleted" lab_wait_for 10 bash -c "! swanctl --list-sas --uri unix://$LAB_DIR/charon.vici | grep -q 'dpike:'"
lab_check "dpike removed the IPsec SAs from the dataplane" test "$(esp_sas)" -eq 0

# 3. dpike initiates
lab_check "dpikectl initiate site-a/net" ctl initiate site-a/net
lab_check "dpike -> strongSwan: established on dpike" lab_wait_for 20 dpike_up
lab_check "dpike -> strongSwan: established on strongSwan" lab_wait_for 10 sw_established "$LAB_DIR" net
lab_check "dpike is the initiator" test "$(v1_sa initiator)" = True
lab_check "ping strongSwan's site -> host-b through the tunnel" \
	ip netns exec "$sw" ping -c 4 -i 0.2 -W 2 -w 15 -I 10.1.0.1 10.2.0.1
lab_check "a second initiate is refused while up" bash -c "! '$DPIKECTL' -s '$LAB_DIR/dpike.sock' initiate site-a/net 2>/dev/null"

# 4. renewals under traffic: Quick Mode rekeys by each side, reauthentication by each side
child_spi() { ctl --json list-sas | python3 -c 'import json,sys; s=[x for x in json.load(sys.stdin)["ike_sas"] if x["version"]==1]
print(s[0]["children"][0]["spi_in"] if s and s[0]["children"] else "-")'; }
sw_child_spis() { sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -c " in  "; }
ike_sas() { ctl --json list-sas | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["ike_sas"]))'; }
# settled WHAT OLD: WHAT (child_spi or the ISAKMP SA's spi_i) moved on from OLD, and only the new SAs remain
settled() {
	local now
	if [ "$1" = child ]; then now=$(child_spi); else now=$(v1_sa spi_i); fi
	[ "$now" != "$2" ] && [ "$now" != - ] && [ "$(ike_sas)" = 1 ] && [ "$(esp_sas)" = 2 ] && [ "$(sw_child_spis)" = 1 ]
}
streams_start
lab_check "stream flows through the tunnel" lab_wait_for 10 streams_received 200

changes=$(spd_changes)
old=$(child_spi)
lab_check "dpike rekeys the IPsec SA (Quick Mode)" ctl rekey site-a/net
lab_check "... new IPsec SA in place, old ones gone on both ends" lab_wait_for 15 settled child "$old"
streams_advance 200

old=$(child_spi)
sw_ctl "$LAB_DIR" --rekey --child net >/dev/null
lab_check "strongSwan rekeys the IPsec SA: new one in place, old ones gone" lab_wait_for 15 settled child "$old"
streams_advance 200
check_rekeys_in_place "$changes" 2

old=$(v1_sa spi_i)
lab_check "dpike reauthenticates the ISAKMP SA" ctl rekey site-a
lab_check "... new ISAKMP SA adopts the IPsec SA; the old ISAKMP SA deleted" lab_wait_for 20 settled ike "$old"
streams_advance 200

old=$(v1_sa spi_i)
sw_ctl "$LAB_DIR" --rekey --ike dpike --reauth >/dev/null 2>&1 || true
lab_check "strongSwan reauthenticates: the new ISAKMP SA adopts the IPsec SA; the old one goes" \
	lab_wait_for 45 settled ike "$old"
streams_advance 200
streams_finish "two Quick Mode rekeys and two reauthentications"
ctl list-sas
sw_ctl "$LAB_DIR" --list-sas

# 5. strongSwan deletes
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_check "strongSwan's delete removes the ISAKMP SA on dpike" lab_wait_for 10 dpike_down
lab_check "... and its IPsec SAs" lab_wait_for 5 bash -c "[ \$('$DPIKECTL' -s '$LAB_DIR/dpike.sock' --json list-sas | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"sas\"]))') -eq 0 ]"

# 6. ike-scan, an independent IKEv1 client
ip netns exec "$sw" timeout 20 ike-scan --sport=0 --retry=2 192.0.2.2 >"$LAB_DIR/scan-default.txt" 2>&1 || true
cat "$LAB_DIR/scan-default.txt"
lab_check "ike-scan's default Main Mode proposal (3DES/MD5/SHA1, modp1024): NO-PROPOSAL-CHOSEN" \
	grep -q "NO-PROPOSAL-CHOSEN" "$LAB_DIR/scan-default.txt"
# AES-256 (7, key length 256), SHA2-256 (4), PSK (1), group 14
ip netns exec "$sw" timeout 20 ike-scan --sport=0 --retry=2 --trans="(1=7,14=256,2=4,3=1,4=14)" 192.0.2.2 \
	>"$LAB_DIR/scan-match.txt" 2>&1 || true
cat "$LAB_DIR/scan-match.txt"
lab_check "ike-scan with an acceptable transform: Main Mode handshake returned" \
	grep -q "Main Mode Handshake returned" "$LAB_DIR/scan-match.txt"
lab_check "... with the transform it offered" grep -q "Enc=AES KeyLength=256 Hash=SHA2-256 Auth=PSK Group=14:modp2048" "$LAB_DIR/scan-match.txt"
ip netns exec "$sw" timeout 20 ike-scan --sport=0 --retry=2 --aggressive --id=probe@example.org \
	--trans="(1=7,14=256,2=4,3=1,4=14)" --dhgroup=14 192.0.2.2 >"$LAB_DIR/scan-am.txt" 2>&1 || true
cat "$LAB_DIR/scan-am.txt"
lab_check "ike-scan Aggressive Mode against a connection without aggressive = yes: refused" \
	bash -c "! grep -q 'Aggressive Mode Handshake returned' '$LAB_DIR/scan-am.txt'"
lab_check "... and counted" test "$(dpike_stat aggressive_refused ikev1)" -ge 1

# 7. a flood of Main Modes no connection accepts: each refused (or, should half-open places run
# out, dropped) and counted, the log kept short
flood_check "Main Modes" isakmp_garbage.py "Main Mode: no connection accepts the proposal" ikev1 no_proposal \
	half_open_dropped

# 8. malformed ISAKMP while a tunnel is up: dropped and counted, never a crash
ctl initiate site-a/net >/dev/null
lab_wait_for 20 dpike_up
invalid0=$(dpike_stat rx_invalid ikev1)
sent=$(ip netns exec "$sw" timeout 60 python3 "$here/isakmp_garbage.py" 192.0.2.2 3000)
more_invalid() { [ "$(dpike_stat rx_invalid ikev1)" -gt "$invalid0" ]; }
lab_check "$sent malformed ISAKMP datagrams counted as invalid" lab_wait_for 10 more_invalid
lab_check "dpike keeps its ISAKMP SA" dpike_up
lab_check "the tunnel still carries traffic" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1

ctl stats | tail -12
dpike_stop_all
lab_summary strongswan-ikev1
