/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bringing the appliance up and down around the control loop: packet pool, workers and their
 * rings, tables, ports, static state, IKE, the control socket. dpike's main and the dataplane
 * benchmark (which adds a traffic generator on the main lcore) share it.
 */
#include <stdio.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "appliance.h"
#include "ike/credentials.h"
#include "dataplane/esp.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/tables.h"
#include "ike/conns.h"
#include "lib/log.h"

#define MBUF_CACHE 256
#define RING_SIZE 4096

int appliance_load_config(struct appliance *app, const char *path, const char *ctl_path, char err[CFG_ERR_MAX])
{
	if (config_load(path, &app->cfg, err) < 0 ||
	    (app->cfg.n_connections && (app->creds = credentials_load(&app->cfg, err, CFG_ERR_MAX)) == NULL)) {
		config_free(&app->cfg);
		return -1;
	}
	log_set_level((enum log_level)app->cfg.log_level);
	snprintf(app->ctl_path, sizeof(app->ctl_path), "%s", ctl_path ? ctl_path : app->cfg.ctl_socket);
	app->started = time(NULL);
	return 0;
}

static struct rte_ring *make_ring(const char *kind, unsigned id, unsigned flags)
{
	char name[RTE_RING_NAMESIZE];
	snprintf(name, sizeof(name), "%s_%u", kind, id);
	return rte_ring_create(name, RING_SIZE, (int)rte_socket_id(), flags);
}

/* Worker i runs on the i-th worker lcore (the spare ones, last, are the caller's). */
static unsigned worker_lcore(unsigned i)
{
	unsigned lcore;
	RTE_LCORE_FOREACH_WORKER(lcore)
		if (i-- == 0)
			break;
	return lcore;
}

static void log_gcm_keys(void)
{
	switch (esp_gcm_keys_resolved()) {
	case ESP_GCM_KEYS_AUTO:
		LOG_INFO("AES-GCM SAs: full keys (%zu bytes, %s) for the first %u alive at a time, compact ones "
			 "(%zu bytes with AES-128, %s) past them",
			 esp_gcm_key_bytes(false), esp_gcm_code_name(false), ESP_GCM_AUTO_FULL_SAS,
			 esp_gcm_key_bytes(true), esp_gcm_code_name(true));
		break;
	case ESP_GCM_KEYS_COMPACT:
		LOG_INFO("AES-GCM SAs keep compact keys: %zu bytes each with AES-128 (full: %zu), run by %s", esp_gcm_key_bytes(true),
			 esp_gcm_key_bytes(false), esp_gcm_code_name(true));
		break;
	case ESP_GCM_KEYS_FULL:
		LOG_INFO("AES-GCM SAs keep full keys: %zu bytes each, run by %s", esp_gcm_key_bytes(false),
			 esp_gcm_code_name(false));
		break;
	}
}

static int setup_workers(struct appliance *app)
{
	struct dp_tables *tables[DP_MAX_WORKERS];
	static const enum esp_gcm_keys layouts[] = { [CFG_GCM_KEYS_AUTO] = ESP_GCM_KEYS_AUTO,
						     [CFG_GCM_KEYS_FULL] = ESP_GCM_KEYS_FULL,
						     [CFG_GCM_KEYS_COMPACT] = ESP_GCM_KEYS_COMPACT };
	esp_gcm_code_set(app->cfg.gcm_ipsec_mb_only ? ESP_GCM_CODE_IPSEC_MB : ESP_GCM_CODE_AUTO);
	esp_gcm_keys_set(layouts[app->cfg.gcm_keys]);
	log_gcm_keys();
	size_t qs = rte_rcu_qsbr_get_memsize(app->n_workers);
	app->qsv = rte_zmalloc("qsbr", qs, RTE_CACHE_LINE_SIZE);
	app->workers = rte_zmalloc("workers", sizeof(struct dp_worker) * app->n_workers, RTE_CACHE_LINE_SIZE);
	app->events = rte_ring_create_elem("dp_events", sizeof(struct esp_sa_event), RING_SIZE,
					   (int)rte_socket_id(), RING_F_SC_DEQ);
	if (app->qsv == NULL || app->workers == NULL || app->events == NULL || rte_rcu_qsbr_init(app->qsv, app->n_workers))
		return -1;
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct dp_worker *w = &app->workers[i];
		/* all workers' reassembly together hold at most a quarter of the packet buffers */
		if (dp_worker_init(w, i, (int)rte_lcore_to_socket_id(worker_lcore(i)), app->events,
				   app->cfg.flow_cache_size, app->cfg.mbufs / 4 / app->n_workers) < 0) {
			LOG_ERR("worker %u: cannot allocate its flow cache of %u entries, %u MiB (workers.flow_cache_size; "
				"raise -m?), its reassembly table or its crypto managers", i, app->cfg.flow_cache_size,
				(unsigned)((uint64_t)app->cfg.flow_cache_size * sizeof(struct dp_spd_cache_entry) >> 20));
			return -1;
		}
		if (i == 0)
			LOG_INFO("AES-CBC's HMAC on IPsec-MB's code timed fastest here, for packets up to %u bytes and longer: "
				 "SHA1 %s and %s, SHA2-256 %s and %s, SHA2-384 and SHA2-512 %s", ESP_HMAC_LONG,
				 esp_hmac_code(&w->esp, ESP_INTEG_SHA1_96, false), esp_hmac_code(&w->esp, ESP_INTEG_SHA1_96, true),
				 esp_hmac_code(&w->esp, ESP_INTEG_SHA256_128, false),
				 esp_hmac_code(&w->esp, ESP_INTEG_SHA256_128, true),
				 esp_hmac_code(&w->esp, ESP_INTEG_SHA512_256, false));
		w->queue = (uint16_t)i;
		w->burst = app->cfg.burst_size;
		w->idle_sleep_us = app->cfg.idle_sleep_us;
		w->stage_cycles = app->cfg.stage_cycles;
		w->qsv = app->qsv;
		w->punt = make_ring("punt", i, RING_F_SP_ENQ | RING_F_SC_DEQ);
		w->punt_ike = make_ring("punt_ike", i, RING_F_SP_ENQ | RING_F_SC_DEQ);
		w->inject = make_ring("inject", i, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->punt == NULL || w->punt_ike == NULL || w->inject == NULL)
			return -1;
		tables[i] = &w->tables;
	}
	struct dp_table_sizes sizes = { .sas = app->cfg.sad_size, .policies = app->cfg.spd_size,
					.neighbours = app->cfg.neighbour_size };
	if (dp_tables_init(app->n_workers, tables, app->qsv, &sizes) < 0) {
		LOG_ERR("cannot create the SAD (%u SAs) and SPD (%u policies): out of memory? (EAL -m, workers.sad_size, "
			"workers.spd_size)", sizes.sas, sizes.policies);
		return -1;
	}
	if (app->cfg.flow_cache_size < app->cfg.sad_size / 4)
		LOG_WARN("flow caches of %u entries for up to %u SAs: with traffic over most of them most packets will "
			 "miss the cache and be looked up in the SPD (workers.flow_cache_size; a few entries a flow)",
			 app->cfg.flow_cache_size, app->cfg.sad_size);
	return 0;
}

int appliance_start(struct appliance *app)
{
	app->n_workers = rte_lcore_count() - 1 > app->spare_lcores ? rte_lcore_count() - 1 - app->spare_lcores : 0;
	if (app->n_workers == 0 || app->n_workers > DP_MAX_WORKERS) {
		LOG_ERR("dpike needs 2 to %d lcores: the main lcore for control, the others for workers (e.g. -l 0-1)",
			DP_MAX_WORKERS + 1);
		return -1;
	}
	if (dp_meta_register() < 0) {
		LOG_ERR("cannot register the mbuf metadata field");
		return -1;
	}
	app->pool = rte_pktmbuf_pool_create("mbufs", app->cfg.mbufs, MBUF_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					    (int)rte_socket_id());
	if (app->pool == NULL || setup_workers(app) < 0) {
		LOG_ERR("cannot allocate %u packet buffers (workers.mbufs), rings or tables (raise -m?)", app->cfg.mbufs);
		return -1;
	}
	pthread_mutex_init(&app->sas_lock, NULL);
	pthread_mutex_init(&app->tel_lock, NULL);
	if (ports_init(app) < 0 || static_state_install(app) < 0 || ike_glue_init(app) < 0 || ctl_server_open(app) < 0)
		return -1;
	telemetry_publish(app);
	if (telemetry_register(app) < 0)
		LOG_WARN("DPDK telemetry commands not registered");
	return 0;
}

void appliance_stop(struct appliance *app)
{
	dp_workers_stop = true;
	rte_eal_mp_wait_lcore();
	ctl_server_close();
	ike_glue_fini(app); /* removes its children while the tables still exist */
	esp_held_fini(app);
	ports_stop(app);
	arp_fini();
	static_state_remove(app);
	dp_tables_fini();
	for (unsigned i = 0; app->workers && i < app->n_workers; i++)
		dp_worker_fini(&app->workers[i]);
	for (int i = 0; i < app->cfg.n_connections; i++)
		ike_conn_put(app->cfg.connections[i]); /* with their credentials, which may be of an earlier load */
	app->cfg.n_connections = 0;
	credentials_put(app->creds);
	app->creds = NULL;
	config_free(&app->cfg);
}

void appliance_launch_workers(struct appliance *app)
{
	for (unsigned i = 0; i < app->n_workers; i++)
		rte_eal_remote_launch(dp_worker_main, &app->workers[i], worker_lcore(i));
}
