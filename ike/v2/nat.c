/* SPDX-License-Identifier: BSD-3-Clause */
/* NAT detection (RFC 7296 2.23): SHA-1 over both SPIs and an address and port. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "ike/crypto.h"
#include "ike_sa.h"

/* The SPIs are those in the header of the message that carries the hash: SPIr is 0 in the request. */
static void nat_hash(uint64_t spi_i, uint64_t spi_r, const struct ike_endpoint *ep, uint8_t out[SHA_DIGEST_LENGTH])
{
	uint8_t in[8 + 8 + 4 + 2];
	for (int i = 0; i < 8; i++) {
		in[i] = (uint8_t)(spi_i >> (56 - 8 * i));
		in[8 + i] = (uint8_t)(spi_r >> (56 - 8 * i));
	}
	in[16] = (uint8_t)(ep->addr >> 24), in[17] = (uint8_t)(ep->addr >> 16);
	in[18] = (uint8_t)(ep->addr >> 8), in[19] = (uint8_t)ep->addr;
	in[20] = (uint8_t)(ep->port >> 8), in[21] = (uint8_t)ep->port;
	EVP_Digest(in, sizeof(in), out, NULL, ike_md(EVP_sha1()), NULL); /* SHA1() looks SHA-1 up by name */
}

void nat_add_notifies(struct ike_builder *b, const struct ike_sa *sa, bool fake_source)
{
	uint8_t h[SHA_DIGEST_LENGTH];
	if (fake_source)
		ike_random(h, sizeof(h)); /* as if behind a NAT: forces UDP encapsulation (encap = yes) */
	else
		nat_hash(sa->spi_i, sa->spi_r, &sa->local, h);
	notify_add(b, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, h, sizeof(h));
	nat_hash(sa->spi_i, sa->spi_r, &sa->remote, h);
	notify_add(b, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

void nat_check(struct ike_sa *sa, const struct ike_message *msg)
{
	uint8_t local[SHA_DIGEST_LENGTH], remote[SHA_DIGEST_LENGTH];
	bool src_seen = false, src_match = false, dst_seen = false, dst_match = false;
	nat_hash(msg->hdr.spi_i, msg->hdr.spi_r, &sa->local, local);
	nat_hash(msg->hdr.spi_i, msg->hdr.spi_r, &sa->remote, remote);
	for (int i = 0; i < msg->n; i++) {
		struct ike_notify n;
		if (msg->pl[i].type != PL_NOTIFY || !notify_parse(&msg->pl[i], &n) || n.data_len != SHA_DIGEST_LENGTH)
			continue;
		if (n.type == N_NAT_DETECTION_SOURCE_IP) {
			src_seen = true;
			src_match |= memcmp(n.data, remote, SHA_DIGEST_LENGTH) == 0;
		} else if (n.type == N_NAT_DETECTION_DESTINATION_IP) {
			dst_seen = true;
			dst_match |= memcmp(n.data, local, SHA_DIGEST_LENGTH) == 0;
		}
	}
	sa->nat_remote = src_seen && !src_match;
	sa->nat_local = dst_seen && !dst_match;
}
