/* SPDX-License-Identifier: BSD-3-Clause */
/* The IKEv2 daemon: message dispatch, message IDs, retransmission, timers, and the control commands. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/esp_algo.h"
#include "ike/conns.h"
#include "ike/identity.h"
#include "ike/v1/v1_sa.h"
#include "ike_sa.h"
#include "lib/log.h"
#include "lib/parse.h"

#define HALF_OPEN_TIMEOUT_MS 30000

struct ike_daemon *ike_daemon_create(const struct dpike_config *cfg, const struct credentials *creds,
				     const struct ike_env *env)
{
	struct ike_daemon *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->creds = creds;
	d->env = *env;
	d->cookie_threshold = cfg->ike_cookie_threshold;
	d->half_open_max = cfg->ike_half_open_max;
	d->half_open_per_peer = cfg->ike_half_open_per_peer;
	ike_random(d->cookie_secret, sizeof(d->cookie_secret));
	d->v1 = v1_create(cfg, env, d);
	d->pools = ike_pools_create(cfg);
	if (d->v1 == NULL || d->pools == NULL) {
		v1_destroy(d->v1);
		ike_pools_free(d->pools);
		free(d);
		return NULL;
	}
	return d;
}

void ike_daemon_destroy(struct ike_daemon *d)
{
	if (d == NULL)
		return;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->state != IKE_SA_DEAD)
			ike_sa_set_state(sa, IKE_SA_DEAD);
	ike_sa_reap(d);
	v1_destroy(d->v1);
	ike_pools_free(d->pools);
	u64map_free(&d->by_spi);
	u64map_free(&d->half_open_by_spi_i);
	u64map_free(&d->half_open_by_addr);
	u64map_free(&d->child_spis);
	u64map_free(&d->child_owner);
	u64map_free(&d->by_ids);
	timer_heap_free(&d->timers);
	for (int i = 0; i < IKE_KE_KEPT_GROUPS; i++)
		ke_free(d->ke_reuse[i].ke);
	free(d);
}

static void respond_unencrypted_error(struct ike_daemon *d, const struct ike_endpoint *local,
				      const struct ike_endpoint *remote, const struct ike_header *req, uint16_t type)
{
	struct ike_builder b;
	struct ike_header h = *req;
	h.flags = (uint8_t)((req->flags & ~IKE_FLAG_INITIATOR) | IKE_FLAG_RESPONSE);
	h.next = 0;
	ike_build_start(&b, &h);
	notify_add(&b, 0, NULL, 0, type, NULL, 0);
	size_t n = ike_build_finish(&b);
	d->stats.tx++;
	d->env.send(d->env.ctx, local, remote, b.buf, n);
}

static void handle_response(struct ike_sa *sa, const struct ike_message *msg, const uint8_t *raw, size_t len)
{
	if (sa->req.msg == NULL || msg->hdr.msg_id != sa->req.msg_id || msg->hdr.exchange != sa->req.exchange) {
		ike_note_invalid(sa->d, &sa->remote, "a response to no request of ours");
		return;
	}
	free(sa->req.msg);
	sa->req.msg = NULL;
	switch (msg->hdr.exchange) {
	case IKE_SA_INIT:
		if (sa->state == IKE_SA_INIT_SENT)
			ike_sa_init_process_response(sa, msg, raw, len);
		break;
	case IKE_AUTH:
		if (sa->state == IKE_SA_AUTH_SENT)
			ike_auth_process_response(sa, msg);
		break;
	case INFORMATIONAL:
		ike_info_process_response(sa, msg);
		break;
	case CREATE_CHILD_SA:
		if (sa->state == IKE_SA_ESTABLISHED)
			ccsa_process_response(sa, msg);
		break;
	default:
		break;
	}
}

static void handle_request(struct ike_sa *sa, const struct ike_message *msg)
{
	if (msg->hdr.msg_id != sa->next_in_id) {
		if (sa->have_last_resp && msg->hdr.msg_id == sa->last_resp_id) {
			ike_send_kept(sa, sa->last_resp, sa->last_resp_len, &sa->resp_frags); /* a retransmitted request */
			sa->d->stats.retransmits_answered++;
			return;
		}
		ike_note_invalid(sa->d, &sa->remote, "message ID outside the window (RFC 7296 2.3)");
		return;
	}
	sa->next_in_id++;
	if (msg->unknown_critical) {
		struct ike_builder b;
		struct ike_header h;
		ike_header_for(sa, &h, msg->hdr.exchange, true, msg->hdr.msg_id);
		ike_build_start(&b, &h);
		ike_sk_begin(&b);
		notify_add(&b, 0, NULL, 0, N_UNSUPPORTED_CRITICAL_PAYLOAD, &msg->unknown_critical, 1);
		size_t len = ike_sk_finish(sa, &b);
		if (len)
			ike_send_response(sa, b.buf, len, msg->hdr.msg_id);
		return;
	}
	switch (msg->hdr.exchange) {
	case IKE_AUTH:
		if (sa->state == IKE_SA_INIT_DONE)
			ike_auth_respond(sa, msg);
		break;
	case INFORMATIONAL:
		if (sa->state == IKE_SA_ESTABLISHED || sa->state == IKE_SA_DELETING)
			ike_info_respond(sa, msg);
		break;
	case CREATE_CHILD_SA:
		if (sa->state == IKE_SA_ESTABLISHED)
			ccsa_respond(sa, msg);
		break;
	default:
		break;
	}
}

/* A request for IKE_SA_INIT: a retransmission of one we answered, or a new SA. */
static void handle_init_request(struct ike_daemon *d, const struct ike_endpoint *local,
				const struct ike_endpoint *remote, const struct ike_message *msg, const uint8_t *raw,
				size_t len)
{
	struct ike_sa *sa = ike_sa_half_open(d, msg->hdr.spi_i);
	if (sa && sa->remote.addr == remote->addr && sa->state == IKE_SA_INIT_DONE && sa->init_req_len == len &&
	    memcmp(sa->init_req, raw, len) == 0) {
		if (sa->ke_pending)
			return; /* the answer goes out when its key exchange is done */
		ike_send(sa, sa->init_resp, sa->init_resp_len);
		d->stats.retransmits_answered++;
		return;
	}
	ike_sa_init_respond(d, local, remote, msg, raw, len);
}

void ike_move_peer(struct ike_sa *sa, const struct ike_endpoint *to, const char *why)
{
	bool moved = sa->remote.addr != to->addr || sa->remote.port != to->port;
	sa->remote = *to;
	if (!moved || sa->state != IKE_SA_ESTABLISHED)
		return;
	ike_children_follow_peer(&sa->d->env, sa->conn->name, sa->children, to, why);
}

/*
 * NAT-T: the peer's address or port may change, and IKE moves to 4500 (RFC 7296 2.23). A MOBIKE
 * peer announces a new address of its own (mobike.c); only a port that changed under the same
 * address, a NAT's doing it cannot see, is followed here.
 */
static void update_endpoints(struct ike_sa *sa, const struct ike_endpoint *local, const struct ike_endpoint *remote)
{
	if (local->port == IKE_NATT_PORT && !sa->floated)
		sa->floated = true;
	if (sa->mobike && remote->addr != sa->remote.addr)
		return;
	if (sa->floated && (sa->nat_remote || sa->remote.port != remote->port)) {
		sa->local = *local;
		ike_move_peer(sa, remote, "IKE from there: a NAT rebound it");
	}
}

void ike_input(struct ike_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
	       const uint8_t *raw, size_t len)
{
	static uint8_t buf[IKE_MAX_MSG];
	struct ike_message msg;
	if (len > 17 && (raw[17] >> 4) == 1) { /* ISAKMP major version 1 */
		v1_input(d->v1, local, remote, raw, len);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	d->stats.rx++;
	enum ike_parse_error perr = len > sizeof(buf) ? IKE_PARSE_LENGTH : ike_parse_header(raw, len, &msg.hdr);
	if (perr != IKE_PARSE_OK) {
		ike_note_invalid(d, remote, perr == IKE_PARSE_VERSION ? "not IKE version 2"
					    : perr == IKE_PARSE_SHORT  ? "shorter than an IKE header"
								       : "length field disagrees with the datagram");
		return;
	}
	memcpy(buf, raw, len);
	if (ike_parse_chain(&msg, msg.hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN) != IKE_PARSE_OK) {
		ike_note_invalid(d, remote, "malformed payload chain");
		if (!(msg.hdr.flags & IKE_FLAG_RESPONSE) && msg.hdr.exchange == IKE_SA_INIT)
			respond_unencrypted_error(d, local, remote, &msg.hdr, N_INVALID_SYNTAX);
		return;
	}
	bool response = msg.hdr.flags & IKE_FLAG_RESPONSE;
	if (msg.hdr.exchange == IKE_SA_INIT && !response && msg.hdr.spi_r == 0 && msg.hdr.msg_id == 0) {
		if (msg.unknown_critical)
			respond_unencrypted_error(d, local, remote, &msg.hdr, N_UNSUPPORTED_CRITICAL_PAYLOAD);
		else
			handle_init_request(d, local, remote, &msg, buf, len);
		return;
	}
	struct ike_sa *sa = ike_sa_find(d, msg.hdr.spi_i, msg.hdr.spi_r);
	if (sa && sa->ke_pending) {
		ike_flush(d); /* its keys first; nothing the peer sends can precede our answer, but order is kept */
		sa = ike_sa_find(d, msg.hdr.spi_i, msg.hdr.spi_r);
	}
	if (sa == NULL || sa->initiator == !!(msg.hdr.flags & IKE_FLAG_INITIATOR)) {
		ike_note_invalid(d, remote, "unknown IKE SPIs"); /* RFC 7296 2.21.4 allows silence */
		return;
	}
	bool fragment = msg.sk && msg.sk->type == PL_SKF;
	if (fragment) {
		int rc = sa->frag_ok ? ike_skf_open(sa, buf, len, &msg) : -1;
		if (rc < 0)
			ike_note_invalid(d, remote, "Encrypted Fragment fails its checks"); /* never answered */
		if (rc <= 0)
			return; /* more fragments to come */
	} else if (msg.hdr.exchange != IKE_SA_INIT && !ike_sk_open(sa, buf, len, &msg)) {
		ike_note_invalid(d, remote, "Encrypted payload fails its integrity check"); /* never answered */
		return;
	}
	sa->last_rx_ms = ike_now(d);
	sa->rx_local = *local;
	sa->rx_remote = *remote;
	update_endpoints(sa, local, remote);
	if (response)
		handle_response(sa, &msg, buf, len);
	else
		handle_request(sa, &msg);
	if (fragment && sa->state != IKE_SA_DEAD)
		ike_reassembly_reset(&sa->rx);
	ike_sa_wake(sa);
	ike_sa_reap(d);
}

/* ---- timers ---- */

static void dpd_failed(struct ike_sa *sa);
static void give_up_keying(struct ike_sa *sa);

static void retransmit(struct ike_sa *sa, uint64_t now)
{
	if (sa->req.msg == NULL || now < sa->req.next_ms)
		return;
	if (sa->req.tries >= (int)sa->d->cfg->ike_retransmit_tries) {
		LOG_WARN("%s: IKE_SA #%u: no answer to %s after %d retransmissions", sa->conn->name, sa->serial,
			 ike_exchange_name(sa->req.exchange), sa->req.tries);
		free(sa->req.msg);
		sa->req.msg = NULL;
		if (sa->state == IKE_SA_ESTABLISHED) {
			dpd_failed(sa);
		} else {
			sa->fail = IKE_FAIL_TIMEOUT;
			give_up_keying(sa);
		}
		return;
	}
	sa->req.tries++;
	sa->req.next_ms = now + ike_retransmit_delay_ms(sa->d, sa->req.tries);
	sa->d->stats.retransmits++;
	ike_send_kept(sa, sa->req.msg, sa->req.len, &sa->req_frags);
}

static struct ike_sa *initiate_child(struct ike_daemon *d, const struct cfg_connection *c, const struct cfg_child *child);
static void start_children(struct ike_daemon *d, const struct cfg_connection *c, uint64_t bits);

static void dpd_failed(struct ike_sa *sa)
{
	struct ike_daemon *d = sa->d;
	const struct cfg_connection *c = sa->conn;
	uint64_t restart = 0;
	d->stats.dpd_timeouts++;
	for (struct child_sa *ch = sa->children; ch; ch = ch->next)
		if (ch->cfg->dpd_action == DPD_RESTART)
			restart |= ike_child_bit(c, ch->cfg);
	LOG_WARN("%s: peer is dead (DPD); %s", c->name, restart ? "restarting" : "clearing");
	sa->fail = IKE_FAIL_DPD;
	ike_sa_set_state(sa, IKE_SA_DEAD);
	start_children(d, c, restart);
}

/* An initiation that got no answer: try again while keyingtries allows (0: for ever). */
static void give_up_keying(struct ike_sa *sa)
{
	struct ike_daemon *d = sa->d;
	const struct cfg_connection *c = sa->conn;
	unsigned next_try = sa->keying_try + 1;
	const struct cfg_child *child = sa->child_cfg;
	bool again = sa->initiator && (c->keyingtries == 0 || next_try < (unsigned)c->keyingtries);
	ike_sa_set_state(sa, IKE_SA_DEAD);
	if (!again)
		return;
	LOG_INFO("%s: keying attempt %u failed; trying again", c->name, next_try);
	struct ike_sa *n = initiate_child(d, c, child);
	if (n) {
		n->keying_try = next_try;
		n->children_wanted = sa->children_wanted;
	}
}

static void check_liveness(struct ike_sa *sa, uint64_t now)
{
	uint64_t delay = sa->conn->dpd_delay * 1000;
	if (sa->rekeyed || delay == 0 || sa->req.msg || now - sa->last_rx_ms < delay)
		return;
	ike_send_liveness(sa);
}

/* Behind a NAT (or faking one with encap = yes) we keep the NAT's mapping alive (RFC 3948 4). */
static void send_keepalive(struct ike_sa *sa, uint64_t now)
{
	ike_keepalive(sa->d, sa->floated, sa->nat_local || sa->conn->encap, &sa->local, &sa->remote, now,
		      &sa->keepalive_ms);
}

void ike_sa_delete(struct ike_sa *sa)
{
	while (sa->children)
		child_destroy(sa, sa->children);
	ike_sa_set_state(sa, IKE_SA_DELETING);
	ike_send_delete(sa, PROTO_IKE, NULL, 0);
}

/* swanctl: an IKE SA not rekeyed by rekey_time + over_time, or not reauthenticated by reauth_time + over_time, is closed. */
static uint64_t ike_end(const struct ike_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	uint64_t rekey_end = c->rekey_time ? sa->established_ms + (c->rekey_time + c->over_time) * 1000 : TIMER_NEVER;
	return timer_earliest(rekey_end, sa->auth_end_ms ? sa->auth_end_ms : TIMER_NEVER);
}

static void expire_ike(struct ike_sa *sa, uint64_t now)
{
	if (sa->req.msg || now < ike_end(sa))
		return;
	LOG_INFO("%s: IKE_SA #%u reached its lifetime without a %s; deleting", sa->conn->name, sa->serial,
		 sa->auth_end_ms && now >= sa->auth_end_ms ? "reauthentication" : "rekey");
	ike_sa_delete(sa);
}

/* Rekeys that are due; one exchange at a time per IKE SA. */
static void check_rekeys(struct ike_sa *sa, uint64_t now)
{
	if (sa->rekeyed || sa->req.msg || ike_reauth_holds_rekeys(sa))
		return;
	if (sa->rekey_ms && now >= sa->rekey_ms && sa->reauth_by == NULL) {
		sa->rekey_ms = 0;
		if (ccsa_rekey_ike(sa))
			return;
	}
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->state == CHILD_INSTALLED && c->rekey_ms && now >= c->rekey_ms && ccsa_rekey_child(sa, c))
			return;
}

/*
 * An idle child goes, as in strongSwan: with its IKE SA when it is the only child and we created
 * it (a client that brought the tunnel up takes it down); false when the IKE SA went too.
 */
static bool close_idle(struct ike_sa *sa, struct child_sa *c)
{
	LOG_INFO("%s/%s: child SA carried nothing for %lu s (inactivity); closing %s", sa->conn->name, c->cfg->name,
		 (unsigned long)c->cfg->inactivity, c->exchange_initiator && !sa->children->next ? "it with its IKE SA" : "it");
	if (c->exchange_initiator && !sa->children->next) {
		ike_sa_delete(sa);
		return false;
	}
	uint32_t spi = c->spi_in;
	ike_send_delete(sa, PROTO_ESP, &spi, 1);
	child_destroy(sa, c);
	return true;
}

static void expire_children(struct ike_sa *sa, uint64_t now)
{
	for (struct child_sa *c = sa->children; c;) {
		struct child_sa *next = c->next;
		if (c->expire_ms && now >= c->expire_ms && sa->req.msg == NULL) {
			uint32_t spi = c->spi_in;
			LOG_INFO("%s/%s: child SA reached its life_time; deleting", sa->conn->name, c->cfg->name);
			ike_send_delete(sa, PROTO_ESP, &spi, 1);
			child_destroy(sa, c);
		} else if (sa->req.msg == NULL && child_idle(&sa->d->env, c, now) && !close_idle(sa, c)) {
			return;
		}
		c = next;
	}
}

/* load-conns let go of its connection and it is idle (a rekeyed one goes with its successor's Delete). */
static bool close_due(const struct ike_sa *sa)
{
	return sa->close_asked && sa->state == IKE_SA_ESTABLISHED && sa->req.msg == NULL && !sa->rekeyed;
}

static bool has_child(const struct ike_sa *sa, const struct cfg_child *ch)
{
	for (const struct child_sa *x = sa->children; x; x = x->next)
		if (x->cfg == ch)
			return true;
	return false;
}

/* The next child the SA was asked for (its connection's start action, a trap hit while it was busy). */
static void create_wanted_child(struct ike_sa *sa)
{
	while (sa->children_wanted && sa->req.msg == NULL && !sa->rekeyed) {
		int i = __builtin_ctzll(sa->children_wanted);
		sa->children_wanted &= sa->children_wanted - 1;
		const struct cfg_child *ch = i < sa->conn->n_children ? &sa->conn->children[i] : NULL;
		if (ch && !has_child(sa, ch))
			ccsa_create_child(sa, ch);
	}
}

static void run_timers(struct ike_sa *sa, uint64_t now)
{
	retransmit(sa, now);
	if (sa->state == IKE_SA_INIT_DONE && now - sa->created_ms > HALF_OPEN_TIMEOUT_MS)
		ike_sa_set_state(sa, IKE_SA_DEAD);
	if (close_due(sa)) {
		LOG_INFO("%s: IKE_SA #%u closed: load-conns let go of its connection", sa->conn->name, sa->serial);
		ike_sa_delete(sa);
		return;
	}
	if (sa->state == IKE_SA_ESTABLISHED) {
		check_liveness(sa, now);
		ike_handover_check(sa, now);
		expire_children(sa, now);
		create_wanted_child(sa);
		check_rekeys(sa, now);
		ike_reauth_run(sa, now);
		expire_ike(sa, now);
		send_keepalive(sa, now);
	}
}

/* What of run_timers() waits on the children: expire_children() and the part of check_rekeys(). */
static uint64_t children_due(const struct ike_sa *sa)
{
	uint64_t due = TIMER_NEVER;
	for (const struct child_sa *c = sa->children; c; c = c->next) {
		if (c->expire_ms)
			due = timer_earliest(due, c->expire_ms);
		due = timer_earliest(due, child_idle_due(c));
		if (sa->rekeyed || ike_reauth_holds_rekeys(sa))
			continue;
		if (c->state == CHILD_INSTALLED && c->rekey_ms)
			due = timer_earliest(due, c->rekey_ms);
	}
	return due;
}

/* The established SA's timers, each as its check in run_timers() decides. */
static uint64_t established_due(const struct ike_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	uint64_t due = ike_keepalive_due(sa->d, sa->floated, sa->nat_local || c->encap, sa->keepalive_ms);
	due = timer_earliest(due, ike_handover_due(sa));
	if (sa->req.msg) /* the rest waits for the exchange in progress; its end wakes the SA */
		return due;
	if (close_due(sa) || (sa->children_wanted && !sa->rekeyed))
		return 0;
	due = timer_earliest(due, children_due(sa));
	if (!sa->rekeyed && c->dpd_delay)
		due = timer_earliest(due, sa->last_rx_ms + c->dpd_delay * 1000);
	if (!sa->rekeyed && sa->rekey_ms && sa->reauth_by == NULL)
		due = timer_earliest(due, sa->rekey_ms);
	due = timer_earliest(due, ike_reauth_next_due(sa));
	return timer_earliest(due, ike_end(sa));
}

uint64_t ike_sa_next_due(const struct ike_sa *sa)
{
	if (sa->state == IKE_SA_DEAD)
		return TIMER_NEVER;
	uint64_t due = sa->req.msg ? sa->req.next_ms : TIMER_NEVER;
	if (sa->state == IKE_SA_INIT_DONE)
		due = timer_earliest(due, sa->created_ms + HALF_OPEN_TIMEOUT_MS + 1);
	if (sa->state == IKE_SA_ESTABLISHED)
		due = timer_earliest(due, established_due(sa));
	return due;
}

void ike_sa_wake(struct ike_sa *sa)
{
	timer_heap_advance(&sa->d->timers, &sa->timer, ike_sa_next_due(sa)); /* room reserved by ike_sa_new() */
}

unsigned ike_timers_late(const struct ike_daemon *d)
{
	unsigned late = 0;
	for (const struct ike_sa *sa = d->sas; sa; sa = sa->next)
		late += sa->timer.due > ike_sa_next_due(sa);
	return late + v1_timers_late(d->v1);
}

void ike_flush(struct ike_daemon *d)
{
	v1_flush(d->v1);
	if (d->n_pending_ke == 0)
		return;
	ike_sa_init_finish_deferred(d);
	ike_sa_reap(d); /* not in there: a full batch is finished from within ike_input(), which holds an SA */
}

/* Visits the SAs with a timer due, not every SA: holding many idle SAs costs nothing per tick. */
void ike_tick(struct ike_daemon *d)
{
	ike_flush(d);
	uint64_t now = ike_now(d);
	struct timer_entry *e;
	while ((e = timer_heap_pop_due(&d->timers, now)) != NULL) {
		struct ike_sa *sa = (struct ike_sa *)((char *)e - offsetof(struct ike_sa, timer));
		run_timers(sa, now);
		timer_heap_requeue(&d->timers, &sa->timer, ike_sa_next_due(sa), now);
	}
	ike_sa_reap(d);
	v1_tick(d->v1);
}

/* ---- control ---- */

bool ike_conn_endpoints(const struct dpike_config *cfg, const struct cfg_connection *c, struct ike_endpoint *local,
			struct ike_endpoint *remote)
{
	if (!cfg_addr_single(c->remote_ranges, c->n_remote_addrs, &remote->addr))
		return false;
	remote->port = c->remote_port ? c->remote_port : IKE_PORT;
	local->port = c->local_port ? c->local_port : IKE_PORT;
	if (cfg_addr_single(c->local_ranges, c->n_local_addrs, &local->addr))
		return true;
	/* no local address configured: the interface on the peer's network, else the first */
	for (int i = 0; i < cfg->n_ifaces; i++)
		if (((cfg->ifaces[i].addr ^ remote->addr) & prefix_mask(cfg->ifaces[i].plen)) == 0) {
			local->addr = cfg->ifaces[i].addr;
			return true;
		}
	local->addr = cfg->ifaces[0].addr;
	return true;
}

static struct ike_sa *initiate_child(struct ike_daemon *d, const struct cfg_connection *c, const struct cfg_child *child)
{
	struct ike_endpoint local, remote;
	if (c->version == 1 || c->dropped || !ike_conn_endpoints(d->cfg, c, &local, &remote))
		return NULL;
	struct ike_sa *sa = ike_sa_new(d, true, c, &local, &remote);
	if (sa == NULL)
		return NULL;
	sa->state = IKE_SA_INIT_SENT;
	sa->child_cfg = child ? child : (c->n_children ? &c->children[0] : NULL);
	ike_sa_init_start(sa);
	return sa;
}

/* "conn" or "conn/child" */
static const struct cfg_connection *lookup(const struct ike_daemon *d, const char *name, const struct cfg_child **child)
{
	char conn[CFG_NAME_MAX];
	const char *slash = strchr(name, '/');
	size_t n = slash ? (size_t)(slash - name) : strlen(name);
	*child = NULL;
	if (n >= sizeof(conn))
		return NULL;
	memcpy(conn, name, n);
	conn[n] = '\0';
	for (int i = 0; i < d->cfg->n_connections; i++) {
		const struct cfg_connection *c = d->cfg->connections[i];
		if (strcmp(c->name, conn) != 0)
			continue;
		if (slash == NULL)
			return c;
		for (int k = 0; k < c->n_children; k++)
			if (strcmp(c->children[k].name, slash + 1) == 0) {
				*child = &c->children[k];
				return c;
			}
		return NULL;
	}
	return NULL;
}

static struct ike_sa *established_sa(struct ike_daemon *d, const struct cfg_connection *c)
{
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->state == IKE_SA_ESTABLISHED && !sa->rekeyed)
			return sa;
	return NULL;
}

/* What a command names: an SA of the connection by that name, also one that load-conns replaced. */
static struct ike_sa *established_named(struct ike_daemon *d, const char *name)
{
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->state == IKE_SA_ESTABLISHED && !sa->rekeyed && strcmp(sa->conn->name, name) == 0)
			return sa;
	return NULL;
}

int ike_initiate(struct ike_daemon *d, const char *name, struct strbuf *err)
{
	const struct cfg_child *child;
	const struct cfg_connection *c = lookup(d, name, &child);
	if (c == NULL) {
		sb_printf(err, "no connection or child named '%s'\n", name);
		return -1;
	}
	if (c->version == 1)
		return v1_initiate(d->v1, c, child, err);
	if (established_sa(d, c)) {
		sb_printf(err, "'%s' is already up (creating a further child needs CREATE_CHILD_SA)\n", name);
		return -1;
	}
	if (initiate_child(d, c, child) == NULL) {
		sb_printf(err, "cannot initiate '%s': it needs remote_addrs with one address\n", name);
		return -1;
	}
	return 0;
}

uint32_t ike_initiate_as(struct ike_daemon *d, const char *conn, const struct ike_endpoint *local,
			 const char *local_id, const struct traffic_selector *local_ts)
{
	const struct cfg_child *child;
	const struct cfg_connection *c = lookup(d, conn, &child);
	struct ike_endpoint ignored, remote;
	struct ike_id id;
	if (c == NULL || !ike_conn_endpoints(d->cfg, c, &ignored, &remote) || !identity_from_string(local_id, &id))
		return 0;
	if (c->version == 1)
		return v1_initiate_as(d->v1, c, child ? child : (c->n_children ? &c->children[0] : NULL), local, &id,
				      local_ts);
	struct ike_sa *sa = ike_sa_new(d, true, c, local, &remote);
	if (sa == NULL)
		return 0;
	sa->id_local = id;
	sa->id_local_given = true;
	if (local_ts) {
		sa->local_ts = *local_ts;
		sa->local_ts_given = true;
	}
	sa->state = IKE_SA_INIT_SENT;
	sa->child_cfg = child ? child : (c->n_children ? &c->children[0] : NULL);
	ike_sa_init_start(sa);
	return sa->serial;
}

/* The established, idle IKE SA a command names ("conn" or "conn/child"); NULL with a message. */
static struct ike_sa *command_target(struct ike_daemon *d, const char *name, const struct cfg_child **child,
				     struct strbuf *err)
{
	const struct cfg_connection *c = lookup(d, name, child);
	struct ike_sa *sa = c ? established_named(d, c->name) : NULL;
	if (sa == NULL)
		sb_printf(err, "'%s' is not established\n", name);
	else if (sa->req.msg) /* one exchange at a time: the window is one (RFC 7296 2.3) */
		sb_printf(err, "'%s' has an exchange in progress; try again\n", name);
	return sa && sa->req.msg == NULL ? sa : NULL;
}

/* IKEv1's share of a command: the connection when IKEv1 runs it, else NULL. */
static const struct cfg_connection *v1_target(struct ike_daemon *d, const char *name, const struct cfg_child **child)
{
	const struct cfg_connection *c = lookup(d, name, child);
	return c && v1_owns(d->v1, c) ? c : NULL;
}

int ike_terminate(struct ike_daemon *d, const char *name, struct strbuf *err)
{
	const struct cfg_child *child;
	const struct cfg_connection *v1c = v1_target(d, name, &child);
	if (v1c)
		return v1_terminate(d->v1, v1c, child, err);
	struct ike_sa *sa = command_target(d, name, &child, err);
	if (sa == NULL)
		return -1;
	if (child) {
		for (struct child_sa *ch = sa->children; ch; ch = ch->next)
			if (strcmp(ch->cfg->name, child->name) == 0) {
				uint32_t spi = ch->spi_in;
				ike_send_delete(sa, PROTO_ESP, &spi, 1);
				child_destroy(sa, ch);
				return 0;
			}
		sb_printf(err, "child '%s' is not installed\n", name);
		return -1;
	}
	ike_sa_delete(sa);
	return 0;
}

unsigned ike_delete_established(struct ike_daemon *d, const char *conn, unsigned max)
{
	unsigned n = 0;
	for (struct ike_sa *sa = d->sas; sa && n < max; sa = sa->next)
		if (sa->state == IKE_SA_ESTABLISHED && sa->req.msg == NULL && strcmp(sa->conn->name, conn) == 0) {
			ike_sa_delete(sa); /* stays listed, DELETING, until answered */
			n++;
		}
	return n + v1_delete_established(d->v1, conn, max - n);
}

uint32_t ike_sa_count(const struct ike_daemon *d)
{
	return d->n_sas + v1_sa_count(d->v1);
}

int ike_rekey(struct ike_daemon *d, const char *name, struct strbuf *err)
{
	const struct cfg_child *child;
	const struct cfg_connection *v1c = v1_target(d, name, &child);
	if (v1c)
		return v1_rekey(d->v1, v1c, child, err);
	struct ike_sa *sa = command_target(d, name, &child, err);
	if (sa == NULL)
		return -1;
	if (child == NULL)
		return ccsa_rekey_ike(sa) ? 0 : (sb_printf(err, "cannot rekey '%s'\n", name), -1);
	for (struct child_sa *ch = sa->children; ch; ch = ch->next)
		if (strcmp(ch->cfg->name, child->name) == 0 && ch->state == CHILD_INSTALLED)
			return ccsa_rekey_child(sa, ch) ? 0 : (sb_printf(err, "cannot rekey '%s'\n", name), -1);
	sb_printf(err, "child '%s' is not installed\n", name);
	return -1;
}

int ike_reauth(struct ike_daemon *d, const char *name, struct strbuf *err)
{
	const struct cfg_child *child;
	const struct cfg_connection *v1c = v1_target(d, name, &child);
	struct ike_sa *sa = v1c || child ? NULL : command_target(d, name, &child, err);
	if (child) {
		sb_printf(err, "'%s': a child is not reauthenticated; name its connection\n", name);
		return -1;
	}
	if (v1c)
		return v1_rekey(d->v1, v1c, NULL, err); /* IKEv1 renews an ISAKMP SA by reauthenticating */
	return sa ? ike_reauth_now(sa, err) : -1;
}

static struct ike_sa *connecting(struct ike_daemon *d, const struct cfg_connection *c)
{
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->initiator && (sa->state == IKE_SA_INIT_SENT || sa->state == IKE_SA_AUTH_SENT))
			return sa;
	return NULL;
}

/*
 * Children of c (bits, ike_child_bit()) to bring up: by CREATE_CHILD_SA once an IKE SA of c is
 * idle, the one up or coming up; else a new IKE SA with the first of them in IKE_AUTH.
 */
static void start_children(struct ike_daemon *d, const struct cfg_connection *c, uint64_t bits)
{
	if (bits == 0 || c->dropped)
		return;
	struct ike_sa *sa = established_sa(d, c);
	if (sa == NULL)
		sa = connecting(d, c);
	if (sa) {
		sa->children_wanted |= bits;
		if (sa->state == IKE_SA_ESTABLISHED)
			create_wanted_child(sa); /* now if it is idle, else when its exchange is done */
		ike_sa_wake(sa);
		return;
	}
	struct ike_sa *n = initiate_child(d, c, &c->children[__builtin_ctzll(bits)]);
	if (n)
		n->children_wanted = bits & (bits - 1);
}

void ike_start_child(struct ike_daemon *d, const struct cfg_connection *c, const struct cfg_child *ch, const char *why)
{
	if (c->dropped) {
		LOG_INFO("%s/%s: %s; not started again: load-conns let go of the connection", c->name, ch->name, why);
		return;
	}
	if (v1_owns(d->v1, c)) {
		v1_start_child(d->v1, c, ch, why);
		return;
	}
	struct ike_sa *sa = established_sa(d, c), *pending = sa ? NULL : connecting(d, c);
	uint64_t bit = ike_child_bit(c, ch);
	if (sa && (has_child(sa, ch) || (sa->children_wanted & bit) ||
		   (sa->create.kind != REKEY_NONE && sa->create.cfg == ch)))
		return; /* up, coming up, or asked for */
	if (pending && (pending->child_cfg == ch || (pending->children_wanted & bit)))
		return; /* its turn comes when the IKE SA is up */
	LOG_INFO("%s/%s: %s; %s", c->name, ch->name, why,
		 sa ? "creating it" : pending ? "once the IKE SA is up" : "initiating");
	if (bit)
		start_children(d, c, bit);
	else if (sa)
		ccsa_create_child(sa, ch); /* past the 64th child: now or not */
	else if (!pending)
		initiate_child(d, c, ch);
}

void ike_acquire(struct ike_daemon *d, const struct cfg_connection *conn, const struct cfg_child *child)
{
	ike_start_child(d, conn, child, "traffic hit the trap");
}

void ike_child_expired(struct ike_daemon *d, uint32_t spi_in, bool hard)
{
	struct ike_sa *sa = u64map_get(&d->child_owner, spi_in);
	struct child_sa *c = sa && sa->state == IKE_SA_ESTABLISHED ? child_by_spi(sa, spi_in, false) : NULL;
	if (c == NULL) {
		v1_child_expired(d->v1, spi_in, hard);
		return;
	}
	if (c->state != CHILD_INSTALLED)
		return;
	if (!hard) {
		c->rekey_ms = ike_now(d); /* rekey on the next tick */
		ike_sa_wake(sa);
		return;
	}
	LOG_INFO("%s/%s: child SA reached its hard lifetime; deleting", sa->conn->name, c->cfg->name);
	uint32_t s = c->spi_in;
	if (sa->req.msg == NULL)
		ike_send_delete(sa, PROTO_ESP, &s, 1);
	child_destroy(sa, c);
}

void ike_peer_moved(struct ike_daemon *d, uint32_t spi_in, uint32_t addr, uint16_t port)
{
	struct ike_sa *sa = u64map_get(&d->child_owner, spi_in);
	struct ike_endpoint to = { addr, port };
	if (sa && sa->state == IKE_SA_ESTABLISHED && child_by_spi(sa, spi_in, false))
		ike_move_peer(sa, &to, "ESP from there: a NAT rebound it");
	else
		v1_peer_moved(d->v1, spi_in, &to);
}

void ike_start_conn(struct ike_daemon *d, const struct cfg_connection *c)
{
	uint64_t bits = ike_conn_started_children(c);
	if (c->version == 1)
		v1_start_children(d->v1, c, bits);
	else
		start_children(d, c, bits);
}

void ike_start(struct ike_daemon *d)
{
	for (int i = 0; i < d->cfg->n_connections; i++)
		ike_start_conn(d, d->cfg->connections[i]);
}

unsigned ike_close_conn(struct ike_daemon *d, const struct cfg_connection *c)
{
	bool started = false;
	for (int k = 0; k < c->n_children; k++)
		started |= c->children[k].start_action == START_START;
	if (!started)
		return 0;
	unsigned n = 0;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->state == IKE_SA_ESTABLISHED && !sa->rekeyed) {
			sa->close_asked = true; /* now, or at the end of the exchange in progress */
			ike_sa_wake(sa);
			n++;
		}
	return n + v1_close_conn(d->v1, c);
}

void ike_set_credentials(struct ike_daemon *d, const struct credentials *creds)
{
	d->creds = creds;
}

static void addr_text(uint32_t a, uint16_t port, char *buf, size_t len)
{
	char ip[16];
	format_ipv4(a, ip, sizeof(ip));
	snprintf(buf, len, "%s[%u]", ip, port);
}

static const char *child_state_name(const struct child_sa *c)
{
	static const char *const names[] = { [CHILD_INSTALLED] = "INSTALLED", [CHILD_REKEYING] = "REKEYING",
					     [CHILD_REKEYED] = "REKEYED", [CHILD_DELETING] = "DELETING" };
	return names[c->state];
}

void ike_list_child(const struct ike_env *env, const struct child_sa *c, bool json, struct strbuf *o, uint64_t now)
{
	uint64_t bin = 0, bout = 0, pin = 0, pout = 0;
	if (env->child_usage)
		env->child_usage(env->ctx, c->handle, &bin, &bout, &pin, &pout);
	long rekey = c->rekey_ms > now ? (long)((c->rekey_ms - now) / 1000) : 0;
	char oa_r[16] = "", oa_l[16] = "";
	if (c->has_oa) {
		format_ipv4(c->oa_remote, oa_r, sizeof(oa_r));
		format_ipv4(c->oa_local, oa_l, sizeof(oa_l));
	}
	if (json) {
		sb_printf(o,
			  "{\"name\":\"%s\",\"state\":\"%s\",\"spi_in\":\"0x%08x\",\"spi_out\":\"0x%08x\",\"esp\":\"%s\","
			  "\"mode\":\"%s\",\"encap\":%s,\"esn\":%s,\"outbound_waits\":%s,\"bytes_in\":%lu,\"bytes_out\":%lu,"
			  "\"packets_in\":%lu,\"packets_out\":%lu,\"rekey_in_s\":%ld,\"nat_oa_remote\":\"%s\","
			  "\"nat_oa_local\":\"%s\"},",
			  c->cfg->name, child_state_name(c), c->spi_in, c->spi_out, esp_algos[c->esp_alg].name,
			  c->tunnel ? "tunnel" : "transport", c->encap ? "true" : "false", c->esn ? "true" : "false",
			  c->replaces ? "true" : "false", bin, bout, pin, pout, rekey, oa_r, oa_l);
		return;
	}
	sb_printf(o, "  %s: %s, %s, SPIs 0x%08x_i 0x%08x_o, %s%s%s%s%s%s%s%s\n", c->cfg->name, child_state_name(c),
		  c->tunnel ? "TUNNEL" : "TRANSPORT", c->spi_in, c->spi_out, esp_algos[c->esp_alg].name,
		  c->encap ? ", UDP-encapsulated" : "", c->esn ? ", ESN" : "", c->has_oa ? ", NAT-OA " : "", oa_r,
		  c->has_oa ? " -> " : "", oa_l, c->replaces ? ", outbound waits for the peer to use it" : "");
	sb_printf(o, "    in %lu bytes, %lu packets; out %lu bytes, %lu packets; rekey in %lds\n", bin, pin, bout, pout,
		  rekey);
}

void ike_list_peer_cert(const char *subject, bool json, struct strbuf *o)
{
	if (subject == NULL || subject[0] == '\0')
		return;
	if (!json) {
		sb_printf(o, "  remote certificate '%s'\n", subject);
		return;
	}
	sb_printf(o, ",\"remote_cert\":");
	sb_json_str(o, subject);
}

static void list_eap(const struct ike_sa *sa, bool json, struct strbuf *o)
{
	const char *method, *id = ike_eap_identity(sa, &method);
	if (id == NULL)
		return;
	if (!json) {
		sb_printf(o, "  remote EAP identity '%s' (%s)\n", id, method);
		return;
	}
	sb_printf(o, ",\"eap_method\":\"%s\",\"eap_identity\":", method);
	sb_json_str(o, id);
}

void ike_list_sas(struct ike_daemon *d, bool json, struct strbuf *o)
{
	uint64_t now = ike_now(d);
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		char l[40], r[40], lid[256], rid[256], vip[16] = "", own_vip[16] = "";
		if (sa->vip)
			format_ipv4(sa->vip, vip, sizeof(vip));
		if (sa->own_vip)
			format_ipv4(sa->own_vip, own_vip, sizeof(own_vip));
		addr_text(sa->local.addr, sa->local.port, l, sizeof(l));
		addr_text(sa->remote.addr, sa->remote.port, r, sizeof(r));
		identity_to_string(&sa->id_local, lid, sizeof(lid));
		identity_to_string(&sa->id_remote, rid, sizeof(rid));
		char algs[160];
		long rekey = sa->rekey_ms > now ? (long)((sa->rekey_ms - now) / 1000) : 0;
		long reauth = sa->reauth_ms > now ? (long)((sa->reauth_ms - now) / 1000) : 0;
		char reauth_text[48] = "";
		if (sa->reauth_ms)
			snprintf(reauth_text, sizeof(reauth_text), ", reauth in %lds", reauth);
		proposal_format(&sa->chosen, algs, sizeof(algs));
		if (json) {
			sb_printf(o,
				  "{\"name\":\"%s\",\"version\":2,\"serial\":%u,\"state\":\"%s\",\"initiator\":%s,"
				  "\"spi_i\":\"%016lx\",\"spi_r\":\"%016lx\",\"local\":\"%s\",\"remote\":\"%s\","
				  "\"proposal\":\"%s\",\"rekey_in_s\":%ld,\"reauth_in_s\":%ld,\"fragmentation\":%s,\"mobike\":%s,"
				  "\"local_id\":",
				  sa->conn->name, sa->serial, ike_sa_state_name(sa->state), sa->initiator ? "true" : "false",
				  sa->spi_i, sa->spi_r, l, r, algs, rekey, reauth, sa->frag_ok ? "true" : "false",
				  sa->mobike ? "true" : "false");
			sb_json_str(o, lid);
			sb_printf(o, ",\"remote_id\":");
			sb_json_str(o, rid);
			ike_list_peer_cert(sa->peer_cert, true, o);
			list_eap(sa, true, o);
			sb_printf(o, ",\"nat\":%s,\"remote_vip\":\"%s\",\"local_vip\":\"%s\",\"children\":[",
				  sa->nat_local || sa->nat_remote ? "true" : "false", vip, own_vip);
			for (struct child_sa *c = sa->children; c; c = c->next)
				ike_list_child(&d->env, c, true, o, now);
			sb_trim_comma(o);
			sb_printf(o, "]},");
			continue;
		}
		sb_printf(o, "%s: #%u, %s, IKEv2, %016lx_i%s %016lx_r%s\n  local '%s' @ %s\n  remote '%s' @ %s%s\n"
			     "  %s, rekey in %lds%s%s\n",
			  sa->conn->name, sa->serial, ike_sa_state_name(sa->state), sa->spi_i, sa->initiator ? "*" : "",
			  sa->spi_r, sa->initiator ? "" : "*", lid, l, rid, r,
			  sa->nat_local || sa->nat_remote ? " (NAT)" : "", algs, rekey, reauth_text, sa->mobike ? ", MOBIKE" : "");
		ike_list_peer_cert(sa->peer_cert, false, o);
		list_eap(sa, false, o);
		if (sa->vip)
			sb_printf(o, "  remote virtual IP %s\n", vip);
		if (sa->own_vip)
			sb_printf(o, "  local virtual IP %s\n", own_vip);
		for (struct child_sa *c = sa->children; c; c = c->next)
			ike_list_child(&d->env, c, false, o, now);
	}
	v1_list(d->v1, json, o);
}

void ike_stats(struct ike_daemon *d, bool json, struct strbuf *o)
{
	const struct ike_stats *s = &d->stats;
	unsigned n = 0;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		n += sa->state == IKE_SA_ESTABLISHED;
#define IKE_FIELDS(X)                                                                                          \
	X(rx) X(tx) X(rx_invalid) X(retransmits) X(retransmits_answered) X(auth_failures) X(no_proposal) X(established) \
	X(half_open_dropped) X(cookies_sent) X(dpd_timeouts) X(ke_batched) X(ke_batches)
	if (json) {
		sb_printf(o, "\"ike\":{\"sas_established\":%u,\"half_open\":%u,", n, d->half_open);
#define X(f) sb_printf(o, "\"%s\":%lu,", #f, s->f);
		IKE_FIELDS(X)
#undef X
		sb_trim_comma(o);
		sb_printf(o, "},");
		v1_stats(d->v1, json, o);
		return;
	}
	sb_printf(o, "ike:\n  %-24s %u\n  %-24s %u\n", "sas_established", n, "half_open", d->half_open);
#define X(f) sb_printf(o, "  %-24s %lu\n", #f, s->f);
	IKE_FIELDS(X)
#undef X
	v1_stats(d->v1, json, o);
}
