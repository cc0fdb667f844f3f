/* SPDX-License-Identifier: BSD-3-Clause */
/* The commands of the control socket (dpikectl), in text and JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "appliance.h"
#include "ctl_load.h"
#include "ike/credentials.h"
#include "dataplane/replay.h"
#include "lib/parse.h"

/* A worker's counters with its flow cache's, which the cache keeps itself. */
struct worker_view {
	struct dp_worker_stats s;
	uint64_t cache_hits, cache_misses, sa_memo_hits;
};

static void view_worker(const struct dp_worker *w, struct worker_view *v)
{
	v->s = w->stats;
	v->cache_hits = w->spd_cache->hits;
	v->cache_misses = w->spd_cache->misses;
	v->sa_memo_hits = w->spd_cache->sa_memo_hits;
}

static void sum_workers(const struct appliance *app, struct worker_view *total)
{
	struct dp_worker_stats *t = &total->s;
	memset(total, 0, sizeof(*total));
	for (unsigned w = 0; w < app->n_workers; w++) {
		total->cache_hits += app->workers[w].spd_cache->hits;
		total->cache_misses += app->workers[w].spd_cache->misses;
		total->sa_memo_hits += app->workers[w].spd_cache->sa_memo_hits;
		const struct dp_worker_stats *s = &app->workers[w].stats;
		t->loops += s->loops;
		t->idle_loops += s->idle_loops;
		t->busy_cycles += s->busy_cycles;
		t->esp_out_packets += s->esp_out_packets;
		t->esp_in_packets += s->esp_in_packets;
		t->forwarded += s->forwarded;
		t->punted += s->punted;
		t->injected += s->injected;
		t->fragmented += s->fragmented;
		t->fragments_made += s->fragments_made;
		t->reassembled += s->reassembled;
		for (int r = 0; r < DP_DROP_MAX; r++)
			t->drops[r] += s->drops[r];
		for (int p = 0; p < DP_MAX_PORTS; p++) {
			t->port[p].rx_packets += s->port[p].rx_packets;
			t->port[p].rx_bytes += s->port[p].rx_bytes;
			t->port[p].tx_packets += s->port[p].tx_packets;
			t->port[p].tx_bytes += s->port[p].tx_bytes;
		}
	}
}

static uint64_t drops_total(const struct dp_worker_stats *s)
{
	uint64_t n = 0;
	for (int r = 0; r < DP_DROP_MAX; r++)
		if (r != DP_DROP_NAT_KEEPALIVE)
			n += s->drops[r];
	return n;
}

static const char *sa_state(const struct sa_record *r)
{
	return r->expired_hard ? "expired" : r->expired_soft ? "rekey-due" : "installed";
}

static void ts_list_text(const struct traffic_selector *ts, int n, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		char t[64];
		ts_format(&ts[i], t, sizeof(t));
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", t);
	}
}

static void ts_list_json(struct strbuf *o, const struct traffic_selector *ts, int n)
{
	sb_printf(o, "[");
	for (int i = 0; i < n; i++) {
		char t[64];
		ts_format(&ts[i], t, sizeof(t));
		sb_json_str(o, t);
		sb_printf(o, ",");
	}
	sb_trim_comma(o);
	sb_printf(o, "]");
}

static void cmd_status(struct appliance *app, bool json, struct strbuf *o)
{
	long up = (long)(time(NULL) - app->started);
	if (json) {
		sb_printf(o, "{\"version\":\"0.1.0\",\"uptime_s\":%ld,\"config\":", up);
		sb_json_str(o, app->cfg.path);
		sb_printf(o, ",\"workers\":%u,\"idle_sleep_us\":%u,\"tsc_hz\":%lu,\"sas\":%d,\"loading\":%s,\"interfaces\":[",
			  app->n_workers, app->cfg.idle_sleep_us, rte_get_tsc_hz(), app->n_sas,
			  ctl_load_busy() ? "true" : "false");
	} else {
		sb_printf(o, "dpike 0.1.0, up %lds, config %s%s\n%u worker(s), idle sleep %u us, %d SA(s)\ninterfaces:\n", up,
			  app->cfg.path, ctl_load_busy() ? " (being loaded again)" : "", app->n_workers,
			  app->cfg.idle_sleep_us, app->n_sas);
	}
	for (uint16_t i = 0; i < app->n_ports; i++) {
		const struct app_port *p = &app->ports[i];
		char ip[16], mac[RTE_ETHER_ADDR_FMT_SIZE];
		struct rte_eth_link link;
		format_ipv4(p->addr, ip, sizeof(ip));
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		rte_eth_link_get_nowait(p->port_id, &link);
		if (json)
			sb_printf(o, "{\"name\":\"%s\",\"port\":%u,\"address\":\"%s/%u\",\"mac\":\"%s\",\"mtu\":%u,\"link\":%s},",
				  p->name, p->port_id, ip, p->plen, mac, p->mtu, link.link_status ? "true" : "false");
		else
			sb_printf(o, "  %-8s port %u  %s/%u  %s  mtu %u  link %s\n", p->name, p->port_id, ip, p->plen, mac,
				  p->mtu, link.link_status ? "up" : "down");
	}
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "]}\n");
	}
}

static void stats_ports(struct appliance *app, const struct dp_worker_stats *t, bool json, struct strbuf *o)
{
	sb_printf(o, json ? "\"interfaces\":{" : "interfaces:\n");
	for (uint16_t i = 0; i < app->n_ports; i++) {
		const struct app_port *p = &app->ports[i];
		const struct dp_port_stats *s = &t->port[p->port_id];
		struct rte_eth_stats es;
		memset(&es, 0, sizeof(es));
		rte_eth_stats_get(p->port_id, &es);
		if (json)
			sb_printf(o,
				  "\"%s\":{\"rx_packets\":%lu,\"rx_bytes\":%lu,\"tx_packets\":%lu,\"tx_bytes\":%lu,"
				  "\"rx_missed\":%lu,\"rx_errors\":%lu,\"tx_errors\":%lu},",
				  p->name, s->rx_packets, s->rx_bytes, s->tx_packets, s->tx_bytes, es.imissed, es.ierrors,
				  es.oerrors);
		else
			sb_printf(o, "  %-8s rx %lu pkts %lu bytes, tx %lu pkts %lu bytes, missed %lu, errors %lu/%lu\n",
				  p->name, s->rx_packets, s->rx_bytes, s->tx_packets, s->tx_bytes, es.imissed, es.ierrors,
				  es.oerrors);
	}
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "},");
	}
}

static void stats_worker(const struct worker_view *v, const char *name, bool json, struct strbuf *o)
{
	const struct dp_worker_stats *s = &v->s;
	if (json) {
		sb_printf(o,
			  "{\"name\":\"%s\",\"loops\":%lu,\"idle_loops\":%lu,\"busy_cycles\":%lu,\"esp_out\":%lu,"
			  "\"esp_in\":%lu,\"forwarded\":%lu,\"punted\":%lu,\"injected\":%lu,\"fragmented\":%lu,\"fragments_made\":%lu,"
			  "\"reassembled\":%lu,\"flow_cache_hits\":%lu,\"flow_cache_sa_memo_hits\":%lu,\"flow_cache_misses\":%lu,"
			  "\"drops\":{",
			  name, s->loops, s->idle_loops, s->busy_cycles, s->esp_out_packets, s->esp_in_packets, s->forwarded,
			  s->punted, s->injected, s->fragmented, s->fragments_made, s->reassembled, v->cache_hits, v->sa_memo_hits,
			  v->cache_misses);
		for (int r = 0; r < DP_DROP_MAX; r++)
			sb_printf(o, "\"%s\":%lu,", dp_drop_names[r], s->drops[r]);
		sb_trim_comma(o);
		sb_printf(o, "}},");
		return;
	}
	sb_printf(o, "  %-8s esp out %lu, esp in %lu, forwarded %lu, punted %lu, injected %lu, drops %lu\n", name,
		  s->esp_out_packets, s->esp_in_packets, s->forwarded, s->punted, s->injected, drops_total(s));
	if (s->fragmented)
		sb_printf(o, "           fragmented %lu packets into %lu\n", s->fragmented, s->fragments_made);
	if (s->reassembled)
		sb_printf(o, "           reassembled %lu datagrams to us\n", s->reassembled);
	sb_printf(o, "           flow cache: %lu hits (%lu by the memo of the SA that decrypted), %lu misses\n", v->cache_hits,
		  v->sa_memo_hits, v->cache_misses);
	for (int r = 0; r < DP_DROP_MAX; r++)
		if (s->drops[r])
			sb_printf(o, "           %-24s %lu\n", dp_drop_names[r], s->drops[r]);
}

static void stats_control(const struct control_stats *c, bool json, struct strbuf *o)
{
	sb_printf(o, json ? "\"control\":{" : "control:\n");
#define X(f) sb_printf(o, json ? "\"%s\":%lu," : "  %-24s %lu\n", #f, c->f);
	CONTROL_STATS_FIELDS(X)
#undef X
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "}");
	}
}

static void stats_tables(uint32_t flow_cache, bool json, struct strbuf *o)
{
	struct dp_tables_usage u;
	dp_tables_usage(&u);
	static const char *const layouts[] = { [ESP_GCM_KEYS_FULL] = "full", [ESP_GCM_KEYS_COMPACT] = "compact",
					       [ESP_GCM_KEYS_AUTO] = "auto" };
	const char *gcm_keys = layouts[esp_gcm_keys_resolved()];
	/* of the layout the next SA gets */
	size_t gcm_bytes = esp_gcm_key_bytes(esp_gcm_compact());
	const char *gcm_code = esp_gcm_code_name(esp_gcm_compact());
	if (json) {
		sb_printf(o, "\"tables\":{\"sad_sas\":%u,\"sad_size\":%u,\"sad_spilled\":%u,\"sa_bytes\":%zu,\"spd_policies\":%u,"
			     "\"spd_size\":%u,\"spd_shapes\":%u,\"spd_bytes\":%zu,\"spd_changes\":%lu,\"flow_cache_size\":%u,"
			     "\"gcm_keys\":\"%s\",\"gcm_key_bytes\":%zu,\"gcm_code\":\"%s\",\"gcm_full_sas\":%u,\"routes\":%u,\"route_lengths\":%u,\"neighbours\":%u,"
			     "\"neighbours_learned\":%u,\"neighbour_size\":%u,\"fib_snapshots\":%u},",
			  u.sas, u.sas_max, u.sas_spilled, u.sa_bytes, u.policies, u.policies_max, u.shapes, u.spd_bytes, u.spd_changes,
			  flow_cache, gcm_keys, gcm_bytes, gcm_code, esp_gcm_full_sas(), u.routes, u.route_lengths, u.neighbours, u.neighbours_learned,
			  u.neighbours_max, u.fib_snapshots);
		return;
	}
	sb_printf(o, "tables:\n  %-24s %u of %u, %u outside their own bucket\n", "sad (inbound SAs)", u.sas, u.sas_max,
		  u.sas_spilled);
	sb_printf(o, "  %-24s %zu bytes (SAs both ways, with their keys)\n", "sa memory", u.sa_bytes);
	sb_printf(o, "  %-24s %u of %u, %u selector shapes, %zu bytes\n", "spd (policies)", u.policies, u.policies_max,
		  u.shapes, u.spd_bytes);
	sb_printf(o, "  %-24s %lu (policies added and removed, SAs superseded by rekeys)\n", "spd changes",
		  u.spd_changes);
	sb_printf(o, "  %-24s %u entries a worker\n", "flow caches", flow_cache);
	if (esp_gcm_keys_resolved() == ESP_GCM_KEYS_AUTO)
		sb_printf(o, "  %-24s auto: full for the first %u SAs alive (%u now), then compact; next SA %zu bytes, "
			     "code: %s\n", "gcm keys", ESP_GCM_AUTO_FULL_SAS, esp_gcm_full_sas(), gcm_bytes, gcm_code);
	else
		sb_printf(o, "  %-24s %s, %zu bytes an SA; code: %s\n", "gcm keys", gcm_keys, gcm_bytes, gcm_code);
	if (u.route_lengths)
		sb_printf(o, "  %-24s %u, a table for each of %u prefix lengths\n", "routes", u.routes, u.route_lengths);
	else
		sb_printf(o, "  %-24s %u\n", "routes", u.routes);
	sb_printf(o, "  %-24s %u, %u of them learned (of %u)\n", "neighbours", u.neighbours, u.neighbours_learned,
		  u.neighbours_max);
	sb_printf(o, "  %-24s %u held (one per NUMA socket of the workers, and retired ones not yet freed)\n",
		  "fib snapshots", u.fib_snapshots);
}

static void cmd_stats(struct appliance *app, bool json, struct strbuf *o)
{
	struct worker_view t;
	sum_workers(app, &t);
	if (json)
		sb_printf(o, "{");
	stats_ports(app, &t.s, json, o);
	sb_printf(o, json ? "\"workers\":[" : "workers:\n");
	for (unsigned w = 0; w < app->n_workers; w++) {
		char name[24];
		struct worker_view v;
		snprintf(name, sizeof(name), "worker%u", w);
		view_worker(&app->workers[w], &v);
		stats_worker(&v, name, json, o);
	}
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "],\"total\":");
		stats_worker(&t, "total", true, o);
		sb_trim_comma(o);
		sb_printf(o, ",");
	} else {
		stats_worker(&t, "total", false, o);
	}
	stats_tables(app->cfg.flow_cache_size, json, o);
	stats_control(&app->cstats, json, o);
	if (json)
		sb_printf(o, ",");
	ike_stats(app->ike, json, o);
	sb_printf(o, json ? "}\n" : "");
}

/* What list-sas shows of one SA, read from the fast-path SA and its record. */
struct sa_view {
	bool inbound;
	char local[16], remote[16];
	const char *mode, *state, *workers;
	uint64_t packets, bytes, replay_drops, auth_drops, seq;
};

/* Which workers have used the SA: none yet, one (which owns it), or more (sa_owner.h). */
static const char *sa_workers(const struct esp_sa *sa)
{
	uint16_t owner = __atomic_load_n(&sa->owner, __ATOMIC_RELAXED);
	if (owner == SA_OWNER_NONE)
		return "none";
	return owner == SA_OWNER_SHARED || (owner & SA_OWNER_HANDOVER) ? "shared" : "one";
}

static void sa_view(const struct sa_record *r, struct sa_view *v)
{
	const struct esp_sa *sa = r->sa;
	v->inbound = esp_sa_has(sa, ESP_SA_F_INBOUND);
	format_ipv4(rte_be_to_cpu_32(sa->local_be), v->local, sizeof(v->local));
	format_ipv4(rte_be_to_cpu_32(sa->remote_be), v->remote, sizeof(v->remote));
	v->mode = esp_sa_has(sa, ESP_SA_F_TUNNEL) ? "tunnel" : "transport";
	v->state = sa_state(r);
	v->workers = sa_workers(sa);
	v->packets = __atomic_load_n(&sa->packets, __ATOMIC_RELAXED);
	v->bytes = __atomic_load_n(&sa->bytes, __ATOMIC_RELAXED);
	v->replay_drops = __atomic_load_n(&sa->replay_drops, __ATOMIC_RELAXED);
	v->auth_drops = __atomic_load_n(&sa->auth_drops, __ATOMIC_RELAXED);
	v->seq = v->inbound ? __atomic_load_n(&sa->replay->top, __ATOMIC_RELAXED)
			    : __atomic_load_n(&sa->seq_out, __ATOMIC_RELAXED);
}

static void sa_json(const struct sa_record *r, struct strbuf *o)
{
	const struct esp_sa *sa = r->sa;
	struct sa_view v;
	sa_view(r, &v);
	sb_printf(o, "{\"name\":");
	sb_json_str(o, r->name);
	sb_printf(o,
		  ",\"source\":\"%s\",\"direction\":\"%s\",\"spi\":\"0x%08x\",\"mode\":\"%s\",\"encap\":%s,\"esn\":%s,"
		  "\"esp\":\"%s\",\"local\":\"%s\",\"remote\":\"%s\",\"state\":\"%s\",\"packets\":%lu,\"bytes\":%lu,"
		  "\"replay_drops\":%lu,\"auth_drops\":%lu,\"workers\":\"%s\",",
		  r->source, v.inbound ? "in" : "out", sa->spi, v.mode, esp_sa_has(sa, ESP_SA_F_UDP_ENCAP) ? "true" : "false",
		  esp_sa_has(sa, ESP_SA_F_ESN) ? "true" : "false", sa->alg->name, v.local, v.remote, v.state, v.packets,
		  v.bytes, v.replay_drops, v.auth_drops, v.workers);
	if (v.inbound)
		sb_printf(o, "\"replay_window\":%u,\"highest_seq\":%lu,", r->replay_window, v.seq);
	else
		sb_printf(o, "\"last_seq\":%lu,", v.seq);
	sb_printf(o, "\"local_ts\":");
	ts_list_json(o, r->sa->local_ts, r->sa->n_local_ts);
	sb_printf(o, ",\"remote_ts\":");
	ts_list_json(o, r->sa->remote_ts, r->sa->n_remote_ts);
	sb_printf(o, "},");
}

static void sa_text(const struct sa_record *r, struct strbuf *o)
{
	const struct esp_sa *sa = r->sa;
	struct sa_view v;
	char lts[512], rts[512];
	sa_view(r, &v);
	ts_list_text(sa->local_ts, sa->n_local_ts, lts, sizeof(lts));
	ts_list_text(sa->remote_ts, sa->n_remote_ts, rts, sizeof(rts));
	sb_printf(o, "%s: %s %s, spi 0x%08x, %s%s%s, %s, %s\n  %s %s === %s %s\n", r->name, r->source,
		  v.inbound ? "in" : "out", sa->spi, v.mode, esp_sa_has(sa, ESP_SA_F_UDP_ENCAP) ? ", udp-encap" : "",
		  esp_sa_has(sa, ESP_SA_F_ESN) ? ", esn" : "", sa->alg->name, v.state, v.local, lts, v.remote, rts);
	sb_printf(o, "  %lu packets, %lu bytes, replay drops %lu, auth drops %lu, %s %lu, workers: %s\n", v.packets,
		  v.bytes, v.replay_drops, v.auth_drops, v.inbound ? "highest seq" : "last seq", v.seq, v.workers);
}

static int by_install_order(const void *a, const void *b)
{
	const struct sa_record *x = *(const struct sa_record *const *)a, *y = *(const struct sa_record *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void cmd_list_sas(struct appliance *app, bool json, struct strbuf *o)
{
	const struct sa_record **order = malloc((size_t)(app->n_sas ? app->n_sas : 1) * sizeof(*order));
	if (order == NULL) {
		sb_printf(o, json ? "{\"error\":\"out of memory\"}\n" : "out of memory\n");
		return;
	}
	for (int i = 0; i < app->n_sas; i++)
		order[i] = &app->sas[i];
	qsort(order, (size_t)app->n_sas, sizeof(*order), by_install_order);
	if (json) {
		sb_printf(o, "{\"ike_sas\":[");
		ike_list_sas(app->ike, true, o);
		sb_trim_comma(o);
		sb_printf(o, "],\"sas\":[");
	} else {
		ike_list_sas(app->ike, false, o);
	}
	for (int i = 0; i < app->n_sas; i++) {
		if (json)
			sa_json(order[i], o);
		else
			sa_text(order[i], o);
	}
	free(order);
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "]}\n");
	} else if (app->n_sas == 0 && o->len == 0) {
		sb_printf(o, "no SAs\n");
	}
}

/* Commands that act on a connection or child: initiate, terminate, rekey, reauth. */
static int cmd_ike(struct appliance *app, const char *cmd, const char *name, bool json, struct strbuf *o)
{
	struct strbuf err;
	int rc;
	sb_init(&err);
	if (strcmp(cmd, "initiate") == 0)
		rc = ike_initiate(app->ike, name, &err);
	else if (strcmp(cmd, "terminate") == 0)
		rc = ike_terminate(app->ike, name, &err);
	else if (strcmp(cmd, "reauth") == 0)
		rc = ike_reauth(app->ike, name, &err);
	else
		rc = ike_rekey(app->ike, name, &err);
	if (rc == 0)
		sb_printf(o, json ? "{\"result\":\"%s %s started\"}\n" : "%s %s started\n", cmd, name);
	else
		sb_printf(o, "%s", err.buf ? err.buf : "failed\n");
	sb_free(&err);
	return rc;
}

static void cmd_list_certs(struct appliance *app, bool json, struct strbuf *o)
{
	credentials_list(&app->cfg, json, o);
}

static void cmd_list_pools(struct appliance *app, bool json, struct strbuf *o)
{
	ike_list_pools(app->ike, json, o);
}

/* A load answers once the file has been read, which the control core does not wait for. */
static int cmd_load(const char *name, int argc, enum ctl_load_what what, bool json, struct strbuf *o,
		    struct ctl_load **wait)
{
	if (argc > 1) {
		sb_printf(o, "%s takes no arguments\n", name);
		return -1;
	}
	if ((*wait = ctl_load_ask(what, json)) == NULL) {
		sb_printf(o, "too many loads waiting; try again\n");
		return -1;
	}
	return CTL_WAITS;
}

int ctl_execute(struct appliance *app, int argc, char **argv, bool json, struct strbuf *o, struct ctl_load **wait)
{
	static const struct {
		const char *name;
		void (*fn)(struct appliance *, bool, struct strbuf *);
	} cmds[] = { { "status", cmd_status }, { "stats", cmd_stats }, { "list-sas", cmd_list_sas },
		       { "list-certs", cmd_list_certs }, { "list-pools", cmd_list_pools },
		       { "list-neighbours", ctl_list_neighbours }, { "list-conns", ctl_list_conns } };
	static const char *const ike_cmds[] = { "initiate", "terminate", "rekey", "reauth" };
	for (size_t i = 0; i < sizeof(ike_cmds) / sizeof(ike_cmds[0]); i++) {
		if (strcmp(argv[0], ike_cmds[i]) != 0)
			continue;
		if (argc != 2) {
			sb_printf(o, "usage: %s CONNECTION[/CHILD]\n", argv[0]);
			return -1;
		}
		return cmd_ike(app, argv[0], argv[1], json, o);
	}
	if (strcmp(argv[0], "stages") == 0)
		return ctl_stages(app, argc, argv, json, o);
	static const struct {
		const char *name;
		enum ctl_load_what what;
	} loads[] = { { "load-creds", CTL_LOAD_CREDS }, { "load-conns", CTL_LOAD_CONNS }, { "load-all", CTL_LOAD_ALL } };
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
		if (strcmp(argv[0], loads[i].name) == 0)
			return cmd_load(argv[0], argc, loads[i].what, json, o, wait);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name) != 0)
			continue;
		if (argc > 1) {
			sb_printf(o, "%s takes no arguments\n", argv[0]);
			return -1;
		}
		cmds[i].fn(app, json, o);
		return 0;
	}
	sb_printf(o, "unknown command '%s' (status, stats, list-conns, list-sas, list-certs, list-pools, "
		     "list-neighbours, stages, initiate, terminate, rekey, reauth, load-creds, load-conns, load-all)\n", argv[0]);
	return -1;
}
