/* SPDX-License-Identifier: BSD-3-Clause */
#include "fragment.h"

#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "pkt.h"
#include "pkt_meta.h"

/* Payload bytes in each fragment but the last: a multiple of 8, as offsets count in 8 bytes. */
static uint32_t fragment_chunk(uint32_t mtu)
{
	return (mtu - sizeof(struct rte_ipv4_hdr)) & ~7u;
}

unsigned dp_fragment_count(const struct rte_mbuf *m, uint32_t mtu)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t len = rte_pktmbuf_pkt_len(m);
	if (ip->version_ihl != RTE_IPV4_VHL_DEF || mtu < sizeof(*ip) + 8 || len <= mtu)
		return 0;
	uint32_t chunk = fragment_chunk(mtu), payload = len - sizeof(*ip);
	unsigned n = (payload + chunk - 1) / chunk;
	return n <= DP_FRAG_MAX ? n : 0;
}

int dp_fragment_buffers(struct rte_mempool *pool, struct rte_mbuf *bufs[], unsigned n)
{
	if (rte_mempool_get_bulk(pool, (void **)bufs, n) != 0)
		return -1;
	/*
	 * Where rte_pktmbuf_init() put each buffer's data, found without reading the cold header; the
	 * line before takes the outer headers ESP and Ethernet put in front, the one after its trailer.
	 */
	size_t data_at = sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(pool) + RTE_PKTMBUF_HEADROOM;
	for (unsigned i = 0; i < n; i++) {
		char *data = (char *)bufs[i] + data_at;
		rte_prefetch0_write(bufs[i]);
		rte_prefetch0_write(data - RTE_CACHE_LINE_SIZE);
		rte_prefetch0_write(data);
		rte_prefetch0_write(data + RTE_CACHE_LINE_SIZE);
	}
	for (unsigned i = 0; i < n; i++) {
		rte_mbuf_refcnt_set(bufs[i], 1);
		rte_pktmbuf_reset(bufs[i]);
	}
	return 0;
}

static void set_fragment_fields(struct rte_ipv4_hdr *ip, uint32_t payload, uint32_t offset8, bool more)
{
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + payload));
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)(offset8 | (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = dp_ipv4_cksum(ip);
}

/* Fills f with the fragment of m (whose header is ip) at payload offset off. */
static bool fill_fragment(struct rte_mbuf *f, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t off,
			  uint32_t size, bool more)
{
	uint8_t *p = dp_pkt_append(f, (uint16_t)(sizeof(*ip) + size));
	if (p == NULL)
		return false;
	memcpy(p, ip, sizeof(*ip));
	memcpy(p + sizeof(*ip), (const uint8_t *)(ip + 1) + off, size);
	uint16_t field = rte_be_to_cpu_16(ip->fragment_offset);
	set_fragment_fields((struct rte_ipv4_hdr *)p, size, (field & RTE_IPV4_HDR_OFFSET_MASK) + off / 8, more);
	f->port = m->port;
	*dp_meta(f) = *dp_meta(m);
	return true;
}

bool dp_fragment(struct rte_mbuf *m, uint32_t mtu, unsigned n, struct rte_mbuf *const fresh[],
		 struct rte_mbuf *frags[])
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t payload = rte_pktmbuf_pkt_len(m) - sizeof(*ip), chunk = fragment_chunk(mtu);
	/* the last piece of a packet that was itself a fragment, but not its last, keeps MF */
	bool more_after = (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG)) != 0;
	for (unsigned i = 1; i < n; i++) {
		uint32_t off = i * chunk, size = RTE_MIN(chunk, payload - off);
		frags[i] = fresh[i - 1];
		if (!fill_fragment(frags[i], m, ip, off, size, i + 1 < n || more_after))
			return false;
	}
	dp_pkt_trim(m, (uint16_t)(payload - chunk));
	uint16_t field = rte_be_to_cpu_16(ip->fragment_offset);
	set_fragment_fields(ip, chunk, field & RTE_IPV4_HDR_OFFSET_MASK, true);
	frags[0] = m;
	return true;
}
