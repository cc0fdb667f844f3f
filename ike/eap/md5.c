/* SPDX-License-Identifier: BSD-3-Clause */
/* EAP-MD5 (RFC 3748 5.4, the CHAP of RFC 1994): Value = MD5(Identifier | password | Challenge). No MSK. */
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "eap_methods.h"

void eap_md5_challenge(const struct eap_server *s, struct wire_writer *w)
{
	wire_put_u8(w, sizeof(s->challenge));
	wire_put_bytes(w, s->challenge, sizeof(s->challenge));
}

const char *eap_md5_check(struct eap_server *s, uint8_t id, struct wire_reader *r)
{
	const uint8_t *pw, *value;
	size_t pw_len;
	uint8_t want[16];
	unsigned n = 0;
	if (wire_get_u8(r) != 16 || (value = wire_take(r, 16)) == NULL)
		return "a malformed EAP-MD5 response";
	if (!s->password(s->ctx, s->identity, s->identity_len, &pw, &pw_len))
		return "no EAP secret for this identity";
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	bool ok = x && EVP_DigestInit_ex(x, EVP_md5(), NULL) == 1 && EVP_DigestUpdate(x, &id, 1) == 1 &&
		  EVP_DigestUpdate(x, pw, pw_len) == 1 && EVP_DigestUpdate(x, s->challenge, sizeof(s->challenge)) == 1 &&
		  EVP_DigestFinal_ex(x, want, &n) == 1 && n == 16;
	EVP_MD_CTX_free(x);
	ok = ok && CRYPTO_memcmp(want, value, 16) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok ? NULL : "EAP-MD5 response does not match the password";
}
