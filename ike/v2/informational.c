/* SPDX-License-Identifier: BSD-3-Clause */
/* INFORMATIONAL (RFC 7296 1.4): Delete for IKE and child SAs, liveness checks; MOBIKE's notifies (mobike.c). */
#include <string.h>

#include "ike_sa.h"
#include "lib/log.h"

static size_t build_info(struct ike_sa *sa, struct ike_builder *b, bool response, uint32_t msg_id)
{
	struct ike_header h;
	ike_header_for(sa, &h, INFORMATIONAL, response, msg_id);
	ike_build_start(b, &h);
	ike_sk_begin(b);
	return 0;
}

/* Whether another child of the same configuration stays when c goes: c's rekeyed successor. */
static bool has_successor(const struct ike_sa *sa, const struct child_sa *c)
{
	for (const struct child_sa *x = sa->children; x; x = x->next)
		if (x != c && x->cfg == c->cfg)
			return true;
	return false;
}

/* The child to bring back (close_action = start) when the peer deletes the IKE SA: the first such. */
static const struct cfg_child *reopen_of_ike(const struct ike_sa *sa)
{
	for (const struct child_sa *x = sa->children; x; x = x->next)
		if (x->cfg->close_action == CLOSE_START)
			return x->cfg;
	return NULL;
}

void ike_info_respond(struct ike_sa *sa, const struct ike_message *msg)
{
	struct ike_builder b;
	uint32_t gone[IKE_MAX_PAYLOADS];
	uint16_t n_gone = 0;
	bool delete_ike = false;
	const struct cfg_child *reopen = NULL; /* closed by the peer for good, with close_action = start */
	build_info(sa, &b, true, msg->hdr.msg_id);
	mobike_respond(sa, msg, &b);
	for (int i = 0; i < msg->n; i++) {
		struct ike_delete del;
		if (msg->pl[i].type != PL_DELETE || !delete_parse(&msg->pl[i], &del))
			continue;
		if (del.protocol == PROTO_IKE) {
			delete_ike = true;
			continue;
		}
		for (uint16_t k = 0; k < del.n && n_gone < IKE_MAX_PAYLOADS; k++) {
			const uint8_t *s = del.spis + 4 * k;
			struct child_sa *c = child_by_spi(sa, (uint32_t)s[0] << 24 | s[1] << 16 | s[2] << 8 | s[3], true);
			if (c == NULL)
				continue;
			/* RFC 7296 1.4.1: answer with our half of each pair, unless we already asked */
			if (c->state != CHILD_DELETING)
				gone[n_gone++] = c->spi_in;
			if (c->state != CHILD_DELETING && c->cfg->close_action == CLOSE_START && !has_successor(sa, c))
				reopen = c->cfg;
			child_destroy(sa, c); /* its successor, if waiting, takes over first */
		}
	}
	if (n_gone && !delete_ike)
		delete_add(&b, PROTO_ESP, gone, n_gone);
	size_t len = ike_sk_finish(sa, &b);
	if (len)
		ike_send_response(sa, b.buf, len, msg->hdr.msg_id);
	if (delete_ike) {
		LOG_INFO("%s: IKE_SA #%u deleted by the peer", sa->conn->name, sa->serial);
		reopen = reopen_of_ike(sa);
		ike_sa_set_state(sa, IKE_SA_DEAD);
	}
	if (reopen)
		ike_start_child(sa->d, sa->conn, reopen, "the peer closed it (close_action = start)");
}

void ike_info_process_response(struct ike_sa *sa, const struct ike_message *msg)
{
	(void)msg;
	/* our Delete for rekeyed or terminated children is answered: their inbound SAs can go */
	for (struct child_sa *c = sa->children; c;) {
		struct child_sa *next = c->next;
		if (c->state == CHILD_DELETING)
			child_destroy(sa, c);
		c = next;
	}
	if (sa->state == IKE_SA_DELETING) {
		LOG_INFO("%s: IKE_SA #%u deleted", sa->conn->name, sa->serial);
		ike_sa_set_state(sa, IKE_SA_DEAD);
	}
}

void ike_send_delete(struct ike_sa *sa, uint8_t protocol, const uint32_t *spis, uint16_t n)
{
	struct ike_builder b;
	build_info(sa, &b, false, sa->next_out_id);
	delete_add(&b, protocol, spis, n);
	size_t len = ike_sk_finish(sa, &b);
	if (len)
		ike_send_request(sa, b.buf, len, INFORMATIONAL);
}

void ike_send_liveness(struct ike_sa *sa)
{
	struct ike_builder b;
	build_info(sa, &b, false, sa->next_out_id);
	size_t len = ike_sk_finish(sa, &b);
	if (len)
		ike_send_request(sa, b.buf, len, INFORMATIONAL);
}
