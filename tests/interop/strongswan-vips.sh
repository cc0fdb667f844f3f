#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Virtual IPs from a pool (swanctl's pools, RFC 7296 3.15) against strongSwan road warriors
# (strongswan-lab.sh): three clients of their own identities (vips = 0.0.0.0) ask dpike for an
# address from a pool of two. Each of the first two gets one, its child covers that address alone
# and carries pings to host-b from it; the third finds the pool full (INTERNAL_ADDRESS_FAILURE,
# no child); a client that comes back gets its address again; once it has left for good, its
# address goes to the third; a rekeyed IKE SA keeps its client's address. Then a fourth from
# behind a NAT, on a connection of its own whose child names no remote selector; and dpike itself
# as a client of strongSwan's pool. The same over IKEv1 (Mode Config): strongSwan clients asking
# (pull) and told (push, pull = no) by dpike, and dpike asking and told by strongSwan; with XAuth
# (user name and password after Main Mode) before the address, both ways, and a wrong password.
# Usage: strongswan-vips.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-vips
strongswan_lab_up

v1_server() { # v1_server NAME POOL REMOTE_ID EXTRA: dpike's IKEv1 connection for road warriors
	cat <<EOC
  { name = "$1"; version = 1; local_addrs = ["192.0.2.2"]; remote_addrs = ["%any"]; pools = ["$2"]; $4
    proposals = ["aes128-sha256-modp2048"];
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "$3"; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["dynamic"]; esp_proposals = ["aes128gcm16"]; } ); }
EOC
}
v1_client() { # v1_client NAME LOCAL_ID EXTRA: dpike as an IKEv1 client of strongSwan's pools
	cat <<EOC
  { name = "$1"; version = 1; local_addrs = ["192.0.2.2"]; remote_addrs = ["192.0.2.1"]; vips = "0.0.0.0"; $3
    proposals = ["aes128-sha256-modp2048"];
    local = { auth = "psk"; id = "$2"; }; remote = { auth = "psk"; id = "gw-a.example"; };
    children = ( { name = "net"; local_ts = ["dynamic"]; remote_ts = ["10.1.0.0/24"]; esp_proposals = ["aes128gcm16"]; } ); }
EOC
}
cat >"$LAB_DIR/dpike.conf" <<EOC
log_level = "info";
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 50; };
interfaces = (
  { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "192.0.2.2/24"; },
  { name = "lan"; device = "net_af_packet1"; args = "iface=dut-lan"; address = "10.2.0.254/24"; }
);
pools = ( { name = "rw"; addrs = "10.3.0.0/30"; dns = "192.0.2.53"; }, { name = "nat"; addrs = "10.3.1.0/29"; },
          { name = "v1"; addrs = "10.3.3.0/30"; dns = "192.0.2.53"; }, { name = "v1push"; addrs = "10.3.4.0/30"; },
          { name = "v1x"; addrs = "10.3.5.0/30"; } );
connections = (
  { name = "rw"; version = 2; local_addrs = ["192.0.2.2"]; remote_addrs = ["%any"]; pools = ["rw"];
    proposals = ["aes128gcm16-prfsha256-x25519"];
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "*.rw.example"; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["dynamic"]; esp_proposals = ["aes128gcm16"]; } ); },
  { name = "natted"; version = 2; local_addrs = ["192.0.2.2"]; remote_addrs = ["%any"]; pools = ["nat"];
    proposals = ["aes128gcm16-prfsha256-x25519"];
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "four.nat.example"; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; esp_proposals = ["aes128gcm16"]; } ); },
  { name = "client"; version = 2; local_addrs = ["192.0.2.2"]; remote_addrs = ["192.0.2.1"]; vips = "0.0.0.0";
    proposals = ["aes128gcm16-prfsha256-x25519"];
    local = { auth = "psk"; id = "gw-b.example"; }; remote = { auth = "psk"; id = "gw-a.example"; };
    children = ( { name = "net"; local_ts = ["dynamic"]; remote_ts = ["10.1.0.0/24"]; esp_proposals = ["aes128gcm16"]; } ); },
$(v1_server rw1 v1 '*.v1.example' ''),
$(v1_server push1 v1push '*.push.example' 'pull = false;'),
$(v1_client client1 gw-b1.example ''),
$(v1_client client1push gw-b2.example 'pull = false;'),
$(v1_server xauth1 v1x '*.xauth.example' 'remote-2 = { auth = "xauth"; };'),
$(v1_client xclient gw-b3.example 'local-2 = { auth = "xauth"; xauth_id = "carol"; };')
);
secrets = ( { type = "ike"; id = ["gw-b.example", "gw-a.example", "one.rw.example", "two.rw.example",
                                  "three.rw.example", "four.nat.example", "five.v1.example", "six.push.example",
                                  "gw-b1.example", "gw-b2.example", "gw-b3.example", "seven.xauth.example",
                                  "eight.xauth.example"]; secret = "$PSK"; },
            { type = "xauth"; id = "alice"; secret = "alice's password"; },
            { type = "xauth"; id = ["bob", "dave"]; secret = "bob's password"; },
            { type = "xauth"; id = "carol"; secret = "carol's password"; } );
EOC
# client NAME [VERSION [DOMAIN [EXTRA]]]: a road warrior of strongSwan's asking for an address (EXTRA
# after its first rounds: swanctl takes rounds in the order written)
client() {
	cat <<EOC
  $1 {
    version = ${2:-2}
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    vips = 0.0.0.0
    proposals = $([ "${2:-2}" = 1 ] && echo aes128-sha256-modp2048 || echo aes128gcm16-prfsha256-x25519)
    encap = yes
    local { auth = psk
            id = $1.${3:-rw}.example }
    remote { auth = psk
             id = gw-b.example }
    ${4:-}
    children {
      $1-net {
        remote_ts = 10.2.0.0/24
        esp_proposals = aes128gcm16
      }
    }
  }
EOC
}
sw_server() { # sw_server NAME DPIKE_ID POOL EXTRA: strongSwan's IKEv1 pool for dpike as a client (EXTRA as client's)
	cat <<EOC
  $1 {
    version = 1
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    pools = $3
    proposals = aes128-sha256-modp2048
    encap = yes
    local { auth = psk
            id = gw-a.example }
    remote { auth = psk
             id = $2 }
    $4
    children { $1-net { local_ts = 10.1.0.0/24
                        esp_proposals = aes128gcm16 } }
  }
EOC
}
cat >"$LAB_DIR/swanctl.conf" <<EOC
connections {
$(client one)
$(client two)
$(client three)
$(client five 1 v1)
$(client six 1 push "pull = no")
$(sw_server gw1 gw-b1.example swpool1 '')
$(sw_server gw1push gw-b2.example swpush1 'pull = no')
$(sw_server gwx gw-b3.example swpoolx 'remote-xauth { auth = xauth }')
$(client seven 1 xauth "local-xauth { auth = xauth
                                      xauth_id = alice }")
$(client eight 1 xauth "local-xauth { auth = xauth
                                      xauth_id = bob }")
  gw {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    pools = swpool
    proposals = aes128gcm16-prfsha256-x25519
    encap = yes
    local { auth = psk
            id = gw-a.example }
    remote { auth = psk
             id = gw-b.example }
    children { gw-net { local_ts = 10.1.0.0/24
                        esp_proposals = aes128gcm16 } }
  }
}
pools { swpool { addrs = 10.9.0.0/30 }
        swpool1 { addrs = 10.9.1.0/30 }
        swpush1 { addrs = 10.9.2.0/30 }
        swpoolx { addrs = 10.9.3.0/30 } }
secrets {
  ike-lab {
    id-gw-a = gw-a.example
    id-gw = gw-b.example
    id-1 = one.rw.example
    id-2 = two.rw.example
    id-3 = three.rw.example
    id-5 = five.v1.example
    id-6 = six.push.example
    id-gw1 = gw-b1.example
    id-gw2 = gw-b2.example
    id-gw3 = gw-b3.example
    id-7 = seven.xauth.example
    id-8 = eight.xauth.example
    secret = "$PSK"
  }
  xauth-alice { id = alice
                secret = "alice's password" }
  xauth-bob { id = bob
              secret = "not bob's password" }
  xauth-carol { id = carol
                secret = "carol's password" }
}
EOC
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"

up() { sw_ctl "$LAB_DIR" --initiate --child "$1-net" --timeout 20 >"$LAB_DIR/init-$1.log" 2>&1 || true; }
down() { sw_ctl "$LAB_DIR" --terminate --ike "$1" --timeout 10 >/dev/null 2>&1 || true; }
# vip_of NAME [DOMAIN]: the virtual IP dpike gave the newest IKE SA of that client ("-" without one)
vip_of() {
	ctl --json list-sas | python3 -c 'import json,sys
v=sorted((s["serial"], s["remote_vip"]) for s in json.load(sys.stdin)["ike_sas"]
         if s["remote_id"]==sys.argv[1] and s["state"]=="ESTABLISHED")
print(v[-1][1] if v and v[-1][1] else "-")' "$1.${2:-rw}.example"
}
# sw_vip NAME: the virtual IP strongSwan's connection NAME installed ("-" without one)
sw_vip() {
	sw_ctl "$LAB_DIR" --list-sas --ike "$1" 2>/dev/null | awk '/^ +local / && $2 ~ /\/32$/ { sub("/32", "", $2); print $2; exit }' | grep . || echo -
}
# dpike_remote_ts_has ADDR: one of dpike's outbound SAs protects traffic to ADDR/32 alone
dpike_remote_ts_has() {
	ctl --json list-sas | python3 -c 'import json,sys
sys.exit(not any(s["direction"]=="out" and s["remote_ts"]==[sys.argv[1]+"/32"] for s in json.load(sys.stdin)["sas"]))' "$1"
}
ping_from() { ip netns exec "$sw" ping -c 3 -i 0.2 -W 2 -w 10 -I "$1" 10.2.0.1 >/dev/null; }

up one
lab_check "one: an address from the pool, the same at both ends ($(vip_of one), $(sw_vip one))" \
	test "$(vip_of one)" = 10.3.0.1 -a "$(sw_vip one)" = 10.3.0.1
lab_check "one: dpike's child covers that address alone" dpike_remote_ts_has 10.3.0.1
lab_check "one: pings from 10.3.0.1 to host-b through the tunnel" ping_from 10.3.0.1
up two
lab_check "two: the next address ($(vip_of two))" test "$(vip_of two)" = 10.3.0.2 -a "$(sw_vip two)" = 10.3.0.2
lab_check "two: pings from 10.3.0.2" ping_from 10.3.0.2
pool_usage() { ctl --json list-pools | python3 -c 'import json,sys
p=json.load(sys.stdin)["pools"][0]; print("%s %s-%s %d %d %d" % (p["name"], p["first"], p["last"], p["size"], p["online"], p["leased"]))'; }
lab_check "dpikectl list-pools: rw, 10.3.0.1-10.3.0.2, both online ($(pool_usage))" \
	test "$(pool_usage)" = "rw 10.3.0.1-10.3.0.2 2 2 2"
up three
lab_check "three: the pool is full: INTERNAL_ADDRESS_FAILURE, logged" \
	grep -q "rw: IKE_SA #[0-9]*: the peer asks for an address and its pools are full" "$LAB_DIR/dut.log"
children_of() { # children_of NAME [DOMAIN]: dpike's child SAs under that client's IKE SAs
	ctl --json list-sas | python3 -c 'import json,sys
print(sum(len(s["children"]) for s in json.load(sys.stdin)["ike_sas"] if s["remote_id"]==sys.argv[1]))' "$1.${2:-rw}.example"
}
lab_check "three: no child at dpike" test "$(children_of three)" = 0
lab_check "three: strongSwan has no virtual IP" test "$(sw_vip three)" = -
down three

serial_two() { ctl --json list-sas | python3 -c 'import json,sys
print(max([s["serial"] for s in json.load(sys.stdin)["ike_sas"] if s["remote_id"]=="two.rw.example" and s["state"]=="ESTABLISHED"] or [0]))'; }
before=$(serial_two)
sw_ctl "$LAB_DIR" --rekey --ike two >/dev/null 2>&1 || true
rekeyed() { [ "$(serial_two)" -gt "$before" ]; }
lab_check "two: its IKE SA rekeyed (CREATE_CHILD_SA, no new IKE_AUTH)" lab_wait_for 15 rekeyed
lab_check "... by the peer, as dpike logged" grep -q "rw: IKE_SA #$before rekeyed into #[0-9]* by the peer" "$LAB_DIR/dut.log"
lab_check "two: the new IKE SA keeps 10.3.0.2 ($(vip_of two))" test "$(vip_of two)" = 10.3.0.2
lab_check "two: pings after the rekey" ping_from 10.3.0.2

down one
gone_one() { [ "$(vip_of one)" = - ]; }
lab_wait_for 10 gone_one || true
up one
lab_check "one: back, with its own address again ($(vip_of one))" test "$(vip_of one)" = 10.3.0.1 -a "$(sw_vip one)" = 10.3.0.1
lab_check "one: pings again" ping_from 10.3.0.1
down one
lab_wait_for 10 gone_one || true
up three
lab_check "three: one's address, now the longest unused ($(vip_of three))" test "$(vip_of three)" = 10.3.0.1
lab_check "three: pings from it" ping_from 10.3.0.1

# dpike as the client: it asks strongSwan (pools) for an address and takes it as its selector
ctl initiate client/net >/dev/null
client_vip() { ctl --json list-sas | python3 -c 'import json,sys
s=[s for s in json.load(sys.stdin)["ike_sas"] if s["name"]=="client" and s["state"]=="ESTABLISHED"]
print(s[0]["local_vip"] if s and s[0]["local_vip"] else "-")'; }
client_up() { [ "$(client_vip)" != - ]; }
lab_wait_for 20 client_up || true
lab_check "dpike as a client: strongSwan's pool gave it an address ($(client_vip))" test "$(client_vip)" = 10.9.0.1
dpike_local_ts_has() { ctl --json list-sas | python3 -c 'import json,sys
sys.exit(not any(s["direction"]=="out" and s["local_ts"]==[sys.argv[1]+"/32"] and s["remote_ts"]==["10.1.0.0/24"]
                 for s in json.load(sys.stdin)["sas"]))' "$1"; }
lab_check "dpike as a client: its child's selectors are 10.9.0.1/32 === 10.1.0.0/24" dpike_local_ts_has 10.9.0.1
sw_gw_child() { sw_ctl "$LAB_DIR" --list-sas --ike gw 2>/dev/null | grep -Eq '^ +remote +10\.9\.0\.1/32$'; }
lab_check "dpike as a client: strongSwan's child has it as the remote selector" sw_gw_child
ctl terminate client >/dev/null

# IKEv1 Mode Config: five asks (pull), six is told (push: pull = no at both ends)
up five
lab_check "IKEv1 five (pull): an address from pool v1, the same at both ends ($(vip_of five v1), $(sw_vip five))" \
	test "$(vip_of five v1)" = 10.3.3.1 -a "$(sw_vip five)" = 10.3.3.1
lab_check "IKEv1 five: dpike's child covers that address alone" dpike_remote_ts_has 10.3.3.1
lab_check "IKEv1 five: pings from 10.3.3.1 to host-b through the tunnel" ping_from 10.3.3.1
up six
lab_check "IKEv1 six (push): dpike set an address of pool v1push ($(vip_of six push), $(sw_vip six))" \
	test "$(vip_of six push)" = 10.3.4.1 -a "$(sw_vip six)" = 10.3.4.1
lab_check "IKEv1 six: pings from 10.3.4.1" ping_from 10.3.4.1
serial_of() { ctl --json list-sas | python3 -c 'import json,sys
print(max([s["serial"] for s in json.load(sys.stdin)["ike_sas"] if s["remote_id"]==sys.argv[1] and s["state"]=="ESTABLISHED"] or [0]))' "$1"; }
before=$(serial_of five.v1.example)
sw_ctl "$LAB_DIR" --rekey --ike five --reauth >/dev/null 2>&1 || true
reauthed() { [ "$(serial_of five.v1.example)" -gt "$before" ]; }
lab_check "IKEv1 five: reauthenticated (a new ISAKMP SA)" lab_wait_for 15 reauthed
lab_check "IKEv1 five: the new ISAKMP SA has 10.3.3.1 again ($(vip_of five v1))" test "$(vip_of five v1)" = 10.3.3.1
lab_check "IKEv1 five: pings after the reauthentication" ping_from 10.3.3.1
down five
down six
v1_pools_empty() { [ "$(ctl --json list-pools | python3 -c 'import json,sys
print(sum(p["online"] for p in json.load(sys.stdin)["pools"] if p["name"] in ("v1", "v1push")))')" = 0 ]; }
lab_check "IKEv1: both addresses back in their pools once the clients left" lab_wait_for 10 v1_pools_empty

# XAuth: seven with alice's password gets in (then its address by Mode Config), eight with a wrong one for bob does not
up seven
lab_check "IKEv1 XAuth: dpike took alice's password" grep -q "xauth1: ISAKMP SA #[0-9]*: XAuth user 'alice' authenticated" "$LAB_DIR/dut.log"
lab_check "IKEv1 XAuth seven: then an address of pool v1x ($(vip_of seven xauth), $(sw_vip seven))" \
	test "$(vip_of seven xauth)" = 10.3.5.1 -a "$(sw_vip seven)" = 10.3.5.1
lab_check "IKEv1 XAuth seven: pings from 10.3.5.1" ping_from 10.3.5.1
xauth_user_of() { ctl --json list-sas | python3 -c 'import json,sys
print(" ".join(s["remote_xauth_id"] for s in json.load(sys.stdin)["ike_sas"] if s["remote_id"]=="seven.xauth.example"))'; }
lab_check "IKEv1 XAuth seven: list-sas names the user ($(xauth_user_of))" test "$(xauth_user_of)" = alice
up eight
lab_check "IKEv1 XAuth: a wrong password for bob refused, as dpike logged" \
	grep -q "xauth1: ISAKMP SA #[0-9]*: XAuth user 'bob' refused" "$LAB_DIR/dut.log"
lab_check "IKEv1 XAuth eight: strongSwan was told (XAuth failed)" grep -q "XAuth authentication of 'bob' (myself) failed" "$LAB_DIR/charon.log"
lab_check "IKEv1 XAuth eight: no address, no SA at dpike ($(vip_of eight xauth))" \
	test "$(vip_of eight xauth)" = - -a "$(children_of eight xauth)" = 0
lab_check "IKEv1 XAuth: the password never in dpike's log" bash -c "! grep -q \"not bob's password\\|alice's password\" '$LAB_DIR/dut.log'"
down seven

# dpike as an IKEv1 client: asking strongSwan's pool (pull), then told by it (push), then after XAuth as carol
for conn in client1:10.9.1.1:gw1 client1push:10.9.2.1:gw1push xclient:10.9.3.1:gwx; do
	IFS=: read -r name want sw_conn <<<"$conn"
	ctl initiate "$name/net" >/dev/null || true
	v1_client_vip() { ctl --json list-sas | python3 -c 'import json,sys
s=[s for s in json.load(sys.stdin)["ike_sas"] if s["name"]==sys.argv[1] and s["state"]=="ESTABLISHED" and s["children"]]
print(s[0]["local_vip"] if s and s[0]["local_vip"] else "-")' "$1"; }
	v1_client_up() { [ "$(v1_client_vip "$name")" != - ]; }
	lab_wait_for 20 v1_client_up || true
	lab_check "dpike as an IKEv1 client ($name): strongSwan gave it $(v1_client_vip "$name")" \
		test "$(v1_client_vip "$name")" = "$want"
	lab_check "dpike as an IKEv1 client ($name): its child's selectors are $want/32 === 10.1.0.0/24" \
		dpike_local_ts_has "$want"
	sw_has_remote() { sw_ctl "$LAB_DIR" --list-sas --ike "$sw_conn" 2>/dev/null | grep -Eq "^ +remote +${want//./\\.}/32\$"; }
	lab_check "dpike as an IKEv1 client ($name): strongSwan's child has it as the remote selector" sw_has_remote
	ctl terminate "$name" >/dev/null
done

# A road warrior behind a NAT (strongSwan's namespace routes and masquerades for a fourth, without
# encap = yes: NAT detection moves it to 4500), its connection with no remote_ts at all.
lab_ns rw rw
lab_link "$sw" sw-nat 02:00:00:00:04:01 "$rw" rw-wan 02:00:00:00:04:02
ip -n "$sw" addr add 198.51.100.1/24 dev sw-nat
ip -n "$rw" addr add 198.51.100.2/24 dev rw-wan
ip -n "$rw" route add default via 198.51.100.1
ip netns exec "$sw" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$sw" nft -f - <<EON
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "sw-wan" ip saddr 198.51.100.0/24 meta l4proto udp snat to 192.0.2.1:41000-41099
	}
}
EON
mkdir -p "$LAB_DIR/rw"
cat >"$LAB_DIR/rw/swanctl.conf" <<EOC
connections {
  four {
    version = 2
    remote_addrs = 192.0.2.2
    vips = 0.0.0.0
    proposals = aes128gcm16-prfsha256-x25519
    local { auth = psk
            id = four.nat.example }
    remote { auth = psk
             id = gw-b.example }
    children { four-net { remote_ts = 10.2.0.0/24
                          esp_proposals = aes128gcm16 } }
  }
}
secrets { ike-rw { id-gw = gw-b.example
                   id-4 = four.nat.example
                   secret = "$PSK" } }
EOC
sw_start "$rw" "$LAB_DIR/rw"
sw_ctl "$LAB_DIR/rw" --initiate --child four-net --timeout 20 >"$LAB_DIR/init-four.log" 2>&1 || true
four_seen() { ctl --json list-sas | python3 -c 'import json,sys
s=[s for s in json.load(sys.stdin)["ike_sas"] if s["remote_id"]=="four.nat.example" and s["state"]=="ESTABLISHED"]
print("%s %s %s" % (s[0]["remote_vip"], str(s[0]["nat"]).lower(), s[0]["remote"]) if s else "-")'; }
lab_check "four, behind the NAT: an address of the other pool, NAT seen, the mapped port ($(four_seen))" \
	bash -c "[[ '$(four_seen)' =~ ^10\.3\.1\.1\ true\ 192\.0\.2\.1\[410[0-9][0-9]\]$ ]]"
lab_check "four: dpike's child covers its address alone (no remote_ts configured)" dpike_remote_ts_has 10.3.1.1
lab_check "four: pings from 10.3.1.1 through the NAT and the tunnel" \
	ip netns exec "$rw" ping -c 3 -i 0.2 -W 2 -w 10 -I 10.3.1.1 10.2.0.1
dpike_stop_all
lab_summary strongswan-vips
