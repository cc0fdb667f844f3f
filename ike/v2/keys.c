/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE SA keys (RFC 7296 2.14) and child SA keying material (RFC 7296 2.17). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dataplane/esp_algo.h"
#include "ike_sa.h"

static void put_spi(uint8_t *p, uint64_t spi)
{
	for (int i = 7; i >= 0; i--, spi >>= 8)
		p[i] = (uint8_t)spi;
}

bool ike_derive_keys(struct ike_sa *sa, const uint8_t *shared, size_t shared_len, const uint8_t *old_sk_d,
		     uint16_t old_prf)
{
	size_t plen = prf_output_len(sa->prf), ilen = sa->cipher.integ_key_len, elen = sa->cipher.enc_key_len;
	uint8_t nonces[2 * IKE_NONCE_MAX + 16], skeyseed[IKE_MAX_PRF_LEN], keymat[3 * IKE_MAX_PRF_LEN + 2 * 64 + 2 * 36];
	uint8_t rekey_in[IKE_MAX_KE_LEN + 2 * IKE_NONCE_MAX];
	size_t n = 0;
	memcpy(nonces, sa->ni, sa->ni_len);
	memcpy(nonces + sa->ni_len, sa->nr, sa->nr_len);
	n = sa->ni_len + sa->nr_len;
	bool ok;
	if (old_sk_d == NULL) {
		/* SKEYSEED = prf(Ni | Nr, g^ir); a fixed-size PRF key takes the front of each nonce */
		uint8_t key[2 * IKE_NONCE_MAX];
		size_t ki = prf_nonce_part(sa->prf, sa->ni_len), kr = prf_nonce_part(sa->prf, sa->nr_len);
		memcpy(key, sa->ni, ki);
		memcpy(key + ki, sa->nr, kr);
		ok = plen && prf_compute(sa->prf, key, ki + kr, shared, shared_len, skeyseed);
	} else {
		/* rekey: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF */
		memcpy(rekey_in, shared, shared_len);
		memcpy(rekey_in + shared_len, nonces, n);
		ok = plen && prf_compute(old_prf, old_sk_d, prf_output_len(old_prf), rekey_in, shared_len + n, skeyseed);
		OPENSSL_cleanse(rekey_in, sizeof(rekey_in));
	}
	put_spi(nonces + n, sa->spi_i);
	put_spi(nonces + n + 8, sa->spi_r);
	size_t total = 3 * plen + 2 * ilen + 2 * elen;
	ok = ok && prf_plus(sa->prf, skeyseed, plen, nonces, n + 16, keymat, total);
	if (ok) {
		/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} */
		const uint8_t *k = keymat;
		memcpy(sa->sk_d, k, plen), k += plen;
		memcpy(sa->sk_ai, k, ilen), k += ilen;
		memcpy(sa->sk_ar, k, ilen), k += ilen;
		memcpy(sa->sk_ei, k, elen), k += elen;
		memcpy(sa->sk_er, k, elen), k += elen;
		memcpy(sa->sk_pi, k, plen), k += plen;
		memcpy(sa->sk_pr, k, plen);
	}
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	OPENSSL_cleanse(keymat, sizeof(keymat));
	return ok;
}

bool ike_child_keymat(const struct ike_sa *sa, int esp_alg, const uint8_t *dh, size_t dh_len, const uint8_t *ni,
		      size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *i_to_r, uint8_t *r_to_i)
{
	size_t klen = (size_t)esp_algo_key_len(&esp_algos[esp_alg]);
	size_t seed_len = dh_len + ni_len + nr_len;
	uint8_t *seed = malloc(seed_len), keymat[2 * 128];
	if (seed == NULL)
		return false;
	/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr): first initiator to responder, then back */
	if (dh_len)
		memcpy(seed, dh, dh_len);
	memcpy(seed + dh_len, ni, ni_len);
	memcpy(seed + dh_len + ni_len, nr, nr_len);
	bool ok = prf_plus(sa->prf, sa->sk_d, prf_output_len(sa->prf), seed, seed_len, keymat, 2 * klen);
	if (ok) {
		memcpy(i_to_r, keymat, klen);
		memcpy(r_to_i, keymat + klen, klen);
	}
	OPENSSL_clear_free(seed, seed_len);
	OPENSSL_cleanse(keymat, sizeof(keymat));
	return ok;
}
