/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP that arrived for an SA on its way in (dataplane/spi_awaited.h), held here until IKE
 * installs the SA and then sent through a worker to be decrypted, so that a peer that starts
 * sending on a new SA the moment it answers (strongSwan does for an IKE_AUTH's child) loses
 * nothing in the instant before this end has read the answer. What waits longer than
 * ESP_HELD_MS (the SA never came) or finds no room is dropped and counted.
 */
#include <string.h>

#include "appliance.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/spi_awaited.h"

#define ESP_HELD_MAX 256  /* packets, all SAs together: a few milliseconds of a busy peer's traffic */
#define ESP_HELD_MS 2000  /* an answer later than this has been retransmitted; its packets are stale */

static struct held {
	struct rte_mbuf *m;
	uint32_t spi;
	uint64_t until_ms;
} held[ESP_HELD_MAX];
static unsigned n_held;

static void deliver(struct appliance *app, struct rte_mbuf *m);
static void drop(struct appliance *app, struct rte_mbuf *m);

void esp_held_take(struct appliance *app, struct rte_mbuf *m, uint32_t spi)
{
	/* IKE's ring is drained first: the answer that installs the SA is often read before this packet */
	if (sa_record_by_spi(app, spi, true)) {
		app->cstats.esp_held++;
		deliver(app, m);
		return;
	}
	if (n_held == ESP_HELD_MAX || !dp_spi_awaited(spi)) { /* full, or given up meanwhile */
		drop(app, m);
		return;
	}
	held[n_held++] = (struct held){ .m = m, .spi = spi, .until_ms = app_now_ms() + ESP_HELD_MS };
	app->cstats.esp_held++;
}

/* Keeps the entries keep() says to, in their order; the others are handed to done(). */
static void sweep(struct appliance *app, bool (*keep)(const struct held *h, uint64_t arg), uint64_t arg,
		  void (*done)(struct appliance *app, struct rte_mbuf *m))
{
	unsigned k = 0;
	for (unsigned i = 0; i < n_held; i++) {
		if (keep(&held[i], arg))
			held[k++] = held[i];
		else
			done(app, held[i].m);
	}
	n_held = k;
}

static bool other_spi(const struct held *h, uint64_t spi)
{
	return h->spi != spi;
}

static bool still_young(const struct held *h, uint64_t now)
{
	return h->until_ms > now;
}

static void deliver(struct appliance *app, struct rte_mbuf *m)
{
	app->cstats.esp_held_delivered++;
	control_inject(app, m, DP_INJECT_ESP_IN, 0);
}

static void drop(struct appliance *app, struct rte_mbuf *m)
{
	app->cstats.esp_held_dropped++;
	rte_pktmbuf_free(m);
}

void esp_held_release(struct appliance *app, uint32_t spi)
{
	dp_spi_await_end(spi);
	if (n_held)
		sweep(app, other_spi, spi, deliver);
}

void esp_held_forget(struct appliance *app, uint32_t spi)
{
	dp_spi_await_end(spi);
	if (n_held)
		sweep(app, other_spi, spi, drop);
}

void esp_held_expire(struct appliance *app, uint64_t now_ms)
{
	if (n_held)
		sweep(app, still_young, now_ms, drop);
}

void esp_held_fini(struct appliance *app)
{
	sweep(app, still_young, UINT64_MAX, drop);
}
