/*
 * platform/nvml_helper.c - spawns attestgate-nvml (posix_spawn, stdout and
 * stderr on pipes, stdin /dev/null), reads both with poll() under the
 * deadline, kills it when the deadline passes or the run is cancelled, and
 * turns its exit into an error with its own one-line message.
 */
#include "platform/nvml_helper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "format/nvidia_evidence.h"

#define STDERR_KEPT 512

extern char **environ;

/* The helper's output so far. */
struct child {
	pid_t pid;
	int out, errfd;              /* read ends, -1 once closed */
	struct ag_buf stdout_buf, stderr_buf;
	int overflow;
};

/* Starts the helper with stdout and stderr on pipes. */
static enum ag_code
spawn(const char *helper, const char *nonce_hex, struct child *c, struct ag_err *err)
{
	char *const argv[] = { (char *)"attestgate-nvml", (char *)"--nonce", (char *)nonce_hex, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, e;

	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
		e = errno;
		close(po[0]), close(po[1]);
		return ag_err_set(err, AG_EEVIDENCE, "cannot make pipes for %s: %s", helper, strerror(e));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	/* Its own process group: a kill at the deadline reaches whatever it started too. */
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	e = posix_spawn(&c->pid, helper, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	c->out = po[0];
	c->errfd = pe[0];
	if (e != 0) {
		close(po[0]), close(pe[0]);
		c->out = c->errfd = -1;
		return ag_err_set(err, AG_EEVIDENCE, "cannot start the NVML helper %s: %s (the image ships it; --nvml-helper "
		    "names another)", helper, strerror(e));
	}
	return AG_OK;
}

/* Reads what is there on one pipe; closes it at EOF. */
static void
drain(int *fd, struct ag_buf *b, int *overflow)
{
	uint8_t chunk[8192];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	/* stdout beyond its bound is an error; stderr keeps its first bytes and the rest is read and dropped. */
	if (n > 0 && overflow == NULL)
		(void)ag_buf_append(b, chunk, (size_t)n < b->max - b->len ? (size_t)n : b->max - b->len);
	else if (n > 0 && ag_buf_append(b, chunk, (size_t)n) != 0)
		*overflow = 1;
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		close(*fd);
		*fd = -1;
	}
}

/* Reads both pipes until both close, the deadline passes or the run is cancelled; 0, or -1 on time out. */
static int
read_all(struct child *c, const struct ag_gpu_collect_opts *o)
{
	while (c->out >= 0 || c->errfd >= 0) {
		struct pollfd p[2] = { { .fd = c->out, .events = POLLIN }, { .fd = c->errfd, .events = POLLIN } };
		int64_t left = o->deadline_ms - ag_clock_mono_ms();

		if (left <= 0 || (o->cancel != NULL && *o->cancel) || c->overflow)
			return -1;
		if (poll(p, 2, left > 200 ? 200 : (int)left) < 0 && errno != EINTR)
			return -1;
		if (c->out >= 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
			drain(&c->out, &c->stdout_buf, &c->overflow);
		if (c->errfd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
			drain(&c->errfd, &c->stderr_buf, NULL);
	}
	return 0;
}

/* The helper's first stderr line (its message), or a stand-in. */
static const char *
helper_message(struct child *c)
{
	char *s = (char *)c->stderr_buf.data, *nl;

	if (s == NULL || c->stderr_buf.len == 0)
		return "no message";
	if ((nl = strchr(s, '\n')) != NULL)
		*nl = '\0';
	return s;
}

/* Reaps the helper by the deadline (its pipes may close before it exits); 0, or -1 when it had to be killed. */
static int
reap(struct child *c, const struct ag_gpu_collect_opts *o, int kill_now, int *status)
{
	while (!kill_now && ag_clock_mono_ms() < o->deadline_ms && (o->cancel == NULL || !*o->cancel)) {
		pid_t r = waitpid(c->pid, status, WNOHANG);

		if (r == c->pid)
			return 0;
		if (r < 0 && errno != EINTR)
			break;
		if (r == 0)
			ag_clock_sleep_ms(20, NULL);
	}
	kill(-c->pid, SIGKILL);   /* the helper's process group */
	while (waitpid(c->pid, status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* Waits for the helper (killed when it overran or outlives the deadline) and judges its exit. */
static enum ag_code
finish(struct child *c, const struct ag_gpu_collect_opts *o, const char *helper, int timed_out, struct ag_err *err)
{
	int status = 0;

	timed_out = reap(c, o, timed_out || c->overflow, &status) != 0 && !c->overflow;
	if (c->overflow)
		return ag_err_set(err, AG_EEVIDENCE, "the NVML helper %s printed more than %d bytes", helper,
		    AG_NV_EVIDENCE_MAX_BYTES);
	if (timed_out)
		return ag_err_set_transient(err, AG_EEVIDENCE, "the NVML helper %s did not finish before the deadline "
		    "(killed)", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ag_err_set(err, AG_EEVIDENCE, "no GPU evidence: %.300s (the NVML helper %s %s %d)", helper_message(c),
		    helper, WIFEXITED(status) ? "exited" : "was killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (c->stdout_buf.len == 0)
		return ag_err_set(err, AG_EEVIDENCE, "the NVML helper %s printed no evidence", helper);
	return AG_OK;
}

enum ag_code
ag_gpu_collect(const struct ag_gpu_collect_opts *o, uint8_t **json, size_t *len, struct ag_err *err)
{
	const char *helper = o->helper != NULL ? o->helper : AG_NVML_HELPER_DEFAULT;
	char hex[2 * AG_NONCE_GPU_LEN + 1];
	struct child c;
	enum ag_code rc;
	int timed_out;

	*json = NULL;
	*len = 0;
	memset(&c, 0, sizeof(c));
	ag_buf_init(&c.stdout_buf, AG_NV_EVIDENCE_MAX_BYTES);
	ag_buf_init(&c.stderr_buf, STDERR_KEPT);
	ag_hex_encode(o->nonce, AG_NONCE_GPU_LEN, hex);
	if ((rc = spawn(helper, hex, &c, err)) != AG_OK)
		return rc;
	timed_out = read_all(&c, o) != 0;
	if (c.out >= 0)
		close(c.out);
	if (c.errfd >= 0)
		close(c.errfd);
	rc = finish(&c, o, helper, timed_out, err);
	if (rc == AG_OK)
		*json = ag_buf_steal(&c.stdout_buf, len);
	ag_buf_free(&c.stdout_buf);
	ag_buf_free(&c.stderr_buf);
	return rc;
}
