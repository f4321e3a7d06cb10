/*
 * verifier/gpu_ocsp.c - OCSP for NVIDIA chains: per certificate, the first
 * pre-fetched response about it, else the responder asked with a fresh
 * nonce (POST application/ocsp-request); every answer checked by
 * format/ocsp.h against the chain's own (already verified) root.
 */
#include "verifier/gpu_ocsp.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "base/certs.h"
#include "base/fileio.h"

int
ag_gpu_ocsp_source_set(const struct ag_gpu_ocsp_source *s)
{
	return s->url != NULL || s->n_files > 0;
}

/* The first given response about cert that checks out: AG_OK with *found, or the first error that is not "another certificate". */
static enum ag_code
from_files(const struct ag_gpu_ocsp_source *s, X509 *cert, X509 *issuer, STACK_OF(X509) *chain, time_t at,
    struct ag_ocsp_result *res, int *found, struct ag_err *err)
{
	*found = 0;
	for (size_t i = 0; i < s->n_files; i++) {
		uint8_t *der = NULL;
		size_t len = 0;
		enum ag_code rc = ag_file_read(s->files[i], AG_OCSP_RESPONSE_MAX, AG_ECONFIG, &der, &len, err);

		if (rc == AG_OK)
			rc = ag_ocsp_check(der, len, cert, issuer, chain, sk_X509_value(chain, sk_X509_num(chain) - 1), at, NULL,
			    res, err);
		free(der);
		if (rc == AG_OK) {
			*found = 1;
			return AG_OK;
		}
		if (strstr(err->msg, "not about this certificate") == NULL) {
			ag_err_prefix(err, "%s", s->files[i]);
			return rc;
		}
		ag_err_clear(err);   /* another certificate's answer: not an error */
	}
	return AG_OK;
}

/* Asks the responder about cert with a fresh nonce and checks the answer. */
static enum ag_code
from_responder(const struct ag_gpu_ocsp_source *s, X509 *cert, X509 *issuer, STACK_OF(X509) *chain, time_t at,
    struct ag_ocsp_result *res, struct ag_err *err)
{
	static const char *const headers[] = { "Content-Type: application/ocsp-request",
		"Accept: application/ocsp-response", NULL };
	uint8_t nonce[AG_OCSP_NONCE_LEN], *req = NULL;
	struct ag_http_opts h = s->http;
	struct ag_http_response resp = { 0 };
	size_t len = 0;
	enum ag_code rc;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return ag_err_set(err, AG_ECONFIG, "no randomness for the OCSP nonce");
	if ((rc = ag_ocsp_request(cert, issuer, nonce, &req, &len, err)) != AG_OK)
		return rc;
	h.max_response = AG_OCSP_RESPONSE_MAX;
	h.allow_http = 1;   /* OCSP answers are signed and carry our nonce (RFC 6960 A.1 is plain HTTP) */
	h.unreachable = AG_EVERIFIER;
	rc = ag_http_request("POST", s->url, headers, req, len, &h, &resp, err);
	OPENSSL_free(req);
	if (rc != AG_OK) {
		ag_err_prefix(err, "OCSP responder %s", s->url);
		return rc;
	}
	if (resp.status != 200)
		rc = ag_err_set(err, AG_EVERIFIER, "OCSP responder %s answered HTTP %ld", s->url, resp.status);
	else
		rc = ag_ocsp_check(resp.body.data, resp.body.len, cert, issuer, chain, sk_X509_value(chain, sk_X509_num(chain) - 1),
		    at, nonce, res, err);
	ag_http_response_free(&resp);
	return rc;
}

/* One certificate's answer: offline first, then the responder; anything but good is an error. */
static enum ag_code
check_one(const struct ag_gpu_ocsp_source *s, STACK_OF(X509) *chain, int i, time_t at, struct ag_gpu_ocsp_result *r,
    struct ag_err *err)
{
	X509 *cert = sk_X509_value(chain, i), *issuer = sk_X509_value(chain, i + 1);
	struct ag_ocsp_result res;
	char cn[128];
	int found = 0;
	enum ag_code rc = from_files(s, cert, issuer, chain, at, &res, &found, err);

	if (rc == AG_OK && !found && s->url == NULL)
		rc = ag_err_set(err, AG_EINVALID, "no OCSP response for \"%s\" among --gpu-ocsp-response (and no responder "
		    "to ask)", ag_cert_cn(cert, cn, sizeof(cn)));
	else if (rc == AG_OK && !found)
		rc = from_responder(s, cert, issuer, chain, at, &res, err);
	if (rc != AG_OK)
		return rc;
	if (res.status != AG_OCSP_GOOD)
		return ag_err_set(err, AG_EINVALID, "\"%s\" is %s by OCSP%s%s", ag_cert_cn(cert, cn, sizeof(cn)),
		    ag_ocsp_status_name(res.status), res.reason[0] != '\0' ? ": " : "", res.reason);
	r->online = r->online && !found;
	if (res.next_update != 0 && (r->next_update == 0 || res.next_update < r->next_update))
		r->next_update = res.next_update;
	return AG_OK;
}

enum ag_code
ag_gpu_ocsp_chain(const struct ag_gpu_ocsp_source *s, STACK_OF(X509) *chain, int first, time_t at, const char *what,
    struct ag_gpu_ocsp_result *r, struct ag_err *err)
{
	memset(r, 0, sizeof(*r));
	if (!ag_gpu_ocsp_source_set(s))
		return AG_OK;
	/* Nothing below the root to ask about: nothing was checked. */
	r->checked = first < sk_X509_num(chain) - 1;
	r->online = r->checked;
	for (int i = first; i < sk_X509_num(chain) - 1; i++) {
		enum ag_code rc = check_one(s, chain, i, at, r, err);

		if (rc != AG_OK) {
			ag_err_prefix(err, "%s: revocation", what);
			return rc;
		}
	}
	return AG_OK;
}
