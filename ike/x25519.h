/* SPDX-License-Identifier: BSD-3-Clause */
/* X25519 public values by a fixed-base comb, constant time (x25519.c says why dpike has its own). */
#ifndef DPIKE_IKE_X25519_H
#define DPIKE_IKE_X25519_H

#include <stdint.h>

#define X25519_KEY_LEN 32

/* pub = X25519(priv, 9), RFC 7748 5 (priv is clamped here, as the function defines). */
void x25519_public_from_private(uint8_t pub[X25519_KEY_LEN], const uint8_t priv[X25519_KEY_LEN]);

#endif
