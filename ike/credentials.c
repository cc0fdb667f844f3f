/* SPDX-License-Identifier: BSD-3-Clause */
#include "cert.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <sys/stat.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/log.h"
#include "lib/strbuf.h"
#include "signature.h"
#include "v1/isakmp.h"

const char *cert_verdict_name(enum cert_verdict v)
{
	static const char *const names[] = {
		[CERT_OK] = "valid",
		[CERT_UNKNOWN_CA] = "unknown CA",
		[CERT_EXPIRED] = "expired",
		[CERT_NOT_YET_VALID] = "not yet valid",
		[CERT_REVOKED] = "revoked",
		[CERT_BAD_KEY_USAGE] = "key usage does not allow signing",
		[CERT_ID_MISMATCH] = "ID does not match the certificate",
		[CERT_INVALID] = "invalid certificate",
	};
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

/* ---- files ---- */

/* PEM first, then DER, from one read of the file. */
static void *read_pem_or_der(const char *path, void *(*pem)(BIO *), void *(*der)(BIO *))
{
	BIO *b = BIO_new_file(path, "rb");
	if (b == NULL)
		return NULL;
	void *obj = pem(b);
	if (obj == NULL && BIO_reset(b) == 0)
		obj = der(b);
	BIO_free(b);
	ERR_clear_error();
	return obj;
}

static void *pem_cert(BIO *b) { return PEM_read_bio_X509(b, NULL, NULL, NULL); }
static void *der_cert(BIO *b) { return d2i_X509_bio(b, NULL); }
/* A daemon must not stop at start-up to ask a terminal for a passphrase: encrypted keys fail to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static void *pem_key(BIO *b) { return PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL); }
static void *der_key(BIO *b) { return d2i_PrivateKey_bio(b, NULL); }
static void *pem_crl(BIO *b) { return PEM_read_bio_X509_CRL(b, NULL, NULL, NULL); }
static void *der_crl(BIO *b) { return d2i_X509_CRL_bio(b, NULL); }

X509 *cred_read_cert(const char *path)
{
	return read_pem_or_der(path, pem_cert, der_cert);
}

EVP_PKEY *cred_read_key(const char *path)
{
	return read_pem_or_der(path, pem_key, der_key);
}

X509_CRL *cred_read_crl(const char *path)
{
	return read_pem_or_der(path, pem_crl, der_crl);
}

/* ---- loading a configuration's credentials ---- */

struct loader {
	const struct dpike_config *cfg;
	char dir[256];
	char *err;
	size_t err_len;
	EVP_PKEY **keys; /* from secrets of type "private", then the key folders */
	int n_keys;
	STACK_OF(X509_CRL) *crls;
};

__attribute__((format(printf, 3, 4))) static int fail(struct loader *l, int line, const char *fmt, ...)
{
	int n = line > 0 ? snprintf(l->err, l->err_len, "%s:%d: ", l->cfg->path, line)
			 : snprintf(l->err, l->err_len, "%s: ", l->cfg->path);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < l->err_len)
		vsnprintf(l->err + n, l->err_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void resolve(const struct loader *l, const char *name, char *out, size_t len)
{
	if (name[0] == '/')
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%s/%s", l->dir, name);
}

static int add_key(struct loader *l, const char *path, int line)
{
	EVP_PKEY *k = cred_read_key(path);
	if (k == NULL)
		return fail(l, line, "private key '%s': missing, unreadable, encrypted or not a key (PEM or DER, RSA, ECDSA or Ed25519)", path);
	EVP_PKEY **grown = realloc(l->keys, (size_t)(l->n_keys + 1) * sizeof(*grown));
	if (grown == NULL) {
		EVP_PKEY_free(k);
		return fail(l, line, "out of memory");
	}
	l->keys = grown;
	l->keys[l->n_keys++] = k;
	return 0;
}

/* As swanctl does, every file in the key folders beside the configuration is a private key. */
static int load_key_dirs(struct loader *l)
{
	static const char *const dirs[] = { "private", "rsa", "ecdsa", "pkcs8" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char dir[400], path[700];
		snprintf(dir, sizeof(dir), "%s/%s", l->dir, dirs[i]);
		DIR *d = opendir(dir);
		for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			if (add_key(l, path, 0) < 0) {
				closedir(d);
				return -1;
			}
		}
		if (d)
			closedir(d);
	}
	return 0;
}

static int load_keys(struct loader *l)
{
	for (int i = 0; i < l->cfg->n_secrets; i++) {
		const struct cfg_secret *s = &l->cfg->secrets[i];
		char path[600];
		if (s->type != SECRET_PRIVATE)
			continue;
		resolve(l, s->file, path, sizeof(path));
		if (add_key(l, path, s->line) < 0)
			return -1;
	}
	return load_key_dirs(l);
}

static int load_crls(struct loader *l)
{
	l->crls = sk_X509_CRL_new_null();
	for (int i = 0; l->crls && i < l->cfg->n_crls; i++) {
		char path[600];
		resolve(l, l->cfg->crls[i], path, sizeof(path));
		X509_CRL *crl = cred_read_crl(path);
		if (crl == NULL)
			return fail(l, l->cfg->crls_line, "CRL '%s': missing or unreadable", path);
		sk_X509_CRL_push(l->crls, crl);
	}
	return l->crls ? 0 : fail(l, 0, "out of memory");
}

/* Our certificate must be usable now: a gateway that starts with an expired one cannot authenticate. */
static int check_validity(struct loader *l, const struct cfg_auth *a, X509 *cert, const char *path)
{
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0)
		return fail(l, a->line, "certificate '%s' has expired", path);
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0)
		return fail(l, a->line, "certificate '%s' is not valid yet", path);
	return 0;
}

/* The private key under secrets that matches cert (an extra reference), or NULL. */
static EVP_PKEY *key_for(const struct loader *l, X509 *cert)
{
	EVP_PKEY *found = NULL;
	for (int i = 0; i < l->n_keys && found == NULL; i++)
		if (X509_check_private_key(cert, l->keys[i]) == 1 && EVP_PKEY_up_ref(l->keys[i]))
			found = l->keys[i];
	ERR_clear_error();
	return found;
}

/*
 * IKEv1 negotiates one signature method in phase 1, by the key (RSA, or ECDSA on one of RFC 4754's
 * curves), so a connection's certificates must agree; and XAuth has methods for RSA only.
 */
static int check_v1_key(struct loader *l, const struct cfg_connection *c, const struct conn_credentials *cc,
			EVP_PKEY *key, const char *path)
{
	const struct cfg_auth *a = &c->local;
	uint16_t m = sig_v1_auth_method(key);
	if (m == 0)
		return fail(l, a->line, "certificate '%s': IKEv1 (version = 1) signs with RSA keys or ECDSA keys on P-256, P-384 or P-521", path);
	if (m != sig_v1_auth_method(cc->own[0].key))
		return fail(l, a->line, "certificate '%s': IKEv1 negotiates one signature method, so the certificates of connection '%s' must all be RSA, or ECDSA on one curve", path, c->name);
	if (m != V1_AUTH_RSA_SIG && (c->xauth_local || c->xauth_remote))
		return fail(l, a->line, "certificate '%s': IKEv1 XAuth has phase 1 methods for RSA signatures and PSKs only", path);
	return 0;
}

/* The first certificate is ours; a later one is an intermediate when it is a CA's, else another candidate. */
static int add_own(struct loader *l, const struct cfg_connection *c, struct conn_credentials *cc, X509 *x, bool first,
		   const char *path)
{
	const struct cfg_auth *a = &c->local;
	if (!first && X509_check_ca(x) != 0) {
		sk_X509_push(cc->chain, x);
		return 0;
	}
	struct own_cert *o = &cc->own[cc->n_own++];
	o->cert = x;
	if (check_validity(l, a, x, path) < 0)
		return -1;
	if ((o->key = key_for(l, x)) == NULL)
		return fail(l, a->line, "no private key under secrets or in the key folders matches certificate '%s' of connection '%s'", path,
			    c->name);
	return c->version == 1 ? check_v1_key(l, c, cc, o->key, path) : 0;
}

static int load_own(struct loader *l, const struct cfg_connection *c, struct conn_credentials *cc)
{
	const struct cfg_auth *a = &c->local;
	cc->chain = sk_X509_new_null();
	if (cc->chain == NULL)
		return fail(l, a->line, "out of memory");
	for (int i = 0; i < a->n_certs && i < CRED_MAX_OWN; i++) {
		char path[600];
		resolve(l, a->certs[i], path, sizeof(path));
		X509 *x = cred_read_cert(path);
		if (x == NULL)
			return fail(l, a->line, "certificate '%s': missing, unreadable or not X.509", path);
		if (add_own(l, c, cc, x, i == 0, path) < 0)
			return -1;
	}
	return 0;
}

/*
 * Revocation is checked wherever a CA has a CRL configured, at every level of the chain; a CA
 * without one is not a reason to refuse (strongSwan's default, best-effort policy).
 */
static int crl_best_effort(int ok, X509_STORE_CTX *ctx)
{
	return ok || X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNABLE_TO_GET_CRL;
}

/* remote certs (swanctl's): the peer's own certificates, to pin it to them and to use when it sends none. */
static int load_peer_certs(struct loader *l, const struct cfg_connection *c, struct conn_credentials *cc)
{
	const struct cfg_auth *a = &c->remote;
	if (a->n_certs == 0)
		return 0;
	cc->peer_certs = sk_X509_new_null();
	if (cc->peer_certs == NULL)
		return fail(l, a->line, "out of memory");
	for (int i = 0; i < a->n_certs; i++) {
		char path[600];
		resolve(l, a->certs[i], path, sizeof(path));
		X509 *x = cred_read_cert(path);
		if (x == NULL)
			return fail(l, a->line, "remote certificate '%s': missing, unreadable or not X.509", path);
		if (!sk_X509_push(cc->peer_certs, x)) {
			X509_free(x);
			return fail(l, a->line, "out of memory");
		}
	}
	return 0;
}

static int load_trust(struct loader *l, const struct cfg_connection *c, struct conn_credentials *cc)
{
	const struct cfg_auth *a = &c->remote;
	cc->trust = X509_STORE_new();
	cc->cacerts = sk_X509_new_null();
	if (cc->trust == NULL || cc->cacerts == NULL)
		return fail(l, a->line, "out of memory");
	for (int i = 0; i < a->n_cacerts; i++) {
		char path[600];
		resolve(l, a->cacerts[i], path, sizeof(path));
		X509 *x = cred_read_cert(path);
		if (x == NULL)
			return fail(l, a->line, "CA certificate '%s': missing, unreadable or not X.509", path);
		X509_STORE_add_cert(cc->trust, x);
		sk_X509_push(cc->cacerts, x);
	}
	if (load_peer_certs(l, c, cc) < 0)
		return -1;
	for (int i = 0; i < sk_X509_CRL_num(l->crls); i++)
		X509_STORE_add_crl(cc->trust, sk_X509_CRL_value(l->crls, i));
	if (sk_X509_CRL_num(l->crls) > 0) {
		X509_STORE_set_flags(cc->trust, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
		X509_STORE_set_verify_cb(cc->trust, crl_best_effort);
	}
	return 0;
}

static void free_loader(struct loader *l)
{
	for (int i = 0; i < l->n_keys; i++)
		EVP_PKEY_free(l->keys[i]);
	free(l->keys);
	sk_X509_CRL_pop_free(l->crls, X509_CRL_free);
}

struct credentials *credentials_load(struct dpike_config *cfg, char *err, size_t err_len)
{
	struct loader l = { .cfg = cfg, .err = err, .err_len = err_len };
	char path[sizeof(cfg->path)];
	snprintf(path, sizeof(path), "%s", cfg->path);
	snprintf(l.dir, sizeof(l.dir), "%s", dirname(path));
	struct credentials *c = calloc(1, sizeof(*c));
	if (c)
		c->conn = calloc((size_t)cfg->n_connections + 1, sizeof(*c->conn));
	int rc = c && c->conn ? 0 : -1;
	if (rc == 0)
		rc = load_keys(&l) < 0 || load_crls(&l) < 0 ? -1 : 0;
	for (int i = 0; rc == 0 && i < cfg->n_connections; i++) {
		struct cfg_connection *cn = cfg->connections[i];
		c->n_conn++;
		cn->creds = &c->conn[i];
		cn->creds_set = c;
		if ((cn->local.auth == AUTH_PUBKEY && load_own(&l, cn, &c->conn[i]) < 0) ||
		    (cn->remote.auth == AUTH_PUBKEY && load_trust(&l, cn, &c->conn[i]) < 0))
			rc = -1;
	}
	free_loader(&l);
	if (rc < 0) {
		if (c == NULL || c->conn == NULL)
			snprintf(err, err_len, "%s: out of memory loading credentials", cfg->path);
		for (int i = 0; c && i < c->n_conn; i++) {
			cfg->connections[i]->creds = NULL;
			cfg->connections[i]->creds_set = NULL;
		}
		credentials_free(c);
		return NULL;
	}
	c->users = (unsigned)c->n_conn + 1;
	return c;
}

static bool same_certs(STACK_OF(X509) *a, STACK_OF(X509) *b)
{
	int n = a ? sk_X509_num(a) : 0;
	if (n != (b ? sk_X509_num(b) : 0))
		return false;
	for (int i = 0; i < n; i++)
		if (X509_cmp(sk_X509_value(a, i), sk_X509_value(b, i)) != 0)
			return false;
	return true;
}

static int count_crls(STACK_OF(X509_OBJECT) *objs)
{
	int n = 0;
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++)
		n += X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_CRL;
	return n;
}

static bool holds_crl(STACK_OF(X509_OBJECT) *objs, X509_CRL *crl)
{
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509_CRL *other = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(objs, i));
		if (other && X509_CRL_match(crl, other) == 0)
			return true;
	}
	return false;
}

/* The CRLs in two trust stores, whatever their order (a store sorts by issuer). */
static bool same_crls(X509_STORE *a, X509_STORE *b)
{
	STACK_OF(X509_OBJECT) *oa = a ? X509_STORE_get0_objects(a) : NULL, *ob = b ? X509_STORE_get0_objects(b) : NULL;
	if (count_crls(oa) != count_crls(ob))
		return false;
	for (int i = 0; i < sk_X509_OBJECT_num(oa); i++) {
		X509_CRL *crl = X509_OBJECT_get0_X509_CRL(sk_X509_OBJECT_value(oa, i));
		if (crl && !holds_crl(ob, crl))
			return false;
	}
	return true;
}

bool credentials_same(const struct cfg_connection *a, const struct cfg_connection *b)
{
	static const struct conn_credentials none;
	const struct conn_credentials *x = a->creds ? a->creds : &none, *y = b->creds ? b->creds : &none;
	if (x->n_own != y->n_own)
		return false;
	for (int i = 0; i < x->n_own; i++)
		if (X509_cmp(x->own[i].cert, y->own[i].cert) != 0 || EVP_PKEY_eq(x->own[i].key, y->own[i].key) != 1)
			return false;
	return same_certs(x->chain, y->chain) && same_certs(x->cacerts, y->cacerts) &&
	       same_certs(x->peer_certs, y->peer_certs);
}

/* The record behind c->creds, owned (and so changeable) by its set. */
static struct conn_credentials *creds_of(const struct cfg_connection *c)
{
	return c->creds && c->creds_set ? &c->creds_set->conn[c->creds - c->creds_set->conn] : NULL;
}

bool credentials_take_crls(const struct cfg_connection *running, const struct cfg_connection *file)
{
	struct conn_credentials *r = creds_of(running), *f = creds_of(file);
	if (r == NULL || f == NULL || same_crls(r->trust, f->trust))
		return false;
	X509_STORE *t = r->trust; /* the same CAs (credentials_same), the file's CRLs */
	r->trust = f->trust;
	f->trust = t; /* goes with the file's set */
	return true;
}

void credentials_put(struct credentials *c)
{
	if (c && --c->users == 0)
		credentials_free(c);
}

void credentials_free(struct credentials *c)
{
	if (c == NULL)
		return;
	for (int i = 0; c->conn && i < c->n_conn; i++) {
		struct conn_credentials *cc = &c->conn[i];
		for (int k = 0; k < cc->n_own; k++) {
			X509_free(cc->own[k].cert);
			EVP_PKEY_free(cc->own[k].key); /* OpenSSL cleanses private key material when it frees it */
		}
		sk_X509_pop_free(cc->chain, X509_free);
		X509_STORE_free(cc->trust);
		sk_X509_pop_free(cc->cacerts, X509_free);
		sk_X509_pop_free(cc->peer_certs, X509_free);
	}
	free(c->conn);
	free(c);
}

/* ---- peers' certificates ---- */

static enum cert_verdict verdict_of(int e)
{
	switch (e) {
	case X509_V_OK: return CERT_OK;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CRL_HAS_EXPIRED: return CERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID: return CERT_NOT_YET_VALID;
	case X509_V_ERR_CERT_REVOKED: return CERT_REVOKED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return CERT_UNKNOWN_CA;
	case X509_V_ERR_INVALID_PURPOSE:
	case X509_V_ERR_KEYUSAGE_NO_CERTSIGN: return CERT_BAD_KEY_USAGE;
	default: return CERT_INVALID;
	}
}

/* An end-entity certificate that restricts key usage must allow signatures (RFC 4945 5.1.3.2). */
static bool may_sign(X509 *cert)
{
	uint32_t ku = X509_get_key_usage(cert);
	return ku == UINT32_MAX || (ku & (X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_NON_REPUDIATION)) != 0;
}

enum cert_verdict cred_verify_peer(X509_STORE *trust, X509 *leaf, STACK_OF(X509) *untrusted, const struct ike_id *id)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (ctx == NULL || trust == NULL || X509_STORE_CTX_init(ctx, trust, leaf, untrusted) != 1) {
		X509_STORE_CTX_free(ctx);
		return CERT_INVALID;
	}
	int ok = X509_verify_cert(ctx);
	enum cert_verdict v = ok == 1 ? CERT_OK : verdict_of(X509_STORE_CTX_get_error(ctx));
	if (ok != 1 && v == CERT_OK)
		v = CERT_INVALID;
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	if (v == CERT_OK && !may_sign(leaf))
		v = CERT_BAD_KEY_USAGE;
	if (v == CERT_OK && !cred_cert_names_id(leaf, id))
		v = CERT_ID_MISMATCH;
	return v;
}

static bool san_has(X509 *cert, int type, const uint8_t *data, size_t len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	bool found = false;
	for (int i = 0; names && !found && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		int t;
		const ASN1_STRING *s = GENERAL_NAME_get0_value(g, &t);
		if (t != type || s == NULL || (size_t)ASN1_STRING_length(s) != len)
			continue;
		found = type == GEN_IPADD ? memcmp(ASN1_STRING_get0_data(s), data, len) == 0
					  : OPENSSL_strncasecmp((const char *)ASN1_STRING_get0_data(s), (const char *)data,
								len) == 0;
	}
	GENERAL_NAMES_free(names);
	return found;
}

static bool subject_is(X509 *cert, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)len);
	bool same = n && p == der + len && X509_NAME_cmp(n, X509_get_subject_name(cert)) == 0;
	X509_NAME_free(n);
	return same;
}

bool cred_cert_names_id(X509 *cert, const struct ike_id *id)
{
	switch (id->type) {
	case ID_IPV4_ADDR: return id->len == 4 && san_has(cert, GEN_IPADD, id->data, 4);
	case ID_FQDN: return san_has(cert, GEN_DNS, id->data, id->len);
	case ID_RFC822_ADDR: return san_has(cert, GEN_EMAIL, id->data, id->len);
	case ID_DER_ASN1_DN: return subject_is(cert, id->data, id->len);
	default: return false;
	}
}

bool cred_subject_id(X509 *cert, struct ike_id *id)
{
	X509_NAME *n = X509_get_subject_name(cert);
	int len = i2d_X509_NAME(n, NULL);
	if (len <= 0 || len > IKE_ID_MAX)
		return false;
	unsigned char *p = id->data;
	id->type = ID_DER_ASN1_DN;
	id->len = (uint16_t)i2d_X509_NAME(n, &p);
	return true;
}

X509 *cred_cert_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

bool cred_spki_sha1(X509 *cert, uint8_t out[20])
{
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	unsigned n = 0;
	bool ok = len > 0 && EVP_Digest(der, (size_t)len, out, &n, EVP_sha1(), NULL) == 1 && n == 20;
	OPENSSL_free(der);
	return ok;
}

/* ---- listing ---- */

static void name_text(const X509_NAME *n, char *out, size_t len);

static const char *key_type(EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA: return "RSA";
	case EVP_PKEY_RSA_PSS: return "RSA-PSS";
	case EVP_PKEY_EC: return "ECDSA";
	case EVP_PKEY_ED25519: return "Ed25519";
	case EVP_PKEY_ED448: return "Ed448";
	default: return "other";
	}
}

void cred_subject_text(X509 *cert, char *out, size_t len)
{
	name_text(X509_get_subject_name(cert), out, len);
}

static void name_text(const X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int got = b ? X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) : -1;
	int r = got >= 0 ? BIO_read(b, out, (int)len - 1) : 0;
	out[r > 0 ? r : 0] = '\0';
	BIO_free(b);
}

static void time_text(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;
	if (ASN1_TIME_to_tm(t, &tm) == 1)
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(out, len, "?");
}

/* In hex, as openssl x509 -serial and pki --print show it. */
static void serial_text(X509 *x, char *out, size_t len)
{
	BIGNUM *sn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = sn ? BN_bn2hex(sn) : NULL;
	snprintf(out, len, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(sn);
}

static void list_cert(X509 *x, const char *conn, const char *role, bool json, struct strbuf *o)
{
	char subject[512], issuer[512], from[32], to[32], serial[80];
	serial_text(x, serial, sizeof(serial));
	name_text(X509_get_subject_name(x), subject, sizeof(subject));
	name_text(X509_get_issuer_name(x), issuer, sizeof(issuer));
	time_text(X509_get0_notBefore(x), from, sizeof(from));
	time_text(X509_get0_notAfter(x), to, sizeof(to));
	EVP_PKEY *k = X509_get0_pubkey(x);
	const char *type = k ? key_type(k) : "?";
	int bits = k ? EVP_PKEY_get_bits(k) : 0;
	if (!json) {
		sb_printf(o, "%s (%s): %s\n  issuer %s\n  valid %s .. %s, %s %d bits, serial %s\n", conn, role, subject,
			  issuer, from, to, type, bits, serial);
		return;
	}
	sb_printf(o, "{\"connection\":");
	sb_json_str(o, conn);
	sb_printf(o, ",\"role\":\"%s\",\"subject\":", role);
	sb_json_str(o, subject);
	sb_printf(o, ",\"issuer\":");
	sb_json_str(o, issuer);
	sb_printf(o, ",\"serial\":\"%s\",\"not_before\":\"%s\",\"not_after\":\"%s\",\"key\":\"%s\",\"bits\":%d},", serial,
		  from, to, type, bits);
}

void credentials_list(const struct dpike_config *cfg, bool json, struct strbuf *o)
{
	if (json)
		sb_printf(o, "{\"certs\":[");
	for (int i = 0; i < cfg->n_connections; i++) {
		const struct conn_credentials *cc = cfg->connections[i]->creds;
		const char *name = cfg->connections[i]->name;
		if (cc == NULL)
			continue;
		for (int k = 0; k < cc->n_own; k++)
			list_cert(cc->own[k].cert, name, "own", json, o);
		for (int k = 0; cc->chain && k < sk_X509_num(cc->chain); k++)
			list_cert(sk_X509_value(cc->chain, k), name, "own chain", json, o);
		for (int k = 0; cc->cacerts && k < sk_X509_num(cc->cacerts); k++)
			list_cert(sk_X509_value(cc->cacerts, k), name, "trusted CA", json, o);
	}
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "]}\n");
	}
}
