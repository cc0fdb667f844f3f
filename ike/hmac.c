/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * On OpenSSL's SHA compression functions rather than EVP: EVP's digest init, update and final
 * cost some 250 cycles of dispatch each where a SHA-256 block takes about 120 with the SHA
 * extensions, and its HMAC also copies and frees contexts per call. A handshake makes a dozen
 * or more MACs (SKEYSEED, prf+, AUTH, the child's keys). MD5 is for IKEv1 peers that know
 * nothing newer. These functions are deprecated in
 * OpenSSL 3.0 and kept throughout 3.x.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "hmac.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#define HMAC_MAX_BLOCK 128

static void state_init(int nid, union hmac_state *s)
{
	switch (nid) {
	case NID_md5: MD5_Init(&s->md5); break;
	case NID_sha1: SHA1_Init(&s->sha1); break;
	case NID_sha224: SHA224_Init(&s->sha256); break;
	case NID_sha256: SHA256_Init(&s->sha256); break;
	case NID_sha384: SHA384_Init(&s->sha512); break;
	default: SHA512_Init(&s->sha512); break;
	}
}

static void state_update(int nid, union hmac_state *s, const void *data, size_t len)
{
	switch (nid) {
	case NID_md5: MD5_Update(&s->md5, data, len); break;
	case NID_sha1: SHA1_Update(&s->sha1, data, len); break;
	case NID_sha224:
	case NID_sha256: SHA256_Update(&s->sha256, data, len); break;
	default: SHA512_Update(&s->sha512, data, len); break;
	}
}

static void state_final(int nid, union hmac_state *s, uint8_t *out)
{
	switch (nid) {
	case NID_md5: MD5_Final(out, &s->md5); break;
	case NID_sha1: SHA1_Final(out, &s->sha1); break;
	case NID_sha224: SHA224_Final(out, &s->sha256); break;
	case NID_sha256: SHA256_Final(out, &s->sha256); break;
	case NID_sha384: SHA384_Final(out, &s->sha512); break;
	default: SHA512_Final(out, &s->sha512); break;
	}
}

static size_t block_size(int nid)
{
	switch (nid) {
	case NID_md5:
	case NID_sha1:
	case NID_sha224:
	case NID_sha256: return 64;
	case NID_sha384:
	case NID_sha512: return 128;
	default: return 0;
	}
}

/* The padded key block hashed into s. */
static void absorb_pad(int nid, union hmac_state *s, const uint8_t *k0, size_t block, uint8_t pad_byte)
{
	uint8_t pad[HMAC_MAX_BLOCK];
	for (size_t i = 0; i < block; i++)
		pad[i] = k0[i] ^ pad_byte;
	state_init(nid, s);
	state_update(nid, s, pad, block);
	OPENSSL_cleanse(pad, sizeof(pad));
}

bool hmac_key_set(struct hmac_key *k, const EVP_MD *md, const uint8_t *key, size_t key_len)
{
	int nid = md ? EVP_MD_get_type(md) : NID_undef;
	size_t block = block_size(nid);
	if (block == 0)
		return false;
	k->nid = nid;
	k->out_len = (size_t)EVP_MD_get_size(md);
	uint8_t k0[HMAC_MAX_BLOCK] = { 0 };
	if (key_len > block) { /* K0 = H(K) */
		state_init(nid, &k->inner);
		state_update(nid, &k->inner, key, key_len);
		state_final(nid, &k->inner, k0);
	} else if (key_len > 0) {
		memcpy(k0, key, key_len);
	}
	absorb_pad(nid, &k->inner, k0, block, 0x36);
	absorb_pad(nid, &k->outer, k0, block, 0x5c);
	OPENSSL_cleanse(k0, sizeof(k0));
	return true;
}

void hmac_key_mac(const struct hmac_key *k, const uint8_t *data, size_t len, uint8_t *out)
{
	union hmac_state s = k->inner;
	uint8_t inner[SHA512_DIGEST_LENGTH];
	state_update(k->nid, &s, data, len);
	state_final(k->nid, &s, inner);
	s = k->outer;
	state_update(k->nid, &s, inner, k->out_len);
	state_final(k->nid, &s, out);
	OPENSSL_cleanse(inner, sizeof(inner));
	OPENSSL_cleanse(&s, sizeof(s));
}

void hmac_key_wipe(struct hmac_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}
