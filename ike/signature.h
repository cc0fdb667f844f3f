/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signatures for IKE authentication, shared by both versions: the schemes of IKEv2's AUTH
 * methods 1, 9-11 (RFC 7296 3.8, RFC 4754) and 14 (RFC 7427, RFC 8420), and IKEv1's RSA
 * signature (RFC 2409 5.1). OpenSSL does the arithmetic.
 */
#ifndef DPIKE_IKE_SIGNATURE_H
#define DPIKE_IKE_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* RFC 7427 hash algorithm identifiers (SIGNATURE_HASH_ALGORITHMS), and RFC 8420's "Identity". */
enum sig_hash { SIG_HASH_NONE = 0, SIG_HASH_SHA1 = 1, SIG_HASH_SHA256 = 2, SIG_HASH_SHA384 = 3, SIG_HASH_SHA512 = 4,
		SIG_HASH_IDENTITY = 5 };
#define SIG_HASH_BIT(h) (1u << (h))
/* What we announce and accept in RFC 7427 signatures: SHA-2 and Identity (SHA-1 is too weak, RFC 8247). */
#define SIG_HASHES_OURS (SIG_HASH_BIT(SIG_HASH_SHA256) | SIG_HASH_BIT(SIG_HASH_SHA384) | \
			 SIG_HASH_BIT(SIG_HASH_SHA512) | SIG_HASH_BIT(SIG_HASH_IDENTITY))

enum sig_kind { SIG_RSA_PKCS1, SIG_RSA_PSS, SIG_ECDSA, SIG_EDDSA };

/* ECDSA signatures are DER (RFC 7427) or r|s of the curve's size (RFC 4754); ECDSA_RAW converts. */
struct sig_scheme {
	enum sig_kind kind;
	enum sig_hash hash; /* SIG_HASH_IDENTITY for EdDSA */
	bool ecdsa_raw;
};

#define SIG_MAX_LEN 1024 /* RSA up to 8192 bits */

const char *sig_scheme_name(const struct sig_scheme *s, char *buf, size_t len);
/* The key's algorithm: RSA, ECDSA (EC), EdDSA (Ed25519, Ed448); false for others. */
bool sig_kind_of_key(EVP_PKEY *key, enum sig_kind *kind);
/* The hash that matches an ECDSA key's curve (RFC 4754): SHA-256 for P-256, and so on. */
enum sig_hash sig_ecdsa_curve_hash(EVP_PKEY *key);

bool sig_sign(EVP_PKEY *key, const struct sig_scheme *s, const uint8_t *data, size_t len, uint8_t *out,
	      size_t *out_len);
bool sig_verify(EVP_PKEY *key, const struct sig_scheme *s, const uint8_t *data, size_t len, const uint8_t *sig,
		size_t sig_len);

/* RFC 7427's AlgorithmIdentifier (DER) for signing with key under s. */
bool sig_algorithm_id(EVP_PKEY *key, const struct sig_scheme *s, uint8_t *out, size_t *len);
/* The scheme an AlgorithmIdentifier names; false for one we do not support. */
bool sig_scheme_from_algorithm_id(const uint8_t *der, size_t len, struct sig_scheme *s);

/*
 * IKEv1's RSA signature (RFC 2409 5.1): the PRF output itself, PKCS#1 v1.5 padded, without a
 * DigestInfo, as every IKEv1 implementation does.
 */
bool sig_rsa_raw_sign(EVP_PKEY *key, const uint8_t *hash, size_t len, uint8_t *out, size_t *out_len);
bool sig_rsa_raw_verify(EVP_PKEY *key, const uint8_t *hash, size_t len, const uint8_t *sig, size_t sig_len);

/*
 * IKEv1's authentication method for signatures with this key: RSA (3), or ECDSA on P-256, P-384
 * or P-521 (RFC 4754: 9, 10, 11); 0 for keys IKEv1 cannot sign with. sig_v1_sign() and
 * sig_v1_verify() sign HASH_I / HASH_R as that method does: RSA raw (above), ECDSA over the PRF
 * output itself (not hashed again), r|s of the curve's size.
 */
uint16_t sig_v1_auth_method(EVP_PKEY *key);
bool sig_v1_sign(EVP_PKEY *key, const uint8_t *hash, size_t len, uint8_t *out, size_t *out_len);
bool sig_v1_verify(EVP_PKEY *key, const uint8_t *hash, size_t len, const uint8_t *sig, size_t sig_len);

#endif
