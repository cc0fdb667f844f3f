/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "eap.h"
#include "eap_methods.h"
#include "ike/crypto.h"
#include "lib/wire.h"

enum step { STEP_IDENTITY, STEP_METHOD, STEP_SUCCESS_ACK, STEP_OVER };

const char *eap_type_name(uint8_t type)
{
	switch (type) {
	case EAP_TYPE_MD5: return "EAP-MD5";
	case EAP_TYPE_MSCHAPV2: return "EAP-MSCHAPv2";
	case EAP_TYPE_IDENTITY: return "EAP-Identity";
	default: return "EAP";
	}
}

/* Code, identifier, length (filled in by eap_finish()), then the type for requests and responses. */
void eap_begin(struct wire_writer *w, uint8_t code, uint8_t id, uint8_t type)
{
	wire_put_u8(w, code);
	wire_put_u8(w, id);
	wire_put_be16(w, 0);
	if (code == EAP_REQUEST || code == EAP_RESPONSE)
		wire_put_u8(w, type);
}

size_t eap_finish(struct wire_writer *w)
{
	return wire_patch_be16(w, 2, (uint16_t)w->off) && !w->bad ? w->off : 0;
}

/* A new request: the next identifier. */
static struct wire_writer new_request(struct eap_server *s, uint8_t type, uint8_t *out, size_t cap)
{
	struct wire_writer w;
	wire_writer_init(&w, out, cap);
	eap_begin(&w, EAP_REQUEST, ++s->id, type);
	return w;
}

static size_t method_request(struct eap_server *s, uint8_t *out, size_t cap)
{
	struct wire_writer w = new_request(s, s->method, out, cap);
	s->step = STEP_METHOD;
	if (!ike_random(s->challenge, sizeof(s->challenge)))
		return 0;
	if (s->method == EAP_TYPE_MD5)
		eap_md5_challenge(s, &w);
	else
		eap_mschapv2_challenge(s, &w);
	return eap_finish(&w);
}

size_t eap_server_start(struct eap_server *s, uint8_t method, const uint8_t *identity, size_t identity_len,
			eap_password_fn password, void *ctx, uint8_t *out, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->method = method;
	s->password = password;
	s->ctx = ctx;
	if (!ike_random(&s->id, 1))
		return 0;
	if (identity_len == 0) {
		struct wire_writer w = new_request(s, EAP_TYPE_IDENTITY, out, cap);
		s->step = STEP_IDENTITY;
		return eap_finish(&w);
	}
	s->identity_len = identity_len < sizeof(s->identity) ? identity_len : sizeof(s->identity);
	memcpy(s->identity, identity, s->identity_len);
	return method_request(s, out, cap);
}

static enum eap_result fail(struct eap_server *s, const char *why, uint8_t id, uint8_t *out, size_t cap,
			    size_t *out_len)
{
	struct wire_writer w;
	wire_writer_init(&w, out, cap);
	eap_begin(&w, EAP_FAILURE, id, 0);
	*out_len = eap_finish(&w);
	s->why = why;
	s->step = STEP_OVER;
	OPENSSL_cleanse(s->msk, sizeof(s->msk));
	s->msk_len = 0;
	return EAP_FAILED;
}

static enum eap_result succeed(struct eap_server *s, uint8_t id, uint8_t *out, size_t cap, size_t *out_len)
{
	struct wire_writer w;
	wire_writer_init(&w, out, cap);
	eap_begin(&w, EAP_SUCCESS, id, 0);
	*out_len = eap_finish(&w);
	s->step = STEP_OVER;
	return *out_len ? EAP_DONE : EAP_FAILED;
}

static enum eap_result take_identity(struct eap_server *s, struct wire_reader *r, uint8_t *out, size_t cap,
				     size_t *out_len)
{
	size_t n = wire_left(r);
	if (n == 0 || n > sizeof(s->identity))
		return fail(s, "an empty or overlong EAP identity", s->id, out, cap, out_len);
	wire_get_bytes(r, s->identity, n);
	s->identity_len = n;
	*out_len = method_request(s, out, cap);
	return *out_len ? EAP_CONTINUE : EAP_FAILED;
}

enum eap_result eap_server_process(struct eap_server *s, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
				   size_t *out_len)
{
	struct wire_reader r;
	*out_len = 0;
	wire_reader_init(&r, in, len);
	uint8_t code = wire_get_u8(&r), id = wire_get_u8(&r);
	uint16_t length = wire_get_be16(&r);
	uint8_t type = wire_get_u8(&r);
	if (!wire_ok(&r) || length != len || code != EAP_RESPONSE || id != s->id || s->step == STEP_OVER)
		return fail(s, "a malformed or unexpected EAP packet", s->id, out, cap, out_len);
	if (type == EAP_TYPE_NAK)
		return fail(s, "the peer refused the EAP method (Nak)", id, out, cap, out_len);
	uint8_t want = s->step == STEP_IDENTITY ? EAP_TYPE_IDENTITY : s->method;
	if (type != want)
		return fail(s, "an EAP response of another type", id, out, cap, out_len);
	if (s->step == STEP_IDENTITY)
		return take_identity(s, &r, out, cap, out_len);
	const char *why = NULL;
	if (s->method == EAP_TYPE_MD5)
		why = eap_md5_check(s, id, &r);
	else if (s->step == STEP_METHOD)
		why = eap_mschapv2_check(s, &r);
	else
		why = eap_mschapv2_check_ack(&r);
	if (why)
		return fail(s, why, id, out, cap, out_len);
	if (s->method == EAP_TYPE_MSCHAPV2 && s->step == STEP_METHOD) {
		struct wire_writer w = new_request(s, EAP_TYPE_MSCHAPV2, out, cap);
		eap_mschapv2_success(s, &w);
		s->step = STEP_SUCCESS_ACK;
		*out_len = eap_finish(&w);
		return *out_len ? EAP_CONTINUE : EAP_FAILED;
	}
	return succeed(s, id, out, cap, out_len);
}

void eap_server_wipe(struct eap_server *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
}
