/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpike-load RESPONDER [options]: opens --sas IKEv2 SAs (with --ikev1 ISAKMP SAs; PSK, one child
 * each) against a responder, each with an ID and inner address of its own, spread over --ports
 * source ports, at --rate per second or as fast as --concurrency allows; then optionally holds
 * them for --hold seconds (with DPD every --dpd-delay), deletes them (unless --no-delete), and
 * reports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "load.h"

/* SA_IKE_UP: IKE SA established, its child not (yet) installed; SA_UP: both. */
enum sa_state { SA_UNKNOWN, SA_KEYING, SA_IKE_UP, SA_UP, SA_GONE };

struct run {
	const struct load_options *o;
	struct load_result r;
	struct ike_daemon *d;
	struct load_sockets *s;
	uint64_t *start_us; /* by IKE SA serial: when we sent its IKE_SA_INIT */
	uint8_t *state;     /* by IKE SA serial: one of enum sa_state */
	uint32_t serial_cap, in_flight, n_up_now;
	uint32_t *fresh, n_fresh; /* SAs that came up in the last batch of input: their child must follow */
	bool holding, deleting;
	uint32_t gone_deleting; /* IKE SAs gone while deleting, whatever their state was */
};

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dpike-load RESPONDER [options]\n"
		   "  -n, --sas N            IKE SAs to open, one child each (1000)\n"
		   "  -r, --rate R           new handshakes per second; 0: as fast as possible (0)\n"
		   "  -c, --concurrency C    handshakes in flight at most (256)\n"
		   "  -l, --local ADDR       our address (the kernel's choice towards RESPONDER)\n"
		   "  -p, --ports K          source ports to spread the SAs over (64), from --base-port (10000)\n"
		   "      --psk SECRET       pre-shared key (\"dpike-load\")\n"
		   "      --id FORMAT        our IDs, %%u the SA's number (\"load-%%u@dpike.test\")\n"
		   "      --remote-id ID     the responder's ID (%%any)\n"
		   "      --ikev1            IKEv1: Main Mode, then the child by Quick Mode\n"
		   "      --proposal P       IKE proposal (aes128gcm16-prfsha256-x25519; IKEv1: aes128-sha256-x25519)\n"
		   "      --esp P            child proposal (aes128gcm16)\n"
		   "      --inner-net NET    each SA's child proposes one host of NET as its local selector (10.128.0.0/9)\n"
		   "      --vips             each SA asks the responder for a virtual IP (its pools; IKEv2's\n"
		   "                         Configuration payload, IKEv1's Mode Config) instead, and its child\n"
		   "                         proposes any address (IKEv1: the one given)\n"
		   "      --remote-ts TS     the child's remote selector (10.0.0.0/9)\n"
		   "      --hold S           keep the SAs up S seconds after the last handshake (0)\n"
		   "      --dpd-delay S      probe idle SAs with DPD every S seconds while holding (0: never)\n"
		   "      --timeout S        stop waiting for handshakes, and for the deletes at the end, after S\n"
		   "                         seconds (120)\n"
		   "      --no-delete        leave the SAs on the responder at the end; by default they are deleted\n"
		   "                         as leaving clients do (IKEv2: --concurrency Delete exchanges at a time;\n"
		   "                         IKEv1: at the rate the SAs came up)\n"
		   "      --ke-reuse S       our key pair serves every IKE_SA_INIT for S seconds, up to 60 (0: one per\n"
		   "                         SA); halves the generator's key exchange work, not the responder's;\n"
		   "                         against a responder that reuses its own pair (dpike's ike.ke_reuse)\n"
		   "                         the shared secret is derived once, not per handshake\n"
		   "      --json             the report as JSON\n"
		   "  -v, --verbose          dpike's IKE log at info level on stderr\n");
}

/* The whole of s as a number of 0 to max; or false, said on stderr. */
static bool whole_arg(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (*s == '\0' || strchr(s, '-') || *end != '\0' || errno || v > max) {
		fprintf(stderr, "dpike-load: --%s: not a whole number of 0 to %llu: '%s'\n", opt, (unsigned long long)max, s);
		return false;
	}
	*out = v;
	return true;
}

/* The whole of s as a number of seconds, 0 or more; or false, said on stderr. */
static bool seconds_arg(const char *opt, const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !isfinite(v) || v < 0) {
		fprintf(stderr, "dpike-load: --%s: not a number of seconds: '%s'\n", opt, s);
		return false;
	}
	*out = v;
	return true;
}

/* One of the numeric options, by its short name; false when its value is refused. */
static bool number_option(int c, const char *arg, struct load_options *o)
{
	uint64_t v = 0;
	switch (c) {
	case 'n': return whole_arg("sas", arg, UINT32_MAX, &v) && (o->sas = (uint32_t)v, true);
	case 'r': return whole_arg("rate", arg, UINT32_MAX, &v) && (o->rate = (uint32_t)v, true);
	case 'c': return whole_arg("concurrency", arg, UINT32_MAX, &v) && (o->concurrency = (uint32_t)v, true);
	case 'p': return whole_arg("ports", arg, UINT16_MAX, &v) && (o->n_ports = (uint16_t)v, true);
	case 'B': return whole_arg("base-port", arg, UINT16_MAX, &v) && (o->base_port = (uint16_t)v, true);
	case 'H': return seconds_arg("hold", arg, &o->hold_s);
	case 'D': return seconds_arg("dpd-delay", arg, &o->dpd_delay_s);
	case 'W': return seconds_arg("timeout", arg, &o->timeout_s);
	case 'k': return seconds_arg("ke-reuse", arg, &o->ke_reuse_s);
	}
	return false;
}

static int parse_options(int argc, char **argv, struct load_options *o)
{
	static const struct option longs[] = {
		{ "sas", 1, NULL, 'n' }, { "rate", 1, NULL, 'r' }, { "concurrency", 1, NULL, 'c' },
		{ "local", 1, NULL, 'l' }, { "ports", 1, NULL, 'p' }, { "base-port", 1, NULL, 'B' },
		{ "psk", 1, NULL, 'K' }, { "id", 1, NULL, 'I' }, { "remote-id", 1, NULL, 'R' },
		{ "proposal", 1, NULL, 'P' }, { "esp", 1, NULL, 'E' }, { "inner-net", 1, NULL, 'N' },
		{ "remote-ts", 1, NULL, 'T' }, { "hold", 1, NULL, 'H' }, { "dpd-delay", 1, NULL, 'D' },
		{ "timeout", 1, NULL, 'W' }, { "ke-reuse", 1, NULL, 'k' }, { "ikev1", 0, NULL, '1' },
		{ "json", 0, NULL, 'j' }, { "verbose", 0, NULL, 'v' }, { "no-delete", 0, NULL, 'X' }, { "vips", 0, NULL, 'V' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	*o = (struct load_options){ .sas = 1000, .concurrency = 256, .base_port = 10000, .n_ports = 64,
				    .psk = "dpike-load", .id_format = "load-%u@dpike.test", .remote_id = "%any",
				    .esp = "aes128gcm16", .inner_net = "10.128.0.0/9", .remote_ts = "10.0.0.0/9",
				    .timeout_s = 120, .version = 2 };
	int c;
	uint8_t plen;
	while ((c = getopt_long(argc, argv, "n:r:c:l:p:vh", longs, NULL)) != -1) {
		switch (c) {
		case 'n': case 'r': case 'c': case 'p': case 'B': case 'H': case 'D': case 'W': case 'k':
			if (!number_option(c, optarg, o))
				return -1;
			break;
		case 'l':
			if (!parse_ipv4_prefix(optarg, &o->local, &plen, true) || plen != 32)
				return fprintf(stderr, "dpike-load: --local: not an IPv4 address: %s\n", optarg), -1;
			break;
		case 'K': o->psk = optarg; break;
		case 'I': o->id_format = optarg; break;
		case 'R': o->remote_id = optarg; break;
		case 'P': o->proposal = optarg; break;
		case 'E': o->esp = optarg; break;
		case 'N': o->inner_net = optarg; break;
		case 'T': o->remote_ts = optarg; break;
		case '1': o->version = 1; break;
		case 'j': o->json = true; break;
		case 'X': o->keep = true; break;
		case 'V': o->vips = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1 || !parse_ipv4_prefix(argv[optind], &o->responder, &plen, true) || plen != 32) {
		usage(stderr);
		return -1;
	}
	if (o->proposal == NULL) /* IKEv1 has no AEAD for its own messages */
		o->proposal = o->version == 1 ? "aes128-sha256-x25519" : "aes128gcm16-prfsha256-x25519";
	uint32_t last_port = (uint32_t)o->base_port + o->n_ports - 1;
	bool ports_ok = o->n_ports && o->n_ports <= LOAD_MAX_PORTS && o->base_port > IKE_NATT_PORT && last_port <= 65535;
	if (!(o->ke_reuse_s >= 0 && o->ke_reuse_s <= 60)) {
		fprintf(stderr, "dpike-load: --ke-reuse must be 0 to 60 seconds\n");
		return -1;
	}
	if (o->sas == 0 || o->concurrency == 0 || !ports_ok) {
		fprintf(stderr, "dpike-load: --sas and --concurrency must be above 0, --ports 1 to %d, and the ports above "
				"4500 and at most 65535\n", LOAD_MAX_PORTS);
		return -1;
	}
	if (!parse_ipv4_prefix(o->inner_net, &o->inner_base, &plen, false) || plen > 30) {
		fprintf(stderr, "dpike-load: --inner-net: not an IPv4 network of at least 4 addresses: %s\n", o->inner_net);
		return -1;
	}
	o->inner_hosts = (1u << (32 - plen)) - 2; /* without network and broadcast addresses */
	if (strstr(o->id_format, "%u") == NULL || strchr(strchr(o->id_format, '%') + 1, '%') != NULL) {
		fprintf(stderr, "dpike-load: --id needs exactly one %%u\n");
		return -1;
	}
	return 0;
}

static void addr_text(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* s as the inside of a libconfig string: quotes, backslashes and control characters escaped. */
static const char *escaped(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	for (; *s && o + 5 < len; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		if ((unsigned char)*s < 0x20)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", (unsigned char)*s);
		else
			buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

/* The generator's side as a dpike configuration: so proposals, IDs and selectors mean what they mean there. */
static int write_config(const struct load_options *o, char *path, size_t path_len)
{
	char local[16], remote[16], e[5][1024];
	addr_text(o->local, local, sizeof(local));
	addr_text(o->responder, remote, sizeof(remote));
	snprintf(path, path_len, "/tmp/dpike-load.XXXXXX");
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL)
		return -1;
	fprintf(f, "log_level = \"%s\";\n", o->verbose ? "info" : "error");
	/* the interface only satisfies the parser: local_addrs says where IKE goes from */
	fprintf(f, "interfaces = ( { name = \"load\"; device = \"none\"; address = \"%s/24\"; } );\n", local);
	fprintf(f, "ike = { retransmit_timeout = 2.0; retransmit_tries = 3; ke_reuse = %g; };\n", o->ke_reuse_s);
	fprintf(f, "connections = ( { name = \"load\"; version = %d; local_addrs = [\"%s\"]; remote_addrs = [\"%s\"];%s\n"
		   "  proposals = [\"%s\"]; dpd_delay = %.0f; rekey_time = 0; reauth_time = 0;\n"
		   "  local = { auth = \"psk\"; }; remote = { auth = \"psk\"; id = \"%s\"; };\n"
		   "  children = ( { name = \"c\"; remote_ts = [\"%s\"]; esp_proposals = [\"%s\"]; rekey_time = 0; "
		   "life_time = 0; } ); } );\n",
		o->version, local, remote, o->vips ? " vips = \"0.0.0.0\";" : "", escaped(o->proposal, e[0], sizeof(e[0])),
		o->dpd_delay_s,
		escaped(o->remote_id, e[1], sizeof(e[1])), escaped(o->remote_ts, e[2], sizeof(e[2])),
		escaped(o->esp, e[3], sizeof(e[3])));
	fprintf(f, "secrets = ( { type = \"ike\"; secret = \"%s\"; } );\n", escaped(o->psk, e[4], sizeof(e[4])));
	return fclose(f) == 0 ? 0 : -1;
}

static void send_cb(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		    const uint8_t *msg, size_t len)
{
	struct run *r = ctx;
	load_sockets_send(r->s, local, remote, msg, len);
}

/* No NAT between generator and responder is assumed: keepalives would only add load. */
static void keepalive_cb(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote)
{
	(void)ctx, (void)local, (void)remote;
}

/* The generator keeps no ESP: the child counts as installed, and completes its SA's handshake. */
static void *install_cb(void *ctx, const struct ike_child_keys *k, bool activate, void *replaces)
{
	struct run *r = ctx;
	(void)activate, (void)replaces;
	if (k->ike_serial < r->serial_cap && r->state[k->ike_serial] == SA_IKE_UP) {
		uint64_t t = now_us();
		r->r.latency_us[r->r.up++] = (uint32_t)(t - r->start_us[k->ike_serial]);
		r->r.last_up_us = t;
		r->n_up_now++;
		r->state[k->ike_serial] = SA_UP;
		if (k->ike_version == 1)
			r->in_flight--; /* Quick Mode ended the handshake; IKEv2's ended with IKE_AUTH */
	}
	return ctx;
}

static void activate_cb(void *ctx, void *handle, void *replaces)
{
	(void)ctx, (void)handle, (void)replaces;
}

static void remove_cb(void *ctx, void *handle)
{
	(void)ctx, (void)handle;
}

static void usage_cb(void *ctx, void *handle, uint64_t *bi, uint64_t *bo, uint64_t *pi, uint64_t *po)
{
	(void)ctx, (void)handle;
	*bi = *bo = *pi = *po = 0;
}

static uint64_t now_ms_cb(void *ctx)
{
	(void)ctx;
	return now_us() / 1000;
}

/* Counts the SA as failed; callers whose SA was still in flight take it out first. */
static void fail(struct run *r, uint32_t serial, enum ike_fail why)
{
	r->r.failed++;
	r->r.fail_by[why]++;
	r->state[serial] = SA_GONE;
}

static void event_cb(void *ctx, uint32_t serial, bool up, enum ike_fail why)
{
	struct run *r = ctx;
	if (serial >= r->serial_cap)
		return;
	uint8_t *st = &r->state[serial];
	if (*st == SA_KEYING && up && r->o->version == 1) {
		*st = SA_IKE_UP; /* Quick Mode follows: in flight until its child is installed */
	} else if (*st == SA_KEYING && up) {
		*st = SA_IKE_UP; /* the child is installed, or refused, before ike_input() returns */
		r->in_flight--;
		r->fresh[r->n_fresh++] = serial;
	} else if (*st == SA_KEYING || (*st == SA_IKE_UP && !up && r->o->version == 1)) {
		r->in_flight--;
		fail(r, serial, why);
	} else if (*st == SA_UP && !up && r->deleting) {
		r->n_up_now--;
		*st = SA_GONE;
		if (why == IKE_FAIL_NONE)
			r->r.deleted++;
		else
			r->r.delete_failed++; /* our Delete unanswered */
	} else if (*st == SA_UP && !up) {
		r->r.lost_after_up++;
		r->r.fail_by[why == IKE_FAIL_NONE ? IKE_FAIL_DELETED : why]++;
		r->n_up_now--;
		*st = SA_GONE;
	}
	if (!up && r->deleting)
		r->gone_deleting++;
}

/* IKE SAs that came up without their child in the input just handled: the child was refused. */
static void settle_fresh(struct run *r)
{
	for (uint32_t i = 0; i < r->n_fresh; i++)
		if (r->state[r->fresh[i]] == SA_IKE_UP)
			fail(r, r->fresh[i], IKE_FAIL_CHILD);
	r->n_fresh = 0;
}

static void start_one(struct run *r)
{
	const struct load_options *o = r->o;
	uint32_t i = r->r.started;
	char id[256];
	struct traffic_selector ts = { .addr = o->inner_base + 1 + i % o->inner_hosts, .mask = ~0u, .plen = 32,
				       .port_hi = 65535 };
	snprintf(id, sizeof(id), o->id_format, i);
	struct ike_endpoint local = { o->local, (uint16_t)(o->base_port + i % o->n_ports) };
	uint64_t t = now_us();
	uint32_t serial = ike_initiate_as(r->d, "load", &local, id, o->vips ? NULL : &ts);
	r->r.started++;
	if (r->r.first_start_us == 0)
		r->r.first_start_us = t;
	if (serial == 0 || serial >= r->serial_cap) {
		r->r.failed++;
		r->r.fail_by[IKE_FAIL_OTHER]++;
		return;
	}
	r->start_us[serial] = t;
	r->state[serial] = SA_KEYING;
	r->in_flight++;
}

/*
 * Starts the handshakes due at t; returns the microseconds until --rate lets the next one start
 * (0: not waiting for it).
 */
static uint64_t launch(struct run *r, uint64_t t)
{
	const struct load_options *o = r->o;
	while (r->r.started < o->sas && r->in_flight < o->concurrency) {
		if (o->rate && r->r.started) {
			uint64_t due = r->r.first_start_us + (uint64_t)r->r.started * 1000000u / o->rate;
			if (t < due)
				return due - t;
		}
		start_one(r);
	}
	return 0;
}

static void pump(struct run *r, uint64_t *next_tick, int wait_ms)
{
	load_sockets_poll(r->s, r->d, wait_ms);
	settle_fresh(r);
	uint64_t t = now_us();
	if (t >= *next_tick) {
		ike_tick(r->d);
		*next_tick = t + 100000;
	}
}

/* The CPU time this process has used, all threads, in microseconds. */
static uint64_t cpu_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void handshakes(struct run *r)
{
	uint64_t deadline = now_us() + (uint64_t)(r->o->timeout_s * 1e6), next_tick = 0, cpu0 = cpu_us();
	while (r->r.up + r->r.failed < r->o->sas && now_us() < deadline) {
		uint64_t next_start_us = launch(r, now_us());
		int wait_ms = r->in_flight >= r->o->concurrency || r->r.started == r->o->sas ? 1 : 0;
		if (next_start_us) /* at a chosen rate: sleep in the poll until the next start (ticks stay on time) */
			wait_ms = next_start_us < 100000 ? (int)(next_start_us / 1000) : 100;
		pump(r, &next_tick, wait_ms);
	}
	r->r.handshake_cpu_us = cpu_us() - cpu0;
	/* still keying at --timeout: failed for lack of an answer in time (IKEv1: its Quick Mode) */
	for (uint32_t serial = 0; serial < r->serial_cap; serial++)
		if (r->state[serial] == SA_KEYING || (r->state[serial] == SA_IKE_UP && r->o->version == 1)) {
			r->in_flight--;
			fail(r, serial, r->state[serial] == SA_KEYING ? IKE_FAIL_TIMEOUT : IKE_FAIL_CHILD);
		}
}

static void hold(struct run *r)
{
	uint64_t end = now_us() + (uint64_t)(r->o->hold_s * 1e6), next_tick = 0;
	uint64_t rx0 = load_sockets_rx(r->s), tx0 = load_sockets_tx(r->s);
	r->holding = true;
	while (now_us() < end)
		pump(r, &next_tick, 20);
	/* answers to the last probes are still on their way: let them in, starting nothing new (no tick) */
	uint64_t settle = now_us() + 2000000;
	while (load_sockets_rx(r->s) - rx0 < load_sockets_tx(r->s) - tx0 && now_us() < settle)
		load_sockets_poll(r->s, r->d, 1);
	r->r.dpd_sent = load_sockets_tx(r->s) - tx0;
	r->r.dpd_answered = load_sockets_rx(r->s) - rx0;
	r->r.up_at_end = r->n_up_now;
}

/*
 * How many more Deletes may go now. IKEv2's are answered: --concurrency in flight at a time.
 * IKEv1's are not (the SA goes at once, and a Delete the responder drops is lost): they are paced
 * at the rate the SAs came up, which the responder took.
 */
static uint32_t deletes_allowed(const struct run *r, uint32_t started, uint64_t since_us)
{
	uint32_t in_flight = started > r->gone_deleting ? started - r->gone_deleting : 0;
	if (r->o->version == 2)
		return in_flight < r->o->concurrency ? r->o->concurrency - in_flight : 0;
	double up_s = (double)(r->r.last_up_us - r->r.first_start_us) / 1e6;
	double rate = r->o->rate ? r->o->rate : up_s > 0 ? r->r.up / up_s : 1000;
	uint64_t due = 1 + (uint64_t)((double)(now_us() - since_us) / 1e6 * rate);
	uint64_t more = due > started ? due - started : 0;
	return (uint32_t)(more < r->o->concurrency ? more : r->o->concurrency);
}

/*
 * Deletes every established IKE SA (and so its child) until the daemon holds none, or --timeout
 * passes: SAs busy with an exchange (a DPD) are taken when it is done, and SAs still keying
 * leave when they give up.
 */
static void teardown(struct run *r)
{
	uint64_t t0 = now_us(), deadline = t0 + (uint64_t)(r->o->timeout_s * 1e6), next_tick = 0;
	uint32_t started = 0;
	r->deleting = true;
	while (now_us() < deadline) {
		uint32_t allowed = deletes_allowed(r, started, t0);
		unsigned more = allowed ? ike_delete_established(r->d, "load", allowed) : 0;
		started += more;
		if (more == 0 && ike_sa_count(r->d) == 0)
			break;
		pump(r, &next_tick, more ? 0 : 1);
	}
	r->r.delete_asked = started;
	r->r.delete_us = now_us() - t0;
	r->r.left_at_end = ike_sa_count(r->d);
}

static int setup(struct run *r, struct dpike_config *cfg, char *cfg_path, size_t cfg_path_len)
{
	char err[CFG_ERR_MAX];
	if (write_config(r->o, cfg_path, cfg_path_len) < 0 || config_load(cfg_path, cfg, err) < 0) {
		fprintf(stderr, "dpike-load: %s\n", cfg_path[0] ? err : "cannot write the configuration");
		return -1;
	}
	log_set_level((enum log_level)cfg->log_level);
	r->serial_cap = r->o->sas * 2 + 16; /* room for the serials of rekeyed or restarted SAs */
	r->start_us = calloc(r->serial_cap, sizeof(*r->start_us));
	r->state = calloc(r->serial_cap, sizeof(*r->state));
	r->fresh = calloc(r->serial_cap, sizeof(*r->fresh));
	r->r.latency_us = calloc(r->o->sas, sizeof(*r->r.latency_us));
	r->s = load_sockets_open(r->o->local, r->o->base_port, r->o->n_ports, err, sizeof(err));
	if (r->start_us == NULL || r->state == NULL || r->fresh == NULL || r->r.latency_us == NULL || r->s == NULL) {
		fprintf(stderr, "dpike-load: %s\n", r->s ? "out of memory" : err);
		return -1;
	}
	struct ike_env env = { .send = send_cb, .send_keepalive = keepalive_cb, .install_child = install_cb,
			       .activate_child = activate_cb, .remove_child = remove_cb, .child_usage = usage_cb,
			       .now_ms = now_ms_cb, .ike_event = event_cb, .ctx = r, .remember_ke_secret = true,
			       .batch_key_exchanges = true };
	r->d = ike_daemon_create(cfg, NULL, &env);
	return r->d ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct load_options o;
	struct dpike_config cfg;
	struct run r = { .o = &o };
	char cfg_path[64] = "";
	if (parse_options(argc, argv, &o) < 0)
		return 2;
	if (o.local == 0 && (o.local = load_route_source(o.responder)) == 0) {
		fprintf(stderr, "dpike-load: no route to the responder; give --local\n");
		return 2;
	}
	int rc = setup(&r, &cfg, cfg_path, sizeof(cfg_path));
	if (cfg_path[0])
		unlink(cfg_path);
	if (rc < 0)
		return 2;
	handshakes(&r);
	if (o.hold_s > 0)
		hold(&r);
	else
		r.r.up_at_end = r.n_up_now;
	if (!o.keep)
		teardown(&r);
	struct strbuf sb;
	sb_init(&sb);
	r.r.send_lost = load_sockets_send_lost(r.s);
	ike_stats(r.d, true, &sb);
	snprintf(r.r.ike_stats, sizeof(r.r.ike_stats), "{%s}", sb.buf ? sb.buf : "");
	sb_free(&sb);
	load_report(&o, &r.r);
	ike_daemon_destroy(r.d);
	load_sockets_close(r.s);
	config_free(&cfg);
	free(r.start_us);
	free(r.state);
	free(r.fresh);
	free(r.r.latency_us);
	bool all_deleted = o.keep || (r.r.delete_failed == 0 && r.r.left_at_end == 0);
	return r.r.up == o.sas && r.r.lost_after_up == 0 && all_deleted ? 0 : 1;
}
