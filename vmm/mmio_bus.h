/* MMIO dispatch: a small table of devices, each owning a guest-physical range
 * outside RAM (KVM_EXIT_MMIO). Unlike port I/O, an access nobody claims is
 * not ignored: the caller stops the guest, since a stray MMIO access means a
 * wild pointer in the guest kernel. */
#ifndef VMM_MMIO_BUS_H
#define VMM_MMIO_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"

struct vm;

struct mmio_dev {
	const char *name;
	gpa_t base;
	uint64_t len;
	/* offset is from base; size is 1, 2, 4 or 8; data is little-endian */
	void (*read)(struct vm *vm, void *opaque, uint64_t offset, uint8_t *data, int size);
	void (*write)(struct vm *vm, void *opaque, uint64_t offset, const uint8_t *data, int size);
	void *opaque;
};

#define MMIO_BUS_MAX 16

struct mmio_bus {
	int n;
	struct mmio_dev dev[MMIO_BUS_MAX];
	uint64_t accesses;    /* claimed accesses, all devices */
};

/* -1 when the table is full, the range is empty or wraps, or overlaps another. */
int mmio_bus_register(struct mmio_bus *bus, const struct mmio_dev *dev);

/* One KVM_EXIT_MMIO. Returns false, touching nothing, when no device owns
 * all of [gpa, gpa + size); reads of a device without a read hook give zeros. */
bool mmio_bus_dispatch(struct mmio_bus *bus, struct vm *vm, gpa_t gpa, uint8_t *data,
		       int size, bool is_write);

#endif
