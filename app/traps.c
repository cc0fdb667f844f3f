/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trap policies (start_action, dpd_action or close_action = trap): a packet that hits one is
 * punted here, held, and its child created; once the child is up, what was held goes out through
 * it. Each trapping child has a hold of its own, named in its policies by a number that is never
 * used again, so that a packet punted before load-conns replaced the connection finds no hold
 * rather than another child's.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "appliance.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/tables.h"
#include "lib/log.h"

#define TRAP_HOLD 8
#define TRAP_OWNER 0x400000000ULL /* + the hold's id: the policy owner */

struct trap_hold {
	const struct cfg_connection *conn;
	const struct cfg_child *child;
	uint32_t id;
	unsigned n;
	struct rte_mbuf *pkts[TRAP_HOLD];
};

static struct trap_hold *holds;
static int n_holds;
static uint32_t last_id;

static bool traps(const struct cfg_child *ch)
{
	return ch->start_action == START_TRAP || ch->dpd_action == DPD_TRAP || ch->close_action == CLOSE_TRAP;
}

/* The trap's policies, one per pair of selectors: 0; 1 when it cannot be placed (logged); -1 when the SPD refuses one. */
static int add_policies(const struct dpike_config *cfg, const struct cfg_connection *c, const struct cfg_child *ch,
			uint32_t id)
{
	struct ike_endpoint local = { 0 }, remote = { 0 };
	if (ch->local_ts.n == 0 || ch->remote_ts.n == 0) {
		LOG_WARN("%s/%s: a trap needs local_ts and remote_ts; not installed", c->name, ch->name);
		return 1;
	}
	if ((cfg_ts_has_dynamic(&ch->local_ts) || cfg_ts_has_dynamic(&ch->remote_ts)) &&
	    !ike_conn_endpoints(cfg, c, &local, &remote)) {
		LOG_WARN("%s/%s: a trap with dynamic selectors needs one remote_addrs address; not installed", c->name,
			 ch->name);
		return 1;
	}
	for (int l = 0; l < ch->local_ts.n; l++)
		for (int r = 0; r < ch->remote_ts.n; r++) {
			struct dp_policy p = { .src = ts_resolve(&ch->local_ts.ts[l], local.addr),
					       .dst = ts_resolve(&ch->remote_ts.ts[r], remote.addr),
					       .action = DP_POLICY_TRAP, .trap_id = id };
			p.priority = dp_policy_priority(&p.src, &p.dst, DP_RANK_TRAP);
			if (dp_policy_add(&p, TRAP_OWNER + id) < 0)
				return -1;
		}
	return 0;
}

int traps_add(struct appliance *app, const struct cfg_connection *c)
{
	for (int k = 0; k < c->n_children; k++) {
		const struct cfg_child *ch = &c->children[k];
		if (!traps(ch))
			continue;
		struct trap_hold *h = realloc(holds, (size_t)(n_holds + 1) * sizeof(*holds));
		if (h == NULL)
			return -1;
		holds = h;
		uint32_t id = ++last_id;
		int rc = add_policies(&app->cfg, c, ch, id);
		if (rc < 0) {
			dp_policy_remove_owner(TRAP_OWNER + id);
			return -1;
		}
		if (rc == 0)
			holds[n_holds++] = (struct trap_hold){ .conn = c, .child = ch, .id = id };
	}
	return 0;
}

void traps_drop(const struct cfg_connection *c)
{
	int kept = 0;
	for (int i = 0; i < n_holds; i++) {
		if (holds[i].conn != c) {
			holds[kept++] = holds[i];
			continue;
		}
		dp_policy_remove_owner(TRAP_OWNER + holds[i].id);
		rte_pktmbuf_free_bulk(holds[i].pkts, holds[i].n);
	}
	n_holds = kept;
}

int traps_install(struct appliance *app)
{
	for (int c = 0; c < app->cfg.n_connections; c++)
		if (traps_add(app, app->cfg.connections[c]) < 0)
			return -1;
	return 0;
}

void traps_fini(void)
{
	for (int i = 0; i < n_holds; i++)
		rte_pktmbuf_free_bulk(holds[i].pkts, holds[i].n);
	free(holds);
	holds = NULL;
	n_holds = 0;
}

static struct trap_hold *hold_of(uint32_t id)
{
	for (int i = 0; i < n_holds; i++)
		if (holds[i].id == id)
			return &holds[i];
	return NULL;
}

void traps_hit(struct appliance *app, struct rte_mbuf *m, uint32_t id)
{
	struct trap_hold *h = hold_of(id);
	if (h == NULL) { /* its connection was unloaded since the worker punted it */
		rte_pktmbuf_free(m);
		return;
	}
	if (h->n == TRAP_HOLD) {
		rte_pktmbuf_free(h->pkts[0]); /* keep the newest */
		memmove(h->pkts, h->pkts + 1, (TRAP_HOLD - 1) * sizeof(h->pkts[0]));
		h->n--;
	}
	h->pkts[h->n++] = m;
	ike_acquire(app->ike, h->conn, h->child);
}

void traps_release(struct appliance *app, const char *conn, const char *child)
{
	for (int i = 0; i < n_holds; i++) {
		struct trap_hold *h = &holds[i];
		if (h->n == 0 || strcmp(h->conn->name, conn) != 0 || strcmp(h->child->name, child) != 0)
			continue;
		for (unsigned k = 0; k < h->n; k++)
			control_inject(app, h->pkts[k], DP_INJECT_LOCAL, 0);
		h->n = 0;
	}
}
