/*
 * test_local.c - lib/verifier/local.c, attestgate as its own verifier: the
 * real evidence of ../shared/vectors (SEV-SNP reports with their VCEKs and
 * the AMD roots of ../shared/data/amd, TD quotes to the pinned Intel root,
 * Azure CVM HCL reports with their vTPM quotes, SNP and TDX), each at a
 * pinned verification time (opts.at), verified through ag_local_verify,
 * ag_local_check_snp, ag_local_check_tdx and the table row
 * ag_verifier_local; and tampered copies made in memory (a flipped byte in
 * each part, a wrong nonce, missing certificates or files, the quote of
 * another VM) refused with their specific codes and messages.  Skipped
 * visibly when ../shared is absent.
 */
#include "standin.h"

#include <jansson.h>

#include "base/certs.h"
#include "base/crl.h"
#include "base/digest.h"
#include "format/claims.h"
#include "verifier/local.h"
#include "verifier/verifier.h"

#define T2023_06_20 1687219200   /* 2023-06-20T00:00:00Z: the Intel CRLs are current */
#define T2023_07 1688169600      /* 2023-07-01T00:00:00Z: the TCB info collateral is current */
#define T2025_06 1748736000      /* 2025-06-01T00:00:00Z: every real PCK certificate is valid */
#define T2026 1767225600         /* 2026-01-01T00:00:00Z: the real VCEK chains are valid */
#define T2060 2840140800         /* 2060-01-01T00:00:00Z: every real certificate has expired */

#define GSG "snp/milan-v2-gsg/"
#define AZ_SNP "azure-cvm/snp-milan-trustee/"
#define AZ_TDX "azure-cvm/tdx-trustee/"

static char amd_roots[4200];

/* Skips the test (visibly) when ../shared is not there. */
#define NEED_SHARED()                                                                        \
	do {                                                                                 \
		char p_[4200];                                                               \
		snprintf(p_, sizeof(p_), "%s/vectors/SOURCES.txt", si_shared());            \
		if (access(p_, R_OK) != 0) {                                                 \
			print_message("# skipped: %s (../shared) is not present\n", si_shared()); \
			skip();                                                              \
		}                                                                            \
	} while (0)

/* Options: the AMD roots of ../shared/data/amd, required, at a pinned time. */
static void
opts_init(struct ag_local_opts *o, time_t at)
{
	memset(o, 0, sizeof(*o));
	snprintf(amd_roots, sizeof(amd_roots), "%s/data/amd", si_shared());
	o->roots = amd_roots;
	o->roots_required = 1;
	o->at = at;
}

/* Adds ../shared/vectors/vec to e as name. */
static void
add_vec(struct ag_evidence *e, const char *name, const char *vec)
{
	size_t len = 0;
	uint8_t *b = si_vec(vec, &len);
	struct ag_err err;

	assert_non_null(b);
	assert_int_equal(ag_evidence_add(e, name, b, len, &err), AG_OK);
}

static void
add_text(struct ag_evidence *e, const char *name, const char *text)
{
	struct ag_err err;

	assert_int_equal(ag_evidence_add(e, name, (uint8_t *)strdup(text), strlen(text), &err), AG_OK);
}

static void
set_nonce(struct ag_evidence *e, const char *hex)
{
	struct ag_err err;

	assert_int_equal(ag_nonce_from_hex(&e->nonce, hex, "nonce", &err), AG_OK);
}

/* The evidence's file name (it must be there), to alter in place. */
static struct ag_evidence_blob *
blob(struct ag_evidence *e, const char *name)
{
	struct ag_evidence_blob *b = (struct ag_evidence_blob *)ag_evidence_get(e, name);

	assert_non_null(b);
	return b;
}

/* Removes the file name from e. */
static void
drop(struct ag_evidence *e, const char *name)
{
	struct ag_evidence_blob *b = blob(e, name);
	size_t i = (size_t)(b - e->files);

	free(b->data);
	memmove(&e->files[i], &e->files[i + 1], (e->n_files - i - 1) * sizeof(e->files[0]));
	e->n_files--;
}

/* The real Milan report of go-sev-guest (REPORT_DATA 01 02 03 04 05 00 ...) with its VCEK, as sev-snp evidence. */
static void
gsg_evidence(struct ag_evidence *e, const char *nonce)
{
	ag_evidence_init(e);
	e->platform = "sev-snp";
	e->report_type = "snp";
	add_vec(e, "snp-report.bin", GSG "report.bin");
	add_vec(e, "certs.bin", GSG "vcek.der");
	if (nonce != NULL)
		set_nonce(e, nonce);
}

/* The real Azure SEV-SNP CVM evidence of trustee: HCL report, THIM's chain, the vTPM quote over "challenge". */
static void
azure_snp_evidence(struct ag_evidence *e)
{
	ag_evidence_init(e);
	e->platform = "azure-cvm";
	e->report_type = "snp";
	add_vec(e, "hcl-report.bin", AZ_SNP "hcl-report.bin");
	add_vec(e, "vcek-chain.pem", AZ_SNP "vcek-ask-ark.pem");
	add_vec(e, "quote.msg", AZ_SNP "tpm-quote.msg");
	add_vec(e, "quote.sig", AZ_SNP "tpm-quote.sig");
	add_vec(e, "pcrs.bin", AZ_SNP "tpm-quote-pcrs-sha256.bin");
	set_nonce(e, "6368616c6c656e6765");   /* "challenge" */
}

/* The same for the Azure TDX CVM: HCL report with a TDREPORT, its TD quote, the vTPM quote. */
static void
azure_tdx_evidence(struct ag_evidence *e)
{
	ag_evidence_init(e);
	e->platform = "azure-cvm";
	e->report_type = "tdx";
	add_vec(e, "hcl-report.bin", AZ_TDX "hcl-report.bin");
	add_vec(e, "td-quote.bin", AZ_TDX "td-quote.bin");
	add_vec(e, "quote.msg", AZ_TDX "tpm-quote.msg");
	add_vec(e, "quote.sig", AZ_TDX "tpm-quote.sig");
	add_vec(e, "pcrs.bin", AZ_TDX "tpm-quote-pcrs-sha256.bin");
	set_nonce(e, "6368616c6c656e6765");
}

static json_t *
verify_ok(const struct ag_local_opts *o, const struct ag_evidence *e)
{
	json_t *claims = NULL;
	struct ag_err err;

	ag_err_clear(&err);
	if (ag_local_verify(o, e, &claims, &err) != AG_OK)
		fail_msg("%s evidence refused: %s", e->platform, err.msg);
	assert_non_null(claims);
	assert_string_equal(json_string_value(json_object_get(claims, "x-attestgate-verifier")), "local");
	return claims;
}

static void
verify_fails(const struct ag_local_opts *o, const struct ag_evidence *e, enum ag_code code, const char *why)
{
	json_t *claims = NULL;
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	rc = ag_local_verify(o, e, &claims, &err);
	if (rc != code || strstr(err.msg, why) == NULL)
		fail_msg("got %d \"%s\", expected %d with \"%s\"", rc, err.msg, code, why);
	assert_null(claims);
}

static const char *
str_at(const json_t *claims, const char *pointer)
{
	return json_string_value(ag_claims_lookup(claims, pointer));
}

/* --- SEV-SNP (sev-snp platform, ag_local_check_snp) --- */

static void
test_snp_vector(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	json_t *c;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	gsg_evidence(&e, "0102030405");
	c = verify_ok(&o, &e);
	assert_string_equal(str_at(c, "/x-ms-attestation-type"), "sevsnpvm");
	assert_string_equal(str_at(c, "/x-attestgate-snp-product"), "Milan");
	assert_string_equal(str_at(c, "/x-ms-sevsnpvm-launchmeasurement"),
	    "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01");
	assert_true(json_is_true(json_object_get(c, "x-ms-sevsnpvm-is-debuggable")));
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-microcode-svn")), 68);
	assert_null(json_object_get(c, "x-ms-runtime"));
	json_decref(c);
	/* Without a nonce (verify-evidence without --nonce) there is no binding to check. */
	e.nonce.len = 0;
	c = verify_ok(&o, &e);
	json_decref(c);
	ag_evidence_clear(&e);
}

static void
test_snp_wrong_nonce(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	struct ag_err err;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	gsg_evidence(&e, "0102030406");
	verify_fails(&o, &e, AG_EINVALID, "REPORT_DATA is not the nonce: the report is not bound to this request");
	/* A prefix of REPORT_DATA is not it: the rest must be zero. */
	set_nonce(&e, "01020304");
	verify_fails(&o, &e, AG_EINVALID, "REPORT_DATA is not the nonce");
	/* The gate's fresh nonce. */
	assert_int_equal(ag_nonce_draw(&e.nonce, &err), AG_OK);
	verify_fails(&o, &e, AG_EINVALID, "REPORT_DATA is not the nonce");
	ag_evidence_clear(&e);
}

static void
test_snp_tampered(void **state)
{
	static const char *const sig = "SNP report signature does not verify with the VCEK";
	struct ag_local_opts o;
	struct ag_evidence e;
	struct ag_evidence_blob *r;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	gsg_evidence(&e, "0102030405");
	r = blob(&e, "snp-report.bin");
	/* MEASUREMENT, REPORT_DATA (made to carry another nonce), HOST_DATA, the signature's R. */
	r->data[0x90] ^= 0x01;
	verify_fails(&o, &e, AG_EINVALID, sig);
	r->data[0x90] ^= 0x01;
	r->data[0x55] = 0x06;
	set_nonce(&e, "010203040506");
	verify_fails(&o, &e, AG_EINVALID, sig);
	r->data[0x55] = 0x00;
	set_nonce(&e, "0102030405");
	r->data[0xC0] ^= 0x80;
	verify_fails(&o, &e, AG_EINVALID, sig);
	r->data[0xC0] ^= 0x80;
	r->data[0x2A0] ^= 0x01;
	verify_fails(&o, &e, AG_EINVALID, sig);
	r->data[0x2A0] ^= 0x01;
	/* A byte short. */
	r->len--;
	verify_fails(&o, &e, AG_EINVALID, "SNP report is 1183 bytes, not 1184");
	r->len++;
	json_decref(verify_ok(&o, &e));
	ag_evidence_clear(&e);
}

static void
test_snp_certificates(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	gsg_evidence(&e, "0102030405");
	/* No VCEK and no source configured: incomplete evidence (3), saying where one comes from. */
	drop(&e, "certs.bin");
	verify_fails(&o, &e, AG_EEVIDENCE, "no VCEK certificate for the SNP report");
	/* A real VCEK of another chip. */
	add_vec(&e, "certs.bin", "snp/milan-v2-virtee/vcek.der");
	verify_fails(&o, &e, AG_EINVALID, "the report is from another chip");
	drop(&e, "certs.bin");
	/* Bytes that are no certificate: the file is named. */
	add_text(&e, "certs.bin", "not a certificate");
	verify_fails(&o, &e, AG_EINVALID, "evidence certs.bin");
	drop(&e, "certs.bin");
	/* The VCEK without the roots: no ASK. */
	add_vec(&e, "certs.bin", GSG "vcek.der");
	o.roots = NULL;
	o.roots_required = 0;
	verify_fails(&o, &e, AG_EINVALID, "no certificate given that signed the VCEK");
	/* The roots directory required but absent: a configuration error. */
	o.roots = "/nonexistent/attestgate-roots";
	o.roots_required = 1;
	verify_fails(&o, &e, AG_ECONFIG, "/nonexistent/attestgate-roots");
	/* No report at all. */
	opts_init(&o, T2026);
	drop(&e, "snp-report.bin");
	verify_fails(&o, &e, AG_EEVIDENCE, "the evidence has no SNP report (snp-report.bin)");
	ag_evidence_clear(&e);
}

/* The Azure report as bare SNP evidence: THIM's chain as vcek-chain.pem, the nonce is SHA-256(runtime data). */
static void
test_snp_chain_and_time(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	uint8_t *var;
	uint8_t digest[AG_SHA256_LEN];
	char hex[2 * AG_SHA256_LEN + 1];
	size_t len = 0;

	(void)state;
	NEED_SHARED();
	var = si_vec(AZ_SNP "var-data.json", &len);
	assert_non_null(var);
	ag_sha256(var, len, digest);
	ag_hex_encode(digest, sizeof(digest), hex);
	free(var);
	opts_init(&o, T2026);
	o.roots = NULL;   /* the chain carries the ARK, pinned by fingerprint */
	o.roots_required = 0;
	ag_evidence_init(&e);
	e.platform = "sev-snp";
	add_vec(&e, "snp-report.bin", AZ_SNP "snp-report.bin");
	add_vec(&e, "vcek-chain.pem", AZ_SNP "vcek-ask-ark.pem");
	set_nonce(&e, hex);
	json_decref(verify_ok(&o, &e));
	/* Before its VCEK was issued (2023-05-02), and long after: the pinned time decides. */
	o.at = 1672531200;
	verify_fails(&o, &e, AG_EINVALID, "not valid at the verification time (expired? pin the time with --at)");
	o.at = T2060;
	verify_fails(&o, &e, AG_EINVALID, "not valid at the verification time");
	/* The chain of another chip (kinvolk's). */
	o.at = T2026;
	drop(&e, "vcek-chain.pem");
	add_vec(&e, "vcek-chain.pem", "azure-cvm/snp-milan-kinvolk/certs-unrelated-chip.pem");
	verify_fails(&o, &e, AG_EINVALID, "the report is from another chip");
	ag_evidence_clear(&e);
}

/* ag_local_check_snp on its own: certificates from the blob, from o->certs, or none. */
static void
test_check_snp(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence_blob chain = { "vcek-chain.pem", NULL, 0 };
	uint8_t *report;
	size_t len = 0;
	json_t *c = NULL;
	struct ag_err err;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	report = si_vec(AZ_SNP "snp-report.bin", &len);
	chain.data = si_vec(AZ_SNP "vcek-ask-ark.pem", &chain.len);
	assert_int_equal(ag_local_check_snp(&o, report, len, &chain, &c, &err), AG_OK);
	assert_int_equal(json_integer_value(json_object_get(c, "x-ms-sevsnpvm-vmpl")), 0);
	assert_false(json_is_true(json_object_get(c, "x-ms-sevsnpvm-is-debuggable")));
	assert_null(json_object_get(c, "x-attestgate-verifier"));   /* only ag_local_verify says who verified */
	json_decref(c);
	/* The claims are optional. */
	assert_int_equal(ag_local_check_snp(&o, report, len, &chain, NULL, &err), AG_OK);
	/* The same certificates given as o->certs (verify-evidence --certs). */
	o.certs = sk_X509_new_null();
	assert_int_equal(ag_certs_load(chain.data, chain.len, o.certs, &err), AG_OK);
	c = NULL;
	assert_int_equal(ag_local_check_snp(&o, report, len, NULL, &c, &err), AG_OK);
	assert_non_null(c);
	json_decref(c);
	sk_X509_pop_free(o.certs, X509_free);
	o.certs = NULL;
	/* None at all. */
	c = NULL;
	assert_int_equal(ag_local_check_snp(&o, report, len, NULL, &c, &err), AG_EEVIDENCE);
	assert_null(c);
	/* Not a report. */
	assert_int_equal(ag_local_check_snp(&o, report, 100, &chain, &c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "SNP report is 100 bytes"));
	free(report);
	free(chain.data);
}

static void
test_kata_runtime_data(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	ag_evidence_init(&e);
	e.platform = "azure-kata-cc";
	add_vec(&e, "snp-report.bin", "kata-cc/sidecar-snp-report.bin");
	add_vec(&e, "certs.bin", "kata-cc/sidecar-vcek-ask-ark.pem");
	set_nonce(&e, "00112233");
	/* kata-cc binds the nonce through the runtime data: without it nothing is bound. */
	verify_fails(&o, &e, AG_EEVIDENCE, "the evidence has no runtime-data.json");
	/* Runtime data that is not what the report's REPORT_DATA hashes. */
	add_text(&e, "runtime-data.json", "{\"nonce\":\"00112233\"}");
	verify_fails(&o, &e, AG_EINVALID, "REPORT_DATA is not SHA-256 of the runtime data");
	/* The same on sev-snp evidence that carries runtime data. */
	e.platform = "sev-snp";
	verify_fails(&o, &e, AG_EINVALID, "REPORT_DATA is not SHA-256 of the runtime data");
	ag_evidence_clear(&e);
}

/* --- TDX (tdx platform, ag_local_check_tdx) --- */

static void
test_check_tdx_vectors(void **state)
{
	static const char *const quotes[] = { "tdx/quotes/spr-e4-v4.dat", "tdx/quotes/trustee-v4-a.dat",
		"tdx/quotes/trustee-v4-b.dat", "tdx/quotes/cvmtools-td-quote-v4.dat", AZ_TDX "td-quote.bin" };
	struct ag_local_opts o;
	struct ag_err err;

	(void)state;
	NEED_SHARED();
	memset(&o, 0, sizeof(o));
	o.at = T2025_06;
	for (size_t i = 0; i < sizeof(quotes) / sizeof(quotes[0]); i++) {
		size_t len = 0;
		uint8_t *q = si_vec(quotes[i], &len);
		json_t *c = NULL;

		if (ag_local_check_tdx(&o, q, len, &c, &err) != AG_OK)
			fail_msg("%s: %s", quotes[i], err.msg);
		assert_string_equal(str_at(c, "/x-ms-attestation-type"), "tdxvm");
		assert_int_equal(strlen(str_at(c, "/tdx_mrtd")), 96);
		assert_int_equal(strlen(str_at(c, "/tdx_report_data")), 128);
		json_decref(c);
		c = NULL;
		/* Long after: the PCK chain has expired. */
		o.at = T2060;
		assert_int_equal(ag_local_check_tdx(&o, q, len, &c, &err), AG_EINVALID);
		assert_null(c);
		assert_non_null(strstr(err.msg, "expired"));
		o.at = T2025_06;
		free(q);
	}
}

static void
test_check_tdx_tampered(void **state)
{
	struct ag_local_opts o;
	size_t len = 0;
	uint8_t *q;
	json_t *c = NULL;
	struct ag_err err;

	(void)state;
	NEED_SHARED();
	memset(&o, 0, sizeof(o));
	o.at = T2025_06;
	q = si_vec("tdx/quotes/trustee-v4-a.dat", &len);
	q[200] ^= 0x01;   /* MRTD */
	assert_int_equal(ag_local_check_tdx(&o, q, len, &c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "the TD quote signature does not verify with its attestation key"));
	assert_null(c);
	q[200] ^= 0x01;
	q[800] ^= 0x01;   /* the QE report */
	assert_int_equal(ag_local_check_tdx(&o, q, len, &c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "QE report signature does not verify"));
	q[800] ^= 0x01;
	assert_int_equal(ag_local_check_tdx(&o, q, 3000, &c, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "truncated"));
	assert_int_equal(ag_local_check_tdx(&o, q, len, NULL, &err), AG_OK);
	free(q);
}

/* Intel's collateral and CRLs named in the options, at times they were current. */
static void
test_check_tdx_collateral(void **state)
{
	char tcb[4200], chain[4200], crls[8500];
	struct ag_local_opts o;
	size_t len = 0;
	uint8_t *q;
	json_t *c = NULL;
	struct ag_err err;

	(void)state;
	NEED_SHARED();
	snprintf(tcb, sizeof(tcb), "%s/vectors/tdx/collateral/tcbinfo-50806f000000.json", si_shared());
	snprintf(chain, sizeof(chain), "%s/vectors/tdx/collateral/tcb-info-issuer-chain.pem", si_shared());
	memset(&o, 0, sizeof(o));
	o.at = T2023_07;
	o.tdx_tcb_info = tcb;
	q = si_vec("tdx/quotes/trustee-v4-a.dat", &len);
	/* The TCB info without its issuer chain: a usage error. */
	assert_int_equal(ag_local_check_tdx(&o, q, len, &c, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "the TCB info needs its issuer chain"));
	o.tdx_tcb_chain = chain;
	assert_int_equal(ag_local_check_tdx(&o, q, len, &c, &err), AG_OK);
	assert_string_equal(str_at(c, "/attester_tcb_status"), "UpToDate");
	json_decref(c);
	/* CRLs: both list nothing of this chain; the root CRL alone leaves the PCK unchecked. */
	memset(&o, 0, sizeof(o));
	o.at = T2023_06_20;
	snprintf(crls, sizeof(crls), "%s/vectors/tdx/collateral/pckcrl-platform.der\n%s/vectors/tdx/collateral/rootcrl.der",
	    si_shared(), si_shared());
	assert_int_equal(ag_crl_load(crls, &o.crls, &err), AG_OK);
	assert_int_equal(ag_local_check_tdx(&o, q, len, NULL, &err), AG_OK);
	sk_X509_CRL_pop_free(o.crls, X509_CRL_free);
	assert_int_equal(ag_crl_load(strchr(crls, '\n') + 1, &o.crls, &err), AG_OK);
	assert_int_equal(ag_local_check_tdx(&o, q, len, NULL, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "no CRL of Intel SGX PCK Platform CA was given"));
	sk_X509_CRL_pop_free(o.crls, X509_CRL_free);
	free(q);
}

static void
test_tdx_platform(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	json_t *c;
	char rd[129];

	(void)state;
	NEED_SHARED();
	memset(&o, 0, sizeof(o));
	o.at = T2025_06;
	ag_evidence_init(&e);
	e.platform = "tdx";
	add_vec(&e, "td-quote.bin", "tdx/quotes/trustee-v4-a.dat");
	c = verify_ok(&o, &e);
	snprintf(rd, sizeof(rd), "%s", str_at(c, "/tdx_report_data"));
	json_decref(c);
	/* The nonce is the whole REPORT_DATA: bound; any other is not. */
	set_nonce(&e, rd);
	json_decref(verify_ok(&o, &e));
	set_nonce(&e, "00112233");
	verify_fails(&o, &e, AG_EINVALID, "REPORT_DATA is not the nonce");
	rd[127] = rd[127] == '0' ? '1' : '0';
	set_nonce(&e, rd);
	verify_fails(&o, &e, AG_EINVALID, "REPORT_DATA is not the nonce");
	drop(&e, "td-quote.bin");
	verify_fails(&o, &e, AG_EEVIDENCE, "the evidence has no TD quote (td-quote.bin)");
	ag_evidence_clear(&e);
}

/* The Azure TD quote binds SHA-256 of the runtime data: as tdx evidence with that runtime data. */
static void
test_tdx_runtime_data(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	json_t *c;

	(void)state;
	NEED_SHARED();
	memset(&o, 0, sizeof(o));
	o.at = T2025_06;
	ag_evidence_init(&e);
	e.platform = "tdx";
	add_vec(&e, "td-quote.bin", AZ_TDX "td-quote.bin");
	add_vec(&e, "runtime-data.json", AZ_TDX "var-data.json");
	c = verify_ok(&o, &e);
	assert_true(json_is_object(ag_claims_lookup(c, "/x-ms-runtime/keys/0")));
	json_decref(c);
	/* The runtime data carries no nonce: a nonce cannot be bound by it. */
	set_nonce(&e, "6368616c6c656e6765");
	verify_fails(&o, &e, AG_EINVALID, "the runtime data does not carry this request's nonce");
	/* Altered runtime data no longer hashes to REPORT_DATA. */
	e.nonce.len = 0;
	blob(&e, "runtime-data.json")->data[10] ^= 0x20;
	verify_fails(&o, &e, AG_EINVALID, "REPORT_DATA is not SHA-256 of the runtime data");
	ag_evidence_clear(&e);
}

/* --- Azure CVM: HCL report, hardware report, vTPM quote --- */

static void
test_azure_snp(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	json_t *c;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	azure_snp_evidence(&e);
	c = verify_ok(&o, &e);
	assert_string_equal(str_at(c, "/x-ms-attestation-type"), "azurevm");
	assert_string_equal(str_at(c, "/x-ms-isolation-tee/x-ms-attestation-type"), "sevsnpvm");
	assert_true(json_is_true(ag_claims_lookup(c, "/x-ms-isolation-tee/x-ms-runtime/vm-configuration/tpm-enabled")));
	assert_int_equal(json_array_size(json_object_get(c, "x-ms-azurevm-attested-pcrs")), 24);
	assert_int_equal(json_integer_value(ag_claims_lookup(c, "/x-ms-azurevm-attested-pcrs/23")), 23);
	assert_string_equal(str_at(c, "/x-ms-runtime/nonce"), "challenge");
	json_decref(c);
	ag_evidence_clear(&e);
}

static void
test_azure_snp_tampered(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	struct ag_evidence_blob *hcl;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	azure_snp_evidence(&e);
	set_nonce(&e, "6368616c6c656e6766");   /* "challengf" */
	verify_fails(&o, &e, AG_EINVALID, "the nonce is not in the quote: it answers another request");
	set_nonce(&e, "6368616c6c656e6765");
	blob(&e, "quote.msg")->data[60] ^= 0x01;
	verify_fails(&o, &e, AG_EINVALID, "quote signature does not verify with the AK");
	blob(&e, "quote.msg")->data[60] ^= 0x01;
	blob(&e, "pcrs.bin")->data[7 * 32] ^= 0x01;
	verify_fails(&o, &e, AG_EINVALID, "the PCR values do not match the quote's PCR digest");
	blob(&e, "pcrs.bin")->data[7 * 32] ^= 0x01;
	hcl = blob(&e, "hcl-report.bin");
	hcl->data[0x20 + 0x90] ^= 0x01;   /* the SNP report's MEASUREMENT */
	verify_fails(&o, &e, AG_EINVALID, "SNP report signature does not verify with the VCEK");
	hcl->data[0x20 + 0x90] ^= 0x01;
	hcl->data[0x4D4 + 40] ^= 0x01;    /* the runtime data (HCLAkPub, vm-configuration) */
	verify_fails(&o, &e, AG_EINVALID, "HCL binding mismatch");
	hcl->data[0x4D4 + 40] ^= 0x01;
	/* The quote, signature and PCRs of another VM (kinvolk's, also over "challenge"). */
	drop(&e, "quote.msg");
	drop(&e, "quote.sig");
	drop(&e, "pcrs.bin");
	add_vec(&e, "quote.msg", "azure-cvm/snp-milan-kinvolk/tpm-quote.msg");
	add_vec(&e, "quote.sig", "azure-cvm/snp-milan-kinvolk/tpm-quote.sig");
	add_vec(&e, "pcrs.bin", "azure-cvm/snp-milan-kinvolk/tpm-quote-pcrs-sha256.bin");
	verify_fails(&o, &e, AG_EINVALID, "quote signature does not verify with the AK");
	ag_evidence_clear(&e);
	/* A real HCL report whose report_data is not its runtime data's hash (clientlib's fixture). */
	ag_evidence_init(&e);
	e.platform = "azure-cvm";
	add_vec(&e, "hcl-report.bin", "azure-cvm/hcl-reports/clientlib-azsnp-hcl-report-BINDING-MISMATCH.bin");
	o.quote_optional = 1;
	verify_fails(&o, &e, AG_EINVALID, "HCL binding mismatch");
	ag_evidence_clear(&e);
}

static void
test_azure_snp_missing(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	azure_snp_evidence(&e);
	drop(&e, "vcek-chain.pem");
	verify_fails(&o, &e, AG_EEVIDENCE, "no VCEK certificate for the SNP report");
	ag_evidence_clear(&e);
	azure_snp_evidence(&e);
	drop(&e, "quote.sig");
	verify_fails(&o, &e, AG_EEVIDENCE, "the vTPM quote needs quote.msg, quote.sig and pcrs.bin together");
	/* Without the quote only where that is allowed (verify-evidence), and never with a nonce to check. */
	drop(&e, "quote.msg");
	drop(&e, "pcrs.bin");
	verify_fails(&o, &e, AG_EEVIDENCE, "the vTPM quote needs quote.msg, quote.sig and pcrs.bin together");
	o.quote_optional = 1;
	{
		json_t *c = verify_ok(&o, &e);

		assert_null(json_object_get(c, "x-ms-azurevm-attested-pcrs"));
		assert_null(json_object_get(c, "x-ms-runtime"));
		json_decref(c);
	}
	o.nonce_required = 1;
	verify_fails(&o, &e, AG_ECONFIG, "the nonce is bound by the vTPM quote: checking it needs the quote");
	drop(&e, "hcl-report.bin");
	verify_fails(&o, &e, AG_EEVIDENCE, "the evidence has no HCL report");
	ag_evidence_clear(&e);
}

/*
 * Without a nonce (verify-evidence without --nonce) nothing is bound, as for
 * sev-snp, tdx and kata-cc evidence above: the quote, its AK and PCRs are
 * still verified.  DESIGN.md: "With --nonce (hex) the report must be bound
 * to it".  FAILS today: lib/verifier/local.c (verify_azure_cvm) compares the
 * quote's qualifying data with the empty nonce and refuses every quote that
 * carries one, saying "the nonce is not in the quote: it answers another
 * request" although no request nonce was given.
 */
static void
test_azure_snp_without_nonce(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	json_t *c = NULL;
	struct ag_err err;
	enum ag_code rc;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	o.quote_optional = 1;   /* as verify-evidence sets it */
	azure_snp_evidence(&e);
	memset(&e.nonce, 0, sizeof(e.nonce));
	ag_err_clear(&err);
	rc = ag_local_verify(&o, &e, &c, &err);
	if (rc != AG_OK) {
		ag_evidence_clear(&e);   /* nothing left behind for LeakSanitizer to report */
		fail_msg("a real quote without a nonce to check is refused (%d): %s", rc, err.msg);
	}
	assert_int_equal(json_array_size(json_object_get(c, "x-ms-azurevm-attested-pcrs")), 24);
	json_decref(c);
	/* The quote is still checked: another VM's is refused. */
	blob(&e, "quote.msg")->data[60] ^= 0x01;
	verify_fails(&o, &e, AG_EINVALID, "quote signature does not verify with the AK");
	ag_evidence_clear(&e);
}

/* Evidence collected for MAA: the quote's qualifying data is empty, so the nonce cannot be checked here. */
static void
test_azure_quote_unbound(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	azure_snp_evidence(&e);
	e.quote_unbound = 1;
	verify_fails(&o, &e, AG_EINVALID, "this evidence's vTPM quote carries no nonce");
	o.nonce_required = 1;
	verify_fails(&o, &e, AG_ECONFIG, "this evidence's vTPM quote carries no nonce");
	ag_evidence_clear(&e);
}

static void
test_azure_tdx(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	json_t *c;

	(void)state;
	NEED_SHARED();
	memset(&o, 0, sizeof(o));
	o.at = T2025_06;
	azure_tdx_evidence(&e);
	c = verify_ok(&o, &e);
	assert_string_equal(str_at(c, "/x-ms-attestation-type"), "azurevm");
	assert_string_equal(str_at(c, "/x-ms-isolation-tee/x-ms-attestation-type"), "tdxvm");
	assert_true(json_is_object(ag_claims_lookup(c, "/x-ms-isolation-tee/x-ms-runtime")));
	assert_string_equal(str_at(c, "/x-ms-runtime/nonce"), "challenge");
	json_decref(c);
	/* The TD quote of another TD. */
	drop(&e, "td-quote.bin");
	add_vec(&e, "td-quote.bin", "tdx/quotes/trustee-v4-a.dat");
	verify_fails(&o, &e, AG_EINVALID, "the TD quote is not for the HCL report's TDREPORT");
	drop(&e, "td-quote.bin");
	verify_fails(&o, &e, AG_EEVIDENCE, "a TDX CVM's evidence needs the TD quote (td-quote.bin)");
	ag_evidence_clear(&e);
}

/* --- the row and the platforms --- */

static void
test_row(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;
	struct ag_verify_in in;
	struct ag_verify_out out;
	struct ag_err err;

	(void)state;
	NEED_SHARED();
	opts_init(&o, T2026);
	gsg_evidence(&e, "0102030405");
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.evidence = &e;
	in.local = &o;
	assert_ptr_equal(ag_verifier_find("local"), &ag_verifier_local);
	assert_int_equal(ag_verifier_local.verify(&in, &out, &err), AG_OK);
	assert_string_equal(str_at(out.claims, "/x-attestgate-verifier"), "local");
	assert_string_equal(str_at(out.claims, "/x-ms-sevsnpvm-reportdata"),
	    "0102030405000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000000");
	/* No token is issued, no keys fetched, no verifier round trip. */
	assert_null(out.token);
	assert_null(out.jwks);
	assert_int_equal(out.info.exp, 0);
	assert_int_equal(out.ms_verifier, 0);
	assert_true(out.ms_verify >= 0 && out.ms_verify < 10000);
	ag_verify_out_clear(&out);
	set_nonce(&e, "0102030406");
	assert_int_equal(ag_verifier_local.verify(&in, &out, &err), AG_EINVALID);
	assert_non_null(strstr(err.msg, "REPORT_DATA is not the nonce"));
	assert_null(out.claims);
	ag_verify_out_clear(&out);
	ag_evidence_clear(&e);
}

static void
test_unknown_platform(void **state)
{
	struct ag_local_opts o;
	struct ag_evidence e;

	(void)state;
	opts_init(&o, T2026);
	ag_evidence_init(&e);
	verify_fails(&o, &e, AG_ECONFIG, "no local verification for platform \"\"");
	e.platform = "azure-cvm-snp";
	verify_fails(&o, &e, AG_ECONFIG, "no local verification for platform \"azure-cvm-snp\"");
	ag_evidence_clear(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_vector),
		cmocka_unit_test(test_snp_wrong_nonce),
		cmocka_unit_test(test_snp_tampered),
		cmocka_unit_test(test_snp_certificates),
		cmocka_unit_test(test_snp_chain_and_time),
		cmocka_unit_test(test_check_snp),
		cmocka_unit_test(test_kata_runtime_data),
		cmocka_unit_test(test_check_tdx_vectors),
		cmocka_unit_test(test_check_tdx_tampered),
		cmocka_unit_test(test_check_tdx_collateral),
		cmocka_unit_test(test_tdx_platform),
		cmocka_unit_test(test_tdx_runtime_data),
		cmocka_unit_test(test_azure_snp),
		cmocka_unit_test(test_azure_snp_tampered),
		cmocka_unit_test(test_azure_snp_missing),
		cmocka_unit_test(test_azure_snp_without_nonce),
		cmocka_unit_test(test_azure_quote_unbound),
		cmocka_unit_test(test_azure_tdx),
		cmocka_unit_test(test_row),
		cmocka_unit_test(test_unknown_platform),
	};

	return cmocka_run_group_tests_name("local", tests, NULL, NULL);
}
