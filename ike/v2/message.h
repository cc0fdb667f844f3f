/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 messages (RFC 7296 3.1-3.2): the header, the chain of generic payloads, and a
 * builder that chains and sizes payloads as they are written. Payload bodies are in
 * payloads.h. Every read is bounds-checked through lib/wire.h.
 */
#ifndef DPIKE_IKE_V2_MESSAGE_H
#define DPIKE_IKE_V2_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/wire.h"

#define IKE_HDR_LEN 28
#define IKE_MAX_MSG 8192
#define IKE_MAX_PAYLOADS 48

enum ike_exchange { IKE_SA_INIT = 34, IKE_AUTH = 35, CREATE_CHILD_SA = 36, INFORMATIONAL = 37 };

enum ike_payload_type {
	PL_NONE = 0, PL_SA = 33, PL_KE = 34, PL_IDI = 35, PL_IDR = 36, PL_CERT = 37, PL_CERTREQ = 38, PL_AUTH = 39,
	PL_NONCE = 40, PL_NOTIFY = 41, PL_DELETE = 42, PL_VENDOR = 43, PL_TSI = 44, PL_TSR = 45, PL_SK = 46,
	PL_CP = 47, PL_EAP = 48, PL_SKF = 53,
};

#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_RESPONSE 0x20
#define IKE_VERSION 0x20

struct ike_header {
	uint64_t spi_i, spi_r;
	uint8_t next, version, exchange, flags;
	uint32_t msg_id, length;
};

struct ike_payload {
	uint8_t type;
	bool critical;
	const uint8_t *body;
	uint16_t len;
};

/* A parsed message: its payloads, with those of the Encrypted payload once decrypted. */
struct ike_message {
	struct ike_header hdr;
	struct ike_payload pl[IKE_MAX_PAYLOADS];
	int n;
	const struct ike_payload *sk; /* the Encrypted payload, before decryption */
	uint8_t sk_first;             /* type of the first payload inside it */
	bool protected_;              /* pl[] came out of a verified Encrypted payload */
	uint8_t unknown_critical;     /* first unsupported critical payload type, or 0 */
};

/* Why a message is refused before any state is touched. */
enum ike_parse_error { IKE_PARSE_OK, IKE_PARSE_SHORT, IKE_PARSE_VERSION, IKE_PARSE_LENGTH, IKE_PARSE_PAYLOAD };

/* The 28-byte header's fields, with no check beyond its size (IKEv1 shares the layout). */
enum ike_parse_error ike_read_header(const uint8_t *buf, size_t len, struct ike_header *h);
enum ike_parse_error ike_parse_header(const uint8_t *buf, size_t len, struct ike_header *h);
/* Walks a payload chain starting with type first; fills msg->pl. */
enum ike_parse_error ike_parse_chain(struct ike_message *msg, uint8_t first, const uint8_t *buf, size_t len);
const struct ike_payload *ike_find(const struct ike_message *msg, uint8_t type);
/* The n-th Notify of the given notify type, or NULL. */
const struct ike_payload *ike_find_notify(const struct ike_message *msg, uint16_t notify_type);
const char *ike_exchange_name(uint8_t exchange);

/* Builds a message; payloads are appended with their generic headers chained automatically. */
struct ike_builder {
	uint8_t buf[IKE_MAX_MSG];
	struct wire_writer w;
	size_t next_at; /* where the previous payload's "next payload" byte is */
	size_t payload_at;
	size_t sk_at, iv_at; /* the open Encrypted payload, if any */
};

void ike_build_start(struct ike_builder *b, const struct ike_header *h);
/* Opens a payload and returns its writer position; close it with ike_payload_end(). */
void ike_payload_begin(struct ike_builder *b, uint8_t type);
void ike_payload_end(struct ike_builder *b);
/* Writes the final length into the header; returns the message length, 0 on overflow. */
size_t ike_build_finish(struct ike_builder *b);

#endif
