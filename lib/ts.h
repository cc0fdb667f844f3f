/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic selectors: an IPv4 prefix with an optional protocol and port range,
 * written as swanctl does: "10.1.0.0/16", "10.1.0.0/16[tcp/443]", "0.0.0.0/0[udp/1000-2000]".
 */
#ifndef DPIKE_LIB_TS_H
#define DPIKE_LIB_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct traffic_selector {
	uint32_t addr; /* host order, host bits zero */
	uint32_t mask;
	uint8_t plen;
	uint8_t proto; /* 0: any */
	uint16_t port_lo, port_hi; /* 0-65535: any */
};

bool ts_parse(const char *s, struct traffic_selector *ts);
/* Field by field: the structure has padding. */
static inline bool ts_equal(const struct traffic_selector *a, const struct traffic_selector *b)
{
	return a->addr == b->addr && a->mask == b->mask && a->proto == b->proto && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi;
}
void ts_format(const struct traffic_selector *ts, char *buf, size_t len);

static inline bool ts_match_addr(const struct traffic_selector *ts, uint32_t a)
{
	return (a & ts->mask) == ts->addr;
}

static inline bool ts_match_port(const struct traffic_selector *ts, uint8_t proto, uint16_t port)
{
	if (ts->proto != 0 && ts->proto != proto)
		return false;
	return port >= ts->port_lo && port <= ts->port_hi;
}

#endif
