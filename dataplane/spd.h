/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Security policy database, shared by all workers and changed in place by the control core.
 *
 * Tuple space search: policies are grouped into classes by the shape of their selectors
 * (source and destination prefix lengths; whether protocol and each port are one exact value).
 * Within a class a packet has one candidate key (its masked addresses and exact fields), so
 * one hash probe per class finds the policies that may match; ports given as ranges are not
 * part of the key and are checked on the candidates. One lock-free hash holds every class's
 * keys; each key leads a list of its policies in order of priority, the newest first among
 * equals (a second child with the same selectors, say of a peer that reconnected without
 * INITIAL_CONTACT, carries the traffic out, and the older one again once it goes). The classes are kept
 * in order of the best priority they hold, so a lookup stops at the first class that cannot
 * beat what it found. Inserting or removing a policy costs a few hash operations whatever
 * the size of the SPD.
 *
 * Workers read without locks: new nodes are fully written before they are linked (release
 * stores), removed nodes are freed after an RCU grace period, and `gen` moves after every
 * change so that per-worker flow caches forget what they learned before it.
 */
#ifndef DPIKE_DP_SPD_H
#define DPIKE_DP_SPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_hash.h>

#include "crc_hash.h"
#include "flow.h"
#include "lib/u64map.h"

struct esp_sa;
struct rte_rcu_qsbr;

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

#define DP_SPD_MAX_CLASSES 1024

/* The hash key of a policy, or of a packet within one class. */
struct dp_spd_key {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, zero;
	uint16_t cls;
};

/* A class of policies with selectors of one shape. */
struct dp_spd_class {
	uint32_t src_mask, dst_mask;
	bool exact_proto, exact_sport, exact_dport;
	uint16_t id;
	uint32_t best_priority; /* no policy of the class has a lower one */
};

struct dp_spd_classes {
	uint32_t n;
	struct dp_spd_class c[];
};

struct dp_spd_node {
	struct dp_policy policy;            /* first: lookups hand out &node->policy */
	struct dp_spd_node *next;           /* same key, next in order; atomic */
	uint64_t order;                     /* priority, then insertion: lower first */
	uint32_t id;                        /* names it in the removal stamps and cache entries; never 0 */
	/* The control core's alone. */
	uint64_t owner;
	struct dp_spd_node *owner_next, *sa_next;
	struct dp_spd_key key;
};

/* Hands a no-longer-linked object to whoever frees it after a grace period. */
typedef void (*dp_spd_retire_fn)(void (*free_fn)(void *), void *ptr);

/*
 * What a flow cache needs to keep an answer across changes instead of starting over after each
 * (spd_cache.h). Policies removed and SAs superseded by rekeys leave a stamp, the generation of
 * the change, in a table indexed by the policy's id or the SA's address (two that share a slot
 * only cost a lookup): an answer from before its policy's or SA's stamp is stale.
 *
 * Policies added are stamped where the flows they could match will look. A policy with a side no
 * wider than a /16 (a remote-access client's address, a branch's subnet: what comes and goes by the
 * thousand on a concentrator) is stamped by that side's address (of two as narrow, the peer's), in
 * the lines of stamps of the /24s it covers: at[0] for anything wider than one address, at[1..7]
 * for single addresses by their last byte. A flow reads the lines of its source and destination:
 * no newer stamp there, and no policy can have been added since that matches it. The rest, wide on
 * both sides and rare, go to a window of the last DP_SPD_ADDS, each with its selectors: an answer
 * stands after an added policy whose selectors do not match the flow; after more wide additions
 * than the window keeps it is looked up afresh. Window entries are written like a seqlock (seq 0
 * while the rest is written); stamps only grow.
 */
#define DP_SPD_ADDS 32 /* also the most wide additions a cache entry is carried across at once: each costs a check */
#define DP_SPD_STAMPS 65536 /* a power of two */
#define DP_SPD_NARROW_PLEN 16 /* a side at least this long is stamped by address, in each /24 it covers */
#define DP_SPD_ADD_LINES 8192 /* per side; a power of two */
#define DP_SPD_ADD_HOSTS 7    /* single-address stamps a line */

struct dp_spd_add_line {
	uint64_t at[1 + DP_SPD_ADD_HOSTS]; /* atomic */
} __rte_cache_aligned;

struct dp_spd_added {
	uint64_t seq; /* the addition's number, from 1; 0 while being written; atomic */
	uint64_t gen; /* the generation it made */
	struct traffic_selector src, dst;
} __rte_cache_aligned;

struct dp_spd {
	uint64_t gen; /* moves with every change, one step each; never 0; atomic */
	uint64_t n_added; /* wide additions made, the last DP_SPD_ADDS in added[]; atomic */
	struct rte_hash *h;
	const struct dp_spd_classes *classes; /* replaced as a whole, by RCU; atomic */
	/* The control core's alone. */
	dp_spd_retire_fn retire;
	uint64_t seq;
	uint32_t n_policies, capacity, n_classes;
	uint32_t cls_end; /* class ids in use are below it */
	bool classes_dirty;
	struct dp_spd_class cls[DP_SPD_MAX_CLASSES]; /* by id; count 0: free */
	uint32_t cls_count[DP_SPD_MAX_CLASSES];
	uint32_t last_id;
	struct dp_spd_added added[DP_SPD_ADDS];    /* wide addition n at n % DP_SPD_ADDS */
	struct dp_spd_add_line added_src[DP_SPD_ADD_LINES], added_dst[DP_SPD_ADD_LINES]; /* narrow additions */
	uint64_t removed_at[DP_SPD_STAMPS];        /* by policy id: the generation of its removal; atomic */
	uint64_t superseded_at[DP_SPD_STAMPS];     /* by SA address: the generation a rekey superseded it; atomic */
	struct u64map by_owner, by_sa; /* first node of each owner's / outbound SA's list */
};

static inline void dp_spd_class_key(const struct dp_spd_class *c, const struct dp_flow *f, struct dp_spd_key *k)
{
	k->src = f->src & c->src_mask;
	k->dst = f->dst & c->dst_mask;
	k->sport = c->exact_sport ? f->sport : 0;
	k->dport = c->exact_dport ? f->dport : 0;
	k->proto = c->exact_proto ? f->proto : 0;
	k->cls = c->id;
	k->zero = 0;
}

static inline bool dp_selectors_match(const struct traffic_selector *src, const struct traffic_selector *dst,
				      const struct dp_flow *f)
{
	return ts_match_addr(dst, f->dst) && ts_match_addr(src, f->src) && ts_match_port(src, f->proto, f->sport) &&
	       ts_match_port(dst, f->proto, f->dport);
}

static inline bool dp_policy_matches(const struct dp_policy *p, const struct dp_flow *f)
{
	return dp_selectors_match(&p->src, &p->dst, f);
}

/* The id of a policy a lookup handed out (0: none). */
static inline uint32_t dp_spd_policy_id(const struct dp_policy *p)
{
	return p ? ((const struct dp_spd_node *)(const void *)p)->id : 0;
}

static inline uint32_t dp_spd_sa_stamp(const struct esp_sa *sa)
{
	uintptr_t a = (uintptr_t)sa >> 6; /* SAs are cache-line aligned */
	return (uint32_t)(a ^ (a >> 16)) & (DP_SPD_STAMPS - 1);
}

/* Where a narrow addition whose side holds addr is stamped: the line of its /24, then the slot. */
static inline uint32_t dp_spd_add_line_of(uint32_t addr)
{
	return dp_crc_4byte(addr >> 8, 0) & (DP_SPD_ADD_LINES - 1);
}

static inline unsigned dp_spd_add_host_of(uint32_t addr)
{
	return 1 + (addr & 0xff) % DP_SPD_ADD_HOSTS;
}

/* Whether a policy with a narrow side that addr lies in may have been added after generation since. */
static inline bool dp_spd_added_near(const struct dp_spd_add_line lines[], uint32_t addr, uint64_t since)
{
	const struct dp_spd_add_line *l = &lines[dp_spd_add_line_of(addr)];
	return __atomic_load_n(&l->at[0], __ATOMIC_ACQUIRE) > since ||
	       __atomic_load_n(&l->at[dp_spd_add_host_of(addr)], __ATOMIC_ACQUIRE) > since;
}

/* Whether the wide additions made after generation since (none matching f, at most DP_SPD_ADDS) spare f's answer. */
static inline bool dp_spd_wide_adds_spare(const struct dp_spd *spd, uint64_t since, const struct dp_flow *f)
{
	uint64_t n = __atomic_load_n(&spd->n_added, __ATOMIC_ACQUIRE);
	for (unsigned k = 0; k < DP_SPD_ADDS && n > 0; k++, n--) {
		const struct dp_spd_added *a = &spd->added[(n - 1) % DP_SPD_ADDS];
		if (__atomic_load_n(&a->seq, __ATOMIC_ACQUIRE) != n)
			return false; /* being overwritten: too far back */
		uint64_t gen = a->gen;
		bool matches = dp_selectors_match(&a->src, &a->dst, f);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&a->seq, __ATOMIC_RELAXED) != n)
			return false;
		if (gen <= since)
			return true; /* this one and all before it came before the answer */
		if (matches)
			return false;
	}
	return n == 0; /* every addition checked, or more than the window keeps */
}

/* Whether the additions made after generation since spare an answer for f. */
static inline bool dp_spd_adds_spare(const struct dp_spd *spd, uint64_t since, const struct dp_flow *f)
{
	return !dp_spd_added_near(spd->added_dst, f->dst, since) && !dp_spd_added_near(spd->added_src, f->src, since) &&
	       dp_spd_wide_adds_spare(spd, since, f);
}

/*
 * Whether an answer for flow f that policy (an id; 0 for none) gave with sa (NULL for none) under
 * generation since still stands: neither was removed or superseded since, and no policy added
 * since matches f. Only compares sa, which may be gone: never reads it.
 */
static inline bool dp_spd_answer_stands(const struct dp_spd *spd, uint64_t since, const struct dp_flow *f,
					uint32_t policy, const struct esp_sa *sa)
{
	if (policy && __atomic_load_n(&spd->removed_at[policy & (DP_SPD_STAMPS - 1)], __ATOMIC_ACQUIRE) > since)
		return false;
	if (sa && __atomic_load_n(&spd->superseded_at[dp_spd_sa_stamp(sa)], __ATOMIC_ACQUIRE) > since)
		return false;
	return dp_spd_adds_spare(spd, since, f);
}

/* The first policy of a class's candidate list that matches and is ahead of best, or best. */
static inline const struct dp_spd_node *dp_spd_probe(const struct dp_spd *spd, const struct dp_spd_class *c,
						     const struct dp_flow *f, const struct dp_spd_node *best)
{
	struct dp_spd_key k;
	void *head;
	dp_spd_class_key(c, f, &k);
	if (rte_hash_lookup_data(spd->h, &k, &head) < 0)
		return best;
	for (const struct dp_spd_node *n = head; n != NULL; n = __atomic_load_n(&n->next, __ATOMIC_ACQUIRE)) {
		if (best != NULL && n->order >= best->order)
			break;
		if (dp_policy_matches(&n->policy, f))
			return n;
	}
	return best;
}

/* The best matching policy (lowest priority, then newest), or NULL. */
static inline const struct dp_policy *dp_spd_lookup(const struct dp_spd *spd, const struct dp_flow *f)
{
	const struct dp_spd_classes *cl = __atomic_load_n(&spd->classes, __ATOMIC_ACQUIRE);
	const struct dp_spd_node *best = NULL;
	for (uint32_t i = 0; i < cl->n; i++) {
		const struct dp_spd_class *c = &cl->c[i];
		if (best != NULL && c->best_priority > best->policy.priority)
			break; /* classes are in best_priority order: none further can win */
		best = dp_spd_probe(spd, c, f, best);
	}
	return best ? &best->policy : NULL;
}

/*
 * dp_spd_lookup() for n flows (n <= DP_SPD_BULK_MAX) at once: one bulk hash probe per class
 * for all of them, and the candidate lists prefetched before they are walked, so that the
 * memory misses of different packets overlap instead of queueing. Same answers.
 */
#define DP_SPD_BULK_MAX RTE_HASH_LOOKUP_BULK_MAX
void dp_spd_lookup_bulk(const struct dp_spd *spd, const struct dp_flow *const flows[], uint32_t n,
			const struct dp_policy *out[]);

static inline uint64_t dp_spd_gen(const struct dp_spd *spd)
{
	return __atomic_load_n(&spd->gen, __ATOMIC_ACQUIRE);
}


/* Priority of a policy: more specific selectors first; at equal specificity by rank. */
uint32_t dp_policy_priority(const struct traffic_selector *src, const struct traffic_selector *dst,
			    enum dp_policy_rank rank);

/* An empty SPD for up to capacity policies; NULL when out of memory. Control core only from here on. */
struct dp_spd *dp_spd_create(const char *name, uint32_t capacity, struct rte_rcu_qsbr *qsv, dp_spd_retire_fn retire);
/* Frees the SPD and its policies; no worker may use it any more. */
void dp_spd_free(struct dp_spd *spd);
/* -1 when the SPD is full or out of memory (nothing changed then). */
int dp_spd_add(struct dp_spd *spd, const struct dp_policy *p, uint64_t owner);
void dp_spd_remove_owner(struct dp_spd *spd, uint64_t owner);
/* Removes the policies that protect with sa. */
void dp_spd_remove_sa(struct dp_spd *spd, const struct esp_sa *sa);
/*
 * A rekey with the same selectors: old_owner's policies pass to new_owner, and those that
 * protect with old_sa protect with new_sa, in place. Every flow keeps its policy and only the
 * SA of a PROTECT verdict changes: one change (old_sa stamped superseded), after which the flow
 * caches look up afresh only the flows they knew with old_sa. -1, with nothing changed, when new_owner
 * or new_sa already has policies, old_sa has policies of another owner, or memory runs out.
 */
int dp_spd_rekey(struct dp_spd *spd, uint64_t old_owner, uint64_t new_owner, const struct esp_sa *old_sa,
		 struct esp_sa *new_sa);
/* Bytes the SPD holds (nodes, indexes, class list); the hash is counted by its allocator. */
size_t dp_spd_bytes(const struct dp_spd *spd);

#endif
