/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpikectl load-creds, load-conns and load-all: the file is read on a thread of its own
 * (config_read.c) while the control core goes on with IKE, ARP and the CLI; what was read is put
 * in place on the control core (ctl_creds.c, ctl_conns_load.c) when the read is done. Loads run
 * one at a time in the order asked, so the last one asked leaves the file's state; each waits
 * in a queue until the one before has been put in place. A load whose client has gone still
 * takes effect, as it would have had it been read at once.
 */
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>

#include <rte_cycles.h>

#include "appliance.h"
#include "config_read.h"
#include "ctl_load.h"
#include "lib/log.h"

#define QUEUE_MAX 16 /* the control socket's clients are fewer */

struct ctl_load {
	enum ctl_load_what what;
	bool json, finished, released;
	int rc;
	uint64_t read_from_ms;
	struct config_read *read;
	struct strbuf out;
};

static const char *const load_names[] = { [CTL_LOAD_CREDS] = "load-creds", [CTL_LOAD_CONNS] = "load-conns",
					   [CTL_LOAD_ALL] = "load-all" };
static struct ctl_load *queue[QUEUE_MAX]; /* in the order asked; queue[0] reads or waits for its read */
static int queued;

struct ctl_load *ctl_load_ask(enum ctl_load_what what, bool json)
{
	if (queued == QUEUE_MAX)
		return NULL;
	struct ctl_load *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	*l = (struct ctl_load){ .what = what, .json = json };
	sb_init(&l->out);
	queue[queued++] = l;
	return l;
}

bool ctl_load_busy(void)
{
	return queued > 0;
}

/* One command's answer, its line end left off (to nest it in load-all's JSON). */
static const char *nested(struct strbuf *b)
{
	if (b->len && b->buf[b->len - 1] == '\n')
		b->buf[--b->len] = '\0';
	return b->len ? b->buf : "";
}

/* load-all, as swanctl --load-all: the connections, then the secrets, from the same reading of the file. */
static int put_all_in_place(struct appliance *app, struct config_read_result *res, bool json, struct strbuf *o)
{
	struct strbuf conns, creds;
	sb_init(&conns);
	sb_init(&creds);
	/* connections first: what they check (pools, certificates) fails before a secret changes */
	int rc = ctl_conns_take(app, &res->cfg, res->creds, res->creds_err, json, &conns);
	if (rc == 0)
		rc = ctl_creds_take(app, &res->cfg, json, &creds);
	if (json && rc == 0)
		sb_printf(o, "{\"conns\":%s,\"creds\":%s}\n", nested(&conns), nested(&creds));
	else
		sb_printf(o, "%s%s", conns.len ? conns.buf : "", creds.len ? creds.buf : "");
	sb_free(&conns);
	sb_free(&creds);
	return rc;
}

/* What was read, put in place (or refused); the result's memory freed. */
static int put_in_place(struct appliance *app, struct ctl_load *l, struct config_read_result *res)
{
	if (res->rc < 0) {
		sb_printf(&l->out, "%s\nnothing changed\n", res->err);
		return -1;
	}
	int rc;
	if (l->what == CTL_LOAD_CREDS)
		rc = ctl_creds_take(app, &res->cfg, l->json, &l->out);
	else if (l->what == CTL_LOAD_CONNS)
		rc = ctl_conns_take(app, &res->cfg, res->creds, res->creds_err, l->json, &l->out);
	else
		rc = put_all_in_place(app, res, l->json, &l->out);
	config_free(&res->cfg);
	return rc;
}

static void dequeue_head(void)
{
	for (int i = 1; i < queued; i++)
		queue[i - 1] = queue[i];
	queued--;
}

static void load_free(struct ctl_load *l)
{
	config_read_free(l->read);
	sb_free(&l->out);
	free(l);
}

/* The head's read done: what it read put in place (or refused), timed for the log. */
static void take_read(struct appliance *app, struct ctl_load *l)
{
	uint64_t read_ms = app_now_ms() - l->read_from_ms, t0 = rte_get_tsc_cycles();
	struct config_read_result res;
	config_read_take(l->read, &res);
	l->rc = put_in_place(app, l, &res);
	malloc_trim(0); /* what the set before held (a concentrator's thousands of records) back to the system */
	LOG_INFO("%s: the file read in %" PRIu64 " ms beside the control core, then %" PRIu64 " ms on it",
		 load_names[l->what], read_ms, (rte_get_tsc_cycles() - t0) * 1000 / rte_get_tsc_hz());
}

/* The head answered: the next may start; freed here if its asker has gone. */
static void finish_head(struct ctl_load *l)
{
	l->finished = true;
	dequeue_head();
	if (l->released)
		load_free(l);
}

void ctl_loads_poll(struct appliance *app)
{
	if (queued == 0)
		return;
	struct ctl_load *l = queue[0];
	if (l->read == NULL) {
		l->read_from_ms = app_now_ms();
		if ((l->read = config_read_start(app->cfg.path, l->what != CTL_LOAD_CREDS)) == NULL) {
			sb_printf(&l->out, "out of memory\nnothing changed\n");
			l->rc = -1;
			finish_head(l);
			return;
		}
	}
	if (!config_read_done(l->read))
		return;
	take_read(app, l);
	finish_head(l);
}

bool ctl_load_answer(const struct ctl_load *l, int *rc, const struct strbuf **out)
{
	if (!l->finished)
		return false;
	*rc = l->rc;
	*out = &l->out;
	return true;
}

void ctl_load_release(struct ctl_load *l)
{
	if (l->finished)
		load_free(l);
	else
		l->released = true;
}

void ctl_loads_stop(void)
{
	while (queued) {
		struct ctl_load *l = queue[0];
		dequeue_head();
		load_free(l); /* waits for a read under way, and frees what it made */
	}
}
