/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A map from 64-bit keys to non-NULL pointers: open addressing with linear probing and
 * backward-shift deletion, so lookups never wade through tombstones after many removals.
 * It grows by doubling. Single-threaded: for the control core's indexes.
 */
#ifndef DPIKE_LIB_U64MAP_H
#define DPIKE_LIB_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
	uint64_t key;
	void *val; /* NULL: empty */
};

struct u64map {
	struct u64map_slot *slots;
	uint32_t n, mask;
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);
void *u64map_get(const struct u64map *m, uint64_t key);
/* Sets or replaces key's value (val must not be NULL); -1 when out of memory. */
int u64map_put(struct u64map *m, uint64_t key, void *val);
void u64map_del(struct u64map *m, uint64_t key);
/*
 * A count kept as key's value (absent: 0): adds by, and takes the key out when the count
 * reaches 0 or would go below. Out of memory only leaves an increment uncounted.
 */
void u64map_count(struct u64map *m, uint64_t key, int by);
/* Bytes the map holds. */
size_t u64map_bytes(const struct u64map *m);

/*
 * Lists by key: the map holds each key's first entry, and the entries (a link inside each object)
 * chain to the rest. The objects that share a hash share a list; callers compare what they need.
 */
struct u64map_link {
	struct u64map_link *next, *prev;
	uint64_t key;
	int in; /* 1 while in a list */
};

/* Puts l first in key's list, out of any list it was in; without memory it is left out of all. */
void u64map_link_join(struct u64map *m, struct u64map_link *l, uint64_t key);
void u64map_link_leave(struct u64map *m, struct u64map_link *l);

/*
 * Values (ints) listed by key in one array, each key's newest first: for indexes built once and
 * read many times, with no object of their own to hold a link.
 */
struct u64chain_entry {
	int val, next; /* next: the entry after it under the same key, -1 for none */
};

struct u64chains {
	struct u64map heads; /* key -> 1 + its newest entry */
	struct u64chain_entry *e;
	int n;
};

void u64chains_free(struct u64chains *c);
/* Puts val first under key; -1 when out of memory. */
int u64chains_add(struct u64chains *c, uint64_t key, int val);
/* The newest entry under key (then on through e[].next); -1 for none. */
int u64chains_first(const struct u64chains *c, uint64_t key);

#endif
