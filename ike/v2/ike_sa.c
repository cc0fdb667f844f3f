/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE SA lifecycle: creation, lookup, the state machine, sending and retransmission, destruction. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/conns.h"
#include "ike/identity.h"
#include "ike_sa.h"
#include "lib/log.h"
#include "lib/parse.h"

uint64_t ike_now(const struct ike_daemon *d)
{
	return d->env.now_ms(d->env.ctx);
}

/* Counted always; logged within the limit for lines a peer can cause (lib/log.h). */
void ike_note_invalid(struct ike_daemon *d, const struct ike_endpoint *from, const char *why)
{
	char ip[16];
	d->stats.rx_invalid++;
	format_ipv4(from->addr, ip, sizeof(ip));
	LOG_WARN_LIMITED("IKE message from %s[%u] dropped: %s", ip, from->port, why);
}

const char *ike_sa_state_name(enum ike_sa_state s)
{
	static const char *const names[] = { "INIT_SENT", "INIT_DONE", "AUTH_SENT", "ESTABLISHED", "DELETING", "DEAD" };
	return s <= IKE_SA_DEAD ? names[s] : "?";
}

static bool legal(enum ike_sa_state from, enum ike_sa_state to)
{
	if (to == IKE_SA_DEAD)
		return from != IKE_SA_DEAD;
	switch (from) {
	case IKE_SA_INIT_SENT: return to == IKE_SA_INIT_SENT || to == IKE_SA_AUTH_SENT;
	case IKE_SA_INIT_DONE: return to == IKE_SA_ESTABLISHED;
	case IKE_SA_AUTH_SENT: return to == IKE_SA_ESTABLISHED;
	case IKE_SA_ESTABLISHED: return to == IKE_SA_DELETING;
	default: return false;
	}
}

const char *ike_fail_name(enum ike_fail why)
{
	static const char *const names[IKE_FAIL_COUNT] = {
		"none", "timeout", "IKE_SA_INIT refused", "no acceptable proposal", "our authentication refused",
		"peer authentication failed", "DPD timeout", "child SA refused", "deleted by the peer", "other",
	};
	return why < IKE_FAIL_COUNT ? names[why] : "?";
}

/*
 * Tells env.ike_event of an SA coming up, of one of ours dying before it did, and of one that
 * was up going (deleted by either side: IKE_FAIL_NONE; DPD; a Delete unanswered), unless a
 * rekey replaced it.
 */
static void report_event(const struct ike_sa *sa, enum ike_sa_state to)
{
	const struct ike_env *env = &sa->d->env;
	if (env->ike_event == NULL)
		return;
	bool keying = sa->state == IKE_SA_INIT_SENT || sa->state == IKE_SA_AUTH_SENT;
	bool was_up = sa->established_ms != 0 && !sa->rekeyed;
	if (to == IKE_SA_ESTABLISHED && sa->state != IKE_SA_ESTABLISHED)
		env->ike_event(env->ctx, sa->serial, true, IKE_FAIL_NONE);
	else if (to == IKE_SA_DEAD && keying)
		env->ike_event(env->ctx, sa->serial, false, sa->fail != IKE_FAIL_NONE ? sa->fail : IKE_FAIL_OTHER);
	else if (to == IKE_SA_DEAD && was_up)
		env->ike_event(env->ctx, sa->serial, false, sa->fail);
}

void ike_sa_note_half_open(struct ike_sa *sa)
{
	struct ike_daemon *d = sa->d;
	d->half_open++;
	/* Out of memory only costs the retransmission check and the per-peer cap their precision. */
	u64map_count(&d->half_open_by_addr, sa->remote.addr, +1);
	u64map_put(&d->half_open_by_spi_i, sa->spi_i, sa);
}

static void forget_half_open(struct ike_sa *sa)
{
	struct ike_daemon *d = sa->d;
	if (d->half_open > 0)
		d->half_open--;
	u64map_count(&d->half_open_by_addr, sa->remote.addr, -1);
	if (u64map_get(&d->half_open_by_spi_i, sa->spi_i) == sa)
		u64map_del(&d->half_open_by_spi_i, sa->spi_i);
}

struct ike_sa *ike_sa_half_open(struct ike_daemon *d, uint64_t spi_i)
{
	return u64map_get(&d->half_open_by_spi_i, spi_i);
}

unsigned ike_half_open_from(struct ike_daemon *d, uint32_t addr)
{
	return (unsigned)(uintptr_t)u64map_get(&d->half_open_by_addr, addr);
}

static void drop_nonce(uint8_t **slot, size_t *slot_len)
{
	if (*slot)
		OPENSSL_cleanse(*slot, *slot_len);
	free(*slot);
	*slot = NULL;
	*slot_len = 0;
}

bool ike_sa_keep_nonce(uint8_t **slot, size_t *slot_len, const uint8_t *src, size_t n)
{
	uint8_t *p = n ? malloc(n) : NULL;
	if (p == NULL || (src == NULL && !ike_random(p, n))) {
		free(p);
		return false;
	}
	if (src)
		memcpy(p, src, n);
	drop_nonce(slot, slot_len);
	*slot = p;
	*slot_len = n;
	return true;
}

void ike_sa_forget_certreq(struct ike_sa *sa)
{
	free(sa->certreq);
	sa->certreq = NULL;
	sa->n_certreq = 0;
}

/*
 * What only IKE_SA_INIT and the AUTH payloads needed (both are done when the SA is established):
 * gone, so that a hundred thousand established SAs do not keep it.
 */
static void drop_keying_material(struct ike_sa *sa)
{
	ike_sa_forget_certreq(sa);
	ke_free(sa->ke);
	sa->ke = NULL;
	free(sa->ke_pub);
	sa->ke_pub = NULL;
	free(sa->init_req);
	free(sa->init_resp);
	sa->init_req = sa->init_resp = NULL;
	sa->init_req_len = sa->init_resp_len = 0;
}

static uint64_t ids_key_of(const struct ike_sa *sa)
{
	return identity_pair_hash(0xcbf29ce484222325ULL, &sa->id_remote, &sa->id_local);
}

static struct ike_sa *of_ids_link(const struct u64map_link *l)
{
	return l ? (struct ike_sa *)((const char *)l - offsetof(struct ike_sa, ids)) : NULL;
}

struct ike_sa *ike_sa_same_ids(const struct ike_sa *sa)
{
	return of_ids_link(u64map_get(&sa->d->by_ids, sa->ids.in ? sa->ids.key : ids_key_of(sa)));
}

struct ike_sa *ike_sa_next_same_ids(const struct ike_sa *sa)
{
	return of_ids_link(sa->ids.next);
}

bool ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state to)
{
	if (!legal(sa->state, to)) {
		LOG_ERR("IKE SA #%u (%s): refused state change %s -> %s", sa->serial, sa->conn->name,
			ike_sa_state_name(sa->state), ike_sa_state_name(to));
		return false;
	}
	LOG_DEBUG("IKE SA #%u (%s): %s -> %s", sa->serial, sa->conn->name, ike_sa_state_name(sa->state),
		  ike_sa_state_name(to));
	bool was_half_open = sa->state == IKE_SA_INIT_DONE;
	report_event(sa, to);
	sa->state = to;
	if (was_half_open)
		forget_half_open(sa);
	if (to == IKE_SA_DEAD) {
		ike_reauth_gone(sa);
		sa->next_dead = sa->d->dead;
		sa->d->dead = sa;
		timer_heap_set(&sa->d->timers, &sa->timer, TIMER_NEVER);
	}
	if (to == IKE_SA_ESTABLISHED) {
		u64map_link_join(&sa->d->by_ids, &sa->ids, ids_key_of(sa)); /* without memory: INITIAL_CONTACT misses it */
		drop_keying_material(sa);
		sa->established_ms = ike_now(sa->d);
		sa->rekey_ms = ike_rekey_at(sa->conn, sa->established_ms);
		ike_reauth_schedule(sa);
		sa->d->stats.established++;
	}
	ike_sa_wake(sa);
	return true;
}

uint64_t ike_schedule_at(uint64_t interval_s, uint64_t rand_s, uint64_t from_ms)
{
	if (interval_s == 0)
		return 0;
	uint64_t t = interval_s * 1000, jitter = 0;
	if (rand_s) {
		uint32_t r;
		ike_random((uint8_t *)&r, sizeof(r));
		jitter = r % (rand_s * 1000);
	}
	return from_ms + (t > jitter ? t - jitter : t);
}

uint64_t ike_rekey_at(const struct cfg_connection *c, uint64_t from_ms)
{
	return ike_schedule_at(c->rekey_time, c->rand_time, from_ms);
}

uint64_t ike_random_spi(void)
{
	uint64_t spi = 0;
	while (spi == 0)
		ike_random((uint8_t *)&spi, sizeof(spi));
	return spi;
}

static uint64_t own_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static void unindex(struct ike_sa *sa)
{
	if (u64map_get(&sa->d->by_spi, own_spi(sa)) == sa)
		u64map_del(&sa->d->by_spi, own_spi(sa));
}

/* A 64-bit random SPI of ours is unique in practice; a clash (or no memory) only hides the older SA. */
static void index_sa(struct ike_sa *sa)
{
	u64map_put(&sa->d->by_spi, own_spi(sa), sa);
}

struct ike_sa *ike_sa_new(struct ike_daemon *d, bool initiator, const struct cfg_connection *conn,
			  const struct ike_endpoint *local, const struct ike_endpoint *remote)
{
	/* its place in the timer heap is made now, so that no later scheduling can fail */
	struct ike_sa *sa = timer_heap_reserve(&d->timers, d->n_sas + 1) == 0 ? calloc(1, sizeof(*sa)) : NULL;
	if (sa == NULL)
		return NULL;
	d->n_sas++;
	timer_entry_init(&sa->timer);
	sa->d = d;
	sa->serial = ++d->serial;
	sa->initiator = initiator;
	ike_conn_set(&sa->conn, conn);
	sa->local = sa->rx_local = *local; /* a responder's IKE_SA_INIT answer goes back where the request came from */
	sa->remote = sa->rx_remote = *remote;
	sa->created_ms = sa->last_rx_ms = ike_now(d);
	if (initiator)
		sa->spi_i = ike_random_spi();
	else
		sa->spi_r = ike_random_spi();
	sa->next = d->sas;
	if (d->sas)
		d->sas->prev = sa;
	d->sas = sa;
	index_sa(sa);
	return sa;
}

void ike_sa_set_spis(struct ike_sa *sa, uint64_t spi_i, uint64_t spi_r)
{
	unindex(sa);
	sa->spi_i = spi_i;
	sa->spi_r = spi_r;
	index_sa(sa);
}

struct ike_sa *ike_sa_find(struct ike_daemon *d, uint64_t spi_i, uint64_t spi_r)
{
	struct ike_sa *sa = spi_r ? u64map_get(&d->by_spi, spi_r) : NULL;
	if (sa && !sa->initiator && sa->state != IKE_SA_DEAD && sa->spi_i == spi_i && sa->spi_r == spi_r)
		return sa;
	sa = u64map_get(&d->by_spi, spi_i);
	if (sa == NULL || !sa->initiator || sa->state == IKE_SA_DEAD || sa->spi_i != spi_i)
		return NULL;
	/* an initiator learns SPIr from the first response */
	if (sa->spi_r == spi_r || (sa->state == IKE_SA_INIT_SENT && sa->spi_r == 0))
		return sa;
	return NULL;
}

static void wipe_keys(struct ike_sa *sa)
{
	OPENSSL_cleanse(sa->sk_d, sizeof(sa->sk_d));
	OPENSSL_cleanse(sa->sk_pi, sizeof(sa->sk_pi));
	OPENSSL_cleanse(sa->sk_pr, sizeof(sa->sk_pr));
	OPENSSL_cleanse(sa->sk_ai, sizeof(sa->sk_ai));
	OPENSSL_cleanse(sa->sk_ar, sizeof(sa->sk_ar));
	OPENSSL_cleanse(sa->sk_ei, sizeof(sa->sk_ei));
	OPENSSL_cleanse(sa->sk_er, sizeof(sa->sk_er));
	drop_nonce(&sa->ni, &sa->ni_len);
	drop_nonce(&sa->nr, &sa->nr_len);
}

void ike_sa_destroy(struct ike_sa *sa)
{
	ccsa_abort(sa);
	while (sa->children)
		child_destroy(sa, sa->children);
	if (sa->child_spi_in)
		child_release_spi(sa->d, sa->child_spi_in);
	if (sa->state != IKE_SA_DEAD)
		ike_sa_set_state(sa, IKE_SA_DEAD);
	u64map_link_leave(&sa->d->by_ids, &sa->ids);
	cp_release(sa);
	ike_eap_free(sa);
	ke_free(sa->ke);
	sa->ke = NULL;
	wipe_keys(sa);
	ike_fragments_free(&sa->out_frags);
	ike_fragments_free(&sa->req_frags);
	ike_fragments_free(&sa->resp_frags);
	ike_reassembly_reset(&sa->rx);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->ke_pub);
	free(sa->req.msg);
	free(sa->last_resp);
	sa->init_req = sa->init_resp = sa->req.msg = sa->last_resp = NULL;
	ike_sa_forget_certreq(sa);
	free(sa->peer_cert);
	sa->peer_cert = NULL;
}

static void unlink_sa(struct ike_sa *sa)
{
	if (sa->prev)
		sa->prev->next = sa->next;
	else
		sa->d->sas = sa->next;
	if (sa->next)
		sa->next->prev = sa->prev;
}

/* Frees the SAs that died since the last call: a cost per dead SA, not per SA. */
void ike_sa_reap(struct ike_daemon *d)
{
	while (d->dead) {
		struct ike_sa *sa = d->dead;
		d->dead = sa->next_dead;
		ike_sa_destroy(sa);
		unindex(sa);
		unlink_sa(sa);
		d->n_sas--;
		ike_conn_put(sa->conn);
		free(sa);
	}
}

void ike_header_for(const struct ike_sa *sa, struct ike_header *h, uint8_t exchange, bool response, uint32_t msg_id)
{
	memset(h, 0, sizeof(*h));
	h->spi_i = sa->spi_i;
	h->spi_r = sa->spi_r;
	h->exchange = exchange;
	h->flags = (sa->initiator ? IKE_FLAG_INITIATOR : 0) | (response ? IKE_FLAG_RESPONSE : 0);
	h->msg_id = msg_id;
}

static void send_to(struct ike_sa *sa, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		    const uint8_t *msg, size_t len)
{
	sa->d->stats.tx++;
	sa->d->env.send(sa->d->env.ctx, local, remote, msg, len);
}

void ike_send(struct ike_sa *sa, const uint8_t *msg, size_t len)
{
	send_to(sa, &sa->local, &sa->remote, msg, len);
}

uint8_t *ike_copy_bytes(const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len);
	if (c)
		memcpy(c, p, len);
	return c;
}

void ike_children_follow_peer(const struct ike_env *env, const char *conn, struct child_sa *children,
			      const struct ike_endpoint *to, const char *why)
{
	char at[32];
	format_ipv4(to->addr, at, sizeof(at));
	LOG_INFO("%s: peer now at %s:%u (%s)", conn, at, to->port, why);
	for (struct child_sa *c = children; c; c = c->next)
		if (c->handle && env->move_child)
			env->move_child(env->ctx, c->handle, to);
}

uint64_t ike_keepalive_due(const struct ike_daemon *d, bool floated, bool behind_nat, uint64_t next_ms)
{
	bool runs = d->cfg->ike_keep_alive && floated && behind_nat && d->env.send_keepalive;
	return runs ? next_ms : TIMER_NEVER;
}

void ike_keepalive(const struct ike_daemon *d, bool floated, bool behind_nat, const struct ike_endpoint *local,
		   const struct ike_endpoint *remote, uint64_t now, uint64_t *next_ms)
{
	uint64_t every = d->cfg->ike_keep_alive * 1000;
	if (now < ike_keepalive_due(d, floated, behind_nat, *next_ms))
		return;
	*next_ms = now + every;
	d->env.send_keepalive(d->env.ctx, local, remote);
}

/* When to send a request again after its n-th transmission (strongSwan's formula). */
uint64_t ike_retransmit_delay_ms(const struct ike_daemon *d, int n)
{
	double ms = d->cfg->ike_retransmit_timeout * 1000.0;
	for (int i = 0; i < n; i++)
		ms *= d->cfg->ike_retransmit_base;
	return (uint64_t)ms;
}

/* Sends a message, or the fragments ike_sk_finish made of it; keeps them in keep. */
static void send_kept(struct ike_sa *sa, const uint8_t **msg, size_t *len, struct ike_fragments *keep)
{
	ike_fragments_free(keep);
	if (sa->out_frags.n) {
		*keep = sa->out_frags; /* keep owns the fragments from here */
		sa->out_frags = (struct ike_fragments){ 0, NULL };
		*msg = keep->f[0].msg;
		*len = keep->f[0].len;
	}
	ike_send_kept(sa, *msg, *len, keep);
}

void ike_send_kept(struct ike_sa *sa, const uint8_t *msg, size_t len, const struct ike_fragments *frags)
{
	/* A response goes back where its request came from, from where it arrived (RFC 7296 2.11: a
	 * MOBIKE peer probing a new path before it moves the SA there, a peer with several addresses),
	 * wherever the SA itself stays. */
	bool back = frags == &sa->resp_frags;
	const struct ike_endpoint *l = back ? &sa->rx_local : &sa->local, *r = back ? &sa->rx_remote : &sa->remote;
	if (frags->n == 0) {
		send_to(sa, l, r, msg, len);
		return;
	}
	for (int i = 0; i < frags->n; i++)
		send_to(sa, l, r, frags->f[i].msg, frags->f[i].len);
}

void ike_send_request(struct ike_sa *sa, const uint8_t *msg, size_t len, uint8_t exchange)
{
	send_kept(sa, &msg, &len, &sa->req_frags);
	free(sa->req.msg);
	sa->req = (struct pending_request){ .msg = ike_copy_bytes(msg, len), .len = len, .msg_id = sa->next_out_id,
					    .exchange = exchange, .tries = 0,
					    .next_ms = ike_now(sa->d) + ike_retransmit_delay_ms(sa->d, 0) };
	sa->next_out_id++;
	ike_sa_wake(sa);
}

void ike_send_response(struct ike_sa *sa, const uint8_t *msg, size_t len, uint32_t msg_id)
{
	send_kept(sa, &msg, &len, &sa->resp_frags);
	free(sa->last_resp);
	sa->last_resp = ike_copy_bytes(msg, len);
	sa->last_resp_len = len;
	sa->last_resp_id = msg_id;
	sa->have_last_resp = sa->last_resp != NULL;
}
