/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation (RFC 791) on a worker, for packets with DF clear that are too big for their
 * route or, before ESP, for their SA's tunnel: fragmented before encryption, each fragment then an
 * ESP packet of its own (RFC 4301 8.1), so the peer reassembles nothing. A full-size datagram
 * through a tunnel is common traffic, not an exception for the control core.
 */
#ifndef DPIKE_DP_FRAGMENT_H
#define DPIKE_DP_FRAGMENT_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;

/* Fragments of one packet at most: a 9,000-byte frame cut for a 1,280-byte path. */
#define DP_FRAG_MAX 8

/*
 * How many fragments of at most mtu bytes the IPv4 packet m (data at its header) becomes; 0 when
 * it cannot be cut here: it fits, the MTU leaves no room for 8 bytes of payload, more than
 * DP_FRAG_MAX, or its header has options (RFC 791 copies them into later fragments by option).
 */
unsigned dp_fragment_count(const struct rte_mbuf *m, uint32_t mtu);

/*
 * n buffers from pool for the fragments after the first, with their header and first data lines
 * requested for writing: a pool's buffers come back cold, from the core that last sent them.
 * Returns 0, or -1 (none taken) when the pool is short.
 */
int dp_fragment_buffers(struct rte_mempool *pool, struct rte_mbuf *bufs[], unsigned n);

/*
 * Cuts m into its n = dp_fragment_count() fragments, in order, into frags[]: frags[0] is m itself,
 * cut short; frags[1..n-1] are fresh[0..n-2] (from dp_fragment_buffers()), each with the header
 * copied. False when a fragment does not fit its buffer: then m is as it was.
 */
bool dp_fragment(struct rte_mbuf *m, uint32_t mtu, unsigned n, struct rte_mbuf *const fresh[],
		 struct rte_mbuf *frags[]);

#endif
