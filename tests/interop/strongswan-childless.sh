#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Childless IKE SAs (RFC 6023, swanctl's childless) against strongSwan (strongswan-lab.sh):
#  - strongSwan childless = force initiates: dpike announces CHILDLESS_IKEV2_SUPPORTED, takes an
#    IKE_AUTH without a child, then the child by CREATE_CHILD_SA; traffic flows;
#  - dpike childless = force initiates the same way to strongSwan;
#  - dpike childless = never: strongSwan, forced, finds no support and stops;
#  - dpike forced, strongSwan childless = never: dpike finds no support and stops before IKE_AUTH.
# Usage: strongswan-childless.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-childless
strongswan_lab_up
P=aes128gcm16-prfsha256-x25519 E=aes128gcm16
ping_site() { ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1 >/dev/null; }

# start LOG DPIKE_CHILDLESS SW_CHILDLESS: both ends with those settings
start() {
	dpike_conf "" "$(dpike_conn site-a "\"$P\"" "\"$E\"" "childless = \"$2\";")"
	sw_conf "$P" "$E" "childless = $3"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "$1"
	sw_start "$sw" "$LAB_DIR"
}

start dut-sw-forced allow force
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >"$LAB_DIR/init-sw.log" 2>&1 || true
lab_check "strongSwan childless = force -> dpike: established, the child too" sw_established "$LAB_DIR" net
lab_check "... IKE_AUTH carried no child, the child came by CREATE_CHILD_SA" \
	bash -c "grep -qE 'generating IKE_AUTH request 1 \[ IDi [^]]*AUTH [^]]*\]' '$LAB_DIR/init-sw.log' &&
		! grep -qE 'generating IKE_AUTH request 1 \[[^]]* SA TSi TSr' '$LAB_DIR/init-sw.log' &&
		grep -qE 'generating CREATE_CHILD_SA request' '$LAB_DIR/init-sw.log'"
lab_check "... dpike announced CHILDLESS_IKEV2_SUPPORTED" grep -qE "parsed IKE_SA_INIT response 0 \[[^]]*N\(CHDLESS_SUP\)" "$LAB_DIR/init-sw.log"
lab_check "... traffic flows" ping_site
lab_round_end

start dut-dpike-forced force allow
ctl initiate site-a/net >/dev/null || true
lab_check "dpike childless = force -> strongSwan: established, the child too" lab_wait_for 20 sw_established "$LAB_DIR" net
lab_check "... strongSwan saw an IKE_AUTH without a child, then CREATE_CHILD_SA" \
	bash -c "grep -qE 'parsed IKE_AUTH request 1 \[' '$LAB_DIR/charon.log' &&
		! grep -qE 'parsed IKE_AUTH request 1 \[[^]]* SA TSi TSr' '$LAB_DIR/charon.log' &&
		grep -qE 'parsed CREATE_CHILD_SA request' '$LAB_DIR/charon.log'"
lab_check "... traffic flows" ping_site
lab_round_end

start dut-never never force
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >"$LAB_DIR/init-never.log" 2>&1 || true
lab_check "dpike childless = never: strongSwan, forced, finds no support" \
	grep -q "peer does not support childless IKE_SA initiation" "$LAB_DIR/init-never.log"
lab_check "... nothing established" bash -c "! '$DPIKECTL' -s '$LAB_DIR/dpike.sock' --json list-sas | grep -q ESTABLISHED"
lab_round_end

start dut-sw-never force never
ctl initiate site-a/net >/dev/null || true
lab_check "strongSwan childless = never: dpike, forced, stops before IKE_AUTH and says why" \
	lab_wait_for 10 grep -q "the peer does not support childless IKE_SA initiation" "$LAB_DIR/dut-sw-never.log"
lab_check "... nothing established" bash -c "! swanctl --list-sas --uri unix://$LAB_DIR/charon.vici | grep -q ESTABLISHED"
lab_round_end
lab_summary strongswan-childless
