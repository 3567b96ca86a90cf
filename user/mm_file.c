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
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "observe.h"

#include "mm_common.h"
#define RW (PROT_READ | PROT_WRITE)
#define SIZE (3 * PG + 100)   /* mm_file.dat: three pages and 100 bytes */

static char dir[400];

static const char *at(const char *name)
{
	static char p[2][512];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 7 + i / 4096 + 3);
}

/* A file of n bytes of pat(); returns an O_RDWR descriptor. */
static int make_file(const char *name, size_t n)
{
	static unsigned char buf[4 * 4096];
	unlink(at(name));
	int fd = open(at(name), O_CREAT | O_EXCL | O_RDWR, 0644);
	for (size_t i = 0; i < n && i < sizeof(buf); i++)
		buf[i] = pat(i);
	if (fd < 0 || write(fd, buf, n) != (ssize_t)n)
		printf("create %s: %s\n", name, errname(errno));
	return fd;
}

static int same_as_pat(const unsigned char *p, size_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pat(off + i))
			return 0;
	return 1;
}

static const char *okm(int c)
{
	return c ? "ok" : "mismatch";
}

static long file_size(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

/* keep mode: a pattern written only through a MAP_SHARED mapping, msync'd. */
static int keep(const char *name)
{
	const size_t n = 3 * PG + 1234;
	unlink(at(name));
	int fd = open(at(name), O_CREAT | O_EXCL | O_RDWR, 0644);
	show("open", fd >= 0 ? 0 : -1);
	show("ftruncate", ftruncate(fd, n));
	unsigned char *m = (unsigned char *)mm("mmap shared 4 pages", NULL, NULL, 4 * PG, RW,
					       MAP_SHARED, fd, 0);
	if (!m)
		return 1;
	for (size_t i = 0; i < n; i++)
		m[i] = (unsigned char)("mm_file keep: written through MAP_SHARED\n"[i % 42] + i / 4096);
	show("msync MS_SYNC", msync(m, 4 * PG, MS_SYNC));
	show("munmap", munmap(m, 4 * PG));
	static unsigned char back[4 * 4096];
	show("pread", pread(fd, back, sizeof(back), 0));
	int same = 1;
	for (size_t i = 0; i < n; i++)
		same &= back[i] == (unsigned char)("mm_file keep: written through MAP_SHARED\n"[i % 42] + i / 4096);
	printf("read() sees the stores: %s\n", okm(same));
	show("close", close(fd));
	return 0;
}

/* A file of n bytes, every byte c; returns an O_RDWR descriptor. */
static int fill_file(const char *name, size_t n, unsigned char c)
{
	static unsigned char chunk[64 * 1024];
	unlink(at(name));
	int fd = open(at(name), O_CREAT | O_EXCL | O_RDWR, 0644);
	memset(chunk, c, sizeof(chunk));
	for (size_t done = 0; fd >= 0 && done < n;) {
		size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
		if (write(fd, chunk, k) != (ssize_t)k) {
			printf("create %s: %s\n", name, errname(errno));
			break;
		}
		done += k;
	}
	return fd;
}

/* pread() whose buffer is an untouched private mapping of another file,
 * after a walk over a shared mapping bigger than the page cache has left
 * every cached page mapped: each fault on the buffer reads the other
 * file's page into the cache while pread() copies out of it, and must not
 * take the page being copied from for that. */
static void read_into_mapping(void)
{
	const size_t big = 12UL << 20, n = 4 * PG;
	printf("== read() into a file mapping, every cached page mapped\n");
	int fbig = fill_file("mm_file.big", big, 0x11);
	int fsrc = make_file("mm_file.src", n);
	int fdst = fill_file("mm_file.dst", n, 0x5a);
	unsigned char *m = (unsigned char *)mm("mmap shared 12 MiB", NULL, NULL, big, PROT_READ,
					       MAP_SHARED, fbig, 0);
	unsigned char *d = (unsigned char *)mm("mmap private dst", NULL, NULL, n, RW, MAP_PRIVATE,
					       fdst, 0);
	if (m && d) {
		unsigned sum = 0;
		for (size_t i = 0; i < big; i += PG)
			sum += m[i];
		printf("walk read %u pages of 0x11: %s\n", (unsigned)(big / PG),
		       okm(sum == (big / PG) * 0x11));
		show("read src into dst", pread(fsrc, d, n, 0));
		printf("dst holds what read() read: %s\n", okm(same_as_pat(d, 0, n)));
		show("pread dst file", pread(fdst, d, 1, 0));
		printf("dst file unchanged: %s\n", okm(d[0] == 0x5a));
	}
	if (m)
		munmap(m, big);
	if (d)
		munmap(d, n);
	close(fbig);
	close(fsrc);
	close(fdst);
	unlink(at("mm_file.big"));
	unlink(at("mm_file.src"));
	unlink(at("mm_file.dst"));
}

/* A file of 4 MiB and 3 pages, mapped shared: the guest maps each whole
 * 2 MiB of it with one entry where it can, and every behaviour must stay
 * what 4 KiB pages give (the same file, stores, protection, fork). */
static void large_pieces(void)
{
	const size_t n = (4UL << 20) + 3 * PG, two = 2UL << 20;
	static unsigned char chunk[PG];
	unsigned char v = 0xa5;
	printf("== a 4 MiB file mapped shared\n");
	unlink(at("mm_file.large"));
	int fd = open(at("mm_file.large"), O_CREAT | O_EXCL | O_RDWR, 0644);
	for (size_t off = 0; fd >= 0 && off < n; off += PG) {
		for (size_t i = 0; i < PG; i++)
			chunk[i] = pat(off + i);
		if (pwrite(fd, chunk, PG, (off_t)off) != (ssize_t)PG) {
			printf("create: %s\n", errname(errno));
			break;
		}
	}
	unsigned char *m = (unsigned char *)mm("mmap shared 4 MiB + 3 pages", NULL, NULL, n, RW,
					       MAP_SHARED, fd, 0);
	if (m) {
		printf("file bytes: %s\n", okm(same_as_pat(m, 0, n)));
		resident("first pages", m, 8);
		show("pwrite at 2 MiB + 5", pwrite(fd, &v, 1, (off_t)two + 5));
		rd("mapping at 2 MiB + 5", m + two + 5);
		wr("store at 100", m + 100, 0x3c);
		show("pread at 100", pread(fd, &v, 1, 100));
		printf("pread sees the store: %s\n", okm(v == 0x3c));
		rd("page 300", m + 300 * PG + 1);
		show("mprotect PROT_NONE page 700", mprotect(m + 700 * PG, PG, PROT_NONE));
		rd("page 700", m + 700 * PG);
		rd("page 701", m + 701 * PG + 2);
		show("munmap page 10", munmap(m + 10 * PG, PG));
		rd("page 10", m + 10 * PG);
		rd("page 11", m + 11 * PG + 3);
		pid_t pid = fork();
		if (pid == 0) {
			wr("child: store at 3 MiB", m + 3 * (two / 2), 0x77);
			_exit(m[two + 5] == 0xa5 ? 0 : 1);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		printf("child: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		rd("parent at 3 MiB", m + 3 * (two / 2));
		show("msync", msync(m, 10 * PG, MS_SYNC));
		show("pread at 3 MiB", pread(fd, &v, 1, (off_t)(3 * (two / 2))));
		printf("file holds the child's store: %s\n", okm(v == 0x77));
		munmap(m, 10 * PG);
		munmap(m + 11 * PG, n - 11 * PG);
	}
	close(fd);
	unlink(at("mm_file.large"));
}

int main(int argc, char **argv)
{
	static unsigned char buf[8 * 4096];
	unsigned char *p, *s, *s2;
	int fd, fw, fr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "tmp");
	if (argc == 4 && !strcmp(argv[2], "keep"))
		return keep(argv[3]);
	catch_faults();

	printf("== private read-only mapping\n");
	fw = make_file("mm_file.dat", SIZE);
	show("size", file_size(fw));
	fr = open(at("mm_file.dat"), O_RDONLY);
	p = (unsigned char *)mm("mmap private PROT_READ 4 pages", NULL, NULL, 4 * PG, PROT_READ,
				MAP_PRIVATE, fr, 0);
	printf("file bytes: %s\n", okm(same_as_pat(p, 0, SIZE)));
	printf("zeros past EOF in the last page: %s\n", okm(all_bytes(p + SIZE, 4 * PG - SIZE, 0)));
	wr("write", p + 10, 1);
	show("munmap", munmap(p, 4 * PG));
	p = (unsigned char *)mm("mmap offset 1 page, 2 pages", NULL, NULL, 2 * PG, PROT_READ,
				MAP_PRIVATE, fr, PG);
	printf("file bytes at offset: %s\n", okm(same_as_pat(p, PG, 2 * PG)));
	show("munmap", munmap(p, 2 * PG));

	printf("== SIGBUS past EOF\n");
	p = (unsigned char *)mm("mmap private 6 pages", NULL, NULL, 6 * PG, PROT_READ, MAP_PRIVATE, fr, 0);
	rd("last byte of page 3", p + 4 * PG - 1);
	rd("page 4", p + 4 * PG + 123);
	rd("page 5", p + 5 * PG + 4095);
	show("munmap", munmap(p, 6 * PG));
	p = (unsigned char *)mm("mmap at offset 8 pages", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, fr, 8 * PG);
	rd("read", p + 1);
	show("munmap", munmap(p, PG));
	s = (unsigned char *)mm("mmap shared RW 6 pages", NULL, NULL, 6 * PG, RW, MAP_SHARED, fw, 0);
	wr("write page 4", s + 4 * PG, 1);
	rd("read page 3", s + 3 * PG + 99);
	show("munmap", munmap(s, 6 * PG));

	printf("== private writable: copy on write\n");
	p = (unsigned char *)mm("mmap private RW on O_RDONLY fd", NULL, NULL, 4 * PG, RW, MAP_PRIVATE, fr, 0);
	wr("write page 0", p + 10, 0xee);
	rd("read it back", p + 10);
	show("pread file byte 10", pread(fr, buf, 1, 10));
	printf("file unchanged: %s\n", okm(buf[0] == pat(10)));
	rd("read page 1 (fault it in)", p + PG + 50);
	show("pwrite X at 4096+50", pwrite(fw, "X", 1, PG + 50));
	rd("private page 1 (not written) sees the file", p + PG + 50);
	wr("write page 1", p + PG + 51, 0x11);
	show("pwrite Y at 4096+60", pwrite(fw, "Y", 1, PG + 60));
	rd("private page 1 after COW keeps its copy", p + PG + 60);
	show("pwrite Z at 8192", pwrite(fw, "Z", 1, 2 * PG));
	rd("private page 2 (untouched) sees the file", p + 2 * PG);
	wr("store past EOF in a private page", p + SIZE + 5, 1);
	show("size unchanged", file_size(fw));
	show("madvise DONTNEED page 0..1", madvise(p, 2 * PG, MADV_DONTNEED));
	rd("page 0 back from the file", p + 10);
	rd("page 1 back from the file", p + PG + 60);
	show("munmap", munmap(p, 4 * PG));
	for (size_t i = 0; i < SIZE; i++)
		buf[i] = pat(i);
	show("pwrite the pattern back", pwrite(fw, buf, SIZE, 0));

	printf("== shared mapping: one copy with read()/write()\n");
	s = (unsigned char *)mm("mmap shared RW", NULL, NULL, 4 * PG, RW, MAP_SHARED, fw, 0);
	s2 = (unsigned char *)mm("mmap shared RW again", NULL, NULL, 4 * PG, RW, MAP_SHARED, fw, 0);
	p = (unsigned char *)mm("mmap private PROT_READ", NULL, NULL, 4 * PG, PROT_READ, MAP_PRIVATE, fr, 0);
	wr("store A at 100", s + 100, 'A');
	show("pread 100", pread(fr, buf, 1, 100));
	printf("read() sees the store: %s\n", okm(buf[0] == 'A'));
	rd("second mapping", s2 + 100);
	rd("private mapping", p + 100);
	show("pwrite B at 8000", pwrite(fw, "B", 1, 8000));
	rd("mapping sees pwrite", s + 8000);
	show("lseek", lseek(fw, 12000, SEEK_SET));
	show("write CD at 12000", write(fw, "CD", 2));
	rd("mapping sees write", s2 + 12001);
	wr("store E at 12300 via second mapping", s2 + 12300, 'E');
	rd("first mapping", s + 12300);
	show("msync MS_SYNC", msync(s, 4 * PG, MS_SYNC));
	show("msync MS_ASYNC", msync(s, 4 * PG, MS_ASYNC));
	show("msync MS_INVALIDATE", msync(s, 4 * PG, MS_INVALIDATE));
	show("msync flags 0", msync(s, PG, 0));
	show("msync MS_SYNC|MS_ASYNC", msync(s, PG, MS_SYNC | MS_ASYNC));
	show("msync unknown flag", msync(s, PG, 8));
	show("msync unaligned", msync(s + 1, PG, MS_SYNC));
	show("msync length 0", msync(s, 0, MS_SYNC));
	show("msync private mapping", msync(p, PG, MS_SYNC));
	show("mlock", mlock(s, PG));
	show("msync MS_INVALIDATE on locked", msync(s, PG, MS_INVALIDATE));
	show("msync MS_SYNC on locked", msync(s, PG, MS_SYNC));
	show("munlock", munlock(s, PG));
	show("munmap second", munmap(s2, 4 * PG));
	show("msync unmapped", msync(s2, PG, MS_SYNC));
	show("munmap private", munmap(p, 4 * PG));
	show("madvise DONTNEED shared", madvise(s, 4 * PG, MADV_DONTNEED));
	rd("shared page keeps the data", s + 100);
	show("munmap", munmap(s, 4 * PG));
	memset(buf, 0, sizeof(buf));
	show("pread all", pread(fr, buf, sizeof(buf), 0));
	int good = 1;
	for (size_t i = 0; i < SIZE; i++) {
		unsigned char e = pat(i);
		if (i == 100) e = 'A';
		if (i == 8000) e = 'B';
		if (i == 12000) e = 'C';
		if (i == 12001) e = 'D';
		if (i == 12300) e = 'E';
		good &= buf[i] == e;
	}
	printf("file contents: %s\n", okm(good));

	printf("== stores past EOF never reach the file\n");
	fd = make_file("mm_file.tail", PG + 10);
	s = (unsigned char *)mm("mmap shared RW 2 pages", NULL, NULL, 2 * PG, RW, MAP_SHARED, fd, 0);
	rd("byte 10 of page 1 (past EOF)", s + PG + 10);
	wr("store past EOF", s + PG + 20, 0x55);
	rd("the mapping keeps it", s + PG + 20);
	wr("store before EOF", s + PG + 9, 0x66);
	show("size", file_size(fd));
	show("pread at EOF", pread(fd, buf, 100, PG + 10));
	show("msync", msync(s, 2 * PG, MS_SYNC));
	show("munmap", munmap(s, 2 * PG));
	show("pread all", pread(fd, buf, sizeof(buf), 0));
	printf("bytes: %s\n", okm(same_as_pat(buf, 0, PG + 9) && buf[PG + 9] == 0x66));
	close(fd);
	show("unlink", unlink(at("mm_file.tail")));

	printf("== a mapping outlives close() and unlink()\n");
	fd = make_file("mm_file.gone", 2 * PG);
	s = (unsigned char *)mm("mmap shared RW", NULL, NULL, 2 * PG, RW, MAP_SHARED, fd, 0);
	show("close", close(fd));
	printf("contents after close: %s\n", okm(same_as_pat(s, 0, 2 * PG)));
	show("unlink", unlink(at("mm_file.gone")));
	printf("contents after unlink: %s\n", okm(same_as_pat(s, 0, 2 * PG)));
	wr("store", s + PG + 1, 9);
	rd("read back", s + PG + 1);
	show("msync", msync(s, 2 * PG, MS_SYNC));
	show("munmap", munmap(s, 2 * PG));
	show("open it again", open(at("mm_file.gone"), O_RDONLY));
	/* pages never touched before the unlink: the data must still be
	 * the file's, even after new files may have taken freed blocks */
	fd = make_file("mm_file.orphan", 4 * PG);
	s = (unsigned char *)mm("mmap private RO", NULL, NULL, 4 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	show("close", close(fd));
	show("unlink", unlink(at("mm_file.orphan")));
	fd = open(at("mm_file.other"), O_CREAT | O_EXCL | O_RDWR, 0644);
	{
		static unsigned char junk[4 * PG];
		memset(junk, 0xee, sizeof(junk));
		show("write another file", write(fd, junk, sizeof(junk)));
	}
	show("fsync it", fsync(fd));
	printf("untouched pages after unlink: %s\n", okm(same_as_pat(s, 0, 4 * PG)));
	show("munmap", munmap(s, 4 * PG));
	show("close", close(fd));
	/* rename over a mapped file: the mapping keeps the old file */
	fd = make_file("mm_file.victim", 4 * PG);
	s = (unsigned char *)mm("mmap private RO", NULL, NULL, 4 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	show("close", close(fd));
	{
		char old[256];
		snprintf(old, sizeof(old), "%s", at("mm_file.other"));
		show("rename another file over it", rename(old, at("mm_file.victim")));
	}
	printf("untouched pages after rename: %s\n", okm(same_as_pat(s, 0, 4 * PG)));
	show("munmap", munmap(s, 4 * PG));
	fd = open(at("mm_file.victim"), O_RDONLY);
	{
		unsigned char c = 0;
		show("read the new file", pread(fd, &c, 1, 5));
		printf("its byte: %#x\n", c);
	}
	show("close", close(fd));
	show("unlink", unlink(at("mm_file.victim")));

	printf("== access modes and errors\n");
	fd = open(at("mm_file.dat"), O_WRONLY);
	mm("O_WRONLY, private PROT_READ", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	mm("O_WRONLY, shared PROT_WRITE", NULL, NULL, PG, PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	mm("O_RDONLY, shared RW", NULL, NULL, PG, RW, MAP_SHARED, fr, 0);
	s = (unsigned char *)mm("O_RDONLY, shared PROT_READ", NULL, NULL, PG, PROT_READ, MAP_SHARED, fr, 0);
	show("mprotect it PROT_WRITE", mprotect(s, PG, RW));
	show("munmap", munmap(s, PG));
	p = (unsigned char *)mm("O_RDONLY, private PROT_READ", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, fr, 0);
	show("mprotect it PROT_WRITE", mprotect(p, PG, RW));
	show("munmap", munmap(p, PG));
	fd = open(at("mm_file.dat"), O_RDWR | O_APPEND);
	s = (unsigned char *)mm("O_APPEND, shared RW", NULL, NULL, PG, RW, MAP_SHARED, fd, 0);
	if (s)
		munmap(s, PG);
	close(fd);
	mm("fd -1 without MAP_ANONYMOUS", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0);
	mm("fd 1000", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, 1000, 0);
	fd = open(at("mm_file.dat"), O_RDONLY);
	close(fd);
	mm("closed fd", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	int pfd[2];
	show("pipe", pipe(pfd));
	mm("pipe", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, pfd[0], 0);
	mm("pipe write end, shared", NULL, NULL, PG, PROT_READ, MAP_SHARED, pfd[1], 0);
	close(pfd[0]);
	close(pfd[1]);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	mm("directory", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	mm("unaligned offset", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, fr, 100);
	mm("length 0", NULL, NULL, 0, PROT_READ, MAP_PRIVATE, fr, 0);
	mm("neither shared nor private", NULL, NULL, PG, PROT_READ, 0, fr, 0);
	s = (unsigned char *)mm("MAP_SHARED_VALIDATE", NULL, NULL, PG, PROT_READ, MAP_SHARED_VALIDATE, fr, 0);
	if (s)
		munmap(s, PG);
	mm("MAP_SHARED_VALIDATE | unknown flag", NULL, NULL, PG, PROT_READ,
	   MAP_SHARED_VALIDATE | 0x200000, fr, 0);
	mm("MAP_SHARED_VALIDATE | MAP_SYNC", NULL, NULL, PG, PROT_READ,
	   MAP_SHARED_VALIDATE | MAP_SYNC, fr, 0);
	mm("MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE", NULL, (void *)0x500000000000UL, PG,
	   PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED_NOREPLACE, fr, 0);
	s = (unsigned char *)mm("MAP_SHARED_VALIDATE | MAP_POPULATE | MAP_LOCKED", NULL, NULL, PG,
				PROT_READ, MAP_SHARED_VALIDATE | MAP_POPULATE | MAP_LOCKED, fr, 0);
	if (s)
		munmap(s, PG);
	s = (unsigned char *)mm("MAP_SHARED | unknown flag (ignored)", NULL, NULL, PG, PROT_READ,
				MAP_SHARED | 0x200000, fr, 0);
	if (s)
		munmap(s, PG);
	s = (unsigned char *)mm("offset 1<<44 (past EOF)", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, fr, 1L << 44);
	if (s) {
		rd("read", s);
		munmap(s, PG);
	}
	mm("offset -4096", NULL, NULL, PG, PROT_READ, MAP_PRIVATE, fr, -4096L);

	printf("== ftruncate under a shared mapping\n");
	s = (unsigned char *)mm("mmap shared RW 6 pages", NULL, NULL, 6 * PG, RW, MAP_SHARED, fw, 0);
	p = (unsigned char *)mm("mmap private PROT_READ 6 pages", NULL, NULL, 6 * PG, PROT_READ, MAP_PRIVATE, fr, 0);
	rd("private page 1 (fault it in)", p + PG);
	rd("shared page 4", s + 4 * PG);
	show("ftruncate to 5 pages", ftruncate(fw, 5 * PG));
	rd("shared page 4", s + 4 * PG);
	wr("store in page 4", s + 4 * PG + 8, 0x44);
	show("pread it", pread(fr, buf, 1, 4 * PG + 8));
	printf("read() sees it: %s\n", okm(buf[0] == 0x44));
	rd("shared page 5", s + 5 * PG);
	show("ftruncate to 1 page", ftruncate(fw, PG));
	rd("shared page 2", s + 2 * PG + 1);
	rd("private page 1 (was mapped)", p + PG);
	rd("shared page 0", s + 100);
	show("munmap", munmap(s, 6 * PG));
	show("munmap", munmap(p, 6 * PG));
	close(fw);
	close(fr);
	show("unlink", unlink(at("mm_file.dat")));
	read_into_mapping();
	large_pieces();
	printf("== done\n");
	return 0;
}
