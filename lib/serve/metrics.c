/*
 * serve/metrics.c - counting and rendering (see metrics.h).  Buckets are
 * kept per interval and summed at render, as Prometheus' "le" is cumulative.
 */
#include "serve/metrics.h"

#include <stdarg.h>
#include <stdio.h>

/* Upper bounds of the latency buckets, in seconds (the last one, +Inf, is implied). */
static const double bounds[AG_METRICS_BUCKETS] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 1.0 };

void
ag_metrics_observe(struct ag_metrics *m, enum ag_admission_result r, int64_t us)
{
	double s = (double)us / 1e6;

	if (r < AG_ADMIT_RESULTS)
		m->requests[r]++;
	for (int i = 0; i < AG_METRICS_BUCKETS; i++)
		if (s <= bounds[i]) {
			m->buckets[i]++;
			break;
		}
	m->count++;
	m->sum_seconds += s;
}

struct out {
	char *p;
	size_t len, at;
	int bad;
};

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->bad)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->at, o->len - o->at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->at)
		o->bad = 1;
	else
		o->at += (size_t)n;
}

static void
counter(struct out *o, const char *name, const char *help, uint64_t v)
{
	put(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)v);
}

int
ag_metrics_render(const struct ag_metrics *m, char *p, size_t len)
{
	struct out o = { p, len, 0, len == 0 };
	uint64_t cum = 0, errors = m->http_errors + m->requests[AG_ADMIT_INVALID];

	put(&o, "# HELP attestgate_webhook_requests_total Admission reviews answered, by result.\n"
		"# TYPE attestgate_webhook_requests_total counter\n");
	for (int r = 0; r < AG_ADMIT_RESULTS; r++)
		put(&o, "attestgate_webhook_requests_total{result=\"%s\"} %llu\n", ag_admission_result_name(r),
		    (unsigned long long)m->requests[r]);
	put(&o, "# HELP attestgate_webhook_request_duration_seconds Time to answer an admission review (after the body is read).\n"
		"# TYPE attestgate_webhook_request_duration_seconds histogram\n");
	for (int i = 0; i < AG_METRICS_BUCKETS; i++) {
		cum += m->buckets[i];
		put(&o, "attestgate_webhook_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bounds[i], (unsigned long long)cum);
	}
	put(&o, "attestgate_webhook_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)m->count);
	put(&o, "attestgate_webhook_request_duration_seconds_sum %.6f\n", m->sum_seconds);
	put(&o, "attestgate_webhook_request_duration_seconds_count %llu\n", (unsigned long long)m->count);
	counter(&o, "attestgate_webhook_injections_total", "Pods and workloads given the gate.", m->requests[AG_ADMIT_INJECTED]);
	counter(&o, "attestgate_webhook_errors_total", "Requests that were not an answerable AdmissionReview (HTTP 4xx).", errors);
	counter(&o, "attestgate_webhook_cert_reloads_total", "Serving certificate reloads after the files changed.", m->cert_reloads);
	counter(&o, "attestgate_webhook_cert_reload_failures_total", "Changed certificate files that did not load (the "
	    "previous certificate stays).", m->cert_reload_failures);
	counter(&o, "attestgate_webhook_deadline_closes_total", "Connections closed at --request-timeout (a request not "
	    "finished in time, or idle).", m->deadline_closes);
	counter(&o, "attestgate_webhook_policy_reloads_total", "Policy directory reloads after it changed.", m->policy_reloads);
	put(&o, "# HELP attestgate_webhook_policies Usable policies installed.\n# TYPE attestgate_webhook_policies gauge\n"
		"attestgate_webhook_policies %d\n", m->policies);
	return o.bad ? -1 : (int)o.at;
}
