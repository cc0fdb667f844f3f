#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Rekeying against strongSwan under a numbered UDP stream (ikev2-lab.sh): child rekey by
# dpike, by strongSwan, then IKE SA rekey by each. Afterwards every datagram arrived exactly
# once, and only the newest SAs exist on both ends.
# Usage: strongswan-ikev2-rekey.sh BUILD_DIR
set -eu
. "$(dirname "$0")/ikev2-lab.sh" "$1"
lab_init sw-rekey
ikev2_lab_up
dpike_conf "" "$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16-x25519", "aes128gcm16"')"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16-x25519
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "tunnel up" lab_wait_for 10 dpike_up

# what dpike has: "IKE-SPI child-SPI-in" of its one IKE SA, and how many IKE SAs and ESP SAs
dpike_sas() {
	ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin); i=j["ike_sas"]
print(len(i), len(j["sas"]), i[0]["spi_i"] if i else "-", i[0]["children"][0]["spi_in"] if i and i[0]["children"] else "-")'
}
sw_child_spis() { sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -c " in  "; }
# changed FIELD OLD: the field of dpike_sas (3 IKE SPI, 4 child SPI) differs from OLD, and the old SAs are gone
changed() {
	local now
	read -r -a now <<<"$(dpike_sas)"
	[ "${now[$(($1 - 1))]}" != "$2" ] && [ "${now[0]}" = 1 ] && [ "${now[1]}" = 2 ] && [ "$(sw_child_spis)" = 1 ]
}
field() { dpike_sas | cut -d' ' -f"$1"; }

# two streams at once: host-b -> site (dpike encrypts) and site -> host-b (dpike decrypts)
ip netns exec "$sw" python3 "$root/tests/lab/udp_stream.py" recv 7000 "$LAB_DIR/recv.txt" &
rcv=$!
ip netns exec "$hb" python3 "$root/tests/lab/udp_stream.py" recv 7001 "$LAB_DIR/recv-back.txt" &
rcv_back=$!
LAB_PIDS+=($rcv $rcv_back)
lab_wait_for 10 bash -c "ip netns exec '$sw' ss -lunH 'sport = :7000' | grep -q 7000"
lab_wait_for 10 bash -c "ip netns exec '$hb' ss -lunH 'sport = :7001' | grep -q 7001"
ip netns exec "$hb" python3 "$root/tests/lab/udp_stream.py" send 10.1.0.1 7000 400 "$LAB_DIR/sent.txt" &
snd=$!
ip netns exec "$sw" python3 "$root/tests/lab/udp_stream.py" send 10.2.0.1 7001 400 "$LAB_DIR/sent-back.txt" &
snd_back=$!
received() { [ -s "$LAB_DIR/recv.txt" ] && [ "$(cut -d' ' -f2 "$LAB_DIR/recv.txt")" -ge "$1" ]; }
lab_check "stream flows through the tunnel" lab_wait_for 10 received 200

old=$(field 4)
lab_check "dpike rekeys the child SA" ctl rekey site-a/net
lab_check "... new child SA in place, old ones gone on both ends" lab_wait_for 15 changed 4 "$old"
lab_wait_for 10 received "$(( $(cut -d' ' -f2 "$LAB_DIR/recv.txt") + 200 ))"

old=$(field 4)
sw_ctl "$LAB_DIR" --rekey --child net >/dev/null
lab_check "strongSwan rekeys the child SA: new child in place, old ones gone" lab_wait_for 15 changed 4 "$old"
lab_wait_for 10 received "$(( $(cut -d' ' -f2 "$LAB_DIR/recv.txt") + 200 ))"

old=$(field 3)
lab_check "dpike rekeys the IKE SA" ctl rekey site-a
lab_check "... new IKE SA, the child carried over" lab_wait_for 15 changed 3 "$old"
lab_wait_for 10 received "$(( $(cut -d' ' -f2 "$LAB_DIR/recv.txt") + 200 ))"

old=$(field 3)
sw_ctl "$LAB_DIR" --rekey --ike dpike >/dev/null
lab_check "strongSwan rekeys the IKE SA: new IKE SA, the child carried over" lab_wait_for 15 changed 3 "$old"
lab_wait_for 10 received "$(( $(cut -d' ' -f2 "$LAB_DIR/recv.txt") + 200 ))"

kill -TERM "$snd" "$snd_back"
wait "$snd" "$snd_back" || true
for dir in "" "-back"; do
	sent=$(cat "$LAB_DIR/sent$dir.txt")
	all_in() { [ -s "$LAB_DIR/recv$dir.txt" ] && [ "$(cut -d' ' -f2 "$LAB_DIR/recv$dir.txt")" -ge "$sent" ]; }
	lab_wait_for 10 all_in || true
done
kill -TERM "$rcv" "$rcv_back"
wait "$rcv" "$rcv_back" || true
for dir in "" "-back"; do
	name=$([ -z "$dir" ] && echo "host-b -> site" || echo "site -> host-b")
	sent=$(cat "$LAB_DIR/sent$dir.txt")
	read -r got distinct dups highest <"$LAB_DIR/recv$dir.txt"
	echo "$name: sent $sent, received $got ($distinct distinct, $dups duplicates, highest $highest)"
	lab_check "$name: no datagram lost across four rekeys ($distinct of $sent)" test "$distinct" -eq "$sent"
	lab_check "$name: no datagram duplicated ($dups)" test "$dups" -eq 0
done
ctl list-sas
sw_ctl "$LAB_DIR" --list-sas
dpike_stop_all
lab_summary strongswan-ikev2-rekey
