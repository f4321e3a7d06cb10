/*
 * base/http.c - libcurl easy handles, one per attempt, with the retry loop
 * around them.  Backoff: base 200 ms doubling to 5 s, full jitter (a
 * uniform draw in [0, cap] from OpenSSL's RNG), at least Retry-After, and
 * never sleeping past the deadline.
 */
#include "base/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 5000
#define DEFAULT_ATTEMPT_MS 30000
#define RETRY_AFTER_MAX_S (10LL * 365 * 86400)   /* larger asks are clamped, still past any deadline */

static const char *const default_ca_files[] = {
	"/etc/ssl/certs/ca-certificates.crt",   /* Debian, Ubuntu, Alpine, the attestgate image */
	"/etc/pki/tls/certs/ca-bundle.crt",     /* RHEL, Fedora */
	"/etc/ssl/cert.pem",                    /* Alpine, BSDs */
	NULL,
};

/* The trust anchor is a flag or a compiled-in path, never the environment
 * (SSL_CERT_FILE, CURL_CA_BUNDLE): whoever sets a container's environment
 * must not choose which CA vouches for the verifier. */
const char *
ag_http_ca_file(const struct ag_http_opts *o)
{
	if (o->ca_file != NULL)
		return o->ca_file;
	for (size_t i = 0; default_ca_files[i] != NULL; i++)
		if (access(default_ca_files[i], R_OK) == 0)
			return default_ca_files[i];
	return NULL;
}

struct attempt {
	struct ag_buf *body;
	int too_big;
	int64_t retry_after_ms;    /* -1: none */
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct attempt *a = arg;

	if (ag_buf_append(a->body, p, size * n) != 0) {
		a->too_big = 1;
		return 0;
	}
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct attempt *a = arg;
	size_t len = size * n;
	char line[1024];

	/* A longer Retry-After line is no date or number: read as a wait past any deadline, never as "none". */
	if (len >= sizeof(line) && len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		a->retry_after_ms = RETRY_AFTER_MAX_S * 1000;
	else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char *v, *end;
		long secs;

		memcpy(line, p + 12, len - 12);
		line[len - 12] = '\0';
		for (v = line; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, "\r\n")] = '\0';
		errno = 0;
		secs = strtol(v, &end, 10);
		if (end != v && *end == '\0' && secs >= 0) {
			/* Any size: a day or more is a wait past every deadline, never "now". */
			a->retry_after_ms = errno == ERANGE || secs > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S * 1000 :
			    (int64_t)secs * 1000;
		} else {
			time_t when = curl_getdate(v, NULL);

			if (when > 0)
				a->retry_after_ms = ((int64_t)when - (int64_t)time(NULL)) * 1000;
			if (a->retry_after_ms < 0)
				a->retry_after_ms = 0;
		}
	}
	return len;
}

static int
retryable_status(long s)
{
	return s == 408 || s == 429 || (s >= 500 && s <= 599);
}

static int
retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* A failure that is the configuration's (a URL, a CA bundle), not the peer's. */
static int
config_curl(CURLcode c)
{
	return c == CURLE_URL_MALFORMAT || c == CURLE_SSL_CACERT_BADFILE ||
	    c == CURLE_SSL_CRL_BADFILE || c == CURLE_BAD_FUNCTION_ARGUMENT;
}

/* Nonzero when libcurl's URL parser refuses url (a port out of range, a bad host...). */
static int
url_malformed(const char *url)
{
	CURLU *u = curl_url();
	int bad = u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK;

	curl_url_cleanup(u);
	return bad;
}

/* Uniform random milliseconds in [0, cap]. */
static int64_t
jitter(int64_t cap)
{
	uint32_t r = 0;

	if (cap <= 0 || RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		return cap > 0 ? cap / 2 : 0;
	return (int64_t)(r % (uint64_t)(cap + 1));
}

static int
progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	volatile sig_atomic_t *cancel = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return cancel != NULL && *cancel ? 1 : 0;
}

/*
 * Proxies: plain-HTTP requests (IMDS) never go through one; HTTPS ones may
 * (libcurl reads https_proxy), but NO_PROXY always covers IMDS.
 */
static int
set_proxy(CURL *h, const char *url)
{
	const char *np = getenv("NO_PROXY");
	char *list = NULL;
	int ok;

	if (strncmp(url, "http://", 7) == 0)
		return curl_easy_setopt(h, CURLOPT_PROXY, "") == CURLE_OK ? 0 : -1;
	if (np == NULL || np[0] == '\0')
		np = getenv("no_proxy");
	if (np == NULL || np[0] == '\0')
		np = AG_HTTP_IMDS_HOST;
	if (strcmp(np, "*") == 0)
		return curl_easy_setopt(h, CURLOPT_NOPROXY, "*") == CURLE_OK ? 0 : -1;
	if (asprintf(&list, "%s,%s", np, AG_HTTP_IMDS_HOST) < 0)
		return -1;
	ok = curl_easy_setopt(h, CURLOPT_NOPROXY, list) == CURLE_OK;   /* libcurl copies it */
	free(list);
	return ok ? 0 : -1;
}

/* One attempt; fills *cc and *status. */
static enum ag_code
attempt_once(CURL *h, const char *method, const char *url, struct curl_slist *hdrs, const void *body,
    size_t body_len, const struct ag_http_opts *o, const char *ca, int64_t timeout_ms, struct attempt *a,
    CURLcode *cc, long *status, char *errbuf, struct ag_err *err)
{
	curl_easy_reset(h);
	errbuf[0] = '\0';
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, o->allow_http ? "http,https" : "https") != CURLE_OK)
		return ag_err_set(err, AG_ECONFIG, "bad URL %s", url);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	/* Only that file: not libcurl's compiled-in CA directory, nor SSL_CERT_DIR. */
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	if (set_proxy(h, url) != 0)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "attestgate");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)a->body->max);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)o->cancel);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (hdrs != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	*status = 0;
	*cc = curl_easy_perform(h);
	if (*cc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	return AG_OK;
}

/* After an attempt worth retrying: how long to wait first, or the error that ends the request. */
static enum ag_code
backoff(const struct ag_http_opts *o, const char *url, const struct attempt *a, int attempts, const char *last,
    enum ag_code fail, int64_t *wait, struct ag_err *err)
{
	int64_t cap = BACKOFF_BASE_MS << (attempts < 6 ? attempts - 1 : 5), left;

	if (o->max_attempts > 0 && attempts >= o->max_attempts)
		return ag_err_set_transient(err, fail, "%s: gave up after %d attempts; last: %s", url, attempts, last);
	*wait = jitter(cap < BACKOFF_CAP_MS ? cap : BACKOFF_CAP_MS);
	if (a->retry_after_ms > *wait)
		*wait = a->retry_after_ms;
	left = o->deadline_ms - ag_clock_mono_ms();
	if (a->retry_after_ms > 0 && a->retry_after_ms >= left)
		return ag_err_set_transient(err, fail,
		    "%s: unavailable (%s) and it asks to retry after %lld s, past the deadline: giving up "
		    "(after %d attempt%s)", url, last, (long long)(a->retry_after_ms / 1000), attempts, attempts == 1 ? "" : "s");
	if (*wait >= left)
		return ag_err_set_transient(err, fail,
		    "%s: unavailable (%s) and the deadline leaves no time to retry (after %d attempt%s)", url, last, attempts,
		    attempts == 1 ? "" : "s");
	return AG_OK;
}

/* Checks the URL and CA, initialises libcurl once, builds the header list and the handle. */
/*
 * One connection cache and TLS session cache for the process: the attest
 * call and /certs of the same instance share a connection (and a resumed
 * session where a server closes it), which saves a handshake.  libcurl
 * reuses a connection only for the same host, port and TLS settings (CA
 * bundle included).  The gate makes its requests one at a time, so no
 * locking is needed.  NULL (no sharing) if it cannot be made.
 */
static CURLSH *
share(void)
{
	static CURLSH *sh;
	static int tried;

	if (!tried) {
		tried = 1;
		sh = curl_share_init();
		if (sh != NULL && (curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
		    curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)) {
			curl_share_cleanup(sh);
			sh = NULL;
		}
	}
	return sh;
}

static enum ag_code
prepare(const char *url, const char *const *headers, const struct ag_http_opts *o, const char *ca,
    struct curl_slist **hdrs, CURL **h, struct ag_err *err)
{
	static int curl_ready;

	if (strncmp(url, "https://", 8) != 0 && !(o->allow_http && strncmp(url, "http://", 7) == 0))
		return ag_err_set(err, AG_ECONFIG, "%s: only https:// URLs are allowed", url);
	if (ca == NULL && strncmp(url, "https://", 8) == 0)
		return ag_err_set(err, AG_ECONFIG, "no CA bundle found for TLS to %s: pass --ca-file FILE", url);
	if (ca != NULL && strncmp(url, "https://", 8) == 0 && access(ca, R_OK) != 0)
		return ag_err_set(err, AG_ECONFIG, "cannot read the CA bundle %s (--ca-file): %s", ca, strerror(errno));
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return ag_err_set(err, AG_ECONFIG, "cannot initialise libcurl");
		curl_ready = 1;
	}
	if (url_malformed(url))
		return ag_err_set(err, AG_ECONFIG, "bad URL %s", url);
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		struct curl_slist *n = curl_slist_append(*hdrs, headers[i]);

		if (n == NULL)
			return ag_err_set(err, AG_ECONFIG, "out of memory");
		*hdrs = n;
	}
	if ((*h = curl_easy_init()) == NULL)
		return ag_err_set(err, AG_ECONFIG, "cannot create a libcurl handle");
	if (share() != NULL)
		curl_easy_setopt(*h, CURLOPT_SHARE, share());
	return AG_OK;
}

enum ag_code
ag_http_request(const char *method, const char *url, const char *const *headers, const void *body,
    size_t body_len, const struct ag_http_opts *o, struct ag_http_response *resp, struct ag_err *err)
{
	struct curl_slist *hdrs = NULL;
	const char *ca = ag_http_ca_file(o);
	char errbuf[CURL_ERROR_SIZE], last[300] = "";
	int64_t per = o->attempt_timeout_ms > 0 ? o->attempt_timeout_ms : DEFAULT_ATTEMPT_MS, wait = 0;
	size_t max = o->max_response > 0 ? o->max_response : AG_HTTP_DEFAULT_MAX_RESPONSE;
	enum ag_code fail = o->unreachable != AG_OK ? o->unreachable : AG_EVERIFIER;
	CURL *h = NULL;
	enum ag_code rc;

	memset(resp, 0, sizeof(*resp));
	ag_buf_init(&resp->body, max);
	if ((rc = prepare(url, headers, o, ca, &hdrs, &h, err)) != AG_OK)
		goto out;
	for (;;) {
		struct attempt a = { &resp->body, 0, -1 };
		int64_t left = o->deadline_ms - ag_clock_mono_ms();
		CURLcode cc = CURLE_OK;
		long status = 0;

		if (left <= 0) {
			rc = ag_err_set_transient(err, fail, "%s: deadline exceeded after %d attempt%s%s%s", url,
			    resp->attempts, resp->attempts == 1 ? "" : "s", last[0] != '\0' ? "; last: " : "", last);
			goto out;
		}
		ag_buf_free(&resp->body);
		resp->attempts++;
		rc = attempt_once(h, method, url, hdrs, body, body_len, o, ca, per < left ? per : left, &a, &cc,
		    &status, errbuf, err);
		if (rc != AG_OK)
			goto out;
		if (o->cancel != NULL && *o->cancel) {
			rc = ag_err_set_transient(err, fail, "%s: cancelled", url);
			goto out;
		}
		if (a.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			rc = ag_err_set(err, fail, "%s: response larger than %zu bytes", url, max);
			goto out;
		}
		if (cc == CURLE_OK && !retryable_status(status)) {
			resp->status = status;
			goto out;
		}
		if (cc != CURLE_OK && !retryable_curl(cc)) {
			/* TLS and certificate failures are not healed by waiting. */
			rc = ag_err_set(err, config_curl(cc) ? AG_ECONFIG : fail, "%s: %s", url,
			    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
			goto out;
		}
		if (cc == CURLE_OK)
			snprintf(last, sizeof(last), "HTTP %ld", status);
		else
			snprintf(last, sizeof(last), "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		if ((rc = backoff(o, url, &a, resp->attempts, last, fail, &wait, err)) != AG_OK)
			goto out;
		if (ag_clock_sleep_ms(wait, o->cancel) != 0) {
			rc = ag_err_set_transient(err, fail, "%s: cancelled", url);
			goto out;
		}
	}
out:
	if (rc != AG_OK)
		ag_buf_free(&resp->body);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return rc;
}

enum ag_code
ag_http_url(char *buf, size_t size, struct ag_err *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return ag_err_set(err, AG_ECONFIG, "the URL %.100s... is too long (more than %zu bytes)", buf, size - 1);
	return AG_OK;
}

void
ag_http_response_free(struct ag_http_response *resp)
{
	ag_buf_free(&resp->body);
}
