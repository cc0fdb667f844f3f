/* SPDX-License-Identifier: BSD-3-Clause */
#include "esp_ref.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const EVP_CIPHER *aead_cipher(const struct esp_algo *a)
{
	unsigned k = a->enc_key_len;
	if (a->cipher == ESP_CIPHER_CHACHA20_POLY1305)
		return EVP_chacha20_poly1305();
	if (a->cipher == ESP_CIPHER_AES_CCM)
		return k == 16 ? EVP_aes_128_ccm() : k == 24 ? EVP_aes_192_ccm() : EVP_aes_256_ccm();
	return k == 16 ? EVP_aes_128_gcm() : k == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
}

/*
 * AEAD over buf in place; enc computes tag, dec checks it. Returns 0 on success. The nonce is
 * the salt and the 8-byte IV: 12 bytes (GCM, ChaCha20-Poly1305) or 11 (CCM, RFC 4309), and CCM
 * wants its tag length, then the text's, before the AAD.
 */
static int aead(const struct esp_ref *r, bool enc, const uint8_t *aad, int aad_len, const uint8_t *iv8, uint8_t *buf,
		int len, uint8_t *tag)
{
	const struct esp_algo *a = r->alg;
	bool ccm = a->cipher == ESP_CIPHER_AES_CCM;
	uint8_t nonce[12];
	int out, ok, nonce_len = a->salt_len + 8;
	memcpy(nonce, r->key + a->enc_key_len, a->salt_len);
	memcpy(nonce + a->salt_len, iv8, 8);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	ok = EVP_CipherInit_ex(c, aead_cipher(a), NULL, NULL, NULL, enc) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, nonce_len, NULL);
	if (ok && ccm)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, a->icv_len, enc ? NULL : tag);
	ok = ok && EVP_CipherInit_ex(c, NULL, NULL, r->key, nonce, enc);
	if (ok && ccm)
		ok = EVP_CipherUpdate(c, NULL, &out, NULL, len);
	ok = ok && EVP_CipherUpdate(c, NULL, &out, aad, aad_len) && EVP_CipherUpdate(c, buf, &out, buf, len);
	if (ok && !enc && !ccm)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, a->icv_len, tag);
	ok = ok && EVP_CipherFinal_ex(c, buf + out, &out);
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, a->icv_len, tag);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static const EVP_CIPHER *plain_cipher(const struct esp_algo *a)
{
	unsigned k = a->enc_key_len;
	if (a->cipher == ESP_CIPHER_3DES)
		return EVP_des_ede3_cbc();
	if (a->cipher == ESP_CIPHER_AES_CTR)
		return k == 16 ? EVP_aes_128_ctr() : k == 24 ? EVP_aes_192_ctr() : EVP_aes_256_ctr();
	return k == 16 ? EVP_aes_128_cbc() : k == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
}

/* CBC, 3DES or AES-CTR (counter block: nonce, IV, 1 as RFC 3686 has it) over buf in place. */
static int cipher(const struct esp_ref *r, bool enc, const uint8_t *iv, uint8_t *buf, int len)
{
	const struct esp_algo *a = r->alg;
	uint8_t block[16];
	if (a->cipher == ESP_CIPHER_NULL)
		return 0;
	if (a->cipher == ESP_CIPHER_AES_CTR) {
		memcpy(block, r->key + a->enc_key_len, 4);
		memcpy(block + 4, iv, 8);
		put32(block + 12, 1);
		iv = block;
	}
	int out, ok;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	ok = EVP_CipherInit_ex(c, plain_cipher(a), NULL, r->key, iv, enc) && EVP_CIPHER_CTX_set_padding(c, 0) &&
	     EVP_CipherUpdate(c, buf, &out, buf, len) && EVP_CipherFinal_ex(c, buf + out, &out);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static void aes128_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	int n;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, out, &n, in, 16);
	EVP_CIPHER_CTX_free(c);
}

void esp_ref_xcbc(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16])
{
	uint8_t k[3][16], e[16] = { 0 }, m[16];
	for (int i = 0; i < 3; i++) {
		memset(m, i + 1, 16);
		aes128_block(key, m, k[i]); /* K1, K2, K3 */
	}
	size_t off = 0;
	for (; len - off > 16; off += 16) {
		for (int i = 0; i < 16; i++)
			m[i] = msg[off + i] ^ e[i];
		aes128_block(k[0], m, e);
	}
	size_t last = len - off; /* 1..16, or 0 for an empty message */
	memset(m, 0, 16);
	memcpy(m, msg + off, last);
	if (last < 16)
		m[last] = 0x80;
	for (int i = 0; i < 16; i++)
		m[i] ^= e[i] ^ k[last == 16 ? 1 : 2][i];
	aes128_block(k[0], m, mac);
}

static void cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("cipher", "AES-128-CBC", 0), OSSL_PARAM_END };
	size_t n = 0;
	EVP_MAC_init(c, key, 16, params);
	EVP_MAC_update(c, msg, len);
	EVP_MAC_final(c, out, &n, 16);
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
}

/* The ICV over ESP header .. ciphertext, plus the ESN high half when in use (RFC 4303 2.2.1). */
static void icv_mac(const struct esp_ref *r, uint64_t seq, const uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t buf[4096], md[64];
	unsigned int mdlen;
	const struct esp_algo *a = r->alg;
	const uint8_t *key = r->key + a->enc_key_len + a->salt_len;
	memcpy(buf, data, len);
	if (r->esn) {
		put32(buf + len, (uint32_t)(seq >> 32));
		len += 4;
	}
	static const EVP_MD *(*const md_of[ESP_INTEG_COUNT])(void) = {
		[ESP_INTEG_SHA1_96] = EVP_sha1, [ESP_INTEG_SHA256_128] = EVP_sha256,
		[ESP_INTEG_SHA384_192] = EVP_sha384, [ESP_INTEG_SHA512_256] = EVP_sha512,
		[ESP_INTEG_MD5_96] = EVP_md5,
	};
	if (a->integ == ESP_INTEG_AES_XCBC_96)
		esp_ref_xcbc(key, buf, len, md);
	else if (a->integ == ESP_INTEG_AES_CMAC_96)
		cmac(key, buf, len, md);
	else
		HMAC(md_of[a->integ](), key, a->integ_key_len, buf, len, md, &mdlen);
	memcpy(icv, md, a->icv_len);
}

static int aad_for(const struct esp_ref *r, uint64_t seq, uint8_t *aad)
{
	put32(aad, r->spi);
	if (!r->esn) {
		put32(aad + 4, (uint32_t)seq);
		return 8;
	}
	put32(aad + 4, (uint32_t)(seq >> 32));
	put32(aad + 8, (uint32_t)seq);
	return 12;
}

static size_t outer_headers(const struct esp_ref *r, uint8_t *out, size_t total, uint8_t proto)
{
	memset(out, 0, 28);
	out[0] = 0x45;
	out[2] = (uint8_t)(total >> 8);
	out[3] = (uint8_t)total;
	out[8] = 64;
	out[9] = r->udp ? 17 : proto;
	put32(out + 12, r->src);
	put32(out + 16, r->dst);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(out[i] << 8 | out[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	out[10] = (uint8_t)(~sum >> 8);
	out[11] = (uint8_t)~sum;
	if (!r->udp)
		return 20;
	out[20] = 0x11; /* 4500 */
	out[21] = 0x94;
	out[22] = 0x11;
	out[23] = 0x94;
	out[24] = (uint8_t)((total - 20) >> 8);
	out[25] = (uint8_t)(total - 20);
	return 28;
}

size_t esp_ref_encrypt(const struct esp_ref *r, uint64_t seq, const uint8_t *payload, size_t len, uint8_t proto,
		       bool bad_pad, uint8_t *out, size_t cap)
{
	const struct esp_algo *a = r->alg;
	size_t pad = (a->pad_align - (len + 2) % a->pad_align) % a->pad_align;
	if (bad_pad && pad == 0)
		pad = a->pad_align;
	size_t hdr = (r->udp ? 28 : 20), body = len + pad + 2;
	size_t total = hdr + 8 + a->iv_len + body + a->icv_len;
	if (total > cap)
		return 0;
	outer_headers(r, out, total, 50);
	uint8_t *esp = out + hdr, *iv = esp + 8, *ct = iv + a->iv_len;
	put32(esp, r->spi);
	put32(esp + 4, (uint32_t)seq);
	memcpy(ct, payload, len);
	for (size_t i = 0; i < pad; i++)
		ct[len + i] = (uint8_t)(i + 1 + (bad_pad && i == pad - 1));
	ct[len + pad] = (uint8_t)pad;
	ct[len + pad + 1] = r->tunnel ? 4 : proto;
	uint8_t *icv = ct + body;
	if (a->integ != ESP_INTEG_NONE) { /* AES-CBC or NULL */
		RAND_bytes(iv, a->iv_len);
		cipher(r, true, iv, ct, (int)body);
		icv_mac(r, seq, esp, 8 + a->iv_len + body, icv);
	} else {
		uint8_t aad[12], tag[16];
		for (int i = 0; i < 8; i++)
			iv[i] = (uint8_t)(0xa0 + i); /* any unique value is valid on the wire */
		aead(r, true, aad, aad_for(r, seq, aad), iv, ct, (int)body, tag);
		memcpy(icv, tag, a->icv_len);
	}
	return total;
}

int esp_ref_decrypt(const struct esp_ref *r, uint64_t seq, const uint8_t *pkt, size_t len, uint8_t *plain,
		    uint8_t *next_header)
{
	const struct esp_algo *a = r->alg;
	size_t hdr = (size_t)(pkt[0] & 0xf) * 4;
	if (len < hdr + 8 || get32(pkt + 12) != r->src || get32(pkt + 16) != r->dst)
		return -1;
	if (r->udp) {
		if (pkt[9] != 17 || pkt[hdr + 2] != 0x11 || pkt[hdr + 3] != 0x94)
			return -1;
		hdr += 8;
	} else if (pkt[9] != 50) {
		return -1;
	}
	const uint8_t *esp = pkt + hdr, *iv = esp + 8;
	if (len < hdr + 8 + a->iv_len + a->icv_len + 2 || get32(esp) != r->spi || get32(esp + 4) != (uint32_t)seq)
		return -1;
	size_t body = len - hdr - 8 - a->iv_len - a->icv_len;
	const uint8_t *icv = iv + a->iv_len + body;
	memcpy(plain, iv + a->iv_len, body);
	if (a->integ != ESP_INTEG_NONE) {
		uint8_t want[32];
		icv_mac(r, seq, esp, 8 + a->iv_len + body, want);
		if (memcmp(want, icv, a->icv_len) != 0 || cipher(r, false, iv, plain, (int)body) != 0)
			return -1;
	} else {
		uint8_t aad[12], tag[16];
		memcpy(tag, icv, a->icv_len);
		if (aead(r, false, aad, aad_for(r, seq, aad), iv, plain, (int)body, tag) != 0)
			return -1;
	}
	uint8_t pad = plain[body - 2];
	for (uint8_t i = 0; i < pad; i++)
		if (plain[body - 2 - pad + i] != i + 1)
			return -1;
	if ((body % a->pad_align) != 0)
		return -1;
	*next_header = plain[body - 1];
	return (int)(body - 2 - pad);
}
