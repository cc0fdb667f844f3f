/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-GCM (NIST SP 800-38D), eight blocks at a time in four 256-bit registers: the counter
 * blocks through VAES, the ciphertext through VPCLMULQDQ, one reduction per eight blocks; and
 * where the CPU has AVX-512, sixteen or 32 at a time in 512-bit registers (the second half).
 *
 * GHASH arithmetic. Each block is byte-reversed into a register, so that register bit 127 - i
 * holds the coefficient of x^i (bit 0 of a register is y^0 below). The carry-less product of two
 * such registers is then x * a * b in the same reversed order over 256 bits; IPsec-MB's key data
 * holds every power of H already multiplied by x^-1 (its "HashKey<<1 mod poly"), which cancels
 * that x. In the reversed order the field polynomial is P* = 1 + y^121 + y^126 + y^127 + y^128,
 * and a 256-bit product R reduces to R * y^-128 mod P* (the reversal's bookkeeping): R's low
 * 64-bit digit d is cleared by adding d * P*, that is d * y^128 and d * C at y^64 with
 * C = y^57 + y^62 + y^63 (P* is 1 mod y^64), then dropped; twice, and the upper 128 bits are the
 * result. The file is checked against OpenSSL by the unit tests and against IPsec-MB at start.
 */
#include "gcm_vaes.h"

#include <string.h>

#include <cpuid.h>
#include <immintrin.h>

#include "lib/target.h"

/*
 * Before the target region: this one must run on any x86-64. VAES and VPCLMULQDQ from CPUID
 * leaf 7 (ECX bits 9 and 10; clang's __builtin_cpu_supports does not name them), AVX2 from
 * the builtin, which also checks that the OS saves the YMM registers.
 */
bool gcm_vaes_supported(void)
{
	unsigned a, b, c, d;
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 9)) &&
	       (c & (1u << 10));
}

TARGET_BEGIN("avx2,vaes,vpclmulqdq,pclmul,aes")

#define GCM_BLOCK 16
#define CHUNK (8 * GCM_BLOCK) /* blocks in flight: four registers of two */
#define REDUCE_C 0xC200000000000000ull

/* Eight blocks in four registers, kept in registers across the inlined helpers. */
struct x8 {
	__m256i v0, v1, v2, v3;
};

static inline struct x8 load_x8(const uint8_t *p)
{
	return (struct x8){_mm256_loadu_si256((const __m256i *)p), _mm256_loadu_si256((const __m256i *)(p + 32)),
			   _mm256_loadu_si256((const __m256i *)(p + 64)),
			   _mm256_loadu_si256((const __m256i *)(p + 96))};
}

static inline void store_x8(uint8_t *p, struct x8 x)
{
	_mm256_storeu_si256((__m256i *)p, x.v0);
	_mm256_storeu_si256((__m256i *)(p + 32), x.v1);
	_mm256_storeu_si256((__m256i *)(p + 64), x.v2);
	_mm256_storeu_si256((__m256i *)(p + 96), x.v3);
}

static inline struct x8 xor_x8(struct x8 a, struct x8 b)
{
	return (struct x8){_mm256_xor_si256(a.v0, b.v0), _mm256_xor_si256(a.v1, b.v1),
			   _mm256_xor_si256(a.v2, b.v2), _mm256_xor_si256(a.v3, b.v3)};
}

static inline __m256i reverse_lanes(__m256i v)
{
	const __m256i rev = _mm256_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11,
					     10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
	return _mm256_shuffle_epi8(v, rev);
}

static inline __m128i reverse_block(__m128i v)
{
	return _mm_shuffle_epi8(v, _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
}

/*
 * The hash key's powers in IPsec-MB 1.3's AVX2 layout: H^8 first, H^1 last (its header lists
 * them the other way; the unit test and esp_gcm.c's self-test would catch a change). Pair i
 * is [H^(8-2i), H^(7-2i)], the powers of two neighbouring blocks.
 */
static inline __m256i hkey_pair(const uint8_t *hkeys, unsigned i)
{
	return _mm256_loadu_si256((const __m256i *)(hkeys + 2 * GCM_BLOCK * i));
}

static inline __m128i hkey_power(const uint8_t *hkeys, unsigned n)
{
	return _mm_loadu_si128((const __m128i *)(hkeys + GCM_BLOCK * (8 - n)));
}

/*
 * Sums of carry-less products by Karatsuba (three multiplications instead of four: PCLMULQDQ is
 * the bottleneck on AMD, one every two cycles): mid sums (xh ^ xl)(hh ^ hl), from which the
 * reduction takes lo and hi; all reduced once.
 */
struct clmul_sum {
	__m256i lo, mid, hi;
};

static inline struct clmul_sum no_products(void)
{
	return (struct clmul_sum){_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
}

/* One 64-bit step of the reduction (header): digit 0 cleared, digit 2's share moved to the top. */
static inline __m128i reduce_digit(__m128i v)
{
	__m128i t = _mm_clmulepi64_si128(v, _mm_set_epi64x(0, (long long)REDUCE_C), 0x00);
	return _mm_xor_si128(_mm_shuffle_epi32(v, 0x4e), t);
}

/* Inlined always: called out of line, its 256-bit arguments went through memory (11 cycles at 516 bytes). */
static inline __attribute__((always_inline)) __m128i clmul_reduce(struct clmul_sum s)
{
	s.mid = _mm256_xor_si256(s.mid, _mm256_xor_si256(s.lo, s.hi));
	__m256i lo = _mm256_xor_si256(s.lo, _mm256_slli_si256(s.mid, 8));
	__m256i hi = _mm256_xor_si256(s.hi, _mm256_srli_si256(s.mid, 8));
	__m128i lo2 = _mm_xor_si128(_mm256_castsi256_si128(lo), _mm256_extracti128_si256(lo, 1));
	__m128i hi2 = _mm_xor_si128(_mm256_castsi256_si128(hi), _mm256_extracti128_si256(hi, 1));
	return _mm_xor_si128(hi2, reduce_digit(reduce_digit(lo2)));
}

/* Karatsuba's middle factor of each power in h, in both halves of its lane: hi ^ lo. */
static inline __m256i karatsuba_key(__m256i h)
{
	return _mm256_xor_si256(h, _mm256_shuffle_epi32(h, 0x4e));
}

static inline struct clmul_sum clmul_add(struct clmul_sum s, __m256i x, __m256i h, __m256i hk)
{
	__m256i xk = _mm256_xor_si256(x, _mm256_shuffle_epi32(x, 0x4e));
	return (struct clmul_sum){_mm256_xor_si256(s.lo, _mm256_clmulepi64_epi128(x, h, 0x00)),
				  _mm256_xor_si256(s.mid, _mm256_clmulepi64_epi128(xk, hk, 0x00)),
				  _mm256_xor_si256(s.hi, _mm256_clmulepi64_epi128(x, h, 0x11))};
}

/* Eight blocks in wire order: y' = (y ^ b0) H^8 ^ b1 H^7 ^ ... ^ b7 H; hk: the pairs' middle factors. */
static inline __m128i ghash8(__m128i y, struct x8 b, const uint8_t *hkeys, struct x8 hk)
{
	/* y's block last: only its product waits for the reduction before (ghash_regs4()) */
	struct clmul_sum s = no_products();
	s = clmul_add(s, reverse_lanes(b.v3), hkey_pair(hkeys, 3), hk.v3);
	s = clmul_add(s, reverse_lanes(b.v2), hkey_pair(hkeys, 2), hk.v2);
	s = clmul_add(s, reverse_lanes(b.v1), hkey_pair(hkeys, 1), hk.v1);
	__m256i x0 = _mm256_xor_si256(reverse_lanes(b.v0), _mm256_zextsi128_si256(y));
	s = clmul_add(s, x0, hkey_pair(hkeys, 0), hk.v0);
	return clmul_reduce(s);
}

static inline __m256i round_key(const uint8_t *rk, int k)
{
	return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(rk + 16 * k)));
}

static inline __attribute__((always_inline)) struct x8 aes_x8(struct x8 b, const uint8_t *rk, int nr)
{
	__m256i k = round_key(rk, 0);
	b = xor_x8(b, (struct x8){k, k, k, k});
#pragma GCC unroll 14
	for (int i = 1; i < nr; i++) {
		k = round_key(rk, i);
		b = (struct x8){_mm256_aesenc_epi128(b.v0, k), _mm256_aesenc_epi128(b.v1, k),
				_mm256_aesenc_epi128(b.v2, k), _mm256_aesenc_epi128(b.v3, k)};
	}
	k = round_key(rk, nr);
	return (struct x8){_mm256_aesenclast_epi128(b.v0, k), _mm256_aesenclast_epi128(b.v1, k),
			   _mm256_aesenclast_epi128(b.v2, k), _mm256_aesenclast_epi128(b.v3, k)};
}

static inline __attribute__((always_inline)) __m128i aes_x1(__m128i b, const uint8_t *rk, int nr)
{
	b = _mm_xor_si128(b, _mm_loadu_si128((const __m128i *)rk));
#pragma GCC unroll 14
	for (int i = 1; i < nr; i++)
		b = _mm_aesenc_si128(b, _mm_loadu_si128((const __m128i *)(rk + 16 * i)));
	return _mm_aesenclast_si128(b, _mm_loadu_si128((const __m128i *)(rk + 16 * nr)));
}

/* The next eight counter blocks from the byte-reversed pair in *ctr (inc32 wraps in its 32 bits, as vpaddd). */
static inline struct x8 next_counters(__m256i *ctr)
{
	const __m256i two = _mm256_setr_epi32(2, 0, 0, 0, 2, 0, 0, 0);
	__m256i c0 = *ctr, c1 = _mm256_add_epi32(c0, two), c2 = _mm256_add_epi32(c1, two),
		c3 = _mm256_add_epi32(c2, two);
	*ctr = _mm256_add_epi32(c3, two);
	return (struct x8){reverse_lanes(c0), reverse_lanes(c1), reverse_lanes(c2), reverse_lanes(c3)};
}

/* The first n <= 32 bytes at p and zeros after them, reading nothing past them. */
static inline __m256i load_upto32(const uint8_t *p, unsigned n)
{
	const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	__m256i dwords = _mm256_set1_epi32((int)(n / 4));
	__m256i v = _mm256_maskload_epi32((const int *)p, _mm256_cmpgt_epi32(dwords, lane));
	if (n & 3) {
		uint32_t last = 0;
		for (unsigned i = 0; i < (n & 3); i++)
			last |= (uint32_t)p[(n & ~3u) + i] << (8 * i);
		__m256i at = _mm256_cmpeq_epi32(dwords, lane);
		v = _mm256_or_si256(v, _mm256_and_si256(_mm256_set1_epi32((int)last), at));
	}
	return v;
}

/* The first n <= 32 bytes of v to p (no masked store: AMD's take ten cycles). */
static inline void store_upto32(uint8_t *p, __m256i v, unsigned n)
{
	if (n == 32) {
		_mm256_storeu_si256((__m256i *)p, v);
		return;
	}
	uint8_t tmp[32] __attribute__((aligned(32)));
	_mm256_store_si256((__m256i *)tmp, v);
	unsigned i = 0;
	for (unsigned size = 16; size; size /= 2)
		if (n & size) {
			memcpy(p + i, tmp + i, size);
			i += size;
		}
}

static inline __m256i x8_get(struct x8 x, unsigned k)
{
	return k == 0 ? x.v0 : k == 1 ? x.v1 : k == 2 ? x.v2 : x.v3;
}

static inline struct x8 x8_set(struct x8 x, unsigned k, __m256i v)
{
	if (k == 0)
		x.v0 = v;
	else if (k == 1)
		x.v1 = v;
	else if (k == 2)
		x.v2 = v;
	else if (k == 3)
		x.v3 = v;
	return x;
}

/* Bytes [32k, 32k + 32) of the tail: how many of them exist. */
static inline unsigned piece(unsigned rem, unsigned k)
{
	return rem <= 32 * k ? 0 : rem - 32 * k >= 32 ? 32 : rem - 32 * k;
}

/*
 * The powers for register k (blocks 2k and 2k + 1) of a run of m blocks whose block i takes
 * H^(m-i): any two neighbouring powers are one load, as the key data keeps them in a row; a lone
 * last block takes H^1, its neighbour's lane (H^0, outside the table) zero like its data.
 */
static inline __m256i power_pair(const uint8_t *hkeys, unsigned k, unsigned m)
{
	return 2 * k + 1 < m ? _mm256_loadu_si256((const __m256i *)(hkeys + GCM_BLOCK * (8 - m + 2 * k)))
			     : _mm256_zextsi128_si256(hkey_power(hkeys, 1));
}

/* GHASH of up to eight blocks in registers (wire order, zero after the last) and of the products already in s. */
static inline __attribute__((always_inline)) struct clmul_sum ghash_reg(struct clmul_sum s, __m256i v, unsigned k,
									unsigned m, const uint8_t *hkeys)
{
	if (2 * k >= m)
		return s;
	__m256i h = power_pair(hkeys, k, m);
	return clmul_add(s, v, h, karatsuba_key(h));
}

static inline __attribute__((always_inline)) __m128i ghash_regs(struct clmul_sum s, __m128i y, struct x8 b,
								 unsigned m, const uint8_t *hkeys)
{
	s = ghash_reg(s, reverse_lanes(b.v3), 3, m, hkeys);
	s = ghash_reg(s, reverse_lanes(b.v2), 2, m, hkeys);
	s = ghash_reg(s, reverse_lanes(b.v1), 1, m, hkeys);
	s = ghash_reg(s, _mm256_xor_si256(reverse_lanes(b.v0), _mm256_zextsi128_si256(y)), 0, m, hkeys);
	return clmul_reduce(s);
}

/* An AAD of any length on its own, zero-padded to whole blocks, eight blocks a reduction. */
static __m128i ghash_aad(__m128i y, const uint8_t *aad, uint64_t len, const uint8_t *hkeys)
{
	for (; len >= CHUNK; aad += CHUNK, len -= CHUNK)
		y = ghash_regs(no_products(), y, load_x8(aad), 8, hkeys);
	if (len == 0)
		return y;
	unsigned n = (unsigned)len;
	struct x8 b = {load_upto32(aad, piece(n, 0)), _mm256_setzero_si256(), _mm256_setzero_si256(),
		       _mm256_setzero_si256()};
	for (unsigned k = 1; k < 4 && 32 * k < n; k++) /* no pointer past the AAD */
		b = x8_set(b, k, load_upto32(aad + 32 * k, piece(n, k)));
	return ghash_regs(no_products(), y, b, (n + GCM_BLOCK - 1) / GCM_BLOCK, hkeys);
}

/* The length block, byte-reversed: bit lengths of the AAD above, of the text below. */
static inline __m128i length_block(uint64_t aad_len, uint64_t len)
{
	return _mm_set_epi64x((long long)(aad_len * 8), (long long)(len * 8));
}

static inline void store_tag(uint8_t *tag, __m128i t, uint64_t tag_len)
{
	if (tag_len >= GCM_BLOCK)
		_mm_storeu_si128((__m128i *)tag, t);
	else
		memcpy(tag, &t, tag_len);
}

static inline __m128i load_j0(const uint8_t *iv)
{
	uint32_t iv_hi;
	memcpy(&iv_hi, iv + 8, 4);
	__m128i v = _mm_insert_epi32(_mm_loadl_epi64((const __m128i *)iv), (int)iv_hi, 2);
	return _mm_insert_epi32(v, (int)0x01000000, 3); /* counter 1, big-endian */
}

/*
 * What the last step hashes besides the text: y so far, products already summed (the AAD's, and
 * the length block's when lengths_summed).
 */
struct gcm_last {
	__m128i y, lengths;
	struct clmul_sum s;
	__m256i ctr;
	bool lengths_summed;
};

/*
 * The last len < 128 bytes in `regs` registers (a constant where inlined: the first regs - 1
 * full, the last partial), nothing read or written past them, and the tag. The counter blocks
 * and J0 go through AES in one pass where a register is free. Text block i takes
 * H^(blocks + 1 - i) and the length block H, all in one sum, as long as the powers reach
 * (blocks <= 7); a tail of eight blocks is reduced first, then the length block on its own.
 */
static inline __attribute__((always_inline)) __m128i crypt_last(struct gcm_last g, uint8_t *out, const uint8_t *in,
								 unsigned len, __m128i j0, const uint8_t *rk,
								 const uint8_t *hkeys, int nr, bool enc, unsigned regs)
{
	unsigned blocks = (len + GCM_BLOCK - 1) / GCM_BLOCK, last = len - 32 * (regs ? regs - 1 : 0);
	unsigned lin = blocks < 8; /* the length block in this sum */
	struct x8 ks = aes_x8(x8_set(next_counters(&g.ctr), regs, _mm256_broadcastsi128_si256(j0)),
			      rk, nr);
	__m128i ej0 = regs < 4 ? _mm256_castsi256_si128(x8_get(ks, regs)) : aes_x1(j0, rk, nr);
	struct clmul_sum s = g.s;
	const __m256i h1 = _mm256_zextsi128_si256(hkey_power(hkeys, 1)), h1k = karatsuba_key(h1);
	if (lin && !g.lengths_summed)
		s = clmul_add(s, _mm256_zextsi128_si256(g.lengths), h1, h1k);
	const __m256i index = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
					       20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
	for (unsigned k = 0; k < regs; k++) {
		bool full = k + 1 < regs;
		__m256i d = full ? _mm256_loadu_si256((const __m256i *)(in + 32 * k)) : load_upto32(in + 32 * k, last);
		__m256i t = _mm256_xor_si256(d, x8_get(ks, k));
		if (full) {
			_mm256_storeu_si256((__m256i *)(out + 32 * k), t);
		} else {
			t = _mm256_and_si256(t, _mm256_cmpgt_epi8(_mm256_set1_epi8((char)last), index));
			store_upto32(out + 32 * k, t, last);
		}
		__m256i h = power_pair(hkeys, k, blocks + lin); /* the length block, if in, is the run's last */
		__m256i x = reverse_lanes(enc ? t : d);
		if (k == 0)
			x = _mm256_xor_si256(x, _mm256_zextsi128_si256(g.y));
		s = clmul_add(s, x, h, karatsuba_key(h));
	}
	if (regs == 0) /* no text left: y meets the length block, (y ^ L) H */
		s = clmul_add(s, _mm256_zextsi128_si256(g.y), h1, h1k);
	__m128i y = clmul_reduce(s);
	if (!lin)
		y = clmul_reduce(clmul_add(no_products(), _mm256_zextsi128_si256(_mm_xor_si128(y, g.lengths)), h1, h1k));
	return _mm_xor_si128(reverse_block(y), ej0);
}

/* crypt_last() with its register count made a constant in each case. */
static inline __attribute__((always_inline)) __m128i crypt_last_any(struct gcm_last g, uint8_t *out,
								     const uint8_t *in, unsigned len, __m128i j0,
								     const uint8_t *rk, const uint8_t *hkeys, int nr,
								     bool enc)
{
	switch ((len + 31) / 32) {
	case 0:
		return crypt_last(g, out, in, len, j0, rk, hkeys, nr, enc, 0);
	case 1:
		return crypt_last(g, out, in, len, j0, rk, hkeys, nr, enc, 1);
	case 2:
		return crypt_last(g, out, in, len, j0, rk, hkeys, nr, enc, 2);
	case 3:
		return crypt_last(g, out, in, len, j0, rk, hkeys, nr, enc, 3);
	default:
		return crypt_last(g, out, in, len, j0, rk, hkeys, nr, enc, 4);
	}
}

/* All of a text past the AAD, and the tag block: the 512-bit code's (below). */
typedef __m128i gcm_wide_fn(struct gcm_last *g, uint8_t *out, const uint8_t *in, uint64_t len, __m128i j0,
			    const uint8_t *rk, const uint8_t *hkeys);

static inline __m256i lane0(__m256i v)
{
	return _mm256_zextsi128_si256(_mm256_castsi256_si128(v));
}

static inline __m256i lane1(__m256i v)
{
	return _mm256_blend_epi32(_mm256_setzero_si256(), v, 0xf0);
}

/* An AAD of up to one block (ESP's), byte-reversed. */
static inline __m128i short_aad(const uint8_t *aad, uint64_t aad_len)
{
	return reverse_block(_mm256_castsi256_si128(load_upto32(aad, (unsigned)aad_len)));
}

/*
 * Such an AAD A before a short text of b blocks: hashed in the same sum as the text, A H^(b+2),
 * so that a 64-byte packet's GHASH is one reduction.
 */
static inline struct gcm_last aad_in_sum(struct gcm_last g, __m128i a, unsigned blocks, const uint8_t *hkeys)
{
	__m256i h = _mm256_zextsi128_si256(hkey_power(hkeys, blocks + 2));
	g.s = clmul_add(g.s, _mm256_zextsi128_si256(a), h, karatsuba_key(h));
	return g;
}

/*
 * Or, for a text of four blocks (a 64-byte frame's) in dpike's key layout: A and the length
 * block L both times H in one register, A H reduced at once (while the counter blocks go through
 * AES) to be the y the text's first block meets, L H left in the text's sum. The text's blocks
 * then take H^5..H^2, and no power past H^5 is read: dpike's layout keeps those in the lines of
 * the round keys (gcm_vaes.h), H^6 a line before them. A reduction more, a line less.
 */
static inline struct gcm_last aad_and_lengths(struct gcm_last g, __m128i a, const uint8_t *hkeys)
{
	__m256i h1 = _mm256_broadcastsi128_si256(hkey_power(hkeys, 1));
	struct clmul_sum s = clmul_add(no_products(), _mm256_setr_m128i(a, g.lengths), h1, karatsuba_key(h1));
	g.y = clmul_reduce((struct clmul_sum){lane0(s.lo), lane0(s.mid), lane0(s.hi)});
	g.s = (struct clmul_sum){lane1(s.lo), lane1(s.mid), lane1(s.hi)};
	g.lengths_summed = true;
	return g;
}

/* own_layout: the keys in dpike's layout (gcm_vaes.h), else IPsec-MB's AVX-512 one. */
static inline __attribute__((always_inline)) void gcm(const uint8_t *rk, const uint8_t *hkeys, bool own_layout,
						       uint8_t *out, const uint8_t *in, uint64_t len,
						       const uint8_t *iv, const uint8_t *aad, uint64_t aad_len,
						       uint8_t *tag, uint64_t tag_len, int nr, bool enc,
						       gcm_wide_fn *wide)
{
	__m128i j0 = load_j0(iv);
	struct gcm_last g = {_mm_setzero_si128(), length_block(aad_len, len), no_products(),
			     _mm256_add_epi32(_mm256_broadcastsi128_si256(reverse_block(j0)),
					      _mm256_setr_epi32(1, 0, 0, 0, 2, 0, 0, 0)),
			     false};
	uint64_t done = 0;
	if (len <= 6 * GCM_BLOCK && aad_len <= GCM_BLOCK) {
		unsigned blocks = (unsigned)(len + GCM_BLOCK - 1) / GCM_BLOCK;
		g = own_layout && blocks == 4 ? aad_and_lengths(g, short_aad(aad, aad_len), hkeys)
					      : aad_in_sum(g, short_aad(aad, aad_len), blocks, hkeys);
	} else {
		g.y = ghash_aad(g.y, aad, aad_len, hkeys);
		if (wide) {
			store_tag(tag, wide(&g, out, in, len, j0, rk, hkeys), tag_len);
			return;
		}
		struct x8 hk = {0};
		if (len >= CHUNK)
			hk = (struct x8){karatsuba_key(hkey_pair(hkeys, 0)), karatsuba_key(hkey_pair(hkeys, 1)),
					 karatsuba_key(hkey_pair(hkeys, 2)), karatsuba_key(hkey_pair(hkeys, 3))};
		for (; len - done >= CHUNK; done += CHUNK) {
			struct x8 d = load_x8(in + done);
			struct x8 ks = aes_x8(next_counters(&g.ctr), rk, nr);
			if (!enc)
				g.y = ghash8(g.y, d, hkeys, hk);
			d = xor_x8(d, ks);
			store_x8(out + done, d);
			if (enc)
				g.y = ghash8(g.y, d, hkeys, hk);
		}
	}
	__m128i t = crypt_last_any(g, out + done, in + done, (unsigned)(len - done), j0, rk, hkeys, nr, enc);
	store_tag(tag, t, tag_len);
}

/*
 * The four entry points: AES-128 or AES-256 (10 or 14 rounds), either way; wide: the 512-bit
 * loop's. key points at dpike's layout (gcm_vaes.h), not at a struct gcm_key_data.
 */
#define GCM_VAES_ENTRY(name, rounds, encrypt, wide)                                                             \
	void name(const struct gcm_key_data *key, struct gcm_context_data *ctx, uint8_t *out, const uint8_t *in,  \
		  uint64_t len, const uint8_t *iv, const uint8_t *aad, uint64_t aad_len, uint8_t *tag,           \
		  uint64_t tag_len)                                                                             \
	{                                                                                                       \
		(void)ctx;                                                                                      \
		const uint8_t *k = (const uint8_t *)key;                                                        \
		gcm(k + GCM_VAES_ROUNDS_AT, k + GCM_VAES_POWERS_AT, true, out, in, len, iv, aad, aad_len, tag,  \
		    tag_len, rounds, encrypt, wide);                                                            \
	}

GCM_VAES_ENTRY(gcm_vaes128_enc, 10, true, NULL)
GCM_VAES_ENTRY(gcm_vaes128_dec, 10, false, NULL)
GCM_VAES_ENTRY(gcm_vaes256_enc, 14, true, NULL)
GCM_VAES_ENTRY(gcm_vaes256_dec, 14, false, NULL)

/*
 * Keys in the AVX-512 layout (IPsec-MB's whole struct gcm_key_data: 48 powers, H^8..H^1 the last
 * eight, as the AVX2 layout's eight): texts of up to six blocks with ESP's AAD by the short path
 * above, where IPsec-MB's AVX-512 code spends more setting up than such a text needs (on an AMD
 * Zen 5, 58 cycles a 64-byte packet's call to this path's 47); longer ones by that code.
 */
static aes_gcm_enc_dec_t full_long[2][2]; /* [AES-256][encrypt] */

#define FULL_LAST_POWERS(key) ((key)->ghash_keys.vaes_avx512.shifted_hkey + 40 * GCM_BLOCK)

_Static_assert(sizeof(((struct gcm_key_data *)NULL)->ghash_keys.vaes_avx512.shifted_hkey) == 48 * GCM_BLOCK,
	       "the AVX-512 layout's last eight powers start at the 41st");

#define GCM_VAES_FULL_ENTRY(name, rounds, encrypt, aes256)                                                      \
	void name(const struct gcm_key_data *key, struct gcm_context_data *ctx, uint8_t *out, const uint8_t *in,  \
		  uint64_t len, const uint8_t *iv, const uint8_t *aad, uint64_t aad_len, uint8_t *tag,           \
		  uint64_t tag_len)                                                                             \
	{                                                                                                       \
		if (len > 6 * GCM_BLOCK || aad_len > GCM_BLOCK) {                                               \
			full_long[aes256][encrypt](key, ctx, out, in, len, iv, aad, aad_len, tag, tag_len);     \
			return;                                                                                 \
		}                                                                                               \
		gcm(key->expanded_keys, FULL_LAST_POWERS(key), false, out, in, len, iv, aad, aad_len, tag,      \
		    tag_len, rounds, encrypt, NULL);                                                            \
	}

GCM_VAES_FULL_ENTRY(gcm_vaes_full128_enc, 10, true, 0)
GCM_VAES_FULL_ENTRY(gcm_vaes_full128_dec, 10, false, 0)
GCM_VAES_FULL_ENTRY(gcm_vaes_full256_enc, 14, true, 1)
GCM_VAES_FULL_ENTRY(gcm_vaes_full256_dec, 14, false, 1)

TARGET_END

void gcm_vaes_full_init(aes_gcm_enc_dec_t long128_enc, aes_gcm_enc_dec_t long128_dec,
			aes_gcm_enc_dec_t long256_enc, aes_gcm_enc_dec_t long256_dec)
{
	full_long[0][1] = long128_enc;
	full_long[0][0] = long128_dec;
	full_long[1][1] = long256_enc;
	full_long[1][0] = long256_dec;
}

/* Outside the target regions, as gcm_vaes_supported(): it must run on any x86-64. */
bool gcm_vaes_wide_supported(void)
{
	__builtin_cpu_init();
	return gcm_vaes_supported() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl");
}

/*
 * The same over 512-bit registers where the CPU has AVX-512 (BW and VL too): steps of 16 or 32
 * blocks, four to a register, so each AES instruction does four blocks' round where the loop
 * above does two, and one hash reduction a step (with powers made per call); the last bytes and
 * the length block in one more, under byte masks. Texts of up to six blocks with ESP's AAD take
 * the 256-bit code's short path as before.
 */
TARGET_BEGIN("avx512f,avx512bw,avx512vl,avx2,vaes,vpclmulqdq,pclmul,aes")

#define WIDE_STEP (16 * GCM_BLOCK)

static inline __m512i reverse_lanes4(__m512i v)
{
	return _mm512_shuffle_epi8(
		v, _mm512_broadcast_i32x4(_mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)));
}

static inline __m512i round_key4(const uint8_t *rk, int k)
{
	return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(rk + 16 * k)));
}

static inline __attribute__((always_inline)) void aes_regs4(__m512i *b, unsigned n, const uint8_t *rk, int nr)
{
	__m512i k = round_key4(rk, 0);
#pragma GCC unroll 8
	for (unsigned j = 0; j < n; j++)
		b[j] = _mm512_xor_si512(b[j], k);
#pragma GCC unroll 14
	for (int i = 1; i < nr; i++) {
		k = round_key4(rk, i);
#pragma GCC unroll 8
		for (unsigned j = 0; j < n; j++)
			b[j] = _mm512_aesenc_epi128(b[j], k);
	}
	k = round_key4(rk, nr);
#pragma GCC unroll 8
	for (unsigned j = 0; j < n; j++)
		b[j] = _mm512_aesenclast_epi128(b[j], k);
}

struct clmul_sum4 {
	__m512i lo, mid, hi;
};

static inline __m512i karatsuba_key4(__m512i h)
{
	return _mm512_xor_si512(h, _mm512_shuffle_epi32(h, (_MM_PERM_ENUM)0x4e));
}

static inline struct clmul_sum4 clmul_add4(struct clmul_sum4 s, __m512i x, __m512i h, __m512i hk)
{
	__m512i xk = _mm512_xor_si512(x, _mm512_shuffle_epi32(x, (_MM_PERM_ENUM)0x4e));
	return (struct clmul_sum4){_mm512_xor_si512(s.lo, _mm512_clmulepi64_epi128(x, h, 0x00)),
				   _mm512_xor_si512(s.mid, _mm512_clmulepi64_epi128(xk, hk, 0x00)),
				   _mm512_xor_si512(s.hi, _mm512_clmulepi64_epi128(x, h, 0x11))};
}

/* The four lanes' products summed into two (the sum is what gets reduced), then reduced as above. */
static inline __m256i fold_lanes(__m512i v)
{
	return _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

static inline __attribute__((always_inline)) __m128i clmul_reduce4(struct clmul_sum4 s)
{
	return clmul_reduce((struct clmul_sum){fold_lanes(s.lo), fold_lanes(s.mid), fold_lanes(s.hi)});
}

/* One 64-bit reduction step in each lane (reduce_digit()'s). */
static inline __m512i reduce_digit4(__m512i v)
{
	__m512i t = _mm512_clmulepi64_epi128(v, _mm512_broadcast_i32x4(_mm_set_epi64x(0, (long long)REDUCE_C)), 0x00);
	return _mm512_xor_si512(_mm512_shuffle_epi32(v, (_MM_PERM_ENUM)0x4e), t);
}

/* Four products, each lane reduced on its own: lane i of a times lane i of b (as the header's arithmetic). */
static inline __m512i mul_lanes(__m512i a, __m512i b)
{
	struct clmul_sum4 s = clmul_add4((struct clmul_sum4){_mm512_setzero_si512(), _mm512_setzero_si512(),
							     _mm512_setzero_si512()},
					 a, b, karatsuba_key4(b));
	__m512i mid = _mm512_xor_si512(s.mid, _mm512_xor_si512(s.lo, s.hi));
	__m512i lo = _mm512_xor_si512(s.lo, _mm512_bslli_epi128(mid, 8));
	__m512i hi = _mm512_xor_si512(s.hi, _mm512_bsrli_epi128(mid, 8));
	return _mm512_xor_si512(hi, reduce_digit4(reduce_digit4(lo)));
}

/*
 * The powers a step hashes with, four to a register, H^32 first, and their Karatsuba factors:
 * h[4..7] hold H^16..H^1, h[0..3] H^32..H^17 (made only for texts of 32 blocks or more). The key
 * data has H^8..H^1, each times x^-1; the product of two such is H^(i+j) x^-1 again (the
 * multiplication adds an x), so H^16..H^9 are H^8 times each and H^32..H^17 H^16 times each: one
 * hash reduction a step of 16 or 32 blocks, for a few multiplications a call.
 */
struct powers {
	__m512i h[8], k[8];
};

static inline void powers_to16(struct powers *p, const uint8_t *hkeys)
{
	p->h[6] = _mm512_loadu_si512(hkeys);
	p->h[7] = _mm512_loadu_si512(hkeys + 64);
	__m512i h8 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)hkeys));
	p->h[4] = mul_lanes(h8, p->h[6]);
	p->h[5] = mul_lanes(h8, p->h[7]);
	for (int i = 4; i < 8; i++)
		p->k[i] = karatsuba_key4(p->h[i]);
}

static inline void powers_to32(struct powers *p)
{
	__m512i h16 = _mm512_broadcast_i32x4(_mm512_castsi512_si128(p->h[4]));
	for (int i = 0; i < 4; i++) {
		p->h[i] = mul_lanes(h16, p->h[4 + i]);
		p->k[i] = karatsuba_key4(p->h[i]);
	}
}

/* n registers of blocks after y in wire order, with the powers from h on: y' = (y ^ b0) h0 ^ b1 h1 ^ ... */
static inline __attribute__((always_inline)) __m128i ghash_regs4(__m128i y, const __m512i *b, unsigned n,
								  const __m512i *h, const __m512i *k)
{
	struct clmul_sum4 s = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
	/* y's block last: the products of the others wait on nothing, y's goes from one step's reduction to the next */
#pragma GCC unroll 8
	for (unsigned j = n - 1; j > 0; j--)
		s = clmul_add4(s, reverse_lanes4(b[j]), h[j], k[j]);
	s = clmul_add4(s, _mm512_xor_si512(reverse_lanes4(b[0]), _mm512_zextsi128_si512(y)), h[0], k[0]);
	return clmul_reduce4(s);
}

/*
 * Steps of n registers (4 n blocks) from the start of the text while it lasts; returns the bytes
 * done, *ctr moved on. Encrypting, a step's ciphertext is hashed while the next step's AES runs.
 */
static inline __attribute__((always_inline)) uint64_t wide_steps(struct gcm_last *g, __m512i *ctr, uint8_t *out,
								  const uint8_t *in, uint64_t len, const uint8_t *rk,
								  const __m512i *h, const __m512i *k, int nr, bool enc,
								  unsigned n)
{
	const __m512i four = _mm512_setr_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
	uint64_t done = 0;
	__m512i behind[8];
	for (; len - done >= 64 * n; done += 64 * n) {
		__m512i ks[8], d[8];
#pragma GCC unroll 8
		for (unsigned j = 0; j < n; j++) {
			ks[j] = reverse_lanes4(*ctr);
			*ctr = _mm512_add_epi32(*ctr, four);
			d[j] = _mm512_loadu_si512(in + done + 64 * j);
		}
		aes_regs4(ks, n, rk, nr);
		if (!enc)
			g->y = ghash_regs4(g->y, d, n, h, k);
		else if (done)
			g->y = ghash_regs4(g->y, behind, n, h, k);
#pragma GCC unroll 8
		for (unsigned j = 0; j < n; j++) {
			behind[j] = _mm512_xor_si512(d[j], ks[j]);
			_mm512_storeu_si512(out + done + 64 * j, behind[j]);
		}
	}
	if (enc && done)
		g->y = ghash_regs4(g->y, behind, n, h, k);
	return done;
}

/* The sixteen powers in a row, H^16 first, and four zero blocks after them (powers for no block). */
struct power_row {
	uint8_t b[20 * GCM_BLOCK] __attribute__((aligned(64)));
};

static inline void power_row(struct power_row *row, const struct powers *p)
{
	for (int i = 0; i < 4; i++)
		_mm512_store_si512(row->b + 64 * i, p->h[4 + i]);
	_mm512_store_si512(row->b + 256, _mm512_setzero_si512());
}

/* Bytes [64 q, 64 q + 64) of a tail of r: which of them exist. */
static inline __mmask64 tail_mask(unsigned r, unsigned q)
{
	unsigned n = r <= 64 * q ? 0 : r - 64 * q >= 64 ? 64 : r - 64 * q;
	return n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
}

/*
 * The last r < 256 bytes (m blocks) in `regs` registers (a constant where inlined), and the
 * length block after them: block i of the m + 1 takes H^(m + 1 - i), all in one sum with the
 * products of y, one reduction. With m = 16 the length block would need H^17: hashed after.
 */
static inline __attribute__((always_inline)) __m128i wide_last(struct gcm_last *g, __m512i ctr, uint8_t *out,
								const uint8_t *in, unsigned r, __m128i j0,
								const uint8_t *rk, const struct power_row *row, int nr,
								bool enc, unsigned regs)
{
	const __m512i four = _mm512_setr_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
	unsigned m = (r + GCM_BLOCK - 1) / GCM_BLOCK, last = m == 16 ? 15 : m; /* the sum's last block */
	__m512i ks[4];
	for (unsigned q = 0; q < regs; q++, ctr = _mm512_add_epi32(ctr, four))
		ks[q] = reverse_lanes4(ctr);
	aes_regs4(ks, regs, rk, nr);
	__m128i ej0 = aes_x1(j0, rk, nr);
	struct clmul_sum4 s = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
	for (unsigned q = 0; q < regs; q++) {
		__mmask64 mask = tail_mask(r, q);
		__m512i d = _mm512_maskz_loadu_epi8(mask, in + 64 * q);
		__m512i t = _mm512_maskz_mov_epi8(mask, _mm512_xor_si512(d, ks[q]));
		_mm512_mask_storeu_epi8(out + 64 * q, mask, t);
		__m512i x = reverse_lanes4(enc ? t : d);
		if (q == 0)
			x = _mm512_xor_si512(x, _mm512_zextsi128_si512(g->y));
		if (m < 16 && q == m / 4) { /* the length block, in block m's lane */
			__mmask16 lane = (__mmask16)(0xF << (4 * (m % 4)));
			x = _mm512_xor_si512(x, _mm512_maskz_broadcast_i32x4(lane, g->lengths));
		}
		__m512i h = _mm512_loadu_si512(row->b + GCM_BLOCK * (15 - last + 4 * q));
		s = clmul_add4(s, x, h, karatsuba_key4(h));
	}
	__m128i y = clmul_reduce4(s);
	if (m == 16) {
		__m256i h1 = _mm256_zextsi128_si256(_mm_load_si128((const __m128i *)(row->b + 15 * GCM_BLOCK)));
		y = clmul_reduce(clmul_add(no_products(), _mm256_zextsi128_si256(_mm_xor_si128(y, g->lengths)), h1,
					   karatsuba_key(h1)));
	}
	return _mm_xor_si128(reverse_block(y), ej0);
}

/*
 * The text past the AAD: whole steps of 32 blocks (encrypting 1 KiB or more) and of 16, then the
 * rest (wide_last()); returns the tag block. The counter goes on from g's, inc32 as vpaddd wraps.
 */
static inline __attribute__((always_inline)) __m128i wide_text(struct gcm_last *g, uint8_t *out, const uint8_t *in,
								uint64_t len, __m128i j0, const uint8_t *rk,
								const uint8_t *hkeys, int nr, bool enc)
{
	__m512i ctr = _mm512_add_epi32(_mm512_broadcast_i64x4(g->ctr),
				       _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0));
	struct powers p;
	struct power_row row;
	powers_to16(&p, hkeys);
	power_row(&row, &p);
	uint64_t done = 0;
	/*
	 * steps of 32 blocks, one reduction each: at 1 KiB and 1400 B encryption 10% faster,
	 * decryption the same; 2 KiB and up both faster (decryption of 8 KiB by a quarter), as the
	 * chain of reductions from step to step sets the pace; shorter texts a little slower
	 */
	if (len >= 4 * WIDE_STEP) {
		powers_to32(&p);
		done = wide_steps(g, &ctr, out, in, len, rk, p.h, p.k, nr, enc, 8);
	}
	done += wide_steps(g, &ctr, out + done, in + done, len - done, rk, p.h + 4, p.k + 4, nr, enc, 4);
	unsigned r = (unsigned)(len - done), m = (r + GCM_BLOCK - 1) / GCM_BLOCK;
	/* registers to the length block's (or to the data's end when it is hashed after) */
	switch (m == 16 ? 4 : m / 4 + 1) {
	case 1:
		return wide_last(g, ctr, out + done, in + done, r, j0, rk, &row, nr, enc, 1);
	case 2:
		return wide_last(g, ctr, out + done, in + done, r, j0, rk, &row, nr, enc, 2);
	case 3:
		return wide_last(g, ctr, out + done, in + done, r, j0, rk, &row, nr, enc, 3);
	default:
		return wide_last(g, ctr, out + done, in + done, r, j0, rk, &row, nr, enc, 4);
	}
}

#define GCM_WIDE_TEXT(name, rounds, encrypt)                                                                    \
	static __m128i name(struct gcm_last *g, uint8_t *out, const uint8_t *in, uint64_t len, __m128i j0,       \
			    const uint8_t *rk, const uint8_t *hkeys)                                            \
	{                                                                                                       \
		return wide_text(g, out, in, len, j0, rk, hkeys, rounds, encrypt);                             \
	}

GCM_WIDE_TEXT(wide128_enc, 10, true)
GCM_WIDE_TEXT(wide128_dec, 10, false)
GCM_WIDE_TEXT(wide256_enc, 14, true)
GCM_WIDE_TEXT(wide256_dec, 14, false)

GCM_VAES_ENTRY(gcm_vaes_wide128_enc, 10, true, wide128_enc)
GCM_VAES_ENTRY(gcm_vaes_wide128_dec, 10, false, wide128_dec)
GCM_VAES_ENTRY(gcm_vaes_wide256_enc, 14, true, wide256_enc)
GCM_VAES_ENTRY(gcm_vaes_wide256_dec, 14, false, wide256_dec)

TARGET_END

void gcm_vaes_keys_from_mb(uint8_t *out, const struct gcm_key_data *kd, unsigned key_len)
{
	memset(out, 0, GCM_VAES_POWERS_AT);
	memcpy(out + GCM_VAES_POWERS_AT, kd->ghash_keys.avx2_avx512.shifted_hkey, 8 * GCM_BLOCK);
	memcpy(out + GCM_VAES_ROUNDS_AT, kd->expanded_keys, gcm_vaes_key_bytes(key_len) - GCM_VAES_ROUNDS_AT);
}
