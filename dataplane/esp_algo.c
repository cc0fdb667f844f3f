/* SPDX-License-Identifier: BSD-3-Clause */
#include "esp_algo.h"

#include <string.h>

/* IKEv2 transform IDs (RFC 7296, RFC 4106, RFC 7634): ENCR 12 CBC, 20 GCM-16, 28 ChaCha20-Poly1305;
 * INTEG 2 HMAC-SHA1-96, 12 HMAC-SHA2-256-128. */
const struct esp_algo esp_algos[] = {
	{ "aes128gcm16", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 16, 4, 0, 8, 16, 4, 20, 0, 128 },
	{ "aes256gcm16", ESP_CIPHER_AES_GCM, ESP_INTEG_NONE, 32, 4, 0, 8, 16, 4, 20, 0, 256 },
	{ "aes128-sha256", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA256_128, 16, 0, 32, 16, 16, 16, 12, 12, 128 },
	{ "aes256-sha256", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA256_128, 32, 0, 32, 16, 16, 16, 12, 12, 256 },
	{ "aes128-sha1", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA1_96, 16, 0, 20, 16, 12, 16, 12, 2, 128 },
	{ "aes256-sha1", ESP_CIPHER_AES_CBC, ESP_INTEG_SHA1_96, 32, 0, 20, 16, 12, 16, 12, 2, 256 },
	{ "chacha20poly1305", ESP_CIPHER_CHACHA20_POLY1305, ESP_INTEG_NONE, 32, 4, 0, 8, 16, 4, 28, 0, 256 },
};
const int esp_algo_count = sizeof(esp_algos) / sizeof(esp_algos[0]);

/* Other spellings swanctl accepts for the same transforms. */
static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "aes128gcm128", "aes128gcm16" },   { "aes256gcm128", "aes256gcm16" },
	{ "aes128-sha2_256", "aes128-sha256" }, { "aes256-sha2_256", "aes256-sha256" },
	{ "aes128-sha", "aes128-sha1" },     { "aes256-sha", "aes256-sha1" },
	{ "aes-sha256", "aes128-sha256" },   { "aes-sha1", "aes128-sha1" },
	{ "aesgcm16", "aes128gcm16" },
};

int esp_algo_parse(const char *token)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(token, aliases[i].alias) == 0)
			token = aliases[i].name;
	for (int i = 0; i < esp_algo_count; i++)
		if (strcmp(token, esp_algos[i].name) == 0)
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
