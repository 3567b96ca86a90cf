/* fs/fs_hooks.h in the kernel. There is no block driver yet, so every
 * device access fails with -ENODEV and nothing mounts; the virtio-blk
 * driver will replace the three blk_* functions. */
#include "fs/fs_hooks.h"

#include "lib/errno.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mv_boot.h"

int blk_read(void *dev, uint64_t byte_off, void *buf, size_t len)
{
	(void)dev, (void)byte_off, (void)buf, (void)len;
	return -ENODEV;
}

int blk_write(void *dev, uint64_t byte_off, const void *buf, size_t len)
{
	(void)dev, (void)byte_off, (void)buf, (void)len;
	return -ENODEV;
}

int blk_flush(void *dev)
{
	(void)dev;
	return -ENODEV;
}

/* No wall clock reaches the guest yet: timestamps read as the epoch. */
uint32_t fs_now(void)
{
	return 0;
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
