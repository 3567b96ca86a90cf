/* Polling 16550 at COM1, used when there is no paravirtual console. */
#ifndef GUEST_ARCH_X86_UART_H
#define GUEST_ARCH_X86_UART_H

#include <stddef.h>

void uart_init(void);
void uart_write(const char *s, size_t n);

#endif
