/* guest/kernel/pcache.c on the host, over the real ext2 code (guest/fs/)
 * and an image file (fake_disk.c implements fs/fs_hooks.h; cache pages
 * come from its fs_page_alloc, so fake_pages_out counts them).
 *
 * Source tree (built once per run in a mkdtemp directory under /tmp),
 * imaged with mke2fs -d at 4 KiB blocks:
 *
 *   /a     A_SIZE bytes: 2 whole pages and a partial one
 *   /b     B_SIZE bytes: 1 whole page and a partial one
 *   /big   BIG_PAGES pages, more than the cache holds (PCACHE_MAX)
 *
 * pcache.c keeps its table in file-scope statics: every test runs in its
 * own process (CK_FORK) on its own copy of the image. */
#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/x86/syscall_arch.h"
#include "fake_disk.h"
#include "host_files.h"
#include "fs/ext2.h"
#include "fs/fs_hooks.h"
#include "kernel/pcache.h"
#include "lib/errno.h"

#define PG PCACHE_PAGE
#define A_SIZE (2 * PG + 1808)   /* 10000 */
#define B_SIZE (PG + 904)
#define BIG_PAGES (PCACHE_MAX + 64)

#define PATHLEN 256
static char base[64]; /* mkdtemp root, removed by main */
static char srcdir[96];

static struct {
	char dir[96];
	char img[128];
	struct fake_disk disk;
	struct ext2_fs fs;
	bool mounted;
	uint32_t a, b, big;   /* inode numbers */
} E;

/* kernel/pcache.c zeroes the tail of a short fill with the user-copy
 * string instruction (arch/x86/uaccess.S): on the host, memset. */
long arch_uaccess_zero(void *dst, size_t n)
{
	memset(dst, 0, n);
	return 0;
}

/* ---- host helpers ---------------------------------------------------- */

static void make_source_tree(void)
{
	snprintf(srcdir, sizeof(srcdir), "%s/src", base);
	host_need(mkdir(srcdir, 0755) == 0, "mkdir");
	host_pattern_file(srcdir, "a", A_SIZE, 1);
	host_pattern_file(srcdir, "b", B_SIZE, 2);
	host_pattern_file(srcdir, "big", (uint64_t)BIG_PAGES * PG, 3);
}

static void run_ok(const char *cmd)
{
	int st = system(cmd);

	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "'%s' failed (%d)", cmd,
		      st);
}

static uint32_t ino_of(const char *path)
{
	uint32_t ino = 0;
	int err = ext2_lookup(&E.fs, path, &ino);

	ck_assert_msg(err == 0, "lookup %s: %d", path, err);
	return ino;
}

static void setup(void)
{
	char cmd[3 * PATHLEN];

	memset(&E, 0, sizeof(E));
	snprintf(E.dir, sizeof(E.dir), "%s/t%d", base, (int)getpid());
	ck_assert_int_eq(mkdir(E.dir, 0755), 0);
	snprintf(E.img, sizeof(E.img), "%s/img", E.dir);
	snprintf(cmd, sizeof(cmd), "mke2fs -q -F -t ext2 -b 4096 -d '%s' '%s' 32M >/dev/null",
		 srcdir, E.img);
	run_ok(cmd);
	fake_disk_open(&E.disk, E.img);
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, E.disk.size, 0), 0);
	E.mounted = true;
	E.a = ino_of("/a");
	E.b = ino_of("/b");
	E.big = ino_of("/big");
}

/* Every cache page goes back with pcache_reset, every ext2 page with
 * unmount; the image must still be consistent. */
static void teardown(void)
{
	char cmd[3 * PATHLEN];

	pcache_reset();
	if (E.mounted)
		ck_assert_int_eq(ext2_unmount(&E.fs), 0);
	E.mounted = false;
	ck_assert_int_eq(fake_pages_out, 0);
	ck_assert_uint_eq(E.disk.out_of_range, 0);
	fake_disk_close(&E.disk);
	snprintf(cmd, sizeof(cmd), "e2fsck -fn '%s' >/dev/null 2>&1", E.img);
	run_ok(cmd);
}

static uint8_t *get(uint32_t ino, uint64_t idx)
{
	uint8_t *page = NULL;
	int err = pcache_get(&E.fs, ino, idx, &page);

	ck_assert_msg(err == 0, "pcache_get(%u, %lu): %d", ino, idx, err);
	ck_assert_ptr_nonnull(page);
	return page;
}

/* The file's bytes [off, off + n) as ext2 reads them from the disk. */
static uint8_t *file_bytes(uint32_t ino, uint64_t off, size_t n)
{
	uint8_t *p = malloc(n);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(ext2_read(&E.fs, ino, off, p, n), (int64_t)n);
	return p;
}

static uint64_t file_size(uint32_t ino)
{
	struct ext2_stat st;

	ck_assert_int_eq(ext2_stat(&E.fs, ino, &st), 0);
	return st.size;
}

/* Page idx of the file of seed as the source tree had it (zeros past n). */
static void assert_source_page(const uint8_t *page, uint32_t seed, uint64_t idx, uint64_t n)
{
	for (uint64_t i = 0; i < PG; i++) {
		uint64_t off = idx * PG + i;
		uint8_t want = off < n ? host_pattern_byte(seed, off) : 0;
		ck_assert_msg(page[i] == want, "page %lu byte %lu: %#x, want %#x", idx, i, page[i],
			      want);
	}
}

/* Every page of /big from first on, through the cache: more than it holds. */
static void read_all_of_big(uint64_t first)
{
	for (uint64_t i = first; i < BIG_PAGES; i++)
		get(E.big, i);
}

static struct pcache_stats stats(void)
{
	struct pcache_stats st;

	pcache_get_stats(&st);
	return st;
}

/* ---- reading ------------------------------------------------------------ */

START_TEST(pcache_get_reads_the_file_and_zeros_past_its_end)
{
	assert_source_page(get(E.a, 0), 1, 0, A_SIZE);
	assert_source_page(get(E.a, 2), 1, 2, A_SIZE);   /* partial: zeros after */
	assert_source_page(get(E.a, 5), 1, 5, A_SIZE);   /* past the end: all zeros */
	ck_assert_ptr_eq(pcache_find(E.a, 2), get(E.a, 2));
	ck_assert_ptr_null(pcache_find(E.b, 0));
}
END_TEST

/* Control for the tests below: reading more pages than the cache holds
 * does evict a page nothing holds. */
START_TEST(pcache_over_full_evicts_an_unpinned_clean_page)
{
	get(E.big, 0);
	read_all_of_big(1);
	ck_assert_uint_gt(stats().evictions, 0);
	ck_assert_uint_le(stats().pages, PCACHE_MAX);
	ck_assert_ptr_null(pcache_find(E.big, 0));
}
END_TEST

/* ---- pins --------------------------------------------------------------- */

START_TEST(pcache_pinned_page_is_not_evicted_when_the_cache_is_over_full)
{
	uint8_t *page = get(E.big, 0);
	pcache_pin(page);
	ck_assert_uint_eq(pcache_maps(page), 1);
	read_all_of_big(1);
	ck_assert_uint_gt(stats().evictions, 0);
	ck_assert_ptr_eq(pcache_find(E.big, 0), page);
	ck_assert_uint_eq(pcache_maps(page), 1);
	assert_source_page(page, 3, 0, (uint64_t)BIG_PAGES * PG);
	/* unpinned, it is a victim like any other */
	ck_assert(!pcache_unpin(page));
	read_all_of_big(1);
	read_all_of_big(1);
	ck_assert_ptr_null(pcache_find(E.big, 0));
}
END_TEST

/* Pages mapped after they joined the reuse ring stay in it until the hand
 * passes: it must drop them, never hand them out, and take them again once
 * they are unmapped. All but a few pinned, then all unpinned. */
START_TEST(pcache_victims_skip_pages_pinned_in_the_ring_and_take_them_after_unpin)
{
	const uint64_t free_ones = 3;
	uint8_t *page;
	for (uint64_t i = 0; i < PCACHE_MAX; i++)   /* exactly these: no readahead */
		ck_assert_int_ge(pcache_get_ra(&E.fs, E.big, i, PCACHE_RA_NONE, &page), 0);
	for (uint64_t i = 0; i < PCACHE_MAX - free_ones; i++)
		pcache_pin(pcache_find(E.big, i));
	for (uint64_t i = PCACHE_MAX; i < BIG_PAGES; i++)   /* 64 new pages */
		assert_source_page(get(E.big, i), 3, i, (uint64_t)BIG_PAGES * PG);
	for (uint64_t i = 0; i < PCACHE_MAX - free_ones; i++)
		ck_assert_msg(pcache_find(E.big, i), "pinned page %lu evicted", i);
	for (uint64_t i = 0; i < PCACHE_MAX - free_ones; i++)
		ck_assert(!pcache_unpin(pcache_find(E.big, i)));
	/* now every entry is reusable again: a pass over a file bigger than
	 * the cache misses on (nearly) every page, as it does with no pins;
	 * entries lost to the ring would keep their pages and hit instead */
	read_all_of_big(1);
	uint64_t before = stats().evictions;
	read_all_of_big(1);
	ck_assert_uint_ge(stats().evictions - before, PCACHE_MAX / 2);
}
END_TEST

START_TEST(pcache_get_pinned_reads_or_finds_and_pins_in_one_call)
{
	uint8_t *page = NULL, *again = NULL;
	ck_assert_int_eq(pcache_get_pinned(&E.fs, E.a, 1, PCACHE_RA_NONE, &page), 0);   /* read */
	ck_assert_ptr_nonnull(page);
	ck_assert_uint_eq(pcache_maps(page), 1);
	ck_assert_int_eq(pcache_get_pinned(&E.fs, E.a, 1, PCACHE_RA_NONE, &again), 1);  /* found */
	ck_assert_ptr_eq(again, page);
	ck_assert_uint_eq(pcache_maps(page), 2);
	assert_source_page(page, 1, 1, A_SIZE);
	ck_assert(!pcache_unpin(page));
	ck_assert(!pcache_unpin(page));
	ck_assert_uint_eq(pcache_maps(page), 0);
}
END_TEST

/* With every entry pinned there is no victim: an error, not a page of
 * somebody's mapping. */
START_TEST(pcache_get_with_every_page_pinned_returns_enomem)
{
	for (uint64_t i = 0; i < PCACHE_MAX; i++)
		pcache_pin(get(E.big, i));
	ck_assert_uint_eq(stats().pages, PCACHE_MAX);
	uint8_t *page = NULL;
	ck_assert_int_eq(pcache_get(&E.fs, E.big, PCACHE_MAX, &page), -ENOMEM);
	for (uint64_t i = 0; i < PCACHE_MAX; i++)
		ck_assert_msg(pcache_find(E.big, i), "pinned page %lu gone", i);
	pcache_unpin(pcache_find(E.big, 7));
	assert_source_page(get(E.big, PCACHE_MAX), 3, PCACHE_MAX, (uint64_t)BIG_PAGES * PG);
	ck_assert_ptr_null(pcache_find(E.big, 7));
}
END_TEST

START_TEST(pcache_unpin_returns_true_only_for_the_last_pin_of_a_dirty_page)
{
	uint8_t *clean = get(E.a, 0), *dirty = get(E.a, 1);
	pcache_pin(clean);
	ck_assert(!pcache_unpin(clean));   /* last pin, but clean */
	ck_assert_uint_eq(pcache_maps(clean), 0);
	ck_assert(!pcache_unpin(clean));   /* no pin left */
	pcache_pin(dirty);
	pcache_pin(dirty);
	pcache_pin(dirty);
	pcache_set_dirty(dirty);
	ck_assert_uint_eq(pcache_maps(dirty), 3);
	ck_assert(!pcache_unpin(dirty));
	ck_assert(!pcache_unpin(dirty));
	ck_assert_uint_eq(pcache_maps(dirty), 1);
	ck_assert(pcache_unpin(dirty));    /* the last: write it back */
	ck_assert_uint_eq(pcache_maps(dirty), 0);
	ck_assert(!pcache_unpin(dirty));
}
END_TEST

START_TEST(pcache_pin_of_a_page_not_in_the_cache_is_ignored)
{
	uint8_t other[PG];
	get(E.a, 0);
	pcache_pin(other);
	ck_assert_uint_eq(pcache_maps(other), 0);
	ck_assert(!pcache_unpin(other));
}
END_TEST

/* ---- dirty pages and writeback ------------------------------------------ */

/* A page wholly inside the file, written back with a smaller size (as after
 * a truncate the cache has not seen): the bytes below size reach the file,
 * the ones after stay as they were; the page is clean after. */
START_TEST(pcache_writeback_writes_only_the_bytes_below_size_and_marks_the_page_clean)
{
	const uint64_t size = PG + 1000;
	uint8_t *page = get(E.a, 1);
	pcache_pin(page);
	memset(page, 0xee, PG);
	pcache_set_dirty(page);
	ck_assert_int_eq(pcache_writeback(&E.fs, page, size), 0);
	ck_assert_uint_eq(stats().writebacks, 1);
	uint8_t *got = file_bytes(E.a, PG, PG);
	for (unsigned i = 0; i < PG; i++) {
		uint8_t want = i < 1000 ? 0xee : host_pattern_byte(1, PG + i);
		ck_assert_msg(got[i] == want, "file byte %u: %#x, want %#x", PG + i, got[i], want);
	}
	free(got);
	ck_assert_uint_eq(file_size(E.a), A_SIZE);
	/* clean now: nothing more to write, and the last unpin says so */
	unsigned writes = E.disk.writes;
	ck_assert_int_eq(pcache_writeback(&E.fs, page, A_SIZE), 0);
	ck_assert_uint_eq(E.disk.writes, writes);
	ck_assert_uint_eq(stats().writebacks, 1);
	ck_assert(!pcache_unpin(page));
}
END_TEST

/* The last page, and a page past the end: what a shared mapping stores
 * beyond the end never reaches the file, nor grows it. */
START_TEST(pcache_writeback_never_writes_past_the_end_of_the_file)
{
	uint8_t *tail = get(E.a, 2), *past = get(E.a, 3);
	memset(tail, 0x11, PG);
	memset(past, 0x22, PG);
	pcache_set_dirty(tail);
	pcache_set_dirty(past);
	unsigned writes = E.disk.writes;
	ck_assert_int_eq(pcache_writeback(&E.fs, past, A_SIZE), 0);
	ck_assert_uint_eq(E.disk.writes, writes);   /* nothing below size there */
	ck_assert_int_eq(pcache_writeback(&E.fs, tail, A_SIZE), 0);
	ck_assert_uint_eq(stats().writebacks, 2);
	ck_assert_uint_eq(file_size(E.a), A_SIZE);
	uint8_t *got = file_bytes(E.a, 2 * PG, A_SIZE - 2 * PG);
	for (unsigned i = 0; i < A_SIZE - 2 * PG; i++)
		ck_assert_uint_eq(got[i], 0x11);
	free(got);
	uint8_t byte;
	ck_assert_int_eq(ext2_read(&E.fs, E.a, A_SIZE, &byte, 1), 0);
}
END_TEST

START_TEST(pcache_writeback_of_a_clean_page_writes_nothing)
{
	uint8_t *page = get(E.a, 0);
	unsigned writes = E.disk.writes;
	page[0] ^= 0xff;   /* changed, but never marked dirty */
	ck_assert_int_eq(pcache_writeback(&E.fs, page, A_SIZE), 0);
	ck_assert_uint_eq(E.disk.writes, writes);
	ck_assert_uint_eq(stats().writebacks, 0);
	uint8_t byte;
	ck_assert_int_eq(ext2_read(&E.fs, E.a, 0, &byte, 1), 1);
	ck_assert_uint_eq(byte, host_pattern_byte(1, 0));
}
END_TEST

START_TEST(pcache_writeback_error_leaves_the_page_dirty)
{
	uint8_t *page = get(E.a, 0);
	memset(page, 0x33, PG);
	pcache_set_dirty(page);
	E.disk.fail_writes_after = 0;
	ck_assert_int_lt(pcache_writeback(&E.fs, page, A_SIZE), 0);
	ck_assert_uint_eq(stats().writebacks, 0);
	E.disk.fail_writes_after = -1;
	ck_assert_int_eq(pcache_writeback(&E.fs, page, A_SIZE), 0);
	ck_assert_uint_eq(stats().writebacks, 1);
	uint8_t *got = file_bytes(E.a, 0, PG);
	for (unsigned i = 0; i < PG; i++)
		ck_assert_uint_eq(got[i], 0x33);
	free(got);
}
END_TEST

/* Not pinned, only dirty: still never a victim; clean again, it is. */
START_TEST(pcache_dirty_page_is_not_evicted_when_the_cache_is_over_full)
{
	uint8_t *page = get(E.big, 0);
	memset(page, 0x44, PG);
	pcache_set_dirty(page);
	read_all_of_big(1);
	ck_assert_uint_gt(stats().evictions, 0);
	ck_assert_ptr_eq(pcache_find(E.big, 0), page);
	ck_assert_uint_eq(page[PG - 1], 0x44);
	ck_assert_int_eq(pcache_writeback(&E.fs, page, (uint64_t)BIG_PAGES * PG), 0);
	read_all_of_big(1);
	read_all_of_big(1);
	ck_assert_ptr_null(pcache_find(E.big, 0));
	uint8_t *got = file_bytes(E.big, 0, PG);
	ck_assert_uint_eq(got[0], 0x44);
	ck_assert_uint_eq(got[PG - 1], 0x44);
	free(got);
}
END_TEST

START_TEST(pcache_sync_writes_every_dirty_page_of_one_inode_and_not_others)
{
	uint8_t *a0 = get(E.a, 0), *a1 = get(E.a, 1), *a2 = get(E.a, 2), *b0 = get(E.b, 0);
	memset(a0, 0x50, PG);
	memset(a1, 0x51, PG);   /* changed, not dirty: stays unwritten */
	memset(a2, 0x52, PG);
	memset(b0, 0x60, PG);
	pcache_set_dirty(a0);
	pcache_set_dirty(a2);
	pcache_set_dirty(b0);
	ck_assert_int_eq(pcache_sync(&E.fs, E.a, A_SIZE), 0);
	ck_assert_uint_eq(stats().writebacks, 2);
	uint8_t *got = file_bytes(E.a, 0, A_SIZE);
	for (uint64_t i = 0; i < A_SIZE; i++) {
		uint8_t want = i < PG ? 0x50 : i < 2 * PG ? host_pattern_byte(1, i) : 0x52;
		ck_assert_msg(got[i] == want, "a byte %lu: %#x, want %#x", i, got[i], want);
	}
	free(got);
	ck_assert_uint_eq(file_size(E.a), A_SIZE);
	got = file_bytes(E.b, 0, B_SIZE);
	for (uint64_t i = 0; i < B_SIZE; i++)
		ck_assert_uint_eq(got[i], host_pattern_byte(2, i));   /* b untouched */
	free(got);
	/* a is clean now: another sync writes nothing */
	unsigned writes = E.disk.writes;
	ck_assert_int_eq(pcache_sync(&E.fs, E.a, A_SIZE), 0);
	ck_assert_uint_eq(E.disk.writes, writes);
	/* b's page was still dirty */
	ck_assert_int_eq(pcache_sync(&E.fs, E.b, B_SIZE), 0);
	ck_assert_uint_eq(stats().writebacks, 3);
	got = file_bytes(E.b, 0, PG);
	ck_assert_uint_eq(got[0], 0x60);
	ck_assert_uint_eq(got[PG - 1], 0x60);
	free(got);
}
END_TEST

/* ---- drop ----------------------------------------------------------------- */

/* Truncate or unlink while mapped: the mapping keeps its page (still pinned,
 * its bytes unchanged), the cache no longer finds it, a new get reads a
 * fresh page, and the page's dirt is gone with the file's bytes. */
START_TEST(pcache_drop_of_a_pinned_page_keeps_it_mapped_but_no_longer_found)
{
	uint8_t *page = get(E.a, 1);
	pcache_pin(page);
	memset(page, 0x70, PG);
	pcache_set_dirty(page);
	pcache_drop(E.a, 0, 3);
	ck_assert_ptr_null(pcache_find(E.a, 1));
	ck_assert_ptr_null(pcache_find(E.a, 0));
	ck_assert_uint_eq(pcache_maps(page), 1);
	pcache_pin(page);   /* still its entry's: another mapping counts */
	ck_assert_uint_eq(pcache_maps(page), 2);
	ck_assert(!pcache_unpin(page));
	uint8_t *fresh = get(E.a, 1);
	ck_assert_ptr_ne(fresh, page);
	assert_source_page(fresh, 1, 1, A_SIZE);   /* the dirt never reached the file */
	for (unsigned i = 0; i < PG; i++)
		ck_assert_uint_eq(page[i], 0x70);
	unsigned writes = E.disk.writes;
	ck_assert_int_eq(pcache_writeback(&E.fs, page, A_SIZE), 0);   /* forgotten: nothing */
	ck_assert_int_eq(pcache_sync(&E.fs, E.a, A_SIZE), 0);
	ck_assert_uint_eq(E.disk.writes, writes);
	ck_assert(!pcache_unpin(page));   /* the last, but no longer dirty */
	ck_assert_uint_eq(pcache_maps(page), 0);
}
END_TEST

/* After the last unpin the forgotten page is reused. The cache is kept at
 * three pages by failing fs_page_alloc, so the clock picks every page. */
START_TEST(pcache_dropped_page_is_reused_after_its_last_unpin)
{
	get(E.a, 0);
	uint8_t *page = get(E.a, 1);   /* sequential: reads page 2 with it */
	get(E.a, 2);
	ck_assert_uint_eq(stats().pages, 3);
	pcache_pin(page);
	pcache_drop(E.a, 1, 2);
	fake_page_alloc_fails = true;
	uint64_t evictions = stats().evictions;
	uint8_t *b0 = get(E.b, 0);   /* the forgotten page is pinned: a0 goes */
	ck_assert_ptr_ne(b0, page);
	ck_assert_uint_eq(stats().evictions, evictions + 1);
	ck_assert_ptr_null(pcache_find(E.a, 0));
	ck_assert_uint_eq(pcache_maps(page), 1);
	ck_assert(!pcache_unpin(page));
	uint8_t *b1 = get(E.b, 1);
	ck_assert_ptr_eq(b1, page);
	ck_assert_uint_eq(stats().evictions, evictions + 1);   /* a free page, no victim */
	ck_assert_uint_eq(stats().pages, 3);
	assert_source_page(b1, 2, 1, B_SIZE);
	fake_page_alloc_fails = false;
}
END_TEST

START_TEST(pcache_drop_of_an_unpinned_range_forgets_exactly_that_range)
{
	for (uint64_t i = 0; i < 3; i++)
		get(E.a, i);
	get(E.b, 1);
	pcache_drop(E.a, 1, 3);
	ck_assert_ptr_nonnull(pcache_find(E.a, 0));
	ck_assert_ptr_null(pcache_find(E.a, 1));
	ck_assert_ptr_null(pcache_find(E.a, 2));
	ck_assert_ptr_nonnull(pcache_find(E.b, 1));
	/* a range larger than the table: the other path, same result */
	pcache_drop(E.a, 0, UINT64_MAX);
	ck_assert_ptr_null(pcache_find(E.a, 0));
	ck_assert_ptr_nonnull(pcache_find(E.b, 1));
}
END_TEST

/* ---- reset ----------------------------------------------------------------- */

/* BUG (excluded from the suite, see main): pcache_reset() clears ino and
 * page of each entry but not maps or dirty, and sets ndirty to 0.
 * The next pcache_victim() takes ent[0] again as a "never-used" entry
 * without clearing them, so a page read after a reset inherits the pins
 * and dirty bit of the page that entry held before: pcache_maps() of a
 * page nobody mapped is 1, it is never evicted, and its writeback
 * decrements ndirty from 0 (wraps to UINT32_MAX). Only reachable when
 * pages are pinned or dirty at reset and the cache is used afterwards
 * (today vfs_shutdown() is its only caller, the last thing done). */
START_TEST(pcache_reset_forgets_pins_and_dirty_bits)
{
	uint8_t *page = get(E.a, 0);
	pcache_pin(page);
	pcache_set_dirty(page);
	pcache_reset();
	uint8_t *fresh = get(E.b, 0);
	ck_assert_uint_eq(pcache_maps(fresh), 0);
	unsigned writes = E.disk.writes;
	ck_assert_int_eq(pcache_writeback(&E.fs, fresh, B_SIZE), 0);
	ck_assert_uint_eq(E.disk.writes, writes);   /* it was never dirty */
	ck_assert_uint_eq(stats().writebacks, 0);
}
END_TEST

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

/* A miss reads its file's inode, then makes room: the room may come from
 * writing back a page of the same file into a hole (i_block changes). The
 * read that follows must not write the older inode back over it. */
static bool hole_written;
static bool reclaim_writing_a_hole(uint32_t ino, uint64_t idx, uint8_t *page)
{
	static uint8_t buf[PG];

	(void)ino, (void)idx;
	if (!hole_written) {
		hole_written = true;
		memset(buf, 0x5a, sizeof(buf));
		ck_assert_int_eq(ext2_write(&E.fs, E.a, 5 * PG, buf, PG), PG);
	}
	while (pcache_maps(page))
		pcache_unpin(page);
	return true;
}

START_TEST(pcache_fill_keeps_what_a_writeback_made_room_with)
{
	ck_assert_int_eq(ext2_truncate(&E.fs, E.a, 100 * PG), 0);   /* page 5: a hole */
	for (uint64_t i = 0; i < PCACHE_MAX; i++)
		pcache_pin(get(E.big, i));
	pcache_set_reclaim(reclaim_writing_a_hole);
	uint8_t *page;
	ck_assert_int_ge(pcache_get_ra(&E.fs, E.a, 0, PCACHE_RA_NONE, &page), 0);
	pcache_set_reclaim(NULL);
	ck_assert(hole_written);
	uint8_t *b = file_bytes(E.a, 5 * PG, PG);
	ck_assert_msg(b[0] == 0x5a, "the block the writeback wrote is gone: %#x", b[0]);
	free(b);
}
END_TEST

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/mapvisor-pcache.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	if (system("command -v mke2fs >/dev/null && command -v e2fsck >/dev/null") != 0) {
		printf("SKIP: e2fsprogs (mke2fs, e2fsck) not installed\n");
		rmdir(base);
		return 77;
	}
	make_source_tree();

	Suite *s = suite_create("guest_pcache");
	const TTest *t[] = {
	    pcache_get_reads_the_file_and_zeros_past_its_end,
	    pcache_over_full_evicts_an_unpinned_clean_page,
	    pcache_pinned_page_is_not_evicted_when_the_cache_is_over_full,
	    pcache_victims_skip_pages_pinned_in_the_ring_and_take_them_after_unpin,
	    pcache_get_pinned_reads_or_finds_and_pins_in_one_call,
	    pcache_get_with_every_page_pinned_returns_enomem,
	    pcache_unpin_returns_true_only_for_the_last_pin_of_a_dirty_page,
	    pcache_pin_of_a_page_not_in_the_cache_is_ignored,
	    pcache_writeback_writes_only_the_bytes_below_size_and_marks_the_page_clean,
	    pcache_writeback_never_writes_past_the_end_of_the_file,
	    pcache_writeback_of_a_clean_page_writes_nothing,
	    pcache_writeback_error_leaves_the_page_dirty,
	    pcache_dirty_page_is_not_evicted_when_the_cache_is_over_full,
	    pcache_sync_writes_every_dirty_page_of_one_inode_and_not_others,
	    pcache_drop_of_a_pinned_page_keeps_it_mapped_but_no_longer_found,
	    pcache_dropped_page_is_reused_after_its_last_unpin,
	    pcache_drop_of_an_unpinned_range_forgets_exactly_that_range,
	    pcache_reset_forgets_pins_and_dirty_bits,
	    pcache_fill_keeps_what_a_writeback_made_room_with,
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		TCase *tc = tcase_create(t[i]->name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, t[i]);
		tcase_set_timeout(tc, 120);
		suite_add_tcase(s, tc);
	}
	/* Each test forks: its image and the cache's statics die with it. */
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
