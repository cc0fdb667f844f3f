# SPDX-License-Identifier: BSD-3-Clause
# The two-gateway lab, shared by tests/lab/two-gateways.sh and scripts/demo. Source after lab.sh.
#
#   host-a 10.1.0.1 -- [gw-a 10.1.0.254 | 192.0.2.1] -- wan bridge -- [192.0.2.2 | 10.2.0.254 gw-b] -- 10.2.0.1 host-b
#
# gw-b runs config/example.conf as written but for its control socket; gw-a is its mirror.
# After two_gw_up: namespaces in $ha $hb $ga $gb $wan; ctl_a / ctl_b talk to the gateways.

two_gw_up() {
	local root=$1
	lab_ns ha host-a; lab_ns hb host-b; lab_ns ga gw-a; lab_ns gb gw-b; lab_ns wan wan
	lab_link "$ha" eth0 02:00:00:00:0a:01 "$ga" gw-lan 02:00:00:00:0a:fe
	lab_link "$hb" eth0 02:00:00:00:0b:01 "$gb" gw-lan 02:00:00:00:0b:fe
	# example.conf has a static neighbour 192.0.2.1 at 02:00:00:00:01:01: gw-a's WAN port.
	lab_link "$ga" gw-wan 02:00:00:00:01:01 "$wan" wan-a 02:00:00:00:01:a1
	lab_link "$gb" gw-wan 02:00:00:00:01:02 "$wan" wan-b 02:00:00:00:01:b1
	ip -n "$wan" link add br0 type bridge
	ip -n "$wan" link set wan-a master br0
	ip -n "$wan" link set wan-b master br0
	ip netns exec "$wan" sysctl -qw net.ipv6.conf.br0.disable_ipv6=1
	ip -n "$wan" link set br0 up
	ip -n "$ha" addr add 10.1.0.1/24 dev eth0
	ip -n "$ha" route add default via 10.1.0.254
	ip -n "$hb" addr add 10.2.0.1/24 dev eth0
	ip -n "$hb" route add default via 10.2.0.254
	sed "s#@DIR@#$LAB_DIR#" "$root/tests/lab/gw-a.conf.in" >"$LAB_DIR/gw-a.conf"
	sed "s#^ctl_socket = .*#ctl_socket = \"$LAB_DIR/gw-b.sock\";#" "$root/config/example.conf" >"$LAB_DIR/gw-b.conf"
	# gw-a runs two workers, so its SAs are shared between workers; gw-b keeps one.
	dpike_start "$ga" "$LAB_DIR/gw-a.conf" gw-a 2 && dpike_start "$gb" "$LAB_DIR/gw-b.conf" gw-b 1
}

ctl_a() { "$DPIKECTL" -s "$LAB_DIR/gw-a.sock" "$@"; }
ctl_b() { "$DPIKECTL" -s "$LAB_DIR/gw-b.sock" "$@"; }
