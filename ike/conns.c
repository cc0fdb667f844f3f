/* SPDX-License-Identifier: BSD-3-Clause */
#include "conns.h"

#include "credentials.h"

/* refs and dropped are the fields of a connection that change after loading, on the control core only. */
static struct cfg_connection *writable(const struct cfg_connection *c)
{
	return (struct cfg_connection *)(uintptr_t)c;
}

void ike_conn_hold(const struct cfg_connection *c)
{
	if (c)
		writable(c)->refs++;
}

void ike_conn_put(const struct cfg_connection *c)
{
	if (c == NULL || --writable(c)->refs > 0)
		return;
	credentials_put(c->creds_set);
	config_connection_free(writable(c));
}

uint64_t ike_conn_started_children(const struct cfg_connection *c)
{
	uint64_t bits = 0;
	for (int k = 0; k < c->n_children; k++)
		if (c->children[k].start_action == START_START)
			bits |= ike_child_bit(c, &c->children[k]);
	return bits;
}

void ike_conn_set(const struct cfg_connection **slot, const struct cfg_connection *c)
{
	ike_conn_hold(c);
	ike_conn_put(*slot);
	*slot = c;
}
