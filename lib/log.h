/* SPDX-License-Identifier: BSD-3-Clause */
/* Leveled logging for the control plane. The fast path never logs. */
#ifndef DPIKE_LIB_LOG_H
#define DPIKE_LIB_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warning", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Lines a peer can cause without authenticating (an invalid message, a refused IKE_SA_INIT or
 * Main Mode, a failed authentication) go through a limit per call site: at most LOG_LIMIT_PER_S a second, and the first line of a
 * later second says how many were left out, so that a flood of probes cannot flood the log.
 */
#define LOG_LIMIT_PER_S 10
struct log_limit {
	uint64_t second;
	unsigned shown, left_out;
};
/* Whether a line may be shown in second now_s; *left_out: lines suppressed before it, told once. */
bool log_limit_pass(struct log_limit *l, uint64_t now_s, unsigned *left_out);
void log_msg_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define LOG_WARN_LIMITED(...)                                              \
	do {                                                                \
		static struct log_limit log_limit_;                         \
		log_msg_limited(&log_limit_, LOG_LVL_WARN, __VA_ARGS__);    \
	} while (0)

#define LOG_ERR(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define LOG_WARN(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_INFO(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
