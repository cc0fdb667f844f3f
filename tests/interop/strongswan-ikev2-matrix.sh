#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Proposal matrix against strongSwan (strongswan-lab.sh): every IKE encryption, PRF/integrity and
# key exchange group dpike offers, and every ESP transform, each at least once with dpike as
# responder (strongSwan proposes exactly one) and as initiator (dpike proposes exactly one).
# Usage: strongswan-ikev2-matrix.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-lab.sh" "$1"
lab_init sw-matrix
strongswan_lab_up

# IKE proposal | ESP proposal
MATRIX=(
	"aes128gcm16-prfsha256-x25519|aes128gcm16"
	"aes256gcm16-prfsha384-ecp384|aes256gcm16"
	"chacha20poly1305-prfsha512-curve448|chacha20poly1305"
	"aes128-sha256-modp2048|aes128-sha256"
	"aes256-sha384-ecp256|aes256-sha256"
	"aes256-sha512-modp3072|aes128-sha1"
	"aes128-sha1-ecp521|aes256-sha1"
	"aes256-sha256-modp4096|aes256gcm16"
	"aes192-sha384-modp6144|aes192-sha384"
	"aes192gcm16-prfsha256-ecp224|aes192gcm16"
	"aes256gcm16-prfsha512-ecp512bp|aes256-sha512"
	"aes128-sha512-ecp384bp|aes128-sha384"
	"aes128gcm16-prfsha256-ecp256bp|aes192-sha1"
	"aes128gcm8-prfsha256-ecp224bp|aes256gcm12"
	"aes256gcm12-prfsha384-modp8192|aes128gcm8"
	"aes128-sha256-x25519|null-sha256"
	"aes128ctr-aesxcbc-modp2048|aes128ctr-sha256"
	"aes256ctr-aescmac-ecp256|aes256ctr-aescmac"
	"aes192ctr-md5-modp3072|aes192ctr-md5"
	"aes128ccm16-prfsha256-x25519|aes128ccm16"
	"aes256ccm8-prfaescmac-ecp384|aes256ccm12"
	"aes192ccm12-prfaesxcbc-modp2048|aes256ccm8"
	"3des-sha256-ecp256|3des-sha1"
	"aes256-aesxcbc-ecp256|aes128-aesxcbc"
	"aes128-sha1-prfmd5-ecp256|aes256-md5"
	"aes192-sha256-ecp256|aes192-aescmac"
	"aes128gcm16-prfsha256-ecp256|null-aesxcbc"
	"aes256gcm16-prfsha384-ecp256|aes128ctr-sha512"
	"aes128gcm16-prfsha256-ecp256|3des-aesxcbc"
	"aes128gcm16-prfsha256-ecp256|aes256ctr-sha384"
	"aes128gcm16-prfsha256-ecp256|aes128ccm8"
)
# From aes128ctr on: the older algorithms (RFC 5930 and 3686 AES-CTR, RFC 5282 and 4309 AES-CCM,
# 3DES, HMAC-MD5, AES-XCBC, AES-CMAC), as PRF, IKE integrity and ESP integrity.
# No ESN here: strongSwan's kernel-libipsec refuses ESN SAs ("IPsec SA: ESN not supported");
# dpike's ESN is checked on the wire against scapy and in the unit vectors.
conns=$(matrix_conns)
dpike_conf "" "$conns"
sw_conf "$(echo "${MATRIX[*]%%|*}" | tr ' ' ',')" "$(echo "${MATRIX[*]##*|}" | tr ' ' ',')"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"

# dpike as responder: strongSwan proposes one IKE and one ESP proposal at a time
matrix_as_responder

# INVALID_KE_PAYLOAD: strongSwan's KE is ecp384, but dpike takes aes128gcm16-prfsha256 only with x25519
sw_reload aes128gcm16-prfsha256-ecp384-x25519 aes128gcm16
sw_ctl "$LAB_DIR" --initiate --child net --timeout 15 >"$LAB_DIR/init.log" 2>&1 || true
lab_check "INVALID_KE_PAYLOAD: strongSwan retries with the group dpike asked for, and establishes" \
	sw_established "$LAB_DIR" net
lab_check "... after dpike asked for curve25519" grep -q "requested CURVE_25519" "$LAB_DIR/charon.log"
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_wait_for 10 dpike_down || true

# dpike as initiator: strongSwan accepts every case; dpike's m<i> proposes exactly one
matrix_as_initiator
# every case above on a lossless path: a retransmission means an answer went astray
lab_check "strongSwan never retransmitted: each request of its own answered, each of dpike's arrived" \
	bash -c "! grep -q 'retransmit' '$LAB_DIR/charon.log'"
dpike_stop_all
lab_summary strongswan-ikev2-matrix
