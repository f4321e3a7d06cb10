/*
 * test_gpu_ocsp.c - lib/verifier/gpu_ocsp.c on P-384 chains built here
 * with OpenSSL: a device-shaped chain of 5 (leaf, 3 intermediates, root;
 * first = 1, so the leaf is never asked about) and a RIM-shaped chain of 2
 * (first = 0).  Whether a source is set; no source: nothing checked;
 * pre-fetched response files (in any order, with files about other
 * certificates among them): all good, the earliest nextUpdate, a
 * certificate no file answers for, a file that is garbage, missing, badly
 * signed or stale, revoked and unknown answers; the responder over plain
 * HTTP on 127.0.0.1 (a forked child answering each POST with a response
 * built for the request's nonce, reporting which certificate it was asked
 * about): good, files and responder mixed, no or another nonce echoed, a
 * revoked answer, a body that is no response, HTTP 500 (retried) and 403
 * (not), and a refused connection, within the deadline.  Nothing leaves the loopback interface.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "base/clock.h"
#include "verifier/gpu_ocsp.h"

#define T2020 1577836800   /* 2020-01-01: every certificate's notBefore */
#define AT 1735689600      /* 2025-01-01: the verification time */
#define T2100 4102444800   /* 2100-01-01: every certificate's notAfter */
#define DAY 86400
#define DEV_WHAT "GPU 0 device chain"
#define RIM_WHAT "GPU 0 RIM chain"

/* --- the chains, made once --- */

#define CHAIN_MAX 5

struct chain {
	int n;
	X509 *c[CHAIN_MAX];          /* leaf first, root last */
	EVP_PKEY *k[CHAIN_MAX];
	STACK_OF(X509) *s;           /* the same certificates */
};

static struct chain DEV, RIM;
static char *dir;                /* scratch directory of the response files */

static const char *const dev_cns[] = { "TEST GPU FMC LF", "TEST GPU BROM", "TEST GPU Provisioner ICA", "TEST GPU Identity",
	"TEST Device Identity CA" };
static const char *const rim_cns[] = { "TEST RIM Signer", "TEST RIM Root CA" };

static void
add_ext(X509 *c, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, c, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(c, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* Certificate i of ch (its key made here), issued by certificate i + 1 (the last: self-signed). */
static void
mk_cert(struct chain *ch, int i, const char *cn)
{
	static uint64_t serial = 0x2000;
	int self = i == ch->n - 1, ca = i > 0;
	X509 *c = X509_new(), *issuer = self ? c : ch->c[i + 1];

	assert_non_null(c);
	assert_non_null(ch->k[i] = EVP_EC_gen("P-384"));
	X509_set_version(c, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(c), serial++);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "O", MBSTRING_ASC, (const unsigned char *)"attestgate test", -1,
	    -1, 0);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(issuer));
	ASN1_TIME_set(X509_getm_notBefore(c), T2020);
	ASN1_TIME_set(X509_getm_notAfter(c), T2100);
	X509_set_pubkey(c, ch->k[i]);
	add_ext(c, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(c, issuer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	assert_true(X509_sign(c, self ? ch->k[i] : ch->k[i + 1], EVP_sha384()) > 0);
	ch->c[i] = c;
}

static void
mk_chain(struct chain *ch, int n, const char *const *cns)
{
	ch->n = n;
	for (int i = n - 1; i >= 0; i--)
		mk_cert(ch, i, cns[i]);
	ch->s = sk_X509_new_null();
	assert_non_null(ch->s);
	for (int i = 0; i < n; i++)
		sk_X509_push(ch->s, ch->c[i]);
}

static void
free_chain(struct chain *ch)
{
	sk_X509_free(ch->s);
	for (int i = 0; i < ch->n; i++) {
		X509_free(ch->c[i]);
		EVP_PKEY_free(ch->k[i]);
	}
}

static int
setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	mk_chain(&DEV, 5, dev_cns);
	mk_chain(&RIM, 2, rim_cns);
	dir = tu_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free_chain(&DEV);
	free_chain(&RIM);
	tu_rmtree(dir);
	free(dir);
	return 0;
}

/* --- responses --- */

/* One answer about certificate i of a chain, signed by its issuer. */
struct answer {
	int status, reason;          /* V_OCSP_CERTSTATUS_*; OCSP_REVOKED_STATUS_* or -1 */
	time_t this_upd, next_upd;   /* next_upd 0: none */
	OCSP_REQUEST *req;           /* its nonce echoed, or NULL */
	const uint8_t *nonce;        /* or this nonce echoed, or NULL */
	const struct chain *by;      /* signed by certificate by_i of this chain instead of the issuer, or NULL */
	int by_i;
};

static const struct answer GOOD = { V_OCSP_CERTSTATUS_GOOD, -1, AT - 3600, AT + DAY, NULL, NULL, NULL, 0 };

/* The DER OCSPResponse about ch's certificate i (OPENSSL_free it); NULL when something failed (the server child). */
static uint8_t *
mk_resp(const struct chain *ch, int i, const struct answer *a, int *len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), ch->c[i], ch->c[i + 1]);
	ASN1_GENERALIZEDTIME *tu = ASN1_GENERALIZEDTIME_set(NULL, a->this_upd);
	ASN1_GENERALIZEDTIME *nu = a->next_upd != 0 ? ASN1_GENERALIZEDTIME_set(NULL, a->next_upd) : NULL;
	OCSP_RESPONSE *resp = NULL;
	uint8_t *der = NULL;
	int ok = bs != NULL && id != NULL && tu != NULL &&
	    OCSP_basic_add1_status(bs, id, a->status, a->reason, a->status == V_OCSP_CERTSTATUS_REVOKED ? tu : NULL, tu, nu) !=
	    NULL;

	if (ok && a->req != NULL)
		ok = OCSP_copy_nonce(bs, a->req) == 1;
	if (ok && a->nonce != NULL)
		ok = OCSP_basic_add1_nonce(bs, (unsigned char *)a->nonce, AG_OCSP_NONCE_LEN) == 1;
	if (ok && a->by != NULL)
		ok = OCSP_basic_sign(bs, a->by->c[a->by_i], a->by->k[a->by_i], EVP_sha384(), NULL, 0) == 1;
	else if (ok)
		ok = OCSP_basic_sign(bs, ch->c[i + 1], ch->k[i + 1], EVP_sha384(), NULL, 0) == 1;
	if (ok && (resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) != NULL)
		*len = i2d_OCSP_RESPONSE(resp, &der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_GENERALIZEDTIME_free(tu);
	ASN1_GENERALIZEDTIME_free(nu);
	return der;
}

/* Writes the answer about ch's certificate i to the scratch file name; returns its path (static storage per name). */
static const char *
resp_file(const struct chain *ch, int i, const struct answer *a, const char *name)
{
	static char paths[16][256];
	static int next;
	char *p = paths[next++ % 16];
	int len = 0;
	uint8_t *der = mk_resp(ch, i, a, &len);
	FILE *f;

	assert_non_null(der);
	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(der, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	OPENSSL_free(der);
	return p;
}

/* An answer like GOOD expiring next_upd. */
static struct answer
good_until(time_t next_upd)
{
	struct answer a = GOOD;

	a.next_upd = next_upd;
	return a;
}

static void
add_file(struct ag_gpu_ocsp_source *s, const char *path)
{
	assert_true(s->n_files < AG_GPU_OCSP_FILES_MAX);
	s->files[s->n_files++] = path;
}

/* ag_gpu_ocsp_chain at AT; r is filled with junk first. */
static enum ag_code
run(const struct ag_gpu_ocsp_source *s, const struct chain *ch, int first, const char *what, struct ag_gpu_ocsp_result *r,
    struct ag_err *err)
{
	ag_err_clear(err);
	memset(r, 0x5a, sizeof(*r));
	return ag_gpu_ocsp_chain(s, ch->s, first, AT, what, r, err);
}

/* The call fails with code, the message starting with what and containing each of the NULL-ended strings. */
static void
run_fails(const struct ag_gpu_ocsp_source *s, const struct chain *ch, int first, const char *what, enum ag_code code, ...)
{
	struct ag_gpu_ocsp_result r;
	struct ag_err err;
	enum ag_code rc = run(s, ch, first, what, &r, &err);
	const char *why;
	va_list ap;

	va_start(ap, code);
	if (rc != code || strncmp(err.msg, what, strlen(what)) != 0)
		fail_msg("rc %d (want %d, \"%s\"): \"%s\"", rc, code, va_arg(ap, const char *), err.msg);
	while ((why = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, why) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	va_end(ap);
}

/* --- sources --- */

static void
test_source_set(void **state)
{
	struct ag_gpu_ocsp_source s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_false(ag_gpu_ocsp_source_set(&s));
	/* A file slot filled but not counted is no source. */
	s.files[0] = "x.der";
	assert_false(ag_gpu_ocsp_source_set(&s));
	s.n_files = 1;
	assert_true(ag_gpu_ocsp_source_set(&s));
	s.n_files = 0;
	s.url = "http://127.0.0.1:1";
	assert_true(ag_gpu_ocsp_source_set(&s));
}

static void
test_no_source(void **state)
{
	struct ag_gpu_ocsp_source s;
	struct ag_gpu_ocsp_result r;
	struct ag_err err;

	(void)state;
	memset(&s, 0, sizeof(s));
	/* HTTP options alone are no source. */
	s.http.deadline_ms = ag_clock_mono_ms() + 1000;
	assert_int_equal(run(&s, &DEV, 1, DEV_WHAT, &r, &err), AG_OK);
	assert_int_equal(r.checked, 0);
	assert_int_equal(r.online, 0);
	assert_int_equal(r.next_update, 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(run(&s, &RIM, 0, RIM_WHAT, &r, &err), AG_OK);
	assert_int_equal(r.checked, 0);
}

/* --- pre-fetched responses --- */

static void
test_files_device_chain(void **state)
{
	struct ag_gpu_ocsp_source s;
	struct ag_gpu_ocsp_result r;
	struct ag_err err;
	struct answer a;

	(void)state;
	memset(&s, 0, sizeof(s));
	/* Out of order, with a response about the leaf (not asked about) and one about the RIM chain. */
	a = good_until(AT + 3 * DAY);
	add_file(&s, resp_file(&DEV, 3, &a, "identity.der"));
	add_file(&s, resp_file(&DEV, 0, &GOOD, "leaf.der"));
	add_file(&s, resp_file(&RIM, 0, &GOOD, "rim.der"));
	a = good_until(AT + DAY + 7);
	add_file(&s, resp_file(&DEV, 2, &a, "ica.der"));
	a = good_until(AT + 2 * DAY);
	add_file(&s, resp_file(&DEV, 1, &a, "brom.der"));
	if (run(&s, &DEV, 1, DEV_WHAT, &r, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(r.checked, 1);
	assert_int_equal(r.online, 0);
	assert_int_equal(r.next_update, AT + DAY + 7);
	/* The error of the files about other certificates is not left behind on success. */
	assert_int_equal(err.code, AG_OK);
	/* A pre-fetched response without nextUpdate cannot be shown current: refused, naming the file. */
	a = good_until(0);
	s.files[4] = resp_file(&DEV, 1, &a, "brom-open.der");
	assert_int_equal(run(&s, &DEV, 1, DEV_WHAT, &r, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "brom-open.der"));
	assert_non_null(strstr(err.msg, "no nextUpdate"));
}

static void
test_files_rim_chain(void **state)
{
	struct ag_gpu_ocsp_source s;
	struct ag_gpu_ocsp_result r;
	struct ag_err err;
	struct answer a = good_until(AT + 5 * DAY);

	(void)state;
	memset(&s, 0, sizeof(s));
	add_file(&s, resp_file(&DEV, 1, &GOOD, "brom.der"));
	add_file(&s, resp_file(&RIM, 0, &a, "rim.der"));
	if (run(&s, &RIM, 0, RIM_WHAT, &r, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(r.checked, 1);
	assert_int_equal(r.online, 0);
	assert_int_equal(r.next_update, AT + 5 * DAY);
}

static void
test_files_missing_one(void **state)
{
	struct ag_gpu_ocsp_source s;

	(void)state;
	memset(&s, 0, sizeof(s));
	add_file(&s, resp_file(&DEV, 1, &GOOD, "brom.der"));
	add_file(&s, resp_file(&DEV, 3, &GOOD, "identity.der"));
	run_fails(&s, &DEV, 1, DEV_WHAT ": revocation", AG_EINVALID, "no OCSP response for \"TEST GPU Provisioner ICA\"",
	    "--gpu-ocsp-response", NULL);
	/* Only the leaf answered: the first certificate asked about is missing. */
	memset(&s, 0, sizeof(s));
	add_file(&s, resp_file(&DEV, 0, &GOOD, "leaf.der"));
	run_fails(&s, &DEV, 1, DEV_WHAT ": revocation", AG_EINVALID, "no OCSP response for \"TEST GPU BROM\"", NULL);
	run_fails(&s, &RIM, 0, RIM_WHAT ": revocation", AG_EINVALID, "no OCSP response for \"TEST RIM Signer\"", NULL);
}

static void
test_files_unusable(void **state)
{
	struct ag_gpu_ocsp_source s;
	char *garbage = tu_path(dir, "garbage.der"), *absent = tu_path(dir, "absent.der");
	struct answer a = GOOD;

	(void)state;
	tu_write(dir, "garbage.der", "not an OCSP response");
	memset(&s, 0, sizeof(s));
	/* The first file about the certificate decides: a good one after a bad one does not help. */
	add_file(&s, garbage);
	add_file(&s, resp_file(&RIM, 0, &GOOD, "rim.der"));
	run_fails(&s, &RIM, 0, RIM_WHAT ": revocation", AG_EINVALID, garbage, "not a DER OCSPResponse", NULL);
	s.files[0] = absent;
	run_fails(&s, &RIM, 0, RIM_WHAT ": revocation", AG_ECONFIG, absent, NULL);
	/* About the certificate, but signed by another CA: an error naming the file, not skipped for the next one. */
	a.by = &DEV;
	a.by_i = 4;
	s.files[0] = resp_file(&RIM, 0, &a, "rim-forged.der");
	s.files[1] = resp_file(&RIM, 0, &GOOD, "rim.der");
	run_fails(&s, &RIM, 0, RIM_WHAT ": revocation", AG_EINVALID, s.files[0], "signer", NULL);
	/* Stale. */
	a = GOOD;
	a.this_upd = AT - 3 * DAY;
	a.next_upd = AT - 2 * DAY;
	s.files[0] = resp_file(&RIM, 0, &a, "rim-stale.der");
	run_fails(&s, &RIM, 0, RIM_WHAT ": revocation", AG_EINVALID, s.files[0], "nextUpdate", NULL);
	free(garbage);
	free(absent);
}

static void
test_files_revoked_unknown(void **state)
{
	struct ag_gpu_ocsp_source s;
	struct answer a = GOOD;

	(void)state;
	memset(&s, 0, sizeof(s));
	add_file(&s, resp_file(&DEV, 1, &GOOD, "brom.der"));
	a.status = V_OCSP_CERTSTATUS_REVOKED;
	a.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
	add_file(&s, resp_file(&DEV, 2, &a, "ica-revoked.der"));
	add_file(&s, resp_file(&DEV, 3, &GOOD, "identity.der"));
	run_fails(&s, &DEV, 1, DEV_WHAT ": revocation", AG_EINVALID, "\"TEST GPU Provisioner ICA\" is revoked by OCSP",
	    "keyCompromise", NULL);
	a.status = V_OCSP_CERTSTATUS_UNKNOWN;
	a.reason = -1;
	s.files[1] = resp_file(&DEV, 2, &a, "ica-unknown.der");
	run_fails(&s, &DEV, 1, DEV_WHAT ": revocation", AG_EINVALID, "\"TEST GPU Provisioner ICA\" is unknown by OCSP", NULL);
}

/* --- the responder: a forked child on 127.0.0.1 --- */

enum mode { M_GOOD, M_NO_NONCE, M_OTHER_NONCE, M_REVOKED, M_500, M_403, M_GARBAGE };

struct server {
	pid_t pid;
	int port, report;            /* report: the read end of the child's "asked about" pipe */
	char url[64];
};

#define ASKED_500 'x'            /* reported for an attempt answered with HTTP 500 or 403 */

static int
listen_loopback(int *port)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Reads one request into b (NUL-terminated); its body and length, or NULL. */
static const uint8_t *
read_request(int c, char *b, size_t max, size_t *body_len)
{
	size_t len = 0;
	struct pollfd p = { c, POLLIN, 0 };

	while (len < max - 1 && poll(&p, 1, 5000) > 0) {
		ssize_t n = read(c, b + len, max - 1 - len);
		char *end, *cl;

		if (n <= 0)
			return NULL;
		len += (size_t)n;
		b[len] = '\0';
		if ((end = memmem(b, len, "\r\n\r\n", 4)) == NULL || (cl = strcasestr(b, "\r\nContent-Length:")) == NULL)
			continue;
		*body_len = strtoul(cl + 17, NULL, 10);
		if (len >= (size_t)(end + 4 - b) + *body_len)
			return (const uint8_t *)end + 4;
	}
	return NULL;
}

/* The index of the certificate of ch that req asks about, or -1. */
static int
asked_about(const struct chain *ch, OCSP_REQUEST *req)
{
	OCSP_CERTID *id;

	if (OCSP_request_onereq_count(req) != 1)
		return -1;
	id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
	for (int i = 0; i + 1 < ch->n; i++) {
		OCSP_CERTID *want = OCSP_cert_to_id(EVP_sha1(), ch->c[i], ch->c[i + 1]);
		int same = want != NULL && OCSP_id_cmp(want, id) == 0;

		OCSP_CERTID_free(want);
		if (same)
			return i;
	}
	return -1;
}

/* The answer of a server in mode m to req about certificate i, as an HTTP response into *out (free it). */
static size_t
answer(const struct chain *ch, enum mode m, OCSP_REQUEST *req, int i, char **out)
{
	static const uint8_t other[AG_OCSP_NONCE_LEN] = { 1, 2, 3 };
	struct answer a = GOOD;
	int len = 0;
	uint8_t *der;
	size_t n;

	a.req = m == M_GOOD || m == M_REVOKED ? req : NULL;
	a.nonce = m == M_OTHER_NONCE ? other : NULL;
	a.status = m == M_REVOKED ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
	a.reason = m == M_REVOKED ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1;
	a.next_upd = AT + DAY + i;
	der = m == M_GARBAGE ? NULL : mk_resp(ch, i, &a, &len);
	*out = malloc(256 + (size_t)len);
	if (*out == NULL)
		return 0;
	if (m == M_GARBAGE)
		return (size_t)snprintf(*out, 256, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\ngarbage");
	n = (size_t)snprintf(*out, 256, "HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: %d\r\n"
	    "Connection: close\r\n\r\n", len);
	if (der != NULL)
		memcpy(*out + n, der, (size_t)len);
	OPENSSL_free(der);
	return n + (size_t)len;
}

static const char BAD_REQUEST[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char ERROR_500[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
static const char ERROR_403[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/* Serves one connection; writes what it was asked about to report. */
static void
serve_one(const struct chain *ch, enum mode m, int c, int report)
{
	static char b[8192];
	size_t body_len = 0, n;
	const uint8_t *body = read_request(c, b, sizeof(b), &body_len);
	OCSP_REQUEST *req = NULL;
	char *out = NULL, asked = ASKED_500;
	int i = -1;

	if (body != NULL && strncmp(b, "POST ", 5) == 0 && strcasestr(b, "\r\nContent-Type: application/ocsp-request\r\n"))
		req = d2i_OCSP_REQUEST(NULL, &body, (long)body_len);
	if (req != NULL)
		i = asked_about(ch, req);
	/* Reported before the answer: the parent stops this child once it has one. */
	if (m == M_500 || m == M_403) {
		const char *e = m == M_500 ? ERROR_500 : ERROR_403;

		(void)!write(report, &asked, 1);
		(void)!send(c, e, strlen(e), MSG_NOSIGNAL);
	} else if (i < 0 || (n = answer(ch, m, req, i, &out)) == 0) {
		asked = '?';
		(void)!write(report, &asked, 1);
		(void)!send(c, BAD_REQUEST, strlen(BAD_REQUEST), MSG_NOSIGNAL);
	} else {
		asked = (char)('0' + i);
		(void)!write(report, &asked, 1);
		(void)!send(c, out, n, MSG_NOSIGNAL);
	}
	free(out);
	OCSP_REQUEST_free(req);
}

/* The child: serves until killed (or 30 s at most). */
static void
serve(const struct chain *ch, enum mode m, int fd, int report)
{
	alarm(30);
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			_exit(1);
		serve_one(ch, m, c, report);
		close(c);
	}
}

static struct server
server_start(const struct chain *ch, enum mode m)
{
	struct server s;
	int p[2], fd = listen_loopback(&s.port);

	assert_int_equal(pipe(p), 0);
	s.pid = fork();
	assert_true(s.pid >= 0);
	if (s.pid == 0) {
		close(p[0]);
		serve(ch, m, fd, p[1]);
	}
	close(p[1]);
	close(fd);
	s.report = p[0];
	snprintf(s.url, sizeof(s.url), "http://127.0.0.1:%d", s.port);
	return s;
}

/* Stops the child; what it was asked about, in order ('0' + index, ASKED_500, '?' for a bad request). */
static void
server_stop(struct server *s, char *asked, size_t max)
{
	ssize_t n;
	size_t len = 0;

	kill(s->pid, SIGTERM);
	assert_int_equal(waitpid(s->pid, NULL, 0), s->pid);
	while (len < max - 1 && (n = read(s->report, asked + len, max - 1 - len)) > 0)
		len += (size_t)n;
	asked[len] = '\0';
	close(s->report);
}

/* A source naming the server, with a deadline in ms from now and at most attempts attempts (0: any). */
static void
online_source(struct ag_gpu_ocsp_source *src, const char *url, int64_t ms, int attempts)
{
	memset(src, 0, sizeof(*src));
	src->url = url;
	src->http.deadline_ms = ag_clock_mono_ms() + ms;
	src->http.max_attempts = attempts;
}

static void
test_responder_good(void **state)
{
	struct server srv = server_start(&DEV, M_GOOD);
	struct ag_gpu_ocsp_source s;
	struct ag_gpu_ocsp_result r;
	struct ag_err err;
	char asked[16];
	enum ag_code rc;

	(void)state;
	online_source(&s, srv.url, 10000, 0);
	rc = run(&s, &DEV, 1, DEV_WHAT, &r, &err);
	server_stop(&srv, asked, sizeof(asked));
	if (rc != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(r.checked, 1);
	assert_int_equal(r.online, 1);
	assert_int_equal(r.next_update, AT + DAY + 1);
	/* Each certificate below the root once, the leaf never. */
	assert_string_equal(asked, "123");
	srv = server_start(&RIM, M_GOOD);
	online_source(&s, srv.url, 10000, 0);
	rc = run(&s, &RIM, 0, RIM_WHAT, &r, &err);
	server_stop(&srv, asked, sizeof(asked));
	if (rc != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(r.online, 1);
	assert_string_equal(asked, "0");
}

/* Files first, the responder for the rest: not all answers carried our nonce. */
static void
test_responder_and_files(void **state)
{
	struct server srv = server_start(&DEV, M_GOOD);
	struct ag_gpu_ocsp_source s;
	struct ag_gpu_ocsp_result r;
	struct ag_err err;
	struct answer a = good_until(AT + 3600);
	char asked[16];
	enum ag_code rc;

	(void)state;
	online_source(&s, srv.url, 10000, 0);
	add_file(&s, resp_file(&DEV, 2, &a, "ica.der"));
	rc = run(&s, &DEV, 1, DEV_WHAT, &r, &err);
	server_stop(&srv, asked, sizeof(asked));
	if (rc != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(r.checked, 1);
	assert_int_equal(r.online, 0);
	assert_int_equal(r.next_update, AT + 3600);
	assert_string_equal(asked, "13");
}

/* The server in mode m answers about ch; the call fails with code and the message has why. */
static void
responder_fails(const struct chain *ch, int first, const char *what, enum mode m, enum ag_code code, const char *why)
{
	struct server srv = server_start(ch, m);
	struct ag_gpu_ocsp_source s;
	char asked[16], prefix[128];

	online_source(&s, srv.url, 10000, 0);
	snprintf(prefix, sizeof(prefix), "%s: revocation", what);
	run_fails(&s, ch, first, prefix, code, why, NULL);
	server_stop(&srv, asked, sizeof(asked));
	/* It stopped at the first certificate asked about. */
	assert_int_equal(strlen(asked), 1);
	assert_int_equal(asked[0], '0' + first);
}

static void
test_responder_nonce(void **state)
{
	(void)state;
	responder_fails(&DEV, 1, DEV_WHAT, M_NO_NONCE, AG_EINVALID, "does not echo the request's nonce");
	responder_fails(&DEV, 1, DEV_WHAT, M_OTHER_NONCE, AG_EINVALID, "does not echo the request's nonce");
	responder_fails(&RIM, 0, RIM_WHAT, M_NO_NONCE, AG_EINVALID, "nonce");
}

static void
test_responder_revoked(void **state)
{
	(void)state;
	responder_fails(&DEV, 1, DEV_WHAT, M_REVOKED, AG_EINVALID, "\"TEST GPU BROM\" is revoked by OCSP: keyCompromise");
	responder_fails(&RIM, 0, RIM_WHAT, M_REVOKED, AG_EINVALID, "\"TEST RIM Signer\" is revoked by OCSP");
}

static void
test_responder_garbage(void **state)
{
	(void)state;
	responder_fails(&RIM, 0, RIM_WHAT, M_GARBAGE, AG_EINVALID, "not a DER OCSPResponse");
}

static void
test_responder_http_500(void **state)
{
	struct server srv = server_start(&RIM, M_500);
	struct ag_gpu_ocsp_source s;
	char asked[16];
	int64_t t0 = ag_clock_mono_ms();

	(void)state;
	online_source(&s, srv.url, 1500, 1);
	run_fails(&s, &RIM, 0, RIM_WHAT ": revocation", AG_EVERIFIER, srv.url, NULL);
	assert_true(ag_clock_mono_ms() - t0 < 2500);
	server_stop(&srv, asked, sizeof(asked));
	assert_string_equal(asked, "x");
	/* Retried until the deadline when attempts are not limited, and still AG_EVERIFIER. */
	srv = server_start(&RIM, M_500);
	t0 = ag_clock_mono_ms();
	online_source(&s, srv.url, 1500, 0);
	run_fails(&s, &RIM, 0, RIM_WHAT ": revocation", AG_EVERIFIER, srv.url, NULL);
	assert_true(ag_clock_mono_ms() - t0 < 2500);
	server_stop(&srv, asked, sizeof(asked));
	assert_true(strlen(asked) >= 1);
}

/* A status that is not retried and not 200: the responder failed us, no answer to judge. */
static void
test_responder_http_403(void **state)
{
	struct server srv = server_start(&RIM, M_403);
	struct ag_gpu_ocsp_source s;
	char asked[16];

	(void)state;
	online_source(&s, srv.url, 10000, 0);
	run_fails(&s, &RIM, 0, RIM_WHAT ": revocation", AG_EVERIFIER, "answered HTTP 403", srv.url, NULL);
	server_stop(&srv, asked, sizeof(asked));
	assert_string_equal(asked, "x");
}

static void
test_responder_refused(void **state)
{
	int port, fd = listen_loopback(&port);
	struct ag_gpu_ocsp_source s;
	char url[64];
	int64_t t0;

	(void)state;
	close(fd);   /* nothing listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	t0 = ag_clock_mono_ms();
	online_source(&s, url, 1500, 0);
	run_fails(&s, &DEV, 1, DEV_WHAT ": revocation", AG_EVERIFIER, "OCSP responder", url, NULL);
	assert_true(ag_clock_mono_ms() - t0 < 2500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_set),
		cmocka_unit_test(test_no_source),
		cmocka_unit_test(test_files_device_chain),
		cmocka_unit_test(test_files_rim_chain),
		cmocka_unit_test(test_files_missing_one),
		cmocka_unit_test(test_files_unusable),
		cmocka_unit_test(test_files_revoked_unknown),
		cmocka_unit_test(test_responder_good),
		cmocka_unit_test(test_responder_and_files),
		cmocka_unit_test(test_responder_nonce),
		cmocka_unit_test(test_responder_revoked),
		cmocka_unit_test(test_responder_garbage),
		cmocka_unit_test(test_responder_http_500),
		cmocka_unit_test(test_responder_http_403),
		cmocka_unit_test(test_responder_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
