/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Typed, validating access to libconfig settings. Every failure records
 * "FILE:LINE: reason" once and returns -1, so section parsers stay linear.
 */
#ifndef DPIKE_CONFIG_CFG_READER_H
#define DPIKE_CONFIG_CFG_READER_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct cfg_reader {
	const char *file;
	char *err;
};

int cfg_fail(struct cfg_reader *r, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Refuses any member of group whose name is not in allowed (NULL-terminated). */
int cfg_check_keys(struct cfg_reader *r, const config_setting_t *group, const char *const allowed[]);
/* Each getter returns 1 when the key was present and valid, 0 when absent and optional, -1 on error. */
int cfg_get_string(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		   char *out, size_t len);
/* One of names (NULL-terminated): its index to *out. */
int cfg_get_enum(struct cfg_reader *r, const config_setting_t *g, const char *key, const char *const names[],
		 int *out);
int cfg_get_bool(struct cfg_reader *r, const config_setting_t *g, const char *key, bool *out);
/* swanctl's copy_df, copy_ecn and copy_dscp into enum tunnel_copy bits, from TUNNEL_COPY_DEFAULT. */
int cfg_get_tunnel_copy(struct cfg_reader *r, const config_setting_t *g, unsigned *copy);
int cfg_get_uint(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		 uint64_t max, uint64_t *out);
int cfg_get_number(struct cfg_reader *r, const config_setting_t *g, const char *key, double min, double max,
		   double *out);
int cfg_get_duration(struct cfg_reader *r, const config_setting_t *g, const char *key, uint64_t *out);
int cfg_get_count(struct cfg_reader *r, const config_setting_t *g, const char *key, uint64_t *out);
/* A string or an array of strings, into a fixed table of n_max strings of len bytes each. */
int cfg_get_strings(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		    char *out, size_t len, int n_max, int *n);
/* As cfg_get_strings(), each string also a comma-separated list, as swanctl writes one. */
int cfg_get_items(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		  char *out, size_t len, int n_max, int *n);
/* Traffic selectors, a string or an array; _any takes swanctl's "dynamic" too (a child's). */
int cfg_get_ts_list(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		    struct cfg_ts_list *out);
int cfg_get_ts_list_any(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
			bool allow_dynamic, struct cfg_ts_list *out);
/* A member that must be a list or array of groups; NULL with no error when absent. */
const config_setting_t *cfg_get_list(struct cfg_reader *r, const config_setting_t *g, const char *key,
				     int *err);

/* A hash of a setting as written, names, values and order (not its lines or layout). */
uint64_t cfg_setting_digest(const config_setting_t *s);

int cfg_parse_connections(struct cfg_reader *r, const config_setting_t *list, struct dpike_config *cfg);
int cfg_parse_secrets(struct cfg_reader *r, const config_setting_t *list, struct dpike_config *cfg);

#endif
