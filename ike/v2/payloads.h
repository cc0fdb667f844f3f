/* SPDX-License-Identifier: BSD-3-Clause */
/* Bodies of the IKEv2 payloads (RFC 7296 3.3-3.13): parse from a payload, add to a builder. */
#ifndef DPIKE_IKE_V2_PAYLOADS_H
#define DPIKE_IKE_V2_PAYLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/proposal.h"
#include "message.h"

enum ike_notify_type {
	N_UNSUPPORTED_CRITICAL_PAYLOAD = 1, N_INVALID_IKE_SPI = 4, N_INVALID_MAJOR_VERSION = 5, N_INVALID_SYNTAX = 7,
	N_INVALID_MESSAGE_ID = 9, N_INVALID_SPI = 11, N_NO_PROPOSAL_CHOSEN = 14, N_INVALID_KE_PAYLOAD = 17,
	N_AUTHENTICATION_FAILED = 24, N_SINGLE_PAIR_REQUIRED = 34, N_NO_ADDITIONAL_SAS = 35,
	N_INTERNAL_ADDRESS_FAILURE = 36, N_FAILED_CP_REQUIRED = 37, N_TS_UNACCEPTABLE = 38,
	N_INVALID_SELECTORS = 39, N_UNEXPECTED_NAT_DETECTED = 41, N_TEMPORARY_FAILURE = 43, N_CHILD_SA_NOT_FOUND = 44,
	N_ERROR_MAX = 16383, /* types below this are errors */
	N_INITIAL_CONTACT = 16384, N_SET_WINDOW_SIZE = 16385, N_ADDITIONAL_TS_POSSIBLE = 16386,
	N_NAT_DETECTION_SOURCE_IP = 16388, N_NAT_DETECTION_DESTINATION_IP = 16389, N_COOKIE = 16390,
	N_USE_TRANSPORT_MODE = 16391, N_REKEY_SA = 16393, N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	N_NON_FIRST_FRAGMENTS_ALSO = 16395, N_MOBIKE_SUPPORTED = 16396, N_ADDITIONAL_IP4_ADDRESS = 16397,
	N_ADDITIONAL_IP6_ADDRESS = 16398, N_NO_ADDITIONAL_ADDRESSES = 16399, N_UPDATE_SA_ADDRESSES = 16400,
	N_COOKIE2 = 16401, N_NO_NATS_ALLOWED = 16402, N_AUTH_LIFETIME = 16403, N_CHILDLESS_IKEV2_SUPPORTED = 16418,
	N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

enum ike_protocol { PROTO_IKE = 1, PROTO_AH = 2, PROTO_ESP = 3 };

struct ike_notify {
	uint8_t protocol, spi_size;
	uint16_t type;
	const uint8_t *spi, *data;
	uint16_t data_len;
};

bool notify_parse(const struct ike_payload *p, struct ike_notify *n);
void notify_add(struct ike_builder *b, uint8_t protocol, const uint8_t *spi, uint8_t spi_size, uint16_t type,
		const void *data, size_t len);

#define IKE_MAX_PROPOSALS 16

struct ike_sa_proposal {
	uint8_t num, protocol, spi_size;
	uint8_t spi[8];
	struct proposal p;
};

/* Returns the number of proposals, or -1 when the payload is malformed. */
int sa_payload_parse(const struct ike_payload *p, struct ike_sa_proposal *out, int max);
/* One proposal substructure per entry; each numbered by its position (from 1) unless num is set. */
void sa_payload_add(struct ike_builder *b, const struct ike_sa_proposal *props, int n);

bool ke_payload_parse(const struct ike_payload *p, uint16_t *group, const uint8_t **data, size_t *len);
void ke_payload_add(struct ike_builder *b, uint16_t group, const uint8_t *data, size_t len);

#define IKE_NONCE_MIN 16
#define IKE_NONCE_MAX 256
#define IKE_OWN_NONCE_LEN 32 /* the nonces we make (RFC 7296 2.10: at least half the PRF key size, >= 16) */
bool nonce_parse(const struct ike_payload *p, const uint8_t **data, size_t *len);
void nonce_add(struct ike_builder *b, const uint8_t *data, size_t len);

enum ike_id_type { ID_IPV4_ADDR = 1, ID_FQDN = 2, ID_RFC822_ADDR = 3, ID_IPV6_ADDR = 5, ID_DER_ASN1_DN = 9, ID_KEY_ID = 11 };

#define IKE_ID_MAX 256
struct ike_id {
	uint8_t type;
	uint16_t len;
	uint8_t data[IKE_ID_MAX];
};

bool id_parse(const struct ike_payload *p, struct ike_id *id);
void id_add(struct ike_builder *b, uint8_t payload_type, const struct ike_id *id);

enum ike_auth_method { AUTH_RSA_SIG = 1, AUTH_SHARED_KEY_MIC = 2, AUTH_ECDSA_256 = 9, AUTH_ECDSA_384 = 10,
		       AUTH_ECDSA_521 = 11, AUTH_DIGITAL_SIGNATURE = 14 };
bool auth_parse(const struct ike_payload *p, uint8_t *method, const uint8_t **data, size_t *len);
void auth_add(struct ike_builder *b, uint8_t method, const uint8_t *data, size_t len);

/* CERT and CERTREQ (RFC 7296 3.6, 3.7; IKEv1's CERT and CR, RFC 2408 3.9, 3.10): an encoding octet, then data. */
enum ike_cert_encoding { CERT_X509_SIGNATURE = 4 };
bool cert_parse(const struct ike_payload *p, uint8_t *encoding, const uint8_t **data, size_t *len);
void cert_add(struct ike_builder *b, uint8_t payload_type, uint8_t encoding, const uint8_t *data, size_t len);

#define IKE_MAX_TS 16
struct ike_ts {
	uint8_t proto;
	uint16_t sport, eport;
	uint32_t saddr, eaddr; /* host order */
};

int ts_payload_parse(const struct ike_payload *p, struct ike_ts *out, int max);
void ts_payload_add(struct ike_builder *b, uint8_t payload_type, const struct ike_ts *ts, int n);

struct ike_delete {
	uint8_t protocol, spi_size;
	uint16_t n;
	const uint8_t *spis;
};
bool delete_parse(const struct ike_payload *p, struct ike_delete *d);
void delete_add(struct ike_builder *b, uint8_t protocol, const uint32_t *spis, uint16_t n);

#endif
