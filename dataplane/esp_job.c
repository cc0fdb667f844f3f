/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPsec-MB job set-up per ESP transform and direction, chosen when the SA is created.
 * Layout handed in by the framing step: pk->esp is the ESP header, followed by the IV,
 * pk->payload_len bytes under the cipher, then the ICV at pk->icv.
 */
#include <string.h>

#include <rte_byteorder.h>

#include "esp.h"
#include "esp_internal.h"

static inline void common_fields(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk)
{
	job->src = pk->esp;
	/* IPsec-MB applies the offset to src only: dst is where the cipher output starts. */
	job->dst = pk->esp + ESP_HDR_LEN + sa->iv_len;
	job->cipher_start_src_offset_in_bytes = ESP_HDR_LEN + sa->iv_len;
	job->msg_len_to_cipher_in_bytes = pk->payload_len;
	job->auth_tag_output_len_in_bytes = sa->icv_len;
	job->user_data = pk;
}

static inline uint64_t aead_setup(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk, bool inbound)
{
	uint64_t aad_len = esp_aead_prepare(sa, pk, inbound);
	common_fields(sa, job, pk);
	job->iv = pk->iv;
	job->iv_len_in_bytes = 12;
	job->hash_start_src_offset_in_bytes = ESP_HDR_LEN + sa->iv_len;
	job->msg_len_to_hash_in_bytes = pk->payload_len;
	job->cipher_direction = inbound ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
	job->chain_order = inbound ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
	job->auth_tag_output = inbound ? pk->tag : pk->icv;
	return aad_len;
}

static void gcm_job(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk, bool inbound)
{
	uint64_t aad_len = aead_setup(sa, job, pk, inbound);
	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->enc_keys = esp_sa_gcm_keys(sa);
	job->dec_keys = esp_sa_gcm_keys(sa);
	job->key_len_in_bytes = sa->key_len;
	job->u.GCM.aad = pk->aad;
	job->u.GCM.aad_len_in_bytes = aad_len;
}

static void chacha_job(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk, bool inbound)
{
	uint64_t aad_len = aead_setup(sa, job, pk, inbound);
	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	job->enc_keys = sa->keys;
	job->dec_keys = sa->keys;
	job->key_len_in_bytes = 32;
	job->u.CHACHA20_POLY1305.aad = pk->aad;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = aad_len;
}

/*
 * AES-CBC or NULL encryption with HMAC: the ICV covers ESP header, IV and ciphertext; with ESN
 * the high sequence half is hashed after them (RFC 4303 2.2.1) without being sent, so it is
 * written where the ICV goes and the tag is computed into scratch. The cipher, the HMAC and the
 * size of its states in the key data (esp_sa.h) are the caller's constants, one caller for each.
 */
static inline void hmac_job(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk, bool inbound,
			    IMB_CIPHER_MODE cipher, IMB_HASH_ALG hash, enum esp_integ integ)
{
	unsigned state = esp_hmac_state_bytes(integ);
	bool esn = esp_sa_has(sa, ESP_SA_F_ESN), cbc = cipher == IMB_CIPHER_CBC;
	uint8_t *iv = pk->esp + ESP_HDR_LEN;
	if (!inbound && cbc)
		memcpy(iv, pk->rand, 16); /* unpredictable per packet, as CBC requires */
	common_fields(sa, job, pk);
	job->cipher_mode = cipher;
	job->enc_keys = sa->keys + 2 * state; /* the one schedule of the SA's direction */
	job->dec_keys = sa->keys + 2 * state;
	job->key_len_in_bytes = sa->key_len;
	job->iv = iv;
	job->iv_len_in_bytes = cbc ? 16 : 0;
	job->hash_alg = hash;
	job->u.HMAC._hashed_auth_key_xor_ipad = sa->keys;
	job->u.HMAC._hashed_auth_key_xor_opad = sa->keys + state;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = ESP_HDR_LEN + sa->iv_len + pk->payload_len;
	job->cipher_direction = inbound ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
	job->chain_order = inbound ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
	pk->expect = pk->icv;
	job->auth_tag_output = inbound ? pk->tag : pk->icv;
	if (esn) {
		uint32_t hi = esp_seq_hi_be(pk);
		if (inbound) {
			memcpy(pk->saved_icv, pk->icv, sa->icv_len);
			pk->expect = pk->saved_icv;
		}
		memcpy(pk->icv, &hi, 4);
		job->msg_len_to_hash_in_bytes += 4;
		job->auth_tag_output = pk->tag;
		pk->copy_tag = !inbound;
	}
}

#define HMAC_JOBS(name, cipher, hash, integ)                                                        \
	static void name##_enc(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk)           \
	{                                                                                           \
		hmac_job(sa, job, pk, false, cipher, hash, integ);                                  \
	}                                                                                           \
	static void name##_dec(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk)           \
	{                                                                                           \
		hmac_job(sa, job, pk, true, cipher, hash, integ);                                   \
	}
HMAC_JOBS(cbc_sha1, IMB_CIPHER_CBC, IMB_AUTH_HMAC_SHA_1, ESP_INTEG_SHA1_96)
HMAC_JOBS(cbc_sha256, IMB_CIPHER_CBC, IMB_AUTH_HMAC_SHA_256, ESP_INTEG_SHA256_128)
HMAC_JOBS(cbc_sha384, IMB_CIPHER_CBC, IMB_AUTH_HMAC_SHA_384, ESP_INTEG_SHA384_192)
HMAC_JOBS(cbc_sha512, IMB_CIPHER_CBC, IMB_AUTH_HMAC_SHA_512, ESP_INTEG_SHA512_256)
HMAC_JOBS(null_sha1, IMB_CIPHER_NULL, IMB_AUTH_HMAC_SHA_1, ESP_INTEG_SHA1_96)
HMAC_JOBS(null_sha256, IMB_CIPHER_NULL, IMB_AUTH_HMAC_SHA_256, ESP_INTEG_SHA256_128)
HMAC_JOBS(null_sha384, IMB_CIPHER_NULL, IMB_AUTH_HMAC_SHA_384, ESP_INTEG_SHA384_192)
HMAC_JOBS(null_sha512, IMB_CIPHER_NULL, IMB_AUTH_HMAC_SHA_512, ESP_INTEG_SHA512_256)

/* [NULL encryption][HMAC][inbound] */
static const esp_job_fn hmac_jobs[2][ESP_INTEG_COUNT][2] = {
	{ [ESP_INTEG_SHA1_96] = { cbc_sha1_enc, cbc_sha1_dec },
	  [ESP_INTEG_SHA256_128] = { cbc_sha256_enc, cbc_sha256_dec },
	  [ESP_INTEG_SHA384_192] = { cbc_sha384_enc, cbc_sha384_dec },
	  [ESP_INTEG_SHA512_256] = { cbc_sha512_enc, cbc_sha512_dec } },
	{ [ESP_INTEG_SHA1_96] = { null_sha1_enc, null_sha1_dec },
	  [ESP_INTEG_SHA256_128] = { null_sha256_enc, null_sha256_dec },
	  [ESP_INTEG_SHA384_192] = { null_sha384_enc, null_sha384_dec },
	  [ESP_INTEG_SHA512_256] = { null_sha512_enc, null_sha512_dec } },
};

static void gcm_enc(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { gcm_job(sa, job, pk, false); }
static void gcm_dec(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { gcm_job(sa, job, pk, true); }
static void chacha_enc(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { chacha_job(sa, job, pk, false); }
static void chacha_dec(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { chacha_job(sa, job, pk, true); }

esp_job_fn esp_job_select(const struct esp_algo *alg, bool inbound)
{
	switch (alg->cipher) {
	case ESP_CIPHER_AES_GCM:
		return inbound ? gcm_dec : gcm_enc;
	case ESP_CIPHER_CHACHA20_POLY1305:
		return inbound ? chacha_dec : chacha_enc;
	case ESP_CIPHER_AES_CBC:
	case ESP_CIPHER_NULL:
		return hmac_jobs[alg->cipher == ESP_CIPHER_NULL][alg->integ][inbound];
	}
	return NULL;
}
