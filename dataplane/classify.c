/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * First stage of a burst: validate the Ethernet and IPv4 headers and sort each packet
 * into ESP for us, other traffic for us (punted), or transit traffic.
 */
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "pkt.h"
#include "pkt_meta.h"
#include "worker.h"

#define NATT_PORT 4500

#define IKE_PORT 500

static void set_punt_meta(struct rte_mbuf *m, enum dp_punt_reason why, uint16_t port)
{
	struct dp_meta *meta = dp_meta(m);
	meta->code = why;
	meta->port = port;
	meta->flags = 0;
	meta->aux = 0;
}

static void punt(struct dp_batch *b, struct rte_mbuf *m, enum dp_punt_reason why, uint16_t port)
{
	set_punt_meta(m, why, port);
	b->punt[b->n_punt++] = m;
}

static void punt_ike(struct dp_batch *b, struct rte_mbuf *m, uint16_t port)
{
	set_punt_meta(m, DP_PUNT_LOCAL, port);
	b->punt_ike[b->n_punt_ike++] = m;
}

/* Checks the IPv4 header against the packet and trims Ethernet padding. Data starts at L3. */
static enum dp_drop_reason check_ipv4(struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if (len < sizeof(*ip) || (ip->version_ihl >> 4) != 4)
		return DP_DROP_MALFORMED;
	uint32_t ihl = rte_ipv4_hdr_len(ip), total = rte_be_to_cpu_16(ip->total_length);
	if (ihl < sizeof(*ip) || ihl > len || total < ihl || total > len || dp_ipv4_cksum(ip) != 0)
		return DP_DROP_MALFORMED;
	dp_pkt_trim(m, (uint16_t)(len - total));
	return DP_DROP_MAX;
}

enum udp_kind { UDP_FOR_CONTROL, UDP_IKE, UDP_ESP, UDP_NAT_KEEPALIVE, UDP_MALFORMED };

/* UDP to port 500 is IKE; to 4500, ESP unless it starts with the zero non-ESP marker (RFC 3948 2.2), then IKE. */
static enum udp_kind udp_kind(const struct rte_mbuf *m, uint32_t ihl)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (len < ihl + sizeof(struct rte_udp_hdr))
		return UDP_MALFORMED;
	const struct rte_udp_hdr *u = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, ihl);
	uint32_t payload = len - ihl - sizeof(*u);
	if (u->dst_port == rte_cpu_to_be_16(IKE_PORT))
		return UDP_IKE;
	if (u->dst_port != rte_cpu_to_be_16(NATT_PORT))
		return UDP_FOR_CONTROL;
	const uint8_t *p = (const uint8_t *)(u + 1);
	if (payload == 1 && p[0] == 0xff)
		return UDP_NAT_KEEPALIVE;
	if (payload >= 4 && (p[0] | p[1] | p[2] | p[3]) != 0)
		return UDP_ESP;
	return payload >= 4 ? UDP_IKE : UDP_FOR_CONTROL;
}

static bool is_fragment(const struct rte_ipv4_hdr *ip)
{
	return (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) != 0;
}

static void classify_local(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *m, uint16_t port)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if (unlikely(is_fragment(ip))) {
		m = dp_reassemble(&w->reasm, m, rte_rdtsc(), &w->stats);
		if (m == NULL)
			return;
		if (!rte_pktmbuf_is_contiguous(m)) {
			dp_drop(w, b, m, DP_DROP_NO_SPACE);
			return;
		}
		w->stats.reassembled++;
		ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	}
	if (ip->next_proto_id == IPPROTO_ESP) {
		b->esp_in[b->n_esp_in++] = m;
		return;
	}
	if (ip->next_proto_id != IPPROTO_UDP) {
		punt(b, m, DP_PUNT_LOCAL, port);
		return;
	}
	switch (udp_kind(m, rte_ipv4_hdr_len(ip))) {
	case UDP_ESP:
		b->esp_in[b->n_esp_in++] = m;
		break;
	case UDP_NAT_KEEPALIVE:
		dp_drop(w, b, m, DP_DROP_NAT_KEEPALIVE);
		break;
	case UDP_MALFORMED:
		dp_drop(w, b, m, DP_DROP_MALFORMED);
		break;
	case UDP_IKE:
		punt_ike(b, m, port);
		break;
	case UDP_FOR_CONTROL:
		punt(b, m, DP_PUNT_LOCAL, port);
		break;
	}
}

static bool is_broadcast_or_multicast(uint32_t dst)
{
	return dst == 0xffffffff || (dst >> 28) == 0xe;
}

/* Whether the last destination looked up in this burst is one of ours: bursts come in runs of one. */
struct local_memo {
	bool valid, local;
	uint32_t dst;
};

static bool is_for_us(const struct dp_batch *b, uint32_t dst, struct local_memo *memo)
{
	if (!memo->valid || memo->dst != dst) {
		memo->valid = true;
		memo->dst = dst;
		memo->local = dp_fib_is_local(b->fib, dst) || is_broadcast_or_multicast(dst);
	}
	return memo->local;
}

static void classify_one(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *m, uint16_t port,
			 struct local_memo *memo)
{
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)) {
		dp_drop(w, b, m, DP_DROP_MALFORMED);
		return;
	}
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		punt(b, m, DP_PUNT_ARP, port);
		return;
	}
	if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		dp_drop(w, b, m, DP_DROP_NOT_IPV4);
		return;
	}
	if (!rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_linearize(m) != 0) {
		dp_drop(w, b, m, DP_DROP_NO_SPACE);
		return;
	}
	rte_pktmbuf_adj(m, sizeof(struct rte_ether_hdr));
	enum dp_drop_reason bad = check_ipv4(m);
	if (bad != DP_DROP_MAX) {
		dp_drop(w, b, m, bad);
		return;
	}
	uint32_t dst = rte_be_to_cpu_32(rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *)->dst_addr);
	if (is_for_us(b, dst, memo)) {
		classify_local(w, b, m, port);
		return;
	}
	b->fwd_flags[b->n_fwd] = 0;
	b->fwd_sa[b->n_fwd] = NULL;
	b->fwd[b->n_fwd++] = m;
}

void dp_classify(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *pkts[], uint16_t n, uint16_t port)
{
	dp_rx_prefetch_start(pkts, n);
	struct local_memo memo = { .valid = false };
	uint64_t bytes = 0;
	for (uint16_t i = 0; i < n; i++) {
		dp_rx_prefetch_ahead(pkts, i, n);
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
		classify_one(w, b, pkts[i], port, &memo);
	}
	w->stats.port[port].rx_packets += n;
	w->stats.port[port].rx_bytes += bytes;
}
