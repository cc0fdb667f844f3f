/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ISAKMP messages for IKEv1 (RFC 2408 3, RFC 2409, RFC 2407): the header, the payload chain,
 * SA payloads with their proposals, transforms and attributes. The builder is the one
 * IKEv2 uses (ike/v2/message.h); only the header differs.
 */
#ifndef DPIKE_IKE_V1_ISAKMP_H
#define DPIKE_IKE_V1_ISAKMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/v2/message.h"

#define ISAKMP_VERSION 0x10
#define ISAKMP_FLAG_ENCRYPTION 0x01

enum isakmp_exchange { XCHG_MAIN = 2, XCHG_AGGRESSIVE = 4, XCHG_INFO = 5, XCHG_TRANSACTION = 6, XCHG_QUICK = 32 };

enum isakmp_payload {
	ISA_NONE = 0, ISA_SA = 1, ISA_P = 2, ISA_T = 3, ISA_KE = 4, ISA_ID = 5, ISA_CERT = 6, ISA_CR = 7,
	ISA_HASH = 8, ISA_SIG = 9, ISA_NONCE = 10, ISA_N = 11, ISA_D = 12, ISA_VID = 13, ISA_ATTR = 14, ISA_NATD = 20, ISA_NATOA = 21,
};

/* Phase 1 attributes (RFC 2409 App. A) and IPsec attributes (RFC 2407 4.5). */
enum { P1_ENCR = 1, P1_HASH = 2, P1_AUTH = 3, P1_GROUP = 4, P1_LIFE_TYPE = 11, P1_LIFE = 12, P1_KEY_LEN = 14 };
enum { P2_LIFE_TYPE = 1, P2_LIFE = 2, P2_GROUP = 3, P2_ENCAP = 4, P2_AUTH = 5, P2_KEY_LEN = 6 };
enum { ENCAP_TUNNEL = 1, ENCAP_TRANSPORT = 2, ENCAP_UDP_TUNNEL = 3, ENCAP_UDP_TRANSPORT = 4 };
enum { ENCAP_UDP_TUNNEL_DRAFT = 61443, ENCAP_UDP_TRANSPORT_DRAFT = 61444 }; /* pre-RFC 3947 peers */
enum { LIFE_SECONDS = 1, LIFE_KILOBYTES = 2 };
/* XAuth's (draft-beaulieu-ike-xauth-02): phase 1 as PSK or RSA, the initiator then XAuth's too */
enum { V1_AUTH_PSK = 1, V1_AUTH_RSA_SIG = 3, V1_AUTH_XAUTH_INIT_PSK = 65001, V1_AUTH_XAUTH_INIT_RSA = 65005 };
/* ECDSA (RFC 4754): the curve says which, SHA-2 of its size */
enum { V1_AUTH_ECDSA_256 = 9, V1_AUTH_ECDSA_384 = 10, V1_AUTH_ECDSA_521 = 11 };
enum { V1_ENCR_3DES = 5, V1_ENCR_AES_CBC = 7 };
enum { V1_HASH_MD5 = 1, V1_HASH_SHA1 = 2, V1_HASH_SHA2_256 = 4, V1_HASH_SHA2_384 = 5, V1_HASH_SHA2_512 = 6 };
enum {
	ESP_3DES = 3,
	ESP_NULL = 11,
	ESP_AES_CBC = 12,
	ESP_AES_CTR = 13,
	ESP_AES_CCM_8 = 14,
	ESP_AES_CCM_12 = 15,
	ESP_AES_CCM_16 = 16,
	ESP_AES_GCM_8 = 18,
	ESP_AES_GCM_12 = 19,
	ESP_AES_GCM_16 = 20,
};
/* IKEv1 has no AES-CMAC for ESP */
enum {
	AUTH_ALG_HMAC_MD5 = 1,
	AUTH_ALG_HMAC_SHA1 = 2,
	AUTH_ALG_HMAC_SHA2_256 = 5,
	AUTH_ALG_HMAC_SHA2_384 = 6,
	AUTH_ALG_HMAC_SHA2_512 = 7,
	AUTH_ALG_AES_XCBC = 9,
};

/* Notify messages (RFC 2408 3.14.1) and DPD (RFC 3706). */
enum {
	V1N_INVALID_PAYLOAD_TYPE = 1, V1N_INVALID_EXCHANGE_TYPE = 7, V1N_INVALID_COOKIE = 4, V1N_PAYLOAD_MALFORMED = 16,
	V1N_INVALID_KEY_INFORMATION = 17, V1N_INVALID_ID_INFORMATION = 18, V1N_AUTHENTICATION_FAILED = 24,
	V1N_NO_PROPOSAL_CHOSEN = 14, V1N_INVALID_HASH_INFORMATION = 23, V1N_INITIAL_CONTACT = 24578,
	V1N_DPD_R_U_THERE = 36136, V1N_DPD_R_U_THERE_ACK = 36137,
};

struct isakmp_header {
	uint64_t cky_i, cky_r;
	uint8_t next, version, exchange, flags;
	uint32_t msg_id, length;
};

struct isakmp_message {
	struct isakmp_header hdr;
	struct ike_payload pl[IKE_MAX_PAYLOADS];
	int n;
};

enum ike_parse_error isakmp_parse_header(const uint8_t *buf, size_t len, struct isakmp_header *h);
enum ike_parse_error isakmp_parse_chain(struct isakmp_message *m, uint8_t first, const uint8_t *buf, size_t len);
const struct ike_payload *isakmp_find(const struct isakmp_message *m, uint8_t type);
void isakmp_build_start(struct ike_builder *b, const struct isakmp_header *h);

/* An attribute list: type -> value (TV, or TLV up to 8 bytes, read as a number). */
#define V1_MAX_ATTRS 16
struct v1_attrs {
	int n;
	uint16_t type[V1_MAX_ATTRS];
	uint64_t value[V1_MAX_ATTRS];
};
bool v1_attr(const struct v1_attrs *a, uint16_t type, uint64_t *value);
void v1_attr_put(struct wire_writer *w, uint16_t type, uint64_t value);

struct v1_transform {
	uint8_t num, id;
	struct v1_attrs attrs;
};

#define V1_MAX_TRANSFORMS 16
struct v1_proposal {
	uint8_t num, protocol, spi_size;
	uint8_t spi[8];
	int n;
	struct v1_transform t[V1_MAX_TRANSFORMS];
};

/* The SA payload's body after DOI and situation: its proposals. -1 when malformed. */
int v1_sa_parse(const struct ike_payload *p, struct v1_proposal *out, int max);
/* Writes an SA payload (DOI IPsec, identity-only situation) with one proposal. */
void v1_sa_add(struct ike_builder *b, const struct v1_proposal *p);

#endif
