/* guest/kernel/fault.c on the host, with kernel/mm.c, kernel/uaccess.c,
 * the real mm/ layer (vma, pgtable, page, shm, pageref), kernel/pcache.c
 * and ext2 over an image file. The rest of the kernel is fake_kernel.c;
 * the machine is fake_machine.c (fake RAM, CR3 a variable), and
 * fake_disk.c's page hooks hand out pages of fake RAM, so page-cache pages
 * have physical addresses and can be mapped as the kernel's direct-map
 * pages are.
 *
 * Each test builds address spaces with mm_init on a PML4 from page_alloc,
 * inserts VMAs with vma_insert, calls fault_handle as the trap code does,
 * and checks the result, the entry it left, the page behind it, and which
 * fault_stats counters moved (and that no other did).
 *
 * Source tree (built once per run under a mkdtemp directory), imaged with
 * mke2fs -d at 4 KiB blocks:
 *
 *   /a     A_SIZE bytes: 2 whole pages and a partial one (seed 1)
 *   /big   BIG_PAGES whole pages (seed 3)
 *   /huge  HUGE_PAGES pages (seed 5): two whole 2 MiB units and 3 pages
 *
 * guest/ keeps its state in file-scope statics: every test runs in its own
 * process (CK_FORK) on its own copy of the image. The guest's kernel/ headers
 * redefine what the host's fcntl.h, sys/stat.h and signal.h define, so
 * this file makes directories and files with the shell and stdio. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_disk.h"
#include "fake_kernel.h"
#include "fake_machine.h"
#include "host_files.h"
#include "fs/ext2.h"
#include "kernel/fault.h"
#include "kernel/file.h"
#include "kernel/mm.h"
#include "kernel/pcache.h"
#include "kernel/proc.h"
#include "kernel/uaccess.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pageref.h"
#include "mm/pgtable.h"
#include "mm/shm.h"
#include "mm/uvm.h"
#include "x86.h"

#define PG X86_PAGE_SIZE
#define A_SIZE (2 * PG + 1808)
#define BIG_PAGES 64u
#define UNIT PCACHE_UNIT_PAGES
#define HUGE_PAGES (2 * UNIT + 3)

#define MAY VMA_MAY_ALL
#define R VMA_PROT_READ
#define W VMA_PROT_WRITE
#define X VMA_PROT_EXEC
#define RW (VMA_PROT_READ | VMA_PROT_WRITE)

/* Error codes as the CPU reports a user-mode access. */
#define RD X86_PF_U
#define WR (X86_PF_U | X86_PF_W)
#define EXEC (X86_PF_U | X86_PF_I)
#define WR_P (X86_PF_U | X86_PF_W | X86_PF_P)   /* write to a present page */

/* User addresses: 2 MiB aligned, far apart (never merged). */
#define VA1 0x10000000ull
#define VA2 0x20000000ull
#define VA3 0x30000000ull

/* the kernel sets A on every user entry and D with W (kernel/mm.h) */
#define PTE_USER (X86_PTE_P | X86_PTE_U | X86_PTE_A)
#define PTE_WRITE MM_PTE_WRITE

#define PATHLEN 256
static char base[64];
static char srcdir[96];

static struct {
	char dir[96];
	char img[128];
	struct fake_disk disk;
	struct ext2_fs fs;
	bool mounted;
	uint32_t a, big, huge;       /* inode numbers */
	struct vnode vn_a, vn_big, vn_huge;
	struct file fa, fbig, fhuge; /* FILE_REG, one reference: the test's */
	struct file fshm;            /* FILE_SHM when a test makes one */
	struct proc parent, child;
	bool child_used;
} E;

/* ---- host helpers ---------------------------------------------------- */

static void run_ok(const char *cmd)
{
	int st = system(cmd);

	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "'%s' failed (%d)", cmd,
		      st);
}

/* fs_page_alloc/fs_page_free (ext2's buffers and the page cache's pages)
 * from the page allocator, as the kernel takes them from the direct map. */
static void *ram_page_alloc(void)
{
	uint64_t pa = page_alloc();

	return pa ? fake_ptr(pa) : NULL;
}

static void ram_page_free(void *page)
{
	ck_assert_int_eq(page_free((uint64_t)((uint8_t *)page - fake.ram)), 0);
}

static void vnode_init(struct vnode *vn, struct file *f, const char *path)
{
	struct ext2_stat st;
	uint32_t ino = 0;

	ck_assert_int_eq(ext2_lookup(&E.fs, path, &ino), 0);
	ck_assert_int_eq(ext2_stat(&E.fs, ino, &st), 0);
	*vn = (struct vnode){ .ino = ino, .refs = 1, .mode = st.mode, .size = st.size };
	*f = (struct file){ .refs = 1, .kind = FILE_REG, .flags = O_RDWR, .vn = vn };
}

static void proc_setup(struct proc *p)
{
	uint64_t pml4 = page_alloc();

	ck_assert_uint_ne(pml4, 0);
	page_zero(pml4);
	memset(p, 0, sizeof(*p));
	p->cr3 = pml4;
	for (unsigned i = 0; i < RLIM_NLIMITS; i++)
		p->rlim[i] = (struct rlimit64){ RLIM_INFINITY, RLIM_INFINITY };
	p->rlim[RLIMIT_STACK].cur = 8ull << 20;
	mm_init(p);
}

/* p runs: its space is the current one. */
static void use(struct proc *p)
{
	proc_current = p;
	fake.cr3 = p->cr3;
}

static void setup(void)
{
	char cmd[3 * PATHLEN];

	fake_setup();
	memset(&E, 0, sizeof(E));
	memset(&fault_stats, 0, sizeof(fault_stats));
	memset(&fake_kernel, 0, sizeof(fake_kernel));
	ck_assert_int_eq(page_add_range(0, FAKE_RAM_SIZE), 0);
	fake_page_alloc_hook = ram_page_alloc;
	fake_page_free_hook = ram_page_free;

	snprintf(E.dir, sizeof(E.dir), "%s/t%d", base, (int)getpid());
	snprintf(E.img, sizeof(E.img), "%s/img", E.dir);
	snprintf(cmd, sizeof(cmd),
		 "mkdir '%s' && mke2fs -q -F -t ext2 -b 4096 -d '%s' '%s' 16M >/dev/null", E.dir,
		 srcdir, E.img);
	run_ok(cmd);
	fake_disk_open(&E.disk, E.img);
	ck_assert_int_eq(ext2_mount(&E.fs, &E.disk, E.disk.size, 0), 0);
	E.mounted = true;
	vfs_root = &E.fs;
	vnode_init(&E.vn_a, &E.fa, "/a");
	vnode_init(&E.vn_big, &E.fbig, "/big");
	vnode_init(&E.vn_huge, &E.fhuge, "/huge");
	E.a = E.vn_a.ino;
	E.big = E.vn_big.ino;
	E.huge = E.vn_huge.ino;
	ck_assert_uint_eq(E.vn_a.size, A_SIZE);

	proc_setup(&E.parent);
	use(&E.parent);
}

/* Every mapping goes (dirty pages written back), every file reference the
 * VMAs held comes back, every cache and ext2 page is returned, and the
 * image is still consistent. */
static void teardown(void)
{
	char cmd[3 * PATHLEN];

	if (E.child_used) {
		use(&E.child);
		mm_destroy(&E.child);
	}
	use(&E.parent);
	mm_destroy(&E.parent);
	ck_assert_uint_eq(E.fa.refs, 1);
	ck_assert_uint_eq(E.fbig.refs, 1);
	pcache_reset();
	ck_assert_int_eq(ext2_unmount(&E.fs), 0);
	E.mounted = false;
	ck_assert_int_eq(fake_pages_out, 0);
	ck_assert_uint_eq(E.disk.out_of_range, 0);
	fake_disk_close(&E.disk);
	snprintf(cmd, sizeof(cmd), "e2fsck -fn '%s' >/dev/null 2>&1", E.img);
	run_ok(cmd);
	fake_page_alloc_hook = NULL;
	fake_page_free_hook = NULL;
	fake_run_alloc_hook = NULL;
	fake_teardown();
}

/* ---- guest helpers --------------------------------------------------- */

static const struct vma *map(uint64_t start, uint64_t pages, uint32_t prot, uint32_t flags,
			     struct file *f, uint64_t pgoff)
{
	struct proc *p = proc_current;
	int err = vma_insert(&p->vmas, start, start + pages * PG, prot, flags | MAY, f, pgoff);

	ck_assert_msg(err == 0, "vma_insert(%#lx, %lu pages): %d", start, pages, err);
	const struct vma *v = vma_find(&p->vmas, start);
	ck_assert_ptr_nonnull(v);
	return v;
}

static void unmap(uint64_t start, uint64_t pages)
{
	ck_assert_int_eq(vma_unmap(&proc_current->vmas, start, start + pages * PG), 0);
}

/* The entry for va in the current space; 0 when its table is missing. */
static uint64_t pte_of(uint64_t va)
{
	const uint64_t *slot;

	return pgtable_pte_slot(va, &slot) ? 0 : *slot;
}

static uint64_t pa_of(uint64_t pte)
{
	return pte & X86_PTE_ADDR;
}

static uint8_t *page_at(uint64_t va)
{
	uint64_t pte = pte_of(va);

	ck_assert_msg(pa_of(pte), "no page at %#lx (entry %#lx)", va, pte);
	return fake_ptr(pa_of(pte));
}

static uint64_t phys(const uint8_t *page)
{
	return (uint64_t)(page - fake.ram);
}

/* The cache's page idx of ino, which must be cached. */
static uint8_t *cached(uint32_t ino, uint64_t idx)
{
	uint8_t *page = pcache_find(ino, idx);

	ck_assert_msg(page, "page %lu of inode %u not cached", idx, ino);
	return page;
}

/* Cache exactly pages [from, to) of ino: nothing read ahead. */
static void cache_pages(uint32_t ino, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++) {
		uint8_t *page;
		ck_assert_int_ge(pcache_get_ra(&E.fs, ino, i, PCACHE_RA_NONE, &page), 0);
	}
}

static enum fault_result fault(uint64_t addr, uint64_t error)
{
	fake.ninvlpg = 0;
	return fault_handle(proc_current, addr, error);
}

static bool invlpg_seen(uint64_t va)
{
	for (unsigned i = 0; i < fake.ninvlpg; i++)
		if (fake.invlpg[i] == va)
			return true;
	return false;
}

/* fault_stats moved by exactly delta since before (line: the caller's). */
#define STAT_EQ(f)                                                                    \
	ck_assert_msg(fault_stats.f == before->f + delta.f,                           \
		      "line %d: fault_stats." #f " %lu, want %lu", line, fault_stats.f, \
		      before->f + delta.f)
static void stats_moved(int line, const struct fault_stats *before, struct fault_stats delta)
{
	STAT_EQ(anon_zero);
	STAT_EQ(pcache_hit);
	STAT_EQ(disk_read);
	STAT_EQ(around);
	STAT_EQ(cow);
	STAT_EQ(shared_dirty);
	STAT_EQ(stack_grow);
	STAT_EQ(sigsegv);
	STAT_EQ(sigbus);
	STAT_EQ(spurious);
}
#define MOVED(...) stats_moved(__LINE__, &before, (struct fault_stats){ __VA_ARGS__ })

static uint64_t pages_allocated(void)
{
	struct page_stats st;

	page_get_stats(&st);
	return st.allocated;
}

/* The bytes of the file of seed at [off, off + n), or zeros past size. */
static void assert_file_bytes(const uint8_t *page, uint32_t seed, uint64_t off, uint64_t size)
{
	for (uint64_t i = 0; i < PG; i++) {
		uint8_t want = off + i < size ? host_pattern_byte(seed, off + i) : 0;
		ck_assert_msg(page[i] == want, "byte %lu of the page at file offset %lu: %#x, want %#x",
			      i, off, page[i], want);
	}
}

static void assert_filled(const uint8_t *page, uint8_t byte)
{
	for (uint64_t i = 0; i < PG; i++)
		ck_assert_msg(page[i] == byte, "byte %lu: %#x, want %#x", i, page[i], byte);
}

/* The next pages the allocator hands out are full of 0xaa, so a page
 * that reaches user space unzeroed shows. */
static void dirty_free_pages(unsigned n)
{
	uint64_t pa[16];

	ck_assert_uint_le(n, 16);
	for (unsigned i = 0; i < n; i++) {
		pa[i] = page_alloc();
		ck_assert_uint_ne(pa[i], 0);
		memset(fake_ptr(pa[i]), 0xaa, PG);
	}
	for (unsigned i = n; i-- > 0;)
		ck_assert_int_eq(page_free(pa[i]), 0);
}

static struct file *shm_file(uint64_t npages)
{
	struct shm *s = shm_create(npages);

	ck_assert_ptr_nonnull(s);
	E.fshm = (struct file){ .refs = 1, .kind = FILE_SHM, .flags = O_RDWR, .shm = s };
	return &E.fshm;
}

/* ---- access checks ------------------------------------------------------ */

START_TEST(fault_where_no_vma_is_segv_maperr)
{
	map(VA1, 4, RW, 0, NULL, 0);
	struct fault_stats before = fault_stats;
	uint64_t pages = pages_allocated();
	ck_assert_int_eq(fault(VA1 - 1, RD), FAULT_SEGV_MAPERR);
	ck_assert_int_eq(fault(VA1 + 4 * PG, WR), FAULT_SEGV_MAPERR);
	ck_assert_int_eq(fault(0, RD), FAULT_SEGV_MAPERR);
	ck_assert_int_eq(fault(UVM_TOP, RD), FAULT_SEGV_MAPERR);
	ck_assert_int_eq(fault(0xffff800000000000ull, RD), FAULT_SEGV_MAPERR);
	MOVED(0);   /* sigsegv is the trap code's to count */
	ck_assert_uint_eq(pages_allocated(), pages);   /* no table made on the way */
	ck_assert_uint_eq(pte_of(VA1 - PG), 0);
}
END_TEST

START_TEST(fault_write_to_a_read_only_vma_is_segv_accerr)
{
	map(VA1, 4, R, 0, NULL, 0);
	map(VA2, 4, R, 0, &E.fa, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, WR), FAULT_SEGV_ACCERR);
	ck_assert_int_eq(fault(VA2 + 5, WR), FAULT_SEGV_ACCERR);
	MOVED(0);
	ck_assert_uint_eq(pte_of(VA1), 0);
	ck_assert_ptr_null(pcache_find(E.a, 0));   /* nothing read */
	/* present read-only: a write is still refused */
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	ck_assert_int_eq(fault(VA1, WR_P), FAULT_SEGV_ACCERR);
	ck_assert_uint_eq(pte_of(VA1) & X86_PTE_W, 0);
}
END_TEST

START_TEST(fault_exec_in_an_nx_vma_is_segv_accerr)
{
	map(VA1, 4, RW, 0, NULL, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, EXEC), FAULT_SEGV_ACCERR);
	MOVED(0);
	ck_assert_uint_eq(pte_of(VA1), 0);
}
END_TEST

START_TEST(fault_any_access_to_a_prot_none_vma_is_segv_accerr)
{
	map(VA1, 4, 0, 0, NULL, 0);
	map(VA2, 4, 0, VMA_SHARED, &E.fa, 0);
	struct fault_stats before = fault_stats;
	const uint64_t vas[] = { VA1, VA2 + PG };
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(fault(vas[i], RD), FAULT_SEGV_ACCERR);
		ck_assert_int_eq(fault(vas[i], WR), FAULT_SEGV_ACCERR);
		ck_assert_int_eq(fault(vas[i], EXEC), FAULT_SEGV_ACCERR);
		ck_assert_uint_eq(pte_of(vas[i]), 0);
	}
	MOVED(0);
	ck_assert_ptr_null(pcache_find(E.a, 0));
}
END_TEST

/* ---- anonymous memory ------------------------------------------------- */

START_TEST(anon_first_touch_maps_a_zeroed_writable_page_in_a_writable_vma)
{
	map(VA1, 4, RW, 0, NULL, 0);
	dirty_free_pages(8);   /* the page tables and the page come from these */
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + PG + 123, RD), FAULT_DONE);
	MOVED(.anon_zero = 1);
	uint64_t pte = pte_of(VA1 + PG);
	ck_assert_uint_eq(pte & ~X86_PTE_ADDR, PTE_USER | PTE_WRITE | X86_PTE_NX);
	assert_filled(page_at(VA1 + PG), 0);
	ck_assert_uint_eq(pageref_count(pa_of(pte)), 1);
	ck_assert_uint_eq(pte_of(VA1), 0);   /* one page, not its neighbours */
	ck_assert_uint_eq(pte_of(VA1 + 2 * PG), 0);
	/* a write fault maps the same way */
	ck_assert_int_eq(fault(VA1 + 2 * PG, WR), FAULT_DONE);
	MOVED(.anon_zero = 2);
	ck_assert_uint_eq(pte_of(VA1 + 2 * PG) & ~X86_PTE_ADDR, PTE_USER | PTE_WRITE | X86_PTE_NX);
	ck_assert_uint_ne(pa_of(pte_of(VA1 + 2 * PG)), pa_of(pte));
}
END_TEST

START_TEST(anon_first_touch_in_a_read_only_vma_maps_the_page_read_only)
{
	map(VA1, 4, R, 0, NULL, 0);
	dirty_free_pages(8);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	MOVED(.anon_zero = 1);
	ck_assert_uint_eq(pte_of(VA1) & ~X86_PTE_ADDR, PTE_USER | X86_PTE_NX);
	assert_filled(page_at(VA1), 0);
}
END_TEST

START_TEST(anon_exec_fault_in_an_exec_vma_maps_the_page_without_nx)
{
	map(VA1, 4, R | X, 0, NULL, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, EXEC), FAULT_DONE);
	MOVED(.anon_zero = 1);
	ck_assert_uint_eq(pte_of(VA1) & ~X86_PTE_ADDR, PTE_USER);
}
END_TEST

START_TEST(fault_on_a_present_writable_page_is_spurious)
{
	map(VA1, 4, RW, 0, NULL, 0);
	ck_assert_int_eq(fault(VA1, WR), FAULT_DONE);
	uint64_t pte = pte_of(VA1);
	uint64_t pages = pages_allocated();
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 8, WR_P), FAULT_DONE);
	MOVED(.spurious = 1);
	ck_assert_uint_eq(pte_of(VA1), pte);
	ck_assert(invlpg_seen(VA1));   /* the stale TLB entry goes */
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	MOVED(.spurious = 2);
	ck_assert_uint_eq(pte_of(VA1), pte);
	ck_assert_uint_eq(pages_allocated(), pages);
}
END_TEST

/* ---- file pages: reads -------------------------------------------------- */

START_TEST(file_read_fault_reads_the_disk_and_maps_the_cache_page_read_only)
{
	map(VA1, 4, RW, 0, &E.fbig, 0);
	unsigned reads = E.disk.reads;
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 7, RD), FAULT_DONE);
	MOVED(.disk_read = 1);
	ck_assert_uint_gt(E.disk.reads, reads);
	uint8_t *page = cached(E.big, 0);
	ck_assert_uint_eq(pte_of(VA1), phys(page) | PTE_USER | MM_PTE_OBJ | X86_PTE_NX);
	ck_assert_uint_eq(pcache_maps(page), 1);
	assert_file_bytes(page, 3, 0, BIG_PAGES * PG);
	/* nothing else was cached: no neighbour mapped */
	ck_assert_uint_eq(pte_of(VA1 + PG), 0);
}
END_TEST

START_TEST(file_read_fault_with_a_pgoff_maps_the_page_of_that_offset)
{
	map(VA1, 4, R, 0, &E.fbig, 10);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 2 * PG, RD), FAULT_DONE);
	MOVED(.disk_read = 1);
	uint8_t *page = cached(E.big, 12);
	ck_assert_uint_eq(pa_of(pte_of(VA1 + 2 * PG)), phys(page));
	assert_file_bytes(page, 3, 12 * PG, BIG_PAGES * PG);
}
END_TEST

START_TEST(file_read_fault_in_a_second_vma_of_the_file_is_a_pcache_hit_on_the_same_page)
{
	map(VA1, 4, R, 0, &E.fbig, 0);
	map(VA2, 4, R, VMA_SHARED, &E.fbig, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	unsigned reads = E.disk.reads;
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA2, RD), FAULT_DONE);
	MOVED(.pcache_hit = 1);
	ck_assert_uint_eq(E.disk.reads, reads);
	uint8_t *page = cached(E.big, 0);
	ck_assert_uint_eq(pa_of(pte_of(VA1)), phys(page));
	ck_assert_uint_eq(pte_of(VA2), phys(page) | PTE_USER | MM_PTE_OBJ | X86_PTE_NX);
	ck_assert_uint_eq(pcache_maps(page), 2);
}
END_TEST

START_TEST(file_read_fault_after_munmap_of_the_only_mapping_is_a_pcache_hit)
{
	map(VA1, 4, R, 0, &E.fbig, 0);
	ck_assert_uint_eq(E.fbig.refs, 2);   /* the VMA holds one */
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	uint8_t *page = cached(E.big, 0);
	unmap(VA1, 4);
	ck_assert_uint_eq(E.fbig.refs, 1);
	ck_assert_uint_eq(pcache_maps(page), 0);
	ck_assert_uint_eq(pte_of(VA1), 0);
	map(VA1, 4, R, 0, &E.fbig, 0);
	unsigned reads = E.disk.reads;
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	MOVED(.pcache_hit = 1);
	ck_assert_uint_eq(E.disk.reads, reads);
	ck_assert_uint_eq(pa_of(pte_of(VA1)), phys(page));
	ck_assert_uint_eq(pcache_maps(page), 1);
}
END_TEST

/* ---- file pages: fault-around ------------------------------------------- */

/* The VMA covers the 16-page window of the fault; pages 7 and 9 are not
 * cached, 16 and up are cached but outside the window. */
START_TEST(fault_around_maps_the_cached_neighbours_in_the_window_read_only)
{
	map(VA1, 32, RW, 0, &E.fbig, 0);
	cache_pages(E.big, 0, 7);
	cache_pages(E.big, 8, 9);
	cache_pages(E.big, 10, 20);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 5 * PG, RD), FAULT_DONE);
	MOVED(.pcache_hit = 1, .around = 13);
	for (uint64_t i = 0; i < 32; i++) {
		uint64_t pte = pte_of(VA1 + i * PG);
		if (i >= 16 || i == 7 || i == 9) {
			ck_assert_msg(pte == 0, "page %lu mapped: %#lx", i, pte);
			continue;
		}
		uint8_t *page = cached(E.big, i);
		ck_assert_msg(pte == (phys(page) | PTE_USER | MM_PTE_OBJ | X86_PTE_NX),
			      "page %lu: entry %#lx", i, pte);
		ck_assert_uint_eq(pcache_maps(page), 1);
	}
	/* a read of a neighbour now needs no fault at all: the next is spurious */
	ck_assert_int_eq(fault(VA1 + 6 * PG, RD), FAULT_DONE);
	MOVED(.pcache_hit = 1, .around = 13, .spurious = 1);
}
END_TEST

START_TEST(fault_around_stays_inside_the_vma)
{
	/* a VMA of pages 3..9 of the file at window pages 3..9, between two
	 * other mappings of the same file */
	map(VA1, 3, R, 0, &E.fbig, 0);
	const struct vma *v = map(VA1 + 3 * PG, 7, R, VMA_SHARED, &E.fbig, 3);
	ck_assert_uint_eq(v->end, VA1 + 10 * PG);
	map(VA1 + 10 * PG, 6, R, 0, &E.fbig, 10);
	cache_pages(E.big, 0, 32);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 5 * PG, RD), FAULT_DONE);
	MOVED(.pcache_hit = 1, .around = 6);
	for (uint64_t i = 0; i < 16; i++) {
		uint64_t pte = pte_of(VA1 + i * PG);
		if (i < 3 || i >= 10)
			ck_assert_msg(pte == 0, "page %lu outside the VMA mapped: %#lx", i, pte);
		else
			ck_assert_msg(pte == (phys(cached(E.big, i)) | PTE_USER | MM_PTE_OBJ |
					      X86_PTE_NX),
				      "page %lu: entry %#lx", i, pte);
	}
}
END_TEST

/* A fault on the first page of a page table (a 2 MiB boundary) maps the
 * cached pages after it, none before it, which are in the previous table. */
START_TEST(fault_around_stays_inside_the_faulting_page_table)
{
	const uint64_t start = VA2 - 16 * PG;
	map(start, 32, R, 0, &E.fbig, 0);
	cache_pages(E.big, 0, 32);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA2, RD), FAULT_DONE);
	MOVED(.pcache_hit = 1, .around = 15);
	for (uint64_t i = 0; i < 32; i++) {
		uint64_t pte = pte_of(start + i * PG);
		if (i < 16)
			ck_assert_msg(pte == 0, "page %lu in the table before mapped: %#lx", i, pte);
		else
			ck_assert_msg(pa_of(pte) == phys(cached(E.big, i)) && !(pte & X86_PTE_W),
				      "page %lu: entry %#lx", i, pte);
	}
	/* the fault on the last page of the lower table maps back to its window */
	ck_assert_int_eq(fault(VA2 - PG, RD), FAULT_DONE);
	MOVED(.pcache_hit = 2, .around = 30);
	ck_assert_uint_ne(pte_of(start), 0);
}
END_TEST

START_TEST(fault_around_skips_cached_pages_past_the_end_of_the_file)
{
	map(VA1, 8, R, 0, &E.fa, 0);
	cache_pages(E.a, 0, 6);   /* 3 and up: zero pages past the end */
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	MOVED(.pcache_hit = 1, .around = 2);
	ck_assert_uint_ne(pte_of(VA1 + 2 * PG), 0);
	for (uint64_t i = 3; i < 8; i++)
		ck_assert_uint_eq(pte_of(VA1 + i * PG), 0);
}
END_TEST

START_TEST(fault_around_keeps_entries_already_there)
{
	map(VA1, 16, RW, 0, &E.fbig, 0);
	cache_pages(E.big, 0, 16);
	ck_assert_int_eq(fault(VA1 + 3 * PG, WR), FAULT_DONE);   /* private copy */
	uint64_t copy = pte_of(VA1 + 3 * PG);
	ck_assert_uint_eq(copy & MM_PTE_OBJ, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 5 * PG, RD), FAULT_DONE);
	MOVED(.pcache_hit = 1, .around = 14);
	ck_assert_uint_eq(pte_of(VA1 + 3 * PG), copy);
	ck_assert_uint_eq(pcache_maps(cached(E.big, 3)), 0);
}
END_TEST

START_TEST(file_write_faults_map_no_neighbours)
{
	map(VA1, 16, RW, VMA_SHARED, &E.fbig, 0);
	map(VA2, 16, RW, 0, &E.fbig, 0);
	cache_pages(E.big, 0, 16);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 5 * PG, WR), FAULT_DONE);
	ck_assert_int_eq(fault(VA2 + 5 * PG, WR), FAULT_DONE);
	MOVED(.pcache_hit = 2, .shared_dirty = 1, .cow = 1);
	for (uint64_t i = 0; i < 16; i++)
		if (i != 5) {
			ck_assert_uint_eq(pte_of(VA1 + i * PG), 0);
			ck_assert_uint_eq(pte_of(VA2 + i * PG), 0);
		}
}
END_TEST

/* madvise(MADV_RANDOM): one page a fault, nothing read ahead or around. */
START_TEST(file_read_fault_in_a_random_read_vma_maps_no_neighbours)
{
	map(VA1, 16, R, VMA_RAND_READ, &E.fbig, 0);
	cache_pages(E.big, 0, 4);
	cache_pages(E.big, 6, 16);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 5 * PG, RD), FAULT_DONE);   /* sequential after 3 */
	MOVED(.disk_read = 1);
	ck_assert_uint_eq(pa_of(pte_of(VA1 + 5 * PG)), phys(cached(E.big, 5)));
	for (uint64_t i = 0; i < 16; i++)
		if (i != 5)
			ck_assert_msg(pte_of(VA1 + i * PG) == 0, "page %lu mapped", i);
	ck_assert_ptr_null(pcache_find(E.big, 4));
}
END_TEST

/* madvise(MADV_SEQUENTIAL): even a first miss reads ahead, and the pages
 * read with it are mapped by fault-around. */
START_TEST(file_read_fault_in_a_sequential_read_vma_reads_ahead_and_maps_around)
{
	map(VA1, 16, R, VMA_SEQ_READ, &E.fbig, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	/* how far one run goes depends on the image's block layout (mke2fs
	 * puts the first indirect block after page 11) */
	struct pcache_stats st;
	pcache_get_stats(&st);
	ck_assert_uint_ge(st.readahead, 1);
	uint64_t run = st.readahead < 15 ? st.readahead : 15;
	MOVED(.disk_read = 1, .around = run);
	for (uint64_t i = 0; i < 16; i++) {
		uint64_t pte = pte_of(VA1 + i * PG);
		if (i <= run)
			ck_assert_uint_eq(pte, phys(cached(E.big, i)) | PTE_USER | MM_PTE_OBJ |
						       X86_PTE_NX);
		else
			ck_assert_uint_eq(pte, 0);
	}
}
END_TEST

/* ---- file pages: the end of the file ------------------------------------ */

START_TEST(file_fault_on_a_page_wholly_past_the_end_is_sigbus_adrerr)
{
	map(VA1, 8, RW, 0, &E.fa, 0);
	map(VA2, 4, RW, VMA_SHARED, &E.fa, 2);
	unsigned reads = E.disk.reads;
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 3 * PG, RD), FAULT_BUS_ADRERR);
	ck_assert_int_eq(fault(VA1 + 7 * PG + 99, WR), FAULT_BUS_ADRERR);
	ck_assert_int_eq(fault(VA2 + PG, WR), FAULT_BUS_ADRERR);   /* file page 3 */
	MOVED(0);   /* sigbus is the trap code's to count */
	ck_assert_uint_eq(E.disk.reads, reads);
	ck_assert_ptr_null(pcache_find(E.a, 3));
	ck_assert_uint_eq(pte_of(VA1 + 3 * PG), 0);
	ck_assert_uint_eq(pte_of(VA2 + PG), 0);
}
END_TEST

START_TEST(file_fault_on_the_last_partial_page_maps_it_with_zeros_past_the_end)
{
	map(VA1, 4, R, 0, &E.fa, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 2 * PG + PG - 1, RD), FAULT_DONE);
	MOVED(.disk_read = 1);
	uint8_t *page = cached(E.a, 2);
	ck_assert_uint_eq(pte_of(VA1 + 2 * PG), phys(page) | PTE_USER | MM_PTE_OBJ | X86_PTE_NX);
	assert_file_bytes(page, 1, 2 * PG, A_SIZE);   /* zeros from byte 1808 on */
	ck_assert_uint_eq(page[A_SIZE - 2 * PG - 1], host_pattern_byte(1, A_SIZE - 1));
}
END_TEST

/* ---- file pages: writes ------------------------------------------------- */

START_TEST(private_file_write_fault_maps_an_anonymous_copy_and_leaves_the_cache_page_alone)
{
	map(VA1, 4, RW, 0, &E.fbig, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + PG, WR), FAULT_DONE);
	MOVED(.disk_read = 1, .cow = 1);
	uint8_t *cache = cached(E.big, 1);
	uint64_t pte = pte_of(VA1 + PG);
	ck_assert_uint_eq(pte & ~X86_PTE_ADDR, PTE_USER | PTE_WRITE | X86_PTE_NX);
	ck_assert_uint_ne(pa_of(pte), phys(cache));
	ck_assert_uint_eq(pcache_maps(cache), 0);
	ck_assert_uint_eq(pageref_count(pa_of(pte)), 1);
	uint8_t *copy = page_at(VA1 + PG);
	assert_file_bytes(copy, 3, PG, BIG_PAGES * PG);
	memset(copy, 0x5c, PG);   /* the user's store */
	assert_file_bytes(cache, 3, PG, BIG_PAGES * PG);
	/* nothing written to the file when the mapping goes */
	unsigned writes = E.disk.writes;
	unmap(VA1, 4);
	ck_assert_uint_eq(E.disk.writes, writes);
}
END_TEST

START_TEST(private_file_write_after_a_read_fault_copies_and_drops_the_pin)
{
	map(VA1, 4, RW, 0, &E.fbig, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	uint8_t *cache = cached(E.big, 0);
	ck_assert_uint_eq(pcache_maps(cache), 1);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, WR_P), FAULT_DONE);
	MOVED(.cow = 1);
	uint64_t pte = pte_of(VA1);
	ck_assert_uint_eq(pte & ~X86_PTE_ADDR, PTE_USER | PTE_WRITE | X86_PTE_NX);
	ck_assert_uint_ne(pa_of(pte), phys(cache));
	ck_assert_uint_eq(pcache_maps(cache), 0);
	ck_assert(invlpg_seen(VA1));
	assert_file_bytes(page_at(VA1), 3, 0, BIG_PAGES * PG);
	assert_file_bytes(cache, 3, 0, BIG_PAGES * PG);
}
END_TEST

START_TEST(shared_file_write_fault_maps_the_cache_page_writable_and_dirty)
{
	map(VA1, 4, RW, VMA_SHARED, &E.fa, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + PG, WR), FAULT_DONE);
	MOVED(.disk_read = 1, .shared_dirty = 1);
	uint8_t *page = cached(E.a, 1);
	ck_assert_uint_eq(pte_of(VA1 + PG),
			  phys(page) | PTE_USER | MM_PTE_OBJ | PTE_WRITE | X86_PTE_NX);
	ck_assert_uint_eq(pcache_maps(page), 1);
	memset(page + 100, 0x77, 50);   /* the user's store */
	/* dirty: the last mapping to go writes it back */
	struct pcache_stats st;
	unmap(VA1, 4);
	pcache_get_stats(&st);
	ck_assert_uint_eq(st.writebacks, 1);
	uint8_t buf[PG];
	ck_assert_int_eq(ext2_read(&E.fs, E.a, PG, buf, PG), PG);
	for (unsigned i = 0; i < PG; i++)
		ck_assert_uint_eq(buf[i], i >= 100 && i < 150 ? 0x77 : host_pattern_byte(1, PG + i));
}
END_TEST

START_TEST(shared_file_read_then_write_sets_w_on_the_second_fault)
{
	map(VA1, 4, RW, VMA_SHARED, &E.fa, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	MOVED(.disk_read = 1);
	uint8_t *page = cached(E.a, 0);
	ck_assert_uint_eq(pte_of(VA1), phys(page) | PTE_USER | MM_PTE_OBJ | X86_PTE_NX);
	/* clean: writing it back writes nothing */
	unsigned writes = E.disk.writes;
	ck_assert_int_eq(pcache_writeback(&E.fs, page, A_SIZE), 0);
	ck_assert_uint_eq(E.disk.writes, writes);
	ck_assert_int_eq(fault(VA1, WR_P), FAULT_DONE);
	MOVED(.disk_read = 1, .shared_dirty = 1);
	ck_assert_uint_eq(pte_of(VA1), phys(page) | PTE_USER | MM_PTE_OBJ | PTE_WRITE | X86_PTE_NX);
	ck_assert(invlpg_seen(VA1));
	ck_assert_uint_eq(pcache_maps(page), 1);   /* the same pin */
	/* dirty now: the last unpin says so */
	pcache_pin(page);
	ck_assert(!pcache_unpin(page));
	ck_assert_int_eq(pcache_writeback(&E.fs, page, A_SIZE), 0);
	ck_assert_uint_gt(E.disk.writes, writes);
}
END_TEST

/* ---- shared anonymous memory -------------------------------------------- */

START_TEST(shm_first_fault_allocates_the_objects_zeroed_page)
{
	struct file *f = shm_file(4);
	map(VA1, 4, RW, VMA_SHARED, f, 0);
	ck_assert_uint_eq(f->refs, 2);
	dirty_free_pages(8);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 2 * PG, RD), FAULT_DONE);
	MOVED(.anon_zero = 1);
	uint64_t pa = shm_page(f->shm, 2, false);
	ck_assert_uint_ne(pa, 0);
	ck_assert_uint_eq(pte_of(VA1 + 2 * PG), pa | PTE_USER | MM_PTE_OBJ | X86_PTE_NX);
	assert_filled(fake_ptr(pa), 0);
	ck_assert_uint_eq(shm_page(f->shm, 1, false), 0);   /* one page only */
	/* a write makes it writable, no new page */
	ck_assert_int_eq(fault(VA1 + 2 * PG, WR_P), FAULT_DONE);
	MOVED(.anon_zero = 1);
	ck_assert_uint_eq(pte_of(VA1 + 2 * PG),
			  pa | PTE_USER | MM_PTE_OBJ | PTE_WRITE | X86_PTE_NX);
	/* a write fault on a fresh page maps it writable at once */
	ck_assert_int_eq(fault(VA1, WR), FAULT_DONE);
	MOVED(.anon_zero = 2);
	ck_assert_uint_eq(pte_of(VA1), shm_page(f->shm, 0, false) | PTE_USER | MM_PTE_OBJ |
					       PTE_WRITE | X86_PTE_NX);
	unmap(VA1, 4);
	ck_assert_uint_eq(f->refs, 1);
	file_put(f);   /* the test's: the object goes */
	ck_assert_uint_eq(fake_kernel.files_freed, 1);
}
END_TEST

START_TEST(shm_second_vma_of_the_object_maps_the_same_page)
{
	struct file *f = shm_file(4);
	map(VA1, 4, RW, VMA_SHARED, f, 0);
	map(VA2, 2, R, VMA_SHARED, f, 2);
	ck_assert_int_eq(fault(VA1 + 3 * PG, WR), FAULT_DONE);
	page_at(VA1 + 3 * PG)[10] = 0x42;
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA2 + PG, RD), FAULT_DONE);
	MOVED(0);   /* no new page */
	ck_assert_uint_eq(pa_of(pte_of(VA2 + PG)), pa_of(pte_of(VA1 + 3 * PG)));
	ck_assert_uint_eq(pte_of(VA2 + PG) & ~X86_PTE_ADDR, PTE_USER | MM_PTE_OBJ | X86_PTE_NX);
	ck_assert_uint_eq(page_at(VA2 + PG)[10], 0x42);
	unmap(VA1, 4);
	unmap(VA2, 2);
	file_put(f);
}
END_TEST

START_TEST(shm_page_outlives_mm_zap_and_comes_back_on_the_next_fault)
{
	struct file *f = shm_file(4);
	const struct vma *v = map(VA1, 4, RW, VMA_SHARED, f, 0);
	ck_assert_int_eq(fault(VA1, WR), FAULT_DONE);
	uint64_t pa = pa_of(pte_of(VA1));
	memset(fake_ptr(pa), 0x31, PG);
	uint64_t pages = pages_allocated();
	mm_zap(v, VA1, VA1 + 4 * PG);   /* MADV_DONTNEED */
	ck_assert_uint_eq(pte_of(VA1), 0);
	ck_assert_uint_eq(pages_allocated(), pages);   /* the object's still */
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	MOVED(0);
	ck_assert_uint_eq(pa_of(pte_of(VA1)), pa);
	assert_filled(page_at(VA1), 0x31);
	unmap(VA1, 4);
	file_put(f);
}
END_TEST

START_TEST(shm_fault_past_the_objects_size_is_sigbus_adrerr)
{
	struct file *f = shm_file(2);
	map(VA1, 4, RW, VMA_SHARED, f, 0);   /* as after mremap grew it */
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 2 * PG, RD), FAULT_BUS_ADRERR);
	ck_assert_int_eq(fault(VA1 + 3 * PG, WR), FAULT_BUS_ADRERR);
	MOVED(0);
	ck_assert_uint_eq(pte_of(VA1 + 2 * PG), 0);
	ck_assert_int_eq(fault(VA1 + PG, RD), FAULT_DONE);   /* inside: fine */
	MOVED(.anon_zero = 1);
	unmap(VA1, 4);
	file_put(f);
}
END_TEST

/* ---- fork and copy on write --------------------------------------------- */

/* The parent (current) has written 0x11 to VA1 and 0x22 to VA1 + PG of an
 * anonymous private VMA; the child gets a copy. */
static void fork_child(void)
{
	map(VA1, 4, RW, 0, NULL, 0);
	ck_assert_int_eq(fault(VA1, WR), FAULT_DONE);
	ck_assert_int_eq(fault(VA1 + PG, WR), FAULT_DONE);
	memset(page_at(VA1), 0x11, PG);
	memset(page_at(VA1 + PG), 0x22, PG);
	proc_setup(&E.child);
	E.child_used = true;
	ck_assert_int_eq(mm_fork(&E.parent, &E.child), 0);
	ck_assert_uint_eq(fake.cr3, E.parent.cr3);   /* reloaded for the TLB */
	ck_assert_uint_ge(fake_kernel.cr3_loads, 1);
}

START_TEST(fork_shares_anonymous_pages_read_only_with_two_references)
{
	fork_child();
	uint64_t ppte = pte_of(VA1);
	use(&E.child);
	uint64_t cpte = pte_of(VA1);
	ck_assert_uint_eq(ppte, cpte);
	ck_assert_uint_eq(cpte & ~X86_PTE_ADDR, PTE_USER | X86_PTE_NX);
	ck_assert_uint_eq(pageref_count(pa_of(cpte)), 2);
	ck_assert_uint_eq(E.child.vmas.n, 1);
	use(&E.parent);
}
END_TEST

START_TEST(cow_write_fault_in_the_child_copies_and_the_parents_count_drops_to_one)
{
	fork_child();
	uint64_t ppte = pte_of(VA1);
	uint64_t pa = pa_of(ppte);
	use(&E.child);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 3, WR_P), FAULT_DONE);
	MOVED(.cow = 1);
	uint64_t cpte = pte_of(VA1);
	ck_assert_uint_ne(pa_of(cpte), pa);
	ck_assert_uint_eq(cpte & ~X86_PTE_ADDR, PTE_USER | PTE_WRITE | X86_PTE_NX);
	ck_assert(invlpg_seen(VA1));
	assert_filled(page_at(VA1), 0x11);
	page_at(VA1)[0] = 0x99;   /* the child's store */
	ck_assert_uint_eq(pageref_count(pa), 1);
	ck_assert_uint_eq(pageref_count(pa_of(cpte)), 1);
	use(&E.parent);
	ck_assert_uint_eq(pte_of(VA1), ppte);   /* untouched: still read-only */
	assert_filled(page_at(VA1), 0x11);
	/* the other page is still shared */
	ck_assert_uint_eq(pageref_count(pa_of(pte_of(VA1 + PG))), 2);
}
END_TEST

START_TEST(cow_write_fault_in_the_last_owner_only_sets_w)
{
	fork_child();
	uint64_t pa = pa_of(pte_of(VA1));
	use(&E.child);
	ck_assert_int_eq(fault(VA1, WR_P), FAULT_DONE);   /* the child copies */
	use(&E.parent);
	uint64_t pages = pages_allocated();
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, WR_P), FAULT_DONE);
	MOVED(0);
	ck_assert_uint_eq(pte_of(VA1), pa | PTE_USER | PTE_WRITE | X86_PTE_NX);
	ck_assert(invlpg_seen(VA1));
	ck_assert_uint_eq(pages_allocated(), pages);
	assert_filled(page_at(VA1), 0x11);
}
END_TEST

START_TEST(fork_maps_file_pages_as_they_are_with_one_more_pin)
{
	map(VA2, 4, RW, VMA_SHARED, &E.fa, 0);
	ck_assert_int_eq(fault(VA2, WR), FAULT_DONE);
	uint8_t *page = cached(E.a, 0);
	proc_setup(&E.child);
	E.child_used = true;
	ck_assert_int_eq(mm_fork(&E.parent, &E.child), 0);
	ck_assert_uint_eq(E.fa.refs, 3);
	ck_assert_uint_eq(pcache_maps(page), 2);
	uint64_t ppte = pte_of(VA2);
	use(&E.child);
	ck_assert_uint_eq(pte_of(VA2), ppte);
	ck_assert_uint_eq(pte_of(VA2), phys(page) | PTE_USER | MM_PTE_OBJ | PTE_WRITE | X86_PTE_NX);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA2, WR_P), FAULT_DONE);
	MOVED(.spurious = 1);
	use(&E.parent);
}
END_TEST

/* ---- stacks ------------------------------------------------------------ */

#define STACK_PAGES 32u
#define STACK_LO (UVM_STACK_TOP - STACK_PAGES * PG)

static void map_stack(void)
{
	map(STACK_LO, STACK_PAGES, RW, VMA_GROWSDOWN | VMA_STACK, NULL, 0);
}

START_TEST(stack_fault_below_a_growsdown_vma_within_rlimit_stack_extends_it)
{
	map_stack();
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(STACK_LO - 3 * PG + 40, WR), FAULT_DONE);
	MOVED(.stack_grow = 1, .anon_zero = 1);
	const struct vma *v = vma_find(&E.parent.vmas, STACK_LO - 3 * PG);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->start, STACK_LO - 3 * PG);
	ck_assert_uint_eq(v->end, UVM_STACK_TOP);
	ck_assert_uint_eq(E.parent.vmas.n, 1);
	ck_assert_uint_eq(pte_of(STACK_LO - 3 * PG) & ~X86_PTE_ADDR,
			  PTE_USER | PTE_WRITE | X86_PTE_NX);
	ck_assert_uint_eq(pte_of(STACK_LO - 2 * PG), 0);   /* only the page touched */
}
END_TEST

START_TEST(stack_fault_beyond_rlimit_stack_is_segv_maperr)
{
	const uint64_t limit = 256ull << 10;
	map_stack();
	E.parent.rlim[RLIMIT_STACK].cur = limit;
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(UVM_STACK_TOP - limit - 1, WR), FAULT_SEGV_MAPERR);
	MOVED(0);
	ck_assert_uint_eq(vma_find(&E.parent.vmas, STACK_LO)->start, STACK_LO);
	ck_assert_ptr_null(vma_find(&E.parent.vmas, UVM_STACK_TOP - limit - 1));
	/* exactly the limit is fine */
	ck_assert_int_eq(fault(UVM_STACK_TOP - limit, WR), FAULT_DONE);
	MOVED(.stack_grow = 1, .anon_zero = 1);
	ck_assert_uint_eq(vma_find(&E.parent.vmas, STACK_LO)->start, UVM_STACK_TOP - limit);
}
END_TEST

START_TEST(stack_fault_into_the_guard_gap_above_another_mapping_is_segv_maperr)
{
	map_stack();
	map(STACK_LO - 300 * PG, 1, RW, 0, NULL, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(STACK_LO - 100 * PG, WR), FAULT_SEGV_MAPERR);
	MOVED(0);
	ck_assert_uint_eq(vma_find(&E.parent.vmas, STACK_LO)->start, STACK_LO);
	ck_assert_int_eq(fault(STACK_LO - 40 * PG, WR), FAULT_DONE);   /* gap still 260 pages */
	MOVED(.stack_grow = 1, .anon_zero = 1);
}
END_TEST

START_TEST(fault_below_a_vma_that_does_not_grow_down_is_segv_maperr)
{
	map(STACK_LO, STACK_PAGES, RW, VMA_STACK, NULL, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(STACK_LO - 8, WR), FAULT_SEGV_MAPERR);
	MOVED(0);
	ck_assert_uint_eq(vma_find(&E.parent.vmas, STACK_LO)->start, STACK_LO);
}
END_TEST

/* RLIMIT_STACK bounds every GROWSDOWN VMA by its own end, as Linux's
 * acct_stack_growth does: a MAP_GROWSDOWN | MAP_STACK mapping far below
 * the main stack grows too. */
START_TEST(growsdown_stack_mapping_away_from_the_main_stack_grows_within_rlimit_stack)
{
	map(VA2, 4, RW, VMA_GROWSDOWN | VMA_STACK, NULL, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA2 - 2 * PG, WR), FAULT_DONE);
	MOVED(.stack_grow = 1, .anon_zero = 1);
	ck_assert_uint_eq(vma_find(&E.parent.vmas, VA2)->start, VA2 - 2 * PG);
}
END_TEST

/* MAP_GROWSDOWN alone (no MAP_STACK) is held to RLIMIT_STACK too. */
START_TEST(growsdown_mapping_without_map_stack_is_held_to_rlimit_stack)
{
	const uint64_t limit = 256ull << 10;
	map(VA2, 4, RW, VMA_GROWSDOWN, NULL, 0);
	E.parent.rlim[RLIMIT_STACK].cur = limit;
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA2 + 4 * PG - limit - 1, WR), FAULT_SEGV_MAPERR);
	MOVED(0);
	ck_assert_uint_eq(vma_find(&E.parent.vmas, VA2)->start, VA2);
}
END_TEST

/* ---- PROT_NONE and back ------------------------------------------------- */

static const struct vma *protect(uint64_t start, uint64_t pages, uint32_t prot)
{
	uint64_t end = start + pages * PG;

	ck_assert_int_eq(vma_protect(&E.parent.vmas, start, end, prot, NULL), 0);
	const struct vma *v = vma_find(&E.parent.vmas, start);
	ck_assert_ptr_nonnull(v);
	return v;
}

START_TEST(prot_none_then_mprotect_back_keeps_the_pages_contents)
{
	map(VA1, 4, RW, 0, NULL, 0);
	ck_assert_int_eq(fault(VA1 + PG, WR), FAULT_DONE);
	uint64_t pa = pa_of(pte_of(VA1 + PG));
	memset(fake_ptr(pa), 0x5a, PG);
	const struct vma *v = protect(VA1, 4, 0);
	mm_reprotect(v, VA1, VA1 + 4 * PG);
	ck_assert_uint_eq(pte_of(VA1 + PG), pa | MM_PTE_PROTNONE);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + PG, RD), FAULT_SEGV_ACCERR);
	ck_assert_int_eq(fault(VA1 + PG, WR), FAULT_SEGV_ACCERR);
	MOVED(0);
	v = protect(VA1, 4, RW);
	mm_reprotect(v, VA1, VA1 + 4 * PG);
	ck_assert_uint_eq(pte_of(VA1 + PG), pa | PTE_USER | PTE_WRITE | X86_PTE_NX);
	assert_filled(fake_ptr(pa), 0x5a);
	ck_assert_int_eq(fault(VA1 + PG, WR_P), FAULT_DONE);
	MOVED(.spurious = 1);
}
END_TEST

/* The VMA allows access again but its entries were not rewritten: the
 * fault restores the entry with the page it kept. */
START_TEST(prot_none_entry_faulted_after_the_vma_allows_access_keeps_its_page)
{
	map(VA1, 4, RW, 0, NULL, 0);
	ck_assert_int_eq(fault(VA1, WR), FAULT_DONE);
	uint64_t pa = pa_of(pte_of(VA1));
	memset(fake_ptr(pa), 0x6b, PG);
	mm_reprotect(protect(VA1, 4, 0), VA1, VA1 + 4 * PG);
	protect(VA1, 4, R);
	uint64_t pages = pages_allocated();
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	MOVED(0);
	ck_assert_uint_eq(pte_of(VA1), pa | PTE_USER | X86_PTE_NX);
	ck_assert_uint_eq(pages_allocated(), pages);
	assert_filled(fake_ptr(pa), 0x6b);
}
END_TEST

START_TEST(prot_none_on_a_file_page_keeps_its_pin_and_mprotect_back_maps_it_again)
{
	map(VA1, 4, R, VMA_SHARED, &E.fa, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	uint8_t *page = cached(E.a, 0);
	mm_reprotect(protect(VA1, 4, 0), VA1, VA1 + 4 * PG);
	ck_assert_uint_eq(pte_of(VA1), phys(page) | MM_PTE_OBJ | MM_PTE_PROTNONE);
	ck_assert_uint_eq(pcache_maps(page), 1);
	mm_reprotect(protect(VA1, 4, R), VA1, VA1 + 4 * PG);
	ck_assert_uint_eq(pte_of(VA1), phys(page) | PTE_USER | MM_PTE_OBJ | X86_PTE_NX);
	ck_assert_uint_eq(pcache_maps(page), 1);
}
END_TEST

/* ---- a process with more VMAs than struct proc holds ------------------- */

/* 200 VMAs (more than PROC_VMA_INLINE) in table entries 0 and 1, whose
 * windows the array moves to; fork copies them all and each side keeps
 * its own pages. */
START_TEST(fork_of_a_process_with_more_vmas_than_fit_inline_copies_every_one)
{
	struct proc *p = &proc_table[0], *c = &proc_table[1];
	const unsigned n = 200;

	proc_setup(p);
	use(p);
	for (unsigned i = 0; i < n; i++) {
		map(VA1 + i * PG, 1, i % 2 ? R : RW, 0, NULL, 0);
		ck_assert_int_eq(fault(VA1 + i * PG, i % 2 ? RD : WR), FAULT_DONE);
		if (!(i % 2))
			*(uint32_t *)page_at(VA1 + i * PG) = 0x1000 + i;
	}
	ck_assert_uint_eq(p->vmas.n, n);
	ck_assert_ptr_ne(p->vmas.v, p->vma_inline);
	ck_assert_ptr_null(vma_validate(&p->vmas));

	proc_setup(c);
	ck_assert_int_eq(mm_fork(p, c), 0);
	ck_assert_uint_eq(c->vmas.n, n);
	ck_assert_ptr_ne(c->vmas.v, p->vmas.v);
	ck_assert_ptr_null(vma_validate(&c->vmas));
	use(c);
	for (unsigned i = 0; i < n; i += 2) {
		ck_assert_uint_eq(c->vmas.v[i].start, VA1 + i * PG);
		ck_assert_int_eq(fault(VA1 + i * PG, WR_P), FAULT_DONE);
		ck_assert_uint_eq(*(uint32_t *)page_at(VA1 + i * PG), 0x1000 + i);
		*(uint32_t *)page_at(VA1 + i * PG) = 0x2000 + i;
	}
	mm_destroy(c);
	ck_assert_uint_eq(c->vma_window_pages, 0);
	use(p);
	for (unsigned i = 0; i < n; i += 2)
		ck_assert_uint_eq(*(uint32_t *)page_at(VA1 + i * PG), 0x1000 + i);
	mm_destroy(p);
	ck_assert_uint_eq(p->vma_window_pages, 0);
	use(&E.parent);
}
END_TEST

/* ---- reclaim: the page cache takes mapped pages back ------------------ */

/* mm_reclaim_cache_page walks the process table: the test's process is
 * entry 0 there, running. */
static struct proc *table_proc(void)
{
	struct proc *p = &proc_table[0];

	proc_setup(p);
	p->state = PROC_RUNNABLE;
	use(p);
	return p;
}

static void table_proc_done(struct proc *p)
{
	mm_destroy(p);
	p->state = PROC_FREE;
	use(&E.parent);
}

START_TEST(reclaim_unmaps_a_clean_cache_page_from_every_mapping)
{
	struct proc *p = table_proc();
	map(VA1, 4, R, 0, &E.fbig, 0);
	map(VA2, 4, R, 0, &E.fbig, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	ck_assert_int_eq(fault(VA2, RD), FAULT_DONE);
	uint8_t *page = pcache_find(E.big, 0);
	ck_assert_ptr_nonnull(page);
	ck_assert_uint_eq(pcache_maps(page), 2);
	fake.ninvlpg = 0;
	ck_assert(mm_reclaim_cache_page(E.big, 0, page));
	ck_assert_uint_eq(pcache_maps(page), 0);
	ck_assert_uint_eq(pte_of(VA1), 0);
	ck_assert_uint_eq(pte_of(VA2), 0);
	ck_assert(invlpg_seen(VA1) && invlpg_seen(VA2));
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);   /* and it comes back */
	ck_assert_uint_ne(pte_of(VA1) & X86_PTE_P, 0);
	table_proc_done(p);
}
END_TEST

START_TEST(reclaim_writes_a_dirty_shared_page_first)
{
	struct proc *p = table_proc();
	uint8_t b = 0;
	map(VA1, 2, RW, VMA_SHARED, &E.fa, 0);
	ck_assert_int_eq(fault(VA1, WR), FAULT_DONE);
	uint8_t *page = pcache_find(E.a, 0);
	ck_assert_ptr_nonnull(page);
	page[5] = 0x77;   /* the user's store through the writable entry */
	ck_assert(mm_reclaim_cache_page(E.a, 0, page));
	ck_assert_uint_eq(pte_of(VA1), 0);
	ck_assert_uint_eq(pcache_maps(page), 0);
	ck_assert_int_eq(ext2_read(&E.fs, E.a, 5, &b, 1), 1);
	ck_assert_uint_eq(b, 0x77);
	ck_assert(!pcache_unpin(page));   /* clean now: nothing left to write */
	table_proc_done(p);
}
END_TEST

START_TEST(reclaim_leaves_a_page_a_locked_mapping_holds)
{
	struct proc *p = table_proc();
	map(VA1, 4, R, 0, &E.fbig, 0);
	map(VA2, 4, R, VMA_LOCKED, &E.fbig, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	ck_assert_int_eq(fault(VA2, RD), FAULT_DONE);
	uint8_t *page = pcache_find(E.big, 0);
	ck_assert_uint_eq(pcache_maps(page), 2);
	ck_assert(!mm_reclaim_cache_page(E.big, 0, page));
	ck_assert_uint_eq(pcache_maps(page), 2);   /* neither entry went */
	ck_assert_uint_ne(pte_of(VA1) & X86_PTE_P, 0);
	ck_assert_uint_ne(pte_of(VA2) & X86_PTE_P, 0);
	table_proc_done(p);
}
END_TEST

/* The reverse map remembers where it last found a place and, while that
 * VMA is its file's only one, looks nowhere else; once a second VMA maps
 * the file, every place is found again. */
START_TEST(reclaim_after_a_second_mapping_appears_unmaps_both)
{
	struct proc *p = table_proc();
	map(VA1, 4, R, 0, &E.fbig, 0);
	for (unsigned k = 0; k < 3; k++)
		ck_assert_int_eq(fault(VA1 + k * PG, RD), FAULT_DONE);
	ck_assert(mm_reclaim_cache_page(E.big, 0, pcache_find(E.big, 0)));   /* remembers VA1 */
	ck_assert_uint_eq(pte_of(VA1), 0);
	ck_assert(mm_reclaim_cache_page(E.big, 1, pcache_find(E.big, 1)));   /* by the hint */
	ck_assert_uint_eq(pte_of(VA1 + PG), 0);
	map(VA2, 4, R, 0, &E.fbig, 0);
	ck_assert_int_eq(fault(VA2 + 2 * PG, RD), FAULT_DONE);
	uint8_t *page = pcache_find(E.big, 2);
	ck_assert_uint_eq(pcache_maps(page), 2);
	ck_assert(mm_reclaim_cache_page(E.big, 2, page));
	ck_assert_uint_eq(pcache_maps(page), 0);
	ck_assert_uint_eq(pte_of(VA1 + 2 * PG), 0);
	ck_assert_uint_eq(pte_of(VA2 + 2 * PG), 0);
	table_proc_done(p);
}
END_TEST

/* A whole address space going gives back its pages and pins, but leaves
 * its entries and the TLB alone: the space is never entered again and
 * its tables go next. */
START_TEST(mm_destroy_gives_back_pages_without_touching_entries_or_the_tlb)
{
	map(VA1, 2, RW, 0, NULL, 0);
	map(VA2, 2, R, 0, &E.fbig, 0);
	ck_assert_int_eq(fault(VA1, WR), FAULT_DONE);
	ck_assert_int_eq(fault(VA1 + PG, WR), FAULT_DONE);
	ck_assert_int_eq(fault(VA2, RD), FAULT_DONE);
	uint64_t anon = pte_of(VA1), file = pte_of(VA2), pages = pages_allocated();
	uint8_t *page = pcache_find(E.big, 0);
	ck_assert_uint_eq(pcache_maps(page), 1);
	fake.ninvlpg = 0;
	mm_destroy(&E.parent);
	ck_assert_uint_eq(E.parent.vmas.n, 0);
	ck_assert_uint_eq(pages_allocated(), pages - 2);   /* both anonymous pages */
	ck_assert_uint_eq(pcache_maps(page), 0);
	ck_assert_uint_eq(fake.ninvlpg, 0);
	ck_assert_uint_eq(pte_of(VA1), anon);
	ck_assert_uint_eq(pte_of(VA2), file);
}
END_TEST

/* More mappings of the page than the reverse map remembers in one batch:
 * every one goes; and a locked one after them all still keeps the page. */
#define MANY_MAPS 19u

static void map_many(unsigned n, uint32_t last_flags)
{
	for (unsigned k = 0; k < n; k++) {
		uint64_t va = VA1 + (uint64_t)k * 0x200000;   /* own page tables */
		map(va, 4, R, k + 1 == n ? last_flags : 0, &E.fbig, 0);
		ck_assert_int_eq(fault(va, RD), FAULT_DONE);
	}
}

START_TEST(reclaim_unmaps_every_mapping_when_there_are_more_than_a_batch)
{
	struct proc *p = table_proc();
	map_many(MANY_MAPS, 0);
	uint8_t *page = pcache_find(E.big, 0);
	ck_assert_uint_eq(pcache_maps(page), MANY_MAPS);
	ck_assert(mm_reclaim_cache_page(E.big, 0, page));
	ck_assert_uint_eq(pcache_maps(page), 0);
	for (unsigned k = 0; k < MANY_MAPS; k++)
		ck_assert_msg(pte_of(VA1 + (uint64_t)k * 0x200000) == 0, "mapping %u left", k);
	table_proc_done(p);
}
END_TEST

START_TEST(reclaim_leaves_the_page_when_a_locked_mapping_comes_after_a_batch)
{
	struct proc *p = table_proc();
	map_many(MANY_MAPS, VMA_LOCKED);
	uint8_t *page = pcache_find(E.big, 0);
	ck_assert(!mm_reclaim_cache_page(E.big, 0, page));
	ck_assert_uint_eq(pcache_maps(page), MANY_MAPS);
	for (unsigned k = 0; k < MANY_MAPS; k++)
		ck_assert_uint_ne(pte_of(VA1 + (uint64_t)k * 0x200000) & X86_PTE_P, 0);
	table_proc_done(p);
}
END_TEST

START_TEST(reclaim_leaves_private_copies_alone)
{
	struct proc *p = table_proc();
	map(VA1, 2, RW, 0, &E.fa, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);   /* the cache page, read-only */
	uint8_t *page = pcache_find(E.a, 0);
	ck_assert_int_eq(fault(VA1, WR_P), FAULT_DONE); /* now a private copy */
	uint64_t copy = pte_of(VA1);
	ck_assert_uint_eq(copy & MM_PTE_OBJ, 0);
	ck_assert(mm_reclaim_cache_page(E.a, 0, page));
	ck_assert_uint_eq(pte_of(VA1), copy);
	table_proc_done(p);
}
END_TEST

/* ---- large entries: 2 MiB units of the page cache ---------------------- */

static void *ram_run_alloc(size_t npages, size_t align)
{
	uint64_t pa = page_alloc_run(npages, align);

	return pa ? fake_ptr(pa) : NULL;
}

/* Units of fake RAM, at most max, taken back through the kernel's hook. */
static void units_on(unsigned max)
{
	fake_run_alloc_hook = ram_run_alloc;
	pcache_set_units(max);
	pcache_set_reclaim_unit(mm_reclaim_cache_unit);
}

/* The PD entry for va in the current space (0 if its tables are missing). */
static uint64_t pde_of(uint64_t va)
{
	const uint64_t *pde = pgtable_pde_find_in(fake.cr3, va);

	return pde ? *pde : 0;
}

/* Every page of the unit at va is the file's (seed 5) from page first. */
static void assert_unit_bytes(uint64_t va, uint64_t first)
{
	for (uint64_t k = 0; k < UNIT; k += 37) {
		uint64_t pte = pgtable_large_pte(va + k * PG);
		ck_assert_uint_ne(pte & X86_PTE_P, 0);
		assert_file_bytes(fake_ptr(pa_of(pte)), 5, (first + k) * PG,
				  (uint64_t)HUGE_PAGES * PG);
	}
}

START_TEST(large_read_fault_maps_the_whole_unit_read_only_with_one_entry)
{
	units_on(4);
	map(VA1, HUGE_PAGES, R, VMA_SHARED, &E.fhuge, 0);
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 5 * PG + 9, RD), FAULT_DONE);
	MOVED(.disk_read = 1);
	ck_assert_uint_eq(fault_stats.large, before.large + 1);
	uint64_t pde = pde_of(VA1);
	ck_assert_uint_eq(pde & (X86_PTE_P | X86_PTE_PS | X86_PTE_U | X86_PTE_W),
			  X86_PTE_P | X86_PTE_PS | X86_PTE_U);
	ck_assert_uint_eq(pde & ((2u << 20) - 1) & X86_PTE_ADDR, 0);   /* 2 MiB aligned */
	assert_unit_bytes(VA1, 0);
	/* the cache's pages are the unit's: one copy of each */
	ck_assert_uint_eq(phys(cached(E.huge, 7)), pa_of(pgtable_large_pte(VA1 + 7 * PG)));
	/* another access in the region: a stale TLB entry, nothing to do */
	ck_assert_int_eq(fault(VA1 + 300 * PG, RD), FAULT_DONE);
	MOVED(.disk_read = 1, .spurious = 1);
	/* the second unit; the last 3 pages are no unit: 4 KiB entries */
	ck_assert_int_eq(fault(VA1 + (UNIT + 1) * PG, RD), FAULT_DONE);
	assert_unit_bytes(VA1 + UNIT * PG, UNIT);
	ck_assert_int_eq(fault(VA1 + (2 * UNIT + 1) * PG, RD), FAULT_DONE);
	ck_assert_uint_eq(pde_of(VA1 + 2 * UNIT * PG) & X86_PTE_PS, 0);
	assert_file_bytes(page_at(VA1 + (2 * UNIT + 1) * PG), 5, (2 * UNIT + 1) * PG,
			  (uint64_t)HUGE_PAGES * PG);
	ck_assert_uint_eq(fault_stats.large, before.large + 2);
}
END_TEST

START_TEST(large_entry_goes_for_a_store_and_the_page_stays_the_caches)
{
	units_on(4);
	map(VA1, UNIT, RW, VMA_SHARED, &E.fhuge, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	uint64_t pa3 = pa_of(pgtable_large_pte(VA1 + 3 * PG));
	ck_assert_int_eq(fault(VA1 + 3 * PG, WR_P), FAULT_DONE);
	ck_assert(invlpg_seen(VA1));   /* the large entry flushed */
	ck_assert_uint_eq(pde_of(VA1) & X86_PTE_PS, 0);
	uint64_t pte = pte_of(VA1 + 3 * PG);
	ck_assert_uint_eq(pa_of(pte), pa3);
	ck_assert_uint_eq(pte & MM_PTE_WRITE, MM_PTE_WRITE);
	/* reads now fault 4 KiB pages in, of the same unit */
	ck_assert_int_eq(fault(VA1 + 100 * PG, RD), FAULT_DONE);
	ck_assert_uint_eq(pa_of(pte_of(VA1 + 100 * PG)), pa3 + 97 * PG);
	page_at(VA1 + 3 * PG)[0] ^= 0xff;
	unmap(VA1, UNIT);   /* the last mapping of a dirty page writes it */
	uint8_t buf[1];
	ck_assert_int_eq(ext2_read(&E.fs, E.huge, 3 * PG, buf, 1), 1);
	ck_assert_uint_eq(buf[0], host_pattern_byte(5, 3 * PG) ^ 0xff);
}
END_TEST

START_TEST(large_entry_goes_when_part_of_its_region_is_unmapped_or_reprotected)
{
	units_on(4);
	map(VA1, 2 * UNIT, R, 0, &E.fhuge, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	ck_assert_int_eq(fault(VA1 + UNIT * PG, RD), FAULT_DONE);
	ck_assert_uint_ne(pde_of(VA1) & X86_PTE_PS, 0);
	ck_assert_uint_ne(pde_of(VA1 + UNIT * PG) & X86_PTE_PS, 0);
	unmap(VA1 + 10 * PG, 1);
	ck_assert_uint_eq(pde_of(VA1), 0);
	ck_assert_int_eq(fault(VA1 + 10 * PG, RD), FAULT_SEGV_MAPERR);
	ck_assert_int_eq(fault(VA1 + 11 * PG, RD), FAULT_DONE);   /* 4 KiB now */
	ck_assert_uint_eq(pde_of(VA1) & X86_PTE_PS, 0);
	ck_assert_uint_ne(pte_of(VA1 + 11 * PG) & X86_PTE_P, 0);
	const struct vma *v = protect(VA1 + (UNIT + 4) * PG, 1, 0);
	mm_reprotect(v, v->start, v->end);
	ck_assert_uint_eq(pde_of(VA1 + UNIT * PG), 0);
	ck_assert_int_eq(fault(VA1 + (UNIT + 4) * PG, RD), FAULT_SEGV_ACCERR);
}
END_TEST

START_TEST(large_units_are_taken_back_from_their_mappings_when_all_are_in_use)
{
	struct proc *p = table_proc();
	units_on(1);
	map(VA1, 2 * UNIT, R, 0, &E.fhuge, 0);
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	uint64_t block = pde_of(VA1) & X86_PTE_ADDR;
	ck_assert_int_eq(fault(VA1 + UNIT * PG, RD), FAULT_DONE);
	ck_assert_uint_eq(pde_of(VA1), 0);   /* taken back */
	ck_assert_uint_eq(pde_of(VA1 + UNIT * PG) & X86_PTE_ADDR, block);
	assert_unit_bytes(VA1 + UNIT * PG, UNIT);
	ck_assert_ptr_null(pcache_find(E.huge, 5));
	/* locked (mlock after the fault), a mapping keeps its unit: the
	 * next unit wanted is not to be had, and 4 KiB entries do */
	ck_assert_int_eq(vma_set_flags(&p->vmas, VA1, VA1 + 2 * UNIT * PG, VMA_LOCKED, 0, false,
				       NULL), 0);
	map(VA3, UNIT, R, 0, &E.fhuge, 0);
	ck_assert_int_eq(fault(VA3, RD), FAULT_DONE);
	ck_assert_uint_eq(pde_of(VA3) & X86_PTE_PS, 0);
	ck_assert_uint_ne(pte_of(VA3) & X86_PTE_P, 0);
	ck_assert_uint_eq(pde_of(VA1 + UNIT * PG) & X86_PTE_ADDR, block);
	table_proc_done(p);
}
END_TEST

/* Two VMAs end to end over the file: [VA1, +2M) its unit 0, then
 * [VA1 + 2M, +4M) its units 0 and 1. */
static void two_windows(void)
{
	map(VA1, UNIT, R, 0, &E.fhuge, 0);
	map(VA1 + UNIT * PG, 2 * UNIT, R, 0, &E.fhuge, 0);
}

/* async: a device that reads in the background (the unit of a region is
 * read while the next one is prepared) */
static void walk_in_order(bool async)
{
	units_on(4);
	two_windows();
	E.disk.async = async;
	struct fault_stats before = fault_stats;
	ck_assert_int_eq(fault(VA1 + 3 * PG, RD), FAULT_DONE);
	ck_assert_int_eq(fault(VA1 + UNIT * PG, RD), FAULT_DONE);   /* the region after */
	/* the next region, unit 1, mapped too; the VMA ends there */
	ck_assert_uint_ne(pde_of(VA1 + 2 * UNIT * PG) & X86_PTE_PS, 0);
	assert_unit_bytes(VA1 + 2 * UNIT * PG, UNIT);
	ck_assert_uint_eq(pde_of(VA1 + 3 * UNIT * PG), 0);
	ck_assert_uint_eq(fault_stats.large, before.large + 3);
	ck_assert_uint_eq(fault_stats.around, before.around + 1);
	/* the second fault's own unit (unit 0 again: found) and the one ahead
	 * (read): one background read */
	ck_assert_uint_eq(E.disk.async_reads, async ? 1 : 0);
	ck_assert(!E.disk.started);
}

START_TEST(a_walk_in_order_gets_the_next_region_mapped_with_its_fault)
{
	walk_in_order(false);
}
END_TEST

START_TEST(a_walk_in_order_reads_the_units_ahead_in_the_background)
{
	walk_in_order(true);
}
END_TEST

/* A background read that fails maps nothing ahead, keeps the fault's own
 * region, and leaves the slot free: the region faults in later, read the
 * plain way. */
START_TEST(a_failed_background_read_maps_nothing_and_frees_its_unit)
{
	units_on(2);
	two_windows();
	E.disk.async = true;
	E.disk.async_fails = true;
	ck_assert_int_eq(fault(VA1 + 3 * PG, RD), FAULT_DONE);
	ck_assert_int_eq(fault(VA1 + UNIT * PG, RD), FAULT_DONE);
	ck_assert_uint_ne(pde_of(VA1 + UNIT * PG) & X86_PTE_PS, 0);   /* its own: unit 0 */
	ck_assert_uint_eq(pde_of(VA1 + 2 * UNIT * PG), 0);
	ck_assert_uint_eq(E.disk.async_reads, 1);
	ck_assert(!E.disk.started);
	/* the slot is free again: the region gets unit 1 when it faults */
	E.disk.async = E.disk.async_fails = false;
	ck_assert_int_eq(fault(VA1 + 2 * UNIT * PG + 5, RD), FAULT_DONE);
	ck_assert_uint_ne(pde_of(VA1 + 2 * UNIT * PG) & X86_PTE_PS, 0);
	assert_unit_bytes(VA1 + 2 * UNIT * PG, UNIT);
	/* two slots, two units: nothing was taken back for it (a slot lost
	 * to the failed read would have cost unit 0 its mappings) */
	ck_assert_uint_ne(pde_of(VA1) & X86_PTE_PS, 0);
	ck_assert_uint_ne(pde_of(VA1 + UNIT * PG) & X86_PTE_PS, 0);
}
END_TEST

START_TEST(a_fault_out_of_order_maps_its_own_region_only)
{
	units_on(4);
	two_windows();
	ck_assert_int_eq(fault(VA1 + UNIT * PG, RD), FAULT_DONE);   /* no region before it */
	ck_assert_uint_ne(pde_of(VA1 + UNIT * PG) & X86_PTE_PS, 0);
	ck_assert_uint_eq(pde_of(VA1 + 2 * UNIT * PG), 0);
	/* the region before it: not in order either */
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	ck_assert_uint_eq(pde_of(VA1 + 2 * UNIT * PG), 0);
}
END_TEST

START_TEST(no_large_entry_over_a_page_mapped_on_its_own)
{
	units_on(4);
	map(VA2, 1, R, VMA_SHARED, &E.fhuge, 4);   /* page 4 alone: 4 KiB */
	ck_assert_int_eq(fault(VA2, RD), FAULT_DONE);
	uint64_t pa4 = pa_of(pte_of(VA2));
	map(VA1, UNIT, R, VMA_SHARED, &E.fhuge, 0);
	ck_assert_int_eq(fault(VA1 + 4 * PG, RD), FAULT_DONE);
	ck_assert_uint_eq(pde_of(VA1) & X86_PTE_PS, 0);
	ck_assert_uint_eq(pa_of(pte_of(VA1 + 4 * PG)), pa4);   /* one copy */
	/* unmapped and clean, the page gives way to a unit (elsewhere: a
	 * region that had a page table keeps it, and 4 KiB entries) */
	unmap(VA2, 1);
	unmap(VA1, UNIT);
	map(VA3, UNIT, R, VMA_SHARED, &E.fhuge, 0);
	ck_assert_int_eq(fault(VA3, RD), FAULT_DONE);
	ck_assert_uint_ne(pde_of(VA3) & X86_PTE_PS, 0);
	assert_unit_bytes(VA3, 0);
}
END_TEST

/* ---- uaccess: host copies by physical address across faults ---------- */

/* kernel/uaccess.c with the host copy offered: a copy of one page's worth
 * from VA1 + PG / 2 (shared file mapping of /big) covers the second half of
 * page 0 and the first half of page 1. The cache holds only the pages the
 * test faults in (fs_page_alloc fails from then on), all mapped, so
 * supplying page 1 takes a mapped page back. */
static uint8_t *uaccess_setup(struct proc **p, uint32_t prot, uint64_t err0)
{
	*p = table_proc();
	pcache_set_reclaim(mm_reclaim_cache_page);
	map(VA1, 2, prot, VMA_SHARED, &E.fbig, 0);
	ck_assert_int_eq(fault(VA1, err0), FAULT_DONE);
	fake_kernel.phys_copy_on = true;
	uint64_t kpa = page_alloc();   /* the kernel side, in fake RAM */
	ck_assert_uint_ne(kpa, 0);
	return fake_ptr(kpa);
}

static void uaccess_done(struct proc *p, uint8_t *kbuf)
{
	fake_page_alloc_fails = false;
	fake_kernel.phys_copy_on = false;
	ck_assert_int_eq(page_free(phys(kbuf)), 0);
	table_proc_done(p);
}

/* The fault for page 1 takes page 0's frame (the cache's only page): the
 * pending host copy of page 0's half must not read page 1's bytes there. */
START_TEST(uaccess_copy_from_user_rereads_a_run_whose_page_a_fault_took_back)
{
	struct proc *p;
	uint8_t *kbuf = uaccess_setup(&p, R, RD);
	uint64_t pa0 = pa_of(pte_of(VA1));
	fake_page_alloc_fails = true;
	ck_assert_int_eq(copy_from_user(kbuf, VA1 + PG / 2, PG), 0);
	ck_assert_uint_eq(pa_of(pte_of(VA1 + PG)) | pa_of(pte_of(VA1)), pa0);   /* one frame */
	assert_file_bytes(kbuf, 3, PG / 2, (uint64_t)BIG_PAGES * PG);
	ck_assert_uint_eq(fake_kernel.phys_copies, 0);   /* the run was given up */
	uaccess_done(p, kbuf);
}
END_TEST

/* The same for a store: the half meant for page 0 must reach page 0 of the
 * file, not the frame page 1 now has. */
START_TEST(uaccess_copy_to_user_rewrites_a_run_whose_page_a_fault_took_back)
{
	struct proc *p;
	uint8_t *kbuf = uaccess_setup(&p, RW, WR);
	uint64_t back_pa = page_alloc();
	ck_assert_uint_ne(back_pa, 0);
	uint8_t *back = fake_ptr(back_pa);
	fake_page_alloc_fails = true;
	for (unsigned i = 0; i < PG; i++)
		kbuf[i] = (uint8_t)(i * 13 + 5);
	ck_assert_int_eq(copy_to_user(VA1 + PG / 2, kbuf, PG), 0);
	ck_assert_uint_eq(fake_kernel.phys_copies, 0);
	fake_kernel.phys_copy_on = false;   /* read back through the entries */
	ck_assert_int_eq(copy_from_user(back, VA1, PG), 0);
	ck_assert_int_eq(memcmp(back + PG / 2, kbuf, PG / 2), 0);
	for (unsigned i = 0; i < PG / 2; i++)   /* before the store: the file's */
		ck_assert_uint_eq(back[i], host_pattern_byte(3, i));
	ck_assert_int_eq(copy_from_user(back, VA1 + PG, PG), 0);
	ck_assert_int_eq(memcmp(back, kbuf + PG / 2, PG / 2), 0);
	for (unsigned i = PG / 2; i < PG; i++)
		ck_assert_uint_eq(back[i], host_pattern_byte(3, PG + i));
	ck_assert_int_eq(page_free(back_pa), 0);
	uaccess_done(p, kbuf);
}
END_TEST

/* A page taken back from another mapping leaves the run alone: both halves
 * still go by host copies. */
START_TEST(uaccess_copy_keeps_a_run_when_the_page_taken_back_is_not_in_it)
{
	struct proc *p = table_proc();
	pcache_set_reclaim(mm_reclaim_cache_page);
	map(VA2, 1, R, VMA_SHARED, &E.fbig, 5);
	ck_assert_int_eq(fault(VA2, RD), FAULT_DONE);   /* the first page: the one taken */
	map(VA1, 2, R, VMA_SHARED | VMA_RAND_READ, &E.fbig, 0);   /* no readahead */
	ck_assert_int_eq(fault(VA1, RD), FAULT_DONE);
	fake_kernel.phys_copy_on = true;
	uint64_t kpa = page_alloc();
	ck_assert_uint_ne(kpa, 0);
	uint8_t *kbuf = fake_ptr(kpa);
	uint64_t pa0 = pa_of(pte_of(VA1));
	struct pcache_stats st;
	pcache_get_stats(&st);
	uint64_t reclaimed = st.reclaimed;
	fake_page_alloc_fails = true;
	ck_assert_int_eq(copy_from_user(kbuf, VA1 + PG / 2, PG), 0);
	pcache_get_stats(&st);
	ck_assert_uint_eq(st.reclaimed, reclaimed + 1);
	ck_assert_uint_eq(pte_of(VA2), 0);
	ck_assert_uint_eq(pa_of(pte_of(VA1)), pa0);
	assert_file_bytes(kbuf, 3, PG / 2, (uint64_t)BIG_PAGES * PG);
	ck_assert_uint_eq(fake_kernel.phys_copies, 2);   /* two runs: not contiguous */
	ck_assert_uint_eq(fake_kernel.insn_copies, 0);
	uaccess_done(p, kbuf);
}
END_TEST

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/mapvisor-fault.XXXXXX");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	if (system("command -v mke2fs >/dev/null && command -v e2fsck >/dev/null") != 0) {
		printf("SKIP: e2fsprogs (mke2fs, e2fsck) not installed\n");
		rmdir(base);
		return 77;
	}
	snprintf(srcdir, sizeof(srcdir), "%s/src", base);
	char cmd[3 * PATHLEN];
	snprintf(cmd, sizeof(cmd), "mkdir '%s'", srcdir);
	host_need(system(cmd) == 0, "mkdir");
	host_pattern_file(srcdir, "a", A_SIZE, 1);
	host_pattern_file(srcdir, "big", (uint64_t)BIG_PAGES * PG, 3);
	host_pattern_file(srcdir, "huge", (uint64_t)HUGE_PAGES * PG, 5);

	Suite *s = suite_create("guest_fault");
	const TTest *t[] = {
	    fault_where_no_vma_is_segv_maperr,
	    fault_write_to_a_read_only_vma_is_segv_accerr,
	    fault_exec_in_an_nx_vma_is_segv_accerr,
	    fault_any_access_to_a_prot_none_vma_is_segv_accerr,
	    anon_first_touch_maps_a_zeroed_writable_page_in_a_writable_vma,
	    anon_first_touch_in_a_read_only_vma_maps_the_page_read_only,
	    anon_exec_fault_in_an_exec_vma_maps_the_page_without_nx,
	    fault_on_a_present_writable_page_is_spurious,
	    file_read_fault_reads_the_disk_and_maps_the_cache_page_read_only,
	    file_read_fault_with_a_pgoff_maps_the_page_of_that_offset,
	    file_read_fault_in_a_second_vma_of_the_file_is_a_pcache_hit_on_the_same_page,
	    file_read_fault_after_munmap_of_the_only_mapping_is_a_pcache_hit,
	    fault_around_maps_the_cached_neighbours_in_the_window_read_only,
	    fault_around_stays_inside_the_vma,
	    fault_around_stays_inside_the_faulting_page_table,
	    fault_around_skips_cached_pages_past_the_end_of_the_file,
	    fault_around_keeps_entries_already_there,
	    file_write_faults_map_no_neighbours,
	    file_read_fault_in_a_random_read_vma_maps_no_neighbours,
	    file_read_fault_in_a_sequential_read_vma_reads_ahead_and_maps_around,
	    file_fault_on_a_page_wholly_past_the_end_is_sigbus_adrerr,
	    file_fault_on_the_last_partial_page_maps_it_with_zeros_past_the_end,
	    private_file_write_fault_maps_an_anonymous_copy_and_leaves_the_cache_page_alone,
	    private_file_write_after_a_read_fault_copies_and_drops_the_pin,
	    shared_file_write_fault_maps_the_cache_page_writable_and_dirty,
	    shared_file_read_then_write_sets_w_on_the_second_fault,
	    shm_first_fault_allocates_the_objects_zeroed_page,
	    shm_second_vma_of_the_object_maps_the_same_page,
	    shm_page_outlives_mm_zap_and_comes_back_on_the_next_fault,
	    shm_fault_past_the_objects_size_is_sigbus_adrerr,
	    fork_shares_anonymous_pages_read_only_with_two_references,
	    cow_write_fault_in_the_child_copies_and_the_parents_count_drops_to_one,
	    cow_write_fault_in_the_last_owner_only_sets_w,
	    fork_maps_file_pages_as_they_are_with_one_more_pin,
	    stack_fault_below_a_growsdown_vma_within_rlimit_stack_extends_it,
	    stack_fault_beyond_rlimit_stack_is_segv_maperr,
	    stack_fault_into_the_guard_gap_above_another_mapping_is_segv_maperr,
	    fault_below_a_vma_that_does_not_grow_down_is_segv_maperr,
	    prot_none_then_mprotect_back_keeps_the_pages_contents,
	    prot_none_entry_faulted_after_the_vma_allows_access_keeps_its_page,
	    prot_none_on_a_file_page_keeps_its_pin_and_mprotect_back_maps_it_again,
	    growsdown_stack_mapping_away_from_the_main_stack_grows_within_rlimit_stack,
	    growsdown_mapping_without_map_stack_is_held_to_rlimit_stack,
	    reclaim_unmaps_a_clean_cache_page_from_every_mapping,
	    reclaim_writes_a_dirty_shared_page_first,
	    reclaim_leaves_a_page_a_locked_mapping_holds,
	    reclaim_unmaps_every_mapping_when_there_are_more_than_a_batch,
	    reclaim_after_a_second_mapping_appears_unmaps_both,
	    mm_destroy_gives_back_pages_without_touching_entries_or_the_tlb,
	    fork_of_a_process_with_more_vmas_than_fit_inline_copies_every_one,
	    reclaim_leaves_the_page_when_a_locked_mapping_comes_after_a_batch,
	    reclaim_leaves_private_copies_alone,
	    uaccess_copy_from_user_rereads_a_run_whose_page_a_fault_took_back,
	    uaccess_copy_to_user_rewrites_a_run_whose_page_a_fault_took_back,
	    uaccess_copy_keeps_a_run_when_the_page_taken_back_is_not_in_it,
	    large_read_fault_maps_the_whole_unit_read_only_with_one_entry,
	    a_walk_in_order_gets_the_next_region_mapped_with_its_fault,
	    a_walk_in_order_reads_the_units_ahead_in_the_background,
	    a_failed_background_read_maps_nothing_and_frees_its_unit,
	    a_fault_out_of_order_maps_its_own_region_only,
	    large_entry_goes_for_a_store_and_the_page_stays_the_caches,
	    large_entry_goes_when_part_of_its_region_is_unmapped_or_reprotected,
	    large_units_are_taken_back_from_their_mappings_when_all_are_in_use,
	    no_large_entry_over_a_page_mapped_on_its_own,
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const TTest *tt = t[i];
		TCase *tc = tcase_create(tt->name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, tt);
		tcase_set_timeout(tc, 120);
		suite_add_tcase(s, tc);
	}
	/* Each test forks: its image and the guest's statics die with it. */
	int rc = fake_run(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", base);
	return rc;
}
