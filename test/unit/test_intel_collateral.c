/*
 * test_intel_collateral.c - lib/format/intel_collateral.c: opening Intel's
 * signed PCS collateral.  The real TCB info and QE identity of
 * ../shared/vectors/tdx/collateral with their TCB Signing chain at pinned
 * times (skipped visibly when absent), and documents signed here by a TCB
 * Signing certificate under a test root, for each rule: the exact signed
 * bytes, the signer's kind, the chain, the member and its id, the window.
 */
#include "testutil.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/certs.h"
#include "base/digest.h"
#include "base/fileio.h"
#include "format/intel_collateral.h"

#define T_TCB_OK 1688169600      /* 2023-07-01: inside the real TCB info's window */
#define T_QE_OK 1687219200       /* 2023-06-20: inside the real QE identity's window */
#define T_SYN 1767225600         /* 2026-01-01: inside the synthetic documents' window */

static uint8_t *
shared_file(const char *name, size_t *len)
{
	return tu_vec_in("tdx/collateral", name, len);
}

static STACK_OF(X509) *
shared_chain(const char *name)
{
	size_t len;
	uint8_t *b = shared_file(name, &len);
	STACK_OF(X509) *s = sk_X509_new_null();
	struct ag_err err;

	assert_non_null(b);
	assert_int_equal(ag_certs_load(b, len, s, &err), AG_OK);
	free(b);
	return s;
}

#define SKIP_WITHOUT(p)                                                               \
	do {                                                                          \
		if ((p) == NULL) {                                                    \
			print_message("# skipped: ../shared/vectors/tdx/collateral is not present\n"); \
			skip();                                                       \
		}                                                                     \
	} while (0)

static enum ag_code
open_doc(const uint8_t *b, size_t len, const char *member, const char *id, STACK_OF(X509) *chain,
    STACK_OF(X509) *roots, time_t at, json_t **info, struct ag_err *err)
{
	json_t *root = NULL, *in = NULL;
	enum ag_code rc;

	ag_err_clear(err);
	rc = ag_intel_collateral_open(b, len, member, id, chain, roots, at, &root, &in, err);
	if (rc == AG_OK) {
		assert_true(json_is_object(root));
		assert_ptr_equal(in, json_object_get(root, member));
	} else {
		assert_null(root);
		assert_null(in);
	}
	if (info != NULL && rc == AG_OK)
		*info = json_incref(in);
	json_decref(root);
	return rc;
}

static void
real_fails(const uint8_t *b, size_t len, const char *member, const char *id, STACK_OF(X509) *chain, time_t at,
    const char *why)
{
	struct ag_err err;

	assert_int_equal(open_doc(b, len, member, id, chain, NULL, at, NULL, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
}

static void
test_real_tcb_info(void **state)
{
	size_t len;
	uint8_t *b = shared_file("tcbinfo-50806f000000.json", &len);
	STACK_OF(X509) *chain, *pck;
	json_t *info = NULL;
	struct ag_err err;
	char *p, saved;

	(void)state;
	SKIP_WITHOUT(b);
	chain = shared_chain("tcb-info-issuer-chain.pem");
	pck = shared_chain("pckcrl-issuer-chain.pem");
	assert_int_equal(open_doc(b, len, "tcbInfo", "TDX", chain, NULL, T_TCB_OK, &info, &err), AG_OK);
	assert_string_equal(json_string_value(json_object_get(info, "fmspc")), "50806f000000");
	assert_int_equal(json_integer_value(json_object_get(info, "version")), 3);
	assert_int_equal(json_array_size(json_object_get(info, "tcbLevels")), 2);
	json_decref(info);
	/* The window: issueDate 2023-06-18T08:42:58Z to nextUpdate 2023-07-18T08:42:58Z, both included. */
	assert_int_equal(open_doc(b, len, "tcbInfo", "TDX", chain, NULL, 1687077778, NULL, &err), AG_OK);
	assert_int_equal(open_doc(b, len, "tcbInfo", "TDX", chain, NULL, 1689669778, NULL, &err), AG_OK);
	real_fails(b, len, "tcbInfo", "TDX", chain, 1687077777, "not valid at the verification time");
	real_fails(b, len, "tcbInfo", "TDX", chain, 1689669779, "(nextUpdate 2023-07-18T08:42:58Z)");
	/* The TCB Signing certificate expired on 2025-05-21. */
	real_fails(b, len, "tcbInfo", "TDX", chain, T_SYN, "TCB Signing chain does not verify to the pinned Intel SGX Root CA: certificate has expired");
	/* Another member, another id, another signer. */
	real_fails(b, len, "qeIdentity", "TDX", chain, T_TCB_OK, "is not {\"qeIdentity\": {...}, \"signature\": ...}");
	real_fails(b, len, "tcbInfo", "SGX", chain, T_TCB_OK, "is not for SGX (id is not \"SGX\")");
	real_fails(b, len, "tcbInfo", "TDX", pck, T_TCB_OK, "is signed by Intel SGX PCK Platform CA, not by Intel's TCB Signing certificate");
	/* One character of the signed member changed, or of the signature. */
	p = memmem(b, len, "2023-02-15", 10);
	assert_non_null(p);
	p[9] = '6';
	real_fails(b, len, "tcbInfo", "TDX", chain, T_TCB_OK, "signature does not verify with the TCB Signing certificate");
	p[9] = '5';
	p = memmem(b, len, "\"signature\":\"", 13);
	assert_non_null(p);
	saved = p[13];
	p[13] = saved == '0' ? '1' : '0';
	real_fails(b, len, "tcbInfo", "TDX", chain, T_TCB_OK, "signature does not verify");
	p[13] = saved;
	assert_int_equal(open_doc(b, len, "tcbInfo", "TDX", chain, NULL, T_TCB_OK, NULL, &err), AG_OK);
	/* Truncated before its closing brace. */
	while (len > 0 && b[len - 1] != '}')
		len--;
	real_fails(b, len - 1, "tcbInfo", "TDX", chain, T_TCB_OK, "is not {\"tcbInfo\"");
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(pck, X509_free);
	free(b);
}

static void
test_real_qe_identity(void **state)
{
	size_t len;
	uint8_t *b = shared_file("qe-identity.json", &len);
	STACK_OF(X509) *chain;
	json_t *info = NULL;
	struct ag_err err;

	(void)state;
	SKIP_WITHOUT(b);
	chain = shared_chain("tcb-info-issuer-chain.pem");
	assert_int_equal(open_doc(b, len, "enclaveIdentity", "TD_QE", chain, NULL, T_QE_OK, &info, &err), AG_OK);
	assert_int_equal(json_integer_value(json_object_get(info, "version")), 2);
	assert_string_equal(json_string_value(json_object_get(info, "mrsigner")),
	    "DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5");
	json_decref(info);
	real_fails(b, len, "enclaveIdentity", "QE", chain, T_QE_OK, "is not for QE");
	real_fails(b, len, "tcbInfo", "TD_QE", chain, T_QE_OK, "is not {\"tcbInfo\"");
	real_fails(b, len, "enclaveIdentity", "TD_QE", chain, 1690848000, "nextUpdate 2023-07-08T07:24:59Z");
	/* The chain alone, without its root: not pinned. */
	X509_free(sk_X509_pop(chain));
	real_fails(b, len, "enclaveIdentity", "TD_QE", chain, T_QE_OK, "TCB Signing chain does not end in the pinned Intel SGX Root CA");
	sk_X509_pop_free(chain, X509_free);
	free(b);
}

/* --- documents signed here --- */

static EVP_PKEY *root_key, *sign_key;
static X509 *root_cert, *sign_cert;

static X509 *
mk_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, const char *bc, const char *ku)
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
	if (bc != NULL) {
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, bc);
		X509_add_ext(c, e, -1);
		X509_EXTENSION_free(e);
	}
	if (ku != NULL) {
		e = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, ku);
		X509_add_ext(c, e, -1);
		X509_EXTENSION_free(e);
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
	root_cert = mk_cert("Test SGX Root CA", root_key, NULL, "critical,CA:TRUE", "keyCertSign,cRLSign");
	sign_cert = mk_cert("Test SGX TCB Signing", sign_key, root_cert, "CA:FALSE", "digitalSignature,nonRepudiation");
	return root_cert != NULL && sign_cert != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	X509_free(root_cert);
	X509_free(sign_cert);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(sign_key);
	return 0;
}

static STACK_OF(X509) *
stack(X509 *a, X509 *b)
{
	STACK_OF(X509) *s = sk_X509_new_null();

	X509_up_ref(a);
	sk_X509_push(s, a);
	if (b != NULL) {
		X509_up_ref(b);
		sk_X509_push(s, b);
	}
	return s;
}

/* Lower-case hex of the raw r||s ECDSA P-256 signature of text by key. */
static void
sign_hex(EVP_PKEY *key, const char *text, char hex[129])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[80], raw[64];
	size_t dl = sizeof(der);
	const uint8_t *p = der;
	ECDSA_SIG *s;

	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dl, (const uint8_t *)text, strlen(text)), 1);
	EVP_MD_CTX_free(ctx);
	s = d2i_ECDSA_SIG(NULL, &p, (long)dl);
	BN_bn2binpad(ECDSA_SIG_get0_r(s), raw, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(s), raw + 32, 32);
	ECDSA_SIG_free(s);
	ag_hex_encode(raw, 64, hex);
}

#define INFO "{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2027-01-01T00:00:00Z\"}"

/* fmt has two %s: the member's text, then the signature's hex (of signed, or of member when signed is NULL). */
static char *
doc(const char *fmt, const char *member, const char *signed_text)
{
	char hex[129], *out = malloc(strlen(fmt) + strlen(member) + 160);

	assert_non_null(out);
	sign_hex(sign_key, signed_text != NULL ? signed_text : member, hex);
	sprintf(out, fmt, member, hex);
	return out;
}

static enum ag_code
open_syn(const char *d, const char *member, const char *id, STACK_OF(X509) *chain, STACK_OF(X509) *roots, time_t at,
    struct ag_err *err)
{
	return open_doc((const uint8_t *)d, strlen(d), member, id, chain, roots, at, NULL, err);
}

static void
syn_fails(const char *d, const char *why)
{
	STACK_OF(X509) *chain = stack(sign_cert, root_cert), *roots = stack(root_cert, NULL);
	struct ag_err err;

	assert_int_equal(open_syn(d, "tcbInfo", "TDX", chain, roots, T_SYN, &err), AG_EINVALID);
	if (strstr(err.msg, why) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", d, err.msg, why);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(roots, X509_free);
}

static void
syn_ok(const char *d)
{
	STACK_OF(X509) *chain = stack(sign_cert, root_cert), *roots = stack(root_cert, NULL);
	struct ag_err err;

	if (open_syn(d, "tcbInfo", "TDX", chain, roots, T_SYN, &err) != AG_OK)
		fail_msg("%s: %s", d, err.msg);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(roots, X509_free);
}

static void
test_synthetic_ok(void **state)
{
	static const char odd[] = "{ \"id\" : \"TDX\", \"s\": \"}{\\\"}\", \"n\": {\"x\": [1, {}]},\n"
				  "  \"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2027-01-01T00:00:00Z\"}";
	char *d;

	(void)state;
	d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, NULL);
	syn_ok(d);
	free(d);
	/* Signature first, spaces around the member: the signed bytes are the member's value exactly. */
	d = doc("{\"signature\":\"%2$s\" ,\n \"tcbInfo\" :\t%1$s }", INFO, NULL);
	syn_ok(d);
	free(d);
	/* Braces and escaped quotes inside strings do not end the member. */
	d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"}", odd, NULL);
	syn_ok(d);
	free(d);
	/* Members of the same name deeper down are not the top-level one. */
	d = doc("{\"other\":{\"tcbInfo\":{}},\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, NULL);
	syn_ok(d);
	free(d);
	/* The same JSON value re-serialised is not what was signed. */
	d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"}", odd,
	    "{\"id\":\"TDX\",\"s\":\"}{\\\"}\",\"n\":{\"x\":[1,{}]},\"issueDate\":\"2025-01-01T00:00:00Z\","
	    "\"nextUpdate\":\"2027-01-01T00:00:00Z\"}");
	syn_fails(d, "signature does not verify with the TCB Signing certificate");
	free(d);
	/* Upper-case hex is hex. */
	d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, NULL);
	for (char *p = strstr(d, "\"signature\":\"") + 13; *p != '"'; p++)
		*p = (char)toupper((unsigned char)*p);
	syn_ok(d);
	free(d);
}

static void
test_synthetic_signature(void **state)
{
	char *d, hex[129];

	(void)state;
	syn_fails("{\"tcbInfo\":" INFO "}", "signature is not 64 bytes of hex");
	syn_fails("{\"tcbInfo\":" INFO ",\"signature\":7}", "signature is not 64 bytes of hex");
	sign_hex(sign_key, INFO, hex);
	hex[127] = '\0';
	d = doc("{\"tcbInfo\":%s,\"signature\":\"%s0\"}", INFO, NULL);
	syn_fails(d, "not 64 bytes of hex");   /* 129 digits */
	free(d);
	d = malloc(512);
	sprintf(d, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, hex);
	syn_fails(d, "not 64 bytes of hex");   /* 127 digits */
	sign_hex(sign_key, INFO, hex);
	hex[5] = 'g';
	sprintf(d, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, hex);
	syn_fails(d, "not 64 bytes of hex");
	/* Signed by the root's key, not the TCB Signing certificate's. */
	sign_hex(root_key, INFO, hex);
	sprintf(d, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, hex);
	syn_fails(d, "signature does not verify with the TCB Signing certificate");
	memset(hex, '0', 128);
	sprintf(d, "{\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, hex);
	syn_fails(d, "signature does not verify");
	free(d);
}

static void
test_synthetic_structure(void **state)
{
	char *d, *big;
	struct ag_err err;
	STACK_OF(X509) *chain = stack(sign_cert, root_cert), *roots = stack(root_cert, NULL);

	(void)state;
	syn_fails("", "is not {\"tcbInfo\": {...}, \"signature\": ...}");
	syn_fails("[]", "is not {\"tcbInfo\"");
	syn_fails("{\"tcbInfo\":[1],\"signature\":\"00\"}", "is not {\"tcbInfo\"");
	syn_fails("{\"tcbInfo\":\"{}\",\"signature\":\"00\"}", "is not {\"tcbInfo\"");
	syn_fails("{\"other\":{\"tcbInfo\":{}},\"signature\":\"00\"}", "is not {\"tcbInfo\"");
	syn_fails("{\"tcbInfo\":{\"id\":\"TDX\"", "is not {\"tcbInfo\"");
	/* Two members of that name: the JSON is refused, so the signed bytes cannot be the other one. */
	d = doc("{\"tcbInfo\":%s,\"tcbInfo\":{\"id\":\"TDX\"},\"signature\":\"%s\"}", INFO, NULL);
	syn_fails(d, "is not {\"tcbInfo\"");
	free(d);
	/* Trailing bytes after the document. */
	d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"} x", INFO, NULL);
	syn_fails(d, "is not {\"tcbInfo\"");
	free(d);
	/* The size bound. */
	big = malloc(AG_INTEL_COLLATERAL_MAX + 1);
	memset(big, ' ', AG_INTEL_COLLATERAL_MAX + 1);
	d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, NULL);
	memcpy(big, d, strlen(d));
	assert_int_equal(open_doc((const uint8_t *)big, AG_INTEL_COLLATERAL_MAX, "tcbInfo", "TDX", chain, roots, T_SYN, NULL,
			     &err),
	    AG_OK);
	assert_int_equal(open_doc((const uint8_t *)big, AG_INTEL_COLLATERAL_MAX + 1, "tcbInfo", "TDX", chain, roots, T_SYN,
			     NULL, &err),
	    AG_EINVALID);
	assert_non_null(strstr(err.msg, "larger than 262144 bytes"));
	free(d);
	free(big);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(roots, X509_free);
}

/* id and the issueDate..nextUpdate window. */
static void
test_synthetic_id_and_window(void **state)
{
	static const struct {
		const char *info, *why;
	} bad[] = {
		{ "{\"version\":3,\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2027-01-01T00:00:00Z\"}", "is not for TDX" },
		{ "{\"id\":3,\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2027-01-01T00:00:00Z\"}", "is not for TDX" },
		{ "{\"id\":\"tdx\",\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2027-01-01T00:00:00Z\"}", "is not for TDX" },
		{ "{\"id\":\"TDX\",\"nextUpdate\":\"2027-01-01T00:00:00Z\"}", "has no valid issueDate/nextUpdate" },
		{ "{\"id\":\"TDX\",\"issueDate\":\"2025-01-01T00:00:00Z\"}", "has no valid issueDate/nextUpdate" },
		{ "{\"id\":\"TDX\",\"issueDate\":\"2025-01-01\",\"nextUpdate\":\"2027-01-01T00:00:00Z\"}", "no valid issueDate" },
		{ "{\"id\":\"TDX\",\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":1798761600}", "no valid issueDate" },
		{ "{\"id\":\"TDX\",\"issueDate\":\"2026-06-01T00:00:00Z\",\"nextUpdate\":\"2027-01-01T00:00:00Z\"}",
		    "is not valid at the verification time (nextUpdate 2027-01-01T00:00:00Z)" },
		{ "{\"id\":\"TDX\",\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2025-12-31T23:59:59Z\"}",
		    "fetch fresh collateral or pin the time with --at" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"}", bad[i].info, NULL);

		syn_fails(d, bad[i].why);
		free(d);
	}
	{
		/* Exactly at nextUpdate is still inside. */
		char *d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"}",
		    "{\"id\":\"TDX\",\"issueDate\":\"2025-01-01T00:00:00Z\",\"nextUpdate\":\"2026-01-01T00:00:00Z\"}", NULL);

		syn_ok(d);
		free(d);
	}
}

/* Who may sign: a chain to a (test) root, ending in a TCB Signing certificate that is not a CA. */
static void
test_synthetic_signer(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *named = mk_cert("Test SGX Platform CA", sign_key, root_cert, "CA:FALSE", "digitalSignature");
	X509 *ca = mk_cert("Test SGX TCB Signing CA", sign_key, root_cert, "critical,CA:TRUE", "keyCertSign,digitalSignature");
	X509 *ku = mk_cert("Test SGX TCB Signing", sign_key, root_cert, "CA:FALSE", "keyEncipherment");
	X509 *noku = mk_cert("Test SGX TCB Signing", sign_key, root_cert, "CA:FALSE", NULL);
	X509 *self = mk_cert("Self TCB Signing", k, NULL, "critical,CA:TRUE", NULL);
	char *d = doc("{\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, NULL);
	STACK_OF(X509) *roots = stack(root_cert, NULL), *c;
	struct ag_err err;

	(void)state;
	c = stack(sign_cert, NULL);
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, roots, T_SYN, &err), AG_OK);
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, NULL, T_SYN, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "TCB Signing chain does not end in the pinned Intel SGX Root CA (its root is Test SGX TCB Signing)"));
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, roots, 1500000000, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "certificate is not yet valid"));
	sk_X509_pop_free(c, X509_free);
	c = stack(root_cert, NULL);
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, roots, T_SYN, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "is signed by Test SGX Root CA, not by Intel's TCB Signing certificate"));
	sk_X509_pop_free(c, X509_free);
	c = stack(named, root_cert);
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, roots, T_SYN, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "is signed by Test SGX Platform CA"));
	sk_X509_pop_free(c, X509_free);
	c = stack(ca, root_cert);
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, roots, T_SYN, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "not by Intel's TCB Signing certificate"));
	sk_X509_pop_free(c, X509_free);
	c = stack(ku, root_cert);
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, roots, T_SYN, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "not by Intel's TCB Signing certificate"));
	sk_X509_pop_free(c, X509_free);
	c = stack(noku, root_cert);   /* no key usage at all: any use */
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, roots, T_SYN, &err), AG_OK);
	sk_X509_pop_free(c, X509_free);
	/* A self-signed "TCB Signing" root given as a test root is a CA, never a signer. */
	c = stack(self, NULL);
	sk_X509_pop_free(roots, X509_free);
	roots = stack(self, NULL);
	assert_int_equal(open_syn(d, "tcbInfo", "TDX", c, roots, T_SYN, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "is signed by Self TCB Signing, not by"));
	sk_X509_pop_free(c, X509_free);
	sk_X509_pop_free(roots, X509_free);
	X509_free(named);
	X509_free(ca);
	X509_free(ku);
	X509_free(noku);
	X509_free(self);
	EVP_PKEY_free(k);
	free(d);
}

/*
 * A top-level string VALUE equal to the member's name, before the member,
 * stops the raw-member scan (it takes the value for the key and finds no
 * '{' after it): valid, correctly signed collateral is refused.  Skipped
 * visibly while lib/format/intel_collateral.c's raw_member() has this.
 */
static void
test_member_name_as_value(void **state)
{
	char *d = doc("{\"kind\":\"tcbInfo\",\"tcbInfo\":%s,\"signature\":\"%s\"}", INFO, NULL);
	STACK_OF(X509) *chain = stack(sign_cert, root_cert), *roots = stack(root_cert, NULL);
	struct ag_err err;
	enum ag_code rc = open_syn(d, "tcbInfo", "TDX", chain, roots, T_SYN, &err);

	(void)state;
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(roots, X509_free);
	free(d);
	if (rc != AG_OK) {
		print_message("# regression: lib/format/intel_collateral.c was: \"%s\"\n", err.msg);
		fail();
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_tcb_info),
		cmocka_unit_test(test_real_qe_identity),
		cmocka_unit_test(test_synthetic_ok),
		cmocka_unit_test(test_synthetic_signature),
		cmocka_unit_test(test_synthetic_structure),
		cmocka_unit_test(test_synthetic_id_and_window),
		cmocka_unit_test(test_synthetic_signer),
		cmocka_unit_test(test_member_name_as_value),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
