/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE_AUTH (RFC 7296 1.2, 2.15): identities, authentication (PSK here, signatures in auth_pubkey.c,
 * EAP in ike_auth_eap.c), the first child SA.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike/conn_index.h"
#include "ike/conns.h"
#include "ike/identity.h"
#include "ike/secrets.h"
#include "ike_sa.h"
#include "lib/log.h"

#define KEY_PAD "Key Pad for IKEv2"

static void local_identity(const struct ike_sa *sa, struct ike_id *id)
{
	if (sa->conn->local.id[0] == '\0' || !identity_from_string(sa->conn->local.id, id))
		identity_from_ipv4(sa->local.addr, id);
}

uint8_t *ike_auth_octets(const struct ike_sa *sa, bool of_initiator, const struct ike_id *id, size_t *len)
{
	size_t plen = prf_output_len(sa->prf);
	const uint8_t *msg = of_initiator ? sa->init_req : sa->init_resp;
	size_t msg_len = of_initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = of_initiator ? sa->nr : sa->ni;
	size_t nonce_len = of_initiator ? sa->nr_len : sa->ni_len;
	uint8_t idb[4 + IKE_ID_MAX];
	uint8_t *octets = msg ? OPENSSL_malloc(msg_len + nonce_len + plen) : NULL;
	idb[0] = id->type;
	idb[1] = idb[2] = idb[3] = 0;
	memcpy(idb + 4, id->data, id->len);
	if (octets == NULL ||
	    !prf_compute(sa->prf, of_initiator ? sa->sk_pi : sa->sk_pr, plen, idb, 4u + id->len,
			 octets + msg_len + nonce_len)) {
		OPENSSL_free(octets);
		return NULL;
	}
	memcpy(octets, msg, msg_len);
	memcpy(octets + msg_len, nonce, nonce_len);
	*len = msg_len + nonce_len + plen;
	return octets;
}

bool ike_auth_shared_key(const struct ike_sa *sa, bool of_initiator, const uint8_t *secret, size_t secret_len,
			 const struct ike_id *id, uint8_t *out, size_t *out_len)
{
	size_t plen = prf_output_len(sa->prf), len = 0;
	uint8_t key[IKE_MAX_PRF_LEN];
	uint8_t *octets = ike_auth_octets(sa, of_initiator, id, &len);
	bool ok = octets &&
		  prf_compute(sa->prf, secret, secret_len, (const uint8_t *)KEY_PAD, strlen(KEY_PAD), key) &&
		  prf_compute(sa->prf, key, plen, octets, len, out);
	*out_len = plen;
	OPENSSL_clear_free(octets, len);
	OPENSSL_cleanse(key, sizeof(key));
	return ok;
}

static bool psk_auth(const struct ike_sa *sa, bool of_initiator, const struct cfg_secret *psk, const struct ike_id *id,
		     uint8_t *out, size_t *out_len)
{
	return ike_auth_shared_key(sa, of_initiator, psk->secret, (size_t)psk->secret_len, id, out, out_len);
}

static bool verify_psk(struct ike_sa *sa, const struct ike_message *msg, bool of_initiator)
{
	const struct ike_payload *ap = ike_find(msg, PL_AUTH);
	const struct cfg_secret *psk = psk_lookup(sa->d->cfg, &sa->id_local, &sa->id_remote);
	uint8_t method, want[IKE_MAX_PRF_LEN];
	const uint8_t *got;
	size_t got_len, want_len;
	char who[128];
	identity_to_string(&sa->id_remote, who, sizeof(who));
	if (ap == NULL || !auth_parse(ap, &method, &got, &got_len) || method != AUTH_SHARED_KEY_MIC || psk == NULL ||
	    !psk_auth(sa, of_initiator, psk, &sa->id_remote, want, &want_len) || got_len != want_len ||
	    CRYPTO_memcmp(got, want, want_len) != 0) {
		LOG_WARN_LIMITED("%s: authentication of '%s' failed (%s)", sa->conn->name, who,
				 psk == NULL ? "no pre-shared key for this identity" : "AUTH does not verify");
		sa->d->stats.auth_failures++;
		return false;
	}
	LOG_INFO("%s: '%s' authenticated with a pre-shared key", sa->conn->name, who);
	return true;
}

/* The peer authenticates as its connection's remote round says, and with nothing else (EAP: ike_auth_eap.c). */
static bool verify_peer(struct ike_sa *sa, const struct ike_message *msg, bool of_initiator)
{
	if (sa->conn->remote.auth == AUTH_EAP) {
		LOG_WARN_LIMITED("%s: the peer sent AUTH where EAP is configured", sa->conn->name);
		sa->d->stats.auth_failures++;
		return false;
	}
	if (sa->conn->remote.auth == AUTH_PUBKEY)
		return pubkey_verify(sa, msg, of_initiator);
	return verify_psk(sa, msg, of_initiator);
}

static bool add_psk_auth(struct ike_sa *sa, struct ike_builder *b, bool of_initiator)
{
	const struct cfg_secret *psk = psk_lookup(sa->d->cfg, &sa->id_local, &sa->id_remote);
	uint8_t auth[IKE_MAX_PRF_LEN];
	size_t n;
	if (psk == NULL || !psk_auth(sa, of_initiator, psk, &sa->id_local, auth, &n)) {
		LOG_ERR("%s: no pre-shared key for our identity", sa->conn->name);
		return false;
	}
	auth_add(b, AUTH_SHARED_KEY_MIC, auth, n);
	return true;
}

/* Our ID, with the certificate that backs it when we authenticate with one; peer_msg: its CERTREQs. */
bool ike_auth_choose_identity(struct ike_sa *sa, const struct ike_message *peer_msg)
{
	if (sa->conn->local.auth == AUTH_PUBKEY)
		return pubkey_choose_own(sa, peer_msg, &sa->id_local);
	if (!sa->id_local_given)
		local_identity(sa, &sa->id_local);
	return true;
}

bool ike_auth_add_own(struct ike_sa *sa, struct ike_builder *b, bool of_initiator)
{
	if (sa->conn->local.auth == AUTH_PUBKEY)
		return pubkey_add_auth(sa, b, of_initiator);
	return add_psk_auth(sa, b, of_initiator);
}

/* Moves IKE to port 4500 once a NAT is seen (or faked with encap = yes), as RFC 7296 2.23 asks. */
static void float_if_nat(struct ike_sa *sa)
{
	if ((sa->nat_local || sa->nat_remote || sa->conn->encap) && !sa->floated) {
		sa->floated = true;
		sa->local.port = IKE_NATT_PORT;
		sa->remote.port = IKE_NATT_PORT;
	}
}

/* ---- initiator ---- */

static void add_child_request(struct ike_sa *sa, struct ike_builder *b)
{
	const struct cfg_child *c = sa->child_cfg;
	struct ike_ts tsi[IKE_MAX_TS], tsr[IKE_MAX_TS];
	int ni, nr;
	struct cfg_ts_list given = { .n = 1 };
	given.ts[0] = sa->local_ts;
	sa->child_spi_in = child_alloc_spi(sa->d);
	if (sa->local_ts_given)
		child_ts_from_config(&given, sa->local.addr, tsi, &ni);
	else
		child_local_ts(sa, c, tsi, &ni);
	child_ts_from_config(&c->remote_ts, sa->remote.addr, tsr, &nr);
	child_add_request(sa, b, c, sa->child_spi_in, false, tsi, ni, tsr, nr);
}

/* No other IKE SA of sa's connection and local identity, in any state: INITIAL_CONTACT is true. */
static bool first_with_peer(const struct ike_sa *sa)
{
	if (sa->id_local_given)
		return false; /* dpike-load's: one of many, whatever the identity */
	for (const struct ike_sa *o = sa->d->sas; o; o = o->next)
		if (o != sa && o->state != IKE_SA_DEAD && o->conn == sa->conn && identity_equal(&o->id_local, &sa->id_local))
			return false;
	return true;
}

void ike_auth_start(struct ike_sa *sa)
{
	struct ike_builder b;
	struct ike_header h;
	float_if_nat(sa);
	if (sa->conn->childless == CFG_CHILDLESS_FORCE && !sa->peer_childless) {
		LOG_WARN("%s: the peer does not support childless IKE_SA initiation (RFC 6023), which childless = force asks",
			 sa->conn->name);
		sa->fail = IKE_FAIL_INIT_REFUSED;
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	if (!ike_auth_choose_identity(sa, NULL)) {
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	ike_header_for(sa, &h, IKE_AUTH, false, sa->next_out_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	id_add(&b, PL_IDI, &sa->id_local);
	if (first_with_peer(sa))
		notify_add(&b, 0, NULL, 0, N_INITIAL_CONTACT, NULL, 0); /* the peer may drop what it kept from before we restarted */
	pubkey_add_certs(sa, &b);
	pubkey_add_certreq(sa, &b);
	struct ike_id want;
	/* IDr names the responder we want; a wildcard pattern names none */
	if (sa->conn->remote.id[0] && strcmp(sa->conn->remote.id, "%any") != 0 && !strchr(sa->conn->remote.id, '*') &&
	    identity_from_string(sa->conn->remote.id, &want))
		id_add(&b, PL_IDR, &want);
	if (!ike_auth_add_own(sa, &b, true)) {
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	cp_add_request(sa, &b);
	if (sa->child_cfg && sa->conn->childless != CFG_CHILDLESS_FORCE) /* forced: by CREATE_CHILD_SA once up */
		add_child_request(sa, &b);
	size_t len = ike_sk_finish(sa, &b);
	if (len == 0 || !ike_sa_set_state(sa, IKE_SA_AUTH_SENT)) {
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	ike_send_request(sa, b.buf, len, IKE_AUTH);
}

void ike_auth_process_response(struct ike_sa *sa, const struct ike_message *msg)
{
	const struct ike_payload *idp = ike_find(msg, PL_IDR);
	if (ike_find_notify(msg, N_AUTHENTICATION_FAILED) || idp == NULL || !id_parse(idp, &sa->id_remote)) {
		LOG_WARN("%s: the peer refused our authentication", sa->conn->name);
		sa->d->stats.auth_failures++;
		sa->fail = IKE_FAIL_AUTH_REFUSED;
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	if (!identity_matches(sa->conn->remote.id, &sa->id_remote) || !verify_peer(sa, msg, false)) {
		sa->fail = IKE_FAIL_PEER_AUTH;
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	ike_sa_set_state(sa, IKE_SA_ESTABLISHED);
	LOG_INFO("%s: IKE_SA #%u established (initiator)", sa->conn->name, sa->serial);
	if (!ike_unique_admits(sa)) {
		sa->child_cfg = NULL;
		ike_sa_delete(sa);
		return;
	}
	ike_unique_established(sa, ike_find_notify(msg, N_INITIAL_CONTACT) != NULL);
	ike_auth_lifetime_take(sa, msg);
	cp_process_reply(sa, msg);
	if (sa->child_cfg && sa->conn->childless == CFG_CHILDLESS_FORCE)
		ccsa_create_child(sa, sa->child_cfg);
	else if (sa->child_cfg)
		child_complete(sa, msg);
	sa->child_cfg = NULL;
}

/* ---- responder ---- */

/* The peer's identity may select another connection for the same addresses and proposal. */
static const struct cfg_connection *connection_for_id(struct ike_sa *sa)
{
	if (identity_matches(sa->conn->remote.id, &sa->id_remote))
		return sa->conn;
	struct conn_iter it;
	conn_iter_start(&it, sa->d->cfg, sa->remote.addr);
	for (const struct cfg_connection *c; (c = conn_iter_next(&it)) != NULL;) {
		struct proposal ours[CFG_MAX_PROPOSALS], chosen;
		if (c->version == 1 || !c->remote.id[0] || !identity_matches(c->remote.id, &sa->id_remote) ||
		    !cfg_addr_listed(c->local_ranges, c->n_local_addrs, sa->local.addr) ||
		    !cfg_addr_listed(c->remote_ranges, c->n_remote_addrs, sa->remote.addr))
			continue; /* before the proposals are parsed: most connections name other peers */
		int n = proposal_parse_list((char(*)[128])c->proposals, c->n_proposals, PROPOSAL_IKE, ours,
					    CFG_MAX_PROPOSALS);
		if (proposal_select(ours, n, &sa->chosen, 1, false, &chosen) == 0)
			return c;
	}
	return NULL;
}

/* The connection's childless (RFC 6023) against whether the initiator asked for a child here. */
bool ike_auth_childless_fits(const struct ike_sa *sa, const struct ike_message *msg)
{
	bool child = ike_find(msg, PL_SA) != NULL;
	if (sa->conn->childless == CFG_CHILDLESS_FORCE && child) {
		LOG_WARN("%s: IKE_AUTH with a child, where childless = force asks for none (RFC 6023)", sa->conn->name);
		return false;
	}
	if (sa->conn->childless == CFG_CHILDLESS_NEVER && !child) {
		LOG_WARN("%s: a childless IKE_SA (RFC 6023), which childless = never refuses", sa->conn->name);
		return false;
	}
	return true;
}

void ike_auth_respond_failed(struct ike_sa *sa, uint32_t msg_id)
{
	struct ike_builder b;
	struct ike_header h;
	ike_header_for(sa, &h, IKE_AUTH, true, msg_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	notify_add(&b, 0, NULL, 0, N_AUTHENTICATION_FAILED, NULL, 0);
	size_t len = ike_sk_finish(sa, &b);
	if (len)
		ike_send_response(sa, b.buf, len, msg_id);
	ike_sa_set_state(sa, IKE_SA_DEAD);
}

void ike_auth_finish_response(struct ike_sa *sa, const struct ike_message *req, struct ike_builder *b, uint32_t msg_id)
{
	ike_sa_set_state(sa, IKE_SA_ESTABLISHED);
	LOG_INFO("%s: IKE_SA #%u established (responder)", sa->conn->name, sa->serial);
	/* before its child goes in: the old ones' policies go first */
	ike_unique_established(sa, ike_find_notify(req, N_INITIAL_CONTACT) != NULL);
	uint16_t err = cp_respond(sa, req, b); /* an address first: the child's selectors may name it */
	if (err == 0 && ike_find(req, PL_SA))
		err = child_respond(sa, req, b, true);
	if (err)
		notify_add(b, 0, NULL, 0, err, NULL, 0);
	ike_auth_lifetime_add(sa, b);
	size_t len = ike_sk_finish(sa, b);
	if (len)
		ike_send_response(sa, b->buf, len, msg_id);
}

void ike_auth_add_mobike(struct ike_sa *sa, const struct ike_message *req, struct ike_builder *b)
{
	sa->mobike = sa->conn->mobike && ike_find_notify(req, N_MOBIKE_SUPPORTED) != NULL;
	if (sa->mobike)
		notify_add(b, 0, NULL, 0, N_MOBIKE_SUPPORTED, NULL, 0);
}

void ike_auth_respond(struct ike_sa *sa, const struct ike_message *msg)
{
	const struct ike_payload *idp = ike_find(msg, PL_IDI);
	uint32_t msg_id = msg->hdr.msg_id;
	const struct cfg_connection *conn;
	if (sa->eap) { /* the rounds after the first: no IDi in them */
		ike_eap_respond(sa, msg);
		return;
	}
	if (idp == NULL || !id_parse(idp, &sa->id_remote) || (conn = connection_for_id(sa)) == NULL) {
		sa->d->stats.auth_failures++;
		LOG_WARN_LIMITED("%s: IKE_AUTH with no acceptable identity", sa->conn->name);
		ike_auth_respond_failed(sa, msg_id);
		return;
	}
	ike_conn_set(&sa->conn, conn);
	if (conn->remote.auth == AUTH_EAP && ike_find(msg, PL_AUTH) == NULL) {
		ike_eap_respond(sa, msg); /* RFC 7296 2.16: no AUTH asks for EAP */
		return;
	}
	if (!ike_auth_choose_identity(sa, msg) || !verify_peer(sa, msg, true) || !ike_unique_admits(sa) ||
	    !ike_auth_childless_fits(sa, msg)) {
		ike_auth_respond_failed(sa, msg_id);
		return;
	}
	struct ike_builder b;
	struct ike_header h;
	ike_header_for(sa, &h, IKE_AUTH, true, msg_id);
	ike_build_start(&b, &h);
	ike_sk_begin(&b);
	id_add(&b, PL_IDR, &sa->id_local);
	pubkey_add_certs(sa, &b);
	ike_auth_add_mobike(sa, msg, &b);
	if (!ike_auth_add_own(sa, &b, false)) {
		ike_auth_respond_failed(sa, msg_id);
		return;
	}
	ike_auth_finish_response(sa, msg, &b, msg_id);
}
