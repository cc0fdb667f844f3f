/* SPDX-License-Identifier: BSD-3-Clause */
/* The running appliance as the control core sees it. */
#ifndef DPIKE_APP_APPLIANCE_H
#define DPIKE_APP_APPLIANCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <rte_ether.h>

#include "config/config.h"
#include "lib/u64map.h"
#include "dataplane/dp_stats.h"
#include "dataplane/worker.h"
#include "ike/ike.h"
#include "lib/strbuf.h"

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

struct app_port {
	char name[CFG_NAME_MAX];
	uint16_t port_id;
	struct rte_ether_addr mac;
	uint32_t addr;
	uint8_t plen;
	uint16_t mtu;
	uint16_t rx_queues;
};

/* The control-plane half of an installed SA: what the fast-path half (sa) does not need. */
struct sa_record {
	char name[CFG_NAME_MAX];
	char source[16]; /* "static", later "ikev2" / "ikev1" */
	uint32_t replay_window;
	struct esp_sa *sa; /* its traffic selectors are the SA's own */
	uint32_t ike_spi_in; /* made by IKE: the inbound SPI of its pair, which names the child to IKE */
	bool expired_soft, expired_hard;
	time_t installed;
	uint64_t seq; /* order of installation, for listing: the array itself keeps none */
};

/* Control-core counters, shown beside the workers' (dpikectl stats, telemetry's /dpike/control). */
#define CONTROL_STATS_FIELDS(X)                                                                                  \
	X(arp_requests_in) X(arp_replies_in) X(arp_requests_out) X(arp_replies_out) X(arp_table_full)            \
	X(icmp_echo_replies) X(icmp_errors_out) X(icmp_errors_ratelimited) X(ike_packets) X(local_unhandled)      \
	X(udp_port_unreachable) X(udp_bad_checksum) X(fragments_made) X(neigh_pending_dropped) X(punts)          \
	X(fib_commits) X(fib_commit_us) X(neighbours_expired) X(inject_ring_full) X(updown_runs) X(updown_failed)    \
	X(updown_killed) X(updown_dropped) X(esp_held) X(esp_held_delivered) X(esp_held_dropped)
struct control_stats {
	uint64_t arp_requests_in, arp_replies_in, arp_replies_out, arp_requests_out;
	uint64_t arp_table_full; /* senders not learned: workers.neighbour_size learned neighbours already */
	uint64_t neighbours_expired; /* learned ones forgotten: no answer once workers.neighbour_timeout had passed */
	uint64_t icmp_echo_replies, icmp_errors_out, icmp_errors_ratelimited;
	uint64_t ike_packets, local_unhandled, udp_port_unreachable, udp_bad_checksum, fragments_made, neigh_pending_dropped;
	uint64_t punts;
	uint64_t inject_ring_full; /* what this core sent (ARP, ICMP, IKE, fragments) that found worker 0's ring full */
	uint64_t fib_commits, fib_commit_us; /* snapshots of routes and neighbours given to the workers, and their cost */
	/* children's updown scripts: started (or not, for want of a process), failed (not started, a status
	 * other than 0, a signal), killed (still running after UPDOWN_TIMEOUT_MS), dropped (not queued for want of memory) */
	uint64_t updown_runs, updown_failed, updown_killed, updown_dropped;
	/* ESP that came for an SA on its way in (esp_held.c): held, sent on once the SA was in, dropped
	 * (the SA never came, or no room) */
	uint64_t esp_held, esp_held_delivered, esp_held_dropped;
};

struct appliance {
	struct dpike_config cfg;
	struct credentials *creds; /* certificates and keys of pubkey connections */
	char ctl_path[108];
	unsigned n_workers;
	unsigned spare_lcores; /* the last lcores, left to the caller (the benchmark's generators) */
	struct dp_worker *workers;
	struct rte_mempool *pool;
	struct rte_mempool *afp_pool; /* receive buffers of net_af_packet ports (app/ports.c), made with the first */
	struct rte_ring *events;
	struct rte_rcu_qsbr *qsv;
	struct app_port ports[DP_MAX_PORTS];
	uint16_t n_ports;
	struct sa_record *sas; /* static and IKE-made SAs; changed under sas_lock */
	int n_sas, cap_sas;
	uint64_t sas_seq;
	struct u64map sas_index; /* record index + 1 by esp_sa pointer and by SPI and direction */
	pthread_mutex_t sas_lock; /* telemetry reads the records from its own thread */
	struct ike_daemon *ike;
	struct control_stats cstats;
	/* What telemetry's thread reads of the control core's state, copied there each timer tick */
	pthread_mutex_t tel_lock;
	struct dp_tables_usage tel_usage;
	struct control_stats tel_cstats;
	uint64_t next_timer_ms;
	uint64_t commit_after_tsc; /* the next FIB commit no sooner (control.c: commit_tables) */
	uint64_t ctl_polled_ms; /* when the control socket was last asked for a connection */
	time_t started;
};

extern volatile bool app_stop;

/* Start-up and shut-down (lifecycle.c). appliance_load_config() fails with the reason in err;
 * appliance_start() makes one worker per lcore other than the main one and the spare ones. */
int appliance_load_config(struct appliance *app, const char *path, const char *ctl_path, char err[CFG_ERR_MAX]);
int appliance_start(struct appliance *app);
void appliance_launch_workers(struct appliance *app);
void appliance_stop(struct appliance *app);

/* Ports: created from the config, started, stopped. */
int ports_init(struct appliance *app);
void ports_stop(struct appliance *app);
const struct app_port *port_by_id(const struct appliance *app, uint16_t port_id);

/* Static configuration into the dataplane: routes, neighbours, static SAs, shunts. */
int static_state_install(struct appliance *app);
void static_state_remove(struct appliance *app);
struct sa_record *sa_record_by_spi(struct appliance *app, uint32_t spi, bool inbound);
/* The record of the SA with this esp_sa.id (as lifetime events name it), or NULL. */
struct sa_record *sa_record_by_id(struct appliance *app, uint32_t id);
int sa_records_add(struct appliance *app, const struct sa_record *r);
void sa_records_remove(struct appliance *app, const struct esp_sa *sa);

/* The IKE daemon, wired to the punt path and the dataplane tables. */
int ike_glue_init(struct appliance *app);
void ike_glue_fini(struct appliance *app);
void ike_glue_input(struct appliance *app, struct rte_mbuf *m);
/* Installs trap policies and starts the start_action = start connections. */
int ike_glue_start(struct appliance *app);
/* A packet that hit a trap (id from the policy): held, and IKE asked for its SA. */
/*
 * Trap policies (traps.c): installed for every loaded connection at start (traps_install), for
 * one connection loaded or dropped by load-conns (traps_add, traps_drop); a packet that hit one
 * (traps_hit), and what was held there sent once the child is up (traps_release).
 */
int traps_install(struct appliance *app);
int traps_add(struct appliance *app, const struct cfg_connection *c);
void traps_drop(const struct cfg_connection *c);
void traps_hit(struct appliance *app, struct rte_mbuf *m, uint32_t id);
void traps_release(struct appliance *app, const char *conn, const char *child);
void traps_fini(void);

/* The control core: control_poll() is one pass, without waiting; returns the work it found. */
void control_loop(struct appliance *app);
unsigned control_poll(struct appliance *app);
/* Sends a packet through a worker (see enum dp_inject_kind); frees it when the ring is full. */
void control_inject(struct appliance *app, struct rte_mbuf *m, uint8_t kind, uint16_t port);

void arp_handle(struct appliance *app, struct rte_mbuf *m);
void arp_need_neighbour(struct appliance *app, struct rte_mbuf *m, uint32_t next_hop, uint16_t port);
void arp_timer(struct appliance *app, uint64_t now_ms);
/* Sends the packets whose next hop was learned, once dp_tables_commit() has published it. */
void arp_release_resolved(struct appliance *app);
void arp_fini(void);

void icmp_handle_local(struct appliance *app, struct rte_mbuf *m);
/* Answers the offending packet (data at its IPv4 header) with an ICMP error, then frees it. */
void icmp_send_error(struct appliance *app, struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t mtu);
/* ESP for an SA on its way in (esp_held.c): held; sent on through a worker once the SA with that
 * inbound SPI is installed (release); dropped when it does not come in time (expire) or at stop. */
void esp_held_take(struct appliance *app, struct rte_mbuf *m, uint32_t spi);
void esp_held_release(struct appliance *app, uint32_t spi);
/* The SA with that inbound SPI will not come (its request failed, or it was removed): what waits for it is dropped. */
void esp_held_forget(struct appliance *app, uint32_t spi);
void esp_held_expire(struct appliance *app, uint64_t now_ms);
void esp_held_fini(struct appliance *app);
/* Splits an IPv4 packet into fragments of at most mtu bytes and injects them; frees m. */
void fragment_and_inject(struct appliance *app, struct rte_mbuf *m, uint16_t mtu, uint8_t kind);

/* Control socket and DPDK telemetry. */
int ctl_server_open(struct appliance *app);
void ctl_server_poll(struct appliance *app);
void ctl_server_close(void);
struct ctl_load;
/* A command's answer in out: 0 (OK) or -1 (ERR); or CTL_WAITS with *wait the load that answers later (ctl_load.h). */
#define CTL_WAITS 1
int ctl_execute(struct appliance *app, int argc, char **argv, bool json, struct strbuf *out, struct ctl_load **wait);
/* dpikectl list-neighbours (ctl_neighbours.c). */
void ctl_list_neighbours(struct appliance *app, bool json, struct strbuf *o);
/* dpikectl list-conns (ctl_conns.c): the configured connections and their children. */
void ctl_list_conns(struct appliance *app, bool json, struct strbuf *o);
/*
 * What dpikectl load-creds (ctl_creds.c) and load-conns (ctl_conns_load.c) put in place of the running
 * set, once the file has been read (ctl_load.c): file's secrets, or its connections with their
 * credentials creds (NULL, and creds_err saying why, when they failed to load; taken either way).
 * -1, and nothing changed, when they cannot be; file keeps what was not taken, for the caller to free.
 */
int ctl_creds_take(struct appliance *app, struct dpike_config *file, bool json, struct strbuf *o);
int ctl_conns_take(struct appliance *app, struct dpike_config *file, struct credentials *creds, const char *creds_err,
		   bool json, struct strbuf *o);
/* dpikectl stages [on|off] (ctl_stages.c): each worker's cycles by stage, or their counting turned on or off. */
int ctl_stages(struct appliance *app, int argc, char **argv, bool json, struct strbuf *o);
int telemetry_register(struct appliance *app);
/* Copies table usage and control-core counters where telemetry reads them (control core only). */
void telemetry_publish(struct appliance *app);

uint64_t app_now_ms(void);

#endif
