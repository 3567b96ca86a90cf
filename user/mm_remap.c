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

static long rremap(void *old, size_t ol, size_t nl, int flags, void *na)
{
	return syscall(SYS_mremap, old, ol, nl, flags, na);
}

/* mremap; prints where it went: "at expected", "moved elsewhere" or the errno. */
static char *rm(const char *what, void *expect, void *old, size_t ol, size_t nl, int flags, void *na)
{
	long r = rremap(old, ol, nl, flags, na);
	if (r == -1) {
		printf("%s: -1 %s\n", what, errname(errno));
		return NULL;
	}
	printf("%s: %s\n", what, (void *)r == expect ? "at expected" : "moved elsewhere");
	return (char *)r;
}

static int pages_are(const char *p, int first, int n, int base)
{
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < PG; k += 511)
			if (p[i * PG + k] != (char)(base + first + i))
				return 0;
	return 1;
}

static char *brk_base;

static void show_brk(const char *what, long r)
{
	long d = r - (long)brk_base;
	printf("%s: base%+ld pages%s\n", what, d / (long)PG, d % (long)PG ? " (+ unaligned)" : "");
}

int main(int argc, char **argv)
{
	char path[512];
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_faults();
	snprintf(path, sizeof(path), "%s/mm_remap.dat", argc > 1 ? argv[1] : "tmp");
	char *w = reserve(128);
	char *p = w + 8 * PG, *r;

	printf("== shrink and grow in place\n");
	show("munmap 8..40 (a hole)", munmap(w + 8 * PG, 32 * PG));
	mm("mmap 4 pages at 8", p, p, 4 * PG, RW, ANON | MAP_FIXED, -1, 0);
	for (int i = 0; i < 4; i++)
		memset(p + i * PG, 0x10 + i, PG);
	rm("shrink 4 -> 2", p, p, 4 * PG, 2 * PG, 0, NULL);
	rd("page 1", p + PG);
	rd("page 2 (gone)", p + 2 * PG);
	rm("grow 2 -> 6", p, p, 2 * PG, 6 * PG, 0, NULL);
	printf("pages 0..1 kept: %s\n", pages_are(p, 0, 2, 0x10) ? "ok" : "mismatch");
	printf("pages 2..5 zero: %s\n", all_bytes((unsigned char *)p + 2 * PG, 4 * PG, 0) ? "ok" : "mismatch");
	rm("grow 6 -> 40 (reservation in the way)", p, p, 6 * PG, 40 * PG, 0, NULL);
	rm("grow 6 -> 32 (exactly to the reservation)", p, p, 6 * PG, 32 * PG, 0, NULL);
	rm("shrink 32 -> 6", p, p, 32 * PG, 6 * PG, 0, NULL);
	rm("same size", p, p, 6 * PG, 6 * PG, 0, NULL);
	rm("grow from the middle (not the end)", p, p, 2 * PG, 3 * PG, 0, NULL);

	printf("== MREMAP_MAYMOVE and MREMAP_FIXED\n");
	mm("blocker at 16", w + 16 * PG, w + 16 * PG, PG, RW, ANON | MAP_FIXED, -1, 0);
	rm("grow 6 -> 12 without MAYMOVE", p, p, 6 * PG, 12 * PG, 0, NULL);
	rm("grow 6 -> 7 with MAYMOVE (fits)", p, p, 6 * PG, 7 * PG, MREMAP_MAYMOVE, NULL);
	r = rm("grow 7 -> 12 with MAYMOVE", p, p, 7 * PG, 12 * PG, MREMAP_MAYMOVE, NULL);
	if (r && r != p) {
		printf("contents moved: %s\n", pages_are(r, 0, 2, 0x10) ? "ok" : "mismatch");
		printf("new part zero: %s\n", all_bytes((unsigned char *)r + 2 * PG, 10 * PG, 0) ? "ok" : "mismatch");
		rd("old address", p);
		resident("mincore of the moved pages 0..3", r, 4);
		char *t = w + 60 * PG;
		rm("fixed move 12 -> 4 into the reservation", t, r, 12 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t);
		printf("contents moved: %s\n", pages_are(t, 0, 2, 0x10) ? "ok" : "mismatch");
		rd("old address", r);
		rd("past the new end", t + 4 * PG);
	}
	char *t = w + 60 * PG;
	rm("fixed overlapping the source", NULL, t, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t + 2 * PG);
	rm("fixed without MAYMOVE", NULL, t, 4 * PG, 4 * PG, MREMAP_FIXED, w + 80 * PG);
	rm("fixed to an unaligned address", NULL, t, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, w + 80 * PG + 1);
	rm("fixed grow 4 -> 8 at 80", w + 80 * PG, t, 4 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, w + 80 * PG);
	printf("contents moved: %s\n", pages_are(w + 80 * PG, 0, 2, 0x10) ? "ok" : "mismatch");
	rd("page 7 (new, zero)", w + 87 * PG);

	printf("== errors\n");
	rm("unaligned old address", NULL, w + 80 * PG + 1, PG, PG, 0, NULL);
	rm("new length 0", NULL, w + 80 * PG, PG, 0, 0, NULL);
	rm("unknown flag", NULL, w + 80 * PG, PG, PG, 0x40, NULL);
	rm("old range unmapped", NULL, w + 10 * PG, PG, 2 * PG, 0, NULL);
	show("mprotect page 85 PROT_READ", mprotect(w + 85 * PG, PG, PROT_READ));
	rm("old range across two protections", NULL, w + 84 * PG, 2 * PG, 3 * PG, MREMAP_MAYMOVE, NULL);
	rm("old range past the mapping's end", NULL, w + 86 * PG, 4 * PG, 5 * PG, MREMAP_MAYMOVE, NULL);
	rm("huge new length", NULL, w + 80 * PG, PG, 1UL << 47, MREMAP_MAYMOVE, NULL);

	printf("== file mappings\n");
	unlink(path);
	int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);
	static char page[4096];
	for (int i = 0; i < 6; i++) {
		memset(page, 'a' + i, PG);
		if (write(fd, page, PG) != (ssize_t)PG)
			printf("write: %s\n", errname(errno));
	}
	char *f = w + 100 * PG;
	show("munmap 100..128 (a hole)", munmap(f, 28 * PG));
	mm("private, file pages 1..2", f, f, 2 * PG, RW, MAP_PRIVATE | MAP_FIXED, fd, PG);
	rm("grow 2 -> 4 in place", f, f, 2 * PG, 4 * PG, 0, NULL);
	printf("pages: %c%c%c%c\n", f[0], f[PG], f[2 * PG], f[3 * PG + 4095]);
	rm("fixed move to 110", w + 110 * PG, f, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, w + 110 * PG);
	f = w + 110 * PG;
	printf("pages: %c%c%c%c\n", f[0], f[PG], f[2 * PG], f[3 * PG + 4095]);
	rm("grow 4 -> 8 past EOF", f, f, 4 * PG, 8 * PG, 0, NULL);
	rd("page 4 (file page 5)", f + 4 * PG);
	rd("page 5 (past EOF)", f + 5 * PG);
	char *s = w + 90 * PG;
	mm("shared, file pages 0..1", s, s, 2 * PG, RW, MAP_SHARED | MAP_FIXED, fd, 0);
	rm("fixed move to 94", w + 94 * PG, s, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, w + 94 * PG);
	s = w + 94 * PG;
	wr("store through the moved mapping", s + PG + 3, 'Z');
	page[0] = 0;
	show("pread", pread(fd, page, 1, PG + 3));
	printf("read() sees it: %s\n", page[0] == 'Z' ? "ok" : "mismatch");
	close(fd);
	show("unlink", unlink(path));

	printf("== shared anonymous, locked\n");
	s = w + 40 * PG;
	mm("shared anon 2 pages", s, s, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	wr("store", s + PG, 5);
	show("munmap 42..46", munmap(w + 42 * PG, 4 * PG));
	rm("grow 2 -> 4 in place", s, s, 2 * PG, 4 * PG, 0, NULL);
	rd("page 1 kept", s + PG);
	rd("page 3 (beyond the shared object)", s + 3 * PG);
	s = w + 50 * PG;
	show("munmap 50..58", munmap(s, 8 * PG));
	mm("locked 2 pages", s, s, 2 * PG, RW, ANON | MAP_FIXED | MAP_LOCKED, -1, 0);
	rm("grow 2 -> 4 in place", s, s, 2 * PG, 4 * PG, 0, NULL);
	resident("locked grown", s, 4);
	show("munlock", munlock(s, 4 * PG));

	printf("== brk\n");
	brk_base = (char *)syscall(SYS_brk, 0);
	show_brk("brk(0)", syscall(SYS_brk, 0));
	show_brk("grow 3 pages", syscall(SYS_brk, brk_base + 3 * PG));
	printf("new pages zero: %s\n", all_bytes((unsigned char *)brk_base, 3 * PG, 0) ? "ok" : "mismatch");
	memset(brk_base, 0x7b, 3 * PG);
	show_brk("shrink to 1 page", syscall(SYS_brk, brk_base + PG));
	rd("page 0", brk_base + 100);
	rd("page 1 (released)", brk_base + PG + 100);
	show_brk("grow to 3 pages again", syscall(SYS_brk, brk_base + 3 * PG));
	rd("page 1 (zero again)", brk_base + PG + 100);
	show_brk("brk(0)", syscall(SYS_brk, 0));
	show_brk("shrink to 1 page + 100 bytes", syscall(SYS_brk, brk_base + PG + 100));
	show_brk("brk(0)", syscall(SYS_brk, 0));
	rd("last byte of page 1", brk_base + 2 * PG - 1);
	rd("page 2", brk_base + 2 * PG);
	show_brk("below the start", syscall(SYS_brk, brk_base - PG));
	show_brk("2^47", syscall(SYS_brk, 1UL << 47));
	show_brk("back to the start", syscall(SYS_brk, brk_base));
	mm("noreplace 6 pages above the start", brk_base + 6 * PG, brk_base + 6 * PG, PG, RW,
	   ANON | MAP_FIXED_NOREPLACE, -1, 0);
	show_brk("grow 5 pages (one page gap left)", syscall(SYS_brk, brk_base + 5 * PG));
	show_brk("grow 6 pages (touches the mapping)", syscall(SYS_brk, brk_base + 6 * PG));
	show_brk("grow 8 pages (over the mapping)", syscall(SYS_brk, brk_base + 8 * PG));
	show_brk("back to the start", syscall(SYS_brk, brk_base));
	rd("the mapping is intact", brk_base + 6 * PG);
	show("munmap window", munmap(w, 128 * PG));
	return 0;
}
