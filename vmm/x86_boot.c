#include "x86_boot.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "mv_boot.h"
#include "pvh.h"
#include "x86.h"

#define BOOT_GDT_BYTES (MV_GDT_ENTRIES * 8)

static const uint64_t boot_gdt[MV_GDT_ENTRIES] = {
	[MV_SEL_KCODE / 8] = X86_DESC_LIMIT_MAX | X86_DESC_A | X86_DESC_RW | X86_DESC_CODE |
			     X86_DESC_S | X86_DESC_P | X86_DESC_L | X86_DESC_G,
	[MV_SEL_KDATA / 8] = X86_DESC_LIMIT_MAX | X86_DESC_A | X86_DESC_RW | X86_DESC_S |
			     X86_DESC_P | X86_DESC_DB | X86_DESC_G,
	[MV_SEL_UDATA / 8] = X86_DESC_LIMIT_MAX | X86_DESC_A | X86_DESC_RW | X86_DESC_S |
			     X86_DESC_DPL3 | X86_DESC_P | X86_DESC_DB | X86_DESC_G,
	[MV_SEL_UCODE / 8] = X86_DESC_LIMIT_MAX | X86_DESC_A | X86_DESC_RW | X86_DESC_CODE |
			     X86_DESC_S | X86_DESC_DPL3 | X86_DESC_P | X86_DESC_L | X86_DESC_G,
};

/* A bump allocator over the page-table area; tables never share a page with
 * anything else (stores near page tables are emulated on shadow-paging hosts). */
struct pt_alloc {
	struct guest_mem *gm;
	gpa_t next;
};

static uint64_t *pt_new(struct pt_alloc *a, gpa_t *gpa, struct mv_err *e)
{
	if (a->next >= MV_GPA_PGTABLE_END) {
		mv_errf(e, "boot: page-table area [0x%llx, 0x%llx) is full",
			(unsigned long long)MV_GPA_PGTABLE, (unsigned long long)MV_GPA_PGTABLE_END);
		return NULL;
	}
	uint64_t *t = gm_ptr(a->gm, a->next, X86_PAGE_SIZE);
	if (!t) {
		mv_errf(e, "boot: page-table page 0x%llx outside RAM", (unsigned long long)a->next);
		return NULL;
	}
	memset(t, 0, X86_PAGE_SIZE);
	*gpa = a->next;
	a->next += X86_PAGE_SIZE;
	return t;
}

static bool ram_covers(const struct guest_mem *gm, gpa_t start, uint64_t len)
{
	return gm_ptr(gm, start, len) != NULL;
}

/* Map [gb, gb + 1 GiB) of RAM at the direct map: one 1 GiB page when the CPU
 * has them and the whole gigabyte is RAM, otherwise 2 MiB pages for the part
 * that is RAM. Holes stay unmapped. */
static int map_direct_gb(struct pt_alloc *a, uint64_t *pdpt, gpa_t gb, bool gbpages,
			 struct mv_err *e)
{
	const uint64_t flags = X86_PTE_P | X86_PTE_W | X86_PTE_G | X86_PTE_NX;
	if (gbpages && ram_covers(a->gm, gb, X86_1G)) {
		pdpt[X86_PDPT_INDEX(gb)] = gb | flags | X86_PTE_PS;
		return 0;
	}
	gpa_t pd_gpa;
	uint64_t *pd = pt_new(a, &pd_gpa, e);
	if (!pd)
		return -1;
	for (int i = 0; i < X86_PT_ENTRIES; i++) {
		gpa_t pa = gb + (uint64_t)i * X86_2M;
		if (ram_covers(a->gm, pa, X86_2M))
			pd[i] = pa | flags | X86_PTE_PS;
	}
	pdpt[X86_PDPT_INDEX(gb)] = pd_gpa | X86_PTE_P | X86_PTE_W;
	return 0;
}

/* The direct-map PDPT for physical address pa, made on first use: one PDPT
 * covers 512 GiB, and RAM may be larger. */
static uint64_t *direct_pdpt(struct pt_alloc *a, uint64_t *pml4, gpa_t pa, struct mv_err *e)
{
	uint64_t *slot = &pml4[X86_PML4_INDEX(MV_DIRECT_MAP_BASE + pa)];
	if (*slot & X86_PTE_P)
		return gm_ptr(a->gm, *slot & X86_PTE_ADDR, X86_PAGE_SIZE);
	gpa_t gpa;
	uint64_t *pdpt = pt_new(a, &gpa, e);
	if (pdpt)
		*slot = gpa | X86_PTE_P | X86_PTE_W;
	return pdpt;
}

static int build_page_tables(struct guest_mem *gm, bool gbpages, struct mv_err *e)
{
	struct pt_alloc a = { .gm = gm, .next = MV_GPA_PGTABLE };
	gpa_t pml4_gpa, kpdpt_gpa, kpd_gpa;
	uint64_t *pml4 = pt_new(&a, &pml4_gpa, e);
	uint64_t *kpdpt = pml4 ? pt_new(&a, &kpdpt_gpa, e) : NULL;
	uint64_t *kpd = kpdpt ? pt_new(&a, &kpd_gpa, e) : NULL;
	if (!kpd)
		return -1;

	for (gpa_t gb = 0; gb < gm_end(gm); gb += X86_1G) {
		bool any = false;
		for (int r = 0; r < gm->nregions; r++)
			any |= gm->region[r].gpa < gb + X86_1G &&
			       gb < gm->region[r].gpa + gm->region[r].size;
		if (!any)
			continue;
		uint64_t *pdpt = direct_pdpt(&a, pml4, gb, e);
		if (!pdpt || map_direct_gb(&a, pdpt, gb, gbpages, e) < 0)
			return -1;
	}

	for (int i = 0; i < X86_PT_ENTRIES; i++) {
		gpa_t pa = (uint64_t)i * X86_2M;
		if (ram_covers(gm, pa, X86_2M))
			kpd[i] = pa | X86_PTE_P | X86_PTE_W | X86_PTE_G | X86_PTE_PS;
	}
	kpdpt[X86_PDPT_INDEX(MV_KERNEL_VIRT_BASE)] = kpd_gpa | X86_PTE_P | X86_PTE_W;
	pml4[X86_PML4_INDEX(MV_KERNEL_VIRT_BASE)] = kpdpt_gpa | X86_PTE_P | X86_PTE_W;
	return 0;
}

static int write_start_info(struct guest_mem *gm, const struct boot_params *bp,
			    struct mv_err *e)
{
	size_t cl = strlen(bp->cmdline);
	if (cl >= MV_CMDLINE_MAX)
		return mv_errf(e, "boot: command line is %zu bytes, at most %u", cl, MV_CMDLINE_MAX - 1);
	char *cmd = gm_ptr(gm, MV_GPA_CMDLINE, cl + 1);
	struct hvm_memmap_table_entry *mm =
		gm_ptr(gm, MV_GPA_MEMMAP, MV_MEMMAP_MAX * sizeof(*mm));
	struct hvm_start_info *si = gm_ptr(gm, MV_GPA_START_INFO, sizeof(*si));
	if (!cmd || !mm || !si)
		return mv_errf(e, "boot: boot data area outside RAM");
	memcpy(cmd, bp->cmdline, cl + 1);
	for (int i = 0; i < gm->nregions; i++)
		mm[i] = (struct hvm_memmap_table_entry){ .addr = gm->region[i].gpa,
							 .size = gm->region[i].size,
							 .type = HVM_MEMMAP_TYPE_RAM };
	*si = (struct hvm_start_info){
		.magic = HVM_START_MAGIC_VALUE,
		.version = 1,
		.cmdline_paddr = MV_GPA_CMDLINE,
		.memmap_paddr = MV_GPA_MEMMAP,
		.memmap_entries = gm->nregions,
	};
	return 0;
}

int boot_write_tables(struct guest_mem *gm, const struct elf_info *elf,
		      const struct boot_params *bp, enum boot_entry *used, struct mv_err *e)
{
	enum boot_entry entry = bp->entry;
	if (entry == BOOT_ENTRY_AUTO)
		entry = elf->has_entry64 ? BOOT_ENTRY_64 : BOOT_ENTRY_PVH;
	if (entry == BOOT_ENTRY_64 && !elf->has_entry64)
		return mv_errf(e, "boot: --entry 64 needs a kernel with a Mapvisor entry note");
	if (write_start_info(gm, bp, e) < 0)
		return -1;

	uint64_t *gdt = gm_ptr(gm, MV_GPA_BOOT_GDT, BOOT_GDT_BYTES);
	if (!gdt)
		return mv_errf(e, "boot: GDT outside RAM");
	memcpy(gdt, boot_gdt, sizeof(boot_gdt));

	if (entry == BOOT_ENTRY_64) {
		struct mv_boot_info *bi = gm_ptr(gm, MV_GPA_BOOT_INFO, sizeof(*bi));
		if (!bi)
			return mv_errf(e, "boot: boot info outside RAM");
		if (build_page_tables(gm, bp->gbpages, e) < 0)
			return -1;
		*bi = (struct mv_boot_info){
			.magic = MV_BOOT_INFO_MAGIC,
			.version = MV_BOOT_ABI_VERSION,
			.flags = (bp->hc ? MV_BOOT_F_HC : 0) |
				 (bp->hc && bp->cpl0_emulated ? MV_BOOT_F_CPL0_EMULATED : 0) |
				 (bp->ram_zero ? MV_BOOT_F_RAM_ZERO : 0) | MV_BOOT_F_DIRECT_MAP_ALL,
			.hc_port = bp->hc ? bp->hc_port : 0,
			.pgtable_start = MV_GPA_PGTABLE,
			.pgtable_end = MV_GPA_PGTABLE_END,
		};
	}
	*used = entry;
	return 0;
}

void boot_stamp_time(struct guest_mem *gm, struct kvm *k, enum boot_entry entry)
{
	struct timespec ts;

	if (entry != BOOT_ENTRY_64)
		return;
	struct mv_boot_info *bi = gm_ptr(gm, MV_GPA_BOOT_INFO, sizeof(*bi));
	if (!bi)
		return;
	/* Without the rate the kernel falls back to CPUID, which on AMD hosts
	 * says nothing, and its clocks would run at a guessed speed. */
	int khz = k ? kvm_get_tsc_khz(k) : -1;
	bi->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	/* Before the epoch or unreadable: leave 0, which tells the kernel the
	 * wall clock is unknown rather than giving it a wrong time. Last, so
	 * that nothing above delays it from the KVM_RUN it stands for. */
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || ts.tv_sec <= 0)
		return;
	bi->wall_clock_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct kvm_segment seg(uint16_t sel, bool code, bool l, bool db)
{
	return (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel,
				     .type = code ? 11 : 3, .present = 1, .dpl = 0, .db = db,
				     .s = 1, .l = l, .g = 1 };
}

int boot_set_vcpu(struct kvm *k, const struct elf_info *elf, enum boot_entry entry,
		  struct mv_err *e)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	if (kvm_get_sregs(k, &s) < 0)
		return mv_errf(e, "kvm: KVM_GET_SREGS: %s", strerror(errno));
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	s.gdt.base = MV_GPA_BOOT_GDT;
	s.gdt.limit = BOOT_GDT_BYTES - 1;
	s.idt.base = 0;
	s.idt.limit = 0;

	if (entry == BOOT_ENTRY_64) {
		s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
			X86_CR0_AM | X86_CR0_PG;
		s.cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
		s.cr3 = MV_GPA_PGTABLE;
		s.efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
		s.cs = seg(MV_SEL_KCODE, true, true, false);
		s.ds = s.es = s.fs = s.gs = s.ss = seg(MV_SEL_KDATA, false, false, true);
		r.rip = elf->entry64;
		r.rdi = MV_GPA_START_INFO;
		r.rsi = MV_GPA_BOOT_INFO;
	} else {
		/* PVH: 32-bit protected mode, paging off, flat segments,
		 * EBX = start info (Xen "x86/HVM direct boot ABI"). */
		s.cr0 = X86_CR0_PE | X86_CR0_ET;
		s.cr4 = 0;
		s.cr3 = 0;
		s.efer = 0;
		s.cs = seg(MV_SEL_KCODE, true, false, true);
		s.ds = s.es = s.fs = s.gs = s.ss = seg(MV_SEL_KDATA, false, false, true);
		r.rip = elf->pvh_entry;
		r.rbx = MV_GPA_START_INFO;
	}
	s.tr = (struct kvm_segment){ .base = 0, .limit = 0xffff, .type = 11, .present = 1 };
	if (kvm_set_sregs(k, &s) < 0)
		return mv_errf(e, "kvm: KVM_SET_SREGS (%s entry): %s", boot_entry_name(entry),
			       strerror(errno));
	if (kvm_set_regs(k, &r) < 0)
		return mv_errf(e, "kvm: KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

const char *boot_entry_name(enum boot_entry b)
{
	static const char *const names[] = {
		[BOOT_ENTRY_AUTO] = "auto",
		[BOOT_ENTRY_64] = "64",
		[BOOT_ENTRY_PVH] = "pvh",
	};
	return names[b];
}
