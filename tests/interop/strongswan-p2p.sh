#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# dpike on a point-to-point WAN, as carrier links often are, against strongSwan (IKEv2): a /31
# (RFC 3021: both addresses hosts, no network or broadcast address) and a /32 whose gateway sits
# outside it, reached by a route naming the interface. Each: strongSwan brings the tunnel up and
# host-b pings the site behind it; then dpike brings it up (resolving its peer, or its gateway,
# by ARP) and pings go through again.
# Usage: strongswan-p2p.sh BUILD_DIR [31|32] (both when none is named, each in a lab of its own)
set -eu
if [ $# -lt 2 ]; then
	rc=0
	for len in 31 32; do bash "$0" "$1" "$len" || rc=1; done
	exit $rc
fi
case $2 in
31) export LAB_DPIKE_WAN=198.51.100.0/31 LAB_SW_WAN=198.51.100.1/31 ;;
32) export LAB_DPIKE_WAN=203.0.113.2/32 LAB_SW_WAN=203.0.113.1/24
    export LAB_DPIKE_ROUTES='{ prefix = "0.0.0.0/0"; via = "203.0.113.1"; interface = "wan"; }' ;;
*) echo "usage: $0 BUILD_DIR [31|32]" >&2; exit 2 ;;
esac
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init "sw-p2p$2"
strongswan_lab_up

ping_site() { ip netns exec "$hb" ping -c 3 -i 0.2 -W 2 -w 10 10.1.0.1 >/dev/null; }
lab_round_start 2 aes128gcm16-prfsha256-x25519 aes128gcm16 "" dut
lab_check "/$2 ($LAB_DPIKE_WAN): strongSwan brings the tunnel up" lab_wait_for 20 dpike_up
lab_check "/$2: host-b pings the site through it" ping_site
ctl terminate site-a >/dev/null
lab_wait_for 10 dpike_down || true
ctl initiate site-a/net >/dev/null || true
lab_check "/$2: dpike brings it up again (its next hop found by ARP)" lab_wait_for 20 dpike_up
lab_check "/$2: pings again" ping_site
lab_check "/$2: dpikectl status shows the address" bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' status | grep -q '$LAB_DPIKE_WAN'"
dpike_stop_all
lab_summary "strongswan-p2p/$2"
