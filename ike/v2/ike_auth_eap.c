/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE_AUTH with EAP, dpike the server (RFC 7296 2.16). The initiator's first IKE_AUTH has no AUTH:
 * we answer with our identity and AUTH and the first EAP request; EAP runs one IKE_AUTH round a
 * packet; after EAP Success each side sends AUTH keyed with the method's MSK (SK_pi / SK_pr for
 * a method without one, EAP-MD5), and our last answer carries what the first request asked for:
 * the child, the address, MOBIKE.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/eap/eap.h"
#include "ike/identity.h"
#include "ike/secrets.h"
#include "ike_sa.h"
#include "lib/log.h"

/* The peer's first IKE_AUTH, its payloads copied out of the datagram it came in. */
struct kept_message {
	struct ike_message msg;
	uint8_t data[];
};

/* While EAP runs: the server and the first request; once the SA is up, the identity alone. */
struct ike_eap {
	struct eap_server *server;
	struct kept_message *first;
	bool succeeded;
	uint8_t method;
	char identity[EAP_IDENTITY_MAX + 1]; /* printable, for the log and list-sas */
};

static struct kept_message *keep_message(const struct ike_message *m)
{
	size_t total = 0;
	for (int i = 0; i < m->n; i++)
		total += m->pl[i].len;
	struct kept_message *k = malloc(sizeof(*k) + total);
	if (k == NULL)
		return NULL;
	k->msg = *m;
	k->msg.sk = NULL;
	uint8_t *p = k->data;
	for (int i = 0; i < m->n; i++) {
		memcpy(p, m->pl[i].body, m->pl[i].len);
		k->msg.pl[i].body = p;
		p += m->pl[i].len;
	}
	return k;
}

/* What only the rounds needed: the server's state with its MSK, and the first request. */
static void drop_rounds(struct ike_eap *e)
{
	if (e->server)
		eap_server_wipe(e->server);
	free(e->server);
	free(e->first);
	e->server = NULL;
	e->first = NULL;
}

void ike_eap_free(struct ike_sa *sa)
{
	if (sa->eap == NULL)
		return;
	drop_rounds(sa->eap);
	free(sa->eap);
	sa->eap = NULL;
}

const char *ike_eap_identity(const struct ike_sa *sa, const char **method)
{
	if (sa->eap == NULL || !sa->eap->succeeded)
		return NULL;
	*method = eap_type_name(sa->eap->method);
	return sa->eap->identity;
}

static bool password_of(void *ctx, const uint8_t *identity, size_t len, const uint8_t **pw, size_t *pw_len)
{
	const struct cfg_secret *s = eap_secret_lookup(ctx, identity, len);
	if (s == NULL)
		return false;
	*pw = s->secret;
	*pw_len = (size_t)s->secret_len;
	return true;
}

static void eap_payload_add(struct ike_builder *b, const uint8_t *packet, size_t len)
{
	ike_payload_begin(b, PL_EAP);
	wire_put_bytes(&b->w, packet, len);
	ike_payload_end(b);
}

static void start_response(struct ike_sa *sa, struct ike_builder *b, uint32_t msg_id)
{
	struct ike_header h;
	ike_header_for(sa, &h, IKE_AUTH, true, msg_id);
	ike_build_start(b, &h);
	ike_sk_begin(b);
}

static void send_response(struct ike_sa *sa, struct ike_builder *b, uint32_t msg_id)
{
	size_t len = ike_sk_finish(sa, b);
	if (len)
		ike_send_response(sa, b->buf, len, msg_id);
}

/* The identity EAP runs for: eap_id = %any asks the peer, another eap_id is it, none is the IKE identity. */
static void eap_identity(const struct ike_sa *sa, const uint8_t **id, size_t *len)
{
	const char *configured = sa->conn->remote.eap_id;
	if (strcmp(configured, "%any") == 0) {
		*id = NULL, *len = 0;
	} else if (configured[0]) {
		*id = (const uint8_t *)configured, *len = strlen(configured);
	} else {
		*id = sa->id_remote.data, *len = sa->id_remote.len;
	}
}

static void begin(struct ike_sa *sa, const struct ike_message *msg)
{
	uint32_t msg_id = msg->hdr.msg_id;
	uint8_t packet[EAP_PACKET_MAX];
	const uint8_t *id;
	size_t id_len, n = 0;
	struct ike_builder b;
	if (!ike_auth_choose_identity(sa, msg) || !ike_auth_childless_fits(sa, msg) ||
	    (sa->eap = calloc(1, sizeof(*sa->eap))) == NULL || (sa->eap->first = keep_message(msg)) == NULL ||
	    (sa->eap->server = malloc(sizeof(*sa->eap->server))) == NULL) {
		ike_auth_respond_failed(sa, msg_id);
		return;
	}
	eap_identity(sa, &id, &id_len);
	sa->eap->method = sa->conn->remote.eap_type;
	n = eap_server_start(sa->eap->server, sa->eap->method, id, id_len, password_of, (void *)sa->d->cfg, packet,
			     sizeof(packet));
	start_response(sa, &b, msg_id);
	id_add(&b, PL_IDR, &sa->id_local);
	pubkey_add_certs(sa, &b);
	if (n == 0 || !ike_auth_add_own(sa, &b, false)) {
		ike_auth_respond_failed(sa, msg_id);
		return;
	}
	eap_payload_add(&b, packet, n);
	send_response(sa, &b, msg_id);
}

/* The EAP identity, non-printable bytes as '?'. */
static void note_identity(struct ike_eap *e)
{
	const struct eap_server *s = e->server;
	for (size_t i = 0; i < s->identity_len; i++)
		e->identity[i] = s->identity[i] >= 0x20 && s->identity[i] < 0x7f ? (char)s->identity[i] : '?';
	e->identity[s->identity_len] = '\0';
}

/* One EAP packet each way: the next request, or Success, or Failure (and the SA is over). */
static void round_trip(struct ike_sa *sa, const struct ike_message *msg)
{
	const struct ike_payload *p = ike_find(msg, PL_EAP);
	struct ike_eap *e = sa->eap;
	uint8_t packet[EAP_PACKET_MAX];
	size_t n = 0;
	struct ike_builder b;
	enum eap_result r = p ? eap_server_process(e->server, p->body, p->len, packet, sizeof(packet), &n) : EAP_FAILED;
	note_identity(e);
	start_response(sa, &b, msg->hdr.msg_id);
	if (n)
		eap_payload_add(&b, packet, n);
	if (r == EAP_FAILED) {
		sa->d->stats.auth_failures++;
		LOG_WARN_LIMITED("%s: %s of '%s' failed: %s", sa->conn->name, eap_type_name(e->method), e->identity,
				 p ? e->server->why : "an IKE_AUTH request without EAP payload");
		if (n == 0)
			notify_add(&b, 0, NULL, 0, N_AUTHENTICATION_FAILED, NULL, 0);
		send_response(sa, &b, msg->hdr.msg_id);
		ike_sa_set_state(sa, IKE_SA_DEAD);
		return;
	}
	if (r == EAP_DONE) {
		e->succeeded = true;
		LOG_INFO("%s: '%s' authenticated with %s%s", sa->conn->name, e->identity, eap_type_name(e->method),
			 e->server->msk_len ? "" : " (no MSK: AUTH keyed with SK_p)");
	}
	send_response(sa, &b, msg->hdr.msg_id);
}

/* AUTH keyed with the MSK, or without one SK_pi (the peer's) or SK_pr (ours), as strongSwan. */
static bool eap_auth(const struct ike_sa *sa, bool of_initiator, uint8_t *out, size_t *out_len)
{
	const struct eap_server *s = sa->eap->server;
	const uint8_t *key = s->msk_len ? s->msk : of_initiator ? sa->sk_pi : sa->sk_pr;
	size_t key_len = s->msk_len ? s->msk_len : prf_output_len(sa->prf);
	return ike_auth_shared_key(sa, of_initiator, key, key_len, of_initiator ? &sa->id_remote : &sa->id_local, out,
				   out_len);
}

static void finish(struct ike_sa *sa, const struct ike_message *msg)
{
	const struct ike_payload *ap = ike_find(msg, PL_AUTH);
	uint32_t msg_id = msg->hdr.msg_id;
	uint8_t method, want[IKE_MAX_PRF_LEN], ours[IKE_MAX_PRF_LEN];
	const uint8_t *got;
	size_t got_len, want_len, ours_len;
	if (ap == NULL || !auth_parse(ap, &method, &got, &got_len) || method != AUTH_SHARED_KEY_MIC ||
	    !eap_auth(sa, true, want, &want_len) || got_len != want_len || CRYPTO_memcmp(got, want, want_len) != 0) {
		sa->d->stats.auth_failures++;
		LOG_WARN_LIMITED("%s: the AUTH after EAP does not verify", sa->conn->name);
		ike_auth_respond_failed(sa, msg_id);
		return;
	}
	if (!ike_unique_admits(sa) || !eap_auth(sa, false, ours, &ours_len)) {
		ike_auth_respond_failed(sa, msg_id);
		return;
	}
	struct ike_builder b;
	const struct ike_message *first = &sa->eap->first->msg;
	start_response(sa, &b, msg_id);
	ike_auth_add_mobike(sa, first, &b);
	auth_add(&b, AUTH_SHARED_KEY_MIC, ours, ours_len);
	ike_auth_finish_response(sa, first, &b, msg_id);
	drop_rounds(sa->eap);
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(ours, sizeof(ours));
}

void ike_eap_respond(struct ike_sa *sa, const struct ike_message *msg)
{
	if (sa->eap == NULL)
		begin(sa, msg);
	else if (sa->eap->server == NULL)
		ike_auth_respond_failed(sa, msg->hdr.msg_id); /* over: an IKE_AUTH after the last */
	else if (sa->eap->succeeded)
		finish(sa, msg);
	else
		round_trip(sa, msg);
}
