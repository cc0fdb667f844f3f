/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the ESP burst files only. */
#ifndef DPIKE_DP_ESP_INTERNAL_H
#define DPIKE_DP_ESP_INTERNAL_H

#include <stdbool.h>

#include "esp.h"

bool esp_refill_random(struct esp_ctx *c);
/* Queues one packet's job; completed jobs have their pk status set on failure. */
void esp_submit(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk);
/* Completes every queued job. */
void esp_flush(struct esp_ctx *c);
/* Charges runs of packets to their SAs and reports lifetimes crossed. */
void esp_account(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t n);

#endif
