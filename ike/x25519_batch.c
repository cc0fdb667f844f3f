/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X25519 (RFC 7748 5) for eight key exchanges at once, on AVX-512 IFMA. OpenSSL derives one
 * shared secret in 43-60 us here, a third of a responder's handshake; a loaded responder has
 * many exchanges in hand at once, and the multiplier in 52-bit lanes (vpmadd52luq/huq) works on
 * eight of them in less than OpenSSL takes for two.
 *
 * Each 512-bit register holds the same limb of eight field elements (lane i = exchange i), so
 * every lane runs the same instructions: the Montgomery ladder is constant time lane by lane,
 * the conditional swaps are masked blends driven by the scalars' bits. Public values X25519(a, 9)
 * take x25519.c's fixed-base comb instead, on eight lanes alike (a third of the ladder's work),
 * its table entries chosen by masked blends over all eight.
 *
 * Field elements mod p = 2^255 - 19 are five limbs of 51 bits, as in x25519.c. IFMA multiplies
 * the low 52 bits of each operand and splits the 104-bit product at bit 52, not 51: the high
 * halves count twice at the next limb. Its operands must be below 2^52, as it ignores what
 * is above, so every value that reaches a product is kept there:
 *   after a product ("reduced"): every limb <= 2^51;
 *   after an addition or subtraction, one carry step on every limb at once: limbs < 2^51 + 64.
 */
#include "x25519.h"

#include <string.h>

#include <openssl/crypto.h>

bool x25519_batch_available(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma");
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512ifma")
#include <immintrin.h>

typedef __m512i v8;

struct fe8 {
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
static inline void fe8_carry_step(struct fe8 *h)
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

static inline void fe8_add(struct fe8 *h, const struct fe8 *f, const struct fe8 *g)
{
	UNROLL
	for (int i = 0; i < 5; i++)
		h->l[i] = ADD(f->l[i], g->l[i]);
	fe8_carry_step(h);
}

/* f - g as f + 2p - g: g's limbs stay below 2p's (2^52 - 38, then 2^52 - 2), so none goes negative. */
static inline void fe8_sub(struct fe8 *h, const struct fe8 *f, const struct fe8 *g)
{
	h->l[0] = _mm512_sub_epi64(ADD(f->l[0], _mm512_set1_epi64((INT64_C(1) << 52) - 38)), g->l[0]);
	UNROLL
	for (int i = 1; i < 5; i++)
		h->l[i] = _mm512_sub_epi64(ADD(f->l[i], _mm512_set1_epi64((INT64_C(1) << 52) - 2)), g->l[i]);
	fe8_carry_step(h);
}

/*
 * Columns below 2^61 (2^255 already folded back as 19) to a reduced element: one carry chain,
 * the carry out of the top limb folded back as 19 again, then one more step into limb 1.
 */
static inline void fe8_reduce(struct fe8 *h, v8 r[5])
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
static inline void fe8_fold(struct fe8 *h, v8 lo[10], v8 hi[10])
{
	v8 r[5];
	UNROLL
	for (int k = 0; k < 5; k++) {
		v8 low = ADD(lo[k], ADD(hi[k], hi[k]));
		v8 high = ADD(lo[k + 5], ADD(hi[k + 5], hi[k + 5]));
		r[k] = ADD(low, times19(high));
	}
	fe8_reduce(h, r);
}

/*
 * h = f * g. Column k collects the low halves of f[i] * g[j] with i + j = k and, doubled, the
 * high halves with i + j = k - 1: each below 5 * 2^52 + 10 * 2^52 < 2^56, so the fold of columns
 * 5..9 (times 19) stays below 2^61.
 */
static void fe8_mul(struct fe8 *h, const struct fe8 *f, const struct fe8 *g)
{
	v8 lo[10], hi[10];
	UNROLL
	for (int k = 0; k < 10; k++)
		lo[k] = hi[k] = _mm512_setzero_si512();
	UNROLL
	for (int i = 0; i < 5; i++)
		UNROLL
		for (int j = 0; j < 5; j++) {
			lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], f->l[i], g->l[j]);
			hi[i + j + 1] = _mm512_madd52hi_epu64(hi[i + j + 1], f->l[i], g->l[j]);
		}
	fe8_fold(h, lo, hi);
}

/*
 * h = f^2: the ten products f[i] * f[j] with i < j once, their columns doubled, then the five
 * squares: 30 multiplications of the 50 a product takes.
 */
static void fe8_sq(struct fe8 *h, const struct fe8 *f)
{
	v8 lo[10], hi[10];
	UNROLL
	for (int k = 0; k < 10; k++)
		lo[k] = hi[k] = _mm512_setzero_si512();
	UNROLL
	for (int i = 0; i < 5; i++)
		UNROLL
		for (int j = i + 1; j < 5; j++) {
			lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], f->l[i], f->l[j]);
			hi[i + j + 1] = _mm512_madd52hi_epu64(hi[i + j + 1], f->l[i], f->l[j]);
		}
	UNROLL
	for (int k = 0; k < 10; k++) {
		lo[k] = ADD(lo[k], lo[k]);
		hi[k] = ADD(hi[k], hi[k]);
	}
	UNROLL
	for (int i = 0; i < 5; i++) {
		lo[2 * i] = _mm512_madd52lo_epu64(lo[2 * i], f->l[i], f->l[i]);
		hi[2 * i + 1] = _mm512_madd52hi_epu64(hi[2 * i + 1], f->l[i], f->l[i]);
	}
	fe8_fold(h, lo, hi);
}

/* h = f * c for a constant below 2^17 (the ladder's a24): high halves below 2^17. */
static inline void fe8_mul_small(struct fe8 *h, const struct fe8 *f, uint64_t c)
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
	fe8_carry_step(h);
}

/* Lanes whose bit in swap is set exchange a and b. */
static inline void fe8_cswap(struct fe8 *a, struct fe8 *b, __mmask8 swap)
{
	UNROLL
	for (int i = 0; i < 5; i++) {
		v8 x = _mm512_mask_blend_epi64(swap, a->l[i], b->l[i]);
		b->l[i] = _mm512_mask_blend_epi64(swap, b->l[i], a->l[i]);
		a->l[i] = x;
	}
}

static void fe8_sq_times(struct fe8 *h, const struct fe8 *f, int n)
{
	fe8_sq(h, f);
	while (--n > 0)
		fe8_sq(h, h);
}

/* 1/z = z^(p - 2), the same chain as x25519.c's fe_invert(). */
static void fe8_invert(struct fe8 *out, const struct fe8 *z)
{
	struct fe8 z2, z9, z11, t, z5_0, z10_0, z20_0, z50_0, z100_0;
	fe8_sq(&z2, z);
	fe8_sq_times(&t, &z2, 2);
	fe8_mul(&z9, &t, z);
	fe8_mul(&z11, &z9, &z2);
	fe8_sq(&t, &z11);
	fe8_mul(&z5_0, &t, &z9);
	fe8_sq_times(&t, &z5_0, 5);
	fe8_mul(&z10_0, &t, &z5_0);
	fe8_sq_times(&t, &z10_0, 10);
	fe8_mul(&z20_0, &t, &z10_0);
	fe8_sq_times(&t, &z20_0, 20);
	fe8_mul(&t, &t, &z20_0);
	fe8_sq_times(&t, &t, 10);
	fe8_mul(&z50_0, &t, &z10_0);
	fe8_sq_times(&t, &z50_0, 50);
	fe8_mul(&z100_0, &t, &z50_0);
	fe8_sq_times(&t, &z100_0, 100);
	fe8_mul(&t, &t, &z100_0);
	fe8_sq_times(&t, &t, 50);
	fe8_mul(&t, &t, &z50_0);
	fe8_sq_times(&t, &t, 5);
	fe8_mul(out, &t, &z11);
}

static void fe8_set_small(struct fe8 *h, uint64_t v)
{
	h->l[0] = _mm512_set1_epi64((long long)v);
	for (int i = 1; i < 5; i++)
		h->l[i] = _mm512_setzero_si512();
}

/*
 * The ladder of RFC 7748 5 on eight lanes: k holds each lane's clamped scalar as four
 * little-endian words (k[w][lane]); returns X2 and Z2 of k * u.
 */
static void ladder8(struct fe8 *x2, struct fe8 *z2, const uint64_t k[4][X25519_BATCH], const struct fe8 *x1)
{
	struct fe8 x3 = *x1, z3, a, aa, b, bb, e, c, d, da, cb, t;
	fe8_set_small(x2, 1);
	fe8_set_small(z2, 0);
	fe8_set_small(&z3, 1);
	__mmask8 swap = 0;
	for (int bit = 254; bit >= 0; bit--) {
		v8 word = _mm512_loadu_si512(k[bit / 64]);
		__mmask8 kt = _mm512_test_epi64_mask(word, _mm512_set1_epi64((long long)(UINT64_C(1) << (bit % 64))));
		swap ^= kt;
		fe8_cswap(x2, &x3, swap);
		fe8_cswap(z2, &z3, swap);
		swap = kt;
		fe8_add(&a, x2, z2);
		fe8_sq(&aa, &a);
		fe8_sub(&b, x2, z2);
		fe8_sq(&bb, &b);
		fe8_sub(&e, &aa, &bb);
		fe8_add(&c, &x3, &z3);
		fe8_sub(&d, &x3, &z3);
		fe8_mul(&da, &d, &a);
		fe8_mul(&cb, &c, &b);
		fe8_add(&t, &da, &cb);
		fe8_sq(&x3, &t);
		fe8_sub(&t, &da, &cb);
		fe8_sq(&t, &t);
		fe8_mul(&z3, x1, &t);
		fe8_mul(x2, &aa, &bb);
		fe8_mul_small(&t, &e, 121665);
		fe8_add(&t, &aa, &t);
		fe8_mul(z2, &e, &t);
	}
	fe8_cswap(x2, &x3, swap);
	fe8_cswap(z2, &z3, swap);
	OPENSSL_cleanse(&x3, sizeof(x3));
	OPENSSL_cleanse(&z3, sizeof(z3));
	OPENSSL_cleanse(&aa, sizeof(aa));
	OPENSSL_cleanse(&bb, sizeof(bb));
}

static void fe8_load(struct fe8 *h, uint64_t limbs[5][X25519_BATCH])
{
	for (int i = 0; i < 5; i++)
		h->l[i] = _mm512_loadu_si512(limbs[i]);
}

static void fe8_store(uint64_t limbs[5][X25519_BATCH], const struct fe8 *h)
{
	for (int i = 0; i < 5; i++)
		_mm512_storeu_si512(limbs[i], h->l[i]);
}

/* Each lane's clamped scalar as words; its u-coordinate as limbs (bit 255 masked, RFC 7748 5). */
static void load_lanes(uint64_t k[4][X25519_BATCH], uint64_t u[5][X25519_BATCH], const uint8_t (*scalar)[32],
		       const uint8_t (*point)[32], unsigned n)
{
	static const uint8_t nine[32] = { 9 };
	for (unsigned lane = 0; lane < X25519_BATCH; lane++) {
		uint8_t s[32] = { 0 };
		uint64_t v[5];
		if (lane < n)
			memcpy(s, scalar[lane], 32);
		s[0] &= 248;
		s[31] &= 127;
		s[31] |= 64;
		for (int w = 0; w < 4; w++) {
			k[w][lane] = 0;
			for (int i = 0; i < 8; i++)
				k[w][lane] |= (uint64_t)s[8 * w + i] << (8 * i);
		}
		x25519_limbs_from_bytes(v, lane < n ? point[lane] : nine);
		for (int i = 0; i < 5; i++)
			u[i][lane] = v[i];
		OPENSSL_cleanse(s, sizeof(s));
	}
}

/* The first n lanes' values as 32-byte encodings. */
static void store_lanes(uint8_t (*out)[32], const struct fe8 *h, unsigned n)
{
	uint64_t limbs[5][X25519_BATCH];
	fe8_store(limbs, h);
	for (unsigned lane = 0; lane < n; lane++) {
		uint64_t v[5];
		for (int i = 0; i < 5; i++)
			v[i] = limbs[i][lane];
		x25519_limbs_to_bytes(out[lane], v);
		OPENSSL_cleanse(v, sizeof(v));
	}
	OPENSSL_cleanse(limbs, sizeof(limbs));
}

/* ---- public values: x25519.c's comb on eight lanes ---- */

/* Extended Edwards coordinates, as x25519.c's struct point; and a table entry, as its struct niels. */
struct point8 {
	struct fe8 X, Y, Z, T;
};

struct niels8 {
	struct fe8 ypx, ymx, xy2d;
};

/* r = p + q, q affine (x25519.c's point_add_niels(), lane by lane). */
static void point8_add_niels(struct point8 *r, const struct point8 *p, const struct niels8 *q)
{
	struct fe8 a, b, c, d, e, f, g, h;
	fe8_sub(&a, &p->Y, &p->X);
	fe8_mul(&a, &a, &q->ymx);
	fe8_add(&b, &p->Y, &p->X);
	fe8_mul(&b, &b, &q->ypx);
	fe8_mul(&c, &p->T, &q->xy2d);
	fe8_add(&d, &p->Z, &p->Z);
	fe8_sub(&e, &b, &a);
	fe8_sub(&f, &d, &c);
	fe8_add(&g, &d, &c);
	fe8_add(&h, &b, &a);
	fe8_mul(&r->X, &e, &f);
	fe8_mul(&r->Y, &g, &h);
	fe8_mul(&r->T, &e, &h);
	fe8_mul(&r->Z, &f, &g);
}

/* r = 2p (x25519.c's point_double()). */
static void point8_double(struct point8 *r, const struct point8 *p)
{
	struct fe8 a, b, c, e, f, g, h, xy;
	fe8_sq(&a, &p->X);
	fe8_sq(&b, &p->Y);
	fe8_sq(&c, &p->Z);
	fe8_add(&c, &c, &c);
	fe8_add(&h, &a, &b);
	fe8_add(&xy, &p->X, &p->Y);
	fe8_sq(&xy, &xy);
	fe8_sub(&e, &h, &xy);
	fe8_sub(&g, &a, &b);
	fe8_add(&f, &c, &g);
	fe8_mul(&r->X, &e, &f);
	fe8_mul(&r->Y, &g, &h);
	fe8_mul(&r->T, &e, &h);
	fe8_mul(&r->Z, &f, &g);
}

/* Lanes in mask take the field element whose limbs are at w (the same for every lane). */
static inline void fe8_take_broadcast(struct fe8 *h, const uint64_t *w, __mmask8 mask)
{
	UNROLL
	for (int i = 0; i < 5; i++)
		h->l[i] = _mm512_mask_blend_epi64(mask, h->l[i], _mm512_set1_epi64((long long)w[i]));
}

/*
 * Each lane's digit * 256^k * B, digits in [-8, 8]: all eight entries are read for every lane,
 * each lane keeps the one its digit names by a masked blend; negative digits then negate.
 */
static void select8(struct niels8 *t, const uint64_t *table, int k, const int64_t digit[X25519_BATCH])
{
	v8 d = _mm512_loadu_si512(digit);
	__mmask8 negative = _mm512_cmplt_epi64_mask(d, _mm512_setzero_si512());
	v8 magnitude = _mm512_abs_epi64(d);
	fe8_set_small(&t->ypx, 1); /* the identity, (0, 1) */
	fe8_set_small(&t->ymx, 1);
	fe8_set_small(&t->xy2d, 0);
	for (int j = 1; j <= 8; j++) {
		const uint64_t *e = table + (8 * k + j - 1) * 16;
		__mmask8 m = _mm512_cmpeq_epi64_mask(magnitude, _mm512_set1_epi64(j));
		fe8_take_broadcast(&t->ypx, e, m);
		fe8_take_broadcast(&t->ymx, e + 5, m);
		fe8_take_broadcast(&t->xy2d, e + 10, m);
	}
	/* -(x, y) = (-x, y): y + x and y - x change places, x * y changes sign */
	struct fe8 zero, minus;
	fe8_set_small(&zero, 0);
	fe8_sub(&minus, &zero, &t->xy2d);
	fe8_cswap(&t->ypx, &t->ymx, negative);
	UNROLL
	for (int i = 0; i < 5; i++)
		t->xy2d.l[i] = _mm512_mask_blend_epi64(negative, t->xy2d.l[i], minus.l[i]);
}

/* out[i] = X25519(scalar[i], 9) by the comb: 64 additions and 4 doublings against the ladder's 255 steps. */
static void public_values(uint8_t (*out)[32], const uint8_t (*scalar)[32], unsigned n)
{
	static const uint8_t unused[32];
	const uint64_t *table = x25519_comb_table();
	int64_t digits[64][X25519_BATCH];
	for (unsigned lane = 0; lane < X25519_BATCH; lane++) {
		int8_t e[64];
		x25519_scalar_digits(e, lane < n ? scalar[lane] : unused);
		for (int i = 0; i < 64; i++)
			digits[i][lane] = e[i];
		OPENSSL_cleanse(e, sizeof(e));
	}
	struct point8 h;
	struct niels8 t;
	fe8_set_small(&h.X, 0);
	fe8_set_small(&h.Y, 1);
	fe8_set_small(&h.Z, 1);
	fe8_set_small(&h.T, 0);
	for (int i = 1; i < 64; i += 2) { /* the odd digits, of 16 * 256^k */
		select8(&t, table, i / 2, digits[i]);
		point8_add_niels(&h, &h, &t);
	}
	for (int i = 0; i < 4; i++)
		point8_double(&h, &h);
	for (int i = 0; i < 64; i += 2) {
		select8(&t, table, i / 2, digits[i]);
		point8_add_niels(&h, &h, &t);
	}
	/* Montgomery u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y) */
	struct fe8 num, den;
	fe8_add(&num, &h.Z, &h.Y);
	fe8_sub(&den, &h.Z, &h.Y);
	fe8_invert(&den, &den);
	fe8_mul(&num, &num, &den);
	store_lanes(out, &num, n);
	OPENSSL_cleanse(digits, sizeof(digits));
	OPENSSL_cleanse(&h, sizeof(h));
	OPENSSL_cleanse(&t, sizeof(t));
}

void x25519_batch(uint8_t (*out)[32], const uint8_t (*scalar)[32], const uint8_t (*point)[32], unsigned n)
{
	if (point == NULL) {
		public_values(out, scalar, n);
		return;
	}
	uint64_t k[4][X25519_BATCH], limbs[5][X25519_BATCH];
	struct fe8 x1, x2, z2;
	load_lanes(k, limbs, scalar, point, n);
	fe8_load(&x1, limbs);
	ladder8(&x2, &z2, (const uint64_t(*)[X25519_BATCH])k, &x1);
	fe8_invert(&z2, &z2);
	fe8_mul(&x2, &x2, &z2);
	store_lanes(out, &x2, n);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(limbs, sizeof(limbs));
	OPENSSL_cleanse(&x2, sizeof(x2));
	OPENSSL_cleanse(&z2, sizeof(z2));
}

#pragma GCC pop_options
