/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A traffic source and sink for the dataplane benchmark that costs the worker almost nothing:
 * ports made of rings (DPDK's ring PMD), fed by a generator on another lcore. What the
 * appliance sends on a generator port comes back to the generator, which rewrites the buffer
 * as the next packet of a capture and offers it again: no allocation, no copy on the worker,
 * so the worker's cycles are dpike's own (a NIC's RX and TX cost a worker more than a ring).
 */
#ifndef DPIKE_BENCH_RING_GEN_H
#define DPIKE_BENCH_RING_GEN_H

#include <stdint.h>

#define GEN_MAX_PORTS 4
#define GEN_MAX_QUEUES 16

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

struct gen_packet {
	uint16_t len;
	uint8_t *data;
};

struct gen_capture {
	struct gen_packet *pkts;
	unsigned n_pkts;
	unsigned next[GEN_MAX_QUEUES]; /* each written by the lane that serves the queue */
};

struct gen_port {
	char name[32];
	uint16_t port_id;
	unsigned n_queues;
	struct rte_ring *to_dut[GEN_MAX_QUEUES];   /* the port's RX queues */
	struct rte_ring *from_dut[GEN_MAX_QUEUES]; /* its TX queues */
	/* what it offers (none for a pure sink): the first capture, or the second after ring_gen_switch() */
	struct gen_capture cap[2];
};

struct ring_gen {
	struct gen_port ports[GEN_MAX_PORTS];
	unsigned n_ports;
	unsigned depth; /* packets kept waiting on each RX queue */
	unsigned cur;   /* the capture ports with two offer; atomic */
	struct rte_mempool *pool;
};

/*
 * One generator thread's share: queue q of every port belongs to lane q % n_lanes, so that
 * generators scale with the workers they feed and no ring has two producers or consumers.
 */
struct gen_lane {
	struct ring_gen *g;
	unsigned id, n_lanes;
	uint64_t offered, returned;
	unsigned n_spare;
	struct rte_mbuf *spare[4096];
};

/*
 * Creates the ring port NAME with n_queues queue pairs; pcap (may be NULL) is what it offers,
 * packet i on queue i % n_queues; alt (may be NULL) what it offers instead while the generator
 * is switched to its second captures. Returns -1 with a message on stderr.
 */
int ring_gen_add_port(struct ring_gen *g, const char *name, const char *pcap, const char *alt, unsigned n_queues);
/* From the first captures to the second or back, for ports that have two; returns the one now offered (0 or 1). */
unsigned ring_gen_switch(struct ring_gen *g);
/* Packets in the longest first capture of a port that has two (0 if none has). */
unsigned ring_gen_first_len(const struct ring_gen *g);
/* Once the appliance has started the ports: the pool the generator draws new buffers from
 * (every packet must fit one of its buffers). */
int ring_gen_start(struct ring_gen *g, struct rte_mempool *pool);
void ring_gen_lane_init(struct gen_lane *l, struct ring_gen *g, unsigned id, unsigned n_lanes);
/* One pass of a lane: takes back what the appliance sent on its queues and tops them up to depth. */
unsigned ring_gen_poll(struct gen_lane *l);
/* Gives a lane's buffers back to the pool. */
void ring_gen_lane_fini(struct gen_lane *l);
void ring_gen_free(struct ring_gen *g);

#endif
