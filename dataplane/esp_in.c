/* SPDX-License-Identifier: BSD-3-Clause */
/* Inbound ESP: SA lookup by SPI, replay check, decryption and ICV check, then unframing. */
#include <string.h>

#include <openssl/crypto.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "esp.h"
#include "esp_internal.h"
#include "flow.h"
#include "replay.h"
#include "sad.h"
#include "spi_awaited.h"

/* Packet fields may sit at any alignment. */
static inline uint32_t load_be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

/*
 * The lines of a short frame after its first (which the classifier read), asked for as the burst
 * is parsed, well before decryption reads them: a frame from another core's cache (a NIC's DMA
 * lands in memory or the LLC alike) otherwise stalls the cipher on each, one packet after
 * another. A long frame's lines are asked for ESP_FRAME_AHEAD packets before its decryption
 * (esp_frame_prefetch()); asked for here as well, a whole burst's at once, they crowded the short
 * ones out.
 */
#define ESP_IN_SHORT_FRAME 256

static inline void prefetch_short_frame(const struct rte_mbuf *m)
{
	if (rte_pktmbuf_data_len(m) <= ESP_IN_SHORT_FRAME)
		esp_frame_prefetch(m, RTE_CACHE_LINE_SIZE);
}

/* A long frame's lines after its first, the short ones having been asked for as the burst was parsed. */
static inline void prefetch_long_frame_at(struct rte_mbuf *const pkts[], uint16_t i, uint16_t n)
{
	if (i < n && rte_pktmbuf_data_len(pkts[i]) > ESP_IN_SHORT_FRAME)
		esp_frame_prefetch(pkts[i], RTE_CACHE_LINE_SIZE);
}

/* Where the ESP header starts: after the IPv4 header, and the UDP one when encapsulated. */
static uint32_t esp_offset(const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t off = rte_ipv4_hdr_len(ip);
	return ip->next_proto_id == IPPROTO_UDP ? off + (uint32_t)sizeof(struct rte_udp_hdr) : off;
}

uint32_t esp_spi_of(const struct rte_mbuf *m)
{
	uint32_t off = esp_offset(m);
	return rte_pktmbuf_pkt_len(m) < off + ESP_HDR_LEN ? 0 : load_be32(rte_pktmbuf_mtod_offset(m, const uint8_t *, off));
}

/* Locates the ESP header; the classifier already checked the IPv4 header against the packet. */
static uint8_t parse_outer(struct rte_mbuf *m, struct esp_pkt *pk, uint32_t *spi)
{
	uint32_t off = esp_offset(m);
	*spi = 0; /* none: the lookup finds nothing */
	pk->moved = 0;
	if (rte_pktmbuf_pkt_len(m) < off + ESP_HDR_LEN)
		return DP_DROP_ESP_TRUNCATED;
	pk->esp = rte_pktmbuf_mtod_offset(m, uint8_t *, off);
	*spi = load_be32(pk->esp);
	pk->payload_len = rte_pktmbuf_pkt_len(m) - off; /* narrowed once the SA is known */
	prefetch_short_frame(m);
	return 0;
}

static uint8_t check_sa(struct esp_sa *sa, uint32_t spi, struct rte_mbuf *m, struct esp_pkt *pk)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	/* the SAD may hand out the SA that took a removed SA's place: sad.h */
	if (sa == NULL || sa->spi != spi || !esp_sa_has(sa, ESP_SA_F_INBOUND))
		return DP_DROP_ESP_NO_SA;
	if ((ip->next_proto_id == IPPROTO_UDP) != esp_sa_has(sa, ESP_SA_F_UDP_ENCAP))
		return DP_DROP_ESP_WRONG_ENCAP;
	if (__atomic_load_n(&sa->dead, __ATOMIC_RELAXED))
		return DP_DROP_SA_EXPIRED;
	uint32_t overhead = ESP_HDR_LEN + sa->iv_len + sa->icv_len;
	if (pk->payload_len < overhead + 2)
		return DP_DROP_ESP_TRUNCATED;
	pk->payload_len -= overhead;
	if ((pk->payload_len & (sa->pad_align - 1u)) != 0)
		return DP_DROP_ESP_TRUNCATED;
	pk->icv = pk->esp + ESP_HDR_LEN + sa->iv_len + pk->payload_len;
	uint32_t seq_lo = load_be32(pk->esp + 4);
	pk->seq = esp_sa_has(sa, ESP_SA_F_ESN) ? replay_infer_esn(sa->replay, seq_lo) : seq_lo;
	if (replay_check(sa->replay, pk->seq) != REPLAY_OK) {
		__atomic_fetch_add(&sa->replay_drops, 1, __ATOMIC_RELAXED);
		return DP_DROP_ESP_REPLAY;
	}
	return 0;
}

/*
 * Packet i's SA is found and its header lines asked for ESP_SA_HEAD_AHEAD packets before i is
 * processed, its keys and window (which need the header's first line) ESP_SA_AHEAD before:
 * each step's wait is hidden behind the crypto of the packets in between. Found all at once
 * at the burst's start instead, 32 SAs' header lines filled the core's miss buffers and the
 * first packets' keys then waited on them, one burst after another.
 */

static void find_sa(const struct dp_sad *sad, const uint32_t spis[], struct esp_sa *sas[], uint16_t i)
{
	sas[i] = dp_sad_find(sad, spis[i]);
	if (sas[i] != NULL && (i == 0 || sas[i] != sas[i - 1]))
		esp_sa_prefetch_head(sas[i], true);
}

static uint8_t selectors_ok(const struct esp_sa *sa, const struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	bool ok;
	if (esp_sa_has(sa, ESP_SA_F_TS_ADDRS)) { /* no ports to parse, no lists to walk */
		ok = ts_match_addr(sa->remote_ts, rte_be_to_cpu_32(ip->src_addr)) &&
		     ts_match_addr(sa->local_ts, rte_be_to_cpu_32(ip->dst_addr));
	} else {
		struct dp_flow f;
		dp_flow_from_ipv4(ip, rte_pktmbuf_pkt_len(m), &f);
		ok = dp_flow_in_selectors(&f, sa->remote_ts, sa->n_remote_ts, sa->local_ts, sa->n_local_ts);
	}
	return ok ? 0 : DP_DROP_ESP_SELECTOR;
}

static uint8_t icv_ok(struct esp_sa *sa, const struct esp_pkt *pk)
{
	if (CRYPTO_memcmp(pk->tag, pk->expect, sa->icv_len) == 0)
		return 0;
	__atomic_fetch_add(&sa->auth_drops, 1, __ATOMIC_RELAXED);
	return DP_DROP_ESP_AUTH;
}

/*
 * The ICVs checked, then the authenticated sequence numbers of each run of one SA's packets into
 * its replay window at once (only authenticated numbers may move it): a compare-and-swap for each
 * block of 32 numbers and one for the top, where one by one took two a packet, each a window
 * line handed between the cores of the workers that share the SA (tests/bench/replay.c); plain
 * stores when this worker owns the SA (sa_owner.h).
 */
static void verify_runs(struct esp_ctx *c, struct esp_sa *sas[], uint16_t n)
{
	uint64_t seqs[ESP_MAX_BURST];
	uint16_t at[ESP_MAX_BURST];
	enum replay_verdict v[ESP_MAX_BURST];
	for (uint16_t i = 0; i < n;) {
		uint16_t k = esp_run_end(sas, i, n), m = 0;
		for (uint16_t j = i; j < k; j++) {
			struct esp_pkt *pk = &c->pk[j];
			if (pk->status == 0)
				pk->status = icv_ok(sas[i], pk);
			if (pk->status == 0) {
				at[m] = j;
				seqs[m++] = pk->seq;
			}
		}
		if (m)
			replay_commit_run(sas[i]->replay, seqs, m, v, sa_owner_mine(&sas[i]->owner, c->owner_id));
		for (uint16_t j = 0; j < m; j++)
			if (v[j] != REPLAY_OK) {
				c->pk[at[j]].status = DP_DROP_ESP_REPLAY;
				__atomic_fetch_add(&sas[i]->replay_drops, 1, __ATOMIC_RELAXED);
			}
		i = k;
	}
}

static uint8_t strip(struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk)
{
	uint8_t rc = (uint8_t)sa->frame(sa, m, pk);
	return rc ? rc : selectors_ok(sa, m);
}

/* Charges each run of one SA's packets, unframed, to the SA; reports lifetimes crossed. */
static void charge_runs(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t n)
{
	for (uint16_t i = 0; i < n;) {
		uint16_t k = esp_run_end(sas, i, n);
		bool owned = sa_owner_mine(&sas[i]->owner, c->owner_id);
		enum esp_expiry e = esp_sa_account(sas[i], owned, (uint32_t)(k - i), esp_bytes_of(pkts, i, k));
		if (unlikely(e != ESP_EXPIRY_NONE))
			esp_report_expiry(c, sas[i], e);
		i = k;
	}
}

uint16_t esp_decrypt_burst(struct esp_ctx *c, const struct dp_sad *sad, struct rte_mbuf *pkts[],
			   struct esp_sa *sas[], uint16_t n)
{
	uint32_t spis[ESP_MAX_BURST];
	struct esp_gcm_behind gcm = { .sa = NULL, .pk = NULL };
	for (uint16_t i = 0; i < n; i++)
		c->pk[i].status = parse_outer(pkts[i], &c->pk[i], &spis[i]);
	dp_sad_prefetch_bulk(sad, spis, n);
	for (uint16_t i = 0; i < n && i < ESP_SA_HEAD_AHEAD; i++)
		find_sa(sad, spis, sas, i);
	for (uint16_t i = 0; i < ESP_SA_AHEAD; i++)
		esp_sa_prefetch_rest_at(pkts, sas, i, n);
	for (uint16_t i = 0; i < n; i++) {
		struct esp_pkt *pk = &c->pk[i];
		if (i + ESP_SA_HEAD_AHEAD < n)
			find_sa(sad, spis, sas, i + ESP_SA_HEAD_AHEAD);
		esp_sa_prefetch_rest_at(pkts, sas, i + ESP_SA_AHEAD, n);
		prefetch_long_frame_at(pkts, i + ESP_FRAME_AHEAD, n);
		if (pk->status == 0)
			pk->status = check_sa(sas[i], spis[i], pkts[i], pk);
		if (unlikely(pk->status == DP_DROP_ESP_NO_SA) && dp_spi_awaited(spis[i]))
			pk->status = ESP_STATUS_AWAITED;
		if (pk->status == 0) {
			if (esp_sa_has(sas[i], ESP_SA_F_GCM))
				esp_gcm_behind(c, &gcm, sas[i], pk, false);
			else
				sas[i]->crypt(c, sas[i], pk);
		}
		esp_run_deferred(c, 1);
	}
	esp_gcm_behind(c, &gcm, NULL, NULL, false);
	esp_flush(c);
	verify_runs(c, sas, n);
	for (uint16_t i = 0; i < n; i++)
		if (c->pk[i].status == 0) {
			c->pk[i].status = strip(sas[i], pkts[i], &c->pk[i]);
			if (unlikely(c->pk[i].moved) && c->pk[i].status == 0)
				esp_report_peer_moved(c, sas[i], &c->pk[i]);
		}
	uint16_t good = esp_compact(c, pkts, sas, n);
	charge_runs(c, pkts, sas, good);
	c->stats->esp_in_packets += good;
	return good;
}
