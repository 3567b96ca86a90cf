/* The kernel's own GDT, TSS and IDT (Intel SDM Vol. 3A 3.4.5, 6.14, 7.7).
 * Everything that does not depend on an address is a static initialiser,
 * so the boot path only patches in the TSS base and fills the IDT by
 * stepping one precomputed gate through the fixed-stride stubs. */
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "mv_boot.h"
#include "x86.h"

/* Gate descriptor fields, SDM 3A 6.14.1 figure 6-8 */
#define GATE_TYPE_INTR64 (0xeull << 40)
#define GATE_IST_SHIFT   32
#define DF_IST           1

#define STACK_SIZE 16384   /* rsp0: system calls and user faults run here */

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss64) == X86_TSS64_SIZE, "tss size");
_Static_assert(offsetof(struct tss64, rsp) == X86_TSS64_RSP0, "tss rsp0");
_Static_assert(offsetof(struct tss64, ist) == X86_TSS64_IST1, "tss ist1");
_Static_assert(offsetof(struct tss64, iomap_base) == X86_TSS64_IOMAP, "tss iomap");

#define SEG_COMMON (X86_DESC_P | X86_DESC_S | X86_DESC_RW | X86_DESC_A)
#define SEG_FLAT   (X86_DESC_G | X86_DESC_LIMIT_MAX)

/* Accessed bits preset: the CPU never has to write a descriptor back. */
static uint64_t gdt[MV_GDT_ENTRIES] __attribute__((aligned(16))) = {
	[MV_SEL_KCODE / 8] = SEG_COMMON | SEG_FLAT | X86_DESC_CODE | X86_DESC_L,
	[MV_SEL_KDATA / 8] = SEG_COMMON | SEG_FLAT | X86_DESC_DB,
	[MV_SEL_UCODE32 / 8] = SEG_COMMON | SEG_FLAT | X86_DESC_CODE | X86_DESC_DB | X86_DESC_DPL3,
	[MV_SEL_UDATA / 8] = SEG_COMMON | SEG_FLAT | X86_DESC_DB | X86_DESC_DPL3,
	[MV_SEL_UCODE / 8] = SEG_COMMON | SEG_FLAT | X86_DESC_CODE | X86_DESC_L | X86_DESC_DPL3,
	/* MV_SEL_TSS: two slots, filled by desc_init() */
};
_Static_assert(MV_SEL_TSS / 8 + 2 == MV_GDT_ENTRIES, "TSS descriptor is last");

static struct tss64 tss = { .iomap_base = sizeof(struct tss64) };
static uint64_t idt[2 * X86_NR_EXCEPTIONS] __attribute__((aligned(16)));
static uint8_t df_stack[STACK_SIZE] __attribute__((aligned(16)));
static uint8_t rsp0_stack[STACK_SIZE] __attribute__((aligned(16)));

extern const uint8_t trap_stubs[];
extern const uint8_t ud_entry[];   /* arch/x86/syscall_entry.S: syscalls on kvm-pvm */

static void desc_load_gdt(void)
{
	uint64_t base = (uint64_t)&tss;
	struct cpu_dtr d = { sizeof(gdt) - 1, (uint64_t)gdt };

	gdt[MV_SEL_TSS / 8] = (sizeof(tss) - 1) | (base & 0xffffff) << 16 | X86_DESC_TSS64_AVAIL |
			      X86_DESC_P | (base >> 24 & 0xff) << 56;
	gdt[MV_SEL_TSS / 8 + 1] = base >> 32;
	lgdt(&d);
	/* Far return reloads CS from the new table; data selectors follow. */
	__asm__ volatile("pushq %[cs]\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\tmovl %[ds], %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss"
			 :
			 : [cs] "i"(MV_SEL_KCODE), [ds] "i"(MV_SEL_KDATA)
			 : "rax", "memory");
	ltr(MV_SEL_TSS);
}

static uint64_t desc_gate_lo(uint64_t handler)
{
	return (handler & 0xffff) | (uint64_t)MV_SEL_KCODE << 16 | GATE_TYPE_INTR64 | X86_DESC_P |
	       (handler >> 16 & 0xffff) << 48;
}

static void desc_load_idt(void)
{
	uint64_t stub = (uint64_t)trap_stubs;
	uint64_t lo = desc_gate_lo(stub);
	uint64_t hi = stub >> 32;
	struct cpu_dtr d = { sizeof(idt) - 1, (uint64_t)idt };

	/* trap_entry.S aligns the stubs so that only offset bits 0..15 vary */
	for (unsigned i = 0; i < X86_NR_EXCEPTIONS; i++) {
		idt[2 * i] = lo;
		idt[2 * i + 1] = hi;
		lo += TRAP_STUB_SIZE;
	}
	idt[2 * X86_VEC_DF] |= (uint64_t)DF_IST << GATE_IST_SHIFT;
	/* #UD first checks for the syscall stub's ud2, then joins the stubs */
	idt[2 * X86_VEC_UD] = desc_gate_lo((uint64_t)ud_entry);
	idt[2 * X86_VEC_UD + 1] = (uint64_t)ud_entry >> 32;
	lidt(&d);
}

uint64_t trap_kstack_top(void)
{
	return tss.rsp[0];
}

void trap_set_kstack(uint64_t top)
{
	tss.rsp[0] = top;
}

void trap_init(void)
{
	tss.rsp[0] = (uint64_t)(rsp0_stack + STACK_SIZE);
	tss.ist[DF_IST - 1] = (uint64_t)(df_stack + STACK_SIZE);
	desc_load_gdt();
	desc_load_idt();
}
