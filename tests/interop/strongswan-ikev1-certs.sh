#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IKEv1 with RSA signatures (RFC 2409 5.1) and ECDSA (RFC 4754: P-256, P-384, P-521) against
# strongSwan 5.9 (strongswan-certs-lab.sh),
# certificates made now with pki: Main Mode and Aggressive Mode, each side initiating, traffic
# through each tunnel; DN identities; a chain through an intermediate CA; CERT and CR payloads.
# Then the refusals with dpike's log line: a revoked certificate, an unknown CA, an expired one.
# And XAuth after Main Mode with RSA signatures (XAUTHInitRSA): strongSwan logs in as alice.
# dpike runs its sanitizer build here: its parsers meet peer certificates.
# Usage: strongswan-ikev1-certs.sh BUILD_DIR
set -eu
IKE_VERSION=1
IKE_PROPOSAL=aes256-sha256-modp3072
. "$(dirname "$0")/strongswan-certs-lab.sh" "$1"
certs_lab_up sw-ikev1-certs
# case | issuer | ids | mode | key (rsa2048 if not given). "big": RSA-4096 keys and a chain make
# Main Mode 5 and 6 over 2 KB, more than a 1,500-byte link carries: both ends send them in IKEv1
# fragments (net_af_packet would truncate the kernel's reassembly of IP fragments that big).
cases=(
	"main|root|fqdn|main"
	"maindn|root|dn|main"
	"chain|im|fqdn|main"
	"aggr|root|fqdn|aggressive"
	"big|im|fqdn|main|rsa4096"
	"ec256|root|fqdn|main|p256"
	"ec384|im|dn|aggressive|p384"
	"ec521|root|fqdn|main|p521"
)
dconns="" swconns="" keys="" swcerts=()
for c in "${cases[@]}"; do
	IFS='|' read -r name issuer ids mode key <<<"$c"
	pki_issue "a-$name" "${key:-rsa2048}" "$issuer" "$DN, CN=a-$name.example" "a-$name.example"
	pki_issue "b-$name" "${key:-rsa2048}" "$issuer" "$DN, CN=b-$name.example" "b-$name.example"
	certs="\"b-$name.pem\""
	[ "$issuer" = im ] && certs+=", \"im.pem\""
	dextra="" swextra=""
	[ "$mode" = aggressive ] && dextra="aggressive = true;" swextra="aggressive = yes"
	if [ "$ids" = dn ]; then
		dconns+="${dconns:+, }$(dconn "$name" pubkey "" "$DN, CN=a-$name.example" "$certs" "$dextra")"
		swconns+="$(swconn "$name" pubkey "" "$DN, CN=b-$name.example" "a-$name" "$swextra")"
	else
		dconns+="${dconns:+, }$(dconn "$name" pubkey "b-$name.example" "a-$name.example" "$certs" "$dextra")"
		swconns+="$(swconn "$name" pubkey "a-$name.example" "b-$name.example" "a-$name" "$swextra")"
	fi
	keys+="{ type = \"private\"; file = \"b-$name.key\"; }, "
	swcerts+=("a-$name")
done
pki_issue a-rev rsa2048 root "$DN, CN=a-rev.example" a-rev.example
pki_revoke root root a-rev
pki_issue a-unk rsa2048 other "$DN, CN=a-unk.example" a-unk.example
pki_issue a-exp rsa2048 root "$DN, CN=a-exp.example" a-exp.example \
	--not-before "01.01.20 00:00:00" --not-after "01.01.21 00:00:00"
for r in rev unk exp; do
	dconns+=", $(dconn "$r" pubkey b-main.example "a-$r.example" '"b-main.pem"')"
	swconns+="$(swconn "$r" pubkey "a-$r.example" b-main.example "a-$r")"
	swcerts+=("a-$r")
done

pki_issue a-xauth rsa2048 root "$DN, CN=a-xauth.example" a-xauth.example
dconns+=", $(dconn xauth pubkey b-main.example a-xauth.example '"b-main.pem"' 'remote-2 = { auth = "xauth"; };')"
swconns+="$(swconn xauth pubkey a-xauth.example b-main.example a-xauth "local-xauth { auth = xauth
                                                                                    xauth_id = alice }")"
swcerts+=(a-xauth)
keys+='{ type = "xauth"; id = "alice"; secret = "alice in wonderland"; }, '
export SW_SECRETS='xauth-alice { id = alice
                                 secret = "alice in wonderland" }'
certs_start "$dconns" "${keys%, }" "$swconns" "${swcerts[@]}"
for c in "${cases[@]}"; do
	IFS='|' read -r name issuer ids mode key <<<"$c"
	both_ways "$name" "$name ($mode mode, ${key:-rsa2048}, issued by $issuer, $ids ids)"
done
lab_check "strongSwan verified dpike's RSA signatures" \
	grep -q "authentication of 'b-main.example' with RSA_EMSA_PKCS1_NULL successful" "$LAB_DIR/charon.log"
for k in 256 384 521; do
	lab_check "strongSwan verified dpike's ECDSA-$k signature (RFC 4754 method $((k == 256 ? 9 : k == 384 ? 10 : 11)))" \
		grep -q "authentication of '\(b-ec$k.example\|C=CH, O=dpike lab, CN=b-ec$k.example\)' with ECDSA.* successful" "$LAB_DIR/charon.log"
done
lab_check "dpike logged the ECDSA signatures it verified" grep -q "(IKEv1 Main Mode, ECDSA signature)" "$LAB_DIR/dut.log"
lab_check "dpike sent its intermediate in a CERT payload" \
	grep -q "received issuer cert \"C=CH, O=dpike lab, CN=lab intermediate\"\|using untrusted intermediate certificate \"C=CH, O=dpike lab, CN=lab intermediate\"" "$LAB_DIR/charon.log"
lab_check "dpike sent CR payloads in Main Mode (message 4 here)" \
	grep -q "parsed ID_PROT response 0 \[ KE No CERTREQ" "$LAB_DIR/charon.log"
lab_check "big: strongSwan sent its Main Mode message in IKEv1 fragments" \
	grep -q "splitting IKE message .* into [0-9]* fragments" "$LAB_DIR/charon.log"
lab_check "big: dpike put them back together" test "$(dpike_stat reassembled ikev1)" -ge 1
lab_check "big: dpike sent its own in fragments and strongSwan reassembled them" \
	test "$(dpike_stat sent_in_fragments ikev1)" -ge 1 -a "$(grep -c "received fragment #" "$LAB_DIR/charon.log")" -ge 2

sw_opens xauth
lab_check "XAuth after Main Mode with RSA signatures: strongSwan -> dpike established" sw_up xauth
lab_check "... XAUTHInitRSA negotiated, alice logged in" grep -q "xauth: ISAKMP SA #[0-9]*: XAuth user 'alice' authenticated" "$LAB_DIR/dut.log"
lab_check "... traffic" one_ping
sw_closes xauth

refused rev a-rev.example "revoked"
refused unk a-unk.example "unknown CA"
refused exp a-exp.example "expired"
ctl stats | grep auth_failures
dpike_stop_all
lab_summary strongswan-ikev1-certs
