/*
 * test_tdx.c - lib/format/tdx.c: TDX quote parsing (v4, v5 with TDX 1.0 and
 * 1.5 bodies, every size and type in the signature data), verification (PCK
 * chain to the pinned Intel SGX Root CA or explicit test roots, QE report
 * signature and identity, the attestation key binding, the quote signature),
 * the report-data check against a TDREPORT and the claims.  The real quotes
 * of ../shared/vectors with ../shared/data/intel at a pinned time (skipped
 * visibly when absent), and quotes built and signed here under a test root.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/certs.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "format/tdx.h"
#include "format/tdx_qe.h"

#define T2025_06 1748736000   /* 2025-06-01T00:00:00Z: every real PCK certificate is valid */

static uint8_t *
shared_file(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	struct ag_err err;

	snprintf(path, sizeof(path), "%s/%s", tu_shared(), name);
	if (access(path, R_OK) != 0)
		return NULL;
	assert_int_equal(ag_file_read(path, 1 << 20, AG_ECONFIG, &buf, len, &err), AG_OK);
	return buf;
}

#define SKIP_WITHOUT(p)                                                               \
	do {                                                                          \
		if ((p) == NULL) {                                                    \
			print_message("# skipped: ../shared/vectors/tdx is not present\n"); \
			skip();                                                       \
		}                                                                     \
	} while (0)

static const char *const quotes[] = { "vectors/tdx/quotes/spr-e4-v4.dat", "vectors/tdx/quotes/trustee-v4-a.dat",
	"vectors/tdx/quotes/trustee-v4-b.dat", "vectors/tdx/quotes/cvmtools-td-quote-v4.dat",
	"vectors/azure-cvm/tdx-trustee/td-quote.bin" };

static void
parse_ok(const uint8_t *b, size_t len, struct ag_tdx_quote *q)
{
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_tdx_parse(b, len, q, &err) != AG_OK)
		fail_msg("%s", err.msg);
}

static void
parse_fails(const uint8_t *b, size_t len, const char *why)
{
	struct ag_tdx_quote q;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_tdx_parse(b, len, &q, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

static void
test_vectors_parse(void **state)
{
	size_t len;
	uint8_t *b = shared_file(quotes[0], &len);

	(void)state;
	SKIP_WITHOUT(b);
	free(b);
	for (size_t i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
		struct ag_tdx_quote q;

		b = shared_file(quotes[i], &len);
		parse_ok(b, len, &q);
		assert_int_equal(q.version, 4);
		assert_int_equal(q.body_type, 2);
		assert_ptr_equal(q.signed_data, b);
		assert_int_equal(q.signed_len, 48 + 584);
		assert_ptr_equal(q.tee_tcb_svn, b + 48);
		assert_ptr_equal(q.mrtd, b + 48 + 136);
		assert_ptr_equal(q.rtmr[3], b + 48 + 328 + 144);
		assert_ptr_equal(q.report_data, b + 48 + 520);
		assert_null(q.tee_tcb_svn2);
		assert_null(q.mrservicetd);
		assert_ptr_equal(q.signature, b + 636);
		assert_ptr_equal(q.attestation_key, b + 700);
		assert_ptr_equal(q.qe_report, b + 770);
		assert_ptr_equal(q.qe_report_sig, b + 770 + 384);
		assert_int_equal(q.qe_auth_len, 32);
		assert_ptr_equal(q.qe_auth, b + 1220);
		assert_ptr_equal(q.pck_chain, b + 1220 + 32 + 6);
		assert_int_equal(q.pck_chain_len, len - (i == 0 ? 39 : i == 1 ? 0 : 70) - (1220 + 32 + 6));
		assert_memory_equal(q.pck_chain, "-----BEGIN CERTIFICATE-----", 27);
		/* Truncating the trailing bytes is fine; one byte of the chain is not. */
		parse_ok(b, (size_t)(q.pck_chain + q.pck_chain_len - b), &q);
		parse_fails(b, (size_t)(q.pck_chain + q.pck_chain_len - b) - 1, "truncated: signature data");
		free(b);
	}
}

static STACK_OF(X509) *
intel_root(void)
{
	STACK_OF(X509) *s = sk_X509_new_null();
	size_t len;
	uint8_t *b = shared_file("data/intel/intel-sgx-root-ca.pem", &len);
	struct ag_err err;

	assert_non_null(b);
	assert_int_equal(ag_certs_load(b, len, s, &err), AG_OK);
	free(b);
	return s;
}

static void
test_vectors_verify(void **state)
{
	size_t len;
	uint8_t *b = shared_file(quotes[0], &len);

	(void)state;
	SKIP_WITHOUT(b);
	free(b);
	for (size_t i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
		struct ag_tdx_quote q;
		json_t *c = NULL;
		struct ag_err err;
		char hex[129];

		b = shared_file(quotes[i], &len);
		parse_ok(b, len, &q);
		if (ag_tdx_verify(&q, NULL, NULL, T2025_06, &c, &err) != AG_OK)
			fail_msg("%s: %s", quotes[i], err.msg);
		assert_string_equal(json_string_value(json_object_get(c, "x-ms-attestation-type")), "tdxvm");
		ag_hex_encode(q.mrtd, 48, hex);
		assert_string_equal(json_string_value(json_object_get(c, "tdx_mrtd")), hex);
		ag_hex_encode(q.report_data, 64, hex);
		assert_string_equal(json_string_value(json_object_get(c, "tdx_report_data")), hex);
		assert_int_equal(json_integer_value(json_object_get(c, "x-attestgate-tdx-quote-version")), 4);
		assert_null(json_object_get(c, "tdx_mrservicetd"));
		/* trustee-v4-a is a debug TD, the others are not. */
		assert_int_equal(json_is_true(json_object_get(c, "tdx_td_attributes_debug")), i == 1);
		assert_string_equal(json_string_value(json_object_get(c, "dbgstat")), i == 1 ? "enabled" : "disabled");
		json_decref(c);
		/* The same with the Intel root given as a test root as well: still fine. */
		{
			STACK_OF(X509) *r = intel_root();

			assert_int_equal(ag_tdx_verify(&q, NULL, r, T2025_06, &c, &err), AG_OK);
			json_decref(c);
			/* ... and as extra certificates. */
			assert_int_equal(ag_tdx_verify(&q, r, NULL, T2025_06, &c, &err), AG_OK);
			json_decref(c);
			sk_X509_pop_free(r, X509_free);
		}
		free(b);
	}
}

/* One bit flipped in each region of a real quote, at a time the chain is valid; and times it is not. */
static void
test_vectors_tamper(void **state)
{
	static const struct {
		size_t off;
		const char *why;
	} flips[] = {
		{ 640, "TD quote signature does not verify" },     /* the signature */
		{ 200, "TD quote signature does not verify" },     /* MRTD */
		{ 570, "TD quote signature does not verify" },     /* REPORT_DATA */
		{ 168, "TD quote signature does not verify" },     /* TD attributes (DEBUG) */
		{ 40, "TD quote signature does not verify" },      /* header user data */
		{ 710, "does not bind the attestation key" },      /* the attestation key */
		{ 800, "QE report signature does not verify" },    /* the QE report */
		{ 1160, "QE report signature does not verify" },   /* the QE report signature */
		{ 1222, "does not bind the attestation key" },     /* QE auth data */
	};
	size_t len;
	uint8_t *b = shared_file("vectors/tdx/quotes/trustee-v4-a.dat", &len);
	struct ag_tdx_quote q;
	json_t *c = NULL;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(b);
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		b[flips[i].off] ^= 1;
		parse_ok(b, len, &q);
		assert_int_equal(ag_tdx_verify(&q, NULL, NULL, T2025_06, &c, &err), AG_EINVALID);
		assert_null(c);
		if (strstr(err.msg, flips[i].why) == NULL && strstr(err.msg, "not a P-256 point") == NULL)
			fail_msg("offset %zu: \"%s\" lacks \"%s\"", flips[i].off, err.msg, flips[i].why);
		b[flips[i].off] ^= 1;
	}
	parse_ok(b, len, &q);
	assert_int_equal(ag_tdx_verify(&q, NULL, NULL, 2840140800, &c, &err), AG_EINVALID);   /* 2060 */
	assert_non_null(strstr(err.msg, "PCK chain does not verify to the pinned Intel SGX Root CA: certificate has expired (pin the time with --at)"));
	assert_int_equal(ag_tdx_verify(&q, NULL, NULL, 1483228800, &c, &err), AG_EINVALID);   /* 2017 */
	assert_non_null(strstr(err.msg, "not yet valid"));
	free(b);
}

/* The chain check on its own, with the spr-e4 quote's PCK chain. */
static void
test_intel_verify_chain(void **state)
{
	size_t len;
	uint8_t *b = shared_file("vectors/tdx/quotes/spr-e4-v4.dat", &len);
	struct ag_tdx_quote q;
	STACK_OF(X509) *all, *s, *root;
	X509 *leaf = NULL;
	struct ag_err err;
	char cn[64];

	(void)state;
	SKIP_WITHOUT(b);
	all = sk_X509_new_null();
	root = intel_root();
	parse_ok(b, len, &q);
	assert_int_equal(ag_certs_load(q.pck_chain, q.pck_chain_len, all, &err), AG_OK);
	assert_int_equal(sk_X509_num(all), 3);
	assert_int_equal(ag_intel_verify_chain(all, NULL, T2025_06, "PCK chain", &leaf, &err), AG_OK);
	assert_ptr_equal(leaf, sk_X509_value(all, 0));
	assert_string_equal(ag_cert_cn(leaf, cn, sizeof(cn)), "Intel SGX PCK Certificate");
	/* Without the root in the chain: only with the root as a (test) root. */
	s = sk_X509_dup(all);
	sk_X509_pop(s);
	assert_int_equal(ag_intel_verify_chain(s, NULL, T2025_06, "PCK chain", &leaf, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "PCK chain does not end in the pinned Intel SGX Root CA (its root is Intel SGX PCK Platform CA)"));
	assert_int_equal(ag_intel_verify_chain(s, root, T2025_06, "PCK chain", &leaf, &err), AG_OK);
	/* Without the intermediate. */
	sk_X509_delete(s, 1);
	sk_X509_push(s, sk_X509_value(all, 2));
	assert_int_equal(ag_intel_verify_chain(s, NULL, T2025_06, "PCK chain", &leaf, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "does not verify to the pinned Intel SGX Root CA"));
	sk_X509_free(s);
	/* The Platform CA as the leaf is a valid chain too: what it certifies is the caller's business. */
	s = sk_X509_dup(all);
	sk_X509_shift(s);
	assert_int_equal(ag_intel_verify_chain(s, NULL, T2025_06, "what", &leaf, &err), AG_OK);
	sk_X509_free(s);
	/* Nothing at all. */
	s = sk_X509_new_null();
	assert_int_equal(ag_intel_verify_chain(s, NULL, T2025_06, "PCK chain", &leaf, &err), AG_EINVALID);
	assert_null(leaf);
	sk_X509_free(s);
	sk_X509_pop_free(all, X509_free);
	sk_X509_pop_free(root, X509_free);
	free(b);
}

static void
test_check_report_data(void **state)
{
	size_t len, tl;
	uint8_t *b = shared_file("vectors/azure-cvm/tdx-trustee/td-quote.bin", &len);
	uint8_t *td = shared_file("vectors/azure-cvm/tdx-trustee/tdreport.bin", &tl);
	uint8_t rd[AG_TDX_REPORT_DATA_LEN];
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(b);
	assert_int_equal(tl, 1024);
	memcpy(rd, td + 0x80, sizeof(rd));
	assert_int_equal(ag_tdx_check_report_data(b, len, rd, &err), AG_OK);
	rd[63] ^= 1;
	assert_int_equal(ag_tdx_check_report_data(b, len, rd, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "not for the HCL report's TDREPORT"));
	rd[63] ^= 1;
	assert_int_equal(ag_tdx_check_report_data(b, 100, rd, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "truncated"));
	b[0] = 3;
	assert_int_equal(ag_tdx_check_report_data(b, len, rd, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "version 3"));
	free(b);
	free(td);
}

/* --- quotes built here under a test root --- */

static EVP_PKEY *root_key, *pck_key, *ak_key;
static X509 *root_cert, *pck_cert;
static char *chain_pem;

static X509 *
mk_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *signer, int ca)
{
	X509 *c = X509_new();
	X509_EXTENSION *e;

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), ca ? 1 : 2);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : X509_get_subject_name(c));
	ASN1_TIME_set(X509_getm_notBefore(c), 1577836800);   /* 2020 */
	ASN1_TIME_set(X509_getm_notAfter(c), 2208988800);    /* 2040 */
	X509_set_pubkey(c, pub);
	e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	X509_add_ext(c, e, -1);
	X509_EXTENSION_free(e);
	assert_true(X509_sign(c, signer, EVP_sha256()) > 0);
	return c;
}

static int
setup(void **state)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	(void)state;
	root_key = EVP_EC_gen("P-256");
	pck_key = EVP_EC_gen("P-256");
	ak_key = EVP_EC_gen("P-256");
	root_cert = mk_cert("Test SGX Root CA", root_key, NULL, root_key, 1);
	pck_cert = mk_cert("Test SGX PCK Certificate", pck_key, root_cert, root_key, 0);
	X509_up_ref(pck_cert);
	X509_up_ref(root_cert);
	sk_X509_push(s, pck_cert);
	sk_X509_push(s, root_cert);
	chain_pem = ag_certs_to_pem(s);
	sk_X509_pop_free(s, X509_free);
	return chain_pem != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(root_cert);
	X509_free(pck_cert);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(pck_key);
	EVP_PKEY_free(ak_key);
	free(chain_pem);
	return 0;
}

/* Raw big-endian r||s ECDSA P-256 signature of data by key. */
static void
p256_sign(EVP_PKEY *key, const uint8_t *data, size_t len, uint8_t out[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[80];
	size_t dl = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *s;

	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dl, data, len), 1);
	EVP_MD_CTX_free(ctx);
	s = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	BN_bn2binpad(ECDSA_SIG_get0_r(s), out, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(s), out + 32, 32);
	ECDSA_SIG_free(s);
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

enum { QE_DEBUG = 1, QE_PRODID1 = 2, QE_UNBOUND = 4, AK_GARBAGE = 8, QE_BY_AK = 16, TD_ATTRS = 32, QE_TAIL = 64 };

/* The 384-byte QE report: Intel's MRSIGNER, ISVPRODID 2, report data binding ak and the auth data. */
static void
qe_report(uint8_t *qe, const uint8_t ak[64], const uint8_t *auth, size_t auth_len, int flags)
{
	uint8_t tmp[64 + 64];

	memset(qe, 0, 384);
	assert_int_equal(ag_hex_decode(AG_TDX_QE_MRSIGNER_HEX, qe + 128, 32), 0);
	qe[48] = 0x15 | (flags & QE_DEBUG ? 0x02 : 0);
	qe[256] = flags & QE_PRODID1 ? 1 : 2;
	qe[258] = 4;
	memcpy(tmp, ak, 64);
	memcpy(tmp + 64, auth, auth_len);
	assert_int_equal(ag_sha256(tmp, 64 + auth_len, qe + 320), 0);
	if (flags & QE_UNBOUND)
		qe[320] ^= 1;
	if (flags & QE_TAIL)
		qe[383] = 1;   /* the second half of REPORTDATA must be zero */
}

/* A quote of version (4, 5) and body type (2, 3) into b; returns its length. */
static size_t
build(uint8_t *b, unsigned version, unsigned type, int flags)
{
	static const uint8_t vendor[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95,
		0x7f, 0x06, 0x07 };
	const uint8_t auth[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t off = 48, body = type == 3 ? 648 : 584, pl = strlen(chain_pem), sd, cd;
	uint8_t pt[65];
	size_t ptl = 0;

	memset(b, 0, 8192);
	put16(b, version);
	put16(b + 2, 2);
	put32(b + 4, 0x81);
	put16(b + 8, 3);
	put16(b + 10, 7);
	memcpy(b + 12, vendor, 16);
	if (version == 5) {
		put16(b + off, type);
		put32(b + off + 2, (uint32_t)body);
		off += 6;
	}
	for (size_t i = 0; i < body; i++)
		b[off + i] = (uint8_t)(i * 13 + 1);
	memset(b + off + 120, 0, 8);
	if (flags & TD_ATTRS) {
		b[off + 120] = 0x01;                    /* DEBUG */
		b[off + 123] = 0x50;                    /* SEPT_VE_DISABLE (28), PKS (30) */
		b[off + 127] = 0x80;                    /* PERFMON (63) */
	}
	off += body;
	sd = off;
	cd = 384 + 64 + 2 + sizeof(auth) + 6 + pl;
	put32(b + off, (uint32_t)(128 + 6 + cd));
	off += 4;
	assert_int_equal(EVP_PKEY_get_octet_string_param(ak_key, "encoded-pub-key", pt, sizeof(pt), &ptl), 1);
	memcpy(b + off + 64, pt + 1, 64);
	if (flags & AK_GARBAGE)
		memset(b + off + 64, 0x01, 64);
	put16(b + off + 128, 6);
	put32(b + off + 130, (uint32_t)cd);
	qe_report(b + off + 134, b + off + 64, auth, sizeof(auth), flags);
	p256_sign(flags & QE_BY_AK ? ak_key : pck_key, b + off + 134, 384, b + off + 134 + 384);
	put16(b + off + 134 + 448, sizeof(auth));
	memcpy(b + off + 134 + 450, auth, sizeof(auth));
	put16(b + off + 134 + 450 + sizeof(auth), 5);
	put32(b + off + 134 + 452 + sizeof(auth), (uint32_t)pl);
	memcpy(b + off + 134 + 456 + sizeof(auth), chain_pem, pl);
	p256_sign(ak_key, b, sd, b + off);
	return off + 134 + cd;
}

static enum ag_code
verify_built(unsigned version, unsigned type, int flags, json_t **claims, struct ag_err *err)
{
	uint8_t *b = malloc(8192);
	size_t len = build(b, version, type, flags);
	STACK_OF(X509) *roots = sk_X509_new_null();
	struct ag_tdx_quote q;
	json_t *scratch = NULL;
	enum ag_code rc;

	X509_up_ref(root_cert);
	sk_X509_push(roots, root_cert);
	parse_ok(b, len, &q);
	ag_err_clear(err);
	rc = ag_tdx_verify(&q, NULL, roots, T2025_06, claims != NULL ? claims : &scratch, err);
	json_decref(scratch);
	sk_X509_pop_free(roots, X509_free);
	free(b);
	return rc;
}

static void
test_synthetic_verify(void **state)
{
	static const unsigned forms[][2] = { { 4, 2 }, { 5, 2 }, { 5, 3 } };
	json_t *c = NULL;
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		if (verify_built(forms[i][0], forms[i][1], 0, &c, &err) != AG_OK)
			fail_msg("v%u type %u: %s", forms[i][0], forms[i][1], err.msg);
		assert_int_equal(json_integer_value(json_object_get(c, "x-attestgate-tdx-quote-version")), forms[i][0]);
		assert_int_equal(json_object_get(c, "tdx_mrservicetd") != NULL, forms[i][1] == 3);
		assert_int_equal(json_object_get(c, "tdx_tee_tcb_svn2") != NULL, forms[i][1] == 3);
		assert_true(json_is_false(json_object_get(c, "tdx_td_attributes_debug")));
		json_decref(c);
	}
	/* Without the test root the chain ends nowhere pinned. */
	{
		uint8_t *b = malloc(8192);
		size_t len = build(b, 4, 2, 0);
		struct ag_tdx_quote q;

		parse_ok(b, len, &q);
		assert_int_equal(ag_tdx_verify(&q, NULL, NULL, T2025_06, &c, &err), AG_EINVALID);
		assert_non_null(strstr(err.msg, "does not end in the pinned Intel SGX Root CA (its root is Test SGX Root CA)"));
		assert_null(c);
		free(b);
	}
}

/* The QE report: signed by the PCK, Intel's TD QE, not DEBUG, binding the attestation key. */
static void
test_synthetic_qe(void **state)
{
	static const struct {
		int flags;
		const char *why;
	} bad[] = {
		{ QE_DEBUG, "the quoting enclave runs in DEBUG mode" },
		{ QE_PRODID1, "not from the TD quoting enclave (ISVPRODID 1, not 2)" },
		{ QE_UNBOUND, "the QE report does not bind the attestation key" },
		{ QE_TAIL, "the QE report does not bind the attestation key" },
		{ AK_GARBAGE, "the TD quote attestation key is not a P-256 point" },
		{ QE_BY_AK, "the QE report signature does not verify with the PCK certificate" },
	};
	struct ag_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(verify_built(4, 2, bad[i].flags, NULL, &err), AG_EINVALID);
		if (strstr(err.msg, bad[i].why) == NULL)
			fail_msg("flags %d: \"%s\" lacks \"%s\"", bad[i].flags, err.msg, bad[i].why);
	}
}

/* Signed regions of a v5 quote: the body descriptor is signed too. */
static void
test_synthetic_signed_regions(void **state)
{
	uint8_t *b = malloc(8192);
	size_t len = build(b, 5, 3, 0);
	STACK_OF(X509) *roots = sk_X509_new_null(), *extra = sk_X509_new_null();
	struct ag_tdx_quote q;
	json_t *c = NULL;
	struct ag_err err;

	(void)state;
	X509_up_ref(root_cert);
	sk_X509_push(roots, root_cert);
	parse_ok(b, len, &q);
	assert_int_equal(q.signed_len, 48 + 6 + 648);
	assert_ptr_equal(q.mrservicetd, b + 54 + 600);
	b[54 + 600] ^= 1;   /* MRSERVICETD */
	assert_int_equal(ag_tdx_verify(&q, NULL, roots, T2025_06, &c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "TD quote signature does not verify"));
	b[54 + 600] ^= 1;
	b[10] ^= 1;         /* PCE SVN in the header */
	assert_int_equal(ag_tdx_verify(&q, NULL, roots, T2025_06, &c, &err), AG_EINVALID);
	b[10] ^= 1;
	assert_int_equal(ag_tdx_verify(&q, NULL, roots, T2025_06, &c, &err), AG_OK);
	json_decref(c);
	/* Too many extra certificates. */
	for (int i = 0; i < AG_CERTS_MAX; i++) {
		X509_up_ref(root_cert);
		sk_X509_push(extra, root_cert);
	}
	assert_int_equal(ag_tdx_verify(&q, extra, roots, T2025_06, &c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "more than 16 certificates"));
	sk_X509_pop_free(extra, X509_free);
	sk_X509_pop_free(roots, X509_free);
	free(b);
}

static void
test_parse_header(void **state)
{
	uint8_t *b = malloc(AG_TDX_QUOTE_MAX + 1);
	size_t len = build(b, 4, 2, 0), l5;
	struct ag_tdx_quote q;

	(void)state;
	parse_ok(b, len, &q);
	assert_int_equal(q.qe_svn, 3);
	assert_int_equal(q.pce_svn, 7);
	parse_fails(b, 47, "truncated: 47 bytes, no header");
	parse_fails(b, 0, "no header");
	parse_fails(b, AG_TDX_QUOTE_MAX + 1, "larger than 65536 bytes");
	b[0] = 3;
	parse_fails(b, len, "version 3: only versions 4 and 5");
	b[0] = 6;
	parse_fails(b, len, "version 6");
	b[0] = 4;
	b[2] = 3;
	parse_fails(b, len, "attestation key type 3");
	b[2] = 2;
	b[4] = 0x00;   /* SGX */
	parse_fails(b, len, "TEE type 0x0 is not TDX");
	b[4] = 0x81;
	b[27] ^= 1;
	parse_fails(b, len, "QE vendor is not Intel's");
	b[27] ^= 1;
	parse_fails(b, 48 + 584 + 3, "truncated in the TD report");
	/* v5: the body descriptor. */
	l5 = build(b, 5, 3, 0);
	parse_ok(b, l5, &q);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body_type, 3);
	assert_ptr_equal(q.tee_tcb_svn2, b + 54 + 584);
	parse_fails(b, 53, "v5 truncated: no body descriptor");
	put16(b + 48, 4);
	parse_fails(b, l5, "body type 4 of 648 bytes");
	put16(b + 48, 2);
	parse_fails(b, l5, "body type 2 of 648 bytes");
	put16(b + 48, 3);
	put32(b + 50, 584);
	parse_fails(b, l5, "body type 3 of 584 bytes");
	put32(b + 50, 648);
	parse_fails(b, 54 + 648 + 3, "truncated in the TD report");
	l5 = build(b, 5, 2, 0);
	parse_ok(b, l5, &q);
	assert_int_equal(q.body_type, 2);
	assert_null(q.tee_tcb_svn2);
	free(b);
}

/* Sizes and types inside the signature data of a v4 quote (signature data at 632). */
static void
test_parse_signature_data(void **state)
{
	uint8_t *b = malloc(8192);
	size_t len = build(b, 4, 2, 0), pl = strlen(chain_pem);
	const size_t cd_at = 636 + 128, qa_at = cd_at + 6 + 448, in_at = qa_at + 2 + 32;
	uint32_t sig_len = (uint32_t)(len - 636), cd_len = (uint32_t)(len - cd_at - 6);
	struct ag_tdx_quote q;

	(void)state;
	put32(b + 632, sig_len + 1);
	parse_fails(b, len, "truncated: signature data of");
	put32(b + 632, 133);
	parse_fails(b, len, "signature data too short");
	put32(b + 632, sig_len);
	put16(b + cd_at, 5);
	parse_fails(b, len, "certification data type 5: expected QE report certification data (6)");
	put16(b + cd_at, 6);
	put32(b + cd_at + 2, cd_len + 1);
	parse_fails(b, len, "QE report certification data has a wrong size");
	put32(b + cd_at + 2, 384 + 64 + 2 + 6 - 1);
	parse_fails(b, len, "wrong size (455)");
	put32(b + cd_at + 2, cd_len);
	put16(b + qa_at, (unsigned)(cd_len - 448 - 2 - 5));
	parse_fails(b, len, "QE authentication data overruns");
	put16(b + qa_at, 0xffff);
	parse_fails(b, len, "QE authentication data overruns");
	put16(b + qa_at, 32);
	put16(b + in_at, 3);
	parse_fails(b, len, "certification data type 3, not a PCK chain (5): fetch it from the PCCS");
	put16(b + in_at, 5);
	put32(b + in_at + 2, (uint32_t)pl - 1);
	parse_fails(b, len, "PCK chain size");
	put32(b + in_at + 2, 0);
	parse_fails(b, len, "PCK chain size 0");
	put32(b + in_at + 2, (uint32_t)pl);
	parse_ok(b, len, &q);
	/* Bytes after the signature data are ignored; inside it, after the certification data, too. */
	b[len] = 0xee;
	parse_ok(b, len + 1, &q);
	assert_int_equal(q.pck_chain_len, pl);
	put32(b + 632, sig_len + 1);
	parse_ok(b, len + 1, &q);
	assert_int_equal(q.pck_chain_len, pl);
	free(b);
}

static void
test_claims(void **state)
{
	uint8_t *b = malloc(8192);
	size_t len = build(b, 5, 3, TD_ATTRS);
	struct ag_tdx_quote q;
	json_t *c;
	char hex[129];

	(void)state;
	parse_ok(b, len, &q);
	c = ag_tdx_claims(&q);
	assert_non_null(c);
	assert_int_equal(json_object_size(c), 25);
	assert_true(json_is_true(json_object_get(c, "tdx_td_attributes_debug")));
	assert_true(json_is_true(json_object_get(c, "tdx_td_attributes_septve_disable")));
	assert_true(json_is_true(json_object_get(c, "tdx_td_attributes_protection_keys")));
	assert_true(json_is_false(json_object_get(c, "tdx_td_attributes_key_locker")));
	assert_true(json_is_true(json_object_get(c, "tdx_td_attributes_perfmon")));
	assert_string_equal(json_string_value(json_object_get(c, "dbgstat")), "enabled");
	assert_string_equal(json_string_value(json_object_get(c, "tdx_td_attributes")), "0100005000000080");
	ag_hex_encode(q.tee_tcb_svn, 16, hex);
	assert_string_equal(json_string_value(json_object_get(c, "tdx_tee_tcb_svn")), hex);
	ag_hex_encode(q.mrseam, 48, hex);
	assert_string_equal(json_string_value(json_object_get(c, "tdx_mrseam")), hex);
	ag_hex_encode(q.rtmr[2], 48, hex);
	assert_string_equal(json_string_value(json_object_get(c, "tdx_rtmr2")), hex);
	ag_hex_encode(q.xfam, 8, hex);
	assert_string_equal(json_string_value(json_object_get(c, "tdx_xfam")), hex);
	ag_hex_encode(q.mrservicetd, 48, hex);
	assert_string_equal(json_string_value(json_object_get(c, "tdx_mrservicetd")), hex);
	assert_int_equal(strlen(json_string_value(json_object_get(c, "tdx_report_data"))), 128);
	json_decref(c);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_parse),
		cmocka_unit_test(test_vectors_verify),
		cmocka_unit_test(test_vectors_tamper),
		cmocka_unit_test(test_intel_verify_chain),
		cmocka_unit_test(test_check_report_data),
		cmocka_unit_test(test_synthetic_verify),
		cmocka_unit_test(test_synthetic_qe),
		cmocka_unit_test(test_synthetic_signed_regions),
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_parse_signature_data),
		cmocka_unit_test(test_claims),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
