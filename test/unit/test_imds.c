/*
 * test_imds.c - lib/node/imds.c: the THIM certification document parsed
 * (the kata-cc vector of ../shared when present, and every field missing,
 * empty, mistyped or for another TCB), and both IMDS calls over loopback:
 * against the IMDS port of test/services/maa_service.py (--tee, the
 * test/emul chains: THIM and /acc/tdquote), and against a canned plain-HTTP
 * stand-in for what that service does not do (malformed and oversized
 * answers, errors, a server that never answers, the deadline).  Every URL is
 * 127.0.0.1; the services are stopped at the end.  Skipped visibly where
 * python3 with the cryptography module is missing.
 */
#include "standin.h"

#include <jansson.h>

#include "base/base64.h"
#include "base/certs.h"
#include "base/clock.h"
#include "format/tdx.h"
#include "node/imds.h"

#define TCB 0x7308000000000003ULL

static struct {
	char *dir;
	pid_t pid;
	int thim_port;
	char *thim;       /* the stand-in's thim.json */
} svc;

static int
group_setup(void **state)
{
	char *pki, *tee, *st;
	const char *extra[] = { "--tee", NULL, NULL };
	int port = -1;

	(void)state;
	svc.dir = tu_mkdtemp();
	if (!si_have_python())
		return 0;
	pki = tu_path(svc.dir, "pki");
	tee = tu_path(svc.dir, "tee");
	st = tu_path(svc.dir, "state");
	extra[1] = tee;
	if (si_testpki(pki) == 0 && si_tee_pki(tee) == 0)
		svc.pid = si_maa_start(pki, st, extra, &port, &svc.thim_port);
	svc.thim = tu_read(tee, "thim.json", NULL);
	free(pki);
	free(tee);
	free(st);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	si_stop(svc.pid);
	tu_rmtree(svc.dir);
	free(svc.dir);
	free(svc.thim);
	return 0;
}

#define NEED_SERVICE()                                                                                        \
	do {                                                                                                  \
		if (svc.pid <= 0 || svc.thim_port <= 0) {                                                     \
			print_message("# skipped: the IMDS stand-in (test/services/maa_service.py) cannot run here\n"); \
			skip();                                                                               \
		}                                                                                             \
	} while (0)

static struct ag_http_opts
opts(int64_t ms)
{
	return (struct ag_http_opts){ .deadline_ms = ag_clock_mono_ms() + ms, .attempt_timeout_ms = ms };
}

/* Number of certificates in a PEM bundle (each must parse). */
static int
count_certs(const char *pem)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_err err;
	int n;

	assert_int_equal(ag_certs_load((const uint8_t *)pem, strlen(pem), certs, &err), AG_OK);
	n = sk_X509_num(certs);
	sk_X509_pop_free(certs, X509_free);
	return n;
}

/* --- ag_thim_parse ------------------------------------------------------- */

static enum ag_code
parse(const char *doc, uint64_t tcb, char **pem, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_thim_parse((const uint8_t *)doc, strlen(doc), tcb, pem, err);
}

static void
test_thim_parse_real(void **state)
{
	size_t len = 0;
	uint8_t *doc = si_vec("kata-cc/sidecar-thim-certification-response.json", &len);
	json_t *j;
	char *pem = NULL, want[16384];
	struct ag_err err;

	(void)state;
	if (doc == NULL)
		skip();
	j = json_loadb((const char *)doc, len, 0, NULL);
	assert_non_null(j);
	assert_int_equal(ag_thim_parse(doc, len, TCB, &pem, &err), AG_OK);
	/* vcekCert then certificateChain, as they came: VCEK, ASK, ARK. */
	snprintf(want, sizeof(want), "%s%s", json_string_value(json_object_get(j, "vcekCert")),
	    json_string_value(json_object_get(j, "certificateChain")));
	assert_string_equal(pem, want);
	assert_int_equal(count_certs(pem), 3);
	free(pem);
	/* The report's TCB is another: these certificates are not for it. */
	assert_int_equal(ag_thim_parse(doc, len, TCB + 1, &pem, &err), AG_EINVALID);
	assert_null(pem);
	assert_non_null(strstr(err.msg, "THIM certificates are for TCB 7308000000000003, the report says 7308000000000004"));
	json_decref(j);
	free(doc);
}

static void
test_thim_parse_fields(void **state)
{
	static const char *const bad[] = {
		"", "not json", "[]", "{}", "{\"vcekCert\":\"A\",\"certificateChain\":\"B\"}",
		"{\"vcekCert\":\"A\",\"tcbm\":\"7308000000000003\"}",
		"{\"certificateChain\":\"B\",\"tcbm\":\"7308000000000003\"}",
		"{\"vcekCert\":\"\",\"certificateChain\":\"B\",\"tcbm\":\"7308000000000003\"}",
		"{\"vcekCert\":\"A\",\"certificateChain\":\"\",\"tcbm\":\"7308000000000003\"}",
		"{\"vcekCert\":1,\"certificateChain\":\"B\",\"tcbm\":\"7308000000000003\"}",
		"{\"vcekCert\":\"A\",\"certificateChain\":[\"B\"],\"tcbm\":\"7308000000000003\"}",
		"{\"vcekCert\":\"A\",\"certificateChain\":\"B\",\"tcbm\":7308000000000003}",
		"{\"vcekCert\":\"A\\u0000B\",\"certificateChain\":\"B\",\"tcbm\":\"7308000000000003\"}",
		"{\"vcekCert\":\"A\",\"certificateChain\":\"B\\u0000\",\"tcbm\":\"7308000000000003\"}",
		"{\"vcekCert\":\"A\",\"vcekCert\":\"C\",\"certificateChain\":\"B\",\"tcbm\":\"7308000000000003\"}",
	};
	struct ag_err err;
	char *pem = (char *)"x";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], TCB, &pem, &err) != AG_EINVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_null(pem);
		assert_non_null(strstr(err.msg, "THIM certification lacks vcekCert, certificateChain or tcbm"));
	}
	/* tcbm: 16 hex digits of REPORTED_TCB, either case; nothing else. */
	assert_int_equal(parse("{\"vcekCert\":\"V\\n\",\"certificateChain\":\"C\",\"tcbm\":\"7308000000000003\"}", TCB, &pem,
	    &err), AG_OK);
	assert_string_equal(pem, "V\nC");
	free(pem);
	assert_int_equal(parse("{\"vcekCert\":\"V\",\"certificateChain\":\"C\",\"tcbm\":\"DB180000000000AB\"}",
	    0xdb180000000000abULL, &pem, &err), AG_OK);
	/* A VCEK without its final newline is still separated from the chain. */
	assert_string_equal(pem, "V\nC");
	free(pem);
	assert_int_equal(parse("{\"vcekCert\":\"V\",\"certificateChain\":\"C\",\"tcbm\":\"db180000000000ab\"}",
	    0xdb180000000000abULL, &pem, &err), AG_OK);
	free(pem);
	assert_int_equal(parse("{\"vcekCert\":\"V\",\"certificateChain\":\"C\",\"tcbm\":\"73080000000000030\"}", TCB, &pem,
	    &err), AG_EINVALID);
	assert_int_equal(parse("{\"vcekCert\":\"V\",\"certificateChain\":\"C\",\"tcbm\":\"308000000000003\"}", TCB, &pem,
	    &err), AG_EINVALID);
	assert_int_equal(parse("{\"vcekCert\":\"V\",\"certificateChain\":\"C\",\"tcbm\":\"\"}", TCB, &pem, &err), AG_EINVALID);
	assert_null(pem);
}

static void
test_thim_parse_size_cap(void **state)
{
	size_t cap = 64 * 1024;
	char *doc = malloc(cap + 2), *pem = NULL;
	struct ag_err err;
	int n;

	(void)state;
	assert_non_null(doc);
	n = snprintf(doc, cap, "{\"vcekCert\":\"V\",\"certificateChain\":\"C\",\"tcbm\":\"7308000000000003\"}");
	/* Whitespace up to exactly 64 KiB is a document; one byte more is refused. */
	memset(doc + n, ' ', cap + 1 - (size_t)n);
	assert_int_equal(ag_thim_parse((const uint8_t *)doc, cap, TCB, &pem, &err), AG_OK);
	free(pem);
	assert_int_equal(ag_thim_parse((const uint8_t *)doc, cap + 1, TCB, &pem, &err), AG_EINVALID);
	assert_null(pem);
	free(doc);
}

/* --- THIM over HTTP ------------------------------------------------------ */

static void
test_thim_vcek(void **state)
{
	char base[64], *pem = NULL;
	struct ag_http_opts o = opts(10000);
	struct ag_err err;
	json_t *j;

	(void)state;
	NEED_SERVICE();
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", svc.thim_port);
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB, &pem, &err), AG_OK);
	/* What the stand-in serves: the test VCEK, then its ASK and ARK. */
	j = json_loads(svc.thim, 0, NULL);
	assert_non_null(j);
	assert_int_equal(strncmp(pem, json_string_value(json_object_get(j, "vcekCert")),
	    strlen(json_string_value(json_object_get(j, "vcekCert")))), 0);
	assert_int_equal(count_certs(pem), 3);
	json_decref(j);
	free(pem);
	pem = NULL;
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB ^ 0xff, &pem, &err), AG_EINVALID);
	assert_null(pem);
	assert_non_null(strstr(err.msg, "the report says"));
	/* Another path on the same server: not found is evidence missing, said with the URL. */
	snprintf(base, sizeof(base), "http://127.0.0.1:%d/nope", svc.thim_port);
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB, &pem, &err), AG_EEVIDENCE);
	assert_null(pem);
	assert_non_null(strstr(err.msg, "/nope/metadata/THIM/amd/certification answered HTTP 404"));
}

/* One canned answer per connection (the last one repeated); requests logged to dir/requests. */
static pid_t
canned(const char *dir, int status, const char *body, size_t body_len, int *port)
{
	size_t len = 0;
	char *answer = body != NULL ? si_http_answer(status, body, body_len, &len) : NULL, *log = tu_path(dir, "requests");
	const char *answers[1] = { answer };
	pid_t pid;

	unlink(log);
	pid = si_canned_start(answers, &len, 1, log, port);
	free(answer);
	free(log);
	return pid;
}

static void
test_thim_canned(void **state)
{
	char *dir = tu_mkdtemp(), base[64], *pem = NULL, *req, *big = malloc(70000);
	static const char good[] = "{\"vcekCert\":\"V\",\"certificateChain\":\"C\",\"tcbm\":\"7308000000000003\"}";
	struct ag_http_opts o = opts(5000);
	struct ag_err err;
	int port;
	pid_t pid;

	(void)state;
	assert_non_null(big);
	pid = canned(dir, 200, good, strlen(good), &port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB, &pem, &err), AG_OK);
	assert_string_equal(pem, "V\nC");
	free(pem);
	si_stop(pid);
	/* The request IMDS wants: GET, the path, Metadata: true. */
	req = tu_read(dir, "requests", NULL);
	assert_non_null(req);
	assert_int_equal(strncmp(req, "GET /metadata/THIM/amd/certification HTTP/1.1\r\n", 47), 0);
	assert_non_null(strcasestr(req, "\r\nMetadata: true\r\n"));
	free(req);
	/* 200 with something else than the document. */
	pid = canned(dir, 200, "<html>", 6, &port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB, &pem, &err), AG_EINVALID);
	assert_null(pem);
	si_stop(pid);
	/* Larger than THIM's 64 KiB. */
	memset(big, ' ', 70000);
	memcpy(big, good, strlen(good));
	pid = canned(dir, 200, big, 70000, &port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB, &pem, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "response larger than 65536 bytes"));
	assert_null(pem);
	si_stop(pid);
	free(big);
	tu_rmtree(dir);
	free(dir);
}

/* Number of requests the canned stand-in of dir has seen. */
static int
requests(const char *dir)
{
	char *log = tu_read(dir, "requests", NULL);
	int n = 0;

	for (const char *p = log; p != NULL && (p = strstr(p, "--end--")) != NULL; p++)
		n++;
	free(log);
	return n;
}

/* IMDS unreachable, failing or silent: evidence unavailable (never "verifier"), within the deadline. */
static void
test_thim_unreachable(void **state)
{
	char *dir = tu_mkdtemp(), base[64], *pem = NULL;
	struct ag_http_opts o = opts(1500);
	struct ag_err err;
	int64_t t0;
	int port;
	pid_t pid;

	(void)state;
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", si_closed_port());
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB, &pem, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "IMDS THIM (VCEK certificates)"));
	assert_null(pem);
	/* 503 until the deadline: retried, then given up. */
	pid = canned(dir, 503, "{}", 2, &port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	o = opts(1500);
	t0 = ag_clock_mono_ms();
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB, &pem, &err), AG_EEVIDENCE);
	assert_true(err.transient);
	assert_true(ag_clock_mono_ms() - t0 < 4000);
	assert_true(requests(dir) >= 2);
	si_stop(pid);
	/* A server that never answers: the deadline ends it. */
	pid = canned(dir, 0, NULL, 0, &port);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	o = opts(1000);
	t0 = ag_clock_mono_ms();
	assert_int_equal(ag_imds_thim_vcek(base, &o, TCB, &pem, &err), AG_EEVIDENCE);
	assert_true(ag_clock_mono_ms() - t0 < 3000);
	assert_null(pem);
	si_stop(pid);
	/* Not an http(s) URL. */
	o = opts(1000);
	assert_int_equal(ag_imds_thim_vcek("ftp://127.0.0.1", &o, TCB, &pem, &err), AG_ECONFIG);
	tu_rmtree(dir);
	free(dir);
}

/*
 * A base URL too long for the request URL must be refused (as jwks_fetch.c
 * refuses one), never cut: cut, the request goes to another path and its
 * answer is taken as IMDS's.  Fails while ag_imds_thim_vcek() and
 * ag_imds_td_quote() snprintf into a 512-byte buffer unchecked.
 */
static void
test_long_base_url(void **state)
{
	static const char good[] = "{\"vcekCert\":\"V\",\"certificateChain\":\"C\",\"tcbm\":\"7308000000000003\"}";
	char *dir = tu_mkdtemp(), base[600], *pem = NULL, *req;
	struct ag_http_opts o = opts(3000);
	struct ag_err err;
	enum ag_code rc;
	int port, n;
	pid_t pid;

	(void)state;
	pid = canned(dir, 200, good, strlen(good), &port);
	n = snprintf(base, sizeof(base), "http://127.0.0.1:%d/", port);
	memset(base + n, 'p', sizeof(base) - 1 - (size_t)n);
	base[480] = '\0';
	rc = ag_imds_thim_vcek(base, &o, TCB, &pem, &err);
	free(pem);
	si_stop(pid);
	req = tu_read(dir, "requests", NULL);
	tu_rmtree(dir);
	free(dir);
	if (rc == AG_OK && req != NULL && strstr(req, "/metadata/THIM/amd/certification HTTP/1.1") == NULL) {
		print_message("# the request line was: %.60s...%.40s\n", req, strchr(req, '\r') - 40);
		free(req);
		fail_msg("a truncated URL was requested and its answer used");
	}
	free(req);
	assert_int_equal(rc, AG_ECONFIG);
}

/* --- the TD quote service ------------------------------------------------- */

static void
tdreport(uint8_t r[1024], uint8_t seed)
{
	memset(r, 0, 1024);
	r[0] = 0x81;   /* REPORTMACSTRUCT type: TDX */
	for (int i = 0; i < 64; i++)
		r[0x80 + i] = (uint8_t)(seed + i);   /* REPORTDATA */
}

static void
test_td_quote(void **state)
{
	char base[64];
	uint8_t report[1024], *quote = NULL;
	size_t len = 0;
	struct ag_tdx_quote q;
	struct ag_http_opts o = opts(20000);
	struct ag_err err;

	(void)state;
	NEED_SERVICE();
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", svc.thim_port);
	tdreport(report, 0x30);
	assert_int_equal(ag_imds_td_quote(base, &o, report, sizeof(report), &quote, &len, &err), AG_OK);
	/* A TD quote for this TDREPORT: its REPORTDATA carried over. */
	assert_int_equal(ag_tdx_parse(quote, len, &q, &err), AG_OK);
	assert_int_equal(q.version, 4);
	assert_memory_equal(q.report_data, report + 0x80, 64);
	assert_int_equal(ag_tdx_check_report_data(quote, len, report + 0x80, &err), AG_OK);
	free(quote);
	/* The stand-in takes 1024-byte TDREPORTs only: anything else is its 400, said with the URL. */
	assert_int_equal(ag_imds_td_quote(base, &o, report, 100, &quote, &len, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "/acc/tdquote answered HTTP 400"));
	assert_null(quote);
	assert_int_equal(len, 0);
}

static enum ag_code
td_quote_canned(const char *dir, int status, const char *body, uint8_t **quote, size_t *len, struct ag_err *err)
{
	char base[64];
	uint8_t report[1024];
	struct ag_http_opts o = opts(3000);
	int port;
	pid_t pid = canned(dir, status, body, strlen(body), &port);
	enum ag_code rc;

	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	tdreport(report, 1);
	ag_err_clear(err);
	rc = ag_imds_td_quote(base, &o, report, sizeof(report), quote, len, err);
	si_stop(pid);
	return rc;
}

static void
test_td_quote_canned(void **state)
{
	static const char *const bad[] = { "{}", "[]", "not json", "{\"quote\":5}", "{\"quote\":\"AA+/\"}",
		"{\"quote\":\"A\"}", "{\"Quote\":\"AAAA\"}", "{\"quote\":\"AAAA\",\"quote\":\"AAAA\"}" };
	char *dir = tu_mkdtemp(), *req, *body, *url;
	uint8_t *quote = NULL, raw[300];
	size_t len = 0;
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (td_quote_canned(dir, 200, bad[i], &quote, &len, &err) != AG_EINVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_null(quote);
		assert_int_equal(len, 0);
		assert_non_null(strstr(err.msg, "IMDS TD quote answer is not {\"quote\": base64url}"));
	}
	/* The request: POST, JSON, {"report": base64url(TDREPORT)}, no Metadata header. */
	req = tu_read(dir, "requests", NULL);
	assert_int_equal(strncmp(req, "POST /acc/tdquote HTTP/1.1\r\n", 28), 0);
	assert_non_null(strcasestr(req, "\r\nContent-Type: application/json\r\n"));
	assert_null(strcasestr(req, "\r\nMetadata:"));
	body = strstr(req, "\r\n\r\n") + 4;
	assert_int_equal(strncmp(body, "{\"report\":\"gQAA", 15), 0);
	free(req);
	/* Padded or not, the quote comes back as sent. */
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 31);
	url = ag_b64url_encode_padded(raw, 299);
	body = malloc(strlen(url) + 16);
	sprintf(body, "{\"quote\":\"%s\"}", url);
	assert_int_equal(td_quote_canned(dir, 200, body, &quote, &len, &err), AG_OK);
	assert_int_equal(len, 299);
	assert_memory_equal(quote, raw, 299);
	free(quote);
	free(body);
	free(url);
	/* IMDS errors are evidence missing. */
	assert_int_equal(td_quote_canned(dir, 404, "{}", &quote, &len, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "answered HTTP 404"));
	assert_null(quote);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thim_parse_real),
		cmocka_unit_test(test_thim_parse_fields),
		cmocka_unit_test(test_thim_parse_size_cap),
		cmocka_unit_test(test_thim_vcek),
		cmocka_unit_test(test_thim_canned),
		cmocka_unit_test(test_thim_unreachable),
		cmocka_unit_test(test_td_quote),
		cmocka_unit_test(test_td_quote_canned),
		cmocka_unit_test(test_long_base_url),
	};

	return cmocka_run_group_tests_name("imds", tests, group_setup, group_teardown);
}
