/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 payloads: every generator read back by the parser; every truncation and bad length refused. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "ike/v2/message.h"
#include "ike/v2/payloads.h"
#include "unit.h"

static size_t build_sample(struct ike_builder *b)
{
	struct ike_header h = { .spi_i = 0x0102030405060708ULL, .spi_r = 0x1112131415161718ULL, .exchange = IKE_SA_INIT,
				.flags = IKE_FLAG_INITIATOR, .msg_id = 7 };
	struct ike_sa_proposal sp[2];
	char err[64];
	memset(sp, 0, sizeof(sp));
	proposal_parse("aes256-sha384-ecp384", PROPOSAL_IKE, false, &sp[0].p, err, sizeof(err));
	proposal_parse("aes128gcm16-aes256gcm16-prfsha256-x25519", PROPOSAL_IKE, false, &sp[1].p, err, sizeof(err));
	sp[0].protocol = sp[1].protocol = PROTO_IKE;
	uint8_t ke[32], nonce[32];
	memset(ke, 0xab, sizeof(ke));
	memset(nonce, 0xcd, sizeof(nonce));
	struct ike_id id = { .type = ID_FQDN, .len = 10 };
	memcpy(id.data, "gw.example", 10);
	struct ike_ts ts[2] = { { 6, 443, 443, 0x0a000000, 0x0affffff }, { 0, 0, 65535, 0xc0000201, 0xc0000201 } };
	uint32_t spis[2] = { 0x11223344, 0x55667788 };
	ike_build_start(b, &h);
	sa_payload_add(b, sp, 2);
	ke_payload_add(b, 31, ke, sizeof(ke));
	nonce_add(b, nonce, sizeof(nonce));
	notify_add(b, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, nonce, 20);
	id_add(b, PL_IDI, &id);
	auth_add(b, AUTH_SHARED_KEY_MIC, nonce, 32);
	ts_payload_add(b, PL_TSI, ts, 2);
	delete_add(b, PROTO_ESP, spis, 2);
	return ike_build_finish(b);
}

static void test_round_trip(void)
{
	static struct ike_builder b;
	struct ike_message m;
	size_t len = build_sample(&b);
	CU_ASSERT_FATAL(len > IKE_HDR_LEN);
	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL_FATAL(ike_parse_header(b.buf, len, &m.hdr), IKE_PARSE_OK);
	CU_ASSERT(m.hdr.spi_i == 0x0102030405060708ULL && m.hdr.spi_r == 0x1112131415161718ULL && m.hdr.msg_id == 7);
	CU_ASSERT_EQUAL_FATAL(ike_parse_chain(&m, m.hdr.next, b.buf + IKE_HDR_LEN, len - IKE_HDR_LEN), IKE_PARSE_OK);
	CU_ASSERT_EQUAL(m.n, 8);

	struct ike_sa_proposal got[4];
	CU_ASSERT_EQUAL_FATAL(sa_payload_parse(ike_find(&m, PL_SA), got, 4), 2);
	CU_ASSERT(got[0].num == 1 && got[1].num == 2);
	CU_ASSERT(got[0].p.t[TRANS_ENCR][0].id == 12 && got[0].p.t[TRANS_ENCR][0].key_bits == 256);
	CU_ASSERT(got[0].p.t[TRANS_INTEG][0].id == 13 && got[0].p.t[TRANS_DH][0].id == 20);
	CU_ASSERT(got[1].p.n[TRANS_ENCR] == 2 && got[1].p.t[TRANS_ENCR][1].key_bits == 256);
	uint16_t group;
	const uint8_t *data;
	size_t dlen;
	CU_ASSERT(ke_payload_parse(ike_find(&m, PL_KE), &group, &data, &dlen) && group == 31 && dlen == 32);
	CU_ASSERT(nonce_parse(ike_find(&m, PL_NONCE), &data, &dlen) && dlen == 32 && data[0] == 0xcd);
	struct ike_notify n;
	CU_ASSERT(notify_parse(ike_find(&m, PL_NOTIFY), &n) && n.type == N_NAT_DETECTION_SOURCE_IP && n.data_len == 20);
	struct ike_id id;
	CU_ASSERT(id_parse(ike_find(&m, PL_IDI), &id) && id.type == ID_FQDN && id.len == 10);
	uint8_t method;
	CU_ASSERT(auth_parse(ike_find(&m, PL_AUTH), &method, &data, &dlen) && method == 2 && dlen == 32);
	struct ike_ts ts[4];
	CU_ASSERT_EQUAL(ts_payload_parse(ike_find(&m, PL_TSI), ts, 4), 2);
	CU_ASSERT(ts[0].proto == 6 && ts[0].sport == 443 && ts[0].eaddr == 0x0affffff);
	struct ike_delete del;
	CU_ASSERT(delete_parse(ike_find(&m, PL_DELETE), &del) && del.n == 2 && del.spis[4] == 0x55);
}

static void test_truncations(void)
{
	static struct ike_builder b;
	size_t len = build_sample(&b);
	for (size_t cut = 0; cut < len; cut++) {
		struct ike_message m;
		memset(&m, 0, sizeof(m));
		/* the header's length must match what arrived */
		CU_ASSERT_NOT_EQUAL(ike_parse_header(b.buf, cut, &m.hdr), IKE_PARSE_OK);
		if (cut > IKE_HDR_LEN) {
			ike_parse_header(b.buf, len, &m.hdr);
			CU_ASSERT_NOT_EQUAL(ike_parse_chain(&m, m.hdr.next, b.buf + IKE_HDR_LEN, cut - IKE_HDR_LEN), IKE_PARSE_OK);
		}
	}
}

static void test_bad_lengths(void)
{
	static struct ike_builder b;
	size_t len = build_sample(&b);
	struct ike_message m;
	/* first payload (SA) claims 3 bytes: shorter than its own header */
	uint8_t copy[IKE_MAX_MSG];
	memcpy(copy, b.buf, len);
	copy[IKE_HDR_LEN + 2] = 0, copy[IKE_HDR_LEN + 3] = 3;
	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(ike_parse_chain(&m, PL_SA, copy + IKE_HDR_LEN, len - IKE_HDR_LEN), IKE_PARSE_PAYLOAD);
	/* ... and one that runs past the message */
	copy[IKE_HDR_LEN + 2] = 0xff;
	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(ike_parse_chain(&m, PL_SA, copy + IKE_HDR_LEN, len - IKE_HDR_LEN), IKE_PARSE_PAYLOAD);
	/* a proposal whose transform count disagrees with its transforms */
	memcpy(copy, b.buf, len);
	copy[IKE_HDR_LEN + 4 + 7] += 1;
	memset(&m, 0, sizeof(m));
	ike_parse_chain(&m, PL_SA, copy + IKE_HDR_LEN, len - IKE_HDR_LEN);
	struct ike_sa_proposal got[4];
	CU_ASSERT_EQUAL(sa_payload_parse(ike_find(&m, PL_SA), got, 4), -1);
	/* version 3 */
	memcpy(copy, b.buf, len);
	copy[17] = 0x30;
	CU_ASSERT_EQUAL(ike_parse_header(copy, len, &m.hdr), IKE_PARSE_VERSION);
	/* a nonce of 15 bytes is too short (RFC 7296 3.9) */
	struct ike_payload p = { PL_NONCE, false, copy, 15 };
	const uint8_t *d;
	size_t n;
	CU_ASSERT(!nonce_parse(&p, &d, &n));
}

static void test_unknown_critical(void)
{
	uint8_t body[] = { PL_NONE, 0x80, 0, 8, 1, 2, 3, 4 }; /* type 200, critical */
	struct ike_message m;
	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(ike_parse_chain(&m, 200, body, sizeof(body)), IKE_PARSE_OK);
	CU_ASSERT_EQUAL(m.unknown_critical, 200);
	body[1] = 0; /* not critical: skipped silently */
	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(ike_parse_chain(&m, 200, body, sizeof(body)), IKE_PARSE_OK);
	CU_ASSERT_EQUAL(m.unknown_critical, 0);
}

void ike_payload_suite_add(CU_pSuite s)
{
	CU_add_test(s, "every payload generated and parsed back", test_round_trip);
	CU_add_test(s, "every truncation refused", test_truncations);
	CU_add_test(s, "bad lengths, counts, version, nonce size", test_bad_lengths);
	CU_add_test(s, "unknown critical payload flagged", test_unknown_critical);
}
