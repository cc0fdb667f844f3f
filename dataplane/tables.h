/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core's view of the dataplane tables, which workers read without locks and the
 * control core alone writes. The SAD (inbound SAs by SPI) and the SPD are one each, shared by
 * all workers and changed in place with lock-free inserts and deletes; the FIB is small and
 * each worker gets its own snapshot, rebuilt and published with a release store on change.
 * Whatever a worker may still hold (removed SAs, policies, old snapshots) is freed after an
 * RCU QSBR grace period. Call only from the control core.
 */
#ifndef DPIKE_DP_TABLES_H
#define DPIKE_DP_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_sa.h"
#include "fib.h"
#include "sad.h"
#include "spd.h"

#define DP_MAX_WORKERS 64

struct rte_rcu_qsbr;

/*
 * How many entries the tables take; fixed at start-up (workers.sad_size, workers.spd_size,
 * workers.neighbour_size).
 */
struct dp_table_sizes {
	uint32_t sas;        /* inbound SAs */
	uint32_t policies;   /* SPD entries: a child SA pair has two per pair of selectors */
	uint32_t neighbours; /* learned neighbours (configured ones come on top) */
};

/*
 * What a worker reads; the FIB pointer changes under it only through RCU publication. The
 * workers of one NUMA socket share a FIB snapshot in that socket's memory.
 */
struct dp_tables {
	const struct dp_spd *spd;
	const struct dp_fib *fib;
	const struct dp_sad *sad;
	int socket; /* the worker's NUMA socket: set before dp_tables_init() */
};

int dp_tables_init(unsigned n_workers, struct dp_tables *per_worker[], struct rte_rcu_qsbr *qsv,
		   const struct dp_table_sizes *sizes);
void dp_tables_fini(void);

/* SAs: inbound ones enter every worker's SAD; outbound ones are reached through policies. */
struct esp_sa *dp_sa_install(const struct esp_sa_params *p, char *err, size_t err_len);
/* Whether an inbound SA with this SPI would be found with one line read (IKE draws such SPIs). */
bool dp_sa_spi_preferred(uint32_t spi);
/* Unlinks the SA (and any policy using it) and frees it after a grace period. */
void dp_sa_remove(struct esp_sa *sa);
/*
 * Activates a rekeyed child whose selectors are those of the child it replaces: the policies of
 * old_owner pass to new_owner and those protecting with old_out protect with new_out, in place
 * (dp_spd_rekey()), so that the workers' flow caches look up afresh only the flows they knew with
 * old_out. -1, with nothing changed, when the SPD cannot do it in place: then add the new
 * policies and remove the old.
 */
int dp_sa_supersede(struct esp_sa *old_out, struct esp_sa *new_out, uint64_t old_owner, uint64_t new_owner);

/*
 * Policies take effect at once (no commit needed). owner is opaque: who installed it (a static
 * SA, a shunt, an IKE child). Returns -1 when the SPD is full or out of memory.
 */
int dp_policy_add(const struct dp_policy *p, uint64_t owner);
void dp_policy_remove_owner(uint64_t owner);

void dp_fib_set_ports(const struct dp_port_info *ports, uint16_t n);
int dp_route_add(uint32_t prefix, uint8_t plen, uint32_t via, uint16_t port);

/* Where a neighbour's address comes from, which decides what it may displace. */
enum dp_neigh_origin {
	DP_NEIGH_STATIC,   /* configured: kept as it is, whatever ARP says */
	DP_NEIGH_ANSWER,   /* the answer to our own request: a full table gives up its stalest learned entry */
	DP_NEIGH_HEARD,    /* unasked (a request to us, an update): refused when the table is full */
};

#define DP_NEIGH_FULL (-2)

/*
 * Sets or confirms a neighbour; the workers see a change at the next dp_tables_commit(). Returns
 * 0, -1 when out of memory, DP_NEIGH_FULL when workers.neighbour_size learned entries are there
 * and origin may not displace one.
 */
int dp_neigh_set(uint32_t ip, uint16_t port, const struct rte_ether_addr *mac, enum dp_neigh_origin origin);
const struct dp_neigh *dp_neigh_find(uint32_t ip, uint16_t port);

/* A neighbour as dpikectl lists it. */
struct dp_neigh_info {
	struct dp_neigh n;
	bool configured;
	uint64_t age_ms; /* learned ones: since ARP last set or confirmed it */
};
/*
 * Calls fn for learned neighbours from the one confirmed longest ago, while they were last
 * confirmed at least older_ms ago, at most max of them; returns how many it called fn for.
 * fn must not change the table.
 */
unsigned dp_neigh_walk_stale(uint64_t older_ms, unsigned max, void (*fn)(const struct dp_neigh *, void *), void *ctx);
/* Whether (ip, port) is a learned neighbour, and then since when ARP last set or confirmed it. */
bool dp_neigh_learned_age(uint32_t ip, uint16_t port, uint64_t *age_ms);
/* Forgets a learned neighbour (configured ones stay: false); workers stop using it at the next commit. */
bool dp_neigh_forget(uint32_t ip, uint16_t port);
/* Calls fn for every neighbour the control core holds (committed or not), in no order. */
void dp_neigh_walk(void (*fn)(const struct dp_neigh_info *, void *), void *ctx);
const struct dp_route *dp_route_lookup(uint32_t dst);
bool dp_is_local(uint32_t addr);

/* How full the shared tables are, for dpikectl stats. */
struct dp_tables_usage {
	uint32_t sas, sas_max;           /* inbound SAs in the SAD */
	uint32_t sas_spilled;            /* of them, kept outside their own bucket (sad.h) */
	uint32_t routes, route_lengths;  /* lengths: the per-length tables a lookup probes; 0: it walks the routes */
	uint32_t neighbours;             /* in the workers' snapshot */
	uint32_t fib_snapshots;          /* held: one per NUMA socket of the workers, and retired ones not yet freed */
	uint32_t neighbours_learned, neighbours_max; /* learned ones (not configured) and their limit */
	uint32_t policies, policies_max; /* SPD entries */
	uint32_t shapes;                 /* selector shapes: one hash probe each on a flow-cache miss */
	size_t spd_bytes;                /* policy nodes and indexes, beyond the hash sized at start-up */
	size_t sa_bytes;                 /* fast-path SAs, inbound and outbound, with their keys (sa_slab.h) */
	uint64_t spd_changes;            /* policies added and removed, SAs superseded: the caches check each */
};
void dp_tables_usage(struct dp_tables_usage *u);

/*
 * Publishes pending FIB changes (routes, neighbours, ports) to the workers: one snapshot for
 * everything changed since the last commit, so the control core commits once per pass over its
 * rings rather than per change. Returns -1 when out of memory (the changes stay pending).
 */
int dp_tables_commit(void);
/* Whether there are FIB changes the workers do not see yet. */
bool dp_tables_pending(void);
/* Frees what the workers can no longer see. Call regularly. */
void dp_tables_reclaim(void);

#endif
