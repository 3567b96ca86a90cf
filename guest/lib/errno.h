/* Error numbers, Linux values (the kernel returns 0 or -E...). */
#ifndef GUEST_LIB_ERRNO_H
#define GUEST_LIB_ERRNO_H

#define ENOENT 2
#define ENOMEM 12
#define EFAULT 14
#define EEXIST 17
#define EINVAL 22
#define ENOSYS 38

#endif
