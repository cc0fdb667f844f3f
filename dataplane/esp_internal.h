/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the ESP burst files only. */
#ifndef DPIKE_DP_ESP_INTERNAL_H
#define DPIKE_DP_ESP_INTERNAL_H

#include <stdbool.h>

#include "esp.h"

bool esp_refill_random(struct esp_ctx *c);
/* Queues one packet for the next esp_flush(). */
void esp_submit(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk);
/* Hands every queued packet's job to IPsec-MB in one burst and completes them; a failed job sets its pk status. */
void esp_flush(struct esp_ctx *c);
/* Charges runs of packets to their SAs and reports lifetimes crossed. */
void esp_account(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t n);

#endif
