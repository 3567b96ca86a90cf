/* virtio-blk driver (virtio 1.2 §5.2) over virtio-mmio: one request queue,
 * one request in flight, completion by polling the used ring right after
 * the notify (no interrupts are delivered yet); and, when the device has a
 * second queue, one background read on it (see VBLK_BG_QUEUE). Registers
 * each disk with the block layer (kernel/blk.h).
 *
 * Queue 0 and everything a request needs live in one zeroed page:
 *
 *   offset | contents                           | align (virtio 1.2 §2.7)
 *   -------+------------------------------------+------------------------
 *   0x000  | descriptor table, VBLK_QSIZE_MAX   | 16
 *   0x400  | available ring                     | 2
 *   0x500  | used ring                          | 4
 *   0x800  | request header (16 bytes)          |
 *   0x810  | status byte                        |
 *   0x820  | GET_ID buffer (20 bytes)           |
 *
 * Descriptor 0 is always the header and the queue's last one (desc_status)
 * always the status byte (both written once at set-up); data segments
 * take 1, 2, ... up to seg_max: a readahead of 32 scattered pages is one
 * request. Every
 * chain therefore starts at descriptor 0, which is what the zeroed
 * available ring already says in each slot: a request writes only the data
 * descriptors, the header fields, the available index and the notify. */
#ifndef GUEST_DRIVERS_VIRTIO_BLK_H
#define GUEST_DRIVERS_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio_mmio.h"
#include "kernel/blk.h"
#include "virtio.h"
/* include/virtio_blk.h: with quotes this file would find itself. */
#include <virtio_blk.h>

#define VBLK_DEVS_MAX     4
#define VBLK_QSIZE_MAX    64     /* header, BLK_SEGS_MAX data, status fit */
#define VBLK_QSIZE_MIN    8      /* header, 3 data (unaligned I/O), status */

#define VBLK_OFF_DESC     0x000
#define VBLK_OFF_AVAIL    0x400
#define VBLK_OFF_USED     0x500
#define VBLK_OFF_HDR      0x800
#define VBLK_OFF_STATUS   0x810
#define VBLK_OFF_ID       0x820

/* The background queue (queue 1, when the device offers VIRTIO_BLK_F_MQ
 * with two queues: mapvisor serves it in a thread of its own): one read
 * at a time, started and collected later, in a page of its own with the
 * same layout; descriptors 0, 1, 2 are header, data and status. */
#define VBLK_BG_QUEUE     1u
#define VBLK_BG_QSIZE     4u

/* Used index polls after a notify before a request counts as lost. With
 * mapvisor the first check succeeds (completion is synchronous); a device
 * that completes in another thread gets this many TSC ticks, several
 * seconds at any clock rate a host has. */
#define VBLK_POLL_TICKS   (1ull << 34)

struct vblk {
	uint8_t *q;                   /* the queue page (layout above) */
	volatile uint32_t *notify;    /* QueueNotify of the window */
	uint16_t avail_idx;           /* next available index to publish */
	bool ro;
	bool broken;                  /* a request was lost: the queue is unusable */
	uint32_t seg_max;             /* data segments per request: ours, the
					 queue's and the device's limit */
	uint16_t desc_status;         /* the status descriptor: the last one */
	uint64_t capacity;            /* 512-byte sectors */
	uint64_t features;            /* negotiated */
	uint32_t blk_size;
	uint16_t qsize;
	uint64_t page_pa;
	uint64_t late;                /* requests not done when the notify returned */
	uint64_t requests;            /* sent, flushes included */
	uint8_t *bg;                  /* the background queue's page, or NULL */
	uint64_t bg_pa;
	uint16_t bg_idx;              /* its last available index published */
	bool bg_busy;                 /* a read is out on it */
	struct vmmio_dev *mmio;
	struct blk_dev *blk;
};

/* The virtio-mmio driver entry for device ID 2. */
int vblk_probe(struct vmmio_dev *m);
struct vblk *vblk_get(unsigned i);   /* NULL past the end */

/* len bytes (a multiple of 512) at sector, to or from guest-physical
 * buf_pa. 0, -EINVAL, -EROFS, -EIO or -EOPNOTSUPP. */
int vblk_rw(struct vblk *d, uint64_t sector, uint64_t buf_pa, uint32_t len, bool write);
/* The block layer's operations (blk_ops): vblk_rw without the checks the
 * block layer has made, and the same with several segments. */
int vblk_rw_one(void *dev, bool write, uint64_t sector, uint64_t pa, uint32_t len);
int vblk_xfer(void *dev, bool write, uint64_t sector, const struct blk_seg *seg, unsigned nseg);
int vblk_flush(void *dev);
/* GET_ID: up to 20 bytes, NUL-terminated into out. */
int vblk_get_id(void *dev, char *out, size_t len);

/* Requests sent to every disk so far. */
uint64_t vblk_requests(void);

#endif
