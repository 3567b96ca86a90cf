/* faultbench KIND N [FILE]: N operations of one kind, for pricing one
 * (run with N and 2N and take the difference). Prints what it did.
 *   anon      first write to N anonymous pages (zero-fill faults)
 *   pcache    first read of N pages of FILE mapped privately, those pages
 *             already in the page cache (read() first, of max(N, 1024)
 *             pages, so runs with N and 2N <= 1024 read the same), MADV_RANDOM
 *             so every page faults: page-cache-hit faults
 *   seq       first read of N pages of a cold FILE, in order (readahead
 *             and fault-around: most pages take no fault of their own)
 *   rand      first read of N pages of a cold FILE, MADV_RANDOM, in a
 *             scattered order: one disk read per fault
 *   cow       N pages written, then a child writes them all again
 *             (copy-on-write faults in the child)
 *   mmap      N mmap+munmap pairs of one anonymous page, never touched
 *   fork      N children that exit at once, each waited for (a process's
 *             birth and death: fork, exit, wait4)
 *   mprotect  N pairs on the middle page of three written anonymous pages:
 *             read-only (a split in three), then read-write (a merge) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096UL

static void *map_file(const char *path, unsigned long n, int advice, unsigned long warm)
{
	static char buf[64 * 1024];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	/* the pages to be touched, and not many more: a whole big file
	 * would push the first ones out of a small cache again */
	for (unsigned long done = 0; done < warm * PG;) {
		ssize_t r = read(fd, buf, warm * PG - done < sizeof(buf) ? warm * PG - done : sizeof(buf));
		if (r <= 0)
			break;
		done += (unsigned long)r;
	}
	void *p = mmap(NULL, n * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED || madvise(p, n * PG, advice)) {
		perror("mmap");
		exit(1);
	}
	close(fd);
	return p;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 0) : 0, sum = 0;
	const char *kind = argc > 1 ? argv[1] : "";
	volatile unsigned char *p;

	if (argc < 3 || !n) {
		fprintf(stderr, "usage: faultbench anon|pcache|seq|rand|cow|mmap|fork N [FILE]\n");
		return 2;
	}
	if (!strcmp(kind, "anon") || !strcmp(kind, "cow")) {
		p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		for (unsigned long i = 0; i < n; i++)
			p[i * PG] = 1;
		if (!strcmp(kind, "cow")) {
			pid_t c = fork();
			if (c == 0) {
				for (unsigned long i = 0; i < n; i++)
					p[i * PG] = 2;
				_exit(0);
			}
			int st;
			if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st))
				return 1;
		}
	} else if (!strcmp(kind, "pcache") || !strcmp(kind, "seq") || !strcmp(kind, "rand")) {
		if (argc < 4)
			return 2;
		int advice = !strcmp(kind, "seq") ? MADV_NORMAL : MADV_RANDOM;
		unsigned long warm = !strcmp(kind, "pcache") ? (n > 1024 ? n : 1024) : 0;
		p = map_file(argv[3], n, advice, warm);
		/* rand: an odd stride modulo n visits every page once */
		unsigned long step = !strcmp(kind, "rand") ? 7919 % n : 1;
		if (step == 0 || (n % 7919 == 0 && step != 1))
			step = 1;
		for (unsigned long i = 0, k = 0; i < n; i++, k = (k + step) % n)
			sum += p[k * PG];
	} else if (!strcmp(kind, "mmap")) {
		for (unsigned long i = 0; i < n; i++) {
			void *q = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (q == MAP_FAILED || munmap(q, PG))
				return 1;
		}
	} else if (!strcmp(kind, "mprotect")) {
		char *q = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED)
			return 1;
		memset(q, 1, 3 * PG);
		for (unsigned long i = 0; i < n; i++)
			if (mprotect(q + PG, PG, PROT_READ) ||
			    mprotect(q + PG, PG, PROT_READ | PROT_WRITE))
				return 1;
		sum = q[PG];
	} else if (!strcmp(kind, "fork")) {
		for (unsigned long i = 0; i < n; i++) {
			pid_t c = fork();
			if (c == 0)
				_exit(0);
			int st;
			if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st))
				return 1;
		}
	} else {
		fprintf(stderr, "faultbench: unknown kind %s\n", kind);
		return 2;
	}
	printf("%s %lu done (%lu)\n", kind, n, sum & 1);
	return 0;
}
