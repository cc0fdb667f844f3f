/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-worker counters. Each worker writes only its own block; readers tolerate tearing-free relaxed loads. */
#ifndef DPIKE_DP_STATS_H
#define DPIKE_DP_STATS_H

#include <stdint.h>

#include <rte_common.h>

#define DP_MAX_PORTS 16

/* Every reason a packet is dropped on the fast path; one counter each per worker. */
#define DP_DROP_REASONS(X)                                                       \
	X(MALFORMED, "malformed")             /* headers do not fit the packet */    \
	X(NOT_IPV4, "not_ipv4")               /* EtherType we do not route */        \
	X(TTL_EXCEEDED, "ttl_exceeded")                                              \
	X(NO_ROUTE, "no_route")                                                      \
	X(POLICY_DISCARD, "policy_discard")   /* a drop shunt matched */             \
	X(POLICY_UNPROTECTED, "policy_unprotected") /* cleartext where ESP is required */ \
	X(ESP_TRUNCATED, "esp_truncated")                                            \
	X(ESP_NO_SA, "esp_unknown_spi")                                              \
	X(ESP_WRONG_ENCAP, "esp_wrong_encap") /* UDP-encapsulated or not, against the SA */ \
	X(ESP_REPLAY, "esp_replay")                                                  \
	X(ESP_AUTH, "esp_auth_failed")        /* ICV mismatch */                     \
	X(ESP_BAD_PADDING, "esp_bad_padding")                                        \
	X(ESP_BAD_NEXT_HEADER, "esp_bad_next_header")                                \
	X(ESP_DUMMY, "esp_dummy_packet")      /* next header 59 (RFC 4303 2.6) */    \
	X(ESP_SELECTOR, "esp_selector_mismatch") /* inner packet outside the SA's selectors */ \
	X(ESP_ECN, "esp_ecn_ce_not_ect")      /* congestion marked outside, inner not ECN-capable (RFC 6040) */ \
	X(ESP_CRYPTO, "esp_crypto_error")                                            \
	X(SA_EXPIRED, "sa_expired")           /* hard lifetime or sequence space used up */ \
	X(NO_SPACE, "no_buffer_space")        /* headroom/tailroom or fragment buffers */ \
	X(FRAG_NEEDED, "fragmentation_needed")                                       \
	X(REASSEMBLY, "reassembly_failed")    /* fragments to us: overlapping, timed out, table full */ \
	X(PUNT_RING_FULL, "punt_ring_full")                                          \
	X(IKE_RING_FULL, "ike_punt_ring_full") /* IKE's own punt ring */              \
	X(TX_FULL, "tx_queue_full")                                                  \
	X(NAT_KEEPALIVE, "nat_keepalive")     /* consumed, not an error */

enum dp_drop_reason {
#define X(id, name) DP_DROP_##id,
	DP_DROP_REASONS(X)
#undef X
	DP_DROP_MAX
};

extern const char *const dp_drop_names[DP_DROP_MAX];

/*
 * The stages of a worker's poll, in the order a packet meets them, whose TSC cycles a worker
 * counts when workers.stage_cycles is on (dpikectl stages): where a packet's cycles go, on any
 * machine, without a profiler.
 */
#define DP_STAGES(X)                                                                    \
	X(RX, "rx")             /* the RX burst calls that returned packets */          \
	X(CLASSIFY, "classify") /* parsing, checks, sorting into the stages */          \
	X(ESP_IN, "esp_in")     /* the SAD lookup, decryption, replay and selectors */  \
	X(POLICY, "policy")     /* flow cache and SPD */                                \
	X(ESP_OUT, "esp_out")   /* encryption */                                        \
	X(ROUTE, "route")       /* FIB, neighbour, Ethernet header, TX queueing */      \
	X(FINISH, "finish")     /* punts to the control core, drops freed */            \
	X(TX, "tx")             /* the TX burst calls at the poll's end */

enum dp_stage {
#define X(id, name) DP_STAGE_##id,
	DP_STAGES(X)
#undef X
	DP_STAGE_MAX
};

extern const char *const dp_stage_names[DP_STAGE_MAX];

/* Per stage, the cycles spent in it and the packets it was handed. */
struct dp_stage_stats {
	uint64_t cycles[DP_STAGE_MAX];
	uint64_t packets[DP_STAGE_MAX];
};

/* Adds a worker's stage counts, read as it writes them, to *t. */
void dp_stage_stats_add(struct dp_stage_stats *t, const struct dp_stage_stats *worker);

struct dp_port_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

struct dp_worker_stats {
	uint64_t loops, idle_loops;
	uint64_t busy_cycles; /* TSC cycles spent in polls that found work: cycles per packet, load */
	uint64_t esp_out_packets, esp_out_bytes, esp_in_packets, esp_in_bytes;
	uint64_t forwarded, punted, injected;
	uint64_t fragmented, fragments_made; /* packets a worker cut (dataplane/fragment.c), and the pieces they became */
	uint64_t reassembled; /* datagrams to us put back together from fragments (dataplane/reassembly.c) */
	uint64_t drops[DP_DROP_MAX];
	struct dp_stage_stats stages; /* counted while the worker's stage_cycles is on */
	struct dp_port_stats port[DP_MAX_PORTS];
} __rte_cache_aligned;

#endif
