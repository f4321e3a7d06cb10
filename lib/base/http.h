/*
 * base/http.h - the one HTTP client of attestgate, on libcurl: TLS verification
 * always on, HTTPS only (plain HTTP only where the caller says so, for the
 * link-local IMDS), no redirects, capped responses, a per-attempt timeout
 * and an overall deadline, and retries with exponential backoff and full
 * jitter for what may heal (connection errors, 408, 429, 5xx), honouring
 * Retry-After.  Proxies come from the standard environment variables.
 * Moves bytes only: parsing responses is the caller's job.
 */
#ifndef AG_HTTP_H
#define AG_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

/* IMDS's link-local address: never reached through a proxy. */
#define AG_HTTP_IMDS_HOST "169.254.169.254"

#define AG_HTTP_DEFAULT_MAX_RESPONSE (4 * 1024 * 1024)

struct ag_http_opts {
	const char *ca_file;                 /* NULL: the system bundle paths (never the environment) */
	int64_t deadline_ms;                 /* monotonic ms (ag_clock_mono_ms) by which all attempts end */
	int64_t attempt_timeout_ms;          /* 0: 30 s; never past the deadline */
	size_t max_response;                 /* 0: AG_HTTP_DEFAULT_MAX_RESPONSE */
	int allow_http;                      /* permit http:// (IMDS only) */
	int max_attempts;                    /* 0: until the deadline */
	volatile sig_atomic_t *cancel;       /* set (by a signal handler) to stop; NULL: none */
	enum ag_code unreachable;            /* the code when the peer cannot be reached: AG_OK means AG_EVERIFIER;
						an evidence source (IMDS, AMD KDS) passes AG_EEVIDENCE */
};

struct ag_http_response {
	long status;                         /* final HTTP status */
	struct ag_buf body;
	int attempts;
};

/*
 * Performs method on url with optional headers ("Name: value", NULL
 * terminated) and body.  AG_OK with any final status that is not retried
 * (the caller judges 2xx/4xx); AG_EVERIFIER (transient) when the deadline
 * or attempts ran out on retryable failures; AG_ECONFIG for a bad URL or
 * CA bundle.
 */
enum ag_code ag_http_request(const char *method, const char *url, const char *const *headers,
    const void *body, size_t body_len, const struct ag_http_opts *o, struct ag_http_response *resp,
    struct ag_err *err);

/* Formats a URL into buf; AG_ECONFIG when it does not fit (a URL is never sent cut short). */
enum ag_code ag_http_url(char *buf, size_t size, struct ag_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Frees a response's body. */
void ag_http_response_free(struct ag_http_response *resp);

/* The CA bundle the client would use (for messages), or NULL when none is found. */
const char *ag_http_ca_file(const struct ag_http_opts *o);

#endif
