#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# NAT traversal through a real NAT (nftables in a router namespace) against strongSwan, IKEv2 and
# IKEv1. strongSwan sits behind the NAT without encap = yes, so only NAT detection (RFC 7296 2.23,
# RFC 3947) moves it to UDP 4500; the NAT maps its ports 500 and 4500 to others of its own, so
# dpike must answer, rekey, probe and send ESP to the mapped port, not to 4500; then the NAT
# maps it anew, and dpike follows:
#
#   host-b 10.2.0.1 -- [lan 10.2.0.254 | dpike | wan 192.0.2.2] -- [192.0.2.1 NAT 198.51.100.1]
#                                              -- [198.51.100.2 strongSwan, site 10.1.0.1]
#
# Then dpike behind the NAT, initiating (the roles swapped: dpike's WAN 198.51.100.2 with a route
# through the NAT, strongSwan at 192.0.2.2): dpike detects it, moves to 4500 and keeps the NAT's
# mapping alive with its keepalives across idle minutes shortened to seconds. In both, IKEv2 SAs
# are reauthenticated by dpike (dpikectl reauth) through the NAT, from and to port 4500.
# Usage: strongswan-nat.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-nat

# nat_map FIRST: strongSwan's UDP leaves the NAT from ports FIRST to FIRST+99, its mappings so far forgotten.
nat_map() {
	ip netns exec "$nat" nft flush ruleset
	ip netns exec "$nat" nft -f - <<EON
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "nat-out" ip saddr 198.51.100.0/24 meta l4proto udp snat to 192.0.2.1:$1-$(($1 + 99))
		oifname "nat-out" ip saddr 198.51.100.0/24 snat to 192.0.2.1
	}
}
EON
	ip netns exec "$nat" conntrack -F >/dev/null 2>&1 || true
}

nat_lab_up() {
	lab_ns dut dut; lab_ns nat nat; lab_ns sw sw; lab_ns hb host-b
	lab_link "$dut" dut-wan 02:00:00:00:02:02 "$nat" nat-out 02:00:00:00:02:01
	lab_link "$nat" nat-in 02:00:00:00:03:01 "$sw" sw-wan 02:00:00:00:03:02
	lab_link "$dut" dut-lan 02:00:00:00:02:fe "$hb" eth0 02:00:00:00:02:b1
	ip -n "$nat" addr add 192.0.2.1/24 dev nat-out
	ip -n "$nat" addr add 198.51.100.1/24 dev nat-in
	ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
	# every port strongSwan uses leaves as one of 40000-40099: never 500 or 4500
	nat_map 40000
	ip -n "$sw" addr add 198.51.100.2/24 dev sw-wan
	ip -n "$sw" route add default via 198.51.100.1
	ip -n "$sw" addr add 10.1.0.1/32 dev lo
	ip -n "$hb" addr add 10.2.0.1/24 dev eth0
	ip -n "$hb" route add default via 10.2.0.254
}

# dpike's view of its peer: "ADDR PORT" of the IKE SA of connection site-a.
peer_seen() {
	ctl --json list-sas | python3 -c 'import json,sys
s=[s for s in json.load(sys.stdin)["ike_sas"] if s["name"]=="site-a"]
print(s[0]["remote"].replace("[", " ").rstrip("]") if s else "none 0")'
}
# The IKE SPIs (SPIi) of site-a's established IKE SAs, one a line.
established_spis() {
	ctl --json list-sas | python3 -c 'import json,sys
for s in json.load(sys.stdin)["ike_sas"]:
    if s["name"] == "site-a" and s["state"] == "ESTABLISHED" and s["version"] == 2: print(s["spi_i"])'
}
# reauthed OLD_SPI: dpike holds one IKE SA of site-a, another than OLD_SPI's.
reauthed() { local now; now=$(established_spis); [ -n "$now" ] && [ "$(echo "$now" | wc -l)" = 1 ] && [ "$now" != "$1" ]; }
# check_reauth WHO: dpikectl reauth across the NAT, then traffic through the new IKE SA's child.
check_reauth() {
	local before
	before=$(established_spis)
	lab_check "IKEv2, $1: dpikectl reauth through the NAT" bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' reauth site-a >/dev/null"
	lab_check "... a new IKE SA, the old one gone" lab_wait_for 15 reauthed "$before"
	lab_check "... host-b -> site through it" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	lab_check "... site -> host-b" ip netns exec "$sw" ping -c 2 -i 0.2 -W 2 -w 10 -I 10.1.0.1 10.2.0.1
}
worker_drops() { ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["drops"][sys.argv[1]])' "$1"; }

run_version() {
	local v=$1 seen port keepalives
	IKE_VERSION=$v
	dpike_conf "" "$(dpike_conn site-a "\"$2\"" "\"$3\"" 'dpd_delay = "2s";')"
	sw_conf "$2" "$3"
	sed -i 's/local_addrs = 192.0.2.1/local_addrs = 198.51.100.2/; s/encap = yes/encap = no/' "$LAB_DIR/swanctl.conf"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "dut-v$v"
	sw_start "$sw" "$LAB_DIR" "keep_alive = 1s"
	sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
	lab_check "IKEv$v behind a NAT: established" sw_established "$LAB_DIR" net
	lab_check "IKEv$v: strongSwan detected the NAT and moved to 4500" grep -q "local host is behind NAT" "$LAB_DIR/charon.log"
	seen=$(peer_seen)
	port=${seen#* }
	lab_check "IKEv$v: dpike sees the peer at the NAT's mapped port ($seen)" \
		test "${seen% *}" = 192.0.2.1 -a "$port" -ge 40000 -a "$port" -le 40099
	lab_check "IKEv$v: host-b -> site through the tunnel" ip netns exec "$hb" ping -c 3 -i 0.2 -W 2 -w 15 10.1.0.1
	lab_check "IKEv$v: site -> host-b" ip netns exec "$sw" ping -c 3 -i 0.2 -W 2 -w 15 -I 10.1.0.1 10.2.0.1
	keepalives() { [ "$(worker_drops nat_keepalive)" -ge 2 ]; }
	lab_check "IKEv$v: strongSwan's NAT-keepalives reach dpike through the NAT (counted, consumed)" lab_wait_for 10 keepalives
	ctl rekey site-a/net >/dev/null
	rekeyed() { [ "$(sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -c 'net: #.*INSTALLED')" -ge 1 ] &&
		grep -q "CHILD_SA net{2} established\|CHILD_SA net{[2-9]} established" "$LAB_DIR/charon.log"; }
	lab_check "IKEv$v: dpike's child rekey reaches strongSwan through the NAT" lab_wait_for 15 rekeyed
	lab_check "IKEv$v: traffic through the rekeyed child" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	# DPD: no IKE traffic after the rekey, so dpike probes every 2 s; each probe and its answer
	# cross the NAT (IKE tx and rx both grow), and no probe goes unanswered.
	local group=ike tx0 rx0
	[ "$v" = 1 ] && group=ikev1
	tx0=$(dpike_stat tx "$group") rx0=$(dpike_stat rx "$group")
	probed() { [ $(($(dpike_stat tx "$group") - tx0)) -ge 2 ] && [ $(($(dpike_stat rx "$group") - rx0)) -ge 2 ]; }
	lab_check "IKEv$v: dpike's DPD probes (every 2 s) answered through the NAT" lab_wait_for 15 probed
	lab_check "... none unanswered, the SA kept" bash -c "[ $(dpike_stat dpd_timeouts "$group") -eq 0 ]"
	lab_check "... dpike still has the SA" dpike_up
	# The NAT forgets its mappings and maps strongSwan anew, from 41000-41099 (as a carrier NAT
	# does after an idle timeout or a restart): strongSwan's next ESP comes from another port.
	# Authenticated, it moves dpike's SAs there (IKE and ESP), so answers and probes reach it.
	nat_map 41000
	lab_check "IKEv$v: after the NAT remapped the peer, site -> host-b answered" \
		ip netns exec "$sw" ping -c 3 -i 0.2 -W 2 -w 15 -I 10.1.0.1 10.2.0.1
	seen=$(peer_seen)
	port=${seen#* }
	lab_check "IKEv$v: dpike moved the peer to its new port ($seen)" test "$port" -ge 41000 -a "$port" -le 41099
	# whichever authenticated packet crossed the new mapping first moved it: the ping's ESP, or
	# IKE (an answer to a DPD probe, the old SA's delete after the rekey) when it won the race
	lab_check "IKEv$v: ... and logged it" grep -Eq "site-a: peer now at 192.0.2.1:$port \((ESP|IKE|ISAKMP) from there" \
		"$LAB_DIR/dut-v$v.log"
	lab_check "IKEv$v: host-b -> site through the moved tunnel" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	tx0=$(dpike_stat tx "$group") rx0=$(dpike_stat rx "$group")
	lab_check "IKEv$v: DPD probes answered at the new port" lab_wait_for 15 probed
	lab_check "... none unanswered" bash -c "[ $(dpike_stat dpd_timeouts "$group") -eq 0 ]"
	# the original responder reauthenticates by itself, to the port the NAT maps the peer's 4500 to
	if [ "$v" = 2 ]; then
		check_reauth "dpike the responder, the peer behind the NAT"
		lab_check "... sent to the NAT's mapped port ($(peer_seen))" test "$(peer_seen)" = "$seen"
	fi
	nat_map 40000
	dpike_stop_all
	LAB_PIDS=()
	rm -f "$LAB_DIR/charon.vici" "$LAB_DIR/dpike.sock" "$LAB_DIR/charon.log" # each round reads its own log
}

# dpike behind the NAT: its WAN and strongSwan's change places; the NAT forgets an idle UDP
# mapping after 3 s, so only dpike's NAT-keepalives (every second) keep strongSwan's way back open.
behind_nat_up() {
	ip -n "$dut" link set dut-wan down
	ip -n "$nat" link set nat-out down
	ip -n "$sw" link set sw-wan down
	ip -n "$sw" addr flush dev sw-wan
	ip -n "$sw" route flush dev sw-wan
	ip -n "$nat" addr flush dev nat-out
	ip -n "$nat" addr flush dev nat-in
	# dut-wan <-> nat-out now carries the private side; nat-in <-> sw-wan the public one
	ip -n "$nat" addr add 198.51.100.1/24 dev nat-out
	ip -n "$nat" addr add 192.0.2.1/24 dev nat-in
	ip -n "$sw" addr add 192.0.2.2/24 dev sw-wan
	for l in "$dut dut-wan" "$nat nat-out" "$sw sw-wan"; do ip -n ${l% *} link set ${l#* } up; done
	ip netns exec "$nat" nft flush ruleset
	ip netns exec "$nat" nft -f - <<'EON'
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "nat-in" ip saddr 198.51.100.0/24 meta l4proto udp snat to 192.0.2.1:42000-42099
		oifname "nat-in" ip saddr 198.51.100.0/24 snat to 192.0.2.1
	}
}
EON
	ip netns exec "$nat" conntrack -F >/dev/null 2>&1 || true
	ip netns exec "$nat" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3 net.netfilter.nf_conntrack_udp_timeout_stream=3
}

# dpike's keepalives counted where strongSwan sees them: tcpdump in its namespace.
run_behind_nat() {
	local v=$1
	IKE_VERSION=$v
	# dpike's WAN on the NAT's private side, strongSwan behind the public one (strongswan-lab.sh's variables)
	LAB_DPIKE_WAN=198.51.100.2/24 DPIKE_IP=198.51.100.2 SW_IP=192.0.2.2 \
		LAB_DPIKE_ROUTES='{ prefix = "192.0.2.0/24"; via = "198.51.100.1"; }' \
		dpike_conf "keep_alive = 1;" "$(DPIKE_IP=198.51.100.2 SW_IP=192.0.2.2 dpike_conn site-a "\"$2\"" "\"$3\"")"
	sw_conf "$2" "$3"
	sed -i 's/local_addrs = 192.0.2.1/local_addrs = 192.0.2.2/; s/remote_addrs = 192.0.2.2/remote_addrs = 192.0.2.1/; s/encap = yes/encap = no/' \
		"$LAB_DIR/swanctl.conf"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "dut-behind-v$v"
	sw_start "$sw" "$LAB_DIR"
	lab_check "IKEv$v, dpike behind the NAT: dpike initiates" ctl initiate site-a/net
	lab_check "IKEv$v, dpike behind the NAT: established" lab_wait_for 20 dpike_up
	lab_check "IKEv$v: strongSwan has the child" lab_wait_for 10 sw_established "$LAB_DIR" net
	lab_check "IKEv$v: strongSwan saw dpike behind the NAT" grep -q "remote host is behind NAT" "$LAB_DIR/charon.log"
	ip netns exec "$sw" timeout 8 tcpdump -l -n -i sw-wan "udp and src host 192.0.2.1 and udp[8:1] = 0xff and udp[4:2] = 9" \
		>"$LAB_DIR/keepalives-v$v.txt" 2>/dev/null || true
	lab_check "IKEv$v: dpike's NAT-keepalives reach strongSwan ($(grep -c IP "$LAB_DIR/keepalives-v$v.txt") in 8 s)" \
		test "$(grep -c IP "$LAB_DIR/keepalives-v$v.txt")" -ge 4
	lab_check "IKEv$v: after 8 idle seconds (the NAT forgets in 3), site -> host-b still reaches dpike" \
		ip netns exec "$sw" ping -c 2 -i 0.2 -W 2 -w 10 -I 10.1.0.1 10.2.0.1
	lab_check "IKEv$v: host-b -> site" ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1
	if [ "$v" = 2 ]; then
		check_reauth "dpike behind the NAT"
	fi
	dpike_stop_all
	LAB_PIDS=()
	rm -f "$LAB_DIR/charon.vici" "$LAB_DIR/dpike.sock" "$LAB_DIR/charon.log"
}

nat_lab_up
run_version 2 aes128gcm16-prfsha256-x25519 aes128gcm16
run_version 1 aes128-sha256-modp3072 aes128-sha256
behind_nat_up
run_behind_nat 2 aes128gcm16-prfsha256-x25519 aes128gcm16
run_behind_nat 1 aes128-sha256-modp3072 aes128-sha256
lab_summary strongswan-nat
