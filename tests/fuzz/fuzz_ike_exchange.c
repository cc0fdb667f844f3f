/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the encrypted exchanges. Two daemons make an IKE SA as far as the exchange under
 * test; the message the fuzzer stands in for is taken off the wire, and its Encrypted payload
 * sealed anew, with the sender's real keys, around the fuzzer's payload chain, so that the
 * receiver's parsers and state machines see arbitrary payloads that pass its integrity check.
 * Every input meets the same handshake (fuzz_random_repeat()), so the AUTH payload of a corpus
 * entry holds; it covers only the first messages and the ID, so a chain that keeps those intact
 * reaches everything behind authentication (proposals, selectors, notifies, CP).
 *
 * Input: [exchange][first payload type][payload chain]. Exchanges: 0 IKE_AUTH request, 1 its
 * response, 2 CREATE_CHILD_SA request (a child rekey), 3 its response, 4 INFORMATIONAL request
 * (a DPD, the SA idle past dpd_delay), 5 its response; plus 8 for an IKE SA with AES-CBC and
 * HMAC-SHA2-256 instead of AES-GCM, plus 16 for certificates (ECDSA) instead of a PSK, plus 32
 * for a responder that asks for EAP (a chain without AUTH starts it). DPIKE_FUZZ_SEEDS=DIR writes
 * each exchange's real chain there in this form (the corpus's seeds).
 */
#include "fuzz_ike.h"
#include "fuzz_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/crypto.h"
#include "ike/v2/ike_sa.h"
#include "lib/strbuf.h"

#define GCM_PROPOSAL "aes128gcm16-prfsha256-x25519"
#define CBC_PROPOSAL "aes128-sha256-x25519"

/*
 * The configuration of daemon a (192.0.2.1, initiator) or b (192.0.2.2): PSK, or certificates
 * of fuzz_pki()'s (ECDSA), the IKE SA with AES-GCM or AES-CBC and HMAC.
 */
static void config_of(char *out, size_t cap, bool is_a, bool cbc, bool pubkey, bool eap)
{
	static const char *const names[] = { "a", "b" };
	const char *me = is_a ? "a" : "b", *peer = is_a ? "b" : "a", *pki = pubkey ? fuzz_pki(names, 2) : "";
	const char *local = is_a ? "192.0.2.1" : "192.0.2.2", *remote = is_a ? "192.0.2.2" : "192.0.2.1";
	char local_auth[256], remote_auth[256], secrets[512];
	if (pubkey) {
		snprintf(local_auth, sizeof(local_auth), "auth = \"pubkey\"; certs = [\"%s/%s.pem\"]; id = \"%s.fuzz.test\";",
			 pki, me, me);
		snprintf(remote_auth, sizeof(remote_auth), "auth = \"pubkey\"; cacerts = [\"%s/ca.pem\"]; id = \"%s.fuzz.test\";",
			 pki, peer);
		snprintf(secrets, sizeof(secrets), "{ type = \"private\"; file = \"%s/%s.key\"; }", pki, me);
	} else {
		snprintf(local_auth, sizeof(local_auth), "auth = \"psk\"; id = \"%s\";", local);
		snprintf(remote_auth, sizeof(remote_auth), "auth = \"psk\"; id = \"%s\";", remote);
		snprintf(secrets, sizeof(secrets), "{ type = \"ike\"; secret = \"fuzz secret\"; }");
	}
	if (eap && !is_a) { /* b asks a for EAP-MSCHAPv2, after an identity round */
		snprintf(remote_auth, sizeof(remote_auth), "auth = \"eap-mschapv2\"; eap_id = \"%%any\"; id = \"%s\";", remote);
		snprintf(secrets + strlen(secrets), sizeof(secrets) - strlen(secrets),
			 ", { type = \"eap\"; id = [\"user\"]; secret = \"fuzz password\"; }");
	}
	snprintf(out, cap,
		 "interfaces = ( { name = \"wan\"; device = \"net_null0\"; address = \"%s/24\"; } );\n"
		 "pools = ( { name = \"rw\"; addrs = \"10.99.0.0/30\"; dns = \"192.0.2.53\"; } );\n" /* for CP requests */
		 "connections = ( { name = \"c\"; version = 2; local_addrs = [\"%s\"]; remote_addrs = [\"%s\"]; pools = \"rw\";\n"
		 "  dpd_delay = \"30s\"; proposals = [\"%s\"];\n  local = { %s };\n  remote = { %s };\n"
		 "  children = ( { name = \"net\"; local_ts = [\"%s\"]; remote_ts = [\"%s\"];\n"
		 "    esp_proposals = [\"aes256gcm16-x25519\", \"aes128-sha256-x25519\"]; } ); } );\n"
		 "secrets = ( %s );\n",
		 local, local, remote, cbc ? CBC_PROPOSAL : GCM_PROPOSAL, local_auth, remote_auth,
		 is_a ? "10.0.0.0/8" : "172.16.0.0/12", is_a ? "172.16.0.0/12" : "10.0.0.0/8", secrets);
}

enum { X_AUTH, X_AUTH_RESPONSE, X_CHILD, X_CHILD_RESPONSE, X_INFO, X_INFO_RESPONSE, X_COUNT };

#define SK_AT (IKE_HDR_LEN + 4) /* the IV, after the header and the Encrypted payload's own */

static struct fuzz_node A, B; /* A initiates */

static struct ike_sa *sender_sa(const struct fuzz_datagram *q)
{
	struct ike_header h;
	if (ike_read_header(q->msg, q->len, &h) != IKE_PARSE_OK)
		return NULL;
	return ike_sa_find(q->from->d, h.spi_i, h.spi_r);
}

static void sender_keys(const struct ike_sa *sa, const uint8_t **ek, const uint8_t **ak)
{
	*ek = sa->initiator ? sa->sk_ei : sa->sk_er;
	*ak = sa->initiator ? sa->sk_ai : sa->sk_ar;
}

/* Writes the chain q carries (its first payload type, then the plaintext) to DIR/NAME. */
static void write_seed(const char *dir, int exchange, const struct fuzz_datagram *q, const struct ike_sa *sa)
{
	static uint8_t m[IKE_MAX_MSG];
	const struct sk_cipher *c = &sa->cipher;
	const uint8_t *ek, *ak;
	sender_keys(sa, &ek, &ak);
	memcpy(m, q->msg, q->len);
	size_t sk_len = (size_t)m[IKE_HDR_LEN + 2] << 8 | m[IKE_HDR_LEN + 3];
	if (m[16] != PL_SK || sk_len < 4 + c->iv_len + c->icv_len + 1 || IKE_HDR_LEN + sk_len > q->len)
		return;
	size_t cipher_len = sk_len - 4 - c->iv_len - c->icv_len;
	if (!sk_decrypt(c, ek, ak, m, SK_AT, cipher_len))
		return;
	const uint8_t *plain = m + SK_AT + c->iv_len;
	size_t pad = plain[cipher_len - 1], len = pad + 1 <= cipher_len ? cipher_len - pad - 1 : 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s/exchange-%d", dir, exchange);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return;
	uint8_t head[2] = { (uint8_t)exchange, m[IKE_HDR_LEN] };
	fwrite(head, 1, 2, f);
	fwrite(plain, 1, len, f);
	fclose(f);
}

/* q with its Encrypted payload sealed anew around chain (first payload type first). */
static bool reseal(struct fuzz_datagram *q, const struct ike_sa *sa, uint8_t first, const uint8_t *chain, size_t len)
{
	const struct sk_cipher *c = &sa->cipher;
	size_t pad = (c->block - (len + 1) % c->block) % c->block;
	size_t total = SK_AT + c->iv_len + len + pad + 1 + c->icv_len;
	if (total > IKE_MAX_MSG)
		return false;
	uint8_t *m = q->msg;
	m[16] = PL_SK;
	for (int i = 0; i < 4; i++)
		m[24 + i] = (uint8_t)(total >> (24 - 8 * i));
	m[IKE_HDR_LEN] = first;
	m[IKE_HDR_LEN + 1] = 0;
	m[IKE_HDR_LEN + 2] = (uint8_t)((total - IKE_HDR_LEN) >> 8);
	m[IKE_HDR_LEN + 3] = (uint8_t)(total - IKE_HDR_LEN);
	uint8_t *plain = m + SK_AT + c->iv_len;
	memcpy(plain, chain, len);
	memset(plain + len, 0, pad);
	plain[len + pad] = (uint8_t)pad;
	q->len = total;
	const uint8_t *ek, *ak;
	sender_keys(sa, &ek, &ak);
	return sk_encrypt(c, ek, ak, m, SK_AT, len + pad + 1);
}

/* Delivers queued datagrams one at a time until the one of this exchange and direction is next. */
static struct fuzz_datagram *run_until(uint8_t exchange, bool response)
{
	static struct fuzz_datagram q;
	for (int guard = 0; guard < 32 && fuzz_queued > 0; guard++) {
		q = fuzz_queue[0];
		memmove(fuzz_queue, fuzz_queue + 1, (fuzz_queued - 1) * sizeof(fuzz_queue[0]));
		fuzz_queued--;
		bool is_response = q.len > 19 && (q.msg[19] & 0x20);
		if (q.len > 18 && q.msg[18] == exchange && is_response == response)
			return &q;
		fuzz_deliver(q.from == &A ? &B : &A, &q);
	}
	return NULL;
}

/* The two daemons up to the exchange's first message; what triggers it after IKE_AUTH. */
static bool reach(int exchange)
{
	struct strbuf err;
	sb_init(&err);
	bool ok = ike_initiate(A.d, "c/net", &err) == 0;
	if (ok && exchange >= X_CHILD) {
		fuzz_pump(&A, &B);
		if (exchange < X_INFO) {
			ok = ike_rekey(A.d, "c/net", &err) == 0;
		} else {
			fuzz_clock_ms += 31 * 1000;
			ike_tick(A.d);
		}
	}
	sb_free(&err);
	return ok;
}

static const uint8_t exchange_type[X_COUNT] = { IKE_AUTH, IKE_AUTH, CREATE_CHILD_SA, CREATE_CHILD_SA, INFORMATIONAL,
						 INFORMATIONAL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text_a[2048], text_b[2048];
	if (size < 2 || (data[0] & 7) >= X_COUNT || data[0] > 63)
		return 0;
	int exchange = data[0] & 7;
	bool response = exchange % 2, cbc = data[0] & 8, pubkey = data[0] & 16, eap = data[0] & 32;
	fuzz_queued = 0;
	config_of(text_a, sizeof(text_a), true, cbc, pubkey, eap); /* the certificates, once, before the stream starts */
	config_of(text_b, sizeof(text_b), false, cbc, pubkey, eap);
	fuzz_random_repeat();
	fuzz_node_start(&A, text_a, 0xc0000201);
	fuzz_node_start(&B, text_b, 0xc0000202);
	struct fuzz_datagram *q = NULL;
	if (reach(exchange)) {
		if (response && (q = run_until(exchange_type[exchange], false)) != NULL)
			fuzz_deliver(&B, q); /* the request goes through; its answer is the one replaced */
		q = run_until(exchange_type[exchange], response);
	}
	const struct ike_sa *sa = q ? sender_sa(q) : NULL;
	const char *seeds = getenv("DPIKE_FUZZ_SEEDS");
	if (sa && seeds)
		write_seed(seeds, data[0], q, sa);
	if (sa && reseal(q, sa, data[1], data + 2, size - 2)) {
		fuzz_deliver(q->from == &A ? &B : &A, q);
		fuzz_play_out(&A, &B);
	}
	fuzz_queued = 0;
	fuzz_node_stop(&A);
	fuzz_node_stop(&B);
	return 0;
}
