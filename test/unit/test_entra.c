/*
 * test_entra.c - lib/release/entra.c: the resource of a vault URL
 * (vault.azure.net, managedhsm.azure.net, a port, garbage); workload
 * identity against the Entra ID stand-in of test/services/akv_service.py
 * (real TLS under a test CA on loopback): a token for the right client,
 * tenant, assertion and scope, the projected token's trailing newline
 * dropped, and the refusals (a wrong assertion, tenant or scope) as
 * AG_ECONFIG carrying Entra ID's error_description; a client or tenant id
 * missing or malformed, and a missing token file, refused before anything
 * is sent; managed identity through a canned plain-HTTP IMDS (the request
 * line and the Metadata header checked; a 400 is AG_ECONFIG, a 500 and a
 * closed port AG_EVERIFIER, an answer without access_token AG_EVERIFIER);
 * ag_entra_opts_from_env and the four AZURE_* variables.
 * The stand-in tests are skipped visibly where python3 with the
 * cryptography module is missing.
 */
#include "standin.h"

#include <jansson.h>

#include "base/clock.h"
#include "release/entra.h"

#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define CLIENT "0a1b2c3d-0000-4000-8000-000000000001"
#define FEDERATED "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwOmFwcCJ9.c2ln"
#define VAULT_HOST "attestgate-test.vault.localhost"
#define RESOURCE "https://vault.localhost"

static struct {
	char *dir, *pki, *ca, *state, *config, *fed, *fed_nl, *fed_wrong;
	char authority[64];
	pid_t akv;
	int ready;
	char why[512];
} g;

/* The stand-in's config: tenant, client, the federated token it accepts, one key. */
static void
write_config(void)
{
	json_t *policy = json_pack("{s:s,s:[{s:s,s:[{s:s,s:s}]}]}", "version", "1.0.0", "anyOf", "authority",
	    "https://maa.test", "allOf", "claim", "x-ms-sevsnpvm-hostdata", "equals", "00");
	json_t *cfg = json_pack("{s:s,s:s,s:s,s:s,s:{s:{s:s,s:o}}}", "tenant", TENANT, "client_id", CLIENT,
	    "federated_token", FEDERATED, "vault_host", VAULT_HOST, "keys", "k", "kty", "oct-HSM", "release_policy",
	    policy);

	assert_non_null(cfg);
	assert_int_equal(json_dump_file(cfg, g.config, JSON_COMPACT), 0);
	json_decref(cfg);
}

/* Starts akv_service.py with the config; the pid, or -1 (g.why says why). */
static pid_t
akv_start(void)
{
	char script[4096], *jwks = tu_path(g.dir, "maa-jwks.json"), *portfile = tu_path(g.state, "port"),
	    *log = tu_path(g.dir, "akv.stderr");
	char *argv[] = { (char *)si_python(), script, (char *)"--pki", g.pki, (char *)"--state", g.state,
		(char *)"--config", g.config, (char *)"--maa-jwks", jwks, NULL };
	pid_t pid;

	snprintf(script, sizeof(script), "%s/test/services/akv_service.py", si_repo());
	tu_write(g.dir, "maa-jwks.json", "{\"keys\": []}");
	pid = si_spawn(argv, log);
	if (si_wait_file(portfile, pid, 30000) != 0) {
		char *why = tu_read(g.dir, "akv.stderr", NULL);

		snprintf(g.why, sizeof(g.why), "akv_service.py did not start: %.400s", why != NULL ? why : "");
		free(why);
		si_stop(pid);
		pid = -1;
	}
	free(jwks);
	free(portfile);
	free(log);
	return pid;
}

static int
group_setup(void **state)
{
	(void)state;
	memset(&g, 0, sizeof(g));
	g.dir = tu_mkdtemp();
	g.pki = tu_path(g.dir, "pki");
	g.ca = tu_path(g.pki, "ca.pem");
	g.state = tu_path(g.dir, "akv");
	g.config = tu_path(g.dir, "akv.json");
	g.fed = tu_path(g.dir, "federated-token");
	g.fed_nl = tu_path(g.dir, "federated-token-nl");
	g.fed_wrong = tu_path(g.dir, "federated-token-wrong");
	tu_write(g.dir, "federated-token", FEDERATED);
	tu_write(g.dir, "federated-token-nl", FEDERATED "\n");
	tu_write(g.dir, "federated-token-wrong", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.c2ln");
	write_config();
	if (!si_have_python())
		return 0;
	if (si_testpki_named(g.pki, VAULT_HOST) != 0)
		snprintf(g.why, sizeof(g.why), "testpki.py failed");
	else if ((g.akv = akv_start()) > 0) {
		int port = si_read_port(g.state, "port");

		snprintf(g.authority, sizeof(g.authority), "https://127.0.0.1:%d/", port);
		g.ready = port > 0;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	si_stop(g.akv);
	tu_rmtree(g.dir);
	free(g.dir);
	free(g.pki);
	free(g.ca);
	free(g.state);
	free(g.config);
	free(g.fed);
	free(g.fed_nl);
	free(g.fed_wrong);
	return 0;
}

/* Skips visibly without python3-cryptography; fails when it is here but the stand-in did not come up. */
#define NEED_AKV()                                                                                          \
	do {                                                                                                \
		if (!si_have_python()) {                                                                    \
			print_message("# skipped: python3 with the cryptography module is missing (make deps)\n"); \
			skip();                                                                             \
		}                                                                                           \
		if (!g.ready)                                                                               \
			fail_msg("%s", g.why);                                                              \
	} while (0)

/* The lines of the stand-in's requests.log that contain what. */
static int
logged(const char *what)
{
	char *log = tu_read(g.state, "requests.log", NULL);
	int n = 0;

	for (char *line = log != NULL ? strtok(log, "\n") : NULL; line != NULL; line = strtok(NULL, "\n"))
		n += strstr(line, what) != NULL;
	free(log);
	return n;
}

/* Workload identity options against the stand-in. */
static void
wi_opts(struct ag_entra_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->client_id = CLIENT;
	o->tenant_id = TENANT;
	o->federated_token_file = g.fed;
	o->authority = g.authority;
	o->http.ca_file = g.ca;
	o->http.deadline_ms = ag_clock_mono_ms() + 10000;
}

/* --- the resource of a vault --------------------------------------------- */

static void
test_resource(void **state)
{
	static const char *const good[][2] = {
		{ "https://myvault.vault.azure.net", "https://vault.azure.net" },
		{ "https://myhsm.managedhsm.azure.net", "https://managedhsm.azure.net" },
		{ "https://kv.vault.azure.cn", "https://vault.azure.cn" },
		{ "https://attestgate-test.vault.localhost:8443", "https://vault.localhost" },
		{ "https://v.vault.azure.net:443", "https://vault.azure.net" },
	};
	static const char *const bad[] = {
		"", "myvault.vault.azure.net", "http://myvault.vault.azure.net", "https://localhost", "https://localhost:8443",
		"https://myvault.", "ftp://a.b", "https:/a.b", "HTTPS//a.b",
		/* A path (the policy strips a trailing '/' before), an IP literal, empty labels, a port that is no number. */
		"https://myvault.vault.azure.net/", "https://v.vault.azure.net:443/keys/x", "https://127.0.0.1:8443",
		"https://.vault.azure.net", "https://x.:443", "https://x..azure.net", "https://v.vault.azure.net:x",
		"https://v_1.vault.azure.net",
	};
	char out[256];
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ag_err_clear(&err);
		memset(out, 'X', sizeof(out));
		if (ag_entra_resource(good[i][0], out, sizeof(out), &err) != AG_OK)
			fail_msg("%s: %s", good[i][0], err.msg);
		assert_string_equal(out, good[i][1]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ag_err_clear(&err);
		if (ag_entra_resource(bad[i], out, sizeof(out), &err) != AG_ECONFIG)
			fail_msg("%s was taken as a vault URL (%s)", bad[i], out);
		assert_int_equal(err.code, AG_ECONFIG);
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

static void
test_resource_too_long(void **state)
{
	char out[16], fits[24];
	struct ag_err err;

	(void)state;
	ag_err_clear(&err);
	assert_int_equal(ag_entra_resource("https://v.vault.azure.net", out, sizeof(out), &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "too long"));
	/* Just fits: "https://vault.azure.net" is 23 characters. */
	assert_int_equal(ag_entra_resource("https://v.vault.azure.net", fits, sizeof(fits), &err), AG_OK);
	assert_string_equal(fits, "https://vault.azure.net");
}

/* --- workload identity ---------------------------------------------------- */

static void
test_wi_success(void **state)
{
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = (char *)"not reset", want[128];
	int before;

	(void)state;
	NEED_AKV();
	snprintf(want, sizeof(want), "POST /%s/oauth2/v2.0/token 200", TENANT);
	before = logged(want);
	wi_opts(&o);
	ag_err_clear(&err);
	if (ag_entra_token(&o, RESOURCE, &token, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_non_null(token);
	assert_true(strlen(token) > 16);
	assert_int_equal(logged(want), before + 1);
	free(token);
}

/* The authority without its trailing '/', and the projected token with a trailing newline, as kubelet may write it. */
static void
test_wi_authority_and_newline(void **state)
{
	struct ag_entra_opts o;
	struct ag_err err;
	char authority[64], *token = NULL;

	(void)state;
	NEED_AKV();
	snprintf(authority, sizeof(authority), "%.*s", (int)strlen(g.authority) - 1, g.authority);
	wi_opts(&o);
	o.authority = authority;
	o.federated_token_file = g.fed_nl;
	ag_err_clear(&err);
	if (ag_entra_token(&o, RESOURCE, &token, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_non_null(token);
	free(token);
}

static void
test_wi_wrong_assertion(void **state)
{
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = (char *)"not reset";

	(void)state;
	NEED_AKV();
	wi_opts(&o);
	o.federated_token_file = g.fed_wrong;
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, RESOURCE, &token, &err), AG_ECONFIG);
	assert_null(token);
	assert_non_null(strstr(err.msg, "HTTP 401"));
	assert_non_null(strstr(err.msg, "AADSTS700213"));
	assert_non_null(strstr(err.msg, "No matching federated identity record found"));
}

static void
test_wi_wrong_tenant_client_scope(void **state)
{
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = NULL;

	(void)state;
	NEED_AKV();
	wi_opts(&o);
	o.tenant_id = "00000000-0000-4000-8000-000000000000";
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, RESOURCE, &token, &err), AG_ECONFIG);
	assert_null(token);
	assert_non_null(strstr(err.msg, "Tenant '00000000-0000-4000-8000-000000000000' not found"));

	wi_opts(&o);
	o.client_id = "0a1b2c3d-0000-4000-8000-000000000002";
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, RESOURCE, &token, &err), AG_ECONFIG);
	assert_null(token);
	assert_non_null(strstr(err.msg, "AADSTS700016"));

	wi_opts(&o);
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, "https://vault.azure.net", &token, &err), AG_ECONFIG);
	assert_null(token);
	assert_non_null(strstr(err.msg, "AADSTS70011"));
	assert_non_null(strstr(err.msg, "https://vault.azure.net/.default"));
}

/* Identity ids missing or malformed: refused before anything is sent, naming the variable. */
static void
test_wi_bad_ids(void **state)
{
	static const struct {
		const char *client, *tenant, *names;
	} cases[] = {
		{ NULL, TENANT, "AZURE_CLIENT_ID" },
		{ "", TENANT, "AZURE_CLIENT_ID" },
		{ "a b", TENANT, "AZURE_CLIENT_ID" },
		{ "x&scope=evil", TENANT, "AZURE_CLIENT_ID" },
		{ CLIENT, NULL, "AZURE_TENANT_ID" },
		{ CLIENT, "", "AZURE_TENANT_ID" },
		{ CLIENT, "../common", "AZURE_TENANT_ID" },
		{ CLIENT, "t/oauth2", "AZURE_TENANT_ID" },
		{ CLIENT, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaa", "AZURE_TENANT_ID" },
	};
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = (char *)"not reset";
	int before = g.ready ? logged("oauth2") : 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.client_id = cases[i].client;
		o.tenant_id = cases[i].tenant;
		o.federated_token_file = g.fed;
		o.authority = g.ready ? g.authority : "https://127.0.0.1:1/";
		o.http.ca_file = g.ca;
		o.http.deadline_ms = ag_clock_mono_ms() + 5000;
		ag_err_clear(&err);
		if (ag_entra_token(&o, RESOURCE, &token, &err) != AG_ECONFIG)
			fail_msg("case %zu: not refused as a configuration error: %s", i, err.msg);
		assert_null(token);
		if (strstr(err.msg, cases[i].names) == NULL || strstr(err.msg, "missing or malformed") == NULL)
			fail_msg("case %zu: %s does not name %s", i, err.msg, cases[i].names);
		token = (char *)"not reset";
	}
	if (g.ready)
		assert_int_equal(logged("oauth2"), before);
}

static void
test_wi_missing_token_file(void **state)
{
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = (char *)"not reset", *missing = tu_path(g.dir, "no-such-token");

	(void)state;
	memset(&o, 0, sizeof(o));
	o.client_id = CLIENT;
	o.tenant_id = TENANT;
	o.federated_token_file = missing;
	o.authority = "https://127.0.0.1:1/";
	o.http.deadline_ms = ag_clock_mono_ms() + 5000;
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, RESOURCE, &token, &err), AG_ECONFIG);
	assert_null(token);
	assert_non_null(strstr(err.msg, "no-such-token"));
	free(missing);
}

/* Workload identity whose token endpoint cannot be reached: AG_EVERIFIER, never a fallback to IMDS. */
static void
test_wi_unreachable(void **state)
{
	struct ag_entra_opts o;
	struct ag_err err;
	char authority[64], *token = (char *)"not reset";

	(void)state;
	snprintf(authority, sizeof(authority), "https://127.0.0.1:%d/", si_closed_port());
	memset(&o, 0, sizeof(o));
	o.client_id = CLIENT;
	o.tenant_id = TENANT;
	o.federated_token_file = g.fed;
	o.authority = authority;
	o.imds_url = "http://127.0.0.1:1";
	o.http.ca_file = g.ca;
	o.http.deadline_ms = ag_clock_mono_ms() + 3000;
	o.http.max_attempts = 2;
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, RESOURCE, &token, &err), AG_EVERIFIER);
	assert_null(token);
	assert_null(strstr(err.msg, "managed identity"));
}

/* --- managed identity through a canned IMDS -------------------------------- */

struct imds {
	pid_t pid;
	int port;
	char url[64], *log;
};

static void
imds_start(struct imds *m, int status, const char *body)
{
	size_t len = 0;
	char *answer = si_http_answer(status, body, strlen(body), &len);
	const char *answers[] = { answer };
	char name[64];
	static int n;

	snprintf(name, sizeof(name), "imds%d.log", n++);
	m->log = tu_path(g.dir, name);
	m->pid = si_canned_start(answers, &len, 1, m->log, &m->port);
	snprintf(m->url, sizeof(m->url), "http://127.0.0.1:%d", m->port);
	free(answer);
}

static void
imds_stop(struct imds *m)
{
	si_stop(m->pid);
	free(m->log);
}

static char *
imds_log(const struct imds *m)
{
	char *slash = strrchr(m->log, '/');

	return tu_read(g.dir, slash + 1, NULL);
}

static void
mi_opts(struct ag_entra_opts *o, const struct imds *m)
{
	memset(o, 0, sizeof(*o));
	o->imds_url = m->url;
	o->http.deadline_ms = ag_clock_mono_ms() + 5000;
	o->http.max_attempts = 2;
}

static void
test_mi_success(void **state)
{
	struct imds m;
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = NULL, *log;

	(void)state;
	imds_start(&m, 200, "{\"access_token\":\"x\",\"token_type\":\"Bearer\",\"expires_in\":\"3599\"}");
	mi_opts(&o, &m);
	ag_err_clear(&err);
	if (ag_entra_token(&o, "https://vault.azure.net", &token, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(token, "x");
	free(token);
	log = imds_log(&m);
	assert_non_null(log);
	assert_non_null(strstr(log, "GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource="
	    "https%3A%2F%2Fvault.azure.net HTTP/1.1\r\n"));
	assert_non_null(strcasestr(log, "\r\nMetadata: true\r\n"));
	assert_null(strstr(log, "client_id"));
	free(log);
	imds_stop(&m);
}

/* AZURE_CLIENT_ID without a token file names a user-assigned managed identity. */
static void
test_mi_user_assigned(void **state)
{
	struct imds m;
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = NULL, *log;

	(void)state;
	imds_start(&m, 200, "{\"access_token\":\"user-assigned\"}");
	mi_opts(&o, &m);
	o.client_id = CLIENT;
	o.tenant_id = TENANT;
	ag_err_clear(&err);
	if (ag_entra_token(&o, "https://managedhsm.azure.net", &token, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(token, "user-assigned");
	free(token);
	log = imds_log(&m);
	assert_non_null(log);
	assert_non_null(strstr(log, "GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource="
	    "https%3A%2F%2Fmanagedhsm.azure.net&client_id=" CLIENT " HTTP/1.1\r\n"));
	free(log);
	imds_stop(&m);

	/* A malformed one: refused before IMDS is asked. */
	imds_start(&m, 200, "{\"access_token\":\"x\"}");
	mi_opts(&o, &m);
	o.client_id = "a&resource=https://evil";
	token = (char *)"not reset";
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, "https://vault.azure.net", &token, &err), AG_ECONFIG);
	assert_null(token);
	assert_non_null(strstr(err.msg, "AZURE_CLIENT_ID"));
	log = imds_log(&m);
	assert_null(log);
	imds_stop(&m);
}

static void
test_mi_refused(void **state)
{
	struct imds m;
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = (char *)"not reset";

	(void)state;
	imds_start(&m, 400, "{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}");
	mi_opts(&o, &m);
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, "https://vault.azure.net", &token, &err), AG_ECONFIG);
	assert_null(token);
	assert_non_null(strstr(err.msg, "HTTP 400"));
	assert_non_null(strstr(err.msg, "Identity not found"));
	assert_non_null(strstr(err.msg, "managed identity"));
	imds_stop(&m);

	/* Only "error": that is the reason given. */
	imds_start(&m, 400, "{\"error\":\"invalid_resource\"}");
	mi_opts(&o, &m);
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, "https://vault.azure.net", &token, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "invalid_resource"));
	imds_stop(&m);

	/* Not JSON at all. */
	imds_start(&m, 404, "<html>nope</html>");
	mi_opts(&o, &m);
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, "https://vault.azure.net", &token, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no reason given"));
	imds_stop(&m);
}

static void
test_mi_server_error(void **state)
{
	struct imds m;
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = (char *)"not reset";

	(void)state;
	imds_start(&m, 500, "{\"error\":\"unavailable\"}");
	mi_opts(&o, &m);
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, "https://vault.azure.net", &token, &err), AG_EVERIFIER);
	assert_null(token);
	imds_stop(&m);
}

static void
test_mi_no_access_token(void **state)
{
	static const char *const bodies[] = { "{\"token_type\":\"Bearer\"}", "{\"access_token\":\"\"}",
		"{\"access_token\":42}", "[]", "not json" };
	struct imds m;
	struct ag_entra_opts o;
	struct ag_err err;
	char *token = (char *)"not reset";

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		imds_start(&m, 200, bodies[i]);
		mi_opts(&o, &m);
		ag_err_clear(&err);
		if (ag_entra_token(&o, "https://vault.azure.net", &token, &err) != AG_EVERIFIER)
			fail_msg("%s: %s", bodies[i], err.msg);
		assert_null(token);
		assert_non_null(strstr(err.msg, "without an access_token"));
		imds_stop(&m);
	}
}

static void
test_mi_closed_port(void **state)
{
	struct ag_entra_opts o;
	struct ag_err err;
	char url[64], *token = (char *)"not reset";

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", si_closed_port());
	memset(&o, 0, sizeof(o));
	o.imds_url = url;
	o.http.deadline_ms = ag_clock_mono_ms() + 3000;
	o.http.max_attempts = 2;
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, "https://vault.azure.net", &token, &err), AG_EVERIFIER);
	assert_null(token);
	assert_non_null(strstr(err.msg, "managed identity"));
}

/* Managed identity from the stand-in's own IMDS endpoint (over TLS here). */
static void
test_mi_standin(void **state)
{
	struct ag_entra_opts o;
	struct ag_err err;
	char url[64], *token = NULL;

	(void)state;
	NEED_AKV();
	snprintf(url, sizeof(url), "%.*s", (int)strlen(g.authority) - 1, g.authority);
	memset(&o, 0, sizeof(o));
	o.imds_url = url;
	o.http.ca_file = g.ca;
	o.http.deadline_ms = ag_clock_mono_ms() + 10000;
	ag_err_clear(&err);
	if (ag_entra_token(&o, RESOURCE, &token, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_non_null(token);
	free(token);
	assert_true(logged("GET /metadata/identity/oauth2/token?") >= 1);
	/* Another resource: IMDS's invalid_resource, a configuration error. */
	ag_err_clear(&err);
	assert_int_equal(ag_entra_token(&o, "https://vault.azure.net", &token, &err), AG_ECONFIG);
	assert_null(token);
	assert_non_null(strstr(err.msg, "AADSTS500011"));
}

/* --- the environment -------------------------------------------------------- */

static void
test_opts_from_env(void **state)
{
	struct ag_entra_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.imds_url = "http://169.254.169.254";
	o.http.max_attempts = 3;
	setenv("AZURE_CLIENT_ID", CLIENT, 1);
	setenv("AZURE_TENANT_ID", TENANT, 1);
	setenv("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/azure/tokens/azure-identity-token", 1);
	setenv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us/", 1);
	ag_entra_opts_from_env(&o);
	assert_string_equal(o.client_id, CLIENT);
	assert_string_equal(o.tenant_id, TENANT);
	assert_string_equal(o.federated_token_file, "/var/run/secrets/azure/tokens/azure-identity-token");
	assert_string_equal(o.authority, "https://login.microsoftonline.us/");
	assert_string_equal(o.imds_url, "http://169.254.169.254");
	assert_int_equal(o.http.max_attempts, 3);

	/* Unset and empty are both absent. */
	unsetenv("AZURE_CLIENT_ID");
	setenv("AZURE_TENANT_ID", "", 1);
	unsetenv("AZURE_FEDERATED_TOKEN_FILE");
	setenv("AZURE_AUTHORITY_HOST", "", 1);
	ag_entra_opts_from_env(&o);
	assert_null(o.client_id);
	assert_null(o.tenant_id);
	assert_null(o.federated_token_file);
	assert_null(o.authority);
	assert_string_equal(o.imds_url, "http://169.254.169.254");
	unsetenv("AZURE_TENANT_ID");
	unsetenv("AZURE_AUTHORITY_HOST");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resource),
		cmocka_unit_test(test_resource_too_long),
		cmocka_unit_test(test_wi_success),
		cmocka_unit_test(test_wi_authority_and_newline),
		cmocka_unit_test(test_wi_wrong_assertion),
		cmocka_unit_test(test_wi_wrong_tenant_client_scope),
		cmocka_unit_test(test_wi_bad_ids),
		cmocka_unit_test(test_wi_missing_token_file),
		cmocka_unit_test(test_wi_unreachable),
		cmocka_unit_test(test_mi_success),
		cmocka_unit_test(test_mi_user_assigned),
		cmocka_unit_test(test_mi_refused),
		cmocka_unit_test(test_mi_server_error),
		cmocka_unit_test(test_mi_no_access_token),
		cmocka_unit_test(test_mi_closed_port),
		cmocka_unit_test(test_mi_standin),
		cmocka_unit_test(test_opts_from_env),
	};

	return cmocka_run_group_tests_name("entra", tests, group_setup, group_teardown);
}
