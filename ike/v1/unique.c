/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ISAKMP SAs between the same identities: INITIAL-CONTACT (RFC 2407 4.6.3.3) and swanctl's
 * unique (no, never, keep, replace), applied once phase 1 (or XAuth after it) has authenticated
 * the peer.
 */
#include <string.h>

#include "ike/identity.h"
#include "lib/log.h"
#include "v1_sa.h"

/* o is an established ISAKMP SA of sa's connection and user from another address. */
static bool duplicate_of(const struct v1_sa *o, const struct v1_sa *sa)
{
	return o != sa && o->conn == sa->conn && o->state == V1_ESTABLISHED && !o->superseded &&
	       o->remote.addr != sa->remote.addr && strcmp(o->xauth_user, sa->xauth_user) == 0 &&
	       identity_pair_equal(&o->id_remote, &o->id_local, &sa->id_remote, &sa->id_local);
}

static struct v1_sa *first_duplicate(const struct v1_sa *sa)
{
	for (struct v1_sa *o = v1_contact_first(sa); o; o = v1_contact_next(o))
		if (duplicate_of(o, sa))
			return o;
	return NULL;
}

bool v1_unique_admits(const struct v1_sa *sa)
{
	const struct v1_sa *o = sa->conn->unique == CFG_UNIQUE_KEEP ? first_duplicate(sa) : NULL;
	if (o)
		LOG_WARN("%s: ISAKMP SA #%u refused: #%u from %u.%u.%u.%u holds the same identities (unique = keep)",
			 sa->conn->name, sa->serial, o->serial, o->remote.addr >> 24, (o->remote.addr >> 16) & 255,
			 (o->remote.addr >> 8) & 255, o->remote.addr & 255);
	return o == NULL;
}

/* Every other ISAKMP SA between the same identities, of any connection, from whatever address. */
static void forget_previous(struct v1_sa *sa)
{
	/* a dead SA stays listed until reaped */
	for (struct v1_sa *o = v1_contact_first(sa); o; o = v1_contact_next(o)) {
		if (o == sa || o->state != V1_ESTABLISHED ||
		    !identity_pair_equal(&o->id_remote, &o->id_local, &sa->id_remote, &sa->id_local))
			continue;
		LOG_INFO("%s: ISAKMP SA #%u left over from before the peer restarted (INITIAL-CONTACT in #%u); removing it",
			 o->conn->name, o->serial, sa->serial);
		while (o->children)
			v1_child_destroy(o, o->children);
		v1_set_state(o, V1_DEAD);
	}
}

static void replace_others(struct v1_sa *sa)
{
	for (struct v1_sa *o = first_duplicate(sa); o; o = first_duplicate(sa)) {
		LOG_INFO("%s: deleting ISAKMP SA #%u, replaced by #%u between the same identities (unique = replace)",
			 o->conn->name, o->serial, sa->serial);
		v1_sa_delete(o); /* dead now: no duplicate any more */
	}
}

bool v1_unique_established(struct v1_sa *sa, bool initial_contact)
{
	if (sa->initiator && !v1_unique_admits(sa)) {
		v1_sa_delete(sa);
		return false;
	}
	if (initial_contact && sa->conn->unique != CFG_UNIQUE_NEVER)
		forget_previous(sa);
	else if (sa->conn->unique == CFG_UNIQUE_REPLACE && !sa->conn->xauth_remote)
		replace_others(sa);
	return true;
}

void v1_unique_after_xauth(struct v1_sa *sa)
{
	if (sa->conn->unique == CFG_UNIQUE_REPLACE)
		replace_others(sa);
}
