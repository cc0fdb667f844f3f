/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE cryptography on OpenSSL: the PRFs and prf+ (RFC 7296 2.13), key exchange for
 * every group dpike offers, and protection of the Encrypted payload (RFC 7296 3.14,
 * RFC 5282 for AES-GCM and AES-CCM, RFC 5930 for AES-CTR, RFC 7634 for ChaCha20-Poly1305).
 */
#ifndef DPIKE_IKE_CRYPTO_H
#define DPIKE_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define IKE_MAX_PRF_LEN 64
#define IKE_MAX_KE_LEN 1024 /* MODP 8192: 8192 bits */

/* IANA PRF IDs. */
enum {
	PRF_HMAC_MD5 = 1,
	PRF_HMAC_SHA1 = 2,
	PRF_AES128_XCBC = 4,
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_384 = 6,
	PRF_HMAC_SHA2_512 = 7,
	PRF_AES128_CMAC = 8,
};
/* IANA integrity IDs. */
enum {
	AUTH_HMAC_MD5_96 = 1,
	AUTH_HMAC_SHA1_96 = 2,
	AUTH_AES_XCBC_96 = 5,
	AUTH_AES_CMAC_96 = 8,
	AUTH_HMAC_SHA2_256_128 = 12,
	AUTH_HMAC_SHA2_384_192 = 13,
	AUTH_HMAC_SHA2_512_256 = 14,
};
/* IANA encryption IDs. */
enum {
	ENCR_3DES = 3,
	ENCR_AES_CBC = 12,
	ENCR_AES_CTR = 13,
	ENCR_AES_CCM_8 = 14,
	ENCR_AES_CCM_12 = 15,
	ENCR_AES_CCM_16 = 16,
	ENCR_AES_GCM_8 = 18,
	ENCR_AES_GCM_12 = 19,
	ENCR_AES_GCM_16 = 20,
	ENCR_CHACHA20_POLY1305 = 28,
};

/* Random bytes (SPIs, nonces, IVs) from a pool kept per thread; false if the DRBG failed. */
bool ike_random(void *out, size_t n);
/*
 * Drops this thread's pool: what follows comes from OpenSSL's generator afresh (the fuzz targets
 * make that repeatable, so that each input meets the same handshake).
 */
void ike_random_discard(void);
/* The provider's implementation of a digest (EVP_sha256() and friends), fetched once per thread. */
const EVP_MD *ike_md(const EVP_MD *md);

size_t prf_output_len(uint16_t prf);
/*
 * RFC 7296 2.14: a PRF with a fixed key size (AES-XCBC, AES-CMAC) keys SKEYSEED's computation
 * with the first half of that size from each nonce, the others with Ni | Nr whole: the bytes of
 * each nonce used.
 */
size_t prf_nonce_part(uint16_t prf, size_t nonce_len);
/* HMAC with md into out (the digest's size); *out_len, if not NULL, gets that size. */
bool ike_hmac(const EVP_MD *md, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t *out,
	      size_t *out_len);
bool prf_compute(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t *out);
/* prf+ (RFC 7296 2.13): out_len bytes of T1 | T2 | ... */
bool prf_plus(uint16_t prf, const uint8_t *key, size_t key_len, const uint8_t *seed, size_t seed_len, uint8_t *out,
	      size_t out_len);

/* Key exchange. */
struct ke_state;
bool ke_supported(uint16_t group);
/* Groups 1, 2 and 5: usable only where a connection lists them. */
bool ke_weak(uint16_t group);
size_t ke_public_len(uint16_t group);
/* Creates a key pair; writes the public value as IKE carries it. NULL on failure. */
struct ke_state *ke_create(uint16_t group, uint8_t *pub, size_t *pub_len);
/* Drops this thread's X25519 key pairs made ahead (as ike_random_discard() its random pool). */
void ke_pool_discard(void);
/* Checks the peer's value (RFC 6989) and derives the shared secret, padded to its fixed length. */
bool ke_derive(struct ke_state *ke, const uint8_t *peer, size_t peer_len, uint8_t *secret, size_t *secret_len);
void ke_free(struct ke_state *ke);
/* Another handle on the same key pair (RFC 7296 2.12 reuse of a DH exponential); freed on its own. */
struct ke_state *ke_share(const struct ke_state *ke);
/*
 * From now on the key pair, and every handle ke_share() makes of it, remembers its last derived
 * secret with the peer value it came from: a peer that sends the same value again costs a
 * compare instead of a derivation. For dpike-load only (its responder may reuse a key pair too);
 * a responder's peers do not share values. False without memory.
 */
bool ke_remember_last(struct ke_state *ke);

/*
 * Derivations done together: X25519 where the CPU has AVX-512 IFMA or AVX2 (x25519_batch.c),
 * eight in about the time OpenSSL takes for two (IFMA) or five (AVX2). A responder with many IKE_SA_INIT requests in hand
 * collects them. ok and secret as ke_derive() gives them.
 */
struct ke_job {
	struct ke_state *ke;
	const uint8_t *peer;
	size_t peer_len;
	uint8_t secret[32];
	size_t secret_len;
	bool ok;
};
/* Whether ke_derive_batch() takes this pair's derivations (ke_derive() always does). */
bool ke_batchable(const struct ke_state *ke);
void ke_derive_batch(struct ke_job *jobs, unsigned n);
/*
 * ke_derive_batch(), then done(owners[i], &jobs[i]) for each, each secret wiped after; counts
 * the jobs into *batched and the call into *batches.
 */
void ke_batch_complete(struct ke_job *jobs, void *const owners[], unsigned n,
		       void (*done)(void *owner, const struct ke_job *job), uint64_t *batched, uint64_t *batches);
/* X25519 pairs and derivations through x25519_batch() where the CPU allows it (the default), or never. */
void ke_batching(bool on);

/* CBC without padding over len bytes (whole blocks) in place, on a context kept per thread. */
bool ike_cbc(const EVP_CIPHER *cipher, const uint8_t *key, const uint8_t *iv, uint8_t *data, size_t len, bool enc);

/* The transform that protects the Encrypted payload. */
struct sk_cipher {
	uint16_t encr, key_bits, integ;
	bool aead;
	size_t enc_key_len; /* including the AEAD salt */
	size_t integ_key_len, iv_len, icv_len, block;
};

bool sk_cipher_init(struct sk_cipher *c, uint16_t encr, uint16_t key_bits, uint16_t integ);
static inline bool sk_cipher_is_ccm(const struct sk_cipher *c)
{
	return c->encr == ENCR_AES_CCM_8 || c->encr == ENCR_AES_CCM_12 || c->encr == ENCR_AES_CCM_16;
}
/*
 * Encrypts in place and writes the ICV. msg holds the whole message; the IV starts at iv_off,
 * the plaintext (payloads, padding, pad length) follows it and runs for plain_len bytes; the
 * ICV goes after. AAD / integrity coverage is msg[0 .. iv_off) (header and SK header) for AEAD,
 * msg[0 .. end of ciphertext) for the others.
 */
bool sk_encrypt(const struct sk_cipher *c, const uint8_t *ekey, const uint8_t *akey, uint8_t *msg, size_t iv_off,
		size_t plain_len);
/* Checks the ICV and decrypts in place; plain_len is the ciphertext length between IV and ICV. */
bool sk_decrypt(const struct sk_cipher *c, const uint8_t *ekey, const uint8_t *akey, uint8_t *msg, size_t iv_off,
		size_t cipher_len);

#endif
