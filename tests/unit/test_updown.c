/* SPDX-License-Identifier: BSD-3-Clause */
/* The updown runs of app/updown.c: their environment per pair of selectors, their order, the kill. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "app/updown.h"
#include "ike/identity.h"
#include "lib/clock.h"
#include "lib/ts.h"
#include "unit.h"

static char dir[] = "/tmp/dpike-updown-XXXXXX";

/* The environment run n wrote (its file holds the PLUTO_* lines), or "" when it did not. */
static const char *run_env(int n, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "%s/%d", dir, n);
	FILE *f = fopen(path, "r");
	size_t got = f ? fread(buf, 1, len - 1, f) : 0;
	buf[got] = '\0';
	if (f)
		fclose(f);
	return buf;
}

static bool has(const char *env, const char *line)
{
	char want[256];
	snprintf(want, sizeof(want), "\n%s\n", line);
	char with_nl[4096];
	snprintf(with_nl, sizeof(with_nl), "\n%s", env);
	bool ok = strstr(with_nl, want) != NULL;
	if (!ok)
		fprintf(stderr, "no %s in:\n%s", line, env);
	return ok;
}

/* A child with two selectors of ours (a subnet, then our own address) and one of the peer's; the
 * peer's identity peer_id (NULL: alice's). */
static struct updown_child *child_of(struct cfg_child *cfg, struct ike_id *me, struct ike_id *peer, const char *peer_id)
{
	static struct traffic_selector local[2], remote[1];
	CU_ASSERT_FATAL(ts_parse("10.2.0.0/24", &local[0]) && ts_parse("192.0.2.2/32", &local[1]) &&
			ts_parse("10.1.0.0/24[tcp/443]", &remote[0]));
	CU_ASSERT_FATAL(identity_from_string("gw-b.example", me) &&
			identity_from_string(peer_id ? peer_id : "alice@example.org", peer));
	struct ike_child_keys k = {
		.conn = "site", .child = "net", .ike_version = 2, .ike_serial = 7, .encap = true,
		.local = { .addr = 0xc0000202, .port = 4500 }, .remote = { .addr = 0xc6336407, .port = 4501 },
		.local_ts = local, .remote_ts = remote, .n_local_ts = 2, .n_remote_ts = 1,
		.local_id = me, .remote_id = peer, .remote_vip = 0x0a030005, .remote_user = "alice",
	};
	return updown_child_new(&k, cfg, "wan");
}

static struct updown_child *child(struct cfg_child *cfg, struct ike_id *me, struct ike_id *peer)
{
	return child_of(cfg, me, peer, NULL);
}

static void test_runs(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	struct cfg_child cfg = { .hostaccess = true };
	snprintf(cfg.updown, sizeof(cfg.updown), "n=$(ls %s | wc -l); env | grep ^PLUTO_ | sort > %s/$n", dir, dir);
	struct ike_id me, peer;
	struct updown_child *u = child(&cfg, &me, &peer);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	/* a rekeyed child that will take over u's reqid */
	struct updown_child *next = child(&cfg, &me, &peer);
	CU_ASSERT_PTR_NOT_NULL_FATAL(next);
	updown_child_succeeds(next, u);
	struct updown_stats before, after;
	updown_stats(&before);
	updown_queue(u, true);
	updown_queue(u, false);
	updown_child_free(u); /* as a child removed: its runs still waiting keep what they need */
	updown_drain(10000);
	updown_stats(&after);
	CU_ASSERT_EQUAL(after.runs - before.runs, 4);
	CU_ASSERT_EQUAL(after.failed, before.failed);
	char env[4096];
	/* one run for each pair of selectors, in order, up before down */
	CU_ASSERT(has(run_env(0, env, sizeof(env)), "PLUTO_VERB=up-client") && has(env, "PLUTO_MY_CLIENT=10.2.0.0/24"));
	CU_ASSERT(has(run_env(1, env, sizeof(env)), "PLUTO_VERB=up-host") && has(env, "PLUTO_MY_CLIENT=192.0.2.2/32"));
	CU_ASSERT(has(run_env(2, env, sizeof(env)), "PLUTO_VERB=down-client"));
	CU_ASSERT(has(run_env(3, env, sizeof(env)), "PLUTO_VERB=down-host"));
	const char *lines[] = { "PLUTO_VERSION=1.1", "PLUTO_CONNECTION=net", "PLUTO_INTERFACE=wan", "PLUTO_PROTO=esp",
				"PLUTO_UNIQUEID=7", "PLUTO_ME=192.0.2.2", "PLUTO_MY_ID=gw-b.example", "PLUTO_MY_PORT=0",
				"PLUTO_MY_PROTOCOL=0", "PLUTO_PEER=198.51.100.7", "PLUTO_PEER_ID=alice@example.org",
				"PLUTO_PEER_CLIENT=10.1.0.0/24", "PLUTO_PEER_PORT=443", "PLUTO_PEER_PROTOCOL=6",
				"PLUTO_PEER_SOURCEIP=10.3.0.5", "PLUTO_PEER_SOURCEIP4_1=10.3.0.5", "PLUTO_XAUTH_ID=alice",
				"PLUTO_UDP_ENC=4501", "PLUTO_HOST_ACCESS=1" };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		CU_ASSERT(has(run_env(3, env, sizeof(env)), lines[i]));
	CU_ASSERT(strstr(run_env(0, env, sizeof(env)), "PLUTO_MY_SOURCEIP") == NULL); /* we have no virtual IP */
	/* the rekeyed child kept the reqid */
	char reqid[32];
	const char *at = strstr(run_env(0, env, sizeof(env)), "PLUTO_REQID=");
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	snprintf(reqid, sizeof(reqid), "%.*s", (int)strcspn(at, "\n"), at);
	updown_queue(next, false);
	updown_child_free(next);
	updown_drain(10000);
	CU_ASSERT(has(run_env(4, env, sizeof(env)), reqid));
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(rm), 0);
}

static bool failed_reach(uint64_t n, uint64_t now)
{
	struct updown_stats st;
	uint64_t deadline = clock_mono_ms() + 5000;
	do {
		updown_poll(now);
		updown_stats(&st);
		if (st.failed >= n)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	} while (clock_mono_ms() < deadline);
	return false;
}

/* A run past UPDOWN_TIMEOUT_MS is killed, counted, and the next one runs; one that fails is counted. */
static void test_kill_and_failure(void)
{
	struct cfg_child hang = { .updown = "sleep 60" }, fail = { .updown = "exit 3" };
	struct ike_id me, peer;
	struct updown_child *a = child(&hang, &me, &peer), *b = child(&fail, &me, &peer);
	CU_ASSERT_FATAL(a && b);
	struct updown_stats before, after;
	updown_stats(&before);
	updown_queue(a, true); /* two runs: a pair of selectors each */
	uint64_t t = 1000000; /* the time updown_poll() is told, moved on by hand */
	for (uint64_t k = 1; k <= 2; k++) {
		updown_poll(t);
		t += UPDOWN_TIMEOUT_MS;
		updown_poll(t);
		CU_ASSERT(failed_reach(before.failed + k, t));
	}
	updown_stats(&after);
	CU_ASSERT_EQUAL(after.runs - before.runs, 2);
	CU_ASSERT_EQUAL(after.killed - before.killed, 2);
	updown_queue(b, true);
	updown_drain(10000);
	updown_stats(&after);
	CU_ASSERT_EQUAL(after.runs - before.runs, 4);
	CU_ASSERT_EQUAL(after.failed - before.failed, 4); /* two killed, two with status 3 */
	CU_ASSERT_EQUAL(after.killed - before.killed, 2);
	updown_child_free(a);
	updown_child_free(b);
}

/* A mass of runs waiting: all of them run, in order (the queue grows past its first size). */
static void test_many(void)
{
	char path[64], cmd[160];
	snprintf(path, sizeof(path), "/tmp/dpike-updown-many-%d", (int)getpid());
	struct cfg_child cfg = { .hostaccess = false };
	snprintf(cmd, sizeof(cmd), "echo $PLUTO_VERB >> %s", path);
	snprintf(cfg.updown, sizeof(cfg.updown), "%s", cmd);
	struct ike_id me, peer;
	struct updown_stats before, after;
	updown_stats(&before);
	for (int i = 0; i < 150; i++) { /* 300 runs a way: two pairs of selectors a child */
		struct updown_child *u = child(&cfg, &me, &peer);
		CU_ASSERT_PTR_NOT_NULL_FATAL(u);
		updown_queue(u, true);
		updown_queue(u, false);
		updown_child_free(u);
	}
	updown_drain(60000);
	updown_stats(&after);
	CU_ASSERT_EQUAL(after.runs - before.runs, 600);
	CU_ASSERT_EQUAL(after.dropped, before.dropped);
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char line[64];
	int n = 0, in_order = 0;
	while (fgets(line, sizeof(line), f)) {
		/* each child: up-client, up-host, down-client, down-host */
		static const char *const want[] = { "up-client\n", "up-host\n", "down-client\n", "down-host\n" };
		in_order += strcmp(line, want[n % 4]) == 0;
		n++;
	}
	fclose(f);
	unlink(path);
	CU_ASSERT_EQUAL(n, 600);
	CU_ASSERT_EQUAL(in_order, 600);
}

/* Two peers' runs go side by side: each of these waits until the other has started. */
static void test_peers_side_by_side(void)
{
	char d[] = "/tmp/dpike-updown-peers-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(d));
	struct cfg_child cfg;
	memset(&cfg, 0, sizeof(cfg));
	/* each child's first run (its subnet) waits for both; the second (our own address) does not */
	snprintf(cfg.updown, sizeof(cfg.updown),
		 "[ $PLUTO_VERB = up-host ] && exit 0; touch %s/$PLUTO_PEER_ID; for i in $(seq 500); do "
		 "[ $(ls %s | wc -l) -ge 2 ] && exit 0; sleep 0.01; done; exit 1", d, d);
	struct ike_id me, alice, bob;
	struct updown_child *a = child_of(&cfg, &me, &alice, "alice@example.org");
	struct updown_child *b = child_of(&cfg, &me, &bob, "bob@example.org");
	CU_ASSERT_FATAL(a && b);
	struct updown_stats before, after;
	updown_stats(&before);
	updown_queue(b, true);
	updown_queue(a, true);
	updown_child_free(a);
	updown_child_free(b);
	updown_drain(20000);
	updown_stats(&after);
	CU_ASSERT_EQUAL(after.runs - before.runs, 4);
	CU_ASSERT_EQUAL(after.failed, before.failed);
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf %s", d);
	CU_ASSERT_EQUAL(system(rm), 0);
}

/* A child without updown has nothing to run. */
static void test_none(void)
{
	struct cfg_child none = { .updown = "" };
	struct ike_id me, peer;
	CU_ASSERT_PTR_NULL(child(&none, &me, &peer));
	updown_queue(NULL, true);
}

void updown_suite_add(CU_pSuite s)
{
	CU_add_test(s, "a run for each pair of selectors, strongSwan's variables, up before down", test_runs);
	CU_add_test(s, "a run past its time is killed, a failing one counted", test_kill_and_failure);
	CU_add_test(s, "no updown, no runs", test_none);
	CU_add_test(s, "six hundred runs waiting: all run, in order", test_many);
	CU_add_test(s, "two peers' runs side by side", test_peers_side_by_side);
}
