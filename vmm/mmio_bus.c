#include "mmio_bus.h"

#include <string.h>

#include "log.h"

int mmio_bus_register(struct mmio_bus *bus, const struct mmio_dev *dev)
{
	if (bus->n == MMIO_BUS_MAX || dev->len == 0 || dev->base + dev->len < dev->base)
		return -1;
	for (int i = 0; i < bus->n; i++) {
		const struct mmio_dev *o = &bus->dev[i];
		if (dev->base < o->base + o->len && o->base < dev->base + dev->len)
			return -1;
	}
	bus->dev[bus->n++] = *dev;
	return 0;
}

/* The device owning the whole access: one that straddles two devices (or a
 * device's end) belongs to neither. */
static const struct mmio_dev *find(const struct mmio_bus *bus, gpa_t gpa, int size)
{
	for (int i = 0; i < bus->n; i++) {
		const struct mmio_dev *d = &bus->dev[i];
		if (gpa >= d->base && gpa - d->base < d->len &&
		    (uint64_t)size <= d->len - (gpa - d->base))
			return d;
	}
	return NULL;
}

bool mmio_bus_dispatch(struct mmio_bus *bus, struct vm *vm, gpa_t gpa, uint8_t *data,
		       int size, bool is_write)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	const struct mmio_dev *d = find(bus, gpa, size);
	if (!d)
		return false;
	bus->accesses++;
	if (is_write) {
		if (d->write)
			d->write(vm, d->opaque, gpa - d->base, data, size);
	} else if (d->read) {
		d->read(vm, d->opaque, gpa - d->base, data, size);
	} else {
		memset(data, 0, size);
	}
	return true;
}
