/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The credentials of a configuration, for code that need not see OpenSSL (the X.509 side is
 * ike/cert.h).
 */
#ifndef DPIKE_IKE_CREDENTIALS_H
#define DPIKE_IKE_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

struct credentials;

/*
 * Loads every file the pubkey connections name (relative paths from the config file's
 * folder; PEM or DER): certificates, cacerts, private keys under secrets (type "private") and
 * in the folders private/, rsa/, ecdsa/ and pkcs8/ beside the config file (as swanctl), CRLs. Returns NULL with "FILE:LINE: reason" in err when a file is missing or unreadable, a
 * key matches no certificate, or our certificate is expired or not yet valid.
 */
struct credentials *credentials_load(struct dpike_config *cfg, char *err, size_t err_len);
/*
 * Each connection of cfg points to its part (creds) and holds the set (creds_set), as does the
 * caller of credentials_load: the set goes when the last of them puts it.
 */
void credentials_put(struct credentials *c);
/* At once, whoever points into it (a set that failed to load, tests). */
void credentials_free(struct credentials *c);

/*
 * Whether two connections authenticate with and trust the same things: certificates, private
 * keys and CAs compared by content, not by file name (load-conns keeps a running connection only
 * if its file's group and these are the same, so a renewed certificate is taken).
 */
bool credentials_same(const struct cfg_connection *a, const struct cfg_connection *b);
/*
 * A kept connection checks peers against the CRLs of the file read again (a CRL is refreshed
 * more often than anything else, and must not replace the connection and bounce its SAs): its
 * trust store and file's are swapped when their CRLs differ; true then. Control core only.
 */
bool credentials_take_crls(const struct cfg_connection *running, const struct cfg_connection *file);

struct strbuf;
/* dpikectl list-certs: per connection, our certificate chain and the CAs its peer is checked against. */
void credentials_list(const struct dpike_config *cfg, bool json, struct strbuf *o);

#endif
