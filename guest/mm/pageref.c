/* Page reference counts (mm/pageref.h): a directory of table pages, each
 * holding one byte per frame for 16 MiB; the byte counts owners beyond
 * the first, so untouched memory needs no initialisation. */
#include "mm/pageref.h"

#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "x86.h"

#define FRAMES_PER_TABLE X86_PAGE_SIZE   /* one byte each */
#define TABLES (PAGEREF_LIMIT / X86_PAGE_SIZE / FRAMES_PER_TABLE)

static uint64_t table_pa[TABLES];   /* 0: no table yet */

static uint8_t *pageref_slot(uint64_t pa, bool alloc)
{
	uint64_t frame = pa >> X86_PAGE_SHIFT;

	if (pa >= PAGEREF_LIMIT)
		return 0;
	uint64_t *t = &table_pa[frame / FRAMES_PER_TABLE];
	if (!*t) {
		if (!alloc || !(*t = page_alloc()))
			return 0;
		page_zero(*t);
	}
	return (uint8_t *)phys_to_virt(*t) + frame % FRAMES_PER_TABLE;
}

bool pageref_get(uint64_t pa)
{
	uint8_t *c = pageref_slot(pa, true);

	if (!c || *c == PAGEREF_MAX - 1)
		return false;
	(*c)++;
	return true;
}

bool pageref_put(uint64_t pa)
{
	uint8_t *c = pageref_slot(pa, false);

	if (!c || !*c)
		return true;
	(*c)--;
	return false;
}

unsigned pageref_count(uint64_t pa)
{
	const uint8_t *c = pageref_slot(pa, false);

	return c ? *c + 1u : 1u;
}
