/* Byte-at-a-time on purpose: the strings here are short, and the compiler
 * may emit calls to memcpy/memset itself, so these must not recurse. */
#include "lib/string.h"

/* Stop gcc from turning these loops back into calls to themselves. */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

static NO_LIBCALL void *memcpy_bytes(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

/* Out of line, so that a short memcpy stays a leaf without a frame. */
static __attribute__((noinline)) void *memcpy_long(void *dst, const void *src, size_t n)
{
	if (arch_memcpy_bulk(dst, src, n))
		return dst;
	return memcpy_bytes(dst, src, n);
}

NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
	if (n >= MEMCPY_BULK_MIN)
		return memcpy_long(dst, src, n);
	return memcpy_bytes(dst, src, n);
}

static NO_LIBCALL void *memset_bytes(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
	if (!c && n >= MEMSET_BULK_MIN && arch_memzero_bulk(dst, n))
		return dst;
	return memset_bytes(dst, c, n);
}

NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

NO_LIBCALL size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			break;
	}
	return 0;
}
