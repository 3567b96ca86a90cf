/* clock HOST_SECONDS [FILE]: is the wall clock right? HOST_SECONDS is the
 * host's `date +%s` when the test started; each clock must read within
 * WINDOW seconds of it, and so must the modification time of FILE (default
 * tmp/clock.dat), which is created, written and fsync'd here and left for
 * the test to find on the disk image. Prints "ok" per check, or how far off
 * it is, so a native run and a guest run with a working clock print the same.
 * Exit status: 0 when every check passed, 1 otherwise, 2 on usage. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "observe.h"

/* Generous: the host's date is taken before the VM starts, and a slow boot
 * or a loaded machine must not fail the test; an epoch clock is decades off. */
#define WINDOW 120

static long long host;
static int failed;

static void check(const char *what, long long t)
{
	long long d = t - host;

	if (d >= -WINDOW && d <= WINDOW) {
		printf("%s: within %d s of the host's clock\n", what, WINDOW);
		return;
	}
	printf("%s: off by %lld s (read %lld, host %lld)\n", what, d, t, host);
	failed = 1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 2 ? argv[2] : "tmp/clock.dat";
	char *end;
	struct timeval tv;
	struct timespec ts, mono0, mono1;
	struct stat st;

	if (argc < 2 || argc > 3 || (host = strtoll(argv[1], &end, 10), *end || end == argv[1])) {
		fprintf(stderr, "usage: clock HOST_SECONDS [FILE]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &mono0);
	check("time(NULL)", (long long)time(NULL));
	if (show("gettimeofday", gettimeofday(&tv, NULL)) == 0)
		check("gettimeofday", (long long)tv.tv_sec);
	if (show("clock_gettime(CLOCK_REALTIME)", clock_gettime(CLOCK_REALTIME, &ts)) == 0)
		check("clock_gettime(CLOCK_REALTIME)", (long long)ts.tv_sec);

	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (show("open O_CREAT (fd >= 3)", fd >= 0 ? 3 : -1) < 0)
		return 1;
	static const char line[] = "written by clock\n";
	show("write", (int)write(fd, line, sizeof(line) - 1));
	show("fsync", fsync(fd));
	if (show("fstat", fstat(fd, &st)) == 0) {
		check("mtime of a new file", (long long)st.st_mtime);
		check("ctime of a new file", (long long)st.st_ctime);
	}
	show("close", close(fd));

	/* Real time and monotonic time agree on a short interval: neither
	 * runs backwards, and the realtime read after the file work is not
	 * earlier than the file's mtime. */
	clock_gettime(CLOCK_MONOTONIC, &mono1);
	printf("monotonic clock did not go back: %d\n",
	       mono1.tv_sec > mono0.tv_sec ||
		       (mono1.tv_sec == mono0.tv_sec && mono1.tv_nsec >= mono0.tv_nsec));
	printf("time(NULL) >= mtime: %d\n", (long long)time(NULL) >= (long long)st.st_mtime);
	return failed;
}
