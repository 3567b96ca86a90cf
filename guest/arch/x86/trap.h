/* Exceptions: the frame the entry stubs build, dispatch, and fault probing. */
#ifndef GUEST_ARCH_X86_TRAP_H
#define GUEST_ARCH_X86_TRAP_H

#include <stdint.h>

#define TRAP_STUB_SIZE 16

/* Layout fixed by trap_entry.S: GPRs pushed by trap_common, then vector and
 * error code pushed by the stub, then the CPU's interrupt frame. */
struct trap_frame {
	/* callee-saved, pushed last: the page-fault entry pushes them only
	 * when the fault is more than a page to supply (trap_entry.S) */
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* What the last fault caught by a fixup looked like. */
struct trap_fault {
	uint64_t vector;
	uint64_t error;
	uint64_t cr2;
	uint64_t rip;
};

void trap_init(void);
/* Top of the stack exceptions from user mode (and system calls) run on. */
uint64_t trap_kstack_top(void);
/* Another process's kernel stack for the next entry from user mode. */
void trap_set_kstack(uint64_t top);
void trap_dispatch(struct trap_frame *f);
/* The rest of a page fault that fault_handle (called by the #PF entry,
 * trap_entry.S) did not settle. */
void trap_pf_slow(struct trap_frame *f, int result, uint64_t cr2);
const struct trap_fault *trap_last_fault(void);

long trap_probe_read(const volatile void *addr, uint64_t *out);
long trap_probe_write(volatile void *addr, uint64_t val);

#endif
