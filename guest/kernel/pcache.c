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

static uint32_t pcache_hash(uint32_t ino, uint64_t idx)
{
	return (uint32_t)((ino * 0x9e3779b1u) ^ idx) & (PCACHE_BUCKETS - 1);
}

static uint32_t pcache_phash(const uint8_t *page)
{
	return (uint32_t)((uint64_t)page >> PCACHE_SHIFT) & (PCACHE_BUCKETS - 1);
}

static void pcache_init(void)
{
	for (uint32_t i = 0; i < PCACHE_BUCKETS; i++)
		bucket[i] = pbucket[i] = NIL;
	ready = true;
}

static struct pcache_ent *pcache_by_page(const uint8_t *page)
{
	if (!ready)
		return NULL;
	for (uint16_t i = pbucket[pcache_phash(page)]; i != NIL; i = ent[i].pnext)
		if (ent[i].page == page)
			return &ent[i];
	return NULL;
}

/* Inline (as is pcache_get_ent): a fault's hit path is these two. */
static inline __attribute__((always_inline)) struct pcache_ent *
pcache_lookup(uint32_t ino, uint64_t idx)
{
	if (!ready)
		return NULL;
	for (uint16_t i = bucket[pcache_hash(ino, idx)]; i != NIL; i = ent[i].next)
		if (ent[i].ino == ino && ent[i].idx == idx)
			return &ent[i];
	return NULL;
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
	if (!e->in_ring && pcache_reusable(e))
		ring_insert(e);
}

static void pcache_unlink(struct pcache_ent *e)
{
	uint16_t *link = &bucket[pcache_hash(e->ino, e->idx)];
	uint16_t self = (uint16_t)(e - ent);

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
	return e->page;
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
	pcache_release(run, 0, taken);   /* filled ones join the ring last */
	if (n > 1)
		stats.readahead += n - 1;
	*out = run[0];
	return 0;
}

/* 1: found, 0: read, or -errno; *out: the entry. */
static inline __attribute__((always_inline)) int
pcache_get_ent(struct ext2_fs *fs, uint32_t ino, uint64_t idx, enum pcache_ra ra,
	       struct pcache_ent **out)
{
	struct pcache_ent *e;

	if (!ready)
		pcache_init();
	bool seq = ra == PCACHE_RA_ALWAYS ||
		   (ra == PCACHE_RA_AUTO && ino == seq_ino && idx >= seq_next &&
		    idx - seq_next < PCACHE_RA);
	seq_ino = ino;
	seq_next = idx + 1;
	if ((e = pcache_lookup(ino, idx))) {
		stats.hits++;
		e->ref = 1;
		*out = e;
		return 1;
	}
	return pcache_fill(fs, ino, idx, seq, out);
}

int pcache_get_ra(struct ext2_fs *fs, uint32_t ino, uint64_t idx, enum pcache_ra ra,
		  uint8_t **page)
{
	struct pcache_ent *e;
	int r = pcache_get_ent(fs, ino, idx, ra, &e);

	if (r >= 0)
		*page = e->page;
	return r;
}

int pcache_get_pinned(struct ext2_fs *fs, uint32_t ino, uint64_t idx, enum pcache_ra ra,
		      uint8_t **page)
{
	struct pcache_ent *e;
	int r = pcache_get_ent(fs, ino, idx, ra, &e);

	if (r >= 0) {
		e->maps++;   /* stays in the ring until the hand passes */
		*page = e->page;
	}
	return r;
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
}

void pcache_pin(uint8_t *page)
{
	struct pcache_ent *e = pcache_by_page(page);

	if (e)
		e->maps++;   /* stays in the ring until the hand passes */
}

bool pcache_unpin(uint8_t *page)
{
	struct pcache_ent *e = pcache_by_page(page);

	if (!e || !e->maps)
		return false;
	e->maps--;
	pcache_update(e);
	return !e->maps && e->dirty;
}

void pcache_set_dirty(uint8_t *page)
{
	struct pcache_ent *e = pcache_by_page(page);

	if (e && e->ino && !e->dirty) {
		e->dirty = 1;   /* stays in the ring until the hand passes */
		ndirty++;
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
	uint64_t off = e->idx << PCACHE_SHIFT;

	if (!e->ino || !e->dirty)
		return 0;
	if (off < size) {
		uint64_t n = size - off < PCACHE_PAGE ? size - off : PCACHE_PAGE;
		int64_t w = ext2_write(fs, e->ino, off, e->page, (size_t)n);
		if (w < 0)
			return (int)w;
		if ((uint64_t)w < n)
			return -EIO;
	}
	stats.writebacks++;
	e->dirty = 0;
	ndirty--;
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
	stats.pages = 0;
	ready = false;
}

void pcache_get_stats(struct pcache_stats *st)
{
	*st = stats;
}
