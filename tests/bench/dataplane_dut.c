/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpike-bench-dataplane [EAL options] -- -f CONFIG [-s CTL_SOCKET] -p NAME[=PCAP[,PCAP2]] ... [-P N:ESP [-R RATE] [-C]]
 *                       [-g N] [-i MS] [-F | -D | -M N[:BYTES]]
 *
 * dpike itself (the same start-up, workers, tables and control core) with the benchmark's
 * traffic generator on the main lcore beside the control core. Each -p makes a ring port with
 * one queue pair per worker, which CONFIG names as an interface's device "net_ring_NAME";
 * with a capture it offers the capture's packets forever, and everything dpike sends on the
 * generator's ports is taken back and offered again. dpikectl reads the counters as for dpike.
 * -P installs N SA pairs with the ESP transform named (tests/bench/pairs.h: remote host
 * 10.64.0.1 + k, SPIs 0x10000 + k out and 0x20000 + k in, replay window off) through the table
 * API that IKE uses, before the workers start: a million SAs need no configuration file.
 * -R rekeys RATE of those pairs a second while the traffic runs, one after another, as IKE
 * rekeys children (tests/bench/pairs.h), to show what rekeying costs the workers; with -C each
 * is instead closed and made anew (its policies removed, a new pair's added), as clients that
 * leave and come back are.
 * -g N runs the generator on N lcores (the main one and the last N - 1), each serving every
 * N-th queue: one generator keeps a few workers busy, a machine with many needs more.
 * -i MS: ports given two captures (-p NAME=PCAP,PCAP2) offer each in turn, MS milliseconds at a
 * time, and the workers' busy cycles and packets are added up per capture over the last three
 * quarters of each turn (the first drains the other capture's packets from the rings and
 * refills the caches); the sums go to stderr at the end. The first turn lasts until the workers
 * have seen the first capture once (a million flows' first packets each pay an SPD lookup), and
 * it and the second are not counted. Two kinds of traffic measured this way,
 * turn by turn in one process, see the same machine: this one's speed swings by a third from
 * one minute to the next, which made separate runs of each disagree. With workers.stage_cycles
 * on, the cycles of each stage (dpikectl stages) are added up per capture the same way.
 * -F runs the source's floor on the worker lcores instead of dpike's workers (source_floor.h):
 * receive, read and rewrite the Ethernet header, send on the other port; nothing of dpike's.
 * -D runs it with every line of each frame read and written as well, as in-place ESP must.
 * -M N[:BYTES] runs it with the least memory a packet of one of N SA pairs reads, the SAs BYTES
 * apart (256 by default: source_floor.h).
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
#include "source_floor.h"

/* The control core's work is light here (the control socket, timers): every millisecond. */
#define CONTROL_EVERY_US 1000
#define MAX_PORT_SPECS GEN_MAX_PORTS

struct options {
	const char *config, *sock;
	uint32_t pairs;
	const struct esp_algo *alg;
	double rekey_rate;
	bool reconnect; /* -C: -R's pairs closed and made anew instead of rekeyed */
	unsigned lanes;
	unsigned turn_ms; /* -i */
	bool floor;       /* -F, -D */
	char *ports[MAX_PORT_SPECS];
	unsigned n_ports;
};

static void usage(void)
{
	fprintf(stderr, "usage: dpike-bench-dataplane [EAL options] -- -f CONFIG [-s CTL_SOCKET] -p NAME[=PCAP[,PCAP2]] ... "
			"[-P N:ESP [-R RATE] [-C]] [-g N] [-i MS] [-F | -D | -M N[:BYTES]]\n");
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

static int parse_rate(const char *arg, struct options *o)
{
	char *end;
	double r = strtod(arg, &end);
	if (*end != '\0' || !(r > 0 && r <= 1e6)) {
		fprintf(stderr, "-R %s: rekeys a second, above 0 and up to a million\n", arg);
		return -1;
	}
	o->rekey_rate = r;
	return 0;
}

static int parse_floor_pairs(const char *arg, struct options *o)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10), bytes = SOURCE_FLOOR_SA_LEAST;
	if (*end == ':')
		bytes = strtoul(end + 1, &end, 10);
	if (*end != '\0' || n == 0 || n > 1u << 24 || bytes < SOURCE_FLOOR_SA_LEAST || bytes > 65536 || bytes % 64) {
		fprintf(stderr, "-M %s: N[:BYTES], SA pairs whose memory the floor reads (1 to 2^24) and how far apart "
				"their SAs lie (a multiple of 64 from %u to 65536)\n", arg, SOURCE_FLOOR_SA_LEAST);
		return -1;
	}
	source_floor_sa_pairs = (uint32_t)n;
	source_floor_sa_bytes = (uint32_t)bytes;
	o->floor = true;
	return 0;
}

static int parse_lanes(const char *arg, struct options *o)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);
	if (*end != '\0' || n == 0 || n + 1 > rte_lcore_count()) {
		fprintf(stderr, "-g %s: between 1 and the lcores less one (a worker needs one)\n", arg);
		return -1;
	}
	o->lanes = (unsigned)n;
	return 0;
}

static int parse_turn(const char *arg, struct options *o)
{
	char *end;
	unsigned long ms = strtoul(arg, &end, 10);
	if (*end != '\0' || ms < 20 || ms > 60000) {
		fprintf(stderr, "-i %s: milliseconds a capture's turn, 20 to 60000\n", arg);
		return -1;
	}
	o->turn_ms = (unsigned)ms;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int c;
	optind = 1;
	o->lanes = 1;
	while ((c = getopt(argc, argv, "f:s:p:P:R:Cg:i:FDM:h")) != -1) {
		switch (c) {
		case 'f': o->config = optarg; break;
		case 's': o->sock = optarg; break;
		case 'p':
			if (o->n_ports == MAX_PORT_SPECS) {
				fprintf(stderr, "at most %d generator ports\n", MAX_PORT_SPECS);
				return -1;
			}
			o->ports[o->n_ports++] = optarg;
			break;
		case 'P':
			if (parse_pairs(optarg, o) < 0)
				return -1;
			break;
		case 'R':
			if (parse_rate(optarg, o) < 0)
				return -1;
			break;
		case 'C': o->reconnect = true; break;
		case 'F': o->floor = true; break;
		case 'D': o->floor = source_floor_touch_data = true; break;
		case 'M':
			if (parse_floor_pairs(optarg, o) < 0)
				return -1;
			break;
		case 'g':
			if (parse_lanes(optarg, o) < 0)
				return -1;
			break;
		case 'i':
			if (parse_turn(optarg, o) < 0)
				return -1;
			break;
		default: usage(); return -1;
		}
	}
	if (o->floor && o->pairs) {
		fprintf(stderr, "-F forwards without dpike's workers: no SA pairs (-P) to use\n");
		return -1;
	}
	if ((o->rekey_rate > 0 && o->pairs == 0) || (o->reconnect && o->rekey_rate == 0)) {
		fprintf(stderr, "-R needs SA pairs to rekey (-P), -C a rate (-R)\n");
		return -1;
	}
	if (o->config == NULL || o->n_ports == 0 || optind != argc) {
		usage();
		return -1;
	}
	return 0;
}

/* The ports get a queue pair per worker: every lcore but the main one and the generators'. */
static int make_ports(struct ring_gen *g, const struct options *o)
{
	unsigned queues = rte_lcore_count() - o->lanes;
	if (o->lanes > queues) {
		fprintf(stderr, "-g %u: more generator lanes than workers (%u) would leave lanes without queues\n", o->lanes,
			queues);
		return -1;
	}
	for (unsigned i = 0; i < o->n_ports; i++) {
		char *pcap = strchr(o->ports[i], '='), *alt = NULL;
		if (pcap)
			*pcap++ = '\0';
		if (pcap && (alt = strchr(pcap, ',')) != NULL)
			*alt++ = '\0';
		if (ring_gen_add_port(g, o->ports[i], pcap, alt, queues) < 0)
			return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	app_stop = true;
}

static struct bench_pairs_spec pairs_spec(const struct options *o)
{
	return (struct bench_pairs_spec){ .alg = o->alg, .remote_base = 0x0a400001, .spi_in_base = 0x20000,
					  .spi_out_base = 0x10000 };
}

static struct bench_pair *install_pairs(const struct options *o)
{
	const struct bench_pairs_spec spec = pairs_spec(o);
	struct bench_pair *pairs = calloc(o->pairs, sizeof(*pairs));
	for (uint32_t k = 0; pairs && k < o->pairs; k++)
		if (bench_pair_install(&pairs[k], &spec, k) < 0) {
			for (uint32_t j = 0; j < k; j++)
				bench_pair_remove(&pairs[j]);
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
		bench_pair_remove(&pairs[k]);
	free(pairs);
}

static int lane_main(void *arg)
{
	struct gen_lane *l = arg;
	while (!app_stop)
		ring_gen_poll(l);
	return 0;
}

/* Rekeys the pairs due by now, one after another; the rekeys go on at the rate whatever one costs. */
struct rekeyer {
	struct bench_pairs_spec spec;
	struct bench_pair *pairs;
	uint32_t n, next, round;
	uint64_t every, due; /* TSC */
	uint64_t done, failed;
	bool reconnect;
};

static void rekey_due(struct rekeyer *r, uint64_t now)
{
	while (r->every && now >= r->due) {
		struct bench_pair *p = &r->pairs[r->next];
		int rc = r->reconnect ? bench_pair_reconnect(p, &r->spec, r->next, r->round)
				      : bench_pair_rekey(p, &r->spec, r->next, r->round);
		if (rc == 0)
			r->done++;
		else
			r->failed++;
		if (++r->next == r->n) {
			r->next = 0;
			r->round++;
		}
		r->due += r->every;
	}
}

struct turn_sum {
	uint64_t esp_out, esp_in, forwarded, cycles, tsc; /* the workers' packets and busy cycles, the time (TSC) */
	struct dp_stage_stats stages; /* with workers.stage_cycles on */
};

/* -i: the captures in turn, and what the workers did with each. */
struct turns {
	uint64_t every, next, settled_at; /* TSC; every 0: no turns */
	uint64_t warm; /* packets the first turn lasts at least */
	unsigned cur, taken;
	bool settled;
	struct turn_sum at, per[2];
};

static struct turn_sum workers_now(const struct appliance *app)
{
	struct turn_sum t = { .tsc = rte_rdtsc() };
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct dp_worker_stats *s = &app->workers[i].stats;
		t.esp_out += s->esp_out_packets;
		t.esp_in += s->esp_in_packets;
		t.forwarded += s->forwarded;
		t.cycles += s->busy_cycles;
		dp_stage_stats_add(&t.stages, &s->stages);
	}
	return t;
}

/* Adds to sum what the workers did between two readings. */
static void add_since(struct turn_sum *sum, const struct turn_sum *from, struct turn_sum to)
{
	sum->esp_out += to.esp_out - from->esp_out;
	sum->esp_in += to.esp_in - from->esp_in;
	sum->forwarded += to.forwarded - from->forwarded;
	sum->cycles += to.cycles - from->cycles;
	sum->tsc += to.tsc - from->tsc;
	for (int i = 0; i < DP_STAGE_MAX; i++) {
		sum->stages.cycles[i] += to.stages.cycles[i] - from->stages.cycles[i];
		sum->stages.packets[i] += to.stages.packets[i] - from->stages.packets[i];
	}
}

/* Packets handled: an encrypted or decrypted packet is forwarded too. */
static uint64_t handled(const struct turn_sum *s)
{
	return RTE_MAX(s->forwarded, RTE_MAX(s->esp_out, s->esp_in));
}

/* The first two turns, one of each capture, warm up; the rest count. */
static void take_turns(struct appliance *app, struct ring_gen *g, struct turns *t, uint64_t now)
{
	if (!t->settled && now >= t->settled_at) {
		t->at = workers_now(app);
		t->settled = true;
	}
	if (now < t->next)
		return;
	if (t->taken == 0) {
		struct turn_sum so_far = workers_now(app);
		if (handled(&so_far) < t->warm)
			return;
	}
	if (t->settled && ++t->taken > 2)
		add_since(&t->per[t->cur], &t->at, workers_now(app));
	t->cur = ring_gen_switch(g);
	t->settled = false;
	t->settled_at = now + t->every / 4;
	t->next = now + t->every;
}

static void report_turns(const struct turns *t, unsigned n_workers)
{
	if (t->every == 0)
		return;
	for (unsigned c = 0; c < 2; c++)
		fprintf(stderr,
			"capture %u: %lu encrypted, %lu decrypted, %lu forwarded; %lu busy cycles of %u worker(s) in %lu TSC cycles\n",
			c + 1, (unsigned long)t->per[c].esp_out, (unsigned long)t->per[c].esp_in,
			(unsigned long)t->per[c].forwarded, (unsigned long)t->per[c].cycles, n_workers,
			(unsigned long)t->per[c].tsc);
	for (unsigned c = 0; c < 2; c++) {
		fprintf(stderr, "capture %u stages:", c + 1);
		for (int i = 0; i < DP_STAGE_MAX; i++)
			fprintf(stderr, " %s %lu %lu", dp_stage_names[i], (unsigned long)t->per[c].stages.packets[i],
				(unsigned long)t->per[c].stages.cycles[i]);
		fputc('\n', stderr);
	}
}

/* Lane 0 on the main lcore with the control core's work; the others on the lcores left spare. */
static void run(struct appliance *app, struct gen_lane lanes[], unsigned n_lanes, struct rekeyer *rk,
		struct turns *turns, bool floor)
{
	uint64_t every = rte_get_tsc_hz() / (1000000 / CONTROL_EVERY_US), next = 0;
	unsigned i = 0, lane = 1, lcore;
	if (!floor)
		appliance_launch_workers(app);
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (floor && i < app->n_workers) /* the lcores appliance_launch_workers() takes, in its order */
			rte_eal_remote_launch(source_floor_main, &app->workers[i], lcore);
		if (i++ >= app->n_workers && lane < n_lanes)
			rte_eal_remote_launch(lane_main, &lanes[lane++], lcore);
	}
	while (!app_stop) {
		ring_gen_poll(&lanes[0]);
		uint64_t now = rte_rdtsc();
		if (now >= next) {
			rekey_due(rk, now);
			if (turns->every)
				take_turns(app, lanes[0].g, turns, now);
			control_poll(app);
			next = now + every;
		}
	}
}

static void report(const struct gen_lane lanes[], unsigned n_lanes)
{
	for (unsigned i = 0; i < n_lanes; i++)
		fprintf(stderr, "generator lane %u: %lu packets offered, %lu taken back\n", i,
			(unsigned long)lanes[i].offered, (unsigned long)lanes[i].returned);
}

int main(int argc, char **argv)
{
	static struct appliance app;
	static struct ring_gen gen;
	static struct gen_lane lanes[RTE_MAX_LCORE];
	struct options o = { 0 };
	struct bench_pair *pairs = NULL;
	char err[CFG_ERR_MAX];
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "dpike-bench-dataplane: EAL initialisation failed\n");
		return 1;
	}
	int rc = 1;
	if (parse_args(argc - eal, argv + eal, &o) < 0 || make_ports(&gen, &o) < 0)
		goto out;
	if (appliance_load_config(&app, o.config, o.sock, err) < 0) {
		fprintf(stderr, "dpike-bench-dataplane: %s\n", err);
		goto out;
	}
	if (source_floor_sa_init() < 0) {
		fprintf(stderr, "dpike-bench-dataplane: no memory for -M's SAs\n");
		source_floor_sa_fini();
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	app.spare_lcores = o.lanes - 1;
	for (unsigned i = 0; i < o.lanes; i++)
		ring_gen_lane_init(&lanes[i], &gen, i, o.lanes);
	if (appliance_start(&app) == 0 && ring_gen_start(&gen, app.pool) == 0 &&
	    (o.pairs == 0 || (pairs = install_pairs(&o)) != NULL)) {
		struct rekeyer rk = { .spec = pairs_spec(&o), .pairs = pairs, .n = o.pairs,
				      .every = o.rekey_rate > 0 ? (uint64_t)(rte_get_tsc_hz() / o.rekey_rate) : 0,
				      .due = rte_rdtsc(), .reconnect = o.reconnect };
		struct turns turns = { .every = (uint64_t)o.turn_ms * rte_get_tsc_hz() / 1000,
				       .warm = ring_gen_first_len(&gen) };
		turns.next = rte_rdtsc() + turns.every;
		turns.settled = true; /* no turn's start to wait for: the first is not counted */
		run(&app, lanes, o.lanes, &rk, &turns, o.floor);
		report_turns(&turns, app.n_workers);
		if (rk.every)
			fprintf(stderr, "rekeyed %lu SA pairs (%lu failed)\n", (unsigned long)rk.done,
				(unsigned long)rk.failed);
		rc = rk.failed ? 1 : 0;
	}
	remove_pairs(pairs, o.pairs);
	source_floor_sa_fini();
	for (unsigned i = 0; i < o.lanes; i++)
		ring_gen_lane_fini(&lanes[i]);
	appliance_stop(&app);
	report(lanes, o.lanes);
out:
	ring_gen_free(&gen);
	rte_eal_cleanup();
	return rc;
}
