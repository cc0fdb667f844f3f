/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Configuration payload (RFC 7296 3.15). As responder: a client asks in its IKE_AUTH request
 * for an address (INTERNAL_IP4_ADDRESS) and DNS servers; a connection with pools hands it one,
 * held by the IKE SA (and its rekeyed successors) until the last of them goes. A client that asks
 * where there is no pool, or finds the pools full, gets INTERNAL_ADDRESS_FAILURE and no child SA;
 * its IKE SA stands (RFC 7296 3.15.4). IPv6 attributes are left unanswered. As a client (a
 * connection's vips), dpike asks for an address and takes the one given as its own selector.
 */
#include <stdio.h>
#include <string.h>

#include "ike_sa.h"
#include "lib/log.h"
#include "lib/parse.h"

enum { CFG_REQUEST = 1, CFG_REPLY = 2 };
enum { INTERNAL_IP4_ADDRESS = 1, INTERNAL_IP4_DNS = 3 };

struct cp_attrs {
	bool address; /* INTERNAL_IP4_ADDRESS present (in a request its value, if any, is only a wish) */
	bool dns;
	uint32_t addr; /* the first INTERNAL_IP4_ADDRESS value of four bytes, host order; 0: none */
};

/* The attributes of a CP payload of the type given; false when it is another, or overruns itself. */
static bool cp_parse(const struct ike_payload *p, uint8_t want_type, struct cp_attrs *a)
{
	struct wire_reader w;
	wire_reader_init(&w, p->body, p->len);
	uint8_t type = wire_get_u8(&w);
	wire_skip(&w, 3);
	memset(a, 0, sizeof(*a));
	while (wire_ok(&w) && wire_left(&w) > 0) {
		uint16_t attr = wire_get_be16(&w) & 0x7fff, len = wire_get_be16(&w);
		struct wire_reader v = wire_sub(&w, len);
		if (attr == INTERNAL_IP4_ADDRESS && len == 4 && a->addr == 0)
			a->addr = wire_get_be32(&v);
		a->address |= attr == INTERNAL_IP4_ADDRESS;
		a->dns |= attr == INTERNAL_IP4_DNS;
	}
	return wire_ok(&w) && type == want_type;
}

static void put_ip4_attr(struct ike_builder *b, uint16_t attr, uint32_t addr)
{
	wire_put_be16(&b->w, attr);
	wire_put_be16(&b->w, 4);
	wire_put_be32(&b->w, addr);
}

static void cp_add_reply(struct ike_builder *b, uint32_t addr, const struct cfg_pool *pool, bool dns)
{
	ike_payload_begin(b, PL_CP);
	wire_put_u8(&b->w, CFG_REPLY);
	wire_put_bytes(&b->w, (const uint8_t[3]){ 0 }, 3);
	put_ip4_attr(b, INTERNAL_IP4_ADDRESS, addr);
	for (int i = 0; dns && i < pool->n_dns; i++)
		put_ip4_attr(b, INTERNAL_IP4_DNS, pool->dns[i]);
	ike_payload_end(b);
}

uint16_t cp_respond(struct ike_sa *sa, const struct ike_message *msg, struct ike_builder *b)
{
	const struct ike_payload *p = ike_find(msg, PL_CP);
	struct cp_attrs r;
	char ip[16];
	if (p == NULL || !cp_parse(p, CFG_REQUEST, &r) || !r.address)
		return 0; /* nothing asked of us that we answer */
	if (sa->vip == 0 && (sa->conn->n_pools == 0 ||
			     !ike_pool_lease(sa->d->pools, sa->conn, &sa->id_remote, &sa->vip, &sa->vip_pool))) {
		LOG_WARN("%s: IKE_SA #%u: the peer asks for an address and %s", sa->conn->name, sa->serial,
			 sa->conn->n_pools ? "its pools are full" : "the connection has no pools");
		return N_INTERNAL_ADDRESS_FAILURE;
	}
	cp_add_reply(b, sa->vip, &sa->d->cfg->pools[sa->vip_pool], r.dns);
	format_ipv4(sa->vip, ip, sizeof(ip));
	LOG_INFO("%s: IKE_SA #%u: virtual IP %s from pool %s", sa->conn->name, sa->serial, ip,
		 sa->d->cfg->pools[sa->vip_pool].name);
	return 0;
}

void cp_inherit(struct ike_sa *to, const struct ike_sa *from)
{
	if (from->vip == 0)
		return;
	to->vip = from->vip;
	to->vip_pool = from->vip_pool;
	ike_pool_hold(to->d->pools, to->vip_pool, to->vip);
}

void cp_release(struct ike_sa *sa)
{
	if (sa->vip == 0)
		return;
	ike_pool_release(sa->d->pools, sa->vip_pool, sa->vip);
	sa->vip = 0;
}

uint32_t cp_remote_dynamic(const struct ike_sa *sa)
{
	return sa->vip ? sa->vip : sa->remote.addr;
}

void cp_add_request(const struct ike_sa *sa, struct ike_builder *b)
{
	if (sa->conn->n_vips == 0)
		return;
	ike_payload_begin(b, PL_CP);
	wire_put_u8(&b->w, CFG_REQUEST);
	wire_put_bytes(&b->w, (const uint8_t[3]){ 0 }, 3);
	wire_put_be16(&b->w, INTERNAL_IP4_ADDRESS);
	uint32_t wish = sa->vip_wish ? sa->vip_wish : sa->conn->vips[0];
	if (wish) { /* the address we had before a reauthentication, or the one configured */
		wire_put_be16(&b->w, 4);
		wire_put_be32(&b->w, wish);
	} else {
		wire_put_be16(&b->w, 0);
	}
	ike_payload_end(b);
}

void cp_process_reply(struct ike_sa *sa, const struct ike_message *msg)
{
	const struct ike_payload *p = ike_find(msg, PL_CP);
	struct cp_attrs a;
	char ip[16];
	if (sa->conn->n_vips == 0)
		return;
	if (p == NULL || !cp_parse(p, CFG_REPLY, &a) || a.addr == 0) {
		LOG_WARN("%s: IKE_SA #%u: the peer gave us no virtual IP%s", sa->conn->name, sa->serial,
			 ike_find_notify(msg, N_INTERNAL_ADDRESS_FAILURE) ? " (INTERNAL_ADDRESS_FAILURE)" : "");
		return;
	}
	sa->own_vip = a.addr;
	format_ipv4(a.addr, ip, sizeof(ip));
	LOG_INFO("%s: IKE_SA #%u: our virtual IP %s", sa->conn->name, sa->serial, ip);
}

void ike_list_pools(struct ike_daemon *d, bool json, struct strbuf *o)
{
	if (json)
		sb_printf(o, "{\"pools\":[");
	for (int i = 0; i < d->cfg->n_pools; i++) {
		const struct cfg_pool *p = &d->cfg->pools[i];
		uint32_t online, leased;
		char first[16], last[16];
		ike_pool_usage(d->pools, i, &online, &leased);
		format_ipv4(p->base, first, sizeof(first));
		format_ipv4(p->base + p->size - 1, last, sizeof(last));
		if (json)
			sb_printf(o, "{\"name\":\"%s\",\"first\":\"%s\",\"last\":\"%s\",\"size\":%u,\"online\":%u,\"leased\":%u},",
				  p->name, first, last, p->size, online, leased);
		else
			sb_printf(o, "%s: %s-%s, %u addresses, %u online, %u leased\n", p->name, first, last, p->size, online,
				  leased);
	}
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "]}\n");
	}
}
