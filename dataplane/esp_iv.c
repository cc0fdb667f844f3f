/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The random bytes behind CBC's IVs (RFC 3602: unpredictable, one per packet), ESP_RAND_POOL
 * bytes at a time: the keystream of AES-128-CTR under a key of the worker's own, drawn from
 * OpenSSL's generator on first use and again every ESP_IV_RESEED refills. The pool used to be
 * refilled by RAND_bytes() itself, which cost 30-40 cycles a packet in a worker encrypting 64-byte
 * packets (OpenSSL's DRBG, a getpid() system call to detect a fork, provider lookups by name);
 * IPsec-MB's CTR makes the same 4 KiB in a fraction of that, with no system call.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "esp.h"
#include "esp_internal.h"

#define ESP_IV_RESEED 65536 /* refills on one key: 16M CBC packets */

static bool seed(struct esp_ctx *c)
{
	struct esp_iv_gen *g = &c->iv;
	uint8_t key[16];
	bool ok = RAND_bytes(key, sizeof(key)) == 1 && RAND_bytes(g->nonce, sizeof(g->nonce)) == 1;
	if (ok)
		IMB_AES_KEYEXP_128(c->mgr, key, g->enc_keys, g->dec_keys);
	OPENSSL_cleanse(key, sizeof(key));
	g->refills = 0;
	return ok;
}

bool esp_refill_random(struct esp_ctx *c)
{
	struct esp_iv_gen *g = &c->iv;
	if ((g->refills == 0 || g->refills == ESP_IV_RESEED) && !seed(c))
		return false;
	/* the counter blocks: nonce, refill number, and the block number from 1 (12-byte IV) */
	uint8_t iv[12];
	uint64_t refill = g->refills++;
	memcpy(iv, g->nonce, sizeof(g->nonce));
	memcpy(iv + sizeof(g->nonce), &refill, sizeof(refill));
	memset(c->rand_pool, 0, sizeof(c->rand_pool));
	IMB_JOB job = { .enc_keys = g->enc_keys, .dec_keys = g->dec_keys, .key_len_in_bytes = 16,
			.src = c->rand_pool, .dst = c->rand_pool, .msg_len_to_cipher_in_bytes = sizeof(c->rand_pool),
			.iv = iv, .iv_len_in_bytes = sizeof(iv), .cipher_mode = IMB_CIPHER_CNTR,
			.cipher_direction = IMB_DIR_ENCRYPT, .hash_alg = IMB_AUTH_NULL,
			.chain_order = IMB_ORDER_CIPHER_HASH };
	IMB_JOB *jobs = &job;
	if (IMB_SUBMIT_CIPHER_BURST(c->mgr, jobs, 1, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT, IMB_KEY_128_BYTES) != 1 ||
	    job.status != IMB_STATUS_COMPLETED)
		return false;
	c->rand_off = 0;
	return true;
}

void esp_iv_forget(struct esp_ctx *c)
{
	OPENSSL_cleanse(&c->iv, sizeof(c->iv));
	OPENSSL_cleanse(c->rand_pool, sizeof(c->rand_pool));
}
