/* SPDX-License-Identifier: BSD-3-Clause */
/* A growable text buffer for CLI and telemetry output, with JSON string escaping. */
#ifndef DPIKE_LIB_STRBUF_H
#define DPIKE_LIB_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a quoted JSON string. */
void sb_json_str(struct strbuf *sb, const char *s);
/* Drops a trailing ',' (after the last member of a JSON object or array). */
void sb_trim_comma(struct strbuf *sb);

#endif
