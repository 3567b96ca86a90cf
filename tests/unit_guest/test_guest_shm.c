/* guest/mm/shm.c on the host: shared anonymous objects whose index and data
 * pages come from the real page allocator (mm/page.c) over fake RAM, so
 * page_get_stats() counts every page an object holds. Layout (gpa):
 *
 *   0       1 MiB                                   64 MiB
 *   | low   |  usable (index and data pages)         |
 *
 * shm.c keeps its pool in a file-scope static: every test runs in its own
 * process (fake_run). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fake_machine.h"
#include "mm/page.h"
#include "mm/shm.h"
#include "x86.h"

#define MiB (1ull << 20)
#define PG X86_PAGE_SIZE
#define LOW_END (1 * MiB)

static uint64_t allocated(void)
{
	struct page_stats st;
	page_get_stats(&st);
	return st.allocated;
}

static void setup(void)
{
	fake_setup();
	ck_assert_int_eq(page_reserve(0, LOW_END), 0);
	ck_assert_int_eq(page_add_range(0, FAKE_RAM_SIZE), 0);
}

static bool page_is_zero(uint64_t pa)
{
	const uint8_t *p = fake_ptr(pa);
	for (unsigned i = 0; i < PG; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- shm_create / shm_destroy limits ------------------------------------ */

START_TEST(shm_create_of_zero_pages_returns_null)
{
	ck_assert_ptr_null(shm_create(0));
	ck_assert_uint_eq(allocated(), 0);
}
END_TEST

START_TEST(shm_create_over_shm_max_pages_returns_null)
{
	ck_assert_ptr_null(shm_create(SHM_MAX_PAGES + 1));
	ck_assert_ptr_null(shm_create(UINT64_MAX));
	struct shm *s = shm_create(SHM_MAX_PAGES);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(shm_npages(s), SHM_MAX_PAGES);
}
END_TEST

START_TEST(shm_create_takes_no_pages_and_reports_its_size)
{
	struct shm *s = shm_create(3);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(shm_npages(s), 3);
	ck_assert_uint_eq(allocated(), 0);
	ck_assert_uint_eq(fake.npage_zero, 0);
}
END_TEST

/* The pool holds SHM_OBJECTS; one more fails until one is destroyed, and
 * the object made then is a fresh one (no pages of the old). */
START_TEST(shm_create_fails_past_shm_objects_and_reuses_a_destroyed_slot)
{
	static struct shm *all[SHM_OBJECTS];
	for (unsigned i = 0; i < SHM_OBJECTS; i++) {
		all[i] = shm_create(i + 1);
		ck_assert_msg(all[i], "object %u of %u refused", i, SHM_OBJECTS);
		for (unsigned j = 0; j < i; j++)
			ck_assert_ptr_ne(all[i], all[j]);
	}
	ck_assert_ptr_null(shm_create(1));
	ck_assert_uint_ne(shm_page(all[7], 0, true), 0);
	shm_destroy(all[7]);
	struct shm *s = shm_create(5);
	ck_assert_ptr_eq(s, all[7]);   /* the only free slot */
	ck_assert_uint_eq(shm_npages(s), 5);
	ck_assert_uint_eq(shm_page(s, 0, false), 0);
	ck_assert_ptr_null(shm_create(1));
	ck_assert_uint_eq(shm_npages(all[8]), 9);   /* the others untouched */
}
END_TEST

/* ---- shm_page ----------------------------------------------------------- */

START_TEST(shm_page_without_alloc_returns_0_and_allocates_nothing)
{
	struct shm *s = shm_create(1024);
	ck_assert_uint_eq(shm_page(s, 0, false), 0);
	ck_assert_uint_eq(shm_page(s, 1023, false), 0);
	ck_assert_uint_eq(allocated(), 0);
	/* with a page elsewhere: its neighbours still have none */
	ck_assert_uint_ne(shm_page(s, 5, true), 0);
	uint64_t before = allocated();
	ck_assert_uint_eq(shm_page(s, 4, false), 0);
	ck_assert_uint_eq(shm_page(s, 600, false), 0);   /* another leaf, none yet */
	ck_assert_uint_eq(allocated(), before);
}
END_TEST

/* Fake RAM filled with garbage first: the page handed out is zeroed, it is
 * an allocator page, and the same page comes back next time, with or
 * without alloc, with whatever was stored in it. */
START_TEST(shm_page_with_alloc_returns_a_zeroed_page_and_the_same_page_next_time)
{
	memset(fake_ptr(LOW_END), 0xa5, FAKE_RAM_SIZE - LOW_END);
	struct shm *s = shm_create(16);
	uint64_t pa = shm_page(s, 3, true);
	ck_assert_uint_ne(pa, 0);
	ck_assert_uint_eq(pa & (PG - 1), 0);
	ck_assert(page_is_usable(pa));
	ck_assert_msg(page_is_zero(pa), "page %#lx not zeroed", pa);
	ck_assert_uint_eq(allocated(), 3);   /* root, leaf, data */
	memset(fake_ptr(pa), 0x5a, PG);
	ck_assert_uint_eq(shm_page(s, 3, true), pa);
	ck_assert_uint_eq(shm_page(s, 3, false), pa);
	ck_assert_uint_eq(allocated(), 3);
	ck_assert_uint_eq(*(uint8_t *)fake_ptr(pa + 17), 0x5a);
}
END_TEST

/* Every index its own page, across leaves (512 data pages a leaf) and up
 * to the last index of the largest object. */
START_TEST(shm_page_gives_each_index_its_own_page_across_leaves)
{
	struct shm *s = shm_create(SHM_MAX_PAGES);
	const uint64_t idx[] = { 0, 1, 511, 512, 513, 1023, 1024, 100000, SHM_MAX_PAGES - 1 };
	const unsigned n = sizeof(idx) / sizeof(idx[0]);
	uint64_t pa[sizeof(idx) / sizeof(idx[0])];
	for (unsigned i = 0; i < n; i++) {
		pa[i] = shm_page(s, idx[i], true);
		ck_assert_msg(pa[i], "index %lu: no page", idx[i]);
		ck_assert(page_is_zero(pa[i]));
		*(uint64_t *)fake_ptr(pa[i]) = idx[i] + 1;
		for (unsigned j = 0; j < i; j++)
			ck_assert_uint_ne(pa[i], pa[j]);
	}
	/* 1 root; leaves 0, 1, 2, 195, 511; 9 data pages */
	ck_assert_uint_eq(allocated(), 1 + 5 + n);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq(shm_page(s, idx[i], false), pa[i]);
		ck_assert_uint_eq(*(uint64_t *)fake_ptr(pa[i]), idx[i] + 1);
	}
}
END_TEST

START_TEST(shm_page_past_npages_returns_0_and_allocates_nothing)
{
	struct shm *s = shm_create(10);
	ck_assert_uint_ne(shm_page(s, 9, true), 0);
	uint64_t before = allocated();
	ck_assert_uint_eq(shm_page(s, 10, true), 0);
	ck_assert_uint_eq(shm_page(s, 10, false), 0);
	ck_assert_uint_eq(shm_page(s, 512, true), 0);
	ck_assert_uint_eq(shm_page(s, SHM_MAX_PAGES, true), 0);
	ck_assert_uint_eq(shm_page(s, UINT64_MAX, true), 0);
	ck_assert_uint_eq(allocated(), before);
	struct shm *fresh = shm_create(1);
	ck_assert_uint_eq(shm_page(fresh, 1, true), 0);   /* not even a root */
	ck_assert_uint_eq(allocated(), before);
}
END_TEST

START_TEST(shm_objects_do_not_share_pages)
{
	struct shm *a = shm_create(4), *b = shm_create(4);
	uint64_t pa = shm_page(a, 2, true);
	memset(fake_ptr(pa), 0x77, PG);
	ck_assert_uint_eq(shm_page(b, 2, false), 0);
	uint64_t pb = shm_page(b, 2, true);
	ck_assert_uint_ne(pb, pa);
	ck_assert(page_is_zero(pb));
}
END_TEST

/* Data pages in several leaves, index pages included: all go back to the
 * allocator, and another object's pages stay. */
START_TEST(shm_destroy_frees_every_page)
{
	struct shm *keep = shm_create(8);
	uint64_t kept = shm_page(keep, 1, true);
	uint64_t base = allocated();
	struct shm *s = shm_create(SHM_MAX_PAGES);
	for (uint64_t i = 0; i < 1100; i += 3)
		ck_assert_uint_ne(shm_page(s, i, true), 0);
	ck_assert_uint_ne(shm_page(s, SHM_MAX_PAGES - 1, true), 0);
	ck_assert_uint_gt(allocated(), base + 367);
	shm_destroy(s);
	ck_assert_uint_eq(allocated(), base);
	ck_assert_uint_eq(shm_page(keep, 1, false), kept);
	shm_destroy(keep);
	ck_assert_uint_eq(allocated(), 0);
}
END_TEST

START_TEST(shm_destroy_of_an_object_without_pages_frees_nothing)
{
	struct shm *s = shm_create(100);
	ck_assert_uint_eq(shm_page(s, 7, false), 0);
	shm_destroy(s);
	ck_assert_uint_eq(allocated(), 0);
	ck_assert_ptr_eq(shm_create(1), s);
}
END_TEST

/* One page left: the root is made, the leaf is not; the call gives 0, and
 * destroy still returns the root. */
START_TEST(shm_page_without_memory_returns_0_and_destroy_frees_what_it_got)
{
	static uint64_t held[FAKE_RAM_SIZE / PG];
	unsigned n = 0;
	uint64_t pa;
	struct shm *s = shm_create(4);
	while ((pa = page_alloc()))
		held[n++] = pa;
	ck_assert_uint_eq(shm_page(s, 0, true), 0);   /* no root */
	ck_assert_int_eq(page_free(held[--n]), 0);
	ck_assert_uint_eq(shm_page(s, 0, true), 0);   /* root only */
	ck_assert_uint_eq(shm_page(s, 0, false), 0);
	ck_assert_uint_eq(allocated(), n + 1);
	shm_destroy(s);
	ck_assert_uint_eq(allocated(), n);
	while (n)
		ck_assert_int_eq(page_free(held[--n]), 0);
	ck_assert_uint_eq(allocated(), 0);
}
END_TEST

/* ---- shm_punch ---------------------------------------------------------- */

/* A hole across a leaf boundary: the pages inside go back to the
 * allocator and read as fresh zero pages next time; the pages on either
 * side keep their frames and contents; the index pages stay. */
START_TEST(shm_punch_frees_the_pages_of_the_hole_and_keeps_the_rest)
{
	struct shm *s = shm_create(2048);
	uint64_t pa[1100];
	for (uint64_t i = 500; i < 1100; i++) {
		pa[i] = shm_page(s, i, true);
		ck_assert_uint_ne(pa[i], 0);
		memset(fake_ptr(pa[i]), 0x5a, PG);
	}
	uint64_t before = allocated();
	shm_punch(s, 510, 1030);
	ck_assert_uint_eq(allocated(), before - (1030 - 510));
	for (uint64_t i = 500; i < 1100; i++) {
		bool in = i >= 510 && i < 1030;
		ck_assert_uint_eq(shm_page(s, i, false), in ? 0 : pa[i]);
		if (!in)
			ck_assert_uint_eq(*(uint8_t *)fake_ptr(pa[i] + 9), 0x5a);
	}
	uint64_t again = shm_page(s, 700, true);
	ck_assert_uint_ne(again, 0);
	ck_assert_msg(page_is_zero(again), "a punched page came back with old bytes");
}
END_TEST

/* Past npages, over leaves never made, or in an object without pages:
 * nothing to free and nothing allocated. */
START_TEST(shm_punch_of_a_range_without_pages_frees_and_allocates_nothing)
{
	struct shm *s = shm_create(1024);
	shm_punch(s, 0, 1024);
	ck_assert_uint_eq(allocated(), 0);
	ck_assert_uint_ne(shm_page(s, 3, true), 0);
	uint64_t before = allocated();
	shm_punch(s, 512, UINT64_MAX);   /* a leaf never made, then past the end */
	shm_punch(s, 4, 3);              /* empty */
	ck_assert_uint_eq(allocated(), before);
	ck_assert_uint_ne(shm_page(s, 3, false), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_shm");
	const TTest *t[] = {
	    shm_create_of_zero_pages_returns_null,
	    shm_create_over_shm_max_pages_returns_null,
	    shm_create_takes_no_pages_and_reports_its_size,
	    shm_create_fails_past_shm_objects_and_reuses_a_destroyed_slot,
	    shm_page_without_alloc_returns_0_and_allocates_nothing,
	    shm_page_with_alloc_returns_a_zeroed_page_and_the_same_page_next_time,
	    shm_page_gives_each_index_its_own_page_across_leaves,
	    shm_page_past_npages_returns_0_and_allocates_nothing,
	    shm_objects_do_not_share_pages,
	    shm_destroy_frees_every_page,
	    shm_destroy_of_an_object_without_pages_frees_nothing,
	    shm_page_without_memory_returns_0_and_destroy_frees_what_it_got,
	    shm_punch_frees_the_pages_of_the_hole_and_keeps_the_rest,
	    shm_punch_of_a_range_without_pages_frees_and_allocates_nothing,
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		TCase *tc = tcase_create(t[i]->name);
		tcase_add_checked_fixture(tc, setup, fake_teardown);
		tcase_add_test(tc, t[i]);
		suite_add_tcase(s, tc);
	}
	return fake_run(s);
}
