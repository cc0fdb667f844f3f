/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE identities as swanctl writes them: "192.0.2.1", "gw.example", "@gw.example", "user@example", "@#0a1b". */
#ifndef DPIKE_IKE_IDENTITY_H
#define DPIKE_IKE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "v2/payloads.h"

bool identity_from_string(const char *s, struct ike_id *id);
void identity_from_ipv4(uint32_t addr, struct ike_id *id);
void identity_to_string(const struct ike_id *id, char *buf, size_t len);
bool identity_equal(const struct ike_id *a, const struct ike_id *b);
/* Whether two (remote, local) identity pairs name the same two parties: identity_pair_hash()'s equality. */
bool identity_pair_equal(const struct ike_id *remote_a, const struct ike_id *local_a, const struct ike_id *remote_b,
			 const struct ike_id *local_b);
/* FNV-1a over the encodings of a and b, continuing from h (0xcbf29ce484222325 to start). */
uint64_t identity_pair_hash(uint64_t h, const struct ike_id *a, const struct ike_id *b);
/* Does a configured identity (empty or "%any" matches everything) accept the peer's? */
bool identity_matches(const char *configured, const struct ike_id *peer);

#endif
