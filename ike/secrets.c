/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared secrets by identity. A concentrator may hold a PSK for each of tens of thousands of
 * peers, or a password for each of its users; a scan of them all (and a parse of every id) for
 * each authentication would cap the handshake rate at a few hundred a second. The index
 * (struct cfg_secret_index) is built on first use from the secrets array it goes with; a
 * candidate it finds is then checked in full, so a hash collision costs a compare, never a
 * wrong secret. DN ids compare as DNs (spelling and string types aside), not by their bytes:
 * secrets with those are few and checked at every lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "secrets.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

/* Keys of IKE identities and of user names never meet: each starts from its secret type. */
static uint64_t id_key(const struct ike_id *id)
{
	uint8_t head[2] = { SECRET_IKE, id->type };
	return fnv(fnv(FNV_OFFSET, head, sizeof(head)), id->data, id->len < sizeof(id->data) ? id->len : sizeof(id->data));
}

static uint64_t user_key(int type, const uint8_t *user, size_t len)
{
	uint8_t head[2] = { (uint8_t)type, 0 };
	return fnv(fnv(FNV_OFFSET, head, sizeof(head)), user, len);
}

static bool add_always(struct cfg_secret_index *x, int secret)
{
	if (x->n_always && x->always[x->n_always - 1] == secret)
		return true;
	int *a = realloc(x->always, (size_t)(x->n_always + 1) * sizeof(*a));
	if (a == NULL)
		return false;
	x->always = a;
	x->always[x->n_always++] = secret;
	return true;
}

static bool index_ike_secret(struct cfg_secret_index *x, const struct cfg_secret *s, int i)
{
	if (s->n_ids == 0) {
		if (x->anonymous < 0)
			x->anonymous = i;
		return true;
	}
	for (int k = 0; k < s->n_ids; k++) {
		struct ike_id id;
		if (!identity_from_string(s->ids[k], &id))
			continue; /* it can match nothing */
		if (!(id.type == ID_DER_ASN1_DN ? add_always(x, i) : u64chains_add(&x->by_key, id_key(&id), i) == 0))
			return false;
	}
	return true;
}

static bool index_secret(struct cfg_secret_index *x, const struct cfg_secret *s, int i)
{
	if (s->type == SECRET_IKE)
		return index_ike_secret(x, s, i);
	for (int k = 0; (s->type == SECRET_XAUTH || s->type == SECRET_EAP) && k < s->n_ids; k++)
		if (u64chains_add(&x->by_key, user_key(s->type, (const uint8_t *)s->ids[k], strlen(s->ids[k])), i) < 0)
			return false;
	return true;
}

/* The index of cfg's secrets, built now if need be; NULL without memory (lookups then scan). */
static const struct cfg_secret_index *index_of(const struct dpike_config *cfg)
{
	/* a cache of the secrets' own content, so the lookups take the configuration as it is: const */
	struct cfg_secret_index *x = (struct cfg_secret_index *)&cfg->secret_index;
	if (x->built && x->of == cfg->secrets && x->n_of == cfg->n_secrets)
		return x;
	config_secret_index_free(x);
	x->of = cfg->secrets;
	x->n_of = cfg->n_secrets;
	x->anonymous = -1;
	for (int i = 0; i < cfg->n_secrets; i++)
		if (!index_secret(x, &cfg->secrets[i], i)) {
			config_secret_index_free(x);
			return NULL;
		}
	x->built = true;
	return x;
}

/* A secret's rank for this pair of identities: both listed 3, the peer 2, us 1, none 0; -1 if it names others only. */
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

struct psk_choice {
	const struct dpike_config *cfg;
	const struct ike_id *local, *remote;
	int best, rank;
};

static void consider(struct psk_choice *c, int i)
{
	if (i < 0 || i == c->best)
		return;
	int r = secret_rank(&c->cfg->secrets[i], c->local, c->remote);
	if (r > c->rank || (r == c->rank && r >= 0 && i < c->best)) {
		c->rank = r;
		c->best = i;
	}
}

static void consider_listed(struct psk_choice *c, const struct cfg_secret_index *x, const struct ike_id *id)
{
	if (id->type == ID_DER_ASN1_DN)
		return; /* DN ids are in x->always */
	for (int e = u64chains_first(&x->by_key, id_key(id)); e >= 0; e = x->by_key.e[e].next)
		consider(c, x->by_key.e[e].val);
}

static const struct cfg_secret *psk_scan(const struct dpike_config *cfg, const struct ike_id *local,
					 const struct ike_id *remote)
{
	struct psk_choice c = { .cfg = cfg, .local = local, .remote = remote, .best = -1, .rank = -1 };
	for (int i = 0; i < cfg->n_secrets; i++)
		consider(&c, i);
	return c.best >= 0 ? &cfg->secrets[c.best] : NULL;
}

const struct cfg_secret *psk_lookup(const struct dpike_config *cfg, const struct ike_id *local,
				    const struct ike_id *remote)
{
	const struct cfg_secret_index *x = index_of(cfg);
	if (x == NULL)
		return psk_scan(cfg, local, remote);
	struct psk_choice c = { .cfg = cfg, .local = local, .remote = remote, .best = -1, .rank = -1 };
	consider(&c, x->anonymous);
	consider_listed(&c, x, remote);
	consider_listed(&c, x, local);
	for (int k = 0; k < x->n_always; k++)
		consider(&c, x->always[k]);
	return c.best >= 0 ? &cfg->secrets[c.best] : NULL;
}

static bool names_user(const struct cfg_secret *s, int type, const uint8_t *user, size_t len)
{
	for (int k = 0; (int)s->type == type && k < s->n_ids; k++)
		if (strlen(s->ids[k]) == len && memcmp(s->ids[k], user, len) == 0)
			return true;
	return false;
}

/* The first secret of the type that names the user. */
static const struct cfg_secret *user_secret(const struct dpike_config *cfg, int type, const uint8_t *user, size_t len)
{
	const struct cfg_secret_index *x = index_of(cfg);
	int best = -1;
	if (x == NULL) {
		for (int i = 0; i < cfg->n_secrets && best < 0; i++)
			best = names_user(&cfg->secrets[i], type, user, len) ? i : -1;
		return best >= 0 ? &cfg->secrets[best] : NULL;
	}
	const struct u64chains *by_key = &x->by_key;
	for (int e = u64chains_first(by_key, user_key(type, user, len)); e >= 0; e = by_key->e[e].next) {
		int i = by_key->e[e].val;
		if ((best < 0 || i < best) && names_user(&cfg->secrets[i], type, user, len))
			best = i;
	}
	return best >= 0 ? &cfg->secrets[best] : NULL;
}

const struct cfg_secret *xauth_secret_lookup(const struct dpike_config *cfg, const uint8_t *user, size_t len)
{
	return user_secret(cfg, SECRET_XAUTH, user, len);
}

const struct cfg_secret *eap_secret_lookup(const struct dpike_config *cfg, const uint8_t *user, size_t len)
{
	return user_secret(cfg, SECRET_EAP, user, len);
}
