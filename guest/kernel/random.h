/* Unpredictable-enough bytes for AT_RANDOM and getrandom(2): splitmix64
 * seeded from the TSC. Not cryptographic (docs/syscalls.md). */
#ifndef GUEST_KERNEL_RANDOM_H
#define GUEST_KERNEL_RANDOM_H

#include <stddef.h>
#include <stdint.h>

uint64_t random_u64(void);
void random_fill(void *buf, size_t n);

#endif
