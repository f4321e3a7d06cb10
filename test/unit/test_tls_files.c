/*
 * test_tls_files.c - lib/serve/tls_files.c: the webhook's serving
 * certificate from its files.  A P-256 key and a self-signed certificate
 * made here with OpenSSL load into a TLS 1.2+ server context (a chain,
 * leaf first, too); a key that does not match, a missing certificate or
 * key, and garbage PEM are refused naming the file; the files' identity
 * changes when a file is replaced (rename, as a Secret update does) and is
 * zeros for a missing file.
 */
#include "testutil.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "serve/tls_files.h"

struct pki {
	char *dir, *cert, *key, *other_key, *chain;
	EVP_PKEY *k, *k2;
	X509 *c;
};

/* A certificate for key, self-signed, or signed by issuer (with its key). */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *c = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), issuer != NULL ? 2 : 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(issuer != NULL ? issuer : c));
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, key);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : c, c, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
	assert_non_null(ext);
	X509_add_ext(c, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(c, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return c;
}

static void
write_cert(const char *path, X509 *c, const char *mode)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, c), 1);
	fclose(f);
}

static void
write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

/* cert.pem + key.pem (matching), other.key, and chain.pem: a leaf signed by cert.pem, then cert.pem. */
static int
setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	X509 *leaf;

	assert_non_null(p);
	p->dir = tu_mkdtemp();
	p->cert = tu_path(p->dir, "cert.pem");
	p->key = tu_path(p->dir, "key.pem");
	p->other_key = tu_path(p->dir, "other.key");
	p->chain = tu_path(p->dir, "chain.pem");
	p->k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p->k2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(p->k);
	assert_non_null(p->k2);
	p->c = make_cert("attestgate webhook test", p->k, NULL, NULL);
	write_cert(p->cert, p->c, "w");
	write_key(p->key, p->k);
	write_key(p->other_key, p->k2);
	leaf = make_cert("leaf", p->k2, p->c, p->k);
	write_cert(p->chain, leaf, "w");
	write_cert(p->chain, p->c, "a");
	X509_free(leaf);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pki *p = *state;

	EVP_PKEY_free(p->k);
	EVP_PKEY_free(p->k2);
	X509_free(p->c);
	free(p->cert);
	free(p->key);
	free(p->other_key);
	free(p->chain);
	tu_rmtree(p->dir);
	free(p->dir);
	free(p);
	return 0;
}

/* Expects AG_ECONFIG, no context, and every NULL-terminated string in the message. */
static void
refused(const char *cert, const char *key, ...)
{
	SSL_CTX *ctx = (SSL_CTX *)1;
	struct ag_err err;
	const char *want;
	va_list ap;

	ag_err_clear(&err);
	assert_int_equal(ag_tls_server_ctx(cert, key, &ctx, &err), AG_ECONFIG);
	assert_null(ctx);
	va_start(ap, key);
	while ((want = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, want) == NULL) {
			va_end(ap);
			fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
		}
	va_end(ap);
	assert_int_equal(ERR_peek_error(), 0);   /* the OpenSSL error queue is left clean */
}

static void
test_loads(void **state)
{
	struct pki *p = *state;
	SSL_CTX *ctx = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_tls_server_ctx(p->cert, p->key, &ctx, &err), AG_OK);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	assert_int_equal(X509_cmp(SSL_CTX_get0_certificate(ctx), p->c), 0);
	assert_int_equal(EVP_PKEY_eq(SSL_CTX_get0_privatekey(ctx), p->k), 1);
	SSL_CTX_free(ctx);
	/* A chain, leaf first (its key is other.key). */
	assert_int_equal(ag_tls_server_ctx(p->chain, p->other_key, &ctx, &err), AG_OK);
	assert_non_null(ctx);
	assert_int_not_equal(X509_cmp(SSL_CTX_get0_certificate(ctx), p->c), 0);
	SSL_CTX_free(ctx);
}

static void
test_key_mismatch(void **state)
{
	struct pki *p = *state;

	refused(p->cert, p->other_key, p->other_key, "private key", NULL);
	/* The chain's leaf with the issuer's key. */
	refused(p->chain, p->key, p->key, "private key", NULL);
}

static void
test_missing_files(void **state)
{
	struct pki *p = *state;
	char *gone = tu_path(p->dir, "gone.pem");

	refused(gone, p->key, gone, "certificate", NULL);
	refused(p->cert, gone, gone, "private key", NULL);
	refused(p->dir, p->key, p->dir, "certificate", NULL);   /* a directory */
	free(gone);
}

static void
test_garbage_pem(void **state)
{
	struct pki *p = *state;
	char *bad = tu_path(p->dir, "bad.pem"), *empty = tu_path(p->dir, "empty.pem");

	tu_write(p->dir, "bad.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
	tu_write(p->dir, "empty.pem", "");
	refused(bad, p->key, bad, "certificate", NULL);
	refused(empty, p->key, empty, "certificate", NULL);
	refused(p->cert, empty, empty, "private key", NULL);
	tu_write(p->dir, "bad.pem", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
	refused(p->cert, bad, bad, "private key", NULL);
	/* The files swapped: a key where the certificate should be. */
	refused(p->key, p->cert, p->key, "certificate", NULL);
	free(bad);
	free(empty);
}

static int
all_zero(const int64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != 0)
			return 0;
	return 1;
}

/* Replaces dir/name by a new file with the same bytes, renamed into place. */
static void
replace(const char *dir, const char *name)
{
	char *text = tu_read(dir, name, NULL), *tmp = tu_path(dir, "tmp"), *path = tu_path(dir, name);

	assert_non_null(text);
	tu_write(dir, "tmp", text);
	assert_int_equal(rename(tmp, path), 0);
	free(text);
	free(tmp);
	free(path);
}

static void
test_identity(void **state)
{
	struct pki *p = *state;
	int64_t a[8], b[8];
	char *gone = tu_path(p->dir, "gone.pem");

	ag_tls_files_identity(p->cert, p->key, a);
	assert_false(all_zero(a, 4));
	assert_false(all_zero(a + 4, 4));
	ag_tls_files_identity(p->cert, p->key, b);
	assert_memory_equal(a, b, sizeof(a));
	/* The certificate replaced with the same bytes: its half changes, the key's does not. */
	replace(p->dir, "cert.pem");
	ag_tls_files_identity(p->cert, p->key, b);
	assert_memory_not_equal(a, b, 4 * sizeof(a[0]));
	assert_memory_equal(a + 4, b + 4, 4 * sizeof(a[0]));
	memcpy(a, b, sizeof(a));
	replace(p->dir, "key.pem");
	ag_tls_files_identity(p->cert, p->key, b);
	assert_memory_equal(a, b, 4 * sizeof(a[0]));
	assert_memory_not_equal(a + 4, b + 4, 4 * sizeof(a[0]));
	/* Missing: zeros. */
	ag_tls_files_identity(gone, p->key, b);
	assert_true(all_zero(b, 4));
	assert_false(all_zero(b + 4, 4));
	ag_tls_files_identity(p->cert, gone, b);
	assert_false(all_zero(b, 4));
	assert_true(all_zero(b + 4, 4));
	free(gone);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_pem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	};

	return cmocka_run_group_tests_name("tls_files", tests, NULL, NULL);
}
