/* guest/mm/vma.c on the host. Every test runs vma_validate() and a file
 * reference audit after every operation (CK_OK / CK_ERR / audit()), and
 * the random test compares the set with a per-page model after each step. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "mm/vma.h"

#define PG(n) ((uint64_t)(n) << 12)
#define TOP PG(1u << 20)
#define RW (VMA_PROT_READ | VMA_PROT_WRITE)
#define RO VMA_PROT_READ
#define RX (VMA_PROT_READ | VMA_PROT_EXEC)
#define MAY VMA_MAY_ALL
#define NFILES 3
#define LOG_MAX 256

/* A fake file: counts the references the set holds on it. */
struct fake_file {
	long refs;
	long gets, puts;
};

static struct fake_file files[NFILES];
static struct vma store[64];
static struct vma_set S;
static struct vma unmapped_log[LOG_MAX];
static unsigned nunmapped;
static unsigned alloc_calls, free_calls;
static bool alloc_fails;

static void fget(void *ctx, void *f)
{
	(void)ctx;
	struct fake_file *ff = f;
	ff->refs++;
	ff->gets++;
}

static void fput(void *ctx, void *f)
{
	(void)ctx;
	struct fake_file *ff = f;
	ck_assert_msg(ff->refs > 0, "file_put without a reference");
	ff->refs--;
	ff->puts++;
}

static void on_unmapped(void *ctx, const struct vma *piece)
{
	(void)ctx;
	if (piece->file)
		ck_assert_msg(((struct fake_file *)piece->file)->refs > 0,
			      "unmapped piece's file already released");
	if (nunmapped < LOG_MAX)
		unmapped_log[nunmapped] = *piece;
	nunmapped++;
}

static struct vma *alloc_array(void *ctx, unsigned count, unsigned *got)
{
	(void)ctx;
	if (alloc_fails)
		return NULL;
	alloc_calls++;
	*got = count;
	return calloc(count, sizeof(struct vma));
}

static void free_array(void *ctx, struct vma *a, unsigned count)
{
	(void)ctx;
	(void)count;
	free_calls++;
	free(a);
}

static const struct vma_ops fixed_ops = {
    .file_get = fget, .file_put = fput, .unmapped = on_unmapped};
static const struct vma_ops growing_ops = {.file_get = fget,
					   .file_put = fput,
					   .unmapped = on_unmapped,
					   .alloc_array = alloc_array,
					   .free_array = free_array};

static void setup(void)
{
	memset(files, 0, sizeof(files));
	nunmapped = 0;
	alloc_calls = free_calls = 0;
	alloc_fails = false;
	vma_set_init(&S, &fixed_ops, store, 64, TOP);
}

#define F(i) ((void *)&files[i])

/* Invariants plus references: every fake file is held exactly once per VMA
 * that points at it, and gets - puts says the same. */
static void audit_set(const struct vma_set *s)
{
	const char *err = vma_validate(s);
	if (err)
		ck_abort_msg("vma_validate: %s", err);
	for (int f = 0; f < NFILES; f++) {
		long n = 0;
		for (unsigned i = 0; i < s->n; i++)
			n += s->v[i].file == F(f);
		if (files[f].refs != n || files[f].gets - files[f].puts != n)
			ck_abort_msg("file %d: %ld references (%ld gets, %ld puts), %ld VMAs", f,
				     files[f].refs, files[f].gets, files[f].puts, n);
	}
}

static void audit(void)
{
	audit_set(&S);
}

#define CK_OK(expr)                                                                                \
	do {                                                                                       \
		ck_assert_int_eq((expr), 0);                                                       \
		audit();                                                                           \
	} while (0)
#define CK_ERR(expr, err)                                                                          \
	do {                                                                                       \
		ck_assert_int_eq((expr), -(err));                                                  \
		audit();                                                                           \
	} while (0)

struct want {
	uint64_t start, end; /* pages */
	uint32_t prot;
	int file; /* -1: anonymous */
	uint64_t pgoff;
};

static void expect(const struct want *w, unsigned n)
{
	ck_assert_uint_eq(S.n, n);
	for (unsigned i = 0; i < n; i++) {
		const struct vma *v = &S.v[i];
		ck_assert_msg(v->start == PG(w[i].start) && v->end == PG(w[i].end),
			      "vma %u: [%#llx, %#llx), want [%#llx, %#llx)", i,
			      (unsigned long long)v->start, (unsigned long long)v->end,
			      (unsigned long long)PG(w[i].start), (unsigned long long)PG(w[i].end));
		ck_assert_uint_eq(v->prot, w[i].prot);
		ck_assert_ptr_eq(v->file, w[i].file < 0 ? NULL : F(w[i].file));
		ck_assert_uint_eq(v->pgoff, w[i].pgoff);
	}
}
#define EXPECT(...)                                                                                \
	expect((const struct want[]){__VA_ARGS__},                                                 \
	       sizeof((const struct want[]){__VA_ARGS__}) / sizeof(struct want))
#define EXPECT_EMPTY() ck_assert_uint_eq(S.n, 0)

/* Three separate anonymous VMAs: [10,20) RW, [30,40) RO, [50,60) RW. */
static void three_apart(void)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(30), PG(40), RO, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(50), PG(60), RW, MAY, NULL, 0));
}

/* ---- insert and find ---- */

START_TEST(vma_insert_then_find_returns_the_vma)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	const struct vma *v = vma_find(&S, PG(10));
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->start, PG(10));
	ck_assert_uint_eq(v->end, PG(20));
	ck_assert_ptr_eq(vma_find(&S, PG(20) - 1), v);
	ck_assert_uint_eq(v->prot, RW);
	audit();
}
END_TEST

START_TEST(vma_find_outside_every_vma_returns_null)
{
	three_apart();
	ck_assert_ptr_null(vma_find(&S, PG(9)));
	ck_assert_ptr_null(vma_find(&S, PG(20)));
	ck_assert_ptr_null(vma_find(&S, PG(45)));
	ck_assert_ptr_null(vma_find(&S, PG(60)));
	ck_assert_uint_eq(vma_index_from(&S, PG(45)), 2);
	ck_assert_uint_eq(vma_index_from(&S, PG(60)), 3);
	audit();
}
END_TEST

START_TEST(vma_insert_keeps_vmas_sorted_whatever_the_order)
{
	CK_OK(vma_insert(&S, PG(50), PG(60), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(30), PG(40), RO, MAY, NULL, 0));
	EXPECT({10, 20, RW, -1, 0}, {30, 40, RO, -1, 0}, {50, 60, RW, -1, 0});
}
END_TEST

START_TEST(vma_insert_bad_arguments_return_einval)
{
	CK_ERR(vma_insert(&S, PG(1) + 1, PG(2), RW, MAY, NULL, 0), EINVAL);
	CK_ERR(vma_insert(&S, PG(1), PG(2) + 1, RW, MAY, NULL, 0), EINVAL);
	CK_ERR(vma_insert(&S, PG(2), PG(2), RW, MAY, NULL, 0), EINVAL);
	CK_ERR(vma_insert(&S, PG(3), PG(2), RW, MAY, NULL, 0), EINVAL);
	CK_ERR(vma_insert(&S, PG(1), PG(2), 8, MAY, NULL, 0), EINVAL);
	CK_ERR(vma_insert(&S, PG(1), PG(2), RW, 1u << 20, NULL, 0), EINVAL);
	EXPECT_EMPTY();
}
END_TEST

START_TEST(vma_insert_above_top_returns_enomem)
{
	CK_ERR(vma_insert(&S, TOP - PG(1), TOP + PG(1), RW, MAY, NULL, 0), ENOMEM);
	CK_OK(vma_insert(&S, TOP - PG(1), TOP, RW, MAY, NULL, 0));
}
END_TEST

START_TEST(vma_insert_file_offset_wrap_returns_eoverflow)
{
	CK_ERR(vma_insert(&S, PG(1), PG(3), RW, MAY, F(0), UINT64_MAX - 1), EOVERFLOW);
	EXPECT_EMPTY();
}
END_TEST

START_TEST(vma_insert_anonymous_stores_pgoff_zero)
{
	CK_OK(vma_insert(&S, PG(1), PG(3), RW, MAY, NULL, 77));
	EXPECT({1, 3, RW, -1, 0});
}
END_TEST

/* ---- find_free ---- */

START_TEST(vma_find_free_returns_highest_gap_below_high)
{
	uint64_t a;
	CK_OK(vma_find_free(&S, PG(4), 0, PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(996));
	CK_OK(vma_insert(&S, PG(990), PG(1000), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(980), PG(987), RW, MAY, NULL, 0));
	/* the 3-page gap [987, 990) is too small for 4: the next one down */
	CK_OK(vma_find_free(&S, PG(4), 0, PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(976));
	CK_OK(vma_find_free(&S, PG(3), 0, PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(987));
}
END_TEST

START_TEST(vma_find_free_successive_maps_go_downward)
{
	uint64_t a, prev = PG(1000);
	for (int i = 0; i < 5; i++) {
		CK_OK(vma_find_free(&S, PG(2), 0, PG(16), PG(1000), &a));
		ck_assert_uint_eq(a, prev - PG(2));
		/* alternate prot so they stay separate VMAs */
		CK_OK(vma_insert(&S, a, a + PG(2), i & 1 ? RO : RW, MAY, NULL, 0));
		prev = a;
	}
	ck_assert_uint_eq(S.n, 5);
}
END_TEST

START_TEST(vma_find_free_takes_a_free_hint)
{
	uint64_t a;
	CK_OK(vma_insert(&S, PG(100), PG(110), RW, MAY, NULL, 0));
	CK_OK(vma_find_free(&S, PG(5), PG(200), PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(200));
	/* unaligned hints round up to the next page */
	CK_OK(vma_find_free(&S, PG(5), PG(200) + 1, PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(201));
	/* a hint above the search window is fine while it fits under top */
	CK_OK(vma_find_free(&S, PG(5), PG(5000), PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(5000));
	/* a hint that exactly fits a gap */
	CK_OK(vma_find_free(&S, PG(10), PG(90), PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(90));
}
END_TEST

START_TEST(vma_find_free_ignores_an_overlapping_or_low_hint)
{
	uint64_t a;
	CK_OK(vma_insert(&S, PG(100), PG(110), RW, MAY, NULL, 0));
	CK_OK(vma_find_free(&S, PG(5), PG(98), PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(995));
	CK_OK(vma_find_free(&S, PG(5), PG(4), PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(995));
	CK_OK(vma_find_free(&S, PG(5), TOP - PG(2), PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(995));
}
END_TEST

START_TEST(vma_find_free_keeps_guard_gap_below_growsdown)
{
	uint64_t a;
	S.guard_gap = PG(16);
	CK_OK(vma_insert(&S, PG(900), PG(1000), RW, MAY | VMA_GROWSDOWN, NULL, 0));
	CK_OK(vma_find_free(&S, PG(4), 0, PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(900 - 16 - 4));
	/* a hint inside the gap is refused as well */
	CK_OK(vma_find_free(&S, PG(4), PG(890), PG(16), PG(1000), &a));
	ck_assert_uint_eq(a, PG(880));
}
END_TEST

START_TEST(vma_find_free_without_room_returns_enomem)
{
	uint64_t a;
	CK_OK(vma_insert(&S, PG(16), PG(1000), RW, MAY, NULL, 0));
	CK_ERR(vma_find_free(&S, PG(1), 0, PG(16), PG(1000), &a), ENOMEM);
	CK_ERR(vma_find_free(&S, PG(2000), 0, PG(16), PG(1000), &a), ENOMEM);
	CK_ERR(vma_find_free(&S, 0, 0, PG(16), PG(1000), &a), EINVAL);
	CK_ERR(vma_find_free(&S, 100, 0, PG(16), PG(1000), &a), EINVAL);
}
END_TEST

/* ---- MAP_FIXED / MAP_FIXED_NOREPLACE ---- */

START_TEST(vma_insert_fixed_replaces_everything_it_overlaps)
{
	three_apart();
	CK_OK(vma_insert(&S, PG(15), PG(55), RX, MAY | VMA_REPLACE, NULL, 0));
	EXPECT({10, 15, RW, -1, 0}, {15, 55, RX, -1, 0}, {55, 60, RW, -1, 0});
	/* reported: [15,20), [30,40), [50,55) */
	ck_assert_uint_eq(nunmapped, 3);
	ck_assert_uint_eq(unmapped_log[0].start, PG(15));
	ck_assert_uint_eq(unmapped_log[0].end, PG(20));
	ck_assert_uint_eq(unmapped_log[1].start, PG(30));
	ck_assert_uint_eq(unmapped_log[1].prot, RO);
	ck_assert_uint_eq(unmapped_log[2].end, PG(55));
}
END_TEST

START_TEST(vma_insert_fixed_inside_one_vma_splits_it_around_the_new_one)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(0), 100));
	CK_OK(vma_insert(&S, PG(12), PG(14), RO, MAY | VMA_REPLACE, NULL, 0));
	EXPECT({10, 12, RW, 0, 100}, {12, 14, RO, -1, 0}, {14, 20, RW, 0, 104});
}
END_TEST

START_TEST(vma_insert_fixed_with_same_attributes_merges_into_one)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(12), PG(14), RW, MAY | VMA_REPLACE, NULL, 0));
	EXPECT({10, 20, RW, -1, 0});
	ck_assert_uint_eq(nunmapped, 1);
}
END_TEST

START_TEST(vma_insert_noreplace_overlap_returns_eexist_and_changes_nothing)
{
	three_apart();
	CK_ERR(vma_insert(&S, PG(19), PG(21), RX, MAY, NULL, 0), EEXIST);
	CK_ERR(vma_insert(&S, PG(0), PG(100), RX, MAY, NULL, 0), EEXIST);
	CK_ERR(vma_insert(&S, PG(35), PG(36), RX, MAY, F(0), 0), EEXIST);
	EXPECT({10, 20, RW, -1, 0}, {30, 40, RO, -1, 0}, {50, 60, RW, -1, 0});
	ck_assert_uint_eq(nunmapped, 0);
	ck_assert_int_eq(files[0].gets, 0);
}
END_TEST

START_TEST(vma_insert_noreplace_into_exact_hole_succeeds)
{
	three_apart();
	CK_OK(vma_insert(&S, PG(20), PG(30), RX, MAY, NULL, 0));
	EXPECT({10, 20, RW, -1, 0}, {20, 30, RX, -1, 0}, {30, 40, RO, -1, 0}, {50, 60, RW, -1, 0});
}
END_TEST

/* ---- munmap ---- */

START_TEST(vma_unmap_middle_splits_in_two)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(0), 5));
	CK_OK(vma_unmap(&S, PG(13), PG(15)));
	EXPECT({10, 13, RW, 0, 5}, {15, 20, RW, 0, 10});
	ck_assert_uint_eq(nunmapped, 1);
	ck_assert_uint_eq(unmapped_log[0].start, PG(13));
	ck_assert_uint_eq(unmapped_log[0].end, PG(15));
	ck_assert_uint_eq(unmapped_log[0].pgoff, 8);
}
END_TEST

START_TEST(vma_unmap_edges_trim)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(0), 5));
	CK_OK(vma_unmap(&S, PG(10), PG(12)));
	EXPECT({12, 20, RW, 0, 7});
	CK_OK(vma_unmap(&S, PG(18), PG(20)));
	EXPECT({12, 18, RW, 0, 7});
	CK_OK(vma_unmap(&S, PG(5), PG(13)));
	EXPECT({13, 18, RW, 0, 8});
	CK_OK(vma_unmap(&S, PG(17), PG(30)));
	EXPECT({13, 17, RW, 0, 8});
}
END_TEST

START_TEST(vma_unmap_spanning_several_vmas_and_holes)
{
	three_apart();
	CK_OK(vma_unmap(&S, PG(15), PG(55)));
	EXPECT({10, 15, RW, -1, 0}, {55, 60, RW, -1, 0});
	ck_assert_uint_eq(nunmapped, 3);
	uint64_t pages = 0;
	for (unsigned i = 0; i < nunmapped; i++)
		pages += (unmapped_log[i].end - unmapped_log[i].start) >> 12;
	ck_assert_uint_eq(pages, 5 + 10 + 5);
}
END_TEST

START_TEST(vma_unmap_whole_vmas_removes_them)
{
	three_apart();
	CK_OK(vma_unmap(&S, PG(10), PG(40)));
	EXPECT({50, 60, RW, -1, 0});
	CK_OK(vma_unmap(&S, PG(0), TOP));
	EXPECT_EMPTY();
}
END_TEST

START_TEST(vma_unmap_of_nothing_succeeds)
{
	CK_OK(vma_unmap(&S, PG(1), PG(100)));
	three_apart();
	CK_OK(vma_unmap(&S, PG(20), PG(30)));
	CK_OK(vma_unmap(&S, PG(41), PG(42)));
	EXPECT({10, 20, RW, -1, 0}, {30, 40, RO, -1, 0}, {50, 60, RW, -1, 0});
	ck_assert_uint_eq(nunmapped, 0);
}
END_TEST

START_TEST(vma_unmap_bad_arguments_return_einval)
{
	three_apart();
	CK_ERR(vma_unmap(&S, PG(10) + 1, PG(12)), EINVAL);
	CK_ERR(vma_unmap(&S, PG(12), PG(12)), EINVAL);
	CK_ERR(vma_unmap(&S, PG(13), PG(12)), EINVAL);
	ck_assert_uint_eq(S.n, 3);
}
END_TEST

/* ---- mprotect ---- */

START_TEST(vma_protect_middle_splits_into_three)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(1), 0));
	uint64_t done;
	CK_OK(vma_protect(&S, PG(12), PG(15), RO, &done));
	ck_assert_uint_eq(done, PG(15));
	EXPECT({10, 12, RW, 1, 0}, {12, 15, RO, 1, 2}, {15, 20, RW, 1, 5});
}
END_TEST

START_TEST(vma_protect_whole_merges_back)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(1), 0));
	CK_OK(vma_protect(&S, PG(12), PG(15), RO, NULL));
	CK_OK(vma_protect(&S, PG(10), PG(20), RW, NULL));
	EXPECT({10, 20, RW, 1, 0});
}
END_TEST

START_TEST(vma_protect_edge_moves_the_boundary_into_the_neighbour)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(20), PG(30), RO, MAY, NULL, 0));
	CK_OK(vma_protect(&S, PG(15), PG(20), RO, NULL));
	EXPECT({10, 15, RW, -1, 0}, {15, 30, RO, -1, 0});
	CK_OK(vma_protect(&S, PG(15), PG(25), RW, NULL));
	EXPECT({10, 25, RW, -1, 0}, {25, 30, RO, -1, 0});
}
END_TEST

START_TEST(vma_protect_across_several_vmas_merges_them_into_one)
{
	for (int i = 0; i < 10; i++)
		CK_OK(vma_insert(&S, PG(10 + i), PG(11 + i), i & 1 ? RO : RX, MAY, NULL, 0));
	ck_assert_uint_eq(S.n, 10);
	CK_OK(vma_protect(&S, PG(10), PG(20), RW, NULL));
	EXPECT({10, 20, RW, -1, 0});
}
END_TEST

START_TEST(vma_protect_same_prot_changes_nothing)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_OK(vma_protect(&S, PG(12), PG(13), RW, NULL));
	EXPECT({10, 20, RW, -1, 0});
}
END_TEST

START_TEST(vma_protect_hole_at_start_returns_enomem_and_changes_nothing)
{
	three_apart();
	uint64_t done = 1;
	CK_ERR(vma_protect(&S, PG(5), PG(15), RX, &done), ENOMEM);
	ck_assert_uint_eq(done, PG(5));
	CK_ERR(vma_protect(&S, PG(20), PG(35), RX, NULL), ENOMEM);
	CK_ERR(vma_protect(&S, PG(70), PG(80), RX, NULL), ENOMEM);
	EXPECT({10, 20, RW, -1, 0}, {30, 40, RO, -1, 0}, {50, 60, RW, -1, 0});
}
END_TEST

START_TEST(vma_protect_stops_at_a_later_hole_after_changing_the_part_before_it)
{
	/* Linux walks the VMAs upward and returns -ENOMEM at the first hole
	 * without undoing what it already changed. */
	three_apart();
	uint64_t done;
	CK_ERR(vma_protect(&S, PG(15), PG(35), RX, &done), ENOMEM);
	ck_assert_uint_eq(done, PG(20));
	EXPECT({10, 15, RW, -1, 0}, {15, 20, RX, -1, 0}, {30, 40, RO, -1, 0}, {50, 60, RW, -1, 0});
	/* a hole at the end: everything mapped changed, still -ENOMEM */
	CK_ERR(vma_protect(&S, PG(30), PG(45), RX, &done), ENOMEM);
	ck_assert_uint_eq(done, PG(40));
	EXPECT({10, 15, RW, -1, 0}, {15, 20, RX, -1, 0}, {30, 40, RX, -1, 0}, {50, 60, RW, -1, 0});
}
END_TEST

START_TEST(vma_protect_beyond_may_bits_returns_eacces)
{
	/* MAP_SHARED of an O_RDONLY file: no VMA_MAY_WRITE */
	CK_OK(
	    vma_insert(&S, PG(10), PG(20), RO, VMA_SHARED | VMA_MAY_READ | VMA_MAY_EXEC, F(0), 0));
	CK_ERR(vma_protect(&S, PG(10), PG(20), RW, NULL), EACCES);
	EXPECT({10, 20, RO, 0, 0});
	CK_OK(vma_protect(&S, PG(10), PG(12), RX, NULL));
	EXPECT({10, 12, RX, 0, 0}, {12, 20, RO, 0, 2});
}
END_TEST

START_TEST(vma_protect_stops_at_a_vma_that_refuses_after_changing_earlier_ones)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(20), PG(30), RO, VMA_SHARED | VMA_MAY_READ, F(0), 0));
	uint64_t done;
	CK_ERR(vma_protect(&S, PG(10), PG(30), RW, &done), EACCES);
	ck_assert_uint_eq(done, PG(20));
	EXPECT({10, 20, RW, -1, 0}, {20, 30, RO, 0, 0});
}
END_TEST

START_TEST(vma_protect_bad_arguments_return_einval_and_empty_is_fine)
{
	three_apart();
	CK_ERR(vma_protect(&S, PG(10) + 1, PG(12), RO, NULL), EINVAL);
	CK_ERR(vma_protect(&S, PG(10), PG(12), 8, NULL), EINVAL);
	CK_OK(vma_protect(&S, PG(12), PG(12), RO, NULL));
	CK_OK(vma_protect(&S, PG(25), PG(25), RO, NULL));
	EXPECT({10, 20, RW, -1, 0}, {30, 40, RO, -1, 0}, {50, 60, RW, -1, 0});
}
END_TEST

/* ---- merging ---- */

START_TEST(vma_adjacent_anonymous_with_same_attributes_merge)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(30), PG(40), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(20), PG(30), RW, MAY, NULL, 0));
	EXPECT({10, 40, RW, -1, 0});
}
END_TEST

START_TEST(vma_file_vmas_with_contiguous_pgoff_merge)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, F(0), 0));
	CK_OK(vma_insert(&S, PG(30), PG(40), RO, MAY, F(0), 20));
	CK_OK(vma_insert(&S, PG(20), PG(30), RO, MAY, F(0), 10));
	EXPECT({10, 40, RO, 0, 0});
	ck_assert_int_eq(files[0].refs, 1);
}
END_TEST

START_TEST(vma_file_vmas_with_discontiguous_pgoff_do_not_merge)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, F(0), 0));
	CK_OK(vma_insert(&S, PG(20), PG(30), RO, MAY, F(0), 11));
	EXPECT({10, 20, RO, 0, 0}, {20, 30, RO, 0, 11});
}
END_TEST

START_TEST(vma_vmas_of_different_files_do_not_merge)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, F(0), 0));
	CK_OK(vma_insert(&S, PG(20), PG(30), RO, MAY, F(1), 10));
	CK_OK(vma_insert(&S, PG(30), PG(40), RO, MAY, NULL, 0));
	EXPECT({10, 20, RO, 0, 0}, {20, 30, RO, 1, 10}, {30, 40, RO, -1, 0});
}
END_TEST

START_TEST(vma_vmas_with_different_prot_or_flags_do_not_merge)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(20), PG(30), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(30), PG(40), RW, MAY | VMA_SHARED, NULL, 0));
	CK_OK(vma_insert(&S, PG(40), PG(50), RW, MAY | VMA_SHARED | VMA_LOCKED, NULL, 0));
	ck_assert_uint_eq(S.n, 4);
}
END_TEST

START_TEST(vma_special_vmas_never_merge)
{
	CK_OK(vma_insert(&S, PG(10), PG(12), RX, MAY | VMA_SPECIAL, NULL, 0));
	CK_OK(vma_insert(&S, PG(12), PG(14), RX, MAY | VMA_SPECIAL, NULL, 0));
	ck_assert_uint_eq(S.n, 2);
	CK_ERR(vma_resize(&S, PG(12), PG(2), PG(4)), EFAULT);
	CK_ERR(vma_move(&S, PG(12), PG(2), PG(100), PG(2)), EFAULT);
}
END_TEST

/* ---- file references ---- */

START_TEST(vma_file_references_stay_balanced_through_split_merge_and_unmap)
{
	CK_OK(vma_insert(&S, PG(10), PG(40), RW, MAY, F(0), 0));
	CK_OK(vma_unmap(&S, PG(20), PG(21))); /* split: 2 refs */
	ck_assert_int_eq(files[0].refs, 2);
	CK_OK(vma_protect(&S, PG(12), PG(14), RO, NULL)); /* 3 pieces + 1 */
	ck_assert_int_eq(files[0].refs, 4);
	CK_OK(vma_insert(&S, PG(20), PG(21), RW, MAY, F(0), 10)); /* merges */
	ck_assert_int_eq(files[0].refs, 3);
	CK_OK(vma_protect(&S, PG(10), PG(40), RW, NULL));
	ck_assert_int_eq(files[0].refs, 1);
	CK_OK(vma_move(&S, PG(15), PG(5), PG(100), PG(5)));
	ck_assert_int_eq(files[0].refs, 3);
	CK_OK(vma_move(&S, PG(100), PG(5), PG(15), PG(5)));
	EXPECT({10, 40, RW, 0, 0});
	vma_set_destroy(&S);
	audit();
	ck_assert_int_eq(files[0].refs, 0);
	ck_assert_int_eq(files[0].gets, files[0].puts);
}
END_TEST

START_TEST(vma_unmapped_callback_sees_the_file_still_referenced)
{
	/* on_unmapped asserts it; the file's only reference is this VMA's */
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY | VMA_SHARED, F(2), 0));
	CK_OK(vma_unmap(&S, PG(10), PG(20)));
	ck_assert_uint_eq(nunmapped, 1);
	ck_assert_ptr_eq(unmapped_log[0].file, F(2));
	ck_assert_int_eq(files[2].refs, 0);
}
END_TEST

START_TEST(vma_set_copy_takes_references_and_skips_dontfork)
{
	static struct vma store2[64];
	struct vma_set child;
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(0), 0));
	CK_OK(vma_insert(&S, PG(20), PG(30), RW, MAY | VMA_DONTFORK, NULL, 0));
	CK_OK(vma_insert(&S, PG(30), PG(40), RO, MAY | VMA_SHARED, F(1), 3));
	vma_set_init(&child, &fixed_ops, store2, 64, TOP);
	ck_assert_int_eq(vma_set_copy(&child, &S), 0);
	ck_assert_ptr_null(vma_validate(&child));
	ck_assert_uint_eq(child.n, 2);
	ck_assert_int_eq(files[0].refs, 2);
	ck_assert_int_eq(files[1].refs, 2);
	vma_set_destroy(&child);
	audit();
}
END_TEST

/* ---- map count ---- */

static void fill_separate(unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		CK_OK(vma_insert(&S, PG(10 + 3 * i), PG(11 + 3 * i), RW, MAY, NULL, 0));
}

START_TEST(vma_insert_past_max_map_count_returns_enomem)
{
	/* Linux's do_mmap tests map_count > max: one more than max fits */
	S.max_map_count = 4;
	fill_separate(5);
	CK_ERR(vma_insert(&S, PG(100), PG(101), RW, MAY, NULL, 0), ENOMEM);
	ck_assert_uint_eq(S.n, 5);
	/* freeing one makes room again */
	CK_OK(vma_unmap(&S, PG(10), PG(11)));
	CK_OK(vma_insert(&S, PG(100), PG(101), RW, MAY, NULL, 0));
}
END_TEST

START_TEST(vma_unmap_split_at_max_map_count_returns_enomem)
{
	S.max_map_count = 2;
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_OK(vma_insert(&S, PG(30), PG(40), RW, MAY, NULL, 0));
	CK_ERR(vma_unmap(&S, PG(12), PG(14)), ENOMEM);
	ck_assert_uint_eq(S.n, 2);
	ck_assert_uint_eq(nunmapped, 0);
	/* trimming needs no split and is allowed */
	CK_OK(vma_unmap(&S, PG(10), PG(12)));
	CK_OK(vma_unmap(&S, PG(15), PG(35)));
	EXPECT({12, 15, RW, -1, 0}, {35, 40, RW, -1, 0});
}
END_TEST

START_TEST(vma_protect_split_past_max_map_count_returns_enomem_and_changes_nothing)
{
	S.max_map_count = 2;
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_ERR(vma_protect(&S, PG(12), PG(14), RO, NULL), ENOMEM);
	EXPECT({10, 20, RW, -1, 0});
	CK_OK(vma_protect(&S, PG(10), PG(14), RO, NULL));
	EXPECT({10, 14, RO, -1, 0}, {14, 20, RW, -1, 0});
	/* moving a boundary does not add a VMA: allowed at the limit */
	CK_OK(vma_protect(&S, PG(14), PG(16), RO, NULL));
	EXPECT({10, 16, RO, -1, 0}, {16, 20, RW, -1, 0});
}
END_TEST

START_TEST(vma_move_near_max_map_count_returns_enomem)
{
	S.max_map_count = 6;
	fill_separate(3);
	CK_ERR(vma_move(&S, PG(10), PG(1), PG(200), PG(1)), ENOMEM);
	CK_OK(vma_unmap(&S, PG(16), PG(17)));
	CK_OK(vma_move(&S, PG(10), PG(1), PG(200), PG(1)));
}
END_TEST

START_TEST(vma_fixed_storage_caps_max_map_count)
{
	static struct vma small[8];
	vma_set_init(&S, &fixed_ops, small, 8, TOP);
	ck_assert_uint_eq(S.max_map_count, 5);
	fill_separate(6);
	CK_ERR(vma_insert(&S, PG(100), PG(101), RW, MAY, NULL, 0), ENOMEM);
	/* operations that stay within the limit still have the room they need */
	CK_OK(vma_protect(&S, PG(10), PG(11), RO, NULL));
	CK_OK(vma_unmap(&S, PG(13), PG(14)));
	CK_OK(vma_insert(&S, PG(100), PG(102), RW, MAY, NULL, 0));
	ck_assert_uint_eq(S.n, 6);
}
END_TEST

/* ---- storage hook ---- */

START_TEST(vma_storage_grows_through_the_hook)
{
	vma_set_init(&S, &growing_ops, NULL, 0, TOP);
	for (unsigned i = 0; i < 1000; i++)
		CK_OK(vma_insert(&S, PG(10 + 2 * i), PG(11 + 2 * i), RW, MAY, NULL, 0));
	ck_assert_uint_eq(S.n, 1000);
	ck_assert_uint_ge(alloc_calls, 2);
	ck_assert_uint_eq(free_calls, alloc_calls - 1);
	vma_set_destroy(&S);
	audit();
	ck_assert_uint_eq(free_calls, alloc_calls);
	ck_assert_uint_eq(nunmapped, 1000);
}
END_TEST

START_TEST(vma_storage_hook_failure_returns_enomem_and_changes_nothing)
{
	vma_set_init(&S, &growing_ops, NULL, 0, TOP);
	alloc_fails = true;
	CK_ERR(vma_insert(&S, PG(10), PG(11), RW, MAY, F(0), 0), ENOMEM);
	EXPECT_EMPTY();
	alloc_fails = false;
	fill_separate(15);
	ck_assert_uint_eq(S.cap, 16);
	alloc_fails = true;
	CK_ERR(vma_insert(&S, PG(300), PG(301), RO, MAY, NULL, 0), ENOMEM);
	CK_ERR(vma_protect(&S, PG(10), PG(11), RO, NULL), ENOMEM);
	CK_ERR(vma_move(&S, PG(10), PG(1), PG(400), PG(1)), ENOMEM);
	ck_assert_uint_eq(S.n, 15);
	ck_assert_uint_eq(nunmapped, 0);
	vma_set_destroy(&S);
	audit();
}
END_TEST

/* A window that grows where it is, a few entries at a time, as the
 * kernel's per-process window of mapped pages does; `window_limit` caps it. */
static struct vma window[256];
static unsigned window_cap, window_limit, window_frees;

static struct vma *window_grow(void *ctx, unsigned count, unsigned *got)
{
	(void)ctx;
	alloc_calls++;
	while (window_cap < count && window_cap + 8 <= window_limit)
		window_cap += 8;
	*got = window_cap;
	return window_cap ? window : NULL;
}

static void window_free(void *ctx, struct vma *a, unsigned count)
{
	(void)ctx;
	ck_assert_ptr_eq(a, window);
	ck_assert_uint_eq(count, window_cap);
	window_cap = 0;
	window_frees++;
}

static const struct vma_ops window_ops = {.file_get = fget,
					  .file_put = fput,
					  .unmapped = on_unmapped,
					  .alloc_array = window_grow,
					  .free_array = window_free};

START_TEST(vma_storage_grown_in_place_is_neither_copied_nor_freed)
{
	window_cap = window_frees = 0;
	window_limit = 256;
	vma_set_init(&S, &window_ops, store, 4, TOP);
	fill_separate(4);   /* one past the inline entries: moved to the window */
	ck_assert_ptr_eq(S.v, window);
	for (unsigned i = 4; i < 100; i++)
		CK_OK(vma_insert(&S, PG(10 + 3 * i), PG(11 + 3 * i), RW, MAY, NULL, 0));
	ck_assert_uint_eq(S.n, 100);
	ck_assert_ptr_eq(S.v, window);
	ck_assert_uint_eq(window_frees, 0);
	for (unsigned i = 0; i < 100; i++)
		ck_assert_uint_eq(S.v[i].start, PG(10 + 3 * i));
	vma_set_destroy(&S);
	audit();
	ck_assert_uint_eq(window_frees, 1);
	ck_assert_uint_eq(nunmapped, 100);
}
END_TEST

START_TEST(vma_storage_grown_in_place_but_short_returns_enomem_and_keeps_the_room)
{
	window_cap = window_frees = 0;
	window_limit = 16;
	vma_set_init(&S, &window_ops, NULL, 0, TOP);
	fill_separate(14);
	CK_OK(vma_insert(&S, PG(1000), PG(1004), RW, MAY, NULL, 0));
	ck_assert_uint_eq(S.n, 15);
	ck_assert_uint_eq(S.cap, 16);
	/* a split in the middle needs two entries more: the window gives
	 * back the same 16 */
	CK_ERR(vma_protect(&S, PG(1001), PG(1002), RO, NULL), ENOMEM);
	ck_assert_uint_eq(S.n, 15);
	ck_assert_uint_eq(S.cap, 16);
	ck_assert_uint_eq(window_frees, 0);
	/* with room again, the same split works in the same array */
	window_limit = 32;
	CK_OK(vma_protect(&S, PG(1001), PG(1002), RO, NULL));
	ck_assert_uint_eq(S.n, 17);
	ck_assert_ptr_eq(S.v, window);
	vma_set_destroy(&S);
	audit();
	ck_assert_uint_eq(window_frees, 1);
}
END_TEST

/* ---- mremap ---- */

START_TEST(vma_resize_grows_in_place)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(0), 50));
	CK_OK(vma_resize(&S, PG(15), PG(5), PG(10)));
	EXPECT({10, 25, RW, 0, 50});
}
END_TEST

START_TEST(vma_resize_grow_merges_with_a_compatible_neighbour)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(0), 0));
	CK_OK(vma_insert(&S, PG(30), PG(40), RW, MAY, F(0), 20));
	CK_OK(vma_resize(&S, PG(10), PG(10), PG(20)));
	EXPECT({10, 40, RW, 0, 0});
}
END_TEST

START_TEST(vma_resize_grow_without_room_returns_enomem)
{
	three_apart();
	CK_ERR(vma_resize(&S, PG(10), PG(10), PG(21)), ENOMEM);
	/* not ending at the VMA's end: only a move can grow it */
	CK_ERR(vma_resize(&S, PG(10), PG(5), PG(6)), ENOMEM);
	CK_ERR(vma_resize(&S, TOP - PG(1), PG(1), PG(2)), EFAULT);
	CK_OK(vma_insert(&S, TOP - PG(1), TOP, RW, MAY, NULL, 0));
	CK_ERR(vma_resize(&S, TOP - PG(1), PG(1), PG(2)), ENOMEM);
	ck_assert_uint_eq(S.n, 4);
}
END_TEST

START_TEST(vma_resize_shrink_unmaps_the_tail)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, F(0), 0));
	CK_OK(vma_resize(&S, PG(10), PG(10), PG(4)));
	EXPECT({10, 14, RW, 0, 0});
	ck_assert_uint_eq(nunmapped, 1);
	ck_assert_uint_eq(unmapped_log[0].pgoff, 4);
	CK_OK(vma_resize(&S, PG(10), PG(4), PG(4)));
}
END_TEST

START_TEST(vma_resize_outside_a_vma_returns_efault)
{
	three_apart();
	CK_ERR(vma_resize(&S, PG(25), PG(1), PG(2)), EFAULT);
	/* the old range must lie in one VMA to grow */
	CK_ERR(vma_resize(&S, PG(15), PG(20), PG(30)), EFAULT);
	CK_ERR(vma_resize(&S, PG(15), PG(1), 0), EINVAL);
	ck_assert_uint_eq(S.n, 3);
}
END_TEST

START_TEST(vma_move_keeps_file_and_pgoff)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, F(0), 100));
	CK_OK(vma_move(&S, PG(12), PG(3), PG(200), PG(3)));
	EXPECT({10, 12, RO, 0, 100}, {15, 20, RO, 0, 105}, {200, 203, RO, 0, 102});
	ck_assert_uint_eq(nunmapped, 0); /* pages moved, not unmapped */
}
END_TEST

START_TEST(vma_move_back_merges_again)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, F(0), 100));
	CK_OK(vma_move(&S, PG(12), PG(3), PG(200), PG(3)));
	CK_OK(vma_move(&S, PG(200), PG(3), PG(12), PG(3)));
	EXPECT({10, 20, RO, 0, 100});
}
END_TEST

START_TEST(vma_move_replaces_the_destination)
{
	three_apart();
	CK_OK(vma_move(&S, PG(50), PG(10), PG(15), PG(10)));
	/* [15, 20) went away; the moved RW range merged with [10, 15) */
	EXPECT({10, 25, RW, -1, 0}, {30, 40, RO, -1, 0});
	ck_assert_uint_eq(nunmapped, 1);
}
END_TEST

START_TEST(vma_move_growing_extends_the_file_range)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, F(0), 100));
	CK_OK(vma_move(&S, PG(10), PG(10), PG(300), PG(15)));
	EXPECT({300, 315, RO, 0, 100});
}
END_TEST

START_TEST(vma_move_shrinking_unmaps_the_old_tail)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RO, MAY, F(0), 100));
	CK_OK(vma_move(&S, PG(10), PG(10), PG(300), PG(4)));
	EXPECT({300, 304, RO, 0, 100});
	ck_assert_uint_eq(nunmapped, 1);
	ck_assert_uint_eq(unmapped_log[0].start, PG(14));
	ck_assert_uint_eq(unmapped_log[0].pgoff, 104);
}
END_TEST

START_TEST(vma_move_bad_ranges_return_einval_or_efault)
{
	three_apart();
	CK_ERR(vma_move(&S, PG(10), PG(10), PG(15), PG(10)), EINVAL); /* overlap */
	CK_ERR(vma_move(&S, PG(10), PG(10), TOP - PG(5), PG(10)), EINVAL);
	CK_ERR(vma_move(&S, PG(10), 0, PG(100), PG(10)), EINVAL);
	CK_ERR(vma_move(&S, PG(25), PG(1), PG(100), PG(1)), EFAULT);
	CK_ERR(vma_move(&S, PG(15), PG(20), PG(100), PG(20)), EFAULT);
	EXPECT({10, 20, RW, -1, 0}, {30, 40, RO, -1, 0}, {50, 60, RW, -1, 0});
}
END_TEST

/* ---- flags, stack growth ---- */

START_TEST(vma_set_flags_lock_splits_and_unlock_merges)
{
	CK_OK(vma_insert(&S, PG(10), PG(20), RW, MAY, NULL, 0));
	CK_OK(vma_set_flags(&S, PG(12), PG(14), VMA_LOCKED, 0, false, NULL));
	ck_assert_uint_eq(S.n, 3);
	ck_assert_uint_eq(S.v[1].flags, MAY | VMA_LOCKED);
	CK_OK(vma_set_flags(&S, PG(10), PG(20), 0, VMA_LOCKED, false, NULL));
	EXPECT({10, 20, RW, -1, 0});
	CK_ERR(vma_set_flags(&S, PG(10), PG(20), VMA_SHARED, 0, false, NULL), EINVAL);
}
END_TEST

START_TEST(vma_set_flags_skipping_holes_changes_mapped_parts_then_returns_enomem)
{
	three_apart();
	CK_ERR(vma_set_flags(&S, PG(15), PG(55), VMA_DONTFORK, 0, true, NULL), ENOMEM);
	ck_assert_uint_eq(S.n, 5);
	ck_assert_uint_eq(S.v[1].flags, MAY | VMA_DONTFORK);
	ck_assert_uint_eq(S.v[2].flags, MAY | VMA_DONTFORK);
	ck_assert_uint_eq(S.v[3].flags, MAY | VMA_DONTFORK);
	/* stopping at holes (mlock) changes only up to the first one */
	CK_ERR(vma_set_flags(&S, PG(10), PG(35), VMA_LOCKED, 0, false, NULL), ENOMEM);
	ck_assert_uint_eq(S.v[0].flags, MAY | VMA_LOCKED);
	ck_assert_uint_eq(S.v[2].flags, MAY | VMA_DONTFORK);
}
END_TEST

START_TEST(vma_expand_down_grows_a_growsdown_vma)
{
	S.guard_gap = PG(8);
	CK_OK(vma_insert(&S, PG(100), PG(110), RW, MAY | VMA_GROWSDOWN, NULL, 0));
	CK_OK(vma_expand_down(&S, PG(95) + 123));
	EXPECT({95, 110, RW, -1, 0});
	CK_ERR(vma_expand_down(&S, PG(96)), EFAULT); /* mapped already */
	CK_OK(vma_insert(&S, PG(80), PG(85), RW, MAY, NULL, 0));
	CK_ERR(vma_expand_down(&S, PG(90)), ENOMEM); /* within the guard gap */
	CK_OK(vma_protect(&S, PG(80), PG(85), 0, NULL));
	CK_OK(vma_expand_down(&S, PG(90)));	     /* PROT_NONE below: no gap kept */
	CK_ERR(vma_expand_down(&S, PG(82)), EFAULT); /* not below a growsdown one */
	EXPECT({80, 85, 0, -1, 0}, {90, 110, RW, -1, 0});
}
END_TEST

/* ---- the checker itself ---- */

START_TEST(vma_validate_reports_each_broken_invariant)
{
	three_apart();
	struct vma saved[3];
	memcpy(saved, S.v, sizeof(saved));
	S.v[1].start = PG(15);
	ck_assert_str_eq(vma_validate(&S), "VMAs overlap");
	memcpy(S.v, saved, sizeof(saved));
	S.v[1].end = PG(30);
	ck_assert_str_eq(vma_validate(&S), "empty VMA");
	memcpy(S.v, saved, sizeof(saved));
	S.v[1].prot = RW;
	S.v[1].start = PG(20);
	ck_assert_str_eq(vma_validate(&S), "mergeable neighbours not merged");
	memcpy(S.v, saved, sizeof(saved));
	S.v[2].end += 1;
	ck_assert_str_eq(vma_validate(&S), "VMA not page aligned");
	memcpy(S.v, saved, sizeof(saved));
	S.v[0].file = F(0);
	ck_assert_str_eq(vma_validate(&S), "file references held differ from VMAs with a file");
	memcpy(S.v, saved, sizeof(saved));
	S.v[0].pgoff = 3;
	ck_assert_str_eq(vma_validate(&S), "anonymous VMA with a file offset");
	memcpy(S.v, saved, sizeof(saved));
	struct vma t = S.v[0];
	S.v[0] = S.v[2];
	S.v[2] = t;
	ck_assert_str_eq(vma_validate(&S), "VMAs not sorted");
	memcpy(S.v, saved, sizeof(saved));
	audit();
}
END_TEST

/* ---- random operations against a per-page model ---- */

#define W 256u		   /* pages modelled: [0, W) */
#define MBASE 16u	   /* page number of model page 0 */
#define MTOP PG(MBASE + W) /* the set's top */

struct mpage {
	bool mapped;
	uint32_t prot, flags;
	void *file;
	uint64_t pgoff;
};

struct model {
	struct mpage p[W];
	unsigned max;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic per seed, no libc state */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static bool m_join(const struct model *m, unsigned a)
{
	/* pages a and a + 1 belong to one canonical VMA */
	const struct mpage *x = &m->p[a], *y = &m->p[a + 1];
	return x->mapped && y->mapped && x->prot == y->prot && x->flags == y->flags &&
	       x->file == y->file && (!x->file || x->pgoff + 1 == y->pgoff);
}

static unsigned m_count(const struct model *m)
{
	unsigned n = 0;
	for (unsigned a = 0; a < W; a++)
		n += m->p[a].mapped && !(a > 0 && m_join(m, a - 1));
	return n;
}

/* canonical run containing page a (mapped): [*rs, *re) */
static void m_run(const struct model *m, unsigned a, unsigned *rs, unsigned *re)
{
	unsigned s = a, e = a + 1;
	while (s > 0 && m_join(m, s - 1))
		s--;
	while (e < W && m_join(m, e - 1))
		e++;
	*rs = s;
	*re = e;
}

static bool m_splits_middle(const struct model *m, unsigned s, unsigned e)
{
	unsigned rs, re;
	if (!m->p[s].mapped)
		return false;
	m_run(m, s, &rs, &re);
	return rs < s && re > e;
}

static bool m_any_mapped(const struct model *m, unsigned s, unsigned e)
{
	for (unsigned a = s; a < e; a++)
		if (m->p[a].mapped)
			return true;
	return false;
}

/* Pages the set must report through ops->unmapped during one step. */
static unsigned cur_step, cur_kind;
static bool expect_reported[W];
static bool got_reported[W];
static struct model before;

static void rnd_unmapped(void *ctx, const struct vma *piece)
{
	(void)ctx;
	on_unmapped(ctx, piece);
	for (uint64_t va = piece->start; va < piece->end; va += PG(1)) {
		unsigned a = (unsigned)(va >> 12) - MBASE;
		/* plain ifs: each Check assertion in fork mode is a pipe write */
		if (a >= W || got_reported[a])
			ck_abort_msg("page %u reported twice or outside the model", a);
		got_reported[a] = true;
		const struct mpage *b = &before.p[a];
		uint64_t pgoff = piece->file ? piece->pgoff + ((va - piece->start) >> 12) : 0;
		if (!b->mapped || piece->prot != b->prot || piece->flags != b->flags ||
		    piece->file != b->file || pgoff != b->pgoff)
			ck_abort_msg("step %u kind %u: page %u reported as %u/%#x/%p/%llu, was "
				     "%d/%u/%#x/%p/%llu",
				     cur_step, cur_kind, a, piece->prot, piece->flags, piece->file,
				     (unsigned long long)pgoff, b->mapped, b->prot, b->flags,
				     b->file, (unsigned long long)b->pgoff);
	}
}

static void m_expect_reported(const struct model *m, unsigned s, unsigned e)
{
	for (unsigned a = s; a < e && a < W; a++)
		if (m->p[a].mapped)
			expect_reported[a] = true;
}

static void m_clear(struct model *m, unsigned s, unsigned e)
{
	for (unsigned a = s; a < e; a++)
		m->p[a] = (struct mpage){0};
}

static void compare(const struct model *m, unsigned step)
{
	static struct mpage got[W];
	memset(got, 0, sizeof(got));
	for (unsigned i = 0; i < S.n; i++) {
		const struct vma *v = &S.v[i];
		for (uint64_t va = v->start; va < v->end; va += PG(1)) {
			unsigned a = (unsigned)(va >> 12) - MBASE;
			if (a >= W)
				ck_abort_msg("step %u: VMA outside the model", step);
			got[a] = (struct mpage){true, v->prot, v->flags, v->file,
						v->file ? v->pgoff + ((va - v->start) >> 12) : 0};
		}
	}
	for (unsigned a = 0; a < W; a++) {
		const struct mpage *x = &got[a], *y = &m->p[a];
		if (!(x->mapped == y->mapped && x->prot == y->prot && x->flags == y->flags &&
		      x->file == y->file && x->pgoff == y->pgoff))
			ck_abort_msg("step %u: page %u differs (set %d/%u/%#x/%p/%llu, model "
				     "%d/%u/%#x/%p/%llu)",
				     step, a, x->mapped, x->prot, x->flags, x->file,
				     (unsigned long long)x->pgoff, y->mapped, y->prot, y->flags,
				     y->file, (unsigned long long)y->pgoff);
		if (got_reported[a] != expect_reported[a])
			ck_abort_msg("step %u: page %u reported %d, expected %d", step, a,
				     got_reported[a], expect_reported[a]);
		/* vma_find starts at the index it last found, which the step
		 * may have moved: it must still give the VMA holding the page */
		uint64_t va = PG(MBASE + a) + 123;
		const struct vma *f = vma_find(&S, va);
		if ((f != NULL) != y->mapped || (f && (f->start > va || f->end <= va)))
			ck_abort_msg("step %u: vma_find(page %u) wrong", step, a);
	}
	ck_assert_uint_eq(S.n, m_count(m));
	audit();
}

static const uint32_t rnd_flags[] = {
    MAY, MAY, MAY | VMA_SHARED, VMA_SHARED | VMA_MAY_READ | VMA_MAY_EXEC, MAY | VMA_LOCKED,
};
static const uint32_t rnd_prots[] = {RW, RW, RO, RX, 0};

/* A random page range inside the model, 1..32 pages. */
static void rnd_range(unsigned *s, unsigned *e)
{
	unsigned len = 1 + rnd_below(rnd_below(4) ? 8 : 32);
	*s = rnd_below(W);
	*e = *s + len > W ? W : *s + len;
}

static int m_change(struct model *m, unsigned s, unsigned e, bool set_prot, uint32_t prot,
		    uint32_t set, uint32_t clear, bool skip_holes)
{
	unsigned stop;
	int err = 0;
	if (skip_holes) {
		if (!m_any_mapped(m, s, e))
			return -ENOMEM;
		for (unsigned a = s; a < e; a++)
			if (!m->p[a].mapped)
				err = -ENOMEM;
		stop = e;
	} else {
		if (!m->p[s].mapped)
			return -ENOMEM;
		for (stop = s; stop < e; stop++) {
			if (!m->p[stop].mapped) {
				err = -ENOMEM;
				break;
			}
			if (set_prot &&
			    prot & ~(m->p[stop].flags >> VMA_MAY_SHIFT) & VMA_PROT_MASK) {
				err = -EACCES;
				break;
			}
		}
		if (stop == s)
			return err;
	}
	static struct model after;
	after = *m;
	for (unsigned a = s; a < stop; a++) {
		if (!after.p[a].mapped)
			continue;
		if (set_prot)
			after.p[a].prot = prot;
		after.p[a].flags = (after.p[a].flags | set) & ~clear;
	}
	unsigned n = m_count(m), n2 = m_count(&after);
	if (n2 > n && n2 > m->max)
		return -ENOMEM;
	*m = after;
	return err;
}

static void random_step(struct model *m, unsigned step)
{
	unsigned s, e, kind = rnd_below(100);
	int want, got;
	unsigned n = m_count(m);

	before = *m;
	memset(expect_reported, 0, sizeof(expect_reported));
	memset(got_reported, 0, sizeof(got_reported));
	rnd_range(&s, &e);
	if (kind >= 50 && rnd_below(5)) {
		/* changes of existing VMAs: mostly start on a mapped page */
		unsigned a = rnd_below(W);
		for (unsigned k = 0; k < W && !m->p[a].mapped; k++)
			a = (a + 1) % W;
		e = e - s + a > W ? W : e - s + a;
		s = a;
	}
	cur_step = step;
	cur_kind = kind;
	if (kind < 30) { /* insert */
		uint32_t prot = rnd_prots[rnd_below(5)];
		uint32_t flags = rnd_flags[rnd_below(5)];
		int fi = (int)rnd_below(NFILES + 1) - 1;
		void *file = fi < 0 ? NULL : F(fi);
		/* mostly the "natural" offset so neighbours can merge */
		uint64_t pgoff = file ? (rnd_below(3) ? s : rnd_below(64)) : 0;
		bool replace = rnd_below(3) != 0;
		bool past_top = rnd_below(50) == 0;
		uint64_t start = PG(MBASE + s), end = past_top ? MTOP + PG(1) : PG(MBASE + e);
		if (n > m->max || past_top)
			want = -ENOMEM;
		else if (m_any_mapped(m, s, e) && !replace)
			want = -EEXIST;
		else if (m_splits_middle(m, s, e) && n >= m->max)
			want = -ENOMEM;
		else {
			want = 0;
			m_expect_reported(m, s, e);
			for (unsigned a = s; a < e; a++)
				m->p[a] = (struct mpage){true, prot, flags, file,
							 file ? pgoff + (a - s) : 0};
		}
		got = vma_insert(&S, start, end, prot, flags | (replace ? VMA_REPLACE : 0), file,
				 pgoff);
	} else if (kind < 50) { /* unmap */
		if (m_splits_middle(m, s, e) && n >= m->max) {
			want = -ENOMEM;
		} else {
			want = 0;
			m_expect_reported(m, s, e);
			m_clear(m, s, e);
		}
		got = vma_unmap(&S, PG(MBASE + s), PG(MBASE + e));
	} else if (kind < 70) { /* protect */
		uint32_t prot = rnd_prots[rnd_below(5)];
		uint64_t done;
		want = m_change(m, s, e, true, prot, 0, 0, false);
		got = vma_protect(&S, PG(MBASE + s), PG(MBASE + e), prot, &done);
	} else if (kind < 80) { /* lock / unlock / dontfork */
		bool skip = rnd_below(2);
		uint32_t bit = rnd_below(2) ? VMA_LOCKED : VMA_DONTFORK;
		bool on = rnd_below(2);
		want = m_change(m, s, e, false, 0, on ? bit : 0, on ? 0 : bit, skip);
		got = vma_set_flags(&S, PG(MBASE + s), PG(MBASE + e), on ? bit : 0, on ? 0 : bit,
				    skip, NULL);
	} else if (kind < 90) { /* resize in place */
		unsigned old_len = e - s, new_len = 1 + rnd_below(24);
		unsigned rs, re;
		if (!m->p[s].mapped) {
			want = -EFAULT;
		} else if (new_len == old_len) {
			want = 0;
		} else if (new_len < old_len) {
			if (m_splits_middle(m, s + new_len, e) && n >= m->max) {
				want = -ENOMEM;
			} else {
				want = 0;
				m_expect_reported(m, s + new_len, e);
				m_clear(m, s + new_len, e);
			}
		} else if (m_run(m, s, &rs, &re), old_len > re - s) {
			want = -EFAULT;
		} else if (s + old_len != re || s + new_len > W ||
			   m_any_mapped(m, re, s + new_len)) {
			want = -ENOMEM;
		} else {
			want = 0;
			for (unsigned a = re; a < s + new_len; a++) {
				m->p[a] = m->p[a - 1];
				if (m->p[a].file)
					m->p[a].pgoff++;
			}
		}
		got = vma_resize(&S, PG(MBASE + s), PG(old_len), PG(new_len));
	} else { /* move */
		unsigned old_len = e - s, new_len = 1 + rnd_below(24);
		unsigned ns = rnd_below(W + 8), rs, re;
		unsigned mlen = old_len < new_len ? old_len : new_len;
		if (ns + new_len > W) {
			want = -EINVAL;
		} else if (s + old_len > ns && ns + new_len > s) {
			want = -EINVAL;
		} else if (!m->p[s].mapped || (m_run(m, s, &rs, &re), mlen > re - s)) {
			want = -EFAULT;
		} else if (m->max < 3 || n >= m->max - 3) {
			want = -ENOMEM;
		} else {
			struct mpage moved[32];
			want = 0;
			for (unsigned a = 0; a < mlen; a++)
				moved[a] = m->p[s + a];
			m_expect_reported(m, ns, ns + new_len);
			m_clear(m, ns, ns + new_len);
			if (old_len > new_len) {
				m_expect_reported(m, s + new_len, s + old_len);
				m_clear(m, s + new_len, s + old_len);
			}
			m_clear(m, s, s + mlen);
			for (unsigned a = 0; a < new_len; a++) {
				struct mpage p = moved[a < mlen ? a : mlen - 1];
				if (a >= mlen && p.file)
					p.pgoff += a - mlen + 1;
				m->p[ns + a] = p;
			}
		}
		/* destinations past W end above the set's top: -EINVAL there too */
		got = vma_move(&S, PG(MBASE + s), PG(old_len), PG(MBASE + ns), PG(new_len));
	}
	ck_assert_msg(got == want, "step %u (kind %u, pages [%u, %u)): got %d, want %d", step, kind,
		      s, e, got, want);
	compare(m, step);
}

static const struct vma_ops random_ops = {.file_get = fget,
					  .file_put = fput,
					  .unmapped = rnd_unmapped,
					  .alloc_array = alloc_array,
					  .free_array = free_array};

START_TEST(vma_random_operations_match_a_per_page_model)
{
	static const unsigned maxes[] = {60, 20, 1000, 1000};
	for (unsigned seed = 1; seed <= 8; seed++) {
		static struct model m;
		memset(&m, 0, sizeof(m));
		memset(files, 0, sizeof(files));
		rng_state = 0x9e3779b97f4a7c15ull * seed;
		vma_set_init(&S, &random_ops, NULL, 0, MTOP);
		S.max_map_count = m.max = maxes[seed % 4];
		for (unsigned step = 0; step < 5000; step++)
			random_step(&m, step);
		/* destroying reports every mapped page once, as it was */
		before = m;
		memset(got_reported, 0, sizeof(got_reported));
		vma_set_destroy(&S);
		audit();
		for (unsigned a = 0; a < W; a++)
			if (got_reported[a] != m.p[a].mapped)
				ck_abort_msg("seed %u: destroy reported page %u wrongly", seed, a);
		for (int f = 0; f < NFILES; f++)
			ck_assert_int_eq(files[f].gets, files[f].puts);
	}
	ck_assert_uint_eq(free_calls, alloc_calls);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_vma");
	const TTest *t[] = {
	    vma_insert_then_find_returns_the_vma,
	    vma_find_outside_every_vma_returns_null,
	    vma_insert_keeps_vmas_sorted_whatever_the_order,
	    vma_insert_bad_arguments_return_einval,
	    vma_insert_above_top_returns_enomem,
	    vma_insert_file_offset_wrap_returns_eoverflow,
	    vma_insert_anonymous_stores_pgoff_zero,
	    vma_find_free_returns_highest_gap_below_high,
	    vma_find_free_successive_maps_go_downward,
	    vma_find_free_takes_a_free_hint,
	    vma_find_free_ignores_an_overlapping_or_low_hint,
	    vma_find_free_keeps_guard_gap_below_growsdown,
	    vma_find_free_without_room_returns_enomem,
	    vma_insert_fixed_replaces_everything_it_overlaps,
	    vma_insert_fixed_inside_one_vma_splits_it_around_the_new_one,
	    vma_insert_fixed_with_same_attributes_merges_into_one,
	    vma_insert_noreplace_overlap_returns_eexist_and_changes_nothing,
	    vma_insert_noreplace_into_exact_hole_succeeds,
	    vma_unmap_middle_splits_in_two,
	    vma_unmap_edges_trim,
	    vma_unmap_spanning_several_vmas_and_holes,
	    vma_unmap_whole_vmas_removes_them,
	    vma_unmap_of_nothing_succeeds,
	    vma_unmap_bad_arguments_return_einval,
	    vma_protect_middle_splits_into_three,
	    vma_protect_whole_merges_back,
	    vma_protect_edge_moves_the_boundary_into_the_neighbour,
	    vma_protect_across_several_vmas_merges_them_into_one,
	    vma_protect_same_prot_changes_nothing,
	    vma_protect_hole_at_start_returns_enomem_and_changes_nothing,
	    vma_protect_stops_at_a_later_hole_after_changing_the_part_before_it,
	    vma_protect_beyond_may_bits_returns_eacces,
	    vma_protect_stops_at_a_vma_that_refuses_after_changing_earlier_ones,
	    vma_protect_bad_arguments_return_einval_and_empty_is_fine,
	    vma_adjacent_anonymous_with_same_attributes_merge,
	    vma_file_vmas_with_contiguous_pgoff_merge,
	    vma_file_vmas_with_discontiguous_pgoff_do_not_merge,
	    vma_vmas_of_different_files_do_not_merge,
	    vma_vmas_with_different_prot_or_flags_do_not_merge,
	    vma_special_vmas_never_merge,
	    vma_file_references_stay_balanced_through_split_merge_and_unmap,
	    vma_unmapped_callback_sees_the_file_still_referenced,
	    vma_set_copy_takes_references_and_skips_dontfork,
	    vma_insert_past_max_map_count_returns_enomem,
	    vma_unmap_split_at_max_map_count_returns_enomem,
	    vma_protect_split_past_max_map_count_returns_enomem_and_changes_nothing,
	    vma_move_near_max_map_count_returns_enomem,
	    vma_fixed_storage_caps_max_map_count,
	    vma_storage_grows_through_the_hook,
	    vma_storage_hook_failure_returns_enomem_and_changes_nothing,
	    vma_storage_grown_in_place_is_neither_copied_nor_freed,
	    vma_storage_grown_in_place_but_short_returns_enomem_and_keeps_the_room,
	    vma_resize_grows_in_place,
	    vma_resize_grow_merges_with_a_compatible_neighbour,
	    vma_resize_grow_without_room_returns_enomem,
	    vma_resize_shrink_unmaps_the_tail,
	    vma_resize_outside_a_vma_returns_efault,
	    vma_move_keeps_file_and_pgoff,
	    vma_move_back_merges_again,
	    vma_move_replaces_the_destination,
	    vma_move_growing_extends_the_file_range,
	    vma_move_shrinking_unmaps_the_old_tail,
	    vma_move_bad_ranges_return_einval_or_efault,
	    vma_set_flags_lock_splits_and_unlock_merges,
	    vma_set_flags_skipping_holes_changes_mapped_parts_then_returns_enomem,
	    vma_expand_down_grows_a_growsdown_vma,
	    vma_validate_reports_each_broken_invariant,
	    vma_random_operations_match_a_per_page_model,
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		TCase *tc = tcase_create(t[i]->name);
		tcase_add_checked_fixture(tc, setup, NULL);
		tcase_add_test(tc, t[i]);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
