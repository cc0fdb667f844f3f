/* SPDX-License-Identifier: BSD-3-Clause */
/* swanctl proposal strings into IKEv2 transform IDs (RFC 7296 3.3.2 and the IANA registry). */
#include <CUnit/CUnit.h>

#include "ike/proposal.h"
#include "unit.h"

static void test_ike_proposals(void)
{
	struct proposal p;
	char err[128];
	CU_ASSERT_FATAL(proposal_parse("aes128gcm16-prfsha256-x25519", PROPOSAL_IKE, false, &p, err, sizeof(err)));
	CU_ASSERT(p.n[TRANS_ENCR] == 1 && p.t[TRANS_ENCR][0].id == 20 && p.t[TRANS_ENCR][0].key_bits == 128);
	CU_ASSERT(p.n[TRANS_PRF] == 1 && p.t[TRANS_PRF][0].id == 5);
	CU_ASSERT(p.n[TRANS_DH] == 1 && p.t[TRANS_DH][0].id == 31);
	CU_ASSERT_EQUAL(p.n[TRANS_INTEG], 0);
	CU_ASSERT_FATAL(proposal_parse("aes256-sha384-ecp384-modp3072", PROPOSAL_IKE, false, &p, err, sizeof(err)));
	CU_ASSERT(p.t[TRANS_ENCR][0].id == 12 && p.t[TRANS_ENCR][0].key_bits == 256);
	CU_ASSERT(p.t[TRANS_INTEG][0].id == 13 && p.t[TRANS_PRF][0].id == 6); /* PRF follows the integrity */
	CU_ASSERT(p.n[TRANS_DH] == 2 && p.t[TRANS_DH][0].id == 20 && p.t[TRANS_DH][1].id == 15);
	CU_ASSERT(!proposal_parse("aes128-sha256-modp1024", PROPOSAL_IKE, false, &p, err, sizeof(err)));
	CU_ASSERT(proposal_parse("aes128-sha256-modp1024", PROPOSAL_IKE, true, &p, err, sizeof(err)));
	CU_ASSERT(!proposal_parse("aes128-modp2048", PROPOSAL_IKE, false, &p, err, sizeof(err)));
	CU_ASSERT(!proposal_parse("aes128gcm16-aes128-prfsha256-ecp256", PROPOSAL_IKE, false, &p, err, sizeof(err)));
	CU_ASSERT(!proposal_parse("aes128-sha256-esn-modp2048", PROPOSAL_IKE, false, &p, err, sizeof(err)));
}

static void test_esp_proposals(void)
{
	struct proposal p;
	char err[128];
	CU_ASSERT_FATAL(proposal_parse("aes128gcm16-x25519-esn", PROPOSAL_ESP, false, &p, err, sizeof(err)));
	CU_ASSERT(p.n[TRANS_DH] == 1 && p.n[TRANS_ESN] == 1 && p.t[TRANS_ESN][0].id == 1);
	CU_ASSERT(proposal_parse("chacha20poly1305", PROPOSAL_ESP, false, &p, err, sizeof(err)));
	CU_ASSERT(p.t[TRANS_ENCR][0].id == 28);
	CU_ASSERT(proposal_parse("aes256-sha1", PROPOSAL_ESP, false, &p, err, sizeof(err)) && p.t[TRANS_INTEG][0].id == 2);
	CU_ASSERT(!proposal_parse("aes256", PROPOSAL_ESP, false, &p, err, sizeof(err)));
	CU_ASSERT(!proposal_parse("aes128gcm16-sha256", PROPOSAL_ESP, false, &p, err, sizeof(err)));
	CU_ASSERT(!proposal_parse("aes128-sha256-prfsha256", PROPOSAL_ESP, false, &p, err, sizeof(err)));
}

void proposal_suite_add(CU_pSuite s)
{
	CU_add_test(s, "IKE proposals", test_ike_proposals);
	CU_add_test(s, "ESP proposals", test_esp_proposals);
}
