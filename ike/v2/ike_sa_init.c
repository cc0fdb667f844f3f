/* SPDX-License-Identifier: BSD-3-Clause */
/* IKE_SA_INIT (RFC 7296 1.2): proposals, key exchange, nonces, NAT detection, cookies (2.6). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ike/conn_index.h"
#include "ike_sa.h"
#include "lib/log.h"
#include "lib/parse.h"

#define COOKIE_VERSION 1

static int ike_proposals(const struct cfg_connection *c, struct proposal *out)
{
	return proposal_parse_list((char(*)[128])c->proposals, c->n_proposals, PROPOSAL_IKE, out, CFG_MAX_PROPOSALS);
}

static uint8_t *copy_msg(const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len);
	if (c)
		memcpy(c, p, len);
	return c;
}

/* Fills cipher and PRF from the chosen proposal. */
static bool adopt_proposal(struct ike_sa *sa, const struct proposal *p)
{
	sa->chosen = *p;
	sa->prf = p->t[TRANS_PRF][0].id;
	uint16_t integ = p->n[TRANS_INTEG] ? p->t[TRANS_INTEG][0].id : 0;
	return prf_output_len(sa->prf) &&
	       sk_cipher_init(&sa->cipher, p->t[TRANS_ENCR][0].id, p->t[TRANS_ENCR][0].key_bits, integ);
}

static void build_sa(struct ike_builder *b, const struct proposal *props, int n, uint8_t num)
{
	struct ike_sa_proposal sp[CFG_MAX_PROPOSALS];
	for (int i = 0; i < n; i++)
		sp[i] = (struct ike_sa_proposal){ .num = num ? num : (uint8_t)(i + 1), .protocol = PROTO_IKE, .p = props[i] };
	sa_payload_add(b, sp, n);
}

/* ---- initiator ---- */

/* Keeps our public value beside the key pair, to send it again unchanged after a COOKIE. */
static struct ke_state *keep_public(struct ike_sa *sa, struct ke_state *ke, const uint8_t *pub, size_t len)
{
	free(sa->ke_pub);
	sa->ke_pub = ke ? malloc(len) : NULL;
	if (sa->ke_pub == NULL) {
		ke_free(ke);
		return NULL;
	}
	memcpy(sa->ke_pub, pub, len);
	sa->ke_pub_len = len;
	return ke;
}

/* The kept pair of the group, or the slot to make one in: a free one, else the one expiring first. */
static struct ke_kept *kept_slot(struct ike_daemon *d, uint16_t group)
{
	struct ke_kept *pick = &d->ke_reuse[0];
	for (int i = 0; i < IKE_KE_KEPT_GROUPS; i++) {
		struct ke_kept *k = &d->ke_reuse[i];
		if (k->ke && k->group == group)
			return k;
		if (pick->ke && (k->ke == NULL || k->until_ms < pick->until_ms))
			pick = k;
	}
	return pick;
}

/*
 * Our key pair for one IKE_SA_INIT (or IKEv1 phase 1 exchange), as initiator or responder. With
 * ike.ke_reuse, one pair serves every exchange for that many seconds (RFC 7296 2.12 allows
 * reusing a DH exponential for a while; secrecy of the SAs made with it then rests on it until
 * it is dropped): half the key exchange work under load.
 */
struct ke_state *ike_exchange_ke(struct ike_daemon *d, uint16_t group, uint8_t *pub, size_t *pub_len)
{
	if (d->cfg->ike_ke_reuse <= 0)
		return ke_create(group, pub, pub_len);
	uint64_t now = ike_now(d);
	struct ke_kept *k = kept_slot(d, group);
	if (k->ke == NULL || k->group != group || now >= k->until_ms) {
		ke_free(k->ke);
		k->ke = ke_create(group, k->pub, &k->pub_len);
		k->group = group;
		k->until_ms = now + (uint64_t)(d->cfg->ike_ke_reuse * 1000);
		if (k->ke == NULL || (d->env.remember_ke_secret && !ke_remember_last(k->ke)))
			return NULL;
	}
	memcpy(pub, k->pub, k->pub_len);
	*pub_len = k->pub_len;
	return ke_share(k->ke);
}

void ike_sa_init_start(struct ike_sa *sa)
{
	uint8_t pub[IKE_MAX_KE_LEN];
	size_t pub_len;
	struct proposal props[CFG_MAX_PROPOSALS];
	int n = ike_proposals(sa->conn, props);
	if (sa->ke_group == 0 && n > 0)
		sa->ke_group = props[0].t[TRANS_DH][0].id;
	/* a retry after COOKIE repeats every other payload unchanged (RFC 7296 2.6): keep KE and nonce */
	if (sa->ke == NULL) {
		struct ke_state *ke = ike_exchange_ke(sa->d, sa->ke_group, pub, &pub_len);
		sa->ke = keep_public(sa, ke, pub, pub_len);
	}
	if (sa->ni_len == 0)
		ike_sa_keep_nonce(&sa->ni, &sa->ni_len, NULL, IKE_OWN_NONCE_LEN);
	if (n == 0 || sa->ke == NULL || sa->ni_len == 0) {
		LOG_ERR("%s: cannot start IKE_SA_INIT (no usable proposal or key exchange group)", sa->conn->name);
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	struct ike_builder b;
	struct ike_header h;
	sa->next_out_id = 0;
	ike_header_for(sa, &h, IKE_SA_INIT, false, 0);
	ike_build_start(&b, &h);
	if (sa->cookie_len)
		notify_add(&b, 0, NULL, 0, N_COOKIE, sa->cookie, sa->cookie_len);
	build_sa(&b, props, n, 0);
	ke_payload_add(&b, sa->ke_group, sa->ke_pub, sa->ke_pub_len);
	nonce_add(&b, sa->ni, sa->ni_len);
	nat_add_notifies(&b, sa, sa->conn->encap);
	if (sa->conn->fragmentation != CFG_FRAG_NO)
		notify_add(&b, 0, NULL, 0, N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (sa->conn->childless != CFG_CHILDLESS_NEVER)
		notify_add(&b, 0, NULL, 0, N_CHILDLESS_IKEV2_SUPPORTED, NULL, 0);
	pubkey_add_sig_hashes(&b);
	size_t len = ike_build_finish(&b);
	free(sa->init_req);
	sa->init_req = copy_msg(b.buf, len);
	sa->init_req_len = len;
	LOG_INFO("%s: initiating IKE_SA #%u to %u.%u.%u.%u", sa->conn->name, sa->serial, sa->remote.addr >> 24,
		 (sa->remote.addr >> 16) & 0xff, (sa->remote.addr >> 8) & 0xff, sa->remote.addr & 0xff);
	ike_send_request(sa, b.buf, len, IKE_SA_INIT);
}

static bool error_notify(const struct ike_message *msg, struct ike_notify *n)
{
	for (int i = 0; i < msg->n; i++)
		if (msg->pl[i].type == PL_NOTIFY && notify_parse(&msg->pl[i], n) && n->type <= N_ERROR_MAX)
			return true;
	return false;
}

#define MAX_COOKIE_TRIES 5

/*
 * A COOKIE: the request goes again with it (RFC 7296 2.6). A responder may hand out another one
 * when its secret changed or our cookie came too late, and answers a retransmission of a request
 * we already retried with the cookie we have (the answer took our request, so it is sent again):
 * either way a few times, then the SA gives up.
 */
static bool take_cookie(struct ike_sa *sa, const struct ike_notify *n)
{
	if (sa->cookie_tries >= MAX_COOKIE_TRIES) {
		LOG_WARN("%s: responder asked for a cookie again, %u times; giving up", sa->conn->name, sa->cookie_tries);
		sa->fail = IKE_FAIL_INIT_REFUSED;
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return true;
	}
	memcpy(sa->cookie, n->data, n->data_len);
	sa->cookie_len = n->data_len;
	sa->cookie_tries++;
	LOG_INFO("%s: responder asked for a cookie; retrying", sa->conn->name);
	ike_sa_init_start(sa);
	return true;
}

/* COOKIE or INVALID_KE_PAYLOAD: start over with what the responder asked for. */
static bool retry_init(struct ike_sa *sa, const struct ike_message *msg)
{
	struct ike_notify n;
	const struct ike_payload *p = ike_find_notify(msg, N_COOKIE);
	if (p && notify_parse(p, &n) && n.data_len >= 1 && n.data_len <= sizeof(sa->cookie))
		return take_cookie(sa, &n);
	p = ike_find_notify(msg, N_INVALID_KE_PAYLOAD);
	if (p && notify_parse(p, &n) && n.data_len == 2) {
		uint16_t group = (uint16_t)(n.data[0] << 8 | n.data[1]);
		struct proposal props[CFG_MAX_PROPOSALS];
		int np = ike_proposals(sa->conn, props);
		bool offered = false;
		for (int i = 0; i < np; i++)
			for (int k = 0; k < props[i].n[TRANS_DH]; k++)
				offered |= props[i].t[TRANS_DH][k].id == group;
		if (offered && group != sa->ke_group) {
			LOG_INFO("%s: responder wants key exchange group %u; retrying", sa->conn->name, group);
			sa->ke_group = group;
			ke_free(sa->ke);
			sa->ke = NULL;
			ike_sa_init_start(sa);
			return true;
		}
	}
	return false;
}

static bool take_response_payloads(struct ike_sa *sa, const struct ike_message *msg, const uint8_t **kep,
				   size_t *ke_len)
{
	struct ike_sa_proposal got[2];
	struct proposal ours[CFG_MAX_PROPOSALS], chosen;
	const struct ike_payload *sap = ike_find(msg, PL_SA), *kp = ike_find(msg, PL_KE), *np = ike_find(msg, PL_NONCE);
	const uint8_t *nonce;
	size_t nlen;
	uint16_t group;
	int n_ours = ike_proposals(sa->conn, ours);
	if (!sap || !kp || !np || sa_payload_parse(sap, got, 2) != 1 || !ke_payload_parse(kp, &group, kep, ke_len) ||
	    !nonce_parse(np, &nonce, &nlen))
		return false;
	/* the responder must have picked exactly one of our proposals, unchanged */
	if (proposal_select(ours, n_ours, &got[0].p, 1, false, &chosen) != 0 || group != sa->ke_group ||
	    chosen.t[TRANS_DH][0].id != group || !adopt_proposal(sa, &chosen))
		return false;
	return ike_sa_keep_nonce(&sa->nr, &sa->nr_len, nonce, nlen);
}

/*
 * env.batch_key_exchanges: the key exchange waits for ike_flush(), or until a batch is full,
 * to be done with others (ke_derive_batch()). A responder builds its answer now and sends it
 * then; an initiator starts IKE_AUTH then.
 */
static bool defer_key_exchange(struct ike_sa *sa, const uint8_t *kep, size_t ke_len)
{
	struct ike_daemon *d = sa->d;
	if (!d->env.batch_key_exchanges || !ke_batchable(sa->ke) || ke_len != sizeof(d->pending_ke[0].peer) ||
	    d->n_pending_ke == IKE_KE_BATCH)
		return false;
	struct ike_pending_ke *p = &d->pending_ke[d->n_pending_ke++];
	p->spi_i = sa->spi_i;
	p->spi_r = sa->spi_r;
	memcpy(p->peer, kep, ke_len);
	sa->ke_pending = true;
	return true;
}

/* The key exchange and the IKE SA's keys from it; NULL, or what failed. */
static const char *derive_now(struct ike_sa *sa, const uint8_t *kep, size_t ke_len)
{
	uint8_t secret[IKE_MAX_KE_LEN];
	size_t n;
	const char *why = NULL;
	if (!ke_derive(sa->ke, kep, ke_len, secret, &n))
		why = "key exchange value";
	else if (!ike_derive_keys(sa, secret, n, NULL, 0))
		why = "key derivation";
	OPENSSL_cleanse(secret, sizeof(secret));
	return why;
}

static void refuse_response(struct ike_sa *sa, const char *why)
{
	LOG_WARN("%s: unacceptable IKE_SA_INIT response from %u.%u.%u.%u (%s)", sa->conn->name, sa->remote.addr >> 24,
		 (sa->remote.addr >> 16) & 255, (sa->remote.addr >> 8) & 255, sa->remote.addr & 255, why);
	sa->d->stats.no_proposal++;
	sa->fail = IKE_FAIL_NO_PROPOSAL;
	ike_sa_set_state(sa, IKE_SA_DEAD);
}

void ike_sa_init_process_response(struct ike_sa *sa, const struct ike_message *msg, const uint8_t *raw, size_t len)
{
	struct ike_notify n;
	const uint8_t *kep;
	size_t ke_len;
	if (retry_init(sa, msg))
		return;
	if (error_notify(msg, &n)) {
		LOG_WARN("%s: IKE_SA_INIT refused by the peer (notify %u)", sa->conn->name, n.type);
		sa->fail = IKE_FAIL_INIT_REFUSED;
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	sa->spi_r = msg->hdr.spi_r;
	const char *why = NULL;
	if (!take_response_payloads(sa, msg, &kep, &ke_len))
		why = "proposal, group or nonce";
	else if (!defer_key_exchange(sa, kep, ke_len))
		why = derive_now(sa, kep, ke_len);
	if (why) {
		refuse_response(sa, why);
		return;
	}
	free(sa->init_resp);
	sa->init_resp = copy_msg(raw, len);
	sa->init_resp_len = len;
	nat_check(sa, msg);
	sa->frag_ok = ike_find_notify(msg, N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL &&
		      sa->conn->fragmentation != CFG_FRAG_NO;
	sa->peer_childless = ike_find_notify(msg, N_CHILDLESS_IKEV2_SUPPORTED) != NULL;
	pubkey_take_sig_hashes(sa, msg);
	pubkey_keep_certreq(sa, msg);
	free(sa->req.msg);
	sa->req.msg = NULL;
	if (!sa->ke_pending)
		ike_auth_start(sa);
	else if (sa->d->n_pending_ke == IKE_KE_BATCH)
		ike_sa_init_finish_deferred(sa->d);
}

/* ---- responder ---- */

/* The first IKEv2 connection for these addresses that accepts one of the peer's proposals. */
static const struct cfg_connection *find_connection(struct ike_daemon *d, const struct ike_endpoint *local,
						    const struct ike_endpoint *remote, const struct proposal *theirs,
						    int n_theirs, struct proposal *chosen, int *which)
{
	struct conn_iter it;
	conn_iter_start(&it, d->cfg, remote->addr);
	for (const struct cfg_connection *c; (c = conn_iter_next(&it)) != NULL;) {
		struct proposal ours[CFG_MAX_PROPOSALS];
		if (c->version == 1 || !cfg_addr_listed(c->local_ranges, c->n_local_addrs, local->addr) ||
		    !cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, remote->addr))
			continue;
		*which = proposal_select(ours, ike_proposals(c, ours), theirs, n_theirs, false, chosen);
		if (*which >= 0)
			return c;
	}
	return NULL;
}

static void respond_error(struct ike_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
			  const struct ike_header *req, uint16_t type, const void *data, size_t len)
{
	struct ike_builder b;
	struct ike_header h = { .spi_i = req->spi_i, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE };
	ike_build_start(&b, &h);
	notify_add(&b, 0, NULL, 0, type, data, len);
	size_t n = ike_build_finish(&b);
	d->stats.tx++;
	d->env.send(d->env.ctx, local, remote, b.buf, n);
}

/* cookie = version | SHA-256(secret | Ni | IPi | SPIi): stateless, checkable on return. */
static void make_cookie(struct ike_daemon *d, const struct ike_endpoint *remote, uint64_t spi_i, const uint8_t *ni,
			size_t ni_len, uint8_t out[1 + SHA256_DIGEST_LENGTH])
{
	uint8_t ip[4] = { (uint8_t)(remote->addr >> 24), (uint8_t)(remote->addr >> 16), (uint8_t)(remote->addr >> 8),
			  (uint8_t)remote->addr };
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	out[0] = COOKIE_VERSION;
	if (c == NULL || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c, d->cookie_secret, sizeof(d->cookie_secret)) || !EVP_DigestUpdate(c, ni, ni_len) ||
	    !EVP_DigestUpdate(c, ip, sizeof(ip)) || !EVP_DigestUpdate(c, &spi_i, sizeof(spi_i)) ||
	    !EVP_DigestFinal_ex(c, out + 1, NULL))
		memset(out + 1, 0, SHA256_DIGEST_LENGTH); /* matches no cookie a peer can send back */
	EVP_MD_CTX_free(c);
}

/* Under load (RFC 7296 2.6): true when the request may proceed; else a COOKIE has been sent. */
static bool cookie_ok(struct ike_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		      const struct ike_message *msg, const uint8_t *ni, size_t ni_len)
{
	if (d->half_open < d->cookie_threshold)
		return true;
	uint8_t want[1 + SHA256_DIGEST_LENGTH];
	struct ike_notify n;
	make_cookie(d, remote, msg->hdr.spi_i, ni, ni_len, want);
	const struct ike_payload *p = ike_find_notify(msg, N_COOKIE);
	if (p && notify_parse(p, &n) && n.data_len == sizeof(want) && CRYPTO_memcmp(n.data, want, sizeof(want)) == 0)
		return true;
	d->stats.cookies_sent++;
	respond_error(d, local, remote, &msg->hdr, N_COOKIE, want, sizeof(want));
	return false;
}

static void send_init_response(struct ike_sa *sa, const struct ike_message *req, uint8_t proposal_num,
			       const uint8_t *pub, size_t pub_len)
{
	struct ike_builder b;
	struct ike_header h;
	ike_header_for(sa, &h, IKE_SA_INIT, true, 0);
	ike_build_start(&b, &h);
	build_sa(&b, &sa->chosen, 1, proposal_num);
	ke_payload_add(&b, sa->ke_group, pub, pub_len);
	nonce_add(&b, sa->nr, sa->nr_len);
	pubkey_add_certreq(sa, &b);
	if (ike_find_notify(req, N_NAT_DETECTION_SOURCE_IP))
		nat_add_notifies(&b, sa, sa->conn->encap);
	sa->frag_ok = ike_find_notify(req, N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL &&
		      sa->conn->fragmentation != CFG_FRAG_NO;
	if (sa->frag_ok)
		notify_add(&b, 0, NULL, 0, N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (sa->conn->childless != CFG_CHILDLESS_NEVER)
		notify_add(&b, 0, NULL, 0, N_CHILDLESS_IKEV2_SUPPORTED, NULL, 0);
	pubkey_take_sig_hashes(sa, req);
	if (sa->peer_sig_hashes) /* RFC 7427 4: only in answer to the initiator's */
		pubkey_add_sig_hashes(&b);
	size_t len = ike_build_finish(&b);
	sa->init_resp = copy_msg(b.buf, len);
	sa->init_resp_len = len;
	sa->next_in_id = 1;
	if (!sa->ke_pending)
		ike_send_response(sa, b.buf, len, 0);
}

static void refuse_key_exchange(struct ike_sa *sa, const struct ike_endpoint *local, const struct ike_endpoint *remote)
{
	struct ike_header req = { .spi_i = sa->spi_i };
	ike_note_invalid(sa->d, remote, "key exchange value is not a group element (RFC 6989)");
	respond_error(sa->d, local, remote, &req, N_INVALID_SYNTAX, NULL, 0);
	ike_sa_set_state(sa, IKE_SA_DEAD);
}

void ike_sa_init_respond(struct ike_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
			 const struct ike_message *msg, const uint8_t *raw, size_t len)
{
	struct ike_sa_proposal theirs[IKE_MAX_PROPOSALS];
	struct proposal tp[IKE_MAX_PROPOSALS], chosen;
	const struct ike_payload *sap = ike_find(msg, PL_SA), *kp = ike_find(msg, PL_KE), *np = ike_find(msg, PL_NONCE);
	const uint8_t *ni, *kep;
	size_t ni_len, ke_len, secret_len;
	uint16_t group;
	int n;
	if (!sap || !kp || !np || (n = sa_payload_parse(sap, theirs, IKE_MAX_PROPOSALS)) <= 0 ||
	    !ke_payload_parse(kp, &group, &kep, &ke_len) || !nonce_parse(np, &ni, &ni_len)) {
		ike_note_invalid(d, remote, "IKE_SA_INIT without a usable SA, KE or nonce");
		respond_error(d, local, remote, &msg->hdr, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (!cookie_ok(d, local, remote, msg, ni, ni_len))
		return;
	if (d->half_open >= d->half_open_max || ike_half_open_from(d, remote->addr) >= d->half_open_per_peer) {
		d->stats.half_open_dropped++;
		return; /* silently: answering would help a flood */
	}
	for (int i = 0; i < n; i++)
		tp[i] = theirs[i].protocol == PROTO_IKE ? theirs[i].p : (struct proposal){ 0 };
	int which = -1;
	const struct cfg_connection *conn = find_connection(d, local, remote, tp, n, &chosen, &which);
	if (conn == NULL) {
		d->stats.no_proposal++;
		LOG_WARN_LIMITED("IKE_SA_INIT from %u.%u.%u.%u: no connection accepts its proposals", remote->addr >> 24,
			 (remote->addr >> 16) & 0xff, (remote->addr >> 8) & 0xff, remote->addr & 0xff);
		respond_error(d, local, remote, &msg->hdr, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	uint16_t want = chosen.t[TRANS_DH][0].id;
	if (group != want) {
		uint8_t g[2] = { (uint8_t)(want >> 8), (uint8_t)want };
		respond_error(d, local, remote, &msg->hdr, N_INVALID_KE_PAYLOAD, g, sizeof(g));
		return;
	}
	struct ike_sa *sa = ike_sa_new(d, false, conn, local, remote);
	uint8_t pub[IKE_MAX_KE_LEN], secret[IKE_MAX_KE_LEN];
	size_t pub_len;
	if (sa == NULL)
		return;
	sa->spi_i = msg->hdr.spi_i;
	sa->state = IKE_SA_INIT_DONE;
	ike_sa_note_half_open(sa);
	ike_sa_wake(sa); /* its half-open timeout */
	sa->ke_group = group;
	sa->ke = ike_exchange_ke(d, group, pub, &pub_len);
	bool ok = sa->ke && ike_sa_keep_nonce(&sa->ni, &sa->ni_len, ni, ni_len) &&
		  ike_sa_keep_nonce(&sa->nr, &sa->nr_len, NULL, IKE_OWN_NONCE_LEN) && adopt_proposal(sa, &chosen);
	if (ok && !defer_key_exchange(sa, kep, ke_len))
		ok = ke_derive(sa->ke, kep, ke_len, secret, &secret_len) && ike_derive_keys(sa, secret, secret_len, NULL, 0);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (!ok) {
		refuse_key_exchange(sa, local, remote); /* a value that is not a group element (RFC 6989) lands here */
		return;
	}
	sa->init_req = copy_msg(raw, len);
	sa->init_req_len = len;
	nat_check(sa, msg);
	send_init_response(sa, msg, theirs[which].num, pub, pub_len);
	if (d->n_pending_ke == IKE_KE_BATCH)
		ike_sa_init_finish_deferred(d);
}

/* ---- key exchanges done together (env.batch_key_exchanges) ---- */

/* Initiator: IKE_AUTH goes out; responder: the IKE_SA_INIT response built earlier. */
static void finish_deferred(void *owner, const struct ke_job *job)
{
	struct ike_sa *sa = owner;
	sa->ke_pending = false;
	bool ok = job->ok && ike_derive_keys(sa, job->secret, job->secret_len, NULL, 0);
	if (sa->initiator) {
		if (ok)
			ike_auth_start(sa);
		else
			refuse_response(sa, job->ok ? "key derivation" : "key exchange value");
	} else if (ok && sa->init_resp) {
		ike_send_response(sa, sa->init_resp, sa->init_resp_len, 0);
	} else {
		refuse_key_exchange(sa, &sa->local, &sa->remote);
	}
	ike_sa_wake(sa);
}

void ike_sa_init_finish_deferred(struct ike_daemon *d)
{
	struct ke_job jobs[IKE_KE_BATCH];
	void *sas[IKE_KE_BATCH];
	unsigned n = 0;
	for (unsigned i = 0; i < d->n_pending_ke; i++) {
		struct ike_pending_ke *p = &d->pending_ke[i];
		struct ike_sa *sa = ike_sa_find(d, p->spi_i, p->spi_r);
		if (sa == NULL || !sa->ke_pending)
			continue; /* gone meanwhile */
		sas[n] = sa;
		jobs[n++] = (struct ke_job){ .ke = sa->ke, .peer = p->peer, .peer_len = sizeof(p->peer) };
	}
	d->n_pending_ke = 0;
	ke_batch_complete(jobs, sas, n, finish_deferred, &d->stats.ke_batched, &d->stats.ke_batches);
}
