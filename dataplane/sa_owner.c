/* SPDX-License-Identifier: BSD-3-Clause */
#include "sa_owner.h"

#include <rte_pause.h>

struct sa_owner_slot sa_owner_slots[SA_OWNERS_MAX];

uint16_t sa_owner_register(void)
{
	for (uint16_t i = 0; i < SA_OWNERS_MAX; i++) {
		uint8_t unused = 0;
		if (__atomic_compare_exchange_n(&sa_owner_slots[i].used, &unused, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			sa_owner_set_online(i, true);
			return i;
		}
	}
	return SA_OWNER_SHARED;
}

void sa_owner_unregister(uint16_t id)
{
	if (id >= SA_OWNERS_MAX)
		return;
	sa_owner_set_online(id, false);
	__atomic_store_n(&sa_owner_slots[id].used, 0, __ATOMIC_RELEASE);
}

void sa_owner_set_online(uint16_t id, bool online)
{
	if (id >= SA_OWNERS_MAX)
		return;
	/* Going offline, after the last plain update; coming online, before the first (and its
	 * loads of owner fields after the store, which a sequentially consistent one ensures). */
	sa_owner_quiesce(id);
	__atomic_store_n(&sa_owner_slots[id].online, online, __ATOMIC_SEQ_CST);
}

/* Until owner x passes an epoch or is offline. Ours move meanwhile: x may be waiting for us. */
static void wait_for_epoch(uint16_t x, uint16_t me)
{
	struct sa_owner_slot *s = &sa_owner_slots[x];
	uint64_t e0 = __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE);
	while (__atomic_load_n(&s->online, __ATOMIC_ACQUIRE) && __atomic_load_n(&s->epoch, __ATOMIC_ACQUIRE) == e0) {
		sa_owner_quiesce(me);
		rte_pause();
	}
}

/* Until the worker taking the SA over has seen its owner pass an epoch. */
static void wait_until_shared(uint16_t *owner, uint16_t me)
{
	while (__atomic_load_n(owner, __ATOMIC_ACQUIRE) != SA_OWNER_SHARED) {
		sa_owner_quiesce(me);
		rte_pause();
	}
}

bool sa_owner_settle(uint16_t *owner, uint16_t me)
{
	uint16_t o = __atomic_load_n(owner, __ATOMIC_ACQUIRE);
	for (;;) {
		if (o == SA_OWNER_SHARED)
			return false;
		if (o == me)
			return true;
		if (o == SA_OWNER_NONE) {
			if (__atomic_compare_exchange_n(owner, &o, me, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return me != SA_OWNER_SHARED;
		} else if (o & SA_OWNER_HANDOVER) {
			/* its owner locks from now on; others wait until it is safe to */
			if ((uint16_t)(o & ~SA_OWNER_HANDOVER) != me)
				wait_until_shared(owner, me);
			return false;
		} else if (__atomic_compare_exchange_n(owner, &o, (uint16_t)(o | SA_OWNER_HANDOVER), false,
						       __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE)) {
			wait_for_epoch(o, me);
			__atomic_store_n(owner, SA_OWNER_SHARED, __ATOMIC_RELEASE);
			return false;
		}
	}
}
