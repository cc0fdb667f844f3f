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

struct dp_port_info {
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint32_t addr;
};

struct dp_fib {
	uint16_t n_ports;
	struct dp_port_info ports[DP_MAX_PORTS];
	uint32_t n_local, n_routes, n_neigh;
	struct dp_local_addr *local;
	struct dp_route *routes; /* longest prefix first */
	struct dp_neigh *neigh;  /* sorted by ip */
	/* the arrays follow in the same allocation */
};

static inline bool dp_fib_is_local(const struct dp_fib *fib, uint32_t addr)
{
	for (uint32_t i = 0; i < fib->n_local; i++)
		if (fib->local[i].addr == addr)
			return true;
	return false;
}

static inline const struct dp_route *dp_fib_route(const struct dp_fib *fib, uint32_t dst)
{
	for (uint32_t i = 0; i < fib->n_routes; i++)
		if ((dst & fib->routes[i].mask) == fib->routes[i].prefix)
			return &fib->routes[i];
	return NULL;
}

static inline const struct dp_neigh *dp_fib_neigh(const struct dp_fib *fib, uint32_t ip, uint16_t port)
{
	uint32_t lo = 0, hi = fib->n_neigh;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct dp_neigh *n = &fib->neigh[mid];
		if (n->ip == ip && n->port == port)
			return n;
		if (n->ip < ip || (n->ip == ip && n->port < port))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

#endif
