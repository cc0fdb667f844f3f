/* SPDX-License-Identifier: BSD-3-Clause */
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/u64map.h"
#include "sa_slab.h"

#define RETIRE_QUEUE (1u << 16)

/* A thing to free once no worker can see it. */
struct retired {
	void (*fn)(void *);
	void *ptr;
};

#define NEIGH_NONE UINT32_MAX

/*
 * Beside each neighbour: whether it was configured (never displaced by ARP), when it was last
 * set or confirmed (for dpikectl), and for a learned one its place in the list of learned
 * neighbours, from the one confirmed longest ago (the one a full table gives up) to the latest.
 */
struct neigh_seen {
	uint64_t ms;
	uint32_t prev, next; /* indexes; NEIGH_NONE at the ends of the list */
	bool configured;
};

/* A growable array of fixed-size elements, for the master copies. */
struct vec {
	void *data;
	uint32_t n, cap;
	size_t esize;
};

static struct {
	unsigned n_workers;
	struct dp_tables *w[DP_MAX_WORKERS];
	struct rte_rcu_qsbr *qsv;
	struct rte_rcu_qsbr_dq *dq;
	struct dp_spd *spd;      /* shared by the workers, changed in place */
	struct dp_sad *sad;      /* inbound SAs by SPI, shared by the workers */
	struct vec routes, neigh;
	struct vec neigh_seen;     /* struct neigh_seen beside each neighbour, same index */
	struct u64map neigh_index; /* (ip, port) -> index + 1 */
	uint32_t stalest, latest;  /* the ends of the learned neighbours' list */
	uint32_t neigh_learned, neigh_max;
	struct dp_port_info ports[DP_MAX_PORTS];
	uint16_t n_ports;
	bool fib_dirty;
	uint32_t snapshots; /* FIB snapshots allocated and not yet freed (in use or retired) */
} T;

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 16;
		void *d = realloc(v->data, cap * v->esize);
		if (d == NULL)
			return NULL;
		v->data = d;
		v->cap = cap;
	}
	return (char *)v->data + v->esize * v->n++;
}

static void *vec_at(const struct vec *v, uint32_t i)
{
	return (char *)v->data + v->esize * i;
}

/* Removes element i by moving the last one into its place. */
static void vec_swap_remove(struct vec *v, uint32_t i)
{
	if (i + 1 < v->n)
		memcpy(vec_at(v, i), vec_at(v, v->n - 1), v->esize);
	v->n--;
}

static void free_retired(void *p, void *e, unsigned int n)
{
	(void)p;
	struct retired *r = e;
	for (unsigned int i = 0; i < n; i++)
		r[i].fn(r[i].ptr);
}

static void retire(void (*fn)(void *), void *ptr)
{
	struct retired r = { fn, ptr };
	if (ptr == NULL)
		return;
	while (rte_rcu_qsbr_dq_enqueue(T.dq, &r) != 0) {
		/* Queue full: wait for the workers rather than free something still in use. */
		rte_rcu_qsbr_synchronize(T.qsv, RTE_QSBR_THRID_INVALID);
		rte_rcu_qsbr_dq_reclaim(T.dq, RETIRE_QUEUE, NULL, NULL, NULL);
	}
}

static void free_sa(void *p)
{
	esp_sa_free(p);
}

int dp_tables_init(unsigned n_workers, struct dp_tables *per_worker[], struct rte_rcu_qsbr *qsv,
		   const struct dp_table_sizes *sizes)
{
	memset(&T, 0, sizeof(T));
	T.n_workers = n_workers;
	T.qsv = qsv;
	T.routes.esize = sizeof(struct dp_route);
	T.neigh.esize = sizeof(struct dp_neigh);
	T.neigh_seen.esize = sizeof(struct neigh_seen);
	T.neigh_max = sizes->neighbours;
	T.stalest = T.latest = NEIGH_NONE;
	u64map_init(&T.neigh_index);
	struct rte_rcu_qsbr_dq_parameters dp = {
		.name = "dp_retire",
		.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE,
		.size = RETIRE_QUEUE,
		.esize = sizeof(struct retired),
		.trigger_reclaim_limit = 64,
		.max_reclaim_size = 256,
		.free_fn = free_retired,
		.v = qsv,
	};
	T.dq = rte_rcu_qsbr_dq_create(&dp);
	if (T.dq == NULL || (T.sad = dp_sad_create(sizes->sas, (int)rte_socket_id())) == NULL ||
	    (T.spd = dp_spd_create("dp_spd", sizes->policies, qsv, retire)) == NULL)
		return -1;
	for (unsigned i = 0; i < n_workers; i++) {
		T.w[i] = per_worker[i];
		T.w[i]->sad = T.sad;
		T.w[i]->spd = T.spd;
	}
	T.fib_dirty = true;
	return dp_tables_commit();
}

static unsigned snapshots_in_use(const struct dp_fib *in_use[]);
static void free_snapshot(void *p);

void dp_tables_fini(void)
{
	const struct dp_fib *fibs[DP_MAX_WORKERS];
	for (unsigned k = snapshots_in_use(fibs); k-- > 0;)
		free_snapshot((void *)fibs[k]);
	for (unsigned i = 0; i < T.n_workers; i++) {
		T.w[i]->spd = NULL;
		T.w[i]->fib = NULL;
		T.w[i]->sad = NULL;
	}
	/* frees everything retired; it cannot while a worker is still online, and then frees nothing */
	if (T.dq && rte_rcu_qsbr_dq_delete(T.dq) != 0)
		LOG_ERR("tables: a worker still online; what was retired is not freed");
	dp_spd_free(T.spd);
	dp_sad_free(T.sad);
	free(T.routes.data);
	free(T.neigh.data);
	free(T.neigh_seen.data);
	u64map_free(&T.neigh_index);
	memset(&T, 0, sizeof(T));
}

struct esp_sa *dp_sa_install(const struct esp_sa_params *p, char *err, size_t err_len)
{
	if (p->inbound && dp_sad_find(T.sad, p->spi) != NULL) {
		snprintf(err, err_len, "inbound SPI 0x%08x is in use", p->spi);
		return NULL;
	}
	struct esp_sa *sa = esp_sa_create(p, err, err_len);
	if (sa == NULL || !p->inbound)
		return sa;
	if (dp_sad_add(T.sad, p->spi, sa) < 0) {
		if (T.sad->count >= T.sad->capacity)
			snprintf(err, err_len, "the SAD is full (workers.sad_size = %u)", T.sad->capacity);
		else
			snprintf(err, err_len, "no room for inbound SPI 0x%08x in the SAD", p->spi);
		esp_sa_free(sa); /* no worker has seen it */
		return NULL;
	}
	return sa;
}

int dp_sa_supersede(struct esp_sa *old_sa, struct esp_sa *new_sa, uint64_t old_owner, uint64_t new_owner)
{
	if (esp_sa_has(old_sa, ESP_SA_F_INBOUND) || esp_sa_has(new_sa, ESP_SA_F_INBOUND))
		return -1;
	return dp_spd_rekey(T.spd, old_owner, new_owner, old_sa, new_sa);
}

bool dp_sa_spi_preferred(uint32_t spi)
{
	return dp_sad_has_room(T.sad, spi);
}

void dp_sa_remove(struct esp_sa *sa)
{
	if (!esp_sa_has(sa, ESP_SA_F_INBOUND))
		dp_spd_remove_sa(T.spd, sa);
	else
		dp_sad_del(T.sad, sa->spi);
	retire(free_sa, sa);
}

int dp_policy_add(const struct dp_policy *p, uint64_t owner)
{
	return dp_spd_add(T.spd, p, owner);
}

void dp_policy_remove_owner(uint64_t owner)
{
	dp_spd_remove_owner(T.spd, owner);
}

void dp_fib_set_ports(const struct dp_port_info *ports, uint16_t n)
{
	memcpy(T.ports, ports, n * sizeof(*ports));
	T.n_ports = n;
	T.fib_dirty = true;
}

int dp_route_add(uint32_t prefix, uint8_t plen, uint32_t via, uint16_t port)
{
	struct dp_route *r = vec_push(&T.routes);
	if (r == NULL)
		return -1;
	*r = (struct dp_route){ .prefix = prefix & prefix_mask(plen), .mask = prefix_mask(plen), .via = via,
				.port = port, .plen = plen };
	T.fib_dirty = true;
	return 0;
}

static struct neigh_seen *seen_at(uint32_t i)
{
	return vec_at(&T.neigh_seen, i);
}

static uint64_t neigh_key(uint32_t ip, uint16_t port)
{
	return (uint64_t)ip << 16 | port;
}

static int64_t neigh_index_of(uint32_t ip, uint16_t port)
{
	uintptr_t v = (uintptr_t)u64map_get(&T.neigh_index, neigh_key(ip, port));
	return (int64_t)v - 1;
}

const struct dp_neigh *dp_neigh_find(uint32_t ip, uint16_t port)
{
	int64_t i = neigh_index_of(ip, port);
	return i < 0 ? NULL : vec_at(&T.neigh, (uint32_t)i);
}

/* Points the list links that lead to s (its neighbours' or the list's ends) at `after` and `before`. */
static void relink_around(const struct neigh_seen *s, uint32_t after, uint32_t before)
{
	*(s->prev != NEIGH_NONE ? &seen_at(s->prev)->next : &T.stalest) = after;
	*(s->next != NEIGH_NONE ? &seen_at(s->next)->prev : &T.latest) = before;
}

/* Takes learned neighbour i out of the list (a removal, a confirmation, or configured now). */
static void learned_unlink(uint32_t i)
{
	const struct neigh_seen *s = seen_at(i);
	relink_around(s, s->next, s->prev);
}

/* Puts learned neighbour i at the list's latest end. */
static void learned_append(uint32_t i)
{
	struct neigh_seen *s = seen_at(i);
	s->prev = T.latest;
	s->next = NEIGH_NONE;
	*(T.latest != NEIGH_NONE ? &seen_at(T.latest)->next : &T.stalest) = i;
	T.latest = i;
}

/* The neighbour now at index i came from another place: the list's links to it follow. */
static void learned_moved_to(uint32_t i)
{
	const struct neigh_seen *s = seen_at(i);
	if (!s->configured)
		relink_around(s, i, i);
}

static void neigh_remove(uint32_t i)
{
	const struct dp_neigh *gone = vec_at(&T.neigh, i);
	u64map_del(&T.neigh_index, neigh_key(gone->ip, gone->port));
	if (!seen_at(i)->configured) {
		learned_unlink(i);
		T.neigh_learned--;
	}
	vec_swap_remove(&T.neigh, i);
	vec_swap_remove(&T.neigh_seen, i);
	if (i < T.neigh.n) { /* the last one moved into i */
		const struct dp_neigh *moved = vec_at(&T.neigh, i);
		u64map_put(&T.neigh_index, neigh_key(moved->ip, moved->port), (void *)(uintptr_t)(i + 1));
		learned_moved_to(i);
	}
	T.fib_dirty = true;
}

unsigned dp_neigh_walk_stale(uint64_t older_ms, unsigned max, void (*fn)(const struct dp_neigh *, void *), void *ctx)
{
	uint64_t now = clock_mono_ms();
	unsigned n = 0;
	for (uint32_t i = T.stalest; i != NEIGH_NONE && n < max && now - seen_at(i)->ms >= older_ms; i = seen_at(i)->next) {
		fn(vec_at(&T.neigh, i), ctx);
		n++;
	}
	return n;
}

bool dp_neigh_learned_age(uint32_t ip, uint16_t port, uint64_t *age_ms)
{
	int64_t i = neigh_index_of(ip, port);
	if (i < 0 || seen_at((uint32_t)i)->configured)
		return false;
	*age_ms = clock_mono_ms() - seen_at((uint32_t)i)->ms;
	return true;
}

bool dp_neigh_forget(uint32_t ip, uint16_t port)
{
	int64_t i = neigh_index_of(ip, port);
	if (i < 0 || seen_at((uint32_t)i)->configured)
		return false;
	neigh_remove((uint32_t)i);
	return true;
}

/* Makes room by dropping the learned neighbour confirmed longest ago: the list's head. */
static bool neigh_evict_stalest(void)
{
	if (T.stalest == NEIGH_NONE)
		return false;
	neigh_remove(T.stalest);
	return true;
}

static int neigh_add(uint32_t ip, uint16_t port, const struct rte_ether_addr *mac, bool configured)
{
	struct dp_neigh *n = vec_push(&T.neigh);
	if (n == NULL)
		return -1;
	struct neigh_seen *s = vec_push(&T.neigh_seen);
	if (s == NULL || u64map_put(&T.neigh_index, neigh_key(ip, port), (void *)(uintptr_t)T.neigh.n) < 0) {
		T.neigh.n--;
		T.neigh_seen.n -= s != NULL;
		return -1;
	}
	*n = (struct dp_neigh){ .ip = ip, .port = port, .mac = *mac };
	*s = (struct neigh_seen){ .ms = clock_mono_ms(), .prev = NEIGH_NONE, .next = NEIGH_NONE, .configured = configured };
	if (!configured) {
		learned_append(T.neigh.n - 1);
		T.neigh_learned++;
	}
	T.fib_dirty = true;
	return 0;
}

/* A neighbour already there set again: configured now, or a learned one confirmed (the latest now). */
static void neigh_refresh(uint32_t i, const struct rte_ether_addr *mac, bool configured)
{
	struct neigh_seen *s = seen_at(i);
	learned_unlink(i);
	if (configured) {
		s->configured = true;
		T.neigh_learned--;
	} else {
		learned_append(i);
	}
	s->ms = clock_mono_ms();
	struct dp_neigh *n = vec_at(&T.neigh, i);
	if (!rte_is_same_ether_addr(&n->mac, mac)) {
		n->mac = *mac;
		T.fib_dirty = true;
	}
}

int dp_neigh_set(uint32_t ip, uint16_t port, const struct rte_ether_addr *mac, enum dp_neigh_origin origin)
{
	bool configured = origin == DP_NEIGH_STATIC;
	int64_t i = neigh_index_of(ip, port);
	if (i >= 0) {
		struct neigh_seen *was = seen_at((uint32_t)i);
		if (!was->configured) {
			neigh_refresh((uint32_t)i, mac, configured);
		} else if (configured) { /* configured again: a new MAC, maybe */
			was->ms = clock_mono_ms();
			struct dp_neigh *n = vec_at(&T.neigh, (uint32_t)i);
			T.fib_dirty |= !rte_is_same_ether_addr(&n->mac, mac);
			n->mac = *mac;
		} /* else ARP does not move a configured neighbour */
		return 0;
	}
	if (!configured && T.neigh_learned >= T.neigh_max && (origin == DP_NEIGH_HEARD || !neigh_evict_stalest()))
		return DP_NEIGH_FULL;
	return neigh_add(ip, port, mac, configured);
}

void dp_neigh_walk(void (*fn)(const struct dp_neigh_info *, void *), void *ctx)
{
	uint64_t now = clock_mono_ms();
	for (uint32_t i = 0; i < T.neigh.n; i++) {
		const struct neigh_seen *s = seen_at(i);
		struct dp_neigh_info info = { .n = *(const struct dp_neigh *)vec_at(&T.neigh, i),
					      .configured = s->configured,
					      .age_ms = s->configured ? 0 : now - s->ms };
		fn(&info, ctx);
	}
}

const struct dp_route *dp_route_lookup(uint32_t dst)
{
	const struct dp_route *best = NULL;
	for (uint32_t i = 0; i < T.routes.n; i++) {
		const struct dp_route *r = vec_at(&T.routes, i);
		if ((dst & r->mask) == r->prefix && (best == NULL || r->plen > best->plen))
			best = r;
	}
	return best;
}

bool dp_is_local(uint32_t addr)
{
	for (uint16_t i = 0; i < T.n_ports; i++)
		if (T.ports[i].addr == addr)
			return true;
	return false;
}

static int cmp_route(const void *a, const void *b)
{
	const struct dp_route *x = a, *y = b;
	return (int)y->plen - (int)x->plen;
}

/* Slots of an open-addressing table for count entries (routes of one length, neighbours): at most half full. */
static uint32_t len_slots(uint32_t count)
{
	uint32_t slots = 4;
	while (slots < 2 * count)
		slots *= 2;
	return slots;
}

/* Slots for all lengths, or 0 when the routes are few enough to walk (fib.h). */
static size_t fib_slots(const uint32_t per_len[33])
{
	size_t total = 0, lens = 0;
	for (int len = 0; len <= 32; len++)
		if (per_len[len]) {
			total += len_slots(per_len[len]);
			lens++;
		}
	return T.routes.n > DP_FIB_WALK_PER_LEN * lens ? total : 0;
}

static void fib_insert(struct dp_fib *f, struct dp_fib_len *l, uint32_t route)
{
	uint32_t h = dp_fib_slot(f->routes[route].prefix) & l->slot_mask;
	for (; l->slots[h] != 0; h = (h + 1) & l->slot_mask)
		if (f->routes[l->slots[h] - 1].prefix == f->routes[route].prefix)
			return; /* the same prefix again: the first one answers, as the walk would */
	l->slots[h] = route + 1;
}

/* The snapshot's neighbours by (ip, port); slots are zeroed. Neighbours are unique by (ip, port). */
static void index_neighbours(struct dp_fib *f)
{
	for (uint32_t i = 0; i < f->n_neigh; i++) {
		uint32_t h = dp_fib_neigh_slot(f->neigh[i].ip, f->neigh[i].port) & f->neigh_slot_mask;
		while (f->neigh_slots[h] != 0)
			h = (h + 1) & f->neigh_slot_mask;
		f->neigh_slots[h] = i + 1;
	}
}

/* One table per prefix length in use, longest first, over the sorted routes; slots are zeroed. */
static void index_routes(struct dp_fib *f, const uint32_t per_len[33], uint32_t *slots)
{
	for (int len = 32; len >= 0; len--) {
		if (per_len[len] == 0)
			continue;
		struct dp_fib_len *l = &f->lens[f->n_lens++];
		*l = (struct dp_fib_len){ .mask = prefix_mask((uint8_t)len), .slot_mask = len_slots(per_len[len]) - 1,
					  .slots = slots };
		slots += l->slot_mask + 1;
		for (uint32_t i = 0; i < f->n_routes; i++)
			if (f->routes[i].plen == len)
				fib_insert(f, l, i);
	}
}

/* In the socket's memory, or any when the socket has none left. */
static void *snapshot_alloc(size_t size, int socket)
{
	void *p = rte_zmalloc_socket("dp_fib", size, RTE_CACHE_LINE_SIZE, socket);
	if (p == NULL)
		p = rte_zmalloc("dp_fib", size, RTE_CACHE_LINE_SIZE);
	T.snapshots += p != NULL;
	return p;
}

static struct dp_fib *build_fib(int socket)
{
	uint32_t per_len[33] = { 0 };
	for (uint32_t i = 0; i < T.routes.n; i++)
		per_len[((const struct dp_route *)vec_at(&T.routes, i))->plen]++;
	size_t n_slots = fib_slots(per_len), neigh_slots = len_slots(T.neigh.n);
	size_t size = sizeof(struct dp_fib) + T.n_ports * sizeof(struct dp_local_addr) +
		      T.routes.n * sizeof(struct dp_route) + T.neigh.n * sizeof(struct dp_neigh) +
		      (neigh_slots + n_slots) * sizeof(uint32_t);
	struct dp_fib *f = snapshot_alloc(size, socket);
	if (f == NULL)
		return NULL;
	f->bytes = size;
	f->n_ports = T.n_ports;
	memcpy(f->ports, T.ports, sizeof(T.ports));
	f->local = (struct dp_local_addr *)(f + 1);
	f->routes = (struct dp_route *)(f->local + T.n_ports);
	f->neigh = (struct dp_neigh *)(f->routes + T.routes.n);
	f->neigh_slots = (uint32_t *)(f->neigh + T.neigh.n);
	f->neigh_slot_mask = (uint32_t)neigh_slots - 1;
	f->n_local = T.n_ports;
	f->min_mtu = DP_NO_ROUTE_MTU;
	for (uint16_t i = 0; i < T.n_ports; i++) {
		f->local[i] = (struct dp_local_addr){ T.ports[i].addr, i };
		f->min_mtu = RTE_MIN(f->min_mtu, T.ports[i].mtu);
	}
	f->n_routes = T.routes.n;
	f->n_neigh = T.neigh.n;
	if (T.routes.n) {
		memcpy(f->routes, T.routes.data, T.routes.n * sizeof(struct dp_route));
		qsort(f->routes, f->n_routes, sizeof(struct dp_route), cmp_route);
	}
	if (T.neigh.n)
		memcpy(f->neigh, T.neigh.data, T.neigh.n * sizeof(struct dp_neigh));
	index_neighbours(f);
	if (n_slots)
		index_routes(f, per_len, f->neigh_slots + neigh_slots);
	return f;
}

static void free_snapshot(void *p)
{
	T.snapshots--;
	rte_free(p);
}

/* A copy of snapshot src in memory of its own, its pointers moved along. */
static struct dp_fib *clone_fib(const struct dp_fib *src, int socket)
{
	struct dp_fib *f = snapshot_alloc(src->bytes, socket);
	if (f == NULL)
		return NULL;
	memcpy(f, src, src->bytes);
#define MOVED(p) ((void *)((char *)f + ((const char *)(p) - (const char *)src)))
	f->local = MOVED(src->local);
	f->routes = MOVED(src->routes);
	f->neigh = MOVED(src->neigh);
	f->neigh_slots = MOVED(src->neigh_slots);
	for (uint32_t i = 0; i < f->n_lens; i++)
		f->lens[i].slots = MOVED(src->lens[i].slots);
#undef MOVED
	return f;
}

bool dp_tables_pending(void)
{
	return T.fib_dirty;
}

/*
 * The snapshot for each socket's workers: built once, copied into the memory of each other
 * socket. A FIB is read-only for the workers, so those of one socket share the lines they read
 * (a copy per worker cost a memcpy each: 14 ms a commit for 16 workers at 65,536 neighbours).
 * Returns how many sockets got one; 0 when out of memory (all freed).
 */
static unsigned socket_at(const int sockets[], unsigned n, int socket)
{
	unsigned k = 0;
	while (k < n && sockets[k] != socket)
		k++;
	return k;
}

static unsigned make_snapshots(int sockets[], struct dp_fib *fibs[])
{
	unsigned n = 0;
	for (unsigned i = 0; i < T.n_workers; i++) {
		if (socket_at(sockets, n, T.w[i]->socket) < n)
			continue;
		sockets[n] = T.w[i]->socket;
		fibs[n] = n == 0 ? build_fib(sockets[n]) : clone_fib(fibs[0], sockets[n]);
		if (fibs[n++] == NULL) {
			for (unsigned j = 0; j + 1 < n; j++)
				free_snapshot(fibs[j]);
			return 0;
		}
	}
	return n;
}

/* The snapshots the workers use, each once (workers of a socket share one). */
static unsigned snapshots_in_use(const struct dp_fib *in_use[])
{
	unsigned n = 0;
	for (unsigned i = 0; i < T.n_workers; i++) {
		unsigned k = 0;
		while (k < n && in_use[k] != T.w[i]->fib)
			k++;
		if (k == n && T.w[i]->fib != NULL)
			in_use[n++] = T.w[i]->fib;
	}
	return n;
}

int dp_tables_commit(void)
{
	if (!T.fib_dirty)
		return 0;
	int sockets[DP_MAX_WORKERS];
	struct dp_fib *fibs[DP_MAX_WORKERS];
	const struct dp_fib *old[DP_MAX_WORKERS];
	unsigned n = make_snapshots(sockets, fibs), n_old = snapshots_in_use(old);
	if (n == 0 && T.n_workers > 0)
		return -1;
	for (unsigned i = 0; i < T.n_workers; i++)
		__atomic_store_n(&T.w[i]->fib, fibs[socket_at(sockets, n, T.w[i]->socket)], __ATOMIC_RELEASE);
	for (unsigned k = 0; k < n_old; k++)
		retire(free_snapshot, (void *)old[k]);
	T.fib_dirty = false;
	return 0;
}

void dp_tables_usage(struct dp_tables_usage *u)
{
	*u = (struct dp_tables_usage){ 0 };
	if (T.sad) {
		u->sas = T.sad->count;
		u->sas_max = T.sad->capacity;
		u->sas_spilled = T.sad->spilled;
	}
	const struct dp_fib *fib = T.n_workers ? T.w[0]->fib : NULL;
	if (fib) { /* the snapshot the workers use: what was committed */
		u->routes = fib->n_routes;
		u->route_lengths = fib->n_lens;
		u->neighbours = fib->n_neigh;
	}
	u->sa_bytes = sa_slab_bytes();
	u->fib_snapshots = T.snapshots;
	u->neighbours_learned = T.neigh_learned;
	u->neighbours_max = T.neigh_max;
	if (T.spd) {
		u->policies = T.spd->n_policies;
		u->policies_max = T.spd->capacity;
		u->shapes = T.spd->n_classes;
		u->spd_bytes = dp_spd_bytes(T.spd);
		u->spd_changes = dp_spd_gen(T.spd) - 1;
	}
}

void dp_tables_reclaim(void)
{
	if (T.dq)
		rte_rcu_qsbr_dq_reclaim(T.dq, 256, NULL, NULL, NULL);
}
