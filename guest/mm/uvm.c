/* User address spaces. New PML4s start as a copy of the kernel's (one
 * host page copy instead of 256 emulated stores): the kernel's lower half
 * is empty (docs/boot.md: no identity map), so the copy is exactly "kernel
 * half shared, user half empty". Kernel mappings made later in a kernel
 * PML4 slot that was empty at that time would not be seen by existing
 * spaces; all kernel slots are populated at boot. */
#include "mm/uvm.h"
#include "lib/errno.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "x86.h"

#define UVM_USER_SLOTS (X86_PT_ENTRIES / 2)

uint64_t uvm_create(void)
{
	static uint64_t kernel_pml4;   /* current at the first call */
	uint64_t pml4 = page_alloc();

	if (!kernel_pml4)
		kernel_pml4 = arch_read_cr3() & X86_PTE_ADDR;
	if (!pml4)
		return 0;
	page_copy(pml4, kernel_pml4);
	page_table_claim(pml4);
	return pml4;
}

static void uvm_free_table(uint64_t table_pa, int level)
{
	uint64_t *t = phys_to_virt(table_pa);

	/* Only the tables: the pages they mapped were the address space's
	 * to give back (kernel/mm.c: shared, cached or counted pages). Most
	 * of an upper table is empty, and every instruction here is emulated
	 * on kvm-pvm: eight entries are looked at together. */
	for (unsigned i = 0; level > 1 && i < X86_PT_ENTRIES; i += 8) {
		if (!(t[i] | t[i + 1] | t[i + 2] | t[i + 3] | t[i + 4] | t[i + 5] | t[i + 6] |
		      t[i + 7]))
			continue;
		for (unsigned j = i; j < i + 8; j++)
			if ((t[j] & X86_PTE_P) && !(t[j] & X86_PTE_PS))
				uvm_free_table(t[j] & X86_PTE_ADDR, level - 1);
	}
	page_free(table_pa);
}

void uvm_destroy(uint64_t pml4)
{
	uint64_t *t = phys_to_virt(pml4);

	pgtable_forget(pml4);
	for (unsigned i = 0; i < UVM_USER_SLOTS; i++)
		if (t[i] & X86_PTE_P)
			uvm_free_table(t[i] & X86_PTE_ADDR, 3);
	page_free(pml4);
}
