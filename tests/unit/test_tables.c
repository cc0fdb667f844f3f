/* SPDX-License-Identifier: BSD-3-Clause */
/* The control core's table API: rekeys that hand a child's policies to its successor in place. */
#include <CUnit/CUnit.h>

#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

#include "dataplane/esp_algo.h"
#include "dataplane/tables.h"
#include "dataplane/worker.h"
#include "lib/parse.h"
#include "unit.h"

static struct rte_rcu_qsbr *qsv;
static struct rte_mempool *pool;
static struct dp_tables worker_view;
static struct traffic_selector lan, lan2, far;
static const uint8_t key[64] = { 1, 2, 3 };

/* One worker's view, no worker thread: grace periods end at once, as nothing is online. */
int tables_suite_init(void)
{
	struct dp_tables *w[1] = { &worker_view };
	struct dp_table_sizes sizes = { .sas = 1024, .policies = 1024 };
	qsv = rte_zmalloc("unit_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	pool = rte_pktmbuf_pool_create("unit_tables", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (qsv == NULL || pool == NULL || rte_rcu_qsbr_init(qsv, 1) != 0 || !ts_parse("10.2.0.0/16", &lan) ||
	    !ts_parse("10.3.0.0/16", &lan2) || !ts_parse("10.1.0.0/16", &far))
		return -1;
	return dp_tables_init(1, w, qsv, &sizes);
}

int tables_suite_clean(void)
{
	dp_tables_fini();
	rte_free(qsv);
	rte_mempool_free(pool);
	return 0;
}

static struct esp_sa *install(bool inbound, uint32_t spi)
{
	struct esp_sa_params p = { .spi = spi, .inbound = inbound, .tunnel = true,
				   .alg = &esp_algos[esp_algo_parse("aes128gcm16")], .key = key,
				   .local = 0xc0000202, .remote = 0xc0000201, .local_ts = &lan, .n_local_ts = 1,
				   .remote_ts = &far, .n_remote_ts = 1 };
	char err[128];
	struct esp_sa *sa = dp_sa_install(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	return sa;
}

/* A child's two policies between local and far, as app/ike_glue.c makes them. */
static void add_policies_of(struct esp_sa *out, uint64_t owner, const struct traffic_selector *local)
{
	struct dp_policy po = { .src = *local, .dst = far, .action = DP_POLICY_PROTECT, .sa = out };
	struct dp_policy pi = { .src = far, .dst = *local, .action = DP_POLICY_REQUIRE };
	po.priority = dp_policy_priority(&po.src, &po.dst, DP_RANK_SA);
	pi.priority = dp_policy_priority(&pi.src, &pi.dst, DP_RANK_SA);
	CU_ASSERT_FATAL(dp_policy_add(&po, owner) == 0 && dp_policy_add(&pi, owner) == 0);
}

static void add_child_policies(struct esp_sa *out, uint64_t owner)
{
	add_policies_of(out, owner, &lan);
}

static void add_other_child_policies(struct esp_sa *out, uint64_t owner)
{
	add_policies_of(out, owner, &lan2);
}

static struct dp_tables_usage usage(void)
{
	struct dp_tables_usage u;
	dp_tables_usage(&u);
	return u;
}

static const struct dp_policy *outbound_policy(void)
{
	struct dp_flow f = { .src = 0x0a020005, .dst = 0x0a010009, .proto = 17, .sport = 1000, .dport = 53 };
	return dp_spd_lookup(worker_view.spd, &f);
}

static bool inbound_required(void)
{
	struct dp_flow f = { .src = 0x0a010009, .dst = 0x0a020005, .proto = 17, .sport = 53, .dport = 1000 };
	const struct dp_policy *p = dp_spd_lookup(worker_view.spd, &f);
	return p != NULL && p->action == DP_POLICY_REQUIRE;
}

/*
 * The successor takes the policies over as one change (an SA superseded), where adding its
 * policies and removing the old would have been four; the old SA then goes like any other.
 */
static void test_supersede(void)
{
	struct esp_sa *in = install(true, 0x1001), *a = install(false, 0x2001), *b = install(false, 0x2002);
	add_child_policies(a, 11);
	CU_ASSERT(usage().sas == 1 && usage().policies == 2);
	uint64_t changes = usage().spd_changes;
	CU_ASSERT(dp_sa_supersede(a, b, 11, 12) == 0);
	CU_ASSERT(usage().spd_changes == changes + 1 && usage().policies == 2);
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == b);
	dp_policy_remove_owner(11); /* the old child's owner has nothing left */
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == b && inbound_required());
	CU_ASSERT(usage().spd_changes == changes + 1);
	dp_sa_remove(a);
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == b && usage().spd_changes == changes + 1);

	struct esp_sa *c = install(false, 0x2003);
	CU_ASSERT(dp_sa_supersede(b, c, 12, 13) == 0 && outbound_policy()->sa == c);
	CU_ASSERT(dp_sa_supersede(b, c, 12, 13) == -1); /* b's policies are c's now */
	dp_sa_remove(b);
	dp_policy_remove_owner(13);
	CU_ASSERT(outbound_policy() == NULL && !inbound_required());
	dp_sa_remove(c);
	dp_sa_remove(in);
	/* counted gone at once, though the hash frees the key's slot after a grace period */
	CU_ASSERT(usage().sas == 0 && usage().policies == 0);
	dp_tables_reclaim();
}

/* Refused, with nothing changed, where the policies cannot pass over in place. */
static void test_supersede_refused(void)
{
	struct esp_sa *in = install(true, 0x1002), *a = install(false, 0x2011), *b = install(false, 0x2012);
	add_child_policies(a, 21);
	add_child_policies(b, 22);
	uint64_t changes = usage().spd_changes;
	CU_ASSERT(dp_sa_supersede(a, b, 21, 22) == -1); /* the successor has policies already */
	CU_ASSERT(dp_sa_supersede(in, b, 21, 23) == -1); /* inbound SAs have no policies to pass */
	CU_ASSERT(dp_sa_supersede(a, b, 24, 25) == -1); /* not the owner of a's policies */
	CU_ASSERT(usage().spd_changes == changes);
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == a);
	dp_policy_remove_owner(21);
	dp_policy_remove_owner(22);
	dp_sa_remove(a);
	dp_sa_remove(b);
	dp_sa_remove(in);
	dp_tables_reclaim();
}

/* A packet from src on a LAN to the far side, as classify hands it to the policy stage (IPv4 header first). */
static struct rte_mbuf *lan_packet(uint32_t src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, sizeof(*ip) + sizeof(struct rte_udp_hdr));
	*ip = (struct rte_ipv4_hdr){ .version_ihl = 0x45, .total_length = rte_cpu_to_be_16(28), .time_to_live = 64,
				     .next_proto_id = IPPROTO_UDP, .src_addr = rte_cpu_to_be_32(src),
				     .dst_addr = rte_cpu_to_be_32(0x0a010009) };
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*(struct rte_udp_hdr *)(ip + 1) = (struct rte_udp_hdr){ .src_port = rte_cpu_to_be_16(1000),
								.dst_port = rte_cpu_to_be_16(53),
								.dgram_len = rte_cpu_to_be_16(8) };
	return m;
}

/* One packet from src through a worker's policy stage; the SA it is to be encrypted with (NULL: none). */
static struct esp_sa *policy_stage_sa(struct dp_worker *w, uint32_t src)
{
	struct dp_batch b = { .fib = worker_view.fib, .spd = worker_view.spd, .spd_gen = dp_spd_gen(worker_view.spd),
			      .n_fwd = 1 };
	b.fwd[0] = lan_packet(src);
	dp_stage_policy(w, &b);
	struct esp_sa *sa = b.n_out == 1 ? b.out_sa[0] : NULL;
	rte_pktmbuf_free(b.n_out == 1 ? b.out[0] : b.n_route ? b.route[0] : b.n_punt ? b.punt[0] : b.drop[0]);
	return sa;
}

/*
 * A flow the worker's cache learned with the old SA is looked up afresh after the rekey and goes
 * out with the new one; another flow's answer is kept across the rekey.
 */
static void test_cached_flow_follows_successor(void)
{
	struct dp_worker *w = rte_zmalloc("unit_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	w->spd_cache = dp_spd_cache_create(1024, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->spd_cache);
	struct esp_sa *in = install(true, 0x1003), *a = install(false, 0x2021), *b = install(false, 0x2022);
	add_child_policies(a, 31);
	struct esp_sa *x = install(false, 0x2023), *y = install(false, 0x2024);
	add_other_child_policies(x, 33);
	CU_ASSERT(policy_stage_sa(w, 0x0a020005) == a && policy_stage_sa(w, 0x0a030005) == x);
	CU_ASSERT(w->spd_cache->misses == 2 && w->spd_cache->hits == 0);
	CU_ASSERT(dp_sa_supersede(a, b, 31, 32) == 0);
	dp_sa_remove(a);
	CU_ASSERT(policy_stage_sa(w, 0x0a020005) == b && w->spd_cache->misses == 3);
	CU_ASSERT(policy_stage_sa(w, 0x0a020005) == b && w->spd_cache->hits == 1);
	CU_ASSERT(policy_stage_sa(w, 0x0a030005) == x && w->spd_cache->hits == 2); /* kept across it */
	CU_ASSERT(dp_sa_supersede(x, y, 33, 34) == 0);
	CU_ASSERT(policy_stage_sa(w, 0x0a030005) == y && policy_stage_sa(w, 0x0a020005) == b);
	CU_ASSERT(w->spd_cache->misses == 4 && w->spd_cache->hits == 3);
	dp_policy_remove_owner(32);
	dp_policy_remove_owner(34);
	dp_sa_remove(b);
	dp_sa_remove(x);
	dp_sa_remove(y);
	dp_sa_remove(in);
	dp_tables_reclaim();
	dp_spd_cache_free(w->spd_cache);
	rte_free(w);
}

static bool same_route(const struct dp_route *a, const struct dp_route *b)
{
	return a == NULL || b == NULL ? a == b : a->prefix == b->prefix && a->plen == b->plen;
}

/*
 * With many routes the workers' snapshot answers by prefix-length tables: the same longest match
 * as the control core's walk over every route, for addresses in and around them.
 */
static void test_many_routes(void)
{
	srand(3);
	for (int i = 0; i < 1500; i++) { /* within 100.64.0.0/10, of every length from /10, some twice */
		uint8_t plen = (uint8_t)(10 + rand() % 23);
		uint32_t prefix = (0x64400000u | ((uint32_t)rand() << 8 ^ (uint32_t)rand()) >> 10) & prefix_mask(plen);
		CU_ASSERT_FATAL(dp_route_add(prefix, plen, 0xc0000201, 0) == 0);
	}
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	const struct dp_fib *fib = worker_view.fib;
	CU_ASSERT(fib->n_routes >= 1500 && fib->n_lens >= 20);
	struct dp_tables_usage u;
	dp_tables_usage(&u);
	CU_ASSERT(u.routes == fib->n_routes && u.route_lengths == fib->n_lens);
	unsigned wrong = 0, found = 0;
	for (int i = 0; i < 200000; i++) {
		uint32_t dst = 0x64000000u | (((uint32_t)rand() << 8 ^ (uint32_t)rand()) >> 8); /* 100.0.0.0/8 */
		const struct dp_route *r = dp_fib_route(fib, dst);
		wrong += !same_route(r, dp_route_lookup(dst));
		found += r != NULL;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(found > 10000 && found < 200000); /* both answers were asked for */
}

void tables_suite_add(CU_pSuite s)
{
	CU_add_test(s, "rekey with the same selectors: policies taken over in place, one change", test_supersede);
	CU_add_test(s, "rekey in place refused with nothing changed", test_supersede_refused);
	CU_add_test(s, "rekey in place: a flow cached with the old SA goes out with the new, others' answers kept", test_cached_flow_follows_successor);
	CU_add_test(s, "many routes: the snapshot's prefix-length tables answer as the walk", test_many_routes);
}
