/* SPDX-License-Identifier: BSD-3-Clause */
/* EAP: MS-CHAPv2's computations against RFC 2759 9.2 and RFC 3079 3.5.3; the server's rounds for EAP-MD5 and EAP-MSCHAPv2. */
#include <CUnit/CUnit.h>
#include <string.h>

#include <openssl/evp.h>

#include "ike/eap/eap.h"
#include "unit.h"

static void test_mschapv2_vectors(void)
{
	uint8_t auth[16], peer[16], hash[16], want_hash[16], nt[24], want_nt[24], msk[64], send_start[16];
	char response[MSCHAPV2_AUTH_RESPONSE_LEN];
	const uint8_t *user;
	size_t user_len;
	unit_hex("5B5D7C7D7B3F2F3E3C2C602132262628", auth, 16);
	unit_hex("21402324255E262A28295F2B3A337C7E", peer, 16);
	unit_hex("44EBBA8D5312B8D611474411F56989AE", want_hash, 16);
	unit_hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF", want_nt, 24);
	unit_hex("8B7CDC149B993A1BA118CB153F56DCCB", send_start, 16);
	CU_ASSERT_FATAL(mschapv2_nt_hash((const uint8_t *)"clientPass", 10, hash));
	CU_ASSERT(memcmp(hash, want_hash, 16) == 0);
	mschapv2_user_name((const uint8_t *)"EXAMPLE\\User", 12, &user, &user_len);
	CU_ASSERT(user_len == 4 && memcmp(user, "User", 4) == 0);
	CU_ASSERT(mschapv2_nt_response(peer, auth, user, user_len, hash, nt));
	CU_ASSERT(memcmp(nt, want_nt, 24) == 0);
	CU_ASSERT(mschapv2_auth_response(hash, nt, peer, auth, user, user_len, response));
	CU_ASSERT(memcmp(response, "S=407A5589115FD0D6209F510FE9C04566932CDA56", sizeof(response)) == 0);
	/* the MSK: the client's send key, then its receive key, which is the server's send key (RFC 3079's SendStartKey128) */
	CU_ASSERT(mschapv2_msk(hash, nt, msk));
	CU_ASSERT(memcmp(msk + 16, send_start, 16) == 0);
	static const uint8_t zero[32];
	CU_ASSERT(memcmp(msk + 32, zero, 32) == 0 && memcmp(msk + 16, zero, 16) != 0);
	/* UTF-8 beyond ASCII is hashed as UTF-16LE; bytes that are not UTF-8 are refused */
	CU_ASSERT(mschapv2_nt_hash((const uint8_t *)"p\xc3\xa4ss\xf0\x9f\x94\x91", 9, hash));
	CU_ASSERT(!mschapv2_nt_hash((const uint8_t *)"bad\xc3", 4, hash));
	CU_ASSERT(!mschapv2_nt_hash((const uint8_t *)"\x80", 1, hash));
}

/* The test's one user and password. */
static bool password(void *ctx, const uint8_t *id, size_t len, const uint8_t **pw, size_t *pw_len)
{
	const char *user = ctx;
	if (len != strlen(user) || memcmp(id, user, len) != 0)
		return false;
	*pw = (const uint8_t *)"clientPass";
	*pw_len = 10;
	return true;
}

/* An EAP response of type with data, answering request id. */
static size_t response(uint8_t id, uint8_t type, const void *data, size_t len, uint8_t *out)
{
	out[0] = EAP_RESPONSE;
	out[1] = id;
	out[2] = (uint8_t)((len + 5) >> 8);
	out[3] = (uint8_t)(len + 5);
	out[4] = type;
	memcpy(out + 5, data, len);
	return len + 5;
}

static size_t md5_answer(const uint8_t *req, const char *pw, uint8_t *out)
{
	uint8_t value[17], id = req[1];
	unsigned n;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, &id, 1);
	EVP_DigestUpdate(x, pw, strlen(pw));
	EVP_DigestUpdate(x, req + 6, 16);
	EVP_DigestFinal_ex(x, value + 1, &n);
	EVP_MD_CTX_free(x);
	value[0] = 16;
	return response(id, EAP_TYPE_MD5, value, sizeof(value), out);
}

static void test_server_md5(void)
{
	struct eap_server s;
	uint8_t req[EAP_PACKET_MAX], resp[EAP_PACKET_MAX], out[EAP_PACKET_MAX];
	size_t n, out_len;
	const char *user = "alice";
	for (int right = 0; right < 2; right++) {
		n = eap_server_start(&s, EAP_TYPE_MD5, (const uint8_t *)user, 5, password, (void *)user, req, sizeof(req));
		CU_ASSERT_FATAL(n == 22 && req[0] == EAP_REQUEST && req[4] == EAP_TYPE_MD5 && req[5] == 16);
		n = md5_answer(req, right ? "clientPass" : "wrong", resp);
		CU_ASSERT_EQUAL(eap_server_process(&s, resp, n, out, sizeof(out), &out_len), right ? EAP_DONE : EAP_FAILED);
		CU_ASSERT(out_len == 4 && out[0] == (right ? EAP_SUCCESS : EAP_FAILURE) && out[1] == req[1]);
		CU_ASSERT_EQUAL(s.msk_len, 0);
		eap_server_wipe(&s);
	}
	/* another identity has no secret; a response to another request, a cut one, a Nak: all fail */
	n = eap_server_start(&s, EAP_TYPE_MD5, (const uint8_t *)"bob", 3, password, (void *)user, req, sizeof(req));
	n = md5_answer(req, "clientPass", resp);
	CU_ASSERT_EQUAL(eap_server_process(&s, resp, n, out, sizeof(out), &out_len), EAP_FAILED);
	CU_ASSERT_STRING_EQUAL(s.why, "no EAP secret for this identity");
	const uint8_t nak = EAP_TYPE_MSCHAPV2;
	for (int bad = 0; bad < 3; bad++) {
		n = eap_server_start(&s, EAP_TYPE_MD5, (const uint8_t *)user, 5, password, (void *)user, req, sizeof(req));
		n = md5_answer(req, "clientPass", resp);
		if (bad == 0)
			resp[1]++;
		else if (bad == 1)
			n--;
		else
			n = response(req[1], EAP_TYPE_NAK, &nak, 1, resp);
		CU_ASSERT_EQUAL(eap_server_process(&s, resp, n, out, sizeof(out), &out_len), EAP_FAILED);
		CU_ASSERT(out_len == 4 && out[0] == EAP_FAILURE);
	}
}

/* The peer's MS-CHAPv2 Response to a Challenge (RFC 2759's peer challenge), as user with the password. */
static size_t mschapv2_answer(const uint8_t *req, const char *user, const char *pw, uint8_t *out)
{
	uint8_t data[4 + 1 + 49 + 16], hash[16];
	memset(data, 0, sizeof(data));
	data[0] = 2; /* Response */
	data[1] = req[6];
	data[3] = (uint8_t)(sizeof(data) + 5 - 5);
	data[4] = 49;
	unit_hex("21402324255E262A28295F2B3A337C7E", data + 5, 16);
	mschapv2_nt_hash((const uint8_t *)pw, strlen(pw), hash);
	mschapv2_nt_response(data + 5, req + 10, (const uint8_t *)user, strlen(user), hash, data + 5 + 24);
	memcpy(data + 54, "somebody", 8);
	return response(req[1], EAP_TYPE_MSCHAPV2, data, 62, out);
}

static void test_server_mschapv2(void)
{
	struct eap_server s;
	uint8_t req[EAP_PACKET_MAX], resp[EAP_PACKET_MAX], out[EAP_PACKET_MAX], hash[16], nt[24], peer[16];
	size_t n, out_len;
	const char *identity = "EXAMPLE\\User";
	for (int right = 0; right < 2; right++) {
		n = eap_server_start(&s, EAP_TYPE_MSCHAPV2, NULL, 0, password, (void *)identity, req, sizeof(req));
		CU_ASSERT_FATAL(n == 5 && req[0] == EAP_REQUEST && req[4] == EAP_TYPE_IDENTITY);
		n = response(req[1], EAP_TYPE_IDENTITY, identity, strlen(identity), resp);
		CU_ASSERT_FATAL(eap_server_process(&s, resp, n, req, sizeof(req), &out_len) == EAP_CONTINUE);
		/* Challenge: OpCode 1, MS-CHAPv2-ID, MS-Length, 16-byte challenge, our name */
		CU_ASSERT_FATAL(req[4] == EAP_TYPE_MSCHAPV2 && req[5] == 1 && req[6] == req[1] && req[9] == 16);
		CU_ASSERT((req[7] << 8 | req[8]) == (int)out_len - 5);
		n = mschapv2_answer(req, "User", right ? "clientPass" : "otherPass", resp);
		enum eap_result r = eap_server_process(&s, resp, n, out, sizeof(out), &out_len);
		if (!right) {
			CU_ASSERT(r == EAP_FAILED && out[0] == EAP_FAILURE && s.msk_len == 0);
			continue;
		}
		CU_ASSERT_FATAL(r == EAP_CONTINUE && out[4] == EAP_TYPE_MSCHAPV2 && out[5] == 3);
		char want[MSCHAPV2_AUTH_RESPONSE_LEN];
		unit_hex("21402324255E262A28295F2B3A337C7E", peer, 16);
		mschapv2_nt_hash((const uint8_t *)"clientPass", 10, hash);
		mschapv2_nt_response(peer, req + 10, (const uint8_t *)"User", 4, hash, nt);
		mschapv2_auth_response(hash, nt, peer, req + 10, (const uint8_t *)"User", 4, want);
		CU_ASSERT(memcmp(out + 9, want, sizeof(want)) == 0);
		const uint8_t ack = 3;
		n = response(out[1], EAP_TYPE_MSCHAPV2, &ack, 1, resp);
		CU_ASSERT_EQUAL(eap_server_process(&s, resp, n, out, sizeof(out), &out_len), EAP_DONE);
		CU_ASSERT(out_len == 4 && out[0] == EAP_SUCCESS && s.msk_len == 64);
		uint8_t msk[64];
		mschapv2_msk(hash, nt, msk);
		CU_ASSERT(memcmp(s.msk, msk, 64) == 0);
		/* nothing more after Success */
		CU_ASSERT_EQUAL(eap_server_process(&s, resp, n, out, sizeof(out), &out_len), EAP_FAILED);
		eap_server_wipe(&s);
	}
}

void eap_suite_add(CU_pSuite s)
{
	CU_add_test(s, "MS-CHAPv2: NT hash, NT-Response, authenticator response, keys (RFC 2759 9.2, RFC 3079 3.5.3)",
		    test_mschapv2_vectors);
	CU_add_test(s, "EAP-MD5 server: the right password, a wrong one, no secret, malformed responses, Nak",
		    test_server_md5);
	CU_add_test(s, "EAP-MSCHAPv2 server: identity round, challenge, authenticator response, acknowledgement, MSK",
		    test_server_mschapv2);
}
