#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# dpike's IKEv2 against strongSwan 5.9, both as responder and as initiator:
#
#   host-b 10.2.0.1 -- [lan 10.2.0.254 | dpike | wan 192.0.2.2] -- [192.0.2.1 strongSwan, site 10.1.0.1]
#
# Usage: strongswan-ikev2.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DPIKE=$(realpath "$1/app/dpike")
DPIKECTL=$(realpath "$1/app/dpikectl")
. "$root/tests/lib/lab.sh"
. "$root/tests/lib/strongswan.sh"
lab_init sw-ikev2

lab_ns dut dut; lab_ns sw sw; lab_ns hb host-b
lab_link "$dut" dut-wan 02:00:00:00:02:02 "$sw" sw-wan 02:00:00:00:02:01
lab_link "$dut" dut-lan 02:00:00:00:02:fe "$hb" eth0 02:00:00:00:02:b1
ip -n "$sw" addr add 192.0.2.1/24 dev sw-wan
ip -n "$sw" addr add 10.1.0.1/32 dev lo # the site behind strongSwan
ip -n "$hb" addr add 10.2.0.1/24 dev eth0
ip -n "$hb" route add default via 10.2.0.254

PSK="interop secret $$"
cat >"$LAB_DIR/dpike.conf" <<EOC
log_level = "info";
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 50; };
interfaces = (
  { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "192.0.2.2/24"; },
  { name = "lan"; device = "net_af_packet1"; args = "iface=dut-lan"; address = "10.2.0.254/24"; }
);
connections = (
  { name = "site-a"; version = 2;
    local_addrs = ["192.0.2.2"]; remote_addrs = ["192.0.2.1"];
    proposals = ["aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048"];
    dpd_delay = "5s";
    local = { auth = "psk"; id = "gw-b.example"; };
    remote = { auth = "psk"; id = "gw-a.example"; };
    children = (
      { name = "net"; mode = "tunnel";
        local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.0.0/24"];
        esp_proposals = ["aes128gcm16", "aes256-sha256"]; }
    );
  }
);
secrets = ( { type = "ike"; id = ["gw-a.example", "gw-b.example"]; secret = "$PSK"; } );
EOC
cat >"$LAB_DIR/swanctl.conf" <<EOC
connections {
  dpike {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes128gcm16-prfsha256-x25519
    encap = yes
    dpd_delay = 5s
    local { auth = psk
            id = gw-a.example }
    remote { auth = psk
             id = gw-b.example }
    children {
      net {
        local_ts = 10.1.0.0/24
        remote_ts = 10.2.0.0/24
        esp_proposals = aes128gcm16
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
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"
ctl() { "$DPIKECTL" -s "$LAB_DIR/dpike.sock" "$@"; }
dpike_child_up() { ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(not any(s["state"]=="ESTABLISHED" and s["children"] for s in j["ike_sas"]))'; }

# 1. strongSwan initiates, dpike responds
sw_ctl "$LAB_DIR" --initiate --child net --timeout 20 >"$LAB_DIR/initiate.log" 2>&1 || true
lab_check "strongSwan -> dpike: IKE_SA and child SA established on strongSwan" sw_established "$LAB_DIR" net
lab_check "strongSwan -> dpike: dpike shows the IKE SA with its child" lab_wait_for 5 dpike_child_up
lab_check "ping host-b -> strongSwan's site through the tunnel" ip netns exec "$hb" ping -c 4 -i 0.2 -W 2 -w 15 10.1.0.1
ip netns exec "$sw" timeout 40 python3 "$root/tests/lab/tcp_check.py" serve 5001 30 >"$LAB_DIR/tcp-recv.txt" &
srv=$!
lab_wait_for 10 bash -c "ip netns exec '$sw' ss -ltnH 'sport = :5001' | grep -q 5001"
ip netns exec "$hb" timeout 40 python3 "$root/tests/lab/tcp_check.py" send 10.1.0.1 5001 2000000 >"$LAB_DIR/tcp-sent.txt" || true
wait $srv || true
lab_check "TCP transfer host-b -> strongSwan's site: 2 MB intact" \
	bash -c "[ -s '$LAB_DIR/tcp-sent.txt' ] && cmp -s '$LAB_DIR/tcp-sent.txt' '$LAB_DIR/tcp-recv.txt'"
ctl list-sas

# 2. dpike deletes; strongSwan must see it go
lab_check "dpikectl terminate site-a" ctl terminate site-a
lab_check "strongSwan saw the IKE SA deleted" lab_wait_for 10 bash -c "! swanctl --list-sas --uri unix://$LAB_DIR/charon.vici | grep -q 'dpike:'"

# 3. dpike initiates
lab_check "dpikectl initiate site-a/net" ctl initiate site-a/net
lab_check "dpike -> strongSwan: established on both sides" \
	bash -c "$(declare -f lab_wait_for dpike_child_up ctl sw_ctl sw_established); DPIKECTL='$DPIKECTL' LAB_DIR='$LAB_DIR'; lab_wait_for 20 dpike_child_up && sw_established '$LAB_DIR' net"
lab_check "ping strongSwan's site -> host-b through the tunnel" \
	ip netns exec "$sw" ping -c 4 -i 0.2 -W 2 -w 15 -I 10.1.0.1 10.2.0.1

ctl stats | tail -14
dpike_stop_all
lab_summary strongswan-ikev2
