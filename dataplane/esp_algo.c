/* SPDX-License-Identifier: BSD-3-Clause */
#include "esp_algo.h"

#include <stdio.h>
#include <string.h>

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
