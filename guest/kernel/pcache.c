/* A fixed table of entries with hash chains by (ino, idx) and a clock for
 * eviction. The clock turns over a ring of the entries that may be reused
 * (not mapped, not dirty, not being filled), not over the table: when most
 * of the cache is mapped, as in a walk over a big file mapping, finding a
 * victim still costs a few steps, not a pass over 2048 entries (which was
 * ~57,000 instructions a page, all emulated on kvm-pvm). Nothing here
 * loops over page bytes: fills are device transfers straight into the
 * pages, zeroing uses the string instruction of arch_uaccess_zero, one
 * emulated instruction rather than one per byte.
 *
 * A miss reads a run of pages (ext2_pages_map/read): one page, or, when
 * the miss is a little ahead of the last page asked for in the same file
 * (a sequential reader: read() asks for the next page, a walk over a
 * mapping for the next one fault-around did not map), up to PCACHE_RA
 * pages that continue the first one's disk blocks and are not cached yet,
 * all with one device request. The caller may also ask for readahead or
 * forbid it (madvise SEQUENTIAL and RANDOM). */
#include "kernel/pcache_int.h"

#include "arch/x86/syscall_arch.h"
#include "fs/fs_hooks.h"
#include "lib/errno.h"

#define PCACHE_BUCKETS 2048u  /* power of two; chains of about one entry */
/* Readahead window: 128 KiB, one request of 32 pages. */
#define PCACHE_RA      32u

struct pcache_ent pc_ent[PCACHE_MAX];
static uint16_t bucket[PCACHE_BUCKETS];
static uint16_t pbucket[PCACHE_BUCKETS];   /* by page address */
static uint32_t nused;        /* entries ever handed out: [0, nused) */
static uint16_t ring = NIL;   /* the clock hand: the next reusable entry */
static uint32_t reclaim_hand; /* over the whole table, for reclaim */
uint64_t pc_reclaim_gen;
bool pc_ready;
struct pcache_stats pc_stats;
static uint32_t ndirty;       /* entries with dirty set */
static pcache_reclaim_fn reclaim;
uint32_t pc_seq_ino;
uint64_t pc_seq_next;
uint16_t pc_ino_own[256];

static uint32_t pcache_hash(uint32_t ino, uint64_t idx)
{
	return (uint32_t)((ino * 0x9e3779b1u) ^ idx) & (PCACHE_BUCKETS - 1);
}

static uint32_t pcache_phash(const uint8_t *page)
{
	return (uint32_t)((uint64_t)page >> PCACHE_SHIFT) & (PCACHE_BUCKETS - 1);
}

void pcache_init(void)
{
	for (uint32_t i = 0; i < PCACHE_BUCKETS; i++)
		bucket[i] = pbucket[i] = NIL;
	pcache_units_init();
	pc_ready = true;
}

static uint8_t *ent_page(const struct pcache_ent *e)
{
	if (ent_own(e))
		return e->page;
	const struct pcache_unit *u = unit_of(e);
	return u->base + ((uint64_t)(e - u->ent) << PCACHE_SHIFT);
}

/* The file and page an entry holds (ino 0: none). */
static uint32_t ent_ino(const struct pcache_ent *e)
{
	if (ent_own(e))
		return e->ino;
	const struct pcache_unit *u = unit_of(e);
	return unit_gone(u, (unsigned)(e - u->ent)) ? 0 : u->ino;
}

static uint64_t ent_idx(const struct pcache_ent *e)
{
	return ent_own(e) ? e->idx : unit_of(e)->first + (uint64_t)(e - unit_of(e)->ent);
}

/* After e->maps or e->dirty changed from what made ent_held() was: a
 * unit counts its held entries, so finding a reusable unit is no scan. */
static void ent_held_changed(struct pcache_ent *e, bool was)
{
	if (!ent_own(e) && was != ent_held(e)) {
		struct pcache_unit *u = unit_of(e);
		bool busy = unit_busy(u);
		u->held += was ? (uint32_t)-1 : 1;
		unit_busy_changed(u, busy);
	}
}

/* A pin more or less: a fault's hit path pays for this, so a page of its
 * own (the common case) costs one test more than the bare count. */
static inline __attribute__((always_inline)) void ent_maps_add(struct pcache_ent *e, int d)
{
	if (__builtin_expect(ent_own(e), 1)) {
		e->maps += (uint32_t)d;
		return;
	}
	bool was = ent_held(e);
	e->maps += (uint32_t)d;
	ent_held_changed(e, was);
}

/* Inline: every unmapped cache page pays for it (emulated on kvm-pvm).
 * Pages of their own first, as in pcache_lookup. */
static inline __attribute__((always_inline)) struct pcache_ent *
pcache_by_page(const uint8_t *page)
{
	if (!pc_ready)
		return NULL;
	for (uint16_t i = pbucket[pcache_phash(page)]; i != NIL; i = pc_ent[i].pnext)
		if (pc_ent[i].page == page)
			return &pc_ent[i];
	if (pc_units_used) {
		const uint8_t *base = (const uint8_t *)((uint64_t)page & ~(PCACHE_UNIT_BYTES - 1));
		struct pcache_unit *u = unit_by_base(base);
		if (u)
			return &u->ent[(page - base) >> PCACHE_SHIFT];
	}
	return NULL;
}

/* The entry for page idx of ino in its unit, if a unit holds it. */
static inline __attribute__((always_inline)) struct pcache_ent *
unit_ent_lookup(uint32_t ino, uint64_t idx)
{
	if (!pc_units_used)
		return NULL;
	struct pcache_unit *u = unit_lookup(ino, idx & ~(uint64_t)PCACHE_UNIT_MASK);
	return u && !unit_gone(u, idx & PCACHE_UNIT_MASK) ? &u->ent[idx & PCACHE_UNIT_MASK]
							: NULL;
}

/* The entry of page idx of ino cached on its own (ready). */
static inline __attribute__((always_inline)) struct pcache_ent *
own_lookup(uint32_t ino, uint64_t idx)
{
	for (uint16_t i = bucket[pcache_hash(ino, idx)]; i != NIL; i = pc_ent[i].next)
		if (pc_ent[i].ino == ino && pc_ent[i].idx == idx)
			return &pc_ent[i];
	return NULL;
}

/* Inline: fault-around's path. A page is cached on its own or in its
 * unit, never both, so pages of their own are looked for first. */
static inline __attribute__((always_inline)) struct pcache_ent *
pcache_lookup(uint32_t ino, uint64_t idx)
{
	struct pcache_ent *e;

	if (!pc_ready)
		return NULL;
	return (e = own_lookup(ino, idx)) ? e : unit_ent_lookup(ino, idx);
}

static bool pcache_reusable(const struct pcache_ent *e)
{
	return !e->busy && !e->maps && !e->dirty;
}

/* Joins the ring just behind the hand, the last entry the hand reaches;
 * a free one (no file page in it) at the hand, to be reused first. */
static void ring_insert(struct pcache_ent *e)
{
	uint16_t self = (uint16_t)(e - pc_ent);

	if (ring == NIL) {
		e->rprev = e->rnext = self;
		ring = self;
	} else {
		uint16_t tail = pc_ent[ring].rprev;
		e->rnext = ring;
		e->rprev = tail;
		pc_ent[tail].rnext = self;
		pc_ent[ring].rprev = self;
		if (!e->ino)
			ring = self;
	}
	e->in_ring = 1;
}

static void ring_remove(struct pcache_ent *e)
{
	uint16_t self = (uint16_t)(e - pc_ent);

	if (e->rnext == self) {
		ring = NIL;
	} else {
		pc_ent[e->rprev].rnext = e->rnext;
		pc_ent[e->rnext].rprev = e->rprev;
		if (ring == self)
			ring = e->rnext;
	}
	e->in_ring = 0;
}

/* After a change that may make e reusable (a last unpin, a writeback, a
 * fill done). Changes the other way leave e in the ring: the hand drops
 * what it finds no longer reusable, so a fault's pin costs nothing here. */
static void pcache_update(struct pcache_ent *e)
{
	if (!ent_own(e))
		return;   /* reused with its unit */
	if (!e->in_ring && pcache_reusable(e))
		ring_insert(e);
}

static void pcache_unlink(struct pcache_ent *e)
{
	if (!ent_own(e)) {
		struct pcache_unit *u = unit_of(e);
		unsigned k = (unsigned)(e - u->ent);
		bool was = ent_held(e);
		u->gone[k / 64] |= 1ull << (k % 64);
		if (e->dirty) {
			e->dirty = 0;
			ndirty--;
		}
		ent_held_changed(e, was);
		return;
	}
	uint16_t *link = &bucket[pcache_hash(e->ino, e->idx)];
	uint16_t self = (uint16_t)(e - pc_ent);

	pc_ino_own[e->ino & 255]--;
	while (*link != self)
		link = &pc_ent[*link].next;
	*link = e->next;
	e->ino = 0;
	if (e->dirty) {   /* the file's bytes there are gone (truncate, unlink) */
		e->dirty = 0;
		ndirty--;
	}
	if (e->in_ring)   /* free now: to the hand */
		ring_remove(e);
	pcache_update(e);
}

/* A free entry, with a page, taken (busy: the caller clears it and calls
 * pcache_update): a never-used one while there are any, then the first
 * reusable entry in the ring the hand finds unreferenced. Each entry is
 * dropped from the ring at most once per insertion, and one turn clears
 * the reference bits of those that stay, so the loop ends. */
static struct pcache_ent *pcache_victim(void)
{
	struct pcache_ent *e;

	if (nused < PCACHE_MAX) {
		uint8_t *page = fs_page_alloc();
		if (page) {
			e = &pc_ent[nused++];
			e->page = page;
			e->pnext = pbucket[pcache_phash(page)];
			pbucket[pcache_phash(page)] = (uint16_t)(e - pc_ent);
			pc_stats.pages++;
			e->busy = 1;
			return e;
		}
		if (!nused)
			return NULL;
	}
	while (ring != NIL) {
		e = &pc_ent[ring];
		if (!pcache_reusable(e)) {   /* mapped or dirtied since it joined */
			ring_remove(e);
			continue;
		}
		ring = e->rnext;
		if (e->ino && e->ref) {
			e->ref = 0;
			continue;
		}
		if (e->ino) {
			pcache_unlink(e);
			pc_stats.evictions++;
		}
		ring_remove(e);
		e->busy = 1;
		return e;
	}
	/* Everything left is mapped or dirty: take a page back from its
	 * mappings (written first if dirty), as Linux's reclaim does, so a
	 * walk over a mapping bigger than the cache goes on. */
	for (uint32_t step = 0; reclaim && step < nused; step++) {
		e = &pc_ent[reclaim_hand];
		reclaim_hand = reclaim_hand + 1 == nused ? 0 : reclaim_hand + 1;
		if (e->busy || !e->ino)
			continue;
		/* taken first, so that its unpins and writeback do not put it
		 * in the ring only for it to leave again */
		e->busy = 1;
		pc_reclaim_gen++;
		if (!reclaim(e->ino, e->idx, e->page) || e->maps || e->dirty) {
			e->busy = 0;
			pcache_update(e);
			continue;
		}
		pcache_unlink(e);
		pc_stats.evictions++;
		pc_stats.reclaimed++;
		if (e->in_ring)
			ring_remove(e);
		return e;
	}
	return NULL;
}

static void pcache_release(struct pcache_ent **run, unsigned from, unsigned to)
{
	for (unsigned k = from; k < to; k++) {
		run[k]->busy = 0;
		pcache_update(run[k]);
	}
}

void pcache_set_reclaim(pcache_reclaim_fn fn)
{
	reclaim = fn;
}

uint64_t pcache_reclaim_gen(void)
{
	return pc_reclaim_gen;
}

uint8_t *pcache_find(uint32_t ino, uint64_t idx)
{
	struct pcache_ent *e = pcache_lookup(ino, idx);

	if (!e)
		return NULL;
	e->ref = 1;
	return ent_page(e);
}

int pcache_get(struct ext2_fs *fs, uint32_t ino, uint64_t idx, uint8_t **page)
{
	int r = pcache_get_ra(fs, ino, idx, PCACHE_RA_AUTO, page);

	return r < 0 ? r : 0;
}

/* A miss: read idx, and with seq the pages after it. Kept out of the hit
 * path, whose every instruction a fault pays (emulated on kvm-pvm). */
static __attribute__((noinline)) int pcache_fill(struct ext2_fs *fs, uint32_t ino, uint64_t idx,
						 bool seq, struct pcache_ent **out)
{
	struct pcache_ent *e, *run[PCACHE_RA];
	uint8_t *pages[PCACHE_RA];
	struct ext2_pages m;
	unsigned want = 1, n;
	int64_t got;
	int err;

	pc_stats.misses++;
	if (idx > (UINT64_MAX >> PCACHE_SHIFT) - PCACHE_RA)
		return -EINVAL;
	/* Read ahead only up to the next page already here. */
	if (seq)
		while (want < PCACHE_RA && !pcache_lookup(ino, idx + want))
			want++;
	err = ext2_pages_map(fs, ino, idx, want, &m);
	if (err)
		return err;
	/* Past the end of the file: a page of zeros, as a read would give. */
	want = m.n ? m.n : 1;
	for (n = 0; n < want; n++) {
		if (!(run[n] = pcache_victim()))
			break;   /* memory short: read what there is room for */
		pages[n] = run[n]->page;
	}
	if (!n)
		return -ENOMEM;
	unsigned taken = n;
	if (m.n > n)
		m.n = n;
	got = ext2_pages_read(fs, ino, &m, pages);
	if (got < 0) {
		pcache_release(run, 0, taken);   /* free again */
		return (int)got;
	}
	if ((uint64_t)got < (uint64_t)n * PCACHE_PAGE)
		arch_uaccess_zero(pages[got / PCACHE_PAGE] + got % PCACHE_PAGE,
				  PCACHE_PAGE - (size_t)(got % PCACHE_PAGE));
	if (got > 0)
		n = (unsigned)((got + PCACHE_PAGE - 1) / PCACHE_PAGE);
	for (unsigned k = 0; k < n; k++) {
		uint32_t h = pcache_hash(ino, idx + k);

		e = run[k];
		e->ino = ino;
		e->idx = idx + k;
		e->ref = k == 0;   /* read ahead, not yet used */
		e->next = bucket[h];
		bucket[h] = (uint16_t)(e - pc_ent);
	}
	pc_ino_own[ino & 255] += (uint16_t)n;
	pcache_release(run, 0, taken);   /* filled ones join the ring last */
	if (n > 1)
		pc_stats.readahead += n - 1;
	*out = run[0];
	return 0;
}

/* Not found: read idx (1: found after all, 0: read, or -errno), and the
 * pin or the page the caller wants. Out of line, so a hit calls nothing. */
static __attribute__((noinline)) int pcache_get_slow(struct ext2_fs *fs, uint32_t ino,
						     uint64_t idx, enum pcache_ra ra, bool pin,
						     uint8_t **page)
{
	struct pcache_ent *e;
	int r = 1;

	if (!pc_ready)
		pcache_init();
	bool seq = ra == PCACHE_RA_ALWAYS ||
		   (ra == PCACHE_RA_AUTO && ino == pc_seq_ino && idx >= pc_seq_next &&
		    idx - pc_seq_next < PCACHE_RA);
	pc_seq_ino = ino;
	pc_seq_next = idx + 1;
	/* not cached on its own (pcache_get_page looked): in a unit, or a miss */
	if ((e = unit_ent_lookup(ino, idx)))
		pc_stats.hits++;
	else if ((r = pcache_fill(fs, ino, idx, seq, &e)) < 0)
		return r;
	e->ref = 1;
	if (pin)
		ent_maps_add(e, 1);
	*page = ent_page(e);
	return r;
}

/* 1: found, 0: read, or -errno; *page: the page, pinned if pin. The hit
 * of a page of its own is every file fault's path: inline, no calls. */
static inline __attribute__((always_inline)) int
pcache_get_page(struct ext2_fs *fs, uint32_t ino, uint64_t idx, enum pcache_ra ra, bool pin,
		uint8_t **page)
{
	/* A page is cached on its own or in its unit, never both. */
	struct pcache_ent *e;

	if (__builtin_expect(pc_ready, 1) && (e = own_lookup(ino, idx))) {
		pc_seq_ino = ino;   /* a hit is never a miss's readahead */
		pc_seq_next = idx + 1;
		pc_stats.hits++;
		e->ref = 1;
		e->maps += pin;   /* stays in the ring until the hand passes */
		*page = e->page;
		return 1;
	}
	return pcache_get_slow(fs, ino, idx, ra, pin, page);
}

int pcache_get_ra(struct ext2_fs *fs, uint32_t ino, uint64_t idx, enum pcache_ra ra,
		  uint8_t **page)
{
	return pcache_get_page(fs, ino, idx, ra, false, page);
}

int pcache_get_pinned(struct ext2_fs *fs, uint32_t ino, uint64_t idx, enum pcache_ra ra,
		      uint8_t **page)
{
	return pcache_get_page(fs, ino, idx, ra, true, page);
}

/* By hash lookups over the range when it is shorter than the table,
 * else one pass over the table: either way bounded by the smaller. */
void pcache_drop(uint32_t ino, uint64_t from, uint64_t to)
{
	if (!pc_ready || from >= to)
		return;
	if (to - from < nused) {
		for (uint64_t idx = from; idx < to; idx++) {
			struct pcache_ent *e = pcache_lookup(ino, idx);
			if (e)
				pcache_unlink(e);
		}
		return;
	}
	for (uint32_t i = 0; i < nused; i++)
		if (pc_ent[i].ino == ino && pc_ent[i].idx >= from && pc_ent[i].idx < to)
			pcache_unlink(&pc_ent[i]);
	for (unsigned i = 0; i < pc_units_used; i++) {
		struct pcache_unit *u = &pc_units[i];
		if (u->ino != ino || u->first >= to || u->first + PCACHE_UNIT_PAGES <= from)
			continue;
		for (unsigned k = 0; k < PCACHE_UNIT_PAGES; k++)
			if (!unit_gone(u, k) && u->first + k >= from && u->first + k < to)
				pcache_unlink(&u->ent[k]);
	}
}

int pcache_own_release(uint32_t ino, uint64_t first)
{
	if (!pc_ino_own[ino & 255])
		return 0;
	for (unsigned k = 0; k < PCACHE_UNIT_PAGES; k++) {
		struct pcache_ent *e = pcache_lookup(ino, first + k);
		if (!e)
			continue;
		if (!pcache_reusable(e))
			return -EAGAIN;
	}
	for (unsigned k = 0; k < PCACHE_UNIT_PAGES; k++) {
		struct pcache_ent *e = pcache_lookup(ino, first + k);
		if (e)
			pcache_unlink(e);
	}
	return 0;
}

void pcache_pin(uint8_t *page)
{
	struct pcache_ent *e = pcache_by_page(page);

	if (e)
		ent_maps_add(e, 1);   /* stays in the ring until the hand passes */
}

/* Every unmap and exit pays this per cache page: no calls on the way for
 * a page of its own that stays mapped elsewhere or becomes reusable. */
bool pcache_unpin(uint8_t *page)
{
	struct pcache_ent *e = pcache_by_page(page);

	if (!e || !e->maps)
		return false;
	ent_maps_add(e, -1);
	if (e->maps)
		return false;
	if (ent_own(e) && !e->in_ring && !e->busy && !e->dirty)
		ring_insert(e);
	return e->dirty;
}

void pcache_set_dirty(uint8_t *page)
{
	struct pcache_ent *e = pcache_by_page(page);

	if (e && ent_ino(e) && !e->dirty) {
		bool was = ent_held(e);
		e->dirty = 1;   /* stays in the ring until the hand passes */
		ndirty++;
		ent_held_changed(e, was);
	}
}

uint32_t pcache_maps(const uint8_t *page)
{
	const struct pcache_ent *e = pcache_by_page(page);

	return e ? e->maps : 0;
}

/* The page's bytes below the file's size; past it the page may hold what
 * a shared mapping stored beyond the end, which never reaches the file. */
static int pcache_write_ent(struct ext2_fs *fs, struct pcache_ent *e, uint64_t size)
{
	uint32_t ino = ent_ino(e);
	uint64_t off = ent_idx(e) << PCACHE_SHIFT;

	if (!ino || !e->dirty)
		return 0;
	if (off < size) {
		uint64_t n = size - off < PCACHE_PAGE ? size - off : PCACHE_PAGE;
		int64_t w = ext2_write(fs, ino, off, ent_page(e), (size_t)n);
		if (w < 0)
			return (int)w;
		if ((uint64_t)w < n)
			return -EIO;
	}
	pc_stats.writebacks++;
	bool was = ent_held(e);
	e->dirty = 0;
	ndirty--;
	ent_held_changed(e, was);
	pcache_update(e);
	return 0;
}

int pcache_writeback(struct ext2_fs *fs, uint8_t *page, uint64_t size)
{
	struct pcache_ent *e = pcache_by_page(page);

	return e ? pcache_write_ent(fs, e, size) : 0;
}

int pcache_sync(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
	int err = 0;

	for (uint32_t i = 0; ndirty && i < nused; i++)
		if (pc_ent[i].ino == ino && pc_ent[i].dirty) {
			int e = pcache_write_ent(fs, &pc_ent[i], size);
			if (e && !err)
				err = e;
		}
	for (unsigned i = 0; ndirty && i < pc_units_used; i++)
		for (unsigned k = 0; pc_units[i].ino == ino && pc_units[i].held && k < PCACHE_UNIT_PAGES;
		     k++) {
			struct pcache_ent *e = &pc_units[i].ent[k];
			if (e->dirty && !unit_gone(&pc_units[i], k)) {
				int r = pcache_write_ent(fs, e, size);
				if (r && !err)
					err = r;
			}
		}
	return err;
}

void pcache_reset(void)
{
	for (uint32_t i = 0; i < nused; i++) {
		fs_page_free(pc_ent[i].page);
		pc_ent[i] = (struct pcache_ent){ .page = NULL };
	}
	for (uint32_t i = 0; i < PCACHE_BUCKETS; i++)
		pbucket[i] = NIL;
	nused = reclaim_hand = ndirty = 0;
	ring = NIL;
	pcache_units_reset();
	for (unsigned i = 0; i < 256; i++)
		pc_ino_own[i] = 0;
	pc_stats.pages = 0;
	pc_ready = false;
}

void pcache_get_stats(struct pcache_stats *st)
{
	*st = pc_stats;
}
