/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X25519 of dpike's own: public values by a fixed-base comb (x25519.c), and whole exchanges eight
 * at a time on AVX-512 IFMA or AVX2 (x25519_batch.c). Both run in constant time; the files say why.
 */
#ifndef DPIKE_IKE_X25519_H
#define DPIKE_IKE_X25519_H

#include <stdbool.h>
#include <stdint.h>

#define X25519_KEY_LEN 32
#define X25519_BATCH 8

/* pub = X25519(priv, 9), RFC 7748 5 (priv is clamped here, as the function defines). */
void x25519_public_from_private(uint8_t pub[X25519_KEY_LEN], const uint8_t priv[X25519_KEY_LEN]);

/* The vector codes x25519_batch() can run on, the fastest first. */
enum x25519_code {
	X25519_CODE_IFMA, /* AVX-512 F and IFMA: eight lanes */
	X25519_CODE_AVX2, /* four lanes, twice */
};

/* Whether this CPU runs x25519_batch() (on the first code of enum x25519_code it has). */
bool x25519_batch_available(void);
/*
 * Of n exchanges, how many to give x25519_batch(): its whole passes, and the rest when they are
 * enough lanes that a pass costs less than OpenSSL doing them one by one (x25519_batch.c).
 */
unsigned x25519_batch_worth(unsigned n);
/* The code x25519_batch() runs on, for logs and benchmarks ("none" without one). */
const char *x25519_batch_name(void);
/* Whether the CPU has that code; x25519_batch_use() makes x25519_batch() run on it if so (tests). */
bool x25519_code_runs(enum x25519_code code);
bool x25519_batch_use(enum x25519_code code);

/*
 * out[i] = X25519(scalar[i], point[i]) for i < n <= X25519_BATCH, or X25519(scalar[i], 9), the
 * public values, when point is NULL. All n cost as much as eight. Only where
 * x25519_batch_available().
 */
void x25519_batch(uint8_t (*out)[X25519_KEY_LEN], const uint8_t (*scalar)[X25519_KEY_LEN],
		  const uint8_t (*point)[X25519_KEY_LEN], unsigned n);

/*
 * For x25519_batch.c's comb. The clamped scalar (RFC 7748 5) as 64 signed base-16 digits in
 * [-8, 8], and the comb's table: j * 256^k * B for k < 32, j = 1..8, entry [k][j - 1] at word
 * (8 * k + j - 1) * 16, as y + x, y - x and 2 * d * x * y, five limbs each (x25519.c).
 */
void x25519_scalar_digits(int8_t e[64], const uint8_t priv[X25519_KEY_LEN]);
const uint64_t *x25519_comb_table(void);

/* A field element's five 51-bit limbs from or to its 32-byte encoding (the latter reduced mod p). */
void x25519_limbs_from_bytes(uint64_t v[5], const uint8_t s[X25519_KEY_LEN]);
void x25519_limbs_to_bytes(uint8_t s[X25519_KEY_LEN], const uint64_t v[5]);

#endif
