/* SPDX-License-Identifier: BSD-3-Clause */
/* The ESP transforms dpike implements, named by their swanctl proposal tokens. */
#ifndef DPIKE_DP_ESP_ALGO_H
#define DPIKE_DP_ESP_ALGO_H

#include <stdint.h>

/*
 * NULL: no encryption, the integrity check alone (RFC 2410; a MUST of RFC 8221). AES-CTR
 * (RFC 3686), AES-CCM (RFC 4309), 3DES (RFC 2451), HMAC-MD5 (RFC 2403), AES-XCBC (RFC 3566)
 * and AES-CMAC (RFC 4494) are for peers that offer nothing better.
 */
enum esp_cipher {
	ESP_CIPHER_AES_GCM,
	ESP_CIPHER_AES_CBC,
	ESP_CIPHER_CHACHA20_POLY1305,
	ESP_CIPHER_NULL,
	ESP_CIPHER_AES_CTR,
	ESP_CIPHER_AES_CCM,
	ESP_CIPHER_3DES,
};
enum esp_integ {
	ESP_INTEG_NONE,
	ESP_INTEG_SHA1_96,
	ESP_INTEG_SHA256_128,
	ESP_INTEG_SHA384_192,
	ESP_INTEG_SHA512_256,
	ESP_INTEG_MD5_96,
	ESP_INTEG_AES_XCBC_96,
	ESP_INTEG_AES_CMAC_96,
};
#define ESP_INTEG_COUNT (ESP_INTEG_AES_CMAC_96 + 1)

struct esp_algo {
	const char *name;     /* canonical swanctl token */
	enum esp_cipher cipher;
	enum esp_integ integ;
	uint8_t enc_key_len;  /* cipher key without salt */
	uint8_t salt_len;     /* nonce salt appended to the key (RFC 4106, RFC 7634, RFC 3686, RFC 4309) */
	uint8_t integ_key_len;
	uint8_t iv_len;       /* explicit IV on the wire */
	uint8_t icv_len;
	uint8_t pad_align;    /* payload + 2 trailer bytes pad to this; a power of two */
	uint16_t ike_encr, ike_integ; /* IANA IKEv2 transform IDs, for the IKE issues */
	uint16_t key_bits;
};

/* The longest keying material of any transform: AES-256 with its CTR nonce and HMAC-SHA2-512. */
#define ESP_MAX_KEY_LEN (32 + 4 + 64)

extern const struct esp_algo esp_algos[];
extern const int esp_algo_count;

/* Parses an ESP algorithm token ("aes128gcm16", "aes256-sha256", ...); -1 if unknown. */
int esp_algo_parse(const char *token);

static inline int esp_algo_key_len(const struct esp_algo *a)
{
	return a->enc_key_len + a->salt_len + a->integ_key_len;
}

/* The ESP transform for negotiated IKEv2 ENCR (with key length) and INTEG IDs; -1 if dpike has none. */
int esp_algo_from_ike(uint16_t encr, uint16_t key_bits, uint16_t integ);

#endif
