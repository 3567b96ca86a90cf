/* ELF64 executables (System V gABI, x86_64 psABI): the checks an image must
 * pass before anything of it is loaded. Pure logic, host-testable. */
#ifndef GUEST_KERNEL_ELF_H
#define GUEST_KERNEL_ELF_H

#include <stdint.h>

#define ELF_PT_LOAD   1
#define ELF_PT_INTERP 3
#define ELF_PT_PHDR   6
#define ELF_PF_X      1
#define ELF_PF_W      2
#define ELF_PF_R      4
#define ELF_PHNUM_MAX 64

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr");

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr");

/* What exec needs beyond the headers themselves. */
struct elf_info {
	const struct elf64_phdr *phdr;  /* inside the image */
	unsigned phnum;
	uint64_t entry;
	uint64_t phdr_va;               /* AT_PHDR: where the headers are mapped */
	uint64_t end;                   /* highest byte of any PT_LOAD + 1 */
};

/* 0, or -ENOEXEC for anything but a well-formed static x86_64 ET_EXEC
 * whose PT_LOADs lie in [lo, hi), page-congruent, on pages of their own. */
int elf_check(const uint8_t *img, uint64_t size, uint64_t lo, uint64_t hi, struct elf_info *info);

#endif
