/* SPDX-License-Identifier: BSD-3-Clause */
#include "timer_heap.h"

#include <stdlib.h>

void timer_heap_init(struct timer_heap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void timer_heap_free(struct timer_heap *h)
{
	free(h->v);
	timer_heap_init(h);
}

void timer_entry_init(struct timer_entry *e)
{
	e->due = TIMER_NEVER;
	e->pos = 0;
}

int timer_heap_reserve(struct timer_heap *h, uint32_t n)
{
	if (n <= h->cap)
		return 0;
	uint32_t cap = h->cap ? h->cap : 64;
	while (cap < n)
		cap = cap > UINT32_MAX / 2 ? n : cap * 2;
	struct timer_entry **v = realloc(h->v, (size_t)cap * sizeof(*v));
	if (v == NULL)
		return -1;
	h->v = v;
	h->cap = cap;
	return 0;
}

static void place(struct timer_heap *h, uint32_t i, struct timer_entry *e)
{
	h->v[i] = e;
	e->pos = i;
}

static void sift_up(struct timer_heap *h, uint32_t i)
{
	struct timer_entry *e = h->v[i];
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (h->v[parent]->due <= e->due)
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, e);
}

static void sift_down(struct timer_heap *h, uint32_t i)
{
	struct timer_entry *e = h->v[i];
	for (;;) {
		uint32_t child = 2 * i + 1;
		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->v[child + 1]->due < h->v[child]->due)
			child++;
		if (e->due <= h->v[child]->due)
			break;
		place(h, i, h->v[child]);
		i = child;
	}
	place(h, i, e);
}

static void take_out(struct timer_heap *h, struct timer_entry *e)
{
	uint32_t i = e->pos;
	struct timer_entry *last = h->v[--h->n];
	e->due = TIMER_NEVER;
	if (last == e)
		return;
	place(h, i, last);
	sift_down(h, i);
	sift_up(h, last->pos);
}

int timer_heap_set(struct timer_heap *h, struct timer_entry *e, uint64_t due)
{
	if (!timer_entry_queued(e)) {
		if (due == TIMER_NEVER)
			return 0;
		if (h->n == h->cap && timer_heap_reserve(h, h->n + 1) < 0)
			return -1; /* not when the owner reserved its room */
		e->due = due;
		place(h, h->n++, e);
		sift_up(h, e->pos);
		return 0;
	}
	if (due == TIMER_NEVER) {
		take_out(h, e);
		return 0;
	}
	uint64_t was = e->due;
	e->due = due;
	if (due < was)
		sift_up(h, e->pos);
	else
		sift_down(h, e->pos);
	return 0;
}

int timer_heap_advance(struct timer_heap *h, struct timer_entry *e, uint64_t due)
{
	return due < e->due ? timer_heap_set(h, e, due) : 0;
}

void timer_heap_requeue(struct timer_heap *h, struct timer_entry *e, uint64_t due, uint64_t now)
{
	timer_heap_set(h, e, due == TIMER_NEVER || due > now ? due : now + 1);
}

struct timer_entry *timer_heap_pop_due(struct timer_heap *h, uint64_t now)
{
	if (h->n == 0 || h->v[0]->due > now)
		return NULL;
	struct timer_entry *e = h->v[0];
	take_out(h, e);
	return e;
}
