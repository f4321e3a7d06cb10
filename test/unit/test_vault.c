/*
 * test_vault.c - lib/release/vault.c (ag_vault_release_all) against the
 * Key Vault + Entra ID stand-in of test/services/akv_service.py, real TLS
 * on loopback under a test CA whose server certificate also names
 * attestgate-test.vault.localhost (libcurl resolves *.localhost to
 * loopback).  The MAA token is made here: an RS256 JWT of a key this test
 * generates (its JWKS is the stand-in's --maa-jwks) whose x-ms-runtime.keys
 * holds the transfer key of ag_transfer_key_generate.  Checked: an oct-HSM
 * key released raw (the stand-in's bytes), an RSA-HSM key as PEM and an
 * EC-HSM key as a JWK (the same private keys), a pinned version, several
 * keys with one access token, managed identity through the stand-in's
 * IMDS endpoint; a release policy pinning another HOST_DATA (AG_EKEYDENIED
 * with the vault's message, nothing returned, the later keys not
 * attempted), an unknown key or version (AG_ECONFIG), a refused identity
 * (AG_ECONFIG), an unreachable vault (AG_EVERIFIER), a vault URL without a
 * domain and a format that does not fit (AG_ECONFIG); each --fault of the
 * stand-in (AG_EINVALID for answers that do not verify or open,
 * AG_EVERIFIER for status-500 within the deadline, AG_EKEYDENIED for
 * status-403); a token that does not name this run's transfer key refused
 * before any request.  Skipped visibly where python3 with the cryptography
 * module is missing.
 */
#include "standin.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/base64.h"
#include "base/clock.h"
#include "base/log.h"
#include "release/transfer_key.h"
#include "release/vault.h"

#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define CLIENT "0a1b2c3d-0000-4000-8000-000000000001"
#define FEDERATED "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwOmFwcCJ9.c2ln"
#define VAULT_HOST "attestgate-test.vault.localhost"
#define MAA "https://maa.test"
#define HOSTDATA "5d3c2a1b0f9e8d7c6b5a49382716051a2b3c4d5e6f708192a3b4c5d6e7f80910"
#define OTHER_HOSTDATA "0000000000000000000000000000000000000000000000000000000000000000"
#define NOT_CONFORMING "does not conform to the release policy of the key"

/* One stand-in instance. */
struct akv {
	pid_t pid;
	int port;
	char *state, vault[128], authority[64], imds[64];
};

static struct {
	char *dir, *pki, *ca, *config, *jwks, *fed, *fed_wrong;
	EVP_PKEY *maa_key;
	struct ag_transfer_key tk;
	json_t *tk_jwk, *claims;
	char *token;
	struct akv main;
	FILE *log;
	char *dir_log;
	int ready, n;
	char why[512];
} g;

/* --- the MAA token --------------------------------------------------------- */

/* An RSA parameter of key as base64url (new string). */
static char *
bn_b64(EVP_PKEY *key, const char *param)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int n;
	char *s;

	assert_int_equal(EVP_PKEY_get_bn_param(key, param, &bn), 1);
	n = BN_bn2bin(bn, buf);
	assert_true(n > 0 && (size_t)n <= sizeof(buf));
	s = ag_b64url_encode(buf, (size_t)n);
	assert_non_null(s);
	BN_free(bn);
	return s;
}

/* {"keys": [{kty, kid "k1", n, e}]} of the MAA signing key, for --maa-jwks. */
static void
write_jwks(void)
{
	char *n = bn_b64(g.maa_key, OSSL_PKEY_PARAM_RSA_N), *e = bn_b64(g.maa_key, OSSL_PKEY_PARAM_RSA_E);
	json_t *doc = json_pack("{s:[{s:s,s:s,s:s,s:s,s:s}]}", "keys", "kty", "RSA", "kid", "k1", "use", "sig", "n", n, "e", e);

	assert_non_null(doc);
	assert_int_equal(json_dump_file(doc, g.jwks, JSON_COMPACT), 0);
	json_decref(doc);
	free(n);
	free(e);
}

/* base64url of JSON compact text (new string). */
static char *
b64_json(const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT), *s;

	assert_non_null(text);
	s = ag_b64url_encode((const uint8_t *)text, strlen(text));
	assert_non_null(s);
	free(text);
	return s;
}

/* The claims of an MAA token of this run, naming runtime_keys in x-ms-runtime. */
static json_t *
make_claims(json_t *runtime_keys)
{
	time_t now = time(NULL);
	json_t *c = json_pack("{s:s,s:I,s:I,s:I,s:s,s:s,s:s,s:{s:o}}", "iss", MAA, "iat", (json_int_t)now - 10, "nbf",
	    (json_int_t)now - 10, "exp", (json_int_t)now + 600, "x-ms-compliance-status", "azure-signed-katacc-uvm",
	    "x-ms-sevsnpvm-hostdata", HOSTDATA, "x-ms-attestation-type", "sevsnpvm", "x-ms-runtime", "keys", runtime_keys);

	assert_non_null(c);
	return c;
}

/* The compact RS256 JWT of claims signed with the MAA key (new string). */
static char *
sign_token(const json_t *claims)
{
	json_t *header = json_pack("{s:s,s:s,s:s}", "alg", "RS256", "kid", "k1", "typ", "JWT");
	char *h = b64_json(header), *c = b64_json(claims), *input, *sig64, *jwt;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[512];
	size_t sig_len = sizeof(sig);

	assert_true(asprintf(&input, "%s.%s", h, c) > 0);
	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, g.maa_key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &sig_len, (const uint8_t *)input, strlen(input)), 1);
	sig64 = ag_b64url_encode(sig, sig_len);
	assert_non_null(sig64);
	assert_true(asprintf(&jwt, "%s.%s", input, sig64) > 0);
	EVP_MD_CTX_free(md);
	json_decref(header);
	free(h);
	free(c);
	free(input);
	free(sig64);
	return jwt;
}

/* --- the stand-in --------------------------------------------------------- */

static json_t *
release_policy(const char *hostdata)
{
	return json_pack("{s:s,s:[{s:s,s:[{s:s,s:s},{s:s,s:s}]}]}", "version", "1.0.0", "anyOf", "authority", MAA, "allOf",
	    "claim", "x-ms-sevsnpvm-hostdata", "equals", hostdata, "claim", "x-ms-compliance-status", "equals",
	    "azure-signed-katacc-uvm");
}

static void
write_config(void)
{
	json_t *cfg = json_pack("{s:s,s:s,s:s,s:s,s:{s:{s:s,s:o},s:{s:s,s:o},s:{s:s,s:o},s:{s:s,s:o}}}", "tenant", TENANT,
	    "client_id", CLIENT, "federated_token", FEDERATED, "vault_host", VAULT_HOST, "keys",
	    "oct-key", "kty", "oct-HSM", "release_policy", release_policy(HOSTDATA),
	    "rsa-key", "kty", "RSA-HSM", "release_policy", release_policy(HOSTDATA),
	    "ec-key", "kty", "EC-HSM", "release_policy", release_policy(HOSTDATA),
	    "denied-key", "kty", "oct-HSM", "release_policy", release_policy(OTHER_HOSTDATA));

	assert_non_null(cfg);
	assert_int_equal(json_dump_file(cfg, g.config, JSON_INDENT(1)), 0);
	json_decref(cfg);
}

/* Starts akv_service.py with --fault fault (may be NULL) in a state directory of its own; 0 when it listens. */
static int
akv_start(struct akv *a, const char *fault)
{
	char script[4096], name[32], *portfile, *log;
	char *argv[16] = { (char *)si_python(), script, (char *)"--pki", g.pki, (char *)"--state", NULL, (char *)"--config",
		g.config, (char *)"--maa-jwks", g.jwks, NULL };

	memset(a, 0, sizeof(*a));
	snprintf(script, sizeof(script), "%s/test/services/akv_service.py", si_repo());
	snprintf(name, sizeof(name), "akv%d", g.n++);
	a->state = tu_path(g.dir, name);
	argv[5] = a->state;
	if (fault != NULL) {
		argv[10] = (char *)"--fault";
		argv[11] = (char *)fault;
		argv[12] = NULL;
	}
	mkdir(a->state, 0700);
	portfile = tu_path(a->state, "port");
	log = tu_path(a->state, "stderr");
	a->pid = si_spawn(argv, log);
	if (si_wait_file(portfile, a->pid, 30000) != 0) {
		char *why = tu_read(a->state, "stderr", NULL);

		snprintf(g.why, sizeof(g.why), "akv_service.py did not start: %.400s", why != NULL ? why : "");
		free(why);
		si_stop(a->pid);
		a->pid = -1;
	}
	free(portfile);
	free(log);
	if (a->pid <= 0 || (a->port = si_read_port(a->state, "port")) <= 0)
		return -1;
	snprintf(a->vault, sizeof(a->vault), "https://%s:%d", VAULT_HOST, a->port);
	snprintf(a->authority, sizeof(a->authority), "https://127.0.0.1:%d/", a->port);
	snprintf(a->imds, sizeof(a->imds), "https://127.0.0.1:%d", a->port);
	return 0;
}

static void
akv_stop(struct akv *a)
{
	si_stop(a->pid);
	a->pid = -1;
	free(a->state);
	a->state = NULL;
}

/* The lines of a's requests.log that contain what. */
static int
logged(const struct akv *a, const char *what)
{
	char *log = tu_read(a->state, "requests.log", NULL);
	int n = 0;

	for (char *line = log != NULL ? strtok(log, "\n") : NULL; line != NULL; line = strtok(NULL, "\n"))
		n += strstr(line, what) != NULL;
	free(log);
	return n;
}

static int
group_setup(void **state)
{
	json_t *keys;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.main.pid = -1;
	g.dir = tu_mkdtemp();
	g.pki = tu_path(g.dir, "pki");
	g.ca = tu_path(g.pki, "ca.pem");
	g.config = tu_path(g.dir, "akv.json");
	g.jwks = tu_path(g.dir, "maa-jwks.json");
	g.fed = tu_path(g.dir, "federated-token");
	g.fed_wrong = tu_path(g.dir, "federated-token-wrong");
	tu_write(g.dir, "federated-token", FEDERATED "\n");
	tu_write(g.dir, "federated-token-wrong", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.c2ln");
	/* The release's log records go to DIR/log, not into the test's output. */
	ag_log_configure("info", "text", NULL);
	g.log = fopen(g.dir_log = tu_path(g.dir, "log"), "a");
	assert_non_null(g.log);
	ag_log_set_stream(g.log);
	g.maa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(g.maa_key);
	write_jwks();
	assert_int_equal(ag_transfer_key_generate(&g.tk, &g.tk_jwk, NULL), AG_OK);
	keys = json_array();
	json_array_append(keys, g.tk_jwk);
	g.claims = make_claims(keys);
	g.token = sign_token(g.claims);
	write_config();
	if (!si_have_python())
		return 0;
	if (si_testpki_named(g.pki, VAULT_HOST) != 0)
		snprintf(g.why, sizeof(g.why), "testpki.py failed");
	else
		g.ready = akv_start(&g.main, NULL) == 0;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (g.main.state != NULL)
		akv_stop(&g.main);
	ag_log_set_stream(NULL);
	fclose(g.log);
	free(g.dir_log);
	tu_rmtree(g.dir);
	free(g.dir);
	free(g.pki);
	free(g.ca);
	free(g.config);
	free(g.jwks);
	free(g.fed);
	free(g.fed_wrong);
	EVP_PKEY_free(g.maa_key);
	ag_transfer_key_clear(&g.tk);
	json_decref(g.tk_jwk);
	json_decref(g.claims);
	free(g.token);
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

/* --- one release ----------------------------------------------------------- */

/* A policy's keys (at most 4) and the call's options and outputs. */
struct call {
	struct ag_policy_key k[4];
	struct ag_policy p;
	struct ag_vault_opts o;
	struct ag_released_key *keys;
	json_t *results;
	struct ag_err err;
};

/* Options for a: workload identity at a's Entra ID, the bundle of a's state for TLS and the JWS; deadline in ms. */
static void
call_init(struct call *c, const struct akv *a, int64_t deadline)
{
	static char bundle[4200];

	memset(c, 0, sizeof(*c));
	c->p.keys = c->k;
	snprintf(bundle, sizeof(bundle), "%s/ca-bundle.pem", a->state);
	c->o.entra.client_id = CLIENT;
	c->o.entra.tenant_id = TENANT;
	c->o.entra.federated_token_file = g.fed;
	c->o.entra.authority = a->authority;
	c->o.entra.http.ca_file = g.ca;
	c->o.entra.http.deadline_ms = ag_clock_mono_ms() + deadline;
	c->o.http.ca_file = bundle;
	c->o.http.deadline_ms = ag_clock_mono_ms() + deadline;
	c->keys = (struct ag_released_key *)&c->p;   /* must be reset by the call */
	ag_err_clear(&c->err);
}

static void
add_key(struct call *c, const char *vault, const char *name, const char *version, const char *file,
    enum ag_key_format format)
{
	struct ag_policy_key *k = &c->k[c->p.n_keys++];

	assert_true(c->p.n_keys <= 4);
	k->vault = (char *)vault;
	k->name = (char *)name;
	k->version = (char *)version;
	k->file = (char *)file;
	k->format = format;
}

static enum ag_code
call_run(struct call *c, struct ag_transfer_key *tk, const char *token, const json_t *claims)
{
	return ag_vault_release_all(&c->p, token, claims, tk, &c->o, &c->keys, &c->results, &c->err);
}

static void
call_free(struct call *c)
{
	ag_released_keys_free(c->keys, c->p.n_keys);
	c->keys = NULL;
	json_decref(c->results);
	c->results = NULL;
}

/* Result i: name, file, format and released as expected; its error contains want (NULL: has none). */
static void
check_result(const struct call *c, size_t i, int released, const char *want)
{
	const json_t *r = json_array_get(c->results, i);
	const char *e = json_string_value(json_object_get(r, "error"));

	assert_true(json_is_object(r));
	assert_string_equal(json_string_value(json_object_get(r, "name")), c->k[i].name);
	assert_string_equal(json_string_value(json_object_get(r, "vault")), c->k[i].vault);
	assert_string_equal(json_string_value(json_object_get(r, "file")), c->k[i].file);
	assert_string_equal(json_string_value(json_object_get(r, "format")), ag_policy_key_format_name(c->k[i].format));
	assert_true(json_is_boolean(json_object_get(r, "released")));
	assert_int_equal(json_is_true(json_object_get(r, "released")), released);
	if (want == NULL)
		assert_null(json_object_get(r, "error"));
	else if (e == NULL || strstr(e, want) == NULL)
		fail_msg("result %zu: error \"%s\" does not say \"%s\"", i, e != NULL ? e : "(none)", want);
}

/* A call that must fail with code: nothing returned, a result per key, the error saying want. */
static void
check_failed(struct call *c, enum ag_code rc, enum ag_code code, const char *want)
{
	if (rc != code)
		fail_msg("expected %s, got %s: %s", ag_code_name(code), ag_code_name(rc), c->err.msg);
	assert_int_equal(c->err.code, code);
	assert_null(c->keys);
	assert_true(json_is_array(c->results));
	assert_int_equal(json_array_size(c->results), c->p.n_keys);
	if (want != NULL && strstr(c->err.msg, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", c->err.msg, want);
}

/* STATE/keys/NAME.bin of a. */
static uint8_t *
key_material(const struct akv *a, const char *name, size_t *len)
{
	char file[128], *dir = tu_path(a->state, "keys");
	uint8_t *buf;

	snprintf(file, sizeof(file), "%s.bin", name);
	buf = (uint8_t *)tu_read(dir, file, len);
	assert_non_null(buf);
	free(dir);
	return buf;
}

/* The private key of STATE/keys/NAME.bin. */
static EVP_PKEY *
key_pkey(const struct akv *a, const char *name)
{
	size_t len = 0;
	uint8_t *der = key_material(a, name, &len);
	const uint8_t *p = der;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)len);

	assert_non_null(k);
	free(der);
	return k;
}

/* --- releases ---------------------------------------------------------------- */

static void
test_oct_raw(void **state)
{
	struct call c;
	uint8_t *want;
	size_t len = 0;
	char *body;
	json_t *req;
	int tokens, releases;

	(void)state;
	NEED_AKV();
	tokens = logged(&g.main, "/oauth2/v2.0/token 200");
	releases = logged(&g.main, "POST /keys/oct-key/release?api-version=7.4 200");
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	if (call_run(&c, &g.tk, g.token, g.claims) != AG_OK)
		fail_msg("%s", c.err.msg);
	assert_non_null(c.keys);
	assert_string_equal(c.keys[0].file, "data.key");
	want = key_material(&g.main, "oct-key", &len);
	assert_int_equal(len, 32);
	assert_int_equal(c.keys[0].len, len);
	assert_memory_equal(c.keys[0].data, want, len);
	free(want);
	assert_int_equal(json_array_size(c.results), 1);
	check_result(&c, 0, 1, NULL);
	assert_null(json_object_get(json_array_get(c.results, 0), "version"));
	assert_int_equal(logged(&g.main, "/oauth2/v2.0/token 200"), tokens + 1);
	assert_int_equal(logged(&g.main, "POST /keys/oct-key/release?api-version=7.4 200"), releases + 1);
	/* The request: this token, wrapped with SHA-256 OAEP. */
	body = tu_read(g.main.state, "last-release.json", NULL);
	req = body != NULL ? json_loads(body, 0, NULL) : NULL;
	assert_non_null(req);
	assert_string_equal(json_string_value(json_object_get(req, "target")), g.token);
	assert_string_equal(json_string_value(json_object_get(req, "enc")), "RSA_AES_KEY_WRAP_256");
	json_decref(req);
	free(body);
	call_free(&c);
}

static void
test_rsa_pem(void **state)
{
	struct call c;
	EVP_PKEY *want, *got;
	BIO *bio;

	(void)state;
	NEED_AKV();
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "rsa-key", NULL, "rsa.pem", AG_KEY_PEM);
	if (call_run(&c, &g.tk, g.token, g.claims) != AG_OK)
		fail_msg("%s", c.err.msg);
	assert_true(c.keys[0].len > 64);
	assert_memory_equal(c.keys[0].data, "-----BEGIN PRIVATE KEY-----\n", 28);
	bio = BIO_new_mem_buf(c.keys[0].data, (int)c.keys[0].len);
	got = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(got);
	want = key_pkey(&g.main, "rsa-key");
	assert_true(EVP_PKEY_is_a(got, "RSA"));
	assert_int_equal(EVP_PKEY_eq(got, want), 1);
	EVP_PKEY_free(got);
	EVP_PKEY_free(want);
	check_result(&c, 0, 1, NULL);
	call_free(&c);
}

/* base64url of an EC key's BIGNUM parameter, padded to 32 bytes (new string). */
static char *
ec_param(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	uint8_t buf[32];
	char *s;

	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	assert_int_equal(BN_bn2binpad(bn, buf, sizeof(buf)), 32);
	BN_clear_free(bn);
	s = ag_b64url_encode(buf, sizeof(buf));
	assert_non_null(s);
	return s;
}

static void
test_ec_jwk(void **state)
{
	struct call c;
	EVP_PKEY *want;
	json_t *jwk;
	char *d, *x, *y;

	(void)state;
	NEED_AKV();
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "ec-key", NULL, "ec.jwk", AG_KEY_JWK);
	if (call_run(&c, &g.tk, g.token, g.claims) != AG_OK)
		fail_msg("%s", c.err.msg);
	jwk = json_loadb((const char *)c.keys[0].data, c.keys[0].len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(jwk);
	want = key_pkey(&g.main, "ec-key");
	d = ec_param(want, OSSL_PKEY_PARAM_PRIV_KEY);
	x = ec_param(want, OSSL_PKEY_PARAM_EC_PUB_X);
	y = ec_param(want, OSSL_PKEY_PARAM_EC_PUB_Y);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
	assert_string_equal(json_string_value(json_object_get(jwk, "d")), d);
	assert_string_equal(json_string_value(json_object_get(jwk, "x")), x);
	assert_string_equal(json_string_value(json_object_get(jwk, "y")), y);
	assert_non_null(strstr(json_string_value(json_object_get(jwk, "kid")), "/keys/ec-key/"));
	OPENSSL_cleanse(d, strlen(d));
	free(d);
	free(x);
	free(y);
	EVP_PKEY_free(want);
	json_decref(jwk);
	check_result(&c, 0, 1, NULL);
	call_free(&c);
}

/* The oct key as a JWK: {"kty": "oct", "k": the bytes}. */
static void
test_oct_jwk(void **state)
{
	struct call c;
	uint8_t *want, *k = NULL;
	size_t len = 0, klen = 0;
	json_t *jwk;
	const char *k64;

	(void)state;
	NEED_AKV();
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", NULL, "oct.jwk", AG_KEY_JWK);
	if (call_run(&c, &g.tk, g.token, g.claims) != AG_OK)
		fail_msg("%s", c.err.msg);
	jwk = json_loadb((const char *)c.keys[0].data, c.keys[0].len, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "oct");
	k64 = json_string_value(json_object_get(jwk, "k"));
	assert_non_null(k64);
	assert_int_equal(ag_b64url_decode(k64, strlen(k64), &k, &klen), 0);
	want = key_material(&g.main, "oct-key", &len);
	assert_int_equal(klen, len);
	assert_memory_equal(k, want, len);
	free(k);
	free(want);
	json_decref(jwk);
	call_free(&c);
}

/* Several keys of one vault: one access token, one release each, in order. */
static void
test_several_keys_one_token(void **state)
{
	struct call c;
	int tokens, releases;

	(void)state;
	NEED_AKV();
	tokens = logged(&g.main, "/oauth2/v2.0/token");
	releases = logged(&g.main, "/release?api-version=7.4 200");
	call_init(&c, &g.main, 15000);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	add_key(&c, g.main.vault, "rsa-key", NULL, "rsa.pem", AG_KEY_PEM);
	add_key(&c, g.main.vault, "ec-key", NULL, "ec.jwk", AG_KEY_JWK);
	if (call_run(&c, &g.tk, g.token, g.claims) != AG_OK)
		fail_msg("%s", c.err.msg);
	assert_int_equal(json_array_size(c.results), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(c.keys[i].file, c.k[i].file);
		assert_non_null(c.keys[i].data);
		assert_true(c.keys[i].len > 0);
		check_result(&c, i, 1, NULL);
	}
	assert_int_equal(logged(&g.main, "/oauth2/v2.0/token"), tokens + 1);
	assert_int_equal(logged(&g.main, "/release?api-version=7.4 200"), releases + 3);
	call_free(&c);
}

/* A pinned version: released and carried into the result; another version is a key the vault does not know. */
static void
test_version(void **state)
{
	struct call c;
	char *dir, *version, path[160];

	(void)state;
	NEED_AKV();
	dir = tu_path(g.main.state, "keys");
	version = tu_read(dir, "oct-key.version", NULL);
	assert_non_null(version);
	version[strcspn(version, "\r\n")] = '\0';
	assert_int_equal(strlen(version), 32);
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", version, "data.key", AG_KEY_RAW);
	if (call_run(&c, &g.tk, g.token, g.claims) != AG_OK)
		fail_msg("%s", c.err.msg);
	check_result(&c, 0, 1, NULL);
	assert_string_equal(json_string_value(json_object_get(json_array_get(c.results, 0), "version")), version);
	snprintf(path, sizeof(path), "POST /keys/oct-key/%s/release?api-version=7.4 200", version);
	assert_int_equal(logged(&g.main, path), 1);
	call_free(&c);

	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", "0123456789abcdef0123456789abcdef", "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_ECONFIG, "HTTP 404");
	assert_non_null(strstr(c.err.msg, "KeyNotFound"));
	check_result(&c, 0, 0, "KeyNotFound");
	call_free(&c);
	free(version);
	free(dir);
}

/* Managed identity (no token file) through the stand-in's IMDS endpoint. */
static void
test_managed_identity(void **state)
{
	struct call c;

	(void)state;
	NEED_AKV();
	call_init(&c, &g.main, 10000);
	c.o.entra.client_id = NULL;
	c.o.entra.tenant_id = NULL;
	c.o.entra.federated_token_file = NULL;
	c.o.entra.authority = NULL;
	c.o.entra.imds_url = g.main.imds;
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	if (call_run(&c, &g.tk, g.token, g.claims) != AG_OK)
		fail_msg("%s", c.err.msg);
	check_result(&c, 0, 1, NULL);
	assert_true(logged(&g.main, "GET /metadata/identity/oauth2/token?") >= 1);
	call_free(&c);
}

/* No keys: nothing asked, an empty result list. */
static void
test_no_keys(void **state)
{
	struct call c;

	(void)state;
	NEED_AKV();
	call_init(&c, &g.main, 1000);
	c.o.entra.authority = "https://127.0.0.1:1/";
	assert_int_equal(call_run(&c, &g.tk, g.token, g.claims), AG_OK);
	assert_non_null(c.keys);
	assert_true(json_is_array(c.results));
	assert_int_equal(json_array_size(c.results), 0);
	call_free(&c);
}

/* --- refusals ---------------------------------------------------------------- */

/* The release policy pins another HOST_DATA: 403, AG_EKEYDENIED, the vault's message, nothing returned. */
static void
test_denied(void **state)
{
	struct call c;
	char *log;

	(void)state;
	NEED_AKV();
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "denied-key", NULL, "denied.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_EKEYDENIED, NOT_CONFORMING);
	assert_non_null(strstr(c.err.msg, "HTTP 403"));
	assert_non_null(strstr(c.err.msg, "denied-key"));
	check_result(&c, 0, 0, NOT_CONFORMING);
	assert_int_equal(logged(&g.main, "POST /keys/denied-key/release?api-version=7.4 403"), 1);
	call_free(&c);
	fflush(g.log);
	log = tu_read(g.dir, "log", NULL);
	assert_non_null(log);
	assert_non_null(strstr(log, "key not released"));
	assert_non_null(strstr(log, "file=denied.key"));
	free(log);

	/* After a released key: that one says released, but nothing is returned. */
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	add_key(&c, g.main.vault, "denied-key", NULL, "denied.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_EKEYDENIED, NOT_CONFORMING);
	check_result(&c, 0, 1, NULL);
	check_result(&c, 1, 0, NOT_CONFORMING);
	call_free(&c);

	/* Before other keys: those are not attempted. */
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "denied-key", NULL, "denied.key", AG_KEY_RAW);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	add_key(&c, g.main.vault, "rsa-key", NULL, "rsa.pem", AG_KEY_PEM);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_EKEYDENIED, NOT_CONFORMING);
	check_result(&c, 0, 0, NOT_CONFORMING);
	check_result(&c, 1, 0, "not attempted");
	check_result(&c, 2, 0, "not attempted");
	call_free(&c);
}

static void
test_unknown_key(void **state)
{
	struct call c;

	(void)state;
	NEED_AKV();
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "no-such-key", NULL, "x.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_ECONFIG, "HTTP 404");
	assert_non_null(strstr(c.err.msg, "KeyNotFound"));
	assert_non_null(strstr(c.err.msg, "no-such-key"));
	check_result(&c, 0, 0, "KeyNotFound");
	call_free(&c);
}

/* The identity Entra ID refuses: AG_ECONFIG, no release asked. */
static void
test_identity_refused(void **state)
{
	struct call c;
	int releases;

	(void)state;
	NEED_AKV();
	releases = logged(&g.main, "/release");
	call_init(&c, &g.main, 10000);
	c.o.entra.federated_token_file = g.fed_wrong;
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_ECONFIG, "no access token for https://vault.localhost");
	assert_non_null(strstr(c.err.msg, "AADSTS700213"));
	check_result(&c, 0, 0, "no access token");
	assert_int_equal(logged(&g.main, "/release"), releases);
	call_free(&c);

	/* No identity at all (workload identity without ids). */
	call_init(&c, &g.main, 10000);
	c.o.entra.client_id = NULL;
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_ECONFIG, "AZURE_CLIENT_ID");
	call_free(&c);
}

/* A vault that does not answer: AG_EVERIFIER. */
static void
test_vault_unreachable(void **state)
{
	struct call c;
	char vault[128];

	(void)state;
	NEED_AKV();
	snprintf(vault, sizeof(vault), "https://%s:%d", VAULT_HOST, si_closed_port());
	call_init(&c, &g.main, 4000);
	c.o.http.max_attempts = 2;
	add_key(&c, vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_EVERIFIER, NULL);
	check_result(&c, 0, 0, "");
	call_free(&c);
}

/* A vault URL whose resource cannot be named; a format that does not fit the key. */
static void
test_bad_settings(void **state)
{
	struct call c;
	char vault[128];

	(void)state;
	NEED_AKV();
	snprintf(vault, sizeof(vault), "https://localhost:%d", g.main.port);
	call_init(&c, &g.main, 5000);
	add_key(&c, vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_ECONFIG, "must name a vault by its DNS name");
	check_result(&c, 0, 0, "must name a vault by its DNS name");
	call_free(&c);

	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.pem", AG_KEY_PEM);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_ECONFIG, "format pem is for RSA and EC keys");
	assert_non_null(strstr(c.err.msg, "key oct-key of "));
	check_result(&c, 0, 0, "format pem");
	call_free(&c);

	/* Only the TLS CA: the root of the answer's x5c chain is not trusted, so the answer does not verify. */
	call_init(&c, &g.main, 5000);
	c.o.http.ca_file = g.ca;
	c.o.http.max_attempts = 1;
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	assert_int_not_equal(call_run(&c, &g.tk, g.token, g.claims), AG_OK);
	assert_null(c.keys);
	assert_int_equal(c.err.code, AG_EINVALID);
	check_result(&c, 0, 0, "");
	call_free(&c);
}

/* The token's x-ms-runtime.keys does not hold this run's transfer key: refused before any request. */
static void
test_transfer_key_not_in_token(void **state)
{
	struct call c;
	struct ag_transfer_key other;
	json_t *other_jwk = NULL, *keys, *claims, *forged;
	char *token;
	int before;

	(void)state;
	NEED_AKV();
	before = logged(&g.main, "");
	assert_int_equal(ag_transfer_key_generate(&other, &other_jwk, NULL), AG_OK);

	/* Another key's token. */
	keys = json_array();
	json_array_append(keys, other_jwk);
	claims = make_claims(keys);
	token = sign_token(claims);
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, token, claims), AG_EINVALID, "does not hold the transfer key");
	check_result(&c, 0, 0, "not attempted");
	call_free(&c);
	json_decref(claims);
	free(token);

	/* This key's kid with the other key's modulus. */
	forged = json_deep_copy(g.tk_jwk);
	json_object_set(forged, "n", json_object_get(other_jwk, "n"));
	keys = json_array();
	json_array_append_new(keys, forged);
	claims = make_claims(keys);
	token = sign_token(claims);
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, token, claims), AG_EINVALID, "is not this run's transfer key");
	call_free(&c);
	json_decref(claims);
	free(token);

	/* No x-ms-runtime at all. */
	claims = json_pack("{s:s}", "iss", MAA);
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, claims), AG_EINVALID, "does not hold the transfer key");
	call_free(&c);
	json_decref(claims);

	/* This run's token with another run's transfer key. */
	call_init(&c, &g.main, 10000);
	add_key(&c, g.main.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &other, g.token, g.claims), AG_EINVALID, "does not hold the transfer key");
	call_free(&c);

	assert_int_equal(logged(&g.main, ""), before);
	ag_transfer_key_clear(&other);
	json_decref(other_jwk);
}

/* --- faults of the stand-in ---------------------------------------------------- */

static void
fault_case(const char *fault, enum ag_code code, const char *want, int64_t deadline)
{
	struct akv a;
	struct call c;

	if (akv_start(&a, fault) != 0) {
		if (a.state != NULL)
			akv_stop(&a);
		fail_msg("--fault %s: %s", fault, g.why);
	}
	call_init(&c, &a, deadline);
	add_key(&c, a.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), code, want);
	check_result(&c, 0, 0, want != NULL ? want : "");
	assert_true(logged(&a, "POST /keys/oct-key/release") >= 1);
	call_free(&c);
	akv_stop(&a);
}

/* A 403 about the identity (RBAC) is a configuration error, not the release policy's no. */
static void
test_fault_forbidden_rbac(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("forbidden-rbac", AG_ECONFIG, "may not release", 10000);
}

/* A signed answer for another key of the same vault is refused. */
static void
test_fault_other_kid(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("other-kid", AG_EINVALID, "not the key asked for", 10000);
}

/* An access token with CR/LF never reaches a header: no release is sent. */
static void
test_fault_token_crlf(void **state)
{
	struct akv a;
	struct call c;

	(void)state;
	NEED_AKV();
	if (akv_start(&a, "token-crlf") != 0) {
		if (a.state != NULL)
			akv_stop(&a);
		fail_msg("--fault token-crlf: %s", g.why);
	}
	call_init(&c, &a, 10000);
	add_key(&c, a.vault, "oct-key", NULL, "data.key", AG_KEY_RAW);
	check_failed(&c, call_run(&c, &g.tk, g.token, g.claims), AG_EVERIFIER, "characters a bearer token cannot have");
	assert_int_equal(logged(&a, "POST /keys/oct-key/release"), 0);
	call_free(&c);
	akv_stop(&a);
}

static void
test_fault_bad_signature(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("bad-signature", AG_EINVALID, "signature", 10000);
}

static void
test_fault_wrong_host(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("wrong-host", AG_EINVALID, "other.vault.localhost", 10000);
}

static void
test_fault_self_signed(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("self-signed", AG_EINVALID, "does not verify", 10000);
}

static void
test_fault_tamper_ciphertext(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("tamper-ciphertext", AG_EINVALID, "key oct-key of https://" VAULT_HOST, 10000);
}

static void
test_fault_alg_hs256(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("alg-hs256", AG_EINVALID, "HS256", 10000);
}

static void
test_fault_status_500(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("status-500", AG_EVERIFIER, NULL, 3000);
}

static void
test_fault_status_403(void **state)
{
	(void)state;
	NEED_AKV();
	fault_case("status-403", AG_EKEYDENIED, NOT_CONFORMING, 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oct_raw),
		cmocka_unit_test(test_rsa_pem),
		cmocka_unit_test(test_ec_jwk),
		cmocka_unit_test(test_oct_jwk),
		cmocka_unit_test(test_several_keys_one_token),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_managed_identity),
		cmocka_unit_test(test_no_keys),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_identity_refused),
		cmocka_unit_test(test_vault_unreachable),
		cmocka_unit_test(test_bad_settings),
		cmocka_unit_test(test_transfer_key_not_in_token),
		cmocka_unit_test(test_fault_bad_signature),
		cmocka_unit_test(test_fault_wrong_host),
		cmocka_unit_test(test_fault_self_signed),
		cmocka_unit_test(test_fault_tamper_ciphertext),
		cmocka_unit_test(test_fault_alg_hs256),
		cmocka_unit_test(test_fault_status_500),
		cmocka_unit_test(test_fault_status_403),
		cmocka_unit_test(test_fault_forbidden_rbac),
		cmocka_unit_test(test_fault_other_kid),
		cmocka_unit_test(test_fault_token_crlf),
	};

	return cmocka_run_group_tests_name("vault", tests, group_setup, group_teardown);
}
