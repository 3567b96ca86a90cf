/* ext2 metadata block cache: whole blocks, so that the small reads the
 * file system makes (a 4-byte block pointer, a bitmap byte, a 32-byte group
 * descriptor, a 128-byte inode) cost a hash lookup instead of a device
 * request each, and directory and bitmap blocks are used in place rather
 * than copied.
 *
 * Write-through: every write goes to the device at once (ext2_dev_write),
 * then the cached copy is brought up to date, so the disk is exactly what
 * it was without the cache after every call and e2fsck sees the same.
 * Small writes (descriptors, inodes, pointers, bitmap bytes) are copied
 * into the cached block; a write made from the cached block itself (a
 * directory block changed in place, a new block) needs nothing; anything
 * else, and any failed write, drops the block so that the next read goes
 * to the device. The cache is per mount: nothing survives ext2_unmount(),
 * so a change made to the image while unmounted is always seen.
 *
 * Bounded: EXT2_CACHE_MAX pages from fs_page_alloc(), taken as needed and
 * held until unmount; past that (or when memory is short) a clock picks
 * the block to reuse. */
#include "fs/ext2_int.h"

#define NIL        0xffffu
#define FREE_BLK   UINT32_MAX  /* s_blocks_count is 32 bits: no block has it */
/* Larger writes than this drop the cached block instead of copying: they
 * are whole blocks of data or zeros, and a copy here is an emulated loop. */
#define COPY_MAX   256u

_Static_assert(EXT2_CACHE_MAX < NIL, "entry numbers fit the chain links");

static uint32_t cache_hash(uint32_t blk)
{
	return (blk * 0x9e3779b1u) >> (32 - EXT2_CACHE_HASH_BITS);
}

void ext2_cache_init(struct ext2_fs *fs)
{
	struct ext2_cache *c = &fs->cache;

	for (uint32_t i = 0; i < (1u << EXT2_CACHE_HASH_BITS); i++)
		c->bucket[i] = NIL;
	c->n = c->hand = 0;
}

void ext2_cache_release(struct ext2_fs *fs)
{
	struct ext2_cache *c = &fs->cache;

	for (uint32_t i = 0; i < c->n; i++) {
		fs_page_free(c->ent[i].data);
		c->ent[i].data = NULL;
	}
	ext2_cache_init(fs);
}

static struct ext2_cache_ent *cache_lookup(struct ext2_cache *c, uint32_t blk)
{
	for (uint16_t i = c->bucket[cache_hash(blk)]; i != NIL; i = c->ent[i].next)
		if (c->ent[i].blk == blk)
			return &c->ent[i];
	return NULL;
}

static void cache_unlink(struct ext2_cache *c, struct ext2_cache_ent *e)
{
	uint16_t *link = &c->bucket[cache_hash(e->blk)];
	uint16_t self = (uint16_t)(e - c->ent);

	while (*link != self)
		link = &c->ent[*link].next;
	*link = e->next;
	e->blk = FREE_BLK;
}

static void cache_insert(struct ext2_cache *c, struct ext2_cache_ent *e, uint32_t blk)
{
	uint32_t h = cache_hash(blk);

	e->blk = blk;
	e->ref = 1;
	e->next = c->bucket[h];
	c->bucket[h] = (uint16_t)(e - c->ent);
}

/* A free entry with a page: a new one while there is room and memory,
 * else the first the clock hand finds unreferenced. */
static struct ext2_cache_ent *cache_victim(struct ext2_cache *c)
{
	struct ext2_cache_ent *e;

	if (c->n < EXT2_CACHE_MAX) {
		uint8_t *page = fs_page_alloc();

		if (page) {
			e = &c->ent[c->n++];
			e->data = page;
			e->blk = FREE_BLK;
			return e;
		}
		if (!c->n)
			return NULL;
	}
	for (;;) {
		e = &c->ent[c->hand];
		c->hand = c->hand + 1 == c->n ? 0 : c->hand + 1;
		if (e->blk == FREE_BLK)
			return e;
		if (!e->ref) {
			cache_unlink(c, e);
			return e;
		}
		e->ref = 0;
	}
}

int ext2_block(struct ext2_fs *fs, uint32_t blk, uint8_t **p)
{
	struct ext2_cache *c = &fs->cache;
	struct ext2_cache_ent *e = cache_lookup(c, blk);
	int err;

	if (e) {
		c->hits++;
		e->ref = 1;
		*p = e->data;
		return 0;
	}
	/* Callers check block numbers; this keeps a miss inside the volume
	 * whatever they pass. */
	if (blk >= fs->sb.s_blocks_count)
		return -EIO;
	c->misses++;
	if (!(e = cache_victim(c)))
		return -ENOMEM;
	err = ext2_dev_read(fs, ext2_blk_off(fs, blk), e->data, fs->block_size);
	if (err)
		return err; /* the entry stays free */
	cache_insert(c, e, blk);
	*p = e->data;
	return 0;
}

int ext2_block_new(struct ext2_fs *fs, uint32_t blk, uint8_t **p)
{
	struct ext2_cache *c = &fs->cache;
	struct ext2_cache_ent *e = cache_lookup(c, blk);

	if (blk >= fs->sb.s_blocks_count)
		return -EIO;
	if (!e) {
		if (!(e = cache_victim(c)))
			return -ENOMEM;
		cache_insert(c, e, blk);
	}
	e->ref = 1;
	fs_page_zero(e->data);
	*p = e->data;
	return 0;
}

int ext2_meta_read(struct ext2_fs *fs, uint64_t off, void *buf, size_t len)
{
	uint32_t mask = fs->block_size - 1;
	uint8_t *p;
	int err;

	/* Nothing asks for a range across blocks; should it, the device. */
	if (len == 0 || (off & mask) + len > fs->block_size || (off >> fs->block_shift) > UINT32_MAX)
		return ext2_dev_read(fs, off, buf, len);
	err = ext2_block(fs, (uint32_t)(off >> fs->block_shift), &p);
	if (err)
		return err;
	ext2_copy(buf, p + (off & mask), len);
	return 0;
}

void ext2_cache_wrote(struct ext2_fs *fs, uint64_t off, const void *buf, size_t len, bool ok)
{
	struct ext2_cache *c = &fs->cache;
	uint64_t first, last;

	if (len == 0 || !c->n)
		return;
	first = off >> fs->block_shift;
	last = (off + len - 1) >> fs->block_shift;
	if (first > UINT32_MAX)
		return;
	if (last > UINT32_MAX)
		last = UINT32_MAX;
	for (uint64_t blk = first; blk <= last; blk++) {
		struct ext2_cache_ent *e = cache_lookup(c, (uint32_t)blk);
		uint8_t *at;

		if (!e)
			continue;
		at = e->data + (blk == first ? (off & (fs->block_size - 1)) : 0);
		if (ok && at == buf)
			continue; /* written from the cached block itself */
		if (ok && first == last && len <= COPY_MAX) {
			ext2_copy(at, buf, len);
			continue;
		}
		cache_unlink(c, e);
	}
}
