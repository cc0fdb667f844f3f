/* SPDX-License-Identifier: BSD-3-Clause */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init and friends: no EVP dispatch for a few short hashes */
#include "mschapv2_keys.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/sha.h>

/* The legacy algorithms in a context of their own: the process's default context is left as it is. */
static OSSL_LIB_CTX *legacy_ctx(void)
{
	static OSSL_LIB_CTX *ctx;
	static bool tried;
	if (!tried) {
		tried = true;
		ctx = OSSL_LIB_CTX_new();
		if (ctx && (!OSSL_PROVIDER_load(ctx, "legacy") || !OSSL_PROVIDER_load(ctx, "default"))) {
			OSSL_LIB_CTX_free(ctx);
			ctx = NULL;
		}
	}
	return ctx;
}

static bool md4(const uint8_t *data, size_t len, uint8_t out[16])
{
	OSSL_LIB_CTX *ctx = legacy_ctx();
	EVP_MD *md = ctx ? EVP_MD_fetch(ctx, "MD4", NULL) : NULL;
	unsigned n = 0;
	bool ok = md && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == 16;
	EVP_MD_free(md);
	return ok;
}

/* UTF-8 to UTF-16LE, characters of the Basic Multilingual Plane and surrogate pairs beyond it. */
static bool utf16le(const uint8_t *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		uint32_t c = s[i], extra = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 4;
		if (extra == 4 || extra > len - i - 1)
			return false;
		c &= extra ? 0x3fu >> extra : 0x7f;
		for (uint32_t k = 1; k <= extra; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		i += extra + 1;
		uint16_t units[2] = { (uint16_t)c, 0 };
		int n = 1;
		if (c >= 0x10000) {
			units[0] = (uint16_t)(0xd800 | (c - 0x10000) >> 10);
			units[1] = (uint16_t)(0xdc00 | ((c - 0x10000) & 0x3ff));
			n = 2;
		}
		for (int k = 0; k < n; k++) {
			if (o + 2 > cap)
				return false;
			out[o++] = (uint8_t)units[k];
			out[o++] = (uint8_t)(units[k] >> 8);
		}
	}
	*out_len = o;
	return true;
}

bool mschapv2_nt_hash(const uint8_t *password, size_t len, uint8_t hash[16])
{
	uint8_t wide[2 * 256 * 2];
	size_t n = 0;
	bool ok = len <= 256 && utf16le(password, len, wide, sizeof(wide), &n) && md4(wide, n, hash);
	OPENSSL_cleanse(wide, sizeof(wide));
	return ok;
}

/* RFC 2759 8.2: the first 8 bytes of SHA-1(PeerChallenge | AuthenticatorChallenge | UserName). */
static void challenge_hash(const uint8_t peer[16], const uint8_t auth[16], const uint8_t *user, size_t user_len,
			   uint8_t out[8])
{
	SHA_CTX s;
	uint8_t digest[SHA_DIGEST_LENGTH];
	SHA1_Init(&s);
	SHA1_Update(&s, peer, 16);
	SHA1_Update(&s, auth, 16);
	SHA1_Update(&s, user, user_len);
	SHA1_Final(digest, &s);
	memcpy(out, digest, 8);
}

/* Seven key bytes spread over eight, each with its low bit free for parity (RFC 2759 8.6). */
static void des_key(const uint8_t in[7], uint8_t out[8])
{
	uint64_t bits = 0;
	for (int i = 0; i < 7; i++)
		bits = bits << 8 | in[i];
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(bits >> (49 - 7 * i) << 1);
}

/* RFC 2759 8.5: the challenge DES-encrypted under each third of the zero-padded 21-byte hash. */
static bool challenge_response(const uint8_t challenge[8], const uint8_t hash[16], uint8_t out[24])
{
	uint8_t padded[21] = { 0 }, key[8];
	OSSL_LIB_CTX *ctx = legacy_ctx();
	EVP_CIPHER *des = ctx ? EVP_CIPHER_fetch(ctx, "DES-ECB", NULL) : NULL;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	bool ok = des && x;
	memcpy(padded, hash, 16);
	for (int i = 0; ok && i < 3; i++) {
		int n = 0;
		des_key(padded + 7 * i, key);
		ok = EVP_EncryptInit_ex(x, des, NULL, key, NULL) == 1 && EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
		     EVP_EncryptUpdate(x, out + 8 * i, &n, challenge, 8) == 1 && n == 8;
	}
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(des);
	OPENSSL_cleanse(padded, sizeof(padded));
	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}

bool mschapv2_nt_response(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16], const uint8_t *user,
			  size_t user_len, const uint8_t nt_hash[16], uint8_t out[MSCHAPV2_NT_RESPONSE_LEN])
{
	uint8_t c[8];
	challenge_hash(peer_challenge, auth_challenge, user, user_len, c);
	return challenge_response(c, nt_hash, out);
}

static const char SERVER_SIGNING[] = "Magic server to client signing constant";
static const char ONE_MORE_ROUND[] = "Pad to make it do more than one iteration";
static const char MASTER_KEY[] = "This is the MPPE Master Key";
static const char CLIENT_SEND[] = "On the client side, this is the send key; on the server side, it is the receive key.";
static const char CLIENT_RECEIVE[] = "On the client side, this is the receive key; on the server side, it is the send key.";

/* SHA-1(MD4(nt_hash) | NT-Response | magic): the first step of both the response and the keys. */
static bool hash_hash_digest(const uint8_t nt_hash[16], const uint8_t nt_response[24], const char *magic,
			     uint8_t out[SHA_DIGEST_LENGTH])
{
	uint8_t hash_hash[16];
	SHA_CTX s;
	if (!md4(nt_hash, 16, hash_hash))
		return false;
	SHA1_Init(&s);
	SHA1_Update(&s, hash_hash, 16);
	SHA1_Update(&s, nt_response, 24);
	SHA1_Update(&s, magic, strlen(magic));
	SHA1_Final(out, &s);
	OPENSSL_cleanse(hash_hash, sizeof(hash_hash));
	OPENSSL_cleanse(&s, sizeof(s));
	return true;
}

bool mschapv2_auth_response(const uint8_t nt_hash[16], const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
			    const uint8_t peer_challenge[16], const uint8_t auth_challenge[16], const uint8_t *user,
			    size_t user_len, char out[MSCHAPV2_AUTH_RESPONSE_LEN])
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t digest[SHA_DIGEST_LENGTH], c[8];
	SHA_CTX s;
	if (!hash_hash_digest(nt_hash, nt_response, SERVER_SIGNING, digest))
		return false;
	challenge_hash(peer_challenge, auth_challenge, user, user_len, c);
	SHA1_Init(&s);
	SHA1_Update(&s, digest, sizeof(digest));
	SHA1_Update(&s, c, 8);
	SHA1_Update(&s, ONE_MORE_ROUND, strlen(ONE_MORE_ROUND));
	SHA1_Final(digest, &s);
	out[0] = 'S';
	out[1] = '=';
	for (int i = 0; i < SHA_DIGEST_LENGTH; i++) {
		out[2 + 2 * i] = hex[digest[i] >> 4];
		out[3 + 2 * i] = hex[digest[i] & 15];
	}
	return true;
}

/* RFC 3079 3.4 GetAsymmetricStartKey: SHA-1(MasterKey | 40 x 0x00 | magic | 40 x 0xf2), 16 bytes. */
static void start_key(const uint8_t master[16], const char *magic, uint8_t out[16])
{
	uint8_t pad1[40], pad2[40], digest[SHA_DIGEST_LENGTH];
	SHA_CTX s;
	memset(pad1, 0, sizeof(pad1));
	memset(pad2, 0xf2, sizeof(pad2));
	SHA1_Init(&s);
	SHA1_Update(&s, master, 16);
	SHA1_Update(&s, pad1, sizeof(pad1));
	SHA1_Update(&s, magic, strlen(magic));
	SHA1_Update(&s, pad2, sizeof(pad2));
	SHA1_Final(digest, &s);
	memcpy(out, digest, 16);
	OPENSSL_cleanse(digest, sizeof(digest));
	OPENSSL_cleanse(&s, sizeof(s));
}

bool mschapv2_msk(const uint8_t nt_hash[16], const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
		  uint8_t msk[MSCHAPV2_MSK_LEN])
{
	uint8_t master[SHA_DIGEST_LENGTH];
	if (!hash_hash_digest(nt_hash, nt_response, MASTER_KEY, master))
		return false;
	memset(msk, 0, MSCHAPV2_MSK_LEN);
	start_key(master, CLIENT_SEND, msk);
	start_key(master, CLIENT_RECEIVE, msk + 16);
	OPENSSL_cleanse(master, sizeof(master));
	return true;
}

void mschapv2_user_name(const uint8_t *identity, size_t len, const uint8_t **user, size_t *user_len)
{
	const uint8_t *slash = memchr(identity, '\\', len);
	*user = slash ? slash + 1 : identity;
	*user_len = slash ? len - (size_t)(slash + 1 - identity) : len;
}
