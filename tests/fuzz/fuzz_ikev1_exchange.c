/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: IKEv1's encrypted messages. Two daemons run Main Mode (and Quick Mode) as far as
 * the message under test; it is taken off the wire and its body encrypted anew, with the keys
 * and the IV its receiver expects, around the fuzzer's payload chain, so that the receiver's
 * parsers see arbitrary payloads where it would otherwise find garbage. Quick Mode and
 * Informational messages are authenticated by a HASH payload over the rest: with bit 3 of the
 * first byte, a chain that begins with a HASH of the right size gets the right value in it, so
 * that what follows reaches the handlers.
 *
 * Every input meets the same handshake (fuzz_random_repeat()), so HASH_I and HASH_R of a corpus
 * entry hold.
 *
 * Input: [message][first payload type][payload chain]. Messages: 0 Main Mode 5 (ID, HASH_I),
 * 1 Main Mode 6, 2 Quick Mode 1, 3 Quick Mode 2, 4 an Informational (DPD's R-U-THERE), 5 a Mode
 * Config REQUEST (A asks B's pool for an address before its Quick Mode), 6 an XAuth REPLY (A's
 * user name and password, which B asked for after Main Mode); plus 8 to fix the HASH. DPIKE_FUZZ_SEEDS=DIR writes each message's real chain there in this form.
 */
#include "fuzz_ike.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ike/crypto.h"
#include "ike/v1/v1_sa.h"
#include "lib/strbuf.h"

#define CONN1(local, remote, lts, rts, extra)                                                                   \
	"interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"" local "/24\"; } );\n"            \
	"pools = ( { name = \"rw\"; addrs = \"10.99.0.0/30\"; dns = \"192.0.2.53\"; } );\n"                      \
	"connections = ( { name = \"c\"; version = 1; local_addrs = [\"" local "\"]; remote_addrs = [\"" remote \
	"\"]; " extra "\n  proposals = [\"aes128-sha256-modp2048\"]; dpd_delay = \"30s\";\n"                                 \
	"  local = { auth = \"psk\"; id = \"" local "\"; }; remote = { auth = \"psk\"; id = \"" remote "\"; };\n" \
	"  children = ( { name = \"net\"; local_ts = [\"" lts "\"]; remote_ts = [\"" rts "\"];"                      \
	" esp_proposals = [\"aes128gcm16-modp2048\"]; } ); } );\n"                                               \
	"secrets = ( { type = \"ike\"; secret = \"fuzz secret\"; },\n"                                              \
	"            { type = \"xauth\"; id = \"fuzz\"; secret = \"fuzz password\"; } );\n"

enum { M_MM5, M_MM6, M_QM1, M_QM2, M_INFO, M_XACT, M_XAUTH, M_COUNT };
#define FIX_HASH 8

static struct fuzz_node A, B; /* A initiates */

static struct v1_sa *receiver_sa(const struct fuzz_datagram *q, struct fuzz_node *to)
{
	struct isakmp_header h;
	if (isakmp_parse_header(q->msg, q->len, &h) != IKE_PARSE_OK)
		return NULL;
	return v1_sa_find(to->d->v1, &h);
}

static uint32_t msg_id_of(const struct fuzz_datagram *q)
{
	return (uint32_t)q->msg[20] << 24 | (uint32_t)q->msg[21] << 16 | (uint32_t)q->msg[22] << 8 | q->msg[23];
}

static struct v1_quick *quick_of(const struct v1_sa *sa, uint32_t msg_id)
{
	for (struct v1_quick *x = sa->quick; x; x = x->next)
		if (x->msg_id == msg_id)
			return x;
	return NULL;
}

/* The IV the receiver will decrypt q with: phase 1's running one, a Quick Mode's, or a new exchange's. */
static void expected_iv(const struct v1_sa *sa, const struct fuzz_datagram *q, uint8_t iv[16])
{
	uint32_t msg_id = msg_id_of(q);
	const struct v1_quick *x = msg_id ? quick_of(sa, msg_id) : NULL;
	if (msg_id == 0)
		memcpy(iv, sa->iv, 16);
	else if (x != NULL)
		memcpy(iv, x->iv, 16);
	else
		v1_phase2_iv(sa, msg_id, iv);
}

static const EVP_CIPHER *cipher_of(const struct v1_sa *sa)
{
	if (sa->encr == V1_ENCR_3DES)
		return EVP_des_ede3_cbc();
	return sa->encr_bits == 256 ? EVP_aes_256_cbc() : sa->encr_bits == 192 ? EVP_aes_192_cbc() : EVP_aes_128_cbc();
}

static void write_seed(const char *dir, int kind, const struct fuzz_datagram *q, struct v1_sa *sa)
{
	static uint8_t m[IKE_MAX_MSG];
	uint8_t iv[16];
	expected_iv(sa, q, iv);
	memcpy(m, q->msg, q->len);
	if (q->len <= IKE_HDR_LEN || !ike_cbc(cipher_of(sa), sa->enc_key, iv, m + IKE_HDR_LEN, q->len - IKE_HDR_LEN, false))
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/v1-message-%d", dir, kind);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return;
	uint8_t head[2] = { (uint8_t)kind, m[16] };
	fwrite(head, 1, 2, f);
	fwrite(m + IKE_HDR_LEN, 1, q->len - IKE_HDR_LEN, f); /* with the padding: the chain's lengths end it */
	fclose(f);
}

/* Where the payload chain ends (padding may follow), by its headers; len if they run past it. */
static size_t chain_end(const uint8_t *chain, size_t len)
{
	for (size_t off = 0; off + 4 <= len;) {
		size_t plen = (size_t)chain[off + 2] << 8 | chain[off + 3];
		if (plen < 4 || off + plen > len)
			break;
		uint8_t next = chain[off];
		off += plen;
		if (next == 0)
			return off;
	}
	return len;
}

/*
 * HASH(1) = prf(SKEYID_a, M-ID | the rest), HASH(2) = prf(SKEYID_a, M-ID | Ni_b | the rest): put
 * in the chain's first payload when it is a HASH of the right size (RFC 2409 5.5, 5.6).
 */
static void fix_hash(const struct v1_sa *sa, const struct fuzz_datagram *q, uint8_t first, uint8_t *chain, size_t len)
{
	size_t h = sa->hlen;
	if (first != ISA_HASH || len < 4 + h || ((size_t)chain[2] << 8 | chain[3]) != 4 + h)
		return;
	uint8_t prefix[4 + IKE_NONCE_MAX];
	size_t prefix_len = 4;
	memcpy(prefix, q->msg + 20, 4);
	const struct v1_quick *x = quick_of(sa, msg_id_of(q));
	if (q->msg[18] == XCHG_QUICK && x != NULL && x->initiator) { /* the receiver started it: message 2 */
		memcpy(prefix + 4, x->ni, x->ni_len);
		prefix_len += x->ni_len;
	}
	v1_hash_payloads(sa, prefix, prefix_len, chain + 4 + h, chain_end(chain, len) - 4 - h, chain + 4);
}

/* q's body encrypted anew around the chain, for the receiver's SA. */
static bool reseal(struct fuzz_datagram *q, const struct v1_sa *sa, uint8_t first, const uint8_t *chain, size_t len,
		   bool hash)
{
	size_t pad = (sa->block - len % sa->block) % sa->block, total = IKE_HDR_LEN + len + pad;
	if (len == 0 || total > IKE_MAX_MSG)
		return false;
	uint8_t *m = q->msg, iv[16];
	m[16] = first;
	for (int i = 0; i < 4; i++)
		m[24 + i] = (uint8_t)(total >> (24 - 8 * i));
	memcpy(m + IKE_HDR_LEN, chain, len);
	memset(m + IKE_HDR_LEN + len, 0, pad);
	if (hash)
		fix_hash(sa, q, first, m + IKE_HDR_LEN, len);
	q->len = total;
	expected_iv(sa, q, iv);
	return ike_cbc(cipher_of(sa), sa->enc_key, iv, m + IKE_HDR_LEN, len + pad, true);
}

/* Delivers queued datagrams until an encrypted one of this exchange from `from` is next. */
static struct fuzz_datagram *run_until(uint8_t exchange, struct fuzz_node *from)
{
	static struct fuzz_datagram q;
	for (int guard = 0; guard < 32 && fuzz_queued > 0; guard++) {
		q = fuzz_queue[0];
		memmove(fuzz_queue, fuzz_queue + 1, (fuzz_queued - 1) * sizeof(fuzz_queue[0]));
		fuzz_queued--;
		if (q.len > IKE_HDR_LEN && q.msg[18] == exchange && (q.msg[19] & ISAKMP_FLAG_ENCRYPTION) && q.from == from)
			return &q;
		fuzz_deliver(q.from == &A ? &B : &A, &q);
	}
	return NULL;
}

/* The message `from` sends next in this exchange, encrypted, once the one before it got through. */
static struct fuzz_datagram *after(struct fuzz_datagram *before, uint8_t exchange, struct fuzz_node *from)
{
	if (before == NULL)
		return NULL;
	fuzz_deliver(before->from == &A ? &B : &A, before);
	return run_until(exchange, from);
}

/* The two daemons up to the message under test, which is returned (not yet delivered). */
static struct fuzz_datagram *reach(int kind)
{
	struct strbuf err;
	sb_init(&err);
	bool ok = ike_initiate(A.d, "c/net", &err) == 0;
	sb_free(&err);
	if (!ok)
		return NULL;
	switch (kind) {
	case M_MM5: return run_until(XCHG_MAIN, &A);
	case M_MM6: return after(run_until(XCHG_MAIN, &A), XCHG_MAIN, &B);
	case M_QM1: return run_until(XCHG_QUICK, &A);
	case M_QM2: return after(run_until(XCHG_QUICK, &A), XCHG_QUICK, &B);
	case M_XAUTH: return run_until(XCHG_TRANSACTION, &A);
	case M_XACT: /* after XAuth's REPLY and ACK */
		return after(after(run_until(XCHG_TRANSACTION, &A), XCHG_TRANSACTION, &A), XCHG_TRANSACTION, &A);
	default:
		fuzz_pump(&A, &B);
		fuzz_clock_ms += 31 * 1000; /* idle past dpd_delay: A asks R-U-THERE */
		ike_tick(A.d);
		return run_until(XCHG_INFO, &A);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || (data[0] & 7) >= M_COUNT || data[0] > 15)
		return 0;
	int kind = data[0] & 7;
	fuzz_random_repeat();
	fuzz_queued = 0;
	fuzz_node_start(&A, CONN1("192.0.2.1", "192.0.2.2", "dynamic", "10.2.0.0/16", "vips = \"0.0.0.0\"; local-2 = { auth = \"xauth\"; xauth_id = \"fuzz\"; };"), 0xc0000201);
	fuzz_node_start(&B, CONN1("192.0.2.2", "192.0.2.1", "10.2.0.0/16", "dynamic", "pools = \"rw\"; remote-2 = { auth = \"xauth\"; };"), 0xc0000202);
	struct fuzz_datagram *q = reach(kind);
	struct fuzz_node *to = q == NULL ? NULL : q->from == &A ? &B : &A;
	struct v1_sa *sa = q ? receiver_sa(q, to) : NULL;
	const char *seeds = getenv("DPIKE_FUZZ_SEEDS");
	if (sa && seeds)
		write_seed(seeds, kind, q, sa);
	if (sa && reseal(q, sa, data[1], data + 2, size - 2, data[0] & FIX_HASH)) {
		fuzz_deliver(to, q);
		fuzz_play_out(&A, &B);
	}
	fuzz_queued = 0;
	fuzz_node_stop(&A);
	fuzz_node_stop(&B);
	return 0;
}
