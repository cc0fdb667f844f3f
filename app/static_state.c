/* SPDX-License-Identifier: BSD-3-Clause */
/* Installs the static part of the configuration: connected and static routes, neighbours, SAs, shunts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance.h"
#include "dataplane/tables.h"
#include "lib/log.h"
#include "lib/parse.h"

/* Policy owners: static SAs and shunts are keyed by their index in the config. */
#define OWNER_STATIC_SA(i) (0x100000000ULL | (uint64_t)(i))
#define OWNER_SHUNT(i) (0x200000000ULL | (uint64_t)(i))

static int install_routes(struct appliance *app)
{
	for (uint16_t i = 0; i < app->n_ports; i++) {
		const struct app_port *p = &app->ports[i];
		if (dp_route_add(p->addr & prefix_mask(p->plen), p->plen, 0, p->port_id) < 0)
			return -1;
	}
	for (int i = 0; i < app->cfg.n_routes; i++) {
		const struct cfg_route *r = &app->cfg.routes[i];
		if (dp_route_add(r->prefix, r->plen, r->via, app->ports[r->iface].port_id) < 0)
			return -1;
	}
	for (int i = 0; i < app->cfg.n_neighbours; i++) {
		const struct cfg_neighbour *n = &app->cfg.neighbours[i];
		struct rte_ether_addr mac;
		memcpy(mac.addr_bytes, n->mac, 6);
		if (dp_neigh_set(n->ip, app->ports[n->iface].port_id, &mac, DP_NEIGH_STATIC) < 0)
			return -1;
	}
	return 0;
}

/* Outbound: PROTECT local_ts -> remote_ts. Inbound: cleartext remote_ts -> local_ts must come through ESP. */
static int add_sa_policies(const struct cfg_static_sa *c, struct esp_sa *sa, uint64_t owner)
{
	const struct cfg_ts_list *src = c->inbound ? &c->remote_ts : &c->local_ts;
	const struct cfg_ts_list *dst = c->inbound ? &c->local_ts : &c->remote_ts;
	for (int s = 0; s < src->n; s++)
		for (int d = 0; d < dst->n; d++) {
			struct dp_policy p = { .src = src->ts[s], .dst = dst->ts[d],
					       .action = c->inbound ? DP_POLICY_REQUIRE : DP_POLICY_PROTECT,
					       .sa = c->inbound ? NULL : sa };
			p.priority = dp_policy_priority(&p.src, &p.dst, DP_RANK_SA);
			if (dp_policy_add(&p, owner) < 0)
				return -1;
		}
	return 0;
}

static void fill_params(const struct cfg_static_sa *c, struct esp_sa_params *p)
{
	memset(p, 0, sizeof(*p));
	p->spi = c->spi;
	p->inbound = c->inbound;
	p->tunnel = c->mode == IPSEC_MODE_TUNNEL;
	p->udp_encap = c->encap;
	p->has_oa = c->has_oa;
	p->oa_remote = c->oa_remote;
	p->oa_local = c->oa_local;
	p->esn = c->esn;
	p->alg = &esp_algos[c->alg];
	p->key = c->key;
	p->local = c->local;
	p->remote = c->remote;
	p->local_port = c->local_port;
	p->remote_port = c->remote_port;
	p->replay_window = c->replay_window;
	p->copy = c->copy;
	p->soft_bytes = c->rekey_bytes;
	p->hard_bytes = c->life_bytes;
	p->soft_packets = c->rekey_packets;
	p->hard_packets = c->life_packets;
	p->local_ts = c->local_ts.ts;
	p->n_local_ts = c->local_ts.n;
	p->remote_ts = c->remote_ts.ts;
	p->n_remote_ts = c->remote_ts.n;
}

static void fill_record(const struct cfg_static_sa *c, struct esp_sa *sa, struct sa_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", c->name);
	snprintf(r->source, sizeof(r->source), "static");
	r->replay_window = c->replay_window;
	r->sa = sa;
	r->installed = time(NULL);
}

static uint64_t spi_key(uint32_t spi, bool inbound)
{
	return 1ULL << 62 | (uint64_t)inbound << 32 | spi; /* apart from any pointer */
}

static uint64_t id_key(uint32_t id)
{
	return 2ULL << 62 | id; /* apart from pointers and SPI keys */
}

static void index_record(struct appliance *app, int i)
{
	const struct esp_sa *sa = app->sas[i].sa;
	/* without memory a record is only found by a walk, which the lookups fall back to */
	u64map_put(&app->sas_index, (uintptr_t)sa, (void *)(uintptr_t)(i + 1));
	u64map_put(&app->sas_index, spi_key(sa->spi, esp_sa_has(sa, ESP_SA_F_INBOUND)), (void *)(uintptr_t)(i + 1));
	u64map_put(&app->sas_index, id_key(sa->id), (void *)(uintptr_t)(i + 1));
}

static void unindex_record(struct appliance *app, int i)
{
	const struct esp_sa *sa = app->sas[i].sa;
	u64map_del(&app->sas_index, (uintptr_t)sa);
	u64map_del(&app->sas_index, spi_key(sa->spi, esp_sa_has(sa, ESP_SA_F_INBOUND)));
	u64map_del(&app->sas_index, id_key(sa->id));
}

int sa_records_add(struct appliance *app, const struct sa_record *r)
{
	int rc = 0;
	pthread_mutex_lock(&app->sas_lock);
	if (app->n_sas == app->cap_sas) {
		int cap = app->cap_sas ? app->cap_sas * 2 : 64;
		struct sa_record *n = realloc(app->sas, (size_t)cap * sizeof(*n));
		if (n) {
			app->sas = n;
			app->cap_sas = cap;
		}
	}
	if (app->n_sas < app->cap_sas) {
		app->sas[app->n_sas] = *r;
		app->sas[app->n_sas++].seq = ++app->sas_seq;
		index_record(app, app->n_sas - 1);
	} else {
		rc = -1;
	}
	pthread_mutex_unlock(&app->sas_lock);
	return rc;
}

/* The record's index, from the map, or by a walk if the map has lost it (out of memory). */
static int record_index(struct appliance *app, uint64_t key, bool (*is)(const struct sa_record *, uint64_t))
{
	uintptr_t i = (uintptr_t)u64map_get(&app->sas_index, key);
	if (i && (int)i <= app->n_sas && is(&app->sas[i - 1], key))
		return (int)i - 1;
	for (int k = 0; k < app->n_sas; k++)
		if (is(&app->sas[k], key))
			return k;
	return -1;
}

static bool is_sa(const struct sa_record *r, uint64_t key)
{
	return (uintptr_t)r->sa == key;
}

static bool is_spi(const struct sa_record *r, uint64_t key)
{
	return spi_key(r->sa->spi, esp_sa_has(r->sa, ESP_SA_F_INBOUND)) == key;
}

static bool is_id(const struct sa_record *r, uint64_t key)
{
	return id_key(r->sa->id) == key;
}

/* The last record takes the removed one's place: records are kept in no particular order. */
void sa_records_remove(struct appliance *app, const struct esp_sa *sa)
{
	pthread_mutex_lock(&app->sas_lock);
	int i = record_index(app, (uintptr_t)sa, is_sa);
	if (i >= 0) {
		unindex_record(app, i);
		if (i != app->n_sas - 1) {
			unindex_record(app, app->n_sas - 1);
			app->sas[i] = app->sas[app->n_sas - 1];
			index_record(app, i);
		}
		app->n_sas--;
	}
	pthread_mutex_unlock(&app->sas_lock);
}

static int install_static_sas(struct appliance *app)
{
	for (int i = 0; i < app->cfg.n_static_sas; i++) {
		const struct cfg_static_sa *c = &app->cfg.static_sas[i];
		struct esp_sa_params p;
		char err[128];
		fill_params(c, &p);
		struct esp_sa *sa = dp_sa_install(&p, err, sizeof(err));
		if (sa == NULL) {
			LOG_ERR("%s:%d: static SA '%s': %s", app->cfg.path, c->line, c->name, err);
			return -1;
		}
		struct sa_record r;
		fill_record(c, sa, &r);
		if (sa_records_add(app, &r) < 0 || add_sa_policies(c, sa, OWNER_STATIC_SA(i)) < 0)
			return -1;
		LOG_INFO("static SA '%s' installed: %s spi 0x%08x %s %s%s%s", c->name, c->inbound ? "in" : "out", c->spi,
			 esp_algos[c->alg].name, c->mode == IPSEC_MODE_TUNNEL ? "tunnel" : "transport",
			 c->encap ? " udp-encap" : "", c->esn ? " esn" : "");
	}
	return 0;
}

static int install_shunts(struct appliance *app)
{
	for (int i = 0; i < app->cfg.n_shunts; i++) {
		const struct cfg_shunt *s = &app->cfg.shunts[i];
		for (int a = 0; a < s->local_ts.n; a++)
			for (int b = 0; b < s->remote_ts.n; b++)
				for (int dir = 0; dir < 2; dir++) {
					struct dp_policy p = { .src = dir ? s->remote_ts.ts[b] : s->local_ts.ts[a],
							       .dst = dir ? s->local_ts.ts[a] : s->remote_ts.ts[b],
							       .action = s->action == SHUNT_PASS ? DP_POLICY_BYPASS
												 : DP_POLICY_DISCARD };
					p.priority = dp_policy_priority(&p.src, &p.dst, DP_RANK_SHUNT);
					if (dp_policy_add(&p, OWNER_SHUNT(i)) < 0)
						return -1;
				}
	}
	return 0;
}

int static_state_install(struct appliance *app)
{
	if (install_routes(app) < 0 || install_static_sas(app) < 0 || install_shunts(app) < 0) {
		LOG_ERR("cannot install the static configuration");
		return -1;
	}
	return dp_tables_commit();
}

void static_state_remove(struct appliance *app)
{
	pthread_mutex_lock(&app->sas_lock);
	for (int i = 0; i < app->n_sas; i++)
		if (app->sas[i].sa)
			dp_sa_remove(app->sas[i].sa);
	free(app->sas);
	app->sas = NULL;
	app->n_sas = app->cap_sas = 0;
	u64map_free(&app->sas_index);
	pthread_mutex_unlock(&app->sas_lock);
}

struct sa_record *sa_record_by_spi(struct appliance *app, uint32_t spi, bool inbound)
{
	int i = record_index(app, spi_key(spi, inbound), is_spi);
	return i >= 0 ? &app->sas[i] : NULL;
}

struct sa_record *sa_record_by_id(struct appliance *app, uint32_t id)
{
	int i = record_index(app, id_key(id), is_id);
	return i >= 0 ? &app->sas[i] : NULL;
}
