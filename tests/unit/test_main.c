/* SPDX-License-Identifier: BSD-3-Clause */
/* Runs every unit suite. DPDK's EAL is started once, without hugepages or devices. */
#include <CUnit/Basic.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <limits.h>

#include <rte_eal.h>

#include "config/config.h"
#include "lib/log.h"
#include "unit.h"

const char *unit_temp_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/dpike-unit-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

void unit_load_config(const char *text, struct dpike_config *cfg)
{
	char err[CFG_ERR_MAX];
	const char *path = unit_temp_file(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	int rc = config_load(path, cfg, err);
	unlink(path);
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
}

void unit_hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=dpike-unit-%d", (int)getpid());
	char *eal[] = { "unit", "-l", "0", "--no-huge", "-m", "256", "--no-pci", prefix, "--log-level=error", NULL };
	if (rte_eal_init(9, eal) < 0) {
		fprintf(stderr, "cannot start DPDK EAL\n");
		return 2;
	}
	log_set_level(getenv("UNIT_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	lib_suite_add(CU_add_suite("lib: parsers, selectors, wire reader", NULL, NULL));
	replay_suite_add(CU_add_suite("dataplane: replay window", NULL, NULL));
	sa_owner_suite_add(CU_add_suite("dataplane: SA ownership", NULL, NULL));
	spd_suite_add(CU_add_suite("dataplane: policy lookup", NULL, NULL));
	sad_suite_add(CU_add_suite("dataplane: SAD", NULL, NULL));
	sa_slab_suite_add(CU_add_suite("dataplane: SA slab", NULL, NULL));
	tables_suite_add(CU_add_suite("dataplane: control-core tables", tables_suite_init, tables_suite_clean));
	proposal_suite_add(CU_add_suite("ike: proposal strings", NULL, NULL));
	pool_suite_add(CU_add_suite("ike: virtual IP pools", NULL, NULL));
	config_suite_add(CU_add_suite("config: loading and errors", NULL, NULL));
	ike_crypto_suite_add(CU_add_suite("ike: crypto", NULL, NULL));
	ike_payload_suite_add(CU_add_suite("ike: payloads", NULL, NULL));
	ike_harness_suite_add(CU_add_suite("ike: two daemons", NULL, NULL));
	ikev1_suite_add(CU_add_suite("ike: IKEv1", NULL, NULL));
	cert_suite_add(CU_add_suite("ike: certificates", NULL, NULL));
	signature_suite_add(CU_add_suite("ike: signatures and identities", NULL, NULL));
	secrets_suite_add(CU_add_suite("ike: shared secrets by identity", NULL, NULL));
	config_read_suite_add(CU_add_suite("app: the configuration read again beside the control core", NULL, NULL));
	conn_index_suite_add(CU_add_suite("ike: connections by the peer's address", NULL, NULL));
	eap_suite_add(CU_add_suite("ike: EAP", NULL, NULL));
	updown_suite_add(CU_add_suite("app: updown scripts", NULL, NULL));
	esp_suite_add(CU_add_suite("dataplane: ESP", esp_suite_init, esp_suite_clean));
	fragment_suite_add(CU_add_suite("dataplane: IPv4 fragmentation", fragment_suite_init, fragment_suite_clean));
	reassembly_suite_add(CU_add_suite("dataplane: IPv4 reassembly", reassembly_suite_init, reassembly_suite_clean));
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	char runtime_dir[PATH_MAX];
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	nftw(runtime_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS); /* the EAL leaves its per-prefix files */
	return failed ? 1 : 0;
}
