/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic for the appliance itself: ICMP echo (RFC 792) and the ICMP errors the
 * workers ask for (time exceeded, fragmentation needed, RFC 1191). IKE plugs in here.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "appliance.h"
#include "dataplane/pkt_meta.h"
#include "lib/log.h"
#include "lib/wire.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_UNREACH 3
#define ICMP_PORT_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_HDR_LEN 8
#define IKE_PORT 500
#define NATT_PORT 4500
#define ERRORS_PER_SECOND 100

static uint16_t inet_cksum(const void *data, size_t len)
{
	return (uint16_t)~rte_raw_cksum(data, len);
}

static void finish_ip(struct rte_ipv4_hdr *ip)
{
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static bool answer_echo(struct appliance *app, struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	uint32_t len = rte_pktmbuf_pkt_len(m) - ihl;
	uint8_t *icmp = (uint8_t *)ip + ihl;
	if (len < ICMP_HDR_LEN || icmp[0] != ICMP_ECHO_REQUEST || inet_cksum(icmp, len) != 0)
		return false;
	uint32_t dst = rte_be_to_cpu_32(ip->dst_addr);
	if (!dp_is_local(dst))
		return false; /* no answers to broadcast echo */
	icmp[0] = ICMP_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	uint16_t c = inet_cksum(icmp, len);
	memcpy(icmp + 2, &c, 2);
	ip->dst_addr = ip->src_addr;
	ip->src_addr = rte_cpu_to_be_32(dst);
	ip->time_to_live = 64;
	ip->fragment_offset = 0;
	finish_ip(ip);
	app->cstats.icmp_echo_replies++;
	control_inject(app, m, DP_INJECT_LOCAL, 0);
	return true;
}

static bool is_ike(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	struct wire_reader r;
	if (ip->next_proto_id != IPPROTO_UDP)
		return false;
	wire_reader_init(&r, (const uint8_t *)ip + ihl, rte_pktmbuf_pkt_len(m) - ihl);
	wire_skip(&r, 2);
	uint16_t dport = wire_get_be16(&r);
	return wire_ok(&r) && (dport == IKE_PORT || dport == NATT_PORT);
}

/*
 * No UDP service besides IKE: a datagram for another port gets port unreachable (what
 * traceroute to the appliance expects), once its checksum holds (RFC 1122 4.1.3.4).
 */
static void refuse_udp(struct appliance *app, struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
	if (len < ihl + sizeof(*u) || rte_be_to_cpu_16(ip->total_length) > len ||
	    (u->dgram_cksum != 0 && rte_ipv4_udptcp_cksum_verify(ip, u) != 0)) {
		app->cstats.udp_bad_checksum++;
		rte_pktmbuf_free(m);
		return;
	}
	app->cstats.udp_port_unreachable++;
	icmp_send_error(app, m, ICMP_UNREACH, ICMP_PORT_UNREACH, 0);
}

void icmp_handle_local(struct appliance *app, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t ihl = rte_ipv4_hdr_len(ip);
	bool fragment = (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) != 0;
	if (!fragment && ip->next_proto_id == IPPROTO_ICMP && answer_echo(app, m, ip, ihl))
		return;
	if (!fragment && is_ike(m, ip, ihl)) {
		app->cstats.ike_packets++;
		ike_glue_input(app, m);
	} else if (!fragment && ip->next_proto_id == IPPROTO_UDP && dp_is_local(rte_be_to_cpu_32(ip->dst_addr))) {
		refuse_udp(app, m, ip, ihl);
		return;
	} else {
		app->cstats.local_unhandled++;
	}
	rte_pktmbuf_free(m);
}

static bool ratelimit_ok(void)
{
	static uint64_t window_ms;
	static unsigned sent;
	uint64_t now = app_now_ms();
	if (now - window_ms >= 1000) {
		window_ms = now;
		sent = 0;
	}
	return sent++ < ERRORS_PER_SECOND;
}

/* RFC 1812 4.3.2.7: no errors about errors, fragments after the first, or non-unicast sources. */
static bool may_answer(const struct rte_ipv4_hdr *ip, uint32_t ihl, uint32_t len)
{
	uint32_t src = rte_be_to_cpu_32(ip->src_addr);
	if (src == 0 || src == 0xffffffff || (src >> 28) == 0xe)
		return false;
	if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK))
		return false;
	if (ip->next_proto_id == IPPROTO_ICMP && len > ihl) {
		uint8_t type = ((const uint8_t *)ip)[ihl];
		return type == ICMP_ECHO_REQUEST || type == ICMP_ECHO_REPLY;
	}
	return true;
}

void icmp_send_error(struct appliance *app, struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t mtu)
{
	const struct rte_ipv4_hdr *orig = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t ihl = rte_ipv4_hdr_len(orig), len = rte_pktmbuf_pkt_len(m);
	const struct app_port *in = port_by_id(app, m->port);
	struct rte_mbuf *e = NULL;
	if (in == NULL || !may_answer(orig, ihl, len) || !ratelimit_ok() || (e = rte_pktmbuf_alloc(app->pool)) == NULL) {
		app->cstats.icmp_errors_ratelimited++;
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t quoted = RTE_MIN(len, ihl + 8);
	uint32_t total = sizeof(struct rte_ipv4_hdr) + ICMP_HDR_LEN + quoted;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(e, (uint16_t)total);
	if (ip == NULL) {
		rte_pktmbuf_free(e);
		rte_pktmbuf_free(m);
		return;
	}
	memset(ip, 0, sizeof(*ip) + ICMP_HDR_LEN);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)total);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(in->addr);
	ip->dst_addr = orig->src_addr;
	finish_ip(ip);
	uint8_t *icmp = (uint8_t *)(ip + 1);
	icmp[0] = type;
	icmp[1] = code;
	if (type == ICMP_UNREACH) {
		icmp[6] = (uint8_t)(mtu >> 8);
		icmp[7] = (uint8_t)mtu;
	}
	memcpy(icmp + ICMP_HDR_LEN, orig, quoted);
	uint16_t c = inet_cksum(icmp, ICMP_HDR_LEN + quoted);
	memcpy(icmp + 2, &c, 2);
	rte_pktmbuf_free(m);
	app->cstats.icmp_errors_out++;
	control_inject(app, e, DP_INJECT_LOCAL, 0);
}
