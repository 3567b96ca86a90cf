/* COM1: a 16550A UART that is always ready to send (enough for a polling
 * driver), whose output — with the hypercall console — goes to one sink. */
#ifndef VMM_SERIAL_H
#define VMM_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "io_bus.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_NR_PORTS  8

struct serial {
	int out_fd;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	size_t buffered;
	char buf[512];
	uint64_t bytes_out;
};

void serial_init(struct serial *s, int out_fd);
int serial_register(struct serial *s, struct io_bus *bus);
/* Console output from any source: buffered, flushed at newlines and exit. */
void serial_emit(struct serial *s, const void *data, size_t len);
void serial_flush(struct serial *s);

#endif
