/* SPDX-License-Identifier: BSD-3-Clause */
#include "updown.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ike/identity.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/parse.h"

#define LABEL_MAX (2 * CFG_NAME_MAX + 2)
#define ENV_MAX 32
#define ENV_BYTES 4096
#define LINE_MAX_BYTES 512
/* Runs waiting looked at for one that may start: past the first ones, one slow peer holds up no more. */
#define UPDOWN_SCAN_MAX 64
/* _updown's own minimal PATH, for a dpike started without one */
#define DEFAULT_PATH "/sbin:/bin:/usr/sbin:/usr/bin"

/* One allocation a child: this, its selectors, then its strings, each as long as it is (a mass of
 * road warriors with updown keeps one each). */
struct updown_child {
	unsigned refs; /* the child's, and one for each run queued or under way */
	const char *cmd; /* a copy: a down run may come after load-conns dropped the connection */
	const char *label; /* connection/child, for the log */
	const char *child, *iface, *my_id, *peer_id, *user;
	uint32_t reqid, unique, me, peer, my_vip, peer_vip;
	uint16_t udp_enc; /* the peer's port, UDP-encapsulated; 0: plain ESP */
	bool hostaccess;
	int n_local, n_remote;
	struct traffic_selector ts[]; /* n_local of ours, then n_remote of the peer's */
};

/* A run waiting: whose, for which pair of selectors, which way. */
struct updown_job {
	struct updown_child *u;
	uint32_t pair; /* local selector * n_remote + remote selector */
	bool up;
};

/* The environment of a run, made as it starts (in its slot: no allocation a run). */
struct updown_env {
	const char *verb; /* its PLUTO_VERB, for the log */
	char *envp[ENV_MAX + 1];
	int n_env;
	size_t used;
	char buf[ENV_BYTES];
};

/* A run under way. */
struct updown_slot {
	struct updown_child *u; /* NULL: the slot is free */
	struct updown_env env;
	pid_t pid;
	int out_fd;
	uint64_t started_ms;
	char line[LINE_MAX_BYTES]; /* what it printed, up to its next newline */
	size_t line_len;
};

static struct {
	struct updown_job *queue; /* a ring of cap (a power of two) jobs, grown as it fills */
	size_t head, len, cap;
	struct updown_slot slots[UPDOWN_PARALLEL];
	unsigned busy;
	uint32_t last_reqid;
	struct updown_stats stats;
} q;

struct updown_child *updown_child_new(const struct ike_child_keys *k, const struct cfg_child *cfg, const char *iface)
{
	if (cfg->updown[0] == '\0')
		return NULL;
	char label[LABEL_MAX], my_id[256], peer_id[256];
	snprintf(label, sizeof(label), "%s/%s", k->conn, k->child);
	identity_to_string(k->local_id, my_id, sizeof(my_id));
	identity_to_string(k->remote_id, peer_id, sizeof(peer_id));
	const char *strings[] = { cfg->updown, label, k->child, iface, my_id, peer_id, k->remote_user ? k->remote_user : "" };
	size_t n = (size_t)(k->n_local_ts + k->n_remote_ts), bytes = sizeof(struct updown_child) + n * sizeof(struct traffic_selector);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		bytes += strlen(strings[i]) + 1;
	struct updown_child *u = calloc(1, bytes);
	if (u == NULL) {
		LOG_ERR("%s: out of memory: updown will not run for this child", label);
		return NULL;
	}
	char *at = (char *)(u->ts + n);
	const char **fields[] = { &u->cmd, &u->label, &u->child, &u->iface, &u->my_id, &u->peer_id, &u->user };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		*fields[i] = at;
		at = stpcpy(at, strings[i]) + 1;
	}
	u->refs = 1;
	u->reqid = ++q.last_reqid ? q.last_reqid : ++q.last_reqid;
	u->unique = k->ike_serial;
	u->me = k->local.addr;
	u->peer = k->remote.addr;
	u->my_vip = k->local_vip;
	u->peer_vip = k->remote_vip;
	u->udp_enc = k->encap ? k->remote.port : 0;
	u->hostaccess = cfg->hostaccess;
	u->n_local = k->n_local_ts;
	u->n_remote = k->n_remote_ts;
	memcpy(u->ts, k->local_ts, (size_t)k->n_local_ts * sizeof(u->ts[0]));
	memcpy(u->ts + k->n_local_ts, k->remote_ts, (size_t)k->n_remote_ts * sizeof(u->ts[0]));
	return u;
}

static void put(struct updown_child *u)
{
	if (u && --u->refs == 0)
		free(u);
}

void updown_child_free(struct updown_child *u)
{
	put(u);
}

void updown_child_succeeds(struct updown_child *u, const struct updown_child *old)
{
	if (u && old)
		u->reqid = old->reqid;
}

static void env_add(struct updown_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_add(struct updown_env *e, const char *fmt, ...)
{
	if (e->n_env == ENV_MAX || e->used >= sizeof(e->buf))
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->buf + e->used, sizeof(e->buf) - e->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(e->buf) - e->used)
		return; /* cannot happen with the bounded fields above; dropped rather than cut */
	e->envp[e->n_env++] = e->buf + e->used;
	e->used += (size_t)n + 1;
}

/* swanctl's port variables: the selector's port when it names one, else 0 */
static unsigned ts_port(const struct traffic_selector *ts)
{
	return ts->port_lo == ts->port_hi ? ts->port_lo : 0;
}

static void env_side(struct updown_env *e, const char *side, uint32_t addr, const char *id,
		     const struct traffic_selector *ts)
{
	char a[16], client[16];
	format_ipv4(addr, a, sizeof(a));
	format_ipv4(ts->addr, client, sizeof(client));
	env_add(e, "PLUTO_%s=%s", strcmp(side, "MY") == 0 ? "ME" : "PEER", a);
	env_add(e, "PLUTO_%s_ID=%s", side, id);
	env_add(e, "PLUTO_%s_CLIENT=%s/%u", side, client, ts->plen);
	env_add(e, "PLUTO_%s_PORT=%u", side, ts_port(ts));
	env_add(e, "PLUTO_%s_PROTOCOL=%u", side, ts->proto);
}

static void env_vip(struct updown_env *e, const char *side, uint32_t vip)
{
	if (vip == 0)
		return;
	char a[16];
	format_ipv4(vip, a, sizeof(a));
	env_add(e, "PLUTO_%s_SOURCEIP=%s", side, a);
	env_add(e, "PLUTO_%s_SOURCEIP4_1=%s", side, a);
}

/* The environment of job j into e: strongSwan's _updown variables for one pair of selectors. */
static void make_env(struct updown_env *e, const struct updown_job *j)
{
	const struct updown_child *u = j->u;
	const struct traffic_selector *mine = &u->ts[j->pair / (uint32_t)u->n_remote];
	const struct traffic_selector *theirs = &u->ts[u->n_local + (int)(j->pair % (uint32_t)u->n_remote)];
	/* "host": our selector is our own address alone */
	bool host = mine->plen == 32 && mine->addr == u->me;
	e->n_env = 0;
	e->used = 0;
	env_add(e, "PLUTO_VERSION=1.1");
	env_add(e, "PLUTO_VERB=%s-%s", j->up ? "up" : "down", host ? "host" : "client");
	e->verb = e->envp[e->n_env - 1];
	env_add(e, "PLUTO_CONNECTION=%s", u->child);
	env_add(e, "PLUTO_INTERFACE=%s", u->iface);
	env_add(e, "PLUTO_REQID=%u", u->reqid);
	env_add(e, "PLUTO_PROTO=esp");
	env_add(e, "PLUTO_UNIQUEID=%u", u->unique);
	env_side(e, "MY", u->me, u->my_id, mine);
	env_side(e, "PEER", u->peer, u->peer_id, theirs);
	env_vip(e, "MY", u->my_vip);
	env_vip(e, "PEER", u->peer_vip);
	if (u->user[0])
		env_add(e, "PLUTO_XAUTH_ID=%s", u->user);
	if (u->udp_enc)
		env_add(e, "PLUTO_UDP_ENC=%u", u->udp_enc);
	if (u->hostaccess)
		env_add(e, "PLUTO_HOST_ACCESS=1");
	const char *path = getenv("PATH"); /* last: a PATH too long for the room left is what goes */
	env_add(e, "PATH=%s", path ? path : DEFAULT_PATH);
	e->envp[e->n_env] = NULL;
}

/* Room for one more job: the ring doubles, its jobs unwrapped into the new one. */
static bool room(void)
{
	if (q.len < q.cap)
		return true;
	size_t cap = q.cap ? 2 * q.cap : 64;
	struct updown_job *n = malloc(cap * sizeof(*n));
	if (n == NULL)
		return false;
	for (size_t i = 0; i < q.len; i++)
		n[i] = q.queue[(q.head + i) & (q.cap - 1)];
	free(q.queue);
	q.queue = n;
	q.cap = cap;
	q.head = 0;
	return true;
}

void updown_queue(struct updown_child *u, bool up)
{
	if (u == NULL)
		return;
	uint32_t pairs = (uint32_t)u->n_local * (uint32_t)u->n_remote;
	for (uint32_t p = 0; p < pairs; p++) {
		if (!room()) {
			if (q.stats.dropped++ == 0)
				LOG_ERR("%s: out of memory: updown not run (counted as updown_dropped from now on)", u->label);
			continue;
		}
		q.queue[(q.head + q.len++) & (q.cap - 1)] = (struct updown_job){ .u = u, .pair = p, .up = up };
		u->refs++;
	}
}

static void log_output(struct updown_slot *r, bool flush)
{
	char *nl;
	while ((nl = memchr(r->line, '\n', r->line_len)) != NULL) {
		size_t n = (size_t)(nl - r->line);
		LOG_INFO("%s: updown: %.*s", r->u->label, (int)n, r->line);
		memmove(r->line, nl + 1, r->line_len - n - 1);
		r->line_len -= n + 1;
	}
	if (r->line_len && (flush || r->line_len == sizeof(r->line))) {
		LOG_INFO("%s: updown: %.*s", r->u->label, (int)r->line_len, r->line);
		r->line_len = 0;
	}
}

static void read_output(struct updown_slot *r, bool flush)
{
	ssize_t n;
	while ((n = read(r->out_fd, r->line + r->line_len, sizeof(r->line) - r->line_len)) > 0) {
		r->line_len += (size_t)n;
		log_output(r, false);
	}
	log_output(r, flush);
}

static int spawn(const char *cmd, char *const envp[], int out, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* DPDK's and the control socket's among them */
	posix_spawnattr_init(&at);
	/* dpike ignores SIGPIPE, and ignored signals stay ignored across exec: the script gets defaults;
	 * its own process group, so that a run killed takes what it started with it */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	int rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* Starts job j in slot r; 0, or the error that kept it from starting. */
static int start(struct updown_slot *r, const struct updown_job *j)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return errno;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	make_env(&r->env, j);
	int rc = spawn(j->u->cmd, r->env.envp, fds[1], &r->pid);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		return rc;
	}
	r->out_fd = fds[0];
	return 0;
}

/* Runs for one peer (its identity and address) go one at a time, in the order they came. */
static bool same_peer(const struct updown_child *a, const struct updown_child *b)
{
	return a->peer == b->peer && strcmp(a->peer_id, b->peer_id) == 0;
}

static bool peer_busy(const struct updown_child *u)
{
	for (unsigned i = 0; i < UPDOWN_PARALLEL; i++)
		if (q.slots[i].u && same_peer(q.slots[i].u, u))
			return true;
	return false;
}

static struct updown_slot *free_slot(void)
{
	for (unsigned i = 0; i < UPDOWN_PARALLEL; i++)
		if (q.slots[i].u == NULL)
			return &q.slots[i];
	return NULL;
}

static bool peer_among(const struct updown_child *const list[], unsigned n, const struct updown_child *u)
{
	for (unsigned i = 0; i < n; i++)
		if (same_peer(list[i], u))
			return true;
	return false;
}

static void launch(struct updown_job *j, uint64_t now_ms)
{
	struct updown_slot *r = free_slot();
	q.stats.runs++;
	int rc = start(r, j);
	if (rc) {
		q.stats.failed++;
		LOG_ERR("%s: updown not started: %s", j->u->label, strerror(rc));
		put(j->u);
		return;
	}
	LOG_DEBUG("%s: updown started (%s)", j->u->label, r->env.verb);
	r->u = j->u; /* its reference goes with it */
	r->started_ms = now_ms;
	r->line_len = 0;
	q.busy++;
}

/*
 * Starts the first runs waiting whose peer has none under way nor waiting ahead of them, while a
 * slot is free; a run started from the middle of the queue leaves a hole (u NULL) the head skips.
 */
static void start_next(uint64_t now_ms)
{
	const struct updown_child *held[UPDOWN_SCAN_MAX]; /* peers with a run waiting ahead, in this scan */
	unsigned n_held = 0;
	for (size_t i = 0; i < q.len && i < UPDOWN_SCAN_MAX && q.busy < UPDOWN_PARALLEL; i++) {
		struct updown_job *j = &q.queue[(q.head + i) & (q.cap - 1)];
		if (j->u == NULL)
			continue;
		if (peer_busy(j->u) || peer_among(held, n_held, j->u)) {
			held[n_held++] = j->u;
			continue;
		}
		struct updown_job job = *j;
		j->u = NULL;
		launch(&job, now_ms);
	}
	while (q.len && q.queue[q.head].u == NULL) {
		q.head = (q.head + 1) & (q.cap - 1);
		q.len--;
	}
}

static void release(struct updown_slot *r)
{
	close(r->out_fd);
	put(r->u);
	r->u = NULL;
	q.busy--;
}

static void finish(struct updown_slot *r, int status)
{
	read_output(r, true);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		q.stats.failed++;
		LOG_WARN("%s: updown exited with status %d (%s)", r->u->label, WEXITSTATUS(status), r->env.verb);
	} else if (WIFSIGNALED(status)) {
		q.stats.failed++;
		LOG_WARN("%s: updown ended by signal %d (%s)", r->u->label, WTERMSIG(status), r->env.verb);
	}
	release(r);
}

static void poll_slot(struct updown_slot *r, uint64_t now_ms)
{
	read_output(r, false);
	int status;
	pid_t got = waitpid(r->pid, &status, WNOHANG);
	if (got == r->pid || (got < 0 && errno == ECHILD)) {
		finish(r, got == r->pid ? status : 0);
	} else if (now_ms - r->started_ms >= UPDOWN_TIMEOUT_MS) {
		LOG_WARN("%s: updown still running after %u s: killed", r->u->label, UPDOWN_TIMEOUT_MS / 1000);
		kill(-r->pid, SIGKILL);
		q.stats.killed++;
		r->started_ms = now_ms; /* reaped at a later poll; killed again only if it is still there then */
	}
}

void updown_poll(uint64_t now_ms)
{
	if (q.busy == 0 && q.len == 0)
		return;
	for (unsigned i = 0; i < UPDOWN_PARALLEL; i++)
		if (q.slots[i].u)
			poll_slot(&q.slots[i], now_ms);
	start_next(now_ms);
}

static size_t waiting(void)
{
	size_t n = 0;
	for (size_t i = 0; i < q.len; i++)
		n += q.queue[(q.head + i) & (q.cap - 1)].u != NULL;
	return n;
}

void updown_drain(unsigned timeout_ms)
{
	uint64_t start_ms = clock_mono_ms(), now = start_ms;
	while ((q.busy || q.len) && now - start_ms < timeout_ms) {
		updown_poll(now);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		now = clock_mono_ms();
	}
	if (q.busy || q.len)
		LOG_WARN("updown: %zu runs not done at shutdown after %u ms", waiting() + q.busy, timeout_ms);
	for (unsigned i = 0; i < UPDOWN_PARALLEL; i++) {
		struct updown_slot *r = &q.slots[i];
		if (r->u == NULL)
			continue;
		kill(-r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		release(r);
	}
	for (; q.len; q.len--, q.head = (q.head + 1) & (q.cap - 1))
		put(q.queue[q.head].u);
	free(q.queue);
	q.queue = NULL;
	q.cap = q.head = 0;
}

void updown_stats(struct updown_stats *s)
{
	*s = q.stats;
}
