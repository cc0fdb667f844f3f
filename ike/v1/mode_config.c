/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 Mode Config (draft-dukes-ike-mode-cfg-02, as strongSwan, Cisco and Windows clients speak
 * it): a Transaction exchange (6) under the ISAKMP SA once phase 1 is done, [HASH, ATTR] each
 * way. The HASH is an Informational's, prf(SKEYID_a, M-ID | ATTR); the answer's IV follows on
 * from the last block of the message it answers, as in Quick Mode. Pull (swanctl's pull = yes,
 * the default): the client sends REQUEST, the server REPLY. Push (pull = no): the server sends
 * SET unasked, the client ACK. Either way before the client's first Quick Mode, whose selectors
 * then name its address. Addresses come from the connection's pools as IKEv2's do (pool.c);
 * IPv6 and other attributes go unanswered.
 */
#include <stdlib.h>
#include <string.h>

#include "ike/pool.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "v1_sa.h"

enum { MC_REQUEST = 1, MC_REPLY = 2, MC_SET = 3, MC_ACK = 4 };
enum { MC_IP4_ADDRESS = 1, MC_IP4_DNS = 3 };

#define MC_LINGER_MS 30000 /* an answered transaction is kept this long for repeats */
#define MC_WAIT_MS 30000   /* a push client waits this long for the server's SET */

struct mc_attrs {
	uint8_t type;
	uint16_t ident;
	bool address, dns; /* asked for, or (SET, REPLY) given */
	uint32_t addr;     /* the first four-byte INTERNAL_IP4_ADDRESS, host order; 0: none */
};

static uint64_t now_of(const struct v1_sa *sa)
{
	return sa->d->env.now_ms(sa->d->env.ctx);
}

static const char *type_name(uint8_t type)
{
	static const char *const names[] = { "?", "REQUEST", "REPLY", "SET", "ACK" };
	return type <= MC_ACK ? names[type] : "?";
}

/* The ATTR payload (draft section 3.2); attributes as ISAKMP's, TV or TLV. */
static bool mc_parse(const struct ike_payload *p, struct mc_attrs *a)
{
	struct wire_reader w;
	wire_reader_init(&w, p->body, p->len);
	memset(a, 0, sizeof(*a));
	a->type = wire_get_u8(&w);
	wire_skip(&w, 1);
	a->ident = wire_get_be16(&w);
	while (wire_ok(&w) && wire_left(&w) > 0) {
		uint16_t t = wire_get_be16(&w), attr = t & 0x7fff;
		uint16_t len = t & 0x8000 ? 0 : wire_get_be16(&w);
		struct wire_reader v = wire_sub(&w, t & 0x8000 ? 2 : len); /* TV: a 16-bit value, no address */
		if (attr == MC_IP4_ADDRESS && len == 4 && a->addr == 0)
			a->addr = wire_get_be32(&v);
		a->address |= attr == MC_IP4_ADDRESS;
		a->dns |= attr == MC_IP4_DNS;
	}
	return wire_ok(&w) && a->type >= MC_REQUEST && a->type <= MC_ACK;
}

static void put_ip4(struct ike_builder *b, uint16_t attr, uint32_t addr)
{
	wire_put_be16(&b->w, attr);
	wire_put_be16(&b->w, addr ? 4 : 0);
	if (addr)
		wire_put_be32(&b->w, addr);
}

/* Opens the message and its ATTR payload, left open for the attributes; returns where HASH is. */
static size_t begin(const struct v1_sa *sa, struct ike_builder *b, const struct v1_transaction *x)
{
	size_t at = v1_begin_hashed(sa, b, XCHG_TRANSACTION, x->msg_id);
	ike_payload_begin(b, ISA_ATTR);
	wire_put_u8(&b->w, x->type);
	wire_put_u8(&b->w, 0);
	wire_put_be16(&b->w, x->ident);
	return at;
}

/* Closes the ATTR payload, hashes, encrypts and sends; kept to send again (ours) or to answer repeats. */
static void finish(struct v1_sa *sa, struct v1_transaction *x, struct ike_builder *b, size_t hash_at)
{
	ike_payload_end(b);
	size_t len = v1_hash1_fill(sa, b, hash_at, x->msg_id) ? v1_encrypt(sa, b, x->iv) : 0;
	if (len == 0)
		return;
	v1_send(sa, b->buf, len, false);
	v1_keep_copy(&x->last, &x->last_len, b->buf, len);
	x->next_ms = now_of(sa) + (x->initiator ? ike_retransmit_delay_ms(sa->d->v2, 0) : MC_LINGER_MS);
	v1_sa_wake(sa);
}

static void free_transaction(struct v1_sa *sa)
{
	if (sa->xact == NULL)
		return;
	free(sa->xact->last);
	free(sa->xact);
	sa->xact = NULL;
}

/* The SA's one transaction, a new one replacing whatever was left of the last. */
static struct v1_transaction *new_transaction(struct v1_sa *sa, uint32_t msg_id, bool initiator, uint8_t type)
{
	free_transaction(sa);
	struct v1_transaction *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	x->msg_id = msg_id;
	x->initiator = initiator;
	x->type = type;
	x->started_ms = now_of(sa);
	v1_phase2_iv(sa, msg_id, x->iv);
	sa->xact = x;
	return x;
}

static uint32_t new_msg_id(void)
{
	uint32_t id = 0;
	while (id == 0)
		ike_random((uint8_t *)&id, sizeof(id));
	return id;
}

static void log_address(const struct v1_sa *sa, const char *what, uint32_t addr)
{
	char ip[16];
	format_ipv4(addr, ip, sizeof(ip));
	LOG_INFO("%s: ISAKMP SA #%u: %s %s (Mode Config)", sa->conn->name, sa->serial, what, ip);
}

/* Server: an address for the peer from the connection's pools, kept by the SA; false when none. */
static bool lease(struct v1_sa *sa)
{
	if (sa->vip)
		return true;
	if (sa->conn->n_pools && ike_pool_lease(sa->d->v2->pools, sa->conn, &sa->id_remote, &sa->vip, &sa->vip_pool)) {
		log_address(sa, "virtual IP", sa->vip);
		return true;
	}
	LOG_WARN("%s: ISAKMP SA #%u: the peer wants an address and %s", sa->conn->name, sa->serial,
		 sa->conn->n_pools ? "its pools are full" : "the connection has no pools");
	return false;
}

static void put_lease(const struct v1_sa *sa, struct ike_builder *b, bool dns)
{
	put_ip4(b, MC_IP4_ADDRESS, sa->vip);
	const struct cfg_pool *pool = &sa->d->cfg->pools[sa->vip_pool];
	for (int i = 0; dns && i < pool->n_dns; i++)
		put_ip4(b, MC_IP4_DNS, pool->dns[i]);
}

/* Client: the first Quick Mode goes once the address is in, or the wait for it is over. */
static void client_done(struct v1_sa *sa)
{
	if (!sa->mc_waiting)
		return;
	sa->mc_waiting = false;
	if (sa->child_cfg)
		v1_quick_start(sa, sa->child_cfg, NULL);
}

static void send_request(struct v1_sa *sa)
{
	struct v1_transaction *x = new_transaction(sa, new_msg_id(), true, MC_REQUEST);
	struct ike_builder b;
	if (x == NULL) {
		client_done(sa);
		return;
	}
	ike_random((uint8_t *)&x->ident, sizeof(x->ident));
	size_t at = begin(sa, &b, x);
	put_ip4(&b, MC_IP4_ADDRESS, sa->conn->vips[0]); /* 0.0.0.0: whichever; else a wish */
	finish(sa, x, &b, at);
}

void v1_after_phase1(struct v1_sa *sa)
{
	if (sa->conn->n_vips && sa->own_vip == 0) {
		sa->mc_waiting = true;
		if (sa->conn->pull)
			send_request(sa);
		return;
	}
	if (sa->child_cfg)
		v1_quick_start(sa, sa->child_cfg, NULL);
}

bool v1_mode_config_holds(struct v1_sa *sa, const struct cfg_child *cfg)
{
	if (!sa->mc_waiting)
		return false;
	if (sa->child_cfg == NULL)
		sa->child_cfg = cfg;
	return true;
}

void v1_mode_config_push(struct v1_sa *sa)
{
	if (sa->initiator || sa->conn->pull || sa->conn->n_pools == 0 || !lease(sa))
		return;
	struct v1_transaction *x = new_transaction(sa, new_msg_id(), true, MC_SET);
	struct ike_builder b;
	if (x == NULL)
		return;
	ike_random((uint8_t *)&x->ident, sizeof(x->ident));
	size_t at = begin(sa, &b, x);
	put_lease(sa, &b, true);
	finish(sa, x, &b, at);
}

/* The peer's REQUEST (we serve) or SET (we are the client): answered under its message ID. */
static void answer(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, const struct mc_attrs *a)
{
	struct v1_transaction *x = new_transaction(sa, m->hdr.msg_id, false, a->type == MC_REQUEST ? MC_REPLY : MC_ACK);
	struct ike_builder b;
	if (x == NULL)
		return;
	/* new_transaction() set the IV afresh; the request was decrypted with a copy: go on from its last block */
	memcpy(x->iv, raw + m->hdr.length - sa->block, sa->block);
	x->ident = a->ident;
	x->done = true;
	size_t at = begin(sa, &b, x);
	if (a->type == MC_REQUEST && a->address && lease(sa)) {
		put_lease(sa, &b, a->dns);
	} else if (a->type == MC_SET && a->addr && sa->conn->n_vips) {
		sa->own_vip = a->addr;
		log_address(sa, "our virtual IP", a->addr);
		put_ip4(&b, MC_IP4_ADDRESS, 0); /* the ACK names what was taken */
	}
	finish(sa, x, &b, at);
	if (a->type == MC_SET)
		client_done(sa);
}

/* The peer's REPLY to our REQUEST, or ACK of our SET. */
static void answered(struct v1_sa *sa, struct v1_transaction *x, const struct mc_attrs *a)
{
	if (a->ident != x->ident || a->type != (x->type == MC_REQUEST ? MC_REPLY : MC_ACK)) {
		LOG_WARN("%s: Mode Config %s answered by %s with identifier %u; ignored", sa->conn->name,
			 type_name(x->type), type_name(a->type), a->ident);
		return;
	}
	x->done = true;
	x->next_ms = now_of(sa) + MC_LINGER_MS; /* a repeat of the answer is then recognised and dropped */
	if (x->type == MC_SET) {
		if (!a->address)
			LOG_WARN("%s: ISAKMP SA #%u: the peer did not take the address we set", sa->conn->name, sa->serial);
		return;
	}
	if (a->addr)
		sa->own_vip = a->addr, log_address(sa, "our virtual IP", a->addr);
	else
		LOG_WARN("%s: ISAKMP SA #%u: the peer gave us no virtual IP", sa->conn->name, sa->serial);
	client_done(sa);
}

void v1_mode_config_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw)
{
	const struct ike_payload *ap = isakmp_find(m, ISA_ATTR);
	struct v1_transaction *x = sa->xact && sa->xact->msg_id == m->hdr.msg_id ? sa->xact : NULL;
	struct mc_attrs a;
	if (!v1_hash1_verifies(sa, m) || ap == NULL || !mc_parse(ap, &a)) {
		sa->d->stats.rx_invalid++;
		LOG_WARN("%s: Mode Config message refused (HASH or attributes)", sa->conn->name);
		return;
	}
	if (a.type == MC_REQUEST || a.type == MC_SET) {
		if (x == NULL)
			answer(sa, m, raw, &a);
	} else if (x && x->initiator && !x->done) {
		answered(sa, x, &a);
	}
}

void v1_mode_config_timers(struct v1_sa *sa, uint64_t now)
{
	struct v1_transaction *x = sa->xact;
	if (x && now >= x->next_ms) {
		if (x->done) {
			free_transaction(sa);
		} else if ((unsigned)x->tries >= sa->d->cfg->ike_retransmit_tries) {
			LOG_WARN("%s: Mode Config %s got no answer", sa->conn->name, type_name(x->type));
			free_transaction(sa);
			client_done(sa);
		} else {
			x->tries++;
			x->next_ms = now + ike_retransmit_delay_ms(sa->d->v2, x->tries);
			sa->d->stats.retransmits++;
			v1_send(sa, x->last, x->last_len, false);
		}
	}
	if (sa->mc_waiting && sa->xact == NULL && now >= sa->established_ms + MC_WAIT_MS) {
		LOG_WARN("%s: ISAKMP SA #%u: no address from the peer (pull = no: it should have SET one)",
			 sa->conn->name, sa->serial);
		client_done(sa);
	}
}

uint64_t v1_mode_config_due(const struct v1_sa *sa)
{
	if (sa->xact && sa->xact->last)
		return sa->xact->next_ms;
	return sa->mc_waiting && sa->xact == NULL ? sa->established_ms + MC_WAIT_MS : TIMER_NEVER;
}

void v1_mode_config_free(struct v1_sa *sa)
{
	free_transaction(sa);
	if (sa->vip)
		ike_pool_release(sa->d->v2->pools, sa->vip_pool, sa->vip);
	sa->vip = 0;
}

void v1_mode_config_adopt(struct v1_sa *sa, const struct v1_sa *old)
{
	if (sa->vip || old->vip == 0)
		return;
	sa->vip = old->vip;
	sa->vip_pool = old->vip_pool;
	ike_pool_hold(sa->d->v2->pools, sa->vip_pool, sa->vip);
}

uint32_t v1_remote_dynamic(const struct v1_sa *sa)
{
	return sa->vip ? sa->vip : sa->remote.addr;
}

uint32_t v1_local_dynamic(const struct v1_sa *sa)
{
	return sa->own_vip ? sa->own_vip : sa->local.addr;
}
