/* SPDX-License-Identifier: BSD-3-Clause */
#include "pairs.h"

#include <stdio.h>

#include "lib/tunnel_copy.h"

#define LAN "10.2.0.0/16"
#define OWNER_BASE 0x500000000ULL /* apart from the appliance's own (app/static_state.c, app/ike_glue.c) */

/* SplitMix64: a few multiplications per 8 bytes, the same in Python (gen_traffic.py). */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void bench_pair_key(uint32_t k, bool inbound, uint8_t *key, size_t len)
{
	uint64_t seed = ((uint64_t)k << 8 | (inbound ? 1 : 2)) << 8;
	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)(splitmix64(seed + i / 8) >> (8 * (i % 8)));
}

static int add_policies(const struct bench_pair *p, uint32_t k)
{
	struct dp_policy po = { .src = p->local, .dst = p->remote, .action = DP_POLICY_PROTECT, .sa = p->out };
	struct dp_policy pi = { .src = p->remote, .dst = p->local, .action = DP_POLICY_REQUIRE };
	po.priority = dp_policy_priority(&po.src, &po.dst, DP_RANK_SA);
	pi.priority = dp_policy_priority(&pi.src, &pi.dst, DP_RANK_SA);
	if (dp_policy_add(&po, p->owner) < 0 || dp_policy_add(&pi, p->owner) < 0) {
		fprintf(stderr, "SA pair %u: the SPD is full\n", k);
		return -1;
	}
	return 0;
}

static struct esp_sa *install_out(const struct bench_pair *p, const struct bench_pairs_spec *s, uint32_t spi,
				  uint32_t k)
{
	uint8_t key[ESP_MAX_KEY_LEN];
	char err[128];
	size_t len = (size_t)esp_algo_key_len(s->alg);
	if (len > sizeof(key))
		return NULL;
	bench_pair_key(k, false, key, len);
	struct esp_sa_params sp = { .spi = spi, .tunnel = true, .alg = s->alg, .key = key, .local = 0xc0000202,
				    .remote = 0xc0000201, .local_ts = &p->local, .n_local_ts = 1, .remote_ts = &p->remote,
				    .n_remote_ts = 1, .copy = TUNNEL_COPY_DEFAULT };
	struct esp_sa *sa = dp_sa_install(&sp, err, sizeof(err));
	if (sa == NULL)
		fprintf(stderr, "SA pair %u: %s\n", k, err);
	return sa;
}

int bench_pair_install(struct bench_pair *p, const struct bench_pairs_spec *s, uint32_t k)
{
	uint8_t key_in[ESP_MAX_KEY_LEN];
	char err[128];
	size_t len = (size_t)esp_algo_key_len(s->alg);
	if (!ts_parse(LAN, &p->local) || len > sizeof(key_in))
		return -1;
	bench_pair_key(k, true, key_in, len);
	p->remote = (struct traffic_selector){ .addr = s->remote_base + k, .mask = ~0u, .plen = 32, .port_hi = 65535 };
	struct esp_sa_params sp = { .spi = s->spi_in_base + k, .inbound = true, .tunnel = true, .alg = s->alg,
				    .key = key_in, .local = 0xc0000202, .remote = 0xc0000201,
				    .replay_window = s->replay_window, .local_ts = &p->local, .n_local_ts = 1,
				    .remote_ts = &p->remote, .n_remote_ts = 1, .copy = TUNNEL_COPY_DEFAULT };
	p->in = dp_sa_install(&sp, err, sizeof(err));
	if (p->in == NULL) {
		fprintf(stderr, "SA pair %u: %s\n", k, err);
		return -1;
	}
	p->out = install_out(p, s, s->spi_out_base + k, k);
	if (p->out == NULL) {
		dp_sa_remove(p->in);
		return -1;
	}
	p->owner = OWNER_BASE + k;
	return add_policies(p, k);
}

/* Pair k's outbound SA of a round: a fresh SPI each (the peer's choice in IKE; the SAD does not hold them). */
static struct esp_sa *next_out(const struct bench_pair *p, const struct bench_pairs_spec *s, uint32_t k,
			       uint32_t round)
{
	return install_out(p, s, s->spi_out_base + k + (round + 1) * (1u << 24), k);
}

#define NEXT_OWNER(owner) ((owner) + (1ULL << 40)) /* apart from every pair's first owner */

/*
 * As app/ike_glue.c activates a rekeyed child with the selectors of the old one: the policies
 * taken over in place (or, should the SPD refuse, the new policies first, then the old ones leave).
 */
int bench_pair_rekey(struct bench_pair *p, const struct bench_pairs_spec *s, uint32_t k, uint32_t round)
{
	struct bench_pair next = *p;
	next.out = next_out(p, s, k, round);
	next.owner = NEXT_OWNER(p->owner);
	if (next.out == NULL)
		return -1;
	bool in_place = dp_sa_supersede(p->out, next.out, p->owner, next.owner) == 0;
	if (!in_place && add_policies(&next, k) < 0) {
		dp_policy_remove_owner(next.owner);
		dp_sa_remove(next.out);
		return -1;
	}
	if (!in_place)
		dp_policy_remove_owner(p->owner);
	dp_sa_remove(p->out);
	*p = next;
	return 0;
}

int bench_pair_reconnect(struct bench_pair *p, const struct bench_pairs_spec *s, uint32_t k, uint32_t round)
{
	dp_policy_remove_owner(p->owner);
	if (p->out != NULL) /* a reconnect that failed left none */
		dp_sa_remove(p->out);
	p->owner = NEXT_OWNER(p->owner);
	p->out = next_out(p, s, k, round);
	return p->out != NULL ? add_policies(p, k) : -1;
}

void bench_pair_remove(struct bench_pair *p)
{
	dp_policy_remove_owner(p->owner);
	if (p->out != NULL) /* a reconnect that failed left none */
		dp_sa_remove(p->out);
	dp_sa_remove(p->in);
}
