/* Page tables of the current address space (4-level, walked from CR3
 * through the direct map). Flags are X86_PTE_* bits; P is implied. */
#ifndef GUEST_MM_PGTABLE_H
#define GUEST_MM_PGTABLE_H

#include <stdint.h>

int pgtable_map(uint64_t va, uint64_t pa, uint64_t flags);      /* 4 KiB */
int pgtable_map_2m(uint64_t va, uint64_t pa, uint64_t flags);   /* 2 MiB */
int pgtable_unmap(uint64_t va, uint64_t *old_pa);               /* 4 KiB */
int pgtable_lookup(uint64_t va, uint64_t *pte);

#endif
