/* SPDX-License-Identifier: BSD-3-Clause */
#include "pkt_meta.h"

int dp_meta_offset = -1;

int dp_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "dpike_meta",
		.size = sizeof(struct dp_meta),
		.align = __alignof__(struct dp_meta),
	};
	dp_meta_offset = rte_mbuf_dynfield_register(&desc);
	return dp_meta_offset < 0 ? -1 : 0;
}
