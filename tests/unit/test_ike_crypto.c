/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE crypto: PRF vectors (RFC 2202, RFC 4231), prf+, key exchange for every group, RFC 6989 checks. */
#include <CUnit/CUnit.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ike/crypto.h"
#include "unit.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* RFC 4231 test case 2 and RFC 2202 test case 2: key "Jefe", "what do ya want for nothing?" */
static void test_prf_vectors(void)
{
	static const struct {
		uint16_t prf;
		const char *mac;
	} v[] = {
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
		hex(v[i].mac, want, n);
		CU_ASSERT(prf_compute(v[i].prf, (const uint8_t *)"Jefe", 4, (const uint8_t *)data, strlen(data), out));
		CU_ASSERT(memcmp(out, want, n) == 0);
	}
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
	static const uint16_t groups[] = { 14, 15, 16, 19, 20, 21, 31, 32 };
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		uint8_t pa[IKE_MAX_KE_LEN], pb[IKE_MAX_KE_LEN], sa[IKE_MAX_KE_LEN], sb[IKE_MAX_KE_LEN];
		size_t la, lb, na, nb;
		struct ke_state *a = ke_create(groups[i], pa, &la), *b = ke_create(groups[i], pb, &lb);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_EQUAL(la, ke_public_len(groups[i]));
		CU_ASSERT(ke_derive(a, pb, lb, sa, &na) && ke_derive(b, pa, la, sb, &nb));
		CU_ASSERT(na == nb && memcmp(sa, sb, na) == 0);
		CU_ASSERT(!ke_derive(a, pb, lb - 1, sa, &na)); /* wrong length */
		ke_free(a);
		ke_free(b);
	}
	CU_ASSERT(!ke_supported(2) && !ke_supported(5) && ke_supported(31));
}

/* RFC 6989: values that are not group elements must be refused, not used. */
static void test_key_exchange_rejects_bad_values(void)
{
	uint8_t pub[IKE_MAX_KE_LEN], bad[IKE_MAX_KE_LEN], secret[IKE_MAX_KE_LEN];
	size_t len, n;
	struct ke_state *modp = ke_create(14, pub, &len);
	memset(bad, 0, len);
	CU_ASSERT(!ke_derive(modp, bad, len, secret, &n)); /* 0 */
	bad[len - 1] = 1;
	CU_ASSERT(!ke_derive(modp, bad, len, secret, &n)); /* 1 */
	memset(bad, 0xff, len);
	CU_ASSERT(!ke_derive(modp, bad, len, secret, &n)); /* > p */
	ke_free(modp);
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

/* The Encrypted payload round trip for every IKE cipher, and a flipped bit caught. */
static void test_sk_ciphers(void)
{
	static const struct {
		uint16_t encr, bits, integ;
	} c[] = { { ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128 }, { ENCR_AES_CBC, 256, AUTH_HMAC_SHA1_96 },
		  { ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256 }, { ENCR_AES_GCM_16, 128, 0 },
		  { ENCR_AES_GCM_16, 256, 0 },			 { ENCR_CHACHA20_POLY1305, 256, 0 } };
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sk_cipher sk;
		uint8_t ek[36], ak[64], msg[256], orig[256];
		CU_ASSERT_FATAL(sk_cipher_init(&sk, c[i].encr, c[i].bits, c[i].integ));
		memset(ek, 0x11, sizeof(ek));
		memset(ak, 0x22, sizeof(ak));
		size_t plain = 48, iv_off = 32;
		for (size_t k = 0; k < sizeof(msg); k++)
			msg[k] = (uint8_t)k;
		memcpy(orig, msg, sizeof(msg));
		CU_ASSERT(sk_encrypt(&sk, ek, ak, msg, iv_off, plain));
		CU_ASSERT(memcmp(msg + iv_off + sk.iv_len, orig + iv_off + sk.iv_len, plain) != 0);
		uint8_t copy[256];
		memcpy(copy, msg, sizeof(msg));
		CU_ASSERT(sk_decrypt(&sk, ek, ak, msg, iv_off, plain));
		CU_ASSERT(memcmp(msg + iv_off + sk.iv_len, orig + iv_off + sk.iv_len, plain) == 0);
		copy[3] ^= 1; /* inside the authenticated header */
		CU_ASSERT(!sk_decrypt(&sk, ek, ak, copy, iv_off, plain));
	}
}

void ike_crypto_suite_add(CU_pSuite s)
{
	CU_add_test(s, "PRF vectors (RFC 2202, RFC 4231)", test_prf_vectors);
	CU_add_test(s, "prf+ against a hand-built chain", test_prf_plus);
	CU_add_test(s, "key exchange in every group", test_key_exchange_all_groups);
	CU_add_test(s, "key exchange refuses non-elements (RFC 6989)", test_key_exchange_rejects_bad_values);
	CU_add_test(s, "Encrypted payload ciphers", test_sk_ciphers);
}
