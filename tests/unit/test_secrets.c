/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared secrets by identity (ike/secrets.c): the same choice as a scan of them all, at any count. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "ike/identity.h"
#include "ike/secrets.h"
#include "unit.h"

#define IFACES "interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.2/24\"; } );\n"

static struct ike_id id_of(const char *s)
{
	struct ike_id id;
	CU_ASSERT_FATAL(identity_from_string(s, &id));
	return id;
}

/* The secret's text for our id and the peer's (NULL: none found). */
static const char *psk_for(const struct dpike_config *cfg, const char *local, const char *remote)
{
	struct ike_id l = id_of(local), r = id_of(remote);
	const struct cfg_secret *s = psk_lookup(cfg, &l, &r);
	static char text[257];
	if (s == NULL)
		return NULL;
	memcpy(text, s->secret, (size_t)s->secret_len);
	text[s->secret_len] = '\0';
	return text;
}

static bool password_is(const struct cfg_secret *s, const char *want)
{
	return s && (size_t)s->secret_len == strlen(want) && memcmp(s->secret, want, strlen(want)) == 0;
}

static const char ranked[] = IFACES
	"secrets = (\n"
	"  { type = \"ike\"; secret = \"anon\"; },\n"
	"  { type = \"ike\"; id = \"gw.example\"; secret = \"ours\"; },\n"
	"  { type = \"ike\"; id = \"peer1.example\"; secret = \"peer1\"; },\n"
	"  { type = \"ike\"; id = [\"peer1.example\", \"gw.example\"]; secret = \"both\"; },\n"
	"  { type = \"ike\"; id = \"peer3.example\"; secret = \"peer3\"; },\n"
	"  { type = \"ike\"; id = \"peer3.example\"; secret = \"peer3-later\"; },\n"
	"  { type = \"ike\"; id = \"C=CH, O=Example, CN=peer2\"; secret = \"dn\"; },\n"
	"  { type = \"ike\"; id = \"192.0.2.9\"; secret = \"ip\"; },\n"
	"  { type = \"ike\"; id = \"@#0a0b\"; secret = \"keyid\"; },\n"
	"  { type = \"eap\"; id = [\"alice\", \"bob\"]; secret = \"eap-pw\"; },\n"
	"  { type = \"xauth\"; id = \"alice\"; secret = \"xauth-pw\"; },\n"
	"  { type = \"eap\"; id = \"alice\"; secret = \"eap-later\"; } );\n";

/*
 * A secret naming both identities beats one naming the peer, beats one naming us, beats one
 * naming none; among equals the first in the file; DNs match by meaning; user names by type.
 */
static void test_ranking(void)
{
	struct dpike_config cfg;
	unit_load_config(ranked, &cfg);
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "gw.example", "peer1.example"), "both");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "other.example", "peer1.example"), "peer1");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "gw.example", "peer3.example"), "peer3");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "gw.example", "nobody.example"), "ours");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "other.example", "nobody.example"), "anon");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "gw.example", "C=CH,O=Example,CN=peer2"), "dn");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "other.example", "192.0.2.9"), "ip");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "other.example", "@#0a0b"), "keyid");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "other.example", "@peer1.example"), "peer1"); /* @ only says FQDN */
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "other.example", "peer1@example"), "anon"); /* an email, not the FQDN */
	CU_ASSERT(password_is(eap_secret_lookup(&cfg, (const uint8_t *)"alice", 5), "eap-pw"));
	CU_ASSERT(password_is(eap_secret_lookup(&cfg, (const uint8_t *)"bob", 3), "eap-pw"));
	CU_ASSERT(password_is(xauth_secret_lookup(&cfg, (const uint8_t *)"alice", 5), "xauth-pw"));
	CU_ASSERT_PTR_NULL(xauth_secret_lookup(&cfg, (const uint8_t *)"bob", 3));
	CU_ASSERT_PTR_NULL(eap_secret_lookup(&cfg, (const uint8_t *)"alic", 4));
	CU_ASSERT_PTR_NULL(eap_secret_lookup(&cfg, (const uint8_t *)"alice2", 6));
	CU_ASSERT(cfg.secret_index.built); /* the lookups went through the index */
	/* no anonymous secret: nothing for strangers */
	config_free(&cfg);
	unit_load_config(IFACES "secrets = ( { type = \"ike\"; id = \"gw.example\"; secret = \"ours\"; } );\n", &cfg);
	CU_ASSERT_PTR_NULL(psk_for(&cfg, "other.example", "nobody.example"));
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "other.example", "gw.example"), "ours"); /* names the peer */
	config_free(&cfg);
}

#define MANY 20000

/* Twenty thousand peers with a PSK each and users with a password each: every one finds its own. */
static void test_many(void)
{
	size_t cap = (size_t)MANY * 200 + 4096, n = 0;
	char *text = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	n += (size_t)snprintf(text + n, cap - n, IFACES "secrets = (\n");
	for (int i = 0; i < MANY; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "  { type = \"ike\"; id = [\"gw.example\", \"peer%d.example\"]; secret = \"k%d\"; },\n"
				      "  { type = \"eap\"; id = \"user%d\"; secret = \"p%d\"; },\n",
				      i, i, i, i);
	snprintf(text + n, cap - n, "  { type = \"ike\"; secret = \"anon\"; } );\n");
	struct dpike_config cfg;
	unit_load_config(text, &cfg);
	free(text);
	int wrong = 0;
	for (int i = 0; i < MANY; i += 7) {
		char peer[64], want[32], user[32];
		snprintf(peer, sizeof(peer), "peer%d.example", i);
		snprintf(want, sizeof(want), "k%d", i);
		const char *got = psk_for(&cfg, "gw.example", peer);
		wrong += got == NULL || strcmp(got, want) != 0;
		snprintf(user, sizeof(user), "user%d", i);
		snprintf(want, sizeof(want), "p%d", i);
		wrong += !password_is(eap_secret_lookup(&cfg, (const uint8_t *)user, strlen(user)), want);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	/* every secret names us: a stranger gets the first of them, as a scan would give it */
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "gw.example", "stranger.example"), "k0");
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "other.example", "stranger.example"), "anon");
	/* forgotten (as load-creds leaves a fresh array), built again at the next lookup */
	config_secret_index_free(&cfg.secret_index);
	CU_ASSERT_STRING_EQUAL(psk_for(&cfg, "gw.example", "peer19999.example"), "k19999");
	CU_ASSERT(cfg.secret_index.built);
	config_free(&cfg);
}

void secrets_suite_add(CU_pSuite s)
{
	CU_add_test(s, "PSKs ranked by the identities they name, DNs by meaning; passwords by user and type", test_ranking);
	CU_add_test(s, "twenty thousand PSKs and passwords: each peer and user finds its own", test_many);
}
