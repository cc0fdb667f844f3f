/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MS-CHAPv2's computations (RFC 2759 8) and the keys it yields (RFC 3079 3): the NT password
 * hash, the NT-Response a peer proves its password with, the authenticator response that
 * proves the server's knowledge back, and the MSK EAP hands IKEv2. MD4 and single DES come
 * from OpenSSL's legacy provider, loaded into a library context of its own on first use.
 */
#ifndef DPIKE_IKE_EAP_MSCHAPV2_KEYS_H
#define DPIKE_IKE_EAP_MSCHAPV2_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MSCHAPV2_CHALLENGE_LEN 16
#define MSCHAPV2_NT_RESPONSE_LEN 24
#define MSCHAPV2_AUTH_RESPONSE_LEN 42 /* "S=" and 40 upper-case hex digits */
#define MSCHAPV2_MSK_LEN 64

/* MD4 of the password in UTF-16LE (from UTF-8); false if the password is not valid UTF-8 or MD4 is missing. */
bool mschapv2_nt_hash(const uint8_t *password, size_t len, uint8_t hash[16]);
/* The NT-Response for the two challenges and the user name (its domain\ prefix removed by the caller). */
bool mschapv2_nt_response(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16], const uint8_t *user,
			  size_t user_len, const uint8_t nt_hash[16], uint8_t out[MSCHAPV2_NT_RESPONSE_LEN]);
/* "S=" and the authenticator response in hex (no terminating NUL). */
bool mschapv2_auth_response(const uint8_t nt_hash[16], const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
			    const uint8_t peer_challenge[16], const uint8_t auth_challenge[16], const uint8_t *user,
			    size_t user_len, char out[MSCHAPV2_AUTH_RESPONSE_LEN]);
/*
 * The MSK: RFC 3079's start key of the client's sending direction (the server's receiving one),
 * then that of the other direction, then 32 zero bytes, as strongSwan makes it for IKEv2.
 */
bool mschapv2_msk(const uint8_t nt_hash[16], const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
		  uint8_t msk[MSCHAPV2_MSK_LEN]);
/* The user name MS-CHAPv2 hashes: an identity "DOMAIN\user" without "DOMAIN\". */
void mschapv2_user_name(const uint8_t *identity, size_t len, const uint8_t **user, size_t *user_len);

#endif
