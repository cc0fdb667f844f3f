/* SPDX-License-Identifier: BSD-3-Clause */
#include "spd_cache.h"

#include <rte_malloc.h>

struct dp_spd_cache *dp_spd_cache_create(uint32_t entries, int socket)
{
	if (entries < DP_SPD_CACHE_WAYS || (entries & (entries - 1)) != 0)
		return NULL;
	uint32_t sets = entries / DP_SPD_CACHE_WAYS;
	struct dp_spd_cache *c = rte_zmalloc_socket("dp_flow_cache", sizeof(*c) + sets * sizeof(c->set[0]),
						    RTE_CACHE_LINE_SIZE, socket);
	if (c != NULL)
		c->set_mask = sets - 1;
	return c;
}

void dp_spd_cache_free(struct dp_spd_cache *c)
{
	rte_free(c);
}
