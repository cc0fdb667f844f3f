/* SPDX-License-Identifier: BSD-3-Clause */
/* The SA slab: zeroed, aligned, disjoint objects; chunks given back when empty but one spare a class. */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "dataplane/sa_slab.h"
#include "unit.h"

#define N_LIVE 3000

struct live {
	uint8_t *p;
	size_t size;
	uint8_t mark;
};

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static bool all_marked(const struct live *l)
{
	for (size_t i = 0; i < l->size; i++)
		if (l->p[i] != l->mark)
			return false;
	return true;
}

/* Sizes of every class and beyond the largest (from DPDK directly), 1 byte included. */
static size_t random_size(void)
{
	switch (rand() % 4) {
	case 0:
		return 1 + (size_t)rand() % 256;
	case 1:
		return 1 + (size_t)rand() % SA_SLAB_MAX_BYTES;
	case 2:
		return 900 + (size_t)rand() % 600; /* where real SAs are: many in one class */
	default:
		return SA_SLAB_MAX_BYTES - 64 + (size_t)rand() % 200;
	}
}

static bool take(struct live *l, uint8_t mark)
{
	l->size = random_size();
	l->p = sa_slab_zalloc(l->size);
	if (l->p == NULL)
		return false;
	bool ok = ((uintptr_t)l->p % RTE_CACHE_LINE_SIZE) == 0 && all_zero(l->p, l->size);
	l->mark = mark;
	memset(l->p, mark, l->size);
	return ok;
}

/*
 * Thousands of objects of every size coming and going, each filled with a mark of its own: any
 * overlap, or an object handed out twice, shows as another's mark; counts as a reference says.
 */
static void test_against_reference(void)
{
	static struct live live[N_LIVE];
	struct sa_slab_usage u0, u;
	sa_slab_usage(&u0);
	srand(7);
	unsigned bad = 0;
	size_t slab_objects = 0;
	for (unsigned i = 0; i < N_LIVE; i++) {
		bad += !take(&live[i], (uint8_t)(i % 251 + 1));
		slab_objects += live[i].size <= SA_SLAB_MAX_BYTES;
	}
	for (unsigned round = 0; round < 20000; round++) {
		struct live *l = &live[(unsigned)rand() % N_LIVE];
		bad += !all_marked(l);
		slab_objects -= l->size <= SA_SLAB_MAX_BYTES;
		sa_slab_free(l->p, l->size);
		bad += !take(l, (uint8_t)(round % 251 + 1));
		slab_objects += l->size <= SA_SLAB_MAX_BYTES;
	}
	sa_slab_usage(&u);
	CU_ASSERT(bad == 0);
	CU_ASSERT(u.objects - u0.objects == slab_objects);
	for (unsigned i = 0; i < N_LIVE; i++) {
		bad += !all_marked(&live[i]);
		sa_slab_free(live[i].p, live[i].size);
	}
	sa_slab_usage(&u);
	CU_ASSERT(bad == 0);
	CU_ASSERT(u.objects == u0.objects);
	/* every chunk back to DPDK but one spare per class (64 of them at most) */
	CU_ASSERT(u.chunks <= u0.chunks + SA_SLAB_MAX_BYTES / RTE_CACHE_LINE_SIZE);
}

/* One class filled over several chunks: the emptied ones go back, one is kept, and a freed object is reused, zeroed. */
static void test_chunks_given_back(void)
{
	enum { SIZE = 3000, N = 100 }; /* 21 to a chunk: five chunks; no SA is as large */
	void *p[N];
	struct sa_slab_usage u0, u;
	sa_slab_free(sa_slab_zalloc(SIZE), SIZE); /* the class's spare, if it had none */
	sa_slab_usage(&u0);
	for (unsigned i = 0; i < N; i++)
		CU_ASSERT_FATAL((p[i] = sa_slab_zalloc(SIZE)) != NULL);
	sa_slab_usage(&u);
	size_t per_chunk = (SA_SLAB_CHUNK_BYTES - 3 * RTE_CACHE_LINE_SIZE) / SIZE;
	size_t grew = u.chunks - u0.chunks + 1; /* the spare went into use */
	CU_ASSERT(grew == (N + per_chunk - 1) / per_chunk);
	memset(p[N / 2], 0xa5, SIZE);
	sa_slab_free(p[N / 2], SIZE);
	void *again = sa_slab_zalloc(SIZE);
	CU_ASSERT(again == p[N / 2] && all_zero(again, SIZE));
	for (unsigned i = 0; i < N; i++)
		sa_slab_free(p[i], SIZE);
	sa_slab_usage(&u);
	CU_ASSERT(u.chunks == u0.chunks);
	CU_ASSERT(u.objects == u0.objects);
}

void sa_slab_suite_add(CU_pSuite s)
{
	CU_add_test(s, "objects of every size come and go, disjoint, aligned, zeroed, counted", test_against_reference);
	CU_add_test(s, "emptied chunks go back to DPDK but one, freed objects are reused", test_chunks_given_back);
}
