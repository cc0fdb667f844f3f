/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * X.509 credentials: loading (PEM and DER; RSA, ECDSA, Ed25519), start-up errors with file
 * and line, chain validation with an intermediate, expiry, CRLs, key usage, identity matching
 * against subjectAltName and subject DN, CERTREQ hashes. Keys and certificates are made here,
 * at test time, with OpenSSL; none is committed.
 */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ike/cert.h"
#include "ike/identity.h"
#include "ike/v2/ike_sa.h"
#include "ike_harness.h"
#include "unit.h"

#define DAY (24L * 3600)

static char dir[64];

static EVP_PKEY *new_key(const char *type)
{
	if (strcmp(type, "rsa") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(type, "ed25519") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", type);
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	X509_add_ext(cert, e, -1);
	X509_EXTENSION_free(e);
}

struct cert_spec {
	const char *cn, *san, *key_usage;
	long from, to; /* validity, seconds from now */
	bool ca;
	long serial;
};

/* A certificate for key, signed by issuer_key (self-signed when issuer is NULL). */
static X509 *make_cert(const struct cert_spec *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial ? s->serial : 1);
	X509_gmtime_adj(X509_getm_notBefore(x), s->from);
	X509_gmtime_adj(X509_getm_notAfter(x), s->to);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"dpike test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)s->cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	X509_set_pubkey(x, key);
	X509 *iss = issuer ? issuer : x;
	add_ext(x, iss, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "CA:FALSE");
	add_ext(x, iss, NID_subject_key_identifier, "hash");
	if (s->ca)
		add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
	else if (s->key_usage)
		add_ext(x, iss, NID_key_usage, s->key_usage);
	if (s->san)
		add_ext(x, iss, NID_subject_alt_name, s->san);
	EVP_PKEY *sk = issuer_key ? issuer_key : key;
	const EVP_MD *md = EVP_PKEY_get_id(sk) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
	CU_ASSERT_FATAL(X509_sign(x, sk, md) > 0);
	return x;
}

static const char *path_of(const char *name)
{
	static char p[8][128];
	static int i;
	char *out = p[i++ % 8];
	snprintf(out, sizeof(p[0]), "%s/%s", dir, name);
	return out;
}

static void write_cert(X509 *x, const char *name, bool der)
{
	FILE *f = fopen(path_of(name), "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(der ? i2d_X509_fp(f, x) == 1 : PEM_write_X509(f, x) == 1);
	fclose(f);
}

static void write_key(EVP_PKEY *k, const char *name, bool der)
{
	FILE *f = fopen(path_of(name), "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(der ? i2d_PrivateKey_fp(f, k) == 1 : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1);
	fclose(f);
}

/* A CA, an intermediate under it, and end entities under the intermediate. */
static EVP_PKEY *ca_key, *im_key;
static X509 *ca, *im;

static X509 *issue(const struct cert_spec *s, EVP_PKEY *key)
{
	return make_cert(s, key, im, im_key);
}

static void make_pki(void)
{
	snprintf(dir, sizeof(dir), "/tmp/dpike-cert-XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	ca_key = new_key("P-384");
	im_key = new_key("rsa");
	ca = make_cert(&(struct cert_spec){ .cn = "dpike test root", .from = -DAY, .to = 30 * DAY, .ca = true }, ca_key,
		       NULL, NULL);
	im = make_cert(&(struct cert_spec){ .cn = "dpike test intermediate", .from = -DAY, .to = 30 * DAY, .ca = true,
					    .serial = 2 },
		       im_key, ca, ca_key);
	write_cert(ca, "ca.pem", false);
	write_cert(im, "im.der", true);
}

static void free_pki(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CU_ASSERT(system(cmd) == 0);
	X509_free(ca);
	X509_free(im);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(im_key);
}

/* A config with one pubkey connection using gw.crt (+ im.der) and the key files listed. */
static int load_with(const char *certs, const char *keys, const char *crls, struct dpike_config *cfg,
		     struct credentials **creds, char *err)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.1/24\"; } );\n"
		 "%s\nconnections = ( { name = \"c\"; local_addrs = [\"192.0.2.1\"]; remote_addrs = [\"192.0.2.2\"];\n"
		 "  local = { auth = \"pubkey\"; certs = [%s]; id = \"gw.example\"; };\n"
		 "  remote = { auth = \"pubkey\"; cacerts = [\"ca.pem\"]; id = \"peer.example\"; };\n"
		 "  children = ( { name = \"n\"; } ); } );\nsecrets = ( %s );\n",
		 crls, certs, keys);
	char path[128];
	snprintf(path, sizeof(path), "%s/dpike.conf", dir); /* relative names resolve from here */
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	memset(cfg, 0, sizeof(*cfg));
	if (config_load(path, cfg, err) < 0)
		return -1;
	*creds = credentials_load(cfg, err, CFG_ERR_MAX);
	if (*creds == NULL) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

static void test_load_own_credentials(void)
{
	static const char *const types[] = { "rsa", "P-256", "P-384", "P-521", "ed25519" };
	make_pki();
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		bool der = t % 2;
		EVP_PKEY *k = new_key(types[t]), *other = new_key("P-256");
		X509 *x = issue(&(struct cert_spec){ .cn = "gw", .san = "DNS:gw.example", .from = -60, .to = DAY,
						     .serial = 10 + (long)t },
				k);
		write_cert(x, der ? "gw.der" : "gw.pem", der);
		write_key(other, "other.key", false);
		write_key(k, der ? "gw.key.der" : "gw.key", der);
		struct dpike_config cfg;
		struct credentials *creds;
		char err[CFG_ERR_MAX], certs[64], keys[256];
		snprintf(certs, sizeof(certs), "\"%s\", \"im.der\"", der ? "gw.der" : "gw.pem");
		snprintf(keys, sizeof(keys), "{ type = \"private\"; file = \"other.key\"; }, { type = \"private\"; file = \"%s\"; }",
			 der ? "gw.key.der" : "gw.key");
		int rc = load_with(certs, keys, "", &cfg, &creds, err);
		if (rc != 0)
			fprintf(stderr, "%s: %s\n", types[t], err);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		struct conn_credentials *cc = &creds->conn[0];
		CU_ASSERT_EQUAL_FATAL(cc->n_own, 1);
		CU_ASSERT(X509_cmp(cc->own[0].cert, x) == 0);
		CU_ASSERT(sk_X509_num(cc->chain) == 1 && X509_cmp(sk_X509_value(cc->chain, 0), im) == 0);
		CU_ASSERT(EVP_PKEY_eq(cc->own[0].key, k) == 1); /* the matching key, not the first one listed */
		CU_ASSERT(sk_X509_num(cc->cacerts) == 1 && cc->trust != NULL);
		credentials_free(creds);
		config_free(&cfg);
		X509_free(x);
		EVP_PKEY_free(k);
		EVP_PKEY_free(other);
	}
	free_pki();
}

/* Start-up errors: each names the file, line and reason. */
static void test_load_errors(void)
{
	make_pki();
	EVP_PKEY *k = new_key("P-256"), *other = new_key("P-256");
	X509 *good = issue(&(struct cert_spec){ .cn = "gw", .san = "DNS:gw.example", .from = -60, .to = DAY }, k);
	X509 *old = issue(&(struct cert_spec){ .cn = "gw", .san = "DNS:gw.example", .from = -3 * DAY, .to = -DAY }, k);
	write_cert(good, "gw.pem", false);
	write_cert(old, "old.pem", false);
	write_key(k, "gw.key", false);
	write_key(other, "other.key", false);
	FILE *f = fopen(path_of("junk.pem"), "w");
	fputs("not a certificate\n", f);
	fclose(f);
	f = fopen(path_of("enc.key"), "w");
	CU_ASSERT(PEM_write_PrivateKey(f, k, EVP_aes_128_cbc(), (const unsigned char *)"pass", 4, NULL, NULL) == 1);
	fclose(f);
	static const struct {
		const char *certs, *keys, *crls, *want;
	} cases[] = {
		{ "\"missing.pem\"", "{ type = \"private\"; file = \"gw.key\"; }", "", "missing.pem': missing" },
		{ "\"junk.pem\"", "{ type = \"private\"; file = \"gw.key\"; }", "", "junk.pem': missing, unreadable or not X.509" },
		{ "\"gw.pem\"", "{ type = \"private\"; file = \"other.key\"; }", "", "no private key under secrets or in the key folders matches" },
		{ "\"gw.pem\"", "{ type = \"private\"; file = \"nokey.pem\"; }", "", "nokey.pem': missing" },
		{ "\"old.pem\"", "{ type = \"private\"; file = \"gw.key\"; }", "", "old.pem' has expired" },
		{ "\"gw.pem\"", "{ type = \"private\"; file = \"enc.key\"; }", "", "enc.key': missing, unreadable, encrypted" },
		{ "\"gw.pem\"", "{ type = \"private\"; file = \"gw.key\"; }", "crls = [\"none.crl\"];", "none.crl': missing" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dpike_config cfg;
		struct credentials *creds = NULL;
		char err[CFG_ERR_MAX] = "";
		CU_ASSERT_EQUAL(load_with(cases[i].certs, cases[i].keys, cases[i].crls, &cfg, &creds, err), -1);
		bool named = strstr(err, cases[i].want) != NULL && strstr(err, "dpike.conf:") != NULL &&
			     strstr(err, "dpike.conf:0:") == NULL;
		if (!named)
			fprintf(stderr, "case %zu: '%s'\n", i, err);
		CU_ASSERT(named);
	}
	X509_free(good);
	X509_free(old);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	free_pki();
}

static struct ike_id id_of(const char *s)
{
	struct ike_id id;
	CU_ASSERT_FATAL(identity_from_string(s, &id));
	return id;
}

static X509_CRL *crl_revoking(long serial)
{
	X509_CRL *crl = X509_CRL_new();
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(im));
	ASN1_TIME *now = ASN1_TIME_adj(NULL, time(NULL), 0, -60), *next = ASN1_TIME_adj(NULL, time(NULL), 1, 0);
	X509_CRL_set1_lastUpdate(crl, now);
	X509_CRL_set1_nextUpdate(crl, next);
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_INTEGER_set(sn, serial);
	X509_REVOKED_set_serialNumber(r, sn);
	X509_REVOKED_set_revocationDate(r, now);
	X509_CRL_add0_revoked(crl, r);
	X509_CRL_sort(crl);
	CU_ASSERT_FATAL(X509_CRL_sign(crl, im_key, EVP_sha256()) > 0);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	return crl;
}

static void write_crl(X509_CRL *crl, const char *name)
{
	FILE *f = fopen(path_of(name), "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(PEM_write_X509_CRL(f, crl) == 1);
	fclose(f);
}

/* A connection of gw.pem (with im.der), gw.key and im.crl as the files hold them now. */
static struct cfg_connection *load_conn(struct dpike_config *cfg, struct credentials **creds)
{
	char err[CFG_ERR_MAX];
	int rc = load_with("\"gw.pem\", \"im.der\"", "{ type = \"private\"; file = \"gw.key\"; }", "crls = [\"im.crl\"];",
			   cfg, creds, err);
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return cfg->connections[0];
}

/* The peer's certificate of serial 98 (peer.example, under the intermediate) as conn's trust store judges it. */
static enum cert_verdict peer_98(const struct cfg_connection *conn, X509 *peer)
{
	STACK_OF(X509) *sent = sk_X509_new_null();
	sk_X509_push(sent, im);
	struct ike_id id;
	CU_ASSERT_FATAL(identity_from_string("peer.example", &id));
	enum cert_verdict v = cred_verify_peer(conn->creds->trust, peer, sent, &id);
	sk_X509_free(sent);
	return v;
}

/*
 * load-conns keeps a connection only if its certificates, keys and CAs are the same by content (a
 * renewed certificate and key are a change); a kept one takes the CRLs read now.
 */
static void test_credentials_same(void)
{
	make_pki();
	EVP_PKEY *k = new_key("P-256"), *k2 = new_key("P-256");
	X509 *x = issue(&(struct cert_spec){ .cn = "gw", .san = "DNS:gw.example", .from = -60, .to = DAY, .serial = 10 }, k);
	X509 *renewed = issue(&(struct cert_spec){ .cn = "gw", .san = "DNS:gw.example", .from = -30, .to = 2 * DAY, .serial = 11 }, k2);
	X509 *peer = issue(&(struct cert_spec){ .cn = "peer", .san = "DNS:peer.example", .from = -60, .to = DAY, .serial = 98 }, k);
	X509_CRL *crl = crl_revoking(99), *crl2 = crl_revoking(98);
	write_cert(x, "gw.pem", false);
	write_key(k, "gw.key", false);
	write_crl(crl, "im.crl");
	struct dpike_config cfg[4];
	struct credentials *creds[4];
	struct cfg_connection *first = load_conn(&cfg[0], &creds[0]), *again = load_conn(&cfg[1], &creds[1]);
	CU_ASSERT(credentials_same(first, again)); /* the same files read again */
	CU_ASSERT(!credentials_take_crls(first, again));
	write_crl(crl2, "im.crl"); /* the CRL refreshed: now 98 is revoked */
	struct cfg_connection *refreshed = load_conn(&cfg[2], &creds[2]);
	CU_ASSERT(credentials_same(first, refreshed)); /* kept, not replaced */
	CU_ASSERT_EQUAL(peer_98(first, peer), CERT_OK);
	CU_ASSERT(credentials_take_crls(first, refreshed));
	CU_ASSERT_EQUAL(peer_98(first, peer), CERT_REVOKED); /* the running connection checks with the new CRL */
	CU_ASSERT_EQUAL(peer_98(refreshed, peer), CERT_OK);   /* the old store goes with the file's set */
	write_cert(renewed, "gw.pem", false);
	write_key(k2, "gw.key", false);
	CU_ASSERT(!credentials_same(first, load_conn(&cfg[3], &creds[3]))); /* renewed: same names, new certificate and key */
	struct cfg_connection psk_a = { 0 }, psk_b = { 0 };
	CU_ASSERT(credentials_same(&psk_a, &psk_b)); /* none either side */
	CU_ASSERT(!credentials_same(first, &psk_a));
	CU_ASSERT(!credentials_take_crls(&psk_a, &psk_b));
	for (int i = 0; i < 4; i++) {
		credentials_free(creds[i]);
		config_free(&cfg[i]);
	}
	X509_CRL_free(crl);
	X509_CRL_free(crl2);
	X509_free(x);
	X509_free(renewed);
	X509_free(peer);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	free_pki();
}

static void test_verify_peer(void)
{
	make_pki();
	EVP_PKEY *k = new_key("P-256");
	X509_STORE *trust = X509_STORE_new(), *with_crl = X509_STORE_new();
	X509_STORE_add_cert(trust, ca);
	X509_STORE_add_cert(with_crl, ca);
	STACK_OF(X509) *sent = sk_X509_new_null();
	sk_X509_push(sent, im);
	const char *san = "DNS:peer.example,IP:192.0.2.2,email:vpn@example.org";
	X509 *peer = issue(&(struct cert_spec){ .cn = "peer", .san = san, .from = -60, .to = DAY, .serial = 40 }, k);
	X509 *expired = issue(&(struct cert_spec){ .cn = "peer", .san = san, .from = -2 * DAY, .to = -60, .serial = 41 }, k);
	X509 *early = issue(&(struct cert_spec){ .cn = "peer", .san = san, .from = DAY, .to = 2 * DAY, .serial = 42 }, k);
	X509 *no_sign = issue(&(struct cert_spec){ .cn = "peer", .san = san, .from = -60, .to = DAY, .serial = 43,
						   .key_usage = "critical,keyEncipherment" },
			      k);
	EVP_PKEY *rogue_key = new_key("P-256");
	X509 *rogue = make_cert(&(struct cert_spec){ .cn = "rogue", .from = -DAY, .to = DAY, .ca = true, .serial = 9 },
				rogue_key, NULL, NULL);
	X509 *foreign = make_cert(&(struct cert_spec){ .cn = "peer", .san = san, .from = -60, .to = DAY, .serial = 44 }, k,
				  rogue, rogue_key);
	X509_CRL *crl = crl_revoking(40);
	X509_STORE_add_crl(with_crl, crl);
	X509_STORE_set_flags(with_crl, X509_V_FLAG_CRL_CHECK);
	struct ike_id fqdn = id_of("peer.example"), ip = id_of("192.0.2.2"), mail = id_of("vpn@example.org");
	struct ike_id wrong = id_of("other.example"), wrong_ip = id_of("192.0.2.3");
	CU_ASSERT_EQUAL(cred_verify_peer(trust, peer, sent, &fqdn), CERT_OK);
	CU_ASSERT_EQUAL(cred_verify_peer(trust, peer, sent, &ip), CERT_OK);
	CU_ASSERT_EQUAL(cred_verify_peer(trust, peer, sent, &mail), CERT_OK);
	CU_ASSERT_EQUAL(cred_verify_peer(trust, peer, sent, &wrong), CERT_ID_MISMATCH);
	CU_ASSERT_EQUAL(cred_verify_peer(trust, peer, sent, &wrong_ip), CERT_ID_MISMATCH);
	CU_ASSERT_EQUAL(cred_verify_peer(trust, peer, NULL, &fqdn), CERT_UNKNOWN_CA); /* intermediate not sent */
	CU_ASSERT_EQUAL(cred_verify_peer(trust, expired, sent, &fqdn), CERT_EXPIRED);
	CU_ASSERT_EQUAL(cred_verify_peer(trust, early, sent, &fqdn), CERT_NOT_YET_VALID);
	CU_ASSERT_EQUAL(cred_verify_peer(trust, no_sign, sent, &fqdn), CERT_BAD_KEY_USAGE);
	CU_ASSERT_EQUAL(cred_verify_peer(trust, foreign, NULL, &fqdn), CERT_UNKNOWN_CA);
	CU_ASSERT_EQUAL(cred_verify_peer(with_crl, peer, sent, &fqdn), CERT_REVOKED);
	CU_ASSERT_EQUAL(cred_verify_peer(with_crl, no_sign, sent, &fqdn), CERT_BAD_KEY_USAGE); /* not revoked */
	/* a DN identity: the subject, exactly */
	struct ike_id dn = { .type = ID_DER_ASN1_DN };
	unsigned char *p = dn.data;
	dn.len = (uint16_t)i2d_X509_NAME(X509_get_subject_name(peer), &p);
	CU_ASSERT(cred_cert_names_id(peer, &dn));
	CU_ASSERT(!cred_cert_names_id(im, &dn));
	X509_CRL_free(crl);
	X509_STORE_free(trust);
	X509_STORE_free(with_crl);
	sk_X509_free(sent);
	X509 *all[] = { peer, expired, early, no_sign, rogue, foreign };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		X509_free(all[i]);
	EVP_PKEY_free(k);
	EVP_PKEY_free(rogue_key);
	free_pki();
}

/* CERTREQ carries SHA-1 of the CA's SubjectPublicKeyInfo (RFC 7296 3.7): compare with the DER by hand. */
static void test_certreq_hash(void)
{
	make_pki();
	uint8_t h[20], want[20];
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(X509_get0_pubkey(ca), &der);
	unsigned n = 0;
	CU_ASSERT_FATAL(len > 0 && EVP_Digest(der, (size_t)len, want, &n, EVP_sha1(), NULL) == 1);
	OPENSSL_free(der);
	CU_ASSERT(cred_spki_sha1(ca, h) && memcmp(h, want, 20) == 0);
	CU_ASSERT(cred_spki_sha1(im, h) && memcmp(h, want, 20) != 0);
	free_pki();
}

/* One side of a two-daemon pair: our certificate and key files named NAME.pem / NAME.key under dir. */
static void node_config(char *out, size_t len, const char *me, const char *peer, const char *auth, const char *certs,
			const char *local_id)
{
	snprintf(out, len,
		 "interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"%s/24\"; } );\n"
		 "connections = ( { name = \"c\"; version = 2; local_addrs = [\"%s\"]; remote_addrs = [\"%s\"];\n"
		 "  proposals = [\"aes128gcm16-prfsha256-x25519\"];\n"
		 "  local = { auth = \"%s\"; certs = [%s]; %s };\n"
		 "  remote = { auth = \"%s\"; cacerts = [\"%s\"]; };\n"
		 "  children = ( { name = \"net\"; local_ts = [\"10.0.0.0/8\"]; remote_ts = [\"10.0.0.0/8\"];"
		 " esp_proposals = [\"aes128gcm16\"]; } ); } );\n"
		 "secrets = ( { type = \"private\"; file = \"%s\"; } );\n",
		 me, me, peer, auth, certs, local_id, auth, path_of("ca.pem"), path_of(strcmp(me, "192.0.2.1") ? "b.key" : "a.key"));
}

/* Added to A's and B's connection, and to B's remote round, by cert_pair() (swanctl's send_cert and the like). */
static const char *conn_extra_a = "", *conn_extra_b = "", *remote_extra_b = "";

/* A and B with certificates of one key type under the intermediate; A initiates. */
static void cert_pair(const char *type, const char *auth)
{
	EVP_PKEY *ka = new_key(type), *kb = new_key(type);
	X509 *a = issue(&(struct cert_spec){ .cn = "a", .san = "DNS:a.example", .from = -60, .to = DAY, .serial = 50 }, ka);
	X509 *b = issue(&(struct cert_spec){ .cn = "b", .san = "DNS:b.example", .from = -60, .to = DAY, .serial = 51 }, kb);
	write_cert(a, "a.pem", false);
	write_cert(b, "b.pem", false);
	write_key(ka, "a.key", false);
	write_key(kb, "b.key", false);
	char ta[2048], tb[2048], certs[512];
	snprintf(certs, sizeof(certs), "\"%s\", \"%s\"", path_of("a.pem"), path_of("im.der"));
	node_config(ta, sizeof(ta), "192.0.2.1", "192.0.2.2", auth, certs, "id = \"a.example\";");
	snprintf(certs, sizeof(certs), "\"%s\", \"%s\"", path_of("b.pem"), path_of("im.der"));
	node_config(tb, sizeof(tb), "192.0.2.2", "192.0.2.1", auth, certs, ""); /* B's ID: its subject DN */
	insert_after(ta, sizeof(ta), "version = 2; ", conn_extra_a);
	insert_after(tb, sizeof(tb), "version = 2; ", conn_extra_b);
	insert_after(tb, sizeof(tb), "remote = { ", remote_extra_b);
	q_head = q_tail = 0;
	start_node(&A, ta, 0xc0000201, "");
	start_node(&B, tb, 0xc0000202, "");
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
}

static void initiate_c(void)
{
	struct strbuf err;
	sb_init(&err);
	CU_ASSERT_EQUAL(ike_initiate(A.d, "c/net", &err), 0);
	sb_free(&err);
	pump();
}

/* Both daemons authenticate each other with certificates (RFC 7427) and install the child. */
static void test_two_daemons_certificates(void)
{
	static const char *const cases[][2] = { { "rsa", "pubkey" }, { "rsa", "rsa/pss-sha512" }, { "P-256", "ecdsa" },
						 { "P-521", "pubkey" }, { "ed25519", "ed25519" } };
	make_pki();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cert_pair(cases[i][0], cases[i][1]);
		initiate_c();
		struct ike_sa *sa = A.d->sas, *sb = B.d->sas;
		CU_ASSERT_FATAL(sa != NULL && sb != NULL);
		CU_ASSERT_EQUAL(sa->state, IKE_SA_ESTABLISHED);
		CU_ASSERT_EQUAL(sb->state, IKE_SA_ESTABLISHED);
		CU_ASSERT_STRING_EQUAL(sa->peer_cert, "CN=b,O=dpike test");
		CU_ASSERT_STRING_EQUAL(sb->peer_cert, "CN=a,O=dpike test");
		CU_ASSERT_EQUAL(sa->id_remote.type, ID_DER_ASN1_DN); /* B sent its subject */
		CU_ASSERT(A.n_sa == 1 && B.n_sa == 1 && A.sa[0].spi_out == B.sa[0].spi_in);
		CU_ASSERT(A.d->stats.auth_failures == 0 && B.d->stats.auth_failures == 0);
		stop_node(&A);
		stop_node(&B);
	}
	free_pki();
}

/* B signs with a key that is not its certificate's: A refuses the AUTH and installs nothing. */
static void test_two_daemons_wrong_key(void)
{
	make_pki();
	cert_pair("P-256", "pubkey");
	struct conn_credentials *cc = &B.creds->conn[0];
	EVP_PKEY_free(cc->own[0].key);
	cc->own[0].key = new_key("P-256");
	initiate_c();
	CU_ASSERT_EQUAL(A.d->stats.auth_failures, 1);
	CU_ASSERT(A.d->sas == NULL || A.d->sas->state != IKE_SA_ESTABLISHED);
	CU_ASSERT_EQUAL(A.n_sa, 0);
	stop_node(&A);
	stop_node(&B);
	/* and A's own wrong key: B refuses with AUTHENTICATION_FAILED before answering with its own AUTH */
	cert_pair("rsa", "pubkey");
	cc = &A.creds->conn[0];
	EVP_PKEY_free(cc->own[0].key);
	cc->own[0].key = new_key("rsa");
	initiate_c();
	CU_ASSERT_EQUAL(B.d->stats.auth_failures, 1);
	CU_ASSERT(B.n_sa == 0 && A.n_sa == 0);
	CU_ASSERT(A.d->sas == NULL || A.d->sas->state != IKE_SA_ESTABLISHED);
	stop_node(&A);
	stop_node(&B);
	free_pki();
}

/* A's certificate to B, by A's send_cert, B's send_certreq and B's remote certs (a file, or none): does B accept A? */
static bool b_accepts_a(const char *a_extra, const char *b_extra, const char *b_remote_cert)
{
	char remote[600] = "";
	if (b_remote_cert)
		snprintf(remote, sizeof(remote), "certs = [\"%s\", \"%s\"]; ", path_of(b_remote_cert), path_of("im.der"));
	conn_extra_a = a_extra;
	conn_extra_b = b_extra;
	remote_extra_b = remote;
	cert_pair("P-256", "pubkey");
	initiate_c();
	bool ok = B.d->sas && B.d->sas->state == IKE_SA_ESTABLISHED && B.d->stats.auth_failures == 0 && B.n_sa == 1;
	stop_node(&A);
	stop_node(&B);
	conn_extra_a = conn_extra_b = remote_extra_b = "";
	return ok;
}

/*
 * swanctl's send_cert (ifasked, the default; always; never), send_certreq and remote certs: a
 * certificate not sent is found among B's remote certs, and with remote certs B takes only those.
 */
static void test_send_cert_and_remote_certs(void)
{
	make_pki();
	CU_ASSERT(b_accepts_a("", "", NULL));
	CU_ASSERT(!b_accepts_a("", "send_certreq = false; ", NULL)); /* not asked: A sends none */
	CU_ASSERT(b_accepts_a("send_cert = \"always\"; ", "send_certreq = false; ", NULL));
	CU_ASSERT(b_accepts_a("", "send_certreq = false; ", "a.pem"));
	CU_ASSERT(!b_accepts_a("send_cert = \"never\"; ", "", NULL));
	CU_ASSERT(b_accepts_a("send_cert = \"never\"; ", "", "a.pem"));
	CU_ASSERT(!b_accepts_a("", "", "b.pem")); /* pinned to another certificate */
	CU_ASSERT(b_accepts_a("", "", "a.pem"));
	free_pki();
}

void cert_suite_add(CU_pSuite s)
{
	CU_add_test(s, "own certificate, chain and matching key (RSA, P-256/384/521, Ed25519; PEM and DER)",
		    test_load_own_credentials);
	CU_add_test(s, "start-up errors name file, line and reason", test_load_errors);
	CU_add_test(s, "peer chain: CA, intermediate, validity, CRL, key usage, ID match", test_verify_peer);
	CU_add_test(s, "load-conns: credentials compared by content (a renewed certificate and key); a new CRL taken in place",
		    test_credentials_same);
	CU_add_test(s, "CERTREQ hash of a CA's public key", test_certreq_hash);
	CU_add_test(s, "two daemons: RSA, RSA-PSS, ECDSA P-256/P-521, Ed25519 certificates", test_two_daemons_certificates);
	CU_add_test(s, "two daemons: a signature by the wrong key is refused", test_two_daemons_wrong_key);
	CU_add_test(s, "send_cert, send_certreq, remote certs (found there, pinned to them)", test_send_cert_and_remote_certs);
}
