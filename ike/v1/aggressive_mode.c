/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Aggressive Mode (RFC 2409 5.4 with a PSK, 5.1 with signatures): three messages, identities in
 * the clear, and with a PSK a hash an eavesdropper can attack offline; so only for connections
 * with aggressive = yes.
 *   I: SA, KE, Ni, IDii, CR*, VIDs
 *   R: SA, KE, Nr, IDir, HASH_R (or CERT*, SIG_R), CR*, NAT-D*, VIDs
 *   I: [HASH_I (or CERT*, SIG_I), NAT-D*]
 */
#include <string.h>

#include "ike/identity.h"
#include "lib/log.h"
#include "phase1.h"

static void header(const struct v1_sa *sa, struct ike_builder *b)
{
	struct isakmp_header h = { .cky_i = sa->cky_i, .cky_r = sa->cky_r, .exchange = XCHG_AGGRESSIVE };
	isakmp_build_start(b, &h);
}

void v1_aggressive_start(struct v1_sa *sa)
{
	struct ike_builder b;
	struct v1_proposal p;
	p1_proposal(sa->conn, &p);
	if (p.n == 0) {
		v1_set_state(sa, V1_DEAD);
		return;
	}
	/* one group only: the KE payload must match whatever transform the responder picks */
	uint64_t group = 0;
	v1_attr(&p.t[0].attrs, P1_GROUP, &group);
	int keep = 0;
	for (int i = 0; i < p.n; i++) {
		uint64_t g = 0;
		v1_attr(&p.t[i].attrs, P1_GROUP, &g);
		if (g == group)
			p.t[keep++] = p.t[i];
	}
	p.n = keep;
	sa->group = (uint16_t)group;
	p1_identity(sa, &sa->id_local);
	sa->p1->id_i_len = p1_id_body(&sa->id_local, sa->p1->id_i_b);
	if (!p1_make_ke_nonce(sa, true)) {
		v1_set_state(sa, V1_DEAD);
		return;
	}
	header(sa, &b);
	v1_sa_add(&b, &p);
	struct ike_payload sap = { ISA_SA, false, b.buf + IKE_HDR_LEN + 4, (uint16_t)(b.w.off - IKE_HDR_LEN - 4) };
	p1_save_sa_i(sa, &sap);
	p1_add_ke_nonce(sa, &b, true);
	p1_add_id(&b, &sa->id_local);
	v1_sig_add_cr(sa, &b);
	p1_add_vendor_ids(sa, &b);
	v1_set_state(sa, V1_AM_I1);
	size_t len = ike_build_finish(&b);
	if (len)
		v1_send(sa, b.buf, len, true);
}

void v1_aggressive_respond(struct v1_sa *sa, const struct isakmp_message *m)
{
	struct ike_builder b;
	if (sa->conn->local.auth == AUTH_PSK)
		LOG_WARN_LIMITED("%s: IKEv1 Aggressive Mode with a PSK: the PSK hash is exposed to offline guessing",
				 sa->conn->name);
	v1_sig_take_cr(sa, m);
	if (!p1_parse_id(isakmp_find(m, ISA_ID), &sa->id_remote, sa->p1->id_i_b, &sa->p1->id_i_len) ||
	    !p1_connection_for_id(sa) || !p1_take_ke_nonce(sa, m, true) ||
	    !p1_make_ke_nonce(sa, false) || !p1_derive(sa)) {
		LOG_WARN_LIMITED("%s: Aggressive Mode request refused (identity, KE or nonce)", sa->conn->name);
		v1_set_state(sa, V1_DEAD);
		return;
	}
	p1_identity(sa, &sa->id_local);
	sa->p1->id_r_len = p1_id_body(&sa->id_local, sa->p1->id_r_b);
	struct v1_proposal p = { .num = 1, .protocol = PROTO_IKE, .n = 1 };
	p.t[0] = sa->chosen;
	header(sa, &b);
	v1_sa_add(&b, &p);
	p1_add_ke_nonce(sa, &b, false);
	p1_add_id(&b, &sa->id_local);
	if (!p1_add_auth(sa, &b, false)) {
		v1_set_state(sa, V1_DEAD);
		return;
	}
	v1_sig_add_cr(sa, &b);
	p1_add_nat_d(sa, &b);
	p1_add_vendor_ids(sa, &b);
	v1_set_state(sa, V1_AM_R2);
	size_t len = ike_build_finish(&b);
	if (len)
		v1_send(sa, b.buf, len, true);
}

/* The initiator's answer to message 2, or the responder's handling of message 3. */
void v1_aggressive_process(struct v1_sa *sa, const struct isakmp_message *m)
{
	struct v1_proposal got[2];
	const struct ike_payload *sap;
	if (sa->state == V1_AM_R2) {
		p1_check_nat_d(sa, m);
		if (p1_verify_auth(sa, m, true) && (sa->conn->xauth_remote || v1_unique_admits(sa))) {
			p1_established(sa);
			return;
		}
		v1_send_error(sa, V1N_AUTHENTICATION_FAILED);
		v1_set_state(sa, V1_DEAD);
		return;
	}
	if (sa->state != V1_AM_I1)
		return;
	/* our certificate stays the one whose ID went out in message 1; it goes with message 3 as send_cert says */
	sa->peer_cr = isakmp_find(m, ISA_CR) != NULL;
	sa->cky_r = m->hdr.cky_r;
	sap = isakmp_find(m, ISA_SA);
	if (!sap || v1_sa_parse(sap, got, 2) != 1 || got[0].n != 1 || !p1_select(sa->conn, &got[0], &sa->chosen) ||
	    !p1_adopt(sa, &got[0].t[0]) || !p1_take_ke_nonce(sa, m, false) ||
	    !p1_parse_id(isakmp_find(m, ISA_ID), &sa->id_remote, sa->p1->id_r_b, &sa->p1->id_r_len) ||
	    !identity_matches(sa->conn->remote.id, &sa->id_remote) || !p1_derive(sa) || !p1_verify_auth(sa, m, false)) {
		LOG_WARN("%s: Aggressive Mode response refused", sa->conn->name);
		v1_set_state(sa, V1_DEAD);
		return;
	}
	p1_read_vendor_ids(sa, m);
	p1_check_nat_d(sa, m); /* our certificate stays the one whose ID went out in message 1 */
	struct ike_builder b;
	p1_float(sa);
	header(sa, &b);
	if (!p1_add_auth(sa, &b, true)) {
		v1_set_state(sa, V1_DEAD);
		return;
	}
	p1_add_nat_d(sa, &b);
	size_t len = v1_encrypt(sa, &b, sa->iv);
	if (len) /* kept, to answer a repeated message 2 */
		v1_send(sa, b.buf, len, true);
	p1_established(sa);
	v1_after_phase1(sa);
}
