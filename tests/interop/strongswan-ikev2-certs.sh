#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IKEv2 public-key authentication against strongSwan 5.9 (strongswan-lab.sh), keys and
# certificates made now with pki: RSA, ECDSA P-256 and P-384, Ed25519 and RSASSA-PSS (RFC 7427)
# on both sides, each side initiating, traffic through each tunnel; a chain through an
# intermediate CA each way, RSA-4096, over a 1280-byte MTU (IKE fragmentation, RFC 7383); our
# certificate chosen by the peer's CERTREQ; DN identities and a wildcard remote id. Then the refusals, each
# with dpike's log line: a revoked certificate (CRL), an unknown CA, an expired certificate, an
# ID the certificate does not name.
# Usage: strongswan-ikev2-certs.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-certs-lab.sh" "$1"
certs_lab_up sw-ikev2-certs
# case | key type | auth | issuer | ids (fqdn, or dn: each side's default, its certificate's subject)
cases=(
	"rsa|rsa2048|pubkey|root|fqdn"
	"p256|p256|pubkey|root|fqdn"
	"p384|p384|pubkey|root|dn"
	"ed25519|ed25519|pubkey|root|fqdn"
	"pss|rsa3072|rsa/pss|root|fqdn"
	"chain|rsa4096|pubkey|im|fqdn"
)
for c in "${cases[@]}"; do
	IFS='|' read -r name type auth issuer ids <<<"$c"
	pki_issue "a-$name" "$type" "$issuer" "$DN, CN=a-$name.example" "a-$name.example"
	pki_issue "b-$name" "$type" "$issuer" "$DN, CN=b-$name.example" "b-$name.example"
done
pki_issue a-wild p256 root "$DN, CN=gw.wild.example" gw.wild.example
pki_issue b-wild p256 root "$DN, CN=b-wild.example" b-wild.example
# two certificates for one ID: strongSwan trusts the root only, so its CERTREQ must pick b-pick
pki_issue b-pick-other p256 other "$DN, CN=b-pick.example" b-pick.example
pki_issue a-pick p256 root "$DN, CN=a-pick.example" a-pick.example
pki_issue b-pick p256 root "$DN, CN=b-pick.example" b-pick.example
# refusals: revoked, unknown CA, expired, and a certificate that does not name the ID sent
pki_issue a-rev p256 root "$DN, CN=a-rev.example" a-rev.example
pki_revoke root root a-rev
pki_issue a-unk p256 other "$DN, CN=a-unk.example" a-unk.example
pki_issue a-exp p256 root "$DN, CN=a-exp.example" a-exp.example \
	--not-before "01.01.20 00:00:00" --not-after "01.01.21 00:00:00"
pki_issue a-mis p256 root "$DN, CN=a-mis.example" a-other.example

dconns="" swconns="" keys="" swcerts=()
for c in "${cases[@]}"; do
	IFS='|' read -r name type auth issuer ids <<<"$c"
	certs="\"b-$name.pem\""
	swauth=$auth
	[ "$auth" = rsa/pss ] && swauth=rsa/pss-sha256 # strongSwan signs with RSASSA-PSS only when told the hash too
	[ "$issuer" = im ] && certs+=", \"im.pem\""
	if [ "$ids" = dn ]; then
		dconns+="${dconns:+, }$(dconn "$name" "$auth" "" "$DN, CN=a-$name.example" "$certs")"
		swconns+="$(swconn "$name" "$swauth" "" "$DN, CN=b-$name.example" "a-$name")"
	else
		dconns+="${dconns:+, }$(dconn "$name" "$auth" "b-$name.example" "a-$name.example" "$certs")"
		swconns+="$(swconn "$name" "$swauth" "a-$name.example" "b-$name.example" "a-$name")"
	fi
	keys+="{ type = \"private\"; file = \"b-$name.key\"; }, "
	swcerts+=("a-$name")
done
dconns+=", $(dconn wild pubkey b-wild.example '*.wild.example' '"b-wild.pem"')"
swconns+="$(swconn wild pubkey gw.wild.example b-wild.example a-wild)"
dconns+=", $(dconn pick pubkey b-pick.example a-pick.example '"b-pick-other.pem", "b-pick.pem"')"
swconns+="$(swconn pick pubkey a-pick.example b-pick.example a-pick)"
keys+="{ type = \"private\"; file = \"b-pick-other.key\"; }, { type = \"private\"; file = \"b-pick.key\"; }, "
keys+="{ type = \"private\"; file = \"b-wild.key\"; }, "
for r in rev unk exp; do
	dconns+=", $(dconn "$r" pubkey b-rsa.example "a-$r.example" '"b-rsa.pem"')"
	swconns+="$(swconn "$r" pubkey "a-$r.example" b-rsa.example "a-$r")"
	swcerts+=("a-$r")
done
dconns+=", $(dconn mis pubkey b-rsa.example a-mis.example '"b-rsa.pem"')"
swconns+="$(swconn mis pubkey a-mis.example b-rsa.example a-mis)"
swcerts+=(a-wild a-mis a-pick)

WAN_MTU=1280 certs_start "$dconns" "${keys%, }" "$swconns" "${swcerts[@]}"
for c in "${cases[@]}"; do
	IFS='|' read -r name type auth issuer ids <<<"$c"
	both_ways "$name" "$name ($type, auth $auth, issued by $issuer, $ids ids)"
done
lab_check "the RSA-PSS case signed with RSASSA-PSS both ways (RFC 7427)" \
	grep -q "'a-pss.example' authenticated with certificate .* (RSASSA-PSS SHA-256)" "$LAB_DIR/dut.log"
lab_check "chain: strongSwan fragmented its IKE_AUTH for the 1280-byte path" \
	grep -q "splitting IKE message .* into [2-9] fragments" "$LAB_DIR/init-chain.log"
lab_check "chain: strongSwan reassembled dpike's fragments and took the intermediate from them" \
	grep -q "received issuer cert \"C=CH, O=dpike lab, CN=lab intermediate\"" "$LAB_DIR/charon.log"
lab_check "strongSwan verified dpike's RSASSA-PSS signature" grep -q "authentication of 'b-pss.example' with RSA_EMSA_PSS" "$LAB_DIR/charon.log"

sw_opens wild
lab_check "remote id '*.wild.example' accepts gw.wild.example" sw_up wild
sw_closes wild
dpike_opens wild
lab_check "dpike initiates 'wild' too (a wildcard remote id sends no IDr)" lab_wait_for 15 dpike_up wild
dpike_closes wild

sw_opens pick
lab_check "pick: dpike chose the certificate strongSwan's CERTREQ asked for" sw_up pick
lab_check "... the one issued by the root" grep -q 'received end entity cert "C=CH, O=dpike lab, CN=b-pick.example"' "$LAB_DIR/init-pick.log"
sw_closes pick
dpike_opens pick
lab_check "pick: as initiator too (CERTREQ of IKE_SA_INIT)" lab_wait_for 15 dpike_up pick
dpike_closes pick

# an IKE SA rekey keeps what the certificate authenticated
sw_opens p256
lab_wait_for 5 dpike_up p256 || true
serial() { ctl --json list-sas | python3 -c 'import json,sys
print(" ".join(str(s["serial"]) for s in json.load(sys.stdin)["ike_sas"] if s["name"]=="p256"))'; }
before=$(serial)
ctl rekey p256 >/dev/null || true
rekeyed() { ctl --json list-sas | python3 -c 'import json,sys; old=sys.argv[1].split()
sas=[s for s in json.load(sys.stdin)["ike_sas"] if s["name"]=="p256"]
sys.exit(not (len(sas)==1 and str(sas[0]["serial"]) not in old and sas[0]["state"]=="ESTABLISHED" and
              sas[0].get("remote_cert")=="CN=a-p256.example,O=dpike lab,C=CH"))' "$before"; }
lab_check "after an IKE SA rekey the new SA still shows the peer's certificate" lab_wait_for 15 rekeyed
# a reauthentication authenticates anew, dpike (the responder of the first) initiating with its certificate
before=$(serial)
verified() { grep -c "authentication of 'b-p256.example' with ECDSA" "$LAB_DIR/charon.log" || true; }
verified_before=$(verified)
lab_check "dpikectl reauth with certificates" bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' reauth p256 >/dev/null"
lab_check "... a new IKE SA with the peer's certificate verified again, the old one gone" lab_wait_for 15 rekeyed
lab_check "... strongSwan verified dpike's certificate again" \
	test "$(verified)" -gt "$verified_before"
sw_closes p256

# refusals: strongSwan initiates; dpike answers AUTHENTICATION_FAILED and logs why
refused rev a-rev.example "revoked"
refused unk a-unk.example "unknown CA"
refused exp a-exp.example "expired"
refused mis a-mis.example "ID does not match the certificate"
# as initiator too: dpike refuses the responder's revoked certificate
dpike_opens rev
lab_check "dpike as initiator refuses a revoked responder certificate" \
	lab_wait_for 10 bash -c "[ \$(grep -c \"authentication of 'a-rev.example' failed: revoked\" '$LAB_DIR/dut.log') -ge 2 ]"
lab_check "... and has no SA for it" dpike_down rev

# the classic AUTH methods: a strongSwan without RFC 7427 signs and expects RSA (1) and ECDSA (9-11)
ctl terminate rev >/dev/null 2>&1 || true
sw_restart "$sw" "$LAB_DIR" "signature_authentication = no"
for name in rsa p256 p384; do
	both_ways "$name" "$name without RFC 7427"
done
lab_check "classic methods: dpike verified RSA PKCS#1 v1.5 with SHA-1 (method 1)" \
	grep -q "'a-rsa.example' authenticated with certificate .* (RSA PKCS#1 v1.5 SHA-1)" "$LAB_DIR/dut.log"
lab_check "classic methods: strongSwan verified dpike's RSA signature (method 1)" \
	grep -q "authentication of 'b-rsa.example' with RSA signature successful" "$LAB_DIR/charon.log"
lab_check "classic methods: strongSwan verified dpike's ECDSA-256 and ECDSA-384 (methods 9, 10)" \
	bash -c "grep -q \"authentication of 'b-p256.example' with ECDSA-256 signature successful\" '$LAB_DIR/charon.log' &&
		grep -q \"with ECDSA-384 signature successful\" '$LAB_DIR/charon.log'"
ctl stats | grep auth_failures
dpike_stop_all
lab_summary strongswan-ikev2-certs
