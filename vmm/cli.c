#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mv_boot.h"

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B") || !strcmp(end, "b")))
		end += strlen(end);
	if (*end || v == 0 || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

enum {
	OPT_KERNEL = 'k', OPT_MEM = 'm', OPT_QUIET = 'q', OPT_VERBOSE = 'v', OPT_HELP = 'h',
	OPT_MEM_FILE = 256, OPT_MEM_SHARE, OPT_HUGEPAGES, OPT_PREFAULT, OPT_CMDLINE,
	OPT_ENTRY, OPT_PV, OPT_REPORT, OPT_DISK, OPT_THP, OPT_ENV = 'e',
};

_Static_assert(CLI_MAX_DISKS == MV_VIRTIO_MMIO_MAX, "one virtio-mmio window a disk");

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "mem-file", required_argument, NULL, OPT_MEM_FILE },
	{ "mem-share", required_argument, NULL, OPT_MEM_SHARE },
	{ "hugepages", required_argument, NULL, OPT_HUGEPAGES },
	{ "prefault", no_argument, NULL, OPT_PREFAULT },
	{ "thp", required_argument, NULL, OPT_THP },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "pv", required_argument, NULL, OPT_PV },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void cli_print_usage(FILE *f)
{
	fprintf(f, "usage: mapvisor run [options] [-- PROGRAM ARGS...]   boot a guest kernel\n"
	       "       mapvisor --help | --version\n"
	       "Run `mapvisor run --help` for the options.\n");
}

void cli_print_run_help(void)
{
	printf(
	"usage: mapvisor run [options] [-- PROGRAM [ARGS...]]\n"
	"\n"
	"Boot an x86_64 kernel (ELF with a PVH note) in a KVM virtual machine.\n"
	"After `--`, PROGRAM (a path on the --disk root file system, or\n"
	"/embedded/NAME) becomes the guest's init process with ARGS as its\n"
	"arguments: ' init=PROGRAM -- ARGS' is appended to the kernel command line.\n"
	"The kernel splits that line at spaces and knows no quoting, so PROGRAM and\n"
	"ARGS must be non-empty and printable ASCII without spaces (else: usage\n"
	"error, 120). Example:\n"
	"  mapvisor run -q --disk build/images/rootfs.ext2 -- /bin/hello world\n"
	"\n"
	"  -k, --kernel FILE       kernel ELF (default: guest/kernel.elf next to mapvisor)\n"
	"  -m, --mem SIZE          guest RAM, a multiple of 2M, 16M..1T (default 256M);\n"
	"                          suffixes K, M, G, T (binary)\n"
	"      --mem-file PATH     back guest RAM with this file\n"
	"      --mem-share MODE    shared: guest RAM is the file (created, or extended\n"
	"                          if smaller; never truncated);\n"
	"                          private: read from the file, writes stay in this\n"
	"                          process (the file must exist and be large enough)\n"
	"                          default: private\n"
	"      --hugepages SIZE    2M or 1G hugetlbfs pages; with --mem-file the file\n"
	"                          must be on a hugetlbfs mount of that page size\n"
	"      --prefault          populate all of guest RAM before boot (MAP_POPULATE)\n"
	"      --thp MODE          on (default for anonymous RAM): ask the host for\n"
	"                          transparent huge pages (MADV_HUGEPAGE); off: 4K\n"
	"                          pages unless the host's THP policy is 'always'\n"
	"      --cmdline STRING    kernel command line (e.g. 'selftest=all')\n"
	"      --entry MODE        auto (default): the 64-bit entry when the kernel has\n"
	"                          a Mapvisor note; 64; pvh: the 32-bit PVH entry\n"
	"      --pv MODE           paravirtual port: auto (default), on, off\n"
	"      --report FILE|-     write a JSON report at exit ('-': stdout)\n"
	"      --disk PATH[,ro]    a virtio-blk disk over this image (repeat for up\n"
	"                          to 4); ',ro': read-only (writes fail with IOERR);\n"
	"                          the file must exist. Disk i is virtio-mmio at\n"
	"                          0xd0000000 + i*0x1000, announced to the kernel as\n"
	"                          virtio_mmio.device=4K@<base>:<5+i>\n"
	"  -e, --env NAME=VALUE    a variable in the program's environment (repeat,\n"
	"                          up to 32; printable, no spaces)\n"
	"  -q, --quiet             only the guest's own output: no monitor messages, and\n"
	"                          'quiet' on the kernel command line (no banner)\n"
	"  -v, --verbose           trace device accesses and exits\n"
	"  -h, --help              this text\n"
	"\n"
	"Exit status: the guest's own status (0-255), except\n"
	"  120 usage error, 121 monitor error, 122 guest crash (triple fault,\n"
	"  unexpected exit, or the guest kernel's panic).\n");
}

/* PATH or PATH,ro. The suffix is the only option, so a path may itself
 * contain commas. */
static int parse_disk(const char *arg, struct run_opts *o, struct mv_err *e)
{
	size_t len = strlen(arg);
	bool ro = len >= 3 && !strcmp(arg + len - 3, ",ro");
	if (ro)
		len -= 3;
	if (o->ndisks == CLI_MAX_DISKS)
		return mv_errf(e, "--disk: at most %d disks", CLI_MAX_DISKS);
	if (len == 0)
		return mv_errf(e, "--disk: empty path");
	if (len >= sizeof(o->disk[0].path))
		return mv_errf(e, "--disk: path longer than %zu bytes",
			       sizeof(o->disk[0].path) - 1);
	struct cli_disk *d = &o->disk[o->ndisks++];
	memcpy(d->path, arg, len);
	d->path[len] = 0;
	d->ro = ro;
	return 0;
}

/* The kernel command line has no quoting: an argument with a space would
 * split, and control or non-ASCII bytes have no business there. */
static int check_prog_arg(const char *a, bool is_prog, struct mv_err *e)
{
	const char *what = is_prog ? "program" : "program argument";
	if (!a[0])
		return mv_errf(e, "%s after --: empty (the kernel command line cannot carry it)",
			       what);
	for (const unsigned char *c = (const unsigned char *)a; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return mv_errf(e, "%s after --: '%s' has a space or non-printable character "
				       "(the kernel command line has no quoting)", what, a);
	return 0;
}

int cli_append_init(const struct run_opts *o, char *buf, size_t size)
{
	size_t used = strnlen(buf, size);
	for (int i = 0; i < o->nenv; i++) {   /* before " -- ": kernel options */
		int n = snprintf(buf + used, size - used, "%senv=%s", used ? " " : "", o->env[i]);
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = 0;
			return -1;
		}
		used += (size_t)n;
	}
	for (int i = 0; i < o->prog_argc; i++) {
		/* " init=PROG", then " -- ARG1", then " ARGn" */
		const char *sep = i == 0 ? (used ? " init=" : "init=") : i == 1 ? " -- " : " ";
		int n = snprintf(buf + used, size - used, "%s%s", sep, o->prog_argv[i]);
		if (n < 0 || (size_t)n >= size - used) {
			buf[used] = 0;
			return -1;
		}
		used += (size_t)n;
	}
	return 0;
}

int cli_parse_run(int argc, char **argv, struct run_opts *o, struct mv_err *e)
{
	memset(o, 0, sizeof(*o));
	o->mem = CLI_DEFAULT_MEM;
	o->mem_share = -1;
	o->thp = -1;
	o->cmdline = "";
	optind = 0;   /* glibc: full reinitialisation, so tests can parse twice */
	opterr = 0;
	int c, at = 1;   /* at: the argument getopt is scanning */
	for (; (c = getopt_long(argc, argv, "+:k:m:e:qvh", run_options, NULL)) != -1; at = optind) {
		switch (c) {
		case OPT_KERNEL:
			o->kernel = optarg;
			break;
		case OPT_MEM:
			if (cli_parse_size(optarg, &o->mem) < 0)
				return mv_errf(e, "--mem: '%s' is not a size (e.g. 256M, 1G)", optarg);
			break;
		case OPT_MEM_FILE:
			if (!optarg[0])
				return mv_errf(e, "--mem-file: empty path");
			o->mem_file = optarg;
			break;
		case OPT_MEM_SHARE:
			if (!strcmp(optarg, "shared"))
				o->mem_share = 1;
			else if (!strcmp(optarg, "private"))
				o->mem_share = 0;
			else
				return mv_errf(e, "--mem-share: '%s' is neither shared nor private", optarg);
			break;
		case OPT_HUGEPAGES:
			if (!strcasecmp(optarg, "2M") || !strcasecmp(optarg, "2MB"))
				o->hugepages = 2ull << 20;
			else if (!strcasecmp(optarg, "1G") || !strcasecmp(optarg, "1GB"))
				o->hugepages = 1ull << 30;
			else
				return mv_errf(e, "--hugepages: '%s' is not 2M or 1G", optarg);
			break;
		case OPT_PREFAULT:
			o->prefault = true;
			break;
		case OPT_THP:
			if (!strcmp(optarg, "on"))
				o->thp = 1;
			else if (!strcmp(optarg, "off"))
				o->thp = 0;
			else
				return mv_errf(e, "--thp: '%s' is neither on nor off", optarg);
			break;
		case OPT_CMDLINE:
			if (strlen(optarg) >= MV_CMDLINE_MAX)
				return mv_errf(e, "--cmdline: longer than %u bytes", MV_CMDLINE_MAX - 1);
			o->cmdline = optarg;
			break;
		case OPT_ENTRY:
			if (!strcmp(optarg, "auto"))
				o->entry = BOOT_ENTRY_AUTO;
			else if (!strcmp(optarg, "64"))
				o->entry = BOOT_ENTRY_64;
			else if (!strcmp(optarg, "pvh"))
				o->entry = BOOT_ENTRY_PVH;
			else
				return mv_errf(e, "--entry: '%s' is not auto, 64 or pvh", optarg);
			break;
		case OPT_PV:
			if (!strcmp(optarg, "auto"))
				o->pv = PV_AUTO;
			else if (!strcmp(optarg, "on"))
				o->pv = PV_ON;
			else if (!strcmp(optarg, "off"))
				o->pv = PV_OFF;
			else
				return mv_errf(e, "--pv: '%s' is not auto, on or off", optarg);
			break;
		case OPT_REPORT:
			if (!optarg[0])
				return mv_errf(e, "--report: empty path");
			o->report = optarg;
			break;
		case OPT_DISK:
			if (parse_disk(optarg, o, e) < 0)
				return -1;
			break;
		case OPT_ENV: {
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				return mv_errf(e, "--env: '%s' is not NAME=VALUE", optarg);
			for (const unsigned char *c = (const unsigned char *)optarg; *c; c++)
				if (*c <= ' ' || *c >= 0x7f)
					return mv_errf(e, "--env: '%s' has a space or non-printable character "
						       "(the kernel command line has no quoting)", optarg);
			if (o->nenv == CLI_MAX_ENV)
				return mv_errf(e, "--env: at most %d variables", CLI_MAX_ENV);
			o->env[o->nenv++] = optarg;
			break;
		}
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case OPT_HELP:
			cli_print_run_help();
			return 1;
		case ':':
			return mv_errf(e, "option %s needs a value", argv[optind - 1]);
		default:
			/* In a cluster like -xq getopt has not moved past the argument
			 * yet; a long option is named whole (optopt is unreliable there). */
			if (at < argc && (!strncmp(argv[at], "--", 2) || !optopt))
				return mv_errf(e, "unknown option '%s'", argv[at]);
			return mv_errf(e, "unknown option '-%c'", optopt);
		}
	}
	/* getopt stepped over a `--` ending the options: what follows is the
	 * guest's program (at is the index getopt looked at last). */
	if (optind == at + 1 && at < argc && !strcmp(argv[at], "--") && optind < argc) {
		for (int i = optind; i < argc; i++)
			if (check_prog_arg(argv[i], i == optind, e) < 0)
				return -1;
		o->prog_argc = argc - optind;
		o->prog_argv = argv + optind;
	} else if (optind < argc) {
		return mv_errf(e, "unexpected argument '%s'", argv[optind]);
	}
	if (o->mem_share >= 0 && !o->mem_file && !o->hugepages)
		return mv_errf(e, "--mem-share needs --mem-file or --hugepages");
	if (o->thp == 1 && (o->mem_file || o->hugepages))
		return mv_errf(e, "--thp on is for anonymous RAM (not with --mem-file or --hugepages)");
	if (o->quiet && o->verbose)
		return mv_errf(e, "--quiet and --verbose contradict each other");
	return 0;
}
