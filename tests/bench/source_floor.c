/* SPDX-License-Identifier: BSD-3-Clause */
#include "source_floor.h"

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/crc_hash.h"
#include "dataplane/pkt.h"
#include "dataplane/worker.h"

bool source_floor_touch_data;
uint32_t source_floor_sa_pairs;
uint32_t source_floor_sa_bytes = SOURCE_FLOOR_SA_LEAST;

/* A flow's entry in the least lookup table: its key and its SA's index. */
struct floor_slot {
	uint64_t key;
	uint32_t sa, spare;
};

/* The least an AES-128-GCM SA holds that a packet reads: four lines (SOURCE_FLOOR_SA_LEAST bytes). */
struct floor_sa {
	uint64_t seq;
	uint32_t spi;
	uint8_t salt[4];
	uint8_t round_keys[11 * 16];
	uint8_t hash_key[16];
} __rte_cache_aligned;

#define FLOOR_SA_LINES (sizeof(struct floor_sa) / RTE_CACHE_LINE_SIZE)
_Static_assert(sizeof(struct floor_sa) == SOURCE_FLOOR_SA_LEAST, "the least SA, as source_floor.h says");

static struct floor_slot *floor_slots;
static char *floor_sas; /* source_floor_sa_bytes apart */

int source_floor_sa_init(void)
{
	uint32_t n = source_floor_sa_pairs;
	if (n == 0)
		return 0;
	floor_slots = rte_malloc("floor_slots", (size_t)n * sizeof(*floor_slots), RTE_CACHE_LINE_SIZE);
	floor_sas = rte_zmalloc("floor_sas", (size_t)n * source_floor_sa_bytes, RTE_CACHE_LINE_SIZE);
	if (floor_slots == NULL || floor_sas == NULL)
		return -1;
	/* The SAs in no order of their flows', as a table filled by IKE over time has them. */
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < n; i++)
		floor_slots[i] = (struct floor_slot){ .key = i, .sa = i };
	for (uint32_t i = n - 1; i > 0; i--) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t j = (uint32_t)(x % (i + 1)), t = floor_slots[i].sa;
		floor_slots[i].sa = floor_slots[j].sa;
		floor_slots[j].sa = t;
	}
	return 0;
}

void source_floor_sa_fini(void)
{
	rte_free(floor_slots);
	rte_free(floor_sas);
	floor_slots = NULL;
	floor_sas = NULL;
}

static const struct floor_slot *flow_slot(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
	uint32_t h = dp_crc_8byte((uint64_t)ip->src_addr << 32 | ip->dst_addr, 0);
	return &floor_slots[(uint64_t)h * source_floor_sa_pairs >> 32];
}

/* Each packet's slot, then its SA's lines, asked for a burst at a time; the lines then read, the first written. */
static void touch_sa_memory(struct rte_mbuf *pkts[], uint16_t n)
{
	const struct floor_slot *slot[DP_BURST_MAX];
	struct floor_sa *sa[DP_BURST_MAX];
	for (uint16_t i = 0; i < n; i++) {
		slot[i] = flow_slot(pkts[i]);
		rte_prefetch0(slot[i]);
	}
	for (uint16_t i = 0; i < n; i++) {
		sa[i] = (struct floor_sa *)(floor_sas + (size_t)slot[i]->sa * source_floor_sa_bytes);
		rte_prefetch0_write(sa[i]);
		for (unsigned l = 1; l < FLOOR_SA_LINES; l++)
			rte_prefetch0((const char *)sa[i] + l * RTE_CACHE_LINE_SIZE);
	}
	for (uint16_t i = 0; i < n; i++) {
		sa[i]->seq++;
		for (unsigned l = 1; l < FLOOR_SA_LINES; l++)
			(void)*((const volatile char *)sa[i] + l * RTE_CACHE_LINE_SIZE);
	}
}

/* Each line after the headers' read and written again, for the cost of having it, not its value. */
static void touch_data(struct rte_mbuf *m)
{
	volatile uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	for (uint32_t off = RTE_CACHE_LINE_SIZE; off < rte_pktmbuf_data_len(m); off += RTE_CACHE_LINE_SIZE)
		p[off] = p[off];
}

/*
 * Reads each frame's headers and rewrites its Ethernet addresses (the next hop's and the
 * port's own in a router; here the two swapped); returns the frames that were IPv4, which
 * stay at the front of pkts, the others are counted as dpike counts them and freed.
 */
static uint16_t touch_headers(struct dp_worker *w, struct rte_mbuf *pkts[], uint16_t n, uint16_t port)
{
	struct rte_mbuf *other[DP_BURST_MAX];
	uint16_t ipv4 = 0, n_other = 0;
	dp_rx_prefetch_start(pkts, n); /* as dp_classify() does */
	for (uint16_t i = 0; i < n; i++) {
		dp_rx_prefetch_ahead(pkts, i, n);
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
		w->stats.port[port].rx_packets++;
		w->stats.port[port].rx_bytes += rte_pktmbuf_pkt_len(m);
		if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*ip) ||
		    eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || (ip->version_ihl >> 4) != 4) {
			other[n_other++] = m;
			continue;
		}
		struct rte_ether_addr to = eth->src_addr;
		eth->src_addr = eth->dst_addr;
		eth->dst_addr = to;
		if (source_floor_touch_data)
			touch_data(m);
		pkts[ipv4++] = m;
	}
	if (floor_sas)
		touch_sa_memory(pkts, ipv4);
	if (n_other) {
		w->stats.drops[DP_DROP_NOT_IPV4] += n_other;
		rte_pktmbuf_free_bulk(other, n_other);
	}
	return ipv4;
}

/* One pass over the worker's queues; how many packets it received. */
static unsigned floor_poll(struct dp_worker *w)
{
	struct rte_mbuf *pkts[DP_BURST_MAX];
	unsigned total = 0;
	for (uint16_t port = 0; port < w->n_ports; port++) {
		if (!w->poll_rx[port])
			continue;
		uint16_t n = rte_eth_rx_burst(port, w->queue, pkts, (uint16_t)w->burst);
		if (n == 0)
			continue;
		total += n;
		n = touch_headers(w, pkts, n, port);
		uint16_t to = (uint16_t)((port + 1) % w->n_ports);
		uint16_t sent = rte_eth_tx_burst(to, w->queue, pkts, n);
		w->stats.forwarded += sent;
		w->stats.port[to].tx_packets += sent;
		if (sent < n) {
			w->stats.drops[DP_DROP_TX_FULL] += n - sent;
			rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
		}
	}
	return total;
}

int source_floor_main(void *arg)
{
	return dp_worker_run(arg, floor_poll); /* dpike's worker loop and accounting around it */
}
