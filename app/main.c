/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpike [EAL options] -- -f FILE [-s CTL_SOCKET]
 * The main lcore is the control core; every other lcore runs a dataplane worker.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include "appliance.h"
#include "lib/log.h"

static void usage(void)
{
	fprintf(stderr, "usage: dpike [EAL options] -- -f CONFIG [-s CTL_SOCKET]\n");
}

static int parse_args(int argc, char **argv, const char **config, const char **sock)
{
	int c;
	optind = 1;
	while ((c = getopt(argc, argv, "f:s:h")) != -1) {
		switch (c) {
		case 'f': *config = optarg; break;
		case 's': *sock = optarg; break;
		default: usage(); return -1;
		}
	}
	if (*config == NULL || optind != argc) {
		usage();
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	app_stop = true;
}

int main(int argc, char **argv)
{
	static struct appliance app;
	const char *config = NULL, *sock = NULL;
	char err[CFG_ERR_MAX];
	int eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "dpike: EAL initialisation failed (see the messages above)\n");
		return 1;
	}
	if (parse_args(argc - eal, argv + eal, &config, &sock) < 0)
		return 2;
	if (appliance_load_config(&app, config, sock, err) < 0) {
		fprintf(stderr, "dpike: %s\n", err);
		rte_eal_cleanup();
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN); /* a closed control-socket client or log reader is an error return, not an exit */
	int rc = appliance_start(&app);
	if (rc == 0) {
		appliance_launch_workers(&app);
		LOG_INFO("dpike running: %u worker(s), control on lcore %u", app.n_workers, rte_lcore_id());
		if (ike_glue_start(&app) < 0)
			app_stop = true;
		control_loop(&app);
		LOG_INFO("stopping");
	}
	appliance_stop(&app);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
