/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 public-key authentication: CERT and CERTREQ payloads (RFC 7296 3.6, 3.7), signature
 * AUTH methods 1, 9-11 (RFC 4754) and 14 (RFC 7427, RFC 8420), SIGNATURE_HASH_ALGORITHMS.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike/cert.h"
#include "ike/identity.h"
#include "ike/signature.h"
#include "ike_sa.h"
#include "lib/log.h"

#define MAX_ALG_ID 128

static const struct conn_credentials *creds_of(const struct ike_sa *sa)
{
	return sa->conn->creds;
}

/* ---- SIGNATURE_HASH_ALGORITHMS (RFC 7427 4) ---- */

void pubkey_add_sig_hashes(struct ike_builder *b)
{
	uint8_t list[2 * 4];
	int n = 0;
	for (uint16_t h = SIG_HASH_SHA1; h <= SIG_HASH_IDENTITY; h++)
		if (SIG_HASHES_OURS & SIG_HASH_BIT(h)) {
			list[n++] = (uint8_t)(h >> 8);
			list[n++] = (uint8_t)h;
		}
	notify_add(b, 0, NULL, 0, N_SIGNATURE_HASH_ALGORITHMS, list, (size_t)n);
}

void pubkey_take_sig_hashes(struct ike_sa *sa, const struct ike_message *msg)
{
	const struct ike_payload *p = ike_find_notify(msg, N_SIGNATURE_HASH_ALGORITHMS);
	struct ike_notify n;
	sa->peer_sig_hashes = 0;
	if (p == NULL || !notify_parse(p, &n))
		return;
	for (uint16_t i = 0; i + 1 < n.data_len; i += 2) {
		uint16_t h = (uint16_t)(n.data[i] << 8 | n.data[i + 1]);
		if (h <= SIG_HASH_IDENTITY)
			sa->peer_sig_hashes |= SIG_HASH_BIT(h);
	}
}

/* ---- certificate requests ---- */

void pubkey_add_certreq(struct ike_sa *sa, struct ike_builder *b)
{
	const struct conn_credentials *cc = creds_of(sa);
	uint8_t hashes[IKE_MAX_CERTREQ * 20];
	size_t n = 0;
	if (sa->conn->remote.auth != AUTH_PUBKEY || !sa->conn->send_certreq || cc == NULL || cc->cacerts == NULL)
		return;
	for (int i = 0; i < sk_X509_num(cc->cacerts) && n < sizeof(hashes); i++)
		if (cred_spki_sha1(sk_X509_value(cc->cacerts, i), hashes + n))
			n += 20;
	if (n)
		cert_add(b, PL_CERTREQ, CERT_X509_SIGNATURE, hashes, n);
}

/* The X.509 CERTREQs of a message, as the hashes they list. */
static void certreq_of(const struct ike_message *msg, struct cert_request *req)
{
	memset(req, 0, sizeof(*req));
	for (int i = 0; i < msg->n; i++) {
		uint8_t enc;
		const uint8_t *data;
		size_t len;
		if (msg->pl[i].type != PL_CERTREQ || !cert_parse(&msg->pl[i], &enc, &data, &len) ||
		    enc != CERT_X509_SIGNATURE)
			continue;
		for (size_t off = 0; off + 20 <= len && req->n_hash < CRED_MAX_REQ; off += 20)
			req->hash[req->n_hash++] = data + off;
	}
}

void pubkey_keep_certreq(struct ike_sa *sa, const struct ike_message *msg)
{
	struct cert_request req;
	certreq_of(msg, &req);
	sa->peer_certreq = ike_find(msg, PL_CERTREQ) != NULL;
	ike_sa_forget_certreq(sa);
	int n = req.n_hash < IKE_MAX_CERTREQ ? req.n_hash : IKE_MAX_CERTREQ;
	sa->certreq = n ? malloc((size_t)n * sizeof(*sa->certreq)) : NULL; /* without it, any certificate of ours */
	for (int i = 0; sa->certreq && i < n; i++)
		memcpy(sa->certreq[sa->n_certreq++], req.hash[i], 20);
}

/* ---- our certificate ---- */

bool pubkey_choose_own(struct ike_sa *sa, const struct ike_message *peer_msg, struct ike_id *id)
{
	struct cert_request req = { 0 };
	if (peer_msg) {
		certreq_of(peer_msg, &req);
		sa->peer_certreq = ike_find(peer_msg, PL_CERTREQ) != NULL;
	}
	for (int i = 0; !peer_msg && i < sa->n_certreq; i++)
		req.hash[req.n_hash++] = sa->certreq[i];
	sa->own = cred_own_identity(sa->d->creds, creds_of(sa), sa->conn->local.id, &req, id);
	if (sa->own == NULL)
		LOG_ERR("%s: no certificate of ours to authenticate with", sa->conn->name);
	return sa->own != NULL;
}

void pubkey_add_certs(struct ike_sa *sa, struct ike_builder *b)
{
	const struct conn_credentials *cc = creds_of(sa);
	enum cfg_send_cert when = sa->conn->send_cert;
	if (sa->own && cc && (when == CFG_SEND_CERT_ALWAYS || (when == CFG_SEND_CERT_IFASKED && sa->peer_certreq)))
		cred_add_cert_payloads(b, PL_CERT, cc, sa->own->cert);
}

/* ---- signatures ---- */

/* A hash the peer announced, preferring want. */
static enum sig_hash agreed_hash(const struct ike_sa *sa, enum sig_hash want)
{
	static const enum sig_hash order[] = { SIG_HASH_SHA256, SIG_HASH_SHA384, SIG_HASH_SHA512 };
	if (sa->peer_sig_hashes & SIG_HASH_BIT(want))
		return want;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (sa->peer_sig_hashes & SIG_HASH_BIT(order[i]))
			return order[i];
	return want;
}

/*
 * RFC 7427 when the peer announced it (always for EdDSA, which has no other method); else the
 * classic methods: RSA PKCS#1 v1.5 with SHA-1 (1), ECDSA with the curve's hash (9-11).
 */
static bool choose_scheme(const struct ike_sa *sa, EVP_PKEY *key, uint8_t *method, struct sig_scheme *s)
{
	const struct cfg_auth *a = &sa->conn->local;
	enum sig_kind kind;
	if (!sig_kind_of_key(key, &kind))
		return false;
	if (kind == SIG_RSA_PKCS1 && a->rsa_pss)
		kind = SIG_RSA_PSS;
	bool rfc7427 = sa->peer_sig_hashes != 0 || kind == SIG_EDDSA;
	*s = (struct sig_scheme){ .kind = kind };
	if (kind == SIG_EDDSA) {
		s->hash = SIG_HASH_IDENTITY;
	} else if (rfc7427) {
		enum sig_hash dflt = kind == SIG_ECDSA ? sig_ecdsa_curve_hash(key) : SIG_HASH_SHA256;
		s->hash = agreed_hash(sa, a->sig_hash ? (enum sig_hash)a->sig_hash : dflt);
	} else if (kind == SIG_RSA_PKCS1) {
		s->hash = SIG_HASH_SHA1;
	} else if (kind == SIG_ECDSA) {
		s->hash = sig_ecdsa_curve_hash(key);
		s->ecdsa_raw = true;
	} else {
		return false; /* RSASSA-PSS exists only in RFC 7427 */
	}
	if (rfc7427)
		*method = AUTH_DIGITAL_SIGNATURE;
	else if (kind == SIG_RSA_PKCS1)
		*method = AUTH_RSA_SIG;
	else
		*method = (uint8_t)(AUTH_ECDSA_256 + (s->hash - SIG_HASH_SHA256));
	return true;
}

bool pubkey_add_auth(struct ike_sa *sa, struct ike_builder *b, bool of_initiator)
{
	uint8_t method, auth[1 + MAX_ALG_ID + SIG_MAX_LEN];
	struct sig_scheme s;
	size_t octets_len = 0, alg_len = MAX_ALG_ID, sig_len = 0, off = 0;
	EVP_PKEY *key = sa->own ? sa->own->key : NULL;
	if (key == NULL || !choose_scheme(sa, key, &method, &s)) {
		LOG_ERR("%s: no signature scheme for our key that the peer can verify (RSASSA-PSS needs RFC 7427)",
			sa->conn->name);
		return false;
	}
	if (method == AUTH_DIGITAL_SIGNATURE) {
		if (!sig_algorithm_id(key, &s, auth + 1, &alg_len) || alg_len > 255)
			return false;
		auth[0] = (uint8_t)alg_len;
		off = 1 + alg_len;
	}
	uint8_t *octets = ike_auth_octets(sa, of_initiator, &sa->id_local, &octets_len);
	bool ok = octets && sig_sign(key, &s, octets, octets_len, auth + off, &sig_len);
	OPENSSL_clear_free(octets, octets_len);
	if (!ok) {
		LOG_ERR("%s: signing AUTH failed", sa->conn->name);
		return false;
	}
	auth_add(b, method, auth, off + sig_len);
	return true;
}

/* The scheme of a peer's AUTH payload; the signature in sig. */
static bool peer_scheme(EVP_PKEY *key, uint8_t method, const uint8_t *data, size_t len, struct sig_scheme *s,
			const uint8_t **sig, size_t *sig_len)
{
	*sig = data;
	*sig_len = len;
	switch (method) {
	case AUTH_RSA_SIG: *s = (struct sig_scheme){ .kind = SIG_RSA_PKCS1, .hash = SIG_HASH_SHA1 }; return true;
	case AUTH_ECDSA_256:
	case AUTH_ECDSA_384:
	case AUTH_ECDSA_521:
		*s = (struct sig_scheme){ .kind = SIG_ECDSA, .hash = (enum sig_hash)(SIG_HASH_SHA256 + method - AUTH_ECDSA_256),
					  .ecdsa_raw = true };
		return sig_ecdsa_curve_hash(key) == s->hash; /* the method names the curve */
	case AUTH_DIGITAL_SIGNATURE:
		if (len < 1 || len < 1u + data[0] || !sig_scheme_from_algorithm_id(data + 1, data[0], s))
			return false;
		*sig = data + 1 + data[0];
		*sig_len = len - 1 - data[0];
		return (SIG_HASHES_OURS & SIG_HASH_BIT(s->hash)) != 0;
	default: return false;
	}
}

/* remote auth = "rsa", "rsa/pss", "ecdsa", "ed25519": what the peer must have used. */
static bool scheme_allowed(const struct cfg_auth *a, const struct sig_scheme *s)
{
	switch (a->key_type) {
	case AUTH_KEY_RSA: return s->kind == SIG_RSA_PSS || (!a->rsa_pss && s->kind == SIG_RSA_PKCS1);
	case AUTH_KEY_ECDSA: return s->kind == SIG_ECDSA;
	case AUTH_KEY_ED25519: return s->kind == SIG_EDDSA;
	default: return true;
	}
}

static const char *check_signature(struct ike_sa *sa, const struct ike_message *msg, bool of_initiator, X509 *leaf,
				   char *scheme, size_t scheme_len)
{
	const struct ike_payload *ap = ike_find(msg, PL_AUTH);
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	uint8_t method;
	const uint8_t *data, *sig;
	size_t len, sig_len, octets_len = 0;
	struct sig_scheme s;
	if (ap == NULL || !auth_parse(ap, &method, &data, &len))
		return "no AUTH payload";
	if (method == AUTH_SHARED_KEY_MIC || key == NULL || !peer_scheme(key, method, data, len, &s, &sig, &sig_len))
		return "AUTH method or signature algorithm not accepted";
	sig_scheme_name(&s, scheme, scheme_len);
	if (!scheme_allowed(&sa->conn->remote, &s))
		return "signature scheme not allowed by remote auth";
	uint8_t *octets = ike_auth_octets(sa, of_initiator, &sa->id_remote, &octets_len);
	bool ok = octets && sig_verify(key, &s, octets, octets_len, sig, sig_len);
	OPENSSL_clear_free(octets, octets_len);
	return ok ? NULL : "bad signature";
}

bool pubkey_verify(struct ike_sa *sa, const struct ike_message *msg, bool of_initiator)
{
	const char *why;
	char who[256], subject[256] = "", how[64] = "";
	X509 *leaf = cred_peer_cert(creds_of(sa), msg->pl, msg->n, PL_CERT, &sa->id_remote, &why);
	identity_to_string(&sa->id_remote, who, sizeof(who));
	if (leaf)
		cred_subject_text(leaf, subject, sizeof(subject));
	if (why == NULL)
		why = check_signature(sa, msg, of_initiator, leaf, how, sizeof(how));
	if (why) {
		LOG_WARN_LIMITED("%s: authentication of '%s' failed: %s%s%s", sa->conn->name, who, why,
				 subject[0] ? ", certificate " : "", subject);
		sa->d->stats.auth_failures++;
	} else {
		free(sa->peer_cert);
		sa->peer_cert = strdup(subject); /* for list-sas only: none when out of memory */
		LOG_INFO("%s: '%s' authenticated with certificate '%s' (%s)", sa->conn->name, who, subject, how);
	}
	X509_free(leaf);
	return why == NULL;
}
