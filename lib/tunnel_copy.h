/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a tunnel-mode SA carries between the inner and the outer IPv4 header: swanctl's copy_df,
 * copy_ecn and copy_dscp, as bits set by the configuration and read by the dataplane.
 */
#ifndef DPIKE_LIB_TUNNEL_COPY_H
#define DPIKE_LIB_TUNNEL_COPY_H

#include <stdbool.h>
#include <stdint.h>

enum tunnel_copy {
	TUNNEL_COPY_DF = 1,       /* outbound: the inner DF bit to the outer header */
	TUNNEL_COPY_ECN = 2,      /* outbound: ECN copied; inbound: congestion marks passed in (RFC 6040) */
	TUNNEL_COPY_DSCP_OUT = 4, /* outbound: the inner DSCP to the outer header */
	TUNNEL_COPY_DSCP_IN = 8,  /* inbound: the outer DSCP replaces the inner one */
	TUNNEL_COPY_DEFAULT = TUNNEL_COPY_DF | TUNNEL_COPY_ECN | TUNNEL_COPY_DSCP_OUT, /* as swanctl */
};

#define TOS_ECN_MASK 0x03
#define TOS_DSCP_MASK 0xfc
#define ECN_NOT_ECT 0
#define ECN_ECT1 1
#define ECN_ECT0 2
#define ECN_CE 3

/* The outer header's TOS byte for an inner one. */
static inline uint8_t tunnel_outer_tos(uint8_t inner, unsigned copy)
{
	uint8_t keep = (copy & TUNNEL_COPY_DSCP_OUT ? TOS_DSCP_MASK : 0) | (copy & TUNNEL_COPY_ECN ? TOS_ECN_MASK : 0);
	return inner & keep;
}

/*
 * The inner header's TOS byte after decapsulation (RFC 6040 4.2, normal mode): a congestion
 * mark on the outer header reaches an ECN-capable inner packet, and ECT(1) outside replaces
 * ECT(0) inside. False when the packet must be dropped: marked congested outside, but inside
 * not ECN-capable, so that its sender never learns of the congestion otherwise.
 */
static inline bool tunnel_inner_tos(uint8_t outer, uint8_t inner, unsigned copy, uint8_t *out)
{
	uint8_t ecn = inner & TOS_ECN_MASK, oecn = outer & TOS_ECN_MASK;
	uint8_t dscp = copy & TUNNEL_COPY_DSCP_IN ? outer & TOS_DSCP_MASK : inner & TOS_DSCP_MASK;
	if (copy & TUNNEL_COPY_ECN) {
		if (ecn == ECN_NOT_ECT && oecn == ECN_CE)
			return false;
		if (ecn != ECN_NOT_ECT && oecn == ECN_CE)
			ecn = ECN_CE;
		else if (ecn == ECN_ECT0 && oecn == ECN_ECT1)
			ecn = ECN_ECT1;
	}
	*out = (uint8_t)(dscp | ecn);
	return true;
}

#endif
