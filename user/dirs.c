/* Directories as a program sees them: mkdir, a sorted getdents64 listing,
 * rename of files and directories, rmdir, chdir/getcwd, openat relative
 * to a directory descriptor, and the errno of calls that must fail.
 * Usage: dirs DIR (a writable scratch directory). Paths are printed
 * relative to DIR. Leaves DIR/dirs.keep/ behind for the test. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "observe.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of path, sorted, with a type letter; "." and ".." included. */
static void list(const char *label, const char *path)
{
	char *names[64];
	int n = 0;
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		printf("%s: opendir: %s\n", label, errname(errno));
		return;
	}
	while ((e = readdir(d)) && n < 64) {
		char *s = malloc(strlen(e->d_name) + 3);
		sprintf(s, "%s%s", e->d_name,
			e->d_type == DT_DIR ? "/" : e->d_type == DT_REG ? "" : "?");
		names[n++] = s;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	printf("%s:", label);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void touch(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0) {
		printf("create %s: %s\n", path, errname(errno));
		return;
	}
	write(fd, text, strlen(text));
	close(fd);
}

int main(int argc, char **argv)
{
	char cwd[4096], base[4096];
	struct stat st;

	if (argc != 2) {
		fprintf(stderr, "usage: dirs DIR\n");
		return 2;
	}
	if (chdir(argv[1]) || !getcwd(base, sizeof(base))) {
		printf("cannot enter %s\n", argv[1]);
		return 1;
	}

	printf("== make a tree\n");
	show("mkdir d", mkdir("d", 0755));
	show("mkdir d/sub", mkdir("d/sub", 0750));
	touch("d/b.txt", "bee\n");
	touch("d/a.txt", "ay\n");
	touch("d/c.txt", "sea\n");
	for (int i = 0; i < 12; i++) {
		char name[64];
		snprintf(name, sizeof(name), "d/sub/file-with-a-longer-name-%02d", i);
		touch(name, "x");
	}
	list("d", "d");
	show("stat d/sub", stat("d/sub", &st));
	printf("  dir=%d mode=%o nlink=%lu\n", S_ISDIR(st.st_mode), st.st_mode & 0777,
	       (unsigned long)st.st_nlink);
	show("stat d", stat("d", &st));
	printf("  nlink=%lu\n", (unsigned long)st.st_nlink);
	DIR *sd = opendir("d/sub");
	int count = 0;
	while (readdir(sd))
		count++;
	closedir(sd);
	printf("d/sub has %d entries\n", count);

	printf("== rename\n");
	show("rename a.txt z.txt", rename("d/a.txt", "d/z.txt"));
	show("rename b.txt over c.txt", rename("d/b.txt", "d/c.txt"));
	show("rename sub sub2", rename("d/sub", "d/sub2"));
	show("rename missing", rename("d/nothing", "d/x"));
	show("rename dir into itself", rename("d", "d/sub2/d"));
	list("d", "d");
	int fd = open("d/c.txt", O_RDONLY);
	char buf[16] = { 0 };
	read(fd, buf, sizeof(buf) - 1);
	close(fd);
	printf("c.txt now holds: %s", buf);

	printf("== chdir, getcwd, openat\n");
	show("chdir d/sub2", chdir("d/sub2"));
	getcwd(cwd, sizeof(cwd));
	printf("cwd below base: %s\n", strncmp(cwd, base, strlen(base)) ? "?" : cwd + strlen(base));
	show("getcwd too small", getcwd(cwd, 3) ? 0 : -1);
	show("open ../z.txt", (fd = open("../z.txt", O_RDONLY)) >= 0 ? 0 : -1);
	close(fd);
	show("chdir ../..", chdir("../.."));
	getcwd(cwd, sizeof(cwd));
	printf("back at base: %d\n", !strcmp(cwd, base));
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	show("openat(d, z.txt)", (fd = openat(dfd, "z.txt", O_RDONLY)) >= 0 ? 0 : -1);
	close(fd);
	show("fstatat(d, sub2)", fstatat(dfd, "sub2", &st, 0));
	show("fstatat(cwd, \"\", AT_EMPTY_PATH)", fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH));
	printf("  a directory: %d\n", S_ISDIR(st.st_mode));
	show("mkdirat(d, made)", mkdirat(dfd, "made", 0700));
	show("unlinkat(d, made, AT_REMOVEDIR)", unlinkat(dfd, "made", AT_REMOVEDIR));
	show("openat on a file fd", openat(open("d/z.txt", O_RDONLY), "x", O_RDONLY));
	show("fchdir(d)", fchdir(dfd));
	getcwd(cwd, sizeof(cwd));
	printf("cwd below base: %s\n", cwd + strlen(base));
	show("chdir ..", chdir(".."));
	close(dfd);

	printf("== errors\n");
	show("mkdir existing", mkdir("d", 0755));
	show("mkdir missing parent", mkdir("nope/x", 0755));
	show("rmdir non-empty", rmdir("d"));
	show("rmdir missing", rmdir("d/none"));
	show("rmdir .", rmdir("d/sub2/."));
	show("chdir to a file", chdir("d/z.txt"));
	show("chdir missing", chdir("d/none"));
	show("unlinkat bad flag", unlinkat(AT_FDCWD, "d", 0x4));
	show("unlinkat dir without AT_REMOVEDIR", unlinkat(AT_FDCWD, "d/sub2", 0));
	show("openat bad dirfd", openat(77, "x", O_RDONLY));

	printf("== tear down\n");
	char name[64];
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "d/sub2/file-with-a-longer-name-%02d", i);
		if (unlink(name))
			show("unlink", -1);
	}
	show("rmdir d/sub2", rmdir("d/sub2"));
	show("unlink d/z.txt", unlink("d/z.txt"));
	show("unlink d/c.txt", unlink("d/c.txt"));
	list("d", "d");
	show("unlinkat d AT_REMOVEDIR", unlinkat(AT_FDCWD, "d", AT_REMOVEDIR));
	show("stat d", stat("d", &st));

	printf("== keep a tree\n");
	mkdir("dirs.keep", 0755);
	mkdir("dirs.keep/inner", 0755);
	touch("dirs.keep/inner/note", "kept by dirs\n");
	list("dirs.keep", "dirs.keep");
	return 0;
}
