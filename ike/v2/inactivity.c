/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * swanctl's children.inactivity: a child SA that carried no packet either way for that long is
 * closed. The dataplane counts packets but keeps no time of the last one, so the control core
 * looks at the count a quarter of the timeout apart: a packet is known to have passed by the
 * next look, and a child closes between one and one and a quarter timeouts after its last packet,
 * never before.
 */
#include "ike_sa.h"

static uint64_t since(uint64_t ms, const struct child_sa *c)
{
	return ms ? ms : c->installed_ms;
}

uint64_t child_idle_due(const struct child_sa *c)
{
	uint64_t timeout = c->cfg->inactivity * 1000;
	if (timeout == 0 || c->state != CHILD_INSTALLED)
		return TIMER_NEVER;
	uint64_t step = timeout / 4 > 1000 ? timeout / 4 : 1000;
	return timer_earliest(since(c->active_ms, c) + timeout, since(c->looked_ms, c) + step);
}

bool child_idle(const struct ike_env *env, struct child_sa *c, uint64_t now)
{
	uint64_t bin = 0, bout = 0, pin = 0, pout = 0;
	if (now < child_idle_due(c))
		return false;
	if (env->child_usage)
		env->child_usage(env->ctx, c->handle, &bin, &bout, &pin, &pout);
	c->looked_ms = now;
	if (pin + pout != c->seen_packets) {
		c->seen_packets = pin + pout;
		c->active_ms = now;
		return false;
	}
	return now >= since(c->active_ms, c) + c->cfg->inactivity * 1000;
}
