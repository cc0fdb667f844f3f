/* SPDX-License-Identifier: BSD-3-Clause */
/* Creates the configured DPDK ports (vdevs from the config, or probed PCI devices) and starts them. */
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "appliance.h"
#include "lib/log.h"

#define RX_DESC 1024
#define TX_DESC 1024

/*
 * net_af_packet's socket joins a fanout group with the defragment flag (always, in DPDK 22.11),
 * so the kernel hands it IP fragments reassembled: a 3,000-byte ping through the tunnel arrives
 * as one 3,028-byte frame. Its default 2,048-byte ring frames cut such a datagram short; dpike
 * gives its rings frames of AFP_FRAME bytes, and their queues buffers that hold one.
 */
#define AFP_FRAME 16384
#define AFP_BUFFERS 2048
#define AFP_FRAME_OVERHEAD 32 /* TPACKET2_HDRLEN less the sockaddr_ll: what the PMD reserves of a frame */

static bool is_af_packet(const struct cfg_interface *ci)
{
	return strncmp(ci->device, "net_af_packet", 13) == 0;
}

static void add_arg(char *out, size_t len, const char *fmt, unsigned v)
{
	size_t at = strlen(out);
	snprintf(out + at, len - at, "%s", at ? "," : "");
	at = strlen(out);
	snprintf(out + at, len - at, fmt, v);
}

/* Multi-queue af_packet needs as many queue pairs as workers, and no idle extras; and big frames. */
static void device_args(const struct cfg_interface *ci, unsigned n_workers, char *out, size_t len)
{
	snprintf(out, len, "%s", ci->args);
	if (!is_af_packet(ci))
		return;
	if (strstr(ci->args, "qpairs") == NULL && n_workers > 1)
		add_arg(out, len, "qpairs=%u", n_workers);
	if (strstr(ci->args, "framesz") == NULL && strstr(ci->args, "blocksz") == NULL) {
		add_arg(out, len, "blocksz=%u", AFP_FRAME);
		add_arg(out, len, "framesz=%u", AFP_FRAME);
	}
}

/* The receive buffers of af_packet ports: one frame each, whatever framesz the args chose. */
static struct rte_mempool *rx_pool(struct appliance *app, const struct cfg_interface *ci)
{
	if (!is_af_packet(ci))
		return app->pool;
	if (app->afp_pool == NULL)
		app->afp_pool = rte_pktmbuf_pool_create("afp_mbufs", AFP_BUFFERS, 256, 0,
							AFP_FRAME - AFP_FRAME_OVERHEAD + RTE_PKTMBUF_HEADROOM,
							(int)rte_socket_id());
	return app->afp_pool;
}

static int find_or_create(const struct cfg_interface *ci, unsigned n_workers, uint16_t *port_id)
{
	if (rte_eth_dev_get_port_by_name(ci->device, port_id) == 0)
		return 0; /* a PCI device (or vdev from --vdev) the EAL already probed */
	char args[512], spec[600];
	device_args(ci, n_workers, args, sizeof(args));
	snprintf(spec, sizeof(spec), "%s%s%s", ci->device, args[0] ? "," : "", args);
	if (rte_dev_probe(spec) != 0) {
		LOG_ERR("interface %s: cannot create device %s with args \"%s\"", ci->name, ci->device, args);
		return -1;
	}
	if (rte_eth_dev_get_port_by_name(ci->device, port_id) != 0) {
		LOG_ERR("interface %s: device %s is not an Ethernet port", ci->name, ci->device);
		return -1;
	}
	return 0;
}

static int setup_queues(struct appliance *app, struct app_port *p, const struct rte_eth_dev_info *info,
			struct rte_mempool *pool)
{
	uint16_t rxd = RX_DESC, txd = TX_DESC;
	int sock = rte_eth_dev_socket_id(p->port_id);
	if (sock < 0)
		sock = 0;
	if (rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd) != 0)
		return -1;
	for (uint16_t q = 0; q < p->rx_queues; q++)
		if (rte_eth_rx_queue_setup(p->port_id, q, rxd, (unsigned)sock, NULL, pool) != 0)
			return -1;
	for (uint16_t q = 0; q < app->n_workers; q++)
		if (rte_eth_tx_queue_setup(p->port_id, q, txd, (unsigned)sock, &info->default_txconf) != 0)
			return -1;
	return 0;
}

static int configure_port(struct appliance *app, struct app_port *p, struct rte_mempool *pool)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_info_get(p->port_id, &info) != 0)
		return -1;
	if (info.max_tx_queues < app->n_workers) {
		LOG_ERR("interface %s: %u workers need %u TX queues, the device has %u (use fewer lcores)", p->name,
			app->n_workers, app->n_workers, info.max_tx_queues);
		return -1;
	}
	p->rx_queues = (uint16_t)RTE_MIN(app->n_workers, info.max_rx_queues);
	if (p->rx_queues > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	}
	if (pool == NULL) {
		LOG_ERR("interface %s: cannot allocate its receive buffers (raise -m?)", p->name);
		return -1;
	}
	if (rte_eth_dev_configure(p->port_id, p->rx_queues, (uint16_t)app->n_workers, &conf) != 0 ||
	    setup_queues(app, p, &info, pool) != 0) {
		LOG_ERR("interface %s: cannot configure %u RX / %u TX queues", p->name, p->rx_queues, app->n_workers);
		return -1;
	}
	rte_eth_dev_set_mtu(p->port_id, p->mtu); /* best effort: virtual devices may refuse */
	rte_eth_promiscuous_enable(p->port_id);
	rte_eth_macaddr_get(p->port_id, &p->mac);
	if (rte_eth_dev_start(p->port_id) != 0) {
		LOG_ERR("interface %s: cannot start the device", p->name);
		return -1;
	}
	return 0;
}

int ports_init(struct appliance *app)
{
	struct dp_port_info info[DP_MAX_PORTS];
	uint16_t max_id = 0;
	memset(info, 0, sizeof(info));
	for (int i = 0; i < app->cfg.n_ifaces; i++) {
		const struct cfg_interface *ci = &app->cfg.ifaces[i];
		struct app_port *p = &app->ports[i];
		snprintf(p->name, sizeof(p->name), "%s", ci->name);
		p->addr = ci->addr;
		p->plen = ci->plen;
		p->mtu = ci->mtu;
		if (find_or_create(ci, app->n_workers, &p->port_id) < 0)
			return -1;
		if (p->port_id >= DP_MAX_PORTS) {
			LOG_ERR("interface %s: DPDK port %u is beyond the %d supported", ci->name, p->port_id, DP_MAX_PORTS);
			return -1;
		}
		app->n_ports++;
		if (configure_port(app, p, rx_pool(app, ci)) < 0)
			return -1;
		info[p->port_id] = (struct dp_port_info){ .mac = p->mac, .mtu = p->mtu, .addr = p->addr };
		max_id = RTE_MAX(max_id, (uint16_t)(p->port_id + 1));
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		LOG_INFO("interface %s: port %u (%s), mac %s, %u RX queue(s), mtu %u", p->name, p->port_id, ci->device,
			 mac, p->rx_queues, p->mtu);
	}
	for (unsigned w = 0; w < app->n_workers; w++) {
		app->workers[w].n_ports = max_id;
		for (uint16_t i = 0; i < app->n_ports; i++)
			app->workers[w].poll_rx[app->ports[i].port_id] = w < app->ports[i].rx_queues;
	}
	dp_fib_set_ports(info, max_id);
	return 0;
}

void ports_stop(struct appliance *app)
{
	for (uint16_t i = 0; i < app->n_ports; i++) {
		rte_eth_dev_stop(app->ports[i].port_id);
		rte_eth_dev_close(app->ports[i].port_id); /* flushes pcap outputs */
	}
	app->n_ports = 0;
}

const struct app_port *port_by_id(const struct appliance *app, uint16_t port_id)
{
	for (uint16_t i = 0; i < app->n_ports; i++)
		if (app->ports[i].port_id == port_id)
			return &app->ports[i];
	return NULL;
}
