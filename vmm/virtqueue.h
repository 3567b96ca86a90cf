/* The device side of a split virtqueue (virtio 1.2 §2.7): take a descriptor
 * chain the driver made available, hand its buffers to a device as host
 * pointers, return it through the used ring.
 *
 * Pure logic over guest RAM: every guest address goes through gm_ptr(), and
 * nothing here keeps a global. The guest is not trusted: any malformed ring
 * or chain (index out of range, loop, buffer outside RAM, zero length,
 * readable after writable, indirect descriptor, more than 4 GiB) is a
 * negative VQ_E_* code, never an access outside guest RAM.
 *
 * Ordering: the available index is read with acquire semantics before the
 * ring entries it publishes, and the used index is written with release
 * semantics after the used element (virtio 1.2 §2.7.13 "Supplying Buffers",
 * §2.7.8), so this stays correct when other vCPUs run while a device works. */
#ifndef VMM_VIRTQUEUE_H
#define VMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* QueueNumMax mapvisor offers: also the longest chain a device accepts. */
#define VQ_MAX_SIZE 256u
#define VQ_NO_HEAD  UINT32_MAX

/* One queue's state: plain values only, so a snapshot can save it as is. */
struct vq_state {
	uint32_t num;          /* QueueNum written by the driver (checked at ready) */
	bool ready;            /* QueueReady */
	gpa_t desc;            /* descriptor table (QueueDesc) */
	gpa_t driver;          /* available ring (QueueDriver) */
	gpa_t device;          /* used ring (QueueDevice) */
	uint16_t last_avail;   /* next available-ring entry the device takes */
	uint16_t used_idx;     /* the device's used idx; the guest's copy is never
	                        * read back, so the guest cannot rewind it */
};

/* A buffer of the chain, already translated and bounds-checked. */
struct vq_seg {
	uint8_t *hva;
	uint32_t len;
	bool write;            /* device-writable */
};

/* A popped chain: device-readable segments first (nread of them), then the
 * device-writable ones (virtio 1.2 §2.7.4 requires that order). */
struct vq_chain {
	uint32_t head;         /* descriptor index to return; VQ_NO_HEAD if unknown */
	uint16_t nseg;
	uint16_t nread;
	uint64_t read_bytes;
	uint64_t write_bytes;
	struct vq_seg seg[VQ_MAX_SIZE];
};

enum vq_err {
	VQ_E_NOT_READY = 1,    /* queue not enabled (QueueReady 0) */
	VQ_E_LAYOUT,           /* size not a power of 2 in 1..VQ_MAX_SIZE, or misaligned */
	VQ_E_RING,             /* a ring area lies (partly) outside RAM */
	VQ_E_AVAIL_IDX,        /* avail idx ran more than a queue size ahead */
	VQ_E_HEAD,             /* head index from the available ring >= queue size */
	VQ_E_NEXT,             /* next index >= queue size */
	VQ_E_LOOP,             /* chain revisits a descriptor */
	VQ_E_TOO_LONG,         /* more descriptors than the caller accepts */
	VQ_E_ADDR,             /* buffer (partly) outside RAM */
	VQ_E_ZERO_LEN,         /* descriptor of length 0 */
	VQ_E_INDIRECT,         /* VIRTQ_DESC_F_INDIRECT without the feature */
	VQ_E_ORDER,            /* device-readable descriptor after a writable one */
	VQ_E_TOO_BIG,          /* chain longer than 2^32 bytes (virtio 1.2 §2.7.5) */
	VQ_E_NR
};

/* Check a queue's size, alignment and that all three areas are RAM; done
 * when the driver writes QueueReady. 0 or -VQ_E_LAYOUT / -VQ_E_RING. */
int vq_validate(const struct guest_mem *gm, const struct vq_state *q);

/* Take the next available chain into c, accepting at most max_segs
 * descriptors (clamped to VQ_MAX_SIZE). 1: c holds a chain; 0: nothing
 * available; < 0: -VQ_E_*. After an error the entry is consumed and c->head
 * is the head to return with length 0 when it was in range, else VQ_NO_HEAD. */
int vq_pop(const struct guest_mem *gm, struct vq_state *q, struct vq_chain *c,
	   unsigned max_segs);

/* Return chain `head` to the driver with `len` bytes written. 0 or -VQ_E_*. */
int vq_push(const struct guest_mem *gm, struct vq_state *q, uint32_t head, uint32_t len);

/* Walk [off, off + len) of the readable (write = false) or writable part of
 * a chain, calling fn on each contiguous piece. Returns 0, fn's first
 * non-zero return, or -1 when the range goes past that part. */
int vq_chain_foreach(const struct vq_chain *c, bool write, uint64_t off, uint64_t len,
		     int (*fn)(void *arg, uint8_t *p, size_t n), void *arg);

/* Copy between a host buffer and the readable / writable part; 0 or -1. */
int vq_chain_read(const struct vq_chain *c, uint64_t off, void *buf, size_t len);
int vq_chain_write(const struct vq_chain *c, uint64_t off, const void *buf, size_t len);

const char *vq_strerror(int err);   /* takes -VQ_E_* or VQ_E_* */

#endif
