/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deadlines of many objects, earliest first: a binary min-heap of entries embedded in the
 * objects, each knowing its place so that it can be moved or taken out in O(log n). The control
 * core's timers use it so that a tick costs what is due, not a walk over every SA.
 * Single-threaded.
 */
#ifndef DPIKE_LIB_TIMER_HEAP_H
#define DPIKE_LIB_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMER_NEVER UINT64_MAX

struct timer_entry {
	uint64_t due; /* TIMER_NEVER while not queued */
	uint32_t pos; /* index in the heap, meaningful while queued */
};

struct timer_heap {
	struct timer_entry **v;
	uint32_t n, cap;
};

void timer_heap_init(struct timer_heap *h);
void timer_heap_free(struct timer_heap *h);
void timer_entry_init(struct timer_entry *e);
/*
 * Room for n entries in all, so that scheduling them cannot fail later: an owner reserves its
 * place when the object is made, where running out of memory can still be told. -1: no memory.
 */
int timer_heap_reserve(struct timer_heap *h, uint32_t n);
/*
 * Queues e for due, or moves it there if queued; TIMER_NEVER takes it out. -1 only when e was
 * not queued, the room was not reserved and growing failed.
 */
int timer_heap_set(struct timer_heap *h, struct timer_entry *e, uint64_t due);
/* Moves e to due only if that is earlier than where it is (or it is not queued). */
int timer_heap_advance(struct timer_heap *h, struct timer_entry *e, uint64_t due);
/* Takes out and returns the earliest entry due at or before now; NULL when none is. */
struct timer_entry *timer_heap_pop_due(struct timer_heap *h, uint64_t now);
/*
 * Queues an entry just popped and handled at now again for due; a due already passed (a timer
 * that could not act yet) becomes now + 1, the next tick, so one tick never loops on it.
 */
void timer_heap_requeue(struct timer_heap *h, struct timer_entry *e, uint64_t due, uint64_t now);

static inline uint64_t timer_earliest(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline bool timer_entry_queued(const struct timer_entry *e)
{
	return e->due != TIMER_NEVER;
}

#endif
