/* SPDX-License-Identifier: BSD-3-Clause */
#include "esp_sa.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "esp.h"
#include "lib/tunnel_copy.h"
#include "natt_csum.h"
#include "replay.h"
#include "sa_slab.h"

/*
 * Key expansion runs on the control core, with managers of its own, made on first use: [0] the
 * CPU's widest code (CBC and HMAC keys, full GCM keys), [1] the compact GCM code.
 */
static IMB_MGR *control[2];

static IMB_MGR *control_mgr(bool compact_gcm)
{
	if (control[compact_gcm] == NULL) {
		IMB_MGR *m = alloc_mb_mgr(0);
		if (m == NULL)
			return NULL;
		esp_gcm_mgr_init(m, compact_gcm);
		control[compact_gcm] = m;
	}
	return control[compact_gcm];
}

/* Whether a compact GCM SA with key_len-byte keys gets dpike's layout: asked once, as it is made. */
static bool gcm_own_layout(unsigned key_len)
{
	const IMB_MGR *m = control_mgr(true);
	return m && esp_gcm_own_layout(m, key_len);
}

static size_t gcm_key_bytes(bool compact, unsigned key_len, bool own_layout)
{
	const IMB_MGR *m = control_mgr(compact);
	return m ? esp_gcm_sa_key_bytes(m, key_len, own_layout) : sizeof(struct gcm_key_data);
}

size_t esp_gcm_key_bytes(bool compact)
{
	return gcm_key_bytes(compact, 16, compact && gcm_own_layout(16));
}

/* With GCM, the code an SA gets decides the layout of its keys: chosen once, as it is made. */
static bool gcm_compact(const struct esp_algo *a)
{
	return a->cipher == ESP_CIPHER_AES_GCM && esp_gcm_compact();
}

static bool gcm_full(const struct esp_sa *sa)
{
	return esp_sa_has(sa, ESP_SA_F_GCM) && !esp_sa_has(sa, ESP_SA_F_GCM_COMPACT);
}

/* The hash's compression of one block (64 bytes; 128 for SHA2-384 and SHA2-512) into its state. */
static void hash_one_block(IMB_MGR *mgr, enum esp_integ integ, const uint8_t *block, uint8_t *state)
{
	switch (integ) {
	case ESP_INTEG_SHA1_96:
		IMB_SHA1_ONE_BLOCK(mgr, block, state);
		break;
	case ESP_INTEG_SHA256_128:
		IMB_SHA256_ONE_BLOCK(mgr, block, state);
		break;
	case ESP_INTEG_SHA384_192:
		IMB_SHA384_ONE_BLOCK(mgr, block, state);
		break;
	case ESP_INTEG_SHA512_256:
		IMB_SHA512_ONE_BLOCK(mgr, block, state);
		break;
	case ESP_INTEG_MD5_96:
		IMB_MD5_ONE_BLOCK(mgr, block, state);
		break;
	default:
		break;
	}
}

/* HMAC inner and outer states after one block of key ^ ipad / key ^ opad (RFC 2104). */
static void hmac_precompute(IMB_MGR *mgr, enum esp_integ integ, const uint8_t *key, size_t len, uint8_t *ipad,
			    uint8_t *opad)
{
	uint8_t ib[128], ob[128];
	size_t block = esp_hmac_state_bytes(integ) == 64 ? 128 : 64;
	memset(ib, 0x36, sizeof(ib));
	memset(ob, 0x5c, sizeof(ob));
	for (size_t i = 0; i < len && i < block; i++) { /* RFC 4868 keys are as long as the hash: never longer than a block */
		ib[i] ^= key[i];
		ob[i] ^= key[i];
	}
	hash_one_block(mgr, integ, ib, ipad);
	hash_one_block(mgr, integ, ob, opad);
	OPENSSL_cleanse(ib, sizeof(ib));
	OPENSSL_cleanse(ob, sizeof(ob));
}

/* The AES key schedule of the SA's direction (encryption outbound, decryption inbound), as long as the key needs. */
static void aes_rounds(IMB_MGR *mgr, const uint8_t *key, unsigned key_len, bool dec, uint8_t *rounds)
{
	uint8_t enc_keys[16 * 15] __rte_aligned(16), dec_keys[16 * 15] __rte_aligned(16);
	if (key_len == 16)
		IMB_AES_KEYEXP_128(mgr, key, enc_keys, dec_keys);
	else if (key_len == 24)
		IMB_AES_KEYEXP_192(mgr, key, enc_keys, dec_keys);
	else
		IMB_AES_KEYEXP_256(mgr, key, enc_keys, dec_keys);
	memcpy(rounds, dec ? dec_keys : enc_keys, esp_aes_round_key_bytes(key_len));
	OPENSSL_cleanse(enc_keys, sizeof(enc_keys));
	OPENSSL_cleanse(dec_keys, sizeof(dec_keys));
}

static void integ_keys(IMB_MGR *mgr, enum esp_integ integ, const uint8_t *key, unsigned len, uint8_t *out)
{
	uint8_t spare[16 * 11] __rte_aligned(16);
	switch (integ) {
	case ESP_INTEG_NONE:
		break;
	case ESP_INTEG_AES_XCBC_96:
		IMB_AES_XCBC_KEYEXP(mgr, key, out, out + 176, out + 192);
		break;
	case ESP_INTEG_AES_CMAC_96:
		IMB_AES_KEYEXP_128(mgr, key, out, spare);
		IMB_AES_CMAC_SUBKEY_GEN_128(mgr, out, out + 176, out + 192);
		OPENSSL_cleanse(spare, sizeof(spare));
		break;
	default:
		hmac_precompute(mgr, integ, key, len, out, out + esp_hmac_state_bytes(integ));
	}
}

/* RFC 2451: three DES keys, K1 K2 K3, each its own schedule; IPsec-MB takes pointers to the three. */
static void des3_keys(IMB_MGR *mgr, const uint8_t *key, uint8_t *out)
{
	const void **ptrs = (const void **)(out + 3 * ESP_DES_SCHEDULE_BYTES);
	for (int i = 0; i < 3; i++) {
		IMB_DES_KEYSCHED(mgr, (uint64_t *)(out + i * ESP_DES_SCHEDULE_BYTES), key + 8 * i);
		ptrs[i] = out + i * ESP_DES_SCHEDULE_BYTES;
	}
}

static int expand_keys(struct esp_sa *sa, const struct esp_sa_params *p)
{
	bool compact = esp_sa_has(sa, ESP_SA_F_GCM_COMPACT);
	IMB_MGR *mgr = control_mgr(compact);
	const struct esp_algo *a = p->alg;
	if (mgr == NULL)
		return -1;
	memcpy(sa->salt, p->key + a->enc_key_len, a->salt_len);
	uint8_t *cipher_keys = sa->keys + esp_integ_key_bytes(a->integ);
	integ_keys(mgr, a->integ, p->key + a->enc_key_len + a->salt_len, a->integ_key_len, sa->keys);
	switch (a->cipher) {
	case ESP_CIPHER_AES_GCM:
		esp_gcm_sa_keys_make(mgr, a->enc_key_len, esp_sa_has(sa, ESP_SA_F_GCM_OWN_KEYS), p->key, sa->keys);
		break;
	case ESP_CIPHER_AES_CBC:
		aes_rounds(mgr, p->key, a->enc_key_len, p->inbound, cipher_keys);
		break;
	case ESP_CIPHER_AES_CTR: /* the key stream is made by encryption either way */
	case ESP_CIPHER_AES_CCM:
		aes_rounds(mgr, p->key, a->enc_key_len, false, cipher_keys);
		break;
	case ESP_CIPHER_3DES:
		des3_keys(mgr, p->key, cipher_keys);
		break;
	case ESP_CIPHER_CHACHA20_POLY1305:
		memcpy(sa->keys, p->key, 32);
		break;
	case ESP_CIPHER_NULL:
		break;
	}
	return 0;
}

static size_t key_bytes(const struct esp_algo *a, bool compact_gcm, bool own_gcm_keys)
{
	size_t integ = esp_integ_key_bytes(a->integ);
	switch (a->cipher) {
	case ESP_CIPHER_AES_GCM:
		return gcm_key_bytes(compact_gcm, a->enc_key_len, own_gcm_keys);
	case ESP_CIPHER_AES_CBC: /* AES-128 leaves the last 64 bytes of a schedule unused: one line less */
	case ESP_CIPHER_AES_CTR:
	case ESP_CIPHER_AES_CCM:
		return integ + esp_aes_round_key_bytes(a->enc_key_len);
	case ESP_CIPHER_3DES:
		return integ + ESP_3DES_KEY_BYTES;
	case ESP_CIPHER_NULL:
		return integ;
	case ESP_CIPHER_CHACHA20_POLY1305:
		break;
	}
	return 32;
}

struct sa_layout {
	bool compact_gcm, own_gcm_keys;
	size_t key_bytes, keys, replay, local_ts, remote_ts, memo, total;
};

static struct sa_layout layout(const struct esp_sa_params *p)
{
	struct sa_layout l;
	l.compact_gcm = gcm_compact(p->alg);
	l.own_gcm_keys = l.compact_gcm && gcm_own_layout(p->alg->enc_key_len);
	l.key_bytes = key_bytes(p->alg, l.compact_gcm, l.own_gcm_keys);
	l.keys = offsetof(struct esp_sa, keys);
	l.replay = RTE_ALIGN_CEIL(l.keys + l.key_bytes, RTE_CACHE_LINE_SIZE); /* esp_sa_prefetch_rest() relies on it */
	l.local_ts = RTE_ALIGN_CEIL(l.replay + (p->inbound ? replay_window_bytes(p->replay_window) : 0), 8);
	l.remote_ts = l.local_ts + (size_t)p->n_local_ts * sizeof(struct traffic_selector);
	l.memo = l.remote_ts + (size_t)p->n_remote_ts * sizeof(struct traffic_selector);
	l.total = l.memo;
	if (p->inbound) { /* within one line, the selectors' last as a rule: the packet reads that one anyway */
		l.memo = RTE_ALIGN_CEIL(l.memo, ESP_SA_MEMO_BYTES);
		l.total = l.memo + ESP_SA_MEMO_BYTES;
	}
	return l;
}

static void place_parts(struct esp_sa *sa, const struct esp_sa_params *p, const struct sa_layout *l)
{
	char *base = (char *)sa;
	sa->key_bytes = (uint16_t)l->key_bytes;
	if (p->inbound) {
		sa->replay = (struct replay_window *)(base + l->replay);
		replay_window_init(sa->replay, p->replay_window);
		sa->flow_memo = (struct dp_spd_cache_entry *)(base + l->memo); /* zeroed: empty */
	}
	sa->local_ts = p->n_local_ts ? (struct traffic_selector *)(base + l->local_ts) : NULL;
	sa->remote_ts = p->n_remote_ts ? (struct traffic_selector *)(base + l->remote_ts) : NULL;
	if (p->n_local_ts)
		memcpy(sa->local_ts, p->local_ts, (size_t)p->n_local_ts * sizeof(struct traffic_selector));
	if (p->n_remote_ts)
		memcpy(sa->remote_ts, p->remote_ts, (size_t)p->n_remote_ts * sizeof(struct traffic_selector));
	sa->n_local_ts = (uint8_t)p->n_local_ts;
	sa->n_remote_ts = (uint8_t)p->n_remote_ts;
}

static uint16_t outer_len(const struct esp_sa_params *p)
{
	uint16_t len = 8 + p->alg->iv_len;
	if (p->udp_encap)
		len += sizeof(struct rte_udp_hdr);
	if (p->tunnel)
		len += sizeof(struct rte_ipv4_hdr);
	return len;
}

/* The outer header's words that never change, summed as big-endian 16-bit values: version and
 * header length, TTL and protocol, the addresses. out_tunnel() adds the rest per packet. */
static uint32_t outer_ipv4_sum(bool udp_encap, uint32_t local, uint32_t remote)
{
	uint32_t proto = udp_encap ? IPPROTO_UDP : IPPROTO_ESP;
	return ((uint32_t)RTE_IPV4_VHL_DEF << 8) + ((uint32_t)ESP_OUTER_TTL << 8 | proto) + (local >> 16) +
	       (local & 0xffff) + (remote >> 16) + (remote & 0xffff);
}

void esp_sa_move_peer(struct esp_sa *sa, uint32_t addr, uint16_t port)
{
	uint32_t sum = outer_ipv4_sum(esp_sa_has(sa, ESP_SA_F_UDP_ENCAP), rte_be_to_cpu_32(sa->local_be), addr);
	__atomic_store_n(&sa->remote_be, rte_cpu_to_be_32(addr), __ATOMIC_RELAXED);
	__atomic_store_n(&sa->remote_port_be, rte_cpu_to_be_16(port), __ATOMIC_RELAXED);
	__atomic_store_n(&sa->outer_sum, sum, __ATOMIC_RELEASE);
}

static bool ts_any_port(const struct traffic_selector *ts)
{
	return ts->proto == 0 && ts->port_lo == 0 && ts->port_hi == UINT16_MAX;
}

/* Whether one selector each way, matching any protocol and port, bounds the SA (strongSwan's default). */
static bool ts_addresses_only(const struct esp_sa_params *p)
{
	return p->n_local_ts == 1 && p->n_remote_ts == 1 && ts_any_port(p->local_ts) && ts_any_port(p->remote_ts);
}

static void set_header_fields(struct esp_sa *sa, const struct esp_sa_params *p, const struct sa_layout *l)
{
	sa->spi = p->spi;
	sa->flags = (uint16_t)((p->inbound ? ESP_SA_F_INBOUND : 0) | (p->tunnel ? ESP_SA_F_TUNNEL : 0) |
		    (p->udp_encap ? ESP_SA_F_UDP_ENCAP : 0) | (p->esn ? ESP_SA_F_ESN : 0) |
		    (p->has_oa ? ESP_SA_F_NAT_OA : 0) | (l->compact_gcm ? ESP_SA_F_GCM_COMPACT : 0) |
		    (l->own_gcm_keys ? ESP_SA_F_GCM_OWN_KEYS : 0) |
		    (p->alg->cipher == ESP_CIPHER_AES_GCM ? ESP_SA_F_GCM : 0) |
		    (p->inbound && ts_addresses_only(p) ? ESP_SA_F_TS_ADDRS : 0) |
		    /* CBC's IV must be unpredictable; the counter modes' is the sequence number */
		    (p->alg->cipher == ESP_CIPHER_AES_CBC || p->alg->cipher == ESP_CIPHER_3DES ? ESP_SA_F_RAND_IV : 0) |
		    (p->soft_bytes || p->hard_bytes || p->soft_packets || p->hard_packets ? ESP_SA_F_LIFETIMES : 0));
	sa->alg = p->alg;
	sa->iv_len = p->alg->iv_len;
	sa->icv_len = p->alg->icv_len;
	sa->pad_align = p->alg->pad_align;
	sa->key_len = p->alg->enc_key_len;
	sa->outer_len = outer_len(p);
	sa->local_be = rte_cpu_to_be_32(p->local);
	sa->remote_be = rte_cpu_to_be_32(p->remote);
	sa->local_port_be = rte_cpu_to_be_16(p->local_port);
	sa->remote_port_be = rte_cpu_to_be_16(p->remote_port);
	sa->soft_bytes = p->soft_bytes;
	sa->hard_bytes = p->hard_bytes;
	sa->soft_packets = p->soft_packets;
	sa->hard_packets = p->hard_packets;
	if (p->tunnel) {
		sa->copy = (uint8_t)p->copy;
		sa->tos_out_mask = tunnel_outer_tos(0xff, p->copy);
		sa->df_out_be = p->copy & TUNNEL_COPY_DF ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	} else {
		sa->oa_adjust = p->has_oa ? natt_oa_adjust(p->oa_remote, p->oa_local) : 0;
	}
	sa->outer_sum = outer_ipv4_sum(p->udp_encap, p->local, p->remote);
	sa->frame = esp_frame_select(p->inbound, p->tunnel, p->udp_encap);
	sa->job = esp_job_select(p->alg, p->inbound);
	sa->crypt = esp_crypt_select(p->alg, p->inbound);
}

struct esp_sa *esp_sa_create(const struct esp_sa_params *p, char *err, size_t err_len)
{
	if (p->n_local_ts > 255 || p->n_remote_ts > 255 || p->replay_window > REPLAY_WINDOW_MAX) {
		snprintf(err, err_len, "too many selectors or replay window too large");
		return NULL;
	}
	struct sa_layout l = layout(p);
	struct esp_sa *sa = sa_slab_zalloc(l.total);
	if (sa == NULL) {
		snprintf(err, err_len, "out of memory for the SA");
		return NULL;
	}
	sa->alloc_bytes = (uint32_t)l.total;
	set_header_fields(sa, p, &l);
	if (esp_sa_overhead(sa) > ESP_SA_OVERHEAD_MAX) { /* the MTU check counts on it (ipsec_stage.c) */
		snprintf(err, err_len, "%s would add %u bytes to a packet, more than the %u bytes allowed for",
			 p->alg->name, esp_sa_overhead(sa), ESP_SA_OVERHEAD_MAX);
		sa_slab_free(sa, sa->alloc_bytes);
		return NULL;
	}
	static uint32_t last_id; /* SAs are made on the control core only */
	if (++last_id == 0)
		++last_id;
	sa->id = last_id;
	sa->owner = SA_OWNER_NONE;
	esp_gcm_sa_counted(gcm_full(sa), +1);
	place_parts(sa, p, &l);
	if (expand_keys(sa, p) < 0) {
		snprintf(err, err_len, "out of memory setting up the SA");
		esp_sa_free(sa);
		return NULL;
	}
	return sa;
}

void esp_sa_free(struct esp_sa *sa)
{
	if (sa == NULL)
		return;
	OPENSSL_cleanse(sa->keys, sa->key_bytes);
	OPENSSL_cleanse(sa->salt, sizeof(sa->salt));
	esp_gcm_sa_counted(gcm_full(sa), -1);
	sa_slab_free(sa, sa->alloc_bytes);
}
