/* How the test programs print what they observe: a call's result, or -1 and
 * the errno's name. Names, not numbers or strerror() text, so a native run
 * and a guest run print the same thing. Header-only: each program is one
 * static binary built from one .c file. */
#ifndef USER_OBSERVE_H
#define USER_OBSERVE_H

#include <errno.h>
#include <stdio.h>

static const char *const errno_names[] = {
	[EPERM] = "EPERM",         [ENOENT] = "ENOENT",   [EIO] = "EIO",
	[EBADF] = "EBADF",         [EAGAIN] = "EAGAIN",   [ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES",       [EFAULT] = "EFAULT",   [EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST",       [EXDEV] = "EXDEV",     [ENODEV] = "ENODEV",
	[ENOTDIR] = "ENOTDIR",     [EISDIR] = "EISDIR",   [EINVAL] = "EINVAL",
	[EMFILE] = "EMFILE",       [ENOTTY] = "ENOTTY",   [EFBIG] = "EFBIG",
	[ENOSPC] = "ENOSPC",       [ESPIPE] = "ESPIPE",   [EROFS] = "EROFS",
	[EPIPE] = "EPIPE",         [ERANGE] = "ERANGE",   [ENAMETOOLONG] = "ENAMETOOLONG",
	[ENOSYS] = "ENOSYS",       [ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP",
	[EOVERFLOW] = "EOVERFLOW",  [EOPNOTSUPP] = "EOPNOTSUPP",
	[ECHILD] = "ECHILD",       [ESRCH] = "ESRCH",     [EINTR] = "EINTR",
};

static inline const char *errname(int e)
{
	static char buf[16];
	if (e > 0 && e < (int)(sizeof(errno_names) / sizeof(errno_names[0])) && errno_names[e])
		return errno_names[e];
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* "what: value" or "what: -1 ENAME"; returns r. */
static inline long show(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, errname(errno));
	else
		printf("%s: %ld\n", what, r);
	return r;
}

#endif
