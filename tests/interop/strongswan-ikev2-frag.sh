#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IKE fragmentation (RFC 7383) against strongSwan (strongswan-lab.sh): both ends limited to
# 200-byte IKE datagrams, so IKE_AUTH and CREATE_CHILD_SA travel in fragments both ways.
# Usage: strongswan-ikev2-frag.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-frag
strongswan_lab_up
dpike_conf "fragment_size = 200;" "$(dpike_conn site-a '"aes256-sha384-modp3072"' '"aes256-sha256-modp3072"')"
sw_conf aes256-sha384-modp3072 aes256-sha256-modp3072
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR" "fragment_size = 200"

sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "strongSwan -> dpike with fragmented IKE_AUTH: established" sw_established "$LAB_DIR" net
lab_check "strongSwan sent fragments" grep -q "splitting IKE message.*into [0-9]* fragments" "$LAB_DIR/charon.log"
lab_check "strongSwan reassembled dpike's fragments" grep -q "IKE message .*reassembled\|received fragment #" "$LAB_DIR/charon.log"
lab_check "traffic through the tunnel" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
old=$(ctl --json list-sas | python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_sas"][0]["children"][0]["spi_in"])')
ctl rekey site-a/net >/dev/null
new_child() { [ "$(ctl --json list-sas | python3 -c 'import json,sys; c=json.load(sys.stdin)["ike_sas"][0]["children"]; print(c[0]["spi_in"] if len(c)==1 else "")')" != "$old" ]; }
lab_check "child rekey with PFS over fragmented CREATE_CHILD_SA" lab_wait_for 15 new_child
lab_check "traffic through the rekeyed child" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
dpike_stop_all
lab_summary strongswan-ikev2-frag
