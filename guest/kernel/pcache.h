/* The page cache: 4 KiB pages of file data keyed by (inode, page index).
 * read() copies out of it, write() updates it, exec copies program pages
 * from it, and file mappings will map its pages.
 *
 * Write-through: write() puts the bytes into the cached page (when the page
 * is cached) and into ext2 in the same call, so a cached page is never
 * dirty, eviction is free, and the disk is current after every write; only
 * the superblock counts wait for sync (ext2.h). A page holds the file's
 * bytes up to its size and zeros after it.
 *
 * The pages come from fs_page_alloc(); at most PCACHE_MAX are held, the
 * least recently used (clock) is reused beyond that or when memory is
 * short. A miss reads ahead when it continues a sequential read (see
 * pcache.c). A pointer from pcache_get()/pcache_find() stays valid until the
 * next pcache_get() or pcache_drop(). */
#ifndef GUEST_KERNEL_PCACHE_H
#define GUEST_KERNEL_PCACHE_H

#include <stdint.h>

#include "fs/ext2.h"

#define PCACHE_PAGE  4096u
#define PCACHE_SHIFT 12u
#define PCACHE_MAX   2048u   /* 8 MiB */

struct pcache_stats {
	uint64_t hits, misses, evictions;
	uint64_t readahead;       /* pages read beyond the one a miss asked for */
	uint32_t pages;          /* held now */
};

/* The page idx of inode ino, read from fs on a miss (bytes past the end of
 * the file read as zeros). 0 or -errno. */
int pcache_get(struct ext2_fs *fs, uint32_t ino, uint64_t idx, uint8_t **page);
/* The page if it is cached, else NULL; no I/O. */
uint8_t *pcache_find(uint32_t ino, uint64_t idx);
/* Forgets the pages [from, to) of ino: truncate, unlink (the caller knows
 * the old size, so the range is exact and the cost bounded by it). */
void pcache_drop(uint32_t ino, uint64_t from, uint64_t to);
/* Forgets everything and gives the pages back (unmount). */
void pcache_reset(void);
void pcache_get_stats(struct pcache_stats *st);

#endif
