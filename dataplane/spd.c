/* SPDX-License-Identifier: BSD-3-Clause */
#include "spd.h"

#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

static uint32_t specificity(const struct traffic_selector *ts)
{
	uint32_t s = ts->plen * 4u;
	if (ts->proto)
		s += 2;
	if (ts->port_lo != 0 || ts->port_hi != 65535)
		s += 1;
	return s;
}

uint32_t dp_policy_priority(const struct traffic_selector *src, const struct traffic_selector *dst,
			    enum dp_policy_rank rank)
{
	uint32_t max = 2 * (32 * 4 + 3);
	return (max - specificity(src) - specificity(dst)) * 4 + rank;
}

static void free_classes(void *p)
{
	rte_free(p);
}

static void free_node(void *p)
{
	free(p);
}

struct dp_spd *dp_spd_create(const char *name, uint32_t capacity, struct rte_rcu_qsbr *qsv, dp_spd_retire_fn retire)
{
	struct dp_spd *spd = rte_zmalloc("dp_spd", sizeof(*spd), RTE_CACHE_LINE_SIZE);
	struct dp_spd_classes *cl = rte_zmalloc("dp_spd_classes", sizeof(*cl), RTE_CACHE_LINE_SIZE);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity < 1024 ? 1024 : capacity,
		.key_len = sizeof(struct dp_spd_key),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	if (spd == NULL || cl == NULL || (spd->h = rte_hash_create(&hp)) == NULL) {
		rte_free(cl);
		rte_free(spd);
		return NULL;
	}
	struct rte_hash_rcu_config rc = { .v = qsv, .mode = RTE_HASH_QSBR_MODE_DQ };
	if (qsv != NULL && rte_hash_rcu_qsbr_add(spd->h, &rc) != 0) {
		rte_hash_free(spd->h);
		rte_free(cl);
		rte_free(spd);
		return NULL;
	}
	spd->gen = 1;
	spd->classes = cl;
	spd->retire = retire;
	spd->capacity = capacity;
	u64map_init(&spd->by_owner);
	u64map_init(&spd->by_sa);
	return spd;
}

void dp_spd_free(struct dp_spd *spd)
{
	if (spd == NULL)
		return;
	for (uint32_t i = 0; i < spd->by_owner.mask + 1 && spd->by_owner.slots; i++) {
		struct dp_spd_node *n = spd->by_owner.slots[i].val;
		while (n != NULL) {
			struct dp_spd_node *next = n->owner_next;
			free(n);
			n = next;
		}
	}
	u64map_free(&spd->by_owner);
	u64map_free(&spd->by_sa);
	rte_hash_free(spd->h);
	rte_free((void *)spd->classes);
	rte_free(spd);
}

/* After the change's stamp or window entry: a worker that sees the generation sees them. */
static void publish(struct dp_spd *spd, uint64_t g)
{
	__atomic_store_n(&spd->gen, g, __ATOMIC_RELEASE);
}

static void stamp(struct dp_spd *spd, uint64_t *slot)
{
	uint64_t g = spd->gen + 1;
	__atomic_store_n(slot, g, __ATOMIC_RELEASE);
	publish(spd, g);
}

static void note_wide_added(struct dp_spd *spd, const struct dp_spd_node *n)
{
	uint64_t g = spd->gen + 1, seq = spd->n_added + 1;
	struct dp_spd_added *a = &spd->added[(seq - 1) % DP_SPD_ADDS];
	__atomic_store_n(&a->seq, 0, __ATOMIC_RELAXED); /* readers of the addition it held see it gone */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	a->gen = g;
	a->src = n->policy.src;
	a->dst = n->policy.dst;
	__atomic_store_n(&a->seq, seq, __ATOMIC_RELEASE);
	__atomic_store_n(&spd->n_added, seq, __ATOMIC_RELEASE);
	publish(spd, g);
}

/*
 * By its narrower side when that is narrow enough (spd.h), else in the window. Of two sides as
 * narrow, by the peer's: the other is ours, the same for every client (transport mode to the
 * gateway's own address), and stamping it would stamp every flow to or from it.
 */
static void note_added(struct dp_spd *spd, const struct dp_spd_node *n)
{
	const struct dp_policy *p = &n->policy;
	bool by_dst = p->dst.plen > p->src.plen || (p->dst.plen == p->src.plen && p->action != DP_POLICY_REQUIRE);
	const struct traffic_selector *side = by_dst ? &p->dst : &p->src;
	if (side->plen < DP_SPD_NARROW_PLEN) {
		note_wide_added(spd, n);
		return;
	}
	struct dp_spd_add_line *lines = by_dst ? spd->added_dst : spd->added_src;
	unsigned slot = side->plen == 32 ? dp_spd_add_host_of(side->addr) : 0;
	/* every /24 of it: up to 256 stores here, none more for the flows that read them */
	uint32_t nets = side->plen >= 24 ? 1 : 1u << (24 - side->plen);
	uint64_t g = spd->gen + 1;
	for (uint32_t k = 0; k < nets; k++)
		__atomic_store_n(&lines[dp_spd_add_line_of(side->addr + (k << 8))].at[slot], g, __ATOMIC_RELEASE);
	publish(spd, g);
}

static bool exact_port(const struct traffic_selector *ts)
{
	return ts->port_lo == ts->port_hi;
}

/* The protocol a packet must have to match (0: any); if the two selectors disagree, nothing matches. */
static uint8_t policy_proto(const struct dp_policy *p)
{
	return p->src.proto ? p->src.proto : p->dst.proto;
}

static bool same_shape(const struct dp_spd_class *c, const struct dp_policy *p)
{
	return c->src_mask == p->src.mask && c->dst_mask == p->dst.mask && c->exact_proto == (policy_proto(p) != 0) &&
	       c->exact_sport == exact_port(&p->src) && c->exact_dport == exact_port(&p->dst);
}

/* The class for the policy's shape, made if new; -1 when there are too many shapes. */
static int class_for(struct dp_spd *spd, const struct dp_policy *p)
{
	int free_id = spd->cls_end < DP_SPD_MAX_CLASSES ? (int)spd->cls_end : -1;
	for (uint32_t i = 0; i < spd->cls_end; i++) {
		if (spd->cls_count[i] == 0) {
			if (free_id < 0 || free_id == (int)spd->cls_end)
				free_id = (int)i;
			continue;
		}
		if (same_shape(&spd->cls[i], p))
			return (int)i;
	}
	if (free_id < 0)
		return -1;
	if (free_id == (int)spd->cls_end)
		spd->cls_end++;
	spd->cls[free_id] = (struct dp_spd_class){
		.src_mask = p->src.mask,
		.dst_mask = p->dst.mask,
		.exact_proto = policy_proto(p) != 0,
		.exact_sport = exact_port(&p->src),
		.exact_dport = exact_port(&p->dst),
		.id = (uint16_t)free_id,
		.best_priority = UINT32_MAX,
	};
	return free_id;
}

static int cmp_class(const void *a, const void *b)
{
	const struct dp_spd_class *x = a, *y = b;
	if (x->best_priority != y->best_priority)
		return x->best_priority < y->best_priority ? -1 : 1;
	return (int)x->id - (int)y->id;
}

/* Publishes the classes in use, best first, when their set or order changed. */
static int publish_classes(struct dp_spd *spd)
{
	if (!spd->classes_dirty)
		return 0;
	struct dp_spd_classes *cl =
		rte_malloc("dp_spd_classes", sizeof(*cl) + spd->n_classes * sizeof(cl->c[0]), RTE_CACHE_LINE_SIZE);
	if (cl == NULL)
		return -1;
	cl->n = 0;
	for (uint32_t i = 0; i < spd->cls_end; i++)
		if (spd->cls_count[i] != 0)
			cl->c[cl->n++] = spd->cls[i];
	qsort(cl->c, cl->n, sizeof(cl->c[0]), cmp_class);
	const struct dp_spd_classes *old = __atomic_exchange_n(&spd->classes, cl, __ATOMIC_RELEASE);
	spd->retire(free_classes, (void *)old);
	spd->classes_dirty = false;
	return 0;
}

static void policy_key(const struct dp_policy *p, uint16_t cls, struct dp_spd_key *k)
{
	*k = (struct dp_spd_key){
		.src = p->src.addr,
		.dst = p->dst.addr,
		.sport = exact_port(&p->src) ? p->src.port_lo : 0,
		.dport = exact_port(&p->dst) ? p->dst.port_lo : 0,
		.proto = policy_proto(p),
		.cls = cls,
	};
}

/* Links n into its key's list, in order; the list's new head goes into the hash. */
static int link_node(struct dp_spd *spd, struct dp_spd_node *n)
{
	void *head = NULL;
	rte_hash_lookup_data(spd->h, &n->key, &head);
	struct dp_spd_node *prev = NULL, *cur = head;
	while (cur != NULL && cur->order < n->order) {
		prev = cur;
		cur = cur->next;
	}
	n->next = cur;
	if (prev != NULL) {
		__atomic_store_n(&prev->next, n, __ATOMIC_RELEASE);
		return 0;
	}
	return rte_hash_add_key_data(spd->h, &n->key, n) == 0 ? 0 : -1;
}

static void unlink_node(struct dp_spd *spd, struct dp_spd_node *n)
{
	void *head = NULL;
	if (rte_hash_lookup_data(spd->h, &n->key, &head) < 0)
		return;
	if (head == n) {
		if (n->next != NULL)
			rte_hash_add_key_data(spd->h, &n->key, n->next); /* replaces the data of an existing key */
		else
			rte_hash_del_key(spd->h, &n->key);
		return;
	}
	for (struct dp_spd_node *prev = head; prev->next != NULL; prev = prev->next)
		if (prev->next == n) {
			/* n keeps its next: a worker standing on n still finds the rest of the list */
			__atomic_store_n(&prev->next, n->next, __ATOMIC_RELEASE);
			return;
		}
}

static int index_push(struct u64map *m, uint64_t key, struct dp_spd_node *n, size_t link_off)
{
	struct dp_spd_node **link = (struct dp_spd_node **)((char *)n + link_off);
	*link = u64map_get(m, key);
	return u64map_put(m, key, n);
}

static void index_drop(struct u64map *m, uint64_t key, struct dp_spd_node *n, size_t link_off)
{
#define LINK(x) (*(struct dp_spd_node **)((char *)(x) + link_off))
	struct dp_spd_node *first = u64map_get(m, key);
	if (first == n) {
		if (LINK(n) != NULL)
			u64map_put(m, key, LINK(n)); /* replacing an existing key never allocates */
		else
			u64map_del(m, key);
		return;
	}
	for (struct dp_spd_node *p = first; p != NULL; p = LINK(p))
		if (LINK(p) == n) {
			LINK(p) = LINK(n);
			return;
		}
#undef LINK
}

#define OWNER_LINK offsetof(struct dp_spd_node, owner_next)
#define SA_LINK offsetof(struct dp_spd_node, sa_next)

static void note_class_gain(struct dp_spd *spd, uint16_t id, uint32_t priority)
{
	if (spd->cls_count[id]++ == 0) {
		spd->n_classes++;
		spd->classes_dirty = true;
	}
	if (priority < spd->cls[id].best_priority) {
		spd->cls[id].best_priority = priority;
		spd->classes_dirty = true;
	}
}

/* A class's best_priority stays as it was while it has policies: a lower bound is enough. */
static void note_class_loss(struct dp_spd *spd, uint16_t id)
{
	if (--spd->cls_count[id] == 0) {
		spd->n_classes--;
		spd->classes_dirty = true;
	}
}

int dp_spd_add(struct dp_spd *spd, const struct dp_policy *p, uint64_t owner)
{
	if (spd->n_policies >= spd->capacity)
		return -1;
	int cls = class_for(spd, p);
	struct dp_spd_node *n = cls < 0 ? NULL : calloc(1, sizeof(*n));
	if (n == NULL)
		return -1;
	n->policy = *p;
	/* the newest of equal priority first: a kernel's policy for given selectors points at the newest SA */
	n->order = (uint64_t)p->priority << 40 | (((1ULL << 40) - 1) - (++spd->seq & ((1ULL << 40) - 1)));
	if (++spd->last_id == 0)
		spd->last_id = 1; /* 0 names no policy */
	n->id = spd->last_id;
	n->owner = owner;
	policy_key(p, (uint16_t)cls, &n->key);
	/* The class must be visible, with a best_priority no worse than n's, before n is. */
	note_class_gain(spd, (uint16_t)cls, p->priority);
	bool protects = p->action == DP_POLICY_PROTECT && p->sa != NULL;
	if (publish_classes(spd) < 0 || index_push(&spd->by_owner, owner, n, OWNER_LINK) < 0 ||
	    (protects && index_push(&spd->by_sa, (uintptr_t)p->sa, n, SA_LINK) < 0) || link_node(spd, n) < 0) {
		index_drop(&spd->by_owner, owner, n, OWNER_LINK);
		if (protects)
			index_drop(&spd->by_sa, (uintptr_t)p->sa, n, SA_LINK);
		note_class_loss(spd, (uint16_t)cls);
		publish_classes(spd);
		free(n);
		return -1;
	}
	spd->n_policies++;
	note_added(spd, n);
	return 0;
}

static void remove_node(struct dp_spd *spd, struct dp_spd_node *n)
{
	unlink_node(spd, n);
	index_drop(&spd->by_owner, n->owner, n, OWNER_LINK);
	if (n->policy.action == DP_POLICY_PROTECT && n->policy.sa != NULL)
		index_drop(&spd->by_sa, (uintptr_t)n->policy.sa, n, SA_LINK);
	note_class_loss(spd, n->key.cls);
	spd->n_policies--;
	stamp(spd, &spd->removed_at[n->id & (DP_SPD_STAMPS - 1)]);
	spd->retire(free_node, n);
}

static void finish_removal(struct dp_spd *spd)
{
	/* Fewer classes only makes the list shorter; if that copy fails the old list still finds all. */
	publish_classes(spd);
}

void dp_spd_remove_owner(struct dp_spd *spd, uint64_t owner)
{
	struct dp_spd_node *n;
	if (u64map_get(&spd->by_owner, owner) == NULL)
		return;
	while ((n = u64map_get(&spd->by_owner, owner)) != NULL)
		remove_node(spd, n);
	finish_removal(spd);
}

void dp_spd_remove_sa(struct dp_spd *spd, const struct esp_sa *sa)
{
	struct dp_spd_node *n;
	if (u64map_get(&spd->by_sa, (uintptr_t)sa) == NULL)
		return;
	while ((n = u64map_get(&spd->by_sa, (uintptr_t)sa)) != NULL)
		remove_node(spd, n);
	finish_removal(spd);
}

static bool only_owner_of(const struct dp_spd *spd, const struct esp_sa *sa, uint64_t owner)
{
	for (const struct dp_spd_node *n = u64map_get(&spd->by_sa, (uintptr_t)sa); n != NULL; n = n->sa_next)
		if (n->owner != owner)
			return false;
	return true;
}

int dp_spd_rekey(struct dp_spd *spd, uint64_t old_owner, uint64_t new_owner, const struct esp_sa *old_sa,
		 struct esp_sa *new_sa)
{
	struct dp_spd_node *owned = u64map_get(&spd->by_owner, old_owner);
	struct dp_spd_node *protecting = u64map_get(&spd->by_sa, (uintptr_t)old_sa);
	if (owned == NULL || old_owner == new_owner || u64map_get(&spd->by_owner, new_owner) != NULL ||
	    u64map_get(&spd->by_sa, (uintptr_t)new_sa) != NULL || !only_owner_of(spd, old_sa, old_owner))
		return -1;
	/* the new keys first: the only steps that can fail */
	if (u64map_put(&spd->by_owner, new_owner, owned) < 0)
		return -1;
	if (protecting != NULL && u64map_put(&spd->by_sa, (uintptr_t)new_sa, protecting) < 0) {
		u64map_del(&spd->by_owner, new_owner);
		return -1;
	}
	u64map_del(&spd->by_owner, old_owner);
	for (struct dp_spd_node *n = owned; n != NULL; n = n->owner_next)
		n->owner = new_owner;
	if (protecting == NULL)
		return 0;
	u64map_del(&spd->by_sa, (uintptr_t)old_sa);
	for (struct dp_spd_node *n = protecting; n != NULL; n = n->sa_next)
		__atomic_store_n(&n->policy.sa, new_sa, __ATOMIC_RELEASE);
	/* after the policies: an answer with old_sa looked up before this change is not kept past it */
	stamp(spd, &spd->superseded_at[dp_spd_sa_stamp(old_sa)]);
	return 0;
}

/* Flows still in the running after the classes so far: their indexes and best candidates. */
struct bulk_state {
	const struct dp_flow *const *flows;
	const struct dp_spd_node *best[DP_SPD_BULK_MAX];
	uint32_t open[DP_SPD_BULK_MAX], n_open;
};

/* Probes one class for every open flow; a flow this class cannot improve on is closed first. */
static void bulk_probe(const struct dp_spd *spd, const struct dp_spd_class *c, struct bulk_state *st)
{
	struct dp_spd_key keys[DP_SPD_BULK_MAX];
	const void *kp[DP_SPD_BULK_MAX];
	void *heads[DP_SPD_BULK_MAX];
	uint32_t idx[DP_SPD_BULK_MAX], m = 0, still = 0;
	uint64_t hits = 0;
	for (uint32_t j = 0; j < st->n_open; j++) {
		uint32_t i = st->open[j];
		if (st->best[i] != NULL && c->best_priority > st->best[i]->policy.priority)
			continue; /* settled: the classes are in best_priority order */
		st->open[still++] = i;
		dp_spd_class_key(c, st->flows[i], &keys[m]);
		kp[m] = &keys[m];
		idx[m++] = i;
	}
	st->n_open = still;
	if (m == 0 || rte_hash_lookup_bulk_data(spd->h, kp, m, &hits, heads) <= 0)
		return;
	for (uint32_t j = 0; j < m; j++)
		if (hits & (1ULL << j))
			rte_prefetch0(heads[j]);
	for (uint32_t j = 0; j < m; j++) {
		if (!(hits & (1ULL << j)))
			continue;
		const struct dp_spd_node *b = st->best[idx[j]];
		for (const struct dp_spd_node *x = heads[j]; x != NULL; x = __atomic_load_n(&x->next, __ATOMIC_ACQUIRE)) {
			if (b != NULL && x->order >= b->order)
				break;
			if (dp_policy_matches(&x->policy, st->flows[idx[j]])) {
				st->best[idx[j]] = x;
				break;
			}
		}
	}
}

void dp_spd_lookup_bulk(const struct dp_spd *spd, const struct dp_flow *const flows[], uint32_t n,
			const struct dp_policy *out[])
{
	const struct dp_spd_classes *cl = __atomic_load_n(&spd->classes, __ATOMIC_ACQUIRE);
	struct bulk_state st = { .flows = flows, .n_open = n };
	for (uint32_t i = 0; i < n; i++) {
		st.best[i] = NULL;
		st.open[i] = i;
	}
	for (uint32_t k = 0; k < cl->n && st.n_open > 0; k++)
		bulk_probe(spd, &cl->c[k], &st);
	for (uint32_t i = 0; i < n; i++)
		out[i] = st.best[i] ? &st.best[i]->policy : NULL;
}

size_t dp_spd_bytes(const struct dp_spd *spd)
{
	return (size_t)spd->n_policies * sizeof(struct dp_spd_node) + u64map_bytes(&spd->by_owner) +
	       u64map_bytes(&spd->by_sa) + sizeof(*spd) + spd->n_classes * sizeof(struct dp_spd_class);
}
