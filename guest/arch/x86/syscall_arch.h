/* The CPU side of system calls and user mode (arch/x86/syscall_entry.S). */
#ifndef GUEST_ARCH_X86_SYSCALL_ARCH_H
#define GUEST_ARCH_X86_SYSCALL_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What syscall_common keeps on the kernel stack while a handler runs: the
 * six argument registers in Linux ABI order (rdi rsi rdx r10 r8 r9), the
 * number, then the iretq frame back to user mode. Restored on return, so
 * a handler may change what user mode gets back. */
struct syscall_frame {
	uint64_t arg[6];
	uint64_t nr;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct syscall_frame) == 12 * 8, "syscall_entry.S pushes 7 words");

/* Where the syscall stub's page is mapped again with the user bit: LSTAR
 * points here (arch/x86/syscall_entry.S says why). */
#define SYSCALL_ALIAS_VA 0xffffffffffe00000ull

/* STAR/LSTAR/FMASK and EFER.SCE, the stub's alias mapping, the kernel
 * stack for the CPL 0 path. Before the first address space is created:
 * the alias sets the user bit in a kernel PML4 entry that they copy.
 * 0 or -errno. */
int syscall_arch_init(uint64_t kstack_top);
_Noreturn void user_enter(uint64_t rip, uint64_t rsp);
/* The kernel stack user-mode entries (system calls, exceptions) use from
 * now on: a process switch. */
void arch_set_kstack(uint64_t top);
/* Save the callee-saved registers and RSP into *save_rsp, continue on
 * new_rsp where an earlier arch_switch saved it (arch/x86/switch.S). */
void arch_switch(uint64_t *save_rsp, uint64_t new_rsp);
struct trap_frame;
/* Every user register at a system call: the frame's own, the callee-saved
 * ones (rbx rbp r12 r13 r14 r15) the entry code pushed, rax = ret, and
 * RCX/R11 as `syscall` leaves them. */
void syscall_frame_full(const struct syscall_frame *sf, const uint64_t *callee, long ret,
			struct trap_frame *tf);
void arch_set_fs_base(uint64_t base);
/* CR3 load: `mov %cr3` or the MV_HC_LOAD_CR3 hypercall (docs/syscalls.md). */
void arch_load_cr3(uint64_t cr3);
void arch_load_cr3_hc(bool on);
uint64_t arch_rdtsc(void);
/* TSC ticks per microsecond, from CPUID; 0 if the CPU does not say. */
uint64_t arch_tsc_per_us(void);

/* The user's x87/SSE state to and from a 512-byte, 16-aligned FXSAVE
 * image (signal frames); the kernel itself never touches these registers. */
void arch_fpu_save(void *area);
void arch_fpu_restore(const void *area);

long arch_uaccess_copy(void *dst, const void *src, size_t n);
long arch_uaccess_zero(void *dst, size_t n);

#endif
