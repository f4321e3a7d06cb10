/*
 * platform/evidence.c - the evidence set and its bundle.  evidence.json is written
 * last, so a bundle with a manifest is a complete bundle.
 */
#include "platform/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/fileio.h"

#define BUNDLE_FILE_MAX (4 * 1024 * 1024)

void
ag_evidence_init(struct ag_evidence *e)
{
	memset(e, 0, sizeof(*e));
	e->facts = json_object();
}

enum ag_code
ag_evidence_add(struct ag_evidence *e, const char *name, uint8_t *data, size_t len, struct ag_err *err)
{
	if (e->n_files >= AG_EVIDENCE_MAX_FILES || strlen(name) >= sizeof(e->files[0].name) ||
	    ag_evidence_get(e, name) != NULL) {
		free(data);
		return ag_err_set(err, AG_EEVIDENCE, "cannot add evidence file %s", name);
	}
	snprintf(e->files[e->n_files].name, sizeof(e->files[0].name), "%s", name);
	e->files[e->n_files].data = data;
	e->files[e->n_files].len = len;
	e->n_files++;
	return AG_OK;
}

const struct ag_evidence_blob *
ag_evidence_get(const struct ag_evidence *e, const char *name)
{
	for (size_t i = 0; i < e->n_files; i++)
		if (strcmp(e->files[i].name, name) == 0)
			return &e->files[i];
	return NULL;
}

void
ag_evidence_fact(struct ag_evidence *e, const char *key, json_t *v)
{
	if (e->facts != NULL)
		json_object_set_new(e->facts, key, v);
	else
		json_decref(v);
}

json_t *
ag_evidence_manifest(const struct ag_evidence *e)
{
	char nonce[AG_NONCE_HEX_MAX], when[AG_RFC3339_MAX];
	json_t *m, *files = json_array();

	ag_nonce_hex(&e->nonce, nonce);
	for (size_t i = 0; i < e->n_files; i++) {
		char sum[AG_SHA256_HEX_LEN + 1] = "";

		ag_sha256_hex(e->files[i].data, e->files[i].len, sum);
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", e->files[i].name, "size",
						 (json_int_t)e->files[i].len, "sha256", sum));
	}
	m = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:o}", "apiVersion", "attestgate.io/v1", "kind", "EvidenceBundle",
	    "platform", e->platform != NULL ? e->platform : "unknown", "reportType", e->report_type, "nonce", nonce,
	    "time", ag_time_rfc3339_ms(e->time_ms, when), "files", files);
	if (m != NULL && e->facts != NULL)
		json_object_update(m, e->facts);
	return m;
}

static char *
manifest_text(const struct ag_evidence *e)
{
	json_t *m = ag_evidence_manifest(e);
	char *text = m != NULL ? json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	json_decref(m);
	return text;
}

struct ag_evidence_file *
ag_evidence_files(const struct ag_evidence *e, char **manifest, size_t *n)
{
	struct ag_evidence_file *v = calloc(e->n_files + 2, sizeof(*v));

	*n = 0;
	*manifest = manifest_text(e);
	if (v == NULL || *manifest == NULL) {
		free(v);
		free(*manifest);
		*manifest = NULL;
		return NULL;
	}
	for (size_t i = 0; i < e->n_files; i++) {
		v[i].name = e->files[i].name;
		v[i].data = e->files[i].data;
		v[i].len = e->files[i].len;
	}
	v[e->n_files].name = "evidence.json";
	v[e->n_files].data = (const uint8_t *)*manifest;
	v[e->n_files].len = strlen(*manifest);
	*n = e->n_files + 1;
	return v;
}

enum ag_code
ag_evidence_write_bundle(const struct ag_evidence *e, const char *dir, struct ag_err *err)
{
	struct ag_output *out = NULL;
	char *text = NULL;
	enum ag_code rc = ag_output_open_bundle(dir, &out, err);

	for (size_t i = 0; rc == AG_OK && i < e->n_files; i++)
		rc = ag_output_write_file(out, e->files[i].name, e->files[i].data, e->files[i].len, 0444, err);
	if (rc == AG_OK) {
		text = manifest_text(e);
		rc = text != NULL ? ag_output_write_file(out, "evidence.json", text, strlen(text), 0444, err) :
				    ag_err_set(err, AG_EEVIDENCE, "cannot build evidence.json");
	}
	free(text);
	ag_output_close(out);
	return rc;
}

void
ag_evidence_clear(struct ag_evidence *e)
{
	for (size_t i = 0; i < e->n_files; i++)
		free(e->files[i].data);
	json_decref(e->facts);
	memset(e, 0, sizeof(*e));
}

const char *
ag_evidence_platform_name(const char *name)
{
	static const char *const names[] = { "azure-cvm", "azure-kata-cc", "sev-snp", "tdx" };

	for (size_t i = 0; name != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return names[i];
	return NULL;
}

/* A listed file entry: a plain name (no path, not evidence.json), its size and SHA-256 (hex). */
static int
listed_entry_ok(const json_t *f)
{
	const char *name = json_string_value(json_object_get(f, "name")), *sum = json_string_value(json_object_get(f, "sha256"));

	return name != NULL && sum != NULL && json_is_integer(json_object_get(f, "size")) && name[0] != '.' &&
	    name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, "evidence.json") != 0 &&
	    strlen(name) < sizeof(((struct ag_evidence_blob *)0)->name) && ag_is_sha256_hex(sum);
}

/* Nonzero when entry i of files names a file an earlier entry names. */
static int
listed_before(const json_t *files, size_t i)
{
	const char *name = json_string_value(json_object_get(json_array_get(files, i), "name"));

	for (size_t k = 0; k < i; k++)
		if (strcmp(json_string_value(json_object_get(json_array_get(files, k), "name")), name) == 0)
			return 1;
	return 0;
}

enum ag_code
ag_evidence_manifest_parse(const uint8_t *text, size_t len, struct ag_evidence *e, json_t **files, struct ag_err *err)
{
	json_error_t je;
	json_t *m, *f;
	const char *nonce, *qq;
	size_t i;
	enum ag_code rc = AG_OK;

	*files = NULL;
	if (len > BUNDLE_FILE_MAX)
		return ag_err_set(err, AG_ECONFIG, "evidence.json is larger than %d bytes", BUNDLE_FILE_MAX);
	m = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
	if (m == NULL || !json_is_object(m)) {
		json_decref(m);
		return ag_err_set(err, AG_ECONFIG, "evidence.json is not a JSON object: %s", je.text);
	}
	e->platform = ag_evidence_platform_name(json_string_value(json_object_get(m, "platform")));
	/* Written by run for MAA: the quote has empty qualifying data, so it binds no nonce. */
	qq = json_string_value(json_object_get(m, "quoteQualifyingData"));
	e->quote_unbound = qq != NULL && strcmp(qq, "empty") == 0;
	nonce = json_string_value(json_object_get(m, "nonce"));
	if (e->platform == NULL)
		rc = ag_err_set(err, AG_ECONFIG, "evidence.json names no known platform");
	else if (nonce == NULL || ag_nonce_from_hex(&e->nonce, nonce, "evidence.json's nonce", NULL) != AG_OK)
		rc = ag_err_set(err, AG_ECONFIG, "evidence.json has no valid nonce (hex, at most %d bytes)", AG_NONCE_MAX);
	else if (!json_is_array(json_object_get(m, "files")) || json_array_size(json_object_get(m, "files")) > AG_EVIDENCE_MAX_FILES)
		rc = ag_err_set(err, AG_ECONFIG, "evidence.json has no list of at most %d files", AG_EVIDENCE_MAX_FILES);
	json_array_foreach(rc == AG_OK ? json_object_get(m, "files") : NULL, i, f)
		if (!listed_entry_ok(f)) {
			rc = ag_err_set(err, AG_ECONFIG, "evidence.json lists a file without a valid name, size and sha256");
			break;
		} else if (listed_before(json_object_get(m, "files"), i)) {
			rc = ag_err_set(err, AG_ECONFIG, "evidence.json lists %s twice",
			    json_string_value(json_object_get(f, "name")));
			break;
		}
	if (rc == AG_OK)
		*files = json_incref(json_object_get(m, "files"));
	json_decref(m);
	return rc;
}

/* Reads one listed file of dir, which must have the listed size and SHA-256. */
static enum ag_code
read_listed(const char *dir, const json_t *f, struct ag_evidence *e, struct ag_err *err)
{
	const char *name = json_string_value(json_object_get(f, "name"));
	char path[4096], got[AG_SHA256_HEX_LEN + 1];
	uint8_t *data = NULL;
	size_t len = 0;
	enum ag_code rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = ag_file_read(path, BUNDLE_FILE_MAX, AG_ECONFIG, &data, &len, err);
	if (rc != AG_OK)
		return rc;
	ag_sha256_hex(data, len, got);
	if ((json_int_t)len != json_integer_value(json_object_get(f, "size")) ||
	    strcmp(got, json_string_value(json_object_get(f, "sha256"))) != 0) {
		free(data);
		return ag_err_set(err, AG_ECONFIG, "%s does not match evidence.json (size or SHA-256 differs): the bundle was altered", path);
	}
	return ag_evidence_add(e, name, data, len, err);
}

enum ag_code
ag_evidence_read_bundle(const char *dir, struct ag_evidence *e, struct ag_err *err)
{
	char path[4096];
	uint8_t *text = NULL;
	size_t len = 0, i;
	json_t *files = NULL, *f;
	enum ag_code rc;

	snprintf(path, sizeof(path), "%s/evidence.json", dir);
	rc = ag_file_read(path, BUNDLE_FILE_MAX, AG_ECONFIG, &text, &len, err);
	if (rc != AG_OK)
		return rc;
	rc = ag_evidence_manifest_parse(text, len, e, &files, err);
	free(text);
	if (rc != AG_OK)
		ag_err_prefix(err, "%s", dir);
	json_array_foreach(files, i, f) {
		if (rc != AG_OK)
			break;
		rc = read_listed(dir, f, e, err);
	}
	json_decref(files);
	return rc;
}
