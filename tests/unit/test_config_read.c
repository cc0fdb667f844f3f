/* SPDX-License-Identifier: BSD-3-Clause */
/* The configuration file read on a thread of its own (app/config_read.c), as dpikectl load-* does. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/config_read.h"
#include "config/config.h"
#include "ike/credentials.h"
#include "unit.h"

#define IFACES "interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.2/24\"; } );\n"
#define READ_DEADLINE_S 60

/* site N: a PSK connection; pubkey, one whose certificate file is not there */
static void site(FILE *f, int i, bool pubkey)
{
	fprintf(f,
		"%s{ name = \"site%d\"; remote_addrs = [\"198.51.100.%d\"]; local = { auth = \"%s\"; id = \"gw.example\"; %s};\n"
		"  remote = { auth = \"%s\"; id = \"site%d.example\"; %s};\n"
		"  children = ( { name = \"net\"; local_ts = [\"10.2.0.0/24\"]; remote_ts = [\"10.%d.%d.0/24\"]; } ); }\n",
		i ? "," : "", i, i % 250 + 1, pubkey ? "pubkey" : "psk", pubkey ? "certs = [\"absent.pem\"]; " : "",
		pubkey ? "pubkey" : "psk", i, pubkey ? "cacerts = [\"absent-ca.pem\"]; " : "", 100 + i / 256 % 100, i % 256);
}

/* A file of n sites, the last of them pubkey when asked; its path (static). */
static const char *sites_file(int n, bool last_pubkey)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/dpike-unit-read-XXXXXX");
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(IFACES "connections = (\n", f);
	for (int i = 0; i < n; i++)
		site(f, i, last_pubkey && i == n - 1);
	fputs(");\nsecrets = ( { type = \"ike\"; secret = \"x\"; } );\n", f);
	fclose(f);
	return path;
}

/* Polls the read as the control core does, with a deadline; true once done. */
static bool wait_done(const struct config_read *r)
{
	time_t deadline = time(NULL) + READ_DEADLINE_S;
	while (!config_read_done(r))
		if (time(NULL) > deadline)
			return false;
		else
			usleep(1000);
	return true;
}

static void test_read_whole(void)
{
	const char *path = sites_file(5000, false);
	struct config_read *r = config_read_start(path, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_FATAL(wait_done(r));
	struct config_read_result res;
	config_read_take(r, &res);
	config_read_free(r);
	unlink(path);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.cfg.n_connections, 5000);
	CU_ASSERT_STRING_EQUAL(res.cfg.connections[4999]->name, "site4999");
	CU_ASSERT_EQUAL(res.cfg.n_secrets, 1);
	CU_ASSERT_PTR_NOT_NULL(res.creds);
	credentials_free(res.creds);
	config_free(&res.cfg);
}

static void test_read_errors(void)
{
	/* the file itself broken: its line and what is wrong */
	const char *path = unit_temp_file(IFACES "connections = ( { name = \"a\"; remote_addrs = [\"192.0.2.1\"] } );\n"
						 "bogus_key = 1;\n");
	struct config_read *r = config_read_start(path, true);
	CU_ASSERT_FATAL(r && wait_done(r));
	struct config_read_result res;
	config_read_take(r, &res);
	config_read_free(r);
	CU_ASSERT_EQUAL(res.rc, -1);
	char want[128];
	snprintf(want, sizeof(want), "%s:", path);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.err, want));
	CU_ASSERT_PTR_NULL(res.creds);
	unlink(path);

	/* the file reads, a certificate it names does not: the file's result, and why there are no credentials */
	path = sites_file(3, true);
	r = config_read_start(path, true);
	CU_ASSERT_FATAL(r && wait_done(r));
	config_read_take(r, &res);
	config_read_free(r);
	unlink(path);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_EQUAL(res.cfg.n_connections, 3);
	CU_ASSERT_PTR_NULL(res.creds);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.creds_err, "absent.pem"));
	config_free(&res.cfg);

	/* without credentials asked for: none loaded, no error */
	path = sites_file(3, true);
	r = config_read_start(path, false);
	CU_ASSERT_FATAL(r && wait_done(r));
	config_read_take(r, &res);
	config_read_free(r);
	unlink(path);
	CU_ASSERT_EQUAL(res.rc, 0);
	CU_ASSERT_PTR_NULL(res.creds);
	CU_ASSERT_EQUAL(res.creds_err[0], '\0');
	config_free(&res.cfg);
}

/* A read let go of before it is done (dpike stopping): waited for, everything it made freed (ASan's leak check). */
static void test_read_dropped(void)
{
	const char *path = sites_file(2000, false);
	struct config_read *r = config_read_start(path, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	config_read_free(r);
	unlink(path);
}

void config_read_suite_add(CU_pSuite s)
{
	CU_add_test(s, "5,000 connections and their credentials read beside the caller, handed over whole", test_read_whole);
	CU_add_test(s, "a broken file: its name and line; a missing certificate: the connections, and why no credentials",
		    test_read_errors);
	CU_add_test(s, "a read dropped while under way: waited for and freed", test_read_dropped);
}
