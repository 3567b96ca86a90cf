/* Constants for assembly files. The shared headers use C suffixes (ull)
 * and structs that gas cannot read, so the few values the .S files need are
 * repeated here; arch/x86/asm_check.c pins each one to its C original. */
#ifndef GUEST_ARCH_X86_ASM_H
#define GUEST_ARCH_X86_ASM_H

#define ASM_KERNEL_VIRT_BASE 0xffffffff80000000
#define ASM_SEL_KCODE        0x08
#define ASM_SEL_KDATA        0x10

#define ASM_PTE_P            0x1
#define ASM_PTE_W            0x2
#define ASM_PTE_PS           0x80
#define ASM_PTE_NX_HI        0x80000000   /* bit 63, as the high dword */
#define ASM_2M               0x200000

#define ASM_CR0_PE           0x1
#define ASM_CR0_WP           0x10000
#define ASM_CR0_PG           0x80000000
#define ASM_CR4_PAE          0x20
#define ASM_MSR_EFER         0xc0000080
#define ASM_EFER_SCE         0x1
#define ASM_EFER_LME         0x100
#define ASM_EFER_NXE         0x800

/* Descriptor words of the transition GDT (flat, long-mode code). */
#define ASM_GDT_KCODE        0x00af9b000000ffff
#define ASM_GDT_KDATA        0x00cf93000000ffff

/* User selectors with RPL 3, as an iretq frame to user mode carries them */
#define ASM_SEL_UCODE_RPL3   0x2b
#define ASM_SEL_UDATA_RPL3   0x23
#define ASM_VEC_UD           6
#define ASM_VEC_PF           14
/* kernel/fault.h: fault_handle's results the #PF entry tests or makes */
#define ASM_FAULT_DONE       0
#define ASM_FAULT_SEGV_MAPERR 1
/* struct trap_frame (arch/x86/trap.h): caller-saved registers, vector */
#define ASM_TF_CALLER_SAVED  (9 * 8)
#define ASM_TF_VECTOR        (15 * 8)
/* User-executable alias of the syscall stub page: last 2 MiB of the kernel
 * PML4 slot, away from the image (kernel/syscall docs/syscalls.md) */
#define ASM_SYSCALL_ALIAS    0xffffffffffe00000
/* Entries of syscall_table (kernel/syscall.h SYSCALL_NR) */
#define ASM_SYSCALL_NR       512
/* RFLAGS bits user code may own (SDM 1 3.4.3): CF PF AF ZF SF TF IF DF OF
 * AC ID; IOPL, NT, RF, VM, VIF, VIP stay clear. Bit 1 is always set. */
#define ASM_RFLAGS_USER      0x240fd5
#define ASM_RFLAGS_FIXED     0x2
#define ASM_RFLAGS_USER_INIT 0x202     /* IF and the fixed bit */

#define ASM_BOOT_STACK_SIZE  16384
#define ASM_TRAP_STUB_SIZE   16
#define ASM_EFAULT           14

#ifdef __ASSEMBLY__
/* The instruction at label `insn` may fault on a bad address: the trap code
 * resumes at `fixup` instead (the kernel's exception table). */
.macro EXTABLE insn, fixup
	.pushsection __extable, "a"
	.quad \insn, \fixup
	.popsection
.endm
#endif

/* PML4 slots of the PVH boot page tables */
#define ASM_PML4_DIRECT      256   /* MV_DIRECT_MAP_BASE */
#define ASM_PML4_KERNEL      511   /* MV_KERNEL_VIRT_BASE */
#define ASM_PDPT_KERNEL      510

#endif
