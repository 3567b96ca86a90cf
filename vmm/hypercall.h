/* The paravirtual port of include/mv_hypercall.h, and the exit port. */
#ifndef VMM_HYPERCALL_H
#define VMM_HYPERCALL_H

#include <stdint.h>

#include "guest_mem.h"

struct vm;

int hypercall_register(struct vm *vm, uint16_t port);
int exit_port_register(struct vm *vm);

/* The operations themselves, on guest memory only (unit-testable). Each
 * returns >= 0 or -errno; a bad (gpa, length) is -EFAULT and touches nothing. */
int64_t hc_page_zero(struct guest_mem *gm, gpa_t gpa, uint64_t pages);
int64_t hc_page_copy(struct guest_mem *gm, gpa_t dst, gpa_t src, uint64_t pages);
int64_t hc_page_discard(struct guest_mem *gm, gpa_t gpa, uint64_t pages);
/* Any byte range up to MV_HC_MEM_COPY_MAX (else -EINVAL); len 0 is 0. */
int64_t hc_mem_copy(struct guest_mem *gm, gpa_t dst, gpa_t src, uint64_t len);

/* How many of count 32-bit words at gpa go first, first + 1, ...
 * (MV_HC_WORD_RUN); -EINVAL if gpa is not 4-byte aligned or count is over
 * MV_HC_WORD_RUN_MAX, -EFAULT outside guest RAM; count 0 is 0. */
int64_t hc_word_run(struct guest_mem *gm, gpa_t gpa, uint64_t count, uint64_t first);

/* Idle the calling vCPU thread for ns nanoseconds (MV_HC_SLEEP). */
int64_t hc_sleep(uint64_t ns);

#endif
