/* SPDX-License-Identifier: BSD-3-Clause */
#include "source_floor.h"

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/pkt.h"
#include "dataplane/worker.h"

bool source_floor_touch_data;

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
