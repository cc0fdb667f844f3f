/* SPDX-License-Identifier: BSD-3-Clause */
#include "aes_mac.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* One context per thread for AES-128-CBC without padding (zero IV: ECB for a single block). */
static EVP_CIPHER_CTX *cbc_ctx(void)
{
	static _Thread_local EVP_CIPHER_CTX *ctx;
	if (ctx == NULL && (ctx = EVP_CIPHER_CTX_new()) != NULL &&
	    (!EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, NULL, NULL) || !EVP_CIPHER_CTX_set_padding(ctx, 0))) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* CBC-MAC chaining under key: out = the last block of CBC over data (whole blocks), from a zero IV. */
static bool cbc_last_block(EVP_CIPHER_CTX *x, const uint8_t key[16], const uint8_t *data, size_t len, uint8_t out[16])
{
	static const uint8_t zero[16];
	uint8_t chunk[1024];
	int n;
	bool ok = EVP_EncryptInit_ex(x, NULL, NULL, key, zero) == 1;
	for (size_t off = 0; ok && off < len; off += sizeof(chunk)) {
		size_t take = len - off < sizeof(chunk) ? len - off : sizeof(chunk);
		ok = EVP_EncryptUpdate(x, chunk, &n, data + off, (int)take) == 1 && (size_t)n == take;
		if (ok)
			memcpy(out, chunk + take - 16, 16);
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return ok;
}

/*
 * RFC 3566: K1, K2, K3 = E(K, 0x01..), E(K, 0x02..), E(K, 0x03..); CBC-MAC under K1 over the
 * message, the last block XORed with K2 when whole, padded (0x80 0..) and XORed with K3 if not.
 */
static bool xcbc(const uint8_t key[16], const uint8_t *data, size_t len, uint8_t out[16])
{
	EVP_CIPHER_CTX *x = cbc_ctx();
	uint8_t k[3][16], last[16] = { 0 }, consts[3][16];
	bool ok = x != NULL;
	for (int i = 0; ok && i < 3; i++) {
		memset(consts[i], i + 1, 16);
		ok = cbc_last_block(x, key, consts[i], 16, k[i]);
	}
	size_t head = len == 0 ? 0 : (len - 1) / 16 * 16, tail = len - head; /* the last block: 1-16 bytes, none if empty */
	uint8_t chain[16] = { 0 };
	if (ok && head)
		ok = cbc_last_block(x, k[0], data, head, chain);
	if (len > 0)
		memcpy(last, data + head, tail);
	if (tail < 16)
		last[tail] = 0x80;
	for (int i = 0; i < 16; i++)
		last[i] ^= chain[i] ^ k[tail == 16 ? 1 : 2][i];
	ok = ok && cbc_last_block(x, k[0], last, 16, out);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(last, sizeof(last));
	OPENSSL_cleanse(chain, sizeof(chain));
	return ok;
}

static bool cmac(const uint8_t key[16], const uint8_t *data, size_t len, uint8_t out[16])
{
	static _Thread_local EVP_MAC *mac;
	if (mac == NULL && (mac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL)
		return false;
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0), OSSL_PARAM_END };
	size_t n = 0;
	bool ok = c != NULL && EVP_MAC_init(c, key, 16, params) == 1 && EVP_MAC_update(c, data, len) == 1 &&
		  EVP_MAC_final(c, out, &n, AES_MAC_LEN) == 1 && n == AES_MAC_LEN;
	EVP_MAC_CTX_free(c);
	return ok;
}

static bool mac(enum aes_mac kind, const uint8_t key[16], const uint8_t *data, size_t len, uint8_t out[16])
{
	return kind == AES_MAC_XCBC ? xcbc(key, data, len, out) : cmac(key, data, len, out);
}

bool aes_mac_prf(enum aes_mac kind, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		 uint8_t out[AES_MAC_LEN])
{
	static const uint8_t zero[16];
	uint8_t k[16] = { 0 };
	bool ok = true;
	if (key_len == 16 || (kind == AES_MAC_XCBC && key_len < 16))
		memcpy(k, key, key_len);
	else
		ok = mac(kind, zero, key, key_len, k);
	ok = ok && mac(kind, k, data, len, out);
	OPENSSL_cleanse(k, sizeof(k));
	return ok;
}
