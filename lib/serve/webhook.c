/*
 * serve/webhook.c - the webhook's server (see webhook.h).  One thread runs
 * libevent's loop; each connection is an OpenSSL bufferevent made from the
 * current SSL_CTX, so a reloaded certificate serves new connections while
 * open ones finish on the old.  Open connections are counted by an SSL
 * ex_data whose free callback runs when evhttp frees the connection; at
 * max_connections the listener is paused (the kernel's backlog holds the
 * rest).  Answers are computed in the loop: bounded input, microseconds.
 */
#include "serve/webhook.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "k8s/admission.h"
#include "k8s/policy_set.h"
#include "serve/metrics.h"
#include "serve/tls_files.h"

#define HEADERS_MAX (16 * 1024)
/* An idle keep-alive connection is closed after this (longer than the API server's Go client keeps idle connections,
 * 90 s, so the client closes first and never sends a request on a connection the server is closing). */
#define IDLE_TIMEOUT_MS (120 * 1000)
#define METRICS_MAX (8 * 1024)

struct server {
	const struct ag_webhook_config *cfg;
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *listener;
	struct evhttp_bound_socket *bound;
	SSL_CTX *ctx;
	int64_t tls_id[8];
	struct ag_policy_set *policies;
	struct ag_inject_opts opts;             /* cfg's, with the current policy set */
	struct ag_metrics metrics;
	struct event *reload, *drain, *sigterm, *sigint;
	struct conn *open;                      /* the open connections (a list) */
	int conns, paused, stopping, closed;
	int64_t drain_deadline_us;
};

static int conn_index = -1;

/* One connection: the time its current request started, checked every tick against --request-timeout. */
struct conn {
	struct server *s;
	struct bufferevent *bev;
	struct event *tick;
	int answered;                   /* at least one answer sent */
	int evicted;                    /* shut down to make room (at --max-connections) or to drain */
	uint64_t read_mark;             /* bytes read from the socket when the last answer was sent */
	int64_t started_us;             /* when the current request (or the handshake) started; 0 while idle */
	struct conn *prev, *next;       /* the server's open connections, newest first */
};

static struct timeval
tv_of(int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/* How often a connection's deadline is checked: an eighth of --request-timeout, within 50-500 ms. */
static struct timeval
tick_of(const struct server *s)
{
	int64_t ms = s->cfg->request_timeout_ms / 8;

	return tv_of(ms < 50 ? 50 : ms > 500 ? 500 : ms);
}

/* ex_data free callback: a connection's SSL is freed with it (evhttp freed the connection). */
static void
conn_freed(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct conn *c = ptr;
	struct server *s;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (c == NULL)
		return;
	s = c->s;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->open = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	event_free(c->tick);
	free(c);
	s->conns--;
	if (s->paused && !s->closed && s->conns < s->cfg->max_connections) {
		evconnlistener_enable(s->listener);
		s->paused = 0;
	}
}

/* Bytes read from the connection's socket so far (TLS records included). */
static uint64_t
bytes_read(const struct conn *c)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	BIO *rbio = ssl != NULL ? SSL_get_rbio(ssl) : NULL;

	return rbio != NULL ? BIO_number_read(rbio) : 0;
}

/* Nonzero when a keep-alive connection has been idle since its last answer (nothing read since, nothing left to send). */
static int
conn_idle(const struct conn *c)
{
	return c->answered && bytes_read(c) == c->read_mark && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
}

/* Shuts the connection's socket down: evhttp sees the end of the stream and frees it. */
static void
conn_close(struct conn *c)
{
	evutil_socket_t sock = bufferevent_getfd(c->bev);

	if (sock >= 0 && !c->evicted)
		shutdown(sock, SHUT_RDWR);
	c->evicted = 1;
}

/*
 * Every tick: a request (or the TLS handshake) must be complete and its
 * answer taken within --request-timeout of its first byte, else the
 * connection is closed: a client that trickles a byte at a time cannot hold
 * it longer.  The first byte after an idle spell starts the clock (seen
 * within a tick), so a reused keep-alive connection gets the full time.  An
 * idle connection is left to evhttp's idle timeout, unless the server is at
 * --max-connections (then idle ones make room).
 */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct timeval tick = tick_of(c->s);
	int64_t now = ag_clock_mono_us();

	(void)fd, (void)what;
	if (c->started_us == 0 && conn_idle(c)) {
		if (c->s->paused)
			conn_close(c);
		evtimer_add(c->tick, &tick);
		return;
	}
	if (c->started_us == 0)
		c->started_us = now;
	if (now - c->started_us >= c->s->cfg->request_timeout_ms * 1000) {
		if (!c->evicted)
			c->s->metrics.deadline_closes++;
		conn_close(c);
	}
	evtimer_add(c->tick, &tick);
}

/* Draining, or at --max-connections: the idle connections are closed (busy ones close after their answer). */
static int
close_idle(struct server *s)
{
	int n = 0;

	for (struct conn *c = s->open; c != NULL; c = c->next)
		if (!c->evicted && conn_idle(c)) {
			conn_close(c);
			n++;
		}
	return n;
}

/* An answer was sent on req's connection: it is idle until its next request's first byte. */
static void
answered(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	struct conn *c = ssl != NULL ? SSL_get_ex_data(ssl, conn_index) : NULL;

	if (c == NULL)
		return;
	c->answered = 1;
	c->read_mark = bytes_read(c);
	c->started_us = 0;
}

/* evhttp's bufferevent callback: a TLS bufferevent for a new connection, counted, its deadline ticking. */
static struct bufferevent *
new_conn(struct event_base *base, void *arg)
{
	struct server *s = arg;
	struct conn *c = calloc(1, sizeof(*c));
	SSL *ssl = c != NULL ? SSL_new(s->ctx) : NULL;
	struct timeval tick = tick_of(s);

	if (ssl != NULL && (c->tick = evtimer_new(base, on_tick, c)) != NULL) {
		c->s = s;
		c->started_us = ag_clock_mono_us();
		c->next = s->open;
		if (s->open != NULL)
			s->open->prev = c;
		s->open = c;
		SSL_set_ex_data(ssl, conn_index, c);
		s->conns++;
		c->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	}
	/* evhttp would serve a connection without a bufferevent in plain HTTP: never; out of memory ends the process. */
	if (c == NULL || c->bev == NULL) {
		ag_log(AG_LOG_ERROR, "out of memory for a TLS connection; exiting (the pod restarts)", NULL);
		_exit(70);
	}
	evtimer_add(c->tick, &tick);
	/* Clients that close without close_notify are common; their requests were complete. */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	/* At the limit, idle keep-alive connections make room; only when none is idle does the listener pause. */
	if (s->conns >= s->cfg->max_connections && !s->paused && !s->closed && close_idle(s) == 0) {
		evconnlistener_disable(s->listener);
		s->paused = 1;
	}
	return c->bev;
}

/* Sends status with body (len bytes) of type; while stopping, asks the client to close. */
static void
reply(struct server *s, struct evhttp_request *req, int status, const char *type, const char *body, size_t len)
{
	struct evbuffer *out = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (s->stopping)
		evhttp_add_header(h, "Connection", "close");
	if (out != NULL)
		evbuffer_add(out, body, len);
	answered(req);
	evhttp_send_reply(req, status, status == 200 ? "OK" : status == 400 ? "Bad Request" : status == 404 ? "Not Found" :
	    status == 405 ? "Method Not Allowed" : status == 415 ? "Unsupported Media Type" : status == 503 ?
	    "Service Unavailable" : "Error", out);
	if (out != NULL)
		evbuffer_free(out);
}

static void
reply_text(struct server *s, struct evhttp_request *req, int status, const char *text)
{
	reply(s, req, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* POST /mutate: the body answered as an AdmissionReview. */
static void
on_mutate(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	int64_t t0 = ag_clock_mono_us();
	struct ag_admission a;
	size_t len = evbuffer_get_length(in);
	const char *body = len > 0 ? (const char *)evbuffer_pullup(in, -1) : "";

	if (body == NULL) {
		s->metrics.http_errors++;
		reply_text(s, req, 500, "out of memory\n");
		return;
	}

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		s->metrics.http_errors++;
		reply_text(s, req, 405, "POST an admission.k8s.io/v1 AdmissionReview to /mutate\n");
		return;
	}
	if (type == NULL || strncmp(type, "application/json", 16) != 0 || (type[16] != '\0' && type[16] != ';' && type[16] != ' ')) {
		s->metrics.http_errors++;
		reply_text(s, req, 415, "the body must be application/json (an AdmissionReview)\n");
		return;
	}
	if (ag_admission_review(body, len, &s->opts, &a) != AG_OK) {
		s->metrics.http_errors++;
		reply_text(s, req, 500, "out of memory\n");
		return;
	}
	reply(s, req, a.http_status, "application/json", a.body, a.len);
	ag_metrics_observe(&s->metrics, a.result, ag_clock_mono_us() - t0);
	if (a.result == AG_ADMIT_DENIED || a.result == AG_ADMIT_INVALID || a.result == AG_ADMIT_WARNED)
		ag_log(AG_LOG_INFO, "admission answered", "result", json_string(ag_admission_result_name(a.result)), "object",
		    json_string(a.what), "reason", json_string(a.reason), NULL);
	ag_admission_clear(&a);
}

/* /healthz, /readyz, /metrics and anything else (404). */
static void
on_other(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char text[METRICS_MAX];
	int n;

	if (path == NULL || evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		s->metrics.http_errors++;
		reply_text(s, req, 404, "not found: POST /mutate, GET /healthz, /readyz, /metrics\n");
	} else if (strcmp(path, "/healthz") == 0) {
		reply_text(s, req, 200, "ok\n");
	} else if (strcmp(path, "/readyz") == 0) {
		if (s->stopping)
			reply_text(s, req, 503, "shutting down\n");
		else if (s->policies->dir_error[0] != '\0')
			reply_text(s, req, 503, s->policies->dir_error);
		else
			reply_text(s, req, 200, "ok\n");
	} else if (strcmp(path, "/metrics") == 0 && (n = ag_metrics_render(&s->metrics, text, sizeof(text))) >= 0) {
		reply(s, req, 200, "text/plain; version=0.0.4; charset=utf-8", text, (size_t)n);
	} else {
		s->metrics.http_errors++;
		reply_text(s, req, 404, "not found: POST /mutate, GET /healthz, /readyz, /metrics\n");
	}
}

/* Takes a freshly loaded policy set (owned) as the current one. */
static void
use_policies(struct server *s, struct ag_policy_set *set)
{
	free(s->policies);
	s->policies = set;
	s->opts.digest_arg = set;
	s->metrics.policies = 0;
	for (int i = 0; i < set->n; i++)
		s->metrics.policies += set->e[i].error[0] == '\0';
}

/* Reload timer: a changed certificate or policy directory is loaded; a certificate that does not load yet is retried. */
static void
on_reload(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	int64_t id[8];
	struct ag_err err;
	SSL_CTX *ctx;

	(void)fd, (void)what;
	ag_err_clear(&err);
	ag_tls_files_identity(s->cfg->cert_file, s->cfg->key_file, id);
	if (memcmp(id, s->tls_id, sizeof(id)) != 0) {
		if (ag_tls_server_ctx(s->cfg->cert_file, s->cfg->key_file, &ctx, &err) == AG_OK) {
			SSL_CTX_free(s->ctx);   /* open connections hold their own reference */
			s->ctx = ctx;
			memcpy(s->tls_id, id, sizeof(id));
			s->metrics.cert_reloads++;
			ag_log(AG_LOG_INFO, "certificate reloaded", "file", json_string(s->cfg->cert_file), NULL);
		} else {
			s->metrics.cert_reload_failures++;
			ag_log(AG_LOG_WARN, "certificate files changed but do not load yet; serving the previous one", "reason",
			    json_string(err.msg), NULL);
		}
	}
	if (ag_policy_set_changed(s->policies)) {
		struct ag_policy_set *set = malloc(sizeof(*set));

		if (set != NULL) {
			ag_policy_set_load(s->cfg->policy_dir, set);
			use_policies(s, set);
			s->metrics.policy_reloads++;
			ag_log(AG_LOG_INFO, "policies reloaded", "usable", json_integer(s->metrics.policies), NULL);
		}
	}
}

/* Drain timer: stop listening after the delay, then leave when no connection is open or at the deadline. */
static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct timeval tick = { 0, 50 * 1000 };

	(void)fd, (void)what;
	if (!s->closed) {
		evhttp_del_accept_socket(s->http, s->bound);   /* frees the listener: no new connections */
		s->closed = 1;
		s->drain_deadline_us = ag_clock_mono_us() + s->cfg->shutdown_timeout_ms * 1000;
		ag_log(AG_LOG_INFO, "webhook stopped listening; draining", "open", json_integer(s->conns), NULL);
	}
	close_idle(s);
	if (s->conns <= 0 || ag_clock_mono_us() >= s->drain_deadline_us) {
		if (s->conns > 0)
			ag_log(AG_LOG_WARN, "drain deadline reached; closing the open connections", "open", json_integer(s->conns), NULL);
		event_base_loopexit(s->base, NULL);
		return;
	}
	evtimer_add(s->drain, &tick);
}

/* SIGTERM or SIGINT: not ready, keep serving for shutdown_delay, then drain. */
static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;
	struct timeval delay = tv_of(s->cfg->shutdown_delay_ms);

	(void)what;
	if (s->stopping)
		return;
	s->stopping = 1;
	ag_log(AG_LOG_INFO, "webhook shutting down", "signal", json_integer(sig), "delayMs",
	    json_integer(s->cfg->shutdown_delay_ms), NULL);
	evtimer_add(s->drain, &delay);
}

/* The listening socket: cfg->listen parsed ("ADDR:PORT", "[V6]:PORT"), bound, handed to evhttp. */
static enum ag_code
start_listening(struct server *s, struct ag_err *err)
{
	struct sockaddr_storage ss;
	int sslen = (int)sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(s->cfg->listen, (struct sockaddr *)&ss, &sslen) != 0 ||
	    ((struct sockaddr_in *)&ss)->sin_port == 0)
		return ag_err_set(err, AG_ECONFIG, "--listen %s is not ADDR:PORT (e.g. 0.0.0.0:8443 or [::]:8443)", s->cfg->listen);
	s->listener = evconnlistener_new_bind(s->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	    LEV_OPT_CLOSE_ON_EXEC, 512, (struct sockaddr *)&ss, sslen);
	if (s->listener == NULL)
		return ag_err_set(err, AG_ECONFIG, "cannot listen on %s: %s", s->cfg->listen,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	/* Answers are one small write: no Nagle delay waiting for the client's delayed ACK (Linux: accepted sockets inherit it). */
	{
		int one = 1;

		setsockopt(evconnlistener_get_fd(s->listener), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	s->bound = evhttp_bind_listener(s->http, s->listener);
	return s->bound != NULL ? AG_OK : ag_err_set(err, AG_ECONFIG, "cannot serve HTTP on %s", s->cfg->listen);
}

/* The HTTP server's limits and routes. */
static void
configure_http(struct server *s)
{
	struct timeval tv = tv_of(IDLE_TIMEOUT_MS);

	evhttp_set_max_body_size(s->http, (ev_ssize_t)s->cfg->max_request_bytes);
	evhttp_set_max_headers_size(s->http, HEADERS_MAX);
	evhttp_set_timeout_tv(s->http, &tv);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_bevcb(s->http, new_conn, s);
	evhttp_set_cb(s->http, "/mutate", on_mutate, s);
	evhttp_set_gencb(s->http, on_other, s);
}

/* Everything the loop needs: certificate, policies, HTTP server, listener, timers and signals. */
static enum ag_code
setup(struct server *s, struct ag_err *err)
{
	struct timeval every = tv_of(s->cfg->reload_interval_ms);
	struct ag_policy_set *set = malloc(sizeof(*set));
	enum ag_code rc;

	if (set == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	ag_policy_set_load(s->cfg->policy_dir, set);
	use_policies(s, set);
	if (set->dir_error[0] != '\0')
		return ag_err_set(err, AG_ECONFIG, "%s: mount the policies ConfigMap there (--policy-dir)", set->dir_error);
	ag_tls_files_identity(s->cfg->cert_file, s->cfg->key_file, s->tls_id);
	if ((rc = ag_tls_server_ctx(s->cfg->cert_file, s->cfg->key_file, &s->ctx, err)) != AG_OK)
		return rc;
	if (conn_index < 0)
		conn_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_freed);
	s->base = event_base_new();
	s->http = s->base != NULL ? evhttp_new(s->base) : NULL;
	if (s->http == NULL || conn_index < 0)
		return ag_err_set(err, AG_ECONFIG, "cannot create the event loop");
	configure_http(s);
	if ((rc = start_listening(s, err)) != AG_OK)
		return rc;
	s->reload = event_new(s->base, -1, EV_PERSIST, on_reload, s);
	s->drain = evtimer_new(s->base, on_drain, s);
	s->sigterm = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sigint = evsignal_new(s->base, SIGINT, on_signal, s);
	if (s->reload == NULL || s->drain == NULL || s->sigterm == NULL || s->sigint == NULL || event_add(s->reload, &every) != 0 ||
	    event_add(s->sigterm, NULL) != 0 || event_add(s->sigint, NULL) != 0)
		return ag_err_set(err, AG_ECONFIG, "cannot set up the timers and signals");
	return AG_OK;
}

static void
teardown(struct server *s)
{
	s->closed = 1;                  /* the listener goes with evhttp: freed connections must not touch it */
	if (s->http != NULL)
		evhttp_free(s->http);   /* closes what is still open, and the listener unless drained */
	if (s->reload != NULL)
		event_free(s->reload);
	if (s->drain != NULL)
		event_free(s->drain);
	if (s->sigterm != NULL)
		event_free(s->sigterm);
	if (s->sigint != NULL)
		event_free(s->sigint);
	if (s->base != NULL)
		event_base_free(s->base);
	if (s->listener != NULL && s->bound == NULL)
		evconnlistener_free(s->listener);
	SSL_CTX_free(s->ctx);
	free(s->policies);
}

enum ag_code
ag_webhook_serve(const struct ag_webhook_config *cfg, struct ag_err *err)
{
	struct server *s = calloc(1, sizeof(*s));
	enum ag_code rc;

	if (s == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	s->cfg = cfg;
	s->opts = cfg->inject;
	s->opts.mode = AG_INJECT_ADD;
	s->opts.digest = ag_policy_set_digest;
	s->opts.allows = ag_policy_set_allows;
	s->opts.gpus = ag_policy_set_gpus;
	s->opts.problem = ag_policy_set_problem;
	signal(SIGPIPE, SIG_IGN);
	rc = setup(s, err);
	if (rc == AG_OK) {
		ag_log(AG_LOG_INFO, "webhook listening", "listen", json_string(cfg->listen), "policies",
		    json_integer(s->metrics.policies), "maxConnections", json_integer(cfg->max_connections), NULL);
		if (event_base_dispatch(s->base) != 0)
			rc = ag_err_set(err, AG_ECONFIG, "the event loop failed");
		else
			ag_log(AG_LOG_INFO, "webhook stopped", NULL);
	}
	teardown(s);
	free(s);
	return rc;
}
