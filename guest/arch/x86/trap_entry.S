/* Exception entry: 32 stubs of ASM_TRAP_STUB_SIZE bytes each (so the IDT
 * is filled by adding a stride), one common path building a trap_frame
 * (arch/x86/trap.h), and the fault-probing helpers with their fixups. */
#include "arch/x86/asm.h"

/* Vectors for which the CPU pushes an error code (SDM 3A 6.15). */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		    (v) == 21 || (v) == 29 || (v) == 30)

	.section .text.trap_stubs, "ax"
	.balign 512                /* all stubs share address bits 16..63 */
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 32
	.balign ASM_TRAP_STUB_SIZE
	.if !HAS_ERR(vec)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

	.text
	.globl trap_common
trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call trap_dispatch
trap_exit:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp             /* vector and error code */
	.globl trap_iretq
trap_iretq:                        /* may #GP: trap.c, trap_bad_iret */
	iretq

/* _Noreturn void trap_return(const struct trap_frame *f)
 * Leave through a whole trap frame built elsewhere (signal delivery after
 * a system call, rt_sigreturn): every register comes from it. */
	.globl trap_return
trap_return:
	movq %rdi, %rsp
	jmp trap_exit

/* long trap_probe_read(const volatile void *addr, uint64_t *out)
 * long trap_probe_write(volatile void *addr, uint64_t val)
 * 0, or -EFAULT if the access faulted (trap_last_fault() says how). */
	.globl trap_probe_read
trap_probe_read:
1:	movq (%rdi), %rax
	movq %rax, (%rsi)
	xorl %eax, %eax
	ret
2:	movq $-ASM_EFAULT, %rax
	ret
	EXTABLE 1b, 2b

	.globl trap_probe_write
trap_probe_write:
1:	movq %rsi, (%rdi)
	xorl %eax, %eax
	ret
2:	movq $-ASM_EFAULT, %rax
	ret
	EXTABLE 1b, 2b
