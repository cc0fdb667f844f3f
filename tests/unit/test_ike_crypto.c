/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE crypto: PRF vectors (RFC 2202, RFC 4231), HMAC, the random pool, prf+, key exchange for every group, RFC 6989 checks. */
#include <CUnit/CUnit.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dataplane/esp_algo.h"
#include "ike/crypto.h"
#include "ike/x25519.h"
#include "ike/x25519_lanes.h"
#include "ike/v2/ike_sa.h"
#include "unit.h"

/* RFC 4231 test case 2 and RFC 2202 test case 2: key "Jefe", "what do ya want for nothing?" */
static void test_prf_vectors(void)
{
	static const struct {
		uint16_t prf;
		const char *mac;
	} v[] = {
		{ PRF_HMAC_MD5, "750c783e6ab0b503eaa86e310a5db738" },
		{ PRF_HMAC_SHA1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ PRF_HMAC_SHA2_256, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ PRF_HMAC_SHA2_384, "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
				     "8e2240ca5e69e2c78b3239ecfab21649" },
		{ PRF_HMAC_SHA2_512, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
				     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	};
	const char *data = "what do ya want for nothing?";
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t out[64], want[64];
		size_t n = prf_output_len(v[i].prf);
		unit_hex(v[i].mac, want, n);
		CU_ASSERT(prf_compute(v[i].prf, (const uint8_t *)"Jefe", 4, (const uint8_t *)data, strlen(data), out));
		CU_ASSERT(memcmp(out, want, n) == 0);
	}
}

/*
 * The AES-MAC PRFs: RFC 3566's AES-XCBC-MAC vectors (a 16-byte key, messages of 0, 3, 16, 20 and
 * 32 bytes), RFC 4434's keys of 10 and 18 bytes, RFC 4615's AES-CMAC-PRF-128 with keys of 18,
 * 16 and 10 bytes; and SKEYSEED's key from the front of each nonce (RFC 7296 2.14).
 */
static void test_aes_mac_prf_vectors(void)
{
	static const struct {
		uint16_t prf;
		size_t key_len, msg_len;
		const char *mac;
	} v[] = {
		{ PRF_AES128_XCBC, 16, 0, "75f0251d528ac01c4573dfd584d79f29" },
		{ PRF_AES128_XCBC, 16, 3, "5b376580ae2f19afe7219ceef172756f" },
		{ PRF_AES128_XCBC, 16, 16, "d2a246fa349b68a79998a4394ff7a263" },
		{ PRF_AES128_XCBC, 16, 20, "47f51b4564966215b8985c63055ed308" },
		{ PRF_AES128_XCBC, 16, 32, "f54f0ec8d2b9f3d36807734bd5283fd4" },
		{ PRF_AES128_XCBC, 10, 20, "0fa087af7d866e7653434e602fdde835" },
		{ PRF_AES128_XCBC, 18, 20, "8cd3c93ae598a9803006ffb67c40e9e4" },
		{ PRF_AES128_CMAC, 18, 20, "84a348a4a45d235babfffc0d2b4da09a" },
		{ PRF_AES128_CMAC, 16, 20, "980ae87b5f4c9c5214f5b6a8455e4c2d" },
		{ PRF_AES128_CMAC, 10, 20, "290d9e112edb09ee141fcf64c0b72f3d" },
	};
	uint8_t key[18], msg[32], out[16], want[16];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	key[16] = 0xed, key[17] = 0xcb;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unit_hex(v[i].mac, want, 16);
		CU_ASSERT_EQUAL(prf_output_len(v[i].prf), 16);
		CU_ASSERT(prf_compute(v[i].prf, key, v[i].key_len, msg, v[i].msg_len, out));
		CU_ASSERT(memcmp(out, want, 16) == 0);
	}
	CU_ASSERT_EQUAL(prf_nonce_part(PRF_AES128_XCBC, 32), 8);
	CU_ASSERT_EQUAL(prf_nonce_part(PRF_AES128_CMAC, 16), 8);
	CU_ASSERT_EQUAL(prf_nonce_part(PRF_AES128_CMAC, 6), 6);
	CU_ASSERT_EQUAL(prf_nonce_part(PRF_HMAC_SHA2_256, 32), 32);
}

/*
 * dpike's HMAC against OpenSSL's for every PRF digest, keys shorter than, as long as and longer
 * than the block (hashed first), and RFC 4231 test case 6 (a 131-byte key).
 */
static void test_hmac_against_openssl(void)
{
	static const size_t key_lens[] = { 0, 1, 20, 63, 64, 65, 127, 128, 129, 200 }, data_lens[] = { 0, 1, 100, 1000 };
	const EVP_MD *mds[] = { EVP_sha1(), EVP_sha256(), EVP_sha384(), EVP_sha512() };
	uint8_t key[200], data[1000], got[64], want[64];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 5);
	for (size_t m = 0; m < 4; m++)
		for (size_t k = 0; k < sizeof(key_lens) / sizeof(key_lens[0]); k++)
			for (size_t d = 0; d < sizeof(data_lens) / sizeof(data_lens[0]); d++) {
				size_t n = 0;
				unsigned w = 0;
				CU_ASSERT(ike_hmac(mds[m], key, key_lens[k], data, data_lens[d], got, &n));
				HMAC(mds[m], key, (int)key_lens[k], data, data_lens[d], want, &w);
				CU_ASSERT(n == w && memcmp(got, want, w) == 0);
			}
	uint8_t long_key[131], mac[32], vector[32];
	const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	memset(long_key, 0xaa, sizeof(long_key));
	unit_hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", vector, sizeof(vector));
	CU_ASSERT(prf_compute(PRF_HMAC_SHA2_256, long_key, sizeof(long_key), (const uint8_t *)msg, strlen(msg), mac));
	CU_ASSERT(memcmp(mac, vector, sizeof(vector)) == 0);
	CU_ASSERT(!ike_hmac(NULL, key, 16, data, 16, got, NULL));
}

/* The random pool: no value twice across refills, and requests larger than the pool's share. */
static void test_random_pool(void)
{
	enum { DRAWS = 1500 }; /* 12 KB of 8-byte values: the 4 KiB pool refills twice */
	static uint64_t v[DRAWS];
	bool distinct = true;
	for (size_t i = 0; i < DRAWS; i++) {
		CU_ASSERT_FATAL(ike_random(&v[i], sizeof(v[i])));
		for (size_t j = 0; j < i && distinct; j++)
			distinct = v[i] != v[j];
	}
	CU_ASSERT(distinct);
	uint8_t big[3000] = { 0 }, zero[3000] = { 0 };
	CU_ASSERT(ike_random(big, sizeof(big)));
	CU_ASSERT(memcmp(big, zero, sizeof(big)) != 0);
}

/* prf+ (RFC 7296 2.13) rebuilt by hand from HMAC: T1 = prf(K, S|1), T2 = prf(K, T1|S|2), ... */
static void test_prf_plus(void)
{
	const uint8_t key[] = "prf plus key", seed[] = "the seed of it all";
	uint8_t got[200], want[200], t[32], buf[64];
	unsigned int n;
	size_t off = 0, tlen = 0;
	for (uint8_t i = 1; off < sizeof(want); i++) {
		memcpy(buf, t, tlen);
		memcpy(buf + tlen, seed, sizeof(seed));
		buf[tlen + sizeof(seed)] = i;
		HMAC(EVP_sha256(), key, sizeof(key), buf, tlen + sizeof(seed) + 1, t, &n);
		tlen = 32;
		size_t take = sizeof(want) - off < 32 ? sizeof(want) - off : 32;
		memcpy(want + off, t, take);
		off += take;
	}
	CU_ASSERT(prf_plus(PRF_HMAC_SHA2_256, key, sizeof(key), seed, sizeof(seed), got, sizeof(got)));
	CU_ASSERT(memcmp(got, want, sizeof(want)) == 0);
	CU_ASSERT(!prf_plus(PRF_HMAC_SHA2_256, key, sizeof(key), seed, sizeof(seed), got, 255 * 32 + 1));
}

static void test_key_exchange_all_groups(void)
{
	static const uint16_t groups[] = { 1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 26, 27, 28, 29, 30, 31, 32 };
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		uint8_t pa[IKE_MAX_KE_LEN], pb[IKE_MAX_KE_LEN], sa[IKE_MAX_KE_LEN], sb[IKE_MAX_KE_LEN];
		size_t la, lb, na = 0, nb = 0;
		struct ke_state *a = ke_create(groups[i], pa, &la), *b = ke_create(groups[i], pb, &lb);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_EQUAL(la, ke_public_len(groups[i]));
		CU_ASSERT(memcmp(pa, pb, la) != 0); /* a fresh key pair each time */
		CU_ASSERT(ke_derive(a, pb, lb, sa, &na) && ke_derive(b, pa, la, sb, &nb));
		CU_ASSERT(na == nb && memcmp(sa, sb, na) == 0);
		CU_ASSERT(!ke_derive(a, pb, lb - 1, sa, &na)); /* wrong length */
		ke_free(a);
		ke_free(b);
	}
	CU_ASSERT(ke_weak(1) && ke_weak(2) && ke_weak(5) && !ke_weak(14) && !ke_supported(3) && ke_supported(31));
	CU_ASSERT(ke_public_len(18) == 1024 && ke_public_len(26) == 56 && ke_public_len(30) == 128);
}

/*
 * ke_derive_batch() against ke_derive(): eleven exchanges (a batch of eight, then three), the
 * other end deriving one at a time; a small-order value and a wrong length refused; and with
 * batching off (ke_batching(false), as on a CPU without AVX2) X25519 key pairs still agree.
 */
static void test_key_exchange_batched(void)
{
	enum { N = 11 };
	static const uint8_t small_order[32]; /* 0 */
	struct ke_state *a[N], *b[N];
	uint8_t pa[N][32], pb[N][32], s[IKE_MAX_KE_LEN];
	size_t l, n;
	struct ke_job jobs[N + 2];
	for (int i = 0; i < N; i++) {
		a[i] = ke_create(31, pa[i], &l);
		b[i] = ke_create(31, pb[i], &l);
		CU_ASSERT_FATAL(a[i] && b[i]);
		jobs[i] = (struct ke_job){ .ke = a[i], .peer = pb[i], .peer_len = 32 };
	}
	jobs[N] = (struct ke_job){ .ke = a[0], .peer = small_order, .peer_len = 32 };
	jobs[N + 1] = (struct ke_job){ .ke = a[1], .peer = pb[1], .peer_len = 31 };
	if (ke_batchable(a[0])) {
		ke_derive_batch(jobs, N + 2);
		for (int i = 0; i < N; i++) {
			CU_ASSERT(jobs[i].ok && ke_derive(b[i], pa[i], 32, s, &n));
			CU_ASSERT(n == 32 && jobs[i].secret_len == 32 && memcmp(s, jobs[i].secret, 32) == 0);
		}
		CU_ASSERT(!jobs[N].ok && !jobs[N + 1].ok);
	}
	for (int i = 0; i < N; i++) {
		ke_free(a[i]);
		ke_free(b[i]);
	}
	ke_batching(false);
	struct ke_state *x = ke_create(31, pa[0], &l), *y = ke_create(31, pb[0], &l);
	uint8_t t[IKE_MAX_KE_LEN];
	size_t m;
	CU_ASSERT_FATAL(x && y);
	CU_ASSERT(!ke_batchable(x));
	CU_ASSERT(ke_derive(x, pb[0], 32, s, &n) && ke_derive(y, pa[0], 32, t, &m) && n == m && memcmp(s, t, n) == 0);
	ke_free(x);
	ke_free(y);
	ke_batching(true);
}

/*
 * x25519.c's public values: RFC 7748 6.1's two key pairs, then OpenSSL's own for random private
 * values and the edge ones (all zero and all ones: clamping decides the scalar), and a key pair
 * from ke_create() agrees with what OpenSSL derives from its private half.
 */
static void test_x25519_public_values(void)
{
	static const char *rfc[][2] = {
		{ "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
		  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" },
		{ "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
		  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f" },
	};
	uint8_t priv[32], pub[32], want[32];
	for (size_t i = 0; i < 2; i++) {
		unit_hex(rfc[i][0], priv, 32);
		unit_hex(rfc[i][1], want, 32);
		x25519_public_from_private(pub, priv);
		CU_ASSERT(memcmp(pub, want, 32) == 0);
	}
	int wrong = 0;
	for (int i = 0; i < 3000; i++) {
		if (i < 2)
			memset(priv, i == 0 ? 0x00 : 0xff, sizeof(priv));
		else
			CU_ASSERT_FATAL(ike_random(priv, sizeof(priv)));
		EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, sizeof(priv));
		size_t n = sizeof(want);
		CU_ASSERT_FATAL(k != NULL && EVP_PKEY_get_raw_public_key(k, want, &n) && n == 32);
		EVP_PKEY_free(k);
		x25519_public_from_private(pub, priv);
		wrong += memcmp(pub, want, 32) != 0;
	}
	CU_ASSERT_EQUAL(wrong, 0);

	/* what ke_create() sends matches the private value it keeps: an OpenSSL peer derives the same secret */
	size_t len, n = 32, got_len;
	struct ke_state *ke = ke_create(31, pub, &len);
	EVP_PKEY_CTX *gen = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY *peer = NULL, *sent = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
	CU_ASSERT_FATAL(ke != NULL && gen && EVP_PKEY_keygen_init(gen) > 0 && EVP_PKEY_keygen(gen, &peer) > 0 && sent);
	uint8_t peer_pub[32], got[IKE_MAX_KE_LEN];
	CU_ASSERT(EVP_PKEY_get_raw_public_key(peer, peer_pub, &n) && ke_derive(ke, peer_pub, 32, got, &got_len));
	EVP_PKEY_CTX *d = EVP_PKEY_CTX_new(peer, NULL);
	n = sizeof(want);
	CU_ASSERT(d && EVP_PKEY_derive_init(d) > 0 && EVP_PKEY_derive_set_peer(d, sent) > 0 && EVP_PKEY_derive(d, want, &n) > 0);
	CU_ASSERT(n == 32 && got_len == 32 && memcmp(got, want, 32) == 0);
	EVP_PKEY_CTX_free(d);
	EVP_PKEY_CTX_free(gen);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(sent);
	ke_free(ke);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* OpenSSL's X25519(scalar, point), the reference for x25519_batch(). */
static bool openssl_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
	EVP_PKEY *u = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point, 32);
	EVP_PKEY_CTX *c = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
	size_t n = 32;
	/* OpenSSL refuses the all-zero result; x25519_batch() returns it for the caller to refuse */
	bool ok = c && u && EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_derive_set_peer_ex(c, u, 0) > 0;
	if (ok && EVP_PKEY_derive(c, out, &n) <= 0)
		memset(out, 0, 32);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
	EVP_PKEY_free(u);
	return ok;
}

typedef void (*x25519_lanes_fn)(uint8_t (*out)[32], const uint8_t (*scalar)[32], const uint8_t (*point)[32],
				unsigned n);

/*
 * One way of doing eight exchanges at once: RFC 7748 5.2's vectors and its iterated test (to
 * 1,000, or only its first step), then random scalars and points (also with bit 255 set, above p,
 * and of small order) in batches of every size against OpenSSL, and public values against the comb.
 */
static void check_x25519_lanes(x25519_lanes_fn x25519_batch, int iterations, int rounds)
{
	static const char *rfc[][3] = {
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	};
	uint8_t k[X25519_BATCH][32], u[X25519_BATCH][32], out[X25519_BATCH][32], want[32];
	for (size_t i = 0; i < 2; i++) {
		unit_hex(rfc[i][0], k[i], 32);
		unit_hex(rfc[i][1], u[i], 32);
	}
	x25519_batch(out, (const uint8_t(*)[32])k, (const uint8_t(*)[32])u, 2);
	for (size_t i = 0; i < 2; i++) {
		unit_hex(rfc[i][2], want, 32);
		CU_ASSERT(memcmp(out[i], want, 32) == 0);
	}
	/* RFC 7748 5.2: k = u = 9, then (k, u) = (X25519(k, u), k), one lane */
	uint8_t next[1][32];
	memset(k[0], 0, 32);
	k[0][0] = 9;
	memcpy(u[0], k[0], 32);
	for (int i = 0; i < iterations; i++) {
		x25519_batch(next, (const uint8_t(*)[32])k, (const uint8_t(*)[32])u, 1);
		memcpy(u[0], k[0], 32);
		memcpy(k[0], next[0], 32);
		if (i == 0) {
			unit_hex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", want, 32);
			CU_ASSERT(memcmp(k[0], want, 32) == 0);
		}
	}
	unit_hex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", want, 32);
	if (iterations == 1000)
		CU_ASSERT(memcmp(k[0], want, 32) == 0);

	int wrong = 0, zeros = 0;
	for (int round = 0; round < rounds; round++) {
		unsigned n = 1 + (unsigned)round % X25519_BATCH;
		CU_ASSERT_FATAL(ike_random(k, sizeof(k)) && ike_random(u, sizeof(u)));
		if (round % 5 == 1) { /* above p: 2^255 - 19 + small, bit 255 clear (it is ignored anyway) */
			memset(u[0], 0xff, 32);
			u[0][0] = (uint8_t)(0xed + round % 18);
			u[0][31] = 0x7f;
		}
		if (round % 7 == 2) /* 0 and 1 are of small order: the result is zero */
			memset(u[n - 1], 0, 32), u[n - 1][0] = (uint8_t)(round & 1);
		x25519_batch(out, (const uint8_t(*)[32])k, (const uint8_t(*)[32])u, n);
		for (unsigned i = 0; i < n; i++) {
			CU_ASSERT_FATAL(openssl_x25519(want, k[i], u[i]));
			wrong += memcmp(out[i], want, 32) != 0;
			zeros += all_zero(want, 32);
		}
		x25519_batch(out, (const uint8_t(*)[32])k, NULL, n);
		for (unsigned i = 0; i < n; i++) {
			x25519_public_from_private(want, k[i]);
			wrong += memcmp(out[i], want, 32) != 0;
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(zeros >= rounds / 8);
}

/* Every vector code this CPU has (AVX-512 IFMA's eight lanes, AVX2's four), each in turn. */
static void test_x25519_batch(void)
{
	static const enum x25519_code codes[] = { X25519_CODE_IFMA, X25519_CODE_AVX2 };
	int tested = 0;
	for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
		if (!x25519_batch_use(codes[c]))
			continue;
		printf("\n  (%s) ", x25519_batch_name());
		check_x25519_lanes(x25519_batch, 1000, 400);
		tested++;
	}
	if (tested == 0)
		printf("\n  (neither AVX-512 IFMA nor AVX2 on this CPU: x25519_batch() is not used) ");
	if (!x25519_batch_use(X25519_CODE_IFMA))
		x25519_batch_use(X25519_CODE_AVX2);
}

/*
 * AVX-512 IFMA's field arithmetic under the shared ladder and comb, its intrinsics in plain C
 * (tests/unit/ifma_emulated.h), so that it is checked on CPUs without IFMA too; fewer rounds, as
 * the emulation is slow.
 */
static void test_x25519_ifma_emulated(void)
{
	check_x25519_lanes(x25519_lanes_ifma_emulated, 1, 40);
}

/*
 * Each group keeps one peer key object per thread and refills it: a derivation with a second
 * peer must use that peer's value, not the first one's, also after a refused value in between.
 */
static void test_key_exchange_peer_after_peer(void)
{
	static const uint16_t groups[] = { 1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 26, 27, 28, 29, 30, 31, 32 };
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		uint8_t pa[IKE_MAX_KE_LEN], pb[IKE_MAX_KE_LEN], pc[IKE_MAX_KE_LEN], bad[IKE_MAX_KE_LEN];
		uint8_t ab[IKE_MAX_KE_LEN], ba[IKE_MAX_KE_LEN], ac[IKE_MAX_KE_LEN], ca[IKE_MAX_KE_LEN];
		size_t la, lb, lc, n1 = 0, n2 = 0, n3 = 0, n4 = 0;
		struct ke_state *a = ke_create(groups[i], pa, &la), *b = ke_create(groups[i], pb, &lb),
				*c = ke_create(groups[i], pc, &lc);
		CU_ASSERT_FATAL(a && b && c);
		CU_ASSERT(ke_derive(a, pb, lb, ab, &n1));
		/* not a group element: above p (MODP), off the curve (ECP), the all-zero result (X25519/X448) */
		memset(bad, groups[i] >= 31 ? 0 : 0xff, lb);
		if ((groups[i] >= 19 && groups[i] <= 21) || (groups[i] >= 26 && groups[i] <= 30)) {
			memcpy(bad, pb, lb);
			bad[lb - 1] ^= 1;
		}
		CU_ASSERT(!ke_derive(a, bad, lb, ac, &n2));
		CU_ASSERT(ke_derive(a, pc, lc, ac, &n2));
		CU_ASSERT(ke_derive(c, pa, la, ca, &n3) && ke_derive(b, pa, la, ba, &n4));
		CU_ASSERT(n1 == n4 && memcmp(ab, ba, n1) == 0);
		CU_ASSERT(n2 == n3 && memcmp(ac, ca, n2) == 0);
		CU_ASSERT(memcmp(ab, ac, n1) != 0);
		ke_free(a);
		ke_free(b);
		ke_free(c);
	}
}

/*
 * A reused key pair that remembers its last secret (dpike-load) gives each peer value its own
 * secret: the remembered one only for the same value again, through every shared handle, after
 * the first handle is freed, and never for a refused value.
 */
static void test_key_exchange_remembered_secret(void)
{
	static const uint16_t groups[] = { 14, 19, 31 };
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		uint8_t pa[IKE_MAX_KE_LEN], pb[IKE_MAX_KE_LEN], pc[IKE_MAX_KE_LEN], bad[IKE_MAX_KE_LEN];
		uint8_t ab[IKE_MAX_KE_LEN], again[IKE_MAX_KE_LEN], ac[IKE_MAX_KE_LEN], ca[IKE_MAX_KE_LEN];
		size_t la, lb, lc, n1 = 0, n2 = 0, n3 = 0, n4 = 0;
		struct ke_state *a = ke_create(groups[i], pa, &la), *b = ke_create(groups[i], pb, &lb),
				*c = ke_create(groups[i], pc, &lc);
		CU_ASSERT_FATAL(a && b && c && ke_remember_last(a));
		struct ke_state *a2 = ke_share(a);
		CU_ASSERT_FATAL(a2 != NULL);
		CU_ASSERT(ke_derive(a, pb, lb, ab, &n1));
		ke_free(a);
		CU_ASSERT(ke_derive(a2, pb, lb, again, &n2) && n2 == n1 && memcmp(again, ab, n1) == 0);
		CU_ASSERT(ke_derive(a2, pc, lc, ac, &n3) && ke_derive(c, pa, la, ca, &n4));
		CU_ASSERT(n3 == n4 && memcmp(ac, ca, n3) == 0 && memcmp(ac, ab, n1) != 0);
		memset(bad, groups[i] == 31 ? 0 : 0xff, lb); /* the all-zero result (X25519), above p, off the curve */
		CU_ASSERT(!ke_derive(a2, bad, lb, again, &n2));
		CU_ASSERT(!ke_derive(a2, bad, lb, again, &n2));
		struct ke_state *a3 = ke_share(a2);
		ke_free(a2);
		CU_ASSERT(ke_derive(a3, pc, lc, again, &n2) && n2 == n3 && memcmp(again, ca, n3) == 0);
		CU_ASSERT(ke_derive(a3, pb, lb, again, &n2) && n2 == n1 && memcmp(again, ab, n1) == 0);
		ke_free(a3);
		ke_free(b);
		ke_free(c);
	}
}

/* RFC 6989: values that are not group elements must be refused, not used. */
static void test_key_exchange_rejects_bad_values(void)
{
	uint8_t pub[IKE_MAX_KE_LEN], bad[IKE_MAX_KE_LEN], secret[IKE_MAX_KE_LEN];
	size_t len, n;
	for (uint16_t group = 2; group <= 14; group += 12) { /* a named group, and an explicit prime */
		struct ke_state *modp = ke_create(group, pub, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(modp);
		memset(bad, 0, len);
		CU_ASSERT(!ke_derive(modp, bad, len, secret, &n)); /* 0 */
		bad[len - 1] = 1;
		CU_ASSERT(!ke_derive(modp, bad, len, secret, &n)); /* 1 */
		memset(bad, 0xff, len);
		CU_ASSERT(!ke_derive(modp, bad, len, secret, &n)); /* > p */
		BIGNUM *p = group == 2 ? BN_get_rfc2409_prime_1024(NULL) : BN_get_rfc3526_prime_2048(NULL);
		CU_ASSERT_FATAL(p != NULL && BN_sub_word(p, 1) && BN_bn2binpad(p, bad, (int)len) == (int)len);
		CU_ASSERT(!ke_derive(modp, bad, len, secret, &n)); /* p - 1, of order 2 */
		CU_ASSERT(BN_sub_word(p, 1) && BN_bn2binpad(p, bad, (int)len) == (int)len);
		CU_ASSERT(ke_derive(modp, bad, len, secret, &n)); /* p - 2: a group element (safe prime) */
		BN_free(p);
		ke_free(modp);
	}
	struct ke_state *ec = ke_create(19, pub, &len);
	memcpy(bad, pub, len);
	bad[len - 1] ^= 1; /* off the curve */
	CU_ASSERT(!ke_derive(ec, bad, len, secret, &n));
	ke_free(ec);
	struct ke_state *x = ke_create(31, pub, &len);
	memset(bad, 0, len); /* a low-order point: the shared secret would be all zeros */
	CU_ASSERT(!ke_derive(x, bad, len, secret, &n));
	ke_free(x);
}

/*
 * What OpenSSL, a context of its own, makes of the Encrypted payload's text: AES-CBC without
 * padding, or the AEAD with the key's salt and the IV as nonce, the header as AAD (ciphertext
 * then tag into out).
 */
static bool reference_encrypt(const struct sk_cipher *sk, const uint8_t *ek, const uint8_t *msg, size_t iv_off,
			      const uint8_t *plain, size_t len, uint8_t *out)
{
	size_t klen = sk->key_bits / 8;
	const EVP_CIPHER *cbc[] = { EVP_aes_128_cbc(), EVP_aes_192_cbc(), EVP_aes_256_cbc() };
	const EVP_CIPHER *ctr[] = { EVP_aes_128_ctr(), EVP_aes_192_ctr(), EVP_aes_256_ctr() };
	const EVP_CIPHER *gcm[] = { EVP_aes_128_gcm(), EVP_aes_192_gcm(), EVP_aes_256_gcm() };
	const EVP_CIPHER *ccm[] = { EVP_aes_128_ccm(), EVP_aes_192_ccm(), EVP_aes_256_ccm() };
	size_t k = (klen - 16) / 8;
	bool is_ccm = sk_cipher_is_ccm(sk);
	const EVP_CIPHER *cipher = sk->encr == ENCR_CHACHA20_POLY1305 ? EVP_chacha20_poly1305()
				   : sk->encr == ENCR_3DES		     ? EVP_des_ede3_cbc()
				   : sk->encr == ENCR_AES_CBC	     ? cbc[k]
				   : sk->encr == ENCR_AES_CTR	     ? ctr[k]
				   : is_ccm			     ? ccm[k]
								     : gcm[k];
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	uint8_t nonce[16];
	int n, m;
	bool ok;
	if (!sk->aead) {
		const uint8_t *iv = msg + iv_off;
		if (sk->encr == ENCR_AES_CTR) { /* RFC 5930: nonce from the key, the IV, a counter from 1 */
			memcpy(nonce, ek + klen, 4);
			memcpy(nonce + 4, iv, 8);
			memcpy(nonce + 12, "\x00\x00\x00\x01", 4);
			iv = nonce;
		}
		ok = EVP_EncryptInit_ex(x, cipher, NULL, ek, iv) && EVP_CIPHER_CTX_set_padding(x, 0) &&
		     EVP_EncryptUpdate(x, out, &n, plain, (int)len) && EVP_EncryptFinal_ex(x, out + n, &m);
	} else {
		size_t salt = is_ccm ? 3 : 4;
		memcpy(nonce, ek + klen, salt);
		memcpy(nonce + salt, msg + iv_off, 8);
		ok = EVP_EncryptInit_ex(x, cipher, NULL, NULL, NULL) &&
		     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, (int)salt + 8, NULL) &&
		     (!is_ccm || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, (int)sk->icv_len, NULL)) &&
		     EVP_EncryptInit_ex(x, NULL, NULL, ek, nonce) &&
		     (!is_ccm || EVP_EncryptUpdate(x, NULL, &n, NULL, (int)len)) &&
		     EVP_EncryptUpdate(x, NULL, &n, msg, (int)iv_off) && EVP_EncryptUpdate(x, out, &n, plain, (int)len) &&
		     EVP_EncryptFinal_ex(x, out + n, &m) &&
		     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, (int)sk->icv_len, out + len);
	}
	EVP_CIPHER_CTX_free(x);
	return ok;
}

/*
 * The Encrypted payload for every IKE cipher, each with two keys in turn (dpike keeps a context
 * per cipher and keys it per message): what OpenSSL makes of the same text, the round trip, the
 * bytes past the payload untouched, and a flipped bit caught.
 */
static void test_sk_ciphers(void)
{
	static const struct {
		uint16_t encr, bits, integ;
	} c[] = { { ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128 }, { ENCR_AES_CBC, 256, AUTH_HMAC_SHA1_96 },
		  { ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256 }, { ENCR_AES_GCM_16, 128, 0 },
		  { ENCR_AES_GCM_16, 256, 0 },			 { ENCR_CHACHA20_POLY1305, 256, 0 },
		  { ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_384_192 }, { ENCR_AES_GCM_8, 192, 0 },
		  { ENCR_AES_GCM_12, 128, 0 },			 { ENCR_AES_GCM_12, 256, 0 },
		  { ENCR_AES_CTR, 128, AUTH_AES_XCBC_96 },	 { ENCR_AES_CTR, 256, AUTH_HMAC_MD5_96 },
		  { ENCR_AES_CTR, 192, AUTH_AES_CMAC_96 },	 { ENCR_3DES, 0, AUTH_HMAC_SHA1_96 },
		  { ENCR_AES_CCM_16, 128, 0 },			 { ENCR_AES_CCM_8, 256, 0 },
		  { ENCR_AES_CCM_12, 192, 0 } };
	for (size_t i = 0; i < 2 * sizeof(c) / sizeof(c[0]); i++) {
		size_t ci = i % (sizeof(c) / sizeof(c[0]));
		struct sk_cipher sk;
		uint8_t ek[36], ak[64], msg[256], orig[256], want[64 + 16];
		CU_ASSERT_FATAL(sk_cipher_init(&sk, c[ci].encr, c[ci].bits, c[ci].integ));
		memset(ek, 0x11 + (int)i, sizeof(ek));
		memset(ak, 0x22, sizeof(ak));
		size_t plain = sk.block == 1 ? 45 : 48, iv_off = 32, text = iv_off + sk.iv_len, tag = sk.icv_len;
		for (size_t k = 0; k < sizeof(msg); k++)
			msg[k] = (uint8_t)k;
		memcpy(orig, msg, sizeof(msg));
		CU_ASSERT(sk_encrypt(&sk, ek, ak, msg, iv_off, plain));
		CU_ASSERT(memcmp(msg + text, orig + text, plain) != 0);
		CU_ASSERT_FATAL(reference_encrypt(&sk, ek, msg, iv_off, orig + text, plain, want));
		CU_ASSERT(memcmp(msg + text, want, plain + (sk.aead ? sk.icv_len : 0)) == 0);
		CU_ASSERT(memcmp(msg + text + plain + tag, orig + text + plain + tag, sizeof(msg) - text - plain - tag) == 0);
		uint8_t copy[256];
		memcpy(copy, msg, sizeof(msg));
		CU_ASSERT(sk_decrypt(&sk, ek, ak, msg, iv_off, plain));
		CU_ASSERT(memcmp(msg + text, orig + text, plain) == 0);
		copy[3] ^= 1; /* inside the authenticated header */
		CU_ASSERT(!sk_decrypt(&sk, ek, ak, copy, iv_off, plain));
	}
}

/*
 * More CBC ciphers than the per-thread contexts ike_cbc() keeps: each still agrees with a fresh
 * context of OpenSSL's, both ways, once the cache is full as well as before.
 */
static void test_cbc_past_context_cache(void)
{
	static const char *const names[] = { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "ARIA-128-CBC", "ARIA-192-CBC",
					     "ARIA-256-CBC", "CAMELLIA-128-CBC", "CAMELLIA-192-CBC", "CAMELLIA-256-CBC",
					     "DES-EDE3-CBC", "SM4-CBC" };
	const EVP_CIPHER *legacy[] = { EVP_aes_128_cbc(), EVP_aes_192_cbc(), EVP_aes_256_cbc(), EVP_des_ede3_cbc(),
				       EVP_camellia_128_cbc(), EVP_camellia_256_cbc(), EVP_aria_128_cbc() };
	EVP_CIPHER *fetched[sizeof(names) / sizeof(names[0])];
	const EVP_CIPHER *all[32];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((fetched[i] = EVP_CIPHER_fetch(NULL, names[i], NULL)) != NULL)
			all[n++] = fetched[i];
	for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++)
		all[n++] = legacy[i];
	CU_ASSERT_FATAL(n > 16);
	for (size_t round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++) {
			uint8_t key[32], iv[16], data[64], want[64 + 16], orig[64];
			int len = 0, fin = 0;
			memset(key, (int)(i + 1), sizeof(key));
			memset(iv, (int)(i + 7), sizeof(iv));
			for (size_t k = 0; k < sizeof(data); k++)
				data[k] = orig[k] = (uint8_t)(k * 3 + i);
			EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
			CU_ASSERT_FATAL(x && EVP_EncryptInit_ex(x, all[i], NULL, key, iv) && EVP_CIPHER_CTX_set_padding(x, 0) &&
					EVP_EncryptUpdate(x, want, &len, orig, sizeof(orig)) && EVP_EncryptFinal_ex(x, want + len, &fin));
			EVP_CIPHER_CTX_free(x);
			CU_ASSERT(ike_cbc(all[i], key, iv, data, sizeof(data), true) && memcmp(data, want, sizeof(data)) == 0);
			CU_ASSERT(ike_cbc(all[i], key, iv, data, sizeof(data), false) && memcmp(data, orig, sizeof(data)) == 0);
		}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		EVP_CIPHER_free(fetched[i]);
}

/* NIST SP 800-135 CAVS IKEv2 KDF vector (HMAC-SHA1, 1024-bit g^ir). */
#define V_NI "3651fef5c9c35e93"
#define V_NR "c09a8b90a3f04d59"
#define V_GIR "d084a30166a50fb7325c3960874a839449ef9741c2f4f947d0201dd8c1269273d79509f37e3ca3eb4fa2fe2a28254e28" \
	      "9cd3f34dad4eb4df1a07685a4b8a94fa61e2491f7598b3ce65547ff133b3f63d1ac4175eaa695033f3cedb026a6873a3" \
	      "6455172a8540b8a5d23a0143bed0390ee49b168269d75fffee9fb62be965993c"
#define V_GIR_NEW "52f00ab174c25d5b7139ae5ff4e8e9eddee5992d2e36adf8a559ffd90dab1442e4fbe429d320c0f33552a17d1557fa41" \
		  "ea70e8fb916c4fa27ed52b5f8ebd8461afa78f1159159a64055ac5f6319e29c28eae58cbc6847770f32c3fed1d047504" \
		  "84f854790f95e9ec01bc5bc461f24966462e359511329305038e94deb6dd42c2"
#define V_DKM "6f1b12cad3cbe097b35430356d869d54cddb0198ec859174d53ceb92dddedbe2436db69f60977c58fa63bbb667f8d369" \
	      "20b109baae8f6c61a9ac49feda01843225d080ec5539d5881a25521ffb2a0a91874a9c0a27fcc2d717eb8963a9e3a89c" \
	      "7ab264757284c28cf8c3ca40576f4220b052b1fb8e9ad60ba3c80557323331a8cbb89f20"
#define V_DKM_CHILD "4727dc0ef94eb326ce131cf282fb652faa638ad0ddae3786a11bcc0309876009f8c485de011ad962c5b1ca8a41ff8145" \
		    "445749079c5686e26ffebbc342f06981f3da745e11ca0976424d1f8caec623d59dc7186deb20a27b411d1dcb70a36544"
#define V_DKM_CHILD_DH "b109c21ad4c0797768c1cec9e63554681e48f224bca7f23c20c4ea7041983451e9aa1d5408656c8a975ff1b9d9a12c75" \
		       "ffeb64bdecb30174664cccb4e14f1c377b7f6d1525af77c7092aac3e47f917ebae8297fb5539d2008ce830823a09cc19"
#define V_SKEYSEED_REKEY "3b03bce748c96d5e8306918d2ff89b68f0648da3"

static struct ike_sa *vector_sa(void)
{
	static struct ike_sa sa;
	static uint8_t ni[8], nr[8];
	memset(&sa, 0, sizeof(sa));
	sa.prf = PRF_HMAC_SHA1;
	sa.spi_i = 0x8e5c3ae507221684ULL;
	sa.spi_r = 0xb1f201bb155c3acdULL;
	unit_hex(V_NI, ni, 8);
	unit_hex(V_NR, nr, 8);
	sa.ni = ni;
	sa.nr = nr;
	sa.ni_len = sa.nr_len = 8;
	/* AES-128-CBC with HMAC-SHA1-96: 3 * 20 + 2 * 20 + 2 * 16 = 132 bytes of keys, the vector's DKM */
	CU_ASSERT_FATAL(sk_cipher_init(&sa.cipher, ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96));
	return &sa;
}

static void test_ikev2_kdf_vectors(void)
{
	struct ike_sa *sa = vector_sa();
	uint8_t gir[128], gir_new[128], dkm[132], child[96], child_dh[96], i_to_r[64], r_to_i[64];
	unit_hex(V_GIR, gir, sizeof(gir));
	unit_hex(V_GIR_NEW, gir_new, sizeof(gir_new));
	unit_hex(V_DKM, dkm, sizeof(dkm));
	unit_hex(V_DKM_CHILD, child, sizeof(child));
	unit_hex(V_DKM_CHILD_DH, child_dh, sizeof(child_dh));
	CU_ASSERT_FATAL(ike_derive_keys(sa, gir, sizeof(gir), NULL, 0));
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = DKM */
	CU_ASSERT(memcmp(sa->sk_d, dkm, 20) == 0);
	CU_ASSERT(memcmp(sa->sk_ai, dkm + 20, 20) == 0 && memcmp(sa->sk_ar, dkm + 40, 20) == 0);
	CU_ASSERT(memcmp(sa->sk_ei, dkm + 60, 16) == 0 && memcmp(sa->sk_er, dkm + 76, 16) == 0);
	CU_ASSERT(memcmp(sa->sk_pi, dkm + 92, 20) == 0 && memcmp(sa->sk_pr, dkm + 112, 20) == 0);
	/* KEYMAT = prf+(SK_d, Ni | Nr) and, with PFS, prf+(SK_d, g^ir (new) | Ni | Nr); aes128-sha1 takes 36 each way */
	int alg = esp_algo_parse("aes128-sha1");
	CU_ASSERT(ike_child_keymat(sa, alg, NULL, 0, sa->ni, 8, sa->nr, 8, i_to_r, r_to_i));
	CU_ASSERT(memcmp(i_to_r, child, 36) == 0 && memcmp(r_to_i, child + 36, 36) == 0);
	CU_ASSERT(ike_child_keymat(sa, alg, gir_new, sizeof(gir_new), sa->ni, 8, sa->nr, 8, i_to_r, r_to_i));
	CU_ASSERT(memcmp(i_to_r, child_dh, 36) == 0 && memcmp(r_to_i, child_dh + 36, 36) == 0);
	/* rekey: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr); SK_d of the new SA follows from it by prf+ */
	uint8_t seed[20], want_sk_d[20], seedin[16 + 16];
	struct ike_sa rekeyed = *sa;
	CU_ASSERT(ike_derive_keys(&rekeyed, gir_new, sizeof(gir_new), sa->sk_d, PRF_HMAC_SHA1));
	unit_hex(V_SKEYSEED_REKEY, seed, sizeof(seed));
	memcpy(seedin, sa->ni, 8);
	memcpy(seedin + 8, sa->nr, 8);
	for (int i = 0; i < 8; i++) {
		seedin[16 + i] = (uint8_t)(sa->spi_i >> (56 - 8 * i));
		seedin[24 + i] = (uint8_t)(sa->spi_r >> (56 - 8 * i));
	}
	CU_ASSERT(prf_plus(PRF_HMAC_SHA1, seed, sizeof(seed), seedin, sizeof(seedin), want_sk_d, sizeof(want_sk_d)));
	CU_ASSERT(memcmp(rekeyed.sk_d, want_sk_d, 20) == 0);
}

void ike_crypto_suite_add(CU_pSuite s)
{
	CU_add_test(s, "PRF vectors (RFC 2202, RFC 4231)", test_prf_vectors);
	CU_add_test(s, "AES-XCBC and AES-CMAC PRFs (RFC 3566, RFC 4434, RFC 4615)", test_aes_mac_prf_vectors);
	CU_add_test(s, "HMAC against OpenSSL's, every digest and key length", test_hmac_against_openssl);
	CU_add_test(s, "random pool: distinct across refills, large requests", test_random_pool);
	CU_add_test(s, "prf+ against a hand-built chain", test_prf_plus);
	CU_add_test(s, "X25519 public values (RFC 7748 6.1, and against OpenSSL)", test_x25519_public_values);
	CU_add_test(s, "X25519 eight at a time on each vector code (RFC 7748 5.2, and against OpenSSL)", test_x25519_batch);
	CU_add_test(s, "X25519 eight at a time, AVX-512 IFMA's code with its intrinsics emulated", test_x25519_ifma_emulated);
	CU_add_test(s, "key exchange in every group", test_key_exchange_all_groups);
	CU_add_test(s, "X25519 key exchanges in a batch agree with one at a time; batching off", test_key_exchange_batched);
	CU_add_test(s, "key exchange: each peer's own value, after a refused one too", test_key_exchange_peer_after_peer);
	CU_add_test(s, "key exchange refuses non-elements (RFC 6989)", test_key_exchange_rejects_bad_values);
	CU_add_test(s, "key exchange: a remembered secret only for the same peer value", test_key_exchange_remembered_secret);
	CU_add_test(s, "Encrypted payload ciphers", test_sk_ciphers);
	CU_add_test(s, "CBC with more ciphers than kept contexts", test_cbc_past_context_cache);
	CU_add_test(s, "IKEv2 KDF vectors (NIST SP 800-135 CAVS): SKEYSEED, keys, KEYMAT, rekey", test_ikev2_kdf_vectors);
}
