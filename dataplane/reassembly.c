/* SPDX-License-Identifier: BSD-3-Clause */
#include "reassembly.h"

#include <stdio.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "pkt.h"

/*
 * DPDK's table puts a datagram in one of two buckets by two hashes; with four times the slots
 * of the datagrams it may hold, a bucket is seldom full while the table is not.
 */
#define REASM_BUCKET_ENTRIES 4
#define REASM_BUCKETS DP_REASM_DATAGRAMS
/* Big buffers of one worker: a datagram holds one only until it is decrypted or handed over. */
#define REASM_BIG_BUFFERS 16
#define REASM_SWEEP_MS 100

int dp_reassembly_init(struct dp_reassembly *r, unsigned id, int socket, uint32_t held_max)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	uint32_t datagrams = RTE_MAX(RTE_MIN(held_max / RTE_LIBRTE_IP_FRAG_MAX_FRAG, (uint32_t)DP_REASM_DATAGRAMS),
				     (uint32_t)DP_REASM_MIN_DATAGRAMS);
	memset(r, 0, sizeof(*r));
	r->timeout = rte_get_tsc_hz() / 1000 * DP_REASM_TIMEOUT_MS;
	/* DPDK reports the table's size at INFO level, once a worker: not news for dpike's log. */
	int level = rte_log_get_level(RTE_LOGTYPE_USER1);
	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_WARNING);
	r->tbl = rte_ip_frag_table_create(REASM_BUCKETS, REASM_BUCKET_ENTRIES, datagrams, r->timeout, socket);
	if (level >= 0)
		rte_log_set_level(RTE_LOGTYPE_USER1, (uint32_t)level);
	snprintf(name, sizeof(name), "reasm%u", id);
	r->big = rte_pktmbuf_pool_create(name, REASM_BIG_BUFFERS, 0, 0, UINT16_MAX, socket);
	if (r->tbl == NULL || r->big == NULL) {
		dp_reassembly_fini(r);
		return -1;
	}
	return 0;
}

void dp_reassembly_fini(struct dp_reassembly *r)
{
	if (r->tbl != NULL)
		rte_ip_frag_table_destroy(r->tbl); /* frees the fragments it holds */
	rte_ip_frag_free_death_row(&r->dr, 0);
	rte_mempool_free(r->big);
	r->tbl = NULL;
	r->big = NULL;
}

static void free_dropped(struct dp_reassembly *r, struct dp_worker_stats *stats)
{
	stats->drops[DP_DROP_REASSEMBLY] += r->dr.cnt;
	rte_ip_frag_free_death_row(&r->dr, 0);
}

/* The datagram in one segment: in its first buffer when that has room, else in a big one. */
static struct rte_mbuf *one_segment(struct dp_reassembly *r, struct rte_mbuf *m)
{
	if (rte_pktmbuf_is_contiguous(m) || rte_pktmbuf_linearize(m) == 0)
		return m;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	struct rte_mbuf *big = rte_pktmbuf_alloc(r->big);
	if (big == NULL)
		return m;
	char *to = len <= UINT16_MAX ? rte_pktmbuf_append(big, (uint16_t)len) : NULL;
	if (to == NULL) {
		rte_pktmbuf_free(big);
		return m;
	}
	for (const struct rte_mbuf *seg = m; seg != NULL; seg = seg->next) {
		memcpy(to, rte_pktmbuf_mtod(seg, const char *), seg->data_len);
		to += seg->data_len;
	}
	big->port = m->port;
	rte_pktmbuf_free(m);
	return big;
}

struct rte_mbuf *dp_reassemble(struct dp_reassembly *r, struct rte_mbuf *m, uint64_t now,
			       struct dp_worker_stats *stats)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_mbuf *whole = NULL;
	if (likely(r->tbl != NULL)) {
		m->l2_len = 0;
		m->l3_len = rte_ipv4_hdr_len(ip) & 0x1ff;
		whole = rte_ipv4_frag_reassemble_packet(r->tbl, &r->dr, m, now, ip);
	} else {
		r->dr.row[r->dr.cnt++] = m; /* a worker set up without a table (a test's) */
	}
	if (r->dr.cnt)
		free_dropped(r, stats);
	r->last_held = now;
	if (whole == NULL) {
		if (r->next_sweep == 0 && r->tbl != NULL)
			r->next_sweep = now + rte_get_tsc_hz() / 1000 * REASM_SWEEP_MS;
		return NULL;
	}
	whole = one_segment(r, whole);
	if (rte_pktmbuf_is_contiguous(whole)) {
		ip = rte_pktmbuf_mtod(whole, struct rte_ipv4_hdr *); /* DPDK left the checksum zero */
		ip->hdr_checksum = 0;
		ip->hdr_checksum = dp_ipv4_cksum(ip);
	}
	return whole;
}

void dp_reassembly_expire(struct dp_reassembly *r, uint64_t now, struct dp_worker_stats *stats)
{
	if (now < r->next_sweep)
		return;
	/* DPDK stops at a full death row: free it and look again until nothing more timed out. */
	for (;;) {
		uint32_t before = r->dr.cnt;
		rte_ip_frag_table_del_expired_entries(r->tbl, &r->dr, now);
		if (r->dr.cnt == before)
			break;
		free_dropped(r, stats);
	}
	uint64_t sweep = rte_get_tsc_hz() / 1000 * REASM_SWEEP_MS;
	/* Past the timeout of the last fragment, every datagram has expired and been swept. */
	r->next_sweep = now - r->last_held > r->timeout + sweep ? 0 : now + sweep;
}
