/* x86_64 architectural constants shared by the VMM (boot set-up) and the guest.
 * Intel SDM Vol. 3A: 2.5 (control registers), 3.4.5 (segment descriptors),
 * 4.5 (4-level paging), 7.7 (64-bit TSS); 2.2.1 / Vol. 4 (MSRs). */
#ifndef MAPVISOR_X86_H
#define MAPVISOR_X86_H

/* CR0, SDM 3A 2.5 */
#define X86_CR0_PE   (1ull << 0)
#define X86_CR0_MP   (1ull << 1)
#define X86_CR0_EM   (1ull << 2)
#define X86_CR0_ET   (1ull << 4)
#define X86_CR0_NE   (1ull << 5)
#define X86_CR0_WP   (1ull << 16)
#define X86_CR0_AM   (1ull << 18)
#define X86_CR0_PG   (1ull << 31)

/* CR4, SDM 3A 2.5 */
#define X86_CR4_PAE        (1ull << 5)
#define X86_CR4_PGE        (1ull << 7)
#define X86_CR4_OSFXSR     (1ull << 9)
#define X86_CR4_OSXMMEXCPT (1ull << 10)

/* EFER, SDM 3A 2.2.1 */
#define X86_MSR_EFER   0xc0000080u
#define X86_EFER_SCE   (1ull << 0)
#define X86_EFER_LME   (1ull << 8)
#define X86_EFER_LMA   (1ull << 10)
#define X86_EFER_NXE   (1ull << 11)

#define X86_MSR_STAR          0xc0000081u
#define X86_MSR_LSTAR         0xc0000082u
#define X86_MSR_FMASK         0xc0000084u
#define X86_MSR_FS_BASE       0xc0000100u
#define X86_MSR_GS_BASE       0xc0000101u
#define X86_MSR_KERNEL_GS_BASE 0xc0000102u

/* RFLAGS, SDM Vol. 1 3.4.3 */
#define X86_RFLAGS_CF    (1ull << 0)
#define X86_RFLAGS_FIXED (1ull << 1)    /* reads as 1 */
#define X86_RFLAGS_PF    (1ull << 2)
#define X86_RFLAGS_AF    (1ull << 4)
#define X86_RFLAGS_ZF    (1ull << 6)
#define X86_RFLAGS_SF    (1ull << 7)
#define X86_RFLAGS_TF    (1ull << 8)
#define X86_RFLAGS_IF    (1ull << 9)
#define X86_RFLAGS_DF    (1ull << 10)
#define X86_RFLAGS_OF    (1ull << 11)
#define X86_RFLAGS_IOPL  (3ull << 12)
#define X86_RFLAGS_NT    (1ull << 14)
#define X86_RFLAGS_RF    (1ull << 16)
#define X86_RFLAGS_AC    (1ull << 18)
#define X86_RFLAGS_ID    (1ull << 21)

/* STAR layout, SDM 3A 5.8.8: SYSCALL CS = STAR[47:32] (SS = +8);
 * SYSRET 64-bit CS = STAR[63:48] + 16 (SS = +8). */
#define X86_STAR_SYSCALL_SHIFT 32
#define X86_STAR_SYSRET_SHIFT  48

/* Page-table entry bits, SDM 3A 4.5 tables 4-15..4-20 */
#define X86_PTE_P      (1ull << 0)
#define X86_PTE_W      (1ull << 1)
#define X86_PTE_U      (1ull << 2)
#define X86_PTE_PWT    (1ull << 3)
#define X86_PTE_PCD    (1ull << 4)
#define X86_PTE_A      (1ull << 5)
#define X86_PTE_D      (1ull << 6)
#define X86_PTE_PS     (1ull << 7)   /* in PDPTE/PDE: 1 GiB / 2 MiB page */
#define X86_PTE_G      (1ull << 8)
#define X86_PTE_AVL9   (1ull << 9)   /* bits 9-11: ignored by the CPU, software's */
#define X86_PTE_AVL10  (1ull << 10)
#define X86_PTE_AVL11  (1ull << 11)
#define X86_PTE_NX     (1ull << 63)
#define X86_PTE_ADDR   0x000ffffffffff000ull

#define X86_PAGE_SHIFT 12
#define X86_PAGE_SIZE  (1ull << X86_PAGE_SHIFT)
#define X86_2M         (1ull << 21)
#define X86_1G         (1ull << 30)
#define X86_PT_ENTRIES 512
#define X86_PML4_INDEX(va) (((va) >> 39) & 511)
#define X86_PDPT_INDEX(va) (((va) >> 30) & 511)
#define X86_PD_INDEX(va)   (((va) >> 21) & 511)
#define X86_PT_INDEX(va)   (((va) >> 12) & 511)

/* Segment descriptor bits, SDM 3A 3.4.5 (as a 64-bit GDT entry) */
#define X86_DESC_A     (1ull << 40)   /* accessed */
#define X86_DESC_RW    (1ull << 41)   /* data: writable; code: readable */
#define X86_DESC_CODE  (1ull << 43)
#define X86_DESC_S     (1ull << 44)   /* code/data (not system) */
#define X86_DESC_DPL3  (3ull << 45)
#define X86_DESC_P     (1ull << 47)
#define X86_DESC_L     (1ull << 53)   /* 64-bit code */
#define X86_DESC_DB    (1ull << 54)
#define X86_DESC_G     (1ull << 55)
#define X86_DESC_LIMIT_MAX (0xffffull | (0xfull << 48))
#define X86_DESC_TSS64_AVAIL (9ull << 40)  /* system type 9, SDM 3A 7.2.3 */

/* Exception vectors, SDM 3A 6.3.1 */
#define X86_VEC_DE  0
#define X86_VEC_DB  1
#define X86_VEC_BP  3
#define X86_VEC_UD  6
#define X86_VEC_DF  8
#define X86_VEC_NP  11
#define X86_VEC_SS  12
#define X86_VEC_GP  13
#define X86_VEC_PF  14
#define X86_VEC_MF  16
#define X86_VEC_AC  17
#define X86_VEC_XM  19
#define X86_NR_EXCEPTIONS 32

/* Page-fault error code, SDM 3A 4.7 */
#define X86_PF_P    (1u << 0)
#define X86_PF_W    (1u << 1)
#define X86_PF_U    (1u << 2)
#define X86_PF_I    (1u << 4)

/* 64-bit TSS, SDM 3A 7.7: rsp0 at offset 4, I/O map base at offset 102. */
#define X86_TSS64_SIZE     104
#define X86_TSS64_RSP0     4
#define X86_TSS64_IST1     36
#define X86_TSS64_IOMAP    102

#endif
