/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual IP pools (swanctl's pools): the addresses a responder hands to clients that ask for
 * one (IKEv2's INTERNAL_IP4_ADDRESS). A lease belongs to the client's identity: the same
 * identity gets the same address back, also after it went away, until the pool runs out of
 * never-used addresses and takes the longest-unused one for someone else. Control core only.
 */
#ifndef DPIKE_IKE_POOL_H
#define DPIKE_IKE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

struct ike_pools;

struct ike_pools *ike_pools_create(const struct dpike_config *cfg);
void ike_pools_free(struct ike_pools *p);
/*
 * An address of pool `pool` (an index into cfg->pools) for the identity (its bytes, as the ID
 * payload carries them, with the type first); false when every address is online. Each
 * acquire is paired with one release; a second acquire by the same identity while online
 * shares the address (a client reconnecting before its old SA has gone).
 */
bool ike_pool_acquire(struct ike_pools *p, int pool, const uint8_t *id, size_t id_len, uint32_t *addr);
void ike_pool_release(struct ike_pools *p, int pool, uint32_t addr);
/* One more holder of an address already online (a rekeyed IKE SA's successor); released alike. */
void ike_pool_hold(struct ike_pools *p, int pool, uint32_t addr);
struct ike_id;
/*
 * An address for the peer of that identity from connection c's pools, tried in their order
 * (IKEv2's configuration payload and IKEv1's Mode Config alike); false when all are full.
 */
bool ike_pool_lease(struct ike_pools *p, const struct cfg_connection *c, const struct ike_id *id, uint32_t *addr,
		    int *pool);
/* Addresses of the pool online now, and those that have ever been leased (for dpikectl). */
void ike_pool_usage(const struct ike_pools *p, int pool, uint32_t *online, uint32_t *leased);

#endif
