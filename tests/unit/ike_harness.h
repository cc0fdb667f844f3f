/* SPDX-License-Identifier: BSD-3-Clause */
/* The two-daemon harness shared by the IKEv2 and IKEv1 suites (ike_harness.c). */
#ifndef DPIKE_TEST_IKE_HARNESS_H
#define DPIKE_TEST_IKE_HARNESS_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "ike/ike.h"
#include "ike/v2/ike_sa.h"

/* One child SA as the dataplane of a node would hold it. */
struct installed {
	bool live, active, tunnel, encap, has_oa;
	uint32_t spi_in, spi_out;
	uint32_t oa_remote, oa_local;
	uint32_t ike_serial; /* of the IKE SA that installed it */
	struct traffic_selector local_ts, remote_ts; /* the first of each */
	uint8_t key_in[128], key_out[128];
	size_t key_len;
	uint64_t packets;         /* what env.child_usage tells (a test moves it as traffic would) */
	int moves;                /* env.move_child calls, */
	struct ike_endpoint peer; /* the last one's endpoint */
};

/* A dpikectl command (ike_initiate, ike_terminate, ike_rekey) on a daemon: its status; its message on stderr when refused. */
typedef int (*ike_command_fn)(struct ike_daemon *d, const char *name, struct strbuf *err);
int run_command(ike_command_fn cmd, struct ike_daemon *d, const char *name);

/* Whether the KE values each side sent in two exchanges at once were the same. */
struct ke_sharing {
	bool initiator, responder;
};
/*
 * ike.ke_reuse on neither side, on the responder, on the initiator: a key pair is reused on the
 * side that asks for it, only there. two_exchanges runs two at once with those ike settings.
 */
void check_ke_reuse(struct ke_sharing (*two_exchanges)(const char *limits_a, const char *limits_b));

struct node {
	struct dpike_config cfg;
	struct credentials *creds; /* of pubkey connections (absolute paths in the config) */
	struct ike_daemon *d;
	struct ike_endpoint ep;
	uint32_t addrs[8]; /* what it has sent from: a message to any other address is lost, as on a network */
	int n_addrs;
	int children;
	uint32_t spi_in, spi_out;
	uint8_t key_in[128], key_out[128];
	size_t key_len;
	struct installed sa[16];
	int n_sa;
	/* the last env.ike_event */
	uint32_t event_serial;
	bool event_up;
	enum ike_fail event_why;
	int events;
};

struct queued {
	struct node *to;
	struct ike_endpoint local, remote; /* as the receiver sees them */
	size_t len;
	uint8_t msg[IKE_MAX_MSG];
};

extern struct node A, B;
extern struct queued queue[32];
extern int q_head, q_tail;
extern uint64_t clock_ms;
extern uint8_t drop_exchange; /* drop the next message of this exchange */
/*
 * A NAT in front of the node at nat_private: what it sends appears to come from nat_public
 * (ports + 10000), and what is sent there reaches it. Off while nat_private is 0.
 */
extern uint32_t nat_private, nat_public;
/* env.batch_key_exchanges of the nodes started from now on (dpike's own setting); off unless a test sets it */
extern bool batch_key_exchanges;

/* Delivers queued messages until none is left; pump_one delivers the oldest only. */
/* Delivers q, a message the test kept (a copy of a queued one), as pump() would. */
void deliver_copy(struct queued *q);
void pump(void);
void pump_one(void);
/* Loads a node from config text (plus an "ike" group) and creates its daemon at address addr. */
void start_node(struct node *n, const char *text, uint32_t addr, const char *ike_limits);
void stop_node(struct node *n);
/* Puts text into a configuration text conf (of cap bytes) right after the first anchor. */
void insert_after(char *conf, size_t cap, const char *anchor, const char *text);
/* The node's live installed SA of that inbound SPI, or NULL. */
struct installed *installed_of(struct node *n, uint32_t spi);

#endif
