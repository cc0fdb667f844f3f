/* SPDX-License-Identifier: BSD-3-Clause */
/* The SAD: SPIs found, refused and removed; full buckets spill and are found there. */
#include <CUnit/CUnit.h>
#include <stdlib.h>

#include <rte_hash_crc.h>

#include "dataplane/crc_hash.h"
#include "dataplane/sad.h"
#include "unit.h"

/* SAs the SAD only hands back: distinct addresses, never read. */
static struct esp_sa *fake_sa(uint32_t n)
{
	return (struct esp_sa *)(uintptr_t)(0x100000 + 64 * (uintptr_t)n);
}

static struct dp_sad *new_sad(uint32_t capacity)
{
	struct dp_sad *s = dp_sad_create(capacity, 0);
	CU_ASSERT_FATAL(s != NULL);
	return s;
}

static void test_add_find_del(void)
{
	struct dp_sad *s = new_sad(64);
	CU_ASSERT(dp_sad_add(s, 0xc1000001, fake_sa(1)) == 0);
	CU_ASSERT(dp_sad_find(s, 0xc1000001) == fake_sa(1));
	CU_ASSERT(dp_sad_find(s, 0xc1000002) == NULL);
	CU_ASSERT(dp_sad_add(s, 0xc1000001, fake_sa(2)) == -1); /* in use */
	CU_ASSERT(dp_sad_add(s, 0, fake_sa(3)) == -1);          /* never an SA's */
	CU_ASSERT(dp_sad_find(s, 0) == NULL && s->count == 1);
	CU_ASSERT(dp_sad_del(s, 0xc1000002) == -1);
	CU_ASSERT(dp_sad_del(s, 0xc1000001) == 0 && dp_sad_find(s, 0xc1000001) == NULL && s->count == 0);
	CU_ASSERT(dp_sad_add(s, 0xc1000001, fake_sa(2)) == 0 && dp_sad_find(s, 0xc1000001) == fake_sa(2));
	dp_sad_free(s);
}

/* SPIs that share a bucket: beyond its four they spill, are found, and go; the bucket stops looking. */
static void test_spill(void)
{
	struct dp_sad *s = new_sad(64);
	uint32_t buckets = s->mask + 1, first = 0x1234 & s->mask;
	for (uint32_t i = 0; i < 10; i++)
		CU_ASSERT_FATAL(dp_sad_add(s, 0x1234 + i * buckets, fake_sa(i)) == 0);
	CU_ASSERT(s->b[first].spilled == 6 && s->b[first].reach > 0 && s->spilled == 6);
	for (uint32_t i = 0; i < 10; i++)
		CU_ASSERT(dp_sad_find(s, 0x1234 + i * buckets) == fake_sa(i));
	CU_ASSERT(dp_sad_find(s, 0x1234 + 10 * buckets) == NULL);
	for (uint32_t i = 9; i >= 4; i--)
		CU_ASSERT(dp_sad_del(s, 0x1234 + i * buckets) == 0);
	CU_ASSERT(s->b[first].spilled == 0 && s->b[first].reach == 0 && s->spilled == 0);
	for (uint32_t i = 0; i < 4; i++)
		CU_ASSERT(dp_sad_find(s, 0x1234 + i * buckets) == fake_sa(i));
	dp_sad_free(s);
}

/* A full SAD refuses and changes nothing; short of that, SPIs all of one bucket still go in and are found. */
static void test_full_and_crowded(void)
{
	struct dp_sad *s = new_sad(8);
	for (uint32_t i = 1; i <= 8; i++)
		CU_ASSERT_FATAL(dp_sad_add(s, i, fake_sa(i)) == 0);
	CU_ASSERT(dp_sad_add(s, 9, fake_sa(9)) == -1 && s->count == 8 && dp_sad_find(s, 9) == NULL);
	dp_sad_free(s);
	s = new_sad(1000);
	uint32_t buckets = s->mask + 1;
	for (uint32_t i = 0; i < 1000; i++)
		CU_ASSERT_FATAL(dp_sad_add(s, 7 + i * buckets, fake_sa(i)) == 0);
	CU_ASSERT(s->b[7].spilled == 1000 - DP_SAD_WAYS);
	for (uint32_t i = 0; i < 1000; i++)
		CU_ASSERT(dp_sad_find(s, 7 + i * buckets) == fake_sa(i));
	CU_ASSERT(dp_sad_find(s, 7 + 1000 * buckets) == NULL && !dp_sad_has_room(s, 7));
	dp_sad_free(s);
}

/* Random SPIs coming and going at full load agree with a plain list of what is in. */
static void test_against_reference(void)
{
	enum { CAP = 4096, N = 3 * CAP };
	static uint32_t spi[N];
	static bool in[N];
	struct dp_sad *s = new_sad(CAP);
	srand(5);
	uint32_t count = 0, wrong = 0, refused = 0;
	for (uint32_t i = 0; i < N; i++)
		spi[i] = ((uint32_t)rand() << 16 ^ (uint32_t)rand()) | 0x100;
	for (int round = 0; round < 200000; round++) {
		uint32_t k = (uint32_t)rand() % N;
		if (in[k]) {
			wrong += dp_sad_del(s, spi[k]) != 0;
			in[k] = false;
			count--;
		} else if (count < CAP) {
			if (dp_sad_add(s, spi[k], fake_sa(k)) == 0) {
				in[k] = true;
				count++;
			} else {
				refused++;
			}
		}
		uint32_t q = (uint32_t)rand() % N;
		wrong += dp_sad_find(s, spi[q]) != (in[q] ? fake_sa(q) : NULL);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(refused, 0); /* random SPIs, full: none without room */
	CU_ASSERT(s->count == count && count > CAP * 9 / 10);
	dp_sad_free(s);
}

/* CRC32-C (Castagnoli, reflected 0x82f63b78) over len little-endian bytes, no inversions: a bit at a time. */
static uint32_t crc32c_bitwise(uint64_t data, int len, uint32_t crc)
{
	for (int i = 0; i < 8 * len; i++) {
		crc ^= (uint32_t)(data >> i) & 1;
		crc = crc & 1 ? crc >> 1 ^ 0x82f63b78u : crc >> 1;
	}
	return crc;
}

/* The tables' hashes (the SAD's among them) are CRC32-C as DPDK's, whichever code the build runs. */
static void test_crc_hash(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 1000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t init = (uint32_t)(x >> 17);
		CU_ASSERT_EQUAL_FATAL(dp_crc_4byte((uint32_t)x, init), crc32c_bitwise((uint32_t)x, 4, init));
		CU_ASSERT_EQUAL_FATAL(dp_crc_8byte(x, init), crc32c_bitwise(x, 8, init));
		CU_ASSERT_EQUAL_FATAL(dp_crc_4byte((uint32_t)x, init), rte_hash_crc_4byte((uint32_t)x, init));
		CU_ASSERT_EQUAL_FATAL(dp_crc_8byte(x, init), rte_hash_crc_8byte(x, init));
	}
}

void sad_suite_add(CU_pSuite s)
{
	CU_add_test(s, "the tables' CRC32-C hashes: a bitwise CRC's and DPDK's values", test_crc_hash);
	CU_add_test(s, "SPIs added, found, refused when in use or 0, removed", test_add_find_del);
	CU_add_test(s, "a full bucket spills, its SPIs found elsewhere and removed from there", test_spill);
	CU_add_test(s, "a full SAD refuses, changing nothing; SPIs all of one bucket go in", test_full_and_crowded);
	CU_add_test(s, "random SPIs coming and going at full load: as a reference list", test_against_reference);
}
