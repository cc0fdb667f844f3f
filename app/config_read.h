/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The configuration file read again (dpikectl load-*) on a thread of its own: parsing thousands
 * of connections and loading their certificates takes the control core's time in tenths of a
 * second to seconds, during which IKE, ARP and the CLI would wait. The control core starts a
 * read, goes on polling, and takes the result once it is done; the thread touches nothing but
 * what it makes.
 */
#ifndef DPIKE_APP_CONFIG_READ_H
#define DPIKE_APP_CONFIG_READ_H

#include <stdbool.h>

#include "config/config.h"

struct credentials;
struct config_read;

/*
 * Starts reading path; with_creds, the credentials of its connections too (when it has any).
 * When no thread can be started, reads at once on the caller's. NULL only when out of memory.
 */
struct config_read *config_read_start(const char *path, bool with_creds);
bool config_read_done(const struct config_read *r);

/* What a finished read made; the caller takes cfg (on success) and creds, and frees them. */
struct config_read_result {
	int rc; /* 0: cfg read; -1: err says why */
	struct dpike_config cfg;
	struct credentials *creds; /* NULL when not asked for, none needed, or failed (creds_err) */
	char err[CFG_ERR_MAX], creds_err[CFG_ERR_MAX];
};

/* Once done: the result, handed over (the read keeps nothing of it). */
void config_read_take(struct config_read *r, struct config_read_result *out);
/* Waits for the thread when it still runs, and frees the read with whatever was not taken. */
void config_read_free(struct config_read *r);

#endif
