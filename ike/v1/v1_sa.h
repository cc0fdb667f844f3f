/* SPDX-License-Identifier: BSD-3-Clause */
/* IKEv1 state: ISAKMP SAs, Quick Mode exchanges, shared by the files of ike/v1/. */
#ifndef DPIKE_IKE_V1_V1_SA_H
#define DPIKE_IKE_V1_V1_SA_H

#include <stdbool.h>
#include <stdint.h>

#include "ike/ike.h"
#include "ike/v2/ike_sa.h"
#include "isakmp.h"

enum v1_state {
	V1_MM_I1, V1_MM_I3, V1_MM_I5, /* Main Mode initiator: message 1, 3 or 5 sent */
	V1_MM_R2, V1_MM_R4,           /* Main Mode responder: message 2 or 4 sent */
	V1_AM_I1, V1_AM_R2,           /* Aggressive Mode */
	V1_ESTABLISHED,
	V1_DEAD,
};

/* One Quick Mode exchange in progress (several may run on one ISAKMP SA). */
struct v1_quick {
	struct v1_quick *next;
	uint32_t msg_id;
	bool initiator;
	const struct cfg_child *cfg;
	uint32_t replaces_spi; /* a rekey: the inbound SPI of the child this one follows (it may go meanwhile) */
	uint8_t iv[16];
	uint32_t spi_in, spi_out;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX]; /* the peer's may be 8 to 256 bytes long */
	size_t ni_len, nr_len;
	struct ke_state *ke;
	uint16_t group;
	uint8_t shared[IKE_MAX_KE_LEN];
	size_t shared_len;
	struct child_sa *child; /* filled in from the negotiation */
	bool has_oa;            /* the peer's NAT-OAi and NAT-OAr (RFC 3947 5.2) */
	uint32_t oa_i, oa_r;
	uint8_t *last; size_t last_len; /* our last message, for retransmission */
	int tries;
	uint64_t next_ms;
	uint64_t started_ms;
	uint8_t in_digest[32]; /* of the last message received, to spot retransmissions */
	bool done;             /* initiator: HASH(3) sent, kept a while to answer a repeated message 2 */
	uint64_t switch_ms;    /* initiator of a rekey: when outbound traffic moves to the new pair */
};

/*
 * One Transaction exchange (transaction.c: Mode Config, XAuth): ours (a REQUEST or SET sent,
 * until answered, then kept a while to recognise repeats of the answer), or the peer's (our
 * REPLY or ACK kept a while, to send again to a repeated request).
 */
struct v1_transaction {
	uint32_t msg_id;
	bool initiator;
	bool done;        /* ours answered, or the peer's answered by us: kept until next_ms */
	bool xauth;       /* XAuth's (xauth.c), else Mode Config's (mode_config.c) */
	uint8_t type;     /* of the message we sent: REQUEST or SET, REPLY or ACK */
	uint16_t ident;   /* the ATTR payload's identifier, the same in the answer */
	uint8_t iv[16];
	uint8_t *last; size_t last_len; /* our last message, for retransmission */
	int tries;
	uint64_t next_ms;
	uint8_t in_digest[32]; /* of the peer's message, to spot repeats */
};

/* The ATTR payload's message types (draft-dukes-ike-mode-cfg-02 3.2) and the attributes dpike reads. */
enum { V1CFG_REQUEST = 1, V1CFG_REPLY = 2, V1CFG_SET = 3, V1CFG_ACK = 4 };
enum { V1CFG_IP4_ADDRESS = 1, V1CFG_IP4_DNS = 3 };
/* XAuth's (draft-beaulieu-ike-xauth-02 6.1), numbered from 16520 to 16531 */
enum { V1CFG_XAUTH_FIRST = 16520, V1CFG_XAUTH_USER_NAME = 16521, V1CFG_XAUTH_USER_PASSWORD = 16522,
       V1CFG_XAUTH_STATUS = 16527, V1CFG_XAUTH_LAST = 16531 };

/* What an ATTR payload holds of the attributes dpike reads. */
struct v1_cfg_attrs {
	uint8_t type;
	uint16_t ident;
	bool address, dns; /* INTERNAL_IP4_ADDRESS, _DNS asked for, or (SET, REPLY) given */
	uint32_t addr;     /* the first four-byte INTERNAL_IP4_ADDRESS, host order; 0: none */
	bool xauth;        /* any XAuth attribute (draft-beaulieu-ike-xauth-02) */
	int status;        /* XAUTH-STATUS, -1 when absent */
	const uint8_t *user, *password; /* XAUTH-USER-NAME, -PASSWORD: NULL when absent */
	size_t user_len, password_len;
};

/* What an established ISAKMP SA still does before its Quick Modes (the client's) or before taking any (the server's). */
enum v1_setup { V1_SETUP_DONE, V1_SETUP_XAUTH, V1_SETUP_MODE_CFG };

struct v1_daemon;
struct own_cert;

/* What phase 1 (Main or Aggressive Mode) exchanges and hashes; dropped once the ISAKMP SA is up. */
struct v1_phase1 {
	uint8_t gx_i[IKE_MAX_KE_LEN], gx_r[IKE_MAX_KE_LEN];
	size_t gx_len;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	uint8_t *sa_i_b; /* the initiator's SA payload body, for the hashes */
	size_t sa_i_len;
	uint8_t id_i_b[4 + IKE_ID_MAX], id_r_b[4 + IKE_ID_MAX]; /* ID payload bodies */
	size_t id_i_len, id_r_len;
};

struct v1_sa {
	struct v1_sa *next, *prev; /* in the daemon's list of all ISAKMP SAs */
	struct v1_sa *next_dead;   /* in its list of SAs to free: entered once, on the move to V1_DEAD */
	struct timer_entry timer;  /* in the daemon's heap, at or before the first of its timers due */
	bool half_open;            /* a responder's, not yet established: counted against ike.half_open_* */
	/* once established, in the daemon's list of the ISAKMP SAs of the same peer (v1_peer_first()), and
	 * in its list of those between the same identities wherever the peer is (INITIAL-CONTACT) */
	struct u64map_link peer, contact;
	struct v1_daemon *d;
	uint32_t serial;
	uint64_t cky_i, cky_r;
	bool initiator, aggressive;
	const struct cfg_connection *conn;
	enum v1_state state;
	struct ike_endpoint local, remote;
	bool natt, nat_local, nat_remote, floated, dpd;
	bool frag;                 /* the peer announced IKEv1 fragmentation (fragments.h) */
	uint16_t frag_id;          /* of the last message we sent in fragments */
	struct v1_defrag *defrag;  /* the peer's message coming in fragments, while it does */
	/* negotiated phase 1 */
	struct v1_transform chosen;
	uint16_t encr, encr_bits, hash, group; /* encr: V1_ENCR_AES_CBC or V1_ENCR_3DES */
	size_t block; /* the cipher's block size, 16 or 8 */
	uint64_t life_s;
	const void *md; /* EVP_MD of the hash */
	size_t hlen;
	/* key exchange */
	struct ke_state *ke;
	struct v1_phase1 *p1; /* until established */
	struct ike_id id_local, id_remote;
	bool id_local_given;                /* id_local was set by v1_initiate_as(), not from the connection */
	bool local_ts_given;                /* so was the local selector of its Quick Modes: */
	struct traffic_selector local_ts;
	enum ike_fail fail;                 /* why it is going down, for env.ike_event */
	/* signature authentication (auth_sig.c) */
	const struct own_cert *own; /* the certificate we sign with */
	char peer_cert[256];        /* subject of the peer's verified certificate, for list-sas */
	bool peer_cr;               /* the peer sent a certificate request (send_cert = ifasked answers it) */
	/* keys */
	/* the PSK they came from, as its SHA-256 (no pointer: dpikectl load-creds replaces the secrets) */
	bool psk_keyed;
	uint8_t psk_digest[32];
	uint8_t skeyid[64], skeyid_d[64], skeyid_a[64], enc_key[32];
	uint8_t iv[16];
	bool keyed;
	bool ke_pending;   /* Main Mode: the key exchange waits for v1_flush(), and our next message with it */
	bool rx_authentic; /* the message being processed passed its HASH check */
	/* retransmission of our last phase 1 message */
	uint8_t *last_out; size_t last_out_len;
	uint8_t last_in_hash[32];
	int tries;
	uint64_t next_ms;
	/* Transaction exchanges (transaction.c): XAuth, then Mode Config, after phase 1 */
	struct v1_transaction *xact_out, *xact_in; /* ours, and the peer's last */
	enum v1_setup setup; /* the step under way; Quick Mode waits (child_cfg then says which) */
	uint64_t setup_ms;   /* when it began: a client waits for the server's first message this long */
	uint32_t vip;       /* server: the peer's address from our pools (0: none) */
	int vip_pool;       /* its pool, an index into cfg->pools */
	uint32_t own_vip;   /* client: the address the peer gave us */
	bool xauth_failed;  /* server: the credentials were wrong; the SA goes once the peer has the news */
	char xauth_user[64]; /* server: the user name XAuth authenticated (printable), for list-sas */
	/* Quick Mode and children */
	struct v1_quick *quick;
	struct child_sa *children;
	const struct cfg_child *child_cfg; /* initiator: the child to create once phase 1 is done */
	uint64_t children_wanted;          /* initiator: more of its connection's (ike_child_bit()) after it */
	unsigned keying_try;
	/* DPD and lifetimes */
	uint32_t dpd_seq, dpd_pending;
	uint64_t created_ms, established_ms, last_rx_ms, dpd_sent_ms, expire_ms, keepalive_ms;
	/* reauthentication (IKEv1 has no rekeying of the ISAKMP SA): the new SA points at the old */
	uint32_t reauth_of;
	bool superseded;
	uint64_t superseded_ms;
	uint32_t handover_ms; /* superseded: how long it stays before we delete it */
};

struct v1_stats {
	uint64_t rx, tx, rx_invalid, retransmits, retransmits_answered, auth_failures, no_proposal, established, aggressive_refused, half_open_dropped, dpd_timeouts;
	uint64_t ke_batched, ke_batches; /* Main Mode key exchanges done together, and the batches */
	uint64_t fragments_received, reassembled, sent_in_fragments; /* IKEv1 fragmentation: pieces, messages, messages */
};

#define V1_FIRST_DEFRAG_SLOTS 8

struct v1_daemon {
	const struct dpike_config *cfg;
	struct ike_daemon *v2; /* shares the SPI space */
	struct ike_env env;
	struct v1_sa *sas;
	struct v1_sa *dead; /* freed by the next reap */
	/*
	 * Indexes, so that no message or tick costs a walk over every SA (as in ike/v2/): SAs by the
	 * cookie we chose, responder SAs by the initiator's cookie (a repeated first message carries
	 * no other), half-open responder SAs counted in all and per peer address, the holder of every
	 * installed IPsec SA by its inbound SPI, and every SA's next deadline.
	 */
	struct u64map by_cookie, responder_by_cky_i, half_open_by_addr, child_holder, peers, contacts;
	unsigned half_open;
	struct timer_heap timers;
	uint32_t n_sas;
	uint32_t serial;
	struct v1_stats stats;
	/* env.batch_key_exchanges: Main Mode key exchanges waiting, by SA (our cookie, both) and peer value */
	struct v1_pending_ke {
		uint64_t ours, cky_i, cky_r;
		uint8_t peer[32];
	} pending_ke[IKE_KE_BATCH];
	unsigned n_pending_ke;
	/*
	 * First messages of an exchange that come in fragments (a peer with fragmentation = force):
	 * there is no ISAKMP SA to hold them yet, so a few slots, by peer and cookie, the oldest
	 * given up for a new one. Bounded, as any unauthenticated state must be.
	 */
	struct v1_first_defrag {
		uint64_t cky_i;
		struct ike_endpoint remote;
		uint64_t used; /* first_defrag_clock when a piece last came */
		struct v1_defrag *defrag;
	} first_defrag[V1_FIRST_DEFRAG_SLOTS];
	uint64_t first_defrag_clock;
};

struct v1_daemon *v1_create(const struct dpike_config *cfg, const struct ike_env *env, struct ike_daemon *v2);
void v1_destroy(struct v1_daemon *d);
void v1_input(struct v1_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
	      const uint8_t *msg, size_t len);
void v1_tick(struct v1_daemon *d);
/* Does the Main Mode key exchanges waiting (env.batch_key_exchanges) and sends what waited for them. */
void v1_flush(struct v1_daemon *d);
/* Links a new SA (cky_i, and cky_r of a responder, set) into the daemon and its indexes; false without memory. */
bool v1_sa_link(struct v1_daemon *d, struct v1_sa *sa);
/* As ike_sa_wake(): brings the SA's place in the timer heap forward to what its state now says. */
void v1_sa_wake(struct v1_sa *sa);
/* Records that holder now holds the installed IPsec SA c (after installing or adopting it). */
void v1_child_held(struct v1_sa *holder, struct child_sa *c);
/*
 * The established ISAKMP SAs of sa's peer (same connection, address and identities; sa among
 * them): the first, then on through v1_peer_next(), each to be checked with v1_same_peer() (the
 * list is by a hash of those). Reauthentication and rekeying look there instead of at every SA.
 */
/* The live ISAKMP SA a message with header h belongs to; NULL if none. */
struct v1_sa *v1_sa_find(struct v1_daemon *d, const struct isakmp_header *h);
struct v1_sa *v1_peer_first(const struct v1_sa *sa);
struct v1_sa *v1_peer_next(const struct v1_sa *sa);
bool v1_same_peer(const struct v1_sa *a, const struct v1_sa *b);
/* The ISAKMP SAs between sa's identities, from any address (and maybe others that hash alike). */
struct v1_sa *v1_contact_first(const struct v1_sa *sa);
struct v1_sa *v1_contact_next(const struct v1_sa *sa);
/* Deletes an ISAKMP SA and its IPsec SAs, with a Delete for each to the peer. */
void v1_sa_delete(struct v1_sa *sa);
/*
 * unique.c, the connection's unique (swanctl), for ISAKMP SAs between the same identities (and,
 * after XAuth, the same XAuth user) from another address: one from the same address is the peer
 * reauthenticating, and takes the old one's IPsec SAs over instead. v1_unique_admits(): false
 * when unique = keep and such an SA is established. v1_unique_established(), when phase 1 is
 * done: INITIAL-CONTACT (RFC 2407 4.6.3.3; not with unique = never) makes the others go at once,
 * unique = replace has them deleted (after XAuth, where the connection asks for it:
 * v1_unique_after_xauth()); false when sa itself was refused and deleted (an initiator, keep).
 */
bool v1_unique_admits(const struct v1_sa *sa);
bool v1_unique_established(struct v1_sa *sa, bool initial_contact);
void v1_unique_after_xauth(struct v1_sa *sa);
/* sa's installed child of that configuration, or NULL. */
struct child_sa *v1_child_of(const struct v1_sa *sa, const struct cfg_child *cfg);
/* Wakes the SA holding c, whose timers changed. */
void v1_wake_holder(struct v1_daemon *d, const struct child_sa *c);
/* SAs whose place in the heap is later than their timers say (for tests, as ike_timers_late()). */
unsigned v1_timers_late(const struct v1_daemon *d);
int v1_initiate(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child, struct strbuf *err);
/* ike_initiate_as() for an IKEv1 connection; local_ts may be NULL. */
uint32_t v1_initiate_as(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child,
			const struct ike_endpoint *local, const struct ike_id *local_id,
			const struct traffic_selector *local_ts);
int v1_terminate(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child, struct strbuf *err);
int v1_rekey(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child, struct strbuf *err);
/* ike_delete_established() for ISAKMP SAs: deleted at once. */
unsigned v1_delete_established(struct v1_daemon *d, const char *conn, unsigned max);
/* load-conns let go of c: its established ISAKMP SAs deleted, their IPsec SAs with them; how many. */
unsigned v1_close_conn(struct v1_daemon *d, const struct cfg_connection *c);
uint32_t v1_sa_count(const struct v1_daemon *d);
void v1_list(struct v1_daemon *d, bool json, struct strbuf *o);
/* True when the SPI was one of IKEv1's. */
bool v1_child_expired(struct v1_daemon *d, uint32_t spi_in, bool hard);
/* ike_peer_moved() for an IPsec SA of IKEv1: its holder and the holder's IPsec SAs move to to. */
void v1_peer_moved(struct v1_daemon *d, uint32_t spi_in, const struct ike_endpoint *to);
/* Do commands for this connection go to IKEv1 (version = 1, or an IKEv1 SA is up)? */
bool v1_owns(struct v1_daemon *d, const struct cfg_connection *c);
/* Brings the child up (why says what asks for it, for the log): by Quick Mode on an established
 * ISAKMP SA of c, or by initiating one; nothing when it is up or coming. */
/* Children of c (bits, ike_child_bit()) to bring up: by Quick Modes side by side once an ISAKMP
 * SA of c is up (the one up, or coming up), else after a new one. */
void v1_start_children(struct v1_daemon *d, const struct cfg_connection *c, uint64_t bits);
/* The setup after phase 1 is done: the children wanted start. */
void v1_start_wanted(struct v1_sa *sa);
void v1_start_child(struct v1_daemon *d, const struct cfg_connection *c, const struct cfg_child *child, const char *why);

/* Internal: keys (RFC 2409 5, App. B) and protection. */
/* SKEYID from the PSK (RFC 2409 5.4), or with psk NULL for signatures, from the nonces (5.1); then the rest. */
bool v1_phase1_keys(struct v1_sa *sa, const uint8_t *psk, size_t psk_len, const uint8_t *gxy, size_t gxy_len);
bool v1_prf(const struct v1_sa *sa, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t *out);
void v1_phase2_iv(const struct v1_sa *sa, uint32_t msg_id, uint8_t iv[16]);
bool v1_keymat(const struct v1_sa *sa, const uint8_t *gqm, size_t gqm_len, uint32_t spi, const uint8_t *ni,
	       size_t ni_len, const uint8_t *nr, size_t nr_len, uint8_t *out, size_t len);
/* Starts a phase 2 message (Quick Mode, Informational) with room for its HASH; returns where it starts. */
size_t v1_begin_hashed(const struct v1_sa *sa, struct ike_builder *b, uint8_t exchange, uint32_t msg_id);
/* Encrypts b's payloads in place with iv (updated to the last cipher block); returns the length. */
size_t v1_encrypt(struct v1_sa *sa, struct ike_builder *b, uint8_t iv[16]);
/* Decrypts a message body in place with iv (updated); false when the length is not whole blocks. */
bool v1_decrypt(struct v1_sa *sa, uint8_t *buf, size_t len, uint8_t iv[16]);

/* Exchanges. */
/*
 * Transaction exchanges after phase 1 (transaction.c). As client (initiator): XAuth where the
 * connection has local-2, then Mode Config where it has vips, then child_cfg's Quick Mode. As
 * server (responder): XAuth where it has remote-2 (Quick Modes refused until it succeeds), then
 * Mode Config pushed with pull = no.
 */
void v1_after_phase1(struct v1_sa *sa);
void v1_server_after_phase1(struct v1_sa *sa);
/* True when Quick Modes of the SA wait for its setup; cfg is then started after it. */
bool v1_setup_holds(struct v1_sa *sa, const struct cfg_child *cfg);
void v1_transaction_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw);
/* The SA's transaction of that message ID, ours or the peer's; NULL if none. */
struct v1_transaction *v1_transaction_of(struct v1_sa *sa, uint32_t msg_id);
/* Retransmission and linger of the transactions, the setup's deadline (run_timers), and when next due. */
void v1_transaction_timers(struct v1_sa *sa, uint64_t now);
uint64_t v1_transaction_due(const struct v1_sa *sa);
void v1_transactions_free(struct v1_sa *sa);
/* A new transaction of ours (REQUEST or SET), or our answer to the peer's message m (raw: as it came). */
struct v1_transaction *v1_transaction_new(struct v1_sa *sa, uint8_t type, bool xauth);
struct v1_transaction *v1_transaction_answer(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw,
					     const struct v1_cfg_attrs *a, bool xauth);
/* Opens x's message and its ATTR payload for the attributes; returns where the HASH is. */
size_t v1_transaction_begin(const struct v1_sa *sa, struct ike_builder *b, const struct v1_transaction *x);
/* Closes the ATTR payload, hashes, encrypts, sends and keeps the message. */
void v1_transaction_send(struct v1_sa *sa, struct v1_transaction *x, struct ike_builder *b, size_t hash_at);
/* An attribute: TLV (value of len bytes, none when len is 0), or TV (16-bit value). */
void v1_cfg_put(struct ike_builder *b, uint16_t type, const void *value, size_t len);
void v1_cfg_put_tv(struct ike_builder *b, uint16_t type, uint16_t value);
/* The next setup step is due: the client's moves on (and at the end its Quick Mode starts). */
void v1_setup_next(struct v1_sa *sa);

/* Mode Config (mode_config.c): the address, as client and as server. */
void v1_mode_config_start(struct v1_sa *sa); /* client: REQUEST (pull), else wait for SET */
void v1_mode_config_push(struct v1_sa *sa);  /* server with pull = no: SET */
void v1_mode_config_peer(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw,
			 const struct v1_cfg_attrs *a);
void v1_mode_config_answered(struct v1_sa *sa, struct v1_transaction *x, const struct v1_cfg_attrs *a);
/* The SA's pool lease; adopt: a reauthenticating SA takes over old's. */
void v1_mode_config_release(struct v1_sa *sa);
void v1_mode_config_adopt(struct v1_sa *sa, const struct v1_sa *old);
/* The addresses "dynamic" selectors stand for: the virtual IPs where there are, else the IKE addresses. */
uint32_t v1_remote_dynamic(const struct v1_sa *sa);
uint32_t v1_local_dynamic(const struct v1_sa *sa);

/* XAuth (xauth.c): the server asks for a user name and password and tells the outcome. */
void v1_xauth_start(struct v1_sa *sa); /* server */
void v1_xauth_peer(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, const struct v1_cfg_attrs *a);
void v1_xauth_answered(struct v1_sa *sa, struct v1_transaction *x, const struct v1_cfg_attrs *a);

/* HASH(1) of an Informational or Transaction message (RFC 2409 5.7): prf(SKEYID_a, M-ID | payloads after it). */
bool v1_hash1_fill(const struct v1_sa *sa, struct ike_builder *b, size_t hash_at, uint32_t msg_id);
bool v1_hash1_verifies(struct v1_sa *sa, const struct isakmp_message *m);
void v1_main_start(struct v1_sa *sa);
void v1_main_respond(struct v1_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
		     const struct isakmp_message *m, const uint8_t *raw, size_t len);
void v1_main_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, size_t len);
void v1_aggressive_start(struct v1_sa *sa);
void v1_aggressive_respond(struct v1_sa *sa, const struct isakmp_message *m);
void v1_aggressive_process(struct v1_sa *sa, const struct isakmp_message *m);
void v1_quick_start(struct v1_sa *sa, const struct cfg_child *cfg, struct child_sa *replaces);
void v1_quick_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, size_t len);
void v1_info_process(struct v1_sa *sa, const struct isakmp_message *m, const uint8_t *raw, size_t len);
void v1_send_delete(struct v1_sa *sa, uint8_t protocol, const uint32_t *spis, int n);
void v1_send_dpd(struct v1_sa *sa, uint16_t type, uint32_t seq);
/* An INITIAL-CONTACT Notify (RFC 2407 4.6.3.3) into phase 1 message b, when sa is the only
 * ISAKMP SA of its connection and local identity (v1_first_with_peer()). */
void v1_add_initial_contact(const struct v1_sa *sa, struct ike_builder *b);
bool v1_first_with_peer(const struct v1_sa *sa);
/* An error Notify under the keys of phase 1 (RFC 2409 5.7), e.g. AUTHENTICATION_FAILED. */
void v1_send_error(struct v1_sa *sa, uint16_t type);
/* An unprotected notification refusing a phase 1 request (such as NO-PROPOSAL-CHOSEN). */
void v1_send_plain_notify(struct v1_daemon *d, const struct ike_endpoint *local, const struct ike_endpoint *remote,
			  uint64_t cky_i, uint16_t type);
void v1_send(struct v1_sa *sa, const uint8_t *msg, size_t len, bool remember);
/* Replaces *slot with a copy of msg (what was sent, to send again; or what a hash needs later). */
void v1_keep_copy(uint8_t **slot, size_t *slot_len, const uint8_t *msg, size_t len);
void v1_set_state(struct v1_sa *sa, enum v1_state to);
const char *v1_state_name(enum v1_state s);
/* Removes a child, whichever ISAKMP SA of the daemon holds it. */
void v1_child_destroy(struct v1_sa *sa, struct child_sa *c);
/* The child with this inbound SPI on any ISAKMP SA, and (if holder) the SA holding it. */
struct child_sa *v1_child_by_spi(struct v1_daemon *d, uint32_t spi_in, struct v1_sa **holder);
void v1_quick_free(struct v1_sa *sa, struct v1_quick *q);
/* A rekey's initiator moves outbound traffic to the new pair once the peer has had HASH(3). */
void v1_quick_switch(struct v1_sa *sa, struct v1_quick *q);
void v1_stats(const struct v1_daemon *d, bool json, struct strbuf *o);
/* The hash of a whole message body, for the hashes of Quick Mode and Informational. */
bool v1_hash_payloads(const struct v1_sa *sa, const uint8_t *prefix, size_t prefix_len, const uint8_t *body,
		      size_t body_len, uint8_t *out);

#endif
