/* SPDX-License-Identifier: BSD-3-Clause */
#include "fuzz_pki.h"
#include "fuzz_ike.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static char dir[64];
static char made[8][32];
static int n_made;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz: %s\n", what);
	exit(1);
}

static const char *path_of(const char *name)
{
	static char p[4][sizeof(dir) + sizeof(made[0]) + 1];
	static int i;
	char *out = p[i++ % 4];
	snprintf(out, sizeof(p[0]), "%s/%.31s", dir, name);
	return out;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL || !X509_add_ext(cert, e, -1))
		fail("certificate extension");
	X509_EXTENSION_free(e);
}

/* A certificate for key by the issuer (self-signed without one); a CA's, or one for san. */
static X509 *make_cert(const char *cn, const char *san, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	if (x == NULL)
		fail("no memory");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), n_made + 1);
	/* fixed dates, and keys from fuzz_random_repeat()'s stream: the same certificates every run */
	ASN1_TIME_set_string(X509_getm_notBefore(x), "20260101000000Z");
	ASN1_TIME_set_string(X509_getm_notAfter(x), "20460101000000Z");
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	X509 *iss = issuer ? issuer : x;
	add_ext(x, iss, NID_basic_constraints, san ? "CA:FALSE" : "critical,CA:TRUE");
	add_ext(x, iss, NID_subject_key_identifier, "hash");
	if (san)
		add_ext(x, iss, NID_subject_alt_name, san);
	else
		add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
		fail("cannot sign a certificate");
	return x;
}

static void write_pem(const char *file, X509 *cert, EVP_PKEY *key)
{
	FILE *f = fopen(path_of(file), "w");
	if (f == NULL || (cert ? PEM_write_X509(f, cert) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)) != 1)
		fail("cannot write a certificate or key");
	fclose(f);
	snprintf(made[n_made++], sizeof(made[0]), "%s", file);
}

static void remove_pki(void)
{
	for (int i = 0; i < n_made; i++)
		unlink(path_of(made[i]));
	rmdir(dir);
}

const char *fuzz_pki(const char *const names[], int n)
{
	if (dir[0] != '\0')
		return dir;
	if (2 * n + 1 > (int)(sizeof(made) / sizeof(made[0])))
		fail("too many certificates");
	snprintf(dir, sizeof(dir), "/tmp/dpike-fuzz-pki-XXXXXX");
	fuzz_random_repeat();
	EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (mkdtemp(dir) == NULL || ca_key == NULL)
		fail("cannot make the PKI");
	atexit(remove_pki);
	X509 *ca = make_cert("dpike fuzz CA", NULL, ca_key, NULL, NULL);
	write_pem("ca.pem", ca, NULL);
	for (int i = 0; i < n; i++) {
		char san[96], file[40];
		EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (key == NULL)
			fail("no key");
		snprintf(san, sizeof(san), "DNS:%s.fuzz.test", names[i]);
		X509 *x = make_cert(names[i], san, key, ca, ca_key);
		snprintf(file, sizeof(file), "%s.pem", names[i]);
		write_pem(file, x, NULL);
		snprintf(file, sizeof(file), "%s.key", names[i]);
		write_pem(file, NULL, key);
		X509_free(x);
		EVP_PKEY_free(key);
	}
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return dir;
}
