/*
 * test_gpu_settings.c - lib/verifier/gpu_settings.c: ag_gpu_opts_from
 * copies the time, the RIM directory and service, the OCSP responder and
 * the HTTP options (CA file, deadline, cancel flag; plain HTTP never
 * allowed here) into both sources; splits the '\n'-separated file lists
 * into a copy of its own (empty lines skipped, up to AG_GPU_RIM_FILES_MAX
 * and AG_GPU_OCSP_FILES_MAX, one more naming --gpu-rim or
 * --gpu-ocsp-response); loads the test roots of a directory (PEM files
 * made here with OpenSSL; other names ignored; missing or corrupt:
 * errors).  ag_gpu_opts_clear frees everything, also after a failed
 * ag_gpu_opts_from, and twice (the sanitizer build checks for leaks).
 */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "verifier/nvidia_gpu.h"

static volatile sig_atomic_t cancel_flag;

/* A '\n'-separated list of n paths "DIR/fI.der" (free it). */
static char *
file_list(const char *prefix, size_t n)
{
	size_t size = n * (strlen(prefix) + 16) + 1, len = 0;
	char *s = malloc(size);

	assert_non_null(s);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, size - len, "%s/f%zu.der\n", prefix, i);
	return s;
}

/* ag_gpu_opts_from of s fails with code and a message containing why; o is cleared after. */
static void
opts_fail(const struct ag_gpu_settings *s, enum ag_code code, const char *why)
{
	struct ag_gpu_opts o;
	struct ag_err err;
	enum ag_code rc;

	ag_err_clear(&err);
	rc = ag_gpu_opts_from(s, &o, &err);
	if (rc != code || strstr(err.msg, why) == NULL)
		fail_msg("rc %d (want %d): \"%s\" lacks \"%s\"", rc, code, err.msg, why);
	ag_gpu_opts_clear(&o);
	assert_null(o.test_roots);
	assert_null(o.owned[0]);
	assert_null(o.owned[1]);
}

static void
test_fields(void **state)
{
	struct ag_gpu_settings s = { .rim_dir = "/rims", .rim_url = "https://rim.example.test",
		.ocsp_url = "http://ocsp.example.test", .ca_file = "/ca.pem", .deadline_ms = 123456789, .cancel = &cancel_flag,
		.at = 1735689600 };
	struct ag_gpu_opts o;
	struct ag_err err;
	const struct ag_http_opts *h[2];

	(void)state;
	memset(&o, 0x5a, sizeof(o));
	assert_int_equal(ag_gpu_opts_from(&s, &o, &err), AG_OK);
	assert_int_equal(o.at, 1735689600);
	assert_string_equal(o.rims.dir, "/rims");
	assert_string_equal(o.rims.service_url, "https://rim.example.test");
	assert_string_equal(o.ocsp.url, "http://ocsp.example.test");
	assert_int_equal(o.rims.n_files, 0);
	assert_int_equal(o.ocsp.n_files, 0);
	assert_null(o.test_roots);
	h[0] = &o.rims.http;
	h[1] = &o.ocsp.http;
	for (int i = 0; i < 2; i++) {
		assert_string_equal(h[i]->ca_file, "/ca.pem");
		assert_int_equal(h[i]->deadline_ms, 123456789);
		assert_ptr_equal(h[i]->cancel, &cancel_flag);
		assert_int_equal(h[i]->allow_http, 0);
		assert_int_equal(h[i]->max_attempts, 0);
		assert_int_equal(h[i]->max_response, 0);
	}
	/* The directory, the service and the responder name sources. */
	assert_true(ag_gpu_rim_source_set(&o.rims));
	assert_true(ag_gpu_ocsp_source_set(&o.ocsp));
	ag_gpu_opts_clear(&o);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ag_gpu_opts_from(&s, &o, &err), AG_OK);
	assert_null(o.rims.dir);
	assert_null(o.ocsp.url);
	assert_null(o.ocsp.http.ca_file);
	assert_int_equal(o.at, 0);
	/* No source named: none set. */
	assert_false(ag_gpu_rim_source_set(&o.rims));
	assert_false(ag_gpu_ocsp_source_set(&o.ocsp));
	ag_gpu_opts_clear(&o);
}

static void
test_lists_split(void **state)
{
	char *rims = strdup("a.xml\nb.swidtag\n\nc\n"), *ocsp = strdup("\n/r/one.der\n/r/two.der");
	struct ag_gpu_settings s = { .rims = rims, .ocsp_responses = ocsp };
	struct ag_gpu_opts o;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_gpu_opts_from(&s, &o, &err), AG_OK);
	/* The settings' strings are the caller's: overwritten and freed, the files are still there. */
	memset(rims, 'X', strlen(rims));
	memset(ocsp, 'Y', strlen(ocsp));
	free(rims);
	free(ocsp);
	assert_int_equal(o.rims.n_files, 3);
	assert_string_equal(o.rims.files[0], "a.xml");
	assert_string_equal(o.rims.files[1], "b.swidtag");
	assert_string_equal(o.rims.files[2], "c");
	assert_null(o.rims.files[3]);
	assert_int_equal(o.ocsp.n_files, 2);
	assert_string_equal(o.ocsp.files[0], "/r/one.der");
	assert_string_equal(o.ocsp.files[1], "/r/two.der");
	assert_true(ag_gpu_rim_source_set(&o.rims));
	assert_true(ag_gpu_ocsp_source_set(&o.ocsp));
	ag_gpu_opts_clear(&o);
	/* Lists of nothing but separators name no files. */
	s.rims = "\n\n";
	s.ocsp_responses = "";
	assert_int_equal(ag_gpu_opts_from(&s, &o, &err), AG_OK);
	assert_int_equal(o.rims.n_files, 0);
	assert_int_equal(o.ocsp.n_files, 0);
	assert_false(ag_gpu_ocsp_source_set(&o.ocsp));
	ag_gpu_opts_clear(&o);
}

static void
test_list_limits(void **state)
{
	char *rims_max = file_list("/r", AG_GPU_RIM_FILES_MAX), *rims_more = file_list("/r", AG_GPU_RIM_FILES_MAX + 1);
	char *ocsp_max = file_list("/o", AG_GPU_OCSP_FILES_MAX), *ocsp_more = file_list("/o", AG_GPU_OCSP_FILES_MAX + 1);
	struct ag_gpu_settings s = { .rims = rims_max, .ocsp_responses = ocsp_max };
	struct ag_gpu_opts o;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_gpu_opts_from(&s, &o, &err), AG_OK);
	assert_int_equal(o.rims.n_files, AG_GPU_RIM_FILES_MAX);
	assert_int_equal(o.ocsp.n_files, AG_GPU_OCSP_FILES_MAX);
	assert_string_equal(o.rims.files[AG_GPU_RIM_FILES_MAX - 1], "/r/f15.der");
	assert_string_equal(o.ocsp.files[AG_GPU_OCSP_FILES_MAX - 1], "/o/f31.der");
	ag_gpu_opts_clear(&o);
	s.rims = rims_more;
	opts_fail(&s, AG_ECONFIG, "--gpu-rim: at most 16 files");
	s.rims = rims_max;
	s.ocsp_responses = ocsp_more;
	opts_fail(&s, AG_ECONFIG, "--gpu-ocsp-response: at most 32 files");
	/* Both too long: the RIM list is named first. */
	s.rims = rims_more;
	opts_fail(&s, AG_ECONFIG, "--gpu-rim:");
	free(rims_max);
	free(rims_more);
	free(ocsp_max);
	free(ocsp_more);
}

/* Writes a self-signed P-384 certificate called cn as PEM to dir/name. */
static void
write_cert(const char *dir, const char *name, const char *cn)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	X509 *c = X509_new();
	char *path = tu_path(dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(k);
	assert_non_null(f);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, k);
	assert_true(X509_sign(c, k, EVP_sha384()) > 0);
	assert_int_equal(PEM_write_X509(f, c), 1);
	fclose(f);
	free(path);
	X509_free(c);
	EVP_PKEY_free(k);
}

static void
test_test_roots(void **state)
{
	char *dir = tu_mkdtemp(), *missing = tu_path(dir, "missing");
	struct ag_gpu_settings s = { .test_roots_dir = dir };
	struct ag_gpu_opts o;
	struct ag_err err;
	char cn[64];

	(void)state;
	write_cert(dir, "device-root.pem", "TEST Device Root");
	write_cert(dir, "rim-root.pem", "TEST RIM Root");
	tu_write(dir, "README", "not a certificate, not read");
	if (ag_gpu_opts_from(&s, &o, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_non_null(o.test_roots);
	assert_int_equal(sk_X509_num(o.test_roots), 2);
	for (int i = 0; i < 2; i++) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(o.test_roots, i)), NID_commonName, cn, sizeof(cn));
		assert_true(strcmp(cn, "TEST Device Root") == 0 || strcmp(cn, "TEST RIM Root") == 0);
	}
	ag_gpu_opts_clear(&o);
	/* A directory that is not there. */
	s.test_roots_dir = missing;
	opts_fail(&s, AG_ECONFIG, missing);
	/* A corrupt root file is an error naming it, not skipped. */
	tu_write(dir, "broken.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
	s.test_roots_dir = dir;
	opts_fail(&s, AG_EINVALID, "broken.pem");
	tu_rmtree(dir);
	free(missing);
	free(dir);
}

/* Clearing frees the lists and the roots (leaks show in the sanitizer build) and leaves o empty; twice is harmless. */
static void
test_clear(void **state)
{
	char *dir = tu_mkdtemp(), *rims = file_list("/r", AG_GPU_RIM_FILES_MAX + 1);
	struct ag_gpu_settings s = { .rims = "a\nb", .rim_dir = "/d", .ocsp_url = "http://o",
		.ocsp_responses = "x.der\ny.der", .test_roots_dir = dir };
	struct ag_gpu_opts o, zero;
	struct ag_err err;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	write_cert(dir, "root.pem", "TEST Root");
	assert_int_equal(ag_gpu_opts_from(&s, &o, &err), AG_OK);
	assert_non_null(o.owned[0]);
	assert_non_null(o.owned[1]);
	assert_int_equal(sk_X509_num(o.test_roots), 1);
	ag_gpu_opts_clear(&o);
	assert_memory_equal(&o, &zero, sizeof(o));
	ag_gpu_opts_clear(&o);
	/* After failures at each step. */
	s.rims = rims;
	opts_fail(&s, AG_ECONFIG, "--gpu-rim");
	s.rims = "a";
	s.test_roots_dir = "/nonexistent/attestgate-test-roots";
	opts_fail(&s, AG_ECONFIG, "/nonexistent/attestgate-test-roots");
	/* A zeroed struct that ag_gpu_opts_from never filled. */
	ag_gpu_opts_clear(&zero);
	tu_rmtree(dir);
	free(rims);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_lists_split),
		cmocka_unit_test(test_list_limits),
		cmocka_unit_test(test_test_roots),
		cmocka_unit_test(test_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
