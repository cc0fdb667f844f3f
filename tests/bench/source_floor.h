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

/*
 * Also reads and writes every cache line of each frame, in order, as in-place ESP does: what an
 * ESP gateway pays for a frame's data that crypto-perf, its buffers in its own core's cache, does
 * not. (Asking for the lines to be written a few frames ahead made dpike's decryption slower.)
 */
extern bool source_floor_touch_data;

/* rte_eal_remote_launch()'s function; arg: the worker (struct dp_worker) whose queues and counters it takes. */
int source_floor_main(void *arg);

#endif
