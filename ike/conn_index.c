/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A concentrator holds a connection for each of thousands of sites; a walk over all of them for
 * each IKE_SA_INIT cost a handshake more than its key exchange. Built on first use from the
 * connections as they stand (struct cfg_conn_index); load-conns forgets it when it changes them.
 */
#include <stdlib.h>

#include "conn_index.h"

static bool single_addresses(const struct cfg_connection *c)
{
	if (c->n_remote_addrs == 0)
		return false; /* any */
	for (int i = 0; i < c->n_remote_addrs; i++)
		if (c->remote_ranges[i].first != c->remote_ranges[i].last)
			return false;
	return true;
}

static bool add_entry(struct cfg_conn_index *x, uint32_t addr, int conn)
{
	int newest = u64chains_first(&x->by_addr, addr);
	if (newest >= 0 && x->by_addr.e[newest].val == conn)
		return true; /* the same address twice in one connection */
	return u64chains_add(&x->by_addr, addr, conn) == 0;
}

static bool index_connection(struct cfg_conn_index *x, const struct cfg_connection *c, int i)
{
	if (!single_addresses(c)) {
		x->wide[x->n_wide++] = i;
		return true;
	}
	for (int k = 0; k < c->n_remote_addrs; k++)
		if (!add_entry(x, c->remote_ranges[k].first, i))
			return false;
	return true;
}

static const struct cfg_conn_index *index_of(const struct dpike_config *cfg)
{
	/* a cache of the connections as they stand, so that lookups take the configuration as it is: const */
	struct cfg_conn_index *x = (struct cfg_conn_index *)&cfg->conn_index;
	if (x->built && x->of == cfg->connections && x->n_of == cfg->n_connections)
		return x;
	config_conn_index_free(x);
	x->of = cfg->connections;
	x->n_of = cfg->n_connections;
	x->wide = malloc(((size_t)cfg->n_connections + 1) * sizeof(*x->wide));
	bool ok = x->wide != NULL;
	/* backwards, so that each address's chain runs in file order */
	for (int i = cfg->n_connections - 1; ok && i >= 0; i--)
		ok = index_connection(x, cfg->connections[i], i);
	if (!ok) {
		config_conn_index_free(x);
		return NULL;
	}
	for (int a = 0, b = x->n_wide - 1; a < b; a++, b--) { /* file order */
		int t = x->wide[a];
		x->wide[a] = x->wide[b];
		x->wide[b] = t;
	}
	x->built = true;
	return x;
}

void conn_iter_start(struct conn_iter *it, const struct dpike_config *cfg, uint32_t remote)
{
	it->cfg = cfg;
	it->x = index_of(cfg);
	it->entry = it->x ? u64chains_first(&it->x->by_addr, remote) : -1;
	it->wide = 0;
	it->all = 0;
}

const struct cfg_connection *conn_iter_next(struct conn_iter *it)
{
	const struct cfg_conn_index *x = it->x;
	if (x == NULL)
		return it->all < it->cfg->n_connections ? it->cfg->connections[it->all++] : NULL;
	int single = it->entry >= 0 ? x->by_addr.e[it->entry].val : -1;
	int wide = it->wide < x->n_wide ? x->wide[it->wide] : -1;
	if (single < 0 && wide < 0)
		return NULL;
	if (wide < 0 || (single >= 0 && single < wide)) {
		it->entry = x->by_addr.e[it->entry].next;
		return it->cfg->connections[single];
	}
	it->wide++;
	return it->cfg->connections[wide];
}
