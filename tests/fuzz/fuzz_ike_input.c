/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: any datagram to an IKE responder, as the control core hands it to ike_input():
 * headers, payload chains, IKE_SA_INIT requests (proposals, KE, nonces, notifies, cookies),
 * IKEv1 Main and Aggressive Mode openings, fragments, messages for SPIs it does not know. One
 * responder serves the whole run (as one would), with an IKEv2 and an IKEv1 connection; its
 * clock moves a second an input, so half-open SAs expire and timers run. The input's first byte
 * picks the port (500, or 4500 with the marker already off) and the sender's address and port.
 * DPIKE_FUZZ_SEEDS=DIR writes there, in this form, what initiators of each kind send first and
 * second to such a responder (the corpus's seeds).
 */
#include "fuzz_ike.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

#define RESPONDER 0xc0000202 /* 192.0.2.2 */

static const char config_text[] =
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.2/24\"; } );\n"
	"connections = (\n"
	" { name = \"v2\"; version = 2; local_addrs = [\"192.0.2.2\"];\n"
	"   proposals = [\"aes128gcm16-prfsha256-x25519\", \"aes256-sha256-ecp256\", \"chacha20poly1305-prfsha512-modp2048\"];\n"
	"   local = { auth = \"psk\"; id = \"responder.test\"; }; remote = { auth = \"psk\"; };\n"
	"   children = ( { name = \"net\"; local_ts = [\"172.16.0.0/12\"]; remote_ts = [\"10.0.0.0/8\"];\n"
	"                  esp_proposals = [\"aes128gcm16\", \"aes128-sha256-x25519\"]; } ); },\n"
	" { name = \"v1\"; version = 1; aggressive = true; local_addrs = [\"192.0.2.2\"];\n"
	"   proposals = [\"aes128-sha256-x25519\", \"aes256-sha1-modp2048\"];\n"
	"   local = { auth = \"psk\"; id = \"responder.test\"; }; remote = { auth = \"psk\"; };\n"
	"   children = ( { name = \"net\"; local_ts = [\"172.16.0.0/12\"]; remote_ts = [\"10.0.0.0/8\"];\n"
	"                  esp_proposals = [\"aes128-sha256\"]; } ); } );\n"
	"secrets = ( { type = \"ike\"; secret = \"fuzz secret\"; } );\n"
	"ike = { cookie_threshold = 20; half_open_per_peer = 50; };\n";

#define INITIATOR(version, extra, props, esp)                                                                 \
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"192.0.2.1/24\"; } );\n"           \
	"connections = ( { name = \"c\"; version = " version "; " extra " local_addrs = [\"192.0.2.1\"];\n"      \
	"  remote_addrs = [\"192.0.2.2\"]; proposals = [\"" props "\"];\n"                                          \
	"  local = { auth = \"psk\"; id = \"client@fuzz.test\"; }; remote = { auth = \"psk\"; id = \"responder.test\"; };\n" \
	"  children = ( { name = \"net\"; local_ts = [\"10.0.0.0/8\"]; remote_ts = [\"172.16.0.0/12\"];\n"      \
	"                 esp_proposals = [\"" esp "\"]; } ); } );\n"                                                 \
	"secrets = ( { type = \"ike\"; secret = \"fuzz secret\"; } );\n"

static void write_input(const char *dir, const char *name, const struct fuzz_datagram *q)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return;
	uint8_t head = (uint8_t)((q->local.addr & 0xf) << 4 | (q->local.port == IKE_NATT_PORT));
	fwrite(&head, 1, 1, f);
	fwrite(q->msg, 1, q->len, f);
	fclose(f);
}

/* An initiator of each kind against a responder like the target's: its first two datagrams. */
static void write_seeds(const char *dir)
{
	static const struct {
		const char *name, *config;
	} kinds[] = {
		{ "ikev2", INITIATOR("2", "", "aes128gcm16-prfsha256-x25519", "aes128gcm16") },
		{ "ikev2-ecp", INITIATOR("2", "", "aes256-sha256-ecp256", "aes128-sha256-x25519") },
		{ "ikev1-main", INITIATOR("1", "", "aes128-sha256-x25519", "aes128-sha256") },
		{ "ikev1-aggressive", INITIATOR("1", "aggressive = true;", "aes128-sha256-x25519", "aes128-sha256") },
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct fuzz_node initiator, responder;
		struct strbuf err;
		char name[128];
		fuzz_queued = 0;
		fuzz_node_start(&initiator, kinds[k].config, 0xc0000201);
		fuzz_node_start(&responder, config_text, RESPONDER);
		sb_init(&err);
		ike_initiate(initiator.d, "c/net", &err);
		sb_free(&err);
		for (int step = 1; step <= 2 && fuzz_queued > 0; step++) {
			struct fuzz_datagram first = fuzz_queue[0];
			snprintf(name, sizeof(name), "%s-%d", kinds[k].name, step);
			write_input(dir, name, &first);
			fuzz_queued = 0;
			fuzz_deliver(&responder, &first);
			struct fuzz_datagram answer = fuzz_queue[0];
			fuzz_queued = 0;
			if (answer.from == &responder)
				fuzz_deliver(&initiator, &answer);
		}
		fuzz_queued = 0;
		fuzz_node_stop(&initiator);
		fuzz_node_stop(&responder);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_node responder;
	static int started;
	if (!started) {
		const char *seeds = getenv("DPIKE_FUZZ_SEEDS");
		if (seeds)
			write_seeds(seeds);
		fuzz_node_start(&responder, config_text, RESPONDER);
		started = 1;
	}
	if (size < 1 || size - 1 > IKE_MAX_MSG)
		return 0;
	struct fuzz_datagram q = { .from = NULL, .len = size - 1 };
	q.local = (struct ike_endpoint){ 0xc0000200 | (data[0] >> 4), (data[0] & 1) ? IKE_NATT_PORT : 500 + (data[0] & 6) };
	q.remote = (struct ike_endpoint){ RESPONDER, (data[0] & 1) ? IKE_NATT_PORT : IKE_PORT };
	memcpy(q.msg, data + 1, size - 1);
	fuzz_deliver(&responder, &q);
	fuzz_queued = 0; /* its answers go nowhere */
	fuzz_clock_ms += 1000;
	ike_tick(responder.d);
	fuzz_queued = 0;
	return 0;
}
