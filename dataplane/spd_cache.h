/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's cache of SPD results per 5-tuple, in front of dp_spd_lookup()'s hash probes:
 * two-way set-associative, a set to a cache line, no locks (one per worker), nothing allocated
 * per packet. Two ways, so that two flows on one set no longer evict each other: direct-mapped,
 * a table a quarter full keeps only e^-1/4 (78%) of random flows, and the dataplane benchmark's
 * 16,384 flows, whose addresses and ports count up together and which CRC (being linear) put on
 * slots in pairs, hit 64% of the time (100% with two ways). An entry holds the
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

/*
 * Entries by default (workers.flow_cache_size; a power of two): 2 MiB a worker, room for the
 * flows of tens of thousands of SAs. Traffic of a million SAs wants a few million.
 */
#define DP_SPD_CACHE_DEFAULT_ENTRIES 65536
#define DP_SPD_CACHE_WAYS 2

/*
 * What the policy stage needs of a flow's policy, kept in the cache itself so that a hit reads no
 * policy: with many SAs the policy is one more cold line between the packet and its SA.
 */
struct dp_verdict {
	uint8_t action; /* enum dp_policy_action; DP_POLICY_BYPASS also when no policy matches */
	union {
		struct esp_sa *sa; /* DP_POLICY_PROTECT */
		uint32_t trap_id;  /* DP_POLICY_TRAP */
	};
};

static inline struct dp_verdict dp_verdict_of(const struct dp_policy *p)
{
	struct dp_verdict v = { .action = DP_POLICY_BYPASS, .sa = NULL };
	if (p == NULL)
		return v;
	v.action = p->action;
	if (p->action == DP_POLICY_TRAP)
		v.trap_id = p->trap_id;
	else
		v.sa = __atomic_load_n(&p->sa, __ATOMIC_ACQUIRE); /* a rekey changes it in place: dp_spd_rekey() */
	return v;
}

static inline bool dp_verdict_same(struct dp_verdict a, struct dp_verdict b)
{
	return a.action == b.action && (a.action == DP_POLICY_TRAP ? a.trap_id == b.trap_id : a.sa == b.sa);
}

struct dp_spd_cache_entry {
	uint64_t gen; /* 0: empty */
	union {
		struct esp_sa *sa;
		uint32_t trap_id;
	};
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, action;
};

/* Way 0 holds the set's latest answer: a new one moves it to way 1. */
struct dp_spd_cache_set {
	struct dp_spd_cache_entry way[DP_SPD_CACHE_WAYS];
} __rte_cache_aligned;

_Static_assert(sizeof(struct dp_spd_cache_set) == RTE_CACHE_LINE_SIZE, "a lookup reads one line");

struct dp_spd_cache {
	uint64_t hits, misses;
	uint32_t set_mask; /* sets - 1 */
	struct dp_spd_cache_set set[] __rte_cache_aligned;
} __rte_cache_aligned;

/* An empty cache of entries entries (a power of two, at least two), or NULL. */
struct dp_spd_cache *dp_spd_cache_create(uint32_t entries, int socket);
void dp_spd_cache_free(struct dp_spd_cache *c);

static inline bool dp_spd_cache_same(const struct dp_spd_cache_entry *e, uint64_t gen, const struct dp_flow *f)
{
	return e->gen == gen && e->src == f->src && e->dst == f->dst && e->sport == f->sport && e->dport == f->dport &&
	       e->proto == f->proto;
}

static inline struct dp_spd_cache_set *dp_spd_cache_slot(struct dp_spd_cache *c, const struct dp_flow *f)
{
	uint32_t h = rte_hash_crc_8byte((uint64_t)f->src << 32 | f->dst,
					rte_hash_crc_4byte((uint32_t)f->sport << 16 | f->dport, f->proto));
	return &c->set[h & c->set_mask];
}

static inline void dp_spd_cache_answer(const struct dp_spd_cache_entry *e, struct dp_verdict *v)
{
	v->action = e->action;
	v->sa = e->sa; /* the union whole: trap_id with it */
}

/* True, with *v set, when the flow's set s knows its answer under generation gen. */
static inline bool dp_spd_cache_check(struct dp_spd_cache *c, const struct dp_spd_cache_set *s, uint64_t gen,
				      const struct dp_flow *f, struct dp_verdict *v)
{
	for (unsigned i = 0; i < DP_SPD_CACHE_WAYS; i++)
		if (dp_spd_cache_same(&s->way[i], gen, f)) {
			c->hits++;
			dp_spd_cache_answer(&s->way[i], v);
			return true;
		}
	c->misses++;
	return false;
}

static inline bool dp_spd_cache_get(struct dp_spd_cache *c, uint64_t gen, const struct dp_flow *f,
				    struct dp_verdict *v)
{
	return dp_spd_cache_check(c, dp_spd_cache_slot(c, f), gen, f, v);
}

/* Records the flow's verdict in s, the flow's set, in place of its older answer. */
static inline void dp_spd_cache_fill(struct dp_spd_cache_set *s, uint64_t gen, const struct dp_flow *f,
				     struct dp_verdict v)
{
	if (s->way[0].gen == gen)
		s->way[1] = s->way[0];
	s->way[0] = (struct dp_spd_cache_entry){ .gen = gen, .src = f->src, .dst = f->dst, .sport = f->sport,
						 .dport = f->dport, .proto = f->proto, .action = v.action, .sa = v.sa };
}

static inline void dp_spd_cache_put(struct dp_spd_cache *c, uint64_t gen, const struct dp_flow *f,
				    struct dp_verdict v)
{
	dp_spd_cache_fill(dp_spd_cache_slot(c, f), gen, f, v);
}

static inline struct dp_verdict dp_spd_cached_lookup(struct dp_spd_cache *c, const struct dp_spd *spd, uint64_t gen,
						     const struct dp_flow *f)
{
	struct dp_verdict v;
	if (!dp_spd_cache_get(c, gen, f, &v)) {
		v = dp_verdict_of(dp_spd_lookup(spd, f));
		dp_spd_cache_put(c, gen, f, v);
	}
	return v;
}

#endif
