/* SPDX-License-Identifier: BSD-3-Clause */
/* Policy lookup: first match in priority order; specific before general, shunts before SAs. */
#include <CUnit/CUnit.h>
#include <stdio.h>
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

/* Unit tests run single-threaded: nothing needs a grace period. */
static void retire_now(void (*fn)(void *), void *ptr)
{
	fn(ptr);
}

static struct dp_spd *new_spd(uint32_t capacity)
{
	static int n;
	char name[32];
	snprintf(name, sizeof(name), "spd_test%d", n++);
	struct dp_spd *s = dp_spd_create(name, capacity, NULL, retire_now);
	CU_ASSERT_FATAL(s != NULL);
	return s;
}

static struct dp_spd *build(const struct dp_policy *p, int n)
{
	struct dp_spd *s = new_spd(1024);
	for (int i = 0; i < n; i++)
		CU_ASSERT_FATAL(dp_spd_add(s, &p[i], (uint64_t)i) == 0);
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
	dp_spd_remove_owner(s, 3); /* the bypass shunt: the protect policy of equal specificity shows */
	CU_ASSERT_EQUAL(lookup(s, 0x0a020101, 0x0a010101, 1, 0, 0), DP_POLICY_PROTECT);
	dp_spd_free(s);
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
 * The reference the SPD must agree with: of the live policies that match, the one of best
 * priority, the newest among equals.
 */
struct ref_spd {
	struct dp_policy p[600];
	uint64_t owner[600];
	bool live[600];
	int n;
};

static const struct dp_policy *ref_lookup(const struct ref_spd *r, const struct dp_flow *f)
{
	const struct dp_policy *best = NULL;
	for (int i = 0; i < r->n; i++)
		if (r->live[i] && dp_policy_matches(&r->p[i], f) && (best == NULL || r->p[i].priority <= best->priority))
			best = &r->p[i];
	return best;
}

/* Random selectors of many shapes over a small address space, so that they overlap. */
static struct traffic_selector random_ts(void)
{
	static const uint8_t plens[] = { 0, 8, 16, 24, 28, 32 };
	static const uint8_t protos[] = { 0, 0, 6, 17 };
	struct traffic_selector t = { .plen = plens[rand() % 6], .proto = protos[rand() % 4], .port_hi = 65535 };
	t.mask = t.plen ? ~0u << (32 - t.plen) : 0;
	t.addr = (0x0a000000u | (uint32_t)(rand() % 4) << 16 | (uint32_t)(rand() % 4) << 8 | (uint32_t)(rand() % 32)) &
		 t.mask;
	if (t.proto && rand() % 2)
		t.port_lo = t.port_hi = (uint16_t)(rand() % 3 + 1);
	else if (t.proto && rand() % 2)
		t.port_lo = 2, t.port_hi = 3;
	return t;
}

static struct dp_flow random_flow(void)
{
	return (struct dp_flow){ 0x0a000000u | (uint32_t)(rand() % 4) << 16 | (uint32_t)(rand() % 4) << 8 | (uint32_t)(rand() % 32),
				 0x0a000000u | (uint32_t)(rand() % 4) << 16 | (uint32_t)(rand() % 4) << 8 | (uint32_t)(rand() % 32),
				 (uint8_t)(rand() % 3 ? (rand() % 2 ? 6 : 17) : 1), (uint16_t)(rand() % 4), (uint16_t)(rand() % 4) };
}

/* The action and selectors of the answer, or -1: pointers differ between SPD and reference. */
static bool same_answer(const struct dp_policy *a, const struct dp_policy *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->priority == b->priority && a->action == b->action && a->trap_id == b->trap_id;
}

/* Lookups one by one and in bulk (batches of every size up to the most) against the reference. */
static unsigned disagreements(const struct dp_spd *s, const struct ref_spd *r, int flows)
{
	unsigned wrong = 0;
	struct dp_flow batch[DP_SPD_BULK_MAX];
	const struct dp_flow *fp[DP_SPD_BULK_MAX];
	const struct dp_policy *got[DP_SPD_BULK_MAX];
	for (int i = 0; i < flows;) {
		uint32_t n = (uint32_t)(i / DP_SPD_BULK_MAX % DP_SPD_BULK_MAX) + 1;
		for (uint32_t j = 0; j < n; j++, i++) {
			batch[j] = random_flow();
			fp[j] = &batch[j];
			wrong += !same_answer(dp_spd_lookup(s, &batch[j]), ref_lookup(r, &batch[j]));
		}
		dp_spd_lookup_bulk(s, fp, n, got);
		for (uint32_t j = 0; j < n; j++)
			wrong += !same_answer(got[j], ref_lookup(r, &batch[j]));
	}
	return wrong;
}

static void add_random(struct dp_spd *s, struct ref_spd *r, uint64_t owner)
{
	struct dp_policy p = { .src = random_ts(), .dst = random_ts(), .action = (uint8_t)(rand() % 5) };
	p.priority = dp_policy_priority(&p.src, &p.dst, (enum dp_policy_rank)(rand() % 3));
	p.trap_id = (uint32_t)r->n; /* tells policies of equal priority and action apart */
	if (p.action == DP_POLICY_PROTECT) /* never dereferenced: an SA of its own, to tell the verdicts apart */
		p.sa = (struct esp_sa *)(uintptr_t)(0x10000 + 64 * (uintptr_t)r->n);
	CU_ASSERT_FATAL(r->n < 600 && dp_spd_add(s, &p, owner) == 0);
	r->p[r->n] = p;
	r->owner[r->n] = owner;
	r->live[r->n++] = true;
}

static void remove_owner(struct dp_spd *s, struct ref_spd *r, uint64_t owner)
{
	dp_spd_remove_owner(s, owner);
	for (int i = 0; i < r->n; i++)
		if (r->owner[i] == owner)
			r->live[i] = false;
}

/*
 * Random policies of every shape (prefix lengths, protocol, exact ports, port ranges, ranks):
 * the hash classes answer as the ordered walk does, after adding and after removing by owner.
 */
static void test_matches_ordered_walk(void)
{
	static struct ref_spd r;
	memset(&r, 0, sizeof(r));
	struct dp_spd *s = new_spd(1024);
	srand(11);
	for (int i = 0; i < 400; i++)
		add_random(s, &r, (uint64_t)(i % 150));
	CU_ASSERT(s->n_classes > 20); /* the test covers many shapes */
	CU_ASSERT_EQUAL(disagreements(s, &r, 30000), 0);
	for (uint64_t o = 0; o < 150; o += 2)
		remove_owner(s, &r, o);
	CU_ASSERT_EQUAL(disagreements(s, &r, 30000), 0);
	for (int i = 0; i < 150; i++)
		add_random(s, &r, 1000);
	CU_ASSERT_EQUAL(disagreements(s, &r, 30000), 0);
	for (uint64_t o = 1; o < 150; o += 2)
		remove_owner(s, &r, o);
	remove_owner(s, &r, 1000);
	CU_ASSERT(s->n_policies == 0 && s->n_classes == 0 && s->classes->n == 0);
	CU_ASSERT_EQUAL(disagreements(s, &r, 1000), 0);
	dp_spd_free(s);
}

/* Removing an outbound SA takes the policies that protect with it, and only those. */
static void test_remove_by_sa(void)
{
	struct dp_spd *s = new_spd(64);
	struct esp_sa *sa1 = (struct esp_sa *)(uintptr_t)0x1000, *sa2 = (struct esp_sa *)(uintptr_t)0x2000;
	struct dp_policy a = pol("10.2.0.0/16", "10.1.0.0/16", DP_POLICY_PROTECT, false);
	struct dp_policy b = pol("10.2.0.0/24", "10.1.0.0/24", DP_POLICY_PROTECT, false);
	a.sa = sa1;
	b.sa = sa2;
	CU_ASSERT_FATAL(dp_spd_add(s, &a, 1) == 0 && dp_spd_add(s, &b, 1) == 0);
	dp_spd_remove_sa(s, sa2);
	CU_ASSERT(dp_spd_lookup(s, &(struct dp_flow){ 0x0a020001, 0x0a010001, 1, 0, 0 })->sa == sa1);
	dp_spd_remove_sa(s, sa1);
	CU_ASSERT(dp_spd_lookup(s, &(struct dp_flow){ 0x0a020001, 0x0a010001, 1, 0, 0 }) == NULL);
	CU_ASSERT(s->n_policies == 0);
	dp_spd_free(s);
}

/* A full SPD refuses a policy, and changes nothing. */
static void test_capacity(void)
{
	struct dp_spd *s = new_spd(2);
	struct dp_policy a = pol("10.2.0.0/16", "10.1.0.0/16", DP_POLICY_BYPASS, true);
	CU_ASSERT(dp_spd_add(s, &a, 1) == 0 && dp_spd_add(s, &a, 2) == 0);
	CU_ASSERT(dp_spd_add(s, &a, 3) == -1 && s->n_policies == 2);
	dp_spd_remove_owner(s, 1);
	CU_ASSERT(dp_spd_add(s, &a, 3) == 0);
	dp_spd_free(s);
}

/*
 * The flow cache answers exactly as a fresh lookup does while the SPD changes under it between
 * bursts (a stale answer would show), and hits on repeats.
 */
static void test_flow_cache(void)
{
	static struct ref_spd r;
	memset(&r, 0, sizeof(r));
	struct dp_spd *s = new_spd(1024);
	struct dp_spd_cache *c = dp_spd_cache_create(DP_SPD_CACHE_DEFAULT_ENTRIES, 0);
	CU_ASSERT_FATAL(c != NULL);
	srand(7);
	unsigned wrong = 0;
	for (int i = 0; i < 200000; i++) {
		if (i % 1000 == 0) { /* between bursts: the SPD changes */
			if (r.n < 500)
				add_random(s, &r, (uint64_t)(i / 1000 % 7));
			if (i % 3000 == 0)
				remove_owner(s, &r, (uint64_t)(i / 3000 % 7));
		}
		struct dp_flow f = random_flow();
		wrong += !dp_verdict_same(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f), dp_verdict_of(dp_spd_lookup(s, &f)));
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(c->hits > 0 && c->misses > 0 && c->hits + c->misses == 200000);
	struct dp_flow f = random_flow();
	uint64_t hits = c->hits;
	struct dp_verdict v = dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f);
	CU_ASSERT(dp_verdict_same(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f), v) && c->hits == hits + 1);
	dp_spd_cache_free(c);
	dp_spd_free(s);
}

/* A flow to a higher address than f's whose answers go to the same set of the cache. */
static struct dp_flow flow_in_same_set(struct dp_spd_cache *c, const struct dp_flow *f)
{
	struct dp_flow g = *f;
	do
		g.dst++;
	while (dp_spd_cache_slot(c, &g) != dp_spd_cache_slot(c, f));
	return g;
}

/* Two flows of one set are both kept; a third evicts the older of them; a flow's new answer replaces its own. */
static void test_flow_cache_ways(void)
{
	struct dp_spd *s = new_spd(16);
	struct dp_spd_cache *c = dp_spd_cache_create(DP_SPD_CACHE_DEFAULT_ENTRIES, 0);
	CU_ASSERT_FATAL(c != NULL);
	struct dp_flow a = { .src = 0x0a020001, .dst = 0x0a400001, .sport = 1024, .dport = 9, .proto = 17 };
	struct dp_flow b = flow_in_same_set(c, &a), d = flow_in_same_set(c, &b);
	struct dp_verdict v = { .action = DP_POLICY_BYPASS };
	uint64_t gen = dp_spd_gen(s);
	dp_spd_cached_lookup(c, s, gen, &a);
	dp_spd_cached_lookup(c, s, gen, &b);
	CU_ASSERT(dp_spd_cache_get(c, s, gen, &a, &v) && dp_spd_cache_get(c, s, gen, &b, &v));
	dp_spd_cached_lookup(c, s, gen, &d);
	CU_ASSERT(!dp_spd_cache_get(c, s, gen, &a, &v));
	CU_ASSERT(dp_spd_cache_get(c, s, gen, &b, &v) && dp_spd_cache_get(c, s, gen, &d, &v));
	struct dp_verdict drop = { .action = DP_POLICY_DISCARD };
	dp_spd_cache_put(c, gen, &b, drop); /* way 1's own answer, replaced there: d stays */
	CU_ASSERT(dp_spd_cache_get(c, s, gen, &b, &v) && v.action == DP_POLICY_DISCARD);
	CU_ASSERT(dp_spd_cache_get(c, s, gen, &d, &v) && v.action == DP_POLICY_BYPASS);
	dp_spd_cache_free(c);
	dp_spd_free(s);
}

/* Whether flow f's cached answer stands at the SPD's generation now (a hit), without looking up. */
static bool still_cached(struct dp_spd_cache *c, const struct dp_spd *s, const struct dp_flow *f)
{
	struct dp_verdict v;
	return dp_spd_cache_get(c, s, dp_spd_gen(s), f, &v);
}

/*
 * An answer survives the policies added that do not match its flow, the ones removed that did
 * not give it and the SAs superseded that were not its own; not one that matches, not its own
 * policy's removal or SA's supersession, not more additions than the window keeps.
 */
static void test_flow_cache_across_changes(void)
{
	struct dp_spd *s = new_spd(1024);
	struct dp_spd_cache *c = dp_spd_cache_create(1024, 0);
	CU_ASSERT_FATAL(c != NULL);
	struct dp_policy p1 = pol("10.1.0.0/16", "10.2.0.0/16", DP_POLICY_DISCARD, false);
	struct dp_policy other = pol("172.16.0.0/12", "0.0.0.0/0", DP_POLICY_DISCARD, true);
	struct dp_policy on_f2 = pol("192.0.2.0/24", "0.0.0.0/0", DP_POLICY_DISCARD, true);
	struct dp_flow f1 = { .src = 0x0a010005, .dst = 0x0a020005, .proto = 6, .sport = 1000, .dport = 80 };
	struct dp_flow f2 = { .src = 0xc0000205, .dst = 0x0a020005, .proto = 6, .sport = 1000, .dport = 80 };
	CU_ASSERT_FATAL(dp_spd_add(s, &p1, 1) == 0);
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f1).action == DP_POLICY_DISCARD);
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f2).action == DP_POLICY_BYPASS);
	CU_ASSERT_FATAL(dp_spd_add(s, &other, 2) == 0);
	CU_ASSERT(still_cached(c, s, &f1) && still_cached(c, s, &f2));
	CU_ASSERT_FATAL(dp_spd_add(s, &on_f2, 3) == 0);
	CU_ASSERT(still_cached(c, s, &f1) && !still_cached(c, s, &f2));
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f2).action == DP_POLICY_DISCARD);
	dp_spd_remove_owner(s, 2);
	CU_ASSERT(still_cached(c, s, &f1) && still_cached(c, s, &f2));
	dp_spd_remove_owner(s, 1);
	CU_ASSERT(!still_cached(c, s, &f1) && still_cached(c, s, &f2));
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f1).action == DP_POLICY_BYPASS);
	for (int i = 0; i < DP_SPD_ADDS - 1; i++) { /* other policies come and go: the answers stand */
		CU_ASSERT_FATAL(dp_spd_add(s, &other, 4) == 0);
		dp_spd_remove_owner(s, 4);
	}
	CU_ASSERT(still_cached(c, s, &f1) && still_cached(c, s, &f2));
	for (int i = 0; i < DP_SPD_ADDS + 1; i++) /* more additions than the window keeps */
		CU_ASSERT_FATAL(dp_spd_add(s, &other, 4) == 0);
	dp_spd_remove_owner(s, 4);
	CU_ASSERT(!still_cached(c, s, &f1) && !still_cached(c, s, &f2));
	/* a rekey in place: only the answers with the superseded SA go */
	static char fake_sa[2][RTE_CACHE_LINE_SIZE] __rte_cache_aligned; /* SAs the SPD only compares */
	struct esp_sa *sa_a = (struct esp_sa *)fake_sa[0], *sa_b = (struct esp_sa *)fake_sa[1];
	struct dp_policy prot = pol("10.1.0.0/16", "10.2.0.0/16", DP_POLICY_PROTECT, false);
	prot.sa = sa_a;
	CU_ASSERT_FATAL(dp_spd_add(s, &prot, 5) == 0);
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f1).sa == sa_a);
	dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f2);
	CU_ASSERT_FATAL(dp_spd_rekey(s, 5, 6, sa_a, sa_b) == 0);
	CU_ASSERT(!still_cached(c, s, &f1) && still_cached(c, s, &f2));
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &f1).sa == sa_b);
	dp_spd_cache_free(c);
	dp_spd_free(s);
}

/* An outbound policy to a client's address and its inbound twin (owner o), as IKE installs them. */
static void add_client(struct dp_spd *s, const char *lan, uint32_t client, const char *width, uint64_t o)
{
	char addr[32];
	snprintf(addr, sizeof(addr), "%u.%u.%u.%u/%s", client >> 24, client >> 16 & 0xff, client >> 8 & 0xff,
		 client & 0xff, width);
	struct dp_policy out = pol(lan, addr, DP_POLICY_DISCARD, false), in = pol(addr, lan, DP_POLICY_REQUIRE, false);
	CU_ASSERT_FATAL(dp_spd_add(s, &out, o) == 0 && dp_spd_add(s, &in, o) == 0);
}

/*
 * Clients coming by the thousand (policies with a /32 side) spare the answers of the other
 * clients' flows, far beyond the window of wide additions; a policy that matches a flow does
 * not, on either side and as a single address or a narrow subnet.
 */
static void test_flow_cache_narrow_additions(void)
{
	struct dp_spd *s = new_spd(4096);
	struct dp_spd_cache *c = dp_spd_cache_create(1024, 0);
	CU_ASSERT_FATAL(c != NULL);
	struct dp_flow out = { .src = 0x0a010005, .dst = 0x64400105, .proto = 6, .sport = 1000, .dport = 80 };
	struct dp_flow in = { .src = 0x64400105, .dst = 0x0a010005, .proto = 6, .sport = 80, .dport = 1000 };
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &out).action == DP_POLICY_BYPASS);
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &in).action == DP_POLICY_BYPASS);
	for (uint32_t i = 0; i < 1000; i++) /* 100.64.2.0 on: other /24s than the flows' client */
		add_client(s, "10.1.0.0/16", 0x64400200 + i, "32", 10 + i);
	CU_ASSERT(s->n_policies == 2000 && still_cached(c, s, &out) && still_cached(c, s, &in));
	add_client(s, "10.2.0.0/16", 0x64400105, "32", 2); /* the client's address, another LAN */
	CU_ASSERT(!still_cached(c, s, &out) && !still_cached(c, s, &in));
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &out).action == DP_POLICY_BYPASS);
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &in).action == DP_POLICY_BYPASS);
	struct dp_policy in_only = pol("100.64.1.5/32", "10.1.0.0/16", DP_POLICY_REQUIRE, false);
	CU_ASSERT_FATAL(dp_spd_add(s, &in_only, 3) == 0);
	CU_ASSERT(still_cached(c, s, &out) && !still_cached(c, s, &in));
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &in).action == DP_POLICY_REQUIRE);
	add_client(s, "10.1.0.0/16", 0x64400100, "28", 4); /* a subnet the client's address lies in */
	CU_ASSERT(!still_cached(c, s, &out) && !still_cached(c, s, &in));
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &out).action == DP_POLICY_DISCARD);
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &in).action == DP_POLICY_REQUIRE);
	for (uint32_t i = 0; i < 100; i++) /* branches of a /20 each, elsewhere: more than the window */
		add_client(s, "10.1.0.0/16", 0xac100000 + (i << 12), "20", 2000 + i);
	CU_ASSERT(still_cached(c, s, &out) && still_cached(c, s, &in));
	add_client(s, "10.1.0.0/16", 0x64400000, "20", 5); /* a branch the client's address lies in, in its second /24 */
	CU_ASSERT(!still_cached(c, s, &out) && !still_cached(c, s, &in));
	dp_spd_cache_free(c);
	dp_spd_free(s);
}

/*
 * Transport-mode clients of the gateway's own address: both sides of every policy are single
 * addresses, and one of them is the same for all. A client coming spares the other clients'
 * answers both ways.
 */
static void test_flow_cache_transport_clients(void)
{
	struct dp_spd *s = new_spd(4096);
	struct dp_spd_cache *c = dp_spd_cache_create(1024, 0);
	CU_ASSERT_FATAL(c != NULL);
	struct dp_flow out = { .src = 0xc0000201, .dst = 0x64400105, .proto = 17, .sport = 1701, .dport = 1701 };
	struct dp_flow in = { .src = 0x64400105, .dst = 0xc0000201, .proto = 17, .sport = 1701, .dport = 1701 };
	add_client(s, "192.0.2.1/32", 0x64400105, "32", 1);
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &out).action == DP_POLICY_DISCARD);
	CU_ASSERT(dp_spd_cached_lookup(c, s, dp_spd_gen(s), &in).action == DP_POLICY_REQUIRE);
	for (uint32_t i = 0; i < 1000; i++)
		add_client(s, "192.0.2.1/32", 0x64400200 + i, "32", 10 + i);
	CU_ASSERT(still_cached(c, s, &out) && still_cached(c, s, &in));
	dp_spd_cache_free(c);
	dp_spd_free(s);
}

void spd_suite_add(CU_pSuite s)
{
	CU_add_test(s, "hash classes answer as the ordered walk, one by one and in bulk, through adds and removals", test_matches_ordered_walk);
	CU_add_test(s, "removing an SA removes its policies", test_remove_by_sa);
	CU_add_test(s, "a full SPD refuses and changes nothing", test_capacity);
	CU_add_test(s, "flow cache: fresh answers while the SPD changes", test_flow_cache);
	CU_add_test(s, "flow cache: two flows of a set both kept, the older one evicted by a third", test_flow_cache_ways);
	CU_add_test(s, "flow cache: answers kept across the changes that spare them, only those", test_flow_cache_across_changes);
	CU_add_test(s, "flow cache: answers kept across a thousand clients' additions, not one that matches", test_flow_cache_narrow_additions);
	CU_add_test(s, "flow cache: transport-mode clients of one address spare each other's answers", test_flow_cache_transport_clients);
	CU_add_test(s, "first match by specificity, shunts before SAs", test_lookup_order);
	CU_add_test(s, "5-tuple from a packet", test_flow_from_packet);
}
