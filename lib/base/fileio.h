/*
 * base/fileio.h - bounded reads of whole files (policies, evidence, tokens,
 * certificates), and a file's identity to notice that it was replaced
 * (a mounted Secret or ConfigMap).  Not for the output directory: see output.h.
 */
#ifndef AG_FILEIO_H
#define AG_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/*
 * Reads at most max bytes of path into a NUL-terminated heap buffer (*data,
 * freed by the caller).  A larger file is an error, never truncated.  On
 * failure the error carries code and names the file.
 */
enum ag_code ag_file_read(const char *path, size_t max, enum ag_code code, uint8_t **data,
    size_t *len, struct ag_err *err);

/* What identifies path's current content without reading it (size, mtime s and ns, inode; symlinks followed; zeros when absent). */
void ag_file_identity(const char *path, int64_t out[4]);

/* Splits a '\n'-separated list of paths (a repeated flag) in place into out (at most max; flag names it in errors). */
enum ag_code ag_file_list_split(char *list, const char **out, size_t max, size_t *n, const char *flag, struct ag_err *err);

#endif
