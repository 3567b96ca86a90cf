/* Error numbers, Linux values (the kernel returns 0 or -E...). */
#ifndef GUEST_LIB_ERRNO_H
#define GUEST_LIB_ERRNO_H

#define EPERM  1
#define ENOENT 2
#define ESRCH  3
#define ENXIO  6
#define E2BIG  7
#define ENOEXEC 8
#define EBADF  9
#define EIO 5
#define ECHILD 10
#define EINTR 4
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define ERANGE 34
#define EDEADLK 35
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define EOVERFLOW 75
#define EOPNOTSUPP 95

/* Kernel-internal: an interrupted call, restarted or EINTR on the way
 * out (kernel/signal.c); never seen by user mode. */
#define ERESTARTSYS 512

#endif
