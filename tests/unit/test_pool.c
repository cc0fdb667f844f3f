/* SPDX-License-Identifier: BSD-3-Clause */
/* Virtual IP pools: leases by identity, reuse, reclaiming the longest unused, holders counted. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "ike/pool.h"
#include "unit.h"

static struct dpike_config one_pool(uint32_t base, uint32_t size)
{
	static struct cfg_pool pool;
	struct dpike_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	memset(&pool, 0, sizeof(pool));
	snprintf(pool.name, sizeof(pool.name), "p");
	pool.base = base;
	pool.size = size;
	cfg.pools = &pool;
	cfg.n_pools = 1;
	return cfg;
}

static bool take(struct ike_pools *p, const char *who, uint32_t *addr)
{
	return ike_pool_acquire(p, 0, (const uint8_t *)who, strlen(who), addr);
}

static void test_leases(void)
{
	struct dpike_config cfg = one_pool(0x0a030001, 3);
	struct ike_pools *p = ike_pools_create(&cfg);
	uint32_t a = 0, b = 0, c = 0, again, online, leased;
	CU_ASSERT_FATAL(p != NULL);
	CU_ASSERT(take(p, "alice", &a) && take(p, "bob", &b) && take(p, "carol", &c));
	CU_ASSERT(a == 0x0a030001 && b == 0x0a030002 && c == 0x0a030003);
	CU_ASSERT(!take(p, "dave", &again)); /* every address online */
	CU_ASSERT(take(p, "bob", &again) && again == b); /* bob twice at once: the same address, held twice */
	ike_pool_release(p, 0, b);
	CU_ASSERT(!take(p, "dave", &again)); /* bob still holds it once */
	ike_pool_release(p, 0, b);
	ike_pool_release(p, 0, a);
	ike_pool_usage(p, 0, &online, &leased);
	CU_ASSERT(online == 1 && leased == 3);
	CU_ASSERT(take(p, "alice", &again) && again == a); /* back: its own address */
	ike_pool_release(p, 0, a);
	CU_ASSERT(take(p, "dave", &again) && again == b); /* bob's, unused longer than alice's */
	CU_ASSERT(take(p, "bob", &again) && again == a);  /* bob's gone to dave: alice's is the one left */
	CU_ASSERT(!take(p, "alice", &again));
	ike_pool_hold(p, 0, c); /* a rekeyed SA's successor */
	ike_pool_release(p, 0, c);
	CU_ASSERT(!take(p, "erin", &again)); /* carol held by the successor still */
	ike_pool_release(p, 0, c);
	CU_ASSERT(take(p, "erin", &again) && again == c);
	ike_pool_release(p, 0, 0x0a0300ff); /* not the pool's: nothing happens */
	ike_pool_release(p, 0, c);
	ike_pool_release(p, 0, c); /* once too often: ignored */
	ike_pool_usage(p, 0, &online, &leased);
	CU_ASSERT(online == 2 && leased == 3);
	CU_ASSERT(!ike_pool_acquire(p, 1, (const uint8_t *)"x", 1, &again)); /* no such pool */
	ike_pools_free(p);
}

/* A thousand identities in a pool of a thousand and one, then each back to its own address. */
static void test_many(void)
{
	struct dpike_config cfg = one_pool(0x0a000001, 1001);
	struct ike_pools *p = ike_pools_create(&cfg);
	uint32_t first[1000], addr;
	char id[32];
	CU_ASSERT_FATAL(p != NULL);
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "client-%d@example.org", i);
		CU_ASSERT(take(p, id, &first[i]));
	}
	for (int i = 0; i < 1000; i++)
		ike_pool_release(p, 0, first[i]);
	int same = 0;
	for (int i = 999; i >= 0; i--) {
		snprintf(id, sizeof(id), "client-%d@example.org", i);
		same += take(p, id, &addr) && addr == first[i];
	}
	CU_ASSERT_EQUAL(same, 1000);
	ike_pools_free(p);
}

void pool_suite_add(CU_pSuite s)
{
	CU_add_test(s, "leases by identity: shared, reused, the longest unused reclaimed, holders counted", test_leases);
	CU_add_test(s, "a thousand identities, each back to its own address", test_many);
}
