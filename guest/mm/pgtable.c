/* Page-table walks (Intel SDM Vol. 3A 4.5). Missing intermediate tables are
 * allocated and zeroed; a large page in the way of a smaller mapping is an
 * error, not something to split silently. A large user page (pgtable.h)
 * met by a visit is dropped. */
#include <stdbool.h>

#include "lib/errno.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "x86.h"

#define PGTABLE_TOP_SHIFT 39
#define PGTABLE_LEVEL_BITS 9
#define PGTABLE_2M_SHIFT 21
#define PGTABLE_LOWER_END (1ull << 47)   /* first non-canonical address */

static uint64_t *pgtable_pte_find_err(uint64_t pml4, uint64_t va, int *err);

static uint64_t *pgtable_table(uint64_t entry)
{
	return phys_to_virt(entry & X86_PTE_ADDR);
}

/* Returns the entry for va at the level whose pages are 1 << leaf_shift,
 * or 0 with *err set. */
static uint64_t *pgtable_walk_in(uint64_t root, uint64_t va, unsigned leaf_shift, bool alloc,
				 uint64_t user, int *err)
{
	uint64_t *table = pgtable_table(root);

	for (unsigned shift = PGTABLE_TOP_SHIFT; shift > leaf_shift; shift -= PGTABLE_LEVEL_BITS) {
		uint64_t *e = &table[(va >> shift) & (X86_PT_ENTRIES - 1)];
		if (!(*e & X86_PTE_P)) {
			if (!alloc) {
				*err = -ENOENT;
				return 0;
			}
			uint64_t pa = page_alloc_zeroed();
			if (!pa) {
				*err = -ENOMEM;
				return 0;
			}
			page_table_claim(pa);
			*e = pa | X86_PTE_P | X86_PTE_W | user;
		} else if (*e & X86_PTE_PS) {
			*err = -EEXIST;
			return 0;
		} else if (user & ~*e) {
			/* Only when U is missing: a lookup must not store into a
			 * page table, which the shadow MMU traps (docs/platform.md). */
			*e |= user;
		}
		table = pgtable_table(*e);
	}
	return &table[(va >> leaf_shift) & (X86_PT_ENTRIES - 1)];
}

static uint64_t *pgtable_walk(uint64_t va, unsigned leaf_shift, bool alloc, uint64_t user,
			      int *err)
{
	return pgtable_walk_in(arch_read_cr3(), va, leaf_shift, alloc, user, err);
}

/* Bits 63..47 all equal (SDM 3A 4.5): anything else would alias another
 * PML4 slot, e.g. user 0x0000800000000000 onto the direct map. */
static bool pgtable_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

static int pgtable_set(uint64_t va, uint64_t pa, uint64_t flags, unsigned shift, uint64_t ps)
{
	uint64_t size = 1ull << shift;
	int err = 0;

	if ((va | pa) & (size - 1) || !pgtable_canonical(va))
		return -EINVAL;
	uint64_t *e = pgtable_walk(va, shift, true, flags & X86_PTE_U, &err);
	if (!e)
		return err;
	if (*e & X86_PTE_P)
		return -EEXIST;
	*e = pa | flags | ps | X86_PTE_P;
	return 0;
}

int pgtable_map(uint64_t va, uint64_t pa, uint64_t flags)
{
	return pgtable_set(va, pa, flags, X86_PAGE_SHIFT, 0);
}

int pgtable_map_2m(uint64_t va, uint64_t pa, uint64_t flags)
{
	return pgtable_set(va, pa, flags, PGTABLE_2M_SHIFT, X86_PTE_PS);
}

/* Read-only and short: the user-copy path looks up the pages it copies,
 * and each instruction here is emulated on kvm-pvm. Stores are avoided on
 * purpose: the shadow MMU traps every store into a page table. */
int pgtable_pte_slot(uint64_t va, const uint64_t **slot)
{
	/* phys_to_virt is linear: one call for the base, not one a level */
	const uint8_t *base = phys_to_virt(0);
	uint64_t e = arch_read_cr3();

	for (unsigned shift = PGTABLE_TOP_SHIFT; shift > X86_PAGE_SHIFT;
	     shift -= PGTABLE_LEVEL_BITS) {
		e = ((const uint64_t *)(base + (e & X86_PTE_ADDR)))[(va >> shift) &
								     (X86_PT_ENTRIES - 1)];
		if (!(e & X86_PTE_P))
			return -ENOENT;
		if (e & X86_PTE_PS)
			return -EEXIST;
	}
	*slot = (const uint64_t *)(base + (e & X86_PTE_ADDR)) +
		((va >> X86_PAGE_SHIFT) & (X86_PT_ENTRIES - 1));
	return 0;
}

int pgtable_lookup(uint64_t va, uint64_t *pte)
{
	const uint64_t *slot;
	int err = pgtable_pte_slot(va, &slot);

	if (err)
		return err;
	if (!(*slot & X86_PTE_P))
		return -ENOENT;
	*pte = *slot;
	return 0;
}

int pgtable_unmap(uint64_t va, uint64_t *old_pa)
{
	int err = 0;
	uint64_t *e = pgtable_walk(va, X86_PAGE_SHIFT, false, 0, &err);

	if (!e)
		return err;
	if (!(*e & X86_PTE_P))
		return -ENOENT;
	if (old_pa)
		*old_pa = *e & X86_PTE_ADDR;
	*e = 0;
	arch_invlpg(va);
	return 0;
}

/* The entries of one page table from va to end or the table's end: the
 * loop every visit spends most of its instructions in, kept plain. */
static void pgtable_visit_pt(uint64_t *pt, uint64_t va, uint64_t end, pgtable_visit_fn fn,
			     void *ctx)
{
	uint64_t next = (va & ~((1ull << PGTABLE_2M_SHIFT) - 1)) + (1ull << PGTABLE_2M_SHIFT);
	uint64_t stop = next && next < end ? next : end;   /* next is 0 past the top */
	uint64_t *pte = &pt[(va >> X86_PAGE_SHIFT) & (X86_PT_ENTRIES - 1)];

	for (; va < stop; va = (va & ~(uint64_t)(X86_PAGE_SIZE - 1)) + X86_PAGE_SIZE, pte++)
		if (*pte)
			fn(va, pte, ctx);
}

/* Visit every nonzero 4 KiB entry in [start, end) (present, or holding a
 * page while not present: PROT_NONE). One descent per page table, not per
 * page: a level that is missing skips everything it would have mapped, so
 * a huge, mostly empty range costs what is mapped in it (each instruction
 * here is emulated on kvm-pvm). Large user pages are dropped, the
 * kernel's left alone. */
static void pgtable_visit_level(uint64_t *table, unsigned shift, uint64_t va, uint64_t end,
				pgtable_visit_fn fn, void *ctx)
{
	uint64_t size = 1ull << shift;

	for (unsigned i = (va >> shift) & (X86_PT_ENTRIES - 1); i < X86_PT_ENTRIES && va < end;
	     i++) {
		uint64_t next = (va & ~(size - 1)) + size;   /* 0 past the top */
		uint64_t *e = &table[i];
		if ((*e & X86_PTE_PS) && shift == PGTABLE_2M_SHIFT && va < PGTABLE_LOWER_END) {
			pgtable_drop_large(e, va);
		} else if (!(*e & X86_PTE_P) || (*e & X86_PTE_PS)) {
			/* nothing below, or a kernel large page: left alone */
		} else if (shift == PGTABLE_2M_SHIFT) {
			pgtable_visit_pt(pgtable_table(*e), va, end, fn, ctx);
		} else {
			pgtable_visit_level(pgtable_table(*e), shift - PGTABLE_LEVEL_BITS, va, end,
					    fn, ctx);
		}
		if (!next)
			return;
		va = next;
	}
}

void pgtable_visit_range(uint64_t start, uint64_t end, pgtable_visit_fn fn, void *ctx)
{
	/* The walk indexes PML4 by address bits alone: a range running on into
	 * the non-canonical hole would reach the upper half's slots. Stop at
	 * the end of the half the range starts in. */
	if (!pgtable_canonical(start))
		return;
	if (start < PGTABLE_LOWER_END && end > PGTABLE_LOWER_END)
		end = PGTABLE_LOWER_END;
	if (start >= end)
		return;
	/* A user range inside one page table (munmap, mprotect or madvise of
	 * a few pages): its table, remembered or found by one walk, instead
	 * of a descent that costs ~120 emulated instructions however little
	 * the range holds. */
	if (start < PGTABLE_LOWER_END && !((start ^ (end - 1)) >> PGTABLE_2M_SHIFT)) {
		int err = 0;
		uint64_t *pte = pgtable_pte_find_err(arch_read_cr3(), start, &err);
		if (pte)
			pgtable_visit_pt(pte - ((start >> X86_PAGE_SHIFT) & (X86_PT_ENTRIES - 1)), start,
					 end, fn, ctx);
		if (err != -EEXIST)
			return;   /* else a large page: the descent drops it */
	}
	pgtable_visit_level(pgtable_table(arch_read_cr3()), PGTABLE_TOP_SHIFT, start, end, fn, ctx);
}

struct pgtable_unmap_ctx {
	pgtable_unmap_fn fn;
	void *ctx;
};

static void pgtable_unmap_one(uint64_t va, uint64_t *pte, void *arg)
{
	const struct pgtable_unmap_ctx *c = arg;
	uint64_t old = *pte;

	*pte = 0;
	if (old & X86_PTE_P)
		arch_invlpg(va);
	c->fn(va, old & X86_PTE_ADDR, c->ctx);
}

void pgtable_unmap_range(uint64_t start, uint64_t end, pgtable_unmap_fn fn, void *ctx)
{
	struct pgtable_unmap_ctx c = { fn, ctx };

	pgtable_visit_range(start, end, pgtable_unmap_one, &c);
}


/* The last user page table a walk reached, one for walks that allocate
 * (faults) and one for lookups (the reverse map, which takes pages back
 * from regions the faults left long ago): each comes in runs within one
 * 2 MiB region, and the three upper levels cost ~60 emulated instructions
 * a walk on kvm-pvm. User page tables are freed only with their address
 * space (uvm_destroy calls pgtable_forget), so the entries stay valid. */
enum { PT_ALLOC, PT_FIND, PT_CACHED };
static struct {
	uint64_t root;     /* cr3 value the walk started from */
	uint64_t region;   /* va >> 21 */
	uint64_t *pt;      /* NULL: nothing cached */
} last_pt[PT_CACHED];

static uint64_t *pgtable_cached_pte(unsigned which, uint64_t root, uint64_t va)
{
	if (last_pt[which].pt && last_pt[which].root == root &&
	    last_pt[which].region == va >> PGTABLE_2M_SHIFT)
		return &last_pt[which].pt[(va >> X86_PAGE_SHIFT) & (X86_PT_ENTRIES - 1)];
	return 0;
}

static void pgtable_remember(unsigned which, uint64_t root, uint64_t va, uint64_t *pte)
{
	last_pt[which].root = root;
	last_pt[which].region = va >> PGTABLE_2M_SHIFT;
	last_pt[which].pt = pte - ((va >> X86_PAGE_SHIFT) & (X86_PT_ENTRIES - 1));
}

void pgtable_forget(uint64_t root)
{
	for (unsigned i = 0; i < PT_CACHED; i++)
		if ((last_pt[i].root & X86_PTE_ADDR) == (root & X86_PTE_ADDR))
			last_pt[i].pt = 0;
}

static uint64_t *pgtable_pte_find_err(uint64_t pml4, uint64_t va, int *err)
{
	uint64_t *pte;

	if (va >= PGTABLE_LOWER_END)
		return 0;
	if ((pte = pgtable_cached_pte(PT_FIND, pml4, va)) ||
	    (pte = pgtable_cached_pte(PT_ALLOC, pml4, va)))
		return pte;
	pte = pgtable_walk_in(pml4, va, X86_PAGE_SHIFT, false, 0, err);
	if (pte)
		pgtable_remember(PT_FIND, pml4, va, pte);
	return pte;
}

uint64_t *pgtable_pte_find_in(uint64_t pml4, uint64_t va)
{
	int err = 0;

	return pgtable_pte_find_err(pml4, va, &err);
}

uint64_t *pgtable_pde_alloc(uint64_t va, int *err)
{
	if (va >= PGTABLE_LOWER_END) {
		*err = -EINVAL;
		return 0;
	}
	return pgtable_walk_in(arch_read_cr3(), va, PGTABLE_2M_SHIFT, true, X86_PTE_U, err);
}

uint64_t *pgtable_pde_find_in(uint64_t pml4, uint64_t va)
{
	int err = 0;

	if (va >= PGTABLE_LOWER_END)
		return 0;
	return pgtable_walk_in(pml4, va, PGTABLE_2M_SHIFT, false, 0, &err);
}

void pgtable_drop_large(uint64_t *pde, uint64_t va)
{
	uint64_t old = *pde;

	*pde = 0;
	arch_invlpg(va & ~((1ull << PGTABLE_2M_SHIFT) - 1));
	mm_large_unmapped(old);
}

uint64_t pgtable_large_pte(uint64_t va)
{
	const uint64_t *pde = pgtable_pde_find_in(arch_read_cr3(), va);

	if (!pde || (*pde & (X86_PTE_P | X86_PTE_PS)) != (X86_PTE_P | X86_PTE_PS))
		return 0;
	return (*pde & ~(uint64_t)X86_PTE_PS) |
	       (va & (((1ull << PGTABLE_2M_SHIFT) - 1) & ~(uint64_t)(X86_PAGE_SIZE - 1)));
}

/* A fault's walk: the remembered table when the page is in its region,
 * else the whole walk, out of line (the fast path then needs no frame). */
static __attribute__((noinline)) uint64_t *pgtable_pte_alloc_walk(uint64_t pml4, uint64_t va,
								  int *err)
{
	uint64_t *pte = pgtable_walk_in(pml4, va, X86_PAGE_SHIFT, true, X86_PTE_U, err);

	if (pte)
		pgtable_remember(PT_ALLOC, pml4, va, pte);
	return pte;
}

static inline __attribute__((always_inline)) uint64_t *pgtable_pte_alloc_at(uint64_t pml4,
									    uint64_t va, int *err)
{
	uint64_t *pte;

	/* user addresses only: the upper half's tables are the kernel's */
	if (va >= PGTABLE_LOWER_END) {
		*err = -EINVAL;
		return 0;
	}
	if ((pte = pgtable_cached_pte(PT_ALLOC, pml4, va)))
		return pte;
	return pgtable_pte_alloc_walk(pml4, va, err);
}

uint64_t *pgtable_pte_alloc_in(uint64_t pml4, uint64_t va, int *err)
{
	return pgtable_pte_alloc_at(pml4, va, err);
}

uint64_t *pgtable_pte_alloc(uint64_t va, int *err)
{
	return pgtable_pte_alloc_at(arch_read_cr3(), va, err);
}
