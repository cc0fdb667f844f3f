#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Identity types against strongSwan (strongswan-lab.sh): IPv4 address, FQDN, email and key ID.
# (In swanctl.conf the ids are quoted: '#' would start a comment.)
# dpike has one connection per type for the same peer address; as responder it must pick the
# one whose remote id matches the peer's IDi, and answer with that connection's own id.
# Usage: strongswan-ikev2-ids.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-ids
strongswan_lab_up

# name | strongSwan's id | dpike's id (swanctl syntax on both sides)
ids=(
	"ipv4|192.0.2.1|192.0.2.2"
	"fqdn|gw-a.example|gw-b.example"
	"email|vpn-a@example.org|vpn-b@example.org"
	"keyid|@#0a0b0c0d|@#01020304"
)
conns="" secrets_ids=""
sw_conns=""
for e in "${ids[@]}"; do
	IFS='|' read -r name sid did <<<"$e"
	c=$(dpike_conn "$name" '"aes128gcm16-prfsha256-x25519"' '"aes128gcm16"')
	c=${c/id = \"gw-b.example\"/id = \"$did\"}
	c=${c/id = \"gw-a.example\"/id = \"$sid\"}
	conns+="${conns:+, }$c"
	secrets_ids+="\"$sid\", \"$did\", "
	sw_conns+="
  $name {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes128gcm16-prfsha256-x25519
    encap = yes
    local { auth = psk
            id = \"$sid\" }
    remote { auth = psk
             id = \"$did\" }
    children {
      net-$name {
        local_ts = 10.1.0.0/24
        remote_ts = 10.2.0.0/24
        esp_proposals = aes128gcm16
      }
    }
  }"
done
dpike_conf "" "$conns"
sed -i "s|id = \[\"gw-a.example\", \"gw-b.example\"\]|id = [${secrets_ids%, }]|" "$LAB_DIR/dpike.conf"
cat >"$LAB_DIR/swanctl.conf" <<EOC
connections {$sw_conns
}
secrets {
  ike-lab {
$(for e in "${ids[@]}"; do IFS='|' read -r n s d <<<"$e"; echo "    id-$n-a = \"$s\""; echo "    id-$n-b = \"$d\""; done)
    secret = "$PSK"
  }
}
EOC
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"

for e in "${ids[@]}"; do
	IFS='|' read -r name sid did <<<"$e"
	sw_ctl "$LAB_DIR" --initiate --child "net-$name" --timeout 15 >"$LAB_DIR/init-$name.log" 2>&1 || true
	lab_check "$name: strongSwan as '$sid' establishes with dpike as '$did'" sw_established "$LAB_DIR" "net-$name"
	lab_check "$name: dpike picked connection '$name' by the peer's identity" lab_wait_for 5 dpike_up "$name"
	sw_ctl "$LAB_DIR" --terminate --ike "$name" --timeout 10 >/dev/null 2>&1 || true
	lab_wait_for 10 dpike_down || true
done
dpike_stop_all
lab_summary strongswan-ikev2-ids
