/*
 * serve/metrics.h - the webhook's counters in Prometheus' text format:
 * admission requests by result, a latency histogram, injections, errors,
 * reloads of the certificate and of the policies.
 */
#ifndef AG_SERVE_METRICS_H
#define AG_SERVE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "k8s/admission.h"

#define AG_METRICS_BUCKETS 11

struct ag_metrics {
	uint64_t requests[AG_ADMIT_RESULTS];    /* admission requests by result */
	uint64_t http_errors;                   /* requests refused before a review: wrong path, method, media type */
	uint64_t buckets[AG_METRICS_BUCKETS];   /* admission latency, cumulative as Prometheus counts it at render */
	uint64_t count;
	double sum_seconds;
	uint64_t cert_reloads, cert_reload_failures, policy_reloads;
	uint64_t deadline_closes;               /* connections closed at --request-timeout with a request unfinished or idle */
	int policies;                           /* usable policies installed now */
};

/* Counts one answered review that took us microseconds. */
void ag_metrics_observe(struct ag_metrics *m, enum ag_admission_result r, int64_t us);

/* Renders m as Prometheus text (version 0.0.4) into out (at most len bytes); the length written, or -1. */
int ag_metrics_render(const struct ag_metrics *m, char *out, size_t len);

#endif
