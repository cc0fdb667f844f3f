/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table-scale benchmark: SA pairs installed through the control core's table API the way
 * an IKE child is (inbound SA, outbound SA, PROTECT and REQUIRE policies, one publish per
 * pair), then removed. Prints install and removal rates, and the memory each pair holds.
 *   dpike-bench-tables [EAL options] -- [PAIRS...]     (default 1000 5000 20000)
 * A size stops early after 60 seconds, and says so; the exit status is 1 when an install failed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dataplane/esp_algo.h"
#include "dataplane/tables.h"

#define LIMIT_S 60.0

static bool any_failed; /* an install failed: the exit status says so */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t heap_bytes(void)
{
	struct rte_malloc_socket_stats s;
	rte_malloc_get_socket_stats((int)rte_socket_id(), &s);
	return s.heap_allocsz_bytes;
}

struct pair {
	struct esp_sa *in, *out;
	struct traffic_selector local, remote;
};

/* Pair k: 10.2.0.0/16 <-> 11.x.y.0/24 of its own, SPIs of its own, AES-128-GCM. */
static int install(struct pair *p, uint32_t k)
{
	static const uint8_t key[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };
	char err[128];
	char remote[32];
	snprintf(remote, sizeof(remote), "11.%u.%u.0/24", (k >> 8) & 0xff, k & 0xff);
	if (k > 0xffff || !ts_parse("10.2.0.0/16", &p->local) || !ts_parse(remote, &p->remote))
		return -1;
	struct esp_sa_params sp = { .spi = 0x100000 + 2 * k, .inbound = true, .tunnel = true,
				    .alg = &esp_algos[esp_algo_parse("aes128gcm16")], .key = key, .local = 0xc0000202,
				    .remote = 0xc0000201, .replay_window = 64, .local_ts = &p->local, .n_local_ts = 1,
				    .remote_ts = &p->remote, .n_remote_ts = 1 };
	p->in = dp_sa_install(&sp, err, sizeof(err));
	sp.spi++;
	sp.inbound = false;
	p->out = p->in ? dp_sa_install(&sp, err, sizeof(err)) : NULL;
	if (p->out == NULL) {
		fprintf(stderr, "pair %u: %s\n", k, err);
		return -1;
	}
	struct dp_policy po = { .src = p->local, .dst = p->remote, .action = DP_POLICY_PROTECT, .sa = p->out };
	struct dp_policy pi = { .src = p->remote, .dst = p->local, .action = DP_POLICY_REQUIRE };
	po.priority = dp_policy_priority(&po.src, &po.dst, DP_RANK_SA);
	pi.priority = dp_policy_priority(&pi.src, &pi.dst, DP_RANK_SA);
	if (dp_policy_add(&po, 1000 + k) < 0 || dp_policy_add(&pi, 1000 + k) < 0 || dp_tables_commit() < 0)
		return -1;
	return 0;
}

static void remove_pair(struct pair *p, uint32_t k)
{
	dp_policy_remove_owner(1000 + k);
	dp_tables_commit();
	dp_sa_remove(p->out);
	dp_sa_remove(p->in);
}

/* What the control core does between requests: the (idle) worker has passed a quiescent state. */
static void settle(struct rte_rcu_qsbr *qsv)
{
	rte_rcu_qsbr_quiescent(qsv, 0);
	dp_tables_reclaim();
}

static void run(uint32_t n, struct rte_rcu_qsbr *qsv)
{
	struct pair *pairs = calloc(n, sizeof(*pairs));
	size_t before = heap_bytes();
	double t0 = now_s(), t1;
	uint32_t done = 0;
	int rc = 0;
	while (done < n && now_s() - t0 < LIMIT_S && (rc = install(&pairs[done], done)) == 0) {
		done++;
		settle(qsv);
	}
	t1 = now_s();
	size_t held = heap_bytes() - before;
	any_failed |= rc != 0;
	uint32_t removed = 0;
	while (removed < done) {
		remove_pair(&pairs[done - 1 - removed], done - 1 - removed);
		removed++;
		settle(qsv);
	}
	double t2 = now_s();
	printf("%9u %9u %12.0f %12.0f %10.0f%s\n", n, done, done / (t1 - t0), removed / (t2 - t1),
	       done ? (double)held / done : 0.0,
	       done == n ? "" : rc ? "   (an install failed)" : "   (stopped at the time limit)");
	fflush(stdout);
	free(pairs);
}

int main(int argc, char **argv)
{
	int used = rte_eal_init(argc, argv);
	if (used < 0)
		return 1;
	argc -= used;
	argv += used;
	size_t qsz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *qsv = rte_zmalloc("qsv", qsz, RTE_CACHE_LINE_SIZE);
	static struct dp_tables worker_tables;
	struct dp_tables *per_worker[1] = { &worker_tables };
	if (qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0 || rte_rcu_qsbr_thread_register(qsv, 0) != 0 ||
	    dp_tables_init(1, per_worker, qsv) != 0) {
		fprintf(stderr, "cannot set the tables up\n");
		return 1;
	}
	rte_rcu_qsbr_thread_online(qsv, 0);
	printf("SA pairs installed as IKE installs a child (2 SAs, 2 policies, one publish each), one worker\n");
	printf("%9s %9s %12s %12s %10s\n", "asked", "installed", "install/s", "remove/s", "bytes/pair");
	static const uint32_t sizes[] = { 1000, 5000, 20000 };
	for (int i = 1; i < argc; i++)
		run((uint32_t)strtoul(argv[i], NULL, 10), qsv);
	for (size_t i = 0; argc <= 1 && i < sizeof(sizes) / sizeof(sizes[0]); i++)
		run(sizes[i], qsv);
	dp_tables_fini();
	rte_eal_cleanup();
	return any_failed ? 1 : 0;
}
