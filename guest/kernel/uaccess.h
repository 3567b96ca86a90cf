/* Copies to and from user memory. A range that is not entirely below
 * UVM_TOP, or that faults, gives -EFAULT; never a kernel fault. */
#ifndef GUEST_KERNEL_UACCESS_H
#define GUEST_KERNEL_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

long copy_from_user(void *dst, uint64_t usrc, size_t n);
long copy_to_user(uint64_t udst, const void *src, size_t n);
/* [u, u + n) lies in the user half (Linux's access_ok): a range that
 * cannot be user memory at all, told apart before any copy. */
bool user_range_ok(uint64_t u, uint64_t n);
/* A user iovec array of cnt entries, checked whole before any data moves,
 * in Linux's order: cnt over 1024 or a length that is negative as ssize_t
 * is -EINVAL; an unreadable array or a buffer outside the user half is
 * -EFAULT. 0 when the call may go ahead. */
long iov_check(uint64_t uiov, uint64_t cnt);

#endif
