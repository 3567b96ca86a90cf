/* The command line of `mapvisor run`. Parsing is separate from acting on it
 * so a unit test can feed it any argv. */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "x86_boot.h"

enum pv_mode { PV_AUTO, PV_ON, PV_OFF };

#define CLI_MAX_DISKS 4   /* = MV_VIRTIO_MMIO_MAX */

struct cli_disk {
	char path[PATH_MAX];      /* without the ",ro" suffix */
	bool ro;
};

#define CLI_MAX_ENV 32

struct run_opts {
	const char *kernel;       /* NULL: the kernel built next to mapvisor */
	uint64_t mem;
	const char *mem_file;
	int mem_share;            /* -1 not given, 0 private, 1 shared */
	uint64_t hugepages;       /* 0, 2 MiB, 1 GiB */
	bool prefault;
	int thp;                  /* -1 not given, 0 off, 1 on */
	const char *cmdline;
	enum boot_entry entry;
	enum pv_mode pv;
	const char *report;       /* NULL, "-" or a path */
	bool quiet;
	bool verbose;
	int ndisks;               /* --disk PATH[,ro], in order: device i */
	struct cli_disk disk[CLI_MAX_DISKS];
	/* Everything after `--`: the guest's init program and its arguments
	 * (prog_argv[0] is the program), pointers into the caller's argv.
	 * prog_argc 0: none given. */
	int prog_argc;
	char **prog_argv;
	/* -e NAME=VALUE: init's environment, in order (pointers into argv). */
	int nenv;
	const char *env[CLI_MAX_ENV];
};

#define CLI_DEFAULT_MEM (256ull << 20)

/* Sizes: digits with an optional K, M, G or T suffix (binary; "KiB" and
 * "MB"-style spellings too). 0 on success, -1 on junk, zero or overflow. */
int cli_parse_size(const char *s, uint64_t *out);

/* 0: parsed; 1: --help was printed; -1: usage error in e. */
int cli_parse_run(int argc, char **argv, struct run_opts *o, struct mv_err *e);

/* Appends " init=PROG -- ARG..." for the program after `--` (nothing when
 * there is none). 0, or -1 when buf (NUL-terminated, size bytes) is full. */
int cli_append_init(const struct run_opts *o, char *buf, size_t size);

void cli_print_usage(FILE *f);
void cli_print_run_help(void);

#endif
