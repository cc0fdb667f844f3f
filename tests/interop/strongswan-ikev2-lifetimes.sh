#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Against strongSwan (strongswan-lab.sh): start_action = start brings the tunnel up at boot; with
# encap = yes dpike acts as if behind a NAT and sends NAT-keepalives; rekey_packets makes the
# dataplane report a soft lifetime, and IKE rekeys the child while traffic runs.
# Usage: strongswan-ikev2-lifetimes.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-life
strongswan_lab_up
conn=$(dpike_conn site-a '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16"' 'encap = true;')
conn=${conn/esp_proposals = \[\"aes128gcm16\"\];/esp_proposals = [\"aes128gcm16\"]; start_action = \"start\"; rekey_packets = 400;}
dpike_conf "keep_alive = 1;" "$conn"
sw_conf aes128gcm16-prfsha256-x25519 aes128gcm16
sw_start "$sw" "$LAB_DIR"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut

lab_check "start_action = start: dpike brings the tunnel up by itself" lab_wait_for 20 dpike_up
lab_check "strongSwan has the child" lab_wait_for 10 sw_established "$LAB_DIR" net
lab_check "list-sas shows the negotiated IKE proposal" \
	bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' list-sas | grep -q 'aes128gcm16-prfsha256-curve25519, rekey in'"
# NAT-keepalives: one 0xff byte to UDP 4500 (UDP length 9), from dpike
ip netns exec "$sw" timeout 10 tcpdump -ni sw-wan -c 2 "src $DPIKE_IP and udp src port 4500 and udp[4:2] = 9" \
	>"$LAB_DIR/keepalive.txt" 2>&1 || true
lab_check "dpike sends NAT-keepalives (encap = yes fakes a NAT, keep_alive = 1s)" \
	test "$(grep -c 'isakmp-nat-keep-alive' "$LAB_DIR/keepalive.txt")" -ge 2

spi() { ctl --json list-sas | python3 -c 'import json,sys; c=json.load(sys.stdin)["ike_sas"][0]["children"]; print(c[0]["spi_in"] if len(c)==1 else "")'; }
old=$(spi)
ip netns exec "$sw" python3 "$root/tests/lab/udp_stream.py" recv 7000 "$LAB_DIR/recv.txt" &
rcv=$!
LAB_PIDS+=($rcv)
lab_wait_for 10 bash -c "ip netns exec '$sw' ss -lunH 'sport = :7000' | grep -q 7000"
ip netns exec "$hb" python3 "$root/tests/lab/udp_stream.py" send 10.1.0.1 7000 300 "$LAB_DIR/sent.txt" &
snd=$!
rekeyed() { local now; now=$(spi); [ -n "$now" ] && [ "$now" != "$old" ]; }
lab_check "after 400 packets the dataplane's soft lifetime makes IKE rekey the child" lab_wait_for 20 rekeyed
received() { [ -s "$LAB_DIR/recv.txt" ] && [ "$(cut -d' ' -f2 "$LAB_DIR/recv.txt")" -ge 900 ]; }
lab_wait_for 20 received || true
kill -TERM "$snd"
wait "$snd" || true
sent=$(cat "$LAB_DIR/sent.txt")
all_in() { [ "$(cut -d' ' -f2 "$LAB_DIR/recv.txt")" -ge "$sent" ]; }
lab_wait_for 10 all_in || true
kill -TERM "$rcv"
wait "$rcv" || true
read -r got distinct dups highest <"$LAB_DIR/recv.txt"
lab_check "no datagram lost or doubled across the rekey ($distinct of $sent, $dups duplicates)" \
	test "$distinct" -eq "$sent" -a "$dups" -eq 0
dpike_stop_all
lab_summary strongswan-ikev2-lifetimes
