/*
 * test_nvidia_certs.c - lib/format/nvidia_certs.c: NVIDIA device
 * certificate chains and the FWID of the DICE extensions.  The real chains
 * of ../shared/vectors/nvidia load as 5 certificates and verify today to
 * the pinned Device Identity CA of ../shared/data/nvidia (skipped visibly
 * when absent); a 5-certificate P-384 chain built here with OpenSSL is
 * accepted only as a test root and is refused outside its validity with a
 * hint to pin --at; roots that are not the pinned one, wrong chain lengths,
 * chains that are not one ordered path (reordered, a certificate too many),
 * hwmodel and ueid; the leaf FWID equals the report's opaque FWID; the
 * Hopper and Blackwell (TcbInfo) extension forms, well formed and not.
 */
#include "testutil.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/certs.h"
#include "base/digest.h"
#include "format/nvidia_certs.h"
#include "format/nvidia_opaque.h"
#include "format/spdm.h"

#define T2019 1546300800     /* 2019-01-01T00:00:00Z, before every real device certificate */
#define T2020 1577836800     /* 2020-01-01 */
#define T2024 1704067200     /* 2024-01-01: the synthetic leaf's notBefore */
#define T2025 1735689600     /* 2025-01-01: "now" for the synthetic chain */
#define T2030 1893456000     /* 2030-01-01: the synthetic leaf's notAfter */
#define T2100 4102444800     /* 2100-01-01 */
#define T9999 253402300799   /* 9999-12-31T23:59:59Z, every real device certificate's notAfter */

#define OID_HOPPER "2.23.133.5.4.1"
#define OID_BLACKWELL "2.23.133.5.4.1.1"
#define GPU_WHAT "GPU 0 attestation chain"

static const struct chain_vec {
	const char *dir, *chain, *report;   /* report: the one with an FWID, or NULL */
} chains[] = {
	{ "nvidia/nvtrust-hopper-550", "hopperCertChain.txt", "hopperAttestationReport.bin" },
	{ "nvidia/nvtrust-2023-hopper-545", "gpuAkCertChain.txt", NULL },
	{ "nvidia/asdk-hopper-535", "hopperCertChain.txt", NULL },
	{ "nvidia/asdk-hopper-570", "hopperCertChainExpired.txt", "hopperAttestationReportExpired.bin" },
	{ "nvidia/asdk-switch-ls10", "switchCertChain.txt", NULL },
};

#define N_CHAINS (sizeof(chains) / sizeof(chains[0]))

#define SKIP_WITHOUT(p)                                                                              \
	do {                                                                                         \
		if ((p) == NULL) {                                                                   \
			print_message("# skipped: ../shared (vectors/nvidia, data/nvidia) is not present\n"); \
			skip();                                                                      \
		}                                                                                    \
	} while (0)

/* Reads ../shared/NAME, or NULL when absent. */
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

/* The device chain of a vector (5 certificates), or NULL when ../shared is absent. */
static STACK_OF(X509) *
real_chain(const struct chain_vec *v)
{
	size_t len;
	uint8_t *pem = tu_vec_in(v->dir, v->chain, &len);
	STACK_OF(X509) *chain = NULL;
	struct ag_err err;

	if (pem == NULL)
		return NULL;
	if (ag_nv_device_chain_load(pem, len, &chain, &err) != AG_OK)
		fail_msg("%s/%s: %s", v->dir, v->chain, err.msg);
	free(pem);
	return chain;
}

static void
free_chain(STACK_OF(X509) *s)
{
	sk_X509_pop_free(s, X509_free);
}

/* Verifies chain and asserts AG_EINVALID with a message containing every one of why (NULL-ended). */
static void
verify_fails(STACK_OF(X509) *chain, enum ag_nv_root kind, STACK_OF(X509) *test_roots, time_t at, ...)
{
	struct ag_nv_chain_info info;
	struct ag_err err;
	enum ag_code rc;
	const char *why;
	va_list ap;

	ag_err_clear(&err);
	rc = ag_nv_chain_verify(chain, kind, test_roots, at, GPU_WHAT, &info, &err);
	if (rc != AG_EINVALID)
		fail_msg("rc %d: \"%s\"", rc, err.msg);
	va_start(ap, at);
	while ((why = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, why) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	va_end(ap);
	assert_non_null(strstr(err.msg, GPU_WHAT));
}

/* --- certificates built here --- */

static void
add_ext_conf(X509 *c, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : c, c, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(c, e, -1), 1);
	X509_EXTENSION_free(e);
}

static void
add_ext_der(X509 *c, const char *oid, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	assert_non_null(o);
	assert_int_equal(ASN1_OCTET_STRING_set(os, der, (int)len), 1);
	e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(c, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(o);
}

/* What a certificate built here carries besides its name and key. */
struct spec {
	const char *cn;
	time_t nb, na;
	int ca;
	const X509_NAME *subject; /* instead of O and cn, or NULL */
	const char *ext_oid;      /* an FWID extension, or NULL */
	const uint8_t *ext_der;
	size_t ext_len;
};

/* A certificate for pub, issued by issuer (NULL: self-signed) and signed with signer. */
static X509 *
mk_cert(const struct spec *s, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *signer)
{
	X509 *c = X509_new();
	static uint64_t serial = 1000;

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(c), serial++);
	if (s->subject != NULL) {
		X509_set_subject_name(c, s->subject);
	} else {
		X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "O", MBSTRING_ASC, (const unsigned char *)"NVIDIA test",
		    -1, -1, 0);
		X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)s->cn, -1, -1,
		    0);
	}
	X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : X509_get_subject_name(c));
	ASN1_TIME_set(X509_getm_notBefore(c), s->nb);
	ASN1_TIME_set(X509_getm_notAfter(c), s->na);
	X509_set_pubkey(c, pub);
	add_ext_conf(c, issuer, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext_conf(c, issuer, NID_key_usage, s->ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (s->ext_oid != NULL)
		add_ext_der(c, s->ext_oid, s->ext_der, s->ext_len);
	assert_true(X509_sign(c, signer, EVP_sha384()) > 0);
	return c;
}

/* The synthetic chain's keys and CA certificates (root last), made once. */
static EVP_PKEY *keys[5];
static X509 *cas[5];   /* [1] BROM, [2] Provisioner ICA, [3] Identity, [4] root; [0] unused */

static const char *const cns[5] = { "TEST GH100 A01 GSP FMC LF", "TEST GH100 A01 GSP BROM", "TEST GH100 Provisioner ICA 1",
	"TEST GH100 Identity", "TEST Device Identity CA" };

static int
setup(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++)
		if ((keys[i] = EVP_EC_gen("P-384")) == NULL)
			return -1;
	for (int i = 4; i >= 1; i--) {
		struct spec s = { cns[i], T2020, T2100, 1, NULL, NULL, NULL, 0 };

		cas[i] = mk_cert(&s, keys[i], i == 4 ? NULL : cas[i + 1], keys[i == 4 ? 4 : i + 1]);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		X509_free(cas[i]);
		EVP_PKEY_free(keys[i]);
	}
	return 0;
}

/* A leaf of the synthetic chain per s (its cn is set here). */
static X509 *
mk_leaf(struct spec s)
{
	s.cn = cns[0];
	return mk_cert(&s, keys[0], cas[1], keys[1]);
}

/* leaf (taken) followed by the synthetic CA certificates. */
static STACK_OF(X509) *
test_chain(X509 *leaf)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	assert_non_null(s);
	sk_X509_push(s, leaf);
	for (int i = 1; i < 5; i++) {
		X509_up_ref(cas[i]);
		sk_X509_push(s, cas[i]);
	}
	return s;
}

/* A stack of the one certificate c (a new reference). */
static STACK_OF(X509) *
one(X509 *c)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	X509_up_ref(c);
	sk_X509_push(s, c);
	return s;
}

/* --- the real chains --- */

static void
test_pinned_roots(void **state)
{
	const char *files[] = { "data/nvidia/verifier_device_root.pem", "data/nvidia/verifier_RIM_root.pem" };
	const char *pins[] = { AG_NV_DEVICE_ROOT_SHA256, AG_NV_RIM_ROOT_SHA256 };
	char fp[AG_SHA256_HEX_LEN + 1];

	(void)state;
	for (int i = 0; i < 2; i++) {
		size_t len;
		uint8_t *pem = shared_file(files[i], &len);
		STACK_OF(X509) *s;
		struct ag_err err;

		SKIP_WITHOUT(pem);
		s = sk_X509_new_null();
		assert_int_equal(ag_certs_load(pem, len, s, &err), AG_OK);
		assert_int_equal(sk_X509_num(s), 1);
		ag_cert_sha256_hex(sk_X509_value(s, 0), fp);
		assert_string_equal(fp, pins[i]);
		free_chain(s);
		free(pem);
	}
}

static void
test_chains_verify(void **state)
{
	size_t len;
	uint8_t *root_pem = shared_file("data/nvidia/verifier_device_root.pem", &len);
	STACK_OF(X509) *root;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(root_pem);
	root = sk_X509_new_null();
	assert_int_equal(ag_certs_load(root_pem, len, root, &err), AG_OK);
	for (size_t i = 0; i < N_CHAINS; i++) {
		STACK_OF(X509) *c = real_chain(&chains[i]);
		struct ag_nv_chain_info info;

		assert_non_null(c);
		assert_int_equal(sk_X509_num(c), AG_NV_DEVICE_CHAIN_LEN);
		assert_int_equal(X509_cmp(sk_X509_value(c, 4), sk_X509_value(root, 0)), 0);
		if (ag_nv_chain_verify(c, AG_NV_ROOT_DEVICE, NULL, time(NULL), GPU_WHAT, &info, &err) != AG_OK)
			fail_msg("%s: %s", chains[i].dir, err.msg);
		assert_int_equal(info.test_root, 0);
		assert_int_equal(info.not_after, (time_t)T9999);
		/* The real root as a test root changes nothing: it is the pinned one. */
		assert_int_equal(ag_nv_chain_verify(c, AG_NV_ROOT_DEVICE, root, time(NULL), GPU_WHAT, &info, &err), AG_OK);
		assert_int_equal(info.test_root, 0);
		free_chain(c);
	}
	free_chain(root);
	free(root_pem);
}

static void
test_chain_wrong_kind(void **state)
{
	STACK_OF(X509) *c = real_chain(&chains[0]);

	(void)state;
	SKIP_WITHOUT(c);
	verify_fails(c, AG_NV_ROOT_RIM, NULL, time(NULL), "ends at \"NVIDIA Device Identity CA\"",
	    "not the pinned NVIDIA CoRIM signing Root CA", NULL);
	free_chain(c);
}

/* The PEM of a chain file without its last certificate, or with it twice (the file ends without a newline). */
static char *
pem_variant(const char *pem, int extra)
{
	const char *last = strstr(pem, "-----BEGIN CERTIFICATE-----"), *p;
	size_t n = strlen(pem);
	char *out = malloc(2 * n + 1);

	assert_non_null(out);
	while ((p = strstr(last + 1, "-----BEGIN CERTIFICATE-----")) != NULL)
		last = p;
	if (extra)
		snprintf(out, 2 * n + 1, "%s\n%s", pem, last);
	else
		snprintf(out, 2 * n + 1, "%.*s", (int)(last - pem), pem);
	return out;
}

static void
load_fails(const char *pem, size_t len, const char *why)
{
	STACK_OF(X509) *c = (STACK_OF(X509) *)&c;
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	rc = ag_nv_device_chain_load((const uint8_t *)pem, len, &c, &err);
	if (rc != AG_EINVALID || strstr(err.msg, why) == NULL)
		fail_msg("rc %d, \"%s\" lacks \"%s\"", rc, err.msg, why);
	assert_null(c);
}

static void
test_chain_length(void **state)
{
	size_t len;
	char *pem = (char *)tu_vec_in(chains[0].dir, chains[0].chain, &len), *v;

	(void)state;
	SKIP_WITHOUT(pem);
	v = pem_variant(pem, 0);
	load_fails(v, strlen(v), "the device certificate chain has 4 certificates, not the 5");
	free(v);
	v = pem_variant(pem, 1);
	load_fails(v, strlen(v), "has 6 certificates, not the 5");
	free(v);
	load_fails("not a certificate", 17, "");
	load_fails("", 0, "");
	free(pem);
}

static void
test_chain_too_short_to_verify(void **state)
{
	STACK_OF(X509) *c = real_chain(&chains[0]), *empty;

	(void)state;
	SKIP_WITHOUT(c);
	empty = sk_X509_new_null();
	/* Without its root the chain ends at an intermediate, which is not pinned. */
	X509_free(sk_X509_pop(c));
	verify_fails(c, AG_NV_ROOT_DEVICE, NULL, time(NULL), "ends at \"NVIDIA GH100 Identity\"",
	    "not the pinned NVIDIA Device Identity CA", NULL);
	while (sk_X509_num(c) > 1)
		X509_free(sk_X509_pop(c));
	verify_fails(c, AG_NV_ROOT_DEVICE, NULL, time(NULL), "1 certificate(s), no chain to a root", NULL);
	verify_fails(empty, AG_NV_ROOT_DEVICE, NULL, time(NULL), "0 certificate(s), no chain to a root", NULL);
	/* The pinned root alone is no chain either. */
	free_chain(c);
	c = real_chain(&chains[0]);
	while (sk_X509_num(c) > 1)
		X509_free(sk_X509_shift(c));
	verify_fails(c, AG_NV_ROOT_DEVICE, NULL, time(NULL), "no chain to a root", NULL);
	free_chain(c);
	sk_X509_free(empty);
}

static void
test_chain_not_one_path(void **state)
{
	STACK_OF(X509) *c = real_chain(&chains[0]), *sw;
	struct ag_nv_chain_info info;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(c);
	assert_int_equal(ag_nv_chain_verify(c, AG_NV_ROOT_DEVICE, NULL, time(NULL), GPU_WHAT, &info, &err), AG_OK);
	/* [leaf, Identity, BROM, ICA, root]: every certificate of the path, out of order. */
	assert_int_equal(sk_X509_insert(c, sk_X509_delete(c, 3), 1), 5);
	verify_fails(c, AG_NV_ROOT_DEVICE, NULL, time(NULL), "its certificates are not one path from the leaf to the root",
	    NULL);
	free_chain(c);
	/* [550 leaf, switch BROM, GH100 BROM, ICA, Identity, root]: a certificate off the path. */
	c = real_chain(&chains[0]);
	sw = real_chain(&chains[4]);
	X509_up_ref(sk_X509_value(sw, 1));
	assert_int_equal(sk_X509_insert(c, sk_X509_value(sw, 1), 1), 6);
	verify_fails(c, AG_NV_ROOT_DEVICE, NULL, time(NULL), "not one path", NULL);
	free_chain(sw);
	free_chain(c);
}

static void
test_chain_fake_root(void **state)
{
	STACK_OF(X509) *c = real_chain(&chains[0]), *roots;
	struct spec s = { NULL, T2020, T2100, 1, NULL, NULL, NULL, 0 };
	X509 *fake;

	(void)state;
	SKIP_WITHOUT(c);
	/* A self-made P-384 root in the place of NVIDIA's, with its subject name. */
	s.subject = X509_get_subject_name(sk_X509_value(c, 4));
	fake = mk_cert(&s, keys[4], NULL, keys[4]);
	X509_free(sk_X509_pop(c));
	sk_X509_push(c, fake);
	verify_fails(c, AG_NV_ROOT_DEVICE, NULL, time(NULL), "not the pinned NVIDIA Device Identity CA", NULL);
	/* Given as a test root it is the anchor, but NVIDIA's intermediates do not chain to it. */
	roots = one(fake);
	verify_fails(c, AG_NV_ROOT_DEVICE, roots, time(NULL), "does not verify", NULL);
	free_chain(roots);
	free_chain(c);
}

/* --- the chain built here --- */

static void
test_test_chain(void **state)
{
	struct spec s = { NULL, T2024, T2030, 0, NULL, NULL, NULL, 0 };
	STACK_OF(X509) *c = test_chain(mk_leaf(s)), *roots = one(cas[4]), *other = one(cas[3]);
	struct ag_nv_chain_info info;
	struct ag_err err;

	(void)state;
	verify_fails(c, AG_NV_ROOT_DEVICE, NULL, T2025, "ends at \"TEST Device Identity CA\"", "not the pinned", NULL);
	verify_fails(c, AG_NV_ROOT_DEVICE, other, T2025, "not the pinned", NULL);
	if (ag_nv_chain_verify(c, AG_NV_ROOT_DEVICE, roots, T2025, GPU_WHAT, &info, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(info.test_root, 1);
	assert_int_equal(info.not_after, (time_t)T2030);   /* the leaf's, the earliest */
	assert_int_equal(ag_nv_chain_verify(c, AG_NV_ROOT_RIM, roots, T2025, GPU_WHAT, &info, &err), AG_OK);
	assert_int_equal(info.test_root, 1);
	/* A leaf signed by a key its issuer does not have. */
	free_chain(c);
	s.cn = cns[0];
	c = test_chain(mk_cert(&s, keys[0], cas[1], keys[2]));
	verify_fails(c, AG_NV_ROOT_DEVICE, roots, T2025, "does not verify", NULL);
	free_chain(c);
	free_chain(roots);
	free_chain(other);
}

static void
test_not_yet_valid(void **state)
{
	struct spec s = { NULL, T2024, T2030, 0, NULL, NULL, NULL, 0 };
	STACK_OF(X509) *c = test_chain(mk_leaf(s)), *roots = one(cas[4]), *real;

	(void)state;
	verify_fails(c, AG_NV_ROOT_DEVICE, roots, T2024 - 1, "not yet valid", "--at", NULL);
	verify_fails(c, AG_NV_ROOT_DEVICE, roots, T2019, "not yet valid", "--at", NULL);
	free_chain(c);
	free_chain(roots);
	/* The real chain before its certificates were issued (2020-10-17). */
	real = real_chain(&chains[0]);
	SKIP_WITHOUT(real);
	verify_fails(real, AG_NV_ROOT_DEVICE, NULL, T2019, "not yet valid", "--at", NULL);
	free_chain(real);
}

static void
test_expired(void **state)
{
	struct spec s = { NULL, T2024, T2030, 0, NULL, NULL, NULL, 0 };
	STACK_OF(X509) *c = test_chain(mk_leaf(s)), *roots = one(cas[4]);
	struct ag_nv_chain_info info;
	struct ag_err err;

	(void)state;
	verify_fails(c, AG_NV_ROOT_DEVICE, roots, T2030 + 1, "expired", "--at", NULL);
	/* A second before the leaf's notAfter it still verifies. */
	assert_int_equal(ag_nv_chain_verify(c, AG_NV_ROOT_DEVICE, roots, T2030 - 1, GPU_WHAT, &info, &err), AG_OK);
	/* Everything has expired in 2101. */
	verify_fails(c, AG_NV_ROOT_DEVICE, roots, T2100 + 86400 * 366, "expired", "--at", NULL);
	free_chain(c);
	free_chain(roots);
}

/* --- hwmodel and ueid --- */

/* The NRAS claims for the 550 evidence, "GPU-0" of claims/hopperClaimsv3_decoded.json. */
static json_t *
nras_claims(void)
{
	json_error_t jerr;
	char path[512];
	json_t *all, *gpu;

	snprintf(path, sizeof(path), "%s/vectors/nvidia/claims/hopperClaimsv3_decoded.json", tu_shared());
	all = json_load_file(path, 0, &jerr);
	assert_non_null(all);
	gpu = json_incref(json_object_get(all, "GPU-0"));
	assert_non_null(gpu);
	json_decref(all);
	return gpu;
}

static void
test_hwmodel_ueid(void **state)
{
	STACK_OF(X509) *c = real_chain(&chains[0]);
	char buf[64], *ueid;
	json_t *claims;

	(void)state;
	SKIP_WITHOUT(c);
	assert_string_equal(ag_nv_hwmodel(c, buf, sizeof(buf)), "GH100 A01 GSP BROM");
	assert_int_equal(ag_nv_arch_from_hwmodel(buf), AG_NV_HOPPER);
	ueid = ag_nv_ueid(c);
	assert_string_equal(ueid, "478176379286082186618948445787393647364802107249");
	claims = nras_claims();
	assert_string_equal(ueid, json_string_value(json_object_get(claims, "ueid")));
	assert_string_equal(buf, json_string_value(json_object_get(claims, "hwmodel")));
	json_decref(claims);
	free(ueid);
	free_chain(c);
	c = real_chain(&chains[4]);
	assert_string_equal(ag_nv_hwmodel(c, buf, sizeof(buf)), "LS_10 A01 FSP BROM");
	assert_int_equal(ag_nv_arch_from_hwmodel(buf), AG_NV_LS10);
	free_chain(c);
}

static void
test_hwmodel_ueid_edges(void **state)
{
	struct spec s = { NULL, T2024, T2030, 0, NULL, NULL, NULL, 0 };
	X509 *leaf = mk_leaf(s);
	STACK_OF(X509) *c = one(leaf), *empty = sk_X509_new_null();
	char buf[64], *ueid;

	(void)state;
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(leaf), UINT64_MAX);
	ueid = ag_nv_ueid(c);
	assert_string_equal(ueid, "18446744073709551615");
	free(ueid);
	assert_string_equal(ag_nv_hwmodel(c, buf, sizeof(buf)), "?");
	assert_string_equal(ag_nv_hwmodel(empty, buf, sizeof(buf)), "?");
	assert_null(ag_nv_ueid(empty));
	sk_X509_push(c, cas[1]);
	X509_up_ref(cas[1]);
	assert_string_equal(ag_nv_hwmodel(c, buf, sizeof(buf)), "TEST GH100 A01 GSP BROM");
	free_chain(c);
	sk_X509_free(empty);
	X509_free(leaf);
}

/* --- FWID --- */

static void
test_fwid_matches_report(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_CHAINS; i++) {
		STACK_OF(X509) *c = real_chain(&chains[i]);
		uint8_t fwid[AG_NV_FWID_LEN], *rep;
		static struct ag_spdm_report r;
		const struct ag_spdm_tlv *t;
		struct ag_err err;
		size_t len;

		SKIP_WITHOUT(c);
		/* Every real leaf carries the extension, also those whose reports have no FWID. */
		if (ag_nv_cert_fwid(sk_X509_value(c, 0), AG_NV_HOPPER, fwid, &err) != AG_OK)
			fail_msg("%s: %s", chains[i].dir, err.msg);
		if (chains[i].report != NULL) {
			rep = tu_vec_in(chains[i].dir, chains[i].report, &len);
			assert_int_equal(ag_spdm_parse(rep, len, &r, &err), AG_OK);
			t = ag_spdm_tlv(&r, AG_NV_OPAQUE_FWID);
			assert_non_null(t);
			assert_int_equal(t->len, AG_NV_FWID_LEN);
			assert_memory_equal(fwid, t->value, AG_NV_FWID_LEN);
			free(rep);
		}
		free_chain(c);
	}
}

static void
test_fwid_differs_between_devices(void **state)
{
	STACK_OF(X509) *a = real_chain(&chains[0]), *b;
	uint8_t fa[AG_NV_FWID_LEN], fb[AG_NV_FWID_LEN];
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(a);
	b = real_chain(&chains[3]);
	assert_int_equal(ag_nv_cert_fwid(sk_X509_value(a, 0), AG_NV_HOPPER, fa, &err), AG_OK);
	assert_int_equal(ag_nv_cert_fwid(sk_X509_value(b, 0), AG_NV_HOPPER, fb, &err), AG_OK);
	assert_memory_not_equal(fa, fb, AG_NV_FWID_LEN);
	free_chain(a);
	free_chain(b);
}

static void
fwid_fails(X509 *c, enum ag_nv_arch a, const char *why1, const char *why2)
{
	uint8_t fwid[AG_NV_FWID_LEN];
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	rc = ag_nv_cert_fwid(c, a, fwid, &err);
	if (rc != AG_EINVALID || strstr(err.msg, why1) == NULL || strstr(err.msg, why2) == NULL)
		fail_msg("rc %d, \"%s\" lacks \"%s\" or \"%s\"", rc, err.msg, why1, why2);
}

static void
test_fwid_missing_extension(void **state)
{
	STACK_OF(X509) *c = real_chain(&chains[1]);

	(void)state;
	SKIP_WITHOUT(c);
	/* The BROM certificate (chain[1]) has no DICE extension. */
	fwid_fails(sk_X509_value(c, 1), AG_NV_HOPPER, "no 2.23.133.5.4.1 extension", "FWID");
	/* A Hopper leaf has no Blackwell TcbInfo extension. */
	fwid_fails(sk_X509_value(c, 0), AG_NV_BLACKWELL, "no 2.23.133.5.4.1.1 extension", "FWID");
	free_chain(c);
}

/* --- DER built here for the extension forms --- */

/* Writes tag, a DER length and n content bytes at out (content may be out itself); returns the bytes written. */
static size_t
der(uint8_t *out, uint8_t tag, const uint8_t *content, size_t n)
{
	uint8_t hdr[4];
	size_t h = 0;

	hdr[h++] = tag;
	if (n < 0x80) {
		hdr[h++] = (uint8_t)n;
	} else if (n < 0x100) {
		hdr[h++] = 0x81;
		hdr[h++] = (uint8_t)n;
	} else {
		hdr[h++] = 0x82;
		hdr[h++] = (uint8_t)(n >> 8);
		hdr[h++] = (uint8_t)n;
	}
	if (n > 0)
		memmove(out + h, content, n);
	memcpy(out, hdr, h);
	return h + n;
}

static const uint8_t oid_sha384[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 };
static const uint8_t oid_sha256[] = { 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };

/* FWID ::= SEQUENCE { hashAlg OID, digest OCTET STRING } with digest n bytes of fill. */
static size_t
fwid_seq(uint8_t *out, const uint8_t *oid, size_t oid_len, uint8_t fill, size_t n)
{
	uint8_t body[128], digest[64];
	size_t b;

	memset(digest, fill, n);
	memcpy(body, oid, oid_len);
	b = oid_len + der(body + oid_len, 0x04, digest, n);
	return der(out, 0x30, body, b);
}

/* The Hopper form: SEQUENCE { INTEGER 1, SEQUENCE { OID sha384, OCTET STRING[48] of fill } }. */
static size_t
hopper_ext(uint8_t *out, uint8_t fill)
{
	uint8_t body[128];
	size_t b = der(body, 0x02, (const uint8_t *)"\x01", 1);

	b += fwid_seq(body + b, oid_sha384, sizeof(oid_sha384), fill, AG_NV_FWID_LEN);
	return der(out, 0x30, body, b);
}

static void
test_fwid_hopper_der(void **state)
{
	uint8_t ext[256], out[AG_NV_FWID_LEN], want[AG_NV_FWID_LEN], body[128], inner[128];
	size_t n = hopper_ext(ext, 0x5a), b;

	(void)state;
	memset(want, 0x5a, sizeof(want));
	assert_int_equal(ag_nv_fwid_from_ext(ext, n, AG_NV_HOPPER, out), 0);
	assert_memory_equal(out, want, AG_NV_FWID_LEN);
	/* The simplest form: SEQUENCE { SEQUENCE { OCTET STRING[48] } }. */
	b = der(body, 0x04, want, AG_NV_FWID_LEN);
	b = der(inner, 0x30, body, b);
	b = der(ext, 0x30, inner, b);
	memset(out, 0, sizeof(out));
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_HOPPER, out), 0);
	assert_memory_equal(out, want, AG_NV_FWID_LEN);
	/* The digest directly in the outer SEQUENCE is not the layout NVIDIA's certificates have. */
	b = der(body, 0x04, want, AG_NV_FWID_LEN);
	b = der(ext, 0x30, body, b);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_HOPPER, out), -1);
	/* 04 30 and 48 bytes at the end, but inside a longer OCTET STRING: not the last element. */
	memset(body, 0x11, 10);
	body[10] = 0x04;
	body[11] = 0x30;
	memcpy(body + 12, want, AG_NV_FWID_LEN);
	b = der(inner, 0x04, body, 12 + AG_NV_FWID_LEN);
	b = der(body, 0x30, inner, b);
	b = der(ext, 0x30, body, b);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_HOPPER, out), -1);
	/* Junk after the SEQUENCE. */
	n = hopper_ext(ext, 0x5a);
	ext[n] = 0x00;
	assert_int_equal(ag_nv_fwid_from_ext(ext, n + 1, AG_NV_HOPPER, out), -1);
	/* Cut short: the SEQUENCE claims more than there is. */
	assert_int_equal(ag_nv_fwid_from_ext(ext, n - 1, AG_NV_HOPPER, out), -1);
	/* Not a SEQUENCE (a SET). */
	ext[0] = 0x31;
	assert_int_equal(ag_nv_fwid_from_ext(ext, n, AG_NV_HOPPER, out), -1);
	/* Shorter than an OCTET STRING of 48 and its header. */
	assert_int_equal(ag_nv_fwid_from_ext(ext, AG_NV_FWID_LEN + 1, AG_NV_HOPPER, out), -1);
	assert_int_equal(ag_nv_fwid_from_ext(ext, 0, AG_NV_HOPPER, out), -1);
}

static void
test_fwid_hopper_der_last_element(void **state)
{
	uint8_t ext[256], body[128], out[AG_NV_FWID_LEN], fill[64];
	size_t b;

	(void)state;
	memset(fill, 0x5a, sizeof(fill));
	/* The last element is a 48-byte INTEGER, not an OCTET STRING. */
	b = der(body, 0x02, (const uint8_t *)"\x01", 1);
	b += der(body + b, 0x02, fill, AG_NV_FWID_LEN);
	b = der(ext, 0x30, body, b);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_HOPPER, out), -1);
	/* An OCTET STRING of 47, and one of 49. */
	b = der(body, 0x02, (const uint8_t *)"\x01", 1);
	b += der(body + b, 0x04, fill, AG_NV_FWID_LEN - 1);
	b = der(ext, 0x30, body, b);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_HOPPER, out), -1);
	b = der(body, 0x02, (const uint8_t *)"\x01", 1);
	b += der(body + b, 0x04, fill, AG_NV_FWID_LEN + 1);
	b = der(ext, 0x30, body, b);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_HOPPER, out), -1);
	/* The digest is the last element but something follows it. */
	b = der(body, 0x04, fill, AG_NV_FWID_LEN);
	b += der(body + b, 0x05, (const uint8_t *)"", 0);
	b = der(ext, 0x30, body, b);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_HOPPER, out), -1);
}

/*
 * A DICE TcbInfo: SEQUENCE { [0] vendor, [1] model, [2] version, [6] fwids (n of them: the i-th a
 * SHA-384 of fill+i, or of digest_len bytes), [7] vendorInfo } (fwids left out when n < 0).
 */
static size_t
tcbinfo(uint8_t *out, int n, uint8_t fill, size_t digest_len)
{
	uint8_t body[512], fwids[400];
	size_t b = 0, f = 0;

	b += der(body + b, 0x80, (const uint8_t *)"NVIDIA", 6);
	b += der(body + b, 0x81, (const uint8_t *)"GB100", 5);
	b += der(body + b, 0x82, (const uint8_t *)"97.00.83.00.09", 14);
	for (int i = 0; i < n; i++)
		f += fwid_seq(fwids + f, digest_len == AG_NV_FWID_LEN ? oid_sha384 : oid_sha256, sizeof(oid_sha384),
		    (uint8_t)(fill + i), digest_len);
	if (n >= 0)
		b += der(body + b, 0xa6, fwids, f);
	b += der(body + b, 0x87, (const uint8_t *)"\x00\x01", 2);
	return der(out, 0x30, body, b);
}

static void
test_fwid_blackwell_der(void **state)
{
	uint8_t ext[600], out[AG_NV_FWID_LEN], want[AG_NV_FWID_LEN];
	size_t n;

	(void)state;
	memset(want, 0x11, sizeof(want));
	n = tcbinfo(ext, 1, 0x11, AG_NV_FWID_LEN);
	assert_int_equal(ag_nv_fwid_from_ext(ext, n, AG_NV_BLACKWELL, out), 0);
	assert_memory_equal(out, want, AG_NV_FWID_LEN);
	/* Two fwids: the first. */
	n = tcbinfo(ext, 2, 0x11, AG_NV_FWID_LEN);
	assert_true(n > 0x80);   /* a long-form length */
	memset(out, 0, sizeof(out));
	assert_int_equal(ag_nv_fwid_from_ext(ext, n, AG_NV_BLACKWELL, out), 0);
	assert_memory_equal(out, want, AG_NV_FWID_LEN);
	/* No [6], or an empty one. */
	n = tcbinfo(ext, -1, 0x11, AG_NV_FWID_LEN);
	assert_int_equal(ag_nv_fwid_from_ext(ext, n, AG_NV_BLACKWELL, out), -1);
	n = tcbinfo(ext, 0, 0x11, AG_NV_FWID_LEN);
	assert_int_equal(ag_nv_fwid_from_ext(ext, n, AG_NV_BLACKWELL, out), -1);
	/* A 32-byte (SHA-256) digest. */
	n = tcbinfo(ext, 1, 0x11, 32);
	assert_int_equal(ag_nv_fwid_from_ext(ext, n, AG_NV_BLACKWELL, out), -1);
	/* Junk after the TcbInfo, a TcbInfo cut short, not a SEQUENCE. */
	n = tcbinfo(ext, 1, 0x11, AG_NV_FWID_LEN);
	ext[n] = 0x00;
	assert_int_equal(ag_nv_fwid_from_ext(ext, n + 1, AG_NV_BLACKWELL, out), -1);
	assert_int_equal(ag_nv_fwid_from_ext(ext, n - 1, AG_NV_BLACKWELL, out), -1);
	ext[0] = 0x31;
	assert_int_equal(ag_nv_fwid_from_ext(ext, n, AG_NV_BLACKWELL, out), -1);
	assert_int_equal(ag_nv_fwid_from_ext(ext, 0, AG_NV_BLACKWELL, out), -1);
}

static void
test_fwid_blackwell_der_fwid_form(void **state)
{
	uint8_t ext[600], body[300], fw[200], digest[AG_NV_FWID_LEN], out[AG_NV_FWID_LEN];
	size_t b, f;

	(void)state;
	memset(digest, 0x22, sizeof(digest));
	/* The first fwid without its hash algorithm. */
	f = der(fw, 0x04, digest, sizeof(digest));
	f = der(fw, 0x30, fw, f);
	b = der(body, 0xa6, fw, f);
	b = der(ext, 0x30, body, b);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_BLACKWELL, out), -1);
	/* The first fwid is not a SEQUENCE. */
	f = der(fw, 0x04, digest, sizeof(digest));
	b = der(body, 0xa6, fw, f);
	b = der(ext, 0x30, body, b);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_BLACKWELL, out), -1);
	/* The Hopper form is not a TcbInfo. */
	b = hopper_ext(ext, 0x33);
	assert_int_equal(ag_nv_fwid_from_ext(ext, b, AG_NV_BLACKWELL, out), -1);
}

static void
test_fwid_real_extension_value(void **state)
{
	STACK_OF(X509) *c = real_chain(&chains[0]);
	ASN1_OBJECT *o;
	X509_EXTENSION *e;
	const ASN1_OCTET_STRING *v;
	uint8_t a[AG_NV_FWID_LEN], b[AG_NV_FWID_LEN];
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(c);
	o = OBJ_txt2obj(OID_HOPPER, 1);
	e = X509_get_ext(sk_X509_value(c, 0), X509_get_ext_by_OBJ(sk_X509_value(c, 0), o, -1));
	assert_non_null(e);
	v = X509_EXTENSION_get_data(e);
	assert_int_equal(ASN1_STRING_length(v), 189);
	assert_int_equal(ag_nv_fwid_from_ext(ASN1_STRING_get0_data(v), 189, AG_NV_HOPPER, a), 0);
	assert_int_equal(ag_nv_cert_fwid(sk_X509_value(c, 0), AG_NV_HOPPER, b, &err), AG_OK);
	assert_memory_equal(a, b, AG_NV_FWID_LEN);
	assert_memory_equal(a, ASN1_STRING_get0_data(v) + 189 - AG_NV_FWID_LEN, AG_NV_FWID_LEN);
	/* One byte less or more is not the extension. */
	assert_int_equal(ag_nv_fwid_from_ext(ASN1_STRING_get0_data(v), 188, AG_NV_HOPPER, a), -1);
	ASN1_OBJECT_free(o);
	free_chain(c);
}

static void
test_fwid_blackwell_cert(void **state)
{
	uint8_t ext[600], out[AG_NV_FWID_LEN], want[AG_NV_FWID_LEN];
	size_t n = tcbinfo(ext, 2, 0x44, AG_NV_FWID_LEN);
	struct spec s = { NULL, T2024, T2030, 0, NULL, OID_BLACKWELL, ext, n };
	X509 *leaf = mk_leaf(s);
	struct ag_err err;

	(void)state;
	memset(want, 0x44, sizeof(want));
	if (ag_nv_cert_fwid(leaf, AG_NV_BLACKWELL, out, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_memory_equal(out, want, AG_NV_FWID_LEN);
	/* Its Hopper extension is another OID, which this leaf lacks. */
	fwid_fails(leaf, AG_NV_HOPPER, "no 2.23.133.5.4.1 extension", "FWID");
	X509_free(leaf);
	/* A TcbInfo whose first fwid is a SHA-256. */
	s.ext_len = tcbinfo(ext, 1, 0x44, 32);
	leaf = mk_leaf(s);
	fwid_fails(leaf, AG_NV_BLACKWELL, "2.23.133.5.4.1.1 extension has no FWID", "BLACKWELL");
	X509_free(leaf);
}

static void
test_fwid_hopper_cert(void **state)
{
	uint8_t ext[256], out[AG_NV_FWID_LEN], want[AG_NV_FWID_LEN];
	struct spec s = { NULL, T2024, T2030, 0, NULL, OID_HOPPER, ext, 0 };
	X509 *leaf;
	struct ag_err err;

	(void)state;
	s.ext_len = hopper_ext(ext, 0x66);
	leaf = mk_leaf(s);
	memset(want, 0x66, sizeof(want));
	assert_int_equal(ag_nv_cert_fwid(leaf, AG_NV_HOPPER, out, &err), AG_OK);
	assert_memory_equal(out, want, AG_NV_FWID_LEN);
	assert_int_equal(ag_nv_cert_fwid(leaf, AG_NV_LS10, out, &err), AG_OK);
	fwid_fails(leaf, AG_NV_BLACKWELL, "no 2.23.133.5.4.1.1 extension", "FWID");
	X509_free(leaf);
	/* A malformed Hopper extension (junk after the SEQUENCE). */
	ext[s.ext_len++] = 0;
	leaf = mk_leaf(s);
	fwid_fails(leaf, AG_NV_HOPPER, "2.23.133.5.4.1 extension has no FWID", "HOPPER");
	X509_free(leaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinned_roots),
		cmocka_unit_test(test_chains_verify),
		cmocka_unit_test(test_chain_wrong_kind),
		cmocka_unit_test(test_chain_length),
		cmocka_unit_test(test_chain_too_short_to_verify),
		cmocka_unit_test(test_chain_not_one_path),
		cmocka_unit_test(test_chain_fake_root),
		cmocka_unit_test(test_test_chain),
		cmocka_unit_test(test_not_yet_valid),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_hwmodel_ueid),
		cmocka_unit_test(test_hwmodel_ueid_edges),
		cmocka_unit_test(test_fwid_matches_report),
		cmocka_unit_test(test_fwid_differs_between_devices),
		cmocka_unit_test(test_fwid_missing_extension),
		cmocka_unit_test(test_fwid_hopper_der),
		cmocka_unit_test(test_fwid_hopper_der_last_element),
		cmocka_unit_test(test_fwid_blackwell_der),
		cmocka_unit_test(test_fwid_blackwell_der_fwid_form),
		cmocka_unit_test(test_fwid_real_extension_value),
		cmocka_unit_test(test_fwid_blackwell_cert),
		cmocka_unit_test(test_fwid_hopper_cert),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
