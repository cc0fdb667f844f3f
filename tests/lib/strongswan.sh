# SPDX-License-Identifier: BSD-3-Clause
# strongSwan's charon as a lab peer (LAB.md): kernel-libipsec does ESP in userspace over a
# TUN device, so every connection needs encap = yes. Source after lab.sh.

# sw_start NS DIR [CHARON_OPTIONS]: runs charon in NS with its own /run, config in
# DIR/strongswan.conf and DIR/swanctl.conf; waits until vici answers and loads the configuration.
# Log levels: $SW_LOG_DEFAULT (1) and $SW_LOG_IKE (2, also for cfg).
sw_start() {
	local ns=$1 dir=$2 extra=${3:-}
	cat >"$dir/strongswan.conf" <<EOC
charon {
  $extra
  load = random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey curve25519 aes sha1 sha2 md5 hmac gcm ccm ctr xcbc cmac kdf kernel-libipsec kernel-netlink socket-default vici updown xauth-generic eap-identity eap-md5 eap-mschapv2
  retransmit_timeout = 2
  retransmit_tries = 4
  filelog { log { path = $dir/charon.log
                  flush_line = yes
                  default = ${SW_LOG_DEFAULT:-1}
                  ike = ${SW_LOG_IKE:-2}
                  cfg = ${SW_LOG_IKE:-2} } }
  plugins { vici { socket = unix://$dir/charon.vici } }
}
EOC
	# IKE to this charon waits until its configuration is in: a peer retrying meanwhile (dpike
	# restarting a tunnel by dpd_action) would meet a charon without connections and be refused
	ip netns exec "$ns" nft -f - <<'EON'
table inet sw_start_hold { chain hold { type filter hook input priority 0; udp dport { 500, 4500 } drop; }; }
EON
	ip netns exec "$ns" unshare -m sh -c \
		"mount -t tmpfs none /run && STRONGSWAN_CONF=$dir/strongswan.conf exec /usr/lib/ipsec/charon" \
		>"$dir/charon.out" 2>&1 &
	SW_PID=$!
	LAB_PIDS+=($SW_PID)
	if ! lab_wait_for 20 swanctl --stats --uri "unix://$dir/charon.vici"; then
		echo "charon did not come up"
		tail -n 20 "$dir/charon.out" "$dir/charon.log" 2>/dev/null
		return 1
	fi
	# swanctl reads credentials from these folders beside swanctl.conf and complains of each missing
	mkdir -p "$dir"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
	sw_ctl "$dir" --load-all --file "$dir/swanctl.conf" >/dev/null
	ip netns exec "$ns" nft delete table inet sw_start_hold
}

# sw_restart NS DIR [CHARON_OPTIONS]: stops the charon sw_start started last and starts it again.
sw_restart() {
	kill -TERM "$SW_PID" 2>/dev/null || true
	lab_wait_gone "$SW_PID" 15 || kill -9 "$SW_PID" 2>/dev/null || true
	sw_start "$@"
}

sw_ctl() {
	local dir=$1
	shift
	swanctl "$@" --uri "unix://$dir/charon.vici"
}

# sw_established DIR CHILD: true when charon has the child SA installed.
sw_established() {
	sw_ctl "$1" --list-sas 2>/dev/null | grep -q "$2: #.*INSTALLED"
}
