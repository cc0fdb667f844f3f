/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE_CHILD_SA (RFC 7296 1.3): rekeying a child SA (with or without PFS) and the IKE SA.
 * Child rekeys are make-before-break: the rekey initiator moves its traffic to the new SA as
 * soon as it is installed and then deletes the old one; the responder installs the new SA
 * at once but sends on it only once the initiator has it (handover.c). Old inbound SAs live
 * until their Delete exchange completes, so nothing in flight is dropped.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike_sa.h"
#include "lib/log.h"

static void put_spi64(uint8_t *p, uint64_t spi)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(spi >> (56 - 8 * i));
}

static uint64_t get_spi64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The lower of two nonces (a shorter one sorts first when one is a prefix of the other). */
static int nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

static const uint8_t *lower(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, size_t *len)
{
	bool first = nonce_cmp(a, alen, b, blen) <= 0;
	*len = first ? alen : blen;
	return first ? a : b;
}

/*
 * Of two exchanges that rekeyed the same SA at once, the one that used the lowest of the
 * four nonces made the redundant SA (RFC 7296 2.8.1, 2.8.2). True when that is exchange 1.
 */
static bool first_is_redundant(const uint8_t *i1, size_t i1l, const uint8_t *r1, size_t r1l, const uint8_t *i2,
			       size_t i2l, const uint8_t *r2, size_t r2l)
{
	size_t l1, l2;
	const uint8_t *m1 = lower(i1, i1l, r1, r1l, &l1), *m2 = lower(i2, i2l, r2, r2l, &l2);
	return nonce_cmp(m1, l1, m2, l2) < 0;
}

/* Without memory the child keeps none, and loses any rekey collision (an empty nonce is the lowest). */
static void keep_nonces(struct child_sa *c, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	uint8_t *both = malloc(ni_len + nr_len);
	if (both == NULL)
		return;
	memcpy(both, ni, ni_len);
	memcpy(both + ni_len, nr, nr_len);
	c->xn_i = both;
	c->xn_i_len = ni_len;
	c->xn_r = both + ni_len;
	c->xn_r_len = nr_len;
}

static bool begin_exchange(struct ike_sa *sa, enum rekey_kind kind, uint16_t group)
{
	struct pending_create *pc = &sa->create;
	memset(pc, 0, sizeof(*pc));
	pc->kind = kind;
	pc->nonce_len = IKE_OWN_NONCE_LEN;
	pc->group = group;
	return ike_random(pc->nonce, IKE_OWN_NONCE_LEN);
}

/* Writes Ni and, with PFS, a fresh key pair's KEi. */
static bool add_nonce_ke(struct ike_builder *b, struct pending_create *pc)
{
	nonce_add(b, pc->nonce, pc->nonce_len);
	if (pc->group == 0)
		return true;
	uint8_t pub[IKE_MAX_KE_LEN];
	size_t pub_len;
	pc->ke = ke_create(pc->group, pub, &pub_len);
	if (pc->ke == NULL)
		return false;
	ke_payload_add(b, pc->group, pub, pub_len);
	return true;
}

static size_t finish_and_send_request(struct ike_sa *sa, struct ike_builder *b)
{
	size_t len = ike_sk_finish(sa, b);
	if (len)
		ike_send_request(sa, b->buf, len, CREATE_CHILD_SA);
	return len;
}

/* ---- initiator: child rekey ---- */

static uint16_t pfs_group(const struct cfg_child *cfg)
{
	struct proposal p[CFG_MAX_PROPOSALS];
	int n = child_proposals(cfg, p, CFG_MAX_PROPOSALS);
	return n > 0 && p[0].n[TRANS_DH] ? p[0].t[TRANS_DH][0].id : 0;
}

bool ccsa_rekey_child(struct ike_sa *sa, struct child_sa *old)
{
	if (sa->state != IKE_SA_ESTABLISHED || sa->req.msg || old->state != CHILD_INSTALLED)
		return false;
	uint16_t group = pfs_group(old->cfg);
	if (!begin_exchange(sa, REKEY_CHILD, group))
		return false;
	struct pending_create *pc = &sa->create;
	pc->old = old;
	pc->cfg = old->cfg;
	pc->spi_in = child_alloc_spi(sa->d);
	/* propose the selectors we have, from our side */
	const struct ike_ts *mine = old->exchange_initiator ? old->ts_i : old->ts_r;
	const struct ike_ts *theirs = old->exchange_initiator ? old->ts_r : old->ts_i;
	int n_mine = old->exchange_initiator ? old->n_ts_i : old->n_ts_r;
	int n_theirs = old->exchange_initiator ? old->n_ts_r : old->n_ts_i;
	struct ike_builder b;
	struct ike_header h;
	uint8_t spi[4] = { (uint8_t)(old->spi_in >> 24), (uint8_t)(old->spi_in >> 16), (uint8_t)(old->spi_in >> 8),
			   (uint8_t)old->spi_in };
	ike_header_for(sa, &h, CREATE_CHILD_SA, false, sa->next_out_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	notify_add(&b, PROTO_ESP, spi, 4, N_REKEY_SA, NULL, 0);
	child_add_request(sa, &b, old->cfg, pc->spi_in, true, mine, n_mine, theirs, n_theirs);
	if (!add_nonce_ke(&b, pc) || finish_and_send_request(sa, &b) == 0) {
		ccsa_abort(sa);
		return false;
	}
	old->state = CHILD_REKEYING;
	LOG_INFO("%s/%s: rekeying child SA 0x%08x%s", sa->conn->name, old->cfg->name, old->spi_in,
		 group ? " with PFS" : "");
	return true;
}

/* ---- initiator: an additional child SA ---- */

bool ccsa_create_child(struct ike_sa *sa, const struct cfg_child *cfg)
{
	if (sa->state != IKE_SA_ESTABLISHED || sa->req.msg || sa->rekeyed)
		return false;
	uint16_t group = pfs_group(cfg);
	if (!begin_exchange(sa, CREATE_CHILD, group))
		return false;
	struct pending_create *pc = &sa->create;
	struct ike_ts tsi[IKE_MAX_TS], tsr[IKE_MAX_TS];
	int ni, nr;
	pc->cfg = cfg;
	pc->spi_in = child_alloc_spi(sa->d);
	child_local_ts(sa, cfg, tsi, &ni);
	child_remote_ts(sa, cfg, tsr, &nr);
	struct ike_builder b;
	struct ike_header h;
	ike_header_for(sa, &h, CREATE_CHILD_SA, false, sa->next_out_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	child_add_request(sa, &b, cfg, pc->spi_in, true, tsi, ni, tsr, nr);
	if (!add_nonce_ke(&b, pc) || finish_and_send_request(sa, &b) == 0) {
		ccsa_abort(sa);
		return false;
	}
	LOG_INFO("%s/%s: creating a child SA", sa->conn->name, cfg->name);
	return true;
}

/* ---- initiator: IKE SA rekey ---- */

bool ccsa_rekey_ike(struct ike_sa *sa)
{
	if (sa->state != IKE_SA_ESTABLISHED || sa->req.msg)
		return false;
	if (!begin_exchange(sa, REKEY_IKE, sa->chosen.t[TRANS_DH][0].id))
		return false;
	struct pending_create *pc = &sa->create;
	pc->new_spi = ike_random_spi();
	struct ike_sa_proposal sp = { .num = 1, .protocol = PROTO_IKE, .spi_size = 8, .p = sa->chosen };
	put_spi64(sp.spi, pc->new_spi);
	struct ike_builder b;
	struct ike_header h;
	ike_header_for(sa, &h, CREATE_CHILD_SA, false, sa->next_out_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	sa_payload_add(&b, &sp, 1);
	if (!add_nonce_ke(&b, pc) || finish_and_send_request(sa, &b) == 0) {
		ccsa_abort(sa);
		return false;
	}
	LOG_INFO("%s: rekeying IKE_SA #%u", sa->conn->name, sa->serial);
	return true;
}

void ccsa_abort(struct ike_sa *sa)
{
	struct pending_create *pc = &sa->create;
	if (pc->kind == REKEY_CHILD && pc->old && pc->old->state == CHILD_REKEYING)
		pc->old->state = CHILD_INSTALLED;
	if (pc->spi_in && child_by_spi(sa, pc->spi_in, false) == NULL) /* the exchange installed nothing */
		child_release_spi(sa->d, pc->spi_in);
	ke_free(pc->ke);
	OPENSSL_cleanse(pc, sizeof(*pc));
}

/* The responder's KE and our key pair give the new shared secret (PFS), or none. */
static bool shared_secret(const struct ike_message *msg, struct ke_state *ke, uint16_t group, uint8_t *secret,
			  size_t *secret_len)
{
	*secret_len = 0;
	if (group == 0)
		return true;
	const struct ike_payload *kp = ike_find(msg, PL_KE);
	const uint8_t *data;
	size_t len;
	uint16_t g;
	return kp && ke_payload_parse(kp, &g, &data, &len) && g == group && ke_derive(ke, data, len, secret, secret_len);
}

static void retire_child(struct ike_sa *sa, struct child_sa *old)
{
	uint32_t spi = old->spi_in;
	old->state = CHILD_DELETING;
	ike_send_delete(sa, PROTO_ESP, &spi, 1);
}

/*
 * Both ends rekeyed old at once (RFC 7296 2.8.1): ours is our new child, theirs the one the
 * peer's request made. The one made with the lowest nonce is closed by whoever made it; the
 * maker of the other retires old.
 */
static void settle_child_collision(struct ike_sa *sa, struct child_sa *old, struct child_sa *ours)
{
	struct child_sa *theirs = NULL;
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->replaces == old)
			theirs = c;
	bool ours_redundant = theirs && first_is_redundant(ours->xn_i, ours->xn_i_len, ours->xn_r, ours->xn_r_len,
							   theirs->xn_i, theirs->xn_i_len, theirs->xn_r, theirs->xn_r_len);
	LOG_INFO("%s/%s: simultaneous rekey; keeping the SA %s made", sa->conn->name, old->cfg->name,
		 ours_redundant ? "the peer" : "we");
	if (ours_redundant) {
		retire_child(sa, ours); /* the peer retires old, and its SA takes over then */
		return;
	}
	sa->d->env.activate_child(sa->d->env.ctx, ours->handle, old->handle);
	if (theirs)
		child_stop_waiting(theirs); /* redundant: the peer closes it */
	retire_child(sa, old);
}

/* The answer to a child rekey, or to a new child (old is NULL then). */
static void child_rekey_response(struct ike_sa *sa, const struct ike_message *msg)
{
	struct pending_create *pc = &sa->create;
	struct child_sa *old = pc->old, *c = calloc(1, sizeof(*c));
	const struct ike_payload *np = ike_find(msg, PL_NONCE);
	const uint8_t *nr;
	size_t nr_len, secret_len;
	uint8_t secret[IKE_MAX_KE_LEN];
	bool ok = c && np && nonce_parse(np, &nr, &nr_len) && child_accept_response(sa, pc->cfg, msg, false, c) &&
		  c->dh_group == pc->group && shared_secret(msg, pc->ke, pc->group, secret, &secret_len);
	/* the peer rekeyed the same SA meanwhile: both new SAs exist; which one stays is settled below */
	bool collided = old && old->state == CHILD_REKEYED;
	if (ok) {
		c->spi_in = pc->spi_in;
		keep_nonces(c, pc->nonce, pc->nonce_len, nr, nr_len);
		ok = child_install(sa, c, secret, secret_len, pc->nonce, pc->nonce_len, nr, nr_len, !collided,
				   collided ? NULL : old);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	if (!ok) {
		child_free(c);
		LOG_WARN("%s/%s: %s refused or failed", sa->conn->name, pc->cfg->name, old ? "rekey" : "child SA");
		ccsa_abort(sa);
		if (old)
			old->rekey_ms = ike_now(sa->d) + 10000; /* try again a little later */
		return;
	}
	ccsa_abort(sa);
	if (old == NULL)
		return; /* a new child: nothing to retire */
	if (collided) {
		settle_child_collision(sa, old, c);
		return;
	}
	retire_child(sa, old); /* traffic already moved to the new SA */
}

/* ---- IKE SA rekey: both roles ---- */

/* A new IKE SA that inherits the old one's peer, proposal and children. */
static struct ike_sa *successor(struct ike_sa *old, bool initiator, uint64_t spi_i, uint64_t spi_r, const uint8_t *ni,
				size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	struct ike_sa *n = ike_sa_new(old->d, initiator, old->conn, &old->local, &old->remote);
	if (n == NULL)
		return NULL;
	ike_sa_set_spis(n, spi_i, spi_r);
	n->chosen = old->chosen;
	n->cipher = old->cipher;
	n->prf = old->prf;
	n->floated = old->floated;
	n->nat_local = old->nat_local;
	n->nat_remote = old->nat_remote;
	n->mobike = old->mobike; /* the original initiator keeps choosing the addresses (RFC 4555 3.1) */
	n->id_local = old->id_local;
	n->id_remote = old->id_remote;
	n->own = old->own;
	n->close_asked = old->close_asked;
	n->children_wanted = old->children_wanted;
	n->peer_cert = old->peer_cert ? strdup(old->peer_cert) : NULL; /* the rekey authenticates nothing anew */
	cp_inherit(n, old);
	n->own_vip = old->own_vip;
	if (!ike_sa_keep_nonce(&n->ni, &n->ni_len, ni, ni_len) || !ike_sa_keep_nonce(&n->nr, &n->nr_len, nr, nr_len)) {
		ike_sa_set_state(n, IKE_SA_DEAD);
		return NULL;
	}
	n->state = IKE_SA_ESTABLISHED;
	n->established_ms = ike_now(old->d);
	n->rekey_ms = ike_rekey_at(old->conn, n->established_ms);
	ike_sa_wake(n);
	return n;
}

static void move_children(struct ike_sa *from, struct ike_sa *to)
{
	to->children = from->children;
	from->children = NULL;
	from->rekeyed = true;
	ike_reauth_rekeyed(from, to);
	for (const struct child_sa *c = to->children; c; c = c->next)
		child_owned_by(to, c);
	ike_sa_wake(to);
}

static struct ike_sa *by_serial(struct ike_daemon *d, uint32_t serial)
{
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->serial == serial && sa->state != IKE_SA_DEAD)
			return sa;
	return NULL;
}

/*
 * Both ends rekeyed the IKE SA at once (RFC 7296 2.8.2): ours is the SA our request made, theirs
 * the one the peer's made (holding the children now). The one with the lowest nonce is closed
 * by whoever made it; the maker of the other deletes the old SA.
 */
static void settle_ike_collision(struct ike_sa *old, struct ike_sa *ours)
{
	struct ike_sa *theirs = by_serial(old->d, old->successor);
	bool ours_redundant = theirs && first_is_redundant(ours->ni, ours->ni_len, ours->nr, ours->nr_len, theirs->ni,
							   theirs->ni_len, theirs->nr, theirs->nr_len);
	LOG_INFO("%s: simultaneous IKE_SA rekey; keeping #%u", old->conn->name,
		 ours_redundant ? theirs->serial : ours->serial);
	if (ours_redundant) {
		ike_sa_set_state(ours, IKE_SA_DELETING); /* the peer deletes the old SA */
		ike_send_delete(ours, PROTO_IKE, NULL, 0);
		return;
	}
	if (theirs)
		move_children(theirs, ours); /* theirs is redundant: the peer closes it */
	ike_sa_set_state(old, IKE_SA_DELETING);
	ike_send_delete(old, PROTO_IKE, NULL, 0);
}

static void ike_rekey_response(struct ike_sa *sa, const struct ike_message *msg)
{
	struct pending_create *pc = &sa->create;
	struct ike_sa_proposal got[2];
	struct proposal chosen;
	const struct ike_payload *sap = ike_find(msg, PL_SA), *np = ike_find(msg, PL_NONCE);
	const uint8_t *nr;
	size_t nr_len, secret_len;
	uint8_t secret[IKE_MAX_KE_LEN];
	struct ike_sa *n = NULL;
	bool ok = sap && np && nonce_parse(np, &nr, &nr_len) && sa_payload_parse(sap, got, 2) == 1 &&
		  got[0].protocol == PROTO_IKE && got[0].spi_size == 8 &&
		  proposal_select(&sa->chosen, 1, &got[0].p, 1, false, &chosen) == 0 &&
		  shared_secret(msg, pc->ke, pc->group, secret, &secret_len);
	if (ok) {
		n = successor(sa, true, pc->new_spi, get_spi64(got[0].spi), pc->nonce, pc->nonce_len, nr, nr_len);
		ok = n && ike_derive_keys(n, secret, secret_len, sa->sk_d, sa->prf);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	ccsa_abort(sa);
	if (!ok) {
		if (n)
			ike_sa_set_state(n, IKE_SA_DEAD);
		LOG_WARN("%s: IKE_SA rekey refused or failed; keeping the old IKE SA", sa->conn->name);
		sa->rekey_ms = ike_now(sa->d) + 10000;
		return;
	}
	if (sa->rekeyed) {
		settle_ike_collision(sa, n);
		return;
	}
	move_children(sa, n);
	LOG_INFO("%s: IKE_SA #%u rekeyed into #%u", sa->conn->name, sa->serial, n->serial);
	ike_sa_set_state(sa, IKE_SA_DELETING);
	ike_send_delete(sa, PROTO_IKE, NULL, 0);
}

void ccsa_process_response(struct ike_sa *sa, const struct ike_message *msg)
{
	switch (sa->create.kind) {
	case REKEY_CHILD:
	case CREATE_CHILD:
		child_rekey_response(sa, msg);
		break;
	case REKEY_IKE:
		ike_rekey_response(sa, msg);
		break;
	default:
		ccsa_abort(sa);
	}
}

/* ---- responder ---- */

static void respond_notify(struct ike_sa *sa, uint32_t msg_id, uint16_t type, const void *data, size_t len)
{
	struct ike_builder b;
	struct ike_header h;
	ike_header_for(sa, &h, CREATE_CHILD_SA, true, msg_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	notify_add(&b, 0, NULL, 0, type, data, len);
	size_t n = ike_sk_finish(sa, &b);
	if (n)
		ike_send_response(sa, b.buf, n, msg_id);
}

/* Checks the initiator's KE against the chosen group; on mismatch answers INVALID_KE_PAYLOAD. */
static bool peer_ke(struct ike_sa *sa, const struct ike_message *msg, uint16_t group, const uint8_t **data,
		    size_t *len)
{
	const struct ike_payload *kp = ike_find(msg, PL_KE);
	uint16_t g = 0;
	if (group == 0)
		return kp == NULL;
	if (kp && ke_payload_parse(kp, &g, data, len) && g == group)
		return true;
	uint8_t want[2] = { (uint8_t)(group >> 8), (uint8_t)group };
	respond_notify(sa, msg->hdr.msg_id, N_INVALID_KE_PAYLOAD, want, sizeof(want));
	return false;
}

static void respond_child(struct ike_sa *sa, const struct ike_message *msg, struct child_sa *old)
{
	struct child_request r;
	struct child_sa *c = calloc(1, sizeof(*c));
	const struct ike_payload *np = ike_find(msg, PL_NONCE);
	const uint8_t *ni, *kdata = NULL;
	size_t ni_len, klen = 0, secret_len = 0, pub_len = 0;
	uint8_t nr[IKE_OWN_NONCE_LEN], secret[IKE_MAX_KE_LEN], pub[IKE_MAX_KE_LEN];
	int which = -1;
	uint16_t err = N_NO_PROPOSAL_CHOSEN;
	if (c == NULL || np == NULL || !nonce_parse(np, &ni, &ni_len) || !child_parse_request(msg, &r)) {
		child_free(c);
		respond_notify(sa, msg->hdr.msg_id, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	for (int i = 0; i < sa->conn->n_children && err; i++) {
		const struct cfg_child *cfg = &sa->conn->children[i];
		if (old == NULL || old->cfg == cfg)
			err = child_match(sa, cfg, &r, false, c, &which);
	}
	if (err) {
		child_free(c);
		respond_notify(sa, msg->hdr.msg_id, err, NULL, 0);
		return;
	}
	if (!peer_ke(sa, msg, c->dh_group, &kdata, &klen)) {
		child_free(c);
		return;
	}
	struct ke_state *ke = c->dh_group ? ke_create(c->dh_group, pub, &pub_len) : NULL;
	bool ok = (c->dh_group == 0 || (ke && ke_derive(ke, kdata, klen, secret, &secret_len))) &&
		  ike_random(nr, IKE_OWN_NONCE_LEN);
	c->spi_in = child_alloc_spi(sa->d);
	c->exchange_initiator = false;
	keep_nonces(c, ni, ni_len, nr, IKE_OWN_NONCE_LEN);
	/* a rekey's new outbound SA waits for the peer (handover.c); a new child starts at once */
	ok = ok && child_install(sa, c, secret, secret_len, ni, ni_len, nr, IKE_OWN_NONCE_LEN, old == NULL, NULL);
	OPENSSL_cleanse(secret, sizeof(secret));
	ke_free(ke);
	if (!ok) {
		child_release_spi(sa->d, c->spi_in);
		child_free(c);
		respond_notify(sa, msg->hdr.msg_id, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (old) {
		old->state = CHILD_REKEYED;
		child_wait_to_replace(sa, c, old, HANDOVER_REKEY_MS);
	}
	struct ike_builder b;
	struct ike_header h;
	ike_header_for(sa, &h, CREATE_CHILD_SA, true, msg->hdr.msg_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	child_add_response(&b, c, &r, which, false);
	nonce_add(&b, nr, IKE_OWN_NONCE_LEN);
	if (c->dh_group)
		ke_payload_add(&b, c->dh_group, pub, pub_len);
	size_t n = ike_sk_finish(sa, &b);
	if (n)
		ike_send_response(sa, b.buf, n, msg->hdr.msg_id);
}

static void respond_ike_rekey(struct ike_sa *sa, const struct ike_message *msg, const struct ike_sa_proposal *props,
			      int n_props)
{
	struct proposal theirs[IKE_MAX_PROPOSALS], chosen;
	const struct ike_payload *np = ike_find(msg, PL_NONCE);
	const uint8_t *ni, *kdata = NULL;
	size_t ni_len, klen = 0, secret_len, pub_len;
	uint8_t nr[IKE_OWN_NONCE_LEN], secret[IKE_MAX_KE_LEN], pub[IKE_MAX_KE_LEN];
	for (int i = 0; i < n_props; i++)
		theirs[i] = props[i].protocol == PROTO_IKE && props[i].spi_size == 8 ? props[i].p : (struct proposal){ 0 };
	struct proposal ours[CFG_MAX_PROPOSALS];
	int n_ours = proposal_parse_list((char(*)[128])sa->conn->proposals, sa->conn->n_proposals, PROPOSAL_IKE, ours,
					 CFG_MAX_PROPOSALS);
	int which = proposal_select(ours, n_ours, theirs, n_props, false, &chosen);
	if (which < 0 || np == NULL || !nonce_parse(np, &ni, &ni_len)) {
		respond_notify(sa, msg->hdr.msg_id, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (!peer_ke(sa, msg, chosen.t[TRANS_DH][0].id, &kdata, &klen))
		return;
	uint64_t spi_r = ike_random_spi();
	struct ke_state *ke = ke_create(chosen.t[TRANS_DH][0].id, pub, &pub_len);
	struct ike_sa *n = NULL;
	bool ok = ke && ke_derive(ke, kdata, klen, secret, &secret_len) && ike_random(nr, IKE_OWN_NONCE_LEN);
	if (ok) {
		n = successor(sa, false, get_spi64(props[which].spi), spi_r, ni, ni_len, nr, IKE_OWN_NONCE_LEN);
		ok = n != NULL;
	}
	if (ok) {
		n->chosen = chosen;
		uint16_t integ = chosen.n[TRANS_INTEG] ? chosen.t[TRANS_INTEG][0].id : 0;
		n->prf = chosen.t[TRANS_PRF][0].id;
		ok = sk_cipher_init(&n->cipher, chosen.t[TRANS_ENCR][0].id, chosen.t[TRANS_ENCR][0].key_bits, integ) &&
		     ike_derive_keys(n, secret, secret_len, sa->sk_d, sa->prf);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	ke_free(ke);
	if (!ok) {
		if (n)
			ike_sa_set_state(n, IKE_SA_DEAD);
		respond_notify(sa, msg->hdr.msg_id, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	struct ike_sa_proposal sp = { .num = props[which].num, .protocol = PROTO_IKE, .spi_size = 8, .p = chosen };
	put_spi64(sp.spi, spi_r);
	struct ike_builder b;
	struct ike_header h;
	ike_header_for(sa, &h, CREATE_CHILD_SA, true, msg->hdr.msg_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	sa_payload_add(&b, &sp, 1);
	nonce_add(&b, nr, IKE_OWN_NONCE_LEN);
	ke_payload_add(&b, chosen.t[TRANS_DH][0].id, pub, pub_len);
	size_t len = ike_sk_finish(sa, &b);
	if (len)
		ike_send_response(sa, b.buf, len, msg->hdr.msg_id);
	move_children(sa, n);
	sa->successor = n->serial;
	LOG_INFO("%s: IKE_SA #%u rekeyed into #%u by the peer", sa->conn->name, sa->serial, n->serial);
}

void ccsa_respond(struct ike_sa *sa, const struct ike_message *msg)
{
	const struct ike_payload *sap = ike_find(msg, PL_SA);
	struct ike_sa_proposal props[IKE_MAX_PROPOSALS];
	int n = sap ? sa_payload_parse(sap, props, IKE_MAX_PROPOSALS) : -1;
	if (n <= 0) {
		respond_notify(sa, msg->hdr.msg_id, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (props[0].protocol == PROTO_IKE) {
		/* a child exchange of ours in flight, or rekeyed already: RFC 7296 2.25; or replaced by a
		 * reauthentication, which deletes it in a moment */
		bool busy = sa->rekeyed || ike_reauth_holds_rekeys(sa) ||
			    (sa->create.kind != REKEY_NONE && sa->create.kind != REKEY_IKE);
		if (busy)
			respond_notify(sa, msg->hdr.msg_id, N_TEMPORARY_FAILURE, NULL, 0);
		else
			respond_ike_rekey(sa, msg, props, n); /* a collision with ours is settled later (2.8.2) */
		return;
	}
	struct child_sa *old = NULL;
	const struct ike_payload *rp = ike_find_notify(msg, N_REKEY_SA);
	struct ike_notify rn;
	if (rp && notify_parse(rp, &rn) && rn.spi_size == 4) {
		uint32_t spi = (uint32_t)rn.spi[0] << 24 | (uint32_t)rn.spi[1] << 16 | (uint32_t)rn.spi[2] << 8 | rn.spi[3];
		old = child_by_spi(sa, spi, true);
		if (old == NULL) {
			respond_notify(sa, msg->hdr.msg_id, N_CHILD_SA_NOT_FOUND, NULL, 0);
			return;
		}
		/* our own rekey of it in flight is fine (settled when both are done, 2.8.1); anything else waits */
		bool colliding = old->state == CHILD_REKEYING && sa->create.kind == REKEY_CHILD && sa->create.old == old;
		/* a reauthentication's new children have its policies already: the SA is about to go */
		if ((old->state != CHILD_INSTALLED && !colliding) || ike_reauth_holds_rekeys(sa)) {
			respond_notify(sa, msg->hdr.msg_id, N_TEMPORARY_FAILURE, NULL, 0);
			return;
		}
	}
	respond_child(sa, msg, old);
}
