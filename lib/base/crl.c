/*
 * base/crl.c - CRLs with OpenSSL: d2i/PEM reading, X509_CRL_verify with the
 * issuer found in the pool by name and signature, X509_cmp_time for the
 * window and X509_CRL_get0_by_cert for the revocation entry.
 */
#include "base/crl.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "base/certs.h"
#include "base/fileio.h"

static enum ag_code
load_one(const char *path, STACK_OF(X509_CRL) *crls, struct ag_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int n = 0;
	enum ag_code rc = ag_file_read(path, AG_CRL_MAX_BYTES, AG_ECONFIG, &buf, &len, err);

	if (rc != AG_OK)
		return rc;
	if (len > 2 && buf[0] == 0x30) {
		const unsigned char *p = buf;
		X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);

		if (c != NULL && p == buf + len && sk_X509_CRL_push(crls, c) > 0)
			n = 1;
		else
			X509_CRL_free(c);
	} else {
		BIO *b = BIO_new_mem_buf(buf, (int)len);
		X509_CRL *c;

		while (b != NULL && (c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
			if (sk_X509_CRL_push(crls, c) <= 0) {
				X509_CRL_free(c);
				break;
			}
			n++;
		}
		BIO_free(b);
	}
	ERR_clear_error();
	free(buf);
	return n > 0 ? AG_OK : ag_err_set(err, AG_ECONFIG, "%s is not a CRL (DER or PEM)", path);
}

enum ag_code
ag_crl_load(const char *paths, STACK_OF(X509_CRL) **out, struct ag_err *err)
{
	char *copy = paths != NULL ? strdup(paths) : NULL, *save = NULL;
	int files = 0;
	enum ag_code rc = AG_OK;

	*out = sk_X509_CRL_new_null();
	if (*out == NULL || copy == NULL) {
		free(copy);
		sk_X509_CRL_free(*out);
		*out = NULL;
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	}
	for (char *p = strtok_r(copy, "\n", &save); rc == AG_OK && p != NULL; p = strtok_r(NULL, "\n", &save))
		rc = ++files > AG_CRL_MAX_FILES ? ag_err_set(err, AG_ECONFIG, "more than %d CRL files", AG_CRL_MAX_FILES) :
						  load_one(p, *out, err);
	free(copy);
	if (rc != AG_OK) {
		sk_X509_CRL_pop_free(*out, X509_CRL_free);
		*out = NULL;
	}
	return rc;
}

int
ag_crl_every_link(X509 *cert)
{
	(void)cert;
	return 1;
}

int
ag_crl_amd_links(X509 *cert)
{
	return !EVP_PKEY_is_a(X509_get0_pubkey(cert), "EC");
}

/* The certificate of pool that issued c (name and signature), or NULL. */
static X509 *
issuer_of(X509 *c, STACK_OF(X509) *pool)
{
	for (int i = 0; i < sk_X509_num(pool); i++) {
		X509 *k = sk_X509_value(pool, i);

		if (X509_NAME_cmp(X509_get_subject_name(k), X509_get_issuer_name(c)) == 0 &&
		    X509_verify(c, X509_get0_pubkey(k)) == 1)
			return k;
	}
	ERR_clear_error();
	return NULL;
}

/*
 * Checks c against every CRL of issuer: each must be signed by issuer, be
 * a complete CRL (not a delta) and be valid at at; c is revoked when any of
 * them lists it.  *found counts the usable ones.
 */
static enum ag_code
check_link(X509 *c, X509 *issuer, STACK_OF(X509_CRL) *crls, time_t at, int *found, struct ag_err *err)
{
	char cn[128], icn[128];

	*found = 0;
	for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(crls, i);
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
		X509_REVOKED *entry = NULL;
		ASN1_INTEGER *delta;
		int crit = 0, is_delta;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0)
			continue;
		if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1)
			return ag_err_set(err, AG_EINVALID, "a CRL named as %s's does not verify with its key",
			    ag_cert_cn(issuer, icn, sizeof(icn)));
		/* A delta CRL lists only changes: on its own it would hide revocations. */
		delta = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
		is_delta = delta != NULL || crit != -1;
		ASN1_INTEGER_free(delta);
		if (is_delta)
			return ag_err_set(err, AG_ECONFIG, "a CRL of %s is a delta CRL: give the complete CRL",
			    ag_cert_cn(issuer, icn, sizeof(icn)));
		/* X509_cmp_time: -1 before, 1 after, 0 when the time cannot be read (never usable). */
		if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &at) != -1 || next == NULL || X509_cmp_time(next, &at) != 1)
			return ag_err_set(err, AG_EINVALID, "a CRL of %s is not valid at the verification time (fetch a fresh "
			    "one, or pin the time with --at)", ag_cert_cn(issuer, icn, sizeof(icn)));
		if (X509_CRL_get0_by_cert(crl, &entry, c) == 1)
			return ag_err_set(err, AG_EINVALID, "%s is revoked by the CRL of %s", ag_cert_cn(c, cn, sizeof(cn)),
			    ag_cert_cn(issuer, icn, sizeof(icn)));
		(*found)++;
	}
	return AG_OK;
}

enum ag_code
ag_crl_check(X509 *leaf, STACK_OF(X509) *pool, int (*check)(X509 *cert), STACK_OF(X509_CRL) *crls, time_t at,
    struct ag_err *err)
{
	char cn[128], icn[128];
	int checked = 0, depth = 0;
	enum ag_code rc = AG_OK;

	/* The chain from the leaf up, issuer by issuer (name and signature): only its links, not the whole pool. */
	for (X509 *c = leaf; rc == AG_OK && c != NULL && depth < 8; depth++) {
		X509 *issuer;
		int found = 0;

		if (X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) == 0)
			break;   /* the root */
		issuer = issuer_of(c, pool);
		if (issuer == NULL)
			rc = ag_err_set(err, AG_EINVALID, "the issuer of %s is not among the certificates", ag_cert_cn(c, cn, sizeof(cn)));
		if (rc == AG_OK && check(c)) {
			rc = check_link(c, issuer, crls, at, &found, err);
			if (rc == AG_OK && found == 0)
				rc = ag_err_set(err, AG_ECONFIG, "no CRL of %s was given, so %s cannot be checked: pass it with --crl",
				    ag_cert_cn(issuer, icn, sizeof(icn)), ag_cert_cn(c, cn, sizeof(cn)));
			checked++;
		}
		c = issuer;
	}
	ERR_clear_error();
	if (rc == AG_OK && checked == 0)
		rc = ag_err_set(err, AG_ECONFIG, "the given CRLs cover no certificate of this chain");
	return rc;
}
