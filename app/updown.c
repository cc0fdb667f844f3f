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
/* _updown's own minimal PATH, for a dpike started without one */
#define DEFAULT_PATH "/sbin:/bin:/usr/sbin:/usr/bin"

struct updown_child {
	const char *cmd; /* the configuration's: connections are not reloaded */
	char label[LABEL_MAX]; /* connection/child, for the log */
	char child[CFG_NAME_MAX];
	char iface[CFG_NAME_MAX];
	char my_id[256], peer_id[256], user[256];
	uint32_t reqid, unique, me, peer, my_vip, peer_vip;
	uint16_t udp_enc; /* the peer's port, UDP-encapsulated; 0: plain ESP */
	bool hostaccess;
	int n_local, n_remote;
	struct traffic_selector ts[]; /* n_local of ours, then n_remote of the peer's */
};

/* One run: its command and environment, made when it was queued. */
struct updown_run {
	const char *cmd;
	char label[LABEL_MAX];
	const char *verb; /* its PLUTO_VERB, for the log */
	char *envp[ENV_MAX + 1];
	int n_env;
	size_t used;
	char buf[ENV_BYTES];
};

static struct {
	struct updown_run *queue[UPDOWN_QUEUE_MAX];
	unsigned head, len;
	struct updown_run *cur; /* under way: */
	pid_t pid;
	int out_fd;
	uint64_t started_ms;
	char line[LINE_MAX_BYTES];
	size_t line_len;
	uint32_t last_reqid;
	struct updown_stats stats;
} q = { .out_fd = -1 };

struct updown_child *updown_child_new(const struct ike_child_keys *k, const struct cfg_child *cfg, const char *iface)
{
	if (cfg->updown[0] == '\0')
		return NULL;
	int n = k->n_local_ts + k->n_remote_ts;
	struct updown_child *u = calloc(1, sizeof(*u) + (size_t)n * sizeof(u->ts[0]));
	if (u == NULL) {
		LOG_ERR("%s/%s: out of memory: updown will not run for this child", k->conn, k->child);
		return NULL;
	}
	u->cmd = cfg->updown;
	snprintf(u->label, sizeof(u->label), "%s/%s", k->conn, k->child);
	snprintf(u->child, sizeof(u->child), "%s", k->child);
	snprintf(u->iface, sizeof(u->iface), "%s", iface);
	identity_to_string(k->local_id, u->my_id, sizeof(u->my_id));
	identity_to_string(k->remote_id, u->peer_id, sizeof(u->peer_id));
	snprintf(u->user, sizeof(u->user), "%s", k->remote_user ? k->remote_user : "");
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

void updown_child_free(struct updown_child *u)
{
	free(u);
}

void updown_child_succeeds(struct updown_child *u, const struct updown_child *old)
{
	if (u && old)
		u->reqid = old->reqid;
}

static void env_add(struct updown_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_add(struct updown_run *r, const char *fmt, ...)
{
	if (r->n_env == ENV_MAX || r->used >= sizeof(r->buf))
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->buf + r->used, sizeof(r->buf) - r->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(r->buf) - r->used)
		return; /* cannot happen with the bounded fields above; dropped rather than cut */
	r->envp[r->n_env++] = r->buf + r->used;
	r->used += (size_t)n + 1;
}

static void env_addr(struct updown_run *r, const char *name, uint32_t addr)
{
	char a[16];
	format_ipv4(addr, a, sizeof(a));
	env_add(r, "%s=%s", name, a);
}

/* swanctl's port variables: the selector's port when it names one, else 0 */
static unsigned ts_port(const struct traffic_selector *ts)
{
	return ts->port_lo == ts->port_hi ? ts->port_lo : 0;
}

static void env_side(struct updown_run *r, const char *side, uint32_t addr, const char *id,
		     const struct traffic_selector *ts)
{
	char a[16];
	format_ipv4(ts->addr, a, sizeof(a));
	env_addr(r, strcmp(side, "MY") == 0 ? "PLUTO_ME" : "PLUTO_PEER", addr);
	env_add(r, "PLUTO_%s_ID=%s", side, id);
	env_add(r, "PLUTO_%s_CLIENT=%s/%u", side, a, ts->plen);
	env_add(r, "PLUTO_%s_PORT=%u", side, ts_port(ts));
	env_add(r, "PLUTO_%s_PROTOCOL=%u", side, ts->proto);
}

static void env_vip(struct updown_run *r, const char *side, uint32_t vip)
{
	if (vip == 0)
		return;
	char a[16];
	format_ipv4(vip, a, sizeof(a));
	env_add(r, "PLUTO_%s_SOURCEIP=%s", side, a);
	env_add(r, "PLUTO_%s_SOURCEIP4_1=%s", side, a);
}

static struct updown_run *run_new(const struct updown_child *u, bool up, const struct traffic_selector *mine,
				  const struct traffic_selector *theirs)
{
	struct updown_run *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->cmd = u->cmd;
	memcpy(r->label, u->label, sizeof(r->label));
	/* "host": our selector is our own address alone */
	bool host = mine->plen == 32 && mine->addr == u->me;
	const char *path = getenv("PATH");
	env_add(r, "PATH=%s", path ? path : DEFAULT_PATH);
	env_add(r, "PLUTO_VERSION=1.1");
	env_add(r, "PLUTO_VERB=%s-%s", up ? "up" : "down", host ? "host" : "client");
	r->verb = r->envp[r->n_env - 1];
	env_add(r, "PLUTO_CONNECTION=%s", u->child);
	env_add(r, "PLUTO_INTERFACE=%s", u->iface);
	env_add(r, "PLUTO_REQID=%u", u->reqid);
	env_add(r, "PLUTO_PROTO=esp");
	env_add(r, "PLUTO_UNIQUEID=%u", u->unique);
	env_side(r, "MY", u->me, u->my_id, mine);
	env_side(r, "PEER", u->peer, u->peer_id, theirs);
	env_vip(r, "MY", u->my_vip);
	env_vip(r, "PEER", u->peer_vip);
	if (u->user[0])
		env_add(r, "PLUTO_XAUTH_ID=%s", u->user);
	if (u->udp_enc)
		env_add(r, "PLUTO_UDP_ENC=%u", u->udp_enc);
	if (u->hostaccess)
		env_add(r, "PLUTO_HOST_ACCESS=1");
	r->envp[r->n_env] = NULL;
	return r;
}

static void enqueue(struct updown_run *r, const char *label)
{
	if (r == NULL || q.len == UPDOWN_QUEUE_MAX) {
		if (q.stats.dropped++ == 0)
			LOG_WARN("%s: updown not run: %s (counted as updown_dropped from now on)", label,
				 r ? "too many runs waiting" : "out of memory");
		free(r);
		return;
	}
	q.queue[(q.head + q.len++) % UPDOWN_QUEUE_MAX] = r;
}

void updown_queue(struct updown_child *u, bool up)
{
	if (u == NULL)
		return;
	for (int l = 0; l < u->n_local; l++)
		for (int p = 0; p < u->n_remote; p++)
			enqueue(run_new(u, up, &u->ts[l], &u->ts[u->n_local + p]), u->label);
}

static void log_output(bool flush)
{
	char *nl;
	while ((nl = memchr(q.line, '\n', q.line_len)) != NULL) {
		size_t n = (size_t)(nl - q.line);
		LOG_INFO("%s: updown: %.*s", q.cur->label, (int)n, q.line);
		memmove(q.line, nl + 1, q.line_len - n - 1);
		q.line_len -= n + 1;
	}
	if (q.line_len && (flush || q.line_len == sizeof(q.line))) {
		LOG_INFO("%s: updown: %.*s", q.cur->label, (int)q.line_len, q.line);
		q.line_len = 0;
	}
}

static void read_output(bool flush)
{
	ssize_t n;
	while (q.out_fd >= 0 && (n = read(q.out_fd, q.line + q.line_len, sizeof(q.line) - q.line_len)) > 0) {
		q.line_len += (size_t)n;
		log_output(false);
	}
	log_output(flush);
}

static int spawn(struct updown_run *r, int out)
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
	char *argv[] = { "sh", "-c", (char *)r->cmd, NULL };
	int rc = posix_spawn(&q.pid, "/bin/sh", &fa, &at, argv, r->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

static void start_next(uint64_t now_ms)
{
	while (q.cur == NULL && q.len) {
		struct updown_run *r = q.queue[q.head];
		q.head = (q.head + 1) % UPDOWN_QUEUE_MAX;
		q.len--;
		int fds[2];
		int rc = pipe2(fds, O_CLOEXEC) < 0 ? errno : 0;
		if (rc == 0) {
			fcntl(fds[0], F_SETFL, O_NONBLOCK);
			rc = spawn(r, fds[1]);
			close(fds[1]);
			if (rc)
				close(fds[0]);
		}
		q.stats.runs++;
		if (rc) {
			q.stats.failed++;
			LOG_ERR("%s: updown not started: %s", r->label, strerror(rc));
			free(r);
			continue;
		}
		LOG_DEBUG("%s: updown started (%s)", r->label, r->verb);
		q.cur = r;
		q.out_fd = fds[0];
		q.started_ms = now_ms;
	}
}

static void finish(int status)
{
	read_output(true);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		q.stats.failed++;
		LOG_WARN("%s: updown exited with status %d (%s)", q.cur->label, WEXITSTATUS(status), q.cur->verb);
	} else if (WIFSIGNALED(status)) {
		q.stats.failed++;
		LOG_WARN("%s: updown ended by signal %d (%s)", q.cur->label, WTERMSIG(status), q.cur->verb);
	}
	close(q.out_fd);
	q.out_fd = -1;
	free(q.cur);
	q.cur = NULL;
	q.pid = 0;
}

void updown_poll(uint64_t now_ms)
{
	if (q.cur == NULL && q.len == 0)
		return;
	if (q.cur) {
		read_output(false);
		int status;
		pid_t got = waitpid(q.pid, &status, WNOHANG);
		if (got == q.pid || (got < 0 && errno == ECHILD)) {
			finish(got == q.pid ? status : 0);
		} else if (now_ms - q.started_ms >= UPDOWN_TIMEOUT_MS) {
			LOG_WARN("%s: updown still running after %u s: killed", q.cur->label, UPDOWN_TIMEOUT_MS / 1000);
			kill(-q.pid, SIGKILL);
			q.stats.killed++;
			q.started_ms = now_ms; /* reaped at a later poll; killed again only if it is still there then */
		}
	}
	start_next(now_ms);
}

void updown_drain(unsigned timeout_ms)
{
	uint64_t start = clock_mono_ms(), now = start;
	while ((q.cur || q.len) && now - start < timeout_ms) {
		updown_poll(now);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		now = clock_mono_ms();
	}
	if (q.cur == NULL && q.len == 0)
		return;
	LOG_WARN("updown: %u runs not done at shutdown after %u ms", q.len + (q.cur != NULL), timeout_ms);
	if (q.cur) {
		kill(-q.pid, SIGKILL);
		waitpid(q.pid, NULL, 0);
		close(q.out_fd);
		q.out_fd = -1;
		free(q.cur);
		q.cur = NULL;
	}
	for (; q.len; q.len--, q.head = (q.head + 1) % UPDOWN_QUEUE_MAX)
		free(q.queue[q.head]);
}

void updown_stats(struct updown_stats *s)
{
	*s = q.stats;
}
