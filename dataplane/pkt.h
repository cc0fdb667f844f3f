/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tail edits and header checksums of a packet inside a worker. Every packet there is one segment (classify
 * linearizes the rest), so these skip the walk to the last segment that the rte_pktmbuf_
 * versions make: that walk reads the mbuf's second cache line, which a receive path never
 * touches otherwise, and costs a cache miss per packet.
 */
#ifndef DPIKE_DP_PKT_H
#define DPIKE_DP_PKT_H

#include <stdbool.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

/*
 * How far ahead of its first read a received packet's data is fetched, and its descriptor twice
 * as far (its data address is in the descriptor): far enough for the misses to overlap, few
 * enough for the fill buffers.
 */
#define DP_RX_AHEAD 5

/* Before a burst's first packet: the first descriptors and data asked for. Descriptors are cold
 * when the receive path did not write them (a ring); data always is. */
static inline void dp_rx_prefetch_start(struct rte_mbuf *const pkts[], uint16_t n)
{
	for (uint16_t i = 0; i < n && i < 2 * DP_RX_AHEAD; i++)
		rte_prefetch0(pkts[i]);
	for (uint16_t i = 0; i < n && i < DP_RX_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
}

/* Before reading packet i: those DP_RX_AHEAD and twice that further on asked for. */
static inline void dp_rx_prefetch_ahead(struct rte_mbuf *const pkts[], uint16_t i, uint16_t n)
{
	if (i + 2 * DP_RX_AHEAD < n)
		rte_prefetch0(pkts[i + 2 * DP_RX_AHEAD]);
	if (i + DP_RX_AHEAD < n)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i + DP_RX_AHEAD], void *));
}

/* Cuts len bytes off the end; -1 (and nothing cut) when the packet is shorter. */
static inline int dp_pkt_trim(struct rte_mbuf *m, uint16_t len)
{
	if (unlikely(len > m->data_len))
		return -1;
	m->data_len = (uint16_t)(m->data_len - len);
	m->pkt_len -= len;
	return 0;
}

/* Grows the end by len bytes and returns where they start; NULL when there is no tailroom. */
static inline void *dp_pkt_append(struct rte_mbuf *m, uint16_t len)
{
	if (unlikely(len > rte_pktmbuf_tailroom(m)))
		return NULL;
	void *tail = rte_pktmbuf_mtod_offset(m, char *, m->data_len);
	m->data_len = (uint16_t)(m->data_len + len);
	m->pkt_len += len;
	return tail;
}

/* Whether the IPv4 packet m (data at its header) says don't fragment. */
static inline bool dp_ipv4_df(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	return (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) != 0;
}

/* One's complement sum folded to 16 bits. */
static inline uint16_t dp_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)((sum & 0xffff) + (sum >> 16));
}

/* rte_ipv4_cksum() with the usual 20-byte header summed in five loads instead of a loop. */
static inline uint16_t dp_ipv4_cksum(const struct rte_ipv4_hdr *ip)
{
	if (likely(ip->version_ihl == RTE_IPV4_VHL_DEF)) {
		uint32_t w[5];
		memcpy(w, ip, sizeof(w));
		return (uint16_t)~dp_csum_fold((uint64_t)w[0] + w[1] + w[2] + w[3] + w[4]);
	}
	return rte_ipv4_cksum(ip);
}

#endif
