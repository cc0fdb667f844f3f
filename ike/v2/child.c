/* SPDX-License-Identifier: BSD-3-Clause */
/* Child SAs (RFC 7296 1.3, 2.9): ESP proposals, traffic selector narrowing, keys, installation. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dataplane/esp_algo.h"
#include "ike_sa.h"
#include "ike/v1/v1_sa.h"
#include "lib/log.h"
#include "lib/parse.h"

int child_proposals(const struct cfg_child *c, struct proposal *out, int max)
{
	int n = proposal_parse_list((char(*)[128])c->esp_proposals, c->n_esp_proposals, PROPOSAL_ESP, out, max);
	/* ESP proposals must carry the ESN transform (RFC 7296 3.3.3): "noesn" unless the config says */
	for (int i = 0; i < n; i++)
		if (out[i].n[TRANS_ESN] == 0)
			out[i].t[TRANS_ESN][out[i].n[TRANS_ESN]++] = (struct transform){ 0, 0 };
	return n;
}

static struct ike_ts range_of(const struct traffic_selector *t)
{
	return (struct ike_ts){ .proto = t->proto, .sport = t->port_lo, .eport = t->port_hi, .saddr = t->addr,
				.eaddr = t->addr | ~t->mask };
}

void child_ts_from_config(const struct cfg_ts_list *l, uint32_t dynamic, struct ike_ts *out, int *n)
{
	*n = 0;
	for (int i = 0; i < l->n && *n < IKE_MAX_TS; i++) {
		struct traffic_selector t = ts_resolve(&l->ts[i], dynamic);
		out[(*n)++] = range_of(&t);
	}
	if (*n == 0) /* swanctl's default: "dynamic" */
		out[(*n)++] = (struct ike_ts){ .sport = 0, .eport = 65535, .saddr = dynamic, .eaddr = dynamic };
}

void child_remote_ts(const struct ike_sa *sa, const struct cfg_child *cfg, struct ike_ts *out, int *n)
{
	if (cfg->remote_ts.n == 0 && sa->vip) { /* a client with a virtual IP: that address, as swanctl's default */
		out[0] = (struct ike_ts){ .sport = 0, .eport = 65535, .saddr = sa->vip, .eaddr = sa->vip };
		*n = 1;
		return;
	}
	child_ts_from_config(&cfg->remote_ts, cp_remote_dynamic(sa), out, n);
}

void child_local_ts(const struct ike_sa *sa, const struct cfg_child *cfg, struct ike_ts *out, int *n)
{
	bool dynamic_only = true;
	for (int i = 0; i < cfg->local_ts.n; i++)
		dynamic_only &= cfg->local_ts.ts[i].dynamic != 0;
	if (dynamic_only && sa->conn->n_vips && sa->own_vip == 0) { /* the responder narrows it to the address it gives */
		out[0] = (struct ike_ts){ .sport = 0, .eport = 65535, .saddr = 0, .eaddr = 0xffffffff };
		*n = 1;
		return;
	}
	if (cfg->local_ts.n == 0 && sa->own_vip) {
		out[0] = (struct ike_ts){ .sport = 0, .eport = 65535, .saddr = sa->own_vip, .eaddr = sa->own_vip };
		*n = 1;
		return;
	}
	child_ts_from_config(&cfg->local_ts, sa->own_vip ? sa->own_vip : sa->local.addr, out, n);
}

static bool intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	out->proto = a->proto ? a->proto : b->proto;
	out->saddr = a->saddr > b->saddr ? a->saddr : b->saddr;
	out->eaddr = a->eaddr < b->eaddr ? a->eaddr : b->eaddr;
	out->sport = a->sport > b->sport ? a->sport : b->sport;
	out->eport = a->eport < b->eport ? a->eport : b->eport;
	return out->saddr <= out->eaddr && out->sport <= out->eport;
}

/*
 * Transport mode through a NAT (RFC 7296 2.23.1): a side's selectors name its address as it knows
 * it, a private one behind the NAT; they stand for the address the IKE SA sees, which is what the
 * packets carry here (as strongSwan substitutes them).
 */
static void nat_transport_ts(struct ike_ts *ts, int n, uint32_t seen)
{
	for (int i = 0; i < n; i++)
		if (ts[i].saddr == ts[i].eaddr)
			ts[i].saddr = ts[i].eaddr = seen;
}

/*
 * The same through a NAT: the peer's TCP and UDP checksums cover the addresses its selectors
 * name, its own and ours as it knows them (the "original addresses" IKEv1 sends as NAT-OA): kept
 * for the dataplane's fix-up (RFC 3948 3.1.2) when each is one host.
 */
static void take_original_addrs(struct child_sa *c, const struct ike_ts *theirs, int nt, const struct ike_ts *ours,
				int no)
{
	if (nt < 1 || no < 1 || theirs[0].saddr != theirs[0].eaddr || ours[0].saddr != ours[0].eaddr)
		return;
	c->has_oa = true;
	c->oa_remote = theirs[0].saddr;
	c->oa_local = ours[0].saddr;
}

/* Narrowing (RFC 7296 2.9): every overlap of a proposed selector with one of ours. */
static int narrow(const struct ike_ts *theirs, int nt, const struct ike_ts *ours, int no, struct ike_ts *out)
{
	int n = 0;
	for (int i = 0; i < nt; i++)
		for (int k = 0; k < no && n < IKE_MAX_TS; k++)
			if (intersect(&theirs[i], &ours[k], &out[n]))
				n++;
	return n;
}

/* An address range as the prefixes the SPD holds (a range of ports stays one selector). */
static int ranges_to_selectors(const struct ike_ts *ts, int n, struct traffic_selector *out, int max)
{
	int count = 0;
	for (int i = 0; i < n && count < max; i++) {
		struct traffic_selector t = { .proto = ts[i].proto, .port_lo = ts[i].sport, .port_hi = ts[i].eport };
		int k = ts_range_split(ts[i].saddr, ts[i].eaddr, &t, out + count, max - count);
		count += k < max - count ? k : max - count; /* what does not fit is left out */
	}
	return count;
}

uint32_t child_alloc_spi(struct ike_daemon *d)
{
	for (unsigned draws = 1;; draws++) {
		uint32_t spi;
		ike_random((uint8_t *)&spi, sizeof(spi));
		if (spi < 0x100)
			continue;
		if (u64map_get(&d->child_spis, spi)) /* IKEv1's are recorded there too */
			continue;
		/* a few draws find one (half the SAD's slots stay free), more would only cost time */
		if (draws < 16 && d->env.spi_preferred && !d->env.spi_preferred(d->env.ctx, spi))
			continue;
		/* Without memory the SPI goes out unrecorded; the dataplane still refuses a duplicate. */
		u64map_put(&d->child_spis, spi, (void *)1);
		return spi;
	}
}

void child_release_spi(struct ike_daemon *d, uint32_t spi)
{
	u64map_del(&d->child_spis, spi);
	if (d->env.await_spi)
		d->env.await_spi(d->env.ctx, spi, false);
}

static uint32_t spi_of(const struct ike_sa_proposal *p)
{
	return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 | p->spi[3];
}

static int esp_alg_of(const struct proposal *p)
{
	uint16_t integ = p->n[TRANS_INTEG] ? p->t[TRANS_INTEG][0].id : 0;
	return esp_algo_from_ike(p->t[TRANS_ENCR][0].id, p->t[TRANS_ENCR][0].key_bits, integ);
}

static uint64_t seconds_ms(uint64_t s)
{
	return s * 1000;
}

uint64_t child_jittered(uint64_t limit, uint64_t rand)
{
	uint64_t r = 0;
	if (rand == 0 || limit == 0)
		return limit;
	ike_random((uint8_t *)&r, sizeof(r));
	r %= rand;
	return r < limit ? limit - r : limit;
}

/* rekey_time less a random part of rand_time, as swanctl spreads rekeys. */
static uint64_t rekey_after_ms(const struct cfg_child *cfg)
{
	return child_jittered(seconds_ms(cfg->rekey_time), seconds_ms(cfg->rand_time));
}

static bool install(struct ike_sa *sa, struct child_sa *c, const uint8_t *key_in, const uint8_t *key_out, bool activate,
		    struct child_sa *replaces)
{
	/* a MOBIKE initiator moves to port 4500 whether or not there is a NAT (RFC 4555 3.2); ESP then
	 * goes in UDP only through a NAT, as the peer sends it */
	bool encap = sa->nat_local || sa->nat_remote || sa->conn->encap || (sa->floated && !sa->mobike);
	const char *method;
	struct ike_child_keys k = {
		.ike_version = 2, .ike_serial = sa->serial,
		.conn = sa->conn->name, .child = c->cfg->name, .spi_in = c->spi_in, .spi_out = c->spi_out,
		.esp_alg = c->esp_alg, .esn = c->esn, .tunnel = c->tunnel, .encap = encap, .local = sa->local,
		.remote = sa->remote, .replay_window = c->cfg->replay_window, .copy = c->cfg->copy,
		.soft_bytes = child_jittered(c->cfg->rekey_bytes, c->cfg->rand_bytes), .hard_bytes = c->cfg->life_bytes,
		.soft_packets = child_jittered(c->cfg->rekey_packets, c->cfg->rand_packets),
		.hard_packets = c->cfg->life_packets, .key_in = key_in, .key_out = key_out, .local_ts = c->local_ts,
		.remote_ts = c->remote_ts, .n_local_ts = c->n_local_ts, .n_remote_ts = c->n_remote_ts,
		.has_oa = c->has_oa && encap && !c->tunnel, .oa_remote = c->oa_remote, .oa_local = c->oa_local,
		.local_id = &sa->id_local, .remote_id = &sa->id_remote, .local_vip = sa->own_vip, .remote_vip = sa->vip,
		.remote_user = ike_eap_identity(sa, &method), .child_cfg = c->cfg,
	};
	c->encap = encap;
	c->handle = sa->d->env.install_child(sa->d->env.ctx, &k, activate, replaces ? replaces->handle : NULL);
	if (c->handle == NULL)
		return false;
	uint64_t now = ike_now(sa->d);
	c->installed_ms = now;
	c->rekey_ms = c->cfg->rekey_time ? now + rekey_after_ms(c->cfg) : 0;
	c->expire_ms = c->cfg->life_time ? now + seconds_ms(c->cfg->life_time) : 0;
	c->next = sa->children;
	sa->children = c;
	child_owned_by(sa, c);
	ike_sa_wake(sa);
	LOG_INFO("%s/%s: child SA installed, SPIs in 0x%08x out 0x%08x, %s, %s%s%s", sa->conn->name, c->cfg->name,
		 c->spi_in, c->spi_out, esp_algos[c->esp_alg].name, c->tunnel ? "tunnel" : "transport",
		 encap ? ", UDP-encapsulated" : "", replaces ? ", replacing an older SA" : "");
	return true;
}

bool child_install(struct ike_sa *sa, struct child_sa *c, const uint8_t *dh, size_t dh_len, const uint8_t *ni,
		   size_t ni_len, const uint8_t *nr, size_t nr_len, bool activate, struct child_sa *replaces)
{
	uint8_t i_to_r[128], r_to_i[128];
	/* TSi is the side of whoever started the exchange (RFC 7296 2.9) */
	bool mine_i = c->exchange_initiator;
	struct traffic_selector local[IKE_MAX_TS], remote[IKE_MAX_TS];
	int n_local = ranges_to_selectors(mine_i ? c->ts_i : c->ts_r, mine_i ? c->n_ts_i : c->n_ts_r, local, IKE_MAX_TS);
	int n_remote = ranges_to_selectors(mine_i ? c->ts_r : c->ts_i, mine_i ? c->n_ts_r : c->n_ts_i, remote, IKE_MAX_TS);
	if (!child_keep(&c->local_ts, &c->n_local_ts, local, n_local, sizeof(local[0])) ||
	    !child_keep(&c->remote_ts, &c->n_remote_ts, remote, n_remote, sizeof(remote[0])))
		return false;
	struct child_sa *waits_for = NULL;
	if (activate && replaces == NULL && (replaces = ike_reauth_predecessor(sa, c->cfg)) != NULL)
		sa->reauth_took_over = true;
	else if (activate && replaces == NULL && (waits_for = ike_reauth_by_peer_replaces(sa, c)) != NULL)
		activate = false;
	bool ok = ike_child_keymat(sa, c->esp_alg, dh, dh_len, ni, ni_len, nr, nr_len, i_to_r, r_to_i);
	/* the initiator of the exchange that made the child sends with the first half of KEYMAT */
	if (ok)
		ok = c->exchange_initiator ? install(sa, c, r_to_i, i_to_r, activate, replaces)
					   : install(sa, c, i_to_r, r_to_i, activate, replaces);
	OPENSSL_cleanse(i_to_r, sizeof(i_to_r));
	OPENSSL_cleanse(r_to_i, sizeof(r_to_i));
	if (ok && waits_for)
		child_wait_to_replace(sa, c, waits_for, HANDOVER_REAUTH_MS);
	return ok;
}

bool child_parse_request(const struct ike_message *msg, struct child_request *r)
{
	const struct ike_payload *sap = ike_find(msg, PL_SA), *ti = ike_find(msg, PL_TSI), *tr = ike_find(msg, PL_TSR);
	if (!sap || !ti || !tr)
		return false;
	r->n_props = sa_payload_parse(sap, r->props, IKE_MAX_PROPOSALS);
	r->n_tsi = ts_payload_parse(ti, r->tsi, IKE_MAX_TS);
	r->n_tsr = ts_payload_parse(tr, r->tsr, IKE_MAX_TS);
	for (int i = 0; i < r->n_props; i++)
		r->p[i] = r->props[i].protocol == PROTO_ESP && r->props[i].spi_size == 4 ? r->props[i].p : (struct proposal){ 0 };
	r->transport = ike_find_notify(msg, N_USE_TRANSPORT_MODE) != NULL;
	return r->n_props > 0 && r->n_tsi >= 0 && r->n_tsr >= 0;
}

uint16_t child_match(const struct ike_sa *sa, const struct cfg_child *cfg, const struct child_request *r,
		     bool ignore_dh, struct child_sa *c, int *which)
{
	struct proposal ours[CFG_MAX_PROPOSALS], chosen;
	struct ike_ts our_l[IKE_MAX_TS], our_r[IKE_MAX_TS];
	int nl, nr;
	*which = proposal_select(ours, child_proposals(cfg, ours, CFG_MAX_PROPOSALS), r->p, r->n_props, ignore_dh, &chosen);
	if (*which < 0 || (c->esp_alg = esp_alg_of(&chosen)) < 0)
		return N_NO_PROPOSAL_CHOSEN;
	if (r->transport != (cfg->mode == IPSEC_MODE_TRANSPORT))
		return N_NO_PROPOSAL_CHOSEN;
	child_remote_ts(sa, cfg, our_r, &nr);
	child_local_ts(sa, cfg, our_l, &nl);
	struct ike_ts ts_i[IKE_MAX_TS], ts_r[IKE_MAX_TS], tsi[IKE_MAX_TS], tsr[IKE_MAX_TS];
	memcpy(tsi, r->tsi, (size_t)r->n_tsi * sizeof(tsi[0]));
	memcpy(tsr, r->tsr, (size_t)r->n_tsr * sizeof(tsr[0]));
	c->has_oa = false;
	if (r->transport && (sa->nat_remote || sa->nat_local))
		take_original_addrs(c, r->tsi, r->n_tsi, r->tsr, r->n_tsr);
	if (r->transport && sa->nat_remote)
		nat_transport_ts(tsi, r->n_tsi, sa->remote.addr);
	if (r->transport && sa->nat_local)
		nat_transport_ts(tsr, r->n_tsr, sa->local.addr);
	int ni = narrow(tsi, r->n_tsi, our_r, nr, ts_i), nt = narrow(tsr, r->n_tsr, our_l, nl, ts_r);
	if (ni == 0 || nt == 0)
		return N_TS_UNACCEPTABLE;
	if (!child_keep(&c->ts_i, &c->n_ts_i, ts_i, ni, sizeof(ts_i[0])) ||
	    !child_keep(&c->ts_r, &c->n_ts_r, ts_r, nt, sizeof(ts_r[0])))
		return N_NO_PROPOSAL_CHOSEN; /* out of memory */
	c->cfg = cfg;
	c->esn = chosen.n[TRANS_ESN] && chosen.t[TRANS_ESN][0].id == 1;
	c->tunnel = !r->transport;
	c->spi_out = spi_of(&r->props[*which]);
	c->dh_group = chosen.n[TRANS_DH] ? chosen.t[TRANS_DH][0].id : 0;
	return 0;
}

void child_add_response(struct ike_builder *b, const struct child_sa *c, const struct child_request *r, int which,
			bool ignore_dh)
{
	struct proposal ours[CFG_MAX_PROPOSALS], chosen;
	proposal_select(ours, child_proposals(c->cfg, ours, CFG_MAX_PROPOSALS), &r->p[which], 1, ignore_dh, &chosen);
	struct ike_sa_proposal sp = { .num = r->props[which].num, .protocol = PROTO_ESP, .spi_size = 4, .p = chosen };
	for (int k = 0; k < 4; k++)
		sp.spi[k] = (uint8_t)(c->spi_in >> (24 - 8 * k));
	if (!c->tunnel)
		notify_add(b, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
	sa_payload_add(b, &sp, 1);
	ts_payload_add(b, PL_TSI, c->ts_i, c->n_ts_i);
	ts_payload_add(b, PL_TSR, c->ts_r, c->n_ts_r);
}

void child_add_request(struct ike_sa *sa, struct ike_builder *b, const struct cfg_child *c, uint32_t spi_in,
		       bool with_dh, const struct ike_ts *tsi, int n_tsi, const struct ike_ts *tsr, int n_tsr)
{
	struct proposal props[CFG_MAX_PROPOSALS];
	struct ike_sa_proposal sp[CFG_MAX_PROPOSALS];
	int n = child_proposals(c, props, CFG_MAX_PROPOSALS);
	const struct ike_env *env = &sa->d->env;
	if (env->await_spi) /* the peer may send on it as soon as it answers */
		env->await_spi(env->ctx, spi_in, true);
	for (int i = 0; i < n; i++) {
		sp[i] = (struct ike_sa_proposal){ .num = (uint8_t)(i + 1), .protocol = PROTO_ESP, .spi_size = 4, .p = props[i] };
		if (!with_dh)
			sp[i].p.n[TRANS_DH] = 0; /* no key exchange inside IKE_AUTH */
		for (int k = 0; k < 4; k++)
			sp[i].spi[k] = (uint8_t)(spi_in >> (24 - 8 * k));
	}
	if (c->mode == IPSEC_MODE_TRANSPORT)
		notify_add(b, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
	sa_payload_add(b, sp, n);
	ts_payload_add(b, PL_TSI, tsi, n_tsi);
	ts_payload_add(b, PL_TSR, tsr, n_tsr);
}

uint16_t child_respond(struct ike_sa *sa, const struct ike_message *msg, struct ike_builder *b, bool ignore_dh)
{
	struct child_request r;
	int which = -1;
	uint16_t err = N_NO_PROPOSAL_CHOSEN;
	struct child_sa *c = calloc(1, sizeof(*c));
	if (c == NULL || !child_parse_request(msg, &r)) {
		child_free(c);
		return N_INVALID_SYNTAX;
	}
	for (int i = 0; i < sa->conn->n_children && err; i++) {
		uint16_t e = child_match(sa, &sa->conn->children[i], &r, ignore_dh, c, &which);
		if (e == N_TS_UNACCEPTABLE || err != N_TS_UNACCEPTABLE)
			err = e;
	}
	if (err) {
		LOG_WARN("%s: child SA refused (%s)", sa->conn->name,
			 err == N_TS_UNACCEPTABLE ? "traffic selectors unacceptable" : "no ESP proposal chosen");
		child_free(c);
		return err;
	}
	c->spi_in = child_alloc_spi(sa->d);
	c->exchange_initiator = false;
	if (!child_install(sa, c, NULL, 0, sa->ni, sa->ni_len, sa->nr, sa->nr_len, true, NULL)) {
		child_free(c);
		return N_NO_PROPOSAL_CHOSEN;
	}
	child_add_response(b, c, &r, which, ignore_dh);
	return 0;
}

/* Every selector of want lies within one of have. */
static bool ts_within_list(const struct ike_ts *want, int nw, const struct ike_ts *have, int nh)
{
	for (int i = 0; i < nw; i++) {
		struct ike_ts o;
		bool inside = false;
		for (int k = 0; k < nh && !inside; k++)
			inside = intersect(&want[i], &have[k], &o) && o.proto == want[i].proto && o.saddr == want[i].saddr &&
				 o.eaddr == want[i].eaddr && o.sport == want[i].sport && o.eport == want[i].eport;
		if (!inside)
			return false;
	}
	return true;
}

/* The responder may only narrow what the initiator proposed (RFC 7296 2.9), never widen it. */
static bool narrowed_from_ours(const struct ike_sa *sa, const struct cfg_child *cfg, const struct child_request *r)
{
	struct ike_ts our_l[IKE_MAX_TS], our_r[IKE_MAX_TS];
	int nl, nr;
	child_local_ts(sa, cfg, our_l, &nl);
	child_remote_ts(sa, cfg, our_r, &nr);
	return ts_within_list(r->tsi, r->n_tsi, our_l, nl) && ts_within_list(r->tsr, r->n_tsr, our_r, nr);
}

bool child_accept_response(struct ike_sa *sa, const struct cfg_child *cfg, const struct ike_message *msg,
			   bool ignore_dh, struct child_sa *c)
{
	struct child_request r;
	struct proposal ours[CFG_MAX_PROPOSALS], chosen;
	struct ike_notify n;
	for (int i = 0; i < msg->n; i++)
		if (msg->pl[i].type == PL_NOTIFY && notify_parse(&msg->pl[i], &n) && n.type <= N_ERROR_MAX) {
			LOG_WARN("%s/%s: the peer refused the child SA (notify %u)", sa->conn->name, cfg->name, n.type);
			return false;
		}
	if (!child_parse_request(msg, &r) || r.n_props != 1 ||
	    proposal_select(ours, child_proposals(cfg, ours, CFG_MAX_PROPOSALS), r.p, 1, ignore_dh, &chosen) != 0 ||
	    (c->esp_alg = esp_alg_of(&chosen)) < 0 || r.transport != (cfg->mode == IPSEC_MODE_TRANSPORT)) {
		LOG_WARN("%s/%s: unacceptable child SA in the response", sa->conn->name, cfg->name);
		return false;
	}
	if (r.transport && (sa->nat_remote || sa->nat_local))
		take_original_addrs(c, r.tsr, r.n_tsr, r.tsi, r.n_tsi);
	if (r.transport && sa->nat_local)
		nat_transport_ts(r.tsi, r.n_tsi, sa->local.addr);
	if (r.transport && sa->nat_remote)
		nat_transport_ts(r.tsr, r.n_tsr, sa->remote.addr);
	if (!sa->local_ts_given && !narrowed_from_ours(sa, cfg, &r)) {
		LOG_WARN("%s/%s: the responder's traffic selectors go beyond what we proposed", sa->conn->name, cfg->name);
		return false;
	}
	c->cfg = cfg;
	c->spi_out = spi_of(&r.props[0]);
	c->esn = chosen.n[TRANS_ESN] && chosen.t[TRANS_ESN][0].id == 1;
	c->tunnel = !r.transport;
	c->dh_group = chosen.n[TRANS_DH] ? chosen.t[TRANS_DH][0].id : 0;
	c->exchange_initiator = true;
	return child_keep(&c->ts_i, &c->n_ts_i, r.tsi, r.n_tsi, sizeof(r.tsi[0])) &&
	       child_keep(&c->ts_r, &c->n_ts_r, r.tsr, r.n_tsr, sizeof(r.tsr[0]));
}

bool child_complete(struct ike_sa *sa, const struct ike_message *msg)
{
	struct child_sa *c = calloc(1, sizeof(*c));
	if (c == NULL || !child_accept_response(sa, sa->child_cfg, msg, true, c)) {
		child_free(c);
		child_release_spi(sa->d, sa->child_spi_in); /* refused: nothing will come for it */
		sa->child_spi_in = 0;
		return false;
	}
	c->spi_in = sa->child_spi_in;
	if (!child_install(sa, c, NULL, 0, sa->ni, sa->ni_len, sa->nr, sa->nr_len, true, NULL)) {
		child_free(c);
		return false;
	}
	sa->child_spi_in = 0; /* the child's now: it may outlive this IKE SA (moved by a rekey) */
	return true;
}

struct child_sa *child_by_spi(struct ike_sa *sa, uint32_t spi, bool outbound)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if ((outbound ? c->spi_out : c->spi_in) == spi)
			return c;
	return NULL;
}

bool child_keep(void *dst, int *n_dst, const void *src, int n, size_t size)
{
	void *old, *copy = n > 0 ? malloc((size_t)n * size) : NULL;
	if (n > 0 && copy == NULL)
		return false;
	if (n > 0)
		memcpy(copy, src, (size_t)n * size);
	/* dst is a typed pointer field: read and written as bytes, not through a void ** */
	memcpy(&old, dst, sizeof(old));
	free(old);
	memcpy(dst, &copy, sizeof(copy));
	*n_dst = n;
	return true;
}

void child_free(struct child_sa *c)
{
	if (c == NULL)
		return;
	free(c->local_ts);
	free(c->remote_ts);
	free(c->ts_i);
	free(c->ts_r);
	if (c->xn_i)
		OPENSSL_clear_free(c->xn_i, c->xn_i_len + c->xn_r_len);
	free(c);
}

/* Without memory a child is only not found by its SPI when the dataplane reports a lifetime. */
void child_owned_by(struct ike_sa *sa, const struct child_sa *c)
{
	u64map_put(&sa->d->child_owner, c->spi_in, sa);
}

static void child_disowned(struct ike_sa *sa, const struct child_sa *c)
{
	if (u64map_get(&sa->d->child_owner, c->spi_in) == sa)
		u64map_del(&sa->d->child_owner, c->spi_in);
}

void child_destroy(struct ike_sa *sa, struct child_sa *c)
{
	for (struct child_sa **pp = &sa->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	child_handover_gone(sa, c);
	if (c->handle)
		sa->d->env.remove_child(sa->d->env.ctx, c->handle);
	LOG_INFO("%s/%s: child SA 0x%08x/0x%08x removed", sa->conn->name, c->cfg->name, c->spi_in, c->spi_out);
	child_disowned(sa, c);
	child_release_spi(sa->d, c->spi_in);
	child_free(c);
}
