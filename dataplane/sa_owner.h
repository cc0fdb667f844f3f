/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which worker may change an SA's shared state (its use, and inbound its replay window) with
 * plain stores. Workers that share an SA agree through a locked instruction per run of its
 * packets in a burst; over many SAs each packet is a run of its own and pays one or more, each
 * waiting for the core's stores to drain (session 32 in docs/PERFORMANCE.md: half of what a
 * second SA cost encryption). So the first worker to use an SA owns it and updates it plainly;
 * when another worker comes, the SA becomes shared for good, with locked updates by all, once
 * the owner has passed an epoch: a point between its bursts, after which it sees the change and
 * before which all its plain stores are visible. One SA's flows still spread over every worker,
 * and an SA one worker keeps to itself (inbound, where the NIC hashes its outer header to one
 * queue; outbound, a single flow) costs no locked instruction.
 *
 * An owner (struct esp_ctx) registers, and calls sa_owner_quiesce() between bursts (a worker's
 * loop does, idle or not); until it does, or goes offline, a worker taking one of its SAs over
 * waits, marking its own epochs meanwhile so that two workers taking each other's SAs both go on.
 */
#ifndef DPIKE_DP_SA_OWNER_H
#define DPIKE_DP_SA_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

/* The owner field of an SA (16 bits, changed by compare-and-swap): an owner's id, or these. */
#define SA_OWNER_NONE 0xffffu     /* no worker has used the SA yet */
#define SA_OWNER_SHARED 0xfffeu   /* every worker updates it with locked instructions */
#define SA_OWNER_HANDOVER 0x8000u /* | the owner: becoming shared, once the owner passes an epoch */
/* Owners registered at once; a context registered beyond them never owns an SA. */
#define SA_OWNERS_MAX 256

struct sa_owner_slot {
	uint64_t epoch; /* atomic: moved by sa_owner_quiesce() */
	uint8_t used;   /* atomic: registered */
	uint8_t online; /* atomic: may hold plain updates begun; waiters wait only for online owners */
} __rte_cache_aligned;

extern struct sa_owner_slot sa_owner_slots[SA_OWNERS_MAX];

/* An id for a new owner, online; SA_OWNER_SHARED (never owns, always locks) when all are taken. */
uint16_t sa_owner_register(void);
/* The id's owner is gone: its updates are all visible, its SAs free for any other to take. */
void sa_owner_unregister(uint16_t id);
/* Offline (a stopped worker), nobody waits for its epochs; online again before it updates SAs. */
void sa_owner_set_online(uint16_t id, bool online);

/* Between bursts: no plain update of this owner is under way, and the next sees any handover. */
static inline void sa_owner_quiesce(uint16_t id)
{
	if (id < SA_OWNERS_MAX) /* a locked add: a full fence too, which the handover needs */
		__atomic_fetch_add(&sa_owner_slots[id].epoch, 1, __ATOMIC_SEQ_CST);
}

/* The slow path of sa_owner_mine(): claims an unused SA, or takes an owned one over. */
bool sa_owner_settle(uint16_t *owner, uint16_t me);

/*
 * Whether `me` owns the SA now, without claiming or taking it over: for what only an owner keeps
 * (ipsec_stage.c's memo), after sa_owner_mine() settled the SA earlier in the burst.
 */
static inline bool sa_owner_is(const uint16_t *owner, uint16_t me)
{
	return me < SA_OWNERS_MAX && __atomic_load_n(owner, __ATOMIC_RELAXED) == me;
}

/* Whether `me` may update the SA whose owner field this is with plain stores until its next quiesce. */
static inline bool sa_owner_mine(uint16_t *owner, uint16_t me)
{
	uint16_t o = __atomic_load_n(owner, __ATOMIC_RELAXED);
	if (o == SA_OWNER_SHARED) /* first: an owner without an id is SA_OWNER_SHARED itself */
		return false;
	if (likely(o == me))
		return true;
	return sa_owner_settle(owner, me);
}

#endif
