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

bool ts_parse_any(const char *s, struct traffic_selector *ts, bool allow_dynamic)
{
	char buf[96];
	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	memset(ts, 0, sizeof(*ts));
	ts->port_hi = 65535;
	char *br = strchr(buf, '[');
	if (br) {
		size_t n = strlen(br);
		if (br[n - 1] != ']')
			return false;
		br[n - 1] = '\0';
		*br = '\0';
		if (!parse_proto_port(br + 1, ts))
			return false;
	}
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
