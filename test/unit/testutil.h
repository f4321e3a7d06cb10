/*
 * testutil.h - helpers shared by the C unit tests: scratch directories and
 * small file utilities.  Header-only so each test binary stays one file.
 */
#ifndef AG_TESTUTIL_H
#define AG_TESTUTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/error.h"
#include "base/fileio.h"

/* $AG_SHARED (the runner sets it), else ../shared: the vectors and roots from real machines. */
static inline const char *
tu_shared(void)
{
	return getenv("AG_SHARED") != NULL ? getenv("AG_SHARED") : "../shared";
}

/* Reads ../shared/vectors/DIR/NAME (DIR may be NULL; at most 1 MiB), or NULL when absent: the caller skips visibly. */
static inline uint8_t *
tu_vec_in(const char *dir, const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	struct ag_err err;

	snprintf(path, sizeof(path), "%s/vectors/%s%s%s", tu_shared(), dir != NULL ? dir : "", dir != NULL ? "/" : "", name);
	if (access(path, R_OK) != 0)
		return NULL;
	assert_int_equal(ag_file_read(path, 1 << 20, AG_ECONFIG, &buf, len, &err), AG_OK);
	return buf;
}

/* Reads ../shared/vectors/NAME, or NULL when absent. */
static inline uint8_t *
tu_vec(const char *name, size_t *len)
{
	return tu_vec_in(NULL, name, len);
}

/* Creates a fresh scratch directory; returns a static-lifetime-free path the caller frees. */
static inline char *
tu_mkdtemp(void)
{
	char *p = strdup("/tmp/agtest.XXXXXX");

	assert_non_null(p);
	assert_non_null(mkdtemp(p));
	return p;
}

static inline char *
tu_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static inline void
tu_write(const char *dir, const char *name, const char *content)
{
	char *p = tu_path(dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	free(p);
}

static inline int
tu_exists(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

/* Reads a whole small file into a NUL-terminated buffer, or NULL if absent. */
static inline char *
tu_read(const char *dir, const char *name, size_t *len)
{
	char *p = tu_path(dir, name), *buf = NULL;
	FILE *f = fopen(p, "rb");
	long n;

	free(p);
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static inline mode_t
tu_mode(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	free(p);
	return st.st_mode & 07777;
}

/* Removes a scratch directory and everything in it (two levels are enough here). */
static inline void
tu_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = tu_path(dir, de->d_name);
		if (unlink(p) != 0)
			tu_rmtree(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Number of directory entries whose name contains needle. */
static inline int
tu_count_matching(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, needle) != NULL)
			n++;
	closedir(d);
	return n;
}

#endif
