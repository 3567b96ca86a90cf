/* Guest RAM: size checks, gpa -> hva translation, and the real host mapping
 * of each backing mode as /proc/self/smaps reports it. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"
#include "mv_boot.h"
#include "unit.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static int init(struct guest_mem *gm, struct gm_config c, struct mv_err *e)
{
	memset(e, 0, sizeof(*e));
	return gm_init(gm, &c, e);
}

static void init_ok(struct guest_mem *gm, struct gm_config c)
{
	struct mv_err e;
	ck_assert_msg(init(gm, c, &e) == 0, "gm_init: %s", e.msg);
}

/* The smaps entry of the mapping that contains addr. */
struct vma_info {
	char header[1024];  /* "start-end perms offset dev inode  path" */
	char perms[8];
	char path[1024];    /* "" when anonymous */
	char vmflags[1024];
};

static bool vma_find(const void *addr, struct vma_info *v)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	ck_assert_ptr_nonnull(f);
	char line[1000];
	bool in = false, found = false;
	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[8];
		int n = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &n) == 3 && n) {
			if (found)
				break;
			in = (uintptr_t)addr >= start && (uintptr_t)addr < end;
			if (in) {
				found = true;
				line[strcspn(line, "\n")] = 0;
				snprintf(v->header, sizeof(v->header), "%s", line);
				snprintf(v->perms, sizeof(v->perms), "%s", perms);
				snprintf(v->path, sizeof(v->path), "%s", line + n);
			}
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(v->vmflags, sizeof(v->vmflags), "%s ", line + 8);
		}
	}
	fclose(f);
	return found;
}

static bool vma_flag(const struct vma_info *v, const char *flag)
{
	char want[8];
	snprintf(want, sizeof(want), " %s ", flag);
	return strstr(v->vmflags, want) != NULL;
}

static void vma_of(const struct guest_mem *gm, struct vma_info *v)
{
	ck_assert_msg(vma_find(gm->base, v), "no smaps entry for %p", (void *)gm->base);
	ck_assert_msg(v->vmflags[0], "no VmFlags line in smaps (%s)", v->header);
}

static off_t file_size(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

static void file_make(const char *path, uint64_t size, uint8_t fill)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	static uint8_t buf[1 << 16];
	memset(buf, fill, sizeof(buf));
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		ck_assert_int_eq(pwrite(fd, buf, n, off), (ssize_t)n);
	}
	close(fd);
}

static uint8_t file_byte(const char *path, uint64_t off)
{
	uint8_t b = 0;
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	close(fd);
	return b;
}

/* ---- translation ---- */

START_TEST(gm_translates_first_and_last_byte)
{
	struct guest_mem gm;
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB });
	ck_assert_int_eq(gm.nregions, 1);
	ck_assert_uint_eq(gm.region[0].gpa, 0);
	ck_assert_uint_eq(gm.region[0].size, 16 * MiB);
	ck_assert_ptr_eq(gm_ptr(&gm, 0, 1), gm.base);
	ck_assert_ptr_eq(gm_ptr(&gm, 0, 16 * MiB), gm.base);
	ck_assert_ptr_eq(gm_ptr(&gm, 0x123456, 16), gm.base + 0x123456);
	ck_assert_ptr_eq(gm_ptr(&gm, 16 * MiB - 1, 1), gm.base + 16 * MiB - 1);
	ck_assert_uint_eq(gm_end(&gm), 16 * MiB);
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_ptr_rejects_range_crossing_ram_end)
{
	struct guest_mem gm;
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB });
	ck_assert_ptr_null(gm_ptr(&gm, 16 * MiB - 1, 2));
	ck_assert_ptr_null(gm_ptr(&gm, 16 * MiB, 1));
	ck_assert_ptr_null(gm_ptr(&gm, 0, 16 * MiB + 1));
	ck_assert_ptr_null(gm_ptr(&gm, 1ull << 40, 1));
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_ptr_rejects_gpa_plus_len_overflow)
{
	struct guest_mem gm;
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB });
	ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX, 1));
	ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX, 2));
	ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX - 0xfff, 0x2000));
	/* gpa + len wraps to a small address inside RAM */
	ck_assert_ptr_null(gm_ptr(&gm, 0x1000, UINT64_MAX - 0xfff + 0x10));
	ck_assert_ptr_null(gm_ptr(&gm, 0x1000, UINT64_MAX));
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_ptr_zero_length_needs_a_ram_address)
{
	struct guest_mem gm;
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB });
	ck_assert_ptr_eq(gm_ptr(&gm, 0x5000, 0), gm.base + 0x5000);
	ck_assert_ptr_eq(gm_ptr(&gm, 16 * MiB - 1, 0), gm.base + 16 * MiB - 1);
	ck_assert_ptr_null(gm_ptr(&gm, 16 * MiB, 0));
	ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX, 0));
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_splits_ram_around_the_mmio_hole)
{
	struct guest_mem gm;
	init_ok(&gm, (struct gm_config){ .size = 4 * GiB });
	ck_assert_int_eq(gm.nregions, 2);
	ck_assert_uint_eq(gm.region[0].gpa, 0);
	ck_assert_uint_eq(gm.region[0].size, MV_GPA_MMIO_BASE);
	ck_assert_uint_eq(gm.region[1].gpa, MV_GPA_HIGH_RAM);
	ck_assert_uint_eq(gm.region[1].size, 4 * GiB - MV_GPA_MMIO_BASE);
	ck_assert_uint_eq(gm.region[1].offset, MV_GPA_MMIO_BASE);
	ck_assert_ptr_eq(gm.region[1].hva, gm.base + MV_GPA_MMIO_BASE);
	ck_assert_uint_ne(gm.region[0].slot, gm.region[1].slot);
	ck_assert_uint_eq(gm_end(&gm), MV_GPA_HIGH_RAM + 4 * GiB - MV_GPA_MMIO_BASE);
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_ptr_refuses_the_mmio_hole)
{
	struct guest_mem gm;
	init_ok(&gm, (struct gm_config){ .size = 4 * GiB });
	ck_assert_ptr_nonnull(gm_ptr(&gm, MV_GPA_MMIO_BASE - 1, 1));
	ck_assert_ptr_null(gm_ptr(&gm, MV_GPA_MMIO_BASE, 1));
	ck_assert_ptr_null(gm_ptr(&gm, MV_GPA_MMIO_BASE + 0x10000000, 0x1000));
	ck_assert_ptr_null(gm_ptr(&gm, MV_GPA_HIGH_RAM - 1, 1));
	ck_assert_ptr_null(gm_ptr(&gm, MV_GPA_MMIO_BASE - 1, 2));   /* into the hole */
	ck_assert_ptr_null(gm_ptr(&gm, MV_GPA_HIGH_RAM - 1, 2));    /* out of the hole */
	ck_assert_ptr_null(gm_ptr(&gm, MV_GPA_MMIO_BASE - 0x1000, MV_GPA_HIGH_RAM));
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_high_ram_continues_the_host_mapping)
{
	struct guest_mem gm;
	init_ok(&gm, (struct gm_config){ .size = 4 * GiB });
	uint8_t *last_low = gm_ptr(&gm, MV_GPA_MMIO_BASE - 1, 1);
	uint8_t *first_high = gm_ptr(&gm, MV_GPA_HIGH_RAM, 1);
	ck_assert_ptr_eq(last_low + 1, first_high);
	ck_assert_ptr_eq(first_high, gm.base + MV_GPA_MMIO_BASE);
	gpa_t end = gm_end(&gm);
	ck_assert_ptr_eq(gm_ptr(&gm, end - 1, 1), gm.base + 4 * GiB - 1);
	ck_assert_ptr_null(gm_ptr(&gm, end, 1));
	ck_assert_ptr_null(gm_ptr(&gm, end - 1, 2));
	/* A write at the first high byte lands right after the last low one. */
	*first_high = 0x5c;
	ck_assert_uint_eq(gm.base[MV_GPA_MMIO_BASE], 0x5c);
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_keeps_3_gib_in_one_region)
{
	struct guest_mem gm;
	init_ok(&gm, (struct gm_config){ .size = 3 * GiB });
	ck_assert_int_eq(gm.nregions, 1);
	ck_assert_uint_eq(gm_end(&gm), MV_GPA_MMIO_BASE);
	ck_assert_ptr_null(gm_ptr(&gm, MV_GPA_HIGH_RAM, 1));
	gm_destroy(&gm);
}
END_TEST

/* ---- size validation ---- */

START_TEST(gm_rejects_size_below_16_mib)
{
	struct guest_mem gm;
	struct mv_err e;
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 14 * MiB }, &e), e,
			     "out of range");
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 0 }, &e), e, "out of range");
	ck_assert_ptr_null(gm.base);
	ck_assert_int_eq(gm.fd, -1);
}
END_TEST

START_TEST(gm_rejects_size_above_maximum)
{
	struct guest_mem gm;
	struct mv_err e;
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = GM_MAX_SIZE + 2 * MiB }, &e),
			     e, "out of range");
}
END_TEST

START_TEST(gm_rejects_size_not_multiple_of_2_mib)
{
	struct guest_mem gm;
	struct mv_err e;
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 17 * MiB }, &e), e,
			     "multiple of 2 MiB");
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 16 * MiB + 4096 }, &e), e,
			     "multiple of 2 MiB");
}
END_TEST

START_TEST(gm_rejects_unknown_hugepage_size)
{
	struct guest_mem gm;
	struct mv_err e;
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 16 * MiB, .hugepage = 4 * MiB },
				  &e), e, "2M or 1G");
}
END_TEST

START_TEST(gm_rejects_size_not_multiple_of_hugepage)
{
	struct guest_mem gm;
	struct mv_err e;
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 1 * GiB + 2 * MiB,
							    .hugepage = 1 * GiB }, &e),
			     e, "not a multiple of the hugepage size");
}
END_TEST

/* ---- backing modes ---- */

START_TEST(gm_anonymous_is_private_and_has_no_path)
{
	struct guest_mem gm;
	struct vma_info v;
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB });
	ck_assert_int_eq(gm.kind, GM_ANON);
	ck_assert_int_eq(gm.fd, -1);
	ck_assert_str_eq(gm.path, "");
	ck_assert(gm.zero_at_start);
	vma_of(&gm, &v);
	ck_assert_msg(v.perms[3] == 'p', "perms %s", v.header);
	ck_assert_msg(!vma_flag(&v, "sh"), "VmFlags%s", v.vmflags);
	ck_assert_msg(vma_flag(&v, "rd") && vma_flag(&v, "wr"), "VmFlags%s", v.vmflags);
	ck_assert_msg(v.path[0] == 0, "anonymous RAM has a path: %s", v.header);
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_shared_file_is_created_when_missing)
{
	char path[64], real[PATH_MAX];
	struct guest_mem gm;
	struct vma_info v;
	struct stat st;
	unit_tmpname(path);
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .path = path, .shared = true });
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(st.st_size, 16 * MiB);
	ck_assert(gm.file_created);
	ck_assert(!gm.file_extended);
	ck_assert(gm.zero_at_start);   /* every byte from ftruncate */
	ck_assert_int_eq(gm.kind, GM_FILE);
	ck_assert_ptr_nonnull(realpath(path, real));
	ck_assert_str_eq(gm.path, real);
	vma_of(&gm, &v);
	ck_assert_msg(v.perms[3] == 's', "perms %s", v.header);
	ck_assert_msg(vma_flag(&v, "sh"), "VmFlags%s", v.vmflags);
	ck_assert_str_eq(v.path, real);
	gm_destroy(&gm);
	unlink(path);
}
END_TEST

START_TEST(gm_shared_file_larger_is_not_truncated)
{
	char path[64];
	struct guest_mem gm;
	unit_tmpname(path);
	file_make(path, 32 * MiB, 0x77);
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .path = path, .shared = true });
	ck_assert(!gm.file_created);
	ck_assert(!gm.file_extended);
	ck_assert(!gm.zero_at_start);   /* the guest must zero what it uses */
	ck_assert_int_eq(file_size(path), 32 * MiB);
	ck_assert_uint_eq(*(uint8_t *)gm_ptr(&gm, 16 * MiB - 1, 1), 0x77);
	gm_destroy(&gm);
	ck_assert_int_eq(file_size(path), 32 * MiB);
	ck_assert_uint_eq(file_byte(path, 32 * MiB - 1), 0x77);
	unlink(path);
}
END_TEST

START_TEST(gm_shared_file_smaller_is_extended_keeping_data)
{
	char path[64];
	struct guest_mem gm;
	unit_tmpname(path);
	file_make(path, 4 * MiB, 0x33);
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .path = path, .shared = true });
	ck_assert(!gm.file_created);
	ck_assert(gm.file_extended);
	ck_assert(!gm.zero_at_start);   /* the old 4 MiB are not zero */
	ck_assert_int_eq(file_size(path), 16 * MiB);
	ck_assert_uint_eq(*(uint8_t *)gm_ptr(&gm, 0, 1), 0x33);
	ck_assert_uint_eq(*(uint8_t *)gm_ptr(&gm, 4 * MiB - 1, 1), 0x33);
	ck_assert_uint_eq(*(uint8_t *)gm_ptr(&gm, 4 * MiB, 1), 0);
	gm_destroy(&gm);
	unlink(path);
}
END_TEST

START_TEST(gm_shared_file_receives_guest_writes)
{
	char path[64];
	struct guest_mem gm;
	unit_tmpname(path);
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .path = path, .shared = true });
	const char msg[] = "written by the guest";
	memcpy(gm_ptr(&gm, 0x123450, sizeof(msg)), msg, sizeof(msg));
	char got[sizeof(msg)];
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, got, sizeof(got), 0x123450), (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, msg, sizeof(msg));
	gm_destroy(&gm);
	memset(got, 0, sizeof(got));
	ck_assert_int_eq(pread(fd, got, sizeof(got), 0x123450), (ssize_t)sizeof(got));
	ck_assert_mem_eq(got, msg, sizeof(msg));
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(gm_private_file_must_exist)
{
	char path[64];
	struct guest_mem gm;
	struct mv_err e;
	unit_tmpname(path);
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 16 * MiB, .path = path }, &e),
			     e, "existing file");
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(gm_private_file_too_small_is_refused)
{
	char path[64];
	struct guest_mem gm;
	struct mv_err e;
	unit_tmpname(path);
	file_make(path, 8 * MiB, 0x11);
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 16 * MiB, .path = path }, &e),
			     e, "smaller than the RAM size");
	ck_assert_int_eq(file_size(path), 8 * MiB);
	ck_assert_ptr_null(gm.base);
	ck_assert_int_eq(gm.fd, -1);
	unlink(path);
}
END_TEST

START_TEST(gm_private_file_reads_file_but_keeps_writes)
{
	char path[64], real[PATH_MAX];
	struct guest_mem gm;
	struct vma_info v;
	unit_tmpname(path);
	file_make(path, 16 * MiB, 0x5a);
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .path = path });
	ck_assert_int_eq(gm.kind, GM_FILE);
	ck_assert(!gm.file_created && !gm.file_extended);
	ck_assert(!gm.zero_at_start);
	uint8_t *p = gm_ptr(&gm, 0x200000, 0x1000);
	ck_assert_uint_eq(p[0], 0x5a);
	memset(p, 0x11, 0x1000);
	ck_assert_uint_eq(file_byte(path, 0x200000), 0x5a);
	vma_of(&gm, &v);
	ck_assert_msg(v.perms[3] == 'p', "perms %s", v.header);
	ck_assert_msg(!vma_flag(&v, "sh"), "VmFlags%s", v.vmflags);
	ck_assert_ptr_nonnull(realpath(path, real));
	ck_assert_str_eq(v.path, real);
	gm_destroy(&gm);
	ck_assert_uint_eq(file_byte(path, 0x200000), 0x5a);
	ck_assert_uint_eq(file_byte(path, 0x200fff), 0x5a);
	ck_assert_int_eq(file_size(path), 16 * MiB);
	unlink(path);
}
END_TEST

START_TEST(gm_private_file_larger_is_accepted)
{
	char path[64];
	struct guest_mem gm;
	unit_tmpname(path);
	file_make(path, 18 * MiB, 0x42);
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .path = path });
	ck_assert_uint_eq(*(uint8_t *)gm_ptr(&gm, 16 * MiB - 1, 1), 0x42);
	gm_destroy(&gm);
	ck_assert_int_eq(file_size(path), 18 * MiB);
	unlink(path);
}
END_TEST

START_TEST(gm_rejects_directory_as_private_backing)
{
	char dir[64];
	struct guest_mem gm;
	struct mv_err e;
	unit_tmpname(dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	int rc = init(&gm, (struct gm_config){ .size = 16 * MiB, .path = dir }, &e);
	rmdir(dir);
	ck_assert_fails_with(rc, e, "not a regular file");
	ck_assert_int_eq(gm.fd, -1);
}
END_TEST

START_TEST(gm_rejects_directory_as_shared_backing)
{
	char dir[64];
	struct guest_mem gm;
	struct mv_err e;
	unit_tmpname(dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	int rc = init(&gm, (struct gm_config){ .size = 16 * MiB, .path = dir, .shared = true }, &e);
	rmdir(dir);
	ck_assert_fails_with(rc, e, dir);
}
END_TEST

START_TEST(gm_rejects_device_as_backing)
{
	struct guest_mem gm;
	struct mv_err e;
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 16 * MiB, .path = "/dev/null" },
				  &e), e, "not a regular file");
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 16 * MiB, .path = "/dev/null",
							    .shared = true }, &e),
			     e, "not a regular file");
}
END_TEST

START_TEST(gm_file_on_ordinary_fs_refuses_hugepages)
{
	char path[64];
	struct guest_mem gm;
	struct mv_err e;
	unit_tmpname(path);
	file_make(path, 16 * MiB, 0);
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = 16 * MiB, .path = path,
							    .hugepage = 2 * MiB }, &e),
			     e, "not on a hugetlbfs mount");
	unlink(path);
}
END_TEST

START_TEST(gm_failed_init_leaves_no_created_file)
{
	char path[64];
	struct guest_mem gm;
	struct mv_err e;
	unit_tmpname(path);
	int rc = init(&gm, (struct gm_config){ .size = 16 * MiB, .path = path, .shared = true,
					       .hugepage = 2 * MiB }, &e);
	bool left = access(path, F_OK) == 0;
	unlink(path);
	ck_assert_fails_with(rc, e, "not on a hugetlbfs mount");
	ck_assert_msg(!left, "a failed gm_init left the file it created: %s", path);
}
END_TEST

/* ---- residency ---- */

START_TEST(gm_prefault_makes_all_pages_resident)
{
	struct guest_mem gm;
	uint64_t resident = 0;
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .prefault = true });
	ck_assert(gm.mmap_flags & MAP_POPULATE);
	ck_assert_int_eq(gm_resident_pages(&gm, &gm.region[0], &resident), 0);
	ck_assert_uint_eq(resident, 16 * MiB / (uint64_t)sysconf(_SC_PAGESIZE));
	gm_destroy(&gm);
}
END_TEST

START_TEST(gm_prefault_shared_file_makes_all_pages_resident)
{
	char path[64];
	struct guest_mem gm;
	uint64_t resident = 0;
	unit_tmpname(path);
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .path = path, .shared = true,
					 .prefault = true });
	ck_assert_int_eq(gm_resident_pages(&gm, &gm.region[0], &resident), 0);
	ck_assert_uint_eq(resident, 16 * MiB / (uint64_t)sysconf(_SC_PAGESIZE));
	gm_destroy(&gm);
	unlink(path);
}
END_TEST

START_TEST(gm_without_prefault_starts_empty)
{
	struct guest_mem gm;
	uint64_t resident = 1;
	uint64_t pages = 16 * MiB / (uint64_t)sysconf(_SC_PAGESIZE);
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB });
	ck_assert(!(gm.mmap_flags & MAP_POPULATE));
	ck_assert_int_eq(gm_resident_pages(&gm, &gm.region[0], &resident), 0);
	ck_assert_uint_eq(resident, 0);
	*(volatile uint8_t *)gm_ptr(&gm, 0x400000, 1) = 1;
	ck_assert_int_eq(gm_resident_pages(&gm, &gm.region[0], &resident), 0);
	ck_assert_uint_ge(resident, 1);
	ck_assert_uint_lt(resident, pages);
	gm_destroy(&gm);
}
END_TEST

/* ---- hugetlb ---- */

#define HUGE_2M_FREE "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"

#define HUGE_2M_NR "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

/* Grow the pool by what is missing (root only); returns the pages added,
 * which release_2m_hugepages() takes back. */
static long reserve_2m_hugepages(long want)
{
	long free_now = gm_hugepages_free(2 * MiB), before = read_long(HUGE_2M_NR);
	if (free_now < 0 || before < 0 || free_now >= want || geteuid() != 0)
		return 0;
	write_long(HUGE_2M_NR, before + (want - free_now));
	return read_long(HUGE_2M_NR) - before;
}

static void release_2m_hugepages(long added)
{
	if (added > 0)
		write_long(HUGE_2M_NR, read_long(HUGE_2M_NR) - added);
}

static bool have_free_2m_hugepages(long want, const char *what)
{
	long n = gm_hugepages_free(2 * MiB);
	if (n < want) {
		unit_skip("%s: %ld free 2 MiB hugepages in %s, need %ld", what, n, HUGE_2M_FREE,
			  want);
		return false;
	}
	return true;
}

static void check_hugetlb(bool shared)
{
	struct guest_mem gm;
	struct vma_info v;
	init_ok(&gm, (struct gm_config){ .size = 16 * MiB, .hugepage = 2 * MiB, .shared = shared });
	ck_assert_int_eq(gm.kind, GM_HUGETLB);
	ck_assert_uint_eq(gm.page_size, 2 * MiB);
	ck_assert_int_ge(gm.fd, 0);
	ck_assert(gm.zero_at_start);   /* a new memfd */
	memset(gm_ptr(&gm, 0, 16 * MiB), 0x3c, 16 * MiB);
	vma_of(&gm, &v);
	ck_assert_msg(vma_flag(&v, "ht"), "not a hugetlb mapping: VmFlags%s", v.vmflags);
	ck_assert_msg(vma_flag(&v, "sh") == shared, "VmFlags%s", v.vmflags);
	ck_assert_msg(strstr(v.path, "mapvisor-ram") != NULL, "header %s", v.header);
	gm_destroy(&gm);
}

START_TEST(gm_hugetlb_shared_memfd_maps_2m_pages)
{
	long added = reserve_2m_hugepages(8);
	if (have_free_2m_hugepages(8, "shared hugetlb memfd"))
		check_hugetlb(true);
	release_2m_hugepages(added);
}
END_TEST

START_TEST(gm_hugetlb_private_memfd_maps_2m_pages)
{
	long added = reserve_2m_hugepages(8);
	if (have_free_2m_hugepages(8, "private hugetlb memfd"))
		check_hugetlb(false);
	release_2m_hugepages(added);
}
END_TEST

START_TEST(gm_hugetlb_shortage_explains_nr_hugepages)
{
	struct guest_mem gm;
	struct mv_err e;
	long avail = gm_hugepages_free(2 * MiB);
	if (avail < 0) {
		unit_skip("no 2 MiB hugepage pool on this host (%s missing)", HUGE_2M_FREE);
		return;
	}
	uint64_t size = (uint64_t)(avail + 1) * 2 * MiB;
	if (size < GM_MIN_SIZE)
		size = GM_MIN_SIZE;
	ck_assert_fails_with(init(&gm, (struct gm_config){ .size = size, .hugepage = 2 * MiB }, &e),
			     e, "nr_hugepages");
	char need[32];
	snprintf(need, sizeof(need), "%llu free", (unsigned long long)(size / (2 * MiB)));
	ck_assert_msg(strstr(e.msg, need) != NULL, "\"%s\" lacks \"%s\"", e.msg, need);
	ck_assert_int_eq(gm.fd, -1);
}
END_TEST

START_TEST(gm_hugepages_free_knows_only_real_sizes)
{
	ck_assert_int_eq(gm_hugepages_free(3 * MiB), -1);
	ck_assert_str_eq(gm_kind_name(GM_ANON), "anonymous");
	ck_assert_str_eq(gm_kind_name(GM_FILE), "file");
	ck_assert_str_eq(gm_kind_name(GM_HUGETLB), "hugetlbfs");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_mem");
	UNIT_CASE(s, gm_translates_first_and_last_byte);
	UNIT_CASE(s, gm_ptr_rejects_range_crossing_ram_end);
	UNIT_CASE(s, gm_ptr_rejects_gpa_plus_len_overflow);
	UNIT_CASE(s, gm_ptr_zero_length_needs_a_ram_address);
	UNIT_CASE(s, gm_splits_ram_around_the_mmio_hole);
	UNIT_CASE(s, gm_ptr_refuses_the_mmio_hole);
	UNIT_CASE(s, gm_high_ram_continues_the_host_mapping);
	UNIT_CASE(s, gm_keeps_3_gib_in_one_region);
	UNIT_CASE(s, gm_rejects_size_below_16_mib);
	UNIT_CASE(s, gm_rejects_size_above_maximum);
	UNIT_CASE(s, gm_rejects_size_not_multiple_of_2_mib);
	UNIT_CASE(s, gm_rejects_unknown_hugepage_size);
	UNIT_CASE(s, gm_rejects_size_not_multiple_of_hugepage);
	UNIT_CASE(s, gm_anonymous_is_private_and_has_no_path);
	UNIT_CASE(s, gm_shared_file_is_created_when_missing);
	UNIT_CASE(s, gm_shared_file_larger_is_not_truncated);
	UNIT_CASE(s, gm_shared_file_smaller_is_extended_keeping_data);
	UNIT_CASE(s, gm_shared_file_receives_guest_writes);
	UNIT_CASE(s, gm_private_file_must_exist);
	UNIT_CASE(s, gm_private_file_too_small_is_refused);
	UNIT_CASE(s, gm_private_file_reads_file_but_keeps_writes);
	UNIT_CASE(s, gm_private_file_larger_is_accepted);
	UNIT_CASE(s, gm_rejects_directory_as_private_backing);
	UNIT_CASE(s, gm_rejects_directory_as_shared_backing);
	UNIT_CASE(s, gm_rejects_device_as_backing);
	UNIT_CASE(s, gm_file_on_ordinary_fs_refuses_hugepages);
	UNIT_CASE(s, gm_failed_init_leaves_no_created_file);
	UNIT_CASE(s, gm_prefault_makes_all_pages_resident);
	UNIT_CASE(s, gm_prefault_shared_file_makes_all_pages_resident);
	UNIT_CASE(s, gm_without_prefault_starts_empty);
	UNIT_CASE(s, gm_hugetlb_shared_memfd_maps_2m_pages);
	UNIT_CASE(s, gm_hugetlb_private_memfd_maps_2m_pages);
	UNIT_CASE(s, gm_hugetlb_shortage_explains_nr_hugepages);
	UNIT_CASE(s, gm_hugepages_free_knows_only_real_sizes);
	return unit_run(s);
}
