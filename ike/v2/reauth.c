/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reauthentication of an IKE SA (swanctl's reauth_time; RFC 7296 2.8.3, RFC 4478), made before
 * broken: a new IKE SA between the same ends authenticates afresh and brings up the old one's
 * children, each new child taking its predecessor's policies over in place (no gap, no updown
 * down/up); the old SA is deleted only then. A rekey keeps the time of the last authentication.
 *
 * Either end may reauthenticate, except that an original responder cannot where it gave the
 * peer a virtual IP or had it authenticate by EAP (roles that only the initiator's side of an
 * IKE_AUTH has): such an SA waits for the peer, which a responder tells its authentication's
 * lifetime (AUTH_LIFETIME), and ends at reauth_time + over_time if none comes. An initiator told
 * an AUTH_LIFETIME reauthenticates before it runs out, whatever its own reauth_time.
 */
#include <string.h>

#include "ike/conns.h"
#include "ike/identity.h"
#include "ike_sa.h"
#include "lib/log.h"
#include "lib/parse.h"

/* A failed attempt is made again this much later, until the authentication ends. */
#define REAUTH_RETRY_MS 10000
/* A peer's AUTH_LIFETIME brings reauthentication no sooner than this: a lifetime of 0 is no loop. */
#define REAUTH_SOONEST_MS 5000

void ike_reauth_schedule(struct ike_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	if (c->reauth_time == 0 || sa->id_local_given)
		return;
	sa->reauth_ms = ike_schedule_at(c->reauth_time, c->rand_time, sa->established_ms);
	sa->auth_end_ms = sa->established_ms + (c->reauth_time + c->over_time) * 1000;
}

/* Why this end cannot authenticate the peer as initiator of an IKE_AUTH; NULL when it can. */
static const char *peer_must_reauthenticate(const struct ike_sa *sa)
{
	if (sa->vip)
		return "it has a virtual IP of ours";
	if (sa->conn->remote.auth == AUTH_EAP)
		return "it authenticates by EAP";
	return NULL;
}

/* The children to bring over: those of sa installed or on their way, and those it still wants. */
static uint64_t children_to_move(const struct ike_sa *sa)
{
	uint64_t bits = sa->children_wanted;
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (c->state == CHILD_INSTALLED || c->state == CHILD_REKEYING)
			bits |= ike_child_bit(sa->conn, c->cfg);
	return bits;
}

static void start(struct ike_sa *old)
{
	const char *why = peer_must_reauthenticate(old);
	if (why) {
		LOG_INFO("%s: IKE_SA #%u is due for reauthentication, which the peer has to do: %s", old->conn->name,
			 old->serial, why);
		return;
	}
	struct ike_sa *n = ike_sa_new(old->d, true, old->conn, &old->local, &old->remote);
	if (n == NULL) {
		old->reauth_ms = ike_now(old->d) + REAUTH_RETRY_MS;
		return;
	}
	uint64_t bits = children_to_move(old);
	n->floated = old->floated; /* IKE stays on the ports it found through the NAT */
	n->close_asked = old->close_asked;
	n->vip_wish = old->own_vip;
	/* without a child to carry, IKE_AUTH has one all the same where the peer cannot do without */
	n->child_cfg = bits ? &old->conn->children[__builtin_ctzll(bits)]
			    : (old->peer_childless || old->conn->n_children == 0 ? NULL : &old->conn->children[0]);
	n->children_wanted = bits & (bits - 1);
	n->reauth_of = old;
	old->reauth_by = n;
	n->state = IKE_SA_INIT_SENT;
	LOG_INFO("%s: reauthenticating IKE_SA #%u as IKE_SA #%u", old->conn->name, old->serial, n->serial);
	ike_sa_init_start(n);
}

int ike_reauth_now(struct ike_sa *sa, struct strbuf *err)
{
	const char *why = peer_must_reauthenticate(sa);
	if (sa->reauth_by || sa->rekeyed || why) {
		sb_printf(err, "IKE_SA #%u cannot be reauthenticated by us now: %s\n", sa->serial,
			  why ? why : "it is being replaced already");
		return -1;
	}
	sa->reauth_ms = 0;
	start(sa);
	ike_sa_wake(sa);
	return 0;
}

/* The new SA is up with every child it was to bring over (or refused): the old one goes. */
static bool finished(const struct ike_sa *n)
{
	return n->reauth_of && n->state == IKE_SA_ESTABLISHED && n->children_wanted == 0 && n->req.msg == NULL &&
	       n->create.kind == REKEY_NONE;
}

static void finish(struct ike_sa *n)
{
	struct ike_sa *old = n->reauth_of;
	n->reauth_of = NULL;
	old->reauth_by = NULL;
	LOG_INFO("%s: IKE_SA #%u reauthenticated as IKE_SA #%u; deleting the old one", n->conn->name, old->serial,
		 n->serial);
	if (old->state == IKE_SA_ESTABLISHED)
		ike_sa_delete(old);
}

static bool due(const struct ike_sa *sa, uint64_t now)
{
	return sa->reauth_ms && now >= sa->reauth_ms && sa->reauth_by == NULL && !sa->rekeyed && sa->req.msg == NULL;
}

void ike_reauth_run(struct ike_sa *sa, uint64_t now)
{
	if (finished(sa))
		finish(sa);
	if (due(sa, now)) {
		sa->reauth_ms = 0;
		start(sa);
	}
}

uint64_t ike_reauth_next_due(const struct ike_sa *sa)
{
	if (finished(sa))
		return 0;
	return sa->reauth_by || sa->rekeyed || sa->reauth_ms == 0 ? TIMER_NEVER : sa->reauth_ms;
}

bool ike_reauth_holds_rekeys(const struct ike_sa *sa)
{
	/* once the new SA is up its children take over from this one's: none of them may change now */
	return sa->reauth_by && sa->reauth_by->state == IKE_SA_ESTABLISHED;
}

struct child_sa *ike_reauth_predecessor(const struct ike_sa *sa, const struct cfg_child *cfg)
{
	if (sa->reauth_of == NULL)
		return NULL;
	for (struct child_sa *c = sa->reauth_of->children; c; c = c->next)
		if (c->cfg == cfg && c->state == CHILD_INSTALLED)
			return c;
	return NULL;
}

static bool same_selectors(const struct child_sa *a, const struct child_sa *b)
{
	if (a->n_local_ts != b->n_local_ts || a->n_remote_ts != b->n_remote_ts)
		return false;
	for (int i = 0; i < a->n_local_ts; i++)
		if (!ts_equal(&a->local_ts[i], &b->local_ts[i]))
			return false;
	for (int i = 0; i < a->n_remote_ts; i++)
		if (!ts_equal(&a->remote_ts[i], &b->remote_ts[i]))
			return false;
	return true;
}

/*
 * The peer reauthenticates make-before-break: a new IKE SA between the same identities, without
 * INITIAL_CONTACT, brings up children the same as those of the SA it will then delete.
 */
struct child_sa *ike_reauth_by_peer_replaces(const struct ike_sa *sa, const struct child_sa *c)
{
	if (c->exchange_initiator || sa->reauth_of)
		return NULL;
	for (struct ike_sa *o = ike_sa_same_ids(sa); o; o = ike_sa_next_same_ids(o)) {
		if (o == sa || o->conn != sa->conn || o->state != IKE_SA_ESTABLISHED ||
		    !identity_pair_equal(&o->id_remote, &o->id_local, &sa->id_remote, &sa->id_local))
			continue;
		for (struct child_sa *x = o->children; x; x = x->next)
			if (x->cfg == c->cfg && x->state == CHILD_INSTALLED && x->replaced_by == NULL && same_selectors(x, c))
				return x;
	}
	return NULL;
}

void ike_reauth_rekeyed(struct ike_sa *old, struct ike_sa *successor)
{
	successor->reauth_ms = old->reauth_ms;
	successor->auth_end_ms = old->auth_end_ms;
	successor->reauth_by = old->reauth_by;
	if (old->reauth_by)
		old->reauth_by->reauth_of = successor;
	old->reauth_by = NULL;
}

void ike_reauth_gone(struct ike_sa *sa)
{
	if (sa->reauth_by) /* the old SA went first: the new one carries on, with nothing to delete */
		sa->reauth_by->reauth_of = NULL;
	sa->reauth_by = NULL;
	struct ike_sa *old = sa->reauth_of;
	if (old == NULL)
		return;
	sa->reauth_of = NULL;
	old->reauth_by = NULL;
	if (sa->reauth_took_over) { /* up, then gone (the peer deleted it), with policies it took from old's children */
		LOG_WARN("%s: IKE_SA #%u went before it had replaced IKE_SA #%u; deleting that too", old->conn->name,
			 sa->serial, old->serial);
		if (old->state == IKE_SA_ESTABLISHED)
			ike_sa_delete(old);
		return;
	}
	if (sa->established_ms)
		return; /* up, then gone before taking anything over: old stays until its time ends */
	old->reauth_ms = ike_now(sa->d) + REAUTH_RETRY_MS;
	LOG_WARN("%s: reauthentication of IKE_SA #%u failed; it stays, and is tried again in %u s", old->conn->name,
		 old->serial, REAUTH_RETRY_MS / 1000);
	ike_sa_wake(old);
}

/* ---- AUTH_LIFETIME (RFC 4478) ---- */

void ike_auth_lifetime_add(const struct ike_sa *sa, struct ike_builder *b)
{
	if (sa->reauth_ms == 0)
		return;
	uint64_t now = ike_now(sa->d);
	uint32_t left = sa->reauth_ms > now ? (uint32_t)((sa->reauth_ms - now) / 1000) : 0;
	uint8_t v[4] = { left >> 24, left >> 16, left >> 8, left };
	notify_add(b, 0, NULL, 0, N_AUTH_LIFETIME, v, sizeof(v));
}

void ike_auth_lifetime_take(struct ike_sa *sa, const struct ike_message *msg)
{
	const struct ike_payload *p = ike_find_notify(msg, N_AUTH_LIFETIME);
	struct ike_notify n;
	if (p == NULL || !notify_parse(p, &n) || n.data_len != 4 || sa->id_local_given)
		return;
	struct wire_reader w;
	wire_reader_init(&w, n.data, n.data_len);
	uint64_t life_ms = (uint64_t)wire_get_be32(&w) * 1000, now = ike_now(sa->d);
	/* leave time for the reauthentication to finish in: over_time, at least a tenth of the lifetime, at most half */
	uint64_t margin = sa->conn->over_time * 1000 > life_ms / 10 ? sa->conn->over_time * 1000 : life_ms / 10;
	if (margin > life_ms / 2)
		margin = life_ms / 2;
	uint64_t at = now + (life_ms - margin > REAUTH_SOONEST_MS ? life_ms - margin : REAUTH_SOONEST_MS);
	if (sa->reauth_ms == 0 || at < sa->reauth_ms)
		sa->reauth_ms = at;
	LOG_INFO("%s: IKE_SA #%u: the peer's authentication lifetime is %lu s (AUTH_LIFETIME); reauthenticating in "
		 "%lu s",
		 sa->conn->name, sa->serial, (unsigned long)(life_ms / 1000),
		 (unsigned long)((sa->reauth_ms - now) / 1000));
	ike_sa_wake(sa);
}
