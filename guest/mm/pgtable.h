/* Page tables of the current address space (4-level, walked from CR3
 * through the direct map). Flags are X86_PTE_* bits; P is implied. */
#ifndef GUEST_MM_PGTABLE_H
#define GUEST_MM_PGTABLE_H

#include <stdint.h>

int pgtable_map(uint64_t va, uint64_t pa, uint64_t flags);      /* 4 KiB */
int pgtable_map_2m(uint64_t va, uint64_t pa, uint64_t flags);   /* 2 MiB */
int pgtable_unmap(uint64_t va, uint64_t *old_pa);               /* 4 KiB */
int pgtable_lookup(uint64_t va, uint64_t *pte);
/* Clear the 4 KiB entries in [start, end), page aligned; fn gets each
 * cleared va and the page it held, after its TLB entry is flushed. */
typedef void (*pgtable_unmap_fn)(uint64_t va, uint64_t pa, void *ctx);
void pgtable_unmap_range(uint64_t start, uint64_t end, pgtable_unmap_fn fn, void *ctx);
/* The 4 KiB PTE slot for va (present or not), without allocating: -ENOENT
 * when a table on the way is missing, -EEXIST for a large page on the way.
 * The slots of the other pages of va's 2 MiB follow it in the same table;
 * the pointer stays valid while that table is mapped. */
int pgtable_pte_slot(uint64_t va, const uint64_t **slot);
/* fn gets every nonzero 4 KiB entry in [start, end) (present, or not
 * present but holding a page, as PROT_NONE pages do) and may rewrite it;
 * flushing the TLB entry of what it changes is fn's job. */
typedef void (*pgtable_visit_fn)(uint64_t va, uint64_t *pte, void *ctx);
void pgtable_visit_range(uint64_t start, uint64_t end, pgtable_visit_fn fn, void *ctx);
/* The 4 KiB entry slot for user address va (lower half), allocating
 * missing tables with the user bit: NULL and *err (-ENOMEM, -EEXIST,
 * -EINVAL for anything outside the lower half). */
uint64_t *pgtable_pte_alloc(uint64_t va, int *err);
/* The same in the space whose PML4 is at physical address pml4 (fork
 * fills a child's tables while the parent's are current). */
uint64_t *pgtable_pte_alloc_in(uint64_t pml4, uint64_t va, int *err);
/* The existing 4 KiB entry slot for user address va in that space, or
 * NULL when a table on the way is missing (nothing is allocated). */
uint64_t *pgtable_pte_find_in(uint64_t pml4, uint64_t va);
/* Large user entries: a 2 MiB page of the page cache mapped read-only by
 * one PDE (kernel/fault.c). They map only clean file pages that can be
 * read back at any time, so anything that needs the 4 KiB entries of such
 * a region drops the large entry instead of splitting it: the visits
 * above clear it (calling mm_large_unmapped), and the next access faults
 * the pages in again. */
/* The PD entry for user address va, allocating missing upper tables:
 * NULL and *err as pgtable_pte_alloc. */
uint64_t *pgtable_pde_alloc(uint64_t va, int *err);
/* The same in the space at pml4, without allocating: NULL if missing. */
uint64_t *pgtable_pde_find_in(uint64_t pml4, uint64_t va);
/* Clears a large entry of the current space (va inside it) and flushes it. */
void pgtable_drop_large(uint64_t *pde, uint64_t va);
/* The 4 KiB entry a large entry on the way to va stands for (its bits
 * without PS, the address of va's page), or 0 if there is none. */
uint64_t pgtable_large_pte(uint64_t va);
/* The tables of the space at pml4 are about to be freed: the walks above
 * remember the last page table they reached, and must not any longer. */
void pgtable_forget(uint64_t pml4);

#endif
