/* SPDX-License-Identifier: BSD-3-Clause */
/* The Encrypted payload (RFC 7296 3.14): closing a message we build, opening one we received. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike_sa.h"

void ike_sk_begin(struct ike_builder *b)
{
	ike_payload_begin(b, PL_SK);
	b->sk_at = b->payload_at;
	b->iv_at = b->w.off;
}

bool ike_sk_fragment(struct ike_sa *sa, struct ike_builder *b);

size_t ike_sk_finish(struct ike_sa *sa, struct ike_builder *b)
{
	const struct sk_cipher *c = &sa->cipher;
	/* too big for one datagram: the next send takes sa->out_frags instead of b */
	if (ike_sk_fragment(sa, b))
		return b->w.off;
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

/* ---- IKE fragmentation (RFC 7383) ---- */

#define SKF_HDR_LEN 8 /* generic header, fragment number, total fragments */

void ike_fragments_free(struct ike_fragments *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->f[i].msg);
	free(f->f);
	f->f = NULL;
	f->n = 0;
}

void ike_reassembly_reset(struct ike_reassembly *r)
{
	for (int i = 0; r->piece && i < IKE_MAX_FRAGMENTS; i++)
		if (r->piece[i].msg)
			OPENSSL_clear_free(r->piece[i].msg, r->piece[i].len);
	free(r->piece);
	free(r->whole);
	memset(r, 0, sizeof(*r));
}

/* Plaintext bytes one fragment can carry so its datagram stays within fragment_size. */
static size_t fragment_room(const struct ike_sa *sa)
{
	const struct sk_cipher *c = &sa->cipher;
	size_t overhead = IP_UDP_LEN + (sa->floated ? NON_ESP_MARKER : 0) + IKE_HDR_LEN + SKF_HDR_LEN + c->iv_len +
			  c->icv_len + c->block; /* padding and its length byte */
	size_t max = sa->d->cfg->ike_fragment_size;
	size_t room = max > overhead ? max - overhead : 0;
	return room - room % c->block;
}

/* Builds and protects one fragment of the plaintext in b; returns false on failure. */
static bool make_fragment(struct ike_sa *sa, const struct ike_builder *b, const uint8_t *plain, size_t len,
			  uint16_t num, uint16_t total, uint8_t first_type)
{
	const struct sk_cipher *c = &sa->cipher;
	size_t pad = (c->block - (len + 1) % c->block) % c->block;
	size_t size = IKE_HDR_LEN + SKF_HDR_LEN + c->iv_len + len + pad + 1 + c->icv_len;
	uint8_t *m = calloc(1, size);
	if (m == NULL)
		return false;
	memcpy(m, b->buf, IKE_HDR_LEN);
	m[16] = PL_SKF;
	for (int i = 0; i < 4; i++)
		m[24 + i] = (uint8_t)(size >> (24 - 8 * i));
	uint8_t *f = m + IKE_HDR_LEN;
	f[0] = num == 1 ? first_type : PL_NONE;
	f[2] = (uint8_t)((size - IKE_HDR_LEN) >> 8), f[3] = (uint8_t)(size - IKE_HDR_LEN);
	f[4] = (uint8_t)(num >> 8), f[5] = (uint8_t)num, f[6] = (uint8_t)(total >> 8), f[7] = (uint8_t)total;
	size_t iv_at = IKE_HDR_LEN + SKF_HDR_LEN;
	memcpy(m + iv_at + c->iv_len, plain, len);
	m[iv_at + c->iv_len + len + pad] = (uint8_t)pad;
	const uint8_t *ek = sa->initiator ? sa->sk_ei : sa->sk_er, *ak = sa->initiator ? sa->sk_ai : sa->sk_ar;
	if (!sk_encrypt(c, ek, ak, m, iv_at, len + pad + 1)) {
		free(m);
		return false;
	}
	if (sa->out_frags.f == NULL && (sa->out_frags.f = calloc(IKE_MAX_FRAGMENTS, sizeof(struct ike_fragment))) == NULL) {
		free(m);
		return false;
	}
	sa->out_frags.f[sa->out_frags.n++] = (struct ike_fragment){ m, size };
	return true;
}

/* Splits the payloads of an open Encrypted payload into fragments; false when it need not or cannot. */
bool ike_sk_fragment(struct ike_sa *sa, struct ike_builder *b)
{
	size_t plain_len = b->w.off - b->iv_at, room = fragment_room(sa);
	size_t whole = IP_UDP_LEN + (sa->floated ? NON_ESP_MARKER : 0) + b->w.off + sa->cipher.iv_len +
		       sa->cipher.block + sa->cipher.icv_len;
	if (!sa->frag_ok || sa->conn->fragmentation == CFG_FRAG_ACCEPT || whole <= sa->d->cfg->ike_fragment_size ||
	    room == 0)
		return false;
	uint16_t total = (uint16_t)((plain_len + room - 1) / room);
	if (total > IKE_MAX_FRAGMENTS)
		return false;
	ike_fragments_free(&sa->out_frags);
	uint8_t first_type = b->buf[b->sk_at];
	for (uint16_t i = 0; i < total; i++) {
		size_t off = (size_t)i * room, n = plain_len - off < room ? plain_len - off : room;
		if (!make_fragment(sa, b, b->buf + b->iv_at + off, n, (uint16_t)(i + 1), total, first_type)) {
			ike_fragments_free(&sa->out_frags);
			return false;
		}
	}
	return true;
}

static bool join_fragments(struct ike_reassembly *r, struct ike_message *msg)
{
	size_t total = 0;
	for (uint16_t i = 0; i < r->total; i++)
		total += r->piece[i].len;
	r->whole = malloc(total ? total : 1);
	if (r->whole == NULL)
		return false;
	size_t off = 0;
	for (uint16_t i = 0; i < r->total; i++) {
		memcpy(r->whole + off, r->piece[i].msg, r->piece[i].len);
		off += r->piece[i].len;
	}
	msg->sk = NULL;
	if (ike_parse_chain(msg, r->first_payload, r->whole, total) != IKE_PARSE_OK)
		return false;
	msg->protected_ = true;
	return true;
}

int ike_skf_open(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_message *msg)
{
	const struct sk_cipher *c = &sa->cipher;
	const struct ike_payload *skf = msg->sk;
	struct wire_reader r;
	wire_reader_init(&r, skf->body, skf->len);
	uint16_t num = wire_get_be16(&r), total = wire_get_be16(&r);
	if (!wire_ok(&r) || num == 0 || num > total || total > IKE_MAX_FRAGMENTS ||
	    wire_left(&r) < c->iv_len + c->icv_len + 1)
		return -1;
	size_t iv_off = (size_t)(skf->body - buf) + 4, cipher_len = wire_left(&r) - c->iv_len - c->icv_len;
	if (iv_off + wire_left(&r) > len)
		return -1;
	const uint8_t *ek = sa->initiator ? sa->sk_er : sa->sk_ei, *ak = sa->initiator ? sa->sk_ar : sa->sk_ai;
	if (!sk_decrypt(c, ek, ak, buf, iv_off, cipher_len))
		return -1; /* each fragment is checked on its own before it is kept */
	const uint8_t *plain = buf + iv_off + c->iv_len;
	uint8_t pad = plain[cipher_len - 1];
	if ((size_t)pad + 1 > cipher_len)
		return -1;
	struct ike_reassembly *rx = &sa->rx;
	bool response = (msg->hdr.flags & IKE_FLAG_RESPONSE) != 0;
	if (rx->total == 0 || rx->msg_id != msg->hdr.msg_id || rx->response != response || rx->total != total) {
		ike_reassembly_reset(rx);
		*rx = (struct ike_reassembly){ .msg_id = msg->hdr.msg_id, .exchange = msg->hdr.exchange,
					       .response = response, .total = total };
	}
	if (rx->piece == NULL && (rx->piece = calloc(IKE_MAX_FRAGMENTS, sizeof(*rx->piece))) == NULL)
		return -1;
	struct ike_fragment *p = &rx->piece[num - 1];
	if (p->msg)
		return 0; /* a duplicate fragment */
	p->len = cipher_len - pad - 1;
	p->msg = malloc(p->len ? p->len : 1);
	if (p->msg == NULL)
		return -1;
	memcpy(p->msg, plain, p->len);
	if (num == 1)
		rx->first_payload = msg->sk_first;
	if (++rx->have < total)
		return 0;
	return join_fragments(rx, msg) ? 1 : -1;
}
