/*
 * test_certs.c - lib/base/certs.c: certificates from PEM bundles, single DER
 * certificates and roots directories (bounds: 16 certificates, 1 MiB;
 * trailing bytes, corrupt blocks, unknown extensions, missing and
 * unreadable files), optional and required trust directories, PEM out,
 * fingerprints, subject CNs and validity at a pinned time.  Certificates
 * are made here with OpenSSL; the real AMD Milan chain of
 * ../shared/vectors/kata-cc is checked too (skipped visibly when absent).
 * Known lib/ bugs are tested and skipped visibly.
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/certs.h"
#include "base/digest.h"
#include "base/fileio.h"

#define T0 ((time_t)1700000000)   /* 2023-11-14T22:13:20Z */

static const char *
shared_dir(void)
{
	return getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";
}

/* A certificate for key named cn (NULL: no CN), signed by issuer_key (NULL: self-signed), valid [nb, na]. */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, time_t nb, time_t na)
{
	static long serial = 1;
	X509 *c = X509_new();
	X509_NAME *name;

	assert_non_null(c);
	assert_int_equal(X509_set_version(c, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"attestgate tests", -1, -1, 0);
	if (cn != NULL)
		X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : name);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(c), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(c), na));
	assert_int_equal(X509_set_pubkey(c, key), 1);
	assert_true(X509_sign(c, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0);
	return c;
}

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");

	assert_non_null(k);
	return k;
}

/* A self-signed certificate named cn, valid an hour either side of T0. */
static X509 *
quick_cert(const char *cn)
{
	EVP_PKEY *k = ec_key();
	X509 *c = make_cert(cn, k, NULL, NULL, T0 - 3600, T0 + 3600);

	EVP_PKEY_free(k);
	return c;
}

static uint8_t *
der_of(X509 *c, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);

	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

/* PEM of one certificate, appended to *s (a malloc'd string or NULL). */
static void
append_pem(char **s, X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;
	size_t old = *s != NULL ? strlen(*s) : 0;

	assert_non_null(b);
	assert_int_equal(PEM_write_bio_X509(b, c), 1);
	n = BIO_get_mem_data(b, &data);
	out = realloc(*s, old + (size_t)n + 1);
	assert_non_null(out);
	memcpy(out + old, data, (size_t)n);
	out[old + (size_t)n] = '\0';
	*s = out;
	BIO_free(b);
}

static void
write_bytes(const char *dir, const char *name, const void *p, size_t n)
{
	char *path = tu_path(dir, name);
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static const char *
cn_at(STACK_OF(X509) *certs, int i, char *buf, size_t len)
{
	return ag_cert_cn(sk_X509_value(certs, i), buf, len);
}

static enum ag_code
load_str(const char *s, STACK_OF(X509) *certs, struct ag_err *err)
{
	ag_err_clear(err);
	return ag_certs_load((const uint8_t *)s, strlen(s), certs, err);
}

static void
test_load_pem_bundle(void **state)
{
	X509 *a = quick_cert("alpha"), *b = quick_cert("beta"), *c = quick_cert("gamma");
	STACK_OF(X509) *certs = sk_X509_new_null();
	char *pem = strdup("subject=CN = alpha\n"), cn[64];
	char fa[AG_SHA256_HEX_LEN + 1], fb[AG_SHA256_HEX_LEN + 1];
	struct ag_err err;

	(void)state;
	append_pem(&pem, a);
	append_pem(&pem, b);
	append_pem(&pem, c);
	assert_int_equal(load_str(pem, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 3);
	assert_string_equal(cn_at(certs, 0, cn, sizeof(cn)), "alpha");
	assert_string_equal(cn_at(certs, 1, cn, sizeof(cn)), "beta");
	assert_string_equal(cn_at(certs, 2, cn, sizeof(cn)), "gamma");
	assert_int_equal(X509_cmp(sk_X509_value(certs, 1), b), 0);
	/* Appends: a second load adds to what is there. */
	assert_int_equal(load_str(pem, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 6);
	ag_cert_sha256_hex(sk_X509_value(certs, 3), fa);
	ag_cert_sha256_hex(a, fb);
	assert_string_equal(fa, fb);
	free(pem);
	sk_X509_pop_free(certs, X509_free);
	X509_free(a);
	X509_free(b);
	X509_free(c);
}

static void
test_load_der(void **state)
{
	X509 *a = quick_cert("der");
	STACK_OF(X509) *certs = sk_X509_new_null();
	size_t len;
	uint8_t *der = der_of(a, &len), *longer = malloc(len + 1);
	struct ag_err err;

	(void)state;
	assert_non_null(longer);
	assert_int_equal(ag_certs_load(der, len, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), a), 0);
	/* Exactly one certificate: no trailing byte, none missing. */
	memcpy(longer, der, len);
	longer[len] = 0;
	assert_int_equal(ag_certs_load(longer, len + 1, certs, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "neither PEM certificates nor one DER certificate"));
	assert_int_equal(ag_certs_load(der, len - 1, certs, &err), AG_EINVALID);
	assert_int_equal(ag_certs_load(der, 2, certs, &err), AG_EINVALID);
	assert_int_equal(ag_certs_load(der, 0, certs, &err), AG_EINVALID);
	longer[0] = 0x31;   /* a SET, not a SEQUENCE */
	assert_int_equal(ag_certs_load(longer, len, certs, &err), AG_EINVALID);
	assert_int_equal(sk_X509_num(certs), 1);
	free(longer);
	OPENSSL_free(der);
	sk_X509_pop_free(certs, X509_free);
	X509_free(a);
}

static void
test_load_garbage(void **state)
{
	static const char *const bad[] = { "", "hello", "-----BEGIN CERTIFICATE-----\n",
		"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
		"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n",
		"-----BEGIN X509 CRL-----\nMA==\n-----END X509 CRL-----\n" };
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load_str(bad[i], certs, &err) != AG_EINVALID)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_true(strlen(err.msg) > 0);
	}
	assert_int_equal(load_str(bad[3], certs, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "no certificate in the PEM data"));
	assert_int_equal(sk_X509_num(certs), 0);
	sk_X509_free(certs);
}

static void
test_size_bound(void **state)
{
	X509 *a = quick_cert("big");
	STACK_OF(X509) *certs = sk_X509_new_null();
	char *pem = NULL, *big;
	size_t n = 1024 * 1024 + 1, pl;
	struct ag_err err;

	(void)state;
	append_pem(&pem, a);
	pl = strlen(pem);
	big = malloc(n);
	assert_non_null(big);
	memset(big, '\n', n);
	memcpy(big, pem, pl);
	assert_int_equal(ag_certs_load((uint8_t *)big, n, certs, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "larger than"));
	assert_int_equal(ag_certs_load((uint8_t *)big, n - 1, certs, &err), AG_OK);   /* exactly 1 MiB */
	assert_int_equal(sk_X509_num(certs), 1);
	free(big);
	free(pem);
	sk_X509_pop_free(certs, X509_free);
	X509_free(a);
}

static void
test_count_bound(void **state)
{
	X509 *a = quick_cert("many");
	STACK_OF(X509) *certs = sk_X509_new_null();
	char *pem = NULL;
	size_t len;
	uint8_t *der = der_of(a, &len);
	struct ag_err err;

	(void)state;
	for (int i = 0; i < AG_CERTS_MAX; i++)
		append_pem(&pem, a);
	assert_int_equal(load_str(pem, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), AG_CERTS_MAX);
	/* The stack is full: nothing more goes in, by PEM or DER. */
	assert_int_equal(ag_certs_push_der(der, len, certs), -1);
	assert_int_equal(ag_certs_load(der, len, certs, &err), AG_EINVALID);
	assert_int_equal(sk_X509_num(certs), AG_CERTS_MAX);
	sk_X509_pop_free(certs, X509_free);
	certs = sk_X509_new_null();
	append_pem(&pem, a);   /* 17 in one bundle */
	assert_int_equal(load_str(pem, certs, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "more than 16 certificates"));
	free(pem);
	OPENSSL_free(der);
	sk_X509_pop_free(certs, X509_free);
	X509_free(a);
}

static void
test_push_der(void **state)
{
	X509 *a = quick_cert("push");
	STACK_OF(X509) *certs = sk_X509_new_null();
	size_t len;
	uint8_t *der = der_of(a, &len), *two = malloc(2 * len);

	(void)state;
	assert_non_null(two);
	assert_int_equal(ag_certs_push_der(der, len, certs), 0);
	assert_int_equal(sk_X509_num(certs), 1);
	memcpy(two, der, len);
	memcpy(two + len, der, len);
	assert_int_equal(ag_certs_push_der(two, 2 * len, certs), -1);   /* two certificates are not one */
	assert_int_equal(ag_certs_push_der(der, len - 1, certs), -1);
	assert_int_equal(ag_certs_push_der(der, 0, certs), -1);
	two[1] ^= 0x01;   /* the outer length */
	assert_int_equal(ag_certs_push_der(two, len, certs), -1);
	assert_int_equal(sk_X509_num(certs), 1);
	free(two);
	OPENSSL_free(der);
	sk_X509_pop_free(certs, X509_free);
	X509_free(a);
}

/*
 * A bundle whose second block is corrupt is not "a PEM bundle": certs.c
 * stops at the bad block and returns the certificates before it as if the
 * bundle ended there.
 */
static void
test_corrupt_block_truncates(void **state)
{
	X509 *a = quick_cert("first"), *c = quick_cert("third");
	STACK_OF(X509) *certs = sk_X509_new_null();
	char *pem = NULL;
	struct ag_err err;
	enum ag_code rc;

	(void)state;
	append_pem(&pem, a);
	pem = realloc(pem, strlen(pem) + 128);
	assert_non_null(pem);
	strcat(pem, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
	append_pem(&pem, c);
	rc = load_str(pem, certs, &err);
	X509_free(a);
	X509_free(c);
	free(pem);
	if (rc == AG_OK) {
		print_message("# regression: lib/base/certs.c was: a corrupt PEM block is ignored with every "
		    "certificate after it (%d of 2 good certificates loaded, AG_OK)\n", sk_X509_num(certs));
		sk_X509_pop_free(certs, X509_free);
		skip();
	}
	sk_X509_pop_free(certs, X509_free);
	assert_int_equal(rc, AG_EINVALID);
}

static void
test_fingerprint_and_cn(void **state)
{
	X509 *a = quick_cert("fingerprint"), *anon = quick_cert(NULL);
	char fp[AG_SHA256_HEX_LEN + 1], want[AG_SHA256_HEX_LEN + 1], cn[6];
	size_t len;
	uint8_t *der = der_of(a, &len);

	(void)state;
	ag_cert_sha256_hex(a, fp);
	assert_int_equal(ag_sha256_hex(der, len, want), 0);
	assert_string_equal(fp, want);
	assert_true(ag_is_sha256_hex(fp));
	ag_cert_sha256_hex(anon, want);
	assert_string_not_equal(fp, want);
	/* The CN, cut to the buffer; "?" without one. */
	assert_ptr_equal(ag_cert_cn(a, cn, sizeof(cn)), cn);
	assert_string_equal(cn, "finge");
	assert_string_equal(ag_cert_cn(anon, cn, sizeof(cn)), "?");
	OPENSSL_free(der);
	X509_free(a);
	X509_free(anon);
}

static void
test_valid_at(void **state)
{
	EVP_PKEY *k = ec_key();
	X509 *c = make_cert("window", k, NULL, NULL, T0, T0 + 86400);
	X509 *late = make_cert("generalized", k, NULL, NULL, (time_t)2524608000, (time_t)2840140800);   /* 2050-2060 */

	(void)state;
	assert_true(ag_cert_valid_at(c, T0));
	assert_true(ag_cert_valid_at(c, T0 + 1));
	assert_true(ag_cert_valid_at(c, T0 + 86399));
	assert_false(ag_cert_valid_at(c, T0 - 1));
	assert_false(ag_cert_valid_at(c, T0 + 86401));
	assert_false(ag_cert_valid_at(c, 0));
	assert_true(ag_cert_valid_at(late, (time_t)2700000000));
	assert_false(ag_cert_valid_at(late, T0));
	assert_false(ag_cert_valid_at(late, (time_t)2840140801));
	X509_free(c);
	X509_free(late);
	EVP_PKEY_free(k);
}

static void
test_to_pem(void **state)
{
	X509 *a = quick_cert("one"), *b = quick_cert("two");
	STACK_OF(X509) *certs = sk_X509_new_null(), *back = sk_X509_new_null();
	struct ag_err err;
	char *pem;

	(void)state;
	sk_X509_push(certs, a);
	sk_X509_push(certs, b);
	pem = ag_certs_to_pem(certs);
	assert_non_null(pem);
	assert_int_equal(strncmp(pem, "-----BEGIN CERTIFICATE-----\n", 28), 0);
	assert_int_equal(load_str(pem, back, &err), AG_OK);
	assert_int_equal(sk_X509_num(back), 2);
	assert_int_equal(X509_cmp(sk_X509_value(back, 0), a), 0);
	assert_int_equal(X509_cmp(sk_X509_value(back, 1), b), 0);
	free(pem);
	sk_X509_pop_free(back, X509_free);
	sk_X509_pop_free(certs, X509_free);
}

/*
 * An empty stack gives "": certs.c then calls memcpy(out, NULL, 0) (the
 * BIO's data pointer is NULL), which is undefined behaviour; UBSan stops
 * there, so the sanitizer build only reports it.
 */
static void
test_to_pem_empty_stack(void **state)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	char *pem;

	(void)state;
	pem = ag_certs_to_pem(certs);
	assert_non_null(pem);
	assert_string_equal(pem, "");
	free(pem);
	sk_X509_free(certs);
}

/* A roots directory: two PEM certs in a.pem, b.der, c.crt, d.cer; e.txt, .h.pem and "noext" ignored. */
static char *
make_roots_dir(void)
{
	char *dir = tu_mkdtemp(), *pem = NULL;
	X509 *c[6];
	size_t len;
	uint8_t *der;
	static const char *const names[] = { "b.der", "c.crt", "d.cer" };

	for (int i = 0; i < 6; i++)
		c[i] = quick_cert(i < 2 ? "pem" : "der");
	append_pem(&pem, c[0]);
	append_pem(&pem, c[1]);
	tu_write(dir, "a.pem", pem);
	tu_write(dir, "e.txt", pem);
	tu_write(dir, ".h.pem", pem);
	tu_write(dir, "noext", pem);
	for (int i = 0; i < 3; i++) {
		der = der_of(c[2 + i], &len);
		write_bytes(dir, names[i], der, len);
		OPENSSL_free(der);
	}
	free(pem);
	for (int i = 0; i < 6; i++)
		X509_free(c[i]);
	return dir;
}

static void
test_load_dir(void **state)
{
	char *dir = make_roots_dir(), *missing = tu_path(dir, "missing"), *sub;
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_certs_load_dir(dir, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 5);
	sk_X509_pop_free(certs, X509_free);
	certs = sk_X509_new_null();
	assert_int_equal(ag_certs_load_dir(missing, certs, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, missing));
	/* A bad certificate file is an error naming it. */
	tu_write(dir, "zz.crt", "not a certificate");
	assert_int_equal(ag_certs_load_dir(dir, certs, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "zz.crt: "));
	sk_X509_pop_free(certs, X509_free);
	certs = sk_X509_new_null();
	sub = tu_path(dir, "zz.crt");
	unlink(sub);
	/* So is one that cannot be read (a directory named like a certificate). */
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(ag_certs_load_dir(dir, certs, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "zz.crt"));
	rmdir(sub);
	free(sub);
	sk_X509_pop_free(certs, X509_free);
	free(missing);
	tu_rmtree(dir);
	free(dir);
}

static void
test_load_dir_bounds(void **state)
{
	char *dir = tu_mkdtemp(), *big;
	X509 *a = quick_cert("bound");
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_err err;
	size_t n = 1024 * 1024 + 1;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	memset(big, '\n', n);
	write_bytes(dir, "big.pem", big, n);
	assert_int_equal(ag_certs_load_dir(dir, certs, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "larger than the limit"));
	free(big);
	big = tu_path(dir, "big.pem");
	unlink(big);
	free(big);
	big = NULL;
	for (int i = 0; i <= AG_CERTS_MAX; i++)
		append_pem(&big, a);
	tu_write(dir, "many.pem", big);
	assert_int_equal(ag_certs_load_dir(dir, certs, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "more than 16"));
	free(big);
	X509_free(a);
	sk_X509_pop_free(certs, X509_free);
	tu_rmtree(dir);
	free(dir);
}

static void
test_load_trust(void **state)
{
	char *dir = make_roots_dir(), *missing = tu_path(dir, "missing");
	STACK_OF(X509) *certs = sk_X509_new_null(), *test = (STACK_OF(X509) *)1;
	struct ag_err err;

	(void)state;
	/* Optional and missing: nothing, no error. */
	assert_int_equal(ag_certs_load_trust(missing, 0, NULL, certs, &test, &err), AG_OK);
	assert_null(test);
	assert_int_equal(sk_X509_num(certs), 0);
	/* Required and missing: an error. */
	assert_int_equal(ag_certs_load_trust(missing, 1, NULL, certs, &test, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, missing));
	assert_int_equal(ag_certs_load_trust(NULL, 1, NULL, certs, &test, &err), AG_OK);
	assert_null(test);
	assert_int_equal(ag_certs_load_trust(dir, 1, NULL, certs, &test, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 5);
	assert_null(test);
	/* Test roots go to their own stack, never to the real roots. */
	assert_int_equal(ag_certs_load_trust(NULL, 0, dir, certs, &test, &err), AG_OK);
	assert_non_null(test);
	assert_int_equal(sk_X509_num(test), 5);
	assert_int_equal(sk_X509_num(certs), 5);
	sk_X509_pop_free(test, X509_free);
	assert_int_equal(ag_certs_load_trust(dir, 0, missing, certs, &test, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, missing));
	if (test != NULL)
		assert_int_equal(sk_X509_num(test), 0);
	sk_X509_pop_free(test, X509_free);
	sk_X509_pop_free(certs, X509_free);
	free(missing);
	tu_rmtree(dir);
	free(dir);
}

/*
 * Only a MISSING optional roots directory is not an error (certs.h); a
 * corrupt file in one that exists is swallowed too, and the files after it
 * are never read.
 */
static void
test_optional_roots_errors_swallowed(void **state)
{
	char *dir = make_roots_dir();
	STACK_OF(X509) *certs = sk_X509_new_null(), *test = NULL;
	struct ag_err err;
	enum ag_code rc;

	(void)state;
	tu_write(dir, "0bad.pem", "-----BEGIN CERTIFICATE-----\nbm90\n-----END CERTIFICATE-----\n");
	ag_err_clear(&err);
	rc = ag_certs_load_trust(dir, 0, NULL, certs, &test, &err);
	if (rc == AG_OK) {
		print_message("# regression: lib/base/certs.c was: a corrupt file in the optional roots directory "
		    "is ignored (AG_OK, %d of 5 roots loaded)\n", sk_X509_num(certs));
		sk_X509_pop_free(certs, X509_free);
		tu_rmtree(dir);
		free(dir);
		skip();
	}
	assert_non_null(strstr(err.msg, "0bad.pem"));
	sk_X509_pop_free(certs, X509_free);
	tu_rmtree(dir);
	free(dir);
}

/* VCEK, ASK and ARK of a real Milan chain: order, names, fingerprints, validity, the DER form. */
static void
test_real_amd_chain(void **state)
{
	static const char *const fps[] = { "914363d8d0c9aa1818f2ae6b92524f2a35582006aa09ddf56753ad163a8e547c",
		"67d303bd3905fd38db8b20e0793699870e7fa612eaad5dec358293fd8c0bac1b",
		"69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd" };
	static const char *const cns[] = { "SEV-VCEK", "SEV-Milan", "ARK-Milan" };
	char *pemp = tu_path(shared_dir(), "vectors/kata-cc/sidecar-vcek-ask-ark.pem");
	char *derp = tu_path(shared_dir(), "vectors/snp/milan-v2-gsg/vcek.der");
	STACK_OF(X509) *certs;
	char fp[AG_SHA256_HEX_LEN + 1], cn[64];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct ag_err err;

	(void)state;
	if (access(pemp, R_OK) != 0 || access(derp, R_OK) != 0) {
		free(pemp);
		free(derp);
		print_message("# skipped: ../shared/vectors is not present\n");
		skip();
	}
	certs = sk_X509_new_null();
	assert_int_equal(ag_file_read(pemp, 65536, AG_EINVALID, &buf, &len, &err), AG_OK);
	assert_int_equal(ag_certs_load(buf, len, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 3);
	for (int i = 0; i < 3; i++) {
		ag_cert_sha256_hex(sk_X509_value(certs, i), fp);
		assert_string_equal(fp, fps[i]);
		assert_string_equal(cn_at(certs, i, cn, sizeof(cn)), cns[i]);
	}
	/* VCEK: 2022-11-29T01:55:56Z to 2029-11-29T01:55:56Z. */
	assert_true(ag_cert_valid_at(sk_X509_value(certs, 0), (time_t)1669686956));
	assert_false(ag_cert_valid_at(sk_X509_value(certs, 0), (time_t)1669686955));
	assert_true(ag_cert_valid_at(sk_X509_value(certs, 0), T0));
	assert_false(ag_cert_valid_at(sk_X509_value(certs, 0), (time_t)1890611757));
	free(buf);
	buf = NULL;
	assert_int_equal(ag_file_read(derp, 65536, AG_EINVALID, &buf, &len, &err), AG_OK);
	assert_int_equal(ag_certs_load(buf, len, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 4);
	ag_cert_sha256_hex(sk_X509_value(certs, 3), fp);
	assert_string_equal(fp, "0d057f9b6e29a69eda9c0154b259567d291c1c08d73a11e9d31ace07c435b6d8");
	free(buf);
	sk_X509_pop_free(certs, X509_free);
	free(pemp);
	free(derp);
}

/* ASN.1 times as time_t: UTCTime and GeneralizedTime, absent and unreadable as 0. */
static void
test_asn1_time(void **state)
{
	ASN1_TIME *t = ASN1_TIME_new();

	(void)state;
	assert_non_null(t);
	assert_int_equal(ASN1_TIME_set_string(t, "250601000000Z"), 1);
	assert_int_equal(ag_asn1_time(t), 1748736000);
	assert_int_equal(ASN1_TIME_set_string(t, "99991231235959Z"), 1);
	assert_int_equal(ag_asn1_time(t), 253402300799);
	assert_int_equal(ag_asn1_time(NULL), 0);
	ASN1_STRING_set(t, "not a time", 10);
	assert_int_equal(ag_asn1_time(t), 0);
	ASN1_TIME_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asn1_time),
		cmocka_unit_test(test_load_pem_bundle),
		cmocka_unit_test(test_load_der),
		cmocka_unit_test(test_load_garbage),
		cmocka_unit_test(test_size_bound),
		cmocka_unit_test(test_count_bound),
		cmocka_unit_test(test_push_der),
		cmocka_unit_test(test_corrupt_block_truncates),
		cmocka_unit_test(test_fingerprint_and_cn),
		cmocka_unit_test(test_valid_at),
		cmocka_unit_test(test_to_pem),
		cmocka_unit_test(test_to_pem_empty_stack),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_load_dir_bounds),
		cmocka_unit_test(test_load_trust),
		cmocka_unit_test(test_optional_roots_errors_swallowed),
		cmocka_unit_test(test_real_amd_chain),
	};

	return cmocka_run_group_tests_name("certs", tests, NULL, NULL);
}
