/*
 * test_output.c - the output writer: atomicity under a killed writer,
 * removal of an earlier run's outputs, the write order, file modes,
 * success/failure/audit publication, the termination message.
 */
#include "testutil.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>

#include "publish/output.h"

static void
fail_status(struct ag_status *st, enum ag_code code, const char *msg)
{
	ag_status_init(st, code, msg);
	st->policy_known = 1;
	st->policy_name = "azure-cvm";
	st->policy_sha256 = "ab";
}

static void
test_open_missing_dir(void **state)
{
	struct ag_output *out = NULL;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_output_open("/nonexistent/attestgate", &out, &err), AG_ECONFIG);
	assert_null(out);
	assert_non_null(strstr(err.msg, "/nonexistent/attestgate"));
	assert_non_null(strstr(err.msg, "emptyDir"));
}

static void
test_open_not_a_directory(void **state)
{
	char *dir = tu_mkdtemp(), *file = tu_path(dir, "plain");
	struct ag_output *out = NULL;
	struct ag_err err;

	(void)state;
	tu_write(dir, "plain", "x");
	assert_int_equal(ag_output_open(file, &out, &err), AG_ECONFIG);
	assert_non_null(strstr(err.msg, "Not a directory"));
	free(file);
	tu_rmtree(dir);
	free(dir);
}

/*
 * The key files an earlier run released (its status.json lists them) go at
 * open, whatever this run's policy names; names that are not plain key file
 * names are left alone; ag_output_remove takes one more by name.
 */
static void
test_open_removes_released_keys(void **state)
{
	char *dir = tu_mkdtemp();
	struct ag_output *out = NULL;
	struct ag_err err;

	(void)state;
	tu_write(dir, "data.key", "secret");
	tu_write(dir, "app.pem", "secret");
	tu_write(dir, "other.key", "not listed: kept");
	tu_write(dir, "status.json", "{\"keys\":[{\"file\":\"data.key\"},{\"file\":\"app.pem\",\"released\":false},"
	    "{\"file\":\"../outside\"},{\"file\":\"ready\"},{\"file\":7}]}");
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_false(tu_exists(dir, "data.key"));
	assert_false(tu_exists(dir, "app.pem"));
	assert_true(tu_exists(dir, "other.key"));
	assert_false(tu_exists(dir, "status.json"));
	assert_int_equal(ag_output_remove(out, "other.key", &err), AG_OK);
	assert_false(tu_exists(dir, "other.key"));
	assert_int_equal(ag_output_remove(out, "gone.key", &err), AG_OK);
	assert_int_equal(ag_output_remove(out, "../x", &err), AG_ECONFIG);
	assert_int_equal(ag_output_remove(out, ".hidden", &err), AG_ECONFIG);
	ag_output_close(out);
	/* A status.json that is not JSON removes nothing more and is no error. */
	tu_write(dir, "data.key", "secret");
	tu_write(dir, "status.json", "{not json");
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_true(tu_exists(dir, "data.key"));
	ag_output_close(out);
	tu_rmtree(dir);
	free(dir);
}

/* Everything an earlier run (or a killed writer) left is gone after open. */
static void
test_open_removes_stale_outputs(void **state)
{
	char *dir = tu_mkdtemp(), *ev = tu_path(dir, "evidence");
	struct ag_output *out = NULL;
	struct ag_err err;

	(void)state;
	tu_write(dir, "token", "eyJold");
	tu_write(dir, "ready", "");
	tu_write(dir, "claims.json", "{}");
	tu_write(dir, "jwks.json", "{}");
	tu_write(dir, "status.json", "{\"status\":\"True\"}");
	tu_write(dir, ".token.tmp.99.0", "partial");
	tu_write(dir, "unrelated.txt", "keep me");
	assert_int_equal(mkdir(ev, 0755), 0);
	tu_write(ev, "hcl-report.bin", "x");
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_false(tu_exists(dir, "token"));
	assert_false(tu_exists(dir, "ready"));
	assert_false(tu_exists(dir, "claims.json"));
	assert_false(tu_exists(dir, "jwks.json"));
	assert_false(tu_exists(dir, "status.json"));
	assert_false(tu_exists(dir, "evidence"));
	assert_false(tu_exists(dir, ".token.tmp.99.0"));
	assert_true(tu_exists(dir, "unrelated.txt"));
	ag_output_close(out);
	free(ev);
	tu_rmtree(dir);
	free(dir);
}

/* Issue 17 finding 14: stale entries of unexpected types are removed, symlinks never followed. */
static void
test_open_removes_stale_entries_of_any_type(void **state)
{
	char *dir = tu_mkdtemp(), *outside = tu_mkdtemp(), *ready = tu_path(dir, "ready"),
	     *token = tu_path(dir, "token"), *sub = tu_path(dir, "token/deeper"), *ev = tu_path(dir, "evidence"),
	     *claims = tu_path(dir, "claims.json");
	struct ag_output *out = NULL;
	struct ag_err err;

	(void)state;
	assert_int_equal(mkdir(ready, 0755), 0);
	tu_write(ready, "inside", "x");
	assert_int_equal(mkdir(token, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	tu_write(sub, "f", "x");
	tu_write(dir, "evidence", "a file where a directory was");
	tu_write(outside, "precious", "must survive");
	assert_int_equal(symlink(outside, claims), 0);
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_false(tu_exists(dir, "ready"));
	assert_false(tu_exists(dir, "token"));
	assert_false(tu_exists(dir, "evidence"));
	assert_false(tu_exists(dir, "claims.json"));
	assert_true(tu_exists(outside, "precious"));
	ag_output_close(out);
	/* A stale output nested deeper than the removal goes is set aside, not a wedge. */
	{
		char deep[512];

		snprintf(deep, sizeof(deep), "%s/status.json/1/2/3/4/5/6/7/8/9/10", dir);
		for (char *p = deep + strlen(dir) + 1; *p != '\0'; p++)
			if (*p == '/') {
				*p = '\0';
				mkdir(deep, 0755);
				*p = '/';
			}
		mkdir(deep, 0755);
		assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
		assert_false(tu_exists(dir, "status.json"));
		ag_output_close(out);
	}
	/* And the evidence directory as a symlink to a directory elsewhere: the link goes, the target stays. */
	assert_int_equal(symlink(outside, ev), 0);
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_false(tu_exists(dir, "evidence"));
	assert_true(tu_exists(outside, "precious"));
	ag_output_close(out);
	free(ready);
	free(token);
	free(sub);
	free(ev);
	free(claims);
	tu_rmtree(dir);
	tu_rmtree(outside);
	free(dir);
	free(outside);
}

/* The acceptance case: a failing pass over a directory holding token and ready. */
static void
test_failed_run_leaves_no_token_and_says_why(void **state)
{
	char *dir = tu_mkdtemp(), *s;
	struct ag_output *out = NULL;
	struct ag_publish pub = { 0 };
	struct ag_status st;
	struct ag_err err;
	json_t *j;

	(void)state;
	tu_write(dir, "token", "eyJold.eyJold.sig");
	tu_write(dir, "ready", "");
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	fail_status(&st, AG_EVERIFIER, "verifier https://x unreachable for 2m0s");
	pub.status = &st;
	pub.token = "eyJnew.eyJnew.sig";   /* must not be written on failure */
	pub.jwks = "{\"keys\":[]}";
	pub.claims = json_object();
	assert_int_equal(ag_output_publish(out, &pub, &err), AG_OK);
	json_decref(pub.claims);
	assert_false(tu_exists(dir, "token"));
	assert_false(tu_exists(dir, "ready"));
	assert_false(tu_exists(dir, "claims.json"));
	assert_false(tu_exists(dir, "jwks.json"));
	s = tu_read(dir, "status.json", NULL);
	assert_non_null(s);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "False");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "VerifierUnavailable");
	assert_string_equal(json_string_value(json_object_get(j, "message")),
	    "verifier https://x unreachable for 2m0s");
	assert_int_equal(tu_mode(dir, "status.json"), 0444);
	json_decref(j);
	free(s);
	ag_output_close(out);
	tu_rmtree(dir);
	free(dir);
}

static void
test_success_writes_all_with_modes(void **state)
{
	char *dir = tu_mkdtemp(), *s, *ev;
	struct ag_output *out = NULL;
	struct ag_publish pub = { 0 };
	struct ag_evidence_file files[2] = { { "hcl-report.bin", (const uint8_t *)"HCLA", 4 },
		{ "quote.msg", (const uint8_t *)"\xff" "TCG", 4 } };
	struct ag_status st;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	ag_status_init(&st, AG_OK, "attested");
	pub.status = &st;
	pub.token = "eyJh.eyJi.c2ln";
	pub.jwks = "{\"keys\":[]}";
	pub.claims = json_pack("{s:b}", "secureboot", 1);
	pub.evidence = files;
	pub.n_evidence = 2;
	assert_int_equal(ag_output_publish(out, &pub, &err), AG_OK);
	json_decref(pub.claims);
	s = tu_read(dir, "token", NULL);
	assert_string_equal(s, "eyJh.eyJi.c2ln");
	free(s);
	assert_int_equal(tu_mode(dir, "token"), 0440);
	assert_int_equal(tu_mode(dir, "claims.json"), 0444);
	assert_int_equal(tu_mode(dir, "jwks.json"), 0444);
	assert_int_equal(tu_mode(dir, "status.json"), 0444);
	assert_int_equal(tu_mode(dir, "ready"), 0444);
	ev = tu_path(dir, "evidence");
	assert_int_equal(tu_mode(ev, "hcl-report.bin"), 0444);
	s = tu_read(ev, "quote.msg", NULL);
	assert_memory_equal(s, "\xff" "TCG", 4);
	free(s);
	s = tu_read(dir, "claims.json", NULL);
	assert_non_null(strstr(s, "\"secureboot\": true"));
	free(s);
	assert_int_equal(tu_count_matching(dir, ".tmp."), 0);
	free(ev);
	ag_output_close(out);
	tu_rmtree(dir);
	free(dir);
}

/* The order of the design, observed as rename events: evidence, jwks, token, claims, status, ready. */
static void
test_write_order(void **state)
{
	static const char *const want[] = { "evidence", "jwks.json", "token", "claims.json",
		"status.json", "ready" };
	char *dir = tu_mkdtemp(), buf[8192];
	struct ag_output *out = NULL;
	struct ag_publish pub = { 0 };
	struct ag_evidence_file file = { "pcrs.bin", (const uint8_t *)"p", 1 };
	struct ag_status st;
	struct ag_err err;
	size_t seen = 0;
	ssize_t n;
	int fd;

	(void)state;
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	fd = inotify_init1(IN_NONBLOCK);
	assert_true(fd >= 0);
	assert_true(inotify_add_watch(fd, dir, IN_MOVED_TO) >= 0);
	ag_status_init(&st, AG_OK, "attested");
	pub.status = &st;
	pub.token = "eyJh.eyJi.c2ln";
	pub.jwks = "{}";
	pub.claims = json_object();
	pub.evidence = &file;
	pub.n_evidence = 1;
	assert_int_equal(ag_output_publish(out, &pub, &err), AG_OK);
	json_decref(pub.claims);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			assert_true(seen < 6);
			assert_string_equal(ev->name, want[seen]);
			seen++;
			p += sizeof(*ev) + ev->len;
		}
	}
	assert_int_equal(seen, 6);
	close(fd);
	ag_output_close(out);
	tu_rmtree(dir);
	free(dir);
}

/* mode: audit lets the pod start: token and ready exist, status stays False/PolicyDenied. */
static void
test_audit_denial_passes(void **state)
{
	char *dir = tu_mkdtemp(), *s;
	struct ag_output *out = NULL;
	struct ag_publish pub = { 0 };
	struct ag_status st;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	fail_status(&st, AG_EPOLICY, "rule /secureboot equals true: got false");
	st.audit = 1;
	pub.status = &st;
	pub.token = "eyJh.eyJi.c2ln";
	assert_int_equal(ag_status_exit_code(&st), AG_OK);
	assert_int_equal(ag_output_publish(out, &pub, &err), AG_OK);
	assert_true(tu_exists(dir, "token"));
	assert_true(tu_exists(dir, "ready"));
	s = tu_read(dir, "status.json", NULL);
	assert_non_null(strstr(s, "\"reason\": \"PolicyDenied\""));
	assert_non_null(strstr(s, "\"status\": \"False\""));
	assert_non_null(strstr(s, "\"mode\": \"audit\""));
	free(s);
	ag_output_close(out);
	tu_rmtree(dir);
	free(dir);
}

static void
test_bad_names_rejected(void **state)
{
	char *dir = tu_mkdtemp();
	struct ag_output *out = NULL;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_int_equal(ag_output_write_file(out, "../escape", "x", 1, 0444, &err), AG_ECONFIG);
	assert_int_equal(ag_output_write_file(out, ".hidden", "x", 1, 0444, &err), AG_ECONFIG);
	assert_int_equal(ag_output_write_file(out, "", "x", 1, 0444, &err), AG_ECONFIG);
	assert_int_equal(tu_count_matching(dir, "escape"), 0);
	ag_output_close(out);
	tu_rmtree(dir);
	free(dir);
}

/* A symlink planted at the final name is replaced, never followed. */
static void
test_symlink_not_followed(void **state)
{
	char *dir = tu_mkdtemp(), *victim = tu_mkdtemp(), *target = tu_path(victim, "x"),
	     *link = tu_path(dir, "claims.json"), *s;
	struct ag_output *out = NULL;
	struct ag_err err;

	(void)state;
	tu_write(victim, "x", "original");
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(ag_output_write_file(out, "claims.json", "{}", 2, 0444, &err), AG_OK);
	s = tu_read(victim, "x", NULL);
	assert_string_equal(s, "original");
	free(s);
	ag_output_close(out);
	free(target);
	free(link);
	tu_rmtree(dir);
	tu_rmtree(victim);
	free(dir);
	free(victim);
}

#define BIG (1u << 20)

/* Reads name and checks it is absent, or whole and uniform ('A' or 'B' times BIG). */
static void
check_whole(const char *dir, const char *name)
{
	size_t len = 0;
	char *s = tu_read(dir, name, &len);

	if (s == NULL)
		return;
	assert_int_equal(len, BIG);
	assert_true(s[0] == 'A' || s[0] == 'B');
	for (size_t i = 1; i < len; i++)
		if (s[i] != s[0])
			fail_msg("partial file: byte %zu is %c after %c", i, s[i], s[0]);
	free(s);
}

/*
 * A writer rewrites token and status.json as fast as it can and is killed
 * with SIGKILL at varying points; a reader checking all along, and after
 * each kill, never sees a partial file.  Then open() clears the orphaned
 * temporaries.
 */
static void
test_killed_writer_never_exposes_partial_files(void **state)
{
	char *dir = tu_mkdtemp();
	char *a = malloc(BIG), *b = malloc(BIG);
	struct ag_output *out = NULL;
	struct ag_err err;
	int orphans = 0;

	(void)state;
	memset(a, 'A', BIG);
	memset(b, 'B', BIG);
	for (int round = 0; round < 12; round++) {
		pid_t pid = fork();
		struct timespec ts0, ts;
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			struct ag_output *o = NULL;

			if (ag_output_open(dir, &o, NULL) != AG_OK)
				_exit(3);
			for (unsigned i = 0;; i++) {
				ag_output_write_file(o, "token", i % 2 ? a : b, BIG, 0440, NULL);
				ag_output_write_file(o, "status.json", i % 2 ? b : a, BIG, 0444, NULL);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &ts0);
		/* Read while the writer runs, for a few milliseconds that vary per round. */
		do {
			check_whole(dir, "token");
			check_whole(dir, "status.json");
			clock_gettime(CLOCK_MONOTONIC, &ts);
		} while ((ts.tv_sec - ts0.tv_sec) * 1000000000L + (ts.tv_nsec - ts0.tv_nsec) <
		    (long)(3 + round * 7) * 1000000L);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		check_whole(dir, "token");
		check_whole(dir, "status.json");
		orphans += tu_count_matching(dir, ".tmp.");
	}
	/* Most kills land mid-write (1 MiB writes with fsync), leaving a temporary behind. */
	assert_true(orphans > 0);
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_int_equal(tu_count_matching(dir, ".tmp."), 0);
	assert_false(tu_exists(dir, "token"));
	ag_output_close(out);
	free(a);
	free(b);
	tu_rmtree(dir);
	free(dir);
}

/* Deterministic twin of the kill test: the state a kill between write and rename leaves. */
static void
test_simulated_crash_before_rename(void **state)
{
	char *dir = tu_mkdtemp(), *s;
	struct ag_output *out = NULL;
	struct ag_err err;

	(void)state;
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_int_equal(ag_output_write_file(out, "status.json", "{\"v\":1}", 7, 0444, &err), AG_OK);
	ag_output_close(out);
	tu_write(dir, ".status.json.tmp.4242.7", "{\"v\":2, \"trunc");
	s = tu_read(dir, "status.json", NULL);
	assert_string_equal(s, "{\"v\":1}");
	free(s);
	assert_int_equal(ag_output_open(dir, &out, &err), AG_OK);
	assert_int_equal(tu_count_matching(dir, ".tmp."), 0);
	ag_output_close(out);
	tu_rmtree(dir);
	free(dir);
}

/*
 * As a user without write access (uid 65534 in a child when we are root),
 * open fails with a message that says what to do.  dir_mode 0700: cannot
 * even enter it; 0555: can list but not remove the old token.
 */
static void
check_unwritable_dir(mode_t dir_mode, int stale_token)
{
	char *dir = tu_mkdtemp();
	pid_t pid;
	int status, pfd[2];
	char msg[AG_ERR_MSG_MAX] = "";

	if (stale_token)
		tu_write(dir, "token", "eyJold");
	if (geteuid() != 0)
		dir_mode &= 0555;   /* not root: the owner bits are what deny us */
	assert_int_equal(chmod(dir, dir_mode), 0);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ag_output *o = NULL;
		struct ag_err e;
		enum ag_code rc;

		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(9);
		rc = ag_output_open(dir, &o, &e);
		if (write(pfd[1], e.msg, strlen(e.msg)) < 0)
			_exit(8);
		_exit(rc == AG_ECONFIG ? 0 : 1);
	}
	close(pfd[1]);
	assert_true(read(pfd[0], msg, sizeof(msg) - 1) > 0);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(msg, "Permission denied"));
	assert_non_null(strstr(msg, "writable"));
	assert_true(!stale_token || tu_exists(dir, "token"));
	chmod(dir, 0755);
	tu_rmtree(dir);
	free(dir);
}

static void
test_unwritable_dir(void **state)
{
	(void)state;
	check_unwritable_dir(0700, 1);
	check_unwritable_dir(0555, 1);
	/* Nothing stale to remove: still found at open, before any verifier is asked (issue 18: 16). */
	check_unwritable_dir(0555, 0);
}

static void
test_termination_message(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "termination-log"), *s, big[6000];
	struct ag_err err;
	size_t len = 0;

	(void)state;
	/* Not under a kubelet: the default file is missing and nothing is created. */
	assert_int_equal(ag_termination_message_write(path, "x", 0, &err), AG_OK);
	assert_false(tu_exists(dir, "termination-log"));
	assert_int_equal(ag_termination_message_write(path, "policy denied: /secureboot", 1, &err), AG_OK);
	s = tu_read(dir, "termination-log", NULL);
	assert_string_equal(s, "policy denied: /secureboot\n");
	free(s);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ag_termination_message_write(path, big, 0, &err), AG_OK);
	s = tu_read(dir, "termination-log", &len);
	assert_int_equal(len, 4095);
	assert_int_equal(s[len - 1], '\n');
	free(s);
	assert_int_equal(ag_termination_message_write("/nonexistent/dir/t", "x", 1, &err), AG_ECONFIG);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing_dir),
		cmocka_unit_test(test_open_not_a_directory),
		cmocka_unit_test(test_open_removes_stale_outputs),
		cmocka_unit_test(test_open_removes_released_keys),
		cmocka_unit_test(test_open_removes_stale_entries_of_any_type),
		cmocka_unit_test(test_failed_run_leaves_no_token_and_says_why),
		cmocka_unit_test(test_success_writes_all_with_modes),
		cmocka_unit_test(test_write_order),
		cmocka_unit_test(test_audit_denial_passes),
		cmocka_unit_test(test_bad_names_rejected),
		cmocka_unit_test(test_symlink_not_followed),
		cmocka_unit_test(test_killed_writer_never_exposes_partial_files),
		cmocka_unit_test(test_simulated_crash_before_rename),
		cmocka_unit_test(test_unwritable_dir),
		cmocka_unit_test(test_termination_message),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
