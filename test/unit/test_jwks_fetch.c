/*
 * test_jwks_fetch.c - lib/verifier/jwks_fetch.c against the MAA stand-in of
 * test/services/maa_service.py on 127.0.0.1 (real TLS under a test CA),
 * one instance per script of faults: the keys served (its own, a set made
 * here, the real sharedwus set of ../shared/vectors when present) come back
 * as the same public keys; retries after 503; and the failures: redirects
 * not followed, not found, oversized, malformed, a silent server past the
 * deadline, a TLS peer under another CA, plain http, an overlong URL.
 * Skipped visibly where python3 with the cryptography module is missing.
 */
#include "standin.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "base/base64.h"
#include "base/clock.h"
#include "verifier/jwks_fetch.h"

static struct {
	char *dir, *pki, *keys, *ca, *other_ca;
	int n;
} svc;

static int
group_setup(void **state)
{
	(void)state;
	svc.dir = tu_mkdtemp();
	svc.pki = tu_path(svc.dir, "pki");
	svc.keys = tu_path(svc.dir, "keys");
	svc.ca = tu_path(svc.pki, "ca.pem");
	svc.other_ca = tu_path(svc.pki, "other-ca.pem");
	if (si_have_python() && si_testpki(svc.pki) != 0)
		print_message("# testpki.py failed\n");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	tu_rmtree(svc.dir);
	free(svc.dir);
	free(svc.pki);
	free(svc.keys);
	free(svc.ca);
	free(svc.other_ca);
	return 0;
}

struct maa {
	pid_t pid;
	int port;
	char url[64], *state;
};

/* Starts a stand-in with --script script (may be NULL) and --jwks jwks (may be NULL); skips the test when it cannot run. */
static void
maa_start(struct maa *m, const char *script, const char *jwks)
{
	const char *extra[8] = { "--keys", svc.keys, "--delay-ms", "100" };
	char name[32];
	int n = 4, thim = -1;

	memset(m, 0, sizeof(*m));
	if (!si_have_python() || access(svc.ca, R_OK) != 0) {
		print_message("# skipped: the MAA stand-in (test/services/maa_service.py) cannot run here\n");
		skip();
	}
	if (script != NULL) {
		extra[n++] = "--script";
		extra[n++] = script;
	}
	if (jwks != NULL) {
		extra[n++] = "--jwks";
		extra[n++] = jwks;
	}
	snprintf(name, sizeof(name), "state%d", svc.n++);
	m->state = tu_path(svc.dir, name);
	m->pid = si_maa_start(svc.pki, m->state, extra, &m->port, &thim);
	assert_true(m->pid > 0);
	snprintf(m->url, sizeof(m->url), "https://127.0.0.1:%d", m->port);
}

static void
maa_stop(struct maa *m)
{
	si_stop(m->pid);
	free(m->state);
}

/* The lines of the stand-in's requests.log that contain what. */
static int
logged(const struct maa *m, const char *what)
{
	char *log = tu_read(m->state, "requests.log", NULL);
	int n = 0;

	for (char *line = log != NULL ? strtok(log, "\n") : NULL; line != NULL; line = strtok(NULL, "\n"))
		n += strstr(line, what) != NULL;
	free(log);
	return n;
}

/* logged(), once it says want (the stand-in logs a request after answering it), or after two seconds. */
static int
logged_n(const struct maa *m, const char *what, int want)
{
	int n = logged(m, what);

	for (int i = 0; i < 200 && n != want; i++) {
		usleep(10000);
		n = logged(m, what);
	}
	return n;
}

static struct ag_http_opts
opts(const char *ca, int64_t ms)
{
	return (struct ag_http_opts){ .ca_file = ca, .deadline_ms = ag_clock_mono_ms() + ms, .attempt_timeout_ms = ms };
}

static enum ag_code
fetch(const char *url, const struct ag_http_opts *o, struct ag_jwks **set, struct ag_err *err)
{
	ag_err_clear(err);
	*set = (struct ag_jwks *)err;   /* must be reset */
	return ag_jwks_fetch(url, o, set, err);
}

static void
test_service_keys(void **state)
{
	struct maa m;
	struct ag_jwks *set;
	struct ag_err err;
	struct ag_http_opts o = opts(svc.ca, 10000);

	(void)state;
	maa_start(&m, NULL, NULL);
	assert_int_equal(fetch(m.url, &o, &set, &err), AG_OK);
	assert_int_equal(set->n, 1);
	assert_non_null(set->keys[0].kid);
	assert_int_equal(EVP_PKEY_get_bits(set->keys[0].key), 2048);
	assert_int_equal(strlen(set->keys[0].cert_sha256), 64);
	ag_jwks_free(set);
	/* <instance>/certs and nowhere else. */
	assert_int_equal(logged_n(&m, " GET /certs 200", 1), 1);
	assert_int_equal(logged(&m, " GET "), 1);
	maa_stop(&m);
}

/* A set made here (RSA n/e, no x5c): the key fetched is the key made. */
static void
test_own_set(void **state)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[256], eb[8];
	char *nu, *eu, *text, *file = tu_path(svc.dir, "own.json");
	json_t *j;
	struct maa m;
	struct ag_jwks *set;
	struct ag_err err;
	struct ag_http_opts o = opts(svc.ca, 10000);
	FILE *f;

	(void)state;
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	assert_int_equal(BN_bn2bin(n, nb), 256);
	nu = ag_b64url_encode(nb, 256);
	eu = ag_b64url_encode(eb, (size_t)BN_bn2bin(e, eb));
	j = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s}]}", "keys", "kty", "RSA", "kid", "test-key-1", "use", "sig", "n", nu, "e",
	    eu);
	text = json_dumps(j, 0);
	f = fopen(file, "w");
	fputs(text, f);
	fclose(f);
	maa_start(&m, NULL, file);
	assert_int_equal(fetch(m.url, &o, &set, &err), AG_OK);
	assert_int_equal(set->n, 1);
	assert_string_equal(set->keys[0].kid, "test-key-1");
	assert_int_equal(EVP_PKEY_eq(set->keys[0].key, k), 1);
	assert_non_null(ag_jwks_find(set, "test-key-1"));
	ag_jwks_free(set);
	maa_stop(&m);
	json_decref(j);
	free(text);
	free(nu);
	free(eu);
	free(file);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(k);
}

/* The /certs body of a real MAA instance: three keys, x5c only. */
static void
test_real_set(void **state)
{
	char path[4096];
	size_t len = 0;
	uint8_t *body = si_vec("maa/sharedwus-certs-jwks-2022-05-31.json", &len);
	json_t *j, *key;
	struct maa m;
	struct ag_jwks *set;
	struct ag_err err;
	struct ag_http_opts o = opts(svc.ca, 10000);
	size_t i;

	(void)state;
	if (body == NULL)
		skip();
	j = json_loadb((const char *)body, len, 0, NULL);
	assert_non_null(j);
	snprintf(path, sizeof(path), "%s/vectors/maa/sharedwus-certs-jwks-2022-05-31.json", si_shared());
	maa_start(&m, NULL, path);
	assert_int_equal(fetch(m.url, &o, &set, &err), AG_OK);
	assert_int_equal(set->n, json_array_size(json_object_get(j, "keys")));
	json_array_foreach(json_object_get(j, "keys"), i, key) {
		const char *x5c = json_string_value(json_array_get(json_object_get(key, "x5c"), 0));
		const struct ag_jwk *k = ag_jwks_find(set, json_string_value(json_object_get(key, "kid")));
		uint8_t *der = NULL;
		size_t dl = 0;
		char hex[AG_SHA256_HEX_LEN + 1];

		assert_non_null(k);
		assert_int_equal(ag_b64_decode(x5c, strlen(x5c), &der, &dl), 0);
		ag_sha256_hex(der, dl, hex);
		assert_string_equal(k->cert_sha256, hex);
		free(der);
	}
	ag_jwks_free(set);
	maa_stop(&m);
	json_decref(j);
	free(body);
}

static void
test_retries(void **state)
{
	struct maa m;
	struct ag_jwks *set;
	struct ag_err err;
	struct ag_http_opts o = opts(svc.ca, 15000);

	(void)state;
	/* 503 twice (once with Retry-After: 1), then the keys. */
	maa_start(&m, "503,503+ra1", NULL);
	assert_int_equal(fetch(m.url, &o, &set, &err), AG_OK);
	assert_int_equal(set->n, 1);
	ag_jwks_free(set);
	assert_int_equal(logged_n(&m, " GET /certs 200", 1), 1);
	assert_int_equal(logged(&m, " GET /certs 503"), 2);
	maa_stop(&m);
	/* Closed every time: the attempts run out, transient, the verifier's fault. */
	maa_start(&m, "down", NULL);
	o = opts(svc.ca, 10000);
	o.max_attempts = 2;
	assert_int_equal(fetch(m.url, &o, &set, &err), AG_EVERIFIER);
	assert_null(set);
	assert_true(err.transient);
	assert_non_null(strstr(err.msg, "gave up after 2 attempts"));
	maa_stop(&m);
}

static void
expect_fail(const char *script, const char *path, int64_t ms, enum ag_code code, const char *why)
{
	char url[128];
	struct maa m;
	struct ag_jwks *set;
	struct ag_err err;
	struct ag_http_opts o = opts(svc.ca, ms);
	int64_t t0 = ag_clock_mono_ms();

	maa_start(&m, script, NULL);
	snprintf(url, sizeof(url), "%s%s", m.url, path);
	assert_int_equal(fetch(url, &o, &set, &err), code);
	assert_null(set);
	if (strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, why);
	assert_true(ag_clock_mono_ms() - t0 < ms + 2000);
	maa_stop(&m);
}

static void
test_bad_answers(void **state)
{
	(void)state;
	/* A redirect is not followed (a token's jku never is either). */
	expect_fail("302", "", 10000, AG_EVERIFIER, "answered HTTP 302, not the signing keys");
	expect_fail(NULL, "/other", 10000, AG_EVERIFIER, "/other/certs answered HTTP 404");
	/* Not JSON: invalid, with the URL. */
	expect_fail("badjson", "", 10000, AG_EINVALID, "/certs: JWKS is not valid JSON");
	/* 2 MiB of answer: refused at 1 MiB. */
	expect_fail("big", "", 10000, AG_EVERIFIER, "response larger than 1048576 bytes");
	/* Cut short or closed: retried until the deadline, then given up. */
	expect_fail("reset,reset,reset,reset,reset,reset,reset,reset,reset,reset,reset,reset", "", 2000, AG_EVERIFIER, "/certs");
	/* Silent: the deadline ends it. */
	expect_fail("hang", "", 1500, AG_EVERIFIER, "/certs");
}

static void
test_bad_settings(void **state)
{
	char url[1100];
	struct maa m;
	struct ag_jwks *set;
	struct ag_err err;
	struct ag_http_opts o = opts(svc.ca, 10000);

	(void)state;
	maa_start(&m, NULL, NULL);
	/* A server under another CA: refused at once, not retried. */
	o = opts(svc.other_ca, 10000);
	assert_int_equal(fetch(m.url, &o, &set, &err), AG_EVERIFIER);
	assert_null(set);
	assert_false(err.transient);
	assert_int_equal(logged(&m, "GET"), 0);
	/* The caller's smaller cap holds. */
	o = opts(svc.ca, 10000);
	o.max_response = 100;
	assert_int_equal(fetch(m.url, &o, &set, &err), AG_EVERIFIER);
	assert_non_null(strstr(err.msg, "response larger than 100 bytes"));
	/* Plain http, and no URL that fits. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", m.port);
	o = opts(svc.ca, 10000);
	assert_int_equal(fetch(url, &o, &set, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "only https:// URLs are allowed"));
	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "https://", 8);
	url[sizeof(url) - 1] = '\0';
	assert_int_equal(fetch(url, &o, &set, &err), AG_ECONFIG);
	assert_null(set);
	assert_non_null(strstr(err.msg, "is too long"));
	maa_stop(&m);
	/* Nobody there. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", si_closed_port());
	o = opts(svc.ca, 1500);
	assert_int_equal(fetch(url, &o, &set, &err), AG_EVERIFIER);
	assert_true(err.transient);
}

/* A set served that parses but is not a good set: invalid, never partly used. */
static void
test_bad_sets(void **state)
{
	static const char *const sets[][2] = {
		{ "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", "too small" },
		{ "{\"keys\":{}}", "no \"keys\" list" },
		{ "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", "has no kid" },
	};
	char *file = tu_path(svc.dir, "bad.json");
	struct maa m;
	struct ag_jwks *set;
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct ag_http_opts o = opts(svc.ca, 10000);
		FILE *f = fopen(file, "w");

		fputs(sets[i][0], f);
		fclose(f);
		maa_start(&m, NULL, file);
		assert_int_equal(fetch(m.url, &o, &set, &err), AG_EINVALID);
		assert_null(set);
		if (strstr(err.msg, sets[i][1]) == NULL || strstr(err.msg, "/certs: ") == NULL)
			fail_msg("message \"%s\" lacks \"%s\" or the URL", err.msg, sets[i][1]);
		maa_stop(&m);
	}
	free(file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_keys),
		cmocka_unit_test(test_own_set),
		cmocka_unit_test(test_real_set),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_bad_answers),
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_bad_sets),
	};

	return cmocka_run_group_tests_name("jwks_fetch", tests, group_setup, group_teardown);
}
