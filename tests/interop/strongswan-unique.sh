#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# swanctl's unique against strongSwan (strongswan-lab.sh), IKEv2 and IKEv1: strongSwan opens a
# second IKE SA with the same identities from another of its addresses (as a second device with the
# same credentials would, or one that moved without a word), no INITIAL_CONTACT in it:
#  - unique = no: dpike keeps both;
#  - unique = keep: dpike refuses the second (AUTHENTICATION_FAILED), the first stays and carries traffic;
#  - unique = replace: dpike deletes the first (strongSwan is told), the second carries traffic;
#  - IKEv1 with XAuth and replace: a group PSK's users are told apart by their XAuth names: bob beside
#    alice stays, alice again from a third address replaces alice.
# Usage: strongswan-unique.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-unique
strongswan_lab_up
ip -n "$sw" addr add 192.0.2.3/24 dev sw-wan
ip -n "$sw" addr add 192.0.2.4/24 dev sw-wan

# established_from ADDR: dpike's established IKE SAs from that address of strongSwan's.
established_from() {
	ctl --json list-sas | python3 -c '
import json, sys
print(sum(s["state"] == "ESTABLISHED" and s["remote"].startswith(sys.argv[1] + "[") for s in json.load(sys.stdin)["ike_sas"]))' "$1"
}
count_is() { [ "$(established_from "$1")" -eq "$2" ]; }
sw_has() { sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -q "^$1: #.*ESTABLISHED"; }
sw_lacks() { ! sw_has "$1"; }
sw_initiate() { sw_ctl "$LAB_DIR" --initiate --ike "$1" --child "$1-net" --timeout 20 >/dev/null 2>&1; }
ping_site() { ip netns exec "$hb" ping -c 2 -i 0.2 -W 2 -w 10 10.1.0.1 >/dev/null; }

# conn_listed V UNIQUE: dpikectl list-conns (JSON and text) shows site-a as configured.
conn_listed() {
	ctl --json list-conns | python3 -c '
import json, sys
c = json.load(sys.stdin)["connections"][0]
ch = c["children"][0]
sys.exit(not (c["name"] == "site-a" and c["version"] == int(sys.argv[1]) and c["unique"] == sys.argv[2] and
              c["remote_addrs"] == ["192.0.2.1", "192.0.2.3", "192.0.2.4"] and c["remote_id"] == "gw-a.example" and
              ch["name"] == "net" and ch["local_ts"] == ["10.2.0.0/24"] and ch["remote_ts"] == ["10.1.0.0/24"]))' "$1" "$2" &&
		ctl list-conns | grep -q "^site-a: IKEv$1, 192.0.2.2...192.0.2.1, 192.0.2.3, 192.0.2.4, .*unique $2$"
}

# sw_conn NAME LOCAL_ADDR PROPOSALS ESP [EXTRA]: one of strongSwan's connections to dpike, all with the same identities.
sw_conn() {
	cat <<EOC
  $1 {
    version = $IKE_VERSION
    local_addrs = $2
    remote_addrs = $DPIKE_IP
    proposals = $3
    encap = yes
    local {
      auth = psk
      id = gw-a.example
    }
    ${5:-}
    remote {
      auth = psk
      id = gw-b.example
    }
    children {
      $1-net {
        local_ts = 10.1.0.0/24
        remote_ts = 10.2.0.0/24
        esp_proposals = $4
      }
    }
  }
EOC
}

# sw_confs PROPOSALS ESP CONN...: swanctl.conf of the connections given as "NAME ADDR [XAUTH_USER]".
sw_confs() {
	local p=$1 e=$2 name addr user round2
	shift 2
	{
		echo "connections {"
		for c in "$@"; do
			read -r name addr user <<<"$c"
			round2=""
			[ -z "$user" ] || round2="local-xauth {
      auth = xauth
      xauth_id = $user
    }"
			sw_conn "$name" "$addr" "$p" "$e" "$round2"
		done
		cat <<EOC
}
secrets {
  ike-lab {
    id-a = gw-a.example
    id-b = gw-b.example
    secret = "$PSK"
  }
  xauth-alice {
    id = alice
    secret = "alice's password"
  }
  xauth-bob {
    id = bob
    secret = "bob's password"
  }
}
EOC
	} >"$LAB_DIR/swanctl.conf"
}

# start V UNIQUE PROPOSALS ESP LOG [DPIKE_EXTRA]: dpike with unique = UNIQUE for strongSwan's three addresses.
start() {
	IKE_VERSION=$1
	local conn
	conn=$(DPIKE_REMOTE_ADDRS='"192.0.2.1", "192.0.2.3", "192.0.2.4"' \
		dpike_conn site-a "\"$3\"" "\"$4\"" "unique = \"$2\"; ${6:-}")
	dpike_conf "" "$conn"
	sed -i 's|^secrets = ( |secrets = ( { type = "xauth"; id = "alice"; secret = "alice'"'"'s password"; }, { type = "xauth"; id = "bob"; secret = "bob'"'"'s password"; }, |' \
		"$LAB_DIR/dpike.conf"
	dpike_start "$dut" "$LAB_DIR/dpike.conf" "$5"
	sw_start "$sw" "$LAB_DIR"
}

round() {
	local v=$1 how=$2 p=$3 e=$4 log="dut-v$1-$2"
	IKE_VERSION=$v
	sw_confs "$p" "$e" "one 192.0.2.1" "two 192.0.2.3"
	start "$v" "$how" "$p" "$e" "$log"
	lab_check "IKEv$v, unique = $how: list-conns shows the connection as configured" conn_listed "$v" "$how"
	sw_initiate one || true
	lab_check "IKEv$v, unique = $how: the first IKE SA up, from 192.0.2.1" lab_wait_for 10 count_is 192.0.2.1 1
	sw_initiate two || true
	case $how in
	no)
		lab_check "IKEv$v, unique = no: the second up beside it, from 192.0.2.3" lab_wait_for 10 count_is 192.0.2.3 1
		lab_check "IKEv$v, unique = no: the first kept" count_is 192.0.2.1 1
		lab_check "IKEv$v, unique = no: strongSwan holds both" sw_has two
		;;
	keep)
		lab_check "IKEv$v, unique = keep: strongSwan's second attempt refused" sw_lacks two
		lab_check "IKEv$v, unique = keep: dpike logged why" \
			grep -q "refused: .* holds the same identities (unique = keep)" "$LAB_DIR/$log.log"
		lab_check "IKEv$v, unique = keep: nothing from 192.0.2.3" count_is 192.0.2.3 0
		lab_check "IKEv$v, unique = keep: the first kept" count_is 192.0.2.1 1
		lab_check "IKEv$v, unique = keep: traffic flows through the first" ping_site
		;;
	replace)
		lab_check "IKEv$v, unique = replace: the second up, from 192.0.2.3" lab_wait_for 10 count_is 192.0.2.3 1
		lab_check "IKEv$v, unique = replace: the first deleted on dpike" lab_wait_for 10 count_is 192.0.2.1 0
		lab_check "IKEv$v, unique = replace: ... and on strongSwan, told by dpike's Delete" lab_wait_for 10 sw_lacks one
		lab_check "IKEv$v, unique = replace: dpike logged why" \
			grep -q "replaced by .* between the same identities (unique = replace)" "$LAB_DIR/$log.log"
		lab_check "IKEv$v, unique = replace: traffic flows through the second" ping_site
		;;
	esac
	lab_round_end
}

# IKEv1 with a group PSK and XAuth: the users are told apart by name.
round_xauth() {
	local p=aes128-sha256-modp3072 e=aes128-sha256 log=dut-v1-xauth
	IKE_VERSION=1
	sw_confs "$p" "$e" "one 192.0.2.1 alice" "two 192.0.2.3 bob" "three 192.0.2.4 alice"
	start 1 replace "$p" "$e" "$log" 'remote-2 = { auth = "xauth"; };'
	sw_initiate one || true
	lab_check "IKEv1 XAuth, unique = replace: alice up from 192.0.2.1" lab_wait_for 10 count_is 192.0.2.1 1
	sw_initiate two || true
	lab_check "IKEv1 XAuth, unique = replace: bob up from 192.0.2.3" lab_wait_for 10 count_is 192.0.2.3 1
	lab_check "IKEv1 XAuth, unique = replace: alice kept beside bob (another user)" count_is 192.0.2.1 1
	sw_initiate three || true
	lab_check "IKEv1 XAuth, unique = replace: alice again, from 192.0.2.4" lab_wait_for 10 count_is 192.0.2.4 1
	lab_check "IKEv1 XAuth, unique = replace: alice's first SA deleted" lab_wait_for 10 count_is 192.0.2.1 0
	lab_check "IKEv1 XAuth, unique = replace: ... on strongSwan too" lab_wait_for 10 sw_lacks one
	lab_check "IKEv1 XAuth, unique = replace: bob's kept" count_is 192.0.2.3 1
	lab_round_end
}

round 2 no aes128gcm16-prfsha256-x25519 aes128gcm16
round 2 keep aes256gcm16-prfsha384-ecp384 aes256gcm16
round 2 replace aes128gcm16-prfsha256-x25519 aes128gcm16
round 1 no aes256-sha256-modp2048 aes256-sha1
round 1 keep aes128-sha256-modp3072 aes128-sha256
round 1 replace aes256-sha384-ecp256 aes256-sha384
round_xauth
lab_summary strongswan-unique
