/* The user page-fault path. Every instruction here is emulated on kvm-pvm
 * (~300 ns each) and every store into a page table traps, so the path
 * finds the VMA with one binary search, walks to the PTE once, and stores
 * it once. */
#include "kernel/fault.h"

#include "kernel/file.h"
#include "kernel/mm.h"
#include "kernel/pcache.h"
#include "kernel/proc.h"
#include "lib/errno.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pageref.h"
#include "mm/pgtable.h"
#include "mm/shm.h"
#include "mm/uvm.h"

#define PAGE_MASK (X86_PAGE_SIZE - 1)
/* Fault-around: cached neighbours mapped by one read fault, within the
 * VMA and the faulting page's page table (Linux's fault_around_bytes is
 * 64 KiB: 16 pages). */
#define FAULT_AROUND 16u

struct fault_stats fault_stats;

static uint64_t page_pa(const uint8_t *page)
{
	return (uint64_t)page - (uint64_t)phys_to_virt(0);
}

static enum fault_result fault_anon(const struct vma *v, uint64_t *pte)
{
	uint64_t pa = page_alloc_zeroed();

	if (!pa)
		return FAULT_OOM;
	*pte = pa | mm_pte_bits(v, false, true);
	fault_stats.anon_zero++;
	return FAULT_DONE;
}

/* A private copy of a file page for a write to a MAP_PRIVATE mapping. */
static enum fault_result fault_copy(const struct vma *v, uint64_t *pte, const uint8_t *page)
{
	uint64_t pa = page_alloc();

	if (!pa)
		return FAULT_OOM;
	page_copy(pa, page_pa(page));
	*pte = pa | mm_pte_bits(v, false, true);
	fault_stats.cow++;
	return FAULT_DONE;
}

/* Map the cached pages next to va that nobody mapped here yet, read-only:
 * a sequential reader then faults once per FAULT_AROUND pages. The window
 * is aligned to its size, which divides 2 MiB, so its entries are in the
 * faulting entry's page table. */
static void fault_around(const struct vma *v, uint64_t va, uint64_t *pte, uint32_t ino,
			 uint64_t npages)
{
	uint64_t span = (uint64_t)FAULT_AROUND << X86_PAGE_SHIFT;
	uint64_t lo = va & ~(span - 1), hi = lo + span;
	uint64_t bits = mm_pte_bits(v, true, false);   /* once: the calls below hide v */

	_Static_assert(((FAULT_AROUND << X86_PAGE_SHIFT) & ((1u << 21) - 1)) == 0 ||
			       ((1u << 21) % (FAULT_AROUND << X86_PAGE_SHIFT)) == 0,
		       "the window never crosses a page table");
	if (lo < v->start)
		lo = v->start;
	if (hi > v->end)
		hi = v->end;
	for (uint64_t a = lo; a < hi; a += X86_PAGE_SIZE) {
		uint64_t *e = pte + (int64_t)(a - va) / (int64_t)X86_PAGE_SIZE;
		uint64_t idx = v->pgoff + ((a - v->start) >> X86_PAGE_SHIFT);
		if (a == va || *e || idx >= npages)
			continue;
		uint8_t *page = pcache_find(ino, idx);
		if (!page)
			continue;
		pcache_pin(page);
		*e = page_pa(page) | bits;
		fault_stats.around++;
	}
}

static enum fault_result fault_file(const struct vma *v, uint64_t va, uint64_t *pte, bool write)
{
	struct vnode *vn = mm_vma_vnode(v);
	uint64_t idx = v->pgoff + ((va - v->start) >> X86_PAGE_SHIFT);
	uint64_t npages = (vn->size + PAGE_MASK) >> X86_PAGE_SHIFT;
	uint8_t *page;

	if (idx >= npages)
		return FAULT_BUS_ADRERR;
	enum pcache_ra ra = v->flags & VMA_SEQ_READ    ? PCACHE_RA_ALWAYS
			    : v->flags & VMA_RAND_READ ? PCACHE_RA_NONE
						       : PCACHE_RA_AUTO;
	bool copy = write && !(v->flags & VMA_SHARED);   /* a private copy, not the page */
	int got = copy ? pcache_get_ra(vfs_root, vn->ino, idx, ra, &page)
		       : pcache_get_pinned(vfs_root, vn->ino, idx, ra, &page);
	if (got < 0)
		return got == -ENOMEM ? FAULT_OOM : FAULT_BUS_IO;
	if (got)
		fault_stats.pcache_hit++;
	else
		fault_stats.disk_read++;
	if (copy)
		return fault_copy(v, pte, page);
	if (write) {
		pcache_set_dirty(page);
		fault_stats.shared_dirty++;
	}
	*pte = page_pa(page) | mm_pte_bits(v, true, write);
	if (!write && !(v->flags & VMA_RAND_READ))
		fault_around(v, va, pte, vn->ino, npages);
	return FAULT_DONE;
}

/* A read fault in a file mapping that covers va's whole 2 MiB region with
 * file pages [first, first + PCACHE_UNIT_PAGES), first a multiple of
 * that, all wholly inside the file, where no page table is yet: the page
 * cache's unit for them (read with a request or two if need be) mapped
 * read-only by one PDE. A walk over a big file then faults once per
 * 2 MiB, and the shadow MMU maps the region with one large entry when the
 * host's RAM is in 2 MiB pages too. A store or anything that needs the
 * region's 4 KiB entries drops the large one (mm/pgtable.h). */
#define FAULT_LARGE_NO ((enum fault_result)(FAULT_OOM + 1))   /* the 4 KiB path */
#define LARGE_SIZE (1ull << 21)

/* A walk over a big file mapping in order (a large fault in the region
 * right after the last region mapped) gets the next regions mapped with
 * its fault, up to LARGE_AHEAD of them: a trap, ~200 emulated instructions
 * and three exits less for each. Only regions in the same page directory
 * whose entry is empty and which the VMA and the file cover; it stops at
 * the first that is not so, or when the cache has no unit for it. */
#define LARGE_AHEAD 3u

static const struct proc *seq_proc;
static uint64_t seq_region;   /* the last region mapped large */

/* *first: the file page at region's start (inside v); true if the cache's
 * unit for it may map the region: a whole unit, all of it inside the file. */
static bool large_unit_at(const struct vma *v, const struct vnode *vn, uint64_t region,
			  uint64_t *first)
{
	*first = v->pgoff + ((region - v->start) >> X86_PAGE_SHIFT);
	return !(*first & (PCACHE_UNIT_PAGES - 1)) &&
	       *first + PCACHE_UNIT_PAGES <= vn->size >> X86_PAGE_SHIFT;
}

static enum fault_result large_err(int err)
{
	return err == -EAGAIN ? FAULT_LARGE_NO : err == -ENOMEM ? FAULT_OOM : FAULT_BUS_IO;
}

/* Region k of a large fault (0: the faulting one, then the ones ahead)
 * gets the unit of fill f: 1 or 0 as pcache_fill_end, or -errno. */
static int large_map(struct pcache_fill *f, uint64_t *pde, unsigned k, uint64_t bits)
{
	uint8_t *base;
	int got = pcache_fill_end(vfs_root, f, &base);

	if (got < 0)
		return got;
	pde[k] = page_pa(base) | bits;
	fault_stats.large++;
	if (k)
		fault_stats.around++;
	else if (got)
		fault_stats.pcache_hit++;
	else
		fault_stats.disk_read++;
	return got;
}

/* Out of line: its two fills would give fault_handle, which every fault
 * runs, a bigger frame and more to save. */
static __attribute__((noinline)) enum fault_result
fault_file_large(const struct proc *p, const struct vma *v, uint64_t va)
{
	uint64_t region = va & ~(LARGE_SIZE - 1), first;
	struct vnode *vn = mm_vma_vnode(v);
	int err = 0;

	if (!large_unit_at(v, vn, region, &first))
		return FAULT_LARGE_NO;
	uint64_t *pde = pgtable_pde_alloc(va, &err);
	if (!pde)
		return err == -ENOMEM ? FAULT_OOM : FAULT_LARGE_NO;
	if (*pde) {
		if (!(*pde & X86_PTE_PS))
			return FAULT_LARGE_NO;   /* a page table: 4 KiB pages here */
		arch_invlpg(va);   /* mapped already: a TLB entry older than it */
		fault_stats.spurious++;
		return FAULT_DONE;
	}
	/* In order: the regions ahead too, each unit read by the device in
	 * the background while the next one is prepared (one at a time). */
	bool seq = p == seq_proc && region == seq_region + LARGE_SIZE;
	uint64_t bits = mm_pte_bits(v, true, false) | X86_PTE_PS;
	struct pcache_fill fill[2];
	unsigned cur = 0, k = 0;   /* fill[cur] is region k's, under way */
	int got = pcache_fill_prep(vfs_root, vn->ino, first, &fill[cur]);
	if (got == 0)
		got = pcache_fill_start(vfs_root, &fill[cur], seq);
	if (got < 0)
		return large_err(got);
	seq_proc = p;
	seq_region = region;
	for (unsigned next = 1; seq && next <= LARGE_AHEAD; next++) {
		uint64_t r = region + next * LARGE_SIZE, f;
		if (!((r >> 21) & (X86_PT_ENTRIES - 1)) || r + LARGE_SIZE > v->end ||
		    !large_unit_at(v, vn, r, &f) || pde[next])
			break;
		int rc = pcache_fill_prep(vfs_root, vn->ino, f, &fill[cur ^ 1]);
		if ((got = large_map(&fill[cur], pde, k, bits)) < 0) {
			if (rc >= 0)
				pcache_fill_cancel(vfs_root, &fill[cur ^ 1]);
			return k ? FAULT_DONE : large_err(got);
		}
		seq_region = region + k * LARGE_SIZE;
		if (rc == 0)
			rc = pcache_fill_start(vfs_root, &fill[cur ^ 1], true);
		if (rc < 0)
			return FAULT_DONE;   /* no unit ahead: the walk faults there */
		cur ^= 1;
		k = next;
	}
	if ((got = large_map(&fill[cur], pde, k, bits)) < 0)
		return k ? FAULT_DONE : large_err(got);
	seq_region = region + k * LARGE_SIZE;
	return FAULT_DONE;
}

/* Shared anonymous memory: the object's page, made on first use. */
static enum fault_result fault_shm(const struct vma *v, uint64_t va, uint64_t *pte, bool write)
{
	struct shm *s = mm_vma_shm(v);
	uint64_t idx = v->pgoff + ((va - v->start) >> X86_PAGE_SHIFT);

	if (idx >= shm_npages(s))
		return FAULT_BUS_ADRERR;
	bool fresh = !shm_page(s, idx, false);
	uint64_t pa = shm_page(s, idx, true);
	if (!pa)
		return FAULT_OOM;
	if (fresh)
		fault_stats.anon_zero++;
	*pte = pa | mm_pte_bits(v, true, write);
	return FAULT_DONE;
}

/* A store to a present, read-only page of a writable VMA: the first store
 * to a shared file page (now dirty), or copy on write of a private one. */
static enum fault_result fault_write_protected(const struct vma *v, uint64_t va, uint64_t *pte)
{
	uint64_t old = *pte;

	if (!(old & MM_PTE_OBJ)) {
		/* anonymous: ours alone, or shared since fork (copy it) */
		uint64_t pa = old & X86_PTE_ADDR;
		if (pageref_count(pa) > 1) {
			uint64_t copy = page_alloc();
			if (!copy)
				return FAULT_OOM;
			page_copy(copy, pa);
			*pte = copy | mm_pte_bits(v, false, true);
			pageref_put(pa);
			fault_stats.cow++;
		} else {
			*pte = old | MM_PTE_WRITE;
		}
		arch_invlpg(va);
		return FAULT_DONE;
	}
	uint8_t *page = mm_pte_page(old);
	if (mm_vma_shm(v)) {
		*pte = old | MM_PTE_WRITE;
	} else if (v->flags & VMA_SHARED) {
		pcache_set_dirty(page);
		*pte = old | MM_PTE_WRITE;
		fault_stats.shared_dirty++;
	} else {
		enum fault_result r = fault_copy(v, pte, page);
		if (r != FAULT_DONE)
			return r;
		pcache_unpin(page);   /* private: never dirty */
	}
	arch_invlpg(va);
	return FAULT_DONE;
}

static enum fault_result fault_classify(struct proc *p, uint64_t addr, uint64_t error,
					const struct vma **out)
{
	const struct vma *v = vma_find(&p->vmas, addr);

	if (!v) {
		/* below a GROWSDOWN VMA: grow it, to at most RLIMIT_STACK
		 * (Linux's acct_stack_growth, for every such VMA) */
		unsigned i = vma_index_from(&p->vmas, addr);
		const struct vma *up = i < p->vmas.n ? &p->vmas.v[i] : NULL;
		if (!up || !(up->flags & VMA_GROWSDOWN))
			return FAULT_SEGV_MAPERR;
		uint64_t limit = p->rlim[RLIMIT_STACK].cur;
		if (limit != RLIM_INFINITY && up->end - (addr & ~PAGE_MASK) > limit)
			return FAULT_SEGV_MAPERR;
		if (vma_expand_down(&p->vmas, addr))
			return FAULT_SEGV_MAPERR;
		fault_stats.stack_grow++;
		v = vma_find(&p->vmas, addr);
	}
	*out = v;
	/* x86 pages cannot be write-only or execute-only: any access right
	 * implies reading (Linux on x86 behaves the same). */
	if (!(v->prot & VMA_PROT_MASK) || (error & X86_PF_W && !(v->prot & VMA_PROT_WRITE)) ||
	    (error & X86_PF_I && !(v->prot & VMA_PROT_EXEC)))
		return FAULT_SEGV_ACCERR;
	return FAULT_DONE;
}

enum fault_result fault_handle(struct proc *p, uint64_t addr, uint64_t error)
{
	const struct vma *v;
	uint64_t va = addr & ~PAGE_MASK;
	enum fault_result r;
	int err = 0;

	if (addr >= UVM_TOP)
		return FAULT_SEGV_MAPERR;
	if ((r = fault_classify(p, addr, error, &v)) != FAULT_DONE)
		return r;
	bool write = error & X86_PF_W;
	if (!write && v->file && !(v->flags & (VMA_RAND_READ | VMA_LOCKED | VMA_LOCKONFAULT)) &&
	    va - v->start >= (va & (LARGE_SIZE - 1)) &&
	    v->end - (va & ~(LARGE_SIZE - 1)) >= LARGE_SIZE && !mm_vma_shm(v) &&
	    (r = fault_file_large(p, v, va)) != FAULT_LARGE_NO)
		return r;
	uint64_t *pte = pgtable_pte_alloc(va, &err);
	if (!pte && err == -EEXIST) {
		/* a large entry where 4 KiB ones are wanted (a store, or
		 * advice since): dropped, its pages fault in one by one */
		uint64_t *pde = pgtable_pde_alloc(va, &err);
		if (pde && (*pde & X86_PTE_PS))
			pgtable_drop_large(pde, va);
		pte = pgtable_pte_alloc(va, &err);
	}
	if (!pte)
		return FAULT_OOM;
	uint64_t old = *pte;
	if (old & X86_PTE_P) {
		if (write && !(old & X86_PTE_W))
			return fault_write_protected(v, va, pte);
		/* already as wanted: a TLB entry older than the PTE */
		arch_invlpg(va);
		fault_stats.spurious++;
		return FAULT_DONE;
	}
	if (old) {
		/* a PROT_NONE page whose VMA allows access again */
		bool obj = old & MM_PTE_OBJ;
		*pte = (old & X86_PTE_ADDR) |
		       mm_pte_bits(v, obj, obj ? false : pageref_count(old & X86_PTE_ADDR) == 1);
		return FAULT_DONE;   /* a write retries into the path above */
	}
	if (!v->file)
		return fault_anon(v, pte);
	return mm_vma_shm(v) ? fault_shm(v, va, pte, write) : fault_file(v, va, pte, write);
}
