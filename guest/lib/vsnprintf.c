/* A small vsnprintf: %s %c %d %u %x %p %%, 'l'/'ll'/'z' length, a width
 * with optional '0' pad. Returns the length the output would have had;
 * writes at most size - 1 characters plus a NUL.
 *
 * Written for instruction count: kernel code may be emulated one
 * instruction at a time, and the boot banner goes through here. The write
 * pointer stays in a register, the length is derived from it at the end,
 * hex uses shifts and decimal a constant divisor. */
#include <stdint.h>

#include "lib/string.h"

/* Evaluates c exactly once, room or not: callers pass *s++ and tmp[--len]. */
#define PUT(c)                      \
	do {                        \
		char put_ = (c);    \
		if (p < end)        \
			*p++ = put_; \
		else                \
			lost++;     \
	} while (0)

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	static const char digits[] = "0123456789abcdef";
	char *p = buf, *end = buf + (size ? size - 1 : 0);
	size_t lost = 0;
	char c;

	while ((c = *fmt++)) {
		if (c != '%') {
			PUT(c);
			continue;
		}
		char pad = ' ', tmp[24];
		int width = 0, lng = 0, len = 0, neg = 0;
		uint64_t v;
		if (*fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z')
			lng = 1, fmt++;

		switch ((c = *fmt++)) {
		case 'd': {
			int64_t s = lng ? va_arg(ap, long) : va_arg(ap, int);
			neg = s < 0;
			v = neg ? -(uint64_t)s : (uint64_t)s;
			goto decimal;
		}
		case 'u':
			v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
		decimal:
			do {
				tmp[len++] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			break;
		case 'p':
			PUT('0');
			PUT('x');
			v = (uint64_t)va_arg(ap, void *);
			goto hex;
		case 'x':
			v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
		hex:
			do {
				tmp[len++] = digits[v & 15];
				v >>= 4;
			} while (v);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			for (int n = (int)strlen(s); width > n; width--)
				PUT(' ');
			while (*s)
				PUT(*s++);
			continue;
		}
		case 'c':
			PUT((char)va_arg(ap, int));
			continue;
		case '%':
			PUT('%');
			continue;
		case '\0':
			fmt--;
			continue;
		default:
			PUT('%');
			PUT(c);
			continue;
		}

		/* a number, most significant digit last in tmp */
		if (neg) {
			if (pad == '0')
				PUT('-');
			width--;
		}
		for (; width > len; width--)
			PUT(pad);
		if (neg && pad != '0')
			PUT('-');
		while (len)
			PUT(tmp[--len]);
	}
	if (size)
		*p = '\0';
	return (int)((size_t)(p - buf) + lost);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
