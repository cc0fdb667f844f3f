/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration: the example loads as written; every bad line fails with file, line and reason. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "ike/proposal.h"
#include "dataplane/esp_algo.h"
#include "ike/v2/ike_sa.h"
#include "lib/tunnel_copy.h"
#include "unit.h"

static void test_example_loads(void)
{
	struct dpike_config cfg;
	char err[CFG_ERR_MAX];
	int rc = config_load(SOURCE_ROOT "/config/example.conf", &cfg, err);
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.n_ifaces, 2);
	CU_ASSERT_STRING_EQUAL(cfg.ifaces[1].name, "lan");
	CU_ASSERT_EQUAL(cfg.ifaces[0].addr, 0xc0000202);
	CU_ASSERT_EQUAL(cfg.idle_sleep_us, 50);
	CU_ASSERT_FALSE(cfg.stage_cycles);
	CU_ASSERT_EQUAL(cfg.gcm_keys, CFG_GCM_KEYS_AUTO);
	CU_ASSERT_FALSE(cfg.gcm_ipsec_mb_only);
	CU_ASSERT(cfg.sad_size == CFG_DEFAULT_SAD_SIZE && cfg.spd_size == CFG_DEFAULT_SPD_SIZE);
	CU_ASSERT_EQUAL(cfg.flow_cache_size, CFG_DEFAULT_FLOW_CACHE);
	CU_ASSERT_EQUAL(cfg.neighbour_size, CFG_DEFAULT_NEIGHBOURS);
	CU_ASSERT_EQUAL(cfg.n_static_sas, 2);
	CU_ASSERT_EQUAL(cfg.static_sas[0].spi, 0x1001);
	CU_ASSERT(cfg.static_sas[0].encap && !cfg.static_sas[0].inbound);
	CU_ASSERT_EQUAL(cfg.static_sas[1].replay_window, 1024);
	CU_ASSERT_EQUAL(cfg.static_sas[0].key_len, 20);
	CU_ASSERT_STRING_EQUAL(esp_algos[cfg.static_sas[0].alg].name, "aes128gcm16");
	CU_ASSERT_EQUAL(cfg.n_routes, 1);
	CU_ASSERT_EQUAL(cfg.routes[0].via, 0xc0000201);
	CU_ASSERT_EQUAL_FATAL(cfg.n_connections, 2);
	CU_ASSERT_EQUAL(cfg.connections[1]->version, 1);
	CU_ASSERT(cfg.connections[0]->fragmentation == CFG_FRAG_YES && cfg.connections[1]->fragmentation == CFG_FRAG_YES);
	CU_ASSERT_EQUAL(cfg.connections[1]->reauth_time, 8 * 3600);
	CU_ASSERT_EQUAL(cfg.connections[1]->dpd_timeout, 150);
	CU_ASSERT_EQUAL(cfg.connections[0]->rekey_time, 4 * 3600);
	CU_ASSERT_EQUAL(cfg.connections[0]->dpd_delay, 30);
	CU_ASSERT_EQUAL(cfg.connections[0]->children[0].start_action, START_TRAP);
	CU_ASSERT_EQUAL(cfg.connections[0]->children[0].rekey_time, 3600);
	CU_ASSERT_EQUAL(cfg.n_secrets, 2);
	CU_ASSERT_EQUAL(cfg.secrets[0].secret_len, (int)strlen("correct horse battery staple"));
	config_free(&cfg);
}

#define IFACES                                                                                                 \
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.2/24\"; },\n"             \
	"  { name = \"lan\"; device = \"net_null1\"; address = \"10.2.0.254/24\"; } );\n"
#define SA_HEAD "static_sas = ( { name = \"x\"; direction = \"out\"; spi = 0x1001; local = \"192.0.2.2\";\n"
#define SA_TAIL "  local_ts = [\"10.2.0.0/24\"]; remote_ts = [\"10.1.0.0/16\"]; } );\n"
#define GCM "  remote = \"192.0.2.1\"; esp = \"aes128gcm16\"; key = \"0x000102030405060708090a0b0c0d0e0f10111213\";\n"

struct bad_case {
	const char *text;
	int line;
	const char *reason;
};

static const struct bad_case cases[] = {
	{ IFACES "log_level = \"loud\";\n", 3, "log_level must be" },
	{ IFACES "bogus = 1;\n", 3, "unknown key 'bogus'" },
	{ IFACES "routes = ( { prefix = ; } );\n", 3, "syntax error" },
	{ "interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.300/24\"; } );\n", 1,
	  "address '192.0.2.300/24'" },
	{ "interfaces = ( { name = \"wan\"; device = \"net_null0\"; } );\n", 1, "missing required key 'address'" },
	{ "interfaces = ();\n", 1, "at least one interface" },
	{ IFACES "routes = ( { prefix = \"10.1.0.1/16\"; via = \"192.0.2.1\"; } );\n", 3, "host bits zero" },
	{ IFACES "routes = ( { prefix = \"10.1.0.0/16\"; via = \"198.51.100.1\"; } );\n", 3, "on no interface" },
	{ IFACES "neighbours = ( { interface = \"dmz\"; ip = \"192.0.2.1\"; mac = \"02:00:00:00:01:01\"; } );\n", 3,
	  "unknown interface 'dmz'" },
	{ IFACES "neighbours = ( { interface = \"wan\"; ip = \"192.0.2.1\"; mac = \"02:00:00\"; } );\n", 3,
	  "mac '02:00:00'" },
	{ IFACES SA_HEAD "  remote = \"192.0.2.1\"; esp = \"aes192ccm16\"; key = \"0x00\";\n" SA_TAIL, 4,
	  "unsupported esp 'aes192ccm16'" },
	{ IFACES SA_HEAD "  remote = \"192.0.2.1\"; esp = \"aes128gcm16\"; key = \"0x0001020304\";\n" SA_TAIL, 4,
	  "must be 20 bytes" },
	{ IFACES SA_HEAD "  remote = \"192.0.2.1\"; esp = \"aes256-sha256\"; key = \"0x0001\";\n" SA_TAIL, 4,
	  "must be 64 bytes" },
	{ IFACES SA_HEAD "  remote = \"192.0.2.1\"; esp = \"aes256-sha2_512\"; key = \"0x0001\";\n" SA_TAIL, 4,
	  "key for aes256-sha512 must be 96 bytes" },
	{ IFACES "static_sas = ( { name = \"x\"; direction = \"out\"; spi = 7; local = \"192.0.2.2\";\n" GCM SA_TAIL, 3,
	  "reserved" },
	{ IFACES "static_sas = ( { name = \"x\"; direction = \"sideways\"; spi = 0x1001; local = \"192.0.2.2\";\n" GCM
		 SA_TAIL,
	  3, "direction must be" },
	{ IFACES SA_HEAD GCM "  local_ts = [\"10.2.0.0/24[tcp/99999]\"]; remote_ts = [\"10.1.0.0/16\"]; } );\n", 5,
	  "not a traffic selector" },
	{ IFACES SA_HEAD GCM "  replay_window = 5000;\n" SA_TAIL, 5, "between 0 and 4096" },
	{ IFACES SA_HEAD GCM "  mode = \"beet\";\n" SA_TAIL, 5, "mode must be" },
	{ IFACES SA_HEAD GCM "  local_ts = [\"dynamic\"]; remote_ts = [\"10.1.0.0/16\"]; } );\n", 5,
	  "'dynamic' is not a traffic selector (a.b.c.d/len[proto/port], or a range first-last; dynamic is for a "
	  "connection's children)" },
	{ IFACES SA_HEAD GCM "  local_ts = [\"10.2.0.0/24\"]; remote_ts = [\"10.1.0.1-10.1.255.254\"]; } );\n", 5,
	  "'remote_ts': the range '10.1.0.1-10.1.255.254' takes 30 prefixes, more than are left of 16" },
	{ IFACES "static_sas = ( { name = \"a\"; direction = \"in\"; spi = 0x1001; local = \"192.0.2.2\";\n" GCM SA_TAIL
		 "static_sas2 = 1;\n",
	  6, "unknown key 'static_sas2'" },
	{ IFACES "connections = ( { name = \"c\"; proposals = [\"aes128-sha256-modp999\"];\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "unknown or misplaced algorithm 'modp999'" },
	{ IFACES "connections = ( { name = \"c\"; proposals = [\"aes128-sha256\"];\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "no key exchange method" },
	{ IFACES "connections = ( { name = \"c\"; proposals = \"aes128-sha256-x25519,, aes256-sha256-x25519\";\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "'proposals' has an empty item" },
	{ IFACES "pools = ( { name = \"rw\"; addrs = \"10.3.0.0/8\"; } );\n", 3,
	  "pool addrs '10.3.0.0/8' must be a prefix (/12 or longer) or a range" },
	{ IFACES "pools = ( { name = \"rw\"; addrs = \"10.3.0.9-10.3.0.1\"; } );\n", 3, "pool addrs" },
	{ IFACES "pools = ( { name = \"rw\"; addrs = \"10.3.0.0/24\"; dns = \"ns1\"; } );\n", 3,
	  "dns 'ns1' is not an IPv4 address" },
	{ IFACES "connections = ( { name = \"c\"; pools = \"rw\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "unknown pool 'rw'" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; mode = \"pass\"; local_ts = \"dynamic\"; remote_ts = \"10.0.0.0/8\"; } ); } );\n",
	  4, "a child of mode pass or drop needs local_ts and remote_ts as prefixes" },
	{ IFACES "connections = ( { name = \"c\"; proposals = [\"null-sha256-x25519\"];\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "'null' (no encryption) is available for ESP only" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; esp_proposals = [\"null\"]; } ); } );\n",
	  4, "no integrity algorithm for a non-AEAD cipher" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; start_action = \"later\"; } ); } );\n",
	  4, "start_action must be one of" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; close_action = \"restart\"; } ); } );\n",
	  4, "close_action must be one of \"none\", \"trap\", \"start\", \"clear\"" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; mark_in = 42; } ); } );\n",
	  4, "unknown key 'mark_in'" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\";\n updown = \"/nonexistent/updown iptables\"; } ); } );\n",
	  5, "updown: /nonexistent/updown is not an executable file" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; updown = \"/etc/passwd\"; } ); } );\n",
	  4, "updown: /etc/passwd is not an executable file" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; copy_dscp = \"both\"; } ); } );\n",
	  4, "copy_dscp must be one of \"no\", \"in\", \"out\", \"yes\"" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; rekey_packets = 100; life_packets = 50; } ); } );\n",
	  4, "life_packets must not be smaller than rekey_packets" },
	{ IFACES "connections = ( { name = \"c\"; version = 1; childless = \"force\";\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "childless = \"force\" is for IKEv2 (RFC 6023)" },
	{ IFACES "connections = ( { name = \"c\"; remote_addrs = \"192.0.2.1, vpn.example.org\";\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "remote_addrs item 'vpn.example.org' is not an IPv4 address, prefix, range first-last or %any" },
	{ IFACES SA_HEAD GCM "  copy_ecn = 2;\n" SA_TAIL, 5, "'copy_ecn' must be true/false or \"yes\"/\"no\"" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  unique = \"first\"; } );\n",
	  4, "unique must be one of \"no\", \"never\", \"keep\", \"replace\"" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  fragmentation = \"maybe\"; } );\n",
	  4, "fragmentation must be one of \"yes\", \"accept\", \"force\", \"no\"" },
	{ IFACES "connections = ( { name = \"c\"; version = 2; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  fragmentation = \"force\"; } );\n",
	  4, "applies to IKEv1 only" },
	{ IFACES "connections = ( { name = \"c\"; version = 2; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  pull = false; } );\n",
	  4, "pull = false (Mode Config push) applies to IKEv1 only" },
	{ IFACES "connections = ( { name = \"c\"; version = 2; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  remote-2 = { auth = \"xauth\"; }; } );\n",
	  4, "XAuth is IKEv1's (version = 1); IKEv2 has EAP for a second round" },
	{ IFACES "connections = ( { name = \"c\"; version = 1; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  local-2 = { auth = \"eap-md5\"; }; } );\n",
	  4, "'local-2' needs auth = \"xauth\"" },
	{ IFACES "connections = ( { name = \"c\"; version = 1; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  local-2 = { auth = \"xauth\"; password = \"x\"; }; } );\n",
	  4, "unknown key 'password'" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"eap\"; }; remote = { auth = \"psk\"; }; } );\n", 3,
	  "'local' needs auth = \"psk\", \"pubkey\"" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; };\n"
		 "  remote = { auth = \"rsa/pss-sha1\"; cacerts = [\"ca.pem\"]; }; } );\n", 4,
	  "'remote' needs auth = \"psk\", \"pubkey\"" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; };\n"
		 "  remote = { auth = \"ed25519-sha256\"; cacerts = [\"ca.pem\"]; }; } );\n", 4,
	  "'remote' needs auth" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"ecdsa-sha384\"; }; remote = { auth = \"psk\"; }; } );\n", 3,
	  "local auth = \"ecdsa-sha384\" needs certs" },
	{ IFACES "connections = ( { name = \"c\"; version = 2; aggressive = true;\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "IKEv1 only" },
	{ IFACES "connections = ( { name = \"c\";\n"
		 "  local = { auth = \"eap-mschapv2\"; }; remote = { auth = \"psk\"; }; } );\n",
	  4, "dpike authenticates peers by EAP, it is no EAP client" },
	{ IFACES "connections = ( { name = \"c\"; version = 1;\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"eap-md5\"; }; } );\n",
	  4, "EAP is IKEv2's" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"eap-md5\"; };\n"
		 "  children = ( { name = \"n\"; start_action = \"trap\"; } ); } );\n",
	  4, "EAP road warriors connect to dpike" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; };\n"
		 "  remote = { auth = \"psk\"; eap_id = \"%any\"; }; } );\n",
	  4, "eap_id goes with auth" },
	{ IFACES "connections = ( { name = \"c\"; version = 1; proposals = [\"aes128ctr-aesxcbc-modp2048\"];\n"
		 "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
	  3, "'aes128ctr-aesxcbc-modp2048': IKEv1 takes aes128, aes192, aes256 or 3des" },
	{ IFACES "connections = ( { name = \"c\"; version = 1; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		 "  children = ( { name = \"n\"; esp_proposals = [\"aes128gcm16-aes192ccm16\"]; } ); } );\n",
	  4, "the dataplane has no ESP transform aes192ccm16" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"pubkey\"; }; remote = { auth = \"psk\"; }; } );\n", 3,
	  "needs certs" },
	{ IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; };\n  remote = { auth = \"pubkey\"; }; } );\n",
	  4, "needs cacerts" },
	{ IFACES "crls = [1, 2];\n", 3, "crls" },
	{ IFACES "secrets = ( { type = \"ike\"; id = \"a\"; secret = \"\"; } );\n", 3, "secret must be" },
	{ IFACES "secrets = ( { type = \"ike\"; id = \"a\"; secret = \"0sc2VjcmV0M\"; } );\n", 3, "0s-prefixed base64" },
	{ IFACES "secrets = ( { type = \"ike\"; id = \"a\"; secret = \"0s!!!!\"; } );\n", 3, "0s-prefixed base64" },
	{ IFACES "workers = { idle_sleep_us = -5; };\n", 3, "between 0 and" },
	{ IFACES "workers = {\n  sad_size = 8; };\n", 4, "sad_size must be 16 to" },
	{ IFACES "static_sas = ( { name = \"a\"; direction = \"in\"; spi = 0x1001; local = \"192.0.2.2\";\n" GCM
		 "  local_ts = [\"10.2.0.0/24\"]; remote_ts = [\"10.1.0.0/16\"]; },\n"
		 "  { name = \"b\"; direction = \"in\"; spi = 0x1001; local = \"192.0.2.2\";\n" GCM SA_TAIL,
	  6, "inbound spi 0x00001001 is used twice" },
	{ IFACES "static_sas = ( { name = \"a\"; direction = \"in\"; spi = 0x1001; local = \"192.0.2.2\";\n" GCM
		 "  local_ts = [\"10.2.0.0/24\"]; remote_ts = [\"10.1.0.0/16\"]; },\n"
		 "  { name = \"a\"; direction = \"out\"; spi = 0x1001; local = \"192.0.2.2\";\n" GCM SA_TAIL,
	  6, "static SA name 'a' is used twice" },
	{ IFACES "workers = { spd_size = 100000000; };\n", 3, "spd_size" },
	{ IFACES "workers = { mbufs = 512; };\n", 3, "mbufs must be at least 2048" },
	{ IFACES "workers = {\n  gcm_keys = \"small\"; };\n", 4, "gcm_keys must be one of \"auto\", \"full\", \"compact\"" },
	{ IFACES "workers = {\n  gcm_code = \"vaes\"; };\n", 4, "gcm_code must be one of \"auto\", \"ipsec-mb\"" },
	{ IFACES "workers = {\n  stage_cycles = \"sometimes\"; };\n", 4, "'stage_cycles' must be true/false" },
	{ IFACES "workers = {\n  flow_cache_size = 100000; };\n", 4, "flow_cache_size must be a power of two" },
	{ IFACES "workers = { flow_cache_size = 512; };\n", 3, "flow_cache_size must be a power of two" },
	{ IFACES "workers = { neighbour_size = 4; };\n", 3, "neighbour_size must be 16 to" },
	{ IFACES "workers = {\n  neighbour_timeout = \"8d\"; };\n", 4, "neighbour_timeout must be at most a week" },
	{ IFACES "workers = { neighbour_timeout = \"soon\"; };\n", 3, "neighbour_timeout" },
};

static void test_bad_lines(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dpike_config cfg;
		char err[CFG_ERR_MAX], want[512];
		const char *path = unit_temp_file(cases[i].text);
		CU_ASSERT_PTR_NOT_NULL_FATAL(path);
		CU_ASSERT_EQUAL(config_load(path, &cfg, err), -1);
		snprintf(want, sizeof(want), "%s:%d: ", path, cases[i].line);
		bool ok = strncmp(err, want, strlen(want)) == 0 && strstr(err, cases[i].reason) != NULL;
		if (!ok)
			fprintf(stderr, "case %zu: got \"%s\", want \"%s...%s\"\n", i, err, want, cases[i].reason);
		CU_ASSERT(ok);
		unlink(path);
	}
}

/* Loads a configuration that must load; the test stops here if it does not. */
static void load_ok(const char *text, struct dpike_config *cfg)
{
	char err[CFG_ERR_MAX];
	const char *path = unit_temp_file(text);
	int rc = config_load(path, cfg, err);
	unlink(path);
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

/* Weak algorithms load where a connection lists them (with a warning in the log), and only there. */
static void test_weak_when_listed(void)
{
	struct dpike_config cfg;
	load_ok(IFACES "connections = ( { name = \"old\"; version = 1;\n"
		       "  proposals = [\"3des-sha1-modp1024\", \"aes128-sha1-modp1536\"];\n"
		       "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
		&cfg);
	struct proposal p[4];
	CU_ASSERT_EQUAL(proposal_parse_list((char(*)[128])cfg.connections[0]->proposals, 2, PROPOSAL_IKE, p, 4), 2);
	CU_ASSERT(proposal_is_weak(&p[0]) && proposal_is_weak(&p[1]));
	config_free(&cfg);
}

/* Point-to-point WAN addresses: a /31 (RFC 3021) and a /32 whose gateway a route names with its interface. */
static void test_point_to_point(void)
{
	struct dpike_config cfg;
	load_ok("interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"198.51.100.0/31\"; },\n"
		"  { name = \"up\"; device = \"net_null1\"; address = \"203.0.113.2/32\"; } );\n"
		"routes = ( { prefix = \"0.0.0.0/0\"; via = \"203.0.113.1\"; interface = \"up\"; } );\n",
		&cfg);
	CU_ASSERT(cfg.ifaces[0].addr == 0xc6336400 && cfg.ifaces[0].plen == 31);
	CU_ASSERT(cfg.ifaces[1].addr == 0xcb007102 && cfg.ifaces[1].plen == 32);
	CU_ASSERT(cfg.routes[0].iface == 1 && cfg.routes[0].via == 0xcb007101);
	config_free(&cfg);
}

/* swanctl's comma-separated lists, in one string or in each of several; DN ids stay whole. */
static void test_comma_lists(void)
{
	struct dpike_config cfg;
	load_ok(IFACES "connections = ( { name = \"c\"; remote_addrs = \"192.0.2.1, 192.0.2.9\";\n"
		       "  proposals = [\"aes128gcm16-prfsha256-x25519,aes256-sha384-ecp384\", \"aes128-sha256-modp3072\"];\n"
		       "  local = { auth = \"psk\"; id = \"C=CH, O=dpike, CN=gw\"; }; remote = { auth = \"psk\"; };\n"
		       "  children = ( { name = \"n\"; local_ts = \"10.2.0.0/24, 10.3.0.0/24[tcp/80], 10.4.0.1-10.4.0.3\";\n"
		       "                 remote_ts = [\"dynamic\"]; esp_proposals = \"aes128gcm16, aes256-sha256\"; } ); } );\n", &cfg);
	const struct cfg_connection *c = cfg.connections[0];
	CU_ASSERT(c->n_remote_addrs == 2 && strcmp(c->remote_addrs[1], "192.0.2.9") == 0);
	CU_ASSERT(c->n_proposals == 3 && strcmp(c->proposals[1], "aes256-sha384-ecp384") == 0);
	CU_ASSERT_STRING_EQUAL(c->local.id, "C=CH, O=dpike, CN=gw");
	const struct cfg_child *ch = &c->children[0];
	CU_ASSERT(ch->local_ts.n == 4 && ch->local_ts.ts[1].addr == 0x0a030000 && ch->local_ts.ts[1].proto == 6);
	CU_ASSERT(ch->local_ts.ts[2].addr == 0x0a040001 && ch->local_ts.ts[2].plen == 32 && ch->local_ts.ts[3].addr == 0x0a040002 &&
		  ch->local_ts.ts[3].plen == 31); /* the range's prefixes */
	CU_ASSERT(ch->remote_ts.n == 1 && ch->remote_ts.ts[0].dynamic);
	CU_ASSERT(ch->n_esp_proposals == 2 && strcmp(ch->esp_proposals[1], "aes256-sha256") == 0);
	config_free(&cfg);
}

/* swanctl's copy_df, copy_ecn, copy_dscp: their defaults, and each set other ways. */
static void test_tunnel_copy_keys(void)
{
	struct dpike_config cfg;
	load_ok(IFACES SA_HEAD GCM "  copy_ecn = \"no\"; copy_dscp = true;\n" SA_TAIL
		       "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		       "  children = ( { name = \"a\"; }, { name = \"b\"; copy_df = false; copy_dscp = \"in\"; inactivity = \"5m\"; } ); } );\n",
		&cfg);
	CU_ASSERT_EQUAL(cfg.static_sas[0].copy, TUNNEL_COPY_DF | TUNNEL_COPY_DSCP_IN | TUNNEL_COPY_DSCP_OUT);
	CU_ASSERT_EQUAL(cfg.connections[0]->children[0].copy, TUNNEL_COPY_DEFAULT);
	CU_ASSERT_EQUAL(cfg.connections[0]->children[1].copy, TUNNEL_COPY_ECN | TUNNEL_COPY_DSCP_IN);
	CU_ASSERT(cfg.connections[0]->children[0].inactivity == 0 && cfg.connections[0]->children[1].inactivity == 300);
	config_free(&cfg);
}

/* swanctl's updown: any shell command; one that starts with a path names an executable file there. */
static void test_updown(void)
{
	struct dpike_config cfg;
	load_ok(IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		       "  children = ( { name = \"a\"; }, { name = \"b\"; updown = \"/bin/sh -c 'exit 0'\"; hostaccess = true; },\n"
		       "               { name = \"c\"; updown = \"logger -t vpn\"; } ); } );\n",
		&cfg);
	const struct cfg_child *ch = cfg.connections[0]->children;
	CU_ASSERT(ch[0].updown[0] == '\0' && !ch[0].hostaccess);
	CU_ASSERT_STRING_EQUAL(ch[1].updown, "/bin/sh -c 'exit 0'");
	CU_ASSERT(ch[1].hostaccess);
	CU_ASSERT_STRING_EQUAL(ch[2].updown, "logger -t vpn");
	config_free(&cfg);
}

/* What load-conns compares: a connection's group as written, not its layout, comments or neighbours. */
static uint64_t digest_of(const char *conns, int i)
{
	struct dpike_config cfg;
	char text[2048];
	snprintf(text, sizeof(text), IFACES "connections = ( %s );\n", conns);
	load_ok(text, &cfg);
	uint64_t d = cfg.connections[i]->digest;
	config_free(&cfg);
	return d;
}

static void test_connection_digest(void)
{
	const char *a = "{ name = \"a\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
			"  children = ( { name = \"x\"; rekey_time = \"1h\"; } ); }";
	uint64_t d = digest_of(a, 0);
	CU_ASSERT_EQUAL(digest_of("{ name = \"a\";\n  # a comment\n  local = { auth = \"psk\"; };"
				  "    remote = {auth=\"psk\";}; children = ( { name = \"x\"; rekey_time = \"1h\"; } ); }", 0), d);
	char two[1024];
	snprintf(two, sizeof(two), "{ name = \"b\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; }, %s", a);
	CU_ASSERT_EQUAL(digest_of(two, 1), d); /* another connection before it */
	CU_ASSERT_NOT_EQUAL(digest_of("{ name = \"a\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
				      "  children = ( { name = \"x\"; rekey_time = \"2h\"; } ); }", 0), d);
	CU_ASSERT_NOT_EQUAL(digest_of("{ name = \"a\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
				      "  children = ( { name = \"x\"; rekey_time = \"1h\"; }, { name = \"y\"; } ); }", 0), d);
	CU_ASSERT_NOT_EQUAL(digest_of("{ name = \"a\"; local = { auth = \"psk\"; id = \"gw\"; }; remote = { auth = \"psk\"; };\n"
				      "  children = ( { name = \"x\"; rekey_time = \"1h\"; } ); }", 0), d);
}

/* local_addrs / remote_addrs: addresses, prefixes, ranges and %any; an initiator's peer is the first single address. */
static void test_address_lists(void)
{
	struct dpike_config cfg;
	load_ok(IFACES "connections = ( { name = \"c\"; remote_addrs = \"192.0.2.10-192.0.2.20, 198.51.100.0/24, 203.0.113.5\";\n"
		       "  local_addrs = \"%any\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n",
		&cfg);
	const struct cfg_connection *c = cfg.connections[0];
	CU_ASSERT(cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, 0xc000020a) &&
		  cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, 0xc0000214) &&
		  !cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, 0xc0000215) &&
		  cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, 0xc63364fe) &&
		  cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, 0xcb007105) &&
		  !cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, 0xcb007106));
	CU_ASSERT(cfg_addr_listed(c->local_ranges, c->n_local_addrs, 0x0a000001));
	uint32_t peer = 0;
	CU_ASSERT(cfg_addr_single(c->remote_ranges, c->n_remote_addrs, &peer) && peer == 0xcb007105);
	CU_ASSERT(!cfg_addr_single(c->local_ranges, c->n_local_addrs, &peer));
	config_free(&cfg);
}

/* Volume limits as swanctl sets them: life 10% past rekey, rekeys spread over the difference, or as given. */
static void test_volume_limits(void)
{
	struct dpike_config cfg;
	load_ok(IFACES "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		       "  children = ( { name = \"a\"; rekey_bytes = \"1000\"; rekey_packets = 500; },\n"
		       "    { name = \"b\"; rekey_bytes = 1000; life_bytes = 3000; rand_bytes = 0; life_packets = 9; } ); } );\n",
		&cfg);
	const struct cfg_child *a = &cfg.connections[0]->children[0], *b = &cfg.connections[0]->children[1];
	CU_ASSERT(a->life_bytes == 1100 && a->rand_bytes == 100 && a->life_packets == 550 && a->rand_packets == 50);
	CU_ASSERT(b->life_bytes == 3000 && b->rand_bytes == 0 && b->rekey_packets == 0 && b->life_packets == 9 &&
		  b->rand_packets == 0);
	for (int i = 0; i < 1000; i++) {
		uint64_t soft = child_jittered(a->rekey_bytes, a->rand_bytes);
		CU_ASSERT(soft > 900 && soft <= 1000);
	}
	CU_ASSERT(child_jittered(1000, 0) == 1000 && child_jittered(0, 50) == 0 && child_jittered(10, 5000) <= 10);
	config_free(&cfg);
}

/* swanctl's shunts: children of mode pass or drop become bypass and discard policies. */
static void test_shunt_children(void)
{
	struct dpike_config cfg;
	load_ok(IFACES "shunts = ( { name = \"old\"; mode = \"drop\"; local_ts = \"10.9.0.0/16\"; remote_ts = \"0.0.0.0/0\"; } );\n"
		       "connections = ( { name = \"c\"; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; };\n"
		       "  children = ( { name = \"lan\"; mode = \"pass\"; local_ts = \"10.2.0.0/24\"; remote_ts = \"10.2.0.0/24\"; },\n"
		       "               { name = \"net\"; local_ts = \"10.2.0.0/24\"; remote_ts = \"10.1.0.0/16\"; },\n"
		       "               { name = \"smtp\"; mode = \"drop\"; local_ts = \"0.0.0.0/0[tcp/25]\";\n"
		       "                 remote_ts = \"0.0.0.0/0\"; } ); } );\n", &cfg);
	CU_ASSERT(cfg.connections[0]->n_children == 1 && strcmp(cfg.connections[0]->children[0].name, "net") == 0);
	CU_ASSERT_FATAL(cfg.n_shunts == 3);
	CU_ASSERT(strcmp(cfg.shunts[1].name, "c/lan") == 0 && cfg.shunts[1].action == SHUNT_PASS);
	CU_ASSERT(strcmp(cfg.shunts[2].name, "c/smtp") == 0 && cfg.shunts[2].action == SHUNT_DROP &&
		  cfg.shunts[2].local_ts.ts[0].proto == 6 && cfg.shunts[2].local_ts.ts[0].port_lo == 25);
	config_free(&cfg);
}

/* Pools: a prefix without its network and broadcast addresses, a range, DNS servers; connections name them. */
static void test_pools(void)
{
	struct dpike_config cfg;
	load_ok(IFACES "pools = ( { name = \"a\"; addrs = \"10.3.0.0/30\"; dns = \"192.0.2.53, 192.0.2.54\"; },\n"
		       "          { name = \"b\"; addrs = \"10.4.0.10-10.4.0.19\"; }, { name = \"c\"; addrs = \"10.5.0.7/32\"; } );\n"
		       "connections = ( { name = \"rw\"; pools = [\"b\", \"a\"]; local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; } );\n", &cfg);
	CU_ASSERT_FATAL(cfg.n_pools == 3);
	CU_ASSERT(cfg.pools[0].base == 0x0a030001 && cfg.pools[0].size == 2 && cfg.pools[0].n_dns == 2 &&
		  cfg.pools[0].dns[1] == 0xc0000236);
	CU_ASSERT(cfg.pools[1].base == 0x0a04000a && cfg.pools[1].size == 10);
	CU_ASSERT(cfg.pools[2].base == 0x0a050007 && cfg.pools[2].size == 1);
	CU_ASSERT(cfg.connections[0]->n_pools == 2 && cfg.connections[0]->pools[0] == 1 && cfg.connections[0]->pools[1] == 0);
	config_free(&cfg);
}

/* The longest keying material, AES-256 with HMAC-SHA2-512's key, fits a static SA whole. */
static void test_longest_static_key(void)
{
	struct dpike_config cfg;
	char text[1024], hex[2 * 100 + 1];
	for (int i = 0; i < 100; i++)
		snprintf(hex + 2 * i, 3, "%02x", i);
	snprintf(text, sizeof(text), IFACES SA_HEAD "  remote = \"192.0.2.1\"; esp = \"aes256ctr-sha512\"; key = \"0x%s\";\n" SA_TAIL,
		 hex);
	load_ok(text, &cfg);
	CU_ASSERT_EQUAL(cfg.static_sas[0].key_len, 100);
	CU_ASSERT(cfg.static_sas[0].key[0] == 0 && cfg.static_sas[0].key[99] == 99);
	config_free(&cfg);
}

static void test_gcm_keys(void)
{
	static const char *const keys[] = { "full", "compact", "auto" }, *const codes[] = { "auto", "ipsec-mb" };
	static const enum cfg_gcm_keys layouts[] = { CFG_GCM_KEYS_FULL, CFG_GCM_KEYS_COMPACT, CFG_GCM_KEYS_AUTO };
	for (int choice = 0; choice < 6; choice++) {
		struct dpike_config cfg;
		char err[CFG_ERR_MAX], text[512];
		snprintf(text, sizeof(text), IFACES "workers = { gcm_keys = \"%s\"; gcm_code = \"%s\"; stage_cycles = %s; };\n",
			 keys[choice % 3], codes[choice / 3], choice & 1 ? "true" : "\"no\"");
		const char *path = unit_temp_file(text);
		int rc = config_load(path, &cfg, err);
		unlink(path);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL(cfg.gcm_keys, layouts[choice % 3]);
		CU_ASSERT_EQUAL(cfg.gcm_ipsec_mb_only, choice / 3 == 1);
		CU_ASSERT_EQUAL(cfg.stage_cycles, (choice & 1) == 1);
		config_free(&cfg);
	}
}

static void test_worker_table_sizes(void)
{
	struct dpike_config cfg;
	char err[CFG_ERR_MAX];
	const char *path = unit_temp_file(IFACES "workers = { flow_cache_size = 2097152; neighbour_size = 1000; };\n");
	int rc = config_load(path, &cfg, err);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.flow_cache_size, 2097152);
	CU_ASSERT_EQUAL(cfg.neighbour_size, 1000);
	CU_ASSERT_EQUAL(cfg.neighbour_timeout, CFG_DEFAULT_NEIGHBOUR_TIMEOUT);
	config_free(&cfg);
	path = unit_temp_file(IFACES "workers = { neighbour_timeout = \"90s\"; };\n");
	rc = config_load(path, &cfg, err);
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(cfg.neighbour_timeout, 90);
	config_free(&cfg);
}

/* Secrets as swanctl writes them: text, 0x hex, 0s base64 (RFC 4648, padded or not by length). */
static void test_secret_encodings(void)
{
	static const struct {
		const char *text;
		const char *bytes;
		int len;
	} cases[] = { { "plain words", "plain words", 11 }, { "0x000102ff", "\x00\x01\x02\xff", 4 },
		      { "0sc2VjcmV0", "secret", 6 }, { "0sAAEC/w==", "\x00\x01\x02\xff", 4 },
		      { "0sc2VjcmV0MQ==", "secret1", 7 }, { "0sc2VjcmV0MTI=", "secret12", 8 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		struct dpike_config cfg;
		char err[CFG_ERR_MAX];
		snprintf(text, sizeof(text), IFACES "secrets = ( { type = \"ike\"; id = \"a\"; secret = \"%s\"; } );\n",
			 cases[i].text);
		const char *path = unit_temp_file(text);
		int rc = config_load(path, &cfg, err);
		unlink(path);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT(cfg.secrets[0].secret_len == cases[i].len &&
			  memcmp(cfg.secrets[0].secret, cases[i].bytes, (size_t)cases[i].len) == 0);
		config_free(&cfg);
	}
}

static void test_missing_file(void)
{
	struct dpike_config cfg;
	char err[CFG_ERR_MAX];
	CU_ASSERT_EQUAL(config_load("/nonexistent/dpike.conf", &cfg, err), -1);
	CU_ASSERT(strstr(err, "/nonexistent/dpike.conf:0: cannot read") == err);
}

void config_suite_add(CU_pSuite s)
{
	CU_add_test(s, "example.conf loads as written", test_example_loads);
	CU_add_test(s, "each bad line: file, line, reason", test_bad_lines);
	CU_add_test(s, "a connection's digest: its settings, not their layout", test_connection_digest);
	CU_add_test(s, "weak algorithms only where listed", test_weak_when_listed);
	CU_add_test(s, "point-to-point addresses: /31 and /32 with a route to the gateway", test_point_to_point);
	CU_add_test(s, "the longest static SA key", test_longest_static_key);
	CU_add_test(s, "swanctl's comma-separated lists", test_comma_lists);
	CU_add_test(s, "children of mode pass or drop become shunts", test_shunt_children);
	CU_add_test(s, "copy_df, copy_ecn, copy_dscp", test_tunnel_copy_keys);
	CU_add_test(s, "updown and hostaccess", test_updown);
	CU_add_test(s, "volume limits: swanctl's defaults, rand_bytes and rand_packets", test_volume_limits);
	CU_add_test(s, "address lists: addresses, prefixes, ranges, %any", test_address_lists);
	CU_add_test(s, "pools: prefixes, ranges, DNS, named by connections", test_pools);
	CU_add_test(s, "workers.gcm_keys, workers.gcm_code and workers.stage_cycles", test_gcm_keys);
	CU_add_test(s, "workers.flow_cache_size and neighbour_size", test_worker_table_sizes);
	CU_add_test(s, "secrets: text, 0x hex, 0s base64", test_secret_encodings);
	CU_add_test(s, "missing file", test_missing_file);
}
