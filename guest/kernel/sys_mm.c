/* mmap, munmap, mprotect, mremap and brk: the VMA set decides (mm/vma.h),
 * the page tables follow (kernel/mm.c), pages come on first touch
 * (kernel/fault.c). Argument checks are Linux's, in Linux's order, since
 * the order decides which errno a call with several faults gets. */
#include <stdint.h>

#include "kernel/file.h"
#include "kernel/mm.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "lib/errno.h"
#include "mm/shm.h"
#include "mm/uvm.h"
#include "x86.h"

#define PAGE_MASK (X86_PAGE_SIZE - 1)

/* include/uapi/asm-generic/mman-common.h, linux/mman.h */
#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE            0x0f
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_GROWSDOWN       0x0100
#define MAP_DENYWRITE       0x0800
#define MAP_EXECUTABLE      0x1000
#define MAP_LOCKED          0x2000
#define MAP_NORESERVE       0x4000
#define MAP_POPULATE        0x8000
#define MAP_NONBLOCK        0x10000
#define MAP_STACK           0x20000
#define MAP_HUGETLB         0x40000
#define MAP_FIXED_NOREPLACE 0x100000
/* What MAP_SHARED keeps and MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK;
 * a file system may add MAP_SYNC, none here does, and MAP_FIXED_NOREPLACE
 * is not in it: Linux 6.x refuses that pair with EOPNOTSUPP too). */
#define MAP_LEGACY_MASK (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | \
			 MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED |       \
			 MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB)
#define MAP_UNINITIALIZED   0x4000000

#define MREMAP_MAYMOVE   1
#define MREMAP_FIXED     2
#define MREMAP_DONTUNMAP 4

#define MAP_32BIT           0x40     /* x86: in the low 2 GiB */
#define PROT_SEM       0x08       /* accepted by mprotect, meaningless on x86 */
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP   0x02000000

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE_MASK) & ~PAGE_MASK;
}

/* RLIMIT_AS: may the space grow by len bytes? */
static bool as_room(const struct proc *p, uint64_t len)
{
	uint64_t lim = p->rlim[RLIMIT_AS].cur;

	return lim == RLIM_INFINITY ||
	       (len >> X86_PAGE_SHIFT) + mm_total_pages(p) <= lim >> X86_PAGE_SHIFT;
}

#define MMAP_LARGE (1ull << 21)

/* A file mapping of 2 MiB or more, with no hint, goes where its file
 * offsets multiple of 2 MiB fall on 2 MiB boundaries (as Linux places
 * files that take large pages), so that the page cache can map it 2 MiB
 * at a time (kernel/fault.c); the highest such place below the mmap base.
 * -ENOMEM when there is none: the caller places it as any other. */
static int mmap_pick_large(const struct proc *p, uint64_t len, uint64_t off, uint64_t *addr)
{
	uint64_t pad = MMAP_LARGE - X86_PAGE_SIZE, a;

	if (len < MMAP_LARGE || len > UVM_TASK_SIZE ||
	    vma_find_free(&p->vmas, len + pad, 0, UVM_MIN, UVM_MMAP_TOP, &a))
		return -ENOMEM;
	*addr = a + pad - ((a + pad - off) & (MMAP_LARGE - 1));
	return 0;
}

/* An address for len bytes: the hint if free, else top-down below the
 * mmap base, else anywhere above it (Linux falls back the same way). */
static int mmap_pick(const struct proc *p, uint64_t len, uint64_t hint, uint64_t *addr)
{
	if (vma_find_free(&p->vmas, len, hint, UVM_MIN, UVM_MMAP_TOP, addr) == 0)
		return 0;
	return vma_find_free(&p->vmas, len, 0, UVM_MMAP_TOP, UVM_TASK_SIZE, addr);
}

long sys_mmap(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t addr = f->arg[0], len = f->arg[1], flags = f->arg[3], off = f->arg[5];
	uint32_t prot = (uint32_t)f->arg[2] & VMA_PROT_MASK;   /* others ignored */
	uint32_t vflags = p->def_flags;
	struct file *file = NULL;

	if (off & PAGE_MASK)
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS)) {
		if (!(file = fd_get(&p->files, f->arg[4])))
			return -EBADF;
		if (flags & MAP_HUGETLB)
			return -EINVAL;   /* only hugetlbfs files take it */
		if (file->kind == FILE_ZERO) {
			/* /dev/zero maps anonymous memory */
			file = NULL;
			flags |= MAP_ANONYMOUS;
		}
	}
	if (!len)
		return -EINVAL;
	/* x86 takes a hint rounded down to its page (and one below
	 * mmap_min_addr as that minimum) */
	if (!(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
		addr = addr && addr < UVM_MIN ? UVM_MIN : addr & ~PAGE_MASK;
	len = page_up(len);
	if (!len)
		return -ENOMEM;
	uint64_t pgoff = off >> X86_PAGE_SHIFT;
	if (file && pgoff + (len >> X86_PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	/* a regular file's mappable size ends at its largest offset
	 * (Linux's file_mmap_ok, MAX_LFS_FILESIZE) */
	if (file && (len > (uint64_t)INT64_MAX || off > (uint64_t)INT64_MAX - len))
		return -EOVERFLOW;
	if (p->vmas.n > p->vmas.max_map_count)
		return -ENOMEM;

	/* the address */
	uint64_t start;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (len > UVM_TASK_SIZE || addr > UVM_TASK_SIZE - len)
			return -ENOMEM;
		if (addr & PAGE_MASK)
			return -EINVAL;
		start = addr;
		if (!(flags & MAP_FIXED)) {
			unsigned i = vma_index_from(&p->vmas, start);
			if (i < p->vmas.n && p->vmas.v[i].start < start + len)
				return -EEXIST;
		}
	} else if (flags & MAP_32BIT) {
		/* x86's window for it: [1 GiB, 2 GiB) */
		if (vma_find_free(&p->vmas, len, 0, 1ull << 30, 2ull << 30, &start))
			return -ENOMEM;
	} else {
		if (len > UVM_TASK_SIZE)
			return -ENOMEM;
		if ((addr || !file || mmap_pick_large(p, len, off, &start)) &&
		    mmap_pick(p, len, addr, &start))
			return -ENOMEM;
	}

	if (flags & MAP_GROWSDOWN)
		vflags |= VMA_GROWSDOWN;
	if (flags & MAP_LOCKED)
		vflags |= VMA_LOCKED;
	if (flags & MAP_NORESERVE)
		vflags |= VMA_NORESERVE;
	if (flags & MAP_STACK)
		vflags |= VMA_STACK;
	uint32_t may = VMA_MAY_ALL;
	if (file) {
		uint32_t mode = file->flags & O_ACCMODE;
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			flags &= MAP_LEGACY_MASK;
			/* fall through */
		case MAP_SHARED_VALIDATE:
			if (flags & ~(uint64_t)MAP_LEGACY_MASK)
				return -EOPNOTSUPP;
			if (prot & VMA_PROT_WRITE && mode == O_RDONLY)
				return -EACCES;
			if (mode == O_RDONLY)
				may &= ~VMA_MAY_WRITE;
			vflags |= VMA_SHARED;
			/* fall through */
		case MAP_PRIVATE:
			if (mode == O_WRONLY)
				return -EACCES;
			if (file->kind != FILE_REG)
				return -ENODEV;
			break;
		default:
			return -EINVAL;
		}
	} else {
		/* no huge pages are reserved in this kernel: as Linux without
		 * any, the hugetlbfs set-up fails */
		if (flags & MAP_HUGETLB)
			return -ENOMEM;
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			if (flags & MAP_GROWSDOWN)
				return -EINVAL;
			vflags |= VMA_SHARED;
			break;
		case MAP_PRIVATE:
			break;
		default:
			return -EINVAL;
		}
		pgoff = 0;
	}
	if (!as_room(p, len))
		return -ENOMEM;
	struct file *shm = NULL;
	if (!file && vflags & VMA_SHARED) {
		/* the object the mapping shares, as big as the mapping */
		if (!(shm = file_alloc(FILE_SHM, O_RDWR)))
			return -ENOMEM;
		if (!(shm->shm = shm_create(len >> X86_PAGE_SHIFT))) {
			file_put(shm);
			return -ENOMEM;
		}
		file = shm;
	}
	int err = vma_insert(&p->vmas, start, start + len, prot, vflags | may | VMA_REPLACE, file,
			     pgoff);
	if (shm)
		file_put(shm);   /* the VMA holds its own reference */
	if (err)
		return err;
	if ((flags & MAP_POPULATE && !(flags & MAP_NONBLOCK)) || vflags & VMA_LOCKED)
		mm_populate(p, start, start + len, false);   /* best effort, as Linux */
	return (long)start;
}

long sys_munmap(struct syscall_frame *f)
{
	uint64_t addr = f->arg[0], len = f->arg[1];

	if (addr & PAGE_MASK || addr > UVM_TASK_SIZE || len > UVM_TASK_SIZE - addr)
		return -EINVAL;
	len = page_up(len);
	if (!len)
		return -EINVAL;
	return vma_unmap(&proc_current->vmas, addr, addr + len);
}

long sys_mprotect(struct syscall_frame *f)
{
	struct vma_set *s = &proc_current->vmas;
	uint64_t start = f->arg[0], len = f->arg[1], prot = f->arg[2], applied;

	if (start & PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = page_up(len);
	if (!len || start + len <= start)
		return -ENOMEM;
	if (prot & ~(uint64_t)(VMA_PROT_MASK | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP) ||
	    (prot & PROT_GROWSDOWN && prot & PROT_GROWSUP))
		return -EINVAL;
	if (prot & PROT_GROWSUP)
		return -EINVAL;   /* x86 has no upward-growing VMAs */
	if (prot & PROT_GROWSDOWN) {
		/* down to the start of the GROWSDOWN VMA holding start */
		const struct vma *v = vma_find(s, start);
		if (!v || !(v->flags & VMA_GROWSDOWN))
			return -EINVAL;
		start = v->start;
	}
	if (start + len > UVM_TASK_SIZE)
		return -ENOMEM;
	int err = vma_protect(s, start, start + len, (uint32_t)prot & VMA_PROT_MASK, &applied);
	/* page tables follow whatever part changed, failure or not */
	for (uint64_t a = start; a < applied;) {
		const struct vma *v = vma_find(s, a);
		uint64_t end = v->end < applied ? v->end : applied;
		mm_reprotect(v, a, end);
		a = end;
	}
	return err;
}

long sys_mremap(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t addr = f->arg[0], old_len = f->arg[1], new_len = f->arg[2], flags = f->arg[3];
	uint64_t to = f->arg[4];
	int err;

	if (flags & ~(uint64_t)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (flags & MREMAP_DONTUNMAP)
		return -EINVAL;   /* not supported here (docs/syscalls.md) */
	if (addr & PAGE_MASK)
		return -EINVAL;
	old_len = page_up(old_len);
	new_len = page_up(new_len);
	if (!new_len || !old_len)
		return -EINVAL;   /* old_len 0 duplicates shared mappings: not here */
	if (new_len > UVM_TASK_SIZE)
		return -EINVAL;
	if (addr > UVM_TASK_SIZE || old_len > UVM_TASK_SIZE - addr)
		return -EFAULT;
	if (flags & MREMAP_FIXED) {
		if (to & PAGE_MASK || new_len > UVM_TASK_SIZE || to > UVM_TASK_SIZE - new_len)
			return -EINVAL;
		if (new_len > old_len && !as_room(p, new_len - old_len))
			return -ENOMEM;
		err = vma_move(&p->vmas, addr, old_len, to, new_len);
		if (err)
			return err;
		err = mm_move_ptes(addr, to, old_len < new_len ? old_len : new_len);
		return err ? err : (long)to;
	}
	if (new_len <= old_len) {
		err = vma_resize(&p->vmas, addr, old_len, new_len);
		return err ? err : (long)addr;
	}
	if (!as_room(p, new_len - old_len))
		return -ENOMEM;
	err = vma_resize(&p->vmas, addr, old_len, new_len);
	if (!err) {
		const struct vma *v = vma_find(&p->vmas, addr);
		if (v->flags & VMA_LOCKED)
			mm_populate(p, addr + old_len, addr + new_len, false);
		return (long)addr;
	}
	if (err != -ENOMEM || !(flags & MREMAP_MAYMOVE))
		return err;
	if (mmap_pick(p, new_len, 0, &to))
		return -ENOMEM;
	if ((err = vma_move(&p->vmas, addr, old_len, to, new_len)))
		return err;
	err = mm_move_ptes(addr, to, old_len);
	return err ? err : (long)to;
}

/* brk(0), or a request it cannot meet, returns the current break. The
 * heap may not grow into, or within a page of, the next mapping. */
long sys_brk(struct syscall_frame *f)
{
	struct proc *p = proc_current;
	uint64_t want = f->arg[0], old_end = page_up(p->brk), new_end = page_up(want);

	if (want < p->brk_start || want > UVM_MMAP_TOP)
		return (long)p->brk;
	if (new_end > old_end) {
		unsigned i = vma_index_from(&p->vmas, old_end);
		if (i < p->vmas.n && p->vmas.v[i].start < new_end + X86_PAGE_SIZE)
			return (long)p->brk;
		if (!as_room(p, new_end - old_end) ||
		    vma_insert(&p->vmas, old_end, new_end, VMA_PROT_READ | VMA_PROT_WRITE,
			       VMA_MAY_ALL | VMA_HEAP | p->def_flags, NULL, 0))
			return (long)p->brk;
		if (p->def_flags & VMA_LOCKED)
			mm_populate(p, old_end, new_end, false);
	} else if (new_end < old_end) {
		if (vma_unmap(&p->vmas, new_end, old_end))
			return (long)p->brk;
	}
	p->brk = want;
	return (long)want;
}
