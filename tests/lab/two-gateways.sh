#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Two dpike gateways back to back with static SAs, a host behind each (two-gw-topology.sh).
# Checks: ping, a TCP transfer whose
# content is compared, replayed and tampered ESP dropped and counted, clean shutdown.
# Usage: two-gateways.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/lib/lab.sh"
lab_binaries "$1"
lab_init two-gw

. "$here/two-gw-topology.sh"
two_gw_up "$root"
# Only the control socket differs from example.conf, so two instances do not share /run/dpike.
lab_check "gw-b config is example.conf but for ctl_socket" \
	bash -c "diff <(grep -v '^ctl_socket' '$root/config/example.conf') <(grep -v '^ctl_socket' '$LAB_DIR/gw-b.conf')"

lab_check "ping host-a -> host-b through the tunnel" \
	ip netns exec "$ha" ping -c 5 -i 0.2 -W 2 -w 15 10.2.0.1
lab_check "ping host-b -> host-a through the tunnel" \
	ip netns exec "$hb" ping -c 3 -i 0.2 -W 2 -w 10 10.1.0.1
lab_check "ping the far gateway's LAN address" \
	ip netns exec "$ha" ping -c 2 -i 0.2 -W 2 -w 10 10.2.0.254

# TCP: 3 MB with DF set; the hosts learn the tunnel MTU from dpike's ICMP fragmentation-needed.
ip netns exec "$hb" timeout 60 python3 "$here/tcp_check.py" serve 5001 50 >"$LAB_DIR/tcp-recv.txt" &
srv=$!
lab_wait_for 10 bash -c "ip netns exec '$hb' ss -ltnH 'sport = :5001' | grep -q 5001"
ip netns exec "$ha" timeout 60 python3 "$here/tcp_check.py" send 10.2.0.1 5001 3000000 >"$LAB_DIR/tcp-sent.txt" || true
wait $srv || true
lab_check "TCP transfer: 3 MB arrive intact (SHA-256 compared)" \
	bash -c "[ -s '$LAB_DIR/tcp-sent.txt' ] && cmp -s '$LAB_DIR/tcp-sent.txt' '$LAB_DIR/tcp-recv.txt'"
ctl_a --json stats >"$LAB_DIR/a-stats.json"
lab_check "gw-a sent ICMP fragmentation-needed for oversized DF packets" \
	test "$(json_get "$LAB_DIR/a-stats.json" "j['control']['icmp_errors_out']")" -gt 0

# Replay and tamper: capture A->B ESP on the WAN bridge, send it again towards gw-b.
drops_b() { ctl_b --json stats >"$LAB_DIR/b-stats.json" && json_get "$LAB_DIR/b-stats.json" "j['total']['drops']['$1']"; }
replay0=$(drops_b esp_replay); auth0=$(drops_b esp_auth_failed)
inject() {
	ip netns exec "$wan" timeout 30 /usr/bin/python3 "$here/inject.py" br0 wan-b 0x2001 "$1" >"$LAB_DIR/inject-$1.txt" &
	local inj=$!
	# traffic until the sniffer has caught its packet (it may start listening late under load)
	while kill -0 "$inj" 2>/dev/null; do
		ip netns exec "$ha" ping -c 1 -W 1 10.2.0.1 >/dev/null || true
	done
	wait $inj
}
drops_are() { [ "$(drops_b "$1")" -eq "$2" ]; }
inject replay
lab_check "replayed ESP packet dropped and counted as esp_replay" lab_wait_for 5 drops_are esp_replay $((replay0 + 1))
inject tamper
lab_check "tampered ESP packet dropped and counted as esp_auth_failed" \
	lab_wait_for 5 drops_are esp_auth_failed $((auth0 + 1))
ctl_b --json list-sas >"$LAB_DIR/b-sas.json"
lab_check "gw-b's inbound SA counts one replay and one auth failure" \
	test "$(json_get "$LAB_DIR/b-sas.json" "[(s['replay_drops'], s['auth_drops']) for s in j['sas'] if s['name']=='from-a'][0]")" = "(1, 1)"
lab_check "tunnel still carries traffic afterwards" ip netns exec "$ha" ping -c 2 -i 0.2 -W 2 -w 10 10.2.0.1

lab_check "TTL 1: gw-a answers ICMP time exceeded" \
	bash -c "ip netns exec '$ha' ping -c 1 -t 1 -W 2 10.2.0.1 | grep -q 'From 10.1.0.254.*Time to live exceeded'"

# DF clear, fits the LAN (1500 bytes) but not the tunnel: gw-b fragments before ESP, host-a
# reassembles. (Bigger datagrams would reach gw-b as fragments, which net_af_packet's socket
# has the kernel reassemble before dpike sees them: strongswan-ip-fragments.sh has dpike do it.)
ip netns exec "$ha" timeout 20 python3 "$here/udp_check.py" recv 6000 15 >"$LAB_DIR/udp-recv.txt" &
rcv=$!
lab_wait_for 10 bash -c "ip netns exec '$ha' ss -lunH 'sport = :6000' | grep -q 6000"
ip netns exec "$hb" python3 "$here/udp_check.py" send 10.1.0.1 6000 1472 >"$LAB_DIR/udp-sent.txt"
wait $rcv || true
lab_check "1500-byte datagram with DF clear arrives intact through the tunnel" \
	cmp -s "$LAB_DIR/udp-sent.txt" "$LAB_DIR/udp-recv.txt"
ctl_b --json stats >"$LAB_DIR/b-stats.json"
lab_check "gw-b's worker fragmented it before ESP" \
	test "$(json_get "$LAB_DIR/b-stats.json" "j['total']['fragmented']")" -gt 0

# Shunts on gw-a: telnet dropped; UDP 9 passed in the clear and refused by gw-b's inbound policy.
ip netns exec "$ha" timeout 3 bash -c 'echo x >/dev/tcp/10.2.0.1/23' 2>/dev/null || true
ctl_a --json stats >"$LAB_DIR/a-stats.json"
lab_check "drop shunt: telnet to site B discarded by gw-a" \
	test "$(json_get "$LAB_DIR/a-stats.json" "j['total']['drops']['policy_discard']")" -gt 0
ip netns exec "$ha" python3 "$here/udp_check.py" send 10.2.0.1 9 100 >/dev/null
lab_check "cleartext from site A refused by gw-b (inbound SA requires ESP)" \
	lab_wait_for 5 drops_are policy_unprotected 1

lab_check "DPDK telemetry /dpike/stats shows the ESP counters" \
	bash -c "echo /dpike/stats | dpdk-telemetry.py -f 'dpk-$LAB_ID-gw-b' 2>/dev/null | python3 -c 'import sys,re; t=sys.stdin.read(); m=re.search(r\"\\\"esp_in\\\": (\\d+)\", t); sys.exit(not (m and int(m.group(1)) > 0))'"

# The counters as telemetry's thread reads them: the fragments counted above (the workers', and
# the control core's as it publishes them), the static SA pair's inbound SA and policies.
frags=$(json_get "$LAB_DIR/b-stats.json" "j['control']['fragments_made']")
wfrags=$(json_get "$LAB_DIR/b-stats.json" "j['total']['fragments_made']")
lab_check "DPDK telemetry /dpike/stats, /dpike/control and /dpike/tables: the fragments, counters and tables" \
	bash -c "printf '/dpike/stats\n/dpike/control\n/dpike/tables\n' | dpdk-telemetry.py -f 'dpk-$LAB_ID-gw-b' 2>/dev/null | python3 -c '
import json, sys
d = {}
for line in sys.stdin:
    if \"{\" in line:
        d.update(json.loads(line[line.index(\"{\"):]))
s, c, t = d.get(\"/dpike/stats\", {}), d.get(\"/dpike/control\", {}), d.get(\"/dpike/tables\", {})
sys.exit(not (s.get(\"fragments_made\") == $wfrags > 0 and c.get(\"fragments_made\") == $frags and t.get(\"sad_sas\", 0) >= 1 and t.get(\"sa_bytes\", 0) >= 65536 and t.get(\"spd_policies\", 0) >= 2))'"

ctl_b stages on >/dev/null
ip netns exec "$ha" ping -c 3 -i 0.2 -W 2 -w 10 10.2.0.1 >/dev/null
lab_check "DPDK telemetry /dpike/stages: gw-b's ESP stages counted once dpikectl stages on" \
	bash -c "echo /dpike/stages | dpdk-telemetry.py -f 'dpk-$LAB_ID-gw-b' 2>/dev/null | python3 -c '
import json, sys
d = {}
for line in sys.stdin:
    if \"{\" in line:
        d.update(json.loads(line[line.index(\"{\"):]))
t = d.get(\"/dpike/stages\", {})
sys.exit(not (t.get(\"esp_in_packets\", 0) >= 3 and t.get(\"esp_in_cycles\", 0) > 0 and t.get(\"esp_out_packets\", 0) >= 3))'"

lab_check "control socket: clients that hang up, stay silent or never read hold neither dpike nor other clients" \
	python3 "$here/ctl_clients.py" "$LAB_DIR/gw-b.sock" "$DPIKECTL"

lab_check "dpikectl: bad command gets a message and a non-zero exit" \
	bash -c "! ctl_out=\$('$DPIKECTL' -s '$LAB_DIR/gw-a.sock' frobnicate 2>&1) && echo \"\$ctl_out\" | grep -q 'unknown command'"
ctl_a list-sas
ctl_b stats | sed -n '1,12p'
dpike_stop_all
lab_check "both gateways stopped cleanly on SIGTERM" bash -c "grep -q stopping '$LAB_DIR/gw-a.log' && grep -q stopping '$LAB_DIR/gw-b.log'"
lab_summary two-gateways
