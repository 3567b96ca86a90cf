/* virtio-blk (virtio 1.2 §5.2) over a host image file, on the virtio-mmio
 * transport. Requests on queue 0 complete synchronously on the QueueNotify
 * exit (see virtio_mmio.h): pread/pwrite straight between the image and
 * guest RAM, FLUSH is fdatasync. Queue 1 (the background queue) is served
 * the same way by a thread of the device's own, after its notify returned.
 *
 * Offered: VERSION_1, SEG_MAX (a chain may carry VQ_MAX_SIZE - 2 data
 * buffers), BLK_SIZE (4096: the ext2 block size, so the guest page cache
 * reads whole pages), FLUSH, MQ (two queues), and RO for a disk opened
 * `,ro`.
 *
 * Error mapping (status byte):
 *   OK      done
 *   IOERR   bad header (fewer than 16 readable bytes), data length 0 or not a
 *           multiple of 512, any sector past the end (overflow-safe), OUT to a
 *           read-only disk, GET_ID data not 20 bytes, wrong framing for the
 *           type, host I/O error or short read/write
 *   UNSUPP  any other type (DISCARD, WRITE_ZEROES, GET_LIFETIME ... are not
 *           offered)
 * A chain with no device-writable byte cannot carry a status: it goes back
 * with used length 0 and the device sets DEVICE_NEEDS_RESET, as it does for
 * a malformed chain (virtqueue.h). */
#ifndef VMM_BLK_DEV_H
#define VMM_BLK_DEV_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio_blk.h"   /* include/: the wire format */
#include "log.h"
#include "virtio_mmio.h"
#include "virtqueue.h"

#define VIRTIO_BLK_BLK_SIZE 4096u
/* Queues offered (VIRTIO_BLK_F_MQ): 0 completes within its notify exit;
 * VIRTIO_BLK_BG_QUEUE completes in the background, for reads a driver
 * starts and collects later. */
#define VIRTIO_BLK_QUEUES   2u
#define VIRTIO_BLK_BG_QUEUE 1u

struct virtio_blk_stats {
	uint64_t in, out, flush, get_id, other;   /* requests by type */
	uint64_t bytes_read, bytes_written;       /* image bytes moved by IN / OUT */
	uint64_t ioerr, unsupp;                   /* requests completed with that status */
	uint64_t bad_chains;                      /* returned with length 0, device reset */
	uint64_t fdatasyncs;                      /* successful fdatasync calls */
};

struct virtio_blk {
	struct virtio_mmio_dev mmio;
	int fd;
	bool ro;
	uint64_t size;                /* image bytes */
	uint64_t capacity;            /* 512-byte sectors: size rounded down */
	char path[PATH_MAX];          /* as resolved (realpath) */
	char name[24];                /* "virtio-blk0" */
	char id[VIRTIO_BLK_ID_BYTES]; /* GET_ID string: the image's file name */
	struct virtio_blk_config cfg; /* what config space reads return */
	struct virtio_blk_stats stats;
	struct vq_chain chain;        /* scratch for one request (6 KiB) */
	/* The background queue (VIRTIO_BLK_BG_QUEUE): served by a thread of
	 * its own, so that a driver can have a read done while it works. The
	 * lock is the transport's (every register access) and the thread's. */
	pthread_mutex_t lock;
	pthread_cond_t bg_cv;
	pthread_t bg_thread;
	bool lock_ready, bg_started, bg_failed, bg_kicked, bg_stop;
	struct vq_chain bg_chain;
};

/* Open the image (O_RDWR, or O_RDONLY for ro; never created; a regular file
 * or block device of at least one sector) and set up device `index` at
 * `base` with `irq`. Returns 0, or -1 with the reason in e. */
int virtio_blk_init(struct virtio_blk *b, const struct guest_mem *gm, const char *path,
		    bool ro, unsigned index, gpa_t base, uint32_t irq, struct mv_err *e);
/* Stop the background thread (nothing in flight afterwards): before the
 * report reads the stats. virtio_blk_close does it too. */
void virtio_blk_quiesce(struct virtio_blk *b);
void virtio_blk_close(struct virtio_blk *b);

#endif
