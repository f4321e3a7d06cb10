/*
 * measure.c - `measure OUT CMD [ARGS...]` runs CMD once (stdout to
 * /dev/null, stderr to $MEASURE_ERR or /dev/null) and appends "wall cpu rss"
 * to OUT: wall seconds on the monotonic clock, the child's user+system CPU
 * seconds and its peak RSS in KiB, from wait4's rusage (microseconds, where
 * /usr/bin/time rounds to 10 ms).  A small C launcher, so that the peak RSS
 * of the fork before exec is its own few hundred KiB, not an interpreter's.
 * Exits with the command's status.  Bench code only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	int status = 0;
	double t0;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: measure OUT CMD [ARGS...]\n");
		return 2;
	}
	t0 = now();
	pid = fork();
	if (pid == 0) {
		const char *err = getenv("MEASURE_ERR");
		int null = open("/dev/null", O_WRONLY), e = err != NULL ? open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644) : null;

		dup2(null, 1);
		dup2(e, 2);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return 2;
	out = fopen(argv[1], "a");
	if (out == NULL)
		return 2;
	fprintf(out, "%.6f %.6f %ld\n", now() - t0, (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6, ru.ru_maxrss);
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
