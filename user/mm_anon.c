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

/* Linux's default vm.max_map_count. The script runs the part that reaches
 * it only where the host has this value. */
#define MAX_MAP_COUNT 65530

/* VMAs the process has: the lines of /proc/self/maps less the vsyscall
 * page, which Linux lists but does not count (it is not a VMA). */
static int vma_count(void)
{
	static char buf[64 * 1024];
	int fd = open("/proc/self/maps", O_RDONLY), lines = 0;
	size_t len = 0;
	ssize_t got;

	if (fd < 0)
		return -1;
	while (len < sizeof(buf) - 1 && (got = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)got;
	close(fd);
	buf[len] = 0;
	for (char *line = buf; *line; line++) {
		char *nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = 0;
		lines += !strstr(line, "[vsyscall]");
		line = nl;
	}
	return lines;
}

/* Splits a mapping until the count reaches vm.max_map_count: mprotect in
 * the middle of a VMA adds two, munmap in the middle one; where each call
 * stops, and what mmap and mprotect answer at and beyond the limit. */
static int map_count_limit(void)
{
	printf("== the map-count limit (vm.max_map_count %d)\n", MAX_MAP_COUNT);
	int base = vma_count(), vmas = base + 1;
	size_t pages = 2 * (size_t)MAX_MAP_COUNT + 64, i = 1;
	char *r = mmap(NULL, pages * PG, RW, ANON | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED) {
		printf("mmap %zu pages: %s\n", pages, errname(errno));
		return 1;
	}
	int early = 0;
	for (; vmas + 2 <= MAX_MAP_COUNT - 8; i += 2, vmas += 2)
		if (mprotect(r + i * PG, PG, PROT_READ)) {
			early = errno;
			break;
		}
	printf("mprotect splits up to 8 below the limit: %s\n", early ? errname(early) : "ok");
	if (early)
		return 1;
	int err = 0;
	for (; i + 2 < pages; i += 2, vmas++)
		if (munmap(r + i * PG, PG)) {
			err = errno;
			break;
		}
	printf("munmap in the middle of a mapping fails with %s at %d VMAs\n",
	       err ? errname(err) : "nothing", vmas);
	r[(i - 1) * PG] = 1;
	printf("the mapping around it is still there: %s\n", r[(i - 1) * PG] == 1 ? "ok" : "mismatch");
	/* read, write and execute: nothing else is, so nothing merges with it */
	const int rwx = PROT_READ | PROT_WRITE | PROT_EXEC;
	char *a = mmap(NULL, PG, rwx, ANON, -1, 0);
	printf("mmap at the limit: %s\n", a == MAP_FAILED ? errname(errno) : "ok");
	char *b = mmap(NULL, PG, rwx, ANON, -1, 0);
	printf("mmap one past the limit: %s\n", b == MAP_FAILED ? errname(errno) : "ok");
	show("mprotect splitting a mapping", mprotect(r + (i + 2) * PG, PG, PROT_NONE));
	show("munmap the split mapping", munmap(r, pages * PG));
	if (a != MAP_FAILED)
		show("munmap the page mapped at the limit", munmap(a, PG));
	if (b != MAP_FAILED)
		show("munmap the page mapped past the limit", munmap(b, PG));
	char *c = mmap(NULL, 4 * PG, RW, ANON, -1, 0);
	printf("mmap after: %s\n", c == MAP_FAILED ? errname(errno) : "ok");
	if (c != MAP_FAILED)
		munmap(c, 4 * PG);
	printf("VMAs as before the splits: %s\n", vma_count() == base ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[2], "mapcount"))
		return map_count_limit();
	catch_faults();
	char *w = reserve(64);   /* window: all MAP_FIXED addresses are inside */
	char *p;

	printf("== lazy zero pages\n");
	p = mm("mmap 4 pages anon", w + 4 * PG, w + 4 * PG, 4 * PG, RW, ANON | MAP_FIXED, -1, 0);
	resident("untouched", p, 4);
	rd("read page 1", p + PG + 17);
	wr("write page 2", p + 2 * PG + 5, 0x5a);
	resident("after read 1, write 2", p, 4);
	printf("all four pages zero but one byte: %s\n",
	       all_bytes((unsigned char *)p, 2 * PG + 5, 0) && p[2 * PG + 5] == 0x5a &&
	       all_bytes((unsigned char *)p + 2 * PG + 6, 2 * PG - 6, 0) ? "ok" : "mismatch");

	printf("== munmap\n");
	memset(p, 0x11, 4 * PG);
	show("munmap page 1", munmap(p + PG, PG));
	rd("read unmapped page 1", p + PG + 100);
	wr("write unmapped page 1", p + PG, 1);
	rd("read page 0", p + 4095);
	rd("read page 2", p + 2 * PG);
	resident("mincore over the hole", p, 4);
	resident("mincore page 2..3", p + 2 * PG, 2);
	show("munmap the hole again", munmap(p + PG, PG));
	show("munmap unaligned", syscall(SYS_munmap, p + 1, PG));
	show("munmap length 0", syscall(SYS_munmap, p, 0));
	show("munmap unaligned length (rounds up)", syscall(SYS_munmap, p + 3 * PG, 1));
	rd("read page 3", p + 3 * PG);
	show("munmap across 2^56", syscall(SYS_munmap, (void *)((1UL << 56) - PG), 0x10000));
	show("munmap across the rest", munmap(p, 4 * PG));
	rd("read page 0", p);

	printf("== MAP_FIXED replaces\n");
	p = mm("mmap fixed 4 pages", w + 8 * PG, w + 8 * PG, 4 * PG, RW, ANON | MAP_FIXED, -1, 0);
	memset(p, 0x22, 4 * PG);
	mm("mmap fixed over pages 1..2", p + PG, p + PG, 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
	rd("page 0 kept", p);
	rd("page 1 fresh", p + PG);
	rd("page 2 fresh", p + 2 * PG + 4095);
	rd("page 3 kept", p + 3 * PG);
	mm("mmap fixed unaligned", NULL, p + 100, PG, RW, ANON | MAP_FIXED, -1, 0);
	mm("mmap fixed PROT_READ over page 3", p + 3 * PG, p + 3 * PG, PG, PROT_READ,
	   ANON | MAP_FIXED, -1, 0);
	wr("write page 3", p + 3 * PG, 1);
	rd("read page 3", p + 3 * PG);

	printf("== MAP_FIXED_NOREPLACE\n");
	mm("noreplace over a mapping", NULL, p, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	mm("noreplace overlapping the end", NULL, p + 3 * PG, 2 * PG, RW,
	   ANON | MAP_FIXED_NOREPLACE, -1, 0);
	mm("noreplace over the reservation", NULL, w + 20 * PG, PG, RW,
	   ANON | MAP_FIXED_NOREPLACE, -1, 0);
	show("munmap 20..24", munmap(w + 20 * PG, 4 * PG));
	mm("noreplace into the hole", w + 20 * PG, w + 20 * PG, 4 * PG, RW,
	   ANON | MAP_FIXED_NOREPLACE, -1, 0);
	rd("read it", w + 23 * PG);
	mm("noreplace unaligned", NULL, w + 20 * PG + 1, PG, RW,
	   ANON | MAP_FIXED_NOREPLACE, -1, 0);
	show("munmap 20..24", munmap(w + 20 * PG, 4 * PG));
	mm("noreplace + fixed into the hole", w + 20 * PG, w + 20 * PG, PG, RW,
	   ANON | MAP_FIXED | MAP_FIXED_NOREPLACE, -1, 0);

	printf("== hints\n");
	show("munmap 30..40", munmap(w + 30 * PG, 10 * PG));
	char *h = mm("hint into the hole", w + 30 * PG, w + 30 * PG, 4 * PG, RW, ANON, -1, 0);
	mm("unaligned hint (rounded down)", w + 34 * PG, w + 34 * PG + 100, 4 * PG, RW, ANON, -1, 0);
	memset(w + 8 * PG, 0x33, PG);
	h = mm("hint over a mapping", NULL, w + 8 * PG, 4 * PG, RW, ANON, -1, 0);
	printf("  placed elsewhere: %s\n", h && h != w + 8 * PG ? "yes" : "no");
	printf("  mapping under the hint intact: %s\n", w[8 * PG] == 0x33 ? "ok" : "mismatch");
	if (h && h != w + 8 * PG) {
		printf("  new mapping zero: %s\n", all_bytes((unsigned char *)h, 4 * PG, 0) ? "ok" : "mismatch");
		show("  munmap it", munmap(h, 4 * PG));
	}

	printf("== MAP_POPULATE, MAP_LOCKED, MAP_NORESERVE, MAP_STACK\n");
	p = mm("populate", w + 44 * PG, w + 44 * PG, 4 * PG, RW, ANON | MAP_FIXED | MAP_POPULATE, -1, 0);
	resident("populate", p, 4);
	printf("  zero: %s\n", all_bytes((unsigned char *)p, 4 * PG, 0) ? "ok" : "mismatch");
	p = mm("locked", w + 48 * PG, w + 48 * PG, 4 * PG, RW, ANON | MAP_FIXED | MAP_LOCKED, -1, 0);
	resident("locked", p, 4);
	show("munlock", munlock(p, 4 * PG));
	p = mm("noreserve", w + 52 * PG, w + 52 * PG, 4 * PG, RW, ANON | MAP_FIXED | MAP_NORESERVE, -1, 0);
	resident("noreserve", p, 4);
	wr("noreserve write", p + PG, 7);
	rd("noreserve read", p + PG);
	p = mm("stack", w + 56 * PG, w + 56 * PG, 4 * PG, RW, ANON | MAP_FIXED | MAP_STACK, -1, 0);
	wr("stack write", p + 3 * PG + 4095, 9);
	rd("stack read", p + 3 * PG + 4095);
	resident("stack", p, 4);

	printf("== MAP_SHARED anonymous\n");
	p = mm("shared anon", w + 60 * PG, w + 60 * PG, 2 * PG, RW,
	       MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	rd("read", p + PG);
	wr("write", p + PG, 42);
	rd("read back", p + PG);

	printf("== MAP_GROWSDOWN\n");
	{
		char *g = reserve(512);
		/* g[0..8) PROT_NONE, g[8..500) hole, g[500..502) growsdown */
		show("munmap hole", munmap(g + 8 * PG, 492 * PG));
		show("munmap top", munmap(g + 502 * PG, 10 * PG));
		char *s = mm("growsdown 2 pages", g + 500 * PG, g + 500 * PG, 2 * PG, RW,
			     ANON | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
		wr("write top page", s + PG, 1);
		wr("write 1 page below", s - PG + 8, 2);
		rd("read it back", s - PG + 8);
		wr("write 8 pages below", s - 8 * PG, 3);
		rd("read between (zero)", s - 4 * PG);
		resident("mincore of the grown part", s - 8 * PG, 10);
		show("munmap 16 pages below (hole)", munmap(s - 24 * PG, 16 * PG));
		/* An accessible mapping within the stack guard gap stops growth. */
		mm("PROT_READ mapping 300 pages below", g + 200 * PG, g + 200 * PG, PG, PROT_READ,
		   ANON | MAP_FIXED, -1, 0);
		wr("write 100 pages below (guard gap)", s - 100 * PG, 4);
		wr("write 290 pages below (guard gap)", s - 290 * PG, 4);
		mm("shared + growsdown", NULL, NULL, PG, RW,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
		show("munmap", munmap(g, 512 * PG));
	}

	printf("== errors\n");
	mm("length 0", NULL, NULL, 0, RW, ANON, -1, 0);
	mm("neither shared nor private", NULL, NULL, PG, RW, MAP_ANONYMOUS, -1, 0);
	mm("map type 0x0f", NULL, NULL, PG, RW, 0x0f | MAP_ANONYMOUS, -1, 0);
	mm("shared_validate anonymous", NULL, NULL, PG, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0);
	mm("anon offset unaligned", NULL, NULL, PG, RW, ANON, -1, 100);
	p = mm("anon fd ignored", NULL, NULL, PG, RW, ANON, 5, 0);
	if (p)
		munmap(p, PG);
	p = mm("anon offset ignored", NULL, NULL, PG, RW, ANON, -1, 1L << 30);
	if (p)
		munmap(p, PG);
	mm("length 1<<47", NULL, NULL, 1UL << 47, RW, ANON, -1, 0);
	mm("length -4096", NULL, NULL, (size_t)-4096, RW, ANON, -1, 0);
	mm("length -1", NULL, NULL, (size_t)-1, RW, ANON, -1, 0);
	mm("fixed across 2^56", NULL, (void *)((1UL << 56) - PG), 2 * PG, RW, ANON | MAP_FIXED, -1, 0);
	mm("fixed at 2^56", NULL, (void *)(1UL << 56), PG, RW, ANON | MAP_FIXED, -1, 0);
	mm("noreplace across 2^56", NULL, (void *)((1UL << 56) - PG), 2 * PG, RW,
	   ANON | MAP_FIXED_NOREPLACE, -1, 0);
	show("munmap window", munmap(w, 64 * PG));
	return 0;
}
