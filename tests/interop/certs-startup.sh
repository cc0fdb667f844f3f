#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Certificates at start-up, with keys and certificates made now by strongSwan's pki (none is
# committed): a pubkey connection loads (Ed25519 gateway certificate under an ECDSA CA, key in
# PEM and DER) and `dpikectl list-certs` shows it; a wrong key, an expired certificate and a
# missing file each stop start-up with the config file, line and reason; a key in private/
# beside the config is found as swanctl finds it, and an unreadable one there stops start-up.
# Usage: certs-startup.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/lab.sh"
lab_binaries "$1"
lab_init certs-startup
lab_ns dut dut
ip netns exec "$dut" ip link add dut-wan type veth peer name dut-peer
ip netns exec "$dut" ip link set dut-wan up
ip netns exec "$dut" ip link set dut-peer up

p() { pki "$@" 2>/dev/null; }
mkdir -p "$LAB_DIR/pki"
cd "$LAB_DIR/pki"
p --gen --type ecdsa --size 384 --outform pem >ca.key
p --self --ca --in ca.key --dn "O=dpike lab, CN=lab CA" --outform pem >ca.pem
p --gen --type ed25519 --outform pem >gw.key
p --gen --type ed25519 --outform der >gw.key.der
p --gen --type rsa --size 2048 --outform pem >other.key
p --pub --in gw.key | p --issue --cacert ca.pem --cakey ca.key --dn "O=dpike lab, CN=gw-b.example" \
	--san gw-b.example --outform pem >gw.pem
p --pub --in gw.key.der | p --issue --cacert ca.pem --cakey ca.key --dn "O=dpike lab, CN=gw-der.example" \
	--san gw-der.example --outform der >gw.der
p --pub --in gw.key | p --issue --cacert ca.pem --cakey ca.key --dn "O=dpike lab, CN=old.example" \
	--not-before "01.01.20 00:00:00" --not-after "01.01.21 00:00:00" --outform pem >old.pem
cd - >/dev/null

# conf NAME CERT KEY: a config in the pki folder (relative paths resolve from there)
conf() {
	cat >"$LAB_DIR/pki/$1.conf" <<EOC
ctl_socket = "$LAB_DIR/$1.sock";
workers = { idle_sleep_us = 50; };
interfaces = ( { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "192.0.2.2/24"; } );
connections = (
  { name = "gw"; local_addrs = ["192.0.2.2"]; remote_addrs = ["192.0.2.1"];
    local = { auth = "pubkey"; certs = ["$2"]; id = "gw-b.example"; };
    remote = { auth = "pubkey"; cacerts = ["ca.pem"]; id = "gw-a.example"; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.0.0/24"]; } ); }
);
secrets = (
  { type = "private"; file = "$3"; }
);
EOC
}

# refused NAME WANT: dpike with that config exits non-zero at start-up, saying WANT with file and line
refused() {
	local rc=0
	ip netns exec "$dut" timeout 60 "$DPIKE" --no-huge -m 256 --no-pci --file-prefix "dpk-$LAB_ID-$1" \
		--log-level=lib.eal:warning -- -f "$LAB_DIR/pki/$1.conf" >"$LAB_DIR/$1.log" 2>&1 || rc=$?
	echo "    $(grep -F "$LAB_DIR/pki/$1.conf:" "$LAB_DIR/$1.log" | head -1)"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -qF "$LAB_DIR/pki/$1.conf:" "$LAB_DIR/$1.log" &&
		grep -qF "$2" "$LAB_DIR/$1.log"
}

conf good gw.pem gw.key
dpike_start "$dut" "$LAB_DIR/pki/good.conf" good
certs() { "$DPIKECTL" -s "$LAB_DIR/good.sock" --json list-certs; }
field() { certs | python3 -c 'import json,sys; c=[x for x in json.load(sys.stdin)["certs"] if x["role"]==sys.argv[1]]
print(c[0][sys.argv[2]] if c else "-")' "$1" "$2"; }
lab_check "a pubkey connection with pki-made certificates starts" "$DPIKECTL" -s "$LAB_DIR/good.sock" status
lab_check "list-certs: our certificate ($(field own subject))" test "$(field own subject)" = "CN=gw-b.example,O=dpike lab"
lab_check "... an Ed25519 key issued by the lab CA" \
	test "$(field own key) $(field own issuer)" = "Ed25519 CN=lab CA,O=dpike lab"
lab_check "... and the CA the peer is checked against (ECDSA 384)" \
	test "$(field 'trusted CA' subject) $(field 'trusted CA' key) $(field 'trusted CA' bits)" = "CN=lab CA,O=dpike lab ECDSA 384"
lab_check "list-certs in text too" bash -c "'$DPIKECTL' -s '$LAB_DIR/good.sock' list-certs | grep -q 'gw (own): CN=gw-b.example'"
dpike_stop_all

conf der gw.der gw.key.der
dpike_start "$dut" "$LAB_DIR/pki/der.conf" der
lab_check "DER certificate and DER key load" bash -c "'$DPIKECTL' -s '$LAB_DIR/der.sock' list-certs | grep -q 'CN=gw-der.example'"
dpike_stop_all

# a key in private/ beside the configuration is found without a secrets entry, as swanctl finds it
mkdir -p "$LAB_DIR/kd/private"
cp "$LAB_DIR/pki/gw.pem" "$LAB_DIR/pki/ca.pem" "$LAB_DIR/kd/"
cp "$LAB_DIR/pki/gw.key" "$LAB_DIR/kd/private/"
sed -e 's|{ type = "private"; file = "gw.key"; }||' -e 's|good.sock|kd.sock|' "$LAB_DIR/pki/good.conf" >"$LAB_DIR/kd/kd.conf"
dpike_start "$dut" "$LAB_DIR/kd/kd.conf" kd
lab_check "a key in private/ beside the config is used" \
	bash -c "'$DPIKECTL' -s '$LAB_DIR/kd.sock' list-certs | grep -q 'gw (own): CN=gw-b.example'"
dpike_stop_all
echo "not a key" >"$LAB_DIR/kd/private/junk.key"
kd_rc=0
ip netns exec "$dut" timeout 60 "$DPIKE" --no-huge -m 256 --no-pci --file-prefix "dpk-$LAB_ID-kd2" \
	--log-level=lib.eal:warning -- -f "$LAB_DIR/kd/kd.conf" >"$LAB_DIR/kd2.log" 2>&1 || kd_rc=$?
lab_check "an unreadable file in private/ stops start-up, named" bash -c "[ $kd_rc -ne 0 ] && [ $kd_rc -ne 124 ] &&
	grep -qF \"kd.conf: private key '$LAB_DIR/kd/private/junk.key': missing, unreadable\" '$LAB_DIR/kd2.log'"

conf wrongkey gw.pem other.key
lab_check "a key that does not match the certificate stops start-up" refused wrongkey "no private key under secrets or in the key folders matches"
conf expired old.pem gw.key
lab_check "an expired own certificate stops start-up" refused expired "old.pem' has expired"
conf missing nothere.pem gw.key
lab_check "a missing certificate file stops start-up" refused missing "nothere.pem': missing"
lab_summary certs-startup
