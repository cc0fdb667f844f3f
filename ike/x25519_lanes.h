/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vector codes behind x25519_batch(), each x25519_lanes.inc over its own field operations;
 * x25519_batch.c picks the one the CPU runs. Each takes n up to its lanes, with x25519_batch()'s
 * meaning (point NULL: public values).
 */
#ifndef DPIKE_IKE_X25519_LANES_H
#define DPIKE_IKE_X25519_LANES_H

#include <stdint.h>

#define X25519_IFMA_LANES 8
#define X25519_AVX2_LANES 4

void x25519_lanes_ifma(uint8_t (*out)[32], const uint8_t (*scalar)[32], const uint8_t (*point)[32], unsigned n);
void x25519_lanes_avx2(uint8_t (*out)[32], const uint8_t (*scalar)[32], const uint8_t (*point)[32], unsigned n);
/* x25519_ifma.c built with its intrinsics in plain C (tests/unit/ifma_emulated.h), for the unit tests. */
void x25519_lanes_ifma_emulated(uint8_t (*out)[32], const uint8_t (*scalar)[32], const uint8_t (*point)[32],
				unsigned n);

#endif
