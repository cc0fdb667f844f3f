/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HMAC (RFC 2104) with a key made ready once: its two padded blocks are hashed into states that
 * each MAC then copies, so prf+ and the other MACs of one key skip two blocks and OpenSSL's
 * dispatch per call. MD5, SHA-1 and SHA-2, the digests of IKE's PRFs and integrity algorithms.
 */
#ifndef DPIKE_IKE_HMAC_H
#define DPIKE_IKE_HMAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/md5.h>
#include <openssl/sha.h>
#include <openssl/types.h>

union hmac_state {
	MD5_CTX md5;
	SHA_CTX sha1;
	SHA256_CTX sha256; /* and SHA-224's */
	SHA512_CTX sha512; /* and SHA-384's */
};

struct hmac_key {
	int nid; /* the digest's: NID_sha1, NID_sha256, ... */
	size_t out_len;
	union hmac_state inner, outer; /* after the blocks K0 ^ ipad, K0 ^ opad */
};

/* False for a digest other than MD5, SHA-1 and SHA-2, and if md is NULL. */
bool hmac_key_set(struct hmac_key *k, const EVP_MD *md, const uint8_t *key, size_t key_len);
/* HMAC(K, data) into out (k->out_len bytes). */
void hmac_key_mac(const struct hmac_key *k, const uint8_t *data, size_t len, uint8_t *out);
void hmac_key_wipe(struct hmac_key *k);

#endif
