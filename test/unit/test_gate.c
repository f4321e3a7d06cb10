/*
 * test_gate.c - lib/gate/gate.c, `attestgate run` as a library call, with a
 * fake platform row and a fake verifier row (struct ag_gate_config's
 * platform_row and verifier_row): the fake collect adds one file that
 * carries the nonce it was asked to bind, the fake verify checks it got
 * that evidence and returns the claims each test chooses.  Checked: an
 * allowed run (exit 0; token, claims.json, jwks.json, status.json and ready
 * as publish/output.h says, with their modes), a policy denial (exit 5,
 * status reason, the termination message listing the failed rule), audit
 * mode (exit 0 with the denial logged), evidence and verifier failures
 * (exit 3 and 4), a wrong --policy-sha256 (exit 2), --print-claims (no token,
 * no ready), an unusable output directory, a platform the policy does not
 * allow, the policy's verifier type choosing the row, the missing event
 * log named first in a denial, and flags refused before any evidence is
 * collected.  Policies are small YAML files written to a scratch directory;
 * the log lines are captured (ag_log_set_stream).
 */
#include "testutil.h"

#include <jansson.h>
#include <time.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/log.h"
#include "gate/gate.h"
#include "platform/platform.h"
#include "verifier/verifier.h"

#define FAKE_TOKEN "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJmYWtlIn0.c2lnbmF0dXJl"
#define FAKE_JWKS "{\"keys\":[{\"kid\":\"fake\",\"kty\":\"RSA\"}]}"
#define FAKE_URL "https://maa.gate-test.example"

#define CLAIMS_GOOD "{\"x-ms-attestation-type\":\"azurevm\",\"x-ms-isolation-tee\":" \
	"{\"x-ms-compliance-status\":\"azure-compliant-cvm\"},\"secureboot\":true}"
#define CLAIMS_NO_SECUREBOOT "{\"x-ms-attestation-type\":\"azurevm\",\"x-ms-isolation-tee\":" \
	"{\"x-ms-compliance-status\":\"azure-compliant-cvm\"},\"secureboot\":false}"

/* What the fakes are told to do and what they saw. */
static struct {
	enum ag_code collect_rc, verify_rc;
	int silent;                    /* the fake verifier fails without setting err (a broken row) */
	const char *platform;          /* the platform the fake collect says this node is */
	const char *claims;            /* JSON the fake verifier returns */
	const char *eventlog;          /* the "eventlog" fact the fake collect records, or NULL */
	int collects, verifies;
	struct ag_nonce nonce;         /* the nonce the collect was asked to bind */
	int quote_unbound;             /* what the gate asked of the collect */
	int bound;                     /* the verifier got the collected file and the same nonce */
	char verifier_type[16];        /* the policy the verifier was given */
} fake;

static enum ag_code
fake_collect(const struct ag_collect_opts *o, struct ag_evidence *e, struct ag_err *err)
{
	char hex[AG_NONCE_HEX_MAX], *report;

	fake.collects++;
	if (fake.collect_rc != AG_OK)
		return ag_err_set(err, fake.collect_rc, "fake platform: no TEE on this test node");
	e->platform = fake.platform;
	e->report_type = "snp";
	e->time_ms = ag_clock_wall_ms();
	e->nonce = *o->nonce;
	fake.nonce = *o->nonce;
	fake.quote_unbound = o->quote_unbound;
	if (fake.eventlog != NULL)
		ag_evidence_fact(e, "eventlog", json_string(fake.eventlog));
	ag_nonce_hex(o->nonce, hex);
	assert_true(asprintf(&report, "fake report bound to %s", hex) > 0);
	return ag_evidence_add(e, "fake-report.bin", (uint8_t *)report, strlen(report), err);
}

static int
fake_detect(const struct ag_collect_opts *o)
{
	(void)o;
	return 1;
}

static enum ag_code
fake_verify(const struct ag_verify_in *in, struct ag_verify_out *out, struct ag_err *err)
{
	const struct ag_evidence_blob *b = ag_evidence_get(in->evidence, "fake-report.bin");
	char hex[AG_NONCE_HEX_MAX];
	time_t now = time(NULL);

	fake.verifies++;
	ag_nonce_hex(&fake.nonce, hex);
	fake.bound = b != NULL && in->evidence->nonce.len == fake.nonce.len &&
	    memcmp(in->evidence->nonce.v, fake.nonce.v, fake.nonce.len) == 0 &&
	    strstr((const char *)b->data, hex) != NULL;
	snprintf(fake.verifier_type, sizeof(fake.verifier_type), "%s", in->policy->verifier_type);
	if (fake.verify_rc != AG_OK && fake.silent)
		return fake.verify_rc;
	if (fake.verify_rc != AG_OK)
		return ag_err_set(err, fake.verify_rc, "fake verifier: %s did not answer", FAKE_URL);
	out->claims = json_loads(fake.claims, 0, NULL);
	assert_non_null(out->claims);
	out->token = strdup(FAKE_TOKEN);
	out->jwks = strdup(FAKE_JWKS);
	out->info.iat = now;
	out->info.exp = now + 3600;
	out->info.jti = "fake-jti";
	out->ms_verifier = 12;
	out->ms_verify = 3;
	return AG_OK;
}

static const struct ag_platform fake_platform = { "fake", fake_detect, fake_collect };
static const struct ag_verifier fake_verifier = { "fake", fake_verify };

struct env {
	char *dir, *out, *term, *policy, *log;
	char sum[AG_SHA256_HEX_LEN + 1];
	struct ag_gate_config cfg;
};

/* Writes the policy gate-test (mode, verifier lines, rules after the two of every test) and pins its digest. */
static void
write_policy_rules(struct env *e, const char *mode, const char *verifier, const char *extra)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
	    "apiVersion: attestgate.io/v1\n"
	    "kind: AttestationPolicy\n"
	    "metadata:\n"
	    "  name: gate-test\n"
	    "spec:\n"
	    "  platforms: [azure-cvm]\n"
	    "  verifier:\n"
	    "%s"
	    "  mode: %s\n"
	    "  require:\n"
	    "    - claim: /x-ms-isolation-tee/x-ms-compliance-status\n"
	    "      equals: azure-compliant-cvm\n"
	    "    - claim: /secureboot\n"
	    "      equals: true\n"
	    "%s", verifier, mode, extra);
	tu_write(e->dir, "gate-test.yaml", yaml);
	assert_int_equal(ag_sha256_hex(yaml, strlen(yaml), e->sum), 0);
}

static void
write_policy(struct env *e, const char *mode, const char *verifier)
{
	write_policy_rules(e, mode, verifier, "");
}

static int
setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	memset(&fake, 0, sizeof(fake));
	fake.platform = "azure-cvm";
	fake.claims = CLAIMS_GOOD;
	e->dir = tu_mkdtemp();
	e->out = tu_path(e->dir, "out");
	e->term = tu_path(e->dir, "termination-log");
	e->policy = tu_path(e->dir, "gate-test.yaml");
	e->log = tu_path(e->dir, "log");
	assert_int_equal(mkdir(e->out, 0755), 0);
	write_policy(e, "enforce", "    type: maa\n    url: " FAKE_URL "\n");
	e->cfg.policy_file = e->policy;
	e->cfg.policy_sha256 = e->sum;
	e->cfg.output_dir = e->out;
	e->cfg.platform = "auto";
	e->cfg.timeout_ms = 10000;
	e->cfg.termination_log = e->term;
	e->cfg.termination_log_create = 1;
	e->cfg.platform_row = &fake_platform;
	e->cfg.verifier_row = &fake_verifier;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	ag_log_set_stream(NULL);
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->out);
	free(e->term);
	free(e->policy);
	free(e->log);
	free(e);
	return 0;
}

/* Runs the gate with its log lines captured; *log (may be NULL) gets them. */
static enum ag_code
run(struct env *e, char **log)
{
	FILE *f = fopen(e->log, "w");
	enum ag_code rc;

	assert_non_null(f);
	ag_log_set_stream(f);
	rc = ag_gate_run(&e->cfg);
	ag_log_set_stream(NULL);
	fclose(f);
	if (log != NULL)
		*log = tu_read(e->dir, "log", NULL);
	return rc;
}

/* An output file parsed as JSON (it must be there). */
static json_t *
out_json(const struct env *e, const char *name)
{
	char *text = tu_read(e->out, name, NULL);
	json_t *j;

	if (text == NULL)
		fail_msg("%s was not written", name);
	j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	free(text);
	return j;
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The termination message (one line), which must contain want. */
static void
assert_termination(const struct env *e, const char *want)
{
	char *t = tu_read(e->dir, "termination-log", NULL);

	if (t == NULL)
		fail_msg("no termination message was written");
	if (strstr(t, want) == NULL)
		fail_msg("termination message \"%s\" lacks \"%s\"", t, want);
	/* One line. */
	assert_ptr_equal(strchr(t, '\n'), t + strlen(t) - 1);
	free(t);
}

/* A failed run: no token, no ready, no claims; status.json has reason and a message with want. */
static void
assert_failed(const struct env *e, const char *reason, const char *want)
{
	json_t *st;

	assert_false(tu_exists(e->out, "token"));
	assert_false(tu_exists(e->out, "ready"));
	assert_false(tu_exists(e->out, "claims.json"));
	assert_false(tu_exists(e->out, "jwks.json"));
	st = out_json(e, "status.json");
	assert_string_equal(jstr(st, "status"), "False");
	assert_string_equal(jstr(st, "reason"), reason);
	if (strstr(jstr(st, "message"), want) == NULL)
		fail_msg("status.json message \"%s\" lacks \"%s\"", jstr(st, "message"), want);
	json_decref(st);
}

static void
check_allowed_status(const struct env *e)
{
	json_t *st = out_json(e, "status.json"), *rules = json_object_get(st, "rules");
	const json_t *t = json_object_get(st, "timingsMs");

	assert_string_equal(jstr(st, "kind"), "AttestationStatus");
	assert_string_equal(jstr(st, "status"), "True");
	assert_string_equal(jstr(st, "reason"), "Verified");
	assert_string_equal(jstr(st, "platform"), "azure-cvm");
	assert_string_equal(jstr(st, "verifier"), "maa");
	assert_string_equal(jstr(st, "issuer"), FAKE_URL);
	assert_string_equal(jstr(json_object_get(st, "policy"), "name"), "gate-test");
	assert_string_equal(jstr(json_object_get(st, "policy"), "sha256"), e->sum);
	assert_string_equal(jstr(json_object_get(st, "policy"), "mode"), "enforce");
	assert_int_equal(json_array_size(rules), 2);
	assert_true(json_is_true(json_object_get(json_array_get(rules, 0), "ok")));
	assert_true(json_is_true(json_object_get(json_array_get(rules, 1), "ok")));
	assert_string_equal(jstr(json_array_get(rules, 1), "claim"), "/secureboot");
	assert_string_equal(jstr(json_object_get(st, "token"), "jti"), "fake-jti");
	assert_non_null(jstr(json_object_get(st, "token"), "expiresAt"));
	assert_int_equal(json_integer_value(json_object_get(t, "verifier")), 12);
	assert_int_equal(json_integer_value(json_object_get(t, "verify")), 3);
	assert_true(json_integer_value(json_object_get(t, "evidence")) >= 0);
	assert_true(json_integer_value(json_object_get(t, "total")) >= 0);
	json_decref(st);
}

static void
test_allowed(void **state)
{
	struct env *e = *state;
	char *token;
	json_t *claims, *want;

	tu_write(e->out, "ready", "");   /* an earlier run's: removed first */
	tu_write(e->out, "token", "eyJold");
	assert_int_equal(run(e, NULL), AG_OK);
	assert_int_equal(fake.collects, 1);
	assert_int_equal(fake.verifies, 1);
	/* The gate drew a fresh nonce (64 hex characters of text), the verifier got the evidence bound to it. */
	assert_int_equal(fake.nonce.len, 64);
	assert_true(fake.bound);
	assert_true(fake.quote_unbound);   /* maa: the nonce travels in MAA's client payload */
	assert_string_equal(fake.verifier_type, "maa");
	token = tu_read(e->out, "token", NULL);
	assert_non_null(token);
	assert_string_equal(token, FAKE_TOKEN);
	free(token);
	assert_int_equal(tu_mode(e->out, "token"), 0440);
	assert_int_equal(tu_mode(e->out, "claims.json"), 0444);
	assert_int_equal(tu_mode(e->out, "status.json"), 0444);
	assert_int_equal(tu_mode(e->out, "jwks.json"), 0444);
	assert_int_equal(tu_mode(e->out, "ready"), 0444);
	token = tu_read(e->out, "ready", NULL);
	assert_string_equal(token, "");
	free(token);
	claims = out_json(e, "claims.json");
	want = json_loads(CLAIMS_GOOD, 0, NULL);
	assert_true(json_equal(claims, want));
	json_decref(claims);
	json_decref(want);
	want = out_json(e, "jwks.json");
	assert_string_equal(jstr(json_array_get(json_object_get(want, "keys"), 0), "kid"), "fake");
	json_decref(want);
	check_allowed_status(e);
	/* Nothing to tell kubectl describe, no evidence kept unless asked. */
	assert_false(tu_exists(e->dir, "termination-log"));
	assert_false(tu_exists(e->out, "evidence"));
}

/* --keep-evidence with a local policy: the file collected, and evidence.json naming the nonce the verifier saw. */
static void
test_keep_evidence_local(void **state)
{
	struct env *e = *state;
	char *ev = tu_path(e->out, "evidence"), *report, hex[AG_NONCE_HEX_MAX];
	json_t *m, *st;

	write_policy(e, "enforce", "    type: local\n");
	e->cfg.keep_evidence = 1;
	assert_int_equal(run(e, NULL), AG_OK);
	assert_false(fake.quote_unbound);   /* local: the quote itself must carry the nonce */
	assert_string_equal(fake.verifier_type, "local");
	ag_nonce_hex(&fake.nonce, hex);
	report = tu_read(ev, "fake-report.bin", NULL);
	assert_non_null(report);
	assert_non_null(strstr(report, hex));
	free(report);
	assert_int_equal(tu_mode(ev, "fake-report.bin"), 0444);
	report = tu_read(ev, "evidence.json", NULL);
	m = json_loads(report, 0, NULL);
	assert_string_equal(jstr(m, "nonce"), hex);
	assert_string_equal(jstr(m, "platform"), "azure-cvm");
	assert_string_equal(jstr(json_array_get(json_object_get(m, "files"), 0), "name"), "fake-report.bin");
	json_decref(m);
	free(report);
	st = out_json(e, "status.json");
	assert_string_equal(jstr(st, "verifier"), "local");
	assert_true(json_is_null(json_object_get(st, "issuer")));
	json_decref(st);
	assert_true(tu_exists(e->out, "ready"));
	free(ev);
}

static void
test_policy_denied(void **state)
{
	struct env *e = *state;
	json_t *st, *rule;
	char *log = NULL;

	fake.claims = CLAIMS_NO_SECUREBOOT;
	assert_int_equal(run(e, &log), AG_EPOLICY);
	assert_failed(e, "PolicyDenied", "policy \"gate-test\" denied: 1 of 2 rules failed");
	st = out_json(e, "status.json");
	rule = json_array_get(json_object_get(st, "rules"), 1);
	assert_false(json_is_true(json_object_get(rule, "ok")));
	assert_true(json_is_false(json_object_get(rule, "actual")));
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(st, "rules"), 0), "ok")));
	assert_string_equal(jstr(json_object_get(st, "policy"), "mode"), "enforce");
	json_decref(st);
	/* The termination message lists the failed rule, with expected and actual. */
	assert_termination(e, "policy \"gate-test\" denied: 1 of 2 rules failed: /secureboot equals true, actual false");
	/* One error line per failed rule. */
	assert_non_null(log);
	assert_non_null(strstr(log, "\"level\":\"error\",\"msg\":\"policy rule failed\""));
	assert_non_null(strstr(log, "\"claim\":\"/secureboot\""));
	free(log);
}

static void
test_audit_mode(void **state)
{
	struct env *e = *state;
	json_t *st;
	char *log = NULL;

	write_policy(e, "audit", "    type: maa\n    url: " FAKE_URL "\n");
	fake.claims = CLAIMS_NO_SECUREBOOT;
	assert_int_equal(run(e, &log), AG_OK);
	/* The pod starts: token and ready are written, status.json says what was denied. */
	assert_true(tu_exists(e->out, "token"));
	assert_true(tu_exists(e->out, "ready"));
	st = out_json(e, "status.json");
	assert_string_equal(jstr(st, "status"), "False");
	assert_string_equal(jstr(st, "reason"), "PolicyDenied");
	assert_string_equal(jstr(json_object_get(st, "policy"), "mode"), "audit");
	assert_false(json_is_true(json_object_get(json_array_get(json_object_get(st, "rules"), 1), "ok")));
	json_decref(st);
	/* The denial is logged as a warning, per rule and as a whole. */
	assert_non_null(log);
	assert_non_null(strstr(log, "\"level\":\"warn\",\"msg\":\"policy rule failed\""));
	assert_non_null(strstr(log,
	    "\"level\":\"warn\",\"msg\":\"policy denied, but it is in audit mode: the pod starts\""));
	assert_null(strstr(log, "\"level\":\"error\",\"msg\":\"policy rule failed\""));
	free(log);
	/* Audit forgives a policy denial only: a verifier that fails still blocks the pod. */
	fake.verify_rc = AG_EVERIFIER;
	assert_int_equal(run(e, NULL), AG_EVERIFIER);
	assert_failed(e, "VerifierUnavailable", "did not answer");
	assert_termination(e, "did not answer");
}

static void
test_evidence_unavailable(void **state)
{
	struct env *e = *state;

	fake.collect_rc = AG_EEVIDENCE;
	assert_int_equal(run(e, NULL), AG_EEVIDENCE);
	assert_int_equal(fake.collects, 1);
	assert_int_equal(fake.verifies, 0);
	assert_failed(e, "EvidenceUnavailable", "fake platform: no TEE on this test node");
	assert_termination(e, "fake platform: no TEE on this test node");
}

static void
test_verifier_unavailable(void **state)
{
	struct env *e = *state;
	json_t *st;

	fake.verify_rc = AG_EVERIFIER;
	assert_int_equal(run(e, NULL), AG_EVERIFIER);
	assert_int_equal(fake.verifies, 1);
	assert_true(fake.bound);
	assert_failed(e, "VerifierUnavailable", "fake verifier: " FAKE_URL " did not answer");
	assert_termination(e, "fake verifier: " FAKE_URL " did not answer");
	st = out_json(e, "status.json");
	assert_string_equal(jstr(st, "platform"), "azure-cvm");
	assert_int_equal(json_array_size(json_object_get(st, "rules")), 0);
	json_decref(st);
}

/* A verifier row that fails without saying why still fails the gate with its code: never "Verified". */
static void
test_verifier_fails_silently(void **state)
{
	struct env *e = *state;

	fake.verify_rc = AG_EINVALID;
	fake.silent = 1;
	assert_int_equal(run(e, NULL), AG_EINVALID);
	assert_failed(e, "TokenInvalid", "a step failed without giving a reason");
}

static void
test_bad_pin(void **state)
{
	struct env *e = *state;
	char wrong[AG_SHA256_HEX_LEN + 1], want[200];
	json_t *st;

	snprintf(wrong, sizeof(wrong), "%s", e->sum);
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	e->cfg.policy_sha256 = wrong;
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_int_equal(fake.collects, 0);
	snprintf(want, sizeof(want), "has sha256 %s but --policy-sha256 pins %s", e->sum, wrong);
	assert_failed(e, "ConfigInvalid", want);
	assert_termination(e, want);
	st = out_json(e, "status.json");
	assert_true(json_is_null(json_object_get(st, "policy")));   /* no policy was loaded */
	json_decref(st);
	/* Not a digest at all, and none. */
	e->cfg.policy_sha256 = "sha256:abc";
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_failed(e, "ConfigInvalid", "--policy-sha256 must be 64 hexadecimal characters");
	e->cfg.policy_sha256 = NULL;
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_failed(e, "ConfigInvalid", "--policy-sha256 is required");
	assert_int_equal(fake.collects, 0);
}

/* Runs the gate with stdout into the file printed; returns the exit code. */
static enum ag_code
run_capturing_stdout(struct env *e, char **printed)
{
	char *path = tu_path(e->dir, "stdout");
	int saved, fd;
	enum ag_code rc;

	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	rc = run(e, NULL);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	*printed = tu_read(e->dir, "stdout", NULL);
	free(path);
	return rc;
}

static void
test_print_claims(void **state)
{
	struct env *e = *state;
	char *printed = NULL;
	json_t *j, *st;

	/* Claims the policy would deny: no rule is applied. */
	fake.claims = CLAIMS_NO_SECUREBOOT;
	e->cfg.print_claims = 1;
	assert_int_equal(run_capturing_stdout(e, &printed), AG_OK);
	assert_non_null(printed);
	j = json_loads(printed, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_false(json_object_get(j, "secureboot")));
	json_decref(j);
	free(printed);
	j = out_json(e, "claims.json");
	assert_string_equal(jstr(j, "x-ms-attestation-type"), "azurevm");
	json_decref(j);
	assert_false(tu_exists(e->out, "token"));
	assert_false(tu_exists(e->out, "ready"));
	st = out_json(e, "status.json");
	assert_string_equal(jstr(st, "status"), "False");
	assert_string_equal(jstr(st, "reason"), "ClaimsPrinted");
	assert_int_equal(json_array_size(json_object_get(st, "rules")), 0);
	json_decref(st);
	/* A failure is still a failure. */
	fake.verify_rc = AG_EVERIFIER;
	assert_int_equal(run_capturing_stdout(e, &printed), AG_EVERIFIER);
	assert_string_equal(printed, "");
	free(printed);
	assert_failed(e, "VerifierUnavailable", "did not answer");
}

static void
test_output_dir_unusable(void **state)
{
	struct env *e = *state;
	char *missing = tu_path(e->dir, "no-such-dir"), *file = tu_path(e->dir, "plain-file");

	e->cfg.output_dir = missing;
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_int_equal(fake.collects, 0);
	assert_termination(e, missing);
	assert_false(tu_exists(e->dir, "no-such-dir"));
	tu_write(e->dir, "plain-file", "x");
	e->cfg.output_dir = file;
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_int_equal(fake.collects, 0);
	assert_termination(e, "Not a directory");
	free(missing);
	free(file);
}

/* The evidence's platform (or --platform) must be one the policy lists. */
static void
test_platform_not_allowed(void **state)
{
	struct env *e = *state;

	fake.platform = "sev-snp";
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_int_equal(fake.collects, 1);
	assert_int_equal(fake.verifies, 0);
	assert_failed(e, "ConfigInvalid", "policy \"gate-test\" does not allow platform sev-snp, which this node is");
	e->cfg.platform = "tdx";
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_int_equal(fake.collects, 1);
	assert_failed(e, "ConfigInvalid", "does not allow platform tdx (--platform)");
}

/* Without a verifier row the policy's type picks it: local on evidence without an HCL report is incomplete. */
static void
test_policy_picks_verifier(void **state)
{
	struct env *e = *state;
	json_t *st;

	write_policy(e, "enforce", "    type: local\n");
	e->cfg.verifier_row = NULL;
	assert_int_equal(run(e, NULL), AG_EEVIDENCE);
	assert_int_equal(fake.verifies, 0);
	assert_failed(e, "EvidenceUnavailable", "the evidence has no HCL report");
	st = out_json(e, "status.json");
	assert_string_equal(jstr(st, "verifier"), "local");
	json_decref(st);
}

/* A boot claim missing because no event log was read: the denial names the mount first. */
static void
test_missing_eventlog_hint(void **state)
{
	static const char *const hint = "no TCG event log (mount /sys/kernel/security read-only; "
	    "/x-ms-azurevm-bootdebug-enabled needs it): policy \"gate-test\" denied: 1 of 3 rules failed: "
	    "/x-ms-azurevm-bootdebug-enabled equals false, actual missing";
	struct env *e = *state;
	char *log = NULL;
	json_t *st;

	write_policy_rules(e, "enforce", "    type: maa\n    url: " FAKE_URL "\n",
	    "    - claim: /x-ms-azurevm-bootdebug-enabled\n      equals: false\n");
	fake.eventlog = "absent";
	assert_int_equal(run(e, &log), AG_EPOLICY);
	assert_termination(e, hint);
	assert_failed(e, "PolicyDenied", hint);
	st = out_json(e, "status.json");
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(st, "rules"), 2), "missing")));
	json_decref(st);
	assert_non_null(strstr(log, "\"msg\":\"no TCG event log: MAA cannot derive the boot claims the policy requires\""));
	free(log);
	/* With the event log read, the claim is missing for another reason: no hint. */
	fake.eventlog = "present";
	assert_int_equal(run(e, NULL), AG_EPOLICY);
	assert_termination(e, "policy \"gate-test\" denied: 1 of 3 rules failed: /x-ms-azurevm-bootdebug-enabled");
	assert_failed(e, "PolicyDenied", "policy \"gate-test\" denied");
	{
		char *t = tu_read(e->dir, "termination-log", NULL);

		assert_null(strstr(t, "no TCG event log"));
		free(t);
	}
}

/* Flags that are wrong stop the run before any evidence is collected. */
static void
test_bad_config(void **state)
{
	struct env *e = *state;

	e->cfg.policy_file = NULL;
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_failed(e, "ConfigInvalid", "no policy selected: pass --policy-name (with --policy-dir) or --policy");
	e->cfg.policy_file = e->policy;
	e->cfg.timeout_ms = 0;
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_failed(e, "ConfigInvalid", "--timeout must be positive");
	e->cfg.timeout_ms = 10000;
	e->cfg.tcti = "/dev/tpmrm0";
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_failed(e, "ConfigInvalid", "device:PATH");
	e->cfg.tcti = NULL;
	e->cfg.crls = "/nonexistent/attestgate.crl";
	assert_int_equal(run(e, NULL), AG_ECONFIG);
	assert_failed(e, "ConfigInvalid", "/nonexistent/attestgate.crl");
	assert_termination(e, "/nonexistent/attestgate.crl");
	assert_int_equal(fake.collects, 0);
	/* The policy by name from a directory, with the same pin: the run passes. */
	e->cfg.crls = NULL;
	e->cfg.policy_file = NULL;
	e->cfg.policy_dir = e->dir;
	e->cfg.policy_name = "gate-test";
	assert_int_equal(run(e, NULL), AG_OK);
	assert_int_equal(fake.collects, 1);
	assert_true(tu_exists(e->out, "ready"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_evidence_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verifier_fails_silently, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verifier_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_dir_unusable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_not_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_picks_verifier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_eventlog_hint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
	};

	return cmocka_run_group_tests_name("gate", tests, NULL, NULL);
}
