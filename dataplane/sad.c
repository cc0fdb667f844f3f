/* SPDX-License-Identifier: BSD-3-Clause */
#include "sad.h"

#include <rte_malloc.h>

struct dp_sad *dp_sad_create(uint32_t capacity, int socket)
{
	/* two SPIs a bucket of four when full: of random SPIs one in seven would spill then, one in fifty half full */
	uint32_t buckets = 16;
	while (buckets < capacity / 2 && buckets < (1u << 31))
		buckets *= 2;
	struct dp_sad *s = rte_zmalloc_socket("dp_sad", sizeof(*s) + (size_t)buckets * sizeof(s->b[0]),
					      RTE_CACHE_LINE_SIZE, socket);
	if (s == NULL)
		return NULL;
	s->mask = buckets - 1;
	s->capacity = capacity;
	return s;
}

void dp_sad_free(struct dp_sad *s)
{
	rte_free(s);
}

static int free_way(const struct dp_sad_bucket *b)
{
	for (int i = 0; i < DP_SAD_WAYS; i++)
		if (b->spi[i] == 0)
			return i;
	return -1;
}

static void fill(struct dp_sad_bucket *b, int way, uint32_t spi, struct esp_sa *sa)
{
	__atomic_store_n(&b->sa[way], sa, __ATOMIC_RELAXED);
	__atomic_store_n(&b->spi[way], spi, __ATOMIC_RELEASE);
}

/* Into the first bucket with room near the second choice; the first bucket then says how far to look. */
static int spill(struct dp_sad *s, struct dp_sad_bucket *first, uint32_t spi, struct esp_sa *sa)
{
	uint32_t at = dp_sad_second(s, spi);
	for (unsigned d = 0; d < DP_SAD_REACH_MAX && d <= s->mask; d++) {
		struct dp_sad_bucket *b = &s->b[(at + d) & s->mask];
		int way = free_way(b);
		if (way < 0)
			continue;
		fill(b, way, spi, sa);
		first->spilled++;
		s->spilled++;
		if (d + 1 > first->reach)
			__atomic_store_n(&first->reach, (uint16_t)(d + 1), __ATOMIC_RELEASE);
		return 0;
	}
	return -1;
}

int dp_sad_add(struct dp_sad *s, uint32_t spi, struct esp_sa *sa)
{
	if (spi == 0 || s->count >= s->capacity || dp_sad_find(s, spi) != NULL)
		return -1;
	struct dp_sad_bucket *first = &s->b[spi & s->mask];
	int way = free_way(first);
	if (way >= 0)
		fill(first, way, spi, sa);
	else if (spill(s, first, spi, sa) < 0)
		return -1;
	s->count++;
	return 0;
}

static int empty_way(struct dp_sad_bucket *b, uint32_t spi)
{
	for (int i = 0; i < DP_SAD_WAYS; i++)
		if (b->spi[i] == spi) {
			__atomic_store_n(&b->spi[i], 0, __ATOMIC_RELEASE);
			__atomic_store_n(&b->sa[i], NULL, __ATOMIC_RELAXED);
			return 0;
		}
	return -1;
}

int dp_sad_del(struct dp_sad *s, uint32_t spi)
{
	if (spi == 0)
		return -1;
	struct dp_sad_bucket *first = &s->b[spi & s->mask];
	if (empty_way(first, spi) == 0) {
		s->count--;
		return 0;
	}
	uint32_t at = dp_sad_second(s, spi);
	for (unsigned d = 0; d < first->reach; d++)
		if (empty_way(&s->b[(at + d) & s->mask], spi) == 0) {
			s->count--;
			s->spilled--;
			if (--first->spilled == 0)
				__atomic_store_n(&first->reach, 0, __ATOMIC_RELEASE);
			return 0;
		}
	return -1;
}
