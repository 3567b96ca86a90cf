/* Where a process's VMA array lives once it outgrows the entries inside
 * struct proc: its own slot of a kernel virtual window, with pages mapped
 * as the array grows. Growth extends the array where it is (mm/vma.h's
 * in-place growth), so nothing is copied and no physically contiguous run
 * is needed, and a process reaches Linux's vm.max_map_count (65,530 VMAs,
 * 2.5 MiB of entries).
 *
 * The window is PML4 slot 511 from its start: the kernel's PDPT there is
 * made at boot (include/mv_boot.h's MV_KERNEL_VIRT_BASE uses its entry
 * 510) and every address space shares it (mm/uvm.c), so tables made under
 * it later are seen everywhere. */
#ifndef GUEST_KERNEL_VMA_WINDOW_H
#define GUEST_KERNEL_VMA_WINDOW_H

#include "mm/vma.h"

#define VMA_WINDOW_BASE 0xffffff8000000000ull
#define VMA_WINDOW_SLOT (4ull << 20)   /* 104,857 entries: above the limit */

/* At least `count` entries in slot `slot`, mapping pages from *mapped on
 * (pages already there). Returns the slot's array with *got entries, which
 * may be fewer than count when memory ran out or the slot is full, or NULL
 * when not even one page could be mapped. */
struct vma *vma_window_grow(unsigned slot, unsigned *mapped, unsigned count, unsigned *got);
/* Unmaps and frees the slot's pages. */
void vma_window_release(unsigned slot, unsigned *mapped);

#endif
