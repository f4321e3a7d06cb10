/*
 * serve/tls_files.h - the webhook's serving certificate from its files (a
 * mounted kubernetes.io/tls Secret): a TLS 1.2+ server context, and the
 * files' identity so a rotation is noticed and loaded without a restart.
 */
#ifndef AG_SERVE_TLS_FILES_H
#define AG_SERVE_TLS_FILES_H

#include <openssl/ssl.h>
#include <stdint.h>

#include "base/error.h"

/* A server context (TLS 1.2 or newer) for the PEM chain in cert and its key in key; AG_ECONFIG saying why not. */
enum ag_code ag_tls_server_ctx(const char *cert, const char *key, SSL_CTX **out, struct ag_err *err);

/* The identity of both files (see ag_file_identity), to compare before and after. */
void ag_tls_files_identity(const char *cert, const char *key, int64_t out[8]);

#endif
