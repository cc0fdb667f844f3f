/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpikectl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARGS]
 * Talks to a running dpike over its control socket. Exit status: 0 success,
 * 1 the appliance refused the request, 2 usage or connection error.
 */
#include <errno.h>
#include <libconfig.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/dpike/dpike.sock"
#define REPLY_TIMEOUT_S 10
#define LOAD_TIMEOUT_S 600 /* load-*: dpike answers once the file and its certificates have been read */

static void usage(FILE *f)
{
	fprintf(f, "usage: dpikectl [-s SOCKET | -c CONFIG] [--json] COMMAND [ARG]\n"
		   "commands:\n"
		   "  status                    version, uptime, workers, interfaces\n"
		   "  stats                     counters per interface, worker, drop reason, control core, IKE\n"
		   "  list-conns                the configured connections and their children\n"
		   "  list-sas                  IKE SAs and the installed ESP SAs with their counters\n"
		   "  list-certs                certificates of pubkey connections: own chain and trusted CAs\n"
		   "  list-pools                virtual IP pools: size, addresses online and ever leased\n"
		   "  list-neighbours           the neighbour table: configured, and learned by ARP with their age\n"
		   "  stages [on|off]           each worker's cycles by stage of its poll (counted while on, as\n"
		   "                            workers.stage_cycles sets it at start), or turn the counting on or off\n"
		   "  initiate CONN[/CHILD]     bring a connection up\n"
		   "  terminate CONN[/CHILD]    delete an IKE SA (with its children) or one child SA\n"
		   "  rekey CONN[/CHILD]        rekey the IKE SA, or the named child SA\n"
		   "  reauth CONN               reauthenticate the IKE SA now: a new one with its children, then\n"
		   "                            the old one deleted (swanctl --rekey --reauth)\n"
		   "  load-creds                read the shared secrets (PSKs, XAuth and EAP passwords) again from the\n"
		   "                            configuration file; established SAs stay\n"
		   "  load-conns                read the connections again from the configuration file: new ones are\n"
		   "                            loaded, changed or removed ones dropped (their SAs stay, but those of\n"
		   "                            start_action = start, which are closed; their traps go)\n"
		   "  load-all                  load-conns, then load-creds\n"
		   "The socket is -s, else the ctl_socket of -c CONFIG, else " DEFAULT_SOCKET ".\n");
}

static int socket_from_config(const char *file, char *out, size_t len)
{
	config_t c;
	const char *v = NULL;
	config_init(&c);
	if (config_read_file(&c, file) != CONFIG_TRUE) {
		fprintf(stderr, "dpikectl: %s:%d: %s\n", file, config_error_line(&c),
			config_error_text(&c) ? config_error_text(&c) : "cannot read the file");
		config_destroy(&c);
		return -1;
	}
	if (!config_lookup_string(&c, "ctl_socket", &v))
		v = DEFAULT_SOCKET;
	snprintf(out, len, "%s", v);
	config_destroy(&c);
	return 0;
}

static int connect_to(const char *path, int timeout_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "dpikectl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = timeout_s };
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "dpikectl: cannot connect to %s: %s (is dpike running?)\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_request(int fd, int argc, char **argv, bool json)
{
	char req[4096];
	size_t len = 0;
	for (int i = 0; i < argc; i++) {
		if (strchr(argv[i], '\n') || len + strlen(argv[i]) + 2 >= sizeof(req) - 8) {
			fprintf(stderr, "dpikectl: invalid argument\n");
			return -1;
		}
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s\n", argv[i]);
	}
	len += (size_t)snprintf(req + len, sizeof(req) - len, "%s\n", json ? "--json\n" : "");
	return write(fd, req, len) == (ssize_t)len ? 0 : -1;
}

/* Prints the reply body; returns 0 for OK, 1 for ERR, 2 when the reply is cut short. */
static int read_reply(int fd)
{
	char buf[65536];
	size_t len = 0;
	ssize_t n;
	char *body = NULL;
	int status = -1;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if (status < 0 && (body = strchr(buf, '\n')) != NULL) {
			status = strncmp(buf, "OK\n", 3) == 0 ? 0 : 1;
			body++;
		}
		if (status >= 0) {
			fputs(body, status ? stderr : stdout);
			len = 0;
			body = buf;
		}
	}
	if (status < 0) {
		fprintf(stderr, "dpikectl: no complete reply from dpike\n");
		return 2;
	}
	return status;
}

int main(int argc, char **argv)
{
	char path[108] = DEFAULT_SOCKET;
	bool json = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if ((strcmp(argv[i], "-s") == 0) && i + 1 < argc) {
			snprintf(path, sizeof(path), "%s", argv[++i]);
		} else if ((strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
			if (socket_from_config(argv[++i], path, sizeof(path)) < 0)
				return 2;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	int nargs = 0;
	char *args[16];
	for (; i < argc && nargs < 16; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			args[nargs++] = argv[i];
	}
	if (nargs == 0) {
		usage(stderr);
		return 2;
	}
	int fd = connect_to(path, strncmp(args[0], "load-", 5) == 0 ? LOAD_TIMEOUT_S : REPLY_TIMEOUT_S);
	if (fd < 0)
		return 2;
	int rc = send_request(fd, nargs, args, json) == 0 ? read_reply(fd) : 2;
	close(fd);
	return rc;
}
