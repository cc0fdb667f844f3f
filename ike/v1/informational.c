/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Informational exchanges under an ISAKMP SA (RFC 2409 5.7): [HASH(1), N or D], with
 * HASH(1) = prf(SKEYID_a, M-ID | N/D). They carry deletes (RFC 2408 3.15) and dead peer
 * detection (RFC 3706: R-U-THERE / R-U-THERE-ACK with a sequence number).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "lib/log.h"
#include "v1_sa.h"

#define DOI_IPSEC 1
#define ISAKMP_SPI_LEN 16

static void put_cookies(struct wire_writer *w, const struct v1_sa *sa)
{
	for (int i = 0; i < 8; i++)
		wire_put_u8(w, (uint8_t)(sa->cky_i >> (56 - 8 * i)));
	for (int i = 0; i < 8; i++)
		wire_put_u8(w, (uint8_t)(sa->cky_r >> (56 - 8 * i)));
}

void v1_add_initial_contact(const struct v1_sa *sa, struct ike_builder *b)
{
	ike_payload_begin(b, ISA_N);
	wire_put_be32(&b->w, DOI_IPSEC);
	wire_put_u8(&b->w, PROTO_IKE);
	wire_put_u8(&b->w, ISAKMP_SPI_LEN);
	wire_put_be16(&b->w, V1N_INITIAL_CONTACT);
	put_cookies(&b->w, sa);
	ike_payload_end(b);
}

static uint32_t new_msg_id(void)
{
	uint32_t id = 0;
	while (id == 0)
		ike_random((uint8_t *)&id, sizeof(id));
	return id;
}

bool v1_hash1_fill(const struct v1_sa *sa, struct ike_builder *b, size_t hash_at, uint32_t msg_id)
{
	uint8_t mid[4] = { (uint8_t)(msg_id >> 24), (uint8_t)(msg_id >> 16), (uint8_t)(msg_id >> 8), (uint8_t)msg_id };
	uint8_t h[64];
	size_t after = hash_at + 4 + sa->hlen;
	if (!v1_hash_payloads(sa, mid, 4, b->buf + after, b->w.off - after, h))
		return false;
	memcpy(b->buf + hash_at + 4, h, sa->hlen);
	return true;
}

static void finish_and_send(struct v1_sa *sa, struct ike_builder *b, size_t hash_at, uint32_t msg_id)
{
	uint8_t iv[16];
	if (!v1_hash1_fill(sa, b, hash_at, msg_id))
		return;
	v1_phase2_iv(sa, msg_id, iv);
	size_t len = v1_encrypt(sa, b, iv);
	if (len)
		v1_send(sa, b->buf, len, false);
}

/*
 * Opens an Informational message and its one D or N payload up to the 16-bit field both share
 * (the SPI count of a Delete, the type of a Notify); returns where the HASH payload starts.
 */
static size_t begin_payload(const struct v1_sa *sa, struct ike_builder *b, uint32_t msg_id, uint8_t type,
			    uint8_t protocol, uint8_t spi_size, uint16_t field)
{
	size_t at = v1_begin_hashed(sa, b, XCHG_INFO, msg_id);
	ike_payload_begin(b, type);
	wire_put_be32(&b->w, DOI_IPSEC);
	wire_put_u8(&b->w, protocol);
	wire_put_u8(&b->w, spi_size);
	wire_put_be16(&b->w, field);
	return at;
}

void v1_send_delete(struct v1_sa *sa, uint8_t protocol, const uint32_t *spis, int n)
{
	struct ike_builder b;
	uint32_t msg_id = new_msg_id();
	bool ike = protocol == PROTO_IKE;
	size_t at = begin_payload(sa, &b, msg_id, ISA_D, protocol, ike ? ISAKMP_SPI_LEN : 4, (uint16_t)(ike ? 1 : n));
	if (ike)
		put_cookies(&b.w, sa);
	for (int i = 0; !ike && i < n; i++)
		wire_put_be32(&b.w, spis[i]);
	ike_payload_end(&b);
	finish_and_send(sa, &b, at, msg_id);
}

/* A Notify about the ISAKMP SA itself: DPD with its sequence number, or an error without data. */
static void send_sa_notify(struct v1_sa *sa, uint16_t type, const uint32_t *seq)
{
	struct ike_builder b;
	uint32_t msg_id = new_msg_id();
	size_t at = begin_payload(sa, &b, msg_id, ISA_N, PROTO_IKE, ISAKMP_SPI_LEN, type);
	put_cookies(&b.w, sa);
	if (seq)
		wire_put_be32(&b.w, *seq);
	ike_payload_end(&b);
	finish_and_send(sa, &b, at, msg_id);
}

void v1_send_dpd(struct v1_sa *sa, uint16_t type, uint32_t seq)
{
	send_sa_notify(sa, type, &seq);
}

void v1_send_error(struct v1_sa *sa, uint16_t type)
{
	send_sa_notify(sa, type, NULL);
}

bool v1_hash1_verifies(struct v1_sa *sa, const struct isakmp_message *m)
{
	const struct ike_payload *hp = m->n ? &m->pl[0] : NULL;
	uint32_t id = m->hdr.msg_id;
	uint8_t mid[4] = { (uint8_t)(id >> 24), (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id }, h[64];
	if (hp == NULL || hp->type != ISA_HASH || hp->len != sa->hlen || m->n < 2)
		return false;
	const uint8_t *after = hp->body + hp->len;
	const struct ike_payload *last = &m->pl[m->n - 1];
	size_t n = (size_t)(last->body + last->len - after);
	sa->rx_authentic = v1_hash_payloads(sa, mid, 4, after, n, h) && CRYPTO_memcmp(h, hp->body, sa->hlen) == 0;
	return sa->rx_authentic;
}

/* The ISAKMP SA whose cookies a Delete names: this one, or another one with the same peer. */
static struct v1_sa *named_sa(struct v1_sa *sa, struct wire_reader *r)
{
	uint64_t ci = 0, cr = 0;
	for (int i = 0; i < 8; i++)
		ci = ci << 8 | wire_get_u8(r);
	for (int i = 0; i < 8; i++)
		cr = cr << 8 | wire_get_u8(r);
	for (struct v1_sa *o = sa->d->sas; o && wire_ok(r); o = o->next)
		if (o->cky_i == ci && o->cky_r == cr && o->remote.addr == sa->remote.addr && o->state != V1_DEAD)
			return o;
	return NULL;
}

/*
 * What to bring back (close_action = start) when the peer deletes the ISAKMP SA: its first such
 * IPsec SA, or one a Quick Mode is bringing back (the peer deleted the IPsec SAs just before).
 */
static const struct cfg_child *reopen_of(const struct v1_sa *sa)
{
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg->close_action == CLOSE_START)
			return c->cfg;
	for (const struct v1_quick *q = sa->quick; q; q = q->next)
		if (q->cfg && q->cfg->close_action == CLOSE_START)
			return q->cfg;
	return NULL;
}

static void handle_delete(struct v1_sa *sa, const struct ike_payload *p)
{
	struct wire_reader r;
	wire_reader_init(&r, p->body, p->len);
	wire_skip(&r, 4); /* DOI */
	uint8_t protocol = wire_get_u8(&r), spi_size = wire_get_u8(&r);
	uint16_t n = wire_get_be16(&r);
	if (!wire_ok(&r) || wire_left(&r) != (size_t)spi_size * n) {
		sa->d->stats.rx_invalid++;
		return;
	}
	if (protocol == PROTO_IKE) {
		struct v1_sa *target = spi_size == ISAKMP_SPI_LEN && n == 1 ? named_sa(sa, &r) : NULL;
		if (target == NULL)
			return; /* names no ISAKMP SA of this peer */
		LOG_INFO("%s: peer deleted ISAKMP SA #%u", target->conn->name, target->serial);
		const struct cfg_child *reopen = reopen_of(target);
		while (target->children)
			v1_child_destroy(target, target->children);
		v1_set_state(target, V1_DEAD);
		if (reopen)
			v1_start_child(sa->d, target->conn, reopen, "the peer closed it (close_action = start)");
		return;
	}
	if (protocol != PROTO_ESP || spi_size != 4)
		return;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t spi = wire_get_be32(&r);
		/* the peer names its inbound SPI: our outbound one */
		for (struct child_sa *c = sa->children; c; c = c->next)
			if (c->spi_out == spi) {
				LOG_INFO("%s/%s: peer deleted IPsec SA 0x%08x", sa->conn->name, c->cfg->name, spi);
				const struct cfg_child *cfg = c->cfg;
				v1_child_destroy(sa, c);
				if (cfg->close_action == CLOSE_START && !v1_child_of(sa, cfg))
					v1_start_child(sa->d, sa->conn, cfg, "the peer closed it (close_action = start)");
				break;
			}
	}
}

static void handle_notify(struct v1_sa *sa, const struct ike_payload *p)
{
	struct wire_reader r;
	wire_reader_init(&r, p->body, p->len);
	wire_skip(&r, 4); /* DOI */
	wire_skip(&r, 1); /* protocol */
	uint8_t spi_size = wire_get_u8(&r);
	uint16_t type = wire_get_be16(&r);
	wire_skip(&r, spi_size);
	uint32_t seq = wire_get_be32(&r);
	if (!wire_ok(&r)) {
		sa->d->stats.rx_invalid++;
		return;
	}
	if (type == V1N_DPD_R_U_THERE) {
		v1_send_dpd(sa, V1N_DPD_R_U_THERE_ACK, seq);
	} else if (type == V1N_DPD_R_U_THERE_ACK) {
		if (seq == sa->dpd_seq)
			sa->dpd_pending = 0;
	} else if (type < 16384) {
		LOG_WARN("%s: peer reports error %u", sa->conn->name, type);
	}
}

void v1_info_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	if (!v1_hash1_verifies(sa, m)) {
		sa->d->stats.rx_invalid++;
		LOG_WARN("%s: Informational message with a bad or missing HASH(1); ignored", sa->conn->name);
		return;
	}
	for (int i = 1; i < m->n && sa->state != V1_DEAD; i++) {
		if (m->pl[i].type == ISA_D)
			handle_delete(sa, &m->pl[i]);
		else if (m->pl[i].type == ISA_N)
			handle_notify(sa, &m->pl[i]);
	}
}

void v1_send_plain_notify(struct v1_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
			  uint64_t cky_i, uint16_t type)
{
	struct ike_builder b;
	struct isakmp_header h = { .cky_i = cky_i, .exchange = XCHG_INFO };
	isakmp_build_start(&b, &h);
	ike_payload_begin(&b, ISA_N);
	wire_put_be32(&b.w, DOI_IPSEC);
	wire_put_u8(&b.w, PROTO_IKE);
	wire_put_u8(&b.w, 0); /* no SPI: there is no ISAKMP SA */
	wire_put_be16(&b.w, type);
	ike_payload_end(&b);
	size_t len = ike_build_finish(&b);
	if (len == 0)
		return;
	d->stats.tx++;
	d->env.send(d->env.ctx, local, remote, b.buf, len);
}
