/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 reassembly (RFC 791) on a worker, of datagrams addressed to the appliance: ESP that a peer
 * fragmented after encryption (Linux does when a tunnel's packets outgrow the path) and IKE
 * messages over the path MTU from peers without IKE fragmentation (IKEv1 with certificates).
 * net_af_packet's socket has the kernel reassemble them first; a NIC, net_pcap or net_memif
 * hands the fragments over as they came. Transit fragments are forwarded as they are.
 *
 * Each worker has its own table: the ports' RSS hashes on addresses alone (app/ports.c), so all
 * fragments of a datagram reach one queue. The table is small and its entries expire quickly,
 * so a flood of fragments that never complete holds few buffers, for a short time.
 */
#ifndef DPIKE_DP_REASSEMBLY_H
#define DPIKE_DP_REASSEMBLY_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ip_frag.h>

#include "dp_stats.h"

/* Datagrams a worker reassembles at once (at most), and how long it waits for the rest of one. */
#define DP_REASM_DATAGRAMS 128
#define DP_REASM_MIN_DATAGRAMS 8
#define DP_REASM_TIMEOUT_MS 2000

struct dp_reassembly {
	struct rte_ip_frag_tbl *tbl;
	/* Buffers for datagrams longer than a port's buffer holds: each fits the largest datagram. */
	struct rte_mempool *big;
	uint64_t timeout;    /* TSC cycles */
	uint64_t next_sweep; /* TSC of the next look for timed-out datagrams; 0: none can be waiting */
	uint64_t last_held;  /* TSC of the last fragment given to the table */
	struct rte_ip_frag_death_row dr;
};

/*
 * Creates the table and the big buffers of worker id. The table holds no more datagrams than
 * keep held_max packet buffers (up to 8 pieces each; DP_REASM_MIN_DATAGRAMS to
 * DP_REASM_DATAGRAMS of them), so that a flood of pieces that never complete cannot take the
 * receive path's buffers. 0, or -1 when out of memory.
 */
int dp_reassembly_init(struct dp_reassembly *r, unsigned id, int socket, uint32_t held_max);
void dp_reassembly_fini(struct dp_reassembly *r);

/*
 * Takes fragment m (data at its IPv4 header, checked); returns the whole datagram in one
 * segment, its header checksum set, when m completed it. NULL when the table keeps m for the
 * rest, or dropped it (it overlapped another, the table was full): then each fragment freed is
 * counted in stats as reassembly_failed. A datagram that no buffer can hold is returned in
 * several segments, for the caller to drop.
 */
struct rte_mbuf *dp_reassemble(struct dp_reassembly *r, struct rte_mbuf *m, uint64_t now,
			       struct dp_worker_stats *stats);

/* Frees the fragments of datagrams that timed out, counted as reassembly_failed. */
void dp_reassembly_expire(struct dp_reassembly *r, uint64_t now, struct dp_worker_stats *stats);

/* Once per poll: the clock is read only while fragments wait. */
static inline void dp_reassembly_tick(struct dp_reassembly *r, struct dp_worker_stats *stats)
{
	if (unlikely(r->next_sweep != 0))
		dp_reassembly_expire(r, rte_rdtsc(), stats);
}

#endif
