/*
 * test_http.c - lib/base/http.c against a server in a thread of this test,
 * on 127.0.0.1 with an ephemeral port (plain HTTP, or TLS with a CA made
 * here): methods, headers and bodies, statuses that are and are not
 * retried, Retry-After (seconds, dates, huge and malformed values), the
 * response cap (with and without Content-Length), redirects not followed,
 * attempt timeouts, the deadline, the cancel flag, refused connections,
 * TLS verification (CA, name, expiry) and the CA never taken from the
 * environment, and proxies never used for plain HTTP.  Nothing leaves the
 * loopback interface.  Known lib/ bugs are tested and skipped visibly.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/clock.h"
#include "base/http.h"

#define MAX_CONN 8
#define REQ_MAX 65536

/* What the server does with one connection. */
struct reply {
	const char *raw;   /* written as is after the request is read */
	int hang;          /* write nothing; wait until the client goes away */
	int no_read;       /* write raw at once, without reading a request */
};

struct server {
	int fd, port;
	pthread_t th;
	SSL_CTX *tls;                   /* NULL: plain HTTP */
	const struct reply *replies;    /* one per connection, ended by raw NULL and hang 0 */
	atomic_int stop;
	int conns;                      /* connections accepted (read after join) */
	char *req[MAX_CONN];            /* what each connection sent */
};

/* --- the loopback server -------------------------------------------------------------------------- */

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
	assert_int_equal(listen(fd, MAX_CONN), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Waits for fd to be readable, checking stop every 50 ms; 0 when it is, -1 on stop or after ms. */
static int
wait_readable(struct server *s, int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	for (int waited = 0; waited < ms && !atomic_load(&s->stop); waited += 50)
		if (poll(&p, 1, 50) > 0)
			return 0;
	return -1;
}

static ssize_t
conn_read(SSL *ssl, int fd, char *b, size_t n)
{
	return ssl != NULL ? SSL_read(ssl, b, (int)n) : read(fd, b, n);
}

/* Reads one request (head and Content-Length body) into a new string. */
static char *
read_request(struct server *s, SSL *ssl, int fd)
{
	char *b = calloc(1, REQ_MAX + 1), *end, *cl;
	size_t len = 0, want = 0;

	assert_non_null(b);
	while (len < REQ_MAX) {
		ssize_t n;

		if ((ssl == NULL || SSL_pending(ssl) == 0) && wait_readable(s, fd, 5000) != 0)
			break;
		if ((n = conn_read(ssl, fd, b + len, REQ_MAX - len)) <= 0)
			break;
		len += (size_t)n;
		if ((end = strstr(b, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(b, "\r\nContent-Length:");
		want = (size_t)(end + 4 - b) + (cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		if (len >= want)
			break;
	}
	return b;
}

static void
conn_write(SSL *ssl, int fd, const char *p, size_t n)
{
	if (ssl != NULL)
		SSL_write(ssl, p, (int)n);
	else
		(void)!send(fd, p, n, MSG_NOSIGNAL);
}

static void
serve_one(struct server *s, int c, const struct reply *r)
{
	SSL *ssl = NULL;
	char drain[512];

	if (s->tls != NULL) {
		ssl = SSL_new(s->tls);
		SSL_set_fd(ssl, c);
		if (SSL_accept(ssl) != 1) {   /* the client refused our certificate */
			s->req[s->conns - 1] = strdup("TLS handshake failed");
			goto out;
		}
	}
	if (!r->no_read)
		s->req[s->conns - 1] = read_request(s, ssl, c);
	if (r->raw != NULL)
		conn_write(ssl, c, r->raw, strlen(r->raw));
	/* A hanging reply waits for the client to give up. */
	while (r->hang && wait_readable(s, c, 15000) == 0 && read(c, drain, sizeof(drain)) > 0)
		;
	if (ssl != NULL)
		SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	ERR_clear_error();
	close(c);
}

static void *
serve(void *arg)
{
	struct server *s = arg;

	for (const struct reply *r = s->replies; r->raw != NULL || r->hang; r++) {
		int c;

		if (wait_readable(s, s->fd, 15000) != 0 || (c = accept(s->fd, NULL, NULL)) < 0 || s->conns >= MAX_CONN)
			break;
		s->conns++;
		serve_one(s, c, r);
	}
	return NULL;
}

static struct server *
server_start(const struct reply *replies, SSL_CTX *tls)
{
	struct server *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->fd = listen_loopback(&s->port);
	s->replies = replies;
	s->tls = tls;
	atomic_init(&s->stop, 0);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
	return s;
}

/* Stops the server and returns how many connections it took. */
static int
server_stop(struct server *s)
{
	atomic_store(&s->stop, 1);
	assert_int_equal(pthread_join(s->th, NULL), 0);
	close(s->fd);
	return s->conns;
}

static void
server_free(struct server *s)
{
	for (int i = 0; i < MAX_CONN; i++)
		free(s->req[i]);
	free(s);
}

/* --- helpers --------------------------------------------------------------------------------------- */

static void
opts_init(struct ag_http_opts *o, int64_t deadline_in_ms)
{
	memset(o, 0, sizeof(*o));
	o->deadline_ms = ag_clock_mono_ms() + deadline_in_ms;
	o->allow_http = 1;
}

static char *
url_of(const char *scheme, int port, const char *path)
{
	char *u = malloc(128);

	assert_non_null(u);
	snprintf(u, 128, "%s://127.0.0.1:%d%s", scheme, port, path);
	return u;
}

/* A port on 127.0.0.1 where nothing listens. */
static int
closed_port(void)
{
	int port, fd = listen_loopback(&port);

	close(fd);
	return port;
}

/* GET url (plain HTTP allowed) with o; clears err first. */
static enum ag_code
get(const char *url, const struct ag_http_opts *o, struct ag_http_response *r, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_http_request("GET", url, NULL, NULL, 0, o, r, err);
}

static const char OK_HELLO[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
static const char BUSY[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy";

/* --- plain HTTP ------------------------------------------------------------------------------------ */

static void
test_get_headers_and_body(void **state)
{
	static const struct reply rs[] = { { OK_HELLO, 0, 0 }, { NULL, 0, 0 } };
	static const char *const hdrs[] = { "Metadata: true", "X-Test: 1", NULL };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/metadata/x?api=1");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, 10000);
	ag_err_clear(&err);
	assert_int_equal(ag_http_request("GET", url, hdrs, NULL, 0, &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.body.len, 5);
	assert_string_equal((char *)r.body.data, "hello");
	assert_int_equal(server_stop(s), 1);
	assert_int_equal(strncmp(s->req[0], "GET /metadata/x?api=1 HTTP/1.1\r\n", 32), 0);
	assert_non_null(strstr(s->req[0], "\r\nMetadata: true\r\n"));
	assert_non_null(strstr(s->req[0], "\r\nX-Test: 1\r\n"));
	assert_non_null(strstr(s->req[0], "\r\nUser-Agent: attestgate\r\n"));
	ag_http_response_free(&r);
	assert_null(r.body.data);
	ag_http_response_free(&r);
	free(url);
	server_free(s);
}

static void
test_post_and_other_methods(void **state)
{
	static const struct reply rs[] = { { "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 0, 0 },
		{ "HTTP/1.1 204 No Content\r\n\r\n", 0, 0 }, { "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, 0 },
		{ NULL, 0, 0 } };
	static const char *const hdrs[] = { "Content-Type: application/json", NULL };
	static const char body[] = "{\"report\":\"AAEC\"}";
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/attest");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, 10000);
	assert_int_equal(ag_http_request("POST", url, hdrs, body, strlen(body), &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 201);
	assert_string_equal((char *)r.body.data, "ok");
	ag_http_response_free(&r);
	assert_int_equal(ag_http_request("DELETE", url, NULL, NULL, 0, &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body.len, 0);
	ag_http_response_free(&r);
	/* POST without a body sends an empty one. */
	assert_int_equal(ag_http_request("POST", url, NULL, NULL, 0, &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 200);
	ag_http_response_free(&r);
	assert_int_equal(server_stop(s), 3);
	assert_int_equal(strncmp(s->req[0], "POST /attest HTTP/1.1\r\n", 23), 0);
	assert_non_null(strstr(s->req[0], "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(s->req[0], "\r\nContent-Length: 17\r\n"));
	assert_non_null(strstr(s->req[0], "\r\n\r\n{\"report\":\"AAEC\"}"));
	assert_int_equal(strncmp(s->req[1], "DELETE /attest HTTP/1.1\r\n", 25), 0);
	assert_non_null(strstr(s->req[2], "\r\nContent-Length: 0\r\n"));
	free(url);
	server_free(s);
}

/* Statuses that waiting does not heal (3xx, 4xx but 408 and 429) are the caller's to judge: one attempt, AG_OK. */
static void
test_final_statuses_not_retried(void **state)
{
	static const struct reply rs[] = {
		{ "HTTP/1.1 404 Not Found\r\nContent-Length: 7\r\n\r\nmissing", 0, 0 },
		{ "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n\r\n", 0, 0 },
		{ "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", 0, 0 }, { NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, 10000);
	assert_int_equal(get(url, &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.attempts, 1);
	assert_string_equal((char *)r.body.data, "missing");
	ag_http_response_free(&r);
	/* Redirects are never followed. */
	assert_int_equal(get(url, &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 302);
	assert_int_equal(r.attempts, 1);
	ag_http_response_free(&r);
	assert_int_equal(get(url, &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 401);
	ag_http_response_free(&r);
	assert_int_equal(server_stop(s), 3);
	free(url);
	server_free(s);
}

static void
test_retry_then_success(void **state)
{
	static const struct reply rs[] = { { BUSY, 0, 0 },
		{ "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 0\r\n\r\n", 0, 0 },
		{ "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n", 0, 0 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 0, 0 },   /* cut short: retried */
		{ OK_HELLO, 0, 0 }, { NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, 20000);
	assert_int_equal(get(url, &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 5);
	/* Only the last attempt's body. */
	assert_int_equal(r.body.len, 5);
	assert_string_equal((char *)r.body.data, "hello");
	ag_http_response_free(&r);
	assert_int_equal(server_stop(s), 5);
	free(url);
	server_free(s);
}

static void
test_gives_up_after_max_attempts(void **state)
{
	static const struct reply rs[] = { { BUSY, 0, 0 }, { BUSY, 0, 0 }, { BUSY, 0, 0 }, { BUSY, 0, 0 },
		{ NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, 20000);
	o.max_attempts = 3;
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	assert_true(err.transient);
	assert_int_equal(r.attempts, 3);
	assert_null(r.body.data);   /* freed on failure */
	assert_non_null(strstr(err.msg, "gave up after 3 attempts; last: HTTP 503"));
	assert_non_null(strstr(err.msg, url));
	/* An evidence source gets its own code. */
	o.max_attempts = 1;
	o.unreachable = AG_EEVIDENCE;
	assert_int_equal(get(url, &o, &r, &err), AG_EEVIDENCE);
	assert_true(err.transient);
	assert_int_equal(server_stop(s), 4);
	free(url);
	server_free(s);
}

static void
test_retry_after(void **state)
{
	static const struct reply rs[] = {
		{ "HTTP/1.1 503 Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n", 0, 0 }, { OK_HELLO, 0, 0 },
		{ "HTTP/1.1 503 Unavailable\r\nretry-after: 3600\r\nContent-Length: 0\r\n\r\n", 0, 0 },
		{ "HTTP/1.1 429 Slow\r\nRetry-After: 99999999999999999999999\r\nContent-Length: 0\r\n\r\n", 0, 0 },
		{ "HTTP/1.1 503 Unavailable\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\nContent-Length: 0\r\n\r\n",
		    0, 0 },
		{ OK_HELLO, 0, 0 }, { NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;
	int64_t t0 = ag_clock_mono_ms(), took;

	(void)state;
	opts_init(&o, 10000);
	assert_int_equal(get(url, &o, &r, &err), AG_OK);   /* waits the second it is asked to */
	took = ag_clock_mono_ms() - t0;
	assert_true(took >= 1000);
	assert_int_equal(r.attempts, 2);
	ag_http_response_free(&r);
	/* Asked to wait past the deadline: give up at once, saying so. */
	t0 = ag_clock_mono_ms();
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	assert_non_null(strstr(err.msg, "retry after 3600 s, past the deadline"));
	assert_int_equal(r.attempts, 1);
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	assert_non_null(strstr(err.msg, "past the deadline"));
	assert_true(ag_clock_mono_ms() - t0 < 3000);
	/* A date in the past means now. */
	assert_int_equal(get(url, &o, &r, &err), AG_OK);
	assert_int_equal(r.attempts, 2);
	ag_http_response_free(&r);
	assert_int_equal(server_stop(s), 6);
	free(url);
	server_free(s);
}

/* A Retry-After line too long to be a number or a date is read as "later than any deadline". */
static void
test_retry_after_overlong(void **state)
{
	char *raw = malloc(2048);
	struct reply rs[] = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	struct server *s;
	char *url;
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	assert_non_null(raw);
	strcpy(raw, "HTTP/1.1 503 Unavailable\r\nRetry-After: ");
	memset(raw + strlen(raw), ' ', 1100);
	strcpy(raw + strlen("HTTP/1.1 503 Unavailable\r\nRetry-After: ") + 1100, "1\r\nContent-Length: 0\r\n\r\n");
	rs[0].raw = raw;
	s = server_start(rs, NULL);
	url = url_of("http", s->port, "/");
	opts_init(&o, 10000);
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	assert_non_null(strstr(err.msg, "past the deadline"));
	assert_int_equal(r.attempts, 1);
	assert_int_equal(server_stop(s), 1);
	free(url);
	free(raw);
	server_free(s);
}

/* A body of n bytes, with or without a Content-Length (then ended by closing). */
static char *
big_reply(size_t n, int with_length)
{
	char *raw = malloc(n + 128);
	int h;

	assert_non_null(raw);
	h = with_length ? sprintf(raw, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", n) :
			  sprintf(raw, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	memset(raw + h, 'x', n);
	raw[h + (int)n] = '\0';
	return raw;
}

static void
test_response_cap(void **state)
{
	char *exact = big_reply(4096, 1), *over = big_reply(4097, 1), *over_nolen = big_reply(100000, 0);
	struct reply rs[] = { { exact, 0, 0 }, { over, 0, 0 }, { over_nolen, 0, 0 }, { NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, 10000);
	o.max_response = 4096;
	assert_int_equal(get(url, &o, &r, &err), AG_OK);
	assert_int_equal(r.body.len, 4096);
	assert_int_equal(r.body.data[4095], 'x');
	ag_http_response_free(&r);
	/* Over the cap: an error, not retried, never truncated. */
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	assert_non_null(strstr(err.msg, "response larger than 4096 bytes"));
	assert_false(err.transient);
	assert_int_equal(r.attempts, 1);
	assert_null(r.body.data);
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	assert_non_null(strstr(err.msg, "response larger than 4096 bytes"));
	assert_int_equal(r.attempts, 1);
	assert_int_equal(server_stop(s), 3);
	free(url);
	free(exact);
	free(over);
	free(over_nolen);
	server_free(s);
}

static void
test_deadline_already_passed(void **state)
{
	static const struct reply rs[] = { { OK_HELLO, 0, 0 }, { NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, -1);
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	assert_true(err.transient);
	assert_int_equal(r.attempts, 0);
	assert_non_null(strstr(err.msg, "deadline exceeded after 0 attempts"));
	o.deadline_ms = 0;
	o.unreachable = AG_EEVIDENCE;
	assert_int_equal(get(url, &o, &r, &err), AG_EEVIDENCE);
	assert_int_equal(server_stop(s), 0);   /* never connected */
	free(url);
	server_free(s);
}

/* A server that never answers: each attempt ends at its timeout, the whole at the deadline. */
static void
test_attempt_timeout_and_deadline(void **state)
{
	static const struct reply rs[] = { { NULL, 1, 0 }, { NULL, 1, 0 }, { NULL, 1, 0 }, { NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;
	int64_t t0 = ag_clock_mono_ms(), took;

	(void)state;
	opts_init(&o, 20000);
	o.attempt_timeout_ms = 300;
	o.max_attempts = 2;
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	took = ag_clock_mono_ms() - t0;
	assert_true(err.transient);
	assert_int_equal(r.attempts, 2);
	assert_non_null(strstr(err.msg, "gave up after 2 attempts"));
	assert_true(took >= 600 && took < 5000);
	/* No attempt timeout: the deadline (700 ms) bounds the only attempt. */
	opts_init(&o, 700);
	t0 = ag_clock_mono_ms();
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	took = ag_clock_mono_ms() - t0;
	assert_true(err.transient);
	assert_true(took >= 600 && took < 5000);
	assert_true(strstr(err.msg, "deadline") != NULL);
	server_stop(s);
	free(url);
	server_free(s);
}

static void
test_connection_refused(void **state)
{
	char *url = url_of("http", closed_port(), "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, 10000);
	o.max_attempts = 2;
	o.unreachable = AG_EEVIDENCE;
	assert_int_equal(get(url, &o, &r, &err), AG_EEVIDENCE);
	assert_true(err.transient);
	assert_int_equal(r.attempts, 2);
	assert_non_null(strstr(err.msg, "gave up after 2 attempts"));
	free(url);
}

static void
test_garbage_reply_not_retried(void **state)
{
	static const struct reply rs[] = { { "SSH-2.0-OpenSSH_9.2\r\n\r\n", 0, 0 }, { OK_HELLO, 0, 0 },
		{ NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	opts_init(&o, 10000);
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	assert_false(err.transient);
	assert_int_equal(r.attempts, 1);
	server_stop(s);
	assert_int_equal(s->conns, 1);
	free(url);
	server_free(s);
}

static volatile sig_atomic_t cancel_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

/* Arms SIGALRM to set cancel_flag after ms (0: disarm and restore). */
static void
cancel_after(int ms, struct sigaction *old)
{
	struct itimerval it;
	struct sigaction sa;

	memset(&it, 0, sizeof(it));
	if (ms == 0) {
		setitimer(ITIMER_REAL, &it, NULL);
		sigaction(SIGALRM, old, NULL);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, old), 0);
	it.it_value.tv_usec = ms * 1000;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void
test_cancel(void **state)
{
	static const struct reply rs[] = { { NULL, 1, 0 },
		{ "HTTP/1.1 503 Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n", 0, 0 }, { NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/"), *refused = url_of("http", closed_port(), "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;
	struct sigaction old;
	int64_t t0;

	(void)state;
	opts_init(&o, 20000);
	o.cancel = &cancel_flag;
	/* Set before: a refused connection is not retried but reported as cancelled. */
	cancel_flag = 1;
	assert_int_equal(get(refused, &o, &r, &err), AG_EVERIFIER);
	assert_non_null(strstr(err.msg, "cancelled"));
	assert_true(err.transient);
	assert_int_equal(r.attempts, 1);
	free(refused);
	/* Set while the server makes us wait. */
	cancel_flag = 0;
	t0 = ag_clock_mono_ms();
	cancel_after(200, &old);
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	cancel_after(0, &old);
	assert_non_null(strstr(err.msg, "cancelled"));
	assert_true(ag_clock_mono_ms() - t0 < 3000);
	/* Set while backing off before a retry. */
	cancel_flag = 0;
	t0 = ag_clock_mono_ms();
	cancel_after(300, &old);
	assert_int_equal(get(url, &o, &r, &err), AG_EVERIFIER);
	cancel_after(0, &old);
	assert_non_null(strstr(err.msg, "cancelled"));
	assert_int_equal(r.attempts, 1);
	assert_true(ag_clock_mono_ms() - t0 < 3000);
	assert_int_equal(server_stop(s), 2);
	free(url);
	server_free(s);
}

static void
test_bad_urls(void **state)
{
	static const char *const bad[] = { "ftp://127.0.0.1/x", "file:///etc/passwd", "HTTPS://127.0.0.1/", "127.0.0.1/",
		"", "gopher://127.0.0.1:70/" };
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;
	char *plain = url_of("http", closed_port(), "/");

	(void)state;
	opts_init(&o, 5000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(get(bad[i], &o, &r, &err), AG_ECONFIG);
		assert_non_null(strstr(err.msg, "only https:// URLs are allowed"));
		assert_int_equal(r.attempts, 0);
	}
	/* Plain HTTP only where the caller allows it. */
	o.allow_http = 0;
	assert_int_equal(get(plain, &o, &r, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "only https://"));
	assert_int_equal(r.attempts, 0);
	free(plain);
}

/* http.h: "AG_ECONFIG for a bad URL or CA bundle". */
static void
test_bad_url_or_ca_not_config(void **state)
{
	static const struct reply rs[] = { { NULL, 1, 0 }, { NULL, 0, 0 } };
	struct server *s = server_start(rs, NULL);
	char *tls = url_of("https", s->port, "/");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;
	enum ag_code url_rc, ca_rc;

	(void)state;
	opts_init(&o, 5000);
	url_rc = get("http://127.0.0.1:99999/", &o, &r, &err);
	o.ca_file = "/nonexistent/attestgate-ca.pem";
	ca_rc = get(tls, &o, &r, &err);
	server_stop(s);
	free(tls);
	server_free(s);
	if (url_rc != AG_ECONFIG || ca_rc != AG_ECONFIG) {
		print_message("# regression: lib/base/http.c was: a malformed URL gives %d and a missing CA file %d "
		    "(the verifier's code), not AG_ECONFIG\n", url_rc, ca_rc);
		fail();
	}
}

/* Plain-HTTP requests never go through a proxy, whatever the environment says. */
static void
test_no_proxy_for_plain_http(void **state)
{
	static const struct reply rs[] = { { OK_HELLO, 0, 0 }, { NULL, 0, 0 } };
	static const char *const vars[] = { "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY" };
	struct server *s = server_start(rs, NULL);
	char *url = url_of("http", s->port, "/"), *proxy = url_of("http", closed_port(), "");
	struct ag_http_opts o;
	struct ag_http_response r;
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < 4; i++)
		setenv(vars[i], proxy, 1);
	unsetenv("NO_PROXY");
	unsetenv("no_proxy");
	opts_init(&o, 10000);
	o.max_attempts = 1;
	assert_int_equal(get(url, &o, &r, &err), AG_OK);
	assert_int_equal(r.status, 200);
	ag_http_response_free(&r);
	for (size_t i = 0; i < 4; i++)
		unsetenv(vars[i]);
	assert_int_equal(server_stop(s), 1);
	assert_int_equal(strncmp(s->req[0], "GET / HTTP/1.1", 14), 0);   /* not "GET http://..." */
	free(url);
	free(proxy);
	server_free(s);
}

/* --- TLS ------------------------------------------------------------------------------------------- */

struct pki {
	char *dir, *ca_pem, *other_ca_pem;
	EVP_PKEY *ca_key, *other_key, *srv_key;
	X509 *ca, *other_ca;
};

static X509 *
tls_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *san, long days_ago)
{
	static long serial = 1;
	X509 *c = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(issuer != NULL ? issuer : c));
	X509_gmtime_adj(X509_getm_notBefore(c), -86400L * (days_ago + 1));
	X509_gmtime_adj(X509_getm_notAfter(c), 86400L * (1 - days_ago));
	X509_set_pubkey(c, key);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : c, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, san != NULL ? NID_subject_alt_name : NID_basic_constraints,
	    san != NULL ? san : "critical,CA:TRUE");
	assert_non_null(ext);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return c;
}

static char *
write_pem(const char *dir, const char *name, X509 *c)
{
	char *p = tu_path(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, c), 1);
	fclose(f);
	return p;
}

static int
setup_pki(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	p->dir = tu_mkdtemp();
	p->ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	p->other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	p->srv_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	p->ca = tls_cert("attestgate test CA", p->ca_key, NULL, NULL, NULL, 0);
	p->other_ca = tls_cert("attestgate other CA", p->other_key, NULL, NULL, NULL, 0);
	p->ca_pem = write_pem(p->dir, "ca.pem", p->ca);
	p->other_ca_pem = write_pem(p->dir, "other.pem", p->other_ca);
	*state = p;
	return 0;
}

static int
teardown_pki(void **state)
{
	struct pki *p = *state;

	X509_free(p->ca);
	X509_free(p->other_ca);
	EVP_PKEY_free(p->ca_key);
	EVP_PKEY_free(p->other_key);
	EVP_PKEY_free(p->srv_key);
	free(p->ca_pem);
	free(p->other_ca_pem);
	tu_rmtree(p->dir);
	free(p->dir);
	free(p);
	return 0;
}

/* A server context whose certificate (from the test CA) has san and is valid from days_ago-1 to days_ago+1. */
static SSL_CTX *
server_tls(struct pki *p, const char *san, long days_ago)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	X509 *c = tls_cert("127.0.0.1", p->srv_key, p->ca, p->ca_key, san, days_ago);

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, c), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, p->srv_key), 1);
	X509_free(c);
	return ctx;
}

/* One https GET of a server with san and validity; returns the result and the connection count. */
static enum ag_code
tls_get(struct pki *p, const char *san, long days_ago, const char *ca_file, int *conns, struct ag_err *err)
{
	static const struct reply rs[] = { { OK_HELLO, 0, 0 }, { NULL, 0, 0 } };
	SSL_CTX *ctx = server_tls(p, san, days_ago);
	struct server *s = server_start(rs, ctx);
	char *url = url_of("https", s->port, "/tls");
	struct ag_http_opts o;
	struct ag_http_response r;
	enum ag_code rc;

	opts_init(&o, 10000);
	o.allow_http = 0;
	o.ca_file = ca_file;
	rc = get(url, &o, &r, err);
	if (rc == AG_OK) {
		assert_int_equal(r.status, 200);
		assert_string_equal((char *)r.body.data, "hello");
		assert_int_equal(r.attempts, 1);
	}
	ag_http_response_free(&r);
	*conns = server_stop(s);
	free(url);
	server_free(s);
	SSL_CTX_free(ctx);
	return rc;
}

static void
test_tls_verified(void **state)
{
	struct pki *p = *state;
	struct ag_err err;
	int conns;

	assert_int_equal(tls_get(p, "IP:127.0.0.1", 0, p->ca_pem, &conns, &err), AG_OK);
	assert_int_equal(conns, 1);
}

/* TLS failures are not healed by waiting: one attempt, not transient. */
static void
test_tls_failures(void **state)
{
	struct pki *p = *state;
	struct ag_err err;
	int conns;

	/* Another CA. */
	assert_int_equal(tls_get(p, "IP:127.0.0.1", 0, p->other_ca_pem, &conns, &err), AG_EVERIFIER);
	assert_false(err.transient);
	assert_int_equal(conns, 1);
	/* The right CA, another name. */
	assert_int_equal(tls_get(p, "DNS:verifier.example", 0, p->ca_pem, &conns, &err), AG_EVERIFIER);
	assert_false(err.transient);
	assert_int_equal(conns, 1);
	/* Expired (valid from 11 to 9 days ago). */
	assert_int_equal(tls_get(p, "IP:127.0.0.1", 10, p->ca_pem, &conns, &err), AG_EVERIFIER);
	assert_false(err.transient);
	assert_int_equal(conns, 1);
}

/* The trust anchor is never the environment's: SSL_CERT_FILE naming the test CA does not make it trusted. */
static void
test_tls_ca_not_from_environment(void **state)
{
	struct pki *p = *state;
	struct ag_http_opts o;
	const char *def;
	struct ag_err err;
	int conns;

	memset(&o, 0, sizeof(o));
	setenv("SSL_CERT_FILE", p->ca_pem, 1);
	setenv("SSL_CERT_DIR", p->dir, 1);
	setenv("CURL_CA_BUNDLE", p->ca_pem, 1);
	def = ag_http_ca_file(&o);
	assert_true(def == NULL || strcmp(def, p->ca_pem) != 0);
	assert_int_not_equal(tls_get(p, "IP:127.0.0.1", 0, NULL, &conns, &err), AG_OK);
	if (def == NULL)
		assert_non_null(strstr(err.msg, "no CA bundle found"));
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	unsetenv("CURL_CA_BUNDLE");
	o.ca_file = "/given/by/flag.pem";
	assert_string_equal(ag_http_ca_file(&o), "/given/by/flag.pem");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_headers_and_body),
		cmocka_unit_test(test_post_and_other_methods),
		cmocka_unit_test(test_final_statuses_not_retried),
		cmocka_unit_test(test_retry_then_success),
		cmocka_unit_test(test_gives_up_after_max_attempts),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_retry_after_overlong),
		cmocka_unit_test(test_response_cap),
		cmocka_unit_test(test_deadline_already_passed),
		cmocka_unit_test(test_attempt_timeout_and_deadline),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_garbage_reply_not_retried),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_bad_url_or_ca_not_config),
		cmocka_unit_test(test_no_proxy_for_plain_http),
		cmocka_unit_test_setup_teardown(test_tls_verified, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_tls_failures, setup_pki, teardown_pki),
		cmocka_unit_test_setup_teardown(test_tls_ca_not_from_environment, setup_pki, teardown_pki),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
