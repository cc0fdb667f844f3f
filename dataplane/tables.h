/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core's view of the dataplane tables. Each worker has its own table set
 * (SAD hash, SPD and FIB snapshots) that it reads without locks; the control core is
 * the only writer. It keeps master copies here, builds new snapshots for every worker,
 * publishes them with release stores, and frees what it replaced (and removed SAs)
 * after an RCU QSBR grace period. Call only from the control core.
 */
#ifndef DPIKE_DP_TABLES_H
#define DPIKE_DP_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_sa.h"
#include "fib.h"
#include "spd.h"

#define DP_MAX_WORKERS 64

struct rte_hash;
struct rte_rcu_qsbr;

/* What a worker reads; the pointers change under it only through RCU publication. */
struct dp_tables {
	const struct dp_spd *spd;
	const struct dp_fib *fib;
	struct rte_hash *sad;
};

/* A policy as the control plane keeps it, with the owner's handle for later removal. */
struct dp_policy_entry {
	struct dp_policy policy;
	uint64_t owner; /* opaque: who installed it (a static SA, a shunt, an IKE child) */
};

int dp_tables_init(unsigned n_workers, struct dp_tables *per_worker[], struct rte_rcu_qsbr *qsv);
void dp_tables_fini(void);

/* SAs: inbound ones enter every worker's SAD; outbound ones are reached through policies. */
struct esp_sa *dp_sa_install(const struct esp_sa_params *p, char *err, size_t err_len);
/* Unlinks the SA (and any policy using it) and frees it after a grace period. */
void dp_sa_remove(struct esp_sa *sa);

int dp_policy_add(const struct dp_policy *p, uint64_t owner);
void dp_policy_remove_owner(uint64_t owner);

void dp_fib_set_ports(const struct dp_port_info *ports, uint16_t n);
int dp_route_add(uint32_t prefix, uint8_t plen, uint32_t via, uint16_t port);
int dp_neigh_set(uint32_t ip, uint16_t port, const struct rte_ether_addr *mac);
const struct dp_neigh *dp_neigh_find(uint32_t ip, uint16_t port);
const struct dp_route *dp_route_lookup(uint32_t dst);
bool dp_is_local(uint32_t addr);

/* Publishes pending SPD/FIB changes to the workers. Returns -1 when out of memory. */
int dp_tables_commit(void);
/* Frees what the workers can no longer see. Call regularly. */
void dp_tables_reclaim(void);

#endif
