/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast-path half of an ESP SA: everything a worker needs per packet, laid out in
 * cache lines (read-only header, shared counters, keys), with the per-mode handlers
 * chosen once at creation. Names, IKE state and timers live on the control plane.
 */
#ifndef DPIKE_DP_ESP_SA_H
#define DPIKE_DP_ESP_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>
#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_mbuf_core.h>
#include <rte_prefetch.h>

#include "esp_algo.h"
#include "sa_owner.h"
#include "lib/ts.h"

struct rte_mbuf;
struct esp_ctx;
struct esp_pkt;
struct esp_sa;
struct dp_spd_cache_entry;

/* Bytes of an inbound SA's flow memo, 32-aligned after its selectors so as to share their last line. */
#define ESP_SA_MEMO_BYTES 32

/* Builds (outbound) or checks and strips (inbound) the headers and trailer around the payload. */
typedef int (*esp_frame_fn)(const struct esp_sa *sa, struct rte_mbuf *m, struct esp_pkt *pk);
/* Fills an IPsec-MB job for one packet. */
typedef void (*esp_job_fn)(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk);
/* Encrypts or decrypts one framed packet, or has it done at the burst's esp_flush(): AES-GCM by a
 * direct call, AES-CBC + HMAC in IPsec-MB's cipher and hash bursts, ChaCha20-Poly1305 as a job for
 * its job manager. Sets pk->status. */
typedef void (*esp_crypt_fn)(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk);

#define ESP_OUTER_TTL 64 /* of the tunnel header we add */

#define ESP_SA_F_INBOUND 0x01
#define ESP_SA_F_TUNNEL 0x02
#define ESP_SA_F_UDP_ENCAP 0x04
#define ESP_SA_F_ESN 0x08
#define ESP_SA_F_NAT_OA 0x10 /* transport behind a NAT: the peer's original addresses are known */
#define ESP_SA_F_GCM_COMPACT 0x20 /* GCM keys laid out for the compact code (esp_gcm_keys_set) */
/* AES-GCM by IPsec-MB's direct API: outbound in tunnel mode framed and sealed in one pass, inbound
 * opened a packet behind without a deferred record (esp_internal.h) */
#define ESP_SA_F_GCM 0x40
/* inbound: one selector each way, any protocol and port: the inner packet's addresses say it all */
#define ESP_SA_F_TS_ADDRS 0x80
/* outbound: each packet's IV is iv_len random bytes (CBC's, RFC 3602 2.3; else the sequence number) */
#define ESP_SA_F_RAND_IV 0x100
/* limits in bytes or packets, soft or hard (without, none is read: the third line stays cold) */
#define ESP_SA_F_LIFETIMES 0x200
/* GCM keys in dpike's layout (gcm_vaes.h), for dpike's compact code */
#define ESP_SA_F_GCM_OWN_KEYS 0x400

enum esp_expiry { ESP_EXPIRY_NONE, ESP_EXPIRY_SOFT, ESP_EXPIRY_HARD };

/* What the creator (static config or IKE) hands the dataplane. */
struct esp_sa_params {
	uint32_t spi;
	bool inbound, tunnel, udp_encap, esn;
	const struct esp_algo *alg;
	const uint8_t *key; /* cipher key [salt] [integrity key], as esp_algo_key_len() says */
	uint32_t local, remote; /* host order: tunnel endpoints, or the transport peers */
	uint16_t local_port, remote_port;
	/*
	 * UDP-encapsulated transport mode, inbound: the addresses the peer's TCP/UDP checksums
	 * cover (its own, and ours as it knows them: RFC 3947 NAT-OA), host order; has_oa false
	 * when unknown.
	 */
	bool has_oa;
	uint32_t oa_remote, oa_local;
	uint32_t replay_window;
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	const struct traffic_selector *local_ts, *remote_ts;
	int n_local_ts, n_remote_ts;
	unsigned copy; /* tunnel: enum tunnel_copy */
};

/* Bytes of an expanded AES key: a round key for each of 10, 12 or 14 rounds, and one more. */
static inline unsigned esp_aes_round_key_bytes(unsigned key_len)
{
	return 16 * (key_len / 4 + 7);
}

/*
 * Keys of a cipher with a separate integrity check, in this order: the integrity keys, then the
 * cipher's. For HMAC the inner and outer states after the key's block (RFC 2104), each 32 bytes
 * (MD5, SHA-1, SHA2-256) or 64 (SHA2-384, SHA2-512); for AES-XCBC the expanded K1 with K2 and K3
 * (RFC 3566), for AES-CMAC the expanded key with its two subkeys (RFC 4493). Then the AES key
 * schedule of the SA's direction (an SA goes one way: encryption outbound, decryption inbound;
 * AES-CTR encrypts both ways), only as long as its key length uses, or 3DES's three DES
 * schedules with the pointers IPsec-MB takes to them. AES-128 and HMAC-SHA2-256 make 240
 * bytes, four lines, all of which a packet reads. NULL encryption keeps the integrity keys alone.
 */
static inline unsigned esp_hmac_state_bytes(enum esp_integ integ)
{
	return integ == ESP_INTEG_SHA384_192 || integ == ESP_INTEG_SHA512_256 ? 64 : 32;
}

#define ESP_AES_MAC_KEY_BYTES (11 * 16 + 2 * 16) /* expanded AES-128 key and two 16-byte keys */
#define ESP_DES_SCHEDULE_BYTES 128
#define ESP_3DES_KEY_BYTES (3 * ESP_DES_SCHEDULE_BYTES + 3 * sizeof(void *))

static inline unsigned esp_integ_key_bytes(enum esp_integ integ)
{
	if (integ == ESP_INTEG_NONE)
		return 0;
	if (integ == ESP_INTEG_AES_XCBC_96 || integ == ESP_INTEG_AES_CMAC_96)
		return ESP_AES_MAC_KEY_BYTES;
	return 2 * esp_hmac_state_bytes(integ);
}

/*
 * Three lines in front of the keys, by who reads them: the first for every packet, header and
 * use together, written by the worker(s) that use the SA; the second for inbound packets and for
 * SAs whose packets go through their functions (all but tunnel-mode AES-GCM outbound); the third
 * for lifetimes, drops and the control core. A tunnel-mode AES-GCM packet reads one line before
 * the keys outbound, two inbound.
 *
 * The use shares the header's line: over many SAs each line a packet reads is a wait for memory,
 * and an SA one worker keeps (sa_owner.h) is written by that worker alone. Workers sharing an SA
 * hand the line between them at each run as they did the use's line of its own.
 */
struct esp_sa {
	/* Read-only after creation, but for dead, owner and use; every packet. */
	uint32_t spi;
	uint16_t flags;
	uint8_t iv_len, icv_len, pad_align;
	uint8_t key_len; /* cipher key bytes */
	uint16_t key_bytes; /* of keys[]: the expanded keys of this SA's algorithm */
	uint8_t salt[4];
	uint16_t outer_len; /* bytes in front of the payload: [IP] [UDP] ESP IV */
	uint16_t local_port_be, remote_port_be;
	/* the worker that updates use (and inbound the replay window) with plain stores: sa_owner.h */
	uint16_t owner;
	uint32_t local_be, remote_be;
	union {
		uint32_t oa_adjust; /* transport with ESP_SA_F_NAT_OA: see natt_oa_adjust() */
		struct { /* tunnel: what passes between the headers (lib/tunnel_copy.h) */
			uint8_t tos_out_mask; /* outbound: the inner TOS bits the outer header takes */
			uint8_t copy;         /* enum tunnel_copy */
			uint16_t df_out_be;   /* outbound: the DF flag when copied, else 0 */
		};
	};
	uint32_t outer_sum; /* tunnel: checksum sum of the outer IPv4 header's fixed fields (esp_frame.c) */
	uint8_t dead;       /* hard-expired: refuse further packets; atomic */
	/*
	 * Its use, packets and bytes together, changes by one 16-byte compare-and-swap per run of a
	 * burst's packets of the SA, or plain stores by its owner (esp_sa_use_update()): one locked
	 * instruction at most, where an atomic add each, and outbound a third for the sequence
	 * number, made three, each waiting for the core's stores to drain. Outbound, the packets are
	 * the sequence numbers handed out and the bytes those of the packets given them, before ESP
	 * (what they protect, as inbound counts).
	 */
	union {
		rte_int128_t use;
		struct {
			union {
				uint64_t seq_out; /* outbound: the last sequence number handed out */
				uint64_t packets;
			};
			uint64_t bytes;
		};
	};

	/* Read-only after creation; inbound packets, and packets framed and sealed by these functions. */
	esp_frame_fn frame __rte_cache_aligned;
	esp_crypt_fn crypt; /* NULL inbound with ESP_SA_F_GCM: esp_decrypt_burst() opens those itself */
	esp_job_fn job; /* for crypt = esp_submit */
	/* These point into the same allocation, after the keys. */
	struct replay_window *replay; /* inbound only */
	struct traffic_selector *local_ts, *remote_ts; /* inbound: checked on the inner packet */
	uint8_t n_local_ts, n_remote_ts;
	/* inbound UDP-encapsulated: the new peer endpoint last reported (esp_in.c), so once a move */
	uint16_t moved_port_be;
	uint32_t moved_be;
	/*
	 * inbound: the policy verdict on the last flow decrypted with the SA (a struct
	 * dp_spd_cache_entry, ESP_SA_MEMO_BYTES, after the selectors): ipsec_stage.c
	 */
	struct dp_spd_cache_entry *flow_memo;

	/* Lifetimes (read with ESP_SA_F_LIFETIMES only), drops, and what the control core reads. */
	uint64_t soft_bytes __rte_cache_aligned;
	uint64_t hard_bytes, soft_packets, hard_packets;
	uint64_t replay_drops, auth_drops; /* atomic; written on drops only */
	const struct esp_algo *alg;
	/*
	 * How lifetime events name the SA: unique among the SAs made (until it wraps after 4 billion),
	 * where an outbound SPI is the peer's choice and two peers may choose the same one.
	 */
	uint32_t id;
	uint32_t alloc_bytes; /* the whole allocation, keys and what follows them: for sa_slab_free() */

	/* Sized for the algorithm: a GCM key schedule with its GHASH powers is 1 KiB, ChaCha's 32 B. */
	uint8_t keys[] __rte_cache_aligned;
} __rte_cache_aligned;

_Static_assert(offsetof(struct esp_sa, use) + sizeof(rte_int128_t) <= RTE_CACHE_LINE_SIZE &&
		       offsetof(struct esp_sa, use) % 16 == 0 &&
		       offsetof(struct esp_sa, flow_memo) + sizeof(void *) <= 2 * RTE_CACHE_LINE_SIZE &&
		       offsetof(struct esp_sa, alloc_bytes) + sizeof(uint32_t) <= 3 * RTE_CACHE_LINE_SIZE,
	       "the header lines hold what esp_sa_prefetch_head() says they do");

static inline const struct gcm_key_data *esp_sa_gcm_keys(const struct esp_sa *sa)
{
	return (const struct gcm_key_data *)sa->keys;
}


static inline bool esp_sa_has(const struct esp_sa *sa, uint16_t flag)
{
	return (sa->flags & flag) != 0;
}

/* Outbound in tunnel mode with AES-GCM: framed and sealed in one pass, not by the SA's functions. */
static inline bool esp_sa_one_pass(const struct esp_sa *sa)
{
	return (sa->flags & (ESP_SA_F_GCM | ESP_SA_F_TUNNEL)) == (ESP_SA_F_GCM | ESP_SA_F_TUNNEL);
}

/* Outbound: random IV bytes a packet takes (CBC's, RFC 3602 2.3); 0 where the IV is the sequence number. */
static inline unsigned esp_sa_rand_len(const struct esp_sa *sa)
{
	return esp_sa_has(sa, ESP_SA_F_RAND_IV) ? sa->iv_len : 0;
}

/* Outbound: the last sequence number the SA may hand out (its hard packet limit, or 2^32-1 without ESN). */
static inline uint64_t esp_sa_seq_limit(const struct esp_sa *sa)
{
	uint64_t limit = esp_sa_has(sa, ESP_SA_F_ESN) ? UINT64_MAX : UINT32_MAX;
	if (esp_sa_has(sa, ESP_SA_F_LIFETIMES) && sa->hard_packets && sa->hard_packets < limit)
		limit = sa->hard_packets;
	return limit;
}

/*
 * The most ESP adds to a packet of any SA: IPv4, UDP, ESP header, a 16-byte IV, 15 bytes of
 * padding, the trailer, a 32-byte ICV. esp_sa_create() refuses an SA that would add more.
 */
#define ESP_SA_OVERHEAD_MAX (20 + 8 + 8 + 16 + 15 + 2 + 32)

/* The most ESP adds to a packet of this SA. */
static inline uint32_t esp_sa_overhead(const struct esp_sa *sa)
{
	return sa->outer_len + sa->pad_align - 1u + 2 + sa->icv_len;
}

/*
 * Loading what processing a packet of the SA reads, in two steps so that a burst's misses
 * overlap: esp_sa_prefetch_head() asks for the header lines without reading the SA (the first,
 * header and use, to be written; inbound the second); esp_sa_prefetch_rest(), a few packets
 * later when the first line is in, reads the key size from it and asks for the round keys, for
 * GCM the end of the GHASH key table as far as the packet (its length given) hashes, outbound
 * the second line where the SA's functions frame and seal, and inbound the replay window (placed
 * right after the keys: esp_sa.c), the selectors after it and the flow memo after them. Reading
 * the first line right after asking for it waited a memory latency per SA, one SA after another.
 */
static inline void esp_sa_prefetch_head(const struct esp_sa *sa, bool inbound)
{
	rte_prefetch0_write(sa);
	if (inbound)
		rte_prefetch0((const char *)sa + RTE_CACHE_LINE_SIZE);
}

/*
 * dpike's GCM key layout: its first line holds H^8..H^6, which a text of up to four blocks does
 * not take (gcm_vaes.h); pkt_len bounds the text from above, outbound ESP adding up to 5 bytes.
 */
static inline unsigned esp_sa_own_keys_from(const struct esp_sa *sa, uint32_t pkt_len)
{
	uint32_t headers = esp_sa_has(sa, ESP_SA_F_INBOUND) ? sa->outer_len + sa->icv_len : 0;
	return pkt_len + 5 > 4 * 16 + headers ? 0 : RTE_CACHE_LINE_SIZE;
}

static inline void esp_sa_prefetch_rest(const struct esp_sa *sa, uint32_t pkt_len)
{
	/* GCM: the round keys its key length uses (three lines with AES-128); others: all */
	unsigned upto = sa->key_bytes > 512 ? esp_aes_round_key_bytes(sa->key_len) : sa->key_bytes;
	unsigned from = esp_sa_has(sa, ESP_SA_F_GCM_OWN_KEYS) ? esp_sa_own_keys_from(sa, pkt_len) : 0;
	for (unsigned off = from; off < upto; off += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(sa->keys + off);
	if (sa->key_bytes > 512) {
		/* H^1 last: a packet of b blocks hashes with the last b powers, four to a line (two lines at least) */
		unsigned lines = RTE_MAX(pkt_len / RTE_CACHE_LINE_SIZE + 1, 2u);
		unsigned most = (sa->key_bytes - upto) / RTE_CACHE_LINE_SIZE;
		for (unsigned l = 0; l < lines && l < most; l++)
			rte_prefetch0(sa->keys + sa->key_bytes - 1 - l * RTE_CACHE_LINE_SIZE);
	}
	if (!esp_sa_has(sa, ESP_SA_F_INBOUND)) {
		if (!esp_sa_one_pass(sa))
			rte_prefetch0(&sa->frame);
		return;
	}
	rte_prefetch0(sa->keys + RTE_ALIGN_CEIL(sa->key_bytes, RTE_CACHE_LINE_SIZE));
	/* the selectors the inner packet is checked against follow the window, lines further on with a long one */
	if (sa->n_local_ts)
		rte_prefetch0(sa->local_ts);
	uintptr_t last = sa->n_remote_ts ? (uintptr_t)&sa->remote_ts[sa->n_remote_ts - 1] : 0;
	if (last)
		rte_prefetch0((const void *)last);
	/* the decrypted packet's policy memo: as a rule in the line just asked for, else the next */
	if (((uintptr_t)sa->flow_memo ^ last) >= RTE_CACHE_LINE_SIZE)
		rte_prefetch0(sa->flow_memo);
}

/* How many packets ahead of the one being processed esp_sa_prefetch_rest() runs. */
#define ESP_SA_AHEAD 6
/* How many packets ahead esp_sa_prefetch_head() runs: the first line must be in for the rest. */
#define ESP_SA_HEAD_AHEAD (2 * ESP_SA_AHEAD)

/* The second step for packet i of a burst, its SA's head requested earlier; NULL SAs skipped. */
static inline void esp_sa_prefetch_rest_at(struct rte_mbuf *const pkts[], struct esp_sa *const sas[], uint16_t i,
					   uint16_t n)
{
	if (i < n && sas[i] != NULL && (i == 0 || sas[i] != sas[i - 1]))
		esp_sa_prefetch_rest(sas[i], pkts[i]->pkt_len);
}

/* Creates the fast-path SA in one allocation; NULL (with reason) on failure. Freed with esp_sa_free(). */
struct esp_sa *esp_sa_create(const struct esp_sa_params *p, char *err, size_t err_len);
void esp_sa_free(struct esp_sa *sa);
/*
 * The peer is now at addr:port (host order): a NAT between rebound it. Outbound, the tunnel's
 * destination and UDP port change; inbound, the endpoint its packets are expected from. Done
 * in place by the control core while workers use the SA: a packet framed meanwhile may mix
 * the old and the new endpoint once, which the peer drops as any lost packet.
 */
void esp_sa_move_peer(struct esp_sa *sa, uint32_t addr, uint16_t port);

/* The SA's use as a starting guess for esp_sa_use_update(), which corrects a torn one. */
static inline rte_int128_t esp_sa_use_read(const struct esp_sa *sa)
{
	rte_int128_t u;
	u.val[0] = __atomic_load_n(&sa->packets, __ATOMIC_RELAXED);
	u.val[1] = __atomic_load_n(&sa->bytes, __ATOMIC_RELAXED);
	return u;
}

/*
 * The use set to want: by its owner (sa_owner_mine()), which no other worker changes meanwhile,
 * with plain stores; by others if it is still *expect (if not, false with *expect what it is).
 */
static inline bool esp_sa_use_update(struct esp_sa *sa, bool owned, rte_int128_t *expect, rte_int128_t want)
{
	if (owned) {
		__atomic_store_n(&sa->packets, want.val[0], __ATOMIC_RELAXED);
		__atomic_store_n(&sa->bytes, want.val[1], __ATOMIC_RELAXED);
		return true;
	}
	return rte_atomic128_cmp_exchange(&sa->use, expect, &want, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static inline bool esp_sa_crossed(uint64_t before, uint64_t after, uint64_t limit)
{
	return limit != 0 && before < limit && after >= limit;
}

/*
 * Whether the SA's use going from before to after crossed a lifetime; a hard one marks it dead.
 * Inline, as over many SAs it runs for every packet.
 */
static inline enum esp_expiry esp_sa_limits_crossed(struct esp_sa *sa, rte_int128_t before, rte_int128_t after)
{
	if (!esp_sa_has(sa, ESP_SA_F_LIFETIMES))
		return ESP_EXPIRY_NONE;
	uint64_t p0 = before.val[0], p1 = after.val[0], b0 = before.val[1], b1 = after.val[1];
	enum esp_expiry e = ESP_EXPIRY_NONE;
	if (esp_sa_crossed(p0, p1, sa->hard_packets) || esp_sa_crossed(b0, b1, sa->hard_bytes))
		e = ESP_EXPIRY_HARD;
	else if (esp_sa_crossed(p0, p1, sa->soft_packets) || esp_sa_crossed(b0, b1, sa->soft_bytes))
		e = ESP_EXPIRY_SOFT;
	if (e == ESP_EXPIRY_HARD)
		__atomic_store_n(&sa->dead, 1, __ATOMIC_RELAXED);
	/* Only the worker whose batch crossed the limit reports it. */
	return e;
}

/*
 * Charges a batch of packets to the SA and says whether a lifetime was crossed just now; owned
 * when the caller owns the SA (sa_owner_mine()), else with a compare-and-swap.
 */
static inline enum esp_expiry esp_sa_account(struct esp_sa *sa, bool owned, uint32_t packets, uint64_t bytes)
{
	rte_int128_t before = esp_sa_use_read(sa), after;
	do {
		after.val[0] = before.val[0] + packets;
		after.val[1] = before.val[1] + bytes;
	} while (!esp_sa_use_update(sa, owned, &before, after));
	return esp_sa_limits_crossed(sa, before, after);
}

#endif
