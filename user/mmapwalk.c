/* mmapwalk FILE [seq|rand|stride2] [normal|sequential|random] [COUNT]:
 * maps FILE privately read-only, advises it, and reads one byte of COUNT
 * pages (default all) in the given order: sequential, a fixed
 * pseudo-random permutation, or every second page. Prints the pages
 * touched and a checksum, so guest and native runs compare; the guest's
 * "mmstats" counters (or a monitor's report) give the faults and disk
 * requests the walk cost. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096UL

int main(int argc, char **argv)
{
	const char *order = argc > 2 ? argv[2] : "seq", *advice = argc > 3 ? argv[3] : "normal";
	struct stat st;
	int fd;

	if (argc < 2 || argc > 5 || (fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st)) {
		fprintf(stderr, "usage: mmapwalk FILE [seq|rand|stride2] [normal|sequential|random] [COUNT]\n");
		return 2;
	}
	unsigned long pages = ((unsigned long)st.st_size + PG - 1) / PG;
	unsigned long count = argc > 4 ? strtoul(argv[4], NULL, 0) : pages;
	if (!pages)
		return 0;
	const unsigned char *p = mmap(NULL, pages * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	int adv = !strcmp(advice, "sequential") ? MADV_SEQUENTIAL
		  : !strcmp(advice, "random")   ? MADV_RANDOM
						: MADV_NORMAL;
	if (madvise((void *)p, pages * PG, adv)) {
		perror("madvise");
		return 1;
	}
	unsigned long sum = 0, done = 0, step = !strcmp(order, "stride2") ? 2 : 1;
	/* a permutation: an odd multiplier modulo a power of two, folded */
	unsigned long span = 1;
	while (span < pages)
		span <<= 1;
	for (unsigned long i = 0, k = 0; done < count && k < span * step; k++) {
		if (!strcmp(order, "rand"))
			i = (k * 2654435761UL + 12345) & (span - 1);
		else
			i = k * step;
		if (i >= pages)
			continue;
		sum = sum * 31 + p[i * PG + (i % 61)];
		done++;
	}
	printf("%lu pages touched, sum %lx\n", done, sum);
	return 0;
}
