/*
 * publish/output.h - the output directory of the design (the shared emptyDir).
 *
 * Every file is written to a temporary name in the same directory, fsynced,
 * renamed into place and the directory fsynced, so readers see either the old
 * file or the whole new one.  Opening the directory first removes everything
 * an earlier run left (ready first, then token, ...), so a run that fails at
 * any point leaves no token and no ready.  Not for reading inputs.
 */
#ifndef AG_OUTPUT_H
#define AG_OUTPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "publish/status.h"

struct ag_output;

struct ag_evidence_file {
	const char *name;     /* plain file name, no '/' */
	const uint8_t *data;
	size_t len;
};

/* What one run publishes; everything but status is optional. */
struct ag_publish {
	const struct ag_status *status;
	const struct ag_evidence_file *evidence;
	size_t n_evidence;
	const char *jwks;     /* JSON text of the verified signing keys */
	const char *token;    /* the verified JWT (maa verifier) */
	const struct ag_evidence_file *keys;  /* released keys (0440, after the token); never logged */
	size_t n_keys;
	json_t *claims;       /* verified claims object (borrowed) */
	int no_ready;         /* discovery (run --print-claims): no policy was applied, so no token and no ready */
};

/* Opens dir, removes the outputs and temporaries of earlier runs, fsyncs it. AG_ECONFIG on error. */
enum ag_code ag_output_open(const char *dir, struct ag_output **out, struct ag_err *err);

/* Opens (creating it if missing) a directory for an evidence bundle; nothing is removed. */
enum ag_code ag_output_open_bundle(const char *dir, struct ag_output **out, struct ag_err *err);

/* Atomically writes one file named name with the given mode (temp, fsync, rename, fsync dir). */
enum ag_code ag_output_write_file(struct ag_output *out, const char *name, const void *data,
    size_t len, mode_t mode, struct ag_err *err);

/* Removes one earlier output by name (a released key's file) before this run writes anything. */
enum ag_code ag_output_remove(struct ag_output *out, const char *name, struct ag_err *err);

/*
 * Writes in the design's order: evidence, jwks, token, keys, claims, status, ready.
 * When the status does not pass, only evidence and status are written.
 */
enum ag_code ag_output_publish(struct ag_output *out, const struct ag_publish *p, struct ag_err *err);

/* Closes the directory handle; NULL is allowed. */
void ag_output_close(struct ag_output *out);

/* The kubelet keeps at most 4096 bytes of a termination message: the text, newline excluded. */
#define AG_TERMINATION_MESSAGE_MAX 4095

/*
 * Writes msg as one line (at most 4096 bytes, Kubernetes' limit) to the
 * termination-message file.  With create == 0 a missing file is not an error
 * (not running under a kubelet) and nothing is created.
 */
enum ag_code ag_termination_message_write(const char *path, const char *msg, int create,
    struct ag_err *err);

#endif
