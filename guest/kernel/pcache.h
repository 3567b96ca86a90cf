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

#include <stdbool.h>
#include <stdint.h>

#include "fs/ext2.h"

#define PCACHE_PAGE  4096u
#define PCACHE_SHIFT 12u
#define PCACHE_MAX   2048u   /* 8 MiB */

struct pcache_stats {
	uint64_t hits, misses, evictions;
	uint64_t readahead;       /* pages read beyond the one a miss asked for */
	uint64_t writebacks;      /* dirty pages written to the file */
	uint64_t reclaimed;       /* evictions that took a page from mappings */
	uint32_t pages;          /* held now */
	uint64_t units;           /* large units made (each keeps its block) */
	uint64_t unit_fills;      /* ... filled from the disk for a file range */
	uint64_t unit_hits;       /* ... found filled by a large mapping */
	uint64_t unit_reclaims;   /* ... taken back from large mappings */
};

/* The page idx of inode ino, read from fs on a miss (bytes past the end of
 * the file read as zeros). 0 or -errno. */
int pcache_get(struct ext2_fs *fs, uint32_t ino, uint64_t idx, uint8_t **page);
/* Readahead on a miss: when the access pattern looks sequential (AUTO,
 * what pcache_get does), always (madvise SEQUENTIAL) or never (RANDOM).
 * 1 when the page was cached, 0 when it was read, or -errno. */
enum pcache_ra { PCACHE_RA_AUTO, PCACHE_RA_ALWAYS, PCACHE_RA_NONE };
int pcache_get_ra(struct ext2_fs *fs, uint32_t ino, uint64_t idx, enum pcache_ra ra,
		  uint8_t **page);
/* pcache_get_ra and pcache_pin in one lookup (a fault that maps the page). */
int pcache_get_pinned(struct ext2_fs *fs, uint32_t ino, uint64_t idx, enum pcache_ra ra,
		      uint8_t **page);
/* The page if it is cached, else NULL; no I/O. */
uint8_t *pcache_find(uint32_t ino, uint64_t idx);
/* Forgets the pages [from, to) of ino: truncate, unlink (the caller knows
 * the old size, so the range is exact and the cost bounded by it). */
void pcache_drop(uint32_t ino, uint64_t from, uint64_t to);
/* File mappings (kernel/fault.c) map cache pages into user space. A page
 * with mappings (pins) or unwritten data (dirty) is never reused. A page
 * forgotten by pcache_drop while mapped stays with its mappings, no
 * longer found by (ino, idx), and is reused after the last unpin. */
void pcache_pin(uint8_t *page);
/* Drops one pin; true if that was the last and the page is dirty (the
 * caller then writes it back with pcache_writeback). */
bool pcache_unpin(uint8_t *page);
uint32_t pcache_maps(const uint8_t *page);
/* A shared mapping is about to be written: the page needs a writeback. */
void pcache_set_dirty(uint8_t *page);
/* Writes a dirty page's bytes below size (the file's size) and marks it
 * clean; clean or forgotten pages: 0. 0 or -errno. */
int pcache_writeback(struct ext2_fs *fs, uint8_t *page, uint64_t size);
/* Every dirty page of ino (fsync, sync, unmount). */
int pcache_sync(struct ext2_fs *fs, uint32_t ino, uint64_t size);
/* When every page is mapped or dirty, the cache asks fn to take one back:
 * unmap (ino, idx) everywhere and write it if dirty. fn returns false if
 * it could not; the cache then checks the page's pins and dirt itself.
 * Without fn (host tests), such a cache is full: -ENOMEM. */
typedef bool (*pcache_reclaim_fn)(uint32_t ino, uint64_t idx, uint8_t *page);
void pcache_set_reclaim(pcache_reclaim_fn fn);
/* Moves on every time the cache asks fn for a page (whether or not it got
 * one): whoever holds physical addresses of user pages across something
 * that may fill the cache (a fault) checks them again when it moved. */
uint64_t pcache_reclaim_gen(void);
/* Large units: PCACHE_UNIT_PAGES pages of one file, from a page index
 * that is a multiple of it, in one physically contiguous block aligned to
 * its size, so that a mapping can map all of them with one 2 MiB entry.
 * Each page is an ordinary cache page for everything above (lookups,
 * pins, dirt, writeback, drop); the unit only adds the count of large
 * entries mapping the whole block. At most `max` units (0, the default:
 * none), each made when first needed and kept for good. */
#define PCACHE_UNIT_PAGES 512u
#define PCACHE_UNIT_SHIFT 9u
void pcache_set_units(unsigned max);
/* The unit of ino from page first, read from fs if need be, with one more
 * large mapping counted, in three steps so that the device can read one
 * unit while the kernel prepares the next (one such read at a time):
 * - prep finds the unit (1) or takes a slot for it and reads all but its
 *   largest run (0); -EAGAIN when there is none to be had (a page of it
 *   cached on its own is mapped or dirty, a page of it was dropped while
 *   mapped, the file ends inside it, no slot is free): the caller maps
 *   4 KiB pages instead; other -errno from the reads;
 * - start has the device read that run in the background when asked and
 *   it can, else reads it (0 or -errno);
 * - end waits for it and gives the unit (1 found, 0 read, or -errno, the
 *   slot then free again);
 * - cancel undoes a prep that will not be ended. */
struct pcache_fill {
	struct pcache_unit *u;   /* NULL: nothing (failed, or ended) */
	uint32_t ino;
	uint64_t first;
	bool hit;                /* found: nothing to read */
	bool later;              /* m is left to read, into dst */
	bool last;               /* m's pages end the unit */
	bool started;            /* the device is reading m */
	struct ext2_pages m;
	uint8_t *dst;
};
int pcache_fill_prep(struct ext2_fs *fs, uint32_t ino, uint64_t first, struct pcache_fill *f);
int pcache_fill_start(struct ext2_fs *fs, struct pcache_fill *f, bool background);
int pcache_fill_end(struct ext2_fs *fs, struct pcache_fill *f, uint8_t **base);
void pcache_fill_cancel(struct ext2_fs *fs, struct pcache_fill *f);
/* One large mapping of the unit at base went. */
void pcache_unit_unmap(uint8_t *base);
/* When every unit is mapped, the cache asks fn to take the large mappings
 * of one back (pcache_unit_unmap for each); true if it could. */
typedef bool (*pcache_reclaim_unit_fn)(uint32_t ino, uint64_t first, uint8_t *base);
void pcache_set_reclaim_unit(pcache_reclaim_unit_fn fn);
/* Forgets everything and gives the pages back (unmount). */
void pcache_reset(void);
void pcache_get_stats(struct pcache_stats *st);

#endif
