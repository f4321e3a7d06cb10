/*
 * node/tsm_report.c - configfs-tsm with plain POSIX calls: mkdir the entry,
 * write/read its attributes to end of file (attribute sizes are not
 * trusted: reads are bounded), rmdir.  The kernel ABI is
 * Documentation/ABI/testing/configfs-tsm.
 */
#include "node/tsm_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#define ATTEMPTS 3

int
ag_tsm_available(const char *root)
{
	struct stat st;

	return stat(root, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Reads an attribute to end of file, at most max bytes; -1 with errno set (EFBIG when larger). */
static int
read_attr(const char *dir, const char *name, size_t max, uint8_t **data, size_t *len)
{
	char path[4096];
	size_t n = 0;
	uint8_t *buf;
	int fd, e = 0;

	*data = NULL;
	*len = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	buf = malloc(max + 1);
	if (buf == NULL)
		e = ENOMEM;
	while (e == 0) {
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			e = errno;
		else if (r == 0)
			break;
		else if ((n += (size_t)r) > max)
			e = EFBIG;
	}
	close(fd);
	if (e != 0) {
		free(buf);
		errno = e;
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
}

static int
write_attr(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	const uint8_t *p = data;
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -1;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

/* The decimal value of the generation attribute, or -1. */
static long long
generation(const char *dir)
{
	uint8_t *data;
	size_t len;
	char text[32];
	long long g;

	if (read_attr(dir, "generation", 31, &data, &len) != 0)
		return -1;
	memcpy(text, data, len);
	text[len] = '\0';
	free(data);
	return sscanf(text, "%lld", &g) == 1 && g >= 0 ? g : -1;
}

void
ag_tsm_report_clear(struct ag_tsm_report *r)
{
	free(r->outblob);
	free(r->auxblob);
	memset(r, 0, sizeof(*r));
}

/* One request in the entry dir; 1 when another writer was detected (retry). */
static int
request(const char *dir, const uint8_t *inblob, int privlevel, struct ag_tsm_report *out, struct ag_err *err)
{
	long long g0 = generation(dir), g1;
	long long writes = 1;
	uint8_t *prov = NULL;
	size_t prov_len = 0;

	if (g0 < 0) {
		ag_err_set(err, AG_EEVIDENCE, "configfs-tsm entry %s has no readable generation: %s", dir, strerror(errno));
		return -1;
	}
	if (privlevel >= 0) {
		char text[16];

		snprintf(text, sizeof(text), "%d\n", privlevel);
		if (write_attr(dir, "privlevel", text, strlen(text)) != 0) {
			ag_err_set(err, AG_EEVIDENCE, "configfs-tsm: cannot set privlevel %d: %s", privlevel, strerror(errno));
			return -1;
		}
		writes++;
	}
	if (write_attr(dir, "inblob", inblob, AG_TSM_INBLOB_LEN) != 0) {
		ag_err_set(err, AG_EEVIDENCE, "configfs-tsm: cannot write inblob: %s", strerror(errno));
		return -1;
	}
	if (read_attr(dir, "outblob", AG_TSM_BLOB_MAX, &out->outblob, &out->outblob_len) != 0 || out->outblob_len == 0) {
		ag_err_set(err, AG_EEVIDENCE, "configfs-tsm: the provider gave no report (outblob): %s",
		    out->outblob == NULL ? strerror(errno) : "empty");
		return -1;
	}
	if (read_attr(dir, "auxblob", AG_TSM_BLOB_MAX, &out->auxblob, &out->auxblob_len) != 0 && errno != ENOENT &&
	    errno != ENXIO && errno != EOPNOTSUPP) {
		ag_err_set(err, AG_EEVIDENCE, "configfs-tsm: cannot read auxblob: %s", strerror(errno));
		return -1;
	}
	if (out->auxblob != NULL && out->auxblob_len == 0) {
		free(out->auxblob);
		out->auxblob = NULL;
	}
	g1 = generation(dir);
	if (g1 != g0 + writes)
		return 1;
	if (read_attr(dir, "provider", sizeof(out->provider) - 1, &prov, &prov_len) != 0) {
		ag_err_set(err, AG_EEVIDENCE, "configfs-tsm: cannot read provider: %s", strerror(errno));
		return -1;
	}
	memcpy(out->provider, prov, prov_len);
	out->provider[prov_len] = '\0';
	out->provider[strcspn(out->provider, "\n")] = '\0';
	free(prov);
	return 0;
}

/* Creates a private entry under root, its path in dir. */
static enum ag_code
make_entry(const char *root, char dir[4096], struct ag_err *err)
{
	uint8_t rnd[8];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return ag_err_set(err, AG_EEVIDENCE, "cannot draw a random entry name");
	snprintf(dir, 4096, "%s/attestgate-%ld-%02x%02x%02x%02x%02x%02x%02x%02x", root, (long)getpid(), rnd[0], rnd[1],
	    rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	if (mkdir(dir, 0700) != 0)
		return ag_err_set(err, AG_EEVIDENCE, "configfs-tsm: cannot create a report entry in %s: %s", root, strerror(errno));
	return AG_OK;
}

int
ag_tsm_provider(const char *root, char *out, size_t size)
{
	char dir[4096];
	uint8_t *prov = NULL;
	size_t len = 0;
	int r;

	if (size == 0 || make_entry(root, dir, NULL) != AG_OK)
		return -1;
	r = read_attr(dir, "provider", size - 1, &prov, &len);
	(void)rmdir(dir);
	if (r != 0)
		return -1;
	memcpy(out, prov, len);
	out[len] = '\0';
	out[strcspn(out, "\n")] = '\0';
	free(prov);
	return 0;
}

enum ag_code
ag_tsm_report_get(const char *root, const uint8_t inblob[AG_TSM_INBLOB_LEN], int privlevel, struct ag_tsm_report *out,
    struct ag_err *err)
{
	char dir[4096];
	int r = -1;
	enum ag_code rc;

	memset(out, 0, sizeof(*out));
	if ((rc = make_entry(root, dir, err)) != AG_OK)
		return rc;
	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		ag_tsm_report_clear(out);
		r = request(dir, inblob, privlevel, out, err);
		if (r <= 0)
			break;
	}
	if (r > 0)
		ag_err_set(err, AG_EEVIDENCE, "configfs-tsm: another writer kept changing the report entry (%d attempts)", ATTEMPTS);
	if (rmdir(dir) != 0 && r == 0) {
		ag_err_set(err, AG_EEVIDENCE, "configfs-tsm: cannot remove the report entry %s: %s", dir, strerror(errno));
		r = -1;
	}
	if (r != 0) {
		ag_tsm_report_clear(out);
		return AG_EEVIDENCE;
	}
	return AG_OK;
}
