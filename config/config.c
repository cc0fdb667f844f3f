/* SPDX-License-Identifier: BSD-3-Clause */
/* Top-level sections of the appliance configuration: globals, interfaces, routing, static SAs. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_reader.h"
#include "dataplane/esp_algo.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/u64map.h"

#define DEFAULT_CTL_SOCKET "/run/dpike/dpike.sock"

static const char *const top_keys[] = { "log_level", "ctl_socket", "workers", "ike", "interfaces", "neighbours",
					"routes", "static_sas", "shunts", "pools", "connections", "secrets", "crls", NULL };

int config_iface_by_name(const struct dpike_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_ifaces; i++)
		if (strcmp(cfg->ifaces[i].name, name) == 0)
			return i;
	return -1;
}

/* Allocates a zeroed array for a list section; returns the element count or -1. */
static int alloc_section(struct cfg_reader *r, const config_setting_t *root, const char *key,
			 size_t elem_size, void **out, const config_setting_t **list)
{
	int err;
	*list = cfg_get_list(r, root, key, &err);
	*out = NULL;
	if (err || *list == NULL)
		return err ? -1 : 0;
	int n = config_setting_length(*list);
	*out = calloc((size_t)n + 1, elem_size);
	if (*out == NULL)
		return cfg_fail(r, *list, "out of memory");
	return n;
}

static int parse_iface_ref(struct cfg_reader *r, const struct dpike_config *cfg, const config_setting_t *g,
			   bool required, int *iface)
{
	char name[CFG_NAME_MAX];
	int rc = cfg_get_string(r, g, "interface", required, name, sizeof(name));
	*iface = -1;
	if (rc <= 0)
		return rc;
	*iface = config_iface_by_name(cfg, name);
	if (*iface < 0)
		return cfg_fail(r, config_setting_get_member(g, "interface"), "unknown interface '%s'", name);
	return 1;
}

static int parse_ipv4_key(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
			  uint32_t *addr)
{
	char text[64];
	int rc = cfg_get_string(r, g, key, required, text, sizeof(text));
	if (rc <= 0)
		return rc;
	if (!parse_ipv4(text, addr))
		return cfg_fail(r, config_setting_get_member(g, key), "'%s': '%s' is not an IPv4 address", key,
				text);
	return 1;
}


/* Table and pool sizes are fixed at start-up: their memory is taken then, all of it. */
static int parse_table_size(struct cfg_reader *r, const config_setting_t *w, const char *key, uint32_t *out)
{
	uint64_t v;
	int rc = cfg_get_uint(r, w, key, false, 1u << 26, &v);
	if (rc < 0)
		return -1;
	if (rc && v < 16)
		return cfg_fail(r, config_setting_get_member(w, key), "%s must be 16 to 67108864", key);
	if (rc)
		*out = (uint32_t)v;
	return 0;
}

/* workers.gcm_keys and workers.gcm_code: which GCM code SAs get, and so their key data (esp.h). */
static int parse_gcm(struct cfg_reader *r, const config_setting_t *w, struct dpike_config *cfg)
{
	static const char *const keys[] = { "auto", "full", "compact", NULL };
	static const char *const codes[] = { "auto", "ipsec-mb", NULL };
	int layout = CFG_GCM_KEYS_AUTO, ipsec_mb = 0;
	if (cfg_get_enum(r, w, "gcm_keys", keys, &layout) < 0 || cfg_get_enum(r, w, "gcm_code", codes, &ipsec_mb) < 0)
		return -1;
	cfg->gcm_keys = (enum cfg_gcm_keys)layout;
	cfg->gcm_ipsec_mb_only = ipsec_mb == 1;
	return 0;
}

static int parse_flow_cache_size(struct cfg_reader *r, const config_setting_t *w, struct dpike_config *cfg)
{
	uint64_t v;
	int rc = cfg_get_uint(r, w, "flow_cache_size", false, 1u << 26, &v);
	if (rc < 0)
		return -1;
	if (rc && (v < 1024 || (v & (v - 1)) != 0))
		return cfg_fail(r, config_setting_get_member(w, "flow_cache_size"),
				"flow_cache_size must be a power of two from 1024 to 67108864");
	if (rc)
		cfg->flow_cache_size = (uint32_t)v;
	return 0;
}

static int parse_workers(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	cfg->burst_size = 32;
	cfg->flow_cache_size = CFG_DEFAULT_FLOW_CACHE;
	cfg->sad_size = CFG_DEFAULT_SAD_SIZE;
	cfg->spd_size = CFG_DEFAULT_SPD_SIZE;
	cfg->mbufs = CFG_DEFAULT_MBUFS;
	cfg->neighbour_size = CFG_DEFAULT_NEIGHBOURS;
	cfg->neighbour_timeout = CFG_DEFAULT_NEIGHBOUR_TIMEOUT;
	const config_setting_t *w = config_setting_get_member(root, "workers");
	if (w == NULL)
		return 0;
	static const char *const keys[] = { "idle_sleep_us", "burst_size", "sad_size", "spd_size", "mbufs", "gcm_keys",
					    "gcm_code", "flow_cache_size", "neighbour_size", "neighbour_timeout",
					    "stage_cycles", NULL };
	uint64_t v;
	if (cfg_check_keys(r, w, keys) < 0)
		return -1;
	int rc = cfg_get_uint(r, w, "idle_sleep_us", false, 1000000, &v);
	if (rc < 0)
		return -1;
	cfg->idle_sleep_us = rc ? (uint32_t)v : 0;
	if (cfg_get_bool(r, w, "stage_cycles", &cfg->stage_cycles) < 0)
		return -1;
	rc = cfg_get_uint(r, w, "burst_size", false, 64, &v);
	if (rc < 0)
		return -1;
	if (rc && v < 1)
		return cfg_fail(r, config_setting_get_member(w, "burst_size"), "burst_size must be 1 to 64");
	if (rc)
		cfg->burst_size = (uint32_t)v;
	if (parse_table_size(r, w, "sad_size", &cfg->sad_size) < 0 ||
	    parse_table_size(r, w, "spd_size", &cfg->spd_size) < 0 || parse_table_size(r, w, "mbufs", &cfg->mbufs) < 0 ||
	    parse_table_size(r, w, "neighbour_size", &cfg->neighbour_size) < 0)
		return -1;
	rc = cfg_get_duration(r, w, "neighbour_timeout", &v);
	if (rc < 0)
		return -1;
	if (rc && v > 86400 * 7)
		return cfg_fail(r, config_setting_get_member(w, "neighbour_timeout"),
				"neighbour_timeout must be at most a week (0: learned neighbours never expire)");
	if (rc)
		cfg->neighbour_timeout = (uint32_t)v;
	/* every RX and TX descriptor of every port and queue holds one, and the rings more */
	if (cfg->mbufs < 2048)
		return cfg_fail(r, config_setting_get_member(w, "mbufs"), "mbufs must be at least 2048");
	return parse_gcm(r, w, cfg) < 0 ? -1 : parse_flow_cache_size(r, w, cfg);
}

static int parse_globals(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	char level[16] = "info";
	if (cfg_get_string(r, root, "log_level", false, level, sizeof(level)) < 0 ||
	    cfg_get_strings(r, root, "crls", false, &cfg->crls[0][0], sizeof(cfg->crls[0]), CFG_MAX_CRLS, &cfg->n_crls) < 0)
		return -1;
	if (config_setting_get_member(root, "crls"))
		cfg->crls_line = config_setting_source_line(config_setting_get_member(root, "crls"));
	cfg->log_level = log_level_parse(level);
	if (cfg->log_level < 0)
		return cfg_fail(r, config_setting_get_member(root, "log_level"),
				"log_level must be \"error\", \"warning\", \"info\" or \"debug\"");
	strcpy(cfg->ctl_socket, DEFAULT_CTL_SOCKET);
	if (cfg_get_string(r, root, "ctl_socket", false, cfg->ctl_socket, sizeof(cfg->ctl_socket)) < 0)
		return -1;
	return parse_workers(r, root, cfg);
}

static int parse_ike_limits(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	static const char *const keys[] = { "cookie_threshold", "half_open_per_peer", "half_open_max",
					    "retransmit_timeout", "retransmit_base", "retransmit_tries", "fragment_size", "keep_alive",
					    "ke_reuse", NULL };
	uint64_t cookie = 10, per_peer = 5, max = 10000, tries = 5, frag = 1280;
	const config_setting_t *g = config_setting_get_member(root, "ike");
	cfg->ike_retransmit_timeout = 4.0;
	cfg->ike_keep_alive = 20; /* strongSwan's charon.keep_alive */
	cfg->ike_retransmit_base = 1.8;
	if (g && (cfg_check_keys(r, g, keys) < 0 || cfg_get_uint(r, g, "cookie_threshold", false, 1000000, &cookie) < 0 ||
		  cfg_get_uint(r, g, "half_open_per_peer", false, 1000000, &per_peer) < 0 ||
		  cfg_get_uint(r, g, "half_open_max", false, 10000000, &max) < 0 ||
		  cfg_get_number(r, g, "retransmit_timeout", 0.1, 600, &cfg->ike_retransmit_timeout) < 0 ||
		  cfg_get_number(r, g, "retransmit_base", 1.0, 10, &cfg->ike_retransmit_base) < 0 ||
		  cfg_get_uint(r, g, "retransmit_tries", false, 20, &tries) < 0 ||
		  cfg_get_uint(r, g, "fragment_size", false, 65535, &frag) < 0 ||
		  cfg_get_duration(r, g, "keep_alive", &cfg->ike_keep_alive) < 0 ||
		  cfg_get_number(r, g, "ke_reuse", 0, 60, &cfg->ike_ke_reuse) < 0))
		return -1;
	if (frag < 128)
		return cfg_fail(r, config_setting_get_member(g, "fragment_size"), "fragment_size must be 128 to 65535");
	cfg->ike_retransmit_tries = (unsigned)tries;
	cfg->ike_fragment_size = (unsigned)frag;
	cfg->ike_cookie_threshold = (unsigned)cookie;
	cfg->ike_half_open_per_peer = (unsigned)per_peer;
	cfg->ike_half_open_max = (unsigned)max;
	return 0;
}

static int parse_interface(struct cfg_reader *r, const config_setting_t *g, struct dpike_config *cfg, int idx)
{
	static const char *const keys[] = { "name", "device", "args", "address", "mtu", NULL };
	struct cfg_interface *i = &cfg->ifaces[idx];
	char addr[64];
	uint64_t mtu = 1500;
	i->line = config_setting_source_line(g);
	if (cfg_check_keys(r, g, keys) < 0 || cfg_get_string(r, g, "name", true, i->name, sizeof(i->name)) < 0 ||
	    cfg_get_string(r, g, "device", true, i->device, sizeof(i->device)) < 0 ||
	    cfg_get_string(r, g, "args", false, i->args, sizeof(i->args)) < 0 ||
	    cfg_get_string(r, g, "address", true, addr, sizeof(addr)) < 0 ||
	    cfg_get_uint(r, g, "mtu", false, 9000, &mtu) < 0)
		return -1;
	/* /31 (RFC 3021) and /32 too: point-to-point links, the gateway of a /32 named by a route */
	if (!parse_ipv4_prefix(addr, &i->addr, &i->plen, true) || i->plen == 0)
		return cfg_fail(r, config_setting_get_member(g, "address"),
				"address '%s' must be an IPv4 address with a prefix length 1-32, e.g. 192.0.2.1/24",
				addr);
	if (mtu < 576)
		return cfg_fail(r, config_setting_get_member(g, "mtu"), "mtu must be 576 to 9000");
	i->mtu = (uint16_t)mtu;
	for (int k = 0; k < idx; k++) {
		if (strcmp(cfg->ifaces[k].name, i->name) == 0)
			return cfg_fail(r, g, "interface name '%s' is used twice", i->name);
		if (strcmp(cfg->ifaces[k].device, i->device) == 0)
			return cfg_fail(r, g, "device '%s' is used twice", i->device);
	}
	return 0;
}

static int parse_interfaces(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	int err;
	const config_setting_t *list = cfg_get_list(r, root, "interfaces", &err);
	if (err)
		return -1;
	if (list == NULL || config_setting_length(list) == 0)
		return cfg_fail(r, list ? list : root, "at least one interface is required in 'interfaces'");
	if (config_setting_length(list) > CFG_MAX_INTERFACES)
		return cfg_fail(r, list, "at most %d interfaces are supported", CFG_MAX_INTERFACES);
	for (int i = 0; i < config_setting_length(list); i++) {
		if (parse_interface(r, config_setting_get_elem(list, (unsigned)i), cfg, i) < 0)
			return -1;
		cfg->n_ifaces++;
	}
	return 0;
}

static int parse_neighbours(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	static const char *const keys[] = { "interface", "ip", "mac", NULL };
	const config_setting_t *list;
	int n = alloc_section(r, root, "neighbours", sizeof(struct cfg_neighbour), (void **)&cfg->neighbours, &list);
	for (int k = 0; k < n; k++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)k);
		struct cfg_neighbour *nb = &cfg->neighbours[k];
		char mac[32];
		if (cfg_check_keys(r, g, keys) < 0 || parse_iface_ref(r, cfg, g, true, &nb->iface) < 0 ||
		    parse_ipv4_key(r, g, "ip", true, &nb->ip) < 0 ||
		    cfg_get_string(r, g, "mac", true, mac, sizeof(mac)) < 0)
			return -1;
		if (!parse_mac(mac, nb->mac))
			return cfg_fail(r, config_setting_get_member(g, "mac"),
					"mac '%s' must be six hex octets like 02:00:00:00:01:01", mac);
	}
	cfg->n_neighbours = n < 0 ? 0 : n;
	return n < 0 ? -1 : 0;
}

static int parse_routes(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	static const char *const keys[] = { "prefix", "via", "interface", NULL };
	const config_setting_t *list;
	int n = alloc_section(r, root, "routes", sizeof(struct cfg_route), (void **)&cfg->routes, &list);
	for (int k = 0; k < n; k++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)k);
		struct cfg_route *rt = &cfg->routes[k];
		char prefix[64];
		if (cfg_check_keys(r, g, keys) < 0 || cfg_get_string(r, g, "prefix", true, prefix, sizeof(prefix)) < 0 ||
		    parse_ipv4_key(r, g, "via", false, &rt->via) < 0 || parse_iface_ref(r, cfg, g, false, &rt->iface) < 0)
			return -1;
		if (!parse_ipv4_prefix(prefix, &rt->prefix, &rt->plen, false))
			return cfg_fail(r, config_setting_get_member(g, "prefix"),
					"prefix '%s' must be a network such as 10.1.0.0/16 (host bits zero)", prefix);
		if (rt->via == 0 && rt->iface < 0)
			return cfg_fail(r, g, "a route needs 'via', 'interface' or both");
		if (rt->iface < 0) {
			for (int i = 0; i < cfg->n_ifaces; i++) {
				uint32_t m = prefix_mask(cfg->ifaces[i].plen);
				if ((rt->via & m) == (cfg->ifaces[i].addr & m))
					rt->iface = i;
			}
			if (rt->iface < 0)
				return cfg_fail(r, config_setting_get_member(g, "via"),
						"next hop is on no interface's network; name the 'interface'");
		}
	}
	cfg->n_routes = n < 0 ? 0 : n;
	return n < 0 ? -1 : 0;
}

_Static_assert(CFG_MAX_KEY >= ESP_MAX_KEY_LEN, "a static SA holds the keys of every ESP transform");

static int parse_sa_keying(struct cfg_reader *r, const config_setting_t *g, struct cfg_static_sa *sa)
{
	char esp[64], key[2 * CFG_MAX_KEY + 8];
	if (cfg_get_string(r, g, "esp", true, esp, sizeof(esp)) < 0 ||
	    cfg_get_string(r, g, "key", true, key, sizeof(key)) < 0)
		return -1;
	sa->alg = esp_algo_parse(esp);
	if (sa->alg < 0)
		return cfg_fail(r, config_setting_get_member(g, "esp"),
				"unsupported esp '%s' (use aes128gcm16, aes192gcm16 or aes256gcm16 (gcm12, gcm8: shorter ICVs), "
				"aes128ccm16 or aes256ccm16 (ccm12, ccm8), chacha20poly1305, or aes128, aes192, aes256, "
				"aes128ctr, aes192ctr, aes256ctr, 3des or null with -sha1, -sha256, -sha384, -sha512, -md5, "
				"-aesxcbc or -aescmac)",
				esp);
	sa->key_len = parse_hex(key, sa->key, sizeof(sa->key));
	int want = esp_algo_key_len(&esp_algos[sa->alg]);
	if (sa->key_len != want)
		return cfg_fail(r, config_setting_get_member(g, "key"),
				"key for %s must be %d bytes of hex (%s), got %s", esp_algos[sa->alg].name, want,
				esp_algos[sa->alg].salt_len ? "key, salt, then any integrity key" : "encryption key then integrity key",
				sa->key_len < 0 ? "invalid hex" : "a different length");
	return 0;
}

static int parse_sa_limits(struct cfg_reader *r, const config_setting_t *g, struct cfg_static_sa *sa)
{
	uint64_t v = 32;
	int rc = cfg_get_uint(r, g, "replay_window", false, 4096, &v);
	if (rc < 0)
		return -1;
	sa->replay_window = (uint32_t)v;
	return cfg_get_count(r, g, "life_bytes", &sa->life_bytes) < 0 ||
			       cfg_get_count(r, g, "life_packets", &sa->life_packets) < 0 ||
			       cfg_get_count(r, g, "rekey_bytes", &sa->rekey_bytes) < 0 ||
			       cfg_get_count(r, g, "rekey_packets", &sa->rekey_packets) < 0
		       ? -1
		       : 0;
}

static int parse_sa_endpoints(struct cfg_reader *r, const config_setting_t *g, struct cfg_static_sa *sa)
{
	uint64_t lp = 4500, rp = 4500;
	if (parse_ipv4_key(r, g, "local", true, &sa->local) < 0 || parse_ipv4_key(r, g, "remote", true, &sa->remote) < 0 ||
	    cfg_get_bool(r, g, "encap", &sa->encap) < 0 || cfg_get_uint(r, g, "local_port", false, 65535, &lp) < 0 ||
	    cfg_get_uint(r, g, "remote_port", false, 65535, &rp) < 0)
		return -1;
	sa->local_port = (uint16_t)lp;
	sa->remote_port = (uint16_t)rp;
	return 0;
}

/* Both original addresses or neither, and only where RFC 3948 3.1.2 uses them. */
static int parse_sa_nat_oa(struct cfg_reader *r, const config_setting_t *g, struct cfg_static_sa *sa)
{
	int has_remote = parse_ipv4_key(r, g, "nat_oa_remote", false, &sa->oa_remote);
	int has_local = has_remote < 0 ? -1 : parse_ipv4_key(r, g, "nat_oa_local", false, &sa->oa_local);
	if (has_remote < 0 || has_local < 0)
		return -1;
	if (has_remote != has_local)
		return cfg_fail(r, g, "nat_oa_remote and nat_oa_local go together");
	if (has_remote && (!sa->inbound || !sa->encap || sa->mode != IPSEC_MODE_TRANSPORT))
		return cfg_fail(r, config_setting_get_member(g, "nat_oa_remote"),
				"nat_oa_remote/nat_oa_local apply to inbound UDP-encapsulated transport SAs only");
	sa->has_oa = has_remote > 0;
	return 0;
}

static int parse_static_sa(struct cfg_reader *r, const config_setting_t *g, struct dpike_config *cfg, int idx)
{
	static const char *const keys[] = { "name", "direction", "spi", "mode", "encap", "esn", "local", "remote",
					    "local_port", "remote_port", "esp", "key", "replay_window", "local_ts",
					    "remote_ts", "life_bytes", "life_packets", "rekey_bytes", "rekey_packets",
					    "nat_oa_remote", "nat_oa_local", "copy_df", "copy_ecn", "copy_dscp", NULL };
	struct cfg_static_sa *sa = &cfg->static_sas[idx];
	char dir[32], mode[32] = "tunnel";
	uint64_t spi;
	sa->line = config_setting_source_line(g);
	if (cfg_check_keys(r, g, keys) < 0 || cfg_get_string(r, g, "name", true, sa->name, sizeof(sa->name)) < 0 ||
	    cfg_get_string(r, g, "direction", true, dir, sizeof(dir)) < 0 ||
	    cfg_get_uint(r, g, "spi", true, UINT32_MAX, &spi) < 0 ||
	    cfg_get_string(r, g, "mode", false, mode, sizeof(mode)) < 0 || cfg_get_bool(r, g, "esn", &sa->esn) < 0 ||
	    parse_sa_endpoints(r, g, sa) < 0 || parse_sa_keying(r, g, sa) < 0 || parse_sa_limits(r, g, sa) < 0 ||
	    cfg_get_ts_list(r, g, "local_ts", true, &sa->local_ts) < 0 ||
	    cfg_get_ts_list(r, g, "remote_ts", true, &sa->remote_ts) < 0 || cfg_get_tunnel_copy(r, g, &sa->copy) < 0)
		return -1;
	if (strcmp(dir, "in") != 0 && strcmp(dir, "out") != 0)
		return cfg_fail(r, config_setting_get_member(g, "direction"), "direction must be \"in\" or \"out\"");
	sa->inbound = dir[0] == 'i';
	if (spi < 256)
		return cfg_fail(r, config_setting_get_member(g, "spi"), "spi values 0-255 are reserved (RFC 4303)");
	sa->spi = (uint32_t)spi;
	if (strcmp(mode, "tunnel") != 0 && strcmp(mode, "transport") != 0)
		return cfg_fail(r, config_setting_get_member(g, "mode"), "mode must be \"tunnel\" or \"transport\"");
	sa->mode = mode[1] == 'u' ? IPSEC_MODE_TUNNEL : IPSEC_MODE_TRANSPORT;
	if (parse_sa_nat_oa(r, g, sa) < 0)
		return -1;
	return 0;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

/*
 * Names and inbound SPIs must be unique. Indexed, since a large static setup has tens of
 * thousands of SAs; seen maps a name's hash (or 1 << 63 | an inbound SPI) to index + 1.
 */
static int check_unique(struct cfg_reader *r, const config_setting_t *g, const struct dpike_config *cfg, int idx,
			struct u64map *seen)
{
	const struct cfg_static_sa *sa = &cfg->static_sas[idx];
	uint64_t name_key = name_hash(sa->name) & ~(1ULL << 63), spi_key = 1ULL << 63 | sa->spi;
	uintptr_t other = (uintptr_t)u64map_get(seen, name_key);
	if (other && strcmp(cfg->static_sas[other - 1].name, sa->name) == 0)
		return cfg_fail(r, g, "static SA name '%s' is used twice", sa->name);
	if (sa->inbound && u64map_get(seen, spi_key) != NULL)
		return cfg_fail(r, g, "inbound spi 0x%08x is used twice", sa->spi);
	/* Two names with one hash: the second is then not indexed, and a third copy of it goes unnoticed. */
	if ((!other && u64map_put(seen, name_key, (void *)(uintptr_t)(idx + 1)) < 0) ||
	    (sa->inbound && u64map_put(seen, spi_key, (void *)(uintptr_t)(idx + 1)) < 0))
		return cfg_fail(r, g, "out of memory");
	return 0;
}

static int parse_static_sas(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	const config_setting_t *list;
	struct u64map seen;
	int rc = 0;
	u64map_init(&seen);
	int n = alloc_section(r, root, "static_sas", sizeof(struct cfg_static_sa), (void **)&cfg->static_sas, &list);
	for (int k = 0; k < n && rc == 0; k++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)k);
		rc = parse_static_sa(r, g, cfg, k) < 0 || check_unique(r, g, cfg, k, &seen) < 0 ? -1 : 0;
		cfg->n_static_sas += rc == 0;
	}
	u64map_free(&seen);
	return n < 0 || rc < 0 ? -1 : 0;
}

static int parse_shunts(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	static const char *const keys[] = { "name", "mode", "local_ts", "remote_ts", NULL };
	const config_setting_t *list;
	int n = alloc_section(r, root, "shunts", sizeof(struct cfg_shunt), (void **)&cfg->shunts, &list);
	for (int k = 0; k < n; k++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)k);
		struct cfg_shunt *s = &cfg->shunts[k];
		char mode[8];
		if (cfg_check_keys(r, g, keys) < 0 || cfg_get_string(r, g, "name", true, s->name, sizeof(s->name)) < 0 ||
		    cfg_get_string(r, g, "mode", true, mode, sizeof(mode)) < 0 ||
		    cfg_get_ts_list(r, g, "local_ts", true, &s->local_ts) < 0 ||
		    cfg_get_ts_list(r, g, "remote_ts", true, &s->remote_ts) < 0)
			return -1;
		if (strcmp(mode, "pass") != 0 && strcmp(mode, "drop") != 0)
			return cfg_fail(r, config_setting_get_member(g, "mode"), "shunt mode must be \"pass\" or \"drop\"");
		s->action = mode[0] == 'p' ? SHUNT_PASS : SHUNT_DROP;
		cfg->n_shunts++;
	}
	return n < 0 ? -1 : 0;
}

/*
 * A pool's addrs: a prefix (its network and broadcast addresses left out, down to /30) or a
 * range "first-last", as swanctl writes them.
 */
static bool parse_pool_addrs(const char *text, struct cfg_pool *p)
{
	char first[32];
	const char *dash = strchr(text, '-');
	uint32_t last;
	uint8_t plen;
	if (dash) {
		size_t n = (size_t)(dash - text);
		if (n >= sizeof(first))
			return false;
		memcpy(first, text, n);
		first[n] = '\0';
		if (!parse_ipv4(first, &p->base) || !parse_ipv4(dash + 1, &last) || last < p->base)
			return false;
		p->size = last - p->base + 1;
	} else {
		if (!parse_ipv4_prefix(text, &p->base, &plen, false) || plen < 12)
			return false;
		p->size = plen == 32 ? 1 : 1u << (32 - plen);
		if (plen <= 30) {
			p->base++;
			p->size -= 2;
		}
	}
	return p->size <= CFG_MAX_POOL_SIZE;
}

static int parse_pools(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	static const char *const keys[] = { "name", "addrs", "dns", NULL };
	const config_setting_t *list;
	int n = alloc_section(r, root, "pools", sizeof(struct cfg_pool), (void **)&cfg->pools, &list);
	for (int k = 0; k < n; k++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)k);
		struct cfg_pool *p = &cfg->pools[k];
		char addrs[64], dns[CFG_MAX_POOL_DNS][32];
		if (cfg_check_keys(r, g, keys) < 0 || cfg_get_string(r, g, "name", true, p->name, sizeof(p->name)) < 0 ||
		    cfg_get_string(r, g, "addrs", true, addrs, sizeof(addrs)) < 0 ||
		    cfg_get_items(r, g, "dns", false, &dns[0][0], sizeof(dns[0]), CFG_MAX_POOL_DNS, &p->n_dns) < 0)
			return -1;
		if (!parse_pool_addrs(addrs, p))
			return cfg_fail(r, config_setting_get_member(g, "addrs"),
					"pool addrs '%s' must be a prefix (/12 or longer) or a range first-last of at most %u "
					"addresses",
					addrs, CFG_MAX_POOL_SIZE);
		for (int i = 0; i < p->n_dns; i++)
			if (!parse_ipv4(dns[i], &p->dns[i]))
				return cfg_fail(r, config_setting_get_member(g, "dns"), "dns '%s' is not an IPv4 address", dns[i]);
		for (int i = 0; i < k; i++)
			if (strcmp(cfg->pools[i].name, p->name) == 0)
				return cfg_fail(r, g, "pool name '%s' is used twice", p->name);
		cfg->n_pools++;
	}
	return n < 0 ? -1 : 0;
}

static int parse_root(struct cfg_reader *r, const config_setting_t *root, struct dpike_config *cfg)
{
	int err;
	const config_setting_t *conns, *secrets;
	if (cfg_check_keys(r, root, top_keys) < 0 || parse_globals(r, root, cfg) < 0 || parse_ike_limits(r, root, cfg) < 0 ||
	    parse_interfaces(r, root, cfg) < 0 || parse_neighbours(r, root, cfg) < 0 || parse_routes(r, root, cfg) < 0 ||
	    parse_static_sas(r, root, cfg) < 0 || parse_shunts(r, root, cfg) < 0 || parse_pools(r, root, cfg) < 0)
		return -1;
	if ((conns = cfg_get_list(r, root, "connections", &err)) == NULL && err)
		return -1;
	if (conns && cfg_parse_connections(r, conns, cfg) < 0)
		return -1;
	if ((secrets = cfg_get_list(r, root, "secrets", &err)) == NULL && err)
		return -1;
	return secrets ? cfg_parse_secrets(r, secrets, cfg) : 0;
}

int config_load(const char *path, struct dpike_config *cfg, char err[CFG_ERR_MAX])
{
	config_t lc;
	struct cfg_reader r = { .file = path, .err = err };
	memset(cfg, 0, sizeof(*cfg));
	err[0] = '\0';
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	config_init(&lc);
	int rc = -1;
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			snprintf(err, CFG_ERR_MAX, "%s:0: cannot read the file", path);
		else
			snprintf(err, CFG_ERR_MAX, "%s:%d: %s", config_error_file(&lc) ? config_error_file(&lc) : path,
				 config_error_line(&lc), config_error_text(&lc));
	} else {
		rc = parse_root(&r, config_root_setting(&lc), cfg);
	}
	config_destroy(&lc);
	if (rc < 0)
		config_free(cfg);
	return rc;
}

void config_connection_free(struct cfg_connection *c)
{
	if (c == NULL)
		return;
	for (int i = 0; c->children && i < c->n_children; i++)
		free(c->children[i].esp_proposals);
	free(c->children);
	free(c->proposals);
	free(c->local.certs);
	free(c->local.cacerts);
	free(c->remote.certs);
	free(c->remote.cacerts);
	free(c);
}

void config_secret_index_free(struct cfg_secret_index *x)
{
	u64chains_free(&x->by_key);
	free(x->always);
	memset(x, 0, sizeof(*x));
}

void config_conn_index_free(struct cfg_conn_index *x)
{
	u64chains_free(&x->by_addr);
	free(x->wide);
	memset(x, 0, sizeof(*x));
}

void config_free(struct dpike_config *cfg)
{
	for (int i = 0; cfg->connections && i < cfg->n_connections; i++)
		config_connection_free(cfg->connections[i]);
	for (int i = 0; cfg->secrets && i <= cfg->n_secrets; i++) {
		explicit_bzero(cfg->secrets[i].secret, sizeof(cfg->secrets[i].secret));
		free(cfg->secrets[i].ids);
	}
	for (int i = 0; cfg->static_sas && i <= cfg->n_static_sas; i++)
		explicit_bzero(cfg->static_sas[i].key, sizeof(cfg->static_sas[i].key));
	free(cfg->neighbours);
	free(cfg->routes);
	free(cfg->static_sas);
	free(cfg->shunts);
	free(cfg->pools);
	free(cfg->connections);
	free(cfg->secrets);
	config_secret_index_free(&cfg->secret_index);
	config_conn_index_free(&cfg->conn_index);
	cfg->neighbours = NULL;
	cfg->routes = NULL;
	cfg->static_sas = NULL;
	cfg->shunts = NULL;
	cfg->pools = NULL;
	cfg->connections = NULL;
	cfg->secrets = NULL;
	cfg->n_connections = cfg->n_secrets = cfg->n_static_sas = cfg->n_pools = 0;
}
