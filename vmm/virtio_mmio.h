/* The virtio-mmio transport, modern layout (Version 2, virtio 1.2 §4.2): the
 * register window of one device, feature negotiation, the status handshake,
 * queue set-up and notification. The device type (blk_dev.c) plugs in
 * through struct virtio_dev_ops and a config-space buffer.
 *
 * Completion is synchronous: a write to QueueNotify (one VM exit) makes the
 * device process every available request of that queue before the vCPU
 * resumes, fill the used ring and set InterruptStatus bit 0 (a device type
 * may instead hand a queue to a thread of its own: then `lock`). No interrupt is
 * delivered yet (there is no irqchip), so the driver may simply poll the used
 * ring after its notify: the request is done when the notify returns. Exits
 * per request: 1 (the notify), or fewer when requests are batched before it.
 *
 * Driver errors the device cannot answer through the ring (bad queue layout,
 * malformed chain) set DEVICE_NEEDS_RESET in Status (virtio 1.2 §2.1) and
 * the configuration-change bit of InterruptStatus once DRIVER_OK is set; the
 * device then ignores notifications until the driver resets it. */
#ifndef VMM_VIRTIO_MMIO_H
#define VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "mmio_bus.h"
#include "virtqueue.h"

#define VIRTIO_MMIO_MAX_QUEUES 4
#define VIRTIO_MMIO_VENDOR     0x5650414du   /* "MAPV" little-endian */

/* Everything the driver has set or the device has reported: what a snapshot
 * of the device saves (no pointers). */
struct virtio_mmio_state {
	uint32_t status;              /* VIRTIO_STATUS_* */
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint64_t driver_features;     /* as written; negotiated once FEATURES_OK */
	bool driver_features_high;    /* a bit >= 64 was written: never acceptable */
	uint32_t queue_sel;
	uint32_t interrupt_status;    /* VIRTIO_MMIO_INT_* */
	uint32_t config_generation;
	struct vq_state queue[VIRTIO_MMIO_MAX_QUEUES];
};

struct virtio_mmio_dev;

struct virtio_dev_ops {
	/* The driver notified queue q (ready, DRIVER_OK, no reset pending).
	 * Returns how many chains went to the used ring; on a driver error the
	 * device calls virtio_mmio_fail() and stops. */
	unsigned (*notify)(struct virtio_mmio_dev *t, unsigned q);
	/* Status was written 0: forget per-driver state. May be NULL. */
	void (*reset)(struct virtio_mmio_dev *t);
};

struct virtio_mmio_dev {
	struct virtio_mmio_state st;
	const struct guest_mem *gm;
	const char *name;             /* for messages: "virtio-blk0" */
	gpa_t base;
	uint32_t irq;                 /* announced on the command line; not raised yet */
	uint32_t device_id;           /* VIRTIO_ID_* */
	uint64_t device_features;     /* offered; VIRTIO_F_VERSION_1 always */
	unsigned nqueues;
	const void *config;           /* device config space, little-endian */
	uint32_t config_len;
	const struct virtio_dev_ops *ops;
	void *dev;                    /* the device type's own struct */
	/* Taken around every register access when the device type works on
	 * a queue in a thread of its own (NULL: the vCPU thread only). */
	pthread_mutex_t *lock;

	uint64_t notifies;            /* QueueNotify writes acted on */
	uint64_t ignored_notifies;    /* before DRIVER_OK, bad queue, or reset pending */
	uint64_t bad_accesses;        /* wrong width, read of W or write of R register */
	uint64_t needs_reset;         /* times DEVICE_NEEDS_RESET was set */
	char error[160];              /* why, the last time */
};

void virtio_mmio_init(struct virtio_mmio_dev *t, const struct guest_mem *gm, const char *name,
		      gpa_t base, uint32_t irq, uint32_t device_id, uint64_t features,
		      unsigned nqueues, const void *config, uint32_t config_len,
		      const struct virtio_dev_ops *ops, void *dev);

/* Register accesses (offset from base, size 1/2/4/8, little-endian data). */
void virtio_mmio_read(struct virtio_mmio_dev *t, uint64_t off, uint8_t *data, int size);
void virtio_mmio_write(struct virtio_mmio_dev *t, uint64_t off, const uint8_t *data, int size);

/* Claim [base, base + MV_VIRTIO_MMIO_SIZE) on the bus. */
int virtio_mmio_register(struct virtio_mmio_dev *t, struct mmio_bus *bus);

/* The driver broke the protocol: DEVICE_NEEDS_RESET, reason kept in t->error. */
void virtio_mmio_fail(struct virtio_mmio_dev *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Feature bit n was offered and accepted (only meaningful after FEATURES_OK). */
bool virtio_mmio_negotiated(const struct virtio_mmio_dev *t, unsigned bit);

/* Append " virtio_mmio.device=4K@0x<base>:<irq>" (the Linux convention) to the
 * NUL-terminated command line in buf. 0, or -1 when it does not fit. */
int virtio_mmio_cmdline_append(char *buf, size_t size, gpa_t base, uint32_t irq);

#endif
