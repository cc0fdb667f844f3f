/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The floor of the benchmark's packet source (dpike-bench-dataplane -F): what any gateway pays
 * for a packet on these ports before doing anything of its own. Each worker lcore, in place of
 * dpike's worker, receives a burst, reads every frame's Ethernet and IPv4 headers (the first
 * touch of its descriptor and data, which come from the generator's core), rewrites its
 * Ethernet header as a router would, and sends the burst on the other port. It counts into
 * the worker's own statistics (forwarded, busy cycles, loops), so that the benchmark reads it
 * over the control socket as it reads dpike. Against crypto-only figures it tells how many of
 * crypto-perf's cycles per operation are left for a gateway's own work on this machine.
 */
#ifndef DPIKE_BENCH_SOURCE_FLOOR_H
#define DPIKE_BENCH_SOURCE_FLOOR_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Also reads and writes every cache line of each frame, in order, as in-place ESP does: what an
 * ESP gateway pays for a frame's data that crypto-perf, its buffers in its own core's cache, does
 * not. (Asking for the lines to be written a few frames ahead made dpike's decryption slower.)
 */
extern bool source_floor_touch_data;

/*
 * The floor with the least memory a gateway reads for a packet of one of pairs SA pairs
 * (dpike-bench-dataplane -M): the flow's entry in a lookup table (one line out of pairs) and the
 * record it leads to (an SA with nothing but AES-128-GCM's keys and the state a packet changes:
 * four lines out of pairs), each burst's lines asked for all together before any is read, the
 * record's first line written. Offered one flow, the same lines stay in the core's caches; offered
 * a flow for each of the pairs, each packet's lines come from memory: the difference is what
 * the memory of that many SAs costs a packet on this machine at best, whatever reads it.
 * 0: none (the plain floor). Set before source_floor_sa_init().
 */
extern uint32_t source_floor_sa_pairs;

/*
 * How far apart the SAs lie, in bytes (a whole number of lines, at least the SA's four): more
 * than the least shows what the same lines cost when SAs hold more besides, as a gateway's do
 * (with the other direction's SA, selectors, statistics), where the memory's cost grows with
 * the memory spanned (its pages' translations among it).
 */
#define SOURCE_FLOOR_SA_LEAST 256u
extern uint32_t source_floor_sa_bytes;

/* The table and records for source_floor_sa_pairs, from DPDK's memory as dpike's SAs are; -1 when short of it. */
int source_floor_sa_init(void);
void source_floor_sa_fini(void);

/* rte_eal_remote_launch()'s function; arg: the worker (struct dp_worker) whose queues and counters it takes. */
int source_floor_main(void *arg);

#endif
