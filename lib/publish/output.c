/*
 * publish/output.c - atomic, ordered writes into the output directory.
 *
 * All operations are relative to one directory descriptor (openat,
 * renameat, unlinkat) so the directory cannot be swapped underneath us, and
 * O_NOFOLLOW/O_EXCL keep a planted symlink from redirecting a write.
 */
#include "publish/output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"

#define TMP_MARK ".tmp."
#define EVIDENCE_DIR "evidence"
#define TERMINATION_MAX (AG_TERMINATION_MESSAGE_MAX + 1)   /* the text and its newline */

struct ag_output {
	int dirfd;
	char *path;
	unsigned seq;   /* makes temporary names unique within the process */
};

/* Outputs of earlier runs, removed in this order: ready first, so a reader never sees ready without token. */
static const char *const stale_outputs[] = { "ready", "token", "claims.json", "jwks.json", "status.json" };

/* What to do about an errno, for the people reading the message in kubectl describe. */
static const char *
hint(int e)
{
	if (e == EACCES || e == EROFS || e == EPERM)
		return " (mount a writable emptyDir there, writable by uid 65532)";
	if (e == ENOENT)
		return " (mount the attestgate emptyDir there or pass --output-dir)";
	return "";
}

static enum ag_code
io_err(struct ag_err *err, const struct ag_output *out, const char *what, const char *name)
{
	int e = errno;

	return ag_err_set(err, AG_ECONFIG, "output directory %s: cannot %s %s: %s%s", out->path, what,
	    name, strerror(e), hint(e));
}

static int
is_temp_name(const char *name)
{
	return name[0] == '.' && strstr(name, TMP_MARK) != NULL;
}

#define REMOVE_DEPTH_MAX 8

static int remove_entry_at(int dirfd, const char *name, int depth);

/* Removes every entry of the directory at fd, whatever their type. */
static int
empty_dir(int fd, int depth)
{
	DIR *d;
	struct dirent *de;
	int dfd = dup(fd), rc = 0;

	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_entry_at(fd, de->d_name, depth + 1) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

/*
 * Removes one directory entry of any type (file, symlink, fifo, socket, or a
 * directory with what it holds), never following a symlink: a stale entry of
 * an unexpected type must not wedge every later run.  0, or -1 with errno.
 */
static int
remove_entry_at(int dirfd, const char *name, int depth)
{
	int fd, rc;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth > REMOVE_DEPTH_MAX) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	rc = empty_dir(fd, depth);
	close(fd);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

static int
remove_tree(int dirfd, const char *name)
{
	return remove_entry_at(dirfd, name, 0);
}

/*
 * Removes an earlier output; what cannot be removed (nested too deep, say)
 * is renamed to a temporary name out of the way, so that it never wedges
 * this run or the next.  0, or -1 with errno.
 */
static int
remove_or_set_aside(struct ag_output *out, const char *name)
{
	char tmp[64];

	if (remove_tree(out->dirfd, name) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), ".stale" TMP_MARK "%ld.%u", (long)getpid(), out->seq++);
	return renameat(out->dirfd, name, out->dirfd, tmp) == 0 ? 0 : -1;
}

#define STATUS_READ_MAX (256 * 1024)

/*
 * The key files an earlier run released, as its status.json lists them
 * ("keys"[].file): removed before anything else, whatever this run's policy
 * names (it may fail before loading one, or name other files).  A name that
 * is not a plain key file name is left alone.
 */
static enum ag_code
remove_released_keys(struct ag_output *out, struct ag_err *err)
{
	int fd = openat(out->dirfd, "status.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf;
	ssize_t n;
	json_t *doc, *k;
	size_t i;
	enum ag_code rc = AG_OK;

	if (fd < 0)
		return AG_OK;
	buf = malloc(STATUS_READ_MAX);
	n = buf != NULL ? read(fd, buf, STATUS_READ_MAX) : -1;
	close(fd);
	doc = n > 0 ? json_loadb(buf, (size_t)n, 0, NULL) : NULL;
	free(buf);
	json_array_foreach(json_object_get(doc, "keys"), i, k) {
		const char *name = json_string_value(json_object_get(k, "file"));

		if (name != NULL && ag_policy_key_file_valid(name) && remove_or_set_aside(out, name) != 0) {
			rc = io_err(err, out, "remove", name);
			break;
		}
	}
	json_decref(doc);
	return rc;
}

static enum ag_code
remove_stale(struct ag_output *out, struct ag_err *err)
{
	DIR *d;
	struct dirent *de;
	int dfd;
	enum ag_code rc = remove_released_keys(out, err);

	if (rc != AG_OK)
		return rc;
	for (size_t i = 0; i < sizeof(stale_outputs) / sizeof(stale_outputs[0]); i++)
		if (remove_or_set_aside(out, stale_outputs[i]) != 0)
			return io_err(err, out, "remove", stale_outputs[i]);
	if (remove_or_set_aside(out, EVIDENCE_DIR) != 0)
		return io_err(err, out, "remove", EVIDENCE_DIR "/");
	/* Temporaries of a writer that was killed before its rename. */
	dfd = dup(out->dirfd);
	if (dfd < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		return io_err(err, out, "list", ".");
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_temp_name(de->d_name))
			continue;
		/* A temporary that cannot be removed is in nobody's way: leave it. */
		(void)remove_tree(out->dirfd, de->d_name);
	}
	closedir(d);
	if (fsync(out->dirfd) != 0)
		return io_err(err, out, "fsync", ".");
	return AG_OK;
}

enum ag_code
ag_output_remove(struct ag_output *out, const char *name, struct ag_err *err)
{
	if (strchr(name, '/') != NULL || name[0] == '.' || name[0] == '\0')
		return ag_err_set(err, AG_ECONFIG, "output file name %.64s is not a plain name", name);
	if (remove_or_set_aside(out, name) != 0)
		return io_err(err, out, "remove", name);
	if (fsync(out->dirfd) != 0)
		return io_err(err, out, "fsync", ".");
	return AG_OK;
}

/*
 * Creates and removes a temporary file: a directory the gate cannot write
 * is found now, before any evidence is read or any verifier is asked.
 */
static enum ag_code
probe_writable(struct ag_output *out, struct ag_err *err)
{
	char tmp[64];
	int fd;

	snprintf(tmp, sizeof(tmp), ".probe" TMP_MARK "%ld.%u", (long)getpid(), out->seq++);
	fd = openat(out->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return io_err(err, out, "write", "files");
	close(fd);
	if (unlinkat(out->dirfd, tmp, 0) != 0)
		return io_err(err, out, "remove", tmp);
	return AG_OK;
}

static enum ag_code
open_dir(const char *dir, int clear, struct ag_output **outp, struct ag_err *err)
{
	struct ag_output *out;
	enum ag_code rc;

	*outp = NULL;
	out = calloc(1, sizeof(*out));
	if (out == NULL || (out->path = strdup(dir)) == NULL) {
		free(out);
		return ag_err_set(err, AG_ECONFIG, "out of memory");
	}
	out->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (out->dirfd < 0) {
		int e = errno;

		rc = ag_err_set(err, AG_ECONFIG, "output directory %s: %s%s", dir, strerror(e), hint(e));
		ag_output_close(out);
		return rc;
	}
	rc = clear ? remove_stale(out, err) : AG_OK;
	if (rc == AG_OK && clear)
		rc = probe_writable(out, err);
	if (rc != AG_OK) {
		ag_output_close(out);
		return rc;
	}
	*outp = out;
	return AG_OK;
}

enum ag_code
ag_output_open(const char *dir, struct ag_output **outp, struct ag_err *err)
{
	return open_dir(dir, 1, outp, err);
}

enum ag_code
ag_output_open_bundle(const char *dir, struct ag_output **outp, struct ag_err *err)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return ag_err_set(err, AG_ECONFIG, "cannot create %s: %s", dir, strerror(errno));
	return open_dir(dir, 0, outp, err);
}

static int
write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes a file atomically relative to dirfd; name is checked to be a plain file name. */
static enum ag_code
write_at(struct ag_output *out, int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, struct ag_err *err)
{
	char tmp[256];
	int fd;

	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL || strlen(name) > 128)
		return ag_err_set(err, AG_ECONFIG, "invalid output file name \"%s\"", name);
	snprintf(tmp, sizeof(tmp), ".%s" TMP_MARK "%ld.%u", name, (long)getpid(), out->seq++);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return io_err(err, out, "create", tmp);
	if (write_all(fd, data, len) != 0 || fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		enum ag_code rc = io_err(err, out, "write", tmp);

		close(fd);
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if (close(fd) != 0 || renameat(dirfd, tmp, dirfd, name) != 0) {
		enum ag_code rc = io_err(err, out, "rename into place", name);

		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if (fsync(dirfd) != 0)
		return io_err(err, out, "fsync after writing", name);
	return AG_OK;
}

enum ag_code
ag_output_write_file(struct ag_output *out, const char *name, const void *data, size_t len,
    mode_t mode, struct ag_err *err)
{
	return write_at(out, out->dirfd, name, data, len, mode, err);
}

/* evidence/ appears whole or not at all: built under a temporary name, then renamed. */
static enum ag_code
write_evidence(struct ag_output *out, const struct ag_publish *p, struct ag_err *err)
{
	char tmp[64];
	enum ag_code rc = AG_OK;
	int fd;

	snprintf(tmp, sizeof(tmp), "." EVIDENCE_DIR TMP_MARK "%ld.%u", (long)getpid(), out->seq++);
	if (mkdirat(out->dirfd, tmp, 0755) != 0)
		return io_err(err, out, "create", tmp);
	fd = openat(out->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = io_err(err, out, "open", tmp);
		goto out;
	}
	for (size_t i = 0; i < p->n_evidence && rc == AG_OK; i++)
		rc = write_at(out, fd, p->evidence[i].name, p->evidence[i].data, p->evidence[i].len, 0444,
		    err);
	if (rc == AG_OK && renameat(out->dirfd, tmp, out->dirfd, EVIDENCE_DIR) != 0)
		rc = io_err(err, out, "rename into place", EVIDENCE_DIR "/");
	if (rc == AG_OK && fsync(out->dirfd) != 0)
		rc = io_err(err, out, "fsync after writing", EVIDENCE_DIR "/");
out:
	if (fd >= 0)
		close(fd);
	if (rc != AG_OK)
		remove_tree(out->dirfd, tmp);
	return rc;
}

static enum ag_code
write_json(struct ag_output *out, const char *name, json_t *v, struct ag_err *err)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	enum ag_code rc;

	if (s == NULL)
		return ag_err_set(err, AG_ECONFIG, "cannot encode %s", name);
	rc = ag_output_write_file(out, name, s, strlen(s), 0444, err);
	free(s);
	return rc;
}

enum ag_code
ag_output_publish(struct ag_output *out, const struct ag_publish *p, struct ag_err *err)
{
	int pass = ag_status_passes(p->status);
	json_t *status = NULL;
	enum ag_code rc = AG_OK;

	if (p->n_evidence > 0)
		rc = write_evidence(out, p, err);
	if (rc == AG_OK && pass && p->jwks != NULL)
		rc = ag_output_write_file(out, "jwks.json", p->jwks, strlen(p->jwks), 0444, err);
	if (rc == AG_OK && pass && p->token != NULL && !p->no_ready)
		rc = ag_output_write_file(out, "token", p->token, strlen(p->token), 0440, err);
	for (size_t i = 0; rc == AG_OK && pass && !p->no_ready && i < p->n_keys; i++)
		rc = ag_output_write_file(out, p->keys[i].name, p->keys[i].data, p->keys[i].len, 0440, err);
	if (rc == AG_OK && pass && p->claims != NULL)
		rc = write_json(out, "claims.json", p->claims, err);
	if (rc == AG_OK) {
		status = ag_status_to_json(p->status);
		rc = status != NULL ? write_json(out, "status.json", status, err) :
				      ag_err_set(err, AG_ECONFIG, "cannot build status.json");
	}
	if (rc == AG_OK && pass && !p->no_ready)
		rc = ag_output_write_file(out, "ready", "", 0, 0444, err);
	json_decref(status);
	return rc;
}

void
ag_output_close(struct ag_output *out)
{
	if (out == NULL)
		return;
	if (out->dirfd >= 0)
		close(out->dirfd);
	free(out->path);
	free(out);
}

enum ag_code
ag_termination_message_write(const char *path, const char *msg, int create, struct ag_err *err)
{
	char line[TERMINATION_MAX];
	size_t n;
	int fd;

	n = (size_t)snprintf(line, sizeof(line), "%s\n", msg);
	if (n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | (create ? O_CREAT : 0), 0644);
	if (fd < 0) {
		if (!create && errno == ENOENT)
			return AG_OK;
		return ag_err_set(err, AG_ECONFIG, "termination message file %s: %s", path,
		    strerror(errno));
	}
	if (write_all(fd, line, n) != 0) {
		int e = errno;

		close(fd);
		return ag_err_set(err, AG_ECONFIG, "termination message file %s: %s", path, strerror(e));
	}
	close(fd);
	return AG_OK;
}
