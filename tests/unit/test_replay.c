/* SPDX-License-Identifier: BSD-3-Clause */
/* Replay window: table-driven sequences, ESN inference (RFC 4303 A2.2), and concurrent workers. */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdlib.h>

#include "dataplane/replay.h"
#include "unit.h"

static struct replay_window *window(uint32_t size)
{
	struct replay_window *w = malloc(replay_window_bytes(size));
	replay_window_init(w, size);
	return w;
}

struct step {
	uint64_t seq;
	enum replay_verdict want;
};

static void run_steps(uint32_t size, const struct step *steps, int n)
{
	struct replay_window *w = window(size);
	for (int i = 0; i < n; i++) {
		enum replay_verdict pre = replay_check(w, steps[i].seq);
		enum replay_verdict got = pre == REPLAY_OK ? replay_commit(w, steps[i].seq) : pre;
		CU_ASSERT_EQUAL(got, steps[i].want);
		if (got != steps[i].want)
			fprintf(stderr, "window %u step %d seq %lu: got %d want %d\n", size, i, steps[i].seq, got,
				steps[i].want);
	}
	free(w);
}

static void test_basic_window(void)
{
	static const struct step s[] = {
		{ 0, REPLAY_TOO_OLD },	{ 1, REPLAY_OK },	 { 1, REPLAY_DUPLICATE }, { 3, REPLAY_OK },
		{ 2, REPLAY_OK },	{ 2, REPLAY_DUPLICATE }, { 64, REPLAY_OK },	  { 1, REPLAY_DUPLICATE },
		{ 65, REPLAY_OK },	{ 1, REPLAY_TOO_OLD },
		{ 4, REPLAY_OK },	{ 100, REPLAY_OK },	 { 36, REPLAY_TOO_OLD },  { 37, REPLAY_OK },
		{ 37, REPLAY_DUPLICATE }, { 99, REPLAY_OK },	 { 101, REPLAY_OK },	  { 1000, REPLAY_OK },
		{ 937, REPLAY_OK },	{ 936, REPLAY_TOO_OLD }, { 999, REPLAY_OK },	  { 1000, REPLAY_DUPLICATE },
	};
	run_steps(64, s, sizeof(s) / sizeof(s[0]));
}

static void test_window_sizes(void)
{
	static const uint32_t sizes[] = { 1, 32, 33, 100, 1024, 4096 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t n = sizes[k];
		struct replay_window *w = window(n);
		CU_ASSERT_EQUAL(replay_commit(w, 10000), REPLAY_OK);
		/* exactly the window: 10000-n+1 .. 10000 are inside, 10000-n is not */
		CU_ASSERT_EQUAL(replay_check(w, 10000 - n + 1), n == 1 ? REPLAY_DUPLICATE : REPLAY_OK);
		CU_ASSERT_EQUAL(replay_check(w, 10000 - n), REPLAY_TOO_OLD);
		for (uint64_t s = 10000 - n + 1; s < 10000; s++)
			CU_ASSERT_EQUAL(replay_commit(w, s), REPLAY_OK);
		for (uint64_t s = 10000 - n + 1; s <= 10000; s++)
			CU_ASSERT_EQUAL(replay_check(w, s), REPLAY_DUPLICATE);
		/* a jump far ahead forgets everything behind the new window */
		CU_ASSERT_EQUAL(replay_commit(w, 10000 + 10 * n + 77), REPLAY_OK);
		CU_ASSERT_EQUAL(replay_check(w, 10000 + 10 * n + 77 - n + 1), n == 1 ? REPLAY_DUPLICATE : REPLAY_OK);
		free(w);
	}
}

static void test_window_off(void)
{
	struct replay_window *w = window(0);
	CU_ASSERT_EQUAL(replay_commit(w, 5), REPLAY_OK);
	CU_ASSERT_EQUAL(replay_commit(w, 5), REPLAY_OK);
	CU_ASSERT_EQUAL(replay_commit(w, 1), REPLAY_OK);
	CU_ASSERT_EQUAL(replay_check(w, 0), REPLAY_TOO_OLD);
	free(w);
}

/* RFC 4303 A2.2: the high half is guessed from the window; Tl, W and the low half decide. */
static void test_esn_inference(void)
{
	struct replay_window *w = window(64);
	CU_ASSERT_EQUAL(replay_infer_esn(w, 1), 1);
	CU_ASSERT_EQUAL(replay_infer_esn(w, 0xfffffff0u), 0xfffffff0u); /* no subspace below zero */
	replay_commit(w, 0xfffffff0ULL);
	CU_ASSERT_EQUAL(replay_infer_esn(w, 0xfffffff5u), 0xfffffff5ULL);
	CU_ASSERT_EQUAL(replay_infer_esn(w, 0x00000003u), 0x100000003ULL); /* wrapped */
	CU_ASSERT_EQUAL(replay_infer_esn(w, 0xffffffb1u), 0xffffffb1ULL);  /* still in window */
	replay_commit(w, 0x100000010ULL);
	/* window spans two subspaces: Tl = 0x10 < W - 1 */
	CU_ASSERT_EQUAL(replay_infer_esn(w, 0xfffffff0u), 0xfffffff0ULL);
	CU_ASSERT_EQUAL(replay_infer_esn(w, 0x00000008u), 0x100000008ULL);
	CU_ASSERT_EQUAL(replay_infer_esn(w, 0x00000020u), 0x100000020ULL);
	CU_ASSERT_EQUAL(replay_check(w, 0xfffffff0ULL), REPLAY_DUPLICATE);
	CU_ASSERT_EQUAL(replay_check(w, 0xfffffffaULL), REPLAY_OK);
	CU_ASSERT_EQUAL(replay_commit(w, 0xfffffffaULL), REPLAY_OK);
	CU_ASSERT_EQUAL(replay_commit(w, 0xfffffffaULL), REPLAY_DUPLICATE);
	free(w);
}

/* The next number of a made-up arrival order: mostly in order, with repeats, reordering, jumps and 0. */
static uint64_t next_arrival(uint64_t *last, uint32_t size)
{
	unsigned r = (unsigned)rand() % 100;
	if (r < 55)
		return ++*last;
	if (r < 70)
		return *last - (uint64_t)rand() % (*last < 8 ? 1 : 8); /* a repeat or a late one */
	if (r < 80)
		return *last > size ? *last - size + (uint64_t)rand() % 3 - 1 : 1; /* at the window's edge */
	if (r < 90)
		return *last += 1 + (uint64_t)rand() % (2 * size + 70); /* a jump, past blocks and slots */
	if (r < 95)
		return *last + 1 + (uint64_t)rand() % 40; /* ahead, the gap filled later */
	return r < 98 ? 0 : 1;
}

/*
 * A run committed at once gives every packet the verdict one call each gives it, and leaves the
 * same window; so does one committed by the SA's owner with plain stores.
 */
static void test_run_matches_one_by_one(void)
{
	static const uint32_t sizes[] = { 0, 1, 31, 32, 33, 64, 100, 1024 };
	srand(7);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct replay_window *one = window(sizes[k]), *run = window(sizes[k]), *owned = window(sizes[k]);
		uint64_t last = 0, seqs[32];
		enum replay_verdict v[32], vo[32];
		int wrong = 0;
		for (int burst = 0; burst < 3000; burst++) {
			uint16_t n = (uint16_t)(1 + rand() % 32);
			for (uint16_t i = 0; i < n; i++)
				seqs[i] = next_arrival(&last, sizes[k]);
			replay_commit_run(run, seqs, n, v, false);
			replay_commit_run(owned, seqs, n, vo, true);
			for (uint16_t i = 0; i < n; i++) {
				enum replay_verdict want = replay_commit(one, seqs[i]);
				wrong += (want != v[i]) + (want != vo[i]);
			}
			CU_ASSERT_EQUAL(run->top, one->top);
			CU_ASSERT_EQUAL(owned->top, one->top);
		}
		CU_ASSERT_EQUAL(wrong, 0);
		for (uint64_t s = last > 2000 ? last - 2000 : 0; s <= last + 40; s++)
			wrong += (replay_check(one, s) != replay_check(run, s)) + (replay_check(one, s) != replay_check(owned, s));
		CU_ASSERT_EQUAL(wrong, 0);
		free(one);
		free(run);
		free(owned);
	}
}

/* Two threads receive every sequence number once each, interleaved: each must be accepted exactly once. */
struct racer {
	struct replay_window *w;
	uint64_t first, count;
	unsigned accepted;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	for (uint64_t i = 0; i < r->count; i++)
		if (replay_commit(r->w, r->first + i) == REPLAY_OK)
			r->accepted++;
	return NULL;
}

/* The same in runs of up to 32 numbers, as a burst's packets of one SA are committed. */
static void *race_runs(void *arg)
{
	struct racer *r = arg;
	uint64_t seqs[32];
	enum replay_verdict v[32];
	for (uint64_t i = 0; i < r->count;) {
		uint16_t n = (uint16_t)(1 + (i * 7 + r->first) % 32);
		for (uint16_t j = 0; j < n; j++)
			seqs[j] = r->first + i + j < r->first + r->count ? r->first + i + j : r->first + i;
		replay_commit_run(r->w, seqs, n, v, false);
		for (uint16_t j = 0; j < n && i + j < r->count; j++)
			r->accepted += v[j] == REPLAY_OK;
		i += n;
	}
	return NULL;
}

static void race_two(void *(*first)(void *), void *(*second)(void *))
{
	struct replay_window *w = window(4096);
	struct racer a = { w, 1, 200000, 0 }, b = { w, 1, 200000, 0 };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, first, &a);
	pthread_create(&tb, NULL, second, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* Both saw every number: whoever lost a race saw a duplicate. Each number is accepted once. */
	CU_ASSERT_EQUAL(a.accepted + b.accepted, 200000);
	free(w);
}

static void test_concurrent_workers(void)
{
	race_two(race, race);
	race_two(race_runs, race_runs);
	race_two(race, race_runs);
}

void replay_suite_add(CU_pSuite s)
{
	CU_add_test(s, "table of arrivals, window 64", test_basic_window);
	CU_add_test(s, "window edges for sizes 1 to 4096", test_window_sizes);
	CU_add_test(s, "window 0 turns checks off", test_window_off);
	CU_add_test(s, "ESN inference and wrap", test_esn_inference);
	CU_add_test(s, "a run committed at once as one by one", test_run_matches_one_by_one);
	CU_add_test(s, "two workers on one SA, one by one and in runs", test_concurrent_workers);
}
