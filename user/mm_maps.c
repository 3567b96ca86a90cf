/* /proc/self/maps as Linux writes it: for mappings this program makes,
 * the line that covers them, field by field (never the addresses, which
 * differ from run to run). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "observe.h"

#define PG 4096UL

static char text[1 << 16];

static void load(void)
{
	int fd = open("/proc/self/maps", O_RDONLY);
	size_t n = 0;
	ssize_t r;

	if (fd < 0) {
		printf("open /proc/self/maps: -1 %s\n", errname(errno));
		exit(1);
	}
	/* small reads: the text must come out the same in pieces */
	while (n < sizeof(text) - 1 && (r = read(fd, text + n, 100)) > 0)
		n += (size_t)r;
	text[n] = 0;
	close(fd);
}

/* The line covering [a, a + len): its fields after the addresses, with the
 * inode shown only as zero / non-zero and the name as found. */
static void line_of(const char *what, const void *a, size_t len)
{
	unsigned long lo, hi, off, ino;
	char perms[8], dev[16], name[512];

	load();
	for (char *l = text; *l;) {
		char *nl = strchr(l, '\n');
		if (!nl)
			break;
		*nl = 0;
		name[0] = 0;
		int k = sscanf(l, "%lx-%lx %7s %lx %15s %lu %511[^\n]", &lo, &hi, perms, &off, dev, &ino,
			       name);
		if (k >= 6 && lo <= (unsigned long)a && (unsigned long)a + len <= hi) {
			const char *nm = name;
			while (*nm == ' ')
				nm++;
			const char *slash = strrchr(nm, '/');
			/* the stack's size is the host's business */
			printf("%s: %s offset %lx %s inode %s pages %lu name %s%s column %s\n", what,
			       perms, off, strcmp(dev, "00:00") ? "dev set" : "dev 00:00",
			       ino ? "set" : "0", strcmp(what, "stack") ? (hi - lo) / PG : 0,
			       slash && nm[0] == '/' ? "..." : "", slash && nm[0] == '/' ? slash : nm,
			       !name[0] ? "-" : (size_t)(strstr(l, nm) - l) == 73 ? "74" : "other");
			return;
		}
		l = nl + 1;
	}
	printf("%s: no line\n", what);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tmp";
	char path[256];
	int local = 0;

	snprintf(path, sizeof(path), "%s/mm_maps.dat", dir);
	unlink(path);
	int fd = open(path, O_CREAT | O_RDWR | O_EXCL, 0644);
	static char page[4 * PG];
	memset(page, 'm', sizeof(page));
	show("create", write(fd, page, sizeof(page)) == (ssize_t)sizeof(page) ? 0 : -1);

	char *r = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	line_of("reservation", r, 4 * PG);
	show("mprotect middle RW", mprotect(r + PG, 2 * PG, PROT_READ | PROT_WRITE));
	line_of("first page", r, PG);
	line_of("middle", r + PG, 2 * PG);
	line_of("last page", r + 3 * PG, PG);

	char *f = mmap(r, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 2 * PG);
	line_of("file private at 8 KiB", f, 2 * PG);
	char *s = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED, fd, 0);
	line_of("file shared rwx", s, 3 * PG);
	char *z = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	line_of("shared anonymous", z, 2 * PG);
	show("close", close(fd));
	show("unlink", unlink(path));
	line_of("after unlink", s, 3 * PG);
	line_of("stack", &local, sizeof(local));
	/* raw brk: musl's sbrk takes only 0 */
	unsigned long h = (unsigned long)syscall(SYS_brk, 0);
	h = (h + PG - 1) & ~(PG - 1);
	show("brk up 3 pages", (unsigned long)syscall(SYS_brk, h + 3 * PG) == h + 3 * PG ? 0 : -1);
	line_of("heap", (void *)h, PG);
	munmap(s, 3 * PG);
	line_of("unmapped", s, PG);
	return 0;
}
