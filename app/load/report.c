/* SPDX-License-Identifier: BSD-3-Clause */
/* dpike-load's report: rate, latency percentiles, failures by reason, what held; text or JSON. */
#include <stdio.h>
#include <stdlib.h>

#include "load.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The p-th percentile of n sorted values (nearest rank), in milliseconds. */
static double percentile_ms(const uint32_t *sorted, uint32_t n, double p)
{
	if (n == 0)
		return 0;
	uint32_t rank = (uint32_t)(p / 100.0 * n + 0.999999);
	return sorted[(rank ? rank : 1) - 1] / 1000.0;
}

static double rate_of(const struct load_result *r)
{
	double s = (double)(r->last_up_us - r->first_start_us) / 1e6;
	return r->up && s > 0 ? r->up / s : 0;
}

static double deletes_per_s(const struct load_result *r)
{
	return r->delete_us ? r->deleted / (r->delete_us / 1e6) : 0;
}

static void print_text(const struct load_options *o, const struct load_result *r, double p50, double p99)
{
	printf("IKE SAs: %u asked, %u started, %u up, %u failed\n", o->sas, r->started, r->up, r->failed);
	printf("handshakes/s: %.0f (%s with one child, first request to last completion)\n", rate_of(r),
	       o->version == 1 ? "Main Mode + Quick Mode" : "IKE_SA_INIT + IKE_AUTH");
	printf("latency ms: p50 %.2f  p99 %.2f  max %.2f\n", p50, p99, percentile_ms(r->latency_us, r->up, 100));
	if (r->up)
		printf("CPU of this generator: %.0f us a handshake\n", (double)r->handshake_cpu_us / r->up);
	for (int i = 1; i < IKE_FAIL_COUNT; i++)
		if (r->fail_by[i])
			printf("failed: %-28s %u\n", ike_fail_name((enum ike_fail)i), r->fail_by[i]);
	if (o->hold_s > 0)
		printf("held %.0f s: %u still up, %u lost; datagrams %lu out, %lu in while holding\n", o->hold_s,
		       r->up_at_end, r->lost_after_up, (unsigned long)r->dpd_sent, (unsigned long)r->dpd_answered);
	if (r->send_lost)
		printf("datagrams lost at our own full socket buffers: %lu (IKE retransmitted them)\n",
		       (unsigned long)r->send_lost);
	if (!o->keep)
		printf("deleted: %u of %u asked in %.2f s (%.0f/s), %u unanswered; %u IKE SAs left\n", r->deleted,
		       r->delete_asked, r->delete_us / 1e6, deletes_per_s(r), r->delete_failed, r->left_at_end);
}

static void print_json(const struct load_options *o, const struct load_result *r, double p50, double p99)
{
	printf("{\"ike_version\":%d,\"asked\":%u,\"started\":%u,\"up\":%u,\"failed\":%u,\"handshakes_per_s\":%.1f,"
	       "\"handshake_cpu_s\":%.3f,",
	       o->version, o->sas, r->started, r->up, r->failed, rate_of(r), r->handshake_cpu_us / 1e6);
	printf("\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"failures\":{", p50, p99,
	       percentile_ms(r->latency_us, r->up, 100));
	const char *sep = "";
	for (int i = 1; i < IKE_FAIL_COUNT; i++)
		if (r->fail_by[i]) {
			printf("%s\"%s\":%u", sep, ike_fail_name((enum ike_fail)i), r->fail_by[i]);
			sep = ",";
		}
	printf("},\"hold_s\":%.1f,\"up_at_end\":%u,\"lost_after_up\":%u,\"hold_datagrams_out\":%lu,"
	       "\"hold_datagrams_in\":%lu,",
	       o->hold_s, r->up_at_end, r->lost_after_up, (unsigned long)r->dpd_sent, (unsigned long)r->dpd_answered);
	printf("\"delete\":%s,\"delete_asked\":%u,\"deleted\":%u,\"delete_unanswered\":%u,\"delete_s\":%.3f,"
	       "\"deletes_per_s\":%.1f,\"left_at_end\":%u,\"send_lost\":%lu,\"initiator\":%s}\n",
	       o->keep ? "false" : "true", r->delete_asked, r->deleted, r->delete_failed, r->delete_us / 1e6,
	       deletes_per_s(r), r->left_at_end, (unsigned long)r->send_lost, r->ike_stats);
}

void load_report(const struct load_options *o, struct load_result *r)
{
	/* latencies were recorded in completion order; sorted from here on */
	qsort(r->latency_us, r->up, sizeof(*r->latency_us), cmp_u32);
	double p50 = percentile_ms(r->latency_us, r->up, 50), p99 = percentile_ms(r->latency_us, r->up, 99);
	if (o->json)
		print_json(o, r, p50, p99);
	else
		print_text(o, r, p50, p99);
	fflush(stdout);
}
