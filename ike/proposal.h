/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE and ESP proposals written as swanctl proposal strings ("aes128gcm16-prfsha256-x25519"),
 * turned into IANA transform IDs (RFC 7296 3.3.2, IKEv2 registry).
 */
#ifndef DPIKE_IKE_PROPOSAL_H
#define DPIKE_IKE_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROP_MAX_TRANSFORMS 8

enum transform_type { TRANS_ENCR = 1, TRANS_PRF = 2, TRANS_INTEG = 3, TRANS_DH = 4, TRANS_ESN = 5 };

struct transform {
	uint16_t id;
	uint16_t key_bits; /* ENCR only; 0 when the algorithm has a fixed key size */
};

struct proposal {
	struct transform t[6][PROP_MAX_TRANSFORMS]; /* indexed by enum transform_type */
	uint8_t n[6];
};

enum proposal_kind { PROPOSAL_IKE, PROPOSAL_ESP };

/*
 * Parses one swanctl proposal string. On error returns false with a reason in err.
 * weak_ok admits groups 1, 2, 5 and 3DES, which are refused otherwise.
 */
bool proposal_parse(const char *text, enum proposal_kind kind, bool weak_ok, struct proposal *p, char *err,
		    size_t err_len);

#endif

/*
 * Picks the first of the peer's proposals that one of ours accepts, and in it the first
 * transform of each type that we also offer (RFC 7296 3.3.6). ignore_dh drops key exchange
 * transforms from both sides (child SAs created in IKE_AUTH). Returns the index of the
 * chosen peer proposal, or -1.
 */
int proposal_select(const struct proposal *ours, int n_ours, const struct proposal *theirs, int n_theirs,
		    bool ignore_dh, struct proposal *chosen);
/* Writes a (negotiated) proposal as a swanctl string, e.g. "aes128gcm16-prfsha256-curve25519". */
void proposal_format(const struct proposal *p, char *buf, size_t len);
/* Does it use 3DES or the key exchange groups 1, 2 or 5? */
bool proposal_is_weak(const struct proposal *p);
/* IKEv1's phase 1 hash for an IKEv2 integrity ID (its HMAC's digest), 0 if it has none. */
uint16_t proposal_ikev1_hash(uint16_t integ);
/* Whether IKEv1's phase 1 can use it: AES-CBC or 3DES with an HMAC of MD5, SHA-1 or SHA-2. */
bool proposal_ikev1_usable(const struct proposal *p);
bool proposal_has_encr(const struct proposal *p, uint16_t id);
/* Parses a list of swanctl proposal strings ("default" expands to dpike's defaults). */
int proposal_parse_list(char (*texts)[128], int n, enum proposal_kind kind, struct proposal *out, int max);
