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

/* What one connection authenticates with (local) and trusts (remote). */
struct conn_credentials {
	X509 *cert;              /* ours, end entity */
	STACK_OF(X509) *chain;   /* ours: intermediates to send after it */
	EVP_PKEY *key;           /* matches cert */
	X509_STORE *trust;       /* the connection's cacerts, with the CRLs */
	STACK_OF(X509) *cacerts; /* the same CAs, for CERTREQ hashes */
};

struct credentials {
	struct conn_credentials *conn; /* one per configured connection, in order */
	int n_conn;
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

/* The SHA-1 of a certificate's SubjectPublicKeyInfo, as CERTREQ carries it (RFC 7296 3.7). */
bool cred_spki_sha1(X509 *cert, uint8_t out[20]);

#endif
