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

/* IPsec-MB's name for each integrity algorithm of ESP. */
static inline IMB_HASH_ALG imb_hash(enum esp_integ integ)
{
	switch (integ) {
	case ESP_INTEG_SHA1_96: return IMB_AUTH_HMAC_SHA_1;
	case ESP_INTEG_SHA256_128: return IMB_AUTH_HMAC_SHA_256;
	case ESP_INTEG_SHA384_192: return IMB_AUTH_HMAC_SHA_384;
	case ESP_INTEG_SHA512_256: return IMB_AUTH_HMAC_SHA_512;
	case ESP_INTEG_MD5_96: return IMB_AUTH_MD5;
	case ESP_INTEG_AES_XCBC_96: return IMB_AUTH_AES_XCBC;
	case ESP_INTEG_AES_CMAC_96: return IMB_AUTH_AES_CMAC;
	default: return IMB_AUTH_NULL;
	}
}

/* The integrity keys at the front of the SA's keys (esp_sa.h). */
static inline void integ_fields(const struct esp_sa *sa, IMB_JOB *job, enum esp_integ integ)
{
	const uint8_t *k = sa->keys;
	job->hash_alg = imb_hash(integ);
	if (integ == ESP_INTEG_AES_XCBC_96) {
		job->u.XCBC._k1_expanded = (const uint32_t *)k;
		job->u.XCBC._k2 = k + 176;
		job->u.XCBC._k3 = k + 192;
	} else if (integ == ESP_INTEG_AES_CMAC_96) {
		job->u.CMAC._key_expanded = k;
		job->u.CMAC._skey1 = k + 176;
		job->u.CMAC._skey2 = k + 192;
	} else {
		job->u.HMAC._hashed_auth_key_xor_ipad = k;
		job->u.HMAC._hashed_auth_key_xor_opad = k + esp_hmac_state_bytes(integ);
	}
}

/*
 * The cipher's IV and keys. CBC and 3DES take a fresh random IV per packet, carried in it;
 * AES-CTR's counter block is the nonce salt, the IV (the sequence number, written into the
 * packet outbound) and a block counter from 1 (RFC 3686), which IPsec-MB appends to a 12-byte IV.
 */
static inline void cipher_fields(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk, bool inbound,
				 IMB_CIPHER_MODE cipher, enum esp_integ integ)
{
	uint8_t *iv = pk->esp + ESP_HDR_LEN;
	const uint8_t *keys = sa->keys + esp_integ_key_bytes(integ);
	job->cipher_mode = cipher;
	job->key_len_in_bytes = cipher == IMB_CIPHER_DES3 ? 24 : sa->key_len;
	job->iv = iv;
	job->iv_len_in_bytes = sa->iv_len;
	if (cipher == IMB_CIPHER_DES3)
		keys += 3 * ESP_DES_SCHEDULE_BYTES; /* the pointers to the three schedules */
	job->enc_keys = keys;
	job->dec_keys = keys;
	if (!inbound && (cipher == IMB_CIPHER_CBC || cipher == IMB_CIPHER_DES3))
		memcpy(iv, pk->rand, sa->iv_len); /* unpredictable per packet, as CBC requires */
	if (cipher != IMB_CIPHER_CNTR)
		return;
	if (!inbound) {
		uint64_t seq = rte_cpu_to_be_64(pk->seq);
		memcpy(iv, &seq, 8);
	}
	memcpy(pk->iv, sa->salt, 4);
	memcpy(pk->iv + 4, iv, 8);
	job->iv = pk->iv;
	job->iv_len_in_bytes = 12;
}

/*
 * A cipher (or NULL encryption) and an integrity check: the ICV covers ESP header, IV and
 * ciphertext; with ESN the high sequence half is hashed after them (RFC 4303 2.2.1) without
 * being sent, so it is written where the ICV goes and the tag is computed into scratch. The
 * cipher and the integrity algorithm are the caller's constants, one caller for each pair.
 */
static inline void chained_job(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk, bool inbound,
			       IMB_CIPHER_MODE cipher, enum esp_integ integ)
{
	common_fields(sa, job, pk);
	cipher_fields(sa, job, pk, inbound, cipher, integ);
	integ_fields(sa, job, integ);
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = ESP_HDR_LEN + sa->iv_len + pk->payload_len;
	job->cipher_direction = inbound ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
	job->chain_order = inbound ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
	pk->expect = pk->icv;
	job->auth_tag_output = inbound ? pk->tag : pk->icv;
	if (esp_sa_has(sa, ESP_SA_F_ESN)) {
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

#define CHAINED_JOBS(name, cipher, integ)                                                                          \
	static void name##_enc(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk)                         \
	{                                                                                                          \
		chained_job(sa, job, pk, false, cipher, integ);                                                    \
	}                                                                                                          \
	static void name##_dec(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk)                         \
	{                                                                                                          \
		chained_job(sa, job, pk, true, cipher, integ);                                                     \
	}
#define CHAINED_JOBS_EVERY_MAC(name, cipher)                                                                       \
	CHAINED_JOBS(name##_sha1, cipher, ESP_INTEG_SHA1_96)                                                       \
	CHAINED_JOBS(name##_sha256, cipher, ESP_INTEG_SHA256_128)                                                  \
	CHAINED_JOBS(name##_sha384, cipher, ESP_INTEG_SHA384_192)                                                  \
	CHAINED_JOBS(name##_sha512, cipher, ESP_INTEG_SHA512_256)                                                  \
	CHAINED_JOBS(name##_md5, cipher, ESP_INTEG_MD5_96)                                                         \
	CHAINED_JOBS(name##_xcbc, cipher, ESP_INTEG_AES_XCBC_96)                                                   \
	CHAINED_JOBS(name##_cmac, cipher, ESP_INTEG_AES_CMAC_96)
CHAINED_JOBS_EVERY_MAC(cbc, IMB_CIPHER_CBC)
CHAINED_JOBS_EVERY_MAC(null, IMB_CIPHER_NULL)
CHAINED_JOBS_EVERY_MAC(ctr, IMB_CIPHER_CNTR)
CHAINED_JOBS_EVERY_MAC(des3, IMB_CIPHER_DES3)

#define EVERY_MAC(name)                                                                                            \
	{ [ESP_INTEG_SHA1_96] = { name##_sha1_enc, name##_sha1_dec },                                              \
	  [ESP_INTEG_SHA256_128] = { name##_sha256_enc, name##_sha256_dec },                                       \
	  [ESP_INTEG_SHA384_192] = { name##_sha384_enc, name##_sha384_dec },                                       \
	  [ESP_INTEG_SHA512_256] = { name##_sha512_enc, name##_sha512_dec },                                       \
	  [ESP_INTEG_MD5_96] = { name##_md5_enc, name##_md5_dec },                                                 \
	  [ESP_INTEG_AES_XCBC_96] = { name##_xcbc_enc, name##_xcbc_dec },                                          \
	  [ESP_INTEG_AES_CMAC_96] = { name##_cmac_enc, name##_cmac_dec } }
/* [cipher][integrity][inbound] */
static const esp_job_fn chained_jobs[][ESP_INTEG_COUNT][2] = {
	[ESP_CIPHER_AES_CBC] = EVERY_MAC(cbc),
	[ESP_CIPHER_NULL] = EVERY_MAC(null),
	[ESP_CIPHER_AES_CTR] = EVERY_MAC(ctr),
	[ESP_CIPHER_3DES] = EVERY_MAC(des3),
};

/*
 * AES-CCM (RFC 4309): the nonce is the 3-byte salt and the IV (the sequence number), the AAD
 * as GCM's. IPsec-MB authenticates before encrypting and after decrypting.
 */
static void ccm_job(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk, bool inbound)
{
	uint64_t aad_len = aead_setup(sa, job, pk, inbound);
	memcpy(pk->iv, sa->salt, 3);
	memcpy(pk->iv + 3, pk->esp + ESP_HDR_LEN, 8);
	job->iv_len_in_bytes = 11;
	job->chain_order = inbound ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->cipher_mode = IMB_CIPHER_CCM;
	job->hash_alg = IMB_AUTH_AES_CCM;
	job->enc_keys = sa->keys;
	job->dec_keys = sa->keys;
	job->key_len_in_bytes = sa->key_len;
	job->u.CCM.aad = pk->aad;
	job->u.CCM.aad_len_in_bytes = aad_len;
}

static void gcm_enc(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { gcm_job(sa, job, pk, false); }
static void gcm_dec(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { gcm_job(sa, job, pk, true); }
static void chacha_enc(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { chacha_job(sa, job, pk, false); }
static void chacha_dec(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { chacha_job(sa, job, pk, true); }
static void ccm_enc(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { ccm_job(sa, job, pk, false); }
static void ccm_dec(const struct esp_sa *sa, IMB_JOB *job, struct esp_pkt *pk) { ccm_job(sa, job, pk, true); }

esp_job_fn esp_job_select(const struct esp_algo *alg, bool inbound)
{
	switch (alg->cipher) {
	case ESP_CIPHER_AES_GCM:
		return inbound ? gcm_dec : gcm_enc;
	case ESP_CIPHER_CHACHA20_POLY1305:
		return inbound ? chacha_dec : chacha_enc;
	case ESP_CIPHER_AES_CCM:
		return inbound ? ccm_dec : ccm_enc;
	case ESP_CIPHER_AES_CBC:
	case ESP_CIPHER_NULL:
	case ESP_CIPHER_AES_CTR:
	case ESP_CIPHER_3DES:
		return chained_jobs[alg->cipher][alg->integ][inbound];
	}
	return NULL;
}
