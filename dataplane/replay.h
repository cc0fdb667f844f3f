/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Anti-replay window (RFC 4303 3.4.3 and Appendix A) with 64-bit ESN inference.
 *
 * Several workers may receive packets of one SA, so the window is lock-free: it is a
 * ring of 64-bit slots, each holding the tag of a 32-sequence-number block (high half)
 * and that block's bitmap (low half), updated with compare-and-swap (with plain stores by a
 * worker that owns the SA: dataplane/sa_owner.h). The ring has at
 * least window/32 + 2 slots, so a slot is only reused for a block once its previous
 * block has left the window. replay_check() is a cheap read-only test done before
 * decryption; replay_commit() marks the number after the ICV has been verified and is
 * the one that settles a race between two copies of a packet on two workers.
 */
#ifndef DPIKE_DP_REPLAY_H
#define DPIKE_DP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPLAY_WINDOW_MAX 4096

struct replay_window {
	uint32_t size;   /* 0: replay protection off (ESN still inferred) */
	uint32_t slot_mask;
	uint64_t top;    /* highest authenticated sequence number; atomic */
	uint64_t slots[]; /* atomic */
};

/* Bytes to allocate for a window of the given size. */
size_t replay_window_bytes(uint32_t size);
void replay_window_init(struct replay_window *w, uint32_t size);

/* The full 64-bit sequence number for the 32 low bits seen on the wire (RFC 4303 A2.2). */
uint64_t replay_infer_esn(const struct replay_window *w, uint32_t seq_lo);

enum replay_verdict { REPLAY_OK, REPLAY_DUPLICATE, REPLAY_TOO_OLD };

enum replay_verdict replay_check(const struct replay_window *w, uint64_t seq);
enum replay_verdict replay_commit(struct replay_window *w, uint64_t seq);
/*
 * replay_commit() for seqs[0..n-1] in their order, verdicts to v[]: the same verdicts as one call
 * each, with one compare-and-swap for each block of 32 numbers the run touches in a row and one
 * for the top, where one call each makes two a packet. For a burst's run of one SA's packets;
 * owned: by a worker that owns the SA (sa_owner.h), which then sets them with plain stores.
 */
void replay_commit_run(struct replay_window *w, const uint64_t seqs[], uint16_t n, enum replay_verdict v[],
		       bool owned);

#endif
