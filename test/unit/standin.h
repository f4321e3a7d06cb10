/*
 * standin.h - what the node and verifier unit tests share: the real vectors
 * of ../shared (skipped visibly when absent), child processes (the Python
 * stand-ins of test/services and test/emul, swtpm) started with fork/exec
 * and stopped by their pid, and a plain-HTTP stand-in on 127.0.0.1 that
 * answers each connection with canned bytes (or never answers).  Every
 * address is loopback.  Header-only, like testutil.h.
 */
#ifndef AG_STANDIN_H
#define AG_STANDIN_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "testutil.h"

#include "base/fileio.h"

static inline const char *
si_repo(void)
{
	return getenv("AG_REPO") != NULL ? getenv("AG_REPO") : ".";
}

/* $AG_SHARED, else ../shared next to the repository. */
static inline const char *
si_shared(void)
{
	static char path[4096];

	if (getenv("AG_SHARED") != NULL)
		return getenv("AG_SHARED");
	snprintf(path, sizeof(path), "%s/../shared", si_repo());
	return path;
}

static inline const char *
si_python(void)
{
	return getenv("AG_PYTHON") != NULL ? getenv("AG_PYTHON") : "/usr/bin/python3";
}

/* ../shared/vectors/NAME into a new NUL-terminated buffer, or NULL (saying so) when absent. */
static inline uint8_t *
si_vec(const char *name, size_t *len)
{
	char path[4096];
	uint8_t *buf = NULL;
	struct ag_err err;

	snprintf(path, sizeof(path), "%s/vectors/%s", si_shared(), name);
	if (access(path, R_OK) != 0) {
		print_message("# skipped: %s is not present\n", path);
		return NULL;
	}
	assert_int_equal(ag_file_read(path, 1 << 20, AG_ECONFIG, &buf, len, &err), AG_OK);
	return buf;
}

/* Starts argv[0] (searched in PATH) with stdout and stderr to out (or /dev/null); the child dies with the test. */
static inline pid_t
si_spawn(char *const argv[], const char *out)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(out != NULL ? out : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Stops a child started here: SIGTERM, then SIGKILL after two seconds; reaps it. */
static inline void
si_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Runs argv to completion with stdout into *out (NUL-terminated, may be NULL); the exit status, or -1. */
static inline int
si_run(char *const argv[], uint8_t **out, size_t *len)
{
	int p[2], status = 0;
	size_t n = 0, cap = 65536;
	uint8_t *buf = malloc(cap + 1);
	pid_t pid;

	assert_non_null(buf);
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], 1);
		if (null >= 0)
			dup2(null, 2);
		close(p[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			buf = realloc(buf, (cap *= 2) + 1);
			assert_non_null(buf);
		}
		r = read(p[0], buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(p[0]);
	buf[n] = '\0';
	waitpid(pid, &status, 0);
	if (out != NULL) {
		*out = buf;
		*len = n;
	} else {
		free(buf);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Nonzero when the Python stand-ins can run here (python3 with the cryptography module). */
static inline int
si_have_python(void)
{
	static int have = -1;
	char *argv[] = { (char *)si_python(), (char *)"-c", (char *)"import cryptography", NULL };

	if (have < 0)
		have = si_run(argv, NULL, NULL) == 0;
	return have;
}

/* Waits up to ms for path to be non-empty while pid lives; 0 when it is. */
static inline int
si_wait_file(const char *path, pid_t pid, int ms)
{
	struct stat st;

	for (int i = 0; i < ms / 10; i++) {
		if (stat(path, &st) == 0 && st.st_size > 0)
			return 0;
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	return -1;
}

/* The decimal number in dir/name (a port file), or -1. */
static inline int
si_read_port(const char *dir, const char *name)
{
	char *s = tu_read(dir, name, NULL);
	int port = s != NULL ? atoi(s) : -1;

	free(s);
	return port > 0 ? port : -1;
}

/* --- the canned plain-HTTP stand-in ------------------------------------- */

/* Reads one request (head and Content-Length body) from fd, appends it to log (when not NULL). */
static inline void
si_canned_read(int fd, const char *log)
{
	char buf[262144];
	size_t n = 0;
	char *head_end = NULL;
	long want = -1;

	while (n < sizeof(buf) - 1) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, 5000) <= 0)
			break;
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		buf[n] = '\0';
		if (head_end == NULL && (head_end = strstr(buf, "\r\n\r\n")) != NULL) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");

			want = (long)(head_end + 4 - buf) + (cl != NULL && cl < head_end ? atol(cl + 17) : 0);
		}
		if (want >= 0 && (long)n >= want)
			break;
	}
	if (log != NULL) {
		FILE *f = fopen(log, "a");

		if (f != NULL) {
			fwrite(buf, 1, n, f);
			fputs("\n--end--\n", f);
			fclose(f);
		}
	}
}

/*
 * Starts a server on 127.0.0.1 (its port in *port) that answers the i-th
 * connection with answers[i] (the last one again after that) and closes it;
 * a NULL answer never answers.  Requests are appended to log.
 */
static inline pid_t
si_canned_start(const char *const *answers, const size_t *lens, int n, const char *log, int *port)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	pid_t pid;

	assert_true(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 16), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0) {
		close(s);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0;; i++) {
		int c = accept(s, NULL, NULL);
		int k = i < n ? i : n - 1;

		if (c < 0)
			continue;
		si_canned_read(c, log);
		if (answers[k] == NULL) {
			pause();
			_exit(0);
		}
		for (size_t off = 0; off < lens[k];) {
			ssize_t w = write(c, answers[k] + off, lens[k] - off);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		shutdown(c, SHUT_WR);
		close(c);
	}
}

/* An HTTP/1.1 answer with status and body, as a new string (Connection: close). */
static inline char *
si_http_answer(int status, const char *body, size_t len, size_t *out_len)
{
	size_t cap = len + 256;
	char *s = malloc(cap);
	int h;

	assert_non_null(s);
	h = snprintf(s, cap, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n\r\n", status, len);
	memcpy(s + h, body, len);
	*out_len = (size_t)h + len;
	return s;
}

/* A TCP port on 127.0.0.1 where nothing listens (bound, then closed). */
static inline int
si_closed_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* --- the Python stand-ins ------------------------------------------------ */

/* Makes the test TLS PKI (ca.pem, server.pem, server.key, other-ca.pem) in dir, the server also named name (or NULL); 0 on success. */
static inline int
si_testpki_named(const char *dir, const char *name)
{
	char script[4096];
	char *argv[] = { (char *)si_python(), script, (char *)dir, (char *)name, NULL };

	snprintf(script, sizeof(script), "%s/test/services/testpki.py", si_repo());
	return si_run(argv, NULL, NULL);
}

/* Makes the test TLS PKI in dir (127.0.0.1, ::1, localhost); 0 on success. */
static inline int
si_testpki(const char *dir)
{
	return si_testpki_named(dir, NULL);
}

/* Makes the test/emul PKI (AMD and Intel test chains, thim.json) in dir; 0 on success. */
static inline int
si_tee_pki(const char *dir)
{
	char script[4096];
	char *argv[] = { (char *)si_python(), script, (char *)"pki", (char *)dir, NULL };

	snprintf(script, sizeof(script), "%s/test/emul/tee_emul.py", si_repo());
	mkdir(dir, 0700);
	return si_run(argv, NULL, NULL);
}

/*
 * Starts test/services/maa_service.py with --pki pki --state state and the
 * extra arguments (NULL-terminated); its HTTPS port in *port and, when it
 * has one, its plain-HTTP IMDS port in *thim_port (else -1).  The pid, or -1.
 */
static inline pid_t
si_maa_start(const char *pki, const char *state, const char *const *extra, int *port, int *thim_port)
{
	char script[4096], *argv[32], *portfile = tu_path(state, "port"), *log = tu_path(state, "stderr");
	int n = 0;
	pid_t pid;

	snprintf(script, sizeof(script), "%s/test/services/maa_service.py", si_repo());
	mkdir(state, 0700);
	argv[n++] = (char *)si_python();
	argv[n++] = script;
	argv[n++] = (char *)"--pki";
	argv[n++] = (char *)pki;
	argv[n++] = (char *)"--state";
	argv[n++] = (char *)state;
	for (int i = 0; extra != NULL && extra[i] != NULL && n < 30; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	pid = si_spawn(argv, log);
	if (si_wait_file(portfile, pid, 20000) != 0) {
		char *why = tu_read(state, "stderr", NULL);

		print_message("# maa_service did not start: %.400s\n", why != NULL ? why : "");
		free(why);
		si_stop(pid);
		pid = -1;
	}
	*port = pid > 0 ? si_read_port(state, "port") : -1;
	*thim_port = pid > 0 ? si_read_port(state, "thim-port") : -1;
	free(portfile);
	free(log);
	return pid;
}

/* One swtpm of a test: its directory, socket, the --tcti spec for it and its pid. */
struct si_swtpm {
	char *dir, *sock, spec[4200];
	pid_t pid;
};

/* Starts swtpm on dir/tpm.sock with the state in dir/state; 0 when its socket answers. */
static inline int
si_swtpm_start(struct si_swtpm *e)
{
	char state[4200], server[4200], ctrl[4200], log[4200];
	char *argv[] = { (char *)"swtpm", (char *)"socket", (char *)"--tpm2", (char *)"--tpmstate", state, (char *)"--server",
		server, (char *)"--ctrl", ctrl, (char *)"--flags", (char *)"not-need-init,startup-clear", (char *)"--log", log,
		NULL };

	snprintf(state, sizeof(state), "dir=%s/state", e->dir);
	snprintf(server, sizeof(server), "type=unixio,path=%s", e->sock);
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s.ctrl", e->sock);
	snprintf(log, sizeof(log), "file=%s/swtpm.log", e->dir);
	e->pid = si_spawn(argv, NULL);
	for (int i = 0; i < 500; i++) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0), ok;

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", e->sock);
		ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(s);
		if (ok)
			return 0;
		if (waitpid(e->pid, NULL, WNOHANG) == e->pid) {
			e->pid = 0;
			return -1;
		}
		usleep(10000);
	}
	return -1;
}

/* A fresh directory with an empty state for one swtpm. */
static inline void
si_swtpm_new(struct si_swtpm *e)
{
	char state[4200];

	memset(e, 0, sizeof(*e));
	e->dir = tu_mkdtemp();
	e->sock = tu_path(e->dir, "tpm.sock");
	snprintf(e->spec, sizeof(e->spec), "swtpm:path=%s", e->sock);
	snprintf(state, sizeof(state), "%s/state", e->dir);
	assert_int_equal(mkdir(state, 0700), 0);
}

/* Stops the swtpm and removes its directory. */
static inline void
si_swtpm_free(struct si_swtpm *e)
{
	si_stop(e->pid);
	e->pid = 0;
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->sock);
}

#endif
