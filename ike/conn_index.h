/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connections a responder considers for a peer's address, in file order, without a walk over
 * every connection: those for that single address and those for wider sets of addresses. The
 * caller still checks each candidate's addresses in full.
 */
#ifndef DPIKE_IKE_CONN_INDEX_H
#define DPIKE_IKE_CONN_INDEX_H

#include <stdint.h>

#include "config/config.h"

struct conn_iter {
	const struct dpike_config *cfg;
	const struct cfg_conn_index *x; /* NULL without memory for it: every connection in turn */
	int entry, wide, all;
};

void conn_iter_start(struct conn_iter *it, const struct dpike_config *cfg, uint32_t remote);
/* The next candidate in file order; NULL after the last. */
const struct cfg_connection *conn_iter_next(struct conn_iter *it);

#endif
