# SPDX-License-Identifier: BSD-3-Clause
# The dpike-vs-strongSwan lab shared by the IKEv2 interop tests and scripts/demo:
#   . tests/interop/ikev2-lab.sh BUILD_DIR
#
#   host-b 10.2.0.1 -- [lan 10.2.0.254 | dpike | wan 192.0.2.2] -- [192.0.2.1 strongSwan, site 10.1.0.1]

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
DPIKE=$(realpath "$1/app/dpike")
DPIKECTL=$(realpath "$1/app/dpikectl")
. "$root/tests/lib/lab.sh"
. "$root/tests/lib/strongswan.sh"

PSK="interop secret $$"

ikev2_lab_up() {
	lab_ns dut dut; lab_ns sw sw; lab_ns hb host-b
	lab_link "$dut" dut-wan 02:00:00:00:02:02 "$sw" sw-wan 02:00:00:00:02:01
	lab_link "$dut" dut-lan 02:00:00:00:02:fe "$hb" eth0 02:00:00:00:02:b1
	ip -n "$sw" addr add 192.0.2.1/24 dev sw-wan
	ip -n "$sw" addr add 10.1.0.1/32 dev lo # the site behind strongSwan
	ip -n "$hb" addr add 10.2.0.1/24 dev eth0
	ip -n "$hb" route add default via 10.2.0.254
}

# dpike_conf IKE_GROUP CONNECTIONS: dpike.conf with the lab's interfaces and the PSK.
dpike_conf() {
	cat >"$LAB_DIR/dpike.conf" <<EOC
log_level = "info";
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 50; };
ike = { $1 };
interfaces = (
  { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "192.0.2.2/24"; },
  { name = "lan"; device = "net_af_packet1"; args = "iface=dut-lan"; address = "10.2.0.254/24"; }
);
connections = ( $2 );
secrets = ( { type = "ike"; id = ["gw-a.example", "gw-b.example"]; secret = "$PSK"; } );
EOC
}

# dpike_conn NAME PROPOSALS ESP_PROPOSALS [EXTRA]: one connection to strongSwan, child "net".
dpike_conn() {
	cat <<EOC
  { name = "$1"; version = 2; local_addrs = ["192.0.2.2"]; remote_addrs = ["192.0.2.1"];
    proposals = [$2]; ${4:-}
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "gw-a.example"; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.0.0/24"];
                   esp_proposals = [$3]; } ); }
EOC
}

# sw_conf PROPOSALS ESP_PROPOSALS [EXTRA]: strongSwan's side, connection "dpike", child "net".
sw_conf() {
	cat >"$LAB_DIR/swanctl.conf" <<EOC
connections {
  dpike {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
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

ctl() { "$DPIKECTL" -s "$LAB_DIR/dpike.sock" "$@"; }

# dpike_up [CONN]: an established IKE SA (of CONN, if named) with a child.
dpike_up() {
	ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin); n=sys.argv[1] if len(sys.argv)>1 else None
sys.exit(not any(s["state"]=="ESTABLISHED" and s["children"] and (n is None or s["name"]==n) for s in j["ike_sas"]))' "$@"
}

dpike_down() {
	! dpike_up "$@"
}

dpike_stat() {
	ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["ike"][sys.argv[1]])' "$1"
}
