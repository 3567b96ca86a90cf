/* The guest's ext2 file system: mount an image reached through fs_hooks.h,
 * resolve absolute paths, read and write files, change the namespace.
 *
 * Every function returns 0 (or a byte count) on success and a negative Linux
 * errno on failure. Everything read from the disk is untrusted: a damaged
 * image gives -EINVAL at mount or -EIO later, never a crash and never a write
 * outside the volume.
 *
 * Not reentrant: one caller at a time per struct ext2_fs (the VFS above will
 * hold a lock). Metadata blocks (group descriptors, bitmaps, inode tables,
 * indirect and directory blocks) are kept in a small write-through block
 * cache (ext2_cache.c); file data is not: the page cache above keeps it and
 * reads it with ext2_pages_map()/ext2_pages_read(). Every write reaches the
 * device before the call returns, so the image is consistent for e2fsck
 * after every call that returns, except the superblock's summary counts and
 * state, which reach the disk on ext2_sync() and ext2_unmount().
 *
 * Files and the other names below are raw inode numbers; no open-file
 * bookkeeping: ext2_unlink() frees an inode as soon as its last link goes,
 * unless the caller (which knows the file is still open) asks to keep it
 * for ext2_orphan_release(), as Linux keeps an open unlinked inode. */
#ifndef GUEST_FS_EXT2_H
#define GUEST_FS_EXT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The on-disk format, include/ext2.h (angle brackets: a quoted include here
 * would find this file first). */
#include <ext2.h>

#define EXT2_MOUNT_RDONLY 0x1u

/* Longest path accepted, NUL excluded, and most components walked. */
#define EXT2_PATH_MAX  4095u
#define EXT2_PATH_HOPS 128u

/* The metadata block cache: EXT2_CACHE_MAX blocks, one page each (blocks
 * are at most 4 KiB), found by hash chains, evicted by a clock. */
#define EXT2_CACHE_MAX       64u
#define EXT2_CACHE_HASH_BITS 7u

struct ext2_cache_ent {
	uint32_t blk;            /* UINT32_MAX: free */
	uint16_t next;           /* hash chain */
	uint8_t ref;             /* clock: used since the hand last passed */
	uint8_t *data;           /* a page from fs_page_alloc(), held until unmount */
};

struct ext2_cache {
	struct ext2_cache_ent ent[EXT2_CACHE_MAX];
	uint16_t bucket[1u << EXT2_CACHE_HASH_BITS];
	uint32_t n;              /* entries with a page: [0, n) */
	uint32_t hand;
	uint64_t hits, misses;
};

struct ext2_fs {
	void *dev;               /* passed to the blk_* hooks */
	struct ext2_super sb;    /* primary superblock; counts kept current */
	bool sb_dirty;           /* sb differs from the disk */
	uint16_t mount_state;    /* s_state found at mount, restored at unmount */
	bool rdonly;
	bool filetype;           /* dirents carry a file type byte */
	uint32_t block_size;
	uint32_t block_shift;    /* log2(block_size) */
	uint32_t addr_per_block; /* 32-bit block numbers per indirect block */
	uint32_t groups;
	uint32_t gdt_block;      /* first block of the descriptor table */
	uint32_t itable_blocks;  /* inode table length of every group */
	uint32_t inode_size;
	uint32_t first_ino;      /* first inode a file may use */
	/* The directory block being worked on: a block of the cache, valid
	 * until the next cache miss. */
	uint8_t *dirbuf;
	/* A page from fs_page_alloc(), held while mounted, for zero fill and
	 * new inodes. Nothing else in the kernel touches it. */
	uint8_t *scratch;
	struct ext2_cache cache;
	/* The inode read last, by number (0: none) and disk offset: a file's
	 * faults and reads ask for the same inode again and again, and finding
	 * it in the block cache costs ~300 instructions (emulated on kvm-pvm).
	 * Every device write over its bytes forgets it. */
	uint32_t last_ino;
	uint64_t last_ino_off;
	struct ext2_inode last_inode;
	/* The longest disk run ext2_pages_map found last: blocks [lblk,
	 * lblk + n) of file ino at disk blocks from pblk. A sequential reader
	 * of big pieces asks for the rest of it next, and then walks no block
	 * map (a few hundred emulated instructions a 2 MiB piece). Any block
	 * map change allocates or frees a block, and both forget it (ino 0). */
	struct {
		uint32_t ino;
		uint32_t pblk;
		uint64_t lblk, n;
		bool ended;           /* the run stops at lblk + n (the next block
					 does not continue it) */
	} run_memo;
};

/* A run of a file's 4 KiB pages that one device request can read (or that
 * is all holes), from ext2_pages_map(). */
struct ext2_pages {
	uint64_t idx;            /* first page */
	uint64_t size;           /* file size */
	uint32_t pblk;           /* disk block of the first page's first block; 0: holes */
	unsigned n;              /* pages in the run, 0 when idx is past the end */
	bool split;              /* n == 1 and its blocks are not one run: read block by block */
};

struct ext2_stat {
	uint32_t ino;
	uint16_t mode;   /* EXT2_S_IF* | permissions */
	uint16_t nlink;
	uint32_t uid, gid;
	uint64_t size;
	uint64_t blocks; /* 512-byte units, metadata included */
	uint32_t blksize;
	uint32_t atime, mtime, ctime;
};

/* One name from ext2_readdir(). */
struct ext2_dir_item {
	uint32_t ino;
	uint8_t type;          /* EXT2_FT_* */
	uint8_t name_len;
	char name[EXT2_NAME_LEN + 1]; /* NUL-terminated */
};

/* dev_bytes is the size of the device: the volume must fit inside it. */
int ext2_mount(struct ext2_fs *fs, void *dev, uint64_t dev_bytes, unsigned flags);
/* Writes the superblock back marked clean and releases the buffers. The
 * struct is dead afterwards, even when the final write fails. */
int ext2_unmount(struct ext2_fs *fs);
/* Superblock to disk, then a device flush. */
int ext2_sync(struct ext2_fs *fs);

/* path is absolute; "." and ".." are honoured, symbolic links are not
 * followed (a link in the middle of a path is -ENOTDIR). */
int ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino);
int ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st);

/* Byte counts (short at end of file), or -errno. Holes read as zeros. */
int64_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len);
int64_t ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf,
		   size_t len);
/* File pages for a cache: ext2_pages_map() finds how many pages from idx
 * (at most max, none past the end of the file) continue the disk run of
 * page idx, so that ext2_pages_read() can read them into n pages of
 * FS_PAGE_SIZE with one request (holes are zeroed). The read returns the
 * bytes of file it filled (at most n pages, less at the end of the file;
 * what follows in the last page is undefined) or -errno. */
int ext2_pages_map(struct ext2_fs *fs, uint32_t ino, uint64_t idx, unsigned max,
		   struct ext2_pages *m);
/* The same, for a reader that will ask for the pages after these next (a
 * large page-cache unit, in pieces): the run is followed up to ahead pages
 * further and remembered (fs->run_memo), and the next pieces inside it
 * walk no block map. */
int ext2_pages_map_ahead(struct ext2_fs *fs, uint32_t ino, uint64_t idx, unsigned max,
			 unsigned ahead, struct ext2_pages *m);
int64_t ext2_pages_read(struct ext2_fs *fs, uint32_t ino, struct ext2_pages *m,
			uint8_t *const *pages);
/* ext2_pages_read into m->n contiguous pages at dst. */
int64_t ext2_pages_read_into(struct ext2_fs *fs, uint32_t ino, struct ext2_pages *m,
			     uint8_t *dst);
/* The same in two steps, so the caller can work while the device reads:
 * start (0: started; 1: it cannot be, read with ext2_pages_read_into;
 * -errno), then finish (what ext2_pages_read_into returns). One at a time
 * a file system. */
int ext2_pages_read_start(struct ext2_fs *fs, struct ext2_pages *m, uint8_t *dst);
int64_t ext2_pages_read_finish(struct ext2_fs *fs, uint32_t ino, struct ext2_pages *m);
/* Shrinking frees blocks; growing leaves a hole. Regular files only. */
int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size);

/* mode: permission bits only; ino (may be NULL) receives the new inode. */
int ext2_create(struct ext2_fs *fs, const char *path, uint16_t mode, uint32_t *ino);
int ext2_mkdir(struct ext2_fs *fs, const char *path, uint16_t mode, uint32_t *ino);
int ext2_unlink(struct ext2_fs *fs, const char *path);
/* The same, but an inode that loses its last link stays allocated with no
 * links (*orphan set) until ext2_orphan_release(). */
int ext2_unlink_keep(struct ext2_fs *fs, const char *path, bool *orphan);
/* Frees an inode ext2_unlink_keep left without links (no-op otherwise). */
int ext2_orphan_release(struct ext2_fs *fs, uint32_t ino);
int ext2_rmdir(struct ext2_fs *fs, const char *path);
/* Replaces an existing target the way rename(2) does. */
int ext2_rename(struct ext2_fs *fs, const char *from, const char *to);
/* The same, keeping a replaced file that loses its last link as an orphan
 * (*orphan set), as ext2_unlink_keep does; a replaced directory is freed. */
int ext2_rename_keep(struct ext2_fs *fs, const char *from, const char *to, bool *orphan);

/* *pos starts at 0; returns 1 with *item filled and *pos advanced, 0 at the
 * end of the directory, or -errno. Unused slots are skipped. */
int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *pos, struct ext2_dir_item *item);

#endif
