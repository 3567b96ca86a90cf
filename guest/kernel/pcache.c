/* A fixed table of entries with hash chains by (ino, idx) and a clock hand
 * for eviction. Nothing here loops over page bytes: fills and zeroing use
 * the string instructions of arch_uaccess_copy/zero, which are one emulated
 * instruction each rather than one per byte. */
#include "kernel/pcache.h"

#include "arch/x86/syscall_arch.h"
#include "fs/fs_hooks.h"
#include "lib/errno.h"

#define PCACHE_BUCKETS 512u   /* power of two */
#define NIL            0xffffu

struct pcache_ent {
	uint32_t ino;             /* 0: free */
	uint64_t idx;
	uint8_t *page;            /* owned by the cache while ino != 0 */
	uint16_t next;            /* hash chain */
	uint8_t ref;              /* clock: used since the hand last passed */
};
_Static_assert(PCACHE_MAX < NIL, "entry numbers fit the chain links");

static struct pcache_ent ent[PCACHE_MAX];
static uint16_t bucket[PCACHE_BUCKETS];
static uint32_t nused;        /* entries ever handed out: [0, nused) */
static uint32_t hand;
static bool ready;
static struct pcache_stats stats;

static uint32_t pcache_hash(uint32_t ino, uint64_t idx)
{
	return (uint32_t)((ino * 0x9e3779b1u) ^ idx) & (PCACHE_BUCKETS - 1);
}

static void pcache_init(void)
{
	for (uint32_t i = 0; i < PCACHE_BUCKETS; i++)
		bucket[i] = NIL;
	ready = true;
}

static struct pcache_ent *pcache_lookup(uint32_t ino, uint64_t idx)
{
	if (!ready)
		return NULL;
	for (uint16_t i = bucket[pcache_hash(ino, idx)]; i != NIL; i = ent[i].next)
		if (ent[i].ino == ino && ent[i].idx == idx)
			return &ent[i];
	return NULL;
}

static void pcache_unlink(struct pcache_ent *e)
{
	uint16_t *link = &bucket[pcache_hash(e->ino, e->idx)];
	uint16_t self = (uint16_t)(e - ent);

	while (*link != self)
		link = &ent[*link].next;
	*link = e->next;
	e->ino = 0;
}

/* A free entry, with a page: a never-used one while there are any, then
 * the first the clock hand finds unreferenced. */
static struct pcache_ent *pcache_victim(void)
{
	struct pcache_ent *e;

	if (nused < PCACHE_MAX) {
		uint8_t *page = fs_page_alloc();
		if (page) {
			e = &ent[nused++];
			e->page = page;
			stats.pages++;
			return e;
		}
		if (!nused)
			return NULL;
	}
	for (;;) {
		e = &ent[hand];
		hand = hand + 1 == nused ? 0 : hand + 1;
		if (!e->ino)
			return e;
		if (!e->ref) {
			pcache_unlink(e);
			stats.evictions++;
			return e;
		}
		e->ref = 0;
	}
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
	struct pcache_ent *e;

	if (!ready)
		pcache_init();
	if ((e = pcache_lookup(ino, idx))) {
		stats.hits++;
		e->ref = 1;
		*page = e->page;
		return 0;
	}
	stats.misses++;
	if (idx > (UINT64_MAX >> PCACHE_SHIFT))
		return -EINVAL;
	if (!(e = pcache_victim()))
		return -ENOMEM;
	int64_t n = ext2_read(fs, ino, idx << PCACHE_SHIFT, e->page, PCACHE_PAGE);
	if (n < 0)
		return (int)n;   /* the entry stays free */
	if (n < PCACHE_PAGE)
		arch_uaccess_zero(e->page + n, PCACHE_PAGE - (size_t)n);
	uint32_t h = pcache_hash(ino, idx);
	e->ino = ino;
	e->idx = idx;
	e->ref = 1;
	e->next = bucket[h];
	bucket[h] = (uint16_t)(e - ent);
	*page = e->page;
	return 0;
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

void pcache_reset(void)
{
	for (uint32_t i = 0; i < nused; i++) {
		fs_page_free(ent[i].page);
		ent[i].ino = 0;
		ent[i].page = NULL;
	}
	nused = hand = 0;
	stats.pages = 0;
	ready = false;
}

void pcache_get_stats(struct pcache_stats *st)
{
	*st = stats;
}
