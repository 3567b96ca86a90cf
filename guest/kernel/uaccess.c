/* The range check here, the fault handling in arch/x86/uaccess.S. */
#include "kernel/uaccess.h"
#include "arch/x86/syscall_arch.h"
#include "lib/errno.h"
#include "mm/uvm.h"

/* [u, u + n) inside the user half, without wrapping */
static int uaccess_ok(uint64_t u, size_t n)
{
	return u <= UVM_TOP && n <= UVM_TOP - u;
}

long copy_from_user(void *dst, uint64_t usrc, size_t n)
{
	if (!uaccess_ok(usrc, n))
		return -EFAULT;
	return arch_uaccess_copy(dst, (const void *)usrc, n);
}

long copy_to_user(uint64_t udst, const void *src, size_t n)
{
	if (!uaccess_ok(udst, n))
		return -EFAULT;
	return arch_uaccess_copy((void *)udst, src, n);
}
