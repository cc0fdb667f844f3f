/* SPDX-License-Identifier: BSD-3-Clause */
/* dpikectl list-conns: the connections as configured, with their children, as `swanctl --list-conns` shows them. */
#include <stdio.h>
#include <string.h>

#include "appliance.h"
#include "lib/parse.h"

static const char *version_name(int v)
{
	return v == 1 ? "IKEv1" : v == 2 ? "IKEv2" : "IKEv1/2";
}

static const char *auth_name(const struct cfg_auth *a)
{
	if (a->auth == AUTH_EAP)
		return a->eap_type == 4 ? "eap-md5" : "eap-mschapv2";
	return a->auth == AUTH_PSK ? "psk" : a->auth == AUTH_PUBKEY ? "pubkey" : "none";
}

/* A list of strings: a JSON array, or comma-separated text ("%any" when empty). */
static void strings(struct strbuf *o, bool json, const char *list, size_t stride, int n)
{
	if (json)
		sb_printf(o, "[");
	for (int i = 0; i < n; i++) {
		const char *s = list + (size_t)i * stride;
		if (json) {
			sb_json_str(o, s);
			sb_printf(o, ",");
		} else {
			sb_printf(o, "%s%s", i ? ", " : "", s);
		}
	}
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "]");
	} else if (n == 0) {
		sb_printf(o, "%%any");
	}
}

/* Selectors as written: prefixes, dynamic; none is swanctl's default, dynamic. */
static void selectors(struct strbuf *o, bool json, const struct cfg_ts_list *l)
{
	char list[CFG_MAX_TS][48];
	for (int i = 0; i < l->n; i++)
		ts_format(&l->ts[i], list[i], sizeof(list[i]));
	if (l->n == 0)
		snprintf(list[0], sizeof(list[0]), "dynamic");
	strings(o, json, &list[0][0], sizeof(list[0]), l->n ? l->n : 1);
}

/* swanctl's names of start_action, dpd_action and close_action, in the enums' order */
static const char *const starts[] = { "none", "trap", "start" }, *const dpds[] = { "clear", "trap", "restart" },
			 *const closes[] = { "none", "trap", "start" };

static void child_text(const struct cfg_child *ch, struct strbuf *o)
{
	sb_printf(o, "  %s: %s, rekey %lus, start %s, dpd %s, close %s", ch->name,
		  ch->mode == IPSEC_MODE_TUNNEL ? "TUNNEL" : "TRANSPORT", (unsigned long)ch->rekey_time,
		  starts[ch->start_action], dpds[ch->dpd_action], closes[ch->close_action]);
	if (ch->inactivity)
		sb_printf(o, ", inactivity %lus", (unsigned long)ch->inactivity);
	sb_printf(o, "\n    esp: ");
	strings(o, false, (const char *)ch->esp_proposals, sizeof(ch->esp_proposals[0]), ch->n_esp_proposals);
	sb_printf(o, "\n    local:  ");
	selectors(o, false, &ch->local_ts);
	sb_printf(o, "\n    remote: ");
	selectors(o, false, &ch->remote_ts);
	if (ch->updown[0])
		sb_printf(o, "\n    updown: %s%s", ch->updown, ch->hostaccess ? " (hostaccess)" : "");
	sb_printf(o, "\n");
}

static void child_json(const struct cfg_child *ch, struct strbuf *o)
{
	sb_printf(o, "{\"name\":");
	sb_json_str(o, ch->name);
	sb_printf(o, ",\"mode\":\"%s\",\"rekey_time\":%lu,\"life_time\":%lu,\"inactivity\":%lu,\"start_action\":\"%s\","
		     "\"dpd_action\":\"%s\",\"close_action\":\"%s\",\"esp_proposals\":",
		  ch->mode == IPSEC_MODE_TUNNEL ? "tunnel" : "transport", (unsigned long)ch->rekey_time,
		  (unsigned long)ch->life_time, (unsigned long)ch->inactivity, starts[ch->start_action],
		  dpds[ch->dpd_action], closes[ch->close_action]);
	strings(o, true, (const char *)ch->esp_proposals, sizeof(ch->esp_proposals[0]), ch->n_esp_proposals);
	sb_printf(o, ",\"local_ts\":");
	selectors(o, true, &ch->local_ts);
	sb_printf(o, ",\"remote_ts\":");
	selectors(o, true, &ch->remote_ts);
	if (ch->updown[0]) {
		sb_printf(o, ",\"updown\":");
		sb_json_str(o, ch->updown);
		sb_printf(o, ",\"hostaccess\":%s", ch->hostaccess ? "true" : "false");
	}
	sb_printf(o, "},");
}

static const char *const uniques[] = { "no", "never", "keep", "replace" };

static void conn_text(const struct cfg_connection *c, struct strbuf *o)
{
	sb_printf(o, "%s: %s, ", c->name, version_name(c->version));
	strings(o, false, &c->local_addrs[0][0], sizeof(c->local_addrs[0]), c->n_local_addrs);
	sb_printf(o, "...");
	strings(o, false, &c->remote_addrs[0][0], sizeof(c->remote_addrs[0]), c->n_remote_addrs);
	sb_printf(o, ", rekey %lus, dpd %lus, unique %s\n  proposals: ", (unsigned long)c->rekey_time,
		  (unsigned long)c->dpd_delay, uniques[c->unique]);
	strings(o, false, (const char *)c->proposals, sizeof(c->proposals[0]), c->n_proposals);
	sb_printf(o, "\n  local %s authentication: %s\n  remote %s authentication: %s\n", auth_name(&c->local),
		  c->local.id[0] ? c->local.id : "(default)", auth_name(&c->remote), c->remote.id[0] ? c->remote.id : "%any");
	if (c->xauth_remote || c->xauth_local)
		sb_printf(o, "  XAuth: %s\n", c->xauth_remote ? "asked of the peer" : "answered for the peer");
	if (c->remote.auth == AUTH_EAP)
		sb_printf(o, "  EAP identity: %s\n", strcmp(c->remote.eap_id, "%any") == 0 ? "asked of the peer"
						  : c->remote.eap_id[0]		 ? c->remote.eap_id
										 : "the IKE identity");
	for (int k = 0; k < c->n_children; k++)
		child_text(&c->children[k], o);
}

static void conn_json(const struct cfg_connection *c, struct strbuf *o)
{
	sb_printf(o, "{\"name\":");
	sb_json_str(o, c->name);
	sb_printf(o, ",\"version\":%d,\"local_addrs\":", c->version);
	strings(o, true, &c->local_addrs[0][0], sizeof(c->local_addrs[0]), c->n_local_addrs);
	sb_printf(o, ",\"remote_addrs\":");
	strings(o, true, &c->remote_addrs[0][0], sizeof(c->remote_addrs[0]), c->n_remote_addrs);
	sb_printf(o, ",\"proposals\":");
	strings(o, true, (const char *)c->proposals, sizeof(c->proposals[0]), c->n_proposals);
	sb_printf(o, ",\"rekey_time\":%lu,\"reauth_time\":%lu,\"dpd_delay\":%lu,\"unique\":\"%s\",\"local_auth\":\"%s\","
		     "\"local_id\":",
		  (unsigned long)c->rekey_time, (unsigned long)c->reauth_time, (unsigned long)c->dpd_delay,
		  uniques[c->unique], auth_name(&c->local));
	sb_json_str(o, c->local.id);
	sb_printf(o, ",\"remote_auth\":\"%s\",\"remote_id\":", auth_name(&c->remote));
	sb_json_str(o, c->remote.id);
	if (c->remote.auth == AUTH_EAP) {
		sb_printf(o, ",\"remote_eap_id\":");
		sb_json_str(o, c->remote.eap_id);
	}
	sb_printf(o, ",\"xauth\":\"%s\",\"children\":[",
		  c->xauth_remote ? "server" : c->xauth_local ? "client" : "none");
	for (int k = 0; k < c->n_children; k++)
		child_json(&c->children[k], o);
	sb_trim_comma(o);
	sb_printf(o, "]},");
}

void ctl_list_conns(struct appliance *app, bool json, struct strbuf *o)
{
	const struct dpike_config *cfg = &app->cfg;
	if (json)
		sb_printf(o, "{\"connections\":[");
	for (int i = 0; i < cfg->n_connections; i++) {
		if (json)
			conn_json(cfg->connections[i], o);
		else
			conn_text(cfg->connections[i], o);
	}
	if (json) {
		sb_trim_comma(o);
		sb_printf(o, "]}\n");
	} else if (cfg->n_connections == 0) {
		sb_printf(o, "no connections\n");
	}
}
