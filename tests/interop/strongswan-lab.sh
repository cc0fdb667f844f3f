# SPDX-License-Identifier: BSD-3-Clause
# The dpike-vs-strongSwan lab shared by the IKEv2 and IKEv1 interop tests and scripts/demo
# (IKE_VERSION=1 before sourcing makes both ends speak IKEv1):
#   . tests/interop/strongswan-lab.sh BUILD_DIR
# DPIKE_GCM_KEYS=compact|full gives dpike workers.gcm_keys = "compact" or "full" (default "auto"); DPIKE_KE_REUSE=S
# gives it ike.ke_reuse = S; DPIKE_WAN_DEVICE=net_pcap0 puts its WAN port on libpcap instead of
# net_af_packet (whose socket has the kernel reassemble IP fragments, as no NIC would).
#
#   host-b 10.2.0.1 -- [lan 10.2.0.254 | dpike | wan 192.0.2.2] -- [192.0.2.1 strongSwan, site 10.1.0.1]
#
# LAB_DPIKE_WAN, LAB_SW_WAN (addresses with their prefix lengths) and LAB_DPIKE_ROUTES (dpike.conf's
# routes list) put the WAN elsewhere, e.g. on a /31; LAB_MTU sets the MTU of dpike's interfaces and
# of the lab's links.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/lib/lab.sh"
lab_binaries "$1"
. "$root/tests/lib/strongswan.sh"

PSK="interop secret $$"
LAB_DPIKE_WAN=${LAB_DPIKE_WAN:-192.0.2.2/24}
LAB_SW_WAN=${LAB_SW_WAN:-192.0.2.1/24}
DPIKE_IP=${LAB_DPIKE_WAN%/*}
SW_IP=${LAB_SW_WAN%/*}

strongswan_lab_up() {
	lab_ns dut dut; lab_ns sw sw; lab_ns hb host-b
	lab_link "$dut" dut-wan 02:00:00:00:02:02 "$sw" sw-wan 02:00:00:00:02:01
	lab_link "$dut" dut-lan 02:00:00:00:02:fe "$hb" eth0 02:00:00:00:02:b1
	ip -n "$sw" addr add "$LAB_SW_WAN" dev sw-wan
	ip -n "$sw" addr add 10.1.0.1/32 dev lo # the site behind strongSwan
	ip -n "$hb" addr add 10.2.0.1/24 dev eth0
	ip -n "$hb" route add default via 10.2.0.254
	if [ -n "${LAB_MTU:-}" ]; then
		ip -n "$dut" link set dut-wan mtu "$LAB_MTU"; ip -n "$sw" link set sw-wan mtu "$LAB_MTU"
		ip -n "$dut" link set dut-lan mtu "$LAB_MTU"; ip -n "$hb" link set eth0 mtu "$LAB_MTU"
	fi
}

# dpike_conf IKE_GROUP CONNECTIONS: dpike.conf with the lab's interfaces and the PSK.
dpike_conf() {
	cat >"$LAB_DIR/dpike.conf" <<EOC
log_level = "info";
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 50; gcm_keys = "${DPIKE_GCM_KEYS:-auto}"; };
ike = { $1 ${DPIKE_KE_REUSE:+ke_reuse = $DPIKE_KE_REUSE;} };
interfaces = (
  { name = "wan"; device = "${DPIKE_WAN_DEVICE:-net_af_packet0}"; args = "iface=dut-wan${DPIKE_WAN_DEVICE:+,phy_mac=1}"; address = "$LAB_DPIKE_WAN"; ${LAB_MTU:+mtu = $LAB_MTU;} },
  { name = "lan"; device = "net_af_packet1"; args = "iface=dut-lan"; address = "10.2.0.254/24"; ${LAB_MTU:+mtu = $LAB_MTU;} }
);
${LAB_DPIKE_ROUTES:+routes = ( $LAB_DPIKE_ROUTES );}
connections = ( $2 );
secrets = ( { type = "ike"; id = ["gw-a.example", "gw-b.example"]; secret = "$PSK"; } );
EOC
}

# dpike_conn NAME PROPOSALS ESP_PROPOSALS [EXTRA]: one connection to strongSwan, child "net"
# (DPIKE_REMOTE_ADDRS: its remote_addrs, quoted and comma-separated; strongSwan's by default).
dpike_conn() {
	local remotes=${DPIKE_REMOTE_ADDRS:-"\"$SW_IP\""}
	cat <<EOC
  { name = "$1"; version = ${IKE_VERSION:-2}; local_addrs = ["$DPIKE_IP"]; remote_addrs = [$remotes];
    proposals = [$2]; ${4:-}
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "gw-a.example"; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.0.0/24"];
                   esp_proposals = [$3]; } ); }
EOC
}

# sw_conf PROPOSALS ESP_PROPOSALS [EXTRA [CHILD_EXTRA]]: strongSwan's side, connection "dpike", child "net".
sw_conf() {
	cat >"$LAB_DIR/swanctl.conf" <<EOC
connections {
  dpike {
    version = ${IKE_VERSION:-2}
    local_addrs = $SW_IP
    remote_addrs = $DPIKE_IP
    proposals = $1
    encap = yes
    ${3:-}
    local { auth = psk
            id = gw-a.example }
    remote { auth = psk
             id = gw-b.example }
    children {
      net {
        local_ts = 10.1.0.0/24
        remote_ts = 10.2.0.0/24
        esp_proposals = $2
        ${4:-}
      }
    }
  }
}
secrets {
  ike-lab {
    id-a = gw-a.example
    id-b = gw-b.example
    secret = "$PSK"
  }
}
EOC
}

# lab_round_start V PROPOSALS ESP_PROPOSALS SW_EXTRA LOG: dpike (log LOG) and strongSwan speaking
# IKEv(V) with each other, strongSwan's connection with SW_EXTRA, started by strongSwan.
lab_round_start() {
	IKE_VERSION=$1
	dpike_conf "" "$(dpike_conn site-a "\"$2\"" "\"$3\"")"
	sw_conf "$2" "$3" "$4"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "$5"
	sw_start "$sw" "$LAB_DIR"
	sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
}

# lab_round_end: stops the round's dpike and charon, so that the next round starts afresh in the same lab.
lab_round_end() {
	dpike_stop_all
	kill -TERM "$SW_PID" 2>/dev/null || true
	lab_wait_gone "$SW_PID" 15 || kill -9 "$SW_PID" 2>/dev/null || true
	LAB_PIDS=()
	rm -f "$LAB_DIR/charon.vici" "$LAB_DIR/dpike.sock" "$LAB_DIR/charon.log"
}

# sw_kill_and_start: strongSwan dies without a word (kill -9), comes back and connects again.
sw_kill_and_start() {
	local pid=$SW_PID
	kill -9 "$pid"
	lab_wait_gone "$pid" 10 || true
	rm -f "$LAB_DIR/charon.vici"
	sw_start "$sw" "$LAB_DIR"
	sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
}

ctl() { "$DPIKECTL" -s "$LAB_DIR/dpike.sock" "$@"; }

# How many changes dpike's SPD has seen (policies added and removed, SAs superseded by rekeys).
spd_changes() { ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["tables"]["spd_changes"])'; }
# check_rekeys_in_place BEFORE REKEYS: each rekeyed child took its predecessor's policies over in
# place, one SPD change (its SA superseded) instead of four (two policies added, two removed).
check_rekeys_in_place() {
	local now
	now=$(spd_changes)
	lab_check "$2 child rekeys took the policies over in place: $((now - $1)) SPD changes" test $((now - $1)) -le "$2"
}

# dpike_up [CONN]: an established IKE SA (of CONN, if named) with a child.
dpike_up() {
	ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin); n=sys.argv[1] if len(sys.argv)>1 else None
sys.exit(not any(s["state"]=="ESTABLISHED" and s["children"] and (n is None or s["name"]==n) for s in j["ike_sas"]))' "$@"
}

dpike_down() {
	! dpike_up "$@"
}

# dpike_stat FIELD [GROUP]: a counter of dpike's IKE daemon ("ike", or "ikev1").
dpike_stat() {
	ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[2]][sys.argv[1]])' "$1" "${2:-ike}"
}

# flood_check WHAT SCRIPT PATTERN SECTION COUNTER...: SCRIPT (in this directory) sends 300 first
# messages no connection accepts from strongSwan's namespace; each must be counted (the sum of
# SECTION's COUNTERs grows by as many) and dpike's log must hold at most 40 lines with PATTERN
# (a limit of 10 a second per site), at least one.
flood_check() {
	local what=$1 script=$2 pattern=$3 section=$4
	shift 4
	local counters=("$@") before sent lines
	flood_counted() {
		local c n=0
		for c in "${counters[@]}"; do n=$((n + $(dpike_stat "$c" "$section"))); done
		echo "$n"
	}
	before=$(flood_counted)
	sent=$(ip netns exec "$sw" timeout 30 python3 "$here/$script" "$DPIKE_IP" 300 --unacceptable)
	flood_all_counted() { [ "$(flood_counted)" -ge $((before + sent)) ]; }
	lab_check "$sent $what no connection accepts: refused and counted" lab_wait_for 10 flood_all_counted
	lines=$(grep -c "$pattern" "$LAB_DIR/dut.log" || true)
	lab_check "... and logged at most 10 a second ($lines lines in all)" test "$lines" -ge 1 -a "$lines" -le 40
}

# Numbered UDP streams both ways through the tunnel, to count loss and duplicates across rekeys:
# host-b -> site (dpike encrypts) and site -> host-b (dpike decrypts), 400 datagrams/s each.
streams_start() {
	ip netns exec "$sw" python3 "$root/tests/lab/udp_stream.py" recv 7000 "$LAB_DIR/recv.txt" &
	STREAM_RCV=$!
	ip netns exec "$hb" python3 "$root/tests/lab/udp_stream.py" recv 7001 "$LAB_DIR/recv-back.txt" &
	STREAM_RCV_BACK=$!
	LAB_PIDS+=($STREAM_RCV $STREAM_RCV_BACK)
	lab_wait_for 10 bash -c "ip netns exec '$sw' ss -lunH 'sport = :7000' | grep -q 7000"
	lab_wait_for 10 bash -c "ip netns exec '$hb' ss -lunH 'sport = :7001' | grep -q 7001"
	ip netns exec "$hb" python3 "$root/tests/lab/udp_stream.py" send 10.1.0.1 7000 400 "$LAB_DIR/sent.txt" &
	STREAM_SND=$!
	ip netns exec "$sw" python3 "$root/tests/lab/udp_stream.py" send 10.2.0.1 7001 400 "$LAB_DIR/sent-back.txt" &
	STREAM_SND_BACK=$!
	LAB_PIDS+=($STREAM_SND $STREAM_SND_BACK)
}

# streams_received N: the forward stream has delivered at least N datagrams.
streams_received() {
	[ -s "$LAB_DIR/recv.txt" ] && [ "$(cut -d' ' -f2 "$LAB_DIR/recv.txt")" -ge "$1" ]
}

# streams_advance N: waits until N more datagrams than now have arrived.
streams_advance() {
	local now=0
	[ -s "$LAB_DIR/recv.txt" ] && now=$(cut -d' ' -f2 "$LAB_DIR/recv.txt")
	lab_wait_for 10 streams_received "$((now + $1))"
}

# streams_finish WHAT [LOSS]: stops the senders, lets the rest arrive, and checks that every datagram
# arrived exactly once in both directions; LOSS: host-b -> site may lose that many (default 0).
streams_finish() {
	kill -TERM "$STREAM_SND" "$STREAM_SND_BACK"
	wait "$STREAM_SND" "$STREAM_SND_BACK" || true
	local dir sent got distinct dups highest name
	for dir in "" "-back"; do
		sent=$(cat "$LAB_DIR/sent$dir.txt")
		lab_wait_for 10 bash -c "[ -s '$LAB_DIR/recv$dir.txt' ] && [ \$(cut -d' ' -f2 '$LAB_DIR/recv$dir.txt') -ge $sent ]" || true
	done
	kill -TERM "$STREAM_RCV" "$STREAM_RCV_BACK"
	wait "$STREAM_RCV" "$STREAM_RCV_BACK" || true
	for dir in "" "-back"; do
		name=$([ -z "$dir" ] && echo "host-b -> site" || echo "site -> host-b")
		sent=$(cat "$LAB_DIR/sent$dir.txt")
		read -r got distinct dups highest <"$LAB_DIR/recv$dir.txt"
		echo "$name: sent $sent, received $got ($distinct distinct, $dups duplicates, highest $highest)"
		local loss=$([ -z "$dir" ] && echo "${2:-0}" || echo 0)
		if [ "$loss" -gt 0 ]; then
			lab_check "$name: at most $loss datagrams lost across $1 ($distinct of $sent)" \
				test "$distinct" -ge "$((sent - loss))" -a "$distinct" -le "$sent"
		else
			lab_check "$name: no datagram lost across $1 ($distinct of $sent)" test "$distinct" -eq "$sent"
		fi
		lab_check "$name: no datagram duplicated ($dups)" test "$dups" -eq 0
	done
}

# tcp_transfer_check: 2 MB from host-b to strongSwan's site through the tunnel, compared byte for byte.
tcp_transfer_check() {
	ip netns exec "$sw" timeout 40 python3 "$root/tests/lab/tcp_check.py" serve 5001 30 >"$LAB_DIR/tcp-recv.txt" &
	local srv=$!
	lab_wait_for 10 bash -c "ip netns exec '$sw' ss -ltnH 'sport = :5001' | grep -q 5001"
	ip netns exec "$hb" timeout 40 python3 "$root/tests/lab/tcp_check.py" send 10.1.0.1 5001 2000000 \
		>"$LAB_DIR/tcp-sent.txt" || true
	wait $srv || true
	lab_check "TCP transfer host-b -> strongSwan's site: 2 MB intact" \
		bash -c "[ -s '$LAB_DIR/tcp-sent.txt' ] && cmp -s '$LAB_DIR/tcp-sent.txt' '$LAB_DIR/tcp-recv.txt'"
}

# Proposal matrices. MATRIX holds "IKE proposal|ESP proposal" cases. matrix_conns prints dpike's
# connections: "any" accepting every case, and m<i> proposing case i alone.
matrix_conns() {
	local all_ike all_esp conns i
	all_ike=$(printf '"%s", ' "${MATRIX[@]%%|*}")
	all_esp=$(printf '"%s", ' "${MATRIX[@]##*|}")
	conns="$(dpike_conn any "${all_ike%, }" "${all_esp%, }")"
	for i in "${!MATRIX[@]}"; do
		conns+=", $(dpike_conn "m$i" "\"${MATRIX[$i]%%|*}\"" "\"${MATRIX[$i]##*|}\"")"
	done
	echo "$conns"
}

sw_reload() { sw_conf "$@"; sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null; }
sw_gone() { ! sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -q 'dpike:'; }
# A short packet and a long one (1,000 bytes of ICMP data: the ciphers' bulk paths), both ways.
one_ping() {
	ip netns exec "$hb" ping -c 1 -W 2 -w 6 10.1.0.1 >/dev/null &&
		ip netns exec "$hb" ping -c 1 -W 2 -w 6 -s 1000 10.1.0.1 >/dev/null
}

# matrix_as_responder: strongSwan proposes each case alone; dpike must accept and carry traffic.
matrix_as_responder() {
	local c
	for c in "${MATRIX[@]}"; do
		sw_reload "${c%%|*}" "${c##*|}"
		sw_ctl "$LAB_DIR" --initiate --child net --timeout 15 >"$LAB_DIR/init.log" 2>&1 || true
		lab_check "responder: ${c%%|*} / ${c##*|}: established" sw_established "$LAB_DIR" net
		lab_check "responder: ${c%%|*} / ${c##*|}: traffic" one_ping
		sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
		lab_wait_for 10 dpike_down || true
	done
}

# matrix_as_initiator: strongSwan accepts every case; dpike's m<i> proposes case i alone.
matrix_as_initiator() {
	local i c
	sw_reload "$(echo "${MATRIX[*]%%|*}" | tr ' ' ',')" "$(echo "${MATRIX[*]##*|}" | tr ' ' ',')"
	for i in "${!MATRIX[@]}"; do
		c=${MATRIX[$i]}
		ctl initiate "m$i/net" >/dev/null || true
		lab_check "initiator: ${c%%|*} / ${c##*|}: established" lab_wait_for 15 dpike_up "m$i"
		lab_check "initiator: ${c%%|*} / ${c##*|}: traffic" one_ping
		ctl terminate "m$i" >/dev/null || true
		lab_wait_for 10 sw_gone || true
	done
}
