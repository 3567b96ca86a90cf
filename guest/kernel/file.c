/* Open files: a fixed pool, one ops entry per kind, and the descriptor
 * table operations. */
#include "kernel/file.h"

#include "fs/fs_hooks.h"
#include "kernel/pipe.h"
#include "kernel/proc.h"
#include "kernel/procfs.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/shm.h"

#define ZERO_CHUNK 4096u

static struct file files[FILES_MAX];
static const uint8_t zeros[ZERO_CHUNK];

struct file *file_alloc(enum file_kind kind, uint32_t flags)
{
	for (uint32_t i = 0; i < FILES_MAX; i++) {
		struct file *f = &files[i];
		if (f->kind == FILE_FREE) {
			memset(f, 0, sizeof(*f));
			f->kind = (uint8_t)kind;
			f->flags = flags & FILE_STATUS_FLAGS;
			f->refs = 1;
			return f;
		}
	}
	return NULL;
}

void file_put(struct file *f)
{
	if (--f->refs)
		return;
	if (f->kind == FILE_PIPE_R || f->kind == FILE_PIPE_W)
		pipe_release(f->pipe, f->kind == FILE_PIPE_W);
	if (f->kind == FILE_SHM)
		shm_destroy(f->shm);
	vnode_put(f->vn);
	fs_page_free(f->path);
	f->kind = FILE_FREE;
}

int fd_install(struct fdtable *t, struct file *f, int min, bool cloexec)
{
	for (int fd = min < 0 ? 0 : min; fd < FD_MAX; fd++)
		if (!t->fd[fd]) {
			t->fd[fd] = f;
			t->fdflags[fd] = cloexec ? FD_CLOEXEC : 0;
			return fd;
		}
	return -EMFILE;
}

struct file *fd_get(struct fdtable *t, uint64_t fd)
{
	return fd < FD_MAX ? t->fd[fd] : NULL;
}

int fd_close(struct fdtable *t, uint64_t fd)
{
	struct file *f = fd_get(t, fd);

	if (!f)
		return -EBADF;
	t->fd[fd] = NULL;
	file_put(f);
	return 0;
}

int fd_dup_to(struct fdtable *t, int oldfd, int newfd, bool cloexec)
{
	struct file *f = t->fd[oldfd], *old = t->fd[newfd];

	f->refs++;
	t->fd[newfd] = f;
	t->fdflags[newfd] = cloexec ? FD_CLOEXEC : 0;
	if (old)
		file_put(old);   /* after: oldfd == newfd never gets here */
	return newfd;
}

void fd_close_all(struct fdtable *t)
{
	for (int fd = 0; fd < FD_MAX; fd++)
		if (t->fd[fd])
			fd_close(t, (uint64_t)fd);
}

/* --- one function pair per kind --- */

/* stdin has no input source yet: it reads as end of file. */
static int64_t console_read(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	(void)f, (void)u, (void)n, (void)pos;
	return 0;
}

static int64_t console_write(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	(void)f, (void)pos;
	return io_console_write(u, n);
}

static int64_t null_read(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	(void)f, (void)u, (void)n, (void)pos;
	return 0;
}

static int64_t null_write(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	(void)f, (void)u, (void)pos;
	return (int64_t)n;
}

static int64_t zero_read(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	uint64_t done = 0;

	(void)f, (void)pos;
	while (done < n) {
		uint64_t c = n - done < ZERO_CHUNK ? n - done : ZERO_CHUNK;
		if (copy_to_user(u + done, zeros, c))
			return done ? (int64_t)done : -EFAULT;
		done += c;
	}
	return (int64_t)done;
}

static int64_t reg_read(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	int64_t r = vfs_read(f->vn, *pos, u, n);

	if (r > 0)
		*pos += (uint64_t)r;
	return r;
}

static int64_t reg_write(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	uint64_t off = f->flags & O_APPEND ? f->vn->size : *pos;
	int64_t r = vfs_write(f->vn, off, u, n);

	if (r >= 0)
		*pos = off + (uint64_t)r;
	return r;
}

static int64_t dir_read(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	(void)f, (void)u, (void)n, (void)pos;
	return -EISDIR;
}

/* An empty pipe with writers (or a full one with readers) lets the other
 * processes run until that changes; with nobody else runnable the wait
 * could never end, and the call says -EAGAIN as a non-blocking one. */
static int64_t pipe_file_read(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	(void)pos;
	for (;;) {
		int64_t r = pipe_read(f->pipe, u, n);
		if (r != -EAGAIN || f->flags & O_NONBLOCK)
			return r;
		if (signal_interrupts())
			return -ERESTARTSYS;
		if (!proc_yield_to_other())
			return r;
	}
}

/* A blocking write writes everything, and up to PIPE_BUF bytes at once
 * (never interleaved with another writer's); a write to a pipe nobody
 * reads raises SIGPIPE, then fails with EPIPE. */
static int64_t pipe_file_write(struct file *f, uint64_t u, uint64_t n, uint64_t *pos)
{
	uint64_t done = 0;

	(void)pos;
	for (;;) {
		int64_t r = -EAGAIN;
		if (n > PIPE_BUF || pipe_space(f->pipe) >= n - done || !pipe_readers(f->pipe))
			r = pipe_write(f->pipe, u + done, n - done);
		if (r > 0)
			done += (uint64_t)r;
		if (r == -EPIPE) {
			struct sig_info si = { .code = SI_USER, .pid = proc_current->pid };
			signal_raise(proc_current, SIGPIPE, &si);
		}
		if (done == n || (r < 0 && r != -EAGAIN))
			return done ? (int64_t)done : r;
		if (f->flags & O_NONBLOCK)
			return done ? (int64_t)done : -EAGAIN;
		if (signal_interrupts())
			return done ? (int64_t)done : -ERESTARTSYS;
		if (!proc_yield_to_other())
			return done ? (int64_t)done : -EAGAIN;
	}
}

static const struct file_ops {
	int64_t (*read)(struct file *f, uint64_t u, uint64_t n, uint64_t *pos);
	int64_t (*write)(struct file *f, uint64_t u, uint64_t n, uint64_t *pos);
} file_ops[FILE_KINDS] = {
	[FILE_CONSOLE] = { console_read, console_write },
	[FILE_NULL] = { null_read, null_write },
	[FILE_ZERO] = { zero_read, null_write },
	[FILE_REG] = { reg_read, reg_write },
	[FILE_DIR] = { dir_read, NULL },       /* never open for writing */
	[FILE_PIPE_R] = { pipe_file_read, NULL },
	[FILE_PIPE_W] = { NULL, pipe_file_write },
	[FILE_PROCMAPS] = { procfs_maps_read, NULL },
};

/* Linux's vfs_read/vfs_write order: the descriptor's mode, then a buffer
 * that cannot be user memory (-EFAULT), and a count clamped to
 * MAX_RW_COUNT rather than refused. */
#define MAX_RW_COUNT (0x7fffffffull & ~0xfffull)

int64_t file_read(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY || !file_ops[f->kind].read)
		return -EBADF;
	if (!user_range_ok(ubuf, len))
		return -EFAULT;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	return file_ops[f->kind].read(f, ubuf, len, pos);
}

int64_t file_write(struct file *f, uint64_t ubuf, uint64_t len, uint64_t *pos)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY || !file_ops[f->kind].write)
		return -EBADF;
	if (!user_range_ok(ubuf, len))
		return -EFAULT;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	return file_ops[f->kind].write(f, ubuf, len, pos);
}

bool file_seekable(const struct file *f)
{
	return f->kind == FILE_REG || f->kind == FILE_DIR || f->kind == FILE_NULL ||
	       f->kind == FILE_ZERO || f->kind == FILE_PROCMAPS;
}

/* Console and pipes as Linux shows them: a tty-like character device
 * (136:0, 0620) and a FIFO (0600). */
int file_stat(struct file *f, struct linux_stat *st)
{
	struct ext2_stat es;
	int err;

	switch (f->kind) {
	case FILE_REG:
	case FILE_DIR:
		if ((err = ext2_stat(vfs_root, f->vn->ino, &es)))
			return err;
		vfs_stat_fill(&es, st);
		return 0;
	case FILE_NULL:
	case FILE_ZERO:
		vfs_stat_dev(f->kind == FILE_NULL ? VFS_DEV_NULL : VFS_DEV_ZERO, st);
		return 0;
	default:
		memset(st, 0, sizeof(*st));
		st->st_nlink = 1;
		st->st_blksize = 4096;
		if (f->kind == FILE_CONSOLE) {
			st->st_mode = EXT2_S_IFCHR | 0620;
			st->st_rdev = 0x8800;
		} else if (f->kind == FILE_PROCMAPS) {
			st->st_mode = EXT2_S_IFREG | 0444;   /* size 0, as on Linux */
		} else {
			st->st_mode = EXT2_S_IFIFO | 0600;
		}
		return 0;
	}
}
