/* Fake machine hooks for guest/mm/ on the host; see fake_machine.h. */
#include "fake_machine.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "x86.h"

struct fake_machine fake;

void fake_setup(void)
{
	memset(&fake, 0, sizeof(fake));
	void *p = mmap(NULL, FAKE_RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_msg(p != MAP_FAILED, "mmap of %llu MiB fake RAM failed", FAKE_RAM_SIZE >> 20);
	fake.ram = p;
}

void fake_teardown(void)
{
	if (fake.ram)
		munmap(fake.ram, FAKE_RAM_SIZE);
	fake.ram = NULL;
}

void *fake_ptr(uint64_t pa)
{
	ck_assert_msg(fake.ram, "fake RAM used outside the fixture");
	ck_assert_msg(pa < FAKE_RAM_SIZE, "pa %#llx outside fake RAM", (unsigned long long)pa);
	return fake.ram + pa;
}

void *phys_to_virt(uint64_t pa)
{
	return fake_ptr(pa);
}

/* mm/ does not use it today; the "image" sits at the start of fake RAM. */
uint64_t kernel_virt_to_phys(const void *va)
{
	uint64_t pa = (uint64_t)((const uint8_t *)va - fake.ram);
	ck_assert_msg(pa < FAKE_RAM_SIZE, "kernel_virt_to_phys(%p) outside fake RAM", va);
	return pa;
}

uint64_t arch_read_cr3(void)
{
	return fake.cr3;
}

void arch_invlpg(uint64_t va)
{
	ck_assert_msg(fake.ninvlpg < FAKE_INVLPG_MAX, "more than %d invlpg", FAKE_INVLPG_MAX);
	fake.invlpg[fake.ninvlpg++] = va;
}

/* arch/x86/page_ops.c in the kernel (rep stosq or a hypercall). */
void page_zero(uint64_t pa)
{
	ck_assert_msg(!(pa & (X86_PAGE_SIZE - 1)), "page_zero(%#llx) unaligned",
		      (unsigned long long)pa);
	memset(fake_ptr(pa), 0, X86_PAGE_SIZE);
	fake.npage_zero++;
}

/* arch/x86/page_ops.c: a store that makes a shadow MMU forget the page. */
void page_table_claim(uint64_t pa)
{
	ck_assert_msg(!(pa & (X86_PAGE_SIZE - 1)), "page_table_claim(%#llx) unaligned",
		      (unsigned long long)pa);
	ck_assert_msg(fake.nclaimed < FAKE_CLAIM_MAX, "more than %d page_table_claim",
		      FAKE_CLAIM_MAX);
	fake.claimed[fake.nclaimed++] = pa;
}

/* kernel/mm.c's in the fault tests; elsewhere a recorder. */
__attribute__((weak)) void mm_large_unmapped(uint64_t pde)
{
	fake.nlarge_unmapped++;
	fake.large_unmapped = pde;
}

int fake_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
