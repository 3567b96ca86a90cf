/* Boot information parsing. The command line is copied (a loader may put it
 * in RAM the page allocator will hand out); the memory map is only read
 * during boot, before the first allocation, so it is used in place. */
#include "kernel/bootinfo.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mv_boot.h"

void bootinfo_parse_mv(struct bootinfo *bi, uint64_t gpa)
{
	if (!gpa)
		return;
	const struct mv_boot_info *mv = phys_to_virt(gpa);
	/* Version 2 only added wall_clock_ns and tsc_khz (zero in version 1),
	 * so a version 1 loader is understood too; a newer one may have
	 * changed anything. */
	if (mv->magic != MV_BOOT_INFO_MAGIC || mv->version < MV_BOOT_ABI_VERSION_MIN ||
	    mv->version > MV_BOOT_ABI_VERSION)
		return;
	bi->mv = true;
	bi->mv_flags = mv->flags;
	bi->hc_port = mv->flags & MV_BOOT_F_HC ? mv->hc_port : 0;
	bi->pgtable_start = mv->pgtable_start;
	bi->pgtable_end = mv->pgtable_end;
	bi->wall_clock_ns = mv->version >= 2 ? mv->wall_clock_ns : 0;
	bi->tsc_khz = mv->version >= 2 ? mv->tsc_khz : 0;
}

int bootinfo_parse_start(struct bootinfo *bi, uint64_t gpa)
{
	if (!gpa)
		return -EINVAL;
	const struct hvm_start_info *si = phys_to_virt(gpa);
	if (si->magic != HVM_START_MAGIC_VALUE)
		return -EINVAL;

	if (si->version >= 1 && si->memmap_paddr) {
		bi->memmap = phys_to_virt(si->memmap_paddr);
		bi->nmemmap = si->memmap_entries;
	}
	for (uint32_t i = 0; i < bi->nmemmap; i++) {
		const struct hvm_memmap_table_entry *e = &bi->memmap[i];
		if (e->type != HVM_MEMMAP_TYPE_RAM)
			continue;
		bi->ram_bytes += e->size;
		if (e->addr + e->size > bi->ram_top)
			bi->ram_top = e->addr + e->size;
	}

	if (si->cmdline_paddr) {
		const char *s = phys_to_virt(si->cmdline_paddr);
		size_t i = 0;
		while (i < BOOTINFO_CMDLINE_MAX - 1 && s[i]) {
			bi->cmdline[i] = s[i];
			i++;
		}
		bi->cmdline[i] = '\0';
	}
	return 0;
}

int bootinfo_cmdline_get(const struct bootinfo *bi, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = bi->cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			p += klen + 1;
			size_t i = 0;
			while (*p && *p != ' ' && i + 1 < len)
				out[i++] = *p++;
			out[i] = '\0';
			return 0;
		}
		while (*p && *p != ' ')
			p++;
	}
	return -ENOENT;
}

bool bootinfo_cmdline_flag(const struct bootinfo *bi, const char *key)
{
	size_t klen = strlen(key);
	const char *p = bi->cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, klen) && (p[klen] == ' ' || p[klen] == '\0'))
			return true;
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

const char *bootinfo_memtype(uint32_t type)
{
	static const char *const names[] = {
		[HVM_MEMMAP_TYPE_RAM] = "RAM",
		[HVM_MEMMAP_TYPE_RESERVED] = "reserved",
		[HVM_MEMMAP_TYPE_ACPI] = "ACPI",
		[HVM_MEMMAP_TYPE_NVS] = "ACPI NVS",
		[HVM_MEMMAP_TYPE_UNUSABLE] = "unusable",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}
