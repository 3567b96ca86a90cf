/* What the loader told us: hvm_start_info (always) and mv_boot_info
 * (mapvisor's direct entry only). */
#ifndef GUEST_KERNEL_BOOTINFO_H
#define GUEST_KERNEL_BOOTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvh.h"

#define BOOTINFO_CMDLINE_MAX 256

struct bootinfo {
	const struct hvm_memmap_table_entry *memmap; /* via the direct map */
	uint32_t nmemmap;
	uint64_t ram_bytes;
	uint64_t ram_top;        /* end of the highest RAM range */
	bool mv;                 /* a valid mv_boot_info was given */
	uint64_t mv_flags;
	uint16_t hc_port;
	uint64_t pgtable_start, pgtable_end;
	uint64_t wall_clock_ns;  /* real time at entry; 0: unknown (boot ABI 2) */
	uint32_t tsc_khz;        /* 0: unknown (boot ABI 2) */
	char cmdline[BOOTINFO_CMDLINE_MAX];
};

/* Checks mv_boot_info only; safe before the console exists. */
void bootinfo_parse_mv(struct bootinfo *bi, uint64_t boot_info_gpa);
/* 0, or -EINVAL if start_info is not valid. */
int bootinfo_parse_start(struct bootinfo *bi, uint64_t start_info_gpa);
/* Copies the value of "key=value" from the command line; 0 or -ENOENT. */
int bootinfo_cmdline_get(const struct bootinfo *bi, const char *key, char *out, size_t len);
/* A bare word on the command line, e.g. "quiet". */
bool bootinfo_cmdline_flag(const struct bootinfo *bi, const char *key);
const char *bootinfo_memtype(uint32_t type);

#endif
