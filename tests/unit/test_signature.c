/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signatures for IKE authentication against published vectors (RFC 4754 ECDSA, RFC 8032
 * Ed25519), PKCS#1 v1.5 and PSS checked by recovering the padded block, RFC 7427
 * AlgorithmIdentifiers encoded by hand from their OIDs; identities with DNs and wildcards.
 */
#include <CUnit/CUnit.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ike/identity.h"
#include "ike/signature.h"
#include "lib/parse.h"
#include "unit.h"

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	int n = parse_hex(s, out, max);
	CU_ASSERT_FATAL(n >= 0);
	return (size_t)n;
}

/* An EC public key on a named curve from x | y. */
static EVP_PKEY *ec_public(const char *curve, const char *x, const char *y)
{
	uint8_t point[1 + 2 * 66];
	point[0] = 0x04; /* uncompressed */
	size_t n = unhex(x, point + 1, 66);
	n += unhex(y, point + 1 + n, 66);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0);
	OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + n);
	OSSL_PARAM *p = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	CU_ASSERT_FATAL(c && EVP_PKEY_fromdata_init(c) == 1 && EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, p) == 1);
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	return k;
}

/* RFC 4754 8.1: ECDSA-256 over "abc"; IKEv2 methods 9-11 carry r | s. */
static void test_rfc4754_ecdsa(void)
{
	EVP_PKEY *k = ec_public("P-256", "2442A5CC0ECD015FA3CA31DC8E2BBC70BF42D60CBCA20085E0822CB04235E970",
				"6FC98BD7E50211A4A27102FA3549DF79EBCB4BF246B80945CDDFE7D509BBFD7D");
	uint8_t sig[64];
	unhex("CB28E0999B9C7715FD0A80D8E47A77079716CBBF917DD72E97566EA1C066957C"
	      "86FA3BB4E26CAD5BF90B7F81899256CE7594BB1EA0C89212748BFF3B3D5B0315",
	      sig, sizeof(sig));
	struct sig_scheme raw = { .kind = SIG_ECDSA, .hash = SIG_HASH_SHA256, .ecdsa_raw = true };
	CU_ASSERT(sig_verify(k, &raw, (const uint8_t *)"abc", 3, sig, sizeof(sig)));
	CU_ASSERT(!sig_verify(k, &raw, (const uint8_t *)"abd", 3, sig, sizeof(sig)));
	CU_ASSERT(!sig_verify(k, &raw, (const uint8_t *)"abc", 3, sig, sizeof(sig) - 1)); /* r | s of the curve's size only */
	struct sig_scheme sha384 = raw;
	sha384.hash = SIG_HASH_SHA384;
	CU_ASSERT(!sig_verify(k, &sha384, (const uint8_t *)"abc", 3, sig, sizeof(sig)));
	/* IKEv1 (method 9) signs a digest made already (HASH_I): the same signature over SHA-256("abc") */
	uint8_t digest[32];
	CU_ASSERT_FATAL(EVP_Digest("abc", 3, digest, NULL, EVP_sha256(), NULL) == 1);
	CU_ASSERT_EQUAL(sig_v1_auth_method(k), 9);
	CU_ASSERT(sig_v1_verify(k, digest, sizeof(digest), sig, sizeof(sig)));
	digest[0] ^= 1;
	CU_ASSERT(!sig_v1_verify(k, digest, sizeof(digest), sig, sizeof(sig)));
	sig[40] ^= 1;
	CU_ASSERT(!sig_verify(k, &raw, (const uint8_t *)"abc", 3, sig, sizeof(sig)));
	CU_ASSERT_EQUAL(sig_ecdsa_curve_hash(k), SIG_HASH_SHA256);
	EVP_PKEY_free(k);
}

/* RFC 8032 7.1 tests 1 and 2: Ed25519 is deterministic, so our signature must equal the published one. */
static void test_rfc8032_ed25519(void)
{
	static const struct {
		const char *secret, *public, *msg, *sig;
	} v[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};
	struct sig_scheme ed = { .kind = SIG_EDDSA, .hash = SIG_HASH_IDENTITY };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t sk[32], pk[32], msg[8], want[64], got[SIG_MAX_LEN], pub[32];
		unhex(v[i].secret, sk, sizeof(sk));
		unhex(v[i].public, pk, sizeof(pk));
		size_t ml = v[i].msg[0] ? unhex(v[i].msg, msg, sizeof(msg)) : 0, n = 0, pl = sizeof(pub);
		unhex(v[i].sig, want, sizeof(want));
		EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, sizeof(sk));
		CU_ASSERT_FATAL(k != NULL);
		CU_ASSERT(EVP_PKEY_get_raw_public_key(k, pub, &pl) == 1 && memcmp(pub, pk, 32) == 0);
		CU_ASSERT(sig_sign(k, &ed, msg, ml, got, &n) && n == 64 && memcmp(got, want, 64) == 0);
		CU_ASSERT(sig_verify(k, &ed, msg, ml, want, 64));
		want[0] ^= 0x80;
		CU_ASSERT(!sig_verify(k, &ed, msg, ml, want, 64));
		struct sig_scheme hashed = { .kind = SIG_EDDSA, .hash = SIG_HASH_SHA256 };
		CU_ASSERT(!sig_sign(k, &hashed, msg, ml, got, &n)); /* EdDSA signs the message itself */
		EVP_PKEY_free(k);
	}
}

/* The block inside an RSA signature, recovered with the public key and no padding check. */
static size_t rsa_open(EVP_PKEY *k, const uint8_t *sig, size_t len, uint8_t *out)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	size_t n = SIG_MAX_LEN;
	CU_ASSERT_FATAL(c && EVP_PKEY_verify_recover_init(c) == 1 &&
			EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1 &&
			EVP_PKEY_verify_recover(c, out, &n, sig, len) == 1);
	EVP_PKEY_CTX_free(c);
	return n;
}

/*
 * RFC 8017 9.2: EM = 00 01 FF..FF 00 DigestInfo; the DigestInfo prefixes are written here from
 * the hash OIDs. IKEv1's signature has no DigestInfo: the PRF output alone.
 */
static void test_rsa_pkcs1(void)
{
	static const char *const prefix256 = "3031300d060960864801650304020105000420";
	static const char *const prefix1 = "3021300906052b0e03021a05000414";
	EVP_PKEY *k = EVP_RSA_gen(2048);
	const uint8_t data[] = "signed octets";
	uint8_t sig[SIG_MAX_LEN], em[SIG_MAX_LEN], want[64 + 32];
	size_t n;
	struct {
		enum sig_hash hash;
		const char *prefix;
		const EVP_MD *md;
	} cases[] = { { SIG_HASH_SHA256, prefix256, EVP_sha256() }, { SIG_HASH_SHA1, prefix1, EVP_sha1() } };
	for (size_t i = 0; i < 2; i++) {
		struct sig_scheme s = { .kind = SIG_RSA_PKCS1, .hash = cases[i].hash };
		size_t pl = unhex(cases[i].prefix, want, sizeof(want));
		unsigned hl = 0;
		EVP_Digest(data, sizeof(data), want + pl, &hl, cases[i].md, NULL);
		CU_ASSERT_FATAL(sig_sign(k, &s, data, sizeof(data), sig, &n) && n == 256);
		size_t el = rsa_open(k, sig, n, em);
		CU_ASSERT(el == 256 && em[0] == 0 && em[1] == 1 && em[el - pl - hl - 1] == 0);
		CU_ASSERT(memcmp(em + el - pl - hl, want, pl + hl) == 0);
		CU_ASSERT(sig_verify(k, &s, data, sizeof(data), sig, n));
	}
	uint8_t hash[32];
	memset(hash, 0x5a, sizeof(hash));
	CU_ASSERT_FATAL(sig_rsa_raw_sign(k, hash, sizeof(hash), sig, &n) && n == 256);
	size_t el = rsa_open(k, sig, n, em);
	CU_ASSERT(em[0] == 0 && em[1] == 1 && em[el - 33] == 0 && memcmp(em + el - 32, hash, 32) == 0);
	CU_ASSERT(sig_rsa_raw_verify(k, hash, sizeof(hash), sig, n));
	hash[31] ^= 1;
	CU_ASSERT(!sig_rsa_raw_verify(k, hash, sizeof(hash), sig, n));
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	CU_ASSERT(!sig_rsa_raw_sign(ec, hash, sizeof(hash), sig, &n)); /* IKEv1 signatures here are RSA */
	EVP_PKEY_free(ec);
	EVP_PKEY_free(k);
}

/* RSASSA-PSS (RFC 8017 9.1): randomised, so checked by its trailer and by verification only. */
static void test_rsa_pss(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	const uint8_t data[] = "signed octets";
	uint8_t sig[SIG_MAX_LEN], sig2[SIG_MAX_LEN], em[SIG_MAX_LEN];
	size_t n, n2;
	struct sig_scheme pss = { .kind = SIG_RSA_PSS, .hash = SIG_HASH_SHA384 };
	struct sig_scheme pkcs1 = { .kind = SIG_RSA_PKCS1, .hash = SIG_HASH_SHA384 };
	CU_ASSERT_FATAL(sig_sign(k, &pss, data, sizeof(data), sig, &n));
	CU_ASSERT_FATAL(sig_sign(k, &pss, data, sizeof(data), sig2, &n2));
	CU_ASSERT(n == n2 && memcmp(sig, sig2, n) != 0); /* a fresh salt each time */
	CU_ASSERT(em[rsa_open(k, sig, n, em) - 1] == 0xbc);
	CU_ASSERT(sig_verify(k, &pss, data, sizeof(data), sig, n));
	CU_ASSERT(!sig_verify(k, &pkcs1, data, sizeof(data), sig, n));
	CU_ASSERT(!sig_verify(k, &pss, data, sizeof(data) - 1, sig, n));
	EVP_PKEY_free(k);
}

/* RFC 7427 AlgorithmIdentifiers, DER written by hand from the OIDs (RFC 4055, RFC 5758, RFC 8420). */
static void test_algorithm_ids(void)
{
	/* SEQUENCE { hashAlgorithm [0] sha256, maskGenAlgorithm [1] mgf1(sha256), saltLength [2] 32 } */
	static const char *const pss256 = "304106092a864886f70d01010a3034"
					  "a00f300d06096086480165030402010500"
					  "a11c301a06092a864886f70d010108300d06096086480165030402010500"
					  "a203020120";
	struct {
		const char *key;
		struct sig_scheme s;
		const char *der;
	} v[] = {
		{ "rsa", { SIG_RSA_PKCS1, SIG_HASH_SHA256, false }, "300d06092a864886f70d01010b0500" },
		{ "rsa", { SIG_RSA_PKCS1, SIG_HASH_SHA384, false }, "300d06092a864886f70d01010c0500" },
		{ "rsa", { SIG_RSA_PKCS1, SIG_HASH_SHA512, false }, "300d06092a864886f70d01010d0500" },
		{ "rsa", { SIG_RSA_PSS, SIG_HASH_SHA256, false }, pss256 },
		{ "P-256", { SIG_ECDSA, SIG_HASH_SHA256, false }, "300a06082a8648ce3d040302" },
		{ "P-384", { SIG_ECDSA, SIG_HASH_SHA384, false }, "300a06082a8648ce3d040303" },
		{ "P-521", { SIG_ECDSA, SIG_HASH_SHA512, false }, "300a06082a8648ce3d040304" },
		{ "ed25519", { SIG_EDDSA, SIG_HASH_IDENTITY, false }, "300506032b6570" },
	};
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		EVP_PKEY *k = strcmp(v[i].key, "rsa") == 0     ? (EVP_PKEY_up_ref(rsa), rsa)
			      : strcmp(v[i].key, "ed25519") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
								 : EVP_EC_gen(v[i].key);
		uint8_t want[128], got[128];
		size_t wl = unhex(v[i].der, want, sizeof(want)), gl = sizeof(got);
		struct sig_scheme back;
		CU_ASSERT(sig_algorithm_id(k, &v[i].s, got, &gl) && gl == wl && memcmp(got, want, wl) == 0);
		CU_ASSERT(sig_scheme_from_algorithm_id(want, wl, &back) && back.kind == v[i].s.kind &&
			  back.hash == v[i].s.hash);
		EVP_PKEY_free(k);
	}
	EVP_PKEY_free(rsa);
	static const struct {
		const char *der;
		bool ok;
	} parse[] = {
		/* trailerField 1 written out is the default and fine */
		{ "304606092a864886f70d01010a3039a00f300d06096086480165030402010500a11c301a06092a864886f70d0101"
		  "08300d06096086480165030402010500a203020120a303020101", true },
		/* salt of 20 bytes with SHA-256 */
		{ "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d0101"
		  "08300d06096086480165030402010500a203020114", false },
		/* MGF1 with SHA-1 under SHA-256 */
		{ "303d06092a864886f70d01010a3030a00f300d06096086480165030402010500a1183016"
		  "06092a864886f70d010108300906052b0e03021a0500a203020120", false },
		/* PSS without parameters */
		{ "300b06092a864886f70d01010a", false },
		{ "300d06092a864886f70d0101040500", false },     /* md5WithRSAEncryption */
		{ "300d06092a864886f70d01010b050000", false },   /* a byte past the end */
		{ "300d06092a864886f70d01010b05", false },       /* cut short */
	};
	for (size_t i = 0; i < sizeof(parse) / sizeof(parse[0]); i++) {
		uint8_t der[128];
		size_t n = unhex(parse[i].der, der, sizeof(der));
		struct sig_scheme s;
		CU_ASSERT_EQUAL(sig_scheme_from_algorithm_id(der, n, &s), parse[i].ok);
	}
}

static struct ike_id id(const char *s)
{
	struct ike_id i;
	CU_ASSERT_FATAL(identity_from_string(s, &i));
	return i;
}

/* DN identities as swanctl writes them, compared by meaning; wildcards in FQDN, email and DN. */
static void test_identities(void)
{
	struct ike_id dn = id("C=CH, O=strongSwan, CN=moon.strongswan.org");
	char text[256];
	CU_ASSERT_EQUAL(dn.type, ID_DER_ASN1_DN);
	identity_to_string(&dn, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "C=CH, O=strongSwan, CN=moon.strongswan.org");
	CU_ASSERT(identity_equal(&dn, &(struct ike_id){ 0 }) == false);
	/* the same name in PrintableStrings, as a certificate may encode it */
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "C", V_ASN1_PRINTABLESTRING, (const unsigned char *)"CH", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", V_ASN1_PRINTABLESTRING, (const unsigned char *)"strongSwan", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_PRINTABLESTRING, (const unsigned char *)"moon.strongswan.org", -1, -1, 0);
	struct ike_id printable = { .type = ID_DER_ASN1_DN };
	unsigned char *p = printable.data;
	printable.len = (uint16_t)i2d_X509_NAME(n, &p);
	X509_NAME_free(n);
	CU_ASSERT(printable.len != dn.len || memcmp(printable.data, dn.data, dn.len) != 0);
	CU_ASSERT(identity_equal(&dn, &printable));
	CU_ASSERT(identity_matches("C=CH, O=strongSwan, CN=moon.strongswan.org", &printable));
	CU_ASSERT(identity_matches("C=CH, O=strongSwan, CN=*", &printable));
	CU_ASSERT(identity_matches("/C=CH/O=strongSwan/CN=*", &printable));
	CU_ASSERT(!identity_matches("C=CH, O=other, CN=*", &printable));
	CU_ASSERT(!identity_matches("C=CH, CN=*", &printable)); /* RDNs must line up */
	CU_ASSERT(!identity_matches("C=CH, O=strongSwan, CN=sun.strongswan.org", &printable));
	CU_ASSERT(!identity_equal(&(struct ike_id){ .type = ID_DER_ASN1_DN, .len = 3, .data = { 0x30, 0x01, 0x00 } },
				  &printable));
	struct ike_id fqdn = id("gw.example.org"), mail = id("vpn@example.org"), bare = id("example.org");
	CU_ASSERT(identity_matches("*.example.org", &fqdn));
	CU_ASSERT(identity_matches("@*.EXAMPLE.org", &fqdn));
	CU_ASSERT(!identity_matches("*.example.org", &bare));
	CU_ASSERT(!identity_matches("*.example.org", &mail)); /* another ID type */
	CU_ASSERT(identity_matches("*@example.org", &mail));
	CU_ASSERT(!identity_matches("*@example.com", &mail));
	CU_ASSERT(identity_matches("%any", &dn) && identity_matches("", &fqdn));
	CU_ASSERT(!identity_matches("gw.example.org", &dn));
	struct ike_id bad;
	CU_ASSERT(!identity_from_string("C=CH, nonsense", &bad));
	CU_ASSERT(!identity_from_string("XYZ=1", &bad));
}

void signature_suite_add(CU_pSuite s)
{
	CU_add_test(s, "ECDSA: RFC 4754 vector, r | s form, and over a digest as IKEv1 signs", test_rfc4754_ecdsa);
	CU_add_test(s, "Ed25519: RFC 8032 vectors", test_rfc8032_ed25519);
	CU_add_test(s, "RSA PKCS#1 v1.5 with DigestInfo, and IKEv1's without", test_rsa_pkcs1);
	CU_add_test(s, "RSASSA-PSS", test_rsa_pss);
	CU_add_test(s, "RFC 7427 AlgorithmIdentifiers both ways, bad ones refused", test_algorithm_ids);
	CU_add_test(s, "identities: DNs by meaning, wildcards", test_identities);
}
