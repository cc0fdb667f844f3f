/* SPDX-License-Identifier: BSD-3-Clause */
/* The control core's loop: punted packets, dataplane events, the control socket, timers. */
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "appliance.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/tables.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "updown.h"

#define CONTROL_BURST 64
/*
 * Sleep between polls that found nothing: short while there was work lately, longer once idle
 * for a while (then a punted packet waits up to a millisecond more; polling every 200 us cost
 * an idle control core ~4% of a CPU).
 */
#define CONTROL_IDLE_US 200
#define CONTROL_DEEP_IDLE_US 1000
#define CONTROL_DEEP_AFTER_MS 100
#define TIMER_INTERVAL_MS 100
/*
 * A commit copies the whole FIB for every worker: 1.5 ms at 65,536 neighbours, 33 ms at a
 * million. While new neighbours keep coming (an ARP flood, a LAN larger than the table), a
 * commit on every pass would leave IKE a sliver of this core, so the next one waits until
 * COMMIT_SHARE_DIV times as long as the last took has passed: commits get at most that share
 * of the core. With small tables (microseconds a commit) that is the next pass.
 */
#define COMMIT_SHARE_DIV 4

volatile bool app_stop;

uint64_t app_now_ms(void)
{
	return clock_mono_ms();
}

void control_inject(struct appliance *app, struct rte_mbuf *m, uint8_t kind, uint16_t port)
{
	struct dp_meta *meta = dp_meta(m);
	meta->code = kind;
	meta->port = port;
	meta->flags = 0;
	meta->aux = 0;
	/* Worker 0's inject ring has this core as its only producer. */
	if (rte_ring_enqueue(app->workers[0].inject, m) != 0) {
		app->cstats.inject_ring_full++;
		rte_pktmbuf_free(m);
	}
}

static void handle_punt(struct appliance *app, struct rte_mbuf *m)
{
	const struct dp_meta *meta = dp_meta(m);
	app->cstats.punts++;
	switch (meta->code) {
	case DP_PUNT_ARP:
		arp_handle(app, m);
		break;
	case DP_PUNT_LOCAL:
		icmp_handle_local(app, m);
		break;
	case DP_PUNT_NEED_NEIGH:
		arp_need_neighbour(app, m, meta->aux, meta->port);
		break;
	case DP_PUNT_TTL:
		icmp_send_error(app, m, 11, 0, 0);
		break;
	case DP_PUNT_FRAG_NEEDED:
		icmp_send_error(app, m, 3, 4, (uint16_t)meta->aux);
		break;
	case DP_PUNT_ACQUIRE:
		traps_hit(app, m, meta->aux);
		break;
	case DP_PUNT_ESP_AWAITED:
		esp_held_take(app, m, meta->aux);
		break;
	case DP_PUNT_FRAGMENT:
		fragment_and_inject(app, m, (uint16_t)meta->aux,
				    (meta->flags & DP_META_F_PRE_ESP) ? DP_INJECT_LOCAL : DP_INJECT_ROUTE);
		break;
	default:
		rte_pktmbuf_free(m);
	}
}

static unsigned drain_ring(struct appliance *app, struct rte_ring *r)
{
	struct rte_mbuf *pkts[CONTROL_BURST];
	unsigned n = rte_ring_dequeue_burst(r, (void **)pkts, CONTROL_BURST, NULL);
	for (unsigned i = 0; i < n; i++)
		handle_punt(app, pkts[i]);
	return n;
}

/*
 * IKE first, from every worker, then the rest: a flood of ARP, ICMP or fragments then fills
 * its own rings and is dropped there, while IKE keeps its rings and its turn.
 */
static unsigned drain_punts(struct appliance *app)
{
	unsigned total = 0;
	for (unsigned w = 0; w < app->n_workers; w++)
		total += drain_ring(app, app->workers[w].punt_ike);
	for (unsigned w = 0; w < app->n_workers; w++)
		total += drain_ring(app, app->workers[w].punt);
	return total;
}

/* Authenticated ESP from a new endpoint: IKE moves its SAs there; static SAs stay where configured. */
static void peer_moved(struct appliance *app, const struct sa_record *r, const struct esp_sa_event *ev)
{
	if (strcmp(r->source, "static") != 0) {
		ike_peer_moved(app->ike, r->ike_spi_in, ev->addr, ev->port);
		return;
	}
	char at[32];
	format_ipv4(ev->addr, at, sizeof(at));
	LOG_WARN("SA '%s' (spi 0x%08x in): its peer's ESP now comes from %s:%u; a static SA keeps its configured peer",
		 r->name, ev->spi, at, ev->port);
}

/* Lifetimes crossed in the dataplane: IKE rekeys its SAs; for static ones it is reported.
 * NAT rebindings seen there move IKE's SAs. */
static unsigned drain_events(struct appliance *app)
{
	struct esp_sa_event ev[32];
	unsigned n = rte_ring_dequeue_burst_elem(app->events, ev, sizeof(ev[0]), 32, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct sa_record *r = sa_record_by_id(app, ev[i].id); /* gone meanwhile: nothing to do */
		if (r == NULL)
			continue;
		if (ev[i].kind == ESP_EVENT_PEER_MOVED) {
			peer_moved(app, r, &ev[i]);
			continue;
		}
		bool hard = ev[i].kind == ESP_EXPIRY_HARD;
		*(hard ? &r->expired_hard : &r->expired_soft) = true;
		if (strcmp(r->source, "static") != 0) {
			ike_child_expired(app->ike, r->ike_spi_in, hard); /* IKE rekeys or deletes it */
			continue;
		}
		LOG_WARN("SA '%s' (spi 0x%08x %s) reached its %s lifetime%s", r->name, ev[i].spi, ev[i].inbound ? "in" : "out",
			 hard ? "hard" : "soft", hard ? "; it no longer carries traffic" : "");
	}
	return n;
}

/* Neighbours learned since the last commit reach the workers in one snapshot, whatever their number. */
static void commit_tables(struct appliance *app)
{
	uint64_t start = rte_get_tsc_cycles();
	if (!dp_tables_pending() || start < app->commit_after_tsc || dp_tables_commit() != 0)
		return;
	uint64_t took = rte_get_tsc_cycles() - start;
	app->commit_after_tsc = start + COMMIT_SHARE_DIV * took;
	app->cstats.fib_commits++;
	app->cstats.fib_commit_us += took * 1000000 / rte_get_tsc_hz();
	arp_release_resolved(app);
}

static void poll_updown(struct appliance *app, uint64_t now)
{
	struct updown_stats u;
	updown_poll(now);
	updown_stats(&u);
	app->cstats.updown_runs = u.runs;
	app->cstats.updown_failed = u.failed;
	app->cstats.updown_killed = u.killed;
	app->cstats.updown_dropped = u.dropped;
}

unsigned control_poll(struct appliance *app)
{
	unsigned work = drain_punts(app) + drain_events(app);
	if (app->ike)
		ike_flush(app->ike); /* the IKE_SA_INIT requests of this burst, their key exchanges together */
	commit_tables(app);
	uint64_t now = app_now_ms();
	/* accept4() on an idle socket builds and frees a socket in the kernel (a few us): once a millisecond serves the CLI */
	if (now != app->ctl_polled_ms) {
		app->ctl_polled_ms = now;
		ctl_server_poll(app);
		poll_updown(app, now);
	}
	if (now >= app->next_timer_ms) {
		arp_timer(app, now);
		esp_held_expire(app, now);
		if (app->ike)
			ike_tick(app->ike);
		dp_tables_reclaim();
		telemetry_publish(app);
		app->next_timer_ms = now + TIMER_INTERVAL_MS;
	}
	return work;
}

void control_loop(struct appliance *app)
{
	uint64_t last_work_ms = app_now_ms();
	while (!app_stop) {
		if (control_poll(app) != 0) {
			last_work_ms = app->ctl_polled_ms;
			continue;
		}
		bool deep = app->ctl_polled_ms - last_work_ms >= CONTROL_DEEP_AFTER_MS;
		rte_delay_us_sleep(deep ? CONTROL_DEEP_IDLE_US : CONTROL_IDLE_US);
	}
}
