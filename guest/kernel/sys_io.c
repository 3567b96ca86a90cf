/* write and writev, with the console's fast path: bytes for the console
 * are gathered from user memory into one bounce buffer in the kernel image
 * and sent with one console hypercall per buffer (a writev of several
 * pieces is one line on the console, as printf's are). Other files go
 * through file_write(). */
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/file.h"
#include "kernel/proc.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"

#define IO_BUF     4096
#define SSIZE_MAX  0x7fffffffffffffffull
#define TIOCGWINSZ 0x5413


static char io_buf[IO_BUF];
static size_t io_len;

/* The current process's file behind fd, or NULL. */
static struct file *io_file(uint64_t fd)
{
	return fd_get(&proc_current->files, fd);
}

static bool io_console_out(const struct file *f)
{
	return f->kind == FILE_CONSOLE && (f->flags & O_ACCMODE) != O_RDONLY;
}

static void io_flush(void)
{
	cons_write(io_buf, io_len);
	io_len = 0;
}

/* Appends [u, u + n) to the buffer, flushing as it fills. Returns the bytes
 * taken (short only when a fault stopped it), or -EFAULT if none were. */
static long io_gather(uint64_t u, uint64_t n)
{
	uint64_t done = 0;

	while (done < n) {
		size_t chunk = IO_BUF - io_len;
		if (chunk > n - done)
			chunk = n - done;
		if (copy_from_user(io_buf + io_len, u + done, chunk))
			break;
		io_len += chunk;
		done += chunk;
		if (io_len == IO_BUF)
			io_flush();
	}
	return done || !n ? (long)done : -EFAULT;
}

int64_t io_console_write(uint64_t ubuf, uint64_t len)
{
	long r = io_gather(ubuf, len);
	io_flush();
	return r;
}

long sys_write(struct syscall_frame *f)
{
	struct file *fp = io_file(f->arg[0]);

	if (!fp)
		return -EBADF;
	if (f->arg[2] > SSIZE_MAX)
		return -EINVAL;
	return file_write(fp, f->arg[1], f->arg[2], &fp->pos);
}

/* Linux writes the vectors in order and stops at the first fault, returning
 * what was written before it. */
long sys_writev(struct syscall_frame *f)
{
	uint64_t uiov = f->arg[1], cnt = f->arg[2], total = 0;
	struct file *fp = io_file(f->arg[0]);
	struct iovec iov;

	if (!fp)
		return -EBADF;
	if (!io_console_out(fp))
		return sys_rwv(fp, uiov, cnt, &fp->pos, true);
	long err = iov_check(uiov, cnt);
	if (err)
		return err;
	for (uint64_t i = 0; i < cnt; i++) {
		if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov))) {
			if (!total)
				return -EFAULT;
			break;
		}
		if (iov.len > SSIZE_MAX - total) {
			io_len = 0;   /* nothing of a refused call reaches the console */
			return -EINVAL;
		}
		long r = io_gather(iov.base, iov.len);
		if (r < 0) {
			if (!total) {
				io_len = 0;
				return r;
			}
			break;
		}
		total += (uint64_t)r;
		if ((uint64_t)r < iov.len)
			break;
	}
	io_flush();
	return (long)total;
}

/* The console is not a terminal we can describe: stdio then buffers
 * stdout fully, as it does natively when stdout is a pipe or file. */
long sys_ioctl(struct syscall_frame *f)
{
	if (!io_file(f->arg[0]))
		return -EBADF;
	return -ENOTTY;
}
