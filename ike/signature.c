/* SPDX-License-Identifier: BSD-3-Clause */
#include "signature.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "v1/isakmp.h"

static const EVP_MD *md_of(enum sig_hash h)
{
	switch (h) {
	case SIG_HASH_SHA1: return EVP_sha1();
	case SIG_HASH_SHA256: return EVP_sha256();
	case SIG_HASH_SHA384: return EVP_sha384();
	case SIG_HASH_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

static enum sig_hash hash_of_nid(int nid)
{
	switch (nid) {
	case NID_sha1: return SIG_HASH_SHA1;
	case NID_sha256: return SIG_HASH_SHA256;
	case NID_sha384: return SIG_HASH_SHA384;
	case NID_sha512: return SIG_HASH_SHA512;
	default: return SIG_HASH_NONE;
	}
}

const char *sig_scheme_name(const struct sig_scheme *s, char *buf, size_t len)
{
	static const char *const kinds[] = { "RSA PKCS#1 v1.5", "RSASSA-PSS", "ECDSA", "EdDSA" };
	static const char *const hashes[] = { "", "SHA-1", "SHA-256", "SHA-384", "SHA-512", "" };
	snprintf(buf, len, "%s%s%s", kinds[s->kind], s->hash != SIG_HASH_IDENTITY && s->hash ? " " : "",
		 (unsigned)s->hash < 6 ? hashes[s->hash] : "?");
	return buf;
}

bool sig_kind_of_key(EVP_PKEY *key, enum sig_kind *kind)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_RSA: *kind = SIG_RSA_PKCS1; return true;
	case EVP_PKEY_RSA_PSS: *kind = SIG_RSA_PSS; return true;
	case EVP_PKEY_EC: *kind = SIG_ECDSA; return true;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448: *kind = SIG_EDDSA; return true;
	default: return false;
	}
}

enum sig_hash sig_ecdsa_curve_hash(EVP_PKEY *key)
{
	int bits = EVP_PKEY_get_bits(key);
	return bits <= 256 ? SIG_HASH_SHA256 : bits <= 384 ? SIG_HASH_SHA384 : SIG_HASH_SHA512;
}

/* Does the scheme fit the key? A PSS signature needs an RSA key, EdDSA an EdDSA key, and so on. */
static bool scheme_fits_key(EVP_PKEY *key, const struct sig_scheme *s)
{
	enum sig_kind k;
	if (!sig_kind_of_key(key, &k))
		return false;
	if (k == SIG_RSA_PKCS1 || k == SIG_RSA_PSS)
		return s->kind == SIG_RSA_PKCS1 || s->kind == SIG_RSA_PSS;
	return k == s->kind && (s->kind == SIG_EDDSA) == (s->hash == SIG_HASH_IDENTITY);
}

/* A digest-sign/verify context for the scheme: padding and salt set for RSA (PSS salt = hash length). */
static EVP_MD_CTX *start(EVP_PKEY *key, const struct sig_scheme *s, bool sign)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	const EVP_MD *md = md_of(s->hash);
	bool ok = m && scheme_fits_key(key, s) && (md != NULL || s->kind == SIG_EDDSA) &&
		  (sign ? EVP_DigestSignInit(m, &pc, md, NULL, key) : EVP_DigestVerifyInit(m, &pc, md, NULL, key)) == 1;
	if (ok && s->kind == SIG_RSA_PKCS1)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1;
	if (ok && s->kind == SIG_RSA_PSS)
		ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1;
	if (!ok) {
		EVP_MD_CTX_free(m);
		ERR_clear_error();
		return NULL;
	}
	return m;
}

/* RFC 4754: r and s, each left-padded to the size of the curve's order. */
static bool ecdsa_der_to_raw(EVP_PKEY *key, const uint8_t *der, size_t len, uint8_t *out, size_t *out_len)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	int n = (EVP_PKEY_get_bits(key) + 7) / 8;
	bool ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, n) == n &&
		  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + n, n) == n;
	*out_len = (size_t)n * 2;
	ECDSA_SIG_free(sig);
	return ok;
}

static bool ecdsa_raw_to_der(EVP_PKEY *key, const uint8_t *raw, size_t len, uint8_t *out, size_t *out_len)
{
	size_t n = (size_t)(EVP_PKEY_get_bits(key) + 7) / 8;
	if (len != 2 * n)
		return false;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)n, NULL), *s = BN_bin2bn(raw + n, (int)n, NULL);
	bool ok = sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1;
	if (!ok) {
		BN_free(r);
		BN_free(s);
	}
	unsigned char *p = out;
	int dl = ok && i2d_ECDSA_SIG(sig, NULL) <= SIG_MAX_LEN ? i2d_ECDSA_SIG(sig, &p) : -1;
	ECDSA_SIG_free(sig);
	*out_len = dl > 0 ? (size_t)dl : 0;
	return dl > 0;
}

bool sig_sign(EVP_PKEY *key, const struct sig_scheme *s, const uint8_t *data, size_t len, uint8_t *out,
	      size_t *out_len)
{
	EVP_MD_CTX *m = start(key, s, true);
	uint8_t der[SIG_MAX_LEN];
	size_t n = sizeof(der);
	bool ok = m && EVP_DigestSign(m, NULL, &n, data, len) == 1 && n <= sizeof(der) &&
		  EVP_DigestSign(m, der, &n, data, len) == 1;
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	if (!ok)
		return false;
	if (s->kind == SIG_ECDSA && s->ecdsa_raw)
		return ecdsa_der_to_raw(key, der, n, out, out_len);
	memcpy(out, der, n);
	*out_len = n;
	return true;
}

bool sig_verify(EVP_PKEY *key, const struct sig_scheme *s, const uint8_t *data, size_t len, const uint8_t *sig,
		size_t sig_len)
{
	uint8_t der[SIG_MAX_LEN];
	if (s->kind == SIG_ECDSA && s->ecdsa_raw) {
		if (!ecdsa_raw_to_der(key, sig, sig_len, der, &sig_len))
			return false;
		sig = der;
	}
	EVP_MD_CTX *m = start(key, s, false);
	bool ok = m && EVP_DigestVerify(m, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return ok;
}

bool sig_algorithm_id(EVP_PKEY *key, const struct sig_scheme *s, uint8_t *out, size_t *len)
{
	EVP_MD_CTX *m = start(key, s, true);
	OSSL_PARAM p[2] = { OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, out, *len),
			    OSSL_PARAM_END };
	bool ok = m && EVP_PKEY_CTX_get_params(EVP_MD_CTX_get_pkey_ctx(m), p) == 1 && p[0].return_size > 0 &&
		  p[0].return_size <= *len;
	if (ok)
		*len = p[0].return_size;
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return ok;
}

/* MGF1's hash: an AlgorithmIdentifier inside the mask generation AlgorithmIdentifier (SHA-1 when absent). */
static enum sig_hash mgf1_hash(const X509_ALGOR *mgf)
{
	if (mgf == NULL)
		return SIG_HASH_SHA1;
	if (OBJ_obj2nid(mgf->algorithm) != NID_mgf1 || mgf->parameter == NULL)
		return SIG_HASH_NONE;
	X509_ALGOR *md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR), mgf->parameter);
	enum sig_hash h = md ? hash_of_nid(OBJ_obj2nid(md->algorithm)) : SIG_HASH_NONE;
	X509_ALGOR_free(md);
	return h;
}

/* RSASSA-PSS-params (RFC 4055 3.1): we take MGF1 with the same hash and a salt as long as the hash. */
static bool pss_params(const X509_ALGOR *alg, struct sig_scheme *s)
{
	RSA_PSS_PARAMS *pp = alg->parameter ? ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS), alg->parameter)
					    : NULL;
	if (pp == NULL)
		return false;
	s->hash = pp->hashAlgorithm ? hash_of_nid(OBJ_obj2nid(pp->hashAlgorithm->algorithm)) : SIG_HASH_SHA1;
	bool ok = s->hash != SIG_HASH_NONE && mgf1_hash(pp->maskGenAlgorithm) == s->hash &&
		  (pp->saltLength == NULL ||
		   ASN1_INTEGER_get(pp->saltLength) == EVP_MD_get_size(md_of(s->hash))) &&
		  (pp->trailerField == NULL || ASN1_INTEGER_get(pp->trailerField) == 1);
	RSA_PSS_PARAMS_free(pp);
	return ok;
}

bool sig_scheme_from_algorithm_id(const uint8_t *der, size_t len, struct sig_scheme *s)
{
	static const struct {
		int nid;
		enum sig_kind kind;
		enum sig_hash hash;
	} known[] = {
		{ NID_sha256WithRSAEncryption, SIG_RSA_PKCS1, SIG_HASH_SHA256 },
		{ NID_sha384WithRSAEncryption, SIG_RSA_PKCS1, SIG_HASH_SHA384 },
		{ NID_sha512WithRSAEncryption, SIG_RSA_PKCS1, SIG_HASH_SHA512 },
		{ NID_sha1WithRSAEncryption, SIG_RSA_PKCS1, SIG_HASH_SHA1 },
		{ NID_ecdsa_with_SHA256, SIG_ECDSA, SIG_HASH_SHA256 },
		{ NID_ecdsa_with_SHA384, SIG_ECDSA, SIG_HASH_SHA384 },
		{ NID_ecdsa_with_SHA512, SIG_ECDSA, SIG_HASH_SHA512 },
		{ NID_ecdsa_with_SHA1, SIG_ECDSA, SIG_HASH_SHA1 },
		{ NID_ED25519, SIG_EDDSA, SIG_HASH_IDENTITY },
		{ NID_ED448, SIG_EDDSA, SIG_HASH_IDENTITY },
	};
	const unsigned char *p = der;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)len);
	bool ok = false;
	*s = (struct sig_scheme){ 0 };
	if (alg && p == der + len) {
		int nid = OBJ_obj2nid(alg->algorithm);
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !ok; i++)
			if (known[i].nid == nid) {
				*s = (struct sig_scheme){ .kind = known[i].kind, .hash = known[i].hash };
				ok = true;
			}
		if (nid == NID_rsassaPss) {
			s->kind = SIG_RSA_PSS;
			ok = pss_params(alg, s);
		}
	}
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return ok;
}

static EVP_PKEY_CTX *rsa_raw_ctx(EVP_PKEY *key, bool sign)
{
	EVP_PKEY_CTX *c = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? EVP_PKEY_CTX_new(key, NULL) : NULL;
	if (c && ((sign ? EVP_PKEY_sign_init(c) : EVP_PKEY_verify_recover_init(c)) != 1 ||
		  EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1)) {
		EVP_PKEY_CTX_free(c);
		c = NULL;
	}
	return c;
}

bool sig_rsa_raw_sign(EVP_PKEY *key, const uint8_t *hash, size_t len, uint8_t *out, size_t *out_len)
{
	EVP_PKEY_CTX *c = rsa_raw_ctx(key, true);
	size_t n = SIG_MAX_LEN;
	bool ok = c && EVP_PKEY_sign(c, out, &n, hash, len) == 1;
	*out_len = ok ? n : 0;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return ok;
}

bool sig_rsa_raw_verify(EVP_PKEY *key, const uint8_t *hash, size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *c = rsa_raw_ctx(key, false);
	uint8_t got[SIG_MAX_LEN];
	size_t n = sizeof(got);
	bool ok = c && EVP_PKEY_verify_recover(c, got, &n, sig, sig_len) == 1 && n == len &&
		  CRYPTO_memcmp(got, hash, len) == 0;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return ok;
}

uint16_t sig_v1_auth_method(EVP_PKEY *key)
{
	static const struct { const char *curve; uint16_t method; } ecdsa[] = {
		{ "prime256v1", V1_AUTH_ECDSA_256 }, { "secp384r1", V1_AUTH_ECDSA_384 }, { "secp521r1", V1_AUTH_ECDSA_521 } };
	char curve[32];
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
		return V1_AUTH_RSA_SIG;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || !EVP_PKEY_get_group_name(key, curve, sizeof(curve), NULL))
		return 0;
	for (size_t i = 0; i < sizeof(ecdsa) / sizeof(ecdsa[0]); i++)
		if (strcmp(curve, ecdsa[i].curve) == 0)
			return ecdsa[i].method;
	return 0;
}

/* ECDSA over a digest made already (EVP_PKEY_sign() hashes nothing), as IKEv1 signs HASH_I. */
static bool ecdsa_sign_digest(EVP_PKEY *key, const uint8_t *hash, size_t len, uint8_t *out, size_t *out_len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
	uint8_t der[SIG_MAX_LEN];
	size_t n = sizeof(der);
	bool ok = c && EVP_PKEY_sign_init(c) == 1 && EVP_PKEY_sign(c, der, &n, hash, len) == 1 &&
		  ecdsa_der_to_raw(key, der, n, out, out_len);
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return ok;
}

static bool ecdsa_verify_digest(EVP_PKEY *key, const uint8_t *hash, size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(key, NULL);
	uint8_t der[SIG_MAX_LEN];
	size_t n;
	bool ok = c && ecdsa_raw_to_der(key, sig, sig_len, der, &n) && EVP_PKEY_verify_init(c) == 1 &&
		  EVP_PKEY_verify(c, der, n, hash, len) == 1;
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	return ok;
}

/* RFC 4754 for IKEv1, as strongSwan reads it: ECDSA over HASH_I / HASH_R itself, r|s. */
bool sig_v1_sign(EVP_PKEY *key, const uint8_t *hash, size_t len, uint8_t *out, size_t *out_len)
{
	uint16_t m = sig_v1_auth_method(key);
	if (m == V1_AUTH_RSA_SIG)
		return sig_rsa_raw_sign(key, hash, len, out, out_len);
	return m != 0 && ecdsa_sign_digest(key, hash, len, out, out_len);
}

bool sig_v1_verify(EVP_PKEY *key, const uint8_t *hash, size_t len, const uint8_t *sig, size_t sig_len)
{
	uint16_t m = sig_v1_auth_method(key);
	if (m == V1_AUTH_RSA_SIG)
		return sig_rsa_raw_verify(key, hash, len, sig, sig_len);
	return m != 0 && ecdsa_verify_digest(key, hash, len, sig, sig_len);
}
