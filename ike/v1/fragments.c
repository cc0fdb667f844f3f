/* SPDX-License-Identifier: BSD-3-Clause */
#include "fragments.h"

#include <stdlib.h>
#include <string.h>

#include "ike/v2/message.h"
#include "lib/wire.h"

#define FRAG_HDR_LEN 8 /* generic payload header, fragment ID, number, flags */
#define FRAG_LAST 0x01

const uint8_t V1_VID_FRAGMENTATION[20] = { 0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7,
					   0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3, 0x80, 0x00, 0x00, 0x00 };

void v1_defrag_free(struct v1_defrag **slot)
{
	if (*slot == NULL)
		return;
	for (int i = 0; i <= V1_MAX_FRAGMENTS; i++)
		free((*slot)->piece[i]);
	free(*slot);
	*slot = NULL;
}

struct fragment {
	uint16_t id;
	uint8_t num;
	bool last;
	const uint8_t *data;
	uint16_t len;
};

static bool parse_fragment(const uint8_t *raw, size_t len, struct fragment *f)
{
	struct wire_reader r;
	wire_reader_init(&r, raw, len);
	wire_skip(&r, IKE_HDR_LEN + 2);
	uint16_t plen = wire_get_be16(&r);
	f->id = wire_get_be16(&r);
	f->num = wire_get_u8(&r);
	f->last = wire_get_u8(&r) & FRAG_LAST;
	if (!wire_ok(&r) || plen <= FRAG_HDR_LEN || f->num == 0 || f->num > V1_MAX_FRAGMENTS)
		return false;
	f->len = (uint16_t)(plen - FRAG_HDR_LEN);
	f->data = wire_take(&r, f->len);
	return f->data != NULL;
}

/* Whether f fits what the slot knows: numbers up to the last one, a single last one. */
static bool consistent(const struct v1_defrag *s, const struct fragment *f)
{
	if (f->last)
		return (s->last == 0 || s->last == f->num) && (s->have >> (f->num + 1)) == 0;
	return s->last == 0 || f->num < s->last;
}

static uint8_t *join(const struct v1_defrag *s)
{
	uint8_t *msg = malloc(s->total ? s->total : 1);
	size_t at = 0;
	for (int i = 1; msg && i <= s->last; i++) {
		memcpy(msg + at, s->piece[i], s->len[i]);
		at += s->len[i];
	}
	return msg;
}

int v1_defrag_add(struct v1_defrag **slot, const uint8_t *raw, size_t len, size_t max, uint8_t **msg,
		  size_t *msg_len)
{
	struct fragment f;
	if (!parse_fragment(raw, len, &f))
		return -1;
	struct v1_defrag *s = *slot;
	if (s && s->id != f.id) {
		if ((int16_t)(f.id - s->id) < 0)
			return 0; /* a piece of an older message, late */
		v1_defrag_free(slot);
		s = NULL;
	}
	if (s == NULL && (s = *slot = calloc(1, sizeof(*s))) == NULL)
		return 0;
	s->id = f.id;
	if (s->piece[f.num])
		return 0; /* a repeat */
	if (!consistent(s, &f) || s->total + f.len > max)
		return -1;
	if ((s->piece[f.num] = malloc(f.len)) == NULL)
		return 0;
	memcpy(s->piece[f.num], f.data, f.len);
	s->len[f.num] = f.len;
	s->total += f.len;
	s->have |= 1u << f.num;
	if (f.last)
		s->last = f.num;
	uint32_t all = s->last ? ((1u << (s->last + 1)) - 2) : 0;
	if (all == 0 || s->have != all)
		return 0;
	*msg = join(s);
	*msg_len = s->total;
	v1_defrag_free(slot);
	return *msg ? 1 : 0;
}

bool v1_fragment_send(const uint8_t *msg, size_t len, size_t room, uint16_t id,
		      void (*send)(void *ctx, const uint8_t *frag, size_t frag_len), void *ctx)
{
	if (len <= room || len < IKE_HDR_LEN || room <= IKE_HDR_LEN + FRAG_HDR_LEN)
		return false;
	size_t chunk = (room < IKE_MAX_MSG ? room : IKE_MAX_MSG) - IKE_HDR_LEN - FRAG_HDR_LEN;
	size_t n = (len + chunk - 1) / chunk;
	if (n > V1_MAX_FRAGMENTS)
		return false;
	uint8_t frag[IKE_MAX_MSG];
	for (size_t i = 0, at = 0; i < n; i++, at += chunk) {
		size_t piece = len - at < chunk ? len - at : chunk;
		struct wire_writer w;
		wire_writer_init(&w, frag, sizeof(frag));
		wire_put_bytes(&w, msg, 16); /* the message's cookies */
		wire_put_u8(&w, ISA_FRAGMENT);
		wire_put_bytes(&w, msg + 17, 2); /* version, exchange */
		wire_put_u8(&w, 0);              /* flags: the pieces themselves are not encrypted */
		wire_put_bytes(&w, msg + 20, 4); /* message ID */
		wire_put_be32(&w, (uint32_t)(IKE_HDR_LEN + FRAG_HDR_LEN + piece));
		wire_put_be16(&w, 0);
		wire_put_be16(&w, (uint16_t)(FRAG_HDR_LEN + piece));
		wire_put_be16(&w, id);
		wire_put_u8(&w, (uint8_t)(i + 1));
		wire_put_u8(&w, i + 1 == n ? FRAG_LAST : 0);
		wire_put_bytes(&w, msg + at, piece);
		send(ctx, frag, w.off);
	}
	return true;
}
