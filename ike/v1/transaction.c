/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ISAKMP Transaction exchange (6) of draft-dukes-ike-mode-cfg-02, which carries XAuth
 * (xauth.c) and Mode Config (mode_config.c) under an established ISAKMP SA: [HASH, ATTR] each
 * way, the HASH an Informational's, prf(SKEYID_a, M-ID | ATTR), the answer's IV following on from
 * the last block of the message it answers, as in Quick Mode. A REQUEST is answered by a REPLY,
 * a SET by an ACK, under the same message ID and identifier.
 *
 * Also the order of things after phase 1: the client (initiator) holds its Quick Modes until
 * XAuth (local-2) and Mode Config (vips) are through; the server (responder) takes no Quick Mode
 * before XAuth (remote-2) has succeeded.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "v1_sa.h"


#define LINGER_MS 30000     /* a finished transaction is kept this long for repeats */
#define SETUP_WAIT_MS 30000 /* a client waits this long for the server's first message of a step */

static uint64_t now_of(const struct v1_sa *sa)
{
	return sa->d->env.now_ms(sa->d->env.ctx);
}

static const char *type_name(uint8_t type)
{
	static const char *const names[] = { "?", "REQUEST", "REPLY", "SET", "ACK" };
	return type <= V1CFG_ACK ? names[type] : "?";
}

static void read_attr(struct v1_cfg_attrs *a, uint16_t attr, bool tv, uint16_t tv_value, struct wire_reader *v,
		      size_t len)
{
	a->xauth |= attr >= V1CFG_XAUTH_FIRST && attr <= V1CFG_XAUTH_LAST;
	a->address |= attr == V1CFG_IP4_ADDRESS;
	a->dns |= attr == V1CFG_IP4_DNS;
	if (attr == V1CFG_IP4_ADDRESS && !tv && len == 4 && a->addr == 0)
		a->addr = wire_get_be32(v);
	else if (attr == V1CFG_XAUTH_STATUS)
		a->status = tv ? tv_value : len == 2 ? wire_get_be16(v) : -1;
	else if (attr == V1CFG_XAUTH_USER_NAME && !tv)
		a->user = wire_take(v, len), a->user_len = len;
	else if (attr == V1CFG_XAUTH_USER_PASSWORD && !tv)
		a->password = wire_take(v, len), a->password_len = len;
}

/* The ATTR payload (draft-dukes-ike-mode-cfg-02 3.2): attributes as ISAKMP's, TV or TLV. */
static bool parse_attrs(const struct ike_payload *p, struct v1_cfg_attrs *a)
{
	struct wire_reader w;
	wire_reader_init(&w, p->body, p->len);
	memset(a, 0, sizeof(*a));
	a->status = -1;
	a->type = wire_get_u8(&w);
	wire_skip(&w, 1);
	a->ident = wire_get_be16(&w);
	while (wire_ok(&w) && wire_left(&w) > 0) {
		uint16_t t = wire_get_be16(&w), attr = t & 0x7fff;
		bool tv = t & 0x8000;
		uint16_t len = wire_get_be16(&w); /* TV: the value itself */
		struct wire_reader v = wire_sub(&w, tv ? 0 : len);
		read_attr(a, attr, tv, len, &v, tv ? 0 : len);
	}
	if (a->user == NULL)
		a->user_len = 0;
	if (a->password == NULL)
		a->password_len = 0;
	return wire_ok(&w) && a->type >= V1CFG_REQUEST && a->type <= V1CFG_ACK;
}

void v1_cfg_put(struct ike_builder *b, uint16_t type, const void *value, size_t len)
{
	wire_put_be16(&b->w, type);
	wire_put_be16(&b->w, (uint16_t)len);
	if (len)
		wire_put_bytes(&b->w, value, len);
}

void v1_cfg_put_tv(struct ike_builder *b, uint16_t type, uint16_t value)
{
	wire_put_be16(&b->w, 0x8000 | type);
	wire_put_be16(&b->w, value);
}

size_t v1_transaction_begin(const struct v1_sa *sa, struct ike_builder *b, const struct v1_transaction *x)
{
	size_t at = v1_begin_hashed(sa, b, XCHG_TRANSACTION, x->msg_id);
	ike_payload_begin(b, ISA_ATTR);
	wire_put_u8(&b->w, x->type);
	wire_put_u8(&b->w, 0);
	wire_put_be16(&b->w, x->ident);
	return at;
}

void v1_transaction_send(struct v1_sa *sa, struct v1_transaction *x, struct ike_builder *b, size_t hash_at)
{
	ike_payload_end(b);
	size_t len = v1_hash1_fill(sa, b, hash_at, x->msg_id) ? v1_encrypt(sa, b, x->iv) : 0;
	if (len == 0)
		return;
	v1_send(sa, b->buf, len, false);
	v1_keep_copy(&x->last, &x->last_len, b->buf, len);
	x->next_ms = now_of(sa) + (x->initiator ? ike_retransmit_delay_ms(sa->d->v2, 0) : LINGER_MS);
	v1_sa_wake(sa);
}

static void free_one(struct v1_transaction **slot)
{
	if (*slot == NULL)
		return;
	free((*slot)->last);
	free(*slot);
	*slot = NULL;
}

void v1_transactions_free(struct v1_sa *sa)
{
	free_one(&sa->xact_out);
	free_one(&sa->xact_in);
}

static struct v1_transaction *new_in(struct v1_sa *sa, struct v1_transaction **slot, uint32_t msg_id, bool initiator,
				     uint8_t type, bool xauth)
{
	free_one(slot);
	struct v1_transaction *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	x->msg_id = msg_id;
	x->initiator = initiator;
	x->type = type;
	x->xauth = xauth;
	v1_phase2_iv(sa, msg_id, x->iv);
	*slot = x;
	return x;
}

struct v1_transaction *v1_transaction_new(struct v1_sa *sa, uint8_t type, bool xauth)
{
	uint32_t msg_id = 0;
	while (msg_id == 0)
		ike_random((uint8_t *)&msg_id, sizeof(msg_id));
	struct v1_transaction *x = new_in(sa, &sa->xact_out, msg_id, true, type, xauth);
	if (x)
		ike_random((uint8_t *)&x->ident, sizeof(x->ident));
	return x;
}

struct v1_transaction *v1_transaction_answer(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw,
					     const struct v1_cfg_attrs *a, bool xauth)
{
	uint8_t type = a->type == V1CFG_REQUEST ? V1CFG_REPLY : V1CFG_ACK;
	struct v1_transaction *x = new_in(sa, &sa->xact_in, m->hdr.msg_id, false, type, xauth);
	if (x == NULL)
		return NULL;
	/* the request was decrypted with a copy of the IV: ours goes on from its last block */
	memcpy(x->iv, raw + m->hdr.length - sa->block, sa->block);
	x->ident = a->ident;
	x->done = true;
	return x;
}

struct v1_transaction *v1_transaction_of(struct v1_sa *sa, uint32_t msg_id)
{
	if (sa->xact_out && sa->xact_out->msg_id == msg_id)
		return sa->xact_out;
	return sa->xact_in && sa->xact_in->msg_id == msg_id ? sa->xact_in : NULL;
}

/*
 * The peer's answer to our transaction x: of the right type, once. Its identifier should be ours
 * but is not checked: strongSwan answers XAuth with 0, and the message ID, under the HASH,
 * already says which transaction it answers.
 */
static void take_answer(struct v1_sa *sa, struct v1_transaction *x, const struct v1_cfg_attrs *a)
{
	if (x->done)
		return; /* a repeat that was not byte for byte the same: nothing new in it */
	if (a->type != (x->type == V1CFG_REQUEST ? V1CFG_REPLY : V1CFG_ACK)) {
		LOG_WARN("%s: %s answered by %s; ignored", sa->conn->name, type_name(x->type), type_name(a->type));
		return;
	}
	x->done = true;
	x->next_ms = now_of(sa) + LINGER_MS;
	if (x->xauth)
		v1_xauth_answered(sa, x, a);
	else
		v1_mode_config_answered(sa, x, a);
}

void v1_transaction_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw)
{
	const struct ike_payload *ap = isakmp_find(m, ISA_ATTR);
	struct v1_cfg_attrs a;
	if (!v1_hash1_verifies(sa, m) || ap == NULL || !parse_attrs(ap, &a)) {
		sa->d->stats.rx_invalid++;
		LOG_WARN("%s: Transaction message refused (HASH or attributes)", sa->conn->name);
		return;
	}
	if (a.type == V1CFG_REPLY || a.type == V1CFG_ACK) {
		if (sa->xact_out && sa->xact_out->msg_id == m->hdr.msg_id)
			take_answer(sa, sa->xact_out, &a);
		return;
	}
	if (sa->xact_in && sa->xact_in->msg_id == m->hdr.msg_id)
		return; /* answered already (an exact repeat got the answer again before we came here) */
	if (a.xauth)
		v1_xauth_peer(sa, m, raw, &a);
	else
		v1_mode_config_peer(sa, m, raw, &a);
}

/* ---- the steps after phase 1 ---- */

static void enter(struct v1_sa *sa, enum v1_setup step)
{
	sa->setup = step;
	sa->setup_ms = now_of(sa);
	v1_sa_wake(sa);
}

void v1_setup_next(struct v1_sa *sa)
{
	const struct cfg_connection *c = sa->conn;
	if (sa->setup == V1_SETUP_XAUTH && c->n_vips && sa->own_vip == 0) {
		enter(sa, V1_SETUP_MODE_CFG);
		v1_mode_config_start(sa);
		return;
	}
	enter(sa, V1_SETUP_DONE);
	if (sa->child_cfg)
		v1_quick_start(sa, sa->child_cfg, NULL);
	v1_start_wanted(sa);
}

void v1_after_phase1(struct v1_sa *sa)
{
	if (sa->conn->xauth_local) {
		enter(sa, V1_SETUP_XAUTH); /* the server asks */
		return;
	}
	sa->setup = V1_SETUP_XAUTH; /* none: straight to what follows it */
	v1_setup_next(sa);
}

void v1_server_after_phase1(struct v1_sa *sa)
{
	if (sa->conn->xauth_remote) {
		enter(sa, V1_SETUP_XAUTH);
		v1_xauth_start(sa);
		return;
	}
	v1_mode_config_push(sa);
}

bool v1_setup_holds(struct v1_sa *sa, const struct cfg_child *cfg)
{
	if (sa->setup == V1_SETUP_DONE)
		return false;
	if (sa->child_cfg == NULL)
		sa->child_cfg = cfg;
	return true;
}

static void transaction_timer(struct v1_sa *sa, struct v1_transaction **slot, uint64_t now)
{
	struct v1_transaction *x = *slot;
	if (x == NULL || now < x->next_ms)
		return;
	if (x->done) {
		free_one(slot);
	} else if ((unsigned)x->tries >= sa->d->cfg->ike_retransmit_tries) {
		LOG_WARN("%s: %s %s got no answer", sa->conn->name, x->xauth ? "XAuth" : "Mode Config", type_name(x->type));
		bool xauth = x->xauth;
		free_one(slot);
		if (xauth && !sa->initiator) {
			LOG_WARN("%s: ISAKMP SA #%u: XAuth not done; deleting it", sa->conn->name, sa->serial);
			v1_send_delete(sa, PROTO_IKE, NULL, 0);
			v1_set_state(sa, V1_DEAD);
		} else if (sa->setup == V1_SETUP_MODE_CFG) {
			v1_setup_next(sa);
		}
	} else {
		x->tries++;
		x->next_ms = now + ike_retransmit_delay_ms(sa->d->v2, x->tries);
		sa->d->stats.retransmits++;
		v1_send(sa, x->last, x->last_len, false);
	}
}

/* A client whose server never starts the step it waits for goes on without it. */
static bool setup_waiting(const struct v1_sa *sa)
{
	return sa->initiator && sa->setup != V1_SETUP_DONE && (sa->xact_out == NULL || sa->xact_out->done);
}

void v1_transaction_timers(struct v1_sa *sa, uint64_t now)
{
	transaction_timer(sa, &sa->xact_out, now);
	if (sa->state == V1_DEAD)
		return;
	transaction_timer(sa, &sa->xact_in, now);
	if (setup_waiting(sa) && now >= sa->setup_ms + SETUP_WAIT_MS) {
		LOG_WARN("%s: ISAKMP SA #%u: the peer did not %s; going on without it", sa->conn->name, sa->serial,
			 sa->setup == V1_SETUP_XAUTH ? "ask for our XAuth credentials" : "set our virtual IP (pull = no)");
		v1_setup_next(sa);
	}
}

uint64_t v1_transaction_due(const struct v1_sa *sa)
{
	uint64_t due = TIMER_NEVER;
	if (sa->xact_out && sa->xact_out->last)
		due = sa->xact_out->next_ms;
	if (sa->xact_in && sa->xact_in->last)
		due = timer_earliest(due, sa->xact_in->next_ms);
	return setup_waiting(sa) ? timer_earliest(due, sa->setup_ms + SETUP_WAIT_MS) : due;
}
