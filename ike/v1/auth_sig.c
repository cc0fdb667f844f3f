/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 authentication with signatures (RFC 2409 5.1): CR payloads naming the CAs we trust
 * (RFC 2408 3.10), our certificate chosen by the peer's CRs, CERT payloads, and SIG_I/SIG_R:
 * HASH_I/HASH_R signed with PKCS#1 v1.5 padding and no DigestInfo (RSA), or with ECDSA on P-256,
 * P-384 or P-521 (RFC 4754), the method negotiated in phase 1 saying which.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike/cert.h"
#include "ike/identity.h"
#include "ike/signature.h"
#include "ike/v2/ike_sa.h"
#include "lib/log.h"
#include "phase1.h"

static const struct conn_credentials *creds_of(const struct v1_sa *sa)
{
	return sa->conn->creds;
}

uint16_t v1_sig_method(const struct cfg_connection *c)
{
	const struct conn_credentials *cc = c->creds;
	return cc && cc->n_own ? sig_v1_auth_method(cc->own[0].key) : 0; /* credentials.c: all alike */
}

static const char *method_name(uint16_t m)
{
	return m == V1_AUTH_RSA_SIG ? "RSA" : "ECDSA";
}

/* The signature method phase 1 negotiated (XAuth's RSA counts as RSA). */
static uint16_t negotiated(const struct v1_sa *sa)
{
	uint64_t m = 0;
	v1_attr(&sa->chosen.attrs, P1_AUTH, &m);
	return m == V1_AUTH_XAUTH_INIT_RSA ? V1_AUTH_RSA_SIG : (uint16_t)m;
}

void v1_sig_add_cr(struct v1_sa *sa, struct ike_builder *b)
{
	const struct conn_credentials *cc = creds_of(sa);
	if (sa->conn->remote.auth != AUTH_PUBKEY || !sa->conn->send_certreq || cc == NULL || cc->cacerts == NULL)
		return;
	for (int i = 0; i < sk_X509_num(cc->cacerts); i++) {
		unsigned char *der = NULL;
		int len = i2d_X509_NAME(X509_get_subject_name(sk_X509_value(cc->cacerts, i)), &der);
		if (len > 0)
			cert_add(b, ISA_CR, CERT_X509_SIGNATURE, der, (size_t)len);
		OPENSSL_free(der);
	}
}

/* Our certificate and ID, by the CAs the peer's CRs in m name (m NULL: none seen). */
static bool choose_own(struct v1_sa *sa, const struct isakmp_message *m, struct ike_id *id)
{
	struct cert_request req = { 0 };
	for (int i = 0; m && i < m->n && req.n_dn < CRED_MAX_REQ; i++) {
		uint8_t enc;
		const uint8_t *dn;
		size_t len;
		if (m->pl[i].type == ISA_CR && cert_parse(&m->pl[i], &enc, &dn, &len) && enc == CERT_X509_SIGNATURE &&
		    len > 0) {
			req.dn[req.n_dn] = dn;
			req.dn_len[req.n_dn++] = len;
		}
	}
	sa->own = cred_own_identity(sa->d->v2->creds, creds_of(sa), sa->conn->local.id, &req, id);
	return sa->own != NULL;
}

void v1_sig_take_cr(struct v1_sa *sa, const struct isakmp_message *m)
{
	struct ike_id id;
	if (isakmp_find(m, ISA_CR) == NULL)
		return;
	sa->peer_cr = true;
	if (sa->conn->local.auth == AUTH_PUBKEY)
		choose_own(sa, m, &id);
}

bool v1_sig_identity(struct v1_sa *sa, struct ike_id *id)
{
	if (sa->own == NULL)
		return choose_own(sa, NULL, id);
	return cred_identity_for(sa->own, sa->conn->local.id, id);
}

bool v1_sig_add(struct v1_sa *sa, struct ike_builder *b, bool of_initiator)
{
	uint8_t hash[64], sig[SIG_MAX_LEN];
	size_t n, len;
	if (sa->own == NULL || sig_v1_auth_method(sa->own->key) != negotiated(sa) ||
	    !p1_auth_hash(sa, of_initiator, hash, &len) || !sig_v1_sign(sa->own->key, hash, len, sig, &n)) {
		LOG_ERR("%s: IKEv1 signature not made (no certificate whose key fits the method negotiated)", sa->conn->name);
		return false;
	}
	enum cfg_send_cert when = sa->conn->send_cert;
	if (when == CFG_SEND_CERT_ALWAYS || (when == CFG_SEND_CERT_IFASKED && sa->peer_cr))
		cred_add_cert_payloads(b, ISA_CERT, creds_of(sa), sa->own->cert);
	ike_payload_begin(b, ISA_SIG);
	wire_put_bytes(&b->w, sig, n);
	ike_payload_end(b);
	return true;
}

static const char *check_signature(struct v1_sa *sa, const struct isakmp_message *m, bool of_initiator, X509 *leaf)
{
	const struct ike_payload *sp = isakmp_find(m, ISA_SIG);
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	uint8_t hash[64];
	if (sp == NULL)
		return "no SIG payload";
	if (key == NULL || sig_v1_auth_method(key) != negotiated(sa))
		return "the certificate's key does not fit the signature method negotiated";
	size_t len;
	if (!p1_auth_hash(sa, of_initiator, hash, &len) || !sig_v1_verify(key, hash, len, sp->body, sp->len))
		return "bad signature";
	return NULL;
}

bool v1_sig_verify(struct v1_sa *sa, const struct isakmp_message *m, bool of_initiator)
{
	const char *why;
	char who[256], subject[256] = "";
	X509 *leaf = cred_peer_cert(creds_of(sa), m->pl, m->n, ISA_CERT, &sa->id_remote, &why);
	identity_to_string(&sa->id_remote, who, sizeof(who));
	if (leaf)
		cred_subject_text(leaf, subject, sizeof(subject));
	if (why == NULL)
		why = check_signature(sa, m, of_initiator, leaf);
	if (why) {
		LOG_WARN_LIMITED("%s: IKEv1 authentication of '%s' failed: %s%s%s", sa->conn->name, who, why,
				 subject[0] ? ", certificate " : "", subject);
		sa->d->stats.auth_failures++;
	} else {
		snprintf(sa->peer_cert, sizeof(sa->peer_cert), "%s", subject);
		LOG_INFO("%s: '%s' authenticated with certificate '%s' (IKEv1 %s Mode, %s signature)", sa->conn->name,
			 who, subject, sa->aggressive ? "Aggressive" : "Main", method_name(negotiated(sa)));
	}
	X509_free(leaf);
	return why == NULL;
}
