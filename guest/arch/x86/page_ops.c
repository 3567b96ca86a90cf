/* Whole-page zero and copy, and byte-range copies by physical address.
 * When kernel code is emulated one instruction at a time, one hypercall is
 * far cheaper than `rep stosq` (and kvm-pvm runs a `rep movsb` one byte at
 * a time, ~1 us each); on hardware KVM the instructions are cheaper than
 * the exit. */
#include <stdint.h>

#include "arch/x86/hypercall.h"
#include "arch/x86/syscall_arch.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/mm_hooks.h"
#include "mv_boot.h"
#include "mv_hypercall.h"
#include "x86.h"

extern const uint8_t _kernel_start[], _kernel_end[];

static bool page_ops_hc;
/* MV_HC_MEM_COPY is ABI version 2: a version 1 VMM says -ENOSYS once and
 * is not asked again (cheaper than asking for the version at boot). */
static bool mem_copy_hc;
/* MV_HC_WORD_RUN is ABI version 5: the same for it. */
static bool word_run_hc;
/* End of RAM, so of the direct map; the RAM ranges are all known by
 * page_ops_init time. */
static uint64_t ram_top;

void page_ops_init(bool use_hypercalls)
{
	page_ops_hc = use_hypercalls && hc_available();
	mem_copy_hc = word_run_hc = page_ops_hc;
	ram_top = page_top();
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

/* kvm-pvm's shadow MMU keeps a shadow page for every frame that was ever
 * used as a page table, until a guest write to the frame tells it that the
 * frame changed. The host's MV_HC_PAGE_ZERO/PAGE_COPY/MEM_COPY and disk
 * DMA are not guest writes: a frame freed as a page table, rewritten by
 * the host and taken as a page table again would be walked through its
 * stale shadow, with the old owner's translations (a forked child reading
 * a dead child's pages). An emulated store narrower than an entry makes
 * KVM drop every shadow page of the frame (its "misaligned write" rule),
 * and the next walk shadows what is really there. The platform test
 * host_write_to_table_needs_guest_store pins both halves. Plain
 * instructions write through the shadow MMU already. */
void page_table_claim(uint64_t pa)
{
	if (!page_ops_hc)
		return;
	volatile uint16_t *w = phys_to_virt(pa);
	*w = *w;
}

bool phys_copy_available(void)
{
	return mem_copy_hc;
}

/* The direct map and the kernel image window both map physical memory
 * linearly, so a range inside either is one physical run. Anything else
 * (MMIO mappings, user addresses) is not translated here. */
bool kernel_range_to_phys(const void *va, size_t n, uint64_t *pa)
{
	uint64_t a = (uint64_t)va;
	uint64_t ks = (uint64_t)_kernel_start, ke = (uint64_t)_kernel_end;

	if (a >= MV_DIRECT_MAP_BASE) {
		uint64_t off = a - MV_DIRECT_MAP_BASE;
		if (off < ram_top && n <= ram_top - off) {
			*pa = off;
			return true;
		}
	}
	if (a >= ks && a <= ke && n <= ke - a) {
		*pa = kernel_virt_to_phys(va);
		return true;
	}
	return false;
}

long phys_copy(uint64_t dst, uint64_t src, size_t n)
{
	if (!mem_copy_hc)
		return -ENOSYS;
	while (n) {
		size_t c = n < MV_HC_MEM_COPY_MAX ? n : MV_HC_MEM_COPY_MAX;
		long r = hc_call3(MV_HC_MEM_COPY, dst, src, c);
		if (r) {
			if (r == -ENOSYS)
				mem_copy_hc = false;
			return r;
		}
		dst += c;
		src += c;
		n -= c;
	}
	return 0;
}

long kernel_word_run(const void *va, uint32_t n, uint32_t first)
{
	uint64_t pa;

	if (!word_run_hc || n > MV_HC_WORD_RUN_MAX || ((uint64_t)va & 3) ||
	    !kernel_range_to_phys(va, (size_t)n * 4, &pa))
		return -ENOSYS;
	long r = hc_call3(MV_HC_WORD_RUN, pa, n, first);
	if (r == -ENOSYS)
		word_run_hc = false;
	return r;
}

/* A page of zeros in the kernel image: the source of the partial pages of
 * a host memset. */
static const uint8_t zero_page[X86_PAGE_SIZE] __attribute__((aligned(X86_PAGE_SIZE)));

/* lib/string.c offers memsets to zero of at least MEMSET_BULK_MIN bytes.
 * Through the host, whole pages go in one MV_HC_PAGE_ZERO and the partial
 * pages at either end are copied from zero_page: at most three exits
 * instead of ~4 emulated instructions a byte. A refused call leaves
 * nothing to undo (zeroing is idempotent): the caller zeroes it all. */
bool arch_memzero_bulk(void *dst, size_t n)
{
	uint64_t pa, zero;

	if (!mem_copy_hc || !kernel_range_to_phys(dst, n, &pa) ||
	    !kernel_range_to_phys(zero_page, X86_PAGE_SIZE, &zero)) {
		__asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(0) : "memory");
		return true;
	}
	uint64_t head = (X86_PAGE_SIZE - (pa & (X86_PAGE_SIZE - 1))) & (X86_PAGE_SIZE - 1);
	if (head > n)
		head = n;
	if (head && phys_copy(pa, zero, head))
		return false;
	pa += head;
	n -= head;
	uint64_t pages = n >> X86_PAGE_SHIFT;
	if (pages && hc_call(MV_HC_PAGE_ZERO, pa, pages))
		return false;
	pa += pages << X86_PAGE_SHIFT;
	n -= pages << X86_PAGE_SHIFT;
	return !n || phys_copy(pa, zero, n) == 0;
}

/* lib/string.c offers copies of at least MEMCPY_BULK_MIN bytes. memcpy's
 * ranges do not overlap, so a failed piece leaves nothing to redo: the
 * caller copies all n bytes itself. Kernel ranges here never fault, so a
 * failure is a range the VMM does not know (the device hole), or -ENOSYS. */
bool arch_memcpy_bulk(void *dst, const void *src, size_t n)
{
	uint64_t d, s;

	if (!mem_copy_hc) {
		/* hardware KVM (or TCG): the string instruction is the fast
		 * copy there */
		__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
		return true;
	}
	return kernel_range_to_phys(dst, n, &d) && kernel_range_to_phys(src, n, &s) &&
	       phys_copy(d, s, n) == 0;
}

/* Against one `rep movsb` (~1 us a byte emulated) the host copy pays off
 * later than against memcpy's 5-instruction byte loop: the same crossover
 * as for user copies (kernel/uaccess.c), which is conservative here since
 * no page walk is needed. */
#define KERNEL_COPY_HC_MIN 256u

void kernel_copy(void *dst, const void *src, size_t n)
{
	if (n >= KERNEL_COPY_HC_MIN && arch_memcpy_bulk(dst, src, n))
		return;
	arch_uaccess_copy(dst, src, n);
}
