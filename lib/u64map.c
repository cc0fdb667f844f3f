/* SPDX-License-Identifier: BSD-3-Clause */
#include "u64map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static uint32_t home(const struct u64map *m, uint64_t key)
{
	/* Fibonacci hashing: owners and pointers are often sequential or aligned. */
	return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & m->mask;
}

void u64map_init(struct u64map *m)
{
	memset(m, 0, sizeof(*m));
}

void u64map_free(struct u64map *m)
{
	free(m->slots);
	u64map_init(m);
}

static struct u64map_slot *find(const struct u64map *m, uint64_t key)
{
	if (m->slots == NULL)
		return NULL;
	for (uint32_t i = home(m, key);; i = (i + 1) & m->mask) {
		struct u64map_slot *s = &m->slots[i];
		if (s->val == NULL)
			return NULL;
		if (s->key == key)
			return s;
	}
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
	struct u64map_slot *s = find(m, key);
	return s ? s->val : NULL;
}

static void place(struct u64map *m, uint64_t key, void *val)
{
	uint32_t i = home(m, key);
	while (m->slots[i].val != NULL)
		i = (i + 1) & m->mask;
	m->slots[i] = (struct u64map_slot){ key, val };
	m->n++;
}

static int grow(struct u64map *m)
{
	uint32_t cap = m->slots ? (m->mask + 1) * 2 : 64;
	struct u64map old = *m;
	struct u64map_slot *s = calloc(cap, sizeof(*s));
	if (s == NULL)
		return -1;
	m->slots = s;
	m->mask = cap - 1;
	m->n = 0;
	for (uint32_t i = 0; old.slots && i <= old.mask; i++)
		if (old.slots[i].val != NULL)
			place(m, old.slots[i].key, old.slots[i].val);
	free(old.slots);
	return 0;
}

int u64map_put(struct u64map *m, uint64_t key, void *val)
{
	struct u64map_slot *s = find(m, key);
	if (s != NULL) {
		s->val = val;
		return 0;
	}
	/* at most 3/4 full, so probe runs stay short */
	if ((m->slots == NULL || (m->n + 1) * 4 > (m->mask + 1) * 3) && grow(m) < 0)
		return -1;
	place(m, key, val);
	return 0;
}

void u64map_count(struct u64map *m, uint64_t key, int by)
{
	uintptr_t n = (uintptr_t)u64map_get(m, key);
	if (by < 0 && n <= (uintptr_t)-(intptr_t)by)
		u64map_del(m, key);
	else if (by != 0)
		u64map_put(m, key, (void *)(n + (uintptr_t)(intptr_t)by));
}

void u64map_del(struct u64map *m, uint64_t key)
{
	struct u64map_slot *s = find(m, key);
	if (s == NULL)
		return;
	uint32_t hole = (uint32_t)(s - m->slots);
	/* Shift back every later entry of the run that may sit in the hole without passing its home. */
	for (uint32_t i = (hole + 1) & m->mask; m->slots[i].val != NULL; i = (i + 1) & m->mask) {
		uint32_t h = home(m, m->slots[i].key);
		bool movable = hole <= i ? (h <= hole || h > i) : (h <= hole && h > i);
		if (movable) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole] = (struct u64map_slot){ 0, NULL };
	m->n--;
}

size_t u64map_bytes(const struct u64map *m)
{
	return m->slots ? (size_t)(m->mask + 1) * sizeof(struct u64map_slot) : 0;
}

void u64map_link_leave(struct u64map *m, struct u64map_link *l)
{
	if (!l->in)
		return;
	if (l->prev)
		l->prev->next = l->next;
	else if (l->next)
		u64map_put(m, l->key, l->next); /* replaces: needs no memory */
	else
		u64map_del(m, l->key);
	if (l->next)
		l->next->prev = l->prev;
	l->next = l->prev = NULL;
	l->in = 0;
}

void u64map_link_join(struct u64map *m, struct u64map_link *l, uint64_t key)
{
	u64map_link_leave(m, l);
	l->key = key;
	struct u64map_link *head = u64map_get(m, key);
	if (u64map_put(m, key, l) < 0)
		return;
	l->next = head;
	if (head)
		head->prev = l;
	l->in = 1;
}

void u64chains_free(struct u64chains *c)
{
	u64map_free(&c->heads);
	free(c->e);
	c->e = NULL;
	c->n = 0;
}

int u64chains_add(struct u64chains *c, uint64_t key, int val)
{
	if ((c->n & (c->n - 1)) == 0) { /* grows at each power of two */
		struct u64chain_entry *e = realloc(c->e, (size_t)(c->n ? 2 * c->n : 16) * sizeof(*e));
		if (e == NULL)
			return -1;
		c->e = e;
	}
	c->e[c->n] = (struct u64chain_entry){ .val = val, .next = u64chains_first(c, key) };
	if (u64map_put(&c->heads, key, (void *)(uintptr_t)(c->n + 1)) < 0)
		return -1;
	c->n++;
	return 0;
}

int u64chains_first(const struct u64chains *c, uint64_t key)
{
	return (int)(uintptr_t)u64map_get(&c->heads, key) - 1;
}
