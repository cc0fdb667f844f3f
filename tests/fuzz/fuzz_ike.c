/* SPDX-License-Identifier: BSD-3-Clause */
/* RAND_set_rand_method(), deprecated in OpenSSL 3.0, is what makes every generator repeatable. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "fuzz_ike.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ike/credentials.h"
#include "ike/crypto.h"
#include "lib/log.h"

struct fuzz_datagram fuzz_queue[FUZZ_QUEUE];
unsigned fuzz_queued;
uint64_t fuzz_clock_ms = 1000000;

static uint64_t stream; /* splitmix64's state: no secret is made here */

static int repeat_bytes(unsigned char *buf, int num)
{
	for (int i = 0; i < num; i++) {
		uint64_t z = (stream += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		buf[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 1;
}

static int repeat_status(void)
{
	return 1;
}

void fuzz_random_repeat(void)
{
	static RAND_METHOD method = { .bytes = repeat_bytes, .pseudorand = repeat_bytes, .status = repeat_status };
	stream = 0x6470696b65; /* "dpike" */
	RAND_set_rand_method(&method);
	ike_random_discard();
	ke_pool_discard();
}

/* One installed child, for the daemon's handle: nothing is read back from it. */
static char child_handle;

static void send_cb(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote, const uint8_t *msg,
		    size_t len)
{
	if (fuzz_queued >= FUZZ_QUEUE || len > IKE_MAX_MSG)
		return;
	struct fuzz_datagram *q = &fuzz_queue[fuzz_queued++];
	q->from = ctx;
	q->local = *local;
	q->remote = *remote;
	q->len = len;
	memcpy(q->msg, msg, len);
}

static void *install_cb(void *ctx, const struct ike_child_keys *k, bool activate, void *replaces)
{
	(void)ctx, (void)k, (void)activate, (void)replaces;
	return &child_handle;
}

static void activate_cb(void *ctx, void *handle, void *replaces)
{
	(void)ctx, (void)handle, (void)replaces;
}

static void remove_cb(void *ctx, void *handle)
{
	(void)ctx, (void)handle;
}

static uint64_t now_cb(void *ctx)
{
	(void)ctx;
	return fuzz_clock_ms;
}

void fuzz_node_start(struct fuzz_node *n, const char *config_text, uint32_t addr)
{
	char path[] = "/tmp/dpike-fuzz-XXXXXX", err[CFG_ERR_MAX];
	int fd = mkstemp(path);
	size_t len = strlen(config_text);
	if (fd < 0 || write(fd, config_text, len) != (ssize_t)len) {
		perror("fuzz: configuration file");
		exit(1);
	}
	close(fd);
	memset(n, 0, sizeof(*n));
	/* a log line for every bad input would be most of the run; DPIKE_FUZZ_LOG=1 keeps them */
	log_set_level(getenv("DPIKE_FUZZ_LOG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	int rc = config_load(path, &n->cfg, err);
	unlink(path);
	if (rc != 0 || (n->creds = credentials_load(&n->cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz: %s\n", err);
		exit(1);
	}
	struct ike_env env = { .send = send_cb, .install_child = install_cb, .activate_child = activate_cb,
			       .remove_child = remove_cb, .now_ms = now_cb, .ctx = n };
	n->d = ike_daemon_create(&n->cfg, n->creds, &env);
	if (n->d == NULL) {
		fprintf(stderr, "fuzz: no daemon\n");
		exit(1);
	}
	n->ep = (struct ike_endpoint){ addr, IKE_PORT };
}

void fuzz_node_stop(struct fuzz_node *n)
{
	ike_daemon_destroy(n->d);
	credentials_free(n->creds);
	config_free(&n->cfg);
}

void fuzz_deliver(struct fuzz_node *to, const struct fuzz_datagram *q)
{
	static uint8_t copy[IKE_MAX_MSG];
	memcpy(copy, q->msg, q->len); /* ike_input() may keep pointers into what it was given only for the call */
	ike_input(to->d, &q->remote, &q->local, copy, q->len);
	ike_flush(to->d);
}

void fuzz_pump(struct fuzz_node *a, struct fuzz_node *b)
{
	static struct fuzz_datagram batch[FUZZ_QUEUE];
	for (int round = 0; round < 16 && fuzz_queued > 0; round++) {
		unsigned n = fuzz_queued;
		memcpy(batch, fuzz_queue, n * sizeof(batch[0]));
		fuzz_queued = 0;
		for (unsigned i = 0; i < n; i++)
			fuzz_deliver(batch[i].from == a ? b : a, &batch[i]);
	}
}

void fuzz_play_out(struct fuzz_node *a, struct fuzz_node *b)
{
	fuzz_pump(a, b);
	fuzz_clock_ms += 3600 * 1000; /* whatever was left waiting gives up */
	for (int i = 0; i < 8; i++) {
		ike_tick(a->d);
		ike_tick(b->d);
		fuzz_pump(a, b);
		fuzz_clock_ms += 60 * 1000;
	}
	fuzz_queued = 0;
}
