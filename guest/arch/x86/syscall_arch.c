/* System call MSRs, FS base, CR3 loads and the TSC: the privileged
 * instructions the process and syscall layers need (SDM 3A 5.8.8). */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/hypercall.h"
#include "arch/x86/syscall_arch.h"
#include "arch/x86/trap.h"
#include "mm/mm_hooks.h"
#include "mm/pgtable.h"
#include "mv_boot.h"
#include "mv_hypercall.h"
#include "x86.h"

/* Flags cleared on entry through `syscall` (hardware path): interrupts off,
 * no single-step, string ops forward, no alignment checks, no inherited
 * IOPL or nested task. */
#define SYSCALL_FMASK                                                                   \
	(X86_RFLAGS_TF | X86_RFLAGS_IF | X86_RFLAGS_DF | X86_RFLAGS_AC | X86_RFLAGS_NT | \
	 X86_RFLAGS_IOPL | X86_RFLAGS_RF)

#define CPUID_TSC        0x15        /* SDM 2A: TSC/crystal ratio */
#define CPUID_FREQ       0x16        /* base frequency in MHz */
#define CPUID_HV_BASE    0x40000000u
#define CPUID_HV_TIMING  0x40000010u /* hypervisor timing leaf: EAX = TSC kHz */

extern const uint8_t syscall_entry[];
extern uint64_t syscall_kstack_top;

static bool cr3_hc;

int syscall_arch_init(uint64_t kstack_top)
{
	static bool done;

	if (done)
		return 0;
	/* read-only and executable for user mode: the stub, nothing else */
	int err = pgtable_map(SYSCALL_ALIAS_VA, kernel_virt_to_phys(syscall_entry), X86_PTE_U);
	if (err)
		return err;
	done = true;
	syscall_kstack_top = kstack_top;
	/* User programs use SSE (musl's memcpy, printf of doubles): without
	 * OSFXSR every SSE instruction raises #UD. mapvisor's 64-bit entry
	 * sets these; the PVH path (QEMU) does not. */
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();
	if ((cr0 & (X86_CR0_EM | X86_CR0_MP | X86_CR0_NE)) != (X86_CR0_MP | X86_CR0_NE))
		write_cr0((cr0 & ~X86_CR0_EM) | X86_CR0_MP | X86_CR0_NE);
	if ((cr4 & (X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)) != (X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT))
		write_cr4(cr4 | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
	/* SYSRET's selectors are named too although we never use sysret
	 * (it faults on kvm-pvm): STAR[63:48] + 16 is the 64-bit user CS. */
	wrmsr(X86_MSR_STAR, (uint64_t)MV_SEL_KCODE << X86_STAR_SYSCALL_SHIFT |
				    (uint64_t)(MV_SEL_UCODE32 | 3) << X86_STAR_SYSRET_SHIFT);
	wrmsr(X86_MSR_LSTAR, SYSCALL_ALIAS_VA);
	wrmsr(X86_MSR_FMASK, SYSCALL_FMASK);
	/* mapvisor sets SCE; the PVH path sets it in boot.S; a loader that
	 * did neither still gets it here. */
	uint64_t efer = rdmsr(X86_MSR_EFER);
	if (!(efer & X86_EFER_SCE))
		wrmsr(X86_MSR_EFER, efer | X86_EFER_SCE);
	return 0;
}

void arch_set_fs_base(uint64_t base)
{
	wrmsr(X86_MSR_FS_BASE, base);
}

void arch_load_cr3_hc(bool on)
{
	cr3_hc = on && hc_available();
}

void arch_load_cr3(uint64_t cr3)
{
	if (cr3_hc && hc_call(MV_HC_LOAD_CR3, cr3, 0) == 0)
		return;
	write_cr3(cr3);
}

uint64_t arch_rdtsc(void)
{
	return rdtsc();
}

uint64_t arch_tsc_per_us(void)
{
	uint32_t r[4];

	cpuid(CPUID_HV_BASE, 0, r);
	if (r[0] >= CPUID_HV_TIMING) {
		cpuid(CPUID_HV_TIMING, 0, r);
		if (r[0])
			return r[0] / 1000;
	}
	cpuid(0, 0, r);
	uint32_t max = r[0];
	if (max >= CPUID_TSC) {
		cpuid(CPUID_TSC, 0, r);
		if (r[0] && r[1] && r[2])
			return (uint64_t)r[2] * r[1] / r[0] / 1000000;
	}
	if (max >= CPUID_FREQ) {
		cpuid(CPUID_FREQ, 0, r);
		if (r[0] & 0xffff)
			return r[0] & 0xffff;
	}
	return 0;
}

void arch_fpu_save(void *area)
{
	__asm__ volatile("fxsaveq (%0)" : : "r"(area) : "memory");
}

void arch_fpu_restore(const void *area)
{
	__asm__ volatile("fxrstorq (%0)" : : "r"(area) : "memory");
}

void arch_set_kstack(uint64_t top)
{
	syscall_kstack_top = top;
	trap_set_kstack(top);
}

void syscall_frame_full(const struct syscall_frame *sf, const uint64_t *callee, long ret,
			struct trap_frame *tf)
{
	*tf = (struct trap_frame){
		.rbx = callee[0], .rbp = callee[1], .r12 = callee[2], .r13 = callee[3],
		.r14 = callee[4], .r15 = callee[5],
		.rdi = sf->arg[0], .rsi = sf->arg[1], .rdx = sf->arg[2], .r10 = sf->arg[3],
		.r8 = sf->arg[4], .r9 = sf->arg[5], .rax = (uint64_t)ret,
		.rcx = sf->rip, .r11 = sf->rflags,
		.vector = ~0ull,
		.rip = sf->rip, .cs = sf->cs, .rflags = sf->rflags, .rsp = sf->rsp, .ss = sf->ss,
	};
}
