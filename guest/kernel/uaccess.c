/* The range check here, the fault handling in arch/x86/uaccess.S.
 *
 * When kernel code is emulated (kvm-pvm), a `rep movsb` costs about 1 us a
 * byte, so a copy of UACCESS_HC_MIN bytes or more goes to the host instead:
 * the user range is translated page by page through the current page
 * tables, and each physically contiguous run is one MV_HC_MEM_COPY exit.
 * A user page that is not there yet is supplied by the same code a faulting
 * access would reach (fault_handle); a page inside a large user entry is
 * translated through it; a page that cannot be translated (a kernel
 * buffer outside the direct map and the kernel image) is copied by the
 * instruction path, which faults and fixes up as
 * before. A bad user pointer is -EFAULT on both paths, never a kernel
 * fault. A physical run is only copied after the whole of it has been
 * looked up, so a page supplied for a later part must not have taken an
 * earlier part's frame: when the page cache took a page back from its
 * mappings meanwhile (pcache_reclaim_gen), the run is checked again and,
 * if it changed, copied by the instruction path. The host's stores set no
 * accessed or dirty bits in the user's PTEs (nothing reads them yet). On
 * hardware KVM nothing here changes: phys_copy_available() is false and
 * every copy is the instruction path. */
#include "kernel/uaccess.h"
#include "arch/x86/syscall_arch.h"
#include "kernel/fault.h"
#include "kernel/pcache.h"
#include "kernel/proc.h"
#include "lib/errno.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "mm/uvm.h"
#include "x86.h"

/* Measured crossover (docs/benchmarks.md, "Files"): the host path costs
 * ~260 emulated instructions (walk, checks, call) and one exit whatever the
 * length, a `rep movsb` about a microsecond a byte; they meet near 256. */
#define UACCESS_HC_MIN 256u

/* [u, u + n) inside the user half, without wrapping */
static int uaccess_ok(uint64_t u, size_t n)
{
	return u <= UVM_TOP && n <= UVM_TOP - u;
}

bool user_range_ok(uint64_t u, uint64_t n)
{
	return uaccess_ok(u, n);
}

/* The instruction path: faults resolve or fix up to -EFAULT (uaccess.S). */
static long uaccess_insn(uint64_t u, uint8_t *k, size_t n, bool to_user)
{
	return to_user ? arch_uaccess_copy((void *)u, k, n) : arch_uaccess_copy(k, (void *)u, n);
}

/* One physically contiguous run, by the host, or by instructions when the
 * host refuses (it never should: both ranges are RAM the kernel maps). */
static long uaccess_run(uint64_t u, uint64_t upa, uint8_t *k, uint64_t kpa, size_t n,
			bool to_user)
{
	if (!(to_user ? phys_copy(upa, kpa, n) : phys_copy(kpa, upa, n)))
		return 0;
	return uaccess_insn(u, k, n, to_user);
}

/* The PTE slot for page u, given the previous page's slot (or NULL): slots
 * of a 2 MiB region are consecutive in one table, so only the first page
 * of the copy and the first of each 2 MiB walk the tables. NULL when a
 * table on the way is missing or maps a large page. */
static const uint64_t *uaccess_slot(uint64_t u, const uint64_t *slot)
{
	if (slot && (u & (X86_2M - 1)) >> X86_PAGE_SHIFT)
		return slot + 1;
	return pgtable_pte_slot(u, &slot) ? NULL : slot;
}

/* The entry for page u: its slot's, or the one a large page stands for. */
static uint64_t uaccess_pte(uint64_t u, const uint64_t *slot)
{
	return slot ? *slot : pgtable_large_pte(u);
}

/* [u, u + n) still maps the physical run at pa with the rights in need. */
static bool uaccess_run_intact(uint64_t u, uint64_t pa, uint64_t n, uint64_t need)
{
	const uint64_t mask = X86_PAGE_SIZE - 1;
	const uint64_t *slot = NULL;

	for (uint64_t a = u & ~mask; a < u + n; a += X86_PAGE_SIZE) {
		slot = uaccess_slot(a, slot);
		uint64_t pte = uaccess_pte(a, slot);
		if ((pte & need) != need || (pte & X86_PTE_ADDR) != (pa & ~mask) + (a - (u & ~mask)))
			return false;
	}
	return true;
}

static long uaccess_copy_pv(uint64_t u, uint8_t *k, size_t n, bool to_user)
{
	uint64_t kpa;

	if (!kernel_range_to_phys(k, n, &kpa))
		return uaccess_insn(u, k, n, to_user);
	/* The pending run starts at user address ru (physical rpa) and has
	 * rn bytes; its kernel side is at the same distance from k and kpa.
	 * phys_copy() splits runs longer than one call. */
	uint64_t u0 = u, ru = u, rpa = 0, rn = 0, end = u + n;
	const uint64_t *slot = NULL;
	uint64_t need = X86_PTE_P | X86_PTE_U | (to_user ? X86_PTE_W : 0);

	for (uint64_t next; u < end; u = next) {
		next = (u | (X86_PAGE_SIZE - 1)) + 1;
		if (next > end)
			next = end;
		slot = uaccess_slot(u, slot);
		uint64_t pte = uaccess_pte(u, slot);
		if (!(pte & X86_PTE_P)) {
			/* supplied, as for the fault of an access */
			uint64_t gen = pcache_reclaim_gen();
			fault_handle(proc_current, u, to_user ? X86_PF_W : 0);
			/* Supplying it may have filled the page cache by taking
			 * a page back from its mappings. If that was one of the
			 * pending run's, the run names a frame that now holds
			 * something else: the instruction path copies the run
			 * instead (its faults bring the pages back, and may take
			 * u's: u is looked up after it). */
			if (rn && gen != pcache_reclaim_gen() && !uaccess_run_intact(ru, rpa, rn, need)) {
				if (uaccess_insn(ru, k + (ru - u0), rn, to_user))
					return -EFAULT;
				rn = 0;
			}
			slot = uaccess_slot(u, NULL);
			pte = uaccess_pte(u, slot);
		}
		uint64_t pa = (pte & X86_PTE_ADDR) | (u & (X86_PAGE_SIZE - 1));
		bool plain = (pte & need) == need;
		if (rn && (!plain || pa != rpa + rn)) {
			if (uaccess_run(ru, rpa, k + (ru - u0), kpa + (ru - u0), rn, to_user))
				return -EFAULT;
			rn = 0;
		}
		if (!plain) {
			/* Anything else (no page to be had, no write right)
			 * is the instruction path's: it faults and
			 * returns -EFAULT where today's copy would. */
			if (uaccess_insn(u, k + (u - u0), next - u, to_user))
				return -EFAULT;
			continue;
		}
		if (!rn) {
			ru = u;
			rpa = pa;
		}
		rn += next - u;
	}
	if (rn && uaccess_run(ru, rpa, k + (ru - u0), kpa + (ru - u0), rn, to_user))
		return -EFAULT;
	return 0;
}

long copy_from_user(void *dst, uint64_t usrc, size_t n)
{
	if (!uaccess_ok(usrc, n))
		return -EFAULT;
	if (n >= UACCESS_HC_MIN && phys_copy_available())
		return uaccess_copy_pv(usrc, dst, n, false);
	return arch_uaccess_copy(dst, (const void *)usrc, n);
}

long copy_to_user(uint64_t udst, const void *src, size_t n)
{
	if (!uaccess_ok(udst, n))
		return -EFAULT;
	if (n >= UACCESS_HC_MIN && phys_copy_available())
		return uaccess_copy_pv(udst, (uint8_t *)src, n, true);
	return arch_uaccess_copy((void *)udst, src, n);
}

#define IOV_MAX 1024   /* Linux UIO_MAXIOV */

long iov_check(uint64_t uiov, uint64_t cnt)
{
	struct { uint64_t base, len; } iov;

	if (cnt > IOV_MAX)
		return -EINVAL;
	for (uint64_t i = 0; i < cnt; i++) {
		if (copy_from_user(&iov, uiov + i * sizeof(iov), sizeof(iov)))
			return -EFAULT;
		if ((int64_t)iov.len < 0)
			return -EINVAL;
		if (!uaccess_ok(iov.base, iov.len))
			return -EFAULT;
	}
	return 0;
}
