/* SPDX-License-Identifier: BSD-3-Clause */
#include "pool.h"

#include <stdlib.h>
#include <string.h>

#include "ike/identity.h"
#include "lib/u64map.h"

#define NONE UINT32_MAX

struct lease {
	uint8_t *id; /* the identity it was last leased to; NULL: never leased */
	size_t id_len;
	uint64_t id_hash;
	uint32_t users;            /* IKE SAs holding it now */
	uint32_t lru_prev, lru_next; /* offline leases, the longest unused first */
};

struct pool {
	uint32_t base, size;
	uint32_t next_unused; /* addresses from here on have never been leased */
	uint32_t online;
	struct lease *leases;
	struct u64map by_id; /* identity hash -> lease index + 1 */
	uint32_t lru_head, lru_tail;
};

struct ike_pools {
	int n;
	struct pool pools[];
};

static uint64_t id_hash(const uint8_t *id, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ id[i]) * 0x100000001b3ull;
	return h;
}

struct ike_pools *ike_pools_create(const struct dpike_config *cfg)
{
	struct ike_pools *p = calloc(1, sizeof(*p) + (size_t)cfg->n_pools * sizeof(p->pools[0]));
	if (p == NULL)
		return NULL;
	for (int i = 0; i < cfg->n_pools; i++) {
		struct pool *o = &p->pools[i];
		o->base = cfg->pools[i].base;
		o->size = cfg->pools[i].size;
		o->lru_head = o->lru_tail = NONE;
		u64map_init(&o->by_id);
		o->leases = calloc(o->size, sizeof(o->leases[0])); /* pages come as they are touched */
		p->n++;
		if (o->leases == NULL) {
			ike_pools_free(p);
			return NULL;
		}
	}
	return p;
}

void ike_pools_free(struct ike_pools *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < p->n; i++) {
		struct pool *o = &p->pools[i];
		for (uint32_t k = 0; o->leases && k < o->next_unused; k++)
			free(o->leases[k].id);
		free(o->leases);
		u64map_free(&o->by_id);
	}
	free(p);
}

static void lru_remove(struct pool *o, uint32_t k)
{
	struct lease *l = &o->leases[k];
	if (l->lru_prev != NONE)
		o->leases[l->lru_prev].lru_next = l->lru_next;
	else
		o->lru_head = l->lru_next;
	if (l->lru_next != NONE)
		o->leases[l->lru_next].lru_prev = l->lru_prev;
	else
		o->lru_tail = l->lru_prev;
}

static void lru_append(struct pool *o, uint32_t k)
{
	struct lease *l = &o->leases[k];
	l->lru_prev = o->lru_tail;
	l->lru_next = NONE;
	if (o->lru_tail != NONE)
		o->leases[o->lru_tail].lru_next = k;
	else
		o->lru_head = k;
	o->lru_tail = k;
}

/* The identity's lease, if it has one (online or not). */
static uint32_t lease_of(const struct pool *o, const uint8_t *id, size_t len, uint64_t h)
{
	uintptr_t v = (uintptr_t)u64map_get(&o->by_id, h);
	if (v == 0)
		return NONE;
	const struct lease *l = &o->leases[v - 1];
	return l->id_len == len && memcmp(l->id, id, len) == 0 ? (uint32_t)(v - 1) : NONE;
}

/* A lease for a new identity: a never-used address, else the longest-unused one given up. */
static uint32_t lease_new(struct pool *o)
{
	if (o->next_unused < o->size) {
		struct lease *l = &o->leases[o->next_unused];
		l->lru_prev = l->lru_next = NONE;
		return o->next_unused++;
	}
	uint32_t k = o->lru_head;
	if (k == NONE)
		return NONE;
	lru_remove(o, k);
	struct lease *l = &o->leases[k];
	if ((uintptr_t)u64map_get(&o->by_id, l->id_hash) == (uintptr_t)k + 1)
		u64map_del(&o->by_id, l->id_hash);
	free(l->id);
	l->id = NULL;
	return k;
}

bool ike_pool_acquire(struct ike_pools *p, int pool, const uint8_t *id, size_t id_len, uint32_t *addr)
{
	if (p == NULL || pool < 0 || pool >= p->n)
		return false;
	struct pool *o = &p->pools[pool];
	uint64_t h = id_hash(id, id_len);
	uint32_t k = lease_of(o, id, id_len, h);
	if (k != NONE) {
		struct lease *l = &o->leases[k];
		if (l->users++ == 0) {
			lru_remove(o, k);
			o->online++;
		}
		*addr = o->base + k;
		return true;
	}
	uint8_t *copy = malloc(id_len ? id_len : 1);
	if (copy == NULL || (k = lease_new(o)) == NONE) {
		free(copy);
		return false;
	}
	struct lease *l = &o->leases[k];
	memcpy(copy, id, id_len);
	l->id = copy;
	l->id_len = id_len;
	l->id_hash = h;
	l->users = 1;
	o->online++;
	if (u64map_get(&o->by_id, h) == NULL) /* a hash shared with another identity: that one keeps it */
		u64map_put(&o->by_id, h, (void *)((uintptr_t)k + 1));
	*addr = o->base + k;
	return true;
}

void ike_pool_release(struct ike_pools *p, int pool, uint32_t addr)
{
	if (p == NULL || pool < 0 || pool >= p->n)
		return;
	struct pool *o = &p->pools[pool];
	uint32_t k = addr - o->base;
	if (addr < o->base || k >= o->next_unused || o->leases[k].users == 0)
		return;
	if (--o->leases[k].users == 0) {
		lru_append(o, k);
		o->online--;
	}
}

void ike_pool_hold(struct ike_pools *p, int pool, uint32_t addr)
{
	if (p == NULL || pool < 0 || pool >= p->n)
		return;
	struct pool *o = &p->pools[pool];
	uint32_t k = addr - o->base;
	if (addr >= o->base && k < o->next_unused && o->leases[k].users > 0)
		o->leases[k].users++;
}

void ike_pool_usage(const struct ike_pools *p, int pool, uint32_t *online, uint32_t *leased)
{
	*online = *leased = 0;
	if (p && pool >= 0 && pool < p->n) {
		*online = p->pools[pool].online;
		*leased = p->pools[pool].next_unused;
	}
}

bool ike_pool_lease(struct ike_pools *p, const struct cfg_connection *c, const struct ike_id *id, uint32_t *addr,
		    int *pool)
{
	uint8_t key[1 + IKE_ID_MAX];
	key[0] = id->type;
	memcpy(key + 1, id->data, id->len);
	for (int i = 0; i < c->n_pools; i++)
		if (ike_pool_acquire(p, c->pools[i], key, 1u + id->len, addr)) {
			*pool = c->pools[i];
			return true;
		}
	return false;
}
