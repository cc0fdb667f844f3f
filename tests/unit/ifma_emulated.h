/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AVX-512 F and IFMA intrinsics ike/x25519_ifma.c uses, in plain C, lane by lane, so that
 * its field arithmetic and the ladder and comb over it can be tested on a CPU without IFMA
 * (tests/meson.build compiles the file a second time with X25519_IFMA_EMULATED). Each follows
 * Intel's definition of the instruction; vpmadd52luq/huq multiply the low 52 bits of each
 * operand and add the low or high 52 bits of the 104-bit product to the accumulator.
 */
#ifndef DPIKE_TESTS_IFMA_EMULATED_H
#define DPIKE_TESTS_IFMA_EMULATED_H

#include <stdint.h>
#include <string.h>

typedef struct {
	uint64_t v[8];
} __m512i;
typedef uint8_t __mmask8;

#define EMUL_LANES for (int i_ = 0; i_ < 8; i_++)
#define EMUL_MASK52 ((UINT64_C(1) << 52) - 1)

static inline __m512i _mm512_setzero_si512(void)
{
	__m512i r;
	memset(&r, 0, sizeof(r));
	return r;
}

static inline __m512i _mm512_set1_epi64(long long x)
{
	__m512i r;
	EMUL_LANES r.v[i_] = (uint64_t)x;
	return r;
}

static inline __m512i _mm512_loadu_si512(const void *p)
{
	__m512i r;
	memcpy(&r, p, sizeof(r));
	return r;
}

static inline void _mm512_storeu_si512(void *p, __m512i a)
{
	memcpy(p, &a, sizeof(a));
}

static inline __m512i _mm512_add_epi64(__m512i a, __m512i b)
{
	EMUL_LANES a.v[i_] += b.v[i_];
	return a;
}

static inline __m512i _mm512_sub_epi64(__m512i a, __m512i b)
{
	EMUL_LANES a.v[i_] -= b.v[i_];
	return a;
}

static inline __m512i _mm512_and_si512(__m512i a, __m512i b)
{
	EMUL_LANES a.v[i_] &= b.v[i_];
	return a;
}

static inline __m512i _mm512_slli_epi64(__m512i a, unsigned n)
{
	EMUL_LANES a.v[i_] = n > 63 ? 0 : a.v[i_] << n;
	return a;
}

static inline __m512i _mm512_srli_epi64(__m512i a, unsigned n)
{
	EMUL_LANES a.v[i_] = n > 63 ? 0 : a.v[i_] >> n;
	return a;
}

static inline __m512i _mm512_madd52lo_epu64(__m512i acc, __m512i b, __m512i c)
{
	EMUL_LANES acc.v[i_] += (uint64_t)((unsigned __int128)(b.v[i_] & EMUL_MASK52) * (c.v[i_] & EMUL_MASK52)) &
				EMUL_MASK52;
	return acc;
}

static inline __m512i _mm512_madd52hi_epu64(__m512i acc, __m512i b, __m512i c)
{
	EMUL_LANES acc.v[i_] += (uint64_t)(((unsigned __int128)(b.v[i_] & EMUL_MASK52) * (c.v[i_] & EMUL_MASK52)) >> 52);
	return acc;
}

static inline __m512i _mm512_mask_blend_epi64(__mmask8 k, __m512i a, __m512i b)
{
	EMUL_LANES if (k >> i_ & 1) a.v[i_] = b.v[i_];
	return a;
}

static inline __mmask8 _mm512_test_epi64_mask(__m512i a, __m512i b)
{
	__mmask8 k = 0;
	EMUL_LANES k |= (__mmask8)(((a.v[i_] & b.v[i_]) != 0) << i_);
	return k;
}

static inline __mmask8 _mm512_cmpeq_epi64_mask(__m512i a, __m512i b)
{
	__mmask8 k = 0;
	EMUL_LANES k |= (__mmask8)((a.v[i_] == b.v[i_]) << i_);
	return k;
}

#endif
