/* Kernel stubs for kernel/fault.c, kernel/mm.c and kernel/pcache.c on the
 * host; see fake_kernel.h. Linking kernel/proc.c or kernel/file.c instead
 * would pull in the scheduler, signals, pipes and the VFS. */
#include "fake_kernel.h"

#include <stdlib.h>
#include <string.h>

#include "arch/x86/syscall_arch.h"
#include "fake_machine.h"
#include "kernel/fault.h"
#include "kernel/vma_window.h"
#include "lib/errno.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "mm/shm.h"
#include "x86.h"

struct fake_kernel fake_kernel;

/* kernel/proc.c */
struct proc *proc_current;
struct proc proc_table[PROC_MAX];   /* the reclaim hook walks it: reclaim tests run in entry 0 */
unsigned proc_slots = PROC_MAX;

/* kernel/vma_window.c: a slot is host memory, grown in place a page's
 * worth of entries at a time, as the kernel's is. */
static struct vma *fake_windows[PROC_MAX];

struct vma *vma_window_grow(unsigned slot, unsigned *mapped, unsigned count, unsigned *got)
{
	const unsigned per_page = X86_PAGE_SIZE / sizeof(struct vma);
	const unsigned slot_pages = VMA_WINDOW_SLOT / X86_PAGE_SIZE;

	ck_assert_uint_lt(slot, PROC_MAX);
	if (!fake_windows[slot])
		ck_assert_ptr_nonnull(fake_windows[slot] = malloc(VMA_WINDOW_SLOT));
	while (*mapped < slot_pages && *mapped * per_page < count)
		(*mapped)++;
	*got = *mapped * X86_PAGE_SIZE / sizeof(struct vma);
	return fake_windows[slot];
}

void vma_window_release(unsigned slot, unsigned *mapped)
{
	ck_assert_uint_lt(slot, PROC_MAX);
	ck_assert_uint_gt(*mapped, 0);
	free(fake_windows[slot]);
	fake_windows[slot] = NULL;
	*mapped = 0;
}

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

/* arch/x86/page_ops.c: the host's copy is a copy in fake RAM. */
bool phys_copy_available(void)
{
	return fake_kernel.phys_copy_on;
}

long phys_copy(uint64_t dst, uint64_t src, size_t n)
{
	ck_assert(fake_kernel.phys_copy_on);
	ck_assert_uint_ge(FAKE_RAM_SIZE - src, n);   /* fake_ptr checks the starts */
	ck_assert_uint_ge(FAKE_RAM_SIZE - dst, n);
	memmove(fake_ptr(dst), fake_ptr(src), n);
	fake_kernel.phys_copies++;
	return 0;
}

static bool in_fake_ram(const void *va)
{
	return (const uint8_t *)va >= fake.ram && (const uint8_t *)va < fake.ram + FAKE_RAM_SIZE;
}

bool kernel_range_to_phys(const void *va, size_t n, uint64_t *pa)
{
	if (!in_fake_ram(va) || n > FAKE_RAM_SIZE - (uint64_t)((const uint8_t *)va - fake.ram))
		return false;
	*pa = (uint64_t)((const uint8_t *)va - fake.ram);
	return true;
}

/* The user side's byte at va as the CPU reaches it: through the PTE, after
 * fault_handle for a missing page or a write to a read-only one, as the
 * trap code calls it. NULL where the access would fault for good. */
static uint8_t *user_byte(uint64_t va, bool write)
{
	for (int tries = 0; tries < 2; tries++) {
		const uint64_t *slot;
		uint64_t pte = pgtable_pte_slot(va, &slot) ? 0 : *slot;
		uint64_t need = X86_PTE_P | X86_PTE_U | (write ? X86_PTE_W : 0);
		if ((pte & need) == need)
			return fake_ptr((pte & X86_PTE_ADDR) | (va & (X86_PAGE_SIZE - 1)));
		fake_kernel.insn_faults++;
		uint64_t err = X86_PF_U | (write ? X86_PF_W : 0) | (pte & X86_PTE_P ? X86_PF_P : 0);
		if (fault_handle(proc_current, va, err) != FAULT_DONE)
			return NULL;
	}
	return NULL;
}

/* The instruction path: the side outside fake RAM is the user's. */
long arch_uaccess_copy(void *dst, const void *src, size_t n)
{
	bool to_user = !in_fake_ram(dst);

	ck_assert(to_user != !in_fake_ram(src));
	fake_kernel.insn_copies++;
	for (size_t i = 0; i < n; i++) {
		uint64_t u = (uint64_t)(to_user ? (uint8_t *)dst + i : (const uint8_t *)src + i);
		uint8_t *b = user_byte(u, to_user);
		if (!b)
			return -EFAULT;
		if (to_user)
			*b = ((const uint8_t *)src)[i];
		else
			((uint8_t *)dst)[i] = *b;
	}
	return 0;
}
