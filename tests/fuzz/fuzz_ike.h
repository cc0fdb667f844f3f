/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the IKE fuzz targets share (fuzz_ike.c): daemons made from configuration text, their
 * datagrams caught in a queue instead of sent, a fake dataplane and a clock moved by hand.
 */
#ifndef DPIKE_FUZZ_IKE_H
#define DPIKE_FUZZ_IKE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "ike/ike.h"
#include "ike/v2/message.h"

struct fuzz_node {
	struct dpike_config cfg;
	struct credentials *creds;
	struct ike_daemon *d;
	struct ike_endpoint ep;
};

struct fuzz_datagram {
	struct fuzz_node *from;
	struct ike_endpoint local, remote; /* the sender's */
	size_t len;
	uint8_t msg[IKE_MAX_MSG];
};

#define FUZZ_QUEUE 64
extern struct fuzz_datagram fuzz_queue[FUZZ_QUEUE];
extern unsigned fuzz_queued; /* datagrams in fuzz_queue (those beyond FUZZ_QUEUE are dropped) */
extern uint64_t fuzz_clock_ms;

/*
 * From now on OpenSSL's random bytes, and so dpike's SPIs, nonces and key pairs, are a fixed
 * stream begun anew: two daemons started after it negotiate the same keys every time, so that
 * a corpus entry made from one run's messages (an AUTH, a HASH) holds in the next.
 */
void fuzz_random_repeat(void);
/* A daemon of the configuration text at addr, port 500; exits the process if it does not load. */
void fuzz_node_start(struct fuzz_node *n, const char *config_text, uint32_t addr);
void fuzz_node_stop(struct fuzz_node *n);
/* Hands q to its peer `to` as if it came over the network, then flushes `to`. */
void fuzz_deliver(struct fuzz_node *to, const struct fuzz_datagram *q);
/* Delivers every queued datagram from one node to the other, and what they answer, for a while. */
void fuzz_pump(struct fuzz_node *a, struct fuzz_node *b);
/* What the two still have to say, then their timers over an hour or so: retransmissions, DPD, expiry. */
void fuzz_play_out(struct fuzz_node *a, struct fuzz_node *b);

#endif
