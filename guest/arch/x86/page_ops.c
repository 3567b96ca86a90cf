/* Whole-page zero and copy. When kernel code is emulated one instruction
 * at a time, one hypercall is far cheaper than `rep stosq`; on hardware
 * KVM the instructions are cheaper than the exit. */
#include <stdint.h>

#include "arch/x86/hypercall.h"
#include "mm/page.h"
#include "mm/mm_hooks.h"
#include "mv_hypercall.h"
#include "x86.h"

static bool page_ops_hc;

void page_ops_init(bool use_hypercalls)
{
	page_ops_hc = use_hypercalls && hc_available();
}

bool page_ops_paravirt(void)
{
	return page_ops_hc;
}

void page_zero(uint64_t pa)
{
	if (page_ops_hc && hc_call(MV_HC_PAGE_ZERO, pa, 1) == 0)
		return;
	void *p = phys_to_virt(pa);
	uint64_t n = X86_PAGE_SIZE / 8;
	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ull) : "memory");
}

void page_copy(uint64_t dst, uint64_t src)
{
	if (page_ops_hc && hc_call3(MV_HC_PAGE_COPY, dst, src, 1) == 0)
		return;
	void *d = phys_to_virt(dst);
	const void *s = phys_to_virt(src);
	uint64_t n = X86_PAGE_SIZE / 8;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}
