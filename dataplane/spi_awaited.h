/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound SPIs of SAs on their way in: IKE has offered them in a request and installs the SA
 * when the answer comes. A fast peer may send ESP on such an SA as soon as it has sent its
 * answer, before this end has read it (strongSwan does so for the child of an IKE_AUTH, which a
 * reauthentication brings up beside the old one). A worker that finds no SA for a packet asks
 * here, off the fast path, and hands such a packet to the control core, which holds it until the
 * SA is in (app/esp_held.c), instead of dropping it. Written by the control core only.
 */
#ifndef DPIKE_DP_SPI_AWAITED_H
#define DPIKE_DP_SPI_AWAITED_H

#include <stdbool.h>
#include <stdint.h>

#define DP_SPI_AWAITED_MAX 64 /* requests of ours out at once whose packets can be held; more are not */

/* Adds spi (never 0); false when the set is full, which only costs that SA the holding. */
bool dp_spi_await(uint32_t spi);
/* spi is installed, or will not be: removed (nothing when absent). */
void dp_spi_await_end(uint32_t spi);
/* Workers: whether an SPI without an SA is awaited. */
bool dp_spi_awaited(uint32_t spi);

#endif
