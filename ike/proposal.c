/* SPDX-License-Identifier: BSD-3-Clause */
#include "proposal.h"

#include <stdio.h>
#include <string.h>

struct token {
	const char *name;
	enum transform_type type;
	uint16_t id, key_bits;
	bool aead, weak;
};

static const struct token tokens[] = {
	{ "aes128", TRANS_ENCR, 12, 128, false, false },
	{ "aes192", TRANS_ENCR, 12, 192, false, false },
	{ "aes256", TRANS_ENCR, 12, 256, false, false },
	{ "aes", TRANS_ENCR, 12, 128, false, false },
	{ "aes128gcm16", TRANS_ENCR, 20, 128, true, false },
	{ "aes128gcm128", TRANS_ENCR, 20, 128, true, false },
	{ "aes192gcm16", TRANS_ENCR, 20, 192, true, false },
	{ "aes192gcm128", TRANS_ENCR, 20, 192, true, false },
	{ "aes256gcm16", TRANS_ENCR, 20, 256, true, false },
	{ "aes256gcm128", TRANS_ENCR, 20, 256, true, false },
	/* RFC 4106's shorter ICVs: 8 bytes (ID 18) and 12 (ID 19) */
	{ "aes128gcm8", TRANS_ENCR, 18, 128, true, false },
	{ "aes128gcm64", TRANS_ENCR, 18, 128, true, false },
	{ "aes192gcm8", TRANS_ENCR, 18, 192, true, false },
	{ "aes192gcm64", TRANS_ENCR, 18, 192, true, false },
	{ "aes256gcm8", TRANS_ENCR, 18, 256, true, false },
	{ "aes256gcm64", TRANS_ENCR, 18, 256, true, false },
	{ "aes128gcm12", TRANS_ENCR, 19, 128, true, false },
	{ "aes128gcm96", TRANS_ENCR, 19, 128, true, false },
	{ "aes192gcm12", TRANS_ENCR, 19, 192, true, false },
	{ "aes192gcm96", TRANS_ENCR, 19, 192, true, false },
	{ "aes256gcm12", TRANS_ENCR, 19, 256, true, false },
	{ "aes256gcm96", TRANS_ENCR, 19, 256, true, false },
	{ "chacha20poly1305", TRANS_ENCR, 28, 0, true, false },
	/* RFC 5930 (IKE) and RFC 3686 (ESP): AES in counter mode */
	{ "aes128ctr", TRANS_ENCR, 13, 128, false, false },
	{ "aes192ctr", TRANS_ENCR, 13, 192, false, false },
	{ "aes256ctr", TRANS_ENCR, 13, 256, false, false },
	/* RFC 5282 (IKE) and RFC 4309 (ESP): AES-CCM with an 8-, 12- or 16-byte ICV (IDs 14, 15, 16) */
	{ "aes128ccm8", TRANS_ENCR, 14, 128, true, false },
	{ "aes128ccm64", TRANS_ENCR, 14, 128, true, false },
	{ "aes128ccm12", TRANS_ENCR, 15, 128, true, false },
	{ "aes128ccm96", TRANS_ENCR, 15, 128, true, false },
	{ "aes128ccm16", TRANS_ENCR, 16, 128, true, false },
	{ "aes128ccm128", TRANS_ENCR, 16, 128, true, false },
	{ "aes192ccm8", TRANS_ENCR, 14, 192, true, false },
	{ "aes192ccm64", TRANS_ENCR, 14, 192, true, false },
	{ "aes192ccm12", TRANS_ENCR, 15, 192, true, false },
	{ "aes192ccm96", TRANS_ENCR, 15, 192, true, false },
	{ "aes192ccm16", TRANS_ENCR, 16, 192, true, false },
	{ "aes192ccm128", TRANS_ENCR, 16, 192, true, false },
	{ "aes256ccm8", TRANS_ENCR, 14, 256, true, false },
	{ "aes256ccm64", TRANS_ENCR, 14, 256, true, false },
	{ "aes256ccm12", TRANS_ENCR, 15, 256, true, false },
	{ "aes256ccm96", TRANS_ENCR, 15, 256, true, false },
	{ "aes256ccm16", TRANS_ENCR, 16, 256, true, false },
	{ "aes256ccm128", TRANS_ENCR, 16, 256, true, false },
	{ "3des", TRANS_ENCR, 3, 0, false, true },
	{ "null", TRANS_ENCR, 11, 0, false, false }, /* ESP only: integrity without encryption (RFC 2410) */
	{ "md5", TRANS_INTEG, 1, 0, false, true },
	{ "aesxcbc", TRANS_INTEG, 5, 0, false, false },
	{ "aescmac", TRANS_INTEG, 8, 0, false, false },
	{ "sha1", TRANS_INTEG, 2, 0, false, false },
	{ "sha", TRANS_INTEG, 2, 0, false, false },
	{ "sha256", TRANS_INTEG, 12, 0, false, false },
	{ "sha2_256", TRANS_INTEG, 12, 0, false, false },
	{ "sha384", TRANS_INTEG, 13, 0, false, false },
	{ "sha2_384", TRANS_INTEG, 13, 0, false, false },
	{ "sha512", TRANS_INTEG, 14, 0, false, false },
	{ "sha2_512", TRANS_INTEG, 14, 0, false, false },
	{ "prfmd5", TRANS_PRF, 1, 0, false, true },
	{ "prfaesxcbc", TRANS_PRF, 4, 0, false, false },
	{ "prfaescmac", TRANS_PRF, 8, 0, false, false },
	{ "prfsha1", TRANS_PRF, 2, 0, false, false },
	{ "prfsha256", TRANS_PRF, 5, 0, false, false },
	{ "prfsha384", TRANS_PRF, 6, 0, false, false },
	{ "prfsha512", TRANS_PRF, 7, 0, false, false },
	{ "modp768", TRANS_DH, 1, 0, false, true },
	{ "modp1024", TRANS_DH, 2, 0, false, true },
	{ "modp1536", TRANS_DH, 5, 0, false, true },
	{ "modp2048", TRANS_DH, 14, 0, false, false },
	{ "modp3072", TRANS_DH, 15, 0, false, false },
	{ "modp4096", TRANS_DH, 16, 0, false, false },
	{ "modp6144", TRANS_DH, 17, 0, false, false },
	{ "modp8192", TRANS_DH, 18, 0, false, false },
	{ "ecp224", TRANS_DH, 26, 0, false, false },
	{ "ecp224bp", TRANS_DH, 27, 0, false, false },
	{ "ecp256bp", TRANS_DH, 28, 0, false, false },
	{ "ecp384bp", TRANS_DH, 29, 0, false, false },
	{ "ecp512bp", TRANS_DH, 30, 0, false, false },
	{ "ecp256", TRANS_DH, 19, 0, false, false },
	{ "ecp384", TRANS_DH, 20, 0, false, false },
	{ "ecp521", TRANS_DH, 21, 0, false, false },
	{ "curve25519", TRANS_DH, 31, 0, false, false },
	{ "x25519", TRANS_DH, 31, 0, false, false },
	{ "curve448", TRANS_DH, 32, 0, false, false },
	{ "x448", TRANS_DH, 32, 0, false, false },
	{ "esn", TRANS_ESN, 1, 0, false, false },
	{ "noesn", TRANS_ESN, 0, 0, false, false },
};

/* PRF implied by an integrity algorithm when a proposal names none (as swanctl does). */
static uint16_t prf_for_integ(uint16_t integ)
{
	switch (integ) {
	case 1: return 1;
	case 5: return 4;
	case 8: return 8;
	case 2: return 2;
	case 12: return 5;
	case 13: return 6;
	case 14: return 7;
	default: return 0;
	}
}

static const struct token *find_token(const char *name)
{
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		if (strcmp(tokens[i].name, name) == 0)
			return &tokens[i];
	return NULL;
}

static bool add_token(struct proposal *p, const struct token *t)
{
	if (p->n[t->type] >= PROP_MAX_TRANSFORMS)
		return false;
	p->t[t->type][p->n[t->type]++] = (struct transform){ t->id, t->key_bits };
	return true;
}

static bool check_complete(struct proposal *p, enum proposal_kind kind, bool aead, bool plain, char *err,
			   size_t err_len)
{
	if (p->n[TRANS_ENCR] == 0) {
		snprintf(err, err_len, "no encryption algorithm");
		return false;
	}
	if (aead && plain) {
		snprintf(err, err_len, "AEAD and non-AEAD encryption algorithms cannot share a proposal");
		return false;
	}
	if (plain && p->n[TRANS_INTEG] == 0) {
		snprintf(err, err_len, "no integrity algorithm for a non-AEAD cipher");
		return false;
	}
	if (aead && p->n[TRANS_INTEG] > 0 && kind == PROPOSAL_ESP) {
		snprintf(err, err_len, "an AEAD cipher takes no integrity algorithm");
		return false;
	}
	if (kind == PROPOSAL_IKE) {
		for (int i = 0; p->n[TRANS_PRF] == 0 && i < p->n[TRANS_INTEG]; i++)
			if (prf_for_integ(p->t[TRANS_INTEG][i].id))
				p->t[TRANS_PRF][p->n[TRANS_PRF]++] =
					(struct transform){ prf_for_integ(p->t[TRANS_INTEG][i].id), 0 };
		if (p->n[TRANS_PRF] == 0) {
			snprintf(err, err_len, "no PRF (add e.g. prfsha256)");
			return false;
		}
		if (p->n[TRANS_DH] == 0) {
			snprintf(err, err_len, "no key exchange method (add e.g. x25519 or modp2048)");
			return false;
		}
		if (aead)
			p->n[TRANS_INTEG] = 0;
	}
	return true;
}

bool proposal_parse(const char *text, enum proposal_kind kind, bool weak_ok, struct proposal *p, char *err,
		    size_t err_len)
{
	char buf[256];
	bool aead = false, plain = false;
	memset(p, 0, sizeof(*p));
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, err_len, "proposal is too long");
		return false;
	}
	strcpy(buf, text);
	for (char *save = NULL, *tok = strtok_r(buf, "-", &save); tok; tok = strtok_r(NULL, "-", &save)) {
		const struct token *t = find_token(tok);
		if (t == NULL || (kind == PROPOSAL_ESP && t->type == TRANS_PRF) ||
		    (kind == PROPOSAL_IKE && t->type == TRANS_ESN)) {
			snprintf(err, err_len, "unknown or misplaced algorithm '%s'", tok);
			return false;
		}
		if (t->weak && !weak_ok) {
			snprintf(err, err_len, "'%s' is weak and refused", tok);
			return false;
		}
		if (kind == PROPOSAL_IKE && t->type == TRANS_ENCR && t->id == 11) {
			snprintf(err, err_len, "'%s' (no encryption) is available for ESP only, not for IKE", tok);
			return false;
		}
		if (!add_token(p, t)) {
			snprintf(err, err_len, "too many algorithms of one kind");
			return false;
		}
		if (t->type == TRANS_ENCR)
			*(t->aead ? &aead : &plain) = true;
	}
	return check_complete(p, kind, aead, plain, err, err_len);
}

static bool transform_equal(const struct transform *a, const struct transform *b)
{
	return a->id == b->id && a->key_bits == b->key_bits;
}

/* The transforms of one type both sides accept, first of the peer's order; false if none. */
static bool pick_type(const struct proposal *ours, const struct proposal *theirs, int type, struct transform *out)
{
	/* a type that neither side lists needs no agreement; ESN defaults to "no ESN" */
	if (ours->n[type] == 0 && theirs->n[type] == 0)
		return true;
	if (type == TRANS_ESN) {
		struct transform none = { 0, 0 };
		const struct transform *o = ours->n[type] ? ours->t[type] : &none;
		int no = ours->n[type] ? ours->n[type] : 1;
		for (int i = 0; i < theirs->n[type]; i++)
			for (int k = 0; k < no; k++)
				if (transform_equal(&theirs->t[type][i], &o[k])) {
					*out = theirs->t[type][i];
					return true;
				}
		return false;
	}
	for (int i = 0; i < theirs->n[type]; i++)
		for (int k = 0; k < ours->n[type]; k++)
			if (transform_equal(&theirs->t[type][i], &ours->t[type][k])) {
				*out = theirs->t[type][i];
				return true;
			}
	return false;
}

static bool match_one(const struct proposal *ours, const struct proposal *theirs, bool ignore_dh,
		      struct proposal *chosen)
{
	memset(chosen, 0, sizeof(*chosen));
	for (int type = TRANS_ENCR; type <= TRANS_ESN; type++) {
		if (ignore_dh && type == TRANS_DH)
			continue;
		struct transform t;
		if (!pick_type(ours, theirs, type, &t))
			return false;
		if (ours->n[type] || theirs->n[type]) {
			chosen->t[type][0] = t;
			chosen->n[type] = 1;
		}
	}
	return true;
}

int proposal_select(const struct proposal *ours, int n_ours, const struct proposal *theirs, int n_theirs,
		    bool ignore_dh, struct proposal *chosen)
{
	for (int i = 0; i < n_theirs; i++)
		for (int k = 0; k < n_ours; k++)
			if (match_one(&ours[k], &theirs[i], ignore_dh, chosen))
				return i;
	return -1;
}

static const char *token_name(int type, const struct transform *t)
{
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++)
		if ((int)tokens[i].type == type && tokens[i].id == t->id &&
		    (type != TRANS_ENCR || tokens[i].key_bits == t->key_bits))
			return tokens[i].name;
	return "?";
}

void proposal_format(const struct proposal *p, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int type = TRANS_ENCR; type <= TRANS_ESN && off < len; type++)
		for (int i = 0; i < p->n[type] && off < len; i++) {
			if (type == TRANS_ESN && p->t[type][i].id == 0)
				continue; /* "noesn" is the default; not worth showing */
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "-" : "", token_name(type, &p->t[type][i]));
		}
}

static const char *const default_ike[] = { "aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256-modp3072",
					   "aes128-aes256-sha256-sha384-x25519-ecp256-modp3072" };
static const char *const default_esp[] = { "aes128gcm16-aes256gcm16", "aes128-aes256-sha256-sha1",
					   "chacha20poly1305" };

int proposal_parse_list(char (*texts)[128], int n, enum proposal_kind kind, struct proposal *out, int max)
{
	int count = 0;
	char why[128];
	for (int i = 0; i < n || (n == 0 && i == 0); i++) {
		bool dflt = n == 0 || strcmp(texts[i], "default") == 0;
		if (!dflt) {
			/* weak algorithms were accepted, with a warning, when the configuration was loaded */
			if (count < max && proposal_parse(texts[i], kind, true, &out[count], why, sizeof(why)))
				count++;
			continue;
		}
		const char *const *d = kind == PROPOSAL_IKE ? default_ike : default_esp;
		size_t nd = kind == PROPOSAL_IKE ? 2 : 3;
		for (size_t k = 0; k < nd && count < max; k++)
			if (proposal_parse(d[k], kind, false, &out[count], why, sizeof(why)))
				count++;
	}
	return count;
}

bool proposal_is_weak(const struct proposal *p)
{
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		const struct token *t = &tokens[i];
		for (int k = 0; t->weak && k < p->n[t->type]; k++)
			if (p->t[t->type][k].id == t->id)
				return true;
	}
	return false;
}

uint16_t proposal_ikev1_hash(uint16_t integ)
{
	switch (integ) { /* IKEv1's hash attribute values: MD5 1, SHA 2, SHA2-256 4, SHA2-384 5, SHA2-512 6 */
	case 1: return 1;
	case 2: return 2;
	case 12: return 4;
	case 13: return 5;
	case 14: return 6;
	default: return 0;
	}
}

bool proposal_ikev1_usable(const struct proposal *p)
{
	bool cipher = proposal_has_encr(p, 12) || proposal_has_encr(p, 3), hash = false;
	for (int k = 0; k < p->n[TRANS_INTEG]; k++)
		hash |= proposal_ikev1_hash(p->t[TRANS_INTEG][k].id) != 0;
	return cipher && hash;
}

bool proposal_has_encr(const struct proposal *p, uint16_t id)
{
	for (int k = 0; k < p->n[TRANS_ENCR]; k++)
		if (p->t[TRANS_ENCR][k].id == id)
			return true;
	return false;
}
