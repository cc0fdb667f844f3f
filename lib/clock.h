/* SPDX-License-Identifier: BSD-3-Clause */
/* The monotonic clock in milliseconds: for timeouts and ages (the log keeps wall-clock time). */
#ifndef DPIKE_LIB_CLOCK_H
#define DPIKE_LIB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
