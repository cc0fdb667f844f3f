/* SPDX-License-Identifier: BSD-3-Clause */
/* dpikectl list-neighbours: the neighbour table (configured and learned by ARP), as `ip neigh` shows one. */
#include <stdlib.h>

#include "appliance.h"
#include "dataplane/tables.h"
#include "lib/parse.h"

struct neigh_list {
	struct dp_neigh_info *v;
	size_t n, cap;
	bool failed;
};

static void collect(const struct dp_neigh_info *info, void *ctx)
{
	struct neigh_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct dp_neigh_info *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			l->failed = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *info;
}

static int by_port_then_address(const void *a, const void *b)
{
	const struct dp_neigh *x = &((const struct dp_neigh_info *)a)->n, *y = &((const struct dp_neigh_info *)b)->n;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static void print_one(const struct appliance *app, const struct dp_neigh_info *e, bool json, struct strbuf *o)
{
	char ip[16], mac[18];
	const struct app_port *p = port_by_id(app, e->n.port);
	const uint8_t *m = e->n.mac.addr_bytes;
	format_ipv4(e->n.ip, ip, sizeof(ip));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	uint64_t age_s = e->age_ms / 1000;
	if (json)
		sb_printf(o, "{\"interface\":\"%s\",\"ip\":\"%s\",\"mac\":\"%s\",\"configured\":%s,\"age_s\":%lu},",
			  p ? p->name : "?", ip, mac, e->configured ? "true" : "false", age_s);
	else if (e->configured)
		sb_printf(o, "%-8s %-15s %s  configured\n", p ? p->name : "?", ip, mac);
	else
		sb_printf(o, "%-8s %-15s %s  learned, confirmed %lu s ago\n", p ? p->name : "?", ip, mac, age_s);
}

void ctl_list_neighbours(struct appliance *app, bool json, struct strbuf *o)
{
	struct neigh_list l = { 0 };
	dp_neigh_walk(collect, &l);
	if (l.failed) {
		free(l.v);
		sb_printf(o, json ? "{\"error\":\"out of memory\"}\n" : "out of memory\n");
		return;
	}
	qsort(l.v, l.n, sizeof(l.v[0]), by_port_then_address);
	struct dp_tables_usage u;
	dp_tables_usage(&u);
	if (json)
		sb_printf(o, "{\"learned\":%u,\"neighbour_size\":%u,\"neighbours\":[", u.neighbours_learned,
			  u.neighbours_max);
	for (size_t i = 0; i < l.n; i++)
		print_one(app, &l.v[i], json, o);
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "]}\n");
	} else {
		sb_printf(o, "%zu neighbours, %u of them learned (workers.neighbour_size %u)\n", l.n, u.neighbours_learned,
			  u.neighbours_max);
	}
	free(l.v);
}
