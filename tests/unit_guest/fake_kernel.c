/* Kernel stubs for kernel/fault.c, kernel/mm.c and kernel/pcache.c on the
 * host; see fake_kernel.h. Linking kernel/proc.c or kernel/file.c instead
 * would pull in the scheduler, signals, pipes and the VFS. */
#include "fake_kernel.h"

#include <string.h>

#include "arch/x86/syscall_arch.h"
#include "fake_machine.h"
#include "mm/mm_hooks.h"
#include "mm/shm.h"
#include "x86.h"

struct fake_kernel fake_kernel;

/* kernel/proc.c */
struct proc *proc_current;
struct proc proc_table[PROC_MAX];   /* the reclaim hook walks it: reclaim tests run in entry 0 */

/* kernel/file.c, for the kinds mappings hold: the last reference destroys
 * a shared anonymous object and drops the vnode reference. */
void file_put(struct file *f)
{
	fake_kernel.file_puts++;
	ck_assert_uint_gt(f->refs, 0);
	if (--f->refs)
		return;
	fake_kernel.files_freed++;
	if (f->kind == FILE_SHM && f->shm)
		shm_destroy(f->shm);
	if (f->vn) {
		ck_assert_uint_gt(f->vn->refs, 0);
		f->vn->refs--;
	}
	f->kind = FILE_FREE;
}

/* kernel/vfs.c: the test mounts its image here. */
struct ext2_fs *vfs_root;

/* arch/x86 */
void arch_load_cr3(uint64_t cr3)
{
	fake_kernel.cr3_loads++;
	fake.cr3 = cr3;
}

long arch_uaccess_zero(void *dst, size_t n)
{
	memset(dst, 0, n);
	return 0;
}

void page_copy(uint64_t dst, uint64_t src)
{
	ck_assert_msg(!((dst | src) & (X86_PAGE_SIZE - 1)), "page_copy(%#llx, %#llx) unaligned",
		      (unsigned long long)dst, (unsigned long long)src);
	memcpy(fake_ptr(dst), fake_ptr(src), X86_PAGE_SIZE);
	fake_kernel.page_copies++;
}
