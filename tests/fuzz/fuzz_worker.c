/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: bursts of frames through a worker's whole path (dp_worker_burst()): classify,
 * reassembly, ESP in, policy, ESP out, route (fragmentation, neighbours), TX, punts. A gateway
 * as in the labs: WAN 192.0.2.2 on port 0, LAN 10.2.0.1 on port 1 (MTU 576, so that packets
 * for the LAN are cut), one child SA pair with 192.0.2.1 protecting 10.2.0.0/16 <-> 10.1.0.0/16,
 * ports on net_null (what is sent is freed), punted packets freed.
 *
 * Input: frames, each [kind][length: 2 bytes][bytes]. kind bit 0: the bytes are an inner IPv4
 * packet that the peer's end of the SA seals (the unit tests' reference ESP, a sequence number
 * one higher each time), sent to the WAN port; else they are a whole Ethernet frame. Bit 1: the
 * LAN port (raw frames only). At most a burst of frames an input.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dataplane/dp_stats.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/spd.h"
#include "dataplane/tables.h"
#include "dataplane/worker.h"
#include "lib/log.h"
#include "lib/ts.h"
#include "lib/tunnel_copy.h"
#include "tests/unit/esp_ref.h"

#define WAN_LOCAL 0xc0000202u  /* 192.0.2.2 */
#define WAN_PEER 0xc0000201u   /* 192.0.2.1 */
#define LAN_LOCAL 0x0a020001u  /* 10.2.0.1 */
#define LAN_HOST 0x0a020005u   /* 10.2.0.5 */
#define SPI_IN 0x1001u
#define SPI_OUT 0x2001u
#define N_PORTS 2

static struct rte_mempool *pool;
static struct dp_worker *w;
static uint8_t key[ESP_MAX_KEY_LEN];
static uint64_t seq;
static const struct esp_algo *alg;
static const struct rte_ether_addr our_mac = { { 0x02, 0, 0, 0, 0, 0x02 } };

static void fail(const char *what)
{
	fprintf(stderr, "fuzz: %s\n", what);
	exit(1);
}

static void start_eal(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=dpike-fuzz-%d", (int)getpid());
	char *eal[] = { "fuzz", "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--no-telemetry",
			"--vdev=net_null0", "--vdev=net_null1", prefix, "--log-level=error", NULL };
	if (rte_eal_init(13, eal) < 0)
		fail("cannot start DPDK EAL");
	pool = rte_pktmbuf_pool_create("fuzz_worker", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL)
		fail("no mbufs");
	for (uint16_t port = 0; port < N_PORTS; port++) {
		struct rte_eth_conf conf = { 0 };
		if (rte_eth_dev_configure(port, 1, 1, &conf) != 0 || rte_eth_rx_queue_setup(port, 0, 64, 0, NULL, pool) != 0 ||
		    rte_eth_tx_queue_setup(port, 0, 512, 0, NULL) != 0 || rte_eth_dev_start(port) != 0)
			fail("cannot start a net_null port");
	}
}

static void start_worker(void)
{
	static struct dp_tables *views[1];
	struct dp_table_sizes sizes = { .sas = 64, .policies = 64, .neighbours = 64 };
	struct rte_rcu_qsbr *qsv = rte_zmalloc("fuzz_qsbr", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	w = rte_zmalloc("fuzz_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (qsv == NULL || w == NULL || rte_rcu_qsbr_init(qsv, 1) != 0 || dp_meta_register() < 0)
		fail("no memory");
	views[0] = &w->tables;
	if (dp_tables_init(1, views, qsv, &sizes) != 0 || dp_worker_init(w, 0, 0, NULL, 1024, 256) != 0)
		fail("no tables");
	w->qsv = qsv;
	w->n_ports = N_PORTS;
	w->burst = DP_BURST_MAX;
	w->punt = rte_ring_create("fuzz_punt", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w->punt_ike = rte_ring_create("fuzz_punt_ike", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (w->punt == NULL || w->punt_ike == NULL)
		fail("no rings");
}

/* The gateway's addresses, routes, neighbours and child SA pair with its two policies. */
static void configure(void)
{
	struct dp_port_info ports[N_PORTS] = { { .mac = our_mac, .mtu = 1500, .addr = WAN_LOCAL },
					       { .mac = our_mac, .mtu = 576, .addr = LAN_LOCAL } };
	struct rte_ether_addr peer_mac = { { 0x02, 0, 0, 0, 0, 0x01 } }, host_mac = { { 0x02, 0, 0, 0, 1, 0x05 } };
	struct traffic_selector lan, far;
	dp_fib_set_ports(ports, N_PORTS);
	if (!ts_parse("10.2.0.0/16", &lan) || !ts_parse("10.1.0.0/16", &far) || dp_route_add(0x0a020000, 16, 0, 1) != 0 ||
	    dp_route_add(0, 0, WAN_PEER, 0) != 0 || dp_neigh_set(WAN_PEER, 0, &peer_mac, DP_NEIGH_ANSWER) != 0 ||
	    dp_neigh_set(LAN_HOST, 1, &host_mac, DP_NEIGH_ANSWER) != 0)
		fail("no routes");
	alg = &esp_algos[esp_algo_parse("aes128gcm16")];
	struct esp_sa_params p = { .spi = SPI_IN, .inbound = true, .tunnel = true, .alg = alg, .key = key,
				   .local = WAN_LOCAL, .remote = WAN_PEER, .replay_window = 64, .local_ts = &lan,
				   .n_local_ts = 1, .remote_ts = &far, .n_remote_ts = 1, .copy = TUNNEL_COPY_DEFAULT };
	char err[128];
	struct esp_sa *in = dp_sa_install(&p, err, sizeof(err));
	p.spi = SPI_OUT, p.inbound = false;
	struct esp_sa *out = dp_sa_install(&p, err, sizeof(err));
	struct dp_policy po = { .src = lan, .dst = far, .action = DP_POLICY_PROTECT, .sa = out };
	struct dp_policy pi = { .src = far, .dst = lan, .action = DP_POLICY_REQUIRE };
	po.priority = dp_policy_priority(&po.src, &po.dst, DP_RANK_SA);
	pi.priority = dp_policy_priority(&pi.src, &pi.dst, DP_RANK_SA);
	if (in == NULL || out == NULL || dp_policy_add(&po, 1) != 0 || dp_policy_add(&pi, 1) != 0 ||
	    dp_tables_commit() != 0)
		fail("no SA pair");
}

/* With DPIKE_FUZZ_LOG: what the worker made of the inputs, at the end. */
static void print_stats(void)
{
	const struct dp_worker_stats *st = &w->stats;
	fprintf(stderr, "decrypted %lu, encrypted %lu, forwarded %lu, punted %lu, cut %lu into %lu, reassembled %lu\n",
		(unsigned long)st->esp_in_packets, (unsigned long)st->esp_out_packets, (unsigned long)st->forwarded,
		(unsigned long)st->punted, (unsigned long)st->fragmented, (unsigned long)st->fragments_made,
		(unsigned long)st->reassembled);
	for (int r = 0; r < DP_DROP_MAX; r++)
		if (st->drops[r])
			fprintf(stderr, "dropped %s: %lu\n", dp_drop_names[r], (unsigned long)st->drops[r]);
}

/* DPDK's runtime directory, empty with --no-shconf, goes with the process. */
static void stop(void)
{
	if (getenv("DPIKE_FUZZ_LOG"))
		print_stats();
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	dp_worker_fini(w); /* its IPsec-MB managers: LeakSanitizer does not look in DPDK's memory */
	dp_tables_fini();
	rte_eal_cleanup();
	rmdir(dir);
}

static void start(void)
{
	log_set_level(getenv("DPIKE_FUZZ_LOG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 37 + 11);
	start_eal();
	start_worker();
	configure();
	atexit(stop);
}

/* Ethernet to us around an IPv4 packet. */
static struct rte_mbuf *framed(const uint8_t *ip, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth = m ? (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*eth) + len)) : NULL;
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth->dst_addr = our_mac;
	memset(&eth->src_addr, 0x02, sizeof(eth->src_addr));
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memcpy(eth + 1, ip, len);
	return m;
}

static struct rte_mbuf *frame_of(uint8_t kind, const uint8_t *bytes, size_t len)
{
	if (kind & 1) {
		static uint8_t wire[2048];
		struct esp_ref r = { .alg = alg, .key = key, .spi = SPI_IN, .tunnel = true, .src = WAN_PEER, .dst = WAN_LOCAL };
		size_t n = esp_ref_encrypt(&r, ++seq, bytes, len, 4, false, wire, sizeof(wire));
		return n ? framed(wire, n) : NULL;
	}
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *at = m && len <= UINT16_MAX ? rte_pktmbuf_append(m, (uint16_t)len) : NULL;
	if (at == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(at, bytes, len);
	return m;
}

static void free_punted(struct rte_ring *r)
{
	struct rte_mbuf *m[64];
	unsigned n;
	while ((n = rte_ring_dequeue_burst(r, (void **)m, 64, NULL)) > 0)
		rte_pktmbuf_free_bulk(m, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (pool == NULL)
		start();
	struct rte_mbuf *pkts[N_PORTS][DP_BURST_MAX];
	uint16_t n[N_PORTS] = { 0, 0 };
	while (size >= 3 && n[0] + n[1] < DP_BURST_MAX) {
		uint8_t kind = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		if (len > size - 3)
			len = size - 3;
		struct rte_mbuf *m = frame_of(kind, data + 3, len);
		unsigned port = (kind & 3) == 2; /* raw frames only may come from the LAN */
		if (m != NULL)
			pkts[port][n[port]++] = m;
		data += 3 + len;
		size -= 3 + len;
	}
	struct dp_batch b;
	dp_batch_begin(w, &b);
	for (uint16_t port = 0; port < N_PORTS; port++)
		if (n[port])
			dp_worker_burst(w, &b, pkts[port], n[port], port);
	dp_tx_flush(w);
	free_punted(w->punt);
	free_punted(w->punt_ike);
	return 0;
}
