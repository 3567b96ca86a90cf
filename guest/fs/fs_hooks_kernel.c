/* fs/fs_hooks.h in the kernel. The block I/O hooks blk_read, blk_write and
 * blk_flush are the block layer itself (kernel/blk.c): the dev pointer
 * the file system holds is a struct blk_dev *. */
#include "fs/fs_hooks.h"

#include "kernel/time.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mv_boot.h"

/* The wall clock (kernel/time.c); ext2 keeps 32-bit seconds, which last
 * until 2106 read as unsigned. */
uint32_t fs_now(void)
{
	return (uint32_t)(time_real_ns() / 1000000000u);
}

void *fs_page_alloc(void)
{
	uint64_t pa = page_alloc();

	return pa ? phys_to_virt(pa) : NULL;
}

/* Inverse of phys_to_virt(): pages come from the direct map. */
void fs_page_free(void *page)
{
	if (page)
		page_free((uint64_t)page - MV_DIRECT_MAP_BASE);
}

void *fs_pages_alloc_run(size_t npages, size_t align, bool zero)
{
	uint64_t pa = zero ? page_alloc_run_zeroed(npages, align) : page_alloc_run(npages, align);

	return pa ? phys_to_virt(pa) : NULL;
}

/* An exit against ~2 emulated instructions a word (kvm-pvm): the host's
 * count pays from a few dozen words on. */
#define FS_WORD_RUN_MIN 32u

long fs_word_run(const void *p, uint32_t n, uint32_t first)
{
	if (n < FS_WORD_RUN_MIN)
		return -1;
	long r = kernel_word_run(p, n, first);
	return r < 0 ? -1 : r;
}

void fs_page_zero(void *page)
{
	page_zero((uint64_t)page - MV_DIRECT_MAP_BASE);
}
