#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# start_action = trap against strongSwan (strongswan-lab.sh): the first packet from the LAN brings
# the tunnel up and is delivered through it; after the peer deletes the child, the next packet
# brings a new child up on the same IKE SA (CREATE_CHILD_SA).
# Usage: strongswan-ikev2-trap.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-trap
strongswan_lab_up
conn=$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16"')
conn=${conn/esp_proposals = \[\"aes128gcm16\"\];/esp_proposals = [\"aes128gcm16\"]; start_action = \"trap\";}
dpike_conf "" "$conn"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"

lab_check "no tunnel before any traffic" dpike_down
lab_check "the first packet brings the tunnel up and gets through" \
	ip netns exec "$hb" ping -c 1 -W 5 10.1.0.1
lab_check "dpike initiated: IKE SA and child established" dpike_up
lab_check "traffic keeps flowing" ip netns exec "$hb" ping -c 3 -i 0.2 -W 2 10.1.0.1
ike_spi() { ctl --json list-sas | python3 -c 'import json,sys; print(json.load(sys.stdin)["ike_sas"][0]["spi_i"])'; }
spi=$(ike_spi)

sw_ctl "$LAB_DIR" --terminate --child net --timeout 10 >/dev/null 2>&1 || true
no_child() { ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(not (j["ike_sas"] and not j["ike_sas"][0]["children"]))'; }
lab_check "strongSwan deletes the child; the IKE SA stays" lab_wait_for 10 no_child
lab_check "the next packet brings a new child up on the same IKE SA" \
	ip netns exec "$hb" ping -c 1 -W 5 10.1.0.1
lab_check "... same IKE SA ($spi)" test "$(ike_spi)" = "$spi"
lab_check "strongSwan has the child again" lab_wait_for 10 sw_established "$LAB_DIR" net
dpike_stop_all
lab_summary strongswan-ikev2-trap
