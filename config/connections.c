/* SPDX-License-Identifier: BSD-3-Clause */
/* The IKE sections: connections with their children (swanctl.conf names), and secrets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cfg_reader.h"
#include "dataplane/esp_algo.h"
#include "ike/proposal.h"
#include "lib/log.h"
#include "lib/parse.h"

/* Every cipher of an ESP proposal with every integrity algorithm of it is a transform the dataplane has. */
static bool esp_combinations_exist(const struct proposal *p, char *why, size_t why_len)
{
	for (int e = 0; e < p->n[TRANS_ENCR]; e++)
		for (int h = 0; h < (p->n[TRANS_INTEG] ? p->n[TRANS_INTEG] : 1); h++) {
			struct proposal pair = { .n = { [TRANS_ENCR] = 1 } };
			pair.t[TRANS_ENCR][0] = p->t[TRANS_ENCR][e];
			if (p->n[TRANS_INTEG]) {
				pair.n[TRANS_INTEG] = 1;
				pair.t[TRANS_INTEG][0] = p->t[TRANS_INTEG][h];
			}
			uint16_t integ = pair.n[TRANS_INTEG] ? pair.t[TRANS_INTEG][0].id : 0;
			if (esp_algo_from_ike(pair.t[TRANS_ENCR][0].id, pair.t[TRANS_ENCR][0].key_bits, integ) < 0) {
				char name[64];
				proposal_format(&pair, name, sizeof(name));
				snprintf(why, why_len, "the dataplane has no ESP transform %s", name);
				return false;
			}
		}
	return true;
}

/*
 * A list of at most max strings of size bytes (items: swanctl's comma-separated form too), kept in
 * memory of its own size at *list: a record holds the one or two a concentrator's connection has,
 * not room for max.
 */
static int get_kept_list(struct cfg_reader *r, const config_setting_t *g, const char *key, bool items, size_t size,
			 int max, void **list, int *n)
{
	char read[CFG_MAX_SECRET_IDS * 256];
	if ((size_t)max * size > sizeof(read))
		return cfg_fail(r, g, "'%s': a list too long to read", key);
	if ((items ? cfg_get_items(r, g, key, false, read, size, max, n)
		   : cfg_get_strings(r, g, key, false, read, size, max, n)) < 0)
		return -1;
	if (*n == 0)
		return 0;
	*list = malloc((size_t)*n * size);
	if (*list == NULL)
		return cfg_fail(r, g, "out of memory");
	memcpy(*list, read, (size_t)*n * size);
	return 0;
}

static int get_proposals(struct cfg_reader *r, const config_setting_t *g, const char *key, char (**list)[128], int *n)
{
	return get_kept_list(r, g, key, true, sizeof(**list), CFG_MAX_PROPOSALS, (void **)list, n);
}

static int get_paths(struct cfg_reader *r, const config_setting_t *g, const char *key, char (**list)[256], int *n)
{
	return get_kept_list(r, g, key, false, sizeof(**list), CFG_MAX_AUTH_CERTS, (void **)list, n);
}

static int check_proposals(struct cfg_reader *r, const config_setting_t *g, const char *key,
			   char props[][128], int n, enum proposal_kind kind)
{
	for (int i = 0; i < n; i++) {
		struct proposal p;
		char why[128];
		if (strcmp(props[i], "default") == 0)
			continue;
		if (!proposal_parse(props[i], kind, true, &p, why, sizeof(why)) ||
		    (kind == PROPOSAL_ESP && !esp_combinations_exist(&p, why, sizeof(why))))
			return cfg_fail(r, config_setting_get_member(g, key), "%s '%s': %s", key, props[i], why);
		if (proposal_is_weak(&p))
			LOG_WARN("%s:%d: %s '%s' uses 3DES, MD5 or DH group 1, 2 or 5: weak, accepted only because it is "
				 "listed", r->file, config_setting_source_line(config_setting_get_member(g, key)), key,
				 props[i]);
	}
	return 0;
}

/*
 * swanctl's auth values: "psk", "eap-md5", "eap-mschapv2", or a public key round "pubkey", "rsa",
 * "rsa/pss", "ecdsa", "ed25519", optionally with the hash to sign with ("rsa/pss-sha384").
 */
static bool auth_from_string(const char *v, struct cfg_auth *a)
{
	static const struct {
		const char *name;
		enum auth_key_type type;
		bool pss;
	} kinds[] = { { "pubkey", AUTH_KEY_ANY, false }, { "rsa/pss", AUTH_KEY_RSA, true }, { "rsa", AUTH_KEY_RSA, false },
		      { "ecdsa", AUTH_KEY_ECDSA, false }, { "ed25519", AUTH_KEY_ED25519, false } };
	static const char *const hashes[] = { "", "-sha1", "-sha256", "-sha384", "-sha512" };
	if (strcmp(v, "psk") == 0) {
		a->auth = AUTH_PSK;
		return true;
	}
	if (strcmp(v, "eap-md5") == 0 || strcmp(v, "eap-mschapv2") == 0) {
		*a = (struct cfg_auth){ .auth = AUTH_EAP, .eap_type = v[4] == 'm' && v[5] == 'd' ? 4 : 26 };
		return true;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t n = strlen(kinds[k].name);
		if (strncmp(v, kinds[k].name, n) != 0)
			continue;
		for (size_t h = 0; h < sizeof(hashes) / sizeof(hashes[0]); h++)
			if (h != 1 && strcmp(v + n, hashes[h]) == 0 && (h == 0 || kinds[k].type != AUTH_KEY_ED25519)) {
				*a = (struct cfg_auth){ .auth = AUTH_PUBKEY, .key_type = kinds[k].type, .rsa_pss = kinds[k].pss,
							.sig_hash = (uint8_t)h };
				return true;
			}
	}
	return false;
}

static int parse_auth(struct cfg_reader *r, const config_setting_t *conn, const char *key, struct cfg_auth *a)
{
	static const char *const keys[] = { "auth", "id", "certs", "cacerts", "eap_id", NULL };
	const config_setting_t *g = config_setting_get_member(conn, key);
	char method[32] = "";
	if (g == NULL)
		return cfg_fail(r, conn, "missing required group '%s'", key);
	if (cfg_get_string(r, g, "auth", false, method, sizeof(method)) < 0)
		return -1;
	if (!auth_from_string(method, a))
		return cfg_fail(r, config_setting_get_member(g, "auth") ? config_setting_get_member(g, "auth") : g,
				"'%s' needs auth = \"psk\", \"pubkey\", \"rsa\", \"rsa/pss\", \"ecdsa\", \"ed25519\", "
				"\"eap-md5\" or \"eap-mschapv2\" (a public key method may end in -sha256, -sha384 or -sha512)",
				key);
	if (cfg_check_keys(r, g, keys) < 0 ||
	    cfg_get_string(r, g, "id", false, a->id, sizeof(a->id)) < 0 ||
	    get_paths(r, g, "certs", &a->certs, &a->n_certs) < 0 || get_paths(r, g, "cacerts", &a->cacerts, &a->n_cacerts) < 0 ||
	    cfg_get_string(r, g, "eap_id", false, a->eap_id, sizeof(a->eap_id)) < 0)
		return -1;
	a->line = config_setting_source_line(g);
	if (a->auth == AUTH_EAP && strcmp(key, "local") == 0)
		return cfg_fail(r, g, "local auth = \"%s\": dpike authenticates peers by EAP, it is no EAP client; "
				"use psk or a public key here", method);
	if (a->eap_id[0] && a->auth != AUTH_EAP)
		return cfg_fail(r, config_setting_get_member(g, "eap_id"), "eap_id goes with auth = \"eap-...\"");
	if (a->auth == AUTH_PUBKEY && strcmp(key, "local") == 0 && a->n_certs == 0)
		return cfg_fail(r, g, "local auth = \"%s\" needs certs", method);
	if (a->auth != AUTH_PUBKEY && (a->n_certs || a->n_cacerts))
		return cfg_fail(r, g, "'%s' certs and cacerts go with a public key auth, not \"%s\"", key, method);
	if (a->auth == AUTH_PUBKEY && strcmp(key, "remote") == 0 && a->n_cacerts == 0)
		return cfg_fail(r, g, "remote auth = \"%s\" needs cacerts to check the peer's certificate against", method);
	return 0;
}

static int parse_child_times(struct cfg_reader *r, const config_setting_t *g, struct cfg_child *c)
{
	c->rekey_time = 3600;
	return cfg_get_duration(r, g, "rekey_time", &c->rekey_time) < 0 ||
			       cfg_get_duration(r, g, "life_time", &c->life_time) < 0 ||
			       cfg_get_duration(r, g, "rand_time", &c->rand_time) < 0 ||
			       cfg_get_count(r, g, "rekey_bytes", &c->rekey_bytes) < 0 ||
			       cfg_get_count(r, g, "life_bytes", &c->life_bytes) < 0 ||
			       cfg_get_count(r, g, "rekey_packets", &c->rekey_packets) < 0 ||
			       cfg_get_count(r, g, "life_packets", &c->life_packets) < 0 ||
			       cfg_get_count(r, g, "rand_bytes", &c->rand_bytes) < 0 ||
			       cfg_get_count(r, g, "rand_packets", &c->rand_packets) < 0
		       ? -1
		       : 0;
}

/* swanctl's defaults for a volume limit: life 10% past rekey, rekeys spread over the difference. */
static int volume_defaults(struct cfg_reader *r, const config_setting_t *g, const char *what, uint64_t rekey,
			   uint64_t *life, uint64_t *rand)
{
	char key[16];
	snprintf(key, sizeof(key), "rand_%s", what);
	bool rand_set = config_setting_get_member(g, key) != NULL;
	if (*life == 0 && rekey)
		*life = rekey + rekey / 10;
	if (*life && rekey > *life)
		return cfg_fail(r, g, "life_%s must not be smaller than rekey_%s", what, what);
	if (!rand_set)
		*rand = *life > rekey && rekey ? *life - rekey : 0;
	return 0;
}

/* A child of mode pass or drop: a bypass or discard policy between its selectors, no SA. */
static int shunt_child(struct cfg_reader *r, const config_setting_t *g, struct cfg_child *c, enum shunt_action a)
{
	if (c->local_ts.n == 0 || c->remote_ts.n == 0 || cfg_ts_has_dynamic(&c->local_ts) ||
	    cfg_ts_has_dynamic(&c->remote_ts))
		return cfg_fail(r, g, "a child of mode pass or drop needs local_ts and remote_ts as prefixes");
	c->shunt = a == SHUNT_PASS ? CFG_SHUNT_CHILD_PASS : CFG_SHUNT_CHILD_DROP;
	return 0;
}

/* updown is a shell command, as swanctl runs it; one that starts with a path must name a program
 * there, so that a typo stops start-up instead of failing each time a child comes up. */
static int check_updown(struct cfg_reader *r, const config_setting_t *g, const char *cmd)
{
	if (cmd[0] != '/')
		return 0;
	char path[CFG_UPDOWN_MAX];
	size_t n = strcspn(cmd, " \t");
	memcpy(path, cmd, n);
	path[n] = '\0';
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return cfg_fail(r, config_setting_get_member(g, "updown"), "updown: %s is not an executable file", path);
	return 0;
}

static int parse_child(struct cfg_reader *r, const config_setting_t *g, struct cfg_child *c)
{
	static const char *const keys[] = { "name", "mode", "local_ts", "remote_ts", "esp_proposals", "rekey_time",
					    "life_time", "rand_time", "rekey_bytes", "life_bytes", "rand_bytes", "rekey_packets",
					    "life_packets", "rand_packets", "start_action", "dpd_action", "close_action", "replay_window",
					    "copy_df", "copy_ecn", "copy_dscp", "inactivity", "updown", "hostaccess", NULL };
	/* pass and drop: swanctl's shunt policies, moved to cfg->shunts (move_shunt_children()) */
	static const char *const modes[] = { "tunnel", "transport", "pass", "drop", NULL };
	static const char *const starts[] = { "none", "trap", "start", NULL };
	static const char *const dpds[] = { "clear", "trap", "restart", NULL };
	static const char *const closes[] = { "none", "trap", "start", "clear", NULL }; /* clear: none, as swanctl */
	int mode = 0, start = 0, dpd = 0, close = 0;
	uint64_t rw = 32;
	if (cfg_check_keys(r, g, keys) < 0 || cfg_get_string(r, g, "name", true, c->name, sizeof(c->name)) < 0 ||
	    cfg_get_enum(r, g, "mode", modes, &mode) < 0 || cfg_get_enum(r, g, "start_action", starts, &start) < 0 ||
	    cfg_get_enum(r, g, "dpd_action", dpds, &dpd) < 0 || cfg_get_enum(r, g, "close_action", closes, &close) < 0 || cfg_get_uint(r, g, "replay_window", false, 4096, &rw) < 0 ||
	    cfg_get_ts_list_any(r, g, "local_ts", false, true, &c->local_ts) < 0 ||
	    cfg_get_ts_list_any(r, g, "remote_ts", false, true, &c->remote_ts) < 0 ||
	    get_proposals(r, g, "esp_proposals", &c->esp_proposals, &c->n_esp_proposals) < 0 ||
	    check_proposals(r, g, "esp_proposals", c->esp_proposals, c->n_esp_proposals, PROPOSAL_ESP) < 0 ||
	    parse_child_times(r, g, c) < 0 || cfg_get_duration(r, g, "inactivity", &c->inactivity) < 0 ||
	    cfg_get_tunnel_copy(r, g, &c->copy) < 0 ||
	    cfg_get_string(r, g, "updown", false, c->updown, sizeof(c->updown)) < 0 ||
	    cfg_get_bool(r, g, "hostaccess", &c->hostaccess) < 0 || check_updown(r, g, c->updown) < 0)
		return -1;
	bool rand_set = config_setting_get_member(g, "rand_time") != NULL;
	if (mode >= 2)
		return shunt_child(r, g, c, mode == 2 ? SHUNT_PASS : SHUNT_DROP);
	c->mode = (enum ipsec_mode)mode;
	c->start_action = (enum start_action)start;
	c->dpd_action = (enum dpd_action)dpd;
	c->close_action = close == 3 ? CLOSE_NONE : (enum close_action)close;
	c->replay_window = (uint32_t)rw;
	if (c->life_time == 0)
		c->life_time = c->rekey_time + c->rekey_time / 10;
	if (c->life_time < c->rekey_time)
		return cfg_fail(r, g, "life_time must not be shorter than rekey_time");
	if (!rand_set)
		c->rand_time = c->life_time - c->rekey_time; /* swanctl's default */
	return volume_defaults(r, g, "bytes", c->rekey_bytes, &c->life_bytes, &c->rand_bytes) < 0 ||
			       volume_defaults(r, g, "packets", c->rekey_packets, &c->life_packets, &c->rand_packets) < 0
		       ? -1
		       : 0;
}

static int parse_children(struct cfg_reader *r, const config_setting_t *g, struct cfg_connection *c)
{
	int err;
	const config_setting_t *list = cfg_get_list(r, g, "children", &err);
	if (err)
		return -1;
	if (list == NULL || config_setting_length(list) == 0)
		return 0;
	c->children = calloc((size_t)config_setting_length(list), sizeof(*c->children));
	if (c->children == NULL)
		return cfg_fail(r, list, "out of memory");
	for (int i = 0; i < config_setting_length(list); i++) {
		c->n_children++; /* counted first, so that config_free releases a half-parsed child */
		if (parse_child(r, config_setting_get_elem(list, (unsigned)i), &c->children[i]) < 0)
			return -1;
		for (int k = 0; k < i; k++)
			if (strcmp(c->children[k].name, c->children[i].name) == 0)
				return cfg_fail(r, config_setting_get_elem(list, (unsigned)i),
						"child name '%s' is used twice", c->children[i].name);
	}
	return 0;
}

static int parse_conn_times(struct cfg_reader *r, const config_setting_t *g, struct cfg_connection *c)
{
	uint64_t tries = 1;
	c->rekey_time = 4 * 3600;
	c->dpd_timeout = 0;
	if (cfg_get_duration(r, g, "rekey_time", &c->rekey_time) < 0 ||
	    cfg_get_duration(r, g, "reauth_time", &c->reauth_time) < 0 ||
	    cfg_get_duration(r, g, "over_time", &c->over_time) < 0 ||
	    cfg_get_duration(r, g, "rand_time", &c->rand_time) < 0 ||
	    cfg_get_duration(r, g, "dpd_delay", &c->dpd_delay) < 0 ||
	    cfg_get_duration(r, g, "dpd_timeout", &c->dpd_timeout) < 0 ||
	    cfg_get_uint(r, g, "keyingtries", false, 1000, &tries) < 0)
		return -1;
	c->keyingtries = (int)tries;
	if (c->over_time == 0) /* swanctl's default: a tenth of the longer of the two */
		c->over_time = (c->rekey_time > c->reauth_time ? c->rekey_time : c->reauth_time) / 10;
	if (config_setting_get_member(g, "rand_time") == NULL)
		c->rand_time = c->over_time; /* swanctl's default */
	return 0;
}

/* IKEv1's phase 1 has AES-CBC and 3DES with an HMAC only: a proposal without them offers nothing. */
static const char *unusable_in_ikev1(const struct cfg_connection *c)
{
	for (int i = 0; i < c->n_proposals; i++) {
		struct proposal p;
		char why[128];
		if (strcmp(c->proposals[i], "default") != 0 &&
		    proposal_parse(c->proposals[i], PROPOSAL_IKE, true, &p, why, sizeof(why)) && !proposal_ikev1_usable(&p))
			return c->proposals[i];
	}
	return NULL;
}

/* Whether one of the connection's children has dpike initiate it: trap, start or restart. */
static bool initiates(const struct cfg_connection *c)
{
	for (int i = 0; i < c->n_children; i++) {
		const struct cfg_child *ch = &c->children[i];
		if (ch->start_action != START_NONE || ch->dpd_action != DPD_CLEAR || ch->close_action != CLOSE_NONE)
			return true;
	}
	return false;
}

/* The pools a connection hands addresses from, by name (config.c has read them first). */
static int parse_conn_pools(struct cfg_reader *r, const config_setting_t *g, const struct dpike_config *cfg,
			    struct cfg_connection *c)
{
	char names[CFG_MAX_ADDRS][CFG_NAME_MAX];
	int n;
	if (cfg_get_items(r, g, "pools", false, &names[0][0], sizeof(names[0]), CFG_MAX_ADDRS, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int k = 0;
		while (k < cfg->n_pools && strcmp(cfg->pools[k].name, names[i]) != 0)
			k++;
		if (k == cfg->n_pools)
			return cfg_fail(r, config_setting_get_member(g, "pools"), "unknown pool '%s'", names[i]);
		c->pools[c->n_pools++] = k;
	}
	return 0;
}

/* swanctl's vips: the virtual IPs to ask the responder for, 0.0.0.0 for whichever it gives (IPv4 only). */
static int parse_vips(struct cfg_reader *r, const config_setting_t *g, struct cfg_connection *c)
{
	char text[CFG_MAX_ADDRS][32];
	int n;
	if (cfg_get_items(r, g, "vips", false, &text[0][0], sizeof(text[0]), CFG_MAX_ADDRS, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (!parse_ipv4(text[i], &c->vips[c->n_vips++]))
			return cfg_fail(r, config_setting_get_member(g, "vips"), "vips '%s' is not an IPv4 address", text[i]);
	if (n > 1)
		return cfg_fail(r, config_setting_get_member(g, "vips"), "vips takes one IPv4 address");
	return 0;
}

/*
 * swanctl's second authentication round: local-2 or remote-2 with auth = "xauth" (or
 * "xauth-generic"), and xauth_id, the user name.
 */
static int parse_xauth_round(struct cfg_reader *r, const config_setting_t *conn, const char *key, bool *on, char *id,
			     size_t id_size)
{
	static const char *const keys[] = { "auth", "xauth_id", NULL };
	const config_setting_t *g = config_setting_get_member(conn, key);
	char method[32] = "";
	if (g == NULL)
		return 0;
	if (cfg_check_keys(r, g, keys) < 0 || cfg_get_string(r, g, "auth", true, method, sizeof(method)) < 0 ||
	    cfg_get_string(r, g, "xauth_id", false, id, id_size) < 0)
		return -1;
	if (strcmp(method, "xauth") != 0 && strcmp(method, "xauth-generic") != 0)
		return cfg_fail(r, config_setting_get_member(g, "auth"),
				"'%s' needs auth = \"xauth\" (a second round is IKEv1's XAuth here)", key);
	*on = true;
	return 0;
}

/* swanctl's address lists: addresses, prefixes, ranges first-last and %any (DNS names are not resolved here). */
static int parse_addr_ranges(struct cfg_reader *r, const config_setting_t *g, const char *key, char (*items)[64], int n,
			     struct cfg_addr_range *out)
{
	for (int i = 0; i < n; i++) {
		uint32_t a, b;
		uint8_t plen;
		struct traffic_selector t = { 0 };
		if (strcmp(items[i], "%any") == 0) {
			out[i] = (struct cfg_addr_range){ 0, UINT32_MAX };
		} else if (parse_ipv4_prefix(items[i], &a, &plen, true)) {
			out[i] = (struct cfg_addr_range){ a & prefix_mask(plen), a | ~prefix_mask(plen) };
		} else if (strchr(items[i], '[') == NULL && ts_parse_range(items[i], &a, &b, &t)) {
			out[i] = (struct cfg_addr_range){ a, b };
		} else {
			return cfg_fail(r, config_setting_get_member(g, key),
					"%s item '%s' is not an IPv4 address, prefix, range first-last or %%any (DNS names are "
					"not resolved)", key, items[i]);
		}
	}
	return 0;
}

/* The connection's switches, swanctl's names and defaults: how IKE behaves, not who talks to whom. */
static int parse_conn_options(struct cfg_reader *r, const config_setting_t *g, struct cfg_connection *c)
{
	static const char *const frags[] = { "yes", "accept", "force", "no", NULL };
	static const char *const uniques[] = { "no", "never", "keep", "replace", NULL };
	static const char *const send_certs[] = { "ifasked", "always", "never", NULL };
	static const char *const childless[] = { "allow", "force", "never", NULL };
	int frag = CFG_FRAG_YES, unique = CFG_UNIQUE_NO, send_cert = CFG_SEND_CERT_IFASKED, childless_v = 0;
	c->mobike = c->pull = c->send_certreq = true;
	if (cfg_get_bool(r, g, "aggressive", &c->aggressive) < 0 || cfg_get_bool(r, g, "encap", &c->encap) < 0 ||
	    cfg_get_bool(r, g, "mobike", &c->mobike) < 0 || cfg_get_bool(r, g, "pull", &c->pull) < 0 ||
	    cfg_get_bool(r, g, "send_certreq", &c->send_certreq) < 0 ||
	    cfg_get_enum(r, g, "fragmentation", frags, &frag) < 0 || cfg_get_enum(r, g, "unique", uniques, &unique) < 0 ||
	    cfg_get_enum(r, g, "send_cert", send_certs, &send_cert) < 0 ||
	    cfg_get_enum(r, g, "childless", childless, &childless_v) < 0)
		return -1;
	c->fragmentation = (enum cfg_fragmentation)frag;
	c->unique = (enum cfg_unique)unique;
	c->send_cert = (enum cfg_send_cert)send_cert;
	c->childless = (enum cfg_childless)childless_v;
	return 0;
}

static int parse_connection(struct cfg_reader *r, const config_setting_t *g, const struct dpike_config *cfg,
			    struct cfg_connection *c)
{
	static const char *const keys[] = { "name", "version", "local_addrs", "remote_addrs", "local_port",
					    "remote_port", "proposals", "aggressive", "encap", "mobike", "rekey_time",
					    "reauth_time", "over_time", "rand_time", "dpd_delay", "dpd_timeout",
					    "keyingtries", "local", "remote", "children", "fragmentation", "pools", "vips",
					    "pull", "local-2", "remote-2", "unique", "send_cert", "send_certreq", "childless",
					    NULL };
	uint64_t version = 0, lport = 500, rport = 500;
	if (cfg_check_keys(r, g, keys) < 0 || cfg_get_string(r, g, "name", true, c->name, sizeof(c->name)) < 0 ||
	    cfg_get_uint(r, g, "version", false, 2, &version) < 0 ||
	    cfg_get_items(r, g, "local_addrs", false, &c->local_addrs[0][0], sizeof(c->local_addrs[0]),
			    CFG_MAX_ADDRS, &c->n_local_addrs) < 0 ||
	    cfg_get_items(r, g, "remote_addrs", false, &c->remote_addrs[0][0], sizeof(c->remote_addrs[0]),
			    CFG_MAX_ADDRS, &c->n_remote_addrs) < 0 ||
	    parse_addr_ranges(r, g, "local_addrs", c->local_addrs, c->n_local_addrs, c->local_ranges) < 0 ||
	    parse_addr_ranges(r, g, "remote_addrs", c->remote_addrs, c->n_remote_addrs, c->remote_ranges) < 0 ||
	    cfg_get_uint(r, g, "local_port", false, 65535, &lport) < 0 ||
	    cfg_get_uint(r, g, "remote_port", false, 65535, &rport) < 0 ||
	    get_proposals(r, g, "proposals", &c->proposals, &c->n_proposals) < 0 ||
	    check_proposals(r, g, "proposals", c->proposals, c->n_proposals, PROPOSAL_IKE) < 0 ||
	    parse_conn_options(r, g, c) < 0 || parse_conn_times(r, g, c) < 0 ||
	    parse_auth(r, g, "local", &c->local) < 0 || parse_auth(r, g, "remote", &c->remote) < 0 ||
	    parse_children(r, g, c) < 0 || parse_conn_pools(r, g, cfg, c) < 0 || parse_vips(r, g, c) < 0 ||
	    parse_xauth_round(r, g, "local-2", &c->xauth_local, c->xauth_local_id, sizeof(c->xauth_local_id)) < 0 ||
	    parse_xauth_round(r, g, "remote-2", &c->xauth_remote, c->xauth_remote_id, sizeof(c->xauth_remote_id)) < 0)
		return -1;
	c->version = (int)version;
	if (c->childless == CFG_CHILDLESS_FORCE && c->version == 1)
		return cfg_fail(r, config_setting_get_member(g, "childless"), "childless = \"force\" is for IKEv2 (RFC 6023)");
	c->local_port = (uint16_t)lport;
	c->remote_port = (uint16_t)rport;
	if (c->aggressive && c->version == 2)
		return cfg_fail(r, config_setting_get_member(g, "aggressive"), "aggressive applies to IKEv1 only");
	if (c->remote.auth == AUTH_EAP && c->version == 1)
		return cfg_fail(r, config_setting_get_member(g, "remote"),
				"EAP is IKEv2's (RFC 7296 2.16); IKEv1 peers authenticate users with XAuth");
	if (c->remote.auth == AUTH_EAP && initiates(c))
		return cfg_fail(r, config_setting_get_member(g, "children"),
				"EAP road warriors connect to dpike: a child's start_action, dpd_action or close_action "
				"cannot have dpike initiate this connection (its peer is the EAP client)");
	if ((c->xauth_local || c->xauth_remote) && c->version != 1)
		return cfg_fail(r, config_setting_get_member(g, c->xauth_local ? "local-2" : "remote-2"),
				"XAuth is IKEv1's (version = 1); IKEv2 has EAP for a second round");
	if (c->xauth_local && !c->xauth_local_id[0])
		snprintf(c->xauth_local_id, sizeof(c->xauth_local_id), "%s", c->local.id);
	if (!c->pull && c->version == 2)
		return cfg_fail(r, config_setting_get_member(g, "pull"), "pull = false (Mode Config push) applies to IKEv1 only");
	if (c->fragmentation == CFG_FRAG_FORCE && c->version == 2)
		return cfg_fail(r, config_setting_get_member(g, "fragmentation"),
				"fragmentation = \"force\" applies to IKEv1 only (RFC 7383 needs both ends' word)");
	if (c->version == 1 && unusable_in_ikev1(c))
		return cfg_fail(r, config_setting_get_member(g, "proposals"),
				"'%s': IKEv1 takes aes128, aes192, aes256 or 3des with md5, sha1, sha256, sha384 or sha512",
				unusable_in_ikev1(c));
	if (c->aggressive && c->local.auth == AUTH_PSK)
		LOG_WARN("connection '%s': Aggressive Mode with a PSK exposes the PSK hash to offline guessing",
			 c->name);
	return 0;
}

/* Children of mode pass or drop leave their connection for cfg->shunts, named "conn/child". */
static int move_shunt_children(struct cfg_reader *r, const config_setting_t *list, struct dpike_config *cfg)
{
	for (int i = 0; i < cfg->n_connections; i++) {
		struct cfg_connection *c = cfg->connections[i];
		int kept = 0;
		for (int k = 0; k < c->n_children; k++) {
			struct cfg_child *ch = &c->children[k];
			if (ch->shunt == CFG_SHUNT_CHILD_NONE) {
				c->children[kept++] = *ch;
				continue;
			}
			struct cfg_shunt *s = realloc(cfg->shunts, (size_t)(cfg->n_shunts + 1) * sizeof(*s));
			if (s == NULL)
				return cfg_fail(r, list, "out of memory");
			cfg->shunts = s;
			s = &cfg->shunts[cfg->n_shunts++];
			memset(s, 0, sizeof(*s));
			snprintf(s->name, sizeof(s->name), "%.31s/%.31s", c->name, ch->name);
			s->action = ch->shunt == CFG_SHUNT_CHILD_PASS ? SHUNT_PASS : SHUNT_DROP;
			s->local_ts = ch->local_ts;
			s->remote_ts = ch->remote_ts;
			free(ch->esp_proposals);
		}
		c->n_children = kept;
	}
	return 0;
}

static int by_name_then_place(const void *a, const void *b, void *cfg)
{
	int x = *(const int *)a, y = *(const int *)b;
	struct cfg_connection *const *c = ((const struct dpike_config *)cfg)->connections;
	int d = strcmp(c[x]->name, c[y]->name);
	return d ? d : x - y;
}

/*
 * The first connection (in file order) whose name an earlier one has; -1 if none, -2 without memory.
 * Sorted, for a concentrator's thousands.
 */
static int second_of_a_name(const struct dpike_config *cfg)
{
	int n = cfg->n_connections, first = -1;
	int *order = malloc(((size_t)n + 1) * sizeof(*order));
	if (order == NULL)
		return -2;
	for (int i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, (size_t)n, sizeof(*order), by_name_then_place, (void *)cfg);
	for (int i = 1; i < n; i++)
		if (strcmp(cfg->connections[order[i - 1]]->name, cfg->connections[order[i]]->name) == 0 &&
		    (first < 0 || order[i] < first))
			first = order[i];
	free(order);
	return first;
}

int cfg_parse_connections(struct cfg_reader *r, const config_setting_t *list, struct dpike_config *cfg)
{
	int n = config_setting_length(list);
	cfg->connections = calloc((size_t)n + 1, sizeof(*cfg->connections));
	if (cfg->connections == NULL)
		return cfg_fail(r, list, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct cfg_connection *c = calloc(1, sizeof(*c));
		if (c == NULL)
			return cfg_fail(r, list, "out of memory");
		cfg->connections[cfg->n_connections++] = c; /* counted first so config_free releases a half-parsed entry */
		c->refs = 1; /* the loaded set's */
		c->digest = cfg_setting_digest(g);
		if (parse_connection(r, g, cfg, c) < 0)
			return -1;
	}
	int twice = second_of_a_name(cfg);
	if (twice == -2)
		return cfg_fail(r, list, "out of memory");
	if (twice >= 0)
		return cfg_fail(r, config_setting_get_elem(list, (unsigned)twice), "connection name '%s' is used twice",
				cfg->connections[twice]->name);
	return move_shunt_children(r, list, cfg);
}

/* swanctl's "0s" prefix: the rest is base64. Bytes decoded, or -1. */
static int parse_base64(const char *text, uint8_t *out, size_t cap)
{
	size_t len = strlen(text);
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap)
		return -1;
	int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0)
		return -1;
	for (size_t i = len; i > 0 && text[i - 1] == '='; i--)
		n--; /* EVP_DecodeBlock counts the padding as zero bytes */
	return n;
}

static int parse_secret_value(struct cfg_reader *r, const config_setting_t *g, struct cfg_secret *s)
{
	char text[2 * sizeof(s->secret) + 8];
	int rc = cfg_get_string(r, g, "secret", s->type != SECRET_PRIVATE, text, sizeof(text));
	if (rc <= 0) {
		explicit_bzero(text, sizeof(text));
		return rc;
	}
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		s->secret_len = parse_hex(text, s->secret, sizeof(s->secret));
	else if (text[0] == '0' && text[1] == 's')
		s->secret_len = parse_base64(text + 2, s->secret, sizeof(s->secret));
	else if (strlen(text) <= sizeof(s->secret))
		memcpy(s->secret, text, (size_t)(s->secret_len = (int)strlen(text)));
	else
		s->secret_len = -1;
	explicit_bzero(text, sizeof(text));
	if (s->secret_len <= 0)
		return cfg_fail(r, config_setting_get_member(g, "secret"),
				"secret must be a non-empty string, 0x-prefixed hex or 0s-prefixed base64 of at most %zu bytes",
				sizeof(s->secret));
	return 1;
}

static int parse_secret_ids(struct cfg_reader *r, const config_setting_t *g, struct cfg_secret *s)
{
	return get_kept_list(r, g, "id", false, sizeof(*s->ids), CFG_MAX_SECRET_IDS, (void **)&s->ids, &s->n_ids);
}

int cfg_parse_secrets(struct cfg_reader *r, const config_setting_t *list, struct dpike_config *cfg)
{
	static const char *const keys[] = { "type", "id", "secret", "file", NULL };
	static const char *const types[] = { "ike", "private", "xauth", "eap", NULL };
	int n = config_setting_length(list);
	cfg->secrets = calloc((size_t)n + 1, sizeof(*cfg->secrets));
	if (cfg->secrets == NULL)
		return cfg_fail(r, list, "out of memory");
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct cfg_secret *s = &cfg->secrets[i];
		int type = -1;
		if (cfg_check_keys(r, g, keys) < 0 || cfg_get_enum(r, g, "type", types, &type) < 0)
			return -1;
		if (type < 0)
			return cfg_fail(r, g, "missing required key 'type'");
		s->type = type;
		s->line = config_setting_source_line(g);
		if (parse_secret_ids(r, g, s) < 0 || parse_secret_value(r, g, s) < 0 ||
		    cfg_get_string(r, g, "file", s->type == SECRET_PRIVATE, s->file, sizeof(s->file)) < 0)
			return -1;
		cfg->n_secrets++;
	}
	return 0;
}
