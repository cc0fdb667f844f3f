/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "pkt_meta.h"

volatile bool dp_workers_stop;

int dp_worker_init(struct dp_worker *w, unsigned id, int socket, struct rte_ring *events, uint32_t flow_cache,
		   uint32_t reasm_held_max)
{
	w->id = id;
	w->tables.socket = socket;
	w->spd_cache = dp_spd_cache_create(flow_cache, socket);
	if (w->spd_cache == NULL || dp_reassembly_init(&w->reasm, id, socket, reasm_held_max) < 0)
		return -1;
	return esp_ctx_init(&w->esp, &w->stats, events);
}

void dp_worker_fini(struct dp_worker *w)
{
	esp_ctx_free(&w->esp);
	dp_reassembly_fini(&w->reasm);
	dp_spd_cache_free(w->spd_cache);
	w->spd_cache = NULL;
}

static void punt_to(struct dp_worker *w, struct dp_batch *b, struct rte_ring *r, struct rte_mbuf *pkts[], uint16_t n,
		    enum dp_drop_reason full)
{
	unsigned sent = rte_ring_enqueue_burst(r, (void **)pkts, n, NULL);
	w->stats.punted += sent;
	for (unsigned i = sent; i < n; i++)
		dp_drop(w, b, pkts[i], full);
}

void dp_batch_finish(struct dp_worker *w, struct dp_batch *b)
{
	if (b->n_punt)
		punt_to(w, b, w->punt, b->punt, b->n_punt, DP_DROP_PUNT_RING_FULL);
	if (b->n_punt_ike)
		punt_to(w, b, w->punt_ike, b->punt_ike, b->n_punt_ike, DP_DROP_IKE_RING_FULL);
	b->n_punt = b->n_punt_ike = 0;
	if (b->n_drop) {
		rte_pktmbuf_free_bulk(b->drop, b->n_drop);
		b->n_drop = 0;
	}
}

/* A stage's clock starts: its cycles are those from here to its lap. */
static inline void stage_start(struct dp_batch *b)
{
	if (unlikely(b->timed))
		b->lap = rte_rdtsc();
}

/* The stage that began at the last lap (or start) is done, having been handed n packets. */
static inline void stage_lap(struct dp_worker *w, struct dp_batch *b, enum dp_stage s, unsigned n)
{
	if (likely(!b->timed))
		return;
	uint64_t now = rte_rdtsc();
	w->stats.stages.cycles[s] += now - b->lap;
	w->stats.stages.packets[s] += n;
	b->lap = now;
}

static void run_stages(struct dp_worker *w, struct dp_batch *b)
{
	unsigned n = b->n_esp_in;
	dp_stage_esp_in(w, b);
	stage_lap(w, b, DP_STAGE_ESP_IN, n);
	n = b->n_fwd;
	dp_stage_policy(w, b);
	stage_lap(w, b, DP_STAGE_POLICY, n);
	n = b->n_out;
	dp_stage_esp_out(w, b);
	stage_lap(w, b, DP_STAGE_ESP_OUT, n);
	n = b->n_route;
	dp_stage_route(w, b);
	stage_lap(w, b, DP_STAGE_ROUTE, n);
	n = b->n_punt + b->n_punt_ike + b->n_drop;
	dp_batch_finish(w, b);
	stage_lap(w, b, DP_STAGE_FINISH, n);
}

static void sort_injected(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *pkts[], unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct dp_meta *meta = dp_meta(m);
		if (meta->code == DP_INJECT_L2) {
			dp_tx_enqueue(w, meta->port, m);
		} else if (meta->code == DP_INJECT_ROUTE) {
			b->route[b->n_route++] = m;
		} else if (meta->code == DP_INJECT_ESP_IN) {
			b->esp_in[b->n_esp_in++] = m;
		} else {
			b->fwd_flags[b->n_fwd] = DP_FWD_LOCAL_ORIGIN;
			b->fwd_sa[b->n_fwd] = NULL;
			b->fwd[b->n_fwd++] = m;
		}
	}
	w->stats.injected += n;
}

void dp_batch_begin(struct dp_worker *w, struct dp_batch *b)
{
	b->fib = __atomic_load_n(&w->tables.fib, __ATOMIC_ACQUIRE);
	b->spd = w->tables.spd;
	b->spd_gen = dp_spd_gen(b->spd);
	b->n_esp_in = b->n_fwd = b->n_out = b->n_route = b->n_punt = b->n_punt_ike = b->n_drop = 0;
	b->timed = __atomic_load_n(&w->stage_cycles, __ATOMIC_RELAXED);
	stage_start(b);
}

void dp_worker_burst(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *pkts[], uint16_t n, uint16_t port)
{
	dp_classify(w, b, pkts, n, port);
	stage_lap(w, b, DP_STAGE_CLASSIFY, n);
	run_stages(w, b);
}

unsigned dp_worker_poll(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct dp_batch b;
	unsigned total = 0;
	dp_batch_begin(w, &b);
	for (uint16_t port = 0; port < w->n_ports; port++) {
		if (!w->poll_rx[port])
			continue;
		stage_start(&b);
		uint16_t n = rte_eth_rx_burst(port, w->queue, pkts, (uint16_t)w->burst);
		if (n == 0)
			continue;
		stage_lap(w, &b, DP_STAGE_RX, n);
		total += n;
		dp_worker_burst(w, &b, pkts, n, port);
	}
	stage_start(&b);
	unsigned n = rte_ring_dequeue_burst(w->inject, (void **)pkts, w->burst, NULL);
	if (n) {
		total += n;
		sort_injected(w, &b, pkts, n);
		stage_lap(w, &b, DP_STAGE_CLASSIFY, n);
		run_stages(w, &b);
	}
	unsigned queued = b.timed && total ? dp_tx_pending(w) : 0;
	stage_start(&b);
	dp_tx_flush(w);
	if (total)
		stage_lap(w, &b, DP_STAGE_TX, queued);
	dp_reassembly_tick(&w->reasm, &w->stats);
	return total;
}

int dp_worker_main(void *arg)
{
	return dp_worker_run(arg, dp_worker_poll);
}

int dp_worker_run(struct dp_worker *w, unsigned (*poll)(struct dp_worker *w))
{
	rte_rcu_qsbr_thread_register(w->qsv, w->id);
	rte_rcu_qsbr_thread_online(w->qsv, w->id);
	sa_owner_set_online(w->esp.owner_id, true);
	while (!dp_workers_stop) {
		uint64_t start = rte_rdtsc();
		unsigned n = poll(w);
		w->stats.loops++;
		if (n)
			w->stats.busy_cycles += rte_rdtsc() - start;
		/* Quiescent once per loop: nothing read from the tables is held past here. */
		rte_rcu_qsbr_quiescent(w->qsv, w->id);
		esp_ctx_quiesce(&w->esp); /* nor any SA update: a worker taking one of ours over may go on */
		if (n == 0) {
			w->stats.idle_loops++;
			if (w->idle_sleep_us)
				rte_delay_us_sleep(w->idle_sleep_us);
		}
	}
	sa_owner_set_online(w->esp.owner_id, false);
	rte_rcu_qsbr_thread_offline(w->qsv, w->id);
	rte_rcu_qsbr_thread_unregister(w->qsv, w->id);
	return 0;
}
