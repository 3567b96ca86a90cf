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
	.if vec == ASM_VEC_PF
	jmp trap_pf_entry
	.else
	.if !HAS_ERR(vec)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.endif
	.set vec, vec + 1
	.endr

/* A struct trap_frame (arch/x86/trap.h) is the CPU's frame, the error code
 * and vector, the caller-saved registers, then the callee-saved ones. */
.macro PUSH_CALLER_SAVED
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
.endm

.macro POP_CALLER_SAVED
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
.endm

.macro PUSH_CALLEE_SAVED
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

	.text
	.globl trap_common
trap_common:
	PUSH_CALLER_SAVED
	PUSH_CALLEE_SAVED
	movq %rsp, %rdi
	cld
	call trap_dispatch
trap_exit:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	POP_CALLER_SAVED
	addq $16, %rsp             /* vector and error code */
	.globl trap_iretq
trap_iretq:                        /* may #GP: trap.c, trap_bad_iret */
	iretq

/* #PF. Most page faults only need their page: fault_handle runs on the
 * caller-saved registers (the C code keeps the others), and the fault
 * leaves with nine pops instead of building and unwinding the whole frame
 * (each instruction here is emulated on kvm-pvm). Otherwise the frame is
 * completed and trap_pf_slow goes on as trap_dispatch would. The vector's
 * slot holds CR2 until then: a fault taken while handling this one would
 * change the register. Ten words keep RSP 16-byte aligned for the call. */
trap_pf_entry:
	pushq $ASM_VEC_PF
	PUSH_CALLER_SAVED
	movq ASM_TF_CALLER_SAVED+8(%rsp), %rdx    /* the error code */
	movq %cr2, %rsi
	movq %rsi, ASM_TF_CALLER_SAVED(%rsp)
	movq proc_current(%rip), %rdi
	movl $ASM_FAULT_SEGV_MAPERR, %eax
	testq %rdi, %rdi
	jz 1f
	cld
	call fault_handle
	testl %eax, %eax           /* ASM_FAULT_DONE */
	jnz 1f
	POP_CALLER_SAVED
	addq $16, %rsp             /* vector and error code */
	.globl trap_pf_iretq
trap_pf_iretq:                     /* may #GP: trap.c, trap_bad_iret */
	iretq
1:	PUSH_CALLEE_SAVED
	movq %rsp, %rdi
	movl %eax, %esi
	movq ASM_TF_VECTOR(%rsp), %rdx
	movq $ASM_VEC_PF, ASM_TF_VECTOR(%rsp)
	cld
	call trap_pf_slow
	jmp trap_exit

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
