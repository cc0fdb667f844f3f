#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# dpikectl load-conns against strongSwan 5.9 (strongswan-certs-lab.sh), as swanctl --load-conns:
#  - connections added to the file are taken without a restart: one strongSwan opens (refused
#    before), one of start_action = start that dpike opens at once, both with certificates read now;
#  - an unchanged connection keeps its SAs, the same SPIs, through both loads;
#  - a broken file, or changed pools (read at start-up only), are refused and change nothing;
#  - a changed connection's SA goes on until it ends, and the next one takes the new settings;
#  - a removed connection of start_action = start has its IKE SA closed (strongSwan sees it go),
#    once the exchange in progress (an IKE SA rekey) is done;
#  - a removed trap's policies go; a removed IKEv1 connection's SA goes on; load-all;
#  - a certificate and key renewed under the same file names replace the connections using them;
#    a refreshed CRL is taken by the connections as they are (a revoked peer refused at once);
#  - while a file of 20,000 connections is read, the control core goes on: dpikectl status
#    answers and says a load is under way; loads asked at once are each answered; a load whose
#    client has gone takes effect; dpike stopped in the middle of a read exits cleanly.
# Usage: strongswan-load-conns.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-certs-lab.sh" "$1"
certs_lab_up sw-load-conns
pki_issue unused p256 root "$DN, CN=unused.example" unused.example
pki_revoke root root unused # the lab's dpike reads root.crl
pki_issue gw p256 root "$DN, CN=gw.example" gw.example
for name in one two three four five; do
	pki_issue "a-$name" p256 root "$DN, CN=a-$name.example" "a-$name.example"
done

# dpike_conn_of NAME [CHILD_EXTRA] [EXTRA]: dpike's connection for strongSwan's NAME.
dpike_conn_of() {
	dconn "$1" pubkey gw.example "a-$1.example" '"gw.pem"' "${3:-}" |
		sed "s|esp_proposals = \[\"aes128gcm16\"\]; }|esp_proposals = [\"aes128gcm16\"]; ${2:-} }|"
}
swconns="$(swconn one pubkey a-one.example gw.example a-one)$(swconn two pubkey a-two.example gw.example a-two)"
swconns+="$(swconn three pubkey a-three.example gw.example a-three)"
v1() { IKE_VERSION=1 IKE_PROPOSAL=aes256-sha256-modp3072 "$@"; }
swconns+="$(v1 swconn four pubkey a-four.example gw.example a-four)"
# five: a trap for one host behind strongSwan (10.1.0.2), its own selectors
swconns+="$(swconn five pubkey a-five.example gw.example a-five | sed 's|local_ts = 10.1.0.0/24|local_ts = 10.1.0.2/32|')"
five_conn() {
	dpike_conn_of five 'start_action = "trap";' | sed 's|remote_ts = \["10.1.0.0/24"\]|remote_ts = ["10.1.0.2/32"]|'
}
keys='{ type = "private"; file = "gw.key"; }'
certs_start "$(dpike_conn_of one)" "$keys" "$swconns" a-one a-two a-three a-four a-five
ip -n "$sw" addr add 10.1.0.2/32 dev lo
conf=$PKI/dpike.conf
cp "$conf" "$LAB_DIR/dpike.conf.first"

# write_conns CONNS [EXTRA]: dpike's file as at start, with CONNS as its connections.
write_conns() {
	python3 - "$LAB_DIR/dpike.conf.first" "$1" "${2:-}" >"$conf" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
text = re.sub(r'connections = \(.*?\);\nsecrets', lambda m: 'connections = ( ' + sys.argv[2] + ' );\nsecrets', text, flags=re.S)
print(text + sys.argv[3])
PY
}
load() { ctl --json load-conns >"$LAB_DIR/load.json" 2>&1; }
load_refused() { ! load; }
sw_not_up() { ! sw_up "$1"; }
loaded() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
sys.exit(not all(j[k]==int(v) for k,v in (a.split("=") for a in sys.argv[2:])))' "$LAB_DIR/load.json" "$@"; }
# spis NAME: the child SPIs dpike shows for NAME's established IKE SA
spis() {
	ctl --json list-sas | python3 -c 'import json,sys
print(" ".join("%s/%s" % (c["spi_in"], c["spi_out"]) for s in json.load(sys.stdin)["ike_sas"]
      if s["name"]==sys.argv[1] and s["state"]=="ESTABLISHED" for c in s["children"]))' "$1"
}
listed_conns() { ctl --json list-conns | python3 -c 'import json,sys
print(" ".join(sorted(c["name"] for c in json.load(sys.stdin)["connections"])))'; }

sw_opens one
lab_check "one: strongSwan -> dpike established" sw_up one
lab_check "one: traffic" one_ping
one_spis=$(spis one)
lab_check "one: dpike shows its child's SPIs ($one_spis)" test -n "$one_spis"
sw_opens two
lab_check "two: refused before it is loaded" sw_not_up two

# first load: two and three added, one as it was
write_conns "$(dpike_conn_of one), $(dpike_conn_of two), $(dpike_conn_of three 'start_action = "start";'), $(v1 dpike_conn_of four), $(five_conn)"
lab_check "load-conns: two, three, four (IKEv1) and five (a trap) added, one unchanged" load
lab_check "... its JSON counts them" loaded connections=5 added=4 replaced=0 removed=0 unchanged=1
lab_check "... list-conns shows the five" test "$(listed_conns)" = "five four one three two"
lab_check "three (start_action = start): dpike opened it at once" lab_wait_for 15 sw_up three
sw_opens two
lab_check "two: strongSwan -> dpike established now" sw_up two
lab_check "... dpike checked two's certificate with the CAs it read now" \
	lab_wait_for 5 subject_seen two "CN=a-two.example,O=dpike lab,C=CH"
lab_check "one: still up with the same SPIs" test "$(spis one)" = "$one_spis"
lab_check "... traffic" one_ping
sw_opens four
lab_check "four (IKEv1): strongSwan -> dpike established now" sw_up four
lab_check "five: a packet to 10.1.0.2 hits its new trap, brings it up and gets through" \
	ip netns exec "$hb" ping -c 1 -W 5 10.1.0.2
lab_check "... dpike initiated five" dpike_up five

# refusals: nothing changes
echo 'this is no libconfig' >>"$conf"
lab_check "a broken file: refused, non-zero exit" load_refused
lab_check "... the message names file and line, and says nothing changed" \
	bash -c "grep -q '$conf:[0-9]*:' '$LAB_DIR/load.json' && grep -q 'nothing changed' '$LAB_DIR/load.json'"
write_conns "$(dpike_conn_of one)" 'pools = ( { name = "p"; addrs = "10.3.9.0/30"; } );'
lab_check "changed pools: refused, non-zero exit" load_refused
lab_check "... the message says pools are read at start-up" grep -q "pools changed" "$LAB_DIR/load.json"
lab_check "... list-conns still shows the five" test "$(listed_conns)" = "five four one three two"

# second load: three removed (start: closed), four removed (none: its SA goes on), five removed
# (trap: the trap goes, its SA stays), two changed (its SA goes on), one as it was
# three is busy as it is let go of: a rekey of its IKE SA that strongSwan does not answer yet
ip netns exec "$sw" nft -f - <<'EON'
table inet hold_ike { chain in { type filter hook input priority 0; udp dport 4500 drop; }; }
EON
ctl rekey three >/dev/null
write_conns "$(dpike_conn_of one), $(dpike_conn_of two 'rekey_time = "2h";')"
lab_check "load-conns: three, four and five removed, two replaced, one unchanged" load
ip netns exec "$sw" nft delete table inet hold_ike
lab_check "... its JSON counts them, and three's IKE SA closed" \
	loaded connections=2 added=0 replaced=1 removed=3 unchanged=1 ike_sas_closed=1
lab_check "three: its rekey done, dpike closed the new IKE SA" \
	lab_wait_for 20 grep -q "three: IKE_SA #[0-9]* closed: load-conns let go of its connection" "$LAB_DIR/dut.log"
lab_check "... strongSwan saw it go" lab_wait_for 10 sw_not_up three
lab_check "two: its SA goes on under the old settings" sw_up two
lab_check "four (IKEv1, start_action none): its SAs go on" sw_up four
lab_check "... dpike lists its ISAKMP SA" bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' list-sas | grep -q '^four: '"
sw_closes four
lab_check "... until strongSwan closes it" lab_wait_for 10 sw_not_up four
lab_check "five (trap): its SA goes on" sw_up five
sw_closes five
lab_check "... until strongSwan closes it" lab_wait_for 10 sw_not_up five
trap_hits() { grep -c "five/net: traffic hit the trap" "$LAB_DIR/dut.log" || true; }
hits=$(trap_hits)
lab_check "... and its trap is gone: a packet to 10.1.0.2 goes through one's child (10.1.0.0/24)" \
	ip netns exec "$hb" ping -c 1 -W 5 10.1.0.2
lab_check "... and starts nothing ($hits trap hit before)" \
	bash -c "test $(trap_hits) -eq $hits && ! '$DPIKECTL' -s '$LAB_DIR/dpike.sock' list-sas | grep -q '^five: '"
lab_check "one: still up with the same SPIs" test "$(spis one)" = "$one_spis"
lab_check "... traffic" one_ping
lab_check "list-conns shows one and two" test "$(listed_conns)" = "one two"
lab_check "dpikectl terminate two: the replaced connection's SA, found by its name" ctl terminate two
lab_check "... strongSwan saw it go" lab_wait_for 10 sw_not_up two
sw_opens two
lab_check "two: opened again, with the new connection" sw_up two
lab_check "... dpike's rekey time for it is the new one (2 h)" \
	bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' --json list-conns | grep -q '\"rekey_time\":7200'"
all_loaded() {
	ctl --json load-all | python3 -c 'import json,sys; j=json.load(sys.stdin)
sys.exit(not (j["conns"]["unchanged"]==2 and j["conns"]["connections"]==2 and "ike" in j["creds"]))'
}
lab_check "load-all: connections (both unchanged), then secrets, one JSON answer" all_loaded
lab_check "... one's SA untouched" test "$(spis one)" = "$one_spis"

# a certificate and key renewed under the same file names: the connections using them are replaced
own_serial() { ctl --json list-certs | python3 -c 'import json,sys
print(" ".join(sorted({c["serial"] for c in json.load(sys.stdin)["certs"] if c["role"] == "own"})))'; }
old_serial=$(own_serial)
pki_issue gw p256 root "$DN, CN=gw.example" gw.example
lab_check "gw.pem and gw.key renewed in place: load-conns replaces the two connections using them" load
lab_check "... its JSON counts them" loaded connections=2 replaced=2 unchanged=0
serial_renewed() { local now; now=$(own_serial); [ -n "$now" ] && [ "$now" != "$old_serial" ]; }
lab_check "... list-certs shows the new certificate's serial ($old_serial before)" serial_renewed
lab_check "... one's SA goes on as it was" test "$(spis one)" = "$one_spis"
sw_ctl "$LAB_DIR" --terminate --ike two --timeout 10 >/dev/null 2>&1 || true
lab_wait_for 10 sw_not_up two || true
sw_opens two
lab_check "... strongSwan opens two again, checking the renewed certificate" sw_up two

# a CRL refreshed: the connections stay as they are, and check peers against it
two_again() {
	sw_ctl "$LAB_DIR" --terminate --ike two --timeout 10 >/dev/null 2>&1 || true
	lab_wait_for 10 sw_not_up two || true
	sw_opens two
}
pki_revoke root root unused a-two
lab_check "root.crl refreshed, a-two revoked: load-conns keeps both connections, with the new CRL" load
lab_check "... its JSON counts them" loaded connections=2 unchanged=2 replaced=0 new_crls=2
lab_check "... one's SA goes on as it was" test "$(spis one)" = "$one_spis"
two_again
lab_check "... strongSwan's revoked certificate for two is refused now" sw_not_up two
pki_revoke root root unused
lab_check "root.crl as it was: load-conns takes it" load
lab_check "... its JSON counts it" loaded connections=2 unchanged=2 new_crls=2
two_again
lab_check "... two opens again" sw_up two

# many SITES: the running file with SITES PSK connections more (not for this lab's peer)
many() {
	cp "$conf" "$LAB_DIR/dpike.conf.two"
	python3 - "$1" "$LAB_DIR/dpike.conf.two" >"$conf" <<'PY'
import sys
n, text = int(sys.argv[1]), open(sys.argv[2]).read()
sites = ",\n".join('{ name = "site%d"; remote_addrs = ["198.51.100.%d"]; local = { auth = "psk"; id = "gw.example"; }; '
                   'remote = { auth = "psk"; id = "site%d.example"; }; children = ( { name = "net"; '
                   'local_ts = ["10.2.0.0/24"]; remote_ts = ["10.%d.%d.0/24"]; } ); }'
                   % (i, i % 250 + 1, i, 100 + i // 256 % 100, i % 256) for i in range(n))
print(text.replace("connections = (", "connections = ( " + sites + ",", 1))
PY
}
loading() { ctl --json status | python3 -c 'import json,sys; sys.exit(not json.load(sys.stdin)["loading"])'; }
many 20000
ctl --json load-conns >"$LAB_DIR/load.json" 2>&1 &
loader=$!
lab_check "a file of 20,000 connections more: dpikectl status answers while it is read, and says so" \
	lab_wait_for 20 loading
lab_check "... the load answers when done" wait "$loader"
lab_check "... and counts them" loaded connections=20002 added=20000 unchanged=2
lab_check "... one's SA untouched" test "$(spis one)" = "$one_spis"
lab_check "... traffic" one_ping
cp "$LAB_DIR/dpike.conf.two" "$conf"
lab_check "load-conns: the 20,000 gone again" load
lab_check "... its JSON counts them" loaded connections=2 removed=20000 unchanged=2
three_loads() {
	local a b c
	ctl load-conns >/dev/null &
	a=$!
	ctl load-creds >/dev/null &
	b=$!
	ctl load-all >/dev/null &
	c=$!
	wait "$a" && wait "$b" && wait "$c"
}
lab_check "three loads asked at once: each answered, OK" three_loads
conns_listed() { test "$(ctl --json list-conns | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["connections"]))')" = "$1"; }
many 20000
ctl load-conns >/dev/null 2>&1 &
loader=$!
lab_wait_for 20 loading || true
kill "$loader" 2>/dev/null || true
wait "$loader" 2>/dev/null || true
lab_check "a load whose dpikectl is gone before the answer still takes effect" lab_wait_for 30 conns_listed 20002
ctl load-conns >/dev/null 2>&1 &
loader=$!
lab_check "another load of the file under way" lab_wait_for 20 loading
dpike_stop
lab_check "dpike stopped in the middle of it: waits for the read, frees it, exit status 0" wait "$DPIKE_PID"
lab_check "... and says it stopped" grep -q "dpike\[info\] stopping" "$LAB_DIR/dut.log"
wait "$loader" 2>/dev/null || true
dpike_stop_all
lab_summary strongswan-load-conns
