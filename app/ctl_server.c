/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a Unix stream socket polled by the control core. A request is
 * one argument per line ending with an empty line; the answer is "OK" or "ERR" on
 * the first line, then the output, then the connection closes.
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
#include "lib/log.h"

#define MAX_REQUEST 4096
#define MAX_ARGS 16
#define REQUEST_TIMEOUT_MS 1000

static int listen_fd = -1;
static char listen_path[108];

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
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(listen_path);
	}
	listen_fd = -1;
}

/* Reads until the empty line that ends a request; -1 on timeout, overflow or close. */
static int read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	while (len + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, REQUEST_TIMEOUT_MS) <= 0)
			return -1;
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= 2 && strstr(buf, "\n\n"))
			return (int)len;
		if (len == 1 && buf[0] == '\n')
			return 1;
	}
	return -1;
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

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		if (poll(&pf, 1, REQUEST_TIMEOUT_MS) <= 0)
			return;
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void serve(struct appliance *app, int fd)
{
	char buf[MAX_REQUEST], *argv[MAX_ARGS];
	bool json;
	struct strbuf out;
	sb_init(&out);
	if (read_request(fd, buf, sizeof(buf)) < 0) {
		sb_printf(&out, "ERR\nincomplete request\n");
	} else {
		int argc = split_args(buf, argv, &json);
		struct strbuf body;
		sb_init(&body);
		int rc = argc == 0 ? -1 : ctl_execute(app, argc, argv, json, &body);
		if (argc == 0)
			sb_printf(&body, "no command given\n");
		sb_printf(&out, "%s\n%s", rc == 0 ? "OK" : "ERR", body.buf ? body.buf : "");
		sb_free(&body);
	}
	if (out.buf)
		write_all(fd, out.buf, out.len);
	sb_free(&out);
}

void ctl_server_poll(struct appliance *app)
{
	if (listen_fd < 0)
		return;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	serve(app, fd);
	close(fd);
}
