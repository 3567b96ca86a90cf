/* brk and anonymous mmap/munmap/madvise. All of it is populated lazily:
 * these calls only change regions, and the first touch of a page faults it
 * in zero-filled (proc_handle_fault), as Linux does. Shrinking gives the
 * pages back at once. The full mmap family (files, MAP_SHARED across fork,
 * mprotect, mremap) is the VMA work's. */
#include <stdint.h>

#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "lib/errno.h"
#include "mm/uregion.h"
#include "mm/uvm.h"
#include "x86.h"

#define PAGE_MASK       (X86_PAGE_SIZE - 1)
#define MAP_SHARED      0x01
#define MAP_PRIVATE     0x02
#define MAP_TYPE        0x0f
#define MAP_FIXED       0x10
#define MAP_ANONYMOUS   0x20
#define MADV_DONTNEED   4
#define MADV_FREE       8

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_MASK) & ~PAGE_MASK;
}

/* brk(0), or a request it cannot meet, returns the current break. */
long sys_brk(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t want = f->arg[0], old_end = page_up(p->brk), new_end = page_up(want);

	if (want < p->brk_start || want > p->mmap_low)
		return (long)p->brk;
	if (new_end > old_end) {
		if (uregion_overlaps(&p->regions, old_end, new_end))
			return (long)p->brk;
		int err = old_end == p->brk_start
				  ? uregion_add(&p->regions, old_end, new_end,
						UPROT_READ | UPROT_WRITE, UREGION_BRK)
				  : uregion_set_end(&p->regions, old_end, new_end);
		if (err)
			return (long)p->brk;
	} else if (new_end < old_end) {
		uvm_unmap_range(new_end, old_end);
		uregion_remove(&p->regions, new_end, old_end);
	}
	p->brk = want;
	return (long)want;
}

long sys_mmap(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t addr = f->arg[0], len = f->arg[1], prot = f->arg[2], flags = f->arg[3];
	uint64_t type = flags & MAP_TYPE;

	if (!len || (type != MAP_PRIVATE && type != MAP_SHARED) || prot & ~(uint64_t)UPROT_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS))
		return (long)f->arg[4] <= 2 ? -ENODEV : -EBADF;  /* no files yet */
	if (len > UVM_TOP)
		return -ENOMEM;
	len = page_up(len);
	uint64_t start;
	if (flags & MAP_FIXED) {
		if (addr & PAGE_MASK || addr < UVM_MIN || addr > UVM_MMAP_TOP ||
		    len > UVM_MMAP_TOP - addr)
			return -EINVAL;
		start = addr;
		/* Replacing the middle of a region splits it and adds one: fail
		 * before the old pages are freed, not after. */
		if (p->regions.n + 2 > UREGION_MAX)
			return -ENOMEM;
		uvm_unmap_range(start, start + len);
		if (uregion_remove(&p->regions, start, start + len))
			return -ENOMEM;
	} else {
		/* top-down bump; the hint is only a hint */
		if (len > p->mmap_low - page_up(p->brk))
			return -ENOMEM;
		start = p->mmap_low - len;
		if (uregion_overlaps(&p->regions, start, start + len))
			return -ENOMEM;
	}
	/* MAP_SHARED anonymous is MAP_PRIVATE while there is no fork */
	if (uregion_add(&p->regions, start, start + len, (uint32_t)prot, UREGION_ANON))
		return -ENOMEM;
	if (!(flags & MAP_FIXED))
		p->mmap_low = start;
	return (long)start;
}

long sys_munmap(struct syscall_frame *f)
{
	uint64_t addr = f->arg[0], len = f->arg[1];

	if (addr & PAGE_MASK || !len || addr >= UVM_TOP || len > UVM_TOP - addr)
		return -EINVAL;
	len = page_up(len);
	/* Splitting a region may need a slot: fail before anything changes. */
	struct uregion_set *s = &proc_current->regions;
	if (s->n == UREGION_MAX)
		return -ENOMEM;
	uvm_unmap_range(addr, addr + len);
	uregion_remove(s, addr, addr + len);
	return 0;
}

/* DONTNEED drops the pages (the next touch reads zeros, as Linux gives for
 * private anonymous memory); FREE may do the same; other advice is
 * accepted and ignored, which Linux permits. */
long sys_madvise(struct syscall_frame *f)
{
	uint64_t addr = f->arg[0], len = page_up(f->arg[1]);

	/* a length that rounds up past the top wraps to 0: Linux says EINVAL */
	if (addr & PAGE_MASK || addr >= UVM_TOP || len > UVM_TOP - addr || (f->arg[1] && !len))
		return -EINVAL;
	if (f->arg[2] == MADV_DONTNEED || f->arg[2] == MADV_FREE) {
		/* region by region, so the cost follows what is mapped */
		const struct uregion_set *s = &proc_current->regions;
		uint64_t end = addr + len;
		for (unsigned i = 0; i < s->n; i++) {
			const struct uregion *r = &s->r[i];
			uint64_t lo = r->start > addr ? r->start : addr;
			uint64_t hi = r->end < end ? r->end : end;
			if (lo < hi && r->kind != UREGION_ELF)
				uvm_unmap_range(lo, hi);
		}
	}
	return 0;
}
