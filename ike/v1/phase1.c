/* SPDX-License-Identifier: BSD-3-Clause */
#include "phase1.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "fragments.h"
#include "ike/conn_index.h"
#include "ike/conns.h"
#include "ike/identity.h"
#include "ike/secrets.h"
#include "lib/log.h"
#include "lib/parse.h"

/* RFC 3947 NAT-T (MD5 of "RFC 3947") and RFC 3706 DPD vendor IDs. */
static const uint8_t VID_NATT[16] = { 0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
				      0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f };
static const uint8_t VID_DPD[16] = { 0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
				     0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00 };

uint16_t p1_auth_method(const struct cfg_connection *c)
{
	bool xauth = c->xauth_local || c->xauth_remote;
	if (c->local.auth != AUTH_PUBKEY)
		return xauth ? V1_AUTH_XAUTH_INIT_PSK : V1_AUTH_PSK;
	uint16_t m = v1_sig_method(c);
	return xauth && m == V1_AUTH_RSA_SIG ? V1_AUTH_XAUTH_INIT_RSA : m;
}

void p1_proposal(const struct cfg_connection *c, struct v1_proposal *p)
{
	struct proposal props[CFG_MAX_PROPOSALS];
	int n = proposal_parse_list((char(*)[128])c->proposals, c->n_proposals, PROPOSAL_IKE, props, CFG_MAX_PROPOSALS);
	memset(p, 0, sizeof(*p));
	p->num = 1;
	p->protocol = PROTO_IKE;
	uint64_t life = c->rekey_time + c->over_time;
	for (int i = 0; i < n; i++)
		for (int e = 0; e < props[i].n[TRANS_ENCR]; e++)
			for (int h = 0; h < props[i].n[TRANS_INTEG]; h++)
				for (int g = 0; g < props[i].n[TRANS_DH] && p->n < V1_MAX_TRANSFORMS; g++) {
					const struct transform *enc = &props[i].t[TRANS_ENCR][e];
					uint16_t hash = proposal_ikev1_hash(props[i].t[TRANS_INTEG][h].id);
					if ((enc->id != 12 && enc->id != 3) || hash == 0)
						continue; /* IKEv1 phase 1 here: AES-CBC or 3DES with a hash */
					struct v1_transform *t = &p->t[p->n++];
					t->num = (uint8_t)p->n;
					t->id = 1; /* KEY_IKE */
					struct v1_attrs *a = &t->attrs;
					bool aes = enc->id == 12;
					/* 3DES has a fixed key length and no Key Length attribute */
					uint16_t types[] = { P1_ENCR, P1_HASH, P1_AUTH, P1_GROUP, P1_LIFE_TYPE, P1_LIFE, P1_KEY_LEN };
					uint64_t values[] = { aes ? V1_ENCR_AES_CBC : V1_ENCR_3DES, hash, p1_auth_method(c),
							      props[i].t[TRANS_DH][g].id, LIFE_SECONDS, life ? life : 28800,
							      enc->key_bits };
					for (size_t k = 0; k < sizeof(types) / sizeof(types[0]) - !aes; k++) {
						a->type[a->n] = types[k];
						a->value[a->n++] = values[k];
					}
				}
}

static bool same_transform(const struct v1_transform *a, const struct v1_transform *b)
{
	static const uint16_t keys[] = { P1_ENCR, P1_KEY_LEN, P1_HASH, P1_AUTH, P1_GROUP };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint64_t x = 0, y = 0;
		if (v1_attr(&a->attrs, keys[i], &x) != v1_attr(&b->attrs, keys[i], &y) || x != y)
			return false;
	}
	return true;
}

bool p1_select(const struct cfg_connection *c, const struct v1_proposal *theirs,
	       struct v1_transform *chosen)
{
	struct v1_proposal ours;
	p1_proposal(c, &ours);
	if (theirs->protocol != PROTO_IKE)
		return false;
	for (int i = 0; i < theirs->n; i++)
		for (int k = 0; k < ours.n; k++)
			if (same_transform(&theirs->t[i], &ours.t[k])) {
				*chosen = theirs->t[i];
				return true;
			}
	return false;
}

bool p1_adopt(struct v1_sa *sa, const struct v1_transform *t)
{
	uint64_t encr = 0, bits = 0, hash = 0, group = 0, life = 0;
	v1_attr(&t->attrs, P1_ENCR, &encr);
	v1_attr(&t->attrs, P1_KEY_LEN, &bits);
	v1_attr(&t->attrs, P1_HASH, &hash);
	v1_attr(&t->attrs, P1_GROUP, &group);
	v1_attr(&t->attrs, P1_LIFE, &life);
	sa->chosen = *t;
	sa->encr = (uint16_t)encr;
	sa->encr_bits = encr == V1_ENCR_3DES ? 192 : (uint16_t)bits;
	sa->block = encr == V1_ENCR_3DES ? 8 : 16;
	sa->hash = (uint16_t)hash;
	sa->group = (uint16_t)group;
	sa->life_s = life;
	sa->md = hash == V1_HASH_MD5 ? EVP_md5() : hash == V1_HASH_SHA1 ? EVP_sha1() : hash == V1_HASH_SHA2_256 ? EVP_sha256()
		 : hash == V1_HASH_SHA2_384			   ? EVP_sha384()
		 : hash == V1_HASH_SHA2_512			   ? EVP_sha512()
								   : NULL;
	sa->hlen = sa->md ? (size_t)EVP_MD_get_size(sa->md) : 0;
	bool cipher_ok = (encr == V1_ENCR_AES_CBC && (bits == 128 || bits == 192 || bits == 256)) ||
			 (encr == V1_ENCR_3DES && bits == 0);
	return cipher_ok && sa->md && ke_supported(sa->group);
}

const struct cfg_connection *p1_connection(const struct v1_daemon *d, const struct ike_endpoint *local,
					   const struct ike_endpoint *remote, const struct v1_proposal *theirs,
					   bool aggressive, struct v1_transform *chosen)
{
	struct conn_iter it;
	conn_iter_start(&it, d->cfg, remote->addr);
	for (const struct cfg_connection *c; (c = conn_iter_next(&it)) != NULL;) {
		if (c->version == 2 || c->aggressive != aggressive ||
		    !cfg_addr_listed(c->local_ranges, c->n_local_addrs, local->addr) ||
		    !cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, remote->addr))
			continue;
		if (p1_select(c, theirs, chosen))
			return c;
	}
	return NULL;
}

/*
 * The PSK connection c has for this peer. Main Mode picks it by the configured identities, the
 * peer's not being known yet; once it is, the peer's own.
 */
static const struct cfg_secret *phase1_psk(const struct v1_sa *sa, const struct cfg_connection *c)
{
	struct ike_id local, remote;
	if (sa->id_local_given)
		local = sa->id_local;
	else if (c->local.id[0] == '\0' || !identity_from_string(c->local.id, &local))
		identity_from_ipv4(sa->local.addr, &local);
	if (sa->id_remote.len)
		remote = sa->id_remote;
	else if (c->remote.id[0] == '\0' || !identity_from_string(c->remote.id, &remote))
		identity_from_ipv4(sa->remote.addr, &remote);
	return psk_lookup(sa->d->cfg, &local, &remote);
}

static bool psk_digest(const struct cfg_secret *psk, uint8_t out[32])
{
	unsigned n = 0;
	return EVP_Digest(psk->secret, (size_t)psk->secret_len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

/*
 * Can the SA move to connection c now that its keys exist? With signatures, yes (they came from
 * the key exchange alone); with PSKs, when c has the same secret for the peer as the keys came from.
 */
static bool keys_fit(const struct v1_sa *sa, const struct cfg_connection *c)
{
	if (!sa->keyed || (c->local.auth == AUTH_PUBKEY && sa->conn->local.auth == AUTH_PUBKEY))
		return true;
	const struct cfg_secret *psk = c->local.auth == AUTH_PSK && sa->conn->local.auth == AUTH_PSK ? phase1_psk(sa, c) : NULL;
	uint8_t digest[32];
	return psk && sa->psk_keyed && psk_digest(psk, digest) && CRYPTO_memcmp(digest, sa->psk_digest, 32) == 0;
}

bool p1_connection_for_id(struct v1_sa *sa)
{
	struct v1_proposal chosen = { .num = 1, .protocol = PROTO_IKE, .n = 1 };
	struct v1_transform t;
	chosen.t[0] = sa->chosen;
	if (identity_matches(sa->conn->remote.id, &sa->id_remote))
		return true;
	struct conn_iter it;
	conn_iter_start(&it, sa->d->cfg, sa->remote.addr);
	for (const struct cfg_connection *c; (c = conn_iter_next(&it)) != NULL;) {
		if (c == sa->conn || !keys_fit(sa, c) || c->version == 2 || c->aggressive != sa->aggressive ||
		    !c->remote.id[0] || !identity_matches(c->remote.id, &sa->id_remote) ||
		    !cfg_addr_listed(c->local_ranges, c->n_local_addrs, sa->local.addr) ||
		    !cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, sa->remote.addr) ||
		    !p1_select(c, &chosen, &t))
			continue;
		LOG_INFO("%s: the peer's identity selects connection '%s'", sa->conn->name, c->name);
		ike_conn_set(&sa->conn, c);
		sa->own = NULL; /* chosen again for this connection */
		return true;
	}
	return false;
}

static void add_vid(struct ike_builder *b, const uint8_t *vid, size_t len)
{
	ike_payload_begin(b, ISA_VID);
	wire_put_bytes(&b->w, vid, len);
	ike_payload_end(b);
}

void p1_add_vendor_ids(const struct v1_sa *sa, struct ike_builder *b)
{
	add_vid(b, VID_NATT, sizeof(VID_NATT));
	add_vid(b, VID_DPD, sizeof(VID_DPD));
	if (sa->conn->fragmentation != CFG_FRAG_NO)
		add_vid(b, V1_VID_FRAGMENTATION, sizeof(V1_VID_FRAGMENTATION));
}

void p1_read_vendor_ids(struct v1_sa *sa, const struct isakmp_message *m)
{
	for (int i = 0; i < m->n; i++) {
		const struct ike_payload *p = &m->pl[i];
		if (p->type != ISA_VID || p->len < 16)
			continue;
		sa->frag |= memcmp(p->body, V1_VID_FRAGMENTATION, V1_VID_FRAGMENTATION_MATCH) == 0;
		if (p->len != 16)
			continue;
		sa->natt |= memcmp(p->body, VID_NATT, 16) == 0;
		sa->dpd |= memcmp(p->body, VID_DPD, 16) == 0;
	}
}

/* NAT-D = HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash (RFC 3947 3.2) */
static void nat_hash(const struct v1_sa *sa, const struct ike_endpoint *ep, uint8_t *out, unsigned *len)
{
	uint8_t in[22];
	for (int i = 0; i < 8; i++) {
		in[i] = (uint8_t)(sa->cky_i >> (56 - 8 * i));
		in[8 + i] = (uint8_t)(sa->cky_r >> (56 - 8 * i));
	}
	in[16] = (uint8_t)(ep->addr >> 24), in[17] = (uint8_t)(ep->addr >> 16);
	in[18] = (uint8_t)(ep->addr >> 8), in[19] = (uint8_t)ep->addr;
	in[20] = (uint8_t)(ep->port >> 8), in[21] = (uint8_t)ep->port;
	EVP_Digest(in, sizeof(in), out, len, sa->md, NULL);
}

void p1_add_nat_d(struct v1_sa *sa, struct ike_builder *b)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned n;
	if (!sa->natt)
		return;
	/* first the peer's address, then ours (RFC 3947 3.2); encap = yes fakes ours */
	nat_hash(sa, &sa->remote, h, &n);
	ike_payload_begin(b, ISA_NATD);
	wire_put_bytes(&b->w, h, n);
	ike_payload_end(b);
	nat_hash(sa, &sa->local, h, &n);
	if (sa->conn->encap)
		ike_random(h, n);
	ike_payload_begin(b, ISA_NATD);
	wire_put_bytes(&b->w, h, n);
	ike_payload_end(b);
}

void p1_check_nat_d(struct v1_sa *sa, const struct isakmp_message *m)
{
	uint8_t mine[EVP_MAX_MD_SIZE], theirs[EVP_MAX_MD_SIZE];
	unsigned n;
	int seen = 0;
	bool local_ok = false, remote_ok = false;
	nat_hash(sa, &sa->local, mine, &n);
	nat_hash(sa, &sa->remote, theirs, &n);
	for (int i = 0; i < m->n; i++) {
		const struct ike_payload *p = &m->pl[i];
		if (p->type != ISA_NATD || p->len != n)
			continue;
		/* the first is their view of us, the rest their own addresses */
		if (seen++ == 0)
			local_ok = memcmp(p->body, mine, n) == 0;
		else
			remote_ok |= memcmp(p->body, theirs, n) == 0;
	}
	if (seen >= 2) {
		sa->nat_local = !local_ok;
		sa->nat_remote = !remote_ok;
	}
}

void p1_identity(struct v1_sa *sa, struct ike_id *id)
{
	if (sa->id_local_given) {
		*id = sa->id_local;
		return;
	}
	if (sa->conn->local.auth == AUTH_PUBKEY && v1_sig_identity(sa, id))
		return;
	if (sa->conn->local.id[0] == '\0' || !identity_from_string(sa->conn->local.id, id))
		identity_from_ipv4(sa->local.addr, id);
}

size_t p1_id_body(const struct ike_id *id, uint8_t *out)
{
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0; /* protocol and port: zero in phase 1 */
	memcpy(out + 4, id->data, id->len);
	return 4u + id->len;
}

void p1_add_id(struct ike_builder *b, const struct ike_id *id)
{
	uint8_t body[4 + IKE_ID_MAX];
	size_t n = p1_id_body(id, body);
	ike_payload_begin(b, ISA_ID);
	wire_put_bytes(&b->w, body, n);
	ike_payload_end(b);
}

bool p1_parse_id(const struct ike_payload *p, struct ike_id *id, uint8_t *body, size_t *body_len)
{
	if (p == NULL || p->len < 5 || p->len > 4 + IKE_ID_MAX)
		return false;
	id->type = p->body[0];
	id->len = (uint16_t)(p->len - 4);
	memcpy(id->data, p->body + 4, id->len);
	memcpy(body, p->body, p->len);
	*body_len = p->len;
	return true;
}

/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b); HASH_R swaps the halves. */
/* The hash of HASH_I and HASH_R: the PRF's, or for ECDSA its curve's. */
static const EVP_MD *auth_md(const struct v1_sa *sa)
{
	uint64_t method = 0;
	v1_attr(&sa->chosen.attrs, P1_AUTH, &method);
	switch (method) {
	case V1_AUTH_ECDSA_256: return EVP_sha256();
	case V1_AUTH_ECDSA_384: return EVP_sha384();
	case V1_AUTH_ECDSA_521: return EVP_sha512();
	default: return sa->md;
	}
}

bool p1_auth_hash(const struct v1_sa *sa, bool of_initiator, uint8_t *out, size_t *len)
{
	size_t id_len = of_initiator ? sa->p1->id_i_len : sa->p1->id_r_len;
	size_t n = 2 * sa->p1->gx_len + 16 + sa->p1->sa_i_len + id_len;
	uint8_t *buf = malloc(n), *p = buf;
	if (buf == NULL || sa->p1->sa_i_b == NULL)
		return (free(buf), false);
	const uint8_t *g1 = of_initiator ? sa->p1->gx_i : sa->p1->gx_r, *g2 = of_initiator ? sa->p1->gx_r : sa->p1->gx_i;
	uint64_t c1 = of_initiator ? sa->cky_i : sa->cky_r, c2 = of_initiator ? sa->cky_r : sa->cky_i;
	memcpy(p, g1, sa->p1->gx_len), p += sa->p1->gx_len;
	memcpy(p, g2, sa->p1->gx_len), p += sa->p1->gx_len;
	for (int i = 0; i < 8; i++)
		*p++ = (uint8_t)(c1 >> (56 - 8 * i));
	for (int i = 0; i < 8; i++)
		*p++ = (uint8_t)(c2 >> (56 - 8 * i));
	memcpy(p, sa->p1->sa_i_b, sa->p1->sa_i_len), p += sa->p1->sa_i_len;
	memcpy(p, of_initiator ? sa->p1->id_i_b : sa->p1->id_r_b, id_len);
	const EVP_MD *md = auth_md(sa);
	bool ok = ike_hmac(md, sa->skeyid, sa->hlen, buf, n, out, NULL);
	*len = (size_t)EVP_MD_get_size(md);
	OPENSSL_clear_free(buf, n);
	return ok;
}

static bool verify_hash(struct v1_sa *sa, const struct isakmp_message *m, bool of_initiator)
{
	const struct ike_payload *hp = isakmp_find(m, ISA_HASH);
	uint8_t want[64];
	char who[128];
	identity_to_string(&sa->id_remote, who, sizeof(who));
	size_t len;
	if (hp == NULL || hp->len != sa->hlen || !p1_auth_hash(sa, of_initiator, want, &len) ||
	    CRYPTO_memcmp(hp->body, want, sa->hlen) != 0) {
		LOG_WARN("%s: IKEv1 authentication of '%s' failed (HASH does not verify)", sa->conn->name, who);
		sa->d->stats.auth_failures++;
		return false;
	}
	LOG_INFO("%s: '%s' authenticated with a pre-shared key (IKEv1 %s Mode)", sa->conn->name, who,
		 sa->aggressive ? "Aggressive" : "Main");
	return true;
}

bool p1_verify_auth(struct v1_sa *sa, const struct isakmp_message *m, bool of_initiator)
{
	if (sa->conn->remote.auth == AUTH_PUBKEY)
		return v1_sig_verify(sa, m, of_initiator);
	return verify_hash(sa, m, of_initiator);
}

bool p1_add_auth(struct v1_sa *sa, struct ike_builder *b, bool of_initiator)
{
	uint8_t hash[64];
	size_t len;
	if (sa->conn->local.auth == AUTH_PUBKEY)
		return v1_sig_add(sa, b, of_initiator);
	if (!p1_auth_hash(sa, of_initiator, hash, &len))
		return false;
	ike_payload_begin(b, ISA_HASH);
	wire_put_bytes(&b->w, hash, sa->hlen);
	ike_payload_end(b);
	return true;
}

bool p1_make_ke_nonce(struct v1_sa *sa, bool initiator)
{
	uint8_t *gx = initiator ? sa->p1->gx_i : sa->p1->gx_r, *nonce = initiator ? sa->p1->ni : sa->p1->nr;
	size_t *nl = initiator ? &sa->p1->ni_len : &sa->p1->nr_len;
	ke_free(sa->ke);
	sa->ke = ike_exchange_ke(sa->d->v2, sa->group, gx, &sa->p1->gx_len);
	*nl = IKE_OWN_NONCE_LEN;
	return sa->ke && ike_random(nonce, IKE_OWN_NONCE_LEN);
}

bool p1_take_ke_nonce(struct v1_sa *sa, const struct isakmp_message *m, bool from_initiator)
{
	const struct ike_payload *kp = isakmp_find(m, ISA_KE), *np = isakmp_find(m, ISA_NONCE);
	size_t expect = ke_public_len(sa->group);
	if (!kp || !np || kp->len != expect || np->len < 8 || np->len > IKE_NONCE_MAX)
		return false;
	memcpy(from_initiator ? sa->p1->gx_i : sa->p1->gx_r, kp->body, kp->len);
	sa->p1->gx_len = kp->len;
	memcpy(from_initiator ? sa->p1->ni : sa->p1->nr, np->body, np->len);
	*(from_initiator ? &sa->p1->ni_len : &sa->p1->nr_len) = np->len;
	return true;
}

void p1_add_ke_nonce(struct v1_sa *sa, struct ike_builder *b, bool initiator)
{
	ike_payload_begin(b, ISA_KE);
	wire_put_bytes(&b->w, initiator ? sa->p1->gx_i : sa->p1->gx_r, sa->p1->gx_len);
	ike_payload_end(b);
	ike_payload_begin(b, ISA_NONCE);
	wire_put_bytes(&b->w, initiator ? sa->p1->ni : sa->p1->nr, initiator ? sa->p1->ni_len : sa->p1->nr_len);
	ike_payload_end(b);
}

bool p1_keys_from(struct v1_sa *sa, bool ke_ok, const uint8_t *gxy, size_t n)
{
	bool sig = sa->conn->local.auth == AUTH_PUBKEY;
	const struct cfg_secret *psk = sig ? NULL : phase1_psk(sa, sa->conn);
	sa->psk_keyed = psk && psk_digest(psk, sa->psk_digest);
	bool ok = (psk || sig) && ke_ok &&
		  v1_phase1_keys(sa, psk ? psk->secret : NULL, psk ? (size_t)psk->secret_len : 0, gxy, n);
	if (!ok)
		LOG_WARN("%s: IKEv1 keys not derived (%s)", sa->conn->name,
			 psk || sig ? "key exchange value refused" : "no pre-shared key for the configured identities");
	return ok;
}

bool p1_derive(struct v1_sa *sa)
{
	uint8_t gxy[IKE_MAX_KE_LEN];
	size_t n = 0;
	const uint8_t *peer = sa->initiator ? sa->p1->gx_r : sa->p1->gx_i;
	bool ke_ok = ke_derive(sa->ke, peer, sa->p1->gx_len, gxy, &n);
	bool ok = p1_keys_from(sa, ke_ok, gxy, n);
	OPENSSL_cleanse(gxy, sizeof(gxy));
	return ok;
}

bool p1_defer_key_exchange(struct v1_sa *sa)
{
	struct v1_daemon *d = sa->d;
	struct v1_pending_ke *p = &d->pending_ke[d->n_pending_ke];
	if (!d->env.batch_key_exchanges || !ke_batchable(sa->ke) || sa->p1->gx_len != sizeof(p->peer) ||
	    d->n_pending_ke == IKE_KE_BATCH)
		return false;
	p->ours = sa->initiator ? sa->cky_i : sa->cky_r;
	p->cky_i = sa->cky_i;
	p->cky_r = sa->cky_r;
	memcpy(p->peer, sa->initiator ? sa->p1->gx_r : sa->p1->gx_i, sizeof(p->peer));
	d->n_pending_ke++;
	sa->ke_pending = true;
	return true;
}

static void key_exchange_done(void *owner, const struct ke_job *job)
{
	struct v1_sa *sa = owner;
	sa->ke_pending = false;
	v1_main_keys_done(sa, job->ok, job->secret, job->secret_len);
	v1_sa_wake(sa);
}

void v1_finish_key_exchanges(struct v1_daemon *d)
{
	struct ke_job jobs[IKE_KE_BATCH];
	void *sas[IKE_KE_BATCH];
	unsigned n = 0;
	for (unsigned i = 0; i < d->n_pending_ke; i++) {
		struct v1_pending_ke *p = &d->pending_ke[i];
		struct v1_sa *sa = u64map_get(&d->by_cookie, p->ours);
		if (sa == NULL || !sa->ke_pending || sa->state == V1_DEAD || sa->cky_i != p->cky_i || sa->cky_r != p->cky_r)
			continue; /* gone meanwhile */
		sas[n] = sa;
		jobs[n++] = (struct ke_job){ .ke = sa->ke, .peer = p->peer, .peer_len = sizeof(p->peer) };
	}
	d->n_pending_ke = 0;
	ke_batch_complete(jobs, sas, n, key_exchange_done, &d->stats.ke_batched, &d->stats.ke_batches);
}

void p1_established(struct v1_sa *sa)
{
	v1_set_state(sa, V1_ESTABLISHED);
	sa->established_ms = sa->d->env.now_ms(sa->d->env.ctx);
	sa->d->stats.established++;
	LOG_INFO("%s: ISAKMP SA #%u established (%s Mode, %s)", sa->conn->name, sa->serial,
		 sa->aggressive ? "Aggressive" : "Main", sa->initiator ? "initiator" : "responder");
}

void p1_float(struct v1_sa *sa)
{
	if (sa->natt && (sa->nat_local || sa->nat_remote || sa->conn->encap) && !sa->floated) {
		sa->floated = true;
		sa->local.port = IKE_NATT_PORT;
		sa->remote.port = IKE_NATT_PORT;
	}
}

void p1_save_sa_i(struct v1_sa *sa, const struct ike_payload *sap)
{
	v1_keep_copy(&sa->p1->sa_i_b, &sa->p1->sa_i_len, sap->body, sap->len);
}
