/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * swanctl's updown: a child's shell command, run as the child comes up and as it goes down (a
 * rekey is neither), once for each pair of its local and remote selectors, with the PLUTO_*
 * environment of strongSwan's _updown script. Runs start in the order they came, up to
 * UPDOWN_PARALLEL at a time, one at a time for each peer (its runs keep the order of its children's
 * events: a child's up before its down); the control core starts and reaps them between its other
 * work and never waits on one, and what they print goes to dpike's log. A run waiting holds a
 * reference to its child's details (a few bytes a run), so a mass of clients coming and going
 * queues every run however many there are. Control core only.
 */
#ifndef DPIKE_APP_UPDOWN_H
#define DPIKE_APP_UPDOWN_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "ike/ike.h"

/* Runs under way at once, of different peers. */
#define UPDOWN_PARALLEL 4
/* A run still going after this is killed (its process group), so that the rest are not held up. */
#define UPDOWN_TIMEOUT_MS 30000
/* What a stop gives the runs still queued (the children's down runs among them). */
#define UPDOWN_SHUTDOWN_MS 10000

/* What a child's runs need, kept from its install to its removal. */
struct updown_child;

/* For a child whose configuration has updown (NULL otherwise, or out of memory); iface: the name of
 * the interface with our address. */
struct updown_child *updown_child_new(const struct ike_child_keys *k, const struct cfg_child *cfg, const char *iface);
/* The child is gone: its details go once its runs still waiting have run. */
void updown_child_free(struct updown_child *u);
/* A rekeyed child keeps its predecessor's PLUTO_REQID, as an SA's reqid survives rekeys in strongSwan. */
void updown_child_succeeds(struct updown_child *u, const struct updown_child *old);
/* Queues the child's runs, PLUTO_VERB up-client (or up-host) or down-client (down-host). */
void updown_queue(struct updown_child *u, bool up);

/* Reaps the run under way, logs what it printed, starts the next. Cheap when nothing is queued. */
void updown_poll(uint64_t now_ms);
/* At shutdown: runs what is queued for at most timeout_ms, then kills what is left. */
void updown_drain(unsigned timeout_ms);

struct updown_stats {
	uint64_t runs, failed, killed, dropped;
};
void updown_stats(struct updown_stats *s);

#endif
