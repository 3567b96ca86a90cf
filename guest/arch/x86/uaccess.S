/* Copies between kernel and user memory that may fault. Each `rep` string
 * instruction has an __extable entry: a fault the trap code cannot resolve
 * (no page belongs there, or the access breaks its protection) resumes at
 * the fixup, which returns -EFAULT. A fault on a lazily populated user page
 * is resolved first and the instruction continues where it stopped.
 * The C side (kernel/uaccess.c) has already checked that the user range
 * lies below USER_TOP, so these never touch kernel memory on a user's word.
 *
 * long arch_uaccess_copy(void *dst, const void *src, size_t n)
 * long arch_uaccess_zero(void *dst, size_t n)
 * 0, or -EFAULT. */
#include "arch/x86/asm.h"

	.text
	.globl arch_uaccess_copy
arch_uaccess_copy:
	movq %rdx, %rcx
1:	rep movsb
	xorl %eax, %eax
	ret
2:	movq $-ASM_EFAULT, %rax
	ret
	EXTABLE 1b, 2b

	.globl arch_uaccess_zero
arch_uaccess_zero:
	movq %rsi, %rcx
	xorl %eax, %eax
1:	rep stosb
	ret
2:	movq $-ASM_EFAULT, %rax
	ret
	EXTABLE 1b, 2b
