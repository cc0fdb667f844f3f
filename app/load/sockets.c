/* SPDX-License-Identifier: BSD-3-Clause */
/* The load generator's UDP ports: one socket per source port, and 4500 for SAs that float to it. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load.h"

#define NON_ESP_MARKER 4
#define RX_BATCH 64

struct load_sockets {
	uint32_t local;
	uint16_t base_port, n_ports;
	int epoll_fd;
	int fd[LOAD_MAX_PORTS + 1]; /* the last one is 4500 */
	uint64_t tx, rx, send_lost;
	uint8_t buf[RX_BATCH][8192];
};

static int bind_udp(uint32_t addr, uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr) };
	int big = 4 << 20;
	if (fd < 0)
		return -1;
	/* bursts of thousands of handshakes: let the kernel queue them rather than drop */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int port_of_slot(const struct load_sockets *s, int slot)
{
	return slot == s->n_ports ? IKE_NATT_PORT : s->base_port + slot;
}

struct load_sockets *load_sockets_open(uint32_t local, uint16_t base_port, uint16_t n_ports, char *err, size_t len)
{
	struct load_sockets *s = calloc(1, sizeof(*s));
	if (s == NULL || n_ports == 0 || n_ports > LOAD_MAX_PORTS || (s->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		snprintf(err, len, "cannot set up %u ports", n_ports);
		free(s);
		return NULL;
	}
	s->local = local;
	s->base_port = base_port;
	s->n_ports = n_ports;
	for (int i = 0; i <= n_ports; i++)
		s->fd[i] = -1;
	for (int i = 0; i <= n_ports; i++) {
		s->fd[i] = bind_udp(local, (uint16_t)port_of_slot(s, i));
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		if (s->fd[i] < 0 || epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->fd[i], &ev) < 0) {
			snprintf(err, len, "cannot bind UDP port %d: %s", port_of_slot(s, i), strerror(errno));
			load_sockets_close(s);
			return NULL;
		}
	}
	return s;
}

void load_sockets_close(struct load_sockets *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i <= s->n_ports; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	close(s->epoll_fd);
	free(s);
}

static int slot_of_port(const struct load_sockets *s, uint16_t port)
{
	if (port == IKE_NATT_PORT)
		return s->n_ports;
	if (port >= s->base_port && port < s->base_port + s->n_ports)
		return port - s->base_port;
	return -1;
}

void load_sockets_send(struct load_sockets *s, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		       const uint8_t *msg, size_t len)
{
	static const uint8_t marker[NON_ESP_MARKER];
	int slot = slot_of_port(s, local->port);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(remote->port),
				  .sin_addr.s_addr = htonl(remote->addr) };
	bool natt = local->port == IKE_NATT_PORT;
	struct iovec iov[2] = { { (void *)marker, natt ? NON_ESP_MARKER : 0 }, { (void *)msg, len } };
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = iov, .msg_iovlen = 2 };
	if (slot < 0)
		return;
	/* a full socket buffer loses the datagram, as the network might: IKE retransmits */
	if (sendmsg(s->fd[slot], &mh, 0) >= 0)
		s->tx++;
	else
		s->send_lost++;
}

/* Reads what one socket has queued, up to a batch, and hands it to the daemon. */
static unsigned drain(struct load_sockets *s, struct ike_daemon *d, int slot)
{
	struct mmsghdr mm[RX_BATCH];
	struct sockaddr_in from[RX_BATCH];
	struct iovec iov[RX_BATCH];
	for (int i = 0; i < RX_BATCH; i++) {
		iov[i] = (struct iovec){ s->buf[i], sizeof(s->buf[i]) };
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]), .msg_iov = &iov[i],
						 .msg_iovlen = 1 };
	}
	int n = recvmmsg(s->fd[slot], mm, RX_BATCH, MSG_DONTWAIT, NULL);
	struct ike_endpoint local = { s->local, (uint16_t)port_of_slot(s, slot) };
	for (int i = 0; i < n; i++) {
		const uint8_t *p = s->buf[i];
		size_t len = mm[i].msg_len;
		struct ike_endpoint remote = { ntohl(from[i].sin_addr.s_addr), ntohs(from[i].sin_port) };
		if (slot == s->n_ports) { /* 4500: IKE behind the non-ESP marker; anything else is not ours */
			static const uint8_t zero[NON_ESP_MARKER];
			if (len < NON_ESP_MARKER || memcmp(p, zero, NON_ESP_MARKER) != 0)
				continue;
			p += NON_ESP_MARKER;
			len -= NON_ESP_MARKER;
		}
		s->rx++;
		ike_input(d, &local, &remote, p, len);
	}
	return n > 0 ? (unsigned)n : 0;
}

unsigned load_sockets_poll(struct load_sockets *s, struct ike_daemon *d, int timeout_ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(s->epoll_fd, ev, 64, timeout_ms);
	unsigned got = 0;
	for (int i = 0; i < n; i++)
		got += drain(s, d, (int)ev[i].data.u32);
	ike_flush(d); /* the IKE_SA_INIT responses just read: their key exchanges together */
	return got;
}

uint64_t load_sockets_rx(const struct load_sockets *s)
{
	return s->rx;
}

uint64_t load_sockets_tx(const struct load_sockets *s)
{
	return s->tx;
}

uint64_t load_sockets_send_lost(const struct load_sockets *s)
{
	return s->send_lost;
}

uint32_t load_route_source(uint32_t dst)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(IKE_PORT), .sin_addr.s_addr = htonl(dst) };
	struct sockaddr_in me;
	socklen_t me_len = sizeof(me);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint32_t addr = 0;
	/* connect() on UDP sends nothing; it only picks the route and source address */
	if (fd >= 0 && connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &me_len) == 0)
		addr = ntohl(me.sin_addr.s_addr);
	if (fd >= 0)
		close(fd);
	return addr;
}
