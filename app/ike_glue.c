/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKE daemon inside the appliance: IKE datagrams arrive through the punt path and
 * leave through a worker (routed, never matched against IPsec policies); negotiated
 * child SAs are installed in the workers' tables with their policies.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "appliance.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/spi_awaited.h"
#include "dataplane/tables.h"
#include "ike/x25519.h"
#include "lib/log.h"
#include "updown.h"


/* What the dataplane holds for one child SA; its selectors are kept to add its policies later. */
struct child_handle {
	struct esp_sa *in, *out;
	uint64_t owner;
	bool active;
	bool up; /* told to updown: from its first activation, or its predecessor's, to its removal */
	struct updown_child *updown;
};

/* An IPv4/UDP packet from local to remote carrying head then body, sent through a worker. */
static void send_udp(struct appliance *app, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		     const uint8_t *head, size_t head_len, const uint8_t *body, size_t len)
{
	size_t total = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + head_len + len;
	struct rte_mbuf *m = rte_pktmbuf_alloc(app->pool);
	uint8_t *p = m && total <= UINT16_MAX ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)total) : NULL;
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)total);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(local->addr);
	ip->dst_addr = rte_cpu_to_be_32(remote->addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = rte_cpu_to_be_16(local->port);
	u->dst_port = rte_cpu_to_be_16(remote->port);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(total - sizeof(*ip)));
	u->dgram_cksum = 0;
	memcpy(u + 1, head, head_len);
	memcpy((uint8_t *)(u + 1) + head_len, body, len);
	u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	/* routed only: IKE must never be caught by the policies it negotiates */
	control_inject(app, m, DP_INJECT_ROUTE, 0);
}

static void ike_send_cb(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote,
			const uint8_t *msg, size_t len)
{
	static const uint8_t marker[NON_ESP_MARKER];
	send_udp(ctx, local, remote, marker, local->port == IKE_NATT_PORT ? NON_ESP_MARKER : 0, msg, len);
}

static void ike_keepalive_cb(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote)
{
	static const uint8_t keepalive = 0xff;
	send_udp(ctx, local, remote, NULL, 0, &keepalive, 1);
}

void ike_glue_input(struct appliance *app, struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t ihl = rte_ipv4_hdr_len(ip), len = rte_pktmbuf_pkt_len(m);
	if (app->ike == NULL || len < ihl + sizeof(struct rte_udp_hdr))
		return;
	const struct rte_udp_hdr *u = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, ihl);
	const uint8_t *payload = (const uint8_t *)(u + 1);
	size_t plen = len - ihl - sizeof(*u);
	struct ike_endpoint local = { rte_be_to_cpu_32(ip->dst_addr), rte_be_to_cpu_16(u->dst_port) };
	struct ike_endpoint remote = { rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_16(u->src_port) };
	if (local.port == IKE_NATT_PORT) {
		static const uint8_t zero[NON_ESP_MARKER];
		if (plen < NON_ESP_MARKER || memcmp(payload, zero, NON_ESP_MARKER) != 0)
			return;
		payload += NON_ESP_MARKER;
		plen -= NON_ESP_MARKER;
	}
	ike_input(app->ike, &local, &remote, payload, plen);
}

static void fill_params(const struct ike_child_keys *k, bool inbound, struct esp_sa_params *p)
{
	memset(p, 0, sizeof(*p));
	p->spi = inbound ? k->spi_in : k->spi_out;
	p->inbound = inbound;
	p->tunnel = k->tunnel;
	p->udp_encap = k->encap;
	p->esn = k->esn;
	p->alg = &esp_algos[k->esp_alg];
	p->key = inbound ? k->key_in : k->key_out;
	p->local = k->local.addr;
	p->remote = k->remote.addr;
	p->local_port = k->local.port;
	p->remote_port = k->remote.port;
	p->has_oa = k->has_oa;
	p->oa_remote = k->oa_remote;
	p->oa_local = k->oa_local;
	p->replay_window = k->replay_window;
	p->copy = k->copy;
	p->soft_bytes = k->soft_bytes;
	p->hard_bytes = k->hard_bytes;
	p->soft_packets = k->soft_packets;
	p->hard_packets = k->hard_packets;
	p->local_ts = k->local_ts;
	p->n_local_ts = k->n_local_ts;
	p->remote_ts = k->remote_ts;
	p->n_remote_ts = k->n_remote_ts;
}

/* A policy pair per pair of selectors, as the SAs carry them (local_ts is our side in both). */
static int add_policies(const struct child_handle *h)
{
	const struct esp_sa *sa = h->out;
	for (int l = 0; l < sa->n_local_ts; l++)
		for (int r = 0; r < sa->n_remote_ts; r++) {
			struct dp_policy po = { .src = sa->local_ts[l], .dst = sa->remote_ts[r], .action = DP_POLICY_PROTECT,
						.sa = h->out };
			struct dp_policy pi = { .src = sa->remote_ts[r], .dst = sa->local_ts[l], .action = DP_POLICY_REQUIRE };
			po.priority = dp_policy_priority(&po.src, &po.dst, DP_RANK_SA);
			pi.priority = dp_policy_priority(&pi.src, &pi.dst, DP_RANK_SA);
			if (dp_policy_add(&po, h->owner) < 0 || dp_policy_add(&pi, h->owner) < 0)
				return -1;
		}
	return 0;
}

static bool same_ts_lists(const struct traffic_selector *a, int na, const struct traffic_selector *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (!ts_equal(&a[i], &b[i]))
			return false;
	return true;
}

/* A rekey that kept the selectors: the old child's policies pass to this one in place. */
static bool take_over_policies(struct child_handle *h, struct child_handle *replaces)
{
	const struct esp_sa *a = h->out, *b = replaces->out;
	return same_ts_lists(a->local_ts, a->n_local_ts, b->local_ts, b->n_local_ts) &&
	       same_ts_lists(a->remote_ts, a->n_remote_ts, b->remote_ts, b->n_remote_ts) &&
	       dp_sa_supersede(replaces->out, h->out, replaces->owner, h->owner) == 0;
}

/* updown hears of a child once it is up; a child that takes over from one that is up is a rekey, no news. */
static void tell_up(struct child_handle *h, struct child_handle *replaces)
{
	if (h->up)
		return;
	h->up = true;
	if (replaces && replaces->up) {
		replaces->up = false;
		updown_child_succeeds(h->updown, replaces->updown);
	} else {
		updown_queue(h->updown, true);
	}
}

/*
 * The child's policies replace those of the child it rekeys with no gap: taken over in place
 * when the selectors are the same, which leaves the workers' flow caches be; otherwise the
 * new ones go in first (the newest of equal priority win), then the old ones leave.
 */
static int activate(struct child_handle *h, struct child_handle *replaces)
{
	if (!h->active && replaces && replaces->active && take_over_policies(h, replaces)) {
		h->active = true;
		replaces->active = false;
		tell_up(h, replaces);
		return 0;
	}
	if (!h->active && add_policies(h) < 0) {
		dp_policy_remove_owner(h->owner);
		return -1;
	}
	h->active = true;
	if (replaces && replaces->active) {
		dp_policy_remove_owner(replaces->owner);
		replaces->active = false;
	}
	tell_up(h, replaces);
	return 0;
}

static void activate_child_cb(void *ctx, void *handle, void *replaces)
{
	(void)ctx;
	if (activate(handle, replaces) < 0)
		LOG_ERR("cannot publish the policies of a rekeyed child SA");
}

static void add_record(struct appliance *app, const struct ike_child_keys *k, struct esp_sa *sa)
{
	struct sa_record r;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s/%s", k->conn, k->child);
	snprintf(r.source, sizeof(r.source), "ikev%d", k->ike_version);
	r.replay_window = k->replay_window;
	r.sa = sa;
	r.ike_spi_in = k->spi_in;
	r.installed = time(NULL);
	sa_records_add(app, &r);
}

/* The name of the interface with addr, for updown's PLUTO_INTERFACE. */
static const char *iface_of(const struct appliance *app, uint32_t addr)
{
	for (int i = 0; i < app->cfg.n_ifaces; i++)
		if (app->cfg.ifaces[i].addr == addr)
			return app->cfg.ifaces[i].name;
	return "";
}

static void *install_child_cb(void *ctx, const struct ike_child_keys *k, bool active, void *replaces)
{
	static uint64_t owners = 0x300000000ULL;
	struct appliance *app = ctx;
	struct esp_sa_params pin, pout;
	char err[128];
	struct child_handle *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	fill_params(k, true, &pin);
	fill_params(k, false, &pout);
	h->owner = ++owners;
	h->updown = k->child_cfg ? updown_child_new(k, k->child_cfg, iface_of(app, k->local.addr)) : NULL;
	/* make before break: the inbound SA is in place before anything is sent on the outbound one */
	h->in = dp_sa_install(&pin, err, sizeof(err));
	h->out = h->in ? dp_sa_install(&pout, err, sizeof(err)) : NULL;
	if (h->out == NULL || (active && activate(h, replaces) < 0)) {
		LOG_ERR("%s/%s: cannot install the child SA: %s", k->conn, k->child, err);
		dp_policy_remove_owner(h->owner);
		if (h->in)
			dp_sa_remove(h->in);
		if (h->out)
			dp_sa_remove(h->out);
		updown_child_free(h->updown);
		free(h);
		return NULL;
	}
	add_record(app, k, h->in);
	add_record(app, k, h->out);
	esp_held_release(app, k->spi_in); /* what came for it before it was in */
	if (active)
		traps_release(app, k->conn, k->child);
	return h;
}

static void move_child_cb(void *ctx, void *handle, const struct ike_endpoint *remote)
{
	(void)ctx;
	struct child_handle *h = handle;
	if (h->in)
		esp_sa_move_peer(h->in, remote->addr, remote->port);
	if (h->out)
		esp_sa_move_peer(h->out, remote->addr, remote->port);
}

static void remove_child_cb(void *ctx, void *handle)
{
	struct appliance *app = ctx;
	struct child_handle *h = handle;
	sa_records_remove(app, h->in);
	sa_records_remove(app, h->out);
	dp_policy_remove_owner(h->owner);
	dp_sa_remove(h->out);
	dp_sa_remove(h->in);
	if (h->up)
		updown_queue(h->updown, false);
	updown_child_free(h->updown);
	free(h);
}

static void child_usage_cb(void *ctx, void *handle, uint64_t *bin, uint64_t *bout, uint64_t *pin, uint64_t *pout)
{
	(void)ctx;
	const struct child_handle *h = handle;
	*bin = __atomic_load_n(&h->in->bytes, __ATOMIC_RELAXED);
	*pin = __atomic_load_n(&h->in->packets, __ATOMIC_RELAXED);
	*bout = __atomic_load_n(&h->out->bytes, __ATOMIC_RELAXED);
	*pout = __atomic_load_n(&h->out->packets, __ATOMIC_RELAXED);
}

static void await_spi_cb(void *ctx, uint32_t spi, bool awaited)
{
	if (awaited)
		dp_spi_await(spi); /* full: that SA's early packets are dropped, as without */
	else
		esp_held_forget(ctx, spi);
}

static bool spi_preferred_cb(void *ctx, uint32_t spi)
{
	(void)ctx;
	return dp_sa_spi_preferred(spi);
}

static uint64_t now_cb(void *ctx)
{
	(void)ctx;
	return app_now_ms();
}

int ike_glue_start(struct appliance *app)
{
	if (traps_install(app) < 0) {
		LOG_ERR("cannot install the trap policies");
		return -1;
	}
	ike_start(app->ike);
	return 0;
}

int ike_glue_init(struct appliance *app)
{
	struct ike_env env = { .send = ike_send_cb, .send_keepalive = ike_keepalive_cb, .install_child = install_child_cb,
			       .activate_child = activate_child_cb,
			       .remove_child = remove_child_cb, .move_child = move_child_cb, .child_usage = child_usage_cb, .now_ms = now_cb,
			       .spi_preferred = spi_preferred_cb, .await_spi = await_spi_cb, .ctx = app, .batch_key_exchanges = true };
	app->ike = ike_daemon_create(&app->cfg, app->creds, &env);
	LOG_INFO("X25519 key pairs and derivations in hand together: %s", x25519_batch_available() ?
		 x25519_batch_name() : "no (neither AVX-512 IFMA nor AVX2 here: OpenSSL one by one)");
	return app->ike ? 0 : -1;
}

void ike_glue_fini(struct appliance *app)
{
	ike_daemon_destroy(app->ike);
	app->ike = NULL;
	updown_drain(UPDOWN_SHUTDOWN_MS); /* the children's down runs, as strongSwan makes them when it stops */
	traps_fini();
}
