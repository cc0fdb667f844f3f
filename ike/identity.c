/* SPDX-License-Identifier: BSD-3-Clause */
#include "identity.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "lib/parse.h"

void identity_from_ipv4(uint32_t addr, struct ike_id *id)
{
	id->type = ID_IPV4_ADDR;
	id->len = 4;
	id->data[0] = (uint8_t)(addr >> 24);
	id->data[1] = (uint8_t)(addr >> 16);
	id->data[2] = (uint8_t)(addr >> 8);
	id->data[3] = (uint8_t)addr;
}

static bool set_text(struct ike_id *id, uint8_t type, const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > IKE_ID_MAX)
		return false;
	id->type = type;
	id->len = (uint16_t)n;
	memcpy(id->data, s, n);
	return true;
}

/* "C=CH, O=Example, CN=gw" (or "/"-separated) as a DER Name; E and Email mean emailAddress. */
static X509_NAME *dn_parse(const char *s)
{
	char buf[IKE_ID_MAX + 1], *save = NULL;
	X509_NAME *n = X509_NAME_new();
	if (n == NULL || snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		goto bad;
	for (char *rdn = strtok_r(buf, ",/", &save); rdn; rdn = strtok_r(NULL, ",/", &save)) {
		char *eq = strchr(rdn, '=');
		if (eq == NULL)
			goto bad;
		*eq = '\0';
		char *key = rdn + strspn(rdn, " "), *val = eq + 1 + strspn(eq + 1, " ");
		for (char *e = key + strlen(key); e > key && e[-1] == ' ';)
			*--e = '\0';
		if (strcasecmp(key, "E") == 0 || strcasecmp(key, "Email") == 0)
			key = "emailAddress";
		if (*val == '\0' ||
		    X509_NAME_add_entry_by_txt(n, key, MBSTRING_UTF8, (const unsigned char *)val, -1, -1, 0) != 1)
			goto bad;
	}
	if (X509_NAME_entry_count(n) > 0)
		return n;
bad:
	X509_NAME_free(n);
	ERR_clear_error();
	return NULL;
}

static X509_NAME *dn_of(const struct ike_id *id)
{
	const unsigned char *p = id->data;
	X509_NAME *n = id->type == ID_DER_ASN1_DN ? d2i_X509_NAME(NULL, &p, id->len) : NULL;
	if (n && p != id->data + id->len) {
		X509_NAME_free(n);
		n = NULL;
	}
	ERR_clear_error();
	return n;
}

static bool dn_from_string(const char *s, struct ike_id *id)
{
	X509_NAME *n = dn_parse(s);
	int len = n ? i2d_X509_NAME(n, NULL) : -1;
	unsigned char *p = id->data;
	bool ok = len > 0 && len <= IKE_ID_MAX && i2d_X509_NAME(n, &p) == len;
	X509_NAME_free(n);
	id->type = ID_DER_ASN1_DN;
	id->len = ok ? (uint16_t)len : 0;
	return ok;
}

bool identity_from_string(const char *s, struct ike_id *id)
{
	uint32_t a;
	if (s[0] != '@' && strchr(s, '='))
		return dn_from_string(s, id);
	if (parse_ipv4(s, &a)) {
		identity_from_ipv4(a, id);
		return true;
	}
	if (strncmp(s, "@#", 2) == 0) {
		int n = parse_hex(s + 2, id->data, IKE_ID_MAX);
		id->type = ID_KEY_ID;
		id->len = n > 0 ? (uint16_t)n : 0;
		return n > 0;
	}
	if (s[0] == '@')
		return set_text(id, ID_FQDN, s + 1);
	if (strchr(s, '@'))
		return set_text(id, ID_RFC822_ADDR, s);
	return set_text(id, ID_FQDN, s);
}

void identity_to_string(const struct ike_id *id, char *buf, size_t len)
{
	switch (id->type) {
	case ID_IPV4_ADDR:
		if (id->len == 4) {
			snprintf(buf, len, "%u.%u.%u.%u", id->data[0], id->data[1], id->data[2], id->data[3]);
			return;
		}
		break;
	case ID_FQDN:
	case ID_RFC822_ADDR:
		snprintf(buf, len, "%.*s", id->len, (const char *)id->data);
		for (size_t i = 0; buf[i]; i++)
			if (buf[i] < 0x20 || buf[i] > 0x7e)
				buf[i] = '?'; /* peer-chosen bytes never reach a log raw */
		return;
	case ID_DER_ASN1_DN: {
		X509_NAME *n = dn_of(id);
		BIO *b = n ? BIO_new(BIO_s_mem()) : NULL;
		int r = b && X509_NAME_print_ex(b, n, 0, XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_ESC_CTRL |
								 ASN1_STRFLGS_ESC_MSB) >= 0 ? BIO_read(b, buf, (int)len - 1) : -1;
		BIO_free(b);
		X509_NAME_free(n);
		if (r > 0) {
			buf[r] = '\0';
			return;
		}
		break;
	}
	default:
		break;
	}
	size_t off = (size_t)snprintf(buf, len, "@#");
	for (uint16_t i = 0; i < id->len && off + 2 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%02x", id->data[i]);
}

/* Two DNs with the same RDNs in the same order; a pattern's "*" value matches any value. */
static bool dn_match(X509_NAME *pattern, X509_NAME *dn)
{
	int n = X509_NAME_entry_count(pattern);
	if (n != X509_NAME_entry_count(dn))
		return false;
	for (int i = 0; i < n; i++) {
		X509_NAME_ENTRY *pe = X509_NAME_get_entry(pattern, i), *de = X509_NAME_get_entry(dn, i);
		unsigned char *pv = NULL, *dv = NULL;
		bool same = OBJ_cmp(X509_NAME_ENTRY_get_object(pe), X509_NAME_ENTRY_get_object(de)) == 0 &&
			    ASN1_STRING_to_UTF8(&pv, X509_NAME_ENTRY_get_data(pe)) >= 0 &&
			    ASN1_STRING_to_UTF8(&dv, X509_NAME_ENTRY_get_data(de)) >= 0 &&
			    (strcmp((char *)pv, "*") == 0 || strcasecmp((char *)pv, (char *)dv) == 0);
		OPENSSL_free(pv);
		OPENSSL_free(dv);
		if (!same)
			return false;
	}
	return true;
}

/*
 * DNs compare by meaning (string types and case aside), as certificates encode them variously;
 * with wildcards, a "*" value in pattern matches any.
 */
static bool dn_equal(const struct ike_id *pattern, const struct ike_id *dn, bool wildcards)
{
	X509_NAME *a = dn_of(pattern), *b = dn_of(dn);
	bool same = a && b && (X509_NAME_cmp(a, b) == 0 || (wildcards && dn_match(a, b)));
	X509_NAME_free(a);
	X509_NAME_free(b);
	return same;
}

bool identity_pair_equal(const struct ike_id *remote_a, const struct ike_id *local_a, const struct ike_id *remote_b,
			 const struct ike_id *local_b)
{
	return identity_equal(remote_a, remote_b) && identity_equal(local_a, local_b);
}

uint64_t identity_pair_hash(uint64_t h, const struct ike_id *a, const struct ike_id *b)
{
	const struct ike_id *ids[2] = { a, b };
	for (int k = 0; k < 2; k++) {
		h = (h ^ ids[k]->type) * 0x100000001b3ULL;
		for (size_t i = 0; i < ids[k]->len && i < sizeof(ids[k]->data); i++)
			h = (h ^ ids[k]->data[i]) * 0x100000001b3ULL;
	}
	return h;
}

bool identity_equal(const struct ike_id *a, const struct ike_id *b)
{
	if (a->type == ID_DER_ASN1_DN && b->type == ID_DER_ASN1_DN)
		return dn_equal(a, b, false);
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* "*.example.org", "*@example.org": swanctl's wildcards in FQDN and email identities. */
static bool text_match(const char *pattern, const struct ike_id *peer)
{
	char text[IKE_ID_MAX + 1];
	if (memchr(peer->data, '\0', peer->len))
		return false;
	memcpy(text, peer->data, peer->len);
	text[peer->len] = '\0';
	return fnmatch(pattern, text, FNM_CASEFOLD) == 0;
}

bool identity_matches(const char *configured, const struct ike_id *peer)
{
	struct ike_id want;
	if (configured[0] == '\0' || strcmp(configured, "%any") == 0)
		return true;
	if (!identity_from_string(configured, &want) || want.type != peer->type)
		return false;
	if (want.type == ID_DER_ASN1_DN)
		return dn_equal(&want, peer, true);
	if ((want.type == ID_FQDN || want.type == ID_RFC822_ADDR) && strchr(configured, '*'))
		return text_match(configured[0] == '@' ? configured + 1 : configured, peer);
	return identity_equal(&want, peer);
}
