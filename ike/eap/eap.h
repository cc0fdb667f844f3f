/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAP (RFC 3748) as IKEv2's server carries it (RFC 7296 2.16): an Identity round when the
 * identity is not known, then EAP-MD5 (RFC 3748 5.4) or EAP-MSCHAPv2 (draft-kamath-pppext-
 * eap-mschapv2, RFC 2759) against the connection's EAP secrets, ending in Success or Failure.
 * Packets in and out are whole EAP packets, the bodies of IKEv2's EAP payloads.
 */
#ifndef DPIKE_IKE_EAP_H
#define DPIKE_IKE_EAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mschapv2_keys.h"

enum eap_code { EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS = 3, EAP_FAILURE = 4 };
enum eap_type { EAP_TYPE_IDENTITY = 1, EAP_TYPE_NAK = 3, EAP_TYPE_MD5 = 4, EAP_TYPE_MSCHAPV2 = 26 };
enum eap_result { EAP_CONTINUE, EAP_DONE, EAP_FAILED };

#define EAP_IDENTITY_MAX 255
#define EAP_PACKET_MAX 512

/* The password of an EAP identity, or NULL: the caller's lookup in its secrets. */
typedef bool (*eap_password_fn)(void *ctx, const uint8_t *identity, size_t len, const uint8_t **pw, size_t *pw_len);

struct eap_server {
	uint8_t method; /* enum eap_type: EAP_TYPE_MD5 or EAP_TYPE_MSCHAPV2 */
	uint8_t step;   /* what the next response answers (eap_server.c) */
	uint8_t id;     /* identifier of our last request */
	uint8_t identity[EAP_IDENTITY_MAX];
	size_t identity_len; /* 0: ask for it first */
	uint8_t challenge[MSCHAPV2_CHALLENGE_LEN];
	uint8_t msk[MSCHAPV2_MSK_LEN];
	size_t msk_len; /* 0: the method made none (EAP-MD5) */
	char auth_response[MSCHAPV2_AUTH_RESPONSE_LEN];
	const char *why; /* after EAP_FAILED: the reason, for the log */
	eap_password_fn password;
	void *ctx;
};

/*
 * Ready to run method for the identity given (NULL, 0: ask the peer for it). Writes the first
 * request into out; returns its length, 0 if out is too small or the random source failed.
 */
size_t eap_server_start(struct eap_server *s, uint8_t method, const uint8_t *identity, size_t identity_len,
			eap_password_fn password, void *ctx, uint8_t *out, size_t cap);
/*
 * The peer's response in; the next request, or Success (EAP_DONE: the MSK is in s if the
 * method made one), or Failure (EAP_FAILED, s->why) out. Anything malformed fails.
 */
enum eap_result eap_server_process(struct eap_server *s, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
				   size_t *out_len);
/* Wipes the challenge, the MSK and the rest. */
void eap_server_wipe(struct eap_server *s);
const char *eap_type_name(uint8_t type);

#endif
