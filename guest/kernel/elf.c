/* Every field is checked against the image size with overflow-safe
 * arithmetic before it is used: a malformed file is refused, it never
 * makes the loader read or map outside what it was given. */
#include "kernel/elf.h"
#include "lib/errno.h"
#include "x86.h"

#define EI_CLASS    4
#define EI_DATA     5
#define EI_VERSION  6
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define EM_X86_64   62
#define PAGE_MASK   (X86_PAGE_SIZE - 1)

static int elf_fits(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static int elf_check_header(const struct elf64_ehdr *eh, uint64_t size)
{
	static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };

	if (size < sizeof(*eh))
		return -ENOEXEC;
	for (int i = 0; i < 4; i++)
		if (eh->ident[i] != magic[i])
			return -ENOEXEC;
	if (eh->ident[EI_CLASS] != ELFCLASS64 || eh->ident[EI_DATA] != ELFDATA2LSB ||
	    eh->ident[EI_VERSION] != 1 || eh->type != ET_EXEC || eh->machine != EM_X86_64 ||
	    eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 ||
	    eh->phnum > ELF_PHNUM_MAX ||
	    !elf_fits(eh->phoff, (uint64_t)eh->phnum * sizeof(struct elf64_phdr), size) ||
	    eh->phoff % 8)
		return -ENOEXEC;
	return 0;
}

static int elf_check_load(const struct elf64_phdr *ph, uint64_t size, uint64_t lo, uint64_t hi)
{
	if (ph->filesz > ph->memsz || !elf_fits(ph->offset, ph->filesz, size))
		return -ENOEXEC;
	if (ph->vaddr < lo || ph->vaddr > hi || ph->memsz > hi - ph->vaddr || ph->memsz == 0)
		return -ENOEXEC;
	/* file and memory must share the offset within a page: pages are
	 * copied whole */
	if ((ph->vaddr - ph->offset) & PAGE_MASK)
		return -ENOEXEC;
	return 0;
}

int elf_check(const uint8_t *img, uint64_t size, uint64_t lo, uint64_t hi, struct elf_info *info)
{
	const struct elf64_ehdr *eh = (const void *)img;
	int err = elf_check_header(eh, size);

	if (err)
		return err;
	const struct elf64_phdr *ph = (const void *)(img + eh->phoff);
	uint64_t prev_end = 0;
	int entry_ok = 0;

	info->phdr = ph;
	info->phnum = eh->phnum;
	info->entry = eh->entry;
	info->phdr_va = 0;
	info->end = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type == ELF_PT_INTERP)
			return -ENOEXEC;   /* static binaries only: no dynamic loader */
		if (ph[i].type == ELF_PT_PHDR)
			info->phdr_va = ph[i].vaddr;
		if (ph[i].type != ELF_PT_LOAD)
			continue;
		if (elf_check_load(&ph[i], size, lo, hi))
			return -ENOEXEC;
		/* ascending (gABI) and not sharing a page with the previous one */
		uint64_t first = ph[i].vaddr & ~PAGE_MASK;
		if (first < prev_end)
			return -ENOEXEC;
		prev_end = (ph[i].vaddr + ph[i].memsz + PAGE_MASK) & ~PAGE_MASK;
		info->end = ph[i].vaddr + ph[i].memsz;
		if (ph[i].flags & ELF_PF_X && eh->entry >= ph[i].vaddr &&
		    eh->entry < ph[i].vaddr + ph[i].memsz)
			entry_ok = 1;
		/* headers inside this segment's file part: that is where they
		 * appear in memory */
		if (!info->phdr_va && eh->phoff >= ph[i].offset &&
		    eh->phoff - ph[i].offset < ph[i].filesz)
			info->phdr_va = ph[i].vaddr + (eh->phoff - ph[i].offset);
	}
	if (!entry_ok || !info->end)
		return -ENOEXEC;
	return 0;
}
