/* User address spaces: one PML4 per process. The upper half (kernel) is
 * shared with the kernel's own PML4; the lower half starts empty. */
#ifndef GUEST_MM_UVM_H
#define GUEST_MM_UVM_H

#include <stdint.h>

/* Canonical lower half, x86_64 4-level paging (SDM 3A 4.5):
 *
 *   VA                          | what
 *   ----------------------------+-------------------------------------
 *   0 .. UVM_MIN                | never mapped (NULL dereferences fault)
 *   ELF PT_LOADs (0x400000 ...) | program, then brk heap upward
 *   ... UVM_MMAP_TOP            | anonymous mmap, handed out downward
 *   UVM_STACK_TOP - 128 KiB ..  | stack; argv/envp/auxv at the top
 *   UVM_STACK_TOP .. UVM_TOP    | one guard page below the hole
 */
#define UVM_MIN         0x10000ull           /* as Linux's mmap_min_addr */
#define UVM_TOP         0x0000800000000000ull
/* Linux's TASK_SIZE: the last user page is never mapped, and the mmap
 * family measures "too big" against this. */
#define UVM_TASK_SIZE   0x00007ffffffff000ull
#define UVM_STACK_TOP   0x00007ffffffff000ull
#define UVM_STACK_SIZE  (128ull << 10)
#define UVM_MMAP_TOP    0x00007ff000000000ull

/* A new address space (its PML4's physical address), or 0 if out of memory.
 * The first call must be made while the kernel's PML4 is current: later
 * ones (fork) copy that one, not the caller's. */
uint64_t uvm_create(void);
/* Frees the page tables of the user half of a space that is not current;
 * the pages they mapped must have been released already (mm_destroy). */
void uvm_destroy(uint64_t pml4);

#endif
