/* exec of a static ELF into a fresh address space, the initial stack the
 * x86_64 psABI (3.4.1) describes, and the first iretq to user mode. */
#include <stdint.h>

#include "arch/x86/syscall_arch.h"
#include "arch/x86/trap.h"
#include "kernel/elf.h"
#include "kernel/embedded.h"
#include "kernel/exec.h"
#include "kernel/mm.h"
#include "kernel/pcache.h"
#include "kernel/printk.h"
#include "kernel/proc.h"
#include "kernel/random.h"
#include "kernel/uaccess.h"
#include "kernel/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "mm/uvm.h"
#include "mv_boot.h"
#include "x86.h"

#define PAGE_MASK (X86_PAGE_SIZE - 1)
#define STACK_IMAGE_MAX 4096   /* argv and env strings, auxv, pointers */
#define RANDOM_BYTES 16

/* auxv types, Linux include/uapi/linux/auxvec.h */
#define AT_NULL   0
#define AT_PHDR   3
#define AT_PHENT  4
#define AT_PHNUM  5
#define AT_PAGESZ 6
#define AT_BASE   7
#define AT_FLAGS  8
#define AT_ENTRY  9
#define AT_UID    11
#define AT_EUID   12
#define AT_GID    13
#define AT_EGID   14
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31
#define NAUXV     15
#define CLK_TCK   100

static uint8_t stack_image[STACK_IMAGE_MAX] __attribute__((aligned(16)));
/* The ELF and program headers of a program on the disk: a copy of its
 * first page, because the page cache may reuse its pages while the
 * segments are loaded. */
static uint8_t exec_hdr[X86_PAGE_SIZE] __attribute__((aligned(16)));

/* Where a program's bytes are: an embedded image, or a file whose pages
 * come from the page cache. */
struct exec_src {
	const uint8_t *img;      /* embedded: the whole file */
	uint32_t ino;            /* else: the file on the root file system */
	uint64_t size;
};

/* The page of the file at page-aligned offset off: its kernel address
 * and physical address (for a host page copy). */
static int exec_src_page(const struct exec_src *src, uint64_t off, const uint8_t **kva,
			 uint64_t *pa)
{
	uint8_t *page;
	int err;

	if (src->img) {
		*kva = src->img + off;
		*pa = kernel_virt_to_phys(*kva);
		return 0;
	}
	if ((err = pcache_get(vfs_root, src->ino, off >> PCACHE_SHIFT, &page)))
		return err;
	*kva = page;
	*pa = (uint64_t)page - MV_DIRECT_MAP_BASE;   /* cache pages are direct-mapped */
	return 0;
}

static uint32_t exec_prot(uint32_t pflags)
{
	return (pflags & ELF_PF_R ? VMA_PROT_READ : 0) | (pflags & ELF_PF_W ? VMA_PROT_WRITE : 0) |
	       (pflags & ELF_PF_X ? VMA_PROT_EXEC : 0);
}

/* Each page of a PT_LOAD gets what the file has there (whole pages by one
 * host copy: bytes before p_vaddr in its first page are file bytes, as
 * with a file mapping) and zeros from p_filesz on. */
static int exec_load_segment(struct proc *p, const struct exec_src *img, const struct elf64_phdr *ph)
{
	uint64_t first = ph->vaddr & ~PAGE_MASK;
	uint64_t end = (ph->vaddr + ph->memsz + PAGE_MASK) & ~PAGE_MASK;
	uint64_t file_end = ph->vaddr + ph->filesz;
	uint32_t prot = exec_prot(ph->flags);
	uint64_t pte = mm_prot_pte(prot) | X86_PTE_A;   /* kernel/mm.h: A and D */

	for (uint64_t va = first; va < end; va += X86_PAGE_SIZE) {
		/* page-congruent (elf_check): a whole page of the file */
		uint64_t off = ph->offset - (ph->vaddr - va);
		uint64_t n = file_end > va ? file_end - va : 0;
		const uint8_t *src = NULL;
		uint64_t src_pa = 0;
		int err = n ? exec_src_page(img, off, &src, &src_pa) : 0;
		if (err)
			return err;
		uint64_t pa = n >= X86_PAGE_SIZE ? page_alloc() : page_alloc_zeroed();
		if (!pa)
			return -ENOMEM;
		if (n >= X86_PAGE_SIZE)
			page_copy(pa, src_pa);
		else if (n)
			kernel_copy(phys_to_virt(pa), src, n);
		err = pgtable_map(va, pa, pte | X86_PTE_U);
		if (err) {
			page_free(pa);
			return err;
		}
	}
	/* private, so mprotect may grant anything (as for Linux's
	 * MAP_PRIVATE file mapping of the program) */
	return vma_insert(&p->vmas, first, end, prot, VMA_MAY_ALL, NULL, 0);
}

/* argc, argv[], NULL, envp[], NULL, auxv pairs, then the strings and
 * AT_RANDOM's bytes at the top; RSP 16-byte aligned at entry. */
static int exec_stack(const struct elf_info *info, const char *const *argv, int argc,
		      const char *const *env, int nenv, uint64_t *sp_out)
{
	uint64_t top = UVM_STACK_TOP, strp = top - RANDOM_BYTES;
	uint64_t argv_va[EXEC_ARGS_MAX + 1], env_va[EXEC_ENV_MAX + 1];
	uint64_t random_va = strp;

	for (int i = nenv - 1; i >= 0; i--) {
		strp -= strlen(env[i]) + 1;
		env_va[i] = strp;
	}
	for (int i = argc - 1; i >= 0; i--) {
		strp -= strlen(argv[i]) + 1;
		argv_va[i] = strp;
	}
	uint64_t nwords = 1 + (uint64_t)argc + 1 + (uint64_t)nenv + 1 + 2 * (NAUXV + 1);
	uint64_t sp = (strp - nwords * 8) & ~15ull;
	if (top - sp > STACK_IMAGE_MAX)
		return -E2BIG;

	uint8_t *img = stack_image;
	uint64_t *w = (uint64_t *)img;
	memset(img, 0, top - sp);   /* padding included: no stale bytes leak */
	*w++ = (uint64_t)argc;
	for (int i = 0; i < argc; i++) {
		*w++ = argv_va[i];
		memcpy(img + (argv_va[i] - sp), argv[i], strlen(argv[i]) + 1);
	}
	*w++ = 0;   /* end of argv */
	for (int i = 0; i < nenv; i++) {
		*w++ = env_va[i];
		memcpy(img + (env_va[i] - sp), env[i], strlen(env[i]) + 1);
	}
	*w++ = 0;   /* end of envp */
	const uint64_t auxv[NAUXV][2] = {
		{ AT_PHDR, info->phdr_va },  { AT_PHENT, sizeof(struct elf64_phdr) },
		{ AT_PHNUM, info->phnum },   { AT_PAGESZ, X86_PAGE_SIZE },
		{ AT_BASE, 0 },              { AT_FLAGS, 0 },
		{ AT_ENTRY, info->entry },   { AT_UID, 0 },
		{ AT_EUID, 0 },              { AT_GID, 0 },
		{ AT_EGID, 0 },              { AT_CLKTCK, CLK_TCK },
		{ AT_SECURE, 0 },            { AT_RANDOM, random_va },
		{ AT_EXECFN, argv_va[0] },
	};
	memcpy(w, auxv, sizeof(auxv));
	w += 2 * NAUXV;
	*w++ = AT_NULL;
	*w++ = 0;
	random_fill(img + (random_va - sp), RANDOM_BYTES);
	/* The stack region is populated on demand: this copy's faults do it. */
	if (copy_to_user(sp, img, top - sp))
		return -EFAULT;
	*sp_out = sp;
	return 0;
}

/* A program on the root file system: regular, executable by someone, and
 * its headers within the first page (static musl binaries have them at
 * offset 64). -ENOENT when there is no such file (or no disk). */
static int exec_open_disk(const char *path, struct exec_src *src)
{
	static char norm[VFS_PATH_MAX];
	struct ext2_stat st;
	const uint8_t *page;
	uint64_t pa, n;
	bool must_dir;
	int err;

	if ((err = vfs_path_join("/", path, norm, &must_dir)) ||
	    (err = vfs_lookup(norm, must_dir, &src->ino, &st)))
		return err;
	if ((st.mode & EXT2_S_IFMT) != EXT2_S_IFREG || !(st.mode & 0111))
		return -EACCES;
	src->img = NULL;
	src->size = st.size;
	if ((err = exec_src_page(src, 0, &page, &pa)))
		return err;
	n = st.size < X86_PAGE_SIZE ? st.size : X86_PAGE_SIZE;
	memset(exec_hdr, 0, sizeof(struct elf64_ehdr));
	kernel_copy(exec_hdr, page, n);
	const struct elf64_ehdr *eh = (const void *)exec_hdr;
	if (n >= sizeof(*eh) && (eh->phoff > X86_PAGE_SIZE ||
				 (uint64_t)eh->phnum * sizeof(struct elf64_phdr) >
					 X86_PAGE_SIZE - eh->phoff))
		return -ENOEXEC;
	return 0;
}

/* "/embedded/NAME" is always built in; other paths are looked up on the
 * disk first, and a bare NAME or a path the disk lacks falls back to the
 * embedded program of that name. */
static int exec_open(const char *path, struct exec_src *src, const uint8_t **hdr)
{
	size_t plen = strlen(EMBEDDED_PREFIX);
	int err = -ENOENT;

	if (strncmp(path, EMBEDDED_PREFIX, plen) && path[0] == '/' && vfs_root) {
		err = exec_open_disk(path, src);
		if (!err) {
			*hdr = exec_hdr;
			return 0;
		}
		if (err != -ENOENT)
			return err;
	}
	const struct embedded_prog *prog = embedded_find(path);
	if (!prog)
		return err;
	src->img = prog->start;
	src->size = (uint64_t)(prog->end - prog->start);
	*hdr = prog->start;
	return 0;
}

int exec_init(const char *path, const char *const *args, int nargs, const char *const *env,
	      int nenv)
{
	const char *argv[EXEC_ARGS_MAX];
	struct proc *p;
	struct exec_src src;
	const uint8_t *hdr;
	struct elf_info info;
	uint64_t sp;
	int err, argc = 0;

	if (nargs + 1 > EXEC_ARGS_MAX || nenv > EXEC_ENV_MAX)
		return -E2BIG;
	if ((err = exec_open(path, &src, &hdr)))
		return err;
	err = elf_check(hdr, src.size, UVM_MIN, UVM_MMAP_TOP, &info);
	if (err)
		return err;
	argv[argc++] = path;
	for (int i = 0; i < nargs; i++)
		argv[argc++] = args[i];

	err = syscall_arch_init(trap_kstack_top());
	if (err)
		return err;
	if (!(p = proc_init_alloc()))
		return -ENOMEM;
	p->kstack_top = trap_kstack_top();   /* the boot trap stack */
	p->ppid = 0;
	mm_init(p);
	pcache_set_reclaim(mm_reclaim_cache_page);
	pcache_set_reclaim_unit(mm_reclaim_cache_unit);
	/* large units: up to a quarter of RAM (the 4 KiB cache is apart) */
	struct page_stats ps;
	page_get_stats(&ps);
	pcache_set_units((unsigned)(ps.total / 4 / PCACHE_UNIT_PAGES));
	proc_limits_init(p);
	signal_init(&p->sig);
	if ((err = proc_files_init(p)))
		return err;
	p->cr3 = uvm_create();
	if (!p->cr3)
		return -ENOMEM;
	arch_load_cr3(p->cr3);
	proc_current = p;
	for (unsigned i = 0; i < info.phnum; i++) {
		if (info.phdr[i].type != ELF_PT_LOAD)
			continue;
		err = exec_load_segment(p, &src, &info.phdr[i]);
		if (err)
			return err;
	}
	p->brk_start = p->brk = (info.end + PAGE_MASK) & ~PAGE_MASK;
	/* The stack grows down on faults below it, up to RLIMIT_STACK. */
	err = vma_insert(&p->vmas, UVM_STACK_TOP - UVM_STACK_SIZE, UVM_STACK_TOP,
			 VMA_PROT_READ | VMA_PROT_WRITE,
			 VMA_MAY_ALL | VMA_STACK | VMA_GROWSDOWN, NULL, 0);
	if (err)
		return err;
	err = exec_stack(&info, argv, argc, env, nenv, &sp);
	if (err)
		return err;
	user_enter(info.entry, sp);
}
