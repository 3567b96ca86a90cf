/* mapvisor: command dispatch and the `run` command's set-up sequence. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "elf_load.h"
#include "hypercall.h"
#include "mv_exit.h"
#include "mv_boot.h"
#include "mv_hypercall.h"
#include "report.h"
#include "vm.h"

#define MAPVISOR_VERSION "0.1.0"

/* kvm-pvm runs guest CPL 0 code in its instruction emulator. */
static bool host_emulates_cpl0(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

/* The kernel built beside this binary: build/mapvisor -> build/guest/kernel.elf
 * (and build/san/mapvisor -> build/guest/kernel.elf). */
static const char *default_kernel(char *buf, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = 0;
	const char *dir = dirname(exe);
	static const char *const rel[] = { "guest/kernel.elf", "../guest/kernel.elf" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(buf, n, "%s/%s", dir, rel[i]);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return NULL;
}

/* The user's command line, plus 'quiet' for -q (the kernel keeps its own
 * messages to itself too), one virtio_mmio.device= a disk, the way the
 * kernel finds its devices (docs/boot.md), and init=PROGRAM -- ARGS for
 * what followed `--`. */
static int build_cmdline(const struct run_opts *o, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%s%s%s", o->cmdline, o->quiet && o->cmdline[0] ? " " : "",
			   o->quiet ? "quiet" : "");
	if (len < 0 || (size_t)len >= n) {
		log_err("--cmdline: no room to add 'quiet' for -q");
		return -1;
	}
	for (int i = 0; i < o->ndisks; i++)
		if (virtio_mmio_cmdline_append(buf, n, MV_GPA_VIRTIO_MMIO + i * MV_VIRTIO_MMIO_SIZE,
					       MV_VIRTIO_IRQ_BASE + i) < 0) {
			log_err("--cmdline: no room to add the virtio_mmio.device= of --disk %s",
				o->disk[i].path);
			return -1;
		}
	/* Last: the kernel reads everything after " -- " as the program's. */
	if (cli_append_init(o, buf, n) < 0) {
		log_err("--cmdline: no room for the program and arguments after --");
		return -1;
	}
	return 0;
}

static int setup_vm(struct vm *vm, const struct run_opts *o, const uint8_t *img, size_t len,
		    const struct elf_info *elf, struct mv_err *e)
{
	struct gm_config mc = {
		.size = o->mem,
		.path = o->mem_file,
		.shared = o->mem_share == 1,
		.hugepage = o->hugepages,
		.prefault = o->prefault,
		.thp = o->thp != 0,
	};
	/* RAM first: its errors are the user's to fix and need no KVM to find. */
	if (gm_init(&vm->mem, &mc, e) < 0)
		return -1;
	if (kvm_open(&vm->kvm, e) < 0 || kvm_create_vm(&vm->kvm, e) < 0)
		return -1;
	for (int i = 0; i < vm->mem.nregions; i++) {
		const struct gm_region *r = &vm->mem.region[i];
		if (kvm_set_user_memory_region(&vm->kvm, r->slot, r->gpa, r->size, r->hva, e) < 0)
			return -1;
	}
	if (kvm_create_vcpu(&vm->kvm, e) < 0 || kvm_set_cpuid2(&vm->kvm, e) < 0)
		return -1;
	if (elf_load(elf, img, len, &vm->mem, e) < 0)
		return -1;

	vm->boot = (struct boot_params){
		.cmdline = o->cmdline,
		.entry = o->entry,
		.hc = o->pv != PV_OFF,
		.cpl0_emulated = o->pv == PV_ON || (o->pv == PV_AUTO && host_emulates_cpl0()),
		.hc_port = MV_HC_PORT_DEFAULT,
		.gbpages = kvm_cpu_has_1g_pages(&vm->kvm),
		.ram_zero = vm->mem.zero_at_start,
	};
	if (boot_write_tables(&vm->mem, elf, &vm->boot, &vm->entry, e) < 0)
		return -1;
	if (vm->entry == BOOT_ENTRY_PVH)
		vm->boot.hc = vm->boot.cpl0_emulated = false;   /* PVH has no way to say so */
	if (boot_set_vcpu(&vm->kvm, elf, vm->entry, e) < 0)
		return -1;

	serial_init(&vm->serial, vm->console_fd);
	if (serial_register(&vm->serial, &vm->io) < 0 || exit_port_register(vm) < 0 ||
	    (vm->boot.hc && hypercall_register(vm, vm->boot.hc_port) < 0))
		return mv_errf(e, "io: port ranges overlap");
	for (int i = 0; i < o->ndisks; i++) {
		struct virtio_blk *b = &vm->disk[i];
		if (virtio_blk_init(b, &vm->mem, o->disk[i].path, o->disk[i].ro, i,
				    MV_GPA_VIRTIO_MMIO + i * MV_VIRTIO_MMIO_SIZE,
				    MV_VIRTIO_IRQ_BASE + i, e) < 0)
			return -1;
		vm->ndisks++;
		if (virtio_mmio_register(&b->mmio, &vm->mmio) < 0)
			return mv_errf(e, "mmio: %s window at 0x%llx overlaps another device",
				       b->name, (unsigned long long)b->mmio.base);
		log_debug("%s: %s%s, %llu sectors, virtio-mmio at 0x%llx irq %u", b->name, b->path,
			  b->ro ? " (read-only)" : "", (unsigned long long)b->capacity,
			  (unsigned long long)b->mmio.base, b->mmio.irq);
	}
	if (kvm_stats_open(&vm->vcpu_stats, kvm_get_vcpu_stats_fd(&vm->kvm)) < 0 ||
	    kvm_stats_open(&vm->vm_stats, kvm_get_vm_stats_fd(&vm->kvm)) < 0)
		return mv_errf(e, "kvm: KVM_GET_STATS_FD: %s", strerror(errno));
	return 0;
}

static int cmd_run(int argc, char **argv, struct timespec t0)
{
	struct run_opts o;
	struct mv_err e = { { 0 } };
	char kpath[PATH_MAX];
	int r = cli_parse_run(argc, argv, &o, &e);
	if (r == 1)
		return MV_EXIT_OK;
	if (r < 0) {
		log_err("%s (see mapvisor run --help)", e.msg);
		return MV_EXIT_USAGE;
	}
	log_quiet = o.quiet;
	log_verbose = o.verbose;
	char cmdline[MV_CMDLINE_MAX];
	if (build_cmdline(&o, cmdline, sizeof(cmdline)) < 0)
		return MV_EXIT_USAGE;
	o.cmdline = cmdline;
	if (!o.kernel && !(o.kernel = default_kernel(kpath, sizeof(kpath)))) {
		log_err("no kernel: give --kernel FILE (none was built next to mapvisor)");
		return MV_EXIT_MONITOR;
	}

	uint8_t *img = NULL;
	size_t len = 0;
	struct elf_info elf;
	if (elf_read_file(o.kernel, &img, &len, &e) < 0) {
		log_err("%s", e.msg);
		return MV_EXIT_MONITOR;
	}
	if (elf_parse(img, len, &elf, &e) < 0) {
		log_err("%s: %s", o.kernel, e.msg);
		free(img);
		return MV_EXIT_MONITOR;
	}

	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		free(img);
		log_err("out of memory");
		return MV_EXIT_MONITOR;
	}
	vm->t_start = t0;
	vm->console_fd = STDOUT_FILENO;
	vm->kvm.sys_fd = vm->kvm.vm_fd = vm->kvm.vcpu_fd = -1;
	vm->mem.fd = -1;
	vm->vcpu_stats.fd = vm->vm_stats.fd = -1;
	int status;
	if (setup_vm(vm, &o, img, len, &elf, &e) < 0) {
		log_err("%s", e.msg);
		status = MV_EXIT_MONITOR;
		vm->exit_source = VM_EXIT_MONITOR;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason), "%s", e.msg);
	} else {
		free(img);
		img = NULL;
		log_debug("booting %s via the %s entry, %llu MiB, %s", o.kernel,
			  boot_entry_name(vm->entry), (unsigned long long)(o.mem >> 20),
			  gm_kind_name(vm->mem.kind));
		status = vm_run(vm);
	}
	for (int i = 0; i < vm->ndisks; i++)
		virtio_blk_quiesce(&vm->disk[i]);   /* its counters are final */
	if (o.report && vm->mem.nregions && report_write(vm, o.report) < 0) {
		log_err("report: %s: %s", o.report, strerror(errno));
		if (status == MV_EXIT_OK)
			status = MV_EXIT_MONITOR;
	}
	free(img);
	for (int i = 0; i < vm->ndisks; i++)
		virtio_blk_close(&vm->disk[i]);
	kvm_stats_close(&vm->vcpu_stats);
	kvm_stats_close(&vm->vm_stats);
	gm_destroy(&vm->mem);
	kvm_close(&vm->kvm);
	free(vm);
	return status;
}

int main(int argc, char **argv)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (argc < 2) {
		cli_print_usage(stderr);
		return MV_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1, t0);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		cli_print_usage(stdout);
		return MV_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("mapvisor %s (boot ABI %u, hypercall ABI %u)\n", MAPVISOR_VERSION,
		       MV_BOOT_ABI_VERSION, MV_HC_ABI_VERSION);
		return MV_EXIT_OK;
	}
	log_err("unknown command '%s' (see mapvisor --help)", argv[1]);
	return MV_EXIT_USAGE;
}
