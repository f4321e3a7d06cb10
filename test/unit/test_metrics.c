/*
 * test_metrics.c - lib/serve/metrics.c: the webhook's counters as
 * Prometheus text.  An observation lands in the bucket whose bound it does
 * not exceed (bounds inclusive; past the last one only +Inf counts it);
 * buckets render cumulative with +Inf equal to the count; the sum; the
 * requests by result name; injections; errors = HTTP errors + invalid
 * reviews; the reload counters and the policies gauge; a buffer one byte
 * too small gives -1.
 */
#include "testutil.h"

#include <math.h>

#include "serve/metrics.h"

#define BUCKET "attestgate_webhook_request_duration_seconds_bucket"

/* The value of the sample line that starts with "name " in text; fails the test when there is none. */
static double
sample(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *line = text; line != NULL && *line != '\0'; line = strchr(line, '\n') != NULL ?
	     strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ' ')
			return strtod(line + n + 1, NULL);
	fail_msg("no sample %s in:\n%s", name, text);
	return -1;
}

/* The bucket sample with le=le. */
static double
bucket(const char *text, const char *le)
{
	char name[128];

	snprintf(name, sizeof(name), BUCKET "{le=\"%s\"}", le);
	return sample(text, name);
}

static char *
render(const struct ag_metrics *m)
{
	static char text[8192];
	int n = ag_metrics_render(m, text, sizeof(text));

	assert_true(n > 0);
	assert_int_equal(strlen(text), (size_t)n);
	return text;
}

/* Bounds are inclusive: 100 µs is in le="0.0001", 101 µs in the next; past 1 s only +Inf. */
static void
test_observe_buckets(void **state)
{
	static const struct {
		int64_t us;
		int bucket;             /* -1: past the last bound */
	} cases[] = { { 0, 0 }, { 1, 0 }, { 100, 0 }, { 101, 1 }, { 250, 1 }, { 251, 2 }, { 500, 2 }, { 1000, 3 },
		{ 1001, 4 }, { 2500, 4 }, { 5000, 5 }, { 10000, 6 }, { 25000, 7 }, { 50000, 8 }, { 100000, 9 },
		{ 100001, 10 }, { 1000000, 10 }, { 1000001, -1 }, { 60000000, -1 } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ag_metrics m;
		uint64_t total = 0;

		memset(&m, 0, sizeof(m));
		ag_metrics_observe(&m, AG_ADMIT_UNCHANGED, cases[i].us);
		for (int b = 0; b < AG_METRICS_BUCKETS; b++) {
			total += m.buckets[b];
			if (m.buckets[b] != (b == cases[i].bucket ? 1u : 0u))
				fail_msg("%lld us: bucket %d has %llu", (long long)cases[i].us, b, (unsigned long long)m.buckets[b]);
		}
		assert_int_equal(total, cases[i].bucket >= 0 ? 1 : 0);
		assert_int_equal(m.count, 1);
		assert_int_equal(m.requests[AG_ADMIT_UNCHANGED], 1);
		assert_true(fabs(m.sum_seconds - (double)cases[i].us / 1e6) < 1e-12);
	}
}

/* Requests by result; a result out of range is timed but not counted by result. */
static void
test_observe_results(void **state)
{
	struct ag_metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	ag_metrics_observe(&m, AG_ADMIT_INJECTED, 10);
	ag_metrics_observe(&m, AG_ADMIT_INJECTED, 10);
	ag_metrics_observe(&m, AG_ADMIT_DENIED, 10);
	ag_metrics_observe(&m, AG_ADMIT_RESULTS, 10);
	assert_int_equal(m.requests[AG_ADMIT_INJECTED], 2);
	assert_int_equal(m.requests[AG_ADMIT_DENIED], 1);
	assert_int_equal(m.requests[AG_ADMIT_UNCHANGED], 0);
	assert_int_equal(m.count, 4);
	assert_int_equal(m.buckets[0], 4);
}

/* A filled set of counters rendered: cumulative buckets, +Inf = count, sum, results, errors, reloads, gauge. */
static void
test_render(void **state)
{
	static const char *const les[AG_METRICS_BUCKETS] = { "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
		"0.025", "0.05", "0.1", "1" };
	static const int64_t us[] = { 50, 100, 300, 3000, 3000, 40000, 900000, 2000000 };
	struct ag_metrics m;
	const char *text;
	double cum = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++)
		ag_metrics_observe(&m, (enum ag_admission_result)(i % AG_ADMIT_RESULTS), us[i]);
	m.http_errors = 7;
	m.cert_reloads = 2;
	m.cert_reload_failures = 1;
	m.policy_reloads = 3;
	m.policies = 4;
	text = render(&m);
	for (int b = 0; b < AG_METRICS_BUCKETS; b++) {
		cum += (double)m.buckets[b];
		assert_true(bucket(text, les[b]) == cum);
	}
	assert_true(bucket(text, "0.0001") == 2);
	assert_true(bucket(text, "0.005") == 5);
	assert_true(bucket(text, "1") == 7);
	assert_true(bucket(text, "+Inf") == 8);
	assert_true(sample(text, "attestgate_webhook_request_duration_seconds_count") == 8);
	assert_true(fabs(sample(text, "attestgate_webhook_request_duration_seconds_sum") - 2.94645) < 1e-6);
	for (int r = 0; r < AG_ADMIT_RESULTS; r++) {
		char name[128];

		snprintf(name, sizeof(name), "attestgate_webhook_requests_total{result=\"%s\"}", ag_admission_result_name(r));
		assert_true(sample(text, name) == (double)m.requests[r]);
	}
	assert_true(sample(text, "attestgate_webhook_requests_total{result=\"injected\"}") == 2);
	assert_true(sample(text, "attestgate_webhook_injections_total") == 2);
	assert_true(sample(text, "attestgate_webhook_errors_total") == 7 + (double)m.requests[AG_ADMIT_INVALID]);
	assert_true(sample(text, "attestgate_webhook_errors_total") == 8);
	assert_true(sample(text, "attestgate_webhook_cert_reloads_total") == 2);
	assert_true(sample(text, "attestgate_webhook_cert_reload_failures_total") == 1);
	assert_true(sample(text, "attestgate_webhook_policy_reloads_total") == 3);
	assert_true(sample(text, "attestgate_webhook_policies") == 4);
	assert_non_null(strstr(text, "# TYPE attestgate_webhook_request_duration_seconds histogram\n"));
	assert_non_null(strstr(text, "# TYPE attestgate_webhook_requests_total counter\n"));
	assert_non_null(strstr(text, "# TYPE attestgate_webhook_policies gauge\n"));
	assert_int_equal(text[strlen(text) - 1], '\n');
}

/* Every family has its HELP and TYPE, and every sample line belongs to a declared family. */
static void
test_render_well_formed(void **state)
{
	struct ag_metrics m;
	char *text, *save = NULL, *copy;
	char families[32][96];
	int nf = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	copy = strdup(render(&m));
	assert_non_null(copy);
	for (char *line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char name[96];
		int known = 0;

		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_true(nf < 32);
			assert_int_equal(sscanf(line + 7, "%95s", families[nf++]), 1);
			continue;
		}
		if (line[0] == '#') {
			assert_int_equal(strncmp(line, "# HELP ", 7), 0);
			continue;
		}
		assert_int_equal(sscanf(line, "%95[a-z_]", name), 1);
		for (int f = 0; f < nf; f++)
			known |= strncmp(name, families[f], strlen(families[f])) == 0;
		if (!known)
			fail_msg("sample without a TYPE: %s", line);
	}
	assert_true(nf >= 8);
	free(copy);
	text = render(&m);
	assert_true(bucket(text, "+Inf") == 0);
	assert_true(sample(text, "attestgate_webhook_request_duration_seconds_sum") == 0);
}

/* Exactly the length needed plus the NUL fits; one byte less, or nothing, is -1. */
static void
test_buffer_too_small(void **state)
{
	struct ag_metrics m;
	char *buf;
	int n;

	(void)state;
	memset(&m, 0, sizeof(m));
	ag_metrics_observe(&m, AG_ADMIT_INJECTED, 1234);
	n = (int)strlen(render(&m));
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(ag_metrics_render(&m, buf, (size_t)n + 1), n);
	assert_int_equal(ag_metrics_render(&m, buf, (size_t)n), -1);
	assert_int_equal(ag_metrics_render(&m, buf, 100), -1);
	assert_int_equal(ag_metrics_render(&m, buf, 1), -1);
	assert_int_equal(ag_metrics_render(&m, buf, 0), -1);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_observe_buckets),
		cmocka_unit_test(test_observe_results),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_well_formed),
		cmocka_unit_test(test_buffer_too_small),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
