/* SPDX-License-Identifier: BSD-3-Clause */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level current_level = LOG_LVL_INFO;
static const char *const level_names[] = { "error", "warning", "info", "debug" };

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

int log_level_parse(const char *name)
{
	for (int i = 0; i <= LOG_LVL_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

static void vlog_msg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);

	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s.%03ld dpike[%s] %s%s\n", when, ts.tv_nsec / 1000000, level_names[level], line, suffix);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > current_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog_msg(level, "", fmt, ap);
	va_end(ap);
}

bool log_limit_pass(struct log_limit *l, uint64_t now_s, unsigned *left_out)
{
	*left_out = 0;
	if (now_s != l->second) {
		*left_out = l->left_out;
		l->second = now_s;
		l->shown = l->left_out = 0;
	}
	if (l->shown >= LOG_LIMIT_PER_S) {
		l->left_out++;
		return false;
	}
	l->shown++;
	return true;
}

void log_msg_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
{
	struct timespec ts;
	unsigned left_out;
	char suffix[80] = "";
	if (level > current_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!log_limit_pass(l, (uint64_t)ts.tv_sec, &left_out))
		return;
	if (left_out)
		snprintf(suffix, sizeof(suffix), " (%u more like it left out before)", left_out);
	va_list ap;
	va_start(ap, fmt);
	vlog_msg(level, suffix, fmt, ap);
	va_end(ap);
}
