/* SPDX-License-Identifier: BSD-3-Clause */
#include "sa_slab.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_malloc.h>

#define LINE RTE_CACHE_LINE_SIZE
#define N_CLASSES (SA_SLAB_MAX_BYTES / LINE)
/*
 * A chunk is aligned to its size, so an object finds its chunk by masking its address. It asks
 * DPDK for two lines less than that: DPDK puts its element header in the line before the data,
 * and chunks allocated one after another then sit back to back instead of a gap apart.
 */
#define CHUNK_USED_BYTES (SA_SLAB_CHUNK_BYTES - 2 * LINE)

struct chunk {
	struct chunk *prev, *next; /* in its class's list of chunks with a free object */
	void *free;                /* freed objects, linked through their first word */
	uint32_t used;             /* objects handed out */
	uint32_t carved;           /* objects ever handed out: the rest lie untouched after them */
	uint32_t capacity;
	uint32_t size;             /* of an object, whole lines */
} __rte_cache_aligned;

struct size_class {
	struct chunk *partial; /* chunks with a free object, the one to take from first */
	struct chunk *spare;   /* an empty chunk kept back, not on the list */
};

static struct size_class classes[N_CLASSES];
static size_t n_chunks, n_objects, large_bytes;

static void unlink_chunk(struct size_class *sc, struct chunk *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		sc->partial = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void push_chunk(struct size_class *sc, struct chunk *c)
{
	c->prev = NULL;
	c->next = sc->partial;
	if (sc->partial)
		sc->partial->prev = c;
	sc->partial = c;
}

static struct chunk *new_chunk(struct size_class *sc, uint32_t size)
{
	struct chunk *c = sc->spare;
	if (c != NULL) {
		sc->spare = NULL;
		return c;
	}
	c = rte_malloc("sa_slab", CHUNK_USED_BYTES, SA_SLAB_CHUNK_BYTES);
	if (c == NULL)
		return NULL;
	/*
	 * Its pages faulted in by one call rather than one fault each as SAs are first written:
	 * in a virtual machine a fault is a trap the hypervisor may see, a million SA pairs make
	 * 750,000 of them (installs 76,000-81,000 -> 104,000-113,000 pairs/s on a Firecracker guest,
	 * docs/PERFORMANCE.md). A hint: a kernel before 5.14 refuses it, and the pages then fault as before.
	 */
	madvise(c, CHUNK_USED_BYTES & ~(size_t)4095, MADV_POPULATE_WRITE);
	memset(c, 0, sizeof(*c));
	c->size = size;
	c->capacity = (CHUNK_USED_BYTES - sizeof(*c)) / size;
	n_chunks++;
	return c;
}

static void *take(struct chunk *c)
{
	void *p = c->free;
	if (p != NULL)
		c->free = *(void **)p;
	else
		p = (char *)(c + 1) + (size_t)c->carved++ * c->size;
	c->used++;
	return p;
}

void *sa_slab_zalloc(size_t size)
{
	if (size == 0 || size > SA_SLAB_MAX_BYTES) {
		void *p = rte_zmalloc("esp_sa", size, LINE);
		large_bytes += p ? size : 0;
		return p;
	}
	uint32_t lines = (uint32_t)RTE_ALIGN_CEIL(size, LINE) / LINE;
	struct size_class *sc = &classes[lines - 1];
	if (sc->partial == NULL) {
		struct chunk *c = new_chunk(sc, lines * LINE);
		if (c == NULL)
			return NULL;
		push_chunk(sc, c);
	}
	struct chunk *c = sc->partial;
	void *p = take(c);
	if (c->used == c->capacity)
		unlink_chunk(sc, c);
	n_objects++;
	return memset(p, 0, c->size);
}

/* An empty chunk: the class keeps one back, and gives further ones to DPDK. */
static void release_chunk(struct size_class *sc, struct chunk *c)
{
	unlink_chunk(sc, c);
	if (sc->spare == NULL) {
		sc->spare = c;
		return;
	}
	rte_free(c);
	n_chunks--;
}

void sa_slab_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size == 0 || size > SA_SLAB_MAX_BYTES) {
		rte_free(p);
		large_bytes -= size;
		return;
	}
	struct chunk *c = (struct chunk *)RTE_ALIGN_FLOOR((uintptr_t)p, SA_SLAB_CHUNK_BYTES);
	struct size_class *sc = &classes[c->size / LINE - 1];
	if (c->used == c->capacity)
		push_chunk(sc, c);
	*(void **)p = c->free;
	c->free = p;
	c->used--;
	n_objects--;
	if (c->used == 0)
		release_chunk(sc, c);
}

void sa_slab_usage(struct sa_slab_usage *u)
{
	u->chunks = n_chunks;
	u->objects = n_objects;
	u->large_bytes = large_bytes;
}

size_t sa_slab_bytes(void)
{
	return n_chunks * SA_SLAB_CHUNK_BYTES + large_bytes;
}
