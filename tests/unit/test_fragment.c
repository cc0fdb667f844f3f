/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 fragmentation on a worker (dataplane/fragment.c): the pieces reassemble to the packet;
 * and reassembly of datagrams to us (dataplane/reassembly.c): any order, drops counted, bounded.
 */
#include <string.h>

#include <CUnit/CUnit.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dataplane/fragment.h"
#include "dataplane/pkt.h"
#include "dataplane/pkt_meta.h"
#include "dataplane/reassembly.h"
#include "unit.h"

static struct rte_mempool *pool;

int fragment_suite_init(void)
{
	pool = rte_pktmbuf_pool_create("unit_frag", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return pool && dp_meta_register() >= 0 ? 0 : -1;
}

int fragment_suite_clean(void)
{
	rte_mempool_free(pool);
	return 0;
}

/* An IPv4 packet of len bytes (header first) whose payload bytes count up from seed. */
static struct rte_mbuf *packet(uint32_t len, uint16_t frag_field, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	*ip = (struct rte_ipv4_hdr){ .version_ihl = 0x45, .total_length = rte_cpu_to_be_16((uint16_t)len),
				     .packet_id = rte_cpu_to_be_16(0x4242), .fragment_offset = rte_cpu_to_be_16(frag_field),
				     .time_to_live = 63, .next_proto_id = IPPROTO_UDP,
				     .src_addr = rte_cpu_to_be_32(0x0a020005), .dst_addr = rte_cpu_to_be_32(0x0a010009) };
	for (uint32_t i = sizeof(*ip); i < len; i++)
		p[i] = (uint8_t)(seed + i);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	dp_meta(m)->port = 3;
	return m;
}

static bool cut(struct rte_mbuf *m, uint32_t mtu, struct rte_mbuf *frags[], unsigned *n)
{
	struct rte_mbuf *fresh[DP_FRAG_MAX];
	*n = dp_fragment_count(m, mtu);
	return *n >= 2 && dp_fragment_buffers(pool, fresh, *n - 1) == 0 && dp_fragment(m, mtu, *n, fresh, frags);
}

/*
 * Checks the pieces as a receiver would (RFC 791): each header valid and within mtu, offsets
 * contiguous in 8-byte units, MF on all but the last (and on that too when more_after), the
 * original header's identity kept, and the payloads together the original payload.
 */
static void check_pieces(struct rte_mbuf *frags[], unsigned n, uint32_t mtu, const uint8_t *payload,
			 uint32_t payload_len, uint16_t first_offset8, bool more_after)
{
	uint32_t at = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(frags[i], const struct rte_ipv4_hdr *);
		uint32_t len = rte_pktmbuf_pkt_len(frags[i]);
		uint16_t field = rte_be_to_cpu_16(ip->fragment_offset);
		CU_ASSERT(len <= mtu && rte_be_to_cpu_16(ip->total_length) == len);
		CU_ASSERT(rte_ipv4_cksum(ip) == 0 || rte_raw_cksum(ip, sizeof(*ip)) == 0xffff);
		CU_ASSERT((field & RTE_IPV4_HDR_OFFSET_MASK) == first_offset8 + at / 8);
		CU_ASSERT(((field & RTE_IPV4_HDR_MF_FLAG) != 0) == (i + 1 < n || more_after));
		CU_ASSERT(ip->packet_id == rte_cpu_to_be_16(0x4242) && ip->next_proto_id == IPPROTO_UDP &&
			  ip->src_addr == rte_cpu_to_be_32(0x0a020005) && ip->time_to_live == 63);
		CU_ASSERT(i + 1 == n || (len - sizeof(*ip)) % 8 == 0);
		CU_ASSERT(dp_meta(frags[i])->port == 3);
		uint32_t piece = len - sizeof(*ip);
		CU_ASSERT_FATAL(at + piece <= payload_len);
		CU_ASSERT(memcmp((const uint8_t *)(ip + 1), payload + at, piece) == 0);
		at += piece;
	}
	CU_ASSERT(at == payload_len);
}

static void test_pieces_reassemble(void)
{
	static const uint32_t sizes[][2] = { { 1486, 1443 }, { 1500, 1280 }, { 1481, 1480 }, { 9000, 1500 },
					     { 600, 100 }, { 29, 28 } };
	for (size_t t = 0; t < sizeof(sizes) / sizeof(sizes[0]); t++) {
		uint32_t len = sizes[t][0], mtu = sizes[t][1];
		if (len > RTE_MBUF_DEFAULT_DATAROOM)
			continue; /* a jumbo frame needs a bigger buffer than this pool's */
		struct rte_mbuf *m = packet(len, 0, (uint8_t)t), *frags[DP_FRAG_MAX];
		uint8_t orig[2048];
		memcpy(orig, rte_pktmbuf_mtod_offset(m, uint8_t *, 20), len - 20);
		unsigned n;
		unsigned want = (len - 20 + ((mtu - 20) & ~7u) - 1) / ((mtu - 20) & ~7u);
		if (want > DP_FRAG_MAX) {
			CU_ASSERT(dp_fragment_count(m, mtu) == 0);
			rte_pktmbuf_free(m);
			continue;
		}
		CU_ASSERT_FATAL(cut(m, mtu, frags, &n));
		CU_ASSERT(n == want && frags[0] == m);
		check_pieces(frags, n, mtu, orig, len - 20, 0, false);
		for (unsigned i = 0; i < n; i++)
			rte_pktmbuf_free(frags[i]);
	}
}

/* A fragment cut again: its pieces start at its offset, and its MF stays on the last one. */
static void test_fragment_of_fragment(void)
{
	struct rte_mbuf *m = packet(1420, RTE_IPV4_HDR_MF_FLAG | 185, 7), *frags[DP_FRAG_MAX];
	uint8_t orig[2048];
	memcpy(orig, rte_pktmbuf_mtod_offset(m, uint8_t *, 20), 1400);
	unsigned n;
	CU_ASSERT_FATAL(cut(m, 576, frags, &n));
	CU_ASSERT(n == 3);
	check_pieces(frags, n, 576, orig, 1400, 185, true);
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(frags[i]);
}

/* Left whole: it fits, options in the header, an MTU with no room for 8 bytes, too many pieces. */
static void test_left_whole(void)
{
	struct rte_mbuf *m = packet(1400, 0, 1);
	CU_ASSERT(dp_fragment_count(m, 1400) == 0);
	CU_ASSERT(dp_fragment_count(m, 27) == 0);
	CU_ASSERT(dp_fragment_count(m, 68) == 0); /* 48 bytes a piece: 29 of them */
	CU_ASSERT(dp_fragment_count(m, 200) == 8);
	rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->version_ihl = 0x46;
	CU_ASSERT(dp_fragment_count(m, 1000) == 0);
	rte_pktmbuf_free(m);
}

/* Buffers too small for their piece: nothing changes and the caller keeps the packet. */
static void test_no_room_changes_nothing(void)
{
	struct rte_mbuf *m = packet(1486, 0, 3), *fresh[1], *frags[DP_FRAG_MAX];
	uint8_t before[1486];
	memcpy(before, rte_pktmbuf_mtod(m, uint8_t *), sizeof(before));
	CU_ASSERT_FATAL(dp_fragment_count(m, 800) == 2 && dp_fragment_buffers(pool, fresh, 1) == 0);
	rte_pktmbuf_append(fresh[0], (uint16_t)rte_pktmbuf_tailroom(fresh[0]) - 100); /* leave 100 bytes */
	CU_ASSERT(!dp_fragment(m, 800, 2, fresh, frags));
	CU_ASSERT(rte_pktmbuf_pkt_len(m) == 1486 && memcmp(rte_pktmbuf_mtod(m, uint8_t *), before, sizeof(before)) == 0);
	rte_pktmbuf_free(fresh[0]);
	rte_pktmbuf_free(m);
}

void fragment_suite_add(CU_pSuite s)
{
	CU_add_test(s, "pieces reassemble to the packet, offsets and MF as RFC 791 has them", test_pieces_reassemble);
	CU_add_test(s, "a fragment cut again keeps its offset and its MF", test_fragment_of_fragment);
	CU_add_test(s, "left whole where it cannot be cut here", test_left_whole);
	CU_add_test(s, "buffers too small: the packet unchanged", test_no_room_changes_nothing);
}

/* ---- reassembly ---- */

static struct dp_reassembly reasm;
static struct dp_worker_stats rstats;

int reassembly_suite_init(void)
{
	return fragment_suite_init() == 0 && dp_reassembly_init(&reasm, 250, 0, DP_REASM_DATAGRAMS * RTE_LIBRTE_IP_FRAG_MAX_FRAG) == 0 ? 0 : -1;
}

int reassembly_suite_clean(void)
{
	dp_reassembly_fini(&reasm);
	return fragment_suite_clean();
}

/* Payload bytes [at, at + len) of datagram id, whose payload counts up from seed as packet()'s. */
static struct rte_mbuf *piece(uint16_t id, uint32_t at, uint32_t len, bool more, uint8_t seed)
{
	struct rte_mbuf *m = packet(20 + len, (uint16_t)((more ? RTE_IPV4_HDR_MF_FLAG : 0) | at / 8), (uint8_t)(seed + at));
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

/* The whole datagram: one segment, a valid header that is no fragment, the payload in order. */
static void check_whole(struct rte_mbuf *m, uint32_t payload_len, uint8_t seed)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_FATAL(rte_pktmbuf_is_contiguous(m) && rte_pktmbuf_pkt_len(m) == 20 + payload_len);
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	CU_ASSERT(rte_be_to_cpu_16(ip->total_length) == 20 + payload_len && ip->fragment_offset == 0);
	CU_ASSERT(rte_raw_cksum(ip, sizeof(*ip)) == 0xffff);
	const uint8_t *p = (const uint8_t *)(ip + 1);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < payload_len; i++)
		bad += p[i] != (uint8_t)(seed + 20 + i);
	CU_ASSERT(bad == 0);
}

static uint64_t reasm_drops(void)
{
	return rstats.drops[DP_DROP_REASSEMBLY];
}

/*
 * Three pieces in every order: the datagram (4,000 bytes, more than a port buffer holds) comes
 * back in one big buffer; a small one is put together in its first fragment's buffer.
 */
static void test_reassembled_in_any_order(void)
{
	static const unsigned orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 }, { 2, 0, 1 } };
	const uint32_t at[3] = { 0, 1480, 2960 }, len[3] = { 1480, 1480, 1040 };
	unsigned avail = rte_mempool_avail_count(pool);
	for (size_t o = 0; o < RTE_DIM(orders); o++) {
		struct rte_mbuf *whole = NULL;
		for (unsigned k = 0; k < 3; k++) {
			unsigned i = orders[o][k];
			struct rte_mbuf *m = piece((uint16_t)(100 + o), at[i], len[i], i < 2, (uint8_t)o);
			struct rte_mbuf *got = dp_reassemble(&reasm, m, rte_rdtsc(), &rstats);
			CU_ASSERT((got != NULL) == (k == 2));
			if (got)
				whole = got;
		}
		check_whole(whole, 4000, (uint8_t)o);
		CU_ASSERT(whole != NULL && whole->pool == reasm.big);
		rte_pktmbuf_free(whole);
	}
	struct rte_mbuf *second = piece(7, 504, 496, false, 9);
	CU_ASSERT(dp_reassemble(&reasm, second, rte_rdtsc(), &rstats) == NULL);
	struct rte_mbuf *whole = dp_reassemble(&reasm, piece(7, 0, 504, true, 9), rte_rdtsc(), &rstats);
	check_whole(whole, 1000, 9);
	CU_ASSERT(whole != NULL && whole->pool == pool);
	rte_pktmbuf_free(whole);
	CU_ASSERT(reasm_drops() == 0 && rte_mempool_avail_count(pool) == avail);
	CU_ASSERT(rte_mempool_full(reasm.big));
}

/* A first fragment twice, and more pieces than a datagram may have: all of them dropped, counted. */
static void test_bad_datagrams_dropped(void)
{
	unsigned avail = rte_mempool_avail_count(pool);
	uint64_t before = reasm_drops(), now = rte_rdtsc();
	CU_ASSERT(dp_reassemble(&reasm, piece(20, 0, 512, true, 1), now, &rstats) == NULL);
	CU_ASSERT(dp_reassemble(&reasm, piece(20, 0, 512, true, 1), now, &rstats) == NULL);
	CU_ASSERT(dp_reassemble(&reasm, piece(20, 512, 100, false, 1), now, &rstats) == NULL);
	CU_ASSERT(reasm_drops() == before + 2); /* the last piece waits alone for a first one */
	for (unsigned i = 0; i <= RTE_LIBRTE_IP_FRAG_MAX_FRAG; i++)
		CU_ASSERT(dp_reassemble(&reasm, piece(21, i * 8, 8, i < RTE_LIBRTE_IP_FRAG_MAX_FRAG, 2), now, &rstats) == NULL);
	CU_ASSERT(reasm_drops() >= before + 2 + RTE_LIBRTE_IP_FRAG_MAX_FRAG);
	dp_reassembly_expire(&reasm, now + reasm.timeout + rte_get_tsc_hz(), &rstats);
	CU_ASSERT(reasm_drops() == before + 3 + RTE_LIBRTE_IP_FRAG_MAX_FRAG + 1);
	CU_ASSERT(rte_mempool_avail_count(pool) == avail);
}

/*
 * A flood of first fragments that never complete: the table keeps at most its datagrams, drops
 * the rest at once, and gives every buffer back when they time out; then it stops looking.
 */
static void test_flood_bounded_and_expired(void)
{
	unsigned avail = rte_mempool_avail_count(pool), n = DP_REASM_DATAGRAMS + 100;
	uint64_t before = reasm_drops(), now = rte_rdtsc();
	for (unsigned i = 0; i < n; i++)
		CU_ASSERT(dp_reassemble(&reasm, piece((uint16_t)(1000 + i), 0, 64, true, 3), now, &rstats) == NULL);
	CU_ASSERT(reasm_drops() - before >= n - DP_REASM_DATAGRAMS);
	CU_ASSERT(avail - rte_mempool_avail_count(pool) <= DP_REASM_DATAGRAMS);
	CU_ASSERT(reasm.next_sweep != 0);
	dp_reassembly_expire(&reasm, now + reasm.timeout / 2, &rstats); /* not yet */
	CU_ASSERT(rte_mempool_avail_count(pool) < avail);
	dp_reassembly_expire(&reasm, now + reasm.timeout + rte_get_tsc_hz(), &rstats);
	CU_ASSERT(reasm_drops() - before == n && rte_mempool_avail_count(pool) == avail);
	CU_ASSERT(reasm.next_sweep == 0);
	/* The table takes datagrams again. */
	CU_ASSERT(dp_reassemble(&reasm, piece(5, 8, 8, false, 4), rte_rdtsc(), &rstats) == NULL);
	check_whole(dp_reassemble(&reasm, piece(5, 0, 8, true, 4), rte_rdtsc(), &rstats), 16, 4);
}

/* A table sized for few buffers (many workers, a small pool) holds that few datagrams. */
static void test_small_table(void)
{
	struct dp_reassembly small;
	struct dp_worker_stats s = { 0 };
	unsigned avail = rte_mempool_avail_count(pool);
	CU_ASSERT_FATAL(dp_reassembly_init(&small, 251, 0, 20 * RTE_LIBRTE_IP_FRAG_MAX_FRAG) == 0);
	uint64_t now = rte_rdtsc();
	for (unsigned i = 0; i < 40; i++)
		CU_ASSERT(dp_reassemble(&small, piece((uint16_t)(2000 + i), 0, 64, true, 5), now, &s) == NULL);
	CU_ASSERT(s.drops[DP_DROP_REASSEMBLY] >= 20 && avail - rte_mempool_avail_count(pool) <= 20);
	dp_reassembly_fini(&small); /* frees what it held */
	CU_ASSERT(rte_mempool_avail_count(pool) == avail);
}

/* A worker set up without a table drops fragments to us, counted, and keeps nothing. */
static void test_no_table(void)
{
	struct dp_reassembly none = { 0 };
	struct dp_worker_stats s = { 0 };
	unsigned avail = rte_mempool_avail_count(pool);
	CU_ASSERT(dp_reassemble(&none, piece(1, 0, 8, true, 0), rte_rdtsc(), &s) == NULL);
	CU_ASSERT(s.drops[DP_DROP_REASSEMBLY] == 1 && none.next_sweep == 0 && rte_mempool_avail_count(pool) == avail);
}

void reassembly_suite_add(CU_pSuite s)
{
	CU_add_test(s, "pieces in any order: one datagram, in one segment, header fixed", test_reassembled_in_any_order);
	CU_add_test(s, "a repeated first piece, too many pieces: dropped and counted", test_bad_datagrams_dropped);
	CU_add_test(s, "a flood of pieces: bounded, timed out, every buffer back", test_flood_bounded_and_expired);
	CU_add_test(s, "a table for few buffers holds few datagrams; freed with what it holds", test_small_table);
	CU_add_test(s, "no table: dropped and counted", test_no_table);
}
