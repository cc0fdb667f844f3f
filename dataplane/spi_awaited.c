/* SPDX-License-Identifier: BSD-3-Clause */
/* The awaited inbound SPIs: slots written by the control core, read by workers without a lock. */
#include "spi_awaited.h"

#include <stddef.h>

/* 0 marks a free slot: no SA has SPI 0 (RFC 4303 2.1). A worker reading a slot as it changes sees
 * the old SPI or the new one, and at worst drops or holds one packet it would not have. */
static uint32_t awaited[DP_SPI_AWAITED_MAX];

static uint32_t *slot_of(uint32_t spi)
{
	for (size_t i = 0; i < DP_SPI_AWAITED_MAX; i++)
		if (__atomic_load_n(&awaited[i], __ATOMIC_RELAXED) == spi)
			return &awaited[i];
	return NULL;
}

bool dp_spi_await(uint32_t spi)
{
	if (spi == 0 || slot_of(spi))
		return spi != 0;
	uint32_t *free_slot = slot_of(0);
	if (free_slot == NULL)
		return false;
	__atomic_store_n(free_slot, spi, __ATOMIC_RELEASE);
	return true;
}

void dp_spi_await_end(uint32_t spi)
{
	uint32_t *s = spi ? slot_of(spi) : NULL;
	if (s)
		__atomic_store_n(s, 0, __ATOMIC_RELEASE);
}

bool dp_spi_awaited(uint32_t spi)
{
	return spi != 0 && slot_of(spi) != NULL;
}
