/* SPDX-License-Identifier: BSD-3-Clause */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_ulong(const char *s, char **end, unsigned long long max, unsigned long long *v)
{
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, end, 10);
	return errno == 0 && *v <= max;
}

bool parse_ipv4(const char *s, uint32_t *addr)
{
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		unsigned long long octet;
		char *end;
		if (!parse_ulong(s, &end, 255, &octet) || end - s > 3)
			return false;
		a = a << 8 | (uint32_t)octet;
		if (i < 3 && *end != '.')
			return false;
		s = end + (i < 3);
		if (i == 3 && *end != '\0')
			return false;
	}
	*addr = a;
	return true;
}

bool parse_ipv4_prefix(const char *s, uint32_t *addr, uint8_t *len, bool allow_host)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (!parse_ipv4(buf, addr))
		return false;
	*len = 32;
	if (slash) {
		unsigned long long l;
		char *end;
		if (!parse_ulong(slash + 1, &end, 32, &l) || *end != '\0')
			return false;
		*len = (uint8_t)l;
	}
	if (!allow_host && (*addr & ~prefix_mask(*len)) != 0)
		return false;
	return true;
}

bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int parse_hex(const char *s, uint8_t *out, size_t cap)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	size_t n = strlen(s);
	if (n == 0 || n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

static bool parse_scaled(const char *s, const char *units, const uint64_t *scale, uint64_t *value)
{
	unsigned long long v;
	char *end;
	if (!parse_ulong(s, &end, UINT64_MAX, &v))
		return false;
	uint64_t mul = 1;
	if (*end != '\0') {
		const char *u = strchr(units, tolower((unsigned char)*end));
		if (u == NULL || end[1] != '\0')
			return false;
		mul = scale[u - units];
	}
	if (v > UINT64_MAX / mul)
		return false;
	*value = v * mul;
	return true;
}

bool parse_duration(const char *s, uint64_t *seconds)
{
	static const uint64_t scale[] = { 1, 60, 3600, 86400 };
	return parse_scaled(s, "smhd", scale, seconds);
}

bool parse_count(const char *s, uint64_t *value)
{
	static const uint64_t scale[] = { 1024, 1024 * 1024, 1024 * 1024 * 1024 };
	return parse_scaled(s, "kmg", scale, value);
}

void format_ipv4(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}
