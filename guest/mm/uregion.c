/* Sorted array of user regions; linear scans: a process here has a
 * handful of regions, and neighbours merge. */
#include "mm/uregion.h"
#include "lib/errno.h"
#include "x86.h"

#define PAGE_MASK (X86_PAGE_SIZE - 1)

const struct uregion *uregion_find(const struct uregion_set *s, uint64_t va)
{
	for (unsigned i = 0; i < s->n; i++)
		if (va >= s->r[i].start && va < s->r[i].end)
			return &s->r[i];
	return 0;
}

int uregion_overlaps(const struct uregion_set *s, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < s->n; i++)
		if (start < s->r[i].end && s->r[i].start < end)
			return 1;
	return 0;
}

static int uregion_same(const struct uregion *a, uint32_t prot, uint32_t kind)
{
	return a->prot == prot && a->kind == kind;
}

static void uregion_delete(struct uregion_set *s, unsigned i)
{
	for (; i + 1 < s->n; i++)
		s->r[i] = s->r[i + 1];
	s->n--;
}

int uregion_add(struct uregion_set *s, uint64_t start, uint64_t end, uint32_t prot, uint32_t kind)
{
	unsigned i;

	if (start >= end || (start | end) & PAGE_MASK || uregion_overlaps(s, start, end))
		return -EINVAL;
	for (i = 0; i < s->n && s->r[i].start < start; i++)
		;
	/* i: first region above; i - 1: the one below */
	int below = i > 0 && s->r[i - 1].end == start && uregion_same(&s->r[i - 1], prot, kind);
	int above = i < s->n && s->r[i].start == end && uregion_same(&s->r[i], prot, kind);
	if (below && above) {
		s->r[i - 1].end = s->r[i].end;
		uregion_delete(s, i);
		return 0;
	}
	if (below) {
		s->r[i - 1].end = end;
		return 0;
	}
	if (above) {
		s->r[i].start = start;
		return 0;
	}
	if (s->n == UREGION_MAX)
		return -ENOMEM;
	for (unsigned j = s->n; j > i; j--)
		s->r[j] = s->r[j - 1];
	s->r[i] = (struct uregion){ start, end, prot, kind };
	s->n++;
	return 0;
}

int uregion_remove(struct uregion_set *s, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct uregion *r = &s->r[i];
		if (end <= r->start || r->end <= start)
			continue;
		if (start > r->start && end < r->end) {   /* middle: split in two */
			if (s->n == UREGION_MAX)
				return -ENOMEM;
			for (unsigned j = s->n; j > i + 1; j--)
				s->r[j] = s->r[j - 1];
			s->n++;
			s->r[i + 1] = *r;
			s->r[i + 1].start = end;
			r->end = start;
			return 0;
		}
		if (start <= r->start && end >= r->end) {  /* whole region */
			uregion_delete(s, i);
			i--;
		} else if (start <= r->start) {
			r->start = end;
		} else {
			r->end = start;
		}
	}
	return 0;
}

int uregion_set_end(struct uregion_set *s, uint64_t old_end, uint64_t new_end)
{
	for (unsigned i = 0; i < s->n; i++) {
		struct uregion *r = &s->r[i];
		if (r->end != old_end)
			continue;
		if (new_end <= r->start)
			return -EINVAL;
		if (i + 1 < s->n && new_end > s->r[i + 1].start)
			return -ENOMEM;
		r->end = new_end;
		return 0;
	}
	return -ENOENT;
}
