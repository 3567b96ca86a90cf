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
#include "kernel/pcache.h"

#include "arch/x86/syscall_arch.h"
#include "fs/fs_hooks.h"
#include "lib/errno.h"

#define PCACHE_BUCKETS 2048u  /* power of two; chains of about one entry */
#define NIL            0xffffu
/* Readahead window: 128 KiB, one request of 32 pages. */
#define PCACHE_RA      32u

struct pcache_ent {
	uint32_t ino;             /* 0: free, or forgotten while still mapped */
	uint64_t idx;
	uint8_t *page;            /* the entry's for good once handed out */
	uint16_t next;            /* hash chain by (ino, idx) */
	uint16_t pnext;           /* hash chain by page address */
	uint16_t rprev, rnext;    /* the ring of reusable entries */
	uint8_t in_ring;
	uint32_t maps;            /* user PTEs mapping the page: not a victim */
	uint8_t ref;              /* clock: used since the hand last passed */
	uint8_t busy;             /* taken for a fill in progress: not a victim */
	uint8_t dirty;            /* written through a shared mapping since the
				     last writeback */
};
/* A page of its own is an entry of ent[] (in the chains and the ring); an
 * entry of a large unit is one of uents[], whose place says which unit and
 * page it stands for (page, ino and idx unused): a new unit's entries are
 * zero memory, with nothing to set up for its 512 pages. */
_Static_assert(PCACHE_MAX < NIL, "entry numbers fit the chain links");

static struct pcache_ent ent[PCACHE_MAX];
static uint16_t bucket[PCACHE_BUCKETS];
static uint16_t pbucket[PCACHE_BUCKETS];   /* by page address */
static uint32_t nused;        /* entries ever handed out: [0, nused) */
static uint16_t ring = NIL;   /* the clock hand: the next reusable entry */
static uint32_t reclaim_hand; /* over the whole table, for reclaim */
static uint64_t reclaim_gen;  /* calls of reclaim */
static bool ready;
static struct pcache_stats stats;
static uint32_t ndirty;       /* entries with dirty set */
static pcache_reclaim_fn reclaim;
/* The page after the last one asked for: a miss there is sequential. */
static uint32_t seq_ino;
static uint64_t seq_next;

/* Large units (pcache.h): PCACHE_UNIT_PAGES entries each, in page-sized
 * blocks of their own, never in the chains or the ring; found through the
 * unit, by (ino, first) or by block address. A unit is intact while every
 * entry holds (ino, first + k), no gone bit set: only then may a large
 * entry map it. */
#define PCACHE_UNITS_MAX 1024u          /* 2 GiB */
#define PCACHE_UBUCKETS  256u
#define PCACHE_UNIT_MASK (PCACHE_UNIT_PAGES - 1)
#define PCACHE_UNIT_BYTES ((uint64_t)PCACHE_UNIT_PAGES << PCACHE_SHIFT)
/* Pages past a unit whose disk run its fill looks up too (ext2 remembers
 * it): the next three units of a sequential reader walk no block map. */
#define PCACHE_UNIT_AHEAD (3 * PCACHE_UNIT_PAGES)

struct pcache_unit {
	uint32_t ino;             /* 0: no file range (never filled or reused) */
	uint64_t first;           /* page index of ent[0]: a multiple of the unit */
	uint8_t *base;            /* the block: PCACHE_UNIT_BYTES, aligned to it */
	struct pcache_ent *ent;   /* ent[k] holds the page base + k pages */
	uint32_t pde_maps;        /* large entries mapping the whole block */
	uint32_t held;            /* entries mapped or dirty (not reusable) */
	uint64_t gone[PCACHE_UNIT_PAGES / 64];   /* entries dropped: no longer
						    (ino, first + k); one
						    clear makes a fill's
						    512 entries valid */
	uint16_t next;            /* chain by (ino, first) */
	uint16_t pnext;           /* chain by base */
	uint8_t ref;              /* clock */
	uint8_t filling;          /* taken for a fill not yet ended: not a victim */
};
_Static_assert(PCACHE_UNITS_MAX < NIL, "unit numbers fit the chain links");

static struct pcache_unit units[PCACHE_UNITS_MAX];
static struct pcache_ent *uents;   /* units[i].ent == uents + i * unit pages */
static unsigned units_max, units_used, unit_hand;
static unsigned units_busy;   /* units with a large mapping or a held entry */
static uint16_t ubucket[PCACHE_UBUCKETS], upbucket[PCACHE_UBUCKETS];
static pcache_reclaim_unit_fn reclaim_unit;
/* Entries of their own per hash of ino: 0 means the file has none, so a
 * new unit needs no lookups for pages cached outside it. */
static uint16_t ino_own[256];

static uint32_t pcache_hash(uint32_t ino, uint64_t idx)
{
	return (uint32_t)((ino * 0x9e3779b1u) ^ idx) & (PCACHE_BUCKETS - 1);
}

static uint32_t pcache_phash(const uint8_t *page)
{
	return (uint32_t)((uint64_t)page >> PCACHE_SHIFT) & (PCACHE_BUCKETS - 1);
}

static uint32_t unit_hash(uint32_t ino, uint64_t first)
{
	return (uint32_t)((ino * 0x9e3779b1u) ^ (first >> PCACHE_UNIT_SHIFT)) &
	       (PCACHE_UBUCKETS - 1);
}

static uint32_t unit_phash(const uint8_t *base)
{
	return (uint32_t)((uint64_t)base / PCACHE_UNIT_BYTES) & (PCACHE_UBUCKETS - 1);
}

static void pcache_init(void)
{
	for (uint32_t i = 0; i < PCACHE_BUCKETS; i++)
		bucket[i] = pbucket[i] = NIL;
	for (uint32_t i = 0; i < PCACHE_UBUCKETS; i++)
		ubucket[i] = NIL;
	if (!units_used)
		for (uint32_t i = 0; i < PCACHE_UBUCKETS; i++)
			upbucket[i] = NIL;
	ready = true;
}

static inline __attribute__((always_inline)) struct pcache_unit *
unit_lookup(uint32_t ino, uint64_t first)
{
	for (uint16_t i = ubucket[unit_hash(ino, first)]; i != NIL; i = units[i].next)
		if (units[i].ino == ino && units[i].first == first)
			return &units[i];
	return NULL;
}

static struct pcache_unit *unit_by_base(const uint8_t *base)
{
	for (uint16_t i = upbucket[unit_phash(base)]; i != NIL; i = units[i].pnext)
		if (units[i].base == base)
			return &units[i];
	return NULL;
}

static bool ent_own(const struct pcache_ent *e)
{
	return (uintptr_t)e - (uintptr_t)ent < sizeof(ent);
}

/* Of a unit's entry (!ent_own). */
static struct pcache_unit *unit_of(const struct pcache_ent *e)
{
	return &units[((uintptr_t)e - (uintptr_t)uents) / sizeof(*e) / PCACHE_UNIT_PAGES];
}

static uint8_t *ent_page(const struct pcache_ent *e)
{
	if (ent_own(e))
		return e->page;
	const struct pcache_unit *u = unit_of(e);
	return u->base + ((uint64_t)(e - u->ent) << PCACHE_SHIFT);
}

static bool unit_gone(const struct pcache_unit *u, unsigned k)
{
	return u->gone[k / 64] >> (k % 64) & 1;
}

static bool unit_intact(const struct pcache_unit *u)
{
	uint64_t any = 0;

	for (unsigned w = 0; w < PCACHE_UNIT_PAGES / 64; w++)
		any |= u->gone[w];
	return !any;
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

static bool ent_held(const struct pcache_ent *e)
{
	return e->maps || e->dirty;
}

static bool unit_busy(const struct pcache_unit *u)
{
	return u->pde_maps || u->held || u->filling;
}

/* After u->pde_maps or u->held changed from what made unit_busy() was. */
static void unit_busy_changed(const struct pcache_unit *u, bool was)
{
	if (was != unit_busy(u))
		units_busy += was ? (unsigned)-1 : 1;
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
	if (!ready)
		return NULL;
	for (uint16_t i = pbucket[pcache_phash(page)]; i != NIL; i = ent[i].pnext)
		if (ent[i].page == page)
			return &ent[i];
	if (units_used) {
		const uint8_t *base = (const uint8_t *)((uint64_t)page & ~(PCACHE_UNIT_BYTES - 1));
		struct pcache_unit *u = unit_by_base(base);
		if (u)
			return &u->ent[(page - base) >> PCACHE_SHIFT];
	}
	return NULL;
}

/* Inline: fault-around's path. A page is cached on its own or in its
 * unit, never both, so pages of their own are looked for first. */
/* The entry for page idx of ino in its unit, if a unit holds it. */
static inline __attribute__((always_inline)) struct pcache_ent *
unit_ent_lookup(uint32_t ino, uint64_t idx)
{
	if (!units_used)
		return NULL;
	struct pcache_unit *u = unit_lookup(ino, idx & ~(uint64_t)PCACHE_UNIT_MASK);
	return u && !unit_gone(u, idx & PCACHE_UNIT_MASK) ? &u->ent[idx & PCACHE_UNIT_MASK]
							: NULL;
}

/* The entry of page idx of ino cached on its own (ready). */
static inline __attribute__((always_inline)) struct pcache_ent *
own_lookup(uint32_t ino, uint64_t idx)
{
	for (uint16_t i = bucket[pcache_hash(ino, idx)]; i != NIL; i = ent[i].next)
		if (ent[i].ino == ino && ent[i].idx == idx)
			return &ent[i];
	return NULL;
}

static inline __attribute__((always_inline)) struct pcache_ent *
pcache_lookup(uint32_t ino, uint64_t idx)
{
	struct pcache_ent *e;

	if (!ready)
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
	uint16_t self = (uint16_t)(e - ent);

	if (ring == NIL) {
		e->rprev = e->rnext = self;
		ring = self;
	} else {
		uint16_t tail = ent[ring].rprev;
		e->rnext = ring;
		e->rprev = tail;
		ent[tail].rnext = self;
		ent[ring].rprev = self;
		if (!e->ino)
			ring = self;
	}
	e->in_ring = 1;
}

static void ring_remove(struct pcache_ent *e)
{
	uint16_t self = (uint16_t)(e - ent);

	if (e->rnext == self) {
		ring = NIL;
	} else {
		ent[e->rprev].rnext = e->rnext;
		ent[e->rnext].rprev = e->rprev;
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
	uint16_t self = (uint16_t)(e - ent);

	ino_own[e->ino & 255]--;
	while (*link != self)
		link = &ent[*link].next;
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
			e = &ent[nused++];
			e->page = page;
			e->pnext = pbucket[pcache_phash(page)];
			pbucket[pcache_phash(page)] = (uint16_t)(e - ent);
			stats.pages++;
			e->busy = 1;
			return e;
		}
		if (!nused)
			return NULL;
	}
	while (ring != NIL) {
		e = &ent[ring];
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
			stats.evictions++;
		}
		ring_remove(e);
		e->busy = 1;
		return e;
	}
	/* Everything left is mapped or dirty: take a page back from its
	 * mappings (written first if dirty), as Linux's reclaim does, so a
	 * walk over a mapping bigger than the cache goes on. */
	for (uint32_t step = 0; reclaim && step < nused; step++) {
		e = &ent[reclaim_hand];
		reclaim_hand = reclaim_hand + 1 == nused ? 0 : reclaim_hand + 1;
		if (e->busy || !e->ino)
			continue;
		/* taken first, so that its unpins and writeback do not put it
		 * in the ring only for it to leave again */
		e->busy = 1;
		reclaim_gen++;
		if (!reclaim(e->ino, e->idx, e->page) || e->maps || e->dirty) {
			e->busy = 0;
			pcache_update(e);
			continue;
		}
		pcache_unlink(e);
		stats.evictions++;
		stats.reclaimed++;
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
	return reclaim_gen;
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

	stats.misses++;
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
		bucket[h] = (uint16_t)(e - ent);
	}
	ino_own[ino & 255] += (uint16_t)n;
	pcache_release(run, 0, taken);   /* filled ones join the ring last */
	if (n > 1)
		stats.readahead += n - 1;
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

	if (!ready)
		pcache_init();
	bool seq = ra == PCACHE_RA_ALWAYS ||
		   (ra == PCACHE_RA_AUTO && ino == seq_ino && idx >= seq_next &&
		    idx - seq_next < PCACHE_RA);
	seq_ino = ino;
	seq_next = idx + 1;
	/* not cached on its own (pcache_get_page looked): in a unit, or a miss */
	if ((e = unit_ent_lookup(ino, idx)))
		stats.hits++;
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

	if (__builtin_expect(ready, 1) && (e = own_lookup(ino, idx))) {
		seq_ino = ino;   /* a hit is never a miss's readahead */
		seq_next = idx + 1;
		stats.hits++;
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
	if (!ready || from >= to)
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
		if (ent[i].ino == ino && ent[i].idx >= from && ent[i].idx < to)
			pcache_unlink(&ent[i]);
	for (unsigned i = 0; i < units_used; i++) {
		struct pcache_unit *u = &units[i];
		if (u->ino != ino || u->first >= to || u->first + PCACHE_UNIT_PAGES <= from)
			continue;
		for (unsigned k = 0; k < PCACHE_UNIT_PAGES; k++)
			if (!unit_gone(u, k) && u->first + k >= from && u->first + k < to)
				pcache_unlink(&u->ent[k]);
	}
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
	stats.writebacks++;
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
		if (ent[i].ino == ino && ent[i].dirty) {
			int e = pcache_write_ent(fs, &ent[i], size);
			if (e && !err)
				err = e;
		}
	for (unsigned i = 0; ndirty && i < units_used; i++)
		for (unsigned k = 0; units[i].ino == ino && units[i].held && k < PCACHE_UNIT_PAGES;
		     k++) {
			struct pcache_ent *e = &units[i].ent[k];
			if (e->dirty && !unit_gone(&units[i], k)) {
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
		fs_page_free(ent[i].page);
		ent[i] = (struct pcache_ent){ .page = NULL };
	}
	for (uint32_t i = 0; i < PCACHE_BUCKETS; i++)
		pbucket[i] = NIL;
	nused = reclaim_hand = ndirty = 0;
	ring = NIL;
	/* units keep their blocks, empty, for the next file system */
	for (unsigned i = 0; i < units_used; i++) {
		struct pcache_unit *u = &units[i];
		for (unsigned k = 0; u->held && k < PCACHE_UNIT_PAGES; k++)
			u->ent[k].maps = u->ent[k].dirty = 0;
		u->ino = 0;
		u->pde_maps = u->held = 0;
	}
	units_busy = 0;
	for (unsigned i = 0; i < 256; i++)
		ino_own[i] = 0;
	stats.pages = 0;
	ready = false;
}

/* ---- large units ---- */

void pcache_set_units(unsigned max)
{
	units_max = max < PCACHE_UNITS_MAX ? max : PCACHE_UNITS_MAX;
	if (units_max < units_used)
		units_max = units_used;
}

void pcache_set_reclaim_unit(pcache_reclaim_unit_fn fn)
{
	reclaim_unit = fn;
}

static void unit_unhash(struct pcache_unit *u)
{
	uint16_t *link = &ubucket[unit_hash(u->ino, u->first)];
	uint16_t self = (uint16_t)(u - units);

	while (*link != self)
		link = &units[*link].next;
	*link = u->next;
	u->ino = 0;
}

/* A new slot while there are fewer than units_max and memory gives the
 * blocks; NULL otherwise (units_max then stops there). The entries of all
 * units come in one zeroed run, taken with the first: one run per unit
 * would put the frontier off 2 MiB, and the next block's alignment would
 * skip (and list as free, one emulated loop turn each) almost a whole
 * unit. */
static struct pcache_unit *unit_new(void)
{
	static unsigned uents_cap;

	if (!uents) {
		size_t bytes = (size_t)units_max * PCACHE_UNIT_PAGES * sizeof(struct pcache_ent);
		uents = fs_pages_alloc_run((bytes + FS_PAGE_SIZE - 1) / FS_PAGE_SIZE, FS_PAGE_SIZE,
					   true);
		uents_cap = uents ? units_max : 0;
	}
	uint8_t *base = units_used < uents_cap
				? fs_pages_alloc_run(PCACHE_UNIT_PAGES, PCACHE_UNIT_BYTES, false)
				: NULL;
	if (!base) {
		units_max = units_used;
		return NULL;
	}
	struct pcache_unit *u = &units[units_used];
	*u = (struct pcache_unit){ .base = base,
				   .ent = uents + (size_t)units_used * PCACHE_UNIT_PAGES };
	u->pnext = upbucket[unit_phash(base)];
	upbucket[unit_phash(base)] = (uint16_t)units_used;
	units_used++;
	stats.units++;
	return u;
}

/* A slot for a new unit: a new one while allowed, else the first the
 * clock finds unused; when every unit is mapped, large mappings are
 * taken back (reclaim_unit) from the first unit that has no other hold. */
static struct pcache_unit *unit_victim(void)
{
	if (units_used < units_max) {
		struct pcache_unit *u = unit_new();
		if (u)
			return u;
	}
	for (unsigned step = 0; units_busy < units_used && step < 2 * units_used; step++) {
		struct pcache_unit *u = &units[unit_hand];
		unit_hand = unit_hand + 1 == units_used ? 0 : unit_hand + 1;
		if (unit_busy(u))
			continue;
		if (u->ino && u->ref) {
			u->ref = 0;
			continue;
		}
		if (u->ino)
			unit_unhash(u);
		return u;
	}
	/* a second chance here too: a unit mapped by the fault that is filling
	 * this one (a walk's last region, or one mapped ahead) is not the one
	 * taken back */
	for (unsigned step = 0; reclaim_unit && step < 2 * units_used; step++) {
		struct pcache_unit *u = &units[unit_hand];
		unit_hand = unit_hand + 1 == units_used ? 0 : unit_hand + 1;
		if (!u->ino || u->held)
			continue;
		if (u->ref) {
			u->ref = 0;
			continue;
		}
		reclaim_gen++;
		if (!reclaim_unit(u->ino, u->first, u->base) || unit_busy(u))
			continue;
		unit_unhash(u);
		stats.unit_reclaims++;
		return u;
	}
	return NULL;
}

/* The pages [first, first + unit) cached on their own must go first:
 * a page is cached once. -EAGAIN if one of them is mapped or dirty. */
static int unit_take_own(uint32_t ino, uint64_t first)
{
	if (!ino_own[ino & 255])
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

/* Reads nothing more: the fill's slot is free again. */
static void fill_drop(struct pcache_fill *f)
{
	struct pcache_unit *u = f->u;
	bool was = unit_busy(u);

	u->filling = 0;
	unit_busy_changed(u, was);
	f->u = NULL;
}

/* A run of the fill read, got bytes of it: short only at the end of the
 * file, whose last page is then zeroed past it. */
static int fill_got(const struct ext2_pages *m, uint8_t *dst, int64_t got, bool last)
{
	if (got < 0)
		return (int)got;
	if ((uint64_t)got < (uint64_t)m->n << PCACHE_SHIFT) {
		if (!last)
			return -EAGAIN;   /* the file shrank under the unit */
		arch_uaccess_zero(dst + got, ((uint64_t)m->n << PCACHE_SHIFT) - (uint64_t)got);
	}
	return 0;
}

/* The runs of a unit's pages (one, or two where an indirect block sits
 * among the data): all read here but the largest, which is left for
 * pcache_fill_start when it is big enough to be worth reading while the
 * kernel does something else. */
#define FILL_LATER_MIN 64u   /* pages */

int pcache_fill_prep(struct ext2_fs *fs, uint32_t ino, uint64_t first, struct pcache_fill *f)
{
	struct pcache_unit *u;
	int err;

	f->u = NULL;
	f->hit = f->later = f->started = false;
	if (!units_max || (first & PCACHE_UNIT_MASK))
		return -EAGAIN;
	if (!ready)
		pcache_init();
	if ((u = unit_lookup(ino, first))) {
		if (!unit_intact(u))
			return -EAGAIN;
		bool busy = unit_busy(u);
		u->pde_maps++;
		unit_busy_changed(u, busy);
		u->ref = 1;
		stats.unit_hits++;
		f->u = u;
		f->hit = true;
		return 1;
	}
	if ((err = unit_take_own(ino, first)))
		return err;
	if (!(u = unit_victim()))
		return -EAGAIN;
	bool was = unit_busy(u);
	u->filling = 1;
	unit_busy_changed(u, was);
	f->u = u;
	f->ino = ino;
	f->first = first;
	for (unsigned k = 0; k < PCACHE_UNIT_PAGES;) {
		struct ext2_pages m;
		uint8_t *dst = u->base + ((uint64_t)k << PCACHE_SHIFT);
		/* the next units' runs are looked up with this one's */
		err = ext2_pages_map_ahead(fs, ino, first + k, PCACHE_UNIT_PAGES - k,
					   PCACHE_UNIT_AHEAD, &m);
		if (!err && m.n == 0)
			err = -EAGAIN;   /* the file ends inside: not a unit */
		if (err)
			goto fail;
		bool last = k + m.n == PCACHE_UNIT_PAGES;
		if (!f->later && m.n >= FILL_LATER_MIN && m.pblk && !m.split) {
			f->m = m;
			f->dst = dst;
			f->last = last;
			f->later = true;
		} else if ((err = fill_got(&m, dst, ext2_pages_read_into(fs, ino, &m, dst), last))) {
			goto fail;
		}
		k += m.n;
	}
	return 0;
fail:
	fill_drop(f);
	return err;
}

int pcache_fill_start(struct ext2_fs *fs, struct pcache_fill *f, bool background)
{
	if (!f->later)
		return 0;
	int r = background ? ext2_pages_read_start(fs, &f->m, f->dst) : 1;
	if (r == 0) {
		f->started = true;
		return 0;
	}
	f->later = false;
	if (r == 1)   /* no reading in the background: now */
		r = fill_got(&f->m, f->dst, ext2_pages_read_into(fs, f->ino, &f->m, f->dst),
			     f->last);
	if (r)
		fill_drop(f);
	return r;
}

int pcache_fill_end(struct ext2_fs *fs, struct pcache_fill *f, uint8_t **base)
{
	struct pcache_unit *u = f->u;
	int err = 0;

	if (!u)
		return -EAGAIN;   /* prep or start failed */
	if (f->hit) {
		*base = u->base;
		return 1;
	}
	if (f->started)
		err = fill_got(&f->m, f->dst, ext2_pages_read_finish(fs, f->ino, &f->m), f->last);
	else if (f->later)
		err = pcache_fill_start(fs, f, false);   /* never started: read it now */
	if (err) {
		if (f->u)
			fill_drop(f);
		return err;
	}
	for (unsigned w = 0; w < PCACHE_UNIT_PAGES / 64; w++)
		u->gone[w] = 0;
	u->ino = f->ino;
	u->first = f->first;
	u->ref = 1;
	u->pde_maps = 1;   /* busy all along: filling, now mapped */
	u->filling = 0;
	uint32_t h = unit_hash(f->ino, f->first);
	u->next = ubucket[h];
	ubucket[h] = (uint16_t)(u - units);
	stats.unit_fills++;
	seq_ino = f->ino;
	seq_next = f->first + PCACHE_UNIT_PAGES;
	*base = u->base;
	return 0;
}

void pcache_fill_cancel(struct ext2_fs *fs, struct pcache_fill *f)
{
	if (!f->u)
		return;
	if (f->hit) {
		pcache_unit_unmap(f->u->base);
		f->u = NULL;
		return;
	}
	if (f->started)   /* the device is writing the block: wait for it */
		(void)ext2_pages_read_finish(fs, f->ino, &f->m);
	fill_drop(f);
}

void pcache_unit_unmap(uint8_t *base)
{
	struct pcache_unit *u = ready ? unit_by_base(base) : NULL;

	if (u && u->pde_maps) {
		bool busy = unit_busy(u);
		u->pde_maps--;
		unit_busy_changed(u, busy);
	}
}

void pcache_get_stats(struct pcache_stats *st)
{
	*st = stats;
}
