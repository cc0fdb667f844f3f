/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the EAP server (ike/eap). Input: a flags byte (bit 0 EAP-MSCHAPv2 instead of
 * EAP-MD5, bit 1 an identity round first, bit 2 each packet's identifier set to the one
 * expected, so that the fuzzer gets past that check), then packets, each a length byte and as
 * many bytes. Whatever comes in, each answer is one whole EAP packet of the kind the result
 * says, and once over, the server stays over.
 */
#include <stdlib.h>
#include <string.h>

#include "ike/eap/eap.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool password(void *ctx, const uint8_t *id, size_t len, const uint8_t **pw, size_t *pw_len)
{
	(void)ctx;
	if (len == 0 || id[0] == 'x')
		return false; /* identities starting with x have no secret */
	*pw = (const uint8_t *)"fuzz-password";
	*pw_len = 13;
	return true;
}

static void check_answer(enum eap_result r, const uint8_t *out, size_t n)
{
	uint8_t want = r == EAP_DONE ? EAP_SUCCESS : r == EAP_FAILED ? EAP_FAILURE : EAP_REQUEST;
	if (n < 4 || (size_t)(out[2] << 8 | out[3]) != n || out[0] != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eap_server s;
	uint8_t out[EAP_PACKET_MAX], packet[256];
	if (size < 1)
		return 0;
	log_set_level(LOG_LVL_ERR);
	uint8_t flags = data[0];
	size_t n = eap_server_start(&s, flags & 1 ? EAP_TYPE_MSCHAPV2 : EAP_TYPE_MD5, flags & 2 ? NULL : (const uint8_t *)"user",
				    flags & 2 ? 0 : 4, password, NULL, out, sizeof(out));
	check_answer(EAP_CONTINUE, out, n);
	bool over = false;
	for (size_t off = 1; off < size;) {
		size_t len = data[off++];
		if (len > size - off)
			len = size - off;
		memcpy(packet, data + off, len);
		off += len;
		if ((flags & 4) && len > 1)
			packet[1] = s.id;
		size_t got = 0;
		enum eap_result r = eap_server_process(&s, packet, len, out, sizeof(out), &got);
		if (over && r != EAP_FAILED)
			abort();
		check_answer(r, out, got);
		over |= r != EAP_CONTINUE;
	}
	eap_server_wipe(&s);
	return 0;
}
