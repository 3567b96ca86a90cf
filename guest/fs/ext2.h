/* The guest's ext2 file system: mount an image reached through fs_hooks.h,
 * resolve absolute paths, read and write files, change the namespace.
 *
 * Every function returns 0 (or a byte count) on success and a negative Linux
 * errno on failure. Everything read from the disk is untrusted: a damaged
 * image gives -EINVAL at mount or -EIO later, never a crash and never a write
 * outside the volume.
 *
 * Not reentrant: one caller at a time per struct ext2_fs (the VFS above will
 * hold a lock). No caching beyond the superblock: the page cache above keeps
 * file data, so each call goes to the device. The image is consistent for
 * e2fsck after every call that returns, except the superblock's summary
 * counts and state, which reach the disk on ext2_sync() and ext2_unmount().
 *
 * Files and the other names below are raw inode numbers; no open-file
 * bookkeeping: ext2_unlink() frees an inode as soon as its last link goes. */
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
	/* Two page buffers from fs_page_alloc(), held while mounted: one for
	 * directory blocks (dirbuf), one for bitmaps and zero fill (scratch).
	 * Nothing else in the kernel touches them. */
	uint8_t *dirbuf;
	uint8_t *scratch;
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
/* Shrinking frees blocks; growing leaves a hole. Regular files only. */
int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size);

/* mode: permission bits only; ino (may be NULL) receives the new inode. */
int ext2_create(struct ext2_fs *fs, const char *path, uint16_t mode, uint32_t *ino);
int ext2_mkdir(struct ext2_fs *fs, const char *path, uint16_t mode, uint32_t *ino);
int ext2_unlink(struct ext2_fs *fs, const char *path);
int ext2_rmdir(struct ext2_fs *fs, const char *path);
/* Replaces an existing target the way rename(2) does. */
int ext2_rename(struct ext2_fs *fs, const char *from, const char *to);

/* *pos starts at 0; returns 1 with *item filled and *pos advanced, 0 at the
 * end of the directory, or -errno. Unused slots are skipped. */
int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *pos, struct ext2_dir_item *item);

#endif
