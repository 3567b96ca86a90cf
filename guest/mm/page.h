/* Physical page allocator: a bump frontier over the usable RAM ranges plus
 * a LIFO free list threaded through the free pages themselves. Init costs
 * O(ranges), never O(pages). Physical address 0 means "no page". */
#ifndef GUEST_MM_PAGE_H
#define GUEST_MM_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_RANGES_MAX   32
#define PAGE_RESERVED_MAX 8

struct page_stats {
	uint64_t total;      /* pages handed to the allocator */
	uint64_t allocated;  /* currently out */
	uint64_t listed;     /* on the free list (the rest is behind the frontier) */
	uint64_t zero_skipped;   /* page_alloc_zeroed: never used, so already zero */
	uint64_t zero_wrong;     /* ... checked (page_set_ram_zero) and found not zero */
};

/* Call page_reserve() for every hole first, then page_add_range(). */
int page_reserve(uint64_t start, uint64_t end);
int page_add_range(uint64_t start, uint64_t end);
uint64_t page_alloc(void);
/* A page of zeros. Zeroing costs an exit or ~500 emulated instructions on
 * kvm-pvm; a page never handed out before needs none when the loader said
 * RAM reads as zero (page_set_ram_zero). */
uint64_t page_alloc_zeroed(void);
/* npages physically contiguous pages at a multiple of align (a power of two,
 * at least a page), never used before, so zero when RAM is said to be; 0
 * when no frontier has such a run left. Not for page_free. */
uint64_t page_alloc_run(uint64_t npages, uint64_t align);
/* The same, zero: nothing to do when RAM is said to be. */
uint64_t page_alloc_run_zeroed(uint64_t npages, uint64_t align);
/* zero: RAM outside the reserved ranges reads as zero (mv_boot.h
 * MV_BOOT_F_RAM_ZERO). check: still look at every such page, zero it and
 * count it in zero_wrong if it is not (for tests of that promise). */
void page_set_ram_zero(bool zero, bool check);
int page_free(uint64_t pa);
bool page_is_usable(uint64_t pa);
/* End of the highest usable range (0 if none). */
uint64_t page_top(void);
void page_get_stats(struct page_stats *st);

/* Whole-page operations (arch/x86/page_ops.c). */
void page_ops_init(bool use_hypercalls);
bool page_ops_paravirt(void);

/* Byte ranges by physical address (arch/x86/page_ops.c): the host copies
 * them (MV_HC_MEM_COPY) when kernel code is emulated; phys_copy() is
 * -ENOSYS otherwise, and the caller copies with instructions. */
bool phys_copy_available(void);
long phys_copy(uint64_t dst, uint64_t src, size_t n);
/* Physical address of [va, va + n) when it lies in the direct map or the
 * kernel image, where it is one physical run; false otherwise. */
bool kernel_range_to_phys(const void *va, size_t n, uint64_t *pa);
/* Kernel to kernel, no overlap: the host's copy where memcpy would use it,
 * else one `rep movsb` (cheaper than memcpy's byte loop when emulated, and
 * than an exit on hardware KVM). */
void kernel_copy(void *dst, const void *src, size_t n);
/* How many of the n 32-bit words at va (kernel memory, 4-byte aligned) go
 * first, first + 1, ..., counted by the host (MV_HC_WORD_RUN, one exit);
 * -ENOSYS when it cannot (no paravirtual port, or va not in one physical
 * run): the caller counts. */
long kernel_word_run(const void *va, uint32_t n, uint32_t first);

#endif
