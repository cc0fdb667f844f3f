/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core's table API, and worker stages reading what it publishes: rekeys that hand a
 * child's policies to its successor in place, routes, neighbours, the punt rings of the classifier.
 */
#include <CUnit/CUnit.h>

#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dataplane/esp_algo.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/tables.h"
#include "dataplane/worker.h"
#include "lib/parse.h"
#include "unit.h"

static struct rte_rcu_qsbr *qsv;
static struct rte_mempool *pool;
/* worker_view2 as if on another NUMA socket (its snapshot a copy), worker_view3 on worker_view's */
static struct dp_tables worker_view, worker_view2 = { .socket = 1 }, worker_view3;
static struct traffic_selector lan, lan2, far;
static const uint8_t key[64] = { 1, 2, 3 };

#define NEIGHBOURS_LEARNED 32

/* Three workers' views, no worker thread: grace periods end at once, as nothing is online. */
int tables_suite_init(void)
{
	struct dp_tables *w[3] = { &worker_view, &worker_view2, &worker_view3 };
	struct dp_table_sizes sizes = { .sas = 1024, .policies = 1024, .neighbours = NEIGHBOURS_LEARNED };
	qsv = rte_zmalloc("unit_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	pool = rte_pktmbuf_pool_create("unit_tables", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (qsv == NULL || pool == NULL || dp_meta_register() < 0 || rte_rcu_qsbr_init(qsv, 1) != 0 ||
	    !ts_parse("10.2.0.0/16", &lan) ||
	    !ts_parse("10.3.0.0/16", &lan2) || !ts_parse("10.1.0.0/16", &far))
		return -1;
	return dp_tables_init(3, w, qsv, &sizes);
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

/*
 * Two children with the same selectors, not a rekey (a peer that reconnected without
 * INITIAL_CONTACT): the newer sends; once it goes, the older again.
 */
static void test_newest_child_sends(void)
{
	struct esp_sa *a = install(false, 0x2021), *b = install(false, 0x2022), *c = install(false, 0x2023);
	add_child_policies(a, 31);
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == a);
	add_child_policies(b, 32);
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == b && inbound_required());
	add_child_policies(c, 33);
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == c);
	dp_policy_remove_owner(32); /* the middle one leaves: the newest still sends */
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == c);
	dp_policy_remove_owner(33);
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == a && inbound_required());
	dp_policy_remove_owner(31);
	CU_ASSERT(outbound_policy() == NULL && !inbound_required());
	dp_sa_remove(a);
	dp_sa_remove(b);
	dp_sa_remove(c);
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
	CU_ASSERT(outbound_policy() != NULL && outbound_policy()->sa == b); /* the newer, as before */
	dp_policy_remove_owner(21);
	dp_policy_remove_owner(22);
	dp_sa_remove(a);
	dp_sa_remove(b);
	dp_sa_remove(in);
	dp_tables_reclaim();
}

/* A packet of len bytes from src on a LAN to the far side, as classify hands it to the policy stage (IPv4 header first). */
static struct rte_mbuf *lan_packet_of(uint32_t src, uint16_t len, uint16_t frag_field)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
	memset(ip, 0xa5, len);
	*ip = (struct rte_ipv4_hdr){ .version_ihl = 0x45, .total_length = rte_cpu_to_be_16(len), .time_to_live = 64,
				     .fragment_offset = rte_cpu_to_be_16(frag_field), .next_proto_id = IPPROTO_UDP,
				     .src_addr = rte_cpu_to_be_32(src), .dst_addr = rte_cpu_to_be_32(0x0a010009) };
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	*(struct rte_udp_hdr *)(ip + 1) = (struct rte_udp_hdr){ .src_port = rte_cpu_to_be_16(1000),
								.dst_port = rte_cpu_to_be_16(53),
								.dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*ip))) };
	return m;
}

static struct rte_mbuf *lan_packet(uint32_t src)
{
	return lan_packet_of(src, sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr), 0);
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

/*
 * A packet from src to dst, decrypted with in, through a worker's policy stage: the SA it is to be
 * encrypted with again; NULL with *routed when it goes on as it is.
 */
static struct esp_sa *decrypted_stage_sa(struct dp_worker *w, struct esp_sa *in, uint32_t src, uint32_t dst,
					 bool *routed)
{
	struct dp_batch b = { .fib = worker_view.fib, .spd = worker_view.spd, .spd_gen = dp_spd_gen(worker_view.spd),
			      .n_fwd = 1 };
	b.fwd[0] = lan_packet(src);
	b.fwd_sa[0] = in;
	b.fwd_flags[0] = DP_META_F_DECRYPTED;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(b.fwd[0], struct rte_ipv4_hdr *);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	dp_stage_policy(w, &b);
	*routed = b.n_route == 1;
	struct esp_sa *sa = b.n_out == 1 ? b.out_sa[0] : NULL;
	rte_pktmbuf_free(b.n_out == 1 ? b.out[0] : b.n_route ? b.route[0] : b.n_punt ? b.punt[0] : b.drop[0]);
	return sa;
}

static struct dp_worker *test_worker(uint16_t owner_id)
{
	struct dp_worker *w = rte_zmalloc("unit_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	w->spd_cache = dp_spd_cache_create(1024, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->spd_cache);
	w->esp.owner_id = owner_id;
	return w;
}

/*
 * A decrypted packet's verdict comes from its SA's memo of the last flow while nothing that could
 * change it changed: a more specific PROTECT policy added for another spoke (a hub encrypts again),
 * a wide shunt ahead of everything, their removal; another flow takes the memo over. A worker that
 * does not own the SA leaves the memo alone and asks its flow cache.
 */
static void test_decrypted_flow_memo(void)
{
	uint16_t me = sa_owner_register();
	struct dp_worker *w = test_worker(me), *other = test_worker(SA_OWNER_SHARED);
	struct esp_sa *in = install(true, 0x1005), *a = install(false, 0x2031), *x = install(false, 0x2032);
	add_child_policies(a, 41);
	CU_ASSERT_FATAL(sa_owner_mine(&in->owner, me)); /* as decrypting with it did */
	const uint32_t far_host = 0x0a010009, lan_host = 0x0a020005, lan_host2 = 0x0a020006;
	bool routed;
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host, &routed) == NULL && routed);
	CU_ASSERT(w->spd_cache->misses == 1 && w->spd_cache->sa_memo_hits == 0);
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host, &routed) == NULL && routed);
	CU_ASSERT(w->spd_cache->misses == 1 && w->spd_cache->sa_memo_hits == 1 && w->spd_cache->hits == 1);
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host2, &routed) == NULL && routed);
	CU_ASSERT(w->spd_cache->misses == 2 && w->spd_cache->sa_memo_hits == 1);

	struct traffic_selector spoke;
	CU_ASSERT_FATAL(ts_parse("10.2.0.0/24", &spoke));
	struct dp_policy hub = { .src = far, .dst = spoke, .action = DP_POLICY_PROTECT, .sa = x };
	hub.priority = dp_policy_priority(&hub.src, &hub.dst, DP_RANK_SA);
	CU_ASSERT_FATAL(dp_policy_add(&hub, 42) == 0);
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host2, &routed) == x && !routed);
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host2, &routed) == x && w->spd_cache->sa_memo_hits == 2);
	dp_policy_remove_owner(42);
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host2, &routed) == NULL && routed);

	struct traffic_selector wide;
	CU_ASSERT_FATAL(ts_parse("10.0.0.0/8", &wide));
	struct dp_policy shunt = { .src = wide, .dst = wide, .action = DP_POLICY_DISCARD, .priority = 0 };
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host2, &routed) == NULL && routed);
	uint64_t memo_hits = w->spd_cache->sa_memo_hits;
	CU_ASSERT_FATAL(dp_policy_add(&shunt, 43) == 0);
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host2, &routed) == NULL && !routed);
	CU_ASSERT(w->spd_cache->sa_memo_hits == memo_hits);
	dp_policy_remove_owner(43);
	CU_ASSERT(decrypted_stage_sa(w, in, far_host, lan_host2, &routed) == NULL && routed);

	CU_ASSERT(decrypted_stage_sa(other, in, far_host, lan_host2, &routed) == NULL && routed);
	CU_ASSERT(decrypted_stage_sa(other, in, far_host, lan_host2, &routed) == NULL && routed);
	CU_ASSERT(other->spd_cache->sa_memo_hits == 0 && other->spd_cache->hits == 1);
	dp_policy_remove_owner(41);
	dp_sa_remove(a);
	dp_sa_remove(x);
	dp_sa_remove(in);
	dp_tables_reclaim();
	dp_spd_cache_free(w->spd_cache);
	dp_spd_cache_free(other->spd_cache);
	rte_free(w);
	rte_free(other);
	sa_owner_unregister(me);
}

/*
 * A datagram that fits the LAN but not the tunnel (no route to the peer here: an MTU of 1500): with
 * DF clear it leaves the policy stage as fragments for the SA, in order, each small enough for ESP
 * (RFC 4301 8.1); with DF set it is punted for ICMP fragmentation needed, with the room to report;
 * with the pool empty, to the control core to be cut there, the packets that fit going on.
 */
static void test_oversize_fragmented_before_esp(void)
{
	struct dp_worker *w = rte_zmalloc("unit_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	w->spd_cache = dp_spd_cache_create(1024, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w->spd_cache);
	struct esp_sa *in = install(true, 0x1004), *a = install(false, 0x2031);
	add_child_policies(a, 41);
	/* AES-GCM tunnel: outer IPv4, ESP header, IV, at most 3 bytes of padding, 2 of trailer, ICV */
	uint32_t room = 1500 - (20 + 8 + 8 + 3 + 2 + 16);
	struct dp_batch b = { .fib = worker_view.fib, .spd = worker_view.spd, .spd_gen = dp_spd_gen(worker_view.spd),
			      .n_fwd = 2 };
	b.fwd[0] = lan_packet_of(0x0a020005, 1480, 0);
	b.fwd[1] = lan_packet(0x0a020006); /* behind it, and kept behind its fragments */
	dp_stage_policy(w, &b);
	CU_ASSERT_FATAL(b.n_out == 3);
	uint32_t first = rte_pktmbuf_pkt_len(b.out[0]), second = rte_pktmbuf_pkt_len(b.out[1]);
	const struct rte_ipv4_hdr *f0 = rte_pktmbuf_mtod(b.out[0], const struct rte_ipv4_hdr *);
	const struct rte_ipv4_hdr *f1 = rte_pktmbuf_mtod(b.out[1], const struct rte_ipv4_hdr *);
	CU_ASSERT(first <= room && second <= room && first + second - 20 == 1480);
	CU_ASSERT(f0->fragment_offset == rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG));
	CU_ASSERT(f1->fragment_offset == rte_cpu_to_be_16((uint16_t)((first - 20) / 8)));
	CU_ASSERT(rte_ipv4_cksum(f0) == 0 && rte_ipv4_cksum(f1) == 0);
	CU_ASSERT(rte_pktmbuf_pkt_len(b.out[2]) == 28);
	CU_ASSERT(b.out_sa[0] == a && b.out_sa[1] == a && b.out_sa[2] == a);
	CU_ASSERT(w->stats.fragmented == 1 && w->stats.fragments_made == 2 && b.n_punt == 0);
	rte_pktmbuf_free_bulk(b.out, b.n_out);

	struct dp_batch d = { .fib = worker_view.fib, .spd = worker_view.spd, .spd_gen = dp_spd_gen(worker_view.spd),
			      .n_fwd = 1 };
	d.fwd[0] = lan_packet_of(0x0a020005, 1480, RTE_IPV4_HDR_DF_FLAG);
	dp_stage_policy(w, &d);
	CU_ASSERT_FATAL(d.n_out == 0 && d.n_punt == 1);
	CU_ASSERT(dp_meta(d.punt[0])->code == DP_PUNT_FRAG_NEEDED && dp_meta(d.punt[0])->aux == (room & ~7u));
	CU_ASSERT(rte_pktmbuf_pkt_len(d.punt[0]) == 1480 && w->stats.fragmented == 1);
	rte_pktmbuf_free(d.punt[0]);

	/* no buffers left for the second piece: the big one goes to the control core, the small one on */
	struct dp_batch e = { .fib = worker_view.fib, .spd = worker_view.spd, .spd_gen = dp_spd_gen(worker_view.spd),
			      .n_fwd = 2 };
	e.fwd[0] = lan_packet_of(0x0a020005, 1480, 0);
	e.fwd[1] = lan_packet(0x0a020006);
	struct rte_mbuf *held[64];
	unsigned n_held = 0;
	while (n_held < 64 && (held[n_held] = rte_pktmbuf_alloc(pool)) != NULL)
		n_held++;
	CU_ASSERT_FATAL(n_held < 64);
	dp_stage_policy(w, &e);
	CU_ASSERT(e.n_out == 1 && e.n_punt == 1 && rte_pktmbuf_pkt_len(e.out[0]) == 28);
	CU_ASSERT(e.n_punt == 1 && dp_meta(e.punt[0])->code == DP_PUNT_FRAGMENT && w->stats.fragmented == 1);
	rte_pktmbuf_free_bulk(held, n_held);
	rte_pktmbuf_free_bulk(e.out, e.n_out);
	rte_pktmbuf_free_bulk(e.punt, e.n_punt);
	dp_policy_remove_owner(41);
	dp_sa_remove(a);
	dp_sa_remove(in);
	dp_tables_reclaim();
	dp_spd_cache_free(w->spd_cache);
	rte_free(w);
}

static bool same_route(const struct dp_route *a, const struct dp_route *b)
{
	return a == NULL || b == NULL ? a == b : a->prefix == b->prefix && a->plen == b->plen;
}

/* Whether p points into snapshot f's own allocation (a copy must not lean on the original). */
static bool inside(const struct dp_fib *f, const void *p)
{
	return (const char *)p > (const char *)f && (const char *)p < (const char *)f + f->bytes;
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
	/* a worker of the same socket shares the snapshot; one of another socket has a copy, which answers as the first */
	CU_ASSERT(worker_view3.fib == fib);
	dp_tables_reclaim(); /* nothing online: all that was retired goes, each snapshot once */
	dp_tables_usage(&u);
	CU_ASSERT_EQUAL(u.fib_snapshots, 2);
	for (int i = 0; i < 20000; i++) {
		uint32_t dst = 0x64000000u | (((uint32_t)rand() << 8 ^ (uint32_t)rand()) >> 8);
		wrong += !same_route(dp_fib_route(worker_view2.fib, dst), dp_fib_route(fib, dst));
	}
	CU_ASSERT_EQUAL(wrong, 0);
	const struct dp_fib *copy = worker_view2.fib;
	CU_ASSERT(copy != fib && inside(copy, copy->routes) && inside(copy, copy->neigh) && inside(copy, copy->local) &&
		  inside(copy, copy->neigh_slots));
	for (uint32_t i = 0; i < copy->n_lens; i++)
		wrong += !inside(copy, copy->lens[i].slots);
	CU_ASSERT_EQUAL(wrong, 0);
}

static struct rte_ether_addr mac_of(uint32_t n)
{
	struct rte_ether_addr m = { { 0x02, 0, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n } };
	return m;
}

/* Whether both workers' snapshots hold exactly ip -> mac (or, with mac NULL, nothing for ip). */
static bool workers_see(uint32_t ip, uint16_t port, const struct rte_ether_addr *mac)
{
	const struct dp_fib *fibs[2] = { worker_view.fib, worker_view2.fib };
	for (int i = 0; i < 2; i++) {
		const struct dp_neigh *n = dp_fib_neigh(fibs[i], ip, port);
		if ((n == NULL) != (mac == NULL) || (n && !rte_is_same_ether_addr(&n->mac, mac)))
			return false;
	}
	return true;
}

/*
 * ARP fills the learned neighbours up to their limit: then what it hears unasked is refused and
 * an answer to our own request takes the place of the learned neighbour confirmed longest ago;
 * configured ones are never displaced nor moved. Workers see all of it at the next commit.
 */
static void test_neighbours_full(void)
{
	const uint32_t base = 0x0a090000, configured = 0x0a080001;
	struct rte_ether_addr m;
	for (uint32_t i = 0; i < 3; i++)
		CU_ASSERT_FATAL(dp_neigh_set(configured + i, 1, (m = mac_of(i), &m), DP_NEIGH_STATIC) == 0);
	for (uint32_t i = 0; i < NEIGHBOURS_LEARNED; i++)
		CU_ASSERT_FATAL(dp_neigh_set(base + i, 1, (m = mac_of(base + i), &m), DP_NEIGH_HEARD) == 0);
	CU_ASSERT(dp_tables_pending() && workers_see(base + 1, 1, NULL));
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	CU_ASSERT(!dp_tables_pending() && workers_see(base + 1, 1, (m = mac_of(base + 1), &m)));
	CU_ASSERT(dp_neigh_set(base + 100, 1, (m = mac_of(1), &m), DP_NEIGH_HEARD) == DP_NEIGH_FULL);
	CU_ASSERT_PTR_NULL(dp_neigh_find(base + 100, 1));
	CU_ASSERT(dp_neigh_set(base, 1, (m = mac_of(base), &m), DP_NEIGH_HEARD) == 0); /* confirmed: base + 1 is stalest */
	CU_ASSERT(dp_neigh_set(base + 200, 1, (m = mac_of(base + 200), &m), DP_NEIGH_ANSWER) == 0);
	CU_ASSERT_PTR_NULL(dp_neigh_find(base + 1, 1));
	CU_ASSERT_PTR_NOT_NULL(dp_neigh_find(base, 1));
	CU_ASSERT(dp_neigh_set(configured, 1, (m = mac_of(77), &m), DP_NEIGH_HEARD) == 0);
	CU_ASSERT(dp_neigh_find(configured, 1)->mac.addr_bytes[5] == 0);
	CU_ASSERT(dp_tables_pending() && workers_see(base + 1, 1, (m = mac_of(base + 1), &m)));
	CU_ASSERT(workers_see(base + 200, 1, NULL));
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	CU_ASSERT(!dp_tables_pending());
	CU_ASSERT(workers_see(base + 200, 1, (m = mac_of(base + 200), &m)) && workers_see(base + 1, 1, NULL));
	CU_ASSERT(workers_see(configured, 1, (m = mac_of(0), &m)) && workers_see(base + 100, 1, NULL));
	struct dp_tables_usage u;
	dp_tables_usage(&u);
	CU_ASSERT(u.neighbours_learned == NEIGHBOURS_LEARNED && u.neighbours == NEIGHBOURS_LEARNED + 3);
	/* a learned one configured: no longer counted nor displaced; the next stalest goes instead */
	CU_ASSERT(dp_neigh_set(base + 2, 1, (m = mac_of(2), &m), DP_NEIGH_STATIC) == 0);
	dp_tables_usage(&u);
	CU_ASSERT(u.neighbours_learned == NEIGHBOURS_LEARNED - 1);
	CU_ASSERT(dp_neigh_set(base + 300, 1, (m = mac_of(300), &m), DP_NEIGH_ANSWER) == 0);
	CU_ASSERT(dp_neigh_find(base + 3, 1) != NULL);
	CU_ASSERT(dp_neigh_set(base + 301, 1, (m = mac_of(301), &m), DP_NEIGH_ANSWER) == 0);
	CU_ASSERT(dp_neigh_find(base + 2, 1) != NULL && dp_neigh_find(base + 3, 1) == NULL);
	CU_ASSERT(dp_neigh_set(base + 2, 1, (m = mac_of(9), &m), DP_NEIGH_ANSWER) == 0 &&
		  dp_neigh_find(base + 2, 1)->mac.addr_bytes[5] == 2);
}

/*
 * Many answers through a full table, with confirmations between them: each displaces the
 * stalest learned neighbour by a reference model, and the index finds every one left (an entry
 * moved into a removed one's place included).
 */
static void test_neighbours_churn(void)
{
	enum { IPS = 200 };
	const uint32_t base = 0x0a0a0000;
	uint64_t seen[IPS] = { 0 }, clock = 0; /* 0: absent */
	struct rte_ether_addr m;
	unsigned wrong = 0;
	struct dp_tables_usage u;
	dp_tables_usage(&u);
	unsigned older = u.neighbours_learned; /* left by the test before: staler than any of these */
	srand(11);
	for (int step = 0; step < 5000; step++) {
		uint32_t k = (uint32_t)rand() % IPS;
		bool known = seen[k] != 0;
		if (!known) {
			unsigned learned = 0, stalest = 0;
			for (unsigned i = 0; i < IPS; i++)
				if (seen[i]) {
					learned++;
					stalest = seen[stalest] == 0 || seen[i] < seen[stalest] ? i : stalest;
				}
			if (learned + older >= NEIGHBOURS_LEARNED && older > 0)
				older--;
			else if (learned + older >= NEIGHBOURS_LEARNED)
				seen[stalest] = 0;
		}
		wrong += dp_neigh_set(base + k, 2, (m = mac_of(base + k + (uint32_t)step), &m), DP_NEIGH_ANSWER) != 0;
		seen[k] = ++clock;
		for (unsigned i = 0; i < IPS; i++) {
			const struct dp_neigh *n = dp_neigh_find(base + i, 2);
			wrong += (n != NULL) != (seen[i] != 0) || (n && n->ip != base + i);
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	for (unsigned i = 0; i < IPS; i++)
		wrong += workers_see(base + i, 2, seen[i] ? &dp_neigh_find(base + i, 2)->mac : NULL) ? 0 : 1;
	CU_ASSERT_EQUAL(wrong, 0);
}

struct walked {
	uint32_t ip[NEIGHBOURS_LEARNED + 1];
	unsigned n;
};

static void note_walked(const struct dp_neigh *n, void *ctx)
{
	struct walked *w = ctx;
	if (w->n < RTE_DIM(w->ip))
		w->ip[w->n] = n->ip;
	w->n++;
}

static struct walked walk_stale(uint64_t older_ms, unsigned max)
{
	struct walked w = { .n = 0 };
	CU_ASSERT_EQUAL(dp_neigh_walk_stale(older_ms, max, note_walked, &w), w.n);
	return w;
}

/*
 * What neighbour expiry reads and does: learned neighbours walked from the stalest (configured
 * ones never), a limit and an age respected; a learned one forgotten leaves the list and, at
 * the next commit, the workers; a configured one is not forgotten.
 */
static void test_neighbours_stale_and_forgotten(void)
{
	const uint32_t a = 0x0a0b0001, b = a + 1, c = a + 2, configured = 0x0a080001;
	struct rte_ether_addr m;
	CU_ASSERT_FATAL(dp_neigh_set(a, 3, (m = mac_of(a), &m), DP_NEIGH_ANSWER) == 0);
	CU_ASSERT_FATAL(dp_neigh_set(b, 3, (m = mac_of(b), &m), DP_NEIGH_ANSWER) == 0);
	CU_ASSERT_FATAL(dp_neigh_set(c, 3, (m = mac_of(c), &m), DP_NEIGH_ANSWER) == 0);
	CU_ASSERT_FATAL(dp_neigh_set(a, 3, (m = mac_of(a), &m), DP_NEIGH_HEARD) == 0); /* a confirmed: latest */
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	struct dp_tables_usage u;
	dp_tables_usage(&u);
	struct walked w = walk_stale(0, 1000);
	CU_ASSERT_FATAL(w.n == u.neighbours_learned && w.n >= 3 && w.n <= NEIGHBOURS_LEARNED);
	CU_ASSERT(w.ip[w.n - 3] == b && w.ip[w.n - 2] == c && w.ip[w.n - 1] == a);
	CU_ASSERT_EQUAL(walk_stale(0, 2).n, 2);
	CU_ASSERT_EQUAL(walk_stale(3600 * 1000, 1000).n, 0);
	uint64_t age = UINT64_MAX;
	CU_ASSERT(dp_neigh_learned_age(a, 3, &age) && age < 1000);
	CU_ASSERT(!dp_neigh_learned_age(configured, 1, &age) && !dp_neigh_learned_age(a, 4, &age));

	CU_ASSERT(dp_neigh_forget(b, 3));
	CU_ASSERT(!dp_neigh_forget(b, 3) && !dp_neigh_forget(configured, 1));
	CU_ASSERT_PTR_NULL(dp_neigh_find(b, 3));
	CU_ASSERT_PTR_NOT_NULL(dp_neigh_find(configured, 1));
	w = walk_stale(0, 1000);
	CU_ASSERT(w.n == u.neighbours_learned - 1 && w.ip[w.n - 2] == c && w.ip[w.n - 1] == a);
	CU_ASSERT(dp_tables_pending() && workers_see(b, 3, (m = mac_of(b), &m)));
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	CU_ASSERT(workers_see(b, 3, NULL) && workers_see(c, 3, (m = mac_of(c), &m)));
	dp_tables_usage(&u);
	CU_ASSERT_EQUAL(u.neighbours_learned, w.n);
}

#define OUR_ADDR 0xc0000202

/* An Ethernet frame to our address, UDP to dport carrying len bytes of payload. */
static struct rte_mbuf *udp_to_us(uint16_t dport, const uint8_t *payload, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	uint16_t l3 = (uint16_t)(sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + len);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + l3);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	*ip = (struct rte_ipv4_hdr){ .version_ihl = 0x45, .total_length = rte_cpu_to_be_16(l3), .time_to_live = 64,
				     .next_proto_id = IPPROTO_UDP, .src_addr = rte_cpu_to_be_32(0xc0000201),
				     .dst_addr = rte_cpu_to_be_32(OUR_ADDR) };
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	*u = (struct rte_udp_hdr){ .src_port = rte_cpu_to_be_16(500), .dst_port = rte_cpu_to_be_16(dport),
				   .dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*u) + len)) };
	memcpy(u + 1, payload, len);
	return m;
}

/* Makes frame m, from udp_to_us(), a fragment: frag is the IPv4 header's flags and offset field. */
static struct rte_mbuf *as_fragment(struct rte_mbuf *m, uint16_t frag)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	ip->fragment_offset = rte_cpu_to_be_16(frag);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

/* Cuts frame m (from udp_to_us()) after at bytes (a multiple of 8) of its IPv4 payload: m keeps
 * the first fragment, the second is returned. */
static struct rte_mbuf *split_frame(struct rte_mbuf *m, uint16_t at)
{
	const uint16_t l2 = sizeof(struct rte_ether_hdr), l3 = sizeof(struct rte_ipv4_hdr);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	uint16_t rest = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - l3 - at);
	struct rte_mbuf *second = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(second);
	char *p = rte_pktmbuf_append(second, (uint16_t)(l2 + l3 + rest));
	memcpy(p, rte_pktmbuf_mtod(m, char *), l2 + l3);
	memcpy(p + l2 + l3, (char *)(ip + 1) + at, rest);
	rte_pktmbuf_trim(m, rest);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + at));
	as_fragment(m, RTE_IPV4_HDR_MF_FLAG);
	ip = (struct rte_ipv4_hdr *)(p + l2);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + rest));
	return as_fragment(second, at / 8);
}

static struct rte_mbuf *arp_frame(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, 60);
	memset(eth, 0, 60);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	return m;
}

static uint16_t udp_dport_of(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	return rte_be_to_cpu_16(((const struct rte_udp_hdr *)(ip + 1))->dst_port);
}

/* A worker seeing worker_view, with a reassembly table and both punt rings (the other one of
 * punt_size entries: room for one less). */
static struct dp_worker *punting_worker(unsigned punt_size, unsigned id)
{
	struct dp_worker *w = rte_zmalloc("unit_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	w->tables = worker_view;
	w->punt = rte_ring_create("unit_punt", punt_size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->punt_ike = rte_ring_create("unit_punt_ike", 16, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	CU_ASSERT_FATAL(w->punt != NULL && w->punt_ike != NULL && dp_reassembly_init(&w->reasm, id, SOCKET_ID_ANY, 1024) == 0);
	return w;
}

/* Frees the worker of punting_worker() with what its rings still hold. */
static void punting_worker_free(struct dp_worker *w)
{
	struct rte_ring *rings[2] = { w->punt, w->punt_ike };
	struct rte_mbuf *got[16];
	unsigned k;
	for (int r = 0; r < 2; r++) {
		while ((k = rte_ring_dequeue_burst(rings[r], (void **)got, 16, NULL)) > 0)
			rte_pktmbuf_free_bulk(got, k);
		rte_ring_free(rings[r]);
	}
	dp_reassembly_fini(&w->reasm);
	rte_free(w);
}

/*
 * IKE (UDP 500, UDP 4500 with the non-ESP marker, an IKE datagram that came in two fragments)
 * goes to the control core on a ring of its own: with the other punt ring full of ARP, IKE still
 * gets through, and what overflowed is counted.
 */
static void test_ike_punted_apart(void)
{
	struct dp_port_info port = { .addr = OUR_ADDR, .mtu = 1500 };
	dp_fib_set_ports(&port, 1);
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	struct dp_worker *w = punting_worker(4, 90); /* room for 3 */
	static const uint8_t ike[32] = { 1, 2, 3, 4, 5, 6, 7, 8 }, marked[36] = { 0, 0, 0, 0, 1, 2, 3, 4 };
	static const uint8_t keepalive[1] = { 0xff }, dns[12] = { 1 }, long_ike[64] = { 9, 9, 9, 9 };
	struct rte_mbuf *pkts[16];
	uint16_t n = 0;
	for (int i = 0; i < 8; i++)
		pkts[n++] = arp_frame();
	pkts[n++] = udp_to_us(500, ike, sizeof(ike));
	pkts[n++] = udp_to_us(4500, marked, sizeof(marked));
	pkts[n] = udp_to_us(500, long_ike, sizeof(long_ike));
	pkts[n + 1] = split_frame(pkts[n], 40); /* the second piece has no UDP header */
	n += 2;
	pkts[n++] = udp_to_us(4500, keepalive, sizeof(keepalive));
	pkts[n++] = udp_to_us(53, dns, sizeof(dns));
	struct dp_batch b = { .fib = worker_view.fib, .spd = worker_view.spd };
	dp_classify(w, &b, pkts, n, 0);
	dp_batch_finish(w, &b);
	CU_ASSERT_EQUAL(rte_ring_count(w->punt_ike), 3);
	CU_ASSERT_EQUAL(rte_ring_count(w->punt), 3);
	CU_ASSERT_EQUAL(w->stats.drops[DP_DROP_PUNT_RING_FULL], 6); /* 8 ARP and the datagram to port 53, less 3 */
	CU_ASSERT(w->stats.drops[DP_DROP_IKE_RING_FULL] == 0 && w->stats.drops[DP_DROP_NAT_KEEPALIVE] == 1);
	CU_ASSERT(w->stats.punted == 6 && w->stats.reassembled == 1);
	struct rte_mbuf *got[16];
	unsigned k = rte_ring_dequeue_burst(w->punt_ike, (void **)got, 16, NULL);
	CU_ASSERT_FATAL(k == 3);
	CU_ASSERT(udp_dport_of(got[0]) == 500 && udp_dport_of(got[1]) == 4500 && udp_dport_of(got[2]) == 500);
	CU_ASSERT(rte_pktmbuf_pkt_len(got[2]) == 20 + 8 + sizeof(long_ike) && rte_pktmbuf_is_contiguous(got[2]));
	CU_ASSERT(memcmp(rte_pktmbuf_mtod_offset(got[2], uint8_t *, 28), long_ike, sizeof(long_ike)) == 0);
	for (unsigned i = 0; i < k; i++)
		CU_ASSERT(dp_meta(got[i])->code == DP_PUNT_LOCAL && dp_meta(got[i])->port == 0);
	rte_pktmbuf_free_bulk(got, k);
	k = rte_ring_dequeue_burst(w->punt, (void **)got, 16, NULL);
	CU_ASSERT(k == 3 && dp_meta(got[0])->code == DP_PUNT_ARP);
	rte_pktmbuf_free_bulk(got, k);
	punting_worker_free(w);
	dp_fib_set_ports(&port, 0);
	CU_ASSERT(dp_tables_commit() == 0);
}

/* One burst of frames to us (ARP, a datagram to a port nobody serves) through the worker's stages. */
static void stage_burst(struct dp_worker *w, unsigned arp, unsigned udp)
{
	static const uint8_t dns[12] = { 1 };
	struct rte_mbuf *pkts[16];
	uint16_t n = 0;
	for (unsigned i = 0; i < arp; i++)
		pkts[n++] = arp_frame();
	for (unsigned i = 0; i < udp; i++)
		pkts[n++] = udp_to_us(53, dns, sizeof(dns));
	struct dp_batch b;
	dp_batch_begin(w, &b);
	dp_worker_burst(w, &b, pkts, n, 0);
}

/*
 * workers.stage_cycles: while on, each stage a burst passes counts the packets handed it and
 * its cycles; off, nothing is counted and the path is the same.
 */
static void test_stage_cycles(void)
{
	struct dp_port_info port = { .addr = OUR_ADDR, .mtu = 1500 };
	dp_fib_set_ports(&port, 1);
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	struct dp_worker *w = punting_worker(16, 92);
	stage_burst(w, 2, 1);
	static const struct dp_stage_stats none;
	CU_ASSERT(w->stats.punted == 3 && memcmp(&w->stats.stages, &none, sizeof(none)) == 0);
	w->stage_cycles = true;
	stage_burst(w, 3, 2);
	const struct dp_stage_stats *s = &w->stats.stages;
	CU_ASSERT(s->packets[DP_STAGE_CLASSIFY] == 5 && s->packets[DP_STAGE_FINISH] == 5);
	CU_ASSERT(s->packets[DP_STAGE_ESP_IN] == 0 && s->packets[DP_STAGE_POLICY] == 0 && s->packets[DP_STAGE_ROUTE] == 0);
	CU_ASSERT(s->cycles[DP_STAGE_CLASSIFY] > 0 && s->cycles[DP_STAGE_FINISH] > 0);
	w->stage_cycles = false;
	struct dp_stage_stats before = *s;
	stage_burst(w, 1, 1);
	CU_ASSERT(w->stats.punted == 10 && memcmp(s, &before, sizeof(before)) == 0);
	punting_worker_free(w);
	dp_fib_set_ports(&port, 0);
	CU_ASSERT(dp_tables_commit() == 0);
}

/*
 * ESP to us that a peer fragmented after encryption is put back together on the worker, whatever
 * the order of its pieces, and goes to the ESP stage whole; transit fragments are forwarded as
 * they are.
 */
static void test_esp_fragments_reassembled(void)
{
	struct dp_port_info port = { .addr = OUR_ADDR, .mtu = 1500 };
	dp_fib_set_ports(&port, 1);
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	struct dp_worker *w = rte_zmalloc("unit_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_FATAL(w != NULL && dp_reassembly_init(&w->reasm, 91, SOCKET_ID_ANY, 1024) == 0);
	static uint8_t body[1592];
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7);
	struct rte_mbuf *esp = udp_to_us(4500, body, sizeof(body)), *pkts[3];
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(esp, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	ip->next_proto_id = IPPROTO_ESP; /* the UDP header's bytes stand for the SPI and sequence number */
	pkts[0] = split_frame(esp, 1480);
	pkts[1] = esp;
	pkts[2] = as_fragment(udp_to_us(53, body, 64), RTE_IPV4_HDR_MF_FLAG);
	ip = rte_pktmbuf_mtod_offset(pkts[2], struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	ip->dst_addr = rte_cpu_to_be_32(0x0a630007); /* passing through */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct dp_batch b = { .fib = worker_view.fib, .spd = worker_view.spd };
	dp_classify(w, &b, pkts, 3, 0);
	CU_ASSERT_FATAL(b.n_esp_in == 1 && b.n_fwd == 1 && b.n_drop == 0);
	struct rte_mbuf *whole = b.esp_in[0];
	const struct rte_ipv4_hdr *wip = rte_pktmbuf_mtod(whole, const struct rte_ipv4_hdr *);
	CU_ASSERT(rte_pktmbuf_is_contiguous(whole) && rte_pktmbuf_pkt_len(whole) == 20 + 8 + sizeof(body));
	CU_ASSERT(wip->next_proto_id == IPPROTO_ESP && wip->fragment_offset == 0 && rte_ipv4_cksum(wip) == 0);
	CU_ASSERT(memcmp((const uint8_t *)(wip + 1) + 8, body, sizeof(body)) == 0);
	CU_ASSERT(w->stats.reassembled == 1 && w->stats.drops[DP_DROP_REASSEMBLY] == 0);
	rte_pktmbuf_free(whole);
	rte_pktmbuf_free(b.fwd[0]);
	dp_reassembly_fini(&w->reasm);
	rte_free(w);
	dp_fib_set_ports(&port, 0);
	CU_ASSERT(dp_tables_commit() == 0);
}

/*
 * Routing to a port with a smaller MTU: a datagram with DF clear leaves as fragments, each framed
 * for the neighbour; with DF set it is punted for ICMP fragmentation needed; with no neighbour known
 * yet it goes whole to the control core, which cuts it and holds the pieces for the neighbour.
 */
static void test_route_fragments(void)
{
	struct dp_port_info ports[2] = { { .addr = OUR_ADDR, .mtu = 1500 }, { .addr = 0x0a630001, .mtu = 576 } };
	const uint32_t host = 0x0a630007;
	struct rte_ether_addr m;
	dp_fib_set_ports(ports, 2);
	CU_ASSERT_FATAL(dp_route_add(0x0a630000, 16, 0, 1) == 0);
	CU_ASSERT_FATAL(dp_neigh_set(host, 1, (m = mac_of(host), &m), DP_NEIGH_ANSWER) == 0);
	CU_ASSERT_FATAL(dp_tables_commit() == 0);
	CU_ASSERT(worker_view.fib->min_mtu == 576); /* ESP's MTU check skips packets that fit it (ipsec_stage.c) */
	struct dp_worker *w = rte_zmalloc("unit_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	w->n_ports = 2;
	struct dp_batch b = { .fib = worker_view.fib, .spd = worker_view.spd, .n_route = 3 };
	b.route[0] = lan_packet_of(0x0a020005, 1000, 0);
	b.route[1] = lan_packet_of(0x0a020005, 1000, RTE_IPV4_HDR_DF_FLAG);
	b.route[2] = lan_packet_of(0x0a020005, 1000, 0);
	for (int i = 0; i < 3; i++)
		rte_pktmbuf_mtod(b.route[i], struct rte_ipv4_hdr *)->dst_addr = rte_cpu_to_be_32(i < 2 ? host : host + 1);
	dp_stage_route(w, &b);
	CU_ASSERT_FATAL(w->tx[1].n == 2 && b.n_punt == 2);
	uint32_t payload = 0;
	for (int i = 0; i < 2; i++) {
		struct rte_mbuf *f = w->tx[1].m[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(f, const struct rte_ether_hdr *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
		CU_ASSERT(rte_is_same_ether_addr(&eth->dst_addr, (m = mac_of(host), &m)));
		CU_ASSERT(rte_pktmbuf_pkt_len(f) - sizeof(*eth) <= 576 && rte_ipv4_cksum(ip) == 0);
		CU_ASSERT((rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) * 8u == payload);
		CU_ASSERT(((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG)) != 0) == (i == 0));
		payload += rte_be_to_cpu_16(ip->total_length) - (uint32_t)sizeof(*ip);
	}
	CU_ASSERT(payload == 980 && w->stats.fragmented == 1 && w->stats.fragments_made == 2 && w->stats.forwarded == 2);
	CU_ASSERT(dp_meta(b.punt[0])->code == DP_PUNT_FRAG_NEEDED && dp_meta(b.punt[0])->aux == 576);
	CU_ASSERT(dp_meta(b.punt[1])->code == DP_PUNT_FRAGMENT && rte_pktmbuf_pkt_len(b.punt[1]) == 1000);
	rte_pktmbuf_free_bulk(w->tx[1].m, w->tx[1].n);
	rte_pktmbuf_free_bulk(b.punt, b.n_punt);
	rte_free(w);
	CU_ASSERT(dp_neigh_forget(host, 1));
	dp_fib_set_ports(ports, 0);
	CU_ASSERT(dp_tables_commit() == 0);
}

void tables_suite_add(CU_pSuite s)
{
	CU_add_test(s, "rekey with the same selectors: policies taken over in place, one change", test_supersede);
	CU_add_test(s, "rekey in place refused with nothing changed", test_supersede_refused);
	CU_add_test(s, "two children with the same selectors: the newest sends", test_newest_child_sends);
	CU_add_test(s, "rekey in place: a flow cached with the old SA goes out with the new, others' answers kept", test_cached_flow_follows_successor);
	CU_add_test(s, "a decrypted packet's verdict from its SA's memo while no change touches it; the owner's alone",
		    test_decrypted_flow_memo);
	CU_add_test(s, "a datagram too big for the tunnel: fragments before ESP (DF clear), punted for ICMP (DF set)",
		    test_oversize_fragmented_before_esp);
	CU_add_test(s, "many routes: the snapshot's prefix-length tables answer as the walk", test_many_routes);
	CU_add_test(s, "neighbours: learned ones up to their limit, then only answers, displacing the stalest",
		    test_neighbours_full);
	CU_add_test(s, "ESP to us in fragments: put back together on the worker; transit fragments left as they are",
		    test_esp_fragments_reassembled);
	CU_add_test(s, "stage cycles: counted by stage while on, nothing while off", test_stage_cycles);
	CU_add_test(s, "IKE punted on a ring of its own: a full punt ring of ARP does not hold it back",
		    test_ike_punted_apart);
	CU_add_test(s, "neighbours: churn through a full table against a reference, index and snapshots agree",
		    test_neighbours_churn);
	CU_add_test(s, "neighbours: the stale end walked from the stalest, a learned one forgotten, a configured one kept",
		    test_neighbours_stale_and_forgotten);
	CU_add_test(s, "routing to a smaller MTU: fragments (DF clear), ICMP (DF set), the control core (no neighbour yet)",
		    test_route_fragments);
}
