/* SPDX-License-Identifier: BSD-3-Clause */
/* Policy lookup: first match in priority order; specific before general, shunts before SAs. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/spd.h"
#include "dataplane/spd_cache.h"
#include "unit.h"

static struct traffic_selector ts(const char *s)
{
	struct traffic_selector t;
	CU_ASSERT_FATAL(ts_parse(s, &t));
	return t;
}

static int by_priority(const void *a, const void *b)
{
	const struct dp_policy *x = a, *y = b;
	return x->priority < y->priority ? -1 : x->priority > y->priority;
}

static struct dp_spd *build(const struct dp_policy *p, int n)
{
	struct dp_spd *s = malloc(sizeof(*s) + (size_t)n * sizeof(*p));
	s->n = (uint32_t)n;
	memcpy(s->p, p, (size_t)n * sizeof(*p));
	qsort(s->p, s->n, sizeof(*p), by_priority);
	return s;
}

static struct dp_policy pol(const char *src, const char *dst, uint8_t action, bool shunt)
{
	struct dp_policy p = { .src = ts(src), .dst = ts(dst), .action = action };
	p.priority = dp_policy_priority(&p.src, &p.dst, shunt ? DP_RANK_SHUNT : DP_RANK_SA);
	return p;
}

static uint8_t lookup(const struct dp_spd *s, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp, uint16_t dp)
{
	struct dp_flow f = { src, dst, proto, sp, dp };
	const struct dp_policy *p = dp_spd_lookup(s, &f);
	return p ? p->action : 0xff;
}

static void test_lookup_order(void)
{
	const struct dp_policy table[] = {
		pol("10.2.0.0/16", "10.1.0.0/16", DP_POLICY_PROTECT, false),
		pol("10.2.0.0/24", "10.1.0.0/24", DP_POLICY_PROTECT, false),
		pol("10.2.0.0/24", "10.1.0.0/24[tcp/22]", DP_POLICY_DISCARD, true),
		pol("10.2.0.0/16", "10.1.0.0/16", DP_POLICY_BYPASS, true),
		pol("10.1.0.0/16", "10.2.0.0/16", DP_POLICY_REQUIRE, false),
	};
	struct dp_spd *s = build(table, 5);
	CU_ASSERT_EQUAL(lookup(s, 0x0a020001, 0x0a010001, 17, 1, 53), DP_POLICY_PROTECT); /* the /24 pair */
	CU_ASSERT_EQUAL(lookup(s, 0x0a020001, 0x0a010001, 6, 999, 22), DP_POLICY_DISCARD);
	CU_ASSERT_EQUAL(lookup(s, 0x0a020001, 0x0a010001, 17, 999, 22), DP_POLICY_PROTECT);
	CU_ASSERT_EQUAL(lookup(s, 0x0a020101, 0x0a010101, 1, 0, 0), DP_POLICY_BYPASS); /* shunt wins the tie */
	CU_ASSERT_EQUAL(lookup(s, 0x0a010101, 0x0a020101, 1, 0, 0), DP_POLICY_REQUIRE);
	CU_ASSERT_EQUAL(lookup(s, 0x0a030101, 0x0a010101, 1, 0, 0), 0xff);
	free(s);
}

static void test_flow_from_packet(void)
{
	uint8_t pkt[40] = { 0x45, 0, 0, 40, 0, 0, 0x20, 0, 64, 6, 0, 0, 10, 2, 0, 1, 10, 1, 0, 5, 0x30, 0x39, 0x01, 0xbb };
	struct dp_flow f;
	dp_flow_from_ipv4((const struct rte_ipv4_hdr *)pkt, sizeof(pkt), &f);
	CU_ASSERT(f.src == 0x0a020001 && f.dst == 0x0a010005 && f.proto == 6 && f.sport == 12345 && f.dport == 443);
	pkt[7] = 1; /* a later fragment carries no ports */
	dp_flow_from_ipv4((const struct rte_ipv4_hdr *)pkt, sizeof(pkt), &f);
	CU_ASSERT(f.sport == 0 && f.dport == 0);
}

/*
 * The flow cache answers exactly as the ordered walk does, for random flows against two SPD
 * snapshots used in turn (a stale answer from the other snapshot would show), and hits on repeats.
 */
static void test_flow_cache(void)
{
	const struct dp_policy a[] = {
		pol("10.2.0.0/16", "10.1.0.0/16", DP_POLICY_PROTECT, false),
		pol("10.2.0.0/24", "10.1.0.0/24[tcp/22]", DP_POLICY_DISCARD, true),
		pol("10.1.0.0/16", "10.2.0.0/16", DP_POLICY_REQUIRE, false),
	};
	const struct dp_policy b[] = {
		pol("10.2.0.0/16", "10.1.0.0/16", DP_POLICY_BYPASS, true),
		pol("10.2.0.0/24", "10.1.0.0/24[udp/53]", DP_POLICY_DISCARD, true),
	};
	struct dp_spd *s[2] = { build(a, 3), build(b, 2) };
	s[0]->gen = 1;
	s[1]->gen = 2;
	struct dp_spd_cache *c = calloc(1, sizeof(*c));
	CU_ASSERT_FATAL(c != NULL);
	srand(7);
	unsigned wrong = 0;
	for (int i = 0; i < 200000; i++) {
		const struct dp_spd *spd = s[(i / 1000) % 2];
		/* few enough flows that they repeat, many enough that cache slots collide */
		struct dp_flow f = { 0x0a020000 | (uint32_t)(rand() % 600), 0x0a010000 | (uint32_t)(rand() % 300),
				     (uint8_t)(rand() % 2 ? 6 : 17), (uint16_t)(rand() % 3), (uint16_t)(rand() % 2 ? 22 : 53) };
		if (rand() % 8 == 0) {
			uint32_t t = f.src;
			f.src = f.dst, f.dst = t;
		}
		wrong += dp_spd_cached_lookup(c, spd, &f) != dp_spd_lookup(spd, &f);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(c->hits > 0 && c->misses > 0 && c->hits + c->misses == 200000);
	struct dp_flow f = { 0x0a020001, 0x0a010001, 6, 999, 22 };
	uint64_t hits = c->hits;
	dp_spd_cached_lookup(c, s[0], &f);
	CU_ASSERT(dp_spd_cached_lookup(c, s[0], &f)->action == DP_POLICY_DISCARD && c->hits == hits + 1);
	CU_ASSERT(dp_spd_cached_lookup(c, s[1], &f)->action == DP_POLICY_BYPASS); /* the new snapshot's answer */
	free(c);
	free(s[0]);
	free(s[1]);
}

void spd_suite_add(CU_pSuite s)
{
	CU_add_test(s, "flow cache: the walk's answers, per snapshot", test_flow_cache);
	CU_add_test(s, "first match by specificity, shunts before SAs", test_lookup_order);
	CU_add_test(s, "5-tuple from a packet", test_flow_from_packet);
}
