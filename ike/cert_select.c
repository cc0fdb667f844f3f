/* SPDX-License-Identifier: BSD-3-Clause */
/* Which of our certificates to authenticate with, and the intermediates to send with it. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "identity.h"

/* The certificate in s that issued x (by name and signature), or NULL. */
static X509 *issuer_in(STACK_OF(X509) *s, X509 *x)
{
	for (int i = 0; s && i < sk_X509_num(s); i++) {
		X509 *c = sk_X509_value(s, i);
		if (c != x && X509_check_issued(c, x) == X509_V_OK)
			return c;
	}
	return NULL;
}

int cred_chain_of(const struct conn_credentials *cc, X509 *cert, X509 **out, int max)
{
	int n = 0;
	for (X509 *x = issuer_in(cc->chain, cert); x && n < max; x = issuer_in(cc->chain, x)) {
		bool seen = false;
		for (int i = 0; i < n; i++)
			seen |= out[i] == x;
		if (seen)
			break; /* a loop of cross-signed CAs */
		out[n++] = x;
	}
	return n;
}

static bool ca_requested(X509 *ca, const struct cert_request *req)
{
	uint8_t h[20];
	if (req->n_hash && cred_spki_sha1(ca, h))
		for (int i = 0; i < req->n_hash; i++)
			if (memcmp(req->hash[i], h, sizeof(h)) == 0)
				return true;
	for (int i = 0; i < req->n_dn; i++) {
		const unsigned char *p = req->dn[i];
		X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)req->dn_len[i]);
		bool same = n && X509_NAME_cmp(n, X509_get_subject_name(ca)) == 0;
		X509_NAME_free(n);
		if (same)
			return true;
	}
	return false;
}

/* Does any CA above cert (our intermediates, then a root among every connection's CAs) match req? */
static bool chains_to_requested(const struct credentials *all, const struct conn_credentials *cc, X509 *cert,
				const struct cert_request *req)
{
	X509 *chain[8];
	int n = cred_chain_of(cc, cert, chain, 8);
	for (int i = 0; i < n; i++)
		if (ca_requested(chain[i], req))
			return true;
	X509 *top = n ? chain[n - 1] : cert;
	for (int c = 0; all && c < all->n_conn; c++) {
		X509 *root = issuer_in(all->conn[c].cacerts, top);
		if (root && ca_requested(root, req))
			return true;
	}
	ERR_clear_error();
	return false;
}

bool cred_identity_for(const struct own_cert *own, const char *configured_id, struct ike_id *id)
{
	struct ike_id configured;
	if (configured_id[0] && identity_from_string(configured_id, &configured) && configured.type != ID_DER_ASN1_DN) {
		*id = configured;
		return true;
	}
	return cred_subject_id(own->cert, id);
}

const struct own_cert *cred_own_identity(const struct credentials *all, const struct conn_credentials *cc,
					 const char *configured_id, const struct cert_request *req, struct ike_id *id)
{
	struct ike_id configured;
	bool have_id = configured_id[0] && identity_from_string(configured_id, &configured);
	const struct own_cert *own = cc ? cred_choose_own(all, cc, have_id ? &configured : NULL, req) : NULL;
	return own && cred_identity_for(own, configured_id, id) ? own : NULL;
}

const struct own_cert *cred_choose_own(const struct credentials *all, const struct conn_credentials *cc,
				       const struct ike_id *local_id, const struct cert_request *req)
{
	const struct own_cert *named = NULL;
	for (int i = 0; i < cc->n_own; i++) {
		const struct own_cert *o = &cc->own[i];
		if (local_id && !cred_cert_names_id(o->cert, local_id))
			continue;
		if (named == NULL)
			named = o;
		if (req && (req->n_hash || req->n_dn) && chains_to_requested(all, cc, o->cert, req))
			return o;
	}
	return named ? named : cc->n_own ? &cc->own[0] : NULL;
}
