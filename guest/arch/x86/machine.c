/* Leaving the VM, and the CPU hooks used by mm/. */
#include "arch/x86/machine.h"
#include "arch/x86/cpu.h"
#include "kernel/console.h"
#include "mm/mm_hooks.h"
#include "mv_boot.h"
#include "mv_exit.h"

_Noreturn void machine_exit(int status)
{
	cons_flush();
	outb(MV_PORT_EXIT, (uint8_t)status);
	/* No exit device: stop here rather than run on. */
	cpu_halt_forever();
}

_Noreturn void machine_triple_fault(void)
{
	static const struct cpu_dtr empty = { 0, 0 };

	cons_flush();
	lidt(&empty);
	/* #UD cannot be delivered, nor the #DF after it: shutdown. */
	__asm__ volatile("ud2");
	cpu_halt_forever();
}

void arch_invlpg(uint64_t va)
{
	invlpg(va);
}

uint64_t kernel_virt_to_phys(const void *va)
{
	return (uint64_t)va - MV_KERNEL_VIRT_BASE;
}
