/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A reference ESP implementation on OpenSSL EVP, written independently of the
 * dataplane, that the ESP unit tests check dpike against in both directions.
 */
#ifndef DPIKE_TEST_ESP_REF_H
#define DPIKE_TEST_ESP_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/esp_algo.h"

struct esp_ref {
	const struct esp_algo *alg;
	const uint8_t *key;
	uint32_t spi;
	bool tunnel, udp, esn;
	uint32_t src, dst; /* outer addresses, host order */
};

/*
 * Builds an outer IPv4 packet. For tunnel mode payload is the inner IP packet (next header 4);
 * for transport mode it is the L4 payload with next header proto. bad_pad corrupts the padding.
 */
size_t esp_ref_encrypt(const struct esp_ref *r, uint64_t seq, const uint8_t *payload, size_t len, uint8_t proto,
		       bool bad_pad, uint8_t *out, size_t cap);

/*
 * Checks and decrypts an outer IPv4 ESP packet made by dpike. Returns the payload length
 * (tunnel: the inner packet; transport: the L4 payload), -1 on any mismatch.
 */
int esp_ref_decrypt(const struct esp_ref *r, uint64_t seq, const uint8_t *pkt, size_t len, uint8_t *plain,
		    uint8_t *next_header);

/* AES-XCBC-MAC (RFC 3566), the whole 16 bytes; the reference's own, checked against the RFC's vectors. */
void esp_ref_xcbc(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t mac[16]);

#endif
