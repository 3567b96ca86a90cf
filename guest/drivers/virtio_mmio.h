/* virtio-mmio transport, driver side (virtio 1.2 §4.2): finds the devices
 * named on the kernel command line, maps their register windows, runs the
 * status and feature handshake and hands each device to the driver for its
 * device ID.
 *
 * Discovery: every `virtio_mmio.device=SIZE@BASE:IRQ[:ID]` word on the command
 * line is one device (mapvisor writes 4K@0xd0000000:5 and up; QEMU microvm
 * writes 512@0xfeb00e00:12 and the like, only with acpi=off). SIZE and BASE
 * take a 0x prefix for hex and a K/M/G suffix; ID is ignored.
 *
 * Kernel virtual layout of device windows (the boot page tables leave the
 * device hole unmapped; the windows live in a PML4 slot of their own):
 *
 *   GVA                         | maps
 *   ----------------------------+-------------------------------------------
 *   VMMIO_VA_BASE + pa          | the 4 KiB pages holding each window,
 *                               | W, PCD|PWT (uncached), NX; pa < VMMIO_PA_END
 *
 * Mapping at a fixed offset from the physical address lets windows share a
 * page (QEMU packs eight 512-byte windows into one) without bookkeeping.
 */
#ifndef GUEST_DRIVERS_VIRTIO_MMIO_H
#define GUEST_DRIVERS_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/mmio.h"
#include "virtio.h"

#define VMMIO_VA_BASE   0xffffc08000000000ull   /* PML4 slot 385 */
#define VMMIO_PA_END    (1ull << 39)            /* one PML4 slot */
#define VMMIO_DEVS_MAX  8
#define VMMIO_SIZE_MAX  0x10000u                /* larger windows are refused */

struct vmmio_window {
	uint64_t base;   /* guest-physical */
	uint64_t size;
	uint32_t irq;    /* announced; nothing is delivered yet */
};

struct vmmio_dev {
	volatile uint8_t *regs;  /* the window through VMMIO_VA_BASE */
	uint64_t base;
	uint32_t size;
	uint32_t irq;
	uint32_t device_id;
	uint32_t status;         /* what the driver has set so far */
	unsigned index;          /* order on the command line */
	bool verbose;            /* drivers say what they found (not "quiet") */
};

/* Parses every virtio_mmio.device= word into w[0..max); returns how many.
 * Malformed words are skipped (and reported when verbose). */
int vmmio_parse(const char *cmdline, struct vmmio_window *w, int max, bool verbose);

/* Parses the command line, maps every window, checks it and starts the
 * driver for its device ID. Returns the number of devices a driver took. */
int vmmio_probe_all(const char *cmdline, bool verbose);

/* Handshake of virtio 1.2 §3.1.1 up to FEATURES_OK: reset, ACKNOWLEDGE,
 * DRIVER, then offer & wanted. 0 with *features set, -ENODEV if the device
 * lacks a bit of required or refuses FEATURES_OK. */
int vmmio_negotiate(struct vmmio_dev *d, uint64_t wanted, uint64_t required,
		    uint64_t *features);
/* QueueNumMax of queue q (0: the queue does not exist). */
uint32_t vmmio_queue_max(struct vmmio_dev *d, unsigned q);
/* Sets size and the three ring addresses of queue q and enables it
 * (virtio 1.2 §4.2.3.2); -EIO if the device does not take it. */
int vmmio_queue_enable(struct vmmio_dev *d, unsigned q, unsigned size, uint64_t desc_pa,
		       uint64_t avail_pa, uint64_t used_pa);
/* DRIVER_OK; -EIO if the device then asks for a reset. */
int vmmio_driver_ok(struct vmmio_dev *d);
/* Gives up on the device: FAILED (virtio 1.2 §2.1.1). */
void vmmio_fail(struct vmmio_dev *d);
/* Device configuration space by 32-bit reads; a 64-bit field is read until
 * ConfigGeneration is the same before and after (virtio 1.2 §2.5.1). */
uint32_t vmmio_config32(const struct vmmio_dev *d, unsigned off);
uint64_t vmmio_config64(const struct vmmio_dev *d, unsigned off);

/* The one register access on the request path: a VM exit. */
static inline void vmmio_notify(struct vmmio_dev *d, unsigned q)
{
	mmio_write32(d->regs + VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

#endif
