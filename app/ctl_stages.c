/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpikectl stages: the cycles each worker spent in each stage of its poll (workers.stage_cycles),
 * and turning the counting on or off while dpike runs. The counts start at zero and only grow: a
 * reader takes two readings and compares them, as with every other counter.
 */
#include <string.h>

#include <rte_cycles.h>

#include "appliance.h"

static bool stages_counted(const struct appliance *app)
{
	for (unsigned w = 0; w < app->n_workers; w++)
		if (__atomic_load_n(&app->workers[w].stage_cycles, __ATOMIC_RELAXED))
			return true;
	return false;
}

static uint64_t stages_cycles(const struct dp_stage_stats *s)
{
	uint64_t n = 0;
	for (int i = 0; i < DP_STAGE_MAX; i++)
		n += s->cycles[i];
	return n;
}

static double per(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void stages_json(const char *name, const struct dp_stage_stats *s, struct strbuf *o)
{
	sb_printf(o, "{\"name\":\"%s\",\"stages\":{", name);
	for (int i = 0; i < DP_STAGE_MAX; i++)
		sb_printf(o, "\"%s\":{\"packets\":%lu,\"cycles\":%lu},", dp_stage_names[i], s->packets[i], s->cycles[i]);
	sb_trim_comma(o);
	sb_printf(o, "}},");
}

/*
 * A stage's cycles a packet it was handed, and a packet the worker took in (received, or injected
 * by the control core: those classify sorts), which column adds up to the worker's cycles a packet.
 */
static void stages_text(const char *name, const struct dp_stage_stats *s, struct strbuf *o)
{
	uint64_t received = s->packets[DP_STAGE_CLASSIFY];
	sb_printf(o, "%s\n  %-10s %14s %16s %12s %12s\n", name, "stage", "packets", "cycles", "cyc/handed",
		  "cyc/received");
	for (int i = 0; i < DP_STAGE_MAX; i++)
		sb_printf(o, "  %-10s %14lu %16lu %12.1f %12.1f\n", dp_stage_names[i], s->packets[i], s->cycles[i],
			  per(s->cycles[i], s->packets[i]), per(s->cycles[i], received));
	sb_printf(o, "  %-10s %14lu %16lu %12s %12.1f\n", "all", received, stages_cycles(s), "",
		  per(stages_cycles(s), received));
}

static void stages_show(struct appliance *app, bool json, struct strbuf *o)
{
	struct dp_stage_stats total, s;
	memset(&total, 0, sizeof(total));
	if (json)
		sb_printf(o, "{\"counting\":%s,\"tsc_hz\":%lu,\"workers\":[", stages_counted(app) ? "true" : "false",
			  rte_get_tsc_hz());
	else
		sb_printf(o, "stage cycles: %s (TSC %.2f GHz)\n", stages_counted(app) ? "counting" : "off",
			  rte_get_tsc_hz() / 1e9);
	for (unsigned w = 0; w < app->n_workers; w++) {
		char name[24];
		snprintf(name, sizeof(name), "worker%u", w);
		memset(&s, 0, sizeof(s));
		dp_stage_stats_add(&s, &app->workers[w].stats.stages);
		dp_stage_stats_add(&total, &s);
		if (json)
			stages_json(name, &s, o);
		else
			stages_text(name, &s, o);
	}
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "],\"total\":");
		stages_json("total", &total, o);
		sb_trim_comma(o);
		sb_printf(o, "}\n");
	} else if (app->n_workers > 1) {
		stages_text("total", &total, o);
	}
}

int ctl_stages(struct appliance *app, int argc, char **argv, bool json, struct strbuf *o)
{
	if (argc == 1) {
		stages_show(app, json, o);
		return 0;
	}
	bool on = strcmp(argv[1], "on") == 0;
	if (argc > 2 || (!on && strcmp(argv[1], "off") != 0)) {
		sb_printf(o, "usage: stages [on|off]\n");
		return -1;
	}
	for (unsigned w = 0; w < app->n_workers; w++)
		__atomic_store_n(&app->workers[w].stage_cycles, on, __ATOMIC_RELAXED);
	if (json)
		sb_printf(o, "{\"counting\":%s}\n", on ? "true" : "false");
	else
		sb_printf(o, "stage cycles %s\n", on ? "counting" : "off");
	return 0;
}
