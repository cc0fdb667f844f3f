#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Jumbo frames (mtu = 9000 on both of dpike's interfaces and the lab's links) through a tunnel with
# strongSwan (IKEv2, AES-GCM and AES-CBC + HMAC): host-b's 8,000-byte pings to the site go out as
# one ESP packet each (seen on the wire), strongSwan takes them, the answers come back; a packet
# too big even for 9000 (DF set) is answered with ICMP fragmentation needed naming the room left.
# Usage: strongswan-jumbo.sh BUILD_DIR
set -eu
export LAB_MTU=9000
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-jumbo
strongswan_lab_up

big_ping() { ip netns exec "$hb" ping -c 3 -i 0.2 -W 2 -w 10 -M dont -s "$1" 10.1.0.1 >/dev/null; }
for esp in aes128gcm16 aes256-sha256; do
	lab_round_start 2 aes128gcm16-prfsha256-x25519 "$esp" "" "dut-$esp"
	lab_check "$esp: tunnel up over a 9000-byte MTU" lab_wait_for 20 dpike_up
	ip netns exec "$sw" timeout 15 tcpdump -ni sw-wan -c 3 "src $DPIKE_IP and udp port 4500 and greater 8000 and ip[6:2] & 0x3fff = 0" \
		>"$LAB_DIR/big-$esp.txt" 2>&1 &
	cap=$!
	lab_wait_for 5 bash -c "grep -q 'listening on' '$LAB_DIR/big-$esp.txt'" || true
	lab_check "$esp: host-b's 8,000-byte pings to the site answered" big_ping 8000
	wait "$cap" || true
	lab_check "$esp: each went out as one ESP packet over 8,000 bytes, not in fragments ($(grep -c ' > ' "$LAB_DIR/big-$esp.txt") seen)" \
		test "$(grep -c ' > ' "$LAB_DIR/big-$esp.txt")" -ge 3
	ip -n "$hb" route flush cache # what the last round taught host-b of the path MTU
	frag_needed() { ip netns exec "$hb" ping -c 1 -W 2 -M do -s 8972 10.1.0.1 2>&1 | grep -q "mtu = 89[0-9][0-9]"; }
	lab_check "$esp: 9000 bytes with DF set do not fit the tunnel: ICMP fragmentation needed, mtu below 9000" frag_needed
	lab_round_end
done
lab_summary strongswan-jumbo
