/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP framing per mode: outbound adds the outer headers and the trailer around the
 * payload (tunnel: the whole inner packet; transport: the IP payload); inbound checks
 * the trailer and strips everything ESP added. One function per mode and direction,
 * chosen when the SA is created.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "esp.h"
#include "esp_frame_out.h"
#include "lib/tunnel_copy.h"
#include "pkt.h"
#include "natt_csum.h"

#define NEXT_HEADER_NONE 59

static void finish_ipv4(struct rte_ipv4_hdr *ip, uint16_t total)
{
	ip->total_length = rte_cpu_to_be_16(total);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = dp_ipv4_cksum(ip);
}

static int out_tunnel(const struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk)
{
	return esp_frame_out_tunnel(sa, m, pk);
}

static int out_transport(const struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk)
{
	struct rte_ipv4_hdr *orig = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t ihl = rte_ipv4_hdr_len(orig);
	uint8_t proto = orig->next_proto_id;
	int rc = esp_add_trailer(sa, m, rte_pktmbuf_pkt_len(m) - ihl, proto, pk);
	if (rc)
		return rc;
	uint8_t *start = (uint8_t *)rte_pktmbuf_prepend(m, sa->outer_len);
	if (start == NULL)
		return DP_DROP_NO_SPACE;
	memmove(start, start + sa->outer_len, ihl);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)start;
	uint8_t *p = start + ihl;
	if (esp_sa_has(sa, ESP_SA_F_UDP_ENCAP)) {
		ip->next_proto_id = IPPROTO_UDP_;
		p = esp_write_udp(sa, p, (uint16_t)(rte_pktmbuf_pkt_len(m) - ihl));
	} else {
		ip->next_proto_id = IPPROTO_ESP_;
	}
	esp_write_header(sa, p, pk);
	finish_ipv4(ip, (uint16_t)rte_pktmbuf_pkt_len(m));
	return 0;
}

/* Checks the decrypted trailer; returns the next header or -(drop reason). */
static int check_trailer(const struct esp_pkt *pk)
{
	const uint8_t *t = pk->icv - 2;
	uint8_t pad = t[0], nh = t[1];
	if ((uint32_t)pad + 2 > pk->payload_len)
		return -DP_DROP_ESP_BAD_PADDING;
	const uint8_t *padding = t - pad;
	for (uint8_t i = 0; i < pad; i++)
		if (padding[i] != (uint8_t)(i + 1))
			return -DP_DROP_ESP_BAD_PADDING;
	if (nh == NEXT_HEADER_NONE)
		return -DP_DROP_ESP_DUMMY;
	return nh;
}

/* A TOS byte changed in place, the header checksum updated for it (RFC 1624). */
static void set_tos(struct rte_ipv4_hdr *ip, uint8_t tos)
{
	uint16_t before, after;
	memcpy(&before, ip, sizeof(before));
	ip->type_of_service = tos;
	memcpy(&after, ip, sizeof(after));
	uint16_t sum = dp_csum_fold((uint64_t)(uint16_t)~ip->hdr_checksum + (uint16_t)~before + after);
	ip->hdr_checksum = (uint16_t)~sum;
}

static int in_tunnel(const struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk)
{
	uint8_t outer_tos = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *)->type_of_service;
	int nh = check_trailer(pk);
	if (nh < 0)
		return -nh;
	if (nh != IPPROTO_IPIP_)
		return DP_DROP_ESP_BAD_NEXT_HEADER;
	uint32_t pad = pk->icv[-2];
	uint16_t head = (uint16_t)(pk->esp + 8 + sa->iv_len - rte_pktmbuf_mtod(m, uint8_t *));
	rte_pktmbuf_adj(m, head);
	dp_pkt_trim(m, (uint16_t)(pad + 2 + sa->icv_len));
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	if (len < sizeof(*ip) || (ip->version_ihl >> 4) != 4 || rte_ipv4_hdr_len(ip) < sizeof(*ip) ||
	    rte_ipv4_hdr_len(ip) > len || rte_be_to_cpu_16(ip->total_length) > len ||
	    rte_be_to_cpu_16(ip->total_length) < rte_ipv4_hdr_len(ip))
		return DP_DROP_MALFORMED;
	dp_pkt_trim(m, (uint16_t)(len - rte_be_to_cpu_16(ip->total_length)));
	uint8_t tos;
	if (!tunnel_inner_tos(outer_tos, ip->type_of_service, sa->copy, &tos))
		return DP_DROP_ESP_ECN;
	if (unlikely(tos != ip->type_of_service))
		set_tos(ip, tos);
	return 0;
}

static int in_transport(const struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk)
{
	int nh = check_trailer(pk);
	if (nh < 0)
		return -nh;
	uint32_t pad = pk->icv[-2];
	uint8_t *start = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t ihl = rte_ipv4_hdr_len((struct rte_ipv4_hdr *)start);
	uint16_t cut = (uint16_t)(pk->esp + 8 + sa->iv_len - start - ihl);
	memmove(start + cut, start, ihl);
	rte_pktmbuf_adj(m, cut);
	dp_pkt_trim(m, (uint16_t)(pad + 2 + sa->icv_len));
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	ip->next_proto_id = (uint8_t)nh;
	finish_ipv4(ip, (uint16_t)rte_pktmbuf_pkt_len(m));
	return 0;
}

/*
 * UDP-encapsulated: an authenticated packet (the ICV and the replay window passed before framing)
 * from another address or port than the SA's peer means that a NAT between rebound the peer
 * (RFC 3948 2.2, RFC 7296 2.23): noted for the control core, which moves the SAs.
 */
static inline void note_source(const struct esp_sa *sa, const struct rte_mbuf *m, struct esp_pkt *pk)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)((const uint8_t *)ip + rte_ipv4_hdr_len(ip));
	if (unlikely(ip->src_addr != sa->remote_be || u->src_port != sa->remote_port_be)) {
		pk->moved = 1;
		pk->from_be = ip->src_addr;
		pk->from_port_be = u->src_port;
	}
}

/* Transport mode through a NAT: the inner checksums were computed over untranslated addresses. */
static int in_transport_natt(const struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk)
{
	note_source(sa, m, pk);
	int rc = in_transport(sa, m, pk);
	if (rc == 0)
		natt_fix_l4_checksum(rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *), rte_pktmbuf_data_len(m),
				     esp_sa_has(sa, ESP_SA_F_NAT_OA), sa->oa_adjust);
	return rc;
}

static int in_tunnel_natt(const struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk)
{
	note_source(sa, m, pk);
	return in_tunnel(sa, m, pk);
}

esp_frame_fn esp_frame_select(bool inbound, bool tunnel, bool udp_encap)
{
	if (inbound && !tunnel)
		return udp_encap ? in_transport_natt : in_transport;
	if (inbound)
		return udp_encap ? in_tunnel_natt : in_tunnel;
	return tunnel ? out_tunnel : out_transport;
}
