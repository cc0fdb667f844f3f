/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two dpike IKE daemons in one process, wired back to back: message by message they must
 * reach the states RFC 7296 prescribes, derive matching child keys, recover from a lost
 * message, honour INVALID_KE_PAYLOAD and COOKIE, refuse a wrong PSK, and survive garbage.
 */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "dataplane/esp_algo.h"
#include "ike/ike.h"
#include "ike/v2/ike_sa.h"
#include "ike/x25519.h"
#include "ike_harness.h"
#include "lib/strbuf.h"
#include "unit.h"

#define CONN(local, remote, lts, rts, props, psk)                                                          \
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"" local "/24\"; } );\n"        \
	"connections = ( { name = \"c\"; version = 2; local_addrs = [\"" local "\"]; remote_addrs = [\"" remote \
	"\"];\n  proposals = [" props "]; local = { auth = \"psk\"; id = \"" local "\"; };\n"                  \
	"  remote = { auth = \"psk\"; id = \"" remote "\"; };\n"                                              \
	"  children = ( { name = \"net\"; local_ts = [\"" lts "\"]; remote_ts = [\"" rts "\"];"                    \
	" esp_proposals = [\"aes256gcm16-x25519\", \"aes128-sha256-x25519\"]; } ); } );\n"                                 \
	"secrets = ( { type = \"ike\"; secret = \"" psk "\"; } );\n"


/* A initiates to B; the configs differ only where a test wants them to. */
/* A initiates with props_a, B answers with props_b and psk_b; limits_a is added to A's ike settings. */
static void pair_with(const char *props_a, const char *props_b, const char *psk_b, const char *limits_a,
		      const char *limits_b)
{
	char ta[2048], tb[2048], la[256];
	q_head = q_tail = 0;
	snprintf(ta, sizeof(ta), CONN("192.0.2.1", "192.0.2.2", "10.0.0.0/8", "172.16.0.0/12", "%s", "same secret"), props_a);
	snprintf(tb, sizeof(tb), CONN("192.0.2.2", "192.0.2.1", "172.16.0.0/12", "10.0.0.0/8", "%s", "%s"), props_b, psk_b);
	snprintf(la, sizeof(la), "retransmit_timeout = 1.0; retransmit_tries = 3; %s", limits_a);
	start_node(&A, ta, 0xc0000201, la);
	start_node(&B, tb, 0xc0000202, limits_b);
}

static void pair(const char *props_a, const char *props_b, const char *psk_b, const char *limits_b)
{
	pair_with(props_a, props_b, psk_b, "", limits_b);
}

static void unpair(void)
{
	stop_node(&A);
	stop_node(&B);
}

static struct ike_sa *only_sa(struct node *n)
{
	return n->d->sas;
}

static void initiate(void)
{
	CU_ASSERT_EQUAL(run_command(ike_initiate, A.d, "c/net"), 0);
	pump();
}

static void assert_established(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(only_sa(&A));
	CU_ASSERT_PTR_NOT_NULL_FATAL(only_sa(&B));
	CU_ASSERT_EQUAL(only_sa(&A)->state, IKE_SA_ESTABLISHED);
	CU_ASSERT_EQUAL(only_sa(&B)->state, IKE_SA_ESTABLISHED);
	CU_ASSERT(A.children == 1 && B.children == 1);
	/* each side's outbound SA is the other's inbound one, with the same keys */
	CU_ASSERT(A.spi_out == B.spi_in && B.spi_out == A.spi_in);
	CU_ASSERT(A.key_len > 0 && memcmp(A.key_out, B.key_in, A.key_len) == 0 &&
		  memcmp(B.key_out, A.key_in, A.key_len) == 0);
	CU_ASSERT(memcmp(A.key_out, A.key_in, A.key_len) != 0);
}

/* The inbound SPIs a node holds handed out are exactly those of its installed children: none leaked, none lost. */
static void assert_spis_are_children(struct node *n)
{
	uint32_t children = 0;
	bool all_held = true;
	for (struct ike_sa *sa = n->d->sas; sa; sa = sa->next)
		for (struct child_sa *c = sa->children; c; c = c->next, children++)
			all_held &= u64map_get(&n->d->child_spis, c->spi_in) != NULL;
	CU_ASSERT(all_held);
	CU_ASSERT_EQUAL(n->d->child_spis.n, children);
}

static void test_establish(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	CU_ASSERT_EQUAL(only_sa(&A)->next_out_id, 2); /* IKE_SA_INIT and IKE_AUTH */
	/* no NAT between them: neither side may see one (the request's hashes use SPIr = 0) */
	CU_ASSERT(!only_sa(&A)->nat_local && !only_sa(&A)->nat_remote && !only_sa(&A)->floated);
	CU_ASSERT(!only_sa(&B)->nat_local && !only_sa(&B)->nat_remote && !only_sa(&B)->floated);
	CU_ASSERT(A.n_sa == 1 && !A.sa[0].encap && B.n_sa == 1 && !B.sa[0].encap);
	unpair();
}

static void test_wrong_psk(void)
{
	pair("\"aes256-sha256-modp2048\"", "\"aes256-sha256-modp2048\"", "other secret", "");
	initiate();
	CU_ASSERT_EQUAL(B.d->stats.auth_failures, 1);
	CU_ASSERT(A.children == 0 && B.children == 0);
	CU_ASSERT_PTR_NULL(only_sa(&A)); /* reaped */
	unpair();
}

static void test_invalid_ke_payload(void)
{
	pair("\"aes128gcm16-prfsha256-x25519-ecp256\"", "\"aes128gcm16-prfsha256-ecp256\"", "same secret", "");
	initiate();
	assert_established();
	CU_ASSERT_EQUAL(only_sa(&A)->ke_group, 19);
	unpair();
}

static void test_cookie(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "cookie_threshold = 0;");
	initiate();
	assert_established();
	CU_ASSERT_EQUAL(B.d->stats.cookies_sent, 1);
	unpair();
}

/*
 * A responder that answers a retransmitted request with the cookie A already has, and then, its
 * secret changed, asks for a new one: A sends its request again each time, on the same SA, and
 * the SA comes up.
 */
static void test_cookie_again(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "cookie_threshold = 0;");
	CU_ASSERT_EQUAL(run_command(ike_initiate, A.d, "c/net"), 0);
	struct queued first = queue[q_head % 32];
	uint32_t serial = only_sa(&A)->serial;
	pump_one();		/* B: a COOKIE */
	deliver_copy(&first);	/* A's first request again, retransmitted: the same COOKIE once more */
	pump_one();		/* A retries with the cookie */
	pump_one();		/* the repeated COOKIE: A sends its request again */
	CU_ASSERT_PTR_NOT_NULL_FATAL(only_sa(&A));
	CU_ASSERT(only_sa(&A)->state == IKE_SA_INIT_SENT && only_sa(&A)->req.msg != NULL);
	B.d->cookie_secret[0] ^= 1; /* B's secret changes: A's cookie is stale, B hands out another */
	pump();
	assert_established();
	CU_ASSERT_EQUAL(only_sa(&A)->serial, serial);
	CU_ASSERT(B.d->stats.cookies_sent >= 3);
	unpair();
}

static void test_no_proposal(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes256-sha512-modp4096\"", "same secret", "");
	initiate();
	CU_ASSERT_EQUAL(B.d->stats.no_proposal, 1);
	CU_ASSERT_PTR_NULL(only_sa(&A));
	CU_ASSERT_PTR_NULL(only_sa(&B));
	unpair();
}

/* The IKE_AUTH response is lost: A retransmits, B answers from its cache, nothing is installed twice. */
static void test_lost_response(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	run_command(ike_initiate, A.d, "c/net");
	/* deliver IKE_SA_INIT both ways, then drop the IKE_AUTH response */
	ike_input(B.d, &queue[0].local, &queue[0].remote, queue[0].msg, queue[0].len);
	q_head = 1;
	ike_input(A.d, &queue[1].local, &queue[1].remote, queue[1].msg, queue[1].len);
	q_head = 2;
	drop_exchange = IKE_AUTH;
	ike_input(B.d, &queue[2].local, &queue[2].remote, queue[2].msg, queue[2].len); /* response dropped */
	q_head = 3;
	CU_ASSERT_EQUAL(only_sa(&B)->state, IKE_SA_ESTABLISHED);
	CU_ASSERT_EQUAL(only_sa(&A)->state, IKE_SA_AUTH_SENT);
	clock_ms += 1500;
	ike_tick(A.d); /* retransmits */
	pump();
	assert_established();
	CU_ASSERT_EQUAL(A.d->stats.retransmits, 1);
	CU_ASSERT_EQUAL(B.d->stats.retransmits_answered, 1);
	CU_ASSERT_EQUAL(B.children, 1);
	unpair();
}

static void test_delete(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	CU_ASSERT_EQUAL(run_command(ike_terminate, A.d, "c"), 0);
	pump();
	CU_ASSERT(A.children == 0 && B.children == 0);
	CU_ASSERT_PTR_NULL(only_sa(&A));
	CU_ASSERT_PTR_NULL(only_sa(&B));
	assert_spis_are_children(&A);
	assert_spis_are_children(&B);
	unpair();
}

/* Garbage, truncations and forged fields: counted, never answered with state, never a crash. */
static void test_bad_input(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	struct ike_sa *sa = only_sa(&B);
	uint8_t msg[IKE_MAX_MSG];
	struct ike_endpoint l = B.ep, r = A.ep;
	uint64_t invalid = B.d->stats.rx_invalid;
	srand(7);
	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)(rand() % 300);
		for (size_t k = 0; k < len; k++)
			msg[k] = (uint8_t)rand();
		if (i % 2 && len >= IKE_HDR_LEN) { /* plausible headers with the live SPIs */
			for (int k = 0; k < 8; k++) {
				msg[k] = (uint8_t)(sa->spi_i >> (56 - 8 * k));
				msg[8 + k] = (uint8_t)(sa->spi_r >> (56 - 8 * k));
			}
			msg[17] = IKE_VERSION;
			msg[24] = msg[25] = 0;
			msg[26] = (uint8_t)(len >> 8);
			msg[27] = (uint8_t)len;
		}
		ike_input(B.d, &l, &r, msg, len);
	}
	CU_ASSERT(B.d->stats.rx_invalid > invalid);
	CU_ASSERT_EQUAL(only_sa(&B)->state, IKE_SA_ESTABLISHED); /* nothing forged got through */
	CU_ASSERT_EQUAL(B.children, 1);
	unpair();
}

/* The one live, active child of a node, checked against its peer's: SPIs and keys crosswise. */
static const struct installed *live_child(const struct node *n)
{
	const struct installed *found = NULL;
	int live = 0;
	for (int i = 0; i < n->n_sa && i < 16; i++)
		if (n->sa[i].live) {
			live++;
			found = &n->sa[i];
		}
	return live == 1 && found->active ? found : NULL;
}

static void assert_one_matching_child(uint32_t old_spi_a)
{
	const struct installed *a = live_child(&A), *b = live_child(&B);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT(a->spi_out == b->spi_in && b->spi_out == a->spi_in);
	CU_ASSERT(memcmp(a->key_out, b->key_in, a->key_len) == 0 && memcmp(b->key_out, a->key_in, a->key_len) == 0);
	CU_ASSERT_NOT_EQUAL(a->spi_in, old_spi_a);
}

static void rekey(struct node *who, const char *name)
{
	CU_ASSERT_EQUAL(run_command(ike_rekey, who->d, name), 0);
	pump();
}

static void test_child_rekey(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	uint32_t first = A.spi_in;
	rekey(&A, "c/net"); /* initiator rekeys, with a key exchange (the proposals name x25519) */
	assert_one_matching_child(first);
	CU_ASSERT_EQUAL(A.d->sas->children->dh_group, 31);
	uint32_t second = live_child(&A)->spi_in;
	rekey(&B, "c/net"); /* responder rekeys */
	assert_one_matching_child(second);
	assert_spis_are_children(&A);
	assert_spis_are_children(&B);
	unpair();
}

static void test_ike_rekey(void)
{
	pair("\"aes256-sha256-modp2048\"", "\"aes256-sha256-modp2048\"", "same secret", "");
	initiate();
	assert_established();
	uint64_t old_spi = only_sa(&A)->spi_i;
	rekey(&A, "c");
	CU_ASSERT_PTR_NOT_NULL_FATAL(only_sa(&A));
	CU_ASSERT(only_sa(&A)->next == NULL && only_sa(&B)->next == NULL); /* old SAs deleted and reaped */
	CU_ASSERT(only_sa(&A)->spi_i != old_spi && only_sa(&A)->spi_i == only_sa(&B)->spi_i);
	CU_ASSERT(A.children == 1 && B.children == 1); /* children moved, not recreated */
	assert_spis_are_children(&A); /* ... with their SPIs still held when the old IKE SAs went */
	assert_spis_are_children(&B);
	/* the new IKE SA works: rekey its child, then the IKE SA again from the other side */
	uint32_t spi = live_child(&A)->spi_in;
	rekey(&B, "c/net");
	assert_one_matching_child(spi);
	rekey(&B, "c");
	CU_ASSERT(only_sa(&A)->next == NULL && only_sa(&B)->next == NULL);
	CU_ASSERT_EQUAL(only_sa(&A)->state, IKE_SA_ESTABLISHED);
	CU_ASSERT_EQUAL(only_sa(&B)->state, IKE_SA_ESTABLISHED);
	assert_spis_are_children(&A);
	assert_spis_are_children(&B);
	unpair();
}

static void advance(uint64_t ms, uint64_t step)
{
	for (uint64_t t = 0; t < ms; t += step) {
		clock_ms += step;
		ike_tick(A.d);
		ike_tick(B.d);
		pump();
	}
}

/*
 * Lifetimes crossed in the dataplane (ike_child_expired(), the child named by its inbound SPI): a
 * soft one rekeys the child on the next tick, also once the IKE SA it came with was rekeyed and
 * the child moved; a hard one deletes it on both sides.
 */
static void test_dataplane_lifetimes(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	uint32_t first = live_child(&A)->spi_in;
	ike_child_expired(A.d, first, false); /* an SA of the child reached its soft lifetime */
	advance(100, 100);
	assert_one_matching_child(first);
	rekey(&B, "c");				/* the child moves to the new IKE SA */
	uint32_t second = live_child(&A)->spi_in;
	ike_child_expired(A.d, second, false); /* now after the IKE rekey */
	advance(100, 100);
	assert_one_matching_child(second);
	ike_child_expired(B.d, live_child(&B)->spi_in, true); /* B's hard lifetime */
	pump();
	CU_ASSERT(A.children == 0 && B.children == 0);
	CU_ASSERT(only_sa(&A)->state == IKE_SA_ESTABLISHED && only_sa(&B)->state == IKE_SA_ESTABLISHED);
	unpair();
}

/*
 * rekey_time alone drives rekeys: both ends share the same timers here, so their rekeys
 * collide every time, and the nonce rule must pick one; nothing is lost or doubled.
 */
static void test_rekey_by_time(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	uint32_t first = A.spi_in;
	uint64_t ike_spi = only_sa(&A)->spi_i;
	advance(3601ULL * 1000, 10000); /* children default to rekey_time = 1h */
	assert_one_matching_child(first);
	CU_ASSERT_EQUAL(only_sa(&A)->spi_i, ike_spi); /* the IKE SA's turn comes at 4h */
	advance(3ULL * 3600 * 1000, 10000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(only_sa(&A));
	CU_ASSERT_PTR_NOT_NULL_FATAL(only_sa(&B));
	CU_ASSERT(only_sa(&A)->spi_i != ike_spi && only_sa(&A)->next == NULL && only_sa(&B)->next == NULL);
	CU_ASSERT(only_sa(&A)->spi_i == only_sa(&B)->spi_i && only_sa(&A)->spi_r == only_sa(&B)->spi_r);
	CU_ASSERT_EQUAL(only_sa(&A)->state, IKE_SA_ESTABLISHED);
	assert_one_matching_child(first);
	unpair();
}

/* Both nodes as pair() makes them, with option added to A's connection. */
static void pair_with_conn_option(const char *option)
{
	char ta[2048], tb[2048], with[2304];
	q_head = q_tail = 0;
	snprintf(ta, sizeof(ta), CONN("192.0.2.1", "192.0.2.2", "10.0.0.0/8", "172.16.0.0/12", "%s", "same secret"),
		 "\"aes128gcm16-prfsha256-x25519\"");
	snprintf(tb, sizeof(tb), CONN("192.0.2.2", "192.0.2.1", "172.16.0.0/12", "10.0.0.0/8", "%s", "same secret"),
		 "\"aes128gcm16-prfsha256-x25519\"");
	char *at = strstr(ta, "version = 2;");
	CU_ASSERT_FATAL(at != NULL);
	snprintf(with, sizeof(with), "%.*s%s %s", (int)(at - ta), ta, option, at);
	start_node(&A, with, 0xc0000201, "retransmit_timeout = 1.0; retransmit_tries = 3;");
	start_node(&B, tb, 0xc0000202, "");
}

/* A's ticks every second for ms, with all it sends lost. */
static void tick_unanswered(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 1000) {
		clock_ms += 1000;
		ike_tick(A.d);
		q_head = q_tail;
	}
}

/*
 * DPD through the timer heap: an established SA waits in it until the peer has been quiet for
 * dpd_delay, is probed then and not a tick before, an answer puts the next probe off, and a peer
 * that stops answering takes the SA down once the retransmissions are spent.
 */
static void test_dpd(void)
{
	pair_with_conn_option("dpd_delay = 30;");
	initiate();
	assert_established();
	struct ike_sa *a = only_sa(&A);
	uint64_t quiet_from = a->last_rx_ms, tx = A.d->stats.tx;
	/* the SA stays where its IKE_AUTH retransmission was due; visited then, it moves to its DPD time */
	CU_ASSERT(a->timer.due <= quiet_from + 30000);
	clock_ms += 2000;
	ike_tick(A.d);
	CU_ASSERT_EQUAL(a->timer.due, quiet_from + 30000);
	clock_ms = quiet_from + 29999;
	ike_tick(A.d);
	CU_ASSERT_EQUAL(A.d->stats.tx, tx);
	clock_ms = quiet_from + 30000;
	ike_tick(A.d);
	CU_ASSERT_EQUAL(A.d->stats.tx, tx + 1);
	CU_ASSERT(a->req.msg != NULL && a->timer.due == a->req.next_ms);
	pump(); /* B answers */
	CU_ASSERT(a->state == IKE_SA_ESTABLISHED && a->req.msg == NULL);
	uint64_t answered = clock_ms;
	clock_ms += 2000;
	ike_tick(A.d);
	CU_ASSERT_EQUAL(a->timer.due, answered + 30000);
	clock_ms = answered + 30000;
	tick_unanswered(60000);
	CU_ASSERT_EQUAL(A.d->stats.dpd_timeouts, 1);
	CU_ASSERT(A.d->sas == NULL && A.children == 0 && A.d->timers.n == 0);
	CU_ASSERT_EQUAL(only_sa(&B)->state, IKE_SA_ESTABLISHED);
	unpair();
}

/* A child rekey that is never answered: the IKE SA gives up, and every inbound SPI it took goes back. */
static void test_unanswered_rekey_spis(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	CU_ASSERT_EQUAL(run_command(ike_rekey, A.d, "c/net"), 0);
	q_head = q_tail;
	CU_ASSERT_EQUAL(A.d->child_spis.n, 2); /* the child's and the one its rekey proposes */
	tick_unanswered(60000);
	CU_ASSERT(A.d->sas == NULL && A.children == 0);
	assert_spis_are_children(&A);
	unpair();
}

/* A's and B's connection texts (A initiates to B), both proposing props; the message queue emptied. */
static void conn_texts(char ta[2048], char tb[2048], const char *props)
{
	q_head = q_tail = 0;
	snprintf(ta, 2048, CONN("192.0.2.1", "192.0.2.2", "10.0.0.0/8", "172.16.0.0/12", "%s", "same secret"), props);
	snprintf(tb, 2048, CONN("192.0.2.2", "192.0.2.1", "172.16.0.0/12", "10.0.0.0/8", "%s", "same secret"), props);
}

/* A and B with 160-byte IKE datagrams, A's connection with fragmentation = frag_a if given. */
static void fragment_pair(const char *frag_a)
{
	char ta[2048], tb[2048];
	conn_texts(ta, tb, "\"aes256-sha512-modp2048\"");
	if (frag_a) {
		char setting[64];
		snprintf(setting, sizeof(setting), "fragmentation = \"%s\"; ", frag_a);
		insert_after(ta, sizeof(ta), "version = 2; ", setting);
	}
	start_node(&A, ta, 0xc0000201, "fragment_size = 160;");
	start_node(&B, tb, 0xc0000202, "fragment_size = 160;");
}

/* Every protected message in fragments (RFC 7383): establishment, rekeys and delete still work. */
static void test_fragmentation(void)
{
	fragment_pair(NULL);
	initiate();
	assert_established();
	CU_ASSERT(only_sa(&A)->frag_ok && only_sa(&B)->frag_ok);
	CU_ASSERT(only_sa(&A)->req_frags.n > 1 || only_sa(&A)->resp_frags.n > 1); /* IKE_AUTH went in pieces */
	uint32_t spi = A.spi_in;
	rekey(&B, "c/net");
	assert_one_matching_child(spi);
	rekey(&A, "c");
	CU_ASSERT(only_sa(&A)->next == NULL && only_sa(&A)->state == IKE_SA_ESTABLISHED);
	unpair();
}

/* swanctl's fragmentation on A: "no" announces nothing, so neither end sends fragments; with
 * "accept" A announces it and takes B's fragments but sends its own messages whole. */
static void test_fragmentation_settings(void)
{
	static const char *const settings[] = { "no", "accept" };
	for (size_t i = 0; i < 2; i++) {
		fragment_pair(settings[i]);
		initiate();
		assert_established();
		bool accept = i == 1;
		CU_ASSERT(only_sa(&A)->frag_ok == accept && only_sa(&B)->frag_ok == accept);
		CU_ASSERT(only_sa(&A)->req_frags.n <= 1);                  /* A's IKE_AUTH went whole */
		CU_ASSERT(accept ? only_sa(&B)->resp_frags.n > 1 : only_sa(&B)->resp_frags.n <= 1); /* B's answer */
		unpair();
	}
}

/* The installed record of n's child with inbound SPI spi. */
/*
 * ESP seen from a new endpoint (a NAT rebound the peer): the IKE SA and its children move there;
 * a child rekey afterwards still works; an unknown SPI moves nothing.
 */
static void test_peer_moved(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	struct ike_endpoint before = only_sa(&B)->remote;
	ike_peer_moved(B.d, 0xdeadbeef, 0xc0000201, 40001);
	CU_ASSERT(only_sa(&B)->remote.port == before.port && installed_of(&B, B.spi_in)->moves == 0);
	ike_peer_moved(B.d, B.spi_in, 0xc0000201, 40001);
	CU_ASSERT(only_sa(&B)->remote.addr == 0xc0000201 && only_sa(&B)->remote.port == 40001);
	struct installed *i = installed_of(&B, B.spi_in);
	CU_ASSERT_FATAL(i != NULL);
	CU_ASSERT(i->moves == 1 && i->peer.addr == 0xc0000201 && i->peer.port == 40001);
	ike_peer_moved(B.d, B.spi_in, 0xc0000201, 40001); /* told twice: already there */
	CU_ASSERT(i->moves == 1);
	uint32_t spi = A.spi_in;
	rekey(&B, "c/net");
	assert_one_matching_child(spi);
	unpair();
}

/*
 * swanctl's "dynamic" selectors: each child covers the two IKE addresses, both ways, with the
 * protocol and port given after it; a peer proposing more is narrowed to them.
 */
static void test_dynamic_selectors(void)
{
	char ta[2048], tb[2048];
	q_head = q_tail = 0;
	snprintf(ta, sizeof(ta), CONN("192.0.2.1", "192.0.2.2", "dynamic", "dynamic[udp/%%any]", "%s", "same secret"),
		 "\"aes128gcm16-prfsha256-x25519\"");
	snprintf(tb, sizeof(tb), CONN("192.0.2.2", "192.0.2.1", "0.0.0.0/0[udp/%%any]", "dynamic", "%s", "same secret"),
		 "\"aes128gcm16-prfsha256-x25519\"");
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	initiate();
	assert_established();
	struct installed *a = installed_of(&A, A.spi_in), *b = installed_of(&B, B.spi_in);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	CU_ASSERT(a->local_ts.addr == 0xc0000201 && a->local_ts.plen == 32 && a->local_ts.proto == 0);
	CU_ASSERT(a->remote_ts.addr == 0xc0000202 && a->remote_ts.plen == 32 && a->remote_ts.proto == 17);
	CU_ASSERT(b->remote_ts.addr == 0xc0000201 && b->remote_ts.plen == 32);
	CU_ASSERT(b->local_ts.addr == 0xc0000202 && b->local_ts.plen == 32 && b->local_ts.proto == 17);
	uint32_t spi = A.spi_in;
	rekey(&A, "c/net"); /* CREATE_CHILD_SA offers them again */
	CU_ASSERT(A.spi_in != spi && installed_of(&A, A.spi_in)->remote_ts.addr == 0xc0000202);
	unpair();
}

/* The node's one established IKE SA, or NULL when it has none or several. */
static struct ike_sa *the_established(struct node *n)
{
	struct ike_sa *found = NULL;
	for (struct ike_sa *sa = n->d->sas; sa; sa = sa->next)
		if (sa->state == IKE_SA_ESTABLISHED) {
			if (found)
				return NULL;
			found = sa;
		}
	return found;
}

static int children_of(const struct ike_sa *sa)
{
	int k = 0;
	for (const struct child_sa *c = sa ? sa->children : NULL; c; c = c->next)
		k++;
	return k;
}

/* Ticks both nodes and delivers what they send, a few times over (the exchanges a tick starts). */
static void tick_both(int times)
{
	for (int i = 0; i < times; i++) {
		ike_tick(A.d);
		ike_tick(B.d);
		pump();
	}
}

/* text with extra put in front of its connection's "version = 2;", into out */
static void with_conn_option(const char *text, const char *extra, char *out, size_t len)
{
	const char *at = strstr(text, "version = 2;");
	CU_ASSERT_FATAL(at != NULL);
	snprintf(out, len, "%.*s%s %s", (int)(at - text), text, extra, at);
}

/*
 * Virtual IPs, both ends dpike: A asks (vips = 0.0.0.0, local_ts dynamic), B hands out of a pool
 * of one; the child's selectors are that address at both ends, an IKE SA rekey keeps it on both
 * sides, held once in the pool. (strongswan-vips.sh has the full pool and the returning client.)
 */
/* A asks for a virtual IP (vips = 0.0.0.0), B hands out 10.3.0.9 from its pool rw (b_options added to
 * its connection); both up. */
static void vip_pair_up(const char *b_options)
{
	char ta[2048], tb[2048], a[2304], tmp[2304], b[2400];
	q_head = q_tail = 0;
	snprintf(ta, sizeof(ta), CONN("192.0.2.1", "192.0.2.2", "dynamic", "172.16.0.0/12", "%s", "same secret"),
		 "\"aes128gcm16-prfsha256-x25519\"");
	snprintf(tb, sizeof(tb), CONN("192.0.2.2", "192.0.2.1", "172.16.0.0/12", "dynamic", "%s", "same secret"),
		 "\"aes128gcm16-prfsha256-x25519\"");
	with_conn_option(ta, "vips = \"0.0.0.0\";", a, sizeof(a));
	char with[256];
	snprintf(with, sizeof(with), "pools = \"rw\"; %s", b_options);
	with_conn_option(tb, with, tmp, sizeof(tmp));
	snprintf(b, sizeof(b), "pools = ( { name = \"rw\"; addrs = \"10.3.0.9/32\"; } );\n%s", tmp);
	start_node(&A, a, 0xc0000201, "");
	start_node(&B, b, 0xc0000202, "");
	initiate();
	assert_established();
}

static void test_virtual_ips(void)
{
	vip_pair_up("");
	struct ike_sa *sa_a = only_sa(&A), *sa_b = only_sa(&B);
	CU_ASSERT(sa_a->own_vip == 0x0a030009 && sa_b->vip == 0x0a030009);
	struct installed *ia = installed_of(&A, A.spi_in), *ib = installed_of(&B, B.spi_in);
	CU_ASSERT_FATAL(ia != NULL && ib != NULL);
	CU_ASSERT(ia->local_ts.addr == 0x0a030009 && ia->local_ts.plen == 32 && ia->remote_ts.plen == 12);
	CU_ASSERT(ib->remote_ts.addr == 0x0a030009 && ib->remote_ts.plen == 32);
	uint32_t serial = sa_a->serial;
	rekey(&A, "c"); /* the IKE SA */
	CU_ASSERT(only_sa(&A)->serial != serial);
	CU_ASSERT(only_sa(&A)->own_vip == 0x0a030009 && only_sa(&B)->vip == 0x0a030009);
	uint32_t online, leased;
	ike_pool_usage(B.d->pools, 0, &online, &leased);
	CU_ASSERT(online == 1 && leased == 1);
	unpair();
}

/*
 * A client with a virtual IP from B's pool, B with reauth_time: A reauthenticates by B's
 * AUTH_LIFETIME and gets its address again (held once in the pool). B cannot reauthenticate a
 * client it gave an address to: when its own time comes it waits for A, and ends the SA at
 * reauth_time + over_time.
 */
static void test_reauth_keeps_virtual_ip(void)
{
	vip_pair_up("reauth_time = 60; over_time = 30; rand_time = 0;");
	uint32_t serial = only_sa(&A)->serial;
	clock_ms += 31000; /* A leaves itself half of B's 60 s (its own over_time is longer) */
	tick_both(3);
	struct ike_sa *sa_a = the_established(&A), *sa_b = the_established(&B);
	CU_ASSERT_FATAL(sa_a != NULL && sa_b != NULL && sa_a->serial != serial);
	CU_ASSERT(sa_a->own_vip == 0x0a030009 && sa_b->vip == 0x0a030009 && children_of(sa_b) == 1);
	uint32_t online, leased;
	ike_pool_usage(B.d->pools, 0, &online, &leased);
	CU_ASSERT(online == 1 && leased == 1);
	clock_ms += 61000; /* B's own time, A not ticked: B starts nothing */
	ike_tick(B.d);
	pump();
	CU_ASSERT(the_established(&B) == sa_b && B.d->n_sas == 1);
	clock_ms += 30000; /* reauth_time + over_time: B ends the SA */
	ike_tick(B.d);
	pump();
	ike_tick(B.d);
	CU_ASSERT_PTR_NULL(the_established(&B));
	CU_ASSERT(B.children == 0);
	unpair();
}

/* A (the initiator) sends an INFORMATIONAL from addr: with UPDATE_SA_ADDRESSES, NAT detection (as
 * if behind a NAT when fake_nat) and NO_NATS_ALLOWED as asked; returns where B's answer went. */
static struct ike_endpoint mobike_request(uint32_t addr, bool update, bool fake_nat, bool no_nats)
{
	struct ike_sa *a = only_sa(&A);
	struct ike_builder b;
	struct ike_header h;
	static const uint8_t cookie2[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	a->local.addr = addr;
	ike_header_for(a, &h, INFORMATIONAL, false, a->next_out_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	if (update)
		notify_add(&b, 0, NULL, 0, N_UPDATE_SA_ADDRESSES, NULL, 0);
	if (no_nats)
		notify_add(&b, 0, NULL, 0, N_NO_NATS_ALLOWED, NULL, 0);
	nat_add_notifies(&b, a, fake_nat);
	notify_add(&b, 0, NULL, 0, N_COOKIE2, cookie2, sizeof(cookie2));
	size_t len = ike_sk_finish(a, &b);
	CU_ASSERT_FATAL(len > 0);
	ike_send_request(a, b.buf, len, INFORMATIONAL);
	int answer = q_tail;
	pump_one(); /* to B, whose answer is queued next */
	CU_ASSERT_FATAL(q_tail == answer + 1);
	struct ike_endpoint to = queue[answer % 32].local; /* A's side, as A sees it */
	pump();
	CU_ASSERT(a->req.msg == NULL); /* answered */
	return to;
}

/*
 * MOBIKE (RFC 4555) on B, the responder, with A as a client that moves: a request from a new
 * address is answered there and moves nothing (a path probe); UPDATE_SA_ADDRESSES moves the IKE
 * SA and its child; through a NAT the client does not allow, nothing moves; without MOBIKE
 * negotiated an UPDATE_SA_ADDRESSES moves nothing (and is answered where it came from).
 */
static void test_mobike_responder(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	struct ike_sa *b = only_sa(&B);
	struct ike_endpoint home = b->remote;
	b->mobike = true; /* dpike as initiator does not announce it: as if A had */
	struct ike_endpoint to = mobike_request(0xc0000203, false, false, false);
	CU_ASSERT(to.addr == 0xc0000203 && b->remote.addr == home.addr && installed_of(&B, B.spi_in)->moves == 0);
	to = mobike_request(0xc0000204, true, true, true); /* through a NAT, which A forbids */
	CU_ASSERT(to.addr == 0xc0000204 && b->remote.addr == home.addr && !b->nat_remote);
	to = mobike_request(0xc0000203, true, false, false);
	struct installed *i = installed_of(&B, B.spi_in);
	CU_ASSERT(to.addr == 0xc0000203 && b->remote.addr == 0xc0000203 && b->remote.port == home.port);
	CU_ASSERT(i->moves == 1 && i->peer.addr == 0xc0000203 && !b->nat_remote && !b->nat_local);
	b->mobike = false; /* answered where the request came from all the same (RFC 7296 2.11), nothing moved */
	to = mobike_request(0xc0000205, true, false, false);
	CU_ASSERT(to.addr == 0xc0000205 && b->remote.addr == 0xc0000203 && i->moves == 1);
	only_sa(&A)->local.addr = 0xc0000203;
	/* behind a NAT now: the child, made without UDP encapsulation, is rekeyed into one with it */
	b->mobike = true;
	CU_ASSERT(!i->encap);
	to = mobike_request(0xc0000206, true, true, false);
	CU_ASSERT(b->nat_remote && b->remote.addr == 0xc0000206);
	only_sa(&A)->local.addr = 0xc0000206;
	clock_ms += 1000;
	ike_tick(B.d);
	pump();
	struct installed *now = installed_of(&B, B.spi_in);
	CU_ASSERT(now != NULL && now != i && now->encap && B.children == 1);
	unpair();
}

/*
 * close_action on A's child: "start" brings the child back when B closes it, and the IKE SA with
 * it when B deletes that; "none" leaves both closed.
 */
static void test_close_action(void)
{
	static const char *const actions[] = { "none", "start" };
	for (size_t i = 0; i < 2; i++) {
		char ta[2048], tb[2048], setting[64];
		bool start = i == 1;
		conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
		snprintf(setting, sizeof(setting), "close_action = \"%s\"; ", actions[i]);
		insert_after(ta, sizeof(ta), "name = \"net\"; ", setting);
		start_node(&A, ta, 0xc0000201, "");
		start_node(&B, tb, 0xc0000202, "");
		initiate();
		assert_established();
		uint32_t old = A.spi_in;
		CU_ASSERT_EQUAL(run_command(ike_terminate, B.d, "c/net"), 0);
		pump();
		CU_ASSERT(start ? A.children == 1 && B.children == 1 && A.spi_in != old : A.children == 0 && B.children == 0);
		CU_ASSERT_EQUAL(run_command(ike_terminate, B.d, "c"), 0);
		pump();
		struct ike_sa *a = only_sa(&A);
		CU_ASSERT(start ? a != NULL && a->state == IKE_SA_ESTABLISHED && A.children == 1 && B.children == 1
				: a == NULL && A.children == 0);
		unpair();
	}
}

/*
 * start_action = start on two children of a connection: both come up by themselves, the first
 * in IKE_AUTH, the second by CREATE_CHILD_SA once the IKE SA is idle; the third (none) does not.
 */
/*
 * A's connection (with a_options) has children net and net2 with start_action = start, then
 * a_more_children; B has net and net2. A started, what it sent delivered.
 */
static void start_two_children(const char *a_options, const char *a_more_children)
{
	char ta[2048], tb[2048];
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	const char *end = "\"aes128-sha256-x25519\"]; }";
	insert_after(ta, sizeof(ta), "version = 2; ", a_options);
	insert_after(ta, sizeof(ta), "name = \"net\"; ", "start_action = \"start\"; ");
	insert_after(ta, sizeof(ta), end, a_more_children);
	insert_after(ta, sizeof(ta), end,
		     ", { name = \"net2\"; local_ts = [\"192.168.0.0/16\"]; remote_ts = [\"172.16.0.0/12\"];"
		     " esp_proposals = [\"aes128gcm16\"]; start_action = \"start\"; }");
	insert_after(tb, sizeof(tb), end,
		     ", { name = \"net2\"; local_ts = [\"172.16.0.0/12\"]; remote_ts = [\"192.168.0.0/16\"];"
		     " esp_proposals = [\"aes128gcm16\"]; }");
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	ike_start(A.d);
	pump();
}

static void test_start_children(void)
{
	start_two_children("", ", { name = \"net3\"; local_ts = [\"192.168.1.0/24\"]; remote_ts = [\"172.16.0.0/12\"];"
			       " esp_proposals = [\"aes128gcm16\"]; }");
	CU_ASSERT(A.children == 1 && B.children == 1);
	ike_tick(A.d); /* the IKE SA is idle: the next child */
	pump();
	CU_ASSERT(A.children == 2 && B.children == 2);
	ike_tick(A.d);
	pump();
	CU_ASSERT(A.children == 2 && B.children == 2); /* net3 is started by nothing */
	struct ike_sa *a = only_sa(&A);
	CU_ASSERT(a != NULL && a->children_wanted == 0);
	unpair();
}

static int established_sas(struct node *n)
{
	int k = 0;
	for (struct ike_sa *sa = n->d->sas; sa; sa = sa->next)
		k += sa->state == IKE_SA_ESTABLISHED;
	return k;
}

/*
 * reauth_time on A: once due, A makes a new IKE SA with both of its started children and then
 * deletes the old one, on both sides; no INITIAL_CONTACT wipes B's old SA before that. Then
 * again at once by the command (dpikectl reauth).
 */
static void test_reauth(void)
{
	start_two_children("reauth_time = 60; rekey_time = 0; ", "");
	tick_both(2);
	struct ike_sa *a = the_established(&A), *b = the_established(&B);
	CU_ASSERT_FATAL(a != NULL && b != NULL && children_of(a) == 2 && children_of(b) == 2);
	uint32_t serial_a = a->serial, serial_b = b->serial;
	CU_ASSERT(a->reauth_ms > clock_ms && b->reauth_ms == 0);
	clock_ms += 53000; /* not due yet: rand_time (over_time's 6 s by default) takes at most 6 s off */
	tick_both(1);
	CU_ASSERT(the_established(&A) == a && A.d->n_sas == 1);
	clock_ms += 7000;
	tick_both(4);
	a = the_established(&A);
	b = the_established(&B);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	CU_ASSERT(a->serial != serial_a && b->serial != serial_b);
	CU_ASSERT(children_of(a) == 2 && children_of(b) == 2);
	CU_ASSERT(A.children == 2 && B.children == 2); /* the old children left the dataplane */
	CU_ASSERT(a->reauth_of == NULL && a->reauth_ms > clock_ms);
	assert_spis_are_children(&A);
	assert_spis_are_children(&B);
	/* dpikectl reauth: at once, on the connection only */
	serial_a = a->serial;
	CU_ASSERT_NOT_EQUAL(run_command(ike_reauth, A.d, "c/net"), 0);
	CU_ASSERT_NOT_EQUAL(run_command(ike_reauth, A.d, "nosuch"), 0);
	CU_ASSERT_EQUAL(run_command(ike_reauth, A.d, "c"), 0);
	pump();
	tick_both(3);
	a = the_established(&A);
	CU_ASSERT(a != NULL && a->serial != serial_a && children_of(a) == 2 && children_of(the_established(&B)) == 2);
	unpair();
}

/*
 * The peer deletes the new IKE SA of a reauthentication once its child has taken the old
 * child's policies, before the old SA is gone: the old SA, whose children carry nothing now, is
 * deleted too, not left up without policies.
 */
/* A and B up with one child, each connection with the options given (NULL: none). */
static void pair_up_with(const char *opts_a, const char *opts_b)
{
	char ta[2048], tb[2048];
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	if (opts_a)
		insert_after(ta, sizeof(ta), "version = 2; ", opts_a);
	if (opts_b)
		insert_after(tb, sizeof(tb), "version = 2; ", opts_b);
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	initiate();
	assert_established();
}

static void test_reauth_new_sa_deleted(void)
{
	pair_up_with("reauth_time = 60; rekey_time = 0; ", NULL);
	clock_ms += 61000;
	ike_tick(A.d);
	pump(); /* the new IKE SA and its child are up; the old one goes at A's next tick */
	struct ike_sa *fresh = NULL, *theirs = NULL;
	for (struct ike_sa *sa = A.d->sas; sa; sa = sa->next)
		if (sa->reauth_of)
			fresh = sa;
	CU_ASSERT_FATAL(fresh != NULL && fresh->state == IKE_SA_ESTABLISHED && fresh->reauth_took_over);
	for (struct ike_sa *sa = B.d->sas; sa; sa = sa->next)
		if (sa->spi_i == fresh->spi_i)
			theirs = sa;
	CU_ASSERT_FATAL(theirs != NULL);
	ike_sa_delete(theirs);
	pump();
	tick_both(2);
	CU_ASSERT_EQUAL(established_sas(&A), 0);
	CU_ASSERT_EQUAL(established_sas(&B), 0);
	CU_ASSERT(A.children == 0 && B.children == 0);
	unpair();
}

/*
 * Between a reauthentication's new children taking over and the old SA's deletion, the peer's
 * rekey of an old child is refused (TEMPORARY_FAILURE): it would take the policies back to an SA
 * about to go.
 */
static void test_reauth_holds_peer_rekeys(void)
{
	pair_up_with("reauth_time = 60; rekey_time = 0; ", NULL);
	struct ike_sa *b_old = only_sa(&B);
	clock_ms += 61000;
	ike_tick(A.d);
	pump(); /* the new IKE SA and its child are up; the old one goes at A's next tick */
	CU_ASSERT_FATAL(b_old->state == IKE_SA_ESTABLISHED && b_old->children != NULL);
	struct child_sa *c = b_old->children;
	uint32_t spi = c->spi_in;
	CU_ASSERT_FATAL(ccsa_rekey_child(b_old, c));
	pump();
	CU_ASSERT(c->state == CHILD_INSTALLED && c->spi_in == spi && b_old->children == c && c->next == NULL);
	tick_both(2);
	CU_ASSERT(established_sas(&A) == 1 && established_sas(&B) == 1 && A.children == 1 && B.children == 1);
	unpair();
}

/*
 * A reauthenticates make-before-break with B as responder, up to where A has its new child and
 * has not yet deleted the old SA: B's new child, returned, waits with its inbound SA alone.
 */
static struct child_sa *peer_reauthenticated(struct installed **old_b)
{
	pair_up_with("reauth_time = 60; rekey_time = 0; ", NULL);
	*old_b = only_sa(&B)->children->handle;
	clock_ms += 61000;
	ike_tick(A.d);
	pump(); /* the old one goes at A's next tick */
	struct child_sa *waiting = NULL;
	for (struct ike_sa *sa = B.d->sas; sa; sa = sa->next)
		if (sa->state == IKE_SA_ESTABLISHED && sa->children && sa->children->replaces)
			waiting = sa->children;
	CU_ASSERT_FATAL(waiting != NULL && waiting->replaces->handle == *old_b);
	struct installed *h = waiting->handle;
	CU_ASSERT(h->live && !h->active && (*old_b)->active);
	return waiting;
}

/* Whether dpikectl list-sas, in text or JSON, says what. */
static bool listing_says(struct ike_daemon *d, bool json, const char *what)
{
	struct strbuf o;
	sb_init(&o);
	ike_list_sas(d, json, &o);
	bool says = !o.oom && o.buf && strstr(o.buf, what) != NULL;
	sb_free(&o);
	return says;
}

/*
 * B, the responder of A's reauthentication, keeps sending on the old child (A may not have read
 * B's answer yet) until A is known to have the new one: A's first packet on it, or A's Delete of
 * the old IKE SA, or, with neither, a deadline.
 */
static void test_reauth_by_peer_hands_over(void)
{
	struct installed *old_b;
	struct child_sa *c = peer_reauthenticated(&old_b);
	struct installed *h = c->handle;
	CU_ASSERT(listing_says(B.d, true, "\"outbound_waits\":true") && listing_says(B.d, false, "outbound waits"));
	clock_ms += 100;
	ike_tick(B.d);
	CU_ASSERT(!h->active && old_b->active); /* nothing from A on it yet */
	h->packets = 1;
	clock_ms += 50;
	ike_tick(B.d);
	CU_ASSERT(h->active && !old_b->active && c->replaces == NULL);
	CU_ASSERT(listing_says(B.d, true, "\"outbound_waits\":false") && !listing_says(B.d, true, "\"outbound_waits\":true"));
	tick_both(2);
	CU_ASSERT(established_sas(&A) == 1 && established_sas(&B) == 1 && B.children == 1 && h->live && h->active);
	unpair();

	c = peer_reauthenticated(&old_b); /* A deletes the old IKE SA before it sends on the new child */
	h = c->handle;
	ike_tick(A.d);
	pump();
	CU_ASSERT(h->active && !old_b->live && B.children == 1);
	unpair();

	c = peer_reauthenticated(&old_b); /* neither comes */
	h = c->handle;
	clock_ms += HANDOVER_REAUTH_MS - 100;
	ike_tick(B.d);
	CU_ASSERT(!h->active && old_b->active);
	clock_ms += 100;
	ike_tick(B.d);
	CU_ASSERT(h->active && !old_b->active && c->replaces == NULL);
	unpair();
}

/*
 * The responder of a child rekey moves its traffic to the new child when the initiator sends on
 * it, before the Delete of the old one; a child rekey's new SA that the initiator never uses or
 * deletes for takes over after the longer deadline.
 */
static void test_rekey_responder_hands_over(void)
{
	pair_up_with(NULL, NULL);
	struct installed *old_b = only_sa(&B)->children->handle;
	drop_exchange = INFORMATIONAL; /* A's Delete of the old child is lost, and so are its retransmissions */
	CU_ASSERT_EQUAL(run_command(ike_rekey, A.d, "c/net"), 0);
	pump();
	struct child_sa *c = only_sa(&B)->children;
	CU_ASSERT_FATAL(c != NULL && c->replaces != NULL && c->replaces->handle == old_b);
	struct installed *h = c->handle;
	CU_ASSERT(!h->active && old_b->active);
	clock_ms += 1000;
	ike_tick(B.d);
	CU_ASSERT(!h->active && old_b->active);
	h->packets = 3;
	clock_ms += 50;
	ike_tick(B.d);
	CU_ASSERT(h->active && !old_b->active && c->replaces == NULL && old_b->live);
	unpair();
}

/*
 * B, the responder, has reauth_time and tells A its authentication's lifetime (AUTH_LIFETIME,
 * RFC 4478); A, with none of its own, reauthenticates before it runs out.
 */
static void test_auth_lifetime(void)
{
	pair_up_with(NULL, "reauth_time = 100; rand_time = 0; ");
	struct ike_sa *a = only_sa(&A);
	uint32_t serial_a = a->serial;
	/* A leaves itself a tenth of the lifetime at least (its own over_time is 24 min: half of it then) */
	CU_ASSERT(a->reauth_ms >= clock_ms + 49000 && a->reauth_ms <= clock_ms + 51000);
	clock_ms += 51000;
	tick_both(3);
	a = the_established(&A);
	CU_ASSERT_FATAL(a != NULL && the_established(&B) != NULL);
	CU_ASSERT(a->serial != serial_a && children_of(a) == 1 && children_of(the_established(&B)) == 1);
	CU_ASSERT(a->reauth_ms > clock_ms); /* told again by the new SA */
	unpair();
}

/*
 * A restarts (its daemon forgets everything, B does not) and connects again: its first IKE_AUTH
 * carries INITIAL_CONTACT, and B drops the IKE SA and child left from before, keeping the new.
 * A second IKE SA while the first lives carries none, and B keeps both.
 */
static void test_initial_contact(void)
{
	char ta[2048], tb[2048];
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	initiate();
	assert_established();
	uint32_t old_b = B.spi_in;
	stop_node(&A);
	start_node(&A, ta, 0xc0000201, "");
	initiate();
	pump();
	CU_ASSERT(established_sas(&A) == 1 && established_sas(&B) == 1);
	CU_ASSERT(B.children == 1 && B.spi_in != old_b && installed_of(&B, old_b) == NULL);
	CU_ASSERT(A.spi_out == B.spi_in && B.spi_out == A.spi_in);
	/* a further IKE SA while this one lives: no INITIAL_CONTACT, both kept */
	struct ike_sa *sa = only_sa(&A);
	CU_ASSERT_FATAL(sa != NULL);
	sa->state = IKE_SA_DELETING; /* out of the way of ike_initiate's "already up" refusal */
	initiate();
	pump();
	sa->state = IKE_SA_ESTABLISHED;
	CU_ASSERT(established_sas(&B) == 2);
	unpair();
}

/* The live installed SA of the node, writable (live_child() is for reading). */
static struct installed *traffic_of(struct node *n)
{
	for (int k = 0; k < 16; k++)
		if (n->sa[k].live)
			return &n->sa[k];
	return NULL;
}

/*
 * inactivity = 60 s on one side: traffic in time keeps the child; a minute without a packet
 * closes it, the responder's child alone, the initiator's with its IKE SA (it was the only child).
 */
static void test_inactivity(void)
{
	for (int initiator = 0; initiator < 2; initiator++) {
		char ta[2048], tb[2048];
		conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
		insert_after(initiator ? ta : tb, 2048, "name = \"net\"; ", "inactivity = \"1m\"; ");
		start_node(&A, ta, 0xc0000201, "");
		start_node(&B, tb, 0xc0000202, "");
		initiate();
		assert_established();
		struct node *idle = initiator ? &A : &B;
		advance(40000, 1000);
		traffic_of(idle)->packets += 3;
		advance(50000, 1000); /* 90 s up, 50 s since the traffic */
		CU_ASSERT(A.children == 1 && B.children == 1);
		advance(20000, 1000); /* seen by the look at 45 s: closed 60 s later */
		CU_ASSERT(A.children == 0 && B.children == 0);
		CU_ASSERT_EQUAL(established_sas(&A), initiator ? 0 : 1);
		CU_ASSERT_EQUAL(established_sas(&B), initiator ? 0 : 1);
		unpair();
	}
}

/* A and B with childless set on either (NULL: swanctl's default, allow); A initiates c/net. */
static void childless_pair(const char *a, const char *b)
{
	char ta[2048], tb[2048], setting[64];
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	if (a) {
		snprintf(setting, sizeof(setting), "childless = \"%s\"; ", a);
		insert_after(ta, sizeof(ta), "version = 2; ", setting);
	}
	if (b) {
		snprintf(setting, sizeof(setting), "childless = \"%s\"; ", b);
		insert_after(tb, sizeof(tb), "version = 2; ", setting);
	}
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	initiate();
}

/*
 * RFC 6023: with childless = force A makes the IKE SA without a child and the child after it by
 * CREATE_CHILD_SA; a responder that does not announce support, or one that insists on a child
 * where it must not, ends the attempt.
 */
static void test_childless(void)
{
	childless_pair("force", NULL);
	assert_established();
	CU_ASSERT(only_sa(&A)->next_out_id >= 2 && only_sa(&A)->peer_childless); /* IKE_AUTH, then CREATE_CHILD_SA */
	unpair();
	childless_pair(NULL, "force"); /* A asks for its child in IKE_AUTH: B refuses */
	CU_ASSERT(A.children == 0 && B.children == 0 && established_sas(&A) == 0 && established_sas(&B) == 0);
	unpair();
	childless_pair("force", "never"); /* B does not announce it: A gives up before IKE_AUTH */
	CU_ASSERT(A.children == 0 && established_sas(&A) == 0 && !only_sa(&A));
	unpair();
	childless_pair(NULL, NULL);
	assert_established();
	CU_ASSERT(only_sa(&A)->next_out_id == 2); /* the child came with IKE_AUTH */
	unpair();
}

/* Removes the child's selectors from a config text made by conn_texts() (swanctl's default then: dynamic). */
static void drop_ts(char *conf, const char *lts, const char *rts)
{
	char from[128];
	snprintf(from, sizeof(from), "local_ts = [\"%s\"]; remote_ts = [\"%s\"];", lts, rts);
	char *at = strstr(conf, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	memmove(at, at + strlen(from), strlen(at + strlen(from)) + 1);
}

static bool host_pair(const struct installed *i, uint32_t local, uint32_t remote)
{
	return i && i->local_ts.addr == local && i->local_ts.plen == 32 && i->remote_ts.addr == remote &&
	       i->remote_ts.plen == 32;
}

/*
 * A child without selectors is swanctl's dynamic, the two IKE addresses: B without them narrows
 * A's networks to that (TS_UNACCEPTABLE, as they do not meet); with A's omitted too, both install
 * the host pair.
 */
static void test_selectors_default_dynamic(void)
{
	char ta[2048], tb[2048];
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	drop_ts(tb, "172.16.0.0/12", "10.0.0.0/8");
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	initiate();
	CU_ASSERT(A.children == 0 && B.children == 0); /* 10/8 and 172.16/12 hold neither gateway */
	unpair();
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	drop_ts(ta, "10.0.0.0/8", "172.16.0.0/12");
	drop_ts(tb, "172.16.0.0/12", "10.0.0.0/8");
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	initiate();
	assert_established();
	CU_ASSERT(host_pair(traffic_of(&A), 0xc0000201, 0xc0000202));
	CU_ASSERT(host_pair(traffic_of(&B), 0xc0000202, 0xc0000201));
	unpair();
}

#define NAT_CONN2(local, remote, id, remote_id)                                                              \
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"" local "/24\"; } );\n"            \
	"connections = ( { name = \"c\"; version = 2; local_addrs = [\"" local "\"]; remote_addrs = [\"" remote \
	"\"];\n  proposals = [\"aes128gcm16-prfsha256-x25519\"];\n"                                               \
	"  local = { auth = \"psk\"; id = \"" id "\"; }; remote = { auth = \"psk\"; id = \"" remote_id "\"; };\n" \
	"  children = ( { name = \"net\"; mode = \"transport\"; esp_proposals = [\"aes128gcm16\"]; } ); } );\n"    \
	"secrets = ( { type = \"ike\"; secret = \"nat secret\"; } );\n"

/*
 * Transport mode with A behind a NAT (10.9.0.1 seen as 203.0.113.7), selectors dynamic on both
 * sides: A's own address in its selectors stands for the one B sees (RFC 7296 2.23.1), so each
 * side's SA names the addresses its packets carry.
 */
static void test_transport_behind_nat2(void)
{
	q_head = q_tail = 0;
	start_node(&A, NAT_CONN2("10.9.0.1", "192.0.2.2", "a@example.org", "192.0.2.2"), 0x0a090001, "");
	start_node(&B, NAT_CONN2("192.0.2.2", "203.0.113.7", "192.0.2.2", "a@example.org"), 0xc0000202, "");
	nat_private = 0x0a090001;
	nat_public = 0xcb007107;
	initiate();
	nat_private = 0;
	assert_established();
	const struct installed *a = traffic_of(&A), *b = traffic_of(&B);
	CU_ASSERT_FATAL(a != NULL && b != NULL);
	CU_ASSERT(!a->tunnel && !b->tunnel && a->encap && b->encap);
	CU_ASSERT(host_pair(b, 0xc0000202, 0xcb007107));
	CU_ASSERT(host_pair(a, 0x0a090001, 0xc0000202));
	/* the original addresses for the checksum fix-up, from the selectors as the peer wrote them */
	CU_ASSERT(b->has_oa && b->oa_remote == 0x0a090001 && b->oa_local == 0xc0000202);
	CU_ASSERT(a->has_oa && a->oa_remote == 0xc0000202 && a->oa_local == 0xcb007107);
	unpair();
}

#define ID_CONN(name, local, local_id, remote_addr, remote_id)                                               \
	"{ name = \"" name "\"; version = 2; local_addrs = [\"" local "\"]; remote_addrs = [\"" remote_addr "\"];\n" \
	"  proposals = [\"aes128gcm16-prfsha256-x25519\"]; local = { auth = \"psk\"; id = \"" local_id "\"; };\n"     \
	"  remote = { auth = \"psk\"; id = \"" remote_id "\"; };\n"                                                     \
	"  children = ( { name = \"net\"; esp_proposals = [\"aes128gcm16\"]; } ); }"
#define ID_NODE(local, conns)                                                                                 \
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"" local "/24\"; } );\n"               \
	"connections = ( " conns " );\nsecrets = ( { type = \"ike\"; secret = \"same secret\"; } );\n"
#define B_BY_ADDRESS ID_CONN("c", "192.0.2.2", "192.0.2.2", "192.0.2.1", "192.0.2.1") ", "
#define B_ELSEWHERE ID_CONN("elsewhere", "192.0.2.2", "192.0.2.2", "198.51.100.77", "a@example.org")

/* A, as a@example.org, initiates to B, which has text_b: the connection of B's SA, NULL when none came up. */
static const char *connection_chosen(const char *text_b)
{
	q_head = q_tail = 0;
	start_node(&A, ID_NODE("192.0.2.1", ID_CONN("c", "192.0.2.1", "a@example.org", "192.0.2.2", "192.0.2.2")),
		   0xc0000201, "");
	start_node(&B, text_b, 0xc0000202, "");
	CU_ASSERT_EQUAL(run_command(ike_initiate, A.d, "c/net"), 0);
	pump();
	struct ike_sa *b = the_established(&B);
	return b ? b->conn->name : NULL;
}

/*
 * B's connection for A's address names another peer, so A's identity chooses again, among the
 * connections for the same addresses only: remote_addrs restrict who may use a connection.
 */
static void test_identity_chooses_among_addresses(void)
{
	CU_ASSERT_PTR_NULL(connection_chosen(ID_NODE("192.0.2.2", B_BY_ADDRESS B_ELSEWHERE)));
	CU_ASSERT_EQUAL(B.d->stats.auth_failures, 1);
	unpair();
	const char *name = connection_chosen(ID_NODE(
		"192.0.2.2", B_BY_ADDRESS B_ELSEWHERE ", " ID_CONN("here", "192.0.2.2", "192.0.2.2", "192.0.2.0/24", "a@example.org")));
	CU_ASSERT(name && strcmp(name, "here") == 0);
	unpair();
}

/*
 * The responder may narrow the initiator's selectors, not widen them (RFC 7296 2.9): A's
 * configuration shrinks while its request is out (as if the response said more than was asked).
 */
static void test_widened_response_refused(void)
{
	char ta[2048], tb[2048];
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	CU_ASSERT_EQUAL(run_command(ike_initiate, A.d, "c/net"), 0);
	pump_one(); /* IKE_SA_INIT */
	pump_one();
	pump_one(); /* IKE_AUTH request: B answers for 10.0.0.0/8 */
	struct traffic_selector *l = &A.cfg.connections[0]->children[0].local_ts.ts[0];
	CU_ASSERT_FATAL(ts_parse("10.1.0.0/16", l));
	pump();
	CU_ASSERT_EQUAL(A.children, 0);
	unpair();
}

/* A second IKE SA from A while the first lives (no INITIAL_CONTACT), B's connection with unique = how. */
static void second_ike_sa(const char *how)
{
	char ta[2048], tb[2048], setting[64];
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	snprintf(setting, sizeof(setting), "unique = \"%s\"; ", how);
	insert_after(tb, sizeof(tb), "version = 2; ", setting);
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	initiate();
	assert_established();
	struct ike_sa *first = only_sa(&A);
	CU_ASSERT_FATAL(first != NULL);
	uint32_t serial = first->serial;
	first->state = IKE_SA_DELETING; /* out of the way of ike_initiate's "already up" refusal */
	initiate();
	pump();
	for (struct ike_sa *sa = A.d->sas; sa; sa = sa->next) /* unless B deleted it, and A freed it */
		if (sa->serial == serial && sa->state == IKE_SA_DELETING)
			sa->state = IKE_SA_ESTABLISHED;
}

static uint32_t newest_established(struct node *n)
{
	uint32_t serial = 0;
	for (struct ike_sa *sa = n->d->sas; sa; sa = sa->next)
		if (sa->state == IKE_SA_ESTABLISHED && sa->serial > serial)
			serial = sa->serial;
	return serial;
}

/*
 * swanctl's unique on the responder: no keeps both SAs, keep refuses the second
 * (AUTHENTICATION_FAILED), replace deletes the first; never keeps the old SA even when the peer
 * restarted and says INITIAL_CONTACT.
 */
static void test_unique(void)
{
	second_ike_sa("no");
	CU_ASSERT(established_sas(&B) == 2 && B.children == 2);
	unpair();
	second_ike_sa("keep");
	CU_ASSERT(established_sas(&B) == 1 && established_sas(&A) == 1 && B.children == 1);
	CU_ASSERT(B.d->sas && newest_established(&B) == 1);
	unpair();
	second_ike_sa("replace");
	CU_ASSERT(established_sas(&B) == 1 && established_sas(&A) == 1 && B.children == 1 && A.children == 1);
	CU_ASSERT(newest_established(&B) == 2 && newest_established(&A) == 2);
	CU_ASSERT(A.spi_out == B.spi_in && B.spi_out == A.spi_in);
	unpair();
	char ta[2048], tb[2048];
	conn_texts(ta, tb, "\"aes128gcm16-prfsha256-x25519\"");
	insert_after(tb, sizeof(tb), "version = 2; ", "unique = \"never\"; ");
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	initiate();
	assert_established();
	stop_node(&A);
	start_node(&A, ta, 0xc0000201, "");
	initiate();
	pump();
	CU_ASSERT(established_sas(&B) == 2 && B.children == 2);
	unpair();
}

/* Both ends start the same rekey before either request arrives (RFC 7296 2.8.1 and 2.8.2). */
static void start_rekey(struct node *who, const char *name)
{
	CU_ASSERT_EQUAL(run_command(ike_rekey, who->d, name), 0);
}

static void test_rekey_collisions(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	initiate();
	assert_established();
	for (int round = 0; round < 6; round++) { /* nonces are random: either side may keep its SA */
		uint32_t spi = live_child(&A) ? live_child(&A)->spi_in : 0;
		start_rekey(&A, "c/net");
		start_rekey(&B, "c/net");
		pump();
		assert_one_matching_child(spi);
	}
	for (int round = 0; round < 6; round++) {
		uint64_t spi = only_sa(&A)->spi_i;
		start_rekey(&A, "c");
		start_rekey(&B, "c");
		pump();
		CU_ASSERT_PTR_NOT_NULL_FATAL(only_sa(&A));
		CU_ASSERT_PTR_NOT_NULL_FATAL(only_sa(&B));
		CU_ASSERT(only_sa(&A)->next == NULL && only_sa(&B)->next == NULL); /* one IKE SA left on each side */
		CU_ASSERT(only_sa(&A)->spi_i == only_sa(&B)->spi_i && only_sa(&A)->spi_r == only_sa(&B)->spi_r);
		CU_ASSERT(only_sa(&A)->spi_i != spi && only_sa(&A)->state == IKE_SA_ESTABLISHED);
		CU_ASSERT(A.children == 1 && B.children == 1);
		assert_one_matching_child(0);
	}
	assert_spis_are_children(&A); /* redundant SAs of the collisions gave theirs back */
	assert_spis_are_children(&B);
	unpair();
}

/* Four IKE_SA_INITs from A that never continue; returns how many B answered. */
static int unanswered_inits(void)
{
	for (int i = 0; i < 4; i++) {
		run_command(ike_initiate, A.d, "c/net");
	}
	int requests = q_tail;
	for (int i = 0; i < 4; i++)
		ike_input(B.d, &queue[i].local, &queue[i].remote, queue[i].msg, queue[i].len);
	int answers = q_tail - requests;
	q_head = q_tail;
	return answers;
}

/* Half-open IKE SAs are capped per peer address and in all; the excess is dropped silently. */
static void test_half_open_caps(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret",
	     "half_open_per_peer = 2;");
	CU_ASSERT_EQUAL(unanswered_inits(), 2);
	CU_ASSERT(B.d->half_open == 2 && B.d->stats.half_open_dropped == 2);
	clock_ms += 31000; /* half-open SAs time out */
	ike_tick(B.d);
	CU_ASSERT_EQUAL(B.d->half_open, 0);
	unpair();

	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret",
	     "half_open_per_peer = 100; half_open_max = 3;");
	CU_ASSERT_EQUAL(unanswered_inits(), 3);
	CU_ASSERT(B.d->half_open == 3 && B.d->stats.half_open_dropped == 1);
	unpair();
}

/* The X25519 KE value of an IKE_SA_INIT message an SA keeps (until it is established). */
static bool kept_ke(const uint8_t *m, size_t m_len, uint8_t out[32])
{
	struct ike_message msg;
	const uint8_t *data;
	size_t len;
	uint16_t group;
	memset(&msg, 0, sizeof(msg));
	if (m == NULL || ike_parse_header(m, m_len, &msg.hdr) != IKE_PARSE_OK ||
	    ike_parse_chain(&msg, msg.hdr.next, m + IKE_HDR_LEN, m_len - IKE_HDR_LEN) != IKE_PARSE_OK)
		return false;
	const struct ike_payload *ke = ike_find(&msg, PL_KE);
	if (ke == NULL || !ke_payload_parse(ke, &group, &data, &len) || len != 32)
		return false;
	memcpy(out, data, 32);
	return true;
}

/* Replaces the X25519 value of a queued IKE_SA_INIT request with 0, a point of small order. */
static bool zero_ke(struct queued *q)
{
	struct ike_message msg;
	const uint8_t *data;
	size_t len;
	uint16_t group;
	memset(&msg, 0, sizeof(msg));
	if (ike_parse_header(q->msg, q->len, &msg.hdr) != IKE_PARSE_OK ||
	    ike_parse_chain(&msg, msg.hdr.next, q->msg + IKE_HDR_LEN, q->len - IKE_HDR_LEN) != IKE_PARSE_OK)
		return false;
	const struct ike_payload *ke = ike_find(&msg, PL_KE);
	if (ke == NULL || !ke_payload_parse(ke, &group, &data, &len) || len != 32)
		return false;
	memset((uint8_t *)data, 0, len);
	return true;
}

/* Whether a queued message is an IKE_SA_INIT response carrying only the notify type. */
static bool is_error_notify(const struct queued *q, uint16_t type)
{
	struct ike_message msg;
	uint8_t buf[IKE_MAX_MSG];
	memcpy(buf, q->msg, q->len);
	memset(&msg, 0, sizeof(msg));
	return ike_parse_header(buf, q->len, &msg.hdr) == IKE_PARSE_OK &&
	       ike_parse_chain(&msg, msg.hdr.next, buf + IKE_HDR_LEN, q->len - IKE_HDR_LEN) == IKE_PARSE_OK &&
	       msg.hdr.exchange == IKE_SA_INIT && msg.n == 1 && ike_find_notify(&msg, type) != NULL;
}

/*
 * env.batch_key_exchanges, as dpike runs: IKE_SA_INIT requests in hand are answered when the
 * daemon is flushed, their key exchanges in one batch; a retransmission meanwhile gets no early
 * answer; a small-order X25519 value (an all-zero secret) is refused with INVALID_SYNTAX at the
 * flush without holding the others up; the initiator batches its side alike, and the SAs come up.
 */
static void test_batched_key_exchanges(void)
{
	if (!x25519_batch_available()) {
		printf("\n  (neither AVX-512 IFMA nor AVX2 on this CPU: key exchanges are not batched) ");
		return;
	}
	batch_key_exchanges = true;
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret",
	     "half_open_per_peer = 100;");
	for (int i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(run_command(ike_initiate, A.d, "c/net"), 0);
	const int requests = q_tail;
	CU_ASSERT_FATAL(requests == 5 && zero_ke(&queue[4]));
	for (int i = 0; i < requests; i++)
		ike_input(B.d, &queue[i].local, &queue[i].remote, queue[i].msg, queue[i].len);
	ike_input(B.d, &queue[1].local, &queue[1].remote, queue[1].msg, queue[1].len); /* retransmitted */
	CU_ASSERT_EQUAL(q_tail, requests); /* nothing answered yet */
	CU_ASSERT_EQUAL(B.d->n_pending_ke, 5);
	ike_flush(B.d);
	CU_ASSERT_EQUAL(q_tail, 2 * requests);
	CU_ASSERT(B.d->stats.ke_batches == 1 && B.d->stats.ke_batched == 5 && B.d->stats.retransmits_answered == 0);
	int refused = 0;
	for (int i = requests; i < q_tail; i++)
		refused += is_error_notify(&queue[i], N_INVALID_SYNTAX);
	CU_ASSERT_EQUAL(refused, 1);
	CU_ASSERT(is_error_notify(&queue[2 * requests - 1], N_INVALID_SYNTAX)); /* the fifth, answered in order */
	/* the initiator too: IKE_AUTH goes out once the answers' key exchanges are done, together */
	for (int i = requests; i < 2 * requests; i++)
		ike_input(A.d, &queue[i].local, &queue[i].remote, queue[i].msg, queue[i].len);
	CU_ASSERT_EQUAL(q_tail, 2 * requests);
	ike_flush(A.d);
	CU_ASSERT(q_tail == 2 * requests + 4 && A.d->stats.ke_batches == 1 && A.d->stats.ke_batched == 4);
	q_head = 2 * requests;
	pump();
	CU_ASSERT(A.children == 4 && B.children == 4);
	CU_ASSERT(B.d->stats.established == 4 && A.d->stats.established == 4);
	unpair();
	batch_key_exchanges = false;
}

/*
 * Eight in hand fill a batch, which is then finished from within ike_input(): on the initiator,
 * the eighth answer carries a small-order value and its SA is refused there, while ike_input()
 * still holds it (under ASan a use after free if it were freed at once); the other seven come up.
 */
static void test_batch_filled_within_input(void)
{
	if (!x25519_batch_available())
		return;
	batch_key_exchanges = true;
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret",
	     "half_open_per_peer = 100;");
	for (int i = 0; i < IKE_KE_BATCH; i++)
		CU_ASSERT_EQUAL(run_command(ike_initiate, A.d, "c/net"), 0);
	for (int i = 0; i < IKE_KE_BATCH; i++)
		ike_input(B.d, &queue[i].local, &queue[i].remote, queue[i].msg, queue[i].len);
	CU_ASSERT(q_tail == 2 * IKE_KE_BATCH && B.d->n_pending_ke == 0 && B.d->stats.ke_batched == IKE_KE_BATCH);
	CU_ASSERT_FATAL(zero_ke(&queue[2 * IKE_KE_BATCH - 1]));
	for (int i = IKE_KE_BATCH; i < 2 * IKE_KE_BATCH; i++)
		ike_input(A.d, &queue[i].local, &queue[i].remote, queue[i].msg, queue[i].len);
	CU_ASSERT(A.d->n_pending_ke == 0 && A.d->stats.ke_batched == IKE_KE_BATCH && A.d->stats.no_proposal == 1);
	CU_ASSERT_EQUAL(q_tail, 3 * IKE_KE_BATCH - 1); /* seven IKE_AUTH requests */
	q_head = 2 * IKE_KE_BATCH;
	pump();
	CU_ASSERT(A.children == IKE_KE_BATCH - 1 && B.children == IKE_KE_BATCH - 1);
	unpair();
	batch_key_exchanges = false;
}

/*
 * A load generator's teardown (ike_delete_established): at most max SAs at a time, none twice,
 * the responder's going with them; each told by env.ike_event as gone, deleted (IKE_FAIL_NONE).
 */
static void test_delete_established(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	struct ike_endpoint from = A.ep;
	for (uint16_t i = 0; i < 3; i++) {
		from.port = (uint16_t)(10000 + i);
		CU_ASSERT_FATAL(ike_initiate_as(A.d, "c", &from, "192.0.2.1", NULL) != 0);
	}
	pump();
	CU_ASSERT_FATAL(ike_sa_count(A.d) == 3 && ike_sa_count(B.d) == 3 && B.children == 3);
	int events = A.events;
	CU_ASSERT_EQUAL(ike_delete_established(A.d, "c", 2), 2);
	CU_ASSERT_EQUAL(ike_delete_established(A.d, "c", 2), 1); /* the first two are being deleted */
	CU_ASSERT_EQUAL(ike_delete_established(A.d, "other", 2), 0);
	CU_ASSERT_EQUAL(ike_sa_count(A.d), 3); /* until B answers */
	pump();
	CU_ASSERT(ike_sa_count(A.d) == 0 && ike_sa_count(B.d) == 0 && A.children == 0 && B.children == 0);
	CU_ASSERT(A.events == events + 3 && !A.event_up && A.event_why == IKE_FAIL_NONE);
	CU_ASSERT_EQUAL(ike_delete_established(A.d, "c", 2), 0);
	unpair();
}

/* Two IKE_SA_INIT exchanges at once, compared on both sides; both SAs then come up. */
static struct ke_sharing two_inits_share_ke(const char *limits_a, const char *limits_b)
{
	pair_with("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", limits_a,
		  limits_b);
	struct ike_endpoint from = A.ep;
	CU_ASSERT(ike_initiate_as(A.d, "c", &from, "192.0.2.1", NULL) != 0);
	from.port = 10001;
	CU_ASSERT(ike_initiate_as(A.d, "c", &from, "192.0.2.1", NULL) != 0);
	pump_one();
	pump_one(); /* B has answered both IKE_SA_INITs, A has not read the answers yet */
	uint8_t i1[32] = { 0 }, i2[32] = { 1 }, r1[32] = { 2 }, r2[32] = { 3 };
	struct ike_sa *b2 = B.d->sas, *b1 = b2 ? b2->next : NULL, *a2 = A.d->sas, *a1 = a2 ? a2->next : NULL;
	CU_ASSERT_FATAL(b1 != NULL && kept_ke(b1->init_resp, b1->init_resp_len, r1) &&
			kept_ke(b2->init_resp, b2->init_resp_len, r2));
	CU_ASSERT_FATAL(a1 != NULL && kept_ke(a1->init_req, a1->init_req_len, i1) &&
			kept_ke(a2->init_req, a2->init_req_len, i2));
	pump();
	CU_ASSERT(B.d->stats.established == 2 && A.d->stats.established == 2 && B.n_sa == 2);
	unpair();
	return (struct ke_sharing){ memcmp(i1, i2, 32) == 0, memcmp(r1, r2, 32) == 0 };
}

/* ike.ke_reuse: one key pair serves several exchanges (RFC 7296 2.12), on the side that asks, only there. */
static void test_ke_reuse(void)
{
	check_ke_reuse(two_inits_share_ke);
}

/*
 * ike.ke_reuse keeps a pair per group, so that exchanges of two groups in turn (IKEv1 peers with
 * MODP, IKEv2 ones with X25519) do not replace each other's; more groups than slots replace
 * the pair expiring first, and a pair past its time is replaced.
 */
static void test_ke_reuse_per_group(void)
{
	static const uint16_t groups[] = { 31, 19, 31, 14, 19, 20, 21, 31 };
	uint8_t pub[8][IKE_MAX_KE_LEN];
	size_t len[8];
	pair_with("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret",
		  "ke_reuse = 10.0;", "");
	for (int i = 0; i < 8; i++) {
		struct ke_state *ke = ike_exchange_ke(A.d, groups[i], pub[i], &len[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ke);
		ke_free(ke);
		clock_ms += 1000;
	}
	CU_ASSERT(len[0] == len[2] && memcmp(pub[0], pub[2], len[0]) == 0);  /* X25519 kept while P-256 came */
	CU_ASSERT(len[1] == len[4] && memcmp(pub[1], pub[4], len[1]) == 0);  /* P-256 kept while MODP came */
	CU_ASSERT(memcmp(pub[0], pub[7], len[0]) != 0); /* five groups: X25519's pair, the oldest, went */
	uint8_t again[IKE_MAX_KE_LEN];
	size_t n;
	clock_ms += 10000;
	struct ke_state *ke = ike_exchange_ke(A.d, 20, again, &n);
	CU_ASSERT(ke != NULL && n == len[5] && memcmp(again, pub[5], n) != 0); /* past its time */
	ke_free(ke);
	unpair();
}

static unsigned spi_asks;
static uint32_t spi_liked;

static bool like_sixth_spi(void *ctx, uint32_t spi)
{
	(void)ctx;
	if (++spi_asks < 6)
		return false;
	spi_liked = spi;
	return true;
}

static bool like_no_spi(void *ctx, uint32_t spi)
{
	(void)ctx;
	(void)spi;
	spi_asks++;
	return false;
}

/* Inbound SPIs are drawn until the dataplane likes one, but not forever. */
static void test_spi_preferred(void)
{
	pair("\"aes128gcm16-prfsha256-x25519\"", "\"aes128gcm16-prfsha256-x25519\"", "same secret", "");
	A.d->env.spi_preferred = like_sixth_spi;
	spi_asks = 0;
	uint32_t spi = child_alloc_spi(A.d);
	CU_ASSERT(spi_asks == 6 && spi == spi_liked);
	A.d->env.spi_preferred = like_no_spi;
	spi_asks = 0;
	uint32_t other = child_alloc_spi(A.d);
	CU_ASSERT(other >= 0x100 && other != spi && spi_asks > 0 && spi_asks < 100);
	unpair();
}

void ike_harness_suite_add(CU_pSuite s)
{
	CU_add_test(s, "inbound SPIs drawn until the dataplane likes one, not forever", test_spi_preferred);
	CU_add_test(s, "ke_reuse: a pair kept per group, the oldest replaced, none past its time",
		    test_ke_reuse_per_group);
	CU_add_test(s, "ke_reuse: a key pair reused, as responder or initiator, only when asked", test_ke_reuse);
	CU_add_test(s, "two daemons establish, child keys match", test_establish);
	CU_add_test(s, "wrong PSK: AUTHENTICATION_FAILED, nothing installed", test_wrong_psk);
	CU_add_test(s, "INVALID_KE_PAYLOAD honoured", test_invalid_ke_payload);
	CU_add_test(s, "COOKIE answered", test_cookie);
	CU_add_test(s, "COOKIE repeated, then a new one: the same SA retries and comes up", test_cookie_again);
	CU_add_test(s, "NO_PROPOSAL_CHOSEN", test_no_proposal);
	CU_add_test(s, "lost response: retransmission and cached reply", test_lost_response);
	CU_add_test(s, "delete tears down both sides", test_delete);
	CU_add_test(s, "load generator teardown: deletes paced by the caller, each told", test_delete_established);
	CU_add_test(s, "garbage and forged messages", test_bad_input);
	CU_add_test(s, "child rekey with PFS from either side, make-before-break", test_child_rekey);
	CU_add_test(s, "IKE SA rekey from either side moves the children", test_ike_rekey);
	CU_add_test(s, "rekey_time drives child and IKE SA rekeys", test_rekey_by_time);
	CU_add_test(s, "dataplane lifetimes: soft rekeys the child, also after an IKE rekey; hard deletes",
		    test_dataplane_lifetimes);
	CU_add_test(s, "IKE fragmentation (RFC 7383) end to end", test_fragmentation);
	CU_add_test(s, "fragmentation = no / accept: not announced / not sent", test_fragmentation_settings);
	CU_add_test(s, "peer moved by a NAT (ESP from a new endpoint): IKE SA and children follow", test_peer_moved);
	CU_add_test(s, "dynamic selectors: the IKE addresses, narrowed to, kept on rekey", test_dynamic_selectors);
	CU_add_test(s, "virtual IPs: asked for, handed out of a pool, the child's selectors, kept on an IKE rekey",
		    test_virtual_ips);
	CU_add_test(s, "MOBIKE responder: a path probe answered there, UPDATE_SA_ADDRESSES moves, NO_NATS_ALLOWED refused",
		    test_mobike_responder);
	CU_add_test(s, "close_action = start: a child or IKE SA the peer closes comes back; none: it stays closed",
		    test_close_action);
	CU_add_test(s, "reauth_time: a new IKE SA with both children, then the old one deleted", test_reauth);
	CU_add_test(s, "AUTH_LIFETIME from a responder: the initiator reauthenticates before it runs out", test_auth_lifetime);
	CU_add_test(s, "reauthentication: the new IKE SA deleted once it took over, the old one goes too",
		    test_reauth_new_sa_deleted);
	CU_add_test(s, "a peer's reauthentication: the new child takes the traffic over once the peer sends on it, deletes the old SA, or at a deadline",
		    test_reauth_by_peer_hands_over);
	CU_add_test(s, "a peer's child rekey: the new child takes the traffic over once the peer sends on it",
		    test_rekey_responder_hands_over);
	CU_add_test(s, "reauthentication: the peer's rekey of an old child refused while the new ones take over",
		    test_reauth_holds_peer_rekeys);
	CU_add_test(s, "reauthentication keeps a client's virtual IP; its server waits for it, then ends the SA",
		    test_reauth_keeps_virtual_ip);
	CU_add_test(s, "start_action = start on two children: both up (IKE_AUTH, then CREATE_CHILD_SA), not a third",
		    test_start_children);
	CU_add_test(s, "INITIAL_CONTACT: after a restart the peer drops what was left; not sent beside a live SA",
		    test_initial_contact);
	CU_add_test(s, "unique: no, keep, replace, never (INITIAL_CONTACT ignored)", test_unique);
	CU_add_test(s, "inactivity: traffic keeps a child; a quiet one closed, by its creator with the IKE SA", test_inactivity);
	CU_add_test(s, "a child without selectors: the IKE addresses (swanctl's dynamic)", test_selectors_default_dynamic);
	CU_add_test(s, "childless IKE SAs (RFC 6023): force, never, allow", test_childless);
	CU_add_test(s, "a response that widens the selectors proposed is refused", test_widened_response_refused);
	CU_add_test(s, "the peer's identity chooses another connection among those for its address only",
		    test_identity_chooses_among_addresses);
	CU_add_test(s, "transport mode behind a NAT: selectors name the addresses seen", test_transport_behind_nat2);
	CU_add_test(s, "simultaneous rekeys of a child and of the IKE SA", test_rekey_collisions);
	CU_add_test(s, "half-open caps per peer and in all, and their timeout", test_half_open_caps);
	CU_add_test(s, "IKE_SA_INIT key exchanges in batches: answered at the flush, a bad one refused alone",
		    test_batched_key_exchanges);
	CU_add_test(s, "IKE_SA_INIT key exchanges: a batch filled within ike_input(), a bad one refused there",
		    test_batch_filled_within_input);
	CU_add_test(s, "DPD: probed after dpd_delay of quiet, not before; down when unanswered", test_dpd);
	CU_add_test(s, "an unanswered child rekey gives its SPI back when the SA goes", test_unanswered_rekey_spis);
}
