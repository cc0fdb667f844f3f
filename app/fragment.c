/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 fragmentation (RFC 791) of packets the workers found too big, done on the control core. */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "appliance.h"
#include "lib/log.h"

static struct rte_mbuf *make_fragment(struct appliance *app, const struct rte_ipv4_hdr *orig, uint32_t ihl,
				      const uint8_t *data, uint32_t len, uint16_t offset8, bool more)
{
	struct rte_mbuf *f = rte_pktmbuf_alloc(app->pool);
	if (f == NULL)
		return NULL;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(f, (uint16_t)(ihl + len));
	if (p == NULL) {
		rte_pktmbuf_free(f);
		return NULL;
	}
	memcpy(p, orig, ihl);
	memcpy(p + ihl, data, len);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(ihl + len));
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)(offset8 | (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	f->port = 0;
	return f;
}

void fragment_and_inject(struct appliance *app, struct rte_mbuf *m, uint16_t mtu, uint8_t kind)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t ihl = rte_ipv4_hdr_len(ip), len = rte_pktmbuf_pkt_len(m);
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	uint16_t base = frag & RTE_IPV4_HDR_OFFSET_MASK;
	bool orig_more = (frag & RTE_IPV4_HDR_MF_FLAG) != 0;
	uint32_t chunk = mtu > ihl ? ((mtu - ihl) & ~7u) : 0;
	if (chunk == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	const uint8_t *payload = (const uint8_t *)ip + ihl;
	for (uint32_t off = 0; off < len - ihl; off += chunk) {
		uint32_t n = RTE_MIN(chunk, len - ihl - off);
		bool more = off + n < len - ihl || orig_more;
		struct rte_mbuf *f = make_fragment(app, ip, ihl, payload + off, n, (uint16_t)(base + off / 8), more);
		if (f == NULL)
			break;
		app->cstats.fragments_made++;
		control_inject(app, f, kind, 0);
	}
	rte_pktmbuf_free(m);
}
