/* VFS-lite: one ext2 root file system on the first block device, the two
 * kernel devices /dev/null and /dev/zero, and the Linux structures the
 * system calls hand out. Paths here are absolute and normalized
 * (vfs_path_join); everything returns 0 or -errno (Linux values).
 *
 * Namespace operations go straight to ext2; file data goes through the
 * page cache (kernel/pcache.h, write-through). Open files hold a vnode,
 * the in-memory copy of what read() and write() need from the inode
 * (type, size) so that a cached read reaches the disk not at all. */
#ifndef GUEST_KERNEL_VFS_H
#define GUEST_KERNEL_VFS_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/ext2.h"

#define VFS_PATH_MAX 4096u    /* Linux PATH_MAX, NUL included */
#define VFS_VNODES   64u
#define VFS_UMASK    022u     /* Linux's default; umask(2) changes it */

/* Linux x86_64 struct stat (arch/x86/include/uapi/asm/stat.h). */
struct linux_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	uint64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat, x86_64");

/* Linux x86_64 struct statfs (include/uapi/asm-generic/statfs.h, 64-bit). */
struct linux_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs, x86_64");

/* What a path names besides ext2 files (kernel-provided devices). */
enum vfs_dev { VFS_DEV_NONE, VFS_DEV_NULL, VFS_DEV_ZERO };

struct vnode {
	uint32_t ino;             /* 0: free slot */
	uint32_t refs;            /* open files holding it */
	uint16_t mode;            /* EXT2_S_IF* | permissions */
	uint64_t size;            /* current: every size change goes through vfs */
	bool orphan;              /* unlinked while open: freed by the last put */
	uint32_t vmas;            /* VMAs mapping it, in every process: when it
				     is 1 the reverse map knows the only place */
};

extern struct ext2_fs *vfs_root;   /* NULL when there is no disk */
extern uint32_t vfs_umask;

/* Mounts dev (dev_bytes long) as the root; read-only if ro. */
int vfs_mount_root(void *dev, uint64_t dev_bytes, bool ro);
/* Superblock and device flush (fsync, sync). */
int vfs_sync(void);
/* At the end of the VM: sync and leave the volume marked clean. */
void vfs_shutdown(void);

/* base (absolute, normalized) + path (absolute or relative) -> out, with
 * ".", ".." and repeated slashes resolved by name (there are no symbolic
 * links to follow). *must_dir: the path ended in "/", "." or "..". */
int vfs_path_join(const char *base, const char *path, char out[VFS_PATH_MAX], bool *must_dir);
enum vfs_dev vfs_devfs(const char *path);

int vfs_lookup(const char *path, bool must_dir, uint32_t *ino, struct ext2_stat *st);
int vfs_stat(const char *path, bool must_dir, struct linux_stat *st);
void vfs_stat_fill(const struct ext2_stat *es, struct linux_stat *st);
void vfs_stat_dev(enum vfs_dev dev, struct linux_stat *st);
int vfs_statfs(struct linux_statfs *st);

/* A reference on the vnode of ino (st: what the caller already knows). */
struct vnode *vnode_get(uint32_t ino, const struct ext2_stat *st);
void vnode_put(struct vnode *vn);

int vfs_create(const char *path, uint16_t mode, uint32_t *ino);
int vfs_mkdir(const char *path, uint16_t mode);
int vfs_unlink(const char *path);
int vfs_rmdir(const char *path);
int vfs_rename(const char *from, const char *to);
int vfs_truncate(struct vnode *vn, uint64_t size);

/* File data through the page cache; user-memory addresses (uaccess).
 * Byte counts, short at the end of the file or at a fault after some
 * progress; -EFAULT when nothing moved. */
int64_t vfs_read(struct vnode *vn, uint64_t off, uint64_t ubuf, uint64_t len);
int64_t vfs_write(struct vnode *vn, uint64_t off, uint64_t ubuf, uint64_t len);

#endif
