/* Process switch: the kernel stack is the process's context. */
#include "arch/x86/asm.h"

	.text
/* void arch_switch(uint64_t *save_rsp, uint64_t new_rsp)
 * The C caller has saved what the ABI lets a call clobber; the rest is
 * pushed here, RSP stored, and the other stack's registers popped in the
 * same order. A new process's stack is laid out by proc_fork to pop zeros
 * and return into its first function. */
	.globl arch_switch
arch_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
