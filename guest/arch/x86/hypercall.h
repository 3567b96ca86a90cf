/* The mapvisor paravirtual port (include/mv_hypercall.h). */
#ifndef GUEST_ARCH_X86_HYPERCALL_H
#define GUEST_ARCH_X86_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>

void hc_init(uint16_t port);
bool hc_available(void);
/* -ENOSYS when there is no port. */
long hc_call(uint64_t op, uint64_t a0, uint64_t a1);
long hc_call3(uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2);

#endif
