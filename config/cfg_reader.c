/* SPDX-License-Identifier: BSD-3-Clause */
#include "cfg_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/parse.h"
#include "lib/tunnel_copy.h"

int cfg_fail(struct cfg_reader *r, const config_setting_t *s, const char *fmt, ...)
{
	if (r->err[0] != '\0')
		return -1;
	const char *file = s ? config_setting_source_file(s) : NULL;
	int line = s ? (int)config_setting_source_line(s) : 0;
	int n = snprintf(r->err, CFG_ERR_MAX, "%s:%d: ", file ? file : r->file, line);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err + n, CFG_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *setting_label(const config_setting_t *s)
{
	const char *name = config_setting_name(s);
	return name ? name : "entry";
}

int cfg_check_keys(struct cfg_reader *r, const config_setting_t *group, const char *const allowed[])
{
	if (!config_setting_is_group(group))
		return cfg_fail(r, group, "'%s' must be a group { ... }", setting_label(group));
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(m);
		bool ok = false;
		for (int k = 0; allowed[k] && !ok; k++)
			ok = strcmp(name, allowed[k]) == 0;
		if (!ok)
			return cfg_fail(r, m, "unknown key '%s'", name);
	}
	return 0;
}

static const config_setting_t *member(struct cfg_reader *r, const config_setting_t *g, const char *key,
				      bool required, int *rc)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	*rc = 0;
	if (s == NULL && required)
		*rc = cfg_fail(r, g, "missing required key '%s'", key);
	return s;
}

int cfg_get_string(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		   char *out, size_t len)
{
	int rc;
	const config_setting_t *s = member(r, g, key, required, &rc);
	if (s == NULL)
		return rc;
	const char *v = config_setting_get_string(s);
	if (v == NULL)
		return cfg_fail(r, s, "'%s' must be a string", key);
	if (strlen(v) >= len)
		return cfg_fail(r, s, "'%s' is too long (at most %zu characters)", key, len - 1);
	strcpy(out, v);
	return 1;
}

int cfg_get_enum(struct cfg_reader *r, const config_setting_t *g, const char *key, const char *const names[],
		      int *out)
{
	char v[32];
	int rc = cfg_get_string(r, g, key, false, v, sizeof(v));
	if (rc <= 0)
		return rc;
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 1;
		}
	char allowed[256] = "";
	for (int i = 0; names[i]; i++)
		snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed), "%s\"%s\"", i ? ", " : "",
			 names[i]);
	return cfg_fail(r, config_setting_get_member(g, key), "%s must be one of %s", key, allowed);
}

int cfg_get_bool(struct cfg_reader *r, const config_setting_t *g, const char *key, bool *out)
{
	int rc;
	const config_setting_t *s = member(r, g, key, false, &rc);
	if (s == NULL)
		return rc;
	if (config_setting_type(s) == CONFIG_TYPE_BOOL) {
		*out = config_setting_get_bool(s);
		return 1;
	}
	const char *v = config_setting_get_string(s);
	if (v && (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0)) {
		*out = v[0] == 'y';
		return 1;
	}
	return cfg_fail(r, s, "'%s' must be true/false or \"yes\"/\"no\"", key);
}

int cfg_get_tunnel_copy(struct cfg_reader *r, const config_setting_t *g, unsigned *copy)
{
	static const char *const dscps[] = { "no", "in", "out", "yes", NULL };
	static const unsigned dscp_bits[] = { 0, TUNNEL_COPY_DSCP_IN, TUNNEL_COPY_DSCP_OUT,
					      TUNNEL_COPY_DSCP_IN | TUNNEL_COPY_DSCP_OUT };
	bool df = true, ecn = true;
	int dscp = 2;
	const config_setting_t *d = config_setting_get_member(g, "copy_dscp");
	if (d && config_setting_type(d) == CONFIG_TYPE_BOOL) /* copy_dscp = true: "yes" */
		dscp = config_setting_get_bool(d) ? 3 : 0;
	else if (cfg_get_enum(r, g, "copy_dscp", dscps, &dscp) < 0)
		return -1;
	if (cfg_get_bool(r, g, "copy_df", &df) < 0 || cfg_get_bool(r, g, "copy_ecn", &ecn) < 0)
		return -1;
	*copy = (df ? TUNNEL_COPY_DF : 0) | (ecn ? TUNNEL_COPY_ECN : 0) | dscp_bits[dscp];
	return 0;
}

int cfg_get_uint(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		 uint64_t max, uint64_t *out)
{
	int rc;
	const config_setting_t *s = member(r, g, key, required, &rc);
	if (s == NULL)
		return rc;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return cfg_fail(r, s, "'%s' must be an integer", key);
	long long v = config_setting_get_int64(s);
	if (v < 0 || (uint64_t)v > max)
		return cfg_fail(r, s, "'%s' must be between 0 and %llu", key, (unsigned long long)max);
	*out = (uint64_t)v;
	return 1;
}

int cfg_get_number(struct cfg_reader *r, const config_setting_t *g, const char *key, double min, double max,
		   double *out)
{
	int rc;
	const config_setting_t *s = member(r, g, key, false, &rc);
	if (s == NULL)
		return rc;
	int t = config_setting_type(s);
	double v;
	if (t == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else
		return cfg_fail(r, s, "'%s' must be a number", key);
	if (v < min || v > max)
		return cfg_fail(r, s, "'%s' must be between %g and %g", key, min, max);
	*out = v;
	return 1;
}

static int get_scaled(struct cfg_reader *r, const config_setting_t *g, const char *key, uint64_t *out,
		      bool (*parse)(const char *, uint64_t *), const char *what)
{
	int rc;
	const config_setting_t *s = member(r, g, key, false, &rc);
	if (s == NULL)
		return rc;
	int t = config_setting_type(s);
	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		return cfg_get_uint(r, g, key, false, UINT64_MAX, out);
	const char *v = config_setting_get_string(s);
	if (v == NULL || !parse(v, out))
		return cfg_fail(r, s, "'%s' must be %s", key, what);
	return 1;
}

int cfg_get_duration(struct cfg_reader *r, const config_setting_t *g, const char *key, uint64_t *out)
{
	return get_scaled(r, g, key, out, parse_duration, "a time such as 30, \"30s\", \"5m\", \"4h\" or \"1d\"");
}

int cfg_get_count(struct cfg_reader *r, const config_setting_t *g, const char *key, uint64_t *out)
{
	return get_scaled(r, g, key, out, parse_count, "a count such as 1000 or \"4k\", \"100m\", \"1g\"");
}

/* One value into the table: whole, or (split) each of its comma-separated items, trimmed. */
static int put_items(struct cfg_reader *r, const config_setting_t *s, const char *key, const char *v, bool split,
		     char *out, size_t len, int n_max, int *n)
{
	do {
		const char *end = split ? strchr(v, ',') : NULL;
		size_t l = end ? (size_t)(end - v) : strlen(v);
		while (split && l > 0 && (*v == ' ' || *v == '\t'))
			v++, l--;
		while (split && l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t'))
			l--;
		if (split && l == 0)
			return cfg_fail(r, s, "'%s' has an empty item", key);
		if (*n >= n_max)
			return cfg_fail(r, s, "'%s' has more than %d entries", key, n_max);
		if (l >= len)
			return cfg_fail(r, s, "'%s' entry '%.*s' is too long", key, (int)l, v);
		memcpy(out + (size_t)*n * len, v, l);
		out[(size_t)*n * len + l] = '\0';
		(*n)++;
		v = end ? end + 1 : NULL;
	} while (v);
	return 0;
}

static int get_strings(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required, bool split,
		       char *out, size_t len, int n_max, int *n)
{
	int rc;
	const config_setting_t *s = member(r, g, key, required, &rc);
	*n = 0;
	if (s == NULL)
		return rc;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return put_items(r, s, key, config_setting_get_string(s), split, out, len, n_max, n) < 0 ? -1 : 1;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return cfg_fail(r, s, "'%s' must be a string or a list of strings", key);
	int count = config_setting_length(s);
	if (count == 0 && required)
		return cfg_fail(r, s, "'%s' must not be empty", key);
	for (int i = 0; i < count; i++) {
		const char *v = config_setting_get_string_elem(s, i);
		if (v == NULL)
			return cfg_fail(r, s, "'%s' must hold strings only", key);
		if (put_items(r, s, key, v, split, out, len, n_max, n) < 0)
			return -1;
	}
	return 1;
}

int cfg_get_strings(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		    char *out, size_t len, int n_max, int *n)
{
	return get_strings(r, g, key, required, false, out, len, n_max, n);
}

int cfg_get_items(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		  char *out, size_t len, int n_max, int *n)
{
	return get_strings(r, g, key, required, true, out, len, n_max, n);
}

int cfg_get_ts_list(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
		    struct cfg_ts_list *out)
{
	return cfg_get_ts_list_any(r, g, key, required, false, out);
}

int cfg_get_ts_list_any(struct cfg_reader *r, const config_setting_t *g, const char *key, bool required,
			bool allow_dynamic, struct cfg_ts_list *out)
{
	char text[CFG_MAX_TS][96];
	int n;
	int rc = cfg_get_items(r, g, key, required, &text[0][0], sizeof(text[0]), CFG_MAX_TS, &n);
	if (rc <= 0)
		return rc;
	const config_setting_t *s = config_setting_get_member(g, key);
	out->n = 0;
	for (int i = 0; i < n; i++) {
		struct traffic_selector t;
		uint32_t first, last;
		if (ts_parse_range(text[i], &first, &last, &t)) { /* as the prefixes that make it up */
			int k = ts_range_split(first, last, &t, out->ts + out->n, CFG_MAX_TS - out->n);
			if (k > CFG_MAX_TS - out->n)
				return cfg_fail(r, s, "'%s': the range '%s' takes %d prefixes, more than are left of %d", key,
						text[i], k, CFG_MAX_TS);
			out->n += k;
			continue;
		}
		if (out->n == CFG_MAX_TS || !ts_parse_any(text[i], &out->ts[out->n], allow_dynamic))
			return cfg_fail(r, s, "'%s': '%s' is not a traffic selector (a.b.c.d/len[proto/port]%s)", key,
					text[i], allow_dynamic ? ", a range first-last, or dynamic"
								: ", or a range first-last; dynamic is for a connection's children");
		out->n++;
	}
	return 1;
}

const config_setting_t *cfg_get_list(struct cfg_reader *r, const config_setting_t *g, const char *key,
				     int *err)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	*err = 0;
	if (s && !config_setting_is_list(s) && !config_setting_is_array(s)) {
		*err = cfg_fail(r, s, "'%s' must be a list ( ... )", key);
		return NULL;
	}
	return s;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t digest_into(uint64_t h, const config_setting_t *s)
{
	int type = config_setting_type(s);
	const char *name = config_setting_name(s);
	h = fnv1a(h, &type, sizeof(type));
	h = fnv1a(h, name ? name : "", name ? strlen(name) + 1 : 1);
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: {
		long long v = config_setting_get_int64(s);
		return fnv1a(h, &v, sizeof(v));
	}
	case CONFIG_TYPE_FLOAT: {
		double v = config_setting_get_float(s);
		return fnv1a(h, &v, sizeof(v));
	}
	case CONFIG_TYPE_BOOL: {
		int v = config_setting_get_bool(s);
		return fnv1a(h, &v, sizeof(v));
	}
	case CONFIG_TYPE_STRING: {
		const char *v = config_setting_get_string(s);
		return fnv1a(h, v, strlen(v) + 1);
	}
	default: {
		int n = config_setting_length(s);
		h = fnv1a(h, &n, sizeof(n));
		for (int i = 0; i < n; i++)
			h = digest_into(h, config_setting_get_elem(s, (unsigned)i));
		return h;
	}
	}
}

uint64_t cfg_setting_digest(const config_setting_t *s)
{
	return digest_into(0xcbf29ce484222325ULL, s);
}
