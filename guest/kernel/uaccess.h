/* Copies to and from user memory. A range that is not entirely below
 * UVM_TOP, or that faults, gives -EFAULT; never a kernel fault. */
#ifndef GUEST_KERNEL_UACCESS_H
#define GUEST_KERNEL_UACCESS_H

#include <stddef.h>
#include <stdint.h>

long copy_from_user(void *dst, uint64_t usrc, size_t n);
long copy_to_user(uint64_t udst, const void *src, size_t n);

#endif
