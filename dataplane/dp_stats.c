/* SPDX-License-Identifier: BSD-3-Clause */
#include "dp_stats.h"

const char *const dp_drop_names[DP_DROP_MAX] = {
#define X(id, name) [DP_DROP_##id] = name,
	DP_DROP_REASONS(X)
#undef X
};

const char *const dp_stage_names[DP_STAGE_MAX] = {
#define X(id, name) [DP_STAGE_##id] = name,
	DP_STAGES(X)
#undef X
};

void dp_stage_stats_add(struct dp_stage_stats *t, const struct dp_stage_stats *worker)
{
	for (int i = 0; i < DP_STAGE_MAX; i++) {
		t->cycles[i] += __atomic_load_n(&worker->cycles[i], __ATOMIC_RELAXED);
		t->packets[i] += __atomic_load_n(&worker->packets[i], __ATOMIC_RELAXED);
	}
}
