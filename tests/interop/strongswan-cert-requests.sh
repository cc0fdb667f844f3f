#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# swanctl's send_cert, send_certreq and remote certs against strongSwan (strongswan-certs-lab.sh),
# IKEv2 and IKEv1, strongSwan initiating:
#  - strongSwan send_cert = never: dpike finds strongSwan's certificate among its remote certs;
#  - dpike send_cert = never: strongSwan has dpike's among its remote certs, and gets none;
#  - strongSwan send_certreq = no: dpike (send_cert = ifasked, the default) sends no certificate,
#    and strongSwan, without it, cannot authenticate dpike; with send_cert = always it can;
#  - dpike's remote certs name another certificate: strongSwan's, from the right CA, is refused.
# Usage: strongswan-cert-requests.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-certs-lab.sh" "$1"
certs_lab_up sw-cert-requests

cases=(swnever dnever noreq always pin)
# the lab's dpike.conf names the root's CRL: one with a certificate no peer uses
pki_issue unused p256 root "$DN, CN=unused.example" unused.example
pki_revoke root root unused
mkdir -p "$LAB_DIR/x509"
for v in 2 1; do
	for c in "${cases[@]}"; do
		pki_issue "a-$c$v" p256 root "$DN, CN=a-$c$v.example" "a-$c$v.example"
		pki_issue "b-$c$v" p256 root "$DN, CN=b-$c$v.example" "b-$c$v.example"
	done
	cp "$PKI/b-dnever$v.pem" "$LAB_DIR/x509/" # strongSwan's copy of dpike's certificate
done

# dpike_remote_certs FILES: dconn's output with remote certs added
dpike_remote_certs() { sed "s|cacerts = \[\"root.pem\"\];|cacerts = [\"root.pem\"]; certs = [$1];|"; }
# sw_remote_certs FILE: swconn's output with remote certs added
sw_remote_certs() { sed "s|cacerts = root.pem|cacerts = root.pem\n             certs = $1|"; }

dconns="" swconns="" keys="" swcerts=()
for v in 2 1; do
	IKE_VERSION=$v
	IKE_PROPOSAL=$([ "$v" = 2 ] && echo aes128gcm16-prfsha256-x25519 || echo aes256-sha256-modp3072)
	for c in "${cases[@]}"; do
		n=$c$v extra="" swextra="" d="" s=""
		case $c in
		dnever) extra='send_cert = "never";' ;;
		always) extra='send_cert = "always";' ;;
		esac
		case $c in
		swnever) swextra="send_cert = never" ;;
		noreq | always) swextra="send_certreq = no" ;;
		esac
		d=$(dconn "$n" pubkey "b-$n.example" "a-$n.example" "\"b-$n.pem\"" "$extra")
		s=$(swconn "$n" pubkey "a-$n.example" "b-$n.example" "a-$n" "$swextra")
		case $c in
		swnever) d=$(dpike_remote_certs "\"a-$n.pem\"" <<<"$d") ;;
		pin) d=$(dpike_remote_certs "\"a-always$v.pem\"" <<<"$d") ;;
		dnever) s=$(sw_remote_certs "b-$n.pem" <<<"$s") ;;
		esac
		dconns+="${dconns:+, }$d"
		swconns+="$s"
		keys+="{ type = \"private\"; file = \"b-$n.key\"; }, "
		swcerts+=("a-$n")
	done
done
certs_start "$dconns" "${keys%, }" "$swconns" "${swcerts[@]}"

# sent_cert NAME WHO: whether strongSwan's log of its attempt NAME shows a CERT payload from WHO (sw, dpike)
sent_cert() {
	local dir
	[ "$2" = sw ] && dir=generating || dir=parsed
	grep -E "$dir (IKE_AUTH|ID_PROT) (request|response) [0-9]+ \[[^]]* CERT( |\])" "$LAB_DIR/init-$1.log" >/dev/null
}

no_cert_from() { ! sent_cert "$@"; }
sw_not_up() { ! sw_up "$1"; }

for v in 2 1; do
	n=swnever$v
	sw_opens "$n"
	lab_check "IKEv$v, strongSwan send_cert = never: up, dpike found its certificate among its remote certs" sw_up "$n"
	lab_check "IKEv$v, strongSwan send_cert = never: ... strongSwan sent none" no_cert_from $n sw
	lab_check "IKEv$v, strongSwan send_cert = never: dpike shows the certificate it used" \
		lab_wait_for 5 subject_seen "$n" "CN=a-$n.example,O=dpike lab,C=CH"
	sw_closes "$n"

	n=dnever$v
	sw_opens "$n"
	lab_check "IKEv$v, dpike send_cert = never: up, strongSwan used its remote cert of dpike" sw_up "$n"
	lab_check "IKEv$v, dpike send_cert = never: ... dpike sent none" no_cert_from $n dpike
	sw_closes "$n"

	n=noreq$v
	sw_opens "$n"
	lab_check "IKEv$v, strongSwan send_certreq = no: dpike (ifasked) sent no certificate" \
		no_cert_from $n dpike
	lab_check "IKEv$v, strongSwan send_certreq = no: ... so strongSwan could not authenticate dpike" \
		sw_not_up "$n"
	sw_closes "$n"

	n=always$v
	sw_opens "$n"
	lab_check "IKEv$v, dpike send_cert = always, unasked: sent" sent_cert "$n" dpike
	lab_check "IKEv$v, dpike send_cert = always: up" sw_up "$n"
	sw_closes "$n"

	n=pin$v
	sw_opens "$n"
	lab_check "IKEv$v, dpike's remote certs name another certificate: refused, and logged why" \
		lab_wait_for 5 grep -q "authentication of 'a-$n.example' failed: not one of the connection's remote certs" \
		"$LAB_DIR/dut.log"
	lab_check "IKEv$v, ... nothing established" sw_not_up "$n"
	lab_wait_for 10 dpike_down || true
done
dpike_stop_all
lab_summary strongswan-cert-requests
