/* madvise, mincore, msync and the mlock family: calls that look at or
 * act on what is already mapped. */
#include <stdint.h>

#include "kernel/file.h"
#include "kernel/mm.h"
#include "kernel/pcache.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "mm/pgtable.h"
#include "mm/shm.h"
#include "mm/uvm.h"
#include "x86.h"

#define PAGE_MASK (X86_PAGE_SIZE - 1)

/* include/uapi/asm-generic/mman-common.h */
#define MADV_NORMAL      0
#define MADV_RANDOM      1
#define MADV_SEQUENTIAL  2
#define MADV_WILLNEED    3
#define MADV_DONTNEED    4
#define MADV_FREE        8
#define MADV_REMOVE      9
#define MADV_DONTFORK    10
#define MADV_DOFORK      11
#define MADV_MERGEABLE   12
#define MADV_UNMERGEABLE 13
#define MADV_HUGEPAGE    14
#define MADV_NOHUGEPAGE  15
#define MADV_DONTDUMP    16
#define MADV_DODUMP      17
#define MADV_WIPEONFORK  18
#define MADV_KEEPONFORK  19
#define MADV_COLD        20
#define MADV_PAGEOUT     21
#define MADV_POPULATE_READ  22
#define MADV_POPULATE_WRITE 23
#define MADV_DONTNEED_LOCKED 24

#define MS_ASYNC      1
#define MS_INVALIDATE 2
#define MS_SYNC       4

#define MLOCK_ONFAULT 1
#define MCL_CURRENT   1
#define MCL_FUTURE    2
#define MCL_ONFAULT   4

#define MINCORE_CHUNK 256   /* result bytes copied out at a time */

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_MASK) & ~PAGE_MASK;
}

static bool madv_valid(uint64_t a)
{
	return a <= MADV_DONTNEED_LOCKED && a != 5 && a != 6 && a != 7;
}

/* One VMA's part [start, end) of a madvise. */
static int madv_apply(struct proc *p, const struct vma *v, uint64_t start, uint64_t end,
		      uint64_t advice)
{
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		if (v->flags & VMA_LOCKED && advice == MADV_DONTNEED)
			return -EINVAL;
		/* anonymous: zeros next time; file: the file's bytes again
		 * (a dirty shared page is written back, not lost) */
		mm_zap(v, start, end);
		return 0;
	case MADV_FREE:
		/* Only private anonymous memory, not locked; the pages may be
		 * freed lazily. Keeping them is one of the outcomes Linux
		 * allows, and the one it shows without memory pressure. */
		return v->file || v->flags & (VMA_SHARED | VMA_LOCKED) ? -EINVAL : 0;
	case MADV_COLD:
	case MADV_PAGEOUT:
		/* hints for reclaim, refused on locked memory (Linux's
		 * can_madv_lru_vma) */
		return v->flags & VMA_LOCKED ? -EINVAL : 0;
	case MADV_REMOVE:
		/* a hole punched in what is mapped, in Linux's order of
		 * checks: locked or not backed by a file (shared anonymous
		 * memory is: its object), not writable shared, and then
		 * whether the file can punch holes (ext2 cannot) */
		if (v->flags & VMA_LOCKED || !v->file)
			return -EINVAL;
		if (!(v->flags & VMA_SHARED) || !(v->flags & VMA_MAY_WRITE))
			return -EACCES;
		if (!mm_vma_shm(v))
			return -EOPNOTSUPP;
		mm_shm_punch(mm_vma_shm(v), v->pgoff + ((start - v->start) >> X86_PAGE_SHIFT),
			     v->pgoff + ((end - v->start) >> X86_PAGE_SHIFT));
		return 0;
	case MADV_WILLNEED:
		/* read the file's pages into the page cache now */
		if (mm_vma_vnode(v)) {
			struct vnode *vn = mm_vma_vnode(v);
			uint64_t idx = v->pgoff + ((start - v->start) >> X86_PAGE_SHIFT);
			uint64_t n = (end - start) >> X86_PAGE_SHIFT;
			uint64_t npages = (vn->size + PAGE_MASK) >> X86_PAGE_SHIFT;
			for (uint64_t i = idx; i < idx + n && i < npages; i++) {
				uint8_t *page;
				if (!pcache_find(vn->ino, i) && pcache_get(vfs_root, vn->ino, i, &page))
					break;
			}
		}
		return 0;
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		if (!(v->prot & VMA_PROT_MASK))
			return -ENOMEM;
		return mm_populate(p, start, end, true) ? -EFAULT : 0;
	case MADV_NORMAL:
		return vma_set_flags(&p->vmas, start, end, 0, VMA_SEQ_READ | VMA_RAND_READ, false,
				     NULL);
	case MADV_SEQUENTIAL:
		return vma_set_flags(&p->vmas, start, end, VMA_SEQ_READ, VMA_RAND_READ, false, NULL);
	case MADV_RANDOM:
		return vma_set_flags(&p->vmas, start, end, VMA_RAND_READ, VMA_SEQ_READ, false, NULL);
	case MADV_DONTFORK:
		return vma_set_flags(&p->vmas, start, end, VMA_DONTFORK, 0, false, NULL);
	case MADV_DOFORK:
		return vma_set_flags(&p->vmas, start, end, 0, VMA_DONTFORK, false, NULL);
	default:
		return 0;   /* hints with nothing to do here */
	}
}

long sys_madvise(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t start = f->arg[0], len_in = f->arg[1], advice = f->arg[2];
	uint64_t len = page_up(len_in);
	int hole = 0;

	if (!madv_valid(advice))
		return -EINVAL;
	if (start & PAGE_MASK || (len_in && !len))
		return -EINVAL;
	uint64_t end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	/* VMA by VMA from start; each step re-finds its place, since a flag
	 * change may split or merge the array under us. */
	for (uint64_t a = start; a < end;) {
		unsigned i = vma_index_from(&p->vmas, a);
		if (i == p->vmas.n || p->vmas.v[i].start >= end) {
			hole = -ENOMEM;
			break;
		}
		const struct vma *v = &p->vmas.v[i];
		if (v->start > a) {
			hole = -ENOMEM;
			a = v->start;
		}
		uint64_t lo = a, hi = v->end < end ? v->end : end;
		int err = madv_apply(p, v, lo, hi, advice);
		if (err)
			return err;
		a = hi;
	}
	return hole;
}

long sys_mincore(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t start = f->arg[0], len = f->arg[1], uvec = f->arg[2];
	uint8_t buf[MINCORE_CHUNK];

	if (start & PAGE_MASK)
		return -EINVAL;
	len = page_up(len);
	if (start > UVM_TASK_SIZE || len > UVM_TASK_SIZE - start)
		return -ENOMEM;
	uint64_t pages = len >> X86_PAGE_SHIFT;
	if (uvec > UVM_TASK_SIZE || pages > UVM_TASK_SIZE - uvec)
		return -EFAULT;
	for (uint64_t done = 0; done < pages;) {
		unsigned n = pages - done < MINCORE_CHUNK ? (unsigned)(pages - done) : MINCORE_CHUNK;
		for (unsigned k = 0; k < n; k++) {
			uint64_t va = start + ((done + k) << X86_PAGE_SHIFT);
			const struct vma *v = vma_find(&p->vmas, va);
			const uint64_t *slot;
			if (!v)
				return -ENOMEM;
			/* a page is resident if this space maps it or, for a
			 * file, if the page cache holds it (Linux's rule) */
			bool in = pgtable_pte_slot(va, &slot) == 0 && *slot;
			uint64_t idx = v->pgoff + ((va - v->start) >> X86_PAGE_SHIFT);
			if (!in && mm_vma_vnode(v))
				in = pcache_find(mm_vma_vnode(v)->ino, idx) != NULL;
			else if (!in && mm_vma_shm(v))
				in = idx < shm_npages(mm_vma_shm(v)) && shm_page(mm_vma_shm(v), idx, false);
			buf[k] = in;
		}
		if (copy_to_user(uvec + done, buf, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}

long sys_msync(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t start = f->arg[0], len = f->arg[1], flags = f->arg[2];
	int hole = 0;

	if (flags & ~(uint64_t)(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (start & PAGE_MASK)
		return -EINVAL;
	if (flags & MS_ASYNC && flags & MS_SYNC)
		return -EINVAL;
	len = page_up(len);
	uint64_t end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;
	for (uint64_t a = start; a < end;) {
		unsigned i = vma_index_from(&p->vmas, a);
		if (i == p->vmas.n || p->vmas.v[i].start >= end)
			return -ENOMEM;
		const struct vma *v = &p->vmas.v[i];
		if (v->start > a)
			hole = -ENOMEM;
		if (flags & MS_INVALIDATE && v->flags & VMA_LOCKED)
			return -EBUSY;
		uint64_t lo = v->start > a ? v->start : a, hi = v->end < end ? v->end : end;
		/* MS_ASYNC too: writing now is a valid way to "schedule" it */
		int err = mm_writeback(v, lo, hi);
		if (err)
			return err;
		a = hi;
	}
	return hole;
}

/* Linux lets a task with CAP_IPC_LOCK lock past RLIMIT_MEMLOCK, and the
 * guest's programs run as root: the limit is kept and reported, not
 * enforced, exactly as for root on Linux. */
static int mlock_range(struct proc *p, uint64_t start, uint64_t len, uint32_t set, uint32_t clear)
{
	uint64_t end, applied;

	len = page_up(len + (start & PAGE_MASK));
	start &= ~PAGE_MASK;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	int err = vma_set_flags(&p->vmas, start, end, set, clear, false, &applied);
	if (err)
		return err;
	if (set & VMA_LOCKED && !(set & VMA_LOCKONFAULT) && mm_populate(p, start, end, true))
		return -ENOMEM;
	return 0;
}

long sys_mlock(struct syscall_frame *f)
{
	return mlock_range(proc_current, f->arg[0], f->arg[1], VMA_LOCKED, VMA_LOCKONFAULT);
}

long sys_mlock2(struct syscall_frame *f)
{
	if (f->arg[2] & ~(uint64_t)MLOCK_ONFAULT)
		return -EINVAL;
	uint32_t set = VMA_LOCKED | (f->arg[2] & MLOCK_ONFAULT ? VMA_LOCKONFAULT : 0);
	return mlock_range(proc_current, f->arg[0], f->arg[1], set, set ^ (VMA_LOCKED | VMA_LOCKONFAULT));
}

long sys_munlock(struct syscall_frame *f)
{
	return mlock_range(proc_current, f->arg[0], f->arg[1], 0, VMA_LOCKED | VMA_LOCKONFAULT);
}

long sys_mlockall(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t flags = f->arg[0];

	if (!flags || flags & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) ||
	    flags == MCL_ONFAULT)
		return -EINVAL;
	uint32_t set = VMA_LOCKED | (flags & MCL_ONFAULT ? VMA_LOCKONFAULT : 0);
	p->def_flags = flags & MCL_FUTURE ? set : 0;
	if (flags & MCL_CURRENT)
		for (unsigned i = 0; i < p->vmas.n; i++) {
			/* one VMA at a time: the set is rewritten as it goes */
			uint64_t s = p->vmas.v[i].start, e = p->vmas.v[i].end;
			vma_set_flags(&p->vmas, s, e, set, set ^ (VMA_LOCKED | VMA_LOCKONFAULT), false,
				      NULL);
			if (!(set & VMA_LOCKONFAULT))
				mm_populate(p, s, e, false);
			i = vma_index_from(&p->vmas, e) - 1;
		}
	return 0;
}

long sys_munlockall(struct syscall_frame *f)
{
	struct proc *p = proc_current;

	(void)f;
	p->def_flags = 0;
	for (unsigned i = 0; i < p->vmas.n; i++) {
		uint64_t s = p->vmas.v[i].start, e = p->vmas.v[i].end;
		vma_set_flags(&p->vmas, s, e, 0, VMA_LOCKED | VMA_LOCKONFAULT, false, NULL);
		i = vma_index_from(&p->vmas, e) - 1;
	}
	return 0;
}
