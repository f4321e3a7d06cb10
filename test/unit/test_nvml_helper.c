/*
 * test_nvml_helper.c - lib/platform/nvml_helper.c: ag_gpu_collect runs the
 * attestgate-nvml helper under a deadline.  The real helper
 * (build/attestgate-nvml) with the emulated NVML (build/emul/
 * libnvidia-ml.so.1 serving the 2023 H100 report re-signed by
 * test/emul/nvml_test_ca.sh's test chain; skipped visibly when either is
 * not built or ../shared is absent) returns evidence JSON for the nonce
 * given, and its own message when NVML refuses.  Shell scripts standing in
 * for the helper cover the rest: a missing helper, a failing one (its
 * first stderr line is the message), one killed by a signal, one that
 * hangs past the deadline or is cancelled (killed, the call returns at
 * once), one that prints too much or nothing, and the arguments it gets.
 */
#include "testutil.h"

#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "base/clock.h"
#include "base/digest.h"
#include "format/nvidia_evidence.h"
#include "platform/nvml_helper.h"

#define DIR545 "nvidia/nvtrust-2023-hopper-545"

static const uint8_t nonce[AG_NONCE_GPU_LEN] = { 0x4a, 0x67, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
	0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
	0x1d, 0xff };

/* A scratch directory for the scripts, made once. */
static char *scratch;

static const char *
repo(void)
{
	return getenv("AG_REPO") != NULL ? getenv("AG_REPO") : ".";
}

/* $AG_REPO/build/NAME, or $ENV when set (a new string). */
static char *
built(const char *env, const char *name)
{
	char path[4096];

	if (env != NULL && getenv(env) != NULL)
		return strdup(getenv(env));
	snprintf(path, sizeof(path), "%s/build/%s", repo(), name);
	return strdup(path);
}

/* A shell script helper called name with body (after #!/bin/sh); its path (a new string). */
static char *
script(const char *name, const char *body)
{
	char *p = tu_path(scratch, name), text[1024];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	tu_write(scratch, name, text);
	assert_int_equal(chmod(p, 0755), 0);
	return p;
}

/* The options for helper with a deadline ms from now. */
static struct ag_gpu_collect_opts
opts(const char *helper, int64_t ms)
{
	struct ag_gpu_collect_opts o;

	memset(&o, 0, sizeof(o));
	o.helper = helper;
	o.nonce = nonce;
	o.deadline_ms = ag_clock_mono_ms() + ms;
	return o;
}

/* Collects with o and asserts AG_EEVIDENCE with a message containing every one of why (NULL-ended). */
static void
collect_fails(const struct ag_gpu_collect_opts *o, ...)
{
	uint8_t *json = (uint8_t *)&json;
	size_t len = 7;
	struct ag_err err;
	enum ag_code rc;
	const char *why;
	va_list ap;

	ag_err_clear(&err);
	rc = ag_gpu_collect(o, &json, &len, &err);
	if (rc != AG_EEVIDENCE)
		fail_msg("rc %d: \"%s\"", rc, err.msg);
	va_start(ap, o);
	while ((why = va_arg(ap, const char *)) != NULL)
		if (strstr(err.msg, why) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", err.msg, why);
	va_end(ap);
	assert_null(json);
	assert_int_equal(len, 0);
}

static int
setup(void **state)
{
	(void)state;
	scratch = tu_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_rmtree(scratch);
	free(scratch);
	unsetenv("AG_NVML_LIB");
	unsetenv("AG_NVML_EMUL_DIR");
	return 0;
}

/* --- the real helper with the emulated NVML --- */

/* Makes the emulator's directory (test chain, key, template) and points the environment at it; skips visibly when it cannot. */
static char *
emulated_gpu(char **helper)
{
	char *lib = built("AG_NVML_EMUL", "emul/libnvidia-ml.so.1"), *dir, cmd[4096], src[1024];

	*helper = built("AG_NVML_HELPER", "attestgate-nvml");
	snprintf(src, sizeof(src), "%s/vectors/%s/attestationReport.bin", tu_shared(), DIR545);
	if (access(*helper, X_OK) != 0 || access(lib, R_OK) != 0 || access(src, R_OK) != 0) {
		print_message("# skipped: build/attestgate-nvml or build/emul/libnvidia-ml.so.1 is not built (make check), or "
		    "../shared/vectors/nvidia is not present\n");
		free(lib);
		free(*helper);
		skip();
	}
	dir = tu_mkdtemp();
	snprintf(cmd, sizeof(cmd), "sh '%s/test/emul/nvml_test_ca.sh' '%s' '%s' >/dev/null 2>&1", repo(), dir, src);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(setenv("AG_NVML_LIB", lib, 1), 0);
	assert_int_equal(setenv("AG_NVML_EMUL_DIR", dir, 1), 0);
	free(lib);
	return dir;
}

static void
test_real_helper(void **state)
{
	char *helper, *dir = emulated_gpu(&helper), hex[2 * AG_NONCE_GPU_LEN + 1];
	struct ag_gpu_collect_opts o = opts(helper, 20000);
	struct ag_nv_evidence_entry *e = NULL;
	uint8_t *json = NULL;
	size_t len = 0, n = 0;
	struct ag_err err;

	(void)state;
	if (ag_gpu_collect(&o, &json, &len, &err) != AG_OK)
		fail_msg("%s", err.msg);
	assert_non_null(json);
	assert_int_equal(strlen((const char *)json), len);
	ag_hex_encode(nonce, sizeof(nonce), hex);
	assert_non_null(strstr((const char *)json, hex));
	/* One Hopper whose report carries the nonce in its request. */
	assert_int_equal(ag_nv_evidence_parse(json, len, &e, &n, &err), AG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].arch, "HOPPER");
	assert_int_equal(e[0].has_nonce, 1);
	assert_memory_equal(e[0].nonce, nonce, sizeof(nonce));
	assert_int_equal(e[0].report_len, 4049);
	assert_memory_equal(e[0].report + 4, nonce, sizeof(nonce));
	assert_string_equal(e[0].driver_version, "545.00");
	ag_nv_evidence_free(e, n);
	free(json);
	tu_rmtree(dir);
	free(dir);
	free(helper);
}

static void
test_real_helper_refuses(void **state)
{
	char *helper, *dir = emulated_gpu(&helper);
	struct ag_gpu_collect_opts o = opts(helper, 20000);

	(void)state;
	/* Confidential computing off: the helper's own message, and its exit code. */
	tu_write(dir, "cc_off", "");
	collect_fails(&o, "no GPU evidence: attestgate-nvml: confidential computing is not enabled", "exited 5", NULL);
	/* NVML not loadable. */
	assert_int_equal(setenv("AG_NVML_LIB", "/nonexistent/libnvidia-ml.so.1", 1), 0);
	collect_fails(&o, "no GPU evidence: ", "cannot load the NVML library", "exited 3", NULL);
	tu_rmtree(dir);
	free(dir);
	free(helper);
}

/* --- scripts in the helper's place --- */

static void
test_helper_missing(void **state)
{
	char *p = tu_path(scratch, "no-such-helper");
	struct ag_gpu_collect_opts o = opts(p, 5000);

	(void)state;
	collect_fails(&o, "cannot start the NVML helper ", "no-such-helper", NULL);
	/* A file that is not executable. */
	tu_write(scratch, "not-executable", "#!/bin/sh\nexit 0\n");
	free(p);
	p = tu_path(scratch, "not-executable");
	o.helper = p;
	collect_fails(&o, "cannot start the NVML helper", NULL);
	free(p);
}

static void
test_helper_fails(void **state)
{
	char *p = script("fails", "echo 'ignored on stdout'\necho boom >&2\necho 'second line' >&2\nexit 4");
	struct ag_gpu_collect_opts o = opts(p, 5000);
	struct ag_err err;
	uint8_t *json;
	size_t len;

	(void)state;
	collect_fails(&o, "no GPU evidence: boom (the NVML helper ", "exited 4)", NULL);
	/* Only the first stderr line is the message. */
	ag_err_clear(&err);
	assert_int_equal(ag_gpu_collect(&o, &json, &len, &err), AG_EEVIDENCE);
	assert_null(strstr(err.msg, "second line"));
	assert_null(strstr(err.msg, "ignored on stdout"));
	free(p);
	/* Silent failure, and death by a signal. */
	p = script("silent", "exit 9");
	o.helper = p;
	collect_fails(&o, "no GPU evidence: no message", "exited 9", NULL);
	free(p);
	p = script("killed", "echo dying >&2\nkill -9 $$");
	o.helper = p;
	collect_fails(&o, "no GPU evidence: dying", "was killed by signal 9", NULL);
	free(p);
}

static void
test_helper_long_message(void **state)
{
	char *p = script("long", "printf 'why%0600d\\n' 0 >&2\nexit 4");
	struct ag_gpu_collect_opts o = opts(p, 5000);

	(void)state;
	/* A message longer than what is kept (512 bytes): its first bytes are the message. */
	collect_fails(&o, "no GPU evidence: why000", "exited 4", NULL);
	free(p);
}

static void
test_helper_deadline(void **state)
{
	char *p = script("hangs", "exec sleep 30");
	struct ag_gpu_collect_opts o = opts(p, 300);
	int64_t t0 = ag_clock_mono_ms();
	struct ag_err err;
	uint8_t *json;
	size_t len;

	(void)state;
	collect_fails(&o, "did not finish before the deadline (killed)", NULL);
	assert_true(ag_clock_mono_ms() - t0 >= 250);
	assert_true(ag_clock_mono_ms() - t0 < 2000);
	/* A deadline already past: nothing is waited for, and the failure may be retried. */
	o = opts(p, -1000);
	t0 = ag_clock_mono_ms();
	ag_err_clear(&err);
	assert_int_equal(ag_gpu_collect(&o, &json, &len, &err), AG_EEVIDENCE);
	assert_non_null(strstr(err.msg, "deadline"));
	assert_int_not_equal(err.transient, 0);
	assert_true(ag_clock_mono_ms() - t0 < 2000);
	free(p);
}

static volatile sig_atomic_t cancel_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

static void
test_helper_cancelled(void **state)
{
	char *p = script("hangs-too", "exec sleep 30");
	struct ag_gpu_collect_opts o = opts(p, 20000);
	struct itimerval it = { { 0, 0 }, { 0, 200000 } };
	int64_t t0;

	(void)state;
	/* Set before the call. */
	cancel_flag = 1;
	o.cancel = &cancel_flag;
	t0 = ag_clock_mono_ms();
	collect_fails(&o, "killed", NULL);
	assert_true(ag_clock_mono_ms() - t0 < 2000);
	/* Set by a signal handler 200 ms into the call. */
	cancel_flag = 0;
	signal(SIGALRM, on_alarm);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	t0 = ag_clock_mono_ms();
	collect_fails(&o, "killed", NULL);
	assert_int_equal(cancel_flag, 1);
	assert_true(ag_clock_mono_ms() - t0 >= 150);
	assert_true(ag_clock_mono_ms() - t0 < 2000);
	signal(SIGALRM, SIG_DFL);
	free(p);
}

static void
test_helper_output_bounds(void **state)
{
	char body[256], *p;
	struct ag_gpu_collect_opts o;
	int64_t t0 = ag_clock_mono_ms();

	(void)state;
	snprintf(body, sizeof(body), "head -c %d /dev/zero | tr '\\0' x", AG_NV_EVIDENCE_MAX_BYTES + 4096);
	p = script("chatty", body);
	o = opts(p, 20000);
	collect_fails(&o, "printed more than 8388608 bytes", NULL);
	assert_true(ag_clock_mono_ms() - t0 < 10000);
	free(p);
	/* One that would never stop. */
	p = script("endless", "exec yes");
	o.helper = p;
	collect_fails(&o, "printed more than 8388608 bytes", NULL);
	free(p);
	p = script("quiet", "exit 0");
	o.helper = p;
	collect_fails(&o, "the NVML helper ", "printed no evidence", NULL);
	free(p);
}

static void
test_helper_arguments(void **state)
{
	char *p = script("echoes", "echo \"$0|$#|$1|$2\"; cat; echo '[]' >&2"), want[256], hex[2 * AG_NONCE_GPU_LEN + 1];
	char body[512];
	struct ag_gpu_collect_opts o = opts(p, 5000);
	uint8_t *json = NULL;
	size_t len = 0;
	struct ag_err err;

	(void)state;
	/* Exactly --nonce HEX, stdin empty (/dev/null), stderr of a success ignored; stdout returned as printed. */
	ag_hex_encode(nonce, sizeof(nonce), hex);
	assert_int_equal(ag_gpu_collect(&o, &json, &len, &err), AG_OK);
	snprintf(want, sizeof(want), "%s|2|--nonce|%s\n", p, hex);
	assert_string_equal((const char *)json, want);
	assert_int_equal(len, strlen(want));
	free(json);
	free(p);
	/* Output of exactly the limit is returned whole. */
	snprintf(body, sizeof(body), "head -c %d /dev/zero | tr '\\0' x", AG_NV_EVIDENCE_MAX_BYTES);
	p = script("full", body);
	o.helper = p;
	assert_int_equal(ag_gpu_collect(&o, &json, &len, &err), AG_OK);
	assert_int_equal(len, AG_NV_EVIDENCE_MAX_BYTES);
	assert_int_equal(json[0], 'x');
	assert_int_equal(json[len - 1], 'x');
	free(json);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_helper),
		cmocka_unit_test(test_real_helper_refuses),
		cmocka_unit_test(test_helper_missing),
		cmocka_unit_test(test_helper_fails),
		cmocka_unit_test(test_helper_long_message),
		cmocka_unit_test(test_helper_deadline),
		cmocka_unit_test(test_helper_cancelled),
		cmocka_unit_test(test_helper_output_bounds),
		cmocka_unit_test(test_helper_arguments),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
