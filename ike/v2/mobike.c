/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MOBIKE (RFC 4555), the responder's part: a client that changed its address (a phone moving
 * from Wi-Fi to mobile data) tells the gateway with UPDATE_SA_ADDRESSES in an INFORMATIONAL
 * request sent from its new address, and the IKE SA and its children move there without a new
 * handshake. dpike announces MOBIKE_SUPPORTED in its IKE_AUTH response to an initiator that
 * announced it (unless the connection says `mobike = no`); as an initiator it stays where it is.
 * A move into or out of a NAT changes whether ESP goes in UDP: the children are rekeyed at once,
 * their successors made with the encapsulation the new path needs (an SA's is fixed when it is
 * installed), so what the peer sends the other way meanwhile is lost for one exchange only.
 * What dpike does not do: a return routability check before sending to the new address (the
 * request is authenticated; RFC 4555 3.5 leaves the check to the responder's policy), nor use
 * the peer's ADDITIONAL_*_ADDRESS lists (only the initiator chooses the addresses).
 */
#include <stdio.h>

#include "ike_sa.h"
#include "lib/log.h"
#include "lib/parse.h"

static void format_endpoint(const struct ike_endpoint *e, char *buf, size_t len)
{
	char ip[16];
	format_ipv4(e->addr, ip, sizeof(ip));
	snprintf(buf, len, "%s:%u", ip, e->port);
}

static void rekey_for_encapsulation(struct ike_sa *sa, const char *from, bool nat)
{
	LOG_INFO("%s: IKE_SA #%u: the new path from %s %s a NAT; rekeying its child SAs %s UDP encapsulation",
		 sa->conn->name, sa->serial, from, nat ? "crosses" : "no longer crosses", nat ? "with" : "without");
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->state == CHILD_INSTALLED)
			c->rekey_ms = ike_now(sa->d); /* on the next tick, one at a time */
	ike_sa_wake(sa);
}

/* RFC 4555 3.5: the addresses come from the IP header of the (authenticated) request itself. */
static void update_addresses(struct ike_sa *sa, const struct ike_message *req, struct ike_builder *b)
{
	char from[32];
	struct ike_endpoint local_before = sa->local, remote_before = sa->remote; /* kept if the move is refused */
	bool nat_local_before = sa->nat_local, nat_remote_before = sa->nat_remote;
	bool nat_before = nat_local_before || nat_remote_before;
	format_endpoint(&sa->rx_remote, from, sizeof(from));
	sa->local = sa->rx_local;
	sa->remote = sa->rx_remote;
	nat_check(sa, req); /* hashes of the new addresses against those the request carries */
	sa->remote = remote_before; /* the move itself below, children with it */
	bool nat = sa->nat_local || sa->nat_remote;
	if (nat && ike_find_notify(req, N_NO_NATS_ALLOWED)) {
		LOG_WARN("%s: IKE_SA #%u: MOBIKE update from %s through a NAT the peer does not allow; not moved",
			 sa->conn->name, sa->serial, from);
		notify_add(b, 0, NULL, 0, N_UNEXPECTED_NAT_DETECTED, NULL, 0);
		sa->local = local_before;
		sa->nat_local = nat_local_before;
		sa->nat_remote = nat_remote_before;
		return;
	}
	ike_move_peer(sa, &sa->rx_remote, "UPDATE_SA_ADDRESSES from there: MOBIKE");
	if (nat != nat_before && !sa->conn->encap)
		rekey_for_encapsulation(sa, from, nat);
}

void mobike_respond(struct ike_sa *sa, const struct ike_message *req, struct ike_builder *b)
{
	if (!sa->mobike)
		return;
	if (ike_find_notify(req, N_UPDATE_SA_ADDRESSES))
		update_addresses(sa, req, b);
	/* the request's NAT detection is answered in kind, from where the SA now is */
	if (ike_find_notify(req, N_NAT_DETECTION_SOURCE_IP))
		nat_add_notifies(b, sa, sa->conn->encap);
	struct ike_notify cookie2;
	const struct ike_payload *p = ike_find_notify(req, N_COOKIE2);
	if (p && notify_parse(p, &cookie2)) /* echoed, so the peer knows the answer is to this request */
		notify_add(b, 0, NULL, 0, N_COOKIE2, cookie2.data, cookie2.data_len);
}
