/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two dpike IKE daemons in one process, wired back to back through a message queue, with a
 * fake dataplane that records what each installs, and a clock the tests move by hand.
 */
#include "ike_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/esp_algo.h"
#include "ike/credentials.h"
#include "unit.h"

struct node A, B;
struct queued queue[32];
int q_head, q_tail;
uint64_t clock_ms = 1000000;
uint8_t drop_exchange; /* drop the next message of this exchange */
uint32_t nat_private, nat_public;
bool batch_key_exchanges;
#define NAT_PORT_SHIFT 10000

static struct node *peer_of(struct node *n)
{
	return n == &A ? &B : &A;
}

static void add_addr(struct node *n, uint32_t addr)
{
	for (int i = 0; i < n->n_addrs; i++)
		if (n->addrs[i] == addr)
			return;
	if (n->n_addrs < (int)(sizeof(n->addrs) / sizeof(n->addrs[0])))
		n->addrs[n->n_addrs++] = addr;
}

static bool has_addr(const struct node *n, uint32_t addr)
{
	for (int i = 0; i < n->n_addrs; i++)
		if (n->addrs[i] == addr)
			return true;
	return false;
}

static void send_cb(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote, const uint8_t *msg,
		    size_t len)
{
	add_addr(ctx, local->addr);
	if (drop_exchange && len > 18 && msg[18] == drop_exchange) {
		drop_exchange = 0;
		return;
	}
	uint32_t to = nat_private && remote->addr == nat_public ? nat_private : remote->addr;
	if (!has_addr(peer_of(ctx), to) || remote->port == 0) { /* nobody there: a daemon sent it astray */
		CU_FAIL("an IKE message sent to an address or port the peer does not have");
		return;
	}
	struct queued *q = &queue[q_tail++ % 32];
	q->to = peer_of(ctx);
	q->local = *remote;
	q->remote = *local;
	if (nat_private && local->addr == nat_private)
		q->remote = (struct ike_endpoint){ nat_public, (uint16_t)(local->port + NAT_PORT_SHIFT) };
	if (nat_private && remote->addr == nat_public)
		q->local = (struct ike_endpoint){ nat_private, (uint16_t)(remote->port - NAT_PORT_SHIFT) };
	q->len = len;
	memcpy(q->msg, msg, len);
}

static void activate_cb(void *ctx, void *handle, void *replaces)
{
	(void)ctx;
	((struct installed *)handle)->active = true;
	if (replaces)
		((struct installed *)replaces)->active = false;
}

static void *install_cb(void *ctx, const struct ike_child_keys *k, bool activate, void *replaces)
{
	struct node *n = ctx;
	struct installed *i = &n->sa[n->n_sa++ % 16];
	n->children++;
	n->spi_in = i->spi_in = k->spi_in;
	n->spi_out = i->spi_out = k->spi_out;
	n->key_len = i->key_len = (size_t)esp_algo_key_len(&esp_algos[k->esp_alg]);
	memcpy(n->key_in, k->key_in, n->key_len);
	memcpy(n->key_out, k->key_out, n->key_len);
	memcpy(i->key_in, k->key_in, n->key_len);
	memcpy(i->key_out, k->key_out, n->key_len);
	i->live = true;
	i->moves = 0;
	i->packets = 0;
	i->active = false;
	i->ike_serial = k->ike_serial;
	i->tunnel = k->tunnel;
	i->encap = k->encap;
	i->has_oa = k->has_oa;
	i->oa_remote = k->oa_remote;
	i->oa_local = k->oa_local;
	if (k->n_local_ts && k->n_remote_ts) {
		i->local_ts = k->local_ts[0];
		i->remote_ts = k->remote_ts[0];
	}
	if (activate)
		activate_cb(ctx, i, replaces);
	return i;
}

static void move_cb(void *ctx, void *h, const struct ike_endpoint *remote)
{
	(void)ctx;
	((struct installed *)h)->moves++;
	((struct installed *)h)->peer = *remote;
}

static void usage_cb(void *ctx, void *h, uint64_t *bin, uint64_t *bout, uint64_t *pin, uint64_t *pout)
{
	(void)ctx;
	*pin = ((struct installed *)h)->packets;
	*pout = *bin = *bout = 0;
}

static void remove_cb(void *ctx, void *h)
{
	((struct node *)ctx)->children--;
	((struct installed *)h)->live = false;
}

static void event_cb(void *ctx, uint32_t serial, bool up, enum ike_fail why)
{
	struct node *n = ctx;
	n->event_serial = serial;
	n->event_up = up;
	n->event_why = why;
	n->events++;
}

static uint64_t now_cb(void *ctx)
{
	(void)ctx;
	return clock_ms;
}

/*
 * Every SA's place in its daemon's timer heap must be no later than its timers say, whatever
 * the tests did before (ticks, commands) and whatever the message did: else a timer is lost.
 */
void deliver_copy(struct queued *q)
{
	CU_ASSERT_EQUAL(ike_timers_late(q->to->d), 0);
	ike_input(q->to->d, &q->local, &q->remote, q->msg, q->len);
	ike_flush(q->to->d); /* as dpike's control core after each burst */
	CU_ASSERT_EQUAL(ike_timers_late(q->to->d), 0);
}

void pump_one(void)
{
	if (q_head == q_tail)
		return;
	deliver_copy(&queue[q_head++ % 32]);
}

void pump(void)
{
	for (int guard = 0; q_head != q_tail && guard < 100; guard++)
		deliver_copy(&queue[q_head++ % 32]);
}

void start_node(struct node *n, const char *text, uint32_t addr, const char *ike_limits)
{
	char err[CFG_ERR_MAX], full[4096];
	snprintf(full, sizeof(full), "%sike = { %s };\n", text, ike_limits);
	const char *path = unit_temp_file(full);
	memset(n, 0, sizeof(*n));
	int rc = config_load(path, &n->cfg, err);
	unlink(path);
	if (rc != 0)
		fprintf(stderr, "%s\n%s\n", err, full);
	CU_ASSERT_FATAL(rc == 0);
	n->creds = credentials_load(&n->cfg, err, sizeof(err));
	if (n->creds == NULL)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_FATAL(n->creds != NULL);
	struct ike_env env = { .send = send_cb, .install_child = install_cb, .activate_child = activate_cb,
			       .remove_child = remove_cb, .move_child = move_cb, .child_usage = usage_cb, .now_ms = now_cb, .ike_event = event_cb, .ctx = n,
			       .batch_key_exchanges = batch_key_exchanges };
	n->d = ike_daemon_create(&n->cfg, n->creds, &env);
	n->ep = (struct ike_endpoint){ addr, IKE_PORT };
	add_addr(n, addr);
}

void insert_after(char *conf, size_t cap, const char *anchor, const char *text)
{
	char rest[2048], *at = strstr(conf, anchor);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	at += strlen(anchor);
	snprintf(rest, sizeof(rest), "%s", at);
	snprintf(at, cap - (size_t)(at - conf), "%s%s", text, rest);
}

void stop_node(struct node *n)
{
	ike_daemon_destroy(n->d);
	credentials_free(n->creds);
	config_free(&n->cfg);
}

void check_ke_reuse(struct ke_sharing (*two_exchanges)(const char *limits_a, const char *limits_b))
{
	struct ke_sharing none = two_exchanges("", ""), resp = two_exchanges("", "ke_reuse = 1.0;"),
			  init = two_exchanges("ke_reuse = 1.0;", "");
	CU_ASSERT(!none.initiator && !none.responder);
	CU_ASSERT(!resp.initiator && resp.responder);
	CU_ASSERT(init.initiator && !init.responder);
}

int run_command(ike_command_fn cmd, struct ike_daemon *d, const char *name)
{
	struct strbuf err;
	sb_init(&err);
	int rc = cmd(d, name, &err);
	if (rc)
		fprintf(stderr, "%s: %s", name, err.buf);
	sb_free(&err);
	return rc;
}

struct installed *installed_of(struct node *n, uint32_t spi)
{
	for (int i = 0; i < 16; i++)
		if (n->sa[i].live && n->sa[i].spi_in == spi)
			return &n->sa[i];
	return NULL;
}
