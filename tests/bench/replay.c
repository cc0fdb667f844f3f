/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One inbound SA's replay window shared by workers, as when the SA's flows are spread over all
 * of them: the peer's sequence numbers dealt out to the workers by a hash (RSS over many flows),
 * each worker committing its next 32 as a burst, one call a packet (replay_commit) or one call
 * for the burst's run (replay_commit_run, what esp_decrypt_burst() does). Printed: million
 * numbers committed a second over all workers, nanoseconds a packet on each worker, and the
 * share accepted (every number is sent once and the workers keep within a few bursts of each
 * other, so anything under 100% is a fault). The best of ROUNDS rounds, each way in turn.
 *   dpike-bench-replay [ROUNDS] [WORKERS]
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/replay.h"

#define BURST 32
#define NUMBERS (1u << 23) /* per round, over all workers */
#define WINDOW REPLAY_WINDOW_MAX /* a burst spans BURST x workers numbers: all stay inside */
#define LEAD 256 /* how far a worker may run ahead of the slowest: the peer sends at one pace */
#define MAX_WORKERS 32

struct worker {
	unsigned id, workers;
	bool runs;
	uint64_t accepted;
	double seconds;
	_Alignas(64) uint64_t reached; /* the numbers it has dealt itself so far; read by the others */
};

static struct replay_window *window;
static struct worker team[MAX_WORKERS];
static pthread_barrier_t start;

static unsigned owner(uint64_t seq, unsigned workers)
{
	uint64_t h = seq * 0x9e3779b97f4a7c15ull;
	return (unsigned)((h >> 32) % workers);
}

static uint64_t slowest(unsigned workers)
{
	uint64_t low = UINT64_MAX;
	for (unsigned i = 0; i < workers; i++) {
		uint64_t r = __atomic_load_n(&team[i].reached, __ATOMIC_ACQUIRE);
		low = r < low ? r : low;
	}
	return low;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Deals itself the next burst of numbers; returns how many it took. */
static unsigned next_burst(struct worker *w, uint64_t *seq, uint64_t seqs[])
{
	unsigned n = 0;
	while (n < BURST && *seq <= NUMBERS) {
		if (owner(*seq, w->workers) == w->id)
			seqs[n++] = *seq;
		++*seq;
	}
	__atomic_store_n(&w->reached, *seq, __ATOMIC_RELEASE);
	return n;
}

static void *run_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t seqs[BURST], seq = 1;
	enum replay_verdict v[BURST];
	pthread_barrier_wait(&start);
	double t0 = now();
	for (unsigned n; (n = next_burst(w, &seq, seqs)) != 0;) {
		while (seq > slowest(w->workers) + LEAD && seq <= NUMBERS)
			__builtin_ia32_pause();
		if (w->runs) {
			replay_commit_run(window, seqs, (uint16_t)n, v, false);
		} else {
			for (unsigned i = 0; i < n; i++)
				v[i] = replay_commit(window, seqs[i]);
		}
		for (unsigned i = 0; i < n; i++)
			w->accepted += v[i] == REPLAY_OK;
	}
	w->seconds = now() - t0;
	return NULL;
}

/* One round one way; returns the numbers committed a second over all workers, *share accepted. */
static double round_of(unsigned workers, bool runs, double *share, double *ns_per_pkt)
{
	pthread_t t[MAX_WORKERS];
	replay_window_init(window, WINDOW);
	pthread_barrier_init(&start, NULL, workers);
	for (unsigned i = 0; i < workers; i++) {
		team[i] = (struct worker){ .id = i, .workers = workers, .runs = runs };
		pthread_create(&t[i], NULL, run_worker, &team[i]);
	}
	double longest = 0, busy = 0;
	uint64_t accepted = 0;
	for (unsigned i = 0; i < workers; i++) {
		pthread_join(t[i], NULL);
		longest = team[i].seconds > longest ? team[i].seconds : longest;
		busy += team[i].seconds;
		accepted += team[i].accepted;
	}
	pthread_barrier_destroy(&start);
	*share = (double)accepted / NUMBERS;
	*ns_per_pkt = busy / NUMBERS * 1e9;
	return NUMBERS / longest / 1e6;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	unsigned workers = argc > 2 ? (unsigned)atoi(argv[2]) : 2;
	cpu_set_t set;
	long cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
								   : sysconf(_SC_NPROCESSORS_ONLN);
	if (rounds < 1 || workers < 1 || workers > MAX_WORKERS) {
		fprintf(stderr, "usage: dpike-bench-replay [ROUNDS >= 1] [WORKERS 1..%d]\n", MAX_WORKERS);
		return 2;
	}
	if ((long)workers > cores) { /* workers waiting for one another would time the scheduler */
		fprintf(stderr, "dpike-bench-replay: %u workers need as many cores; this process may run on %ld\n",
			workers, cores);
		return 2;
	}
	window = malloc(replay_window_bytes(WINDOW));
	printf("one SA's replay window (%u) shared by %u workers, numbers dealt by hash, bursts of %d; best of %d\n",
	       WINDOW, workers, BURST, rounds);
	printf("%-12s %10s %10s %9s\n", "commit", "M/s", "ns/pkt", "accepted");
	double best[2] = { 0, 0 }, ns[2] = { 0, 0 }, share[2] = { 1, 1 };
	for (int r = 0; r < rounds; r++)
		for (int way = 0; way < 2; way++) {
			double s, n, rate = round_of(workers, way == 1, &s, &n);
			share[way] = s < share[way] ? s : share[way];
			if (rate > best[way]) {
				best[way] = rate;
				ns[way] = n;
			}
		}
	static const char *name[] = { "one by one", "by runs" };
	for (int way = 0; way < 2; way++)
		printf("%-12s %10.1f %10.2f %8.2f%%\n", name[way], best[way], ns[way], share[way] * 100);
	printf("by runs / one by one: %.1fx\n", best[1] / best[0]);
	free(window);
	return share[0] == 1 && share[1] == 1 ? 0 : 1;
}
