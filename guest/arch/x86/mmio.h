/* Device register access. Every access is one `mov` on a volatile address
 * with a "memory" clobber, so it is also a compiler barrier: stores to
 * shared memory (virtqueue rings) written before a register write reach
 * memory before it, and loads after a register access are not hoisted above
 * it. On x86 (TSO, uncached window) no fence instruction is needed for
 * that: each MMIO access is an exit or an ordered uncached access anyway. */
#ifndef GUEST_ARCH_X86_MMIO_H
#define GUEST_ARCH_X86_MMIO_H

#include <stdint.h>

static inline uint32_t mmio_read32(const volatile void *addr)
{
	uint32_t v;
	__asm__ volatile("movl %1, %0" : "=r"(v) : "m"(*(const volatile uint32_t *)addr) : "memory");
	return v;
}

static inline void mmio_write32(volatile void *addr, uint32_t v)
{
	__asm__ volatile("movl %1, %0" : "=m"(*(volatile uint32_t *)addr) : "r"(v) : "memory");
}

#endif
