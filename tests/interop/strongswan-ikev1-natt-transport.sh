#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IKEv1 UDP-encapsulated transport mode against strongSwan 5.9 (RFC 3947 5.2): Quick Mode
# carries NAT-OAi and NAT-OAr both ways, inside HASH(1)/HASH(2), and the encapsulation mode is
# UDP-Encapsulated-Transport. strongSwan's encap = yes fakes the NAT. Its kernel-libipsec then
# refuses to install a transport SA ("unsupported mode"), so the traffic side of transport behind
# a NAT (the checksum fix-up of RFC 3948 3.1.2) is checked on the wire with scapy instead
# (scapy-esp.sh). Usage: strongswan-ikev1-natt-transport.sh BUILD_DIR
set -eu
IKE_VERSION=1
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-v1-natt-transport
strongswan_lab_up

# children "net" and "again", both transport between the gateways
transport_conn() {
	dpike_conn site-a '"aes256-sha256-modp2048"' '"aes128gcm16", "aes256-sha256"' |
		sed 's|local_ts = \["10.2.0.0/24"\]; remote_ts = \["10.1.0.0/24"\];|mode = "transport";|;
		     s|esp_proposals = \[\(.*\)\]; } );|esp_proposals = [\1]; },\n    { name = "again"; mode = "transport"; esp_proposals = [\1]; } );|'
}
dpike_conf "" "$(transport_conn)"
sw_conf aes256-sha256-modp2048 aes128gcm16
sed -i 's|local_ts = 10.1.0.0/24|mode = transport|; s|remote_ts = 10.2.0.0/24||' "$LAB_DIR/swanctl.conf"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"

# child FIELD: a field of dpike's first IPsec SA under an IKEv1 SA
child() {
	ctl --json list-sas | python3 -c 'import json,sys; s=[c for x in json.load(sys.stdin)["ike_sas"] if x["version"]==1 for c in x["children"]]
print(s[0][sys.argv[1]] if s else "-")' "$1"
}
hash_failures() { grep -ciE "hash.*(invalid|failed|mismatch)|invalid hash" "$LAB_DIR/charon.log" || true; }

# 1. strongSwan starts Quick Mode
sw_ctl "$LAB_DIR" --initiate --child net --timeout 15 >"$LAB_DIR/initiate.log" 2>&1 || true
lab_check "strongSwan's Quick Mode request carries NAT-OAi and NAT-OAr" \
	grep -qE "generating QUICK_MODE request [0-9]+ \[ HASH SA No ID ID NAT-OA NAT-OA \]" "$LAB_DIR/charon.log"
lab_check "dpike holds the transport SA, UDP-encapsulated ($(child mode) $(child encap))" \
	test "$(child mode) $(child encap)" = "transport True"
lab_check "... with strongSwan's original addresses from its NAT-OA" \
	test "$(child nat_oa_remote) $(child nat_oa_local)" = "192.0.2.1 192.0.2.2"
lab_check "dpike's answer carries NAT-OA both ways and strongSwan accepts its HASH(2) and proposal" \
	grep -qE "parsed QUICK_MODE response [0-9]+ \[ HASH SA No ID ID NAT-OA NAT-OA \]" "$LAB_DIR/charon.log"
lab_check "... strongSwan selected the proposal (UDP-Encapsulated-Transport understood)" \
	grep -q "selected proposal: ESP:AES_GCM_16_128" "$LAB_DIR/charon.log"
lab_check "... no hash failure on strongSwan's side" test "$(hash_failures)" = 0
lab_check "(strongSwan's kernel-libipsec refuses transport mode, as expected here)" \
	grep -q "IPsec SA: unsupported mode" "$LAB_DIR/charon.log"

# 2. dpike starts Quick Mode on the same ISAKMP SA (another child: the first waits for a HASH(3)
# that strongSwan, having failed to install, never sends)
before=$(grep -c "parsed QUICK_MODE request" "$LAB_DIR/charon.log" || true)
lab_check "dpikectl initiate site-a/again" ctl initiate site-a/again
# no IDs: dpike's selectors are the gateways' addresses, which IKEv1 implies without them
parsed_request() { [ "$(grep -cE "parsed QUICK_MODE request [0-9]+ \[ HASH SA No (ID ID )?NAT-OA NAT-OA \]" "$LAB_DIR/charon.log")" -gt "$before" ]; }
lab_check "strongSwan parses dpike's request with NAT-OAi and NAT-OAr" lab_wait_for 10 parsed_request
lab_check "... and selects its proposal (HASH(1) verified)" \
	lab_wait_for 5 bash -c "[ \$(grep -c 'selected proposal: ESP' '$LAB_DIR/charon.log') -ge 2 ]"
lab_check "strongSwan's answer carries NAT-OA both ways" \
	grep -qE "generating QUICK_MODE response [0-9]+ \[ HASH SA No (ID ID )?NAT-OA NAT-OA \]" "$LAB_DIR/charon.log"
lab_check "dpike takes strongSwan's original addresses from it" \
	grep -q "site-a/again: transport checksums fixed up for the peer's original addresses (NAT-OA) 192.0.2.1 -> 192.0.2.2" "$LAB_DIR/dut.log"
hash3_parsed() { grep -qE "parsed QUICK_MODE request [0-9]+ \[ HASH \]" "$LAB_DIR/charon.log"; }
lab_check "dpike confirms with HASH(3), which strongSwan accepts" lab_wait_for 5 hash3_parsed
lab_check "... no hash failure on strongSwan's side" test "$(hash_failures)" = 0
dpike_stop_all
lab_summary strongswan-ikev1-natt-transport
