#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# What loading connections again costs: dpikectl load-conns on a dpike holding N connections (PSK
# responders, one child each, as a concentrator's customers), and swanctl --load-conns on
# strongSwan's charon with the same connections, same machine, same run. Four loads each: the file
# as running (nothing changes), every connection changed (a child's rekey_time), then a mix (the
# first quarter removed, a quarter new, the rest as before), and the first file again. Printed: the
# seconds each load took, the longest dpikectl status waited for an answer meanwhile (the file is
# read beside the control core, which goes on with IKE and the CLI), what it reported, and dpike's
# resident memory after it (a load must not leave memory behind).
#
#   tests/bench/load_conns.sh BUILD_DIR [--conns N] [--no-strongswan] [--check]
#
# --conns: N (10000). --check: exit 1 unless each of dpike's loads counted what the file changed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/lib/lab.sh"
. "$root/tests/lib/strongswan.sh"
lab_binaries "$1"
shift
N=10000 CHECK=0 SW=1
while [ $# -gt 0 ]; do
	case $1 in
	--conns) N=$2; shift ;;
	--no-strongswan) SW=0 ;;
	--check) CHECK=1 ;;
	*) echo "unknown option $1"; exit 2 ;;
	esac
	shift
done
lab_init load-conns
lab_ns dut dut
lab_ns sw sw

# write VARIANT: dpike's and strongSwan's files for a variant: same (as at start), changed (every
# child's rekey_time), mixed (connections N/4.. of "same", and N/4 new ones after them).
write() {
	/usr/bin/python3 - "$LAB_DIR" "$N" "$1" <<'PY'
import sys
d, n, variant = sys.argv[1], int(sys.argv[2]), sys.argv[3]
names = range(n) if variant != "mixed" else list(range(n // 4, n)) + list(range(n, n + n // 4))
rekey = "2h" if variant == "changed" else "1h"
conns, sw = [], []
for i in names:
    peer = "198.51.%d.%d" % (100 + i // 250, i % 250 + 1)
    net = "10.%d.%d.0/24" % (100 + i // 256 % 100, i % 256)
    conns.append('{ name = "c%d"; version = 2; local_addrs = ["192.0.2.2"]; remote_addrs = ["%s"]; '
                 'proposals = ["aes128gcm16-prfsha256-x25519"]; local = { auth = "psk"; id = "gw.example"; }; '
                 'remote = { auth = "psk"; id = "peer%d.example"; }; children = ( { name = "net"; '
                 'local_ts = ["10.2.0.0/24"]; remote_ts = ["%s"]; esp_proposals = ["aes128gcm16"]; '
                 'rekey_time = "%s"; } ); }' % (i, peer, i, net, rekey))
    sw.append('c%d { version = 2\n local_addrs = 192.0.2.2\n remote_addrs = %s\n '
              'proposals = aes128gcm16-prfsha256-x25519\n local { auth = psk\n id = gw.example }\n '
              'remote { auth = psk\n id = peer%d.example }\n children { net { local_ts = 10.2.0.0/24\n '
              'remote_ts = %s\n esp_proposals = aes128gcm16\n rekey_time = %s } } }\n' % (i, peer, i, net, rekey))
with open(d + "/dpike.conf", "w") as f:
    f.write('log_level = "warning";\nctl_socket = "%s/dpike.sock";\nworkers = { idle_sleep_us = 100; };\n'
            'interfaces = ( { name = "wan"; device = "net_null0"; address = "192.0.2.2/24"; },\n'
            '  { name = "lan"; device = "net_null1"; address = "10.2.0.254/24"; } );\n' % d)
    f.write("connections = ( " + ",\n".join(conns) + " );\nsecrets = ( { type = \"ike\"; secret = \"x\"; } );\n")
with open(d + "/swanctl.conf", "w") as f:
    f.write("connections {\n" + "".join(sw) + "}\nsecrets { ike { secret = x } }\n")
PY
}

# timed COMMAND...: the seconds COMMAND took (its output in last.out).
timed() {
	local t0=$EPOCHREALTIME
	"$@" >"$LAB_DIR/last.out" 2>&1
	since "$t0"
}
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
# longest_status_while PID: the most milliseconds dpikectl status took, asked again and again while PID runs.
longest_status_while() {
	local worst=0 t0 ms
	while kill -0 "$1" 2>/dev/null; do
		t0=$EPOCHREALTIME
		"$DPIKECTL" -s "$LAB_DIR/dpike.sock" status >/dev/null 2>&1 || true
		ms=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
		[ "$ms" -le "$worst" ] || worst=$ms
	done
	echo "$worst"
}
rss_mb() { awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$(pgrep -P "$DPIKE_PID" -x dpike)/status"; }

FAILED=0
# expect WHAT FIELD=VALUE...: load.json must hold each (with --check, the run fails otherwise).
expect() {
	local what=$1
	shift
	if ! /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
sys.exit(not all(j[k]==int(v) for k,v in (a.split("=") for a in sys.argv[2:])))' "$LAB_DIR/load.json" "$@"; then
		echo "  dpike's '$what' load counted otherwise than $*"
		FAILED=1
	fi
}

write same
t0=$EPOCHREALTIME
DPIKE_MEM_MB=512 dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
echo "dpike: started with $N connections in $(since "$t0") s, $(rss_mb) MB resident"
if [ "$SW" = 1 ]; then
	t0=$EPOCHREALTIME
	SW_LOG_DEFAULT=0 SW_LOG_IKE=0 sw_start "$sw" "$LAB_DIR"
	echo "strongSwan: started and loaded $N connections in $(since "$t0") s"
fi
q=$((N / 4))
# what each load must count: the file as running; all changed; a quarter gone, a quarter new, the
# rest changed back; the first file again (the mix's new quarter gone, its first quarter back)
expected=("connections=$N added=0 removed=0 replaced=0 unchanged=$N"
	"connections=$N added=0 removed=0 replaced=$N unchanged=0"
	"connections=$N added=$q removed=$q replaced=$((N - q)) unchanged=0"
	"connections=$N added=$q removed=$q replaced=0 unchanged=$((N - q))")
printf '%-8s %9s %10s %9s  %s\n' load "dpike s" "status ms" "charon s" "dpike reported (its RSS after)"
i=0
for variant in same changed mixed same; do
	write "$variant"
	t0=$EPOCHREALTIME
	"$DPIKECTL" -s "$LAB_DIR/dpike.sock" --json load-conns >"$LAB_DIR/load.json" 2>&1 &
	loader=$!
	worst=$(longest_status_while "$loader")
	wait "$loader" || true # the counts below tell
	d=$(since "$t0")
	s=-
	[ "$SW" = 1 ] && s=$(timed sw_ctl "$LAB_DIR" --load-conns --file "$LAB_DIR/swanctl.conf")
	printf '%-8s %9s %10s %9s  %s (%s MB)\n' "$variant" "$d" "$worst" "$s" "$(cat "$LAB_DIR/load.json")" "$(rss_mb)"
	# shellcheck disable=SC2086 # the fields are words
	expect "$variant" ${expected[$i]}
	i=$((i + 1))
done
dpike_stop_all
[ "$CHECK" = 0 ] || [ "$FAILED" = 0 ]
