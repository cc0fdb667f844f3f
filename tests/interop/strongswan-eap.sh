#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# IKEv2 with EAP against strongSwan 5.9 (strongswan-certs-lab.sh): strongSwan the road warrior,
# dpike the gateway authenticating with its certificate and its users by EAP (RFC 7296 2.16):
#  - EAP-MSCHAPv2 after an EAP-Identity round (eap_id = %any): the MSK keys both AUTHs;
#  - EAP-MSCHAPv2 with a Windows-style DOMAIN\user identity;
#  - EAP-MD5 with the IKE identity as EAP identity (no MSK: AUTH keyed with SK_p);
#  - a virtual IP from a pool for an EAP road warrior (asked for in the first IKE_AUTH);
#  - a wrong password and an unknown user: refused with EAP-Failure, nothing installed;
#  - dpikectl load-creds: the user's password added to the file, taken without a restart.
# Usage: strongswan-eap.sh BUILD_DIR
set -eu
. "$(dirname "$0")/strongswan-certs-lab.sh" "$1"
certs_lab_up sw-eap
pki_issue unused p256 root "$DN, CN=unused.example" unused.example
pki_revoke root root unused
pki_issue gw p256 root "$DN, CN=gw.example" gw.example

# dpike_eap NAME METHOD PEER_ID [EAP_ID] [POOL [EXTRA]]: a gateway connection for one road warrior (with
# POOL: its address from there, and the child's remote selector that address; EXTRA: more settings)
dpike_eap() {
	local ts=10.1.0.0/24
	[ -z "${5:-}" ] || ts=dynamic
	cat <<EOC
  { name = "$1"; version = 2; local_addrs = ["192.0.2.2"]; remote_addrs = ["192.0.2.1"];
    proposals = ["aes128gcm16-prfsha256-x25519"]; ${5:+pools = [\"$5\"];} ${6:-}
    local = { auth = "pubkey"; id = "gw.example"; certs = ["gw.pem"]; };
    remote = { auth = "$2"; id = "$3"; ${4:+eap_id = \"$4\";} };
    children = ( { name = "net"; local_ts = ["10.2.0.0/24"]; remote_ts = ["$ts"];
                   esp_proposals = ["aes128gcm16"]; } ); }
EOC
}

# sw_eap NAME METHOD ID [EAP_ID] [VIPS [EXTRA]]: strongSwan's side, child net-NAME (VIPS: asks for an
# address; EXTRA: more settings)
sw_eap() {
	local ts="local_ts = 10.1.0.0/24"
	[ -z "${5:-}" ] || ts="" # swanctl's default: the virtual IP
	cat <<EOC
  $1 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes128gcm16-prfsha256-x25519
    encap = yes
    ${5:+vips = $5}
    ${6:-}
    local { auth = $2
            id = "$3"
            ${4:+eap_id = \"$4\"} }
    remote { auth = pubkey
             id = gw.example
             cacerts = root.pem }
    children { net-$1 { $ts
                        remote_ts = 10.2.0.0/24
                        esp_proposals = aes128gcm16 } }
  }
EOC
}

dconns="$(dpike_eap mschap eap-mschapv2 alice@example.org %any), $(dpike_eap domain eap-mschapv2 dave@example.org %any)"
dconns+=", $(dpike_eap md5 eap-md5 bob), $(dpike_eap wrong eap-mschapv2 carol@example.org %any)"
dconns+=", $(dpike_eap nobody eap-md5 eve)"
dconns+=", $(dpike_eap vip eap-mschapv2 frank@example.org %any eappool 'reauth_time = 10; over_time = 20; rand_time = 0;')"
swconns="$(sw_eap mschap eap-mschapv2 alice@example.org alice)$(sw_eap domain eap-mschapv2 dave@example.org 'EXAMPLE\\dave')"
swconns+="$(sw_eap md5 eap-md5 bob)$(sw_eap wrong eap-mschapv2 carol@example.org carol)$(sw_eap nobody eap-md5 eve)"
swconns+="$(sw_eap vip eap-mschapv2 frank@example.org frank 0.0.0.0 'over_time = 5s')"
keys='{ type = "private"; file = "gw.key"; },
  { type = "eap"; id = ["alice"]; secret = "Alice-S3cret"; },
  { type = "eap"; id = ["EXAMPLE\\dave"]; secret = "dave-pw"; },
  { type = "eap"; id = ["bob"]; secret = "bob-md5-pw"; },
  { type = "eap"; id = ["carol"]; secret = "carol-real"; },
  { type = "eap"; id = ["frank"]; secret = "frank-pw"; }'
SW_SECRETS='eap-alice { id = alice
              secret = Alice-S3cret }
  eap-dave { id = "EXAMPLE\\dave"
             secret = "dave-pw" }
  eap-bob { id = bob
            secret = bob-md5-pw }
  eap-carol { id = carol
              secret = carol-guess }
  eap-eve { id = eve
            secret = eve-pw }
  eap-frank { id = frank
              secret = frank-pw }'
DPIKE_EXTRA='pools = ( { name = "eappool"; addrs = "10.3.9.0/30"; } );'
certs_start "$dconns" "$keys" "$swconns"
none_up() { ! sw_up "$1" && dpike_down; }

shows_eap() { local out; out=$(ctl list-conns); grep -q "remote eap-mschapv2 authentication" <<<"$out" && grep -q "remote eap-md5 authentication" <<<"$out" && grep -q "EAP identity: asked of the peer" <<<"$out"; }
lab_check "dpikectl list-conns shows the EAP methods" shows_eap

sw_opens mschap
lab_check "EAP-MSCHAPv2 after an EAP-Identity round: established" sw_up mschap
lab_check "... strongSwan answered dpike's EAP-Identity request with alice" \
	grep -q "server requested EAP_IDENTITY .* sending 'alice'" "$LAB_DIR/init-mschap.log"
lab_check "... strongSwan: EAP-MSCHAPv2 succeeded with an MSK" \
	grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$LAB_DIR/init-mschap.log"
lab_check "... strongSwan verified dpike's certificate and the AUTH keyed with the MSK" \
	grep -q "authentication of 'gw.example' with EAP successful" "$LAB_DIR/init-mschap.log"
lab_check "... dpike logs alice authenticated with EAP-MSCHAPv2" \
	grep -q "mschap: 'alice' authenticated with EAP-MSCHAPv2" "$LAB_DIR/dut.log"
lab_check "... traffic" one_ping
eap_listed() {
	ctl --json list-sas | python3 -c 'import json,sys
sys.exit(not any(s["name"]==sys.argv[1] and s.get("eap_identity")==sys.argv[2] and s.get("eap_method")==sys.argv[3]
                 for s in json.load(sys.stdin)["ike_sas"]))' "$@"
}
lab_check "... dpikectl list-sas shows the EAP identity and method" eap_listed mschap alice EAP-MSCHAPv2
sw_closes mschap

sw_opens vip
lab_check "EAP-MSCHAPv2 with a virtual IP: established" sw_up vip
vip_of() {
	ctl --json list-sas | python3 -c 'import json,sys
print(next((s["remote_vip"] for s in json.load(sys.stdin)["ike_sas"] if s["name"]==sys.argv[1] and s["state"]=="ESTABLISHED"), "-"))' "$1"
}
lab_check "... dpike handed out the pool's first address, as the first request asked ($(vip_of vip))" test "$(vip_of vip)" = 10.3.9.1
lab_check "... pings from it through the tunnel" ip netns exec "$sw" ping -c 2 -i 0.2 -W 2 -w 8 -I 10.3.9.1 10.2.0.1
# reauth_time on dpike's side: an EAP client with an address of dpike's cannot be reauthenticated by
# dpike, so dpike tells it its authentication's lifetime (AUTH_LIFETIME) and the client does it
lab_check "... strongSwan takes dpike's AUTH_LIFETIME" \
	lab_wait_for 10 grep -q "received AUTH_LIFETIME of [0-9]*s, scheduling reauthentication" "$LAB_DIR/charon.log"
reauthed_vip() { [ "$(grep -c "'frank' authenticated with EAP-MSCHAPv2" "$LAB_DIR/dut.log")" -ge 2 ] && sw_up vip; }
lab_check "... and reauthenticates with EAP again" lab_wait_for 20 reauthed_vip
lab_check "... keeping its address ($(vip_of vip))" test "$(vip_of vip)" = 10.3.9.1
lab_check "... dpike did not try to reauthenticate it itself" bash -c "! grep -q 'vip: reauthenticating IKE_SA' '$LAB_DIR/dut.log'"
sw_closes vip

sw_opens domain
lab_check "EAP-MSCHAPv2 as EXAMPLE\\dave (the domain left out of the hash): established" sw_up domain
lab_check "... traffic" one_ping
sw_closes domain

sw_opens md5
lab_check "EAP-MD5 with the IKE identity as EAP identity: established" sw_up md5
lab_check "... no identity round" bash -c "! grep -q 'server requested EAP_IDENTITY' '$LAB_DIR/init-md5.log'"
lab_check "... dpike keyed AUTH with SK_p (EAP-MD5 makes no MSK)" grep -q "'bob' authenticated with EAP-MD5 (no MSK" "$LAB_DIR/dut.log"
lab_check "... traffic" one_ping
sw_closes md5

sw_opens wrong
lab_check "a wrong password: dpike logs why" \
	lab_wait_for 5 grep -q "wrong: EAP-MSCHAPv2 of 'carol' failed: EAP-MSCHAPv2 NT-Response does not match" "$LAB_DIR/dut.log"
lab_check "... strongSwan received EAP-Failure" grep -q "received EAP_FAILURE" "$LAB_DIR/init-wrong.log"
lab_check "... nothing established" none_up wrong
sw_closes wrong

sw_opens nobody
lab_check "a user without an EAP secret: refused" \
	lab_wait_for 5 grep -q "nobody: EAP-MD5 of 'eve' failed: no EAP secret for this identity" "$LAB_DIR/dut.log"
lab_check "... nothing established" none_up nobody
lab_check "dpike counted the two failures" test "$(dpike_stat auth_failures)" -ge 2
sw_closes nobody

# dpikectl load-creds: eve's password added to the file, taken without a restart; alice's tunnel stays
sw_opens mschap
lab_check "load-creds: alice up before" sw_up mschap
conf=$PKI/dpike.conf
cp "$conf" "$LAB_DIR/dpike.conf.orig"
echo 'this is no libconfig' >>"$conf"
lab_check "load-creds: a broken file is refused with its line, non-zero exit" \
	bash -c "! '$DPIKECTL' -s '$LAB_DIR/dpike.sock' load-creds >'$LAB_DIR/creds-bad.txt' 2>&1"
lab_check "... the message names file and line, and says nothing changed" \
	bash -c "grep -q '$conf:[0-9]*:' '$LAB_DIR/creds-bad.txt' && grep -q 'nothing changed' '$LAB_DIR/creds-bad.txt'"
sed 's|{ type = "eap"; id = \["carol"\]; secret = "carol-real"; }|&, { type = "eap"; id = ["eve"]; secret = "eve-pw"; }|' \
	"$LAB_DIR/dpike.conf.orig" >"$conf"
lab_check "load-creds: the file with eve's password loads (JSON: six EAP passwords)" \
	bash -c "'$DPIKECTL' -s '$LAB_DIR/dpike.sock' --json load-creds | grep -q '\"eap\":6'"
sw_opens nobody
lab_check "... eve now connects, without a restart" sw_up nobody
lab_check "... traffic" one_ping
lab_check "... alice's tunnel stayed up" sw_up mschap
dpike_stop_all
lab_summary strongswan-eap
