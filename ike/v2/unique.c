/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE SAs between the same identities: INITIAL_CONTACT (RFC 7296 2.4) and swanctl's unique
 * (no, never, keep, replace), applied when a new IKE SA has authenticated its peer.
 */
#include "ike/identity.h"
#include "ike_sa.h"
#include "lib/log.h"

/* o is an established IKE SA of sa's connection between the same identities (not the one sa reauthenticates). */
static bool duplicate_of(const struct ike_sa *o, const struct ike_sa *sa)
{
	return o != sa && o != sa->reauth_of && o->conn == sa->conn && o->state == IKE_SA_ESTABLISHED &&
	       identity_pair_equal(&o->id_remote, &o->id_local, &sa->id_remote, &sa->id_local);
}

bool ike_unique_admits(const struct ike_sa *sa)
{
	if (sa->conn->unique != CFG_UNIQUE_KEEP)
		return true;
	for (struct ike_sa *o = ike_sa_same_ids(sa); o; o = ike_sa_next_same_ids(o))
		if (duplicate_of(o, sa)) {
			LOG_WARN("%s: IKE_SA #%u refused: IKE_SA #%u holds the same identities (unique = keep)",
				 sa->conn->name, sa->serial, o->serial);
			return false;
		}
	return true;
}

/* Every other SA between the same identities, of any connection, in any state. */
static void forget_previous(struct ike_sa *sa)
{
	/* A dead SA stays in its list until freed: the walk goes on from it. */
	for (struct ike_sa *o = ike_sa_same_ids(sa); o; o = ike_sa_next_same_ids(o)) {
		if (o == sa || o->state == IKE_SA_DEAD ||
		    !identity_pair_equal(&o->id_remote, &o->id_local, &sa->id_remote, &sa->id_local))
			continue;
		LOG_INFO("%s: IKE_SA #%u left over from before the peer restarted (INITIAL_CONTACT in #%u); removing it",
			 o->conn->name, o->serial, sa->serial);
		while (o->children)
			child_destroy(o, o->children);
		ike_sa_set_state(o, IKE_SA_DEAD);
	}
}

static void replace_others(struct ike_sa *sa)
{
	for (struct ike_sa *o = ike_sa_same_ids(sa); o; o = ike_sa_next_same_ids(o))
		if (duplicate_of(o, sa)) {
			LOG_INFO("%s: deleting IKE_SA #%u, replaced by IKE_SA #%u between the same identities (unique = replace)",
				 o->conn->name, o->serial, sa->serial);
			ike_sa_delete(o); /* stays listed, DELETING, until answered */
		}
}

void ike_unique_established(struct ike_sa *sa, bool initial_contact)
{
	if (initial_contact && sa->conn->unique != CFG_UNIQUE_NEVER)
		forget_previous(sa);
	else if (sa->conn->unique == CFG_UNIQUE_REPLACE)
		replace_others(sa);
}
