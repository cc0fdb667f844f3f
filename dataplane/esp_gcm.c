/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-GCM through IPsec-MB's direct API, one call per packet, chosen per SA at creation. GCM
 * needs no multi-buffer lanes (its VAES code is fast on one buffer), so going around the job
 * manager saves filling a job, the burst hand-over and the completion walk per packet.
 *
 * Each packet's nonce and AAD are written as the burst is framed (esp_aead_prepare) and its call
 * made a packet later: calling at once made the code load the nonce just stored in pieces, a
 * store-forwarding stall per packet, and the call hides the waits for later packets' SA lines.
 * Tunnel-mode SAs' packets are framed and sealed from esp_encrypt_burst()'s loop (esp_out.c),
 * inbound packets opened from esp_decrypt_burst()'s loop, each call a packet behind
 * (esp_gcm_behind()); transport mode's seals go
 * through the deferred calls (esp_run_deferred(), the rest at esp_flush()).
 * AES-CBC + HMAC fills jobs for the burst calls of esp_cbc.c, ChaCha20-Poly1305 queues them for
 * the job manager (esp_submit), both run at the same esp_flush().
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

#include "esp.h"
#include "esp_internal.h"
#include "gcm_vaes.h"

/*
 * Which GCM code new SAs get; each SA keeps its choice in ESP_SA_F_GCM_COMPACT, as its key data
 * is laid out for that code alone.
 */
static enum esp_gcm_keys chosen = ESP_GCM_KEYS_AUTO;
static enum esp_gcm_code code_allowed = ESP_GCM_CODE_AUTO;

#define GHASH_KEYS_OFFSET offsetof(struct gcm_key_data, ghash_keys)
#define GHASH_KEYS_SIZE(layout) sizeof(((struct gcm_key_data *)NULL)->ghash_keys.layout)

/*
 * The head of struct gcm_key_data a manager's GCM code reads. Only the AVX-512 code (VAES on
 * the CPUs that have it) reads all 48 GHASH powers; on a CPU without AVX-512 the widest code is
 * AVX2's, so "full" SAs there are as small as compact ones.
 */
static size_t gcm_head_bytes(const IMB_MGR *m)
{
	switch (m->used_arch) {
	case IMB_ARCH_AVX512:
		return sizeof(struct gcm_key_data);
	case IMB_ARCH_AVX2:
		return GHASH_KEYS_OFFSET + GHASH_KEYS_SIZE(avx2_avx512);
	default: /* SSE and AVX code: 8 powers and their Karatsuba halves */
		return GHASH_KEYS_OFFSET + GHASH_KEYS_SIZE(sse_avx);
	}
}

/* dpike's VAES functions for this CPU: the 512-bit ones where it has AVX-512. [key size][encrypt] */
static gcm_vaes_fn *vaes_fns[2][2];

static void choose_vaes_fns(void)
{
	bool wide = gcm_vaes_wide_supported();
	vaes_fns[0][1] = wide ? gcm_vaes_wide128_enc : gcm_vaes128_enc;
	vaes_fns[0][0] = wide ? gcm_vaes_wide128_dec : gcm_vaes128_dec;
	vaes_fns[1][1] = wide ? gcm_vaes_wide256_enc : gcm_vaes256_enc;
	vaes_fns[1][0] = wide ? gcm_vaes_wide256_dec : gcm_vaes256_dec;
}

/*
 * dpike's code must give IPsec-MB's results on this build of the library, every length class,
 * before it takes a manager's place: fns (AES-128, AES-256; encrypt, decrypt) against m's own,
 * with key data made by m for its own layout, in dpike's layout for fns where own_layout.
 */
static bool vaes_matches(IMB_MGR *m, gcm_vaes_fn *const fns[2][2], bool own_layout)
{
	static const uint16_t lens[] = { 0, 13, 64, 96, 100, 128, 255, 256, 300, 1400 };
	uint8_t key[32], iv[12], aad[12], in[1400], want[1400], got[1400], want_tag[16], got_tag[16];
	struct gcm_context_data ctx;
	struct gcm_key_data kd;
	uint8_t own[GCM_VAES_ROUNDS_AT + 15 * 16] __attribute__((aligned(64)));
	const struct gcm_key_data *ours = own_layout ? (const struct gcm_key_data *)own : &kd;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	memcpy(key, in + 100, sizeof(key));
	memcpy(iv, in + 200, sizeof(iv));
	memcpy(aad, in + 300, sizeof(aad));
	for (int aes256 = 0; aes256 < 2; aes256++) {
		aes_gcm_enc_dec_t theirs = aes256 ? m->gcm256_enc : m->gcm128_enc;
		gcm_vaes_fn *enc = fns[aes256][1], *dec = fns[aes256][0];
		if (aes256)
			IMB_AES256_GCM_PRE(m, key, &kd);
		else
			IMB_AES128_GCM_PRE(m, key, &kd);
		if (own_layout)
			gcm_vaes_keys_from_mb(own, &kd, aes256 ? 32 : 16);
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			uint64_t len = lens[i], aad_len = 8 + 4 * (i & 1); /* ESP's two AAD lengths */
			theirs(&kd, &ctx, want, in, len, iv, aad, aad_len, want_tag, 16);
			enc(ours, &ctx, got, in, len, iv, aad, aad_len, got_tag, 16);
			if (memcmp(want, got, len) != 0 || memcmp(want_tag, got_tag, 16) != 0)
				return false;
			dec(ours, &ctx, got, want, len, iv, aad, aad_len, got_tag, 16);
			if (memcmp(in, got, len) != 0 || memcmp(want_tag, got_tag, 16) != 0)
				return false;
		}
	}
	return true;
}

/*
 * Found once per layout with the first manager of its kind ([0]: AVX2, whose key layout dpike's
 * code reads; [1]: AVX-512, whose short texts it takes), as workers start together.
 */
static pthread_once_t probe_once[2] = { PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT };
static IMB_MGR *probe_mgr[2];
static bool probe_ok[2];

static void probe_compact(void)
{
	choose_vaes_fns();
	probe_ok[0] = vaes_matches(probe_mgr[0], vaes_fns, true);
}

static gcm_vaes_fn *const full_fns[2][2] = { { gcm_vaes_full128_dec, gcm_vaes_full128_enc },
					     { gcm_vaes_full256_dec, gcm_vaes_full256_enc } };

static void probe_full(void)
{
	const IMB_MGR *m = probe_mgr[1];
	gcm_vaes_full_init(m->gcm128_enc, m->gcm128_dec, m->gcm256_enc, m->gcm256_dec);
	probe_ok[1] = vaes_matches(probe_mgr[1], full_fns, false);
}

static bool vaes_probed(IMB_MGR *m, bool full)
{
	if (!gcm_vaes_supported())
		return false;
	probe_mgr[full] = m;
	pthread_once(&probe_once[full], full ? probe_full : probe_compact);
	return probe_ok[full];
}

/* A manager's AES-GCM functions, AES-128 and AES-256 (decrypt, encrypt), set to fns. */
static void take_place(IMB_MGR *m, gcm_vaes_fn *const fns[2][2])
{
	m->gcm128_enc = fns[0][1];
	m->gcm128_dec = fns[0][0];
	m->gcm256_enc = fns[1][1];
	m->gcm256_dec = fns[1][0];
}

/*
 * Where IPsec-MB 1.3 runs its AVX2 GCM code (one block per AES instruction) on a CPU with VAES
 * and VPCLMULQDQ, dpike's code takes its place in the manager: a quarter fewer cycles from 64 to
 * 1400 bytes on an AMD Zen 3 (docs/PERFORMANCE.md). Same signature, same key data. That is also
 * where compact keys put an AVX-512 CPU, whose 512-bit registers dpike's code then uses. Where
 * IPsec-MB runs its AVX-512 code (full keys), dpike's takes the short texts only (gcm_vaes.h).
 */
static void use_vaes_where_faster(IMB_MGR *m)
{
	if (code_allowed != ESP_GCM_CODE_AUTO)
		return;
	if (m->used_arch == IMB_ARCH_AVX2 && vaes_probed(m, false))
		take_place(m, vaes_fns);
	else if (m->used_arch == IMB_ARCH_AVX512 && vaes_probed(m, true))
		take_place(m, full_fns);
}

size_t esp_gcm_mgr_init(IMB_MGR *m, bool compact)
{
	init_mb_mgr_auto(m, NULL);
	if (compact && (m->features & IMB_FEATURE_AVX2))
		init_mb_mgr_avx2(m);
	use_vaes_where_faster(m);
	return gcm_head_bytes(m);
}

bool esp_gcm_own_layout(const IMB_MGR *m, unsigned key_len)
{
	return (key_len == 16 && m->gcm128_enc == vaes_fns[0][1]) || (key_len == 32 && m->gcm256_enc == vaes_fns[1][1]);
}

size_t esp_gcm_sa_key_bytes(const IMB_MGR *m, unsigned key_len, bool own_layout)
{
	return own_layout ? gcm_vaes_key_bytes(key_len) : gcm_head_bytes(m);
}

void esp_gcm_sa_keys_make(IMB_MGR *m, unsigned key_len, bool own_layout, const uint8_t *key, uint8_t *out)
{
	struct gcm_key_data kd;
	if (key_len == 16)
		IMB_AES128_GCM_PRE(m, key, &kd);
	else if (key_len == 24)
		IMB_AES192_GCM_PRE(m, key, &kd);
	else
		IMB_AES256_GCM_PRE(m, key, &kd);
	if (own_layout)
		gcm_vaes_keys_from_mb(out, &kd, key_len);
	else
		memcpy(out, &kd, gcm_head_bytes(m));
	OPENSSL_cleanse(&kd, sizeof(kd));
}

void esp_gcm_code_set(enum esp_gcm_code c)
{
	code_allowed = c;
}

/* What a worker's manager for either layout runs, by its AES-128 sealing function and architecture. */
struct gcm_code_found {
	bool known;
	aes_gcm_enc_dec_t enc128;
	uint32_t arch;
};

/* Found once per setting by making a manager as a worker does (control core only). */
static const struct gcm_code_found *gcm_code_found(bool compact)
{
	static struct gcm_code_found found[2][2];
	struct gcm_code_found *f = &found[code_allowed][compact];
	IMB_MGR *m;
	if (!f->known && (m = alloc_mb_mgr(0)) != NULL) {
		esp_gcm_mgr_init(m, compact);
		*f = (struct gcm_code_found){ true, m->gcm128_enc, m->used_arch };
		free_mb_mgr(m);
	}
	return f;
}

const char *esp_gcm_code_name(bool compact)
{
	const struct gcm_code_found *f = gcm_code_found(compact);
	if (!f->known)
		return "unknown";
	return f->enc128 == gcm_vaes128_enc        ? "dpike VAES/VPCLMULQDQ (256-bit)"
	       : f->enc128 == gcm_vaes_wide128_enc ? "dpike VAES/VPCLMULQDQ (512-bit)"
	       : f->enc128 == gcm_vaes_full128_enc ? "IPsec-MB AVX-512, dpike VAES up to 96 bytes"
	       : f->arch == IMB_ARCH_AVX512        ? "IPsec-MB AVX-512"
	       : f->arch == IMB_ARCH_AVX2          ? "IPsec-MB AVX2"
						   : "IPsec-MB SSE/AVX";
}

void esp_gcm_keys_set(enum esp_gcm_keys k)
{
	chosen = k;
}

/* Full-key GCM SAs made and not yet freed (control core). */
static unsigned full_sas;

void esp_gcm_sa_counted(bool full, int change)
{
	if (full)
		full_sas = (unsigned)((int)full_sas + change);
}

enum esp_gcm_keys esp_gcm_keys_resolved(void)
{
	if (chosen != ESP_GCM_KEYS_AUTO)
		return chosen;
	aes_gcm_enc_dec_t compact = gcm_code_found(true)->enc128;
	if (compact != gcm_vaes_wide128_enc && compact != gcm_vaes128_enc)
		return ESP_GCM_KEYS_FULL; /* compact keys would run IPsec-MB's AVX2 code */
	/* full keys run IPsec-MB's AVX-512 code, faster on one SA from 132 bytes on */
	return gcm_code_found(false)->enc128 == gcm_vaes_full128_enc ? ESP_GCM_KEYS_AUTO : ESP_GCM_KEYS_COMPACT;
}

bool esp_gcm_compact(void)
{
	enum esp_gcm_keys k = esp_gcm_keys_resolved();
	return k == ESP_GCM_KEYS_COMPACT || (k == ESP_GCM_KEYS_AUTO && full_sas >= ESP_GCM_AUTO_FULL_SAS);
}

unsigned esp_gcm_full_sas(void)
{
	return full_sas;
}

/* The deferred call: AES-192 runs IPsec-MB's own code always (dpike's VAES code has 128- and 256-bit keys). */
static void gcm_seal_now(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk)
{
	esp_gcm_call(esp_gcm_code(c, sa, true), sa, pk, pk->icv);
}

/* Transport mode's: nonce and AAD now, the call a packet later (esp_run_deferred()). */
static void gcm_seal(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk)
{
	pk->aad_len = (uint8_t)esp_aead_prepare(sa, pk, false);
	esp_defer(c, sa, pk, gcm_seal_now);
}


esp_crypt_fn esp_crypt_select(const struct esp_algo *alg, bool inbound)
{
	bool sha = alg->integ >= ESP_INTEG_SHA1_96 && alg->integ <= ESP_INTEG_SHA512_256;
	if ((alg->cipher == ESP_CIPHER_AES_CBC || alg->cipher == ESP_CIPHER_NULL) && sha)
		return esp_cbc_submit; /* HMAC bursts, and CBC's cipher bursts */
	if (alg->cipher != ESP_CIPHER_AES_GCM)
		return esp_submit;
	/* inbound: none, esp_decrypt_burst() opens GCM packets itself (esp_gcm_behind()) */
	return inbound ? NULL : gcm_seal;
}
