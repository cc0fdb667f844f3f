/* SPDX-License-Identifier: BSD-3-Clause */
/* The IPsec stages of a burst: inbound ESP, the policy decision, outbound ESP. */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "fragment.h"
#include "pkt.h"
#include "pkt_meta.h"
#include "worker.h"

static void punt_l3(struct dp_batch *b, struct rte_mbuf *m, enum dp_punt_reason why, uint32_t aux, uint8_t flags)
{
	struct dp_meta *meta = dp_meta(m);
	meta->code = why;
	meta->aux = aux;
	meta->flags = flags;
	meta->port = m->port;
	b->punt[b->n_punt++] = m;
}

void dp_stage_esp_in(struct dp_worker *w, struct dp_batch *b)
{
	if (b->n_esp_in == 0)
		return;
	uint16_t n = b->n_esp_in;
	uint16_t good = esp_decrypt_burst(&w->esp, w->tables.sad, b->esp_in, b->in_sa, n);
	for (uint16_t i = good; i < n; i++) {
		struct rte_mbuf *m = b->esp_in[i];
		if (unlikely(w->esp.tail_status[i - good] == ESP_STATUS_AWAITED))
			punt_l3(b, m, DP_PUNT_ESP_AWAITED, esp_spi_of(m), 0);
		else
			b->drop[b->n_drop++] = m; /* counted by the ESP stage */
	}
	for (uint16_t i = 0; i < good; i++) {
		struct rte_mbuf *m = b->esp_in[i];
		uint32_t dst = rte_be_to_cpu_32(rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *)->dst_addr);
		if (dp_fib_is_local(b->fib, dst)) {
			punt_l3(b, m, DP_PUNT_LOCAL, 0, DP_META_F_DECRYPTED);
		} else {
			b->fwd_flags[b->n_fwd] = DP_META_F_DECRYPTED;
			b->fwd_sa[b->n_fwd] = b->in_sa[i];
			b->fwd[b->n_fwd++] = m;
		}
	}
	b->n_esp_in = 0;
}

/* RFC 1624 incremental update for the TTL decrement. */
static void decrement_ttl(struct rte_ipv4_hdr *ip)
{
	uint32_t sum = (uint32_t)ip->hdr_checksum + rte_cpu_to_be_16(0x0100);
	ip->hdr_checksum = (uint16_t)(sum + (sum >= 0xffff));
	ip->time_to_live--;
}

/* Bytes of inner packet that still fit the route to the SA's peer once ESP is added. */
static uint32_t room_after_esp(const struct dp_batch *b, const struct esp_sa *sa)
{
	const struct dp_route *r = dp_fib_route(b->fib, rte_be_to_cpu_32(sa->remote_be));
	uint32_t mtu = r ? b->fib->ports[r->port].mtu : DP_NO_ROUTE_MTU;
	return mtu > esp_sa_overhead(sa) ? mtu - esp_sa_overhead(sa) : 0;
}

static void apply_policy(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *m, uint8_t flags,
			 struct dp_verdict v)
{
	if (v.action == DP_POLICY_BYPASS) {
		b->route[b->n_route++] = m;
		return;
	}
	if (v.action == DP_POLICY_DISCARD) {
		dp_drop(w, b, m, DP_DROP_POLICY_DISCARD);
		return;
	}
	if (v.action == DP_POLICY_TRAP) {
		punt_l3(b, m, DP_PUNT_ACQUIRE, v.trap_id, flags);
		return;
	}
	if (v.action == DP_POLICY_REQUIRE) {
		/* Cleartext matching an inbound SA's selectors must have come through the SA. */
		if (flags & (DP_META_F_DECRYPTED | DP_FWD_LOCAL_ORIGIN))
			b->route[b->n_route++] = m;
		else
			dp_drop(w, b, m, DP_DROP_POLICY_UNPROTECTED);
		return;
	}
	/* Every SA's first line (header and use) now, as ESP numbers the whole burst first (esp_out.c). */
	if (b->n_out == 0 || v.sa != b->out_sa[b->n_out - 1])
		esp_sa_prefetch_head(v.sa, false);
	b->out_sa[b->n_out] = v.sa;
	b->out_flags[b->n_out] = flags;
	b->out[b->n_out++] = m;
}

static void push_out(struct dp_batch *b, struct rte_mbuf *m, struct esp_sa *sa)
{
	b->out[b->n_out] = m;
	b->out_sa[b->n_out++] = sa;
}

/*
 * The burst's packets ESP would make too big for their route, and how many fragments each
 * becomes here (0: punted instead). The burst's lists hold DP_BURST_MAX packets between them (a
 * packet moves from list to list), so the fragments take the room the others leave.
 */
static unsigned plan_fragments(const struct dp_batch *b, uint32_t room[], uint8_t pieces[], bool *all_fit)
{
	unsigned free_slots = DP_BURST_MAX - (b->n_route + b->n_drop + b->n_punt + b->n_punt_ike + b->n_out);
	unsigned extra = 0;
	/*
	 * Packets that fit any route with any SA's ESP around them need no look at their SA or
	 * route: the SA's header lines, asked for just before, are then first read by the ESP stage.
	 */
	uint32_t fits = b->fib->min_mtu > ESP_SA_OVERHEAD_MAX ? b->fib->min_mtu - ESP_SA_OVERHEAD_MAX : 0;
	*all_fit = true;
	for (uint16_t i = 0; i < b->n_out; i++) {
		struct rte_mbuf *m = b->out[i];
		pieces[i] = 1;
		if (rte_pktmbuf_pkt_len(m) <= fits)
			continue;
		room[i] = room_after_esp(b, b->out_sa[i]);
		if (rte_pktmbuf_pkt_len(m) <= room[i])
			continue;
		*all_fit = false;
		unsigned k = dp_ipv4_df(m) ? 0 : dp_fragment_count(m, room[i]);
		pieces[i] = k - 1 <= free_slots - extra ? (uint8_t)k : 0;
		extra += pieces[i] ? k - 1 : 0;
	}
	return extra;
}

/*
 * Cuts m into its pieces, fresh[] holding the buffers for all but the first, and passes them on
 * for the SA in order; or punts m (DF set: the control core answers ICMP fragmentation needed;
 * not cut here: it cuts m and injects the pieces). Returns the fresh buffers it took.
 */
static unsigned cut_or_punt(struct dp_worker *w, struct dp_batch *b, struct rte_mbuf *m, struct esp_sa *sa,
			    uint32_t room, unsigned pieces, struct rte_mbuf *fresh[], uint8_t flags)
{
	struct rte_mbuf *frags[DP_FRAG_MAX];
	if (pieces == 0 || !dp_fragment(m, room, pieces, fresh, frags)) {
		if (pieces) /* written to: not for another packet */
			rte_pktmbuf_free_bulk(fresh, pieces - 1);
		punt_l3(b, m, dp_ipv4_df(m) ? DP_PUNT_FRAG_NEEDED : DP_PUNT_FRAGMENT, room & ~7u, flags | DP_META_F_PRE_ESP);
		return pieces ? pieces - 1 : 0;
	}
	w->stats.fragmented++;
	w->stats.fragments_made += pieces;
	for (unsigned j = 0; j < pieces; j++)
		push_out(b, frags[j], sa);
	return pieces - 1;
}

/*
 * The size decision, made before encryption hides the inner header: a packet ESP would make too
 * big for its route is cut into fragments that fit (DF clear), each then encrypted alone, or
 * punted. Keeps the order.
 */
static void check_sizes(struct dp_worker *w, struct dp_batch *b)
{
	struct rte_mbuf *pkts[DP_BURST_MAX], *fresh[DP_BURST_MAX];
	struct esp_sa *sas[DP_BURST_MAX];
	uint32_t room[DP_BURST_MAX];
	uint8_t pieces[DP_BURST_MAX];
	uint16_t n = b->n_out;
	bool all_fit = true;
	unsigned extra = n ? plan_fragments(b, room, pieces, &all_fit) : 0, used = 0;
	if (all_fit)
		return; /* the lists stand as they are */
	if (extra && dp_fragment_buffers(b->out[0]->pool, fresh, extra) != 0) {
		for (uint16_t i = 0; i < n; i++) /* the pool is short: the control core cuts them */
			pieces[i] = pieces[i] == 1 ? 1 : 0;
		extra = 0;
	}
	memcpy(pkts, b->out, n * sizeof(pkts[0]));
	memcpy(sas, b->out_sa, n * sizeof(sas[0]));
	b->n_out = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (pieces[i] == 1)
			push_out(b, pkts[i], sas[i]);
		else
			used += cut_or_punt(w, b, pkts[i], sas[i], room[i], pieces[i], fresh + used, b->out_flags[i]);
	}
	if (used < extra)
		rte_pktmbuf_free_bulk(fresh + used, extra - used);
}

_Static_assert(DP_BURST_MAX <= DP_SPD_BULK_MAX, "a burst's cache misses go to the SPD in one bulk lookup");
_Static_assert(sizeof(struct dp_spd_cache_entry) == ESP_SA_MEMO_BYTES, "an inbound SA holds one entry");

/*
 * The policy memo of the SA a packet was decrypted with, where this worker may use it: the SA's
 * owner alone (sa_owner.h; decryption settled who that is) reads and writes it, with plain
 * stores. Over many SAs a packet's flow cache set is one more line from memory, and a TLB miss,
 * after its SA's lines; the memo shares the selectors' line that the inbound check has just
 * read. It keeps the last flow's answer as the cache would, judged by the same rules across SPD
 * changes (spd_cache.h).
 */
static struct dp_spd_cache_entry *memo_of(struct dp_worker *w, struct esp_sa *sa)
{
	return sa != NULL && sa_owner_is(&sa->owner, w->esp.owner_id) ? sa->flow_memo : NULL;
}

/*
 * Verdicts for the burst: a decrypted packet's SA memo first, then the flow cache, then one bulk
 * SPD lookup for all they missed.
 */
static void find_verdicts(struct dp_worker *w, struct dp_batch *b, const struct dp_flow flows[],
			  struct esp_sa *const sas[], uint16_t n, struct dp_verdict v[])
{
	const struct dp_flow *miss[DP_BURST_MAX];
	struct dp_spd_cache_set *slot[DP_BURST_MAX];
	struct dp_spd_cache_entry *memo[DP_BURST_MAX];
	uint16_t at[DP_BURST_MAX], n_miss = 0;
	/* The cache is as large as a core's L2: all the burst's sets are fetched before any is read. */
	for (uint16_t i = 0; i < n; i++) {
		memo[i] = memo_of(w, sas[i]);
		slot[i] = NULL;
		if (memo[i] != NULL && dp_spd_entry_answers(memo[i], b->spd, b->spd_gen, &flows[i], &v[i])) {
			memo[i] = NULL; /* up to date */
			w->spd_cache->hits++;
			w->spd_cache->sa_memo_hits++;
			continue;
		}
		slot[i] = dp_spd_cache_slot(w->spd_cache, &flows[i]);
		rte_prefetch0(slot[i]);
	}
	for (uint16_t i = 0; i < n; i++)
		if (slot[i] != NULL && !dp_spd_cache_check(w->spd_cache, b->spd, slot[i], b->spd_gen, &flows[i], &v[i])) {
			at[n_miss] = i;
			miss[n_miss++] = &flows[i];
		}
	if (n_miss > 0) {
		const struct dp_policy *found[DP_BURST_MAX];
		dp_spd_lookup_bulk(b->spd, miss, n_miss, found);
		for (uint16_t j = 0; j < n_miss; j++) {
			v[at[j]] = dp_verdict_of(found[j]);
			dp_spd_cache_fill(slot[at[j]], b->spd_gen, miss[j], v[at[j]]);
		}
	}
	for (uint16_t i = 0; i < n; i++)
		if (memo[i] != NULL)
			dp_spd_entry_set(memo[i], b->spd_gen, &flows[i], v[i]);
}

void dp_stage_policy(struct dp_worker *w, struct dp_batch *b)
{
	struct dp_flow flows[DP_BURST_MAX];
	struct rte_mbuf *pkts[DP_BURST_MAX];
	struct esp_sa *sas[DP_BURST_MAX];
	uint8_t flags[DP_BURST_MAX];
	struct dp_verdict v[DP_BURST_MAX];
	uint16_t n = 0;
	for (uint16_t i = 0; i < b->n_fwd; i++) {
		struct rte_mbuf *m = b->fwd[i];
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
		if (!(b->fwd_flags[i] & DP_FWD_LOCAL_ORIGIN)) {
			if (ip->time_to_live <= 1) {
				w->stats.drops[DP_DROP_TTL_EXCEEDED]++;
				punt_l3(b, m, DP_PUNT_TTL, 0, b->fwd_flags[i]);
				continue;
			}
			decrement_ttl(ip);
		}
		dp_flow_from_ipv4(ip, rte_pktmbuf_pkt_len(m), &flows[n]);
		flags[n] = b->fwd_flags[i];
		sas[n] = b->fwd_sa[i];
		pkts[n++] = m;
	}
	b->n_fwd = 0;
	find_verdicts(w, b, flows, sas, n, v);
	for (uint16_t i = 0; i < n; i++)
		apply_policy(w, b, pkts[i], flags[i], v[i]);
	check_sizes(w, b);
}

void dp_stage_esp_out(struct dp_worker *w, struct dp_batch *b)
{
	if (b->n_out == 0)
		return;
	uint16_t n = b->n_out;
	uint16_t good = esp_encrypt_burst(&w->esp, b->out, b->out_sa, n);
	for (uint16_t i = 0; i < good; i++)
		b->route[b->n_route++] = b->out[i];
	for (uint16_t i = good; i < n; i++)
		b->drop[b->n_drop++] = b->out[i];
	b->n_out = 0;
}
