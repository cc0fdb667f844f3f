/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SA pairs for the benchmarks, installed through the control core's table API the way an IKE
 * child is: inbound SA, outbound SA, a PROTECT and a REQUIRE policy. Pair k joins the LAN
 * 10.2.0.0/16 with a remote host of its own, in tunnel mode between 192.0.2.2 and 192.0.2.1.
 * Keys are derived from k (bench_pair_key(), mirrored by tests/bench/gen_traffic.py) so that
 * a traffic generator can make packets for a million SAs without being told a million keys.
 */
#ifndef DPIKE_BENCH_PAIRS_H
#define DPIKE_BENCH_PAIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/tables.h"

struct bench_pairs_spec {
	const struct esp_algo *alg;
	uint32_t remote_base;             /* pair k's remote host: remote_base + k */
	uint32_t spi_in_base, spi_out_base; /* pair k's SPIs: base + k */
	uint32_t replay_window;           /* 0: off (a replayed capture repeats sequence numbers) */
};

struct bench_pair {
	struct esp_sa *in, *out;
	struct traffic_selector local, remote;
	uint64_t owner; /* of its policies */
};

/* The key material (cipher key, salt, integrity key) of pair k's inbound or outbound SA. */
void bench_pair_key(uint32_t k, bool inbound, uint8_t *key, size_t len);
/* Installs pair k; -1 with a message on stderr. */
int bench_pair_install(struct bench_pair *p, const struct bench_pairs_spec *s, uint32_t k);
/*
 * Rekeys pair k's outbound side as IKE rekeys a child (round: how many times it was rekeyed
 * before): a new outbound SA, the policies passed to it, the old SA removed. The inbound SA
 * stays, so that a generator's ESP packets still find it. -1 with a message on stderr.
 */
int bench_pair_rekey(struct bench_pair *p, const struct bench_pairs_spec *s, uint32_t k, uint32_t round);
/* Closes pair k's outbound side and makes it anew: its policies removed, a new SA's added. */
int bench_pair_reconnect(struct bench_pair *p, const struct bench_pairs_spec *s, uint32_t k, uint32_t round);
void bench_pair_remove(struct bench_pair *p);

#endif
