/* SPDX-License-Identifier: BSD-3-Clause */
/* The connections a responder considers for a peer's address (ike/conn_index.c), in file order. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "ike/conn_index.h"
#include "unit.h"

#define IFACES "interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.2/24\"; } );\n"
#define CONN(name, remote)                                                                                 \
	"{ name = \"" name "\"; version = 2; local_addrs = [\"192.0.2.2\"]; " remote                       \
	" local = { auth = \"psk\"; }; remote = { auth = \"psk\"; }; }\n"

/* The names of the candidates for remote, space-separated, into out. */
static const char *candidates(const struct dpike_config *cfg, uint32_t remote, char *out, size_t len)
{
	struct conn_iter it;
	size_t n = 0;
	out[0] = '\0';
	conn_iter_start(&it, cfg, remote);
	for (const struct cfg_connection *c; (c = conn_iter_next(&it)) != NULL && n < len;)
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "", c->name);
	return out;
}

static const char mixed[] = IFACES "connections = (\n" CONN("any", "") ","
	CONN("one", "remote_addrs = [\"198.51.100.1\"];") "," CONN("net", "remote_addrs = [\"198.51.100.0/24\"];") ","
	CONN("two", "remote_addrs = [\"198.51.100.1\", \"198.51.100.2\", \"198.51.100.1\"];") ","
	CONN("three", "remote_addrs = [\"198.51.100.3\"];") ","
	CONN("range", "remote_addrs = [\"203.0.113.1-203.0.113.9\"];") ","
	CONN("last", "remote_addrs = [\"198.51.100.1\"];") "  );\n";

/* Connections for single addresses come up for those alone; the others for every peer; all in file order. */
static void test_candidates(void)
{
	struct dpike_config cfg;
	char got[512];
	unit_load_config(mixed, &cfg);
	CU_ASSERT_STRING_EQUAL(candidates(&cfg, 0xc6336401, got, sizeof(got)), "any one net two range last");
	CU_ASSERT_STRING_EQUAL(candidates(&cfg, 0xc6336402, got, sizeof(got)), "any net two range");
	CU_ASSERT_STRING_EQUAL(candidates(&cfg, 0xc6336403, got, sizeof(got)), "any net three range");
	CU_ASSERT_STRING_EQUAL(candidates(&cfg, 0xcb007105, got, sizeof(got)), "any net range");
	CU_ASSERT(cfg.conn_index.built);
	/* another set of connections (as load-conns makes): the index follows it */
	struct cfg_connection *keep = cfg.connections[6];
	cfg.connections[6] = cfg.connections[1];
	cfg.connections[1] = keep;
	cfg.n_connections = 6;
	CU_ASSERT_STRING_EQUAL(candidates(&cfg, 0xc6336401, got, sizeof(got)), "any last net two range");
	cfg.n_connections = 7;
	config_free(&cfg);
}

#define SITES 20000

/* A concentrator's twenty thousand sites: a site's address brings up its own connection alone. */
static void test_many_sites(void)
{
	size_t cap = (size_t)SITES * 200 + 4096, n = 0;
	char *text = malloc(cap), got[512], want[32];
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	n += (size_t)snprintf(text + n, cap - n, IFACES "connections = (\n");
	for (int i = 0; i < SITES; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      CONN("site%d", "remote_addrs = [\"198.18.%d.%d\"];") ",", i, i / 256, i % 256);
	snprintf(text + n, cap - n, CONN("rw", "") "  );\n");
	struct dpike_config cfg;
	unit_load_config(text, &cfg);
	free(text);
	int wrong = 0;
	for (int i = 0; i < SITES; i += 13) {
		snprintf(want, sizeof(want), "site%d rw", i);
		wrong += strcmp(candidates(&cfg, 0xc6120000u + (uint32_t)i, got, sizeof(got)), want) != 0;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_STRING_EQUAL(candidates(&cfg, 0xc0000201, got, sizeof(got)), "rw");
	config_free(&cfg);
}

void conn_index_suite_add(CU_pSuite s)
{
	CU_add_test(s, "single addresses, prefixes, ranges and any: the candidates for a peer in file order",
		    test_candidates);
	CU_add_test(s, "twenty thousand sites: each one's address brings up its connection alone", test_many_sites);
}
