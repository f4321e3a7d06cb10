/*
 * test_webhook.c - lib/serve/webhook.c: the HTTPS server, run in a forked
 * child on 127.0.0.1 (a free port found by binding port 0) with a P-256
 * certificate made here and a copy of deploy/policies, and spoken to with
 * libcurl trusting only that certificate.  /healthz, /readyz, /metrics;
 * /mutate: GET 405, text/plain 415, a review 200 with its uid, an invalid
 * one 400, a body over max_request_bytes 413; other paths 404.  SIGTERM:
 * exit 0 within seconds, also with an idle keep-alive connection open;
 * with a shutdown delay /readyz says 503 while reviews are still answered.
 * Silent clients beyond max_connections wait until request_timeout frees a
 * slot; plain HTTP is never answered in plain text.  The certificate and
 * the policies are reloaded when their files change.  Start failures
 * (listen address, certificate, policy directory) return AG_ECONFIG naming
 * the problem, in-process, without serving.
 */
#include "standin.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <time.h>

#include "serve/webhook.h"

#define MAX_BODY 65536

struct srv {
	char *dir, *cert, *key, *policies, *log;
	int port;
	pid_t pid;
	struct ag_webhook_config cfg;
	char listen[64];
};

/* --- certificate and files --------------------------------------------------------------------------- */

/* A self-signed certificate for a new P-256 key, for 127.0.0.1, written to cert and key. */
static void
make_tls(const char *cert, const char *key)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *c = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	FILE *f;

	assert_non_null(k);
	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), (long)time(NULL));
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, k);
	X509V3_set_ctx(&ctx, c, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
	assert_non_null(ext);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c, k, EVP_sha256()) > 0);
	f = fopen(cert, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, c), 1);
	fclose(f);
	f = fopen(key, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	X509_free(c);
	EVP_PKEY_free(k);
}

/* Copies deploy/policies/NAME.yaml into dir. */
static void
copy_policy(const char *dir, const char *name)
{
	char src[4096];
	char *text;

	snprintf(src, sizeof(src), "%s/deploy/policies", si_repo());
	text = tu_read(src, name, NULL);
	if (text == NULL)
		fail_msg("%s/%s is missing: run from the repository or set AG_REPO", src, name);
	tu_write(dir, name, text);
	free(text);
}

/* A port on 127.0.0.1 free a moment ago (bound to port 0, then closed). */
static int
free_port(void)
{
	return si_closed_port();
}

/* The server's files and settings (not started). */
static int
setup(void **state)
{
	struct srv *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->dir = tu_mkdtemp();
	s->cert = tu_path(s->dir, "tls.crt");
	s->key = tu_path(s->dir, "tls.key");
	s->policies = tu_path(s->dir, "policies");
	s->log = tu_path(s->dir, "log");
	make_tls(s->cert, s->key);
	assert_int_equal(mkdir(s->policies, 0700), 0);
	copy_policy(s->policies, "azure-cvm.yaml");
	copy_policy(s->policies, "azure-cvm-local.yaml");
	copy_policy(s->policies, "azure-kata-cc.yaml");
	s->port = free_port();
	snprintf(s->listen, sizeof(s->listen), "127.0.0.1:%d", s->port);
	s->cfg = (struct ag_webhook_config){ .listen = s->listen, .cert_file = s->cert, .key_file = s->key,
		.policy_dir = s->policies, .max_connections = 16, .max_request_bytes = MAX_BODY, .request_timeout_ms = 3000,
		.reload_interval_ms = 100, .shutdown_delay_ms = 0, .shutdown_timeout_ms = 2000 };
	s->cfg.inject = (struct ag_inject_opts){ .image = "ghcr.io/attestgate/attestgate:0.1.0", .default_policy = "azure-cvm",
		.tpm_access = "privileged", .device_plugin_resource = "squat.ai/tpmrm0" };
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct srv *s = *state;

	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	free(s->cert);
	free(s->key);
	tu_rmtree(s->policies);
	free(s->policies);
	free(s->log);
	tu_rmtree(s->dir);
	free(s->dir);
	free(s);
	return 0;
}

/* --- HTTPS with libcurl ------------------------------------------------------------------------------ */

struct reply {
	long status;
	char body[16384];
	size_t len;
	char headers[4096];
	size_t hlen;
};

/* Appends what curl got (size * n bytes at p) to buf (cap bytes, *len used), NUL-terminated; excess is dropped. */
static size_t
keep(char *buf, size_t cap, size_t *len, const char *p, size_t size, size_t n)
{
	size_t got = size * n, room = cap - 1 - *len, k = got < room ? got : room;

	memcpy(buf + *len, p, k);
	*len += k;
	buf[*len] = '\0';
	return got;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	return keep(r->body, sizeof(r->body), &r->len, p, size, n);
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	return keep(r->headers, sizeof(r->headers), &r->hlen, p, size, n);
}

/*
 * method path (with body of type, when not NULL) on handle h (a new one when
 * NULL), trusting only ca; the status, or 0 when no answer came (r->body then
 * has curl's error).
 */
static long
request_on(CURL *h, const struct srv *s, const char *ca, const char *method, const char *path, const char *type,
    const char *body, size_t len, struct reply *r)
{
	CURL *c = h != NULL ? h : curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char url[256], ctype[128], err[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	assert_non_null(c);
	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", s->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (body != NULL) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", type);
		hdrs = curl_slist_append(hdrs, ctype);
		/* Wait for the server's word before sending a body: a 413 comes before the body is read. */
		hdrs = curl_slist_append(hdrs, "Expect: 100-continue");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		snprintf(r->body, sizeof(r->body), "curl: %s: %s", curl_easy_strerror(rc), err);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (h == NULL)
		curl_easy_cleanup(c);
	return rc == CURLE_OK ? r->status : 0;
}

static long
request(const struct srv *s, const char *method, const char *path, const char *type, const char *body, size_t len,
    struct reply *r)
{
	return request_on(NULL, s, s->cert, method, path, type, body, len, r);
}

static long
get(const struct srv *s, const char *path, struct reply *r)
{
	return request(s, "GET", path, NULL, NULL, 0, r);
}

/* A review of a Pod asking for the gate, with uid. */
static char *
review(const char *uid)
{
	json_t *r = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:{s:{s:s, s:{s:s}}, s:{s:[{s:s, s:s}]}}}}",
	    "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "request", "uid", uid, "kind", "group", "",
	    "version", "v1", "kind", "Pod", "operation", "CREATE", "namespace", "default", "object", "metadata", "name", "p",
	    "annotations", "attestgate.io/inject", "true", "spec", "containers", "name", "app", "image", "app:1");
	char *text = json_dumps(r, JSON_COMPACT);

	json_decref(r);
	assert_non_null(text);
	return text;
}

/* POSTs a review with uid; the status. */
static long
post_review(const struct srv *s, const char *uid, struct reply *r)
{
	char *body = review(uid);
	long status = request(s, "POST", "/mutate", "application/json", body, strlen(body), r);

	free(body);
	return status;
}

/* The value of the sample "name " in /metrics, or -1. */
static double
metric(const struct srv *s, const char *name)
{
	struct reply r;
	const char *at;

	if (get(s, "/metrics", &r) != 200)
		return -1;
	for (at = r.body; (at = strstr(at, name)) != NULL; at++)
		if ((at == r.body || at[-1] == '\n') && at[strlen(name)] == ' ')
			return strtod(at + strlen(name) + 1, NULL);
	return -1;
}

/* --- the child ---------------------------------------------------------------------------------------- */

/* Forks the server (its log in s->log) and waits until /healthz answers. */
static void
start(struct srv *s)
{
	struct reply r;

	fflush(NULL);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		struct ag_err err;
		FILE *log = fopen(s->log, "w");

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (log != NULL) {
			dup2(fileno(log), 2);
			fclose(log);
		}
		ag_err_clear(&err);
		if (ag_webhook_serve(&s->cfg, &err) != AG_OK) {
			fprintf(stderr, "serve: %s\n", err.msg);
			exit(3);
		}
		exit(0);   /* not _exit: the sanitizer build checks the server for leaks */
	}
	for (int i = 0; i < 500; i++) {
		if (get(s, "/healthz", &r) == 200)
			return;
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			char *log = tu_read(s->dir, "log", NULL);

			s->pid = -1;
			fail_msg("the server did not start: %s", log != NULL ? log : "");
		}
		usleep(20000);
	}
	fail_msg("the server did not answer /healthz in 10 s: %s", r.body);
}

/* SIGTERM, then the exit status within ms; fails the test unless it exits 0 in time. */
static int64_t
stop(struct srv *s, int ms)
{
	struct timespec t0, t1;
	int status = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			char *log = tu_read(s->dir, "log", NULL);

			s->pid = -1;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				fail_msg("the server ended with status 0x%x: %s", status, log != NULL ? log : "");
			free(log);
			return (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		}
		usleep(10000);
	}
	fail_msg("the server did not exit within %d ms of SIGTERM", ms);
	return -1;
}

/* --- the tests ---------------------------------------------------------------------------------------- */

static void
test_probes_and_metrics(void **state)
{
	struct srv *s = *state;
	struct reply r;

	start(s);
	assert_int_equal(get(s, "/healthz", &r), 200);
	assert_string_equal(r.body, "ok\n");
	assert_int_equal(get(s, "/readyz", &r), 200);
	assert_int_equal(get(s, "/metrics", &r), 200);
	assert_non_null(strstr(r.body, "attestgate_webhook_requests_total{result=\"injected\"} 0\n"));
	assert_non_null(strstr(r.headers, "text/plain; version=0.0.4"));
	assert_true(metric(s, "attestgate_webhook_policies") == 3);
	assert_int_equal(get(s, "/nope", &r), 404);
	assert_int_equal(get(s, "/healthz/x", &r), 404);
	assert_int_equal(request(s, "POST", "/healthz", "application/json", "{}", 2, &r), 404);
	stop(s, 5000);
}

static void
test_mutate(void **state)
{
	struct srv *s = *state;
	struct reply r;
	json_t *answer;

	start(s);
	assert_int_equal(get(s, "/mutate", &r), 405);
	assert_int_equal(request(s, "POST", "/mutate", "text/plain", "{}", 2, &r), 415);
	assert_int_equal(post_review(s, "5d7b-uid-1", &r), 200);
	assert_non_null(strstr(r.headers, "application/json"));
	answer = json_loads(r.body, 0, NULL);
	assert_non_null(answer);
	assert_string_equal(json_string_value(json_object_get(json_object_get(answer, "response"), "uid")), "5d7b-uid-1");
	assert_true(json_is_true(json_object_get(json_object_get(answer, "response"), "allowed")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(answer, "response"), "patchType")), "JSONPatch");
	json_decref(answer);
	/* The media type may carry parameters. */
	{
		char *body = review("5d7b-uid-2");

		assert_int_equal(request(s, "POST", "/mutate", "application/json; charset=utf-8", body, strlen(body), &r), 200);
		free(body);
	}
	assert_int_equal(request(s, "POST", "/mutate", "application/json", "{\"x\": 1}", 8, &r), 400);
	assert_non_null(strstr(r.body, "AdmissionReview"));
	assert_true(metric(s, "attestgate_webhook_requests_total{result=\"injected\"}") == 2);
	assert_true(metric(s, "attestgate_webhook_requests_total{result=\"invalid\"}") == 1);
	assert_true(metric(s, "attestgate_webhook_injections_total") == 2);
	assert_true(metric(s, "attestgate_webhook_errors_total") >= 3);   /* 405, 415 and the invalid review */
	assert_true(metric(s, "attestgate_webhook_request_duration_seconds_count") == 3);
	stop(s, 5000);
}

/* A body over max_request_bytes is refused with 413 before it is read; the server goes on. */
static void
test_body_too_large(void **state)
{
	struct srv *s = *state;
	struct reply r;
	char *big = malloc(MAX_BODY + 2);

	assert_non_null(big);
	memset(big, ' ', MAX_BODY + 1);
	big[0] = '{';
	big[MAX_BODY] = '}';
	big[MAX_BODY + 1] = '\0';
	start(s);
	if (request(s, "POST", "/mutate", "application/json", big, MAX_BODY + 1, &r) != 413)
		fail_msg("a body of %d bytes: HTTP %ld (%s)", MAX_BODY + 1, r.status, r.body);
	/* Exactly the limit is read (and answered as the JSON it is). */
	assert_int_equal(request(s, "POST", "/mutate", "application/json", big + 1, MAX_BODY, &r), 400);
	assert_int_equal(post_review(s, "after", &r), 200);
	free(big);
	stop(s, 5000);
}

/* SIGTERM with an idle keep-alive connection open: it is closed by the drain; exit 0 in time. */
static void
test_sigterm_with_open_connection(void **state)
{
	struct srv *s = *state;
	CURL *keep = curl_easy_init();
	struct reply r;
	int64_t ms;

	assert_non_null(keep);
	s->cfg.shutdown_timeout_ms = 1000;
	start(s);
	assert_int_equal(request_on(keep, s, s->cert, "GET", "/healthz", NULL, NULL, 0, &r), 200);
	ms = stop(s, 8000);
	assert_true(ms < 5000);
	curl_easy_cleanup(keep);
}

/* With a shutdown delay: /readyz 503 and Connection: close, reviews still answered, then exit 0. */
static void
test_shutdown_delay(void **state)
{
	struct srv *s = *state;
	struct reply r;
	int64_t ms;
	int status = 0;

	s->cfg.shutdown_delay_ms = 1500;
	start(s);
	assert_int_equal(kill(s->pid, SIGTERM), 0);
	for (int i = 0; i < 100 && get(s, "/readyz", &r) != 503; i++)
		usleep(10000);
	assert_int_equal(r.status, 503);
	assert_non_null(strcasestr(r.headers, "Connection: close"));
	assert_int_equal(get(s, "/healthz", &r), 200);
	assert_int_equal(post_review(s, "late", &r), 200);
	for (ms = 0; ms < 8000 && waitpid(s->pid, &status, WNOHANG) != s->pid; ms += 10)
		usleep(10000);
	assert_true(ms < 8000);
	s->pid = -1;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A new certificate (and key) is served to new connections; a new policy is counted; no restart. */
static void
test_reloads(void **state)
{
	struct srv *s = *state;
	char *old = tu_path(s->dir, "old.crt"), *tmp_crt = tu_path(s->dir, "new.crt"), *tmp_key = tu_path(s->dir, "new.key");
	struct reply r;
	int i;

	start(s);
	assert_int_equal(rename(s->cert, old), 0);
	assert_int_equal(link(old, s->cert), 0);
	make_tls(tmp_crt, tmp_key);
	assert_int_equal(rename(tmp_key, s->key), 0);
	assert_int_equal(rename(tmp_crt, s->cert), 0);
	for (i = 0; i < 300 && request_on(NULL, s, s->cert, "GET", "/healthz", NULL, NULL, 0, &r) != 200; i++)
		usleep(20000);
	assert_int_equal(r.status, 200);
	assert_int_equal(request_on(NULL, s, old, "GET", "/healthz", NULL, NULL, 0, &r), 0);   /* the old one is gone */
	assert_true(metric(s, "attestgate_webhook_cert_reloads_total") >= 1);
	tu_write(s->policies, "mine.yaml", "apiVersion: attestgate.io/v1\nkind: AttestationPolicy\nmetadata:\n  name: mine\n"
	    "spec:\n  platforms: [azure-cvm]\n  verifier:\n    type: maa\n    url: https://x.attest.azure.net\n"
	    "  require:\n    - claim: /x\n      exists: true\n");
	for (i = 0; i < 300 && metric(s, "attestgate_webhook_policies") != 4; i++)
		usleep(20000);
	assert_true(metric(s, "attestgate_webhook_policies") == 4);
	assert_true(metric(s, "attestgate_webhook_policy_reloads_total") >= 1);
	stop(s, 5000);
	free(old);
	free(tmp_crt);
	free(tmp_key);
}

/* A raw TCP connection to the server, sending nothing (a slow or stuck client). */
static int
raw_connect(const struct srv *s)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)s->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/*
 * max_connections silent clients: the next one waits in the backlog until
 * request_timeout closes a silent one, then is served.
 */
static void
test_connection_limit_and_timeout(void **state)
{
	struct srv *s = *state;
	struct reply r;
	struct timespec t0, t1;
	int fds[2];
	int64_t ms;

	s->cfg.max_connections = 2;
	s->cfg.request_timeout_ms = 500;
	start(s);
	usleep(100000);   /* the probe's connection is gone */
	fds[0] = raw_connect(s);
	fds[1] = raw_connect(s);
	usleep(100000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(get(s, "/healthz", &r), 200);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 250);    /* it waited for a slot */
	assert_true(ms < 5000);
	close(fds[0]);
	close(fds[1]);
	stop(s, 5000);
}

/* Plain HTTP on the TLS port is never answered in plain text; the server goes on. */
static void
test_plain_http_refused(void **state)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	struct srv *s = *state;
	struct reply r;
	char buf[256];
	ssize_t n = 0;
	int fd;

	start(s);
	fd = raw_connect(s);
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	{
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (poll(&pfd, 1, 5000) == 1)
			n = read(fd, buf, sizeof(buf) - 1);
	}
	buf[n > 0 ? n : 0] = '\0';
	assert_true(n <= 0 || strncmp(buf, "HTTP/", 5) != 0);
	close(fd);
	assert_int_equal(get(s, "/healthz", &r), 200);
	stop(s, 5000);
}

/* Expects ag_webhook_serve to return AG_ECONFIG at once with want in the message. */
static void
start_fails(const struct ag_webhook_config *cfg, const char *want)
{
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_webhook_serve(cfg, &err), AG_ECONFIG);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void
test_start_failures(void **state)
{
	struct srv *s = *state;
	struct ag_webhook_config cfg = s->cfg;
	char *gone = tu_path(s->dir, "gone"), busy[64];
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cfg.listen = "nonsense";
	start_fails(&cfg, "--listen nonsense is not ADDR:PORT");
	cfg.listen = "127.0.0.1:0";
	start_fails(&cfg, "--listen 127.0.0.1:0");
	cfg.listen = "127.0.0.1:99999";
	start_fails(&cfg, "--listen 127.0.0.1:99999");
	/* A port another socket listens on. */
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(busy, sizeof(busy), "127.0.0.1:%d", ntohs(a.sin_port));
	cfg.listen = busy;
	start_fails(&cfg, "cannot listen on 127.0.0.1:");
	close(fd);
	cfg = s->cfg;
	cfg.cert_file = gone;
	start_fails(&cfg, gone);
	cfg = s->cfg;
	cfg.key_file = gone;
	start_fails(&cfg, gone);
	cfg = s->cfg;
	cfg.policy_dir = gone;
	start_fails(&cfg, gone);
	start_fails(&cfg, "--policy-dir");
	free(gone);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probes_and_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_with_open_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reloads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_limit_and_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain_http_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_failures, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	rc = cmocka_run_group_tests_name("webhook", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
