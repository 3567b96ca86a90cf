/* Everything fs/ needs from the rest of the machine. The kernel implements
 * these in fs/fs_hooks_kernel.c; a host unit test implements them over an
 * image file (tests/unit_guest/fake_disk.c).
 *
 * Block I/O is by byte offset and length so the file system can touch a
 * single bitmap byte or a 4-byte block pointer without a bounce buffer; a
 * sector-based device rounds out (read-modify-write) underneath. */
#ifndef GUEST_FS_FS_HOOKS_H
#define GUEST_FS_FS_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 0 when all len bytes moved, else a negative errno (-EIO, -ENODEV...). */
int blk_read(void *dev, uint64_t byte_off, void *buf, size_t len);
/* A read the device does while the caller goes on: started (0), or
 * -EOPNOTSUPP / -EBUSY when the caller must read with blk_read() instead
 * (no such device, not whole sectors, one already out), or -errno; then
 * blk_read_finish() waits for it: 0 or -errno. One at a time a device. */
int blk_read_start(void *dev, uint64_t byte_off, void *buf, size_t len);
int blk_read_finish(void *dev);
int blk_write(void *dev, uint64_t byte_off, const void *buf, size_t len);
/* Make every completed write durable. */
int blk_flush(void *dev);
/* len bytes from byte_off (sector aligned; len is rounded up to whole
 * sectors, which must fit in the pages) into consecutive FS_PAGE_SIZE
 * pages from fs_page_alloc(): pages[0] gets the first 4 KiB, pages[1] the
 * next... The device sees as few requests as it can take: pages that are
 * adjacent in physical memory are one segment. This is how a run of file
 * pages, contiguous on the disk, comes in with one request. */
int blk_read_pages(void *dev, uint64_t byte_off, uint8_t *const *pages, size_t len);

/* Seconds since the epoch, for inode and superblock timestamps. */
uint32_t fs_now(void);

/* One 4 KiB, 4 KiB-aligned buffer, or NULL when memory is short (never a
 * panic: the caller returns -ENOMEM). */
#define FS_PAGE_SIZE 4096u
void *fs_page_alloc(void);
void fs_page_free(void *page);
/* npages contiguous pages at a multiple of align, kept for good (never
 * given back), or NULL: the blocks of the page cache's large units and
 * their entries; zeroed if zero (free when RAM came zero). */
void *fs_pages_alloc_run(size_t npages, size_t align, bool zero);
/* How many of the n 32-bit words at p (a block read through blk_read's
 * buffers, 4-byte aligned) go first, first + 1, ...: the check that a
 * block map's pointers are one disk run. -1 when the caller must count
 * itself; the kernel asks the host when its own loop would cost more. */
long fs_word_run(const void *p, uint32_t n, uint32_t first);
/* Zero a whole page from fs_page_alloc(). Its own hook because the kernel
 * has a far cheaper way than a store loop (one hypercall). */
void fs_page_zero(void *page);

#endif
