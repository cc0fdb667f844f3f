/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsers for the textual values of configuration and CLI: addresses, keys, durations. */
#ifndef DPIKE_LIB_PARSE_H
#define DPIKE_LIB_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IPv4 addresses are kept in host byte order everywhere outside packet buffers. */
bool parse_ipv4(const char *s, uint32_t *addr);
/* "a.b.c.d/len"; a bare address means /32. Host bits must be zero unless allow_host. */
bool parse_ipv4_prefix(const char *s, uint32_t *addr, uint8_t *len, bool allow_host);
bool parse_mac(const char *s, uint8_t mac[6]);
/* "0x0011..." into out; returns the byte count, or -1 on a bad digit or overflow. */
int parse_hex(const char *s, uint8_t *out, size_t cap);
/* swanctl time values: "30", "30s", "5m", "4h", "1d" into seconds. */
bool parse_duration(const char *s, uint64_t *seconds);
/* Counts with an optional k/m/g suffix (powers of 1024), as swanctl's byte limits. */
bool parse_count(const char *s, uint64_t *value);

static inline uint32_t prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : ~(uint32_t)0 << (32 - len);
}

void format_ipv4(uint32_t addr, char *buf, size_t len);

#endif
