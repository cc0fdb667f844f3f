/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration's shared secrets as IKE looks them up: a peer's PSK by identities, a user's
 * XAuth or EAP password by name. Each lookup is a hash lookup, whatever the number of secrets.
 */
#ifndef DPIKE_IKE_SECRETS_H
#define DPIKE_IKE_SECRETS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "v2/payloads.h"

/* The XAuth password of that user name: a secret of type xauth listing it among its ids; NULL if none. */
const struct cfg_secret *xauth_secret_lookup(const struct dpike_config *cfg, const uint8_t *user, size_t len);
/* The EAP password of that EAP identity: a secret of type eap listing it among its ids; NULL if none. */
const struct cfg_secret *eap_secret_lookup(const struct dpike_config *cfg, const uint8_t *user, size_t len);
/*
 * The PSK for this pair of identities: a secret naming both beats one naming the peer, beats one
 * naming us, beats one naming none; among equals, the first in the file.
 */
const struct cfg_secret *psk_lookup(const struct dpike_config *cfg, const struct ike_id *local,
				    const struct ike_id *remote);

#endif
