/*
 * fake_tsm.h - what the unit tests that emulate configfs-tsm share.  Such a
 * test interposes mkdir, rmdir and close (the library's calls bind to them
 * at link time) and, for paths directly under its fake root, acts like
 * configfs: attributes appear with the entry, go with it, and writing inblob
 * or privlevel is noticed when the file is closed.  The test decides what
 * the attributes hold; these are the file operations it needs for that.
 */
#ifndef AG_FAKE_TSM_H
#define AG_FAKE_TSM_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testutil.h"

/* Nonzero when path is an entry directly under root ("" root: no emulation). */
static inline int
fake_tsm_is_entry(const char *root, const char *path)
{
	size_t n = strlen(root);

	return n > 0 && strncmp(path, root, n) == 0 && path[n] == '/' && path[n + 1] != '\0' &&
	    strchr(path + n + 1, '/') == NULL;
}

/* Writes the attribute dir/name (the real close: not seen as a library write). */
static inline void
fake_tsm_put(const char *dir, const char *name, const void *data, size_t len)
{
	char path[8192];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	syscall(SYS_close, fd);
}

/* The content of dir/name into buf (at most size bytes); its length, 0 when absent. */
static inline size_t
fake_tsm_get(const char *dir, const char *name, void *buf, size_t size)
{
	char path[8192];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, size);
	syscall(SYS_close, fd);
	return n > 0 ? (size_t)n : 0;
}

/* configfs: an entry's attributes go with it (before the real rmdir). */
static inline void
fake_tsm_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		char p[8192];

		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.')
			unlink(p);
	}
	if (d != NULL)
		closedir(d);
}

/* Adds one (plus extra) to dir's generation attribute. */
static inline void
fake_tsm_bump(const char *dir, long long extra)
{
	char text[32] = "";

	fake_tsm_get(dir, "generation", text, sizeof(text) - 1);
	snprintf(text, sizeof(text), "%lld\n", atoll(text) + 1 + extra);
	fake_tsm_put(dir, "generation", text, strlen(text));
}

/*
 * Closes fd for real; returns 1 when it was the library's write of inblob or
 * privlevel in an entry under root, with the entry in dir and the attribute
 * in *name (for the test's reaction).
 */
static inline int
fake_tsm_close(const char *root, int fd, char dir[4096], const char **name, int *rc)
{
	char link[64];
	int flags = root[0] != '\0' ? fcntl(fd, F_GETFL) : -1;
	char *slash;

	dir[0] = '\0';
	if (flags >= 0 && (flags & O_ACCMODE) == O_WRONLY) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, dir, 4095);
		dir[n > 0 ? n : 0] = '\0';
	}
	*rc = (int)syscall(SYS_close, fd);
	if (dir[0] == '\0' || (slash = strrchr(dir, '/')) == NULL)
		return 0;
	*slash = '\0';
	*name = slash + 1;
	return fake_tsm_is_entry(root, dir) && (strcmp(*name, "inblob") == 0 || strcmp(*name, "privlevel") == 0);
}

#endif
