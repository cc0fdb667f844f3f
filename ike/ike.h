/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IKE daemon as the rest of dpike sees it. It knows nothing of DPDK: packets come in
 * through ike_input(), go out through env.send, and negotiated child SAs are handed to
 * env.install_child / env.remove_child. Everything runs on the control core.
 */
#ifndef DPIKE_IKE_IKE_H
#define DPIKE_IKE_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "lib/strbuf.h"

struct ike_id;

#define IKE_PORT 500
#define IKE_NATT_PORT 4500
#define NON_ESP_MARKER 4 /* zero bytes before IKE on UDP 4500 (RFC 3948 2.2) */
#define IP_UDP_LEN 28    /* IPv4 and UDP headers around an IKE message */

struct ike_endpoint {
	uint32_t addr; /* host order */
	uint16_t port;
};

/* The addresses to initiate a connection from and to: false without one remote address. */
bool ike_conn_endpoints(const struct dpike_config *cfg, const struct cfg_connection *c, struct ike_endpoint *local,
			struct ike_endpoint *remote);

/* A negotiated child SA, as the dataplane needs it. */
struct ike_child_keys {
	const char *conn, *child;
	int ike_version; /* of the exchange that made it: 1 or 2 */
	uint32_t ike_serial; /* the IKE SA's number, as in env.ike_event (IKEv1's and IKEv2's count apart) */
	uint32_t spi_in, spi_out;
	int esp_alg;
	bool esn, tunnel, encap;
	struct ike_endpoint local, remote;
	bool has_oa; /* transport mode behind a NAT: the peer's original addresses (RFC 3947 NAT-OA) */
	uint32_t oa_remote, oa_local;
	uint32_t replay_window;
	unsigned copy; /* tunnel: enum tunnel_copy */
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	const uint8_t *key_in, *key_out; /* as esp_algo_key_len() says */
	struct traffic_selector *local_ts, *remote_ts;
	int n_local_ts, n_remote_ts;
	/* for the child's updown script (app/updown.c): the IKE SA's identities, its virtual IPs (ours,
	 * given by the peer; the peer's, from our pools; 0: none), the peer's XAuth or EAP user (NULL: none) */
	const struct ike_id *local_id, *remote_id;
	uint32_t local_vip, remote_vip;
	const char *remote_user;
	const struct cfg_child *child_cfg;
};

/* Why an IKE SA we initiated never came up, or went down (for env.ike_event). */
enum ike_fail {
	IKE_FAIL_NONE,
	IKE_FAIL_TIMEOUT,      /* no answer after the retransmissions */
	IKE_FAIL_INIT_REFUSED, /* IKE_SA_INIT answered with an error notify */
	IKE_FAIL_NO_PROPOSAL,  /* the responder's choice or key exchange was unacceptable */
	IKE_FAIL_AUTH_REFUSED, /* the peer refused our authentication */
	IKE_FAIL_PEER_AUTH,    /* the peer's identity or authentication did not verify */
	IKE_FAIL_DPD,          /* established, then the peer stopped answering */
	IKE_FAIL_CHILD,        /* the IKE SA came up, its first child SA did not (told by load generators) */
	IKE_FAIL_DELETED,      /* up, then deleted by the peer (told by load generators) */
	IKE_FAIL_OTHER,
	IKE_FAIL_COUNT
};

const char *ike_fail_name(enum ike_fail why);

struct ike_env {
	void (*send)(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote, const uint8_t *msg,
		     size_t len);
	/* A NAT-keepalive (RFC 3948 2.3): one 0xFF byte over UDP 4500, without the non-ESP marker. */
	void (*send_keepalive)(void *ctx, const struct ike_endpoint *local, const struct ike_endpoint *remote);
	/*
	 * Installs both SAs; returns an opaque handle, NULL when the dataplane refused. With
	 * activate, the child's policies go in too (taking over those of replaces, if any);
	 * without, the outbound SA waits for activate_child (make-before-break on a rekey).
	 */
	void *(*install_child)(void *ctx, const struct ike_child_keys *k, bool activate, void *replaces);
	void (*activate_child)(void *ctx, void *handle, void *replaces);
	void (*remove_child)(void *ctx, void *handle);
	/* Optional (NULL: not told): the child's peer is now at remote (a NAT rebound it). */
	void (*move_child)(void *ctx, void *handle, const struct ike_endpoint *remote);
	/* Counters of the installed child SA (bytes in and out, to show). */
	void (*child_usage)(void *ctx, void *handle, uint64_t *bytes_in, uint64_t *bytes_out, uint64_t *pkts_in,
			    uint64_t *pkts_out);
	uint64_t (*now_ms)(void *ctx);
	/*
	 * Optional (NULL: not told): an IKE SA came up (up, IKE_FAIL_NONE), one we initiated died
	 * before coming up (!up, why), or one that was up went, not replaced by a rekey (!up:
	 * IKE_FAIL_NONE when deleted by either side, else why, such as a DPD timeout). serial is
	 * the SA's number.
	 */
	void (*ike_event)(void *ctx, uint32_t serial, bool up, enum ike_fail why);
	/*
	 * Optional (NULL: not told): an inbound SPI offered in a request of ours, whose SA may see ESP
	 * before the answer is read (awaited), or that will not be installed after all (!awaited).
	 */
	void (*await_spi)(void *ctx, uint32_t spi, bool awaited);
	/* Optional (NULL: any): whether the dataplane finds this inbound SPI fastest (sad.h). */
	bool (*spi_preferred)(void *ctx, uint32_t spi);
	void *ctx;
	/*
	 * dpike-load: with ike.ke_reuse, our key pair remembers its last secret (ke_remember_last),
	 * so a responder that reuses its own pair costs the generator no derivation per handshake.
	 */
	bool remember_ke_secret;
	/*
	 * An IKE_SA_INIT key exchange waits for ike_flush() (or for a batch of eight), to be done
	 * with the others in hand (ke_derive_batch(): X25519 on AVX-512 IFMA or AVX2): a responder's answer
	 * goes out then, an initiator's IKE_AUTH too. The caller calls ike_flush() after each burst
	 * of ike_input().
	 */
	bool batch_key_exchanges;
};

struct ike_daemon;
struct credentials;

/* creds: the certificates and keys of pubkey connections (ike/credentials.h); NULL when there are none. */
struct ike_daemon *ike_daemon_create(const struct dpike_config *cfg, const struct credentials *creds,
				     const struct ike_env *env);
void ike_daemon_destroy(struct ike_daemon *d);
/* A UDP datagram for port 500, or for 4500 with the non-ESP marker already removed. */
void ike_input(struct ike_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
	       const uint8_t *msg, size_t len);
/* Finishes what input left waiting (env.batch_key_exchanges); call after each burst of ike_input(). */
void ike_flush(struct ike_daemon *d);
/* Retransmissions, DPD, rekeying, expiry (after an ike_flush()). Call every 100 ms or so. */
void ike_tick(struct ike_daemon *d);
/* Starts the connections with start_action = start. */
void ike_start(struct ike_daemon *d);
/* dpikectl load-conns: a connection loaded (its start_action = start run), or one dropped or
 * replaced (one with a child of start_action = start has its established IKE SAs closed, as
 * swanctl.conf says, each once its exchange in progress is done; returns how many); the
 * credentials of the connections loaded now. */
void ike_start_conn(struct ike_daemon *d, const struct cfg_connection *c);
unsigned ike_close_conn(struct ike_daemon *d, const struct cfg_connection *c);
void ike_set_credentials(struct ike_daemon *d, const struct credentials *creds);
/* A packet hit the trap policy of a child of conn. */
void ike_acquire(struct ike_daemon *d, const struct cfg_connection *conn, const struct cfg_child *child);
/*
 * The dataplane says an SA of a child crossed a lifetime: soft rekeys the child, hard deletes it.
 * The child is named by its inbound SPI whichever of its SAs it was: we chose that one and it is
 * unique, where the outbound SPI is the peer's choice and two peers may choose alike.
 */
void ike_child_expired(struct ike_daemon *d, uint32_t spi_in, bool hard);
/*
 * Authenticated ESP of the child with inbound SPI spi_in came from addr:port (host order), not
 * from its peer's endpoint: a NAT between rebound the peer. Its IKE SA and every child of it
 * move there (as an authenticated IKE message from there would move them).
 */
void ike_peer_moved(struct ike_daemon *d, uint32_t spi_in, uint32_t addr, uint16_t port);

/* dpikectl: CONN or CONN/CHILD. Return 0, or -1 with a message in err. */
int ike_initiate(struct ike_daemon *d, const char *name, struct strbuf *err);
/*
 * For load generators: one more IKE SA of connection conn (with its first child), sent from
 * local instead of the connection's address and port, as local_id instead of its ID, and with
 * local_ts as the child's local selector when not NULL (a client's own inner address). IKEv1
 * connections make an ISAKMP SA and then the child by Quick Mode. Returns the SA's serial (IKEv1
 * and IKEv2 count apart), 0 when conn is unknown or local_id does not parse.
 */
uint32_t ike_initiate_as(struct ike_daemon *d, const char *conn, const struct ike_endpoint *local,
			 const char *local_id, const struct traffic_selector *local_ts);
int ike_terminate(struct ike_daemon *d, const char *name, struct strbuf *err);
/*
 * For load generators: starts deleting up to max established IKE SAs of connection conn that
 * have no exchange in flight, newest first, as terminate does (their children with them);
 * returns how many. IKEv2 ones leave when the peer answers the Delete (or after the last
 * retransmission), IKEv1 ones at once (an IKEv1 Delete is not answered).
 */
unsigned ike_delete_established(struct ike_daemon *d, const char *conn, unsigned max);
/* IKE SAs of either version the daemon holds, in any state. */
uint32_t ike_sa_count(const struct ike_daemon *d);
int ike_rekey(struct ike_daemon *d, const char *name, struct strbuf *err);
/* Reauthenticates the connection's IKE SA now (swanctl --rekey --reauth): IKEv2 as reauth_time does, IKEv1 anew. */
int ike_reauth(struct ike_daemon *d, const char *name, struct strbuf *err);
void ike_list_sas(struct ike_daemon *d, bool json, struct strbuf *out);
/* The virtual IP pools: their addresses, how many are online and how many were ever leased. */
void ike_list_pools(struct ike_daemon *d, bool json, struct strbuf *out);
void ike_stats(struct ike_daemon *d, bool json, struct strbuf *out);

#endif
