/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: ESP to a worker's decryption (esp_decrypt_burst()). The input's payload is sealed
 * by the unit tests' reference ESP (tests/unit/esp_ref.c, on OpenSSL) with the keys of an SA dpike
 * holds, so that it passes the ICV and reaches what comes after: padding, next header, the inner
 * packet's header and selectors, the replay window and ESN. With bit 7 of the first byte the
 * input is the outer packet itself instead (what comes before the ICV: lengths, SPI, UDP).
 *
 * Input: [mode][algorithm][sequence number: 4 bytes][next header][payload]. mode: bit 0 tunnel
 * mode, bit 1 UDP encapsulation, bit 2 ESN, bit 3 the reference's bad padding; algorithm: which
 * of every transform dpike has (esp_algos, modulo their number); or bit 7 of mode and the outer
 * IPv4 packet.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/dp_stats.h"
#include "dataplane/esp.h"
#include "dataplane/esp_sa.h"
#include "dataplane/sad.h"
#include "lib/log.h"
#include "lib/tunnel_copy.h"
#include "tests/unit/esp_ref.h"

#define WAN_LOCAL 0xc0000202u  /* 192.0.2.2 */
#define WAN_REMOTE 0xc0000201u /* 192.0.2.1 */
#define HOST_LAN 0x0a020001u   /* 10.2.0.1, inside local_ts */
#define HOST_FAR 0x0a010005u   /* 10.1.0.5, inside remote_ts */
#define MODES 8                /* tunnel x UDP x ESN */
#define SPI_BASE 0x1000u       /* + algorithm x MODES + mode */

static struct rte_mempool *pool;
static struct esp_ctx *ctx;
static struct dp_worker_stats stats;
static struct dp_sad *sad;
static uint8_t key[ESP_MAX_KEY_LEN];
static const struct traffic_selector lan_ts = { .addr = 0x0a020000, .mask = 0xffffff00, .plen = 24, .port_hi = 65535 };
static const struct traffic_selector far_ts = { .addr = 0x0a010000, .mask = 0xffff0000, .plen = 16, .port_hi = 65535 };

static uint32_t spi_of(unsigned alg, unsigned mode)
{
	return SPI_BASE + alg * MODES + (mode & (MODES - 1));
}

/* An inbound SA of every transform in every mode. */
static void make_sas(void)
{
	for (unsigned i = 0; i < (unsigned)esp_algo_count * MODES; i++) {
		unsigned alg = i / MODES, mode = i % MODES;
		struct esp_sa_params p = {
			.spi = spi_of(alg, mode), .inbound = true, .tunnel = mode & 1, .udp_encap = mode & 2,
			.esn = mode & 4, .alg = &esp_algos[alg], .key = key, .local = WAN_LOCAL,
			.remote = WAN_REMOTE, .local_port = 4500, .remote_port = 4500, .replay_window = 64,
			.local_ts = &lan_ts, .n_local_ts = 1, .remote_ts = &far_ts, .n_remote_ts = 1,
			.copy = TUNNEL_COPY_DEFAULT,
		};
		char err[128];
		struct esp_sa *sa = esp_sa_create(&p, err, sizeof(err));
		if (sa == NULL || dp_sad_add(sad, p.spi, sa) != 0) {
			fprintf(stderr, "fuzz: SA %s mode %u: %s\n", esp_algos[alg].name, mode, err);
			exit(1);
		}
	}
}

/* DPDK's runtime directory, empty with --no-shconf, goes with the process. */
static void stop(void)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	esp_ctx_free(ctx); /* its IPsec-MB managers: LeakSanitizer does not look in DPDK's memory */
	rte_eal_cleanup();
	rmdir(dir);
}

static void start(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=dpike-fuzz-%d", (int)getpid());
	char *eal[] = { "fuzz", "-l", "0", "--no-huge", "-m", "128", "--no-pci", "--no-shconf", "--no-telemetry", prefix,
			"--log-level=error", NULL };
	if (rte_eal_init(11, eal) < 0) {
		fprintf(stderr, "fuzz: cannot start DPDK EAL\n");
		exit(1);
	}
	log_set_level(LOG_LVL_ERR);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 37 + 11);
	pool = rte_pktmbuf_pool_create("fuzz_esp", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	ctx = rte_zmalloc("fuzz_esp_ctx", sizeof(*ctx), 64);
	sad = dp_sad_create((uint32_t)esp_algo_count * MODES, 0);
	if (pool == NULL || ctx == NULL || sad == NULL || esp_ctx_init(ctx, &stats, NULL) != 0) {
		fprintf(stderr, "fuzz: no memory\n");
		exit(1);
	}
	make_sas();
	atexit(stop);
}

/* The outer packet: the reference's sealing of the payload, or the input itself. */
static size_t outer_packet(const uint8_t *data, size_t size, uint8_t *wire, size_t cap)
{
	unsigned mode = data[0];
	if (mode & 128) {
		size_t n = size - 1 < cap ? size - 1 : cap;
		memcpy(wire, data + 1, n);
		return n;
	}
	if (size < 7)
		return 0;
	unsigned alg = data[1] % (unsigned)esp_algo_count;
	bool tunnel = mode & 1;
	struct esp_ref r = { .alg = &esp_algos[alg], .key = key, .spi = spi_of(alg, mode), .tunnel = tunnel,
			     .udp = mode & 2, .esn = mode & 4, .src = tunnel ? WAN_REMOTE : HOST_FAR,
			     .dst = tunnel ? WAN_LOCAL : HOST_LAN };
	uint64_t seq = (uint64_t)data[2] << 24 | (uint64_t)data[3] << 16 | (uint64_t)data[4] << 8 | data[5];
	return esp_ref_encrypt(&r, seq, data + 7, size - 7, data[6], mode & 8, wire, cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[2048];
	static bool verbose;
	if (pool == NULL) {
		start();
		verbose = getenv("DPIKE_FUZZ_LOG") != NULL; /* each input's fate on stderr */
	}
	if (size < 1)
		return 0;
	size_t n = outer_packet(data, size, wire, sizeof(wire) - RTE_PKTMBUF_HEADROOM);
	if (n == 0 || n > UINT16_MAX)
		return 0;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *at = m ? rte_pktmbuf_append(m, (uint16_t)n) : NULL;
	if (at == NULL) {
		rte_pktmbuf_free(m);
		return 0;
	}
	memcpy(at, wire, n);
	struct esp_sa *sa = NULL;
	uint64_t before[DP_DROP_MAX];
	memcpy(before, stats.drops, sizeof(before));
	uint16_t ok = esp_decrypt_burst(ctx, sad, &m, &sa, 1);
	rte_pktmbuf_free(m);
	for (int r = 0; verbose && r < DP_DROP_MAX; r++)
		if (stats.drops[r] != before[r])
			fprintf(stderr, "dropped: %s\n", dp_drop_names[r]);
	if (verbose && ok)
		fprintf(stderr, "decrypted\n");
	return 0;
}
