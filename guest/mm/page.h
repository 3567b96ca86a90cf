/* Physical page allocator: a bump frontier over the usable RAM ranges plus
 * a LIFO free list threaded through the free pages themselves. Init costs
 * O(ranges), never O(pages). Physical address 0 means "no page". */
#ifndef GUEST_MM_PAGE_H
#define GUEST_MM_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_RANGES_MAX   32
#define PAGE_RESERVED_MAX 8

struct page_stats {
	uint64_t total;      /* pages handed to the allocator */
	uint64_t allocated;  /* currently out */
	uint64_t listed;     /* on the free list (the rest is behind the frontier) */
};

/* Call page_reserve() for every hole first, then page_add_range(). */
int page_reserve(uint64_t start, uint64_t end);
int page_add_range(uint64_t start, uint64_t end);
uint64_t page_alloc(void);
int page_free(uint64_t pa);
bool page_is_usable(uint64_t pa);
/* End of the highest usable range (0 if none). */
uint64_t page_top(void);
void page_get_stats(struct page_stats *st);

/* Whole-page operations (arch/x86/page_ops.c). */
void page_ops_init(bool use_hypercalls);
bool page_ops_paravirt(void);

#endif
