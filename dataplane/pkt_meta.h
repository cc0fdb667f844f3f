/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-packet metadata carried in an mbuf dynamic field across the punt and inject rings. */
#ifndef DPIKE_DP_PKT_META_H
#define DPIKE_DP_PKT_META_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

/* Why a worker hands a packet to the control core. */
enum dp_punt_reason {
	DP_PUNT_ARP,        /* L2 frame, ARP */
	DP_PUNT_LOCAL,      /* IPv4 to one of our addresses (ICMP, IKE, ...) */
	DP_PUNT_NEED_NEIGH, /* aux: next hop with no neighbour entry yet; port: egress */
	DP_PUNT_TTL,        /* TTL expired in transit: answer ICMP time exceeded */
	DP_PUNT_FRAG_NEEDED,/* too big with DF set: answer ICMP fragmentation needed, aux: MTU to report */
	DP_PUNT_FRAGMENT,   /* too big, DF clear: fragment to aux bytes and re-inject */
	DP_PUNT_ACQUIRE,    /* matched a trap policy: aux is its trap id; IKE should bring the SA up */
	DP_PUNT_ESP_AWAITED,/* ESP for an SA on its way in (spi_awaited.h): aux is its SPI; held until it is */
};

/* What the control core asks a worker to do with a packet. */
enum dp_inject_kind {
	DP_INJECT_L2,    /* a complete frame: send on port */
	DP_INJECT_LOCAL, /* an IPv4 packet we originate: policy lookup, then routing */
	DP_INJECT_ROUTE, /* an IPv4 packet that only needs routing */
	DP_INJECT_ESP_IN,/* inbound ESP held for its SA (DP_PUNT_ESP_AWAITED), now in: decrypt it */
};

#define DP_META_F_DECRYPTED 0x01 /* the packet arrived through an inbound SA */
#define DP_META_F_PRE_ESP 0x04   /* punted before outbound ESP: re-inject through the policy stage */

struct dp_meta {
	uint32_t aux;
	uint16_t port;
	uint8_t code; /* enum dp_punt_reason or enum dp_inject_kind */
	uint8_t flags;
};

extern int dp_meta_offset;

int dp_meta_register(void);

static inline struct dp_meta *dp_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, dp_meta_offset, struct dp_meta *);
}

#endif
