/* SPDX-License-Identifier: BSD-3-Clause */
#include "esp_algo.h"

#include <stdio.h>
#include <string.h>

/*
 * The older transforms, at the end of the table below: ENCR 13 AES-CTR and 14/15/16 AES-CCM with an 8-, 12- or
 * 16-byte ICV (a 4- or 3-byte nonce salt after the key, the sequence number as IV), 3 3DES-CBC
 * (a random 8-byte IV); INTEG 1 HMAC-MD5-96, 5 AES-XCBC-MAC-96, 8 AES-CMAC-96 (16-byte keys).
 * IPsec-MB has AES-CCM with 128- and 256-bit keys only.
 */
#define ALG(nm, ci, klen, salt, iv, align, encr, bits, in, ikey, icv, iid)                                     \
	{ .name = nm, .cipher = ci, .integ = in, .enc_key_len = klen, .salt_len = salt, .integ_key_len = ikey,  \
	  .iv_len = iv, .icv_len = icv, .pad_align = align, .ike_encr = encr, .ike_integ = iid, .key_bits = bits }
#define ALG_(...) ALG(__VA_ARGS__)
#define M_SHA1 ESP_INTEG_SHA1_96, 20, 12, 2
#define M_SHA256 ESP_INTEG_SHA256_128, 32, 16, 12
#define M_SHA384 ESP_INTEG_SHA384_192, 48, 24, 13
#define M_SHA512 ESP_INTEG_SHA512_256, 64, 32, 14
#define M_MD5 ESP_INTEG_MD5_96, 16, 12, 1
#define M_XCBC ESP_INTEG_AES_XCBC_96, 16, 12, 5
#define M_CMAC ESP_INTEG_AES_CMAC_96, 16, 12, 8
/* the cipher with each integrity algorithm dpike had none with before */
#define WITH_NEW_MACS(pre, ...)                                                                                \
	ALG_(pre "-md5", __VA_ARGS__, M_MD5), ALG_(pre "-aesxcbc", __VA_ARGS__, M_XCBC),                           \
		ALG_(pre "-aescmac", __VA_ARGS__, M_CMAC)
#define WITH_EVERY_MAC(pre, ...)                                                                               \
	ALG_(pre "-sha1", __VA_ARGS__, M_SHA1), ALG_(pre "-sha256", __VA_ARGS__, M_SHA256),                        \
		ALG_(pre "-sha384", __VA_ARGS__, M_SHA384), ALG_(pre "-sha512", __VA_ARGS__, M_SHA512),            \
		WITH_NEW_MACS(pre, __VA_ARGS__)
#define CCM(bits, icv, encr)                                                                                   \
	ALG("aes" #bits "ccm" #icv, ESP_CIPHER_AES_CCM, bits / 8, 3, 8, 4, encr, bits, ESP_INTEG_NONE, 0, icv, 0)

/*
 * IKEv2 transform IDs (RFC 7296, RFC 4106, RFC 7634, RFC 4868, RFC 2410): ENCR 12 CBC, 18/19/20
 * GCM with an 8-, 12- or 16-byte ICV, 28 ChaCha20-Poly1305, 11 NULL (integrity only); INTEG 2
 * HMAC-SHA1-96, 12 HMAC-SHA2-256-128, 13 HMAC-SHA2-384-192, 14 HMAC-SHA2-512-256 (the integrity
 * key as long as the hash, the ICV half of it). New entries go at the end: tests and benchmarks
 * name the first ones by index.
 */
const struct esp_algo esp_algos[] = {
	{ "aes128gcm16", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 16, 4, 0, 8, 16, 4, 20, 0, 128 },
	{ "aes256gcm16", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 32, 4, 0, 8, 16, 4, 20, 0, 256 },
	{ "aes128-sha256", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA256_128, 16, 0, 32, 16, 16, 16, 12, 12, 128 },
	{ "aes256-sha256", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA256_128, 32, 0, 32, 16, 16, 16, 12, 12, 256 },
	{ "aes128-sha1", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA1_96, 16, 0, 20, 16, 12, 16, 12, 2, 128 },
	{ "aes256-sha1", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA1_96, 32, 0, 20, 16, 12, 16, 12, 2, 256 },
	{ "chacha20poly1305", ESP_CIPHER_CHACHA20_POLY1305, ESP_INTEG_NONE, 32, 4, 0, 8, 16, 4, 28, 0, 256 },
	{ "aes192gcm16", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 24, 4, 0, 8, 16, 4, 20, 0, 192 },
	{ "aes192-sha256", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA256_128, 24, 0, 32, 16, 16, 16, 12, 12, 192 },
	{ "aes192-sha1", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA1_96, 24, 0, 20, 16, 12, 16, 12, 2, 192 },
	{ "aes128-sha384", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA384_192, 16, 0, 48, 16, 24, 16, 12, 13, 128 },
	{ "aes192-sha384", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA384_192, 24, 0, 48, 16, 24, 16, 12, 13, 192 },
	{ "aes256-sha384", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA384_192, 32, 0, 48, 16, 24, 16, 12, 13, 256 },
	{ "aes128-sha512", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA512_256, 16, 0, 64, 16, 32, 16, 12, 14, 128 },
	{ "aes192-sha512", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA512_256, 24, 0, 64, 16, 32, 16, 12, 14, 192 },
	{ "aes256-sha512", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA512_256, 32, 0, 64, 16, 32, 16, 12, 14, 256 },
	{ "aes128gcm8", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 16, 4, 0, 8, 8, 4, 18, 0, 128 },
	{ "aes192gcm8", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 24, 4, 0, 8, 8, 4, 18, 0, 192 },
	{ "aes256gcm8", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 32, 4, 0, 8, 8, 4, 18, 0, 256 },
	{ "aes128gcm12", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 16, 4, 0, 8, 12, 4, 19, 0, 128 },
	{ "aes192gcm12", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 24, 4, 0, 8, 12, 4, 19, 0, 192 },
	{ "aes256gcm12", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 32, 4, 0, 8, 12, 4, 19, 0, 256 },
	{ "null-sha1", ESP_CIPHER_NULL, ESP_INTEG_SHA1_96, 0, 0, 20, 0, 12, 4, 11, 2, 0 },
	{ "null-sha256", ESP_CIPHER_NULL, ESP_INTEG_SHA256_128, 0, 0, 32, 0, 16, 4, 11, 12, 0 },
	{ "null-sha384", ESP_CIPHER_NULL, ESP_INTEG_SHA384_192, 0, 0, 48, 0, 24, 4, 11, 13, 0 },
	{ "null-sha512", ESP_CIPHER_NULL, ESP_INTEG_SHA512_256, 0, 0, 64, 0, 32, 4, 11, 14, 0 },
	WITH_NEW_MACS("aes128", ESP_CIPHER_AES_CBC, 16, 0, 16, 16, 12, 128),
	WITH_NEW_MACS("aes192", ESP_CIPHER_AES_CBC, 24, 0, 16, 16, 12, 192),
	WITH_NEW_MACS("aes256", ESP_CIPHER_AES_CBC, 32, 0, 16, 16, 12, 256),
	WITH_NEW_MACS("null", ESP_CIPHER_NULL, 0, 0, 0, 4, 11, 0),
	WITH_EVERY_MAC("aes128ctr", ESP_CIPHER_AES_CTR, 16, 4, 8, 4, 13, 128),
	WITH_EVERY_MAC("aes192ctr", ESP_CIPHER_AES_CTR, 24, 4, 8, 4, 13, 192),
	WITH_EVERY_MAC("aes256ctr", ESP_CIPHER_AES_CTR, 32, 4, 8, 4, 13, 256),
	WITH_EVERY_MAC("3des", ESP_CIPHER_3DES, 24, 0, 8, 8, 3, 0),
	CCM(128, 8, 14),
	CCM(128, 12, 15),
	CCM(128, 16, 16),
	CCM(256, 8, 14),
	CCM(256, 12, 15),
	CCM(256, 16, 16),
};
const int esp_algo_count = sizeof(esp_algos) / sizeof(esp_algos[0]);

/* Other spellings swanctl accepts for the same algorithm, either half of a token. */
static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "aes", "aes128" },
	{ "aesgcm16", "aes128gcm16" },
	{ "aes128gcm128", "aes128gcm16" },
	{ "aes192gcm128", "aes192gcm16" },
	{ "aes256gcm128", "aes256gcm16" },
	{ "aes128gcm64", "aes128gcm8" },
	{ "aes192gcm64", "aes192gcm8" },
	{ "aes256gcm64", "aes256gcm8" },
	{ "aes128gcm96", "aes128gcm12" },
	{ "aes192gcm96", "aes192gcm12" },
	{ "aes256gcm96", "aes256gcm12" },
	{ "aes128ccm64", "aes128ccm8" },
	{ "aes128ccm96", "aes128ccm12" },
	{ "aes128ccm128", "aes128ccm16" },
	{ "aes256ccm64", "aes256ccm8" },
	{ "aes256ccm96", "aes256ccm12" },
	{ "aes256ccm128", "aes256ccm16" },
	{ "sha", "sha1" },
	{ "sha2_256", "sha256" },
	{ "sha2_384", "sha384" },
	{ "sha2_512", "sha512" },
};

static const char *canonical(const char *part)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(part, aliases[i].alias) == 0)
			return aliases[i].name;
	return part;
}

int esp_algo_parse(const char *token)
{
	char enc[32], name[64];
	const char *dash = strchr(token, '-');
	size_t enc_len = dash ? (size_t)(dash - token) : strlen(token);
	if (enc_len >= sizeof(enc))
		return -1;
	memcpy(enc, token, enc_len);
	enc[enc_len] = '\0';
	if (dash)
		snprintf(name, sizeof(name), "%s-%s", canonical(enc), canonical(dash + 1));
	else
		snprintf(name, sizeof(name), "%s", canonical(enc));
	for (int i = 0; i < esp_algo_count; i++)
		if (strcmp(name, esp_algos[i].name) == 0)
			return i;
	return -1;
}

int esp_algo_from_ike(uint16_t encr, uint16_t key_bits, uint16_t integ)
{
	for (int i = 0; i < esp_algo_count; i++) {
		const struct esp_algo *a = &esp_algos[i];
		if (a->ike_encr == encr && a->ike_integ == integ && (encr == 28 || a->key_bits == key_bits))
			return i;
	}
	return -1;
}
