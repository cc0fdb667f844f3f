/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SA ownership: claims, a takeover that waits for the owner's epoch, owners offline or without an id.
 * Threads are joined with a deadline (pthread_timedjoin_np), so that a deadlock fails instead of hanging.
 */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <time.h>

#include "dataplane/sa_owner.h"
#include "unit.h"

#define DEADLINE_S 10

static struct timespec deadline(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += DEADLINE_S;
	return t;
}

static bool past(const struct timespec *d)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec > d->tv_sec || (t.tv_sec == d->tv_sec && t.tv_nsec > d->tv_nsec);
}

/* Joins t, or fails the test (and leaves the thread) past the deadline. */
static bool join_in_time(pthread_t t)
{
	struct timespec d = deadline();
	bool ok = pthread_timedjoin_np(t, NULL, &d) == 0;
	CU_ASSERT(ok);
	return ok;
}

static void test_first_user_owns(void)
{
	uint16_t a = sa_owner_register(), b = sa_owner_register();
	CU_ASSERT_FATAL(a < SA_OWNERS_MAX && b < SA_OWNERS_MAX && a != b);
	uint16_t owner = SA_OWNER_NONE;
	CU_ASSERT(sa_owner_mine(&owner, a));
	CU_ASSERT_EQUAL(owner, a);
	CU_ASSERT(sa_owner_mine(&owner, a));
	/* an owner gone offline holds no update: the SA is shared at once, for both */
	sa_owner_set_online(a, false);
	CU_ASSERT_FALSE(sa_owner_mine(&owner, b));
	CU_ASSERT_EQUAL(owner, SA_OWNER_SHARED);
	CU_ASSERT_FALSE(sa_owner_mine(&owner, a));
	sa_owner_unregister(a);
	/* an unregistered owner's SA goes to whoever takes its id next, as its updates are all visible */
	owner = a;
	uint16_t c = sa_owner_register();
	CU_ASSERT_EQUAL(c, a);
	CU_ASSERT(sa_owner_mine(&owner, c));
	sa_owner_unregister(c);
	sa_owner_unregister(b);
}

/* A context beyond SA_OWNERS_MAX never owns, and makes an unused SA shared. */
static void test_without_an_id(void)
{
	static uint16_t ids[SA_OWNERS_MAX];
	unsigned n = 0;
	for (uint16_t id; (id = sa_owner_register()) != SA_OWNER_SHARED && n < SA_OWNERS_MAX;)
		ids[n++] = id;
	CU_ASSERT_EQUAL(n, SA_OWNERS_MAX);
	uint16_t owner = SA_OWNER_NONE;
	CU_ASSERT_FALSE(sa_owner_mine(&owner, SA_OWNER_SHARED));
	CU_ASSERT_EQUAL(owner, SA_OWNER_SHARED);
	for (unsigned i = 0; i < n; i++)
		sa_owner_unregister(ids[i]);
}

struct taker {
	uint16_t *owner, me;
	bool mine;
	int done; /* atomic */
	const int *stop; /* atomic; NULL: return once done */
};

/* Takes the SA; then, as a worker's loop, passes epochs until told to stop. */
static void *take(void *arg)
{
	struct taker *t = arg;
	t->mine = sa_owner_mine(t->owner, t->me);
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	while (t->stop && !__atomic_load_n(t->stop, __ATOMIC_ACQUIRE))
		sa_owner_quiesce(t->me);
	return NULL;
}

/* Another worker taking the SA over waits until the owner passes an epoch; the owner locks from then on. */
static void test_takeover_waits_for_the_owner(void)
{
	uint16_t a = sa_owner_register(), b = sa_owner_register(), owner = SA_OWNER_NONE;
	CU_ASSERT_FATAL(sa_owner_mine(&owner, a));
	struct taker t = { &owner, b, true, 0, NULL };
	pthread_t th;
	CU_ASSERT_FATAL(pthread_create(&th, NULL, take, &t) == 0);
	struct timespec d = deadline();
	while (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) != (a | SA_OWNER_HANDOVER) && !past(&d))
		;
	CU_ASSERT_EQUAL(owner, a | SA_OWNER_HANDOVER);
	/* a has not passed an epoch: b must still be waiting, however long it is given */
	for (int i = 0; i < 1000000; i++)
		__atomic_load_n(&t.done, __ATOMIC_ACQUIRE);
	CU_ASSERT_EQUAL(__atomic_load_n(&t.done, __ATOMIC_ACQUIRE), 0);
	CU_ASSERT_FALSE(sa_owner_mine(&owner, a)); /* the owner itself locks already */
	sa_owner_quiesce(a);
	if (join_in_time(th)) {
		CU_ASSERT_FALSE(t.mine);
		CU_ASSERT_EQUAL(owner, SA_OWNER_SHARED);
	}
	sa_owner_unregister(a);
	sa_owner_unregister(b);
}

/* Two workers taking each other's SA at once both go on: each marks its epochs while it waits. */
static void test_mutual_takeover(void)
{
	uint16_t a = sa_owner_register(), b = sa_owner_register();
	uint16_t of_a = SA_OWNER_NONE, of_b = SA_OWNER_NONE;
	CU_ASSERT_FATAL(sa_owner_mine(&of_a, a) && sa_owner_mine(&of_b, b));
	int stop = 0;
	struct taker ta = { &of_b, a, true, 0, &stop }, tb = { &of_a, b, true, 0, &stop };
	pthread_t x, y;
	CU_ASSERT_FATAL(pthread_create(&x, NULL, take, &ta) == 0 && pthread_create(&y, NULL, take, &tb) == 0);
	struct timespec d = deadline();
	while (!(__atomic_load_n(&ta.done, __ATOMIC_ACQUIRE) && __atomic_load_n(&tb.done, __ATOMIC_ACQUIRE)) && !past(&d))
		;
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	if (join_in_time(x) && join_in_time(y)) {
		CU_ASSERT(!ta.mine && !tb.mine);
		CU_ASSERT(of_a == SA_OWNER_SHARED && of_b == SA_OWNER_SHARED);
	}
	sa_owner_unregister(a);
	sa_owner_unregister(b);
}

void sa_owner_suite_add(CU_pSuite s)
{
	CU_add_test(s, "the first worker to use an SA owns it; offline owners hand over at once", test_first_user_owns);
	CU_add_test(s, "a context without an owner id never owns", test_without_an_id);
	CU_add_test(s, "a takeover waits for the owner's epoch", test_takeover_waits_for_the_owner);
	CU_add_test(s, "two workers taking each other's SAs at once both go on", test_mutual_takeover);
}
