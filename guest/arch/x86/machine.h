/* Machine-level services the portable layers call: exit, CR3, TLB. */
#ifndef GUEST_ARCH_X86_MACHINE_H
#define GUEST_ARCH_X86_MACHINE_H

#include <stdint.h>

_Noreturn void machine_exit(int status);
_Noreturn void machine_triple_fault(void);
uint64_t arch_read_cr3(void);
void arch_invlpg(uint64_t va);

#endif
