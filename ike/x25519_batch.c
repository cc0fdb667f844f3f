/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x25519_batch(): eight X25519 exchanges at a time on whichever vector code the CPU runs,
 * AVX-512 IFMA's eight lanes or AVX2's four (twice). Chosen once; a test or a benchmark may
 * ask for a given one (x25519_batch_use()).
 */
#include <pthread.h>
#include <stddef.h>

#include "x25519.h"
#include "x25519_lanes.h"

static const struct code {
	const char *name;
	unsigned lanes;
	unsigned worth; /* the fewest exchanges a pass costs less for than OpenSSL one by one */
	void (*run)(uint8_t (*out)[32], const uint8_t (*scalar)[32], const uint8_t (*point)[32], unsigned n);
} codes[] = {
	/* tests/bench/ke.c: a pass of eight as dear as two OpenSSL derivations; of four, as 2.4 */
	[X25519_CODE_IFMA] = { "AVX-512 IFMA, 8 lanes", X25519_IFMA_LANES, 2, x25519_lanes_ifma },
	[X25519_CODE_AVX2] = { "AVX2, 4 lanes", X25519_AVX2_LANES, 3, x25519_lanes_avx2 },
};

static const struct code *chosen;
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

bool x25519_code_runs(enum x25519_code code)
{
	__builtin_cpu_init();
	switch (code) {
	case X25519_CODE_IFMA: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma");
	case X25519_CODE_AVX2: return __builtin_cpu_supports("avx2");
	default: return false;
	}
}

static void use(enum x25519_code code)
{
	chosen = x25519_code_runs(code) ? &codes[code] : NULL;
}

/* The first code the CPU has, once, whichever thread asks first. */
static void choose(void)
{
	use(X25519_CODE_IFMA);
	if (chosen == NULL)
		use(X25519_CODE_AVX2);
}

bool x25519_batch_use(enum x25519_code code)
{
	pthread_once(&chosen_once, choose);
	use(code);
	return chosen != NULL;
}

static const struct code *batch_code(void)
{
	pthread_once(&chosen_once, choose);
	return chosen;
}

bool x25519_batch_available(void)
{
	return batch_code() != NULL;
}

const char *x25519_batch_name(void)
{
	return batch_code() ? chosen->name : "none";
}

unsigned x25519_batch_worth(unsigned n)
{
	const struct code *c = batch_code();
	if (c == NULL)
		return 0;
	unsigned rest = n % c->lanes;
	return rest < c->worth ? n - rest : n;
}

void x25519_batch(uint8_t (*out)[X25519_KEY_LEN], const uint8_t (*scalar)[X25519_KEY_LEN],
		  const uint8_t (*point)[X25519_KEY_LEN], unsigned n)
{
	const struct code *c = batch_code();
	for (unsigned i = 0; i < n; i += c->lanes) {
		unsigned m = n - i < c->lanes ? n - i : c->lanes;
		c->run(out + i, scalar + i, point ? point + i : NULL, m);
	}
}
