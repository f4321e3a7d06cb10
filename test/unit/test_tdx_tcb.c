/*
 * test_tdx_tcb.c - lib/format/tdx_tcb.c: a TD quote against Intel's TDX TCB
 * info: the collateral's signature and window (through intel_collateral.c),
 * the FMSPC, the SGX TCB components and PCESVN of the PCK certificate's SGX
 * extension and the quote's TEE_TCB_SVN against each level, the status and
 * date claims.  The real quotes and TCB info of ../shared/vectors/tdx at a
 * pinned time (skipped visibly when absent), and PCK certificates (with the
 * SGX extension written in DER here) and TCB infos signed under a test root.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/certs.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "format/tdx.h"
#include "format/tdx_tcb.h"

#define T_TCB_OK 1688169600      /* 2023-07-01: inside the real TCB info's window */
#define T_SYN 1767225600         /* 2026-01-01 */

static uint8_t *
shared_file(const char *name, size_t *len)
{
	return tu_vec_in("tdx", name, len);
}

/* ag_tdx_tcb_check of ../shared/vectors/tdx/quotes/QUOTE against the real TCB info at time at. */
static enum ag_code
real_check(const char *quote, time_t at, json_t *claims, struct ag_err *err)
{
	size_t ql, tl, cl;
	uint8_t *qb = shared_file(quote, &ql), *tcb = shared_file("collateral/tcbinfo-50806f000000.json", &tl);
	uint8_t *chain = shared_file("collateral/tcb-info-issuer-chain.pem", &cl);
	STACK_OF(X509) *s = sk_X509_new_null();
	struct ag_tdx_quote q;
	enum ag_code rc;

	assert_non_null(qb);
	assert_int_equal(ag_tdx_parse(qb, ql, &q, err), AG_OK);
	assert_int_equal(ag_certs_load(chain, cl, s, err), AG_OK);
	ag_err_clear(err);
	rc = ag_tdx_tcb_check(&q, tcb, tl, s, NULL, at, claims, err);
	sk_X509_pop_free(s, X509_free);
	free(qb);
	free(tcb);
	free(chain);
	return rc;
}

static void
test_real(void **state)
{
	size_t len;
	uint8_t *p = shared_file("collateral/tcbinfo-50806f000000.json", &len);
	json_t *c;
	struct ag_err err;

	(void)state;
	if (p == NULL) {
		print_message("# skipped: ../shared/vectors/tdx is not present\n");
		skip();
	}
	free(p);
	c = json_pack("{s:s}", "x-ms-attestation-type", "tdxvm");
	assert_int_equal(real_check("quotes/trustee-v4-a.dat", T_TCB_OK, c, &err), AG_OK);
	assert_string_equal(json_string_value(json_object_get(c, "attester_tcb_status")), "UpToDate");
	assert_string_equal(json_string_value(json_object_get(c, "x-attestgate-tdx-tcb-date")), "2023-02-15T00:00:00Z");
	assert_int_equal(json_object_size(c), 3);
	json_decref(c);
	c = json_object();
	/* spr-e4's TEE_TCB_SVN (03 00 04 ..) is below every TDX level. */
	assert_int_equal(real_check("quotes/spr-e4-v4.dat", T_TCB_OK, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "the platform's TCB is below every level of the TCB info (not supported)"));
	/* trustee-v4-b is another platform. */
	assert_int_equal(real_check("quotes/trustee-v4-b.dat", T_TCB_OK, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "the TCB info is for FMSPC 50806f000000, the PCK certificate's is 00a06d080000"));
	/* Past nextUpdate; after the TCB Signing certificate expired. */
	assert_int_equal(real_check("quotes/trustee-v4-a.dat", 1690848000, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "TCB info: is not valid at the verification time"));
	assert_int_equal(real_check("quotes/trustee-v4-a.dat", T_SYN, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "TCB info: the TCB Signing chain does not verify"));
	/* Nothing was claimed by the failures. */
	assert_int_equal(json_object_size(c), 0);
	json_decref(c);
}

/* --- PCK certificates and TCB infos made here --- */

struct der {
	uint8_t b[2048];
	size_t n;
};

static void
tlv(struct der *out, uint8_t tag, const uint8_t *c, size_t cl)
{
	out->b[out->n++] = tag;
	if (cl < 0x80) {
		out->b[out->n++] = (uint8_t)cl;
	} else if (cl < 0x100) {
		out->b[out->n++] = 0x81;
		out->b[out->n++] = (uint8_t)cl;
	} else {
		out->b[out->n++] = 0x82;
		out->b[out->n++] = (uint8_t)(cl >> 8);
		out->b[out->n++] = (uint8_t)cl;
	}
	memcpy(out->b + out->n, c, cl);
	out->n += cl;
}

/* SEQUENCE { OID 1.2.840.113741.1.13.1.<a>[.<b>], value } appended to out. */
static void
pair(struct der *out, int a, int b, const struct der *value)
{
	static const uint8_t base[] = { 0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x01, 0x0D, 0x01 };
	uint8_t oid[16];
	size_t ol = sizeof(base);
	struct der inner = { .n = 0 };

	memcpy(oid, base, sizeof(base));
	oid[ol++] = (uint8_t)a;
	if (b > 0)
		oid[ol++] = (uint8_t)b;
	tlv(&inner, 0x06, oid, ol);
	memcpy(inner.b + inner.n, value->b, value->n);
	inner.n += value->n;
	tlv(out, 0x30, inner.b, inner.n);
}

static struct der
integer(long v)
{
	struct der d = { .n = 0 };
	uint8_t c[3];
	size_t n = 0;

	if (v >= 0x8000)
		c[n++] = (uint8_t)(v >> 16);
	if (v >= 0x80)
		c[n++] = (uint8_t)(v >> 8);
	c[n++] = (uint8_t)v;
	tlv(&d, 0x02, c, n);
	return d;
}

static struct der
octets(const uint8_t *p, size_t n)
{
	struct der d = { .n = 0 };

	tlv(&d, 0x04, p, n);
	return d;
}

/* What the PCK certificate's SGX extension says; skip_comp (1..17) leaves one component out. */
struct pck {
	uint8_t comp[16];
	long pcesvn;
	uint8_t fmspc[6];
	size_t fmspc_len;
	int skip_comp;
	int no_ext;
};

static void
sgx_extension(const struct pck *p, struct der *ext)
{
	static const uint8_t ppid[16], pceid[2];
	struct der top = { .n = 0 }, tcb = { .n = 0 }, seq = { .n = 0 }, v;

	v = octets(ppid, sizeof(ppid));
	pair(&top, 1, 0, &v);
	for (int i = 1; i <= 17; i++) {
		if (i == p->skip_comp)
			continue;
		v = integer(i <= 16 ? p->comp[i - 1] : p->pcesvn);
		pair(&tcb, 2, i, &v);
	}
	v = octets(p->comp, 16);   /* CPUSVN (.2.18): not a component */
	pair(&tcb, 2, 18, &v);
	tlv(&seq, 0x30, tcb.b, tcb.n);
	pair(&top, 2, 0, &seq);
	v = octets(pceid, sizeof(pceid));
	pair(&top, 3, 0, &v);
	v = octets(p->fmspc, p->fmspc_len);
	pair(&top, 4, 0, &v);
	ext->n = 0;
	tlv(ext, 0x30, top.b, top.n);
}

static EVP_PKEY *root_key, *sign_key, *pck_key;
static X509 *root_cert, *sign_cert;

static X509 *
mk_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, int ca, const struct der *sgx)
{
	X509 *c = X509_new();
	X509_EXTENSION *e;
	static long serial = 1;

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : X509_get_subject_name(c));
	ASN1_TIME_set(X509_getm_notBefore(c), 1577836800);
	ASN1_TIME_set(X509_getm_notAfter(c), 2208988800);
	X509_set_pubkey(c, pub);
	e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(c, e, -1);
	X509_EXTENSION_free(e);
	if (sgx != NULL) {
		ASN1_OBJECT *o = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();

		ASN1_OCTET_STRING_set(os, sgx->b, (int)sgx->n);
		e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
		X509_add_ext(c, e, -1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(o);
	}
	assert_true(X509_sign(c, issuer != NULL ? root_key : pub, EVP_sha256()) > 0);
	return c;
}

static int
setup(void **state)
{
	(void)state;
	root_key = EVP_EC_gen("P-256");
	sign_key = EVP_EC_gen("P-256");
	pck_key = EVP_EC_gen("P-256");
	root_cert = mk_cert("Test SGX Root CA", root_key, NULL, 1, NULL);
	sign_cert = mk_cert("Test SGX TCB Signing", sign_key, root_cert, 0, NULL);
	return root_cert != NULL && sign_cert != NULL && pck_key != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(root_cert);
	X509_free(sign_cert);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(sign_key);
	EVP_PKEY_free(pck_key);
	return 0;
}

/* The platform: SGX components all 5, PCESVN 13, FMSPC 50806f000000, TEE_TCB_SVN 05 00 03. */
static struct pck
platform(void)
{
	struct pck p = { .pcesvn = 13, .fmspc = { 0x50, 0x80, 0x6f, 0, 0, 0 }, .fmspc_len = 6 };

	memset(p.comp, 5, 16);
	return p;
}

/* One TCB level: every SGX component sgx (except sgx7 at index 7), PCESVN, TDX components tdx0, tdx2. */
static void
level(char *out, size_t cap, int sgx, int sgx7, int pcesvn, int tdx0, int tdx2, const char *tail)
{
	size_t off = (size_t)snprintf(out, cap, "{\"tcb\":{\"sgxtcbcomponents\":[");

	for (int i = 0; i < 16; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s{\"svn\":%d}", i ? "," : "", i == 7 ? sgx7 : sgx);
	off += (size_t)snprintf(out + off, cap - off, "],\"pcesvn\":%d,\"tdxtcbcomponents\":[", pcesvn);
	for (int i = 0; i < 16; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s{\"svn\":%d,\"category\":\"x\"}", i ? "," : "",
		    i == 0 ? tdx0 : i == 2 ? tdx2 : 0);
	snprintf(out + off, cap - off, "]},%s}", tail);
}

/* A signed TCB info with fmspc and the levels (a JSON array's contents). */
static char *
tcb_info(const char *fmspc, const char *levels)
{
	char *member = malloc(strlen(levels) + 512), *out, hex[129];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[80], raw[64];
	size_t dl = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *s;

	sprintf(member, "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2027-01-01T00:00:00Z\","
			"%s%s%s\"tcbLevels\":[%s]}", fmspc != NULL ? "\"fmspc\":\"" : "", fmspc != NULL ? fmspc : "",
	    fmspc != NULL ? "\"," : "", levels);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, sign_key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dl, (const uint8_t *)member, strlen(member)), 1);
	EVP_MD_CTX_free(ctx);
	s = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	BN_bn2binpad(ECDSA_SIG_get0_r(s), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(s), raw + 32, 32);
	ECDSA_SIG_free(s);
	ag_hex_encode(raw, 64, hex);
	out = malloc(strlen(member) + 200);
	sprintf(out, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", member, hex);
	free(member);
	return out;
}

/* ag_tdx_tcb_check of a quote whose PCK certificate says p and whose TEE_TCB_SVN is svn, against info. */
static enum ag_code
check(const struct pck *p, const uint8_t svn[16], const char *info, json_t *claims, struct ag_err *err)
{
	struct der ext;
	X509 *pck;
	STACK_OF(X509) *s = sk_X509_new_null(), *chain = sk_X509_new_null(), *roots = sk_X509_new_null();
	struct ag_tdx_quote q;
	char *pem;
	enum ag_code rc;

	sgx_extension(p, &ext);
	pck = mk_cert("Test SGX PCK Certificate", pck_key, root_cert, 0, p->no_ext ? NULL : &ext);
	sk_X509_push(s, pck);
	pem = ag_certs_to_pem(s);
	memset(&q, 0, sizeof(q));
	q.pck_chain = (const uint8_t *)pem;
	q.pck_chain_len = strlen(pem);
	q.tee_tcb_svn = svn;
	X509_up_ref(sign_cert);
	X509_up_ref(root_cert);
	sk_X509_push(chain, sign_cert);
	sk_X509_push(roots, root_cert);
	ag_err_clear(err);
	rc = ag_tdx_tcb_check(&q, (const uint8_t *)info, strlen(info), chain, roots, T_SYN, claims, err);
	sk_X509_pop_free(s, X509_free);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(roots, X509_free);
	free(pem);
	return rc;
}

static const uint8_t svn_503[16] = { 5, 0, 3 };

/* Levels: UpToDate (5/5/13/5/3), OutOfDate (3/3/11/2/2), Revoked (0/0/0/0/0). */
static char *
three_levels(void)
{
	char l0[2048], l1[2048], l2[2048], *all = malloc(8192);

	level(l0, sizeof(l0), 5, 5, 13, 5, 3, "\"tcbDate\":\"2025-03-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"");
	level(l1, sizeof(l1), 3, 3, 11, 2, 2, "\"tcbDate\":\"2024-03-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"");
	level(l2, sizeof(l2), 0, 0, 0, 0, 0, "\"tcbDate\":\"2020-01-01T00:00:00Z\",\"tcbStatus\":\"Revoked\"");
	snprintf(all, 8192, "%s,%s,%s", l0, l1, l2);
	return all;
}

static const char *
status_of(const struct pck *p, const uint8_t svn[16], const char *info, struct ag_err *err)
{
	static char out[64];
	json_t *c = json_object();
	enum ag_code rc = check(p, svn, info, c, err);

	snprintf(out, sizeof(out), "%s", rc != AG_OK ? "(refused)" :
	    json_string_value(json_object_get(c, "attester_tcb_status")));
	if (rc != AG_OK)
		assert_int_equal(json_object_size(c), 0);
	json_decref(c);
	return out;
}

static void
test_levels(void **state)
{
	char *levels = three_levels(), *info = tcb_info("50806F000000", levels);
	struct pck p = platform();
	uint8_t svn[16];
	struct ag_err err;
	json_t *c = json_object();

	(void)state;
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_OK);
	assert_string_equal(json_string_value(json_object_get(c, "attester_tcb_status")), "UpToDate");
	assert_string_equal(json_string_value(json_object_get(c, "x-attestgate-tdx-tcb-date")), "2025-03-01T00:00:00Z");
	json_decref(c);
	/* Each of SGX component, PCESVN and TDX component one below the first level: the second. */
	p.comp[7] = 4;
	assert_string_equal(status_of(&p, svn_503, info, &err), "OutOfDate");
	p = platform();
	p.comp[15] = 4;
	assert_string_equal(status_of(&p, svn_503, info, &err), "OutOfDate");
	p = platform();
	p.pcesvn = 12;
	assert_string_equal(status_of(&p, svn_503, info, &err), "OutOfDate");
	p = platform();
	memcpy(svn, svn_503, 16);
	svn[0] = 4;
	assert_string_equal(status_of(&p, svn, info, &err), "OutOfDate");
	svn[0] = 5;
	svn[2] = 2;
	assert_string_equal(status_of(&p, svn, info, &err), "OutOfDate");
	/* Higher than every level is the first level. */
	memset(p.comp, 200, 16);
	p.pcesvn = 40000;
	memset(svn, 9, 16);
	assert_string_equal(status_of(&p, svn, info, &err), "UpToDate");
	/* Below the second level: the third, Revoked, is refused. */
	p = platform();
	p.comp[0] = 2;
	assert_string_equal(status_of(&p, svn_503, info, &err), "(refused)");
	assert_non_null(strstr(err.msg, "the platform's TCB level is Revoked"));
	free(info);
	free(levels);
}

static void
test_below_every_level(void **state)
{
	char l0[2048], l1[2048], *two = malloc(4096), *info;
	struct pck p = platform();
	struct ag_err err;
	json_t *c = json_object();

	(void)state;
	level(l0, sizeof(l0), 5, 5, 13, 5, 3, "\"tcbDate\":\"2025-03-01T00:00:00Z\",\"tcbStatus\":\"UpToDate\"");
	level(l1, sizeof(l1), 4, 4, 13, 5, 3, "\"tcbStatus\":\"SWHardeningNeeded\"");
	snprintf(two, 4096, "%s,%s", l0, l1);
	info = tcb_info("50806f000000", two);
	p.comp[3] = 3;
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "below every level of the TCB info"));
	/* A level without a date gives the status alone. */
	p.comp[3] = 4;
	p.comp[7] = 4;
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_OK);
	assert_string_equal(json_string_value(json_object_get(c, "attester_tcb_status")), "SWHardeningNeeded");
	assert_null(json_object_get(c, "x-attestgate-tdx-tcb-date"));
	free(info);
	/* No levels at all. */
	info = tcb_info("50806f000000", "");
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "below every level"));
	free(info);
	free(two);
	json_decref(c);
}

static void
test_malformed_levels(void **state)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "{\"svn\":5},{\"svn\":5}]", "{\"svn\":5}]" },        /* 15 SGX components */
		{ "\"pcesvn\":13", "\"pcesvn\":\"13\"" },
		{ "\"pcesvn\":13", "\"pceSvn\":13" },
		{ "{\"svn\":5}", "{\"svn\":\"5\"}" },
		{ "\"tdxtcbcomponents\"", "\"tdxTcbComponents\"" },
		{ "\"sgxtcbcomponents\":[", "\"sgxtcbcomponents\":7,\"x\":[" },   /* not a list */
	};
	struct pck p = platform();
	struct ag_err err;
	char l0[2048];

	(void)state;
	level(l0, sizeof(l0), 5, 5, 13, 5, 3, "\"tcbStatus\":\"UpToDate\"");
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char edited[4096], *at = strstr(l0, edits[i].from), *info;
		json_t *c = json_object();

		assert_non_null(at);
		snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(at - l0), l0, edits[i].to, at + strlen(edits[i].from));
		info = tcb_info("50806f000000", edited);
		assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
		if (strstr(err.msg, "TCB level 0 of the TCB info is malformed") == NULL)
			fail_msg("edit %zu: \"%s\"", i, err.msg);
		json_decref(c);
		free(info);
	}
}

static void
test_fmspc(void **state)
{
	char *levels = three_levels(), *info;
	struct pck p = platform();
	struct ag_err err;
	json_t *c = json_object();

	(void)state;
	info = tcb_info("00906ea10000", levels);
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "the TCB info is for FMSPC 00906ea10000, the PCK certificate's is 50806f000000"));
	free(info);
	info = tcb_info(NULL, levels);
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "for FMSPC ?"));
	free(info);
	info = tcb_info("50806f00000000", levels);
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "for FMSPC"));
	free(info);
	info = tcb_info("50806f00000", levels);
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	free(info);
	/* The PCK certificate's FMSPC differs in its last byte. */
	info = tcb_info("50806f000000", levels);
	p.fmspc[5] = 1;
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "the PCK certificate's is 50806f000001"));
	assert_int_equal(json_object_size(c), 0);
	free(info);
	free(levels);
	json_decref(c);
}

/* The PCK certificate's SGX extension: present, with FMSPC and all 16 components and PCESVN. */
static void
test_pck_extension(void **state)
{
	char *levels = three_levels(), *info = tcb_info("50806f000000", levels);
	struct pck p;
	struct ag_err err;
	json_t *c = json_object();
	const int missing[] = { 1, 9, 16, 17 };

	(void)state;
	p = platform();
	p.no_ext = 1;
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "the PCK certificate has no SGX extension with FMSPC and TCB"));
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		p = platform();
		p.skip_comp = missing[i];
		assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
		assert_non_null(strstr(err.msg, "no SGX extension with FMSPC and TCB"));
	}
	p = platform();
	p.fmspc_len = 5;
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "no SGX extension"));
	/* A component SVN above 255 is no component. */
	p = platform();
	p.skip_comp = 0;
	p.pcesvn = 70000;
	assert_int_equal(check(&p, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "no SGX extension"));
	assert_int_equal(json_object_size(c), 0);
	free(info);
	free(levels);
	json_decref(c);
}

/* The collateral itself: its errors are named "TCB info". */
static void
test_collateral(void **state)
{
	char *levels = three_levels(), *info = tcb_info("50806f000000", levels), *p;
	struct pck pl = platform();
	struct ag_err err;
	json_t *c = json_object();

	(void)state;
	p = strstr(info, "\"UpToDate\"");
	memcpy(p + 1, "Revoked\" ", 9);
	assert_int_equal(check(&pl, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "TCB info: signature does not verify with the TCB Signing certificate"));
	free(info);
	info = strdup("{\"tcbInfo\":{\"id\":\"TDX\"}}");
	assert_int_equal(check(&pl, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "TCB info: signature is not 64 bytes of hex"));
	free(info);
	info = strdup("not json");
	assert_int_equal(check(&pl, svn_503, info, c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "TCB info: is not {\"tcbInfo\""));
	assert_int_equal(json_object_size(c), 0);
	free(info);
	free(levels);
	json_decref(c);
}

/*
 * A matched level without a tcbStatus is refused, but as "below every
 * level" (not supported) instead of as malformed collateral, which
 * tdx_qe.c says for the same fault: the reason misleads.  Skipped visibly.
 */
static void
test_level_without_status(void **state)
{
	char l0[2048], *info;
	struct pck p = platform();
	struct ag_err err;
	json_t *c = json_object();
	enum ag_code rc;

	(void)state;
	level(l0, sizeof(l0), 5, 5, 13, 5, 3, "\"tcbDate\":\"2025-03-01T00:00:00Z\"");
	info = tcb_info("50806f000000", l0);
	rc = check(&p, svn_503, info, c, &err);
	assert_int_equal(rc, AG_EINVALID);
	assert_int_equal(json_object_size(c), 0);
	json_decref(c);
	free(info);
	if (strstr(err.msg, "malformed") == NULL) {
		print_message("# regression: lib/format/tdx_tcb.c was: reason is \"%s\"\n", err.msg);
		fail();
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_below_every_level),
		cmocka_unit_test(test_malformed_levels),
		cmocka_unit_test(test_fmspc),
		cmocka_unit_test(test_pck_extension),
		cmocka_unit_test(test_collateral),
		cmocka_unit_test(test_level_without_status),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
