/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv1 Mode Config (draft-dukes-ike-mode-cfg-02, as strongSwan, Cisco and Windows clients speak
 * it), over the Transaction exchange (transaction.c): pull (swanctl's pull = yes, the default),
 * the client sends REQUEST and the server REPLY; push (pull = no), the server sends SET unasked
 * and the client ACK. Either way before the client's first Quick Mode, whose selectors then name
 * its address. Addresses come from the connection's pools as IKEv2's do (pool.c); IPv6 and other
 * attributes go unanswered.
 */
#include "ike/pool.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "v1_sa.h"

static void put_ip4(struct ike_builder *b, uint16_t attr, uint32_t addr)
{
	uint8_t v[4] = { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr };
	v1_cfg_put(b, attr, v, addr ? 4 : 0);
}

static void log_address(const struct v1_sa *sa, const char *what, uint32_t addr)
{
	char ip[16];
	format_ipv4(addr, ip, sizeof(ip));
	LOG_INFO("%s: ISAKMP SA #%u: %s %s (Mode Config)", sa->conn->name, sa->serial, what, ip);
}

/* Server: an address for the peer from the connection's pools, kept by the SA; false when none. */
static bool lease(struct v1_sa *sa)
{
	if (sa->vip)
		return true;
	if (sa->conn->n_pools && ike_pool_lease(sa->d->v2->pools, sa->conn, &sa->id_remote, &sa->vip, &sa->vip_pool)) {
		log_address(sa, "virtual IP", sa->vip);
		return true;
	}
	LOG_WARN("%s: ISAKMP SA #%u: the peer wants an address and %s", sa->conn->name, sa->serial,
		 sa->conn->n_pools ? "its pools are full" : "the connection has no pools");
	return false;
}

static void put_lease(const struct v1_sa *sa, struct ike_builder *b, bool dns)
{
	put_ip4(b, V1CFG_IP4_ADDRESS, sa->vip);
	const struct cfg_pool *pool = &sa->d->cfg->pools[sa->vip_pool];
	for (int i = 0; dns && i < pool->n_dns; i++)
		put_ip4(b, V1CFG_IP4_DNS, pool->dns[i]);
}

void v1_mode_config_start(struct v1_sa *sa)
{
	if (!sa->conn->pull)
		return; /* the server sets it */
	struct v1_transaction *x = v1_transaction_new(sa, V1CFG_REQUEST, false);
	struct ike_builder b;
	if (x == NULL) {
		v1_setup_next(sa);
		return;
	}
	size_t at = v1_transaction_begin(sa, &b, x);
	put_ip4(&b, V1CFG_IP4_ADDRESS, sa->conn->vips[0]); /* 0.0.0.0: whichever; else a wish */
	v1_transaction_send(sa, x, &b, at);
}

void v1_mode_config_push(struct v1_sa *sa)
{
	if (sa->initiator || sa->conn->pull || sa->conn->n_pools == 0 || !lease(sa))
		return;
	struct v1_transaction *x = v1_transaction_new(sa, V1CFG_SET, false);
	struct ike_builder b;
	if (x == NULL)
		return;
	size_t at = v1_transaction_begin(sa, &b, x);
	put_lease(sa, &b, true);
	v1_transaction_send(sa, x, &b, at);
}

/* The peer's REQUEST (we serve) or SET (we are the client): answered under its message ID. */
void v1_mode_config_peer(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw,
			 const struct v1_cfg_attrs *a)
{
	if (sa->setup == V1_SETUP_XAUTH && !sa->initiator) {
		LOG_WARN("%s: ISAKMP SA #%u: Mode Config before XAuth; ignored", sa->conn->name, sa->serial);
		return;
	}
	struct v1_transaction *x = v1_transaction_answer(sa, m, raw, a, false);
	struct ike_builder b;
	if (x == NULL)
		return;
	size_t at = v1_transaction_begin(sa, &b, x);
	if (a->type == V1CFG_REQUEST && a->address && lease(sa)) {
		put_lease(sa, &b, a->dns);
	} else if (a->type == V1CFG_SET && a->addr && sa->conn->n_vips) {
		sa->own_vip = a->addr;
		log_address(sa, "our virtual IP", a->addr);
		put_ip4(&b, V1CFG_IP4_ADDRESS, 0); /* the ACK names what was taken */
	}
	v1_transaction_send(sa, x, &b, at);
	if (a->type == V1CFG_SET && sa->setup == V1_SETUP_MODE_CFG)
		v1_setup_next(sa);
}

/* The peer's REPLY to our REQUEST, or ACK of our SET. */
void v1_mode_config_answered(struct v1_sa *sa, struct v1_transaction *x, const struct v1_cfg_attrs *a)
{
	if (x->type == V1CFG_SET) {
		if (!a->address)
			LOG_WARN("%s: ISAKMP SA #%u: the peer did not take the address we set", sa->conn->name, sa->serial);
		return;
	}
	if (a->addr) {
		sa->own_vip = a->addr;
		log_address(sa, "our virtual IP", a->addr);
	} else {
		LOG_WARN("%s: ISAKMP SA #%u: the peer gave us no virtual IP", sa->conn->name, sa->serial);
	}
	if (sa->setup == V1_SETUP_MODE_CFG)
		v1_setup_next(sa);
}

void v1_mode_config_release(struct v1_sa *sa)
{
	if (sa->vip)
		ike_pool_release(sa->d->v2->pools, sa->vip_pool, sa->vip);
	sa->vip = 0;
}

void v1_mode_config_adopt(struct v1_sa *sa, const struct v1_sa *old)
{
	if (sa->vip || old->vip == 0)
		return;
	sa->vip = old->vip;
	sa->vip_pool = old->vip_pool;
	ike_pool_hold(sa->d->v2->pools, sa->vip_pool, sa->vip);
}

uint32_t v1_remote_dynamic(const struct v1_sa *sa)
{
	return sa->vip ? sa->vip : sa->remote.addr;
}

uint32_t v1_local_dynamic(const struct v1_sa *sa)
{
	return sa->own_vip ? sa->own_vip : sa->local.addr;
}
