/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpike-bench-dataplane [EAL options] -- -f CONFIG [-s CTL_SOCKET] -p NAME[=PCAP] ...
 *
 * dpike itself (the same start-up, workers, tables and control core) with the benchmark's
 * traffic generator on the main lcore beside the control core. Each -p makes a ring port with
 * one queue pair per worker, which CONFIG names as an interface's device "net_ring_NAME"; with a capture it offers
 * the capture's packets forever, and everything dpike sends on the generator's ports is taken
 * back and offered again. dpikectl reads the counters as for dpike.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>

#include "app/appliance.h"
#include "ring_gen.h"

/* The control core's work is light here (the control socket, timers): every millisecond. */
#define CONTROL_EVERY_US 1000

static void usage(void)
{
	fprintf(stderr, "usage: dpike-bench-dataplane [EAL options] -- -f CONFIG [-s CTL_SOCKET] -p NAME[=PCAP] ...\n");
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

static int parse_args(int argc, char **argv, struct ring_gen *g, const char **config, const char **sock)
{
	unsigned queues = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1;
	int c;
	optind = 1;
	while ((c = getopt(argc, argv, "f:s:p:h")) != -1) {
		switch (c) {
		case 'f': *config = optarg; break;
		case 's': *sock = optarg; break;
		case 'p':
			if (add_port(g, optarg, queues) < 0)
				return -1;
			break;
		default: usage(); return -1;
		}
	}
	if (*config == NULL || g->n_ports == 0 || optind != argc) {
		usage();
		return -1;
	}
	return 0;
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
	const char *config = NULL, *sock = NULL;
	char err[CFG_ERR_MAX];
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "dpike-bench-dataplane: EAL initialisation failed\n");
		return 1;
	}
	int rc = 1;
	if (parse_args(argc - eal, argv + eal, &gen, &config, &sock) < 0)
		goto out;
	if (appliance_load_config(&app, config, sock, err) < 0) {
		fprintf(stderr, "dpike-bench-dataplane: %s\n", err);
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (appliance_start(&app) == 0 && ring_gen_start(&gen, app.pool) == 0) {
		run(&app, &gen);
		rc = 0;
	}
	appliance_stop(&app);
	report(&gen);
out:
	ring_gen_free(&gen);
	rte_eal_cleanup();
	return rc;
}
