/*
 * format/nvidia_certs.c - NVIDIA device and RIM certificate chains,
 * anchored at roots pinned by fingerprint (never at a root the chain or
 * document brings unless it is that pinned certificate), verified by
 * OpenSSL at the caller's time; FWID extraction from the DICE extensions.
 */
#include "format/nvidia_certs.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "base/certs.h"

#define OID_FWID_HOPPER "2.23.133.5.4.1"
#define OID_FWID_BLACKWELL "2.23.133.5.4.1.1"

enum ag_code
ag_nv_device_chain_load(const uint8_t *pem, size_t len, STACK_OF(X509) **chain, struct ag_err *err)
{
	enum ag_code rc;

	if ((*chain = sk_X509_new_null()) == NULL)
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	rc = ag_certs_load(pem, len, *chain, err);
	if (rc == AG_OK && sk_X509_num(*chain) != AG_NV_DEVICE_CHAIN_LEN)
		rc = ag_err_set(err, AG_EINVALID, "the device certificate chain has %d certificates, not the %d of an NVIDIA "
		    "device (leaf first, NVIDIA Device Identity CA last)", sk_X509_num(*chain), AG_NV_DEVICE_CHAIN_LEN);
	if (rc != AG_OK) {
		sk_X509_pop_free(*chain, X509_free);
		*chain = NULL;
	}
	return rc;
}

/* Nonzero when root is the pinned root of kind, or (tests only) one of test_roots. */
static int
trusted_root(X509 *root, enum ag_nv_root kind, STACK_OF(X509) *test_roots, int *is_test)
{
	char fp[AG_SHA256_HEX_LEN + 1];

	*is_test = 0;
	ag_cert_sha256_hex(root, fp);
	if (strcmp(fp, kind == AG_NV_ROOT_DEVICE ? AG_NV_DEVICE_ROOT_SHA256 : AG_NV_RIM_ROOT_SHA256) == 0)
		return 1;
	for (int i = 0; test_roots != NULL && i < sk_X509_num(test_roots); i++)
		if (X509_cmp(sk_X509_value(test_roots, i), root) == 0)
			return *is_test = 1;
	return 0;
}

/* Nonzero when the path OpenSSL built is chain itself, certificate by certificate, in order. */
static int
same_path(STACK_OF(X509) *built, STACK_OF(X509) *chain)
{
	if (built == NULL || sk_X509_num(built) != sk_X509_num(chain))
		return 0;
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (X509_cmp(sk_X509_value(built, i), sk_X509_value(chain, i)) != 0)
			return 0;
	return 1;
}

/*
 * OpenSSL's verification of chain[0] through chain[1..n-2] to the trusted
 * chain[n-1] at time at; the path it builds must be the chain as given
 * (every certificate on it, in order).  NULL or the reason.
 */
static const char *
openssl_verify(STACK_OF(X509) *chain, time_t at)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *mid = sk_X509_new_null();
	int n = sk_X509_num(chain), ok = 0, code = X509_V_ERR_UNSPECIFIED;

	for (int i = 1; mid != NULL && i < n - 1; i++)
		if (sk_X509_push(mid, sk_X509_value(chain, i)) <= 0)
			break;
	if (store != NULL && ctx != NULL && mid != NULL && X509_STORE_add_cert(store, sk_X509_value(chain, n - 1)) == 1 &&
	    X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), mid) == 1) {
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);
		ok = X509_verify_cert(ctx) == 1;
		code = X509_STORE_CTX_get_error(ctx);
		if (ok && !same_path(X509_STORE_CTX_get0_chain(ctx), chain)) {
			X509_STORE_CTX_free(ctx);
			X509_STORE_free(store);
			sk_X509_free(mid);
			return "its certificates are not one path from the leaf to the root, in order";
		}
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_free(mid);
	ERR_clear_error();
	return ok ? NULL : X509_verify_cert_error_string(code);
}

enum ag_code
ag_nv_chain_verify(STACK_OF(X509) *chain, enum ag_nv_root kind, STACK_OF(X509) *test_roots, time_t at,
    const char *what, struct ag_nv_chain_info *info, struct ag_err *err)
{
	int n = sk_X509_num(chain);
	char cn[128];
	const char *why;

	memset(info, 0, sizeof(*info));
	if (n < 2)
		return ag_err_set(err, AG_EINVALID, "%s: %d certificate(s), no chain to a root", what, n);
	if (!trusted_root(sk_X509_value(chain, n - 1), kind, test_roots, &info->test_root))
		return ag_err_set(err, AG_EINVALID, "%s ends at \"%s\", which is not the pinned %s", what,
		    ag_cert_cn(sk_X509_value(chain, n - 1), cn, sizeof(cn)),
		    kind == AG_NV_ROOT_DEVICE ? "NVIDIA Device Identity CA" : "NVIDIA CoRIM signing Root CA");
	if ((why = openssl_verify(chain, at)) != NULL)
		return ag_err_set(err, AG_EINVALID, "%s does not verify: %s%s", what, why,
		    strstr(why, "expired") != NULL || strstr(why, "not yet valid") != NULL ?
			" (pin the verification time with --at for recorded evidence)" : "");
	for (int i = 0; i < n; i++) {
		time_t v = ag_asn1_time(X509_get0_notAfter(sk_X509_value(chain, i)));

		if (v == 0)
			return ag_err_set(err, AG_EINVALID, "%s: certificate %d has an unreadable notAfter", what, i);
		if (i == 0 || v < info->not_after)
			info->not_after = v;
	}
	return AG_OK;
}

/* The next DER element in [*p, end): its tag, class, constructed flag and content; -1 when malformed. */
static int
next_element(const unsigned char **p, const unsigned char *end, int *tag, int *cls, const unsigned char **content,
    long *n)
{
	int r = ASN1_get_object(p, n, tag, cls, end - *p);

	if ((r & 0x80) != 0 || *n > end - *p)
		return -1;
	*content = *p;
	*p += *n;
	return r & V_ASN1_CONSTRUCTED;
}

/* The last element in [p, end): its tag and content; -1 when the elements do not fill the span exactly. */
static int
last_element(const unsigned char *p, const unsigned char *end, int *tag, const unsigned char **content, long *n)
{
	int cls, r = -1;

	while (p < end)
		if ((r = next_element(&p, end, tag, &cls, content, n)) < 0)
			return -1;
	return r < 0 || p != end ? -1 : 0;
}

/* Hopper: SEQUENCE { ..., SEQUENCE { ..., OCTET STRING (48) } }: the final element's final OCTET STRING ends the value. */
static int
fwid_hopper(const uint8_t *der, size_t len, uint8_t out[AG_NV_FWID_LEN])
{
	const unsigned char *p = der, *end = der + len, *c;
	long n;
	int tag, cls;

	if (next_element(&p, end, &tag, &cls, &c, &n) <= 0 || tag != V_ASN1_SEQUENCE || p != end ||
	    last_element(c, c + n, &tag, &c, &n) != 0 || tag != V_ASN1_SEQUENCE ||
	    last_element(c, c + n, &tag, &c, &n) != 0 || tag != V_ASN1_OCTET_STRING || n != AG_NV_FWID_LEN)
		return -1;
	memcpy(out, c, AG_NV_FWID_LEN);
	return 0;
}

/* Blackwell: TcbInfo ::= SEQUENCE { ..., fwids [6] IMPLICIT SEQUENCE OF SEQUENCE { hashAlg OID, digest OCTET STRING }, ... }. */
static int
fwid_blackwell(const uint8_t *der, size_t len, uint8_t out[AG_NV_FWID_LEN])
{
	const unsigned char *p = der, *end = der + len, *c, *fw_end, *q, *q_end;
	long n;
	int tag, cls;

	if (next_element(&p, end, &tag, &cls, &c, &n) <= 0 || tag != V_ASN1_SEQUENCE || p != end)
		return -1;
	for (p = c, end = c + n; p < end;) {
		if (next_element(&p, end, &tag, &cls, &c, &n) < 0)
			return -1;
		if (cls != V_ASN1_CONTEXT_SPECIFIC || tag != 6)
			continue;
		fw_end = c + n;
		/* The first FWID: SEQUENCE { OID, OCTET STRING }. */
		if (next_element(&c, fw_end, &tag, &cls, &q, &n) <= 0 || tag != V_ASN1_SEQUENCE)
			return -1;
		q_end = q + n;
		if (next_element(&q, q_end, &tag, &cls, &c, &n) != 0 || tag != V_ASN1_OBJECT ||
		    next_element(&q, q_end, &tag, &cls, &c, &n) != 0 || tag != V_ASN1_OCTET_STRING || n != AG_NV_FWID_LEN)
			return -1;
		memcpy(out, c, AG_NV_FWID_LEN);
		return 0;
	}
	return -1;
}

int
ag_nv_fwid_from_ext(const uint8_t *der, size_t len, enum ag_nv_arch a, uint8_t out[AG_NV_FWID_LEN])
{
	return a == AG_NV_BLACKWELL ? fwid_blackwell(der, len, out) : fwid_hopper(der, len, out);
}

enum ag_code
ag_nv_cert_fwid(X509 *leaf, enum ag_nv_arch a, uint8_t out[AG_NV_FWID_LEN], struct ag_err *err)
{
	const char *oid = a == AG_NV_BLACKWELL ? OID_FWID_BLACKWELL : OID_FWID_HOPPER;
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int at = obj != NULL ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
	X509_EXTENSION *ext = at >= 0 ? X509_get_ext(leaf, at) : NULL;
	ASN1_OCTET_STRING *v = ext != NULL ? X509_EXTENSION_get_data(ext) : NULL;
	int ok = v != NULL && ag_nv_fwid_from_ext(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), a, out) == 0;

	ASN1_OBJECT_free(obj);
	if (at < 0)
		return ag_err_set(err, AG_EINVALID, "the report has an FWID, but the device certificate has no %s extension to "
		    "compare it with", oid);
	if (!ok)
		return ag_err_set(err, AG_EINVALID, "the device certificate's %s extension has no FWID where %s devices carry "
		    "it", oid, ag_nv_arch_name(a));
	return AG_OK;
}

const char *
ag_nv_hwmodel(STACK_OF(X509) *chain, char *buf, size_t size)
{
	if (sk_X509_num(chain) < 2) {
		snprintf(buf, size, "?");
		return buf;
	}
	return ag_cert_cn(sk_X509_value(chain, 1), buf, size);
}

char *
ag_nv_ueid(STACK_OF(X509) *chain)
{
	BIGNUM *bn = sk_X509_num(chain) > 0 ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(sk_X509_value(chain, 0)), NULL) :
					      NULL;
	char *dec = bn != NULL ? BN_bn2dec(bn) : NULL;
	char *out = dec != NULL ? strdup(dec) : NULL;

	OPENSSL_free(dec);
	BN_free(bn);
	return out;
}
