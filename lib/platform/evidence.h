/*
 * platform/evidence.h - collected evidence as named files plus the facts about them
 * (platform, report type, nonce), and the evidence bundle on disk
 * (evidence.json manifest with a SHA-256 per file).  What the files mean is
 * the platform modules' and verifiers' business.
 */
#ifndef AG_EVIDENCE_H
#define AG_EVIDENCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/nonce.h"
#include "publish/output.h"

#define AG_EVIDENCE_MAX_FILES 16

struct ag_evidence_blob {
	char name[48];
	uint8_t *data;
	size_t len;
};

struct ag_evidence {
	const char *platform;              /* static string: "azure-cvm", ... */
	const char *report_type;           /* static string: "snp", "tdx" */
	struct ag_nonce nonce;             /* the nonce bound into the evidence */
	int64_t time_ms;                   /* wall clock at collection */
	int quote_unbound;                 /* azure-cvm: the vTPM quote's qualifying data is empty, not the nonce */
	struct ag_evidence_blob files[AG_EVIDENCE_MAX_FILES];
	size_t n_files;
	json_t *facts;                     /* extra manifest entries (owned object) */
};

/* Initialises an empty evidence set. */
void ag_evidence_init(struct ag_evidence *e);

/* Adds a file, taking ownership of data (freed even on failure). */
enum ag_code ag_evidence_add(struct ag_evidence *e, const char *name, uint8_t *data, size_t len, struct ag_err *err);

/* The file called name, or NULL. */
const struct ag_evidence_blob *ag_evidence_get(const struct ag_evidence *e, const char *name);

/* Records a fact in the manifest (steals v). */
void ag_evidence_fact(struct ag_evidence *e, const char *key, json_t *v);

/* The evidence.json manifest (new reference). */
json_t *ag_evidence_manifest(const struct ag_evidence *e);

/* The files plus evidence.json as a view for the output writer: *n entries; free the array and *manifest. */
struct ag_evidence_file *ag_evidence_files(const struct ag_evidence *e, char **manifest, size_t *n);

/* Writes the bundle into dir (created if missing): every file, then evidence.json, each atomically. */
enum ag_code ag_evidence_write_bundle(const struct ag_evidence *e, const char *dir, struct ag_err *err);

/* Parses evidence.json text (no I/O): platform, nonce, quote binding into e; *files the checked file list (new reference). */
enum ag_code ag_evidence_manifest_parse(const uint8_t *text, size_t len, struct ag_evidence *e, json_t **files,
    struct ag_err *err);

/*
 * Reads a bundle written by ag_evidence_write_bundle: evidence.json, then
 * every file it lists, each checked against its size and SHA-256.  e must
 * be initialised; AG_ECONFIG when the bundle is unreadable or altered.
 */
enum ag_code ag_evidence_read_bundle(const char *dir, struct ag_evidence *e, struct ag_err *err);

/* The static platform name equal to name ("azure-cvm", "azure-kata-cc", "sev-snp", "tdx"), or NULL. */
const char *ag_evidence_platform_name(const char *name);

/* Frees everything the evidence owns. */
void ag_evidence_clear(struct ag_evidence *e);

#endif
