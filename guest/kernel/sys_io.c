/* Output to the console: fds 1 and 2 are the console, nothing else is
 * open yet. Bytes are gathered from user memory into one bounce buffer in
 * the kernel image and sent with one console hypercall per buffer. */
#include <stdint.h>

#include "kernel/console.h"
#include "kernel/syscall.h"
#include "kernel/uaccess.h"
#include "lib/errno.h"

#define IO_BUF     4096
#define IOV_MAX    1024    /* Linux UIO_MAXIOV */
#define SSIZE_MAX  0x7fffffffffffffffull
#define TIOCGWINSZ 0x5413

struct iovec {
	uint64_t base, len;
};

static char io_buf[IO_BUF];
static size_t io_len;

static int io_is_console(uint64_t fd)
{
	return fd == 1 || fd == 2;
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

long sys_write(struct syscall_frame *f)
{
	if (!io_is_console(f->arg[0]))
		return -EBADF;
	if (f->arg[2] > SSIZE_MAX)
		return -EINVAL;
	long r = io_gather(f->arg[1], f->arg[2]);
	io_flush();
	return r;
}

/* Linux writes the vectors in order and stops at the first fault, returning
 * what was written before it. */
long sys_writev(struct syscall_frame *f)
{
	uint64_t uiov = f->arg[1], cnt = f->arg[2], total = 0;
	struct iovec iov;

	if (!io_is_console(f->arg[0]))
		return -EBADF;
	if (cnt > IOV_MAX)
		return -EINVAL;
	for (uint64_t i = 0; i < cnt; i++) {
		if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov))) {
			if (!total)
				return -EFAULT;
			break;
		}
		if (iov.len > SSIZE_MAX - total)
			return -EINVAL;
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
	if (!io_is_console(f->arg[0]) && f->arg[0] != 0)
		return -EBADF;
	return -ENOTTY;
}
