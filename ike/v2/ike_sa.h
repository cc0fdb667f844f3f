/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv2 SA and child SA state, shared by the exchange files of ike/v2/. */
#ifndef DPIKE_IKE_V2_IKE_SA_H
#define DPIKE_IKE_V2_IKE_SA_H

#include <stdbool.h>
#include <stdint.h>

#include "ike/crypto.h"
#include "ike/ike.h"
#include "ike/pool.h"
#include "ike/proposal.h"
#include "lib/timer_heap.h"
#include "lib/u64map.h"
#include "message.h"
#include "payloads.h"

enum ike_sa_state {
	IKE_SA_INIT_SENT,   /* initiator: IKE_SA_INIT request out */
	IKE_SA_INIT_DONE,   /* responder: IKE_SA_INIT answered, waiting for IKE_AUTH */
	IKE_SA_AUTH_SENT,   /* initiator: IKE_AUTH request out */
	IKE_SA_ESTABLISHED,
	IKE_SA_DELETING,    /* our Delete is out */
	IKE_SA_DEAD,        /* to be freed */
};

enum child_sa_state {
	CHILD_INSTALLED,
	CHILD_REKEYING, /* we asked to rekey it */
	CHILD_REKEYED,  /* replaced by a newer child; waiting for its Delete */
	CHILD_DELETING, /* our Delete is out */
};

struct child_sa {
	struct child_sa *next;
	const struct cfg_child *cfg;
	uint32_t spi_in, spi_out;
	int esp_alg;
	bool esn, tunnel, encap;
	bool has_oa;                   /* IKEv1 transport mode behind a NAT: the peer's NAT-OA */
	uint32_t oa_remote, oa_local; /* its own address, and ours as it knows it */
	enum child_sa_state state;
	void *handle; /* the dataplane's */
	uint64_t installed_ms, rekey_ms, expire_ms;
	/* inactivity: when its packet count was last looked at, when it was last seen to have moved, and to what */
	uint64_t looked_ms, active_ms, seen_packets;
	/* Allocated to size (child_keep()): most children have one selector each way, few up to 16. */
	struct traffic_selector *local_ts, *remote_ts;
	int n_local_ts, n_remote_ts;
	struct ike_ts *ts_i, *ts_r; /* as negotiated, to propose again on a rekey */
	int n_ts_i, n_ts_r;
	/* a child installed waiting to take over from another (handover.c), and that other's link back */
	struct child_sa *replaces, *replaced_by;
	uint64_t handover_by_ms, handover_looked_ms;
	bool exchange_initiator;   /* we started the exchange that created it */
	uint16_t dh_group;         /* PFS group of its proposal, 0 for none */
	/* nonces of the CREATE_CHILD_SA exchange that made it, to settle rekey collisions: one block, Ni | Nr */
	uint8_t *xn_i, *xn_r;
	size_t xn_i_len, xn_r_len;
};

/* A child SA request (IKE_AUTH or CREATE_CHILD_SA) as parsed. */
struct child_request {
	struct ike_sa_proposal props[IKE_MAX_PROPOSALS];
	struct proposal p[IKE_MAX_PROPOSALS];
	int n_props;
	struct ike_ts tsi[IKE_MAX_TS], tsr[IKE_MAX_TS];
	int n_tsi, n_tsr;
	bool transport;
};

/* An exchange of ours in CREATE_CHILD_SA, until its response arrives. */
enum rekey_kind { REKEY_NONE, REKEY_CHILD, REKEY_IKE, CREATE_CHILD };
struct pending_create {
	enum rekey_kind kind;
	struct child_sa *old;        /* REKEY_CHILD */
	const struct cfg_child *cfg; /* the child being created or rekeyed */
	uint32_t spi_in;
	uint64_t new_spi;            /* REKEY_IKE: our half of the new IKE SA's SPIs */
	uint8_t nonce[IKE_OWN_NONCE_LEN];
	size_t nonce_len;
	struct ke_state *ke;
	uint16_t group;
};

/* A message sent as IKE fragments (RFC 7383): each one a complete datagram. */
#define IKE_MAX_FRAGMENTS 32
struct ike_fragment {
	uint8_t *msg;
	size_t len;
};
/* Most SAs never fragment: the table is allocated with the first fragment. */
struct ike_fragments {
	int n;
	struct ike_fragment *f; /* IKE_MAX_FRAGMENTS of them, or NULL */
};

/* Fragments of one incoming message, until all are in. */
struct ike_reassembly {
	uint32_t msg_id;
	uint8_t exchange, first_payload;
	bool response;
	uint16_t total, have;
	struct ike_fragment *piece; /* IKE_MAX_FRAGMENTS of them while a message is being joined */
	uint8_t *whole; /* the joined plaintext; the parsed payloads point into it */
};

/* A request we sent and may have to send again. */
struct pending_request {
	uint8_t *msg;
	size_t len;
	uint32_t msg_id;
	uint8_t exchange;
	int tries;
	uint64_t next_ms;
};

struct ike_daemon;
struct own_cert;
#define IKE_MAX_CERTREQ 16
#define IKE_KE_KEPT_GROUPS 4 /* ike.ke_reuse: groups with a key pair kept at once */
#define IKE_KE_BATCH 8       /* key exchanges done together at most (x25519_batch()'s lanes) */

struct ike_sa {
	struct ike_sa *next, *prev; /* in the daemon's list of all SAs */
	/* while established, in the daemon's list of SAs between the same identities (INITIAL_CONTACT) */
	struct u64map_link ids;
	struct ike_sa *next_dead;   /* in its list of SAs to free: entered once, on the move to IKE_SA_DEAD */
	struct ike_daemon *d;
	uint32_t serial; /* for list-sas */
	uint64_t spi_i, spi_r;
	bool initiator;
	const struct cfg_connection *conn;
	enum ike_sa_state state;
	struct ike_endpoint local, remote;
	bool nat_local, nat_remote, floated;
	bool mobike; /* both ends announced MOBIKE (RFC 4555), the peer as the original initiator: it moves the SA */
	struct ike_endpoint rx_local, rx_remote; /* where the message being handled arrived, and from where */
	uint32_t vip;  /* the address handed to the peer from a pool (host order), 0: none */
	int vip_pool;  /* its pool, an index into cfg->pools */
	uint32_t own_vip; /* as a client (the connection's vips): the address the peer gave us, 0: none */
	/* negotiated */
	struct proposal chosen;
	struct sk_cipher cipher;
	uint16_t prf;
	uint8_t sk_d[IKE_MAX_PRF_LEN], sk_pi[IKE_MAX_PRF_LEN], sk_pr[IKE_MAX_PRF_LEN];
	uint8_t sk_ai[64], sk_ar[64], sk_ei[36], sk_er[36];
	/* IKE_SA_INIT material kept for AUTH */
	uint8_t *ni, *nr; /* allocated to size: ike_sa_keep_nonce() */
	size_t ni_len, nr_len;
	struct ke_state *ke;
	uint16_t ke_group;
	uint8_t *ke_pub; /* our public value, resent unchanged after a COOKIE; freed once established */
	size_t ke_pub_len;
	uint8_t *init_req, *init_resp;
	size_t init_req_len, init_resp_len;
	uint8_t cookie[64];
	size_t cookie_len;
	uint8_t cookie_tries; /* COOKIEs taken: a responder may hand out a new one (its secret changed) */
	struct ike_id id_local, id_remote;
	bool id_local_given; /* id_local was set by ike_initiate_as(), not from the connection */
	bool local_ts_given; /* so was the first child's local selector: */
	struct traffic_selector local_ts;
	enum ike_fail fail;  /* why it is going down, for env.ike_event */
	/* public-key authentication */
	uint32_t peer_sig_hashes;   /* RFC 7427 hashes the peer announced, as SIG_HASH_BIT()s */
	uint8_t (*certreq)[20];     /* initiator, until established: the CAs the responder's CERTREQ named */
	int n_certreq;
	bool peer_certreq;          /* the peer sent a CERTREQ (send_cert = ifasked answers it) */
	const struct own_cert *own; /* the certificate we authenticate with */
	char *peer_cert;            /* subject of the peer's verified certificate, for list-sas; NULL with PSK */
	/* message IDs: our requests, and the peer's */
	uint32_t next_out_id, next_in_id;
	struct pending_request req;
	uint8_t *last_resp;
	size_t last_resp_len;
	uint32_t last_resp_id;
	bool have_last_resp;
	/* IKE fragmentation (RFC 7383) */
	bool frag_ok;                     /* both ends announced it */
	bool peer_childless;              /* the peer announced CHILDLESS_IKEV2_SUPPORTED (RFC 6023) */
	bool ke_pending;                  /* IKE_SA_INIT's key exchange waits for ike_flush(), and our next message with it */
	struct ike_fragments out_frags;   /* made by ike_sk_finish, taken by the next send */
	struct ike_fragments req_frags, resp_frags;
	struct ike_reassembly rx;
	/* children */
	struct child_sa *children;
	const struct cfg_child *child_cfg; /* initiator: child to set up in IKE_AUTH */
	uint64_t children_wanted;          /* more of its connection's (ike_child_bit()) to create once it is idle */
	struct ike_eap *eap;               /* responder: EAP under way or done (ike_auth_eap.c) */
	unsigned keying_try;               /* initiator: which attempt this is (keyingtries) */
	uint32_t child_spi_in;
	struct pending_create create;
	bool rekeyed;       /* replaced by a newer IKE SA; waiting to be deleted */
	bool close_asked;   /* load-conns dropped its connection (start_action = start): deleted once idle */
	uint32_t successor; /* serial of the SA the peer's rekey made of this one */
	/*
	 * reauthentication (reauth.c): the new SA of ours that reauthenticates this one, while it runs,
	 * and in that new SA the one it takes over from; each link cleared when the other SA dies
	 */
	struct ike_sa *reauth_by, *reauth_of;
	bool reauth_took_over; /* a child of this new SA took the policies of one of reauth_of's */
	uint32_t vip_wish; /* as a client: the virtual IP to ask for (the one the SA we reauthenticate had) */
	/* timers */
	uint64_t created_ms, established_ms, last_rx_ms, rekey_ms, keepalive_ms;
	/* when to reauthenticate (0: not), and when the authentication ends without one (0: never);
	 * both kept by a rekey, which authenticates nothing anew */
	uint64_t reauth_ms, auth_end_ms;
	struct timer_entry timer; /* in the daemon's heap, at or before the first of them due */
};

struct ike_stats {
	uint64_t rx, tx, rx_invalid, retransmits, auth_failures, no_proposal, established, half_open_dropped,
		cookies_sent, dpd_timeouts;
	uint64_t retransmits_answered; /* requests seen again, answered with the response kept */
	uint64_t ke_batched, ke_batches; /* IKE_SA_INIT key exchanges done together, and the batches */
};

struct v1_daemon;

struct ike_daemon {
	const struct dpike_config *cfg;
	const struct credentials *creds;
	struct v1_daemon *v1; /* IKEv1 runs beside, on the same ports */
	struct ike_pools *pools; /* virtual IPs for clients that ask (config_payload.c) */
	struct ike_env env;
	struct ike_sa *sas;
	struct ike_sa *dead; /* freed by ike_sa_reap() */
	/*
	 * Indexes, so that no message costs a walk over every SA: SAs by the SPI we chose (SPIi as
	 * initiator, SPIr as responder), half-open responder SAs by the peer's SPIi, half-open
	 * counts per peer address, and the inbound child SPIs handed out (IKEv1's too).
	 */
	struct u64map by_spi, half_open_by_spi_i, half_open_by_addr, child_spis;
	struct u64map child_owner; /* each installed child's inbound SPI -> its IKE SA */
	struct u64map by_ids;      /* established SAs by their identities (ike_sa.ids_*): the first of a list */
	/* Every SA's next deadline (ike_sa_wake()), so that a tick visits the SAs due, not all. */
	struct timer_heap timers;
	uint32_t n_sas;
	uint32_t serial;
	unsigned half_open, cookie_threshold, half_open_max, half_open_per_peer;
	uint8_t cookie_secret[32];
	struct ike_stats stats;
	/*
	 * ike.ke_reuse: the current key pair of each group in use, with its public value; a few
	 * groups at once, so that peers of two groups (IKEv1 with MODP, IKEv2 with X25519, say)
	 * do not take turns replacing one pair
	 */
	struct ke_kept {
		struct ke_state *ke;
		uint16_t group;
		uint8_t pub[IKE_MAX_KE_LEN];
		size_t pub_len;
		uint64_t until_ms;
	} ke_reuse[IKE_KE_KEPT_GROUPS];
	/* env.batch_key_exchanges: IKE_SA_INIT exchanges waiting for their key exchange, by SA and peer value */
	struct ike_pending_ke {
		uint64_t spi_i, spi_r;
		uint8_t peer[32];
	} pending_ke[IKE_KE_BATCH];
	unsigned n_pending_ke;
};

uint64_t ike_now(const struct ike_daemon *d);
/* Our key pair for an IKE_SA_INIT or IKEv1 phase 1 exchange: a new one, or with ike.ke_reuse the kept one. */
struct ke_state *ike_exchange_ke(struct ike_daemon *d, uint16_t group, uint8_t *pub, size_t *pub_len);
/*
 * Brings the SA's place in the timer heap forward to the first moment one of its timers can
 * act, as its state now says. Whatever changes an SA's timers calls it once the change is made
 * (the end of a message, a command, a state change, a request sent); a place too early costs
 * one needless visit, one too late a missed timer.
 */
void ike_sa_wake(struct ike_sa *sa);
/* When the SA's timers next need looking at; TIMER_NEVER when none runs. */
uint64_t ike_sa_next_due(const struct ike_sa *sa);
/* SAs whose place in the heap is later than ike_sa_next_due() says: 0, or a wake is missing (for tests). */
unsigned ike_timers_late(const struct ike_daemon *d);
/* Counts a message refused before it could change any state, and logs why (rate-limited). */
void ike_note_invalid(struct ike_daemon *d, const struct ike_endpoint *from, const char *why);
/* The one place an IKE SA changes state: refuses illegal moves and logs old -> new. */
bool ike_sa_set_state(struct ike_sa *sa, enum ike_sa_state to);
const char *ike_sa_state_name(enum ike_sa_state s);
struct ike_sa *ike_sa_new(struct ike_daemon *d, bool initiator, const struct cfg_connection *conn,
			  const struct ike_endpoint *local, const struct ike_endpoint *remote);
struct ike_sa *ike_sa_find(struct ike_daemon *d, uint64_t spi_i, uint64_t spi_r);
/* Sets both SPIs of an SA (a rekeyed IKE SA's successor) and indexes it under them. */
void ike_sa_set_spis(struct ike_sa *sa, uint64_t spi_i, uint64_t spi_r);
/* A responder SA waiting for IKE_AUTH: counted per peer, found again by the peer's SPIi. */
void ike_sa_note_half_open(struct ike_sa *sa);
struct ike_sa *ike_sa_half_open(struct ike_daemon *d, uint64_t spi_i);
unsigned ike_half_open_from(struct ike_daemon *d, uint32_t addr);
/* Records sa as the holder of child c (installed, or moved to it by an IKE SA rekey). */
void child_owned_by(struct ike_sa *sa, const struct child_sa *c);
/* Gives back an inbound child SPI from child_alloc_spi(). */
void child_release_spi(struct ike_daemon *d, uint32_t spi);
/* Keeps a nonce of n bytes in *slot: a copy of src, or with src NULL fresh random bytes; false without memory. */
bool ike_sa_keep_nonce(uint8_t **slot, size_t *slot_len, const uint8_t *src, size_t n);
/* Drops the CAs of the responder's CERTREQ (once our certificate is chosen, or the SA goes). */
void ike_sa_forget_certreq(struct ike_sa *sa);
/* Removes the children from the dataplane, wipes keys, frees. */
void ike_sa_destroy(struct ike_sa *sa);
void ike_sa_reap(struct ike_daemon *d);
uint64_t ike_random_spi(void);
/* When an IKE SA established at from_ms is due for rekeying: rekey_time less up to rand_time. */
uint64_t ike_rekey_at(const struct cfg_connection *c, uint64_t from_ms);
/* interval_s after from_ms, less a random part of rand_s; 0 when interval_s is 0. */
uint64_t ike_schedule_at(uint64_t interval_s, uint64_t rand_s, uint64_t from_ms);
/* The subject of the peer's certificate in list-sas (nothing when it authenticated otherwise). */
void ike_list_peer_cert(const char *subject, bool json, struct strbuf *o);
/* One child SA in list-sas, text or JSON. */
void ike_list_child(const struct ike_env *env, const struct child_sa *c, bool json, struct strbuf *o, uint64_t now);

/* Keys (RFC 7296 2.14, 2.17); on an IKE rekey old_sk_d is the old SA's SK_d (RFC 7296 2.18). */
bool ike_derive_keys(struct ike_sa *sa, const uint8_t *shared, size_t shared_len, const uint8_t *old_sk_d,
		     uint16_t old_prf);
bool ike_child_keymat(const struct ike_sa *sa, int esp_alg, const uint8_t *dh, size_t dh_len, const uint8_t *ni,
		      size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *i_to_r, uint8_t *r_to_i);

/* Encrypted payload: build the protected part of a message, or open one. */
void ike_sk_begin(struct ike_builder *b);
size_t ike_sk_finish(struct ike_sa *sa, struct ike_builder *b);
bool ike_sk_open(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_message *msg);
/* An Encrypted Fragment: 1 when the message is complete (msg then holds its payloads), 0 while
 * fragments are missing, -1 when this one is invalid. */
int ike_skf_open(struct ike_sa *sa, uint8_t *buf, size_t len, struct ike_message *msg);
void ike_fragments_free(struct ike_fragments *f);
void ike_reassembly_reset(struct ike_reassembly *r);

/* Sending. */
void ike_send(struct ike_sa *sa, const uint8_t *msg, size_t len);
/* Sends msg, or its fragments when there are any. */
void ike_send_kept(struct ike_sa *sa, const uint8_t *msg, size_t len, const struct ike_fragments *frags);
uint64_t ike_retransmit_delay_ms(const struct ike_daemon *d, int n);
/* A malloc'ed copy (NULL when out of memory). */
uint8_t *ike_copy_bytes(const uint8_t *p, size_t len);
/*
 * RFC 3948 4: behind a NAT (or faking one with encap = yes), a NAT-keepalive every
 * ike.keep_alive once floated to 4500; next_ms is the caller's schedule.
 */
/* The established SAs between sa's identities (and maybe others that hash alike): the first,
 * then on through ike_sa_next_same_ids(). */
struct ike_sa *ike_sa_same_ids(const struct ike_sa *sa);
struct ike_sa *ike_sa_next_same_ids(const struct ike_sa *sa);
/*
 * inactivity.c, the child's inactivity (swanctl): when to look at its traffic next (TIMER_NEVER
 * without inactivity), and whether it has seen no packet either way for that long (the counters
 * are read then).
 */
uint64_t child_idle_due(const struct child_sa *c);
bool child_idle(const struct ike_env *env, struct child_sa *c, uint64_t now);
/* Deletes an IKE SA: its children at once, the SA itself when the peer answers the Delete (or does not). */
void ike_sa_delete(struct ike_sa *sa);
/*
 * unique.c, the connection's unique (swanctl): whether sa, authenticated in IKE_AUTH, may stand
 * beside the other established IKE SAs of its connection between the same identities (keep:
 * not); then, once it is established, what becomes of them: with INITIAL_CONTACT in its IKE_AUTH
 * (RFC 7296 2.4: the peer says sa is its only IKE SA with us) they are left over from before the
 * peer restarted and go at once, without a Delete, unless unique = never; with unique = replace
 * they are deleted.
 */
bool ike_unique_admits(const struct ike_sa *sa);
void ike_unique_established(struct ike_sa *sa, bool initial_contact);
/* Brings child ch of c up (why says what asks for it, for the log): by CREATE_CHILD_SA on an
 * established IKE SA of c, or by initiating one (IKEv1: Quick Mode or Main Mode); nothing when
 * it is up or coming. */
void ike_start_child(struct ike_daemon *d, const struct cfg_connection *c, const struct cfg_child *ch, const char *why);
/* MOBIKE (mobike.c): the notifies of an INFORMATIONAL request that ask for something in the response. */
void mobike_respond(struct ike_sa *sa, const struct ike_message *req, struct ike_builder *b);
/* The IKE SA's peer is now at to (why: for the log); its children's ESP follows. */
void ike_move_peer(struct ike_sa *sa, const struct ike_endpoint *to, const char *why);
/* The peer of an IKE SA (either version) of connection conn is now at `to`, for the reason why
 * gives: logged, and its children (a list) moved there in the dataplane. */
void ike_children_follow_peer(const struct ike_env *env, const char *conn, struct child_sa *children,
			      const struct ike_endpoint *to, const char *why);
void ike_keepalive(const struct ike_daemon *d, bool floated, bool behind_nat, const struct ike_endpoint *local,
		   const struct ike_endpoint *remote, uint64_t now, uint64_t *next_ms);
/* When ike_keepalive() will next send, given the same state; TIMER_NEVER when it will not. */
uint64_t ike_keepalive_due(const struct ike_daemon *d, bool floated, bool behind_nat, uint64_t next_ms);
void ike_send_request(struct ike_sa *sa, const uint8_t *msg, size_t len, uint8_t exchange);
void ike_send_response(struct ike_sa *sa, const uint8_t *msg, size_t len, uint32_t msg_id);
/* Header for our next request / our response to msg_id in this SA. */
void ike_header_for(const struct ike_sa *sa, struct ike_header *h, uint8_t exchange, bool response, uint32_t msg_id);

/* AUTH (RFC 7296 2.15): what either side signs or MACs: its first message | the other's nonce | prf(SK_px, ID). */
uint8_t *ike_auth_octets(const struct ike_sa *sa, bool of_initiator, const struct ike_id *id, size_t *len);

/* Public-key authentication (auth_pubkey.c): certificates, certificate requests, signatures. */
void pubkey_add_sig_hashes(struct ike_builder *b);
void pubkey_take_sig_hashes(struct ike_sa *sa, const struct ike_message *msg);
void pubkey_add_certreq(struct ike_sa *sa, struct ike_builder *b);
/* Initiator: keeps the CAs the responder's CERTREQ in IKE_SA_INIT named. */
void pubkey_keep_certreq(struct ike_sa *sa, const struct ike_message *msg);
/* Picks our certificate (by our ID and the peer's CERTREQ); fills the ID from it when none is configured. */
bool pubkey_choose_own(struct ike_sa *sa, const struct ike_message *peer_msg, struct ike_id *id);
void pubkey_add_certs(struct ike_sa *sa, struct ike_builder *b);
bool pubkey_add_auth(struct ike_sa *sa, struct ike_builder *b, bool of_initiator);
/* Checks the peer's certificate chain and its identity, then its AUTH; logs why on failure. */
bool pubkey_verify(struct ike_sa *sa, const struct ike_message *msg, bool of_initiator);

/* Exchanges. */
void ike_sa_init_start(struct ike_sa *sa);
void ike_sa_init_respond(struct ike_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
			 const struct ike_message *msg, const uint8_t *raw, size_t len);
void ike_sa_init_process_response(struct ike_sa *sa, const struct ike_message *msg, const uint8_t *raw, size_t len);
/*
 * Does the waiting IKE_SA_INIT key exchanges (env.batch_key_exchanges) and sends what waited for
 * them; SAs refused meanwhile are left dead for ike_sa_reap().
 */
void ike_sa_init_finish_deferred(struct ike_daemon *d);
void ike_auth_start(struct ike_sa *sa);
void ike_auth_respond(struct ike_sa *sa, const struct ike_message *msg);
/* The responder's IKE_AUTH pieces ike_auth_eap.c shares. */
bool ike_auth_choose_identity(struct ike_sa *sa, const struct ike_message *peer_msg);
bool ike_auth_add_own(struct ike_sa *sa, struct ike_builder *b, bool of_initiator);
bool ike_auth_childless_fits(const struct ike_sa *sa, const struct ike_message *msg);
void ike_auth_respond_failed(struct ike_sa *sa, uint32_t msg_id);
void ike_auth_add_mobike(struct ike_sa *sa, const struct ike_message *req, struct ike_builder *b);
/* The IKE SA established, its address and first child as req asked; the response sent. */
void ike_auth_finish_response(struct ike_sa *sa, const struct ike_message *req, struct ike_builder *b, uint32_t msg_id);
/* AUTH = prf(prf(secret, "Key Pad for IKEv2"), <signed octets>): a PSK's, or EAP's MSK (RFC 7296 2.15, 2.16). */
bool ike_auth_shared_key(const struct ike_sa *sa, bool of_initiator, const uint8_t *secret, size_t secret_len,
			 const struct ike_id *id, uint8_t *out, size_t *out_len);
/* EAP (ike_auth_eap.c, RFC 7296 2.16): each IKE_AUTH request of a peer whose remote round is EAP. */
void ike_eap_respond(struct ike_sa *sa, const struct ike_message *msg);
void ike_eap_free(struct ike_sa *sa);
/* The identity the peer authenticated with by EAP and the method's name; NULL if it did not. */
const char *ike_eap_identity(const struct ike_sa *sa, const char **method);
void ike_auth_process_response(struct ike_sa *sa, const struct ike_message *msg);
void ike_info_respond(struct ike_sa *sa, const struct ike_message *msg);
void ike_info_process_response(struct ike_sa *sa, const struct ike_message *msg);
void ike_send_delete(struct ike_sa *sa, uint8_t protocol, const uint32_t *spis, uint16_t n);
void ike_send_liveness(struct ike_sa *sa);

/* Virtual IPs (config_payload.c): the CP request answered (0) or the notify to send instead. */
uint16_t cp_respond(struct ike_sa *sa, const struct ike_message *msg, struct ike_builder *b);
/* A rekeyed IKE SA's successor holds its address too; the address goes back when the last lets go. */
void cp_inherit(struct ike_sa *to, const struct ike_sa *from);
void cp_release(struct ike_sa *sa);
/* What a child's remote "dynamic" selector stands for: the peer's virtual IP, else its address. */
uint32_t cp_remote_dynamic(const struct ike_sa *sa);
/* As a client: the request for the connection's vips in IKE_AUTH, and the peer's answer to it. */
void cp_add_request(const struct ike_sa *sa, struct ike_builder *b);
void cp_process_reply(struct ike_sa *sa, const struct ike_message *msg);

/* Child SAs. */
int child_proposals(const struct cfg_child *c, struct proposal *out, int max);
/* A child's configured selectors, "dynamic" ones as the address given (the SA's own or the peer's). */
/* A child's soft limit (rekey time in ms, bytes, packets) less a random part of rand, as swanctl spreads rekeys. */
uint64_t child_jittered(uint64_t limit, uint64_t rand);
void child_ts_from_config(const struct cfg_ts_list *l, uint32_t dynamic, struct ike_ts *out, int *n);
/* The remote selectors of a child as configured: "dynamic" (or none, for a client with a virtual
 * IP) the peer's virtual IP or address. */
void child_remote_ts(const struct ike_sa *sa, const struct cfg_child *cfg, struct ike_ts *out, int *n);
/* The local ones: "dynamic" (or none) our virtual IP, or any address while we ask for one. */
void child_local_ts(const struct ike_sa *sa, const struct cfg_child *cfg, struct ike_ts *out, int *n);
bool child_parse_request(const struct ike_message *msg, struct child_request *r);
/* Tries one configured child against a request; 0 on a match (c filled in), else the notify to send. */
uint16_t child_match(const struct ike_sa *sa, const struct cfg_child *cfg, const struct child_request *r,
		     bool ignore_dh, struct child_sa *c, int *which);
void child_add_response(struct ike_builder *b, const struct child_sa *c, const struct child_request *r, int which,
			bool ignore_dh);
/* Derives KEYMAT (RFC 7296 2.17) and installs; activate / replaces as in ike_env.install_child. */
bool child_install(struct ike_sa *sa, struct child_sa *c, const uint8_t *dh, size_t dh_len, const uint8_t *ni,
		   size_t ni_len, const uint8_t *nr, size_t nr_len, bool activate, struct child_sa *replaces);
/* Accepts the responder's answer to a child request of ours, fills c; false on refusal. */
bool child_accept_response(struct ike_sa *sa, const struct cfg_child *cfg, const struct ike_message *msg,
			   bool ignore_dh, struct child_sa *c);
/* Responder in IKE_AUTH: picks a child config, narrows selectors, installs; the notify error or 0. */
uint16_t child_respond(struct ike_sa *sa, const struct ike_message *msg, struct ike_builder *b, bool ignore_dh);
/* Initiator in IKE_AUTH: installs the child the responder accepted; false on refusal. */
bool child_complete(struct ike_sa *sa, const struct ike_message *msg);
void child_destroy(struct ike_sa *sa, struct child_sa *c);
/* Frees a child that is in no list and not in the dataplane, with what it owns. */
void child_free(struct child_sa *c);
/*
 * dst, the address of one of the child's pointer fields, gets a copy of n elements of size bytes
 * at src (what it pointed to is freed; NULL for n = 0); false without memory, nothing changed.
 */
bool child_keep(void *dst, int *n_dst, const void *src, int n, size_t size);
struct child_sa *child_by_spi(struct ike_sa *sa, uint32_t spi, bool outbound);
uint32_t child_alloc_spi(struct ike_daemon *d);
void child_add_request(struct ike_sa *sa, struct ike_builder *b, const struct cfg_child *c, uint32_t spi_in,
		       bool with_dh, const struct ike_ts *tsi, int n_tsi, const struct ike_ts *tsr, int n_tsr);

/* CREATE_CHILD_SA (RFC 7296 1.3): new and rekeyed child SAs, IKE SA rekey. */
bool ccsa_rekey_child(struct ike_sa *sa, struct child_sa *old);
bool ccsa_create_child(struct ike_sa *sa, const struct cfg_child *cfg);
bool ccsa_rekey_ike(struct ike_sa *sa);
void ccsa_respond(struct ike_sa *sa, const struct ike_message *msg);
void ccsa_process_response(struct ike_sa *sa, const struct ike_message *msg);
void ccsa_abort(struct ike_sa *sa);

/*
 * Reauthentication (reauth.c). At establishment: when it is due, from reauth_time. On a timer
 * visit: starts one that is due, or deletes the old SA once its new one has all the children.
 */
void ike_reauth_schedule(struct ike_sa *sa);
void ike_reauth_run(struct ike_sa *sa, uint64_t now);
/* dpikectl reauth: now, where this end can; -1 with the reason in err where it cannot. */
int ike_reauth_now(struct ike_sa *sa, struct strbuf *err);
/* When ike_reauth_run() has something to do: 0 at once, TIMER_NEVER for nothing. */
uint64_t ike_reauth_next_due(const struct ike_sa *sa);
/* The SA is being reauthenticated and its new SA is up: its children are not rekeyed now. */
bool ike_reauth_holds_rekeys(const struct ike_sa *sa);
/* The child of the SA that sa reauthenticates that a new child of cfg takes over from; NULL: none. */
struct child_sa *ike_reauth_predecessor(const struct ike_sa *sa, const struct cfg_child *cfg);
/* A child of the peer's new IKE SA for one it reauthenticates: the old child it replaces; NULL: none. */
struct child_sa *ike_reauth_by_peer_replaces(const struct ike_sa *sa, const struct child_sa *c);
/* An IKE SA rekey: the successor keeps the old one's authentication times and reauthentication. */
void ike_reauth_rekeyed(struct ike_sa *old, struct ike_sa *successor);
/* sa is dead: its reauthentication link goes; a new SA that never came up has its old one try again. */
void ike_reauth_gone(struct ike_sa *sa);
/*
 * Handover (handover.c): a child installed without its outbound side, as a responder installs one
 * that replaces another, waits for the peer before it takes the old one's traffic over.
 */
void child_wait_to_replace(struct ike_sa *sa, struct child_sa *c, struct child_sa *old, uint64_t deadline_ms);
void child_hand_over(struct ike_sa *sa, struct child_sa *c, const char *why);
/* c goes: a child waiting to replace it takes over first; c's own wait ends. */
void child_handover_gone(struct ike_sa *sa, struct child_sa *c);
/* c will not take over after all (the redundant child of a rekey collision). */
void child_stop_waiting(struct child_sa *c);
void ike_handover_check(struct ike_sa *sa, uint64_t now);
uint64_t ike_handover_due(const struct ike_sa *sa);
#define HANDOVER_REKEY_MS 10000
#define HANDOVER_REAUTH_MS 2000

/* AUTH_LIFETIME (RFC 4478): added to a responder's IKE_AUTH answer, taken by the initiator. */
void ike_auth_lifetime_add(const struct ike_sa *sa, struct ike_builder *b);
void ike_auth_lifetime_take(struct ike_sa *sa, const struct ike_message *msg);

/* NAT detection (RFC 7296 2.23). */
void nat_add_notifies(struct ike_builder *b, const struct ike_sa *sa, bool fake_source);
void nat_check(struct ike_sa *sa, const struct ike_message *msg);

#endif
