/* guest/fs/ext2*.c on the host, against images made by mke2fs -d from a
 * source tree, at 1 KiB and 4 KiB blocks (loop index 0 and 1). The judges
 * are the source files themselves, e2fsck -fn (every mutating test ends with
 * a clean check) and debugfs reading the image independently.
 *
 * Source tree (built once per run in a mkdtemp directory under /tmp):
 *
 *   /small               20 bytes                 direct blocks only
 *   /medium              50,000 bytes             single indirect (both sizes)
 *   /big                 300,000 bytes            double indirect at 1 KiB
 *   /sparse              data at 0, 1 MiB, 70 MiB triple indirect at 1 KiB
 *   /dir/sub/nested.txt
 *   /dir/sub/deeper/     empty
 *   /dir/link            hard link to /medium
 *
 * Each test makes its own image in a per-process directory; main() removes
 * the whole tree at the end. */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_disk.h"
#include "fs/ext2.h"
#include "fs/ext2_int.h"
#include "fs/fs_hooks.h"
#include "lib/errno.h"

#define KiB 1024u
#define SMALL_SIZE 20u
#define MEDIUM_SIZE 50000u
#define BIG_SIZE 300000u
#define SPARSE_FAR (70ull << 20) /* past 12 + 256 + 256^2 blocks of 1 KiB */
#define SPARSE_SIZE (SPARSE_FAR + 4096)

/* Short fixed paths: the mkdtemp root is about 30 bytes. */
#define PATHLEN 256
static char base[64]; /* mkdtemp root, removed by main */
static char srcdir[96];

struct env {
	char dir[96];
	char img[128];
	uint32_t bs;
	struct fake_disk disk;
	struct ext2_fs fs;
	bool mounted;
};
static struct env E;

/* ---- host helpers ---------------------------------------------------- */

static void run_ok(const char *cmd)
{
	int st = system(cmd);

	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "'%s' failed (%d)", cmd,
		      st);
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* The source tree is built in main(), outside any test: no ck_assert. */
static void need(bool ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(EXIT_FAILURE);
	}
}

static void write_host(const char *rel, uint64_t off, const void *buf, size_t n)
{
	char path[PATHLEN];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", srcdir, rel);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	need(fd >= 0, path);
	need(pwrite(fd, buf, n, (off_t)off) == (ssize_t)n, path);
	need(fchmod(fd, 0644) == 0, path);
	close(fd);
}

static void make_pattern_file(const char *rel, size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n);

	fill_pattern(p, n, seed);
	write_host(rel, 0, p, n);
	free(p);
}

static void make_source_tree(void)
{
	char path[PATHLEN];
	uint8_t blk[4096];

	snprintf(srcdir, sizeof(srcdir), "%s/src", base);
	need(mkdir(srcdir, 0755) == 0, "mkdir");
	write_host("small", 0, "hello, ext2 world!\n", SMALL_SIZE - 1);
	write_host("small", SMALL_SIZE - 1, "\n", 1);
	make_pattern_file("medium", MEDIUM_SIZE, 1);
	make_pattern_file("big", BIG_SIZE, 2);
	/* Holes stay holes: mke2fs skips all-zero blocks. */
	fill_pattern(blk, sizeof(blk), 3);
	write_host("sparse", 0, blk, sizeof(blk));
	write_host("sparse", 1u << 20, blk, sizeof(blk));
	write_host("sparse", SPARSE_FAR, blk, sizeof(blk));
	snprintf(path, sizeof(path), "%s/dir", srcdir);
	need(mkdir(path, 0755) == 0, "mkdir");
	snprintf(path, sizeof(path), "%s/dir/sub", srcdir);
	need(mkdir(path, 0755) == 0, "mkdir");
	snprintf(path, sizeof(path), "%s/dir/sub/deeper", srcdir);
	need(mkdir(path, 0755) == 0, "mkdir");
	/* Whatever the umask, the modes the tests expect. */
	snprintf(path, sizeof(path), "%s/dir", srcdir);
	need(chmod(path, 0755) == 0, "chmod");
	snprintf(path, sizeof(path), "%s/dir/sub", srcdir);
	need(chmod(path, 0755) == 0, "chmod");
	snprintf(path, sizeof(path), "%s/dir/sub/deeper", srcdir);
	need(chmod(path, 0755) == 0, "chmod");
	write_host("dir/sub/nested.txt", 0, "nested\n", 7);
	{
		char a[PATHLEN], b[PATHLEN];

		snprintf(a, sizeof(a), "%s/medium", srcdir);
		snprintf(b, sizeof(b), "%s/dir/link", srcdir);
		need(link(a, b) == 0, "link");
	}
}

static uint8_t *read_source(const char *rel, size_t *len)
{
	char path[PATHLEN];
	struct stat st;
	uint8_t *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", srcdir, rel);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size + 1);
	ck_assert_int_eq(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

/* debugfs reads the image with its own code: the independent witness. */
static uint8_t *debugfs_cat(const char *path, size_t *len)
{
	char cmd[2 * PATHLEN];
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *p = malloc(cap);
	FILE *f;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat %s' '%s' 2>/dev/null", path, E.img);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while ((got = fread(p + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			p = realloc(p, cap *= 2);
	}
	ck_assert_int_eq(pclose(f), 0);
	*len = n;
	return p;
}

static void img_pread(uint64_t off, void *buf, size_t n)
{
	ck_assert_int_eq(pread(E.disk.fd, buf, n, (off_t)off), (ssize_t)n);
}

static void img_pwrite(uint64_t off, const void *buf, size_t n)
{
	ck_assert_int_eq(pwrite(E.disk.fd, buf, n, (off_t)off), (ssize_t)n);
}

static struct ext2_super img_super(void)
{
	struct ext2_super sb;

	img_pread(EXT2_SUPER_OFFSET, &sb, sizeof(sb));
	return sb;
}

static void img_put_super(const struct ext2_super *sb)
{
	img_pwrite(EXT2_SUPER_OFFSET, sb, sizeof(*sb));
}

static uint64_t img_gd_off(uint32_t group)
{
	struct ext2_super sb = img_super();
	uint32_t bs = 1024u << sb.s_log_block_size;

	return (uint64_t)(sb.s_first_data_block + 1) * bs + group * sizeof(struct ext2_group_desc);
}

static uint64_t img_inode_off(uint32_t ino)
{
	struct ext2_super sb = img_super();
	uint32_t bs = 1024u << sb.s_log_block_size, ipg = sb.s_inodes_per_group;
	struct ext2_group_desc gd;

	img_pread(img_gd_off((ino - 1) / ipg), &gd, sizeof(gd));
	return (uint64_t)gd.bg_inode_table * bs + (uint64_t)((ino - 1) % ipg) * sb.s_inode_size;
}

static struct ext2_inode img_inode(uint32_t ino)
{
	struct ext2_inode in;

	img_pread(img_inode_off(ino), &in, sizeof(in));
	return in;
}

static void img_put_inode(uint32_t ino, const struct ext2_inode *in)
{
	img_pwrite(img_inode_off(ino), in, sizeof(*in));
}

/* ---- environment ----------------------------------------------------- */

static void env_mount(void)
{
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, E.disk.size, 0), 0);
	E.mounted = true;
}

static void env_unmount(void)
{
	if (E.mounted)
		ck_assert_int_eq(ext2_unmount(&E.fs), 0);
	E.mounted = false;
	ck_assert_int_eq(fake_pages_out, 0);
}

/* A fresh image of the source tree; opts go to mke2fs before the image
 * name ("" for the defaults). */
static void env_make_with(int loop, const char *opts, const char *size, bool mount)
{
	char cmd[3 * PATHLEN];

	memset(&E, 0, sizeof(E));
	E.bs = loop ? 4096 : 1024;
	snprintf(E.dir, sizeof(E.dir), "%s/t%d", base, (int)getpid());
	ck_assert_int_eq(mkdir(E.dir, 0755), 0);
	snprintf(E.img, sizeof(E.img), "%s/img", E.dir);
	snprintf(cmd, sizeof(cmd), "mke2fs -q -F -t ext2 -b %u %s -d '%s' '%s' %s >/dev/null", E.bs,
		 opts, srcdir, E.img, size);
	run_ok(cmd);
	fake_disk_open(&E.disk, E.img);
	if (mount)
		env_mount();
}

static void env_make(int loop, const char *size, bool mount)
{
	env_make_with(loop, "", size, mount);
}

static void env_setup(int loop)
{
	env_make(loop, loop ? "32M" : "16M", true);
}

/* Unmounts (superblock written, state restored), runs e2fsck -fn and
 * mounts again so the test can go on. */
static void fsck_clean(void)
{
	char cmd[3 * PATHLEN], log[PATHLEN];
	bool was = E.mounted;
	int st;

	env_unmount();
	snprintf(log, sizeof(log), "%s/fsck.log", E.dir);
	snprintf(cmd, sizeof(cmd), "e2fsck -fn '%s' >'%s' 2>&1", E.img, log);
	st = system(cmd);
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		snprintf(cmd, sizeof(cmd), "cat '%s' >&2", log);
		(void)system(cmd);
	}
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "e2fsck -fn: exit %d",
		      WEXITSTATUS(st));
	ck_assert_uint_eq(E.disk.out_of_range, 0);
	if (was)
		env_mount();
}

static uint32_t ino_of(const char *path)
{
	uint32_t ino = 0;
	int err = ext2_lookup(&E.fs, path, &ino);

	ck_assert_msg(err == 0, "lookup %s: %d", path, err);
	return ino;
}

static struct ext2_stat stat_of(const char *path)
{
	struct ext2_stat st;

	ck_assert_int_eq(ext2_stat(&E.fs, ino_of(path), &st), 0);
	return st;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	struct ext2_stat st = stat_of(path);
	uint8_t *p = malloc(st.size + 1);

	ck_assert_int_eq(ext2_read(&E.fs, st.ino, 0, p, st.size), (int64_t)st.size);
	*len = st.size;
	return p;
}

static void assert_same(const char *path, const uint8_t *want, size_t want_len)
{
	size_t len;
	uint8_t *got = read_all(path, &len);

	ck_assert_uint_eq(len, want_len);
	ck_assert_msg(!memcmp(got, want, len), "%s: contents differ", path);
	free(got);
}

/* What debugfs sees must equal what we expect; the image is unmounted
 * around the call so the superblock on disk is current. */
static void assert_debugfs_same(const char *path, const uint8_t *want, size_t want_len)
{
	bool was = E.mounted;
	size_t len;
	uint8_t *got;

	env_unmount();
	got = debugfs_cat(path, &len);
	ck_assert_uint_eq(len, want_len);
	ck_assert_msg(!memcmp(got, want, len), "debugfs %s: contents differ", path);
	free(got);
	if (was)
		env_mount();
}

static void write_ok(const char *path, uint64_t off, const void *buf, size_t n)
{
	ck_assert_int_eq(ext2_write(&E.fs, ino_of(path), off, buf, n), (int64_t)n);
}

/* Names and types in a directory as " name:type name:type ... ". */
static int list_dir(const char *path, char *out, size_t cap)
{
	struct ext2_dir_item it;
	uint64_t pos = 0;
	int n = 0, r;

	strcpy(out, " ");
	while ((r = ext2_readdir(&E.fs, ino_of(path), &pos, &it)) == 1) {
		char one[EXT2_NAME_LEN + 8];

		snprintf(one, sizeof(one), "%s:%u ", it.name, it.type);
		ck_assert_uint_lt(strlen(out) + strlen(one), cap);
		strcat(out, one);
		n++;
	}
	ck_assert_int_eq(r, 0);
	return n;
}

static bool listed(const char *list, const char *name, unsigned type)
{
	char one[EXT2_NAME_LEN + 10];

	snprintf(one, sizeof(one), " %s:%u ", name, type);
	return strstr(list, one) != NULL;
}

static void assert_listed(const char *list, const char *name, unsigned type)
{
	ck_assert_msg(listed(list, name, type), "'%s' (type %u) not in:%s", name, type, list);
}

static uint32_t ino_or_root(const char *path)
{
	uint32_t ino = 0;

	return ext2_lookup(&E.fs, path, &ino) ? EXT2_ROOT_INO : ino;
}

static uint32_t used_dirs(void)
{
	struct ext2_group_desc gd;
	uint32_t n = 0;

	for (uint32_t g = 0; g < E.fs.groups; g++) {
		img_pread(img_gd_off(g), &gd, sizeof(gd));
		n += gd.bg_used_dirs_count;
	}
	return n;
}

/* ---- mount and lookup ------------------------------------------------ */

START_TEST(mount_reads_mke2fs_geometry_and_stays_clean)
{
	struct ext2_stat st;

	env_setup(_i);
	ck_assert_uint_eq(E.fs.block_size, E.bs);
	ck_assert_uint_eq(E.fs.groups, _i ? 1 : 2);
	ck_assert(E.fs.filetype);
	ck_assert_int_eq(ext2_stat(&E.fs, EXT2_ROOT_INO, &st), 0);
	ck_assert_uint_eq(st.mode & EXT2_S_IFMT, EXT2_S_IFDIR);
	ck_assert_uint_eq(st.nlink, 4); /* ".", "..", lost+found, dir */
	/* The scratch page and the block cache's pages. */
	ck_assert_int_eq(fake_pages_out, 1 + (int)E.fs.cache.n);
	ck_assert_uint_le(E.fs.cache.n, EXT2_CACHE_MAX);
	/* Mounted read-write, the volume says "not clean" until unmount. */
	ck_assert_uint_eq(img_super().s_state & EXT2_VALID_FS, 0);
	env_unmount();
	ck_assert_uint_eq(img_super().s_state & EXT2_VALID_FS, EXT2_VALID_FS);
	fsck_clean();
}
END_TEST

START_TEST(lookup_resolves_nested_dot_and_dotdot)
{
	env_setup(_i);
	uint32_t nested = ino_of("/dir/sub/nested.txt");

	ck_assert_uint_eq(ino_of("/"), EXT2_ROOT_INO);
	ck_assert_uint_eq(ino_of("//dir///sub/./nested.txt"), nested);
	ck_assert_uint_eq(ino_of("/dir/sub/deeper/../nested.txt"), nested);
	ck_assert_uint_eq(ino_of("/.."), EXT2_ROOT_INO);
	ck_assert_uint_eq(ino_of("/../../dir/.."), EXT2_ROOT_INO);
	ck_assert_uint_eq(ino_of("/dir/sub/.."), ino_of("/dir"));
	ck_assert_uint_eq(ino_of("/dir/link"), ino_of("/medium"));
}
END_TEST

START_TEST(lookup_rejects_relative_missing_and_overlong_paths)
{
	char name[300], path[EXT2_PATH_MAX + 10];
	uint32_t ino;

	env_setup(_i);
	name[0] = '/';
	memset(name + 1, 'a', 256);
	name[257] = '\0';
	ck_assert_int_eq(ext2_lookup(&E.fs, "dir/sub", &ino), -EINVAL);
	ck_assert_int_eq(ext2_lookup(&E.fs, "", &ino), -EINVAL);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/nope", &ino), -ENOENT);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/dir/nope/x", &ino), -ENOENT);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/small/x", &ino), -ENOTDIR);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/small/..", &ino), -ENOTDIR);
	ck_assert_int_eq(ext2_lookup(&E.fs, name, &ino), -ENAMETOOLONG);
	/* Long in total, and deep: both bounded. */
	for (size_t i = 0; i < sizeof(path) - 1; i += 2)
		memcpy(path + i, "/.", 2);
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(ext2_lookup(&E.fs, path, &ino), -ENAMETOOLONG);
	path[2 * (EXT2_PATH_HOPS + 1)] = '\0';
	ck_assert_int_eq(ext2_lookup(&E.fs, path, &ino), -ENAMETOOLONG);
	path[2 * EXT2_PATH_HOPS] = '\0';
	ck_assert_uint_eq(ino_of(path), EXT2_ROOT_INO);
}
END_TEST

START_TEST(stat_reports_mode_size_links_and_blocks)
{
	env_setup(_i);
	struct ext2_stat st = stat_of("/big");

	ck_assert_uint_eq(st.mode, EXT2_S_IFREG | 0644);
	ck_assert_uint_eq(st.size, BIG_SIZE);
	ck_assert_uint_eq(st.nlink, 1);
	ck_assert_uint_eq(st.blksize, E.bs);
	/* Data blocks plus indirect ones, in 512-byte units. */
	ck_assert_uint_ge(st.blocks * 512, BIG_SIZE);
	ck_assert_uint_eq(st.blocks % (E.bs / 512), 0);
	ck_assert_uint_eq(stat_of("/medium").nlink, 2);
	ck_assert_uint_eq(stat_of("/dir").nlink, 3);
	ck_assert_uint_eq(stat_of("/dir/sub").nlink, 3);
	ck_assert_uint_eq(stat_of("/dir/sub").mode, EXT2_S_IFDIR | 0755);
	ck_assert_uint_eq(stat_of("/dir/sub").size, E.bs);
	ck_assert_uint_ne(st.mtime, 0);
}
END_TEST

/* ---- read ------------------------------------------------------------ */

START_TEST(read_matches_source_bytes_at_any_offset)
{
	const char *names[] = {"small", "medium", "big"};

	env_setup(_i);
	for (size_t f = 0; f < 3; f++) {
		char path[64];
		size_t len;
		uint8_t *want = read_source(names[f], &len), buf[1000];
		uint32_t ino;

		snprintf(path, sizeof(path), "/%s", names[f]);
		assert_same(path, want, len);
		ino = ino_of(path);
		/* Odd offsets and lengths that straddle block boundaries. */
		for (uint64_t off = 7; off < len; off += 997) {
			size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);

			ck_assert_int_eq(ext2_read(&E.fs, ino, off, buf, sizeof(buf)), (int64_t)n);
			ck_assert(!memcmp(buf, want + off, n));
		}
		ck_assert_int_eq(ext2_read(&E.fs, ino, len, buf, 10), 0);
		ck_assert_int_eq(ext2_read(&E.fs, ino, len + 12345, buf, 10), 0);
		free(want);
	}
}
END_TEST

START_TEST(read_holes_as_zeros_through_triple_indirect)
{
	char src[PATHLEN];
	uint8_t got[8192], want[8192];
	const uint64_t offs[] = {
	    0, 4000, (1u << 20) - 4096, (1u << 20) + 100, SPARSE_FAR - 4096, SPARSE_FAR - 10};
	int fd;

	env_setup(_i);
	snprintf(src, sizeof(src), "%s/sparse", srcdir);
	fd = open(src, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	uint32_t ino = ino_of("/sparse");
	struct ext2_stat st = stat_of("/sparse");
	ck_assert_uint_eq(st.size, SPARSE_SIZE);
	/* Three 4 KiB extents and their map: far less than the size. */
	ck_assert_uint_lt(st.blocks * 512, 64 * KiB);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		size_t n = sizeof(got);

		if (offs[i] + n > SPARSE_SIZE)
			n = SPARSE_SIZE - offs[i];
		ck_assert_int_eq(pread(fd, want, n, (off_t)offs[i]), (ssize_t)n);
		memset(got, 0xaa, sizeof(got));
		ck_assert_int_eq(ext2_read(&E.fs, ino, offs[i], got, sizeof(got)), (int64_t)n);
		ck_assert_msg(!memcmp(got, want, n), "sparse at %llu", (unsigned long long)offs[i]);
	}
	close(fd);
}
END_TEST

/* The page-cache fill: runs of pages, each read by one device request (or
 * none for holes), must give the file's bytes, zeros in holes, and never
 * more than the asked-for pages. */
START_TEST(page_runs_read_the_file_with_one_request_each)
{
	const char *names[] = {"medium", "big", "sparse"};
	enum { MAXP = 8 };
	uint8_t *pages[MAXP];

	env_setup(_i);
	for (int k = 0; k < MAXP; k++)
		pages[k] = fs_page_alloc();
	for (size_t f = 0; f < 3; f++) {
		char path[64], src[PATHLEN];
		struct ext2_pages m;
		uint64_t idx = 0, size;
		unsigned runs = 0;
		uint8_t *want = malloc(4096);
		uint32_t ino;
		int fd;

		snprintf(path, sizeof(path), "/%s", names[f]);
		snprintf(src, sizeof(src), "%s/%s", srcdir, names[f]);
		fd = open(src, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ino = ino_of(path);
		size = stat_of(path).size;
		/* The sparse file: its first MiB and a page either side. */
		if (size > (2u << 20))
			size = (1u << 20) + 8192;
		while (idx * 4096 < size) {
			unsigned before = E.disk.reads;
			int64_t got;

			ck_assert_int_eq(ext2_pages_map(&E.fs, ino, idx, MAXP, &m), 0);
			ck_assert_uint_ge(m.n, 1);
			ck_assert_uint_le(m.n, MAXP);
			before = E.disk.reads;
			got = ext2_pages_read(&E.fs, ino, &m, pages);
			ck_assert_int_gt(got, 0);
			ck_assert_int_le(got, (int64_t)m.n * 4096);
			/* One request, or none for holes; split pages block by block. */
			if (!m.split)
				ck_assert_uint_le(E.disk.reads - before, 1);
			for (unsigned k = 0; k < m.n && (int64_t)k * 4096 < got; k++) {
				size_t n = got - (int64_t)k * 4096 < 4096 ? (size_t)(got - k * 4096) : 4096;

				ck_assert_int_eq(pread(fd, want, n, (off_t)((idx + k) * 4096)), (ssize_t)n);
				ck_assert_msg(!memcmp(pages[k], want, n), "%s page %llu", path,
					      (unsigned long long)(idx + k));
			}
			idx += m.n;
			runs++;
		}
		/* Contiguous files come in far fewer runs than pages. */
		if (f < 2)
			ck_assert_uint_lt(runs, (size + 4095) / 4096);
		ck_assert_int_eq(ext2_pages_map(&E.fs, ino, (stat_of(path).size + 4095) / 4096, MAXP,
					       &m), 0);
		ck_assert_uint_eq(m.n, 0);
		close(fd);
		free(want);
	}
	for (int k = 0; k < MAXP; k++)
		fs_page_free(pages[k]);
}
END_TEST

/* The runs ext2_pages_map finds, against the plain definition: page by
 * page, block by block, with ext2_bmap: n pages from idx (at most max)
 * whose blocks continue the first block's (or are all holes); the first
 * page alone and split when its own blocks do not. */
static void ref_pages_map(uint32_t ino, uint64_t idx, unsigned max, unsigned *n, uint32_t *pblk,
			  bool *split)
{
	struct ext2_inode in;
	uint32_t bpp = 4096 >> E.fs.block_shift, expect = 0;
	ck_assert_int_eq(ext2_inode_read(&E.fs, ino, &in), 0);
	uint64_t size = ext2_inode_size(&in), pages = (size + 4095) / 4096;
	uint64_t nblk = (size + E.fs.block_size - 1) >> E.fs.block_shift, lblk = idx * bpp;

	*n = 0, *pblk = 0, *split = false;
	for (unsigned k = 0; k < max && idx + k < pages; k++) {
		for (uint32_t b = 0; b < bpp && lblk < nblk; b++, lblk++) {
			uint32_t p;
			ck_assert_int_eq(ext2_bmap(&E.fs, ino, &in, lblk, 0, &p), 0);
			if (k == 0 && b == 0)
				*pblk = expect = p;
			if (p != expect) {
				if (k == 0)
					*split = true, *n = 1;
				return;
			}
			if (expect)
				expect++;
		}
		(*n)++;
	}
}

/* Counted by the file system's loop or by the host's (fs_word_run). */
START_TEST(page_runs_match_the_block_by_block_map)
{
	const char *names[] = {"medium", "big", "sparse", "frag"};
	static const unsigned maxes[] = {1, 3, 32, 600};
	static const unsigned aheads[] = {0, 0, 0, 1500};
	uint8_t blk[4096];
	uint32_t a, b;

	env_setup(_i);
	/* A fragmented file: grown a block at a time in turn with another. */
	ck_assert_int_eq(ext2_create(&E.fs, "/frag", 0644, &a), 0);
	ck_assert_int_eq(ext2_create(&E.fs, "/other", 0644, &b), 0);
	fill_pattern(blk, sizeof(blk), 9);
	for (uint64_t k = 0; k < 300; k++) {
		uint32_t bs = E.fs.block_size;
		ck_assert_int_eq(ext2_write(&E.fs, a, k * bs, blk, bs), (int64_t)bs);
		if (k % 3 == 0)
			ck_assert_int_eq(ext2_write(&E.fs, b, k * bs, blk, bs), (int64_t)bs);
	}
	for (size_t f = 0; f < 2 * sizeof(names) / sizeof(names[0]); f++) {
		char path[64];
		fake_word_run_host = f >= sizeof(names) / sizeof(names[0]);
		snprintf(path, sizeof(path), "/%s", names[f % (sizeof(names) / sizeof(names[0]))]);
		uint32_t ino = ino_of(path);
		uint64_t pages = (stat_of(path).size + 4095) / 4096;
		for (uint64_t idx = 0; idx <= pages; idx++) {
			/* the sparse file: its first 260 pages (a hole, the block
			 * at 1 MiB) and its last 40 */
			if (idx == 260 && pages > 1000)
				idx = pages - 40;
			for (size_t k = 0; k < sizeof(maxes) / sizeof(maxes[0]); k++) {
				struct ext2_pages m;
				unsigned n;
				uint32_t pblk;
				bool split;
				ck_assert_int_eq(ext2_pages_map_ahead(&E.fs, ino, idx, maxes[k],
								      aheads[k], &m), 0);
				ref_pages_map(ino, idx, maxes[k], &n, &pblk, &split);
				ck_assert_msg(m.n == n && (!n || (m.pblk == pblk && m.split == split)),
					      "%s page %llu max %u: n %u pblk %u split %d, want %u %u %d",
					      path, (unsigned long long)idx, maxes[k], m.n, m.pblk,
					      m.split, n, pblk, split);
			}
		}
	}
	ck_assert_uint_gt(fake_word_runs, 0);
	fake_word_run_host = false;
}
END_TEST

/* A long run found once is remembered for the pieces after it; a file
 * whose blocks are freed and allocated elsewhere must not be answered
 * from it (another file now owns those blocks). */
START_TEST(remembered_runs_go_when_a_block_map_changes)
{
	uint8_t blk[4096];
	uint32_t big, b, bs, pblk;
	struct ext2_pages m;
	unsigned n;
	bool split;

	env_setup(_i);
	bs = E.fs.block_size;
	big = ino_of("/big");
	uint64_t blocks = (BIG_SIZE + bs - 1) / bs;
	ck_assert_int_eq(ext2_pages_map_ahead(&E.fs, big, 0, 2, 254, &m), 0);
	/* its direct blocks are one run (mke2fs): remembered */
	ck_assert_uint_eq(E.fs.run_memo.ino, big);
	ck_assert_uint_ge(E.fs.run_memo.n, 2 * (4096 / bs));
	/* a page inside it: from what was remembered, as the map says */
	ck_assert_int_eq(ext2_pages_map(&E.fs, big, 1, 8, &m), 0);
	ref_pages_map(big, 1, 8, &n, &pblk, &split);
	ck_assert_uint_eq(m.n, n);
	ck_assert_uint_eq(m.pblk, pblk);
	uint32_t old = m.pblk;
	/* its blocks go to another file, it gets new ones */
	fill_pattern(blk, sizeof(blk), 3);
	ck_assert_int_eq(ext2_truncate(&E.fs, big, 0), 0);
	ck_assert_int_eq(ext2_create(&E.fs, "/b", 0644, &b), 0);
	for (uint64_t k = 0; k < blocks; k++)
		ck_assert_int_eq(ext2_write(&E.fs, b, k * bs, blk, bs), (int64_t)bs);
	for (uint64_t k = 0; k < blocks; k++)
		ck_assert_int_eq(ext2_write(&E.fs, big, k * bs, blk, bs), (int64_t)bs);
	ck_assert_int_eq(ext2_pages_map(&E.fs, big, m.idx, 8, &m), 0);
	ref_pages_map(big, m.idx, 8, &n, &pblk, &split);
	ck_assert_uint_eq(m.n, n);
	ck_assert_uint_eq(m.pblk, pblk);
	ck_assert_uint_ne(pblk, old);
}
END_TEST

/* ext2_inode_read remembers the inode it read last; any write over its
 * bytes, through ext2_inode_write or a plain device write, must show in
 * the next read, and another inode is never answered from it. */
START_TEST(inode_reads_see_every_write_to_the_inode)
{
	struct ext2_inode in, again, other;
	uint64_t off;

	env_setup(_i);
	uint32_t ino = ino_of("/medium"), ino2 = ino_of("/big");
	ck_assert_int_eq(ext2_inode_read(&E.fs, ino, &in), 0);
	ck_assert_int_eq(ext2_inode_read(&E.fs, ino2, &other), 0);
	ck_assert_uint_eq(ext2_inode_size(&other), BIG_SIZE);
	ck_assert_int_eq(ext2_inode_read(&E.fs, ino, &again), 0);
	ck_assert_uint_eq(ext2_inode_size(&again), MEDIUM_SIZE);
	in.i_mtime = 12345;
	ck_assert_int_eq(ext2_inode_write(&E.fs, ino, &in), 0);
	ck_assert_int_eq(ext2_inode_read(&E.fs, ino, &again), 0);
	ck_assert_uint_eq(again.i_mtime, 12345);
	/* a device write over part of it (as a directory or bitmap write
	 * beside it could be, were the offsets wrong) */
	off = img_inode_off(ino) + offsetof(struct ext2_inode, i_mtime);
	uint32_t t = 777;
	ck_assert_int_eq(ext2_dev_write(&E.fs, off, &t, sizeof(t)), 0);
	ck_assert_int_eq(ext2_inode_read(&E.fs, ino, &again), 0);
	ck_assert_uint_eq(again.i_mtime, 777);
	/* another inode still reads as itself */
	ck_assert_int_eq(ext2_inode_read(&E.fs, ino2, &other), 0);
	ck_assert_uint_eq(ext2_inode_size(&other), BIG_SIZE);
	fsck_clean();
}
END_TEST

START_TEST(read_only_mount_refuses_every_change)
{
	uint8_t buf[16];
	uint32_t ino;

	env_make(_i, "16M", false);
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, E.disk.size, EXT2_MOUNT_RDONLY), 0);
	E.mounted = true;
	ino = ino_of("/small");
	ck_assert_int_eq(ext2_read(&E.fs, ino, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
	ck_assert_int_eq(ext2_write(&E.fs, ino, 0, "x", 1), -EROFS);
	ck_assert_int_eq(ext2_truncate(&E.fs, ino, 0), -EROFS);
	ck_assert_int_eq(ext2_create(&E.fs, "/new", 0644, NULL), -EROFS);
	ck_assert_int_eq(ext2_mkdir(&E.fs, "/newd", 0755, NULL), -EROFS);
	ck_assert_int_eq(ext2_unlink(&E.fs, "/small"), -EROFS);
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/dir/sub/deeper"), -EROFS);
	ck_assert_int_eq(ext2_rename(&E.fs, "/small", "/x"), -EROFS);
	ck_assert_uint_eq(E.disk.writes, 0);
	env_unmount();
	ck_assert_uint_eq(E.disk.writes, 0);
}
END_TEST

/* ---- write and truncate ---------------------------------------------- */

START_TEST(write_in_place_changes_only_those_bytes)
{
	size_t len;
	uint8_t *want = read_source("medium", &len), patch[3000];

	env_setup(_i);
	fill_pattern(patch, sizeof(patch), 99);
	write_ok("/medium", 5000, patch, sizeof(patch));
	write_ok("/medium", len - 10, patch, 10);
	memcpy(want + 5000, patch, sizeof(patch));
	memcpy(want + len - 10, patch, 10);
	ck_assert_uint_eq(stat_of("/medium").size, len);
	assert_same("/medium", want, len);
	assert_same("/dir/link", want, len);
	assert_debugfs_same("/medium", want, len);
	fsck_clean();
	free(want);
}
END_TEST

START_TEST(write_grows_file_into_double_indirect_blocks)
{
	uint8_t *want = malloc(BIG_SIZE), chunk[4099];
	size_t have = SMALL_SIZE;
	uint64_t free_before;

	env_setup(_i);
	memcpy(want, "hello, ext2 world!\n\n", SMALL_SIZE);
	free_before = E.fs.sb.s_free_blocks_count;
	while (have < BIG_SIZE) {
		size_t n = BIG_SIZE - have < sizeof(chunk) ? BIG_SIZE - have : sizeof(chunk);

		fill_pattern(chunk, n, (uint32_t)have);
		write_ok("/small", have, chunk, n);
		memcpy(want + have, chunk, n);
		have += n;
	}
	struct ext2_stat st = stat_of("/small");
	ck_assert_uint_eq(st.size, BIG_SIZE);
	/* Every block counted in i_blocks came out of the free count. */
	ck_assert_uint_eq(free_before - E.fs.sb.s_free_blocks_count + 1, st.blocks / (E.bs / 512));
	assert_same("/small", want, BIG_SIZE);
	assert_debugfs_same("/small", want, BIG_SIZE);
	fsck_clean();
	free(want);
}
END_TEST

START_TEST(write_past_end_leaves_a_hole_of_zeros)
{
	uint8_t buf[20000];
	size_t len;
	uint8_t *got;

	env_setup(_i);
	write_ok("/small", 100000, "tail", 4);
	ck_assert_uint_eq(stat_of("/small").size, 100004);
	got = read_all("/small", &len);
	memset(buf, 0, sizeof(buf));
	ck_assert(!memcmp(got, "hello, ext2 world!\n\n", SMALL_SIZE));
	for (size_t off = SMALL_SIZE; off < 100000; off += sizeof(buf)) {
		size_t n = 100000 - off < sizeof(buf) ? 100000 - off : sizeof(buf);

		ck_assert_msg(!memcmp(got + off, buf, n), "hole not zero near %zu", off);
	}
	ck_assert(!memcmp(got + 100000, "tail", 4));
	/* Two data blocks and an indirect one, not 100 KB worth. */
	ck_assert_uint_le(stat_of("/small").blocks, 3 * E.bs / 512);
	free(got);
	fsck_clean();
}
END_TEST

START_TEST(write_far_offset_uses_triple_indirect_and_large_file)
{
	uint64_t apb, off;
	uint8_t got[32];
	uint32_t ino;

	env_setup(_i);
	/* The triple indirect range starts at block 12 + A + A^2; at 4 KiB
	 * that is past 4 GiB, so i_dir_acl carries the size's high half. */
	apb = E.bs / 4;
	off = (12 + apb + apb * apb + 5) * E.bs + 123;
	ck_assert_int_eq(ext2_create(&E.fs, "/far", 0600, &ino), 0);
	ck_assert_int_eq(ext2_write(&E.fs, ino, off, "far away", 8), 8);
	ck_assert_int_eq(ext2_read(&E.fs, ino, off - 8, got, sizeof(got)), 16);
	ck_assert(!memcmp(got, "\0\0\0\0\0\0\0\0far away", 16));
	ck_assert_uint_eq(stat_of("/far").size, off + 8);
	/* Data, single, double and triple indirect: four blocks. */
	ck_assert_uint_eq(stat_of("/far").blocks, 4 * E.bs / 512);
	fsck_clean();
	ck_assert_int_eq(ext2_truncate(&E.fs, ino, 0), 0);
	ck_assert_uint_eq(stat_of("/far").blocks, 0);
	fsck_clean();
}
END_TEST

START_TEST(truncate_shrinks_frees_and_regrows_with_zeros)
{
	size_t len;
	uint8_t *want = read_source("big", &len);
	uint32_t free_before, ino;
	struct ext2_stat before;

	env_setup(_i);
	ino = ino_of("/big");
	before = stat_of("/big");
	free_before = E.fs.sb.s_free_blocks_count;
	ck_assert_int_eq(ext2_truncate(&E.fs, ino, 5000), 0);
	ck_assert_uint_eq(stat_of("/big").size, 5000);
	ck_assert_uint_eq(stat_of("/big").blocks, (5000 + E.bs - 1) / E.bs * (E.bs / 512));
	ck_assert_uint_gt(E.fs.sb.s_free_blocks_count, free_before);
	assert_same("/big", want, 5000);
	fsck_clean();
	/* Growing again, by truncate or by a write past the end, exposes
	 * zeros, not the bytes the file held before. */
	ck_assert_int_eq(ext2_truncate(&E.fs, ino, 20000), 0);
	memset(want + 5000, 0, 15000);
	assert_same("/big", want, 20000);
	ck_assert_uint_eq(stat_of("/big").blocks, (5000 + E.bs - 1) / E.bs * (E.bs / 512));
	write_ok("/big", 30000, "Z", 1);
	memset(want + 20000, 0, 10000);
	want[30000] = 'Z';
	assert_same("/big", want, 30001);
	fsck_clean();
	ck_assert_int_eq(ext2_truncate(&E.fs, ino, 0), 0);
	ck_assert_uint_eq(stat_of("/big").blocks, 0);
	ck_assert_uint_eq(E.fs.sb.s_free_blocks_count, free_before + before.blocks / (E.bs / 512));
	fsck_clean();
	ck_assert_int_eq(ext2_truncate(&E.fs, ino_of("/dir"), 0), -EISDIR);
	free(want);
}
END_TEST

START_TEST(disk_full_gives_enospc_and_a_consistent_image)
{
	uint8_t *chunk = malloc(256 * KiB);
	uint32_t ino;
	int64_t r = 0;
	uint64_t off = 0;

	env_make(_i, _i ? "8M" : "4M", true);
	memset(chunk, 0x5a, 256 * KiB);
	ck_assert_int_eq(ext2_create(&E.fs, "/fill", 0644, &ino), 0);
	while ((r = ext2_write(&E.fs, ino, off, chunk, 256 * KiB)) == 256 * KiB)
		off += (uint64_t)r;
	if (r > 0) {
		off += (uint64_t)r;
		r = ext2_write(&E.fs, ino, off, chunk, 256 * KiB);
	}
	ck_assert_int_eq(r, -ENOSPC);
	ck_assert_uint_eq(E.fs.sb.s_free_blocks_count, 0);
	ck_assert_int_eq(ext2_create(&E.fs, "/dir/another", 0644, NULL), 0);
	fsck_clean();
	ck_assert_int_eq(ext2_unlink(&E.fs, "/fill"), 0);
	ck_assert_uint_gt(E.fs.sb.s_free_blocks_count, off / E.bs);
	fsck_clean();
	free(chunk);
}
END_TEST

/* ---- namespace --------------------------------------------------------- */

START_TEST(create_makes_an_empty_file_that_can_be_written)
{
	uint32_t ino;

	env_setup(_i);
	ck_assert_int_eq(ext2_create(&E.fs, "/dir/sub/new.txt", 0640, &ino), 0);
	ck_assert_uint_eq(ino_of("/dir/sub/new.txt"), ino);
	struct ext2_stat st = stat_of("/dir/sub/new.txt");
	ck_assert_uint_eq(st.mode, EXT2_S_IFREG | 0640);
	ck_assert_uint_eq(st.size, 0);
	ck_assert_uint_eq(st.nlink, 1);
	ck_assert_uint_eq(st.blocks, 0);
	write_ok("/dir/sub/new.txt", 0, "fresh data\n", 11);
	assert_debugfs_same("/dir/sub/new.txt", (const uint8_t *)"fresh data\n", 11);
	ck_assert_int_eq(ext2_create(&E.fs, "/dir/sub/new.txt", 0644, NULL), -EEXIST);
	ck_assert_int_eq(ext2_create(&E.fs, "/dir", 0644, NULL), -EEXIST);
	ck_assert_int_eq(ext2_create(&E.fs, "/", 0644, NULL), -EEXIST);
	ck_assert_int_eq(ext2_create(&E.fs, "/dir/..", 0644, NULL), -EEXIST);
	ck_assert_int_eq(ext2_create(&E.fs, "/nodir/x", 0644, NULL), -ENOENT);
	ck_assert_int_eq(ext2_create(&E.fs, "/small/x", 0644, NULL), -ENOTDIR);
	fsck_clean();
}
END_TEST

START_TEST(mkdir_makes_dot_entries_and_counts_links)
{
	char list[512];
	uint32_t ino, parent_links, dirs_before;

	env_setup(_i);
	parent_links = stat_of("/dir").nlink;
	dirs_before = used_dirs();
	ck_assert_int_eq(ext2_mkdir(&E.fs, "/dir/made", 0750, &ino), 0);
	ck_assert_uint_eq(stat_of("/dir").nlink, parent_links + 1);
	struct ext2_stat st = stat_of("/dir/made");
	ck_assert_uint_eq(st.mode, EXT2_S_IFDIR | 0750);
	ck_assert_uint_eq(st.nlink, 2);
	ck_assert_uint_eq(st.size, E.bs);
	ck_assert_int_eq(list_dir("/dir/made", list, sizeof(list)), 2);
	assert_listed(list, ".", EXT2_FT_DIR);
	assert_listed(list, "..", EXT2_FT_DIR);
	ck_assert_uint_eq(ino_of("/dir/made/.."), ino_of("/dir"));
	ck_assert_uint_eq(ino_of("/dir/made/."), ino);
	ck_assert_int_eq(ext2_create(&E.fs, "/dir/made/inside", 0644, NULL), 0);
	ck_assert_int_eq(ext2_mkdir(&E.fs, "/dir/made/subdir", 0755, NULL), 0);
	ck_assert_uint_eq(stat_of("/dir/made").nlink, 3);
	ck_assert_uint_eq(used_dirs(), dirs_before + 2);
	ck_assert_int_eq(ext2_mkdir(&E.fs, "/dir/made", 0755, NULL), -EEXIST);
	fsck_clean();
}
END_TEST

START_TEST(directory_grows_past_one_block_and_shrinks_back)
{
	char path[128], list[64 * KiB];
	struct ext2_dir_item it;
	uint64_t pos = 0;
	const int n = 300;

	env_setup(_i);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/dir/file-with-a-fairly-long-name-%04d", i);
		ck_assert_int_eq(ext2_create(&E.fs, path, 0644, NULL), 0);
	}
	ck_assert_uint_gt(stat_of("/dir").size, E.bs);
	ck_assert_int_eq(list_dir("/dir", list, sizeof(list)), n + 4);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "file-with-a-fairly-long-name-%04d", i);
		assert_listed(list, path, EXT2_FT_REG_FILE);
	}
	assert_listed(list, "sub", EXT2_FT_DIR);
	assert_listed(list, "link", EXT2_FT_REG_FILE);
	fsck_clean();
	for (int i = 0; i < n; i += 2) {
		snprintf(path, sizeof(path), "/dir/file-with-a-fairly-long-name-%04d", i);
		ck_assert_int_eq(ext2_unlink(&E.fs, path), 0);
	}
	ck_assert_int_eq(list_dir("/dir", list, sizeof(list)), n / 2 + 4);
	fsck_clean();
	/* Freed slots are reused before the directory grows again. */
	uint64_t size = stat_of("/dir").size;
	for (int i = 0; i < n; i += 2) {
		snprintf(path, sizeof(path), "/dir/file-with-a-fairly-long-name-%04d", i);
		ck_assert_int_eq(ext2_create(&E.fs, path, 0644, NULL), 0);
	}
	ck_assert_uint_eq(stat_of("/dir").size, size);
	ck_assert_int_eq(ext2_readdir(&E.fs, ino_of("/small"), &pos, &it), -ENOTDIR);
	fsck_clean();
}
END_TEST

/* Without the filetype feature name_len is 16 bits and types come from
 * the inodes. */
START_TEST(volume_without_filetype_feature_works)
{
	char list[1024];
	size_t len;
	uint8_t *want = read_source("big", &len);

	env_make_with(_i, "-O ^filetype", "16M", true);
	ck_assert(!E.fs.filetype);
	ck_assert_int_eq(list_dir("/", list, sizeof(list)), 8);
	assert_listed(list, "dir", EXT2_FT_DIR);
	assert_listed(list, "big", EXT2_FT_REG_FILE);
	assert_same("/big", want, len);
	ck_assert_int_eq(ext2_mkdir(&E.fs, "/dir/d", 0755, NULL), 0);
	ck_assert_int_eq(ext2_create(&E.fs, "/dir/d/f", 0644, NULL), 0);
	ck_assert_int_eq(ext2_rename(&E.fs, "/dir/d", "/d"), 0);
	ck_assert_int_eq(list_dir("/d", list, sizeof(list)), 3);
	assert_listed(list, "f", EXT2_FT_REG_FILE);
	assert_listed(list, "..", EXT2_FT_DIR);
	ck_assert_uint_eq(ino_of("/d/.."), EXT2_ROOT_INO);
	ck_assert_int_eq(ext2_unlink(&E.fs, "/big"), 0);
	fsck_clean();
	free(want);
}
END_TEST

START_TEST(readdir_lists_names_and_types)
{
	char list[1024];

	env_setup(_i);
	ck_assert_int_eq(list_dir("/", list, sizeof(list)), 8);
	assert_listed(list, ".", EXT2_FT_DIR);
	assert_listed(list, "..", EXT2_FT_DIR);
	assert_listed(list, "lost+found", EXT2_FT_DIR);
	assert_listed(list, "small", EXT2_FT_REG_FILE);
	assert_listed(list, "medium", EXT2_FT_REG_FILE);
	assert_listed(list, "big", EXT2_FT_REG_FILE);
	assert_listed(list, "sparse", EXT2_FT_REG_FILE);
	assert_listed(list, "dir", EXT2_FT_DIR);
	ck_assert_int_eq(list_dir("/dir/sub", list, sizeof(list)), 4);
	assert_listed(list, "nested.txt", EXT2_FT_REG_FILE);
	assert_listed(list, "deeper", EXT2_FT_DIR);
	ck_assert(!listed(list, "small", EXT2_FT_REG_FILE));
}
END_TEST

START_TEST(unlink_frees_blocks_and_inode)
{
	uint32_t blocks_before, inodes_before;
	struct ext2_stat st;
	uint32_t ino;

	env_setup(_i);
	blocks_before = E.fs.sb.s_free_blocks_count;
	inodes_before = E.fs.sb.s_free_inodes_count;
	st = stat_of("/big");
	ck_assert_int_eq(ext2_unlink(&E.fs, "/big"), 0);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/big", &ino), -ENOENT);
	ck_assert_uint_eq(E.fs.sb.s_free_blocks_count, blocks_before + st.blocks / (E.bs / 512));
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, inodes_before + 1);
	ck_assert_int_eq(ext2_unlink(&E.fs, "/big"), -ENOENT);
	ck_assert_int_eq(ext2_unlink(&E.fs, "/dir"), -EISDIR);
	ck_assert_int_eq(ext2_unlink(&E.fs, "/"), -EISDIR);
	ck_assert_int_eq(ext2_unlink(&E.fs, "/sparse"), 0);
	fsck_clean();
}
END_TEST

/* An open file's last name goes: the inode and its data stay until the
 * last user lets go, then everything is freed and e2fsck is clean. */
START_TEST(unlink_keep_leaves_an_orphan_until_it_is_released)
{
	uint32_t blocks_before, inodes_before, ino;
	struct ext2_stat st;
	bool orphan = false;
	uint8_t buf[64], want[64];

	env_setup(_i);
	blocks_before = E.fs.sb.s_free_blocks_count;
	inodes_before = E.fs.sb.s_free_inodes_count;
	ck_assert_int_eq(ext2_lookup(&E.fs, "/big", &ino), 0);
	st = stat_of("/big");
	ck_assert_int_eq(ext2_read(&E.fs, ino, 4096, want, sizeof(want)), (int64_t)sizeof(want));
	ck_assert_int_eq(ext2_unlink_keep(&E.fs, "/big", &orphan), 0);
	ck_assert(orphan);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/big", &ino), -ENOENT);
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, inodes_before);
	ck_assert_uint_eq(E.fs.sb.s_free_blocks_count, blocks_before);
	ck_assert_int_eq(ext2_read(&E.fs, st.ino, 4096, buf, sizeof(buf)), (int64_t)sizeof(buf));
	ck_assert_mem_eq(buf, want, sizeof(buf));
	ck_assert_int_eq(ext2_orphan_release(&E.fs, st.ino), 0);
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, inodes_before + 1);
	ck_assert_uint_eq(E.fs.sb.s_free_blocks_count, blocks_before + st.blocks / (E.bs / 512));
	ck_assert_int_eq(ext2_orphan_release(&E.fs, st.ino), 0);   /* twice: nothing */
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, inodes_before + 1);
	fsck_clean();
}
END_TEST

START_TEST(unlink_keep_of_one_hard_link_is_no_orphan)
{
	bool orphan = true;

	env_setup(_i);
	ck_assert_int_eq(ext2_unlink_keep(&E.fs, "/medium", &orphan), 0);
	ck_assert(!orphan);
	ck_assert_uint_eq(stat_of("/dir/link").nlink, 1);
	fsck_clean();
}
END_TEST

/* rename over a file that is still open keeps it as an orphan too */
START_TEST(rename_keep_over_an_open_file_leaves_an_orphan)
{
	uint32_t inodes_before, ino;
	struct ext2_stat victim;
	bool orphan = false;

	env_setup(_i);
	inodes_before = E.fs.sb.s_free_inodes_count;
	victim = stat_of("/big");
	ck_assert_int_eq(ext2_rename_keep(&E.fs, "/small", "/big", &orphan), 0);
	ck_assert(orphan);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/small", &ino), -ENOENT);
	ck_assert_uint_ne(stat_of("/big").ino, victim.ino);
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, inodes_before);
	ck_assert_int_eq(ext2_orphan_release(&E.fs, victim.ino), 0);
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, inodes_before + 1);
	fsck_clean();
}
END_TEST

START_TEST(unlink_of_one_hard_link_keeps_the_data)
{
	size_t len;
	uint8_t *want = read_source("medium", &len);
	uint32_t inodes_before;

	env_setup(_i);
	inodes_before = E.fs.sb.s_free_inodes_count;
	ck_assert_int_eq(ext2_unlink(&E.fs, "/medium"), 0);
	ck_assert_uint_eq(stat_of("/dir/link").nlink, 1);
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, inodes_before);
	assert_same("/dir/link", want, len);
	fsck_clean();
	ck_assert_int_eq(ext2_unlink(&E.fs, "/dir/link"), 0);
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, inodes_before + 1);
	fsck_clean();
	free(want);
}
END_TEST

/* A value too large for the inode goes to a block of its own. */
START_TEST(unlink_releases_the_extended_attribute_block)
{
	char cmd[3 * PATHLEN], value[301];
	uint32_t free_blocks;
	struct ext2_stat st;

	env_setup(_i);
	env_unmount();
	memset(value, 'x', 300);
	value[300] = '\0';
	snprintf(cmd, sizeof(cmd), "debugfs -w -R 'ea_set /small user.big %s' '%s' >/dev/null 2>&1",
		 value, E.img);
	run_ok(cmd);
	env_mount();
	st = stat_of("/small");
	ck_assert_uint_eq(st.blocks, 2 * (E.bs / 512)); /* data + attributes */
	free_blocks = E.fs.sb.s_free_blocks_count;
	ck_assert_int_eq(ext2_unlink(&E.fs, "/small"), 0);
	ck_assert_uint_eq(E.fs.sb.s_free_blocks_count, free_blocks + 2);
	fsck_clean();
}
END_TEST

START_TEST(rmdir_removes_only_empty_directories)
{
	uint32_t ino, links = 0;

	env_setup(_i);
	links = stat_of("/dir/sub").nlink;
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/dir/sub/deeper"), 0);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/dir/sub/deeper", &ino), -ENOENT);
	ck_assert_uint_eq(stat_of("/dir/sub").nlink, links - 1);
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/dir"), -ENOTEMPTY);
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/small"), -ENOTDIR);
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/"), -EBUSY);
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/dir/."), -EINVAL);
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/dir/.."), -ENOTEMPTY);
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/nope"), -ENOENT);
	fsck_clean();
	ck_assert_int_eq(ext2_unlink(&E.fs, "/dir/sub/nested.txt"), 0);
	ck_assert_int_eq(ext2_rmdir(&E.fs, "/dir/sub"), 0);
	ck_assert_uint_eq(stat_of("/dir").nlink, 2);
	fsck_clean();
}
END_TEST

START_TEST(rename_within_and_across_directories)
{
	size_t len;
	uint8_t *want = read_source("big", &len);
	uint32_t ino, big;

	env_setup(_i);
	big = ino_of("/big");
	ck_assert_int_eq(ext2_rename(&E.fs, "/big", "/big2"), 0);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/big", &ino), -ENOENT);
	ck_assert_uint_eq(ino_of("/big2"), big);
	ck_assert_int_eq(ext2_rename(&E.fs, "/big2", "/dir/sub/deeper/big3"), 0);
	ck_assert_uint_eq(ino_of("/dir/sub/deeper/big3"), big);
	ck_assert_int_eq(ext2_lookup(&E.fs, "/big2", &ino), -ENOENT);
	assert_same("/dir/sub/deeper/big3", want, len);
	ck_assert_int_eq(ext2_rename(&E.fs, "/nope", "/x"), -ENOENT);
	ck_assert_int_eq(ext2_rename(&E.fs, "/small", "/nodir/x"), -ENOENT);
	/* Renaming onto another name of the same inode changes nothing. */
	ck_assert_int_eq(ext2_rename(&E.fs, "/medium", "/dir/link"), 0);
	ck_assert_uint_eq(ino_of("/medium"), ino_of("/dir/link"));
	fsck_clean();
	assert_debugfs_same("/dir/sub/deeper/big3", want, len);
	free(want);
}
END_TEST

START_TEST(rename_over_existing_file_frees_the_old_one)
{
	uint32_t small, free_blocks, free_inodes;
	struct ext2_stat big;

	env_setup(_i);
	small = ino_of("/small");
	big = stat_of("/big");
	free_blocks = E.fs.sb.s_free_blocks_count;
	free_inodes = E.fs.sb.s_free_inodes_count;
	ck_assert_int_eq(ext2_rename(&E.fs, "/small", "/big"), 0);
	ck_assert_uint_eq(ino_of("/big"), small);
	ck_assert_uint_eq(E.fs.sb.s_free_blocks_count, free_blocks + big.blocks / (E.bs / 512));
	ck_assert_uint_eq(E.fs.sb.s_free_inodes_count, free_inodes + 1);
	assert_same("/big", (const uint8_t *)"hello, ext2 world!\n\n", SMALL_SIZE);
	/* Over a file that has another link: the link survives. */
	ck_assert_int_eq(ext2_rename(&E.fs, "/big", "/medium"), 0);
	ck_assert_uint_eq(stat_of("/dir/link").nlink, 1);
	ck_assert_int_eq(ext2_rename(&E.fs, "/medium", "/dir"), -EISDIR);
	fsck_clean();
}
END_TEST

START_TEST(rename_directory_moves_dotdot_and_link_counts)
{
	uint32_t root_links, dir_links, sub;

	env_setup(_i);
	root_links = stat_of("/").nlink;
	dir_links = stat_of("/dir").nlink;
	sub = ino_of("/dir/sub");
	ck_assert_int_eq(ext2_rename(&E.fs, "/dir/sub", "/moved"), 0);
	ck_assert_uint_eq(ino_of("/moved"), sub);
	ck_assert_uint_eq(ino_of("/moved/.."), EXT2_ROOT_INO);
	ck_assert_uint_eq(ino_of("/moved/deeper/../.."), EXT2_ROOT_INO);
	ck_assert_uint_eq(stat_of("/").nlink, root_links + 1);
	ck_assert_uint_eq(stat_of("/dir").nlink, dir_links - 1);
	fsck_clean();
	/* Into its own subtree: refused. Over non-empty / non-directories. */
	ck_assert_int_eq(ext2_rename(&E.fs, "/moved", "/moved/deeper/x"), -EINVAL);
	ck_assert_int_eq(ext2_rename(&E.fs, "/moved", "/moved/x"), -EINVAL);
	ck_assert_int_eq(ext2_rename(&E.fs, "/dir", "/moved"), -ENOTEMPTY);
	ck_assert_int_eq(ext2_rename(&E.fs, "/moved", "/small"), -ENOTDIR);
	ck_assert_int_eq(ext2_rename(&E.fs, "/moved/.", "/x"), -EINVAL);
	ck_assert_int_eq(ext2_rename(&E.fs, "/", "/x"), -EBUSY);
	/* Over an empty directory elsewhere: it replaces it. */
	ck_assert_int_eq(ext2_mkdir(&E.fs, "/dir/empty", 0755, NULL), 0);
	root_links = stat_of("/").nlink;
	dir_links = stat_of("/dir").nlink;
	ck_assert_int_eq(ext2_rename(&E.fs, "/moved/deeper", "/dir/empty"), 0);
	ck_assert_uint_eq(stat_of("/dir").nlink, dir_links);
	ck_assert_uint_eq(stat_of("/moved").nlink, 2);
	ck_assert_uint_eq(ino_of("/dir/empty/.."), ino_of("/dir"));
	/* Within one directory, over an empty sibling. */
	ck_assert_int_eq(ext2_mkdir(&E.fs, "/dir/e2", 0755, NULL), 0);
	ck_assert_int_eq(ext2_rename(&E.fs, "/dir/empty", "/dir/e2"), 0);
	ck_assert_uint_eq(stat_of("/dir").nlink, dir_links);
	fsck_clean();
}
END_TEST

START_TEST(timestamps_follow_the_clock)
{
	uint32_t t0 = (uint32_t)time(NULL) - 100000, ino;
	struct ext2_stat st;
	uint8_t c;

	env_setup(_i);
	fake_fs_time = t0;
	ck_assert_int_eq(ext2_create(&E.fs, "/dir/t", 0644, &ino), 0);
	st = stat_of("/dir/t");
	ck_assert_uint_eq(st.atime, t0);
	ck_assert_uint_eq(st.mtime, t0);
	ck_assert_uint_eq(st.ctime, t0);
	ck_assert_uint_eq(stat_of("/dir").mtime, t0);
	fake_fs_time = t0 + 10;
	write_ok("/dir/t", 0, "x", 1);
	st = stat_of("/dir/t");
	ck_assert_uint_eq(st.mtime, t0 + 10);
	ck_assert_uint_eq(st.ctime, t0 + 10);
	ck_assert_uint_eq(st.atime, t0);
	/* relatime: the first read after a change updates atime... */
	fake_fs_time = t0 + 20;
	ck_assert_int_eq(ext2_read(&E.fs, ino, 0, &c, 1), 1);
	ck_assert_uint_eq(stat_of("/dir/t").atime, t0 + 20);
	/* ...the next one within a day does not, a day later it does. */
	fake_fs_time = t0 + 30;
	ck_assert_int_eq(ext2_read(&E.fs, ino, 0, &c, 1), 1);
	ck_assert_uint_eq(stat_of("/dir/t").atime, t0 + 20);
	fake_fs_time = t0 + 20 + 86400;
	ck_assert_int_eq(ext2_read(&E.fs, ino, 0, &c, 1), 1);
	ck_assert_uint_eq(stat_of("/dir/t").atime, t0 + 20 + 86400);
	fake_fs_time = t0 + 40;
	ck_assert_int_eq(ext2_rename(&E.fs, "/dir/t", "/t"), 0);
	ck_assert_uint_eq(stat_of("/t").ctime, t0 + 40);
	ck_assert_uint_eq(stat_of("/").mtime, t0 + 40);
	ck_assert_uint_eq(stat_of("/dir").mtime, t0 + 40);
	fake_fs_time = t0 + 50;
	ck_assert_int_eq(ext2_truncate(&E.fs, ino, 0), 0);
	ck_assert_uint_eq(stat_of("/t").mtime, t0 + 50);
	fake_fs_time = 0;
	fsck_clean();
}
END_TEST

START_TEST(sync_writes_superblock_counts)
{
	struct ext2_super sb;
	unsigned flushes;

	env_setup(_i);
	ck_assert_int_eq(ext2_create(&E.fs, "/synced", 0644, NULL), 0);
	write_ok("/synced", 0, "abc", 3);
	flushes = E.disk.flushes;
	ck_assert_int_eq(ext2_sync(&E.fs), 0);
	ck_assert_uint_eq(E.disk.flushes, flushes + 1);
	sb = img_super();
	ck_assert_uint_eq(sb.s_free_blocks_count, E.fs.sb.s_free_blocks_count);
	ck_assert_uint_eq(sb.s_free_inodes_count, E.fs.sb.s_free_inodes_count);
	ck_assert_uint_eq(sb.s_state & EXT2_VALID_FS, 0);
	fsck_clean();
}
END_TEST

START_TEST(mount_without_memory_fails_cleanly)
{
	env_make(_i, "16M", false);
	fake_page_alloc_fails = true;
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, E.disk.size, 0), -ENOMEM);
	ck_assert_int_eq(fake_pages_out, 0);
	ck_assert_uint_eq(E.disk.writes, 0);
	fake_page_alloc_fails = false;
}
END_TEST

START_TEST(write_errors_from_the_device_are_returned)
{
	uint32_t ino;
	uint8_t buf[8192];

	env_setup(_i);
	ino = ino_of("/small");
	memset(buf, 1, sizeof(buf));
	E.disk.fail_writes_after = 0;
	ck_assert_int_eq(ext2_write(&E.fs, ino, 0, buf, 10), -EIO);
	for (int n = 0; n < 12; n++) {
		E.disk.fail_writes_after = n;
		int64_t r = ext2_write(&E.fs, ino, 100000, buf, sizeof(buf));
		ck_assert(r == -EIO || r > 0);
		E.disk.fail_writes_after = n;
		int e = ext2_mkdir(&E.fs, "/dir/x", 0755, NULL);
		ck_assert(e == -EIO || e == 0 || e == -EEXIST);
	}
	E.disk.fail_writes_after = -1;
	ck_assert_uint_eq(E.disk.out_of_range, 0);
}
END_TEST

/* ---- malformed images -------------------------------------------------- */

/* One superblock field set to a value no sane volume has. */
#define SB_FIELD(f) offsetof(struct ext2_super, f), sizeof(((struct ext2_super *)0)->f)
static const struct sb_damage {
	const char *what;
	size_t off, width;
	uint32_t value;
} sb_damage[] = {
    {"bad magic", SB_FIELD(s_magic), 0xef52},
    {"revision 0", SB_FIELD(s_rev_level), EXT2_GOOD_OLD_REV},
    {"8 KiB blocks", SB_FIELD(s_log_block_size), 3},
    {"block size shift overflows", SB_FIELD(s_log_block_size), 0xffffffffu},
    {"zero blocks per group", SB_FIELD(s_blocks_per_group), 0},
    {"group wider than its bitmap", SB_FIELD(s_blocks_per_group), 0x7ffffff8u},
    {"zero inodes per group", SB_FIELD(s_inodes_per_group), 0},
    {"zero inode size", SB_FIELD(s_inode_size), 0},
    {"inode size not a power of two", SB_FIELD(s_inode_size), 129},
    {"inode larger than a block", SB_FIELD(s_inode_size), 32768},
    {"volume past the device", SB_FIELD(s_blocks_count), 0xfffffff0u},
    {"zero blocks", SB_FIELD(s_blocks_count), 0},
    {"inode count not groups x per group", SB_FIELD(s_inodes_count), 12345},
    {"first inode inside the reserved ones", SB_FIELD(s_first_ino), 2},
    {"more free blocks than blocks", SB_FIELD(s_free_blocks_count), 0xfffffff0u},
    {"first data block 2", SB_FIELD(s_first_data_block), 2},
    {"unknown incompat feature", SB_FIELD(s_feature_incompat), 0x42},
};

START_TEST(mount_rejects_bad_superblocks)
{
	for (size_t i = 0; i < sizeof(sb_damage) / sizeof(sb_damage[0]); i++) {
		const struct sb_damage *d = &sb_damage[i];
		uint8_t raw[EXT2_SUPER_SIZE];

		env_make(_i, "16M", false);
		img_pread(EXT2_SUPER_OFFSET, raw, sizeof(raw));
		memcpy(raw + d->off, &d->value, d->width); /* little endian */
		img_pwrite(EXT2_SUPER_OFFSET, raw, sizeof(raw));
		ck_assert_msg(ext2_mount(&E.fs, &E.disk, E.disk.size, 0) == -EINVAL, "%s mounted",
			      d->what);
		ck_assert_int_eq(fake_pages_out, 0);
		ck_assert_uint_eq(E.disk.out_of_range, 0);
		fake_disk_close(&E.disk);
		unlink(E.img);
		rmdir(E.dir);
	}
}
END_TEST

START_TEST(mount_rejects_volume_larger_than_device)
{
	env_make(_i, "16M", false);
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, E.disk.size - E.bs, 0), -EINVAL);
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, 1000, 0), -EINVAL);
	ck_assert_int_eq(fake_pages_out, 0);
}
END_TEST

START_TEST(mount_rejects_group_table_pointing_outside)
{
	struct ext2_group_desc gd;

	env_make(_i, "16M", false);
	img_pread(img_gd_off(0), &gd, sizeof(gd));
	gd.bg_inode_table = img_super().s_blocks_count - 2;
	img_pwrite(img_gd_off(0), &gd, sizeof(gd));
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, E.disk.size, 0), -EINVAL);
	ck_assert_int_eq(fake_pages_out, 0);
	ck_assert_uint_eq(E.disk.out_of_range, 0);
}
END_TEST

START_TEST(mount_rejects_root_that_is_not_a_directory)
{
	struct ext2_inode root;

	env_make(_i, "16M", false);
	root = img_inode(EXT2_ROOT_INO);
	root.i_mode = EXT2_S_IFREG | 0644;
	img_put_inode(EXT2_ROOT_INO, &root);
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, E.disk.size, 0), -EINVAL);
	ck_assert_int_eq(fake_pages_out, 0);
}
END_TEST

START_TEST(unknown_ro_compat_feature_mounts_read_only)
{
	struct ext2_super sb;

	env_make(_i, "16M", false);
	sb = img_super();
	sb.s_feature_ro_compat |= 0x400; /* metadata checksums */
	img_put_super(&sb);
	env_mount();
	ck_assert(E.fs.rdonly);
	ck_assert_int_eq(ext2_create(&E.fs, "/x", 0644, NULL), -EROFS);
	assert_same("/small", (const uint8_t *)"hello, ext2 world!\n\n", SMALL_SIZE);
	env_unmount();
	ck_assert_uint_eq(E.disk.writes, 0);
}
END_TEST

/* Looks up path's inode on a mounted image, then unmounts for patching. */
static uint32_t ino_then_unmount(const char *path)
{
	uint32_t ino = ino_of(path);

	env_unmount();
	return ino;
}

START_TEST(block_pointer_beyond_the_disk_is_eio)
{
	struct ext2_inode in;
	uint8_t buf[64];
	uint32_t ino, blocks;

	env_setup(_i);
	ino = ino_then_unmount("/medium");
	blocks = img_super().s_blocks_count;
	in = img_inode(ino);
	in.i_block[3] = blocks + 5;
	in.i_block[EXT2_IND_BLOCK] = 0xffffffffu;
	img_put_inode(ino, &in);
	env_mount();
	ck_assert_int_eq(ext2_read(&E.fs, ino, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
	ck_assert_int_eq(ext2_read(&E.fs, ino, 3 * E.bs, buf, sizeof(buf)), -EIO);
	ck_assert_int_eq(ext2_read(&E.fs, ino, 12 * E.bs, buf, sizeof(buf)), -EIO);
	ck_assert_int_eq(ext2_write(&E.fs, ino, 3 * E.bs, buf, sizeof(buf)), -EIO);
	ck_assert_int_eq(ext2_write(&E.fs, ino, 12 * E.bs + 5, buf, sizeof(buf)), -EIO);
	/* A short read up to the bad block, then the error. */
	ck_assert_int_eq(ext2_read(&E.fs, ino, 2 * E.bs + 10, buf, sizeof(buf)),
			 (int64_t)sizeof(buf));
	ck_assert_int_eq(ext2_truncate(&E.fs, ino, 0), -EIO);
	ck_assert_int_eq(ext2_unlink(&E.fs, "/medium"), 0);
	ck_assert_int_eq(ext2_unlink(&E.fs, "/dir/link"), -EIO);
	ck_assert_uint_eq(E.disk.out_of_range, 0);
}
END_TEST

START_TEST(indirect_entry_beyond_the_disk_is_eio)
{
	struct ext2_inode in;
	uint32_t ino, bad = 0xfffffff0u;
	uint8_t buf[16];

	env_setup(_i);
	ino = ino_then_unmount("/big");
	in = img_inode(ino);
	/* Second entry of the single indirect block. */
	img_pwrite((uint64_t)in.i_block[EXT2_IND_BLOCK] * E.bs + 4, &bad, 4);
	env_mount();
	ck_assert_int_eq(ext2_read(&E.fs, ino, 12 * E.bs, buf, sizeof(buf)), (int64_t)sizeof(buf));
	ck_assert_int_eq(ext2_read(&E.fs, ino, 13 * E.bs, buf, sizeof(buf)), -EIO);
	ck_assert_int_eq(ext2_truncate(&E.fs, ino, 0), -EIO);
	ck_assert_uint_eq(E.disk.out_of_range, 0);
}
END_TEST

enum dir_damage {
	REC_LEN_ZERO,
	REC_LEN_PAST_BLOCK,
	REC_LEN_UNALIGNED,
	NAME_PAST_REC,
	INODE_PAST_COUNT,
	SIZE_NOT_BLOCKS
};

/* /dir/sub's first block holds ".", "..", then its two children. */
static void damage_dir(int loop, enum dir_damage how)
{
	struct ext2_inode in;
	uint32_t ino;
	uint64_t blk;
	uint8_t ent[8];

	env_setup(loop);
	ino = ino_then_unmount("/dir/sub");
	in = img_inode(ino);
	blk = (uint64_t)in.i_block[0] * E.bs;
	/* The second entry, "..", at offset 12. */
	img_pread(blk + 12, ent, sizeof(ent));
	switch (how) {
	case REC_LEN_ZERO:
		ent[4] = ent[5] = 0;
		break;
	case REC_LEN_PAST_BLOCK:
		ent[4] = 0;
		ent[5] = (uint8_t)(E.bs >> 8); /* 12 + bs > bs */
		break;
	case REC_LEN_UNALIGNED:
		ent[4] = 13;
		ent[5] = 0;
		break;
	case NAME_PAST_REC:
		ent[4] = 12; /* 8 + 200 > 12 */
		ent[5] = 0;
		ent[6] = 200;
		break;
	case INODE_PAST_COUNT:
		ent[0] = ent[1] = ent[2] = ent[3] = 0xff;
		break;
	case SIZE_NOT_BLOCKS:
		in.i_size = E.bs + 100;
		img_put_inode(ino, &in);
		break;
	}
	img_pwrite(blk + 12, ent, sizeof(ent));
	env_mount();
}

START_TEST(damaged_directory_entries_are_eio)
{
	const enum dir_damage kinds[] = {REC_LEN_ZERO,	REC_LEN_PAST_BLOCK, REC_LEN_UNALIGNED,
					 NAME_PAST_REC, INODE_PAST_COUNT,   SIZE_NOT_BLOCKS};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct ext2_dir_item it;
		uint64_t pos = 0;
		uint32_t ino;
		int r;

		damage_dir(_i, kinds[k]);
		ck_assert_int_eq(ext2_lookup(&E.fs, "/dir/sub/nested.txt", &ino), -EIO);
		ck_assert_int_eq(ext2_create(&E.fs, "/dir/sub/new", 0644, NULL), -EIO);
		ck_assert_int_eq(ext2_unlink(&E.fs, "/dir/sub/nested.txt"), -EIO);
		ck_assert_int_eq(ext2_rmdir(&E.fs, "/dir/sub"), -EIO);
		ck_assert_int_eq(ext2_rename(&E.fs, "/small", "/dir/sub/small"), -EIO);
		do
			r = ext2_readdir(&E.fs, ino_of("/dir/sub"), &pos, &it);
		while (r == 1);
		ck_assert_int_eq(r, -EIO);
		ck_assert_uint_eq(E.disk.out_of_range, 0);
		env_unmount();
		fake_disk_close(&E.disk);
		unlink(E.img);
		rmdir(E.dir);
	}
}
END_TEST

/* Random bytes of the metadata area overwritten, again and again; whatever
 * the file system answers, it must not crash (the SAN build watches memory)
 * and must not reach past the end of the device. */
START_TEST(random_metadata_damage_never_crashes)
{
	static const char *paths[] = {"/",
				      "/dir",
				      "/dir/sub",
				      "/small",
				      "/medium",
				      "/big",
				      "/dir/sub/nested.txt",
				      "/dir/sub/deeper",
				      "/sparse"};
	uint8_t *pristine, buf[4096];
	uint64_t size;
	/* EXT2_FUZZ_ROUNDS and EXT2_FUZZ_SEED widen the search by hand. */
	const char *rounds_env = getenv("EXT2_FUZZ_ROUNDS"), *seed_env = getenv("EXT2_FUZZ_SEED");
	int rounds = rounds_env ? atoi(rounds_env) : 150, mounted = 0;
	uint32_t rng = (seed_env ? (uint32_t)strtoul(seed_env, NULL, 0) : 12345) + (uint32_t)_i;

	env_make(_i, _i ? "4M" : "2M", false);
	size = E.disk.size;
	pristine = malloc(size);
	img_pread(0, pristine, size);
	for (int round = 0; round < rounds; round++) {
		img_pwrite(0, pristine, size);
		for (int k = 0; k < 24; k++) {
			rng = rng * 1103515245u + 12345u;
			/* Mostly the first 160 blocks: superblock, group table,
			 * bitmaps, inode table, the first directories. */
			uint64_t span = (rng >> 28) ? 160ull * E.bs : size;
			uint64_t off = ((uint64_t)(rng >> 4) * 2654435761u) % span;
			uint8_t v = (uint8_t)(rng >> 20);

			if (off >= EXT2_SUPER_OFFSET && off < EXT2_SUPER_OFFSET + 100 && (rng & 3))
				continue; /* mostly keep the superblock mountable */
			img_pwrite(off, &v, 1);
		}
		if (ext2_mount(&E.fs, &E.disk, size, 0))
			continue;
		mounted++;
		E.mounted = true;
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			struct ext2_dir_item it;
			struct ext2_stat st;
			uint64_t pos = 0;
			uint32_t ino;
			int n = 0;

			if (ext2_lookup(&E.fs, paths[p], &ino))
				continue;
			ext2_stat(&E.fs, ino, &st);
			while (ext2_readdir(&E.fs, ino, &pos, &it) == 1 && n++ < 1000)
				;
			ext2_read(&E.fs, ino, 0, buf, sizeof(buf));
			ext2_read(&E.fs, ino, 70000, buf, sizeof(buf));
			ext2_write(&E.fs, ino, 5000, buf, 100);
		}
		ext2_create(&E.fs, "/dir/new", 0644, NULL);
		ext2_mkdir(&E.fs, "/dir/sub/newdir", 0755, NULL);
		ext2_rename(&E.fs, "/small", "/dir/sub/deeper/s");
		ext2_rename(&E.fs, "/dir/sub", "/moved");
		ext2_truncate(&E.fs, ino_or_root("/big"), 1000);
		ext2_unlink(&E.fs, "/medium");
		ext2_rmdir(&E.fs, "/dir/sub/deeper");
		ext2_unmount(&E.fs);
		E.mounted = false;
		ck_assert_int_eq(fake_pages_out, 0);
		ck_assert_uint_eq(E.disk.out_of_range, 0);
	}
	/* Most rounds must get past mount, or the walk above tests nothing. */
	ck_assert_int_ge(mounted, rounds / 2);
	free(pristine);
}
END_TEST

/* ---- runner -------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/mapvisor-ext2.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	if (system("command -v mke2fs >/dev/null && command -v e2fsck >/dev/null && "
		   "command -v debugfs >/dev/null") != 0) {
		printf("SKIP: e2fsprogs (mke2fs, e2fsck, debugfs) not installed\n");
		rmdir(base);
		return 77;
	}
	make_source_tree();

	Suite *s = suite_create("guest_ext2");
	const TTest *t[] = {
	    mount_reads_mke2fs_geometry_and_stays_clean,
	    lookup_resolves_nested_dot_and_dotdot,
	    lookup_rejects_relative_missing_and_overlong_paths,
	    stat_reports_mode_size_links_and_blocks,
	    read_matches_source_bytes_at_any_offset,
	    read_holes_as_zeros_through_triple_indirect,
	    page_runs_read_the_file_with_one_request_each,
	    page_runs_match_the_block_by_block_map,
	    remembered_runs_go_when_a_block_map_changes,
	    inode_reads_see_every_write_to_the_inode,
	    read_only_mount_refuses_every_change,
	    write_in_place_changes_only_those_bytes,
	    write_grows_file_into_double_indirect_blocks,
	    write_past_end_leaves_a_hole_of_zeros,
	    write_far_offset_uses_triple_indirect_and_large_file,
	    truncate_shrinks_frees_and_regrows_with_zeros,
	    disk_full_gives_enospc_and_a_consistent_image,
	    create_makes_an_empty_file_that_can_be_written,
	    mkdir_makes_dot_entries_and_counts_links,
	    directory_grows_past_one_block_and_shrinks_back,
	    readdir_lists_names_and_types,
	    volume_without_filetype_feature_works,
	    unlink_frees_blocks_and_inode,
	    unlink_keep_leaves_an_orphan_until_it_is_released,
	    unlink_keep_of_one_hard_link_is_no_orphan,
	    rename_keep_over_an_open_file_leaves_an_orphan,
	    unlink_of_one_hard_link_keeps_the_data,
	    unlink_releases_the_extended_attribute_block,
	    rmdir_removes_only_empty_directories,
	    rename_within_and_across_directories,
	    rename_over_existing_file_frees_the_old_one,
	    rename_directory_moves_dotdot_and_link_counts,
	    timestamps_follow_the_clock,
	    sync_writes_superblock_counts,
	    mount_without_memory_fails_cleanly,
	    write_errors_from_the_device_are_returned,
	    mount_rejects_bad_superblocks,
	    mount_rejects_volume_larger_than_device,
	    mount_rejects_group_table_pointing_outside,
	    mount_rejects_root_that_is_not_a_directory,
	    unknown_ro_compat_feature_mounts_read_only,
	    block_pointer_beyond_the_disk_is_eio,
	    indirect_entry_beyond_the_disk_is_eio,
	    damaged_directory_entries_are_eio,
	    random_metadata_damage_never_crashes,
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		TCase *tc = tcase_create(t[i]->name);
		/* Loop 0: 1 KiB blocks, loop 1: 4 KiB blocks. */
		tcase_add_loop_test(tc, t[i], 0, 2);
		tcase_set_timeout(tc, 120);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	/* Each test forks: its image and its globals die with it. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
