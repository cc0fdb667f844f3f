/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How long one cache line takes to go from one CPU to another and back: two threads, one on each,
 * hand a counter to and fro, each waiting for the other's store. On the 2-vCPU guests here this
 * moves with where the host puts the vCPUs (425-504 ns seen in slow phases), and with it whatever
 * the dataplane benchmark's generator and worker pass between them: tests/bench/dataplane.py
 * prints it beside each case so that runs in different phases can be told apart.
 *   dpike-bench-rtt [CPU_A CPU_B [ROUND_TRIPS]]      (default 0 1 20000)
 * Prints "CPU_A <-> CPU_B: N ns a round trip (median of 5 batches of ROUND_TRIPS)"; exits 2 when
 * either CPU cannot be had (the two threads would share one and take turns by the scheduler).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <immintrin.h>

#define BATCHES 5

/* The line handed over, alone in its cache line. */
static struct {
	_Alignas(64) atomic_uint_fast64_t turn;
	char pad[64 - sizeof(atomic_uint_fast64_t)];
} line;

struct side {
	uint64_t trips; /* round trips in the batch */
	int first;      /* 1: this side starts each round trip (odd turns are its own) */
};

/* Waits for the turn before each of its own, then takes it: turns 1, 3, 5 ... or 2, 4, 6 ... */
static void *bounce(void *arg)
{
	const struct side *s = arg;
	for (uint64_t t = s->first ? 1 : 2; t <= 2 * s->trips; t += 2) {
		while (atomic_load_explicit(&line.turn, memory_order_acquire) != t - 1)
			_mm_pause();
		atomic_store_explicit(&line.turn, t, memory_order_release);
	}
	return NULL;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void cpu_only(cpu_set_t *set, int cpu)
{
	CPU_ZERO(set);
	CPU_SET(cpu, set);
}

/* One batch between this thread (on its CPU already) and one made on cpu_b; ns a round trip, or -1. */
static double batch(int cpu_b, uint64_t trips)
{
	struct side mine = { trips, 1 }, theirs = { trips, 0 };
	atomic_store(&line.turn, 0);
	pthread_attr_t attr;
	cpu_set_t set;
	cpu_only(&set, cpu_b);
	pthread_t other;
	if (pthread_attr_init(&attr) != 0)
		return -1;
	int made = pthread_attr_setaffinity_np(&attr, sizeof(set), &set) == 0 &&
		   pthread_create(&other, &attr, bounce, &theirs) == 0;
	pthread_attr_destroy(&attr);
	if (!made)
		return -1;
	double start = now_ns();
	bounce(&mine);
	double ns = now_ns() - start;
	pthread_join(other, NULL);
	return ns / (double)trips;
}

int main(int argc, char **argv)
{
	int cpu_a = argc > 2 ? atoi(argv[1]) : 0, cpu_b = argc > 2 ? atoi(argv[2]) : 1;
	uint64_t trips = argc > 3 ? strtoull(argv[3], NULL, 10) : 20000;
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || cpu_a == cpu_b || cpu_a < 0 || cpu_b < 0 ||
	    cpu_a >= CPU_SETSIZE || cpu_b >= CPU_SETSIZE || !CPU_ISSET(cpu_a, &allowed) || !CPU_ISSET(cpu_b, &allowed) ||
	    trips == 0) {
		fprintf(stderr, "usage: dpike-bench-rtt [CPU_A CPU_B [ROUND_TRIPS]], two different CPUs this process may use\n");
		return 2;
	}
	cpu_set_t set;
	cpu_only(&set, cpu_a);
	double ns[BATCHES];
	for (int i = 0; i < BATCHES; i++)
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0 || (ns[i] = batch(cpu_b, trips)) < 0) {
			fprintf(stderr, "dpike-bench-rtt: cannot run on CPUs %d and %d\n", cpu_a, cpu_b);
			return 2;
		}
	qsort(ns, BATCHES, sizeof(ns[0]), cmp_double);
	printf("%d <-> %d: %.0f ns a round trip (median of %d batches of %lu)\n", cpu_a, cpu_b, ns[BATCHES / 2],
	       BATCHES, (unsigned long)trips);
	return 0;
}
