/* SPDX-License-Identifier: BSD-3-Clause */
#include "identity.h"

#include <stdio.h>
#include <string.h>

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

bool identity_from_string(const char *s, struct ike_id *id)
{
	uint32_t a;
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
	default:
		break;
	}
	size_t off = (size_t)snprintf(buf, len, "@#");
	for (uint16_t i = 0; i < id->len && off + 2 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%02x", id->data[i]);
}

bool identity_equal(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

bool identity_matches(const char *configured, const struct ike_id *peer)
{
	struct ike_id want;
	if (configured[0] == '\0' || strcmp(configured, "%any") == 0)
		return true;
	return identity_from_string(configured, &want) && identity_equal(&want, peer);
}

/* A secret's rank for this pair of identities: both listed beats one beats none; -1 if it names others only. */
static int secret_rank(const struct cfg_secret *s, const struct ike_id *local, const struct ike_id *remote)
{
	if (s->type != SECRET_IKE)
		return -1;
	if (s->n_ids == 0)
		return 0;
	int rank = 0;
	for (int i = 0; i < s->n_ids; i++) {
		struct ike_id id;
		if (!identity_from_string(s->ids[i], &id))
			continue;
		if (identity_equal(&id, remote))
			rank |= 2;
		if (identity_equal(&id, local))
			rank |= 1;
	}
	return rank ? rank : -1;
}

const struct cfg_secret *psk_lookup(const struct dpike_config *cfg, const struct ike_id *local,
				    const struct ike_id *remote)
{
	const struct cfg_secret *best = NULL;
	int best_rank = -1;
	for (int i = 0; i < cfg->n_secrets; i++) {
		int r = secret_rank(&cfg->secrets[i], local, remote);
		if (r > best_rank) {
			best_rank = r;
			best = &cfg->secrets[i];
		}
	}
	return best;
}

