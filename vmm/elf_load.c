#include "elf_load.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mv_boot.h"
#include "pvh.h"

static bool range_ok(uint64_t off, uint64_t size, uint64_t limit)
{
	return off <= limit && size <= limit - off;
}

/* ELF gABI "Note Section": namesz, descsz, type, then name and desc each
 * padded to 4 bytes. */
static int parse_notes(const uint8_t *p, uint64_t size, struct elf_info *info, struct mv_err *e)
{
	uint64_t pos = 0;
	while (size - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, p + pos, sizeof(nh));
		pos += sizeof(nh);
		uint64_t namesz = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		uint64_t descsz = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		if (!range_ok(pos, namesz, size) || !range_ok(pos + namesz, descsz, size))
			return mv_errf(e, "elf: note runs past the end of its segment");
		const char *name = (const char *)(p + pos);
		const uint8_t *desc = p + pos + namesz;
		if (nh.n_namesz == sizeof(PVH_ELFNOTE_NAME) &&
		    !memcmp(name, PVH_ELFNOTE_NAME, sizeof(PVH_ELFNOTE_NAME)) &&
		    nh.n_type == PVH_ELFNOTE_PHYS32_ENTRY) {
			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return mv_errf(e, "elf: PVH entry note has a %u-byte descriptor", nh.n_descsz);
			uint64_t v = 0;
			memcpy(&v, desc, nh.n_descsz);
			if (v > UINT32_MAX)
				return mv_errf(e, "elf: PVH entry 0x%llx is not a 32-bit address",
					       (unsigned long long)v);
			info->has_pvh = true;
			info->pvh_entry = (uint32_t)v;
		} else if (nh.n_namesz == sizeof(MV_ELFNOTE_NAME) &&
			   !memcmp(name, MV_ELFNOTE_NAME, sizeof(MV_ELFNOTE_NAME)) &&
			   nh.n_type == MV_ELFNOTE_ENTRY64) {
			if (nh.n_descsz != 8)
				return mv_errf(e, "elf: Mapvisor entry note has a %u-byte descriptor", nh.n_descsz);
			memcpy(&info->entry64, desc, 8);
			info->has_entry64 = true;
		}
		pos += namesz + descsz;
	}
	return 0;
}

static bool segs_overlap(const struct elf_segment *a, const struct elf_segment *b)
{
	return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

int elf_parse(const uint8_t *img, size_t len, struct elf_info *info, struct mv_err *e)
{
	Elf64_Ehdr eh;
	memset(info, 0, sizeof(*info));
	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
		return mv_errf(e, "elf: not an ELF file");
	if (img[EI_CLASS] != ELFCLASS64)
		return mv_errf(e, "elf: not a 64-bit ELF (class %u)", img[EI_CLASS]);
	if (len < sizeof(eh))
		return mv_errf(e, "elf: truncated header (%zu bytes)", len);
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return mv_errf(e, "elf: not little-endian");
	if (eh.e_machine != EM_X86_64)
		return mv_errf(e, "elf: machine %u is not x86_64", eh.e_machine);
	if (eh.e_type != ET_EXEC)
		return mv_errf(e, "elf: type %u is not an executable (ET_EXEC)", eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return mv_errf(e, "elf: program header size %u, expected %zu", eh.e_phentsize,
			       sizeof(Elf64_Phdr));
	if (eh.e_phnum == 0 || eh.e_phnum > ELF_MAX_PHDRS)
		return mv_errf(e, "elf: %u program headers (1..%d allowed)", eh.e_phnum, ELF_MAX_PHDRS);
	if (!range_ok(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len))
		return mv_errf(e, "elf: program headers lie outside the file (truncated?)");

	info->e_entry = eh.e_entry;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_NOTE) {
			if (!range_ok(ph.p_offset, ph.p_filesz, len))
				return mv_errf(e, "elf: note segment %d lies outside the file", i);
			if (parse_notes(img + ph.p_offset, ph.p_filesz, info, e) < 0)
				return -1;
			continue;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (!range_ok(ph.p_offset, ph.p_filesz, len))
			return mv_errf(e, "elf: segment %d (offset 0x%llx, size 0x%llx) lies outside the file (truncated?)",
				       i, (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz);
		if (ph.p_filesz > ph.p_memsz)
			return mv_errf(e, "elf: segment %d has filesz > memsz", i);
		if (ph.p_memsz > ELF_MAX_SEGMENT)
			return mv_errf(e, "elf: segment %d is %llu bytes, larger than %llu", i,
				       (unsigned long long)ph.p_memsz, (unsigned long long)ELF_MAX_SEGMENT);
		if (!range_ok(ph.p_paddr, ph.p_memsz, UINT64_MAX) ||
		    !range_ok(ph.p_vaddr, ph.p_memsz, UINT64_MAX))
			return mv_errf(e, "elf: segment %d wraps around the address space", i);
		struct elf_segment *s = &info->seg[info->nsegs];
		*s = (struct elf_segment){ .offset = ph.p_offset, .filesz = ph.p_filesz,
					   .memsz = ph.p_memsz, .paddr = ph.p_paddr,
					   .vaddr = ph.p_vaddr, .flags = ph.p_flags };
		for (int j = 0; j < info->nsegs; j++)
			if (segs_overlap(s, &info->seg[j]))
				return mv_errf(e, "elf: segments %d and %d overlap in physical memory", j,
					       info->nsegs);
		if (!info->nsegs || s->paddr < info->load_start)
			info->load_start = s->paddr;
		if (s->paddr + s->memsz > info->load_end)
			info->load_end = s->paddr + s->memsz;
		info->nsegs++;
	}
	if (!info->nsegs)
		return mv_errf(e, "elf: no loadable segment");
	if (!info->has_pvh)
		return mv_errf(e, "elf: no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); not a PVH kernel");

	bool pvh_inside = false;
	for (int i = 0; i < info->nsegs; i++) {
		const struct elf_segment *s = &info->seg[i];
		if (info->pvh_entry >= s->paddr && info->pvh_entry - s->paddr < s->filesz &&
		    (s->flags & PF_X))
			pvh_inside = true;
		if (info->has_entry64 && info->entry64 >= s->vaddr &&
		    info->entry64 - s->vaddr < s->filesz && (s->flags & PF_X))
			info->entry64_paddr = s->paddr + (info->entry64 - s->vaddr);
	}
	if (!pvh_inside)
		return mv_errf(e, "elf: PVH entry 0x%x is not inside an executable segment", info->pvh_entry);
	if (info->has_entry64 && !info->entry64_paddr)
		return mv_errf(e, "elf: 64-bit entry 0x%llx is not inside an executable segment",
			       (unsigned long long)info->entry64);
	return 0;
}

int elf_load(const struct elf_info *info, const uint8_t *img, size_t len,
	     struct guest_mem *gm, struct mv_err *e)
{
	for (int i = 0; i < info->nsegs; i++) {
		const struct elf_segment *s = &info->seg[i];
		if (s->paddr < MV_GPA_KERNEL_MIN)
			return mv_errf(e, "elf: segment at 0x%llx overlaps the boot data below 0x%llx",
				       (unsigned long long)s->paddr,
				       (unsigned long long)MV_GPA_KERNEL_MIN);
		uint8_t *dst = gm_ptr(gm, s->paddr, s->memsz);
		if (!dst)
			return mv_errf(e, "elf: segment [0x%llx, 0x%llx) is outside guest RAM",
				       (unsigned long long)s->paddr,
				       (unsigned long long)(s->paddr + s->memsz));
		if (!range_ok(s->offset, s->filesz, len))
			return mv_errf(e, "elf: segment %d lies outside the file", i);
	}
	for (int i = 0; i < info->nsegs; i++) {
		const struct elf_segment *s = &info->seg[i];
		uint8_t *dst = gm_ptr(gm, s->paddr, s->memsz);
		memcpy(dst, img + s->offset, s->filesz);
		/* Fresh anonymous RAM reads as zero already: zeroing the bss there
		 * would only fault in pages the guest may never touch. */
		if (!gm->fresh_zero)
			memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	gm->fresh_zero = false;
	return 0;
}

int elf_read_file(const char *path, uint8_t **buf, size_t *len, struct mv_err *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mv_errf(e, "kernel: open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		mv_errf(e, "kernel: fstat %s: %s", path, strerror(errno));
		goto fail_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		mv_errf(e, "kernel: %s is not a regular file", path);
		goto fail_fd;
	}
	if ((uint64_t)st.st_size > ELF_MAX_IMAGE) {
		mv_errf(e, "kernel: %s is %lld bytes, larger than %llu", path,
			(long long)st.st_size, (unsigned long long)ELF_MAX_IMAGE);
		goto fail_fd;
	}
	*len = st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		mv_errf(e, "kernel: out of memory");
		goto fail_fd;
	}
	size_t got = 0;
	while (got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			mv_errf(e, "kernel: read %s: %s", path, n < 0 ? strerror(errno) : "short read");
			goto fail_buf;
		}
		got += n;
	}
	close(fd);
	return 0;
fail_buf:
	free(*buf);
	*buf = NULL;
fail_fd:
	close(fd);
	return -1;
}
