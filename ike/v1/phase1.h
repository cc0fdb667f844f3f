/* SPDX-License-Identifier: BSD-3-Clause */
/* What Main Mode and Aggressive Mode share (RFC 2409 5, RFC 3947, RFC 3706). */
#ifndef DPIKE_IKE_V1_PHASE1_H
#define DPIKE_IKE_V1_PHASE1_H

#include "v1_sa.h"

/* Our phase 1 proposal: one transform per cipher x hash x group of the connection's proposals. */
void p1_proposal(const struct cfg_connection *c, struct v1_proposal *p);
/* The first of the peer's transforms we accept; false when none. */
bool p1_select(const struct cfg_connection *c, const struct v1_proposal *theirs,
	       struct v1_transform *chosen);
/* Takes the chosen transform's cipher, hash and group into sa. */
bool p1_adopt(struct v1_sa *sa, const struct v1_transform *t);
/* The connection for a Main/Aggressive Mode request from these addresses accepting one of the transforms. */
const struct cfg_connection *p1_connection(const struct v1_daemon *d, const struct ike_endpoint *local,
					   const struct ike_endpoint *remote, const struct v1_proposal *theirs,
					   bool aggressive, struct v1_transform *chosen);

/*
 * The peer's ID may select another connection for the same addresses and transform, as in
 * IKEv2; once keys are derived only between connections that sign (a PSK entered the keys).
 * False when no connection accepts the ID.
 */
bool p1_connection_for_id(struct v1_sa *sa);

void p1_add_vendor_ids(const struct v1_sa *sa, struct ike_builder *b);
void p1_read_vendor_ids(struct v1_sa *sa, const struct isakmp_message *m);
void p1_add_nat_d(struct v1_sa *sa, struct ike_builder *b);
void p1_check_nat_d(struct v1_sa *sa, const struct isakmp_message *m);

void p1_identity(struct v1_sa *sa, struct ike_id *id);
/* ID payload body: type, protocol 0, port 0, data (phase 1). */
size_t p1_id_body(const struct ike_id *id, uint8_t *out);
void p1_add_id(struct ike_builder *b, const struct ike_id *id);
bool p1_parse_id(const struct ike_payload *p, struct ike_id *id, uint8_t *body, size_t *body_len);
/*
 * HASH_I (of_initiator) or HASH_R, *len bytes of it: the negotiated PRF's, except that ECDSA
 * methods take HMAC with their curve's hash (RFC 4754; SHA-384 for P-384, as strongSwan does).
 */
bool p1_auth_hash(const struct v1_sa *sa, bool of_initiator, uint8_t *out, size_t *len);
/* Our HASH_x, or CERT and SIG_x when the connection authenticates with a certificate. */
bool p1_add_auth(struct v1_sa *sa, struct ike_builder *b, bool of_initiator);
/* The peer's HASH_x or SIG_x, as its connection's remote auth says. */
bool p1_verify_auth(struct v1_sa *sa, const struct isakmp_message *m, bool of_initiator);
/* The auth method attribute of our proposals (RFC 2409 App. A). */
uint16_t p1_auth_method(const struct cfg_connection *c);
/* The signature method of the connection's certificates (RSA, ECDSA-256/384/521; 0 without). */
uint16_t v1_sig_method(const struct cfg_connection *c);

/* Signature authentication (auth_sig.c). */
void v1_sig_add_cr(struct v1_sa *sa, struct ike_builder *b);
/* Chooses our certificate by the CAs the peer's CR payloads in m name, if it sent any. */
void v1_sig_take_cr(struct v1_sa *sa, const struct isakmp_message *m);
bool v1_sig_identity(struct v1_sa *sa, struct ike_id *id);
bool v1_sig_add(struct v1_sa *sa, struct ike_builder *b, bool of_initiator);
bool v1_sig_verify(struct v1_sa *sa, const struct isakmp_message *m, bool of_initiator);
/* KE and nonce of the peer; our own made if needed; then keys. False (logged) on failure. */
bool p1_take_ke_nonce(struct v1_sa *sa, const struct isakmp_message *m, bool from_initiator);
bool p1_make_ke_nonce(struct v1_sa *sa, bool initiator);
bool p1_derive(struct v1_sa *sa);
/*
 * env.batch_key_exchanges: queues the key exchange for v1_flush() (or until a batch is full,
 * when v1_finish_key_exchanges() runs); false when it is done now instead (p1_derive()).
 */
bool p1_defer_key_exchange(struct v1_sa *sa);
/* The keys from g^xy done elsewhere (ke_ok false: the peer's value was refused); as p1_derive(). */
bool p1_keys_from(struct v1_sa *sa, bool ke_ok, const uint8_t *gxy, size_t n);
/* Main Mode after its key exchange: message 4 (responder) or 5 (initiator) goes out. */
void v1_main_keys_done(struct v1_sa *sa, bool ke_ok, const uint8_t *gxy, size_t n);
/* The key exchanges waiting, done together; SAs refused meanwhile are left dead for the reaper. */
void v1_finish_key_exchanges(struct v1_daemon *d);
void p1_add_ke_nonce(struct v1_sa *sa, struct ike_builder *b, bool initiator);
void p1_established(struct v1_sa *sa);
void p1_float(struct v1_sa *sa);
void p1_save_sa_i(struct v1_sa *sa, const struct ike_payload *sap);

#endif
