/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpikectl load-conns, as swanctl --load-conns: the configuration file read again (ctl_load.c) and its
 * connections put in place of the running ones without a restart. A connection whose group
 * reads as before stays as it is; a new one is loaded; one changed or gone is dropped (and its
 * replacement loaded). Dropping undoes the start action, as swanctl.conf says: its traps go, and
 * if a child of it starts by itself, its established IKE SAs are closed; its other SAs go on
 * with the old settings until they end (each holds its connection, ike/conns.h). New and
 * replacing connections then run their start action. The whole file must load as at start-up
 * (certificates and keys of the connections included), and the pools and shunts, read at
 * start-up only, must be as they are, or nothing changes.
 */
#include <stdlib.h>
#include <string.h>

#include "appliance.h"
#include "ike/conns.h"
#include "ike/credentials.h"
#include "lib/log.h"

struct load_count {
	int added, replaced, removed, kept, closed, new_crls;
};

static bool same_pool(const struct cfg_pool *a, const struct cfg_pool *b)
{
	return strcmp(a->name, b->name) == 0 && a->base == b->base && a->size == b->size && a->n_dns == b->n_dns &&
	       memcmp(a->dns, b->dns, sizeof(a->dns[0]) * (size_t)a->n_dns) == 0;
}

static bool same_ts_list(const struct cfg_ts_list *a, const struct cfg_ts_list *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++) {
		const struct traffic_selector *x = &a->ts[i], *y = &b->ts[i];
		if (x->addr != y->addr || x->plen != y->plen || x->proto != y->proto || x->port_lo != y->port_lo ||
		    x->port_hi != y->port_hi || x->dynamic != y->dynamic)
			return false;
	}
	return true;
}

static bool same_shunt(const struct cfg_shunt *a, const struct cfg_shunt *b)
{
	return strcmp(a->name, b->name) == 0 && a->action == b->action && same_ts_list(&a->local_ts, &b->local_ts) &&
	       same_ts_list(&a->remote_ts, &b->remote_ts);
}

/* What load-conns cannot change: "" when all is as running, else what differs. */
static const char *fixed_part_changed(const struct dpike_config *run, const struct dpike_config *file)
{
	if (run->n_pools != file->n_pools)
		return "pools";
	for (int i = 0; i < run->n_pools; i++)
		if (!same_pool(&run->pools[i], &file->pools[i]))
			return "pools";
	if (run->n_shunts != file->n_shunts)
		return "shunts (and children of mode pass or drop)";
	for (int i = 0; i < run->n_shunts; i++)
		if (!same_shunt(&run->shunts[i], &file->shunts[i]))
			return "shunts (and children of mode pass or drop)";
	return "";
}

/* What becomes of each running connection: it stays, a new one of its name replaces it, or it goes. */
enum fate { FATE_GOES, FATE_REPLACED, FATE_STAYS };

/*
 * The plan: next[] the set to run (file order), incoming[i] whether next[i] is new to it, kept[i] the
 * file's twin of a running next[i] that stays (its CRLs taken once the load cannot fail), fate[] by
 * running index.
 */
struct plan {
	struct cfg_connection **next, **kept;
	bool *incoming;
	int n_next;
	enum fate *fate;
	int *by_name; /* running indexes in name order, for lookups in n log n (a concentrator's thousands) */
};

static int by_name(const void *a, const void *b, void *run)
{
	struct cfg_connection *const *c = ((const struct dpike_config *)run)->connections;
	return strcmp(c[*(const int *)a]->name, c[*(const int *)b]->name);
}

/* The running index of the connection named name, or -1. */
static int running_index(const struct dpike_config *run, const struct plan *p, const char *name)
{
	int lo = 0, hi = run->n_connections - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2, c = strcmp(run->connections[p->by_name[mid]]->name, name);
		if (c == 0)
			return p->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static void plan_free(struct plan *p)
{
	free(p->next);
	free(p->kept);
	free(p->incoming);
	free(p->fate);
	free(p->by_name);
}

static int plan_alloc(struct plan *p, const struct dpike_config *run, int n_next)
{
	*p = (struct plan){ .next = calloc((size_t)n_next + 1, sizeof(*p->next)),
			    .kept = calloc((size_t)n_next + 1, sizeof(*p->kept)),
			    .incoming = calloc((size_t)n_next + 1, sizeof(*p->incoming)),
			    .n_next = n_next,
			    .fate = calloc((size_t)run->n_connections + 1, sizeof(*p->fate)),
			    .by_name = calloc((size_t)run->n_connections + 1, sizeof(*p->by_name)) };
	if (!p->next || !p->kept || !p->incoming || !p->fate || !p->by_name) {
		plan_free(p);
		return -1;
	}
	for (int i = 0; i < run->n_connections; i++)
		p->by_name[i] = i;
	qsort_r(p->by_name, (size_t)run->n_connections, sizeof(p->by_name[0]), by_name, (void *)run);
	return 0;
}

/*
 * The set to run: the running connection where the file's reads the same and its certificates,
 * keys and CAs are the same files' contents, else the file's. Each file connection not taken is
 * let go of once the load is sure (let_go_of_kept).
 */
static void choose(const struct dpike_config *run, struct dpike_config *file, struct plan *p, struct load_count *n)
{
	for (int i = 0; i < file->n_connections; i++) {
		struct cfg_connection *f = file->connections[i];
		int k = running_index(run, p, f->name);
		if (k >= 0 && run->connections[k]->digest == f->digest && credentials_same(run->connections[k], f)) {
			p->next[i] = run->connections[k];
			ike_conn_hold(p->next[i]);
			p->kept[i] = f;
			p->fate[k] = FATE_STAYS;
			n->kept++;
			continue;
		}
		p->next[i] = f;
		p->incoming[i] = true;
		if (k >= 0)
			p->fate[k] = FATE_REPLACED;
		n->replaced += k >= 0;
		n->added += k < 0;
	}
	file->n_connections = 0; /* each taken or let go of */
}

/* The traps of the connections coming in; none of them, and -1, when one cannot be added. */
static int add_traps(struct appliance *app, const struct plan *p)
{
	for (int i = 0; i < p->n_next; i++)
		if (p->incoming[i] && traps_add(app, p->next[i]) < 0) {
			for (int k = 0; k <= i; k++)
				if (p->incoming[k])
					traps_drop(p->next[k]);
			return -1;
		}
	return 0;
}

/* The running connections that leave: their start action undone, the set's hold let go of. */
static void drop_leaving(struct appliance *app, const struct plan *p, struct load_count *n)
{
	const struct dpike_config *run = &app->cfg;
	for (int i = 0; i < run->n_connections; i++) {
		struct cfg_connection *old = run->connections[i];
		if (p->fate[i] == FATE_STAYS)
			continue;
		old->dropped = true;
		traps_drop(old);
		n->closed += (int)ike_close_conn(app->ike, old);
		n->removed += p->fate[i] == FATE_GOES;
	}
	for (int i = 0; i < run->n_connections; i++)
		ike_conn_put(run->connections[i]); /* the old set's holds; SAs, and the next set, keep theirs */
}

/* The file's twins of the connections that stay, let go of; with take_crls, once these have taken their CRLs. */
static void let_go_of_kept(struct plan *p, bool take_crls, struct load_count *n)
{
	for (int i = 0; i < p->n_next; i++) {
		if (p->kept[i] == NULL)
			continue;
		if (take_crls)
			n->new_crls += credentials_take_crls(p->next[i], p->kept[i]);
		ike_conn_put(p->kept[i]);
		p->kept[i] = NULL;
	}
}

/* The file's connections (and their credentials) in place of the running ones; -1, and none, if no memory. */
static int take(struct appliance *app, struct dpike_config *file, struct credentials *creds, struct load_count *n)
{
	struct plan p;
	if (plan_alloc(&p, &app->cfg, file->n_connections) < 0) {
		credentials_free(creds);
		return -1;
	}
	choose(&app->cfg, file, &p, n);
	if (add_traps(app, &p) < 0) {
		let_go_of_kept(&p, false, n);
		for (int i = 0; i < p.n_next; i++)
			ike_conn_put(p.next[i]);
		credentials_put(creds);
		plan_free(&p);
		return -1;
	}
	let_go_of_kept(&p, true, n);
	drop_leaving(app, &p, n);
	free(app->cfg.connections);
	app->cfg.connections = p.next;
	app->cfg.n_connections = p.n_next;
	config_conn_index_free(&app->cfg.conn_index); /* of the set before */
	p.next = NULL;
	ike_set_credentials(app->ike, creds);
	credentials_put(app->creds);
	app->creds = creds;
	for (int i = 0; i < p.n_next; i++)
		if (p.incoming[i])
			ike_start_conn(app->ike, app->cfg.connections[i]);
	plan_free(&p);
	return 0;
}

static void report(const struct appliance *app, const struct load_count *n, bool json, struct strbuf *o)
{
	LOG_INFO("connections loaded again from %s: %d in all, %d new, %d replaced, %d removed, %d unchanged (%d with "
		 "new CRLs); %d IKE SAs closed",
		 app->cfg.path, app->cfg.n_connections, n->added, n->replaced, n->removed, n->kept, n->new_crls, n->closed);
	if (json)
		sb_printf(o, "{\"connections\":%d,\"added\":%d,\"replaced\":%d,\"removed\":%d,\"unchanged\":%d,"
			  "\"new_crls\":%d,\"ike_sas_closed\":%d}\n",
			  app->cfg.n_connections, n->added, n->replaced, n->removed, n->kept, n->new_crls, n->closed);
	else
		sb_printf(o, "loaded %d connections: %d new, %d replaced, %d removed, %d unchanged (%d with new CRLs); "
			     "%d IKE SAs closed\n",
			  app->cfg.n_connections, n->added, n->replaced, n->removed, n->kept, n->new_crls, n->closed);
}

int ctl_conns_take(struct appliance *app, struct dpike_config *file, struct credentials *creds, const char *creds_err,
		   bool json, struct strbuf *o)
{
	const char *fixed = fixed_part_changed(&app->cfg, file);
	if (*fixed || (file->n_connections && creds == NULL)) {
		if (*fixed)
			sb_printf(o, "%s: %s changed; they are read at start-up: restart dpike to change them\n",
				  app->cfg.path, fixed);
		else
			sb_printf(o, "%s\n", creds_err);
		sb_printf(o, "nothing changed\n");
		if (creds)
			credentials_free(creds);
		return -1;
	}
	struct load_count n = { 0 };
	if (take(app, file, creds, &n) < 0) {
		sb_printf(o, "out of memory\nnothing changed\n");
		return -1;
	}
	report(app, &n, json, o);
	return 0;
}
