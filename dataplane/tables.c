/* SPDX-License-Identifier: BSD-3-Clause */
#include "tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "lib/log.h"
#include "lib/parse.h"

#define SAD_ENTRIES (1u << 16)
#define RETIRE_QUEUE (1u << 16)

/* A thing to free once no worker can see it. */
struct retired {
	void (*fn)(void *);
	void *ptr;
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
	struct vec policies, routes, neigh;
	struct dp_port_info ports[DP_MAX_PORTS];
	uint16_t n_ports;
	uint64_t policy_seq;
	bool spd_dirty, fib_dirty;
	uint64_t spd_gen; /* of the last SPD snapshot built */
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

static void vec_remove(struct vec *v, uint32_t i)
{
	memmove(vec_at(v, i), vec_at(v, i + 1), (v->n - i - 1) * v->esize);
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

static struct rte_hash *create_sad(unsigned w)
{
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "sad_w%u", w);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = SAD_ENTRIES,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash *h = rte_hash_create(&hp);
	struct rte_hash_rcu_config rc = { .v = T.qsv, .mode = RTE_HASH_QSBR_MODE_DQ };
	if (h && rte_hash_rcu_qsbr_add(h, &rc) != 0) {
		rte_hash_free(h);
		h = NULL;
	}
	return h;
}

int dp_tables_init(unsigned n_workers, struct dp_tables *per_worker[], struct rte_rcu_qsbr *qsv)
{
	memset(&T, 0, sizeof(T));
	T.n_workers = n_workers;
	T.qsv = qsv;
	T.policies.esize = sizeof(struct dp_policy_entry);
	T.routes.esize = sizeof(struct dp_route);
	T.neigh.esize = sizeof(struct dp_neigh);
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
	if (T.dq == NULL)
		return -1;
	for (unsigned i = 0; i < n_workers; i++) {
		T.w[i] = per_worker[i];
		T.w[i]->sad = create_sad(i);
		if (T.w[i]->sad == NULL)
			return -1;
	}
	T.spd_dirty = T.fib_dirty = true;
	return dp_tables_commit();
}

void dp_tables_fini(void)
{
	for (unsigned i = 0; i < T.n_workers; i++) {
		rte_free((void *)T.w[i]->spd);
		rte_free((void *)T.w[i]->fib);
		T.w[i]->spd = NULL;
		T.w[i]->fib = NULL;
	}
	if (T.dq)
		rte_rcu_qsbr_dq_delete(T.dq); /* frees everything retired; workers have stopped */
	for (unsigned i = 0; i < T.n_workers; i++)
		rte_hash_free(T.w[i]->sad);
	free(T.policies.data);
	free(T.routes.data);
	free(T.neigh.data);
	memset(&T, 0, sizeof(T));
}

struct esp_sa *dp_sa_install(const struct esp_sa_params *p, char *err, size_t err_len)
{
	struct esp_sa *sa = esp_sa_create(p, err, err_len);
	if (sa == NULL || !p->inbound)
		return sa;
	for (unsigned i = 0; i < T.n_workers; i++) {
		if (rte_hash_lookup(T.w[i]->sad, &p->spi) >= 0 || rte_hash_add_key_data(T.w[i]->sad, &p->spi, sa) < 0) {
			snprintf(err, err_len, "inbound SPI 0x%08x is in use or the SAD is full", p->spi);
			for (unsigned k = 0; k < i; k++)
				rte_hash_del_key(T.w[k]->sad, &p->spi);
			retire(free_sa, sa);
			return NULL;
		}
	}
	return sa;
}

void dp_sa_remove(struct esp_sa *sa)
{
	if (esp_sa_has(sa, ESP_SA_F_INBOUND)) {
		for (unsigned i = 0; i < T.n_workers; i++)
			rte_hash_del_key(T.w[i]->sad, &sa->spi);
	} else {
		for (uint32_t i = 0; i < T.policies.n;) {
			struct dp_policy_entry *e = vec_at(&T.policies, i);
			if (e->policy.sa == sa) {
				vec_remove(&T.policies, i);
				T.spd_dirty = true;
			} else {
				i++;
			}
		}
		dp_tables_commit();
	}
	retire(free_sa, sa);
}

int dp_policy_add(const struct dp_policy *p, uint64_t owner)
{
	struct dp_policy_entry *e = vec_push(&T.policies);
	if (e == NULL)
		return -1;
	e->policy = *p;
	e->owner = owner;
	T.spd_dirty = true;
	return 0;
}

void dp_policy_remove_owner(uint64_t owner)
{
	for (uint32_t i = 0; i < T.policies.n;) {
		if (((struct dp_policy_entry *)vec_at(&T.policies, i))->owner == owner) {
			vec_remove(&T.policies, i);
			T.spd_dirty = true;
		} else {
			i++;
		}
	}
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

const struct dp_neigh *dp_neigh_find(uint32_t ip, uint16_t port)
{
	for (uint32_t i = 0; i < T.neigh.n; i++) {
		const struct dp_neigh *n = vec_at(&T.neigh, i);
		if (n->ip == ip && n->port == port)
			return n;
	}
	return NULL;
}

int dp_neigh_set(uint32_t ip, uint16_t port, const struct rte_ether_addr *mac)
{
	struct dp_neigh *n = (struct dp_neigh *)dp_neigh_find(ip, port);
	if (n && rte_is_same_ether_addr(&n->mac, mac))
		return 0;
	if (n == NULL && (n = vec_push(&T.neigh)) == NULL)
		return -1;
	*n = (struct dp_neigh){ .ip = ip, .port = port, .mac = *mac };
	T.fib_dirty = true;
	return 0;
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

static int cmp_policy(const void *a, const void *b)
{
	const struct dp_policy_entry *x = a, *y = b;
	if (x->policy.priority != y->policy.priority)
		return x->policy.priority < y->policy.priority ? -1 : 1;
	return x < y ? -1 : x > y; /* insertion order breaks ties */
}

static int cmp_route(const void *a, const void *b)
{
	const struct dp_route *x = a, *y = b;
	return (int)y->plen - (int)x->plen;
}

static int cmp_neigh(const void *a, const void *b)
{
	const struct dp_neigh *x = a, *y = b;
	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return (int)x->port - (int)y->port;
}

static struct dp_spd *build_spd(void)
{
	if (T.policies.n > 1)
		qsort(T.policies.data, T.policies.n, T.policies.esize, cmp_policy);
	struct dp_spd *s = rte_malloc("dp_spd", sizeof(*s) + T.policies.n * sizeof(struct dp_policy), RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return NULL;
	s->gen = ++T.spd_gen;
	s->n = T.policies.n;
	for (uint32_t i = 0; i < s->n; i++)
		s->p[i] = ((struct dp_policy_entry *)vec_at(&T.policies, i))->policy;
	return s;
}

static struct dp_fib *build_fib(void)
{
	size_t size = sizeof(struct dp_fib) + T.n_ports * sizeof(struct dp_local_addr) +
		      T.routes.n * sizeof(struct dp_route) + T.neigh.n * sizeof(struct dp_neigh);
	struct dp_fib *f = rte_zmalloc("dp_fib", size, RTE_CACHE_LINE_SIZE);
	if (f == NULL)
		return NULL;
	f->n_ports = T.n_ports;
	memcpy(f->ports, T.ports, sizeof(T.ports));
	f->local = (struct dp_local_addr *)(f + 1);
	f->routes = (struct dp_route *)(f->local + T.n_ports);
	f->neigh = (struct dp_neigh *)(f->routes + T.routes.n);
	f->n_local = T.n_ports;
	for (uint16_t i = 0; i < T.n_ports; i++)
		f->local[i] = (struct dp_local_addr){ T.ports[i].addr, i };
	f->n_routes = T.routes.n;
	f->n_neigh = T.neigh.n;
	if (T.routes.n) {
		memcpy(f->routes, T.routes.data, T.routes.n * sizeof(struct dp_route));
		qsort(f->routes, f->n_routes, sizeof(struct dp_route), cmp_route);
	}
	if (T.neigh.n) {
		memcpy(f->neigh, T.neigh.data, T.neigh.n * sizeof(struct dp_neigh));
		qsort(f->neigh, f->n_neigh, sizeof(struct dp_neigh), cmp_neigh);
	}
	return f;
}

static void free_snapshot(void *p)
{
	rte_free(p);
}

/* Each worker gets its own copy, so no two workers share the lines they read. */
int dp_tables_commit(void)
{
	for (unsigned i = 0; i < T.n_workers; i++) {
		if (T.spd_dirty) {
			struct dp_spd *s = build_spd();
			if (s == NULL)
				return -1;
			const struct dp_spd *old = __atomic_exchange_n(&T.w[i]->spd, s, __ATOMIC_RELEASE);
			retire(free_snapshot, (void *)old);
		}
		if (T.fib_dirty) {
			struct dp_fib *f = build_fib();
			if (f == NULL)
				return -1;
			const struct dp_fib *old = __atomic_exchange_n(&T.w[i]->fib, f, __ATOMIC_RELEASE);
			retire(free_snapshot, (void *)old);
		}
	}
	T.spd_dirty = T.fib_dirty = false;
	return 0;
}

void dp_tables_reclaim(void)
{
	if (T.dq)
		rte_rcu_qsbr_dq_reclaim(T.dq, 256, NULL, NULL, NULL);
}
