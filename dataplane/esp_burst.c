/* SPDX-License-Identifier: BSD-3-Clause */
/* What encryption and decryption bursts share: the IPsec-MB manager, the job loop, accounting. */
#include <openssl/crypto.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "esp.h"
#include "esp_internal.h"

/*
 * Where the CPU has the SHA extensions, IPsec-MB's SSE code uses them for HMAC-SHA1 and
 * HMAC-SHA2-256 (none has SHA2-512 instructions); its AVX-512 code does not.
 */
static int init_hmac_mgrs(struct esp_ctx *c)
{
	static const uint32_t len[2] = { ESP_HMAC_SHORT_AT, ESP_HMAC_LONG_AT };
	for (int h = 0; h < ESP_INTEG_COUNT; h++)
		c->hmac_mgr[h][0] = c->hmac_mgr[h][1] = c->mgr;
	if (!(c->mgr->features & IMB_FEATURE_SHANI))
		return 0;
	c->sha_ni_mgr = alloc_mb_mgr(0);
	if (c->sha_ni_mgr == NULL)
		return -1;
	init_mb_mgr_sse(c->sha_ni_mgr);
	for (int h = ESP_INTEG_SHA1_96; h <= ESP_INTEG_SHA256_128; h++)
		for (int l = 0; l < 2; l++)
			c->hmac_mgr[h][l] = esp_cbc_faster_hmac(c, (enum esp_integ)h, len[l], c->mgr, c->sha_ni_mgr);
	return 0;
}

int esp_ctx_init(struct esp_ctx *c, struct dp_worker_stats *stats, struct rte_ring *events)
{
	memset(c, 0, sizeof(*c));
	c->owner_id = SA_OWNER_SHARED;
	c->mgr = alloc_mb_mgr(0);
	if (c->mgr == NULL)
		return -1;
	esp_gcm_mgr_init(c->mgr, false); /* the jobs' manager is also the full GCM code's */
	c->gcm_mgr[0] = c->mgr;
	c->gcm_mgr[1] = alloc_mb_mgr(0);
	if (c->gcm_mgr[1] == NULL) {
		esp_ctx_free(c);
		return -1;
	}
	esp_gcm_mgr_init(c->gcm_mgr[1], true);
	if (init_hmac_mgrs(c) != 0) {
		esp_ctx_free(c);
		return -1;
	}
	c->stats = stats;
	c->events = events;
	c->rand_off = ESP_RAND_POOL; /* filled on first use */
	c->owner_id = sa_owner_register();
	return 0;
}

const char *esp_hmac_code(const struct esp_ctx *c, enum esp_integ integ, bool long_msgs)
{
	if (c->hmac_mgr[integ][long_msgs] == c->sha_ni_mgr)
		return "SHA-extensions";
	switch (c->mgr->used_arch) {
	case IMB_ARCH_AVX512:
		return "AVX-512";
	case IMB_ARCH_AVX2:
		return "AVX2";
	case IMB_ARCH_AVX:
		return "AVX";
	default:
		return "SSE";
	}
}

void esp_ctx_free(struct esp_ctx *c)
{
	if (c->mgr)
		free_mb_mgr(c->mgr);
	if (c->gcm_mgr[1])
		free_mb_mgr(c->gcm_mgr[1]);
	if (c->sha_ni_mgr)
		free_mb_mgr(c->sha_ni_mgr);
	c->gcm_mgr[0] = c->gcm_mgr[1] = c->sha_ni_mgr = NULL;
	memset(c->hmac_mgr, 0, sizeof(c->hmac_mgr));
	esp_iv_forget(c);
	c->mgr = NULL;
	sa_owner_unregister(c->owner_id);
	c->owner_id = SA_OWNER_SHARED;
}

static inline void complete_job(IMB_JOB *job)
{
	struct esp_pkt *pk = job->user_data;
	pk->status = job->status == IMB_STATUS_COMPLETED ? 0 : DP_DROP_ESP_CRYPTO;
}

void esp_submit(struct esp_ctx *c, const struct esp_sa *sa, struct esp_pkt *pk)
{
	pk->status = DP_DROP_ESP_CRYPTO; /* until its job completes: a job that never does is a drop */
	c->q_sa[c->n_queued] = sa;
	c->q_pk[c->n_queued++] = pk;
}

/*
 * The manager is empty between bursts, so it always has room for one (ESP_MAX_BURST is below
 * IMB_MAX_JOBS). A burst it refuses (a job it finds invalid) is dropped whole: every queued
 * packet stays marked as a crypto error until its job completes.
 */
void esp_flush(struct esp_ctx *c)
{
	esp_run_deferred(c, 0);
	c->n_deferred = c->n_run = 0;
	if (c->n_cbc)
		esp_cbc_flush(c);
	IMB_JOB *jobs[ESP_MAX_BURST];
	uint32_t n = c->n_queued ? IMB_GET_NEXT_BURST(c->mgr, c->n_queued, jobs) : 0;
	c->n_queued = 0;
	for (uint32_t i = 0; i < n; i++)
		c->q_sa[i]->job(c->q_sa[i], jobs[i], c->q_pk[i]);
	uint32_t done = n ? IMB_SUBMIT_BURST(c->mgr, n, jobs) : 0;
	if (done == 0 && n && imb_get_errno(c->mgr) != 0)
		return; /* refused */
	for (uint32_t i = 0; i < done; i++)
		complete_job(jobs[i]);
	while (done < n) { /* jobs still in multi-buffer lanes */
		uint32_t more = IMB_FLUSH_BURST(c->mgr, n - done, jobs);
		for (uint32_t i = 0; i < more; i++)
			complete_job(jobs[i]);
		if (more == 0)
			break;
		done += more;
	}
}

static void send_event(struct esp_ctx *c, struct esp_sa_event *ev)
{
	if (c->events)
		rte_ring_enqueue_elem(c->events, ev, sizeof(*ev));
}

void esp_report_expiry(struct esp_ctx *c, const struct esp_sa *sa, enum esp_expiry kind)
{
	struct esp_sa_event ev = { .id = sa->id, .spi = sa->spi, .inbound = esp_sa_has(sa, ESP_SA_F_INBOUND),
				   .kind = (uint8_t)kind };
	send_event(c, &ev);
}

void esp_report_peer_moved(struct esp_ctx *c, struct esp_sa *sa, const struct esp_pkt *pk)
{
	/* once a new endpoint, whatever the workers and packets that see it before the SA moves */
	if (__atomic_load_n(&sa->moved_be, __ATOMIC_RELAXED) == pk->from_be &&
	    __atomic_load_n(&sa->moved_port_be, __ATOMIC_RELAXED) == pk->from_port_be)
		return;
	__atomic_store_n(&sa->moved_be, pk->from_be, __ATOMIC_RELAXED);
	__atomic_store_n(&sa->moved_port_be, pk->from_port_be, __ATOMIC_RELAXED);
	struct esp_sa_event ev = { .id = sa->id, .spi = sa->spi, .inbound = 1, .kind = ESP_EVENT_PEER_MOVED,
				   .addr = rte_be_to_cpu_32(pk->from_be), .port = rte_be_to_cpu_16(pk->from_port_be) };
	send_event(c, &ev);
}

uint16_t esp_compact(struct esp_ctx *c, struct rte_mbuf *pkts[], struct esp_sa *sas[], uint16_t n)
{
	struct rte_mbuf *bad_m[ESP_MAX_BURST];
	struct esp_sa *bad_sa[ESP_MAX_BURST];
	uint16_t good = 0, bad = 0;
	while (good < n && c->pk[good].status == 0) /* the packets before the first failure stay where they are */
		good++;
	for (uint16_t i = good; i < n; i++) {
		if (c->pk[i].status == 0) {
			pkts[good] = pkts[i];
			sas[good++] = sas[i];
		} else {
			if (c->pk[i].status != ESP_STATUS_AWAITED)
				c->stats->drops[c->pk[i].status]++;
			c->tail_status[bad] = c->pk[i].status;
			bad_m[bad] = pkts[i];
			bad_sa[bad++] = sas[i];
		}
	}
	memcpy(&pkts[good], bad_m, bad * sizeof(bad_m[0]));
	memcpy(&sas[good], bad_sa, bad * sizeof(bad_sa[0]));
	return good;
}
