/* Block layer: the table of disks and byte-addressed I/O on them. The I/O
 * calls are the ones fs/fs_hooks.h declares (blk_read, blk_write,
 * blk_flush, with a struct blk_dev * as the void *dev).
 *
 * Drivers move whole 512-byte sectors between the disk and guest-physical
 * segments. A byte range that is not sector aligned is still one request:
 * the partial sectors at either end are padded with segments in a bounce
 * area (reads drop the padding, writes first fetch the old bytes), so the
 * caller's buffer is never copied. The caller's buffer must be in the
 * direct map or the kernel image (physically contiguous there). */
#ifndef GUEST_KERNEL_BLK_H
#define GUEST_KERNEL_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/fs_hooks.h"

#define BLK_DEVS_MAX     8
#define BLK_SECTOR_SHIFT 9
#define BLK_SECTOR_SIZE  (1u << BLK_SECTOR_SHIFT)
#define BLK_SEGS_MAX     32        /* a readahead's pages, one segment each */
/* Bytes of one request: bounds one exit's work (a 4 MiB read from the
 * host's page cache is ~1 ms), and holds a large page-cache unit (2 MiB)
 * wherever it starts on the disk. */
#define BLK_REQ_MAX      (4u << 20)

/* A guest-physical piece of a request. */
struct blk_seg {
	uint64_t pa;
	uint32_t len;
};

struct blk_ops {
	/* len bytes at sector to or from pa: the common case, kept apart so
	 * it needs no segment array. len is a multiple of 512, inside the
	 * disk and at most BLK_REQ_MAX. 0 or -E... */
	int (*rw)(void *priv, bool write, uint64_t sector, uint64_t pa, uint32_t len);
	/* The same with the data in nseg (<= BLK_SEGS_MAX) segments, in order. */
	int (*xfer)(void *priv, bool write, uint64_t sector, const struct blk_seg *seg,
		    unsigned nseg);
	int (*flush)(void *priv);
	/* The device's identification string, NUL-terminated into out. */
	int (*get_id)(void *priv, char *out, size_t len);
	/* A read the device does while the kernel goes on (NULL: none), one
	 * at a time: start (as rw; -EBUSY while one is out), then finish
	 * (waits; its result). */
	int (*read_start)(void *priv, uint64_t sector, uint64_t pa, uint32_t len);
	int (*read_finish)(void *priv);
};

struct blk_dev {
	const struct blk_ops *ops;
	void *priv;              /* the driver's device */
	uint64_t bytes;          /* whole sectors only */
	uint32_t blk_size;       /* the device's preferred unit (bytes) */
	bool ro;
	uint32_t segs;           /* segments a request may carry: 3..BLK_SEGS_MAX */
	char name[8];            /* vda, vdb, ... */
	uint64_t bounce_pa;      /* two sectors of padding for unaligned I/O */
};

/* Adds a disk; NULL when the table is full or memory is short. */
struct blk_dev *blk_register(const struct blk_ops *ops, void *priv, uint64_t bytes,
			     uint32_t blk_size, bool ro, uint32_t segs);
unsigned blk_count(void);
struct blk_dev *blk_get(unsigned i);   /* NULL past the end */
int blk_get_id(struct blk_dev *b, char *out, size_t len);

#endif
