/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A responder's new child that replaces another: the child a peer's rekey made (RFC 7296 2.8),
 * or the child of the new IKE SA a peer reauthenticates with, make-before-break. The initiator
 * installs its inbound SA only when it reads our answer, so what we sent on the new child before
 * then would be lost: the new child is installed with its inbound SA alone and takes the old
 * one's traffic over once the peer is known to have it: its first packet on the new SA (a peer
 * installs its inbound SA before its outbound one), or its Delete of the old child or IKE SA, or
 * a deadline when neither comes (a peer that restarted without INITIAL_CONTACT and sends nothing).
 */
#include "ike_sa.h"
#include "lib/log.h"

/* How often a waiting child's packet count is looked at: what we send goes the old way meanwhile. */
#define HANDOVER_POLL_MS 50

void child_wait_to_replace(struct ike_sa *sa, struct child_sa *c, struct child_sa *old, uint64_t deadline_ms)
{
	if (old->replaced_by) /* a second successor (a rekey racing a reauthentication): the first goes ahead */
		child_hand_over(sa, old->replaced_by, "another SA replaces the same one");
	c->replaces = old;
	old->replaced_by = c;
	c->handover_looked_ms = ike_now(sa->d);
	c->handover_by_ms = c->handover_looked_ms + deadline_ms;
	ike_sa_wake(sa);
}

void child_stop_waiting(struct child_sa *c)
{
	c->replaces->replaced_by = NULL;
	c->replaces = NULL;
}

void child_hand_over(struct ike_sa *sa, struct child_sa *c, const char *why)
{
	LOG_INFO("%s/%s: child SA 0x%08x/0x%08x takes the traffic of 0x%08x/0x%08x over: %s", sa->conn->name,
		 c->cfg->name, c->spi_in, c->spi_out, c->replaces->spi_in, c->replaces->spi_out, why);
	sa->d->env.activate_child(sa->d->env.ctx, c->handle, c->replaces->handle);
	child_stop_waiting(c);
}

void child_handover_gone(struct ike_sa *sa, struct child_sa *c)
{
	if (c->replaced_by)
		child_hand_over(sa, c->replaced_by, "the old SA goes");
	if (c->replaces)
		child_stop_waiting(c);
}

static bool peer_sends_on(struct ike_sa *sa, struct child_sa *c, uint64_t now)
{
	uint64_t bin = 0, bout = 0, pin = 0, pout = 0;
	c->handover_looked_ms = now;
	if (sa->d->env.child_usage == NULL)
		return false;
	sa->d->env.child_usage(sa->d->env.ctx, c->handle, &bin, &bout, &pin, &pout);
	return pin > 0;
}

void ike_handover_check(struct ike_sa *sa, uint64_t now)
{
	for (struct child_sa *c = sa->children; c; c = c->next) {
		if (c->replaces == NULL || now < timer_earliest(c->handover_by_ms, c->handover_looked_ms + HANDOVER_POLL_MS))
			continue;
		if (peer_sends_on(sa, c, now))
			child_hand_over(sa, c, "the peer sends on it");
		else if (now >= c->handover_by_ms)
			child_hand_over(sa, c, "the peer neither used it nor deleted the old one in time");
	}
}

uint64_t ike_handover_due(const struct ike_sa *sa)
{
	uint64_t due = TIMER_NEVER;
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (c->replaces)
			due = timer_earliest(due, timer_earliest(c->handover_by_ms, c->handover_looked_ms + HANDOVER_POLL_MS));
	return due;
}
