/* Kernel console: paravirtual (one hypercall per flush) or 16550. */
#ifndef GUEST_KERNEL_CONSOLE_H
#define GUEST_KERNEL_CONSOLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void cons_init(bool paravirt);
void cons_vprintf(const char *fmt, va_list ap);
void cons_flush(void);
void cons_batch(bool on);
void cons_write(const char *s, size_t n);

#endif
