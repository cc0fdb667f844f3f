/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-128-CBC + HMAC over a burst of 32 packets, each way IPsec-MB 1.3 can run it, in TSC cycles
 * per packet (encryption, then the MAC over ESP header, IV and ciphertext, as ESP does):
 *   chained jobs   the job manager (IMB_SUBMIT_BURST, then IMB_FLUSH_BURST), cipher then hash in
 *                  one job, on the code IPsec-MB picks for the CPU; what dpike did before session 17
 *   bursts         IMB_SUBMIT_CIPHER_BURST, then IMB_SUBMIT_HASH_BURST on the same code
 *   bursts, SHA-ext  the same, the hash on the SSE manager, whose HMAC code uses the CPU's SHA
 *                  extensions (dataplane/esp_cbc.c times this against the row above at start-up)
 * The best of several rounds, each way in turn within a round (this machine's speed swings); "-"
 * where IPsec-MB refused the jobs or the CPU has no SHA extensions.
 *   dpike-bench-cbc [ROUNDS]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <intel-ipsec-mb.h>

#define BURST 32
#define CALLS 2000
#define HDR 24 /* ESP header and IV, hashed, not encrypted */

static uint8_t buf[BURST][2048] __attribute__((aligned(64)));
static uint8_t tags[BURST][32], ivs[BURST][16];
static uint8_t round_keys[16 * 15] __attribute__((aligned(16))), pad[32] __attribute__((aligned(16)));
static IMB_JOB jobs[BURST];

static void fill(IMB_JOB *j, int i, uint32_t len, IMB_HASH_ALG hash)
{
	*j = (IMB_JOB){ .src = buf[i], .dst = buf[i] + HDR, .cipher_start_src_offset_in_bytes = HDR,
			.msg_len_to_cipher_in_bytes = len, .enc_keys = round_keys, .dec_keys = round_keys,
			.key_len_in_bytes = 16, .iv = ivs[i], .iv_len_in_bytes = 16, .cipher_mode = IMB_CIPHER_CBC,
			.cipher_direction = IMB_DIR_ENCRYPT, .chain_order = IMB_ORDER_CIPHER_HASH, .hash_alg = hash,
			.msg_len_to_hash_in_bytes = len + HDR, .auth_tag_output = tags[i],
			.auth_tag_output_len_in_bytes = hash == IMB_AUTH_HMAC_SHA_1 ? 12 : 16,
			.u.HMAC = { ._hashed_auth_key_xor_ipad = pad, ._hashed_auth_key_xor_opad = pad } };
}

static bool chained(IMB_MGR *m, IMB_MGR *unused, uint32_t len, IMB_HASH_ALG hash)
{
	(void)unused;
	IMB_JOB *js[BURST];
	uint32_t n = IMB_GET_NEXT_BURST(m, BURST, js);
	for (uint32_t i = 0; i < n; i++)
		fill(js[i], (int)i, len, hash);
	uint32_t done = IMB_SUBMIT_BURST(m, n, js);
	while (done < n) {
		uint32_t more = IMB_FLUSH_BURST(m, n - done, js);
		if (more == 0)
			break;
		done += more;
	}
	return n == BURST && done == n;
}

static bool bursts(IMB_MGR *m, IMB_MGR *hash_mgr, uint32_t len, IMB_HASH_ALG hash)
{
	for (int i = 0; i < BURST; i++)
		fill(&jobs[i], i, len, hash);
	return IMB_SUBMIT_CIPHER_BURST(m, jobs, BURST, IMB_CIPHER_CBC, IMB_DIR_ENCRYPT, IMB_KEY_128_BYTES) == BURST &&
	       IMB_SUBMIT_HASH_BURST(hash_mgr ? hash_mgr : m, jobs, BURST, hash) == BURST;
}

typedef bool (*way_fn)(IMB_MGR *m, IMB_MGR *hash_mgr, uint32_t len, IMB_HASH_ALG hash);

static const struct way {
	const char *name;
	way_fn fn;
	bool sha_ext;
} ways[] = {
	{ "chained jobs", chained, false },
	{ "bursts", bursts, false },
	{ "bursts, SHA-ext", bursts, true },
};
#define N_WAYS (sizeof(ways) / sizeof(ways[0]))

/* Cycles per packet of one round of a way; -1 when IPsec-MB refused it. */
static double cycles(const struct way *w, IMB_MGR *m, IMB_MGR *sse, uint32_t len, IMB_HASH_ALG hash)
{
	uint64_t t = __rdtsc();
	for (int c = 0; c < CALLS; c++)
		if (!w->fn(m, w->sha_ext ? sse : NULL, len, hash))
			return -1;
	return (double)(__rdtsc() - t) / (CALLS * BURST);
}

static const char *arch_name(IMB_ARCH a)
{
	return a == IMB_ARCH_AVX512 ? "AVX-512" : a == IMB_ARCH_AVX2 ? "AVX2" : a == IMB_ARCH_AVX ? "AVX" : "SSE";
}

static void print_cell(int width, double c)
{
	if (c < 0)
		printf(" %*s", width, "-");
	else
		printf(" %*.0f", width, c);
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 64, 512, 1408 }; /* whole blocks, as ESP pads them */
	static const struct {
		const char *name;
		IMB_HASH_ALG alg;
	} hashes[] = { { "HMAC-SHA1-96", IMB_AUTH_HMAC_SHA_1 }, { "HMAC-SHA2-256-128", IMB_AUTH_HMAC_SHA_256 } };
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	IMB_MGR *m = alloc_mb_mgr(0), *sse = alloc_mb_mgr(0);
	if (rounds < 1 || m == NULL || sse == NULL) {
		fprintf(stderr, "usage: dpike-bench-cbc [ROUNDS >= 1]\n");
		return 2;
	}
	init_mb_mgr_auto(m, NULL);
	init_mb_mgr_sse(sse);
	bool sha_ext = (m->features & IMB_FEATURE_SHANI) != 0;
	printf("AES-128-CBC + HMAC, bursts of %d packets, TSC cycles a packet (best of %d rounds); IPsec-MB %s, "
	       "its code for this CPU: %s; SHA extensions: %s\n",
	       BURST, rounds, imb_get_version_str(), arch_name(m->used_arch), sha_ext ? "yes" : "no");
	printf("%-18s %6s %14s %14s %16s\n", "HMAC", "bytes", ways[0].name, ways[1].name, ways[2].name);
	for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double c[N_WAYS];
			for (size_t w = 0; w < N_WAYS; w++)
				c[w] = 1e18;
			for (int r = 0; r < rounds; r++) /* interleaved, one round of each at a time */
				for (size_t w = 0; w < N_WAYS; w++) {
					double one = ways[w].sha_ext && !sha_ext ? -1 : cycles(&ways[w], m, sse, sizes[s], hashes[h].alg);
					c[w] = one < c[w] ? one : c[w];
				}
			printf("%-18s %6u", hashes[h].name, sizes[s]);
			print_cell(14, c[0]);
			print_cell(14, c[1]);
			print_cell(16, c[2]);
			printf("\n");
		}
	free_mb_mgr(m);
	free_mb_mgr(sse);
	return 0;
}
