/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2): Challenge, the peer's Response with its
 * NT-Response, our Success with the authenticator response, its acknowledgement. Each
 * MS-CHAPv2 packet carries an OpCode, an MS-CHAPv2-ID and an MS-Length (the EAP length less 5).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "eap_methods.h"

enum { OP_CHALLENGE = 1, OP_RESPONSE = 2, OP_SUCCESS = 3 };

#define SERVER_NAME "dpike"
#define RESPONSE_VALUE_SIZE 49 /* peer challenge, 8 reserved bytes, NT-Response, flags */

/* The MS-Length of a packet written whole: its EAP length (the writer's offset) less 5. */
static void patch_ms_length(struct wire_writer *w)
{
	wire_patch_be16(w, 7, (uint16_t)(w->off - 5));
}

static void op_header(struct wire_writer *w, uint8_t op, uint8_t ms_id)
{
	wire_put_u8(w, op);
	wire_put_u8(w, ms_id);
	wire_put_be16(w, 0);
}

void eap_mschapv2_challenge(const struct eap_server *s, struct wire_writer *w)
{
	op_header(w, OP_CHALLENGE, s->id);
	wire_put_u8(w, MSCHAPV2_CHALLENGE_LEN);
	wire_put_bytes(w, s->challenge, MSCHAPV2_CHALLENGE_LEN);
	wire_put_bytes(w, SERVER_NAME, strlen(SERVER_NAME));
	patch_ms_length(w);
}

/* NT-Response, authenticator response and MSK for the password; false if it cannot be hashed. */
static bool derive(struct eap_server *s, const uint8_t *pw, size_t pw_len, const uint8_t peer_challenge[16],
		   uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN])
{
	const uint8_t *user;
	size_t user_len;
	uint8_t nt_hash[16];
	mschapv2_user_name(s->identity, s->identity_len, &user, &user_len);
	bool ok = mschapv2_nt_hash(pw, pw_len, nt_hash) &&
		  mschapv2_nt_response(peer_challenge, s->challenge, user, user_len, nt_hash, nt_response) &&
		  mschapv2_auth_response(nt_hash, nt_response, peer_challenge, s->challenge, user, user_len,
					 s->auth_response) &&
		  mschapv2_msk(nt_hash, nt_response, s->msk);
	OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
	return ok;
}

const char *eap_mschapv2_check(struct eap_server *s, struct wire_reader *r)
{
	const uint8_t *pw, *peer_challenge, *got;
	size_t pw_len;
	uint8_t want[MSCHAPV2_NT_RESPONSE_LEN];
	uint8_t op = wire_get_u8(r);
	wire_skip(r, 3); /* MS-CHAPv2-ID and MS-Length: the EAP header already vouches for both */
	uint8_t size = wire_get_u8(r);
	peer_challenge = wire_take(r, MSCHAPV2_CHALLENGE_LEN);
	wire_skip(r, 8);
	got = wire_take(r, MSCHAPV2_NT_RESPONSE_LEN);
	if (!wire_ok(r) || op != OP_RESPONSE || size != RESPONSE_VALUE_SIZE)
		return "a malformed EAP-MSCHAPv2 response";
	if (!s->password(s->ctx, s->identity, s->identity_len, &pw, &pw_len))
		return "no EAP secret for this identity";
	if (!derive(s, pw, pw_len, peer_challenge, want))
		return "the EAP secret cannot be hashed (not UTF-8, or no MD4 in OpenSSL's legacy provider)";
	bool ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok)
		return "EAP-MSCHAPv2 NT-Response does not match the password";
	s->msk_len = MSCHAPV2_MSK_LEN;
	return NULL;
}

void eap_mschapv2_success(const struct eap_server *s, struct wire_writer *w)
{
	static const char message[] = " M=" SERVER_NAME;
	op_header(w, OP_SUCCESS, (uint8_t)(s->id - 1)); /* the Challenge's MS-CHAPv2-ID: one request before */
	wire_put_bytes(w, s->auth_response, MSCHAPV2_AUTH_RESPONSE_LEN);
	wire_put_bytes(w, message, strlen(message));
	patch_ms_length(w);
}

const char *eap_mschapv2_check_ack(struct wire_reader *r)
{
	return wire_get_u8(r) == OP_SUCCESS && wire_ok(r) ? NULL : "the peer did not acknowledge EAP-MSCHAPv2 Success";
}
