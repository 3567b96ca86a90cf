/* readbench FILE COUNT cached|disk: COUNT pread()s of 4 KiB from FILE,
 * for pricing one read. "cached" reads page 0 again and again (after one
 * warm-up read), "disk" reads pages 0..COUNT-1, each for the first time.
 * Measure with COUNT and 2*COUNT and take the difference. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[4096];
	int fd, disk;
	long n;

	if (argc != 4 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: readbench FILE COUNT cached|disk\n");
		return 2;
	}
	disk = !strcmp(argv[3], "disk");
	if ((fd = open(argv[1], O_RDONLY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (!disk && pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
		return 1;
	for (long i = 0; i < n; i++)
		if (pread(fd, buf, sizeof(buf), disk ? i * 4096 : 0) != sizeof(buf)) {
			printf("short read at page %ld\n", i);
			return 1;
		}
	printf("%ld reads of 4096 bytes\n", n);
	return 0;
}
