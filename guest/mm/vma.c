/* VMAs in a sorted array (see vma.h for the model and the costs).
 *
 * Every change keeps the array canonical: sorted, disjoint, and with no two
 * neighbours that could be one VMA. Changes that touch a single spot
 * (insert, unmap, resize, move, expand) edit in place and then merge the
 * spot with its two neighbours; changes over a range of VMAs (mprotect,
 * flag changes) rewrite the range once with a read cursor and a trailing
 * write cursor, merging as they go, so a range of k VMAs costs O(k) plus
 * one tail shift instead of k shifts. */
#include "mm/vma.h"
#include "lib/errno.h"
#include "x86.h"

#define PAGE_MASK (X86_PAGE_SIZE - 1)

static bool aligned(uint64_t a)
{
	return !(a & PAGE_MASK);
}

static uint64_t npages(uint64_t a, uint64_t b)
{
	return (b - a) >> X86_PAGE_SHIFT;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void ref_get(struct vma_set *s, void *file)
{
	if (!file)
		return;
	s->file_refs++;
	if (s->ops->file_get)
		s->ops->file_get(s->ops->ctx, file);
}

static void ref_put(struct vma_set *s, void *file)
{
	if (!file)
		return;
	s->file_refs--;
	if (s->ops->file_put)
		s->ops->file_put(s->ops->ctx, file);
}

static void report(struct vma_set *s, const struct vma *piece)
{
	if (s->ops->unmapped)
		s->ops->unmapped(s->ops->ctx, piece);
}

/* pgoff of addr inside v (anonymous VMAs keep 0). */
static uint64_t pgoff_at(const struct vma *v, uint64_t addr)
{
	return v->file ? v->pgoff + npages(v->start, addr) : 0;
}

static bool mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       a->file == b->file && !(a->flags & VMA_SPECIAL) &&
	       (!a->file || a->pgoff + npages(a->start, a->end) == b->pgoff);
}

/* Index of the first VMA with end > addr: the one containing addr, or the
 * next one above it. */
static unsigned lower(const struct vma_set *s, uint64_t addr)
{
	unsigned lo = 0, hi = s->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (s->v[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Element moves by hand: the guest library has no memmove. */
static void move_entries(struct vma *v, unsigned dst, unsigned src, unsigned count)
{
	if (dst < src)
		for (unsigned k = 0; k < count; k++)
			v[dst + k] = v[src + k];
	else if (dst > src)
		for (unsigned k = count; k-- > 0;)
			v[dst + k] = v[src + k];
}

/* Room for `extra` more entries, taken before a change begins so that no
 * change can fail half-way. */
static int reserve(struct vma_set *s, unsigned extra)
{
	if (s->cap - s->n >= extra)
		return 0;
	if (!s->ops->alloc_array || s->n > UINT32_MAX / 2 - extra)
		return -ENOMEM;
	unsigned want = s->cap > 8 ? s->cap * 2 : 16, got = 0;
	if (want < s->n + extra)
		want = s->n + extra;
	struct vma *nv = s->ops->alloc_array(s->ops->ctx, want, &got);
	if (!nv)
		return -ENOMEM;
	if (nv == s->v) {
		/* grown where it is: nothing to copy or give back, and what
		 * it did get stays usable even if it is not enough */
		s->cap = got > s->cap ? got : s->cap;
		return got < s->n + extra ? -ENOMEM : 0;
	}
	if (got < s->n + extra) {
		s->ops->free_array(s->ops->ctx, nv, got);
		return -ENOMEM;
	}
	for (unsigned k = 0; k < s->n; k++)
		nv[k] = s->v[k];
	if (s->v_from_hook)
		s->ops->free_array(s->ops->ctx, s->v, s->cap);
	s->v = nv;
	s->cap = got;
	s->v_from_hook = true;
	return 0;
}

static void insert_at(struct vma_set *s, unsigned i, const struct vma *nv)
{
	move_entries(s->v, i + 1, i, s->n - i);
	s->v[i] = *nv;
	s->n++;
}

static void remove_at(struct vma_set *s, unsigned i, unsigned count)
{
	move_entries(s->v, i, i + count, s->n - i - count);
	s->n -= count;
}

/* Merges v[i] with whichever neighbours have become compatible. */
static void merge_around(struct vma_set *s, unsigned i)
{
	if (i + 1 < s->n && mergeable(&s->v[i], &s->v[i + 1])) {
		s->v[i].end = s->v[i + 1].end;
		ref_put(s, s->v[i + 1].file);
		remove_at(s, i + 1, 1);
	}
	if (i > 0 && mergeable(&s->v[i - 1], &s->v[i])) {
		s->v[i - 1].end = s->v[i].end;
		ref_put(s, s->v[i].file);
		remove_at(s, i, 1);
	}
}

/* True if unmapping [start, end) would cut one VMA in two: the only way an
 * unmap raises the count, hence the only one Linux checks. */
static bool splits_middle(const struct vma_set *s, uint64_t start, uint64_t end)
{
	unsigned i = lower(s, start);

	return i < s->n && s->v[i].start < start && s->v[i].end > end;
}

/* A carved-off piece [a, b) of v, sharing v's file reference. */
static struct vma piece_of(const struct vma *v, uint64_t a, uint64_t b)
{
	struct vma p = *v;

	p.start = a;
	p.end = b;
	p.pgoff = pgoff_at(v, a);
	return p;
}

/* Removes [start, end) from the set. Needs one free slot when it splits a
 * VMA in the middle. With `tell`, each removed piece goes to ops->unmapped;
 * without, it is detached for vma_move, which holds its own reference. */
static void unmap_range(struct vma_set *s, uint64_t start, uint64_t end, bool tell)
{
	unsigned i = lower(s, start);

	if (i == s->n || s->v[i].start >= end)
		return;
	struct vma *v = &s->v[i];
	if (v->start < start && v->end > end) {
		struct vma gone = piece_of(v, start, end);
		struct vma right = piece_of(v, end, v->end);
		v->end = start;
		insert_at(s, i + 1, &right);
		ref_get(s, right.file);
		if (tell)
			report(s, &gone);
		return;
	}
	if (v->start < start) {
		struct vma gone = piece_of(v, start, v->end);
		v->end = start;
		if (tell)
			report(s, &gone);
		i++;
	}
	unsigned j = i;
	for (; j < s->n && s->v[j].end <= end; j++) {
		if (tell)
			report(s, &s->v[j]);
		ref_put(s, s->v[j].file);
	}
	if (j < s->n && s->v[j].start < end) {
		struct vma *w = &s->v[j];
		struct vma gone = piece_of(w, w->start, end);
		w->pgoff = pgoff_at(w, end);
		w->start = end;
		if (tell)
			report(s, &gone);
	}
	remove_at(s, i, j - i);
}

void vma_set_init(struct vma_set *s, const struct vma_ops *ops, struct vma *storage, unsigned cap,
		  uint64_t top)
{
	*s = (struct vma_set){
	    .v = storage,
	    .cap = storage ? cap : 0,
	    .max_map_count = VMA_DEFAULT_MAX_MAP_COUNT,
	    .top = top,
	    .ops = ops,
	};
	if (!ops->alloc_array) {
		unsigned fit = s->cap >= 3 ? s->cap - 3 : 0;
		if (fit < s->max_map_count)
			s->max_map_count = fit;
	}
}

void vma_set_destroy(struct vma_set *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		report(s, &s->v[i]);
		ref_put(s, s->v[i].file);
	}
	s->n = 0;
	if (s->v_from_hook) {
		s->ops->free_array(s->ops->ctx, s->v, s->cap);
		s->v = 0;
		s->cap = 0;
		s->v_from_hook = false;
	}
}

int vma_set_copy(struct vma_set *dst, const struct vma_set *src)
{
	if (dst->n)
		return -EINVAL;
	if (reserve(dst, src->n))
		return -ENOMEM;
	/* fork leaves MADV_DONTFORK ranges out; dropping a VMA never makes
	 * its neighbours adjacent, so the copy stays canonical. */
	for (unsigned i = 0; i < src->n; i++) {
		if (src->v[i].flags & VMA_DONTFORK)
			continue;
		dst->v[dst->n++] = src->v[i];
		ref_get(dst, src->v[i].file);
	}
	return 0;
}

const struct vma *vma_search(const struct vma_set *s, uint64_t addr)
{
	unsigned i = lower(s, addr);

	if (i >= s->n || s->v[i].start > addr)
		return 0;
	/* The hint is a cache, not part of the set's value: the set is
	 * never a const object, only passed as one. */
	((struct vma_set *)s)->hint = i;
	return &s->v[i];
}

unsigned vma_index_from(const struct vma_set *s, uint64_t addr)
{
	return lower(s, addr);
}

/* Where the free space below v ends: Linux keeps guard_gap free under a
 * stack that grows down so that it can grow into it. */
static uint64_t gap_top_below(const struct vma_set *s, const struct vma *v)
{
	if (!(v->flags & VMA_GROWSDOWN))
		return v->start;
	return v->start > s->guard_gap ? v->start - s->guard_gap : 0;
}

static bool range_free(const struct vma_set *s, uint64_t a, uint64_t b)
{
	unsigned i = lower(s, a);

	return i == s->n || gap_top_below(s, &s->v[i]) >= b;
}

int vma_find_free(const struct vma_set *s, uint64_t len, uint64_t hint, uint64_t low, uint64_t high,
		  uint64_t *addr)
{
	if (!len || !aligned(len))
		return -EINVAL;
	if (hint && hint <= UINT64_MAX - PAGE_MASK) {
		uint64_t h = (hint + PAGE_MASK) & ~PAGE_MASK;
		if (h >= low && len <= s->top && h <= s->top - len && range_free(s, h, h + len)) {
			*addr = h;
			return 0;
		}
	}
	high = min_u64(high, s->top) & ~PAGE_MASK;
	low = low > UINT64_MAX - PAGE_MASK ? high : (low + PAGE_MASK) & ~PAGE_MASK;
	if (low >= high || len > high - low)
		return -ENOMEM;
	/* j: the first VMA starting at or above high; walk the gaps under
	 * v[j], v[j-1], ... downward and take the top of the first that fits. */
	unsigned j = lower(s, high);
	if (j < s->n && s->v[j].start < high)
		j++;
	for (;;) {
		uint64_t top = j < s->n ? min_u64(high, gap_top_below(s, &s->v[j])) : high;
		uint64_t bot = j > 0 ? max_u64(low, s->v[j - 1].end) : low;
		if (top > bot && top - bot >= len) {
			*addr = (top - len) & ~PAGE_MASK;
			return 0;
		}
		if (j == 0 || s->v[j - 1].end <= low)
			return -ENOMEM;
		j--;
	}
}

int vma_insert(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot, uint32_t flags,
	       void *file, uint64_t pgoff)
{
	bool replace = flags & VMA_REPLACE;

	flags &= ~VMA_REPLACE;
	if (!aligned(start) || !aligned(end) || start >= end || prot & ~VMA_PROT_MASK ||
	    flags & ~VMA_FLAGS_MASK)
		return -EINVAL;
	if (!file)
		pgoff = 0;
	else if (pgoff + npages(start, end) < pgoff)
		return -EOVERFLOW;
	/* Linux's do_mmap refuses only once the count is already past the
	 * limit, so a mapping may take it to max + 1. */
	if (s->n > s->max_map_count || end > s->top)
		return -ENOMEM;
	unsigned i = lower(s, start);
	bool overlap = i < s->n && s->v[i].start < end;
	if (overlap && !replace)
		return -EEXIST;
	if (overlap && splits_middle(s, start, end) && s->n >= s->max_map_count)
		return -ENOMEM;
	if (reserve(s, 2))
		return -ENOMEM;
	if (overlap) {
		unmap_range(s, start, end, true);
		i = lower(s, start);
	}
	struct vma nv = {
	    .start = start, .end = end, .pgoff = pgoff, .file = file, .prot = prot, .flags = flags};
	insert_at(s, i, &nv);
	ref_get(s, file);
	merge_around(s, i);
	return 0;
}

int vma_unmap(struct vma_set *s, uint64_t start, uint64_t end)
{
	if (!aligned(start) || !aligned(end) || start >= end)
		return -EINVAL;
	if (splits_middle(s, start, end) && (s->n >= s->max_map_count || reserve(s, 1)))
		return -ENOMEM;
	unmap_range(s, start, end, true);
	return 0;
}

/* What a range change does to each VMA. */
struct change {
	bool set_prot;	/* prot replaces the VMA's (mprotect) */
	bool check_may; /* -EACCES where the VMA_MAY_* bits forbid prot */
	uint32_t prot;
	uint32_t set, clear; /* flag bits */
};

/* The output side of a range rewrite. It holds back the last piece so the
 * next one can merge into it; in write mode flushed pieces land at v[w],
 * otherwise they are only counted (to test the count limit first). */
struct sink {
	struct vma_set *s;
	bool write;
	bool have;
	struct vma last;
	unsigned w;
	unsigned count;
};

static void sink_flush(struct sink *k)
{
	if (!k->have)
		return;
	if (k->write)
		k->s->v[k->w++] = k->last;
	k->count++;
	k->have = false;
}

/* p carries its own file reference in write mode; merging drops it. */
static void sink_emit(struct sink *k, const struct vma *p)
{
	if (k->have && mergeable(&k->last, p)) {
		k->last.end = p->end;
		if (k->write)
			ref_put(k->s, p->file);
		return;
	}
	sink_flush(k);
	k->last = *p;
	k->have = true;
}

/* The second and third pieces of a split VMA need references of their own. */
static void emit_piece(struct sink *k, const struct vma *p, bool *first)
{
	if (!*first && k->write)
		ref_get(k->s, p->file);
	*first = false;
	sink_emit(k, p);
}

/* u as pieces: outside [start, stop) unchanged, inside changed by c. */
static void emit_changed(struct sink *k, const struct vma *u, uint64_t start, uint64_t stop,
			 const struct change *c)
{
	uint32_t prot = c->set_prot ? c->prot : u->prot;
	uint32_t flags = (u->flags | c->set) & ~c->clear;
	bool first = true;

	if (prot == u->prot && flags == u->flags) {
		sink_emit(k, u); /* nothing to change: no split (as Linux) */
		return;
	}
	if (u->start < start) {
		struct vma l = piece_of(u, u->start, start);
		emit_piece(k, &l, &first);
	}
	struct vma mid = piece_of(u, max_u64(u->start, start), min_u64(u->end, stop));
	mid.prot = prot;
	mid.flags = flags;
	emit_piece(k, &mid, &first);
	if (u->end > stop) {
		struct vma r = piece_of(u, stop, u->end);
		emit_piece(k, &r, &first);
	}
}

/* Rewrites v[i .. last) (each meeting [start, stop)) together with the
 * neighbours v[i-1] and v[last], which take part only as merge partners.
 * Returns how many entries the neighbourhood becomes. Write mode needs two
 * free slots: the range is first shifted up by two so the write cursor
 * (at most two pieces ahead: the first VMA's left part and the last one's
 * right part) never passes the read cursor. */
static unsigned rewrite(struct vma_set *s, unsigned i, unsigned last, uint64_t start, uint64_t stop,
			const struct change *c, bool write)
{
	unsigned n = s->n, off = write ? 2 : 0;
	struct sink k = {.s = s, .write = write, .w = i};

	if (write)
		move_entries(s->v, i + 2, i, n - i);
	if (i > 0) {
		k.last = s->v[i - 1];
		k.have = true;
		k.w = i - 1;
	}
	for (unsigned r = i; r < last; r++) {
		struct vma u = s->v[r + off];
		emit_changed(&k, &u, start, stop, c);
	}
	unsigned tail = last + off;
	if (last < n) {
		struct vma u = s->v[tail++];
		sink_emit(&k, &u);
	}
	sink_flush(&k);
	if (write) {
		move_entries(s->v, k.w, tail, n + 2 - tail);
		s->n = k.w + (n + 2 - tail);
	}
	return k.count;
}

static int change_range(struct vma_set *s, uint64_t start, uint64_t end, const struct change *c,
			bool skip_holes, uint64_t *applied_end)
{
	unsigned i = lower(s, start), k = i;
	uint64_t stop;
	int err = 0;

	if (skip_holes) {
		/* madvise: every mapped part, then -ENOMEM if there were holes */
		uint64_t covered = 0;
		for (; k < s->n && s->v[k].start < end; k++)
			covered += min_u64(s->v[k].end, end) - max_u64(s->v[k].start, start);
		if (covered != end - start)
			err = -ENOMEM;
		if (k == i)
			return err;
		stop = end;
	} else {
		/* mprotect/mlock: from start upward until a hole or a refusal */
		if (i == s->n || s->v[i].start > start)
			return -ENOMEM;
		uint64_t tmp = s->v[i].start;
		for (; k < s->n && s->v[k].start < end; k++) {
			if (s->v[k].start != tmp) {
				err = -ENOMEM;
				break;
			}
			if (c->check_may &&
			    c->prot & ~(s->v[k].flags >> VMA_MAY_SHIFT) & VMA_PROT_MASK) {
				err = -EACCES;
				break;
			}
			tmp = min_u64(s->v[k].end, end);
		}
		if (!err && tmp < end)
			err = -ENOMEM;
		if (tmp <= start)
			return err;
		stop = tmp;
	}
	/* Linux refuses a split once the count is at the limit; a change that
	 * ends with more VMAs than it started with, above the limit, must
	 * have needed such a split. A change adds at most two: far from the
	 * limit the counting pass is not needed. */
	if (s->n + 2 > s->max_map_count) {
		unsigned consumed = (k - i) + (i > 0) + (k < s->n);
		unsigned after = s->n - consumed + rewrite(s, i, k, start, stop, c, false);
		if (after > s->n && after > s->max_map_count)
			return -ENOMEM;
	}
	if (reserve(s, 2))
		return -ENOMEM;
	rewrite(s, i, k, start, stop, c, true);
	if (applied_end)
		*applied_end = stop;
	return err;
}

int vma_protect(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot,
		uint64_t *applied_end)
{
	struct change c = {.set_prot = true, .check_may = true, .prot = prot};

	if (applied_end)
		*applied_end = start;
	if (!aligned(start) || !aligned(end) || end < start || prot & ~VMA_PROT_MASK)
		return -EINVAL;
	if (start == end)
		return 0;
	return change_range(s, start, end, &c, false, applied_end);
}

int vma_set_flags(struct vma_set *s, uint64_t start, uint64_t end, uint32_t set, uint32_t clear,
		  bool skip_holes, uint64_t *applied_end)
{
	const uint32_t fixed = VMA_SHARED | VMA_SPECIAL | VMA_MAY_ALL;
	struct change c = {.set = set, .clear = clear};

	if (applied_end)
		*applied_end = start;
	if (!aligned(start) || !aligned(end) || end < start || (set | clear) & ~VMA_FLAGS_MASK ||
	    (set | clear) & fixed)
		return -EINVAL;
	if (start == end)
		return 0;
	return change_range(s, start, end, &c, skip_holes, applied_end);
}

int vma_resize(struct vma_set *s, uint64_t addr, uint64_t old_len, uint64_t new_len)
{
	if (!aligned(addr) || !aligned(old_len) || !aligned(new_len) || !new_len ||
	    old_len > UINT64_MAX - addr)
		return -EINVAL;
	const struct vma *v = vma_find(s, addr);
	if (!v)
		return -EFAULT;
	if (new_len == old_len)
		return 0;
	if (new_len < old_len)
		return vma_unmap(s, addr + new_len, addr + old_len);
	unsigned i = (unsigned)(v - s->v);
	if (old_len > v->end - addr || v->flags & VMA_SPECIAL)
		return -EFAULT;
	if (v->file && pgoff_at(v, addr) + (new_len >> X86_PAGE_SHIFT) < pgoff_at(v, addr))
		return -EINVAL;
	if (addr + old_len != v->end || new_len > s->top - addr)
		return -ENOMEM;
	uint64_t new_end = addr + new_len;
	if (i + 1 < s->n && s->v[i + 1].start < new_end)
		return -ENOMEM;
	s->v[i].end = new_end;
	merge_around(s, i);
	return 0;
}

int vma_move(struct vma_set *s, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len)
{
	if (!aligned(from) || !aligned(to) || !aligned(old_len) || !aligned(new_len) || !old_len ||
	    !new_len || old_len > UINT64_MAX - from)
		return -EINVAL;
	if (new_len > s->top || to > s->top - new_len)
		return -EINVAL;
	if (from + old_len > to && to + new_len > from)
		return -EINVAL;
	uint64_t mlen = min_u64(old_len, new_len);
	const struct vma *v = vma_find(s, from);
	if (!v || mlen > v->end - from || v->flags & VMA_SPECIAL)
		return -EFAULT;
	if (v->file && pgoff_at(v, from) + (new_len >> X86_PAGE_SHIFT) < pgoff_at(v, from))
		return -EINVAL;
	/* Linux's move_vma keeps three VMAs of headroom below the limit. */
	if (s->max_map_count < 3 || s->n >= s->max_map_count - 3)
		return -ENOMEM;
	struct vma moved = piece_of(v, from, from + mlen);
	/* destination unmap, source detach and the insert: one split each
	 * (reserve may move the array: v is not used past here) */
	if (reserve(s, 3))
		return -ENOMEM;
	ref_get(s, moved.file); /* held by `moved` while it is out of the set */
	unmap_range(s, to, to + new_len, true);
	if (old_len > new_len)
		unmap_range(s, from + new_len, from + old_len, true);
	unmap_range(s, from, from + mlen, false);
	moved.start = to;
	moved.end = to + new_len;
	unsigned i = lower(s, to);
	insert_at(s, i, &moved);
	merge_around(s, i);
	return 0;
}

int vma_expand_down(struct vma_set *s, uint64_t addr)
{
	unsigned i = lower(s, addr);

	if (i == s->n || s->v[i].start <= addr || !(s->v[i].flags & VMA_GROWSDOWN))
		return -EFAULT;
	struct vma *v = &s->v[i];
	uint64_t new_start = addr & ~PAGE_MASK;
	if (i > 0) {
		/* lower() put every VMA below at or under addr's page */
		const struct vma *p = &s->v[i - 1];
		if (!(p->flags & VMA_GROWSDOWN) && p->prot && new_start - p->end < s->guard_gap)
			return -ENOMEM;
	}
	if (v->file) {
		uint64_t grow = npages(new_start, v->start);
		if (grow > v->pgoff)
			return -ENOMEM;
		v->pgoff -= grow;
	}
	v->start = new_start;
	merge_around(s, i);
	return 0;
}

const char *vma_validate(const struct vma_set *s)
{
	uint64_t refs = 0;

	if (s->n > s->cap)
		return "more VMAs than the array holds";
	if (s->n > s->max_map_count + 1ull)
		return "more VMAs than max_map_count + 1";
	for (unsigned i = 0; i < s->n; i++) {
		const struct vma *v = &s->v[i];
		if (v->start >= v->end)
			return "empty VMA";
		if (!aligned(v->start) || !aligned(v->end))
			return "VMA not page aligned";
		if (v->end > s->top)
			return "VMA above top";
		if (v->prot & ~VMA_PROT_MASK)
			return "unknown prot bits";
		if (v->flags & ~VMA_FLAGS_MASK)
			return "unknown flag bits";
		if (!v->file && v->pgoff)
			return "anonymous VMA with a file offset";
		if (v->file) {
			refs++;
			if (v->pgoff + npages(v->start, v->end) < v->pgoff)
				return "file offset wraps";
		}
		if (i > 0) {
			const struct vma *p = &s->v[i - 1];
			if (p->start >= v->start)
				return "VMAs not sorted";
			if (p->end > v->start)
				return "VMAs overlap";
			if (mergeable(p, v))
				return "mergeable neighbours not merged";
		}
	}
	if (refs != s->file_refs)
		return "file references held differ from VMAs with a file";
	return 0;
}
