/* Per-process windows for VMA arrays (kernel/vma_window.h). */
#include "kernel/vma_window.h"

#include "kernel/proc.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "x86.h"

_Static_assert(VMA_WINDOW_SLOT * PROC_MAX <= (1ull << 30) * 510,
	       "the windows must stay below MV_KERNEL_VIRT_BASE's PDPT entry");
_Static_assert((VMA_DEFAULT_MAX_MAP_COUNT + 3ull) * sizeof(struct vma) <= VMA_WINDOW_SLOT,
	       "a slot holds vm.max_map_count VMAs and the slack of one change");

static uint64_t vma_window_at(unsigned slot)
{
	return VMA_WINDOW_BASE + slot * VMA_WINDOW_SLOT;
}

struct vma *vma_window_grow(unsigned slot, unsigned *mapped, unsigned count, unsigned *got)
{
	const uint64_t per_page = X86_PAGE_SIZE / sizeof(struct vma);
	const uint64_t slot_pages = VMA_WINDOW_SLOT / X86_PAGE_SIZE;
	uint64_t base = vma_window_at(slot);
	uint64_t want = ((uint64_t)count + per_page - 1) / per_page;

	if (want > slot_pages)
		want = slot_pages;
	while (*mapped < want) {
		uint64_t pa = page_alloc();
		if (!pa)
			break;
		/* not global: a slot changes owner */
		if (pgtable_map(base + ((uint64_t)*mapped << X86_PAGE_SHIFT), pa,
				X86_PTE_W | X86_PTE_NX)) {
			page_free(pa);
			break;
		}
		(*mapped)++;
	}
	if (!*mapped)
		return NULL;
	/* entries may straddle pages: the array is contiguous */
	*got = (unsigned)(((uint64_t)*mapped << X86_PAGE_SHIFT) / sizeof(struct vma));
	return (struct vma *)base;
}

void vma_window_release(unsigned slot, unsigned *mapped)
{
	uint64_t base = vma_window_at(slot);

	while (*mapped) {
		uint64_t pa;
		(*mapped)--;
		if (!pgtable_unmap(base + ((uint64_t)*mapped << X86_PAGE_SHIFT), &pa))
			page_free(pa);
	}
}
