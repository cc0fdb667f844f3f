/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Security policy database: an immutable, priority-ordered snapshot that a worker
 * searches for the first policy matching a packet's 5-tuple. The control core builds a
 * new snapshot for every change and publishes it with RCU.
 */
#ifndef DPIKE_DP_SPD_H
#define DPIKE_DP_SPD_H

#include <stdint.h>

#include "flow.h"

struct esp_sa;

enum dp_policy_action {
	DP_POLICY_PROTECT, /* outbound: encrypt with sa */
	DP_POLICY_BYPASS,  /* forward in the clear */
	DP_POLICY_DISCARD, /* drop */
	DP_POLICY_REQUIRE, /* inbound: this traffic must arrive through an SA; cleartext is dropped */
	DP_POLICY_TRAP,    /* outbound: no SA yet; hand the packet to the control core to start IKE */
};

/* Among equally specific policies: shunts first, then installed SAs, then traps. */
enum dp_policy_rank { DP_RANK_SHUNT, DP_RANK_SA, DP_RANK_TRAP };

struct dp_policy {
	struct traffic_selector src, dst;
	uint32_t priority; /* lower wins */
	uint8_t action;
	uint32_t trap_id; /* DP_POLICY_TRAP: passed to the control core with the packet */
	struct esp_sa *sa;
};

struct dp_spd {
	uint64_t gen; /* this snapshot's number, never 0: workers' flow caches key on it */
	uint32_t n;
	struct dp_policy p[];
};

/* First matching policy, or NULL. */
static inline const struct dp_policy *dp_spd_lookup(const struct dp_spd *spd, const struct dp_flow *f)
{
	for (uint32_t i = 0; i < spd->n; i++) {
		const struct dp_policy *p = &spd->p[i];
		if (ts_match_addr(&p->dst, f->dst) && ts_match_addr(&p->src, f->src) &&
		    ts_match_port(&p->src, f->proto, f->sport) && ts_match_port(&p->dst, f->proto, f->dport))
			return p;
	}
	return NULL;
}

/* Priority of a policy: more specific selectors first; at equal specificity by rank. */
uint32_t dp_policy_priority(const struct traffic_selector *src, const struct traffic_selector *dst,
			    enum dp_policy_rank rank);

#endif
