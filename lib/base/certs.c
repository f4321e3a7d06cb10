/*
 * base/certs.c - generic X.509 loading and checks on OpenSSL: PEM bundles via
 * PEM_read_bio_X509, DER via d2i_X509 (exact length), fingerprints of the
 * DER encoding, validity with X509_cmp_time.
 */
#include "base/certs.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base64.h"
#include "base/fileio.h"

#define CERT_FILE_MAX (1024 * 1024)

int
ag_certs_push_der(const uint8_t *der, size_t len, STACK_OF(X509) *certs)
{
	const unsigned char *p = der;
	X509 *c = len <= CERT_FILE_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;

	ERR_clear_error();
	if (c == NULL || p != der + len || sk_X509_num(certs) >= AG_CERTS_MAX || !sk_X509_push(certs, c)) {
		X509_free(c);
		return -1;
	}
	return 0;
}

enum ag_code
ag_certs_load_b64(const uint8_t *text, size_t len, STACK_OF(X509) *certs, struct ag_err *err)
{
	char *b64 = len <= CERT_FILE_MAX ? malloc(len + 1) : NULL;
	uint8_t *der = NULL;
	size_t n = 0, der_len = 0;
	int ok;

	if (b64 == NULL)
		return ag_err_set(err, AG_EINVALID, "certificate text larger than %d bytes", CERT_FILE_MAX);
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
			b64[n++] = (char)text[i];
	ok = n > 0 && ag_b64_decode(b64, n, &der, &der_len) == 0 && ag_certs_push_der(der, der_len, certs) == 0;
	free(b64);
	free(der);
	return ok ? AG_OK : ag_err_set(err, AG_EINVALID, "not a base64 DER certificate");
}

enum ag_code
ag_certs_load(const uint8_t *buf, size_t len, STACK_OF(X509) *certs, struct ag_err *err)
{
	if (len > CERT_FILE_MAX)
		return ag_err_set(err, AG_EINVALID, "certificate data larger than %d bytes", CERT_FILE_MAX);
	if (len > 10 && memmem(buf, len, "-----BEGIN CERTIFICATE-----", 27) != NULL) {
		BIO *bio = BIO_new_mem_buf(buf, (int)len);
		X509 *c;
		int got = 0, blocks = 0;

		/* Every block must parse: a corrupt one is an error, never silently skipped with those after it. */
		for (const uint8_t *p = buf; (p = memmem(p, len - (size_t)(p - buf), "-----BEGIN CERTIFICATE-----", 27)) != NULL;
		     p += 27)
			blocks++;

		while (bio != NULL && (c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			if (sk_X509_num(certs) >= AG_CERTS_MAX || !sk_X509_push(certs, c)) {
				X509_free(c);
				BIO_free(bio);
				ERR_clear_error();
				return ag_err_set(err, AG_EINVALID, "more than %d certificates", AG_CERTS_MAX);
			}
			got++;
		}
		BIO_free(bio);
		ERR_clear_error();
		if (got == 0)
			return ag_err_set(err, AG_EINVALID, "no certificate in the PEM data");
		if (got != blocks)
			return ag_err_set(err, AG_EINVALID, "certificate %d of %d in the PEM data does not parse", got + 1, blocks);
		return AG_OK;
	}
	if (len > 2 && buf[0] == 0x30 && ag_certs_push_der(buf, len, certs) == 0)
		return AG_OK;
	return ag_err_set(err, AG_EINVALID, "neither PEM certificates nor one DER certificate");
}

enum ag_code
ag_certs_load_dir(const char *dir, STACK_OF(X509) *certs, struct ag_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	enum ag_code rc = AG_OK;

	if (d == NULL)
		return ag_err_set(err, AG_ECONFIG, "cannot open the roots directory %s", dir);
	while (rc == AG_OK && (de = readdir(d)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');
		char path[4096];
		uint8_t *buf = NULL;
		size_t len = 0;

		if (de->d_name[0] == '.' || dot == NULL ||
		    (strcmp(dot, ".pem") != 0 && strcmp(dot, ".der") != 0 && strcmp(dot, ".crt") != 0 && strcmp(dot, ".cer") != 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rc = ag_file_read(path, CERT_FILE_MAX, AG_ECONFIG, &buf, &len, err);
		if (rc == AG_OK && (rc = ag_certs_load(buf, len, certs, err)) != AG_OK)
			ag_err_prefix(err, "%s", path);
		free(buf);
	}
	closedir(d);
	return rc;
}

enum ag_code
ag_certs_load_trust(const char *roots_dir, int roots_required, const char *test_roots_dir, STACK_OF(X509) *certs,
    STACK_OF(X509) **test, struct ag_err *err)
{
	struct stat st;
	enum ag_code rc = AG_OK;

	*test = NULL;
	/* Only a missing directory may be tolerated; anything wrong inside an existing one is an error. */
	if (roots_dir != NULL && (roots_required || stat(roots_dir, &st) == 0 || errno != ENOENT))
		rc = ag_certs_load_dir(roots_dir, certs, err);
	if (rc == AG_OK && test_roots_dir != NULL) {
		*test = sk_X509_new_null();
		rc = *test != NULL ? ag_certs_load_dir(test_roots_dir, *test, err) : ag_err_set(err, AG_EINVALID, "out of memory");
	}
	return rc;
}

void
ag_cert_sha256_hex(X509 *c, char out[AG_SHA256_HEX_LEN + 1])
{
	unsigned char *der = NULL;
	int n = i2d_X509(c, &der);

	out[0] = '\0';
	if (n > 0)
		ag_sha256_hex(der, (size_t)n, out);
	OPENSSL_free(der);
}

time_t
ag_asn1_time(const ASN1_TIME *t)
{
	struct tm tm;

	return t != NULL && ASN1_TIME_to_tm(t, &tm) == 1 ? timegm(&tm) : 0;
}

int
ag_cert_valid_at(X509 *c, time_t at)
{
	return X509_cmp_time(X509_get0_notBefore(c), &at) < 0 && X509_cmp_time(X509_get0_notAfter(c), &at) > 0;
}

const char *
ag_cert_cn(X509 *c, char *buf, size_t len)
{
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, buf, (int)len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

char *
ag_certs_to_pem(STACK_OF(X509) *certs)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	long n;
	int ok = bio != NULL;

	for (int i = 0; ok && i < sk_X509_num(certs); i++)
		ok = PEM_write_bio_X509(bio, sk_X509_value(certs, i)) == 1;
	n = ok ? BIO_get_mem_data(bio, &data) : -1;
	if (n >= 0 && (out = malloc((size_t)n + 1)) != NULL) {
		if (n > 0)
			memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(bio);
	ERR_clear_error();
	return out;
}
