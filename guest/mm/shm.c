/* Shared anonymous objects (mm/shm.h): a fixed pool of headers, pages from
 * the page allocator. Pure logic over mm_hooks.h, so a host test links it. */
#include "mm/shm.h"

#include "mm/mm_hooks.h"
#include "mm/page.h"

#define SHM_FANOUT 512u

struct shm {
	bool used;
	uint64_t npages;
	uint64_t root;      /* physical address of the root page, 0: none yet */
};

static struct shm pool[SHM_OBJECTS];

struct shm *shm_create(uint64_t npages)
{
	if (!npages || npages > SHM_MAX_PAGES)
		return 0;
	for (unsigned i = 0; i < SHM_OBJECTS; i++)
		if (!pool[i].used) {
			pool[i] = (struct shm){ .used = true, .npages = npages };
			return &pool[i];
		}
	return 0;
}

void shm_destroy(struct shm *s)
{
	if (s->root) {
		uint64_t *root = phys_to_virt(s->root);
		for (unsigned i = 0; i < SHM_FANOUT; i++) {
			if (!root[i])
				continue;
			uint64_t *leaf = phys_to_virt(root[i]);
			for (unsigned j = 0; j < SHM_FANOUT; j++)
				if (leaf[j])
					page_free(leaf[j]);
			page_free(root[i]);
		}
		page_free(s->root);
	}
	s->used = false;
}

uint64_t shm_npages(const struct shm *s)
{
	return s->npages;
}

/* *slot, or a fresh zeroed page stored there when alloc is set */
static uint64_t shm_slot(uint64_t *slot, bool alloc)
{
	if (*slot || !alloc)
		return *slot;
	uint64_t pa = page_alloc_zeroed();
	if (pa)
		*slot = pa;
	return pa;
}

uint64_t shm_page(struct shm *s, uint64_t idx, bool alloc)
{
	if (idx >= s->npages || !shm_slot(&s->root, alloc))
		return 0;
	uint64_t *root = phys_to_virt(s->root);
	uint64_t leaf = shm_slot(&root[idx / SHM_FANOUT], alloc);
	if (!leaf)
		return 0;
	return shm_slot((uint64_t *)phys_to_virt(leaf) + idx % SHM_FANOUT, alloc);
}

void shm_punch(struct shm *s, uint64_t from, uint64_t to)
{
	if (to > s->npages)
		to = s->npages;
	if (!s->root)
		return;
	uint64_t *root = phys_to_virt(s->root);
	/* a leaf at a time: a hole of a few pages in a big object costs a
	 * few pages, and a leaf never touched costs nothing */
	for (uint64_t idx = from; idx < to; idx = (idx / SHM_FANOUT + 1) * SHM_FANOUT) {
		if (!root[idx / SHM_FANOUT])
			continue;
		uint64_t *leaf = phys_to_virt(root[idx / SHM_FANOUT]);
		uint64_t end = (idx / SHM_FANOUT + 1) * SHM_FANOUT;
		for (uint64_t i = idx; i < end && i < to; i++)
			if (leaf[i % SHM_FANOUT]) {
				page_free(leaf[i % SHM_FANOUT]);
				leaf[i % SHM_FANOUT] = 0;
			}
	}
}
