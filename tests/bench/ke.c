/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cost of an X25519 key exchange each way dpike can do it: OpenSSL 3.0 (key generation and
 * derivation), x25519.c's comb for a public value, and x25519_batch() eight at a time (public
 * values by the comb, derivations by the ladder) on each vector code the CPU has (AVX-512 IFMA,
 * AVX2), in microseconds and TSC cycles per operation.
 * The best of several rounds (this machine's speed swings), each method in turn within a round.
 *   dpike-bench-ke [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include <openssl/evp.h>

#include "ike/x25519.h"

#define OPS 400

typedef void (*method_fn)(void);

static uint8_t scalar[X25519_BATCH][32], point[X25519_BATCH][32], out[X25519_BATCH][32];
static EVP_PKEY_CTX *gen, *derive;

static void openssl_keygen(void)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_keygen(gen, &k);
	EVP_PKEY_free(k);
}

static void openssl_derive(void)
{
	size_t n = 32;
	EVP_PKEY_derive(derive, out[0], &n);
}

static void comb_one(void)
{
	x25519_public_from_private(out[0], scalar[0]);
}

static void batch_public(void)
{
	x25519_batch(out, (const uint8_t(*)[32])scalar, NULL, X25519_BATCH);
}

static void batch_derive(void)
{
	x25519_batch(out, (const uint8_t(*)[32])scalar, (const uint8_t(*)[32])point, X25519_BATCH);
}

#define NO_CODE (-1)

static const struct method {
	const char *name;
	method_fn fn;
	unsigned per_call; /* operations one call does */
	int code;          /* x25519_batch()'s vector code, or NO_CODE */
} methods[] = {
	{ "OpenSSL key pair (EVP_PKEY_keygen)", openssl_keygen, 1, NO_CODE },
	{ "OpenSSL derivation (EVP_PKEY_derive)", openssl_derive, 1, NO_CODE },
	{ "public value, comb (x25519.c)", comb_one, 1, NO_CODE },
	{ "public values, comb, 8 at once, AVX-512 IFMA", batch_public, X25519_BATCH, X25519_CODE_IFMA },
	{ "derivations, ladder, 8 at once, AVX-512 IFMA", batch_derive, X25519_BATCH, X25519_CODE_IFMA },
	{ "public values, comb, 8 at once, AVX2", batch_public, X25519_BATCH, X25519_CODE_AVX2 },
	{ "derivations, ladder, 8 at once, AVX2", batch_derive, X25519_BATCH, X25519_CODE_AVX2 },
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static bool setup(void)
{
	for (size_t i = 0; i < sizeof(scalar); i++) {
		((uint8_t *)scalar)[i] = (uint8_t)rand();
		((uint8_t *)point)[i] = (uint8_t)rand();
	}
	EVP_PKEY *own = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar[0], 32);
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point[0], 32);
	gen = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	derive = own ? EVP_PKEY_CTX_new(own, NULL) : NULL;
	bool ok = gen && derive && peer && EVP_PKEY_keygen_init(gen) > 0 && EVP_PKEY_derive_init(derive) > 0 &&
		  EVP_PKEY_derive_set_peer(derive, peer) > 0;
	EVP_PKEY_free(own);
	EVP_PKEY_free(peer);
	return ok;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	double best_us[N_METHODS], best_cycles[N_METHODS];
	if (rounds < 1 || !setup()) {
		fprintf(stderr, "usage: dpike-bench-ke [ROUNDS >= 1] (and OpenSSL with X25519)\n");
		return 2;
	}
	for (size_t m = 0; m < N_METHODS; m++)
		best_us[m] = best_cycles[m] = 1e18;
	for (int r = 0; r < rounds; r++)
		for (size_t m = 0; m < N_METHODS; m++) {
			if (methods[m].code != NO_CODE && !x25519_batch_use(methods[m].code))
				continue;
			unsigned calls = OPS / methods[m].per_call;
			double t = now_s();
			uint64_t c = __rdtsc();
			for (unsigned i = 0; i < calls; i++)
				methods[m].fn();
			double cycles = (double)(__rdtsc() - c) / OPS, us = (now_s() - t) * 1e6 / OPS;
			best_us[m] = us < best_us[m] ? us : best_us[m];
			best_cycles[m] = cycles < best_cycles[m] ? cycles : best_cycles[m];
		}
	printf("X25519, best of %d rounds of %d operations each, per operation\n", rounds, OPS);
	for (size_t m = 0; m < N_METHODS; m++) {
		if (methods[m].code != NO_CODE && !x25519_code_runs(methods[m].code))
			printf("%-46s  (not on this CPU)\n", methods[m].name);
		else
			printf("%-46s %8.2f us %9.0f TSC cycles\n", methods[m].name, best_us[m], best_cycles[m]);
	}
	for (size_t m = 3; m + 1 < N_METHODS; m += 2) /* the batched pairs: public values, derivations */
		if (x25519_code_runs(methods[m].code))
			printf("a key exchange (key pair + derivation): OpenSSL %.1f us, dpike on %s %.1f us (%.1fx)\n",
			       best_us[0] + best_us[1], methods[m].name + strlen("public values, comb, 8 at once, "),
			       best_us[m] + best_us[m + 1], (best_us[0] + best_us[1]) / (best_us[m] + best_us[m + 1]));
	EVP_PKEY_CTX_free(gen);
	EVP_PKEY_CTX_free(derive);
	return 0;
}
