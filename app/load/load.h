/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpike-load: an IKE load generator built from dpike's own IKE code. It opens many IKE SAs
 * (one child each; IKEv2, or IKEv1 Main Mode and Quick Mode) against a responder, from many IDs
 * and source ports, at a chosen rate or as fast as it can, and reports handshakes per second,
 * latency and failures by reason.
 */
#ifndef DPIKE_LOAD_H
#define DPIKE_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "ike/ike.h"

#define LOAD_MAX_PORTS 1024

struct load_options {
	uint32_t responder, local;  /* host order; local 0: as routed */
	uint32_t sas, rate, concurrency;
	uint16_t base_port, n_ports;
	const char *psk, *id_format, *remote_id, *proposal, *esp;
	const char *inner_net, *remote_ts; /* each SA's child: its own host from inner_net, to remote_ts */
	uint32_t inner_base, inner_hosts;  /* inner_net parsed */
	double hold_s, dpd_delay_s, timeout_s;
	double ke_reuse_s; /* seconds our key pair serves IKE_SA_INIT (ike.ke_reuse); 0: one per SA */
	int version;       /* IKE version: 2, or 1 (a handshake is then Main Mode and Quick Mode) */
	bool json, verbose;
	bool keep; /* --no-delete: leave the SAs on the responder at the end */
	bool vips; /* --vips: each SA asks the responder for an address (its child's selector then) */
};

/* What happened to the SAs; filled by the run, printed by load_report(). */
struct load_result {
	uint32_t started, up, failed, lost_after_up;
	uint32_t fail_by[IKE_FAIL_COUNT];
	uint64_t first_start_us, last_up_us;
	uint64_t handshake_cpu_us; /* the generator's own CPU time while opening them */
	uint32_t *latency_us; /* of each SA that came up, in the order they did */
	uint32_t up_at_end;   /* still up when the hold period ended */
	uint64_t dpd_sent, dpd_answered;
	/* the deletes at the end: asked, answered, unanswered, how long, IKE SAs still there after */
	uint32_t delete_asked, deleted, delete_failed, left_at_end;
	uint64_t delete_us;
	uint64_t send_lost; /* datagrams our own socket buffers refused (retransmitted by IKE) */
	char ike_stats[2048]; /* the daemon's own counters, as JSON */
};

/* UDP sockets on the generator's ports and on 4500; they carry ike_input() and env.send. */
struct load_sockets;
struct load_sockets *load_sockets_open(uint32_t local, uint16_t base_port, uint16_t n_ports, char *err, size_t len);
void load_sockets_close(struct load_sockets *s);
void load_sockets_send(struct load_sockets *s, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		       const uint8_t *msg, size_t len);
/* Waits up to timeout_ms for datagrams and hands each to the daemon; returns how many. */
unsigned load_sockets_poll(struct load_sockets *s, struct ike_daemon *d, int timeout_ms);
/* Datagrams received and sent so far. */
uint64_t load_sockets_rx(const struct load_sockets *s);
uint64_t load_sockets_tx(const struct load_sockets *s);
/* Datagrams the kernel refused to send (a full socket buffer): lost, for IKE to retransmit. */
uint64_t load_sockets_send_lost(const struct load_sockets *s);

/* The address the kernel would send from towards dst (host order), 0 if none. */
uint32_t load_route_source(uint32_t dst);

void load_report(const struct load_options *o, struct load_result *r);

#endif
