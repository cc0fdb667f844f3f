/* SPDX-License-Identifier: BSD-3-Clause */
/* The 5-tuple of an IPv4 packet, as policies and SA selectors match it. */
#ifndef DPIKE_DP_FLOW_H
#define DPIKE_DP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "lib/ts.h"

struct dp_flow {
	uint32_t src, dst; /* host order */
	uint8_t proto;
	uint16_t sport, dport; /* 0 where the protocol has no ports or this is a non-first fragment */
};

/* ip points at a header whose length and total length were already checked against len. */
static inline void dp_flow_from_ipv4(const struct rte_ipv4_hdr *ip, uint32_t len, struct dp_flow *f)
{
	uint32_t ihl = rte_ipv4_hdr_len(ip);
	f->src = rte_be_to_cpu_32(ip->src_addr);
	f->dst = rte_be_to_cpu_32(ip->dst_addr);
	f->proto = ip->next_proto_id;
	f->sport = f->dport = 0;
	bool has_ports = f->proto == 6 || f->proto == 17 || f->proto == 132;
	bool first_fragment = (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)) == 0;
	if (has_ports && first_fragment && len >= ihl + 4) {
		const uint8_t *l4 = (const uint8_t *)ip + ihl;
		f->sport = (uint16_t)(l4[0] << 8 | l4[1]);
		f->dport = (uint16_t)(l4[2] << 8 | l4[3]);
	}
}

/* Does the flow run from one of the src selectors to one of the dst selectors? */
static inline bool dp_flow_in_selectors(const struct dp_flow *f, const struct traffic_selector *src, int n_src,
					const struct traffic_selector *dst, int n_dst)
{
	bool s = false, d = false;
	for (int i = 0; i < n_src && !s; i++)
		s = ts_match_addr(&src[i], f->src) && ts_match_port(&src[i], f->proto, f->sport);
	for (int i = 0; i < n_dst && !d; i++)
		d = ts_match_addr(&dst[i], f->dst) && ts_match_port(&dst[i], f->proto, f->dport);
	return s && d;
}

#endif
