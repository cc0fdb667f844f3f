/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: configuration files. Whatever the text, config_load() either takes it or says
 * why (a message with the file and line), and config_free() gives back what it took; a file it
 * takes also makes an IKE daemon, with its credentials, without trouble.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "ike/credentials.h"
#include "ike/ike.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t now_cb(void *ctx)
{
	(void)ctx;
	return 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (path[0] == '\0') {
		snprintf(path, sizeof(path), "/tmp/dpike-fuzz-config-%d.conf", (int)getpid());
		log_set_level(getenv("DPIKE_FUZZ_LOG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct dpike_config cfg;
	char err[CFG_ERR_MAX];
	memset(&cfg, 0, sizeof(cfg));
	if (config_load(path, &cfg, err) == 0) {
		struct credentials *creds = credentials_load(&cfg, err, sizeof(err));
		if (creds != NULL) {
			struct ike_env env = { .now_ms = now_cb };
			struct ike_daemon *d = ike_daemon_create(&cfg, creds, &env);
			if (d != NULL)
				ike_daemon_destroy(d);
			credentials_free(creds);
		}
		config_free(&cfg);
	} else if (strstr(err, path) == NULL) {
		fprintf(stderr, "refused without naming the file: %s\n", err);
		abort();
	}
	unlink(path);
	return 0;
}
