/* Kernel entry points and ELF notes.
 *
 * entry64:     mapvisor's direct 64-bit entry (include/mv_boot.h): paging on
 *              with the VMM's tables, RDI = start_info GPA, RSI = boot_info GPA.
 * pvh_start32: PVH entry (QEMU -kernel, mapvisor --entry pvh): 32-bit, paging
 *              off, EBX = start_info GPA. Builds its own tables for the first
 *              1 GiB (identity for the jump, direct map, kernel) and joins the
 *              64-bit path with boot_info = 0.
 * Both call kmain(start_info_gpa, boot_info_gpa) on the boot stack.
 */
#include "arch/x86/asm.h"

#define PHYS(sym) ((sym) - ASM_KERNEL_VIRT_BASE)

/* ELF notes: namesz counts the NUL, name and desc padded to 4 bytes. */
	.section .note.mapvisor, "a"
	.balign 4
	.long 2f - 1f              /* namesz */
	.long 4f - 3f              /* descsz */
	.long 1                    /* MV_ELFNOTE_ENTRY64 */
1:	.asciz "Mapvisor"
2:	.balign 4
3:	.quad entry64
4:	.balign 4

	.section .note.pvh, "a"
	.balign 4
	.long 2f - 1f
	.long 4f - 3f
	.long 18                   /* PVH_ELFNOTE_PHYS32_ENTRY */
1:	.asciz "Xen"
2:	.balign 4
3:	.long pvh_start32
4:	.balign 4

/* ---- 32-bit PVH entry, linked at its physical address ---- */
	.section .boot32, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	/* Tables are in bss, which the loader handed over zeroed. One PD of
	 * 2 MiB pages serves all three views of [0, 1 GiB). */
	movl $PHYS(pvh_pd) + ASM_PTE_P + ASM_PTE_W, PHYS(pvh_pdpt_low)
	movl $PHYS(pvh_pd) + ASM_PTE_P + ASM_PTE_W, PHYS(pvh_pdpt_kernel) + ASM_PDPT_KERNEL * 8
	movl $PHYS(pvh_pdpt_low) + ASM_PTE_P + ASM_PTE_W, PHYS(pvh_pml4)
	movl $PHYS(pvh_pdpt_low) + ASM_PTE_P + ASM_PTE_W, PHYS(pvh_pml4) + ASM_PML4_DIRECT * 8
	/* NX at the top of the direct map only: the identity view shares the
	 * PD and must stay executable until we have jumped high. */
	movl $ASM_PTE_NX_HI, PHYS(pvh_pml4) + ASM_PML4_DIRECT * 8 + 4
	movl $PHYS(pvh_pdpt_kernel) + ASM_PTE_P + ASM_PTE_W, PHYS(pvh_pml4) + ASM_PML4_KERNEL * 8

	movl $PHYS(pvh_pd), %edi
	movl $ASM_PTE_P + ASM_PTE_W + ASM_PTE_PS, %eax
1:	movl %eax, (%edi)
	addl $8, %edi
	addl $ASM_2M, %eax
	cmpl $PHYS(pvh_pd) + 4096, %edi
	jne 1b

	movl $PHYS(pvh_pml4), %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $ASM_CR4_PAE, %eax
	movl %eax, %cr4
	movl $ASM_MSR_EFER, %ecx
	rdmsr
	orl $ASM_EFER_LME + ASM_EFER_NXE + ASM_EFER_SCE, %eax
	wrmsr
	movl %cr0, %eax
	orl $ASM_CR0_PG + ASM_CR0_WP + ASM_CR0_PE, %eax
	movl %eax, %cr0
	lgdt pvh_gdt_desc
	ljmp $ASM_SEL_KCODE, $pvh_start64

	.code64
pvh_start64:
	movl $ASM_SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movabsq $pvh_high, %rax
	jmp *%rax

	.balign 8
pvh_gdt:
	.quad 0
	.quad ASM_GDT_KCODE        /* ASM_SEL_KCODE */
	.quad ASM_GDT_KDATA        /* ASM_SEL_KDATA */
pvh_gdt_end:
pvh_gdt_desc:
	.word pvh_gdt_end - pvh_gdt - 1
	.long pvh_gdt

/* ---- 64-bit code in the kernel half ---- */
	.text
pvh_high:
	/* Drop the identity view so that low addresses fault from now on. */
	movq $0, pvh_pml4(%rip)
	movq %cr3, %rax
	movq %rax, %cr3
	movl %ebx, %edi            /* start_info GPA, zero-extended */
	xorl %esi, %esi            /* no mv_boot_info: no paravirt */
	jmp 1f

	.globl entry64
entry64:
	/* RDI and RSI already hold what kmain takes */
1:	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp            /* ends the backtrace */
	call kmain
2:	cli
	hlt
	jmp 2b

	.section .bss.page_aligned, "aw", @nobits
	.balign 4096
	.globl pvh_pml4
pvh_pml4:	.skip 4096
pvh_pdpt_low:	.skip 4096
pvh_pdpt_kernel: .skip 4096
pvh_pd:		.skip 4096
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip ASM_BOOT_STACK_SIZE
boot_stack_top:
