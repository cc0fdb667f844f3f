/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>

#include "spd.h"

static uint32_t specificity(const struct traffic_selector *ts)
{
	uint32_t s = ts->plen * 4u;
	if (ts->proto)
		s += 2;
	if (ts->port_lo != 0 || ts->port_hi != 65535)
		s += 1;
	return s;
}

uint32_t dp_policy_priority(const struct traffic_selector *src, const struct traffic_selector *dst,
			    enum dp_policy_rank rank)
{
	uint32_t max = 2 * (32 * 4 + 3);
	return (max - specificity(src) - specificity(dst)) * 4 + rank;
}
