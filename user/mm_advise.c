#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "observe.h"

#include "mm_common.h"
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

static void show_lim(const char *what, int res)
{
	struct rlimit rl;
	if (getrlimit(res, &rl) != 0)
		printf("%s: getrlimit -1 %s\n", what, errname(errno));
	else
		printf("%s: cur %llu KiB\n", what, (unsigned long long)rl.rlim_cur / 1024);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_faults();
	char *w = reserve(64);
	char *p = w + 8 * PG;

	printf("== madvise on anonymous memory\n");
	mm("mmap 8 pages", p, p, 8 * PG, RW, ANON | MAP_FIXED, -1, 0);
	for (int i = 0; i < 8; i++)
		memset(p + i * PG, i + 1, PG);
	show("MADV_DONTNEED pages 2..3", madvise(p + 2 * PG, 2 * PG, MADV_DONTNEED));
	resident("after DONTNEED", p, 8);
	rd("page 2 reads zero", p + 2 * PG + 9);
	rd("page 1 kept", p + PG + 9);
	rd("page 4 kept", p + 4 * PG);
	show("MADV_FREE page 4", madvise(p + 4 * PG, PG, MADV_FREE));
	wr("write after FREE", p + 4 * PG + 1, 0x44);
	rd("read it back", p + 4 * PG + 1);
	show("MADV_WILLNEED", madvise(p, 8 * PG, MADV_WILLNEED));
	show("MADV_NORMAL", madvise(p, 8 * PG, MADV_NORMAL));
	show("MADV_RANDOM", madvise(p, 2 * PG, MADV_RANDOM));
	show("MADV_SEQUENTIAL", madvise(p + 2 * PG, 2 * PG, MADV_SEQUENTIAL));
	rd("page 0 kept", p + 5);
	show("unknown advice", syscall(SYS_madvise, p, PG, 999));
	show("unaligned start", syscall(SYS_madvise, p + 1, PG, MADV_DONTNEED));
	show("length 0", syscall(SYS_madvise, p, 0, MADV_DONTNEED));
	show("length -4096", syscall(SYS_madvise, p, -4096L, MADV_DONTNEED));
	show("munmap page 7", munmap(p + 7 * PG, PG));
	show("DONTNEED 6..7 (7 is a hole)", madvise(p + 6 * PG, 2 * PG, MADV_DONTNEED));
	rd("page 6 was zapped anyway", p + 6 * PG);
	show("DONTNEED in the hole", madvise(p + 7 * PG, PG, MADV_DONTNEED));
	show("WILLNEED in the hole", madvise(p + 7 * PG, PG, MADV_WILLNEED));
	show("NORMAL in the hole", madvise(p + 7 * PG, PG, MADV_NORMAL));
	show("DONTNEED on PROT_NONE", madvise(w, PG, MADV_DONTNEED));
	char *sh = mm("shared anon", w + 20 * PG, w + 20 * PG, 2 * PG, RW,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	wr("store", sh + 3, 3);
	show("MADV_DONTNEED shared anon", madvise(sh, 2 * PG, MADV_DONTNEED));
	rd("data kept", sh + 3);
	show("MADV_FREE shared anon", madvise(sh, 2 * PG, MADV_FREE));

	printf("== MADV_REMOVE\n");
	show("private anon", madvise(p, PG, MADV_REMOVE));
	wr("store in shared anon page 1", sh + PG + 5, 5);
	show("shared anon page 1", madvise(sh + PG, PG, MADV_REMOVE));
	rd("page 1 reads zero", sh + PG + 5);
	rd("page 0 kept", sh + 3);
	show("mlock shared anon", mlock(sh, PG));
	show("locked shared anon", madvise(sh, PG, MADV_REMOVE));
	show("munlock", munlock(sh, PG));
	int rfd = open("etc/motd", O_RDONLY);
	char *fp = mm("private file", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, rfd, 0);
	show("private file", madvise(fp, PG, MADV_REMOVE));
	munmap(fp, PG);
	fp = mm("shared file, read-only descriptor", NULL, NULL, PG, PROT_READ, MAP_SHARED, rfd, 0);
	show("shared file, read-only descriptor", madvise(fp, PG, MADV_REMOVE));
	munmap(fp, PG);
	close(rfd);

	printf("== mincore\n");
	unsigned char vec[16];
	show("unaligned", syscall(SYS_mincore, p + 1, PG, vec));
	show("length 0", syscall(SYS_mincore, p, 0, vec));
	show("hole", syscall(SYS_mincore, p + 7 * PG, PG, vec));
	show("range ending in a hole", syscall(SYS_mincore, p + 6 * PG, 2 * PG, vec));
	mprotect(sh, PG, PROT_READ);
	show("vector in a PROT_READ page", syscall(SYS_mincore, p, PG, sh));
	show("vector in a hole", syscall(SYS_mincore, p, PG, p + 7 * PG));
	resident("PROT_NONE reservation", w + 40 * PG, 4);
	resident("length 1 byte", p + PG, 1);

	printf("== mlock\n");
	char *l = mm("mmap 4 pages", w + 30 * PG, w + 30 * PG, 4 * PG, RW, ANON | MAP_FIXED, -1, 0);
	show("mlock 0..1", mlock(l, 2 * PG));
	resident("after mlock", l, 4);
	show("DONTNEED on locked", madvise(l, PG, MADV_DONTNEED));
	show("DONTNEED 1..2 (1 locked)", madvise(l + PG, 2 * PG, MADV_DONTNEED));
	show("munlock", munlock(l, 2 * PG));
	show("DONTNEED after munlock", madvise(l, PG, MADV_DONTNEED));
	resident("after DONTNEED", l, 4);
	show("mlock2 MLOCK_ONFAULT 2..3", syscall(SYS_mlock2, l + 2 * PG, 2 * PG, MLOCK_ONFAULT));
	resident("after mlock2 ONFAULT", l, 4);
	wr("touch page 3", l + 3 * PG, 1);
	resident("after touch", l, 4);
	show("mlock2 unknown flag", syscall(SYS_mlock2, l, PG, 2));
	show("mlock2 flags 0", syscall(SYS_mlock2, l, PG, 0));
	resident("after mlock2", l, 4);
	show("munlock all four", munlock(l, 4 * PG));
	show("mlock unaligned start", syscall(SYS_mlock, l + 1, PG));
	show("munlock unaligned start", syscall(SYS_munlock, l + 1, PG));
	show("mlock a hole", mlock(p + 7 * PG, PG));
	show("munlock a hole", munlock(p + 7 * PG, PG));
	show("mlock PROT_NONE", mlock(w + 40 * PG, 2 * PG));
	resident("PROT_NONE after mlock", w + 40 * PG, 2);
	show("munlock PROT_NONE", munlock(w + 40 * PG, 2 * PG));
	show("munmap", munmap(l, 4 * PG));

	printf("== mlockall\n");
	l = mm("mmap 4 pages", w + 30 * PG, w + 30 * PG, 4 * PG, RW, ANON | MAP_FIXED, -1, 0);
	show("mlockall 0", mlockall(0));
	show("mlockall MCL_ONFAULT alone", mlockall(MCL_ONFAULT));
	show("mlockall MCL_CURRENT", mlockall(MCL_CURRENT));
	resident("existing mapping", l, 4);
	char *f = mm("mmap after MCL_CURRENT", w + 50 * PG, w + 50 * PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
	resident("new mapping", f, 2);
	show("mlockall MCL_CURRENT|MCL_FUTURE", mlockall(MCL_CURRENT | MCL_FUTURE));
	f = mm("mmap after MCL_FUTURE", w + 54 * PG, w + 54 * PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
	resident("new mapping", f, 2);
	show("munlockall", munlockall());
	f = mm("mmap after munlockall", w + 58 * PG, w + 58 * PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
	resident("new mapping", f, 2);
	show("DONTNEED after munlockall", madvise(l, 4 * PG, MADV_DONTNEED));

	printf("== rlimits\n");
	struct rlimit rl, old;
	getrlimit(RLIMIT_MEMLOCK, &old);
	rl.rlim_cur = 64 * 1024;
	rl.rlim_max = old.rlim_max;
	show("setrlimit MEMLOCK 64K", setrlimit(RLIMIT_MEMLOCK, &rl));
	show_lim("getrlimit MEMLOCK", RLIMIT_MEMLOCK);
	rl.rlim_cur = 128 * 1024;
	struct rlimit prev;
	show("prlimit64 MEMLOCK 128K", syscall(SYS_prlimit64, 0, RLIMIT_MEMLOCK, &rl, &prev));
	printf("  old cur %llu KiB\n", (unsigned long long)prev.rlim_cur / 1024);
	show_lim("getrlimit MEMLOCK", RLIMIT_MEMLOCK);
	show("prlimit64 read only", syscall(SYS_prlimit64, 0, RLIMIT_MEMLOCK, NULL, &prev));
	printf("  cur %llu KiB, max unchanged: %s\n", (unsigned long long)prev.rlim_cur / 1024,
	       prev.rlim_max == old.rlim_max ? "ok" : "mismatch");
	rl.rlim_cur = 2 << 20;
	rl.rlim_max = 1 << 20;
	show("setrlimit cur > max", setrlimit(RLIMIT_MEMLOCK, &rl));
	show("setrlimit resource 99", syscall(SYS_setrlimit, 99, &rl));
	show("getrlimit resource 99", syscall(SYS_getrlimit, 99, &rl));
	show("restore MEMLOCK", setrlimit(RLIMIT_MEMLOCK, &old));

	getrlimit(RLIMIT_AS, &old);
	rl.rlim_cur = 96 << 20;
	rl.rlim_max = old.rlim_max;
	show("setrlimit AS 96M", setrlimit(RLIMIT_AS, &rl));
	show_lim("getrlimit AS", RLIMIT_AS);
	char *big = mm("mmap 64M", NULL, NULL, 64 << 20, RW, ANON | MAP_NORESERVE, -1, 0);
	mm("mmap another 64M", NULL, NULL, 64 << 20, RW, ANON | MAP_NORESERVE, -1, 0);
	if (big) {
		wr("touch the 64M mapping", big + (32 << 20), 1);
		printf("mremap it to 128M: %s\n",
		       syscall(SYS_mremap, big, 64 << 20, 128 << 20, MREMAP_MAYMOVE) == -1 ? errname(errno) : "moved");
		show("munmap it", munmap(big, 64 << 20));
	}
	mm("mmap 128M", NULL, NULL, 128UL << 20, RW, ANON | MAP_NORESERVE, -1, 0);
	long b0 = syscall(SYS_brk, 0);
	printf("brk +128M: %s\n", syscall(SYS_brk, b0 + (128L << 20)) == b0 ? "refused" : "grew");
	big = mm("mmap 1M", NULL, NULL, 1 << 20, RW, ANON, -1, 0);
	if (big)
		munmap(big, 1 << 20);
	show("restore AS", setrlimit(RLIMIT_AS, &old));
	big = mm("mmap 128M", NULL, NULL, 128UL << 20, RW, ANON | MAP_NORESERVE, -1, 0);
	if (big)
		munmap(big, 128UL << 20);
	show("munmap window", munmap(w, 64 * PG));
	return 0;
}
