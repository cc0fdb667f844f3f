/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpikectl load-creds, as swanctl --load-creds: the configuration file read again (ctl_load.c) and its
 * shared secrets (PSKs, XAuth and EAP passwords) put in place of the running ones, without a
 * restart: new users and changed keys count from the next authentication, established SAs
 * stay. Secrets are read only while a peer authenticates, on this (the control) core, so the
 * swap needs no lock. The whole file must load as at start-up, or nothing changes. Private keys
 * go with the connections that use them (load-conns); a change to them is reported here.
 */
#include <stdlib.h>
#include <string.h>

#include "appliance.h"
#include "lib/log.h"
#include "lib/parse.h"

static int count_type(const struct dpike_config *c, int type)
{
	int n = 0;
	for (int i = 0; i < c->n_secrets; i++)
		n += (int)c->secrets[i].type == type;
	return n;
}

static bool same_private_keys(const struct dpike_config *a, const struct dpike_config *b)
{
	if (count_type(a, SECRET_PRIVATE) != count_type(b, SECRET_PRIVATE))
		return false;
	for (int i = 0, k = 0; i < a->n_secrets; i++) {
		if (a->secrets[i].type != SECRET_PRIVATE)
			continue;
		while (b->secrets[k].type != SECRET_PRIVATE)
			k++;
		if (strcmp(a->secrets[i].file, b->secrets[k++].file) != 0)
			return false;
	}
	return true;
}

int ctl_creds_take(struct appliance *app, struct dpike_config *fresh, bool json, struct strbuf *o)
{
	bool keys_same = same_private_keys(&app->cfg, fresh);
	struct cfg_secret *old = app->cfg.secrets;
	int n_old = app->cfg.n_secrets;
	struct cfg_secret_index old_index = app->cfg.secret_index;
	app->cfg.secrets = fresh->secrets;
	app->cfg.n_secrets = fresh->n_secrets;
	app->cfg.secret_index = fresh->secret_index; /* none yet: built at the next lookup */
	fresh->secrets = old; /* wiped when the caller frees fresh */
	fresh->n_secrets = n_old;
	fresh->secret_index = old_index;
	int ike = count_type(&app->cfg, SECRET_IKE), xauth = count_type(&app->cfg, SECRET_XAUTH),
	    eap = count_type(&app->cfg, SECRET_EAP);
	LOG_INFO("credentials loaded again from %s: %d shared keys, %d XAuth and %d EAP passwords%s", app->cfg.path, ike,
		 xauth, eap, keys_same ? "" : "; private keys changed: load-conns takes them with the connections that use them");
	if (json)
		sb_printf(o, "{\"ike\":%d,\"xauth\":%d,\"eap\":%d,\"private_keys_changed\":%s}\n", ike, xauth, eap,
			  keys_same ? "false" : "true");
	else
		sb_printf(o, "loaded %d shared keys, %d XAuth and %d EAP passwords%s\n", ike, xauth, eap,
			  keys_same ? "" : "\nprivate keys changed in the file: load-conns (or load-all) takes them with the connections that use them");
	return 0;
}
