/* User programs linked into the kernel image (kernel/embedded.S) until
 * there is a disk to load them from. */
#ifndef GUEST_KERNEL_EMBEDDED_H
#define GUEST_KERNEL_EMBEDDED_H

#include <stdint.h>

#define EMBEDDED_PREFIX "/embedded/"

struct embedded_prog {
	const char *name;
	const uint8_t *start, *end;   /* start is page aligned */
};

/* "NAME" or "/embedded/NAME"; 0 if there is no such program. */
const struct embedded_prog *embedded_find(const char *path);

#endif
