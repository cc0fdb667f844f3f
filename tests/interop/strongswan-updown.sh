#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# swanctl's updown against strongSwan (strongswan-lab.sh): both ends run a script as a child comes
# up and goes down that records its PLUTO_* environment; dpike's must be strongSwan's seen from the
# other end (updown_compare.py), runs come in order, and a rekey of the child or of its IKE SA runs
# nothing. Rounds: IKEv2 started by strongSwan (hostaccess, rekeys by both, closed by strongSwan,
# dpike's script failing on the way down); IKEv1, without and with XAuth (PLUTO_XAUTH_ID); a road
# warrior with a virtual IP from dpike's pool; dpike starting a child narrowed to a port, whose
# down run comes when dpike stops.
# Usage: strongswan-updown.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-updown
strongswan_lab_up
P=aes128gcm16-prfsha256-x25519 E=aes128gcm16

# script WHO STATUS: records each run's environment in ud-WHO/N-VERB (N counts the runs), prints a
# line, and exits with STATUS on the way down
script() {
	mkdir -p "$LAB_DIR/ud-$1"
	cat >"$LAB_DIR/updown-$1.sh" <<EOS
#!/bin/sh
d=$LAB_DIR/ud-$1
n=\$(ls "\$d" | wc -l)
env | grep '^PLUTO_' | sort >"\$d/.new"
mv "\$d/.new" "\$d/\$((n + 1))-\$PLUTO_VERB"
echo "ran \$PLUTO_VERB of \$PLUTO_CONNECTION"
case \$PLUTO_VERB in down-*) exit $2 ;; esac
EOS
	chmod +x "$LAB_DIR/updown-$1.sh"
}
script dpike 3
script sw 0
runs() { ls "$LAB_DIR/ud-$1" | tr '\n' ' ' | sed 's/ $//'; }
# has_runs WHO "1-up-client 2-down-client": exactly those runs so far
has_runs() { [ "$(runs "$1")" = "$2" ]; }
forget_runs() { rm -f "$LAB_DIR"/ud-dpike/* "$LAB_DIR"/ud-sw/*; }
compare() { python3 "$here/updown_compare.py" "$LAB_DIR/ud-dpike/$1" "$LAB_DIR/ud-sw/$2" "${@:3}"; }

child() { # child NAME LOCAL_TS REMOTE_TS [EXTRA]: a child with dpike's updown script
	echo "children = ( { name = \"$1\"; local_ts = [\"$2\"]; remote_ts = [\"$3\"]; esp_proposals = [\"$E\"];
	    updown = \"$LAB_DIR/updown-dpike.sh\"; ${4:-} } );"
}
conn() { # conn NAME VERSION REMOTE_ADDR REMOTE_ID PROPOSAL CHILD [EXTRA]
	echo "{ name = \"$1\"; version = $2; local_addrs = [\"$DPIKE_IP\"]; remote_addrs = [\"$3\"]; proposals = [\"$5\"]; ${7:-}
	  local = { auth = \"psk\"; id = \"gw-b.example\"; }; remote = { auth = \"psk\"; id = \"$4\"; }; $6 }"
}
cat >"$LAB_DIR/dpike.conf" <<EOC
log_level = "info";
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 50; };
interfaces = (
  { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "$LAB_DPIKE_WAN"; },
  { name = "lan"; device = "net_af_packet1"; args = "iface=dut-lan"; address = "10.2.0.254/24"; }
);
pools = ( { name = "rw"; addrs = "10.3.0.8/29"; } );
connections = (
  $(conn site-a 2 "$SW_IP" gw-a.example "$P" "$(child net 10.2.0.0/24 10.1.0.0/24 'hostaccess = true;')"),
  $(conn v1 1 "$SW_IP" gw-a.example aes128-sha256-modp2048 "$(child net 10.2.0.0/24 10.1.0.0/24)"),
  $(conn x1 1 "$SW_IP" x.example aes128-sha256-modp2048 "$(child net 10.2.0.0/24 10.1.0.0/24)" 'remote-2 = { auth = "xauth"; };'),
  $(conn rw 2 "%any" rw.example "$P" "$(child net 10.2.0.0/24 dynamic)" 'pools = ["rw"];'),
  $(conn out 2 "$SW_IP" gw-a.example "$P" "$(child net 10.2.0.0/24 '10.1.0.0/24[tcp/5001]')")
);
secrets = ( { type = "ike"; id = ["gw-a.example", "gw-b.example", "rw.example", "x.example"]; secret = "$PSK"; },
            { type = "xauth"; id = "alice"; secret = "alice's password"; } );
EOC

# round 1: IKEv2, strongSwan starts it; hostaccess on both ends
sw_conf "$P" "$E" "" "updown = $LAB_DIR/updown-sw.sh
        hostaccess = yes"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"
conn_updown() { ctl --json list-conns | python3 -c 'import json,sys; j=json.load(sys.stdin)
c=[c for c in j["connections"] if c["name"]=="site-a"][0]["children"][0]; print(c.get("updown"), c.get("hostaccess"))'; }
lab_check "list-conns shows the child's updown" test "$(conn_updown)" = "$LAB_DIR/updown-dpike.sh True"
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "IKEv2: strongSwan brings the child up" lab_wait_for 10 dpike_up site-a
lab_check "... dpike runs updown once, up-client" lab_wait_for 10 has_runs dpike 1-up-client
lab_check "... strongSwan runs its own" lab_wait_for 10 has_runs sw 1-up-client
lab_check "... with the values of strongSwan's, seen from the other end" compare 1-up-client 1-up-client INTERFACE=wan CONNECTION=net HOST_ACCESS=1 \
	MY_CLIENT=10.2.0.0/24 PEER_CLIENT=10.1.0.0/24 UDP_ENC=4500 VERB=up-client
lab_check "... what the script printed is in dpike's log" \
	lab_wait_for 5 grep -q "site-a/net: updown: ran up-client of net" "$LAB_DIR/dut.log"

child_spi() { ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin)
print(" ".join(c["spi_in"] for s in j["ike_sas"] for c in s["children"]), len(j["ike_sas"]), len(j["sas"]))'; }
ike_spi() { ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin); print(" ".join(s["spi_i"] for s in j["ike_sas"]))'; }
# moved FN OLD: FN says something else than OLD, and only one child's two SAs are left
moved() { local now; now=$($1); [ "$now" != "$2" ] && [ "$(child_spi | cut -d' ' -f2-)" = "1 2" ]; }
old=$(child_spi)
sw_ctl "$LAB_DIR" --rekey --child net >/dev/null
lab_check "strongSwan rekeys the child" lab_wait_for 15 moved child_spi "$old"
old=$(child_spi)
ctl rekey site-a/net >/dev/null
lab_check "dpike rekeys the child" lab_wait_for 15 moved child_spi "$old"
old=$(ike_spi)
ctl rekey site-a >/dev/null
lab_check "dpike rekeys the IKE SA" lab_wait_for 15 moved ike_spi "$old"
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_check "strongSwan closes it: dpike's next run is the down run, none came from the rekeys" \
	lab_wait_for 10 has_runs dpike "1-up-client 2-down-client"
lab_check "... strongSwan's too" lab_wait_for 10 has_runs sw "1-up-client 2-down-client"
lab_check "... the same values, the rekeyed child's request ID the first one's" \
	compare 2-down-client 2-down-client VERB=down-client \
	REQID="$(sed -n 's/^PLUTO_REQID=//p' "$LAB_DIR/ud-dpike/1-up-client")"
lab_check "... dpike logs the script's failure on the way down" \
	lab_wait_for 5 grep -q "site-a/net: updown exited with status 3 (PLUTO_VERB=down-client)" "$LAB_DIR/dut.log"

# round 2: IKEv1
forget_runs
IKE_VERSION=1 sw_reload aes128-sha256-modp2048 "$E" "" "updown = $LAB_DIR/updown-sw.sh"
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "IKEv1: strongSwan brings the child up; dpike runs up-client" lab_wait_for 10 has_runs dpike 1-up-client
lab_check "... strongSwan runs its own" lab_wait_for 10 has_runs sw 1-up-client
lab_check "... the same values" compare 1-up-client 1-up-client CONNECTION=net VERB=up-client
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_check "... strongSwan closes it: dpike runs down-client" lab_wait_for 10 has_runs dpike "1-up-client 2-down-client"
lab_check "... strongSwan too" lab_wait_for 10 has_runs sw "1-up-client 2-down-client"
lab_check "... the same values" compare 2-down-client 2-down-client VERB=down-client

# round 2b: IKEv1 with XAuth, the user's name in PLUTO_XAUTH_ID
forget_runs
cat >"$LAB_DIR/swanctl.conf" <<EOC
connections {
  dpike {
    version = 1
    local_addrs = $SW_IP
    remote_addrs = $DPIKE_IP
    proposals = aes128-sha256-modp2048
    encap = yes
    local { auth = psk
            id = x.example }
    local-xauth { auth = xauth
                  xauth_id = alice }
    remote { auth = psk
             id = gw-b.example }
    children { net { local_ts = 10.1.0.0/24
                     remote_ts = 10.2.0.0/24
                     esp_proposals = $E
                     updown = $LAB_DIR/updown-sw.sh } }
  }
}
secrets { ike-x { id-a = x.example
                  id-b = gw-b.example
                  secret = "$PSK" }
          xauth-alice { id = alice
                        secret = "alice's password" } }
EOC
sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "IKEv1 with XAuth: dpike runs up-client" lab_wait_for 10 has_runs dpike 1-up-client
lab_check "... strongSwan runs its own" lab_wait_for 10 has_runs sw 1-up-client
lab_check "... the same values, and the XAuth user" compare 1-up-client 1-up-client XAUTH_ID=alice PEER_ID=x.example
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_check "... strongSwan closes it: down-client" lab_wait_for 10 has_runs dpike "1-up-client 2-down-client"
lab_check "... strongSwan's too" lab_wait_for 10 has_runs sw "1-up-client 2-down-client"

# round 3: a road warrior given a virtual IP from dpike's pool
forget_runs
cat >"$LAB_DIR/swanctl.conf" <<EOC
connections {
  dpike {
    local_addrs = $SW_IP
    remote_addrs = $DPIKE_IP
    proposals = $P
    encap = yes
    vips = 0.0.0.0
    local { auth = psk
            id = rw.example }
    remote { auth = psk
             id = gw-b.example }
    children { net { local_ts = dynamic
                     remote_ts = 10.2.0.0/24
                     esp_proposals = $E
                     updown = $LAB_DIR/updown-sw.sh } }
  }
}
secrets { ike-rw { id-a = rw.example
                   id-b = gw-b.example
                   secret = "$PSK" } }
EOC
sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >/dev/null 2>&1 || true
lab_check "road warrior: strongSwan gets an address and the child; dpike runs up-client" \
	lab_wait_for 10 has_runs dpike 1-up-client
lab_check "... strongSwan runs its own" lab_wait_for 10 has_runs sw 1-up-client
vip=$(sed -n 's/^PLUTO_MY_SOURCEIP=//p' "$LAB_DIR/ud-sw/1-up-client")
lab_check "... the same values: the client's address ($vip) is dpike's PLUTO_PEER_SOURCEIP and its client" \
	compare 1-up-client 1-up-client CONNECTION=net PEER_CLIENT="$vip/32" PEER_ID=rw.example
lab_check "... an address of the pool" bash -c "case '$vip' in 10.3.0.8|10.3.0.9|10.3.0.1[0-5]) true ;; *) false ;; esac"
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_check "... strongSwan leaves: down-client on both ends" lab_wait_for 10 has_runs dpike "1-up-client 2-down-client"
lab_wait_for 10 has_runs sw "1-up-client 2-down-client" || true
lab_check "... the same values" compare 2-down-client 2-down-client VERB=down-client

# round 4: dpike starts a child strongSwan narrows to one port; dpike stops with it up
forget_runs
sw_reload "$P" "$E" "" "updown = $LAB_DIR/updown-sw.sh"
ctl initiate out/net >/dev/null || true
lab_check "dpike starts a child to port 5001: up-client" lab_wait_for 15 has_runs dpike 1-up-client
lab_check "... strongSwan runs its own" lab_wait_for 10 has_runs sw 1-up-client
lab_check "... the same values, the port and protocol on the peer's side" \
	compare 1-up-client 1-up-client PEER_CLIENT=10.1.0.0/24 PEER_PORT=5001 PEER_PROTOCOL=6 MY_PORT=0 MY_PROTOCOL=0
# SIGTERM to dpike itself: timeout(1) around it would pass its own on to its whole process group
kill -TERM "$(pgrep -P "$DPIKE_PID")"
lab_wait_gone "$DPIKE_PID" 15 || true
lab_check "dpike stops: the child's down run comes before it exits" has_runs dpike "1-up-client 2-down-client"
lab_check "... with the up run's values" bash -c "diff <(grep -v PLUTO_VERB '$LAB_DIR/ud-dpike/1-up-client') \
	<(grep -v PLUTO_VERB '$LAB_DIR/ud-dpike/2-down-client')"
lab_check "... and dpike's log has what it printed" grep -q "out/net: updown: ran down-client of net" "$LAB_DIR/dut.log"
dpike_stop_all
lab_summary strongswan-updown
