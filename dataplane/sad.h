/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SAD: inbound SAs by SPI, shared by the workers and changed in place by the control core.
 *
 * The SPIs of inbound SAs are ours, drawn at random (child_alloc_spi()), so their low bits
 * already spread them: an SPI's bucket is spi & mask, no hash to compute. A bucket is one cache
 * line of four SPIs and their SAs, so a lookup reads one line (a general hash read two: its
 * bucket of signatures, then the key and data). An SPI whose bucket is full goes to the first
 * bucket with room from a second, hashed, choice on; its first bucket counts how many of its
 * SPIs live elsewhere and how far, and only then does a lookup look there. There are twice as
 * many slots as SAs, and IKE draws SPIs whose bucket has room (dp_sad_has_room()), so few spill
 * and not far.
 *
 * Workers read without locks. An entry's SA is written before its SPI (release), an entry goes
 * by its SPI first; a worker that raced a removal and a reuse of the slot may hand out another SA
 * than the SPI's, so the caller compares the SA's own SPI (esp_in.c does, on the SA line it reads
 * anyway). Removed SAs are freed after a grace period by the caller.
 */
#ifndef DPIKE_DP_SAD_H
#define DPIKE_DP_SAD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_prefetch.h>

#include "crc_hash.h"

struct esp_sa;

#define DP_SAD_WAYS 4
#define DP_SAD_REACH_MAX UINT16_MAX /* buckets from an SPI's second choice that it may spill to */

struct dp_sad_bucket {
	uint32_t spi[DP_SAD_WAYS];      /* 0: free (SPI 0 is never an SA's); atomic */
	struct esp_sa *sa[DP_SAD_WAYS]; /* atomic */
	uint32_t spilled;               /* SPIs of this bucket kept in others; the control core's */
	uint16_t reach;                 /* they lie within this many buckets of their second choice; atomic */
} __rte_cache_aligned;

_Static_assert(sizeof(struct dp_sad_bucket) == RTE_CACHE_LINE_SIZE, "a lookup reads one line");

struct dp_sad {
	uint32_t mask;             /* buckets - 1 */
	uint32_t count, capacity;  /* the control core's */
	uint32_t spilled;          /* SPIs kept outside their own bucket (found with more reads); the control core's */
	struct dp_sad_bucket b[] __rte_cache_aligned;
};

/* An empty SAD for up to capacity SAs; NULL when out of memory. */
struct dp_sad *dp_sad_create(uint32_t capacity, int socket);
void dp_sad_free(struct dp_sad *s);
/* 0; -1 for SPI 0, an SPI present, a full SAD, or (never seen) no room within DP_SAD_REACH_MAX buckets. */
int dp_sad_add(struct dp_sad *s, uint32_t spi, struct esp_sa *sa);
/* 0, or -1 when the SPI is not there. */
int dp_sad_del(struct dp_sad *s, uint32_t spi);

/* Whether spi would go to its own bucket: such SPIs are found with one line read. */
static inline bool dp_sad_has_room(const struct dp_sad *s, uint32_t spi)
{
	const struct dp_sad_bucket *b = &s->b[spi & s->mask];
	for (unsigned i = 0; i < DP_SAD_WAYS; i++)
		if (b->spi[i] == 0)
			return true;
	return false;
}

static inline uint32_t dp_sad_second(const struct dp_sad *s, uint32_t spi)
{
	return dp_crc_4byte(spi, 0x5ad) & s->mask;
}

static inline struct esp_sa *dp_sad_in_bucket(const struct dp_sad_bucket *b, uint32_t spi)
{
	for (unsigned i = 0; i < DP_SAD_WAYS; i++)
		if (__atomic_load_n(&b->spi[i], __ATOMIC_ACQUIRE) == spi)
			return __atomic_load_n(&b->sa[i], __ATOMIC_RELAXED);
	return NULL;
}

/* The SA of spi (see above: check its SPI), or NULL. */
static inline struct esp_sa *dp_sad_find(const struct dp_sad *s, uint32_t spi)
{
	const struct dp_sad_bucket *first = &s->b[spi & s->mask];
	struct esp_sa *sa = dp_sad_in_bucket(first, spi);
	unsigned reach = sa ? 0 : __atomic_load_n(&first->reach, __ATOMIC_ACQUIRE);
	for (unsigned d = 0, at = dp_sad_second(s, spi); d < reach && sa == NULL; d++)
		sa = dp_sad_in_bucket(&s->b[(at + d) & s->mask], spi);
	return sa;
}

/* Asks for the buckets of a burst's SPIs, to be read by dp_sad_find() a few packets later. */
static inline void dp_sad_prefetch_bulk(const struct dp_sad *s, const uint32_t spis[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(&s->b[spis[i] & s->mask]);
}

#endif
