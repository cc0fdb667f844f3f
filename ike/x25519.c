/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X25519 public values, X25519(a, 9) of RFC 7748, by a fixed-base comb on the twisted Edwards
 * curve that is birationally equivalent to Curve25519 (RFC 7748 4.1; the base point of RFC 8032
 * 5.1 maps to u = 9). OpenSSL 3.0 computes the same value with its portable 32-bit code, 50-70 us
 * here, as dear as the assembly ladder of the derivation that follows: a key pair per IKE
 * exchange paid twice the curve's price.
 *
 * The comb: a = sum of e[i] * 16^i with signed digits e[i] in [-8, 8]; the table holds
 * j * 256^k * B for j = 1..8 and k = 0..31 (affine, in the form a mixed addition wants), so
 * a * B is 64 table additions and 4 doublings. Everything runs in constant time: table entries
 * are chosen by masks over all eight, never by an index or branch on the secret.
 *
 * Field elements mod p = 2^255 - 19 are five limbs of 51 bits (products in 128 bits).
 */
#include "x25519.h"

#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>

typedef unsigned __int128 u128;

#define LIMB_MASK ((UINT64_C(1) << 51) - 1)

struct fe {
	uint64_t v[5];
};

/* Extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, x*y = T/Z. */
struct point {
	struct fe X, Y, Z, T;
};

typedef uint64_t u64x4 __attribute__((vector_size(32)));

/*
 * An affine point as a mixed addition reads it: y + x, y - x, 2 * d * x * y; also as four
 * vectors of four words, which the constant-time selection masks whole.
 */
struct niels {
	union {
		struct {
			struct fe ypx, ymx, xy2d;
		};
		u64x4 v[4];
	};
};

/* Brings every limb below 2^51 (the lowest to a little above), folding 2^255 back as 19. */
static void fe_carry(struct fe *h)
{
	uint64_t *v = h->v;
	for (int i = 0; i < 4; i++) {
		v[i + 1] += v[i] >> 51;
		v[i] &= LIMB_MASK;
	}
	v[0] += 19 * (v[4] >> 51);
	v[4] &= LIMB_MASK;
}

static void fe_add(struct fe *h, const struct fe *f, const struct fe *g)
{
	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
	fe_carry(h);
}

/* f - g as f + 4p - g: limbs of g stay below 2^52, so no limb goes negative. */
static void fe_sub(struct fe *h, const struct fe *f, const struct fe *g)
{
	h->v[0] = f->v[0] + ((UINT64_C(1) << 53) - 76) - g->v[0];
	for (int i = 1; i < 5; i++)
		h->v[i] = f->v[i] + ((UINT64_C(1) << 53) - 4) - g->v[i];
	fe_carry(h);
}

/* The five 128-bit column sums of a product, carried into 51-bit limbs. */
static inline void fe_reduce_wide(struct fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
	r1 += (uint64_t)(r0 >> 51);
	r2 += (uint64_t)(r1 >> 51);
	r3 += (uint64_t)(r2 >> 51);
	r4 += (uint64_t)(r3 >> 51);
	uint64_t v0 = ((uint64_t)r0 & LIMB_MASK) + 19 * (uint64_t)(r4 >> 51);
	h->v[0] = v0 & LIMB_MASK;
	h->v[1] = ((uint64_t)r1 & LIMB_MASK) + (v0 >> 51);
	h->v[2] = (uint64_t)r2 & LIMB_MASK;
	h->v[3] = (uint64_t)r3 & LIMB_MASK;
	h->v[4] = (uint64_t)r4 & LIMB_MASK;
}

static void fe_mul(struct fe *h, const struct fe *f, const struct fe *g)
{
	const uint64_t *a = f->v, *b = g->v;
	uint64_t b1 = 19 * b[1], b2 = 19 * b[2], b3 = 19 * b[3], b4 = 19 * b[4];
	u128 r0 = (u128)a[0] * b[0] + (u128)a[1] * b4 + (u128)a[2] * b3 + (u128)a[3] * b2 + (u128)a[4] * b1;
	u128 r1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b4 + (u128)a[3] * b3 + (u128)a[4] * b2;
	u128 r2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] + (u128)a[3] * b4 + (u128)a[4] * b3;
	u128 r3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] + (u128)a[3] * b[0] + (u128)a[4] * b4;
	u128 r4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] + (u128)a[3] * b[1] + (u128)a[4] * b[0];
	fe_reduce_wide(h, r0, r1, r2, r3, r4);
}

static void fe_sq(struct fe *h, const struct fe *f)
{
	const uint64_t *a = f->v;
	uint64_t d0 = 2 * a[0], d1 = 2 * a[1], d2 = 2 * a[2], a3_19 = 19 * a[3], a4_19 = 19 * a[4];
	u128 r0 = (u128)a[0] * a[0] + (u128)d1 * a4_19 + (u128)d2 * a3_19;
	u128 r1 = (u128)d0 * a[1] + (u128)d2 * a4_19 + (u128)a[3] * a3_19;
	u128 r2 = (u128)d0 * a[2] + (u128)a[1] * a[1] + (u128)(2 * a[3]) * a4_19;
	u128 r3 = (u128)d0 * a[3] + (u128)d1 * a[2] + (u128)a[4] * a4_19;
	u128 r4 = (u128)d0 * a[4] + (u128)d1 * a[3] + (u128)a[2] * a[2];
	fe_reduce_wide(h, r0, r1, r2, r3, r4);
}

static void fe_sq_times(struct fe *h, const struct fe *f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/* 1/z as z^(p - 2) = z^(2^255 - 21); 0 for 0. */
static void fe_invert(struct fe *out, const struct fe *z)
{
	struct fe z2, z9, z11, t, z5_0, z10_0, z20_0, z50_0, z100_0;
	fe_sq(&z2, z);
	fe_sq_times(&t, &z2, 2);
	fe_mul(&z9, &t, z);
	fe_mul(&z11, &z9, &z2);
	fe_sq(&t, &z11);
	fe_mul(&z5_0, &t, &z9); /* z^(2^5 - 1) */
	fe_sq_times(&t, &z5_0, 5);
	fe_mul(&z10_0, &t, &z5_0);
	fe_sq_times(&t, &z10_0, 10);
	fe_mul(&z20_0, &t, &z10_0);
	fe_sq_times(&t, &z20_0, 20);
	fe_mul(&t, &t, &z20_0); /* z^(2^40 - 1) */
	fe_sq_times(&t, &t, 10);
	fe_mul(&z50_0, &t, &z10_0);
	fe_sq_times(&t, &z50_0, 50);
	fe_mul(&z100_0, &t, &z50_0);
	fe_sq_times(&t, &z100_0, 100);
	fe_mul(&t, &t, &z100_0); /* z^(2^200 - 1) */
	fe_sq_times(&t, &t, 50);
	fe_mul(&t, &t, &z50_0); /* z^(2^250 - 1) */
	fe_sq_times(&t, &t, 5);
	fe_mul(out, &t, &z11);
}

static void fe_from_bytes(struct fe *h, const uint8_t s[32])
{
	uint64_t w[4] = { 0 };
	for (int i = 0; i < 32; i++)
		w[i / 8] |= (uint64_t)s[i] << (8 * (i % 8));
	h->v[0] = w[0] & LIMB_MASK;
	h->v[1] = (w[0] >> 51 | w[1] << 13) & LIMB_MASK;
	h->v[2] = (w[1] >> 38 | w[2] << 26) & LIMB_MASK;
	h->v[3] = (w[2] >> 25 | w[3] << 39) & LIMB_MASK;
	h->v[4] = (w[3] >> 12) & LIMB_MASK; /* bit 255 is not part of the value (RFC 7748 5) */
}

/* The unique representative below p, little-endian. */
static void fe_to_bytes(uint8_t s[32], const struct fe *f)
{
	struct fe h = *f;
	fe_carry(&h);
	fe_carry(&h); /* now below 2^255 + 19 < 2p */
	uint64_t q = (h.v[0] + 19) >> 51; /* q = 1 when h >= p: the carry out of h + 19 */
	for (int i = 1; i < 5; i++)
		q = (h.v[i] + q) >> 51;
	h.v[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h.v[i + 1] += h.v[i] >> 51;
		h.v[i] &= LIMB_MASK;
	}
	h.v[4] &= LIMB_MASK; /* with the 19 above: minus p when q = 1 */
	uint64_t w[4] = { h.v[0] | h.v[1] << 51, h.v[1] >> 13 | h.v[2] << 38, h.v[2] >> 26 | h.v[3] << 25,
			  h.v[3] >> 39 | h.v[4] << 12 };
	for (int i = 0; i < 32; i++)
		s[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
}

static void fe_set(struct fe *h, uint64_t small)
{
	*h = (struct fe){ { small, 0, 0, 0, 0 } };
}

static void fe_neg(struct fe *h, const struct fe *f)
{
	struct fe zero;
	fe_set(&zero, 0);
	fe_sub(h, &zero, f);
}

/* The comb's table, and 2d (d = -121665/121666), made once. */
static struct niels table[32][8];
static struct fe d2;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* r = p + q, q affine; complete on this curve (a = -1, d not a square). */
static void point_add_niels(struct point *r, const struct point *p, const struct niels *q)
{
	struct fe a, b, c, d, e, f, g, h;
	fe_sub(&a, &p->Y, &p->X);
	fe_mul(&a, &a, &q->ymx);
	fe_add(&b, &p->Y, &p->X);
	fe_mul(&b, &b, &q->ypx);
	fe_mul(&c, &p->T, &q->xy2d);
	fe_add(&d, &p->Z, &p->Z);
	fe_sub(&e, &b, &a);
	fe_sub(&f, &d, &c);
	fe_add(&g, &d, &c);
	fe_add(&h, &b, &a);
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

/* r = 2p ("dbl-2008-hwcd" with a = -1, signs folded so that only additions of squares remain). */
static void point_double(struct point *r, const struct point *p)
{
	struct fe a, b, c, e, f, g, h, xy;
	fe_sq(&a, &p->X);
	fe_sq(&b, &p->Y);
	fe_sq(&c, &p->Z);
	fe_add(&c, &c, &c);
	fe_add(&h, &a, &b);
	fe_add(&xy, &p->X, &p->Y);
	fe_sq(&xy, &xy);
	fe_sub(&e, &h, &xy);
	fe_sub(&g, &a, &b);
	fe_add(&f, &c, &g);
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

static void point_identity(struct point *p)
{
	fe_set(&p->X, 0);
	fe_set(&p->Y, 1);
	fe_set(&p->Z, 1);
	fe_set(&p->T, 0);
}

static void niels_from_point(struct niels *n, const struct point *p)
{
	struct fe zi, x, y;
	fe_invert(&zi, &p->Z);
	fe_mul(&x, &p->X, &zi);
	fe_mul(&y, &p->Y, &zi);
	fe_add(&n->ypx, &y, &x);
	fe_sub(&n->ymx, &y, &x);
	fe_mul(&n->xy2d, &x, &y);
	fe_mul(&n->xy2d, &n->xy2d, &d2);
}

/* The base point of RFC 8032 5.1, little-endian x and y (y = 4/5). */
static const uint8_t base_x[32] = { 0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25,
				    0x95, 0x60, 0xc7, 0x2c, 0x69, 0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2,
				    0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21 };
static const uint8_t base_y[32] = { 0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66 };

static void make_table(void)
{
	struct fe num, den;
	fe_set(&num, 121665);
	fe_neg(&num, &num);
	fe_set(&den, 121666);
	fe_invert(&den, &den);
	fe_mul(&d2, &num, &den);
	fe_add(&d2, &d2, &d2);

	struct point base; /* 256^k * B */
	fe_from_bytes(&base.X, base_x);
	fe_from_bytes(&base.Y, base_y);
	fe_set(&base.Z, 1);
	fe_mul(&base.T, &base.X, &base.Y);
	for (int k = 0; k < 32; k++) {
		struct point multiple = base; /* j * 256^k * B */
		niels_from_point(&table[k][0], &base);
		for (int j = 1; j < 8; j++) {
			point_add_niels(&multiple, &multiple, &table[k][0]);
			niels_from_point(&table[k][j], &multiple);
		}
		for (int i = 0; i < 8; i++)
			point_double(&base, &base);
	}
}

static uint64_t equal(uint8_t a, uint8_t b)
{
	return ((uint32_t)(a ^ b) - 1) >> 31;
}

static void niels_cmov(struct niels *t, const struct niels *u, uint64_t flag)
{
	u64x4 mask = (u64x4){ 0, 0, 0, 0 } - flag;
	for (int i = 0; i < 4; i++)
		t->v[i] ^= mask & (t->v[i] ^ u->v[i]);
}

/* out = digit * 256^k * B for a digit in [-8, 8], reading all eight entries whatever the digit. */
static void select_multiple(struct niels *out, int k, int8_t digit)
{
	uint8_t negative = (uint8_t)digit >> 7;
	uint8_t magnitude = (uint8_t)(digit - 2 * (digit & -(int)negative));
	struct niels t = { .ypx = { { 1 } }, .ymx = { { 1 } } }; /* the identity, (0, 1); local, so kept in registers */
	for (uint8_t j = 0; j < 8; j++)
		niels_cmov(&t, &table[k][j], equal(magnitude, (uint8_t)(j + 1)));
	/* -(x, y) = (-x, y): y + x and y - x change places, x * y changes sign */
	struct niels minus = { .ypx = t.ymx, .ymx = t.ypx };
	fe_neg(&minus.xy2d, &t.xy2d);
	niels_cmov(&t, &minus, negative);
	*out = t;
}

void x25519_scalar_digits(int8_t e[64], const uint8_t priv[X25519_KEY_LEN])
{
	uint8_t a[32];
	memcpy(a, priv, 32);
	a[0] &= 248;
	a[31] &= 127;
	a[31] |= 64;
	for (int i = 0; i < 32; i++) {
		e[2 * i] = (int8_t)(a[i] & 15);
		e[2 * i + 1] = (int8_t)(a[i] >> 4);
	}
	int8_t carry = 0;
	for (int i = 0; i < 63; i++) {
		e[i] = (int8_t)(e[i] + carry);
		carry = (int8_t)((e[i] + 8) >> 4);
		e[i] = (int8_t)(e[i] - carry * 16);
	}
	e[63] = (int8_t)(e[63] + carry);
	OPENSSL_cleanse(a, sizeof(a));
}

void x25519_public_from_private(uint8_t pub[X25519_KEY_LEN], const uint8_t priv[X25519_KEY_LEN])
{
	pthread_once(&table_once, make_table);
	int8_t e[64];
	x25519_scalar_digits(e, priv);
	struct point h;
	struct niels t;
	point_identity(&h);
	for (int i = 1; i < 64; i += 2) { /* the odd digits, of 16 * 256^k */
		select_multiple(&t, i / 2, e[i]);
		point_add_niels(&h, &h, &t);
	}
	for (int i = 0; i < 4; i++)
		point_double(&h, &h);
	for (int i = 0; i < 64; i += 2) {
		select_multiple(&t, i / 2, e[i]);
		point_add_niels(&h, &h, &t);
	}
	/* Montgomery u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y) */
	struct fe num, den;
	fe_add(&num, &h.Z, &h.Y);
	fe_sub(&den, &h.Z, &h.Y);
	fe_invert(&den, &den);
	fe_mul(&num, &num, &den);
	fe_to_bytes(pub, &num);
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(&h, sizeof(h));
	OPENSSL_cleanse(&t, sizeof(t));
}

void x25519_limbs_from_bytes(uint64_t v[5], const uint8_t s[X25519_KEY_LEN])
{
	struct fe h;
	fe_from_bytes(&h, s);
	memcpy(v, h.v, sizeof(h.v));
}

void x25519_limbs_to_bytes(uint8_t s[X25519_KEY_LEN], const uint64_t v[5])
{
	struct fe h;
	memcpy(h.v, v, sizeof(h.v));
	fe_to_bytes(s, &h);
	OPENSSL_cleanse(&h, sizeof(h));
}

const uint64_t *x25519_comb_table(void)
{
	_Static_assert(sizeof(struct niels) == 16 * sizeof(uint64_t), "x25519.h gives the entries 16 words");
	pthread_once(&table_once, make_table);
	return (const uint64_t *)table;
}
