/*
 * node/tsm_report.h - hardware reports through Linux configfs-tsm
 * (/sys/kernel/config/tsm/report): one private entry per request, inblob
 * in, outblob (report or quote) and auxblob (SEV-SNP cert table) out, the
 * provider's name, and a retry when `generation` shows that another writer
 * touched the entry in between.  The entry is always removed.
 */
#ifndef AG_TSM_REPORT_H
#define AG_TSM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define AG_TSM_DEFAULT_ROOT "/sys/kernel/config/tsm/report"
#define AG_TSM_INBLOB_LEN 64
#define AG_TSM_BLOB_MAX (64 * 1024)

struct ag_tsm_report {
	uint8_t *outblob;        /* the report (SNP) or quote (TDX) */
	size_t outblob_len;
	uint8_t *auxblob;        /* SNP cert table, or NULL when the provider gives none */
	size_t auxblob_len;
	char provider[32];       /* "sev_guest", "tdx_guest", ... */
};

/* Nonzero when root (a configfs-tsm report directory) exists. */
int ag_tsm_available(const char *root);

/* The provider of root's reports ("sev_guest", "tdx_guest", ...) into out, read from a throw-away entry; -1 when unreadable. */
int ag_tsm_provider(const char *root, char *out, size_t size);

/*
 * Gets one report for inblob (64 bytes) from the configfs-tsm directory
 * root; privlevel (SNP VMPL) is written unless negative.  AG_EEVIDENCE when
 * configfs-tsm is unusable, with the reason.  Free with ag_tsm_report_clear.
 */
enum ag_code ag_tsm_report_get(const char *root, const uint8_t inblob[AG_TSM_INBLOB_LEN], int privlevel,
    struct ag_tsm_report *out, struct ag_err *err);

/* Frees the blobs of a report. */
void ag_tsm_report_clear(struct ag_tsm_report *r);

#endif
