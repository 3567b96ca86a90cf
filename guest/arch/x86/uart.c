/* 16550 UART, polled (PC16550D datasheet, register map at COM1). */
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/uart.h"

#define UART_BASE 0x3f8
#define UART_THR  0     /* transmit holding */
#define UART_IER  1     /* interrupt enable */
#define UART_LCR  3     /* line control */
#define UART_LSR  5     /* line status */

#define UART_LCR_8N1  0x03
#define UART_LSR_THRE 0x20

/* A missing or stuck UART must not hang the kernel. */
#define UART_POLL_MAX 100000

void uart_init(void)
{
	/* Interrupts off, 8N1; the divisor is left as the platform set it. */
	outb(UART_BASE + UART_IER, 0);
	outb(UART_BASE + UART_LCR, UART_LCR_8N1);
}

static void uart_putc(char c)
{
	for (int i = 0; i < UART_POLL_MAX; i++)
		if (inb(UART_BASE + UART_LSR) & UART_LSR_THRE)
			break;
	outb(UART_BASE + UART_THR, (uint8_t)c);
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}
