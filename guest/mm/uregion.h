/* The regions of a user address space: half-open, page-aligned [start, end)
 * ranges with a protection, kept sorted in a small array. Pure logic (no
 * hooks), so a host unit test can link it. This is the placeholder for the
 * VMA tree of the mmap work: enough for brk, the stack and anonymous mmap. */
#ifndef GUEST_MM_UREGION_H
#define GUEST_MM_UREGION_H

#include <stdint.h>

#define UREGION_MAX 128

/* Linux PROT_* values: indexes of the prot -> PTE table */
#define UPROT_READ  1u
#define UPROT_WRITE 2u
#define UPROT_EXEC  4u
#define UPROT_MASK  7u

enum uregion_kind {
	UREGION_ELF,     /* populated at exec: a fault there is a protection fault */
	UREGION_BRK,     /* zero-filled on first touch */
	UREGION_STACK,   /* zero-filled on first touch */
	UREGION_ANON,    /* anonymous mmap, zero-filled on first touch */
};

struct uregion {
	uint64_t start, end;
	uint32_t prot;
	uint32_t kind;
};

struct uregion_set {
	unsigned n;
	struct uregion r[UREGION_MAX];
};

/* The region holding va, or 0. */
const struct uregion *uregion_find(const struct uregion_set *s, uint64_t va);
/* True if any region overlaps [start, end). */
int uregion_overlaps(const struct uregion_set *s, uint64_t start, uint64_t end);
/* Adds [start, end) (must not overlap); merges with equal neighbours.
 * 0, -EINVAL (unaligned, empty, overlapping) or -ENOMEM (array full). */
int uregion_add(struct uregion_set *s, uint64_t start, uint64_t end, uint32_t prot,
		uint32_t kind);
/* Removes [start, end) from every region, splitting where needed.
 * 0 or -ENOMEM (a split needed a free slot). */
int uregion_remove(struct uregion_set *s, uint64_t start, uint64_t end);
/* Moves the end of the region that ends at old_end (BRK growth/shrink). */
int uregion_set_end(struct uregion_set *s, uint64_t old_end, uint64_t new_end);

#endif
