/* System call entry and the way into user mode (docs/syscalls.md).
 *
 * `syscall` jumps to syscall_entry (LSTAR) with RCX = user RIP, R11 = user
 * RFLAGS and RSP still the user's. Where it lands depends on the host:
 *   - hardware KVM (and TCG): CPL 0, CS from STAR. We switch to the kernel
 *     stack ourselves and build an iretq frame;
 *   - kvm-pvm: still CPL 3 (CS reads 0x33, docs/platform.md row 4), where
 *     nothing privileged works. `ud2` at syscall_ud2 raises #UD, which the
 *     host does deliver at CPL 0 on RSP0; ud_entry recognises the RIP and
 *     turns the #UD frame into the same iretq frame.
 * Both join syscall_common, and both return with iretq: sysretq raises #GP
 * on kvm-pvm (row 6).
 *
 * Only the low two bits of CS are tested, never a selector value: the
 * user CS reads 0x33 on kvm-pvm although our GDT says 0x2b.
 *
 * syscall_common saves the registers the Linux ABI preserves across a
 * system call and the C ABI does not (rdi rsi rdx r10 r8 r9); RCX and R11
 * come back as the return RIP and RFLAGS, as Linux leaves them.
 */
#include "arch/x86/asm.h"


/* The stub has a page of its own, mapped a second time at
 * ASM_SYSCALL_ALIAS with the user bit (syscall_arch_init): on kvm-pvm it
 * runs at CPL 3 and could not fetch from a supervisor page. LSTAR points at
 * the alias, so only position-independent code that touches no kernel data
 * runs there; the CPL 0 path leaves it with an absolute jump. */
	.section .text.syscall_user, "ax"
	.balign 4096
	.globl syscall_entry
syscall_entry:
	/* Put CS into R11's low word without losing RFLAGS: RFLAGS uses bits
	 * 0..21 only, so rotate its zero top word to the bottom. `mov` and
	 * `ror` leave ZF alone, so one test decides after R11 is restored. */
	rolq $16, %r11
	movw %cs, %r11w
	testb $3, %r11b
	movw $0, %r11w
	rorq $16, %r11
	jnz syscall_ud2
	jmp *syscall_cpl0_ptr      /* absolute: back into the kernel's text */
syscall_ud2:
	ud2                        /* kvm-pvm: into ud_entry at CPL 0 */
	.balign 4096, 0xcc         /* nothing else of the kernel on this page */

#define UD2_ALIAS (ASM_SYSCALL_ALIAS + (syscall_ud2 - syscall_entry))

	.section .rodata
	.balign 8
syscall_cpl0_ptr:
	.quad syscall_cpl0

	.text
syscall_cpl0:
	/* Hardware semantics: CPL 0 on the user stack, IF cleared by FMASK.
	 * One CPU and no preemption, so a global slot holds the user RSP. */
	movq %rsp, syscall_user_rsp(%rip)
	movq syscall_kstack_top(%rip), %rsp
	pushq $ASM_SEL_UDATA_RPL3
	pushq syscall_user_rsp(%rip)
	pushq %r11
	pushq $ASM_SEL_UCODE_RPL3
	pushq %rcx
	jmp syscall_common

/* #UD gate. The CPU pushed RIP, CS, RFLAGS, RSP, SS (no error code). */
	.globl ud_entry
	.balign 16
ud_entry:
	cmpq $UD2_ALIAS, (%rsp)
	jne 1f
	/* User code can jump to the alias page itself, so R11 is whatever
	 * it chose: keep only the flags user mode may own (no IOPL, NT, VM)
	 * before iretq at CPL 0 loads them. RCX likewise is just an address
	 * to return to; a non-canonical one makes the iretq fault at CPL 0,
	 * which trap.c turns into the process's SIGSEGV (trap_bad_iret). */
	andl $ASM_RFLAGS_USER, %r11d
	orl $ASM_RFLAGS_FIXED, %r11d
	movq %rcx, (%rsp)
	movq $ASM_SEL_UCODE_RPL3, 8(%rsp)
	movq %r11, 16(%rsp)
	movq $ASM_SEL_UDATA_RPL3, 32(%rsp)
	jmp syscall_common
1:	pushq $0                   /* a real #UD: the generic path */
	pushq $ASM_VEC_UD
	jmp trap_common

/* Stack: the 5-word iretq frame. The pushes complete a struct
 * syscall_frame (arch/x86/syscall_arch.h): arguments in ABI order at the
 * lowest address, so handlers take one pointer. Seven pushes keep RSP
 * 16-byte aligned for the call (the CPU aligned it below the frame). */
syscall_common:
	pushq %rax
	pushq %r9
	pushq %r8
	pushq %r10
	pushq %rdx
	pushq %rsi
	pushq %rdi
	movq %rsp, %rdi
	cmpq $ASM_SYSCALL_NR, %rax
	jae 2f
	movq syscall_table(, %rax, 8), %r11
	testq %r11, %r11
	jz 2f
	call *%r11
syscall_return:
	cmpb $0, signal_work(%rip)
	jne syscall_signal
	popq %rdi
	popq %rsi
	popq %rdx
	popq %r10
	popq %r8
	popq %r9
	addq $8, %rsp              /* nr */
	movq (%rsp), %rcx          /* what `syscall` left in RCX and R11 */
	movq 16(%rsp), %r11
	.globl syscall_iretq
syscall_iretq:                     /* may #GP: trap.c, trap_bad_iret */
	iretq
2:	call syscall_unknown
	jmp syscall_return

/* The callee-saved registers, which still hold user values after a system
 * call's handler returns, pushed so that they lie as rbx rbp r12 r13 r14
 * r15 upward: the `callee` array of syscall_frame_full(). Six words. */
.macro PUSH_USER_CALLEE
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %rbp
	pushq %rbx
.endm

/* A signal is deliverable: hand the C side every user register. The
 * callee-saved ones still hold user values (the handler preserved them);
 * six pushes keep RSP 16-byte aligned for the call. Does not return: the
 * delivery leaves through trap_return. */
syscall_signal:
	PUSH_USER_CALLEE
	movq %rsp, %rsi            /* rbx rbp r12 r13 r14 r15 */
	leaq 48(%rsp), %rdi        /* the struct syscall_frame */
	movq %rax, %rdx            /* the call's return value */
	call signal_deliver_syscall

/* long sys_fork_entry(struct syscall_frame *f): fork, vfork and clone.
 * The child needs every user register, and the callee-saved ones are
 * only still in the registers here: push them (as rbx rbp r12..r15 upward)
 * for proc_fork_syscall. The eighth word keeps RSP 16-byte aligned. */
	.globl sys_fork_entry
sys_fork_entry:
	PUSH_USER_CALLEE
	movq %rsp, %rsi
	subq $8, %rsp
	call proc_fork_syscall
	addq $56, %rsp
	ret

/* _Noreturn void user_enter(uint64_t rip, uint64_t rsp)
 * First entry of a process: an iretq frame with IF set, as user code sees
 * it on Linux, and every register zeroed (the ELF ABI leaves them
 * undefined; Linux makes them zero, so programs see the same). */
	.globl user_enter
user_enter:
	pushq $ASM_SEL_UDATA_RPL3
	pushq %rsi
	pushq $ASM_RFLAGS_USER_INIT
	pushq $ASM_SEL_UCODE_RPL3
	pushq %rdi
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	iretq

	.bss
	.balign 8
	.globl syscall_kstack_top
syscall_kstack_top:	.quad 0
syscall_user_rsp:	.quad 0
