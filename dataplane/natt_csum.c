/* SPDX-License-Identifier: BSD-3-Clause */
#include "natt_csum.h"

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

static uint32_t words_of(uint32_t a)
{
	return (a >> 16) + (a & 0xffff);
}

static uint32_t inverted_words_of(uint32_t a)
{
	return (uint16_t)~(a >> 16) + (uint16_t)~a;
}

static uint16_t fold(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint32_t natt_oa_adjust(uint32_t orig_src, uint32_t orig_dst)
{
	return inverted_words_of(orig_src) + inverted_words_of(orig_dst);
}

/* ~C' = ~C - original addresses + current addresses, in one's-complement arithmetic. */
static rte_be16_t adjusted(rte_be16_t field, const struct rte_ipv4_hdr *ip, uint32_t oa_adjust, bool udp)
{
	uint32_t s = (uint16_t)~rte_be_to_cpu_16(field) + oa_adjust + words_of(rte_be_to_cpu_32(ip->src_addr)) +
		     words_of(rte_be_to_cpu_32(ip->dst_addr));
	uint16_t c = (uint16_t)~fold(s);
	if (udp && c == 0)
		c = 0xffff; /* zero means "no checksum" in UDP */
	return rte_cpu_to_be_16(c);
}

void natt_fix_l4_checksum(struct rte_ipv4_hdr *ip, uint32_t len, bool have_oa, uint32_t oa_adjust)
{
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	uint32_t ihl = rte_ipv4_hdr_len(ip);
	if ((frag & RTE_IPV4_HDR_OFFSET_MASK) != 0)
		return;
	if (ip->next_proto_id == IPPROTO_UDP_ && len >= ihl + sizeof(struct rte_udp_hdr)) {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)((uint8_t *)ip + ihl);
		if (!have_oa)
			u->dgram_cksum = 0; /* RFC 3948 3.1.2 */
		else if (u->dgram_cksum != 0)
			u->dgram_cksum = adjusted(u->dgram_cksum, ip, oa_adjust, true);
	} else if (ip->next_proto_id == IPPROTO_TCP_ && len >= ihl + sizeof(struct rte_tcp_hdr)) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)((uint8_t *)ip + ihl);
		if (have_oa) {
			t->cksum = adjusted(t->cksum, ip, oa_adjust, false);
		} else if (!(frag & RTE_IPV4_HDR_MF_FLAG) && rte_be_to_cpu_16(ip->total_length) <= len) {
			t->cksum = 0;
			t->cksum = rte_ipv4_udptcp_cksum(ip, t);
		}
	}
}
