/* SPDX-License-Identifier: BSD-3-Clause */
#include "ring_gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_eth_ring.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_ring.h>

#define GEN_RING_SIZE 4096
#define GEN_BURST 64
#define GEN_DEPTH 1024
#define PCAP_LINKTYPE_ETHERNET 1

struct pcap_file_header {
	uint32_t magic;
	uint16_t major, minor;
	int32_t zone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_record_header {
	uint32_t sec, frac, incl_len, orig_len;
};

static uint32_t maybe_swap(uint32_t v, int swapped)
{
	return swapped ? rte_bswap32(v) : v;
}

/* A classic pcap file (micro- or nanosecond stamps, either byte order), Ethernet frames only. */
static int read_pcap(const char *path, struct gen_capture *p)
{
	FILE *f = fopen(path, "rb");
	struct pcap_file_header fh;
	if (f == NULL || fread(&fh, sizeof(fh), 1, f) != 1) {
		fprintf(stderr, "%s: %s\n", path, f ? "not a pcap file (too short)" : strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	int swapped = fh.magic == 0xd4c3b2a1 || fh.magic == 0x4d3cb2a1;
	if (!swapped && fh.magic != 0xa1b2c3d4 && fh.magic != 0xa1b23c4d) {
		fprintf(stderr, "%s: not a pcap file (magic 0x%08x)\n", path, fh.magic);
		fclose(f);
		return -1;
	}
	if (maybe_swap(fh.linktype, swapped) != PCAP_LINKTYPE_ETHERNET) {
		fprintf(stderr, "%s: link type %u, not Ethernet\n", path, maybe_swap(fh.linktype, swapped));
		fclose(f);
		return -1;
	}
	struct pcap_record_header rh;
	unsigned cap = 0;
	while (fread(&rh, sizeof(rh), 1, f) == 1) {
		uint32_t len = maybe_swap(rh.incl_len, swapped);
		if (len == 0 || len > UINT16_MAX) {
			fprintf(stderr, "%s: packet %u has a length of %u\n", path, p->n_pkts + 1, len);
			break;
		}
		if (p->n_pkts == cap) {
			cap = cap ? 2 * cap : 256;
			struct gen_packet *grown = realloc(p->pkts, cap * sizeof(*grown));
			if (grown == NULL) {
				fprintf(stderr, "%s: out of memory at packet %u\n", path, p->n_pkts + 1);
				break;
			}
			p->pkts = grown;
		}
		struct gen_packet *g = &p->pkts[p->n_pkts];
		g->len = (uint16_t)len;
		g->data = malloc(len);
		if (g->data == NULL || fread(g->data, len, 1, f) != 1) {
			fprintf(stderr, "%s: packet %u is cut short\n", path, p->n_pkts + 1);
			free(g->data);
			break;
		}
		p->n_pkts++;
	}
	int complete = feof(f) && !ferror(f);
	fclose(f);
	if (!complete || p->n_pkts == 0) {
		if (complete)
			fprintf(stderr, "%s: no packets\n", path);
		return -1;
	}
	return 0;
}

static struct rte_ring *make_ring(const char *port, const char *dir, unsigned q)
{
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "g%s%s%u", dir, port, q);
	return rte_ring_create(name, GEN_RING_SIZE, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

int ring_gen_add_port(struct ring_gen *g, const char *name, const char *pcap, const char *alt, unsigned n_queues)
{
	if (g->n_ports == GEN_MAX_PORTS || n_queues == 0 || n_queues > GEN_MAX_QUEUES ||
	    strlen(name) >= sizeof(g->ports[0].name)) {
		fprintf(stderr, "generator port %s: at most %d ports of %d queues, names below 32 bytes\n", name,
			GEN_MAX_PORTS, GEN_MAX_QUEUES);
		return -1;
	}
	struct gen_port *p = &g->ports[g->n_ports++]; /* counted at once: ring_gen_free() frees a half-made one */
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->n_queues = n_queues;
	if ((pcap && read_pcap(pcap, &p->cap[0]) < 0) || (alt && read_pcap(alt, &p->cap[1]) < 0))
		return -1;
	for (unsigned q = 0; q < n_queues; q++) {
		for (unsigned c = 0; c < 2; c++)
			p->cap[c].next[q] = p->cap[c].n_pkts ? q % p->cap[c].n_pkts : 0;
		p->to_dut[q] = make_ring(name, "r", q);
		p->from_dut[q] = make_ring(name, "t", q);
		if (p->to_dut[q] == NULL || p->from_dut[q] == NULL) {
			fprintf(stderr, "generator port %s: cannot create its rings\n", name);
			return -1;
		}
	}
	int id = rte_eth_from_rings(name, p->to_dut, n_queues, p->from_dut, n_queues, rte_socket_id());
	if (id < 0) {
		fprintf(stderr, "generator port %s: cannot create the ring port\n", name);
		return -1;
	}
	p->port_id = (uint16_t)id;
	return 0;
}

int ring_gen_start(struct ring_gen *g, struct rte_mempool *pool)
{
	unsigned room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
	for (unsigned i = 0; i < g->n_ports; i++)
		for (unsigned c = 0; c < 2; c++)
			for (unsigned k = 0; k < g->ports[i].cap[c].n_pkts; k++)
				if (g->ports[i].cap[c].pkts[k].len > room) {
					fprintf(stderr, "generator port %s: packet %u has %u bytes, a buffer holds %u\n",
						g->ports[i].name, k + 1, g->ports[i].cap[c].pkts[k].len, room);
					return -1;
				}
	g->pool = pool;
	g->depth = GEN_DEPTH;
	return 0;
}

void ring_gen_lane_init(struct gen_lane *l, struct ring_gen *g, unsigned id, unsigned n_lanes)
{
	l->g = g;
	l->id = id;
	l->n_lanes = n_lanes;
	l->offered = l->returned = 0;
	l->n_spare = 0;
}

static void take_back(struct gen_lane *l)
{
	for (unsigned i = 0; i < l->g->n_ports; i++) {
		const struct gen_port *p = &l->g->ports[i];
		for (unsigned q = l->id; q < p->n_queues; q += l->n_lanes) {
			unsigned room = (unsigned)RTE_DIM(l->spare) - l->n_spare;
			unsigned n = rte_ring_dequeue_burst(p->from_dut[q], (void **)&l->spare[l->n_spare], room, NULL);
			l->returned += n;
			l->n_spare += n;
		}
	}
}

/* A returned buffer becomes a fresh one. Only the fields of the mbuf's first cache line are
 * written, as a NIC's receive path does: a single segment's next is NULL already. */
static struct rte_mbuf *next_buffer(struct gen_lane *l)
{
	while (l->n_spare) {
		struct rte_mbuf *m = l->spare[--l->n_spare];
		if (m->nb_segs == 1 && RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1) {
			m->data_off = RTE_PKTMBUF_HEADROOM;
			m->ol_flags = 0;
			m->packet_type = 0;
			return m;
		}
		rte_pktmbuf_free(m);
	}
	return rte_pktmbuf_alloc(l->g->pool);
}

/* The capture a port offers now: its second while the generator is switched and it has one. */
static struct gen_capture *offered(const struct ring_gen *g, struct gen_port *p)
{
	unsigned c = __atomic_load_n(&g->cur, __ATOMIC_RELAXED);
	return p->cap[c].n_pkts ? &p->cap[c] : &p->cap[0];
}

unsigned ring_gen_switch(struct ring_gen *g)
{
	unsigned c = __atomic_load_n(&g->cur, __ATOMIC_RELAXED) ^ 1;
	__atomic_store_n(&g->cur, c, __ATOMIC_RELAXED);
	return c;
}

unsigned ring_gen_first_len(const struct ring_gen *g)
{
	unsigned len = 0;
	for (unsigned i = 0; i < g->n_ports; i++)
		if (g->ports[i].cap[1].n_pkts)
			len = RTE_MAX(len, g->ports[i].cap[0].n_pkts);
	return len;
}

static unsigned offer(struct gen_lane *l, struct gen_port *p, unsigned q)
{
	struct gen_capture *cap = offered(l->g, p);
	struct rte_mbuf *burst[GEN_BURST];
	unsigned depth = l->g->depth, waiting = rte_ring_count(p->to_dut[q]);
	unsigned want = waiting >= depth ? 0 : RTE_MIN(depth - waiting, (unsigned)GEN_BURST);
	unsigned n = 0;
	for (; n < want; n++) {
		struct rte_mbuf *m = next_buffer(l);
		if (m == NULL)
			break;
		const struct gen_packet *pkt = &cap->pkts[cap->next[q]];
		cap->next[q] += p->n_queues;
		if (cap->next[q] >= cap->n_pkts)
			cap->next[q] = q % cap->n_pkts;
		rte_memcpy(rte_pktmbuf_mtod(m, void *), pkt->data, pkt->len);
		m->data_len = pkt->len;
		m->pkt_len = pkt->len;
		m->port = p->port_id;
		burst[n] = m;
	}
	unsigned sent = rte_ring_enqueue_burst(p->to_dut[q], (void **)burst, n, NULL);
	if (sent < n)
		rte_pktmbuf_free_bulk(&burst[sent], n - sent);
	l->offered += sent;
	return sent;
}

unsigned ring_gen_poll(struct gen_lane *l)
{
	unsigned work = 0;
	take_back(l);
	for (unsigned i = 0; i < l->g->n_ports; i++) {
		struct gen_port *p = &l->g->ports[i]; /* of it, the lane writes only its queues' next[] */
		for (unsigned q = l->id; p->cap[0].n_pkts && q < p->n_queues; q += l->n_lanes)
			work += offer(l, p, q);
	}
	/* What no source needed (a port that only sinks): back to the pool. */
	if (l->n_spare > RTE_DIM(l->spare) / 2)
		ring_gen_lane_fini(l);
	return work;
}

void ring_gen_lane_fini(struct gen_lane *l)
{
	rte_pktmbuf_free_bulk(l->spare, l->n_spare);
	l->n_spare = 0;
}

static void drain(struct rte_ring *r)
{
	void *m;
	while (r && rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

void ring_gen_free(struct ring_gen *g)
{
	for (unsigned i = 0; i < g->n_ports; i++) {
		struct gen_port *p = &g->ports[i];
		for (unsigned q = 0; q < p->n_queues; q++) {
			drain(p->to_dut[q]);
			drain(p->from_dut[q]);
			rte_ring_free(p->to_dut[q]);
			rte_ring_free(p->from_dut[q]);
		}
		for (unsigned c = 0; c < 2; c++) {
			for (unsigned k = 0; k < p->cap[c].n_pkts; k++)
				free(p->cap[c].pkts[k].data);
			free(p->cap[c].pkts);
		}
	}
	g->n_ports = 0;
}
