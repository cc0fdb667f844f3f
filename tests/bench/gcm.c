/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-GCM per call, in TSC cycles, by IPsec-MB 1.3's direct API (the code its manager picks for
 * the CPU, and its AVX2 code) and by dpike's VAES code (dataplane/gcm_vaes.c: over 256-bit
 * registers, and over 512-bit ones where the CPU has AVX-512; and what SAs with full keys run on
 * a CPU with AVX-512: dpike's short path up to 96 bytes, IPsec-MB's code past it), for ESP's text
 * lengths of a 64-byte frame's packet (52: four blocks), of 64-, 512- and 1400-byte packets, a 9000-byte jumbo frame's and others, encryption and decryption in place over
 * 32 buffers in turn (as a burst), an 8-byte AAD and a 16-byte tag. The best of several rounds,
 * each code in turn within a round (this machine's speed swings); "-" where the CPU lacks VAES.
 *   dpike-bench-gcm [ROUNDS]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#include <intel-ipsec-mb.h>

#include "dataplane/gcm_vaes.h"

#define BUFS 32
#define CALLS 4000

static uint8_t buf[BUFS][9216] __attribute__((aligned(64)));

/* DPIKE_FULL: what full-key SAs run with AVX-512, dpike's short path up to 96 bytes and IPsec-MB's code past it */
enum code { IPSEC_MB_AUTO, IPSEC_MB_AVX2, DPIKE_VAES, DPIKE_VAES_WIDE, DPIKE_FULL, CODES };
static const char *const code_names[CODES] = { "IPsec-MB (auto)", "IPsec-MB AVX2", "dpike VAES", "dpike VAES-512",
					       "full keys" };

static aes_gcm_enc_dec_t code_fn(IMB_MGR *const mgr[2], enum code c, int key_len, bool enc)
{
	if (c == DPIKE_FULL)
		return key_len == 16 ? (enc ? gcm_vaes_full128_enc : gcm_vaes_full128_dec)
				     : (enc ? gcm_vaes_full256_enc : gcm_vaes_full256_dec);
	if (c == DPIKE_VAES_WIDE)
		return key_len == 16 ? (enc ? gcm_vaes_wide128_enc : gcm_vaes_wide128_dec)
				     : (enc ? gcm_vaes_wide256_enc : gcm_vaes_wide256_dec);
	if (c == DPIKE_VAES)
		return key_len == 16 ? (enc ? gcm_vaes128_enc : gcm_vaes128_dec)
				     : (enc ? gcm_vaes256_enc : gcm_vaes256_dec);
	IMB_MGR *m = mgr[c == IPSEC_MB_AVX2];
	return key_len == 16 ? (enc ? m->gcm128_enc : m->gcm128_dec) : (enc ? m->gcm256_enc : m->gcm256_dec);
}

static uint64_t time_calls(aes_gcm_enc_dec_t fn, const struct gcm_key_data *kd, uint64_t len)
{
	static const uint8_t iv[12], aad[8];
	uint8_t tag[16];
	struct gcm_context_data ctx;
	uint64_t start = __rdtsc();
	for (int i = 0; i < CALLS; i++)
		fn(kd, &ctx, buf[i % BUFS], buf[i % BUFS], len, iv, aad, sizeof(aad), tag, sizeof(tag));
	return (__rdtsc() - start) / CALLS;
}

static void print_or_dash(bool have, uint64_t cycles)
{
	if (have)
		printf("%16lu ", cycles);
	else
		printf("%16s ", "-");
}

int main(int argc, char **argv)
{
	static const uint64_t lens[] = { 52, 68, 132, 260, 516, 1028, 1404, 2052, 8996 };
	enum { N_LENS = sizeof(lens) / sizeof(lens[0]) };
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	IMB_MGR *mgr[2] = { alloc_mb_mgr(0), alloc_mb_mgr(0) };
	if (mgr[0] == NULL || mgr[1] == NULL || rounds < 1)
		return 1;
	init_mb_mgr_auto(mgr[0], NULL);
	init_mb_mgr_avx2(mgr[1]);
	bool vaes = gcm_vaes_supported(), wide = gcm_vaes_wide_supported();
	bool full = vaes && mgr[0]->used_arch == IMB_ARCH_AVX512;
	if (full)
		gcm_vaes_full_init(mgr[0]->gcm128_enc, mgr[0]->gcm128_dec, mgr[0]->gcm256_enc, mgr[0]->gcm256_dec);
	static const uint8_t key[32] = { 1, 2, 3 };
	/* [key size][the auto manager's layout, the AVX2 layout (IPsec-MB's AVX2 code)]; own: dpike's (gcm_vaes.h) */
	struct gcm_key_data kd[2][2], own[2];
	for (int m = 0; m < 2; m++) {
		IMB_AES128_GCM_PRE(mgr[m], key, &kd[0][m]);
		IMB_AES256_GCM_PRE(mgr[m], key, &kd[1][m]);
	}
	for (int k = 0; k < 2; k++)
		gcm_vaes_keys_from_mb((uint8_t *)&own[k], &kd[k][1], 16 + 16 * (unsigned)k);
	static uint64_t best[2][2][N_LENS][CODES];
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 2; k++)
			for (int e = 0; e < 2; e++)
				for (int l = 0; l < N_LENS; l++)
					for (int c = 0; c < CODES; c++) {
						if ((c == DPIKE_VAES && !vaes) || (c == DPIKE_VAES_WIDE && !wide) ||
						    (c == DPIKE_FULL && !full))
							continue;
						const struct gcm_key_data *keys =
							c == DPIKE_VAES || c == DPIKE_VAES_WIDE ? &own[k]
							: &kd[k][c != IPSEC_MB_AUTO && c != DPIKE_FULL];
						uint64_t t = time_calls(code_fn(mgr, c, 16 + 16 * k, e), keys, lens[l]);
						if (r == 0 || t < best[k][e][l][c])
							best[k][e][l][c] = t;
					}
	printf("AES-GCM, TSC cycles a call (best of %d rounds); IPsec-MB's manager runs its %s code here\n", rounds,
	       mgr[0]->used_arch == IMB_ARCH_AVX512 ? "AVX-512" : mgr[0]->used_arch == IMB_ARCH_AVX2 ? "AVX2" : "SSE/AVX");
	printf("%-8s %-4s %6s %16s %16s %16s %16s %8s %16s\n", "key", "way", "bytes", code_names[0], code_names[1],
	       code_names[2], code_names[3], "vs best", code_names[4]);
	for (int k = 0; k < 2; k++)
		for (int e = 1; e >= 0; e--)
			for (int l = 0; l < N_LENS; l++) {
				uint64_t *b = best[k][e][l];
				uint64_t other = b[IPSEC_MB_AUTO] < b[IPSEC_MB_AVX2] ? b[IPSEC_MB_AUTO] : b[IPSEC_MB_AVX2];
				printf("%-8s %-4s %6lu %16lu %16lu ", k ? "AES-256" : "AES-128", e ? "enc" : "dec", lens[l],
				       b[IPSEC_MB_AUTO], b[IPSEC_MB_AVX2]);
				uint64_t ours = wide ? b[DPIKE_VAES_WIDE] : b[DPIKE_VAES];
				print_or_dash(vaes, b[DPIKE_VAES]);
				print_or_dash(wide, b[DPIKE_VAES_WIDE]);
				if (vaes)
					printf("%7.2fx ", (double)ours / (double)other);
				else
					printf("%8s ", "-");
				print_or_dash(full, b[DPIKE_FULL]);
				printf("\n");
			}
	free_mb_mgr(mgr[0]);
	free_mb_mgr(mgr[1]);
	return 0;
}
