/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The field operations of x25519_lanes.inc on AVX-512 IFMA, eight exchanges at once. OpenSSL
 * derives one shared secret in 43-60 us on such a CPU, a third of a responder's handshake; the
 * multiplier in 52-bit lanes (vpmadd52luq/huq) works on eight in less than OpenSSL takes for two.
 *
 * Field elements mod p = 2^255 - 19 are five limbs of 51 bits, as in x25519.c. IFMA multiplies
 * the low 52 bits of each operand and splits the 104-bit product at bit 52, not 51: the high
 * halves count twice at the next limb. Its operands must be below 2^52, as it ignores what
 * is above, so every value that reaches a product is kept there:
 *   after a product ("reduced"): every limb <= 2^51;
 *   after an addition or subtraction, one carry step on every limb at once: limbs < 2^51 + 64.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "x25519.h"
#include "x25519_lanes.h"

#ifdef X25519_IFMA_EMULATED /* the unit tests: this code on any CPU, each intrinsic in plain C */
#include "ifma_emulated.h"
#define X25519_LANES_FN x25519_lanes_ifma_emulated
#else
#include <immintrin.h>

#include "lib/target.h"
TARGET_BEGIN("avx512f,avx512ifma")
#define X25519_LANES_FN x25519_lanes_ifma
#endif

typedef __m512i v8;
typedef __mmask8 lanemask;

#define LANES 8

struct fv {
	v8 l[5];
};

/* Every loop over limbs or columns unrolled, so that they live in registers, not on the stack. */
#define UNROLL _Pragma("GCC unroll 10")
#define ADD _mm512_add_epi64
#define LIMB_MASK _mm512_set1_epi64((INT64_C(1) << 51) - 1)

static inline v8 times19(v8 x)
{
	return ADD(ADD(_mm512_slli_epi64(x, 4), _mm512_slli_epi64(x, 1)), x);
}

/* Limbs below 2^53 to below 2^51 + 64: each limb's carry moves up at once, not in a chain. */
static inline void fv_carry_step(struct fv *h)
{
	v8 c[5];
	UNROLL
	for (int i = 0; i < 5; i++) {
		c[i] = _mm512_srli_epi64(h->l[i], 51);
		h->l[i] = _mm512_and_si512(h->l[i], LIMB_MASK);
	}
	h->l[0] = ADD(h->l[0], times19(c[4]));
	UNROLL
	for (int i = 1; i < 5; i++)
		h->l[i] = ADD(h->l[i], c[i - 1]);
}

static inline void fv_add(struct fv *h, const struct fv *f, const struct fv *g)
{
	UNROLL
	for (int i = 0; i < 5; i++)
		h->l[i] = ADD(f->l[i], g->l[i]);
	fv_carry_step(h);
}

/* f - g as f + 2p - g: g's limbs stay below 2p's (2^52 - 38, then 2^52 - 2), so none goes negative. */
static inline void fv_sub(struct fv *h, const struct fv *f, const struct fv *g)
{
	h->l[0] = _mm512_sub_epi64(ADD(f->l[0], _mm512_set1_epi64((INT64_C(1) << 52) - 38)), g->l[0]);
	UNROLL
	for (int i = 1; i < 5; i++)
		h->l[i] = _mm512_sub_epi64(ADD(f->l[i], _mm512_set1_epi64((INT64_C(1) << 52) - 2)), g->l[i]);
	fv_carry_step(h);
}

/*
 * Columns below 2^61 (2^255 already folded back as 19) to a reduced element: one carry chain,
 * the carry out of the top limb folded back as 19 again, then one more step into limb 1.
 */
static inline void fv_reduce(struct fv *h, v8 r[5])
{
	UNROLL
	for (int i = 0; i < 4; i++) {
		r[i + 1] = ADD(r[i + 1], _mm512_srli_epi64(r[i], 51));
		r[i] = _mm512_and_si512(r[i], LIMB_MASK);
	}
	r[0] = ADD(r[0], times19(_mm512_srli_epi64(r[4], 51)));
	r[4] = _mm512_and_si512(r[4], LIMB_MASK);
	r[1] = ADD(r[1], _mm512_srli_epi64(r[0], 51));
	r[0] = _mm512_and_si512(r[0], LIMB_MASK);
	UNROLL
	for (int i = 0; i < 5; i++)
		h->l[i] = r[i];
}

/* Columns of low and high halves (the latter weigh twice) to a reduced element; 2^255 folds back as 19. */
static inline void fv_fold(struct fv *h, v8 lo[10], v8 hi[10])
{
	v8 r[5];
	UNROLL
	for (int k = 0; k < 5; k++) {
		v8 low = ADD(lo[k], ADD(hi[k], hi[k]));
		v8 high = ADD(lo[k + 5], ADD(hi[k + 5], hi[k + 5]));
		r[k] = ADD(low, times19(high));
	}
	fv_reduce(h, r);
}

static inline void columns_zero(v8 lo[10], v8 hi[10])
{
	UNROLL
	for (int k = 0; k < 10; k++)
		lo[k] = hi[k] = _mm512_setzero_si512();
}

/* The 104-bit product a * b into the columns: its low half at i + j, its high half one up. */
static inline void columns_madd(v8 lo[10], v8 hi[10], int i, int j, v8 a, v8 b)
{
	lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a, b);
	hi[i + j + 1] = _mm512_madd52hi_epu64(hi[i + j + 1], a, b);
}

/*
 * h = f * g. Column k collects the low halves of f[i] * g[j] with i + j = k and, doubled, the
 * high halves with i + j = k - 1: each below 5 * 2^52 + 10 * 2^52 < 2^56, so the fold of columns
 * 5..9 (times 19) stays below 2^61.
 */
static void fv_mul(struct fv *h, const struct fv *f, const struct fv *g)
{
	v8 lo[10], hi[10];
	columns_zero(lo, hi);
	UNROLL
	for (int i = 0; i < 5; i++)
		UNROLL
		for (int j = 0; j < 5; j++)
			columns_madd(lo, hi, i, j, f->l[i], g->l[j]);
	fv_fold(h, lo, hi);
}

/*
 * h = f^2: the ten products f[i] * f[j] with i < j once, their columns doubled, then the five
 * squares: 30 multiplications of the 50 a product takes.
 */
static void fv_sq(struct fv *h, const struct fv *f)
{
	v8 lo[10], hi[10];
	columns_zero(lo, hi);
	UNROLL
	for (int i = 0; i < 5; i++)
		UNROLL
		for (int j = i + 1; j < 5; j++)
			columns_madd(lo, hi, i, j, f->l[i], f->l[j]);
	UNROLL
	for (int k = 0; k < 10; k++) {
		lo[k] = ADD(lo[k], lo[k]);
		hi[k] = ADD(hi[k], hi[k]);
	}
	UNROLL
	for (int i = 0; i < 5; i++)
		columns_madd(lo, hi, i, i, f->l[i], f->l[i]);
	fv_fold(h, lo, hi);
}

/* h = f * c for a constant below 2^17 (the ladder's a24): high halves below 2^17. */
static inline void fv_mul_small(struct fv *h, const struct fv *f, uint64_t c)
{
	v8 k = _mm512_set1_epi64((long long)c), zero = _mm512_setzero_si512(), hi[5];
	UNROLL
	for (int i = 0; i < 5; i++) {
		hi[i] = _mm512_slli_epi64(_mm512_madd52hi_epu64(zero, f->l[i], k), 1);
		h->l[i] = _mm512_madd52lo_epu64(zero, f->l[i], k);
	}
	h->l[0] = ADD(h->l[0], times19(hi[4]));
	UNROLL
	for (int i = 1; i < 5; i++)
		h->l[i] = ADD(h->l[i], hi[i - 1]);
	fv_carry_step(h);
}

/* Lanes whose bit in swap is set exchange a and b. */
static inline void fv_cswap(struct fv *a, struct fv *b, __mmask8 swap)
{
	UNROLL
	for (int i = 0; i < 5; i++) {
		v8 x = _mm512_mask_blend_epi64(swap, a->l[i], b->l[i]);
		b->l[i] = _mm512_mask_blend_epi64(swap, b->l[i], a->l[i]);
		a->l[i] = x;
	}
}

static inline void fv_set_small(struct fv *h, uint64_t v)
{
	h->l[0] = _mm512_set1_epi64((long long)v);
	for (int i = 1; i < 5; i++)
		h->l[i] = _mm512_setzero_si512();
}

/* Lanes in mask take f. */
static inline void fv_take(struct fv *h, const struct fv *f, lanemask mask)
{
	UNROLL
	for (int i = 0; i < 5; i++)
		h->l[i] = _mm512_mask_blend_epi64(mask, h->l[i], f->l[i]);
}

static inline void fv_broadcast(struct fv *h, const uint64_t w[5])
{
	UNROLL
	for (int i = 0; i < 5; i++)
		h->l[i] = _mm512_set1_epi64((long long)w[i]);
}

static void fv_load(struct fv *h, uint64_t limbs[5][LANES])
{
	for (int i = 0; i < 5; i++)
		h->l[i] = _mm512_loadu_si512(limbs[i]);
}

static void fv_store(uint64_t limbs[5][LANES], const struct fv *h)
{
	for (int i = 0; i < 5; i++)
		_mm512_storeu_si512(limbs[i], h->l[i]);
}

static inline lanemask lanemask_none(void)
{
	return 0;
}

static inline lanemask lanemask_xor(lanemask a, lanemask b)
{
	return a ^ b;
}

static inline lanemask lanes_bit(const uint64_t word[LANES], int bit)
{
	return _mm512_test_epi64_mask(_mm512_loadu_si512(word), _mm512_set1_epi64((long long)(UINT64_C(1) << bit)));
}

static inline lanemask lanes_equal(const int64_t v[LANES], int64_t x)
{
	return _mm512_cmpeq_epi64_mask(_mm512_loadu_si512(v), _mm512_set1_epi64(x));
}

#include "x25519_lanes.inc"

#ifndef X25519_IFMA_EMULATED
TARGET_END
#endif
