/* Everything mm/ needs from the machine. The kernel implements these in
 * arch/x86/machine.c; a host unit test provides fakes over a buffer. */
#ifndef GUEST_MM_MM_HOOKS_H
#define GUEST_MM_MM_HOOKS_H

#include <stdint.h>

void *phys_to_virt(uint64_t pa);            /* via the direct map */
uint64_t kernel_virt_to_phys(const void *va); /* image and bss only */
uint64_t arch_read_cr3(void);
void arch_invlpg(uint64_t va);

#endif
