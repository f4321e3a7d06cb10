/*
 * test_gpu_rims.c - lib/verifier/gpu_rims.c: where RIM candidates come
 * from.  Whether a source is set; the --gpu-rim list split into at most 16
 * files (ag_gpu_opts_from, which fills the source); a RIM file read (a
 * missing or broken one named in the error); a directory looked up as
 * DIR/ID, DIR/ID.xml or DIR/ID.swidtag (a miss is no error); ids that are
 * not plain names refused before they become a path or a URL; and NVIDIA's
 * RIM service played by a TLS server forked here on 127.0.0.1 with a CA
 * made here (GET /v1/rim/ID answered {"id", "rim": base64}): a good answer,
 * another id, not JSON, not base64, not a RIM, 404 (none), 500 and a
 * closed port (AG_EVERIFIER within the deadline), plain http refused.  The
 * RIM is the 545 driver RIM of ../shared/vectors/nvidia (skipped visibly
 * when absent).  Nothing leaves the loopback interface.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "base/base64.h"
#include "base/clock.h"
#include "verifier/gpu_rims.h"
#include "verifier/nvidia_gpu.h"

#define DIR545 "nvidia/nvtrust-2023-hopper-545"
#define DRIVER545 "Driver_RIM_test_no_gpu.swidtag"
#define ID "NV_GPU_DRIVER_GH100_545.00"

#define SKIP_WITHOUT(p)                                                                        \
	do {                                                                                   \
		if ((p) == NULL) {                                                             \
			print_message("# skipped: ../shared/vectors/nvidia is not present\n"); \
			skip();                                                                \
		}                                                                              \
	} while (0)

/* The RIM service stand-in: a forked TLS server, its port, CA file and request log. */
static struct {
	char *dir, *ca_pem, *log;
	char *rim;          /* the RIM text it serves, or NULL without ../shared */
	int port;
	pid_t pid;
} svc;

/* --- the TLS server --- */

static X509 *
mk_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *c = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), issuer != NULL ? 2 : 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(issuer != NULL ? issuer : c));
	X509_gmtime_adj(X509_getm_notBefore(c), -86400L);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400L);
	X509_set_pubkey(c, key);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : c, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, issuer != NULL ? NID_subject_alt_name : NID_basic_constraints,
	    issuer != NULL ? "IP:127.0.0.1" : "critical,CA:TRUE");
	assert_non_null(ext);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return c;
}

/* A server context with a certificate for 127.0.0.1 from a CA written to svc.ca_pem. */
static SSL_CTX *
server_ctx(void)
{
	EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1"), *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "prime256v1");
	X509 *ca = mk_cert("attestgate test RIM service CA", ca_key, NULL, NULL), *srv = mk_cert("127.0.0.1", key, ca, ca_key);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	FILE *f = fopen(svc.ca_pem, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, ca), 1);
	fclose(f);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, srv), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return ctx;
}

/* The body and status the stand-in answers for a request path. */
static char *
answer_for(const char *path, int *status)
{
	char *b64 = ag_b64_encode((const uint8_t *)svc.rim, strlen(svc.rim)), *out = malloc(strlen(b64) + 256);
	char *hello = ag_b64_encode((const uint8_t *)"hello", 5);

	*status = 200;
	if (strcmp(path, "/v1/rim/" ID) == 0)
		sprintf(out, "{\"id\": \"%s\", \"rim\": \"%s\", \"sha256\": \"x\"}", ID, b64);
	else if (strcmp(path, "/v1/rim/OTHER") == 0)
		sprintf(out, "{\"id\": \"%s\", \"rim\": \"%s\"}", ID, b64);
	else if (strcmp(path, "/v1/rim/NOTJSON") == 0)
		sprintf(out, "<html>not JSON</html>");
	else if (strcmp(path, "/v1/rim/NOID") == 0)
		sprintf(out, "{\"rim\": \"%s\"}", b64);
	else if (strcmp(path, "/v1/rim/NOTB64") == 0)
		sprintf(out, "{\"id\": \"NOTB64\", \"rim\": \"!!!!\"}");
	else if (strcmp(path, "/v1/rim/NOTRIM") == 0)
		sprintf(out, "{\"id\": \"NOTRIM\", \"rim\": \"%s\"}", hello);
	else if (strcmp(path, "/v1/rim/BROKEN") == 0)
		sprintf(out, "{\"error\": \"down\"}");
	else
		sprintf(out, "{\"error\": \"no such RIM\"}");
	if (strcmp(path, "/v1/rim/BROKEN") == 0)
		*status = 500;
	else if (strstr(out, "no such RIM") != NULL)
		*status = 404;
	free(b64);
	free(hello);
	return out;
}

/* Reads one request head from ssl, logs its first line, answers it. */
static void
serve_one(SSL *ssl)
{
	char req[8192] = "", path[512] = "", head[256], *body;
	size_t n = 0;
	int status, r;
	FILE *f;

	while (n < sizeof(req) - 1 && strstr(req, "\r\n\r\n") == NULL &&
	    (r = SSL_read(ssl, req + n, (int)(sizeof(req) - 1 - n))) > 0)
		req[n += (size_t)r] = '\0';
	if (sscanf(req, "GET %511s HTTP/1.1", path) != 1)
		return;
	if ((f = fopen(svc.log, "a")) != NULL) {
		fprintf(f, "GET %s\n", path);
		fclose(f);
	}
	body = answer_for(path, &status);
	snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, strlen(body));
	SSL_write(ssl, head, (int)strlen(head));
	SSL_write(ssl, body, (int)strlen(body));
	free(body);
}

/* The forked server: every connection on s answered over TLS, until the test stops it. */
static void
serve(int s, SSL_CTX *ctx)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		int c = accept(s, NULL, NULL);
		SSL *ssl;

		if (c < 0)
			continue;
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, c);
		if (SSL_accept(ssl) == 1) {
			serve_one(ssl);
			SSL_shutdown(ssl);
		}
		SSL_free(ssl);
		ERR_clear_error();
		close(c);
	}
}

static int
listen_loopback(int *port)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 16), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	return s;
}

static int
setup(void **state)
{
	size_t len;
	SSL_CTX *ctx;
	int s;

	(void)state;
	svc.dir = tu_mkdtemp();
	svc.ca_pem = tu_path(svc.dir, "ca.pem");
	svc.log = tu_path(svc.dir, "requests.log");
	svc.rim = (char *)tu_vec_in(DIR545, DRIVER545, &len);
	if (svc.rim == NULL)
		return 0;
	ctx = server_ctx();
	s = listen_loopback(&svc.port);
	fflush(NULL);
	svc.pid = fork();
	if (svc.pid == 0)
		serve(s, ctx);
	close(s);
	SSL_CTX_free(ctx);
	return svc.pid > 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	if (svc.pid > 0) {
		kill(svc.pid, SIGTERM);
		waitpid(svc.pid, NULL, 0);
	}
	tu_rmtree(svc.dir);
	free(svc.dir);
	free(svc.ca_pem);
	free(svc.log);
	free(svc.rim);
	return 0;
}

/* --- helpers --- */

/* A source of the stand-in service (deadline ms from now), or of url. */
static struct ag_gpu_rim_source
service_source(const char *url, char *buf, size_t size, int64_t ms)
{
	struct ag_gpu_rim_source s;

	memset(&s, 0, sizeof(s));
	if (url == NULL)
		snprintf(buf, size, "https://127.0.0.1:%d", svc.port);
	else
		snprintf(buf, size, "%s", url);
	s.service_url = buf;
	s.http.ca_file = svc.ca_pem;
	s.http.deadline_ms = ag_clock_mono_ms() + ms;
	return s;
}

/* ag_gpu_rim_get that must fail with code, naming why. */
static void
get_fails(const struct ag_gpu_rim_source *s, const char *id, enum ag_code code, const char *why)
{
	struct ag_nv_rim *rim = (struct ag_nv_rim *)&rim;
	const char *origin = NULL;
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	rc = ag_gpu_rim_get(s, id, &rim, &origin, &err);
	if (rc != code || strstr(err.msg, why) == NULL)
		fail_msg("%s: rc %d, \"%s\" lacks \"%s\"", id, rc, err.msg, why);
	assert_null(rim);
}

/* The stand-in's request log so far (a new string, "" when none). */
static char *
requests(void)
{
	char *s = tu_read(svc.dir, "requests.log", NULL);

	return s != NULL ? s : strdup("");
}

#define SKIP_WITHOUT_SERVICE() SKIP_WITHOUT(svc.rim)

/* --- sources and lists --- */

static void
test_source_set(void **state)
{
	struct ag_gpu_rim_source s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(ag_gpu_rim_source_set(&s), 0);
	s.n_files = 1;
	assert_int_not_equal(ag_gpu_rim_source_set(&s), 0);
	s.n_files = 0;
	s.dir = "/nonexistent";
	assert_int_not_equal(ag_gpu_rim_source_set(&s), 0);
	s.dir = NULL;
	s.service_url = AG_NV_RIM_SERVICE_URL;
	assert_int_not_equal(ag_gpu_rim_source_set(&s), 0);
	/* An HTTP option alone is no source. */
	s.service_url = NULL;
	s.http.deadline_ms = 1;
	assert_int_equal(ag_gpu_rim_source_set(&s), 0);
}

static void
test_file_list(void **state)
{
	struct ag_gpu_settings st;
	struct ag_gpu_opts o;
	struct ag_err err;
	char list[512];
	size_t n = 0;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.rims = "a.xml\nb.swidtag\n\n/abs/c.xml\n";
	assert_int_equal(ag_gpu_opts_from(&st, &o, &err), AG_OK);
	assert_int_equal(o.rims.n_files, 3);
	assert_string_equal(o.rims.files[0], "a.xml");
	assert_string_equal(o.rims.files[1], "b.swidtag");
	assert_string_equal(o.rims.files[2], "/abs/c.xml");
	assert_int_not_equal(ag_gpu_rim_source_set(&o.rims), 0);
	assert_null(o.rims.dir);
	assert_null(o.rims.service_url);
	ag_gpu_opts_clear(&o);
	/* 16 files are the most. */
	for (int i = 0; i < AG_GPU_RIM_FILES_MAX; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "rim%d.xml\n", i);
	st.rims = list;
	assert_int_equal(ag_gpu_opts_from(&st, &o, &err), AG_OK);
	assert_int_equal(o.rims.n_files, AG_GPU_RIM_FILES_MAX);
	assert_string_equal(o.rims.files[15], "rim15.xml");
	ag_gpu_opts_clear(&o);
	snprintf(list + n, sizeof(list) - n, "rim16.xml");
	ag_err_clear(&err);
	assert_int_equal(ag_gpu_opts_from(&st, &o, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "--gpu-rim: at most 16 files"));
	ag_gpu_opts_clear(&o);
	/* No list: no files, no source. */
	st.rims = NULL;
	assert_int_equal(ag_gpu_opts_from(&st, &o, &err), AG_OK);
	assert_int_equal(o.rims.n_files, 0);
	assert_int_equal(ag_gpu_rim_source_set(&o.rims), 0);
	ag_gpu_opts_clear(&o);
}

/* --- files and directories --- */

static void
test_read_file(void **state)
{
	char *dir, *p;
	struct ag_nv_rim *rim = NULL;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT_SERVICE();
	dir = tu_mkdtemp();
	tu_write(dir, "good.xml", svc.rim);
	p = tu_path(dir, "good.xml");
	assert_int_equal(ag_gpu_rim_read_file(p, &rim, &err), AG_OK);
	assert_string_equal(rim->version, "545.00");
	ag_nv_rim_free(rim);
	free(p);
	/* Missing: the error names the path. */
	p = tu_path(dir, "missing.xml");
	ag_err_clear(&err);
	assert_int_not_equal(ag_gpu_rim_read_file(p, &rim, &err), AG_OK);
	assert_non_null(strstr(err.msg, p));
	free(p);
	/* Not a RIM: AG_EINVALID, the path first. */
	tu_write(dir, "broken.xml", "<SoftwareIdentity>");
	p = tu_path(dir, "broken.xml");
	ag_err_clear(&err);
	rim = (struct ag_nv_rim *)&rim;
	assert_int_equal(ag_gpu_rim_read_file(p, &rim, &err), AG_EINVALID);
	assert_null(rim);
	assert_int_equal(strncmp(err.msg, p, strlen(p)), 0);
	assert_non_null(strstr(err.msg, "RIM: not well-formed XML"));
	free(p);
	tu_rmtree(dir);
	free(dir);
}

/* ag_gpu_rim_get from s must find the 545 driver RIM, from origin. */
static void
get_finds(const struct ag_gpu_rim_source *s, const char *id, const char *want_origin)
{
	struct ag_nv_rim *rim = NULL;
	const char *origin = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_gpu_rim_get(s, id, &rim, &origin, &err) != AG_OK)
		fail_msg("%s: %s", id, err.msg);
	assert_non_null(rim);
	assert_string_equal(rim->version, "545.00");
	assert_int_equal(rim->n_measurements, 21);
	assert_string_equal(origin, want_origin);
	ag_nv_rim_free(rim);
}

static void
test_directory(void **state)
{
	static const char *const names[] = { ID, ID ".xml", ID ".swidtag" };
	char *dir, *p;
	struct ag_gpu_rim_source s;
	struct ag_nv_rim *rim = (struct ag_nv_rim *)&rim;
	const char *origin;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT_SERVICE();
	dir = tu_mkdtemp();
	memset(&s, 0, sizeof(s));
	s.dir = dir;
	for (size_t i = 0; i < 3; i++) {
		tu_write(dir, names[i], svc.rim);
		get_finds(&s, ID, "dir");
		p = tu_path(dir, names[i]);
		unlink(p);
		free(p);
	}
	/* Not there, and no service: no RIM, no error. */
	assert_int_equal(ag_gpu_rim_get(&s, ID, &rim, &origin, &err), AG_OK);
	assert_null(rim);
	/* Another extension is not looked at. */
	tu_write(dir, ID ".txt", svc.rim);
	assert_int_equal(ag_gpu_rim_get(&s, ID, &rim, &origin, &err), AG_OK);
	assert_null(rim);
	/* DIR/ID comes first: a broken one there is an error, naming it, though ID.xml is good. */
	tu_write(dir, ID ".xml", svc.rim);
	tu_write(dir, ID, "not a RIM");
	get_fails(&s, ID, AG_EINVALID, "/" ID ": RIM: not well-formed XML");
	tu_rmtree(dir);
	free(dir);
}

static void
test_not_plain_names(void **state)
{
	static const char *const bad[] = { "a/b", "..", "../etc/passwd", ".hidden", "", "NV GPU", "%2e%2e", "id?x=1",
		"id#x", "a\\b", "x\ny" };
	char url[128], *log, longid[200];
	struct ag_gpu_rim_source s = service_source(NULL, url, sizeof(url), 5000);
	struct ag_nv_rim *rim = (struct ag_nv_rim *)&rim;
	const char *origin;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT_SERVICE();
	s.dir = "/";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		get_fails(&s, bad[i], AG_EINVALID, "which is not a plain name");
	memset(longid, 'A', 129);
	longid[129] = '\0';
	get_fails(&s, longid, AG_EINVALID, "not a plain name");
	/* None of them reached the service. */
	log = requests();
	assert_string_equal(log, "");
	free(log);
	/* 128 characters are a plain name: asked of the service (which has no such RIM). */
	longid[128] = '\0';
	s.dir = NULL;
	assert_int_equal(ag_gpu_rim_get(&s, longid, &rim, &origin, &err), AG_OK);
	assert_null(rim);
	log = requests();
	assert_non_null(strstr(log, longid));
	free(log);
}

/* --- the RIM service --- */

static void
test_service_good(void **state)
{
	char url[128], *log, *dir;
	struct ag_gpu_rim_source s = service_source(NULL, url, sizeof(url), 10000);

	(void)state;
	SKIP_WITHOUT_SERVICE();
	get_finds(&s, ID, "service");
	log = requests();
	assert_non_null(strstr(log, "GET /v1/rim/" ID "\n"));
	free(log);
	/* A directory without the RIM falls back to the service. */
	dir = tu_mkdtemp();
	s.dir = dir;
	get_finds(&s, ID, "service");
	/* The directory wins when it has it. */
	tu_write(dir, ID ".swidtag", svc.rim);
	get_finds(&s, ID, "dir");
	tu_rmtree(dir);
	free(dir);
}

static void
test_service_bad_answers(void **state)
{
	char url[128];
	struct ag_gpu_rim_source s = service_source(NULL, url, sizeof(url), 10000);
	struct ag_nv_rim *rim = (struct ag_nv_rim *)&rim;
	const char *origin;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT_SERVICE();
	get_fails(&s, "OTHER", AG_EVERIFIER, "NVIDIA RIM service: asked for OTHER, answered " ID);
	get_fails(&s, "NOTJSON", AG_EVERIFIER, "NVIDIA RIM service: the answer for NOTJSON is not {\"id\", \"rim\"} JSON");
	get_fails(&s, "NOID", AG_EVERIFIER, "the answer for NOID is not {\"id\", \"rim\"} JSON");
	get_fails(&s, "NOTB64", AG_EVERIFIER, "NVIDIA RIM service: the RIM of NOTB64 is not base64");
	get_fails(&s, "NOTRIM", AG_EINVALID, "NVIDIA RIM service: NOTRIM: RIM: not well-formed XML");
	/* 404: the service has no such RIM, which is no error here. */
	assert_int_equal(ag_gpu_rim_get(&s, "NV_GPU_DRIVER_GH100_999.99", &rim, &origin, &err), AG_OK);
	assert_null(rim);
	assert_string_equal(origin, "service");
}

static void
test_service_failures(void **state)
{
	char url[128];
	struct ag_gpu_rim_source s = service_source(NULL, url, sizeof(url), 1500);
	int64_t t0 = ag_clock_mono_ms();

	(void)state;
	SKIP_WITHOUT_SERVICE();
	/* 500 is retried until the deadline, then AG_EVERIFIER. */
	get_fails(&s, "BROKEN", AG_EVERIFIER, "/v1/rim/BROKEN: unavailable (HTTP 500)");
	assert_true(ag_clock_mono_ms() - t0 < 5000);
	/* Plain http is refused before anything is sent. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", svc.port);
	get_fails(&s, ID, AG_ECONFIG, "only https:// URLs are allowed");
	/* A server whose certificate the CA file does not vouch for. */
	s = service_source(NULL, url, sizeof(url), 1500);
	s.http.ca_file = NULL;
	t0 = ag_clock_mono_ms();
	get_fails(&s, ID, AG_EVERIFIER, "SSL certificate problem");
	assert_true(ag_clock_mono_ms() - t0 < 5000);
}

static void
test_service_unreachable(void **state)
{
	char url[128], buf[128];
	int port, fd = listen_loopback(&port);
	struct ag_gpu_rim_source s;
	int64_t t0;

	(void)state;
	close(fd);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	s = service_source(url, buf, sizeof(buf), 1500);
	s.http.ca_file = NULL;   /* the system's: nothing answers anyway */
	t0 = ag_clock_mono_ms();
	get_fails(&s, ID, AG_EVERIFIER, "NVIDIA RIM service: https://127.0.0.1:");
	assert_true(ag_clock_mono_ms() - t0 < 4000);
	/* A deadline already past: at once. */
	s.http.deadline_ms = ag_clock_mono_ms() - 1;
	t0 = ag_clock_mono_ms();
	get_fails(&s, ID, AG_EVERIFIER, "deadline exceeded");
	assert_true(ag_clock_mono_ms() - t0 < 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_set),
		cmocka_unit_test(test_file_list),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_not_plain_names),
		cmocka_unit_test(test_service_good),
		cmocka_unit_test(test_service_bad_answers),
		cmocka_unit_test(test_service_failures),
		cmocka_unit_test(test_service_unreachable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
