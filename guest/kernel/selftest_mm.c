/* Self-tests of physical memory, page tables and fault handling. They touch
 * a few words per page, not whole pages: under emulation every store counts. */
#include <stdint.h>

#include "arch/x86/trap.h"
#include "kernel/selftest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "x86.h"

#define ALLOC_PAGES 64
#define PATTERN     0x5a5a0000c3c30000ul
#define WORDS       (X86_PAGE_SIZE / 8)

/* Unused in both boot layouts (PML4 slot 384). */
#define SCRATCH_VA  0xffffc00000000000ul
/* Canonical, never mapped: PML4 slot 32 of the lower half. */
#define UNMAPPED_VA 0x0000100000000000ul
#define NONCANONICAL_VA 0x8000000000000000ul

static uint64_t *page_words(uint64_t pa)
{
	return phys_to_virt(pa);
}

int selftest_alloc(char *why, size_t len)
{
	uint64_t pages[ALLOC_PAGES];
	struct page_stats before, after;

	page_get_stats(&before);
	for (int i = 0; i < ALLOC_PAGES; i++) {
		uint64_t pa = page_alloc();
		SELFTEST_CHECK(pa, "page_alloc returned 0 after %d pages", i);
		SELFTEST_CHECK(!(pa & (X86_PAGE_SIZE - 1)), "page %lx not aligned", pa);
		SELFTEST_CHECK(page_is_usable(pa), "page %lx outside usable RAM", pa);
		for (int j = 0; j < i; j++)
			SELFTEST_CHECK(pages[j] != pa, "page %lx handed out twice", pa);
		pages[i] = pa;
		page_words(pa)[0] = PATTERN ^ pa;
		page_words(pa)[WORDS - 1] = ~(PATTERN ^ pa);
	}
	for (int i = 0; i < ALLOC_PAGES; i++) {
		uint64_t pa = pages[i];
		SELFTEST_CHECK(page_words(pa)[0] == (PATTERN ^ pa) &&
				       page_words(pa)[WORDS - 1] == ~(PATTERN ^ pa),
			       "pattern lost in page %lx", pa);
	}
	page_get_stats(&after);
	SELFTEST_CHECK(after.allocated == before.allocated + ALLOC_PAGES,
		       "allocated count %lu, expected %lu", after.allocated,
		       before.allocated + ALLOC_PAGES);

	page_zero(pages[0]);
	for (unsigned w = 0; w < WORDS; w++)
		SELFTEST_CHECK(!page_words(pages[0])[w], "page_zero left word %u", w);

	for (int i = 0; i < ALLOC_PAGES; i++)
		SELFTEST_CHECK(page_free(pages[i]) == 0, "page_free(%lx) failed", pages[i]);
	SELFTEST_CHECK(page_free(pages[0] + 8) == -EINVAL, "unaligned page_free accepted");
	uint64_t again = page_alloc();
	SELFTEST_CHECK(again == pages[ALLOC_PAGES - 1], "freed page not reused first: %lx", again);
	page_free(again);
	page_get_stats(&after);
	SELFTEST_CHECK(after.allocated == before.allocated, "leak: %lu pages still out",
		       after.allocated - before.allocated);
	snprintf(why, len, " (%lu pages total)", after.total);
	return SELFTEST_OK;
}

int selftest_pgtable(char *why, size_t len)
{
	volatile uint64_t *va = (volatile uint64_t *)SCRATCH_VA;
	uint64_t pa = page_alloc(), old = 0, v = 0, pte = 0;
	const struct trap_fault *f = trap_last_fault();
	int err;

	SELFTEST_CHECK(pa, "out of pages");
	err = pgtable_map(SCRATCH_VA, pa, X86_PTE_W | X86_PTE_NX);
	SELFTEST_CHECK(!err, "map: %d", err);
	err = pgtable_map(SCRATCH_VA, pa, X86_PTE_W);
	SELFTEST_CHECK(err == -EEXIST, "second map: %d, expected -EEXIST", err);
	SELFTEST_CHECK(!pgtable_lookup(SCRATCH_VA, &pte) && (pte & X86_PTE_ADDR) == pa,
		       "lookup: pte %lx", pte);

	va[0] = PATTERN;
	va[WORDS - 1] = ~PATTERN;
	SELFTEST_CHECK(page_words(pa)[0] == PATTERN && page_words(pa)[WORDS - 1] == ~PATTERN,
		       "write through %lx not seen at pa %lx", SCRATCH_VA, pa);

	err = pgtable_unmap(SCRATCH_VA, &old);
	SELFTEST_CHECK(!err && old == pa, "unmap: %d, pa %lx", err, old);
	err = trap_probe_read(va, &v);
	SELFTEST_CHECK(err == -EFAULT, "read after unmap did not fault (%d)", err);
	SELFTEST_CHECK(f->vector == X86_VEC_PF && f->cr2 == SCRATCH_VA,
		       "fault after unmap: vector %lu cr2 %lx", f->vector, f->cr2);

	/* Read-only mapping: reads work, writes fault with P|W set. */
	err = pgtable_map(SCRATCH_VA, pa, X86_PTE_NX);
	SELFTEST_CHECK(!err, "read-only map: %d", err);
	SELFTEST_CHECK(trap_probe_read(va, &v) == 0 && v == PATTERN, "read-only read: %lx", v);
	err = trap_probe_write(va, 1);
	SELFTEST_CHECK(err == -EFAULT && f->error == (X86_PF_P | X86_PF_W),
		       "write to read-only page: %d, error %lx", err, f->error);
	SELFTEST_CHECK(!pgtable_unmap(SCRATCH_VA, 0), "second unmap");
	SELFTEST_CHECK(pgtable_unmap(SCRATCH_VA, 0) == -ENOENT, "unmap of unmapped page");
	page_free(pa);
	return SELFTEST_OK;
}

int selftest_pagefault(char *why, size_t len)
{
	const struct trap_fault *f = trap_last_fault();
	uint64_t v = 0;
	long err;

	err = trap_probe_read((const volatile void *)UNMAPPED_VA, &v);
	SELFTEST_CHECK(err == -EFAULT, "read of %lx: %ld", UNMAPPED_VA, err);
	SELFTEST_CHECK(f->vector == X86_VEC_PF && f->cr2 == UNMAPPED_VA && f->error == 0,
		       "read fault: vector %lu cr2 %lx error %lx", f->vector, f->cr2, f->error);

	err = trap_probe_write((volatile void *)(UNMAPPED_VA + 8), 1);
	SELFTEST_CHECK(err == -EFAULT, "write of %lx: %ld", UNMAPPED_VA + 8, err);
	SELFTEST_CHECK(f->vector == X86_VEC_PF && f->cr2 == UNMAPPED_VA + 8 &&
			       f->error == X86_PF_W,
		       "write fault: vector %lu cr2 %lx error %lx", f->vector, f->cr2, f->error);

	/* A non-canonical address raises #GP, which the same fixup catches. */
	err = trap_probe_read((const volatile void *)NONCANONICAL_VA, &v);
	SELFTEST_CHECK(err == -EFAULT && f->vector == X86_VEC_GP,
		       "non-canonical read: %ld vector %lu", err, f->vector);

	/* The direct map reaches the last usable page (beyond 1 GiB too). */
	uint64_t top = page_top() - 8;
	SELFTEST_CHECK(trap_probe_read(phys_to_virt(top), &v) == 0, "direct map misses pa %lx", top);

	/* And a probe of good memory succeeds. */
	static uint64_t word = PATTERN;
	SELFTEST_CHECK(trap_probe_read(&word, &v) == 0 && v == PATTERN, "probe of valid memory");
	return SELFTEST_OK;
}

int selftest_paravirt(char *why, size_t len)
{
	if (!page_ops_paravirt()) {
		snprintf(why, len, "(no port)");
		return SELFTEST_SKIP;
	}
	uint64_t src = page_alloc(), dst = page_alloc();
	SELFTEST_CHECK(src && dst, "out of pages");
	for (unsigned w = 0; w < WORDS; w += 64)
		page_words(src)[w] = PATTERN + w;
	page_words(dst)[1] = PATTERN;
	page_copy(dst, src);
	for (unsigned w = 0; w < WORDS; w += 64)
		SELFTEST_CHECK(page_words(dst)[w] == PATTERN + w, "page_copy word %u: %lx", w,
			       page_words(dst)[w]);
	SELFTEST_CHECK(page_words(dst)[1] == page_words(src)[1], "page_copy word 1");
	page_zero(dst);
	for (unsigned w = 0; w < WORDS; w++)
		SELFTEST_CHECK(!page_words(dst)[w], "page_zero word %u: %lx", w, page_words(dst)[w]);
	SELFTEST_CHECK(page_words(src)[0] == PATTERN, "page_zero touched the source");
	page_free(src);
	page_free(dst);
	return SELFTEST_OK;
}
