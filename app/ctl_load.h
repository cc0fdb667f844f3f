/* SPDX-License-Identifier: BSD-3-Clause */
/* dpikectl load-creds / load-conns / load-all, answered when the file has been read (ctl_load.c). */
#ifndef DPIKE_APP_CTL_LOAD_H
#define DPIKE_APP_CTL_LOAD_H

#include <stdbool.h>

struct appliance;
struct strbuf;
struct ctl_load;

enum ctl_load_what { CTL_LOAD_CREDS, CTL_LOAD_CONNS, CTL_LOAD_ALL };

/* A load asked for, queued behind those before it; NULL when too many wait. */
struct ctl_load *ctl_load_ask(enum ctl_load_what what, bool json);
/* Whether a load is being read or waits to be (dpikectl status). */
bool ctl_load_busy(void);
/* Control core: starts the next read, and puts a finished one in place. */
void ctl_loads_poll(struct appliance *app);
/* Once the load has been put in place (or refused): true, with its status (0 or -1) and answer. */
bool ctl_load_answer(const struct ctl_load *l, int *rc, const struct strbuf **out);
/* Its asker is done with it (answered, or gone): freed now or once it has been put in place. */
void ctl_load_release(struct ctl_load *l);
/* At exit, after the clients: waits for a read under way and frees every load. */
void ctl_loads_stop(void);

#endif
