/* SPDX-License-Identifier: BSD-3-Clause */
/* Last stages of a burst: route lookup, neighbour, MTU, Ethernet header, TX buffering. */
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fragment.h"
#include "pkt.h"
#include "pkt_meta.h"
#include "worker.h"

static void punt_route(struct dp_batch *b, struct rte_mbuf *m, enum dp_punt_reason why, uint32_t aux, uint16_t port)
{
	struct dp_meta *meta = dp_meta(m);
	meta->code = why;
	meta->aux = aux;
	meta->port = port;
	meta->flags = 0;
	b->punt[b->n_punt++] = m;
}

/*
 * Adds the Ethernet header and queues m for sending; false (m untouched) without headroom for it.
 * Inlined: called for every packet, its call cost a third of its work.
 */
static inline __attribute__((always_inline)) bool send_to_neighbour(struct dp_worker *w, const struct dp_batch *b,
								    struct rte_mbuf *m, uint16_t port,
								    const struct dp_neigh *n)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	if (eth == NULL)
		return false;
	eth->dst_addr = n->mac;
	eth->src_addr = b->fib->ports[port].mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	w->stats.forwarded++;
	dp_tx_enqueue(w, port, m);
	return true;
}

/*
 * Too big for the route: fragments sent here (DF clear, neighbour known), or the packet punted for
 * ICMP fragmentation needed (DF), or for the control core to fragment (no neighbour yet: the
 * fragments then wait for it there; or no buffers here).
 */
static void route_too_big(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *m, const struct dp_route *r,
			  const struct dp_neigh *n)
{
	uint16_t mtu = b->fib->ports[r->port].mtu;
	bool df = dp_ipv4_df(m);
	struct rte_mbuf *fresh[DP_FRAG_MAX], *frags[DP_FRAG_MAX];
	unsigned k = df || n == NULL ? 0 : dp_fragment_count(m, mtu);
	bool cut = k && dp_fragment_buffers(m->pool, fresh, k - 1) == 0;
	if (cut && !dp_fragment(m, mtu, k, fresh, frags)) {
		rte_pktmbuf_free_bulk(fresh, k - 1);
		cut = false;
	}
	if (!cut) {
		punt_route(b, m, df ? DP_PUNT_FRAG_NEEDED : DP_PUNT_FRAGMENT, mtu, r->port);
		return;
	}
	w->stats.fragmented++;
	w->stats.fragments_made += k;
	for (unsigned i = 0; i < k; i++) {
		if (send_to_neighbour(w, b, frags[i], r->port, n))
			continue;
		/* not through the burst's drop list, which has room for the burst's packets, not their fragments */
		w->stats.drops[DP_DROP_NO_SPACE]++;
		rte_pktmbuf_free(frags[i]);
	}
}

/*
 * The last destination's route and neighbour in this burst's FIB snapshot: a tunnel's packets
 * all go to its peer, and a burst holds runs of them, so most lookups are the one before.
 */
struct route_memo {
	bool valid;
	uint32_t dst, next_hop;
	const struct dp_route *r;
	const struct dp_neigh *n;
};

static void route_lookup(const struct dp_batch *b, uint32_t dst, struct route_memo *memo)
{
	if (memo->valid && memo->dst == dst)
		return;
	memo->valid = true;
	memo->dst = dst;
	memo->r = dp_fib_route(b->fib, dst);
	if (memo->r == NULL)
		return;
	memo->next_hop = memo->r->via ? memo->r->via : dst;
	memo->n = dp_fib_neigh(b->fib, memo->next_hop, memo->r->port);
}

static void route_one(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *m, struct route_memo *memo)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	route_lookup(b, rte_be_to_cpu_32(ip->dst_addr), memo);
	const struct dp_route *r = memo->r;
	if (r == NULL) {
		dp_drop(w, b, m, DP_DROP_NO_ROUTE);
		return;
	}
	uint32_t next_hop = memo->next_hop;
	const struct dp_neigh *n = memo->n;
	if (rte_pktmbuf_pkt_len(m) > b->fib->ports[r->port].mtu) {
		route_too_big(w, b, m, r, n);
		return;
	}
	if (n == NULL) {
		punt_route(b, m, DP_PUNT_NEED_NEIGH, next_hop, r->port);
		return;
	}
	if (!send_to_neighbour(w, b, m, r->port, n))
		dp_drop(w, b, m, DP_DROP_NO_SPACE);
}

void dp_stage_route(struct dp_worker *w, struct dp_batch *b)
{
	struct route_memo memo = { .valid = false };
	for (uint16_t i = 0; i < b->n_route; i++)
		route_one(w, b, b->route[i], &memo);
	b->n_route = 0;
}

static void tx_flush_port(struct dp_worker *w, uint16_t port)
{
	struct dp_txq *q = &w->tx[port];
	if (q->n == 0)
		return;
	uint16_t sent = rte_eth_tx_burst(port, w->queue, q->m, q->n);
	for (uint16_t i = 0; i < sent; i++) {
		w->stats.port[port].tx_packets++;
		w->stats.port[port].tx_bytes += rte_pktmbuf_pkt_len(q->m[i]);
	}
	if (sent < q->n) {
		w->stats.drops[DP_DROP_TX_FULL] += q->n - sent;
		rte_pktmbuf_free_bulk(&q->m[sent], q->n - sent);
	}
	q->n = 0;
}

void dp_tx_enqueue(struct dp_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct dp_txq *q = &w->tx[port];
	q->m[q->n++] = m;
	if (q->n == DP_BURST_MAX)
		tx_flush_port(w, port);
}

unsigned dp_tx_pending(const struct dp_worker *w)
{
	unsigned n = 0;
	for (uint16_t p = 0; p < w->n_ports; p++)
		n += w->tx[p].n;
	return n;
}

void dp_tx_flush(struct dp_worker *w)
{
	for (uint16_t p = 0; p < w->n_ports; p++)
		tx_flush_port(w, p);
}
