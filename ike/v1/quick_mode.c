/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Quick Mode (RFC 2409 5.5): one ESP SA pair per exchange, under the ISAKMP SA.
 *   I: [HASH(1), SA, Ni, [KE], [IDci, IDcr]]
 *   R: [HASH(2), SA, Nr, [KE], [IDci, IDcr]]
 *   I: [HASH(3)]
 * The responder installs the SA pair when it answers and starts sending on it at HASH(3),
 * so the initiator, which sends as soon as it has the answer, loses nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dataplane/esp_algo.h"
#include "ike/identity.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "v1_sa.h"

#define QUICK_LINGER_MS 30000
#define REKEY_OVERLAP_MS 5000
#define OUTBOUND_SWITCH_MS 1000
#define ID_IPV4_ADDR_SUBNET 4
#define ID_IPV4_ADDR_RANGE 7

static uint64_t now_of(const struct v1_sa *sa)
{
	return sa->d->env.now_ms(sa->d->env.ctx);
}

static uint16_t v1_auth_of(uint16_t integ)
{
	switch (integ) {
	case 1: return AUTH_ALG_HMAC_MD5;
	case 5: return AUTH_ALG_AES_XCBC;
	case 2: return AUTH_ALG_HMAC_SHA1;
	case 12: return AUTH_ALG_HMAC_SHA2_256;
	case 13: return AUTH_ALG_HMAC_SHA2_384;
	case 14: return AUTH_ALG_HMAC_SHA2_512;
	default: return 0;
	}
}

static uint16_t integ_of_v1(uint64_t auth)
{
	switch (auth) {
	case AUTH_ALG_HMAC_MD5: return 1;
	case AUTH_ALG_AES_XCBC: return 5;
	case AUTH_ALG_HMAC_SHA1: return 2;
	case AUTH_ALG_HMAC_SHA2_256: return 12;
	case AUTH_ALG_HMAC_SHA2_384: return 13;
	case AUTH_ALG_HMAC_SHA2_512: return 14;
	default: return 0;
	}
}

static uint16_t encap_mode(const struct v1_sa *sa, bool tunnel)
{
	if (sa->floated)
		return tunnel ? ENCAP_UDP_TUNNEL : ENCAP_UDP_TRANSPORT;
	return tunnel ? ENCAP_TUNNEL : ENCAP_TRANSPORT;
}

static void put_attr(struct v1_attrs *a, uint16_t type, uint64_t value)
{
	if (a->n < V1_MAX_ATTRS) {
		a->type[a->n] = type;
		a->value[a->n++] = value;
	}
}

/*
 * Our ESP proposal: one transform per cipher x integrity of the child's esp_proposals, with
 * the PFS group given, or (group < 0) each with the first group of its own proposal.
 */
static void esp_proposal(const struct v1_sa *sa, const struct cfg_child *c, uint32_t spi, int group,
			 struct v1_proposal *p)
{
	struct proposal props[CFG_MAX_PROPOSALS];
	int n = child_proposals(c, props, CFG_MAX_PROPOSALS);
	memset(p, 0, sizeof(*p));
	p->num = 1;
	p->protocol = PROTO_ESP;
	p->spi_size = 4;
	for (int k = 0; k < 4; k++)
		p->spi[k] = (uint8_t)(spi >> (24 - 8 * k));
	for (int i = 0; i < n; i++)
		for (int e = 0; e < props[i].n[TRANS_ENCR]; e++)
			for (int h = 0; h < (props[i].n[TRANS_INTEG] ? props[i].n[TRANS_INTEG] : 1) && p->n < V1_MAX_TRANSFORMS;
			     h++) {
				const struct transform *enc = &props[i].t[TRANS_ENCR][e];
				uint16_t integ = props[i].n[TRANS_INTEG] ? props[i].t[TRANS_INTEG][h].id : 0;
				/* what the dataplane has and IKEv1 can name (no ChaCha20-Poly1305, no AES-CMAC) */
				if (enc->id == 28 || esp_algo_from_ike(enc->id, enc->key_bits, integ) < 0 ||
				    (integ && v1_auth_of(integ) == 0))
					continue;
				struct v1_transform *t = &p->t[p->n++];
				t->num = (uint8_t)p->n;
				t->id = (uint8_t)enc->id;
				put_attr(&t->attrs, P2_ENCAP, encap_mode(sa, c->mode == IPSEC_MODE_TUNNEL));
				put_attr(&t->attrs, P2_LIFE_TYPE, LIFE_SECONDS);
				put_attr(&t->attrs, P2_LIFE, c->life_time ? c->life_time : 3600);
				if (enc->key_bits) /* none for NULL */
					put_attr(&t->attrs, P2_KEY_LEN, enc->key_bits);
				if (integ)
					put_attr(&t->attrs, P2_AUTH, v1_auth_of(integ));
				int g = group >= 0 ? group : props[i].n[TRANS_DH] ? props[i].t[TRANS_DH][0].id : 0;
				if (g)
					put_attr(&t->attrs, P2_GROUP, (uint64_t)g);
			}
}

static int esp_alg_of(const struct v1_transform *t)
{
	uint64_t bits = 0, auth = 0;
	v1_attr(&t->attrs, P2_KEY_LEN, &bits);
	v1_attr(&t->attrs, P2_AUTH, &auth);
	return esp_algo_from_ike(t->id, (uint16_t)bits, integ_of_v1(auth));
}

/* Tunnel or transport as the child wants, with or without UDP (RFC 3947 and its drafts' values). */
static bool same_mode(const struct cfg_child *c, const struct v1_transform *t)
{
	uint64_t e = ENCAP_TUNNEL;
	v1_attr(&t->attrs, P2_ENCAP, &e);
	bool tunnel = e == ENCAP_TUNNEL || e == ENCAP_UDP_TUNNEL || e == ENCAP_UDP_TUNNEL_DRAFT;
	bool transport = e == ENCAP_TRANSPORT || e == ENCAP_UDP_TRANSPORT || e == ENCAP_UDP_TRANSPORT_DRAFT;
	return c->mode == IPSEC_MODE_TUNNEL ? tunnel : transport;
}

/* Is the peer's transform one of ours (mode, cipher, key length, integrity, PFS group)? */
static bool acceptable(const struct v1_sa *sa, const struct cfg_child *c, const struct v1_transform *t, int group)
{
	if (!same_mode(c, t))
		return false;
	struct v1_proposal ours;
	esp_proposal(sa, c, 0, group, &ours);
	static const uint16_t keys[] = { P2_KEY_LEN, P2_AUTH, P2_GROUP };
	for (int i = 0; i < ours.n; i++) {
		bool same = ours.t[i].id == t->id;
		for (size_t k = 0; same && k < sizeof(keys) / sizeof(keys[0]); k++) {
			uint64_t x = 0, y = 0;
			same = v1_attr(&ours.t[i].attrs, keys[k], &x) == v1_attr(&t->attrs, keys[k], &y) && x == y;
		}
		if (same)
			return esp_alg_of(t) >= 0;
	}
	return false;
}

static uint16_t pfs_group(const struct cfg_child *c)
{
	struct proposal p[CFG_MAX_PROPOSALS];
	int n = child_proposals(c, p, CFG_MAX_PROPOSALS);
	return n > 0 && p[0].n[TRANS_DH] ? p[0].t[TRANS_DH][0].id : 0;
}

/* A host selector, any protocol and port. */
static struct traffic_selector host_ts(uint32_t addr)
{
	return (struct traffic_selector){ .addr = addr, .mask = 0xffffffff, .plen = 32, .port_hi = 65535 };
}

/* The selectors of one side of a Quick Mode: an ID payload's, as prefixes. */
#define V1_SEL_MAX 8
struct v1_sel {
	struct traffic_selector ts[V1_SEL_MAX];
	int n;
	const struct ike_payload *id; /* as it came; NULL when there was none */
};

/* What an ID payload we send names: the addresses lo..hi, a protocol and a port (0: any). */
struct v1_id {
	uint32_t lo, hi;
	uint8_t proto;
	uint16_t port;
};

static struct v1_id id_of(const struct traffic_selector *t)
{
	return (struct v1_id){ .lo = t->addr, .hi = t->addr | ~t->mask, .proto = t->proto,
			       .port = t->port_lo == t->port_hi ? t->port_lo : 0 };
}

/* An address, the subnet the addresses make, or else their range (RFC 2407 4.6.2.1). */
static void add_id(struct ike_builder *b, const struct v1_id *id)
{
	uint32_t span = id->hi - id->lo;
	bool subnet = (span & (span + 1)) == 0 && (id->lo & span) == 0;
	ike_payload_begin(b, ISA_ID);
	wire_put_u8(&b->w, span == 0 ? ID_IPV4_ADDR : subnet ? ID_IPV4_ADDR_SUBNET : ID_IPV4_ADDR_RANGE);
	wire_put_u8(&b->w, id->proto);
	wire_put_be16(&b->w, id->port);
	wire_put_be32(&b->w, id->lo);
	if (span != 0)
		wire_put_be32(&b->w, subnet ? ~span : id->hi);
	ike_payload_end(b);
}

/*
 * An ID payload's selector: an address or subnet, or a range (RFC 2407 4.6.2.1), which is taken
 * as the prefixes that make it up (IKEv1 cannot narrow it) when there are no more than
 * V1_SEL_MAX of them.
 */
static bool parse_selector(const struct ike_payload *p, struct v1_sel *sel)
{
	struct wire_reader r;
	struct traffic_selector t = { 0 };
	wire_reader_init(&r, p->body, p->len);
	uint8_t type = wire_get_u8(&r);
	t.proto = wire_get_u8(&r);
	uint16_t port = wire_get_be16(&r);
	t.port_lo = port;
	t.port_hi = port ? port : 65535;
	uint32_t a = wire_get_be32(&r), b = type == ID_IPV4_ADDR ? 0xffffffff : wire_get_be32(&r);
	sel->id = p;
	sel->n = 0;
	if (!wire_ok(&r) || wire_left(&r) != 0)
		return false;
	if (type == ID_IPV4_ADDR_RANGE) {
		int n = a <= b ? ts_range_split(a, b, &t, sel->ts, V1_SEL_MAX) : 0;
		sel->n = n <= V1_SEL_MAX ? n : 0;
		return sel->n > 0;
	}
	if (type != ID_IPV4_ADDR && type != ID_IPV4_ADDR_SUBNET)
		return false;
	uint8_t plen = 0;
	while (plen < 32 && (b & (0x80000000u >> plen)))
		plen++;
	if (b != prefix_mask(plen))
		return false;
	t.addr = a & b;
	t.mask = b;
	t.plen = plen;
	sel->ts[sel->n++] = t;
	return true;
}

/* The peer's ID payload again, byte for byte, in our answer. */
static void echo_selector(struct ike_builder *b, const struct ike_payload *id)
{
	ike_payload_begin(b, ISA_ID);
	wire_put_bytes(&b->w, id->body, id->len);
	ike_payload_end(b);
}

/* Is the selector within the list? An empty list is swanctl's "dynamic": the IKE address. */
static bool ts_within(const struct traffic_selector *in, const struct cfg_ts_list *l, uint32_t dynamic)
{
	if (l->n == 0)
		return in->plen == 32 && in->addr == dynamic;
	for (int i = 0; i < l->n; i++) {
		struct traffic_selector resolved = ts_resolve(&l->ts[i], dynamic);
		const struct traffic_selector *o = &resolved;
		if (in->plen >= o->plen && (in->addr & o->mask) == o->addr && (!o->proto || o->proto == in->proto) &&
		    in->port_lo >= o->port_lo && in->port_hi <= o->port_hi)
			return true;
	}
	return false;
}

/*
 * RFC 3947 5.2: in transport mode through a NAT both sides send the original addresses,
 * NAT-OAi (the Quick Mode initiator's) then NAT-OAr, each as it knows them.
 */
static bool wants_nat_oa(const struct v1_sa *sa, const struct cfg_child *c)
{
	return sa->floated && c->mode != IPSEC_MODE_TUNNEL;
}

/* A NAT-OA body is an ID payload's: an ID_IPV4_ADDR identity. */
static void add_nat_oa(struct ike_builder *b, uint32_t addr)
{
	struct ike_id id;
	identity_from_ipv4(addr, &id);
	id_add(b, ISA_NATOA, &id);
}

static void add_nat_oas(const struct v1_sa *sa, const struct v1_quick *q, struct ike_builder *b)
{
	add_nat_oa(b, q->initiator ? sa->local.addr : sa->remote.addr);
	add_nat_oa(b, q->initiator ? sa->remote.addr : sa->local.addr);
}

/* The peer's NAT-OAi and NAT-OAr, when it sent both as IPv4 addresses; false when malformed. */
static bool take_nat_oa(struct v1_quick *q, const struct isakmp_message *m)
{
	uint32_t oa[2];
	int n = 0;
	for (int i = 0; i < m->n; i++) {
		struct ike_id id;
		if (m->pl[i].type != ISA_NATOA)
			continue;
		if (!id_parse(&m->pl[i], &id))
			return false;
		if (id.type == ID_IPV6_ADDR)
			return true; /* not for an IPv4 SA: leave the checksums to the fallback */
		if (id.type != ID_IPV4_ADDR || id.len != 4 || n == 2)
			return false;
		oa[n++] = (uint32_t)id.data[0] << 24 | (uint32_t)id.data[1] << 16 | (uint32_t)id.data[2] << 8 | id.data[3];
	}
	if (n == 2) {
		q->has_oa = true;
		q->oa_i = oa[0];
		q->oa_r = oa[1];
	}
	return n != 1;
}

/*
 * A peer behind a NAT names itself (and maybe us) by its private address in transport mode;
 * the SA must match the addresses we actually see, which its NAT-OA lets us map.
 */
static void translate_by_nat_oa(const struct v1_sa *sa, const struct v1_quick *q, struct v1_sel *ci, struct v1_sel *cr)
{
	if (!q->has_oa || ci->n != 1 || cr->n != 1)
		return;
	if (ci->ts[0].plen == 32 && ci->ts[0].addr == q->oa_i)
		ci->ts[0].addr = sa->remote.addr;
	if (cr->ts[0].plen == 32 && cr->ts[0].addr == q->oa_r)
		cr->ts[0].addr = sa->local.addr;
}

static struct v1_quick *quick_new(struct v1_sa *sa, uint32_t msg_id, bool initiator)
{
	struct v1_quick *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->msg_id = msg_id;
	q->initiator = initiator;
	q->started_ms = now_of(sa);
	v1_phase2_iv(sa, msg_id, q->iv);
	q->next = sa->quick;
	sa->quick = q;
	return q;
}

void v1_quick_free(struct v1_sa *sa, struct v1_quick *q)
{
	for (struct v1_quick **pp = &sa->quick; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	/* an inbound SPI handed out for an exchange that installed nothing goes back */
	if (q->spi_in && v1_child_by_spi(sa->d, q->spi_in, NULL) == NULL)
		child_release_spi(sa->d->v2, q->spi_in);
	ke_free(q->ke);
	free(q->last);
	free(q->child);
	OPENSSL_cleanse(q, sizeof(*q));
	free(q);
}

/* Puts HASH(1)/(2) = prf(SKEYID_a, M-ID | [Ni_b |] everything after the HASH payload) in place. */
static bool fill_hash(struct v1_sa *sa, struct ike_builder *b, size_t hash_at, uint32_t msg_id, const uint8_t *ni,
		      size_t ni_len)
{
	uint8_t prefix[4 + IKE_NONCE_MAX], h[64];
	for (int i = 0; i < 4; i++)
		prefix[i] = (uint8_t)(msg_id >> (24 - 8 * i));
	if (ni_len)
		memcpy(prefix + 4, ni, ni_len);
	size_t after = hash_at + 4 + sa->hlen;
	if (!v1_hash_payloads(sa, prefix, 4 + ni_len, b->buf + after, b->w.off - after, h))
		return false;
	memcpy(b->buf + hash_at + 4, h, sa->hlen);
	return true;
}

static size_t begin_hash(struct v1_sa *sa, struct ike_builder *b, uint32_t msg_id)
{
	return v1_begin_hashed(sa, b, XCHG_QUICK, msg_id);
}

/* Nonce, then KE when the exchange has PFS. */
static void add_nonce_ke(struct ike_builder *b, const uint8_t *nonce, const uint8_t *pub, size_t pub_len)
{
	ike_payload_begin(b, ISA_NONCE);
	wire_put_bytes(&b->w, nonce, IKE_OWN_NONCE_LEN); /* always one of ours */
	ike_payload_end(b);
	if (pub_len) {
		ike_payload_begin(b, ISA_KE);
		wire_put_bytes(&b->w, pub, pub_len);
		ike_payload_end(b);
	}
}

static void send_quick(struct v1_sa *sa, struct v1_quick *q, struct ike_builder *b, bool remember)
{
	size_t len = v1_encrypt(sa, b, q->iv);
	if (len == 0)
		return;
	v1_send(sa, b->buf, len, false);
	if (remember) {
		v1_keep_copy(&q->last, &q->last_len, b->buf, len);
		q->next_ms = now_of(sa) + ike_retransmit_delay_ms(sa->d->v2, 0);
		v1_sa_wake(sa);
	}
}

/*
 * A selector list as one ID (IKEv1 carries one a side): the first, stretched over those that
 * follow it without a gap, as a range written in the configuration comes split into prefixes;
 * none (the IKE address or virtual IP) as that host.
 */
static struct v1_id id_of_list(const struct cfg_ts_list *l, uint32_t dynamic)
{
	struct traffic_selector first = l->n ? ts_resolve(&l->ts[0], dynamic) : host_ts(dynamic);
	struct v1_id id = id_of(&first);
	for (int i = 1; i < l->n && id.hi != UINT32_MAX; i++) {
		struct traffic_selector t = ts_resolve(&l->ts[i], dynamic);
		if (t.addr != id.hi + 1 || t.proto != first.proto || t.port_lo != first.port_lo || t.port_hi != first.port_hi)
			break;
		id.hi = t.addr | ~t.mask;
	}
	return id;
}

/*
 * The IDs an initiator proposes: its local and remote selectors, "dynamic" (or none) standing
 * for the virtual IP where there is one, else the IKE address. None at all (false) when both
 * would be the IKE addresses alone: RFC 2409 5.5 then implies them.
 */
static bool initiator_ids(const struct v1_sa *sa, const struct cfg_child *cfg, struct v1_id *local, struct v1_id *remote)
{
	if (!sa->own_vip && !sa->local_ts_given && cfg->local_ts.n == 0 && cfg->remote_ts.n == 0)
		return false;
	*local = sa->local_ts_given ? id_of(&sa->local_ts) : id_of_list(&cfg->local_ts, v1_local_dynamic(sa));
	*remote = id_of_list(&cfg->remote_ts, v1_remote_dynamic(sa));
	return true;
}

void v1_quick_start(struct v1_sa *sa, const struct cfg_child *cfg, struct child_sa *replaces)
{
	uint32_t msg_id = 0;
	if (replaces == NULL && v1_setup_holds(sa, cfg))
		return; /* XAuth and our address first */
	while (msg_id == 0)
		ike_random((uint8_t *)&msg_id, sizeof(msg_id));
	struct v1_quick *q = quick_new(sa, msg_id, true);
	if (q == NULL)
		return;
	q->cfg = cfg;
	q->replaces_spi = replaces ? replaces->spi_in : 0;
	q->spi_in = child_alloc_spi(sa->d->v2);
	q->group = pfs_group(cfg);
	uint8_t pub[IKE_MAX_KE_LEN];
	size_t pub_len = 0;
	q->ni_len = IKE_OWN_NONCE_LEN;
	if (!ike_random(q->ni, IKE_OWN_NONCE_LEN) || (q->group && (q->ke = ke_create(q->group, pub, &pub_len)) == NULL)) {
		v1_quick_free(sa, q);
		return;
	}
	struct ike_builder b;
	struct v1_proposal p;
	size_t hash_at = begin_hash(sa, &b, msg_id);
	esp_proposal(sa, cfg, q->spi_in, q->group, &p);
	v1_sa_add(&b, &p);
	add_nonce_ke(&b, q->ni, pub, q->group ? pub_len : 0);
	struct v1_id local, remote;
	if (initiator_ids(sa, cfg, &local, &remote)) {
		add_id(&b, &local);
		add_id(&b, &remote);
	}
	if (wants_nat_oa(sa, cfg))
		add_nat_oas(sa, q, &b);
	if (!fill_hash(sa, &b, hash_at, msg_id, NULL, 0)) {
		v1_quick_free(sa, q);
		return;
	}
	LOG_INFO("%s/%s: Quick Mode%s%s", sa->conn->name, cfg->name, replaces ? " to replace an IPsec SA" : "",
		 q->group ? " with PFS" : "");
	send_quick(sa, q, &b, true);
}

static bool check_hash(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, const uint8_t *ni,
		       size_t ni_len)
{
	const struct ike_payload *hp = m->n ? &m->pl[0] : NULL;
	uint8_t prefix[4 + IKE_NONCE_MAX], h[64];
	if (hp == NULL || hp->type != ISA_HASH || hp->len != sa->hlen)
		return false;
	for (int i = 0; i < 4; i++)
		prefix[i] = (uint8_t)(m->hdr.msg_id >> (24 - 8 * i));
	if (ni_len)
		memcpy(prefix + 4, ni, ni_len);
	const uint8_t *after = hp->body + hp->len;
	const uint8_t *end = m->n > 1 ? m->pl[m->n - 1].body + m->pl[m->n - 1].len : after;
	(void)raw;
	sa->rx_authentic = v1_hash_payloads(sa, prefix, 4 + ni_len, after, (size_t)(end - after), h) &&
			   CRYPTO_memcmp(h, hp->body, sa->hlen) == 0;
	return sa->rx_authentic;
}

/* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) */
static bool hash3(const struct v1_sa *sa, const struct v1_quick *q, uint8_t *out)
{
	uint8_t in[1 + 4 + 2 * IKE_NONCE_MAX];
	in[0] = 0;
	for (int i = 0; i < 4; i++)
		in[1 + i] = (uint8_t)(q->msg_id >> (24 - 8 * i));
	memcpy(in + 5, q->ni, q->ni_len);
	memcpy(in + 5 + q->ni_len, q->nr, q->nr_len);
	return v1_prf(sa, sa->skeyid_a, sa->hlen, in, 5 + q->ni_len + q->nr_len, out);
}

/* Both SAs of the pair, keyed per SPI (KEYMAT differs per direction in IKEv1). */
static bool install(struct v1_sa *sa, struct v1_quick *q, bool activate)
{
	struct child_sa *c = q->child, *old = v1_child_by_spi(sa->d, q->replaces_spi, NULL);
	c->encap = sa->floated;
	if (q->has_oa && !c->tunnel && sa->floated) {
		c->has_oa = true;
		c->oa_remote = q->initiator ? q->oa_r : q->oa_i;
		c->oa_local = q->initiator ? q->oa_i : q->oa_r;
	}
	size_t klen = (size_t)esp_algo_key_len(&esp_algos[c->esp_alg]);
	uint8_t kin[128], kout[128];
	const uint8_t *ni = q->ni, *nr = q->nr;
	bool ok = v1_keymat(sa, q->shared, q->shared_len, c->spi_in, ni, q->ni_len, nr, q->nr_len, kin, klen) &&
		  v1_keymat(sa, q->shared, q->shared_len, c->spi_out, ni, q->ni_len, nr, q->nr_len, kout, klen);
	struct ike_child_keys k = {
		.ike_version = 1, .ike_serial = sa->serial,
		.conn = sa->conn->name, .child = c->cfg->name, .spi_in = c->spi_in, .spi_out = c->spi_out,
		.esp_alg = c->esp_alg, .tunnel = c->tunnel, .encap = c->encap, .local = sa->local, .remote = sa->remote,
		.replay_window = c->cfg->replay_window, .copy = c->cfg->copy,
		.soft_bytes = child_jittered(c->cfg->rekey_bytes, c->cfg->rand_bytes), .hard_bytes = c->cfg->life_bytes,
		.soft_packets = child_jittered(c->cfg->rekey_packets, c->cfg->rand_packets), .hard_packets = c->cfg->life_packets, .key_in = kin,
		.key_out = kout, .local_ts = c->local_ts, .remote_ts = c->remote_ts, .n_local_ts = c->n_local_ts,
		.n_remote_ts = c->n_remote_ts, .has_oa = c->has_oa, .oa_remote = c->oa_remote, .oa_local = c->oa_local,
		.local_id = &sa->id_local, .remote_id = &sa->id_remote, .local_vip = sa->own_vip, .remote_vip = sa->vip,
		.remote_user = sa->xauth_user[0] ? sa->xauth_user : NULL, .child_cfg = c->cfg,
	};
	if (ok)
		c->handle = sa->d->env.install_child(sa->d->env.ctx, &k, activate,
						     activate && old ? old->handle : NULL);
	OPENSSL_cleanse(kin, sizeof(kin));
	OPENSSL_cleanse(kout, sizeof(kout));
	if (!ok || c->handle == NULL)
		return false;
	c->installed_ms = now_of(sa);
	uint64_t rekey_ms = child_jittered(c->cfg->rekey_time * 1000, c->cfg->rand_time * 1000);
	c->rekey_ms = c->cfg->rekey_time ? c->installed_ms + rekey_ms : 0;
	c->expire_ms = c->cfg->life_time ? c->installed_ms + c->cfg->life_time * 1000 : 0;
	c->next = sa->children;
	sa->children = c;
	v1_child_held(sa, c);
	q->child = NULL; /* owned by the SA now */
	LOG_INFO("%s/%s: IPsec SA installed (IKEv1), SPIs in 0x%08x out 0x%08x, %s, %s%s", sa->conn->name, c->cfg->name,
		 c->spi_in, c->spi_out, esp_algos[c->esp_alg].name, c->tunnel ? "tunnel" : "transport",
		 sa->floated ? ", UDP-encapsulated" : "");
	if (c->has_oa) {
		char peer[16], us[16];
		format_ipv4(c->oa_remote, peer, sizeof(peer));
		format_ipv4(c->oa_local, us, sizeof(us));
		LOG_INFO("%s/%s: transport checksums fixed up for the peer's original addresses (NAT-OA) %s -> %s",
			 sa->conn->name, c->cfg->name, peer, us);
	}
	return true;
}

/*
 * After a rekey the new pair carries our traffic at once, but the old one still receives what
 * the peer sent before it switched: it is deleted (with a Delete to the peer) a moment later.
 */
static void retire_soon(struct v1_sa *sa, struct child_sa *old)
{
	uint64_t soon = now_of(sa) + REKEY_OVERLAP_MS;
	if (old && (old->expire_ms == 0 || old->expire_ms > soon)) {
		old->expire_ms = soon;
		old->rekey_ms = 0;
		old->state = CHILD_REKEYED;
		v1_wake_holder(sa->d, old); /* adopted by a newer ISAKMP SA, it may not be sa's */
	}
}

static bool take_ke(struct v1_quick *q, const struct isakmp_message *m)
{
	const struct ike_payload *kp = isakmp_find(m, ISA_KE);
	if (q->group == 0)
		return kp == NULL;
	return kp && q->ke && ke_derive(q->ke, kp->body, kp->len, q->shared, &q->shared_len);
}

/* Selectors: from ID payloads, or the two peers' addresses when there are none. */
static bool selectors(const struct v1_sa *sa, const struct v1_quick *q, const struct isakmp_message *m,
		      struct v1_sel *ci, struct v1_sel *cr)
{
	const struct ike_payload *ids[2] = { NULL, NULL };
	int n = 0;
	for (int i = 0; i < m->n && n < 2; i++)
		if (m->pl[i].type == ISA_ID)
			ids[n++] = &m->pl[i];
	if (n == 0) {
		*ci = (struct v1_sel){ .ts[0] = host_ts(q->initiator ? sa->local.addr : sa->remote.addr), .n = 1 };
		*cr = (struct v1_sel){ .ts[0] = host_ts(q->initiator ? sa->remote.addr : sa->local.addr), .n = 1 };
		return true;
	}
	return n == 2 && parse_selector(ids[0], ci) && parse_selector(ids[1], cr);
}

static uint32_t proposal_spi(const struct v1_proposal *p)
{
	return (uint32_t)p->spi[0] << 24 | (uint32_t)p->spi[1] << 16 | (uint32_t)p->spi[2] << 8 | p->spi[3];
}

/* A child SA of the negotiated transform and selectors, not yet installed. */
static struct child_sa *new_child(const struct cfg_child *cfg, const struct v1_transform *t, uint32_t spi_in,
				  uint32_t spi_out, const struct v1_sel *local, const struct v1_sel *remote)
{
	struct child_sa *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->cfg = cfg;
	c->esp_alg = esp_alg_of(t);
	c->tunnel = cfg->mode == IPSEC_MODE_TUNNEL;
	c->spi_in = spi_in;
	c->spi_out = spi_out;
	if (!child_keep(&c->local_ts, &c->n_local_ts, local->ts, local->n, sizeof(local->ts[0])) ||
	    !child_keep(&c->remote_ts, &c->n_remote_ts, remote->ts, remote->n, sizeof(remote->ts[0]))) {
		child_free(c);
		return NULL;
	}
	return c;
}

static void initiator_got_answer(struct v1_sa *sa, struct v1_quick *q, const struct isakmp_message *m,
				 const uint8_t *raw)
{
	struct v1_proposal got[2];
	const struct ike_payload *sap = isakmp_find(m, ISA_SA), *np = isakmp_find(m, ISA_NONCE);
	struct v1_sel ci, cr;
	if (!check_hash(sa, m, raw, q->ni, q->ni_len) || !sap || !np || np->len < 8 || np->len > IKE_NONCE_MAX ||
	    v1_sa_parse(sap, got, 2) != 1 || got[0].n != 1 || got[0].spi_size != 4 ||
	    !acceptable(sa, q->cfg, &got[0].t[0], q->group) || !take_ke(q, m) || !selectors(sa, q, m, &ci, &cr) ||
	    !take_nat_oa(q, m)) {
		LOG_WARN("%s/%s: Quick Mode answer refused", sa->conn->name, q->cfg->name);
		v1_quick_free(sa, q);
		return;
	}
	memcpy(q->nr, np->body, np->len);
	q->nr_len = np->len;
	q->child = new_child(q->cfg, &got[0].t[0], q->spi_in, proposal_spi(&got[0]), &ci, &cr);
	if (q->child == NULL) {
		v1_quick_free(sa, q);
		return;
	}
	/* a rekey keeps sending on the old pair until the responder, which installs at HASH(3), has the new one */
	bool rekey = v1_child_by_spi(sa->d, q->replaces_spi, NULL) != NULL;
	if (!install(sa, q, !rekey)) {
		v1_quick_free(sa, q);
		return;
	}
	struct ike_builder b;
	size_t at = begin_hash(sa, &b, q->msg_id);
	if (!hash3(sa, q, b.buf + at + 4)) {
		v1_quick_free(sa, q);
		return;
	}
	send_quick(sa, q, &b, true);
	q->done = true; /* kept a while: a repeated message 2 means HASH(3) was lost */
	q->next_ms = now_of(sa) + QUICK_LINGER_MS;
	q->switch_ms = rekey ? now_of(sa) + OUTBOUND_SWITCH_MS : 0;
}

void v1_quick_switch(struct v1_sa *sa, struct v1_quick *q)
{
	struct child_sa *mine = v1_child_by_spi(sa->d, q->spi_in, NULL);
	struct child_sa *old = v1_child_by_spi(sa->d, q->replaces_spi, NULL);
	q->switch_ms = 0;
	q->replaces_spi = 0;
	if (mine == NULL)
		return;
	sa->d->env.activate_child(sa->d->env.ctx, mine->handle, old ? old->handle : NULL);
	retire_soon(sa, old);
}

/* Is every prefix of the selector within the list? */
static bool sel_within(const struct v1_sel *s, const struct cfg_ts_list *l, uint32_t dynamic)
{
	for (int i = 0; i < s->n; i++)
		if (!ts_within(&s->ts[i], l, dynamic))
			return false;
	return s->n > 0;
}

static const struct cfg_child *responder_child(const struct v1_sa *sa, const struct v1_sel *ci, const struct v1_sel *cr)
{
	for (int i = 0; i < sa->conn->n_children; i++) {
		const struct cfg_child *c = &sa->conn->children[i];
		if (sel_within(ci, &c->remote_ts, v1_remote_dynamic(sa)) && sel_within(cr, &c->local_ts, v1_local_dynamic(sa)))
			return c;
	}
	return NULL;
}

/*
 * The child this one takes over from: same config, on this ISAKMP SA or an older one of the same
 * peer (reauthentication). Another peer's child, even behind the same NAT address, is not one.
 */
static struct child_sa *older_child(struct v1_sa *sa, const struct cfg_child *cfg)
{
	struct child_sa *c = v1_child_of(sa, cfg);
	for (struct v1_sa *o = v1_peer_first(sa); o && c == NULL; o = v1_peer_next(o))
		if (o != sa && o->state == V1_ESTABLISHED && v1_same_peer(o, sa))
			c = v1_child_of(o, cfg);
	return c;
}

/* The first of the peer's transforms that a child whose selectors fit accepts; -1 when none. */
static int responder_choose(struct v1_sa *sa, struct v1_quick *q, const struct v1_proposal *theirs,
			    const struct v1_sel *ci, const struct v1_sel *cr)
{
	q->cfg = responder_child(sa, ci, cr);
	if (q->cfg == NULL || theirs->protocol != PROTO_ESP || theirs->spi_size != 4)
		return -1;
	for (int i = 0; i < theirs->n; i++)
		if (acceptable(sa, q->cfg, &theirs->t[i], -1))
			return i;
	return -1;
}

/* Our nonce, and with PFS our KE and the shared secret. */
static bool responder_keys(struct v1_quick *q, const struct isakmp_message *m, const struct v1_transform *t,
			   uint8_t *pub, size_t *pub_len)
{
	uint64_t group = 0;
	v1_attr(&t->attrs, P2_GROUP, &group);
	q->group = (uint16_t)group;
	q->nr_len = IKE_OWN_NONCE_LEN;
	const struct ike_payload *kp = isakmp_find(m, ISA_KE);
	*pub_len = 0;
	return ike_random(q->nr, IKE_OWN_NONCE_LEN) &&
	       (q->group == 0 || (kp && (q->ke = ke_create(q->group, pub, pub_len)) != NULL &&
				  ke_derive(q->ke, kp->body, kp->len, q->shared, &q->shared_len)));
}

/* The child as the responder installs it: inbound ready now, outbound from HASH(3) on. */
static struct child_sa *responder_install(struct v1_sa *sa, struct v1_quick *q, const struct v1_proposal *theirs,
					  int which, const struct v1_sel *ci, const struct v1_sel *cr)
{
	struct child_sa *c = new_child(q->cfg, &theirs->t[which], child_alloc_spi(sa->d->v2), proposal_spi(theirs),
				       cr, ci);
	if (c == NULL)
		return NULL;
	q->child = c;
	q->spi_in = c->spi_in;
	struct child_sa *older = older_child(sa, q->cfg);
	q->replaces_spi = older ? older->spi_in : 0;
	if (older) /* the peer is rekeying it; we need not */
		older->rekey_ms = 0;
	if (!install(sa, q, false))
		return NULL;
	q->spi_out = c->spi_out;
	return c;
}

static void responder_answer(struct v1_sa *sa, struct v1_quick *q, const struct isakmp_message *m,
			     const struct v1_proposal *theirs, int which, const struct child_sa *c,
			     const struct v1_sel *ci, const struct v1_sel *cr, const uint8_t *pub, size_t pub_len)
{
	struct ike_builder b;
	struct v1_proposal p = *theirs;
	p.n = 1;
	p.t[0] = theirs->t[which];
	for (int k = 0; k < 4; k++)
		p.spi[k] = (uint8_t)(c->spi_in >> (24 - 8 * k));
	size_t hash_at = begin_hash(sa, &b, q->msg_id);
	v1_sa_add(&b, &p);
	add_nonce_ke(&b, q->nr, pub, pub_len);
	if (isakmp_find(m, ISA_ID)) { /* the IDs go back as they came */
		echo_selector(&b, ci->id);
		echo_selector(&b, cr->id);
	}
	if (wants_nat_oa(sa, q->cfg))
		add_nat_oas(sa, q, &b);
	if (fill_hash(sa, &b, hash_at, q->msg_id, q->ni, q->ni_len))
		send_quick(sa, q, &b, true);
}

static void responder_start(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw)
{
	struct v1_proposal theirs[4];
	const struct ike_payload *sap = isakmp_find(m, ISA_SA), *np = isakmp_find(m, ISA_NONCE);
	struct v1_sel ci, cr;
	if (sa->setup == V1_SETUP_XAUTH) {
		LOG_WARN("%s: Quick Mode before XAuth is done; refused", sa->conn->name);
		return;
	}
	struct v1_quick *q = quick_new(sa, m->hdr.msg_id, false);
	uint8_t pub[IKE_MAX_KE_LEN];
	size_t pub_len;
	int which;
	if (q == NULL)
		return;
	/* quick_new set the IV; the caller decrypted with its own copy, so resync to the last block */
	memcpy(q->iv, raw + m->hdr.length - sa->block, sa->block);
	if (!check_hash(sa, m, raw, NULL, 0) || !sap || !np || np->len < 8 || np->len > IKE_NONCE_MAX ||
	    v1_sa_parse(sap, theirs, 4) < 1 || !selectors(sa, q, m, &ci, &cr) || !take_nat_oa(q, m)) {
		LOG_WARN("%s: Quick Mode request refused (hash, SA, nonce or IDs)", sa->conn->name);
		v1_quick_free(sa, q);
		return;
	}
	struct v1_sel ci_seen = ci, cr_seen = cr; /* the IDs go back as they came */
	translate_by_nat_oa(sa, q, &ci_seen, &cr_seen);
	if ((which = responder_choose(sa, q, &theirs[0], &ci_seen, &cr_seen)) < 0) {
		LOG_WARN("%s: Quick Mode: no child accepts the selectors and proposal", sa->conn->name);
		v1_quick_free(sa, q);
		return;
	}
	memcpy(q->ni, np->body, np->len);
	q->ni_len = np->len;
	struct child_sa *c = NULL;
	if (!responder_keys(q, m, &theirs[0].t[which], pub, &pub_len) ||
	    (c = responder_install(sa, q, &theirs[0], which, &ci_seen, &cr_seen)) == NULL) {
		v1_quick_free(sa, q);
		return;
	}
	responder_answer(sa, q, m, &theirs[0], which, c, &ci, &cr, pub, pub_len);
}

static void responder_done(struct v1_sa *sa, struct v1_quick *q, const struct isakmp_message *m)
{
	const struct ike_payload *hp = m->n ? &m->pl[0] : NULL;
	uint8_t h[64];
	bool ok = hp && hp->type == ISA_HASH && hp->len == sa->hlen && hash3(sa, q, h) &&
		  CRYPTO_memcmp(h, hp->body, sa->hlen) == 0;
	sa->rx_authentic = ok;
	struct child_sa *mine = NULL;
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->spi_in == q->spi_in)
			mine = c;
	if (!ok || mine == NULL) {
		LOG_WARN("%s: Quick Mode HASH(3) does not verify; the new IPsec SA is removed", sa->conn->name);
		if (mine)
			v1_child_destroy(sa, mine);
		v1_quick_free(sa, q);
		return;
	}
	struct child_sa *old = v1_child_by_spi(sa->d, q->replaces_spi, NULL);
	sa->d->env.activate_child(sa->d->env.ctx, mine->handle, old ? old->handle : NULL);
	retire_soon(sa, old); /* IKEv1 peers (strongSwan among them) rarely delete what they rekeyed */
	v1_quick_free(sa, q);
}

void v1_quick_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, size_t len)
{
	(void)len;
	struct v1_quick *q = NULL;
	for (struct v1_quick *x = sa->quick; x; x = x->next)
		if (x->msg_id == m->hdr.msg_id)
			q = x;
	if (q == NULL)
		responder_start(sa, m, raw);
	else if (q->done)
		return; /* repeats were answered by the daemon; anything else is stray */
	else if (q->initiator)
		initiator_got_answer(sa, q, m, raw);
	else
		responder_done(sa, q, m);
}
