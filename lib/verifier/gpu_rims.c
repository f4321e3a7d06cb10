/*
 * verifier/gpu_rims.c - RIM candidates from files, a directory or NVIDIA's
 * RIM service (whose JSON answer {"id", "rim": base64 XML, ...} must name
 * the id asked for).  The id comes from signed report fields, but is still
 * checked to be a plain name before it becomes a path or a URL.
 */
#include "verifier/gpu_rims.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/fileio.h"

#define RIM_ANSWER_MAX (4 * 1024 * 1024)

int
ag_gpu_rim_source_set(const struct ag_gpu_rim_source *s)
{
	return s->n_files > 0 || s->dir != NULL || s->service_url != NULL;
}

/* Nonzero when id may become a file name and a URL path segment. */
static int
plain_id(const char *id)
{
	if (id[0] == '\0' || id[0] == '.' || strlen(id) > 128)
		return 0;
	for (const char *p = id; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
			*p == '_' || *p == '-'))
			return 0;
	return 1;
}

enum ag_code
ag_gpu_rim_read_file(const char *path, struct ag_nv_rim **rim, struct ag_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	enum ag_code rc = ag_file_read(path, AG_NV_RIM_MAX_BYTES, AG_ECONFIG, &buf, &len, err);

	if (rc == AG_OK && (rc = ag_nv_rim_read(buf, len, rim, err)) != AG_OK)
		ag_err_prefix(err, "%s", path);
	free(buf);
	return rc;
}

/* DIR/ID, DIR/ID.xml or DIR/ID.swidtag, or *rim NULL. */
static enum ag_code
from_dir(const char *dir, const char *id, struct ag_nv_rim **rim, struct ag_err *err)
{
	static const char *const ext[] = { "", ".xml", ".swidtag" };
	char path[4096];

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, id, ext[i]) >= sizeof(path))
			return ag_err_set(err, AG_ECONFIG, "--gpu-rim-dir: the path is too long");
		if (access(path, F_OK) == 0)
			return ag_gpu_rim_read_file(path, rim, err);
	}
	return AG_OK;
}

/* The service's answer for id: {"id": id, "rim": base64 of the XML}. */
static enum ag_code
parse_answer(const char *id, const struct ag_buf *body, struct ag_nv_rim **rim, struct ag_err *err)
{
	json_t *j = json_loadb((const char *)body->data, body->len, JSON_REJECT_DUPLICATES, NULL);
	const char *got = json_string_value(json_object_get(j, "id")), *b64 = json_string_value(json_object_get(j, "rim"));
	uint8_t *xml = NULL;
	size_t len = 0;
	enum ag_code rc;

	if (got == NULL || b64 == NULL)
		rc = ag_err_set(err, AG_EVERIFIER, "NVIDIA RIM service: the answer for %s is not {\"id\", \"rim\"} JSON", id);
	else if (strcmp(got, id) != 0)
		rc = ag_err_set(err, AG_EVERIFIER, "NVIDIA RIM service: asked for %s, answered %.128s", id, got);
	else if (ag_b64_decode(b64, strlen(b64), &xml, &len) != 0)
		rc = ag_err_set(err, AG_EVERIFIER, "NVIDIA RIM service: the RIM of %s is not base64", id);
	else if ((rc = ag_nv_rim_read(xml, len, rim, err)) != AG_OK)
		ag_err_prefix(err, "NVIDIA RIM service: %s", id);
	free(xml);
	json_decref(j);
	return rc;
}

/* GET BASE/v1/rim/ID; a 404 is "no such RIM" (*rim NULL), other failures are errors. */
static enum ag_code
from_service(const struct ag_gpu_rim_source *s, const char *id, struct ag_nv_rim **rim, struct ag_err *err)
{
	struct ag_http_opts h = s->http;
	struct ag_http_response resp = { 0 };
	char url[1024];
	enum ag_code rc;

	if ((rc = ag_http_url(url, sizeof(url), err, "%s/v1/rim/%s", s->service_url, id)) != AG_OK)
		return rc;
	h.max_response = RIM_ANSWER_MAX;
	h.unreachable = AG_EVERIFIER;
	if ((rc = ag_http_request("GET", url, NULL, NULL, 0, &h, &resp, err)) != AG_OK) {
		ag_err_prefix(err, "NVIDIA RIM service");
		return rc;
	}
	if (resp.status == 200)
		rc = parse_answer(id, &resp.body, rim, err);
	else if (resp.status != 404)
		rc = ag_err_set(err, AG_EVERIFIER, "NVIDIA RIM service: %s answered HTTP %ld", url, resp.status);
	ag_http_response_free(&resp);
	return rc;
}

enum ag_code
ag_gpu_rim_get(const struct ag_gpu_rim_source *s, const char *id, struct ag_nv_rim **rim, const char **origin,
    struct ag_err *err)
{
	enum ag_code rc;

	*rim = NULL;
	*origin = "dir";
	if (!plain_id(id))
		return ag_err_set(err, AG_EINVALID, "the report names RIM \"%.64s\", which is not a plain name", id);
	if (s->dir != NULL && ((rc = from_dir(s->dir, id, rim, err)) != AG_OK || *rim != NULL))
		return rc;
	*origin = "service";
	if (s->service_url != NULL)
		return from_service(s, id, rim, err);
	return AG_OK;
}
