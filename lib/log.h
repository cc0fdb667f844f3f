/* SPDX-License-Identifier: BSD-3-Clause */
/* Leveled logging for the control plane. The fast path never logs. */
#ifndef DPIKE_LIB_LOG_H
#define DPIKE_LIB_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warning", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_ERR(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define LOG_WARN(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_INFO(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
