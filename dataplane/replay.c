/* SPDX-License-Identifier: BSD-3-Clause */
#include "replay.h"

#include <string.h>

#define BLOCK_SHIFT 5
#define BLOCK_BITS (1u << BLOCK_SHIFT)
/* ESN inference needs a window even when replay checks are off. */
#define ESN_INFER_MIN 64

static uint32_t slots_for(uint32_t size)
{
	uint32_t need = size / BLOCK_BITS + 2, n = 2;
	while (n < need)
		n <<= 1;
	return n;
}

size_t replay_window_bytes(uint32_t size)
{
	return sizeof(struct replay_window) + slots_for(size) * sizeof(uint64_t);
}

void replay_window_init(struct replay_window *w, uint32_t size)
{
	uint32_t n = slots_for(size);
	w->size = size;
	w->slot_mask = n - 1;
	w->top = 0;
	memset(w->slots, 0, n * sizeof(uint64_t));
}

uint64_t replay_infer_esn(const struct replay_window *w, uint32_t seq_lo)
{
	uint64_t top = __atomic_load_n(&w->top, __ATOMIC_ACQUIRE);
	uint32_t win = w->size > ESN_INFER_MIN ? w->size : ESN_INFER_MIN;
	uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32);
	uint32_t bottom = tl - win + 1; /* wraps when the window spans two subspaces */

	if (tl >= win - 1) {
		if (seq_lo < bottom)
			th++;
	} else if (seq_lo >= bottom && th > 0) {
		th--;
	}
	return (uint64_t)th << 32 | seq_lo;
}

enum replay_verdict replay_check(const struct replay_window *w, uint64_t seq)
{
	if (seq == 0)
		return REPLAY_TOO_OLD;
	if (w->size == 0)
		return REPLAY_OK;
	uint64_t top = __atomic_load_n(&w->top, __ATOMIC_ACQUIRE);
	if (seq > top)
		return REPLAY_OK;
	if (top - seq >= w->size)
		return REPLAY_TOO_OLD;
	uint64_t block = seq >> BLOCK_SHIFT;
	uint64_t word = __atomic_load_n(&w->slots[block & w->slot_mask], __ATOMIC_ACQUIRE);
	if ((uint32_t)(word >> 32) == (uint32_t)block && (word & (1u << (seq & (BLOCK_BITS - 1)))))
		return REPLAY_DUPLICATE;
	return REPLAY_OK;
}

/* *word set to want: by its owner alone (sa_owner.h), or if it is still *old (else false, *old what it is). */
static inline bool set_word(uint64_t *word, uint64_t *old, uint64_t want, bool owned)
{
	if (owned) {
		__atomic_store_n(word, want, __ATOMIC_RELEASE);
		return true;
	}
	return __atomic_compare_exchange_n(word, old, want, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/*
 * The slot of one block: marks the bits of mask (the block's packets that passed the window);
 * returns the bits already marked (duplicates), or all of mask when a newer block owns the slot
 * (too old).
 */
static uint32_t mark_block(struct replay_window *w, uint64_t block, uint32_t mask, bool *too_old, bool owned)
{
	uint64_t *slot = &w->slots[block & w->slot_mask];
	uint64_t old = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	for (;;) {
		int32_t age = (int32_t)((uint32_t)block - (uint32_t)(old >> 32));
		uint32_t seen = 0;
		uint64_t want;
		if (age == 0) {
			seen = (uint32_t)old & mask;
			want = old | mask;
		} else if (age > 0 || old == 0) {
			want = (uint64_t)(uint32_t)block << 32 | mask;
		} else {
			*too_old = true;
			return mask;
		}
		if (seen == mask || set_word(slot, &old, want, owned))
			return seen;
	}
}

static enum replay_verdict mark_seen(struct replay_window *w, uint64_t seq)
{
	bool too_old = false;
	uint32_t seen = mark_block(w, seq >> BLOCK_SHIFT, 1u << (seq & (BLOCK_BITS - 1)), &too_old, false);
	return too_old ? REPLAY_TOO_OLD : seen ? REPLAY_DUPLICATE : REPLAY_OK;
}

/* Whether seq can no longer be accepted with the window's top at top (0 never is). */
static inline bool behind_window(const struct replay_window *w, uint64_t top, uint64_t seq)
{
	return seq == 0 || (seq <= top && top - seq >= w->size);
}

static void advance_top(struct replay_window *w, uint64_t seq, bool owned)
{
	uint64_t top = __atomic_load_n(&w->top, __ATOMIC_ACQUIRE);
	while (seq > top && !set_word(&w->top, &top, seq, owned))
		;
}

enum replay_verdict replay_commit(struct replay_window *w, uint64_t seq)
{
	if (seq == 0)
		return REPLAY_TOO_OLD;
	if (w->size != 0) {
		if (behind_window(w, __atomic_load_n(&w->top, __ATOMIC_ACQUIRE), seq))
			return REPLAY_TOO_OLD;
		enum replay_verdict v = mark_seen(w, seq);
		if (v != REPLAY_OK)
			return v;
	}
	advance_top(w, seq, false);
	return REPLAY_OK;
}

/*
 * One block's packets at the front of seqs[]: each checked against the window's top as the
 * packets before it left it (*top), then all marked at once. Returns how many it took.
 */
static uint16_t commit_block(struct replay_window *w, const uint64_t seqs[], uint16_t n, uint64_t *top,
			     enum replay_verdict v[], bool owned)
{
	uint64_t block = seqs[0] >> BLOCK_SHIFT, top_before = *top;
	uint32_t mask = 0;
	uint16_t k = 0;
	for (; k < n && seqs[k] >> BLOCK_SHIFT == block; k++) {
		uint32_t bit = 1u << (seqs[k] & (BLOCK_BITS - 1));
		v[k] = REPLAY_OK;
		if (behind_window(w, *top, seqs[k]))
			v[k] = REPLAY_TOO_OLD;
		else if (mask & bit)
			v[k] = REPLAY_DUPLICATE;
		mask |= v[k] == REPLAY_OK ? bit : 0;
		*top = v[k] == REPLAY_OK && seqs[k] > *top ? seqs[k] : *top;
	}
	bool too_old = false;
	uint32_t seen = mask ? mark_block(w, block, mask, &too_old, owned) : 0;
	if (seen == 0)
		return k;
	for (uint16_t j = 0; j < k; j++)
		if (v[j] == REPLAY_OK && (seen & 1u << (seqs[j] & (BLOCK_BITS - 1))))
			v[j] = too_old ? REPLAY_TOO_OLD : REPLAY_DUPLICATE;
	if (too_old)
		*top = top_before; /* none of the block's packets was taken */
	return k;
}

void replay_commit_run(struct replay_window *w, const uint64_t seqs[], uint16_t n, enum replay_verdict v[],
		       bool owned)
{
	uint64_t top = __atomic_load_n(&w->top, __ATOMIC_ACQUIRE), first_top = top;
	if (w->size == 0) {
		for (uint16_t i = 0; i < n; i++) {
			v[i] = seqs[i] == 0 ? REPLAY_TOO_OLD : REPLAY_OK;
			top = v[i] == REPLAY_OK && seqs[i] > top ? seqs[i] : top;
		}
	} else {
		for (uint16_t i = 0; i < n;)
			i += commit_block(w, seqs + i, n - i, &top, v + i, owned);
	}
	if (top > first_top)
		advance_top(w, top, owned);
}
