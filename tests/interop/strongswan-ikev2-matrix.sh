#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Proposal matrix against strongSwan (ikev2-lab.sh): every IKE encryption, PRF/integrity and
# key exchange group dpike offers, and every ESP transform, each at least once with dpike as
# responder (strongSwan proposes exactly one) and as initiator (dpike proposes exactly one).
# Usage: strongswan-ikev2-matrix.sh BUILD_DIR
set -eu
. "$(dirname "$0")/ikev2-lab.sh" "$1"
lab_init sw-matrix
ikev2_lab_up

# IKE proposal | ESP proposal
cases=(
	"aes128gcm16-prfsha256-x25519|aes128gcm16"
	"aes256gcm16-prfsha384-ecp384|aes256gcm16"
	"chacha20poly1305-prfsha512-curve448|chacha20poly1305"
	"aes128-sha256-modp2048|aes128-sha256"
	"aes256-sha384-ecp256|aes256-sha256"
	"aes256-sha512-modp3072|aes128-sha1"
	"aes128-sha1-ecp521|aes256-sha1"
	"aes256-sha256-modp4096|aes256gcm16"
)
# No ESN here: strongSwan's kernel-libipsec refuses ESN SAs ("IPsec SA: ESN not supported");
# dpike's ESN is checked on the wire against scapy and in the unit vectors.
all_ike=$(printf '"%s", ' "${cases[@]%%|*}")
all_esp=$(printf '"%s", ' "${cases[@]##*|}")
conns="$(dpike_conn any "${all_ike%, }" "${all_esp%, }")"
for i in "${!cases[@]}"; do
	conns+=", $(dpike_conn "m$i" "\"${cases[$i]%%|*}\"" "\"${cases[$i]##*|}\"")"
done
dpike_conf "" "$conns"
sw_conf "$(echo "${cases[*]%%|*}" | tr ' ' ',')" "$(echo "${cases[*]##*|}" | tr ' ' ',')"
dpike_start "$dut" "$LAB_DIR/dpike.conf" dut
sw_start "$sw" "$LAB_DIR"

sw_gone() { ! sw_ctl "$LAB_DIR" --list-sas 2>/dev/null | grep -q 'dpike:'; }
one_ping() { ip netns exec "$hb" ping -c 1 -W 2 -w 6 10.1.0.1 >/dev/null; }

# dpike as responder: strongSwan proposes one IKE and one ESP proposal at a time
for c in "${cases[@]}"; do
	sw_conf "${c%%|*}" "${c##*|}"
	sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null
	sw_ctl "$LAB_DIR" --initiate --child net --timeout 15 >"$LAB_DIR/init.log" 2>&1 || true
	lab_check "responder: ${c%%|*} / ${c##*|}: established" sw_established "$LAB_DIR" net
	lab_check "responder: ${c%%|*} / ${c##*|}: traffic" one_ping
	sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
	lab_wait_for 10 dpike_down || true
done

# INVALID_KE_PAYLOAD: strongSwan's KE is ecp384, but dpike takes aes128gcm16-prfsha256 only with x25519
sw_conf aes128gcm16-prfsha256-ecp384-x25519 aes128gcm16
sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null
sw_ctl "$LAB_DIR" --initiate --child net --timeout 15 >"$LAB_DIR/init.log" 2>&1 || true
lab_check "INVALID_KE_PAYLOAD: strongSwan retries with the group dpike asked for, and establishes" \
	sw_established "$LAB_DIR" net
lab_check "... after dpike asked for curve25519" grep -q "requested CURVE_25519" "$LAB_DIR/charon.log"
sw_ctl "$LAB_DIR" --terminate --ike dpike --timeout 10 >/dev/null 2>&1 || true
lab_wait_for 10 dpike_down || true

# dpike as initiator: strongSwan accepts every case; dpike's m<i> proposes exactly one
sw_conf "$(echo "${cases[*]%%|*}" | tr ' ' ',')" "$(echo "${cases[*]##*|}" | tr ' ' ',')"
sw_ctl "$LAB_DIR" --load-all --file "$LAB_DIR/swanctl.conf" >/dev/null
for i in "${!cases[@]}"; do
	c=${cases[$i]}
	ctl initiate "m$i/net" >/dev/null || true
	lab_check "initiator: ${c%%|*} / ${c##*|}: established" lab_wait_for 15 dpike_up "m$i"
	lab_check "initiator: ${c%%|*} / ${c##*|}: traffic" one_ping
	ctl terminate "m$i" >/dev/null || true
	lab_wait_for 10 sw_gone || true
done
dpike_stop_all
lab_summary strongswan-ikev2-matrix
