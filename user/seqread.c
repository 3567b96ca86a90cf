/* seqread FILE [STRIDE [COUNT]]: pread()s of 4 KiB at pages 0, STRIDE,
 * 2*STRIDE, ... (COUNT of them, or up to the end of the file), then prints
 * the bytes read and a checksum, so a run in the guest can be compared
 * with a native one. STRIDE 1 (the default) is a sequential read of the
 * whole file, the case readahead serves; STRIDE 2 makes every read a page
 * cache miss that readahead does not touch. Measure with COUNT and 2*COUNT
 * and take the difference for the price of one read. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static unsigned char buf[4096];
	long stride = 1, count = -1, i;
	unsigned long sum = 0, bytes = 0;
	int fd;

	if (argc < 2 || argc > 4 || (argc > 2 && (stride = atol(argv[2])) <= 0) ||
	    (argc > 3 && (count = atol(argv[3])) <= 0)) {
		fprintf(stderr, "usage: seqread FILE [STRIDE [COUNT]]\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; count < 0 || i < count; i++) {
		ssize_t got = pread(fd, buf, sizeof(buf), (off_t)i * stride * 4096);

		if (got < 0) {
			perror("pread");
			return 1;
		}
		if (got == 0)
			break;
		for (ssize_t k = 0; k < got; k += 64)
			sum = sum * 31 + buf[k];
		bytes += (unsigned long)got;
	}
	printf("%ld reads, %lu bytes, sum %lx\n", i, bytes, sum);
	return 0;
}
