/*
 * serve/tls_files.c - loading the serving certificate (see tls_files.h).
 * The chain and the key must match: a Secret caught between its two files'
 * updates does not load, and the caller keeps the previous context.
 */
#include "serve/tls_files.h"

#include <openssl/err.h>

#include "base/fileio.h"

enum ag_code
ag_tls_server_ctx(const char *cert, const char *key, SSL_CTX **out, struct ag_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const char *what = NULL, *file = cert;
	unsigned long e;

	*out = NULL;
	if (ctx == NULL)
		return ag_err_set(err, AG_ECONFIG, "cannot create a TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		what = "the certificate (PEM chain, leaf first) does not load from";
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		what = "the private key (PEM) does not load from";
		file = key;
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		what = "the private key does not match the certificate:";
		file = key;
	}
	if (what == NULL) {
		*out = ctx;
		return AG_OK;
	}
	e = ERR_peek_last_error();
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return ag_err_set(err, AG_ECONFIG, "%s %s (%s)", what, file,
	    e != 0 ? ERR_reason_error_string(e) : "no detail");
}

void
ag_tls_files_identity(const char *cert, const char *key, int64_t out[8])
{
	ag_file_identity(cert, out);
	ag_file_identity(key, out + 4);
}
