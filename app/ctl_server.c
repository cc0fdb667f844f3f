/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a Unix stream socket polled by the control core. A request is
 * one argument per line ending with an empty line; the answer is "OK" or "ERR" on
 * the first line, then the output, then the connection closes. Nothing here blocks:
 * a client that is slow to ask or to read holds its connection, never the control core.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "appliance.h"
#include "ctl_load.h"
#include "lib/log.h"

#define MAX_REQUEST 4096
#define MAX_ARGS 16
#define MAX_CLIENTS 8
#define REQUEST_TIMEOUT_MS 1000 /* to send a whole request */
#define REPLY_TIMEOUT_MS 10000  /* to read the answer, as long as dpikectl waits for one */

static int listen_fd = -1;
static char listen_path[108];

/*
 * A connection in progress. The control core never waits on one: it reads what has come, answers
 * once the request is whole, and writes what the socket takes, each time it polls; a client that
 * neither finishes its request nor reads its answer in time is dropped.
 */
struct client {
	int fd; /* -1: free */
	bool answering;
	struct ctl_load *load; /* the load it waits for, answered when read (ctl_load.h) */
	size_t in_len, out_off;
	uint64_t deadline_ms;
	struct strbuf out;
	char in[MAX_REQUEST];
};

static struct client clients[MAX_CLIENTS];

static void drop_client(struct client *c)
{
	if (c->load)
		ctl_load_release(c->load); /* it still takes effect */
	c->load = NULL;
	close(c->fd);
	sb_free(&c->out);
	c->fd = -1;
}

static void make_parent_dir(const char *path)
{
	char dir[108];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0750);
	}
}

int ctl_server_open(struct appliance *app)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", app->ctl_path);
	make_parent_dir(app->ctl_path);
	unlink(app->ctl_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(listen_fd, 8) != 0) {
		LOG_ERR("control socket %s: %s", app->ctl_path, strerror(errno));
		ctl_server_close();
		return -1;
	}
	chmod(app->ctl_path, 0660);
	snprintf(listen_path, sizeof(listen_path), "%s", app->ctl_path);
	LOG_INFO("control socket %s", app->ctl_path);
	return 0;
}

void ctl_server_close(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (listen_fd >= 0 && clients[i].fd >= 0)
			drop_client(&clients[i]);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(listen_path);
	}
	listen_fd = -1;
	ctl_loads_stop();
}

static int split_args(char *buf, char **argv, bool *json)
{
	int argc = 0;
	*json = false;
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line && argc < MAX_ARGS;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "--json") == 0)
			*json = true;
		else
			argv[argc++] = line;
	}
	return argc;
}

/* A request is whole at its empty line (a lone newline: no command). */
static bool request_complete(const struct client *c)
{
	return (c->in_len == 1 && c->in[0] == '\n') || (c->in_len >= 2 && strstr(c->in, "\n\n") != NULL);
}

static void reply(struct client *c, int rc, const char *body)
{
	sb_printf(&c->out, "%s\n%s", rc == 0 ? "OK" : "ERR", body ? body : "");
	c->answering = true;
	c->deadline_ms = app_now_ms() + REPLY_TIMEOUT_MS;
}

static void answer(struct appliance *app, struct client *c)
{
	char *argv[MAX_ARGS];
	bool json;
	struct strbuf body;
	sb_init(&body);
	int argc = split_args(c->in, argv, &json);
	int rc = argc == 0 ? -1 : ctl_execute(app, argc, argv, json, &body, &c->load);
	if (argc == 0)
		sb_printf(&body, "no command given\n");
	if (rc == CTL_WAITS)
		c->deadline_ms = UINT64_MAX; /* however long the file takes to read */
	else
		reply(c, rc, body.buf);
	sb_free(&body);
}

/* A load's answer, once it has been put in place. */
static void answer_load(struct client *c)
{
	int rc;
	const struct strbuf *out;
	if (!ctl_load_answer(c->load, &rc, &out))
		return;
	reply(c, rc, out->buf);
	ctl_load_release(c->load);
	c->load = NULL;
}

/* Takes what has come of the request; false when the client is to be dropped. */
static bool read_some(struct appliance *app, struct client *c)
{
	ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (request_complete(c))
		answer(app, c);
	else if (c->in_len == sizeof(c->in) - 1)
		return false; /* too long to be a request */
	return true;
}

/* Writes what the socket takes of the answer; false once it is all out, or the client gone. */
static bool write_some(struct client *c)
{
	if (c->out.buf == NULL || c->out_off == c->out.len)
		return false;
	/* a client gone before reading its answer must not raise SIGPIPE, which would end dpike */
	ssize_t n = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	c->out_off += (size_t)n;
	return c->out_off < c->out.len;
}

static void accept_clients(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (c->fd >= 0)
			continue;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* none waiting; with every slot taken the rest wait in the backlog */
		*c = (struct client){ .fd = fd, .deadline_ms = app_now_ms() + REQUEST_TIMEOUT_MS };
		sb_init(&c->out);
	}
}

void ctl_server_poll(struct appliance *app)
{
	if (listen_fd < 0)
		return;
	ctl_loads_poll(app);
	accept_clients();
	uint64_t now = app_now_ms();
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];
		if (c->fd < 0)
			continue;
		if (c->load) {
			answer_load(c);
			if (c->load)
				continue;
		}
		bool keep = c->answering ? write_some(c) : read_some(app, c);
		if (keep && c->answering && !c->out_off)
			keep = write_some(c); /* answered just now: start at once */
		if (!keep || now > c->deadline_ms)
			drop_client(c);
	}
}
