/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A connection's life (config.h: refs): the loaded set holds it while it is loaded, and each
 * IKE SA made with it holds it, so that dpikectl load-conns can drop or replace a connection
 * whose SAs go on with it until they end, as strongSwan's peer configs.
 */
#ifndef DPIKE_IKE_CONNS_H
#define DPIKE_IKE_CONNS_H

#include "config/config.h"

void ike_conn_hold(const struct cfg_connection *c);
/* The last holder gone, the connection goes, and its part of the credentials with it. */
void ike_conn_put(const struct cfg_connection *c);
/* *slot let go of and made c, held (either may be NULL): how an SA takes its connection. */
void ike_conn_set(const struct cfg_connection **slot, const struct cfg_connection *c);

/*
 * A set of a connection's children as bits by their place in it (the first 64: more than that
 * start one at a time, as they are asked for); 0 when ch is not among the first 64.
 */
static inline uint64_t ike_child_bit(const struct cfg_connection *c, const struct cfg_child *ch)
{
	long i = ch - c->children;
	return i >= 0 && i < 64 && i < c->n_children ? 1ULL << i : 0;
}

/* The children of c that start with it (start_action = start). */
uint64_t ike_conn_started_children(const struct cfg_connection *c);

#endif
