/* elf_parse / elf_load on ELF images built in memory, one defect at a time. */
#include <elf.h>
#include <stdint.h>
#include <string.h>

#include "elf_load.h"
#include "guest_mem.h"
#include "mv_boot.h"
#include "pvh.h"
#include "unit.h"

#include <sys/mman.h>

#define IMG_MAX     0x2000
#define PH_OFF      sizeof(Elf64_Ehdr)
#define PH_SLOTS    4
#define NOTE_OFF    0x180
#define TEXT_OFF    0x1000
#define TEXT_SIZE   0x100
#define BSS_END     0x3000            /* memsz of the good segment */
#define LOAD_PADDR  0x200000ull
#define LOAD_VADDR  0xffffffff80200000ull
#define ENTRY64     (LOAD_VADDR + 0x10)

/* What goes into an image; fields default to the good kernel. */
struct spec {
	bool pvh_note;
	uint32_t pvh_type;
	uint32_t pvh_descsz;
	uint64_t pvh_value;
	bool mv_note;
	uint32_t mv_descsz;
	uint64_t entry64;
	uint32_t load_flags;
};

static struct spec good_spec(void)
{
	return (struct spec){ .pvh_note = true, .pvh_type = PVH_ELFNOTE_PHYS32_ENTRY,
			      .pvh_descsz = 4, .pvh_value = LOAD_PADDR,
			      .mv_note = true, .mv_descsz = 8, .entry64 = ENTRY64,
			      .load_flags = PF_R | PF_X };
}

static uint8_t img[IMG_MAX];

static Elf64_Ehdr *ehdr(void)
{
	return (Elf64_Ehdr *)img;
}

static Elf64_Phdr *phdr(int i)
{
	return (Elf64_Phdr *)(img + PH_OFF + i * sizeof(Elf64_Phdr));
}

static Elf64_Nhdr *first_note(void)
{
	return (Elf64_Nhdr *)(img + NOTE_OFF);
}

static size_t put_note(size_t pos, const char *name, uint32_t namesz, uint32_t type,
		       const void *desc, uint32_t descsz)
{
	Elf64_Nhdr nh = { .n_namesz = namesz, .n_descsz = descsz, .n_type = type };
	memcpy(img + pos, &nh, sizeof(nh));
	pos += sizeof(nh);
	memcpy(img + pos, name, namesz);
	pos += (namesz + 3) & ~3u;
	memcpy(img + pos, desc, descsz);
	pos += (descsz + 3) & ~3u;
	return pos;
}

/* Ehdr, phdr 0 PT_LOAD (text + bss), phdr 1 PT_NOTE; returns the file size. */
static size_t build(const struct spec *s)
{
	memset(img, 0, sizeof(img));
	Elf64_Ehdr *eh = ehdr();
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = LOAD_PADDR;
	eh->e_phoff = PH_OFF;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;

	size_t pos = NOTE_OFF;
	if (s->pvh_note) {
		uint64_t v = s->pvh_value;
		pos = put_note(pos, PVH_ELFNOTE_NAME, sizeof(PVH_ELFNOTE_NAME), s->pvh_type, &v,
			       s->pvh_descsz);
	}
	if (s->mv_note) {
		uint64_t v = s->entry64;
		pos = put_note(pos, MV_ELFNOTE_NAME, sizeof(MV_ELFNOTE_NAME), MV_ELFNOTE_ENTRY64,
			       &v, s->mv_descsz);
	}
	ck_assert_uint_le(pos, TEXT_OFF);

	for (int i = 0; i < TEXT_SIZE; i++)
		img[TEXT_OFF + i] = (uint8_t)(i * 7 + 1);

	*phdr(0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = s->load_flags,
				 .p_offset = TEXT_OFF, .p_vaddr = LOAD_VADDR,
				 .p_paddr = LOAD_PADDR, .p_filesz = TEXT_SIZE,
				 .p_memsz = BSS_END, .p_align = 0x1000 };
	*phdr(1) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = NOTE_OFF,
				 .p_filesz = pos - NOTE_OFF, .p_align = 4 };
	return TEXT_OFF + TEXT_SIZE;
}

static size_t build_good(void)
{
	struct spec s = good_spec();
	return build(&s);
}

/* A third program header: a PT_LOAD of `memsz` bss bytes at `paddr`. */
static void add_bss_segment(gpa_t paddr, uint64_t vaddr, uint64_t memsz)
{
	*phdr(2) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
				 .p_offset = TEXT_OFF, .p_vaddr = vaddr, .p_paddr = paddr,
				 .p_filesz = 0, .p_memsz = memsz, .p_align = 0x1000 };
	ehdr()->e_phnum = 3;
}

static int parse(size_t len, struct elf_info *info, struct mv_err *e)
{
	memset(e, 0, sizeof(*e));
	return elf_parse(img, len, info, e);
}

START_TEST(elf_parses_good_kernel)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ck_assert_msg(parse(len, &info, &e) == 0, "parse failed: %s", e.msg);
	ck_assert_int_eq(info.nsegs, 1);
	ck_assert_uint_eq(info.seg[0].offset, TEXT_OFF);
	ck_assert_uint_eq(info.seg[0].filesz, TEXT_SIZE);
	ck_assert_uint_eq(info.seg[0].memsz, BSS_END);
	ck_assert_uint_eq(info.seg[0].paddr, LOAD_PADDR);
	ck_assert_uint_eq(info.seg[0].vaddr, LOAD_VADDR);
	ck_assert_uint_eq(info.seg[0].flags, PF_R | PF_X);
	ck_assert_uint_eq(info.e_entry, LOAD_PADDR);
	ck_assert(info.has_pvh);
	ck_assert_uint_eq(info.pvh_entry, LOAD_PADDR);
	ck_assert(info.has_entry64);
	ck_assert_uint_eq(info.entry64, ENTRY64);
	ck_assert_uint_eq(info.entry64_paddr, LOAD_PADDR + (ENTRY64 - LOAD_VADDR));
	ck_assert_uint_eq(info.load_start, LOAD_PADDR);
	ck_assert_uint_eq(info.load_end, LOAD_PADDR + BSS_END);
}
END_TEST

START_TEST(elf_parses_pvh_only_kernel_without_entry64)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.mv_note = false;
	size_t len = build(&s);
	ck_assert_msg(parse(len, &info, &e) == 0, "parse failed: %s", e.msg);
	ck_assert(info.has_pvh);
	ck_assert(!info.has_entry64);
	ck_assert_uint_eq(info.entry64_paddr, 0);
}
END_TEST

START_TEST(elf_ignores_notes_of_other_types)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	/* The Mapvisor note follows the 20-byte PVH note; give it another type. */
	Elf64_Nhdr *mv = (Elf64_Nhdr *)(img + NOTE_OFF + sizeof(Elf64_Nhdr) + 4 + 4);
	ck_assert_uint_eq(mv->n_type, MV_ELFNOTE_ENTRY64);
	mv->n_type = MV_ELFNOTE_ENTRY64 + 1;
	ck_assert_msg(parse(len, &info, &e) == 0, "parse failed: %s", e.msg);
	ck_assert(!info.has_entry64);
}
END_TEST

START_TEST(elf_accepts_pvh_note_with_8_byte_descriptor)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_descsz = 8;
	size_t len = build(&s);
	ck_assert_msg(parse(len, &info, &e) == 0, "parse failed: %s", e.msg);
	ck_assert_uint_eq(info.pvh_entry, LOAD_PADDR);
}
END_TEST

START_TEST(elf_rejects_pvh_entry_above_4_gib)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_descsz = 8;
	s.pvh_value = 0x100200000ull;
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "not a 32-bit address");
}
END_TEST

START_TEST(elf_accepts_adjacent_segments)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	add_bss_segment(LOAD_PADDR + BSS_END, LOAD_VADDR + BSS_END, 0x2000);
	ck_assert_msg(parse(len, &info, &e) == 0, "parse failed: %s", e.msg);
	ck_assert_int_eq(info.nsegs, 2);
	ck_assert_uint_eq(info.load_start, LOAD_PADDR);
	ck_assert_uint_eq(info.load_end, LOAD_PADDR + BSS_END + 0x2000);
}
END_TEST

START_TEST(elf_skips_empty_load_segments)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	add_bss_segment(LOAD_PADDR, LOAD_VADDR, 0);   /* same place, but empty */
	ck_assert_msg(parse(len, &info, &e) == 0, "parse failed: %s", e.msg);
	ck_assert_int_eq(info.nsegs, 1);
}
END_TEST

START_TEST(elf_rejects_empty_file)
{
	struct elf_info info;
	struct mv_err e;
	build_good();
	ck_assert_fails_with(parse(0, &info, &e), e, "not an ELF file");
}
END_TEST

START_TEST(elf_rejects_file_shorter_than_ident)
{
	struct elf_info info;
	struct mv_err e;
	build_good();
	ck_assert_fails_with(parse(EI_NIDENT - 1, &info, &e), e, "not an ELF file");
}
END_TEST

START_TEST(elf_rejects_truncated_header)
{
	struct elf_info info;
	struct mv_err e;
	build_good();
	ck_assert_fails_with(parse(sizeof(Elf64_Ehdr) - 1, &info, &e), e, "truncated header");
}
END_TEST

START_TEST(elf_rejects_bad_magic)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	img[EI_MAG1] = 'X';
	ck_assert_fails_with(parse(len, &info, &e), e, "not an ELF file");
}
END_TEST

START_TEST(elf_rejects_32_bit_class)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	img[EI_CLASS] = ELFCLASS32;
	ck_assert_fails_with(parse(len, &info, &e), e, "not a 64-bit ELF");
}
END_TEST

START_TEST(elf_rejects_big_endian)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	img[EI_DATA] = ELFDATA2MSB;
	ck_assert_fails_with(parse(len, &info, &e), e, "not little-endian");
}
END_TEST

START_TEST(elf_rejects_wrong_machine)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ehdr()->e_machine = EM_AARCH64;
	ck_assert_fails_with(parse(len, &info, &e), e, "is not x86_64");
}
END_TEST

START_TEST(elf_rejects_shared_object)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ehdr()->e_type = ET_DYN;
	ck_assert_fails_with(parse(len, &info, &e), e, "not an executable");
}
END_TEST

START_TEST(elf_rejects_wrong_phentsize)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ehdr()->e_phentsize = sizeof(Elf32_Phdr);
	ck_assert_fails_with(parse(len, &info, &e), e, "program header size");
}
END_TEST

START_TEST(elf_rejects_zero_program_headers)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ehdr()->e_phnum = 0;
	ck_assert_fails_with(parse(len, &info, &e), e, "0 program headers");
}
END_TEST

START_TEST(elf_rejects_more_than_64_program_headers)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ehdr()->e_phnum = ELF_MAX_PHDRS + 1;
	ck_assert_fails_with(parse(len, &info, &e), e, "65 program headers");
}
END_TEST

START_TEST(elf_rejects_truncated_program_headers)
{
	struct elf_info info;
	struct mv_err e;
	build_good();
	/* The file ends in the middle of the second program header. */
	size_t len = PH_OFF + sizeof(Elf64_Phdr) + 8;
	ck_assert_fails_with(parse(len, &info, &e), e, "program headers lie outside the file");
}
END_TEST

START_TEST(elf_rejects_program_header_offset_overflow)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ehdr()->e_phoff = UINT64_MAX - 8;
	ck_assert_fails_with(parse(len, &info, &e), e, "program headers lie outside the file");
}
END_TEST

START_TEST(elf_rejects_segment_past_end_of_file)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	phdr(0)->p_filesz = len - TEXT_OFF + 1;
	ck_assert_fails_with(parse(len, &info, &e), e, "lies outside the file");
}
END_TEST

START_TEST(elf_rejects_segment_offset_overflow)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	phdr(0)->p_offset = UINT64_MAX - 0x10;   /* offset + filesz wraps to a small number */
	ck_assert_fails_with(parse(len, &info, &e), e, "lies outside the file");
}
END_TEST

START_TEST(elf_rejects_filesz_larger_than_memsz)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	phdr(0)->p_memsz = TEXT_SIZE - 1;
	ck_assert_fails_with(parse(len, &info, &e), e, "filesz > memsz");
}
END_TEST

START_TEST(elf_rejects_segment_larger_than_1_gib)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	phdr(0)->p_memsz = ELF_MAX_SEGMENT + 1;
	ck_assert_fails_with(parse(len, &info, &e), e, "larger than");
}
END_TEST

START_TEST(elf_rejects_paddr_wraparound)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	phdr(0)->p_paddr = UINT64_MAX - 0x1000;
	ck_assert_fails_with(parse(len, &info, &e), e, "wraps around");
}
END_TEST

START_TEST(elf_rejects_vaddr_wraparound)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	phdr(0)->p_vaddr = UINT64_MAX - 0x1000;
	ck_assert_fails_with(parse(len, &info, &e), e, "wraps around");
}
END_TEST

START_TEST(elf_rejects_overlapping_segments)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	add_bss_segment(LOAD_PADDR + BSS_END - 0x1000, LOAD_VADDR + 0x100000, 0x2000);
	ck_assert_fails_with(parse(len, &info, &e), e, "overlap");
}
END_TEST

START_TEST(elf_rejects_segment_containing_another)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	add_bss_segment(LOAD_PADDR - 0x1000, LOAD_VADDR + 0x100000, BSS_END + 0x2000);
	ck_assert_fails_with(parse(len, &info, &e), e, "overlap");
}
END_TEST

START_TEST(elf_rejects_file_without_load_segment)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	phdr(0)->p_type = PT_NULL;
	ck_assert_fails_with(parse(len, &info, &e), e, "no loadable segment");
}
END_TEST

START_TEST(elf_rejects_kernel_without_pvh_note)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_note = false;
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "no PVH entry note");
}
END_TEST

START_TEST(elf_rejects_xen_note_of_another_type_as_missing_pvh)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_type = PVH_ELFNOTE_PHYS32_ENTRY - 1;
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "no PVH entry note");
}
END_TEST

START_TEST(elf_rejects_pvh_entry_outside_segments)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_value = LOAD_PADDR + BSS_END + 0x1000;
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "PVH entry");
	ck_assert_ptr_nonnull(strstr(e.msg, "not inside an executable segment"));
}
END_TEST

START_TEST(elf_rejects_pvh_entry_in_bss)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_value = LOAD_PADDR + TEXT_SIZE;   /* inside memsz, past filesz */
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "PVH entry");
}
END_TEST

START_TEST(elf_rejects_pvh_entry_in_non_executable_segment)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.load_flags = PF_R | PF_W;
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "not inside an executable segment");
}
END_TEST

START_TEST(elf_rejects_note_descriptor_running_past_segment)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	first_note()->n_descsz = 0x1000;
	ck_assert_fails_with(parse(len, &info, &e), e, "note runs past the end of its segment");
}
END_TEST

START_TEST(elf_rejects_note_name_running_past_segment)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	first_note()->n_namesz = UINT32_MAX;
	ck_assert_fails_with(parse(len, &info, &e), e, "note runs past the end of its segment");
}
END_TEST

START_TEST(elf_rejects_note_segment_outside_file)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	phdr(1)->p_offset = len - 4;
	ck_assert_fails_with(parse(len, &info, &e), e, "note segment 1 lies outside the file");
}
END_TEST

START_TEST(elf_rejects_pvh_note_with_bad_descriptor_size)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_descsz = 2;
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "PVH entry note has a 2-byte descriptor");
}
END_TEST

START_TEST(elf_rejects_mapvisor_note_with_bad_descriptor_size)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.mv_descsz = 4;
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "Mapvisor entry note has a 4-byte descriptor");
}
END_TEST

START_TEST(elf_rejects_entry64_outside_segments)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.entry64 = LOAD_VADDR + 0x100000;
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "64-bit entry");
	ck_assert_ptr_nonnull(strstr(e.msg, "not inside an executable segment"));
}
END_TEST

START_TEST(elf_rejects_entry64_given_as_physical_address)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.entry64 = LOAD_PADDR + 0x10;   /* the note holds a virtual address */
	size_t len = build(&s);
	ck_assert_fails_with(parse(len, &info, &e), e, "64-bit entry");
}
END_TEST

START_TEST(elf_parses_real_kernel)
{
	const char *path = "build/guest/kernel.elf";
	if (access(path, R_OK) != 0) {
		unit_skip("%s not built (make %s)", path, path);
		return;
	}
	uint8_t *buf;
	size_t len;
	struct elf_info info;
	struct mv_err e = { "" };
	ck_assert_msg(elf_read_file(path, &buf, &len, &e) == 0, "read: %s", e.msg);
	int rc = elf_parse(buf, len, &info, &e);
	free(buf);
	ck_assert_msg(rc == 0, "parse %s: %s", path, e.msg);
	ck_assert(info.has_pvh);
	ck_assert(info.has_entry64);
	ck_assert_int_ge(info.nsegs, 1);
	ck_assert_uint_ge(info.load_start, MV_GPA_KERNEL_MIN);
	ck_assert_uint_ge(info.entry64, MV_KERNEL_VIRT_BASE);
	ck_assert_uint_ge(info.entry64_paddr, info.load_start);
	ck_assert_uint_lt(info.entry64_paddr, info.load_end);
}
END_TEST

START_TEST(elf_read_file_rejects_directory)
{
	uint8_t *buf = NULL;
	size_t len;
	struct mv_err e;
	ck_assert_fails_with(elf_read_file("/tmp", &buf, &len, &e), e, "not a regular file");
}
END_TEST

START_TEST(elf_read_file_reports_missing_file)
{
	char path[64];
	uint8_t *buf = NULL;
	size_t len;
	struct mv_err e;
	unit_tmpname(path);
	ck_assert_fails_with(elf_read_file(path, &buf, &len, &e), e, path);
}
END_TEST

START_TEST(elf_read_file_reads_whole_file)
{
	char path[64];
	int fd = unit_tmpfile(path);
	size_t n = build_good();
	ck_assert_int_eq(write(fd, img, n), (ssize_t)n);
	close(fd);
	uint8_t *buf = NULL;
	size_t len = 0;
	struct mv_err e = { "" };
	int rc = elf_read_file(path, &buf, &len, &e);
	unlink(path);
	ck_assert_msg(rc == 0, "read: %s", e.msg);
	ck_assert_uint_eq(len, n);
	ck_assert_mem_eq(buf, img, n);
	free(buf);
}
END_TEST

/* elf_load: 16 MiB of RAM pre-filled with 0xAA. */
static struct guest_mem gm;

static void ram_setup(void)
{
	struct gm_config c = { .size = 16ull << 20 };
	struct mv_err e = { "" };
	ck_assert_msg(gm_init(&gm, &c, &e) == 0, "gm_init: %s", e.msg);
	ck_assert(gm.fresh_zero);
	memset(gm.base, 0xAA, gm.size);
	gm.fresh_zero = false;   /* written: no longer known to be zero */
}

static void ram_teardown(void)
{
	gm_destroy(&gm);
}

static bool ram_all(gpa_t gpa, uint64_t len, uint8_t v)
{
	const uint8_t *p = gm_ptr(&gm, gpa, len);
	ck_assert_ptr_nonnull(p);
	for (uint64_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* On fresh anonymous RAM the bss already reads as zero: the loader leaves
 * its pages alone (not resident afterwards) instead of zeroing them. */
START_TEST(elf_load_leaves_bss_of_fresh_anonymous_ram_untouched)
{
	struct elf_info info;
	struct mv_err e;
	struct gm_config c = { .size = 16ull << 20 };
	size_t len = build_good();
	ck_assert_int_eq(parse(len, &info, &e), 0);
	ck_assert_msg(gm_init(&gm, &c, &e) == 0, "gm_init: %s", e.msg);
	ck_assert(gm.fresh_zero);
	ck_assert_msg(elf_load(&info, img, len, &gm, &e) == 0, "load: %s", e.msg);
	ck_assert(!gm.fresh_zero);
	gpa_t bss_page = (LOAD_PADDR + TEXT_SIZE + 0xfff) & ~0xfffull;
	unsigned char vec = 1;
	ck_assert_int_eq(mincore(gm_ptr(&gm, bss_page, 4096), 4096, &vec), 0);
	ck_assert_msg(!(vec & 1), "a bss page was touched");
	ck_assert(ram_all(LOAD_PADDR + TEXT_SIZE, BSS_END - TEXT_SIZE, 0));
	ram_teardown();
}
END_TEST

START_TEST(elf_load_copies_segment_and_zeroes_bss)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ck_assert_int_eq(parse(len, &info, &e), 0);
	ram_setup();
	ck_assert_msg(elf_load(&info, img, len, &gm, &e) == 0, "load: %s", e.msg);
	ck_assert_mem_eq(gm_ptr(&gm, LOAD_PADDR, TEXT_SIZE), img + TEXT_OFF, TEXT_SIZE);
	ck_assert(ram_all(LOAD_PADDR + TEXT_SIZE, BSS_END - TEXT_SIZE, 0));
	ck_assert(ram_all(LOAD_PADDR - 0x1000, 0x1000, 0xAA));
	ck_assert(ram_all(LOAD_PADDR + BSS_END, 0x1000, 0xAA));
	ram_teardown();
}
END_TEST

START_TEST(elf_load_refuses_segment_in_boot_data)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_value = MV_GPA_PGTABLE;
	size_t len = build(&s);
	phdr(0)->p_paddr = MV_GPA_PGTABLE;
	ck_assert_msg(parse(len, &info, &e) == 0, "parse: %s", e.msg);
	ram_setup();
	ck_assert_fails_with(elf_load(&info, img, len, &gm, &e), e, "boot data");
	ck_assert(ram_all(MV_GPA_PGTABLE, BSS_END, 0xAA));
	ram_teardown();
}
END_TEST

START_TEST(elf_load_refuses_segment_straddling_kernel_min)
{
	struct elf_info info;
	struct mv_err e;
	struct spec s = good_spec();
	s.pvh_value = MV_GPA_KERNEL_MIN - 0x1000;
	size_t len = build(&s);
	phdr(0)->p_paddr = MV_GPA_KERNEL_MIN - 0x1000;
	ck_assert_msg(parse(len, &info, &e) == 0, "parse: %s", e.msg);
	ram_setup();
	ck_assert_fails_with(elf_load(&info, img, len, &gm, &e), e, "boot data");
	ram_teardown();
}
END_TEST

START_TEST(elf_load_refuses_segment_past_end_of_ram)
{
	struct elf_info info;
	struct mv_err e;
	gpa_t at = (16ull << 20) - 0x1000;   /* bss runs past the 16 MiB end */
	struct spec s = good_spec();
	s.pvh_value = at;
	size_t len = build(&s);
	phdr(0)->p_paddr = at;
	ck_assert_msg(parse(len, &info, &e) == 0, "parse: %s", e.msg);
	ram_setup();
	ck_assert_fails_with(elf_load(&info, img, len, &gm, &e), e, "outside guest RAM");
	ck_assert(ram_all(at, 0x1000, 0xAA));
	ram_teardown();
}
END_TEST

START_TEST(elf_load_copies_nothing_when_a_later_segment_is_refused)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	add_bss_segment(64ull << 20, LOAD_VADDR + (64ull << 20), 0x1000);   /* past RAM */
	ck_assert_msg(parse(len, &info, &e) == 0, "parse: %s", e.msg);
	ck_assert_int_eq(info.nsegs, 2);
	ram_setup();
	ck_assert_fails_with(elf_load(&info, img, len, &gm, &e), e, "outside guest RAM");
	ck_assert(ram_all(LOAD_PADDR, BSS_END, 0xAA));
	ram_teardown();
}
END_TEST

START_TEST(elf_load_refuses_image_shorter_than_parsed)
{
	struct elf_info info;
	struct mv_err e;
	size_t len = build_good();
	ck_assert_int_eq(parse(len, &info, &e), 0);
	ram_setup();
	ck_assert_fails_with(elf_load(&info, img, len - 1, &gm, &e), e, "outside the file");
	ck_assert(ram_all(LOAD_PADDR, BSS_END, 0xAA));
	ram_teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elf_load");
	UNIT_CASE(s, elf_parses_good_kernel);
	UNIT_CASE(s, elf_parses_pvh_only_kernel_without_entry64);
	UNIT_CASE(s, elf_ignores_notes_of_other_types);
	UNIT_CASE(s, elf_accepts_pvh_note_with_8_byte_descriptor);
	UNIT_CASE(s, elf_rejects_pvh_entry_above_4_gib);
	UNIT_CASE(s, elf_accepts_adjacent_segments);
	UNIT_CASE(s, elf_skips_empty_load_segments);
	UNIT_CASE(s, elf_rejects_empty_file);
	UNIT_CASE(s, elf_rejects_file_shorter_than_ident);
	UNIT_CASE(s, elf_rejects_truncated_header);
	UNIT_CASE(s, elf_rejects_bad_magic);
	UNIT_CASE(s, elf_rejects_32_bit_class);
	UNIT_CASE(s, elf_rejects_big_endian);
	UNIT_CASE(s, elf_rejects_wrong_machine);
	UNIT_CASE(s, elf_rejects_shared_object);
	UNIT_CASE(s, elf_rejects_wrong_phentsize);
	UNIT_CASE(s, elf_rejects_zero_program_headers);
	UNIT_CASE(s, elf_rejects_more_than_64_program_headers);
	UNIT_CASE(s, elf_rejects_truncated_program_headers);
	UNIT_CASE(s, elf_rejects_program_header_offset_overflow);
	UNIT_CASE(s, elf_rejects_segment_past_end_of_file);
	UNIT_CASE(s, elf_rejects_segment_offset_overflow);
	UNIT_CASE(s, elf_rejects_filesz_larger_than_memsz);
	UNIT_CASE(s, elf_rejects_segment_larger_than_1_gib);
	UNIT_CASE(s, elf_rejects_paddr_wraparound);
	UNIT_CASE(s, elf_rejects_vaddr_wraparound);
	UNIT_CASE(s, elf_rejects_overlapping_segments);
	UNIT_CASE(s, elf_rejects_segment_containing_another);
	UNIT_CASE(s, elf_rejects_file_without_load_segment);
	UNIT_CASE(s, elf_rejects_kernel_without_pvh_note);
	UNIT_CASE(s, elf_rejects_xen_note_of_another_type_as_missing_pvh);
	UNIT_CASE(s, elf_rejects_pvh_entry_outside_segments);
	UNIT_CASE(s, elf_rejects_pvh_entry_in_bss);
	UNIT_CASE(s, elf_rejects_pvh_entry_in_non_executable_segment);
	UNIT_CASE(s, elf_rejects_note_descriptor_running_past_segment);
	UNIT_CASE(s, elf_rejects_note_name_running_past_segment);
	UNIT_CASE(s, elf_rejects_note_segment_outside_file);
	UNIT_CASE(s, elf_rejects_pvh_note_with_bad_descriptor_size);
	UNIT_CASE(s, elf_rejects_mapvisor_note_with_bad_descriptor_size);
	UNIT_CASE(s, elf_rejects_entry64_outside_segments);
	UNIT_CASE(s, elf_rejects_entry64_given_as_physical_address);
	UNIT_CASE(s, elf_parses_real_kernel);
	UNIT_CASE(s, elf_read_file_rejects_directory);
	UNIT_CASE(s, elf_read_file_reports_missing_file);
	UNIT_CASE(s, elf_read_file_reads_whole_file);
	UNIT_CASE(s, elf_load_copies_segment_and_zeroes_bss);
	UNIT_CASE(s, elf_load_leaves_bss_of_fresh_anonymous_ram_untouched);
	UNIT_CASE(s, elf_load_refuses_segment_in_boot_data);
	UNIT_CASE(s, elf_load_refuses_segment_straddling_kernel_min);
	UNIT_CASE(s, elf_load_refuses_segment_past_end_of_ram);
	UNIT_CASE(s, elf_load_copies_nothing_when_a_later_segment_is_refused);
	UNIT_CASE(s, elf_load_refuses_image_shorter_than_parsed);
	return unit_run(s);
}
