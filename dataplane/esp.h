/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP (RFC 4303) burst processing on a worker, with Intel IPsec-MB called directly:
 * packets are framed, queued as IPsec-MB jobs, and the manager is flushed once per
 * burst. Packets enter and leave with their data starting at the IPv4 header.
 */
#ifndef DPIKE_DP_ESP_H
#define DPIKE_DP_ESP_H

#include <stdint.h>

#include <intel-ipsec-mb.h>
#include <rte_common.h>

#include "dp_stats.h"
#include "esp_sa.h"

#define ESP_MAX_BURST 64
#define ESP_RAND_POOL 4096
#define ESP_HMAC_LONG 256     /* HMAC code chosen for messages up to this many bytes, and for longer ones: */
#define ESP_HMAC_SHORT_AT 64  /* timed at this length */
#define ESP_HMAC_LONG_AT 1400 /* and this */

struct rte_mbuf;
struct dp_sad;
struct rte_ring;

/* Per-packet scratch: where the ESP parts lie and the buffers IPsec-MB reads or writes. */
struct esp_pkt {
	uint8_t iv[16] __rte_aligned(16);
	uint8_t aad[16] __rte_aligned(16);
	uint8_t tag[32] __rte_aligned(16);       /* the longest ICV: HMAC-SHA2-512-256's */
	uint8_t saved_icv[32] __rte_aligned(16);
	uint8_t *esp;          /* ESP header */
	uint8_t *icv;          /* ICV position in the packet */
	const uint8_t *expect; /* inbound: the ICV to compare the computed tag with */
	const uint8_t *rand;   /* outbound CBC: 16 fresh random bytes for the IV */
	uint64_t seq;
	uint32_t payload_len;  /* bytes under the cipher: payload, padding, pad length, next header */
	uint16_t ip_id;
	uint8_t aad_len;       /* AEAD called directly: prepared in the first pass, used in the second */
	uint8_t copy_tag;      /* outbound: the tag went to scratch and must be copied to icv */
	uint8_t status;        /* 0 or enum dp_drop_reason */
	uint8_t moved;         /* inbound UDP-encapsulated: came from another address or port than the SA's peer */
	uint16_t from_port_be; /* ... which: set with moved */
	uint32_t from_be;
};

/* What a worker tells the control core about an SA, over the event ring. */
enum esp_event_kind {
	ESP_EVENT_SOFT = ESP_EXPIRY_SOFT, /* crossed its soft lifetime */
	ESP_EVENT_HARD = ESP_EXPIRY_HARD, /* crossed its hard lifetime */
	ESP_EVENT_PEER_MOVED,             /* authenticated ESP from a new address or port: a NAT rebound (addr, port) */
};

struct esp_sa_event {
	uint32_t id;  /* the SA's esp_sa.id */
	uint32_t spi; /* for the logs */
	uint8_t inbound;
	uint8_t kind; /* enum esp_event_kind */
	uint16_t port; /* ESP_EVENT_PEER_MOVED: where the peer is now, host order */
	uint32_t addr;
};

/* The key stream behind rand_pool (esp_iv.c). */
struct esp_iv_gen {
	uint8_t enc_keys[16 * 11] __attribute__((aligned(16))); /* AES-128's round keys */
	uint8_t dec_keys[16 * 11] __attribute__((aligned(16)));
	uint8_t nonce[4];
	uint32_t refills; /* on this key */
};

struct esp_ctx {
	IMB_MGR *mgr;
	IMB_MGR *gcm_mgr[2]; /* GCM called directly, by ESP_SA_F_GCM_COMPACT: [0] is mgr */
	IMB_MGR *sha_ni_mgr; /* NULL, or a manager whose HMAC code uses the CPU's SHA extensions */
	/* CBC's HMAC by enum esp_integ, messages up to ESP_HMAC_LONG bytes [0] or longer [1]: mgr or
	 * sha_ni_mgr, whichever was timed faster (esp_cbc.c) */
	IMB_MGR *hmac_mgr[ESP_INTEG_COUNT][2];
	struct dp_worker_stats *stats;
	struct rte_ring *events; /* may be NULL (tests) */
	uint16_t owner_id; /* whose SAs it updates with plain stores (sa_owner.h) */
	uint16_t ip_id;
	uint32_t rand_off;
	uint8_t rand_pool[ESP_RAND_POOL]; /* CBC's IVs, refilled by esp_refill_random() */
	struct esp_iv_gen iv;
	struct esp_pkt pk[ESP_MAX_BURST];
	/* packets whose jobs go to IPsec-MB in one burst at esp_flush() */
	uint16_t n_queued;
	const struct esp_sa *q_sa[ESP_MAX_BURST];
	struct esp_pkt *q_pk[ESP_MAX_BURST];
	/* packets for IPsec-MB's direct API, called by esp_run_deferred() or at esp_flush() (see esp_gcm.c) */
	uint16_t n_deferred, n_run;
	const struct esp_sa *d_sa[ESP_MAX_BURST];
	struct esp_pkt *d_pk[ESP_MAX_BURST];
	esp_crypt_fn d_fn[ESP_MAX_BURST];
	/* AES-CBC + HMAC packets' jobs, run in cipher-only and hash-only bursts at esp_flush() (esp_cbc.c) */
	uint16_t n_cbc;
	IMB_JOB cbc_jobs[ESP_MAX_BURST];
	/* esp_compact()'s reasons for the packets it moved to the tail, in their order there */
	uint8_t tail_status[ESP_MAX_BURST];
};

/* A packet's status in the inbound burst: no SA for its SPI, but one is awaited (spi_awaited.h). */
#define ESP_STATUS_AWAITED DP_DROP_MAX

int esp_ctx_init(struct esp_ctx *c, struct dp_worker_stats *stats, struct rte_ring *events);
/* Which code of IPsec-MB runs CBC's HMAC for short or long packets, for the logs. */
const char *esp_hmac_code(const struct esp_ctx *c, enum esp_integ integ, bool long_msgs);
void esp_ctx_free(struct esp_ctx *c);

/*
 * Between bursts: the context has no SA update under way (sa_owner_quiesce()). A worker's loop
 * calls it, idle or not; other users of a context that own SAs call it as often, or another
 * worker taking one of their SAs over waits until they do.
 */
static inline void esp_ctx_quiesce(const struct esp_ctx *c)
{
	sa_owner_quiesce(c->owner_id);
}

/*
 * Encrypts pkts[i] with sas[i]. Returns how many succeeded; those stay at the front in
 * order, the rejects are moved to the tail (with their SA), counted, and left for the
 * caller to free.
 */
uint16_t esp_encrypt_burst(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t n);

/*
 * Decrypts ESP packets (raw ESP, or ESP in UDP when the IP protocol is UDP), looking SAs up
 * in sad by SPI. Returns how many succeeded, each now its inner packet with its SA in sas[i];
 * rejects are moved to the tail as above.
 */
uint16_t esp_decrypt_burst(struct esp_ctx *c, const struct dp_sad *sad, struct rte_mbuf *pkts[],
			   struct esp_sa *sas[], uint16_t n);

/*
 * The GCM code new SAs use, and so the size of their key data. Full: IPsec-MB's widest code for
 * the CPU (with AVX-512, 1,008 bytes a direction: the round keys and 48 GHASH key powers; without,
 * the AVX2 code's 368), with dpike's VAES code for texts of up to 96 bytes where the CPU has VAES.
 * Compact: 8 powers, run by dpike's VAES code where the CPU has VAES (over 512-bit registers with
 * AVX-512) in dpike's layout (320 bytes with AES-128, 384 with AES-256: gcm_vaes.h), else by
 * IPsec-MB's AVX2 code in its AVX2 layout (368). Auto: on a CPU with VAES
 * and AVX-512, full keys for the first ESP_GCM_AUTO_FULL_SAS GCM SAs alive at a time and compact
 * ones past them (IPsec-MB's AVX-512 code is the faster on an SA in cache from 132 bytes on, a
 * third faster at 1400; over many SAs whose keys come from memory the compact ones, a third of
 * the size, are); compact elsewhere where dpike's code runs them, full where it does not. Set at
 * start-up, after esp_gcm_code_set(); SAs already made keep theirs.
 */
enum esp_gcm_keys { ESP_GCM_KEYS_FULL, ESP_GCM_KEYS_COMPACT, ESP_GCM_KEYS_AUTO };
#define ESP_GCM_AUTO_FULL_SAS 1024 /* about a core's L2 cache (1 MiB) of full keys */
void esp_gcm_keys_set(enum esp_gcm_keys k);
/* The setting as it applies on this CPU: auto only where it gives either layout, by SA count (control core). */
enum esp_gcm_keys esp_gcm_keys_resolved(void);
/* Whether the next GCM SA gets compact keys (control core). */
bool esp_gcm_compact(void);
/* Full-key GCM SAs alive, and the count's change as one is made (+1) or freed (-1) (esp_sa.c; control core). */
unsigned esp_gcm_full_sas(void);
void esp_gcm_sa_counted(bool full, int change);
/*
 * Auto: dpike's own VAES code (gcm_vaes.c) where IPsec-MB would run its AVX2 code on a CPU with
 * VAES; ipsec-mb: IPsec-MB's code always. Set at start-up, before the workers' managers are made.
 */
enum esp_gcm_code { ESP_GCM_CODE_AUTO, ESP_GCM_CODE_IPSEC_MB };
void esp_gcm_code_set(enum esp_gcm_code c);
/* The code GCM packets of full or compact SAs run (control core; for logs and dpikectl). */
const char *esp_gcm_code_name(bool compact);
/* Initialises m for the full or compact GCM code; returns the head of IPsec-MB's key data its code reads. */
size_t esp_gcm_mgr_init(IMB_MGR *m, bool compact);
/* Whether m runs GCM with key_len-byte keys by dpike's compact code, which reads dpike's key layout. */
bool esp_gcm_own_layout(const IMB_MGR *m, unsigned key_len);
/* The bytes of key data an SA whose GCM key is key_len bytes keeps in dpike's layout (own_layout, as
 * esp_gcm_own_layout() said of m) or in IPsec-MB's for m's code. */
size_t esp_gcm_sa_key_bytes(const IMB_MGR *m, unsigned key_len, bool own_layout);
/* Expands key into those bytes at out, with m's gcm*_pre (a control core's manager: it is not thread-safe). */
void esp_gcm_sa_keys_make(IMB_MGR *m, unsigned key_len, bool own_layout, const uint8_t *key, uint8_t *out);
/* The bytes of GCM key data an AES-128 SA keeps with the full or compact code (esp_sa.c; control core). */
size_t esp_gcm_key_bytes(bool compact);

/* Internal to the ESP stage: framing and job filling per mode and algorithm. */
esp_frame_fn esp_frame_select(bool inbound, bool tunnel, bool udp_encap);
esp_job_fn esp_job_select(const struct esp_algo *alg, bool inbound);
esp_crypt_fn esp_crypt_select(const struct esp_algo *alg, bool inbound);
/* The SPI of an inbound ESP packet whose headers were checked (0 when it is too short to hold one). */
uint32_t esp_spi_of(const struct rte_mbuf *m);
/* Moves entries whose pk status is set to the tail, their statuses to c->tail_status, and counts
 * their drops (ESP_STATUS_AWAITED is none); returns the count left at the front. */
uint16_t esp_compact(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t n);

#endif
