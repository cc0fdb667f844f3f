/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AES-GCM on VAES and VPCLMULQDQ over 256-bit registers, for CPUs that have them without
 * AVX-512 (AMD Zen 3, Intel Alder Lake's cores): IPsec-MB 1.3 runs its AVX2 code there, one
 * block per AES instruction; and over 512-bit registers for compact-key SAs on CPUs with
 * AVX-512, whose IPsec-MB code needs its 1 KiB key layout (dataplane/esp.h). These functions
 * have the signature of IPsec-MB's direct GCM API (aes_gcm_enc_dec_t), so they take the manager's
 * place, but read key data in dpike's layout below, made from what IPsec-MB's gcm*_pre wrote. The
 * context argument is not used.
 */
#ifndef DPIKE_GCM_VAES_H
#define DPIKE_GCM_VAES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

/* Whether this CPU has the instructions (AVX2, VAES, VPCLMULQDQ) and the OS keeps YMM state. */
bool gcm_vaes_supported(void);

/* Whether it also has AVX-512 (F, BW, VL) for the 512-bit functions, and the OS keeps ZMM state. */
bool gcm_vaes_wide_supported(void);

/* The type of IPsec-MB's aes_gcm_enc_dec_t, of which these are four, and four more over 512-bit registers. */
typedef void gcm_vaes_fn(const struct gcm_key_data *key, struct gcm_context_data *ctx, uint8_t *out,
			 const uint8_t *in, uint64_t len, const uint8_t *iv, const uint8_t *aad, uint64_t aad_len,
			 uint8_t *tag, uint64_t tag_len);
gcm_vaes_fn gcm_vaes128_enc, gcm_vaes128_dec, gcm_vaes256_enc, gcm_vaes256_dec;
gcm_vaes_fn gcm_vaes_wide128_enc, gcm_vaes_wide128_dec, gcm_vaes_wide256_enc, gcm_vaes_wide256_dec;

/*
 * dpike's key layout: 16 bytes unused, the eight powers H^8..H^1 of the hash key as IPsec-MB's AVX2
 * layout has them (each times x^-1, as its GHASH code wants them), then the round keys (11 or
 * 15). IPsec-MB's keeps room for AES-256's round keys between an AES-128 key's and the powers, so
 * a short text reads five of its lines; from a line's start this one puts the powers a text of up
 * to four blocks with ESP's AAD takes (H^5..H^1) and AES-128's round keys in four lines, its
 * second to fifth: a 64-byte frame's packet reads a line less.
 */
#define GCM_VAES_POWERS_AT 16
#define GCM_VAES_ROUNDS_AT (GCM_VAES_POWERS_AT + 8 * 16)

static inline size_t gcm_vaes_key_bytes(unsigned key_len)
{
	return GCM_VAES_ROUNDS_AT + 16 * (key_len / 4 + 7);
}

/* Writes gcm_vaes_key_bytes(key_len) bytes of dpike's layout from kd, made by an AVX2 manager's gcm*_pre. */
void gcm_vaes_keys_from_mb(uint8_t *out, const struct gcm_key_data *kd, unsigned key_len);

/*
 * For keys in IPsec-MB's AVX-512 layout (its whole struct gcm_key_data): texts of up to 96 bytes
 * with an AAD of up to 16 by the 256-bit code's short path, reading the last eight of the 48
 * powers; all others by the IPsec-MB functions given to gcm_vaes_full_init() before first use.
 */
gcm_vaes_fn gcm_vaes_full128_enc, gcm_vaes_full128_dec, gcm_vaes_full256_enc, gcm_vaes_full256_dec;
void gcm_vaes_full_init(aes_gcm_enc_dec_t long128_enc, aes_gcm_enc_dec_t long128_dec,
			aes_gcm_enc_dec_t long256_enc, aes_gcm_enc_dec_t long256_dec);

#endif
