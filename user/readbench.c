/* readbench FILE COUNT cached|disk|write [SIZE]: COUNT pread()s (or
 * pwrite()s) of SIZE bytes (default 4096), for pricing one call. "cached"
 * reads offset 0 again and again (after one warm-up read), "disk" reads
 * pages 0..COUNT-1, each for the first time, "write" writes offset 0 of
 * FILE (created if missing) again and again. Measure with COUNT and
 * 2*COUNT and take the difference. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	int fd, disk, wr;
	long n, size = 4096;

	if ((argc != 4 && argc != 5) || (n = atol(argv[2])) <= 0 ||
	    (argc == 5 && ((size = atol(argv[4])) <= 0 || size > (long)sizeof(buf)))) {
		fprintf(stderr, "usage: readbench FILE COUNT cached|disk|write [SIZE]\n");
		return 2;
	}
	disk = !strcmp(argv[3], "disk");
	wr = !strcmp(argv[3], "write");
	if ((fd = wr ? open(argv[1], O_WRONLY | O_CREAT, 0644) : open(argv[1], O_RDONLY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	memset(buf, 'w', sizeof(buf));
	if (!disk && !wr && pread(fd, buf, size, 0) != size)
		return 1;
	for (long i = 0; i < n; i++) {
		long got = wr ? pwrite(fd, buf, size, 0) : pread(fd, buf, size, disk ? i * 4096 : 0);
		if (got != size) {
			printf("short %s at call %ld\n", wr ? "write" : "read", i);
			return 1;
		}
	}
	printf("%ld %s of %ld bytes\n", n, wr ? "writes" : "reads", size);
	return 0;
}
