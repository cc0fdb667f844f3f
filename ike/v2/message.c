/* SPDX-License-Identifier: BSD-3-Clause */
#include "message.h"

#include <string.h>

#include "payloads.h"

enum ike_parse_error ike_read_header(const uint8_t *buf, size_t len, struct ike_header *h)
{
	struct wire_reader r;
	wire_reader_init(&r, buf, len);
	const uint8_t *spi_i = wire_take(&r, 8), *spi_r = wire_take(&r, 8);
	h->next = wire_get_u8(&r);
	h->version = wire_get_u8(&r);
	h->exchange = wire_get_u8(&r);
	h->flags = wire_get_u8(&r);
	h->msg_id = wire_get_be32(&r);
	h->length = wire_get_be32(&r);
	if (!wire_ok(&r))
		return IKE_PARSE_SHORT;
	h->spi_i = h->spi_r = 0;
	for (int i = 0; i < 8; i++) {
		h->spi_i = h->spi_i << 8 | spi_i[i];
		h->spi_r = h->spi_r << 8 | spi_r[i];
	}
	return IKE_PARSE_OK;
}

enum ike_parse_error ike_parse_header(const uint8_t *buf, size_t len, struct ike_header *h)
{
	enum ike_parse_error e = ike_read_header(buf, len, h);
	if (e != IKE_PARSE_OK)
		return e;
	if ((h->version >> 4) != 2)
		return IKE_PARSE_VERSION;
	if (h->length != len)
		return IKE_PARSE_LENGTH;
	return IKE_PARSE_OK;
}

/* Payload types dpike understands; an unknown one with the critical bit set is refused. */
static bool known_type(uint8_t t)
{
	return (t >= PL_SA && t <= PL_EAP) || t == PL_SKF;
}

enum ike_parse_error ike_parse_chain(struct ike_message *msg, uint8_t first, const uint8_t *buf, size_t len)
{
	struct wire_reader r;
	wire_reader_init(&r, buf, len);
	uint8_t type = first;
	msg->n = 0;
	while (type != PL_NONE) {
		uint8_t next = wire_get_u8(&r), flags = wire_get_u8(&r);
		uint16_t plen = wire_get_be16(&r);
		if (!wire_ok(&r) || plen < 4)
			return IKE_PARSE_PAYLOAD;
		struct wire_reader body = wire_sub(&r, plen - 4u);
		if (!wire_ok(&body) || msg->n == IKE_MAX_PAYLOADS)
			return IKE_PARSE_PAYLOAD;
		bool critical = (flags & 0x80) != 0;
		if (!known_type(type) && critical && msg->unknown_critical == 0)
			msg->unknown_critical = type;
		msg->pl[msg->n++] = (struct ike_payload){ type, critical, body.buf, (uint16_t)(plen - 4) };
		if (type == PL_SK || type == PL_SKF) {
			/* the Encrypted payload is last; its next-payload names the first inner payload */
			msg->sk = &msg->pl[msg->n - 1];
			msg->sk_first = next;
			return wire_left(&r) == 0 ? IKE_PARSE_OK : IKE_PARSE_PAYLOAD;
		}
		type = next;
	}
	return wire_left(&r) == 0 ? IKE_PARSE_OK : IKE_PARSE_PAYLOAD;
}

const struct ike_payload *ike_find(const struct ike_message *msg, uint8_t type)
{
	for (int i = 0; i < msg->n; i++)
		if (msg->pl[i].type == type)
			return &msg->pl[i];
	return NULL;
}

const struct ike_payload *ike_find_notify(const struct ike_message *msg, uint16_t notify_type)
{
	for (int i = 0; i < msg->n; i++) {
		struct ike_notify n;
		if (msg->pl[i].type == PL_NOTIFY && notify_parse(&msg->pl[i], &n) && n.type == notify_type)
			return &msg->pl[i];
	}
	return NULL;
}

const char *ike_exchange_name(uint8_t exchange)
{
	switch (exchange) {
	case IKE_SA_INIT: return "IKE_SA_INIT";
	case IKE_AUTH: return "IKE_AUTH";
	case CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case INFORMATIONAL: return "INFORMATIONAL";
	default: return "unknown exchange";
	}
}

static void put_spi(struct wire_writer *w, uint64_t spi)
{
	wire_put_be32(w, (uint32_t)(spi >> 32));
	wire_put_be32(w, (uint32_t)spi);
}

void ike_build_start(struct ike_builder *b, const struct ike_header *h)
{
	wire_writer_init(&b->w, b->buf, sizeof(b->buf));
	put_spi(&b->w, h->spi_i);
	put_spi(&b->w, h->spi_r);
	b->next_at = b->w.off;
	wire_put_u8(&b->w, PL_NONE);
	wire_put_u8(&b->w, IKE_VERSION);
	wire_put_u8(&b->w, h->exchange);
	wire_put_u8(&b->w, h->flags);
	wire_put_be32(&b->w, h->msg_id);
	wire_put_be32(&b->w, 0); /* length, set by ike_build_finish */
}

void ike_payload_begin(struct ike_builder *b, uint8_t type)
{
	if (!b->w.bad)
		b->buf[b->next_at] = type;
	b->payload_at = b->w.off;
	b->next_at = b->w.off;
	wire_put_u8(&b->w, PL_NONE);
	wire_put_u8(&b->w, 0);
	wire_put_be16(&b->w, 0);
}

void ike_payload_end(struct ike_builder *b)
{
	wire_patch_be16(&b->w, b->payload_at + 2, (uint16_t)(b->w.off - b->payload_at));
}

size_t ike_build_finish(struct ike_builder *b)
{
	if (b->w.bad)
		return 0;
	uint32_t len = (uint32_t)b->w.off;
	b->buf[24] = (uint8_t)(len >> 24);
	b->buf[25] = (uint8_t)(len >> 16);
	b->buf[26] = (uint8_t)(len >> 8);
	b->buf[27] = (uint8_t)len;
	return len;
}
