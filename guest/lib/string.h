/* Freestanding string and memory helpers. */
#ifndef GUEST_LIB_STRING_H
#define GUEST_LIB_STRING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
/* memcpy offers copies of at least MEMCPY_BULK_MIN bytes here first (the
 * kernel's is arch/x86/page_ops.c: the host copies them when kernel code is
 * emulated); false means "not taken", and memcpy copies them itself.
 * The byte loop is 5 emulated instructions a byte; the host path ~125 and
 * one exit, so they meet near 28 bytes; 64 leaves room for the exit's
 * varying price (docs/benchmarks.md, "Files"). */
#define MEMCPY_BULK_MIN 64u
bool arch_memcpy_bulk(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
/* memset to zero offers ranges of at least MEMSET_BULK_MIN bytes here
 * first (arch/x86/page_ops.c: the host zeroes them when kernel code is
 * emulated, `rep stosb` otherwise); false: memset zeroes them itself. Its
 * byte loop is ~4 emulated instructions a byte: a fork's clearing of its
 * struct proc (31 KiB) was ~140,000. */
#define MEMSET_BULK_MIN 64u
bool arch_memzero_bulk(void *dst, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
