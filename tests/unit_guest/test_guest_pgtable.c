/* guest/mm/pgtable.c on the host: 4-level page tables built in fake RAM,
 * checked by an independent walk. The real page allocator (mm/page.c)
 * supplies the intermediate tables. Layout (gpa):
 *
 *   0       1 MiB   3 MiB  +16 KiB                 64 MiB
 *   | low   | image | PML4 |  usable (tables, data)  |
 *           |       | ...  |
 *   CR3 = 3 MiB, a zeroed PML4 inside the reserved boot page tables.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fake_machine.h"
#include "lib/errno.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "x86.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define PG X86_PAGE_SIZE

#define PML4_PA (3 * MiB)
#define BOOTPT_HI (3 * MiB + 16 * KiB)

#define VA 0xffffc00000123000ull /* PML4 slot 384 */
#define VA_2M 0xffffc00000400000ull
#define DATA 0x00456000ull
#define DATA2M 0x00800000ull

static const unsigned shifts[] = {39, 30, 21, 12};

static uint64_t allocated(void)
{
	struct page_stats st;
	page_get_stats(&st);
	return st.allocated;
}

static void setup(void)
{
	fake_setup();
	ck_assert_int_eq(page_reserve(0, 3 * MiB), 0);
	ck_assert_int_eq(page_reserve(PML4_PA, BOOTPT_HI), 0);
	ck_assert_int_eq(page_add_range(0, FAKE_RAM_SIZE), 0);
	fake.cr3 = PML4_PA;
}

/* Independent walk: the entry for va at the level of 1 << shift pages, or
 * NULL if a level above is absent. Stops at (and returns) a PS entry. */
static uint64_t *walk(uint64_t va, unsigned leaf_shift)
{
	uint64_t table = fake.cr3 & X86_PTE_ADDR;

	for (unsigned l = 0;; l++) {
		uint64_t *e = (uint64_t *)fake_ptr(table) + ((va >> shifts[l]) & 511);
		if (shifts[l] == leaf_shift || (l && (*e & X86_PTE_PS)))
			return e;
		if (!(*e & X86_PTE_P))
			return NULL;
		table = *e & X86_PTE_ADDR;
	}
}

START_TEST(pgtable_map_4k_walk_finds_pa_and_flags)
{
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W | X86_PTE_NX), 0);
	uint64_t *pte = walk(VA, 12);
	ck_assert_ptr_nonnull(pte);
	ck_assert_uint_eq(*pte, DATA | X86_PTE_P | X86_PTE_W | X86_PTE_NX);
	for (unsigned l = 0; l < 3; l++) {
		uint64_t e = *walk(VA, shifts[l]);
		ck_assert_msg((e & ~X86_PTE_ADDR) == (X86_PTE_P | X86_PTE_W),
			      "level %u entry %#lx: want P|W only", l, e);
	}
}
END_TEST

START_TEST(pgtable_map_takes_intermediate_tables_from_allocator)
{
	uint64_t before = allocated();
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_uint_eq(allocated(), before + 3);
	ck_assert_uint_eq(fake.npage_zero, 3);
	uint64_t t[3];
	for (unsigned l = 0; l < 3; l++) {
		t[l] = *walk(VA, shifts[l]) & X86_PTE_ADDR;
		ck_assert_msg(page_is_usable(t[l]), "table %#lx not from the allocator", t[l]);
	}
	ck_assert(t[0] != t[1] && t[1] != t[2] && t[0] != t[2]);
}
END_TEST

/* Each new table is offered to page_table_claim (a shadow MMU must forget
 * its past), top level first; tables already there are not. */
START_TEST(pgtable_map_claims_each_new_table_once)
{
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_uint_eq(fake.nclaimed, 3);
	for (unsigned l = 0; l < 3; l++)
		ck_assert_uint_eq(fake.claimed[l], *walk(VA, shifts[l]) & X86_PTE_ADDR);
	ck_assert_int_eq(pgtable_map(VA + PG, DATA + PG, X86_PTE_W), 0);
	ck_assert_uint_eq(fake.nclaimed, 3);
	ck_assert_int_eq(pgtable_map(VA + 2 * MiB, DATA, X86_PTE_W), 0);
	ck_assert_uint_eq(fake.nclaimed, 4);
	ck_assert_uint_eq(fake.claimed[3], *walk(VA + 2 * MiB, 21) & X86_PTE_ADDR);
}
END_TEST

START_TEST(pgtable_map_zeroes_new_tables)
{
	memset(fake_ptr(BOOTPT_HI), 0xaa, FAKE_RAM_SIZE - BOOTPT_HI);
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	for (unsigned l = 1; l < 4; l++) {
		const uint64_t *table = walk(VA, shifts[l]) - ((VA >> shifts[l]) & 511);
		for (unsigned i = 0; i < 512; i++)
			if (i != ((VA >> shifts[l]) & 511))
				ck_assert_msg(!table[i], "level %u entry %u: %#lx", l, i, table[i]);
	}
	uint64_t pte;
	ck_assert_int_eq(pgtable_lookup(VA + PG, &pte), -ENOENT);
}
END_TEST

START_TEST(pgtable_map_next_page_reuses_tables)
{
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	uint64_t before = allocated();
	ck_assert_int_eq(pgtable_map(VA + PG, DATA + PG, X86_PTE_W), 0);
	ck_assert_uint_eq(allocated(), before);
	ck_assert_uint_eq(*walk(VA + PG, 12) & X86_PTE_ADDR, DATA + PG);
}
END_TEST

START_TEST(pgtable_map_of_mapped_va_returns_eexist_and_keeps_old)
{
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map(VA, DATA + PG, 0), -EEXIST);
	ck_assert_uint_eq(*walk(VA, 12), DATA | X86_PTE_P | X86_PTE_W);
}
END_TEST

START_TEST(pgtable_map_unaligned_returns_einval)
{
	uint64_t before = allocated();
	ck_assert_int_eq(pgtable_map(VA + 8, DATA, X86_PTE_W), -EINVAL);
	ck_assert_int_eq(pgtable_map(VA, DATA + 8, X86_PTE_W), -EINVAL);
	ck_assert_uint_eq(allocated(), before);
	ck_assert_ptr_null(walk(VA, 12));
}
END_TEST

START_TEST(pgtable_map_non_canonical_va_returns_einval)
{
	uint64_t before = allocated();
	/* Would alias PML4 slot 256, the direct map. */
	ck_assert_int_eq(pgtable_map(0x0000800000000000ull, DATA, X86_PTE_W), -EINVAL);
	ck_assert_int_eq(pgtable_map(0x8000000000000000ull, DATA, X86_PTE_W), -EINVAL);
	ck_assert_uint_eq(allocated(), before);
	ck_assert_int_eq(pgtable_map(0xffff800000123000ull, DATA, X86_PTE_W), 0);
}
END_TEST

START_TEST(pgtable_map_without_free_pages_returns_enomem)
{
	while (page_alloc())
		;
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), -ENOMEM);
	ck_assert_ptr_null(walk(VA, 12));
}
END_TEST

START_TEST(pgtable_map_user_page_sets_u_on_every_level)
{
	ck_assert_int_eq(pgtable_map(0x400000, DATA, X86_PTE_U | X86_PTE_W), 0);
	for (unsigned l = 0; l < 4; l++)
		ck_assert_msg(*walk(0x400000, shifts[l]) & X86_PTE_U, "level %u lacks U", l);
}
END_TEST

START_TEST(pgtable_map_user_page_sets_u_on_existing_tables)
{
	ck_assert_int_eq(pgtable_map(0x400000, DATA, X86_PTE_W), 0); /* tables without U */
	ck_assert_int_eq(pgtable_map(0x401000, DATA + PG, X86_PTE_U), 0);
	for (unsigned l = 0; l < 3; l++)
		ck_assert_msg(*walk(0x401000, shifts[l]) & X86_PTE_U, "level %u lacks U", l);
	ck_assert(!(*walk(0x400000, 12) & X86_PTE_U)); /* the kernel page stays kernel */
}
END_TEST

START_TEST(pgtable_map_uses_cr3_address_bits_only)
{
	fake.cr3 = PML4_PA | X86_PTE_PWT | X86_PTE_PCD;
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_uint_eq(*walk(VA, 12) & X86_PTE_ADDR, DATA);
}
END_TEST

START_TEST(pgtable_map_does_not_flush_tlb)
{
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_uint_eq(fake.ninvlpg, 0);
}
END_TEST

START_TEST(pgtable_lookup_returns_the_pte)
{
	uint64_t pte = 0;
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W | X86_PTE_NX), 0);
	ck_assert_int_eq(pgtable_lookup(VA, &pte), 0);
	ck_assert_uint_eq(pte, DATA | X86_PTE_P | X86_PTE_W | X86_PTE_NX);
}
END_TEST

START_TEST(pgtable_lookup_of_unmapped_va_returns_enoent)
{
	uint64_t pte = 0x1234;
	ck_assert_int_eq(pgtable_lookup(VA, &pte), -ENOENT); /* no tables at all */
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_lookup(VA + PG, &pte), -ENOENT); /* empty slot in a PT */
	ck_assert_uint_eq(pte, 0x1234);
}
END_TEST

START_TEST(pgtable_pte_slot_points_into_the_page_table)
{
	const uint64_t *slot = NULL;
	uint64_t before;
	ck_assert_int_eq(pgtable_pte_slot(VA, &slot), -ENOENT); /* no tables at all */
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map(VA + PG, DATA2M, X86_PTE_W), 0);
	before = allocated();
	ck_assert_int_eq(pgtable_pte_slot(VA, &slot), 0);
	ck_assert_ptr_eq(slot, walk(VA, 12));
	ck_assert_uint_eq(slot[0], DATA | X86_PTE_P | X86_PTE_W);
	ck_assert_uint_eq(slot[1], DATA2M | X86_PTE_P | X86_PTE_W); /* the next page's */
	ck_assert_int_eq(pgtable_pte_slot(VA + 2 * PG, &slot), 0);   /* not present: still a slot */
	ck_assert_uint_eq(*slot, 0);
	ck_assert_int_eq(pgtable_map_2m(VA_2M, DATA2M, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_pte_slot(VA_2M + PG, &slot), -EEXIST);
	ck_assert_uint_eq(allocated(), before);
}
END_TEST

START_TEST(pgtable_lookup_allocates_nothing)
{
	uint64_t pte, before = allocated();
	ck_assert_int_eq(pgtable_lookup(VA, &pte), -ENOENT);
	ck_assert_uint_eq(allocated(), before);
	ck_assert_uint_eq(*walk(VA, 39), 0);
}
END_TEST

START_TEST(pgtable_unmap_clears_entry_and_returns_old_pa)
{
	uint64_t old = 0, pte;
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_unmap(VA, &old), 0);
	ck_assert_uint_eq(old, DATA);
	ck_assert_uint_eq(*walk(VA, 12), 0);
	ck_assert_int_eq(pgtable_lookup(VA, &pte), -ENOENT);
}
END_TEST

START_TEST(pgtable_unmap_flushes_tlb_for_that_va)
{
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map(VA + PG, DATA + PG, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_unmap(VA + PG, NULL), 0);
	ck_assert_uint_eq(fake.ninvlpg, 1);
	ck_assert_uint_eq(fake.invlpg[0], VA + PG);
	ck_assert_uint_eq(*walk(VA, 12) & X86_PTE_ADDR, DATA); /* neighbour kept */
}
END_TEST

START_TEST(pgtable_unmap_of_unmapped_va_returns_enoent_without_flush)
{
	ck_assert_int_eq(pgtable_unmap(VA, NULL), -ENOENT); /* no tables at all */
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_unmap(VA + PG, NULL), -ENOENT); /* empty slot in a PT */
	ck_assert_uint_eq(fake.ninvlpg, 0);
}
END_TEST

START_TEST(pgtable_map_after_unmap_succeeds)
{
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_unmap(VA, NULL), 0);
	ck_assert_int_eq(pgtable_map(VA, DATA + PG, 0), 0);
	ck_assert_uint_eq(*walk(VA, 12), (DATA + PG) | X86_PTE_P);
}
END_TEST

START_TEST(pgtable_map_2m_sets_ps_in_pde)
{
	uint64_t before = allocated();
	ck_assert_int_eq(pgtable_map_2m(VA_2M, DATA2M, X86_PTE_W | X86_PTE_NX), 0);
	ck_assert_uint_eq(allocated(), before + 2); /* PDPT and PD, no PT */
	ck_assert_uint_eq(*walk(VA_2M, 21),
			  DATA2M | X86_PTE_P | X86_PTE_W | X86_PTE_NX | X86_PTE_PS);
}
END_TEST

START_TEST(pgtable_map_2m_unaligned_returns_einval)
{
	ck_assert_int_eq(pgtable_map_2m(VA_2M + PG, DATA2M, X86_PTE_W), -EINVAL);
	ck_assert_int_eq(pgtable_map_2m(VA_2M, DATA2M + PG, X86_PTE_W), -EINVAL);
	ck_assert_ptr_null(walk(VA_2M, 21));
}
END_TEST

START_TEST(pgtable_map_2m_twice_returns_eexist)
{
	ck_assert_int_eq(pgtable_map_2m(VA_2M, DATA2M, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map_2m(VA_2M, DATA2M + 2 * MiB, X86_PTE_W), -EEXIST);
	ck_assert_uint_eq(*walk(VA_2M, 21) & X86_PTE_ADDR, DATA2M);
}
END_TEST

START_TEST(pgtable_map_4k_inside_2m_page_returns_eexist)
{
	ck_assert_int_eq(pgtable_map_2m(VA_2M, DATA2M, X86_PTE_W), 0);
	uint64_t before = allocated();
	ck_assert_int_eq(pgtable_map(VA_2M + 5 * PG, DATA, X86_PTE_W), -EEXIST);
	ck_assert_uint_eq(allocated(), before);
	ck_assert_uint_eq(*walk(VA_2M, 21) & X86_PTE_ADDR, DATA2M); /* not split */
}
END_TEST

START_TEST(pgtable_map_2m_over_page_table_returns_eexist)
{
	ck_assert_int_eq(pgtable_map(VA_2M + 5 * PG, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map_2m(VA_2M, DATA2M, X86_PTE_W), -EEXIST);
	ck_assert_uint_eq(*walk(VA_2M + 5 * PG, 12) & X86_PTE_ADDR, DATA);
}
END_TEST

struct cleared {
	unsigned n;
	uint64_t va[8], pa[8];
};

static void record_cleared(uint64_t va, uint64_t pa, void *ctx)
{
	struct cleared *c = ctx;
	ck_assert_uint_lt(c->n, 8);
	c->va[c->n] = va;
	c->pa[c->n++] = pa;
}

/* Pages in three page tables (one 1 GiB away), a range that starts and ends
 * between them: exactly the pages inside are cleared, in order, each
 * flushed; the neighbours outside stay. */
START_TEST(pgtable_unmap_range_clears_exactly_the_mapped_pages_inside)
{
	const uint64_t far = VA + (1ull << 30);
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map(VA + PG, DATA + PG, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map(VA + 5 * PG, DATA + 2 * PG, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map(far, DATA + 3 * PG, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map(far + PG, DATA + 4 * PG, X86_PTE_W), 0);
	struct cleared c = { 0 };
	pgtable_unmap_range(VA + PG, far + PG, record_cleared, &c);
	ck_assert_uint_eq(c.n, 3);
	ck_assert_uint_eq(c.va[0], VA + PG);
	ck_assert_uint_eq(c.pa[0], DATA + PG);
	ck_assert_uint_eq(c.va[1], VA + 5 * PG);
	ck_assert_uint_eq(c.va[2], far);
	ck_assert_uint_eq(c.pa[2], DATA + 3 * PG);
	ck_assert_uint_eq(fake.ninvlpg, 3);
	ck_assert_ptr_nonnull(walk(VA, 12));
	ck_assert_uint_eq(*walk(VA, 12) & X86_PTE_ADDR, DATA);
	ck_assert_uint_eq(*walk(far + PG, 12) & X86_PTE_ADDR, DATA + 4 * PG);
	ck_assert(!(*walk(VA + PG, 12) & X86_PTE_P));
}
END_TEST

/* Almost the whole lower half, with nothing mapped in it but one page:
 * done (a page-at-a-time walk would not finish), that page cleared. */
START_TEST(pgtable_unmap_range_over_a_huge_empty_range_finds_the_one_page)
{
	const uint64_t user = 0x0000400000123000ull;
	ck_assert_int_eq(pgtable_map(user, DATA, X86_PTE_W | X86_PTE_U), 0);
	struct cleared c = { 0 };
	pgtable_unmap_range(PG, 0x00007ffffffff000ull, record_cleared, &c);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(c.va[0], user);
	pgtable_unmap_range(PG, PG, record_cleared, &c);   /* empty: nothing */
	ck_assert_uint_eq(c.n, 1);
}
END_TEST

/* A range that runs on past the lower half must not reach the upper half's
 * PML4 slots (which the same index bits name). */
START_TEST(pgtable_unmap_range_stops_at_the_end_of_the_lower_half)
{
	ck_assert_int_eq(pgtable_map(VA, DATA, X86_PTE_W), 0);   /* upper half */
	struct cleared c = { 0 };
	pgtable_unmap_range(PG, 0xfffffffffffff000ull, record_cleared, &c);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_uint_eq(fake.ninvlpg, 0);
	ck_assert_uint_eq(*walk(VA, 12) & X86_PTE_ADDR, DATA);
	pgtable_unmap_range(0x0000900000000000ull, VA + PG, record_cleared, &c);   /* non-canonical start */
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

/* ---- pgtable_visit_range ------------------------------------------------ */

#define VISIT_MAX 16

struct visited {
	unsigned n;
	uint64_t va[VISIT_MAX], pte[VISIT_MAX];
	uint64_t *slot[VISIT_MAX];
};

static void record_visit(uint64_t va, uint64_t *pte, void *ctx)
{
	struct visited *v = ctx;
	ck_assert_uint_lt(v->n, VISIT_MAX);
	v->va[v->n] = va;
	v->pte[v->n] = *pte;
	v->slot[v->n++] = pte;
}

/* A user page table slot that is not present but holds a page, as a
 * PROT_NONE page's does (P clear, the address kept). */
static void set_prot_none(uint64_t va, uint64_t pa)
{
	int err = 0;
	uint64_t *slot = pgtable_pte_alloc(va, &err);
	ck_assert_msg(slot, "pgtable_pte_alloc(%#lx): %d", va, err);
	*slot = pa | X86_PTE_U;
}

/* Present pages, a PROT_NONE page and empty slots in three page tables,
 * two of them 1 GiB apart: the visit gets exactly the nonzero entries in
 * [start, end), each with its own slot, ascending; the ones outside stay
 * unvisited, and nothing is flushed or changed. */
START_TEST(pgtable_visit_range_visits_exactly_the_nonzero_entries_in_range_in_order)
{
	const uint64_t base = 0x0000000040000000ull;   /* 1 GiB, user */
	const uint64_t far = base + (1ull << 30);
	ck_assert_int_eq(pgtable_map(base, DATA, X86_PTE_W | X86_PTE_U), 0);          /* before */
	ck_assert_int_eq(pgtable_map(base + PG, DATA + PG, X86_PTE_W | X86_PTE_U), 0);
	set_prot_none(base + 3 * PG, DATA + 2 * PG);
	ck_assert_int_eq(pgtable_map(base + 511 * PG, DATA + 3 * PG, X86_PTE_U), 0);   /* last of its PT */
	ck_assert_int_eq(pgtable_map(base + 512 * PG, DATA + 4 * PG, X86_PTE_U), 0);   /* next PT */
	ck_assert_int_eq(pgtable_map(far, DATA + 5 * PG, X86_PTE_U | X86_PTE_W), 0);   /* next PD */
	ck_assert_int_eq(pgtable_map(far + PG, DATA + 6 * PG, X86_PTE_U), 0);          /* at end: out */
	struct visited v = { 0 };
	pgtable_visit_range(base + PG, far + PG, record_visit, &v);
	ck_assert_uint_eq(v.n, 5);
	const uint64_t want_va[] = { base + PG, base + 3 * PG, base + 511 * PG, base + 512 * PG, far };
	const uint64_t want_pte[] = {
	    (DATA + PG) | X86_PTE_P | X86_PTE_W | X86_PTE_U,
	    (DATA + 2 * PG) | X86_PTE_U,   /* not present, still visited */
	    (DATA + 3 * PG) | X86_PTE_P | X86_PTE_U,
	    (DATA + 4 * PG) | X86_PTE_P | X86_PTE_U,
	    (DATA + 5 * PG) | X86_PTE_P | X86_PTE_U | X86_PTE_W,
	};
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_msg(v.va[i] == want_va[i], "visit %u: va %#lx, want %#lx", i, v.va[i],
			      want_va[i]);
		ck_assert_msg(v.pte[i] == want_pte[i], "visit %u: pte %#lx, want %#lx", i, v.pte[i],
			      want_pte[i]);
		ck_assert_ptr_eq(v.slot[i], walk(want_va[i], 12));
	}
	ck_assert_uint_eq(fake.ninvlpg, 0);
	ck_assert_uint_eq(*walk(base, 12), DATA | X86_PTE_P | X86_PTE_W | X86_PTE_U);
	ck_assert_uint_eq(*walk(far + PG, 12), (DATA + 6 * PG) | X86_PTE_P | X86_PTE_U);
}
END_TEST

/* A range inside one page table is visited through that table alone: the
 * same entries, slots and order as the descent gives. */
START_TEST(pgtable_visit_range_inside_one_page_table_visits_the_same_entries)
{
	const uint64_t base = 0x0000000040000000ull;
	ck_assert_int_eq(pgtable_map(base, DATA, X86_PTE_U), 0);   /* before: out */
	ck_assert_int_eq(pgtable_map(base + PG, DATA + PG, X86_PTE_U), 0);
	set_prot_none(base + 3 * PG, DATA + 2 * PG);
	ck_assert_int_eq(pgtable_map(base + 511 * PG, DATA + 3 * PG, X86_PTE_U), 0);
	ck_assert_int_eq(pgtable_map(base + 512 * PG, DATA + 4 * PG, X86_PTE_U), 0);   /* next PT */
	struct visited v = { 0 };
	pgtable_visit_range(base + PG, base + 512 * PG, record_visit, &v);   /* to the PT's end */
	const uint64_t want_va[] = { base + PG, base + 3 * PG, base + 511 * PG };
	ck_assert_uint_eq(v.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(v.va[i], want_va[i]);
		ck_assert_ptr_eq(v.slot[i], walk(want_va[i], 12));
	}
	v.n = 0;
	pgtable_visit_range(base + 2 * PG, base + 4 * PG, record_visit, &v);
	ck_assert_uint_eq(v.n, 1);
	ck_assert_uint_eq(v.va[0], base + 3 * PG);
	ck_assert_uint_eq(v.pte[0], (DATA + 2 * PG) | X86_PTE_U);
	v.n = 0;
	pgtable_visit_range(base + 513 * PG, base + 600 * PG, record_visit, &v);   /* empty part */
	pgtable_visit_range(base + (1ull << 30), base + (1ull << 30) + PG, record_visit, &v);   /* no PT */
	ck_assert_uint_eq(v.n, 0);
	ck_assert_uint_eq(fake.ninvlpg, 0);
}
END_TEST

/* An empty range, a range of empty slots, a range with no tables: no call. */
START_TEST(pgtable_visit_range_of_empty_slots_calls_nothing)
{
	ck_assert_int_eq(pgtable_map(0x400000, DATA, X86_PTE_U), 0);
	struct visited v = { 0 };
	pgtable_visit_range(0x400000, 0x400000, record_visit, &v);   /* empty */
	pgtable_visit_range(0x401000, 0x600000, record_visit, &v);   /* rest of the PT */
	pgtable_visit_range(0x600000, 0x40000000, record_visit, &v); /* no PTs */
	pgtable_visit_range(0x500000, 0x400000, record_visit, &v);   /* end before start */
	ck_assert_uint_eq(v.n, 0);
}
END_TEST

struct prot_change {
	unsigned n;
	uint64_t clear;
};

/* What mprotect does: drop a bit from every visited entry. */
static void clear_bits(uint64_t va, uint64_t *pte, void *ctx)
{
	struct prot_change *c = ctx;
	(void)va;
	*pte &= ~c->clear;
	c->n++;
}

START_TEST(pgtable_visit_range_lets_the_callback_rewrite_entries)
{
	const uint64_t base = 0x400000;
	ck_assert_int_eq(pgtable_map(base, DATA, X86_PTE_W | X86_PTE_U), 0);
	ck_assert_int_eq(pgtable_map(base + PG, DATA + PG, X86_PTE_W | X86_PTE_U), 0);
	ck_assert_int_eq(pgtable_map(base + 2 * PG, DATA + 2 * PG, X86_PTE_W | X86_PTE_U), 0);
	struct prot_change c = { 0, X86_PTE_W };
	pgtable_visit_range(base, base + 2 * PG, clear_bits, &c);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(*walk(base, 12), DATA | X86_PTE_P | X86_PTE_U);
	ck_assert_uint_eq(*walk(base + PG, 12), (DATA + PG) | X86_PTE_P | X86_PTE_U);
	ck_assert_uint_eq(*walk(base + 2 * PG, 12), (DATA + 2 * PG) | X86_PTE_P | X86_PTE_W | X86_PTE_U);
	/* P cleared (PROT_NONE): the entry keeps its page and is still visited */
	c = (struct prot_change){ 0, X86_PTE_P };
	pgtable_visit_range(base, base + PG, clear_bits, &c);
	ck_assert_uint_eq(*walk(base, 12), DATA | X86_PTE_U);
	uint64_t pte;
	ck_assert_int_eq(pgtable_lookup(base, &pte), -ENOENT);
	struct visited v = { 0 };
	pgtable_visit_range(base, base + PG, record_visit, &v);
	ck_assert_uint_eq(v.n, 1);
	ck_assert_uint_eq(v.pte[0], DATA | X86_PTE_U);
	ck_assert_uint_eq(fake.ninvlpg, 0);   /* flushing is the callback's job */
}
END_TEST

/* The lower half with three pages far apart: found in order, the missing
 * tables between them skipped (a page-at-a-time walk would not finish),
 * and the walk allocates nothing. */
START_TEST(pgtable_visit_range_skips_missing_tables_over_a_huge_range)
{
	const uint64_t a = 0x0000000000401000ull;
	const uint64_t b = 0x0000200000000000ull;
	const uint64_t c = 0x00007ffffffff000ull;   /* the last user page */
	ck_assert_int_eq(pgtable_map(a, DATA, X86_PTE_U), 0);
	ck_assert_int_eq(pgtable_map(b, DATA + PG, X86_PTE_U), 0);
	set_prot_none(c, DATA + 2 * PG);
	uint64_t before = allocated();
	struct visited v = { 0 };
	pgtable_visit_range(0, 0x0000800000000000ull, record_visit, &v);
	ck_assert_uint_eq(v.n, 3);
	ck_assert_uint_eq(v.va[0], a);
	ck_assert_uint_eq(v.va[1], b);
	ck_assert_uint_eq(v.va[2], c);
	ck_assert_uint_eq(v.pte[2], (DATA + 2 * PG) | X86_PTE_U);
	ck_assert_uint_eq(allocated(), before);
}
END_TEST

/* Large pages are not 4 KiB entries: neither they nor what they map. */
START_TEST(pgtable_visit_range_leaves_large_pages_alone)
{
	ck_assert_int_eq(pgtable_map_2m(VA_2M, DATA2M, X86_PTE_W), 0);
	ck_assert_int_eq(pgtable_map(VA_2M + 2 * MiB, DATA, X86_PTE_W), 0);
	struct visited v = { 0 };
	pgtable_visit_range(VA_2M, VA_2M + 4 * MiB, record_visit, &v);
	ck_assert_uint_eq(v.n, 1);
	ck_assert_uint_eq(v.va[0], VA_2M + 2 * MiB);
}
END_TEST

/* ---- pgtable_pte_alloc -------------------------------------------------- */

START_TEST(pgtable_pte_alloc_allocates_missing_tables_with_the_user_bit)
{
	const uint64_t va = 0x0000000000403000ull;
	uint64_t before = allocated();
	int err = 1234;
	uint64_t *slot = pgtable_pte_alloc(va, &err);
	ck_assert_ptr_nonnull(slot);
	ck_assert_uint_eq(allocated(), before + 3);
	ck_assert_uint_eq(fake.npage_zero, 3);
	for (unsigned l = 0; l < 3; l++) {
		uint64_t e = *walk(va, shifts[l]);
		ck_assert_msg((e & ~X86_PTE_ADDR) == (X86_PTE_P | X86_PTE_W | X86_PTE_U),
			      "level %u entry %#lx: want P|W|U", l, e);
		ck_assert(page_is_usable(e & X86_PTE_ADDR));
	}
	ck_assert_ptr_eq(slot, walk(va, 12));
	ck_assert_uint_eq(*slot, 0);   /* the slot itself is left alone */
	ck_assert_uint_eq(fake.ninvlpg, 0);
}
END_TEST

START_TEST(pgtable_pte_alloc_returns_the_slot_pgtable_pte_slot_finds)
{
	const uint64_t va = 0x0000000000403000ull;
	int err = 0;
	uint64_t *slot = pgtable_pte_alloc(va, &err);
	ck_assert_ptr_nonnull(slot);
	const uint64_t *found = NULL;
	ck_assert_int_eq(pgtable_pte_slot(va, &found), 0);
	ck_assert_ptr_eq(found, slot);
	/* A store through it is a mapping */
	*slot = DATA | X86_PTE_P | X86_PTE_U;
	uint64_t pte;
	ck_assert_int_eq(pgtable_lookup(va, &pte), 0);
	ck_assert_uint_eq(pte, DATA | X86_PTE_P | X86_PTE_U);
	/* Again, and for the neighbour: the same table, nothing allocated */
	uint64_t before = allocated();
	ck_assert_ptr_eq(pgtable_pte_alloc(va, &err), slot);
	ck_assert_ptr_eq(pgtable_pte_alloc(va + PG, &err), slot + 1);
	ck_assert_uint_eq(allocated(), before);
}
END_TEST

START_TEST(pgtable_pte_alloc_sets_the_user_bit_on_existing_kernel_tables)
{
	ck_assert_int_eq(pgtable_map(0x400000, DATA, X86_PTE_W), 0);   /* tables without U */
	uint64_t before = allocated();
	int err = 0;
	uint64_t *slot = pgtable_pte_alloc(0x401000, &err);
	ck_assert_ptr_eq(slot, walk(0x401000, 12));
	ck_assert_uint_eq(allocated(), before);
	for (unsigned l = 0; l < 3; l++)
		ck_assert_msg(*walk(0x401000, shifts[l]) & X86_PTE_U, "level %u lacks U", l);
}
END_TEST

START_TEST(pgtable_pte_alloc_refuses_addresses_outside_the_lower_half)
{
	uint64_t before = allocated();
	int err = 0;
	ck_assert_ptr_null(pgtable_pte_alloc(0x0000800000000000ull, &err));
	ck_assert_int_eq(err, -EINVAL);
	err = 0;
	ck_assert_ptr_null(pgtable_pte_alloc(0x8000000000001000ull, &err));
	ck_assert_int_eq(err, -EINVAL);
	err = 0;
	ck_assert_ptr_null(pgtable_pte_alloc(0x00007fff00000000ull | (1ull << 52), &err));
	ck_assert_int_eq(err, -EINVAL);
	err = 0;   /* canonical, but the kernel's half */
	ck_assert_ptr_null(pgtable_pte_alloc(0xffff800000123000ull, &err));
	ck_assert_int_eq(err, -EINVAL);
	ck_assert_uint_eq(allocated(), before);
	ck_assert_uint_eq(*walk(0, 39), 0);
	ck_assert_uint_eq(*walk(0xffff800000000000ull, 39), 0);   /* slot 256 untouched */
	ck_assert_ptr_nonnull(pgtable_pte_alloc(0x00007ffffffff000ull, &err));   /* the last one */
}
END_TEST

START_TEST(pgtable_pte_alloc_inside_a_2m_page_returns_eexist)
{
	const uint64_t va = 0x0000000040000000ull;   /* a user 2 MiB page */
	ck_assert_int_eq(pgtable_map_2m(va, DATA2M, X86_PTE_W | X86_PTE_U), 0);
	int err = 0;
	ck_assert_ptr_null(pgtable_pte_alloc(va + 3 * PG, &err));
	ck_assert_int_eq(err, -EEXIST);
	ck_assert_uint_eq(*walk(va, 21) & X86_PTE_ADDR, DATA2M);   /* not split */
}
END_TEST

START_TEST(pgtable_pte_alloc_without_free_pages_returns_enomem)
{
	while (page_alloc())
		;
	int err = 0;
	ck_assert_ptr_null(pgtable_pte_alloc(0x400000, &err));
	ck_assert_int_eq(err, -ENOMEM);
}
END_TEST

/* The walk remembers the last page table it reached. An address space
 * whose tables are freed is forgotten; a new one in the same PML4 page
 * must get its own tables, not the old space's. */
START_TEST(pgtable_pte_alloc_after_pgtable_forget_walks_the_new_tables)
{
	const uint64_t va = 0x0000000000403000ull;
	int err = 0;
	uint64_t *old = pgtable_pte_alloc(va, &err);
	ck_assert_ptr_nonnull(old);
	ck_assert_ptr_eq(pgtable_pte_alloc(va + PG, &err), old + 1);   /* remembered */
	ck_assert_ptr_eq(pgtable_pte_find_in(PML4_PA, va + 2 * PG), old + 2);
	/* the space goes; a new one starts from an empty PML4 in that page */
	pgtable_forget(PML4_PA);
	memset(fake_ptr(PML4_PA), 0, PG);
	ck_assert_ptr_null(pgtable_pte_find_in(PML4_PA, va));   /* walked: nothing there */
	uint64_t before = allocated();
	uint64_t *slot = pgtable_pte_alloc(va, &err);
	ck_assert_ptr_nonnull(slot);
	ck_assert_uint_eq(allocated(), before + 3);   /* walked, tables made */
	ck_assert_ptr_eq(slot, walk(va, 12));
	ck_assert_ptr_ne(slot, old);
}
END_TEST

START_TEST(pgtable_pte_find_in_another_space_does_not_use_the_remembered_table)
{
	const uint64_t va = 0x0000000000403000ull, other = PML4_PA + PG;
	int err = 0;
	ck_assert_ptr_nonnull(pgtable_pte_alloc(va, &err));
	/* another (empty) space: nothing there */
	ck_assert_ptr_null(pgtable_pte_find_in(other, va));
	uint64_t *in_other = pgtable_pte_alloc_in(other, va, &err);
	ck_assert_ptr_nonnull(in_other);
	ck_assert_ptr_ne(in_other, pgtable_pte_find_in(PML4_PA, va));
	ck_assert_ptr_eq(pgtable_pte_find_in(PML4_PA, va), walk(va, 12));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest_pgtable");
	const TTest *t[] = {
	    pgtable_map_4k_walk_finds_pa_and_flags,
	    pgtable_map_takes_intermediate_tables_from_allocator,
	    pgtable_map_claims_each_new_table_once,
	    pgtable_map_zeroes_new_tables,
	    pgtable_map_next_page_reuses_tables,
	    pgtable_map_of_mapped_va_returns_eexist_and_keeps_old,
	    pgtable_map_unaligned_returns_einval,
	    pgtable_map_non_canonical_va_returns_einval,
	    pgtable_map_without_free_pages_returns_enomem,
	    pgtable_map_user_page_sets_u_on_every_level,
	    pgtable_map_user_page_sets_u_on_existing_tables,
	    pgtable_map_uses_cr3_address_bits_only,
	    pgtable_map_does_not_flush_tlb,
	    pgtable_lookup_returns_the_pte,
	    pgtable_lookup_of_unmapped_va_returns_enoent,
	    pgtable_lookup_allocates_nothing,
	    pgtable_pte_slot_points_into_the_page_table,
	    pgtable_unmap_clears_entry_and_returns_old_pa,
	    pgtable_unmap_flushes_tlb_for_that_va,
	    pgtable_unmap_range_clears_exactly_the_mapped_pages_inside,
	    pgtable_unmap_range_over_a_huge_empty_range_finds_the_one_page,
	    pgtable_unmap_range_stops_at_the_end_of_the_lower_half,
	    pgtable_unmap_of_unmapped_va_returns_enoent_without_flush,
	    pgtable_map_after_unmap_succeeds,
	    pgtable_map_2m_sets_ps_in_pde,
	    pgtable_map_2m_unaligned_returns_einval,
	    pgtable_map_2m_twice_returns_eexist,
	    pgtable_map_4k_inside_2m_page_returns_eexist,
	    pgtable_map_2m_over_page_table_returns_eexist,
	    pgtable_visit_range_visits_exactly_the_nonzero_entries_in_range_in_order,
	    pgtable_visit_range_of_empty_slots_calls_nothing,
	    pgtable_visit_range_inside_one_page_table_visits_the_same_entries,
	    pgtable_visit_range_lets_the_callback_rewrite_entries,
	    pgtable_visit_range_skips_missing_tables_over_a_huge_range,
	    pgtable_visit_range_leaves_large_pages_alone,
	    pgtable_pte_alloc_allocates_missing_tables_with_the_user_bit,
	    pgtable_pte_alloc_returns_the_slot_pgtable_pte_slot_finds,
	    pgtable_pte_alloc_sets_the_user_bit_on_existing_kernel_tables,
	    pgtable_pte_alloc_refuses_addresses_outside_the_lower_half,
	    pgtable_pte_alloc_inside_a_2m_page_returns_eexist,
	    pgtable_pte_alloc_without_free_pages_returns_enomem,
	    pgtable_pte_alloc_after_pgtable_forget_walks_the_new_tables,
	    pgtable_pte_find_in_another_space_does_not_use_the_remembered_table,
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		TCase *tc = tcase_create(t[i]->name);
		tcase_add_checked_fixture(tc, setup, fake_teardown);
		tcase_add_test(tc, t[i]);
		suite_add_tcase(s, tc);
	}
	return fake_run(s);
}
