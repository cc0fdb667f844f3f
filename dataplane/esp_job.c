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
 * AES-CBC with HMAC: the ICV covers ESP header, IV and ciphertext; with ESN the high
 * sequence half is hashed after them (RFC 4303 2.2.1) without being sent, so it is
 * written where the ICV goes and the tag is computed into scratch. The HMAC and the size of
 * its states in the key data (esp_sa.h) follow from the caller's constant, one caller per HMAC.
 */
static inline void cbc_job(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk, bool inbound,
			   IMB_HASH_ALG hash, enum esp_integ integ)
{
	unsigned state = esp_hmac_state_bytes(integ);
	bool esn = esp_sa_has(sa, ESP_SA_F_ESN);
	uint8_t *iv = pk->esp + ESP_HDR_LEN;
	if (!inbound)
		memcpy(iv, pk->rand, 16); /* unpredictable per packet, as CBC requires */
	common_fields(sa, job, pk);
	job->cipher_mode = IMB_CIPHER_CBC;
	job->enc_keys = sa->keys + 2 * state; /* the one schedule of the SA's direction */
	job->dec_keys = sa->keys + 2 * state;
	job->key_len_in_bytes = sa->key_len;
	job->iv = iv;
	job->iv_len_in_bytes = 16;
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

#define CBC_JOBS(name, hash, integ)                                                                    \
	static void cbc_##name##_enc(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk)        \
	{                                                                                              \
		cbc_job(sa, job, pk, false, hash, integ);                                              \
	}                                                                                              \
	static void cbc_##name##_dec(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk)        \
	{                                                                                              \
		cbc_job(sa, job, pk, true, hash, integ);                                               \
	}
CBC_JOBS(sha1, IMB_AUTH_HMAC_SHA_1, ESP_INTEG_SHA1_96)
CBC_JOBS(sha256, IMB_AUTH_HMAC_SHA_256, ESP_INTEG_SHA256_128)
CBC_JOBS(sha384, IMB_AUTH_HMAC_SHA_384, ESP_INTEG_SHA384_192)
CBC_JOBS(sha512, IMB_AUTH_HMAC_SHA_512, ESP_INTEG_SHA512_256)

static esp_job_fn cbc_select(enum esp_integ integ, bool inbound)
{
	switch (integ) {
	case ESP_INTEG_SHA1_96:
		return inbound ? cbc_sha1_dec : cbc_sha1_enc;
	case ESP_INTEG_SHA256_128:
		return inbound ? cbc_sha256_dec : cbc_sha256_enc;
	case ESP_INTEG_SHA384_192:
		return inbound ? cbc_sha384_dec : cbc_sha384_enc;
	case ESP_INTEG_SHA512_256:
		return inbound ? cbc_sha512_dec : cbc_sha512_enc;
	case ESP_INTEG_NONE:
		break;
	}
	return NULL;
}

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
		return cbc_select(alg->integ, inbound);
	}
	return NULL;
}
