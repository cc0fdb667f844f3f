/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 XAuth (draft-beaulieu-ike-xauth-02), generic user name and password, over the
 * Transaction exchange (transaction.c) right after phase 1: the server (the edge device, here
 * the responder with remote-2 { auth = xauth }) sends REQUEST naming XAUTH-USER-NAME and
 * -PASSWORD, the client (local-2 { auth = xauth; xauth_id }) REPLY with them, the server SET with
 * XAUTH-STATUS (1 OK, 0 FAIL), the client ACK. Phase 1 negotiates XAUTHInitPreShared (65001) or
 * XAUTHInitRSA (65005), so that both ends know it is coming. Passwords are secrets of type
 * "xauth" by user name; compared in constant time, never logged, wiped from the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/identity.h"
#include "ike/secrets.h"
#include "lib/log.h"
#include "v1_sa.h"

enum { XAUTH_FAIL = 0, XAUTH_OK = 1 };

/* The user name for the log: printable characters only, cut short. */
static void printable(const uint8_t *s, size_t len, char *out, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < size; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[n] = '\0';
}

void v1_xauth_start(struct v1_sa *sa)
{
	struct v1_transaction *x = v1_transaction_new(sa, V1CFG_REQUEST, true);
	struct ike_builder b;
	if (x == NULL)
		return;
	size_t at = v1_transaction_begin(sa, &b, x);
	v1_cfg_put(&b, V1CFG_XAUTH_USER_NAME, NULL, 0);
	v1_cfg_put(&b, V1CFG_XAUTH_USER_PASSWORD, NULL, 0);
	v1_transaction_send(sa, x, &b, at);
}

/* Server: are the user and password the client sent right? */
static bool credentials_ok(const struct v1_sa *sa, const struct v1_cfg_attrs *a)
{
	const char *only = sa->conn->xauth_remote_id;
	if (a->user == NULL || a->password == NULL ||
	    (only[0] && (strlen(only) != a->user_len || memcmp(only, a->user, a->user_len) != 0)))
		return false;
	const struct cfg_secret *s = xauth_secret_lookup(sa->d->cfg, a->user, a->user_len);
	return s && (size_t)s->secret_len == a->password_len &&
	       CRYPTO_memcmp(s->secret, a->password, a->password_len) == 0;
}

static void send_status(struct v1_sa *sa, bool ok)
{
	struct v1_transaction *x = v1_transaction_new(sa, V1CFG_SET, true);
	struct ike_builder b;
	if (x == NULL)
		return;
	size_t at = v1_transaction_begin(sa, &b, x);
	v1_cfg_put_tv(&b, V1CFG_XAUTH_STATUS, ok ? XAUTH_OK : XAUTH_FAIL);
	v1_transaction_send(sa, x, &b, at);
}

/* Server: the client's REPLY with its credentials, or its ACK of the outcome. */
void v1_xauth_answered(struct v1_sa *sa, struct v1_transaction *x, const struct v1_cfg_attrs *a)
{
	char user[64];
	if (x->type == V1CFG_SET) {
		if (!sa->xauth_failed) {
			sa->setup = V1_SETUP_DONE;
			v1_mode_config_push(sa);
			if (sa->child_cfg) /* one of ours that waited (v1_setup_holds()) */
				v1_quick_start(sa, sa->child_cfg, NULL);
			return;
		}
		v1_send_delete(sa, PROTO_IKE, NULL, 0);
		v1_set_state(sa, V1_DEAD);
		return;
	}
	bool ok = credentials_ok(sa, a);
	printable(a->user ? a->user : (const uint8_t *)"", a->user_len, user, sizeof(user));
	if (a->password) /* the decrypted message is ours to wipe */
		OPENSSL_cleanse((uint8_t *)(uintptr_t)a->password, a->password_len);
	if (ok) {
		LOG_INFO("%s: ISAKMP SA #%u: XAuth user '%s' authenticated", sa->conn->name, sa->serial, user);
		snprintf(sa->xauth_user, sizeof(sa->xauth_user), "%s", user);
		ok = v1_unique_admits(sa);
		if (ok)
			v1_unique_after_xauth(sa);
		else
			sa->xauth_failed = true; /* refused by unique = keep: FAIL, and the SA goes */
	} else {
		LOG_WARN("%s: ISAKMP SA #%u: XAuth user '%s' refused (unknown user or wrong password)", sa->conn->name,
			 sa->serial, user);
		sa->d->stats.auth_failures++;
		sa->xauth_failed = true;
		sa->fail = IKE_FAIL_PEER_AUTH;
	}
	send_status(sa, ok);
}

/* Client: our user name and password, for the server's REQUEST. */
static void put_credentials(struct v1_sa *sa, struct ike_builder *b)
{
	const char *id = sa->conn->xauth_local_id;
	const struct cfg_secret *s = xauth_secret_lookup(sa->d->cfg, (const uint8_t *)id, strlen(id));
	if (!sa->conn->xauth_local || s == NULL) {
		LOG_WARN("%s: ISAKMP SA #%u: the peer asks for XAuth credentials and %s", sa->conn->name, sa->serial,
			 sa->conn->xauth_local ? "no xauth secret names our xauth_id" : "the connection has no local-2");
		return;
	}
	v1_cfg_put(b, V1CFG_XAUTH_USER_NAME, id, strlen(id));
	v1_cfg_put(b, V1CFG_XAUTH_USER_PASSWORD, s->secret, (size_t)s->secret_len);
}

/* Client: the server's REQUEST for credentials, or its SET of the outcome. */
void v1_xauth_peer(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, const struct v1_cfg_attrs *a)
{
	struct v1_transaction *x = v1_transaction_answer(sa, m, raw, a, true);
	struct ike_builder b;
	if (x == NULL)
		return;
	size_t at = v1_transaction_begin(sa, &b, x);
	if (a->type == V1CFG_REQUEST) {
		put_credentials(sa, &b);
		v1_transaction_send(sa, x, &b, at);
		return;
	}
	v1_cfg_put_tv(&b, V1CFG_XAUTH_STATUS, a->status == XAUTH_OK ? XAUTH_OK : XAUTH_FAIL);
	v1_transaction_send(sa, x, &b, at);
	if (a->status != XAUTH_OK) {
		LOG_WARN("%s: ISAKMP SA #%u: the peer refused our XAuth credentials", sa->conn->name, sa->serial);
		sa->fail = IKE_FAIL_AUTH_REFUSED;
		v1_set_state(sa, V1_DEAD);
		return;
	}
	LOG_INFO("%s: ISAKMP SA #%u: XAuth done", sa->conn->name, sa->serial);
	if (sa->setup == V1_SETUP_XAUTH)
		v1_setup_next(sa);
}
