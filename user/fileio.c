/* File I/O as a program sees it: create, write, read, seek, pread/pwrite,
 * holes, truncate, append, stat, unlink, /dev/null and /dev/zero, copies
 * of several pages to and from fresh, read-only and bad buffers, and the
 * errno of calls that must fail. Usage: fileio DIR (a writable scratch
 * directory: /tmp in the guest, a temporary one natively). Prints only
 * what it observes, never addresses or inode numbers, so a native run and
 * a guest run print the same. Leaves DIR/fileio.keep behind (fsync'd) for
 * the test to find on the disk image. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "observe.h"

static char dir[512];

static const char *at(const char *name)
{
	static char p[2][600];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void show_stat(const char *what, int fd)
{
	struct stat st;
	if (show(what, fstat(fd, &st)) == 0)
		printf("  size=%lld reg=%d mode=%o nlink=%lu\n", (long long)st.st_size,
		       S_ISREG(st.st_mode), st.st_mode & 0777, (unsigned long)st.st_nlink);
}

static unsigned sum(const unsigned char *b, size_t n)
{
	unsigned s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

int main(int argc, char **argv)
{
	static unsigned char big[70000], back[70000];
	char buf[64];
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: fileio DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	unlink(at("fileio.dat"));
	umask(022);

	printf("== create, write, read back\n");
	fd = open(at("fileio.dat"), O_CREAT | O_EXCL | O_RDWR, 0666);
	show("open O_CREAT|O_EXCL (fd >= 3)", fd >= 3 ? 0 : -1);
	show("write", write(fd, "hello, file\n", 12));
	show_stat("fstat", fd);
	show("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR));
	show("lseek SEEK_SET 0", lseek(fd, 0, SEEK_SET));
	memset(buf, 0, sizeof(buf));
	show("read", read(fd, buf, sizeof(buf)));
	printf("  got '%.*s'\n", 11, buf);
	show("read at eof", read(fd, buf, sizeof(buf)));

	printf("== across pages\n");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + i / 4096);
	show("pwrite 70000 at 100", pwrite(fd, big, sizeof(big), 100));
	show_stat("fstat", fd);
	show("pread 70000 at 100", pread(fd, back, sizeof(back), 100));
	printf("  same=%d sum=%u\n", !memcmp(big, back, sizeof(big)), sum(back, sizeof(back)));
	show("pread 8 at 4094", pread(fd, buf, 8, 4094));
	printf("  sum=%u\n", sum((unsigned char *)buf, 8));
	show("file offset unchanged", lseek(fd, 0, SEEK_CUR));

	printf("== holes and truncate\n");
	show("pwrite END at 200000", pwrite(fd, "END", 3, 200000));
	show("lseek SEEK_END", lseek(fd, 0, SEEK_END));
	show("pread in the hole", pread(fd, back, 4096, 150000));
	printf("  all zero=%d\n", sum(back, 4096) == 0);
	show("ftruncate 5000", ftruncate(fd, 5000));
	show_stat("fstat", fd);
	show("ftruncate 9000", ftruncate(fd, 9000));
	show("pread 4000 at 5000", pread(fd, back, 4000, 5000));
	printf("  all zero=%d\n", sum(back, 4000) == 0);
	show("pread 100 at 4900", pread(fd, back, 100, 4900));
	printf("  same=%d\n", !memcmp(back, big + 4800, 100));
	show("close", close(fd));

	printf("== append\n");
	fd = open(at("fileio.dat"), O_WRONLY | O_APPEND);
	printf("open O_APPEND: %s\n", fd >= 0 ? "ok" : errname(errno));
	show("lseek SEEK_SET 0", lseek(fd, 0, SEEK_SET));
	show("write", write(fd, "tail", 4));
	show("offset after append", lseek(fd, 0, SEEK_CUR));
	show("fcntl F_GETFL & O_APPEND", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
	show("fcntl F_GETFL & O_ACCMODE", fcntl(fd, F_GETFL) & O_ACCMODE);
	show("read on O_WRONLY", read(fd, buf, 4));
	show("ftruncate O_WRONLY 0", ftruncate(fd, 0));
	close(fd);
	fd = open(at("fileio.dat"), O_RDONLY | O_TRUNC);
	show_stat("O_TRUNC even read-only: fstat", fd);
	show("write on O_RDONLY", write(fd, "x", 1));
	show("ftruncate on O_RDONLY", ftruncate(fd, 0));
	close(fd);

	printf("== stat and unlink\n");
	struct stat st;
	show("stat", stat(at("fileio.dat"), &st));
	printf("  size=%lld dir=%d\n", (long long)st.st_size, S_ISDIR(st.st_mode));
	show("lstat dir", lstat(dir, &st));
	printf("  dir=%d\n", S_ISDIR(st.st_mode));
	show("fstatat", fstatat(AT_FDCWD, at("fileio.dat"), &st, 0));
	show("unlink", unlink(at("fileio.dat")));
	show("stat after unlink", stat(at("fileio.dat"), &st));
	show("access after unlink", access(at("fileio.dat"), F_OK));
	struct statfs sf;
	show("statfs", statfs(dir, &sf) == 0 && sf.f_bsize > 0 && sf.f_namelen == 255 ? 0 : -1);

	printf("== errors\n");
	show("open missing", open(at("no-such-file"), O_RDONLY));
	show("open missing dir", open(at("no-such-dir/file"), O_RDONLY));
	fd = open(at("fileio.tmp"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	show("open O_EXCL existing", open(at("fileio.tmp"), O_CREAT | O_EXCL | O_WRONLY, 0600));
	show("open dir O_WRONLY", open(dir, O_WRONLY));
	show("open dir O_CREAT", open(dir, O_CREAT | O_RDONLY, 0600));
	show("open file/x", open(at("fileio.tmp/x"), O_RDONLY));
	show("open file O_DIRECTORY", open(at("fileio.tmp"), O_RDONLY | O_DIRECTORY));
	show("stat file/", stat(at("fileio.tmp/"), &st));
	show("open empty path", open("", O_RDONLY));
	show("read bad fd", read(99, buf, 1));
	show("write bad fd", write(-1, buf, 1));
	show("close bad fd", close(99));
	show("lseek negative", lseek(fd, -1, SEEK_SET));
	show("lseek bad whence", lseek(fd, 0, 42));
	show("pread negative", pread(fd, buf, 1, -5));
	show("unlink missing", unlink(at("no-such-file")));
	show("unlink dir", unlink(dir));
	show("rmdir file", rmdir(at("fileio.tmp")));
	show("mkdir existing", mkdir(dir, 0755));
	write(fd, "x", 1);
	int rfd = open(at("fileio.tmp"), O_RDONLY);
	show("read into a bad buffer", read(rfd, (void *)16, 1));
	close(rfd);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	show("read dir", read(dfd, buf, 1));
	close(dfd);
	show("unlink tmp", unlink(at("fileio.tmp")));
	close(fd);

	/* Long copies take the kernel's host-copy path on kvm-pvm (pages
	 * translated one by one, missing ones supplied first); every buffer
	 * here must behave as it does natively. */
	printf("== long copies\n");
	static unsigned char pat[10000];
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (unsigned char)(i * 13 + 7);
	fd = open(at("fileio.big"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	show("write 10000", write(fd, pat, sizeof(pat)));
	unsigned char *fresh = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show("pread 10000 into untouched pages", pread(fd, fresh + 100, sizeof(pat), 0));
	printf("  same=%d before=%d after=%d\n", memcmp(fresh + 100, pat, sizeof(pat)) == 0,
	       sum(fresh, 100) == 0, sum(fresh + 100 + sizeof(pat), 4 * 4096 - 100 - sizeof(pat)) == 0);
	unsigned char *ro = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show("pread 5000 into read-only pages", pread(fd, ro + 10, 5000, 0));
	show("pread 5000 into a bad buffer", pread(fd, (void *)16, 5000, 0));
	show("pwrite 5000 from a bad buffer", pwrite(fd, (void *)16, 5000, 0));
	unsigned char *zeros = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	show("pwrite 6000 from untouched pages", pwrite(fd, zeros + 50, 6000, 1000));
	show("pread 10000 back", pread(fd, fresh, sizeof(pat), 0));
	printf("  head=%d zeros=%d tail=%d\n", memcmp(fresh, pat, 1000) == 0,
	       sum(fresh + 1000, 6000) == 0, memcmp(fresh + 7000, pat + 7000, 3000) == 0);
	show("read-only pages untouched", sum(ro, 2 * 4096));
	munmap(fresh, 4 * 4096);
	munmap(ro, 2 * 4096);
	munmap(zeros, 2 * 4096);
	close(fd);
	show("unlink big", unlink(at("fileio.big")));

	printf("== devices\n");
	fd = open("/dev/null", O_RDWR);
	show("write /dev/null", write(fd, "gone", 4));
	show("read /dev/null", read(fd, buf, sizeof(buf)));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 0x55, sizeof(buf));
	show("read /dev/zero", read(fd, buf, 16));
	printf("  zeros=%d untouched=%d\n", sum((unsigned char *)buf, 16) == 0, buf[16] == 0x55);
	show("stat /dev/null", stat("/dev/null", &st));
	printf("  chr=%d rdev=%d:%d\n", S_ISCHR(st.st_mode), (int)(st.st_rdev >> 8),
	       (int)(st.st_rdev & 0xff));
	close(fd);

	printf("== refused calls leave no trace\n");
	fflush(stdout);
	/* the second length makes the sum overflow: Linux writes nothing */
	struct iovec iov[2] = { { "abc", 3 }, { buf, (size_t)SSIZE_MAX - 1 } };
	show("writev over SSIZE_MAX", writev(1, iov, 2));
	/* a huge, empty stretch of the address space: cheap, and nothing there */
	show("munmap 64 TiB of nothing", munmap((void *)0x100000000000ull, 0x400000000000ull));

	printf("== keep a file\n");
	fd = open(at("fileio.keep"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	for (int i = 0; i < 1000; i++)
		dprintf(fd, "line %d of the kept file\n", i);
	show("fsync", fsync(fd));
	show("fdatasync", fdatasync(fd));
	show_stat("fstat", fd);
	show("close", close(fd));
	return 0;
}
