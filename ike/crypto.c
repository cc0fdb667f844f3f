/* SPDX-License-Identifier: BSD-3-Clause */
#include "crypto.h"
#include "aes_mac.h"
#include "hmac.h"
#include "x25519.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

static const EVP_MD *prf_md(uint16_t prf)
{
	switch (prf) {
	case PRF_HMAC_MD5: return EVP_md5();
	case PRF_HMAC_SHA1: return EVP_sha1();
	case PRF_HMAC_SHA2_256: return EVP_sha256();
	case PRF_HMAC_SHA2_384: return EVP_sha384();
	case PRF_HMAC_SHA2_512: return EVP_sha512();
	default: return NULL;
	}
}

/* The PRFs made of an AES MAC; false for the HMACs. */
static bool prf_aes_mac(uint16_t prf, enum aes_mac *kind)
{
	*kind = prf == PRF_AES128_XCBC ? AES_MAC_XCBC : AES_MAC_CMAC;
	return prf == PRF_AES128_XCBC || prf == PRF_AES128_CMAC;
}

size_t prf_output_len(uint16_t prf)
{
	enum aes_mac kind;
	const EVP_MD *md = prf_md(prf);
	if (prf_aes_mac(prf, &kind))
		return AES_MAC_LEN;
	return md ? (size_t)EVP_MD_get_size(md) : 0;
}

size_t prf_nonce_part(uint16_t prf, size_t nonce_len)
{
	enum aes_mac kind;
	size_t half = AES_MAC_LEN / 2;
	return prf_aes_mac(prf, &kind) && nonce_len > half ? half : nonce_len;
}

/*
 * The provider's implementation of a digest, fetched once per thread: a legacy EVP_MD such as
 * EVP_sha256() is looked up by name (locks, string compares) on every init in OpenSSL 3.
 */
const EVP_MD *ike_md(const EVP_MD *md)
{
	static _Thread_local struct {
		const EVP_MD *legacy;
		EVP_MD *fetched;
	} cache[8];
	for (size_t i = 0; md != NULL && i < sizeof(cache) / sizeof(cache[0]); i++) {
		if (cache[i].legacy == md)
			return cache[i].fetched;
		if (cache[i].legacy != NULL)
			continue;
		EVP_MD *fetched = EVP_MD_fetch(NULL, EVP_MD_get0_name(md), NULL);
		if (fetched == NULL)
			return md;
		cache[i].legacy = md;
		cache[i].fetched = fetched;
		return fetched;
	}
	return md;
}

/* HMAC (RFC 2104); hmac.c says why not OpenSSL's. The key's states are wiped here. */
bool ike_hmac(const EVP_MD *md, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t *out,
	      size_t *out_len)
{
	struct hmac_key k;
	if (!hmac_key_set(&k, md, key, key_len))
		return false;
	hmac_key_mac(&k, data, len, out);
	if (out_len)
		*out_len = k.out_len;
	hmac_key_wipe(&k);
	return true;
}

bool prf_compute(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t *out)
{
	enum aes_mac kind;
	if (prf_aes_mac(prf, &kind))
		return aes_mac_prf(kind, key, key_len, data, len, out);
	return ike_hmac(prf_md(prf), key, key_len, data, len, out, NULL);
}

/* The key made ready once for the HMACs; the AES MACs take it on each call. */
struct prf_key {
	uint16_t prf;
	const uint8_t *key;
	size_t key_len;
	struct hmac_key hmac;
};

static bool prf_key_set(struct prf_key *k, uint16_t prf, const uint8_t *key, size_t key_len)
{
	enum aes_mac kind;
	k->prf = prf;
	k->key = key;
	k->key_len = key_len;
	return prf_aes_mac(prf, &kind) || hmac_key_set(&k->hmac, prf_md(prf), key, key_len);
}

static bool prf_key_mac(const struct prf_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	enum aes_mac kind;
	if (prf_aes_mac(k->prf, &kind))
		return aes_mac_prf(kind, k->key, k->key_len, data, len, out);
	hmac_key_mac(&k->hmac, data, len, out);
	return true;
}

bool prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed, size_t seed_len, uint8_t *out,
	      size_t out_len)
{
	size_t hlen = prf_output_len(prf);
	struct prf_key k;
	if (hlen == 0 || out_len > 255 * hlen || !prf_key_set(&k, prf, key, key_len))
		return false;
	/* T(n) = prf(K, T(n-1) | S | n), built in one buffer: [T(n-1)] [S] [n] */
	uint8_t *buf = OPENSSL_malloc(hlen + seed_len + 1), t[IKE_MAX_PRF_LEN];
	bool ok = buf != NULL;
	size_t tlen = 0;
	for (unsigned i = 1; ok && out_len > 0; i++) {
		memcpy(buf + tlen, seed, seed_len);
		buf[tlen + seed_len] = (uint8_t)i;
		ok = prf_key_mac(&k, buf, tlen + seed_len + 1, t);
		size_t take = out_len < hlen ? out_len : hlen;
		memcpy(out, t, take);
		memcpy(buf, t, hlen);
		tlen = hlen;
		out += take;
		out_len -= take;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	OPENSSL_clear_free(buf, hlen + seed_len + 1);
	OPENSSL_cleanse(t, sizeof(t));
	return ok;
}

/* ---- key exchange ---- */

/* The last secret a reused key pair derived, and the peer value it came from (ke_remember_last). */
struct ke_memo {
	unsigned refs;
	size_t peer_len, secret_len;
	uint8_t peer[IKE_MAX_KE_LEN], secret[IKE_MAX_KE_LEN];
};

struct ke_state {
	uint16_t group;
	EVP_PKEY *key;        /* OpenSSL's; for a raw pair made only when ke_derive() needs it */
	struct ke_memo *memo; /* shared by the handles ke_share() makes; NULL unless asked for */
	bool raw;             /* an X25519 pair made by x25519_batch(), held here */
	uint8_t priv[X25519_KEY_LEN], pub[X25519_KEY_LEN];
};

struct group_info {
	uint16_t id;
	const char *type;  /* OpenSSL key type */
	const char *name;  /* OpenSSL group name; NULL for X25519/X448 and for explicit primes */
	size_t pub_len;    /* as carried in the KE payload */
	size_t secret_len;
	BIGNUM *(*prime)(BIGNUM *); /* RFC 2409 Oakley groups 1 and 2, which OpenSSL does not name */
	bool weak;                  /* only when a connection lists it explicitly */
};

static const struct group_info groups[] = {
	{ 14, "DH", "modp_2048", 256, 256, NULL, false }, { 15, "DH", "modp_3072", 384, 384, NULL, false },
	{ 16, "DH", "modp_4096", 512, 512, NULL, false }, { 19, "EC", "P-256", 64, 32, NULL, false },
	{ 20, "EC", "P-384", 96, 48, NULL, false },       { 21, "EC", "P-521", 132, 66, NULL, false },
	{ 31, "X25519", NULL, 32, 32, NULL, false },       { 32, "X448", NULL, 56, 56, NULL, false },
	{ 17, "DH", "modp_6144", 768, 768, NULL, false }, { 18, "DH", "modp_8192", 1024, 1024, NULL, false },
	{ 26, "EC", "P-224", 56, 28, NULL, false },
	/* RFC 6954: the Brainpool curves, values as for the NIST curves */
	{ 27, "EC", "brainpoolP224r1", 56, 28, NULL, false }, { 28, "EC", "brainpoolP256r1", 64, 32, NULL, false },
	{ 29, "EC", "brainpoolP384r1", 96, 48, NULL, false }, { 30, "EC", "brainpoolP512r1", 128, 64, NULL, false },
	{ 1, "DH", NULL, 96, 96, BN_get_rfc2409_prime_768, true },
	{ 2, "DH", NULL, 128, 128, BN_get_rfc2409_prime_1024, true },
	{ 5, "DH", "modp_1536", 192, 192, NULL, true },
};

static const struct group_info *group_info(uint16_t id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

bool ke_supported(uint16_t group)
{
	return group_info(group) != NULL;
}

bool ke_weak(uint16_t group)
{
	const struct group_info *g = group_info(group);
	return g && g->weak;
}

size_t ke_public_len(uint16_t group)
{
	const struct group_info *g = group_info(group);
	return g ? g->pub_len : 0;
}

/* IKE carries an ECP value as x | y (RFC 5903 7); OpenSSL wants the uncompressed point 0x04 | x | y. */
#define EC_POINT_MAX (1 + 2 * 66)
static size_t uncompressed_point(const uint8_t *xy, size_t len, uint8_t out[EC_POINT_MAX])
{
	if (len + 1 > EC_POINT_MAX)
		return 0;
	out[0] = 0x04;
	memcpy(out + 1, xy, len);
	return len + 1;
}

/*
 * The OpenSSL parameters of a group: its name, or for the Oakley groups p and g = 2; with the
 * peer's public value when pub is given (x | y for ECP, a big-endian integer for MODP).
 */
static OSSL_PARAM *group_params(const struct group_info *g, const uint8_t *pub, size_t pub_len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *p = NULL, *gen = NULL, *y = NULL;
	uint8_t point[EC_POINT_MAX];
	OSSL_PARAM *out = NULL;
	bool ok = bld != NULL;
	if (ok && g->name)
		ok = OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0);
	if (ok && g->prime) {
		ok = (p = g->prime(NULL)) != NULL && (gen = BN_new()) != NULL && BN_set_word(gen, 2) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, gen);
	}
	if (ok && pub && strcmp(g->type, "EC") == 0) {
		size_t n = uncompressed_point(pub, pub_len, point);
		ok = n && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, n);
	} else if (ok && pub) {
		ok = (y = BN_bin2bn(pub, (int)pub_len, NULL)) != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y);
	}
	if (ok)
		out = OSSL_PARAM_BLD_to_param(bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(gen);
	BN_free(y);
	return out;
}

static EVP_PKEY *from_params(const struct group_info *g, const uint8_t *pub, size_t pub_len, int selection)
{
	EVP_PKEY *key = NULL;
	OSSL_PARAM *params = group_params(g, pub, pub_len);
	EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, g->type, NULL) : NULL;
	if (ctx && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &key, selection, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

/* A key-generation context for the group, ready for EVP_PKEY_generate(); NULL on failure. */
static EVP_PKEY_CTX *keygen_ctx(const struct group_info *g)
{
	EVP_PKEY *domain = NULL;
	EVP_PKEY_CTX *ctx;
	if (g->prime) { /* a key generated from explicit domain parameters */
		domain = from_params(g, NULL, 0, EVP_PKEY_KEY_PARAMETERS);
		ctx = domain ? EVP_PKEY_CTX_new_from_pkey(NULL, domain, NULL) : NULL;
	} else {
		ctx = EVP_PKEY_CTX_new_from_name(NULL, g->type, NULL);
	}
	EVP_PKEY_free(domain);
	bool ok = ctx && EVP_PKEY_keygen_init(ctx) > 0;
	if (ok && g->name) {
		OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
				   OSSL_PARAM_construct_end() };
		ok = EVP_PKEY_CTX_set_params(ctx, p) > 0;
	}
	if (!ok) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * Contexts are kept per thread and group: setting one up (the key manager looked up by name,
 * the group's parameters) cost about 10 us of a 50-60 us X25519 key generation.
 */
static EVP_PKEY *generate(const struct group_info *g)
{
	static _Thread_local EVP_PKEY_CTX *kept[sizeof(groups) / sizeof(groups[0])];
	EVP_PKEY_CTX **ctx = &kept[g - groups];
	EVP_PKEY *key = NULL;
	if (*ctx == NULL)
		*ctx = keygen_ctx(g);
	if (*ctx != NULL)
		EVP_PKEY_generate(*ctx, &key);
	return key;
}

/* An X25519 key pair as an OpenSSL key, both halves given: OpenSSL then computes neither. */
static EVP_PKEY *x25519_openssl_key(const uint8_t priv[X25519_KEY_LEN], const uint8_t pub[X25519_KEY_LEN])
{
	static _Thread_local EVP_PKEY_CTX *ctx;
	EVP_PKEY *key = NULL;
	if (ctx == NULL && (ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL)) == NULL)
		return NULL;
	OSSL_PARAM p[] = { OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, (void *)priv, X25519_KEY_LEN),
			   OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, X25519_KEY_LEN),
			   OSSL_PARAM_construct_end() };
	if (EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, p) <= 0)
		return NULL;
	return key;
}

/*
 * X25519 without x25519_batch(): the private value from the random pool and the public one from
 * x25519.c's fixed-base comb. OpenSSL 3.0's own generation (portable code) cost as much as the
 * derivation; this costs half of it.
 */
static EVP_PKEY *generate_x25519(void)
{
	uint8_t priv[X25519_KEY_LEN], pub[X25519_KEY_LEN];
	EVP_PKEY *key = NULL;
	if (ike_random(priv, sizeof(priv))) {
		x25519_public_from_private(pub, priv);
		key = x25519_openssl_key(priv, pub);
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	return key;
}

/* -1 until asked: whether X25519 goes through x25519_batch(). */
static int batching = -1;

static bool batching_on(void)
{
	if (batching < 0)
		batching = x25519_batch_available();
	return batching;
}

void ke_batching(bool on)
{
	batching = on && x25519_batch_available();
}

/*
 * X25519 key pairs made eight at a time by x25519_batch() (~3 us a pair on AVX-512 IFMA, 11 on
 * AVX2, against 20-25 for the comb alone and more for OpenSSL), per thread; each is used once
 * and wiped from the pool when taken.
 */
static _Thread_local struct {
	uint8_t priv[X25519_BATCH][X25519_KEY_LEN], pub[X25519_BATCH][X25519_KEY_LEN];
	unsigned left;
} x25519_pool;

void ke_pool_discard(void)
{
	OPENSSL_cleanse(&x25519_pool, sizeof(x25519_pool));
}

static bool x25519_pool_take(uint8_t priv[X25519_KEY_LEN], uint8_t pub[X25519_KEY_LEN])
{
	if (x25519_pool.left == 0) {
		if (!ike_random(x25519_pool.priv, sizeof(x25519_pool.priv)))
			return false;
		x25519_batch(x25519_pool.pub, (const uint8_t(*)[X25519_KEY_LEN])x25519_pool.priv, NULL, X25519_BATCH);
		x25519_pool.left = X25519_BATCH;
	}
	unsigned i = --x25519_pool.left;
	memcpy(priv, x25519_pool.priv[i], X25519_KEY_LEN);
	memcpy(pub, x25519_pool.pub[i], X25519_KEY_LEN);
	OPENSSL_cleanse(x25519_pool.priv[i], X25519_KEY_LEN);
	return true;
}

/* Writes a big-endian integer left-padded to len bytes. */
static bool bn_param_padded(EVP_PKEY *key, const char *param, uint8_t *out, size_t len)
{
	BIGNUM *bn = NULL;
	bool ok = EVP_PKEY_get_bn_param(key, param, &bn) && BN_bn2binpad(bn, out, (int)len) == (int)len;
	BN_free(bn);
	return ok;
}

static bool export_public(const struct group_info *g, EVP_PKEY *key, uint8_t *pub)
{
	if (strcmp(g->type, "DH") == 0)
		return bn_param_padded(key, OSSL_PKEY_PARAM_PUB_KEY, pub, g->pub_len);
	if (strcmp(g->type, "EC") == 0) {
		uint8_t point[EC_POINT_MAX];
		size_t n = 0;
		/* IKE carries x | y without the uncompressed-point marker (RFC 5903 7) */
		if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point), &n) ||
		    n != 1 + g->pub_len || point[0] != 0x04)
			return false;
		memcpy(pub, point + 1, g->pub_len);
		return true;
	}
	size_t n = g->pub_len;
	return EVP_PKEY_get_raw_public_key(key, pub, &n) && n == g->pub_len;
}

struct ke_state *ke_create(uint16_t group, uint8_t *pub, size_t *pub_len)
{
	const struct group_info *g = group_info(group);
	if (g == NULL)
		return NULL;
	struct ke_state *ke = OPENSSL_zalloc(sizeof(*ke));
	if (ke == NULL)
		return NULL;
	ke->group = group;
	bool x25519 = strcmp(g->type, "X25519") == 0;
	if (x25519 && batching_on()) {
		ke->raw = x25519_pool_take(ke->priv, ke->pub);
		memcpy(pub, ke->pub, X25519_KEY_LEN);
	} else {
		ke->key = x25519 ? generate_x25519() : generate(g);
	}
	if (!ke->raw && (ke->key == NULL || !export_public(g, ke->key, pub))) {
		ke_free(ke);
		return NULL;
	}
	*pub_len = g->pub_len;
	return ke;
}

struct ke_state *ke_share(const struct ke_state *ke)
{
	struct ke_state *copy = ke ? OPENSSL_zalloc(sizeof(*copy)) : NULL;
	if (copy == NULL || (ke->key && EVP_PKEY_up_ref(ke->key) != 1)) {
		OPENSSL_free(copy);
		return NULL;
	}
	*copy = *ke;
	if (copy->memo)
		copy->memo->refs++;
	return copy;
}

bool ke_remember_last(struct ke_state *ke)
{
	if (ke->memo == NULL && (ke->memo = OPENSSL_zalloc(sizeof(*ke->memo))) != NULL)
		ke->memo->refs = 1;
	return ke->memo != NULL;
}

static void memo_release(struct ke_memo *m)
{
	if (m != NULL && --m->refs == 0)
		OPENSSL_clear_free(m, sizeof(*m));
}

/* The secret of the last derivation when the peer sent the same value again. */
static bool memo_recall(const struct ke_memo *m, const uint8_t *peer, size_t len, uint8_t *secret, size_t *secret_len)
{
	if (m == NULL || m->secret_len == 0 || m->peer_len != len || memcmp(m->peer, peer, len) != 0)
		return false;
	memcpy(secret, m->secret, m->secret_len);
	*secret_len = m->secret_len;
	return true;
}

static void memo_store(struct ke_memo *m, const uint8_t *peer, size_t len, const uint8_t *secret, size_t secret_len)
{
	if (m == NULL || len > sizeof(m->peer) || secret_len > sizeof(m->secret))
		return;
	memcpy(m->peer, peer, len);
	memcpy(m->secret, secret, secret_len);
	m->peer_len = len;
	m->secret_len = secret_len;
}

/* The peer's public value in a new OpenSSL key of the group. */
static EVP_PKEY *new_peer_key(const struct group_info *g, const uint8_t *peer, size_t len)
{
	if (g->name == NULL && g->prime == NULL)
		return EVP_PKEY_new_raw_public_key(strcmp(g->type, "X448") == 0 ? EVP_PKEY_X448 : EVP_PKEY_X25519, NULL,
						   peer, len);
	return from_params(g, peer, len, EVP_PKEY_PUBLIC_KEY);
}

/*
 * The peer's public value as an OpenSSL key of the same group: a key object kept per thread and
 * group, refilled for each peer. Building a new one looks the key manager up by name and, for
 * the curves, builds the group: 6 us of an X25519 exchange and ~60 us of a P-256 one, against
 * well under a microsecond to replace the value. The caller owns one reference; a derivation
 * holds the object only until its context is freed.
 */
static EVP_PKEY *import_peer(const struct group_info *g, const uint8_t *peer, size_t len)
{
	static _Thread_local EVP_PKEY *kept[sizeof(groups) / sizeof(groups[0])];
	EVP_PKEY **k = &kept[g - groups];
	uint8_t point[EC_POINT_MAX];
	if (len != g->pub_len)
		return NULL;
	if (*k == NULL) {
		*k = new_peer_key(g, peer, len);
	} else if (strcmp(g->type, "EC") == 0) {
		size_t n = uncompressed_point(peer, len, point);
		if (n == 0 || EVP_PKEY_set1_encoded_public_key(*k, point, n) != 1)
			return NULL;
	} else if (EVP_PKEY_set1_encoded_public_key(*k, peer, len) != 1) {
		return NULL;
	}
	return *k && EVP_PKEY_up_ref(*k) == 1 ? *k : NULL;
}

/*
 * RFC 6989: the value must be a group element. Every MODP group here has a safe prime, where
 * 1 < y < p - 1 is the whole test, and every ECP group a cofactor of 1, where a point on the
 * curve is one: OpenSSL's quick check does exactly these. Its full check adds a subgroup test
 * (y^q mod p, or n * point), as dear as the key exchange itself.
 */
static bool peer_valid(const struct group_info *g, EVP_PKEY *peer)
{
	if (g->name == NULL && g->prime == NULL)
		return true; /* X25519/X448: every value is usable; the all-zero result is checked below */
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	bool ok = ctx && EVP_PKEY_public_check_quick(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

bool ke_derive(struct ke_state *ke, const uint8_t *peer_pub, size_t peer_len, uint8_t *secret, size_t *secret_len)
{
	if (memo_recall(ke->memo, peer_pub, peer_len, secret, secret_len))
		return true;
	const struct group_info *g = group_info(ke->group);
	EVP_PKEY *peer = import_peer(g, peer_pub, peer_len);
	EVP_PKEY_CTX *ctx = NULL;
	bool ok = false;
	size_t n = g->secret_len;
	if (peer == NULL || !peer_valid(g, peer))
		goto done;
	if (ke->key == NULL && ke->raw && (ke->key = x25519_openssl_key(ke->priv, ke->pub)) == NULL)
		goto done;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ke->key, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0)
		goto done;
	if (strcmp(g->type, "DH") == 0 && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto done; /* g^ir as a fixed-length value (RFC 7296 2.14) */
	/* peer_valid() has checked the value (RFC 6989); OpenSSL's own check would repeat it */
	ok = EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) > 0 && EVP_PKEY_derive(ctx, secret, &n) > 0 &&
	     n == g->secret_len && !all_zero(secret, n);
	*secret_len = n;
	if (ok)
		memo_store(ke->memo, peer_pub, peer_len, secret, n);
done:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return ok;
}

void ke_free(struct ke_state *ke)
{
	if (ke == NULL)
		return;
	EVP_PKEY_free(ke->key);
	memo_release(ke->memo);
	OPENSSL_clear_free(ke, sizeof(*ke));
}

bool ke_batchable(const struct ke_state *ke)
{
	return ke && ke->raw;
}

/*
 * Up to X25519_BATCH derivations: as many as pay for the vector code's passes go to
 * x25519_batch(), the rest (a lone one, say) to OpenSSL one by one.
 */
static void derive_lanes(struct ke_job **lane, uint8_t (*k)[X25519_KEY_LEN], uint8_t (*u)[X25519_KEY_LEN], unsigned n)
{
	uint8_t out[X25519_BATCH][X25519_KEY_LEN];
	unsigned vec = x25519_batch_worth(n);
	for (unsigned i = vec; i < n; i++)
		lane[i]->ok = ke_derive(lane[i]->ke, lane[i]->peer, lane[i]->peer_len, lane[i]->secret, &lane[i]->secret_len);
	if (vec == 0)
		return;
	x25519_batch(out, (const uint8_t(*)[X25519_KEY_LEN])k, (const uint8_t(*)[X25519_KEY_LEN])u, vec);
	for (unsigned i = 0; i < vec; i++) {
		struct ke_job *j = lane[i];
		memcpy(j->secret, out[i], X25519_KEY_LEN);
		j->secret_len = X25519_KEY_LEN;
		j->ok = !all_zero(j->secret, X25519_KEY_LEN); /* RFC 7748 6.1: a small-order peer value */
		if (j->ok)
			memo_store(j->ke->memo, j->peer, j->peer_len, j->secret, X25519_KEY_LEN);
	}
	OPENSSL_cleanse(out, sizeof(out));
}

void ke_derive_batch(struct ke_job *jobs, unsigned n)
{
	uint8_t k[X25519_BATCH][X25519_KEY_LEN], u[X25519_BATCH][X25519_KEY_LEN];
	struct ke_job *lane[X25519_BATCH];
	unsigned m = 0;
	for (unsigned i = 0; i < n; i++) {
		struct ke_job *j = &jobs[i];
		j->ok = false;
		j->secret_len = 0;
		if (!ke_batchable(j->ke) || j->peer_len != X25519_KEY_LEN)
			continue;
		if (memo_recall(j->ke->memo, j->peer, j->peer_len, j->secret, &j->secret_len)) {
			j->ok = true;
			continue;
		}
		lane[m] = j;
		memcpy(k[m], j->ke->priv, X25519_KEY_LEN);
		memcpy(u[m], j->peer, X25519_KEY_LEN);
		if (++m == X25519_BATCH) {
			derive_lanes(lane, k, u, m);
			m = 0;
		}
	}
	if (m > 0)
		derive_lanes(lane, k, u, m);
	OPENSSL_cleanse(k, sizeof(k));
}

void ke_batch_complete(struct ke_job *jobs, void *const owners[], unsigned n,
		       void (*done)(void *owner, const struct ke_job *job), uint64_t *batched, uint64_t *batches)
{
	ke_derive_batch(jobs, n);
	*batched += n;
	*batches += n > 0;
	for (unsigned i = 0; i < n; i++) {
		done(owners[i], &jobs[i]);
		OPENSSL_cleanse(jobs[i].secret, sizeof(jobs[i].secret));
	}
}

/* ---- the Encrypted payload ---- */

/* The integrity algorithm's key and ICV lengths; false if dpike has none by that ID. */
static bool integ_lengths(uint16_t integ, size_t *key_len, size_t *icv_len)
{
	switch (integ) {
	case AUTH_HMAC_MD5_96: *key_len = 16, *icv_len = 12; return true;
	case AUTH_HMAC_SHA1_96: *key_len = 20, *icv_len = 12; return true;
	case AUTH_AES_XCBC_96: *key_len = 16, *icv_len = 12; return true;
	case AUTH_AES_CMAC_96: *key_len = 16, *icv_len = 12; return true;
	case AUTH_HMAC_SHA2_256_128: *key_len = 32, *icv_len = 16; return true;
	case AUTH_HMAC_SHA2_384_192: *key_len = 48, *icv_len = 24; return true;
	case AUTH_HMAC_SHA2_512_256: *key_len = 64, *icv_len = 32; return true;
	default: return false;
	}
}

static const EVP_MD *integ_md(uint16_t integ)
{
	switch (integ) {
	case AUTH_HMAC_MD5_96: return EVP_md5();
	case AUTH_HMAC_SHA1_96: return EVP_sha1();
	case AUTH_HMAC_SHA2_256_128: return EVP_sha256();
	case AUTH_HMAC_SHA2_384_192: return EVP_sha384();
	case AUTH_HMAC_SHA2_512_256: return EVP_sha512();
	default: return NULL;
	}
}

static bool aes_key_bits(uint16_t bits)
{
	return bits == 128 || bits == 192 || bits == 256;
}

/* 3DES, AES-CBC and AES-CTR, with an integrity algorithm; CTR's key carries a 4-byte nonce (RFC 5930). */
static bool init_plain(struct sk_cipher *c, uint16_t encr, uint16_t key_bits, uint16_t integ)
{
	bool ctr = encr == ENCR_AES_CTR;
	if (encr == ENCR_3DES) {
		c->enc_key_len = 24;
		c->iv_len = c->block = 8;
	} else if (aes_key_bits(key_bits)) {
		c->enc_key_len = key_bits / 8 + (ctr ? 4 : 0);
		c->iv_len = ctr ? 8 : 16;
		c->block = ctr ? 1 : 16;
	} else {
		return false;
	}
	return integ_lengths(integ, &c->integ_key_len, &c->icv_len);
}

static size_t aead_icv_len(uint16_t encr)
{
	switch (encr) {
	case ENCR_AES_GCM_8:
	case ENCR_AES_CCM_8: return 8;
	case ENCR_AES_GCM_12:
	case ENCR_AES_CCM_12: return 12;
	default: return 16;
	}
}

bool sk_cipher_init(struct sk_cipher *c, uint16_t encr, uint16_t key_bits, uint16_t integ)
{
	memset(c, 0, sizeof(*c));
	c->encr = encr;
	c->key_bits = key_bits;
	c->integ = integ;
	switch (encr) {
	case ENCR_3DES:
	case ENCR_AES_CBC:
	case ENCR_AES_CTR:
		return init_plain(c, encr, key_bits, integ);
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
	case ENCR_AES_CCM_8:
	case ENCR_AES_CCM_12:
	case ENCR_AES_CCM_16:
		if (!aes_key_bits(key_bits))
			return false;
		c->enc_key_len = key_bits / 8 + (sk_cipher_is_ccm(c) ? 3 : 4); /* RFC 5282's salt */
		break;
	case ENCR_CHACHA20_POLY1305:
		c->enc_key_len = 32 + 4;
		c->key_bits = 256;
		break;
	default:
		return false;
	}
	c->aead = true;
	c->iv_len = 8;
	c->icv_len = aead_icv_len(encr);
	c->block = 1;
	return integ == 0;
}

static const char *cipher_name(const struct sk_cipher *c)
{
	static const char *const names[][3] = {
		{ "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" },
		{ "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" },
		{ "AES-128-CCM", "AES-192-CCM", "AES-256-CCM" },
		{ "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" },
	};
	int k = c->key_bits == 128 ? 0 : c->key_bits == 192 ? 1 : 2;
	switch (c->encr) {
	case ENCR_CHACHA20_POLY1305: return "ChaCha20-Poly1305";
	case ENCR_3DES: return "DES-EDE3-CBC";
	case ENCR_AES_CBC: return names[0][k];
	case ENCR_AES_CTR: return names[1][k];
	case ENCR_AES_CCM_8:
	case ENCR_AES_CCM_12:
	case ENCR_AES_CCM_16: return names[2][k];
	default: return names[3][k];
	}
}

/* Fetched once each, like the digests: EVP_aes_128_gcm() and friends are looked up on every init. */
static const EVP_CIPHER *cipher_of(const struct sk_cipher *c)
{
	static struct {
		const char *name;
		EVP_CIPHER *cipher;
	} cache[16]; /* room for every name cipher_name() gives: 14 */
	const char *name = cipher_name(c);
	for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
		if (cache[i].name == name)
			return cache[i].cipher;
		if (cache[i].name == NULL) {
			cache[i].cipher = EVP_CIPHER_fetch(NULL, name, NULL);
			if (cache[i].cipher)
				cache[i].name = name;
			return cache[i].cipher;
		}
	}
	return NULL;
}

static EVP_CIPHER_CTX *new_cipher_ctx(const EVP_CIPHER *cipher, bool aead)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	if (x == NULL || !EVP_CipherInit_ex(x, cipher, NULL, NULL, NULL, 1) ||
	    !(aead ? EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) : EVP_CIPHER_CTX_set_padding(x, 0))) {
		EVP_CIPHER_CTX_free(x);
		return NULL;
	}
	return x;
}

/*
 * A context per thread and cipher, keyed anew for each message: a context made and freed per
 * message (with its provider's) cost about twice the AES-GCM of a 300-byte IKE message. There
 * are a dozen ciphers (IKEv2's fetched by name, IKEv1's by OpenSSL's EVP_aes_*() objects); one
 * past the cache's room gets a context of its own for the message (*owned: the caller frees it).
 */
static EVP_CIPHER_CTX *cipher_ctx(const EVP_CIPHER *cipher, bool aead, bool *owned)
{
	static _Thread_local struct {
		const EVP_CIPHER *cipher;
		EVP_CIPHER_CTX *ctx;
	} cache[16];
	*owned = false;
	if (cipher == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(cache) / sizeof(cache[0]); i++) {
		if (cache[i].cipher == cipher)
			return cache[i].ctx;
		if (cache[i].cipher != NULL)
			continue;
		EVP_CIPHER_CTX *x = new_cipher_ctx(cipher, aead);
		if (x != NULL) {
			cache[i].cipher = cipher;
			cache[i].ctx = x;
		}
		return x;
	}
	*owned = true;
	return new_cipher_ctx(cipher, aead);
}

/* The kept context's key schedule overwritten, as a freed context's would be wiped. */
static void cipher_ctx_done(EVP_CIPHER_CTX *x, bool enc, bool owned)
{
	static const uint8_t no_key[EVP_MAX_KEY_LENGTH];
	if (owned)
		EVP_CIPHER_CTX_free(x);
	else
		EVP_CipherInit_ex(x, NULL, NULL, no_key, NULL, enc);
}

/*
 * AES-GCM and ChaCha20-Poly1305 take a 12-byte nonce (4-byte salt, IV), AES-CCM an 11-byte one
 * (3-byte salt) and its tag length, then the text's, before the AAD.
 */
static bool aead(const struct sk_cipher *c, bool enc, const uint8_t *key, uint8_t *msg, size_t iv_off, size_t len)
{
	bool ccm = sk_cipher_is_ccm(c);
	size_t salt = ccm ? 3 : 4, klen = c->enc_key_len - salt;
	uint8_t nonce[12];
	memcpy(nonce, key + klen, salt);
	memcpy(nonce + salt, msg + iv_off, 8);
	uint8_t *data = msg + iv_off + 8, *tag = data + len;
	bool owned;
	EVP_CIPHER_CTX *x = cipher_ctx(cipher_of(c), true, &owned);
	int n;
	if (x == NULL)
		return false;
	/* the direction first: a context last used to encrypt refuses a tag to check */
	bool ok = !ccm || (EVP_CipherInit_ex(x, NULL, NULL, NULL, NULL, enc) &&
			   EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 11, NULL) &&
			   EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, (int)c->icv_len, enc ? NULL : tag));
	ok = ok && EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc) &&
	     (!ccm || EVP_CipherUpdate(x, NULL, &n, NULL, (int)len)) && EVP_CipherUpdate(x, NULL, &n, msg, (int)iv_off) &&
	     EVP_CipherUpdate(x, data, &n, data, (int)len) &&
	     (enc || ccm || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, (int)c->icv_len, tag)) &&
	     EVP_CipherFinal_ex(x, data + n, &n) &&
	     (!enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, (int)c->icv_len, tag));
	cipher_ctx_done(x, enc, owned);
	return ok;
}

bool ike_cbc(const EVP_CIPHER *cipher, const uint8_t *key, const uint8_t *iv, uint8_t *data, size_t len, bool enc)
{
	bool owned;
	EVP_CIPHER_CTX *x = cipher_ctx(cipher, false, &owned);
	int n, m;
	if (x == NULL || len > INT_MAX) {
		if (x != NULL && owned)
			EVP_CIPHER_CTX_free(x);
		return false;
	}
	bool ok = EVP_CipherInit_ex(x, NULL, NULL, key, iv, enc) && EVP_CipherUpdate(x, data, &n, data, (int)len) &&
		  EVP_CipherFinal_ex(x, data + n, &m);
	cipher_ctx_done(x, enc, owned);
	return ok;
}

/* CBC with the IV from the message, or CTR from nonce | IV | 1 (RFC 5930, as RFC 3686). */
static bool plain_crypt(const struct sk_cipher *c, bool enc, const uint8_t *key, uint8_t *msg, size_t iv_off,
			size_t len)
{
	const uint8_t *iv = msg + iv_off;
	uint8_t block[16];
	if (c->encr == ENCR_AES_CTR) {
		memcpy(block, key + c->key_bits / 8, 4);
		memcpy(block + 4, iv, 8);
		memcpy(block + 12, "\0\0\0\1", 4);
		iv = block;
	}
	return ike_cbc(cipher_of(c), key, iv, msg + iv_off + c->iv_len, len, enc);
}

static bool icv(const struct sk_cipher *c, const uint8_t *akey, const uint8_t *msg, size_t len, uint8_t *out)
{
	size_t klen, ilen;
	uint8_t full[EVP_MAX_MD_SIZE];
	bool ok = integ_lengths(c->integ, &klen, &ilen);
	if (ok && (c->integ == AUTH_AES_XCBC_96 || c->integ == AUTH_AES_CMAC_96))
		ok = aes_mac_prf(c->integ == AUTH_AES_XCBC_96 ? AES_MAC_XCBC : AES_MAC_CMAC, akey, klen, msg, len, full);
	else
		ok = ok && ike_hmac(integ_md(c->integ), akey, klen, msg, len, full, NULL);
	if (ok)
		memcpy(out, full, ilen);
	return ok;
}

bool sk_encrypt(const struct sk_cipher *c, const uint8_t *ekey, const uint8_t *akey, uint8_t *msg, size_t iv_off,
		size_t plain_len)
{
	if (c->aead) {
		/* any unique IV is fine with an AEAD; a random one is unique with overwhelming odds */
		return ike_random(msg + iv_off, 8) && aead(c, true, ekey, msg, iv_off, plain_len);
	}
	size_t end = iv_off + c->iv_len + plain_len;
	return ike_random(msg + iv_off, c->iv_len) && plain_crypt(c, true, ekey, msg, iv_off, plain_len) &&
	       icv(c, akey, msg, end, msg + end);
}

bool sk_decrypt(const struct sk_cipher *c, const uint8_t *ekey, const uint8_t *akey, uint8_t *msg, size_t iv_off,
		size_t cipher_len)
{
	if (c->aead)
		return aead(c, false, ekey, msg, iv_off, cipher_len);
	if (cipher_len % c->block != 0)
		return false;
	size_t end = iv_off + c->iv_len + cipher_len;
	uint8_t want[64];
	if (!icv(c, akey, msg, end, want) || CRYPTO_memcmp(want, msg + end, c->icv_len) != 0)
		return false;
	return plain_crypt(c, false, ekey, msg, iv_off, cipher_len);
}
