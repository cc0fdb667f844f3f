#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The IKE handshake benchmark: dpike-load against a dpike responder and against strongSwan
# (charon), same generator, same machine, same run; then many concurrent SAs held on dpike,
# with the memory they take and DPD answered.
#
#   [DPIKE_PERF=FILE] tests/bench/ike_load.sh BUILD_DIR [--sas N] [--held M] [--hold S] [--ke-reuse S]
#                                             [--proposal IKE_PROPOSAL] [--ikev1] [--vips] [--strongswan-sas K]
#                                             [--updown CMD] [--peer-secrets P] [--site-conns C] [--reloads S]
#                                             [--check]
#
#   gen 192.0.2.1    -- 192.0.2.2    dpike (net_af_packet on dut-wan)
#   gen 198.51.100.1 -- 198.51.100.2 strongSwan
#
# Each handshake is PSK + X25519 + AES-GCM, IKE_SA_INIT and IKE_AUTH with one child SA that the
# responder installs (dpike: in its dataplane; strongSwan: in kernel-libipsec). --sas (2000)
# handshakes go to each responder as fast as the generator can (--strongswan-sas: K to strongSwan
# instead, for quick runs: its rate falls as its SAs grow, so the ratio then flatters dpike); --held (20000) SAs are then
# opened on dpike and held --hold (40) seconds with DPD every 10 s (half the hold when that is
# shorter than 20 s). dpike-load deletes the SAs of the rate runs when done, as clients that
# leave do; the held ones stay for the idle measurement. --proposal: the IKE proposal of
# generator and both responders (aes128gcm16-prfsha256-x25519; with --ikev1 aes128-sha256-x25519).
# --ikev1: IKEv1 everywhere, a handshake being Main Mode and Quick Mode. --vips: every client asks
# for a virtual IP, both responders hand them out of a pool of 10.128.0.0/12 whose address becomes
# the child's remote selector (with --check: as many online in dpike's pool as SAs held). --updown:
# both responders' child runs CMD as swanctl's updown (what a script a child costs a mass of clients;
# dpike's runs are counted until all are done, with --check each handshake's up and down run
# without a failure). --peer-secrets: both responders hold, besides the shared PSK, P secrets with
# one peer's ID each, load-0@dpike.test to load-(P-1)@dpike.test (same key), as a concentrator with
# a key for each peer: each rate run's handshake then finds its own among them. --site-conns: dpike
# holds C site-to-site connections ahead of the generator's, each for one peer address of
# 198.18.0.0/15 (RFC 2544's), as a concentrator's customers: what finding the connection of a
# handshake costs among them. --reloads S: dpikectl load-conns every S seconds (once the one before
# has answered) during dpike's rate run, the file as running, as an operator's automation may: what
# loading the connections again costs the handshakes meanwhile (p99 shows a control core held by them). --ke-reuse: dpike's
# ike.ke_reuse (0: a key pair per exchange, as strongSwan). --check: exit 1 unless every
# handshake succeeded, every SA of the rate runs was deleted and gone from both responders (and
# from dpike's dataplane), every held SA was still up at the end, failures were told by reason, and
# a run at --rate 400 kept to it (a smoke test; no speed is checked).
# The generator's log goes to load-ADDRESS.log in the lab directory (kept when a check fails);
# DPIKE_LOAD_VERBOSE=1 makes it log every SA.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/lib/lab.sh"
. "$root/tests/lib/strongswan.sh"
lab_binaries "$1"
LOAD=$(realpath "$1/app/dpike-load")
shift
SAS=2000 SW_SAS= HELD=20000 HOLD=40 CHECK=0 KE_REUSE=0 PROPOSAL= VERSION=2 VIPS=0 UPDOWN= PEER_SECRETS=0 SITE_CONNS=0 RELOADS=0
while [ $# -gt 0 ]; do
	case $1 in
	--sas) SAS=$2; shift ;;
	--held) HELD=$2; shift ;;
	--hold) HOLD=$2; shift ;;
	--ke-reuse) KE_REUSE=$2; shift ;;
	--proposal) PROPOSAL=$2; shift ;;
	--ikev1) VERSION=1 ;;
	--vips) VIPS=1 ;;
	--strongswan-sas) SW_SAS=$2; shift ;;
	--updown) UPDOWN=$2; shift ;;
	--peer-secrets) PEER_SECRETS=$2; shift ;;
	--site-conns) SITE_CONNS=$2; shift ;;
	--reloads) RELOADS=$2; shift ;;
	--check) CHECK=1 ;;
	*) echo "unknown option $1"; exit 2 ;;
	esac
	shift
done

SW_SAS=${SW_SAS:-$SAS}
[ -n "$PROPOSAL" ] || PROPOSAL=$([ "$VERSION" = 1 ] && echo aes128-sha256-x25519 || echo aes128gcm16-prfsha256-x25519)
V1_FLAG=$([ "$VERSION" = 1 ] && echo --ikev1 || true)
# DPD every 10 s, or often enough to be seen in a shorter hold (at least once a second)
DPD_DELAY=$(awk -v h="$HOLD" 'BEGIN { d = h / 2; if (d > 10) d = 10; if (d < 1) d = 1; printf "%d", d }')
DPD_SEEN=$(awk -v h="$HOLD" -v d="$DPD_DELAY" 'BEGIN { print (h >= 2 * d) ? 1 : 0 }')
# a proposal the responders are not configured with
WRONG_PROPOSAL=aes256-sha512-modp2048
[ "$PROPOSAL" != "$WRONG_PROPOSAL" ] || WRONG_PROPOSAL=aes128-sha256-modp3072

lab_init ikeload
lab_ns gen gen; lab_ns dut dut; lab_ns sw sw
lab_link "$gen" gen-dut 02:00:00:00:05:01 "$dut" dut-wan 02:00:00:00:05:02
lab_link "$gen" gen-sw 02:00:00:00:06:01 "$sw" sw-wan 02:00:00:00:06:02
ip -n "$gen" addr add 192.0.2.1/24 dev gen-dut
ip -n "$gen" addr add 198.51.100.1/24 dev gen-sw
ip -n "$sw" addr add 198.51.100.2/24 dev sw-wan
ip -n "$sw" addr add 10.0.0.1/32 dev lo # kernel-libipsec routes each child from an address inside local_ts
PSK="load secret $$"
MAX=$((SAS > HELD ? SAS : HELD))

cat >"$LAB_DIR/dpike.conf" <<EOC
log_level = "${DPIKE_LOG_LEVEL:-warning}";
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 100; sad_size = $((2 * MAX + 1024)); spd_size = $((4 * MAX + 1024)); };
ike = { cookie_threshold = 1000000; half_open_per_peer = 1000000; half_open_max = 1000000; ke_reuse = $KE_REUSE; };
interfaces = ( { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan,framecnt=4096"; address = "192.0.2.2/24"; } );
neighbours = ( { interface = "wan"; ip = "192.0.2.1"; mac = "02:00:00:00:05:01"; } );
$([ "$VIPS" = 1 ] && echo 'pools = ( { name = "load"; addrs = "10.128.0.0/12"; } );')
connections = ( $(awk -v n="$SITE_CONNS" -v v="$VERSION" 'BEGIN { for (i = 0; i < n; i++)
  printf "{ name = \"site%d\"; version = %d; local_addrs = [\"192.0.2.2\"]; remote_addrs = [\"198.%d.%d.%d\"]; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; id = \"site%d.example\"; }; children = ( { name = \"c\"; local_ts = [\"10.0.0.0/24\"]; remote_ts = [\"10.%d.%d.0/24\"]; } ); },\n",
         i, v, 18 + int(i / 65536), int(i / 256) % 256, i % 256, i, 64 + int(i / 65536), int(i / 256) % 256 }')
  { name = "rw"; version = $VERSION; local_addrs = ["192.0.2.2"]; $([ "$VIPS" = 1 ] && echo 'pools = "load";')
    proposals = ["$PROPOSAL"];
    local = { auth = "psk"; id = "responder.test"; }; remote = { auth = "psk"; id = "*@dpike.test"; };
    children = ( { name = "c"; local_ts = ["10.0.0.0/9"]; remote_ts = ["$([ "$VIPS" = 1 ] && echo dynamic || echo 10.128.0.0/9)"];
                   esp_proposals = ["aes128gcm16"]; $([ -n "$UPDOWN" ] && echo "updown = \"$UPDOWN\";") } ); } );
secrets = ( { type = "ike"; secret = "$PSK"; }
$(awk -v n="$PEER_SECRETS" -v k="$PSK" 'BEGIN { for (i = 0; i < n; i++) printf ", { type = \"ike\"; id = \"load-%d@dpike.test\"; secret = \"%s\"; }\n", i, k }')
);
EOC

mkdir -p "$LAB_DIR/sw"
cat >"$LAB_DIR/sw/swanctl.conf" <<EOC
connections {
  rw {
    version = $VERSION
    local_addrs = 198.51.100.2
    proposals = $PROPOSAL
    local { auth = psk
            id = responder.test }
    remote { auth = psk }
    $([ "$VIPS" = 1 ] && echo 'pools = load')
    children { c { local_ts = 10.0.0.0/9
                   $([ "$VIPS" = 1 ] || echo 'remote_ts = 10.128.0.0/9')
                   esp_proposals = aes128gcm16
                   $([ -n "$UPDOWN" ] && echo "updown = $UPDOWN") } }
  }
}
$([ "$VIPS" = 1 ] && echo 'pools { load { addrs = 10.128.0.0/12 } }')
secrets { ike-load { secret = "$PSK" }
$(awk -v n="$PEER_SECRETS" -v k="$PSK" 'BEGIN { for (i = 0; i < n; i++) printf "  ike-peer%d { id = load-%d@dpike.test\n secret = \"%s\" }\n", i, i, k }')
}
EOC

# load TARGET N [OPTIONS]: runs dpike-load in the generator's namespace, JSON report to stdout. The
# generator reuses its key pair: it shares the machine's CPUs with the responders, and the point is
# what they can do, not the X25519 work of the many clients it stands for.
load() {
	local target=$1 n=$2
	shift 2
	ip netns exec "$gen" timeout 600 "$LOAD" "$target" --sas "$n" --psk "$PSK" --remote-id responder.test \
		--concurrency 512 --ports 256 --timeout 300 --ke-reuse 60 --proposal "$PROPOSAL" $V1_FLAG \
		$([ "$VIPS" = 1 ] && echo --vips) --json \
		${DPIKE_LOAD_VERBOSE:+-v} "$@" 2>>"$LAB_DIR/load-$target.log"
}

json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# UDP datagrams the generator's kernel discarded for a full socket receive buffer (RcvbufErrors)
gen_rcvbuf_errors() { ip netns exec "$gen" awk '/^Udp: [0-9]/ { print $6 }' /proc/net/snmp; }

# cpu_ticks STAT_FILE: user + system clock ticks of a thread (task/TID/stat) or a whole process (stat).
cpu_ticks() { awk '{ print $14 + $15 }' "$1"; }

describe() { # FILE NAME
	json "$1" "'%-10s %6d up of %6d  %8.0f handshakes/s  p50 %7.2f ms  p99 %7.2f ms  failures %s  retransmitted %d (lost at dpike-load: %d)' % ('$2', d['up'], d['asked'], d['handshakes_per_s'], d['latency_ms']['p50'], d['latency_ms']['p99'], d['failures'] or 'none', d['initiator']['ike']['retransmits'] + d['initiator'].get('ikev1', {}).get('retransmits', 0), d['send_lost'])"
}

DPIKE_MEM_MB=$((1024 + MAX * 8 / 1024)) DPIKE_LIMIT_S=1200 dpike_start "$dut" "$LAB_DIR/dpike.conf" dpike
# Neither responder asks for cookies or blocks: strongSwan's per-address limits (cookie_threshold_ip,
# default 3) would otherwise meet every handshake, all of them coming from the generator's one address.
SW_LOG_DEFAULT=${SW_LOG_DEFAULT:-0} SW_LOG_IKE=${SW_LOG_IKE:-0} sw_start "$sw" "$LAB_DIR/sw" "cookie_threshold = 1000000
  cookie_threshold_ip = 1000000
  block_threshold = 1000000
  init_limit_half_open = 0
  ikesa_table_size = 65536
  ikesa_table_segments = 64"

dpike_pid=$(pgrep -P "$DPIKE_PID") # DPIKE_PID is the timeout(1) around it
# The generator resolves both responders before the measured runs: its kernel drops what it
# cannot queue while its ARP request is out (unres_qlen_bytes), and a burst of first requests
# overflowed that now and then (a run with 17 retransmissions: 17 more unresolved_discards in
# /proc/net/stat/arp_cache), costing the run a 2 s retransmission: ~2,000 handshakes/s measured.
for peer in 192.0.2.2 198.51.100.2; do
	lab_wait_for 10 ip netns exec "$gen" ping -c 1 -W 1 -q "$peer" >/dev/null
done
# The responders' CPU time per handshake: dpike's control core is its main thread; charon, all threads.
echo "== $SAS handshakes against each responder, as fast as dpike-load goes"
t0=$(cpu_ticks "/proc/$dpike_pid/task/$dpike_pid/stat")
# DPIKE_PERF=FILE: a perf profile of dpike's control core over the rate run (DPIKE_PERF_HZ samples a
# second, 2000; DPIKE_PERF_ALL=1: of the whole machine)
[ -n "${DPIKE_PERF:-}" ] && { if [ -n "${DPIKE_PERF_ALL:-}" ]; then perf record -q -e cpu-clock -F 2000 -a -g -o "$DPIKE_PERF" & else perf record -q -e cpu-clock --call-graph dwarf,16384 -F "${DPIKE_PERF_HZ:-2000}" -t "$dpike_pid" -o "$DPIKE_PERF" & fi; perf_pid=$!; }
reload_every() {
	while :; do
		"$DPIKECTL" -s "$LAB_DIR/dpike.sock" load-conns >/dev/null 2>&1 && echo >>"$LAB_DIR/reloads"
		sleep "$1" # the pace asked for, not a wait for a state
	done
}
[ "$RELOADS" = 0 ] || { reload_every "$RELOADS" & reloader=$!; }
load 192.0.2.2 "$SAS" >"$LAB_DIR/dpike-rate.json" || true # --check judges the results
if [ "$RELOADS" != 0 ]; then
	kill "$reloader"
	wait "$reloader" 2>/dev/null || true
	echo "dpike: $(wc -l <"$LAB_DIR/reloads" 2>/dev/null || echo 0) load-conns of its $((SITE_CONNS + 1)) connections, one every $RELOADS s, done during the run"
fi
[ -n "${DPIKE_PERF:-}" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
t1=$(cpu_ticks "/proc/$dpike_pid/task/$dpike_pid/stat")
# The responders take the generator's last Deletes (IKEv1's are not answered) a moment later;
# the SAs' memory goes back after the workers' grace period. What the SAs held goes back but a
# spare 64 KiB chunk for each SA size (inbound, outbound).
SA_MEMORY_BACK="d['tables']['sa_bytes'] <= 4 * 65536"
dpike_emptied() {
	"$DPIKECTL" -s "$LAB_DIR/dpike.sock" --json stats >"$LAB_DIR/after-rate.json" &&
		[ "$(json "$LAB_DIR/after-rate.json" "int(d['ike']['sas_established'] + d['ikev1']['sas_established'] == 0 and d['tables']['sad_sas'] == 0 and d['tables']['spd_policies'] == 0 and $SA_MEMORY_BACK)")" = 1 ]
}
# IKE SAs strongSwan holds ("?" when swanctl cannot tell)
sw_sas() {
	local out
	out=$(sw_ctl "$LAB_DIR/sw" --list-sas 2>/dev/null) || { echo "?"; return; }
	grep -c ESTABLISHED <<<"$out" || true
}
lab_wait_for 10 dpike_emptied || true # judged below, with --check
# --updown: every handshake's child ran CMD coming up and going down (one run at a time)
updown_all_run() {
	"$DPIKECTL" -s "$LAB_DIR/dpike.sock" --json stats >"$LAB_DIR/updown.json" &&
		[ "$(json "$LAB_DIR/updown.json" "int(d['control']['updown_runs'] >= 2 * $(json "$LAB_DIR/dpike-rate.json" "d['up']"))")" = 1 ]
}
if [ -n "$UPDOWN" ]; then
	updown_t0=$SECONDS
	lab_wait_for 300 updown_all_run || true
	json "$LAB_DIR/updown.json" "'updown: dpike ran %d scripts (%d failed, %d killed, %d dropped), all done %d s after the last handshake\'s delete' % (d['control']['updown_runs'], d['control']['updown_failed'], d['control']['updown_killed'], d['control']['updown_dropped'], $SECONDS - $updown_t0)"
fi
s0=$(cpu_ticks "/proc/$SW_PID/stat")
load 198.51.100.2 "$SW_SAS" --base-port 20000 >"$LAB_DIR/sw-rate.json" || true
s1=$(cpu_ticks "/proc/$SW_PID/stat")
lab_wait_for 10 test "$(sw_sas)" = 0 || true
sw_left=$(sw_sas)
describe "$LAB_DIR/dpike-rate.json" dpike
describe "$LAB_DIR/sw-rate.json" strongSwan
deleted() { # FILE NAME
	json "$1" "'%-10s %6d deleted of %6d in %6.2f s (%6.0f/s), %d unanswered, %d IKE SAs left in dpike-load' % ('$2', d['deleted'], d['delete_asked'], d['delete_s'], d['deletes_per_s'], d['delete_unanswered'], d['left_at_end'])"
}
deleted "$LAB_DIR/dpike-rate.json" dpike
deleted "$LAB_DIR/sw-rate.json" strongSwan
ratio=$(json "$LAB_DIR/dpike-rate.json" "d['handshakes_per_s']")
sw_rate=$(json "$LAB_DIR/sw-rate.json" "d['handshakes_per_s']")
/usr/bin/python3 -c "
import sys
d, s, v, n, k = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
r = d / s if s else float('inf')
over = '' if n == k else ' (strongSwan over %s handshakes, dpike over %s)' % (k, n)
if v == '1':
    print('dpike / strongSwan: %.1fx%s (IKEv1: Main Mode + Quick Mode; the targets are IKEv2 handshakes)' % (r, over))
else:
    print('dpike / strongSwan: %.1fx%s (target >= 5x); dpike against the 10,000/s target: %.2fx' % (r, over, d / 10000))" \
	"$ratio" "$sw_rate" "$VERSION" "$SAS" "$SW_SAS"
hz=$(getconf CLK_TCK)
/usr/bin/python3 -c "
import sys
n, hz, d, s = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
us = lambda t: t * 1e6 / hz / n
sw_us = lambda t: t * 1e6 / hz / int(sys.argv[5])
print('CPU per handshake: dpike control core %.0f us (one core: %.0f/s), strongSwan all threads %.0f us (%.0f/s per core)'
      % (us(d), 1e6 / us(d) if d else 0, sw_us(s), 1e6 / sw_us(s) if s else 0))
print('the generator (dpike-load, on the same CPUs): %.0f us against dpike, %.0f us against strongSwan' % tuple(
    1e6 * float(g) for g in sys.argv[6:8]))" "$SAS" "$hz" $((t1 - t0)) $((s1 - s0)) "$SW_SAS" \
	"$(json "$LAB_DIR/dpike-rate.json" "d.get('handshake_cpu_s', 0) / max(1, d['up'])")" \
	"$(json "$LAB_DIR/sw-rate.json" "d.get('handshake_cpu_s', 0) / max(1, d['up'])")"
# IKE_SA_INIT requests in hand when the control core flushed: their X25519 derivations ran together
json "$LAB_DIR/after-rate.json" "'dpike key exchanges done together: %d in %d batches (%.1f a batch, eight at most; 0 where the CPU lacks AVX2)' % (d['ike'].get('ke_batched', 0), d['ike'].get('ke_batches', 0), d['ike'].get('ke_batched', 0) / max(1, d['ike'].get('ke_batches', 0)))"

echo "== $HELD IKE SAs held on dpike for $HOLD s, DPD every $DPD_DELAY s"
"$DPIKECTL" -s "$LAB_DIR/dpike.sock" --json stats >"$LAB_DIR/before.json"
rss0=$(rss_kb "$dpike_pid")
rcvbuf0=$(gen_rcvbuf_errors)
load 192.0.2.2 "$HELD" --base-port 30000 --hold "$HOLD" --dpd-delay "$DPD_DELAY" --id "held-%u@dpike.test" \
	--inner-net 10.192.0.0/10 --no-delete >"$LAB_DIR/held.json" || true
rss1=$(rss_kb "$dpike_pid")
describe "$LAB_DIR/held.json" dpike
echo "generator: $(($(gen_rcvbuf_errors) - rcvbuf0)) datagrams its kernel discarded for a full socket buffer (then retransmitted)"
"$DPIKECTL" -s "$LAB_DIR/dpike.sock" --json stats >"$LAB_DIR/after.json"
json "$LAB_DIR/held.json" "'held: %d of %d still up after %.0f s, %d lost; %d datagrams out and %d in while holding (DPD)' % (d['up_at_end'], d['up'], d['hold_s'], d['lost_after_up'], d['hold_datagrams_out'], d['hold_datagrams_in'])"
# Where an IKE datagram could go missing while opening and holding: dpike's punt ring, its port's
# receive ring (the worker shares the CPUs with the generator), the control core's inject ring, the
# worker's drops; requests dpike saw twice or refused; and what each end counted each way.
/usr/bin/python3 -c "
import json, sys
b, a, g = (json.load(open(f)) for f in sys.argv[1:4])
def ike(d, k):
    return sum(d.get(v, {}).get(k, 0) for v in ('ike', 'ikev1'))
def drops(d, r):
    return d['total']['drops'].get(r, 0)
ring = drops(a, 'ike_punt_ring_full') - drops(b, 'ike_punt_ring_full')
missed = sum(p['rx_missed'] for p in a['interfaces'].values()) - sum(p['rx_missed'] for p in b['interfaces'].values())
inject = a['control']['inject_ring_full'] - b['control']['inject_ring_full']
other = {r: drops(a, r) - drops(b, r) for r in a['total']['drops'] if drops(a, r) - drops(b, r) and r != 'ike_punt_ring_full'}
print('dpike: %d IKE datagrams dropped at the full punt ring, %d frames missed by its port, %d of its own found '
      'the inject ring full, while opening and holding them; other drops: %s; %d requests seen again (answered '
      'from its cache: the first answer was late or lost on the way), %d refused as invalid' % (
          ring, missed, inject, other or 'none', ike(a, 'retransmits_answered') - ike(b, 'retransmits_answered'),
          ike(a, 'rx_invalid') - ike(b, 'rx_invalid')))
print('IKE datagrams: the generator sent %d, dpike received %d; dpike sent %d, the generator received %d' % (
    ike(g['initiator'], 'tx'), ike(a, 'rx') - ike(b, 'rx'), ike(a, 'tx') - ike(b, 'tx'), ike(g['initiator'], 'rx')))" \
	"$LAB_DIR/before.json" "$LAB_DIR/after.json" "$LAB_DIR/held.json"
sas_now=$(json "$LAB_DIR/after.json" "d['ike']['sas_established'] + d['ikev1']['sas_established']")
# What the SAs cost the control core when nothing happens: the generator has gone, dpike keeps them.
i0=$(cpu_ticks "/proc/$dpike_pid/task/$dpike_pid/stat")
idle_t0=$(date +%s.%N)
sleep 5 # the measurement window, not a wait for anything
i1=$(cpu_ticks "/proc/$dpike_pid/task/$dpike_pid/stat")
/usr/bin/python3 -c "
import sys, time
t, hz, sas = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print('control core holding %d IKE SAs with no traffic: %.1f%% of a core' % (sas, 100.0 * int(sys.argv[4]) / hz / (time.time() - t)))" \
	"$idle_t0" "$hz" "$sas_now" $((i1 - i0))
json "$LAB_DIR/after.json" "'dpike tables: %d inbound SAs in the SAD (of %d; %d outside their own bucket), %d policies in the SPD (of %d), %d selector shapes; %d bytes of SA memory' % (d['tables']['sad_sas'], d['tables']['sad_size'], d['tables']['sad_spilled'], d['tables']['spd_policies'], d['tables']['spd_size'], d['tables']['spd_shapes'], d['tables']['sa_bytes'])"
echo "dpike: $sas_now IKE SAs established; RSS $((rss0 / 1024)) MB -> $((rss1 / 1024)) MB:" \
	"$(((rss1 - rss0) * 1024 / (HELD > 0 ? HELD : 1))) bytes per IKE SA with its child pair in the dataplane"
if [ "$VIPS" = 1 ]; then
	"$DPIKECTL" -s "$LAB_DIR/dpike.sock" --json list-pools >"$LAB_DIR/pools.json"
	json "$LAB_DIR/pools.json" "'dpike pool %s: %d of %d addresses online, %d ever leased' % (d['pools'][0]['name'], d['pools'][0]['online'], d['pools'][0]['size'], d['pools'][0]['leased'])"
fi

if [ "$CHECK" = 1 ]; then
	# failures are told by reason: a wrong PSK, and a proposal the responder does not take
	ip netns exec "$gen" timeout 120 "$LOAD" 192.0.2.2 --sas 20 --psk "not $PSK" --remote-id responder.test \
		--proposal "$PROPOSAL" --base-port 40000 --timeout 60 $V1_FLAG --json >"$LAB_DIR/wrong-psk.json" || true
	ip netns exec "$gen" timeout 120 "$LOAD" 192.0.2.2 --sas 20 --psk "$PSK" --remote-id responder.test \
		--proposal "$WRONG_PROPOSAL" --base-port 40100 --timeout 60 $V1_FLAG --json >"$LAB_DIR/wrong-prop.json" || true
	# --rate paces the starts: 200 at 400 a second cannot complete faster than 200 in 199/400 s
	ip netns exec "$gen" timeout 120 "$LOAD" 192.0.2.2 --sas 200 --rate 400 --psk "$PSK" --remote-id responder.test \
		--proposal "$PROPOSAL" --base-port 40200 --id "paced-%u@dpike.test" --timeout 60 $V1_FLAG \
		$([ "$VIPS" = 1 ] && echo --vips) --json \
		>"$LAB_DIR/paced.json" || true
	paced=$(json "$LAB_DIR/paced.json" "int(d['up'] == 200 and 0 < d['handshakes_per_s'] <= 400 * 200 / 199)")
	# IKEv2 says why; in IKEv1 a wrong PSK garbles Main Mode's encrypted messages, so all it can show is silence
	psk_reason=$([ "$VERSION" = 1 ] && echo timeout || echo 'our authentication refused')
	prop_reason=$([ "$VERSION" = 1 ] && echo 'no acceptable proposal' || echo 'IKE_SA_INIT refused')
	psk_told=$(json "$LAB_DIR/wrong-psk.json" "int(d['up'] == 0 and d['failures'] == {'$psk_reason': 20})")
	prop_told=$(json "$LAB_DIR/wrong-prop.json" "int(d['up'] == 0 and d['failures'] == {'$prop_reason': 20})")
	ok=$(json "$LAB_DIR/held.json" "int(d['up'] == d['asked'] and d['up_at_end'] == d['up'] and (d['hold_datagrams_in'] > 0 or not $DPD_SEEN))")
	dpd_said=$([ "$DPD_SEEN" = 1 ] && echo "DPD answered" || echo "(the hold too short for DPD)")
	ok_rate=$(json "$LAB_DIR/dpike-rate.json" "int(d['up'] == d['asked'])")
	ok_sw=$(json "$LAB_DIR/sw-rate.json" "int(d['up'] == d['asked'])")
	all_deleted="int(d['deleted'] == d['up'] == d['delete_asked'] and d['left_at_end'] == 0)"
	del_dpike=$(json "$LAB_DIR/dpike-rate.json" "$all_deleted")
	del_sw=$(json "$LAB_DIR/sw-rate.json" "$all_deleted")
	dpike_empty=$(json "$LAB_DIR/after-rate.json" "int(d['ike']['sas_established'] + d['ikev1']['sas_established'] == 0 and d['tables']['sad_sas'] == 0 and d['tables']['spd_policies'] == 0)")
	sa_memory_back=$(json "$LAB_DIR/after-rate.json" "int($SA_MEMORY_BACK)")
	lab_check "every handshake against dpike succeeded" [ "$ok_rate" = 1 ]
	lab_check "every handshake against strongSwan succeeded" [ "$ok_sw" = 1 ]
	lab_check "dpike-load deleted every SA it opened on dpike (IKEv2: every Delete answered)" [ "$del_dpike" = 1 ]
	lab_check "dpike-load deleted every SA it opened on strongSwan (IKEv2: every Delete answered)" [ "$del_sw" = 1 ]
	lab_check "dpike then held no IKE SA, and its SAD and SPD were empty" [ "$dpike_empty" = 1 ]
	lab_check "dpike gave back the memory of the SAs deleted" [ "$sa_memory_back" = 1 ]
	lab_check "strongSwan then held no IKE SA ($sw_left left)" [ "$sw_left" = 0 ]
	lab_check "every held SA stayed up, $dpd_said" [ "$ok" = 1 ]
	if [ -n "$UPDOWN" ]; then
		lab_check "updown ran for each handshake's child coming up and going down, none failed or was dropped" \
			[ "$(json "$LAB_DIR/updown.json" "int(d['control']['updown_runs'] >= 2 * $(json "$LAB_DIR/dpike-rate.json" "d['up']") and d['control']['updown_failed'] == 0 and d['control']['updown_dropped'] == 0)")" = 1 ]
	fi
	if [ "$VIPS" = 1 ]; then
		lab_check "every held client has an address of its own from dpike's pool" \
			[ "$(json "$LAB_DIR/pools.json" "int(d['pools'][0]['online'] == $HELD)")" = 1 ]
	fi
	in_sad=$(json "$LAB_DIR/after.json" "int(d['tables']['sad_sas'] >= $HELD and d['tables']['spd_policies'] >= 2 * $HELD)")
	# IKE draws inbound SPIs whose SAD bucket has room: none should need a second read
	own_bucket=$(json "$LAB_DIR/after.json" "int(d['tables']['sad_spilled'] == 0)")
	lab_check "dpike's SAD and SPD hold a child SA pair and its two policies for every IKE SA" [ "$in_sad" = 1 ]
	lab_check "every inbound SPI IKE chose sits in its own SAD bucket" [ "$own_bucket" = 1 ]
	lab_check "a wrong PSK: every SA failed as '$psk_reason'" [ "$psk_told" = 1 ]
	lab_check "an unacceptable proposal: every SA failed as '$prop_reason'" [ "$prop_told" = 1 ]
	lab_check "at --rate 400, all 200 up and none started ahead of the pace ($(json "$LAB_DIR/paced.json" "'%.0f/s' % d['handshakes_per_s']"))" [ "$paced" = 1 ]
	lab_summary ike-load
	[ "$LAB_FAILED" = 0 ]
fi
