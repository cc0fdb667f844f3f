#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IP fragments to dpike against strongSwan (strongswan-lab.sh): strongSwan's route to dpike has a
# 576-byte MTU and its IKE fragmentation is off, so its kernel cuts IKE_SA_INIT (a 4096-bit MODP
# key) and every large ESP-in-UDP datagram into IP fragments. dpike's WAN port is on libpcap
# (net_pcap), which hands them over as they came, as a NIC would (net_af_packet's socket has the
# kernel reassemble them first); dpike's worker reassembles them. IKEv2, then IKEv1 (Main Mode),
# each: established, big pings both ways, the worker's counter. Then IKEv1 with fragmentation =
# force at both ends: IKE-level fragments from the first message on.
# Usage: strongswan-ip-fragments.sh BUILD_DIR
set -eu
DPIKE_WAN_DEVICE=net_pcap0
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-ipfrag
strongswan_lab_up
ip -n "$sw" route add 192.0.2.2/32 dev sw-wan mtu lock 576

reassembled() { ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["reassembled"])'; }
worker_drops() { ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["drops"][sys.argv[1]])' "$1"; }
reassembly_drops() { worker_drops reassembly_failed; }

# Crafted fragments from strongSwan's side (fragment_garbage.py, scapy): two ESP datagrams that
# arrive last piece first come out whole and reach the ESP stage (unknown SPI); every piece that
# can make no datagram is freed and counted, the last of them when it times out; dpike carries on.
garbage_check() {
	local r0 d0 s0 out whole dropped
	r0=$(reassembled) d0=$(reassembly_drops) s0=$(worker_drops esp_unknown_spi)
	out=$(ip netns exec "$sw" timeout 60 /usr/bin/python3 "$here/fragment_garbage.py" 192.0.2.1 192.0.2.2)
	whole=$(echo "$out" | sed -n 's/^whole //p') dropped=$(echo "$out" | sed -n 's/^dropped //p')
	grown() { [ $(($($1) - $2)) -eq "$3" ]; }
	unknown_spi() { worker_drops esp_unknown_spi; }
	lab_check "pieces last first: $whole ESP datagrams reassembled" lab_wait_for 10 grown reassembled "$r0" "$whole"
	lab_check "... and dropped by the ESP stage for their unknown SPI" lab_wait_for 10 grown unknown_spi "$s0" "$whole"
	lab_check "$dropped pieces that make no datagram: each freed and counted (reassembly_failed)" \
		lab_wait_for 10 grown reassembly_drops "$d0" "$dropped"
	lab_check "dpike carries on: 1200-byte pings after" \
		ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 -s 1200 10.1.0.1
}

# run_version V PROPOSAL ESP: one round against strongSwan speaking IKEv(V).
run_version() {
	local v=$1 before after
	IKE_VERSION=$v
	dpike_conf "" "$(dpike_conn site-a "\"$2\"" "\"$3\"")"
	sw_conf "$2" "$3" "fragmentation = no"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "dut-v$v"
	sw_start "$sw" "$LAB_DIR"
	sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
	lab_check "IKEv$v: strongSwan -> dpike, its messages in IP fragments: established" sw_established "$LAB_DIR" net
	lab_check "IKEv$v: dpike has the child" lab_wait_for 10 dpike_up
	lab_check "IKEv$v: dpike's worker reassembled the first message(s)" test "$(reassembled)" -ge 1
	before=$(reassembled) || before=0
	# 1,200-byte pings: strongSwan's ESP-in-UDP datagrams (about 1,290 bytes) leave it in three
	# pieces; dpike's answers fit its 1,500-byte link whole.
	lab_check "IKEv$v: 1200-byte pings from the site behind strongSwan to host-b" \
		ip netns exec "$sw" ping -c 5 -i 0.2 -W 2 -w 15 -s 1200 -I 10.1.0.1 10.2.0.1
	lab_check "IKEv$v: 1200-byte pings from host-b to the site" \
		ip netns exec "$hb" ping -c 5 -i 0.2 -W 2 -w 15 -s 1200 10.1.0.1
	after=$(reassembled) || after=0
	lab_check "IKEv$v: every fragmented ESP packet reassembled ($((after - before)), >= 10)" test $((after - before)) -ge 10
	lab_check "IKEv$v: no reassembly failed" test "$(reassembly_drops)" -eq 0
	[ "$v" = 2 ] && garbage_check
	ctl stats >"$LAB_DIR/stats-v$v.txt"
	lab_check "IKEv$v: dpikectl stats shows the reassembled datagrams" grep -q "reassembled [0-9]* datagrams" "$LAB_DIR/stats-v$v.txt"
	dpike_stop_all
	LAB_PIDS=()
	rm -f "$LAB_DIR/charon.vici" "$LAB_DIR/dpike.sock"
}

# IKEv1 with fragmentation = force at both ends and 300-byte IKE datagrams: strongSwan's Main Mode
# 1 (eight proposals) and 3 (a 4096-bit MODP key), and dpike's 4, go in IKEv1 fragments, Main Mode
# 1 before there is an ISAKMP SA to hold its pieces; nothing at IP level.
FORCE_PROPOSALS=aes256-sha512-modp4096,aes256-sha384-modp4096,aes192-sha384-modp4096,aes192-sha256-modp4096
FORCE_PROPOSALS=$FORCE_PROPOSALS,aes128-sha512-modp4096,aes128-sha384-modp4096,aes256-sha256-modp4096
FORCE_PROPOSALS=$FORCE_PROPOSALS,aes128-sha256-modp4096
run_force() {
	local before
	IKE_VERSION=1
	dpike_conf "fragment_size = 300;" "$(dpike_conn site-a '"aes128-sha256-modp4096"' '"aes128-sha256"' 'fragmentation = "force";')"
	sw_conf "$FORCE_PROPOSALS" aes128-sha256 "fragmentation = force"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" dut-force
	sw_start "$sw" "$LAB_DIR" "fragment_size = 300"
	before=$(reassembled) || before=0
	sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
	lab_check "IKEv1, fragmentation = force: established" sw_established "$LAB_DIR" net
	lab_check "... dpike put strongSwan's Main Mode 1 and 3 together from IKEv1 fragments" \
		test "$(dpike_stat reassembled ikev1)" -ge 2
	lab_check "... dpike sent its Main Mode 4 in fragments, strongSwan reassembled it" \
		test "$(dpike_stat sent_in_fragments ikev1)" -ge 1 -a "$(grep -c "reassembled fragmented IKE message" "$LAB_DIR/charon.log")" -ge 1
	lab_check "... no IP fragment came (the worker reassembled nothing)" test "$(reassembled)" -eq "$before"
	lab_check "... traffic through the tunnel" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	dpike_stop_all
	LAB_PIDS=()
}

run_version 2 aes128gcm16-prfsha256-modp4096 aes128gcm16
run_version 1 aes128-sha256-modp4096 aes128-sha256
run_force
lab_summary strongswan-ip-fragments
