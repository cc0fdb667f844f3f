/* SPDX-License-Identifier: BSD-3-Clause */
/* The EAP methods' halves of server.c's rounds: each writes its request and checks its response. */
#ifndef DPIKE_IKE_EAP_METHODS_H
#define DPIKE_IKE_EAP_METHODS_H

#include "eap.h"
#include "lib/wire.h"

void eap_begin(struct wire_writer *w, uint8_t code, uint8_t id, uint8_t type);
/* Fills in the length; the packet's length, 0 if it did not fit. */
size_t eap_finish(struct wire_writer *w);

/* The type data of the request for s->challenge. */
void eap_md5_challenge(const struct eap_server *s, struct wire_writer *w);
/* NULL when the response (type data in r, of the request with identifier id) proves the password, else why not. */
const char *eap_md5_check(struct eap_server *s, uint8_t id, struct wire_reader *r);

void eap_mschapv2_challenge(const struct eap_server *s, struct wire_writer *w);
/* NULL when the NT-Response proves the password: s then holds the MSK and the authenticator response. */
const char *eap_mschapv2_check(struct eap_server *s, struct wire_reader *r);
/* The Success request with the authenticator response. */
void eap_mschapv2_success(const struct eap_server *s, struct wire_writer *w);
/* NULL when the peer acknowledged our Success (it checked the authenticator response). */
const char *eap_mschapv2_check_ack(struct wire_reader *r);

#endif
