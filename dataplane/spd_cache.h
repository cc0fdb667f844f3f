/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's cache of SPD results per 5-tuple, in front of dp_spd_lookup()'s hash probes:
 * direct-mapped, no locks (one per worker), nothing allocated per packet. An entry holds the
 * SPD generation it was computed under, so any change to the SPD invalidates every entry at
 * once. The worker reads the generation at the start of a burst (before its lookups), and the
 * control core moves it after each change, so an answer is never kept past the change that
 * made it stale; a removed policy stays readable until the worker's next quiescent state.
 */
#ifndef DPIKE_DP_SPD_CACHE_H
#define DPIKE_DP_SPD_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash_crc.h>

#include "spd.h"

/* A power of two: 2 MiB a worker, room for the flows of tens of thousands of SAs. */
#define DP_SPD_CACHE_SIZE 65536

struct dp_spd_cache_entry {
	uint64_t gen; /* 0: empty */
	const struct dp_policy *policy; /* NULL: no policy matches this flow */
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
};

struct dp_spd_cache {
	uint64_t hits, misses;
	struct dp_spd_cache_entry e[DP_SPD_CACHE_SIZE];
} __rte_cache_aligned;

static inline bool dp_spd_cache_same(const struct dp_spd_cache_entry *e, uint64_t gen, const struct dp_flow *f)
{
	return e->gen == gen && e->src == f->src && e->dst == f->dst && e->sport == f->sport && e->dport == f->dport &&
	       e->proto == f->proto;
}

static inline struct dp_spd_cache_entry *dp_spd_cache_slot(struct dp_spd_cache *c, const struct dp_flow *f)
{
	uint32_t h = rte_hash_crc_8byte((uint64_t)f->src << 32 | f->dst,
					rte_hash_crc_4byte((uint32_t)f->sport << 16 | f->dport, f->proto));
	return &c->e[h & (DP_SPD_CACHE_SIZE - 1)];
}

/* True, with *p set, when the cache entry e (the flow's slot) knows its answer under generation gen. */
static inline bool dp_spd_cache_check(struct dp_spd_cache *c, const struct dp_spd_cache_entry *e, uint64_t gen,
				      const struct dp_flow *f, const struct dp_policy **p)
{
	if (dp_spd_cache_same(e, gen, f)) {
		c->hits++;
		*p = e->policy;
		return true;
	}
	c->misses++;
	return false;
}

static inline bool dp_spd_cache_get(struct dp_spd_cache *c, uint64_t gen, const struct dp_flow *f,
				    const struct dp_policy **p)
{
	return dp_spd_cache_check(c, dp_spd_cache_slot(c, f), gen, f, p);
}

static inline void dp_spd_cache_put(struct dp_spd_cache *c, uint64_t gen, const struct dp_flow *f,
				    const struct dp_policy *p)
{
	*dp_spd_cache_slot(c, f) = (struct dp_spd_cache_entry){ .gen = gen, .src = f->src, .dst = f->dst,
								 .sport = f->sport, .dport = f->dport, .proto = f->proto,
								 .policy = p };
}

static inline const struct dp_policy *dp_spd_cached_lookup(struct dp_spd_cache *c, const struct dp_spd *spd,
							   uint64_t gen, const struct dp_flow *f)
{
	const struct dp_policy *p;
	if (!dp_spd_cache_get(c, gen, f, &p)) {
		p = dp_spd_lookup(spd, f);
		dp_spd_cache_put(c, gen, f, p);
	}
	return p;
}

#endif
