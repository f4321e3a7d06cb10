/*
 * test_ocsp.c - lib/format/ocsp.c against a P-384 PKI and OCSP responses
 * built here with OpenSSL (root -> issuer CA -> leaf, a delegated
 * responder, a responder without the OCSP EKU, one delegated by the root,
 * an unrelated responder, an impostor issuer, another root of the same
 * name), so every field is the test's: the request (one SHA-1 CertID, the
 * nonce or none) and what a checked response must be: successful, DER
 * without trailing bytes and not too large, signed by the issuer or its
 * delegate chained to the given root at the verification time, about this
 * certificate (SHA-1 or SHA-384 CertID, among others), current within
 * AG_OCSP_SKEW_S, the nonce echoed; good, revoked (with its reason) and
 * unknown answers; ag_ocsp_status_name.
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "format/ocsp.h"

#define T2019 1546300800   /* 2019-01-01: before every certificate here */
#define T2020 1577836800   /* 2020-01-01: their notBefore */
#define AT 1735689600      /* 2025-01-01: the verification time */
#define T2100 4102444800   /* 2100-01-01: their notAfter */
#define DAY 86400

static const uint8_t NONCE[AG_OCSP_NONCE_LEN] = { 0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0xa5 };
static const uint8_t OTHER_NONCE[AG_OCSP_NONCE_LEN] = { 0x5a, 0x01, 0x02, 0x03 };

/* --- the PKI, made once --- */

enum kind { CA, LEAF, RESPONDER, NO_EKU };
enum { K_ROOT, K_ISSUER, K_LEAF, K_RESP, K_OTHER, N_KEYS };

static struct {
	EVP_PKEY *k[N_KEYS];
	X509 *root, *issuer, *leaf, *sibling, *responder, *no_eku, *root_responder, *other, *other_root, *impostor;
} P;

static void
add_ext(X509 *c, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : c, c, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(c, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A certificate "O=attestgate test, CN=cn" of kind k for pub, issued by issuer (NULL: self-signed), signed with signer. */
static X509 *
mk_cert(const char *cn, enum kind k, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *signer)
{
	static uint64_t serial = 0x1000;
	X509 *c = X509_new();
	X509_NAME *n = X509_get_subject_name(c);

	assert_non_null(c);
	X509_set_version(c, 2);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(c), serial++);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"attestgate test", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : n);
	ASN1_TIME_set(X509_getm_notBefore(c), T2020);
	ASN1_TIME_set(X509_getm_notAfter(c), T2100);
	X509_set_pubkey(c, pub);
	add_ext(c, issuer, NID_basic_constraints, k == CA ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(c, issuer, NID_key_usage, k == CA ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (k == RESPONDER)
		add_ext(c, issuer, NID_ext_key_usage, "OCSPSigning");
	assert_true(X509_sign(c, signer, EVP_sha384()) > 0);
	return c;
}

static int
setup(void **state)
{
	(void)state;
	for (int i = 0; i < N_KEYS; i++)
		if ((P.k[i] = EVP_EC_gen("P-384")) == NULL)
			return -1;
	P.root = mk_cert("TEST OCSP Root", CA, P.k[K_ROOT], NULL, P.k[K_ROOT]);
	P.issuer = mk_cert("TEST OCSP Issuer CA", CA, P.k[K_ISSUER], P.root, P.k[K_ROOT]);
	P.leaf = mk_cert("TEST Leaf", LEAF, P.k[K_LEAF], P.issuer, P.k[K_ISSUER]);
	P.sibling = mk_cert("TEST Sibling", LEAF, P.k[K_LEAF], P.issuer, P.k[K_ISSUER]);
	P.responder = mk_cert("TEST OCSP Responder", RESPONDER, P.k[K_RESP], P.issuer, P.k[K_ISSUER]);
	P.no_eku = mk_cert("TEST Responder without EKU", NO_EKU, P.k[K_RESP], P.issuer, P.k[K_ISSUER]);
	P.root_responder = mk_cert("TEST Root's Responder", RESPONDER, P.k[K_RESP], P.root, P.k[K_ROOT]);
	P.other = mk_cert("TEST Other Responder", RESPONDER, P.k[K_OTHER], NULL, P.k[K_OTHER]);
	/* Same names as the real root and issuer, another key. */
	P.other_root = mk_cert("TEST OCSP Root", CA, P.k[K_OTHER], NULL, P.k[K_OTHER]);
	P.impostor = mk_cert("TEST OCSP Issuer CA", CA, P.k[K_OTHER], NULL, P.k[K_OTHER]);
	return 0;
}

static int
teardown(void **state)
{
	X509 *certs[] = { P.root, P.issuer, P.leaf, P.sibling, P.responder, P.no_eku, P.root_responder, P.other,
		P.other_root, P.impostor };

	(void)state;
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++)
		X509_free(certs[i]);
	for (int i = 0; i < N_KEYS; i++)
		EVP_PKEY_free(P.k[i]);
	return 0;
}

/* --- responses built here --- */

/* Every field of a response this test makes. */
struct rspec {
	X509 *about;               /* the certificate answered for (its issuer: P.issuer) */
	const EVP_MD *id_md;       /* the CertID's hash */
	int status, reason;        /* V_OCSP_CERTSTATUS_*; OCSP_REVOKED_STATUS_* or -1 */
	time_t this_upd, next_upd; /* next_upd 0: none */
	const uint8_t *nonce;      /* echoed, or NULL: no nonce extension */
	OCSP_REQUEST *req;         /* or a request whose nonce is copied (OCSP_copy_nonce), or NULL */
	X509 *signer;
	EVP_PKEY *key;
	unsigned long flags;       /* OCSP_basic_sign's */
	size_t pad;                /* bytes of an extra non-critical extension, or 0 */
	X509 *also;                /* a single response about it before the one about `about`, or NULL */
};

/* A good answer about the leaf, signed by its issuer, current at AT, without a nonce. */
static struct rspec
good(void)
{
	struct rspec r = { P.leaf, EVP_sha1(), V_OCSP_CERTSTATUS_GOOD, -1, AT - 3600, AT + DAY, NULL, NULL, P.issuer,
		P.k[K_ISSUER], 0, 0, NULL };

	return r;
}

static void
add_single(OCSP_BASICRESP *bs, X509 *about, const struct rspec *r)
{
	OCSP_CERTID *id = OCSP_cert_to_id(r->id_md, about, P.issuer);
	ASN1_GENERALIZEDTIME *tu = ASN1_GENERALIZEDTIME_set(NULL, r->this_upd);
	ASN1_GENERALIZEDTIME *nu = r->next_upd != 0 ? ASN1_GENERALIZEDTIME_set(NULL, r->next_upd) : NULL;
	ASN1_GENERALIZEDTIME *rev = ASN1_GENERALIZEDTIME_set(NULL, r->this_upd - DAY);

	assert_non_null(id);
	assert_non_null(OCSP_basic_add1_status(bs, id, r->status, r->reason,
	    r->status == V_OCSP_CERTSTATUS_REVOKED ? rev : NULL, tu, nu));
	OCSP_CERTID_free(id);
	ASN1_GENERALIZEDTIME_free(tu);
	ASN1_GENERALIZEDTIME_free(nu);
	ASN1_GENERALIZEDTIME_free(rev);
}

/* A non-critical private extension of n zero bytes. */
static void
add_pad(OCSP_BASICRESP *bs, size_t n)
{
	ASN1_OBJECT *o = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	uint8_t *b = calloc(1, n);
	X509_EXTENSION *e;

	assert_non_null(b);
	assert_int_equal(ASN1_OCTET_STRING_set(os, b, (int)n), 1);
	e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
	assert_non_null(e);
	assert_int_equal(OCSP_BASICRESP_add_ext(bs, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(o);
	free(b);
}

/* The DER OCSPResponse of r (OPENSSL_free it). */
static uint8_t *
mk_resp(const struct rspec *r, size_t *len)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp;
	uint8_t *der = NULL;
	int n;

	assert_non_null(bs);
	if (r->also != NULL)
		add_single(bs, r->also, r);
	add_single(bs, r->about, r);
	if (r->nonce != NULL)
		assert_int_equal(OCSP_basic_add1_nonce(bs, (unsigned char *)r->nonce, AG_OCSP_NONCE_LEN), 1);
	if (r->req != NULL)
		assert_int_equal(OCSP_copy_nonce(bs, r->req), 1);
	if (r->pad > 0)
		add_pad(bs, r->pad);
	assert_int_equal(OCSP_basic_sign(bs, r->signer, r->key, EVP_sha384(), NULL, r->flags), 1);
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	assert_non_null(resp);
	n = i2d_OCSP_RESPONSE(resp, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return der;
}

/* ag_ocsp_check of the bytes for the leaf with root at time at. */
static enum ag_code
check_der(const uint8_t *der, size_t len, X509 *root, time_t at, const uint8_t *nonce, struct ag_ocsp_result *res,
    struct ag_err *err)
{
	ag_err_clear(err);
	memset(res, 0x7f, sizeof(*res));
	return ag_ocsp_check(der, len, P.leaf, P.issuer, NULL, root, at, nonce, res, err);
}

static enum ag_code
check_spec(const struct rspec *r, X509 *root, time_t at, const uint8_t *nonce, struct ag_ocsp_result *res,
    struct ag_err *err)
{
	size_t len;
	uint8_t *der = mk_resp(r, &len);
	enum ag_code rc = check_der(der, len, root, at, nonce, res, err);

	OPENSSL_free(der);
	return rc;
}

/* r checks out at AT with P.root. */
static void
passes(const struct rspec *r, const uint8_t *nonce, struct ag_ocsp_result *res)
{
	struct ag_err err;

	if (check_spec(r, P.root, AT, nonce, res, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(res->nonce_checked, nonce != NULL);
}

static void
assert_refused(enum ag_code rc, const struct ag_err *err, const struct ag_ocsp_result *res, const char *why)
{
	if (rc != AG_EINVALID || strncmp(err->msg, "OCSP response: ", 15) != 0 || strstr(err->msg, why) == NULL)
		fail_msg("rc %d: \"%s\" lacks \"%s\"", rc, err->msg, why);
	assert_int_equal(res->nonce_checked, 0);
}

/* r is refused with root at time at, the message containing why. */
static void
fails(const struct rspec *r, X509 *root, time_t at, const uint8_t *nonce, const char *why)
{
	struct ag_ocsp_result res;
	struct ag_err err;
	enum ag_code rc = check_spec(r, root, at, nonce, &res, &err);

	assert_refused(rc, &err, &res, why);
}

static void
der_fails(const uint8_t *der, size_t len, const char *why)
{
	struct ag_ocsp_result res;
	struct ag_err err;
	enum ag_code rc = check_der(der, len, P.root, AT, NULL, &res, &err);

	assert_refused(rc, &err, &res, why);
}

/* --- the request --- */

/* req asks about cert alone, with a SHA-1 CertID, unsigned. */
static void
request_is_for(OCSP_REQUEST *req, X509 *cert)
{
	OCSP_CERTID *id, *want = OCSP_cert_to_id(EVP_sha1(), cert, P.issuer);
	ASN1_OBJECT *md = NULL;
	ASN1_INTEGER *serial = NULL;

	assert_int_equal(OCSP_request_onereq_count(req), 1);
	id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
	assert_int_equal(OCSP_id_get0_info(NULL, &md, NULL, &serial, id), 1);
	assert_int_equal(OBJ_obj2nid(md), NID_sha1);
	assert_int_equal(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(cert)), 0);
	assert_int_equal(OCSP_id_cmp(id, want), 0);
	assert_int_equal(OCSP_request_is_signed(req), 0);
	OCSP_CERTID_free(want);
}

/* ag_ocsp_request for cert, parsed back (all of it). */
static OCSP_REQUEST *
request(X509 *cert, const uint8_t *nonce)
{
	uint8_t *der = (uint8_t *)&der;
	size_t len = 1;
	const unsigned char *p;
	OCSP_REQUEST *req;
	struct ag_err err;

	ag_err_clear(&err);
	assert_int_equal(ag_ocsp_request(cert, P.issuer, nonce, &der, &len, &err), AG_OK);
	assert_true(len > 0);
	p = der;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	assert_non_null(req);
	assert_ptr_equal(p, der + len);
	OPENSSL_free(der);
	request_is_for(req, cert);
	return req;
}

static void
test_request_with_nonce(void **state)
{
	OCSP_REQUEST *req = request(P.leaf, NONCE);
	int i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	ASN1_OCTET_STRING *v;

	(void)state;
	assert_true(i >= 0);
	assert_int_equal(OCSP_REQUEST_get_ext_count(req), 1);
	v = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, i));
	/* The value is an OCTET STRING holding the 32 bytes. */
	assert_int_equal(ASN1_STRING_length(v), 2 + AG_OCSP_NONCE_LEN);
	assert_memory_equal(ASN1_STRING_get0_data(v), "\x04\x20", 2);
	assert_memory_equal(ASN1_STRING_get0_data(v) + 2, NONCE, AG_OCSP_NONCE_LEN);
	OCSP_REQUEST_free(req);
	/* Another certificate, another CertID (request_is_for compares it). */
	req = request(P.sibling, NONCE);
	OCSP_REQUEST_free(req);
}

static void
test_request_without_nonce(void **state)
{
	OCSP_REQUEST *req = request(P.leaf, NULL);

	(void)state;
	assert_int_equal(OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1), -1);
	assert_int_equal(OCSP_REQUEST_get_ext_count(req), 0);
	OCSP_REQUEST_free(req);
}

/* A responder copying the request's nonce extension as OpenSSL's does is what the check expects. */
static void
test_request_nonce_round_trip(void **state)
{
	OCSP_REQUEST *req = request(P.leaf, NONCE);
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	r.req = req;
	passes(&r, NONCE, &res);
	fails(&r, P.root, AT, OTHER_NONCE, "nonce");
	OCSP_REQUEST_free(req);
}

/* --- signers --- */

static void
test_good_by_issuer(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	r.nonce = NONCE;
	passes(&r, NONCE, &res);
	assert_int_equal(res.status, AG_OCSP_GOOD);
	assert_string_equal(res.reason, "");
	assert_int_equal(res.next_update, AT + DAY);
	/* Offline (no nonce expected), the same response is fine: only the window shows freshness. */
	passes(&r, NULL, &res);
	assert_int_equal(res.status, AG_OCSP_GOOD);
	/* Responder id by key hash instead of name. */
	r.flags = OCSP_RESPID_KEY;
	passes(&r, NONCE, &res);
}

static void
test_good_by_delegated_responder(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;
	struct ag_err err;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	uint8_t *der;
	size_t len;

	(void)state;
	r.signer = P.responder;
	r.key = P.k[K_RESP];
	r.nonce = NONCE;
	passes(&r, NONCE, &res);
	assert_int_equal(res.status, AG_OCSP_GOOD);
	assert_int_equal(res.nonce_checked, 1);
	/* The responder certificate may come from the caller's untrusted certificates instead of the response. */
	r.flags = OCSP_NOCERTS;
	fails(&r, P.root, AT, NONCE, "signer");
	sk_X509_push(untrusted, P.responder);
	der = mk_resp(&r, &len);
	ag_err_clear(&err);
	if (ag_ocsp_check(der, len, P.leaf, P.issuer, untrusted, P.root, AT, NONCE, &res, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(res.nonce_checked, 1);
	OPENSSL_free(der);
	sk_X509_free(untrusted);
}

static void
test_signer_refused(void **state)
{
	struct rspec r = good();

	(void)state;
	/* Issued by the issuer, but not for OCSP signing. */
	r.signer = P.no_eku;
	r.key = P.k[K_RESP];
	fails(&r, P.root, AT, NULL, "signer");
	/* For OCSP signing, but delegated by the root, not by the certificate's issuer. */
	r.signer = P.root_responder;
	fails(&r, P.root, AT, NULL, "signer");
	/* The root itself is not the issuer either. */
	r.signer = P.root;
	r.key = P.k[K_ROOT];
	fails(&r, P.root, AT, NULL, "signer");
	/* An unrelated self-signed responder. */
	r.signer = P.other;
	r.key = P.k[K_OTHER];
	fails(&r, P.root, AT, NULL, "signer");
	/* The issuer's name with another key, its certificate left out: the signature does not verify. */
	r.signer = P.impostor;
	r.flags = OCSP_NOCERTS;
	fails(&r, P.root, AT, NULL, "signer");
	r.flags = 0;
	fails(&r, P.root, AT, NULL, "signer");
}

static void
test_other_root(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	passes(&r, NULL, &res);
	/* A root of the same name with another key, and an unrelated one. */
	fails(&r, P.other_root, AT, NULL, "signer");
	fails(&r, P.other, AT, NULL, "signer");
	r.signer = P.responder;
	r.key = P.k[K_RESP];
	fails(&r, P.other_root, AT, NULL, "signer");
}

/* At a time outside the certificates' validity the signer does not verify, however current the answer. */
static void
test_certs_not_valid_at(void **state)
{
	struct rspec r = good();

	(void)state;
	r.this_upd = T2019 - 3600;
	r.next_upd = T2019 + DAY;
	fails(&r, P.root, T2019, NULL, "signer");
	r.this_upd = T2100 + 3600;
	r.next_upd = T2100 + 2 * DAY;
	fails(&r, P.root, T2100 + DAY, NULL, "signer");
}

/* --- what the response says --- */

static void
test_revoked(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	r.status = V_OCSP_CERTSTATUS_REVOKED;
	r.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
	passes(&r, NULL, &res);
	assert_int_equal(res.status, AG_OCSP_REVOKED);
	assert_string_equal(res.reason, "keyCompromise");
	r.reason = OCSP_REVOKED_STATUS_CACOMPROMISE;
	passes(&r, NULL, &res);
	assert_string_equal(res.reason, "cACompromise");
	/* No reason given. */
	r.reason = -1;
	passes(&r, NULL, &res);
	assert_int_equal(res.status, AG_OCSP_REVOKED);
	assert_string_equal(res.reason, "unspecified");
}

static void
test_unknown(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	r.status = V_OCSP_CERTSTATUS_UNKNOWN;
	r.nonce = NONCE;
	passes(&r, NONCE, &res);
	assert_int_equal(res.status, AG_OCSP_UNKNOWN);
	assert_string_equal(res.reason, "");
}

static void
test_nonce(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	/* Expected, absent. */
	fails(&r, P.root, AT, NONCE, "does not echo the request's nonce");
	/* Another nonce. */
	r.nonce = OTHER_NONCE;
	fails(&r, P.root, AT, NONCE, "nonce");
	r.nonce = NONCE;
	passes(&r, NONCE, &res);
}

static void
test_another_certificate(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	/* The same issuer, another serial: the caller looks for this exact phrase. */
	r.about = P.sibling;
	fails(&r, P.root, AT, NULL, "it is not about this certificate");
	/* Signed by nobody we know, still "not about" first (a caller skips it, it is not trusted for anything). */
	r.signer = P.other;
	r.key = P.k[K_OTHER];
	fails(&r, P.root, AT, NULL, "it is not about this certificate");
	/* About several certificates, this one second. */
	r = good();
	r.also = P.sibling;
	r.status = V_OCSP_CERTSTATUS_REVOKED;
	r.reason = OCSP_REVOKED_STATUS_SUPERSEDED;
	passes(&r, NULL, &res);
	assert_int_equal(res.status, AG_OCSP_REVOKED);
	assert_string_equal(res.reason, "superseded");
}

static void
test_sha384_certid(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	r.id_md = EVP_sha384();
	r.nonce = NONCE;
	passes(&r, NONCE, &res);
	assert_int_equal(res.status, AG_OCSP_GOOD);
	r.signer = P.responder;
	r.key = P.k[K_RESP];
	passes(&r, NONCE, &res);
	/* SHA-256 is neither. */
	r.id_md = EVP_sha256();
	fails(&r, P.root, AT, NONCE, "not about this certificate");
}

static void
test_this_update(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	r.this_upd = AT + AG_OCSP_SKEW_S + 60;
	r.next_upd = AT + DAY;
	fails(&r, P.root, AT, NULL, "thisUpdate");
	/* Within the skew. */
	r.this_upd = AT + AG_OCSP_SKEW_S - 60;
	passes(&r, NULL, &res);
	r.this_upd = AT;
	passes(&r, NULL, &res);
}

static void
test_next_update(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	r.this_upd = AT - 2 * DAY;
	r.next_upd = AT - AG_OCSP_SKEW_S - 60;
	fails(&r, P.root, AT, NULL, "nextUpdate");
	r.next_upd = AT - AG_OCSP_SKEW_S + 60;
	passes(&r, NULL, &res);
	assert_int_equal(res.next_update, AT - AG_OCSP_SKEW_S + 60);
	/* None at all: with our nonce the answer is fresh anyway (0); a pre-fetched one (no nonce) is refused. */
	r.next_upd = 0;
	r.nonce = NONCE;
	passes(&r, NONCE, &res);
	assert_int_equal(res.next_update, 0);
	r.nonce = NULL;
	fails(&r, P.root, AT, NULL, "no nextUpdate");
}

/* A nextUpdate before thisUpdate is no validity window (RFC 6960 4.2.2.1), even with both within the skew of at. */
static void
test_next_update_before_this_update(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;

	(void)state;
	r.this_upd = AT + AG_OCSP_SKEW_S - 10;
	r.next_upd = AT - AG_OCSP_SKEW_S + 10;
	fails(&r, P.root, AT, NULL, "its nextUpdate is before its thisUpdate");
	r.this_upd = AT - 60;
	r.next_upd = AT - 61;
	fails(&r, P.root, AT, NULL, "nextUpdate");
	/* Equal is a window of one second. */
	r.next_upd = AT - 60;
	passes(&r, NULL, &res);
}

/* --- not a usable response --- */

static void
test_unsuccessful(void **state)
{
	static const struct {
		int status;
		const char *name;
	} st[] = { { OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, "malformedrequest" },
		{ OCSP_RESPONSE_STATUS_INTERNALERROR, "internalerror" }, { OCSP_RESPONSE_STATUS_TRYLATER, "trylater" },
		{ OCSP_RESPONSE_STATUS_SIGREQUIRED, "sigrequired" }, { OCSP_RESPONSE_STATUS_UNAUTHORIZED, "unauthorized" } };
	static const uint8_t unauthorized[] = { 0x30, 0x03, 0x0a, 0x01, 0x06 };

	(void)state;
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		OCSP_RESPONSE *resp = OCSP_response_create(st[i].status, NULL);
		uint8_t *der = NULL;
		int n = i2d_OCSP_RESPONSE(resp, &der);

		assert_true(n > 0);
		der_fails(der, (size_t)n, st[i].name);
		OPENSSL_free(der);
		OCSP_RESPONSE_free(resp);
	}
	der_fails(unauthorized, sizeof(unauthorized), "unauthorized");
}

static void
test_not_basic(void **state)
{
	/* Successful, with responseBytes of type 1.2.3 (not id-pkix-ocsp-basic). */
	static const uint8_t der[] = { 0x30, 0x0f, 0x0a, 0x01, 0x00, 0xa0, 0x0a, 0x30, 0x08, 0x06, 0x02, 0x2a, 0x03, 0x04,
		0x02, 0x30, 0x00 };

	(void)state;
	der_fails(der, sizeof(der), "it is not a basic OCSP response");
	/* Successful without responseBytes. */
	der_fails((const uint8_t *)"\x30\x03\x0a\x01\x00", 5, "it is not a basic OCSP response");
}

static void
test_not_der(void **state)
{
	struct rspec r = good();
	size_t len;
	uint8_t *der = mk_resp(&r, &len), *more = malloc(len + 1);
	static const char *const NOT = "it is not a DER OCSPResponse";
	struct ag_ocsp_result res;
	struct ag_err err;

	(void)state;
	assert_non_null(more);
	der_fails((const uint8_t *)"garbage", 7, NOT);
	der_fails((const uint8_t *)"", 0, NOT);
	der_fails(der, len - 1, NOT);
	der_fails(der, len / 2, NOT);
	memcpy(more, der, len);
	more[len] = 0;
	der_fails(more, len + 1, NOT);
	/* The very same bytes without the trailing one pass. */
	assert_int_equal(check_der(more, len, P.root, AT, NULL, &res, &err), AG_OK);
	free(more);
	OPENSSL_free(der);
}

/* A well-formed, correctly signed response over AG_OCSP_RESPONSE_MAX is refused; a smaller one with the same padding is not. */
static void
test_too_large(void **state)
{
	struct rspec r = good();
	struct ag_ocsp_result res;
	size_t len;
	uint8_t *der;

	(void)state;
	r.pad = 1024;
	passes(&r, NULL, &res);
	r.pad = AG_OCSP_RESPONSE_MAX;
	der = mk_resp(&r, &len);
	assert_true(len > AG_OCSP_RESPONSE_MAX);
	der_fails(der, len, "it is not a DER OCSPResponse");
	OPENSSL_free(der);
}

/* Whatever failed, the result says nothing was checked. */
static void
test_result_reset(void **state)
{
	struct ag_ocsp_result res;
	struct ag_err err;

	(void)state;
	assert_int_equal(check_der((const uint8_t *)"x", 1, P.root, AT, NONCE, &res, &err), AG_EINVALID);
	assert_int_equal(res.status, AG_OCSP_UNKNOWN);
	assert_string_equal(res.reason, "");
	assert_int_equal(res.next_update, 0);
	assert_int_equal(res.nonce_checked, 0);
}

static void
test_status_name(void **state)
{
	(void)state;
	assert_string_equal(ag_ocsp_status_name(AG_OCSP_GOOD), "good");
	assert_string_equal(ag_ocsp_status_name(AG_OCSP_REVOKED), "revoked");
	assert_string_equal(ag_ocsp_status_name(AG_OCSP_UNKNOWN), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_with_nonce),
		cmocka_unit_test(test_request_without_nonce),
		cmocka_unit_test(test_request_nonce_round_trip),
		cmocka_unit_test(test_good_by_issuer),
		cmocka_unit_test(test_good_by_delegated_responder),
		cmocka_unit_test(test_signer_refused),
		cmocka_unit_test(test_other_root),
		cmocka_unit_test(test_certs_not_valid_at),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_another_certificate),
		cmocka_unit_test(test_sha384_certid),
		cmocka_unit_test(test_this_update),
		cmocka_unit_test(test_next_update),
		cmocka_unit_test(test_next_update_before_this_update),
		cmocka_unit_test(test_unsuccessful),
		cmocka_unit_test(test_not_basic),
		cmocka_unit_test(test_not_der),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_result_reset),
		cmocka_unit_test(test_status_name),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
