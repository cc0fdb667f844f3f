/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1: the ISAKMP parser and generator, key derivation and hashes against vectors computed
 * independently from RFC 2409 (gen_ikev1_vectors.py), and two daemons back to back through
 * Main Mode, Aggressive Mode, Quick Mode, lost messages, rekeys, reauthentication, deletes.
 */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ike/identity.h"
#include "ike/pool.h"
#include "ike/v1/fragments.h"
#include "ike/v1/phase1.h"
#include "ike/v1/v1_sa.h"
#include "ike/x25519.h"
#include "ike_harness.h"
#include "ikev1_vectors.h"
#include "unit.h"

/* ---- ISAKMP messages ---- */

static size_t build_main_mode_1(uint8_t *out)
{
	struct ike_builder b;
	struct isakmp_header h = { .cky_i = 0x0102030405060708ull, .exchange = XCHG_MAIN };
	struct v1_proposal p = { .num = 1, .protocol = PROTO_IKE, .n = 3 };
	for (int i = 0; i < 3; i++) {
		p.t[i].num = (uint8_t)(i + 1);
		p.t[i].id = 1;
		struct v1_attrs *a = &p.t[i].attrs;
		a->type[0] = P1_ENCR, a->value[0] = V1_ENCR_AES_CBC;
		a->type[1] = P1_KEY_LEN, a->value[1] = 128u << i % 2;
		a->type[2] = P1_LIFE, a->value[2] = i == 2 ? 86400 * 7 : 28800; /* the last needs a TLV */
		a->n = 3;
	}
	isakmp_build_start(&b, &h);
	v1_sa_add(&b, &p);
	ike_payload_begin(&b, ISA_VID);
	wire_put_bytes(&b.w, (const uint8_t *)"0123456789abcdef", 16);
	ike_payload_end(&b);
	size_t len = ike_build_finish(&b);
	memcpy(out, b.buf, len);
	return len;
}

static void test_isakmp_round_trip(void)
{
	uint8_t msg[IKE_MAX_MSG];
	size_t len = build_main_mode_1(msg);
	struct isakmp_message m;
	CU_ASSERT_EQUAL_FATAL(isakmp_parse_header(msg, len, &m.hdr), IKE_PARSE_OK);
	CU_ASSERT_EQUAL(m.hdr.version, ISAKMP_VERSION);
	CU_ASSERT_EQUAL(m.hdr.cky_i, 0x0102030405060708ull);
	CU_ASSERT_EQUAL(m.hdr.length, len);
	CU_ASSERT_EQUAL_FATAL(isakmp_parse_chain(&m, m.hdr.next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN), IKE_PARSE_OK);
	CU_ASSERT_EQUAL_FATAL(m.n, 2);
	CU_ASSERT(m.pl[0].type == ISA_SA && m.pl[1].type == ISA_VID && m.pl[1].len == 16);
	struct v1_proposal got[2];
	CU_ASSERT_EQUAL_FATAL(v1_sa_parse(&m.pl[0], got, 2), 1);
	CU_ASSERT_EQUAL_FATAL(got[0].n, 3);
	uint64_t v;
	CU_ASSERT(v1_attr(&got[0].t[1].attrs, P1_KEY_LEN, &v) && v == 256);
	CU_ASSERT(v1_attr(&got[0].t[2].attrs, P1_LIFE, &v) && v == 86400 * 7);
	CU_ASSERT(!v1_attr(&got[0].t[0].attrs, P1_GROUP, &v));
	/* padding after the chain (as encryption leaves it) is ignored */
	memset(msg + len, 0, 12);
	CU_ASSERT_EQUAL(isakmp_parse_chain(&m, m.hdr.next, msg + IKE_HDR_LEN, len + 12 - IKE_HDR_LEN), IKE_PARSE_OK);
}

static void test_isakmp_rejects(void)
{
	uint8_t msg[IKE_MAX_MSG], bad[IKE_MAX_MSG];
	size_t len = build_main_mode_1(msg);
	struct isakmp_message m;
	CU_ASSERT_EQUAL(isakmp_parse_header(msg, 20, &m.hdr), IKE_PARSE_SHORT);
	memcpy(bad, msg, len);
	bad[17] = 0x20;
	CU_ASSERT_EQUAL(isakmp_parse_header(bad, len, &m.hdr), IKE_PARSE_VERSION);
	memcpy(bad, msg, len);
	bad[27] += 1; /* the header claims a byte more than arrived */
	CU_ASSERT_EQUAL(isakmp_parse_header(bad, len, &m.hdr), IKE_PARSE_LENGTH);
	/* every truncation of the chain is refused or leaves a parse with nothing read past the end */
	for (size_t cut = IKE_HDR_LEN; cut < len; cut++) {
		isakmp_parse_header(msg, len, &m.hdr);
		enum ike_parse_error e = isakmp_parse_chain(&m, m.hdr.next, msg + IKE_HDR_LEN, cut - IKE_HDR_LEN);
		CU_ASSERT_EQUAL(e, IKE_PARSE_PAYLOAD);
	}
	/* SA payloads with a wrong DOI, a transform count that lies, an SPI too long */
	isakmp_parse_header(msg, len, &m.hdr);
	isakmp_parse_chain(&m, m.hdr.next, msg + IKE_HDR_LEN, len - IKE_HDR_LEN);
	struct ike_payload sa = m.pl[0];
	uint8_t body[512];
	struct v1_proposal got[2];
	memcpy(body, sa.body, sa.len);
	sa.body = body;
	body[3] = 2;
	CU_ASSERT_EQUAL(v1_sa_parse(&sa, got, 2), -1);
	memcpy(body, m.pl[0].body, sa.len);
	body[8 + 7] = 4; /* four transforms announced, three present */
	CU_ASSERT_EQUAL(v1_sa_parse(&sa, got, 2), -1);
	memcpy(body, m.pl[0].body, sa.len);
	body[8 + 6] = 200;
	CU_ASSERT_EQUAL(v1_sa_parse(&sa, got, 2), -1);
	memcpy(body, m.pl[0].body, sa.len);
	body[24] &= 0x7f; /* the first attribute becomes a TLV whose length runs off the transform */
	body[26] = 0x7f;
	body[27] = 0xff;
	CU_ASSERT_EQUAL(v1_sa_parse(&sa, got, 2), -1);
}

/* ---- keys and hashes against the vectors ---- */

static void vector_sa(const struct ikev1_vector *v, struct v1_sa *sa)
{
	static struct v1_phase1 p1;
	memset(sa, 0, sizeof(*sa));
	memset(&p1, 0, sizeof(p1));
	sa->p1 = &p1;
	sa->md = EVP_get_digestbyname(v->md);
	sa->hlen = (size_t)EVP_MD_get_size(sa->md);
	sa->encr = V1_ENCR_AES_CBC;
	sa->encr_bits = (uint16_t)v->enc_bits;
	sa->block = 16;
	for (int i = 0; i < 8; i++) {
		sa->cky_i = sa->cky_i << 8 | v->cky_i[i];
		sa->cky_r = sa->cky_r << 8 | v->cky_r[i];
	}
	memcpy(sa->p1->ni, v->ni, v->ni_len);
	memcpy(sa->p1->nr, v->nr, v->nr_len);
	sa->p1->ni_len = v->ni_len;
	sa->p1->nr_len = v->nr_len;
	memcpy(sa->p1->gx_i, v->gxi, v->gxi_len);
	memcpy(sa->p1->gx_r, v->gxr, v->gxr_len);
	sa->p1->gx_len = v->gxi_len;
}

static void test_phase1_keys(void)
{
	for (size_t i = 0; i < sizeof(ikev1_vectors) / sizeof(ikev1_vectors[0]); i++) {
		const struct ikev1_vector *v = &ikev1_vectors[i];
		struct v1_sa sa;
		vector_sa(v, &sa);
		CU_ASSERT_FATAL(v1_phase1_keys(&sa, v->psk, v->psk_len, v->gxy, v->gxy_len));
		CU_ASSERT(sa.keyed);
		CU_ASSERT(memcmp(sa.skeyid, v->skeyid, v->skeyid_len) == 0);
		CU_ASSERT(memcmp(sa.skeyid_d, v->skeyid_d, v->skeyid_d_len) == 0);
		CU_ASSERT(memcmp(sa.skeyid_a, v->skeyid_a, v->skeyid_a_len) == 0);
		CU_ASSERT(memcmp(sa.enc_key, v->enc_key, v->enc_key_len) == 0);
		CU_ASSERT(memcmp(sa.iv, v->iv, 16) == 0);
	}
}

static void test_phase1_hashes(void)
{
	for (size_t i = 0; i < sizeof(ikev1_vectors) / sizeof(ikev1_vectors[0]); i++) {
		const struct ikev1_vector *v = &ikev1_vectors[i];
		struct v1_sa sa;
		uint8_t out[64];
		vector_sa(v, &sa);
		CU_ASSERT_FATAL(v1_phase1_keys(&sa, v->psk, v->psk_len, v->gxy, v->gxy_len));
		sa.p1->sa_i_b = (uint8_t *)v->sa_i;
		sa.p1->sa_i_len = v->sa_i_len;
		memcpy(sa.p1->id_i_b, v->id_i, v->id_i_len);
		memcpy(sa.p1->id_r_b, v->id_r, v->id_r_len);
		sa.p1->id_i_len = v->id_i_len;
		sa.p1->id_r_len = v->id_r_len;
		size_t len;
		CU_ASSERT(p1_auth_hash(&sa, true, out, &len) && len == v->hash_i_len && memcmp(out, v->hash_i, len) == 0);
		CU_ASSERT(p1_auth_hash(&sa, false, out, &len) && len == v->hash_r_len && memcmp(out, v->hash_r, len) == 0);
	}
}

static void test_phase2_keys_and_hashes(void)
{
	for (size_t i = 0; i < sizeof(ikev1_vectors) / sizeof(ikev1_vectors[0]); i++) {
		const struct ikev1_vector *v = &ikev1_vectors[i];
		struct v1_sa sa;
		uint8_t iv[16], keymat[72], h[64], in[1 + 4 + 64];
		vector_sa(v, &sa);
		CU_ASSERT_FATAL(v1_phase1_keys(&sa, v->psk, v->psk_len, v->gxy, v->gxy_len));
		memcpy(sa.iv, v->last_block, 16);
		v1_phase2_iv(&sa, v->msg_id, iv);
		CU_ASSERT(memcmp(iv, v->iv2, 16) == 0);
		CU_ASSERT(v1_keymat(&sa, v->gqm, v->gqm_len, v->spi, v->ni, v->ni_len, v->nr, v->nr_len, keymat, 72));
		CU_ASSERT(memcmp(keymat, v->keymat, 72) == 0);
		uint8_t mid[4] = { 0x12, 0x34, 0x56, 0x78 };
		CU_ASSERT(v1_hash_payloads(&sa, mid, 4, v->body, v->body_len, h) && memcmp(h, v->hash1, v->hash1_len) == 0);
		in[0] = 0;
		memcpy(in + 1, mid, 4);
		memcpy(in + 5, v->ni, 32);
		memcpy(in + 37, v->nr, 32);
		CU_ASSERT(v1_prf(&sa, sa.skeyid_a, sa.hlen, in, 69, h) && memcmp(h, v->hash3, v->hash3_len) == 0);
	}
}

/* CBC protection round trip: what one side encrypts with its IV the other reads with the same IV. */
static void test_cbc_round_trip(void)
{
	const struct ikev1_vector *v = &ikev1_vectors[0];
	struct v1_sa sa;
	vector_sa(v, &sa);
	CU_ASSERT_FATAL(v1_phase1_keys(&sa, v->psk, v->psk_len, v->gxy, v->gxy_len));
	struct ike_builder b;
	struct isakmp_header hdr = { .cky_i = 1, .cky_r = 2, .exchange = XCHG_INFO, .msg_id = 9 };
	isakmp_build_start(&b, &hdr);
	ike_payload_begin(&b, ISA_N);
	wire_put_bytes(&b.w, v->body, 21); /* not a multiple of the block size: padded */
	ike_payload_end(&b);
	uint8_t iv_tx[16], iv_rx[16];
	memcpy(iv_tx, v->iv, 16);
	memcpy(iv_rx, v->iv, 16);
	size_t len = v1_encrypt(&sa, &b, iv_tx);
	CU_ASSERT_FATAL(len > 0 && (len - IKE_HDR_LEN) % 16 == 0);
	CU_ASSERT(b.buf[19] & ISAKMP_FLAG_ENCRYPTION);
	CU_ASSERT(memcmp(iv_tx, b.buf + len - 16, 16) == 0); /* the next IV: the last cipher block */
	CU_ASSERT_FATAL(v1_decrypt(&sa, b.buf, len, iv_rx));
	CU_ASSERT(memcmp(iv_rx, iv_tx, 16) == 0);
	CU_ASSERT(memcmp(b.buf + IKE_HDR_LEN + 4, v->body, 21) == 0);
	CU_ASSERT(!v1_decrypt(&sa, b.buf, len - 3, iv_rx)); /* not whole blocks */
}

/* ---- two daemons ---- */

#define CONN1(local, remote, extra, esp, psk)                                                                  \
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"" local "/24\"; } );\n"            \
	"connections = ( { name = \"c\"; version = 1; local_addrs = [\"" local "\"]; remote_addrs = [\"" remote \
	"\"];\n  proposals = [%s]; " extra "\n"                                                                    \
	"  local = { auth = \"psk\"; id = \"" local "\"; }; remote = { auth = \"psk\"; id = \"" remote "\"; };\n" \
	"  children = ( { name = \"net\"; local_ts = [\"10.1.0.0/16\"]; remote_ts = [\"10.2.0.0/16\"];"           \
	" esp_proposals = [" esp "]; rekey_time = \"1h\"; life_time = \"2h\"; rand_time = 0; } ); } );\n"        \
	"secrets = ( { type = \"ike\"; secret = \"" psk "\"; } );\n"

static const char *const ESP_PFS = "\"aes128gcm16-modp2048\"";
static const char *const P1_DEFAULT = "\"aes256-sha256-modp2048\", \"aes128-sha1-ecp256\"";
static const char *p1_props = P1_DEFAULT; /* what pair1 configures on both sides */
static const char *b_limits = "retransmit_timeout = 1.0; retransmit_tries = 3;"; /* B's ike settings */
static const char *a_limits = "retransmit_timeout = 1.0; retransmit_tries = 3;"; /* A's */

static void pair1(const char *extra_a, const char *extra_b, const char *esp, const char *psk_b)
{
	char ta[2048], tb[2048];
	q_head = q_tail = 0;
	snprintf(ta, sizeof(ta), CONN1("192.0.2.1", "192.0.2.2", "%s", "%s", "same secret"), p1_props, extra_a, esp);
	snprintf(tb, sizeof(tb), CONN1("192.0.2.2", "192.0.2.1", "%s", "%s", "%s"), p1_props, extra_b, esp, psk_b);
	/* B's traffic selectors are A's, mirrored */
	static const char mirrored[] = "local_ts = [\"10.2.0.0/16\"]; remote_ts = [\"10.1.0.0/16\"]";
	char *ts = strstr(tb, "local_ts = [\"10.1.0.0/16\"]; remote_ts = [\"10.2.0.0/16\"]");
	if (ts)
		memcpy(ts, mirrored, strlen(mirrored));
	start_node(&A, ta, 0xc0000201, a_limits);
	start_node(&B, tb, 0xc0000202, b_limits);
}

static struct v1_sa *v1_of(struct node *n)
{
	return n->d->v1->sas;
}

static int initiate1(const char *what)
{
	int rc = run_command(ike_initiate, A.d, what);
	pump();
	return rc;
}

static void assert_up(int children)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(v1_of(&A));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v1_of(&B));
	CU_ASSERT_EQUAL(v1_of(&A)->state, V1_ESTABLISHED);
	CU_ASSERT_EQUAL(v1_of(&B)->state, V1_ESTABLISHED);
	CU_ASSERT(A.children == children && B.children == children);
	CU_ASSERT(A.spi_out == B.spi_in && B.spi_out == A.spi_in);
	CU_ASSERT(A.key_len > 0 && memcmp(A.key_out, B.key_in, A.key_len) == 0 &&
		  memcmp(B.key_out, A.key_in, A.key_len) == 0);
	CU_ASSERT(memcmp(A.key_out, A.key_in, A.key_len) != 0); /* KEYMAT differs per SPI */
}

static void test_main_mode(void)
{
	pair1("", "", "\"aes128-sha256\"", "same secret");
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	assert_up(1);
	CU_ASSERT(!v1_of(&A)->aggressive && v1_of(&A)->initiator && !v1_of(&B)->initiator);
	CU_ASSERT_EQUAL(v1_of(&A)->encr_bits, 256);
	CU_ASSERT_EQUAL(B.d->v1->stats.established, 1);
	stop_node(&A);
	stop_node(&B);
}

/* ESP seen from a new endpoint (a NAT rebound the peer): the ISAKMP SA and its IPsec SAs move there. */
static void test_peer_moved1(void)
{
	pair1("", "", "\"aes128-sha256\"", "same secret");
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	assert_up(1);
	struct installed *i = NULL;
	for (int k = 0; k < 16; k++)
		if (B.sa[k].live && B.sa[k].spi_in == B.spi_in)
			i = &B.sa[k];
	CU_ASSERT_FATAL(i != NULL);
	ike_peer_moved(B.d, 0xdeadbeef, 0xc0000201, 40001);
	CU_ASSERT(i->moves == 0 && v1_of(&B)->remote.port != 40001);
	ike_peer_moved(B.d, B.spi_in, 0xc0000201, 40001);
	CU_ASSERT(v1_of(&B)->remote.addr == 0xc0000201 && v1_of(&B)->remote.port == 40001);
	CU_ASSERT(i->moves == 1 && i->peer.addr == 0xc0000201 && i->peer.port == 40001);
	ike_peer_moved(B.d, B.spi_in, 0xc0000201, 40001);
	CU_ASSERT(i->moves == 1);
	stop_node(&A);
	stop_node(&B);
}

static void test_aggressive_mode(void)
{
	pair1("aggressive = true;", "aggressive = true;", ESP_PFS, "same secret");
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	assert_up(1);
	CU_ASSERT(v1_of(&A)->aggressive && v1_of(&B)->aggressive);
	stop_node(&A);
	stop_node(&B);
}

/* 3DES and group 2, listed explicitly: 8-byte CBC blocks and IVs, SKEYID_e expanded to 24 bytes. */
static void test_weak_listed(void)
{
	p1_props = "\"3des-sha1-modp1024\"";
	pair1("", "", "\"aes128-sha1-modp1536\"", "same secret");
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	assert_up(1);
	CU_ASSERT(v1_of(&A)->encr == V1_ENCR_3DES && v1_of(&A)->block == 8 && v1_of(&A)->group == 2);
	CU_ASSERT_EQUAL(run_command(ike_rekey, A.d, "c/net"), 0); /* Quick Mode with PFS group 5 over 3DES */
	pump();
	CU_ASSERT(A.children == 2 && B.children == 2);
	p1_props = P1_DEFAULT;
	stop_node(&A);
	stop_node(&B);
}

static void test_aggressive_refused(void)
{
	pair1("aggressive = true;", "", ESP_PFS, "same secret");
	initiate1("c/net");
	CU_ASSERT_EQUAL(B.d->v1->stats.aggressive_refused, 1);
	CU_ASSERT_PTR_NULL(v1_of(&B));
	CU_ASSERT_PTR_NULL(v1_of(&A)); /* the NO-PROPOSAL-CHOSEN notify ended the attempt */
	CU_ASSERT(A.children == 0 && B.children == 0);
	stop_node(&A);
	stop_node(&B);
}

static void test_wrong_psk1(void)
{
	pair1("", "", ESP_PFS, "other secret");
	initiate1("c/net");
	CU_ASSERT(A.children == 0 && B.children == 0);
	CU_ASSERT(B.d->v1->stats.auth_failures + B.d->v1->stats.rx_invalid >= 1);
	CU_ASSERT(v1_of(&B) == NULL || v1_of(&B)->state != V1_ESTABLISHED);
	stop_node(&A);
	stop_node(&B);
}

/* Main Mode message 6 is lost: A repeats message 5, B answers from its cache. */
static void test_lost_main_mode_6(void)
{
	pair1("", "", ESP_PFS, "same secret");
	run_command(ike_initiate, A.d, "c/net");
	for (int i = 0; i < 4; i++) /* messages 1 to 4 */
		pump_one();
	uint8_t key_before[32];
	memcpy(key_before, v1_of(&B)->enc_key, 32);
	drop_exchange = XCHG_MAIN; /* B's message 6 goes nowhere */
	pump_one();
	CU_ASSERT_EQUAL(v1_of(&B)->state, V1_ESTABLISHED);
	CU_ASSERT_EQUAL(v1_of(&A)->state, V1_MM_I5);
	clock_ms += 1500;
	ike_tick(A.d);
	pump();
	assert_up(1);
	CU_ASSERT_EQUAL(A.d->v1->stats.retransmits, 1);
	CU_ASSERT_EQUAL(B.d->v1->stats.retransmits_answered, 1);
	stop_node(&A);
	stop_node(&B);
}

/* The HASH(3) of Quick Mode is lost: B repeats message 2, A answers with HASH(3) again. */
static void test_lost_quick_mode_3(void)
{
	pair1("", "", ESP_PFS, "same secret");
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	assert_up(1);
	CU_ASSERT_EQUAL(run_command(ike_rekey, A.d, "c/net"), 0);
	pump_one(); /* message 1 to B */
	pump_one(); /* message 2 to A, which installs and sends HASH(3) */
	q_head = q_tail; /* HASH(3) lost */
	struct installed *b_new = &B.sa[(B.n_sa - 1) % 16];
	CU_ASSERT(b_new->live && !b_new->active);
	clock_ms += 1500;
	ike_tick(B.d); /* B repeats message 2 */
	pump();
	CU_ASSERT(b_new->active);
	CU_ASSERT_EQUAL(A.d->v1->stats.retransmits_answered, 1);
	stop_node(&A);
	stop_node(&B);
}

/* Quick Mode rekeys from either side: make-before-break, then the old pair goes on both ends. */
static void test_quick_mode_rekey(void)
{
	pair1("", "", ESP_PFS, "same secret");
	initiate1("c/net");
	assert_up(1);
	for (int side = 0; side < 2; side++) {
		struct node *n = side ? &B : &A;
		uint32_t old_in = A.spi_in;
		CU_ASSERT_EQUAL(run_command(ike_rekey, n->d, "c/net"), 0);
		pump();
		CU_ASSERT(A.spi_in != old_in);
		CU_ASSERT(A.children == 2 && B.children == 2); /* the old pair still receives a moment */
		struct node *init = side ? &B : &A;
		struct installed *fresh = &init->sa[(init->n_sa - 1) % 16];
		CU_ASSERT(fresh->live && !fresh->active); /* the initiator sends on the old pair until... */
		for (int t = 0; t < 2; t++) {
			clock_ms += t ? 6000 : 1500; /* ...the responder has surely had HASH(3) */
			ike_tick(A.d);
			ike_tick(B.d);
			pump();
			if (t == 0)
				CU_ASSERT(fresh->active);
		}
		assert_up(1);
	}
	stop_node(&A);
	stop_node(&B);
}

/*
 * Reauthentication: a new ISAKMP SA takes over the IPsec SA; the old ISAKMP SA is deleted a moment
 * later (a peer may still be moving its IPsec SAs over when the new one is up).
 */
static void test_reauthentication(void)
{
	pair1("", "", ESP_PFS, "same secret");
	initiate1("c/net");
	assert_up(1);
	uint64_t old_cookie = v1_of(&A)->cky_i;
	uint32_t spi = A.spi_in;
	CU_ASSERT_EQUAL(run_command(ike_rekey, A.d, "c"), 0);
	pump();
	CU_ASSERT_PTR_NOT_NULL_FATAL(v1_of(&A)->next); /* the old one, handing over */
	CU_ASSERT(v1_of(&A)->next->superseded || v1_of(&A)->superseded);
	clock_ms += 1000;
	ike_tick(A.d);
	pump();
	assert_up(1);
	CU_ASSERT_EQUAL(A.spi_in, spi);
	CU_ASSERT(v1_of(&A)->cky_i != old_cookie);
	CU_ASSERT_PTR_NULL(v1_of(&A)->next);
	CU_ASSERT_PTR_NULL(v1_of(&B)->next);
	CU_ASSERT_PTR_NOT_NULL(v1_of(&A)->children);
	stop_node(&A);
	stop_node(&B);
}

static int established1(struct node *n)
{
	int k = 0;
	for (struct v1_sa *sa = n->d->v1->sas; sa; sa = sa->next)
		k += sa->state == V1_ESTABLISHED;
	return k;
}

/*
 * swanctl's unique on the responder, against a second ISAKMP SA between the same identities from
 * another address (B is made to see the first as from 192.0.2.3): no keeps both, keep refuses the
 * second in Main Mode message 6 (AUTHENTICATION_FAILED), replace deletes the first.
 */
static void test_unique1(void)
{
	static const char *const how[] = { "unique = \"no\";", "unique = \"keep\";", "unique = \"replace\";" };
	for (int i = 0; i < 3; i++) {
		pair1("", how[i], ESP_PFS, "same secret");
		CU_ASSERT_EQUAL(initiate1("c/net"), 0);
		assert_up(1);
		struct v1_sa *first = v1_of(&B);
		first->remote.addr = 0xc0000203;
		A.addrs[A.n_addrs++] = 0xc0000203; /* so that B's Delete of it arrives */
		v1_of(&A)->superseded = true; /* out of the way of "already up", and no INITIAL-CONTACT */
		v1_of(&A)->superseded_ms = clock_ms;
		v1_of(&A)->handover_ms = 3600000;
		v1_sa_wake(v1_of(&A));
		initiate1("c");
		CU_ASSERT_EQUAL(established1(&B), i == 0 ? 2 : 1);
		bool first_alive = false;
		for (struct v1_sa *sa = B.d->v1->sas; sa; sa = sa->next)
			first_alive |= sa == first && sa->state == V1_ESTABLISHED;
		CU_ASSERT(first_alive == (i < 2));
		CU_ASSERT_EQUAL(B.d->v1->stats.established, i == 1 ? 1 : 2);
		stop_node(&A);
		stop_node(&B);
	}
}

static void tick_both(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 1000) {
		clock_ms += 1000;
		ike_tick(A.d);
		ike_tick(B.d);
		pump();
	}
}

/* inactivity on an IPsec SA: closed when quiet, by the ISAKMP SA's initiator together with it. */
static void test_inactivity1(void)
{
	for (int initiator = 0; initiator < 2; initiator++) {
		pair1("", "", ESP_PFS, "same secret");
		struct node *idle = initiator ? &A : &B;
		for (int k = 0; k < idle->cfg.n_connections; k++) /* the same as inactivity = "30s" in its file */
			idle->cfg.connections[k]->children[0].inactivity = 30;
		CU_ASSERT_EQUAL(initiate1("c/net"), 0);
		assert_up(1);
		tick_both(20000);
		idle->sa[0].packets++;
		tick_both(30000);
		CU_ASSERT(A.children == 1 && B.children == 1);
		tick_both(20000);
		CU_ASSERT(A.children == 0 && B.children == 0);
		CU_ASSERT_EQUAL(established1(&A), initiator ? 0 : 1);
		CU_ASSERT_EQUAL(established1(&B), initiator ? 0 : 1);
		stop_node(&A);
		stop_node(&B);
	}
}

/* Replaces the first from in text (of size bytes) with to; false when from is absent or to does not fit. */
static bool replace_text(char *text, size_t size, const char *from, const char *to)
{
	char *at = strstr(text, from);
	size_t tail = at ? strlen(at + strlen(from)) : 0;
	if (at == NULL || (size_t)(at - text) + strlen(to) + tail >= size)
		return false;
	memmove(at + strlen(to), at + strlen(from), tail + 1);
	memcpy(at, to, strlen(to));
	return true;
}

/* Starts A as a road warrior (its local_ts dynamic) and B as its gateway (remote_ts dynamic), from CONN1 texts. */
static void start_road_warrior(char *ta, size_t a_size, char *tb, size_t b_size)
{
	CU_ASSERT_FATAL(replace_text(ta, a_size, "local_ts = [\"10.1.0.0/16\"]", "local_ts = [\"dynamic\"]"));
	CU_ASSERT_FATAL(replace_text(tb, b_size, "local_ts = [\"10.1.0.0/16\"]; remote_ts = [\"10.2.0.0/16\"]",
				     "local_ts = [\"10.2.0.0/16\"]; remote_ts = [\"dynamic\"]"));
	start_node(&A, ta, 0xc0000201, a_limits);
	start_node(&B, tb, 0xc0000202, b_limits);
}

/*
 * Mode Config, both ends dpike: A asks (vips = 0.0.0.0, local_ts dynamic), B hands out of the
 * pool "rw" (addrs; none when NULL), its remote_ts dynamic; mode is both sides' pull setting.
 */
static void pair_mode_config(const char *addrs, const char *mode)
{
	char ta[2560], tb[2560], extra_a[128], extra_b[128];
	q_head = q_tail = 0;
	snprintf(extra_a, sizeof(extra_a), "vips = \"0.0.0.0\"; %s", mode);
	snprintf(extra_b, sizeof(extra_b), "%s %s", addrs ? "pools = \"rw\";" : "", mode);
	snprintf(ta, sizeof(ta), CONN1("192.0.2.1", "192.0.2.2", "%s", "%s", "same secret"), p1_props, extra_a, ESP_PFS);
	snprintf(tb, sizeof(tb), "pools = ( { name = \"rw\"; addrs = \"%s\"; dns = \"198.51.100.53\"; } );\n"
		 CONN1("192.0.2.2", "192.0.2.1", "%s", "%s", "same secret"), addrs ? addrs : "10.9.9.9/32", p1_props,
		 extra_b, ESP_PFS);
	start_road_warrior(ta, sizeof(ta), tb, sizeof(tb));
}

/* The child's selectors at both ends name A's address (A's inner side) and 10.2.0.0/16. */
static void assert_child_for(uint32_t a_addr)
{
	struct installed *ia = installed_of(&A, A.spi_in), *ib = installed_of(&B, B.spi_in);
	CU_ASSERT_FATAL(ia != NULL && ib != NULL);
	CU_ASSERT(ia->local_ts.addr == a_addr && ia->local_ts.plen == 32);
	CU_ASSERT(ia->remote_ts.addr == 0x0a020000 && ia->remote_ts.plen == 16);
	CU_ASSERT(ib->remote_ts.addr == a_addr && ib->remote_ts.plen == 32);
}

static uint32_t pool_online(void)
{
	uint32_t online, leased;
	ike_pool_usage(B.d->pools, 0, &online, &leased);
	return online;
}

/* Pull (REQUEST, REPLY) and push (SET, ACK): the address before Quick Mode, held across reauthentication. */
static void test_mode_config(void)
{
	static const char *const modes[] = { "", "pull = false;" };
	for (int i = 0; i < 2; i++) {
		pair_mode_config("10.3.0.9/32", modes[i]);
		CU_ASSERT_EQUAL(initiate1("c/net"), 0);
		assert_up(1);
		CU_ASSERT(v1_of(&A)->own_vip == 0x0a030009 && v1_of(&B)->vip == 0x0a030009 && v1_of(&A)->vip == 0);
		assert_child_for(0x0a030009);
		CU_ASSERT_EQUAL(pool_online(), 1);
		CU_ASSERT_EQUAL(run_command(ike_rekey, A.d, "c"), 0); /* reauthentication: asks again, same address */
		pump();
		clock_ms += 1000;
		ike_tick(A.d);
		pump();
		CU_ASSERT_PTR_NULL(v1_of(&B)->next);
		CU_ASSERT(v1_of(&A)->own_vip == 0x0a030009 && v1_of(&B)->vip == 0x0a030009);
		CU_ASSERT_EQUAL(pool_online(), 1);
		CU_ASSERT_EQUAL(run_command(ike_terminate, A.d, "c"), 0);
		pump();
		ike_tick(B.d);
		CU_ASSERT_EQUAL(pool_online(), 0);
		stop_node(&A);
		stop_node(&B);
	}
}

/* The REPLY is lost: A asks again, B answers from what it sent (same IV chain), A goes on. */
static void test_mode_config_lost_reply(void)
{
	pair_mode_config("10.3.0.9/32", "");
	run_command(ike_initiate, A.d, "c/net");
	while (q_head != q_tail && (v1_of(&B) == NULL || v1_of(&B)->xact_in == NULL))
		pump_one();
	CU_ASSERT_FATAL(v1_of(&B) != NULL && v1_of(&B)->xact_in != NULL); /* B has answered; its REPLY is queued */
	q_head = q_tail;
	CU_ASSERT_EQUAL(v1_of(&A)->own_vip, 0);
	CU_ASSERT_PTR_NULL(v1_of(&A)->quick); /* Quick Mode waits for the address */
	clock_ms += 1500;
	ike_tick(A.d);
	pump();
	assert_up(1);
	CU_ASSERT_EQUAL(v1_of(&A)->own_vip, 0x0a030009);
	CU_ASSERT_EQUAL(B.d->v1->stats.retransmits_answered, 1);
	stop_node(&A);
	stop_node(&B);
}

/*
 * XAuth after Main Mode, both ends dpike: A (local-2, user alice with password a_pw) asks B's pool
 * for an address too; B (remote-2) checks alice's password first.
 */
static void pair_xauth(const char *a_pw, const char *both)
{
	char ta[2560], tb[2560], sa[128], xa[160], xb[160];
	q_head = q_tail = 0;
	snprintf(xa, sizeof(xa), "vips = \"0.0.0.0\"; local-2 = { auth = \"xauth\"; xauth_id = \"alice\"; }; %s", both);
	snprintf(xb, sizeof(xb), "pools = \"rw\"; remote-2 = { auth = \"xauth\"; }; %s", both);
	snprintf(ta, sizeof(ta), CONN1("192.0.2.1", "192.0.2.2", "%s", "%s", "same secret"), p1_props, xa, ESP_PFS);
	snprintf(tb, sizeof(tb), "pools = ( { name = \"rw\"; addrs = \"10.3.0.9/32\"; } );\n"
		 CONN1("192.0.2.2", "192.0.2.1", "%s", "%s", "same secret"), p1_props, xb, ESP_PFS);
	snprintf(sa, sizeof(sa), "secrets = ( { type = \"xauth\"; id = \"alice\"; secret = \"%s\"; }, {", a_pw);
	CU_ASSERT_FATAL(replace_text(ta, sizeof(ta), "secrets = ( {", sa));
	CU_ASSERT_FATAL(replace_text(tb, sizeof(tb), "secrets = ( {",
				     "secrets = ( { type = \"xauth\"; id = [\"bob\", \"alice\"]; secret = \"alice's\"; }, {"));
	start_road_warrior(ta, sizeof(ta), tb, sizeof(tb));
}

/* The right password: XAuth, then Mode Config, then Quick Mode, all in one go; after Main and Aggressive Mode. */
static void test_xauth(void)
{
	static const char *const modes[] = { "", "aggressive = true;" };
	for (int i = 0; i < 2; i++) {
		pair_xauth("alice's", modes[i]);
		CU_ASSERT_EQUAL(initiate1("c/net"), 0);
		assert_up(1);
		CU_ASSERT(v1_of(&A)->aggressive == (i == 1));
		CU_ASSERT(v1_of(&A)->setup == V1_SETUP_DONE && v1_of(&B)->setup == V1_SETUP_DONE);
		CU_ASSERT(v1_of(&A)->own_vip == 0x0a030009 && v1_of(&B)->vip == 0x0a030009);
		CU_ASSERT_STRING_EQUAL(v1_of(&B)->xauth_user, "alice");
		CU_ASSERT_EQUAL(B.d->v1->stats.auth_failures, 0);
		stop_node(&A);
		stop_node(&B);
	}
}

/* A wrong password: B says so, A acknowledges, both ISAKMP SAs go; no address, no child. */
static void test_xauth_wrong_password(void)
{
	pair_xauth("mallory's guess", "");
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	ike_tick(A.d);
	ike_tick(B.d);
	CU_ASSERT(A.children == 0 && B.children == 0);
	CU_ASSERT_PTR_NULL(v1_of(&A));
	CU_ASSERT_PTR_NULL(v1_of(&B));
	CU_ASSERT_EQUAL(B.d->v1->stats.auth_failures, 1);
	uint32_t online, leased;
	ike_pool_usage(B.d->pools, 0, &online, &leased);
	CU_ASSERT(online == 0 && leased == 0);
	stop_node(&A);
	stop_node(&B);
}

/*
 * Main Mode with PSKs picks a connection before the peer's identity is known (the first whose
 * addresses and proposals fit) and the right one by the identity in message 5, when its secret is
 * the one the keys came from.
 */
static void test_connection_by_identity(void)
{
	char ta[2560], tb[2560];
	q_head = q_tail = 0;
	snprintf(ta, sizeof(ta), CONN1("192.0.2.1", "192.0.2.2", "%s", "%s", "same secret"), p1_props, "", ESP_PFS);
	snprintf(tb, sizeof(tb), CONN1("192.0.2.2", "192.0.2.1", "%s", "%s", "same secret"), p1_props, "", ESP_PFS);
	CU_ASSERT_FATAL(replace_text(tb, sizeof(tb), "connections = ( {",
				     "connections = ( { name = \"other\"; version = 1; local_addrs = [\"192.0.2.2\"];"
				     " remote_addrs = [\"%any\"]; proposals = [\"aes256-sha256-modp2048\"];"
				     " local = { auth = \"psk\"; id = \"192.0.2.2\"; };"
				     " remote = { auth = \"psk\"; id = \"*.other.example\"; };"
				     " children = ( { name = \"x\"; local_ts = [\"10.7.0.0/16\"]; } ); }, {"));
	CU_ASSERT_FATAL(replace_text(tb, sizeof(tb), "local_ts = [\"10.1.0.0/16\"]; remote_ts = [\"10.2.0.0/16\"]",
				     "local_ts = [\"10.2.0.0/16\"]; remote_ts = [\"10.1.0.0/16\"]"));
	start_node(&A, ta, 0xc0000201, a_limits);
	start_node(&B, tb, 0xc0000202, b_limits);
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	assert_up(1);
	CU_ASSERT_STRING_EQUAL(v1_of(&B)->conn->name, "c");
	stop_node(&A);
	stop_node(&B);
}

/* No pool on B: an empty REPLY; A's Quick Mode then goes with its IKE address. */
static void test_mode_config_no_pool(void)
{
	pair_mode_config(NULL, "");
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	assert_up(1);
	CU_ASSERT(v1_of(&A)->own_vip == 0 && v1_of(&B)->vip == 0);
	assert_child_for(0xc0000201);
	stop_node(&A);
	stop_node(&B);
}

static void test_delete_and_dpd(void)
{
	pair1("dpd_delay = \"5s\";", "", ESP_PFS, "same secret");
	initiate1("c/net");
	assert_up(1);
	clock_ms += 6000; /* A has heard nothing for dpd_delay: R-U-THERE, answered */
	ike_tick(A.d);
	CU_ASSERT_EQUAL(v1_of(&A)->dpd_pending, 1);
	pump();
	ike_tick(A.d);
	CU_ASSERT_EQUAL(v1_of(&A)->dpd_pending, 0);
	CU_ASSERT_EQUAL(run_command(ike_terminate, B.d, "c"), 0);
	pump();
	CU_ASSERT(A.children == 0 && B.children == 0);
	CU_ASSERT_PTR_NULL(v1_of(&A));
	CU_ASSERT_PTR_NULL(v1_of(&B));
	CU_ASSERT(A.d->child_spis.n == 0 && B.d->child_spis.n == 0);
	stop_node(&A);
	stop_node(&B);
}

/* Forged messages with the live cookies: wrong hashes, garbage bodies, unknown message IDs. */
#define NAT_CONN(local, remote, id, remote_id, ts)                                                          \
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"" local "/24\"; } );\n"            \
	"connections = ( { name = \"c\"; version = 1; local_addrs = [\"" local "\"]; remote_addrs = [\"" remote \
	"\"];\n  proposals = [\"aes128-sha256-modp2048\"];\n"                                                  \
	"  local = { auth = \"psk\"; id = \"" id "\"; }; remote = { auth = \"psk\"; id = \"" remote_id "\"; };\n" \
	"  children = ( { name = \"tr\"; mode = \"transport\"; " ts " esp_proposals = [\"aes128gcm16\"]; } ); } );\n" \
	"secrets = ( { type = \"ike\"; secret = \"nat secret\"; } );\n"

/*
 * Transport mode with A behind a NAT (10.9.0.1 seen as 203.0.113.7): UDP encapsulation, both
 * sides' NAT-OA (RFC 3947 5.2) reach the dataplane, and B's SA names A by the address it sees.
 */
static void test_transport_behind_nat(void)
{
	q_head = q_tail = 0;
	start_node(&A,
		   NAT_CONN("10.9.0.1", "192.0.2.2", "a@example.org", "192.0.2.2",
			    "local_ts = [\"10.9.0.1/32\"]; remote_ts = [\"192.0.2.2/32\"];"),
		   0x0a090001, "");
	start_node(&B, NAT_CONN("192.0.2.2", "203.0.113.7", "192.0.2.2", "a@example.org", ""), 0xc0000202, "");
	nat_private = 0x0a090001;
	nat_public = 0xcb007107;
	CU_ASSERT_EQUAL(initiate1("c/tr"), 0);
	nat_private = 0;
	CU_ASSERT_FATAL(A.n_sa == 1 && B.n_sa == 1 && A.sa[0].live && B.sa[0].live);
	CU_ASSERT(A.spi_out == B.spi_in && B.spi_out == A.spi_in);
	const struct installed *a = &A.sa[0], *b = &B.sa[0];
	CU_ASSERT(!a->tunnel && !b->tunnel && a->encap && b->encap);
	CU_ASSERT(b->has_oa && b->oa_remote == 0x0a090001 && b->oa_local == 0xc0000202);
	CU_ASSERT(a->has_oa && a->oa_remote == 0xc0000202 && a->oa_local == 0xcb007107);
	CU_ASSERT(b->remote_ts.addr == 0xcb007107 && b->remote_ts.plen == 32 && b->local_ts.addr == 0xc0000202);
	CU_ASSERT(a->local_ts.addr == 0x0a090001 && a->remote_ts.addr == 0xc0000202);
	stop_node(&A);
	stop_node(&B);
}

/* Tunnel proposed where the child is transport: no SA. */
static void test_mode_mismatch(void)
{
	q_head = q_tail = 0;
	start_node(&A, NAT_CONN("192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.2", ""), 0xc0000201, "");
	static char tb[2048];
	snprintf(tb, sizeof(tb), "%s", NAT_CONN("192.0.2.2", "192.0.2.1", "192.0.2.2", "192.0.2.1", ""));
	char *mode = strstr(tb, "\"transport\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mode);
	memcpy(mode, "\"tunnel\"   ", 11);
	start_node(&B, tb, 0xc0000202, "");
	CU_ASSERT_EQUAL(initiate1("c/tr"), 0);
	CU_ASSERT(A.children == 0 && B.children == 0);
	CU_ASSERT_EQUAL(v1_of(&B)->state, V1_ESTABLISHED); /* phase 1 itself is fine */
	q_head = q_tail = 0;
	clock_ms += 31000; /* A's Quick Mode, refused, times out */
	ike_tick(A.d);
	CU_ASSERT_PTR_NULL(v1_of(&A)->quick);
	CU_ASSERT(A.d->child_spis.n == 0 && B.d->child_spis.n == 0); /* the inbound SPIs it took are given back */
	stop_node(&A);
	stop_node(&B);
}

static void test_forged_input(void)
{
	pair1("", "", ESP_PFS, "same secret");
	initiate1("c/net");
	assert_up(1);
	struct v1_sa *sa = v1_of(&B);
	uint8_t msg[512];
	uint64_t invalid = B.d->v1->stats.rx_invalid;
	srand(11);
	for (int i = 0; i < 3000; i++) {
		size_t len = IKE_HDR_LEN + 16 * (size_t)(rand() % 8);
		for (size_t k = 0; k < len; k++)
			msg[k] = (uint8_t)rand();
		struct isakmp_header h = { .cky_i = sa->cky_i, .cky_r = sa->cky_r, .msg_id = (uint32_t)rand(),
					   .exchange = (uint8_t[]){ XCHG_MAIN, XCHG_QUICK, XCHG_INFO, 77 }[i % 4],
					   .flags = (uint8_t)(i % 3 ? ISAKMP_FLAG_ENCRYPTION : 0) };
		struct ike_builder b;
		isakmp_build_start(&b, &h);
		memcpy(msg, b.buf, IKE_HDR_LEN);
		msg[16] = (uint8_t)(rand() % 14);
		for (int k = 0; k < 4; k++)
			msg[24 + k] = (uint8_t)(len >> (24 - 8 * k));
		/* on UDP 4500 from another address or port, as a NAT rebinding would look */
		struct ike_endpoint natt = { B.ep.addr, IKE_NATT_PORT };
		struct ike_endpoint elsewhere = { A.ep.addr + (uint32_t)(i % 2), (uint16_t)(4500 + i % 7) };
		ike_input(B.d, &natt, &elsewhere, msg, len);
	}
	CU_ASSERT(B.d->v1->stats.rx_invalid > invalid);
	CU_ASSERT_EQUAL(v1_of(&B)->state, V1_ESTABLISHED);
	/* forged messages from elsewhere never move the SA's endpoints */
	CU_ASSERT(v1_of(&B)->remote.addr == A.ep.addr && v1_of(&B)->remote.port == A.ep.port);
	CU_ASSERT(!v1_of(&B)->floated);
	CU_ASSERT_EQUAL(B.children, 1);
	q_head = q_tail; /* whatever B answered */
	stop_node(&A);
	stop_node(&B);
}

/*
 * The load generator's way in (ike_initiate_as) on an IKEv1 connection: the ISAKMP SA goes out
 * from the given port with the given ID, Quick Mode proposes the given inner address, and the
 * serial it returns is the one env.ike_event and the installed child name.
 */
/* A as a load generator's IKEv1 connection; B accepting any ID of load.test, A's 10.1.0.0/16 as remote_ts. */
static void pair_for_initiate_as_with(const char *limits_a, const char *limits_b)
{
	char ta[2048], tb[2048];
	q_head = q_tail = 0;
	snprintf(ta, sizeof(ta), CONN1("192.0.2.1", "192.0.2.2", "", "\"aes128gcm16\"", "load secret"), P1_DEFAULT);
	snprintf(tb, sizeof(tb), CONN1("192.0.2.2", "192.0.2.1", "", "\"aes128gcm16\"", "load secret"), P1_DEFAULT);
	CU_ASSERT_FATAL(replace_text(tb, sizeof(tb), "id = \"192.0.2.1\"", "id = \"*@load.test\""));
	CU_ASSERT_FATAL(replace_text(tb, sizeof(tb), "local_ts = [\"10.1.0.0/16\"]; remote_ts = [\"10.2.0.0/16\"]",
				     "local_ts = [\"10.2.0.0/16\"]; remote_ts = [\"10.1.0.0/16\"]"));
	start_node(&A, ta, 0xc0000201, limits_a);
	start_node(&B, tb, 0xc0000202, limits_b);
}

static void pair_for_initiate_as(void)
{
	pair_for_initiate_as_with("", "");
}

/* ike_delete_established on IKEv1: the ISAKMP SAs (and IPsec SAs) go at once, the responder's on its Delete. */
static void test_delete_established1(void)
{
	pair_for_initiate_as();
	struct ike_endpoint from = { 0xc0000201, 10000 };
	struct traffic_selector inner = { .addr = 0x0a010001, .mask = ~0u, .plen = 32, .port_hi = 65535 };
	char id[32];
	for (int i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "client-%d@load.test", i);
		from.port = (uint16_t)(10000 + i);
		inner.addr = 0x0a010001 + (uint32_t)i;
		CU_ASSERT_FATAL(ike_initiate_as(A.d, "c", &from, id, &inner) != 0);
	}
	pump();
	CU_ASSERT_FATAL(ike_sa_count(A.d) == 3 && ike_sa_count(B.d) == 3 && A.children == 3 && B.children == 3);
	int events = A.events;
	CU_ASSERT_EQUAL(ike_delete_established(A.d, "c", 2), 2);
	CU_ASSERT(ike_sa_count(A.d) == 1 && A.children == 1 && A.events == events + 2 && !A.event_up &&
		  A.event_why == IKE_FAIL_NONE);
	pump();
	CU_ASSERT(ike_sa_count(B.d) == 1 && B.children == 1);
	CU_ASSERT_EQUAL(ike_delete_established(A.d, "c", 2), 1);
	pump();
	CU_ASSERT(ike_sa_count(A.d) == 0 && ike_sa_count(B.d) == 0 && B.children == 0);
	stop_node(&A);
	stop_node(&B);
}

/*
 * Two Main Modes at once from two ports and IDs; after message 4 each side's phase 1 state still
 * holds the KE value it sent. Both ISAKMP SAs then come up with their IPsec SAs.
 */
static struct ke_sharing two_main_modes_share_ke(const char *limits_a, const char *limits_b)
{
	pair_for_initiate_as_with(limits_a, limits_b);
	struct ike_endpoint from = { 0xc0000201, 10001 };
	struct traffic_selector inner = { .addr = 0x0a010001, .mask = ~0u, .plen = 32, .port_hi = 65535 };
	CU_ASSERT_FATAL(ike_initiate_as(A.d, "c", &from, "one@load.test", &inner) != 0);
	from.port = 10002;
	inner.addr = 0x0a010002;
	CU_ASSERT_FATAL(ike_initiate_as(A.d, "c", &from, "two@load.test", &inner) != 0);
	for (int i = 0; i < 6; i++) /* messages 1, 2 and 3 of both, answered */
		pump_one();
	struct v1_sa *a2 = v1_of(&A), *a1 = a2 ? a2->next : NULL, *b2 = v1_of(&B), *b1 = b2 ? b2->next : NULL;
	CU_ASSERT_FATAL(a1 && b1 && a1->p1 && a2->p1 && b1->p1 && b2->p1);
	size_t n = a1->p1->gx_len;
	CU_ASSERT_FATAL(n > 0 && a2->p1->gx_len == n && b1->p1->gx_len == n && b2->p1->gx_len == n);
	struct ke_sharing r = { memcmp(a1->p1->gx_i, a2->p1->gx_i, n) == 0, memcmp(b1->p1->gx_r, b2->p1->gx_r, n) == 0 };
	pump();
	CU_ASSERT(A.children == 2 && B.children == 2);
	stop_node(&A);
	stop_node(&B);
	return r;
}

/* ike.ke_reuse serves IKEv1 phase 1 too, on the side that asks, only there. */
static void test_ke_reuse1(void)
{
	check_ke_reuse(two_main_modes_share_ke);
}

static void test_initiate_as(void)
{
	pair_for_initiate_as();
	struct ike_endpoint from = { 0xc0000201, 10007 };
	struct traffic_selector inner = { .addr = 0x0a010707, .mask = ~0u, .plen = 32, .port_hi = 65535 };
	uint32_t serial = ike_initiate_as(A.d, "c", &from, "client-7@load.test", &inner);
	CU_ASSERT_FATAL(serial != 0);
	pump();
	CU_ASSERT(A.events >= 1 && A.event_serial == serial && A.event_up);
	CU_ASSERT_FATAL(A.children == 1 && B.children == 1);
	CU_ASSERT_EQUAL(A.sa[0].ike_serial, serial);
	CU_ASSERT(B.sa[0].remote_ts.addr == inner.addr && B.sa[0].remote_ts.plen == 32);
	char id[64];
	identity_to_string(&v1_of(&B)->id_remote, id, sizeof(id));
	CU_ASSERT_STRING_EQUAL(id, "client-7@load.test");
	CU_ASSERT_EQUAL(v1_of(&B)->remote.port, 10007);
	stop_node(&A);
	stop_node(&B);
}

/*
 * Two peers behind one address (a NAT), each its own ID: the second one's Quick Mode is a new
 * IPsec SA, not a rekey of the first peer's, which stays up past the rekey overlap.
 */
static void test_peers_behind_one_address(void)
{
	pair_for_initiate_as();
	struct ike_endpoint from = { 0xc0000201, 10001 };
	struct traffic_selector inner = { .addr = 0x0a010001, .mask = ~0u, .plen = 32, .port_hi = 65535 };
	CU_ASSERT_FATAL(ike_initiate_as(A.d, "c", &from, "first@load.test", &inner) != 0);
	pump();
	from.port = 10002;
	inner.addr = 0x0a010002;
	CU_ASSERT_FATAL(ike_initiate_as(A.d, "c", &from, "second@load.test", &inner) != 0);
	pump();
	CU_ASSERT(A.children == 2 && B.children == 2);
	clock_ms += 60000; /* longer than any rekey overlap: a replaced pair would be gone */
	ike_tick(A.d);
	ike_tick(B.d);
	pump();
	CU_ASSERT(A.children == 2 && B.children == 2);
	CU_ASSERT(B.sa[0].live && B.sa[1].live);
	stop_node(&A);
	stop_node(&B);
}

/* Lifetimes crossed in the dataplane: a soft one starts a Quick Mode rekey; a hard one deletes. */
static void test_dataplane_lifetimes1(void)
{
	pair1("", "", ESP_PFS, "same secret");
	initiate1("c/net");
	assert_up(1);
	uint32_t first = A.spi_in;
	ike_child_expired(A.d, A.spi_in, false);
	clock_ms += 100;
	ike_tick(A.d);
	pump();
	CU_ASSERT(A.spi_in != first && A.spi_out == B.spi_in && B.spi_out == A.spi_in);
	/*
	 * The old SA crosses its soft lifetime during the overlap, before outbound traffic moved to
	 * its successor and after: no new rekey either time.
	 */
	uint32_t second = A.spi_in;
	for (int moved = 0; moved < 2; moved++) {
		ike_child_expired(A.d, first, false);
		clock_ms += moved ? 100 : 2000;
		ike_tick(A.d);
		ike_tick(B.d);
		pump();
		CU_ASSERT_EQUAL(A.spi_in, second);
	}
	clock_ms += 60000; /* the old pair retires after the overlap */
	ike_tick(A.d);
	ike_tick(B.d);
	pump();
	CU_ASSERT(A.children == 1 && B.children == 1);
	ike_child_expired(B.d, B.spi_in, true);
	pump();
	CU_ASSERT(A.children == 0 && B.children == 0);
	stop_node(&A);
	stop_node(&B);
}

/*
 * Many half-open ISAKMP SAs on a responder, one per initiator cookie (A's first Main Mode
 * message sent again under other cookies): they count against half_open_per_peer, each is found
 * again by its cookie (the same first message gets the kept answer, not a new SA), and the tick
 * after the half-open timeout takes them all, where one before it finds none due.
 */
static void test_half_open_many(void)
{
	enum { SENT = 1500, CAP = 1000 };
	b_limits = "retransmit_timeout = 1.0; retransmit_tries = 3; half_open_per_peer = 1000;";
	pair1("", "", ESP_PFS, "same secret");
	b_limits = "retransmit_timeout = 1.0; retransmit_tries = 3;";
	CU_ASSERT_EQUAL_FATAL(run_command(ike_initiate, A.d, "c/net"), 0);
	CU_ASSERT_FATAL(q_tail - q_head == 1);
	struct queued first = queue[q_head % 32];
	q_head = q_tail = 0;
	uint64_t started = clock_ms;
	for (uint32_t i = 1; i <= SENT; i++) {
		struct queued q = first;
		memset(q.msg, 0, 4);
		memcpy(q.msg + 4, (uint8_t[]){ (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i }, 4);
		ike_input(B.d, &q.local, &q.remote, q.msg, q.len);
	}
	struct v1_daemon *b = B.d->v1;
	CU_ASSERT(b->half_open == CAP && b->n_sas == CAP && b->stats.half_open_dropped == SENT - CAP);
	uint64_t tx = b->stats.tx;
	struct queued again = first;
	memset(again.msg, 0, 7);
	again.msg[7] = 7;
	ike_input(B.d, &again.local, &again.remote, again.msg, again.len);
	CU_ASSERT(b->n_sas == CAP && b->stats.tx == tx + 1 && b->stats.retransmits_answered == 1);
	CU_ASSERT_EQUAL(ike_timers_late(B.d), 0);
	q_head = q_tail = 0;
	clock_ms = started + 999; /* the first retransmission of message 2 is due at 1 s */
	ike_tick(B.d);
	CU_ASSERT(b->stats.tx == tx + 1 && b->timers.n == CAP && b->timers.v[0]->due == started + 1000);
	clock_ms = started + 30001; /* past HALF_OPEN_TIMEOUT_MS */
	ike_tick(B.d);
	CU_ASSERT(b->half_open == 0 && b->n_sas == 0 && b->sas == NULL && b->timers.n == 0);
	q_head = q_tail = 0;
	stop_node(&A);
	stop_node(&B);
}

/* Replaces the KE value of a queued Main Mode message with 0 (of small order with X25519). */
static bool zero_ke1(struct queued *q)
{
	struct isakmp_message m;
	memset(&m, 0, sizeof(m));
	if (isakmp_parse_header(q->msg, q->len, &m.hdr) != IKE_PARSE_OK ||
	    isakmp_parse_chain(&m, m.hdr.next, q->msg + IKE_HDR_LEN, q->len - IKE_HDR_LEN) != IKE_PARSE_OK)
		return false;
	const struct ike_payload *ke = isakmp_find(&m, ISA_KE);
	if (ke == NULL || ke->len != 32)
		return false;
	memset((uint8_t *)ke->body, 0, ke->len);
	return true;
}

/* Delivers the messages queued from index from up to now, without flushing; returns how many. */
static int deliver_unflushed(int from)
{
	int to = q_tail;
	for (int i = from; i < to; i++)
		ike_input(queue[i % 32].to->d, &queue[i % 32].local, &queue[i % 32].remote, queue[i % 32].msg,
			  queue[i % 32].len);
	q_head = to;
	return to - from;
}

/*
 * Main Mode key exchanges in batches (env.batch_key_exchanges, as dpike runs): five responders'
 * messages 4 wait for the flush, their X25519 derivations in one batch; one initiator sent a
 * small-order value and is refused there alone; the other four come up, Quick Mode and all.
 */
static void test_batched_key_exchanges1(void)
{
	if (!x25519_batch_available())
		return;
	enum { N = 5 };
	batch_key_exchanges = true;
	p1_props = "\"aes128-sha256-x25519\"";
	b_limits = "retransmit_timeout = 1.0; retransmit_tries = 3; half_open_per_peer = 100;";
	pair1("", "", "\"aes128-sha256\"", "same secret");
	p1_props = P1_DEFAULT;
	b_limits = "retransmit_timeout = 1.0; retransmit_tries = 3;";
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(run_command(ike_initiate, A.d, "c/net"), 0);
	CU_ASSERT_EQUAL(deliver_unflushed(0), N);  /* messages 1 to B */
	CU_ASSERT_EQUAL(deliver_unflushed(N), N);  /* messages 2 to A */
	CU_ASSERT_FATAL(q_tail == 3 * N && zero_ke1(&queue[(3 * N - 1) % 32]));
	CU_ASSERT_EQUAL(deliver_unflushed(2 * N), N); /* messages 3 to B: held */
	CU_ASSERT(q_tail == 3 * N && B.d->v1->n_pending_ke == N);
	ike_flush(B.d);
	CU_ASSERT(B.d->v1->stats.ke_batches == 1 && B.d->v1->stats.ke_batched == N);
	CU_ASSERT_EQUAL(q_tail, 4 * N - 1); /* four messages 4; the refused one gets none */
	pump();
	CU_ASSERT(A.children == N - 1 && B.children == N - 1);
	CU_ASSERT_EQUAL(B.d->v1->stats.established, N - 1);
	stop_node(&A);
	stop_node(&B);
	batch_key_exchanges = false;
}

/* ---- IKEv1 fragmentation ---- */

static struct {
	uint8_t frag[V1_MAX_FRAGMENTS + 1][IKE_MAX_MSG];
	size_t len[V1_MAX_FRAGMENTS + 1];
	int n;
} cut1;

static void keep_fragment(void *ctx, const uint8_t *frag, size_t len)
{
	(void)ctx;
	CU_ASSERT_FATAL(cut1.n <= V1_MAX_FRAGMENTS);
	memcpy(cut1.frag[cut1.n], frag, len);
	cut1.len[cut1.n++] = len;
}

/* An encrypted Main Mode message of len bytes: cookies, ID payload first, msg ID 0. */
static void fake_message(uint8_t *msg, size_t len)
{
	for (size_t i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 13 + 5);
	msg[16] = ISA_ID, msg[17] = ISAKMP_VERSION, msg[18] = XCHG_MAIN, msg[19] = ISAKMP_FLAG_ENCRYPTION;
	memset(msg + 20, 0, 4);
	msg[24] = 0, msg[25] = 0, msg[26] = (uint8_t)(len >> 8), msg[27] = (uint8_t)len;
}

/*
 * A 2,236-byte message for 1,252-byte datagrams: two fragments, each the message's header (next
 * payload Fragment, not encrypted, its own length) and a Fragment payload; put back together in
 * either order, the message again.
 */
static void test_v1_fragments_round_trip(void)
{
	static uint8_t msg[2236], *whole;
	size_t whole_len;
	fake_message(msg, sizeof(msg));
	cut1.n = 0;
	CU_ASSERT_FATAL(v1_fragment_send(msg, sizeof(msg), 1252, 7, keep_fragment, NULL));
	CU_ASSERT_FATAL(cut1.n == 2);
	for (int i = 0; i < cut1.n; i++) {
		const uint8_t *f = cut1.frag[i];
		CU_ASSERT(cut1.len[i] <= 1252 && memcmp(f, msg, 16) == 0 && f[16] == ISA_FRAGMENT && f[19] == 0);
		CU_ASSERT(f[18] == XCHG_MAIN && (size_t)(f[26] << 8 | f[27]) == cut1.len[i]);
		CU_ASSERT(f[28] == 0 && (size_t)(f[30] << 8 | f[31]) == cut1.len[i] - 28);
		CU_ASSERT(f[32] == 0 && f[33] == 7 && f[34] == i + 1 && f[35] == (i + 1 == cut1.n));
	}
	struct v1_defrag *slot = NULL;
	for (int order = 0; order < 2; order++) {
		int first = order ? 1 : 0, second = 1 - first;
		CU_ASSERT(v1_defrag_add(&slot, cut1.frag[first], cut1.len[first], IKE_MAX_MSG, &whole, &whole_len) == 0);
		CU_ASSERT(v1_defrag_add(&slot, cut1.frag[first], cut1.len[first], IKE_MAX_MSG, &whole, &whole_len) == 0);
		CU_ASSERT_FATAL(v1_defrag_add(&slot, cut1.frag[second], cut1.len[second], IKE_MAX_MSG, &whole, &whole_len) == 1);
		CU_ASSERT(slot == NULL && whole_len == sizeof(msg) && memcmp(whole, msg, sizeof(msg)) == 0);
		free(whole);
	}
	CU_ASSERT(!v1_fragment_send(msg, 1000, 1252, 8, keep_fragment, NULL)); /* fits */
	CU_ASSERT(!v1_fragment_send(msg, sizeof(msg), 150, 8, keep_fragment, NULL)); /* 20 pieces: too many */
}

/* Pieces that make no message: refused, the pieces kept so far left alone; newer IDs replace older. */
static void test_v1_fragments_refused(void)
{
	static uint8_t msg[600], *whole;
	size_t whole_len;
	struct v1_defrag *slot = NULL;
	fake_message(msg, sizeof(msg));
	cut1.n = 0;
	CU_ASSERT_FATAL(v1_fragment_send(msg, sizeof(msg), 300, 3, keep_fragment, NULL) && cut1.n == 3);
	uint8_t bad[IKE_MAX_MSG];
	CU_ASSERT(v1_defrag_add(&slot, cut1.frag[0], cut1.len[0], IKE_MAX_MSG, &whole, &whole_len) == 0);
	memcpy(bad, cut1.frag[1], cut1.len[1]);
	bad[34] = 0; /* number 0 */
	CU_ASSERT(v1_defrag_add(&slot, bad, cut1.len[1], IKE_MAX_MSG, &whole, &whole_len) == -1);
	bad[34] = V1_MAX_FRAGMENTS + 1;
	CU_ASSERT(v1_defrag_add(&slot, bad, cut1.len[1], IKE_MAX_MSG, &whole, &whole_len) == -1);
	bad[34] = 2, bad[30] = 0, bad[31] = 4; /* shorter than its own header */
	CU_ASSERT(v1_defrag_add(&slot, bad, cut1.len[1], IKE_MAX_MSG, &whole, &whole_len) == -1);
	CU_ASSERT(v1_defrag_add(&slot, cut1.frag[1], 40, IKE_MAX_MSG, &whole, &whole_len) == -1); /* truncated */
	memcpy(bad, cut1.frag[0], cut1.len[0]);
	bad[35] = 1; /* piece 1 says it is the last, where piece 3 will */
	CU_ASSERT(v1_defrag_add(&slot, cut1.frag[2], cut1.len[2], IKE_MAX_MSG, &whole, &whole_len) == 0);
	CU_ASSERT(v1_defrag_add(&slot, bad, cut1.len[0], IKE_MAX_MSG, &whole, &whole_len) == 0); /* a repeat of 1 */
	CU_ASSERT(slot != NULL && slot->have == ((1u << 1) | (1u << 3)));
	CU_ASSERT(v1_defrag_add(&slot, cut1.frag[1], cut1.len[1], 500, &whole, &whole_len) == -1); /* over max */
	uint8_t older[IKE_MAX_MSG];
	memcpy(older, cut1.frag[1], cut1.len[1]);
	older[33] = 2; /* ID 2: an older message's */
	CU_ASSERT(v1_defrag_add(&slot, older, cut1.len[1], IKE_MAX_MSG, &whole, &whole_len) == 0 && slot->id == 3);
	CU_ASSERT_FATAL(v1_defrag_add(&slot, cut1.frag[1], cut1.len[1], IKE_MAX_MSG, &whole, &whole_len) == 1);
	CU_ASSERT(whole_len == sizeof(msg) && memcmp(whole, msg, sizeof(msg)) == 0);
	free(whole);
	/* A newer ID starts over. */
	CU_ASSERT(v1_defrag_add(&slot, cut1.frag[0], cut1.len[0], IKE_MAX_MSG, &whole, &whole_len) == 0);
	memcpy(bad, cut1.frag[2], cut1.len[2]);
	bad[33] = 4;
	CU_ASSERT(v1_defrag_add(&slot, bad, cut1.len[2], IKE_MAX_MSG, &whole, &whole_len) == 0);
	CU_ASSERT(slot != NULL && slot->id == 4 && slot->have == (1u << 3));
	v1_defrag_free(&slot);
	CU_ASSERT(slot == NULL);
}

/* Both ends at ike.fragment_size 200, each connection with the given fragmentation setting:
 * Main Mode's key exchange and Quick Mode go in fragments from the sides that should send them. */
static void main_mode_in_fragments(const char *frag_a, const char *frag_b, bool a_sends, bool b_sends)
{
	static const char limits[] = "fragment_size = 200; retransmit_timeout = 1.0; retransmit_tries = 3;";
	const char *saved_a = a_limits, *saved_b = b_limits;
	char conn_a[64], conn_b[64];
	snprintf(conn_a, sizeof(conn_a), "fragmentation = \"%s\";", frag_a);
	snprintf(conn_b, sizeof(conn_b), "fragmentation = \"%s\";", frag_b);
	a_limits = b_limits = limits;
	pair1(conn_a, conn_b, "\"aes128-sha256\"", "same secret");
	CU_ASSERT_EQUAL(initiate1("c/net"), 0);
	assert_up(1);
	CU_ASSERT(v1_of(&A)->frag == (strcmp(frag_b, "no") != 0) && v1_of(&B)->frag == (strcmp(frag_a, "no") != 0));
	const struct v1_stats *a = &A.d->v1->stats, *b = &B.d->v1->stats;
	CU_ASSERT(a_sends ? a->sent_in_fragments >= 2 : a->sent_in_fragments == 0);
	CU_ASSERT(b_sends ? b->sent_in_fragments >= 2 : b->sent_in_fragments == 0);
	CU_ASSERT(a->reassembled == b->sent_in_fragments && b->reassembled == a->sent_in_fragments);
	CU_ASSERT(a->rx_invalid == 0 && b->rx_invalid == 0);
	stop_node(&A);
	stop_node(&B);
	a_limits = saved_a, b_limits = saved_b;
}

static void keep_first_piece(void *ctx, const uint8_t *frag, size_t len)
{
	struct { uint8_t buf[2][IKE_MAX_MSG]; size_t len[2]; int n; } *k = ctx;
	if (k->n < 2) {
		memcpy(k->buf[k->n], frag, len);
		k->len[k->n++] = len;
	}
}

/*
 * First messages in fragments (no ISAKMP SA yet) wait in a few slots: nine peers' first pieces
 * push the oldest out, whose second piece then completes nothing; the others still complete.
 */
static void test_first_message_slots(void)
{
	pair1("", "", "\"aes128-sha256\"", "same secret");
	struct v1_daemon *d = B.d->v1;
	struct ike_endpoint local = { 0xc0000202, 500 };
	struct { uint8_t buf[2][IKE_MAX_MSG]; size_t len[2]; int n; } k[V1_FIRST_DEFRAG_SLOTS + 1];
	static uint8_t msg[400];
	for (int i = 0; i <= V1_FIRST_DEFRAG_SLOTS; i++) {
		fake_message(msg, sizeof(msg));
		msg[0] = (uint8_t)(0x10 + i); /* the initiator's cookie */
		memset(msg + 8, 0, 8);        /* no responder cookie yet */
		msg[19] = 0;
		k[i].n = 0;
		CU_ASSERT_FATAL(v1_fragment_send(msg, sizeof(msg), 250, 1, keep_first_piece, &k[i]) && k[i].n == 2);
		struct ike_endpoint remote = { 0xc0000201, (uint16_t)(500 + i) };
		v1_input(d, &local, &remote, k[i].buf[0], k[i].len[0]);
	}
	uint64_t before = d->stats.reassembled;
	struct ike_endpoint first = { 0xc0000201, 500 }, last = { 0xc0000201, 500 + V1_FIRST_DEFRAG_SLOTS };
	v1_input(d, &local, &first, k[0].buf[1], k[0].len[1]);
	CU_ASSERT(d->stats.reassembled == before); /* given up for the ninth */
	v1_input(d, &local, &last, k[V1_FIRST_DEFRAG_SLOTS].buf[1], k[V1_FIRST_DEFRAG_SLOTS].len[1]);
	CU_ASSERT(d->stats.reassembled == before + 1);
	stop_node(&A);
	stop_node(&B);
}

/* swanctl's fragmentation: yes sends to a peer that announced it; accept announces but sends
 * whole; no announces nothing and sends whole; force sends pieces to any peer. */
static void test_main_mode_in_fragments(void)
{
	main_mode_in_fragments("yes", "yes", true, true);
	main_mode_in_fragments("accept", "yes", false, true);
	main_mode_in_fragments("yes", "no", false, false);
	main_mode_in_fragments("force", "no", true, false);
}

void ikev1_suite_add(CU_pSuite s)
{
	CU_add_test(s, "load generator teardown: ISAKMP SAs deleted at once, the responder's on its Delete", test_delete_established1);
	CU_add_test(s, "ISAKMP header, chain and SA payload round trip", test_isakmp_round_trip);
	CU_add_test(s, "ISAKMP parser refuses truncations and lying lengths", test_isakmp_rejects);
	CU_add_test(s, "SKEYID, SKEYID_d/_a/_e, cipher key (App. B), IV vs RFC 2409 vectors", test_phase1_keys);
	CU_add_test(s, "HASH_I and HASH_R vs vectors", test_phase1_hashes);
	CU_add_test(s, "phase 2 IV, KEYMAT (with and without PFS), HASH(1), HASH(3) vs vectors",
		    test_phase2_keys_and_hashes);
	CU_add_test(s, "CBC protection round trip and IV chaining", test_cbc_round_trip);
	CU_add_test(s, "fragments (FRAGMENTATION vendor ID): cut and joined in either order", test_v1_fragments_round_trip);
	CU_add_test(s, "fragments that make no message refused; newer IDs replace older", test_v1_fragments_refused);
	CU_add_test(s, "first messages in fragments: a few slots, the oldest given up", test_first_message_slots);
	CU_add_test(s, "Main Mode and Quick Mode in fragments (fragment_size 200), as fragmentation = yes/accept/no/force say", test_main_mode_in_fragments);
	CU_add_test(s, "Main Mode + Quick Mode: both established, keys match", test_main_mode);
	CU_add_test(s, "Aggressive Mode + Quick Mode with PFS", test_aggressive_mode);
	CU_add_test(s, "peer moved by a NAT (ESP from a new endpoint): ISAKMP SA and IPsec SAs follow", test_peer_moved1);
	CU_add_test(s, "3DES and groups 2 and 5 where listed", test_weak_listed);
	CU_add_test(s, "Aggressive Mode refused for a Main-Mode-only connection", test_aggressive_refused);
	CU_add_test(s, "wrong PSK: nothing installed", test_wrong_psk1);
	CU_add_test(s, "lost Main Mode message 6: retransmission answered from cache", test_lost_main_mode_6);
	CU_add_test(s, "lost Quick Mode HASH(3): repeated message 2 answered", test_lost_quick_mode_3);
	CU_add_test(s, "Quick Mode rekey from either side, old pair retired", test_quick_mode_rekey);
	CU_add_test(s, "reauthentication adopts the IPsec SA", test_reauthentication);
	CU_add_test(s, "unique: no, keep, replace against an ISAKMP SA from another address", test_unique1);
	CU_add_test(s, "inactivity: a quiet IPsec SA closed, by the initiator with its ISAKMP SA", test_inactivity1);
	CU_add_test(s, "Mode Config pull and push: the address before Quick Mode, kept over reauthentication",
		    test_mode_config);
	CU_add_test(s, "Mode Config REPLY lost: the repeated REQUEST answered from cache", test_mode_config_lost_reply);
	CU_add_test(s, "Main Mode with a PSK: the connection chosen again by the peer's identity", test_connection_by_identity);
	CU_add_test(s, "XAuth (generic, after Main or Aggressive Mode with a PSK), then Mode Config and Quick Mode", test_xauth);
	CU_add_test(s, "XAuth with a wrong password: refused, both ISAKMP SAs gone, nothing leased", test_xauth_wrong_password);
	CU_add_test(s, "Mode Config without a pool: empty REPLY, Quick Mode from the IKE address", test_mode_config_no_pool);
	CU_add_test(s, "DPD answered; delete tears down both sides", test_delete_and_dpd);
	CU_add_test(s, "forged messages with live cookies: counted, SA kept", test_forged_input);
	CU_add_test(s, "transport mode behind a NAT: NAT-OA both ways, selectors translated", test_transport_behind_nat);
	CU_add_test(s, "Quick Mode refuses a tunnel/transport mismatch", test_mode_mismatch);
	CU_add_test(s, "many half-open ISAKMP SAs: capped per peer, found by cookie, timed out", test_half_open_many);
	CU_add_test(s, "dataplane lifetimes: soft starts a Quick Mode rekey, hard deletes", test_dataplane_lifetimes1);
	CU_add_test(s, "ke_reuse: one key pair for several Main Modes, on the side that asks", test_ke_reuse1);
	CU_add_test(s, "ike_initiate_as on IKEv1: own port, ID and inner address; serial in event and child",
		    test_initiate_as);
	CU_add_test(s, "two peers behind one address: neither's Quick Mode replaces the other's SA",
		    test_peers_behind_one_address);
	CU_add_test(s, "Main Mode key exchanges in batches: messages 4 at the flush, a bad one refused alone",
		    test_batched_key_exchanges1);
}
