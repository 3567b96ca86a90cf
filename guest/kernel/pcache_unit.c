/* The page cache's 2 MiB units (kernel/pcache.h, "Large units"): slots
 * made on first use and kept, found by (ino, first) or block address, a
 * clock that takes a unit back from its large mappings when all are in
 * use, and fills in steps so that the device reads one unit while the
 * next is prepared. */
#include "kernel/pcache_int.h"

#include "arch/x86/syscall_arch.h"
#include "fs/fs_hooks.h"
#include "lib/errno.h"

struct pcache_unit pc_units[PCACHE_UNITS_MAX];
struct pcache_ent *pc_uents;
unsigned pc_units_used, pc_units_busy;
uint16_t pc_ubucket[PCACHE_UBUCKETS], pc_upbucket[PCACHE_UBUCKETS];
static unsigned units_max, unit_hand;
static pcache_reclaim_unit_fn reclaim_unit;

void pcache_units_init(void)
{
	for (uint32_t i = 0; i < PCACHE_UBUCKETS; i++)
		pc_ubucket[i] = NIL;
	if (!pc_units_used)   /* blocks are kept: found by address across resets */
		for (uint32_t i = 0; i < PCACHE_UBUCKETS; i++)
			pc_upbucket[i] = NIL;
}

/* Units keep their blocks, empty, for the next file system. */
void pcache_units_reset(void)
{
	for (unsigned i = 0; i < pc_units_used; i++) {
		struct pcache_unit *u = &pc_units[i];
		for (unsigned k = 0; u->held && k < PCACHE_UNIT_PAGES; k++)
			u->ent[k].maps = u->ent[k].dirty = 0;
		u->ino = 0;
		u->pde_maps = u->held = 0;
	}
	pc_units_busy = 0;
}

void pcache_set_units(unsigned max)
{
	units_max = max < PCACHE_UNITS_MAX ? max : PCACHE_UNITS_MAX;
	if (units_max < pc_units_used)
		units_max = pc_units_used;
}

void pcache_set_reclaim_unit(pcache_reclaim_unit_fn fn)
{
	reclaim_unit = fn;
}

static void unit_unhash(struct pcache_unit *u)
{
	uint16_t *link = &pc_ubucket[unit_hash(u->ino, u->first)];
	uint16_t self = (uint16_t)(u - pc_units);

	while (*link != self)
		link = &pc_units[*link].next;
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

	if (!pc_uents) {
		size_t bytes = (size_t)units_max * PCACHE_UNIT_PAGES * sizeof(struct pcache_ent);
		pc_uents = fs_pages_alloc_run((bytes + FS_PAGE_SIZE - 1) / FS_PAGE_SIZE, FS_PAGE_SIZE,
					   true);
		uents_cap = pc_uents ? units_max : 0;
	}
	uint8_t *base = pc_units_used < uents_cap
				? fs_pages_alloc_run(PCACHE_UNIT_PAGES, PCACHE_UNIT_BYTES, false)
				: NULL;
	if (!base) {
		units_max = pc_units_used;
		return NULL;
	}
	struct pcache_unit *u = &pc_units[pc_units_used];
	*u = (struct pcache_unit){ .base = base,
				   .ent = pc_uents + (size_t)pc_units_used * PCACHE_UNIT_PAGES };
	u->pnext = pc_upbucket[unit_phash(base)];
	pc_upbucket[unit_phash(base)] = (uint16_t)pc_units_used;
	pc_units_used++;
	pc_stats.units++;
	return u;
}

/* A slot for a new unit: a new one while allowed, else the first the
 * clock finds unused; when every unit is mapped, large mappings are
 * taken back (reclaim_unit) from the first unit that has no other hold. */
static struct pcache_unit *unit_victim(void)
{
	if (pc_units_used < units_max) {
		struct pcache_unit *u = unit_new();
		if (u)
			return u;
	}
	for (unsigned step = 0; pc_units_busy < pc_units_used && step < 2 * pc_units_used; step++) {
		struct pcache_unit *u = &pc_units[unit_hand];
		unit_hand = unit_hand + 1 == pc_units_used ? 0 : unit_hand + 1;
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
	for (unsigned step = 0; reclaim_unit && step < 2 * pc_units_used; step++) {
		struct pcache_unit *u = &pc_units[unit_hand];
		unit_hand = unit_hand + 1 == pc_units_used ? 0 : unit_hand + 1;
		if (!u->ino || u->held)
			continue;
		if (u->ref) {
			u->ref = 0;
			continue;
		}
		pc_reclaim_gen++;
		if (!reclaim_unit(u->ino, u->first, u->base) || unit_busy(u))
			continue;
		unit_unhash(u);
		pc_stats.unit_reclaims++;
		return u;
	}
	return NULL;
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
	if (!pc_ready)
		pcache_init();
	if ((u = unit_lookup(ino, first))) {
		if (!unit_intact(u))
			return -EAGAIN;
		bool busy = unit_busy(u);
		u->pde_maps++;
		unit_busy_changed(u, busy);
		u->ref = 1;
		pc_stats.unit_hits++;
		f->u = u;
		f->hit = true;
		return 1;
	}
	if ((err = pcache_own_release(ino, first)))
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
		f->u = NULL;   /* ended */
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
	u->next = pc_ubucket[h];
	pc_ubucket[h] = (uint16_t)(u - pc_units);
	pc_stats.unit_fills++;
	pc_seq_ino = f->ino;
	pc_seq_next = f->first + PCACHE_UNIT_PAGES;
	*base = u->base;
	f->u = NULL;   /* ended */
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
	struct pcache_unit *u = pc_ready ? unit_by_base(base) : NULL;

	if (u && u->pde_maps) {
		bool busy = unit_busy(u);
		u->pde_maps--;
		unit_busy_changed(u, busy);
	}
}

