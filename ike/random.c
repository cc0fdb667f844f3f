/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Random bytes for IKE (SPIs, nonces, IVs, cookies, jitter) from a pool kept per thread and
 * filled 4 KiB at a time: RAND_bytes costs about 1.3 us a call however few bytes it returns
 * (the DRBG's locks and reseed checks), and a handshake asks half a dozen times. Bytes leave the
 * pool once and are wiped from it as they go.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto.h"

#define POOL_SIZE 4096

static _Thread_local uint8_t pool[POOL_SIZE];
static _Thread_local size_t left;

void ike_random_discard(void)
{
	OPENSSL_cleanse(pool, sizeof(pool));
	left = 0;
}

bool ike_random(void *out, size_t n)
{
	if (n > POOL_SIZE / 4)
		return RAND_bytes(out, (int)n) == 1;
	if (n > left) {
		OPENSSL_cleanse(pool, sizeof(pool));
		left = 0;
		if (RAND_bytes(pool, sizeof(pool)) != 1)
			return false;
		left = sizeof(pool);
	}
	uint8_t *p = pool + sizeof(pool) - left;
	memcpy(out, p, n);
	OPENSSL_cleanse(p, n);
	left -= n;
	return true;
}
