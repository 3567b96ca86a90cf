/* kmain: the boot sequence shared by both entries. Everything before the
 * MV_MARK_BOOT_DONE hypercall is on the measured boot path, where each
 * instruction is emulated: no loops over memory, no per-byte exits. */
#include <stdint.h>

#include "arch/x86/hypercall.h"
#include "arch/x86/machine.h"
#include "arch/x86/syscall_arch.h"
#include "arch/x86/trap.h"
#include "drivers/virtio_mmio.h"
#include "kernel/blk.h"
#include "kernel/bootinfo.h"
#include "kernel/console.h"
#include "kernel/exec.h"
#include "kernel/stats.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/selftest.h"
#include "kernel/time.h"
#include "kernel/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "mv_boot.h"
#include "mv_exit.h"
#include "mv_hypercall.h"
#include "x86.h"

#define KERNEL_VERSION "0.1"
#define INIT_EXIT_NOT_FOUND  127   /* as a shell reports a missing command */
#define INIT_EXIT_CANNOT_RUN 126
#define KERNEL_LOW_RESERVED 0x100000ull   /* below 1 MiB: firmware land */
#define PVH_DIRECT_MAPPED   X86_1G        /* what pvh_start32 maps */

extern const uint8_t _kernel_end[];

static struct bootinfo boot;

static void kmain_mm_init(void)
{
	page_reserve(0, KERNEL_LOW_RESERVED);
	page_reserve(0, kernel_virt_to_phys(_kernel_end));
	if (boot.mv)
		page_reserve(boot.pgtable_start, boot.pgtable_end);
	for (uint32_t i = 0; i < boot.nmemmap; i++) {
		const struct hvm_memmap_table_entry *e = &boot.memmap[i];
		if (e->type == HVM_MEMMAP_TYPE_RAM && page_add_range(e->addr, e->addr + e->size))
			printk("mm: too many RAM ranges, ignoring %lx+%lx\n", e->addr, e->size);
	}
	page_ops_init((boot.mv_flags & MV_BOOT_F_CPL0_EMULATED) != 0);
	/* mapvisor says when RAM reads as zero; `ram_zero` says it for a
	 * loader that cannot (QEMU's own RAM is zero), `zero_check` checks
	 * the promise on every page it saves zeroing (docs/mm.md). */
	page_set_ram_zero((boot.mv_flags & MV_BOOT_F_RAM_ZERO) ||
				  bootinfo_cmdline_flag(&boot, "ram_zero"),
			  bootinfo_cmdline_flag(&boot, "zero_check"));
}

/* The PVH tables map 1 GiB; extend the direct map over the rest of RAM
 * (tables come from the lowest RAM, which is already mapped). */
static void kmain_direct_map_rest(void)
{
	if (boot.mv_flags & MV_BOOT_F_DIRECT_MAP_ALL || boot.ram_top <= PVH_DIRECT_MAPPED)
		return;
	for (uint32_t i = 0; i < boot.nmemmap; i++) {
		const struct hvm_memmap_table_entry *e = &boot.memmap[i];
		if (e->type != HVM_MEMMAP_TYPE_RAM)
			continue;
		uint64_t pa = e->addr & ~(X86_2M - 1);
		if (pa < PVH_DIRECT_MAPPED)
			pa = PVH_DIRECT_MAPPED;
		for (; pa < e->addr + e->size; pa += X86_2M) {
			int err = pgtable_map_2m(MV_DIRECT_MAP_BASE + pa, pa, X86_PTE_W | X86_PTE_NX);
			if (err && err != -EEXIST /* 2 MiB shared with the previous range */)
				panic("direct map at %lx: error %d", pa, err);
		}
	}
}

static void kmain_banner(void)
{
	printk("mapvisor guest kernel " KERNEL_VERSION "\nRAM: %lu MiB\n", boot.ram_bytes >> 20);
	for (uint32_t i = 0; i < boot.nmemmap; i++) {
		const struct hvm_memmap_table_entry *e = &boot.memmap[i];
		if (!e->size)
			continue;
		uint64_t kib = e->size >> 10;
		printk("  mem %lx-%lx %lu %s %s\n", e->addr, e->addr + e->size - 1,
		       kib >= 1024 ? kib >> 10 : kib, kib >= 1024 ? "MiB" : "KiB",
		       bootinfo_memtype(e->type));
	}
	printk("cmdline: %s\nparavirt: %s\n", boot.cmdline,
	       !hc_available() ? "off" : page_ops_paravirt() ? "on (page ops via port)" : "on");
}

static void kmain_crash(const char *how)
{
	if (!how[0])
		return;
	printk("crash=%s requested\n", how);
	if (!strcmp(how, "pf"))
		*(volatile uint64_t *)0x0000100000000000ull = 1;
	else if (!strcmp(how, "panic"))
		panic("crash=panic requested");
	else if (!strcmp(how, "triple"))
		machine_triple_fault();
	printk("crash: unknown kind '%s'\n", how);
}

/* The first disk, if any, is the root file system; a disk that is not
 * ext2 is reported and left alone (programs then come from the kernel). */
static void kmain_mount_root(void)
{
	struct blk_dev *disk = blk_get(0);

	if (!disk)
		return;
	int err = vfs_mount_root(disk, disk->bytes, disk->ro);
	if (err)
		printk("root: cannot mount %s as ext2: error %d\n", disk->name, err);
	else if (!proc_quiet)
		printk("root: %s mounted%s\n", disk->name, disk->ro ? " read-only" : "");
}

/* init=PATH [... -- ARG ...]: everything after " -- " is the program's
 * arguments (cut off the command line in place, so kernel options are
 * read from the part before it only). Returns only if exec fails. */
static void kmain_init(void)
{
	static char path[BOOTINFO_CMDLINE_MAX];
	const char *args[EXEC_ARGS_MAX];
	int nargs = 0;

	if (bootinfo_cmdline_get(&boot, "init", path, sizeof(path)))
		return;
	char *c = boot.cmdline;
	while (*c && strncmp(c, " -- ", 4))
		c++;
	if (*c) {
		*c = '\0';
		c += 4;
		while (*c && nargs < EXEC_ARGS_MAX - 1) {
			while (*c == ' ')
				*c++ = '\0';
			if (!*c)
				break;
			args[nargs++] = c;
			while (*c && *c != ' ')
				c++;
		}
	}
	/* QEMU microvm appends its devices to the end of the line, after the
	 * program's arguments: they are the kernel's (the probe has read the
	 * whole line already), not the program's. */
	while (nargs > 0 && !strncmp(args[nargs - 1], "virtio_mmio.device=", 19))
		nargs--;
	/* env=NAME=VALUE words (before " -- ") make up init's environment. */
	static char envbuf[BOOTINFO_CMDLINE_MAX];
	const char *env[EXEC_ENV_MAX];
	int nenv = 0;
	char *o = envbuf;
	for (const char *w = boot.cmdline; *w;) {
		while (*w == ' ')
			w++;
		const char *start = w;
		while (*w && *w != ' ')
			w++;
		size_t n = (size_t)(w - start);
		if (n > 4 && !strncmp(start, "env=", 4) && nenv < EXEC_ENV_MAX) {
			memcpy(o, start + 4, n - 4);
			o[n - 4] = '\0';
			env[nenv++] = o;
			o += n - 3;
		}
	}
	proc_quiet = bootinfo_cmdline_flag(&boot, "quiet");
	stats_print_at_exit = bootinfo_cmdline_flag(&boot, "mmstats");
	stats_publish();
	kmain_mount_root();
	char how[8];
	if (!bootinfo_cmdline_get(&boot, "cr3", how, sizeof(how)))
		arch_load_cr3_hc(!strcmp(how, "hc"));
	int err = exec_init(path, args, nargs, env, nenv);
	/* A shell's statuses: 127 when there is no such program, 126 when there
	 * is one that cannot run. */
	printk("init: %s: %s\n", path,
	       err == -ENOENT ? "No such file or directory" :
	       err == -ENOEXEC ? "Exec format error" :
	       err == -EACCES ? "Permission denied" : "cannot run it");
	if (err != -ENOENT && err != -ENOEXEC && err != -EACCES)
		printk("init: error %d\n", err);
	vfs_shutdown();   /* the mount marked the volume in use */
	machine_exit(err == -ENOENT ? INIT_EXIT_NOT_FOUND : INIT_EXIT_CANNOT_RUN);
}

void kmain(uint64_t start_info_gpa, uint64_t boot_info_gpa)
{
	char opt[BOOTINFO_CMDLINE_MAX];

	bootinfo_parse_mv(&boot, boot_info_gpa);
	/* As close to entry as it gets: the loader's wall clock is the time
	 * of the first instruction, and the TSC read here stands for it. */
	time_init(boot.wall_clock_ns, boot.tsc_khz);
	hc_init(boot.hc_port);
	cons_init(hc_available());
	trap_init();
	if (boot_info_gpa && !boot.mv)
		printk("warning: mv_boot_info at %lx is not valid, ignored\n", boot_info_gpa);
	if (bootinfo_parse_start(&boot, start_info_gpa))
		panic("no valid hvm_start_info at %lx", start_info_gpa);
	kmain_mm_init();
	kmain_direct_map_rest();
	if (!bootinfo_cmdline_flag(&boot, "quiet")) {
		cons_batch(true);
		kmain_banner();
		cons_batch(false);
	}
	hc_call(MV_HC_BOOT_MARK, MV_MARK_BOOT_DONE, 0);

	opt[0] = '\0';
	bootinfo_cmdline_get(&boot, "crash", opt, sizeof(opt));
	kmain_crash(opt);
	/* Devices after the mark: each register access is an exit, and a
	 * boot without disks pays only for scanning the command line. */
	vmmio_probe_all(boot.cmdline, !bootinfo_cmdline_flag(&boot, "quiet"));
	kmain_init();

	if (bootinfo_cmdline_get(&boot, "selftest", opt, sizeof(opt)) == 0)
		machine_exit(selftest_run(opt) ? 1 : MV_EXIT_OK);
	machine_exit(MV_EXIT_OK);
}
