/*
 * test_amd_kds.c - lib/verifier/amd_kds.c: the VCEK cache (one PEM per chip
 * and TCB: stored atomically and read-only, found again only for the same
 * chip and TCB, corrupt or oversized entries refused, missing directories)
 * with certificates made here and the real Milan VCEK of ../shared/vectors
 * when present; and AMD KDS against the KDS of test/services/maa_service.py
 * (--tee, the test/emul chain, real TLS on 127.0.0.1) for a report made by
 * test/emul/tee_emul.py: the VCEK and chain fetched verify that report, the
 * URL has the chip and TCB (and Turin's shape), and the failures (unknown
 * product, another chip, bad answers, plain http, another CA, nobody
 * there).  Skipped visibly where python3 with the cryptography module is
 * missing.
 */
#include "standin.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/certs.h"
#include "base/clock.h"
#include "base/digest.h"
#include "format/snp.h"
#include "verifier/amd_kds.h"

static struct {
	char *dir, *pki, *tee, *keys, *ca;
	uint8_t *report;      /* a tee_emul report (v3, Milan, the test chip, TCB 0x7308000000000003), or NULL */
	size_t report_len;
	int n;
} svc;

static int
group_setup(void **state)
{
	char script[4096], hex[129];
	char *argv[] = { (char *)si_python(), script, (char *)"snp-report", NULL, hex, NULL };

	(void)state;
	svc.dir = tu_mkdtemp();
	svc.pki = tu_path(svc.dir, "pki");
	svc.tee = tu_path(svc.dir, "tee");
	svc.keys = tu_path(svc.dir, "keys");
	svc.ca = tu_path(svc.pki, "ca.pem");
	if (!si_have_python() || si_testpki(svc.pki) != 0 || si_tee_pki(svc.tee) != 0)
		return 0;
	snprintf(script, sizeof(script), "%s/test/emul/tee_emul.py", si_repo());
	argv[3] = svc.tee;
	for (int i = 0; i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned)(0x40 + i));
	if (si_run(argv, &svc.report, &svc.report_len) != 0 || svc.report_len != AG_SNP_REPORT_LEN) {
		free(svc.report);
		svc.report = NULL;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	tu_rmtree(svc.dir);
	free(svc.dir);
	free(svc.pki);
	free(svc.tee);
	free(svc.keys);
	free(svc.ca);
	free(svc.report);
	return 0;
}

/* --- the cache ----------------------------------------------------------- */

/* A self-signed P-384 certificate named cn, as PEM (new string). */
static char *
make_cert(const char *cn)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_subject_name(c, name);
	X509_set_issuer_name(c, name);
	X509_set_pubkey(c, k);
	assert_true(X509_sign(c, k, EVP_sha384()) > 0);
	assert_int_equal(PEM_write_bio_X509(b, c), 1);
	n = BIO_get_mem_data(b, &data);
	pem = strndup(data, (size_t)n);
	BIO_free(b);
	X509_NAME_free(name);
	X509_free(c);
	EVP_PKEY_free(k);
	return pem;
}

static const char *
cn_of(STACK_OF(X509) *certs, int i)
{
	static char buf[128];

	return ag_cert_cn(sk_X509_value(certs, i), buf, sizeof(buf));
}

/* What the cache keys on: CHIP_ID and REPORTED_TCB. */
static struct ag_snp_report
chip(uint8_t id[64], uint8_t seed, uint64_t tcb)
{
	struct ag_snp_report r;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 64; i++)
		id[i] = (uint8_t)(seed + i);
	r.chip_id = id;
	r.reported_tcb = tcb;
	return r;
}

static void
test_cache_roundtrip(void **state)
{
	char *dir = tu_mkdtemp(), *cache = tu_path(dir, "cache"), *vcek = make_cert("TEST-VCEK"), *ask = make_cert("TEST-ASK"),
	     *pem, name[200], hwid[65];
	uint8_t id[64], other[64];
	struct ag_snp_report r = chip(id, 1, 0x7308000000000003ULL), r2;
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_err err;

	(void)state;
	pem = malloc(strlen(vcek) + strlen(ask) + 1);
	sprintf(pem, "%s%s", vcek, ask);
	/* Nothing cached yet (not even the directory): nothing added, no error. */
	assert_int_equal(ag_amd_cache_load(cache, &r, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 0);
	/* Stored (the directory made), read-only, named by SHA-256(CHIP_ID) and the TCB. */
	assert_int_equal(ag_amd_cache_store(cache, &r, pem, &err), AG_OK);
	ag_sha256_hex(id, 64, hwid);
	snprintf(name, sizeof(name), "vcek-%s-7308000000000003.pem", hwid);
	assert_true(tu_exists(cache, name));
	assert_int_equal(tu_mode(cache, name), 0444);
	assert_int_equal(tu_count_matching(cache, ".tmp"), 0);
	assert_int_equal(ag_amd_cache_load(cache, &r, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 2);
	assert_string_equal(cn_of(certs, 0), "TEST-VCEK");
	assert_string_equal(cn_of(certs, 1), "TEST-ASK");
	/* Appended to what the caller already has. */
	assert_int_equal(ag_amd_cache_load(cache, &r, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 4);
	sk_X509_pop_free(certs, X509_free);
	certs = sk_X509_new_null();
	/* Another chip, or the same chip at another TCB: not this entry. */
	r2 = chip(other, 2, r.reported_tcb);
	assert_int_equal(ag_amd_cache_load(cache, &r2, certs, &err), AG_OK);
	r2 = chip(other, 1, r.reported_tcb + 1);
	assert_int_equal(ag_amd_cache_load(cache, &r2, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 0);
	/* Stored again: replaced. */
	assert_int_equal(ag_amd_cache_store(cache, &r, ask, &err), AG_OK);
	assert_int_equal(ag_amd_cache_load(cache, &r, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_string_equal(cn_of(certs, 0), "TEST-ASK");
	sk_X509_pop_free(certs, X509_free);
	free(pem);
	free(vcek);
	free(ask);
	free(cache);
	tu_rmtree(dir);
	free(dir);
}

static void
test_cache_bad_entries(void **state)
{
	char *dir = tu_mkdtemp(), name[200], hwid[65], *big;
	uint8_t id[64];
	struct ag_snp_report r = chip(id, 9, 0x1234);
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_err err;

	(void)state;
	ag_sha256_hex(id, 64, hwid);
	snprintf(name, sizeof(name), "vcek-%s-0000000000001234.pem", hwid);
	/* Not certificates: refused, naming the cache file. */
	tu_write(dir, name, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
	assert_int_not_equal(ag_amd_cache_load(dir, &r, certs, &err), AG_OK);
	assert_non_null(strstr(err.msg, "certificate cache"));
	assert_non_null(strstr(err.msg, name));
	assert_int_equal(sk_X509_num(certs), 0);
	/* Larger than any chain: refused, not read. */
	big = malloc(70000);
	memset(big, 'A', 69999);
	big[69999] = '\0';
	tu_write(dir, name, big);
	assert_int_not_equal(ag_amd_cache_load(dir, &r, certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 0);
	free(big);
	/* A directory where the file would be. */
	{
		char *p = tu_path(dir, name);

		unlink(p);
		assert_int_equal(mkdir(p, 0700), 0);
		assert_int_not_equal(ag_amd_cache_load(dir, &r, certs, &err), AG_OK);
		free(p);
	}
	/* A cache that cannot be made. */
	assert_int_not_equal(ag_amd_cache_store("/nonexistent/attestgate/cache", &r, "x", &err), AG_OK);
	sk_X509_pop_free(certs, X509_free);
	tu_rmtree(dir);
	free(dir);
}

/* The real Milan report and its VCEK (with AMD's ASK and ARK when ../shared/data has them). */
static void
test_cache_real(void **state)
{
	char *dir = tu_mkdtemp(), path[4096];
	size_t rl = 0, vl = 0;
	uint8_t *report = si_vec("snp/milan-v2-virtee/report.bin", &rl), *der = si_vec("snp/milan-v2-virtee/vcek.der", &vl);
	STACK_OF(X509) *in = sk_X509_new_null(), *out = sk_X509_new_null();
	struct ag_snp_report r;
	struct ag_err err;
	char *pem;
	uint8_t *chain = NULL;
	size_t cl = 0;

	(void)state;
	if (report == NULL || der == NULL) {
		free(report);
		free(der);
		skip();
	}
	assert_int_equal(ag_snp_parse(report, rl, &r, &err), AG_OK);
	assert_int_equal(ag_certs_push_der(der, vl, in), 0);
	snprintf(path, sizeof(path), "%s/data/amd/ask-milan.pem", si_shared());
	if (ag_file_read(path, 65536, AG_ECONFIG, &chain, &cl, &err) == AG_OK)
		assert_int_equal(ag_certs_load(chain, cl, in, &err), AG_OK);
	pem = ag_certs_to_pem(in);
	assert_int_equal(ag_amd_cache_store(dir, &r, pem, &err), AG_OK);
	assert_int_equal(ag_amd_cache_load(dir, &r, out, &err), AG_OK);
	assert_int_equal(sk_X509_num(out), sk_X509_num(in));
	for (int i = 0; i < sk_X509_num(in); i++)
		assert_int_equal(X509_cmp(sk_X509_value(in, i), sk_X509_value(out, i)), 0);
	/* The VCEK out of the cache verifies the report. */
	assert_int_equal(ag_snp_verify_signature(&r, X509_get0_pubkey(sk_X509_value(out, 0)), &err), AG_OK);
	sk_X509_pop_free(in, X509_free);
	sk_X509_pop_free(out, X509_free);
	free(pem);
	free(chain);
	free(report);
	free(der);
	tu_rmtree(dir);
	free(dir);
}

/* --- AMD KDS ------------------------------------------------------------- */

struct kds {
	pid_t pid;
	int port;
	char url[64], *state;
};

static void
kds_start(struct kds *k, const char *script)
{
	const char *extra[8] = { "--tee", svc.tee, "--keys", svc.keys };
	char name[32];
	int thim = -1;

	memset(k, 0, sizeof(*k));
	if (svc.report == NULL) {
		print_message("# skipped: the KDS stand-in (test/services/maa_service.py --tee) cannot run here\n");
		skip();
	}
	if (script != NULL) {
		extra[4] = "--script";
		extra[5] = script;
	}
	snprintf(name, sizeof(name), "state%d", svc.n++);
	k->state = tu_path(svc.dir, name);
	k->pid = si_maa_start(svc.pki, k->state, extra, &k->port, &thim);
	assert_true(k->pid > 0);
	snprintf(k->url, sizeof(k->url), "https://127.0.0.1:%d", k->port);
}

/* Stops the stand-in; its requests.log (new string). */
static char *
kds_stop(struct kds *k)
{
	char *log;

	usleep(100000);   /* the stand-in logs a request after answering it */
	si_stop(k->pid);
	log = tu_read(k->state, "requests.log", NULL);
	free(k->state);
	return log != NULL ? log : strdup("");
}

static struct ag_http_opts
opts(const char *ca, int64_t ms)
{
	return (struct ag_http_opts){ .ca_file = ca, .deadline_ms = ag_clock_mono_ms() + ms, .attempt_timeout_ms = ms };
}

static void
test_kds_vcek(void **state)
{
	struct kds k;
	struct ag_snp_report r;
	struct ag_http_opts o = opts(svc.ca, 15000);
	STACK_OF(X509) *certs = sk_X509_new_null();
	struct ag_err err;
	char *pem = NULL, *log, want[300], hwid[129];

	(void)state;
	kds_start(&k, NULL);
	assert_int_equal(ag_snp_parse(svc.report, svc.report_len, &r, &err), AG_OK);
	assert_int_equal(ag_snp_product_of(&r), AG_SNP_MILAN);
	assert_int_equal(ag_amd_kds_vcek(k.url, &o, &r, &pem, &err), AG_OK);
	/* The VCEK first (it signed the report), then the product's ASK and ARK. */
	assert_int_equal(ag_certs_load((const uint8_t *)pem, strlen(pem), certs, &err), AG_OK);
	assert_int_equal(sk_X509_num(certs), 3);
	assert_string_equal(cn_of(certs, 0), "TEST-VCEK-NOT-AMD");
	assert_string_equal(cn_of(certs, 1), "TEST-ASK-NOT-AMD");
	assert_string_equal(cn_of(certs, 2), "TEST-ARK-NOT-AMD");
	assert_int_equal(ag_snp_verify_signature(&r, X509_get0_pubkey(sk_X509_value(certs, 0)), &err), AG_OK);
	log = kds_stop(&k);
	/* The chip's full CHIP_ID and the REPORTED_TCB's SPLs, then the chain. */
	ag_hex_encode(r.chip_id, 64, hwid);
	snprintf(want, sizeof(want), " GET /vcek/v1/Milan/%s?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115 200\n", hwid);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, " GET /vcek/v1/Milan/cert_chain 200\n"));
	free(log);
	sk_X509_pop_free(certs, X509_free);
	free(pem);
}

/* A report copy with byte at off set to v, parsed (signature not checked). */
static struct ag_snp_report
altered(uint8_t *copy, size_t off, uint8_t v)
{
	struct ag_snp_report r;
	struct ag_err err;

	memcpy(copy, svc.report, AG_SNP_REPORT_LEN);
	copy[off] = v;
	assert_int_equal(ag_snp_parse(copy, AG_SNP_REPORT_LEN, &r, &err), AG_OK);
	return r;
}

static void
test_kds_product(void **state)
{
	uint8_t copy[AG_SNP_REPORT_LEN];
	struct kds k;
	struct ag_snp_report r;
	struct ag_http_opts o = opts(svc.ca, 15000);
	struct ag_err err;
	char *pem = NULL, *log, want[200], hwid[17];

	(void)state;
	kds_start(&k, NULL);
	/* Another chip: KDS has no VCEK for it. */
	r = altered(copy, 0x1A0, (uint8_t)(svc.report[0x1A0] ^ 1));
	assert_int_equal(ag_amd_kds_vcek(k.url, &o, &r, &pem, &err), AG_EEVIDENCE);
	assert_null(pem);
	assert_non_null(strstr(err.msg, "answered HTTP 404"));
	/* A version 2 report names no product (its CPUID bytes are reserved): nothing to ask for. */
	memcpy(copy, svc.report, AG_SNP_REPORT_LEN);
	copy[0] = 2;
	memset(copy + 0x188, 0, 3);
	assert_int_equal(ag_snp_parse(copy, AG_SNP_REPORT_LEN, &r, &err), AG_OK);
	assert_int_equal(ag_amd_kds_vcek(k.url, &o, &r, &pem, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "a version 2 report does not name"));
	/* Turin: the first 8 bytes of CHIP_ID and the FMC SPL, its TCB layout. */
	r = altered(copy, 0x188, 0x1A);
	assert_int_equal(ag_snp_product_of(&r), AG_SNP_TURIN);
	assert_int_equal(ag_amd_kds_vcek(k.url, &o, &r, &pem, &err), AG_EEVIDENCE);
	log = kds_stop(&k);
	ag_hex_encode(r.chip_id, 8, hwid);
	snprintf(want, sizeof(want), " GET /vcek/v1/Turin/%s?fmcSPL=3&blSPL=0&teeSPL=0&snpSPL=0&ucodeSPL=115 404\n", hwid);
	assert_non_null(strstr(log, want));
	/* Two requests for the other chip and Turin, none for the v2 report. */
	assert_int_equal(strstr(strstr(log, "GET") + 1, "GET") != NULL, 1);
	assert_null(strstr(strstr(strstr(log, "GET") + 1, "GET") + 1, "GET"));
	free(log);
}

static void
expect_kds_fail(const char *script, enum ag_code code, const char *why)
{
	struct kds k;
	struct ag_snp_report r;
	struct ag_http_opts o = opts(svc.ca, 15000);
	struct ag_err err;
	char *pem = (char *)"x";

	kds_start(&k, script);
	assert_int_equal(ag_snp_parse(svc.report, svc.report_len, &r, &err), AG_OK);
	ag_err_clear(&err);
	assert_int_equal(ag_amd_kds_vcek(k.url, &o, &r, &pem, &err), code);
	assert_null(pem);
	if (strstr(err.msg, why) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, why);
	free(kds_stop(&k));
}

static void
test_kds_bad_answers(void **state)
{
	(void)state;
	expect_kds_fail("badjson", AG_EINVALID, "AMD KDS did not answer with one DER certificate");
	expect_kds_fail("ok,404", AG_EEVIDENCE, "/vcek/v1/Milan/cert_chain answered HTTP 404");
	expect_kds_fail("ok,badjson", AG_EINVALID, "AMD KDS cert_chain");
	expect_kds_fail("302", AG_EEVIDENCE, "answered HTTP 302");
}

static void
test_kds_unreachable(void **state)
{
	char url[64], other[4096];
	struct kds k;
	struct ag_snp_report r;
	struct ag_http_opts o;
	struct ag_err err;
	char *pem = NULL;

	(void)state;
	kds_start(&k, NULL);
	assert_int_equal(ag_snp_parse(svc.report, svc.report_len, &r, &err), AG_OK);
	/* KDS is an evidence source: failing to reach it is evidence unavailable, not the verifier. */
	snprintf(other, sizeof(other), "%s/other-ca.pem", svc.pki);
	o = opts(other, 5000);
	assert_int_equal(ag_amd_kds_vcek(k.url, &o, &r, &pem, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "AMD KDS"));
	assert_null(pem);
	/* Never plain http, whatever the caller allows. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", k.port);
	o = opts(svc.ca, 5000);
	o.allow_http = 1;
	assert_int_equal(ag_amd_kds_vcek(url, &o, &r, &pem, &err), AG_ECONFIG);
	free(kds_stop(&k));
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", si_closed_port());
	o = opts(svc.ca, 1500);
	assert_int_equal(ag_amd_kds_vcek(url, &o, &r, &pem, &err), AG_EEVIDENCE);
	assert_true(err.transient);
	assert_null(pem);
}

/* A KDS that never answers: the deadline ends it, as evidence unavailable. */
static void
test_kds_deadline(void **state)
{
	struct kds k;
	struct ag_snp_report r;
	struct ag_http_opts o;
	struct ag_err err;
	char *pem = NULL;
	int64_t t0;

	(void)state;
	kds_start(&k, "hang,hang,hang,hang,hang,hang");
	assert_int_equal(ag_snp_parse(svc.report, svc.report_len, &r, &err), AG_OK);
	o = opts(svc.ca, 1500);
	t0 = ag_clock_mono_ms();
	assert_int_equal(ag_amd_kds_vcek(k.url, &o, &r, &pem, &err), AG_EEVIDENCE);
	assert_true(ag_clock_mono_ms() - t0 < 4000);
	assert_true(err.transient);
	assert_non_null(strstr(err.msg, "AMD KDS"));
	assert_null(pem);
	free(kds_stop(&k));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_roundtrip),
		cmocka_unit_test(test_cache_bad_entries),
		cmocka_unit_test(test_cache_real),
		cmocka_unit_test(test_kds_vcek),
		cmocka_unit_test(test_kds_product),
		cmocka_unit_test(test_kds_bad_answers),
		cmocka_unit_test(test_kds_unreachable),
		cmocka_unit_test(test_kds_deadline),
	};

	return cmocka_run_group_tests_name("amd_kds", tests, group_setup, group_teardown);
}
