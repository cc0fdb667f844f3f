/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-XCBC-MAC (RFC 3566) and AES-CMAC (RFC 4493) with AES-128, as IKE's integrity algorithms
 * (the MACs truncated to 96 bits) and PRFs (RFC 4434 and RFC 4615: the whole 128 bits, and keys
 * of any length: a shorter XCBC key is padded with zeros, any other length made 16 bytes by a
 * MAC under the zero key).
 */
#ifndef DPIKE_IKE_AES_MAC_H
#define DPIKE_IKE_AES_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AES_MAC_LEN 16

enum aes_mac { AES_MAC_XCBC, AES_MAC_CMAC };

/* The MAC of data under a key of any length, as the PRF takes it; false if OpenSSL failed. */
bool aes_mac_prf(enum aes_mac kind, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		 uint8_t out[AES_MAC_LEN]);

#endif
