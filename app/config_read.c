/* SPDX-License-Identifier: BSD-3-Clause */
#include "config_read.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ike/credentials.h"
#include "lib/log.h"

/* Below the control core's thread, which shares its CPU: a flood of handshakes goes first. */
#define READER_NICE 10

struct config_read {
	char *path;
	bool with_creds, taken, joinable;
	atomic_bool done; /* release: res is whole */
	pthread_t thread;
	struct config_read_result res;
};

static void read_file(struct config_read *r)
{
	struct config_read_result *res = &r->res;
	res->rc = config_load(r->path, &res->cfg, res->err);
	if (res->rc == 0 && r->with_creds && res->cfg.n_connections)
		res->creds = credentials_load(&res->cfg, res->creds_err, sizeof(res->creds_err));
	atomic_store_explicit(&r->done, true, memory_order_release);
}

static void *reader(void *arg)
{
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), READER_NICE);
	read_file(arg);
	return NULL;
}

struct config_read *config_read_start(const char *path, bool with_creds)
{
	struct config_read *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if ((r->path = strdup(path)) == NULL) {
		free(r);
		return NULL;
	}
	r->with_creds = with_creds;
	if (pthread_create(&r->thread, NULL, reader, r) == 0) {
		r->joinable = true;
		pthread_setname_np(r->thread, "dpike-cfg-read");
	} else {
		LOG_WARN("no thread to read %s on: read on the control core", path);
		read_file(r);
	}
	return r;
}

bool config_read_done(const struct config_read *r)
{
	return atomic_load_explicit(&r->done, memory_order_acquire);
}

static void join(struct config_read *r)
{
	if (r->joinable)
		pthread_join(r->thread, NULL);
	r->joinable = false;
}

void config_read_take(struct config_read *r, struct config_read_result *out)
{
	join(r); /* done: returns at once, and the thread's memory goes */
	*out = r->res;
	r->taken = true;
}

void config_read_free(struct config_read *r)
{
	if (r == NULL)
		return;
	join(r);
	if (!r->taken) {
		if (r->res.creds)
			credentials_free(r->res.creds);
		if (r->res.rc == 0)
			config_free(&r->res.cfg);
	}
	free(r->path);
	free(r);
}
