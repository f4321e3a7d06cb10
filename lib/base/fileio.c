/*
 * base/fileio.c - whole-file reads through the bounded buffer.
 */
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"

enum ag_code
ag_file_read(const char *path, size_t max, enum ag_code code, uint8_t **data, size_t *len,
    struct ag_err *err)
{
	struct ag_buf b;
	uint8_t chunk[8192];
	enum ag_code rc = AG_OK;
	int fd;

	ag_buf_init(&b, max);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ag_err_set(err, code, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ag_err_set(err, code, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (ag_buf_append(&b, chunk, (size_t)n) != 0) {
			rc = ag_err_set(err, code, "%s is larger than the limit of %zu bytes", path, max);
			goto out;
		}
	}
	if (b.data == NULL && ag_buf_append(&b, "", 0) != 0) {
		rc = ag_err_set(err, code, "out of memory reading %s", path);
		goto out;
	}
	*data = ag_buf_steal(&b, len);
out:
	close(fd);
	ag_buf_free(&b);
	return rc;
}

void
ag_file_identity(const char *path, int64_t out[4])
{
	struct stat st;

	memset(out, 0, 4 * sizeof(out[0]));
	if (stat(path, &st) != 0)
		return;
	out[0] = (int64_t)st.st_size;
	out[1] = (int64_t)st.st_mtim.tv_sec;
	out[2] = (int64_t)st.st_mtim.tv_nsec;
	out[3] = (int64_t)st.st_ino;
}

enum ag_code
ag_file_list_split(char *list, const char **out, size_t max, size_t *n, const char *flag, struct ag_err *err)
{
	char *save = NULL;

	for (char *f = strtok_r(list, "\n", &save); f != NULL; f = strtok_r(NULL, "\n", &save)) {
		if (*n == max)
			return ag_err_set(err, AG_ECONFIG, "%s: at most %zu files", flag, max);
		out[(*n)++] = f;
	}
	return AG_OK;
}
