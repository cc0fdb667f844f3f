/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X.509 credentials for public-key authentication (RFC 7296 3.6, RFC 2409 5.1): our
 * certificates and private keys, loaded and checked at start-up; the CAs and CRLs a peer's
 * certificate is validated against; a peer's identity matched against its certificate.
 * OpenSSL does all the X.509 work.
 */
#ifndef DPIKE_IKE_CERT_H
#define DPIKE_IKE_CERT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "credentials.h"
#include "v2/payloads.h"

/* Why a peer's certificate was refused; the log names it. */
enum cert_verdict {
	CERT_OK,
	CERT_UNKNOWN_CA,
	CERT_EXPIRED,
	CERT_NOT_YET_VALID,
	CERT_REVOKED,
	CERT_BAD_KEY_USAGE,
	CERT_ID_MISMATCH,
	CERT_INVALID,
};
const char *cert_verdict_name(enum cert_verdict v);

/* One end-entity certificate of ours and its private key. */
struct own_cert {
	X509 *cert;
	EVP_PKEY *key;
};

#define CRED_MAX_OWN 4

/*
 * What one connection authenticates with (local) and trusts (remote). As in swanctl, the
 * end-entity certificates in local.certs are candidates, chosen by what the peer's certificate
 * request names; CA certificates listed there are intermediates, sent with the chosen one.
 */
struct conn_credentials {
	struct own_cert own[CRED_MAX_OWN];
	int n_own;
	STACK_OF(X509) *chain;   /* ours: intermediates, sent after the certificate they issued */
	X509_STORE *trust;       /* the connection's cacerts, with the CRLs */
	STACK_OF(X509) *cacerts; /* the same CAs, for CERTREQ hashes */
	STACK_OF(X509) *peer_certs; /* remote certs: the only ones the peer may use; found here when it sends none */
};

/*
 * What a peer's certificate requests name: CAs by the SHA-1 of their public key (IKEv2
 * CERTREQ, RFC 7296 3.7) or by their subject DN (IKEv1 CR, RFC 2408 3.10). Pointers into the
 * message; empty means "any".
 */
#define CRED_MAX_REQ 32
struct cert_request {
	const uint8_t *hash[CRED_MAX_REQ]; /* 20 bytes each */
	int n_hash;
	const uint8_t *dn[CRED_MAX_REQ];
	size_t dn_len[CRED_MAX_REQ];
	int n_dn;
};

struct credentials {
	struct conn_credentials *conn; /* one per connection of the configuration loaded, in order */
	int n_conn;
	unsigned users; /* credentials_put() */
};

/* Loads one file, PEM or DER; NULL when unreadable. */
X509 *cred_read_cert(const char *path);
EVP_PKEY *cred_read_key(const char *path);
X509_CRL *cred_read_crl(const char *path);

/*
 * Validates a peer's end-entity certificate with the intermediates it sent against the trust
 * store (chain, validity, CRLs, key usage for signing) and checks that it names id.
 */
enum cert_verdict cred_verify_peer(X509_STORE *trust, X509 *leaf, STACK_OF(X509) *untrusted, const struct ike_id *id);

/*
 * Does the certificate name this IKE identity? IPv4 and FQDN and email identities must be a
 * subjectAltName of that kind; a DN identity must equal the subject; a key ID never matches.
 */
bool cred_cert_names_id(X509 *cert, const struct ike_id *id);

/*
 * The certificate to authenticate with: one that names our ID (when we have one) and chains to a
 * CA the peer asked for; failing that, one that names our ID; failing that, the first. all: every
 * connection's CAs, to find the root above our intermediates.
 */
const struct own_cert *cred_choose_own(const struct credentials *all, const struct conn_credentials *cc,
				       const struct ike_id *local_id, const struct cert_request *req);
/*
 * Our certificate for a connection (chosen as cred_choose_own does, by the configured ID and
 * req) and the ID to send with it: the configured one, or the certificate's subject DN when none
 * is configured. A configured DN is sent as the certificate encodes it, so the peer finds it there
 * byte for byte. NULL when the connection has no certificate.
 */
const struct own_cert *cred_own_identity(const struct credentials *all, const struct conn_credentials *cc,
					 const char *configured_id, const struct cert_request *req, struct ike_id *id);
/* The ID to send with own: the configured one, or own's subject DN (for a configured DN, too). */
bool cred_identity_for(const struct own_cert *own, const char *configured_id, struct ike_id *id);
/* The intermediates to send with cert, issuer first; returns how many (at most max). */
int cred_chain_of(const struct conn_credentials *cc, X509 *cert, X509 **out, int max);
/* The subject DN as an ID_DER_ASN1_DN identity (swanctl's default local ID for a certificate). */
bool cred_subject_id(X509 *cert, struct ike_id *id);
/* The subject, one line, for logs and list-sas. */
void cred_subject_text(X509 *cert, char *out, size_t len);
/* A certificate from DER (a CERT payload's data); NULL when it is not one. */
X509 *cred_cert_from_der(const uint8_t *der, size_t len);

/* CERT payloads (either version's type): our certificate, then the intermediates above it. */
void cred_add_cert_payloads(struct ike_builder *b, uint8_t payload_type, const struct conn_credentials *cc, X509 *own);
/*
 * The peer's end-entity certificate from its CERT payloads, or when it sent none, the one of the
 * connection's remote certs that names id (the caller frees it), validated with the other
 * certificates sent against cc and checked to name id; with remote certs configured it must be
 * one of them. *why says what is wrong (NULL when nothing is); the certificate is returned even
 * then, for the log.
 */
X509 *cred_peer_cert(const struct conn_credentials *cc, const struct ike_payload *pl, int n, uint8_t payload_type,
		     const struct ike_id *id, const char **why);

/* The SHA-1 of a certificate's SubjectPublicKeyInfo, as CERTREQ carries it (RFC 7296 3.7). */
bool cred_spki_sha1(X509 *cert, uint8_t out[20]);

#endif
