/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic selectors: an IPv4 prefix with an optional protocol and port range,
 * written as swanctl does: "10.1.0.0/16", "10.1.0.0/16[tcp/443]", "0.0.0.0/0[udp/1000-2000]".
 * A child's selectors may also be swanctl's "dynamic" (with or without [proto/port]): the IKE
 * SA's own address for local_ts, the peer's for remote_ts, known only once the SA is.
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
	uint8_t dynamic; /* "dynamic": addr, mask and plen stand for the IKE SA's address (ts_resolve()) */
};

/* A prefix with its optional [proto/port]; "dynamic" only when allow_dynamic (a child's selectors). */
bool ts_parse_any(const char *s, struct traffic_selector *ts, bool allow_dynamic);
static inline bool ts_parse(const char *s, struct traffic_selector *ts)
{
	return ts_parse_any(s, ts, false);
}

/* swanctl's address range "first-last[proto/port]": the addresses and, in t, protocol and ports. */
bool ts_parse_range(const char *s, uint32_t *first, uint32_t *last, struct traffic_selector *t);
/*
 * The address range lo..hi as the fewest prefixes, each with t's protocol and ports, into out (up
 * to max); returns how many it takes, which may be more than max.
 */
int ts_range_split(uint32_t lo, uint32_t hi, const struct traffic_selector *t, struct traffic_selector *out, int max);

/* The selector as it applies to an IKE SA whose address (ours or the peer's, as ts is) is addr. */
static inline struct traffic_selector ts_resolve(const struct traffic_selector *ts, uint32_t addr)
{
	struct traffic_selector r = *ts;
	if (ts->dynamic) {
		r.addr = addr;
		r.mask = 0xffffffffu;
		r.plen = 32;
		r.dynamic = 0;
	}
	return r;
}
/* Field by field: the structure has padding. */
static inline bool ts_equal(const struct traffic_selector *a, const struct traffic_selector *b)
{
	return a->addr == b->addr && a->mask == b->mask && a->proto == b->proto && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && a->dynamic == b->dynamic;
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
