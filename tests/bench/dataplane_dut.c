/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpike-bench-dataplane [EAL options] -- -f CONFIG [-s CTL_SOCKET] -p NAME[=PCAP] ... [-P N:ESP]
 *
 * dpike itself (the same start-up, workers, tables and control core) with the benchmark's
 * traffic generator on the main lcore beside the control core. Each -p makes a ring port with
 * one queue pair per worker, which CONFIG names as an interface's device "net_ring_NAME"; with a capture it offers
 * the capture's packets forever, and everything dpike sends on the generator's ports is taken
 * back and offered again. dpikectl reads the counters as for dpike.
 * -P installs N SA pairs with the ESP transform named (tests/bench/pairs.h: remote host
 * 10.64.0.1 + k, SPIs 0x10000 + k out and 0x20000 + k in, replay window off) through the table
 * API that IKE uses, before the workers start: a million SAs need no configuration file.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>

#include "app/appliance.h"
#include "dataplane/esp_algo.h"
#include "pairs.h"
#include "ring_gen.h"

/* The control core's work is light here (the control socket, timers): every millisecond. */
#define CONTROL_EVERY_US 1000

struct options {
	const char *config, *sock;
	uint32_t pairs;
	const struct esp_algo *alg;
};

static void usage(void)
{
	fprintf(stderr, "usage: dpike-bench-dataplane [EAL options] -- -f CONFIG [-s CTL_SOCKET] -p NAME[=PCAP] ... "
			"[-P N:ESP]\n");
}

static int parse_pairs(const char *arg, struct options *o)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);
	int alg = *end == ':' ? esp_algo_parse(end + 1) : -1;
	if (n == 0 || n > 1u << 24 || alg < 0) {
		fprintf(stderr, "-P %s: expected N:ESP, N up to 2^24 and ESP a transform such as aes128gcm16\n", arg);
		return -1;
	}
	o->pairs = (uint32_t)n;
	o->alg = &esp_algos[alg];
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	app_stop = true;
}

static int add_port(struct ring_gen *g, char *spec, unsigned queues)
{
	char *pcap = strchr(spec, '=');
	if (pcap)
		*pcap++ = '\0';
	return ring_gen_add_port(g, spec, pcap, queues);
}

static int parse_args(int argc, char **argv, struct ring_gen *g, struct options *o)
{
	unsigned queues = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1;
	int c;
	optind = 1;
	while ((c = getopt(argc, argv, "f:s:p:P:h")) != -1) {
		switch (c) {
		case 'f': o->config = optarg; break;
		case 's': o->sock = optarg; break;
		case 'p':
			if (add_port(g, optarg, queues) < 0)
				return -1;
			break;
		case 'P':
			if (parse_pairs(optarg, o) < 0)
				return -1;
			break;
		default: usage(); return -1;
		}
	}
	if (o->config == NULL || g->n_ports == 0 || optind != argc) {
		usage();
		return -1;
	}
	return 0;
}

static struct bench_pair *install_pairs(const struct options *o)
{
	const struct bench_pairs_spec spec = { .alg = o->alg, .remote_base = 0x0a400001, .spi_in_base = 0x20000,
					       .spi_out_base = 0x10000 };
	struct bench_pair *pairs = calloc(o->pairs, sizeof(*pairs));
	for (uint32_t k = 0; pairs && k < o->pairs; k++)
		if (bench_pair_install(&pairs[k], &spec, k) < 0) {
			for (uint32_t j = 0; j < k; j++)
				bench_pair_remove(&pairs[j], j);
			free(pairs);
			return NULL;
		}
	return pairs;
}

/* With the workers stopped, so that nothing holds them. */
static void remove_pairs(struct bench_pair *pairs, uint32_t n)
{
	dp_workers_stop = true;
	rte_eal_mp_wait_lcore();
	for (uint32_t k = 0; pairs && k < n; k++)
		bench_pair_remove(&pairs[k], k);
	free(pairs);
}

static void run(struct appliance *app, struct ring_gen *g)
{
	uint64_t every = rte_get_tsc_hz() / (1000000 / CONTROL_EVERY_US), next = 0;
	appliance_launch_workers(app);
	while (!app_stop) {
		ring_gen_poll(g);
		uint64_t now = rte_rdtsc();
		if (now >= next) {
			control_poll(app);
			next = now + every;
		}
	}
}

static void report(const struct ring_gen *g)
{
	for (unsigned i = 0; i < g->n_ports; i++)
		fprintf(stderr, "generator port %s: %lu packets offered, %lu taken back\n", g->ports[i].name,
			(unsigned long)g->ports[i].offered, (unsigned long)g->ports[i].returned);
}

int main(int argc, char **argv)
{
	static struct appliance app;
	static struct ring_gen gen;
	struct options o = { 0 };
	struct bench_pair *pairs = NULL;
	char err[CFG_ERR_MAX];
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "dpike-bench-dataplane: EAL initialisation failed\n");
		return 1;
	}
	int rc = 1;
	if (parse_args(argc - eal, argv + eal, &gen, &o) < 0)
		goto out;
	if (appliance_load_config(&app, o.config, o.sock, err) < 0) {
		fprintf(stderr, "dpike-bench-dataplane: %s\n", err);
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (appliance_start(&app) == 0 && ring_gen_start(&gen, app.pool) == 0 &&
	    (o.pairs == 0 || (pairs = install_pairs(&o)) != NULL)) {
		run(&app, &gen);
		rc = 0;
	}
	remove_pairs(pairs, o.pairs);
	appliance_stop(&app);
	report(&gen);
out:
	ring_gen_free(&gen);
	rte_eal_cleanup();
	return rc;
}
