/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport mode behind a NAT (RFC 3948 3.1.2): the peer computed its TCP/UDP checksum over
 * its own addresses (the NAT-OA of RFC 3947), but the packet arrives with the translated
 * ones. After decapsulation the checksum is brought in line with the header we see; ESP's
 * integrity check already vouched for the payload.
 */
#ifndef DPIKE_DP_NATT_CSUM_H
#define DPIKE_DP_NATT_CSUM_H

#include <stdbool.h>
#include <stdint.h>

struct rte_ipv4_hdr;

/*
 * The part of the adjustment that depends on the SA only: the one's-complement sum of the
 * complemented words of the original addresses (host order), computed once at install.
 */
uint32_t natt_oa_adjust(uint32_t orig_src, uint32_t orig_dst);

/*
 * Fixes the TCP/UDP checksum of a decapsulated transport-mode packet of len contiguous bytes.
 * With the original addresses known, the checksum is updated incrementally (RFC 1624);
 * without them a UDP checksum is cleared and a TCP one recomputed. Fragments after the
 * first, other protocols and truncated headers are left alone.
 */
void natt_fix_l4_checksum(struct rte_ipv4_hdr *ip, uint32_t len, bool have_oa, uint32_t oa_adjust);

#endif
