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

static void test_concurrent_workers(void)
{
	struct replay_window *w = window(4096);
	struct racer a = { w, 1, 200000, 0 }, b = { w, 1, 200000, 0 };
	pthread_t ta, tb;
	pthread_create(&ta, NULL, race, &a);
	pthread_create(&tb, NULL, race, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* Both saw every number: whoever lost a race saw a duplicate. Each number is accepted once. */
	CU_ASSERT_EQUAL(a.accepted + b.accepted, 200000);
	free(w);
}

void replay_suite_add(CU_pSuite s)
{
	CU_add_test(s, "table of arrivals, window 64", test_basic_window);
	CU_add_test(s, "window edges for sizes 1 to 4096", test_window_sizes);
	CU_add_test(s, "window 0 turns checks off", test_window_off);
	CU_add_test(s, "ESN inference and wrap", test_esn_inference);
	CU_add_test(s, "two workers on one SA", test_concurrent_workers);
}
