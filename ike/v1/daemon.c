/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKEv1 daemon: finds the ISAKMP SA of a message by its cookies, spots retransmissions,
 * decrypts with the IV the exchange is at (RFC 2409 App. B), dispatches by exchange type,
 * and runs the timers: retransmission, Quick Mode timeouts, DPD, IPsec SA rekeying and
 * expiry, reauthentication of the ISAKMP SA, NAT keepalives. Commands come from ike/v2/daemon.c.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "dataplane/esp_algo.h"
#include "ike/conns.h"
#include "ike/identity.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "fragments.h"
#include "phase1.h"
#include "v1_sa.h"

#define HALF_OPEN_TIMEOUT_MS 30000
#define QUICK_LINGER_MS 30000
#define REAUTH_HANDOVER_MS 30000
/*
 * Our own reauthentication deletes the old ISAKMP SA this long after the new one is up, not at once:
 * strongSwan 5.9, as responder, adopts the IPsec SAs into its new ISAKMP SA only after answering
 * the last Main Mode message, and a Delete of the old one handled in between took them along.
 */
#define REAUTH_OWN_DELETE_MS 1000
#define DEFAULT_DPD_TIMEOUT_S 150

static uint64_t now_of(const struct v1_daemon *d)
{
	return d->env.now_ms(d->env.ctx);
}

struct v1_daemon *v1_create(const struct dpike_config *cfg, const struct ike_env *env, struct ike_daemon *v2)
{
	struct v1_daemon *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->env = *env;
	d->v2 = v2;
	return d;
}

static bool child_remove_from(struct v1_sa *holder, struct child_sa *c);

static void drop_phase1(struct v1_sa *sa)
{
	if (sa->p1 == NULL)
		return;
	free(sa->p1->sa_i_b);
	OPENSSL_cleanse(sa->p1, sizeof(*sa->p1));
	free(sa->p1);
	sa->p1 = NULL;
}

static void sa_free(struct v1_sa *sa)
{
	while (sa->children)
		child_remove_from(sa, sa->children);
	while (sa->quick)
		v1_quick_free(sa, sa->quick);
	v1_transactions_free(sa);
	v1_mode_config_release(sa);
	ke_free(sa->ke);
	drop_phase1(sa);
	free(sa->last_out);
	v1_defrag_free(&sa->defrag);
	ike_conn_put(sa->conn);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

static uint64_t own_cookie(const struct v1_sa *sa)
{
	return sa->initiator ? sa->cky_i : sa->cky_r;
}

static void count_half_open(struct v1_sa *sa, int by)
{
	struct v1_daemon *d = sa->d;
	d->half_open += (unsigned)by;
	sa->half_open = by > 0;
	u64map_count(&d->half_open_by_addr, sa->remote.addr, by);
}

bool v1_sa_link(struct v1_daemon *d, struct v1_sa *sa)
{
	sa->d = d;
	sa->p1 = calloc(1, sizeof(*sa->p1));
	if (sa->p1 == NULL || timer_heap_reserve(&d->timers, d->n_sas + 1) < 0 ||
	    u64map_put(&d->by_cookie, own_cookie(sa), sa) < 0 ||
	    (!sa->initiator && u64map_put(&d->responder_by_cky_i, sa->cky_i, sa) < 0)) {
		if (u64map_get(&d->by_cookie, own_cookie(sa)) == sa)
			u64map_del(&d->by_cookie, own_cookie(sa));
		free(sa->p1);
		sa->p1 = NULL;
		return false;
	}
	d->n_sas++;
	timer_entry_init(&sa->timer);
	sa->serial = ++d->serial;
	sa->next = d->sas;
	if (d->sas)
		d->sas->prev = sa;
	d->sas = sa;
	if (!sa->initiator)
		count_half_open(sa, +1);
	return true;
}

/* FNV-1a over what makes two ISAKMP SAs the same peer's (v1_same_peer()). */
static uint64_t peer_key_of(const struct v1_sa *sa)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uintptr_t conn = (uintptr_t)sa->conn;
	for (size_t i = 0; i < sizeof(conn); i++)
		h = (h ^ (uint8_t)(conn >> (8 * i))) * 0x100000001b3ULL;
	for (int i = 0; i < 4; i++)
		h = (h ^ (uint8_t)(sa->remote.addr >> (8 * i))) * 0x100000001b3ULL;
	return identity_pair_hash(h, &sa->id_remote, &sa->id_local);
}

/* The identities alone: a peer that restarted may come back from another address (a new DHCP lease). */
static uint64_t contact_key_of(const struct v1_sa *sa)
{
	return identity_pair_hash(0xcbf29ce484222325ULL, &sa->id_remote, &sa->id_local);
}

static void peer_leave(struct v1_sa *sa)
{
	u64map_link_leave(&sa->d->peers, &sa->peer);
	u64map_link_leave(&sa->d->contacts, &sa->contact);
}

/*
 * Without memory the SA is only missing from its peer's lists: a reauthentication would not adopt
 * its children, an INITIAL-CONTACT would not find it.
 */
static void peer_join(struct v1_sa *sa)
{
	u64map_link_join(&sa->d->peers, &sa->peer, peer_key_of(sa));
	if (!sa->contact.in)
		u64map_link_join(&sa->d->contacts, &sa->contact, contact_key_of(sa));
}

static struct v1_sa *of_peer_link(const struct u64map_link *l)
{
	return l ? (struct v1_sa *)((const char *)l - offsetof(struct v1_sa, peer)) : NULL;
}

struct v1_sa *v1_peer_first(const struct v1_sa *sa)
{
	return of_peer_link(u64map_get(&sa->d->peers, sa->peer.in ? sa->peer.key : peer_key_of(sa)));
}

struct v1_sa *v1_peer_next(const struct v1_sa *sa)
{
	return of_peer_link(sa->peer.next);
}

static void unlink_sa(struct v1_sa *sa)
{
	struct v1_daemon *d = sa->d;
	peer_leave(sa);
	if (u64map_get(&d->by_cookie, own_cookie(sa)) == sa)
		u64map_del(&d->by_cookie, own_cookie(sa));
	if (u64map_get(&d->responder_by_cky_i, sa->cky_i) == sa)
		u64map_del(&d->responder_by_cky_i, sa->cky_i);
	timer_heap_set(&d->timers, &sa->timer, TIMER_NEVER);
	if (sa->prev)
		sa->prev->next = sa->next;
	else
		d->sas = sa->next;
	if (sa->next)
		sa->next->prev = sa->prev;
	d->n_sas--;
}

/* Frees the SAs that died since the last call: a cost per dead SA, not per SA. */
static void reap(struct v1_daemon *d)
{
	while (d->dead) {
		struct v1_sa *sa = d->dead;
		d->dead = sa->next_dead;
		unlink_sa(sa);
		sa_free(sa);
	}
}

void v1_destroy(struct v1_daemon *d)
{
	if (d == NULL)
		return;
	for (struct v1_sa *sa = d->sas; sa; sa = sa->next)
		v1_set_state(sa, V1_DEAD);
	reap(d);
	u64map_free(&d->by_cookie);
	u64map_free(&d->responder_by_cky_i);
	u64map_free(&d->half_open_by_addr);
	u64map_free(&d->child_holder);
	u64map_free(&d->peers);
	u64map_free(&d->contacts);
	timer_heap_free(&d->timers);
	for (int i = 0; i < V1_FIRST_DEFRAG_SLOTS; i++)
		v1_defrag_free(&d->first_defrag[i].defrag);
	free(d);
}

const char *v1_state_name(enum v1_state s)
{
	static const char *const names[] = {
		[V1_MM_I1] = "MM_I1", [V1_MM_I3] = "MM_I3", [V1_MM_I5] = "MM_I5", [V1_MM_R2] = "MM_R2",
		[V1_MM_R4] = "MM_R4", [V1_AM_I1] = "AM_I1", [V1_AM_R2] = "AM_R2", [V1_ESTABLISHED] = "ESTABLISHED",
		[V1_DEAD] = "DEAD",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "?";
}

/* As IKEv2 tells env.ike_event: an SA coming up, one of ours dying before it did, one that was up going. */
static void report_event(const struct v1_sa *sa, enum v1_state to)
{
	const struct ike_env *env = &sa->d->env;
	bool keying = sa->initiator && sa->state != V1_ESTABLISHED;
	if (env->ike_event == NULL)
		return;
	if (to == V1_ESTABLISHED)
		env->ike_event(env->ctx, sa->serial, true, IKE_FAIL_NONE);
	else if (to == V1_DEAD && keying)
		env->ike_event(env->ctx, sa->serial, false, sa->fail != IKE_FAIL_NONE ? sa->fail : IKE_FAIL_OTHER);
	else if (to == V1_DEAD && sa->state == V1_ESTABLISHED && !sa->superseded)
		env->ike_event(env->ctx, sa->serial, false, sa->fail);
}

void v1_set_state(struct v1_sa *sa, enum v1_state to)
{
	if (sa->state == to)
		return;
	LOG_DEBUG("%s: ISAKMP SA #%u %s -> %s", sa->conn->name, sa->serial, v1_state_name(sa->state), v1_state_name(to));
	report_event(sa, to);
	sa->state = to;
	if (sa->half_open && (to == V1_ESTABLISHED || to == V1_DEAD))
		count_half_open(sa, -1);
	if (to == V1_ESTABLISHED) /* a hundred thousand ISAKMP SAs need not keep 3 KB of it each */
		drop_phase1(sa);
	if (to == V1_DEAD) {
		sa->next_dead = sa->d->dead;
		sa->d->dead = sa;
		timer_heap_set(&sa->d->timers, &sa->timer, TIMER_NEVER);
	}
	v1_sa_wake(sa);
}

void v1_keep_copy(uint8_t **slot, size_t *slot_len, const uint8_t *msg, size_t len)
{
	free(*slot);
	*slot = ike_copy_bytes(msg, len);
	*slot_len = *slot ? len : 0;
}

static void send_fragment(void *ctx, const uint8_t *frag, size_t len)
{
	struct v1_sa *sa = ctx;
	sa->d->env.send(sa->d->env.ctx, &sa->local, &sa->remote, frag, len);
}

/* ISAKMP bytes that fit ike.fragment_size with the IP and UDP headers and the non-ESP marker. */
static size_t fragment_room(const struct v1_sa *sa)
{
	size_t headers = IP_UDP_LEN + (sa->local.port == IKE_NATT_PORT ? NON_ESP_MARKER : 0);
	return sa->d->cfg->ike_fragment_size > headers ? sa->d->cfg->ike_fragment_size - headers : 0;
}

/* swanctl's fragmentation: to a peer that announced it, or to any with "force". */
static bool sends_fragments(const struct v1_sa *sa)
{
	enum cfg_fragmentation f = sa->conn->fragmentation;
	return f == CFG_FRAG_FORCE || (sa->frag && f == CFG_FRAG_YES);
}

void v1_send(struct v1_sa *sa, const uint8_t *msg, size_t len, bool remember)
{
	struct v1_daemon *d = sa->d;
	d->stats.tx++;
	if (sends_fragments(sa) && v1_fragment_send(msg, len, fragment_room(sa), ++sa->frag_id, send_fragment, sa))
		d->stats.sent_in_fragments++;
	else
		d->env.send(d->env.ctx, &sa->local, &sa->remote, msg, len);
	if (!remember)
		return;
	v1_keep_copy(&sa->last_out, &sa->last_out_len, msg, len);
	sa->tries = 0;
	sa->next_ms = now_of(d) + ike_retransmit_delay_ms(d->v2, 0);
	v1_sa_wake(sa);
}

/* Unlinks c from holder's list, if it is there, and removes it from the dataplane. */
static bool child_remove_from(struct v1_sa *holder, struct child_sa *c)
{
	for (struct child_sa **pp = &holder->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			if (u64map_get(&holder->d->child_holder, c->spi_in) == holder)
				u64map_del(&holder->d->child_holder, c->spi_in);
			if (c->handle)
				holder->d->env.remove_child(holder->d->env.ctx, c->handle);
			LOG_INFO("%s/%s: IPsec SA 0x%08x/0x%08x removed", holder->conn->name, c->cfg->name, c->spi_in,
				 c->spi_out);
			child_release_spi(holder->d->v2, c->spi_in);
			child_free(c);
			return true;
		}
	return false;
}

void v1_child_held(struct v1_sa *holder, struct child_sa *c)
{
	/* without memory the child is only harder to find: by_spi lookups miss it, its own SA's walk does not */
	u64map_put(&holder->d->child_holder, c->spi_in, holder);
	v1_sa_wake(holder);
}

void v1_wake_holder(struct v1_daemon *d, const struct child_sa *c)
{
	struct v1_sa *holder = u64map_get(&d->child_holder, c->spi_in);
	if (holder)
		v1_sa_wake(holder);
}

void v1_child_destroy(struct v1_sa *sa, struct child_sa *c)
{
	struct v1_sa *holder = u64map_get(&sa->d->child_holder, c->spi_in);
	if (!child_remove_from(sa, c) && holder)
		child_remove_from(holder, c);
}

struct child_sa *v1_child_by_spi(struct v1_daemon *d, uint32_t spi_in, struct v1_sa **holder)
{
	struct v1_sa *sa = spi_in ? u64map_get(&d->child_holder, spi_in) : NULL;
	for (struct child_sa *c = sa ? sa->children : NULL; c; c = c->next)
		if (c->spi_in == spi_in) {
			if (holder)
				*holder = sa;
			return c;
		}
	return NULL;
}

/* ---- input ---- */

static void note_invalid(struct v1_daemon *d, const struct ike_endpoint *from, const char *why)
{
	d->stats.rx_invalid++;
	ike_note_invalid(d->v2, from, why);
}

/* Ours by our cookie: SPIr as responder, SPIi as initiator (which learns SPIr from the first answer). */
struct v1_sa *v1_sa_find(struct v1_daemon *d, const struct isakmp_header *h)
{
	struct v1_sa *sa = h->cky_r ? u64map_get(&d->by_cookie, h->cky_r) : NULL;
	if (sa && !sa->initiator && sa->cky_i == h->cky_i && sa->state != V1_DEAD)
		return sa;
	sa = u64map_get(&d->by_cookie, h->cky_i);
	if (sa && sa->initiator && sa->state != V1_DEAD && (sa->cky_r == h->cky_r || sa->cky_r == 0))
		return sa;
	sa = h->cky_r == 0 ? u64map_get(&d->responder_by_cky_i, h->cky_i) : NULL; /* a repeated first message */
	return sa && sa->state != V1_DEAD ? sa : NULL;
}

static struct v1_quick *find_quick(struct v1_sa *sa, uint32_t msg_id)
{
	for (struct v1_quick *q = sa->quick; q; q = q->next)
		if (q->msg_id == msg_id)
			return q;
	return NULL;
}

/* A message we have seen already gets our answer to it again, and nothing else. */
static bool answered_before(struct v1_sa *sa, const struct isakmp_header *h, const uint8_t digest[32])
{
	const uint8_t *out = NULL;
	size_t out_len = 0;
	if (h->exchange == XCHG_QUICK) {
		struct v1_quick *q = find_quick(sa, h->msg_id);
		if (q == NULL || CRYPTO_memcmp(q->in_digest, digest, 32) != 0)
			return false;
		out = q->last, out_len = q->last_len;
	} else if (h->exchange == XCHG_TRANSACTION) {
		struct v1_transaction *x = v1_transaction_of(sa, h->msg_id);
		if (x == NULL || CRYPTO_memcmp(x->in_digest, digest, 32) != 0)
			return false;
		if (!x->initiator) /* a repeat of the request: our answer again; of an answer: nothing to do */
			out = x->last, out_len = x->last_len;
	} else if (h->exchange == XCHG_MAIN || h->exchange == XCHG_AGGRESSIVE) {
		if (CRYPTO_memcmp(sa->last_in_hash, digest, 32) != 0)
			return false;
		out = sa->last_out, out_len = sa->last_out_len;
	} else {
		return false;
	}
	if (out) {
		sa->d->stats.retransmits_answered++;
		v1_send(sa, out, out_len, false);
	}
	return true;
}

static bool decrypt(struct v1_sa *sa, const struct isakmp_header *h, uint8_t *buf, size_t len)
{
	uint8_t iv[16];
	struct v1_quick *q;
	struct v1_transaction *x;
	if (!sa->keyed)
		return false;
	switch (h->exchange) {
	case XCHG_MAIN:
	case XCHG_AGGRESSIVE:
		return v1_decrypt(sa, buf, len, sa->iv);
	case XCHG_TRANSACTION:
		if ((x = v1_transaction_of(sa, h->msg_id)) != NULL)
			return v1_decrypt(sa, buf, len, x->iv);
		v1_phase2_iv(sa, h->msg_id, iv);
		return v1_decrypt(sa, buf, len, iv);
	case XCHG_QUICK:
		if ((q = find_quick(sa, h->msg_id)) != NULL)
			return v1_decrypt(sa, buf, len, q->iv);
		/* a new exchange starts from its own IV, as an Informational does */
		/* fall through */
	case XCHG_INFO:
		v1_phase2_iv(sa, h->msg_id, iv);
		return v1_decrypt(sa, buf, len, iv);
	default:
		return false;
	}
}

/* Which messages must come encrypted: all once phase 1 has its keys, except Aggressive Mode's third. */
static bool must_be_encrypted(const struct v1_sa *sa, const struct isakmp_header *h)
{
	if (h->exchange == XCHG_QUICK || h->exchange == XCHG_TRANSACTION)
		return true;
	if (h->exchange == XCHG_INFO)
		return sa->keyed;
	return h->exchange == XCHG_MAIN && (sa->state == V1_MM_R4 || sa->state == V1_MM_I5 || sa->state == V1_ESTABLISHED);
}

/* The ISAKMP SA's peer is now at to (a NAT rebound it): the IPsec SAs it holds send there too. */
static void move_peer(struct v1_sa *sa, const struct ike_endpoint *to, const char *why)
{
	bool new_addr = sa->remote.addr != to->addr;
	sa->remote = *to;
	if (new_addr && sa->peer.in)
		peer_join(sa); /* its peer is known by its address too */
	if (sa->state != V1_ESTABLISHED)
		return;
	ike_children_follow_peer(&sa->d->env, sa->conn->name, sa->children, to, why);
}

static void update_endpoints(struct v1_sa *sa, const struct ike_endpoint *local, const struct ike_endpoint *remote)
{
	if (local->port == IKE_NATT_PORT && !sa->floated)
		sa->floated = true;
	if (sa->floated && (sa->remote.port != remote->port || sa->remote.addr != remote->addr)) {
		sa->local = *local;
		move_peer(sa, remote, "ISAKMP from there: a NAT rebound it");
	}
}

/* An unencrypted notification during phase 1, such as NO-PROPOSAL-CHOSEN: the attempt is over. */
static void plain_notify(struct v1_sa *sa, const struct isakmp_message *m)
{
	const struct ike_payload *n = isakmp_find(m, ISA_N);
	if (n == NULL || n->len < 8 || sa->state == V1_ESTABLISHED)
		return;
	uint16_t type = (uint16_t)(n->body[6] << 8 | n->body[7]);
	if (type >= 16384)
		return;
	LOG_WARN("%s: peer refused IKEv1 phase 1 (notify %u)", sa->conn->name, type);
	if (type == V1N_NO_PROPOSAL_CHOSEN)
		sa->d->stats.no_proposal++;
	sa->fail = type == V1N_NO_PROPOSAL_CHOSEN ? IKE_FAIL_NO_PROPOSAL
		 : type == V1N_AUTHENTICATION_FAILED ? IKE_FAIL_AUTH_REFUSED
						     : IKE_FAIL_INIT_REFUSED;
	v1_set_state(sa, V1_DEAD);
}

static void on_established(struct v1_sa *sa);

static bool has_initial_contact(const struct isakmp_message *m)
{
	for (int i = 0; i < m->n; i++)
		if (m->pl[i].type == ISA_N && m->pl[i].len >= 8 &&
		    (m->pl[i].body[6] << 8 | m->pl[i].body[7]) == V1N_INITIAL_CONTACT)
			return true;
	return false;
}

static struct v1_sa *of_contact_link(const struct u64map_link *l)
{
	return l ? (struct v1_sa *)((const char *)l - offsetof(struct v1_sa, contact)) : NULL;
}

struct v1_sa *v1_contact_first(const struct v1_sa *sa)
{
	return of_contact_link(u64map_get(&sa->d->contacts, contact_key_of(sa)));
}

struct v1_sa *v1_contact_next(const struct v1_sa *sa)
{
	return of_contact_link(sa->contact.next);
}

static void dispatch(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, size_t len, bool enc)
{
	bool phase1 = sa->state != V1_ESTABLISHED;
	switch (m->hdr.exchange) {
	case XCHG_MAIN:
		if (phase1 && !sa->aggressive)
			v1_main_process(sa, m, raw, len);
		break;
	case XCHG_AGGRESSIVE:
		if (phase1 && sa->aggressive)
			v1_aggressive_process(sa, m);
		break;
	case XCHG_QUICK:
		if (!phase1)
			v1_quick_process(sa, m, raw, len);
		break;
	case XCHG_TRANSACTION:
		if (!phase1)
			v1_transaction_process(sa, m, raw);
		break;
	case XCHG_INFO:
		if (enc)
			v1_info_process(sa, m, raw, len);
		else
			plain_notify(sa, m);
		break;
	default:
		note_invalid(sa->d, &sa->remote, "unknown ISAKMP exchange type");
	}
	if (phase1 && sa->state == V1_ESTABLISHED && v1_unique_established(sa, has_initial_contact(m)))
		on_established(sa);
}

static void remember_digest(struct v1_sa *sa, const struct isakmp_header *h, const uint8_t digest[32])
{
	if (h->exchange == XCHG_MAIN || h->exchange == XCHG_AGGRESSIVE) {
		memcpy(sa->last_in_hash, digest, 32);
	} else if (h->exchange == XCHG_QUICK) {
		struct v1_quick *q = find_quick(sa, h->msg_id);
		if (q)
			memcpy(q->in_digest, digest, 32);
	} else if (h->exchange == XCHG_TRANSACTION) {
		struct v1_transaction *x = v1_transaction_of(sa, h->msg_id);
		if (x)
			memcpy(x->in_digest, digest, 32);
	}
}

/* The same caps on half-open SAs as IKEv2's (ike.half_open_max, ike.half_open_per_peer). */
static bool half_open_allowed(const struct v1_daemon *d, const struct ike_endpoint *remote)
{
	unsigned all = d->half_open, peer = (unsigned)(uintptr_t)u64map_get(&d->half_open_by_addr, remote->addr);
	return (!d->cfg->ike_half_open_max || all < d->cfg->ike_half_open_max) &&
	       (!d->cfg->ike_half_open_per_peer || peer < d->cfg->ike_half_open_per_peer);
}

static void new_responder(struct v1_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
			  struct isakmp_message *m, uint8_t *buf, size_t len, const uint8_t digest[32])
{
	bool phase1 = m->hdr.exchange == XCHG_MAIN || m->hdr.exchange == XCHG_AGGRESSIVE;
	if (!phase1 || m->hdr.cky_r != 0 || m->hdr.msg_id != 0 || (m->hdr.flags & ISAKMP_FLAG_ENCRYPTION)) {
		note_invalid(d, remote, "IKEv1 message for no ISAKMP SA of ours");
		return;
	}
	if (isakmp_parse_chain(m, m->hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN) != IKE_PARSE_OK) {
		note_invalid(d, remote, "malformed ISAKMP payload chain");
		return;
	}
	if (!half_open_allowed(d, remote)) {
		d->stats.half_open_dropped++;
		return;
	}
	struct v1_sa *before = d->sas;
	v1_main_respond(d, local, remote, m, buf, len);
	if (d->sas != before && d->sas->state != V1_DEAD) {
		memcpy(d->sas->last_in_hash, digest, 32);
		v1_sa_wake(d->sas);
	}
	reap(d);
}

/* The slot for the pieces of a first message from remote with cookie cky_i: its own, or a free
 * one, or the one used longest ago. */
static struct v1_defrag **first_defrag_slot(struct v1_daemon *d, const struct ike_endpoint *remote, uint64_t cky_i)
{
	struct v1_first_defrag *pick = &d->first_defrag[0];
	for (int i = 0; i < V1_FIRST_DEFRAG_SLOTS; i++) {
		struct v1_first_defrag *f = &d->first_defrag[i];
		if (f->defrag && f->cky_i == cky_i && f->remote.addr == remote->addr && f->remote.port == remote->port) {
			pick = f;
			break;
		}
		if (pick->defrag && (f->defrag == NULL || f->used < pick->used))
			pick = f;
	}
	if (pick->defrag && (pick->cky_i != cky_i || pick->remote.addr != remote->addr || pick->remote.port != remote->port))
		v1_defrag_free(&pick->defrag);
	pick->cky_i = cky_i;
	pick->remote = *remote;
	pick->used = ++d->first_defrag_clock;
	return &pick->defrag;
}

/* A piece of a message sent in fragments: the whole, once in, goes through v1_input(). Pieces
 * are kept by their ISAKMP SA, or, for the first message of an exchange, in a few slots. */
static void fragment_input(struct v1_daemon *d, struct v1_sa *sa, const struct isakmp_header *h,
			   const struct ike_endpoint *local, const struct ike_endpoint *remote, const uint8_t *raw,
			   size_t len)
{
	uint8_t *whole;
	size_t whole_len;
	if (sa == NULL && h->cky_r != 0) {
		note_invalid(d, remote, "IKEv1 fragment for no ISAKMP SA of ours");
		return;
	}
	d->stats.fragments_received++;
	struct v1_defrag **slot = sa ? &sa->defrag : first_defrag_slot(d, remote, h->cky_i);
	int r = v1_defrag_add(slot, raw, len, IKE_MAX_MSG, &whole, &whole_len);
	if (r < 0) {
		note_invalid(d, remote, "malformed IKEv1 fragment");
		return;
	}
	if (r == 0)
		return;
	d->stats.reassembled++;
	if (whole_len >= IKE_HDR_LEN && whole[16] != ISA_FRAGMENT) /* no fragments within fragments */
		v1_input(d, local, remote, whole, whole_len);
	else
		note_invalid(d, remote, "IKEv1 fragments that make no message");
	free(whole);
}

void v1_input(struct v1_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
	      const uint8_t *raw, size_t len)
{
	static uint8_t buf[IKE_MAX_MSG];
	static struct isakmp_message m;
	uint8_t digest[32];
	memset(&m, 0, sizeof(m));
	d->stats.rx++;
	if (len > sizeof(buf) || isakmp_parse_header(raw, len, &m.hdr) != IKE_PARSE_OK) {
		note_invalid(d, remote, "malformed ISAKMP header");
		return;
	}
	len = m.hdr.length;
	memcpy(buf, raw, len);
	if (EVP_Digest(raw, len, digest, NULL, EVP_sha256(), NULL) != 1)
		return;
	struct v1_sa *sa = v1_sa_find(d, &m.hdr);
	if (sa && sa->ke_pending) {
		v1_flush(d); /* its keys and our answer first, whatever this is (a repeat is then answered) */
		if ((sa = v1_sa_find(d, &m.hdr)) == NULL)
			return; /* refused meanwhile */
	}
	if (m.hdr.next == ISA_FRAGMENT) {
		fragment_input(d, sa, &m.hdr, local, remote, raw, len);
		return;
	}
	if (sa == NULL) {
		new_responder(d, local, remote, &m, buf, len, digest);
		return;
	}
	if (answered_before(sa, &m.hdr, digest))
		return;
	bool enc = m.hdr.flags & ISAKMP_FLAG_ENCRYPTION;
	if (enc ? !decrypt(sa, &m.hdr, buf, len) : must_be_encrypted(sa, &m.hdr)) {
		note_invalid(d, remote, enc ? "cannot decrypt ISAKMP message" : "unencrypted message where keys exist");
		return;
	}
	if (isakmp_parse_chain(&m, m.hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN) != IKE_PARSE_OK) {
		note_invalid(d, remote, "malformed ISAKMP payload chain");
		return;
	}
	/*
	 * Before authentication, phase 1 follows the peer to UDP 4500. Once established, only a
	 * message whose HASH verified may move the endpoints (RFC 3947 5) or count as a sign of life.
	 */
	bool established = sa->state == V1_ESTABLISHED;
	if (!established) {
		update_endpoints(sa, local, remote);
		sa->last_rx_ms = now_of(d);
	}
	sa->rx_authentic = false;
	dispatch(sa, &m, raw, len, enc);
	if (established && sa->rx_authentic && sa->state != V1_DEAD) {
		update_endpoints(sa, local, remote);
		sa->last_rx_ms = now_of(d);
	}
	if (sa->state != V1_DEAD)
		remember_digest(sa, &m.hdr, digest);
	v1_sa_wake(sa);
	reap(d);
}

/* ---- establishment and reauthentication ---- */

/*
 * IPsec SAs outlive the ISAKMP SA that made them (RFC 2408 4.6.3 ties neither to the other):
 * a new ISAKMP SA with the same peer and identities, made by either side to reauthenticate,
 * adopts the IPsec SAs of the old one, as strongSwan does. The old ISAKMP SA is deleted by
 * whoever started the reauthentication (we, REAUTH_OWN_DELETE_MS later); we delete it too when the
 * peer leaves it behind.
 */
static void adopt_children(struct v1_sa *sa, struct v1_sa *old)
{
	while (old->children) {
		struct child_sa *c = old->children;
		old->children = c->next;
		c->next = sa->children;
		sa->children = c;
		v1_child_held(sa, c);
	}
	v1_mode_config_adopt(sa, old);
	old->superseded = true;
	old->superseded_ms = now_of(sa->d);
	old->handover_ms = old->serial == sa->reauth_of ? REAUTH_OWN_DELETE_MS : REAUTH_HANDOVER_MS;
	v1_sa_wake(old);
	LOG_INFO("%s: ISAKMP SA #%u takes over the IPsec SAs of #%u", sa->conn->name, sa->serial, old->serial);
}

bool v1_first_with_peer(const struct v1_sa *sa)
{
	if (sa->id_local_given)
		return false; /* dpike-load's: one of many, whatever the identity */
	for (const struct v1_sa *o = sa->d->sas; o; o = o->next)
		if (o != sa && o->state != V1_DEAD && o->conn == sa->conn && identity_equal(&o->id_local, &sa->id_local))
			return false;
	return true;
}

bool v1_same_peer(const struct v1_sa *a, const struct v1_sa *b)
{
	return a->conn == b->conn && a->remote.addr == b->remote.addr &&
	       identity_pair_equal(&a->id_remote, &a->id_local, &b->id_remote, &b->id_local);
}

static void on_established(struct v1_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	sa->expire_ms = ike_schedule_at(c->reauth_time ? c->reauth_time : c->rekey_time, c->rand_time,
					sa->established_ms);
	if (!sa->initiator)
		v1_server_after_phase1(sa);
	v1_sa_wake(sa);
	peer_join(sa);
	for (struct v1_sa *old = v1_peer_first(sa), *next; old; old = next) {
		next = v1_peer_next(old); /* a deleted old SA stays listed until it is reaped */
		if (old == sa || old->state != V1_ESTABLISHED || old->superseded || !v1_same_peer(sa, old))
			continue;
		adopt_children(sa, old);
	}
}

/* A new initiator SA of c, from local (the connection's own address when NULL); not started yet. */
static struct v1_sa *new_initiator(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child,
				   const struct ike_endpoint *from)
{
	struct ike_endpoint local, remote;
	if (c->version == 2 || !ike_conn_endpoints(d->cfg, c, &local, &remote))
		return NULL;
	struct v1_sa *sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return NULL;
	ike_conn_set(&sa->conn, c);
	sa->local = from ? *from : local;
	sa->remote = remote;
	sa->initiator = true;
	sa->aggressive = c->aggressive;
	while (sa->cky_i == 0)
		ike_random((uint8_t *)&sa->cky_i, sizeof(sa->cky_i));
	sa->created_ms = sa->last_rx_ms = now_of(d);
	sa->child_cfg = child;
	if (!v1_sa_link(d, sa)) {
		ike_conn_put(sa->conn);
		free(sa);
		return NULL;
	}
	return sa;
}

static void start_phase1(struct v1_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	if (c->aggressive) {
		LOG_WARN("%s: IKEv1 Aggressive Mode with a PSK: the PSK hash is exposed to offline guessing", c->name);
		v1_aggressive_start(sa);
	} else {
		v1_main_start(sa);
	}
}

static struct v1_sa *initiate(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child)
{
	struct v1_sa *sa = new_initiator(d, c, child, NULL);
	if (sa)
		start_phase1(sa);
	return sa;
}

uint32_t v1_initiate_as(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child,
			const struct ike_endpoint *local, const struct ike_id *local_id,
			const struct traffic_selector *local_ts)
{
	struct v1_sa *sa = new_initiator(d, c, child, local);
	if (sa == NULL)
		return 0;
	sa->id_local = *local_id;
	sa->id_local_given = true;
	if (local_ts) {
		sa->local_ts = *local_ts;
		sa->local_ts_given = true;
	}
	uint32_t serial = sa->serial;
	start_phase1(sa); /* may fail at once: the serial is still the one the event names */
	return serial;
}

static void start_reauth(struct v1_sa *sa)
{
	sa->expire_ms = 0;
	struct v1_sa *n = initiate(sa->d, sa->conn, NULL);
	if (n)
		n->reauth_of = sa->serial;
	else
		LOG_WARN("%s: cannot reauthenticate ISAKMP SA #%u (no remote address to initiate to)", sa->conn->name,
			 sa->serial);
}

void v1_sa_delete(struct v1_sa *sa)
{
	uint32_t spis[16];
	int n = 0;
	for (struct child_sa *c = sa->children; c && n < 16; c = c->next)
		spis[n++] = c->spi_in;
	if (n)
		v1_send_delete(sa, PROTO_ESP, spis, n);
	while (sa->children)
		v1_child_destroy(sa, sa->children);
	v1_send_delete(sa, PROTO_IKE, NULL, 0);
	v1_set_state(sa, V1_DEAD);
}

/* ---- timers ---- */

static void give_up(struct v1_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	unsigned next_try = sa->keying_try + 1;
	bool again = sa->initiator && (c->keyingtries == 0 || next_try < (unsigned)c->keyingtries);
	LOG_WARN("%s: IKEv1 phase 1 got no answer in %s", c->name, v1_state_name(sa->state));
	sa->fail = IKE_FAIL_TIMEOUT;
	v1_set_state(sa, V1_DEAD);
	if (!again)
		return;
	struct v1_sa *n = c->dropped && !sa->reauth_of ? NULL : initiate(sa->d, c, sa->child_cfg);
	if (n) {
		n->keying_try = next_try;
		n->children_wanted = sa->children_wanted;
		n->reauth_of = sa->reauth_of;
	}
}

static void phase1_timers(struct v1_sa *sa, uint64_t now)
{
	struct v1_daemon *d = sa->d;
	if (!sa->initiator && now - sa->created_ms > HALF_OPEN_TIMEOUT_MS) {
		v1_set_state(sa, V1_DEAD);
		return;
	}
	if (sa->last_out == NULL || now < sa->next_ms)
		return;
	if ((unsigned)sa->tries >= d->cfg->ike_retransmit_tries) {
		give_up(sa);
		return;
	}
	sa->tries++;
	sa->next_ms = now + ike_retransmit_delay_ms(d->v2, sa->tries);
	d->stats.retransmits++;
	v1_send(sa, sa->last_out, sa->last_out_len, false);
}

static void quick_timeout(struct v1_sa *sa, struct v1_quick *q)
{
	LOG_WARN("%s%s%s: Quick Mode 0x%08x timed out", sa->conn->name, q->cfg ? "/" : "", q->cfg ? q->cfg->name : "",
		 q->msg_id);
	for (struct child_sa *c = sa->children; c && !q->initiator; c = c->next)
		if (c->spi_in == q->spi_in) { /* installed inbound only, never confirmed */
			v1_child_destroy(sa, c);
			break;
		}
	v1_quick_free(sa, q);
}

static void quick_timers(struct v1_sa *sa, uint64_t now)
{
	struct v1_daemon *d = sa->d;
	for (struct v1_quick *q = sa->quick, *next; q; q = next) {
		next = q->next;
		if (q->done) {
			if (q->switch_ms && now >= q->switch_ms)
				v1_quick_switch(sa, q);
			if (now >= q->next_ms)
				v1_quick_free(sa, q);
		} else if (now - q->started_ms > HALF_OPEN_TIMEOUT_MS ||
			   (q->last && now >= q->next_ms && (unsigned)q->tries >= d->cfg->ike_retransmit_tries)) {
			quick_timeout(sa, q);
		} else if (q->last && now >= q->next_ms) {
			q->tries++;
			q->next_ms = now + ike_retransmit_delay_ms(d->v2, q->tries);
			d->stats.retransmits++;
			v1_send(sa, q->last, q->last_len, false);
		}
	}
}

static void dpd_failed(struct v1_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	uint64_t restart = 0;
	for (struct child_sa *ch = sa->children; ch; ch = ch->next)
		if (ch->cfg->dpd_action == DPD_RESTART)
			restart |= ike_child_bit(c, ch->cfg);
	sa->d->stats.dpd_timeouts++;
	LOG_WARN("%s: peer is dead (DPD); %s", c->name, restart ? "restarting" : "clearing");
	while (sa->children)
		v1_child_destroy(sa, sa->children);
	sa->fail = IKE_FAIL_DPD;
	v1_set_state(sa, V1_DEAD);
	v1_start_children(sa->d, c, restart); /* not if load-conns let go of the connection */
}

/* RFC 3706: R-U-THERE after dpd_delay of silence, again every dpd_delay, dead after dpd_timeout. */
static void dpd_timers(struct v1_sa *sa, uint64_t now)
{
	uint64_t delay = sa->conn->dpd_delay * 1000;
	uint64_t timeout = (sa->conn->dpd_timeout ? sa->conn->dpd_timeout : DEFAULT_DPD_TIMEOUT_S) * 1000;
	if (delay == 0 || !sa->dpd)
		return;
	if (sa->dpd_pending && sa->last_rx_ms >= sa->dpd_sent_ms)
		sa->dpd_pending = 0;
	if (sa->dpd_pending && now - sa->dpd_sent_ms >= timeout) {
		dpd_failed(sa);
		return;
	}
	bool quiet = now - sa->last_rx_ms >= delay;
	if (!quiet || (sa->dpd_pending && now < sa->next_ms))
		return;
	if (!sa->dpd_pending) {
		sa->dpd_pending = 1;
		sa->dpd_sent_ms = now;
	}
	sa->next_ms = now + delay;
	v1_send_dpd(sa, V1N_DPD_R_U_THERE, ++sa->dpd_seq);
}

static bool quick_running(const struct v1_sa *sa, const struct cfg_child *cfg)
{
	for (const struct v1_quick *q = sa->quick; q; q = q->next)
		if (q->cfg == cfg && !q->done)
			return true;
	return false;
}

/* A Quick Mode, running or done, makes the successor of the child with this inbound SPI. */
static bool being_replaced(const struct v1_sa *sa, uint32_t spi_in)
{
	for (const struct v1_quick *q = sa->quick; q; q = q->next)
		if (q->replaces_spi == spi_in)
			return true;
	return false;
}

/* An idle IPsec SA goes, as IKEv2's (close_idle()); false when the ISAKMP SA went too. */
static bool close_idle(struct v1_sa *sa, struct child_sa *c)
{
	bool all = sa->initiator && !sa->children->next;
	LOG_INFO("%s/%s: IPsec SA 0x%08x carried nothing for %lu s (inactivity); closing %s", sa->conn->name,
		 c->cfg->name, c->spi_in, (unsigned long)c->cfg->inactivity, all ? "it with the ISAKMP SA" : "it");
	if (all) {
		v1_sa_delete(sa);
		return false;
	}
	uint32_t spi = c->spi_in;
	v1_send_delete(sa, PROTO_ESP, &spi, 1);
	v1_child_destroy(sa, c);
	return true;
}

static void child_timers(struct v1_sa *sa, uint64_t now)
{
	for (struct child_sa *c = sa->children, *next; c; c = next) {
		next = c->next;
		if (child_idle(&sa->d->env, c, now)) {
			if (!close_idle(sa, c))
				return;
		} else if (c->expire_ms && now >= c->expire_ms) {
			uint32_t spi = c->spi_in;
			LOG_INFO("%s/%s: IPsec SA 0x%08x %s; deleting", sa->conn->name, c->cfg->name, c->spi_in,
				 c->state == CHILD_REKEYED ? "was rekeyed" : "reached its life_time");
			v1_send_delete(sa, PROTO_ESP, &spi, 1);
			v1_child_destroy(sa, c);
		} else if (c->rekey_ms && now >= c->rekey_ms && !sa->superseded && !quick_running(sa, c->cfg)) {
			c->rekey_ms = 0;
			v1_quick_start(sa, c->cfg, c);
		}
	}
}

static void lifetime_timers(struct v1_sa *sa, uint64_t now)
{
	const struct cfg_connection *c = sa->conn;
	uint64_t interval = c->reauth_time ? c->reauth_time : c->rekey_time;
	if (sa->superseded) { /* reauthenticated: by us, or by the peer, who left the old ISAKMP SA to us */
		if (now - sa->superseded_ms >= sa->handover_ms) {
			LOG_INFO("%s: deleting the old ISAKMP SA #%u", c->name, sa->serial);
			v1_sa_delete(sa);
		}
		return;
	}
	if (sa->expire_ms && now >= sa->expire_ms)
		start_reauth(sa);
	if (interval && now >= sa->established_ms + (interval + c->over_time) * 1000) {
		LOG_INFO("%s: ISAKMP SA #%u reached its lifetime; deleting", c->name, sa->serial);
		v1_sa_delete(sa);
	}
}

static void keepalive_timer(struct v1_sa *sa, uint64_t now)
{
	ike_keepalive(sa->d->v2, sa->floated, sa->nat_local || sa->conn->encap, &sa->local, &sa->remote, now,
		      &sa->keepalive_ms);
}

static void run_timers(struct v1_sa *sa, uint64_t now)
{
	if (sa->state != V1_ESTABLISHED) {
		phase1_timers(sa, now);
		return;
	}
	quick_timers(sa, now);
	v1_transaction_timers(sa, now);
	child_timers(sa, now);
	dpd_timers(sa, now);
	if (sa->state == V1_ESTABLISHED)
		lifetime_timers(sa, now);
	keepalive_timer(sa, now);
}

static uint64_t if_set(uint64_t ms)
{
	return ms ? ms : TIMER_NEVER;
}

/* phase1_timers() */
static uint64_t phase1_due(const struct v1_sa *sa)
{
	uint64_t due = sa->last_out ? sa->next_ms : TIMER_NEVER;
	return sa->initiator ? due : timer_earliest(due, sa->created_ms + HALF_OPEN_TIMEOUT_MS + 1);
}

/* quick_timers() and child_timers() */
static uint64_t phase2_due(const struct v1_sa *sa)
{
	uint64_t due = TIMER_NEVER;
	for (const struct v1_quick *q = sa->quick; q; q = q->next) {
		if (q->done) {
			due = timer_earliest(timer_earliest(due, if_set(q->switch_ms)), q->next_ms);
			continue;
		}
		due = timer_earliest(due, q->started_ms + HALF_OPEN_TIMEOUT_MS + 1);
		if (q->last)
			due = timer_earliest(due, q->next_ms);
	}
	for (const struct child_sa *c = sa->children; c; c = c->next)
		due = timer_earliest(timer_earliest(due, if_set(c->expire_ms)),
				     timer_earliest(if_set(c->rekey_ms), child_idle_due(c)));
	return timer_earliest(due, v1_transaction_due(sa));
}

/* dpd_timers(): the timeout of a probe out, else the next probe once the peer has been quiet */
static uint64_t dpd_due(const struct v1_sa *sa)
{
	uint64_t delay = sa->conn->dpd_delay * 1000;
	uint64_t timeout = (sa->conn->dpd_timeout ? sa->conn->dpd_timeout : DEFAULT_DPD_TIMEOUT_S) * 1000;
	if (delay == 0 || !sa->dpd)
		return TIMER_NEVER;
	uint64_t quiet = sa->last_rx_ms + delay;
	if (!sa->dpd_pending || sa->last_rx_ms >= sa->dpd_sent_ms) /* answered: dpd_timers() clears it */
		return quiet;
	return timer_earliest(sa->dpd_sent_ms + timeout, quiet > sa->next_ms ? quiet : sa->next_ms);
}

/* lifetime_timers() and keepalive_timer() */
static uint64_t lifetime_due(const struct v1_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	uint64_t interval = c->reauth_time ? c->reauth_time : c->rekey_time;
	uint64_t due = ike_keepalive_due(sa->d->v2, sa->floated, sa->nat_local || c->encap, sa->keepalive_ms);
	if (sa->superseded)
		return timer_earliest(due, sa->superseded_ms + sa->handover_ms);
	due = timer_earliest(due, if_set(sa->expire_ms));
	return interval ? timer_earliest(due, sa->established_ms + (interval + c->over_time) * 1000) : due;
}

/* When run_timers() next has something to do for the SA, as each of its parts decides. */
static uint64_t next_due(const struct v1_sa *sa)
{
	if (sa->state == V1_DEAD)
		return TIMER_NEVER;
	if (sa->state != V1_ESTABLISHED)
		return phase1_due(sa);
	return timer_earliest(timer_earliest(phase2_due(sa), dpd_due(sa)), lifetime_due(sa));
}

void v1_sa_wake(struct v1_sa *sa)
{
	timer_heap_advance(&sa->d->timers, &sa->timer, next_due(sa)); /* room reserved by v1_sa_link() */
}

unsigned v1_timers_late(const struct v1_daemon *d)
{
	unsigned late = 0;
	for (const struct v1_sa *sa = d->sas; sa; sa = sa->next)
		late += sa->timer.due > next_due(sa);
	return late;
}

/* Visits the SAs with a timer due, not every SA (as ike_tick()). */
void v1_flush(struct v1_daemon *d)
{
	if (d->n_pending_ke == 0)
		return;
	v1_finish_key_exchanges(d);
	reap(d); /* not in there: a full batch is finished from within v1_input(), which holds an SA */
}

void v1_tick(struct v1_daemon *d)
{
	v1_flush(d);
	uint64_t now = now_of(d);
	struct timer_entry *e;
	while ((e = timer_heap_pop_due(&d->timers, now)) != NULL) {
		struct v1_sa *sa = (struct v1_sa *)((char *)e - offsetof(struct v1_sa, timer));
		run_timers(sa, now);
		timer_heap_requeue(&d->timers, &sa->timer, next_due(sa), now);
	}
	reap(d);
}

/* ---- commands ---- */

static struct v1_sa *established(struct v1_daemon *d, const struct cfg_connection *c)
{
	for (struct v1_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->state == V1_ESTABLISHED && !sa->superseded)
			return sa;
	return NULL;
}

/* What a command names: an SA of the connection by that name, also one that load-conns replaced. */
static struct v1_sa *established_named(struct v1_daemon *d, const char *name)
{
	for (struct v1_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->state == V1_ESTABLISHED && !sa->superseded && strcmp(sa->conn->name, name) == 0)
			return sa;
	return NULL;
}

static struct child_sa *child_named(const struct v1_sa *sa, const char *name)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (strcmp(c->cfg->name, name) == 0)
			return c;
	return NULL;
}

/* Our ISAKMP SA of c on its way up, or NULL. */
static struct v1_sa *connecting(struct v1_daemon *d, const struct cfg_connection *c)
{
	for (struct v1_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->initiator && sa->state != V1_ESTABLISHED && sa->state != V1_DEAD)
			return sa;
	return NULL;
}

struct child_sa *v1_child_of(const struct v1_sa *sa, const struct cfg_child *cfg)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->cfg == cfg)
			return c;
	return NULL;
}

bool v1_owns(struct v1_daemon *d, const struct cfg_connection *c)
{
	return c->version == 1 || established(d, c) != NULL;
}

int v1_initiate(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child, struct strbuf *err)
{
	struct v1_sa *up = established(d, c);
	const struct cfg_child *want = child ? child : c->n_children ? &c->children[0] : NULL;
	if (up && (want == NULL || v1_child_of(up, want) || quick_running(up, want))) {
		sb_printf(err, "'%s' is already up\n", c->name);
		return -1;
	}
	if (up) {
		v1_quick_start(up, want, NULL);
		return 0;
	}
	if (initiate(d, c, want) == NULL) {
		sb_printf(err, "cannot initiate '%s': it needs remote_addrs with one address\n", c->name);
		return -1;
	}
	return 0;
}

int v1_terminate(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child, struct strbuf *err)
{
	struct v1_sa *sa = established_named(d, c->name);
	struct child_sa *ch = sa && child ? child_named(sa, child->name) : NULL;
	if (sa == NULL || (child && ch == NULL)) {
		sb_printf(err, "'%s%s%s' is not established\n", c->name, child ? "/" : "", child ? child->name : "");
		return -1;
	}
	if (ch) {
		uint32_t spi = ch->spi_in;
		v1_send_delete(sa, PROTO_ESP, &spi, 1);
		v1_child_destroy(sa, ch);
	} else {
		v1_sa_delete(sa);
		reap(d);
	}
	return 0;
}

unsigned v1_delete_established(struct v1_daemon *d, const char *conn, unsigned max)
{
	unsigned n = 0;
	if (d == NULL)
		return 0;
	for (struct v1_sa *sa = d->sas; sa && n < max; sa = sa->next)
		if (sa->state == V1_ESTABLISHED && !sa->superseded && strcmp(sa->conn->name, conn) == 0) {
			v1_sa_delete(sa); /* listed until the reap below */
			n++;
		}
	reap(d);
	return n;
}

unsigned v1_close_conn(struct v1_daemon *d, const struct cfg_connection *c)
{
	unsigned n = 0;
	for (struct v1_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->state == V1_ESTABLISHED && !sa->superseded) {
			v1_sa_delete(sa); /* listed until the reap below */
			n++;
		}
	reap(d);
	return n;
}

uint32_t v1_sa_count(const struct v1_daemon *d)
{
	return d ? d->n_sas : 0;
}

int v1_rekey(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child, struct strbuf *err)
{
	struct v1_sa *sa = established_named(d, c->name);
	if (sa == NULL) {
		sb_printf(err, "'%s' is not established\n", c->name);
		return -1;
	}
	if (child == NULL) { /* IKEv1 renews an ISAKMP SA by reauthenticating */
		start_reauth(sa);
		return 0;
	}
	struct child_sa *ch = child_named(sa, child->name);
	if (ch == NULL || quick_running(sa, ch->cfg)) {
		sb_printf(err, ch ? "'%s/%s' has a Quick Mode in progress; try again\n" : "'%s/%s' is not installed\n",
			  c->name, child->name);
		return -1;
	}
	ch->rekey_ms = 0;
	v1_quick_start(sa, ch->cfg, ch);
	return 0;
}

void v1_start_wanted(struct v1_sa *sa)
{
	while (sa->children_wanted) {
		int i = __builtin_ctzll(sa->children_wanted);
		sa->children_wanted &= sa->children_wanted - 1;
		const struct cfg_child *ch = i < sa->conn->n_children ? &sa->conn->children[i] : NULL;
		if (ch && !v1_child_of(sa, ch) && !quick_running(sa, ch))
			v1_quick_start(sa, ch, NULL);
	}
}

void v1_start_children(struct v1_daemon *d, const struct cfg_connection *c, uint64_t bits)
{
	if (bits == 0 || c->dropped)
		return;
	struct v1_sa *sa = established(d, c);
	if (sa == NULL)
		sa = connecting(d, c);
	if (sa) {
		sa->children_wanted |= bits;
		if (sa->state == V1_ESTABLISHED && sa->setup == V1_SETUP_DONE)
			v1_start_wanted(sa);
		return;
	}
	struct v1_sa *n = initiate(d, c, &c->children[__builtin_ctzll(bits)]);
	if (n)
		n->children_wanted = bits & (bits - 1);
}

void v1_start_child(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child, const char *why)
{
	if (c->dropped) {
		LOG_INFO("%s/%s: %s; not started again: load-conns let go of the connection", c->name, child->name, why);
		return;
	}
	struct v1_sa *sa = established(d, c);
	if (sa == NULL) {
		if (!connecting(d, c)) {
			LOG_INFO("%s/%s: %s; initiating (IKEv1)", c->name, child->name, why);
			initiate(d, c, child);
		}
		return;
	}
	if (v1_child_of(sa, child) || quick_running(sa, child))
		return;
	LOG_INFO("%s/%s: %s; creating it (Quick Mode)", c->name, child->name, why);
	v1_quick_start(sa, child, NULL);
}

bool v1_child_expired(struct v1_daemon *d, uint32_t spi_in, bool hard)
{
	struct v1_sa *sa = u64map_get(&d->child_holder, spi_in);
	if (sa != NULL && sa->state == V1_ESTABLISHED)
		for (struct child_sa *c = sa->children; c; c = c->next) {
			if (c->spi_in != spi_in)
				continue;
			if (!hard) {
				if (c->state == CHILD_REKEYED || being_replaced(sa, c->spi_in))
					return true; /* its replacement is up or coming; it retires after the overlap */
				c->rekey_ms = now_of(d); /* on the next tick */
				v1_sa_wake(sa);
				return true;
			}
			LOG_INFO("%s/%s: IPsec SA reached its hard lifetime; deleting", sa->conn->name, c->cfg->name);
			uint32_t s = c->spi_in;
			v1_send_delete(sa, PROTO_ESP, &s, 1);
			v1_child_destroy(sa, c);
			return true;
		}
	return false;
}

void v1_peer_moved(struct v1_daemon *d, uint32_t spi_in, const struct ike_endpoint *to)
{
	struct v1_sa *sa = u64map_get(&d->child_holder, spi_in);
	if (sa != NULL && sa->state == V1_ESTABLISHED && (sa->remote.addr != to->addr || sa->remote.port != to->port))
		move_peer(sa, to, "ESP from there: a NAT rebound it");
}

static void list_sa(const struct v1_sa *sa, bool json, struct strbuf *o, uint64_t now)
{
	char l[24], r[24], lid[256], rid[256], vip[16] = "", own_vip[16] = "";
	if (sa->vip)
		format_ipv4(sa->vip, vip, sizeof(vip));
	if (sa->own_vip)
		format_ipv4(sa->own_vip, own_vip, sizeof(own_vip));
	format_ipv4(sa->local.addr, l, sizeof(l));
	format_ipv4(sa->remote.addr, r, sizeof(r));
	identity_to_string(&sa->id_local, lid, sizeof(lid));
	identity_to_string(&sa->id_remote, rid, sizeof(rid));
	long reauth = sa->expire_ms > now ? (long)((sa->expire_ms - now) / 1000) : 0;
	const char *mode = sa->aggressive ? "Aggressive" : "Main";
	const char *cipher = sa->encr == V1_ENCR_3DES ? "3DES_" : "AES_CBC_";
	if (json) {
		sb_printf(o,
			  "{\"name\":\"%s\",\"version\":1,\"serial\":%u,\"state\":\"%s\",\"initiator\":%s,\"mode\":\"%s\","
			  "\"spi_i\":\"%016lx\",\"spi_r\":\"%016lx\",\"local\":\"%s[%u]\",\"remote\":\"%s[%u]\","
			  "\"proposal\":\"%s%u/%s/group %u\",\"reauth_in_s\":%ld,\"dpd\":%s,\"nat\":%s,\"local_id\":",
			  sa->conn->name, sa->serial, v1_state_name(sa->state), sa->initiator ? "true" : "false", mode,
			  sa->cky_i, sa->cky_r, l, sa->local.port, r, sa->remote.port, cipher, sa->encr_bits,
			  sa->hlen == 20 ? "SHA1" : sa->hlen == 32 ? "SHA2_256" : sa->hlen == 48 ? "SHA2_384" : "SHA2_512",
			  sa->group, reauth, sa->dpd ? "true" : "false", sa->nat_local || sa->nat_remote ? "true" : "false");
		sb_json_str(o, lid);
		sb_printf(o, ",\"remote_id\":");
		sb_json_str(o, rid);
		ike_list_peer_cert(sa->peer_cert, true, o);
		sb_printf(o, ",\"remote_vip\":\"%s\",\"local_vip\":\"%s\",\"remote_xauth_id\":", vip, own_vip);
		sb_json_str(o, sa->xauth_user);
		sb_printf(o, ",\"children\":[");
		for (const struct child_sa *c = sa->children; c; c = c->next)
			ike_list_child(&sa->d->env, c, true, o, now);
		sb_trim_comma(o);
		sb_printf(o, "]},");
		return;
	}
	sb_printf(o, "%s: #%u, %s, IKEv1 %s Mode, %016lx_i%s %016lx_r%s\n  local '%s' @ %s[%u]\n"
		     "  remote '%s' @ %s[%u]%s\n  %s%u, group %u, reauth in %lds\n",
		  sa->conn->name, sa->serial, v1_state_name(sa->state), mode, sa->cky_i, sa->initiator ? "*" : "", sa->cky_r,
		  sa->initiator ? "" : "*", lid, l, sa->local.port, rid, r, sa->remote.port,
		  sa->nat_local || sa->nat_remote ? " (NAT)" : "", cipher, sa->encr_bits, sa->group, reauth);
	ike_list_peer_cert(sa->peer_cert, false, o);
	if (sa->xauth_user[0])
		sb_printf(o, "  remote XAuth user '%s'\n", sa->xauth_user);
	if (sa->vip)
		sb_printf(o, "  remote virtual IP %s\n", vip);
	if (sa->own_vip)
		sb_printf(o, "  local virtual IP %s\n", own_vip);
	for (const struct child_sa *c = sa->children; c; c = c->next)
		ike_list_child(&sa->d->env, c, false, o, now);
}

void v1_list(struct v1_daemon *d, bool json, struct strbuf *o)
{
	uint64_t now = now_of(d);
	for (const struct v1_sa *sa = d->sas; sa; sa = sa->next)
		list_sa(sa, json, o, now);
}

void v1_stats(const struct v1_daemon *d, bool json, struct strbuf *o)
{
	const struct v1_stats *s = &d->stats;
	unsigned n = 0;
	for (const struct v1_sa *sa = d->sas; sa; sa = sa->next)
		n += sa->state == V1_ESTABLISHED;
#define V1_FIELDS(X)                                                                                                 \
	X(rx) X(tx) X(rx_invalid) X(retransmits) X(retransmits_answered) X(auth_failures) X(no_proposal) X(established) \
	X(aggressive_refused) X(half_open_dropped) X(dpd_timeouts) X(ke_batched) X(ke_batches) X(fragments_received) \
	X(reassembled) X(sent_in_fragments)
	if (json) {
		sb_printf(o, "\"ikev1\":{\"sas_established\":%u,", n);
#define X(f) sb_printf(o, "\"%s\":%lu,", #f, s->f);
		V1_FIELDS(X)
#undef X
		sb_trim_comma(o);
		sb_printf(o, "}");
		return;
	}
	sb_printf(o, "ikev1:\n  %-24s %u\n", "sas_established", n);
#define X(f) sb_printf(o, "  %-24s %lu\n", #f, s->f);
	V1_FIELDS(X)
#undef X
}
