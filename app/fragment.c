/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 fragmentation (RFC 791) of packets the workers found too big, done on the control core. */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "appliance.h"
#include "lib/log.h"

/* A fragment: header hdr (hdr_len bytes, options included) and len bytes of data at offset8. */
static struct rte_mbuf *make_fragment(struct appliance *app, const uint8_t *hdr, uint32_t hdr_len,
				      const uint8_t *data, uint32_t len, uint16_t offset8, bool more)
{
	struct rte_mbuf *f = rte_pktmbuf_alloc(app->pool);
	if (f == NULL)
		return NULL;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(f, (uint16_t)(hdr_len + len));
	if (p == NULL) {
		rte_pktmbuf_free(f);
		return NULL;
	}
	memcpy(p, hdr, hdr_len);
	memcpy(p + hdr_len, data, len);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hdr_len + len));
	ip->fragment_offset = rte_cpu_to_be_16((uint16_t)(offset8 | (more ? RTE_IPV4_HDR_MF_FLAG : 0)));
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	f->port = 0;
	return f;
}

#define OPT_END 0
#define OPT_NOP 1
#define OPT_COPIED 0x80

/*
 * The header of the fragments after the first (RFC 791 3.1): only the options whose copied flag
 * is set (security, source routes), padded to four bytes. Returns its length.
 */
static uint32_t later_header(const struct rte_ipv4_hdr *ip, uint32_t ihl, uint8_t out[RTE_IPV4_HDR_IHL_MASK * 4])
{
	const uint8_t *opt = (const uint8_t *)(ip + 1);
	uint32_t n = sizeof(*ip), olen = ihl - sizeof(*ip);
	memcpy(out, ip, sizeof(*ip));
	for (uint32_t i = 0; i < olen && opt[i] != OPT_END;) {
		if (opt[i] == OPT_NOP) {
			i++;
			continue;
		}
		uint32_t len = i + 1 < olen ? opt[i + 1] : 0;
		if (len < 2 || i + len > olen)
			break; /* a malformed option: what follows cannot be told apart */
		if (opt[i] & OPT_COPIED) {
			memcpy(out + n, opt + i, len);
			n += len;
		}
		i += len;
	}
	while (n % 4)
		out[n++] = OPT_END;
	out[0] = (uint8_t)(RTE_IPV4_VHL_DEF & 0xf0) | (uint8_t)(n / 4);
	return n;
}

void fragment_and_inject(struct appliance *app, struct rte_mbuf *m, uint16_t mtu, uint8_t kind)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t ihl = rte_ipv4_hdr_len(ip), len = rte_pktmbuf_pkt_len(m);
	uint16_t frag = rte_be_to_cpu_16(ip->fragment_offset);
	uint16_t base = frag & RTE_IPV4_HDR_OFFSET_MASK;
	bool orig_more = (frag & RTE_IPV4_HDR_MF_FLAG) != 0;
	uint8_t later[RTE_IPV4_HDR_IHL_MASK * 4];
	uint32_t later_len = later_header(ip, ihl, later);
	const uint8_t *hdr = (const uint8_t *)ip;
	uint32_t hdr_len = ihl;
	const uint8_t *payload = (const uint8_t *)ip + ihl;
	for (uint32_t off = 0; off < len - ihl;) {
		uint32_t chunk = mtu > hdr_len ? ((mtu - hdr_len) & ~7u) : 0;
		if (chunk == 0)
			break;
		uint32_t n = RTE_MIN(chunk, len - ihl - off);
		bool more = off + n < len - ihl || orig_more;
		struct rte_mbuf *f = make_fragment(app, hdr, hdr_len, payload + off, n, (uint16_t)(base + off / 8), more);
		if (f == NULL)
			break;
		app->cstats.fragments_made++;
		control_inject(app, f, kind, 0);
		off += n;
		hdr = later, hdr_len = later_len;
	}
	rte_pktmbuf_free(m);
}
