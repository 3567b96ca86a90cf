#include "io_bus.h"

#include <linux/kvm.h>
#include <string.h>

#include "log.h"

int io_bus_register(struct io_bus *bus, const struct io_dev *dev)
{
	if (bus->n == IO_BUS_MAX)
		return -1;
	for (int i = 0; i < bus->n; i++) {
		const struct io_dev *o = &bus->dev[i];
		if (dev->base < o->base + o->len && o->base < dev->base + dev->len)
			return -1;
	}
	bus->dev[bus->n++] = *dev;
	return 0;
}

static const struct io_dev *find(const struct io_bus *bus, uint16_t port)
{
	for (int i = 0; i < bus->n; i++)
		if (port >= bus->dev[i].base && port - bus->dev[i].base < bus->dev[i].len)
			return &bus->dev[i];
	return NULL;
}

void io_bus_dispatch(struct io_bus *bus, struct vm *vm, uint8_t direction, uint16_t port,
		     int size, uint32_t count, uint8_t *data)
{
	const struct io_dev *d = find(bus, port);
	for (uint32_t i = 0; i < count; i++, data += size) {
		if (!d) {
			bus->unclaimed++;
			log_debug("io: unclaimed %s port 0x%x size %d",
				  direction == KVM_EXIT_IO_OUT ? "out" : "in", port, size);
			if (direction == KVM_EXIT_IO_IN)
				memset(data, 0xff, size);
		} else if (direction == KVM_EXIT_IO_OUT) {
			if (d->out)
				d->out(vm, d->opaque, port, data, size);
		} else if (d->in) {
			d->in(vm, d->opaque, port, data, size);
		} else {
			memset(data, 0xff, size);
		}
	}
}
