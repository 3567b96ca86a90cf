/* Internal interface between the ext2 source files; not for other modules.
 *
 *   ext2.c        mount, sync, device access, group descriptors, inodes
 *   ext2_cache.c  the metadata block cache
 *   ext2_alloc.c  block and inode bitmaps
 *   ext2_bmap.c   logical -> physical block map, freeing mapped blocks
 *   ext2_file.c   read, write, truncate
 *   ext2_dir.c    directory entries, readdir, path walk
 *   ext2_namei.c  create, mkdir, unlink, rmdir, rename
 */
#ifndef GUEST_FS_EXT2_INT_H
#define GUEST_FS_EXT2_INT_H

#include "fs/ext2.h"
#include "fs/fs_hooks.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Disk bytes are read into page buffers and reinterpreted; these keep the
 * compiler's aliasing rules out of it. The builtin stays inline even under
 * the kernel's -fno-builtin. */
static inline uint16_t ext2_get16(const uint8_t *p)
{
	uint16_t v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t ext2_get32(const uint8_t *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

/* Two little-endian 32-bit fields, the first in the low half. */
static inline uint64_t ext2_get64(const uint8_t *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline void ext2_put16(uint8_t *p, uint16_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

static inline void ext2_put32(uint8_t *p, uint32_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

static inline uint64_t ext2_blk_off(const struct ext2_fs *fs, uint32_t blk)
{
	return (uint64_t)blk << fs->block_shift;
}

static inline bool ext2_is_dir(const struct ext2_inode *in)
{
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

static inline bool ext2_is_reg(const struct ext2_inode *in)
{
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG;
}

/* i_blocks counts 512-byte sectors. */
static inline uint32_t ext2_sectors_per_block(const struct ext2_fs *fs)
{
	return fs->block_size >> 9;
}

/* Copies of metadata: one `rep movsq` when both ends and the length are
 * multiples of 8 (inodes, descriptors, pointer chunks always are), since
 * the kernel's memcpy moves one byte at a time and every guest instruction
 * counts: on kvm-pvm a rep iteration costs what one instruction does, a
 * loop step five (a 128-byte inode: 16 iterations instead of ~110
 * instructions). */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static inline void
ext2_copy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (!(((uintptr_t)d | (uintptr_t)s | n) & 7)) {
		size_t words = n / 8;
		__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
		return;
	}
	while (n--)
		*d++ = *s++;
}

/* ext2.c. dev_read goes to the device (file data, the superblock at
 * mount); dev_write is every write, and keeps the block cache current. */
int ext2_dev_read(struct ext2_fs *fs, uint64_t off, void *buf, size_t len);
int ext2_dev_write(struct ext2_fs *fs, uint64_t off, const void *buf, size_t len);
/* Writes block_size zero bytes at the start of blk; with cache set the
 * block also enters the block cache (a new indirect block, read next). */
int ext2_zero_block(struct ext2_fs *fs, uint32_t blk, bool cache);
/* A block number an inode or a descriptor may point at. */
bool ext2_blk_ok(const struct ext2_fs *fs, uint32_t blk);
uint32_t ext2_group_blocks(const struct ext2_fs *fs, uint32_t group);
int ext2_gd_read(struct ext2_fs *fs, uint32_t group, struct ext2_group_desc *gd);
int ext2_gd_write(struct ext2_fs *fs, uint32_t group, const struct ext2_group_desc *gd);
/* The first 128 bytes of inode ino; -EINVAL when ino is out of range. */
int ext2_inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);
/* The same without a copy: the remembered inode itself, valid until the
 * next inode read or device write (a file's page-cache fills, ~75 emulated
 * instructions of copying less each); NULL with *err on failure. */
const struct ext2_inode *ext2_inode_ref(struct ext2_fs *fs, uint32_t ino, int *err);
int ext2_inode_write(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in);
/* A fresh inode: the whole on-disk slot zeroed, then in written over it. */
int ext2_inode_init(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in);
uint64_t ext2_inode_size(const struct ext2_inode *in);
void ext2_inode_set_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size);
/* Largest regular file size the block map and i_blocks can describe. */
uint64_t ext2_max_file_size(const struct ext2_fs *fs);
/* Frees everything an unlinked inode holds, then the inode itself. */
int ext2_inode_release(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);

/* ext2_cache.c. Metadata reads go through the cache; a block pointer
 * stays valid until the next miss (reads of other blocks), writes never
 * move blocks. */
void ext2_cache_init(struct ext2_fs *fs);
void ext2_cache_release(struct ext2_fs *fs);
/* Block blk, read from the device on a miss. */
int ext2_block(struct ext2_fs *fs, uint32_t blk, uint8_t **p);
/* Block blk as zeros, without a read: the caller fills it and writes it
 * from there (a new directory or indirect block). */
int ext2_block_new(struct ext2_fs *fs, uint32_t blk, uint8_t **p);
/* len bytes at disk offset off, inside one block, from the cache. */
int ext2_meta_read(struct ext2_fs *fs, uint64_t off, void *buf, size_t len);
/* After a write of [off, off+len) from buf (ok: it reached the device):
 * cached copies are updated, or dropped when that is cheaper or the write
 * failed. */
void ext2_cache_wrote(struct ext2_fs *fs, uint64_t off, const void *buf, size_t len, bool ok);

/* ext2_alloc.c: every count (group descriptor, superblock) moves with the
 * bitmap bit. A bit already in the wanted state is corruption: -EIO. */
int ext2_balloc(struct ext2_fs *fs, uint32_t goal, uint32_t *blk);
int ext2_bfree(struct ext2_fs *fs, uint32_t blk);
int ext2_ialloc(struct ext2_fs *fs, uint32_t parent, bool is_dir, uint32_t *ino);
int ext2_ifree(struct ext2_fs *fs, uint32_t ino, bool is_dir);

/* ext2_bmap.c. The inode is updated in memory (i_block, i_blocks); the
 * caller writes it back, error or not. */
#define EXT2_BMAP_ALLOC  0x1u /* fill a hole with a new block */
#define EXT2_BMAP_NOZERO 0x2u /* caller overwrites the whole new data block */
int ext2_bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk,
	      unsigned flags, uint32_t *pblk);
/* ext2_bmap without allocation, for a run: *pblk for lblk (0: a hole) and in
 * *run how many blocks from lblk on (1..max) continue it on the disk (or
 * stay holes), as far as the same block of pointers says. One walk down
 * the indirect blocks for the run instead of one per block. With want
 * other than EXT2_RUN_ANY, a run that does not start at block want (a
 * caller continuing another run) is not counted: *run is 1. */
#define EXT2_RUN_ANY UINT32_MAX   /* never a block number */
int ext2_bmap_run(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t lblk, uint32_t max,
		  uint32_t want, uint32_t *pblk, uint32_t *run);
/* Frees every block mapping logical blocks >= first, indirect ones too. */
int ext2_free_blocks_from(struct ext2_fs *fs, struct ext2_inode *in, uint64_t first);

/* ext2_dir.c */
struct ext2_dir_loc {
	uint32_t lblk, pblk; /* directory block holding the entry */
	uint32_t off;        /* entry offset inside the block */
	uint32_t ino;        /* what it names */
	uint8_t type;        /* EXT2_FT_* as stored (0 without the feature) */
};
int ext2_dir_find(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din, const char *name,
		  size_t len, struct ext2_dir_loc *loc);
/* Both write the directory inode back (times, size, cleared index flag). */
int ext2_dir_add(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din, const char *name,
		 size_t len, uint32_t ino, uint8_t type);
int ext2_dir_remove(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
		    const struct ext2_dir_loc *loc);
/* Points an existing entry at another inode (rename over, ".." update). */
int ext2_dir_retarget(struct ext2_fs *fs, const struct ext2_dir_loc *loc, uint32_t ino,
		      uint8_t type);
/* 1 when only "." and ".." are left, 0 otherwise, or -errno. */
int ext2_dir_is_empty(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din);
/* The first block of a new directory: "." and "..". */
int ext2_dir_init_block(struct ext2_fs *fs, uint32_t pblk, uint32_t self, uint32_t parent);
/* Resolves path; with parent set, stops before the last component and
 * returns it in *last and *last_len (NULL and 0 for "/"), the directory
 * in *ino. */
int ext2_walk(struct ext2_fs *fs, const char *path, bool parent, uint32_t *ino, const char **last,
	      size_t *last_len);
uint8_t ext2_mode_to_ftype(uint16_t mode);

#endif
