/*
 * verifier/gpu_settings.c - the GPU verifier's options from the text of
 * the flags (run and verify-evidence alike): RIM and OCSP sources with the
 * run's deadline, the file lists split, the test roots loaded.
 */
#include <stdlib.h>
#include <string.h>

#include "base/certs.h"
#include "base/fileio.h"
#include "verifier/nvidia_gpu.h"

/* A copy of list split into out (n of at most max); the copy goes to *owned. */
static enum ag_code
split(const char *list, char **owned, const char **out, size_t max, size_t *n, const char *flag, struct ag_err *err)
{
	if (list == NULL)
		return AG_OK;
	if ((*owned = strdup(list)) == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	return ag_file_list_split(*owned, out, max, n, flag, err);
}

enum ag_code
ag_gpu_opts_from(const struct ag_gpu_settings *s, struct ag_gpu_opts *o, struct ag_err *err)
{
	struct ag_http_opts http = { .ca_file = s->ca_file, .deadline_ms = s->deadline_ms, .cancel = s->cancel };
	enum ag_code rc;

	memset(o, 0, sizeof(*o));
	o->at = s->at;
	o->rims.dir = s->rim_dir;
	o->rims.service_url = s->rim_url;
	o->rims.http = http;
	o->ocsp.url = s->ocsp_url;
	o->ocsp.http = http;
	if ((rc = split(s->rims, &o->owned[0], o->rims.files, AG_GPU_RIM_FILES_MAX, &o->rims.n_files, "--gpu-rim",
		 err)) != AG_OK ||
	    (rc = split(s->ocsp_responses, &o->owned[1], o->ocsp.files, AG_GPU_OCSP_FILES_MAX, &o->ocsp.n_files,
		 "--gpu-ocsp-response", err)) != AG_OK)
		return rc;
	if (s->test_roots_dir == NULL)
		return AG_OK;
	if ((o->test_roots = sk_X509_new_null()) == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	return ag_certs_load_dir(s->test_roots_dir, o->test_roots, err);
}

void
ag_gpu_opts_clear(struct ag_gpu_opts *o)
{
	sk_X509_pop_free(o->test_roots, X509_free);
	free(o->owned[0]);
	free(o->owned[1]);
	memset(o, 0, sizeof(*o));
}
