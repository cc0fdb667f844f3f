/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A poll-mode worker: owns one RX and one TX queue on every port, its own tables and
 * crypto manager, and runs classify -> ESP in -> policy -> ESP out -> route -> TX on
 * each burst. Packets for the appliance go to the control core over the punt ring;
 * the control core sends through the inject ring.
 */
#ifndef DPIKE_DP_WORKER_H
#define DPIKE_DP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "dp_stats.h"
#include "esp.h"
#include "reassembly.h"
#include "spd_cache.h"
#include "tables.h"

#define DP_BURST_MAX ESP_MAX_BURST

struct rte_mbuf;
struct rte_ring;
struct rte_rcu_qsbr;

struct dp_txq {
	uint16_t n;
	struct rte_mbuf *m[DP_BURST_MAX];
};

struct dp_worker {
	struct dp_tables tables;
	unsigned id;
	uint16_t n_ports;
	uint16_t queue; /* this worker's RX and TX queue on every port */
	bool poll_rx[DP_MAX_PORTS]; /* false where a port has fewer RX queues than workers */
	uint32_t burst;
	uint32_t idle_sleep_us;
	bool stage_cycles; /* count each stage's cycles (stats.stages); set by the control core, atomic */
	struct rte_ring *punt;     /* to the control core */
	struct rte_ring *punt_ike; /* to the control core, IKE alone: served first, so no flood of the rest starves it */
	struct rte_ring *inject;   /* from the control core */
	struct rte_rcu_qsbr *qsv;
	struct esp_ctx esp;
	struct dp_spd_cache *spd_cache;
	struct dp_worker_stats stats;
	struct dp_txq tx[DP_MAX_PORTS];
	struct dp_reassembly reasm; /* datagrams to us that came in fragments */
} __rte_cache_aligned;

/* Sorting of one burst into the stages; every list holds at most one burst. */
struct dp_batch {
	const struct dp_fib *fib;
	const struct dp_spd *spd;
	uint64_t spd_gen; /* read before the burst's lookups: see spd_cache.h */
	bool timed;       /* the worker's stage_cycles when the batch began */
	uint64_t lap;     /* timed: the TSC when the stage running now began */
	uint16_t n_esp_in, n_fwd, n_out, n_route, n_punt, n_punt_ike, n_drop;
	struct rte_mbuf *esp_in[DP_BURST_MAX];
	struct esp_sa *in_sa[DP_BURST_MAX];
	struct rte_mbuf *fwd[DP_BURST_MAX];
	struct esp_sa *fwd_sa[DP_BURST_MAX]; /* the SA it was decrypted with, or NULL */
	uint8_t fwd_flags[DP_BURST_MAX];
	struct rte_mbuf *out[DP_BURST_MAX];
	struct esp_sa *out_sa[DP_BURST_MAX];
	uint8_t out_flags[DP_BURST_MAX];
	struct rte_mbuf *route[DP_BURST_MAX];
	struct rte_mbuf *punt[DP_BURST_MAX];
	struct rte_mbuf *punt_ike[DP_BURST_MAX];
	struct rte_mbuf *drop[DP_BURST_MAX];
};

#define DP_FWD_LOCAL_ORIGIN 0x02 /* no TTL decrement, no inbound-policy check */

extern volatile bool dp_workers_stop;

/*
 * flow_cache: entries of its flow cache, a power of two (workers.flow_cache_size); socket: the
 * NUMA socket of its lcore, whose memory its flow cache and FIB snapshot come from;
 * reasm_held_max: packet buffers its reassembly table may hold (dataplane/reassembly.h).
 */
int dp_worker_init(struct dp_worker *w, unsigned id, int socket, struct rte_ring *events, uint32_t flow_cache,
		   uint32_t reasm_held_max);
void dp_worker_fini(struct dp_worker *w);
/* The lcore entry point; arg is the struct dp_worker. */
int dp_worker_main(void *arg);
/*
 * dp_worker_main()'s loop around another poll function (a benchmark's): registered with RCU,
 * quiescent once a pass, busy cycles and idle passes counted, asleep when idle if configured,
 * until dp_workers_stop.
 */
int dp_worker_run(struct dp_worker *w, unsigned (*poll)(struct dp_worker *w));
/* Runs one poll iteration; returns the packets handled (for tests and benchmarks). */
unsigned dp_worker_poll(struct dp_worker *w);

/* Stages, in the order a burst passes them. */
/* A batch for the tables the worker sees now; then dp_worker_burst() for each burst received. */
void dp_batch_begin(struct dp_worker *w, struct dp_batch *b);
/* A burst received on port through every stage: what leaves is in the TX buffers and punt rings. */
void dp_worker_burst(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *pkts[], uint16_t n, uint16_t port);
void dp_classify(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *pkts[], uint16_t n, uint16_t port);
void dp_stage_esp_in(struct dp_worker *w, struct dp_batch *b);
void dp_stage_policy(struct dp_worker *w, struct dp_batch *b);
void dp_stage_esp_out(struct dp_worker *w, struct dp_batch *b);
void dp_stage_route(struct dp_worker *w, struct dp_batch *b);
void dp_batch_finish(struct dp_worker *w, struct dp_batch *b);
void dp_tx_flush(struct dp_worker *w);
/* Packets waiting in the worker's TX buffers. */
unsigned dp_tx_pending(const struct dp_worker *w);
void dp_tx_enqueue(struct dp_worker *w, uint16_t port, struct rte_mbuf *m);

static inline void dp_drop(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *m, enum dp_drop_reason r)
{
	w->stats.drops[r]++;
	b->drop[b->n_drop++] = m;
}

#endif
