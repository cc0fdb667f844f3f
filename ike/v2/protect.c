/* SPDX-License-Identifier: BSD-3-Clause */
/* The Encrypted payload (RFC 7296 3.14): closing a message we build, opening one we received. */
#include <string.h>

#include "ike_sa.h"

void ike_sk_begin(struct ike_builder *b)
{
	ike_payload_begin(b, PL_SK);
	b->sk_at = b->payload_at;
	b->iv_at = b->w.off;
}

size_t ike_sk_finish(struct ike_sa *sa, struct ike_builder *b)
{
	const struct sk_cipher *c = &sa->cipher;
	/* the IV goes in front of the payloads already written */
	size_t iv_at = b->iv_at, sk_at = b->sk_at;
	size_t plain_start = iv_at, plain_len = b->w.off - plain_start;
	if (wire_reserve(&b->w, c->iv_len) == NULL)
		return 0;
	memmove(b->buf + iv_at + c->iv_len, b->buf + plain_start, plain_len);
	size_t pad = (c->block - (plain_len + 1) % c->block) % c->block;
	uint8_t *tail = wire_reserve(&b->w, pad + 1 + c->icv_len);
	if (tail == NULL)
		return 0;
	memset(tail, 0, pad);
	tail[pad] = (uint8_t)pad;
	wire_patch_be16(&b->w, sk_at + 2, (uint16_t)(b->w.off - sk_at));
	size_t len = ike_build_finish(b);
	const uint8_t *ek = sa->initiator ? sa->sk_ei : sa->sk_er, *ak = sa->initiator ? sa->sk_ai : sa->sk_ar;
	if (len == 0 || !sk_encrypt(c, ek, ak, b->buf, iv_at, plain_len + pad + 1))
		return 0;
	return len;
}

bool ike_sk_open(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_message *msg)
{
	const struct sk_cipher *c = &sa->cipher;
	const struct ike_payload *sk = msg->sk;
	if (sk == NULL || sk->type != PL_SK || sk->len < c->iv_len + c->icv_len + 1)
		return false;
	size_t iv_off = (size_t)(sk->body - buf), cipher_len = sk->len - c->iv_len - c->icv_len;
	if (iv_off + sk->len > len)
		return false;
	const uint8_t *ek = sa->initiator ? sa->sk_er : sa->sk_ei, *ak = sa->initiator ? sa->sk_ar : sa->sk_ai;
	if (!sk_decrypt(c, ek, ak, buf, iv_off, cipher_len))
		return false;
	const uint8_t *plain = buf + iv_off + c->iv_len;
	uint8_t pad = plain[cipher_len - 1];
	if ((size_t)pad + 1 > cipher_len)
		return false;
	uint8_t first = msg->sk_first;
	msg->sk = NULL;
	if (ike_parse_chain(msg, first, plain, cipher_len - pad - 1) != IKE_PARSE_OK)
		return false;
	msg->protected_ = true;
	return true;
}
