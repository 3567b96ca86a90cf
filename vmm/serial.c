#include "serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "io_bus.h"

/* 16550A registers, offsets from the base port (PC16550D datasheet, table 2) */
enum {
	UART_RBR_THR = 0,   /* DLL when LCR.DLAB */
	UART_IER = 1,       /* DLM when LCR.DLAB */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};
#define UART_LCR_DLAB      0x80
#define UART_LSR_THRE      0x20
#define UART_LSR_TEMT      0x40
#define UART_IIR_NO_INT    0x01
#define UART_IIR_FIFO      0xc0
#define UART_MSR_CTS_DSR_DCD 0xb0

void serial_init(struct serial *s, int out_fd)
{
	memset(s, 0, sizeof(*s));
	s->out_fd = out_fd;
	s->lcr = 0x03;   /* 8N1 */
}

void serial_flush(struct serial *s)
{
	size_t done = 0;
	while (done < s->buffered) {
		ssize_t n = write(s->out_fd, s->buf + done, s->buffered - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;   /* console gone: drop output, keep the guest running */
		done += n;
	}
	s->buffered = 0;
}

void serial_emit(struct serial *s, const void *data, size_t len)
{
	const char *p = data;
	s->bytes_out += len;
	for (size_t i = 0; i < len; i++) {
		s->buf[s->buffered++] = p[i];
		if (p[i] == '\n' || s->buffered == sizeof(s->buf))
			serial_flush(s);
	}
}

static void serial_out(struct vm *vm, void *opaque, uint16_t port, const uint8_t *data, int size)
{
	struct serial *s = opaque;
	uint8_t v = data[0];
	(void)vm;
	(void)size;
	switch (port - SERIAL_COM1_BASE) {
	case UART_RBR_THR:
		if (s->lcr & UART_LCR_DLAB)
			s->dll = v;
		else
			serial_emit(s, &v, 1);
		break;
	case UART_IER:
		if (s->lcr & UART_LCR_DLAB)
			s->dlm = v;
		else
			s->ier = v & 0x0f;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:   /* FCR, and writes to read-only LSR/MSR */
		break;
	}
}

static void serial_in(struct vm *vm, void *opaque, uint16_t port, uint8_t *data, int size)
{
	struct serial *s = opaque;
	uint8_t v = 0;
	(void)vm;
	switch (port - SERIAL_COM1_BASE) {
	case UART_RBR_THR:
		v = (s->lcr & UART_LCR_DLAB) ? s->dll : 0;   /* no input yet */
		break;
	case UART_IER:
		v = (s->lcr & UART_LCR_DLAB) ? s->dlm : s->ier;
		break;
	case UART_IIR_FCR:
		v = UART_IIR_NO_INT | UART_IIR_FIFO;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT;
		break;
	case UART_MSR:
		v = UART_MSR_CTS_DSR_DCD;
		break;
	case UART_SCR:
		v = s->scr;
		break;
	}
	memset(data, 0, size);
	data[0] = v;
}

int serial_register(struct serial *s, struct io_bus *bus)
{
	struct io_dev d = { .name = "com1", .base = SERIAL_COM1_BASE, .len = SERIAL_NR_PORTS,
			    .in = serial_in, .out = serial_out, .opaque = s };
	return io_bus_register(bus, &d);
}
