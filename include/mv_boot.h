/* The mapvisor boot contract (ABI version MV_BOOT_ABI_VERSION): how mapvisor
 * enters a kernel directly in 64-bit mode, and the memory layout both sides
 * agree on. docs/boot.md explains the reasons; this header is the truth.
 *
 * A kernel opts in with an ELF note (name "Mapvisor", type MV_ELFNOTE_ENTRY64)
 * whose descriptor is the 64-bit virtual entry address (8 bytes). It must also
 * carry the PVH note, which QEMU (and `mapvisor run --entry pvh`) use instead.
 *
 * Guest-physical layout built by mapvisor:
 *
 *   GPA                    | contents
 *   -----------------------+-----------------------------------------------
 *   0x0000_0000            | unused, never handed to the kernel
 *   MV_GPA_START_INFO      | struct hvm_start_info
 *   MV_GPA_MEMMAP          | hvm_memmap_table_entry[MV_MEMMAP_MAX]
 *   MV_GPA_BOOT_INFO       | struct mv_boot_info
 *   MV_GPA_CMDLINE         | command line, NUL-terminated, < MV_CMDLINE_MAX
 *   MV_GPA_BOOT_GDT        | boot GDT (selectors below)
 *   MV_GPA_PGTABLE..END    | boot page tables, 4 KiB pages of their own
 *   MV_GPA_KERNEL_MIN..    | kernel ELF segments (p_paddr), then free RAM
 *   MV_GPA_MMIO_BASE..4G   | device hole; RAM above 3 GiB continues at 4 GiB
 *   MV_GPA_VIRTIO_MMIO     | virtio-mmio device i at + i * MV_VIRTIO_MMIO_SIZE,
 *                          | IRQ MV_VIRTIO_IRQ_BASE + i, announced on the
 *                          | command line as virtio_mmio.device=4K@<base>:<irq>
 *
 * Guest-virtual layout of the boot page tables (4-level paging):
 *
 *   GVA                              | maps
 *   ---------------------------------+-----------------------------------
 *   MV_DIRECT_MAP_BASE + gpa         | all RAM (1 GiB pages where the CPU
 *                                    | has them, else 2 MiB), RW, NX
 *   MV_KERNEL_VIRT_BASE + gpa        | GPA [0, 1 GiB) in 2 MiB pages, RWX
 *
 * CPU state at the 64-bit entry (rip = entry64):
 *   long mode, CR0 = PE|MP|ET|NE|WP|AM|PG, CR4 = PAE|PGE|OSFXSR|OSXMMEXCPT,
 *   EFER = SCE|LME|LMA|NXE, CR3 = MV_GPA_PGTABLE, CS = MV_SEL_KCODE,
 *   DS = ES = SS = FS = GS = MV_SEL_KDATA, GDTR = boot GDT, IDTR empty,
 *   RFLAGS = 0x2 (interrupts off), RSP = 0 (the kernel sets its own stack),
 *   RDI = GPA of hvm_start_info, RSI = GPA of mv_boot_info.
 */
#ifndef MAPVISOR_MV_BOOT_H
#define MAPVISOR_MV_BOOT_H

#include <stddef.h>
#include <stdint.h>

#define MV_BOOT_ABI_VERSION   2u
/* Version 1 lacks wall_clock_ns and tsc_khz; a kernel may accept both,
 * reading the fields of version 2 only when version >= 2. */
#define MV_BOOT_ABI_VERSION_MIN 1u

#define MV_ELFNOTE_NAME       "Mapvisor"
#define MV_ELFNOTE_ENTRY64    1u

#define MV_GPA_START_INFO     0x00001000ull
#define MV_GPA_MEMMAP         0x00001100ull
#define MV_MEMMAP_MAX         16u
#define MV_GPA_BOOT_INFO      0x00001400ull
#define MV_GPA_CMDLINE        0x00002000ull
#define MV_CMDLINE_MAX        4096u
#define MV_GPA_BOOT_GDT       0x00003000ull
#define MV_GPA_PGTABLE        0x00100000ull      /* PML4; tables follow */
#define MV_GPA_PGTABLE_END    0x00200000ull
#define MV_GPA_KERNEL_MIN     0x00200000ull      /* segments load at or above */
#define MV_GPA_MMIO_BASE      0xc0000000ull      /* 3 GiB: device hole start */
#define MV_GPA_HIGH_RAM       0x100000000ull     /* RAM above the hole */
#define MV_GPA_VIRTIO_MMIO    0xd0000000ull      /* first virtio-mmio window */
#define MV_VIRTIO_MMIO_SIZE   0x1000ull          /* one 4 KiB window a device */
#define MV_VIRTIO_MMIO_MAX    4u                 /* devices mapvisor places */
#define MV_VIRTIO_IRQ_BASE    5u                 /* IRQ of device 0 (not delivered yet) */

#define MV_DIRECT_MAP_BASE    0xffff800000000000ull
#define MV_KERNEL_VIRT_BASE   0xffffffff80000000ull

/* GDT selectors, shared by the boot GDT and the kernel's own GDT.
 * Order follows what SYSCALL/SYSRET expect (STAR). */
#define MV_SEL_NULL           0x00
#define MV_SEL_KCODE          0x08   /* 64-bit code, DPL 0 */
#define MV_SEL_KDATA          0x10   /* data, DPL 0 */
#define MV_SEL_UCODE32        0x18   /* placeholder for SYSRET's 32-bit CS */
#define MV_SEL_UDATA          0x20   /* data, DPL 3 (selector 0x23) */
#define MV_SEL_UCODE          0x28   /* 64-bit code, DPL 3 (selector 0x2b) */
#define MV_SEL_TSS            0x30   /* 16-byte TSS descriptor */
#define MV_GDT_ENTRIES        8

#define MV_BOOT_INFO_MAGIC    0x4942564du        /* "MVBI" little endian */

/* mv_boot_info.flags */
#define MV_BOOT_F_HC             (1ull << 0)  /* hypercall port usable */
#define MV_BOOT_F_CPL0_EMULATED  (1ull << 1)  /* kernel code is emulated: prefer
                                               * the port for bulk page work */
#define MV_BOOT_F_DIRECT_MAP_ALL (1ull << 2)  /* direct map covers all RAM */
#define MV_BOOT_F_RAM_ZERO       (1ull << 3)  /* RAM reads as zero but for the boot
                                               * data below MV_GPA_KERNEL_MIN and the
                                               * kernel's segments: pages the kernel
                                               * never used need no zeroing */

struct mv_boot_info {
	uint32_t magic;          /* MV_BOOT_INFO_MAGIC */
	uint32_t version;        /* MV_BOOT_ABI_VERSION */
	uint64_t flags;          /* MV_BOOT_F_* */
	uint16_t hc_port;        /* I/O port of mv_hypercall.h, if MV_BOOT_F_HC */
	uint16_t reserved0;
	uint32_t tsc_khz;        /* version 2: the TSC's rate; 0: unknown
				  * (version 1 called this reserved1, always 0) */
	uint64_t pgtable_start;  /* GPA range of the boot page tables */
	uint64_t pgtable_end;
	/* Version 2: the host's CLOCK_REALTIME in ns since the epoch, taken
	 * just before the vCPU's first KVM_RUN, so the kernel can pair it with
	 * the TSC it reads first thing at entry and advance it by tsc_khz.
	 * 0: unknown. */
	uint64_t wall_clock_ns;
};

_Static_assert(sizeof(struct mv_boot_info) == 48, "mv_boot_info layout");
/* Version 2 added fields without moving any of version 1. */
_Static_assert(offsetof(struct mv_boot_info, tsc_khz) == 20, "mv_boot_info v2 layout");
_Static_assert(offsetof(struct mv_boot_info, pgtable_start) == 24, "mv_boot_info v1 layout");
_Static_assert(offsetof(struct mv_boot_info, wall_clock_ns) == 40, "mv_boot_info v2 layout");

#endif
