/* Address spaces: the VMA set's hooks and the page-table work that follows
 * each VMA change (kernel/mm.h draws the PTE kinds). */
#include "kernel/mm.h"

#include "arch/x86/syscall_arch.h"
#include "kernel/fault.h"
#include "kernel/file.h"
#include "kernel/pcache.h"
#include "kernel/proc.h"
#include "kernel/vma_window.h"
#include "lib/errno.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pageref.h"
#include "mm/pgtable.h"
#include "mm/shm.h"
#include "mm/uvm.h"

#define PAGE_MASK (X86_PAGE_SIZE - 1)

/* A VMA's reference on its file; the file's vnode counts its VMAs. */
static void mm_file_get(void *ctx, void *file)
{
	struct file *f = file;

	(void)ctx;
	f->refs++;
	if (f->vn)
		f->vn->vmas++;
}

static void mm_file_put(void *ctx, void *file)
{
	struct file *f = file;

	(void)ctx;
	if (f->vn)
		f->vn->vmas--;
	file_put(f);
}

static void mm_unmapped(void *ctx, const struct vma *piece)
{
	(void)ctx;
	mm_zap(piece, piece->start, piece->end);
}

static unsigned mm_slot(const struct proc *p)
{
	return (unsigned)(p - proc_table);
}

static struct vma *mm_vma_grow(void *ctx, unsigned count, unsigned *got)
{
	struct proc *p = ctx;

	return vma_window_grow(mm_slot(p), &p->vma_window_pages, count, got);
}

static void mm_vma_release(void *ctx, struct vma *array, unsigned count)
{
	struct proc *p = ctx;

	(void)array;
	(void)count;
	vma_window_release(mm_slot(p), &p->vma_window_pages);
}

static const struct vma_ops mm_vma_ops = {
	.file_get = mm_file_get,
	.file_put = mm_file_put,
	.unmapped = mm_unmapped,
	.alloc_array = mm_vma_grow,
	.free_array = mm_vma_release,
};

void mm_init(struct proc *p)
{
	p->vma_ops = mm_vma_ops;
	p->vma_ops.ctx = p;
	vma_set_init(&p->vmas, &p->vma_ops, p->vma_inline, PROC_VMA_INLINE, UVM_TASK_SIZE);
	/* Linux's stack_guard_gap: 256 pages kept free below a stack. */
	p->vmas.guard_gap = 256ull << 12;
}

/* Set while a whole address space goes: its entries are left as they are. */
static bool mm_space_ending;

void mm_destroy(struct proc *p)
{
	mm_space_ending = true;
	vma_set_destroy(&p->vmas);
	mm_space_ending = false;
}

struct mm_trunc {
	uint32_t ino;
	uint64_t first;   /* first page index wholly past the end */
};

/* Zap, in every process's space, the part of each VMA that select()
 * picks (pages of an object that are going away). Other spaces are
 * loaded for it: there are no PCIDs, so loading the current one back
 * flushes what the others left in the TLB. */
typedef bool (*mm_select_fn)(const struct vma *v, const void *what, uint64_t *from,
			     uint64_t *to);

static void mm_zap_everywhere(mm_select_fn select, const void *what)
{
	struct proc *cur = proc_current;

	if (!cur)
		return;
	for (unsigned k = 0; k < proc_slots; k++) {
		struct proc *p = &proc_table[k];
		bool loaded = false;
		if (p->state == PROC_FREE || p->state == PROC_ZOMBIE)
			continue;
		for (unsigned i = 0; i < p->vmas.n; i++) {
			const struct vma *v = &p->vmas.v[i];
			uint64_t from, to;
			if (!select(v, what, &from, &to))
				continue;
			if (p != cur && !loaded) {
				arch_load_cr3(p->cr3);
				loaded = true;
			}
			mm_zap(v, from, to);
		}
		if (loaded)
			arch_load_cr3(cur->cr3);
	}
}

/* The VMA's pages from file page index first on, if it has any. */
static bool mm_select_from(const struct vma *v, uint64_t first, uint64_t *from, uint64_t *to)
{
	uint64_t pages = (v->end - v->start) >> X86_PAGE_SHIFT;

	if (v->pgoff + pages <= first)
		return false;
	*from = first > v->pgoff ? v->start + ((first - v->pgoff) << X86_PAGE_SHIFT) : v->start;
	*to = v->end;
	return true;
}

struct mm_cut {
	uint32_t ino;
	struct shm *shm;
	uint64_t first, last;   /* object pages [first, last) */
};

static bool mm_select_truncated(const struct vma *v, const void *what, uint64_t *from,
				uint64_t *to)
{
	const struct mm_cut *c = what;
	struct vnode *vn = mm_vma_vnode(v);

	return vn && vn->ino == c->ino && mm_select_from(v, c->first, from, to);
}

void mm_file_truncated(uint32_t ino, uint64_t size)
{
	struct mm_cut c = { .ino = ino, .first = (size + PAGE_MASK) >> X86_PAGE_SHIFT };

	mm_zap_everywhere(mm_select_truncated, &c);
}

static bool mm_select_punched(const struct vma *v, const void *what, uint64_t *from, uint64_t *to)
{
	const struct mm_cut *c = what;

	if (mm_vma_shm(v) != c->shm || !mm_select_from(v, c->first, from, to) ||
	    v->pgoff >= c->last)
		return false;
	uint64_t pages = (v->end - v->start) >> X86_PAGE_SHIFT;
	if (c->last - v->pgoff < pages)
		*to = v->start + ((c->last - v->pgoff) << X86_PAGE_SHIFT);
	return true;
}

void mm_shm_punch(struct shm *s, uint64_t first, uint64_t last)
{
	struct mm_cut c = { .shm = s, .first = first, .last = last };

	mm_zap_everywhere(mm_select_punched, &c);
	shm_punch(s, first, last);
}

uint8_t *mm_pte_page(uint64_t pte)
{
	return phys_to_virt(pte & X86_PTE_ADDR);
}

/* Give back what one entry held. A page-cache page written through this
 * entry (W set in a shared VMA) is dirty in the cache already; the last
 * mapping to go writes it to the file, so munmap and exit lose nothing. */
static void mm_release(const struct vma *v, uint64_t pte)
{
	if (!(pte & MM_PTE_OBJ)) {
		if (pageref_put(pte & X86_PTE_ADDR))
			page_free(pte & X86_PTE_ADDR);
		return;
	}
	struct vnode *vn = mm_vma_vnode(v);
	if (!vn)
		return;   /* a shared anonymous object's page: the object's */
	uint8_t *page = mm_pte_page(pte);
	if (pcache_unpin(page))
		pcache_writeback(vfs_root, page, vn->size);
}

void mm_large_unmapped(uint64_t pde)
{
	pcache_unit_unmap(mm_pte_page(pde & ~(uint64_t)X86_PTE_PS));
}

static void mm_zap_one(uint64_t va, uint64_t *pte, void *ctx)
{
	uint64_t old = *pte;

	if (!mm_space_ending) {
		*pte = 0;
		if (old & X86_PTE_P)
			arch_invlpg(va);
	}
	mm_release(ctx, old);
}

void mm_zap(const struct vma *v, uint64_t start, uint64_t end)
{
	pgtable_visit_range(start, end, mm_zap_one, (void *)v);
}

/* Writable only where it was: an anonymous page in a writable VMA, a cache
 * page only if it is shared, writable and was already made dirty (W set:
 * a clean one must fault once more to be marked dirty). */
static void mm_reprotect_one(uint64_t va, uint64_t *pte, void *ctx)
{
	const struct vma *v = ctx;
	uint64_t old = *pte;
	bool pcache = old & MM_PTE_OBJ;
	/* an anonymous page shared since fork stays read-only: copy on write */
	bool write = pcache ? (v->flags & VMA_SHARED) && (old & X86_PTE_W)
			    : pageref_count(old & X86_PTE_ADDR) == 1;
	uint64_t val = (old & X86_PTE_ADDR) | mm_pte_bits(v, pcache, write);

	if (val == old)
		return;
	*pte = val;
	if (old & X86_PTE_P)
		arch_invlpg(va);
}

void mm_reprotect(const struct vma *v, uint64_t start, uint64_t end)
{
	pgtable_visit_range(start, end, mm_reprotect_one, (void *)v);
}

/* An entry moved by mm_move_ptes in this call: when source and destination
 * share a page table, the walk of the source may meet it again. */
#define MM_PTE_MOVED X86_PTE_AVL11

struct mm_move {
	uint64_t delta;    /* to - from, modulo 2^64 */
	int err;
};

static void mm_move_one(uint64_t va, uint64_t *pte, void *ctx)
{
	struct mm_move *m = ctx;
	uint64_t old = *pte;
	int err = 0;

	if (m->err || (old & MM_PTE_MOVED))
		return;
	uint64_t *dst = pgtable_pte_alloc(va + m->delta, &err);
	if (!dst) {
		m->err = err;
		return;
	}
	*dst = old | MM_PTE_MOVED;
	*pte = 0;
	if (old & X86_PTE_P)
		arch_invlpg(va);
}

static void mm_unmark_one(uint64_t va, uint64_t *pte, void *ctx)
{
	(void)va, (void)ctx;
	if (*pte & MM_PTE_MOVED)
		*pte &= ~MM_PTE_MOVED;
}

int mm_move_ptes(uint64_t from, uint64_t to, uint64_t len)
{
	struct mm_move m = { to - from, 0 };

	pgtable_visit_range(from, from + len, mm_move_one, &m);
	pgtable_visit_range(to, to + len, mm_unmark_one, NULL);
	return m.err;
}

int mm_populate(struct proc *p, uint64_t start, uint64_t end, bool strict)
{
	for (uint64_t va = start; va < end; va += X86_PAGE_SIZE) {
		const struct vma *v = vma_find(&p->vmas, va);
		if (!v)
			return -ENOMEM;
		if (!(v->prot & VMA_PROT_MASK)) {
			if (strict)
				return -ENOMEM;
			va = v->end - X86_PAGE_SIZE;   /* nothing to fault in */
			continue;
		}
		bool write = (v->prot & VMA_PROT_WRITE) && !(v->flags & VMA_SHARED);
		const uint64_t *slot;
		if (pgtable_pte_slot(va, &slot) == 0 && (*slot & X86_PTE_P) &&
		    (!write || (*slot & X86_PTE_W)))
			continue;
		enum fault_result r = fault_handle(p, va, X86_PF_U | (write ? X86_PF_W : 0));
		if (r == FAULT_OOM)
			return -ENOMEM;
		if (r != FAULT_DONE)
			return -EFAULT;
	}
	return 0;
}

struct mm_wb {
	const struct vma *v;
	struct vnode *vn;
	int err;
};

/* A dirty page is written and its entry made read-only again, so the next
 * store marks it dirty anew; if another entry maps it too, that one may
 * still write unseen, so the page stays dirty (written again later). */
static void mm_writeback_one(uint64_t va, uint64_t *pte, void *ctx)
{
	struct mm_wb *w = ctx;
	uint64_t old = *pte;

	if ((old & (MM_PTE_OBJ | X86_PTE_W)) != (MM_PTE_OBJ | X86_PTE_W))
		return;
	uint8_t *page = mm_pte_page(old);
	int err = pcache_writeback(vfs_root, page, w->vn->size);
	if (err) {
		if (!w->err)
			w->err = err;
		return;
	}
	if (pcache_maps(page) > 1) {
		pcache_set_dirty(page);
		return;
	}
	*pte = old & ~MM_PTE_WRITE;
	arch_invlpg(va);
}

int mm_writeback(const struct vma *v, uint64_t start, uint64_t end)
{
	struct mm_wb w = { v, mm_vma_vnode(v), 0 };

	if (!w.vn || !(v->flags & VMA_SHARED))
		return 0;
	pgtable_visit_range(start, end, mm_writeback_one, &w);
	return w.err;
}

uint64_t mm_total_pages(const struct proc *p)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < p->vmas.n; i++)
		n += (p->vmas.v[i].end - p->vmas.v[i].start) >> X86_PAGE_SHIFT;
	return n;
}

struct mm_fork {
	uint64_t child_pml4;
	const struct vma *v;
	int err;
};

/* One entry of the parent into the child. Anonymous pages are shared
 * read-only and copied on the first write by either side; page-cache and
 * shared-object pages are mapped as they are (the cache gets one more
 * pin). A page that cannot be shared is copied now. */
static void mm_fork_one(uint64_t va, uint64_t *pte, void *ctx)
{
	struct mm_fork *c = ctx;
	uint64_t old = *pte;
	int err = 0;

	if (c->err)
		return;
	uint64_t *dst = pgtable_pte_alloc_in(c->child_pml4, va, &err);
	if (!dst) {
		c->err = err;
		return;
	}
	if (old & MM_PTE_OBJ) {
		if (mm_vma_vnode(c->v))
			pcache_pin(mm_pte_page(old));
		*dst = old;
		return;
	}
	uint64_t pa = old & X86_PTE_ADDR;
	if (!pageref_get(pa)) {
		uint64_t copy = page_alloc();
		if (!copy) {
			c->err = -ENOMEM;
			return;
		}
		page_copy(copy, pa);
		*dst = copy | (old & ~X86_PTE_ADDR);
		return;
	}
	if (old & X86_PTE_W)
		*pte = old & ~MM_PTE_WRITE;   /* TLB: the caller reloads CR3 once */
	*dst = old & ~MM_PTE_WRITE;
}

int mm_fork(struct proc *parent, struct proc *child)
{
	int err = vma_set_copy(&child->vmas, &parent->vmas);

	if (err)
		return err;
	/* memory locks are not inherited (mlock(2)) */
	for (unsigned i = 0; i < child->vmas.n; i++) {
		uint64_t s = child->vmas.v[i].start, e = child->vmas.v[i].end;
		if (child->vmas.v[i].flags & (VMA_LOCKED | VMA_LOCKONFAULT)) {
			vma_set_flags(&child->vmas, s, e, 0, VMA_LOCKED | VMA_LOCKONFAULT, false, NULL);
			i = vma_index_from(&child->vmas, e) - 1;
		}
	}
	struct mm_fork c = { child->cr3, NULL, 0 };
	for (unsigned i = 0; i < child->vmas.n && !c.err; i++) {
		c.v = &child->vmas.v[i];
		pgtable_visit_range(c.v->start, c.v->end, mm_fork_one, &c);
	}
	arch_load_cr3(parent->cr3);   /* the parent's write-protected entries */
	return c.err;
}

/* Where page idx of ino may be mapped: the VMAs of ino say (an
 * object-based reverse map). Walking every process's VMAs is the cost of
 * a reclaim, so one walk both checks for a locked VMA and remembers the
 * places, a batch of them at a time. */
#define MM_RMAP_BATCH 8u

struct mm_rmap {
	struct proc *p;
	uint64_t va;
};

/* Where the last walk found a place: a walk over a big mapping takes its
 * pages back one after another from the same VMA. */
static struct {
	struct proc *p;
	unsigned vma;     /* index in p->vmas, checked before use */
} rmap_hint;

/* Where VMA v maps page idx of ino, if it does. */
static bool mm_rmap_covers(const struct vma *v, uint32_t ino, uint64_t idx, uint64_t *va)
{
	struct vnode *f = mm_vma_vnode(v);
	uint64_t pages = (v->end - v->start) >> X86_PAGE_SHIFT;

	if (!f || f->ino != ino || idx < v->pgoff || idx - v->pgoff >= pages)
		return false;
	*va = v->start + ((idx - v->pgoff) << X86_PAGE_SHIFT);
	return true;
}

/* 1 when the hinted VMA maps idx of ino and is the only VMA of the file
 * anywhere (its place in at[0]), -1 when it is locked, 0: walk them all. */
static int mm_rmap_hinted(uint32_t ino, uint64_t idx, struct mm_rmap *at, struct vnode **vn)
{
	struct proc *p = rmap_hint.p;

	if (!p || p->state == PROC_FREE || p->state == PROC_ZOMBIE ||
	    rmap_hint.vma >= p->vmas.n)
		return 0;
	const struct vma *v = &p->vmas.v[rmap_hint.vma];
	if (!mm_rmap_covers(v, ino, idx, &at[0].va) || mm_vma_vnode(v)->vmas != 1)
		return 0;
	if (v->flags & VMA_LOCKED)
		return -1;
	at[0].p = p;
	*vn = mm_vma_vnode(v);
	return 1;
}

/* The number of places (VMAs of ino covering idx), or -1 if one is locked;
 * places [skip, skip + MM_RMAP_BATCH) go to at[]. *vn: the file's vnode. */
static int mm_rmap_find(uint32_t ino, uint64_t idx, struct mm_rmap *at, unsigned skip,
			struct vnode **vn)
{
	unsigned n = 0;

	for (unsigned k = 0; k < proc_slots; k++) {
		struct proc *p = &proc_table[k];
		if (p->state == PROC_FREE || p->state == PROC_ZOMBIE)
			continue;
		for (unsigned i = 0; i < p->vmas.n; i++) {
			const struct vma *v = &p->vmas.v[i];
			uint64_t va;
			if (!mm_rmap_covers(v, ino, idx, &va))
				continue;
			if (v->flags & VMA_LOCKED)
				return -1;
			*vn = mm_vma_vnode(v);
			rmap_hint.p = p;
			rmap_hint.vma = i;
			if (n >= skip && n - skip < MM_RMAP_BATCH)
				at[n - skip] = (struct mm_rmap){p, va};
			n++;
		}
	}
	return (int)n;
}

/* The place's entry, if it maps the cache page at pa (a private VMA may
 * hold its own copy there). No TLB flush is owed for a space that is not
 * current: there are no PCIDs, a CR3 load flushes. */
static void mm_rmap_unmap(const struct mm_rmap *at, uint64_t pa, uint8_t *page)
{
	uint64_t *pte = pgtable_pte_find_in(at->p->cr3, at->va);

	if (!pte || !(*pte & MM_PTE_OBJ) || (*pte & X86_PTE_ADDR) != pa)
		return;
	uint64_t old = *pte;
	*pte = 0;
	if (at->p == proc_current && (old & X86_PTE_P))
		arch_invlpg(at->va);
	pcache_unpin(page);
}

/* The page cache wants (ino, idx) back: unless a locked mapping covers it
 * (mlock pins, as on Linux; a locked private VMA holding its own copy of
 * the page keeps the cache page too, a rare and harmless refusal), every
 * process's entry for it goes, then a dirty page is written. Private
 * copies are not the cache's and stay. */
typedef void (*mm_rmap_fn)(const struct mm_rmap *at, uint64_t pa, uint8_t *page);

/* fn at every place of page idx of ino (the hinted one, or all, a batch at
 * a time); false, with nothing done, when a locked VMA covers it or a
 * space is ending (its VMAs are still listed but their entries are left
 * behind and their pins given back: no place of it may be taken; nothing
 * reclaims during an exit today, this keeps it so). */
static bool mm_rmap_each(uint32_t ino, uint64_t idx, mm_rmap_fn fn, uint8_t *page,
			 struct vnode **vn)
{
	struct mm_rmap at[MM_RMAP_BATCH];
	uint64_t pa = (uint64_t)page - (uint64_t)phys_to_virt(0);

	if (mm_space_ending)
		return false;
	int n = mm_rmap_hinted(ino, idx, at, vn);

	if (n == 0)
		n = mm_rmap_find(ino, idx, at, 0, vn);
	if (n < 0)
		return false;
	for (unsigned done = 0; done < (unsigned)n; done += MM_RMAP_BATCH) {
		if (done)   /* more places than one batch: the next ones */
			mm_rmap_find(ino, idx, at, done, vn);
		for (unsigned k = 0; k < MM_RMAP_BATCH && done + k < (unsigned)n; k++)
			fn(&at[k], pa, page);
	}
	return true;
}

bool mm_reclaim_cache_page(uint32_t ino, uint64_t idx, uint8_t *page)
{
	struct vnode *vn = NULL;

	return mm_rmap_each(ino, idx, mm_rmap_unmap, page, &vn) && vn &&
	       pcache_writeback(vfs_root, page, vn->size) == 0;
}

/* The place's large entry, if it maps the unit at pa. */
static void mm_rmap_unmap_large(const struct mm_rmap *at, uint64_t pa, uint8_t *base)
{
	uint64_t *pde = pgtable_pde_find_in(at->p->cr3, at->va);

	(void)base;
	if (!pde || (*pde & (X86_PTE_PS | X86_PTE_ADDR)) != (X86_PTE_PS | pa))
		return;
	if (at->p == proc_current) {
		pgtable_drop_large(pde, at->va);
	} else {
		*pde = 0;   /* no TLB of another space is live (no PCIDs) */
		mm_large_unmapped(pa | X86_PTE_PS);
	}
}

/* The page cache wants the unit at base (pages [first, first + unit) of
 * ino) back from its large mappings: every VMA of ino that covers page
 * first may hold one large entry for it. Refused, as for a page, when a
 * locked VMA covers it. */
bool mm_reclaim_cache_unit(uint32_t ino, uint64_t first, uint8_t *base)
{
	struct vnode *vn = NULL;

	return mm_rmap_each(ino, first, mm_rmap_unmap_large, base, &vn);
}
