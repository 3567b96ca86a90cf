/* PVH boot ABI: the start-of-day structures a PVH loader hands the kernel.
 * Source: Xen public header arch-x86/hvm/start_info.h (version 1) and
 * Xen public elfnote.h (XEN_ELFNOTE_PHYS32_ENTRY = 18).
 * Shared by the VMM (which fills them) and the guest (which reads them).
 * Freestanding: only <stdint.h>. */
#ifndef MAPVISOR_PVH_H
#define MAPVISOR_PVH_H

#include <stdint.h>

#define PVH_ELFNOTE_NAME          "Xen"
#define PVH_ELFNOTE_PHYS32_ENTRY  18u          /* desc: 32-bit physical entry */

#define HVM_START_MAGIC_VALUE     0x336ec578u  /* hvm_start_info.magic */

/* Memory map entry types (E820 numbering). */
#define HVM_MEMMAP_TYPE_RAM       1u
#define HVM_MEMMAP_TYPE_RESERVED  2u
#define HVM_MEMMAP_TYPE_ACPI      3u
#define HVM_MEMMAP_TYPE_NVS       4u
#define HVM_MEMMAP_TYPE_UNUSABLE  5u

/* Entered in 32-bit protected mode, paging off, EBX = GPA of this struct. */
struct hvm_start_info {
	uint32_t magic;          /* HVM_START_MAGIC_VALUE */
	uint32_t version;        /* 1: memmap fields valid */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;  /* NUL-terminated ASCII, 0 if none */
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;   /* array of hvm_memmap_table_entry */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;           /* HVM_MEMMAP_TYPE_* */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info v1 layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry layout");

#endif
