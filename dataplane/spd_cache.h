/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's cache of SPD results per 5-tuple, in front of dp_spd_lookup()'s hash probes:
 * two-way set-associative, a set to a cache line, no locks (one per worker), nothing allocated
 * per packet. Two ways, so that two flows on one set no longer evict each other: direct-mapped,
 * a table a quarter full keeps only e^-1/4 (78%) of random flows, and the dataplane benchmark's
 * 16,384 flows, whose addresses and ports count up together and which CRC (being linear) put on
 * slots in pairs, hit 64% of the time (100% with two ways).
 *
 * An entry holds the SPD generation it was computed under and the policy that gave it. The
 * control core moves the generation with every change and leaves what a cache needs to judge
 * it (spd.h); the worker reads the generation at the start of a burst (before its lookups). An
 * entry of an older generation is used only once found to stand (its policy not removed and its
 * SA not superseded since, no policy added since that could match the flow), and is then brought
 * up to date; after more wide additions than spd.h's window keeps it is looked up afresh. So an answer
 * is never kept past a change that could make it stale, and IKE SAs rekeyed, coming and going
 * no longer empty every worker's cache.
 * A removed policy stays readable until the worker's next quiescent state.
 */
#ifndef DPIKE_DP_SPD_CACHE_H
#define DPIKE_DP_SPD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crc_hash.h"
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
	uint32_t policy; /* the id of the policy that gave it (0: none), for the cache's change checks */
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
	v.policy = dp_spd_policy_id(p);
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
	uint32_t gen;    /* the SPD generation's low bits; 0: empty */
	uint32_t policy; /* the id of the policy that gave the answer; 0: none */
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
	uint64_t sa_memo_hits; /* of the hits, answered by the memo of the SA a packet was decrypted with */
	uint32_t set_mask; /* sets - 1 */
	struct dp_spd_cache_set set[] __rte_cache_aligned;
} __rte_cache_aligned;

/* An empty cache of entries entries (a power of two, at least two), or NULL. */
struct dp_spd_cache *dp_spd_cache_create(uint32_t entries, int socket);
void dp_spd_cache_free(struct dp_spd_cache *c);

/* Eight bytes from p, wherever they sit: two neighbouring fields read and compared at once. */
static inline uint64_t dp_spd_cache_load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t dp_spd_cache_load32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Three comparisons a way instead of five: the addresses as one word, the ports as another. */
static inline bool dp_spd_cache_same(const struct dp_spd_cache_entry *e, const struct dp_flow *f)
{
	const char *ec = (const char *)e, *fc = (const char *)f;
	return e->gen != 0 &&
	       dp_spd_cache_load64(ec + offsetof(struct dp_spd_cache_entry, src)) ==
		       dp_spd_cache_load64(fc + offsetof(struct dp_flow, src)) &&
	       dp_spd_cache_load32(ec + offsetof(struct dp_spd_cache_entry, sport)) ==
		       dp_spd_cache_load32(fc + offsetof(struct dp_flow, sport)) &&
	       e->proto == f->proto;
}

_Static_assert(offsetof(struct dp_flow, dst) == offsetof(struct dp_flow, src) + 4 &&
		       offsetof(struct dp_flow, dport) == offsetof(struct dp_flow, sport) + 2 &&
		       offsetof(struct dp_spd_cache_entry, dst) == offsetof(struct dp_spd_cache_entry, src) + 4 &&
		       offsetof(struct dp_spd_cache_entry, dport) == offsetof(struct dp_spd_cache_entry, sport) + 2,
	       "dp_spd_cache_same() compares the addresses and the ports in pairs");

/* Whether the entry's answer for flow f, of an older generation than gen, still stands. */
static inline bool dp_spd_cache_still(const struct dp_spd *spd, const struct dp_spd_cache_entry *e, uint64_t gen,
				      const struct dp_flow *f)
{
	uint32_t behind = (uint32_t)gen - e->gen;
	if (behind > UINT32_MAX / 2)
		return false; /* too old to tell from its low bits */
	uint64_t since = gen - behind; /* the entry's whole generation */
	return dp_spd_answer_stands(spd, since, f, e->policy, e->action == DP_POLICY_PROTECT ? e->sa : NULL);
}

static inline struct dp_spd_cache_set *dp_spd_cache_slot(struct dp_spd_cache *c, const struct dp_flow *f)
{
	uint32_t h = dp_crc_8byte((uint64_t)f->src << 32 | f->dst,
					dp_crc_4byte((uint32_t)f->sport << 16 | f->dport, f->proto));
	return &c->set[h & c->set_mask];
}

static inline void dp_spd_cache_answer(const struct dp_spd_cache_entry *e, struct dp_verdict *v)
{
	v->action = e->action;
	v->policy = e->policy;
	v->sa = e->sa; /* the union whole: trap_id with it */
}

/*
 * True, with *v set, when entry e holds flow f's answer under generation gen of spd, having
 * brought an older answer up to date if the changes since spare it (the line is written only then).
 */
static inline bool dp_spd_entry_answers(struct dp_spd_cache_entry *e, const struct dp_spd *spd, uint64_t gen,
					const struct dp_flow *f, struct dp_verdict *v)
{
	if (!dp_spd_cache_same(e, f))
		return false;
	if (e->gen != (uint32_t)gen) {
		if (!dp_spd_cache_still(spd, e, gen, f))
			return false;
		e->gen = (uint32_t)gen;
	}
	dp_spd_cache_answer(e, v);
	return true;
}

/* The same for the flow's set s (a set holds a flow in one way at most), counted. */
static inline bool dp_spd_cache_check(struct dp_spd_cache *c, const struct dp_spd *spd, struct dp_spd_cache_set *s,
				      uint64_t gen, const struct dp_flow *f, struct dp_verdict *v)
{
	for (unsigned i = 0; i < DP_SPD_CACHE_WAYS; i++)
		if (dp_spd_entry_answers(&s->way[i], spd, gen, f, v)) {
			c->hits++;
			return true;
		}
	c->misses++;
	return false;
}

static inline bool dp_spd_cache_get(struct dp_spd_cache *c, const struct dp_spd *spd, uint64_t gen,
				    const struct dp_flow *f, struct dp_verdict *v)
{
	return dp_spd_cache_check(c, spd, dp_spd_cache_slot(c, f), gen, f, v);
}

/* Entry e as flow f's answer v under generation gen. */
static inline void dp_spd_entry_set(struct dp_spd_cache_entry *e, uint64_t gen, const struct dp_flow *f,
				    struct dp_verdict v)
{
	*e = (struct dp_spd_cache_entry){ .gen = (uint32_t)gen, .policy = v.policy, .src = f->src, .dst = f->dst,
					  .sport = f->sport, .dport = f->dport, .proto = f->proto, .action = v.action,
					  .sa = v.sa };
}

/*
 * Records the flow's verdict in s, the flow's set: over its own older answer if the set has one,
 * else in way 0, the answer there moving to way 1.
 */
static inline void dp_spd_cache_fill(struct dp_spd_cache_set *s, uint64_t gen, const struct dp_flow *f,
				     struct dp_verdict v)
{
	struct dp_spd_cache_entry *e = &s->way[0];
	if (dp_spd_cache_same(&s->way[1], f))
		e = &s->way[1];
	else if (!dp_spd_cache_same(&s->way[0], f) && s->way[0].gen != 0)
		s->way[1] = s->way[0];
	dp_spd_entry_set(e, gen, f, v);
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
	if (!dp_spd_cache_get(c, spd, gen, f, &v)) {
		v = dp_verdict_of(dp_spd_lookup(spd, f));
		dp_spd_cache_put(c, gen, f, v);
	}
	return v;
}

#endif
