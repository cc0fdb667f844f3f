/* SPDX-License-Identifier: BSD-3-Clause */
/* Outbound ESP: sequence numbers, framing, encryption, for a burst of packets. */
#include <rte_mbuf.h>

#include "esp.h"
#include "esp_frame_out.h"
#include "esp_internal.h"

/* How many of want packets the SA may number after seq: none once dead, none past limit. */
static uint32_t numbers_left(const struct esp_sa *sa, uint64_t seq, uint64_t limit, uint32_t want)
{
	if (__atomic_load_n(&sa->dead, __ATOMIC_RELAXED) || seq >= limit)
		return 0;
	return limit - seq < want ? (uint32_t)(limit - seq) : want;
}

/*
 * Hands out sequence numbers to the run of same-SA packets that starts at i, and charges the
 * SA for them, so that workers sharing an SA never reuse one and change the shared use once
 * per run, not per packet (with plain stores when this worker owns the SA: sa_owner.h).
 * Returns where the run ends. Reads the SA's first line alone (header and use), which the policy
 * stage asked for (for writing) for every packet.
 */
static uint16_t assign_run(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t i,
			   uint16_t n)
{
	struct esp_sa *sa = sas[i];
	uint16_t k = esp_run_end(sas, i, n);
	uint32_t want = k - i;
	uint64_t bytes = esp_bytes_of(pkts, i, k);
	/* The sequence number counts the SA's packets, so the hard packet limit is exact here. */
	uint64_t limit = esp_sa_seq_limit(sa);
	bool owned = sa_owner_mine(&sa->owner, c->owner_id);
	rte_int128_t before = esp_sa_use_read(sa), after;
	uint32_t take;
	do {
		take = numbers_left(sa, before.val[0], limit, want);
		after.val[0] = before.val[0] + take;
		after.val[1] = before.val[1] + (take == want ? bytes : esp_bytes_of(pkts, i, (uint16_t)(i + take)));
	} while (take && !esp_sa_use_update(sa, owned, &before, after));
	for (uint16_t j = i; j < k; j++) {
		struct esp_pkt *pk = &c->pk[j];
		pk->seq = before.val[0] + 1 + (j - i);
		pk->copy_tag = 0;
		pk->status = (uint32_t)(j - i) < take ? 0 : DP_DROP_SA_EXPIRED;
	}
	if (take < want)
		__atomic_store_n(&sa->dead, 1, __ATOMIC_RELAXED); /* sequence space or lifetime used up (RFC 4303 3.3.3) */
	enum esp_expiry e = take ? esp_sa_limits_crossed(sa, before, after) : ESP_EXPIRY_NONE;
	if (unlikely(e != ESP_EXPIRY_NONE))
		esp_report_expiry(c, sa, e);
	return k;
}

/* An unpredictable IV's bytes for the packet (CBC's, RFC 3602 2.3); false when none can be had. */
static bool take_random(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk)
{
	if (unlikely(c->rand_off > ESP_RAND_POOL - 16) && !esp_refill_random(c)) {
		pk->status = DP_DROP_ESP_CRYPTO;
		return false;
	}
	pk->rand = &c->rand_pool[c->rand_off];
	c->rand_off += esp_sa_rand_len(sa);
	return true;
}

static void finish_tags(struct esp_ctx *c, struct esp_sa *sas[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct esp_pkt *pk = &c->pk[i];
		if (pk->status == 0 && pk->copy_tag)
			memcpy(pk->icv, pk->tag, sas[i]->icv_len);
	}
}

/*
 * A packet of a tunnel-mode ESP_SA_F_GCM SA, its sequence number assigned: framed with no call
 * through the SA, and sealed once the next such packet is framed (esp_gcm_behind()), or at the
 * burst's end.
 */
static inline void seal_gcm_tunnel(struct esp_ctx *c, const struct esp_sa *sa, struct rte_mbuf *m,
				   struct esp_pkt *pk, struct esp_gcm_behind *b)
{
	pk->ip_id = c->ip_id++;
	pk->status = (uint8_t)esp_frame_out_tunnel(sa, m, pk);
	if (pk->status == 0)
		esp_gcm_behind(c, b, sa, pk, true);
}

/* Frames a packet and has it encrypted, by its SA's functions. */
static void seal_by_sa(struct esp_ctx *c, const struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk)
{
	if (esp_sa_has(sa, ESP_SA_F_RAND_IV) && !take_random(c, sa, pk))
		return;
	pk->ip_id = c->ip_id++;
	pk->status = (uint8_t)sa->frame(sa, m, pk);
	if (pk->status == 0)
		sa->crypt(c, sa, pk);
	esp_run_deferred(c, 1);
}

uint16_t esp_encrypt_burst(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t n)
{
	/*
	 * Every run is numbered before any packet is sealed: a locked instruction waits until the
	 * core's stores have left, and after a seal those are the whole frame's ciphertext, written
	 * into lines another core owns (1400 B over 16,384 SAs: 200 cycles a packet). Numbering read
	 * every SA's first line (the policy stage asked for them); the keys are asked for as the
	 * loop goes, ESP_SA_AHEAD packets ahead; the crypto runs a packet behind the framing
	 * (esp_gcm_behind(), esp_run_deferred()).
	 */
	for (uint16_t i = 0; i < n;)
		i = assign_run(c, pkts, sas, i, n);
	struct esp_gcm_behind gcm = { .sa = NULL, .pk = NULL };
	for (uint16_t i = 0; i < ESP_SA_AHEAD; i++)
		esp_sa_prefetch_rest_at(pkts, sas, i, n);
	/* a packet at a time, not a run: over many SAs each run is a packet, and a run's setup cost more */
	for (uint16_t i = 0; i < n; i++) {
		struct esp_pkt *pk = &c->pk[i];
		const struct esp_sa *sa = sas[i];
		esp_out_prefetch(pkts, sas, i, n);
		if (pk->status)
			continue;
		if (esp_sa_one_pass(sa))
			seal_gcm_tunnel(c, sa, pkts[i], pk, &gcm);
		else
			seal_by_sa(c, sa, pkts[i], pk);
	}
	esp_gcm_behind(c, &gcm, NULL, NULL, true);
	esp_flush(c);
	finish_tags(c, sas, n);
	uint16_t good = esp_compact(c, pkts, sas, n);
	c->stats->esp_out_packets += good;
	return good;
}
