/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance configuration: one libconfig file whose connection keys follow
 * strongSwan's swanctl.conf. Parsing validates everything; the rest of dpike only
 * ever sees a complete, consistent struct dpike_config.
 */
#ifndef DPIKE_CONFIG_H
#define DPIKE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/ts.h"
#include "lib/u64map.h"

#define CFG_NAME_MAX 64
#define CFG_MAX_INTERFACES 16
#define CFG_MAX_TS 16
#define CFG_MAX_ADDRS 8
#define CFG_MAX_PROPOSALS 32
#define CFG_MAX_KEY 100 /* ESP_MAX_KEY_LEN */
#define CFG_ERR_MAX 512
#define CFG_UPDOWN_MAX 512

struct cfg_interface {
	char name[CFG_NAME_MAX];
	char device[CFG_NAME_MAX];
	char args[256];
	uint32_t addr;
	uint8_t plen;
	uint16_t mtu;
	int line;
};

struct cfg_neighbour {
	int iface;
	uint32_t ip;
	uint8_t mac[6];
};

struct cfg_route {
	uint32_t prefix;
	uint8_t plen;
	uint32_t via; /* 0: directly connected on iface */
	int iface;
};

enum ipsec_mode { IPSEC_MODE_TUNNEL, IPSEC_MODE_TRANSPORT };

/* One item of local_addrs or remote_addrs: an address, a prefix, a range first-last, or %any (host order). */
struct cfg_addr_range {
	uint32_t first, last;
};

/* Whether addr is among a connection's addresses (none configured: any). */
static inline bool cfg_addr_listed(const struct cfg_addr_range *r, int n, uint32_t addr)
{
	for (int i = 0; i < n; i++)
		if (addr >= r[i].first && addr <= r[i].last)
			return true;
	return n == 0;
}

/* The first single address of the list (what an initiator talks to, or from), false when there is none. */
static inline bool cfg_addr_single(const struct cfg_addr_range *r, int n, uint32_t *addr)
{
	for (int i = 0; i < n; i++)
		if (r[i].first == r[i].last) {
			*addr = r[i].first;
			return true;
		}
	return false;
}

struct cfg_ts_list {
	int n;
	struct traffic_selector ts[CFG_MAX_TS];
};

/* Whether any of the list's selectors is swanctl's "dynamic" (an IKE SA's address). */
static inline bool cfg_ts_has_dynamic(const struct cfg_ts_list *l)
{
	for (int i = 0; i < l->n; i++)
		if (l->ts[i].dynamic)
			return true;
	return false;
}

struct cfg_static_sa {
	char name[CFG_NAME_MAX];
	bool inbound;
	uint32_t spi;
	enum ipsec_mode mode;
	bool encap;
	bool esn;
	uint32_t local, remote;
	uint16_t local_port, remote_port; /* UDP ports when encap */
	/* inbound UDP-encapsulated transport: the peer's original addresses, as ip-xfrm's "oa" */
	bool has_oa;
	uint32_t oa_remote, oa_local;
	int alg; /* index into esp_algos */
	uint8_t key[CFG_MAX_KEY];
	int key_len;
	uint32_t replay_window;
	unsigned copy; /* tunnel: enum tunnel_copy (copy_df, copy_ecn, copy_dscp) */
	uint64_t life_bytes, life_packets, rekey_bytes, rekey_packets;
	struct cfg_ts_list local_ts, remote_ts;
	int line;
};

enum shunt_action { SHUNT_PASS, SHUNT_DROP };

/* swanctl's pools: addresses handed to clients that ask in IKE_AUTH (virtual IPs), and DNS servers. */
#define CFG_MAX_POOL_DNS 4
#define CFG_MAX_POOL_SIZE (1u << 20)
struct cfg_pool {
	char name[CFG_NAME_MAX];
	uint32_t base, size; /* the addresses base .. base + size - 1, host order */
	uint32_t dns[CFG_MAX_POOL_DNS];
	int n_dns;
};

struct cfg_shunt {
	char name[CFG_NAME_MAX];
	enum shunt_action action;
	struct cfg_ts_list local_ts, remote_ts;
};

/* AUTH_EAP: the peer authenticates by EAP (IKEv2, remote rounds, RFC 7296 2.16) */
enum auth_method { AUTH_NONE, AUTH_PSK, AUTH_PUBKEY, AUTH_EAP };
enum start_action { START_NONE, START_TRAP, START_START };
enum dpd_action { DPD_CLEAR, DPD_TRAP, DPD_RESTART };
/* swanctl's close_action: what follows when the peer closes a child (or its IKE SA) for good. */
enum close_action { CLOSE_NONE, CLOSE_TRAP, CLOSE_START };

/* Which keys a pubkey round signs with (local) or accepts (remote): swanctl's "rsa", "ecdsa", ... */
enum auth_key_type { AUTH_KEY_ANY, AUTH_KEY_RSA, AUTH_KEY_ECDSA, AUTH_KEY_ED25519 };

#define CFG_MAX_AUTH_CERTS 4

struct cfg_auth {
	enum auth_method auth;
	enum auth_key_type key_type;
	bool rsa_pss;      /* "rsa/pss": RSASSA-PSS signatures (RFC 7427) */
	uint8_t sig_hash;  /* "-sha256" etc.: the RFC 7427 hash to sign with, 0 for the key's default */
	uint8_t eap_type;  /* AUTH_EAP: the method's EAP type, 4 (MD5) or 26 (MSCHAPv2) */
	char eap_id[256];  /* AUTH_EAP: the EAP identity; "%any" asks the peer for it; empty: the IKE identity */
	char id[256];
	char (*certs)[256]; /* n_certs file paths, allocated to size; as cacerts */
	int n_certs;
	char (*cacerts)[256];
	int n_cacerts;
	int line; /* of the group, for errors found when its files are loaded */
};

struct cfg_child {
	char name[CFG_NAME_MAX];
	enum ipsec_mode mode;
	struct cfg_ts_list local_ts, remote_ts;
	char (*esp_proposals)[128];
	int n_esp_proposals;
	uint64_t rekey_time, life_time, rand_time;
	uint64_t rekey_bytes, life_bytes, rand_bytes, rekey_packets, life_packets, rand_packets;
	uint64_t inactivity; /* seconds without a packet either way before the child is closed; 0: never */
	enum start_action start_action;
	enum dpd_action dpd_action;
	enum close_action close_action;
	uint32_t replay_window;
	unsigned copy; /* tunnel: enum tunnel_copy (copy_df, copy_ecn, copy_dscp) */
	/* swanctl's updown: a shell command run as the child comes up and goes down (app/updown.c); empty: none */
	char updown[CFG_UPDOWN_MAX];
	bool hostaccess; /* passed to updown as PLUTO_HOST_ACCESS, as swanctl does for its _updown script */
	/* mode pass or drop while parsing, before the child moves to the shunts */
	enum { CFG_SHUNT_CHILD_NONE, CFG_SHUNT_CHILD_PASS, CFG_SHUNT_CHILD_DROP } shunt;
};

/* swanctl's fragmentation: whether IKE fragmentation (RFC 7383; IKEv1's vendor ID) is announced,
 * and whether our own big messages go in fragments: to a peer that announced it (yes), never
 * (accept), or IKEv1 even before the peer said so (force). Fragments are taken in every case. */
enum cfg_fragmentation { CFG_FRAG_YES, CFG_FRAG_ACCEPT, CFG_FRAG_FORCE, CFG_FRAG_NO };

/* swanctl's unique: what a new IKE SA of a connection does to the others between the same
 * identities. no: they go only when its peer sends INITIAL_CONTACT; never: not even then;
 * keep: the new one is refused; replace: the others are deleted. */
enum cfg_unique { CFG_UNIQUE_NO, CFG_UNIQUE_NEVER, CFG_UNIQUE_KEEP, CFG_UNIQUE_REPLACE };

/* swanctl's send_cert: our certificate (and chain) only to a peer that sent a certificate request
 * (the default), always, or never (the peer has it already, as its remote certs). */
enum cfg_send_cert { CFG_SEND_CERT_IFASKED, CFG_SEND_CERT_ALWAYS, CFG_SEND_CERT_NEVER };

/* swanctl's childless (RFC 6023, IKEv2): an IKE SA without a child in IKE_AUTH is accepted (allow),
 * the only way in either role (force: children by CREATE_CHILD_SA after it), or refused (never). */
enum cfg_childless { CFG_CHILDLESS_ALLOW, CFG_CHILDLESS_FORCE, CFG_CHILDLESS_NEVER };

struct conn_credentials;
struct credentials;

struct cfg_connection {
	char name[CFG_NAME_MAX];
	int version; /* 0: either (responder), 1, 2 */
	char local_addrs[CFG_MAX_ADDRS][64]; /* as written, for list-conns; the ranges below are what counts */
	int n_local_addrs;
	char remote_addrs[CFG_MAX_ADDRS][64];
	int n_remote_addrs;
	struct cfg_addr_range local_ranges[CFG_MAX_ADDRS], remote_ranges[CFG_MAX_ADDRS];
	uint16_t local_port, remote_port;
	char (*proposals)[128]; /* n_proposals of them, allocated to size, as the lists below */
	int n_proposals;
	bool aggressive, encap, mobike;
	enum cfg_fragmentation fragmentation;
	enum cfg_unique unique;
	enum cfg_send_cert send_cert;
	enum cfg_childless childless;
	bool send_certreq;
	uint64_t rekey_time, reauth_time, over_time, rand_time, dpd_delay, dpd_timeout;
	int keyingtries;
	struct cfg_auth local, remote;
	struct cfg_child *children;
	int n_children;
	int pools[CFG_MAX_ADDRS]; /* indexes into cfg->pools: where clients asking for an address get one */
	int n_pools;
	uint32_t vips[CFG_MAX_ADDRS]; /* as a client: the addresses to ask the peer for (0.0.0.0: any) */
	int n_vips;
	/* IKEv1 Mode Config: the client asks (pull, the default) or the server hands out unasked (push) */
	bool pull;
	/*
	 * IKEv1 XAuth after phase 1, swanctl's second round (local-2 / remote-2 with auth = xauth):
	 * as a client we answer with xauth_local_id's password; as a server we ask the peer for a
	 * user name and password, xauth_remote_id the one user accepted (empty: any with a secret).
	 */
	bool xauth_local, xauth_remote;
	char xauth_local_id[256], xauth_remote_id[256];
	uint64_t digest; /* of the connection's group as written: how dpikectl load-conns tells a change */
	/*
	 * The running appliance's, not the file's: a connection lives while the loaded set or an IKE
	 * SA made with it holds it (ike/conns.c), so that load-conns can drop or replace it under
	 * SAs that go on with it; its certificates and keys are loaded with it (ike/credentials.c).
	 */
	unsigned refs;
	bool dropped; /* by load-conns: its SAs go on, but nothing starts it again (a DPD restart, keyingtries) */
	const struct conn_credentials *creds;
	struct credentials *creds_set;
};

#define CFG_MAX_SECRET_IDS 32 /* identities one secret is for (swanctl's id, id-1, ...) */

struct cfg_secret {
	/* xauth, eap: a user's password, by its ids */
	enum { SECRET_IKE, SECRET_PRIVATE, SECRET_XAUTH, SECRET_EAP } type;
	char (*ids)[256]; /* n_ids of them, allocated to size: a concentrator may hold a secret for each of many peers */
	int n_ids;
	uint8_t secret[256];
	int secret_len;
	char file[256];
	int line;
};

/*
 * The secrets by identity, so that finding a peer's PSK or a user's password takes a hash lookup
 * however many secrets there are: ike/secrets.c builds it on first use. Each id of a secret is
 * listed under the hash of its encoding.
 */
struct cfg_secret_index {
	bool built;
	const void *of; /* as in cfg_conn_index */
	int n_of;
	struct u64chains by_key; /* hash of an id -> the secrets naming it */
	int *always;   /* IKE secrets with a DN id, compared as DNs (not byte for byte) at every lookup */
	int n_always;
	int anonymous; /* the first IKE secret without ids (it goes for any pair), -1 for none */
};

/*
 * The connections by the peer's address, so that a responder finds a handshake's connection among
 * a concentrator's thousands by a hash lookup: ike/conn_index.c builds it on first use, and
 * load-conns forgets it when the set changes. Connections for single addresses are listed under
 * each address in file order; the others (prefixes, ranges, any) are "wide".
 */
struct cfg_conn_index {
	bool built;
	const void *of; /* the array and count it was built from: another is never read through it */
	int n_of;
	struct u64chains by_addr; /* a peer's address -> the connections for it alone */
	int *wide;
	int n_wide;
};

#define CFG_MAX_CRLS 16
#define CFG_DEFAULT_SAD_SIZE 65536
#define CFG_DEFAULT_SPD_SIZE 131072
#define CFG_DEFAULT_MBUFS 16383
#define CFG_DEFAULT_FLOW_CACHE 65536
#define CFG_DEFAULT_NEIGHBOURS 65536
#define CFG_DEFAULT_NEIGHBOUR_TIMEOUT 1200

struct dpike_config {
	char path[256];
	int log_level;
	char ctl_socket[108];
	uint32_t idle_sleep_us;
	bool stage_cycles; /* workers count their cycles by stage from the start (dpikectl stages) */
	uint32_t burst_size;
	uint32_t sad_size, spd_size; /* capacity of the shared SAD (inbound SAs) and SPD (policies) */
	uint32_t mbufs;              /* packet buffers in the pool shared by ports, rings and workers */
	uint32_t flow_cache_size;    /* entries of each worker's flow cache, a power of two */
	uint32_t neighbour_size;     /* neighbours ARP may add (configured ones come on top) */
	uint32_t neighbour_timeout;  /* seconds a learned neighbour goes unconfirmed before it is asked again; 0: never */
	/* workers.gcm_keys: auto resolves by CPU, and with AVX-512 by the count of SAs (dataplane/esp.h) */
	enum cfg_gcm_keys { CFG_GCM_KEYS_AUTO, CFG_GCM_KEYS_FULL, CFG_GCM_KEYS_COMPACT } gcm_keys;
	bool gcm_ipsec_mb_only;      /* workers.gcm_code = "ipsec-mb": never dpike's own VAES GCM code */
	/* IKE daemon limits (strongSwan's cookie_threshold, block_threshold, init_limit_half_open) */
	unsigned ike_cookie_threshold, ike_half_open_per_peer, ike_half_open_max;
	/* retransmission as strongSwan's: timeout * base^n, tries times */
	double ike_retransmit_timeout, ike_retransmit_base;
	unsigned ike_retransmit_tries;
	unsigned ike_fragment_size; /* largest IKE datagram (IP packet) before fragmenting, RFC 7383 */
	uint64_t ike_keep_alive;    /* seconds between NAT-keepalives when behind a NAT (or faking one) */
	double ike_ke_reuse;        /* seconds one key pair serves IKE_SA_INIT, both roles (RFC 7296 2.12); 0: never */
	struct cfg_interface ifaces[CFG_MAX_INTERFACES];
	int n_ifaces;
	struct cfg_neighbour *neighbours;
	int n_neighbours;
	struct cfg_route *routes;
	int n_routes;
	struct cfg_static_sa *static_sas;
	int n_static_sas;
	struct cfg_shunt *shunts;
	int n_shunts;
	struct cfg_pool *pools;
	int n_pools;
	struct cfg_connection **connections; /* each its own allocation: SAs keep theirs across load-conns */
	int n_connections;
	struct cfg_conn_index conn_index; /* of connections, as it stands; forgotten where that changes */
	struct cfg_secret *secrets;
	int n_secrets;
	struct cfg_secret_index secret_index; /* goes with secrets: swapped with them, freed with them */
	char crls[CFG_MAX_CRLS][256]; /* revocation lists for peers' certificates (PEM or DER files) */
	int n_crls;
	int crls_line;
};

/*
 * Loads and validates path. On failure returns -1 and writes "FILE:LINE: reason"
 * into err; the config is left empty.
 */
int config_load(const char *path, struct dpike_config *cfg, char err[CFG_ERR_MAX]);
void config_free(struct dpike_config *cfg);
/* Forget the indexes (each is built again when next used). */
void config_secret_index_free(struct cfg_secret_index *x);
void config_conn_index_free(struct cfg_conn_index *x);
/* One connection's memory (config_free calls it for every connection still in the config). */
void config_connection_free(struct cfg_connection *c);
int config_iface_by_name(const struct dpike_config *cfg, const char *name);

#endif
