/*
 * format/nvidia_evidence.c - NVIDIA's evidence JSON read with jansson and
 * OpenSSL's base64: bounded (size, devices), strict about types, every
 * problem named by entry and field.
 */
#include "format/nvidia_evidence.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "base/digest.h"
#include "format/spdm.h"

/* A string member, or NULL (absent); -1 in *bad when present but not a string. */
static const char *
str_member(const json_t *o, const char *key, int *bad)
{
	const json_t *v = json_object_get(o, key);

	if (v != NULL && !json_is_string(v))
		*bad = 1;
	return json_string_value(v);
}

/* Decodes the base64 member key (at most max bytes) into *out. */
static enum ag_code
b64_member(const json_t *o, const char *key, size_t max, uint8_t **out, size_t *len, size_t i, struct ag_err *err)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL)
		return ag_err_set(err, AG_EINVALID, "GPU evidence entry %zu: no \"%s\" string", i, key);
	if (strlen(s) > (max / 3 + 1) * 4 || ag_b64_decode(s, strlen(s), out, len) != 0 || *len == 0 || *len > max)
		return ag_err_set(err, AG_EINVALID, "GPU evidence entry %zu: \"%s\" is not base64 of at most %zu bytes", i, key,
		    max);
	return AG_OK;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* One list entry into e. */
static enum ag_code
parse_entry(const json_t *o, size_t i, struct ag_nv_evidence_entry *e, struct ag_err *err)
{
	const char *arch, *nonce, *drv, *vbios, *uuid;
	int bad = 0;
	enum ag_code rc;

	if (!json_is_object(o))
		return ag_err_set(err, AG_EINVALID, "GPU evidence entry %zu is not an object", i);
	arch = str_member(o, "arch", &bad);
	nonce = str_member(o, "nonce", &bad);
	drv = str_member(o, "driver_version", &bad);
	vbios = str_member(o, "vbios_version", &bad);
	uuid = str_member(o, "uuid", &bad);
	if (bad)
		return ag_err_set(err, AG_EINVALID, "GPU evidence entry %zu: arch, nonce, driver_version, vbios_version and "
		    "uuid must be strings", i);
	if (arch == NULL || strlen(arch) >= sizeof(e->arch))
		return ag_err_set(err, AG_EINVALID, "GPU evidence entry %zu: no \"arch\" (HOPPER, BLACKWELL, LS10)", i);
	snprintf(e->arch, sizeof(e->arch), "%s", arch);
	if (nonce != NULL && (strlen(nonce) != 2 * sizeof(e->nonce) || ag_hex_decode(nonce, e->nonce, sizeof(e->nonce)) != 0))
		return ag_err_set(err, AG_EINVALID, "GPU evidence entry %zu: \"nonce\" is not 64 hex digits", i);
	e->has_nonce = nonce != NULL;
	if ((rc = b64_member(o, "evidence", AG_SPDM_REPORT_MAX, &e->report, &e->report_len, i, err)) != AG_OK ||
	    (rc = b64_member(o, "certificate", AG_NV_CHAIN_MAX_BYTES, &e->chain, &e->chain_len, i, err)) != AG_OK)
		return rc;
	e->driver_version = dup_or_null(drv);
	e->vbios_version = dup_or_null(vbios);
	e->uuid = dup_or_null(uuid);
	if ((drv != NULL && e->driver_version == NULL) || (vbios != NULL && e->vbios_version == NULL) ||
	    (uuid != NULL && e->uuid == NULL))
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	return AG_OK;
}

enum ag_code
ag_nv_evidence_parse(const uint8_t *json, size_t len, struct ag_nv_evidence_entry **entries, size_t *n,
    struct ag_err *err)
{
	json_error_t jerr;
	json_t *root;
	size_t count;
	enum ag_code rc = AG_OK;

	*entries = NULL;
	*n = 0;
	if (len > AG_NV_EVIDENCE_MAX_BYTES)
		return ag_err_set(err, AG_EINVALID, "GPU evidence: %zu bytes, more than %d", len, AG_NV_EVIDENCE_MAX_BYTES);
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return ag_err_set(err, AG_EINVALID, "GPU evidence: not JSON: %s (line %d)", jerr.text, jerr.line);
	count = json_array_size(root);
	if (!json_is_array(root) || count == 0 || count > AG_NV_EVIDENCE_MAX_DEVICES)
		rc = ag_err_set(err, AG_EINVALID, "GPU evidence: not a list of 1 to %d devices", AG_NV_EVIDENCE_MAX_DEVICES);
	else if ((*entries = calloc(count, sizeof(**entries))) == NULL)
		rc = ag_err_set(err, AG_ECONFIG, "out of memory");
	for (size_t i = 0; rc == AG_OK && i < count; i++) {
		*n = i + 1;
		rc = parse_entry(json_array_get(root, i), i, &(*entries)[i], err);
	}
	json_decref(root);
	if (rc != AG_OK) {
		ag_nv_evidence_free(*entries, *n);
		*entries = NULL;
		*n = 0;
	}
	return rc;
}

void
ag_nv_evidence_free(struct ag_nv_evidence_entry *entries, size_t n)
{
	for (size_t i = 0; entries != NULL && i < n; i++) {
		free(entries[i].report);
		free(entries[i].chain);
		free(entries[i].driver_version);
		free(entries[i].vbios_version);
		free(entries[i].uuid);
	}
	free(entries);
}
