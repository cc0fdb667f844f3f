/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 fragmentation: an ISAKMP message too big for the path travels as several, each an
 * unencrypted ISAKMP header (the message's own, next payload Fragment) and a Fragment payload
 * (type 132: fragment ID, number from 1, a flag on the last) carrying a piece of the whole
 * message as it would have been sent. Both ends announce it with the "FRAGMENTATION" vendor ID.
 * This is the scheme of Cisco, Windows ([MS-IKEE] 2.2.3.1) and strongSwan; without it a
 * certificate in Main Mode 5/6 or Aggressive Mode takes IP fragments, which NATs and firewalls
 * often drop.
 */
#ifndef DPIKE_IKE_V1_FRAGMENTS_H
#define DPIKE_IKE_V1_FRAGMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISA_FRAGMENT 132
#define V1_MAX_FRAGMENTS 16

/* The vendor ID: MD5("FRAGMENTATION") and, as Cisco sends it, a capability word. */
extern const uint8_t V1_VID_FRAGMENTATION[20];
#define V1_VID_FRAGMENTATION_MATCH 16 /* bytes that identify it: peers differ in the rest */

/* One message being put together from its fragments. */
struct v1_defrag {
	uint16_t id;
	uint8_t last;     /* the last fragment's number, 0 until it came */
	uint32_t have;    /* bit n: fragment n is in */
	size_t total;     /* bytes in so far */
	uint8_t *piece[V1_MAX_FRAGMENTS + 1];
	uint16_t len[V1_MAX_FRAGMENTS + 1];
};

/*
 * Adds the fragment message raw (len bytes, its header parsed: next payload Fragment) to *slot,
 * allocated on the first. 1 when the message is complete: *msg (malloc'ed, the caller frees it)
 * is the whole ISAKMP message and *slot is freed; 0 while pieces are missing; -1 when the
 * fragment is malformed or the message would exceed max bytes (*slot keeps what it had).
 * A fragment of a newer ID (a new message, or a retransmission cut anew) replaces an older one.
 */
int v1_defrag_add(struct v1_defrag **slot, const uint8_t *raw, size_t len, size_t max, uint8_t **msg,
		  size_t *msg_len);
void v1_defrag_free(struct v1_defrag **slot);

/* The fragments of msg (a whole ISAKMP message) for datagrams of at most room bytes of ISAKMP:
 * calls send(ctx, fragment, its length) for each, in order. False (nothing sent) when msg fits
 * room whole or would need more than V1_MAX_FRAGMENTS. */
bool v1_fragment_send(const uint8_t *msg, size_t len, size_t room, uint16_t id,
		      void (*send)(void *ctx, const uint8_t *frag, size_t frag_len), void *ctx);

#endif
