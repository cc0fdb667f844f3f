/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The same counters as dpikectl, through DPDK telemetry (dpdk-telemetry.py): /dpike/stats,
 * /dpike/control, /dpike/tables, /dpike/sas, /dpike/stages. Telemetry answers from a thread of
 * its own: the workers' counters it reads as they go, the control core's state from a copy the
 * control core refreshes each timer tick (100 ms), under tel_lock.
 */
#include <string.h>

#include <rte_telemetry.h>

#include "appliance.h"

static struct appliance *tel_app;

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct dp_worker_stats t;
	uint64_t hits = 0, misses = 0, memo_hits = 0;
	memset(&t, 0, sizeof(t));
	for (unsigned w = 0; w < tel_app->n_workers; w++) {
		const struct dp_worker_stats *s = &tel_app->workers[w].stats;
		hits += tel_app->workers[w].spd_cache->hits;
		misses += tel_app->workers[w].spd_cache->misses;
		memo_hits += tel_app->workers[w].spd_cache->sa_memo_hits;
		t.esp_in_packets += s->esp_in_packets;
		t.esp_out_packets += s->esp_out_packets;
		t.forwarded += s->forwarded;
		t.punted += s->punted;
		t.fragmented += s->fragmented;
		t.fragments_made += s->fragments_made;
		t.reassembled += s->reassembled;
		for (int r = 0; r < DP_DROP_MAX; r++)
			t.drops[r] += s->drops[r];
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "esp_in", t.esp_in_packets);
	rte_tel_data_add_dict_u64(d, "esp_out", t.esp_out_packets);
	rte_tel_data_add_dict_u64(d, "forwarded", t.forwarded);
	rte_tel_data_add_dict_u64(d, "punted", t.punted);
	rte_tel_data_add_dict_u64(d, "fragmented", t.fragmented);
	rte_tel_data_add_dict_u64(d, "fragments_made", t.fragments_made);
	rte_tel_data_add_dict_u64(d, "reassembled", t.reassembled);
	rte_tel_data_add_dict_u64(d, "flow_cache_hits", hits);
	rte_tel_data_add_dict_u64(d, "flow_cache_sa_memo_hits", memo_hits);
	rte_tel_data_add_dict_u64(d, "flow_cache_misses", misses);
	for (int r = 0; r < DP_DROP_MAX; r++) {
		char name[64];
		snprintf(name, sizeof(name), "drop_%s", dp_drop_names[r]);
		rte_tel_data_add_dict_u64(d, name, t.drops[r]);
	}
	return 0;
}

static int tel_sas(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&tel_app->sas_lock);
	for (int i = 0; i < tel_app->n_sas && i < RTE_TEL_MAX_DICT_ENTRIES; i++) {
		const struct sa_record *r = &tel_app->sas[i];
		char name[96];
		snprintf(name, sizeof(name), "%s/0x%08x", r->name, r->sa->spi);
		rte_tel_data_add_dict_u64(d, name, __atomic_load_n(&r->sa->packets, __ATOMIC_RELAXED));
	}
	pthread_mutex_unlock(&tel_app->sas_lock);
	return 0;
}

void telemetry_publish(struct appliance *app)
{
	struct dp_tables_usage u;
	dp_tables_usage(&u);
	pthread_mutex_lock(&app->tel_lock);
	app->tel_usage = u;
	app->tel_cstats = app->cstats;
	pthread_mutex_unlock(&app->tel_lock);
}

/* What the control core published last, copied out under its lock (either pointer may be NULL). */
static void read_published(struct dp_tables_usage *u, struct control_stats *c)
{
	pthread_mutex_lock(&tel_app->tel_lock);
	if (u)
		*u = tel_app->tel_usage;
	if (c)
		*c = tel_app->tel_cstats;
	pthread_mutex_unlock(&tel_app->tel_lock);
}

static int tel_control(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct control_stats c;
	read_published(NULL, &c);
	rte_tel_data_start_dict(d);
#define X(f) rte_tel_data_add_dict_u64(d, #f, c.f);
	CONTROL_STATS_FIELDS(X)
#undef X
	return 0;
}

/* The workers' cycles and packets by stage, summed (counted while dpikectl stages is on). */
static int tel_stages(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct dp_stage_stats t;
	memset(&t, 0, sizeof(t));
	for (unsigned w = 0; w < tel_app->n_workers; w++)
		dp_stage_stats_add(&t, &tel_app->workers[w].stats.stages);
	rte_tel_data_start_dict(d);
	for (int i = 0; i < DP_STAGE_MAX; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s_cycles", dp_stage_names[i]);
		rte_tel_data_add_dict_u64(d, name, t.cycles[i]);
		snprintf(name, sizeof(name), "%s_packets", dp_stage_names[i]);
		rte_tel_data_add_dict_u64(d, name, t.packets[i]);
	}
	return 0;
}

static int tel_tables(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	struct dp_tables_usage u;
	read_published(&u, NULL);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "sad_sas", u.sas);
	rte_tel_data_add_dict_u64(d, "sad_size", u.sas_max);
	rte_tel_data_add_dict_u64(d, "sad_spilled", u.sas_spilled);
	rte_tel_data_add_dict_u64(d, "sa_bytes", u.sa_bytes);
	rte_tel_data_add_dict_u64(d, "spd_policies", u.policies);
	rte_tel_data_add_dict_u64(d, "spd_size", u.policies_max);
	rte_tel_data_add_dict_u64(d, "spd_shapes", u.shapes);
	rte_tel_data_add_dict_u64(d, "spd_changes", u.spd_changes);
	rte_tel_data_add_dict_u64(d, "routes", u.routes);
	rte_tel_data_add_dict_u64(d, "neighbours", u.neighbours);
	rte_tel_data_add_dict_u64(d, "neighbours_learned", u.neighbours_learned);
	rte_tel_data_add_dict_u64(d, "neighbour_size", u.neighbours_max);
	rte_tel_data_add_dict_u64(d, "fib_snapshots", u.fib_snapshots);
	return 0;
}

int telemetry_register(struct appliance *app)
{
	tel_app = app;
	static const struct {
		const char *path;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{ "/dpike/stats", tel_stats, "dpike dataplane totals and drops by reason" },
		{ "/dpike/control", tel_control, "dpike control-core counters (ARP, ICMP, IKE, punts)" },
		{ "/dpike/tables", tel_tables, "dpike SAD, SPD, routes, neighbours: how full" },
		{ "/dpike/sas", tel_sas, "dpike SAs: packets per SA name" },
		{ "/dpike/stages", tel_stages, "dpike workers' TSC cycles and packets by stage (dpikectl stages on)" },
	};
	for (size_t i = 0; i < RTE_DIM(cmds); i++)
		if (rte_telemetry_register_cmd(cmds[i].path, cmds[i].fn, cmds[i].help) != 0)
			return -1;
	return 0;
}
