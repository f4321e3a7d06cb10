/*
 * test_maa.c - lib/verifier/maa.c through its table row ag_verifier_maa:
 * AzureGuest evidence collected from the swtpm Azure CVM rig
 * (test/rig/azure-cvm-rig.sh) sent to the MAA stand-in
 * (test/services/maa_service.py, real TLS under a test CA, THIM on its
 * plain-HTTP port), all on loopback.  Checked: success gives the verified
 * claims (with this request's nonce and the node's OS), the token, the
 * instance's keys and the timings; an instance that cannot be reached
 * (a closed port: AG_EVERIFIER); a token from another issuer (--script
 * wrongiss), a replayed token (--script replay), an HTTP 400, a token of a
 * key not in /certs and an expired one refused with AG_EINVALID; the
 * --os-distro/--os-version rules (both or neither, no quotes, newlines or
 * backslashes, the os-release rules) before anything is sent; and evidence
 * without the files the protocol needs (AG_EEVIDENCE).
 * Skipped visibly where swtpm, tpm2-tools or python3 with the cryptography
 * module are missing.
 */
#include "standin.h"

#include <jansson.h>

#include "base/clock.h"
#include "base/nonce.h"
#include "format/claims.h"
#include "platform/platform.h"
#include "policy/policy.h"
#include "verifier/verifier.h"

static struct {
	char *dir, *pki, *keys, *tpl, *run, *os_release, *ca, *roots, *eventlog, *svc;
	char tcti[4200], thim[64], url[64], why[512];
	pid_t maa;
	int have_tools, ready, n;
} g;

static char *
rig_script(void)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/test/rig/azure-cvm-rig.sh", si_repo());
	return path;
}

/* Nonzero when swtpm, tpm2-tools and python3 with cryptography are here. */
static int
have_tools(void)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)"command -v swtpm && command -v tpm2_createak", NULL };

	return si_have_python() && si_run(argv, NULL, NULL) == 0;
}

/*
 * Runs the rig with stdout and stderr into g.dir/rig.out, never a pipe (the swtpm it
 * leaves running would hold a pipe open); its exit status.
 */
static int
rig(const char *cmd, const char *a, const char *b)
{
	char *argv[] = { rig_script(), (char *)cmd, (char *)a, (char *)b, NULL }, *out = tu_path(g.dir, "rig.out");
	int status = 0;
	pid_t pid;

	unlink(out);
	pid = si_spawn(argv, out);
	free(out);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts the rig's swtpm on a copy of the template: g.tcti. */
static int
rig_start(void)
{
	char *out, *line;
	int rc = rig("start", g.tpl, g.run);

	out = tu_read(g.dir, "rig.out", NULL);
	line = out != NULL ? strstr(out, "swtpm:path=") : NULL;
	if (rc == 0 && line != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		snprintf(g.tcti, sizeof(g.tcti), "%s", line);
	}
	free(out);
	return rc == 0 && line != NULL ? 0 : -1;
}

/* Starts a stand-in trusting the rig, with --script script (may be NULL); its URL in url. */
static pid_t
maa_start(const char *script, char url[64], int *thim)
{
	const char *extra[] = { "--rig", g.tpl, "--keys", g.keys, script != NULL ? "--script" : NULL, script, NULL };
	char name[32], *state;
	int port = -1;
	pid_t pid;

	snprintf(name, sizeof(name), "svc%d", g.n++);
	state = tu_path(g.dir, name);
	pid = si_maa_start(g.pki, state, extra, &port, thim);
	snprintf(url, 64, "https://127.0.0.1:%d", port);
	free(state);
	return pid;
}

static int
group_setup(void **state)
{
	int thim = -1;

	(void)state;
	g.dir = tu_mkdtemp();
	g.pki = tu_path(g.dir, "pki");
	g.keys = tu_path(g.dir, "keys");
	g.tpl = tu_path(g.dir, "tpl");
	g.run = tu_path(g.dir, "run");
	g.os_release = tu_path(g.dir, "os-release");
	g.ca = tu_path(g.pki, "ca.pem");
	g.roots = tu_path(g.tpl, "test-roots");
	g.eventlog = tu_path(g.run, "eventlog.bin");
	g.svc = tu_path(g.dir, "svc0");
	tu_write(g.dir, "os-release",
	    "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\nID=ubuntu\n");
	if (!(g.have_tools = have_tools()))
		return 0;
	if (si_testpki(g.pki) != 0)
		snprintf(g.why, sizeof(g.why), "testpki.py failed");
	else if (rig("provision", g.tpl, NULL) != 0)
		snprintf(g.why, sizeof(g.why), "the rig did not provision (%s provision)", rig_script());
	else if (rig_start() != 0)
		snprintf(g.why, sizeof(g.why), "the rig's swtpm did not start");
	else if ((g.maa = maa_start(NULL, g.url, &thim)) <= 0 || thim <= 0)
		snprintf(g.why, sizeof(g.why), "the MAA stand-in did not start");
	else
		g.ready = 1;
	snprintf(g.thim, sizeof(g.thim), "http://127.0.0.1:%d", thim);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	si_stop(g.maa);
	if (g.tcti[0] != '\0')
		rig("stop", g.run, NULL);
	tu_rmtree(g.dir);
	free(g.dir);
	free(g.pki);
	free(g.keys);
	free(g.tpl);
	free(g.run);
	free(g.os_release);
	free(g.ca);
	free(g.roots);
	free(g.eventlog);
	free(g.svc);
	return 0;
}

/* Skips (visibly) without the tools; fails when they are here but the rig or the stand-in did not come up. */
#define NEED_RIG()                                                                                          \
	do {                                                                                                \
		if (!g.have_tools) {                                                                        \
			print_message("# skipped: swtpm, tpm2-tools or python3-cryptography is missing (make deps)\n"); \
			skip();                                                                             \
		}                                                                                           \
		if (!g.ready)                                                                               \
			fail_msg("%s", g.why);                                                              \
	} while (0)

/* One call of the row: evidence, policy, options, output. */
struct call {
	struct ag_evidence e;
	struct ag_policy *p;
	struct ag_local_opts lo;
	struct ag_verify_in in;
	struct ag_verify_out out;
	struct ag_err err;
};

/* Policy for the instance at url, THIM and the test roots of the rig, the stand-in's CA, the node's os-release. */
static void
call_init(struct call *c, const char *url)
{
	char yaml[1024];

	memset(c, 0, sizeof(*c));
	ag_evidence_init(&c->e);
	snprintf(yaml, sizeof(yaml),
	    "apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata: {name: maa-test}\nspec:\n"
	    "  platforms: [azure-cvm]\n  verifier: {type: maa, url: \"%s\"}\n"
	    "  require:\n  - claim: /secureboot\n    equals: true\n", url);
	if (ag_policy_parse((const uint8_t *)yaml, strlen(yaml), "maa-test.yaml", &c->p, &c->err) != AG_OK)
		fail_msg("%s", c->err.msg);
	c->lo.imds_url = g.thim;
	c->lo.insecure_test_roots = g.roots;
	c->lo.http.ca_file = g.ca;
	c->lo.http.deadline_ms = ag_clock_mono_ms() + 10000;
	c->in.evidence = &c->e;
	c->in.policy = c->p;
	c->in.local = &c->lo;
	c->in.tcti = g.tcti;
	c->in.os_release = g.os_release;
	ag_err_clear(&c->err);
}

/* Evidence from the rig's vTPM bound to a fresh text nonce, as run collects it for maa. */
static void
collect(struct call *c)
{
	struct ag_collect_opts co;
	struct ag_nonce n;

	assert_int_equal(ag_nonce_draw_text(&n, &c->err), AG_OK);
	memset(&co, 0, sizeof(co));
	co.tcti = g.tcti;
	co.nonce = &n;
	co.deadline_ms = ag_clock_mono_ms() + 10000;
	co.eventlog = g.eventlog;
	co.vmpl = -1;
	co.quote_unbound = 1;
	if (ag_platform_azure_cvm.collect(&co, &c->e, &c->err) != AG_OK)
		fail_msg("collecting from the rig: %s", c->err.msg);
	assert_memory_equal(c->e.nonce.v, n.v, 64);
}

static void
call_clear(struct call *c)
{
	ag_verify_out_clear(&c->out);
	ag_evidence_clear(&c->e);
	ag_policy_free(c->p);
}

static enum ag_code
verify(struct call *c)
{
	ag_err_clear(&c->err);
	return ag_verifier_maa.verify(&c->in, &c->out, &c->err);
}

/* The call fails with code and why in the message, leaving no claims. */
static void
verify_fails(struct call *c, enum ag_code code, const char *why)
{
	enum ag_code rc = verify(c);

	if (rc != code || strstr(c->err.msg, why) == NULL)
		fail_msg("got %d \"%s\", expected %d with \"%s\"", rc, c->err.msg, code, why);
	assert_null(c->out.claims);
}

/* Lines of a stand-in's requests.log containing what. */
static int
logged(const char *state, const char *what)
{
	char *log = tu_read(state, "requests.log", NULL);
	int n = 0;

	for (char *p = log; p != NULL && (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	free(log);
	return n;
}

static const char *
str_at(const json_t *claims, const char *pointer)
{
	return json_string_value(ag_claims_lookup(claims, pointer));
}

static void
check_success(const struct call *c)
{
	char *want = ag_nonce_claim(&c->e.nonce, AG_NONCE_AZUREGUEST);
	json_t *jwks = json_loads(c->out.jwks, 0, NULL);
	time_t now = time(NULL);

	assert_string_equal(str_at(c->out.claims, "/x-ms-attestation-type"), "azurevm");
	assert_string_equal(str_at(c->out.claims, "/x-ms-isolation-tee/x-ms-compliance-status"), "azure-compliant-cvm");
	assert_string_equal(str_at(c->out.claims, "/iss"), c->p->verifier_url);
	/* This request's nonce, as AzureGuest carries it: base64 of its text. */
	assert_non_null(want);
	assert_string_equal(str_at(c->out.claims, "/x-ms-runtime/client-payload/nonce"), want);
	free(want);
	/* The token as issued: a compact JWS; the keys the instance serves. */
	assert_non_null(c->out.token);
	assert_memory_equal(c->out.token, "eyJ", 3);
	assert_non_null(strchr(strchr(c->out.token, '.') + 1, '.'));
	assert_non_null(jwks);
	assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
	json_decref(jwks);
	assert_true(c->out.info.iat <= now + 5 && c->out.info.iat > now - 60);
	assert_true(c->out.info.exp > now);
	assert_non_null(c->out.info.jti);
	assert_int_equal(strlen(c->out.info.jti), 64);
	/* Round trips were made (THIM, attest, keys); the checks here took their own time. */
	assert_true(c->out.ms_verifier > 0 && c->out.ms_verifier < 15000);
	assert_true(c->out.ms_verify >= 0 && c->out.ms_verify < 5000);
}

static void
test_success(void **state)
{
	struct call c;
	int posts;

	(void)state;
	NEED_RIG();
	posts = logged(g.svc, "POST /attest/AzureGuest?api-version=2020-10-01 200");
	call_init(&c, g.url);
	collect(&c);
	if (verify(&c) != AG_OK)
		fail_msg("AzureGuest through the stand-in: %s", c.err.msg);
	check_success(&c);
	/* The node's OS from its os-release. */
	assert_string_equal(str_at(c.out.claims, "/x-ms-azurevm-osdistro"), "Ubuntu");
	assert_int_equal(json_integer_value(ag_claims_lookup(c.out.claims, "/x-ms-azurevm-osversion-major")), 22);
	assert_int_equal(json_integer_value(ag_claims_lookup(c.out.claims, "/x-ms-azurevm-osversion-minor")), 4);
	assert_int_equal(logged(g.svc, "POST /attest/AzureGuest?api-version=2020-10-01 200"), posts + 1);
	assert_true(logged(g.svc, "GET /certs 200") >= 1);
	assert_true(logged(g.svc, "GET THIM /metadata/THIM/amd/certification 200") >= 1);
	call_clear(&c);
}

/* --os-distro and --os-version instead of the file (which is then not read). */
static void
test_success_os_flags(void **state)
{
	struct call c;

	(void)state;
	NEED_RIG();
	call_init(&c, g.url);
	collect(&c);
	c.in.os_release = "/nonexistent/os-release";
	c.in.os_distro = "Azure Linux";
	c.in.os_version = "3.0";
	if (verify(&c) != AG_OK)
		fail_msg("%s", c.err.msg);
	check_success(&c);
	assert_string_equal(str_at(c.out.claims, "/x-ms-azurevm-osdistro"), "Azure Linux");
	assert_int_equal(json_integer_value(ag_claims_lookup(c.out.claims, "/x-ms-azurevm-osversion-major")), 3);
	assert_int_equal(json_integer_value(ag_claims_lookup(c.out.claims, "/x-ms-azurevm-osversion-minor")), 0);
	call_clear(&c);
}

static void
test_unreachable(void **state)
{
	struct call c;
	char url[64];
	int64_t t0;

	(void)state;
	NEED_RIG();
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", si_closed_port());
	call_init(&c, url);
	collect(&c);
	c.lo.http.max_attempts = 2;
	t0 = ag_clock_mono_ms();
	verify_fails(&c, AG_EVERIFIER, url);
	assert_true(ag_clock_mono_ms() - t0 < 9000);
	assert_null(c.out.token);
	assert_null(c.out.jwks);
	assert_true(c.out.ms_verifier > 0);
	call_clear(&c);
}

static void
test_wrong_issuer(void **state)
{
	struct call c;
	char url[64], why[160], *st;
	int thim = -1;
	pid_t pid;

	(void)state;
	NEED_RIG();
	pid = maa_start("wrongiss", url, &thim);
	assert_true(pid > 0);
	call_init(&c, url);
	collect(&c);
	snprintf(why, sizeof(why), "token issuer https://another-instance.attest.azure.net is not the pinned instance %s",
	    url);
	verify_fails(&c, AG_EINVALID, why);
	/* The instance did answer: it was its token that was refused. */
	snprintf(why, sizeof(why), "svc%d", g.n - 1);
	st = tu_path(g.dir, why);
	assert_int_equal(logged(st, "POST /attest/AzureGuest?api-version=2020-10-01 200"), 1);
	free(st);
	assert_null(c.out.jwks);
	call_clear(&c);
	si_stop(pid);
}

/* The instance answers the second request with the first token: its nonce is not this run's. */
static void
test_nonce_replay(void **state)
{
	struct call c;
	char url[64], *first;
	int thim = -1;
	pid_t pid;

	(void)state;
	NEED_RIG();
	pid = maa_start("ok,ok,replay", url, &thim);
	assert_true(pid > 0);
	call_init(&c, url);
	collect(&c);
	if (verify(&c) != AG_OK)
		fail_msg("the first request: %s", c.err.msg);
	first = strdup(c.out.token);
	call_clear(&c);
	call_init(&c, url);
	collect(&c);
	verify_fails(&c, AG_EINVALID,
	    "token nonce at /x-ms-runtime/client-payload/nonce is not this run's nonce: "
	    "it answers another request (replayed?)");
	/* It was the first token, signed and current, sent again. */
	assert_non_null(c.out.token);
	assert_string_equal(c.out.token, first);
	free(first);
	call_clear(&c);
	si_stop(pid);
}

/* Refused with the reason: an HTTP 400 with the instance's message, a token of an unknown key, an expired one. */
static void
test_refusals(void **state)
{
	struct call c;
	char url[64], why[160];
	int thim = -1;
	pid_t pid;

	(void)state;
	NEED_RIG();
	pid = maa_start("400,unknownkey,ok,expired", url, &thim);
	assert_true(pid > 0);
	call_init(&c, url);
	collect(&c);
	snprintf(why, sizeof(why), "%s/attest/AzureGuest?api-version=2020-10-01 answered HTTP 400: scripted fault", url);
	verify_fails(&c, AG_EINVALID, why);
	assert_null(c.out.token);
	call_clear(&c);
	call_init(&c, url);
	collect(&c);
	verify_fails(&c, AG_EINVALID, "which is not a key of");
	call_clear(&c);
	call_init(&c, url);
	collect(&c);
	verify_fails(&c, AG_EINVALID, "token expired at");
	call_clear(&c);
	si_stop(pid);
}

/* Checks an OS setting fails with AG_ECONFIG naming why; nothing is sent. */
static void
os_refused(const char *distro, const char *version, const char *why)
{
	struct call c;
	int before = logged(g.svc, "POST");

	call_init(&c, g.url);
	c.e.platform = "azure-cvm";
	c.in.os_distro = distro;
	c.in.os_version = version;
	verify_fails(&c, AG_ECONFIG, why);
	assert_null(c.out.token);
	assert_int_equal(logged(g.svc, "POST"), before);
	call_clear(&c);
}

static void
test_os_rules(void **state)
{
	static const char *const quotes = "--os-distro/--os-version: too long, or with quotes or newlines";
	char longname[600];
	struct call c;

	(void)state;
	NEED_RIG();
	os_refused("Ubuntu", NULL, "--os-distro and --os-version go together");
	os_refused(NULL, "22.04", "--os-distro and --os-version go together");
	os_refused("Ubu\"ntu", "22.04", quotes);
	os_refused("Ubuntu", "22.04\"", quotes);
	os_refused("Ubuntu\nVERSION_ID=\"9.9\"", "22.04", quotes);
	os_refused("Ubuntu", "22\n.04", quotes);
	os_refused("Ubuntu\\", "22.04", quotes);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	os_refused(longname, "22.04", quotes);
	/* The os-release rules apply to the flags: a name, a major version above 0. */
	os_refused("", "22.04", "--os-distro/--os-version: os-release has no NAME");
	os_refused("Weird", "0.9", "has major version 0");
	/* Neither flag and no os-release where it should be mounted. */
	call_init(&c, g.url);
	c.e.platform = "azure-cvm";
	c.in.os_release = "/nonexistent/os-release";
	verify_fails(&c, AG_ECONFIG, "mount the node's /etc/os-release");
	call_clear(&c);
}

/* Evidence without what the protocol needs: AG_EEVIDENCE before anything is sent. */
static void
test_missing_evidence(void **state)
{
	static const char *const needed[] = { "hcl-report.bin", "ak-cert.der", "ak-pub.tpm", "quote.msg", "quote.sig",
		"pcrs.bin" };
	int before;
	char why[128];

	(void)state;
	NEED_RIG();
	before = logged(g.svc, "POST");
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		struct call c;
		struct ag_evidence_blob *b;

		call_init(&c, g.url);
		collect(&c);
		b = (struct ag_evidence_blob *)ag_evidence_get(&c.e, needed[i]);
		assert_non_null(b);
		b->name[0] = 'X';   /* no longer found under its name */
		snprintf(why, sizeof(why), "AzureGuest needs Azure CVM evidence: %s is missing", needed[i]);
		verify_fails(&c, AG_EEVIDENCE, why);
		call_clear(&c);
	}
	assert_int_equal(logged(g.svc, "POST"), before);
}

/* A binary nonce, and SevSnpVm/TdxVm evidence without its runtime data. */
static void
test_unsendable_evidence(void **state)
{
	struct call c;
	int before;

	(void)state;
	NEED_RIG();
	before = logged(g.svc, "POST");
	call_init(&c, g.url);
	collect(&c);
	assert_int_equal(ag_nonce_draw(&c.e.nonce, &c.err), AG_OK);
	verify_fails(&c, AG_EEVIDENCE, "AzureGuest sends the nonce as text: this evidence's nonce is binary");
	call_clear(&c);
	call_init(&c, g.url);
	c.e.platform = "sev-snp";
	assert_int_equal(ag_evidence_add(&c.e, "snp-report.bin", calloc(1, 1184), 1184, &c.err), AG_OK);
	verify_fails(&c, AG_EEVIDENCE, "SevSnpVm needs the SNP report and the runtime data");
	call_clear(&c);
	call_init(&c, g.url);
	c.e.platform = "tdx";
	assert_int_equal(ag_evidence_add(&c.e, "runtime-data.json", (uint8_t *)strdup("{}"), 2, &c.err), AG_OK);
	verify_fails(&c, AG_EEVIDENCE, "TdxVm needs the TD quote and the runtime data");
	call_clear(&c);
	assert_int_equal(logged(g.svc, "POST"), before);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_success_os_flags),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_wrong_issuer),
		cmocka_unit_test(test_nonce_replay),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_os_rules),
		cmocka_unit_test(test_missing_evidence),
		cmocka_unit_test(test_unsendable_evidence),
	};

	return cmocka_run_group_tests_name("maa", tests, group_setup, group_teardown);
}
