/* Virtual memory areas of one user address space: the bookkeeping behind
 * mmap, munmap, mprotect, mremap, brk, mlock and madvise. Pure logic: no
 * page tables, no allocator, no globals. All state is a struct vma_set the
 * caller owns; the layer reaches the outside only through struct vma_ops
 * (file references, "this range went away", storage), so a host unit test
 * links it as is.
 *
 * Model (Linux's):
 *   - a VMA is a half-open, page-aligned, non-empty [start, end) with a
 *     protection, flags, and an optional file plus the file offset of
 *     `start` in pages;
 *   - VMAs never overlap; after every change, adjacent compatible VMAs are
 *     merged (same prot, flags and file; file offsets contiguous; anonymous
 *     ones need only the same prot and flags), so the set is canonical and
 *     /proc/self/maps can print it as Linux would;
 *   - every change fails before touching anything when it cannot be done,
 *     except where Linux itself applies a prefix (mprotect/mlock stopping at
 *     a hole or at a VMA that forbids the protection), which is reproduced.
 *
 * Storage: a sorted array of struct vma (binary search, entries shifted on
 * insert/remove). Lookups are O(log n); a change is O(log n) to locate plus
 * one O(n) shift of the tail (a few hundred bytes moved per hundred VMAs);
 * vma_find_free walks gaps downward, O(n) worst case. The array is the
 * caller's: fixed storage given to vma_set_init, and optionally a pair of
 * hooks that hand out a bigger array when it fills (the set copies the
 * entries over and returns the old one if it came from the hook), or grow
 * the hook's own array in place.
 */
#ifndef GUEST_MM_VMA_H
#define GUEST_MM_VMA_H

#include <stdbool.h>
#include <stdint.h>

/* Linux PROT_* values (mman-common.h). */
#define VMA_PROT_READ  0x1u
#define VMA_PROT_WRITE 0x2u
#define VMA_PROT_EXEC  0x4u
#define VMA_PROT_MASK  0x7u

/* Stored flags. Equal flags are a merge condition, so every bit here splits
 * VMAs when set on part of one (as mlock and madvise do in Linux). */
#define VMA_SHARED     (1u << 0)  /* MAP_SHARED; clear: private, copy on write */
#define VMA_SEQ_READ   (1u << 1)  /* madvise(MADV_SEQUENTIAL): read ahead always */
#define VMA_RAND_READ  (1u << 2)  /* madvise(MADV_RANDOM): no readahead, no
				     fault-around */
/* Protections mprotect may grant, prot << VMA_MAY_SHIFT (Linux's VM_MAY*):
 * a MAP_SHARED mapping of a read-only file lacks VMA_MAY_WRITE, and
 * mprotect(PROT_WRITE) on it is -EACCES. */
#define VMA_MAY_SHIFT  4
#define VMA_MAY_READ   (VMA_PROT_READ << VMA_MAY_SHIFT)
#define VMA_MAY_WRITE  (VMA_PROT_WRITE << VMA_MAY_SHIFT)
#define VMA_MAY_EXEC   (VMA_PROT_EXEC << VMA_MAY_SHIFT)
#define VMA_MAY_ALL    (VMA_PROT_MASK << VMA_MAY_SHIFT)
#define VMA_GROWSDOWN  (1u << 8)  /* MAP_GROWSDOWN: vma_expand_down applies */
#define VMA_LOCKED     (1u << 9)  /* mlock, MAP_LOCKED */
#define VMA_LOCKONFAULT (1u << 10) /* mlock2(MLOCK_ONFAULT) */
#define VMA_STACK      (1u << 11) /* the main stack ([stack]) or MAP_STACK */
#define VMA_HEAP       (1u << 12) /* brk ([heap]) */
#define VMA_NORESERVE  (1u << 13) /* MAP_NORESERVE */
#define VMA_DONTFORK   (1u << 14) /* madvise(MADV_DONTFORK) */
#define VMA_SPECIAL    (1u << 15) /* kernel-installed (vdso-like): never merged,
				     resized or moved (mremap -EFAULT) */
#define VMA_FLAGS_MASK ((1u << 16) - 1)

/* vma_insert only, never stored: MAP_FIXED's "unmap whatever overlaps
 * first". Without it an overlap is -EEXIST (MAP_FIXED_NOREPLACE). */
#define VMA_REPLACE    (1u << 31)

/* vm.max_map_count's default (USHRT_MAX - 5), which Linux checks against. */
#define VMA_DEFAULT_MAX_MAP_COUNT 65530u

struct vma {
	uint64_t start, end; /* [start, end), page aligned, start < end */
	uint64_t pgoff;      /* file offset of start, in pages; 0 if anonymous */
	void *file;          /* NULL: anonymous. Opaque to the layer; this VMA
				holds one reference (vma_ops.file_get/_put). */
	uint32_t prot;       /* VMA_PROT_* */
	uint32_t flags;      /* VMA_* stored flags */
};

struct vma_ops {
	/* Reference counting of vma.file: the set takes one reference per VMA
	 * that points at a file (vma_insert takes its own; the caller keeps
	 * its), and drops it when that VMA goes away or merges into another. */
	void (*file_get)(void *ctx, void *file);
	void (*file_put)(void *ctx, void *file);
	/* Called for every range that stops being mapped, in ascending order,
	 * before the piece's file reference is dropped, so the caller can
	 * write back, free pages and flush TLBs. `piece` is a temporary: the
	 * removed part with its own pgoff. May be NULL. */
	void (*unmapped)(void *ctx, const struct vma *piece);
	/* Optional storage growth: an array of at least `count` entries or
	 * NULL (then the operation is -ENOMEM and nothing changed). Arrays it
	 * returns come back through free_array when replaced or destroyed.
	 * It may return the set's current array grown in place (only one that
	 * came from it): then nothing is copied or freed, and *got, even if
	 * short of `count`, becomes the set's capacity. */
	struct vma *(*alloc_array)(void *ctx, unsigned count, unsigned *got);
	void (*free_array)(void *ctx, struct vma *array, unsigned count);
	void *ctx;
};

struct vma_set {
	struct vma *v;            /* v[0 .. n): sorted by start; callers may read */
	unsigned n;               /* number of VMAs (Linux's mm->map_count) */
	unsigned cap;             /* entries v can hold */
	bool v_from_hook;         /* v came from ops->alloc_array */
	unsigned max_map_count;   /* vm.max_map_count: see the -ENOMEM rules below */
	uint64_t top;             /* no VMA ends above this (TASK_SIZE) */
	uint64_t guard_gap;       /* bytes vma_find_free leaves below GROWSDOWN
				     VMAs (Linux's stack_guard_gap); page aligned */
	uint64_t file_refs;       /* references on files the set holds now: one
				     per VMA with a file (checked by vma_validate) */
	const struct vma_ops *ops;
	unsigned hint;            /* where vma_find last found one: faults come
				     in runs in one VMA (a stale index is only
				     a miss: it is checked before use) */
};

/* An empty set over `storage` (cap entries, may be NULL/0 when ops has
 * alloc_array). Without alloc_array, max_map_count is lowered to cap - 3:
 * the slack every change may need before it merges back. */
void vma_set_init(struct vma_set *s, const struct vma_ops *ops, struct vma *storage,
		  unsigned cap, uint64_t top);
/* Unmaps everything (reported through ops->unmapped) and returns storage
 * that came from the hook. The set is empty and reusable afterwards. */
void vma_set_destroy(struct vma_set *s);
/* fork: dst (initialised, empty) becomes a copy of src, taking a file
 * reference per VMA and leaving VMA_DONTFORK ones out. 0, -EINVAL (dst not
 * empty) or -ENOMEM (no storage; dst left empty). */
int vma_set_copy(struct vma_set *dst, const struct vma_set *src);

/* The VMA containing addr, or NULL. Valid until the next change. The
 * last one found is tried inline first: faults come in runs. */
const struct vma *vma_search(const struct vma_set *s, uint64_t addr);
static inline const struct vma *vma_find(const struct vma_set *s, uint64_t addr)
{
	unsigned i = s->hint;

	if (i < s->n && s->v[i].start <= addr && addr < s->v[i].end)
		return &s->v[i];
	return vma_search(s, addr);
}
/* Index of the first VMA with end > addr (n if none): iteration from addr. */
unsigned vma_index_from(const struct vma_set *s, uint64_t addr);

/* An unmapped [*addr, *addr + len) for mmap without MAP_FIXED. The hint,
 * rounded up to a page, is taken when it is nonzero, >= low, fits below
 * s->top and is free (as Linux checks a hint against TASK_SIZE, not against
 * the mmap base); otherwise the highest free range inside [low, high)
 * (top-down from the mmap base). Free means clear of VMAs and of the
 * guard_gap below GROWSDOWN ones. 0; -EINVAL (len 0 or unaligned);
 * -ENOMEM (no room). */
int vma_find_free(const struct vma_set *s, uint64_t len, uint64_t hint, uint64_t low,
		  uint64_t high, uint64_t *addr);

/* Maps [start, end) with prot, flags (stored bits plus VMA_REPLACE), file
 * and pgoff (ignored and stored as 0 when file is NULL). With VMA_REPLACE
 * the overlapped ranges are unmapped first (reported); without it any
 * overlap is -EEXIST. -EINVAL: unaligned, empty, unknown prot or flag bits;
 * -ENOMEM: end above s->top, more than max_map_count VMAs already (Linux's
 * do_mmap test is `map_count > max`, so the count may reach max + 1), a
 * replacing unmap that would split a VMA at max_map_count, or no storage;
 * -EOVERFLOW: pgoff + pages wraps. */
int vma_insert(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot, uint32_t flags,
	       void *file, uint64_t pgoff);

/* munmap: removes [start, end) from every VMA it touches, splitting at any
 * page boundary; holes and nothing-mapped are fine. 0; -EINVAL (unaligned
 * or empty); -ENOMEM when it would split one VMA in two while the set
 * holds max_map_count VMAs (Linux's rule), or no storage. */
int vma_unmap(struct vma_set *s, uint64_t start, uint64_t end);

/* mprotect: sets prot on [start, end) (start == end: 0). Like Linux it walks
 * the VMAs upward and stops at the first hole (-ENOMEM) or the first VMA
 * whose VMA_MAY_* bits forbid prot (-EACCES), leaving the part before it
 * changed; a hole at start changes nothing. *applied_end (may be NULL) is
 * the end of what changed ([start, *applied_end)). -EINVAL: unaligned or
 * unknown prot bits. -ENOMEM without any change: the result would hold
 * more VMAs than before and more than max_map_count, or no storage. */
int vma_protect(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot,
		uint64_t *applied_end);

/* Sets then clears stored flag bits on [start, end): mlock/munlock
 * (VMA_LOCKED) stop at the first hole like mprotect (skip_holes false);
 * madvise (VMA_DONTFORK...) changes every mapped part and then reports
 * -ENOMEM for the holes (skip_holes true). VMA_SHARED and VMA_SPECIAL are
 * not changeable (-EINVAL). Same -ENOMEM rule and applied_end as
 * vma_protect (with skip_holes, applied_end is end or start). */
int vma_set_flags(struct vma_set *s, uint64_t start, uint64_t end, uint32_t set, uint32_t clear,
		  bool skip_holes, uint64_t *applied_end);

/* mremap in place. old_len == new_len: 0. Shrinking unmaps
 * [addr + new_len, addr + old_len) as vma_unmap does. Growing needs
 * [addr, addr + old_len) inside one VMA (-EFAULT otherwise, or if the VMA
 * is VMA_SPECIAL) ending exactly at that VMA's end, and the new tail free
 * and below s->top (-ENOMEM otherwise: the caller may then move). -EFAULT
 * if addr is not mapped; -EINVAL: unaligned or new_len 0, or the file
 * offset would wrap. */
int vma_resize(struct vma_set *s, uint64_t addr, uint64_t old_len, uint64_t new_len);

/* mremap with a move: [from, from + old_len) (inside one VMA, else -EFAULT)
 * goes to [to, to + new_len), keeping prot, flags, file and pgoff; a
 * longer new_len extends it, a shorter one unmaps the old tail first.
 * Whatever was at the destination is unmapped (reported); the moved range
 * is not reported: its pages go along, and after 0 the caller moves the
 * page-table entries of [from, from + min(old_len, new_len)). -EINVAL:
 * unaligned, zero lengths, overlapping ranges, offset wrap; -ENOMEM: new
 * range above s->top, map_count >= max_map_count - 3 (Linux's move_vma
 * test), no storage. Checks come first: a failure changes nothing. */
int vma_move(struct vma_set *s, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len);

/* A fault at addr below a VMA_GROWSDOWN VMA: extends that VMA down to
 * addr's page (file offset moved along). -EFAULT: the VMA above addr is not
 * GROWSDOWN (or none, or addr is mapped); -ENOMEM: it would come within
 * guard_gap of an accessible, non-GROWSDOWN VMA below, or touch one, or the
 * file offset would go below 0. */
int vma_expand_down(struct vma_set *s, uint64_t addr);

/* NULL if every invariant holds, else what is broken: sorted,
 * non-overlapping, page aligned, non-empty, below top, known prot and flag
 * bits, anonymous pgoff 0, no two mergeable neighbours, file_refs equal to
 * the VMAs with a file, n <= cap and n <= max_map_count + 1. */
const char *vma_validate(const struct vma_set *s);

#endif
