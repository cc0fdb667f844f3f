/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP encap/decap through the real burst functions, checked against the OpenSSL
 * reference (esp_ref.c) in both directions, for every transform, mode, UDP
 * encapsulation and ESN setting; then every way a packet can be bad.
 */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>
#include <openssl/evp.h>

#include "dataplane/esp.h"
#include "dataplane/gcm_vaes.h"
#include "dataplane/pkt.h"
#include "dataplane/natt_csum.h"
#include "dataplane/replay.h"
#include "dataplane/sad.h"
#include "dataplane/spi_awaited.h"
#include "lib/tunnel_copy.h"
#include "esp_ref.h"
#include "esp_vectors.h"
#include "unit.h"

#define WAN_LOCAL 0xc0000202u  /* 192.0.2.2 */
#define WAN_REMOTE 0xc0000201u /* 192.0.2.1 */
#define HOST_LAN 0x0a020001u   /* 10.2.0.1 */
#define HOST_FAR 0x0a010005u   /* 10.1.0.5 */

static struct rte_mempool *pool;
static struct esp_ctx *ctx;
static struct dp_worker_stats stats;
static struct dp_sad *sad;
static const uint8_t key[ESP_MAX_KEY_LEN] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc,
				 0xfe, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
				 0xff, 0x00, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3,
				 0xd2, 0xe1, 0xf0, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65,
				 0x66, 0x67, 0x68, 0x69 };
static const struct traffic_selector lan_ts = { .addr = 0x0a020000, .mask = 0xffffff00, .plen = 24, .port_hi = 65535 };
static const struct traffic_selector far_ts = { .addr = 0x0a010000, .mask = 0xffff0000, .plen = 16, .port_hi = 65535 };

int esp_suite_init(void)
{
	pool = rte_pktmbuf_pool_create("unit_esp", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	ctx = rte_zmalloc("esp_ctx", sizeof(*ctx), 64);
	sad = dp_sad_create(256, 0);
	return pool && ctx && sad && esp_ctx_init(ctx, &stats, NULL) == 0 ? 0 : -1;
}

int esp_suite_clean(void)
{
	esp_ctx_free(ctx);
	rte_free(ctx);
	dp_sad_free(sad);
	rte_mempool_free(pool);
	return 0;
}

struct combo {
	int alg;
	bool tunnel, udp, esn;
};

static struct esp_sa *make_sa_copying(const struct combo *c, bool inbound, uint32_t spi, unsigned copy)
{
	struct esp_sa_params p = {
		.spi = spi, .inbound = inbound, .tunnel = c->tunnel, .udp_encap = c->udp, .esn = c->esn,
		.alg = &esp_algos[c->alg], .key = key, .local = WAN_LOCAL,
		.remote = WAN_REMOTE, .local_port = 4500, .remote_port = 4500, .replay_window = 64,
		.local_ts = &lan_ts, .n_local_ts = 1, .remote_ts = &far_ts, .n_remote_ts = 1, .copy = copy,
	};
	char err[128];
	struct esp_sa *sa = esp_sa_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	/* esp_sa_prefetch_rest() finds the replay window by the layout, without reading the pointer. */
	if (inbound)
		CU_ASSERT((uint8_t *)sa->replay == sa->keys + RTE_ALIGN_CEIL(sa->key_bytes, RTE_CACHE_LINE_SIZE));
	if (inbound)
		CU_ASSERT_FATAL(dp_sad_add(sad, spi, sa) == 0);
	return sa;
}

static struct esp_sa *make_sa(const struct combo *c, bool inbound, uint32_t spi)
{
	return make_sa_copying(c, inbound, spi, TUNNEL_COPY_DEFAULT);
}

static void drop_sa(struct esp_sa *sa)
{
	if (esp_sa_has(sa, ESP_SA_F_INBOUND))
		dp_sad_del(sad, sa->spi);
	esp_sa_free(sa);
}

/* An IPv4/UDP packet of the given payload size, data at the IP header. */
static struct rte_mbuf *make_plain(uint32_t src, uint32_t dst, uint16_t payload, uint8_t fill)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	uint16_t total = (uint16_t)(20 + 8 + payload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rte_pktmbuf_append(m, total));
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	memset(p, 0, 28);
	ip->version_ihl = 0x45;
	ip->type_of_service = (uint8_t)(fill * 29); /* DSCP and ECN the tunnel header must copy */
	ip->fragment_offset = (fill & 1) ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->total_length = rte_cpu_to_be_16(total);
	ip->time_to_live = 63;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	p[20] = 0x30, p[21] = 0x39, p[22] = 0x00, p[23] = 0x35; /* 12345 -> 53 */
	p[24] = (uint8_t)((8 + payload) >> 8), p[25] = (uint8_t)(8 + payload);
	for (uint16_t i = 0; i < payload; i++)
		p[28 + i] = (uint8_t)(fill + i);
	return m;
}

static struct rte_mbuf *from_bytes(const uint8_t *b, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), b, len);
	return m;
}

static struct esp_ref ref_for(const struct combo *c, uint32_t spi, bool to_dpike)
{
	struct esp_ref r = { .alg = &esp_algos[c->alg], .key = key, .spi = spi, .tunnel = c->tunnel, .udp = c->udp,
			     .esn = c->esn };
	if (c->tunnel) {
		r.src = to_dpike ? WAN_REMOTE : WAN_LOCAL;
		r.dst = to_dpike ? WAN_LOCAL : WAN_REMOTE;
	} else {
		r.src = to_dpike ? HOST_FAR : HOST_LAN;
		r.dst = to_dpike ? HOST_LAN : HOST_FAR;
	}
	return r;
}

static const uint16_t sizes[] = { 0, 1, 13, 64, 333, 1000, 1400 };
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* The tunnel header dpike built: its fields, the inner packet's TOS and DF, a valid checksum. */
static void check_outer_header(const struct combo *c, const struct rte_mbuf *m, const struct rte_mbuf *inner)
{
	const struct rte_ipv4_hdr *o = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	const struct rte_ipv4_hdr *i = rte_pktmbuf_mtod(inner, const struct rte_ipv4_hdr *);
	CU_ASSERT(o->version_ihl == 0x45 && o->time_to_live == 64);
	CU_ASSERT(o->next_proto_id == (c->udp ? IPPROTO_UDP : IPPROTO_ESP));
	CU_ASSERT(rte_be_to_cpu_16(o->total_length) == rte_pktmbuf_pkt_len(m));
	CU_ASSERT(o->type_of_service == i->type_of_service);
	CU_ASSERT(o->fragment_offset == (i->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)));
	CU_ASSERT(o->src_addr == rte_cpu_to_be_32(WAN_LOCAL) && o->dst_addr == rte_cpu_to_be_32(WAN_REMOTE));
	CU_ASSERT(rte_ipv4_cksum(o) == 0);
}

/* dpike encrypts a burst; the reference decrypts each packet and finds the original. */
static void check_outbound(const struct combo *c, uint64_t first_seq)
{
	struct esp_sa *sa = make_sa(c, false, 0x1001);
	struct rte_mbuf *pkts[N_SIZES], *orig[N_SIZES];
	struct esp_sa *sas[N_SIZES];
	sa->seq_out = first_seq - 1;
	for (size_t i = 0; i < N_SIZES; i++) {
		pkts[i] = make_plain(HOST_LAN, HOST_FAR, sizes[i], (uint8_t)i);
		orig[i] = make_plain(HOST_LAN, HOST_FAR, sizes[i], (uint8_t)i);
		sas[i] = sa;
	}
	CU_ASSERT_EQUAL(esp_encrypt_burst(ctx, pkts, sas, N_SIZES), N_SIZES);
	struct esp_ref r = ref_for(c, 0x1001, false);
	for (size_t i = 0; i < N_SIZES; i++) {
		uint8_t plain[2048], nh = 0;
		int n = esp_ref_decrypt(&r, first_seq + i, rte_pktmbuf_mtod(pkts[i], uint8_t *), rte_pktmbuf_pkt_len(pkts[i]),
					plain, &nh);
		const uint8_t *want = rte_pktmbuf_mtod(orig[i], uint8_t *);
		uint32_t want_len = rte_pktmbuf_pkt_len(orig[i]);
		CU_ASSERT_EQUAL(nh, c->tunnel ? 4 : 17);
		if (c->tunnel) {
			check_outer_header(c, pkts[i], orig[i]);
			CU_ASSERT(n == (int)want_len && memcmp(plain, want, want_len) == 0);
		} else {
			CU_ASSERT(n == (int)want_len - 20 && memcmp(plain, want + 20, want_len - 20) == 0);
		}
	}
	rte_pktmbuf_free_bulk(pkts, N_SIZES);
	rte_pktmbuf_free_bulk(orig, N_SIZES);
	drop_sa(sa);
}

/* The reference encrypts; dpike decrypts the burst and restores the original packets. */
static void check_inbound(const struct combo *c, uint64_t first_seq)
{
	struct esp_sa *sa = make_sa(c, true, 0x2001);
	if (first_seq > 1)
		replay_commit(sa->replay, first_seq - 1); /* as if the peer had already sent this many */
	struct rte_mbuf *pkts[N_SIZES], *orig[N_SIZES];
	struct esp_sa *sas[N_SIZES];
	struct esp_ref r = ref_for(c, 0x2001, true);
	for (size_t i = 0; i < N_SIZES; i++) {
		uint8_t wire[2048];
		orig[i] = make_plain(HOST_FAR, HOST_LAN, sizes[i], (uint8_t)(i * 7));
		const uint8_t *o = rte_pktmbuf_mtod(orig[i], uint8_t *);
		uint32_t olen = rte_pktmbuf_pkt_len(orig[i]);
		size_t n = c->tunnel ? esp_ref_encrypt(&r, first_seq + i, o, olen, 4, false, wire, sizeof(wire))
				     : esp_ref_encrypt(&r, first_seq + i, o + 20, olen - 20, 17, false, wire, sizeof(wire));
		CU_ASSERT_FATAL(n > 0);
		pkts[i] = from_bytes(wire, n);
	}
	CU_ASSERT_EQUAL(esp_decrypt_burst(ctx, sad, pkts, sas, N_SIZES), N_SIZES);
	for (size_t i = 0; i < N_SIZES; i++) {
		const uint8_t *got = rte_pktmbuf_mtod(pkts[i], uint8_t *), *want = rte_pktmbuf_mtod(orig[i], uint8_t *);
		uint32_t len = rte_pktmbuf_pkt_len(orig[i]);
		CU_ASSERT_PTR_EQUAL(sas[i], sa);
		CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(pkts[i]), len);
		if (c->tunnel) {
			CU_ASSERT(memcmp(got, want, len) == 0);
		} else {
			/* transport: header rebuilt with protocol, length and checksum; payload intact */
			CU_ASSERT(got[9] == 17 && rte_ipv4_cksum((const struct rte_ipv4_hdr *)got) == 0);
			CU_ASSERT(memcmp(got + 20, want + 20, len - 20) == 0);
		}
	}
	rte_pktmbuf_free_bulk(pkts, N_SIZES);
	rte_pktmbuf_free_bulk(orig, N_SIZES);
	drop_sa(sa);
}

static void for_each_combo(void (*fn)(const struct combo *, uint64_t), uint64_t first_seq, bool esn_only)
{
	for (int a = 0; a < esp_algo_count; a++)
		for (int mode = 0; mode < 2; mode++)
			for (int udp = 0; udp < 2; udp++)
				for (int esn = esn_only; esn < 2; esn++) {
					struct combo c = { a, mode == 0, udp == 1, esn == 1 };
					fn(&c, first_seq);
				}
}

/* The framing code pads with a mask: every transform's block size must be a power of two. */
static void test_pad_align_powers_of_two(void)
{
	for (int a = 0; a < esp_algo_count; a++) {
		uint8_t align = esp_algos[a].pad_align;
		CU_ASSERT(align >= 4 && (align & (align - 1)) == 0);
	}
}

/* Each transform is found by its name, its swanctl spellings and its IKE IDs; its keys and ICV fit the buffers. */
static void test_transform_names(void)
{
	static const struct {
		const char *spelling, *name;
	} spellings[] = {
		{ "aes256-sha2_512", "aes256-sha512" }, { "aes-sha", "aes128-sha1" },
		{ "aes192-sha2_384", "aes192-sha384" }, { "aes192gcm128", "aes192gcm16" },
		{ "aesgcm16", "aes128gcm16" },          { "aes-sha2_256", "aes128-sha256" },
		{ "aes128gcm64", "aes128gcm8" },        { "aes256gcm96", "aes256gcm12" },
		{ "aes192ccm16", NULL },                { "aes128gcm16-sha256", NULL },
		{ "aes256ccm128", "aes256ccm16" },      { "3des-sha", "3des-sha1" },
		{ "aes128ctr-md5", "aes128ctr-md5" },   { "aesxcbc", NULL },
		{ "aes512-sha256", NULL },              { "", NULL },
		{ "-", NULL },                          { "aes128-", NULL },
	};
	for (int a = 0; a < esp_algo_count; a++) {
		const struct esp_algo *x = &esp_algos[a];
		CU_ASSERT_EQUAL(esp_algo_parse(x->name), a);
		CU_ASSERT_EQUAL(esp_algo_from_ike(x->ike_encr, x->key_bits, x->ike_integ), a);
		CU_ASSERT(esp_algo_key_len(x) <= ESP_MAX_KEY_LEN && x->icv_len <= sizeof(((struct esp_pkt *)NULL)->tag));
		CU_ASSERT(x->enc_key_len * 8 == x->key_bits || x->cipher == ESP_CIPHER_3DES); /* 3DES has no key length */
	}
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		int want = spellings[i].name ? esp_algo_parse(spellings[i].name) : -1;
		CU_ASSERT(spellings[i].name == NULL || want >= 0);
		CU_ASSERT_EQUAL(esp_algo_parse(spellings[i].spelling), want);
	}
}

/* The unrolled header checksum against DPDK's loop, for random headers with and without options. */
static void test_ipv4_checksum(void)
{
	uint8_t buf[60];
	for (int round = 0; round < 20000; round++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)rand();
		buf[0] = (uint8_t)(0x40 | (round % 3 ? 5 : 5 + round % 11));
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)buf;
		CU_ASSERT_EQUAL_FATAL(dp_ipv4_cksum(ip), rte_ipv4_cksum(ip));
	}
}

static void test_outbound_matches_reference(void)
{
	for_each_combo(check_outbound, 1, false);
}

static void test_inbound_from_reference(void)
{
	for_each_combo(check_inbound, 1, false);
}

#define MIXED_BURST ESP_MAX_BURST
#define MIXED_ALGOS 96
#define MIXED_ROUNDS ((2 * MIXED_ALGOS + MIXED_BURST - 1) / MIXED_BURST)

/* Burst `round`'s packet i goes through the SA of this transform: every one at least twice in all. */
static int mixed_algo(int round, int i)
{
	return (round * MIXED_BURST + i) % esp_algo_count;
}

static void check_mixed_out(struct esp_sa *out[], struct esp_ref ref[], uint64_t seq[], int round)
{
	struct esp_sa *sas[MIXED_BURST];
	struct rte_mbuf *pkts[MIXED_BURST], *orig[MIXED_BURST];
	for (int i = 0; i < MIXED_BURST; i++) {
		pkts[i] = make_plain(HOST_LAN, HOST_FAR, (uint16_t)(i * 37 % 1500), (uint8_t)i);
		orig[i] = make_plain(HOST_LAN, HOST_FAR, (uint16_t)(i * 37 % 1500), (uint8_t)i);
		sas[i] = out[mixed_algo(round, i)];
	}
	CU_ASSERT_EQUAL(esp_encrypt_burst(ctx, pkts, sas, MIXED_BURST), MIXED_BURST);
	for (int i = 0; i < MIXED_BURST; i++) {
		uint8_t plain[2048], nh = 0;
		uint32_t len = rte_pktmbuf_pkt_len(orig[i]);
		int a = mixed_algo(round, i);
		int n = esp_ref_decrypt(&ref[a], ++seq[a], rte_pktmbuf_mtod(pkts[i], uint8_t *),
					rte_pktmbuf_pkt_len(pkts[i]), plain, &nh);
		CU_ASSERT(n == (int)len && memcmp(plain, rte_pktmbuf_mtod(orig[i], uint8_t *), len) == 0);
	}
	rte_pktmbuf_free_bulk(pkts, MIXED_BURST);
	rte_pktmbuf_free_bulk(orig, MIXED_BURST);
}

static void check_mixed_in(struct esp_sa *in[], struct esp_ref ref[], uint64_t seq[], int round)
{
	struct esp_sa *sas[MIXED_BURST];
	struct rte_mbuf *pkts[MIXED_BURST], *orig[MIXED_BURST];
	for (int i = 0; i < MIXED_BURST; i++) {
		uint8_t wire[2048];
		int a = mixed_algo(round, i);
		orig[i] = make_plain(HOST_FAR, HOST_LAN, (uint16_t)(i * 37 % 1500), (uint8_t)i);
		size_t n = esp_ref_encrypt(&ref[a], ++seq[a], rte_pktmbuf_mtod(orig[i], uint8_t *),
					   rte_pktmbuf_pkt_len(orig[i]), 4, false, wire, sizeof(wire));
		CU_ASSERT_FATAL(n > 0);
		pkts[i] = from_bytes(wire, n);
	}
	CU_ASSERT_EQUAL(esp_decrypt_burst(ctx, sad, pkts, sas, MIXED_BURST), MIXED_BURST);
	for (int i = 0; i < MIXED_BURST; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(orig[i]);
		CU_ASSERT_PTR_EQUAL(sas[i], in[mixed_algo(round, i)]);
		CU_ASSERT(rte_pktmbuf_pkt_len(pkts[i]) == len &&
			  memcmp(rte_pktmbuf_mtod(pkts[i], uint8_t *), rte_pktmbuf_mtod(orig[i], uint8_t *), len) == 0);
	}
	rte_pktmbuf_free_bulk(pkts, MIXED_BURST);
	rte_pktmbuf_free_bulk(orig, MIXED_BURST);
}

/*
 * Bursts through SAs of every transform in turn, both ways: a burst's packets go to IPsec-MB by
 * different calls (GCM directly, CBC with HMAC-SHA in bursts of one key size and HMAC, the others
 * as jobs), each must come back to its own packet.
 */
static void check_mixed_burst(void)
{
	struct esp_sa *out[MIXED_ALGOS], *in[MIXED_ALGOS];
	struct esp_ref ref_out[MIXED_ALGOS], ref_in[MIXED_ALGOS];
	uint64_t seq_out[MIXED_ALGOS] = { 0 }, seq_in[MIXED_ALGOS] = { 0 };
	CU_ASSERT_FATAL(esp_algo_count <= MIXED_ALGOS);
	for (int a = 0; a < esp_algo_count; a++) {
		struct combo c = { a, true, false, false };
		out[a] = make_sa(&c, false, 0x3000 + (uint32_t)a);
		in[a] = make_sa(&c, true, 0x4000 + (uint32_t)a);
		ref_out[a] = ref_for(&c, 0x3000 + (uint32_t)a, false);
		ref_in[a] = ref_for(&c, 0x4000 + (uint32_t)a, true);
	}
	for (int round = 0; round < MIXED_ROUNDS; round++) {
		check_mixed_out(out, ref_out, seq_out, round);
		check_mixed_in(in, ref_in, seq_in, round);
	}
	for (int a = 0; a < esp_algo_count; a++) {
		drop_sa(out[a]);
		drop_sa(in[a]);
	}
}

/* As timed at start-up, then each HMAC code IPsec-MB may run for every HMAC and length. */
static void test_mixed_burst(void)
{
	IMB_MGR *chosen[ESP_INTEG_COUNT][2], *code[2] = { ctx->mgr, ctx->sha_ni_mgr };
	memcpy(chosen, ctx->hmac_mgr, sizeof(chosen));
	check_mixed_burst();
	for (int k = 0; k < 2 && code[k]; k++) {
		for (int h = 0; h < ESP_INTEG_COUNT * 2; h++)
			ctx->hmac_mgr[h / 2][h % 2] = code[k];
		check_mixed_burst();
	}
	memcpy(ctx->hmac_mgr, chosen, sizeof(chosen));
}

/* AES-GCM by OpenSSL: 12-byte IV, 16-byte tag. */
static void openssl_gcm_seal(const uint8_t *k, int key_len, const uint8_t *iv, const uint8_t *aad, int aad_len,
			     const uint8_t *in, int len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT(EVP_EncryptInit_ex(c, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, k, iv) == 1);
	CU_ASSERT(EVP_EncryptUpdate(c, NULL, &n, aad, aad_len) == 1);
	CU_ASSERT(len == 0 || EVP_EncryptUpdate(c, out, &n, in, len) == 1);
	CU_ASSERT(EVP_EncryptFinal_ex(c, out + (len ? n : 0), &n) == 1);
	CU_ASSERT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(c);
}

/* One buffer through a manager's GCM code, both ways, against OpenSSL. */
static void check_gcm_code(IMB_MGR *m, const struct gcm_key_data *kd, int key_len, uint16_t len, int aad_len)
{
	static const uint8_t iv[12] = { 0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88 };
	uint8_t in[1500], aad[12], out[1500], want[1500], tag[16], want_tag[16];
	struct gcm_context_data gctx;
	for (unsigned i = 0; i < len; i++)
		in[i] = (uint8_t)(i * 13 + len);
	memset(aad, len & 0xff, sizeof(aad));
	openssl_gcm_seal(key, key_len, iv, aad, aad_len, in, len, want, want_tag);
	(key_len == 16 ? m->gcm128_enc : m->gcm256_enc)(kd, &gctx, out, in, len, iv, aad, (uint64_t)aad_len, tag, 16);
	CU_ASSERT(memcmp(out, want, len) == 0 && memcmp(tag, want_tag, 16) == 0);
	(key_len == 16 ? m->gcm128_dec : m->gcm256_dec)(kd, &gctx, out, want, len, iv, aad, (uint64_t)aad_len, tag, 16);
	CU_ASSERT(memcmp(out, in, len) == 0 && memcmp(tag, want_tag, 16) == 0);
}

/*
 * An SA holds only the key data its GCM code reads (the head of IPsec-MB's struct gcm_key_data:
 * all of it for AVX-512's, less for AVX2's; dpike's layout for dpike's compact code): the code
 * must read nothing beyond. With the rest filled with noise, every length (short, block
 * boundaries, longer than the 8 GHASH powers cover) still matches OpenSSL.
 */
static void check_gcm_reads_its_head(bool compact)
{
	static const uint16_t lens[] = { 0, 1, 15, 16, 17, 64, 100, 127, 128, 129, 255, 256, 300, 512, 1024, 1400, 1500 };
	IMB_MGR *m = alloc_mb_mgr(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	size_t head = esp_gcm_mgr_init(m, compact);
	bool own = compact && gcm_vaes_supported() && (m->features & IMB_FEATURE_AVX2);
	if (compact && (m->features & IMB_FEATURE_AVX2))
		CU_ASSERT_EQUAL(head, 368);
	CU_ASSERT_EQUAL(esp_gcm_key_bytes(compact), own ? 320 : head);
	for (int key_len = 16; key_len <= 32; key_len += 16) {
		struct gcm_key_data kd;
		bool own_layout = esp_gcm_own_layout(m, (unsigned)key_len);
		CU_ASSERT_EQUAL(own_layout, own);
		size_t bytes = esp_gcm_sa_key_bytes(m, (unsigned)key_len, own_layout);
		CU_ASSERT_EQUAL(bytes, own ? (key_len == 16 ? 320 : 384) : head);
		for (size_t i = 0; i < sizeof(kd); i++)
			((uint8_t *)&kd)[i] = (uint8_t)rand();
		esp_gcm_sa_keys_make(m, (unsigned)key_len, own_layout, key, (uint8_t *)&kd);
		for (size_t i = bytes; i < sizeof(kd); i++)
			((uint8_t *)&kd)[i] = (uint8_t)rand();
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			check_gcm_code(m, &kd, key_len, lens[i], 8);
			check_gcm_code(m, &kd, key_len, lens[i], 12);
		}
	}
	free_mb_mgr(m);
}

static void test_gcm_reads_its_head(void)
{
	check_gcm_reads_its_head(true);
	check_gcm_reads_its_head(false);
	/*
	 * full keys: the whole structure where the widest code is AVX-512's, else the head that code
	 * reads, which compact ones keep too unless dpike's VAES code runs them in its layout
	 */
	IMB_MGR *m = alloc_mb_mgr(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	init_mb_mgr_auto(m, NULL);
	if (m->used_arch == IMB_ARCH_AVX512) {
		CU_ASSERT(esp_gcm_key_bytes(true) < esp_gcm_key_bytes(false) &&
			  esp_gcm_key_bytes(false) == sizeof(struct gcm_key_data));
	} else {
		CU_ASSERT_EQUAL(esp_gcm_key_bytes(true), gcm_vaes_supported() ? 320 : esp_gcm_key_bytes(false));
	}
	free_mb_mgr(m);
}

/* AES-GCM by OpenSSL with any AAD and a tag of tag_len bytes. */
static void openssl_gcm(const uint8_t *k, int key_len, const uint8_t *iv, const uint8_t *aad, int aad_len,
			const uint8_t *in, int len, uint8_t *out, uint8_t *tag, int tag_len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT(EVP_EncryptInit_ex(c, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, k, iv) == 1);
	CU_ASSERT(aad_len == 0 || EVP_EncryptUpdate(c, NULL, &n, aad, aad_len) == 1);
	CU_ASSERT(len == 0 || EVP_EncryptUpdate(c, out, &n, in, len) == 1);
	CU_ASSERT(EVP_EncryptFinal_ex(c, out + (len ? n : 0), &n) == 1);
	CU_ASSERT(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, tag_len, tag) == 1);
	EVP_CIPHER_CTX_free(c);
}

#define GCM_MAX_TEXT 9100
#define GCM_GUARD 64

/* dpike's VAES functions for a key size, either width: [0] encrypts, [1] decrypts. */
static void gcm_vaes_pair(int key_len, bool wide, gcm_vaes_fn *fn[2])
{
	if (wide) {
		fn[0] = key_len == 16 ? gcm_vaes_wide128_enc : gcm_vaes_wide256_enc;
		fn[1] = key_len == 16 ? gcm_vaes_wide128_dec : gcm_vaes_wide256_dec;
	} else {
		fn[0] = key_len == 16 ? gcm_vaes128_enc : gcm_vaes256_enc;
		fn[1] = key_len == 16 ? gcm_vaes128_dec : gcm_vaes256_dec;
	}
}

/* One text through dpike's VAES code both ways; nothing written outside text and tag. */
static void check_gcm_vaes_once(const struct gcm_key_data *kd, const uint8_t *key, int key_len, bool wide, int len,
				int aad_len, int tag_len)
{
	gcm_vaes_fn *fn[2];
	gcm_vaes_pair(key_len, wide, fn);
	static uint8_t in[GCM_MAX_TEXT], aad[160], want[GCM_MAX_TEXT], buf[GCM_MAX_TEXT + 2 * GCM_GUARD];
	uint8_t iv[12], want_tag[16], tag[16 + GCM_GUARD];
	for (int i = 0; i < len; i++)
		in[i] = (uint8_t)rand();
	for (int i = 0; i < aad_len; i++)
		aad[i] = (uint8_t)rand();
	for (int i = 0; i < 12; i++)
		iv[i] = (uint8_t)rand();
	openssl_gcm(key, key_len, iv, aad, aad_len, in, len, want, want_tag, tag_len);
	memset(buf, 0xa5, sizeof(buf));
	memset(tag, 0x5a, sizeof(tag));
	fn[0](kd, NULL, buf + GCM_GUARD, in, (uint64_t)len, iv, aad, (uint64_t)aad_len, tag, (uint64_t)tag_len);
	bool ok = memcmp(buf + GCM_GUARD, want, (size_t)len) == 0 && memcmp(tag, want_tag, (size_t)tag_len) == 0;
	for (int i = 0; i < GCM_GUARD; i++)
		ok = ok && buf[i] == 0xa5 && buf[GCM_GUARD + len + i] == 0xa5 && tag[tag_len + i] == 0x5a;
	/* decryption in place, as ESP does it */
	fn[1](kd, NULL, buf + GCM_GUARD, buf + GCM_GUARD, (uint64_t)len, iv, aad, (uint64_t)aad_len, tag,
	      (uint64_t)tag_len);
	ok = ok && memcmp(buf + GCM_GUARD, in, (size_t)len) == 0 && memcmp(tag, want_tag, (size_t)tag_len) == 0;
	for (int i = 0; i < GCM_GUARD; i++)
		ok = ok && buf[i] == 0xa5 && buf[GCM_GUARD + len + i] == 0xa5;
	if (!ok)
		printf("\nGCM VAES%s differs from OpenSSL: key %d, text %d, AAD %d, tag %d\n", wide ? "-512" : "",
		       key_len * 8, len, aad_len, tag_len);
	CU_ASSERT(ok);
}

/*
 * dpike's VAES GCM code (gcm_vaes.c) against OpenSSL: every text length to 300 bytes and from
 * 1008 to 1552, and longer ones about the 128-, 256- and 512-byte steps (to jumbo frames' 9000), AADs of 0 to 130 bytes (ESP's 8 and 12 most), tags of 8, 12 and
 * 16 bytes, both key sizes, in dpike's key layout with noise in its unused head and past it; the
 * 512-bit functions too where the CPU has AVX-512. It needs AVX2, VAES and VPCLMULQDQ; on a CPU
 * without them dpike does not use it and the test says so.
 */
static void test_gcm_vaes(void)
{
	static const int long_lens[] = { 383,  384,  385,  511,  512,  513,  639,  640,  641,  767,  768,  1023,
					 1024, 1400, 1403, 1500, 1535, 1536, 1537, 1791, 1792, 1793, 2048, 2099,
					 3071, 3072, 3073, 4096, 8999, 9000 };
	static const int aads[] = { 8, 12, 8, 12, 0, 17, 40, 130 }, tags[] = { 16, 16, 12, 8 };
	if (!gcm_vaes_supported()) {
		printf("(no VAES on this CPU: dpike's VAES GCM code not tested here) ");
		return;
	}
	IMB_MGR *m = alloc_mb_mgr(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	init_mb_mgr_avx2(m);
	srand(5);
	for (int key_len = 16; key_len <= 32; key_len += 16) {
		uint8_t k[32];
		struct gcm_key_data mb, kd;
		for (int i = 0; i < key_len; i++)
			k[i] = (uint8_t)rand();
		if (key_len == 16)
			IMB_AES128_GCM_PRE(m, k, &mb);
		else
			IMB_AES256_GCM_PRE(m, k, &mb);
		for (size_t i = 0; i < sizeof(kd); i++)
			((uint8_t *)&kd)[i] = (uint8_t)rand();
		uint8_t head_noise[GCM_VAES_POWERS_AT];
		memcpy(head_noise, &kd, sizeof(head_noise));
		gcm_vaes_keys_from_mb((uint8_t *)&kd, &mb, (unsigned)key_len);
		memcpy(&kd, head_noise, sizeof(head_noise));
		for (int wide = 0; wide <= (int)gcm_vaes_wide_supported(); wide++) {
			for (int len = 0; len <= 300; len++)
				check_gcm_vaes_once(&kd, k, key_len, wide, len, aads[len % 8], tags[len % 4]);
			for (size_t i = 0; i < sizeof(long_lens) / sizeof(long_lens[0]); i++)
				check_gcm_vaes_once(&kd, k, key_len, wide, long_lens[i], aads[i % 8], tags[i % 4]);
			/* every tail after the 512-bit code's 32-block steps, up to 31 blocks in one sum */
			for (int len = 1008; len <= 1552; len++)
				check_gcm_vaes_once(&kd, k, key_len, wide, len, aads[len % 8], tags[len % 4]);
		}
	}
	free_mb_mgr(m);
}

/*
 * The manager gets dpike's VAES code where IPsec-MB would run AVX2 code, and for short texts where
 * it runs AVX-512 code, unless told otherwise.
 */
static void test_gcm_code_choice(void)
{
	bool wide = gcm_vaes_wide_supported();
	for (int forbid = 0; forbid < 2; forbid++) {
		esp_gcm_code_set(forbid ? ESP_GCM_CODE_IPSEC_MB : ESP_GCM_CODE_AUTO);
		for (int compact = 0; compact < 2; compact++) {
			IMB_MGR *m = alloc_mb_mgr(0);
			CU_ASSERT_PTR_NOT_NULL_FATAL(m);
			esp_gcm_mgr_init(m, compact);
			bool vaes = !forbid && gcm_vaes_supported();
			bool all = vaes && m->used_arch == IMB_ARCH_AVX2, short_only = vaes && m->used_arch == IMB_ARCH_AVX512;
			const char *name = esp_gcm_code_name(compact);
			CU_ASSERT_EQUAL(m->gcm128_enc == (wide ? gcm_vaes_wide128_enc : gcm_vaes128_enc), all);
			CU_ASSERT_EQUAL(m->gcm256_dec == (wide ? gcm_vaes_wide256_dec : gcm_vaes256_dec), all);
			CU_ASSERT_EQUAL(m->gcm128_dec == gcm_vaes_full128_dec && m->gcm256_enc == gcm_vaes_full256_enc,
					short_only);
			CU_ASSERT_EQUAL(all, strstr(name, wide ? "512-bit" : "256-bit") != NULL);
			CU_ASSERT_EQUAL(all, strncmp(name, "dpike", 5) == 0);
			CU_ASSERT_EQUAL(short_only, strstr(name, "dpike VAES up to 96 bytes") != NULL);
			free_mb_mgr(m);
		}
	}
	esp_gcm_code_set(ESP_GCM_CODE_AUTO);
	/* and a worker's ESP context runs what the name says, for both kinds of SA */
	struct esp_ctx *w = rte_zmalloc("esp_ctx", sizeof(*w), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL_FATAL(esp_ctx_init(w, NULL, NULL), 0);
	for (int compact = 0; compact < 2; compact++) {
		const char *name = esp_gcm_code_name(compact);
		CU_ASSERT_EQUAL(w->gcm_mgr[compact]->gcm128_dec == (wide ? gcm_vaes_wide128_dec : gcm_vaes128_dec),
				strncmp(name, "dpike", 5) == 0);
		CU_ASSERT_EQUAL(w->gcm_mgr[compact]->gcm128_dec == gcm_vaes_full128_dec,
				strstr(name, "up to 96 bytes") != NULL);
	}
	esp_ctx_free(w);
	rte_free(w);
}

/*
 * "auto" where it mixes the layouts: full keys while fewer than ESP_GCM_AUTO_FULL_SAS full-key
 * SAs are alive, compact past them, full again once one is freed.
 */
static void check_gcm_auto_budget(const struct combo *c)
{
	static struct esp_sa *full[ESP_GCM_AUTO_FULL_SAS];
	unsigned made = 0, before = esp_gcm_full_sas();
	CU_ASSERT_FATAL(before < ESP_GCM_AUTO_FULL_SAS);
	while (esp_gcm_full_sas() < ESP_GCM_AUTO_FULL_SAS) {
		full[made] = make_sa(c, false, 0x4000 + made);
		CU_ASSERT(!esp_sa_has(full[made], ESP_SA_F_GCM_COMPACT) && full[made]->key_bytes == esp_gcm_key_bytes(false));
		made++;
	}
	CU_ASSERT_EQUAL(made, ESP_GCM_AUTO_FULL_SAS - before);
	struct esp_sa *past = make_sa(c, false, 0x3004);
	CU_ASSERT(esp_sa_has(past, ESP_SA_F_GCM_COMPACT) && past->key_bytes == esp_gcm_key_bytes(true));
	drop_sa(past);
	CU_ASSERT_EQUAL(esp_gcm_full_sas(), ESP_GCM_AUTO_FULL_SAS); /* a compact SA freed leaves the count */
	drop_sa(full[--made]);
	struct esp_sa *again = make_sa(c, false, 0x3005);
	CU_ASSERT(!esp_sa_has(again, ESP_SA_F_GCM_COMPACT));
	drop_sa(again);
	while (made)
		drop_sa(full[--made]);
	CU_ASSERT_EQUAL(esp_gcm_full_sas(), before);
}

/* The whole ESP path with compact GCM keys (non-GCM SAs are unaffected by the setting). */
static void test_gcm_compact_matches_reference(void)
{
	esp_gcm_keys_set(ESP_GCM_KEYS_COMPACT);
	struct combo c = { esp_algo_parse("aes128gcm16"), true, false, false };
	struct esp_sa *sa = make_sa(&c, true, 0x3001);
	CU_ASSERT(esp_sa_has(sa, ESP_SA_F_GCM_COMPACT) && sa->key_bytes == esp_gcm_key_bytes(true));
	/* dpike's key layout wherever dpike's code runs compact keys: a line less than IPsec-MB's */
	CU_ASSERT_EQUAL(esp_sa_has(sa, ESP_SA_F_GCM_OWN_KEYS), gcm_vaes_supported());
	if (gcm_vaes_supported())
		CU_ASSERT_EQUAL(sa->key_bytes, 320u);
	drop_sa(sa);
	for_each_combo(check_outbound, 1, false);
	for_each_combo(check_inbound, 0xfffffffdULL, true);
	esp_gcm_keys_set(ESP_GCM_KEYS_FULL);
	sa = make_sa(&c, false, 0x3002);
	CU_ASSERT(!esp_sa_has(sa, ESP_SA_F_GCM_COMPACT) && sa->key_bytes == esp_gcm_key_bytes(false));
	drop_sa(sa);
	/*
	 * auto: where a worker's compact manager runs dpike's code, compact keys, or (where full keys
	 * run IPsec-MB's AVX-512 code) both by count; full everywhere else, and when told IPsec-MB's only
	 */
	IMB_MGR *m = alloc_mb_mgr(0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	init_mb_mgr_auto(m, NULL);
	bool avx512 = m->used_arch == IMB_ARCH_AVX512;
	free_mb_mgr(m);
	esp_gcm_keys_set(ESP_GCM_KEYS_AUTO);
	for (int forbid = 0; forbid < 2; forbid++) {
		esp_gcm_code_set(forbid ? ESP_GCM_CODE_IPSEC_MB : ESP_GCM_CODE_AUTO);
		enum esp_gcm_keys want = forbid || !gcm_vaes_supported() ? ESP_GCM_KEYS_FULL
					 : avx512                         ? ESP_GCM_KEYS_AUTO
									  : ESP_GCM_KEYS_COMPACT;
		CU_ASSERT_EQUAL(esp_gcm_keys_resolved(), want);
		if (want == ESP_GCM_KEYS_AUTO) {
			check_gcm_auto_budget(&c);
			continue;
		}
		CU_ASSERT_EQUAL(esp_gcm_compact(), want == ESP_GCM_KEYS_COMPACT);
		sa = make_sa(&c, false, 0x3003);
		CU_ASSERT(esp_sa_has(sa, ESP_SA_F_GCM_COMPACT) == (want == ESP_GCM_KEYS_COMPACT));
		CU_ASSERT_EQUAL(sa->key_bytes, esp_gcm_key_bytes(want == ESP_GCM_KEYS_COMPACT));
		drop_sa(sa);
	}
	esp_gcm_code_set(ESP_GCM_CODE_AUTO);
	esp_gcm_keys_set(ESP_GCM_KEYS_FULL);
}

/* ESN: sequence numbers that cross 2^32, whose high half only enters the ICV. */
static void test_esn_across_wrap(void)
{
	for_each_combo(check_outbound, 0xfffffffdULL, true);
	for_each_combo(check_inbound, 0xfffffffdULL, true);
}

static void test_sequence_exhausted_without_esn(void)
{
	struct combo c = { 0, true, false, false };
	struct esp_sa *sa = make_sa(&c, false, 0x1002);
	struct rte_mbuf *pkts[3];
	struct esp_sa *sas[3] = { sa, sa, sa };
	sa->seq_out = 0xfffffffeULL;
	for (int i = 0; i < 3; i++)
		pkts[i] = make_plain(HOST_LAN, HOST_FAR, 10, 0);
	uint64_t before = stats.drops[DP_DROP_SA_EXPIRED], len = rte_pktmbuf_pkt_len(pkts[0]);
	CU_ASSERT_EQUAL(esp_encrypt_burst(ctx, pkts, sas, 3), 1); /* only 0xffffffff is left (RFC 4303 3.3.3) */
	CU_ASSERT_EQUAL(stats.drops[DP_DROP_SA_EXPIRED] - before, 2);
	CU_ASSERT(sa->dead);
	CU_ASSERT_EQUAL(sa->seq_out, 0xffffffffULL); /* numbers stop at the last */
	CU_ASSERT_EQUAL(sa->bytes, len); /* only the packet given one is charged, as it was before ESP */
	rte_pktmbuf_free_bulk(pkts, 3);
	drop_sa(sa);
}

/* Lets dpike decrypt one packet; returns the drop reason, -1 when accepted. */
static int decrypt_one(const uint8_t *wire, size_t n)
{
	struct rte_mbuf *m = from_bytes(wire, n);
	struct esp_sa *got = NULL;
	uint64_t before[DP_DROP_MAX];
	memcpy(before, stats.drops, sizeof(before));
	uint16_t ok = esp_decrypt_burst(ctx, sad, &m, &got, 1);
	rte_pktmbuf_free(m);
	if (ok)
		return -1;
	for (int r = 0; r < DP_DROP_MAX; r++)
		if (stats.drops[r] != before[r])
			return r;
	return -2;
}

static size_t ref_packet(const struct combo *c, uint64_t seq, uint32_t inner_dst, bool bad_pad,
			 uint8_t *wire)
{
	struct esp_ref r = ref_for(c, 0x2001, true);
	struct rte_mbuf *o = make_plain(HOST_FAR, inner_dst, 40, 9);
	size_t n = esp_ref_encrypt(&r, seq, rte_pktmbuf_mtod(o, uint8_t *), rte_pktmbuf_pkt_len(o), 4, bad_pad, wire,
				   2048);
	rte_pktmbuf_free(o);
	return n;
}

/*
 * ESP for an SA that IKE awaits (spi_awaited.h) is set aside for the control core, uncounted as
 * a drop; once the SA is in, the same packet decrypts. Unawaited, it is a drop as before.
 */
static void test_awaited_spi(void)
{
	struct combo c = { 0, true, true, false };
	uint8_t wire[2048];
	size_t n = ref_packet(&c, 1, HOST_LAN, false, wire);
	CU_ASSERT_EQUAL(decrypt_one(wire, n), DP_DROP_ESP_NO_SA);
	CU_ASSERT_FATAL(dp_spi_await(0x2001));
	struct rte_mbuf *m = from_bytes(wire, n);
	struct esp_sa *got = NULL;
	uint64_t no_sa = stats.drops[DP_DROP_ESP_NO_SA];
	CU_ASSERT_EQUAL(esp_decrypt_burst(ctx, sad, &m, &got, 1), 0);
	CU_ASSERT_EQUAL(ctx->tail_status[0], ESP_STATUS_AWAITED);
	CU_ASSERT_EQUAL(stats.drops[DP_DROP_ESP_NO_SA], no_sa);
	CU_ASSERT_EQUAL(esp_spi_of(m), 0x2001);
	rte_pktmbuf_free(m);
	struct esp_sa *sa = make_sa(&c, true, 0x2001);
	dp_spi_await_end(0x2001);
	CU_ASSERT_FALSE(dp_spi_awaited(0x2001));
	CU_ASSERT_EQUAL(decrypt_one(wire, n), -1);
	drop_sa(sa);
	/* the set is bounded: past DP_SPI_AWAITED_MAX nothing more is awaited, and a freed slot serves again */
	for (uint32_t spi = 0x100; spi < 0x100 + DP_SPI_AWAITED_MAX; spi++)
		CU_ASSERT(dp_spi_await(spi));
	CU_ASSERT_FALSE(dp_spi_await(0x5000));
	CU_ASSERT_FALSE(dp_spi_awaited(0x5000) || dp_spi_awaited(0));
	dp_spi_await_end(0x120);
	CU_ASSERT(dp_spi_await(0x5000) && dp_spi_awaited(0x5000) && !dp_spi_awaited(0x120));
	for (uint32_t spi = 0x100; spi < 0x100 + DP_SPI_AWAITED_MAX; spi++)
		dp_spi_await_end(spi);
	dp_spi_await_end(0x5000);
	CU_ASSERT_FALSE(dp_spi_awaited(0x5000) || dp_spi_awaited(0x13f));
}

static void test_bad_packets(void)
{
	for (int a = 0; a < esp_algo_count; a++) {
		struct combo c = { a, true, a % 2 == 0, false };
		struct esp_sa *sa = make_sa(&c, true, 0x2001);
		uint8_t wire[2048], copy[2048];
		size_t n = ref_packet(&c, 5, HOST_LAN, false, wire);
		size_t esp_off = c.udp ? 28 : 20;

		memcpy(copy, wire, n);
		copy[n - 1] ^= 0x01; /* ICV */
		CU_ASSERT_EQUAL(decrypt_one(copy, n), DP_DROP_ESP_AUTH);
		memcpy(copy, wire, n);
		copy[esp_off + 8 + esp_algos[a].iv_len + 3] ^= 0x80; /* ciphertext */
		CU_ASSERT_EQUAL(decrypt_one(copy, n), DP_DROP_ESP_AUTH);
		memcpy(copy, wire, n);
		copy[esp_off + 3] ^= 0x55; /* SPI */
		CU_ASSERT_EQUAL(decrypt_one(copy, n), DP_DROP_ESP_NO_SA);
		/* what a worker that raced a removal and the slot's reuse finds: another SPI's SA */
		CU_ASSERT_FATAL(dp_sad_add(sad, 0x2001 ^ 0x55, sa) == 0);
		CU_ASSERT_EQUAL(decrypt_one(copy, n), DP_DROP_ESP_NO_SA);
		dp_sad_del(sad, 0x2001 ^ 0x55);
		CU_ASSERT_EQUAL(sa->auth_drops, 2);
		size_t min_len = esp_off + 8 + esp_algos[a].iv_len + esp_algos[a].icv_len + 2;
		for (size_t cut = esp_off; cut < n; cut++) {
			int why = decrypt_one(wire, cut);
			/* too short for ESP: truncated; long enough but cut: the ICV cannot match */
			CU_ASSERT(why == DP_DROP_ESP_TRUNCATED || (cut >= min_len && why == DP_DROP_ESP_AUTH));
		}

		CU_ASSERT_EQUAL(decrypt_one(wire, n), -1);
		CU_ASSERT_EQUAL(decrypt_one(wire, n), DP_DROP_ESP_REPLAY);

		n = ref_packet(&c, 6, HOST_LAN, true, wire);
		CU_ASSERT_EQUAL(decrypt_one(wire, n), DP_DROP_ESP_BAD_PADDING);
		n = ref_packet(&c, 7, 0x0a090001, false, wire); /* inner dst outside local_ts */
		CU_ASSERT_EQUAL(decrypt_one(wire, n), DP_DROP_ESP_SELECTOR);
		CU_ASSERT_EQUAL(sa->replay_drops, 1);
		drop_sa(sa);
	}
}

/* ESP from the peer carrying a UDP datagram src -> dst:dport, for spi (tunnel mode). */
static int decrypt_udp(const struct combo *c, uint32_t spi, uint64_t seq, uint32_t src, uint32_t dst, uint16_t dport)
{
	struct esp_ref r = ref_for(c, spi, true);
	struct rte_mbuf *o = make_plain(src, dst, 40, 9);
	uint8_t *udp = rte_pktmbuf_mtod_offset(o, uint8_t *, 20), wire[2048];
	udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
	size_t n = esp_ref_encrypt(&r, seq, rte_pktmbuf_mtod(o, uint8_t *), rte_pktmbuf_pkt_len(o), 4, false, wire,
				   sizeof(wire));
	rte_pktmbuf_free(o);
	return decrypt_one(wire, n);
}

static struct esp_sa *make_sa_with_ts(const struct combo *c, uint32_t spi, const struct traffic_selector *local,
				      int n_local)
{
	struct esp_sa_params p = {
		.spi = spi, .inbound = true, .tunnel = c->tunnel, .alg = &esp_algos[c->alg], .key = key,
		.local = WAN_LOCAL, .remote = WAN_REMOTE, .replay_window = 64, .local_ts = local, .n_local_ts = n_local,
		.remote_ts = &far_ts, .n_remote_ts = 1, .copy = TUNNEL_COPY_DEFAULT,
	};
	char err[128];
	struct esp_sa *sa = esp_sa_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_FATAL(dp_sad_add(sad, spi, sa) == 0);
	return sa;
}

/*
 * The inner packet against the SA's selectors: by its addresses alone where one selector each
 * way takes any protocol and port (strongSwan's default), else by the whole 5-tuple against every
 * selector; either way a source or destination outside them is dropped.
 */
static void test_inner_selectors(void)
{
	static const struct traffic_selector dns = { .addr = 0x0a020000, .mask = 0xffffff00, .plen = 24,
						     .proto = IPPROTO_UDP, .port_lo = 53, .port_hi = 53 };
	static const struct traffic_selector two[2] = {
		{ .addr = 0x0a090000, .mask = 0xffff0000, .plen = 16, .port_hi = 65535 },
		{ .addr = 0x0a020000, .mask = 0xffffff00, .plen = 24, .port_hi = 65535 },
	};
	const struct { const struct traffic_selector *local; int n; bool addrs_only; } cases[] = {
		{ &lan_ts, 1, true }, { &dns, 1, false }, { two, 2, false },
	};
	struct combo c = { 0, true, false, false };
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct esp_sa *sa = make_sa_with_ts(&c, 0x3001, cases[k].local, cases[k].n);
		CU_ASSERT_EQUAL(esp_sa_has(sa, ESP_SA_F_TS_ADDRS), cases[k].addrs_only);
		CU_ASSERT_EQUAL(decrypt_udp(&c, 0x3001, 1, HOST_FAR, HOST_LAN, 53), -1);
		CU_ASSERT_EQUAL(decrypt_udp(&c, 0x3001, 2, 0x0a070005, HOST_LAN, 53), DP_DROP_ESP_SELECTOR);
		CU_ASSERT_EQUAL(decrypt_udp(&c, 0x3001, 3, HOST_FAR, 0x0a030001, 53), DP_DROP_ESP_SELECTOR);
		/* another port: outside the selector that names one, inside those that take any */
		int other_port = cases[k].local == &dns ? DP_DROP_ESP_SELECTOR : -1;
		CU_ASSERT_EQUAL(decrypt_udp(&c, 0x3001, 4, HOST_FAR, HOST_LAN, 54), other_port);
		if (cases[k].n == 2)
			CU_ASSERT_EQUAL(decrypt_udp(&c, 0x3001, 5, HOST_FAR, 0x0a090102, 53), -1);
		drop_sa(sa);
	}
	struct esp_sa *out = make_sa(&c, false, 0x3002);
	CU_ASSERT_FALSE(esp_sa_has(out, ESP_SA_F_TS_ADDRS)); /* outbound SAs check no inner selectors */
	drop_sa(out);
}

/*
 * One burst of an SA's packets, its replay window committed for the run at once: a copy in the
 * same burst is a replay, a forged packet's number is not taken (its genuine packet later in the
 * burst passes), and what passed comes out in arrival order.
 */
static void test_replay_within_burst(void)
{
	for (int a = 0; a < esp_algo_count; a++) {
		struct combo c = { a, true, a % 2 == 0, false };
		struct esp_sa *sa = make_sa(&c, true, 0x2001);
		static const uint64_t seqs[] = { 40, 41, 40, 80, 90, 41, 39, 27, 26, 90 };
		static const bool forged[] = { false, false, false, true, false, false, false, false, false, false };
		/* window 64: 80 forged and not taken, 90 moves the top, 27 is in, 26 fell out */
		static const bool pass[] = { true, true, false, false, true, false, true, true, false, false };
		enum { N = sizeof(seqs) / sizeof(seqs[0]) };
		struct rte_mbuf *m[N + 1];
		struct esp_sa *got[N + 1];
		uint8_t wire[2048];
		for (int i = 0; i < N; i++) {
			size_t n = ref_packet(&c, seqs[i], HOST_LAN, false, wire);
			wire[n - 1] ^= forged[i];
			m[i] = from_bytes(wire, n);
			m[i]->hash.usr = (uint32_t)i;
		}
		m[N] = from_bytes(wire, ref_packet(&c, 80, HOST_LAN, false, wire)); /* the genuine 80, last */
		m[N]->hash.usr = N;
		uint16_t ok = esp_decrypt_burst(ctx, sad, m, got, N + 1), k = 0;
		for (int i = 0; i < N; i++)
			if (pass[i])
				CU_ASSERT(k < ok && m[k++]->hash.usr == (uint32_t)i);
		CU_ASSERT(k < ok && m[k++]->hash.usr == N);
		CU_ASSERT_EQUAL(ok, k);
		CU_ASSERT_EQUAL(sa->replay_drops, 4);
		CU_ASSERT_EQUAL(sa->auth_drops, 1);
		rte_pktmbuf_free_bulk(m, N + 1);
		drop_sa(sa);
	}
}

/* The next header of a tunnel SA must be IPv4; 59 marks a dummy packet (RFC 4303 2.6). */
static void test_next_header_checks(void)
{
	struct combo c = { 0, true, false, false };
	struct esp_sa *sa = make_sa(&c, true, 0x2001);
	struct combo t = { 0, false, false, false }; /* a transport reference builds the trailer we want */
	struct esp_ref r = ref_for(&t, 0x2001, true);
	r.src = WAN_REMOTE;
	r.dst = WAN_LOCAL;
	uint8_t payload[40] = { 0 }, wire[256];
	size_t n = esp_ref_encrypt(&r, 1, payload, sizeof(payload), 17, false, wire, sizeof(wire));
	CU_ASSERT_EQUAL(decrypt_one(wire, n), DP_DROP_ESP_BAD_NEXT_HEADER);
	n = esp_ref_encrypt(&r, 2, payload, sizeof(payload), 59, false, wire, sizeof(wire));
	CU_ASSERT_EQUAL(decrypt_one(wire, n), DP_DROP_ESP_DUMMY);
	drop_sa(sa);
}

static void test_wrong_encapsulation(void)
{
	struct combo c = { 0, true, true, false }, raw = { 0, true, false, false };
	struct esp_sa *sa = make_sa(&c, true, 0x2001);
	uint8_t wire[2048];
	size_t n = ref_packet(&raw, 1, HOST_LAN, false, wire);
	CU_ASSERT_EQUAL(decrypt_one(wire, n), DP_DROP_ESP_WRONG_ENCAP);
	drop_sa(sa);
}

static struct esp_sa *vector_sa(const struct esp_vector *v, bool inbound)
{
	struct esp_sa_params p = { .spi = v->spi, .inbound = inbound, .tunnel = v->tunnel, .esn = v->esn,
				   .alg = &esp_algos[esp_algo_parse(v->alg)], .key = v->key, .local = WAN_LOCAL,
				   .remote = WAN_REMOTE, .replay_window = 64, .local_ts = &lan_ts, .n_local_ts = 1,
				   .remote_ts = &far_ts, .n_remote_ts = 1, .copy = TUNNEL_COPY_DEFAULT };
	char err[64];
	struct esp_sa *sa = esp_sa_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	if (inbound)
		CU_ASSERT_FATAL(dp_sad_add(sad, v->spi, sa) == 0);
	return sa;
}

/* The packet dpike gets to encrypt: the inner packet (tunnel) or an IPv4 header plus the UDP datagram. */
static struct rte_mbuf *vector_plain(const struct esp_vector *v)
{
	if (v->tunnel)
		return from_bytes(v->payload, v->payload_len);
	struct rte_mbuf *m = make_plain(HOST_FAR, HOST_LAN, (uint16_t)(v->payload_len - 8), 0);
	memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, 20), v->payload, v->payload_len);
	return m;
}

/* Fixed vectors from a third implementation: dpike must produce them bit for bit and read them back. */
static void test_known_vectors(void)
{
	for (size_t i = 0; i < sizeof(esp_vectors) / sizeof(esp_vectors[0]); i++) {
		const struct esp_vector *v = &esp_vectors[i];
		struct esp_sa *out = vector_sa(v, false), *in = vector_sa(v, true);
		struct rte_mbuf *m = vector_plain(v);
		out->seq_out = v->seq - 1;
		memcpy(ctx->rand_pool, v->iv, 16); /* the CBC IV the vector was made with */
		ctx->rand_off = 0;
		CU_ASSERT_EQUAL_FATAL(esp_encrypt_burst(ctx, &m, &out, 1), 1);
		const uint8_t *got = rte_pktmbuf_mtod_offset(m, const uint8_t *, 20);
		bool same = rte_pktmbuf_pkt_len(m) == 20u + v->esp_len && memcmp(got, v->esp, v->esp_len) == 0;
		if (!same)
			fprintf(stderr, "vector %zu (%s %s%s): dpike's output differs\n", i, v->alg,
				v->tunnel ? "tunnel" : "transport", v->esn ? " esn" : "");
		CU_ASSERT(same);

		/* the same bytes inbound */
		if (v->seq > 1)
			replay_commit(in->replay, v->seq - 1);
		struct esp_sa *got_sa = NULL;
		CU_ASSERT_EQUAL(esp_decrypt_burst(ctx, sad, &m, &got_sa, 1), 1);
		const uint8_t *inner = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t skip = v->tunnel ? 0 : 20;
		CU_ASSERT(rte_pktmbuf_pkt_len(m) == skip + v->payload_len &&
			  memcmp(inner + skip, v->payload, v->payload_len) == 0);
		rte_pktmbuf_free(m);
		drop_sa(out);
		drop_sa(in);
	}
	ctx->rand_off = ESP_RAND_POOL; /* back to fresh random IVs */
}

/* Two workers, each with its own ESP context, encrypt on one SA at once. */
struct seq_worker {
	struct esp_sa *sa;
	uint64_t seqs[4096];
	unsigned n;
};

static void *encrypt_many(void *arg)
{
	struct seq_worker *sw = arg;
	struct esp_ctx *c = rte_zmalloc("esp_ctx_thread", sizeof(*c), 64);
	struct dp_worker_stats st;
	if (c == NULL || esp_ctx_init(c, &st, NULL) != 0)
		return NULL;
	for (int round = 0; round < 128; round++) {
		struct rte_mbuf *pkts[32];
		struct esp_sa *sas[32];
		for (int i = 0; i < 32; i++) {
			pkts[i] = make_plain(HOST_LAN, HOST_FAR, 20, 0);
			sas[i] = sw->sa;
		}
		uint16_t ok = esp_encrypt_burst(c, pkts, sas, 32);
		for (uint16_t i = 0; i < ok; i++) {
			const uint8_t *esp = rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *, 20);
			sw->seqs[sw->n++] = (uint32_t)esp[4] << 24 | esp[5] << 16 | esp[6] << 8 | esp[7];
		}
		rte_pktmbuf_free_bulk(pkts, 32);
		esp_ctx_quiesce(c); /* as a worker's loop does: the other may take the SA over */
	}
	esp_ctx_free(c);
	rte_free(c);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void test_shared_sa_sequence_numbers(void)
{
	struct combo c = { 0, true, false, false };
	struct esp_sa *sa = make_sa(&c, false, 0x1003);
	static struct seq_worker w[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		w[i] = (struct seq_worker){ .sa = sa };
		pthread_create(&t[i], NULL, encrypt_many, &w[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	uint64_t *all = malloc(sizeof(uint64_t) * 8192);
	unsigned n = 0;
	for (int i = 0; i < 2; i++)
		for (unsigned k = 0; k < w[i].n; k++)
			all[n++] = w[i].seqs[k];
	CU_ASSERT_EQUAL(n, 8192);
	qsort(all, n, sizeof(all[0]), cmp_u64);
	/* every number from 1 to n used exactly once */
	bool exact = true;
	for (unsigned k = 0; k < n; k++)
		exact = exact && all[k] == k + 1;
	CU_ASSERT(exact);
	/* charged together with the numbers: the bytes of every packet given one, none lost */
	struct rte_mbuf *one = make_plain(HOST_LAN, HOST_FAR, 20, 0);
	CU_ASSERT_EQUAL(sa->seq_out, n);
	CU_ASSERT_EQUAL(sa->bytes, (uint64_t)n * rte_pktmbuf_pkt_len(one));
	rte_pktmbuf_free(one);
	free(all);
	drop_sa(sa);
}

/*
 * Two workers encrypting bursts over many SAs, each packet's SA drawn at random: every SA is
 * owned by the first to use it, then taken over by the other mid-stream, while the owner goes
 * on with plain updates until its next epoch.
 */
enum { SPREAD_SAS = 64, SPREAD_BURSTS = 256, SPREAD_BURST = 32 };

struct spread_worker {
	struct esp_sa **sas;
	pthread_barrier_t *both; /* the two run at once, with owner ids of their own */
	unsigned seed;
	uint16_t sa_of[SPREAD_BURSTS * SPREAD_BURST];
	uint32_t seq_of[SPREAD_BURSTS * SPREAD_BURST];
	unsigned n;
};

static void *encrypt_spread(void *arg)
{
	struct spread_worker *sw = arg;
	struct esp_ctx *c = rte_zmalloc("esp_ctx_spread", sizeof(*c), 64);
	struct dp_worker_stats st;
	bool ok = c != NULL && esp_ctx_init(c, &st, NULL) == 0;
	pthread_barrier_wait(sw->both);
	for (int round = 0; ok && round < SPREAD_BURSTS; round++) {
		struct rte_mbuf *pkts[SPREAD_BURST];
		struct esp_sa *sas[SPREAD_BURST];
		uint16_t idx[SPREAD_BURST];
		for (int i = 0; i < SPREAD_BURST; i++) {
			pkts[i] = make_plain(HOST_LAN, HOST_FAR, 20, 0);
			idx[i] = (uint16_t)(rand_r(&sw->seed) % SPREAD_SAS);
			sas[i] = sw->sas[idx[i]];
		}
		/* all succeed, so the packets keep their places */
		CU_ASSERT_EQUAL(esp_encrypt_burst(c, pkts, sas, SPREAD_BURST), SPREAD_BURST);
		for (uint16_t i = 0; i < SPREAD_BURST; i++) {
			const uint8_t *esp = rte_pktmbuf_mtod_offset(pkts[i], const uint8_t *, 20);
			sw->sa_of[sw->n] = idx[i];
			sw->seq_of[sw->n++] = (uint32_t)esp[4] << 24 | esp[5] << 16 | esp[6] << 8 | esp[7];
		}
		rte_pktmbuf_free_bulk(pkts, SPREAD_BURST);
		esp_ctx_quiesce(c);
	}
	if (ok) /* as a worker's loop does when it stops: the other may go on taking SAs over */
		sa_owner_set_online(c->owner_id, false);
	pthread_barrier_wait(sw->both);
	if (ok)
		esp_ctx_free(c);
	rte_free(c);
	return NULL;
}

static void test_sas_taken_over(void)
{
	struct combo c = { 0, true, false, false };
	static struct esp_sa *sas[SPREAD_SAS];
	static struct spread_worker w[2];
	static uint32_t seqs[2 * SPREAD_BURSTS * SPREAD_BURST];
	for (int i = 0; i < SPREAD_SAS; i++)
		sas[i] = make_sa(&c, false, 0x2000 + (uint32_t)i);
	pthread_t t[2];
	pthread_barrier_t both;
	pthread_barrier_init(&both, NULL, 2);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct spread_worker){ .sas = sas, .both = &both, .seed = 11u + (unsigned)i };
		pthread_create(&t[i], NULL, encrypt_spread, &w[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&both);
	CU_ASSERT_EQUAL(w[0].n + w[1].n, 2 * SPREAD_BURSTS * SPREAD_BURST);
	struct rte_mbuf *one = make_plain(HOST_LAN, HOST_FAR, 20, 0);
	int wrong = 0, shared = 0;
	for (uint16_t k = 0; k < SPREAD_SAS; k++) {
		unsigned n = 0;
		for (int i = 0; i < 2; i++)
			for (unsigned j = 0; j < w[i].n; j++)
				if (w[i].sa_of[j] == k)
					seqs[n++] = w[i].seq_of[j];
		qsort(seqs, n, sizeof(seqs[0]), cmp_u32);
		for (unsigned j = 0; j < n; j++) /* every number from 1 to n used once: none lost or reused */
			wrong += seqs[j] != j + 1;
		wrong += sas[k]->seq_out != n || sas[k]->bytes != (uint64_t)n * rte_pktmbuf_pkt_len(one);
		shared += sas[k]->owner == SA_OWNER_SHARED;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(shared, SPREAD_SAS); /* both used every SA */
	rte_pktmbuf_free(one);
	for (int i = 0; i < SPREAD_SAS; i++)
		drop_sa(sas[i]);
}

static void *charge_many(void *arg)
{
	for (uint32_t i = 0; i < 100000; i++)
		esp_sa_account(arg, false, 1 + i % 3, 100 + i % 7);
	return NULL;
}

/* The same by two owners over many SAs, each taking the other's over (its id given back at the end). */
enum { CHARGE_SAS = 512 };

static void *charge_spread(void *arg)
{
	struct esp_sa **sas = arg;
	uint16_t me = sa_owner_register();
	for (uint32_t i = 0; i < 100000; i++) {
		struct esp_sa *sa = sas[(i * 7 + me) % CHARGE_SAS];
		esp_sa_account(sa, sa_owner_mine(&sa->owner, me), 1 + i % 3, 100 + i % 7);
		if (i % 16 == 15)
			sa_owner_quiesce(me);
	}
	sa_owner_unregister(me);
	return NULL;
}

static void test_owned_charges(void)
{
	struct combo c = { 0, true, false, false };
	static struct esp_sa *sas[CHARGE_SAS];
	for (int i = 0; i < CHARGE_SAS; i++)
		sas[i] = make_sa(&c, false, 0x3000 + (uint32_t)i); /* outbound: the test SAD is small */
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, charge_spread, sas);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	uint64_t packets = 0, bytes = 0, want_packets = 0, want_bytes = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		want_packets += 2 * (1 + i % 3);
		want_bytes += 2 * (100 + i % 7);
	}
	for (int i = 0; i < CHARGE_SAS; i++) {
		packets += sas[i]->packets;
		bytes += sas[i]->bytes;
		drop_sa(sas[i]);
	}
	CU_ASSERT_EQUAL(packets, want_packets);
	CU_ASSERT_EQUAL(bytes, want_bytes);
}

/* What inbound workers do after decrypting: the packets and bytes of runs of one SA, at once. */
static void test_shared_sa_charges(void)
{
	struct combo c = { 0, true, false, false };
	struct esp_sa *sa = make_sa(&c, true, 0x1005);
	uint64_t packets = 0, bytes = 0;
	for (uint32_t i = 0; i < 100000; i++) {
		packets += 2 * (1 + i % 3);
		bytes += 2 * (100 + i % 7);
	}
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, charge_many, sa);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CU_ASSERT_EQUAL(sa->packets, packets);
	CU_ASSERT_EQUAL(sa->bytes, bytes);
	drop_sa(sa);
}

/* OpenSSL's AES-128-CTR key stream for one refill of a worker's IV pool: its nonce, the refill number, blocks from 1. */
static void iv_keystream(uint8_t *out, int len, const struct esp_iv_gen *g, uint64_t refill)
{
	uint8_t iv[16] = { 0 };
	memcpy(iv, g->nonce, sizeof(g->nonce));
	memcpy(iv + 4, &refill, sizeof(refill));
	iv[15] = 1;
	memset(out, 0, (size_t)len);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n = 0; /* round key 0 of AES-128 is the key itself */
	CU_ASSERT_FATAL(x && EVP_EncryptInit_ex(x, EVP_aes_128_ctr(), NULL, g->enc_keys, iv) == 1 &&
			EVP_EncryptUpdate(x, out, &n, out, len) == 1 && n == len);
	EVP_CIPHER_CTX_free(x);
}

/*
 * CBC's IVs (RFC 3602: unpredictable): each packet's is the next 16 bytes of AES-128-CTR key
 * stream under a key of its worker's own, as OpenSSL computes it, across refills of the pool;
 * two workers' differ.
 */
static void test_cbc_ivs(void)
{
	enum { PKTS = 600, BURST = 30, POOLS = PKTS * 16 / ESP_RAND_POOL + 1 };
	struct combo c = { esp_algo_parse("aes128-sha256"), true, false, false };
	CU_ASSERT_FATAL(c.alg >= 0);
	struct esp_sa *sa = make_sa(&c, false, 0x1004);
	static uint8_t ivs[2][PKTS][16], stream[POOLS * ESP_RAND_POOL];
	for (int w = 0; w < 2; w++) {
		struct esp_ctx *x = rte_zmalloc("esp_ctx_ivs", sizeof(*x), 64);
		struct dp_worker_stats st;
		CU_ASSERT_FATAL(x && esp_ctx_init(x, &st, NULL) == 0);
		for (int k = 0; k < PKTS; k += BURST) {
			struct rte_mbuf *pkts[BURST];
			struct esp_sa *sas[BURST];
			for (int i = 0; i < BURST; i++)
				pkts[i] = make_plain(HOST_LAN, HOST_FAR, 40, 0), sas[i] = sa;
			CU_ASSERT_EQUAL_FATAL(esp_encrypt_burst(x, pkts, sas, BURST), BURST);
			for (int i = 0; i < BURST; i++)
				memcpy(ivs[w][k + i], rte_pktmbuf_mtod_offset(pkts[i], uint8_t *, 20 + 8), 16);
			rte_pktmbuf_free_bulk(pkts, BURST);
		}
		for (int r = 0; r < POOLS; r++)
			iv_keystream(stream + r * ESP_RAND_POOL, ESP_RAND_POOL, &x->iv, (uint64_t)r);
		int wrong = 0;
		for (int k = 0; k < PKTS; k++)
			wrong += memcmp(ivs[w][k], stream + k * 16, 16) != 0;
		CU_ASSERT_EQUAL(wrong, 0);
		esp_ctx_free(x);
		rte_free(x);
	}
	CU_ASSERT(memcmp(ivs[0], ivs[1], sizeof(ivs[0])) != 0);
	drop_sa(sa);
}

/*
 * Soft and hard packet lifetimes: one event each, then the SA refuses traffic. The events name
 * the SA by its id, which no other SA shares, not even one with the same SPI (an outbound SPI is
 * the peer's choice).
 */
static void test_lifetime_events(void)
{
	struct rte_ring *events = rte_ring_create_elem("unit_events", sizeof(struct esp_sa_event), 64, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(events);
	struct rte_ring *saved = ctx->events;
	ctx->events = events;
	struct esp_sa_params p = { .spi = 0x1004, .alg = &esp_algos[2], .key = key, .tunnel = true,
				   .local = WAN_LOCAL, .remote = WAN_REMOTE, .soft_packets = 5, .hard_packets = 8 };
	char err[64];
	struct esp_sa *sa = esp_sa_create(&p, err, sizeof(err)), *twin = esp_sa_create(&p, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(twin);
	CU_ASSERT(sa->id != 0 && twin->id != 0 && sa->id != twin->id);
	unsigned sent = 0;
	for (int round = 0; round < 4; round++) {
		struct rte_mbuf *pkts[3];
		struct esp_sa *sas[3] = { sa, sa, sa };
		for (int i = 0; i < 3; i++)
			pkts[i] = make_plain(HOST_LAN, HOST_FAR, 10, 0);
		sent += esp_encrypt_burst(ctx, pkts, sas, 3);
		rte_pktmbuf_free_bulk(pkts, 3);
	}
	CU_ASSERT_EQUAL(sent, 8); /* exactly the hard limit */
	CU_ASSERT(sa->dead);
	struct esp_sa_event ev[4];
	unsigned n = rte_ring_dequeue_burst_elem(events, ev, sizeof(ev[0]), 4, NULL);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT(n == 2 && ev[0].kind == ESP_EXPIRY_SOFT && ev[1].kind == ESP_EXPIRY_HARD && ev[0].spi == 0x1004);
	CU_ASSERT(n == 2 && ev[0].id == sa->id && ev[1].id == sa->id && !ev[0].inbound);
	ctx->events = saved;
	rte_ring_free(events);
	esp_sa_free(sa);
	esp_sa_free(twin);
}

/* Makes the UDP-encapsulated packet wire come from addr:port, as a NAT that rebound its sender would. */
static void set_source(uint8_t *wire, uint32_t addr, uint16_t port)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)wire;
	ip->src_addr = rte_cpu_to_be_32(addr);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	wire[20] = (uint8_t)(port >> 8), wire[21] = (uint8_t)port;
}

/* The events waiting (up to 8), into ev[]. */
static unsigned moved_events(struct rte_ring *events, struct esp_sa_event ev[8])
{
	return rte_ring_dequeue_burst_elem(events, ev, sizeof(ev[0]), 8, NULL);
}

/*
 * NAT-T: authenticated ESP from a new address or port tells the control core, once per new
 * endpoint; a forged or replayed packet from elsewhere tells nothing. Moving the SAs there
 * (esp_sa_move_peer) makes the inbound SA expect it and the outbound one send to it.
 */
static void test_peer_moved(void)
{
	struct rte_ring *events = rte_ring_create_elem("unit_moved", sizeof(struct esp_sa_event), 64, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(events);
	struct rte_ring *saved = ctx->events;
	ctx->events = events;
	for (int a = 0; a < esp_algo_count; a++) {
		struct combo c = { a, true, true, false };
		struct esp_sa *in = make_sa(&c, true, 0x2001);
		struct esp_sa_event ev[8];
		uint8_t wire[2048];
		size_t n = ref_packet(&c, 1, HOST_LAN, false, wire);
		CU_ASSERT(decrypt_one(wire, n) == -1 && moved_events(events, ev) == 0);
		n = ref_packet(&c, 2, HOST_LAN, false, wire);
		set_source(wire, WAN_REMOTE, 40001);
		CU_ASSERT(decrypt_one(wire, n) == -1);
		CU_ASSERT_FATAL(moved_events(events, ev) == 1);
		CU_ASSERT(ev[0].kind == ESP_EVENT_PEER_MOVED && ev[0].id == in->id && ev[0].inbound &&
			  ev[0].addr == WAN_REMOTE && ev[0].port == 40001);
		n = ref_packet(&c, 3, HOST_LAN, false, wire);
		set_source(wire, WAN_REMOTE, 40001);
		CU_ASSERT(decrypt_one(wire, n) == -1 && moved_events(events, ev) == 0); /* told already */
		n = ref_packet(&c, 4, HOST_LAN, false, wire);
		set_source(wire, 0xc6336407, 40002);
		wire[n - 1] ^= 1;
		CU_ASSERT(decrypt_one(wire, n) == DP_DROP_ESP_AUTH && moved_events(events, ev) == 0);
		n = ref_packet(&c, 2, HOST_LAN, false, wire);
		set_source(wire, 0xc6336407, 40002);
		CU_ASSERT(decrypt_one(wire, n) == DP_DROP_ESP_REPLAY && moved_events(events, ev) == 0);
		esp_sa_move_peer(in, WAN_REMOTE, 40001);
		n = ref_packet(&c, 5, HOST_LAN, false, wire);
		set_source(wire, WAN_REMOTE, 40001);
		CU_ASSERT(decrypt_one(wire, n) == -1 && moved_events(events, ev) == 0); /* expected there now */
		drop_sa(in);

		struct esp_sa *out = make_sa(&c, false, 0x1001);
		esp_sa_move_peer(out, 0xc6336401, 40001);
		struct rte_mbuf *m = make_plain(HOST_LAN, HOST_FAR, 100, 3);
		CU_ASSERT_FATAL(esp_encrypt_burst(ctx, &m, &out, 1) == 1);
		const struct rte_ipv4_hdr *o = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
		const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(o + 1);
		CU_ASSERT(o->dst_addr == rte_cpu_to_be_32(0xc6336401) && u->dst_port == rte_cpu_to_be_16(40001));
		CU_ASSERT(o->src_addr == rte_cpu_to_be_32(WAN_LOCAL) && rte_ipv4_cksum(o) == 0);
		rte_pktmbuf_free(m);
		drop_sa(out);
	}
	ctx->events = saved;
	rte_ring_free(events);
}

/* ---- what passes between a tunnel's headers: DF, DSCP, ECN (RFC 6040) ---- */

/* RFC 6040 figure 4, rows the inner codepoint, columns the outer: -1 for a drop. */
static void test_ecn_decap_table(void)
{
	static const int want[4][4] = {
		/* outer:       Not-ECT  ECT(1)   ECT(0)   CE */
		[ECN_NOT_ECT] = { ECN_NOT_ECT, ECN_NOT_ECT, ECN_NOT_ECT, -1 },
		[ECN_ECT1] = { ECN_ECT1, ECN_ECT1, ECN_ECT1, ECN_CE },
		[ECN_ECT0] = { ECN_ECT0, ECN_ECT1, ECN_ECT0, ECN_CE },
		[ECN_CE] = { ECN_CE, ECN_CE, ECN_CE, ECN_CE },
	};
	for (uint8_t in = 0; in < 4; in++)
		for (uint8_t out = 0; out < 4; out++) {
			uint8_t tos = 0xff;
			bool kept = tunnel_inner_tos((uint8_t)(0x28 | out), (uint8_t)(0xb8 | in), TUNNEL_COPY_DEFAULT, &tos);
			CU_ASSERT(kept == (want[in][out] >= 0));
			if (kept)
				CU_ASSERT(tos == (0xb8 | want[in][out])); /* the inner DSCP kept: copy_dscp = out */
			CU_ASSERT(tunnel_inner_tos((uint8_t)(0x28 | out), (uint8_t)(0xb8 | in), 0, &tos) && tos == (0xb8 | in));
			CU_ASSERT(tunnel_inner_tos((uint8_t)(0x28 | out), (uint8_t)(0xb8 | in), TUNNEL_COPY_DSCP_IN, &tos) &&
				  tos == (0x28 | in));
		}
	CU_ASSERT(tunnel_outer_tos(0xba, TUNNEL_COPY_DEFAULT) == 0xba && tunnel_outer_tos(0xba, 0) == 0 &&
		  tunnel_outer_tos(0xba, TUNNEL_COPY_ECN) == 0x02 && tunnel_outer_tos(0xba, TUNNEL_COPY_DSCP_OUT) == 0xb8);
}

/* The reference's tunnel packet to dpike with the inner and outer TOS bytes given. */
static size_t ref_packet_tos(const struct combo *c, uint64_t seq, uint8_t inner_tos, uint8_t outer_tos, uint8_t *wire)
{
	struct esp_ref r = ref_for(c, 0x2001, true);
	struct rte_mbuf *o = make_plain(HOST_FAR, HOST_LAN, 40, 2);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(o, struct rte_ipv4_hdr *);
	ip->type_of_service = inner_tos;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	size_t n = esp_ref_encrypt(&r, seq, (uint8_t *)ip, rte_pktmbuf_pkt_len(o), 4, false, wire, 2048);
	rte_pktmbuf_free(o);
	struct rte_ipv4_hdr *outer = (struct rte_ipv4_hdr *)wire; /* outside the ICV: set afterwards */
	outer->type_of_service = outer_tos;
	outer->hdr_checksum = 0;
	outer->hdr_checksum = rte_ipv4_cksum(outer);
	return n;
}

/* dpike's decryption of it: the inner TOS, or -(drop reason) - 1. */
static int decrypted_tos(const uint8_t *wire, size_t n)
{
	struct rte_mbuf *m = from_bytes(wire, n);
	struct esp_sa *got = NULL;
	uint64_t before = stats.drops[DP_DROP_ESP_ECN];
	int tos = -1;
	if (esp_decrypt_burst(ctx, sad, &m, &got, 1) == 1) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
		CU_ASSERT(rte_ipv4_cksum(ip) == 0); /* the header checksum follows the new TOS */
		tos = ip->type_of_service;
		rte_pktmbuf_free(m);
	} else if (stats.drops[DP_DROP_ESP_ECN] != before) {
		tos = -(int)DP_DROP_ESP_ECN - 1;
	}
	return tos;
}

/* The outer header of a packet dpike encrypts with this copy setting: its TOS and DF. */
static void check_outer_copy(const struct combo *c, unsigned copy, uint8_t want_tos, bool want_df)
{
	struct esp_sa *out = make_sa_copying(c, false, 0x1001, copy);
	struct rte_mbuf *m = make_plain(HOST_LAN, HOST_FAR, 30, 1); /* DF set */
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	ip->type_of_service = 0xba; /* EF, ECT(0) */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	CU_ASSERT_FATAL(esp_encrypt_burst(ctx, &m, &out, 1) == 1);
	const struct rte_ipv4_hdr *o = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	CU_ASSERT(o->type_of_service == want_tos);
	CU_ASSERT(((o->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG)) != 0) == want_df);
	CU_ASSERT(rte_ipv4_cksum(o) == 0);
	rte_pktmbuf_free(m);
	drop_sa(out);
}

static void test_tunnel_copy(void)
{
	static const struct {
		unsigned copy;
		uint8_t inner, outer;
		int want;
	} in[] = {
		{ TUNNEL_COPY_DEFAULT, 0xba, 0x2b, 0xbb },          /* congestion reaches the inner packet */
		{ TUNNEL_COPY_DEFAULT, 0xb9, 0x02, 0xb9 },          /* nothing to pass on */
		{ TUNNEL_COPY_DEFAULT, 0xba, 0x29, 0xb9 },          /* ECT(1) outside, ECT(0) inside */
		{ TUNNEL_COPY_DEFAULT, 0xb8, 0x2b, -(int)DP_DROP_ESP_ECN - 1 }, /* not ECN-capable inside */
		{ TUNNEL_COPY_DF, 0xb8, 0x2b, 0xb8 },               /* copy_ecn = no: the outer mark ignored */
		{ TUNNEL_COPY_ECN | TUNNEL_COPY_DSCP_IN, 0xba, 0x2b, 0x2b }, /* copy_dscp = in */
	};
	for (int a = 0; a < esp_algo_count; a += 3) {
		for (size_t i = 0; i < RTE_DIM(in); i++) {
			struct combo c = { a, true, i % 2 == 1, false };
			struct esp_sa *sa = make_sa_copying(&c, true, 0x2001, in[i].copy);
			uint8_t wire[2048];
			size_t n = ref_packet_tos(&c, 1, in[i].inner, in[i].outer, wire);
			CU_ASSERT_EQUAL(decrypted_tos(wire, n), in[i].want);
			drop_sa(sa);
		}
		struct combo c = { a, true, false, false };
		check_outer_copy(&c, TUNNEL_COPY_DEFAULT, 0xba, true);
		check_outer_copy(&c, 0, 0, false);
		check_outer_copy(&c, TUNNEL_COPY_DSCP_OUT | TUNNEL_COPY_DSCP_IN, 0xb8, false);
		check_outer_copy(&c, TUNNEL_COPY_ECN | TUNNEL_COPY_DF, 0x02, true);
	}
}

/* ---- transport mode behind a NAT: checksum fix-up (RFC 3948 3.1.2) ---- */

/* The textbook TCP/UDP checksum (RFC 768/793 pseudo-header), written out here as the reference. */
static uint16_t ref_l4_checksum(uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4, size_t len)
{
	uint64_t sum = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
	for (size_t i = 0; i < len; i++)
		sum += i % 2 ? l4[i] : (uint32_t)l4[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An IPv4 packet from src to dst whose L4 checksum was computed over csum_src/csum_dst. */
static size_t natt_packet(uint8_t *buf, uint8_t proto, uint32_t src, uint32_t dst, uint32_t csum_src,
			  uint32_t csum_dst, size_t payload)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
	size_t l4 = (proto == IPPROTO_TCP ? 20 : 8) + payload, len = sizeof(*ip) + l4;
	memset(buf, 0, len);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->next_proto_id = proto;
	ip->time_to_live = 64;
	ip->src_addr = rte_cpu_to_be_32(src);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	uint8_t *h = buf + sizeof(*ip);
	for (size_t i = 0; i < l4; i++)
		h[i] = (uint8_t)rand();
	size_t at = proto == IPPROTO_TCP ? 16 : 6;
	if (proto == IPPROTO_UDP) {
		h[4] = (uint8_t)(l4 >> 8);
		h[5] = (uint8_t)l4;
	}
	h[at] = h[at + 1] = 0;
	uint16_t c = ref_l4_checksum(csum_src, csum_dst, proto, h, l4);
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;
	h[at] = (uint8_t)(c >> 8);
	h[at + 1] = (uint8_t)c;
	return len;
}

static bool l4_checksum_valid(const uint8_t *buf, size_t len)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)buf;
	return ref_l4_checksum(rte_be_to_cpu_32(ip->src_addr), rte_be_to_cpu_32(ip->dst_addr), ip->next_proto_id,
			       buf + sizeof(*ip), len - sizeof(*ip)) == 0;
}

static void test_natt_checksum_fixup(void)
{
	uint8_t buf[1600];
	srand(7);
	for (int i = 0; i < 2000; i++) {
		uint8_t proto = i % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		uint32_t orig_src = (uint32_t)rand() << 1 ^ (uint32_t)rand(), orig_dst = (uint32_t)rand() * 7u;
		uint32_t seen_src = (uint32_t)rand() * 13u, seen_dst = i % 3 ? orig_dst : (uint32_t)rand();
		size_t len = natt_packet(buf, proto, seen_src, seen_dst, orig_src, orig_dst, (size_t)(rand() % 1400));
		bool was_valid = l4_checksum_valid(buf, len);
		natt_fix_l4_checksum((struct rte_ipv4_hdr *)buf, (uint32_t)len, true, natt_oa_adjust(orig_src, orig_dst));
		CU_ASSERT(l4_checksum_valid(buf, len));
		CU_ASSERT(was_valid || seen_src != orig_src || seen_dst != orig_dst);
	}
	/* without the original addresses: UDP checksum cleared, TCP recomputed */
	size_t len = natt_packet(buf, IPPROTO_UDP, 0xcb007107, 0xc0000202, 0x0a090001, 0xc0000202, 100);
	natt_fix_l4_checksum((struct rte_ipv4_hdr *)buf, (uint32_t)len, false, 0);
	CU_ASSERT(buf[20 + 6] == 0 && buf[20 + 7] == 0);
	len = natt_packet(buf, IPPROTO_TCP, 0xcb007107, 0xc0000202, 0x0a090001, 0xc0000202, 333);
	natt_fix_l4_checksum((struct rte_ipv4_hdr *)buf, (uint32_t)len, false, 0);
	CU_ASSERT(l4_checksum_valid(buf, len));
	/* a UDP datagram without a checksum keeps none */
	len = natt_packet(buf, IPPROTO_UDP, 0xcb007107, 0xc0000202, 0x0a090001, 0xc0000202, 10);
	buf[26] = buf[27] = 0;
	natt_fix_l4_checksum((struct rte_ipv4_hdr *)buf, (uint32_t)len, true, natt_oa_adjust(0x0a090001, 0xc0000202));
	CU_ASSERT(buf[26] == 0 && buf[27] == 0);
	/* later fragments and truncated headers are left alone */
	uint8_t copy[1600];
	len = natt_packet(buf, IPPROTO_TCP, 0xcb007107, 0xc0000202, 0x0a090001, 0xc0000202, 40);
	((struct rte_ipv4_hdr *)buf)->fragment_offset = rte_cpu_to_be_16(8);
	memcpy(copy, buf, len);
	natt_fix_l4_checksum((struct rte_ipv4_hdr *)buf, (uint32_t)len, true, natt_oa_adjust(0x0a090001, 0xc0000202));
	CU_ASSERT(memcmp(copy, buf, len) == 0);
	((struct rte_ipv4_hdr *)buf)->fragment_offset = 0;
	memcpy(copy, buf, len);
	natt_fix_l4_checksum((struct rte_ipv4_hdr *)buf, 20 + 19, true, natt_oa_adjust(0x0a090001, 0xc0000202));
	CU_ASSERT(memcmp(copy, buf, len) == 0);
}

void esp_suite_add(CU_pSuite s)
{
	CU_add_test(s, "known vectors (pyca/cryptography), both directions", test_known_vectors);
	CU_add_test(s, "ESP for an awaited SPI is set aside, then decrypts once its SA is in", test_awaited_spi);
	CU_add_test(s, "IPv4 header checksum, unrolled, equals DPDK's", test_ipv4_checksum);
	CU_add_test(s, "padding alignments are powers of two", test_pad_align_powers_of_two);
	CU_add_test(s, "transform names, spellings and IKE IDs", test_transform_names);
	CU_add_test(s, "outbound packets decrypt in an independent implementation", test_outbound_matches_reference);
	CU_add_test(s, "inbound packets from an independent implementation", test_inbound_from_reference);
	CU_add_test(s, "one burst through SAs of every transform, both ways", test_mixed_burst);
	CU_add_test(s, "GCM keys, compact and full: the code reads only the head an SA keeps", test_gcm_reads_its_head);
	CU_add_test(s, "compact GCM keys: packets match the reference both ways; auto: full keys for so many SAs, then compact",
		    test_gcm_compact_matches_reference);
	CU_add_test(s, "dpike's VAES GCM code matches OpenSSL: lengths, AADs, tags, nothing written past", test_gcm_vaes);
	CU_add_test(s, "GCM code: dpike's VAES code where IPsec-MB has only AVX2's, short texts beside its AVX-512 code, unless gcm_code = ipsec-mb",
		    test_gcm_code_choice);
	CU_add_test(s, "ESN across 2^32 both ways", test_esn_across_wrap);
	CU_add_test(s, "sequence space exhausted without ESN", test_sequence_exhausted_without_esn);
	CU_add_test(s, "bad ICV, SPI, truncation, replay, padding, selectors", test_bad_packets);
	CU_add_test(s, "inner selectors: by addresses alone where ports are any, else the 5-tuple", test_inner_selectors);
	CU_add_test(s, "replays, forgeries and late packets within one burst", test_replay_within_burst);
	CU_add_test(s, "next header checks", test_next_header_checks);
	CU_add_test(s, "UDP encapsulation must match the SA", test_wrong_encapsulation);
	CU_add_test(s, "two workers on one SA never reuse a sequence number; every packet charged",
		    test_shared_sa_sequence_numbers);
	CU_add_test(s, "two workers charging one inbound SA lose no packet or byte", test_shared_sa_charges);
	CU_add_test(s, "SAs owned by one worker and taken over by another: no sequence number lost or reused",
		    test_sas_taken_over);
	CU_add_test(s, "SAs owned and taken over while charged: no packet or byte lost", test_owned_charges);
	CU_add_test(s, "CBC IVs: AES-CTR key stream under each worker's own key, as OpenSSL makes it", test_cbc_ivs);
	CU_add_test(s, "soft and hard lifetimes", test_lifetime_events);
	CU_add_test(s, "NAT-T: authenticated ESP from a new endpoint told once; the SAs moved there", test_peer_moved);
	CU_add_test(s, "transport behind a NAT: TCP/UDP checksums fixed up", test_natt_checksum_fixup);
	CU_add_test(s, "RFC 6040 decapsulation: every pair of ECN codepoints", test_ecn_decap_table);
	CU_add_test(s, "tunnel TOS and DF: copy_dscp, copy_ecn, copy_df both ways", test_tunnel_copy);
}
