/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/: text parsers, traffic selectors, the wire reader and writer. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/parse.h"
#include "lib/timer_heap.h"
#include "lib/u64map.h"
#include "lib/ts.h"
#include "lib/wire.h"
#include "unit.h"

static void test_ipv4_and_prefixes(void)
{
	uint32_t a;
	uint8_t len;
	CU_ASSERT(parse_ipv4("192.0.2.1", &a) && a == 0xc0000201);
	CU_ASSERT(!parse_ipv4("192.0.2", &a));
	CU_ASSERT(!parse_ipv4("192.0.2.256", &a));
	CU_ASSERT(!parse_ipv4("192.0.2.1.", &a));
	CU_ASSERT(!parse_ipv4("a.b.c.d", &a));
	CU_ASSERT(!parse_ipv4("", &a));
	CU_ASSERT(parse_ipv4_prefix("10.1.0.0/16", &a, &len, false) && a == 0x0a010000 && len == 16);
	CU_ASSERT(!parse_ipv4_prefix("10.1.0.1/16", &a, &len, false));
	CU_ASSERT(parse_ipv4_prefix("10.1.0.1/16", &a, &len, true));
	CU_ASSERT(!parse_ipv4_prefix("10.1.0.0/33", &a, &len, false));
	CU_ASSERT(parse_ipv4_prefix("10.1.0.7", &a, &len, false) && len == 32);
	CU_ASSERT_EQUAL(prefix_mask(0), 0);
	CU_ASSERT_EQUAL(prefix_mask(24), 0xffffff00);
}

static void test_hex_mac_durations(void)
{
	uint8_t b[4], mac[6];
	uint64_t v;
	CU_ASSERT_EQUAL(parse_hex("0x0a0B", b, sizeof(b)), 2);
	CU_ASSERT(b[0] == 0x0a && b[1] == 0x0b);
	CU_ASSERT_EQUAL(parse_hex("0x0a0", b, sizeof(b)), -1);
	CU_ASSERT_EQUAL(parse_hex("0x0102030405", b, sizeof(b)), -1);
	CU_ASSERT_EQUAL(parse_hex("zz", b, sizeof(b)), -1);
	CU_ASSERT(parse_mac("02:00:00:00:01:0a", mac) && mac[5] == 0x0a);
	CU_ASSERT(!parse_mac("02:00:00:00:01", mac));
	CU_ASSERT(parse_duration("4h", &v) && v == 14400);
	CU_ASSERT(parse_duration("30", &v) && v == 30);
	CU_ASSERT(parse_duration("1d", &v) && v == 86400);
	CU_ASSERT(!parse_duration("4x", &v));
	CU_ASSERT(!parse_duration("h", &v));
	CU_ASSERT(parse_count("2k", &v) && v == 2048);
	CU_ASSERT(!parse_count("-1", &v));
}

static void test_traffic_selectors(void)
{
	struct traffic_selector ts;
	char buf[64];
	CU_ASSERT(ts_parse("10.1.0.0/16", &ts) && ts.proto == 0 && ts.port_lo == 0 && ts.port_hi == 65535);
	CU_ASSERT(ts_match_addr(&ts, 0x0a01ffff) && !ts_match_addr(&ts, 0x0a020000));
	CU_ASSERT(ts_parse("10.1.0.0/16[tcp/443]", &ts) && ts.proto == 6 && ts.port_lo == 443 && ts.port_hi == 443);
	CU_ASSERT(ts_match_port(&ts, 6, 443) && !ts_match_port(&ts, 17, 443) && !ts_match_port(&ts, 6, 80));
	CU_ASSERT(ts_parse("0.0.0.0/0[udp/1000-2000]", &ts) && ts.port_lo == 1000 && ts.port_hi == 2000);
	ts_format(&ts, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "0.0.0.0/0[17/1000-2000]");
	CU_ASSERT(ts_parse("10.0.0.0/8[47]", &ts) && ts.proto == 47);
	CU_ASSERT(!ts_parse("10.0.0.0/8[tcp/2000-1000]", &ts));
	CU_ASSERT(!ts_parse("10.0.0.1/8", &ts));
	CU_ASSERT(!ts_parse("10.0.0.0/8[tcp", &ts));
	CU_ASSERT(!ts_parse("dynamic", &ts));
	/* a child's "dynamic": the IKE SA's address, with what follows it */
	CU_ASSERT(ts_parse_any("dynamic", &ts, true) && ts.dynamic && ts.proto == 0 && ts.port_hi == 65535);
	ts_format(&ts, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "dynamic");
	CU_ASSERT(ts_parse_any("dynamic[tcp/80]", &ts, true) && ts.dynamic && ts.proto == 6 && ts.port_lo == 80);
	struct traffic_selector r = ts_resolve(&ts, 0xc0000201);
	ts_format(&r, buf, sizeof(buf));
	CU_ASSERT(!r.dynamic && r.plen == 32 && ts_match_addr(&r, 0xc0000201) && !ts_match_addr(&r, 0xc0000202));
	CU_ASSERT_STRING_EQUAL(buf, "192.0.2.1/32[6/80]");
	CU_ASSERT(ts_parse_any("10.1.0.0/16", &ts, true) && !ts.dynamic);
	r = ts_resolve(&ts, 0xc0000201);
	CU_ASSERT(ts_equal(&r, &ts));
	CU_ASSERT(!ts_parse_any("dynamic/24", &ts, true) && !ts_parse_any("dynamic[tcp/x]", &ts, true));
	/* ranges, as the prefixes that make them up */
	struct traffic_selector parts[8];
	uint32_t first, last;
	CU_ASSERT(ts_parse_range("10.0.0.1-10.0.0.9[udp/53]", &first, &last, &ts) && first == 0x0a000001 &&
		  last == 0x0a000009 && ts.proto == 17 && ts.port_lo == 53);
	CU_ASSERT_EQUAL(ts_range_split(first, last, &ts, parts, 8), 4); /* .1/32 .2/31 .4/30 .8/31 */
	CU_ASSERT(parts[0].addr == 0x0a000001 && parts[0].plen == 32 && parts[1].addr == 0x0a000002 && parts[1].plen == 31);
	CU_ASSERT(parts[2].addr == 0x0a000004 && parts[2].plen == 30 && parts[3].addr == 0x0a000008 && parts[3].plen == 31);
	CU_ASSERT(parts[3].proto == 17 && parts[3].port_hi == 53 && parts[3].mask == 0xfffffffe);
	CU_ASSERT_EQUAL(ts_range_split(0, 0xffffffff, &ts, parts, 8), 1);
	CU_ASSERT(parts[0].plen == 0 && parts[0].mask == 0);
	CU_ASSERT_EQUAL(ts_range_split(1, 0xfffffffe, &ts, parts, 8), 62); /* more than there is room for: counted */
	CU_ASSERT(!ts_parse_range("10.0.0.9-10.0.0.1", &first, &last, &ts) && !ts_parse_range("10.0.0.0/8", &first, &last, &ts));
}

static void test_wire_reader_bounds(void)
{
	const uint8_t buf[] = { 1, 2, 3, 4, 5, 6 };
	struct wire_reader r;
	wire_reader_init(&r, buf, sizeof(buf));
	CU_ASSERT_EQUAL(wire_get_be16(&r), 0x0102);
	CU_ASSERT_EQUAL(wire_get_be32(&r), 0x03040506);
	CU_ASSERT(wire_ok(&r) && wire_left(&r) == 0);
	CU_ASSERT_EQUAL(wire_get_u8(&r), 0);
	CU_ASSERT(!wire_ok(&r));
	wire_reader_init(&r, buf, sizeof(buf));
	struct wire_reader sub = wire_sub(&r, 4);
	CU_ASSERT(wire_ok(&sub) && wire_left(&sub) == 4 && wire_left(&r) == 2);
	CU_ASSERT_PTR_NULL(wire_take(&sub, 5));
	CU_ASSERT(!wire_ok(&sub));
	sub = wire_sub(&r, 3);
	CU_ASSERT(!wire_ok(&sub) && !wire_ok(&r));
}

static void test_wire_writer_bounds(void)
{
	uint8_t buf[5];
	struct wire_writer w;
	wire_writer_init(&w, buf, sizeof(buf));
	CU_ASSERT(wire_put_be32(&w, 0xdeadbeef));
	CU_ASSERT(!wire_put_be16(&w, 1));
	CU_ASSERT(w.bad && w.off == 4);
	CU_ASSERT(!wire_put_u8(&w, 1)); /* sticky */
	wire_writer_init(&w, buf, sizeof(buf));
	wire_put_be16(&w, 0);
	CU_ASSERT(wire_patch_be16(&w, 0, 0x1234) && buf[0] == 0x12 && buf[1] == 0x34);
	CU_ASSERT(!wire_patch_be16(&w, 1, 0));
}

/*
 * The map against a plain array under random puts, replacements and deletions, with keys drawn
 * from a small range (long probe runs, deletions inside them, which backward shifting must keep
 * findable) and keys that collide in their low bits.
 */
static void test_u64map_random(void)
{
	enum { KEYS = 3000 };
	static uintptr_t ref[KEYS]; /* 0: absent */
	struct u64map m;
	u64map_init(&m);
	memset(ref, 0, sizeof(ref));
	srand(5);
	unsigned wrong = 0;
	for (int i = 0; i < 400000; i++) {
		int k = rand() % KEYS;
		uint64_t key = (uint64_t)k << (k % 2 ? 32 : 0); /* half of them differ only in the high half */
		if (rand() % 3 == 0) {
			u64map_del(&m, key);
			ref[k] = 0;
		} else {
			ref[k] = (uintptr_t)i + 1;
			CU_ASSERT_FATAL(u64map_put(&m, key, (void *)ref[k]) == 0);
		}
		if (i % 1000 == 0)
			for (int j = 0; j < KEYS; j++)
				wrong += (uintptr_t)u64map_get(&m, (uint64_t)j << (j % 2 ? 32 : 0)) != ref[j];
	}
	unsigned live = 0;
	for (int j = 0; j < KEYS; j++)
		live += ref[j] != 0;
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(m.n, live);
	CU_ASSERT(u64map_bytes(&m) >= live * sizeof(struct u64map_slot));
	u64map_free(&m);
	CU_ASSERT(u64map_get(&m, 1) == NULL && u64map_bytes(&m) == 0);
}

/* How many links key's list holds, after checking that each one's prev leads back. */
static int list_length(const struct u64map *m, uint64_t key)
{
	int n = 0;
	const struct u64map_link *prev = NULL;
	for (const struct u64map_link *l = u64map_get(m, key); l; prev = l, l = l->next, n++)
		CU_ASSERT(l->prev == prev && l->key == key && l->in);
	return n;
}

/* Lists by key: links join at the head, leave from anywhere (head, middle, tail, alone), move keys. */
/* Values by key, each key's newest first, across the array's growth. */
static void test_u64chains(void)
{
	struct u64chains c = { 0 };
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL_FATAL(u64chains_add(&c, (uint64_t)(i % 7) << 40, i), 0);
	CU_ASSERT_EQUAL(u64chains_first(&c, 99), -1);
	int wrong = 0;
	for (int k = 0; k < 7; k++) {
		int want = 999 - (999 - k) % 7; /* the newest value with i % 7 == k */
		for (int e = u64chains_first(&c, (uint64_t)k << 40); e >= 0; e = c.e[e].next, want -= 7)
			wrong += c.e[e].val != want;
		wrong += want != k - 7; /* every one of them, none more */
	}
	CU_ASSERT_EQUAL(wrong, 0);
	u64chains_free(&c);
	CU_ASSERT(c.n == 0 && c.e == NULL && u64chains_first(&c, 0) == -1);
}

static void test_u64map_links(void)
{
	struct u64map m;
	struct u64map_link l[6] = { 0 };
	u64map_init(&m);
	for (int i = 0; i < 5; i++)
		u64map_link_join(&m, &l[i], 7);
	u64map_link_join(&m, &l[5], 9);
	CU_ASSERT(list_length(&m, 7) == 5 && list_length(&m, 9) == 1 && u64map_get(&m, 7) == &l[4]);
	u64map_link_leave(&m, &l[4]); /* the head */
	u64map_link_leave(&m, &l[2]); /* the middle */
	u64map_link_leave(&m, &l[0]); /* the tail */
	u64map_link_leave(&m, &l[0]); /* twice: nothing */
	CU_ASSERT(list_length(&m, 7) == 2 && u64map_get(&m, 7) == &l[3] && l[3].next == &l[1] && !l[4].in);
	u64map_link_join(&m, &l[3], 9); /* moves */
	CU_ASSERT(list_length(&m, 7) == 1 && list_length(&m, 9) == 2 && u64map_get(&m, 9) == &l[3]);
	u64map_link_leave(&m, &l[1]);
	u64map_link_leave(&m, &l[3]);
	u64map_link_leave(&m, &l[5]);
	CU_ASSERT(u64map_get(&m, 7) == NULL && u64map_get(&m, 9) == NULL && m.n == 0);
	u64map_free(&m);
}

/* The earliest due entry of a plain array of deadlines (TIMER_NEVER: not queued); -1 when none is due. */
static int ref_earliest_due(const uint64_t *due, int n, uint64_t now)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (due[i] != TIMER_NEVER && due[i] <= now && (best < 0 || due[i] < due[best]))
			best = i;
	return best;
}

/*
 * The heap against a plain array under random moves earlier and later, removals and pops: it
 * hands out exactly the entries due, earliest first, and each entry keeps its place right.
 */
static void test_timer_heap_random(void)
{
	enum { N = 500 };
	static struct timer_entry e[N];
	static uint64_t ref[N];
	struct timer_heap h;
	timer_heap_init(&h);
	CU_ASSERT_FATAL(timer_heap_reserve(&h, N) == 0);
	for (int i = 0; i < N; i++) {
		timer_entry_init(&e[i]);
		ref[i] = TIMER_NEVER;
	}
	srand(7);
	unsigned wrong = 0, popped = 0;
	uint64_t now = 0;
	for (int step = 0; step < 200000; step++) {
		int k = rand() % N, op = rand() % 8;
		uint64_t t = now + (uint64_t)(rand() % 1000);
		if (op < 4) {
			CU_ASSERT_FATAL(timer_heap_set(&h, &e[k], t) == 0);
			ref[k] = t;
		} else if (op == 4) {
			timer_heap_set(&h, &e[k], TIMER_NEVER);
			ref[k] = TIMER_NEVER;
		} else if (op == 5) {
			CU_ASSERT_FATAL(timer_heap_advance(&h, &e[k], t) == 0);
			ref[k] = t < ref[k] ? t : ref[k];
		} else {
			now += (uint64_t)(rand() % 50);
			struct timer_entry *got;
			while ((got = timer_heap_pop_due(&h, now)) != NULL) {
				int want = ref_earliest_due(ref, N, now), i = (int)(got - e);
				wrong += want < 0 || ref[i] != ref[want] || got->due != TIMER_NEVER;
				ref[i] = TIMER_NEVER;
				popped++;
			}
			wrong += ref_earliest_due(ref, N, now) >= 0;
		}
		wrong += e[k].due != ref[k] || (timer_entry_queued(&e[k]) && h.v[e[k].pos] != &e[k]);
	}
	unsigned queued = 0;
	for (int i = 0; i < N; i++)
		queued += ref[i] != TIMER_NEVER;
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(popped > 10000);
	CU_ASSERT_EQUAL(h.n, queued);
	timer_heap_free(&h);
}

/* A limited log line: LOG_LIMIT_PER_S a second per site, then the count left out told once. */
static void test_log_limit(void)
{
	struct log_limit l = { 0 };
	unsigned left_out, shown = 0;
	for (int i = 0; i < 100; i++) {
		shown += log_limit_pass(&l, 1000, &left_out);
		CU_ASSERT_EQUAL(left_out, 0);
	}
	CU_ASSERT_EQUAL(shown, LOG_LIMIT_PER_S);
	CU_ASSERT(log_limit_pass(&l, 1001, &left_out) && left_out == 100 - LOG_LIMIT_PER_S);
	CU_ASSERT(log_limit_pass(&l, 1001, &left_out) && left_out == 0);
	CU_ASSERT(log_limit_pass(&l, 1005, &left_out) && left_out == 0); /* nothing was left out meanwhile */
}

void lib_suite_add(CU_pSuite s)
{
	CU_add_test(s, "u64 map: same answers as an array through puts and deletions", test_u64map_random);
	CU_add_test(s, "u64 map: lists by key (join, leave anywhere, move)", test_u64map_links);
	CU_add_test(s, "u64 chains: values by key, newest first", test_u64chains);
	CU_add_test(s, "timer heap: the due entries, earliest first, as an array says", test_timer_heap_random);
	CU_add_test(s, "log lines a peer can cause: limited per second, the rest counted", test_log_limit);
	CU_add_test(s, "IPv4 addresses and prefixes", test_ipv4_and_prefixes);
	CU_add_test(s, "hex keys, MACs, durations, counts", test_hex_mac_durations);
	CU_add_test(s, "traffic selectors", test_traffic_selectors);
	CU_add_test(s, "wire reader never reads past the end", test_wire_reader_bounds);
	CU_add_test(s, "wire writer never writes past the end", test_wire_writer_bounds);
}
