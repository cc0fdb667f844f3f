/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPIKE_SA_SLAB_H
#define DPIKE_SA_SLAB_H

#include <stddef.h>

/*
 * Memory for fast-path SAs, by size class (whole cache lines), carved from 64 KiB chunks of
 * DPDK's memory. Why not one rte_zmalloc per SA: with memory reserved at start (`-m`,
 * `--socket-mem`) on hugepages, DPDK's rte_free walks every page of the heap's free space
 * looking for pages it may give back, so removing an SA cost a walk of hundreds of pages
 * (44,000 removals a second instead of 450,000 with 2 GiB, slower the more memory there is).
 * Here a chunk goes back to DPDK only when its last SA does, and one empty chunk per class is
 * kept against churn at a boundary.
 *
 * Control core only (SAs are made there, and freed there after the workers' grace period).
 */

/* Zeroed, cache-line aligned; sizes above SA_SLAB_MAX_BYTES come from rte_zmalloc. NULL when out of memory. */
void *sa_slab_zalloc(size_t size);
/* Frees what sa_slab_zalloc(size) returned, with the same size. NULL is ignored. */
void sa_slab_free(void *p, size_t size);

struct sa_slab_usage {
	size_t chunks;      /* chunks held from DPDK, empty spares included */
	size_t objects;     /* objects handed out and not freed, from chunks */
	size_t large_bytes; /* what objects above SA_SLAB_MAX_BYTES hold */
};
/* DPDK memory held for SAs, in all. */
size_t sa_slab_bytes(void);
void sa_slab_usage(struct sa_slab_usage *u);

#define SA_SLAB_CHUNK_BYTES 65536u
#define SA_SLAB_MAX_BYTES 4096u

#endif
