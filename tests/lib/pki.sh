# SPDX-License-Identifier: BSD-3-Clause
# Keys and certificates made at test time with strongSwan's pki (no private key is committed).
# Source it, set PKI to a folder, then call the helpers; every file lands in $PKI.

_pki() { pki "$@" 2>/dev/null; }

# pki_key NAME TYPE: NAME.key, PEM; TYPE is rsa2048, rsa3072, p256, p384, p521 or ed25519.
pki_key() {
	case $2 in
	rsa*) _pki --gen --type rsa --size "${2#rsa}" --outform pem >"$PKI/$1.key" ;;
	p*) _pki --gen --type ecdsa --size "${2#p}" --outform pem >"$PKI/$1.key" ;;
	ed25519) _pki --gen --type ed25519 --outform pem >"$PKI/$1.key" ;;
	esac
}

# pki_ca NAME TYPE DN: a self-signed root CA.
pki_ca() {
	pki_key "$1" "$2"
	_pki --self --ca --in "$PKI/$1.key" --dn "$3" --outform pem >"$PKI/$1.pem"
}

# pki_issue NAME TYPE ISSUER DN SAN [PKI_ISSUE_OPTIONS...]: a certificate signed by ISSUER (--ca for an intermediate).
pki_issue() {
	local name=$1 type=$2 issuer=$3 dn=$4 san=$5
	shift 5
	pki_key "$name" "$type"
	_pki --pub --in "$PKI/$name.key" | _pki --issue --cacert "$PKI/$issuer.pem" --cakey "$PKI/$issuer.key" \
		--dn "$dn" --san "$san" --outform pem "$@" >"$PKI/$name.pem"
}

# pki_revoke CA CRL CERT...: a CRL of CA that revokes the certificates.
pki_revoke() {
	local ca=$1 crl=$2 args=()
	shift 2
	for c in "$@"; do args+=(--cert "$PKI/$c.pem"); done
	_pki --signcrl --cacert "$PKI/$ca.pem" --cakey "$PKI/$ca.key" --reason key-compromise "${args[@]}" \
		--outform pem >"$PKI/$crl.crl"
}

# pki_swanctl_dir DIR CERT... : strongSwan's credential folders (beside swanctl.conf) with these
# certificates and their keys (key folders by type), and every CA certificate of $PKI.
pki_swanctl_dir() {
	local dir=$1 c
	shift
	mkdir -p "$dir"/{x509,x509ca,x509crl,rsa,ecdsa,pkcs8}
	for c in "$@"; do
		cp "$PKI/$c.pem" "$dir/x509/"
		case $(head -1 "$PKI/$c.key") in
		*"RSA PRIVATE"*) cp "$PKI/$c.key" "$dir/rsa/" ;;
		*"EC PRIVATE"*) cp "$PKI/$c.key" "$dir/ecdsa/" ;;
		*) cp "$PKI/$c.key" "$dir/pkcs8/" ;;
		esac
	done
}
