/* Machine-level services the portable layers call: exit, TLB (CR3 reads
 * are inline, mm/mm_hooks.h). */
#ifndef GUEST_ARCH_X86_MACHINE_H
#define GUEST_ARCH_X86_MACHINE_H

#include <stdint.h>

_Noreturn void machine_exit(int status);
_Noreturn void machine_triple_fault(void);
void arch_invlpg(uint64_t va);

#endif
