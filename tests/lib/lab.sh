# SPDX-License-Identifier: BSD-3-Clause
# Helpers for tests that build a lab of network namespaces. Source it, then call lab_init NAME.
# Everything created is recorded and removed by lab_cleanup, which runs on any exit.

LAB_NS=()
LAB_PIDS=()
LAB_DIR=""
LAB_ID=""

# lab_binaries BUILD_DIR: DPIKE and DPIKECTL from that build (exported: helpers in Python use DPIKECTL).
lab_binaries() {
	DPIKE=$(realpath "$1/app/dpike")
	DPIKECTL=$(realpath "$1/app/dpikectl")
	export DPIKE DPIKECTL
}

lab_init() {
	LAB_ID="$1-$$"
	LAB_DIR=$(mktemp -d "/tmp/dpike-$1.XXXXXX")
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM
}

lab_cleanup() {
	local rc=$?
	set +e # cleanup continues past whatever is already gone
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		lab_wait_gone "$pid" 10 || kill -9 "$pid" 2>/dev/null
	done
	for ns in "${LAB_NS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf /var/run/dpdk/dpk-"$LAB_ID"-* # what each DPDK process leaves for its file prefix
	if [ "$rc" -ne 0 ] && [ -n "$LAB_DIR" ]; then
		echo "--- logs kept in $LAB_DIR"
		for f in "$LAB_DIR"/*.log; do
			[ -f "$f" ] && { echo "--- tail $f"; tail -n 30 "$f"; }
		done
	elif [ -n "$LAB_DIR" ] && [ -n "${LAB_KEEP:-}" ]; then
		echo "--- logs kept in $LAB_DIR (LAB_KEEP)"
	elif [ -n "$LAB_DIR" ]; then
		rm -rf "$LAB_DIR"
	fi
	exit "$rc"
}

# lab_ns VAR SHORTNAME: creates namespace "dpk-$LAB_ID-SHORTNAME" (loopback up) and stores its name in VAR.
# Not for use in $(...): the namespace must be recorded in this shell for lab_cleanup.
lab_ns() {
	local ns="dpk-$LAB_ID-$2"
	LAB_NS+=("$ns")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	printf -v "$1" '%s' "$ns"
}

# lab_link NS1 IF1 MAC1 NS2 IF2 MAC2: a veth pair between two namespaces, up, IPv6 off, TX checksum offload off.
lab_link() {
	ip link add "$2" netns "$1" address "$3" type veth peer name "$5" netns "$4" address "$6"
	local ns ifc
	for pair in "$1 $2" "$4 $5"; do
		set -- $pair
		ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
		ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1
		ip -n "$1" link set "$2" up
	done
}

# lab_wait_gone PID SECONDS: polls until the process has exited.
lab_wait_gone() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
	return 0
}

# lab_wait_for SECONDS COMMAND...: polls COMMAND until it succeeds or the deadline passes.
lab_wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# dpike_start NS CONFIG NAME [WORKERS]: runs dpike in NS with 1 (default) or more workers, mapped
# onto the machine's two CPUs; waits until its control socket answers.
# EAL memory: $DPIKE_MEM_MB (512 MB by default), on hugepages with DPIKE_HUGE=1 (reserved and
# mounted beforehand; the files unlinked, so nothing stays behind); a run limit of $DPIKE_LIMIT_S (300 s).
dpike_start() {
	local ns=$1 conf=$2 name=$3 workers=${4:-1} limit=${DPIKE_LIMIT_S:-300}
	local sock lcores="0@0" w mem=--no-huge
	[ -n "${DPIKE_HUGE:-}" ] && mem=--huge-unlink
	for ((w = 1; w <= workers; w++)); do lcores+=",$w@$((w % 2))"; done
	sock=$(sed -n 's/^ctl_socket *= *"\(.*\)";/\1/p' "$conf")
	ip netns exec "$ns" timeout "$limit" "$DPIKE" --lcores "$lcores" $mem -m "${DPIKE_MEM_MB:-512}" --no-pci \
		--file-prefix "dpk-$LAB_ID-$name" --log-level=lib.eal:warning -- -f "$conf" \
		>"$LAB_DIR/$name.log" 2>&1 &
	local pid=$!
	LAB_PIDS+=($pid)
	DPIKE_PID=$pid
	local deadline=$((SECONDS + 60))
	until "$DPIKECTL" -s "$sock" status >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "dpike $name exited during start-up:"
			tail -n 20 "$LAB_DIR/$name.log"
			return 1
		fi
		if [ $SECONDS -ge $deadline ]; then
			echo "dpike $name did not come up within 60 s"
			return 1
		fi
		sleep 0.1
	done
}

# dpike_stop: stops the dpike started last (the lab's other processes go on).
dpike_stop() {
	kill -TERM "$DPIKE_PID" 2>/dev/null || true
	lab_wait_gone "$DPIKE_PID" 15 || true
}

# dpike_stop_all: SIGTERM to everything this lab started, and wait for it to exit.
dpike_stop_all() {
	for pid in "${LAB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true # some may be gone already
	done
	for pid in "${LAB_PIDS[@]}"; do
		lab_wait_gone "$pid" 15 || true
	done
}

# lab_check "what" COMMAND...: runs COMMAND, records and prints the result. lab_summary prints the totals.
LAB_PASSED=0
LAB_FAILED=0
lab_check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
		LAB_PASSED=$((LAB_PASSED + 1))
	else
		echo "FAIL $what"
		LAB_FAILED=$((LAB_FAILED + 1))
	fi
}

lab_summary() {
	echo "$1: $LAB_PASSED passed, $LAB_FAILED failed"
	[ "$LAB_FAILED" -eq 0 ]
}

# json_get FILE PYTHON_EXPR: evaluates an expression on the JSON document in FILE (bound to j).
json_get() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
