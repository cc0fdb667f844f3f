/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table-scale benchmark: SA pairs installed through the control core's table API the way
 * an IKE child is (inbound SA, outbound SA, PROTECT and REQUIRE policies, one publish per
 * pair), then removed. Prints install and removal rates, the memory each pair holds, and
 * what a worker's lookups cost with that many pairs installed: an SPD lookup (a flow-cache
 * miss) for an outbound flow, and a SAD lookup for an inbound SPI, each for random pairs.
 *   dpike-bench-tables [EAL options] -- [--alg ESP_ALG] [--gcm-keys auto|full|compact] [PAIRS...]
 *   (default aes128gcm16, auto as workers.gcm_keys, 1000 100000)
 * The tables are sized for the largest count asked. A size stops early after 60 seconds, and
 * says so; the exit status is 1 when an install failed.
 *   dpike-bench-tables [EAL options] -- --routes
 * times route lookups instead, with 4 to 10,000 routes (bench_routes()); the exit status is 1
 * when the worker's snapshot and the control core's walk disagree.
 *   dpike-bench-tables [EAL options] -- --neighbours
 * times neighbour tables of 1,000 to 1,000,000 learned entries (bench_neighbours()): filling
 * them, answers to our own requests each displacing the stalest once full, one snapshot.
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/esp.h"
#include "dataplane/esp_algo.h"
#include "dataplane/tables.h"
#include "lib/parse.h"
#include "pairs.h"

#define LIMIT_S 60.0

static bool any_failed; /* an install failed: the exit status says so */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Both heaps: DPDK's (SAs, hashes) and the C library's (policy nodes, indexes). */
static size_t heap_bytes(void)
{
	struct rte_malloc_socket_stats s;
	rte_malloc_get_socket_stats((int)rte_socket_id(), &s);
	return s.heap_allocsz_bytes + mallinfo2().uordblks;
}

/* The pairs' addresses, SPIs and replay window; the algorithm comes from --alg. */
static struct bench_pairs_spec pair_spec = { .remote_base = 0x0b000000u, /* 11.0.0.0 + k */
					     .spi_in_base = 0x100000, .spi_out_base = 0x2000000, .replay_window = 64 };

/* Lookup cost in TSC cycles, per lookup, for random pairs. */
struct lookup_cost {
	double spd, spd_bulk, sad;
};

static void expect_protect(const struct dp_policy *p)
{
	if (p == NULL || p->action != DP_POLICY_PROTECT)
		any_failed = true;
}

/* What a worker pays with n pairs installed: SPD lookups one by one and 32 at a time, SAD lookups. */
static struct lookup_cost lookup_cycles(const struct dp_tables *t, uint32_t n)
{
	enum { ROUNDS = 200000, BULK = 32 };
	static uint32_t pick[ROUNDS];
	static struct dp_flow flows[ROUNDS];
	for (uint32_t i = 0; i < ROUNDS; i++) {
		pick[i] = (uint32_t)(((uint64_t)rand() << 16 ^ (uint64_t)rand()) % n);
		flows[i] = (struct dp_flow){ 0x0a020000u + (pick[i] & 0xffff), pair_spec.remote_base + pick[i], 17, 4500, 53 };
	}
	uint64_t t0 = rte_rdtsc();
	for (uint32_t i = 0; i < ROUNDS; i++)
		expect_protect(dp_spd_lookup(t->spd, &flows[i]));
	uint64_t t1 = rte_rdtsc();
	for (uint32_t i = 0; i + BULK <= ROUNDS; i += BULK) {
		const struct dp_flow *fp[BULK];
		const struct dp_policy *out[BULK];
		for (uint32_t j = 0; j < BULK; j++)
			fp[j] = &flows[i + j];
		dp_spd_lookup_bulk(t->spd, fp, BULK, out);
		for (uint32_t j = 0; j < BULK; j++)
			expect_protect(out[j]);
	}
	uint64_t t2 = rte_rdtsc();
	for (uint32_t i = 0; i < ROUNDS; i++) {
		uint32_t spi = pair_spec.spi_in_base + pick[i];
		if (dp_sad_find(t->sad, spi) == NULL)
			any_failed = true;
	}
	uint64_t t3 = rte_rdtsc();
	return (struct lookup_cost){ (double)(t1 - t0) / ROUNDS, (double)(t2 - t1) / ROUNDS, (double)(t3 - t2) / ROUNDS };
}

/* One pair as IKE installs a child: its SAs and policies, then one publish. */
static int install(struct bench_pair *p, uint32_t k)
{
	if (k >= 1u << 20)
		return -1; /* the SPI ranges of pair_spec */
	return bench_pair_install(p, &pair_spec, k) == 0 && dp_tables_commit() == 0 ? 0 : -1;
}

/* What the control core does between requests: the (idle) worker has passed a quiescent state. */
static void settle(struct rte_rcu_qsbr *qsv)
{
	rte_rcu_qsbr_quiescent(qsv, 0);
	dp_tables_reclaim();
}

static void run(uint32_t n, struct rte_rcu_qsbr *qsv, const struct dp_tables *t)
{
	struct bench_pair *pairs = calloc(n, sizeof(*pairs));
	size_t before = heap_bytes();
	double t_start = now_s(), t0 = t_start, t1;
	uint32_t done = 0;
	int rc = 0;
	while (done < n && now_s() - t_start < LIMIT_S && (rc = install(&pairs[done], done)) == 0) {
		done++;
		settle(qsv);
	}
	t1 = now_s();
	size_t held = heap_bytes() - before;
	any_failed |= rc != 0;
	struct lookup_cost cost = { 0, 0, 0 };
	if (done)
		cost = lookup_cycles(t, done);
	t0 = now_s();
	uint32_t removed = 0;
	while (removed < done) {
		bench_pair_remove(&pairs[done - 1 - removed]);
		dp_tables_commit();
		removed++;
		settle(qsv);
	}
	double t2 = now_s();
	printf("%9u %9u %12.0f %12.0f %10.0f %8.0f %8.0f %8.0f%s\n", n, done, done / (t1 - t_start),
	       removed / (t2 - t0), done ? (double)held / done : 0.0, cost.spd, cost.spd_bulk, cost.sad,
	       done == n ? "" : rc ? "   (an install failed)" : "   (stopped at the time limit)");
	fflush(stdout);
	free(pairs);
}

static uint32_t largest(int argc, char **argv, const uint32_t *sizes, size_t n_sizes)
{
	uint32_t max = 0;
	for (int i = 1; i < argc; i++)
		max = RTE_MAX(max, (uint32_t)strtoul(argv[i], NULL, 10));
	for (size_t i = 0; argc <= 1 && i < n_sizes; i++)
		max = RTE_MAX(max, sizes[i]);
	return max;
}

/*
 * Routes of random prefixes added up to each count (no route is ever removed), then the worker
 * snapshot's lookup timed for random destinations against the walk over every route that the
 * workers did before and the control core still does.
 */
static void bench_routes(const struct dp_tables *w)
{
	static const uint32_t counts[] = { 4, 8, 9, 100, 1000, 10000 };
	enum { LOOKUPS = 200000 };
	static uint32_t dst[LOOKUPS];
	uint32_t added = 0;
	srand(9);
	for (uint32_t i = 0; i < LOOKUPS; i++)
		dst[i] = 0x64000000u | (((uint32_t)rand() << 8 ^ (uint32_t)rand()) >> 8);
	printf("\nroutes (random prefixes of 100.64.0.0/10, /10 to /32): lookup cycles, a worker's and the walk over every route\n");
	printf("%9s %9s %9s\n", "routes", "fib_cyc", "walk_cyc");
	for (size_t c = 0; c < RTE_DIM(counts); c++) {
		for (; added < counts[c]; added++) {
			uint8_t plen = (uint8_t)(10 + rand() % 23);
			uint32_t prefix = (0x64400000u | ((uint32_t)rand() << 8 ^ (uint32_t)rand()) >> 10) & prefix_mask(plen);
			if (dp_route_add(prefix, plen, 0xc0000201, 0) < 0)
				any_failed = true;
		}
		if (dp_tables_commit() < 0)
			any_failed = true;
		uint64_t found = 0, t0 = rte_rdtsc();
		for (uint32_t i = 0; i < LOOKUPS; i++)
			found += dp_fib_route(w->fib, dst[i]) != NULL;
		uint64_t t1 = rte_rdtsc();
		for (uint32_t i = 0; i < LOOKUPS; i++)
			found -= dp_route_lookup(dst[i]) != NULL;
		uint64_t t2 = rte_rdtsc();
		if (found != 0)
			any_failed = true; /* the two disagree on which destinations have a route */
		printf("%9u %9.0f %9.0f\n", counts[c], (double)(t1 - t0) / LOOKUPS, (double)(t2 - t1) / LOOKUPS);
	}
}

static double per_s(uint64_t n, uint64_t cycles)
{
	return cycles ? (double)n * (double)rte_get_tsc_hz() / (double)cycles : 0;
}

/*
 * One table of `size` learned neighbours, filled by what ARP hears, then churned by answers;
 * the commit publishes a snapshot to `workers` workers (all on socket 0 here, so they share one).
 */
static void neighbours_of_size(struct rte_rcu_qsbr *qsv, uint32_t size, unsigned workers)
{
	enum { ANSWERS = 20000 };
	static struct dp_tables tables[DP_MAX_WORKERS];
	struct dp_tables *per_worker[DP_MAX_WORKERS];
	for (unsigned i = 0; i < workers; i++)
		per_worker[i] = &tables[i];
	struct dp_tables *w = &tables[0];
	struct dp_table_sizes ts = { .sas = 1024, .policies = 1024, .neighbours = size };
	if (dp_tables_init(workers, per_worker, qsv, &ts) != 0) {
		fprintf(stderr, "cannot set the tables up for %u neighbours\n", size);
		any_failed = true;
		return;
	}
	struct rte_ether_addr mac = { { 0x02, 0, 0, 0, 0, 1 } };
	uint64_t t0 = rte_rdtsc();
	for (uint32_t i = 0; i < size; i++)
		any_failed |= dp_neigh_set(0x0a000000u + i, 0, &mac, DP_NEIGH_HEARD) != 0;
	uint64_t t1 = rte_rdtsc();
	for (uint32_t i = 0; i < ANSWERS; i++)
		any_failed |= dp_neigh_set(0x0b000000u + i, 0, &mac, DP_NEIGH_ANSWER) != 0;
	uint64_t t2 = rte_rdtsc();
	any_failed |= dp_tables_commit() != 0;
	uint64_t t3 = rte_rdtsc();
	/* a worker's lookups of random neighbours present (the later heard and the answers) */
	enum { LOOKUPS = 200000 };
	uint32_t kept_heard = size > ANSWERS ? size - ANSWERS : 0, found = 0;
	uint64_t t4 = rte_rdtsc();
	for (uint32_t i = 0; i < LOOKUPS; i++) {
		uint32_t k = (uint32_t)rand() % (kept_heard + RTE_MIN(size, (uint32_t)ANSWERS));
		uint32_t ip = k < kept_heard ? 0x0a000000u + size - 1 - k : 0x0b000000u + ANSWERS - 1 - (k - kept_heard);
		found += dp_fib_neigh(w->fib, ip, 0) != NULL;
	}
	uint64_t t5 = rte_rdtsc();
	any_failed |= found != LOOKUPS;
	/* the first answers displaced the first heard: the stalest */
	any_failed |= dp_neigh_find(0x0a000000u, 0) != NULL || dp_neigh_find(0x0b000000u + ANSWERS - 1, 0) == NULL;
	printf("%10u %8u %12.0f %12.0f %10.2f %10.0f\n", size, workers, per_s(size, t1 - t0), per_s(ANSWERS, t2 - t1),
	       (double)(t3 - t2) * 1e3 / (double)rte_get_tsc_hz(), (double)(t5 - t4) / LOOKUPS);
	rte_rcu_qsbr_quiescent(qsv, 0); /* the snapshots retired can go: the tables are made anew */
	dp_tables_fini();
}

static void bench_neighbours(struct rte_rcu_qsbr *qsv)
{
	static const uint32_t sizes[] = { 1000, 65536, 1000000 };
	printf("neighbour tables full of learned entries: learned per second filling them, answers to our own "
	       "requests per second once full (each displacing the stalest), one commit of a snapshot for each of "
	       "the workers (ms), a worker's lookup of a random one (cycles)\n");
	printf("%10s %8s %12s %12s %10s %10s\n", "learned", "workers", "learn/s", "answer/s", "commit_ms", "lookup_cyc");
	for (size_t i = 0; i < RTE_DIM(sizes); i++)
		for (unsigned workers = 1; workers <= 16; workers *= 16)
			neighbours_of_size(qsv, sizes[i], workers);
}

int main(int argc, char **argv)
{
	int used = rte_eal_init(argc, argv);
	if (used < 0)
		return 1;
	argc -= used;
	argv += used;
	const char *alg = "aes128gcm16", *gcm_keys = "auto";
	bool routes = argc > 1 && strcmp(argv[1], "--routes") == 0;
	bool neighbours = argc > 1 && strcmp(argv[1], "--neighbours") == 0;
	if (routes) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	while (argc > 2 && (strcmp(argv[1], "--alg") == 0 || strcmp(argv[1], "--gcm-keys") == 0)) {
		if (strcmp(argv[1], "--alg") == 0)
			alg = argv[2];
		else
			gcm_keys = argv[2];
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	static const char *const layouts[] = { [ESP_GCM_KEYS_FULL] = "full", [ESP_GCM_KEYS_COMPACT] = "compact",
					       [ESP_GCM_KEYS_AUTO] = "auto" };
	int layout = 0;
	while (layout < 3 && strcmp(gcm_keys, layouts[layout]) != 0)
		layout++;
	if (layout == 3) {
		fprintf(stderr, "--gcm-keys takes auto, full or compact\n");
		return 1;
	}
	esp_gcm_keys_set((enum esp_gcm_keys)layout);
	int a = esp_algo_parse(alg);
	if (a < 0) {
		fprintf(stderr, "unknown ESP algorithm '%s'\n", alg);
		return 1;
	}
	pair_spec.alg = &esp_algos[a];
	static const uint32_t sizes[] = { 1000, 100000 };
	uint32_t max = largest(argc, argv, sizes, RTE_DIM(sizes));
	/* room for the largest run, and for the keys rte_hash keeps in per-lcore caches */
	struct dp_table_sizes ts = { .sas = max + max / 8 + 1024, .policies = 2 * max + max / 4 + 1024 };
	size_t qsz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("qsv", qsz, RTE_CACHE_LINE_SIZE);
	static struct dp_tables worker_tables;
	struct dp_tables *per_worker[1] = { &worker_tables };
	if (qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0 || rte_rcu_qsbr_thread_register(qsv, 0) != 0 ||
	    dp_tables_init(1, per_worker, qsv, &ts) != 0) {
		fprintf(stderr, "cannot set the tables up (%u SAs, %u policies): give EAL more memory (-m)\n", ts.sas,
			ts.policies);
		return 1;
	}
	rte_rcu_qsbr_thread_online(qsv, 0);
	if (neighbours) {
		dp_tables_fini();
		bench_neighbours(qsv);
		rte_eal_cleanup();
		return any_failed ? 1 : 0;
	}
	if (routes) {
		bench_routes(&worker_tables);
		dp_tables_fini();
		rte_eal_cleanup();
		return any_failed ? 1 : 0;
	}
	bool gcm = pair_spec.alg->cipher == ESP_CIPHER_AES_GCM;
	printf("SA pairs (%s%s%s) installed as IKE installs a child (2 SAs, 2 policies), one worker; tables for %u SAs, "
	       "%u policies\n", alg, gcm ? ", GCM keys " : "", gcm ? layouts[esp_gcm_keys_resolved()] : "", ts.sas,
	       ts.policies);
	printf("lookup cycles for random pairs: a worker's SPD lookup (a flow-cache miss) one by one and 32 at a time, "
	       "and its SAD lookup\n");
	printf("%9s %9s %12s %12s %10s %8s %8s %8s\n", "asked", "installed", "install/s", "remove/s", "bytes/pair",
	       "spd_cyc", "spd_bulk", "sad_cyc");
	for (int i = 1; i < argc; i++)
		run((uint32_t)strtoul(argv[i], NULL, 10), qsv, &worker_tables);
	for (size_t i = 0; argc <= 1 && i < RTE_DIM(sizes); i++)
		run(sizes[i], qsv, &worker_tables);
	dp_tables_fini();
	rte_eal_cleanup();
	return any_failed ? 1 : 0;
}
