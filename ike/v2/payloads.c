/* SPDX-License-Identifier: BSD-3-Clause */
#include "payloads.h"

#include <string.h>

static struct wire_reader body(const struct ike_payload *p)
{
	struct wire_reader r;
	wire_reader_init(&r, p->body, p->len);
	return r;
}

bool notify_parse(const struct ike_payload *p, struct ike_notify *n)
{
	struct wire_reader r = body(p);
	n->protocol = wire_get_u8(&r);
	n->spi_size = wire_get_u8(&r);
	n->type = wire_get_be16(&r);
	n->spi = wire_take(&r, n->spi_size);
	n->data_len = (uint16_t)wire_left(&r);
	n->data = wire_take(&r, n->data_len);
	return wire_ok(&r);
}

void notify_add(struct ike_builder *b, uint8_t protocol, const uint8_t *spi, uint8_t spi_size, uint16_t type,
		const void *data, size_t len)
{
	ike_payload_begin(b, PL_NOTIFY);
	wire_put_u8(&b->w, protocol);
	wire_put_u8(&b->w, spi_size);
	wire_put_be16(&b->w, type);
	if (spi_size)
		wire_put_bytes(&b->w, spi, spi_size);
	if (len)
		wire_put_bytes(&b->w, data, len);
	ike_payload_end(b);
}

#define ATTR_KEY_LENGTH 14
#define ATTR_TV 0x8000

/* One transform substructure; unknown attributes make the transform unusable, not the message bad. */
static bool parse_transform(struct wire_reader *r, struct ike_sa_proposal *sp, bool *last)
{
	*last = wire_get_u8(r) == 0;
	wire_skip(r, 1);
	uint16_t len = wire_get_be16(r);
	if (!wire_ok(r) || len < 8)
		return false;
	struct wire_reader t = wire_sub(r, len - 4u);
	uint8_t type = wire_get_u8(&t);
	wire_skip(&t, 1);
	uint16_t id = wire_get_be16(&t);
	uint16_t key_bits = 0;
	bool usable = true;
	while (wire_ok(&t) && wire_left(&t) > 0) {
		uint16_t at = wire_get_be16(&t), av = wire_get_be16(&t);
		if (!(at & ATTR_TV)) {
			wire_skip(&t, av); /* TLV attributes carry no meaning we use */
			usable = false;
		} else if ((at & ~ATTR_TV) == ATTR_KEY_LENGTH) {
			key_bits = av;
		} else {
			usable = false;
		}
	}
	if (!wire_ok(&t))
		return false;
	if (usable && type >= TRANS_ENCR && type <= TRANS_ESN && sp->p.n[type] < PROP_MAX_TRANSFORMS)
		sp->p.t[type][sp->p.n[type]++] = (struct transform){ id, key_bits };
	return true;
}

static bool parse_proposal(struct wire_reader *r, struct ike_sa_proposal *sp, bool *last)
{
	*last = wire_get_u8(r) == 0;
	wire_skip(r, 1);
	uint16_t len = wire_get_be16(r);
	if (!wire_ok(r) || len < 8)
		return false;
	struct wire_reader q = wire_sub(r, len - 4u);
	memset(sp, 0, sizeof(*sp));
	sp->num = wire_get_u8(&q);
	sp->protocol = wire_get_u8(&q);
	sp->spi_size = wire_get_u8(&q);
	uint8_t n_transforms = wire_get_u8(&q);
	if (sp->spi_size > sizeof(sp->spi) || !wire_get_bytes(&q, sp->spi, sp->spi_size))
		return false;
	for (uint8_t i = 0; i < n_transforms; i++) {
		bool tlast;
		if (!parse_transform(&q, sp, &tlast) || tlast != (i + 1 == n_transforms))
			return false;
	}
	return wire_ok(&q) && wire_left(&q) == 0;
}

int sa_payload_parse(const struct ike_payload *p, struct ike_sa_proposal *out, int max)
{
	struct wire_reader r = body(p);
	int n = 0;
	for (bool last = false; !last;) {
		struct ike_sa_proposal scratch;
		struct ike_sa_proposal *sp = n < max ? &out[n] : &scratch;
		if (!parse_proposal(&r, sp, &last))
			return -1;
		if (n < max)
			n++;
	}
	return wire_left(&r) == 0 ? n : -1;
}

static void add_transform(struct wire_writer *w, uint8_t type, const struct transform *t, bool last)
{
	wire_put_u8(w, last ? 0 : 3);
	wire_put_u8(w, 0);
	wire_put_be16(w, t->key_bits ? 12 : 8);
	wire_put_u8(w, type);
	wire_put_u8(w, 0);
	wire_put_be16(w, t->id);
	if (t->key_bits) {
		wire_put_be16(w, ATTR_TV | ATTR_KEY_LENGTH);
		wire_put_be16(w, t->key_bits);
	}
}

static void add_proposal(struct wire_writer *w, const struct ike_sa_proposal *sp, uint8_t num, bool last)
{
	size_t start = w->off;
	int count = 0;
	for (int type = TRANS_ENCR; type <= TRANS_ESN; type++)
		count += sp->p.n[type];
	wire_put_u8(w, last ? 0 : 2);
	wire_put_u8(w, 0);
	wire_put_be16(w, 0);
	wire_put_u8(w, num);
	wire_put_u8(w, sp->protocol);
	wire_put_u8(w, sp->spi_size);
	wire_put_u8(w, (uint8_t)count);
	wire_put_bytes(w, sp->spi, sp->spi_size);
	for (int type = TRANS_ENCR; type <= TRANS_ESN; type++)
		for (int i = 0; i < sp->p.n[type]; i++)
			add_transform(w, (uint8_t)type, &sp->p.t[type][i], --count == 0);
	wire_patch_be16(w, start + 2, (uint16_t)(w->off - start));
}

void sa_payload_add(struct ike_builder *b, const struct ike_sa_proposal *props, int n)
{
	ike_payload_begin(b, PL_SA);
	for (int i = 0; i < n; i++)
		add_proposal(&b->w, &props[i], props[i].num ? props[i].num : (uint8_t)(i + 1), i + 1 == n);
	ike_payload_end(b);
}

bool ke_payload_parse(const struct ike_payload *p, uint16_t *group, const uint8_t **data, size_t *len)
{
	struct wire_reader r = body(p);
	*group = wire_get_be16(&r);
	wire_skip(&r, 2);
	*len = wire_left(&r);
	*data = wire_take(&r, *len);
	return wire_ok(&r) && *len > 0;
}

void ke_payload_add(struct ike_builder *b, uint16_t group, const uint8_t *data, size_t len)
{
	ike_payload_begin(b, PL_KE);
	wire_put_be16(&b->w, group);
	wire_put_be16(&b->w, 0);
	wire_put_bytes(&b->w, data, len);
	ike_payload_end(b);
}

bool nonce_parse(const struct ike_payload *p, const uint8_t **data, size_t *len)
{
	*data = p->body;
	*len = p->len;
	return p->len >= IKE_NONCE_MIN && p->len <= IKE_NONCE_MAX;
}

void nonce_add(struct ike_builder *b, const uint8_t *data, size_t len)
{
	ike_payload_begin(b, PL_NONCE);
	wire_put_bytes(&b->w, data, len);
	ike_payload_end(b);
}

/* ID, AUTH (and IKEv1's NAT-OA): a type octet, three reserved, then the data. */
static bool parse_typed(const struct ike_payload *p, uint8_t *type, const uint8_t **data, size_t *len)
{
	struct wire_reader r = body(p);
	*type = wire_get_u8(&r);
	wire_skip(&r, 3);
	*len = wire_left(&r);
	*data = wire_take(&r, *len);
	return wire_ok(&r) && *len > 0;
}

static void add_typed(struct ike_builder *b, uint8_t payload_type, uint8_t type, const uint8_t *data, size_t len)
{
	ike_payload_begin(b, payload_type);
	wire_put_u8(&b->w, type);
	wire_put_u8(&b->w, 0);
	wire_put_be16(&b->w, 0);
	wire_put_bytes(&b->w, data, len);
	ike_payload_end(b);
}

bool id_parse(const struct ike_payload *p, struct ike_id *id)
{
	const uint8_t *data;
	size_t len;
	if (!parse_typed(p, &id->type, &data, &len) || len > IKE_ID_MAX)
		return false;
	id->len = (uint16_t)len;
	memcpy(id->data, data, len);
	return true;
}

void id_add(struct ike_builder *b, uint8_t payload_type, const struct ike_id *id)
{
	add_typed(b, payload_type, id->type, id->data, id->len);
}

bool auth_parse(const struct ike_payload *p, uint8_t *method, const uint8_t **data, size_t *len)
{
	return parse_typed(p, method, data, len);
}

void auth_add(struct ike_builder *b, uint8_t method, const uint8_t *data, size_t len)
{
	add_typed(b, PL_AUTH, method, data, len);
}

bool cert_parse(const struct ike_payload *p, uint8_t *encoding, const uint8_t **data, size_t *len)
{
	struct wire_reader r = body(p);
	*encoding = wire_get_u8(&r);
	*len = wire_left(&r);
	*data = wire_take(&r, *len);
	return wire_ok(&r);
}

void cert_add(struct ike_builder *b, uint8_t payload_type, uint8_t encoding, const uint8_t *data, size_t len)
{
	ike_payload_begin(b, payload_type);
	wire_put_u8(&b->w, encoding);
	wire_put_bytes(&b->w, data, len);
	ike_payload_end(b);
}

#define TS_IPV4_ADDR_RANGE 7

int ts_payload_parse(const struct ike_payload *p, struct ike_ts *out, int max)
{
	struct wire_reader r = body(p);
	uint8_t count = wire_get_u8(&r);
	wire_skip(&r, 3);
	int n = 0;
	for (uint8_t i = 0; i < count; i++) {
		uint8_t type = wire_get_u8(&r), proto = wire_get_u8(&r);
		uint16_t len = wire_get_be16(&r);
		if (!wire_ok(&r) || len < 8)
			return -1;
		struct wire_reader t = wire_sub(&r, len - 4u);
		if (type != TS_IPV4_ADDR_RANGE) {
			if (!wire_ok(&t))
				return -1;
			continue; /* IPv6 and others: skipped, the rest may still match */
		}
		struct ike_ts ts = { .proto = proto };
		ts.sport = wire_get_be16(&t);
		ts.eport = wire_get_be16(&t);
		ts.saddr = wire_get_be32(&t);
		ts.eaddr = wire_get_be32(&t);
		if (!wire_ok(&t) || len != 16 || ts.sport > ts.eport || ts.saddr > ts.eaddr)
			return -1;
		if (n < max)
			out[n++] = ts;
	}
	return wire_ok(&r) && wire_left(&r) == 0 ? n : -1;
}

void ts_payload_add(struct ike_builder *b, uint8_t payload_type, const struct ike_ts *ts, int n)
{
	ike_payload_begin(b, payload_type);
	wire_put_u8(&b->w, (uint8_t)n);
	wire_put_u8(&b->w, 0);
	wire_put_be16(&b->w, 0);
	for (int i = 0; i < n; i++) {
		wire_put_u8(&b->w, TS_IPV4_ADDR_RANGE);
		wire_put_u8(&b->w, ts[i].proto);
		wire_put_be16(&b->w, 16);
		wire_put_be16(&b->w, ts[i].sport);
		wire_put_be16(&b->w, ts[i].eport);
		wire_put_be32(&b->w, ts[i].saddr);
		wire_put_be32(&b->w, ts[i].eaddr);
	}
	ike_payload_end(b);
}

bool delete_parse(const struct ike_payload *p, struct ike_delete *d)
{
	struct wire_reader r = body(p);
	d->protocol = wire_get_u8(&r);
	d->spi_size = wire_get_u8(&r);
	d->n = wire_get_be16(&r);
	d->spis = wire_take(&r, (size_t)d->spi_size * d->n);
	return wire_ok(&r) && wire_left(&r) == 0 &&
	       ((d->protocol == PROTO_IKE && d->spi_size == 0) || (d->protocol == PROTO_ESP && d->spi_size == 4));
}

void delete_add(struct ike_builder *b, uint8_t protocol, const uint32_t *spis, uint16_t n)
{
	ike_payload_begin(b, PL_DELETE);
	wire_put_u8(&b->w, protocol);
	wire_put_u8(&b->w, protocol == PROTO_IKE ? 0 : 4);
	wire_put_be16(&b->w, n);
	for (uint16_t i = 0; i < n; i++)
		wire_put_be32(&b->w, spis[i]);
	ike_payload_end(b);
}
