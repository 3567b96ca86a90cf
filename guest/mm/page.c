/* Physical page allocator. Pages come from the free list first (recently
 * freed, likely still mapped in the host), then from the frontier of the
 * lowest range that still has untouched pages. */
#include "mm/page.h"
#include "lib/errno.h"
#include "mm/mm_hooks.h"
#include "x86.h"

struct page_range {
	uint64_t next;   /* frontier: first page never handed out */
	uint64_t end;
	uint64_t start;
};

static struct page_range ranges[PAGE_RANGES_MAX];
static unsigned nranges, cur;
static struct page_range reserved[PAGE_RESERVED_MAX];
static unsigned nreserved;
static uint64_t free_head;      /* pa of the first free page, 0 if none */
static struct page_stats stats;
static bool ram_zero, zero_check;

int page_reserve(uint64_t start, uint64_t end)
{
	if (nreserved == PAGE_RESERVED_MAX)
		return -ENOMEM;
	/* Round outward: a partly reserved page is reserved. */
	reserved[nreserved].start = start & ~(X86_PAGE_SIZE - 1);
	reserved[nreserved].end = (end + X86_PAGE_SIZE - 1) & ~(X86_PAGE_SIZE - 1);
	nreserved++;
	return 0;
}

/* Keep ranges sorted so the frontier moves from low to high memory. */
static int page_insert(uint64_t start, uint64_t end)
{
	unsigned i;

	if (nranges == PAGE_RANGES_MAX)
		return -ENOMEM;
	for (i = nranges; i > 0 && ranges[i - 1].start > start; i--)
		ranges[i] = ranges[i - 1];
	ranges[i].start = ranges[i].next = start;
	ranges[i].end = end;
	nranges++;
	stats.total += (end - start) >> X86_PAGE_SHIFT;
	return 0;
}

static int page_add_from(uint64_t start, uint64_t end, unsigned first_hole)
{
	for (unsigned i = first_hole; i < nreserved && start < end; i++) {
		const struct page_range *r = &reserved[i];
		if (r->end <= start || r->start >= end)
			continue;
		if (r->start > start) {
			int err = page_add_from(start, r->start, i + 1);
			if (err)
				return err;
		}
		start = r->end;
	}
	if (start >= end)
		return 0;
	return page_insert(start, end);
}

int page_add_range(uint64_t start, uint64_t end)
{
	start = (start + X86_PAGE_SIZE - 1) & ~(X86_PAGE_SIZE - 1);
	end &= ~(X86_PAGE_SIZE - 1);
	if (start == 0) /* 0 is the "no page" value */
		start = X86_PAGE_SIZE;
	if (start >= end)
		return 0;
	return page_add_from(start, end, 0);
}

/* The frontier when the current range has run out: on to the next range
 * with pages left. Out of line: the common case is inline below. */
static __attribute__((noinline)) uint64_t page_frontier_next(void)
{
	while (cur < nranges && ranges[cur].next >= ranges[cur].end)
		cur++;
	if (cur == nranges)
		return 0;
	ranges[cur].next += X86_PAGE_SIZE;
	return ranges[cur].next - X86_PAGE_SIZE;
}

/* Every anonymous fault takes a page here (an emulated instruction each
 * on kvm-pvm): the free list's head or the current range's frontier. */
static inline __attribute__((always_inline)) uint64_t page_take(void)
{
	uint64_t pa = free_head;

	if (pa) {
		free_head = *(uint64_t *)phys_to_virt(pa);
		stats.listed--;
	} else if (cur < nranges && ranges[cur].next < ranges[cur].end) {
		pa = ranges[cur].next;
		ranges[cur].next += X86_PAGE_SIZE;
	} else if (!(pa = page_frontier_next())) {
		return 0;
	}
	stats.allocated++;
	return pa;
}

uint64_t page_alloc(void)
{
	return page_take();
}

/* From the frontiers only: the free list is a stack of single pages in no
 * order. The pages the alignment skips go to the free list, so nothing is
 * lost; a run is never given back (its user keeps it for good). */
uint64_t page_alloc_run(uint64_t npages, uint64_t align)
{
	uint64_t len = npages << X86_PAGE_SHIFT;

	if (!npages || !align || (align & (align - 1)) || (align & (X86_PAGE_SIZE - 1)))
		return 0;
	for (unsigned i = cur; i < nranges; i++) {
		struct page_range *r = &ranges[i];
		uint64_t pa = (r->next + align - 1) & ~(align - 1);
		if (pa < r->next || pa > r->end || r->end - pa < len)
			continue;
		for (uint64_t skip = r->next; skip < pa; skip += X86_PAGE_SIZE) {
			*(uint64_t *)phys_to_virt(skip) = free_head;
			free_head = skip;
			stats.listed++;
		}
		r->next = pa + len;
		stats.allocated += npages;
		return pa;
	}
	return 0;
}

void page_set_ram_zero(bool zero, bool check)
{
	ram_zero = zero;
	zero_check = check;
}

static bool page_is_zero(uint64_t pa)
{
	const uint64_t *w = phys_to_virt(pa);

	for (unsigned i = 0; i < X86_PAGE_SIZE / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* Zero pa, never handed out before (fresh), unless RAM is said to be zero
 * (then only looked at with zero_check). */
static void page_zero_fresh(uint64_t pa, bool fresh)
{
	if (fresh && ram_zero && (!zero_check || page_is_zero(pa))) {
		stats.zero_skipped++;
		return;
	}
	if (fresh && ram_zero)
		stats.zero_wrong++;
	page_zero(pa);
}

uint64_t page_alloc_zeroed(void)
{
	bool fresh = !free_head;   /* from the frontier: never used */
	uint64_t pa = page_take();

	if (pa)
		page_zero_fresh(pa, fresh);
	return pa;
}

uint64_t page_alloc_run_zeroed(uint64_t npages, uint64_t align)
{
	uint64_t pa = page_alloc_run(npages, align);

	if (pa && ram_zero && !zero_check) {   /* no loop: emulated turns on kvm-pvm */
		stats.zero_skipped += npages;
		return pa;
	}
	for (uint64_t p = pa; pa && p < pa + (npages << X86_PAGE_SHIFT); p += X86_PAGE_SIZE)
		page_zero_fresh(p, true);
	return pa;
}

bool page_is_usable(uint64_t pa)
{
	for (unsigned i = 0; i < nranges; i++)
		if (pa >= ranges[i].start && pa < ranges[i].end)
			return true;
	return false;
}

uint64_t page_top(void)
{
	return nranges ? ranges[nranges - 1].end : 0;
}

int page_free(uint64_t pa)
{
	if (!pa || (pa & (X86_PAGE_SIZE - 1)) || !stats.allocated)
		return -EINVAL;
	*(uint64_t *)phys_to_virt(pa) = free_head;
	free_head = pa;
	stats.listed++;
	stats.allocated--;
	return 0;
}

void page_get_stats(struct page_stats *st)
{
	*st = stats;
}
