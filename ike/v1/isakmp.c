/* SPDX-License-Identifier: BSD-3-Clause */
#include "isakmp.h"

#include <string.h>

#define DOI_IPSEC 1
#define SIT_IDENTITY_ONLY 1
#define ATTR_TV 0x8000

enum ike_parse_error isakmp_parse_header(const uint8_t *buf, size_t len, struct isakmp_header *h)
{
	struct ike_header g;
	enum ike_parse_error e = ike_read_header(buf, len, &g);
	if (e != IKE_PARSE_OK)
		return e;
	*h = (struct isakmp_header){ .cky_i = g.spi_i, .cky_r = g.spi_r, .next = g.next, .version = g.version,
				     .exchange = g.exchange, .flags = g.flags, .msg_id = g.msg_id, .length = g.length };
	if ((h->version >> 4) != 1)
		return IKE_PARSE_VERSION;
	/* some stacks pad the datagram past the header's length; never the other way round */
	if (h->length > len || h->length < IKE_HDR_LEN)
		return IKE_PARSE_LENGTH;
	return IKE_PARSE_OK;
}

enum ike_parse_error isakmp_parse_chain(struct isakmp_message *m, uint8_t first, const uint8_t *buf, size_t len)
{
	struct wire_reader r;
	wire_reader_init(&r, buf, len);
	m->n = 0;
	for (uint8_t type = first; type != ISA_NONE;) {
		uint8_t next = wire_get_u8(&r);
		wire_skip(&r, 1);
		uint16_t plen = wire_get_be16(&r);
		if (!wire_ok(&r) || plen < 4)
			return IKE_PARSE_PAYLOAD;
		struct wire_reader body = wire_sub(&r, plen - 4u);
		if (!wire_ok(&body) || m->n == IKE_MAX_PAYLOADS)
			return IKE_PARSE_PAYLOAD;
		m->pl[m->n++] = (struct ike_payload){ type, false, body.buf, (uint16_t)(plen - 4) };
		type = next;
	}
	return IKE_PARSE_OK; /* what follows the chain is encryption padding */
}

const struct ike_payload *isakmp_find(const struct isakmp_message *m, uint8_t type)
{
	for (int i = 0; i < m->n; i++)
		if (m->pl[i].type == type)
			return &m->pl[i];
	return NULL;
}

void isakmp_build_start(struct ike_builder *b, const struct isakmp_header *h)
{
	struct ike_header v2 = { .spi_i = h->cky_i, .spi_r = h->cky_r, .exchange = h->exchange, .flags = h->flags,
				 .msg_id = h->msg_id };
	ike_build_start(b, &v2);
	b->buf[17] = ISAKMP_VERSION;
}

bool v1_attr(const struct v1_attrs *a, uint16_t type, uint64_t *value)
{
	for (int i = 0; i < a->n; i++)
		if (a->type[i] == type) {
			*value = a->value[i];
			return true;
		}
	return false;
}

void v1_attr_put(struct wire_writer *w, uint16_t type, uint64_t value)
{
	if (value <= 0xffff) {
		wire_put_be16(w, ATTR_TV | type);
		wire_put_be16(w, (uint16_t)value);
	} else {
		wire_put_be16(w, type);
		wire_put_be16(w, 4);
		wire_put_be32(w, (uint32_t)value);
	}
}

static bool parse_attrs(struct wire_reader *r, struct v1_attrs *a)
{
	a->n = 0;
	while (wire_ok(r) && wire_left(r) > 0) {
		uint16_t t = wire_get_be16(r), v = wire_get_be16(r);
		uint64_t value = v;
		if (!(t & ATTR_TV)) { /* TLV: v is the length */
			if (v > 8) {
				wire_skip(r, v);
				continue; /* too long to be a number we use */
			}
			value = 0;
			for (uint16_t i = 0; i < v; i++)
				value = value << 8 | wire_get_u8(r);
		}
		if (a->n < V1_MAX_ATTRS) {
			a->type[a->n] = t & ~ATTR_TV;
			a->value[a->n++] = value;
		}
	}
	return wire_ok(r);
}

/* Payloads inside an SA payload still use generic headers: proposals (2) and transforms (3). */
static bool parse_transforms(struct wire_reader *r, struct v1_proposal *p, uint8_t count)
{
	p->n = 0;
	for (uint8_t i = 0; i < count; i++) {
		uint8_t next = wire_get_u8(r);
		wire_skip(r, 1);
		uint16_t len = wire_get_be16(r);
		if (!wire_ok(r) || len < 8 || (next != ISA_T && next != ISA_NONE))
			return false;
		struct wire_reader t = wire_sub(r, len - 4u);
		struct v1_transform tr = { 0 };
		tr.num = wire_get_u8(&t);
		tr.id = wire_get_u8(&t);
		wire_skip(&t, 2);
		if (!parse_attrs(&t, &tr.attrs))
			return false;
		if (p->n < V1_MAX_TRANSFORMS)
			p->t[p->n++] = tr;
		if ((next == ISA_NONE) != (i + 1 == count))
			return false;
	}
	return true;
}

int v1_sa_parse(const struct ike_payload *pl, struct v1_proposal *out, int max)
{
	struct wire_reader r;
	wire_reader_init(&r, pl->body, pl->len);
	uint32_t doi = wire_get_be32(&r), sit = wire_get_be32(&r);
	if (!wire_ok(&r) || doi != DOI_IPSEC || sit != SIT_IDENTITY_ONLY)
		return -1;
	int n = 0;
	for (uint8_t next = ISA_P; next == ISA_P;) {
		next = wire_get_u8(&r);
		wire_skip(&r, 1);
		uint16_t len = wire_get_be16(&r);
		if (!wire_ok(&r) || len < 8)
			return -1;
		struct wire_reader q = wire_sub(&r, len - 4u);
		struct v1_proposal scratch, *p = n < max ? &out[n] : &scratch;
		memset(p, 0, sizeof(*p));
		p->num = wire_get_u8(&q);
		p->protocol = wire_get_u8(&q);
		p->spi_size = wire_get_u8(&q);
		uint8_t count = wire_get_u8(&q);
		if (p->spi_size > sizeof(p->spi) || !wire_get_bytes(&q, p->spi, p->spi_size) ||
		    !parse_transforms(&q, p, count))
			return -1;
		if (n < max)
			n++;
		if (next != ISA_P && next != ISA_NONE)
			return -1;
	}
	return n;
}

void v1_sa_add(struct ike_builder *b, const struct v1_proposal *p)
{
	struct wire_writer *w = &b->w;
	ike_payload_begin(b, ISA_SA);
	wire_put_be32(w, DOI_IPSEC);
	wire_put_be32(w, SIT_IDENTITY_ONLY);
	size_t pstart = w->off;
	wire_put_u8(w, ISA_NONE);
	wire_put_u8(w, 0);
	wire_put_be16(w, 0);
	wire_put_u8(w, p->num);
	wire_put_u8(w, p->protocol);
	wire_put_u8(w, p->spi_size);
	wire_put_u8(w, (uint8_t)p->n);
	wire_put_bytes(w, p->spi, p->spi_size);
	for (int i = 0; i < p->n; i++) {
		size_t tstart = w->off;
		wire_put_u8(w, i + 1 == p->n ? ISA_NONE : ISA_T);
		wire_put_u8(w, 0);
		wire_put_be16(w, 0);
		wire_put_u8(w, p->t[i].num);
		wire_put_u8(w, p->t[i].id);
		wire_put_be16(w, 0);
		for (int k = 0; k < p->t[i].attrs.n; k++)
			v1_attr_put(w, p->t[i].attrs.type[k], p->t[i].attrs.value[k]);
		wire_patch_be16(w, tstart + 2, (uint16_t)(w->off - tstart));
	}
	wire_patch_be16(w, pstart + 2, (uint16_t)(w->off - pstart));
	ike_payload_end(b);
}
