/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding state a worker reads: routes, neighbours (ARP results and static entries),
 * the appliance's own addresses and its ports. One immutable snapshot, replaced with RCU.
 */
#ifndef DPIKE_DP_FIB_H
#define DPIKE_DP_FIB_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "crc_hash.h"
#include "dp_stats.h"

struct dp_route {
	uint32_t prefix, mask; /* host order */
	uint32_t via;          /* 0: the destination itself is the next hop */
	uint16_t port;
	uint8_t plen;
};

struct dp_neigh {
	uint32_t ip;
	uint16_t port;
	struct rte_ether_addr mac;
};

struct dp_local_addr {
	uint32_t addr;
	uint16_t port;
};

/* What an SA's packets may grow to when no route leads to its peer (they are dropped later anyway). */
#define DP_NO_ROUTE_MTU 1500

struct dp_port_info {
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint32_t addr;
};

/*
 * A lookup walks the routes, longest prefix first, or probes one small hash table per prefix
 * length in use, longest first: a probe costs about as much as ten steps of the walk (a CRC and a
 * read), so the tables are built when there are more than DP_FIB_WALK_PER_LEN routes a length in
 * use. Then ten thousand routes cost what a hundred do.
 */
#define DP_FIB_WALK_PER_LEN 10

/* The routes of one prefix length: open addressing, slots holding a route's index + 1 (0: empty). */
struct dp_fib_len {
	uint32_t mask;
	uint32_t slot_mask; /* slots - 1 */
	uint32_t *slots;
};

struct dp_fib {
	uint16_t n_ports;
	uint16_t min_mtu; /* the smallest MTU a packet can meet: of the ports, and DP_NO_ROUTE_MTU */
	struct dp_port_info ports[DP_MAX_PORTS];
	uint32_t n_local, n_routes, n_neigh, n_lens;
	struct dp_local_addr *local;
	struct dp_route *routes; /* longest prefix first */
	struct dp_neigh *neigh;
	uint32_t *neigh_slots;   /* open addressing by (ip, port): a neighbour's index + 1, 0 when empty */
	uint32_t neigh_slot_mask;
	struct dp_fib_len lens[33]; /* the lengths in use, longest first, when probing beats walking */
	size_t bytes;               /* of the whole allocation */
	/* the arrays follow in the same allocation */
};

static inline bool dp_fib_is_local(const struct dp_fib *fib, uint32_t addr)
{
	for (uint32_t i = 0; i < fib->n_local; i++)
		if (fib->local[i].addr == addr)
			return true;
	return false;
}

static inline uint32_t dp_fib_slot(uint32_t prefix)
{
	return dp_crc_4byte(prefix, 0xf1b);
}

static inline const struct dp_route *dp_fib_route_in(const struct dp_fib *fib, const struct dp_fib_len *l,
						     uint32_t dst)
{
	uint32_t key = dst & l->mask;
	for (uint32_t h = dp_fib_slot(key) & l->slot_mask;; h = (h + 1) & l->slot_mask) {
		uint32_t r = l->slots[h];
		if (r == 0)
			return NULL;
		if (fib->routes[r - 1].prefix == key)
			return &fib->routes[r - 1];
	}
}

/* The longest-prefix route to dst, or NULL. */
static inline const struct dp_route *dp_fib_route(const struct dp_fib *fib, uint32_t dst)
{
	if (fib->n_lens == 0) {
		for (uint32_t i = 0; i < fib->n_routes; i++)
			if ((dst & fib->routes[i].mask) == fib->routes[i].prefix)
				return &fib->routes[i];
		return NULL;
	}
	for (uint32_t i = 0; i < fib->n_lens; i++) {
		const struct dp_route *r = dp_fib_route_in(fib, &fib->lens[i], dst);
		if (r != NULL)
			return r;
	}
	return NULL;
}

static inline uint32_t dp_fib_neigh_slot(uint32_t ip, uint16_t port)
{
	return dp_crc_4byte(ip, 0x6e00u | port);
}

/* The neighbour ip on port, or NULL: a probe of a table at most half full (the snapshot is built unsorted, in O(n)). */
static inline const struct dp_neigh *dp_fib_neigh(const struct dp_fib *fib, uint32_t ip, uint16_t port)
{
	for (uint32_t h = dp_fib_neigh_slot(ip, port) & fib->neigh_slot_mask;; h = (h + 1) & fib->neigh_slot_mask) {
		uint32_t i = fib->neigh_slots[h];
		if (i == 0)
			return NULL;
		const struct dp_neigh *n = &fib->neigh[i - 1];
		if (n->ip == ip && n->port == port)
			return n;
	}
}

#endif
