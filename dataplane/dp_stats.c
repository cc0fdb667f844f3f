/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_stats.h"

const char *const dp_drop_names[DP_DROP_MAX] = {
#define X(id, name) [DP_DROP_##id] = name,
	DP_DROP_REASONS(X)
#undef X
};
