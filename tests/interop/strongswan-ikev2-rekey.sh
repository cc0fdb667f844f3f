#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Rekeying against strongSwan under a numbered UDP stream (strongswan-lab.sh): child rekey by
# dpike, by strongSwan, then IKE SA rekey by each. Afterwards every datagram arrived exactly
# once, and only the newest SAs exist on both ends.
# Usage: strongswan-ikev2-rekey.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-rekey
strongswan_lab_up
dpike_conf "" "$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16-x25519", "aes128gcm16"')"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16-x25519
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "tunnel up" lab_wait_for 10 dpike_up

# what dpike has: "IKE-SPI child-SPI-in" of its one IKE SA, and how many IKE SAs and ESP SAs
dpike_sas() {
	ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin); i=j["ike_sas"]
print(len(i), len(j["sas"]), i[0]["spi_i"] if i else "-", i[0]["children"][0]["spi_in"] if i and i[0]["children"] else "-")'
}
sw_child_spis() { sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -c " in  "; }
# changed FIELD OLD: the field of dpike_sas (3 IKE SPI, 4 child SPI) differs from OLD, and the old SAs are gone
changed() {
	local now
	read -r -a now <<<"$(dpike_sas)"
	[ "${now[$(($1 - 1))]}" != "$2" ] && [ "${now[0]}" = 1 ] && [ "${now[1]}" = 2 ] && [ "$(sw_child_spis)" = 1 ]
}
field() { dpike_sas | cut -d' ' -f"$1"; }

streams_start
lab_check "stream flows through the tunnel" lab_wait_for 10 streams_received 200

changes=$(spd_changes)
old=$(field 4)
lab_check "dpike rekeys the child SA" ctl rekey site-a/net
lab_check "... new child SA in place, old ones gone on both ends" lab_wait_for 15 changed 4 "$old"
streams_advance 200

old=$(field 4)
sw_ctl "$LAB_DIR" --rekey --child net >/dev/null
lab_check "strongSwan rekeys the child SA: new child in place, old ones gone" lab_wait_for 15 changed 4 "$old"
streams_advance 200
check_rekeys_in_place "$changes" 2

old=$(field 3)
lab_check "dpike rekeys the IKE SA" ctl rekey site-a
lab_check "... new IKE SA, the child carried over" lab_wait_for 15 changed 3 "$old"
streams_advance 200

old=$(field 3)
sw_ctl "$LAB_DIR" --rekey --ike dpike >/dev/null
lab_check "strongSwan rekeys the IKE SA: new IKE SA, the child carried over" lab_wait_for 15 changed 3 "$old"
streams_advance 200

streams_finish "four rekeys"
ctl list-sas
sw_ctl "$LAB_DIR" --list-sas
dpike_stop_all
lab_summary strongswan-ikev2-rekey
