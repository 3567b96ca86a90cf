/* System calls on descriptors: read side, offsets, descriptor table,
 * pipes, directories, sync and truncate. */
#include <stdint.h>

#include "kernel/file.h"
#include "kernel/pipe.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define F_DUPFD  0
#define F_GETFD  1
#define F_SETFD  2
#define F_GETFL  3
#define F_SETFL  4
#define F_DUPFD_CLOEXEC 1030
#define O_DIRECT 040000
#define PIPEFS_MAGIC 0x50495045
#define TMPFS_MAGIC  0x01021994
#define DENTS_BUF 4096

/* struct linux_dirent64 header; the name follows, the record is padded
 * to 8 bytes (Linux fs/readdir.c). */
struct dirent64_head {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));
_Static_assert(sizeof(struct dirent64_head) == 19, "linux_dirent64 before d_name");

/* EXT2_FT_* -> DT_* (include/linux/fs_types.h) */
static const uint8_t ft_to_dt[EXT2_FT_MAX] = {
	[EXT2_FT_UNKNOWN] = 0, [EXT2_FT_REG_FILE] = 8, [EXT2_FT_DIR] = 4,
	[EXT2_FT_CHRDEV] = 2,  [EXT2_FT_BLKDEV] = 6,   [EXT2_FT_FIFO] = 1,
	[EXT2_FT_SOCK] = 12,   [EXT2_FT_SYMLINK] = 10,
};

static uint8_t dents_buf[DENTS_BUF] __attribute__((aligned(8)));

static struct fdtable *fds(void)
{
	return &proc_current->files;
}

static struct file *file_of(uint64_t fd)
{
	return fd_get(fds(), fd);
}

long sys_read(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);

	if (!fp)
		return -EBADF;
	return file_read(fp, f->arg[1], f->arg[2], &fp->pos);
}

/* Linux moves the vectors in order and stops at the first short transfer
 * or fault, returning what moved before it. */
long sys_rwv(struct file *fp, uint64_t uiov, uint64_t cnt, uint64_t *pos, bool write)
{
	struct iovec iov;
	uint64_t total = 0;

	if ((fp->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		return -EBADF;
	long err = iov_check(uiov, cnt);
	if (err)
		return err;
	for (uint64_t i = 0; i < cnt; i++) {
		if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov)))
			return total ? (long)total : -EFAULT;
		if (iov.len > INT64_MAX - total)
			return total ? (long)total : -EINVAL;
		if (!iov.len)
			continue;
		int64_t r = write ? file_write(fp, iov.base, iov.len, pos)
				  : file_read(fp, iov.base, iov.len, pos);
		if (r < 0)
			return total ? (long)total : r;
		total += (uint64_t)r;
		if ((uint64_t)r < iov.len)
			break;
	}
	return (long)total;
}

long sys_readv(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);

	if (!fp)
		return -EBADF;
	return sys_rwv(fp, f->arg[1], f->arg[2], &fp->pos, false);
}

static long sys_prw(struct syscall_frame *f, bool write)
{
	struct file *fp = file_of(f->arg[0]);
	uint64_t pos = f->arg[3];

	/* Linux's order: the offset, the descriptor, then seekability */
	if ((int64_t)pos < 0)
		return -EINVAL;
	if (!fp)
		return -EBADF;
	if (!file_seekable(fp))
		return -ESPIPE;
	return write ? file_write(fp, f->arg[1], f->arg[2], &pos)
		     : file_read(fp, f->arg[1], f->arg[2], &pos);
}

long sys_pread64(struct syscall_frame *f)
{
	return sys_prw(f, false);
}

long sys_pwrite64(struct syscall_frame *f)
{
	return sys_prw(f, true);
}

long sys_close(struct syscall_frame *f)
{
	return fd_close(fds(), f->arg[0]);
}

long sys_lseek(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);
	int64_t off = (int64_t)f->arg[1], base;

	if (!fp)
		return -EBADF;
	if (!file_seekable(fp))
		return -ESPIPE;
	if (f->arg[2] > SEEK_END)
		return -EINVAL;
	if (fp->kind == FILE_NULL || fp->kind == FILE_ZERO)
		return 0;   /* Linux: the position of these is always 0 */
	base = f->arg[2] == SEEK_SET ? 0
	       : f->arg[2] == SEEK_CUR ? (int64_t)fp->pos : (int64_t)fp->vn->size;
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	fp->pos = (uint64_t)(base + off);
	return (long)fp->pos;
}

long sys_fstat(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);
	struct linux_stat st;
	int err;

	if (!fp)
		return -EBADF;
	if ((err = file_stat(fp, &st)))
		return err;
	return copy_to_user(f->arg[1], &st, sizeof(st));
}

long sys_fstatfs(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);
	struct linux_statfs st;
	int err;

	if (!fp)
		return -EBADF;
	if (fp->kind == FILE_REG || fp->kind == FILE_DIR) {
		if ((err = vfs_statfs(&st)))
			return err;
	} else {
		memset(&st, 0, sizeof(st));
		st.f_type = fp->kind == FILE_PIPE_R || fp->kind == FILE_PIPE_W ? PIPEFS_MAGIC
									      : TMPFS_MAGIC;
		st.f_bsize = st.f_frsize = 4096;
		st.f_namelen = EXT2_NAME_LEN;
	}
	return copy_to_user(f->arg[1], &st, sizeof(st));
}

static long dup_from(int oldfd, int min, bool cloexec)
{
	struct file *fp = file_of((uint64_t)oldfd);
	int fd;

	if (!fp)
		return -EBADF;
	if (min >= FD_MAX)
		return -EINVAL;
	fp->refs++;
	if ((fd = fd_install(fds(), fp, min, cloexec)) < 0)
		fp->refs--;
	return fd;
}

long sys_fcntl(struct syscall_frame *f)
{
	uint64_t fd = f->arg[0], arg = f->arg[2];
	struct file *fp = file_of(fd);

	if (!fp)
		return -EBADF;
	switch (f->arg[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg >= FD_MAX)
			return -EINVAL;
		return dup_from((int)fd, (int)arg, f->arg[1] == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return fds()->fdflags[fd];
	case F_SETFD:
		fds()->fdflags[fd] = arg & FD_CLOEXEC;
		return 0;
	case F_GETFL:
		return fp->flags;
	case F_SETFL:
		fp->flags = (fp->flags & ~(uint32_t)FILE_SETFL_MASK) | (arg & FILE_SETFL_MASK);
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_dup(struct syscall_frame *f)
{
	return dup_from((int)f->arg[0], 0, false);
}

static long dup_to(uint64_t oldfd, uint64_t newfd, bool cloexec)
{
	if (!file_of(oldfd) || newfd >= FD_MAX)
		return -EBADF;
	return fd_dup_to(fds(), (int)oldfd, (int)newfd, cloexec);
}

long sys_dup2(struct syscall_frame *f)
{
	if (f->arg[0] == f->arg[1])
		return file_of(f->arg[0]) ? (long)f->arg[0] : -EBADF;
	return dup_to(f->arg[0], f->arg[1], false);
}

long sys_dup3(struct syscall_frame *f)
{
	if (f->arg[2] & ~(uint64_t)O_CLOEXEC)
		return -EINVAL;
	if (f->arg[0] == f->arg[1])
		return -EINVAL;
	return dup_to(f->arg[0], f->arg[1], f->arg[2] & O_CLOEXEC);
}

static long do_pipe(uint64_t ufds, uint64_t flags)
{
	struct file *r = NULL, *w = NULL;
	struct pipe *p;
	int32_t fd[2];

	if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	if (!(p = pipe_create()))
		return -ENFILE;
	uint32_t status = flags & O_NONBLOCK;
	r = file_alloc(FILE_PIPE_R, O_RDONLY | status);
	if (r)
		r->pipe = p;
	else
		pipe_release(p, false);
	w = file_alloc(FILE_PIPE_W, O_WRONLY | status);
	if (w)
		w->pipe = p;
	else
		pipe_release(p, true);
	if (!r || !w)
		goto fail_files;
	bool cloexec = flags & O_CLOEXEC;
	if ((fd[0] = fd_install(fds(), r, 0, cloexec)) < 0)
		goto fail_files;
	if ((fd[1] = fd_install(fds(), w, 0, cloexec)) < 0) {
		fds()->fd[fd[0]] = NULL;
		goto fail_files;
	}
	if (copy_to_user(ufds, fd, sizeof(fd))) {
		fd_close(fds(), (uint64_t)fd[0]);
		fd_close(fds(), (uint64_t)fd[1]);
		return -EFAULT;
	}
	return 0;

fail_files:
	if (w)
		file_put(w);
	if (r)
		file_put(r);
	return r && w ? -EMFILE : -ENFILE;
}

long sys_pipe(struct syscall_frame *f)
{
	return do_pipe(f->arg[0], 0);
}

long sys_pipe2(struct syscall_frame *f)
{
	return do_pipe(f->arg[0], f->arg[1]);
}

/* Records go to a kernel buffer first and to the user in one copy; a
 * name that does not fit is left for the next call (the position is
 * taken back), and if the first does not fit the buffer is too small. */
long sys_getdents64(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);
	uint64_t count = f->arg[2] < DENTS_BUF ? f->arg[2] : DENTS_BUF, used = 0;
	struct ext2_dir_item item;

	if (!fp)
		return -EBADF;
	if (fp->kind != FILE_DIR)
		return -ENOTDIR;
	for (;;) {
		uint64_t before = fp->pos;
		int r = ext2_readdir(vfs_root, fp->vn->ino, &fp->pos, &item);
		if (r < 0) {
			if (used)
				break;
			return r;
		}
		if (r == 0)
			break;
		uint64_t reclen = (sizeof(struct dirent64_head) + item.name_len + 1 + 7) & ~7ull;
		if (used + reclen > count) {
			fp->pos = before;
			if (!used)
				return -EINVAL;
			break;
		}
		struct dirent64_head h = {
			.d_ino = item.ino,
			.d_off = (int64_t)fp->pos,
			.d_reclen = (uint16_t)reclen,
			.d_type = item.type < EXT2_FT_MAX ? ft_to_dt[item.type] : 0,
		};
		memcpy(dents_buf + used, &h, sizeof(h));
		memcpy(dents_buf + used + sizeof(h), item.name, item.name_len);
		memset(dents_buf + used + sizeof(h) + item.name_len, 0,
		       reclen - sizeof(h) - item.name_len);
		used += reclen;
	}
	if (used && copy_to_user(f->arg[1], dents_buf, used))
		return -EFAULT;
	return (long)used;
}

/* Data is written through at write(); what is left is the superblock's
 * counts and the device's own cache, for any file of the disk. */
long sys_fsync(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);

	if (!fp)
		return -EBADF;
	if (fp->kind != FILE_REG && fp->kind != FILE_DIR)
		return -EINVAL;
	return vfs_sync();
}

long sys_ftruncate(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);

	if (!fp)
		return -EBADF;
	if (fp->kind != FILE_REG || (fp->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	if ((int64_t)f->arg[1] < 0)
		return -EINVAL;
	return vfs_truncate(fp->vn, f->arg[1]);
}

long sys_fchdir(struct syscall_frame *f)
{
	struct file *fp = file_of(f->arg[0]);

	if (!fp)
		return -EBADF;
	if (fp->kind != FILE_DIR)
		return -ENOTDIR;
	memcpy(proc_current->cwd, fp->path, strlen(fp->path) + 1);
	return 0;
}
