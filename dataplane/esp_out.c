/* SPDX-License-Identifier: BSD-3-Clause */
/* Outbound ESP: sequence numbers, framing, encryption, for a burst of packets. */
#include <rte_mbuf.h>

#include "esp.h"
#include "esp_internal.h"

/*
 * Hands out sequence numbers a run of same-SA packets at a time, so workers sharing an
 * SA never reuse one and touch the shared counter once per run, not per packet.
 */
static void assign_sequence(struct esp_ctx *c, struct esp_sa *sas[], uint16_t n)
{
	for (uint16_t i = 0; i < n;) {
		struct esp_sa *sa = sas[i];
		uint16_t k = i;
		while (k < n && sas[k] == sa)
			k++;
		uint64_t base = __atomic_fetch_add(&sa->seq_out, k - i, __ATOMIC_RELAXED);
		/* The sequence number counts the SA's packets, so the hard packet limit is exact here. */
		uint64_t limit = esp_sa_has(sa, ESP_SA_F_ESN) ? UINT64_MAX : UINT32_MAX;
		if (sa->hard_packets && sa->hard_packets < limit)
			limit = sa->hard_packets;
		bool dead = __atomic_load_n(&sa->dead, __ATOMIC_RELAXED);
		for (uint16_t j = i; j < k; j++) {
			struct esp_pkt *pk = &c->pk[j];
			pk->seq = base + 1 + (j - i);
			pk->copy_tag = 0;
			pk->status = dead || pk->seq > limit || pk->seq < base ? DP_DROP_SA_EXPIRED : 0;
		}
		if (base + (k - i) > limit)
			__atomic_store_n(&sa->dead, 1, __ATOMIC_RELAXED); /* sequence space or lifetime used up (RFC 4303 3.3.3) */
		i = k;
	}
}

static void finish_tags(struct esp_ctx *c, struct esp_sa *sas[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct esp_pkt *pk = &c->pk[i];
		if (pk->status == 0 && pk->copy_tag)
			memcpy(pk->icv, pk->tag, sas[i]->icv_len);
	}
}

uint16_t esp_encrypt_burst(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t n)
{
	/*
	 * The heads were asked for by the policy stage; the keys are asked for a few packets ahead
	 * of the framing rather than all at once, which stalled on the core's fill buffers with
	 * nothing else to do, and the crypto runs a packet behind it (esp_run_deferred()).
	 */
	for (uint16_t i = 0; i < ESP_SA_AHEAD; i++)
		esp_sa_prefetch_rest_at(sas, i, n);
	assign_sequence(c, sas, n);
	for (uint16_t i = 0; i < n; i++) {
		struct esp_pkt *pk = &c->pk[i];
		const struct esp_sa *sa = sas[i];
		esp_sa_prefetch_rest_at(sas, i + ESP_SA_AHEAD, n);
		if (i + 2 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 2], void *));
		if (pk->status)
			continue;
		if (unlikely(c->rand_off > ESP_RAND_POOL - 16) && !esp_refill_random(c)) {
			pk->status = DP_DROP_ESP_CRYPTO;
			continue;
		}
		pk->rand = &c->rand_pool[c->rand_off];
		c->rand_off += sa->rand_len;
		pk->ip_id = c->ip_id++;
		pk->status = (uint8_t)sa->frame(sa, pkts[i], pk);
		if (pk->status == 0)
			sa->crypt(c, sa, pk);
		esp_run_deferred(c, 1);
	}
	esp_flush(c);
	finish_tags(c, sas, n);
	uint16_t good = esp_compact(c, pkts, sas, n);
	esp_account(c, pkts, sas, good);
	c->stats->esp_out_packets += good;
	return good;
}
