/* A process's address space: its VMA set (mm/vma.h) and the page tables
 * that follow it. Pages under a VMA are of two kinds, told apart by a
 * software bit in the PTE:
 *
 *   kind         | PTE                          | owner
 *   -------------+------------------------------+---------------------------
 *   anonymous    | own page, W as the VMA says  | the PTE (freed with it)
 *   page cache   | MM_PTE_OBJ, the cached       | the page cache; the PTE
 *                | file page itself             | holds a pin (pcache_pin)
 *   shared anon  | MM_PTE_OBJ, the object's     | the object (mm/shm.h)
 *                | page, W as the VMA says      |
 *
 * A page-cache page is writable only in a MAP_SHARED VMA and only after a
 * write fault marked it dirty; in a MAP_PRIVATE VMA it is read-only and a
 * write copies it to an anonymous page (copy on write). Under PROT_NONE a
 * page keeps its entry with P clear and MM_PTE_PROTNONE set, as Linux's
 * _PAGE_PROTNONE does, so its contents survive until access is granted
 * again. */
#ifndef GUEST_KERNEL_MM_H
#define GUEST_KERNEL_MM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/file.h"
#include "mm/vma.h"
#include "x86.h"

#define MM_PTE_OBJ      X86_PTE_AVL9
#define MM_PTE_PROTNONE X86_PTE_AVL10

struct proc;

/* An empty address space bound to p (ops: file references, unmapping). */
void mm_init(struct proc *p);
/* Everything unmapped: dirty shared pages written back, pages freed. The
 * entries themselves stay: the space is never entered again and its
 * tables are freed next (uvm_destroy, after a CR3 load that flushes the
 * TLB), so clearing each, a trapped store and an invlpg a page on
 * kvm-pvm, would buy nothing. */
void mm_destroy(struct proc *p);
/* A is set on every user entry and D with W: the kernel reads neither (it
 * tracks dirt by W faults), and a shadow MMU prefetches a neighbouring
 * entry only when its A is set, and maps a writable entry read-only until
 * its D is (docs/platform.md). Linux's x86 protections carry A too. */
#define MM_PTE_WRITE (X86_PTE_W | X86_PTE_D)

/* PROT_* -> the PTE's W, D and NX (P, U, A and the software bits are
 * added by the caller). x86 has no write-only or execute-only pages: W
 * and X imply R. Inline, as the next one: every fault computes them. */
static inline uint64_t mm_prot_pte(uint32_t prot)
{
	if (!(prot & VMA_PROT_MASK))
		return 0;   /* PROT_NONE: never present */
	/* W and D from the write bit by a multiply, not a branch: each
	 * instruction here is one more emulated in every fault */
	_Static_assert(MM_PTE_WRITE == VMA_PROT_WRITE * 0x21, "W|D is the write bit times 0x21");
	return (prot & VMA_PROT_WRITE) * 0x21 | (prot & VMA_PROT_EXEC ? 0 : X86_PTE_NX);
}

/* The PTE bits (P, U, A, W, D, NX, software) for a page of kind pcache
 * mapped under v; write: the page may be written now (dirty, or
 * anonymous). */
static inline uint64_t mm_pte_bits(const struct vma *v, bool pcache, bool write)
{
	uint64_t soft = pcache ? MM_PTE_OBJ : 0;

	if (!(v->prot & VMA_PROT_MASK))
		return soft | MM_PTE_PROTNONE;
	uint64_t bits = X86_PTE_P | X86_PTE_U | X86_PTE_A | soft | mm_prot_pte(v->prot);
	if (!write)
		bits &= ~MM_PTE_WRITE;
	return bits;
}
/* The page-cache page under a PTE, by its kernel address. */
uint8_t *mm_pte_page(uint64_t pte);
/* Drop the pages of [start, end) in v (munmap, MADV_DONTNEED): entries
 * cleared, anonymous pages freed, cache pages unpinned and written back
 * when they were the last mapping of dirty data. */
void mm_zap(const struct vma *v, uint64_t start, uint64_t end);
/* New protection for the entries of [start, end), all under v. */
void mm_reprotect(const struct vma *v, uint64_t start, uint64_t end);
/* Move the entries of [from, from + len) to [to, to + len) (mremap). */
int mm_move_ptes(uint64_t from, uint64_t to, uint64_t len);
/* Fault in every page of [start, end) that is not there yet, as a write
 * where the VMA is private and writable (Linux's populate). Stops at the
 * first page that cannot be had: 0 or -ENOMEM/-EFAULT. PROT_NONE VMAs
 * are skipped, or with strict (mlock) are -ENOMEM, as in Linux. */
int mm_populate(struct proc *p, uint64_t start, uint64_t end, bool strict);
/* Write back the dirty shared file pages mapped in [start, end) of v. */
int mm_writeback(const struct vma *v, uint64_t start, uint64_t end);
/* fork: child (mm_init'ed, its PML4 in child->cr3) gets a copy of the
 * parent's VMAs and entries; parent must be current. 0 or -ENOMEM (the
 * child is then half-filled: destroy it). */
int mm_fork(struct proc *parent, struct proc *child);
/* The page cache's reclaim hook (pcache_set_reclaim): unmap the cache page
 * (ino, idx) from every process and write it if dirty. */
bool mm_reclaim_cache_page(uint32_t ino, uint64_t idx, uint8_t *page);
/* Its hook for large units (pcache_set_reclaim_unit): drop every large
 * entry mapping the unit at base (pages [first, first + 512) of ino);
 * false when a locked VMA covers page first. */
bool mm_reclaim_cache_unit(uint32_t ino, uint64_t first, uint8_t *base);
/* Pages mapped by VMAs, for RLIMIT_AS. */
uint64_t mm_total_pages(const struct proc *p);
/* What a VMA maps: the vnode of a file (NULL for anything else), or the
 * shared anonymous object (NULL for anything else). Inline: the fault
 * path and the reverse map ask for every VMA they look at. */
static inline struct vnode *mm_vma_vnode(const struct vma *v)
{
	const struct file *f = v->file;

	return f ? f->vn : NULL;
}

static inline struct shm *mm_vma_shm(const struct vma *v)
{
	const struct file *f = v->file;

	return f && f->kind == FILE_SHM ? f->shm : NULL;
}
/* ino's size went down to size: every mapping of its pages wholly past
 * the new end is dropped, in every process (private copies too, as
 * Linux's truncate does), so the next access there is SIGBUS. */
void mm_file_truncated(uint32_t ino, uint64_t size);
/* MADV_REMOVE on shared anonymous memory: pages [first, last) of s leave
 * every mapping, in every process, and the object (mm/shm.h shm_punch),
 * so they read as zeros next time. */
void mm_shm_punch(struct shm *s, uint64_t first, uint64_t last);

#endif
