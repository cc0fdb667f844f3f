/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-CBC (or NULL encryption) with HMAC through IPsec-MB's cipher-only and hash-only burst
 * calls: a burst's jobs are filled as its packets are framed and run at esp_flush(), the cipher
 * over all of them and then the HMAC over all of them (inbound the other way round). The chained
 * job manager did the same work job by job, moving each from the cipher lanes to the hash lanes,
 * and cost 40-50 cycles more a packet at every size (dpike-bench-cbc; docs/PERFORMANCE.md,
 * session 17).
 *
 * Where the CPU has the SHA extensions, a manager whose HMAC code uses them may beat the sixteen
 * AVX-512 lanes, or not: on an AMD Zen 4, HMAC-SHA2-256 took 230 cycles for a 64-byte packet
 * against 300 (the same at 1400 bytes), HMAC-SHA1 1,270 cycles at 1400 bytes against 680. Each
 * worker times both at start-up, for each HMAC, short messages and long, and runs a burst on the
 * faster for its HMAC and its mean length.
 */
#include <rte_cycles.h>

#include "esp.h"
#include "esp_internal.h"

void esp_cbc_submit(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk)
{
	pk->status = DP_DROP_ESP_CRYPTO; /* until its burst completes */
	IMB_JOB *job = &c->cbc_jobs[c->n_cbc++];
	sa->job(sa, job, pk);
}

static IMB_KEY_SIZE_BYTES key_size(const IMB_JOB *job)
{
	return (IMB_KEY_SIZE_BYTES)job->key_len_in_bytes;
}

static bool same_burst(const IMB_JOB *a, const IMB_JOB *b)
{
	return a->cipher_mode == b->cipher_mode && a->key_len_in_bytes == b->key_len_in_bytes &&
	       a->hash_alg == b->hash_alg && a->cipher_direction == b->cipher_direction;
}

/* NULL encryption (RFC 2410) leaves the text as it is: only the HMAC runs. */
static uint32_t run_cipher(struct esp_ctx *c, IMB_JOB jobs[], uint32_t n)
{
	if (jobs[0].cipher_mode == IMB_CIPHER_NULL)
		return n;
	return IMB_SUBMIT_CIPHER_BURST(c->mgr, jobs, n, IMB_CIPHER_CBC, jobs[0].cipher_direction, key_size(&jobs[0]));
}

static uint32_t run_hash_on(IMB_MGR *m, IMB_JOB jobs[], uint32_t n)
{
	return IMB_SUBMIT_HASH_BURST(m, jobs, n, jobs[0].hash_alg);
}

/* IPsec-MB's name for each HMAC of ESP, and its ICV (RFC 2404, RFC 4868). */
static const struct {
	IMB_HASH_ALG hash;
	uint8_t icv_len;
} hmacs[ESP_INTEG_COUNT] = {
	[ESP_INTEG_SHA1_96] = { IMB_AUTH_HMAC_SHA_1, 12 },
	[ESP_INTEG_SHA256_128] = { IMB_AUTH_HMAC_SHA_256, 16 },
	[ESP_INTEG_SHA384_192] = { IMB_AUTH_HMAC_SHA_384, 24 },
	[ESP_INTEG_SHA512_256] = { IMB_AUTH_HMAC_SHA_512, 32 },
};

static enum esp_integ integ_of(IMB_HASH_ALG hash)
{
	for (int h = ESP_INTEG_SHA1_96; h < ESP_INTEG_COUNT; h++)
		if (hmacs[h].hash == hash)
			return (enum esp_integ)h;
	return ESP_INTEG_NONE;
}

/* On the code timed faster for the HMAC and for messages of about this burst's length. */
static uint32_t run_hash(struct esp_ctx *c, IMB_JOB jobs[], uint32_t n)
{
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < n; i++)
		bytes += jobs[i].msg_len_to_hash_in_bytes;
	bool long_msgs = bytes > (uint64_t)n * ESP_HMAC_LONG;
	return run_hash_on(c->hmac_mgr[integ_of(jobs[0].hash_alg)][long_msgs], jobs, n);
}

/* Jobs of one cipher key size, HMAC and direction; a burst IPsec-MB refuses is dropped whole. */
static void run_burst(struct esp_ctx *c, IMB_JOB jobs[], uint32_t n)
{
	bool ok;
	if (jobs[0].cipher_direction == IMB_DIR_ENCRYPT) /* encrypt, then MAC the ciphertext */
		ok = run_cipher(c, jobs, n) == n && run_hash(c, jobs, n) == n;
	else /* the tag is compared later (esp_in.c): decrypting a forgery costs time, never data */
		ok = run_hash(c, jobs, n) == n && run_cipher(c, jobs, n) == n;
	if (!ok)
		return;
	for (uint32_t i = 0; i < n; i++)
		((struct esp_pkt *)jobs[i].user_data)->status = 0;
}

static void swap_jobs(IMB_JOB *a, IMB_JOB *b)
{
	IMB_JOB t = *a;
	*a = *b;
	*b = t;
}

void esp_cbc_flush(struct esp_ctx *c)
{
	IMB_JOB *jobs = c->cbc_jobs;
	uint16_t n = c->n_cbc;
	c->n_cbc = 0;
	/* A worker's SAs rarely mix key sizes or HMACs in a burst: bring each kind together. */
	for (uint16_t i = 0; i < n;) {
		uint16_t k = i + 1;
		for (uint16_t j = k; j < n; j++)
			if (same_burst(&jobs[j], &jobs[i]))
				swap_jobs(&jobs[j], &jobs[k++]);
		run_burst(c, &jobs[i], k - i);
		i = k;
	}
}

/* TSC cycles the manager's HMAC takes for a full burst of len-byte messages, the best of some rounds. */
static uint64_t time_hmac(IMB_MGR *m, enum esp_integ integ, IMB_JOB jobs[], uint32_t len)
{
	static const uint8_t state[64] __rte_aligned(16), buf[ESP_HMAC_LONG_AT];
	uint8_t tag[32];
	for (unsigned i = 0; i < ESP_MAX_BURST; i++)
		jobs[i] = (IMB_JOB){ .src = buf, .hash_alg = hmacs[integ].hash, .msg_len_to_hash_in_bytes = len,
				     .auth_tag_output = tag, .auth_tag_output_len_in_bytes = hmacs[integ].icv_len,
				     .u.HMAC = { ._hashed_auth_key_xor_ipad = state, ._hashed_auth_key_xor_opad = state } };
	uint64_t best = UINT32_MAX;
	for (unsigned r = 0; r < 4; r++) {
		uint64_t t0 = rte_rdtsc_precise();
		if (run_hash_on(m, jobs, ESP_MAX_BURST) != ESP_MAX_BURST)
			return UINT32_MAX; /* refused: never the faster */
		uint64_t t = rte_rdtsc_precise() - t0;
		best = t < best ? t : best;
	}
	return best;
}

IMB_MGR *esp_cbc_faster_hmac(struct esp_ctx *c, enum esp_integ integ, uint32_t len, IMB_MGR *a, IMB_MGR *b)
{
	uint64_t ta = 0, tb = 0;
	for (unsigned k = 0; k < 3; k++) { /* interleaved: the machine's pace drifts */
		ta += time_hmac(a, integ, c->cbc_jobs, len);
		tb += time_hmac(b, integ, c->cbc_jobs, len);
	}
	return tb < ta ? b : a;
}
