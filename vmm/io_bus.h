/* Port I/O dispatch: a small table of devices, each owning a port range.
 * Unclaimed ports read as all ones and ignore writes, as on a PC. */
#ifndef VMM_IO_BUS_H
#define VMM_IO_BUS_H

#include <stdint.h>

struct vm;

struct io_dev {
	const char *name;
	uint16_t base;
	uint16_t len;
	/* size is 1, 2 or 4; data is little-endian */
	void (*in)(struct vm *vm, void *opaque, uint16_t port, uint8_t *data, int size);
	void (*out)(struct vm *vm, void *opaque, uint16_t port, const uint8_t *data, int size);
	void *opaque;
};

#define IO_BUS_MAX 16

struct io_bus {
	int n;
	struct io_dev dev[IO_BUS_MAX];
	uint64_t unclaimed;   /* accesses no device took */
};

int io_bus_register(struct io_bus *bus, const struct io_dev *dev);
/* One KVM_EXIT_IO; string I/O (count > 1) becomes count accesses. */
void io_bus_dispatch(struct io_bus *bus, struct vm *vm, uint8_t direction, uint16_t port,
		     int size, uint32_t count, uint8_t *data);

#endif
