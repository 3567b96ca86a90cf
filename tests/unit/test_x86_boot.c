/* Boot data in guest RAM: start info, memory map, boot info, GDT, and the
 * boot page tables walked from CR3 the way the CPU walks them. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "guest_mem.h"
#include "mv_boot.h"
#include "pvh.h"
#include "unit.h"
#include "x86.h"
#include "x86_boot.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

static struct guest_mem gm;

static void ram_init(uint64_t size)
{
	struct gm_config c = { .size = size };
	struct mv_err e = { "" };
	ck_assert_msg(gm_init(&gm, &c, &e) == 0, "gm_init: %s", e.msg);
}

static struct elf_info kernel_info(bool entry64)
{
	struct elf_info k = { .nsegs = 1, .e_entry = 0x200000, .has_pvh = true,
			      .pvh_entry = 0x200000, .has_entry64 = entry64,
			      .entry64 = entry64 ? MV_KERNEL_VIRT_BASE + 0x200010 : 0,
			      .entry64_paddr = entry64 ? 0x200010 : 0,
			      .load_start = 0x200000, .load_end = 0x203000 };
	k.seg[0] = (struct elf_segment){ .offset = 0x1000, .filesz = 0x100, .memsz = 0x3000,
					 .paddr = 0x200000, .vaddr = MV_KERNEL_VIRT_BASE + 0x200000,
					 .flags = 5 };
	return k;
}

static int write_tables(const struct boot_params *bp, bool entry64, enum boot_entry *used,
			struct mv_err *e)
{
	struct elf_info k = kernel_info(entry64);
	memset(e, 0, sizeof(*e));
	return boot_write_tables(&gm, &k, bp, used, e);
}

static void write_tables_ok(const struct boot_params *bp)
{
	enum boot_entry used = BOOT_ENTRY_AUTO;
	struct mv_err e;
	ck_assert_msg(write_tables(bp, true, &used, &e) == 0, "boot_write_tables: %s", e.msg);
	ck_assert_int_eq(used, BOOT_ENTRY_64);
}

/* ---- a 4-level page walk from MV_GPA_PGTABLE ---- */

struct walk {
	bool mapped;
	gpa_t pa;
	uint64_t page_size;
	bool writable;   /* W at every level */
	bool nx;         /* NX at some level */
	bool user;       /* U at every level */
	bool global;
};

static struct walk walk(uint64_t va)
{
	static const int shift[4] = { 39, 30, 21, 12 };
	struct walk w = { .writable = true, .user = true };
	gpa_t table = MV_GPA_PGTABLE;
	for (int level = 0; level < 4; level++) {
		ck_assert_msg(table >= MV_GPA_PGTABLE && table < MV_GPA_PGTABLE_END,
			      "table 0x%llx outside the page-table area", (unsigned long long)table);
		const uint64_t *t = gm_ptr(&gm, table, X86_PAGE_SIZE);
		ck_assert_ptr_nonnull(t);
		uint64_t pte = t[(va >> shift[level]) & 511];
		if (!(pte & X86_PTE_P))
			return w;
		w.writable &= !!(pte & X86_PTE_W);
		w.user &= !!(pte & X86_PTE_U);
		w.nx |= !!(pte & X86_PTE_NX);
		ck_assert_msg(level != 0 || !(pte & X86_PTE_PS), "PS set in a PML4 entry");
		if (level == 3 || (pte & X86_PTE_PS)) {
			uint64_t size = 1ull << shift[level];
			uint64_t frame = pte & X86_PTE_ADDR;
			ck_assert_msg(!(frame & (size - 1)), "leaf 0x%llx not aligned to its size",
				      (unsigned long long)pte);
			w.mapped = true;
			w.page_size = size;
			w.global = !!(pte & X86_PTE_G);
			w.pa = frame | (va & (size - 1));
			return w;
		}
		table = pte & X86_PTE_ADDR;
	}
	return w;
}

static void expect_direct(gpa_t pa, uint64_t page_size)
{
	struct walk w = walk(MV_DIRECT_MAP_BASE + pa);
	ck_assert_msg(w.mapped, "direct map of pa 0x%llx is not mapped", (unsigned long long)pa);
	ck_assert_msg(w.pa == pa, "direct map of pa 0x%llx leads to 0x%llx",
		      (unsigned long long)pa, (unsigned long long)w.pa);
	ck_assert_msg(w.page_size == page_size, "pa 0x%llx mapped by a 0x%llx page, want 0x%llx",
		      (unsigned long long)pa, (unsigned long long)w.page_size,
		      (unsigned long long)page_size);
	ck_assert(w.writable);
	ck_assert(w.nx);
	ck_assert(!w.user);
}

static void expect_unmapped(uint64_t va)
{
	struct walk w = walk(va);
	ck_assert_msg(!w.mapped, "va 0x%llx is mapped (to 0x%llx)", (unsigned long long)va,
		      (unsigned long long)w.pa);
}

static void check_kernel_map(uint64_t ram_low)
{
	static const uint64_t off[] = { 0x200000, 0x200123, 0x1000 };
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		struct walk w = walk(MV_KERNEL_VIRT_BASE + off[i]);
		ck_assert_msg(w.mapped, "kernel map +0x%llx not mapped", (unsigned long long)off[i]);
		ck_assert_uint_eq(w.pa, off[i]);
		ck_assert_uint_eq(w.page_size, X86_2M);
		ck_assert(!w.nx);
		ck_assert(w.writable);
		ck_assert(!w.user);
	}
	uint64_t top = ram_low < GiB ? ram_low : GiB;
	struct walk last = walk(MV_KERNEL_VIRT_BASE + top - 1);
	ck_assert(last.mapped);
	ck_assert_uint_eq(last.pa, top - 1);
	expect_unmapped(MV_KERNEL_VIRT_BASE + top);
}

static void boot_64m(bool gbpages)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "", .gbpages = gbpages };
	write_tables_ok(&bp);
	/* Not a whole GiB of RAM: 2 MiB pages whether or not 1 GiB pages exist. */
	static const gpa_t pa[] = { 0, 0x1000, 0x1fffff, 0x200000, 0x3456789,
				    64 * MiB - 0x1000, 64 * MiB - 1 };
	for (size_t i = 0; i < sizeof(pa) / sizeof(pa[0]); i++)
		expect_direct(pa[i], X86_2M);
	expect_unmapped(MV_DIRECT_MAP_BASE + 64 * MiB);
	expect_unmapped(MV_DIRECT_MAP_BASE + GiB);
	expect_unmapped(MV_DIRECT_MAP_BASE + 4 * GiB);
	check_kernel_map(64 * MiB);
	gm_destroy(&gm);
}

static void boot_5g(bool gbpages)
{
	ram_init(5 * GiB);
	struct boot_params bp = { .cmdline = "", .gbpages = gbpages };
	write_tables_ok(&bp);
	uint64_t big = gbpages ? X86_1G : X86_2M;
	static const gpa_t pa[] = { 0, 0x1000, 0x40000000, 0x87654321, MV_GPA_MMIO_BASE - 0x1000,
				    MV_GPA_MMIO_BASE - 1, MV_GPA_HIGH_RAM, MV_GPA_HIGH_RAM + 0x1000,
				    MV_GPA_HIGH_RAM + GiB + 0x123456, 6 * GiB - 0x1000, 6 * GiB - 1 };
	for (size_t i = 0; i < sizeof(pa) / sizeof(pa[0]); i++)
		expect_direct(pa[i], big);
	/* the device hole and what lies past the end of RAM */
	expect_unmapped(MV_DIRECT_MAP_BASE + MV_GPA_MMIO_BASE);
	expect_unmapped(MV_DIRECT_MAP_BASE + MV_GPA_MMIO_BASE + 0x200000);
	expect_unmapped(MV_DIRECT_MAP_BASE + MV_GPA_MMIO_BASE + GiB / 2);
	expect_unmapped(MV_DIRECT_MAP_BASE + MV_GPA_HIGH_RAM - 1);
	expect_unmapped(MV_DIRECT_MAP_BASE + 6 * GiB);
	expect_unmapped(MV_DIRECT_MAP_BASE + 7 * GiB);
	check_kernel_map(MV_GPA_MMIO_BASE);
	gm_destroy(&gm);
}

START_TEST(boot_direct_map_64m_with_2m_pages)
{
	boot_64m(false);
}
END_TEST

START_TEST(boot_direct_map_64m_with_gbpages_cpu)
{
	boot_64m(true);
}
END_TEST

START_TEST(boot_direct_map_5g_with_2m_pages)
{
	boot_5g(false);
}
END_TEST

START_TEST(boot_direct_map_5g_with_1g_pages)
{
	boot_5g(true);
}
END_TEST

START_TEST(boot_direct_map_maps_ram_not_in_a_whole_gib)
{
	ram_init(GiB + 6 * MiB);   /* one whole GiB, then 6 MiB of the next */
	struct boot_params bp = { .cmdline = "", .gbpages = true };
	write_tables_ok(&bp);
	expect_direct(0, X86_1G);
	expect_direct(GiB - 1, X86_1G);
	expect_direct(GiB, X86_2M);
	expect_direct(GiB + 6 * MiB - 1, X86_2M);
	expect_unmapped(MV_DIRECT_MAP_BASE + GiB + 6 * MiB);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_direct_map_is_exact_above_512_gib)
{
	/* One PDPT covers 512 GiB of direct map; RAM up to GM_MAX_SIZE is allowed. */
	struct gm_config c = { .size = 600 * GiB };
	struct mv_err e = { "" };
	if (gm_init(&gm, &c, &e) < 0) {
		unit_skip("cannot reserve 600 GiB of address space: %s", e.msg);
		return;
	}
	struct boot_params bp = { .cmdline = "", .gbpages = true };
	enum boot_entry used;
	if (write_tables(&bp, true, &used, &e) < 0) {
		/* Refusing is acceptable; a wrong map is not. */
		ck_assert_msg(e.msg[0], "failure without a message");
		gm_destroy(&gm);
		return;
	}
	expect_direct(0, X86_1G);
	expect_direct(2 * GiB, X86_1G);
	expect_direct(511 * GiB, X86_1G);
	expect_direct(512 * GiB, X86_1G);
	expect_direct(gm_end(&gm) - 1, X86_1G);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_without_gbpages_large_ram_fails_cleanly_or_maps_all)
{
	struct gm_config c = { .size = 300 * GiB };
	struct mv_err e = { "" };
	if (gm_init(&gm, &c, &e) < 0) {
		unit_skip("cannot reserve 300 GiB of address space: %s", e.msg);
		return;
	}
	struct boot_params bp = { .cmdline = "", .gbpages = false };
	enum boot_entry used;
	if (write_tables(&bp, true, &used, &e) < 0) {
		ck_assert_msg(strstr(e.msg, "page-table area") != NULL, "error: %s", e.msg);
	} else {
		expect_direct(0, X86_2M);
		expect_direct(gm_end(&gm) - 1, X86_2M);
	}
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_start_info_describes_ram)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "selftest=all console=hc" };
	write_tables_ok(&bp);
	const struct hvm_start_info *si = gm_ptr(&gm, MV_GPA_START_INFO, sizeof(*si));
	ck_assert_uint_eq(si->magic, HVM_START_MAGIC_VALUE);
	ck_assert_uint_eq(si->version, 1);
	ck_assert_uint_eq(si->cmdline_paddr, MV_GPA_CMDLINE);
	ck_assert_str_eq((const char *)gm_ptr(&gm, si->cmdline_paddr, 1), bp.cmdline);
	ck_assert_uint_eq(si->memmap_paddr, MV_GPA_MEMMAP);
	ck_assert_uint_eq(si->memmap_entries, 1);
	ck_assert_uint_eq(si->nr_modules, 0);
	const struct hvm_memmap_table_entry *mm = gm_ptr(&gm, si->memmap_paddr, sizeof(*mm));
	ck_assert_uint_eq(mm[0].addr, 0);
	ck_assert_uint_eq(mm[0].size, 64 * MiB);
	ck_assert_uint_eq(mm[0].type, HVM_MEMMAP_TYPE_RAM);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_start_info_lists_ram_on_both_sides_of_the_hole)
{
	ram_init(5 * GiB);
	struct boot_params bp = { .cmdline = "x" };
	write_tables_ok(&bp);
	const struct hvm_start_info *si = gm_ptr(&gm, MV_GPA_START_INFO, sizeof(*si));
	ck_assert_uint_eq(si->memmap_entries, (uint32_t)gm.nregions);
	ck_assert_uint_eq(si->memmap_entries, 2);
	const struct hvm_memmap_table_entry *mm = gm_ptr(&gm, si->memmap_paddr, 2 * sizeof(*mm));
	ck_assert_uint_eq(mm[0].addr, 0);
	ck_assert_uint_eq(mm[0].size, MV_GPA_MMIO_BASE);
	ck_assert_uint_eq(mm[0].type, HVM_MEMMAP_TYPE_RAM);
	ck_assert_uint_eq(mm[1].addr, MV_GPA_HIGH_RAM);
	ck_assert_uint_eq(mm[1].size, 5 * GiB - MV_GPA_MMIO_BASE);
	ck_assert_uint_eq(mm[1].type, HVM_MEMMAP_TYPE_RAM);
	uint64_t total = mm[0].size + mm[1].size;
	ck_assert_uint_eq(total, 5 * GiB);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_cmdline_of_4095_bytes_fits)
{
	static char cl[MV_CMDLINE_MAX];
	memset(cl, 'c', MV_CMDLINE_MAX - 1);
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = cl };
	write_tables_ok(&bp);
	const char *got = gm_ptr(&gm, MV_GPA_CMDLINE, MV_CMDLINE_MAX);
	ck_assert_uint_eq(strnlen(got, MV_CMDLINE_MAX), MV_CMDLINE_MAX - 1);
	ck_assert_int_eq(memcmp(got, cl, MV_CMDLINE_MAX), 0);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_cmdline_of_4096_bytes_is_refused)
{
	static char cl[MV_CMDLINE_MAX + 1];
	memset(cl, 'c', MV_CMDLINE_MAX);
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = cl };
	enum boot_entry used;
	struct mv_err e;
	ck_assert_fails_with(write_tables(&bp, true, &used, &e), e, "command line");
	ck_assert_uint_eq(*(uint8_t *)gm_ptr(&gm, MV_GPA_CMDLINE, 1), 0);
	gm_destroy(&gm);
}
END_TEST

static void check_boot_info_zero(bool hc, bool cpl0, bool ram_zero, uint64_t want_flags)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "", .hc = hc, .cpl0_emulated = cpl0,
				  .hc_port = 0x511, .ram_zero = ram_zero };
	write_tables_ok(&bp);
	const struct mv_boot_info *bi = gm_ptr(&gm, MV_GPA_BOOT_INFO, sizeof(*bi));
	ck_assert_uint_eq(bi->magic, MV_BOOT_INFO_MAGIC);
	ck_assert_uint_eq(bi->version, MV_BOOT_ABI_VERSION);
	ck_assert_msg(bi->flags == want_flags, "hc=%d cpl0=%d: flags 0x%llx, want 0x%llx", hc, cpl0,
		      (unsigned long long)bi->flags, (unsigned long long)want_flags);
	ck_assert_uint_eq(bi->hc_port, hc ? 0x511 : 0);
	ck_assert_uint_eq(bi->pgtable_start, MV_GPA_PGTABLE);
	ck_assert_uint_eq(bi->pgtable_end, MV_GPA_PGTABLE_END);
	ck_assert_uint_eq(bi->wall_clock_ns, 0);   /* stamped at the first run only */
	ck_assert_uint_eq(bi->tsc_khz, 0);
	gm_destroy(&gm);
}

static void check_boot_info(bool hc, bool cpl0, uint64_t want_flags)
{
	check_boot_info_zero(hc, cpl0, false, want_flags);
}

START_TEST(boot_info_says_ram_is_zero_only_when_it_is)
{
	check_boot_info_zero(true, true, true, MV_BOOT_F_HC | MV_BOOT_F_CPL0_EMULATED |
						  MV_BOOT_F_DIRECT_MAP_ALL | MV_BOOT_F_RAM_ZERO);
	check_boot_info_zero(false, false, true, MV_BOOT_F_DIRECT_MAP_ALL | MV_BOOT_F_RAM_ZERO);
	check_boot_info_zero(false, false, false, MV_BOOT_F_DIRECT_MAP_ALL);
}
END_TEST

START_TEST(boot_info_with_hypercalls_and_emulated_cpl0)
{
	check_boot_info(true, true, MV_BOOT_F_HC | MV_BOOT_F_CPL0_EMULATED |
				    MV_BOOT_F_DIRECT_MAP_ALL);
}
END_TEST

START_TEST(boot_info_with_hypercalls_only)
{
	check_boot_info(true, false, MV_BOOT_F_HC | MV_BOOT_F_DIRECT_MAP_ALL);
}
END_TEST

START_TEST(boot_info_without_hypercalls_never_claims_emulated_cpl0)
{
	check_boot_info(false, true, MV_BOOT_F_DIRECT_MAP_ALL);
	check_boot_info(false, false, MV_BOOT_F_DIRECT_MAP_ALL);
}
END_TEST

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

START_TEST(boot_wall_clock_is_the_hosts_realtime_at_the_stamp)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "" };
	write_tables_ok(&bp);
	const struct mv_boot_info *bi = gm_ptr(&gm, MV_GPA_BOOT_INFO, sizeof(*bi));
	uint64_t before = realtime_ns();
	boot_stamp_time(&gm, NULL, BOOT_ENTRY_64);
	uint64_t after = realtime_ns();
	ck_assert_msg(bi->wall_clock_ns >= before && bi->wall_clock_ns <= after,
		      "wall clock %llu not in [%llu, %llu]", (unsigned long long)bi->wall_clock_ns,
		      (unsigned long long)before, (unsigned long long)after);
	ck_assert_uint_eq(bi->tsc_khz, 0);   /* no vCPU to ask */
	ck_assert_uint_eq(bi->magic, MV_BOOT_INFO_MAGIC);   /* nothing else touched */
	ck_assert_uint_eq(bi->pgtable_end, MV_GPA_PGTABLE_END);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_wall_clock_not_written_for_pvh)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "", .entry = BOOT_ENTRY_PVH };
	enum boot_entry used;
	struct mv_err e;
	ck_assert_msg(write_tables(&bp, true, &used, &e) == 0, "%s", e.msg);
	boot_stamp_time(&gm, NULL, used);
	const uint8_t *p = gm_ptr(&gm, MV_GPA_BOOT_INFO, sizeof(struct mv_boot_info));
	for (size_t i = 0; i < sizeof(struct mv_boot_info); i++)
		ck_assert_uint_eq(p[i], 0);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_gdt_has_flat_kernel_and_user_segments)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "" };
	write_tables_ok(&bp);
	const uint64_t *gdt = gm_ptr(&gm, MV_GPA_BOOT_GDT, MV_GDT_ENTRIES * 8);
	const uint64_t present = X86_DESC_P | X86_DESC_S;
	ck_assert_uint_eq(gdt[0], 0);
	uint64_t kc = gdt[MV_SEL_KCODE / 8], kd = gdt[MV_SEL_KDATA / 8];
	uint64_t uc = gdt[MV_SEL_UCODE / 8], ud = gdt[MV_SEL_UDATA / 8];
	ck_assert((kc & present) == present && (kc & X86_DESC_CODE) && (kc & X86_DESC_L));
	ck_assert(!(kc & X86_DESC_DB));   /* L and D together are reserved */
	ck_assert_uint_eq(kc & X86_DESC_DPL3, 0);
	ck_assert((kd & present) == present && !(kd & X86_DESC_CODE) && (kd & X86_DESC_RW));
	ck_assert_uint_eq(kd & X86_DESC_DPL3, 0);
	ck_assert((uc & present) == present && (uc & X86_DESC_CODE) && (uc & X86_DESC_L));
	ck_assert_uint_eq(uc & X86_DESC_DPL3, X86_DESC_DPL3);
	ck_assert((ud & present) == present && !(ud & X86_DESC_CODE));
	ck_assert_uint_eq(ud & X86_DESC_DPL3, X86_DESC_DPL3);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_auto_entry_without_mapvisor_note_is_pvh)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "pvh", .entry = BOOT_ENTRY_AUTO };
	enum boot_entry used = BOOT_ENTRY_64;
	struct mv_err e;
	ck_assert_msg(write_tables(&bp, false, &used, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(used, BOOT_ENTRY_PVH);
	const struct hvm_start_info *si = gm_ptr(&gm, MV_GPA_START_INFO, sizeof(*si));
	ck_assert_uint_eq(si->magic, HVM_START_MAGIC_VALUE);
	ck_assert_str_eq((const char *)gm_ptr(&gm, MV_GPA_CMDLINE, 1), "pvh");
	const struct mv_boot_info *bi = gm_ptr(&gm, MV_GPA_BOOT_INFO, sizeof(*bi));
	ck_assert_uint_eq(bi->magic, 0);
	const uint64_t *pml4 = gm_ptr(&gm, MV_GPA_PGTABLE, X86_PAGE_SIZE);
	for (int i = 0; i < X86_PT_ENTRIES; i++)
		ck_assert_uint_eq(pml4[i], 0);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_explicit_pvh_entry_with_mapvisor_note)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "", .entry = BOOT_ENTRY_PVH };
	enum boot_entry used = BOOT_ENTRY_64;
	struct mv_err e;
	ck_assert_msg(write_tables(&bp, true, &used, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(used, BOOT_ENTRY_PVH);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_entry_64_needs_mapvisor_note)
{
	ram_init(64 * MiB);
	struct boot_params bp = { .cmdline = "", .entry = BOOT_ENTRY_64 };
	enum boot_entry used = BOOT_ENTRY_AUTO;
	struct mv_err e;
	ck_assert_fails_with(write_tables(&bp, false, &used, &e), e, "Mapvisor entry note");
	ck_assert_int_eq(used, BOOT_ENTRY_AUTO);
	gm_destroy(&gm);
}
END_TEST

START_TEST(boot_entry_names)
{
	ck_assert_str_eq(boot_entry_name(BOOT_ENTRY_AUTO), "auto");
	ck_assert_str_eq(boot_entry_name(BOOT_ENTRY_64), "64");
	ck_assert_str_eq(boot_entry_name(BOOT_ENTRY_PVH), "pvh");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("x86_boot");
	UNIT_CASE(s, boot_direct_map_64m_with_2m_pages);
	UNIT_CASE(s, boot_direct_map_64m_with_gbpages_cpu);
	UNIT_CASE(s, boot_direct_map_5g_with_2m_pages);
	UNIT_CASE(s, boot_direct_map_5g_with_1g_pages);
	UNIT_CASE(s, boot_direct_map_maps_ram_not_in_a_whole_gib);
	UNIT_CASE(s, boot_direct_map_is_exact_above_512_gib);
	UNIT_CASE(s, boot_without_gbpages_large_ram_fails_cleanly_or_maps_all);
	UNIT_CASE(s, boot_start_info_describes_ram);
	UNIT_CASE(s, boot_start_info_lists_ram_on_both_sides_of_the_hole);
	UNIT_CASE(s, boot_cmdline_of_4095_bytes_fits);
	UNIT_CASE(s, boot_cmdline_of_4096_bytes_is_refused);
	UNIT_CASE(s, boot_info_with_hypercalls_and_emulated_cpl0);
	UNIT_CASE(s, boot_info_with_hypercalls_only);
	UNIT_CASE(s, boot_info_says_ram_is_zero_only_when_it_is);
	UNIT_CASE(s, boot_info_without_hypercalls_never_claims_emulated_cpl0);
	UNIT_CASE(s, boot_wall_clock_is_the_hosts_realtime_at_the_stamp);
	UNIT_CASE(s, boot_wall_clock_not_written_for_pvh);
	UNIT_CASE(s, boot_gdt_has_flat_kernel_and_user_segments);
	UNIT_CASE(s, boot_auto_entry_without_mapvisor_note_is_pvh);
	UNIT_CASE(s, boot_explicit_pvh_entry_with_mapvisor_note);
	UNIT_CASE(s, boot_entry_64_needs_mapvisor_note);
	UNIT_CASE(s, boot_entry_names);
	return unit_run(s);
}
