/* SPDX-License-Identifier: BSD-3-Clause */
/* The unit suites, one per module; test_main.c runs them all. */
#ifndef DPIKE_TEST_UNIT_H
#define DPIKE_TEST_UNIT_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

void lib_suite_add(CU_pSuite s);
void replay_suite_add(CU_pSuite s);
void sa_owner_suite_add(CU_pSuite s);
void spd_suite_add(CU_pSuite s);
void sad_suite_add(CU_pSuite s);
void sa_slab_suite_add(CU_pSuite s);
int tables_suite_init(void);
int tables_suite_clean(void);
void tables_suite_add(CU_pSuite s);
void config_suite_add(CU_pSuite s);
void proposal_suite_add(CU_pSuite s);
void pool_suite_add(CU_pSuite s);
void ike_crypto_suite_add(CU_pSuite s);
void ike_payload_suite_add(CU_pSuite s);
void cert_suite_add(CU_pSuite s);
void signature_suite_add(CU_pSuite s);
void secrets_suite_add(CU_pSuite s);
void config_read_suite_add(CU_pSuite s);
void conn_index_suite_add(CU_pSuite s);
void eap_suite_add(CU_pSuite s);
void updown_suite_add(CU_pSuite s);
void ike_harness_suite_add(CU_pSuite s);
void ikev1_suite_add(CU_pSuite s);
int esp_suite_init(void);
int esp_suite_clean(void);
void esp_suite_add(CU_pSuite s);
int fragment_suite_init(void);
int fragment_suite_clean(void);
void fragment_suite_add(CU_pSuite s);
int reassembly_suite_init(void);
int reassembly_suite_clean(void);
void reassembly_suite_add(CU_pSuite s);

/* Writes text to a fresh temporary file; returns its path (static buffer). */
const char *unit_temp_file(const char *text);
struct dpike_config;
/* Loads a configuration that must load, from its text; the test stops here if it does not. */
void unit_load_config(const char *text, struct dpike_config *cfg);
/* n bytes from 2n hex digits (a test vector as its RFC prints it). */
void unit_hex(const char *s, uint8_t *out, size_t n);

#endif
