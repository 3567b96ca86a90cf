/* ELF64 kernel images: validate everything before a byte reaches guest RAM.
 * Pure logic over a byte buffer, so unit tests can feed it any file. */
#ifndef VMM_ELF_LOAD_H
#define VMM_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "log.h"

#define ELF_MAX_PHDRS   64
#define ELF_MAX_SEGMENT (1ull << 30)   /* no kernel segment is larger */
#define ELF_MAX_IMAGE   (256ull << 20) /* refuse larger files before reading */

struct elf_segment {
	uint64_t offset;   /* in the file */
	uint64_t filesz;
	uint64_t memsz;
	gpa_t paddr;       /* where it loads */
	uint64_t vaddr;
	uint32_t flags;    /* PF_R/W/X */
};

struct elf_info {
	int nsegs;
	struct elf_segment seg[ELF_MAX_PHDRS];
	uint64_t e_entry;
	bool has_pvh;
	uint32_t pvh_entry;    /* XEN_ELFNOTE_PHYS32_ENTRY: 32-bit physical */
	bool has_entry64;
	uint64_t entry64;      /* Mapvisor note: 64-bit virtual entry */
	gpa_t entry64_paddr;   /* entry64 translated through the segments */
	gpa_t load_start, load_end;
};

/* Parse and validate; no guest memory involved. */
int elf_parse(const uint8_t *img, size_t len, struct elf_info *info, struct mv_err *e);

/* Check segments against RAM and the boot data area, then copy them in. */
int elf_load(const struct elf_info *info, const uint8_t *img, size_t len,
	     struct guest_mem *gm, struct mv_err *e);

/* Read a whole file into a malloc'd buffer, refusing absurd sizes. */
int elf_read_file(const char *path, uint8_t **buf, size_t *len, struct mv_err *e);

#endif
