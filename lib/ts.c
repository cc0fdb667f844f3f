/* SPDX-License-Identifier: BSD-3-Clause */
#include "ts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static const struct {
	const char *name;
	uint8_t num;
} proto_names[] = { { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 }, { "esp", 50 }, { "sctp", 132 } };

static bool parse_proto(const char *s, uint8_t *proto)
{
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (strcmp(s, proto_names[i].name) == 0) {
			*proto = proto_names[i].num;
			return true;
		}
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v > 255)
		return false;
	*proto = (uint8_t)v;
	return true;
}

static bool parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* "proto", "proto/port", "proto/lo-hi", "proto/%any" */
static bool parse_proto_port(char *s, struct traffic_selector *ts)
{
	char *slash = strchr(s, '/');
	if (slash)
		*slash = '\0';
	if (strcmp(s, "%any") != 0 && !parse_proto(s, &ts->proto))
		return false;
	if (slash == NULL || strcmp(slash + 1, "%any") == 0)
		return true;
	char *dash = strchr(slash + 1, '-');
	if (dash)
		*dash = '\0';
	if (!parse_port(slash + 1, &ts->port_lo))
		return false;
	ts->port_hi = ts->port_lo;
	if (dash && !parse_port(dash + 1, &ts->port_hi))
		return false;
	return ts->port_lo <= ts->port_hi;
}

/* The address part of s into buf, and its "[proto/port]", if any, into ts (else any protocol and port). */
static bool split_proto_port(const char *s, char *buf, size_t len, struct traffic_selector *ts)
{
	if (strlen(s) >= len)
		return false;
	strcpy(buf, s);
	memset(ts, 0, sizeof(*ts));
	ts->port_hi = 65535;
	char *br = strchr(buf, '[');
	if (br == NULL)
		return true;
	size_t n = strlen(br);
	if (br[n - 1] != ']')
		return false;
	br[n - 1] = '\0';
	*br = '\0';
	return parse_proto_port(br + 1, ts);
}

bool ts_parse_range(const char *s, uint32_t *first, uint32_t *last, struct traffic_selector *t)
{
	char buf[96];
	if (!split_proto_port(s, buf, sizeof(buf), t))
		return false;
	char *dash = strchr(buf, '-');
	if (dash == NULL)
		return false;
	*dash = '\0';
	return parse_ipv4(buf, first) && parse_ipv4(dash + 1, last) && *first <= *last;
}

int ts_range_split(uint32_t lo, uint32_t hi, const struct traffic_selector *t, struct traffic_selector *out, int max)
{
	int count = 0;
	for (uint64_t at = lo; at <= hi; count++) {
		uint8_t plen = 32;
		while (plen > 0 && (at & ((1ULL << (33 - plen)) - 1)) == 0 && at + (1ULL << (33 - plen)) - 1 <= hi)
			plen--;
		if (count < max) {
			out[count] = *t;
			out[count].addr = (uint32_t)at;
			out[count].plen = plen;
			out[count].mask = prefix_mask(plen);
			out[count].dynamic = 0;
		}
		at += 1ULL << (32 - plen);
	}
	return count;
}

bool ts_parse_any(const char *s, struct traffic_selector *ts, bool allow_dynamic)
{
	char buf[96];
	if (!split_proto_port(s, buf, sizeof(buf), ts))
		return false;
	if (strcmp(buf, "dynamic") == 0) { /* resolved by IKE, not valid for static use */
		ts->dynamic = 1;
		ts->plen = 32;
		ts->mask = 0xffffffffu;
		return allow_dynamic;
	}
	if (!parse_ipv4_prefix(buf, &ts->addr, &ts->plen, false))
		return false;
	ts->mask = prefix_mask(ts->plen);
	return true;
}

void ts_format(const struct traffic_selector *ts, char *buf, size_t len)
{
	char a[16], prefix[24];
	format_ipv4(ts->addr, a, sizeof(a));
	if (ts->dynamic)
		snprintf(prefix, sizeof(prefix), "dynamic");
	else
		snprintf(prefix, sizeof(prefix), "%s/%u", a, ts->plen);
	if (ts->proto == 0 && ts->port_lo == 0 && ts->port_hi == 65535)
		snprintf(buf, len, "%s", prefix);
	else if (ts->port_lo == 0 && ts->port_hi == 65535)
		snprintf(buf, len, "%s[%u]", prefix, ts->proto);
	else if (ts->port_lo == ts->port_hi)
		snprintf(buf, len, "%s[%u/%u]", prefix, ts->proto, ts->port_lo);
	else
		snprintf(buf, len, "%s[%u/%u-%u]", prefix, ts->proto, ts->port_lo, ts->port_hi);
}
