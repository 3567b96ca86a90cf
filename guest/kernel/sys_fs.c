/* System calls on path names. A user path is copied in, joined to the
 * directory it is relative to (the cwd or a directory descriptor) and
 * normalized (vfs_path_join); the rest is kernel/vfs.c. */
#include <stdint.h>

#include "fs/fs_hooks.h"
#include "kernel/file.h"
#include "kernel/proc.h"
#include "kernel/procfs.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_EACCESS          0x200
#define R_OK 4
#define W_OK 2
#define X_OK 1
#define PATH_CHUNK 64   /* aligned pieces never cross a page */

/* One process and one call at a time: two path buffers suffice (rename
 * needs both), plus the raw copy a path is joined from. */
static char raw[VFS_PATH_MAX];
static char path_a[VFS_PATH_MAX], path_b[VFS_PATH_MAX];

/* The NUL-terminated string at u, copied in aligned pieces so that a
 * string ending just before an unmapped page is still read whole. */
static int path_copy(uint64_t u, char *buf, bool *empty)
{
	size_t done = 0;

	while (done < VFS_PATH_MAX) {
		size_t n = PATH_CHUNK - ((u + done) & (PATH_CHUNK - 1));
		if (n > VFS_PATH_MAX - done)
			n = VFS_PATH_MAX - done;
		if (copy_from_user(buf + done, u + done, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (!buf[done + i]) {
				*empty = done + i == 0;
				return 0;
			}
		done += n;
	}
	return -ENAMETOOLONG;
}

/* The directory a relative path starts from: the cwd for AT_FDCWD, else
 * the directory open as dirfd. */
static int path_base(uint64_t dirfd, const char **base)
{
	if ((int)dirfd == AT_FDCWD) {
		*base = proc_current->cwd;
		return 0;
	}
	struct file *fp = fd_get(&proc_current->files, dirfd);
	if (!fp)
		return -EBADF;
	if (fp->kind != FILE_DIR)
		return -ENOTDIR;
	*base = fp->path;
	return 0;
}

/* User path at u relative to dirfd -> out. raw keeps the copy as given. */
static int path_at(uint64_t dirfd, uint64_t u, char *out, bool *must_dir)
{
	const char *base = proc_current->cwd;
	bool empty;
	int err = path_copy(u, raw, &empty);

	if (err)
		return err;
	if (empty)
		return -ENOENT;
	if (raw[0] != '/' && (err = path_base(dirfd, &base)))
		return err;
	return vfs_path_join(base, raw, out, must_dir);
}

static bool rofs(void)
{
	return vfs_root && vfs_root->rdonly;
}

static long open_dev(enum vfs_dev dev, uint64_t flags)
{
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	struct file *fp = file_alloc(dev == VFS_DEV_NULL ? FILE_NULL : FILE_ZERO,
				     (uint32_t)flags | O_LARGEFILE);
	if (!fp)
		return -ENFILE;
	int fd = fd_install(&proc_current->files, fp, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(fp);
	return fd;
}

static long do_open(uint64_t dirfd, uint64_t upath, uint64_t flags, uint64_t mode)
{
	uint32_t acc = flags & O_ACCMODE, ino;
	bool must_dir, created = false, writes = acc != O_RDONLY || flags & O_TRUNC;
	struct ext2_stat st;
	struct vnode *vn;
	struct file *fp;
	enum vfs_dev dev;
	int err, fd;

	if (acc == O_ACCMODE)
		return -EINVAL;
	if ((err = path_at(dirfd, upath, path_a, &must_dir)))
		return err;
	if ((dev = vfs_devfs(path_a)))
		return open_dev(dev, flags);
	if (procfs_path(path_a)) {
		if ((err = procfs_open(path_a, (uint32_t)flags, &fp)))
			return err;
		if ((fd = fd_install(&proc_current->files, fp, 0, flags & O_CLOEXEC)) < 0)
			file_put(fp);
		return fd;
	}
	err = vfs_lookup(path_a, must_dir, &ino, &st);
	if (err == -ENOENT && flags & O_CREAT) {
		if (must_dir || flags & O_DIRECTORY)
			return -EISDIR;
		if (rofs())
			return -EROFS;
		if ((err = vfs_create(path_a, (uint16_t)mode, &ino)) ||
		    (err = ext2_stat(vfs_root, ino, &st)))
			return err;
		created = true;
	} else if (err) {
		return err;
	} else if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		return -EEXIST;
	}
	uint16_t type = st.mode & EXT2_S_IFMT;
	if (type == EXT2_S_IFDIR) {
		if (acc != O_RDONLY || flags & O_CREAT)
			return -EISDIR;
	} else if (flags & O_DIRECTORY) {
		return -ENOTDIR;
	} else if (type == EXT2_S_IFLNK) {
		return -ELOOP;    /* symbolic links are not followed */
	} else if (type != EXT2_S_IFREG) {
		return -ENXIO;    /* device nodes and FIFOs on the disk */
	}
	if (writes && rofs())
		return -EROFS;
	if (!(vn = vnode_get(ino, &st)))
		return -ENFILE;
	/* Linux truncates with O_TRUNC even when opened read-only. */
	if (type == EXT2_S_IFREG && flags & O_TRUNC && !created && vn->size &&
	    (err = vfs_truncate(vn, 0)))
		goto fail_vnode;
	err = -ENFILE;
	if (!(fp = file_alloc(type == EXT2_S_IFDIR ? FILE_DIR : FILE_REG,
			      (uint32_t)flags | O_LARGEFILE)))
		goto fail_vnode;
	fp->vn = vn;
	err = -ENOMEM;
	if (!(fp->path = fs_page_alloc()))
		goto fail_file;
	memcpy(fp->path, path_a, strlen(path_a) + 1);
	if ((fd = fd_install(&proc_current->files, fp, 0, flags & O_CLOEXEC)) < 0) {
		err = fd;
		goto fail_file;
	}
	return fd;

fail_file:
	file_put(fp);   /* drops the vnode reference with it */
	return err;
fail_vnode:
	vnode_put(vn);
	return err;
}

long sys_open(struct syscall_frame *f)
{
	return do_open((uint64_t)AT_FDCWD, f->arg[0], f->arg[1], f->arg[2]);
}

long sys_openat(struct syscall_frame *f)
{
	return do_open(f->arg[0], f->arg[1], f->arg[2], f->arg[3]);
}

long sys_creat(struct syscall_frame *f)
{
	return do_open((uint64_t)AT_FDCWD, f->arg[0], O_CREAT | O_WRONLY | O_TRUNC, f->arg[1]);
}

static long do_stat(uint64_t dirfd, uint64_t upath, uint64_t ust, uint64_t flags)
{
	struct linux_stat st;
	bool must_dir, empty;
	int err;

	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	if (flags & AT_EMPTY_PATH) {
		if ((err = path_copy(upath, raw, &empty)))
			return err;
		if (empty && (int)dirfd != AT_FDCWD) {
			struct file *fp = fd_get(&proc_current->files, dirfd);
			if (!fp)
				return -EBADF;
			if ((err = file_stat(fp, &st)))
				return err;
			return copy_to_user(ust, &st, sizeof(st));
		}
		if (empty) {   /* AT_FDCWD: the working directory itself */
			if ((err = vfs_stat(proc_current->cwd, true, &st)))
				return err;
			return copy_to_user(ust, &st, sizeof(st));
		}
	}
	if ((err = path_at(dirfd, upath, path_a, &must_dir)))
		return err;
	if ((err = vfs_stat(path_a, must_dir, &st)))
		return err;
	return copy_to_user(ust, &st, sizeof(st));
}

long sys_stat(struct syscall_frame *f)
{
	return do_stat((uint64_t)AT_FDCWD, f->arg[0], f->arg[1], 0);
}

/* Symbolic links are never followed here, so lstat is stat. */
long sys_lstat(struct syscall_frame *f)
{
	return do_stat((uint64_t)AT_FDCWD, f->arg[0], f->arg[1], AT_SYMLINK_NOFOLLOW);
}

long sys_newfstatat(struct syscall_frame *f)
{
	return do_stat(f->arg[0], f->arg[1], f->arg[2], f->arg[3]);
}

long sys_statfs(struct syscall_frame *f)
{
	struct linux_statfs st;
	struct linux_stat ls;
	bool must_dir;
	int err;

	if ((err = path_at((uint64_t)AT_FDCWD, f->arg[0], path_a, &must_dir)) ||
	    (err = vfs_stat(path_a, must_dir, &ls)) || (err = vfs_statfs(&st)))
		return err;
	return copy_to_user(f->arg[1], &st, sizeof(st));
}

/* Everyone is root: only W_OK on a read-only disk and X_OK on a file
 * with no execute bit at all can fail. */
static long do_access(uint64_t dirfd, uint64_t upath, uint64_t mode, uint64_t flags)
{
	struct linux_stat st;
	bool must_dir;
	int err;

	if (mode & ~(uint64_t)(R_OK | W_OK | X_OK) ||
	    flags & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((err = path_at(dirfd, upath, path_a, &must_dir)) ||
	    (err = vfs_stat(path_a, must_dir, &st)))
		return err;
	if (mode & W_OK && rofs() && !vfs_devfs(path_a))
		return -EROFS;
	if (mode & X_OK && (st.st_mode & EXT2_S_IFMT) != EXT2_S_IFDIR && !(st.st_mode & 0111))
		return -EACCES;
	return 0;
}

long sys_access(struct syscall_frame *f)
{
	return do_access((uint64_t)AT_FDCWD, f->arg[0], f->arg[1], 0);
}

long sys_faccessat(struct syscall_frame *f)
{
	return do_access(f->arg[0], f->arg[1], f->arg[2], 0);
}

static long do_mkdir(uint64_t dirfd, uint64_t upath, uint64_t mode)
{
	bool must_dir;
	int err;

	if ((err = path_at(dirfd, upath, path_a, &must_dir)))
		return err;
	if (vfs_devfs(path_a))
		return -EEXIST;
	if (rofs())
		return -EROFS;
	return vfs_mkdir(path_a, (uint16_t)mode);
}

long sys_mkdir(struct syscall_frame *f)
{
	return do_mkdir((uint64_t)AT_FDCWD, f->arg[0], f->arg[1]);
}

long sys_mkdirat(struct syscall_frame *f)
{
	return do_mkdir(f->arg[0], f->arg[1], f->arg[2]);
}

/* The last component as written: rmdir refuses "." (EINVAL) and ".."
 * (ENOTEMPTY) before the name is resolved away. */
static long dot_tail(void)
{
	size_t n = strlen(raw);

	while (n > 1 && raw[n - 1] == '/')
		n--;
	if (n >= 1 && raw[n - 1] == '.' && (n == 1 || raw[n - 2] == '/'))
		return -EINVAL;
	if (n >= 2 && raw[n - 1] == '.' && raw[n - 2] == '.' && (n == 2 || raw[n - 3] == '/'))
		return -ENOTEMPTY;
	return 0;
}

static long do_rmdir(uint64_t dirfd, uint64_t upath)
{
	bool must_dir;
	int err;

	if ((err = path_at(dirfd, upath, path_a, &must_dir)) || (err = (int)dot_tail()))
		return err;
	if (vfs_devfs(path_a))
		return -ENOTDIR;
	if (rofs())
		return -EROFS;
	return vfs_rmdir(path_a);
}

static long do_unlink(uint64_t dirfd, uint64_t upath)
{
	struct ext2_stat st;
	bool must_dir;
	uint32_t ino;
	int err;

	if ((err = path_at(dirfd, upath, path_a, &must_dir)))
		return err;
	/* "file/" names a directory that is not there */
	if (must_dir && (err = vfs_lookup(path_a, true, &ino, &st)))
		return err;
	if (rofs())
		return -EROFS;
	return vfs_unlink(path_a);
}

long sys_rmdir(struct syscall_frame *f)
{
	return do_rmdir((uint64_t)AT_FDCWD, f->arg[0]);
}

long sys_unlink(struct syscall_frame *f)
{
	return do_unlink((uint64_t)AT_FDCWD, f->arg[0]);
}

long sys_unlinkat(struct syscall_frame *f)
{
	if (f->arg[2] & ~(uint64_t)AT_REMOVEDIR)
		return -EINVAL;
	return f->arg[2] & AT_REMOVEDIR ? do_rmdir(f->arg[0], f->arg[1])
					: do_unlink(f->arg[0], f->arg[1]);
}

static long do_rename(uint64_t olddir, uint64_t uold, uint64_t newdir, uint64_t unew)
{
	bool must_dir_a, must_dir_b;
	int err;

	if ((err = path_at(olddir, uold, path_a, &must_dir_a)) ||
	    (err = path_at(newdir, unew, path_b, &must_dir_b)))
		return err;
	if (rofs())
		return -EROFS;
	return vfs_rename(path_a, path_b);
}

long sys_rename(struct syscall_frame *f)
{
	return do_rename((uint64_t)AT_FDCWD, f->arg[0], (uint64_t)AT_FDCWD, f->arg[1]);
}

long sys_renameat(struct syscall_frame *f)
{
	return do_rename(f->arg[0], f->arg[1], f->arg[2], f->arg[3]);
}

long sys_renameat2(struct syscall_frame *f)
{
	if (f->arg[4])
		return -EINVAL;   /* RENAME_NOREPLACE and friends: not yet */
	return do_rename(f->arg[0], f->arg[1], f->arg[2], f->arg[3]);
}

long sys_truncate(struct syscall_frame *f)
{
	struct ext2_stat st;
	struct vnode *vn;
	bool must_dir;
	uint32_t ino;
	int err;

	if ((int64_t)f->arg[1] < 0)
		return -EINVAL;
	if ((err = path_at((uint64_t)AT_FDCWD, f->arg[0], path_a, &must_dir)) ||
	    (err = vfs_lookup(path_a, must_dir, &ino, &st)))
		return err;
	if (rofs())
		return -EROFS;
	if (!(vn = vnode_get(ino, &st)))
		return -ENFILE;
	err = vfs_truncate(vn, f->arg[1]);
	vnode_put(vn);
	return err;
}

/* The raw system call returns the length including the NUL. */
long sys_getcwd(struct syscall_frame *f)
{
	size_t n = strlen(proc_current->cwd) + 1;

	if (f->arg[1] < n)
		return -ERANGE;
	if (copy_to_user(f->arg[0], proc_current->cwd, n))
		return -EFAULT;
	return (long)n;
}

long sys_chdir(struct syscall_frame *f)
{
	struct ext2_stat st;
	bool must_dir;
	uint32_t ino;
	int err;

	if ((err = path_at((uint64_t)AT_FDCWD, f->arg[0], path_a, &must_dir)))
		return err;
	if (vfs_devfs(path_a))
		return -ENOTDIR;
	if ((err = vfs_lookup(path_a, true, &ino, &st)))
		return err;
	memcpy(proc_current->cwd, path_a, strlen(path_a) + 1);
	return 0;
}

long sys_umask(struct syscall_frame *f)
{
	uint32_t old = vfs_umask;

	vfs_umask = f->arg[0] & 0777;
	return old;
}

long sys_sync(struct syscall_frame *f)
{
	(void)f;
	vfs_sync();
	return 0;
}
