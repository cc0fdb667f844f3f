/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv1 keys (RFC 2409 5 and Appendix B) and the CBC protection of ISAKMP payloads. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "v1_sa.h"

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

bool v1_prf(const struct v1_sa *sa, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t *out)
{
	return ike_hmac(sa->md, key, key_len, data, len, out, NULL);
}

/* prf over the concatenation of up to four parts. */
static bool prf4(const struct v1_sa *sa, const uint8_t *key, size_t klen, const uint8_t *a, size_t al, const uint8_t *b,
		 size_t bl, const uint8_t *c, size_t cl, const uint8_t *e, size_t el, uint8_t *out)
{
	size_t n = al + bl + cl + el;
	uint8_t *buf = malloc(n ? n : 1);
	if (buf == NULL)
		return false;
	const uint8_t *parts[4] = { a, b, c, e };
	size_t lens[4] = { al, bl, cl, el }, off = 0;
	for (int i = 0; i < 4; i++) {
		if (lens[i])
			memcpy(buf + off, parts[i], lens[i]);
		off += lens[i];
	}
	bool ok = v1_prf(sa, key, klen, buf, n, out);
	OPENSSL_clear_free(buf, n);
	return ok;
}

bool v1_phase1_keys(struct v1_sa *sa, const uint8_t *psk, size_t psk_len, const uint8_t *gxy, size_t gxy_len)
{
	uint8_t nonces[2 * IKE_NONCE_MAX], ck[16], e[64], k[64 * 2];
	size_t h = sa->hlen;
	memcpy(nonces, sa->p1->ni, sa->p1->ni_len);
	memcpy(nonces + sa->p1->ni_len, sa->p1->nr, sa->p1->nr_len);
	put64(ck, sa->cky_i);
	put64(ck + 8, sa->cky_r);
	const uint8_t zero = 0, one = 1, two = 2;
	/* SKEYID = prf(pre-shared-key, Ni_b | Nr_b), or prf(Ni_b | Nr_b, g^xy) with signatures; then _d, _a, _e */
	bool ok = (psk ? v1_prf(sa, psk, psk_len, nonces, sa->p1->ni_len + sa->p1->nr_len, sa->skeyid)
		       : v1_prf(sa, nonces, sa->p1->ni_len + sa->p1->nr_len, gxy, gxy_len, sa->skeyid)) &&
		  prf4(sa, sa->skeyid, h, gxy, gxy_len, ck, 16, &zero, 1, NULL, 0, sa->skeyid_d) &&
		  prf4(sa, sa->skeyid, h, sa->skeyid_d, h, gxy, gxy_len, ck, 16, &one, 1, sa->skeyid_a) &&
		  prf4(sa, sa->skeyid, h, sa->skeyid_a, h, gxy, gxy_len, ck, 16, &two, 1, e);
	/* the cipher key: SKEYID_e, or Ka = K1 | K2 ... with K1 = prf(SKEYID_e, 0) when it is too short */
	size_t want = sa->encr_bits / 8;
	if (ok && h >= want) {
		memcpy(sa->enc_key, e, want);
	} else if (ok) {
		ok = v1_prf(sa, e, h, &zero, 1, k) && v1_prf(sa, e, h, k, h, k + h);
		memcpy(sa->enc_key, k, want);
	}
	/* IV = hash(g^xi | g^xr) */
	uint8_t dgst[EVP_MAX_MD_SIZE];
	unsigned int dl;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	ok = ok && x && EVP_DigestInit_ex(x, sa->md, NULL) && EVP_DigestUpdate(x, sa->p1->gx_i, sa->p1->gx_len) &&
	     EVP_DigestUpdate(x, sa->p1->gx_r, sa->p1->gx_len) && EVP_DigestFinal_ex(x, dgst, &dl);
	EVP_MD_CTX_free(x);
	memcpy(sa->iv, dgst, 16);
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(k, sizeof(k));
	sa->keyed = ok;
	return ok;
}

void v1_phase2_iv(const struct v1_sa *sa, uint32_t msg_id, uint8_t iv[16])
{
	uint8_t mid[4] = { (uint8_t)(msg_id >> 24), (uint8_t)(msg_id >> 16), (uint8_t)(msg_id >> 8), (uint8_t)msg_id };
	uint8_t dgst[EVP_MAX_MD_SIZE];
	unsigned int dl;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	/* hash(last phase 1 CBC block | M-ID) */
	if (x && EVP_DigestInit_ex(x, sa->md, NULL) && EVP_DigestUpdate(x, sa->iv, sa->block) && EVP_DigestUpdate(x, mid, 4) &&
	    EVP_DigestFinal_ex(x, dgst, &dl))
		memcpy(iv, dgst, 16);
	EVP_MD_CTX_free(x);
}

bool v1_keymat(const struct v1_sa *sa, const uint8_t *gqm, size_t gqm_len, uint32_t spi, const uint8_t *ni,
	       size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out, size_t len)
{
	/* KEYMAT = K1 | K2 ..., K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
	 * Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b) */
	size_t h = sa->hlen, seed_len = gqm_len + 1 + 4 + ni_len + nr_len;
	uint8_t *buf = malloc(h + seed_len), k[64];
	if (buf == NULL)
		return false;
	uint8_t *seed = buf + h;
	memcpy(seed, gqm, gqm_len);
	seed[gqm_len] = PROTO_ESP;
	for (int i = 0; i < 4; i++)
		seed[gqm_len + 1 + i] = (uint8_t)(spi >> (24 - 8 * i));
	memcpy(seed + gqm_len + 5, ni, ni_len);
	memcpy(seed + gqm_len + 5 + ni_len, nr, nr_len);
	bool ok = true, first = true;
	for (size_t off = 0; ok && off < len; off += h) {
		ok = first ? v1_prf(sa, sa->skeyid_d, h, seed, seed_len, k) : v1_prf(sa, sa->skeyid_d, h, buf, h + seed_len, k);
		memcpy(buf, k, h);
		memcpy(out + off, k, len - off < h ? len - off : h);
		first = false;
	}
	OPENSSL_clear_free(buf, h + seed_len);
	OPENSSL_cleanse(k, sizeof(k));
	return ok;
}

static const EVP_CIPHER *cipher_of(const struct v1_sa *sa)
{
	if (sa->encr == V1_ENCR_3DES)
		return EVP_des_ede3_cbc();
	return sa->encr_bits == 256 ? EVP_aes_256_cbc() : sa->encr_bits == 192 ? EVP_aes_192_cbc() : EVP_aes_128_cbc();
}

static bool cbc(const struct v1_sa *sa, bool enc, uint8_t *data, size_t len, uint8_t iv[16])
{
	uint8_t next_iv[16];
	size_t bs = sa->block;
	if (len == 0 || len % bs)
		return false;
	if (!enc)
		memcpy(next_iv, data + len - bs, bs);
	bool ok = ike_cbc(cipher_of(sa), sa->enc_key, iv, data, len, enc);
	/* the next message's IV is this one's last cipher block (RFC 2409 App. B) */
	memcpy(iv, enc ? data + len - bs : next_iv, bs);
	return ok;
}

size_t v1_begin_hashed(const struct v1_sa *sa, struct ike_builder *b, uint8_t exchange, uint32_t msg_id)
{
	struct isakmp_header h = { .cky_i = sa->cky_i, .cky_r = sa->cky_r, .exchange = exchange, .msg_id = msg_id };
	isakmp_build_start(b, &h);
	size_t at = b->w.off;
	ike_payload_begin(b, ISA_HASH);
	wire_reserve(&b->w, sa->hlen);
	ike_payload_end(b);
	return at;
}

size_t v1_encrypt(struct v1_sa *sa, struct ike_builder *b, uint8_t iv[16])
{
	size_t body = b->w.off - IKE_HDR_LEN, pad = (sa->block - body % sa->block) % sa->block;
	uint8_t *p = wire_reserve(&b->w, pad);
	if (p == NULL && pad)
		return 0;
	memset(p, 0, pad);
	b->buf[19] |= ISAKMP_FLAG_ENCRYPTION;
	size_t len = ike_build_finish(b);
	if (len == 0 || !cbc(sa, true, b->buf + IKE_HDR_LEN, body + pad, iv))
		return 0;
	return len;
}

bool v1_decrypt(struct v1_sa *sa, uint8_t *buf, size_t len, uint8_t iv[16])
{
	return len > IKE_HDR_LEN && cbc(sa, false, buf + IKE_HDR_LEN, len - IKE_HDR_LEN, iv);
}

bool v1_hash_payloads(const struct v1_sa *sa, const uint8_t *prefix, size_t prefix_len, const uint8_t *body,
		      size_t body_len, uint8_t *out)
{
	return prf4(sa, sa->skeyid_a, sa->hlen, prefix, prefix_len, body, body_len, NULL, 0, NULL, 0, out);
}
