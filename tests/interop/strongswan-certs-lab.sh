# SPDX-License-Identifier: BSD-3-Clause
# The certificate lab shared by the IKEv2 and IKEv1 certificate tests: strongswan-lab.sh, a PKI
# made now with pki (a root CA, an intermediate under it, an unrelated CA), and helpers that
# write one connection per case on each side. IKE_VERSION=1 before sourcing makes it IKEv1.
#   . tests/interop/strongswan-certs-lab.sh BUILD_DIR
. "$(dirname "${BASH_SOURCE[0]}")/strongswan-lab.sh" "$1"
. "$root/tests/lib/pki.sh"
DN="C=CH, O=dpike lab"

# certs_lab_up NAME: the namespaces, and the CAs in $PKI.
certs_lab_up() {
	lab_init "$1"
	strongswan_lab_up
	PKI=$LAB_DIR/pki
	mkdir -p "$PKI"
	pki_ca root rsa2048 "$DN, CN=lab root"
	pki_issue im p256 root "$DN, CN=lab intermediate" "lab-im" --ca
	pki_ca other ed25519 "$DN, CN=other CA"
}

# dconn NAME AUTH LOCAL_ID REMOTE_ID CERTS [EXTRA]: one dpike connection (no LOCAL_ID: the certificate's DN).
dconn() {
	cat <<EOC
  { name = "$1"; version = ${IKE_VERSION:-2}; local_addrs = ["192.0.2.2"]; remote_addrs = ["192.0.2.1"];
    proposals = ["${IKE_PROPOSAL:-aes128gcm16-prfsha256-x25519}"]; ${6:-}
    local = { auth = "$2"; ${3:+id = \"$3\";} certs = [$5]; };
    remote = { auth = "$2"; id = "$4"; cacerts = ["root.pem"]; };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["10.1.0.0/24"];
                   esp_proposals = ["aes128gcm16"]; } ); }
EOC
}

# swconn NAME AUTH LOCAL_ID REMOTE_ID CERT [EXTRA]: strongSwan's side, child net-NAME, EXTRA after
# the first rounds (swanctl takes rounds in the order written). (A remote rsa/pss constraint would
# cover the CA's signatures too unless limited to IKE: "ike:".)
swconn() {
	cat <<EOC
  $1 {
    version = ${IKE_VERSION:-2}
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = ${IKE_PROPOSAL:-aes128gcm16-prfsha256-x25519}
    encap = yes
    local { auth = $2
            certs = $5.pem
            ${3:+id = \"$3\"} }
    remote { auth = ${2/#rsa\/pss/ike:rsa/pss}
             id = "$4"
             cacerts = root.pem }
    ${6:-}
    children { net-$1 { local_ts = 10.1.0.0/24
                        remote_ts = 10.2.0.0/24
                        esp_proposals = aes128gcm16 } }
  }
EOC
}

# certs_start DPIKE_CONNS DPIKE_KEYS SW_CONNS SW_CERT...: both configurations (dpike's in $PKI, so
# its relative paths resolve there, with DPIKE_EXTRA at its end; strongSwan's credentials beside its
# swanctl.conf, and SW_SECRETS in its secrets section), both started.
certs_start() {
	cat >"$PKI/dpike.conf" <<EOC
log_level = "info";
ctl_socket = "$LAB_DIR/dpike.sock";
workers = { idle_sleep_us = 50; };
interfaces = (
  { name = "wan"; device = "net_af_packet0"; args = "iface=dut-wan"; address = "192.0.2.2/24"; mtu = ${WAN_MTU:-1500}; },
  { name = "lan"; device = "net_af_packet1"; args = "iface=dut-lan"; address = "10.2.0.254/24"; }
);
connections = ( $1 );
secrets = ( $2 );
crls = ["root.crl"];
${DPIKE_EXTRA:-}
EOC
	echo "connections { $3 } ${SW_SECRETS:+secrets { $SW_SECRETS \}}" >"$LAB_DIR/swanctl.conf"
	shift 3
	pki_swanctl_dir "$LAB_DIR" "$@"
	cp "$PKI"/{root,im,other}.pem "$LAB_DIR/x509ca/"
	ip -n "$sw" link set sw-wan mtu "${WAN_MTU:-1500}"
	dpike_start "$dut" "$PKI/dpike.conf" dut
	sw_start "$sw" "$LAB_DIR"
}

sw_up() { sw_established "$LAB_DIR" "net-$1"; }

# subject_seen CONN SUBJECT: dpike's list-sas shows the peer's certificate for CONN.
subject_seen() {
	ctl --json list-sas | python3 -c 'import json,sys; j=json.load(sys.stdin)
sys.exit(not any(s["name"]==sys.argv[1] and s.get("remote_cert")==sys.argv[2] for s in j["ike_sas"]))' "$1" "$2"
}

# sw_opens NAME / sw_closes NAME: strongSwan initiates connection NAME (log in init-NAME.log),
# and later deletes it; dpike_opens / dpike_closes: the same from dpike's side.
sw_opens() { sw_ctl "$LAB_DIR" --initiate --child "net-$1" --timeout 15 >"$LAB_DIR/init-$1.log" 2>&1 || true; }
sw_closes() {
	sw_ctl "$LAB_DIR" --terminate --ike "$1" --timeout 10 >/dev/null 2>&1 || true
	lab_wait_for 10 dpike_down || true
}
dpike_opens() { ctl initiate "$1/net" >/dev/null || true; }
dpike_closes() {
	ctl terminate "$1" >/dev/null || true
	lab_wait_for 10 sw_gone || true
}

# both_ways NAME WHAT: strongSwan initiates, then dpike; each time established, the peer's
# certificate shown, traffic through the tunnel.
both_ways() {
	local name=$1 what=$2
	sw_opens "$name"
	lab_check "$what: strongSwan -> dpike established" sw_up "$name"
	lab_check "$what: dpike picked '$name' and shows the peer's certificate" \
		lab_wait_for 5 subject_seen "$name" "CN=a-$name.example,O=dpike lab,C=CH"
	lab_check "$what: traffic" one_ping
	sw_closes "$name"
	dpike_opens "$name"
	lab_check "$what: dpike -> strongSwan established" lab_wait_for 15 dpike_up "$name"
	lab_check "$what: strongSwan has the child" lab_wait_for 5 sw_up "$name"
	lab_check "$what: traffic" one_ping
	dpike_closes "$name"
}

# refused NAME ID REASON: strongSwan initiates NAME; dpike refuses it, logs the reason and
# tells strongSwan AUTHENTICATION_FAILED.
refused() {
	sw_opens "$1"
	lab_check "$1: dpike logs '$3'" lab_wait_for 5 grep -q "authentication of '$2' failed: $3" "$LAB_DIR/dut.log"
	lab_check "$1: nothing established" bash -c "! swanctl --list-sas --uri unix://$LAB_DIR/charon.vici | grep -q 'net-$1.*INSTALLED'"
	lab_check "$1: strongSwan was told AUTHENTICATION_FAILED" grep -q "AUTHENTICATION_FAILED" "$LAB_DIR/init-$1.log"
	lab_wait_for 10 dpike_down || true
}
