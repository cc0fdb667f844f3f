/* SPDX-License-Identifier: BSD-3-Clause */
/* Outbound ESP framing shared by esp_frame.c and the code that frames and encrypts in one pass. */
#ifndef DPIKE_DP_ESP_FRAME_OUT_H
#define DPIKE_DP_ESP_FRAME_OUT_H

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "esp.h"
#include "pkt.h"

#define IPPROTO_IPIP_ 4
#define IPPROTO_ESP_ 50
#define IPPROTO_UDP_ 17

struct esp_hdr_wire {
	uint32_t spi;
	uint32_t seq;
} __attribute__((packed));

/*
 * Appends padding (1, 2, 3, ...), pad length and next header (RFC 4303 2.4) plus room for the ICV.
 * Inlined into each framing function, as is esp_write_header(): the calls cost as much as the work.
 */
static inline __attribute__((always_inline)) int esp_add_trailer(const struct esp_sa *sa, struct rte_mbuf *m,
							     uint32_t payload, uint8_t next_header,
							     struct esp_pkt *pk)
{
	uint32_t pad = (0u - (payload + 2)) & (sa->pad_align - 1u); /* pad_align is a power of two */
	uint8_t *t = (uint8_t *)dp_pkt_append(m, (uint16_t)(pad + 2 + sa->icv_len));
	if (t == NULL)
		return DP_DROP_NO_SPACE;
	for (uint32_t i = 0; i < pad; i++)
		t[i] = (uint8_t)(i + 1);
	t[pad] = (uint8_t)pad;
	t[pad + 1] = next_header;
	pk->payload_len = payload + pad + 2;
	pk->icv = t + pad + 2;
	return 0;
}

static inline __attribute__((always_inline)) void esp_write_header(const struct esp_sa *sa, uint8_t *p,
								    struct esp_pkt *pk)
{
	struct esp_hdr_wire *h = (struct esp_hdr_wire *)p;
	h->spi = rte_cpu_to_be_32(sa->spi);
	h->seq = rte_cpu_to_be_32((uint32_t)pk->seq);
	pk->esp = p;
}

static inline uint8_t *esp_write_udp(const struct esp_sa *sa, uint8_t *p, uint16_t len)
{
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)p;
	u->src_port = sa->local_port_be;
	u->dst_port = sa->remote_port_be;
	u->dgram_len = rte_cpu_to_be_16(len);
	u->dgram_cksum = 0; /* allowed for UDP-encapsulated ESP over IPv4 (RFC 3948 2.1) */
	return p + sizeof(*u);
}

/* The tunnel header's checksum from the SA's sum of its fixed fields and this packet's others:
 * no reading back of the header just written. */
static inline uint16_t esp_outer_checksum(const struct esp_sa *sa, uint8_t tos, uint16_t total, uint16_t id,
					  uint16_t df_be)
{
	uint32_t sum = sa->outer_sum + tos + total + id + rte_be_to_cpu_16(df_be);
	return rte_cpu_to_be_16((uint16_t)~dp_csum_fold(sum));
}

/*
 * Tunnel mode: the whole inner packet becomes the payload, behind a new IPv4 header [UDP] and
 * the ESP header. Inlined where GCM seals in the same pass (esp_gcm.c).
 */
static inline __attribute__((always_inline)) int esp_frame_out_tunnel(const struct esp_sa *sa, struct rte_mbuf *m,
								       struct esp_pkt *pk)
{
	const struct rte_ipv4_hdr *inner = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint8_t tos = inner->type_of_service & sa->tos_out_mask;
	uint16_t df = inner->fragment_offset & sa->df_out_be;
	int rc = esp_add_trailer(sa, m, rte_pktmbuf_pkt_len(m), IPPROTO_IPIP_, pk);
	if (rc)
		return rc;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, sa->outer_len);
	if (ip == NULL)
		return DP_DROP_NO_SPACE;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = tos; /* ECN copied as it is: RFC 6040's normal mode */
	ip->packet_id = rte_cpu_to_be_16(pk->ip_id);
	ip->fragment_offset = df;
	ip->time_to_live = ESP_OUTER_TTL;
	ip->src_addr = sa->local_be;
	ip->dst_addr = sa->remote_be;
	uint16_t total = (uint16_t)rte_pktmbuf_pkt_len(m);
	ip->total_length = rte_cpu_to_be_16(total);
	ip->hdr_checksum = esp_outer_checksum(sa, tos, total, pk->ip_id, df);
	uint8_t *p = (uint8_t *)(ip + 1);
	if (esp_sa_has(sa, ESP_SA_F_UDP_ENCAP)) {
		ip->next_proto_id = IPPROTO_UDP_;
		p = esp_write_udp(sa, p, (uint16_t)(total - sizeof(*ip)));
	} else {
		ip->next_proto_id = IPPROTO_ESP_;
	}
	esp_write_header(sa, p, pk);
	return 0;
}

#endif
