/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) on the control core: answers for our addresses, learns neighbours,
 * resolves next hops for the workers and holds the packets that wait for them.
 */
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "appliance.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/tables.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/wire.h"

#define ARP_LEN 28
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define PENDING_SLOTS 64
#define PENDING_PKTS 8
#define RESOLVE_TRIES 3
#define RESOLVE_INTERVAL_MS 1000

struct arp_msg {
	uint16_t op;
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa;
};

/* Packets waiting for one next hop to resolve. */
struct pending {
	uint32_t ip;
	uint16_t port;
	uint8_t n, tries;
	bool resolved; /* learned: the packets go once the workers see it (arp_release_resolved) */
	uint64_t next_ms;
	struct rte_mbuf *pkts[PENDING_PKTS];
};

static struct pending pending[PENDING_SLOTS];
static unsigned n_resolved;

/*
 * A learned neighbour not confirmed for workers.neighbour_timeout is asked again (RFC 1122
 * 2.3.2.1): twice by unicast to the address we have, then by broadcast (it may have a new MAC
 * that a unicast would not reach); unanswered, it is forgotten, and traffic to it resolves anew.
 */
#define PROBE_SLOTS 64
#define PROBE_TRIES 3

struct probe {
	uint32_t ip;
	uint16_t port;
	uint8_t tries; /* 0: slot free */
	uint64_t next_ms;
	struct rte_ether_addr mac;
};

static struct probe probes[PROBE_SLOTS];

static bool parse_arp(struct rte_mbuf *m, struct arp_msg *a)
{
	struct wire_reader r;
	wire_reader_init(&r, rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
	wire_skip(&r, sizeof(struct rte_ether_hdr));
	uint16_t htype = wire_get_be16(&r), ptype = wire_get_be16(&r);
	uint8_t hlen = wire_get_u8(&r), plen = wire_get_u8(&r);
	a->op = wire_get_be16(&r);
	wire_get_bytes(&r, a->sha, 6);
	a->spa = wire_get_be32(&r);
	wire_get_bytes(&r, a->tha, 6);
	a->tpa = wire_get_be32(&r);
	return wire_ok(&r) && htype == 1 && ptype == RTE_ETHER_TYPE_IPV4 && hlen == 6 && plen == 4;
}

/* Writes an ARP frame into m (at least 60 bytes long, data at L2). */
static void build_arp(struct rte_mbuf *m, const struct rte_ether_addr *dst, const struct app_port *p, uint16_t op,
		      const uint8_t tha[6], uint32_t tpa)
{
	struct wire_writer w;
	rte_pktmbuf_reset(m);
	uint8_t *buf = (uint8_t *)rte_pktmbuf_append(m, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN);
	wire_writer_init(&w, buf, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN);
	memset(buf, 0, w.cap);
	wire_put_bytes(&w, dst->addr_bytes, 6);
	wire_put_bytes(&w, p->mac.addr_bytes, 6);
	wire_put_be16(&w, RTE_ETHER_TYPE_ARP);
	wire_put_be16(&w, 1);
	wire_put_be16(&w, RTE_ETHER_TYPE_IPV4);
	wire_put_u8(&w, 6);
	wire_put_u8(&w, 4);
	wire_put_be16(&w, op);
	wire_put_bytes(&w, p->mac.addr_bytes, 6);
	wire_put_be32(&w, p->addr);
	wire_put_bytes(&w, tha, 6);
	wire_put_be32(&w, tpa);
}

static struct pending *pending_find(uint32_t ip, uint16_t port)
{
	for (int i = 0; i < PENDING_SLOTS; i++)
		if (pending[i].n && pending[i].ip == ip && pending[i].port == port)
			return &pending[i];
	return NULL;
}

static void mark_resolved(struct pending *pd)
{
	if (!pd->resolved)
		n_resolved++;
	pd->resolved = true;
}

void arp_release_resolved(struct appliance *app)
{
	for (int i = 0; i < PENDING_SLOTS && n_resolved; i++) {
		struct pending *pd = &pending[i];
		if (pd->n == 0 || !pd->resolved)
			continue;
		for (uint8_t k = 0; k < pd->n; k++)
			control_inject(app, pd->pkts[k], DP_INJECT_ROUTE, pd->port);
		pd->n = 0;
		pd->resolved = false;
		n_resolved--;
	}
}

/*
 * Unasked, only senders on the port's own subnet are taken for neighbours: a flood of made-up
 * senders then fills the table no further than the subnet. A next hop we asked for is learned
 * wherever it is (a route's gateway may sit outside the port's prefix, as with a /32 address),
 * and one we know is kept up to date.
 */
static bool on_link(const struct app_port *p, uint32_t ip)
{
	return ((ip ^ p->addr) & prefix_mask(p->plen)) == 0;
}

static void learn(struct appliance *app, const struct arp_msg *a, const struct app_port *p)
{
	struct rte_ether_addr mac;
	memcpy(mac.addr_bytes, a->sha, 6);
	struct pending *pd = pending_find(a->spa, p->port_id);
	bool known = dp_neigh_find(a->spa, p->port_id) != NULL;
	if (a->spa == 0 || a->spa == p->addr || rte_is_multicast_ether_addr(&mac) ||
	    (pd == NULL && !known && !on_link(p, a->spa)))
		return;
	int rc = dp_neigh_set(a->spa, p->port_id, &mac, pd ? DP_NEIGH_ANSWER : DP_NEIGH_HEARD);
	if (rc == DP_NEIGH_FULL)
		app->cstats.arp_table_full++;
	else if (rc == 0 && pd)
		mark_resolved(pd);
}

void arp_handle(struct appliance *app, struct rte_mbuf *m)
{
	struct arp_msg a;
	uint16_t port = dp_meta(m)->port;
	const struct app_port *p = port_by_id(app, port);
	if (p == NULL || !parse_arp(m, &a)) {
		rte_pktmbuf_free(m);
		return;
	}
	bool for_us = a.tpa == p->addr;
	/* RFC 826: update a known sender; add it when we are the target. */
	if (for_us || dp_neigh_find(a.spa, port))
		learn(app, &a, p);
	if (a.op == ARP_OP_REPLY)
		app->cstats.arp_replies_in++;
	if (a.op != ARP_OP_REQUEST || !for_us) {
		rte_pktmbuf_free(m);
		return;
	}
	app->cstats.arp_requests_in++;
	struct rte_ether_addr requester;
	memcpy(requester.addr_bytes, a.sha, 6);
	build_arp(m, &requester, p, ARP_OP_REPLY, a.sha, a.spa);
	app->cstats.arp_replies_out++;
	control_inject(app, m, DP_INJECT_L2, port);
}

/* A request for ip to dst: the broadcast address, or for a probe the neighbour's MAC. */
static void send_request_to(struct appliance *app, uint32_t ip, uint16_t port, const struct rte_ether_addr *dst)
{
	const struct app_port *p = port_by_id(app, port);
	struct rte_mbuf *m = p ? rte_pktmbuf_alloc(app->pool) : NULL;
	if (m == NULL)
		return;
	static const uint8_t zero[6];
	build_arp(m, dst, p, ARP_OP_REQUEST, zero, ip);
	app->cstats.arp_requests_out++;
	control_inject(app, m, DP_INJECT_L2, port);
}

static void send_request(struct appliance *app, uint32_t ip, uint16_t port)
{
	struct rte_ether_addr bcast;
	memset(bcast.addr_bytes, 0xff, 6);
	send_request_to(app, ip, port, &bcast);
}

static struct pending *pending_slot(uint32_t ip, uint16_t port)
{
	struct pending *pd = pending_find(ip, port);
	for (int i = 0; i < PENDING_SLOTS && pd == NULL; i++)
		if (pending[i].n == 0) {
			pd = &pending[i];
			*pd = (struct pending){ .ip = ip, .port = port };
		}
	return pd;
}

void arp_need_neighbour(struct appliance *app, struct rte_mbuf *m, uint32_t next_hop, uint16_t port)
{
	bool known = dp_neigh_find(next_hop, port) != NULL;
	if (known && !dp_tables_pending()) {
		/* Resolved after the worker's snapshot was taken. */
		control_inject(app, m, DP_INJECT_ROUTE, port);
		return;
	}
	struct pending *pd = pending_slot(next_hop, port);
	if (pd == NULL || pd->n == PENDING_PKTS) {
		app->cstats.neigh_pending_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	pd->pkts[pd->n++] = m;
	if (known) /* learned, not yet in the workers' snapshot */
		mark_resolved(pd);
	else if (pd->n == 1) {
		pd->tries = 1;
		pd->next_ms = app_now_ms() + RESOLVE_INTERVAL_MS;
		send_request(app, next_hop, port);
	}
}

static void probe_send(struct appliance *app, struct probe *pr, uint64_t now_ms)
{
	pr->tries++;
	pr->next_ms = now_ms + RESOLVE_INTERVAL_MS;
	if (pr->tries < PROBE_TRIES) {
		send_request_to(app, pr->ip, pr->port, &pr->mac);
		return;
	}
	send_request(app, pr->ip, pr->port);
}

/* Ends the probes answered (the neighbour confirmed since), or gone meanwhile; forgets the unanswered. */
static void probes_poll(struct appliance *app, uint64_t now_ms, uint64_t timeout_ms)
{
	for (int i = 0; i < PROBE_SLOTS; i++) {
		struct probe *pr = &probes[i];
		uint64_t age;
		if (pr->tries == 0 || now_ms < pr->next_ms)
			continue;
		if (!dp_neigh_learned_age(pr->ip, pr->port, &age) || age < timeout_ms) {
			pr->tries = 0;
		} else if (pr->tries == PROBE_TRIES) {
			char ip[16];
			format_ipv4(pr->ip, ip, sizeof(ip));
			LOG_INFO("neighbour %s did not answer for %lu s: forgotten", ip, (unsigned long)(age / 1000));
			dp_neigh_forget(pr->ip, pr->port);
			app->cstats.neighbours_expired++;
			pr->tries = 0;
		} else {
			probe_send(app, pr, now_ms);
		}
	}
}

struct probe_start {
	struct appliance *app;
	uint64_t now_ms;
};

static void probe_start(const struct dp_neigh *n, void *ctx)
{
	const struct probe_start *ps = ctx;
	struct probe *free_slot = NULL;
	for (int i = 0; i < PROBE_SLOTS; i++) {
		if (probes[i].tries && probes[i].ip == n->ip && probes[i].port == n->port)
			return; /* being asked already */
		if (probes[i].tries == 0 && free_slot == NULL)
			free_slot = &probes[i];
	}
	if (free_slot == NULL)
		return;
	*free_slot = (struct probe){ .ip = n->ip, .port = n->port, .mac = n->mac };
	probe_send(ps->app, free_slot, ps->now_ms);
}

/* The stale end of the learned neighbours: those probed already, then up to the free slots' worth more. */
static void neighbours_refresh(struct appliance *app, uint64_t now_ms)
{
	uint64_t timeout_ms = (uint64_t)app->cfg.neighbour_timeout * 1000;
	if (timeout_ms == 0)
		return;
	probes_poll(app, now_ms, timeout_ms);
	struct probe_start ps = { app, now_ms };
	dp_neigh_walk_stale(timeout_ms, 2 * PROBE_SLOTS, probe_start, &ps);
}

void arp_timer(struct appliance *app, uint64_t now_ms)
{
	neighbours_refresh(app, now_ms);
	for (int i = 0; i < PENDING_SLOTS; i++) {
		struct pending *pd = &pending[i];
		if (pd->n == 0 || pd->resolved || now_ms < pd->next_ms)
			continue;
		if (pd->tries >= RESOLVE_TRIES) {
			char ip[16];
			format_ipv4(pd->ip, ip, sizeof(ip));
			LOG_WARN("no ARP answer from %s; dropping %u waiting packet(s)", ip, pd->n);
			app->cstats.neigh_pending_dropped += pd->n;
			rte_pktmbuf_free_bulk(pd->pkts, pd->n);
			pd->n = 0;
			continue;
		}
		pd->tries++;
		pd->next_ms = now_ms + RESOLVE_INTERVAL_MS;
		send_request(app, pd->ip, pd->port);
	}
}

void arp_fini(void)
{
	for (int i = 0; i < PENDING_SLOTS; i++) {
		if (pending[i].n)
			rte_pktmbuf_free_bulk(pending[i].pkts, pending[i].n);
		pending[i].n = 0;
		pending[i].resolved = false;
	}
	n_resolved = 0;
	memset(probes, 0, sizeof(probes));
}
