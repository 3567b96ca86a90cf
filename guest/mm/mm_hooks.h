/* Everything mm/ needs from the machine. The kernel implements these in
 * arch/x86/machine.c; a host unit test provides fakes over a buffer. */
#ifndef GUEST_MM_MM_HOOKS_H
#define GUEST_MM_MM_HOOKS_H

#include <stdint.h>

#ifdef MV_HOSTED
void *phys_to_virt(uint64_t pa);            /* a host test's fake RAM */
uint64_t arch_read_cr3(void);               /* its variable */
#else
#include "arch/x86/cpu.h"
#include "mv_boot.h"
/* Inline because the fault path calls them (phys_to_virt at every
 * page-table level), and on kvm-pvm a call is ~5 emulated instructions. */
static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(pa + MV_DIRECT_MAP_BASE);
}

static inline uint64_t arch_read_cr3(void)
{
	return read_cr3();
}
#endif
uint64_t kernel_virt_to_phys(const void *va); /* image and bss only */
void arch_invlpg(uint64_t va);
/* Whole pages, by physical address: through the hypercall port when kernel
 * code is emulated, plain instructions otherwise (arch/x86/page_ops.c). */
void page_zero(uint64_t pa);
void page_copy(uint64_t dst, uint64_t src);
/* Called on a page about to hold a page table, after it is zeroed or
 * copied and before anything points to it: a shadow MMU may still keep
 * the page's earlier life as a page table, which the host's writes did
 * not show it (arch/x86/page_ops.c). */
void page_table_claim(uint64_t pa);
/* A large user entry (pgtable.h) holding pde was cleared. */
void mm_large_unmapped(uint64_t pde);

#endif
