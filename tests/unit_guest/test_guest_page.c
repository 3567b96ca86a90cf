/* guest/mm/page.c on the host: the physical page allocator over fake RAM.
 * Layout used below (gpa):
 *
 *   0        1 MiB     3 MiB   +16 KiB                  64 MiB
 *   | low    | kernel  | boot  |  usable ...             |
 *   | (fw)   | image   | PTs   |                         |
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fake_machine.h"
#include "lib/errno.h"
#include "mm/page.h"
#include "x86.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define PG X86_PAGE_SIZE
#define MAXPAGES (FAKE_RAM_SIZE / PG)

#define LOW_END (1 * MiB)
#define KERN_LO (1 * MiB)
#define KERN_HI (3 * MiB)
#define BOOTPT_LO (3 * MiB)
#define BOOTPT_HI (3 * MiB + 16 * KiB)

static uint64_t pages[MAXPAGES];

/* Allocate until page_alloc says "no page"; returns how many came out. */
static size_t drain(void)
{
	size_t n = 0;
	uint64_t pa;

	while ((pa = page_alloc())) {
		ck_assert_msg(n < MAXPAGES, "more pages than fake RAM holds");
		pages[n++] = pa;
	}
	return n;
}

static bool inside(uint64_t pa, uint64_t lo, uint64_t hi)
{
	return pa >= lo && pa < hi;
}

/* The kernel's order: every hole first, then the RAM ranges. */
static void boot_layout(void)
{
	ck_assert_int_eq(page_reserve(0, LOW_END), 0);
	ck_assert_int_eq(page_reserve(0, KERN_HI), 0);
	ck_assert_int_eq(page_reserve(BOOTPT_LO, BOOTPT_HI), 0);
	ck_assert_int_eq(page_add_range(0, 0x9fc00), 0);
	ck_assert_int_eq(page_add_range(LOW_END, FAKE_RAM_SIZE), 0);
}

static struct page_stats stats(void)
{
	struct page_stats st;
	page_get_stats(&st);
	return st;
}

START_TEST(page_add_range_touches_no_ram)
{
	/* Init is O(ranges): with RAM inaccessible any touch would fault. */
	ck_assert_int_eq(mprotect(fake.ram, FAKE_RAM_SIZE, PROT_NONE), 0);
	boot_layout();
	ck_assert_int_eq(mprotect(fake.ram, FAKE_RAM_SIZE, PROT_READ | PROT_WRITE), 0);
	ck_assert_uint_eq(stats().total, (FAKE_RAM_SIZE - BOOTPT_HI) / PG);
}
END_TEST

START_TEST(page_alloc_returns_4k_aligned_pages)
{
	ck_assert_int_eq(page_add_range(MiB + 0x123, 2 * MiB + 0x456), 0);
	size_t n = drain();
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(!(pages[i] & (PG - 1)), "page %#lx not aligned", pages[i]);
}
END_TEST

START_TEST(page_add_range_rounds_unaligned_bounds_inward)
{
	ck_assert_int_eq(page_add_range(0x100123, 0x180fff), 0);
	ck_assert_uint_eq(stats().total, (0x180000 - 0x101000) / PG);
	size_t n = drain();
	ck_assert_uint_eq(n, (0x180000 - 0x101000) / PG);
	ck_assert_uint_eq(pages[0], 0x101000);
	ck_assert_uint_eq(pages[n - 1], 0x17f000);
}
END_TEST

START_TEST(page_add_range_smaller_than_a_page_adds_nothing)
{
	ck_assert_int_eq(page_add_range(0x1001, 0x1fff), 0);
	ck_assert_int_eq(page_add_range(0x5000, 0x5000), 0);
	ck_assert_uint_eq(stats().total, 0);
	ck_assert_uint_eq(page_alloc(), 0);
	ck_assert_uint_eq(page_top(), 0);
}
END_TEST

START_TEST(page_alloc_stays_inside_ram_ranges)
{
	static const uint64_t r[][2] = {
	    {1 * MiB, 2 * MiB}, {4 * MiB, 5 * MiB}, {8 * MiB, 8 * MiB + 12 * KiB}};
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(page_add_range(r[i][0], r[i][1]), 0);
	size_t n = drain();
	ck_assert_uint_eq(n, 256 + 256 + 3);
	for (size_t i = 0; i < n; i++) {
		bool ok = false;
		for (unsigned j = 0; j < 3; j++)
			ok |= pages[i] >= r[j][0] && pages[i] + PG <= r[j][1];
		ck_assert_msg(ok, "page %#lx outside every RAM range", pages[i]);
		ck_assert_msg(page_is_usable(pages[i]), "page %#lx not usable", pages[i]);
	}
}
END_TEST

START_TEST(page_alloc_never_returns_reserved_pages)
{
	boot_layout();
	size_t n = drain();
	ck_assert_uint_eq(n, (FAKE_RAM_SIZE - BOOTPT_HI) / PG);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(!inside(pages[i], KERN_LO, KERN_HI), "page %#lx in the kernel image",
			      pages[i]);
		ck_assert_msg(!inside(pages[i], BOOTPT_LO, BOOTPT_HI),
			      "page %#lx in the boot page tables", pages[i]);
	}
}
END_TEST

START_TEST(page_reserve_rounds_unaligned_bounds_outward)
{
	ck_assert_int_eq(page_reserve(KERN_LO + 100, KERN_HI - 100), 0);
	ck_assert_int_eq(page_add_range(KERN_LO, 4 * MiB), 0);
	size_t n = drain();
	ck_assert_uint_eq(n, (4 * MiB - KERN_HI) / PG);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(!inside(pages[i], KERN_LO, KERN_HI), "page %#lx touches the hole",
			      pages[i]);
}
END_TEST

START_TEST(page_alloc_never_below_1m_when_reserved)
{
	ck_assert_int_eq(page_reserve(0, LOW_END), 0);
	ck_assert_int_eq(page_add_range(0, 0x9fc00), 0); /* QEMU's low RAM entry */
	ck_assert_int_eq(page_add_range(LOW_END, 4 * MiB), 0);
	size_t n = drain();
	ck_assert_uint_eq(n, 3 * MiB / PG);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(pages[i] >= LOW_END, "page %#lx below 1 MiB", pages[i]);
}
END_TEST

START_TEST(page_add_range_from_zero_never_hands_out_page_zero)
{
	/* pa 0 is the "no page" value, even with nothing reserved. */
	ck_assert_int_eq(page_add_range(0, 64 * KiB), 0);
	ck_assert_uint_eq(stats().total, 15);
	size_t n = drain();
	ck_assert_uint_eq(n, 15);
	ck_assert_uint_eq(pages[0], PG);
}
END_TEST

START_TEST(page_alloc_returns_distinct_pages_until_freed)
{
	static uint8_t seen[MAXPAGES];

	boot_layout();
	size_t n = drain();
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(!seen[pages[i] / PG], "page %#lx handed out twice", pages[i]);
		seen[pages[i] / PG] = 1;
	}
}
END_TEST

START_TEST(page_free_then_alloc_reuses_last_freed_first)
{
	ck_assert_int_eq(page_add_range(MiB, 2 * MiB), 0);
	uint64_t a = page_alloc(), b = page_alloc(), c = page_alloc();
	ck_assert_int_eq(page_free(a), 0);
	ck_assert_int_eq(page_free(c), 0);
	ck_assert_uint_eq(page_alloc(), c);
	ck_assert_uint_eq(page_alloc(), a);
	uint64_t d = page_alloc(); /* list empty: back to the frontier */
	ck_assert_msg(d && d != a && d != b && d != c, "frontier page %#lx reused", d);
}
END_TEST

START_TEST(page_alloc_exhausted_returns_zero)
{
	ck_assert_int_eq(page_add_range(MiB, MiB + 4 * PG), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_ne(page_alloc(), 0);
	ck_assert_uint_eq(page_alloc(), 0);
	ck_assert_uint_eq(page_alloc(), 0);
	ck_assert_uint_eq(stats().allocated, 4);
	ck_assert_uint_eq(stats().listed, 0);
}
END_TEST

START_TEST(page_alloc_after_exhaustion_returns_freed_page)
{
	ck_assert_int_eq(page_add_range(MiB, MiB + 2 * PG), 0);
	uint64_t a = page_alloc(), b = page_alloc();
	ck_assert_uint_eq(page_alloc(), 0);
	ck_assert_int_eq(page_free(a), 0);
	ck_assert_uint_eq(page_alloc(), a);
	ck_assert_uint_eq(page_alloc(), 0);
	(void)b;
}
END_TEST

START_TEST(page_alloc_with_no_ranges_returns_zero)
{
	ck_assert_uint_eq(page_alloc(), 0);
	ck_assert_uint_eq(stats().allocated, 0);
}
END_TEST

START_TEST(page_add_range_unsorted_map_allocates_low_to_high)
{
	ck_assert_int_eq(page_add_range(8 * MiB, 9 * MiB), 0);
	ck_assert_int_eq(page_add_range(1 * MiB, 2 * MiB), 0);
	ck_assert_int_eq(page_add_range(4 * MiB, 5 * MiB), 0);
	size_t n = drain();
	ck_assert_uint_eq(n, 3 * 256);
	ck_assert_uint_eq(pages[0], 1 * MiB);
	for (size_t i = 1; i < n; i++)
		ck_assert_msg(pages[i] > pages[i - 1], "page %zu at %#lx after %#lx", i, pages[i],
			      pages[i - 1]);
}
END_TEST

START_TEST(page_add_range_around_a_hole_keeps_both_sides)
{
	ck_assert_int_eq(page_reserve(MiB + 64 * KiB, MiB + 128 * KiB), 0);
	ck_assert_int_eq(page_add_range(MiB, 2 * MiB), 0);
	size_t n = drain();
	ck_assert_uint_eq(n, 256 - 16);
	ck_assert_uint_eq(pages[0], MiB);
	ck_assert_uint_eq(pages[15], MiB + 60 * KiB);
	ck_assert_uint_eq(pages[16], MiB + 128 * KiB);
	ck_assert_uint_eq(pages[n - 1], 2 * MiB - PG);
}
END_TEST

START_TEST(page_add_range_with_overlapping_unsorted_holes)
{
	static const uint64_t h[][2] = {{5 * MiB, 6 * MiB},
					{2 * MiB, 3 * MiB},
					{2 * MiB + 512 * KiB, 5 * MiB + 512 * KiB},
					{7 * MiB, 7 * MiB + PG}};
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(page_reserve(h[i][0], h[i][1]), 0);
	ck_assert_int_eq(page_add_range(1 * MiB, 8 * MiB), 0);
	/* left: [1M,2M) + [6M,7M) + [7M+4K,8M) */
	ck_assert_uint_eq(stats().total, 256 + 256 + 255);
	size_t n = drain();
	ck_assert_uint_eq(n, 256 + 256 + 255);
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < 4; j++)
			ck_assert_msg(!inside(pages[i], h[j][0], h[j][1]),
				      "page %#lx inside hole %u", pages[i], j);
}
END_TEST

START_TEST(page_stats_stay_consistent)
{
	boot_layout();
	const uint64_t total = stats().total;
	uint64_t a[10];

	ck_assert_uint_eq(total, (FAKE_RAM_SIZE - BOOTPT_HI) / PG);
	ck_assert_uint_eq(stats().allocated, 0);
	ck_assert_uint_eq(stats().listed, 0);
	for (int i = 0; i < 10; i++)
		a[i] = page_alloc();
	ck_assert_uint_eq(stats().allocated, 10);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(page_free(a[i]), 0);
	ck_assert_uint_eq(stats().allocated, 6);
	ck_assert_uint_eq(stats().listed, 4);
	page_alloc();
	ck_assert_uint_eq(stats().allocated, 7);
	ck_assert_uint_eq(stats().listed, 3);
	size_t n = drain();
	ck_assert_uint_eq(stats().allocated, total);
	ck_assert_uint_eq(stats().listed, 0);
	ck_assert_uint_eq(7 + n, total);
	ck_assert_uint_eq(stats().total, total);
}
END_TEST

START_TEST(page_free_rejects_zero_and_unaligned)
{
	ck_assert_int_eq(page_add_range(MiB, 2 * MiB), 0);
	uint64_t a = page_alloc();
	ck_assert_int_eq(page_free(0), -EINVAL);
	ck_assert_int_eq(page_free(a + 8), -EINVAL);
	ck_assert_uint_eq(stats().allocated, 1);
	ck_assert_uint_eq(stats().listed, 0);
}
END_TEST

START_TEST(page_free_with_nothing_allocated_returns_einval)
{
	ck_assert_int_eq(page_add_range(MiB, 2 * MiB), 0);
	ck_assert_int_eq(page_free(MiB), -EINVAL);
	ck_assert_uint_eq(stats().listed, 0);
}
END_TEST

START_TEST(page_reserve_beyond_capacity_returns_enomem)
{
	for (unsigned i = 0; i < PAGE_RESERVED_MAX; i++)
		ck_assert_int_eq(page_reserve(i * MiB, i * MiB + PG), 0);
	ck_assert_int_eq(page_reserve(60 * MiB, 61 * MiB), -ENOMEM);
}
END_TEST

START_TEST(page_add_range_beyond_capacity_returns_enomem)
{
	for (unsigned i = 0; i < PAGE_RANGES_MAX; i++)
		ck_assert_int_eq(page_add_range((i + 1) * MiB, (i + 1) * MiB + PG), 0);
	ck_assert_int_eq(page_add_range(40 * MiB, 41 * MiB), -ENOMEM);
	ck_assert_uint_eq(stats().total, PAGE_RANGES_MAX);
	ck_assert_uint_eq(drain(), PAGE_RANGES_MAX);
}
END_TEST

START_TEST(page_is_usable_only_inside_ram_outside_holes)
{
	boot_layout();
	ck_assert(!page_is_usable(0));
	ck_assert(!page_is_usable(0x9f000));
	ck_assert(!page_is_usable(KERN_LO));
	ck_assert(!page_is_usable(BOOTPT_LO + PG));
	ck_assert(page_is_usable(BOOTPT_HI));
	ck_assert(page_is_usable(FAKE_RAM_SIZE - PG));
	ck_assert(!page_is_usable(FAKE_RAM_SIZE));
}
END_TEST

START_TEST(page_top_is_end_of_highest_range)
{
	ck_assert_uint_eq(page_top(), 0);
	ck_assert_int_eq(page_add_range(8 * MiB, 9 * MiB), 0);
	ck_assert_int_eq(page_add_range(1 * MiB, 2 * MiB), 0);
	ck_assert_uint_eq(page_top(), 9 * MiB);
}
END_TEST

/* ---- page_alloc_run: contiguous, aligned, from the frontier ---- */

START_TEST(page_alloc_run_is_aligned_and_lists_the_pages_it_skips)
{
	boot_layout();
	uint64_t first = page_alloc();   /* the frontier is now off 2 MiB */
	struct page_stats before = stats();
	uint64_t run = page_alloc_run(512, 2 * MiB);
	ck_assert_uint_ne(run, 0);
	ck_assert_uint_eq(run & (2 * MiB - 1), 0);
	ck_assert(run > first);
	struct page_stats after = stats();
	uint64_t skipped = (run - first - PG) / PG;
	ck_assert_uint_eq(after.allocated, before.allocated + 512);
	ck_assert_uint_eq(after.listed, before.listed + skipped);
	/* the skipped pages come back from the free list, none of the run */
	for (uint64_t i = 0; i < skipped; i++) {
		uint64_t pa = page_alloc();
		ck_assert(pa > first && pa < run);
	}
	uint64_t next = page_alloc();
	ck_assert_uint_eq(next, run + 2 * MiB);
}
END_TEST

START_TEST(page_alloc_run_refuses_bad_arguments_and_runs_that_do_not_fit)
{
	boot_layout();
	ck_assert_uint_eq(page_alloc_run(0, PG), 0);
	ck_assert_uint_eq(page_alloc_run(1, 0), 0);
	ck_assert_uint_eq(page_alloc_run(1, 3 * PG), 0);
	ck_assert_uint_eq(page_alloc_run(1, 100), 0);
	ck_assert_uint_eq(page_alloc_run(MAXPAGES, PG), 0);
	struct page_stats st = stats();
	ck_assert_uint_eq(st.allocated, 0);
	ck_assert_uint_eq(st.listed, 0);
	/* whatever fits is handed out, then nothing */
	size_t got = 0;
	while (page_alloc_run(512, 2 * MiB))
		got++;
	ck_assert_uint_gt(got, 0);
	ck_assert_uint_le(got, FAKE_RAM_SIZE / (2 * MiB));
}
END_TEST

/* ---- page_alloc_zeroed: pages never handed out need no zeroing ---- */

static void fill(uint64_t pa, uint8_t byte)
{
	memset(fake_ptr(pa), byte, PG);
}

static bool all_zero(uint64_t pa)
{
	const uint8_t *p = fake_ptr(pa);
	for (unsigned i = 0; i < PG; i++)
		if (p[i])
			return false;
	return true;
}

START_TEST(page_alloc_zeroed_zeroes_every_page_unless_ram_is_said_to_be_zero)
{
	boot_layout();
	uint64_t pa = page_alloc_zeroed();
	ck_assert_uint_ne(pa, 0);
	ck_assert_uint_eq(fake.npage_zero, 1);
	ck_assert(all_zero(pa));
	ck_assert_uint_eq(stats().zero_skipped, 0);
}
END_TEST

START_TEST(page_alloc_zeroed_skips_zeroing_only_pages_never_handed_out)
{
	boot_layout();
	page_set_ram_zero(true, false);
	uint64_t a = page_alloc_zeroed(), b = page_alloc_zeroed();
	ck_assert(a && b);
	ck_assert_uint_eq(fake.npage_zero, 0);   /* fake RAM starts zeroed */
	ck_assert_uint_eq(stats().zero_skipped, 2);
	fill(a, 0x5a);   /* used, then freed: it is not zero any more */
	ck_assert_int_eq(page_free(a), 0);
	uint64_t again = page_alloc_zeroed();
	ck_assert_uint_eq(again, a);
	ck_assert_uint_eq(fake.npage_zero, 1);
	ck_assert(all_zero(again));
	ck_assert_uint_eq(stats().zero_skipped, 2);
}
END_TEST

START_TEST(page_alloc_zeroed_with_check_finds_and_zeroes_a_dirty_fresh_page)
{
	boot_layout();
	page_set_ram_zero(true, true);
	uint64_t a = page_alloc_zeroed();
	ck_assert_uint_eq(stats().zero_skipped, 1);
	ck_assert_uint_eq(stats().zero_wrong, 0);
	fill(a + PG, 0x77);   /* the next frontier page, written behind our back */
	uint64_t b = page_alloc_zeroed();
	ck_assert_uint_eq(b, a + PG);
	ck_assert_uint_eq(stats().zero_wrong, 1);
	ck_assert_uint_eq(stats().zero_skipped, 1);
	ck_assert(all_zero(b));
}
END_TEST

START_TEST(page_alloc_run_zeroed_zeroes_only_what_ram_does_not_promise)
{
	boot_layout();
	/* no promise: every page of the run zeroed */
	fill(page_alloc() + PG, 0x33);   /* the next run's first page, not zero */
	uint64_t run = page_alloc_run_zeroed(4, PG);
	ck_assert_uint_ne(run, 0);
	ck_assert_uint_eq(fake.npage_zero, 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert(all_zero(run + i * PG));
	/* promised and checked: only the page found dirty */
	page_set_ram_zero(true, true);
	fill(run + 4 * PG + PG, 0x44);
	uint64_t two = page_alloc_run_zeroed(2, PG);
	ck_assert_uint_eq(two, run + 4 * PG);
	ck_assert_uint_eq(fake.npage_zero, 5);
	ck_assert_uint_eq(stats().zero_wrong, 1);
	ck_assert_uint_eq(stats().zero_skipped, 1);
	ck_assert(all_zero(two + PG));
	/* promised: nothing to do */
	page_set_ram_zero(true, false);
	ck_assert_uint_ne(page_alloc_run_zeroed(3, PG), 0);
	ck_assert_uint_eq(fake.npage_zero, 5);
	ck_assert_uint_eq(stats().zero_skipped, 4);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_page");
	const TTest *t[] = {
	    page_add_range_touches_no_ram,
	    page_alloc_zeroed_zeroes_every_page_unless_ram_is_said_to_be_zero,
	    page_alloc_zeroed_skips_zeroing_only_pages_never_handed_out,
	    page_alloc_zeroed_with_check_finds_and_zeroes_a_dirty_fresh_page,
	    page_alloc_returns_4k_aligned_pages,
	    page_add_range_rounds_unaligned_bounds_inward,
	    page_add_range_smaller_than_a_page_adds_nothing,
	    page_alloc_stays_inside_ram_ranges,
	    page_alloc_never_returns_reserved_pages,
	    page_reserve_rounds_unaligned_bounds_outward,
	    page_alloc_never_below_1m_when_reserved,
	    page_add_range_from_zero_never_hands_out_page_zero,
	    page_alloc_returns_distinct_pages_until_freed,
	    page_free_then_alloc_reuses_last_freed_first,
	    page_alloc_exhausted_returns_zero,
	    page_alloc_after_exhaustion_returns_freed_page,
	    page_alloc_with_no_ranges_returns_zero,
	    page_add_range_unsorted_map_allocates_low_to_high,
	    page_add_range_around_a_hole_keeps_both_sides,
	    page_add_range_with_overlapping_unsorted_holes,
	    page_stats_stay_consistent,
	    page_free_rejects_zero_and_unaligned,
	    page_free_with_nothing_allocated_returns_einval,
	    page_reserve_beyond_capacity_returns_enomem,
	    page_add_range_beyond_capacity_returns_enomem,
	    page_is_usable_only_inside_ram_outside_holes,
	    page_top_is_end_of_highest_range,
	    page_alloc_run_is_aligned_and_lists_the_pages_it_skips,
	    page_alloc_run_refuses_bad_arguments_and_runs_that_do_not_fit,
	    page_alloc_run_zeroed_zeroes_only_what_ram_does_not_promise,
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		TCase *tc = tcase_create(t[i]->name);
		tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
		tcase_add_test(tc, t[i]);
		suite_add_tcase(s, tc);
	}
	return fake_run(s);
}
