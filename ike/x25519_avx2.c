/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The field operations of x25519_lanes.inc on AVX2, four exchanges at once, for the CPUs without
 * AVX-512 IFMA (AMD before Zen 4, Intel before Ice Lake). AVX2 multiplies 32 by 32 bits into 64
 * (vpmuludq), so a field element mod p = 2^255 - 19 is ten limbs of 26 and 25 bits in turn
 * (limb i at bit ceil(25.5 i)), the representation of the reference code of Ed25519: two odd
 * limbs' product lands a bit above its column and counts twice, and what passes 2^255 folds
 * back times 19. Every operand of a product must stay below 2^32 after the factors of 2 and 19
 * are put on it, and every column below 2^64, so the values are kept in these bounds:
 *   after a product ("reduced"): limbs below 2^26 (even) and 2^25 + 2^16 (odd);
 *   after a subtraction, one carry step on every limb at once: limbs below 2^26 + 256 (even),
 *   2^25 + 16 (odd);
 *   an addition does not carry: its operands are reduced, or one is itself a sum of two, so
 *   no limb that reaches a product exceeds 3 * 2^26 + 256 (even) or 3 * 2^25 + 2^17 (odd).
 *   Then 19 times a limb is below 2^31.9, four times one below 2^29.6, and the widest column,
 *   limb 0 with 19 * 2 for each odd pair, below 2^62.2.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include "x25519.h"
#include "x25519_lanes.h"

#include <immintrin.h>

#include "lib/target.h"
TARGET_BEGIN("avx2")

typedef __m256i v4;
typedef __m256i lanemask; /* all ones in the lanes of the set */

#define LANES 4
#define X25519_LANES_FN x25519_lanes_avx2

struct fv {
	v4 l[10];
};

/* Every loop over limbs or columns unrolled: the conditions on i and j are then constants. */
#define UNROLL _Pragma("GCC unroll 10")
#define ADD _mm256_add_epi64
#define SET1(x) _mm256_set1_epi64x((long long)(x))
#define LIMB_BITS(i) ((i) % 2 ? 25 : 26)
#define LIMB_MASK(i) SET1((INT64_C(1) << LIMB_BITS(i)) - 1)

static inline v4 times19(v4 x)
{
	return ADD(ADD(_mm256_slli_epi64(x, 4), _mm256_slli_epi64(x, 1)), x);
}

/* Limb i's carry into limb i + 1, limb 9's folded into limb 0 times 19. */
static inline void carry(v4 r[10], int i)
{
	v4 c = _mm256_srli_epi64(r[i], LIMB_BITS(i));
	r[i] = _mm256_and_si256(r[i], LIMB_MASK(i));
	if (i == 9)
		r[0] = ADD(r[0], times19(c));
	else
		r[i + 1] = ADD(r[i + 1], c);
}

/*
 * Columns below 2^63 to a reduced element: two carry chains side by side (from limbs 0 and 4),
 * then limb 9's carry folded into limb 0 and on into limb 1.
 */
static inline void fv_reduce(struct fv *h, v4 r[10])
{
	carry(r, 0), carry(r, 4);
	carry(r, 1), carry(r, 5);
	carry(r, 2), carry(r, 6);
	carry(r, 3), carry(r, 7);
	carry(r, 4), carry(r, 8);
	carry(r, 9);
	carry(r, 0);
	UNROLL
	for (int i = 0; i < 10; i++)
		h->l[i] = r[i];
}

/* Limbs below 2^31 to a little above their width: every limb's carry moves up at once. */
static inline void fv_carry_step(struct fv *h)
{
	v4 c[10];
	UNROLL
	for (int i = 0; i < 10; i++) {
		c[i] = _mm256_srli_epi64(h->l[i], LIMB_BITS(i));
		h->l[i] = _mm256_and_si256(h->l[i], LIMB_MASK(i));
	}
	h->l[0] = ADD(h->l[0], times19(c[9]));
	UNROLL
	for (int i = 1; i < 10; i++)
		h->l[i] = ADD(h->l[i], c[i - 1]);
}

static inline void fv_add(struct fv *h, const struct fv *f, const struct fv *g)
{
	UNROLL
	for (int i = 0; i < 10; i++)
		h->l[i] = ADD(f->l[i], g->l[i]);
}

/* f - g as f + 2p - g: a reduced g's limbs stay below 2p's (2^27 - 38, 2^26 - 2, 2^27 - 2, ...). */
static inline void fv_sub(struct fv *h, const struct fv *f, const struct fv *g)
{
	UNROLL
	for (int i = 0; i < 10; i++) {
		int64_t two_p = i == 0 ? (INT64_C(1) << 27) - 38 : (INT64_C(1) << (LIMB_BITS(i) + 1)) - 2;
		h->l[i] = _mm256_sub_epi64(ADD(f->l[i], SET1(two_p)), g->l[i]);
	}
	fv_carry_step(h);
}

/*
 * acc + a * b, b read from memory by the multiplication itself. Left to itself, GCC multiplies
 * far ahead of the additions, with more products in hand than there are registers, and spills
 * them: fv_mul() took half again as many instructions, the ladder 30% more time.
 */
static inline v4 mul_add(v4 acc, v4 a, const v4 *b)
{
	v4 t;
	__asm__("vpmuludq %3, %2, %1\n\tvpaddq %1, %0, %0" : "+x"(acc), "=&x"(t) : "x"(a), "m"(*b));
	return acc;
}

/*
 * h = f * g, schoolbook: f[i] * g[j] goes to column i + j, doubled when i and j are both odd,
 * times 19 in column i + j - 10 when it passes 2^255. The factors go on g's limbs (19 on any,
 * 2 and 38 on the odd ones, which are a bit shorter), so that f's ten limbs can stay in
 * registers and each product takes its other operand from memory; one column at a time.
 */
static void fv_mul(struct fv *h, const struct fv *f, const struct fv *g)
{
	v4 g2[10], g19[10], g38[10], r[10], a[10];
	UNROLL
	for (int j = 0; j < 10; j++) {
		g2[j] = ADD(g->l[j], g->l[j]);
		g19[j] = _mm256_mul_epu32(g->l[j], SET1(19));
		g38[j] = ADD(g19[j], g19[j]);
		a[j] = f->l[j];
		r[j] = _mm256_setzero_si256();
	}
	UNROLL
	for (int k = 0; k < 10; k++)
		UNROLL
		for (int i = 0; i < 10; i++) {
			int j = (k - i + 10) % 10;
			bool odd = i % 2 && j % 2, wraps = i + j >= 10;
			r[k] = mul_add(r[k], a[i], wraps ? (odd ? &g38[j] : &g19[j]) : (odd ? &g2[j] : &g->l[j]));
		}
	fv_reduce(h, r);
}

/*
 * h = f^2: each product f[i] * f[j] with i < j once, doubled (and doubled again when both are
 * odd), the squares once: 55 multiplications of the 100 a product takes. As in fv_mul(), the
 * factors go on the operand from memory, but for one 2 that would take it past 2^32 (on an
 * even limb with the 19, on an odd one with 38 already): that one doubles the register operand.
 */
static void fv_sq(struct fv *h, const struct fv *f)
{
	v4 f2[10], f4[10], f19[10], f38[10], r[10], a[10];
	UNROLL
	for (int i = 0; i < 10; i++) {
		a[i] = f->l[i];
		f2[i] = ADD(a[i], a[i]);
		f4[i] = ADD(f2[i], f2[i]);
		f19[i] = _mm256_mul_epu32(a[i], SET1(19));
		f38[i] = ADD(f19[i], f19[i]);
		r[i] = _mm256_setzero_si256();
	}
	UNROLL
	for (int k = 0; k < 10; k++)
		UNROLL
		for (int i = 0; i < 10; i++) {
			int j = (k - i + 10) % 10;
			if (j < i)
				continue;
			int twice = (i != j) + (i % 2 && j % 2); /* the factor is 2^twice */
			if (i + j < 10) {
				r[k] = mul_add(r[k], a[i], twice == 0 ? &f->l[j] : twice == 1 ? &f2[j] : &f4[j]);
				continue;
			}
			bool b38 = j % 2 && twice > 0;
			r[k] = mul_add(r[k], (twice - b38) ? ADD(a[i], a[i]) : a[i], b38 ? &f38[j] : &f19[j]);
		}
	fv_reduce(h, r);
}

/* h = f * c for a constant below 2^17 (the ladder's a24). */
static inline void fv_mul_small(struct fv *h, const struct fv *f, uint64_t c)
{
	v4 r[10];
	UNROLL
	for (int i = 0; i < 10; i++)
		r[i] = _mm256_mul_epu32(f->l[i], SET1(c));
	fv_reduce(h, r);
}

static inline v4 blend(v4 a, v4 b, lanemask mask)
{
	return _mm256_blendv_epi8(a, b, mask);
}

/* Lanes in swap exchange a and b. */
static inline void fv_cswap(struct fv *a, struct fv *b, lanemask swap)
{
	UNROLL
	for (int i = 0; i < 10; i++) {
		v4 t = _mm256_and_si256(swap, _mm256_xor_si256(a->l[i], b->l[i]));
		a->l[i] = _mm256_xor_si256(a->l[i], t);
		b->l[i] = _mm256_xor_si256(b->l[i], t);
	}
}

/* Lanes in mask take f. */
static inline void fv_take(struct fv *h, const struct fv *f, lanemask mask)
{
	UNROLL
	for (int i = 0; i < 10; i++)
		h->l[i] = blend(h->l[i], f->l[i], mask);
}

static inline void fv_set_small(struct fv *h, uint64_t v)
{
	h->l[0] = SET1(v);
	for (int i = 1; i < 10; i++)
		h->l[i] = _mm256_setzero_si256();
}

/* A 51-bit limb is two of these: its low 26 bits and the 25 above. */
static inline void fv_broadcast(struct fv *h, const uint64_t w[5])
{
	UNROLL
	for (int i = 0; i < 5; i++) {
		h->l[2 * i] = SET1(w[i] & ((UINT64_C(1) << 26) - 1));
		h->l[2 * i + 1] = SET1(w[i] >> 26);
	}
}

static void fv_load(struct fv *h, uint64_t limbs[5][LANES])
{
	for (int i = 0; i < 5; i++) {
		v4 w = _mm256_loadu_si256((const v4 *)limbs[i]);
		h->l[2 * i] = _mm256_and_si256(w, LIMB_MASK(0));
		h->l[2 * i + 1] = _mm256_srli_epi64(w, 26);
	}
}

/* To 51-bit limbs, each a little above its width (x25519_limbs_to_bytes() carries them). */
static void fv_store(uint64_t limbs[5][LANES], const struct fv *h)
{
	for (int i = 0; i < 5; i++)
		_mm256_storeu_si256((v4 *)limbs[i], ADD(h->l[2 * i], _mm256_slli_epi64(h->l[2 * i + 1], 26)));
}

static inline lanemask lanemask_none(void)
{
	return _mm256_setzero_si256();
}

static inline lanemask lanemask_xor(lanemask a, lanemask b)
{
	return _mm256_xor_si256(a, b);
}

static inline lanemask lanes_bit(const uint64_t word[LANES], int bit)
{
	v4 b = SET1(UINT64_C(1) << bit);
	return _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_loadu_si256((const v4 *)word), b), b);
}

static inline lanemask lanes_equal(const int64_t v[LANES], int64_t x)
{
	return _mm256_cmpeq_epi64(_mm256_loadu_si256((const v4 *)v), SET1(x));
}

#include "x25519_lanes.inc"

TARGET_END
