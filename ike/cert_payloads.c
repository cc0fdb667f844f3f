/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CERT payloads of both IKE versions (RFC 7296 3.6, RFC 2408 3.9; the same body): ours out,
 * the peer's in and validated.
 */
#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "cert.h"

static void add_cert(struct ike_builder *b, uint8_t payload_type, X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	if (len > 0)
		cert_add(b, payload_type, CERT_X509_SIGNATURE, der, (size_t)len);
	OPENSSL_free(der);
}

void cred_add_cert_payloads(struct ike_builder *b, uint8_t payload_type, const struct conn_credentials *cc, X509 *own)
{
	X509 *chain[8];
	add_cert(b, payload_type, own);
	int n = cred_chain_of(cc, own, chain, 8);
	for (int i = 0; i < n; i++)
		add_cert(b, payload_type, chain[i]);
}

/* The end entity is the first certificate that is not a CA's; the rest may help build the chain. */
static X509 *certs_of(const struct ike_payload *pl, int n, uint8_t payload_type, STACK_OF(X509) *untrusted)
{
	X509 *leaf = NULL;
	for (int i = 0; i < n; i++) {
		uint8_t enc;
		const uint8_t *data;
		size_t len;
		if (pl[i].type != payload_type || !cert_parse(&pl[i], &enc, &data, &len) || enc != CERT_X509_SIGNATURE)
			continue;
		X509 *x = cred_cert_from_der(data, len);
		if (x && leaf == NULL && X509_check_ca(x) == 0)
			leaf = x;
		else if (x && !sk_X509_push(untrusted, x))
			X509_free(x);
	}
	return leaf;
}

/*
 * The connection's remote cert that names id (a reference for the caller), NULL when none does;
 * CA certificates listed with it are intermediates, there to complete its chain, as for our own.
 */
static X509 *configured_peer_cert(const struct conn_credentials *cc, const struct ike_id *id, STACK_OF(X509) *untrusted)
{
	X509 *leaf = NULL;
	for (int i = 0; cc && cc->peer_certs && i < sk_X509_num(cc->peer_certs); i++) {
		X509 *x = sk_X509_value(cc->peer_certs, i);
		if (X509_check_ca(x) != 0) {
			if (X509_up_ref(x) && !sk_X509_push(untrusted, x))
				X509_free(x);
		} else if (leaf == NULL && cred_cert_names_id(x, id) && X509_up_ref(x)) {
			leaf = x;
		}
	}
	return leaf;
}

static bool among_peer_certs(const struct conn_credentials *cc, X509 *leaf)
{
	for (int i = 0; i < sk_X509_num(cc->peer_certs); i++)
		if (X509_cmp(sk_X509_value(cc->peer_certs, i), leaf) == 0)
			return true;
	return false;
}

X509 *cred_peer_cert(const struct conn_credentials *cc, const struct ike_payload *pl, int n, uint8_t payload_type,
		     const struct ike_id *id, const char **why)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509 *leaf = untrusted ? certs_of(pl, n, payload_type, untrusted) : NULL;
	enum cert_verdict v = CERT_OK;
	*why = NULL;
	if (leaf == NULL && untrusted)
		leaf = configured_peer_cert(cc, id, untrusted);
	if (leaf == NULL)
		*why = cc && cc->peer_certs && sk_X509_num(cc->peer_certs) ? "no certificate sent, and no remote cert names it"
									   : "no certificate sent";
	else if (cc && cc->peer_certs && sk_X509_num(cc->peer_certs) && !among_peer_certs(cc, leaf))
		*why = "not one of the connection's remote certs";
	else if (cc == NULL || cc->trust == NULL)
		*why = "no CA configured for this connection";
	else if ((v = cred_verify_peer(cc->trust, leaf, untrusted, id)) != CERT_OK)
		*why = cert_verdict_name(v);
	sk_X509_pop_free(untrusted, X509_free);
	return leaf;
}
