/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Main Mode (RFC 2409 5, with a PSK: 5.4; with signatures: 5.1) and its NAT-T parts (RFC 3947):
 *   I: SA, VIDs                 R: SA, VIDs
 *   I: KE, Ni, CR*, NAT-D*      R: KE, Nr, CR*, NAT-D*
 *   I: [IDii, HASH_I]           R: [IDir, HASH_R]       ([ ] encrypted; on port 4500 once a NAT is seen)
 *   or [IDii, CERT*, SIG_I]     or [IDir, CERT*, SIG_R]
 * The responder side of Aggressive Mode starts here too (v1_main_respond), as both begin with an SA.
 */
#include <stdlib.h>
#include <string.h>

#include "ike/conns.h"
#include "ike/identity.h"
#include "lib/log.h"
#include "phase1.h"

static void header(const struct v1_sa *sa, struct ike_builder *b, uint8_t exchange)
{
	struct isakmp_header h = { .cky_i = sa->cky_i, .cky_r = sa->cky_r, .exchange = exchange };
	isakmp_build_start(b, &h);
}

static void send_plain(struct v1_sa *sa, struct ike_builder *b)
{
	size_t len = ike_build_finish(b);
	if (len)
		v1_send(sa, b->buf, len, true);
}

static void send_encrypted(struct v1_sa *sa, struct ike_builder *b)
{
	size_t len = v1_encrypt(sa, b, sa->iv);
	if (len)
		v1_send(sa, b->buf, len, true);
}

static void fail(struct v1_sa *sa, const char *why)
{
	LOG_WARN_LIMITED("%s: IKEv1 %s Mode failed: %s", sa->conn->name, sa->aggressive ? "Aggressive" : "Main",
			 why);
	v1_set_state(sa, V1_DEAD);
}

void v1_main_start(struct v1_sa *sa)
{
	struct ike_builder b;
	struct v1_proposal p;
	p1_proposal(sa->conn, &p);
	if (p.n == 0) {
		fail(sa, "no AES-CBC proposal with a hash in the connection");
		return;
	}
	header(sa, &b, XCHG_MAIN);
	v1_sa_add(&b, &p);
	/* the SA payload's body enters HASH_I and HASH_R */
	struct ike_payload sap = { ISA_SA, false, b.buf + IKE_HDR_LEN + 4,
				   (uint16_t)(b.w.off - IKE_HDR_LEN - 4) };
	p1_save_sa_i(sa, &sap);
	p1_add_vendor_ids(sa, &b);
	v1_set_state(sa, V1_MM_I1);
	send_plain(sa, &b);
}

static void send_m3(struct v1_sa *sa)
{
	struct ike_builder b;
	header(sa, &b, XCHG_MAIN);
	p1_add_ke_nonce(sa, &b, true);
	v1_sig_add_cr(sa, &b);
	p1_add_nat_d(sa, &b);
	v1_set_state(sa, V1_MM_I3);
	send_plain(sa, &b);
}

static void send_m5(struct v1_sa *sa)
{
	struct ike_builder b;
	p1_identity(sa, &sa->id_local);
	sa->p1->id_i_len = p1_id_body(&sa->id_local, sa->p1->id_i_b);
	p1_float(sa);
	header(sa, &b, XCHG_MAIN);
	p1_add_id(&b, &sa->id_local);
	if (!p1_add_auth(sa, &b, true)) {
		fail(sa, "HASH_I or SIG_I");
		return;
	}
	if (v1_first_with_peer(sa))
		v1_add_initial_contact(sa, &b); /* the peer may drop what it kept from before we restarted */
	v1_set_state(sa, V1_MM_I5);
	send_encrypted(sa, &b);
}

/* ---- responder ---- */

static void send_m2(struct v1_sa *sa)
{
	struct ike_builder b;
	struct v1_proposal p = { .num = 1, .protocol = PROTO_IKE, .n = 1 };
	p.t[0] = sa->chosen;
	header(sa, &b, XCHG_MAIN);
	v1_sa_add(&b, &p);
	p1_add_vendor_ids(sa, &b);
	v1_set_state(sa, V1_MM_R2);
	send_plain(sa, &b);
}

static void send_m4(struct v1_sa *sa)
{
	struct ike_builder b;
	header(sa, &b, XCHG_MAIN);
	p1_add_ke_nonce(sa, &b, false);
	v1_sig_add_cr(sa, &b);
	p1_add_nat_d(sa, &b);
	v1_set_state(sa, V1_MM_R4);
	send_plain(sa, &b);
}

static void send_m6(struct v1_sa *sa)
{
	struct ike_builder b;
	p1_identity(sa, &sa->id_local);
	sa->p1->id_r_len = p1_id_body(&sa->id_local, sa->p1->id_r_b);
	header(sa, &b, XCHG_MAIN);
	p1_add_id(&b, &sa->id_local);
	if (!p1_add_auth(sa, &b, false)) {
		fail(sa, "HASH_R or SIG_R");
		return;
	}
	send_encrypted(sa, &b);
	p1_established(sa);
}

/* With the keys: message 4 (responder) or 5 (initiator); without, the attempt is over. */
static void keys_then_send(struct v1_sa *sa, bool keyed)
{
	if (!keyed)
		fail(sa, "KE or nonce");
	else if (sa->initiator)
		send_m5(sa);
	else
		send_m4(sa);
}

void v1_main_keys_done(struct v1_sa *sa, bool ke_ok, const uint8_t *gxy, size_t n)
{
	keys_then_send(sa, p1_keys_from(sa, ke_ok, gxy, n));
}

/* Messages 3 and 4 in: the key exchange now, or with others at v1_flush() (env.batch_key_exchanges). */
static void key_exchange(struct v1_sa *sa, const struct isakmp_message *m)
{
	p1_check_nat_d(sa, m);
	if (!p1_defer_key_exchange(sa))
		keys_then_send(sa, p1_derive(sa));
	else if (sa->d->n_pending_ke == IKE_KE_BATCH)
		v1_finish_key_exchanges(sa->d);
}

void v1_main_respond(struct v1_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		     const struct isakmp_message *m, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	struct v1_proposal theirs[2];
	struct v1_transform chosen;
	const struct ike_payload *sap = isakmp_find(m, ISA_SA);
	bool aggressive = m->hdr.exchange == XCHG_AGGRESSIVE;
	if (sap == NULL || v1_sa_parse(sap, theirs, 2) < 1) {
		d->stats.rx_invalid++;
		return;
	}
	const struct cfg_connection *c = p1_connection(d, local, remote, theirs, aggressive, &chosen);
	if (c == NULL) {
		/* Aggressive Mode only where the connection allows it */
		struct v1_transform any;
		if (aggressive && p1_connection(d, local, remote, theirs, false, &any)) {
			d->stats.aggressive_refused++;
			LOG_WARN_LIMITED("IKEv1 Aggressive Mode refused: the matching connection does not allow it "
					 "(aggressive = yes)");
		} else {
			d->stats.no_proposal++;
			LOG_WARN_LIMITED("IKEv1 %s Mode: no connection accepts the proposal",
					 aggressive ? "Aggressive" : "Main");
		}
		v1_send_plain_notify(d, local, remote, m->hdr.cky_i, V1N_NO_PROPOSAL_CHOSEN);
		return;
	}
	struct v1_sa *sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return;
	ike_conn_set(&sa->conn, c);
	sa->local = *local;
	sa->remote = *remote;
	sa->cky_i = m->hdr.cky_i;
	while (sa->cky_r == 0)
		ike_random((uint8_t *)&sa->cky_r, sizeof(sa->cky_r));
	sa->aggressive = aggressive;
	sa->created_ms = sa->last_rx_ms = d->env.now_ms(d->env.ctx);
	if (!v1_sa_link(d, sa)) {
		ike_conn_put(sa->conn);
		free(sa);
		return;
	}
	if (!p1_adopt(sa, &chosen)) {
		fail(sa, "unusable transform");
		return;
	}
	p1_save_sa_i(sa, sap);
	p1_read_vendor_ids(sa, m);
	if (aggressive)
		v1_aggressive_respond(sa, m);
	else
		send_m2(sa);
}

/* The connection's unique (unique.c) lets the authenticated peer in; with XAuth to come, after it. */
static bool admitted(struct v1_sa *sa)
{
	p1_identity(sa, &sa->id_local); /* the pair of identities it goes by */
	return sa->conn->xauth_remote || v1_unique_admits(sa);
}

void v1_main_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	struct v1_proposal got[2];
	const struct ike_payload *sap;
	v1_sig_take_cr(sa, m);
	switch (sa->state) {
	case V1_MM_I1: /* SA chosen by the responder */
		sa->cky_r = m->hdr.cky_r;
		sap = isakmp_find(m, ISA_SA);
		if (!sap || v1_sa_parse(sap, got, 2) != 1 || got[0].n != 1 || !p1_select(sa->conn, &got[0], &sa->chosen) ||
		    !p1_adopt(sa, &got[0].t[0])) {
			sa->d->stats.no_proposal++;
			sa->fail = IKE_FAIL_NO_PROPOSAL;
			fail(sa, "the responder chose no transform we offered");
			return;
		}
		p1_read_vendor_ids(sa, m);
		if (!p1_make_ke_nonce(sa, true)) {
			fail(sa, "key exchange");
			return;
		}
		send_m3(sa);
		break;
	case V1_MM_R2: /* KE, Ni */
		if (!p1_take_ke_nonce(sa, m, true) || !p1_make_ke_nonce(sa, false)) {
			fail(sa, "KE or nonce");
			return;
		}
		key_exchange(sa, m);
		break;
	case V1_MM_I3: /* KE, Nr */
		if (!p1_take_ke_nonce(sa, m, false)) {
			fail(sa, "KE or nonce");
			return;
		}
		key_exchange(sa, m);
		break;
	case V1_MM_R4: /* IDii, HASH_I or CERT*, SIG_I */
		if (!p1_parse_id(isakmp_find(m, ISA_ID), &sa->id_remote, sa->p1->id_i_b, &sa->p1->id_i_len) ||
		    !p1_connection_for_id(sa) || !p1_verify_auth(sa, m, true) || !admitted(sa)) {
			v1_send_error(sa, V1N_AUTHENTICATION_FAILED);
			fail(sa, "authentication");
			return;
		}
		send_m6(sa);
		break;
	case V1_MM_I5: /* IDir, HASH_R */
		if (!p1_parse_id(isakmp_find(m, ISA_ID), &sa->id_remote, sa->p1->id_r_b, &sa->p1->id_r_len) ||
		    !identity_matches(sa->conn->remote.id, &sa->id_remote) || !p1_verify_auth(sa, m, false)) {
			sa->fail = IKE_FAIL_PEER_AUTH;
			fail(sa, "authentication");
			return;
		}
		p1_established(sa);
		v1_after_phase1(sa);
		break;
	default:
		sa->d->stats.rx_invalid++;
	}
}
