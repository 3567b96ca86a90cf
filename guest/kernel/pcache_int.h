/* What the page cache's two halves share: pages cached on their own
 * (kernel/pcache.c: hash chains, the clock ring, fills and readahead) and
 * 2 MiB units of them (kernel/pcache_unit.c: slots, their clock, fills in
 * steps). Private to those two files; the interface is kernel/pcache.h. */
#ifndef GUEST_KERNEL_PCACHE_INT_H
#define GUEST_KERNEL_PCACHE_INT_H

#include "kernel/pcache.h"

#define NIL 0xffffu   /* the end of a chain */

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

/* Pages of their own (pcache.c). */
extern struct pcache_ent pc_ent[PCACHE_MAX];
extern bool pc_ready;                  /* the tables are set up */
extern struct pcache_stats pc_stats;
/* The page after the last one asked for: a miss there is sequential. */
extern uint32_t pc_seq_ino;
extern uint64_t pc_seq_next;
extern uint64_t pc_reclaim_gen;        /* calls of reclaim */
/* Entries of their own per hash of ino: 0 means the file has none, so a
 * new unit needs no lookups for pages cached outside it. */
extern uint16_t pc_ino_own[256];

/* Units (pcache_unit.c). */
extern struct pcache_unit pc_units[PCACHE_UNITS_MAX];
extern struct pcache_ent *pc_uents;    /* pc_units[i].ent == pc_uents + i * unit pages */
extern unsigned pc_units_used;
extern unsigned pc_units_busy;         /* units with a large mapping, a held
					  entry or a fill under way */
extern uint16_t pc_ubucket[PCACHE_UBUCKETS], pc_upbucket[PCACHE_UBUCKETS];

static inline uint32_t unit_hash(uint32_t ino, uint64_t first)
{
	return (uint32_t)((ino * 0x9e3779b1u) ^ (first >> PCACHE_UNIT_SHIFT)) &
	       (PCACHE_UBUCKETS - 1);
}

static inline uint32_t unit_phash(const uint8_t *base)
{
	return (uint32_t)((uint64_t)base / PCACHE_UNIT_BYTES) & (PCACHE_UBUCKETS - 1);
}

static inline __attribute__((always_inline)) struct pcache_unit *
unit_lookup(uint32_t ino, uint64_t first)
{
	for (uint16_t i = pc_ubucket[unit_hash(ino, first)]; i != NIL; i = pc_units[i].next)
		if (pc_units[i].ino == ino && pc_units[i].first == first)
			return &pc_units[i];
	return NULL;
}

static inline struct pcache_unit *unit_by_base(const uint8_t *base)
{
	for (uint16_t i = pc_upbucket[unit_phash(base)]; i != NIL; i = pc_units[i].pnext)
		if (pc_units[i].base == base)
			return &pc_units[i];
	return NULL;
}

static inline bool ent_own(const struct pcache_ent *e)
{
	return (uintptr_t)e - (uintptr_t)pc_ent < sizeof(pc_ent);
}

/* Of a unit's entry (!ent_own). */
static inline struct pcache_unit *unit_of(const struct pcache_ent *e)
{
	return &pc_units[((uintptr_t)e - (uintptr_t)pc_uents) / sizeof(*e) / PCACHE_UNIT_PAGES];
}

static inline bool unit_gone(const struct pcache_unit *u, unsigned k)
{
	return u->gone[k / 64] >> (k % 64) & 1;
}

static inline bool unit_intact(const struct pcache_unit *u)
{
	uint64_t any = 0;

	for (unsigned w = 0; w < PCACHE_UNIT_PAGES / 64; w++)
		any |= u->gone[w];
	return !any;
}

static inline bool ent_held(const struct pcache_ent *e)
{
	return e->maps || e->dirty;
}

static inline bool unit_busy(const struct pcache_unit *u)
{
	return u->pde_maps || u->held || u->filling;
}

/* After u->pde_maps or u->held changed from what made unit_busy() was. */
static inline void unit_busy_changed(const struct pcache_unit *u, bool was)
{
	if (was != unit_busy(u))
		pc_units_busy += was ? (unsigned)-1 : 1;
}

void pcache_init(void);
/* The units' part of pcache_init and pcache_reset. */
void pcache_units_init(void);
void pcache_units_reset(void);
/* The pages [first, first + unit) of ino cached on their own go (a page
 * is cached once): 0, or -EAGAIN if one of them is mapped or dirty. */
int pcache_own_release(uint32_t ino, uint64_t first);

#endif
