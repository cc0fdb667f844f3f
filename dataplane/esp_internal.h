/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the ESP burst files only. */
#ifndef DPIKE_DP_ESP_INTERNAL_H
#define DPIKE_DP_ESP_INTERNAL_H

#include <stdbool.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "esp.h"

#define ESP_HDR_LEN 8

static inline uint32_t esp_seq_hi_be(const struct esp_pkt *pk)
{
	return rte_cpu_to_be_32((uint32_t)(pk->seq >> 32));
}

/*
 * GCM and ChaCha20-Poly1305 (RFC 4106, RFC 7634): nonce = salt | explicit IV, the explicit IV
 * being the sequence number (written into the packet outbound); AAD = SPI | sequence number,
 * with the high half for ESN. Sets pk->iv, pk->aad and pk->expect; returns the AAD length.
 */
static inline uint64_t esp_aead_prepare(const struct esp_sa *sa, struct esp_pkt *pk, bool inbound)
{
	uint8_t *explicit_iv = pk->esp + ESP_HDR_LEN;
	if (!inbound) {
		uint64_t iv = rte_cpu_to_be_64(pk->seq);
		memcpy(explicit_iv, &iv, 8);
	}
	memcpy(pk->iv, sa->salt, 4);
	memcpy(pk->iv + 4, explicit_iv, 8);
	pk->expect = pk->icv;
	memcpy(pk->aad, pk->esp, 4);
	if (!esp_sa_has(sa, ESP_SA_F_ESN)) {
		memcpy(pk->aad + 4, pk->esp + 4, 4);
		return 8;
	}
	uint32_t hi = esp_seq_hi_be(pk);
	memcpy(pk->aad + 4, &hi, 4);
	memcpy(pk->aad + 8, pk->esp + 4, 4);
	return 12;
}

/* The manager whose GCM code the SA's key data is laid out for. */
static inline IMB_MGR *esp_gcm_mgr(const struct esp_ctx *c, const struct esp_sa *sa)
{
	return c->gcm_mgr[esp_sa_has(sa, ESP_SA_F_GCM_COMPACT)];
}

/* That manager's GCM function sealing or opening the SA's packets, by its key length. */
static inline aes_gcm_enc_dec_t esp_gcm_code(const struct esp_ctx *c, const struct esp_sa *sa, bool seal)
{
	const IMB_MGR *m = esp_gcm_mgr(c, sa);
	if (sa->key_len == 16)
		return seal ? m->gcm128_enc : m->gcm128_dec;
	if (sa->key_len == 24)
		return seal ? m->gcm192_enc : m->gcm192_dec;
	return seal ? m->gcm256_enc : m->gcm256_dec;
}

/* One call of IPsec-MB's direct API on a prepared packet; tag is written, not checked. */
static inline void esp_gcm_call(aes_gcm_enc_dec_t fn, const struct esp_sa *sa, struct esp_pkt *pk, uint8_t *tag)
{
	struct gcm_context_data ctx;
	uint8_t *text = pk->esp + ESP_HDR_LEN + sa->iv_len;
	fn(esp_sa_gcm_keys(sa), &ctx, text, text, pk->payload_len, pk->iv, pk->aad, pk->aad_len, tag, sa->icv_len);
	pk->status = 0;
}

/*
 * The GCM packet waiting for its call: a burst's loop prepares each packet's nonce and AAD, then
 * seals or opens the one before (the nonce just stored has left the store buffer by then, and
 * the call hides the waits for the SA lines of the packets behind), without a record and two
 * calls through pointers a packet, across the runs of a burst's SAs (over many SAs each run is a
 * packet). The function is looked up when the SA changes. Sealing writes the tag after the
 * text (pk->icv); opening, to pk->tag for the caller to compare with pk->expect.
 */
struct esp_gcm_behind {
	aes_gcm_enc_dec_t fn;
	const struct esp_sa *sa;
	struct esp_pkt *pk; /* NULL: none waiting */
};

/* Prepares pk of sa (none when NULL: the burst's end) and seals or opens the packet behind it. */
static inline void esp_gcm_behind(struct esp_ctx *c, struct esp_gcm_behind *b, const struct esp_sa *sa,
				  struct esp_pkt *pk, bool seal)
{
	if (pk) {
		pk->aad_len = (uint8_t)esp_aead_prepare(sa, pk, !seal);
		pk->status = DP_DROP_ESP_CRYPTO; /* until its call runs */
	}
	if (b->pk)
		esp_gcm_call(b->fn, b->sa, b->pk, seal ? b->pk->icv : b->pk->tag);
	if (pk && sa != b->sa)
		b->fn = esp_gcm_code(c, sa, seal);
	b->sa = sa;
	b->pk = pk;
}

/* Where the run of packets of sas[i]'s SA that starts at i ends. */
static inline uint16_t esp_run_end(struct esp_sa *const sas[], uint16_t i, uint16_t n)
{
	uint16_t k = i;
	while (k < n && sas[k] == sas[i])
		k++;
	return k;
}

/* The bytes of packets from..to-1, as an SA is charged for them. */
static inline uint64_t esp_bytes_of(struct rte_mbuf *const pkts[], uint16_t from, uint16_t to)
{
	uint64_t bytes = 0;
	for (uint16_t j = from; j < to; j++)
		bytes += rte_pktmbuf_pkt_len(pkts[j]);
	return bytes;
}

/* rand_pool filled anew (esp_iv.c); false when OpenSSL's generator gave no key. */
bool esp_refill_random(struct esp_ctx *c);
/* Wipes the IV key and pool. */
void esp_iv_forget(struct esp_ctx *c);
/* An esp_crypt_fn: queues one packet for the next esp_flush(). */
void esp_submit(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk);

/* An esp_crypt_fn for AES-CBC + HMAC: fills the packet's job for the next esp_flush(). */
void esp_cbc_submit(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk);
/* Runs the CBC jobs filled since the last flush; sets the status of each packet. */
void esp_cbc_flush(struct esp_ctx *c);
/* Of two managers, the one whose code for the HMAC is faster on this CPU for len-byte messages (timed). */
IMB_MGR *esp_cbc_faster_hmac(struct esp_ctx *c, enum esp_integ integ, uint32_t len, IMB_MGR *a, IMB_MGR *b);

/* Has fn called on the packet at the next esp_flush(). */
static inline void esp_defer(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk, esp_crypt_fn fn)
{
	pk->status = DP_DROP_ESP_CRYPTO; /* until fn runs */
	c->d_sa[c->n_deferred] = sa;
	c->d_pk[c->n_deferred] = pk;
	c->d_fn[c->n_deferred++] = fn;
}
/*
 * Runs the direct calls deferred so far but the last `keep`. A burst's loop calls it as it goes,
 * so that each packet's crypto runs while the SA lines of the packets behind it are on their way
 * (run at the flush instead, the loop had nothing to hide those waits behind), and the nonce the
 * loop just stored has left the store buffer by the time the call loads it.
 */
static inline void esp_run_deferred(struct esp_ctx *c, uint16_t keep)
{
	for (; c->n_run + keep < c->n_deferred; c->n_run++)
		c->d_fn[c->n_run](c, c->d_sa[c->n_run], c->d_pk[c->n_run]);
}

/*
 * A frame's lines from offset from on (up to ESP_FRAME_PREFETCH_MAX bytes), asked for
 * ESP_FRAME_AHEAD packets before the cipher reads them. The frame was written on another core
 * (a generator's, or a NIC's DMA into memory): left to the cipher, each line's miss waited a
 * transfer, and at 1400 bytes the frame's lines cost more than the cipher (AMD Zen 5 guest:
 * encryption 1,117-1,143 -> 733 cycles a packet, decryption 983-986 -> 542). Beyond the limit
 * the core's own prefetchers follow the stream the cipher reads.
 */
#define ESP_FRAME_AHEAD 2
#define ESP_FRAME_PREFETCH_MAX 1536u

static inline void esp_frame_prefetch(const struct rte_mbuf *m, uint32_t from)
{
	uint32_t len = RTE_MIN((uint32_t)rte_pktmbuf_data_len(m), ESP_FRAME_PREFETCH_MAX);
	for (uint32_t off = from; off < len; off += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(rte_pktmbuf_mtod_offset(m, const char *, off));
}

/*
 * What packet i of an outbound burst asks for as it is reached (every SA's first line is in:
 * numbering came first): the keys of the one ESP_SA_AHEAD behind (esp_sa_prefetch_rest()), the
 * frame of the one ESP_FRAME_AHEAD behind.
 */
static inline void esp_out_prefetch(struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t i, uint16_t n)
{
	esp_sa_prefetch_rest_at(pkts, sas, i + ESP_SA_AHEAD, n);
	if (i + ESP_FRAME_AHEAD < n)
		esp_frame_prefetch(pkts[i + ESP_FRAME_AHEAD], 0);
}

/* Runs the deferred direct calls and the CBC bursts, then hands every queued packet's job to
 * IPsec-MB in one burst and completes them; a failed job sets its pk status. */
void esp_flush(struct esp_ctx *c);
/* Sends the control core the event of a lifetime the SA's use just crossed. */
void esp_report_expiry(struct esp_ctx *c, const struct esp_sa *sa, enum esp_expiry kind);
/* Tells the control core that the SA's peer sent pk from a new endpoint (pk->moved), once per endpoint. */
void esp_report_peer_moved(struct esp_ctx *c, struct esp_sa *sa, const struct esp_pkt *pk);

#endif
